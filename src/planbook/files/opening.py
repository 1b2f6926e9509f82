"""Opening a workbook to read it: the bytes read once, checked (zip, size, far cells), then
parsed by calamine.  The one way planbook opens a workbook it reads."""
from __future__ import annotations

import datetime as dt
import io
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from planbook.core.errors import UnusableFileError
from planbook.core.layout import GUIDE
from planbook.core.text import clean_rows
from planbook.files.guard import (
    check_input_file,
    check_zip,
    max_file_bytes,
    refuse_grid,
)

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


_ENCRYPTED = "EncryptedPackage".encode("utf-16-le")


def read_workbook_bytes(path: str | os.PathLike[str]) -> bytes:
    """The file's bytes, if it is an ordinary file no bigger than a workbook planbook reads
    (:class:`UnusableFileError` otherwise).  Read once: the checks, the fingerprint and the
    reader all use these bytes, so what is read is what was checked."""
    p = check_input_file(path, "workbook")
    try:
        size = p.stat().st_size
        if size > max_file_bytes():
            raise UnusableFileError(p, f"is {size >> 20} MB, more than a workbook planbook reads "
                                       f"({max_file_bytes() >> 20} MB): not read")
        return p.read_bytes()
    except OSError as exc:
        raise UnusableFileError(p, f"cannot be opened ({exc.strerror})") from exc


def check_workbook_file(path: str | os.PathLike[str], *, grid: bool = True, data: bytes | None = None) -> bytes:
    """Raise :class:`UnusableFileError` with a one-line reason if ``path`` is not a readable .xlsx/.xlsm;
    else its bytes (``data``, when the caller has read them with :func:`read_workbook_bytes`).
    ``grid=False`` skips the look at every cell's position (see :func:`load_workbook`)."""
    p = Path(path)
    if data is None:
        data = read_workbook_bytes(p)
    head = data[:8]
    if not head:
        raise UnusableFileError(p, "empty file (0 bytes)")
    if head == _OLE_MAGIC:
        if _ENCRYPTED in data:
            raise UnusableFileError(p, "password-protected workbook: remove the password in Excel "
                                       "(File > Info > Protect Workbook) and try again")
        raise UnusableFileError(p, "legacy Excel 97-2003 (.xls) file: open it in Excel and Save As .xlsx")
    if not head.startswith(b"PK"):
        raise UnusableFileError(p, "not an Excel workbook (.xlsx)")
    if not _end_record_agrees(data):
        raise UnusableFileError(p, "corrupt workbook: its zip end record does not fit the file's end, so zip readers "
                                   "would disagree on its contents (open and save it in Excel, then try again)")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
            if "xl/workbook.xml" not in names:
                if "word/document.xml" in names:
                    raise UnusableFileError(p, "a Word document, not an Excel workbook")
                raise UnusableFileError(p, "a zip file but not an Excel workbook")
            check_zip(p, zf, data, grid=grid)  # zip bombs, DTDs, a far cell: refused before a reader inflates them
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise UnusableFileError(p, "corrupt or truncated workbook (not a valid .xlsx zip)") from exc
    return data


def _end_record_agrees(data: bytes) -> bool:
    """Is the zip's last end-of-directory record the file's true end (its comment running
    exactly to the last byte)?  Python's zipfile takes the last such record whatever its comment
    length says; calamine's zip reader skips one whose length does not fit and falls back to an
    earlier one: a file built so the two disagree would be checked here and read there."""
    at = data.rfind(b"PK\x05\x06", max(0, len(data) - (22 + 0xFFFF)))
    if at < 0:
        return True  # no end record at all: a truncated file, which zipfile reports as such
    return int.from_bytes(data[at + 20:at + 22], "little") == len(data) - at - 22


def open_workbook(path: str | os.PathLike[str], *, grid: bool = True, data: bytes | None = None):
    """calamine's workbook for ``path``, after :func:`check_workbook_file`: the one way planbook
    opens a workbook it reads.  calamine reads the very bytes that were checked (a file replaced
    in between — a sync client, a lead saving again — cannot slip past the checks)."""
    from python_calamine import CalamineWorkbook

    path = Path(path)
    data = check_workbook_file(path, grid=grid, data=data)
    try:
        return CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # calamine raises its own error types for damaged parts
        raise UnusableFileError(path, f"corrupt workbook ({type(exc).__name__}: {str(exc).splitlines()[0][:120]})") from exc


def _parse_sheet(wb, name: str, path: Path):
    try:
        return wb.get_sheet_by_name(name)
    except Exception as exc:
        detail = (str(exc).splitlines() or [""])[0][:120]
        raise UnusableFileError(path, f"sheet {name!r} cannot be read ({type(exc).__name__}"
                                      + (f": {detail})" if detail else ")")) from exc


@dataclass
class LoadedWorkbook:
    """A workbook read from disk: every sheet but the Guide, parsed by calamine."""

    path: Path
    names: list[str]
    parsed: dict[str, object]  # sheet name -> calamine's parsed sheet
    #: cells :meth:`rows` cleaned: (sheet, row, col, code, what was wrong, the text as it was)
    cleaned: list[tuple[str, int, int, str, str, str]] = field(default_factory=list)

    def rows(self, name: str, *, clean: bool = True) -> list[list[object]]:
        """A sheet's cells as Python values, row by row (made when asked for), with text XML
        cannot hold cleaned (see planbook.core.text; each such cell is noted in ``cleaned``).
        ``clean=False`` leaves that to the caller (the lead tabs: :func:`_read_rows` checks
        each row as it reads it, which costs less than a pass of its own)."""
        try:
            rows = self.parsed[name].to_python(skip_empty_area=False)
        except Exception as exc:
            raise UnusableFileError(self.path, f"sheet {name!r} cannot be read ({type(exc).__name__})") from exc
        if clean:
            self.note_cleaned(name, 0, rows)
        return rows

    def note_cleaned(self, name: str, first: int, rows: list[list[object]]) -> None:
        """Clean ``rows`` (sheet rows ``first`` onward) in place, noting each cell changed."""
        self.cleaned += [(name, first + r, *change) for r, *change in clean_rows(rows)]


def load_workbook(path: str | os.PathLike[str], *, grid: bool = True, data: bytes | None = None) -> LoadedWorkbook:
    """Open and parse a workbook: the slow, file-bound half of :func:`read_plan`.

    Parsing runs in calamine's native code without holding Python's lock, so a consolidation
    parses the next files on other threads while this one turns rows into actions (making
    Python values needs the lock, so :meth:`LoadedWorkbook.rows` is left to the reader).
    Raises :class:`UnusableFileError` as :func:`read_plan` does.  ``grid=False`` skips the check
    that no cell lies so far out that calamine's grid could not be allocated (calamine aborts the
    process then): only for a process whose crash costs nothing (see planbook.rollup.consolidate).
    """
    p = Path(path)
    wb = open_workbook(p, grid=grid, data=data)
    names = list(wb.sheet_names)
    parsed = {name: _parse_sheet(wb, name, p) for name in names if name != GUIDE}
    for name, sheet in parsed.items():  # what calamine made: the same limit, whether checked before or not
        end = sheet.end
        if end:
            refuse_grid(p, f"tab {name!r}", end[0] + 1, end[1] + 1)
    return LoadedWorkbook(p, names, parsed)


def as_text(value: object) -> str:
    """A cell value as the text a person sees (numbers without a trailing .0, dates as ISO)."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time, dt.timedelta)):
        return value.isoformat() if hasattr(value, "isoformat") else str(value)
    return str(value)
