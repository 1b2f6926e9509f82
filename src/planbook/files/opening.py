"""Opening a workbook to read it: the bytes read once, checked (zip, size, far cells), then
parsed by calamine.  The one way planbook opens a workbook it reads."""
from __future__ import annotations

import datetime as dt
import io
import os
import threading
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from planbook.core.errors import UnusableFileError
from planbook.core.text import clean_rows
from planbook.files.guard import (
    DAMAGED,
    MAX_GRID_CELLS,
    check_input_file,
    check_zip,
    chunks,
    head_of,
    max_file_bytes,
    refuse_dtd,
    refuse_grid,
)
from planbook.files.sheetgrid import ZipLook, tab_parts
from planbook.files.othergrids import is_xlsb_sheet, ods_extent, xls_extent, xls_protected, xls_sheets, xlsb_extent

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


#: What each format is called in messages and notes.
FORMAT_NAMES = {"xlsx": "Excel workbook (.xlsx)", "xlsb": "Excel binary workbook (.xlsb)",
                "xls": "Excel 97-2003 workbook (.xls)", "ods": "OpenDocument spreadsheet (.ods)"}
_ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
_SAVE_AS = "open it in Excel or LibreOffice Calc and Save As Excel Workbook (.xlsx), then try again"


def check_workbook_file(path: str | os.PathLike[str], *, grid: bool = True, data: bytes | None = None) -> bytes:
    """Raise :class:`UnusableFileError` with a one-line reason (saying what to do) if ``path`` is
    not a workbook planbook reads — .xlsx/.xlsm, .xlsb, .xls or .ods — or would harm the run
    (see planbook.files.guard); else its bytes (``data``, when the caller has read them with
    :func:`read_workbook_bytes`).  ``grid=False`` skips the look at every cell's position
    (see :func:`load_workbook`)."""
    return _checked(Path(path), grid, data, binary_sheets=grid)[0]


def _checked(p: Path, grid: bool, data: bytes | None, *, binary_sheets: bool) -> tuple[bytes, str, ZipLook | None]:
    """:func:`check_workbook_file`, the format ("xlsx", "xlsb", "xls" or "ods", decided in
    calamine's order), found on the way, and what checking a zip found (None for an .xls);
    ``binary_sheets=False`` leaves out the far-cell scan of a zip's binary (.xlsb) sheet parts,
    for a caller that does it once calamine has said it reads the zip as an .xlsb (see
    :func:`open_workbook`)."""
    if data is None:
        data = read_workbook_bytes(p)
    head = data[:8]
    if not head:
        raise UnusableFileError(p, "empty file (0 bytes)")
    if head == _OLE_MAGIC:
        _check_compound(p, data, grid)
        return data, "xls", None
    if not head.startswith(b"PK"):
        raise UnusableFileError(p, _not_a_workbook(data))
    if not _end_record_agrees(data):
        raise UnusableFileError(p, "corrupt workbook: its zip end record does not fit the file's end, so zip readers "
                                   "would disagree on its contents (open and save it in Excel, then try again)")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
            kind = _zip_kind(zf, names)
            if kind is None:
                if "word/document.xml" in names:
                    raise UnusableFileError(p, "a Word document, not an Excel workbook")
                if "content.xml" in names:
                    raise UnusableFileError(p, "an OpenDocument file that is not a spreadsheet (a text document?): "
                                               "save the plan from LibreOffice Calc or Excel, then try again")
                raise UnusableFileError(p, "a zip file but not an Excel workbook (.xlsx) or OpenDocument "
                                           "spreadsheet (.ods): send the workbook itself, not a zip of it")
            look = check_zip(p, zf, data, grid=grid)  # zip bombs, DTDs, a far cell: refused before a reader inflates them
            _check_other_zip_sheets(p, zf, data, names, grid, binary_sheets)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise UnusableFileError(p, "corrupt or truncated workbook (not a valid .xlsx zip)") from exc
    return data, kind, look


def _zip_kind(zf: zipfile.ZipFile, names: set[str]) -> str | None:
    if "xl/workbook.xml" in names:
        return "xlsx"
    if "xl/workbook.bin" in names:
        return "xlsb"
    if "content.xml" in names and "mimetype" in names:
        try:
            with zf.open("mimetype") as fh:
                if fh.read(len(_ODS_MIMETYPE) + 16).strip() == _ODS_MIMETYPE:
                    return "ods"
        except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, RuntimeError, EOFError):
            return None
    return None


def _reader(pieces: Iterable[bytes]) -> Callable[[int], bytes]:
    """``read(n)`` over a part inflated piece by piece (memory stays flat)."""
    source = iter(pieces)
    buffer = bytearray()

    def read(n: int) -> bytes:
        while len(buffer) < n:
            piece = next(source, b"")
            if not piece:
                break
            buffer.extend(piece)
        out = bytes(buffer[:n])
        del buffer[:n]
        return out

    return read


def _not_a_workbook(data: bytes) -> str:
    """Why a file that is neither a zip nor a compound file is not read, and what to do."""
    text = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<html", b"<!doctype html", b"<table", b"<meta")):
        return f"a web page (HTML) saved with a spreadsheet's name, not a workbook: {_SAVE_AS}"
    if text.startswith(b"<?xml") and b"urn:schemas-microsoft-com:office:spreadsheet" in data[:8192]:
        return f"an Excel 2003 XML spreadsheet, which planbook does not read: {_SAVE_AS}"
    if text.startswith(b"{\\rtf"):
        return f"a Rich Text (RTF) document, not a workbook: {_SAVE_AS}"
    if text.startswith(b"%pdf"):
        return "a PDF, not a workbook: ask for the workbook itself (.xlsx)"
    return f"not an Excel workbook (.xlsx, .xls, .xlsb) or OpenDocument spreadsheet (.ods): {_SAVE_AS}"


def _check_compound(p: Path, data: bytes, grid: bool) -> None:
    """An OLE compound file: an .xls read for its values, checked as calamine will read it (see
    planbook.files.othergrids); anything else in that container said in one line."""
    if _ENCRYPTED in data:
        raise UnusableFileError(p, "password-protected workbook: remove the password in Excel "
                                   "(File > Info > Protect Workbook) and try again")
    try:
        _, stream, offsets = xls_sheets(data)
    except LookupError:
        if "WordDocument".encode("utf-16-le") in data:
            raise UnusableFileError(p, "a Word document, not an Excel workbook") from None
        raise UnusableFileError(p, f"an Office file that is not an Excel workbook: {_SAVE_AS}") from None
    except ValueError as exc:
        raise UnusableFileError(p, f"corrupt Excel 97-2003 (.xls) workbook ({exc}): {_SAVE_AS}") from exc
    if xls_protected(stream):
        raise UnusableFileError(p, "password-protected workbook: remove the password in Excel "
                                   "(File > Info > Protect Workbook) and try again")
    if grid:
        for i, at in enumerate(offsets, start=1):
            rows, cols, reserved = xls_extent(stream, at)
            refuse_grid(p, f"sheet {i}", rows, cols)
            if reserved > MAX_GRID_CELLS:
                raise UnusableFileError(p, f"sheet {i} states a size of {reserved:,} cells, more than "
                                           f"{MAX_GRID_CELLS:,}: {_SAVE_AS}; not read")


def _check_other_zip_sheets(p: Path, zf: zipfile.ZipFile, data: bytes, names: set[str], grid: bool,
                            binary_sheets: bool = True) -> None:
    """The sheets of an .ods (``content.xml``) and of an .xlsb (binary parts) looked at as
    :func:`check_zip` looks at an .xlsx's: a DTD refused, and (``grid``) a cell so far out that
    calamine's grid could not be allocated.  Every zip is looked at for all of them: calamine
    reads a zip it cannot read as one format as the next.  The .ods part is looked at here
    whatever happens (calamine parses it when it opens the file); the binary parts only with
    ``binary_sheets`` (calamine parses them sheet by sheet, after opening)."""
    for name in names:
        if name.lower() == "content.xml":
            info = zf.getinfo(name)
            if grid:
                try:
                    rows, cols = ods_extent(chunks(data, zf, info))
                except ValueError as exc:
                    raise UnusableFileError(p, f"its content cannot be read safely ({exc}): {_SAVE_AS}; "
                                               "not read") from exc
                refuse_grid(p, "a sheet", rows, cols)
            else:
                refuse_dtd(p, name, head_of(zf, info, data))
        elif grid and binary_sheets and is_xlsb_sheet(name):
            _refuse_far_binary_cell(p, zf, data, name)


def _refuse_far_binary_cell(p: Path, zf: zipfile.ZipFile, data: bytes, name: str) -> None:
    rows, cols = xlsb_extent(_reader(chunks(data, zf, zf.getinfo(name))))
    refuse_grid(p, name.rsplit("/", 1)[-1], rows, cols)


def _end_record_agrees(data: bytes) -> bool:
    """Is the zip's last end-of-directory record the file's true end (its comment running
    exactly to the last byte)?  Python's zipfile takes the last such record whatever its comment
    length says; calamine's zip reader skips one whose length does not fit and falls back to an
    earlier one: a file built so the two disagree would be checked here and read there."""
    at = data.rfind(b"PK\x05\x06", max(0, len(data) - (22 + 0xFFFF)))
    if at < 0:
        return True  # no end record at all: a truncated file, which zipfile reports as such
    return int.from_bytes(data[at + 20:at + 22], "little") == len(data) - at - 22


#: What calamine may raise on a damaged file: its own errors, and a Rust panic (pyo3's
#: PanicException, a BaseException) on input its parsers did not expect.  Never Ctrl-C.
_READER_FAILED = BaseException


def _reader_failed(exc: BaseException) -> bool:
    return isinstance(exc, Exception) or type(exc).__name__ == "PanicException"


def open_workbook(path: str | os.PathLike[str], *, grid: bool = True, data: bytes | None = None):
    """calamine's workbook for ``path``, after :func:`check_workbook_file`: the one way planbook
    opens a workbook it reads.  calamine reads the very bytes that were checked (a file replaced
    in between — a sync client, a lead saving again — cannot slip past the checks)."""
    return _open(Path(path), grid, data)[0]


def _open(path: Path, grid: bool, data: bytes | None) -> tuple[object, str, ZipLook | None]:
    """:func:`open_workbook`, the workbook's format and what checking it found (see :func:`_checked`)."""
    data, kind, look = _checked(path, grid, data, binary_sheets=False)
    try:
        wb = _calamine(path, data)
    except UnusableFileError as exc:
        if kind != "ods":
            raise
        raise UnusableFileError(path, "an OpenDocument spreadsheet the reader cannot read as it is (written by "
                                      "another program, such as Gnumeric): open it in LibreOffice Calc or Excel, "
                                      f"save it as .xlsx, then try again ({exc.reason})") from exc
    if grid and data[:2] == b"PK" and not _read_as_xlsx(wb):
        _check_binary_sheets(path, data)  # calamine took the zip for an .xlsb: its sheets not parsed yet
    return wb, kind, look


def _calamine(path: Path, data: bytes):
    """calamine's workbook of bytes :func:`open_workbook` has checked."""
    from python_calamine import CalamineWorkbook

    try:
        return CalamineWorkbook.from_filelike(io.BytesIO(data))
    except _READER_FAILED as exc:  # calamine raises its own error types for damaged parts
        if not _reader_failed(exc):
            raise
        raise UnusableFileError(path, f"corrupt workbook ({type(exc).__name__}: {(str(exc).splitlines() or [''])[0][:120]})"
                                ) from exc


def _read_as_xlsx(wb) -> bool:
    """Did calamine open this workbook as an .xlsx?  Only its .xlsx reader has tables: asked
    for them, it says they were not loaded; every other format says it has none.  Anything
    else is taken as "not sure" (the binary sheets are then looked at)."""
    try:
        tables = wb.table_names  # a property in python-calamine 0.9 (a method in some versions)
        if callable(tables):
            tables()
    except _READER_FAILED as exc:
        if not _reader_failed(exc):
            raise
        return type(exc).__name__ == "TablesNotLoaded"
    return True


def _check_binary_sheets(p: Path, data: bytes) -> None:
    """The far-cell scan of a zip's binary sheet parts (:func:`_check_other_zip_sheets`)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            for name in zf.namelist():
                if is_xlsb_sheet(name):
                    _refuse_far_binary_cell(p, zf, data, name)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise UnusableFileError(p, "corrupt or truncated workbook (not a valid .xlsx zip)") from exc


def _parse_sheet(wb, name: str, path: Path):
    try:
        return wb.get_sheet_by_name(name)
    except _READER_FAILED as exc:
        if not _reader_failed(exc):
            raise
        detail = (str(exc).splitlines() or [""])[0][:120]
        raise UnusableFileError(path, f"sheet {name!r} cannot be read ({type(exc).__name__}"
                                      + (f": {detail})" if detail else ")")) from exc


@dataclass
class LoadedWorkbook:
    """A workbook read from disk: every sheet parsed by calamine."""

    path: Path
    names: list[str]
    parsed: dict[str, object]  # sheet name -> calamine's parsed sheet
    kind: str = "xlsx"  # the file's format: "xlsx", "xlsb", "xls" or "ods" (see _checked)
    #: The file's bytes as checked and parsed (what else is read of it — notes — is read from these).
    data: bytes = field(default=b"", repr=False)
    #: What checking the bytes found (which parts are which tab's; see planbook.files.sheetgrid.ZipLook).
    look: ZipLook | None = field(default=None, repr=False)
    #: cells :meth:`rows` cleaned: (sheet, row, col, code, what was wrong, the text as it was)
    cleaned: list[tuple[str, int, int, str, str, str]] = field(default_factory=list)

    def rows(self, name: str, *, clean: bool = True) -> list[list[object]]:
        """A sheet's cells as Python values, row by row (made when asked for), with text XML
        cannot hold cleaned (see planbook.core.text; each such cell is noted in ``cleaned``).
        ``clean=False`` leaves that to the caller (the lead tabs: :func:`_read_rows` checks
        each row as it reads it, which costs less than a pass of its own)."""
        try:
            rows = self.parsed[name].to_python(skip_empty_area=False)
        except _READER_FAILED as exc:
            if not _reader_failed(exc):
                raise
            raise UnusableFileError(self.path, f"sheet {name!r} cannot be read ({type(exc).__name__})") from exc
        if clean:
            self.note_cleaned(name, 0, rows)
        return rows

    def note_cleaned(self, name: str, first: int, rows: list[list[object]]) -> None:
        """Clean ``rows`` (sheet rows ``first`` onward) in place, noting each cell changed."""
        self.cleaned += [(name, first + r, *change) for r, *change in clean_rows(rows)]


def load_workbook(path: str | os.PathLike[str], *, grid: bool = True, data: bytes | None = None,
                  only: Callable[[str], bool] | None = None) -> LoadedWorkbook:
    """Open and parse a workbook: the slow, file-bound half of :func:`read_plan`.

    Parsing runs in calamine's native code without holding Python's lock, so a consolidation
    parses the next files on other threads while this one turns rows into actions (making
    Python values needs the lock, so :meth:`LoadedWorkbook.rows` is left to the reader).
    Raises :class:`UnusableFileError` as :func:`read_plan` does.  ``grid=False`` skips the check
    that no cell lies so far out that calamine's grid could not be allocated (calamine aborts the
    process then): only for a process whose crash costs nothing (see planbook.rollup.consolidate).
    ``only`` parses only the sheets it says yes to (``names`` still lists them all).
    """
    p = Path(path)
    if data is None:
        data = read_workbook_bytes(p)
    wb, kind, look = _open(p, grid, data)
    names = list(wb.sheet_names)
    parsed = _parse_sheets(wb, [n for n in names if only is None or only(n)], p, data)
    for name, sheet in parsed.items():  # what calamine made: the same limit, whether checked before or not
        end = sheet.end
        if end:
            refuse_grid(p, f"tab {name!r}", end[0] + 1, end[1] + 1)
    return LoadedWorkbook(p, names, parsed, kind=kind, data=data, look=look)


#: From this size a workbook's largest sheet (a master's year of History) is parsed on a thread
#: of its own while the other sheets are parsed here: calamine parses without Python's lock.
PARSE_APART_FROM = 4 << 20


def _parse_sheets(wb, names: list[str], p: Path, data: bytes) -> dict[str, object]:
    """Every sheet of ``wb`` parsed, in ``names`` order (see :data:`PARSE_APART_FROM`)."""
    apart = _largest_sheet(data, names) if len(data) >= PARSE_APART_FROM else None
    if apart is None:
        return {name: _parse_sheet(wb, name, p) for name in names}
    done: dict[str, object] = {}

    def parse_apart() -> None:
        try:  # a workbook object of its own: calamine parses one sheet at a time in each
            done[apart] = _parse_sheet(_calamine(p, data), apart, p)  # the bytes open_workbook checked
        except BaseException as exc:  # noqa: BLE001 - raised again below, in the caller's thread
            done[apart] = exc

    thread = threading.Thread(target=parse_apart, daemon=True)
    thread.start()
    try:
        parsed = {name: _parse_sheet(wb, name, p) for name in names if name != apart}
    finally:
        thread.join()
    if isinstance(done.get(apart), BaseException):
        raise done[apart]
    return {name: done[name] if name == apart else parsed[name] for name in names}


def _largest_sheet(data: bytes, names: list[str]) -> str | None:
    """The tab of an .xlsx whose sheet part is the largest, if it is over half the workbook's
    sheets (else None: nothing is gained by parsing it apart)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            sizes = {n: i.file_size for n, i in ((i.filename, i) for i in zf.infolist())}
            parts = tab_parts(sizes, zf.read)
    except (*DAMAGED, KeyError):  # a damaged part the checks did not need (calamine may never read it)
        return None  # parsed here, one sheet after another; what is wrong is said as for any file
    by_tab = {tab: sum(sizes.get(m, 0) for m in members) for tab, members in parts.items() if tab in names}
    if len(by_tab) < 2:
        return None
    tab = max(by_tab, key=by_tab.__getitem__)
    return tab if by_tab[tab] * 2 > sum(by_tab.values()) else None


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
