"""How big a grid a reader makes of a worksheet part, found without parsing it.

calamine (our reader) places every cell with a value, then allocates one slot for each cell of
the rectangle from A1 to the farthest of them; python-calamine's rows do the same.  A sheet
holding a value at XFD1048576 is a grid of 17 billion cells, and the failed allocation aborts
the process — however small the sheet's stated ``<dimension>`` (which nothing obliges a file to
tell truly).  So the cell positions themselves are checked, as calamine reads them:

* a cell's ``r="B12"`` gives its position (letters and digits; ``row`` tags do not matter then);
* a cell without ``r`` follows the cell before it, and a row without ``r`` the row before it;
* an element may carry a namespace prefix (``<x:c>``), attributes may use either quote and
  spaces around ``=``, and a repeated ``r`` counts as its last value.

Every part of real sheets is written the same way by Excel, LibreOffice, Google Sheets, openpyxl
and XlsxWriter: each cell starts ``<c r="B12"`` with a reference inside the stated dimension.
:func:`extent` first checks that with a few searches (about 1 ms per MB of sheet XML), and only a
part that is written otherwise — or states a huge dimension — is tokenised in full, following
calamine's rules above.  The result is an upper bound: a commented-out cell counts too.
"""
from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterable, Iterator

#: Bytes kept from the end of one inflated piece to the start of the next, so that a tag cut
#: in two is seen whole (a cell's start tag up to its reference is far shorter).
OVERLAP = 256

_DIMENSION = re.compile(rb'<(?:[\w.-]+:)?dimension\s+ref\s*=\s*["\']([^"\']*)["\']')
_REF = re.compile(rb"\$?([A-Za-z]{0,3})\$?(\d{1,7})$")
#: A cell element written with a namespace prefix (``<x:c ...>``).
_PREFIXED_CELL = re.compile(rb":c[\s/>]")
#: An ``r`` attribute that is not a tag's first (a repeat after another attribute), or is
#: spaced or quoted unlike the usual ``r="``.
_LATER_R = re.compile(rb'" r[\s=]')
_LATER_R_SINGLE = re.compile(rb"' r[\s=]")
_SPACES_R = re.compile(rb"  r[\s=]")
#: ``r`` after a tab or line break rather than a space.
_ODD_SPACE_R = re.compile(rb"[\t\n\r]r\s*=")

# The full tokeniser: start and end tags of rows and cells (quoted attribute values may hold ">").
_TAG = re.compile(rb'<(/?)(?:[^\s/<>:"\']+:)?(row|c)(?=[\s/>])((?:[^>"\']|"[^"]*"|\'[^\']*\')*)>')
_R_ATTR = re.compile(rb'(?:^|\s)r\s*=\s*(?:"([^"]*)"|\'([^\']*)\')')
_POSITION = re.compile(rb"([A-Za-z]*)(\d+)")
_U32 = 1 << 32


def _col(letters: bytes) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ch - 64
    return n


def _cols_with(letters: int) -> int:
    """The most columns references of this many letters reach (Z, ZZ, ZZZ …)."""
    return sum(26 ** k for k in range(1, letters + 1))

def stated(head: bytes) -> tuple[int, int] | None:
    """Rows and columns of the sheet's stated dimension (``A1:L301`` → (301, 12)), or None."""
    m = _DIMENSION.search(head)
    if not m:
        return None
    found = [_REF.match(p) for p in m.group(1).split(b":")]
    if not all(found):
        return None
    return max(int(x.group(2)) for x in found), max(_col(x.group(1)) for x in found)


def _usual_cells(letters: int, digits: int) -> re.Pattern[bytes]:
    """Matches a cell start tag that is *not* ``<c r="..."`` with a reference of at most this
    many letters and digits."""
    return re.compile(rb'<c(?! r="[A-Za-z]{1,%d}\d{1,%d}"[ />])[\s/>]' % (letters, digits))


def _letters(col: int) -> str:
    out = ""
    while col > 0:
        col, rem = divmod(col - 1, 26)
        out = chr(65 + rem) + out
    return out


def extent(pieces: Callable[[], Iterable[bytes]], limit: int) -> tuple[int, int]:
    """Rows x columns of the grid a reader makes of this sheet part (an upper bound).
    ``pieces()`` gives the part's XML, inflated piece by piece (called again for a full reading).
    A sheet written the usual way inside a box of at most ``limit`` cells is answered with the
    box, without tokenising it."""
    stream = iter(pieces())
    first = next(stream, b"")
    size = stated(first[:4096])
    rows, cols = size if size else (9999, 26)
    letters, digits = len(_letters(max(cols, 26))), len(str(max(rows, 999)))
    box = 10 ** digits - 1, _cols_with(letters)  # the references the quick look lets through
    if box[0] * box[1] > limit:  # a huge dimension (or a wide sheet stating none): read every cell
        return exact_extent(_joined(first, stream))
    usual = _usual_cells(letters, digits)
    tail = b""
    for xml, last in _ahead(first, stream):
        text = tail + xml
        if _unusual(usual, text, stop=len(text) if last else len(text) - OVERLAP):
            return exact_extent(pieces())
        tail = text[-OVERLAP:]
    return box


def _ahead(first: bytes, rest: Iterable[bytes]) -> Iterator[tuple[bytes, bool]]:
    """(piece, is it the last) for each piece."""
    current = first
    for following in rest:
        yield current, False
        current = following
    yield current, True


def _unusual(usual: re.Pattern[bytes], text: bytes, *, stop: int) -> bool:
    """Does this stretch of sheet XML hold a cell or an ``r`` written other than the usual way?
    (Something found past ``stop`` is looked at again with the piece that follows.)"""
    def found(pattern: re.Pattern[bytes]) -> bool:
        m = pattern.search(text)
        return bool(m) and m.start() < stop

    if found(usual) or found(_PREFIXED_CELL) or found(_LATER_R) or found(_SPACES_R):
        return True
    if b"'" in text and found(_LATER_R_SINGLE):
        return True
    body = 128 if text.startswith(b"<?xml") else 0  # Excel ends its declaration with \r\n
    return ((text.find(b"\n", body) >= 0 or text.find(b"\r", body) >= 0 or text.find(b"\t", body) >= 0)
            and found(_ODD_SPACE_R))


def _joined(first: bytes, rest: Iterable[bytes]) -> Iterator[bytes]:
    yield first
    yield from rest


def exact_extent(pieces: Iterable[bytes]) -> tuple[int, int]:
    """Rows x columns of the grid a reader makes of this sheet XML (given in pieces), following
    each row and cell as calamine does (see the module docstring): the farthest cell with
    content, counted from A1.  A cell without content (``<c r="X1"/>``, a formatted blank) is
    not placed by the reader and does not count.  Raises ValueError for a tag longer than
    :data:`MAX_TAG`."""
    pieces = iter(pieces)
    row = col = 0  # the row and column (0-based) of the next element without r
    far_row = far_col = -1
    tail = b""
    for piece, last in _ahead(next(pieces, b""), pieces):
        text = tail + piece
        done = 0
        for m in _TAG.finditer(text):
            if not last and m.end() > len(text) - OVERLAP:
                break  # perhaps cut short: read again with the next piece
            done = m.end()
            closing, name, attrs = m.group(1), m.group(2), m.group(3)
            empty = attrs.endswith(b"/")
            if name == b"row":
                if not closing and (at := _r_value(attrs)) is not None:
                    row = _position(at)[0]
                if closing or empty:
                    row, col = row + 1, 0
                continue
            if closing:
                continue
            here = row
            if (at := _r_value(attrs)) is not None:
                here, col = _position(at)
            if not empty and _has_content(text, m.end()):
                far_row, far_col = max(far_row, here), max(far_col, col)
            col += 1
        tail = text[done:]
        if len(tail) > MAX_TAG:
            raise ValueError(f"a tag longer than {MAX_TAG >> 20} MB")
    return far_row + 1, far_col + 1


#: The longest stretch without a complete row or cell tag the tokeniser carries over.
MAX_TAG = 16 << 20
_CELL_END = re.compile(rb"</(?:[^\s/<>:]+:)?c\s*>")


def _has_content(text: bytes, start: int) -> bool:
    """Does the cell whose start tag ends at ``start`` hold anything (a value, inline string,
    formula) before its end tag?  Undecided (the end lies in the next piece) counts as yes."""
    child = text.find(b"<", start)
    return child < 0 or not _CELL_END.match(text, child)


def _r_value(attrs: bytes) -> bytes | None:
    """The (last) value of an unprefixed ``r`` attribute."""
    found = _R_ATTR.findall(attrs)
    if not found:
        return None
    double, single = found[-1]
    return double or single


def _position(value: bytes) -> tuple[int, int]:
    """(row, column), 0-based, of a reference as calamine reads it ("B12" → (11, 1); a row's
    "12" → (11, 0)).  A value calamine cannot read stops its reading (an error, not a grid):
    counted as A1.  A number past 32 bits wraps in calamine: counted as the far edge."""
    m = _POSITION.fullmatch(value)
    if not m:
        return 0, 0
    letters, digits = m.group(1), m.group(2).lstrip(b"0") or b"0"
    r = int(digits) if len(digits) <= 10 else _U32
    c = _col(letters) if len(letters) <= 7 else _U32
    return max(min(r, _U32) - 1, 0), max(min(c, _U32) - 1, 0)


def sheet_parts(names: Iterable[str], read: Callable[[str], bytes]) -> set[str]:
    """The zip members a reader reads as worksheets: every ``<sheet>`` of each workbook part,
    through its relationship (whatever the part is called), plus the XML under
    ``xl/worksheets/``.  ``read(name)`` gives a small part's bytes."""
    names = list(names)
    by_lower = {n.lower(): n for n in names}
    parts = {n for low, n in by_lower.items()
             if low.startswith("xl/worksheets/") and low.endswith(".xml") and "/_rels/" not in low}
    for book in (n for low, n in by_lower.items() if low.endswith("workbook.xml")):
        folder = posixpath.dirname(book)
        rels = by_lower.get(posixpath.join(folder, "_rels", posixpath.basename(book) + ".rels").lower())
        if rels is None:
            continue
        ids = {_value(m) for tag in _SHEET.findall(read(book)) if (m := _ID.search(tag))}
        for tag in _RELATIONSHIP.findall(read(rels)):
            rid, target = _ID.search(tag), _TARGET.search(tag)
            if rid is None or target is None or _value(rid) not in ids:
                continue
            target = _value(target).decode("utf-8", "replace")
            for candidate in (target.lstrip("/"), posixpath.join(folder, target), "xl/" + target,
                              posixpath.normpath(posixpath.join(folder, target))):
                if candidate.lower() in by_lower:
                    parts.add(by_lower[candidate.lower()])
    return parts


_SHEET = re.compile(rb"<(?:[\w.-]+:)?sheet\s([^>]*)>")
_RELATIONSHIP = re.compile(rb"<(?:[\w.-]+:)?Relationship\s([^>]*)>")
_ID = re.compile(rb'(?:^|\s)(?:[\w.-]+:)?[Ii]d\s*=\s*(?:"([^"]*)"|\'([^\']*)\')')
_TARGET = re.compile(rb'(?:^|\s)Target\s*=\s*(?:"([^"]*)"|\'([^\']*)\')')


def _value(m: re.Match[bytes]) -> bytes:
    return m.group(1) if m.group(1) is not None else m.group(2)
