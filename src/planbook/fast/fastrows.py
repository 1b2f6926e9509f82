"""Stream many data rows into sheets of an XlsxWriter-written workbook, fast.

XlsxWriter writes each sheet's structure — header row, column widths and styles, frozen
panes, autofilter, conditional formats — plus one *probe row* holding a blank cell in each
column's style.  :func:`splice_rows` then copies the workbook, replacing each named sheet's
probe row with the real rows written directly as SpreadsheetML (inline strings, numbers,
dates as serials), streamed into the zip so memory stays flat however many rows there are.
XlsxWriter's general per-cell path costs several microseconds a cell; this costs well under one.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import json
import os
import re
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import BinaryIO

from planbook.core.names import col_letter
from planbook.fast import parallel

try:  # ISA-L's deflate: four times quicker than zlib's at level 1, and its output a little smaller
    from isal import isal_zlib as _deflate
except ImportError:  # a platform without its wheel: zlib writes the same format
    _deflate = zlib

_EPOCH = dt.date(1899, 12, 30)
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_LITERAL_ESCAPE = re.compile("_(x[0-9A-Fa-f]{4}_)")  # text that Excel would read as an escape
_STYLE = re.compile(r'<c r="([A-Z]+)2"(?: s="(\d+)")?/>')

Row = Sequence[object]


def _letters(n: int) -> list[str]:

    return [col_letter(i) for i in range(n)]


def _escape(text: str) -> str:
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if "_x" in text:
        text = _LITERAL_ESCAPE.sub(r"_x005F_\1", text)
    if "\r" in text:  # XML readers turn a raw CR into LF; Excel's escape keeps it (as XlsxWriter writes it)
        text = text.replace("\r", "_x000D_")
    if not text.isprintable() and _ILLEGAL.search(text):  # isprintable: a fast pass for ordinary text
        text = _ILLEGAL.sub(_illegal, text)
    return text


def _illegal(m: re.Match) -> str:
    """A character XML cannot hold, as Excel's escape (a lone surrogate, which no file can
    hold even escaped, as U+FFFD)."""
    ch = m.group()
    return "\ufffd" if "\ud800" <= ch <= "\udfff" else f"_x{ord(ch):04X}_"


class Blank:
    """A blank cell written all the same, with its column's style (:data:`BLANK`) or its own
    (``Blank(' s="7"')``): a cell a person may type in on a protected sheet, whatever a reader
    makes of a column's style."""

    __slots__ = ("style",)

    def __init__(self, style: str | None = None) -> None:
        self.style = style


BLANK = Blank()


def _cell_xml(ref: str, s: str, v: object, date_style: str) -> str:
    """One cell of any type (the general path; see :func:`_rows_xml` for the common ones);
    ``date_style`` is the style of a date in this column."""
    if v.__class__ is Blank:
        return f'<c r="{ref}"{s if v.style is None else v.style}/>'
    if isinstance(v, str):
        return f'<c r="{ref}"{s} t="inlineStr"><is><t xml:space="preserve">{_escape(v)}</t></is></c>'
    if isinstance(v, bool):
        return f'<c r="{ref}"{s} t="b"><v>{int(v)}</v></c>'
    if isinstance(v, (int, float)):
        return f'<c r="{ref}"{s}><v>{v!r}</v></c>'
    if isinstance(v, dt.datetime):
        serial = (v.date() - _EPOCH).days + (v.hour * 3600 + v.minute * 60 + v.second) / 86400
        return f'<c r="{ref}"{date_style}><v>{serial!r}</v></c>'
    if isinstance(v, dt.date):
        return f'<c r="{ref}"{date_style}><v>{(v - _EPOCH).days}</v></c>'
    return f'<c r="{ref}"{s} t="inlineStr"><is><t xml:space="preserve">{_escape(str(v))}</t></is></c>'


def _rows_xml(rows: Iterable[Row], width: int, styles: list[str], first_row: int,
              date_style: str = "", heights: RowHeight | None = None, dates_apart: bool = False) -> Iterable[str]:
    """Each row as SpreadsheetML.

    Run once per cell of every big sheet, so it is lean: the common types (text, numbers,
    dates) are formatted inline from per-column prefixes, blank cells (None, "") are left out,
    and escaping is skipped for rows whose texts, taken together, contain nothing to escape
    (nearly all of them); a :class:`Blank` is written as a styled empty cell.  Every cell
    carries its ``r`` reference: optional in the schema, but Gnumeric drops the cells of rows
    without them.
    ``heights`` gives each row's extra ``<row>`` attributes (its height:
    ``' ht="47" customHeight="1"'``, or "").  A date takes its column's style, or ``date_style``
    in a column with none; with ``dates_apart``, ``date_style`` in every column (a column of
    text and dates, such as a plan's Due).
    """
    cols = _letters(width)
    opens = [f'<c r="{c}' for c in cols]
    text_mid = [f'"{s} t="inlineStr"><is><t xml:space="preserve">' for s in styles]
    num_mid = [f'"{s}><v>' for s in styles]
    dated = [date_style if dates_apart else (s or date_style) for s in styles]  # each column's style of a date
    date_mid = [f'"{s}><v>' for s in dated]
    epoch = _EPOCH.toordinal()
    for r, row in enumerate(rows, start=first_row):
        rs = str(r)
        parts = []
        add = parts.append
        texts = []
        keep = texts.append
        for c, v in enumerate(row):
            t = type(v)
            if t is str:
                if v:
                    add(f"{opens[c]}{rs}{text_mid[c]}{v}</t></is></c>")
                    keep(v)
            elif v is None:
                continue
            elif t is Blank:
                add(f'{opens[c]}{rs}"{styles[c] if v.style is None else v.style}/>')
            elif t is int or t is float:
                add(f"{opens[c]}{rs}{num_mid[c]}{v!r}</v></c>")
            elif t is dt.date:
                add(f"{opens[c]}{rs}{date_mid[c]}{v.toordinal() - epoch}</v></c>")
            else:
                add(_cell_xml(f"{cols[c]}{rs}", styles[c], v, dated[c]))
        body = "".join(parts)
        if not _plain("".join(texts)):  # rare: a text needs escaping
            body = "".join([_cell_xml(f"{cols[c]}{rs}", styles[c], v, dated[c])
                            for c, v in enumerate(row) if v is not None and v != ""])
        yield f'<row r="{rs}"{heights(row) if heights else ""}>{body}</row>'


#: ASCII characters a text must not hold unescaped in XML ("_x" is looked for apart).
_ASCII_ESCAPED = bytes(b for b in range(32) if b not in (9, 10)) + b"&<>"


def _plain(text: str) -> bool:
    """True if ``text`` needs no XML escaping (checked once for a whole row's texts; ASCII
    text, nearly all, in a few quick C calls)."""
    if "_x" in text:
        return False
    if text.isascii():
        data = text.encode("ascii")
        return len(data.translate(None, _ASCII_ESCAPED)) == len(data)
    return not ("&" in text or "<" in text or ">" in text
                or (not text.isprintable() and ("\r" in text or _ILLEGAL.search(text))))


RowHeight = Callable[[Row], str]  #: a row -> its <row> element's height attributes, or ""
RowSource = Callable[[int, int], Iterable[Row]]  #: (start, stop) -> rows[start:stop]
#: (column count, row count, rows, date column[, row heights[, dates apart]]): see :func:`splice_rows`.
SheetRows = tuple  # tuple[int, int, RowSource, int | None] or with a RowHeight after them
Styles = tuple[list[str], str]  #: each column's style attribute (' s="3"' or ""), and the date style
Segment = tuple[int, int, int, int]  #: (offset in its part file, deflated length, crc32, XML length)

#: Deflate level for the streamed sheets: level 1 is several times quicker than zlib's default
#: and the files are barely larger (cell XML is very repetitive).  ISA-L's levels run 0-3.
_LEVEL = 1


#: Rows in a piece of a shared sheet: the two processes take pieces in turn (see
#: :class:`RowsChild`), so the smaller a piece, the closer together they finish; each piece is
#: deflated on its own, which costs a few bytes and a fresh compressor.
PIECE_ROWS = 1000

Piece = tuple[int, int, int]  #: (sheet, first row, row after the last), rows counted from 0


class RowsChild:
    """The rows of some sheets, cut into pieces that a forked child and this process take in
    turn (see :func:`rows_child`): the child starts while the workbook around them is still
    being made, and this process joins in once it has made it."""

    def __init__(self, sheets: dict[int, SheetRows], styles: dict[int, Styles], work: str,
                 piece_rows: int = PIECE_ROWS) -> None:
        self.sheets = sheets
        self.styles = styles
        self.part = os.path.join(work, "child")
        self.pieces: list[Piece] = [(i, start, min(start + piece_rows, sheets[i][1]))
                                    for i in sorted(sheets) for start in range(0, sheets[i][1], piece_rows)]
        self.tickets = parallel.Tickets(len(self.pieces))
        self._child = parallel.in_child(lambda: _save_index(self.part, self._deflate_taken(self.part, self.styles)))

    def _deflate_taken(self, part: str, styles: dict[int, Styles]) -> dict[int, Segment]:
        """Each piece not yet taken, taken and deflated onto ``part``, until none is left."""
        done: dict[int, Segment] = {}
        with open(part, "ab") as out:
            while (k := self.tickets.take()) is not None:
                i, start, stop = self.pieces[k]
                done[k] = _deflate_into(out, _rows_chunks(self.sheets[i], start, stop, styles[i]), final=False)
        return done

    def take_pieces(self, part: str, found: dict[int, Styles]) -> dict[int, tuple[str, Segment]]:
        """This process's turn: pieces taken until none is left, then the child's, waited for
        (redone here if it failed or assumed other styles than the workbook's, ``found``).
        Every piece: the file its rows were deflated onto, and where."""
        mine = self._deflate_taken(part, found)
        done = self._child.wait()
        theirs = _load_index(self.part) if done and all(found[i] == self.styles[i] for i in self.sheets) else {}
        pieces = {k: (self.part, seg) for k, seg in theirs.items()}
        pieces.update((k, (part, seg)) for k, seg in mine.items())
        missing = [k for k in range(len(self.pieces)) if k not in pieces]
        if missing:
            with open(part, "ab") as out:
                for k in missing:
                    i, start, stop = self.pieces[k]
                    rows = _rows_chunks(self.sheets[i], start, stop, found[i])
                    pieces[k] = part, _deflate_into(out, rows, final=False)
        return pieces


@contextlib.contextmanager
def rows_child(sheets: dict[int, SheetRows], styles: dict[int, Styles], near: str | os.PathLike[str], *,
               piece_rows: int = PIECE_ROWS) -> Iterator[RowsChild]:
    """Start a forked child writing the rows of each sheet ``i`` of ``sheets``, piece by piece,
    in the column ``styles`` given, before the workbook exists; pass it to :func:`splice_rows`,
    where this process takes the pieces left.  Its temporary files go in a folder next to
    ``near`` and are removed on exit."""
    near = os.fspath(near)
    with tempfile.TemporaryDirectory(prefix=os.path.basename(near) + ".parts-", dir=os.path.dirname(near) or ".") as work:
        child = None
        try:
            child = RowsChild(sheets, styles, work, piece_rows)
            yield child
        except BaseException:
            if child is not None:
                child._child.stop()  # interrupted or failed: its rows are not wanted; stop it at once
            raise
        finally:
            if child is not None:
                child._child.wait()  # never leave it writing into a folder being removed


def splice_rows(path: str | os.PathLike[str], sheets: dict[int, SheetRows], *, child: RowsChild | None = None) -> None:
    """Replace the probe row (row 2) of each sheet with real rows, in place.

    ``sheets`` maps a 1-based sheet index (XlsxWriter's ``xl/worksheets/sheet{N}.xml``) to
    (column count, row count, a function giving rows[start:stop], date column), optionally
    followed by a function giving each row's height attributes (or None) and whether every
    date takes the date column's style.  Rows start at sheet row 2.  A date in a column whose
    probe cell has no style (a user's extra column), or in any column when dates are apart,
    takes the style of the probe cell in the date column, so it shows as a date.

    With ``child`` (:func:`rows_child`), its sheets' rows are written in pieces by the child
    and this process, each taking the next piece free.  Each piece is deflated on its own and
    the pieces joined into one member: a deflate stream cut at a flush point carries on in
    another compressor's output, and the CRCs combine.  Every sheet is deflated before its
    member is added, so its local header holds its real sizes, and uses ZIP64 only when they
    pass 4 GiB (as the central directory does): some readers refuse a ZIP64 header on a
    smaller member.
    """
    src = os.fspath(path)
    tmp = src + ".splice"
    try:
        _splice(src, tmp, sheets, child)
        shutil.move(tmp, src)
    finally:  # failed or interrupted: no half-made copy stays behind
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def _splice(src: str, tmp: str, sheets: dict[int, SheetRows], child: RowsChild | None) -> None:
    shared = child.sheets if child is not None else {}
    with contextlib.ExitStack() as stack:
        work = os.path.dirname(child.part) if child is not None else \
            stack.enter_context(tempfile.TemporaryDirectory(prefix=".planbook-", dir=os.path.dirname(src) or "."))
        zin = stack.enter_context(zipfile.ZipFile(src))
        zout = stack.enter_context(zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=_LEVEL))
        for info in zin.infolist():
            index = _sheet_index(info.filename)
            if index not in sheets:
                zout.writestr(info, zin.read(info.filename))
            elif index not in shared:
                _write_sheet(zout, zin, info, sheets[index], os.path.join(work, "sheet"))
        if shared:
            names = {i: f"xl/worksheets/sheet{i}.xml" for i in shared}
            shells = {i: _shell(zin.read(names[i]), *sheets[i][:2], sheets[i][3]) for i in shared}
            my_part = os.path.join(work, "parent")
            ends: dict[int, tuple[Segment, Segment]] = {}  # each sheet's head (to its header row) and tail
            with open(my_part, "wb") as out:
                for i in shared:
                    head, tail, _ = shells[i]
                    ends[i] = _deflate_into(out, [head], final=False), _deflate_into(out, [tail], final=True)
            pieces = child.take_pieces(my_part, {i: shells[i][2] for i in shared})
            for i, (head, tail) in ends.items():
                rows = [pieces[k] for k, piece in enumerate(child.pieces) if piece[0] == i]
                _add_deflated(zout, zin.getinfo(names[i]), [(my_part, head), *rows, (my_part, tail)])


def _shell(skeleton: bytes, width: int, nrows: int, date_col: int | None) -> tuple[bytes, bytes, Styles]:
    """A sheet's XML before its data rows (to the header row) and after them, and the styles
    of its probe row's cells (the date style for dates in unstyled columns)."""
    xml = skeleton.decode("utf-8")
    xml = re.sub(r'<dimension ref="[^"]*"/>', f'<dimension ref="A1:{_letters(width)[-1]}{nrows + 1}"/>', xml, count=1)
    head, rest = xml.split("<sheetData>", 1)
    data, tail = rest.split("</sheetData>", 1)
    header_end = data.index("</row>") + len("</row>")
    header, probe = data[:header_end], data[header_end:]
    found = dict(_STYLE.findall(probe))
    styles = [f' s="{found[c]}"' if found.get(c) else "" for c in _letters(width)]
    date_style = styles[date_col] if date_col is not None else ""
    return f"{head}<sheetData>{header}".encode("utf-8"), f"</sheetData>{tail}".encode("utf-8"), (styles, date_style)


def _rows_chunks(spec: SheetRows, start: int, stop: int, styles: Styles) -> Iterable[bytes]:
    """rows[start:stop] of a sheet as XML, in chunks of a couple of thousand rows.  Each row is
    encoded on its own: one character past ASCII (a dash in a Due) would make a whole chunk's
    text wide, and encoding it twice as slow."""
    width, make_rows, heights = spec[0], spec[2], spec[4] if len(spec) > 4 else None
    dates_apart = len(spec) > 5 and spec[5]
    buffer: list[bytes] = []
    for row_xml in _rows_xml(make_rows(start, stop), width, styles[0], start + 2, styles[1], heights, dates_apart):
        buffer.append(row_xml.encode("utf-8"))
        if len(buffer) >= 2000:
            yield b"".join(buffer)
            buffer.clear()
    yield b"".join(buffer)


def _write_sheet(zout: zipfile.ZipFile, zin: zipfile.ZipFile, info: zipfile.ZipInfo, spec: SheetRows,
                 part: str) -> None:
    """One sheet's member: its XML deflated into the file ``part`` first, then copied in."""
    width, nrows, date_col = spec[0], spec[1], spec[3]
    head, tail, styles = _shell(zin.read(info.filename), width, nrows, date_col)
    with open(part, "wb") as out:
        segment = _deflate_into(out, itertools.chain([head], _rows_chunks(spec, 0, nrows, styles), [tail]), final=True)
    _add_deflated(zout, info, [(part, segment)])


def _deflate_into(out: BinaryIO, chunks: Iterable[bytes], *, final: bool) -> Segment:
    """Raw-deflate ``chunks`` onto the end of ``out``.  A segment that does not end its member
    ends on a sync flush (byte-aligned, not final), so another segment's stream can follow."""
    packer = _deflate.compressobj(_LEVEL, zlib.DEFLATED, -15)
    offset, crc, size = out.tell(), 0, 0
    for chunk in chunks:
        crc = _deflate.crc32(chunk, crc)
        size += len(chunk)
        out.write(packer.compress(chunk))
    out.write(packer.flush(zlib.Z_FINISH if final else zlib.Z_SYNC_FLUSH))
    return offset, out.tell() - offset, crc, size


def _save_index(part: str, segments: dict[int, Segment]) -> None:
    with open(part + ".json", "w", encoding="utf-8") as fh:
        json.dump([[k, *seg] for k, seg in segments.items()], fh)


def _load_index(part: str) -> dict[int, Segment]:
    with open(part + ".json", encoding="utf-8") as fh:
        return {k: tuple(seg) for k, *seg in json.load(fh)}


def _add_deflated(zout: zipfile.ZipFile, template: zipfile.ZipInfo, parts: list[tuple[str, Segment]]) -> None:
    """Add one member whose deflated data are the given segments, copied as they are.

    The standard library has no public call for this; it is what ``ZipFile.mkdir`` does to
    write a member, with our own CRC and sizes.  Tests check the result with ``testzip``
    (every CRC) and three independent readers.
    """
    crc, size, length = 0, 0, 0
    for _, (_, seg_length, seg_crc, seg_size) in parts:
        crc = crc32_combine(crc, seg_crc, seg_size)
        size += seg_size
        length += seg_length
    info = zipfile.ZipInfo(template.filename, template.date_time)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = template.external_attr
    info.CRC, info.file_size, info.compress_size = crc, size, length
    zip64 = size > zipfile.ZIP64_LIMIT or length > zipfile.ZIP64_LIMIT
    zout.fp.seek(zout.start_dir)
    info.header_offset = zout.fp.tell()
    zout._writecheck(info)
    zout._didModify = True
    zout.fp.write(info.FileHeader(zip64))
    for part, (offset, seg_length, _, _) in parts:
        with open(part, "rb") as data:
            data.seek(offset)
            remaining = seg_length
            while remaining:
                block = data.read(min(remaining, 1 << 20))
                if not block:
                    raise OSError(f"{part} ended early")
                zout.fp.write(block)
                remaining -= len(block)
    zout.filelist.append(info)
    zout.NameToInfo[info.filename] = info
    zout.start_dir = zout.fp.tell()


_CRC_POLY = 0xEDB88320


def _multmodp(a: int, b: int) -> int:
    """a * b modulo the CRC-32 polynomial (bit-reflected), as in zlib's crc32_combine."""
    m, p = 1 << 31, 0
    while True:
        if a & m:
            p ^= b
            if a & (m - 1) == 0:
                return p
        m >>= 1
        b = (b >> 1) ^ _CRC_POLY if b & 1 else b >> 1


_X2N = [1 << 30]  # x^(2^n) modulo the polynomial, n = 0..31
for _ in range(31):
    _X2N.append(_multmodp(_X2N[-1], _X2N[-1]))


def crc32_combine(crc1: int, crc2: int, len2: int) -> int:
    """The CRC-32 of A+B from crc32(A), crc32(B) and len(B) (zlib's crc32_combine)."""
    p, k, n = 1 << 31, 3, len2  # x^0, then x^(8 * len2)
    while n:
        if n & 1:
            p = _multmodp(_X2N[k & 31], p)
        n >>= 1
        k += 1
    return _multmodp(p, crc1) ^ crc2


def _sheet_index(name: str) -> int | None:
    m = re.fullmatch(r"xl/worksheets/sheet(\d+)\.xml", name)
    return int(m.group(1)) if m else None
