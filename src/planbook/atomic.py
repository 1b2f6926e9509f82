"""Write output files atomically: to a temporary file beside the target, then rename."""
from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .errors import OutputError


def _set_mode(tmp: Path, target: Path) -> None:
    """Give the new file the permissions a normal save would: the old file's, else the umask's.

    (mkstemp makes temporary files private, 0600; an output on a shared drive must not be.)
    """
    if target.exists():
        mode = target.stat().st_mode & 0o777
    else:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    os.chmod(tmp, mode)


@contextlib.contextmanager
def atomic_output(target: str | os.PathLike[str], *, overwrite: bool = True) -> Iterator[Path]:
    """Yield a temporary path; on success it replaces ``target`` in one rename.

    A reader never sees a half-written file, and a failure leaves any old file untouched.
    Raises :class:`OutputError` with a message a person can act on (file open in Excel,
    folder missing, file exists and ``overwrite`` is false).
    """
    target = Path(target)
    if not target.parent.exists():
        raise OutputError(f"cannot write {target}: folder {target.parent} does not exist")
    if target.exists() and not overwrite:
        raise OutputError(f"{target} already exists (use --force to replace it)")
    lock = target.parent / f"~${target.name}"
    if lock.exists():
        raise OutputError(f"cannot write {target}: it is open in Excel ({lock.name} exists); close it and try again")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=target.suffix + ".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        _set_mode(tmp_path, target)
        try:
            os.replace(tmp_path, target)
        except PermissionError as exc:
            raise OutputError(f"cannot replace {target}: it is open or locked ({exc.strerror}); close it and try again") from exc
    finally:
        if tmp_path.exists():
            tmp_path.unlink()
