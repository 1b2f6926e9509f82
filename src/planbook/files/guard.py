"""Guards against inputs that would harm the run: an output that is also an input, special files,
zip bombs, cells at the far corner of a sheet, DTDs.

Each check is cheap (a stat, the zip directory, the first few kilobytes of a part; each sheet
inflated once and searched, see planbook.files.sheetgrid) and runs before any reader opens the file,
so a hostile file is refused with one line before it can take memory or time, and an input is
never overwritten.
"""
from __future__ import annotations

import os
import stat
import zipfile
import zlib
from collections.abc import Iterable
from pathlib import Path

from planbook.core.errors import OutputError, UnusableFileError
from planbook.core.layout import ALL_ACTIONS, META
from planbook.files.sheetgrid import (
    ZipLook,
    extent,
    may_have_notes,
    sheet_and_tab_parts,
    watch_for_faults,
)

# ---------------------------------------------------------------- never overwrite an input


def _key(path: str | os.PathLike[str]) -> Path:
    """The resolved absolute path (symlinks followed, ``./`` and ``..`` spellings folded)."""
    return Path(os.path.realpath(os.path.abspath(os.fspath(path))))


def same_file(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """Do ``a`` and ``b`` name the same file (a symlink, a hard link or another spelling)?"""
    if _key(a) == _key(b):
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:  # one does not exist (yet): different files
        return False


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.relative_to(folder)
        return True
    except ValueError:
        return False


def refuse_overwriting_inputs(out: str | os.PathLike[str], inputs: Iterable[str | os.PathLike[str]], *,
                              what: str = "input", folder_member=None) -> None:
    """Raise :class:`OutputError` (one line naming both paths) if writing ``out`` would replace
    one of ``inputs``, or a file inside an input folder that ``folder_member(path)`` says would be
    read as an input.  Runs before anything is read."""
    out_key = _key(out)
    for item in inputs:
        if item is None or os.fspath(item) == "":
            continue
        if os.path.isdir(item):
            if _inside(out_key, _key(item)) and out_key.is_file() and (folder_member is None or folder_member(out_key)):
                raise OutputError(f"refusing to write {os.fspath(out)}: it is an {what} (a file in the {what} folder "
                                  f"{os.fspath(item)}); choose another --out")
        elif same_file(out, item):
            raise OutputError(f"refusing to write {os.fspath(out)}: it is the same file as the {what} "
                              f"{os.fspath(item)}; choose another --out")


def require_suffix(out: str | os.PathLike[str], suffixes: tuple[str, ...], what: str) -> None:
    """Raise :class:`OutputError` unless ``out`` ends in one of ``suffixes``: a Word report named
    ``.pdf`` or ``.xlsx`` would mislead whoever opens it (and could replace a workbook)."""
    suffix = Path(os.fspath(out)).suffix.lower()
    if suffix not in suffixes:
        raise OutputError(f"cannot write {os.fspath(out)}: {what} is a {' or '.join(suffixes)} file; "
                          f"give a name ending {suffixes[0]}")


def is_consolidated(path: str | os.PathLike[str]) -> bool:
    """Is ``path`` a workbook planbook's consolidate wrote (its own output, never read as an
    input)?  Looks only at the sheet names in ``xl/workbook.xml``; anything but a regular file (a
    FIFO, a device: opening one blocks) is not."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return False
        with zipfile.ZipFile(path) as zf:
            with zf.open("xl/workbook.xml") as fh:
                head = fh.read(1 << 20)
    except (OSError, KeyError, zipfile.BadZipFile, zlib.error, ValueError, EOFError, RuntimeError):
        return False
    return f'name="{ALL_ACTIONS}"'.encode() in head and f'name="{META}"'.encode() in head


def not_a_plan(path: str | os.PathLike[str]) -> str:
    """Why a consolidated workbook is refused where a plan is wanted (``import``, ``validate``,
    ``split``, a returns folder), in one line that says what to run instead."""
    name = Path(os.fspath(path)).name
    quoted = f'"{name}"' if " " in name else name
    return (f"a consolidated workbook (planbook's output), not a plan: to start the next period from it, run "
            f'planbook roll-forward {quoted} --period "…" --out plan.xlsx')


def refuse_consolidated(path: str | os.PathLike[str]) -> None:
    """Raise :class:`UnusableFileError` (see :func:`not_a_plan`) if ``path`` is a consolidated workbook."""
    if is_consolidated(path):
        raise UnusableFileError(path, not_a_plan(path))


# ---------------------------------------------------------------- special files


def special_kind(path: str | os.PathLike[str]) -> str | None:
    """"a FIFO (named pipe)", "a device", "a socket" — or None for a regular file or folder.
    Uses ``stat`` only: the file is never opened (opening a FIFO for reading blocks)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return None


def refuse_special(path: str | os.PathLike[str]) -> None:
    kind = special_kind(path)
    if kind:
        raise UnusableFileError(path, f"{kind}, not a file: not read")


def check_input_file(path: str | os.PathLike[str], what: str) -> Path:
    """``path`` as a Path if it is an ordinary file to read; else :class:`UnusableFileError`
    saying why in one line (not found, a folder — "is a folder, not a ``what``" —, a FIFO or device)."""
    p = Path(path)
    if not p.exists():
        raise UnusableFileError(p, "file not found")
    if p.is_dir():
        raise UnusableFileError(p, f"is a folder, not a {what}")
    refuse_special(p)
    return p


# ---------------------------------------------------------------- zip containers


def _limit_mb(name: str, default: int) -> int:
    try:
        return max(1, int(os.environ.get(name, "")))
    except ValueError:
        return default


#: The most one part of an .xlsx/.docx may inflate to (MB); PLANBOOK_MAX_PART_MB changes it.
MAX_PART_MB = 1024
#: The most all parts together may inflate to (MB); PLANBOOK_MAX_INFLATE_MB changes it.
MAX_TOTAL_MB = 2048
#: A part this large that is also this compressed is a bomb, not a plan (real sheet XML is
#: 5-30x smaller zipped; a bomb of repeated bytes is 1000x).
_RATIO_FROM_MB, _MAX_RATIO = 64, 200
#: Cells a sheet's grid may span (rows x columns to its farthest cell with a value); a reader
#: allocates the whole grid (calamine aborts the process when that fails).
MAX_GRID_CELLS = 50_000_000
_HEAD = 4096


def max_part_bytes() -> int:
    """The most one part of a zip container may inflate to."""
    return _limit_mb("PLANBOOK_MAX_PART_MB", MAX_PART_MB) << 20


def max_file_bytes() -> int:
    """The largest file (on disk) a reader reads at all: the inflated limit for all its parts."""
    return _limit_mb("PLANBOOK_MAX_INFLATE_MB", MAX_TOTAL_MB) << 20


def check_zip(path: str | os.PathLike[str], zf: zipfile.ZipFile, data: bytes | None = None, *,
              grid: bool = True) -> ZipLook:
    """Refuse a zip whose parts would inflate beyond the limits, before anything inflates them.

    The sizes come from the zip's central directory; both readers we use (calamine's zip crate
    and Python's zipfile) stop at a part's declared size, so a part that lies about its size
    cannot inflate beyond it.  Then each sheet (or document) part is looked at — inflated here
    with a cap, from ``data`` (the file's bytes) when given — to refuse DTDs and a sheet whose
    far cell would make a reader allocate a grid of billions of cells (``grid=False`` skips that).
    Returns what it found out that the readers need again (:class:`planbook.files.sheetgrid.ZipLook`).
    """
    part_mb = _limit_mb("PLANBOOK_MAX_PART_MB", MAX_PART_MB)
    total_mb = _limit_mb("PLANBOOK_MAX_INFLATE_MB", MAX_TOTAL_MB)
    infos = zf.infolist()
    total = 0
    for info in infos:
        size = info.file_size
        total += size
        if size > _RATIO_FROM_MB << 20 and size > _MAX_RATIO * max(info.compress_size, 1):
            raise UnusableFileError(path, f"part {info.filename} expands to more than {_RATIO_FROM_MB} MB "
                                          f"({size // max(info.compress_size, 1)}x its zipped size, a zip bomb): not read")
        if size > part_mb << 20:  # honest but too big (a very large plan's year of History): said as its tab
            raise UnusableFileError(path, f"{_part_named(zf, data, info.filename)} expands to more than {part_mb} MB "
                                          f"({size >> 20} MB; PLANBOOK_MAX_PART_MB raises the limit): not read")
    if total > total_mb << 20:
        raise UnusableFileError(path, f"expands to more than {total_mb} MB ({total >> 20} MB in {len(infos)} parts): "
                                      "not read")
    names = [info.filename for info in infos]
    sheets, tabs = sheet_and_tab_parts(names, lambda name: inflate(data, zf, zf.getinfo(name), part_mb << 20))
    look = ZipLook(tabs, notes_possible=may_have_notes(
        inflate(data, zf, info, part_mb << 20) for info in infos if info.filename.lower().endswith(".rels")))
    for info in infos:
        name = info.filename
        if grid and name in sheets:  # and the DTD, in the first piece it inflates
            look.faults_possible[name] = _check_grid(path, zf, info, data, sheets[name])
        elif name in sheets or name == "word/document.xml":
            refuse_dtd(path, name, head_of(zf, info, data))
    return look


def _part_named(zf: zipfile.ZipFile, data: bytes | None, name: str) -> str:
    """"tab 'History' (part xl/worksheets/sheet153.xml)" when a tab names the part, else "part …"
    (the workbook's own small parts read, each at most 1 MB inflated)."""
    try:
        sheets, _ = sheet_and_tab_parts(zf.namelist(), lambda n: inflate(data, zf, zf.getinfo(n), 1 << 20))
    except (KeyError, ValueError):
        sheets = {}
    tab = sheets.get(name)
    return f"tab {tab!r} (part {name})" if tab else f"part {name}"


def refuse_dtd(path, name: str, head: bytes) -> None:
    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
        raise UnusableFileError(path, f"part {name} declares a DTD (<!DOCTYPE>), which Office files never do: not read")


def _raw(data: bytes, info: zipfile.ZipInfo) -> memoryview | None:
    """A member's stored bytes, sliced from the file's bytes (None if the local header is odd)."""
    off = info.header_offset
    if data[off:off + 4] != b"PK\x03\x04":
        return None
    n, m = int.from_bytes(data[off + 26:off + 28], "little"), int.from_bytes(data[off + 28:off + 30], "little")
    start = off + 30 + n + m
    return memoryview(data)[start:start + info.compress_size]


#: What reading a damaged or odd zip member raises: a bad header or CRC, a broken deflate stream,
#: a truncated file, a member encrypted (RuntimeError) or packed with a method zipfile cannot
#: unpack (NotImplementedError: Deflate64, PPMd …).  Each means "damaged part", never a bug.
DAMAGED = (zipfile.BadZipFile, zlib.error, OSError, NotImplementedError, RuntimeError, ValueError, EOFError)


def inflate(data: bytes | None, zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    """At most ``limit`` bytes of a member, inflated (quickest from the file's bytes)."""
    try:
        raw = _raw(data, info) if data is not None and info.compress_type in (zipfile.ZIP_DEFLATED,
                                                                               zipfile.ZIP_STORED) else None
        if raw is not None:
            if info.compress_type == zipfile.ZIP_STORED:
                return bytes(raw[:limit])
            return zlib.decompressobj(-15).decompress(raw, limit)
        with zf.open(info) as fh:
            return fh.read(limit)
    except DAMAGED:
        return b""  # a damaged part: the reader says so


def head_of(zf: zipfile.ZipFile, info: zipfile.ZipInfo, data: bytes | None = None) -> bytes:
    """The first few kilobytes of a part, inflating no more than that."""
    return inflate(data, zf, info, _HEAD)


def chunks(data: bytes | None, zf: zipfile.ZipFile, info: zipfile.ZipInfo, size: int = 1 << 23):
    """A member inflated piece by piece (at most ``size`` bytes a piece, so memory stays flat),
    never past its declared size (a part that says it is small stops there)."""
    left = info.file_size
    try:
        raw = _raw(data, info) if data is not None and info.compress_type == zipfile.ZIP_DEFLATED else None
        if raw is not None:
            inflater = zlib.decompressobj(-15)
            pending = raw
            while left > 0 and len(pending):
                piece = inflater.decompress(pending, min(size, left))  # max_length >= 1: never unbounded
                if not piece:
                    return
                left -= len(piece)
                pending = inflater.unconsumed_tail
                yield piece
            return
        with zf.open(info) as fh:
            while left > 0 and (piece := fh.read(min(size, left))):
                left -= len(piece)
                yield piece
    except DAMAGED:
        return  # a damaged part: the reader says so


def _check_grid(path, zf: zipfile.ZipFile, info: zipfile.ZipInfo, data: bytes | None, tab: str = "") -> bool:
    """Refuse a sheet holding a cell so far out (XFD1048576) that a reader would allocate a grid
    too big to hold (calamine aborts the process then), whatever dimension the sheet states.
    See planbook.files.sheetgrid: a sheet written the usual way costs one inflation and a few searches.
    ``tab`` is the sheet's name, for the message ("" if no tab names the part).  Returns whether
    the part may hold an error value or a formula (looked for in the same inflation)."""
    hinted: list[bool] = []

    def pieces():
        for i, piece in enumerate(watch_for_faults(chunks(data, zf, info), hinted)):
            if i == 0:
                refuse_dtd(path, info.filename, piece[:_HEAD])
            yield piece

    where = f"tab {tab!r}" if tab else info.filename.rsplit("/", 1)[-1]
    try:
        rows, cols = extent(pieces, MAX_GRID_CELLS)
    except ValueError as exc:  # not well-formed, or a DTD: where its cells lie cannot be told for sure
        raise UnusableFileError(path, f"{where} cannot be read safely ({exc}): open and save it in Excel, then try "
                                      "again; not read") from exc
    refuse_grid(path, where, rows, cols)
    return hinted[-1] if hinted else True  # the pieces not all seen: the reader looks for itself


def refuse_grid(path, where: str, rows: int, cols: int) -> None:
    """Raise :class:`UnusableFileError` if a sheet's grid (rows x columns from A1 to its farthest
    cell with a value) is bigger than a reader may allocate."""
    if rows * cols > MAX_GRID_CELLS:
        raise UnusableFileError(path, f"{where} has a cell at row {rows:,}, column {cols:,} "
                                      f"(a grid of {rows * cols:,} cells, more than "
                                      f"{MAX_GRID_CELLS:,}): delete the stray far cell in Excel (Ctrl+End shows it), "
                                      "save, and try again; not read")
