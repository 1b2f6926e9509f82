"""How big a grid a reader makes of a worksheet part, found before any reader parses it.

calamine (our reader) places every cell with a value, then allocates one slot for each cell of
the rectangle from A1 to the farthest of them; python-calamine's rows do the same.  A sheet
holding a value at XFD1048576 is a grid of 17 billion cells, and the failed allocation aborts
the process — however small the sheet's stated ``<dimension>`` (which nothing obliges a file to
tell truly).  So the cell positions themselves are checked, as calamine reads them:

* a cell's ``r="B12"`` gives its position (``row`` tags do not matter then);
* a cell without ``r`` follows the cell before it, and a row without ``r`` the row before it;
* an element may carry a namespace prefix (``<x:c>``); a cell with no value (``<c r="X1"/>``,
  a formatted blank) is not placed.

Real sheets — from Excel, LibreOffice, Google Sheets, openpyxl, XlsxWriter — start every cell
the same way: ``<c r="B12" s="3" t="s">``, the reference inside the stated dimension, then
attributes other than ``r`` in double quotes, one space apart.  :func:`extent` checks exactly
that with one search over the part (plus one for prefixed cells): a cell written any other way,
or a sheet stating a huge dimension, is read in full by :func:`exact_extent` with expat, which
follows calamine's rules above, never expands entities, and refuses XML that is not
well-formed (duplicate attributes, no space between attributes — quirks a lenient reader would
resolve one way and a check another).
"""
from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from planbook.core.names import col_letter, col_number

#: Bytes kept from the end of one inflated piece to the start of the next, so that a cell's
#: start tag cut in two is looked at whole (a usual one is far shorter).
OVERLAP = 256

_DIMENSION = re.compile(rb'<(?:[\w.-]+:)?dimension\s+ref\s*=\s*["\']([^"\']*)["\']')
_REF = re.compile(rb"\$?([A-Za-z]{0,3})\$?(\d{1,7})$")
#: A cell element written with a namespace prefix (``<x:c ...>``).
_PREFIXED_CELL = re.compile(rb":c[\s/>]")
_POSITION = re.compile(r"([A-Za-z]*)(\d+)")
_U32 = 1 << 32
#: Control characters XML cannot hold, made spaces before expat reads a part (calamine reads past
#: them; \x0c even separates attributes for it): a cell they would hide is then seen, not missed.
_CONTROL = bytes.maketrans(bytes(range(32)), b"".join(b"\t" if c == 9 else b"\n" if c == 10 else b"\r" if c == 13
                                                      else b" " for c in range(32)))


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
    return max(int(x.group(2)) for x in found), max(col_number(x.group(1)) for x in found)


def _usual_cells(letters: int, digits: int) -> re.Pattern[bytes]:
    """Matches a cell start tag that is *not* written the usual way: ``<c r="..."`` with a
    reference of at most this many letters and digits, then only attributes not named r…, in
    double quotes, one space apart, up to ``>`` or ``/>``."""
    return re.compile(rb'<c(?! r="[A-Za-z]{1,%d}\d{1,%d}+"(?: [a-qs-z][a-z]{0,3}+="[^"<>]*+")*+/?>)[\s/>]'
                      % (letters, digits))


def extent(pieces: Callable[[], Iterable[bytes]], limit: int) -> tuple[int, int]:
    """Rows x columns of the grid a reader makes of this sheet part (an upper bound).
    ``pieces()`` gives the part's XML, inflated piece by piece (called again for a full reading).
    A sheet written the usual way inside a box of at most ``limit`` cells is answered with the
    box, without parsing it.  Raises ValueError for a part that is not well-formed XML."""
    stream = iter(pieces())
    first = next(stream, b"")
    size = stated(first[:4096])
    rows, cols = size if size else (9999, 26)
    letters, digits = len(col_letter(max(cols, 26) - 1)), len(str(max(rows, 999)))
    box = 10 ** digits - 1, _cols_with(letters)  # the references the quick look lets through
    if box[0] * box[1] > limit:  # a huge dimension (or a wide sheet stating none): read every cell
        return exact_extent(_joined(first, stream))
    usual = _usual_cells(letters, digits)
    tail = b""
    for xml, last in _ahead(first, stream):
        text = tail + xml
        stop = len(text) if last else len(text) - OVERLAP  # found past here: looked at again, whole
        if any((m := p.search(text)) and m.start() < stop for p in (usual, _PREFIXED_CELL)):
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


def _joined(first: bytes, rest: Iterable[bytes]) -> Iterator[bytes]:
    yield first
    yield from rest


def parse_guarded(pieces: Iterable[bytes], handlers, *, translate: bytes | None = None) -> None:
    """Feed XML ``pieces`` to expat with ``handlers``' start/end/text methods, never expanding an
    entity: a DTD or entity declaration, or XML that is not well-formed, raises ValueError.
    The one guarded parse the far-cell checks of every format use."""
    from xml.parsers import expat

    parser = expat.ParserCreate()
    parser.StartElementHandler = handlers.start
    parser.EndElementHandler = handlers.end
    parser.CharacterDataHandler = handlers.text

    def refuse(*_args) -> None:
        raise ValueError("it declares a DTD or entities")

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    try:
        for piece in pieces:
            parser.Parse(piece.translate(translate) if translate is not None else piece, False)
        parser.Parse(b"", True)
    except expat.ExpatError as exc:
        raise ValueError(f"not well-formed XML: {expat.ErrorString(exc.code)}, line {exc.lineno}") from exc


def exact_extent(pieces: Iterable[bytes]) -> tuple[int, int]:
    """Rows x columns of the grid a reader makes of this sheet XML (given in pieces), following
    each row and cell as calamine does (see the module docstring): the farthest cell with a
    value, counted from A1.  Read with expat, piece by piece (memory stays flat); a DTD or
    entity declaration, or XML that is not well-formed, raises ValueError."""
    state = _Cells()
    parse_guarded(pieces, state, translate=_CONTROL)
    return state.far_row + 1, state.far_col + 1


class _Cells:
    """expat's handlers: where calamine would place each cell, and the farthest with a value.

    calamine reads events flat: a row's start sets the row, its end moves to the next; a cell's
    start gives its position, then each child is read whole (``<v>``, ``<is>``, ``<f>`` with
    everything inside them: a row or cell nested there is not one) until the cell's end.  Names
    compare after the first colon, as quick-xml's local names do (``a:b:c`` is not a cell)."""

    def __init__(self) -> None:
        self.row = self.col = 0  # the row and column (0-based) of the next element without r
        self.far_row = self.far_col = -1
        self.cell: tuple[int, int, str] | None = None  # the cell being read: row, column, type
        self.depth = 0  # elements open inside that cell
        self.valued = False  # it has a value (calamine places it)
        self.in_value = False
        self.value = ""

    def start(self, name: str, attrs: dict[str, str]) -> None:
        local = name.split(":", 1)[-1]
        if self.cell is not None:  # inside a cell: only its own children count, read whole
            self.depth += 1
            if self.depth == 1 and local == "is":
                self.valued = True  # an inline string, even empty
            elif self.depth == 1 and local == "v":
                self.in_value, self.value = True, ""
        elif local == "row":
            if "r" in attrs:
                self.row = _position(attrs["r"])[0]
        elif local == "c":
            here = self.row
            if "r" in attrs:
                here, self.col = _position(attrs["r"])
            self.cell, self.depth, self.valued = (here, self.col, attrs.get("t", "")), 0, False

    def text(self, data: str) -> None:
        if self.in_value:
            self.value += data

    def end(self, name: str) -> None:
        if self.cell is not None and self.depth:
            self.depth -= 1
            if self.depth == 0 and self.in_value:  # a value of any text (even a space) is placed
                self.in_value = False
                if self.value or self.cell[2] not in ("", "n"):
                    self.valued = True
            return
        local = name.split(":", 1)[-1]
        if self.cell is not None:  # the cell's own end
            if self.valued:
                self.far_row, self.far_col = max(self.far_row, self.cell[0]), max(self.far_col, self.cell[1])
            self.cell, self.col = None, self.col + 1
        elif local == "row":
            self.row, self.col = self.row + 1, 0


def _position(value: str) -> tuple[int, int]:
    """(row, column), 0-based, of a reference as calamine reads it ("B12" → (11, 1); a row's
    "12" → (11, 0)).  A value calamine cannot read stops its reading (an error, not a grid):
    counted as A1.  A number past 32 bits wraps in calamine: counted as the far edge."""
    m = _POSITION.fullmatch(value.strip())
    if not m:
        return 0, 0
    letters, digits = m.group(1), m.group(2).lstrip("0") or "0"
    r = int(digits) if len(digits) <= 10 else _U32
    c = col_number(letters) if len(letters) <= 7 else _U32
    return max(min(r, _U32) - 1, 0), max(min(c, _U32) - 1, 0)


# ---------------------------------------------------------------- which parts are sheets


def tab_parts(names: Iterable[str], read: Callable[[str], bytes]) -> dict[str, list[str]]:
    """Tab name -> the zip members a reader may read as that tab's sheet: each ``<sheet>`` of
    each workbook part, through its relationship, whatever the part is called.  Names are
    matched as calamine matches them (any case, ``\\`` as ``/``), and where a tag could be read
    two ways (a repeated attribute), every reading counts, so a real file has one part a tab
    and a contrived one may have more.  ``read(name)`` gives a small part's bytes."""
    return sheet_and_tab_parts(names, read)[1]


def sheet_and_tab_parts(names: Iterable[str], read: Callable[[str], bytes]) -> tuple[dict[str, str], dict[str, list[str]]]:
    """(the zip members a reader reads as worksheets, each with its tab's name or "": the parts of
    :func:`tab_parts` plus the XML under ``xl/worksheets/``; :func:`tab_parts`), the workbook's
    relationships read once."""
    by_key = _by_key(names)
    parts = {n: "" for key, found in by_key.items() for n in found
             if key.startswith("xl/worksheets/") and key.endswith(".xml") and "/_rels/" not in key}
    tabs: dict[str, list[str]] = {}
    for tab, members in _tab_members(by_key, read):
        parts.update((n, tab) for n in members)
        found = tabs.setdefault(tab, [])
        found += [n for n in members if n not in found]
    return parts, tabs


@dataclass
class ZipLook:
    """What checking a workbook's zip found out that its readers need again, so they need not
    open and inflate it a second time: which parts are which tab's sheet, which sheet parts may
    hold an error value or a formula (only for the parts the check inflated whole), and whether
    any cell could have a note."""

    tab_parts: dict[str, list[str]]
    faults_possible: dict[str, bool] = field(default_factory=dict)
    notes_possible: bool = True


#: A sheet part with a formula holds ``f>`` (``</f>``, ``<f>``, ``</x:f>``: a shared formula's
#: followers are ``<f …/>`` but its first cell closes with ``</f>``); one with an error cell holds
#: ``#`` (every error value starts with it: a one-byte test, the quickest there is) and ``t="e"``
#: (or ``t='e'``, ``t = "e"``: XML allows either quote and spaces around the ``=``).
#: A compiled search for the two bytes is three times quicker than ``in`` (an alternation of
#: both texts, twenty times slower).
_FORMULA_HINT = re.compile(rb"f>")
_ERROR_TYPE = re.compile(rb"""\bt\s*=\s*["']e["']""")


def may_have_faults(xml: bytes) -> bool:
    """Could this sheet XML hold an error value or a formula (see planbook.files.cellfaults)?"""
    return _FORMULA_HINT.search(xml) is not None or (b"#" in xml and _ERROR_TYPE.search(xml) is not None)


def watch_for_faults(pieces: Iterable[bytes], found: list[bool]) -> Iterator[bytes]:
    """``pieces`` of a sheet's XML passed on as they are; once all have passed, appends to
    ``found`` whether the sheet may hold an error value or a formula (:func:`may_have_faults`):
    a check that inflates the sheet anyway answers this for free.  A sheet in several pieces
    (only a very big one) is answered "may" (the reader then looks at it whole)."""
    count, last = 0, b""
    for last in pieces:
        count += 1
        yield last
    found.append(count > 1 or may_have_faults(last))


def may_have_notes(rels: Iterable[bytes]) -> bool:
    """Could a workbook whose ``.rels`` parts are ``rels`` have cell notes?  Notes are reached
    only through a relationship of type ``…/comments`` (``…/threadedComment``: Excel 365's, in
    any case): if no ``.rels`` part holds that word — nor a character reference that could spell
    it, nor text in an encoding where it would look otherwise — there are none (most plans
    have none)."""
    return any(b"omment" in raw.lower() or b"&#" in raw or b"\0" in raw or raw[:2] in (b"\xff\xfe", b"\xfe\xff")
               for raw in rels)


def _by_key(names: Iterable[str]) -> dict[str, list[str]]:
    """Each member under its name as calamine compares names (see :func:`_key`)."""
    by_key: dict[str, list[str]] = {}
    for name in names:
        by_key.setdefault(_key(name), []).append(name)
    return by_key


def _tab_members(by_key: dict[str, list[str]], read: Callable[[str], bytes]) -> Iterator[tuple[str, list[str]]]:
    """(tab name, the members its relationship's target may name), for each reading of each
    ``<sheet>`` of each workbook part."""
    from html import unescape

    for book in [n for key, found in by_key.items() if key.endswith("workbook.xml") for n in found]:
        folder = posixpath.dirname(book.replace("\\", "/"))
        rels = by_key.get(_key(posixpath.join(folder, "_rels", posixpath.basename(book.replace("\\", "/")) + ".rels")))
        if not rels:
            continue
        tab_of: dict[bytes, str] = {}  # relationship id -> the tab's name
        for tag in _tags(read(book), b"sheet"):
            tab = unescape(next((v for k, v in tag if k == b"name"), b"").decode("utf-8", "replace"))
            tab_of.update((value, tab) for key, value in tag if key.rsplit(b":", 1)[-1] == b"id")
        for tag in (t for name in rels for t in _tags(read(name), b"Relationship")):
            tab = next((tab_of[value] for key, value in tag if key == b"Id" and value in tab_of), None)
            if tab is None:
                continue
            for target in (value.decode("utf-8", "replace") for key, value in tag if key == b"Target"):
                absolute = target[1:] if target.startswith("/") else target  # calamine strips one "/"
                for candidate in (absolute, target.lstrip("/"), posixpath.join(folder, target), "xl/" + target,
                                  posixpath.normpath(posixpath.join(folder, target))):
                    yield tab, by_key.get(_key(candidate), [])


def _key(name: str) -> str:
    return name.replace("\\", "/").lower()


_ATTR = re.compile(rb"""([^\s=/<>"']+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")


def _tags(xml: bytes, name: bytes) -> list[list[tuple[bytes, bytes]]]:
    """Each start tag of this local name: its attributes (name, value) in order, repeats kept."""
    pattern = re.compile(rb"""<(?:[^\s/<>:"']+:)?%s(?=[\s/>])((?:[^>"']|"[^"]*"|'[^']*')*)>""" % name)
    return [[(m.group(1), m.group(2) if m.group(2) is not None else m.group(3)) for m in _ATTR.finditer(attrs)]
            for attrs in pattern.findall(xml)]
