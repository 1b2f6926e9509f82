"""PDF copies of Word documents through LibreOffice headless (a tagged PDF, for committee papers)."""
from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from planbook.core.errors import PdfError
from planbook.files.atomic import atomic_output

SOFFICE_ENV = "PLANBOOK_SOFFICE"
_KNOWN = ("/usr/bin/soffice", "/usr/local/bin/soffice", "/opt/libreoffice/program/soffice",
          "/Applications/LibreOffice.app/Contents/MacOS/soffice",
          r"C:\Program Files\LibreOffice\program\soffice.exe", r"C:\Program Files (x86)\LibreOffice\program\soffice.exe")
#: Tagged PDF (structure and alt text kept for screen readers), as LibreOffice 7.4+ takes filter options.
_FILTER = 'pdf:writer_pdf_Export:{"UseTaggedPDF":{"type":"boolean","value":"true"}}'


def find_soffice() -> str | None:
    """LibreOffice's ``soffice``: $PLANBOOK_SOFFICE, else on PATH, else where installers put it."""
    given = os.environ.get(SOFFICE_ENV)
    if given is not None:
        return given if given and Path(given).is_file() else None
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found:
        return found
    return next((p for p in _KNOWN if Path(p).is_file()), None)


@contextlib.contextmanager
def _profile(tmp: Path):
    """A LibreOffice profile of planbook's own, so it works while the user has LibreOffice open.

    Kept between runs in the user's cache folder (making a new one takes LibreOffice seconds to
    minutes on a busy machine); a run that finds it in use by another planbook uses a fresh one.
    """
    try:
        import fcntl
    except ImportError:  # Windows: a fresh profile each time
        yield tmp / "profile"
        return
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "planbook"
    try:
        base.mkdir(parents=True, exist_ok=True)
        lock = open(base / "libreoffice-profile.lock", "w")
    except OSError:
        yield tmp / "profile"
        return
    with lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            yield tmp / "profile"
            return
        yield base / "libreoffice-profile"


def to_pdf(document: str | os.PathLike[str], out: str | os.PathLike[str] | None = None,
           timeout: float = 600) -> Path:
    """Write ``document`` as PDF beside it (or to ``out``), atomically; raise :class:`PdfError` if not possible."""
    src = Path(document)
    target = Path(out) if out else src.with_suffix(".pdf")
    soffice = find_soffice()
    if not soffice:
        raise PdfError(f"{target.name} not written: LibreOffice is not installed (or set {SOFFICE_ENV} to its "
                       f"soffice program); {src.name} was written, so open it in Word and Save As PDF instead")
    with tempfile.TemporaryDirectory(prefix="planbook-pdf-") as tmp, _profile(Path(tmp)) as profile:
        work = Path(tmp) / "in"
        work.mkdir()
        copy = work / ("report" + src.suffix)
        shutil.copyfile(src, copy)
        try:
            result = subprocess.run([soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
                                     "--convert-to", _FILTER, "--outdir", str(work), str(copy)],
                                    capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            raise PdfError(f"{target.name} not written: LibreOffice took longer than {timeout:.0f} s") from exc
        except OSError as exc:
            raise PdfError(f"{target.name} not written: cannot run LibreOffice ({soffice}): {exc}") from exc
        made = work / "report.pdf"
        if not made.exists():
            detail = " ".join((result.stderr or result.stdout).split())[:200]
            raise PdfError(f"{target.name} not written: LibreOffice could not convert {src.name}"
                           + (f" ({detail})" if detail else ""))
        with atomic_output(target) as tmp_out:
            shutil.copyfile(made, tmp_out)
    return target
