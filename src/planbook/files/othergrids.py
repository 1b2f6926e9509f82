"""How big a grid calamine makes of each sheet of an .ods, .xlsb or .xls workbook, found before
calamine parses it (planbook.files.sheetgrid does the same for .xlsx).

calamine allocates one slot for every cell of the rectangle from the sheet's first to its
farthest cell with a value; a cell placed at the far corner of a sheet makes that billions of
slots, and the failed allocation aborts the process.  Each format places cells its own way:

* **.ods** (``content.xml``): a row or cell may stand for many (``number-rows-repeated``,
  ``number-columns-repeated``); calamine caps rows at 1,048,576 and columns at 16,384 and
  counts a repeated cell with a value (or formula) every time it repeats;
* **.xlsb** (``xl/worksheets/*.bin`` and the other sheet folders): binary records, a row
  header (``BrtRowHdr``) then cells whose first field is the column (32 bits);
* **.xls** (the ``Workbook`` stream of a compound file): BIFF records from each sheet's
  ``BoundSheet8`` offset to its EOF; cells give a 16-bit row and column, and the sheet's
  ``Dimensions`` record makes calamine reserve rows x columns slots up front.

Every function returns an upper bound (rows, columns) for the sheet with the largest grid, or
raises ValueError when the part cannot be read safely (XML that is not well-formed or declares a
DTD, a BIFF offset outside the stream).
"""
from __future__ import annotations

import struct
from collections.abc import Callable, Iterable, Iterator

from planbook.files.cfb import CompoundFile
from planbook.files.sheetgrid import parse_guarded

#: The streams calamine looks for in an .xls, in its order.
XLS_STREAMS = ("Workbook", "Book", "WORKBOOK", "BOOK")


# ---------------------------------------------------------------- .ods

_ODS_ROWS, _ODS_COLS = 1_048_576, 16_384  # calamine's caps
_VALUED = ("office:value", "office:string-value", "office:date-value", "office:time-value",
           "office:boolean-value", "office:value-type", "table:formula")


def ods_extent(pieces: Iterable[bytes]) -> tuple[int, int]:
    """Rows x columns of the largest grid calamine makes of a ``content.xml`` (given in pieces),
    repeats counted.  Read with expat, no entity expanded; a DTD is refused."""
    state = _OdsTables()
    parse_guarded(pieces, state)
    return state.largest


class _OdsTables:
    """expat's handlers: each table's rows and cells as calamine counts them."""

    def __init__(self) -> None:
        self.largest = (0, 0)
        self.rows = self.far_row = self.far_col = 0  # in the table being read
        self.col = 0  # the next cell's column in the row being read
        self.repeat = 1  # the row being read stands for this many
        self.row_far = -1  # the row's farthest column with a value (-1: none)
        self.cell: tuple[int, int] | None = None  # (first column, repeats) of the cell being read
        self.depth = 0  # elements open inside that cell
        self.valued = False

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if self.cell is not None:
            self.depth += 1
            self.valued = True  # a paragraph or anything else inside a cell: counted as a value
            return
        if name == "table:table":
            self.rows = self.far_row = self.far_col = 0
        elif name == "table:table-row":
            self.repeat = min(_count(attrs.get("table:number-rows-repeated")), max(_ODS_ROWS - self.rows, 0))
            self.col, self.row_far = 0, -1
        elif name in ("table:table-cell", "table:covered-table-cell"):
            repeat = min(_count(attrs.get("table:number-columns-repeated")), max(_ODS_COLS - self.col, 0))
            self.cell, self.depth = (self.col, repeat), 0
            self.valued = any(key in attrs for key in _VALUED)

    def text(self, data: str) -> None:
        if self.cell is not None and data.strip():
            self.valued = True

    def end(self, name: str) -> None:
        if self.cell is not None and self.depth:
            self.depth -= 1
            return
        if self.cell is not None:
            first, repeat = self.cell
            if self.valued and repeat:
                self.row_far = max(self.row_far, first + repeat - 1)
            self.col = first + repeat
            self.cell = None
        elif name == "table:table-row":
            self.rows += self.repeat
            if self.row_far >= 0:
                self.far_row, self.far_col = self.rows, max(self.far_col, self.row_far + 1)
        elif name == "table:table":
            size = (self.far_row, self.far_col)
            if size[0] * size[1] > self.largest[0] * self.largest[1]:
                self.largest = size


def _count(value: str | None) -> int:
    """A repeat count as calamine parses it (a count it cannot parse stops its reading: 1 here)."""
    try:
        return max(int(value), 0) if value is not None else 1
    except ValueError:
        return 1


# ---------------------------------------------------------------- .xlsb

_XLSB_CELLS = frozenset(range(2, 12))  # BrtCellRk .. BrtFmlaError (a blank, 1, is not placed)


def xlsb_records(read: Callable[[int], bytes]) -> Iterator[tuple[int, bytes]]:
    """(type, body) of each record of a binary part, ``read(n)`` giving its next n bytes (fewer
    at its end).  Types and lengths are read as calamine reads them."""
    while True:
        b = read(1)
        if not b:
            return
        typ = b[0]
        if typ & 0x80:
            more = read(1)
            if not more:
                return
            typ = (typ & 0x7F) + ((more[0] & 0x7F) << 7)
        b = read(1)
        if not b:
            return
        length = b[0] & 0x7F
        for i in range(1, 4):
            if not b[0] & 0x80:
                break
            b = read(1)
            if not b:
                return
            length += (b[0] & 0x7F) << (7 * i)
        body = read(length)
        if len(body) < length:
            return
        yield typ, body


def xlsb_extent(read: Callable[[int], bytes]) -> tuple[int, int]:
    """Rows x columns of the grid calamine makes of one .xlsb sheet part (``read`` as for
    :func:`xlsb_records`): the farthest cell record, counted from A1."""
    row = far_row = far_col = -1
    for typ, body in xlsb_records(read):
        if typ == 0x0000 and len(body) >= 4:  # BrtRowHdr
            row = struct.unpack_from("<I", body)[0]
            if row > 0x100000:  # calamine stops reading the sheet here
                break
        elif typ in _XLSB_CELLS and len(body) >= 4:
            far_row, far_col = max(far_row, row), max(far_col, struct.unpack_from("<I", body)[0])
        elif typ == 0x0092:  # BrtEndSheetData
            break
    return (far_row + 1, far_col + 1) if far_col >= 0 else (0, 0)


def is_xlsb_sheet(name: str) -> bool:
    """Is this zip member one calamine may read as an .xlsb sheet (it reads ``xl/`` + a target
    whose first folder is one of the sheet folders, whatever the relationship says)?"""
    key = name.replace("\\", "/").lower()
    return key.startswith(("xl/worksheets/", "xl/chartsheets/", "xl/dialogsheets/")) and "/_rels/" not in key


# ---------------------------------------------------------------- .xls

#: BIFF records holding one cell: row then column, 16 bits each, first in the record.
_BIFF_CELLS = frozenset((0x0203, 0x0204, 0x00D6, 0x0205, 0x027E, 0x00FD, 0x0006))
_MULRK, _DIMENSIONS, _BOUNDSHEET, _EOF, _CONTINUE = 0x00BD, 0x0200, 0x0085, 0x000A, 0x003C
_U32 = 0xFFFFFFFF


def _biff_records(stream: bytes, at: int) -> Iterator[tuple[int, bytes]]:
    """(type, body) of each BIFF record from offset ``at`` (CONTINUE records folded into the one
    before, as calamine does), to the end of the stream or the first record that does not fit."""
    end = len(stream)
    while at + 4 <= end:
        typ, length = struct.unpack_from("<HH", stream, at)
        if at + 4 + length > end:
            return
        body = stream[at + 4:at + 4 + length]
        at += 4 + length
        while at + 4 < end and struct.unpack_from("<H", stream, at)[0] == _CONTINUE:
            more = struct.unpack_from("<H", stream, at + 2)[0]
            if at + 4 + more > end:
                return
            at += 4 + more
        yield typ, body


def _reserved(body: bytes) -> int:
    """The slots calamine reserves for a sheet's Dimensions record (its own arithmetic: 32-bit
    rows and columns, wrapping)."""
    if len(body) == 10:
        rf, rl, cf, cl = struct.unpack_from("<4H", body)
    elif len(body) == 14:
        rf, rl, cf, cl = struct.unpack_from("<IIHH", body)
    else:
        return 0
    if cf > 0xFF or cl < cf:
        cf = 0
    if rl >= 1 and cl >= 1:
        rows, cols = ((rl - 1) - rf + 1) & _U32, ((cl - 1) - cf + 1) & _U32
    else:
        rows = cols = 1
    return rows * cols


def xls_sheets(data: bytes) -> tuple[str, bytes, list[int]]:
    """The workbook stream calamine reads (its name and bytes) and each sheet's offset in it.
    Raises ValueError for a compound file that is not an Excel workbook or cannot be read safely
    (see planbook.files.cfb); LookupError if it holds no workbook stream (the caller says what it is)."""
    found = CompoundFile(data).stream(XLS_STREAMS)
    if found is None:
        raise LookupError("no workbook stream")
    name, stream = found
    offsets = []
    for typ, body in _biff_records(stream, 0):
        if typ == _BOUNDSHEET and len(body) >= 4:
            at = struct.unpack_from("<I", body)[0]
            if at > len(stream):
                raise ValueError(f"a sheet's offset ({at:,}) lies past the end of the workbook stream")
            offsets.append(at)
        elif typ == _EOF:
            break
    return name, stream, offsets


#: BIFF error codes, as Excel shows them.
_BIFF_ERRORS = {0x00: "#NULL!", 0x07: "#DIV/0!", 0x0F: "#VALUE!", 0x17: "#REF!", 0x1D: "#NAME?", 0x24: "#NUM!",
                0x2A: "#N/A", 0x2B: "#GETTING_DATA"}
_FORMULA, _BOOLERR, _BOF = 0x0006, 0x0205, 0x0809


def xls_error_cells(data: bytes, sheet: str) -> dict[tuple[int, int], str]:
    """(row, column), 0-based -> the error it shows ("#REF!"), for each error cell of the sheet
    named ``sheet`` of an .xls (a BoolErr record holding an error, or a formula whose result is
    one): calamine reads them as blank.  {} for a file or sheet that cannot be read so."""
    try:
        _, stream, _ = xls_sheets(data)
    except (LookupError, ValueError):
        return {}
    at, biff8 = None, True
    for typ, body in _biff_records(stream, 0):
        if typ == _BOF and len(body) >= 2:
            biff8 = struct.unpack_from("<H", body)[0] >= 0x0600  # BIFF5/7 (Excel 5.0/95) is 0x0500
        elif typ == _BOUNDSHEET and len(body) >= 7 and _sheet_name(body, biff8) == sheet:
            at = struct.unpack_from("<I", body)[0]
            break
        if typ == _EOF:
            break
    if at is None:
        return {}
    found: dict[tuple[int, int], str] = {}
    for typ, body in _biff_records(stream, at):
        if typ == _BOOLERR and len(body) >= 8 and body[7] == 1:
            row, col = struct.unpack_from("<HH", body)
            found[(row, col)] = _BIFF_ERRORS.get(body[6], "#VALUE!")
        elif typ == _FORMULA and len(body) >= 14 and body[12:14] == b"\xff\xff" and body[6] == 2:
            row, col = struct.unpack_from("<HH", body)
            found[(row, col)] = _BIFF_ERRORS.get(body[8], "#VALUE!")
        elif typ == _EOF:
            break
    return found


def _sheet_name(body: bytes, biff8: bool = True) -> str | None:
    """A BoundSheet record's sheet name (None if it cannot be read): in BIFF8 a count, a flag
    byte and the name (UTF-16, or one byte a character); in BIFF5/7 a count and the name in the
    workbook's code page (Windows-1252 taken)."""
    count = body[6]
    if not biff8:
        return body[7:7 + count].decode("cp1252", errors="replace")
    if len(body) < 8:
        return None
    wide = body[7] & 1
    raw = body[8:8 + count * (2 if wide else 1)]
    try:
        return raw.decode("utf-16-le" if wide else "latin-1")
    except UnicodeDecodeError:
        return None


def xls_protected(stream: bytes) -> bool:
    """Does the workbook stream's globals hold a FilePass record (a password to open)?"""
    for typ, body in _biff_records(stream, 0):
        if typ == 0x002F and len(body) >= 2 and struct.unpack_from("<H", body)[0] != 0:
            return True
        if typ == _EOF:
            return False
    return False


def xls_extent(stream: bytes, at: int) -> tuple[int, int, int]:
    """(rows, columns, slots reserved) for the sheet at offset ``at`` of a workbook stream: the
    farthest cell counted from A1, and what its Dimensions record makes calamine reserve."""
    far_row = far_col = -1
    reserved = 0
    for typ, body in _biff_records(stream, at):
        if typ in _BIFF_CELLS and len(body) >= 4:
            row, col = struct.unpack_from("<HH", body)
        elif typ == _MULRK and len(body) >= 6:
            row, col = struct.unpack_from("<H", body)[0], struct.unpack_from("<H", body, len(body) - 2)[0]
        else:
            if typ == _DIMENSIONS:
                reserved = max(reserved, _reserved(body))
            elif typ == _EOF:
                break
            continue
        far_row, far_col = max(far_row, row), max(far_col, col)
    return (far_row + 1, far_col + 1, reserved) if far_col >= 0 else (0, 0, reserved)
