"""The far-cell family (issue 10, item 4), made in code from a real lead return.

Each variant places one cell with a value at a chosen (row, column) — written the way a
hostile or odd file can write it — and leaves the sheet's stated ``<dimension>`` as it was
(small).  At XFD1048576 each one makes calamine allocate 17 billion cells and abort the
process; at a modest position the same syntax shows whether planbook's model of where calamine
puts cells (planbook.sheetgrid) matches calamine's real grid.
"""
from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from pathlib import Path

MAIN_NS = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def letters(col: int) -> str:
    out = ""
    while col > 0:
        col, rem = divmod(col - 1, 26)
        out = chr(65 + rem) + out
    return out


def _append(xml: bytes, rows: bytes) -> bytes:
    return xml.replace(b"</sheetData>", rows + b"</sheetData>")


def _ref(row: int, col: int) -> bytes:
    return f"{letters(col)}{row}".encode()


#: name -> (sheet XML, row, column) -> sheet XML with the far cell.  The stated dimension stays.
VARIANTS: dict[str, Callable[[bytes, int, int], bytes]] = {
    "usual syntax": lambda x, r, c: _append(x, b'<row r="%d"><c r="%s" t="inlineStr"><is><t>stray</t></is></c></row>'
                                            % (r, _ref(r, c))),
    "lower-case reference": lambda x, r, c: _append(x, b'<row r="%d"><c r="%s"><v>1</v></c></row>'
                                                    % (r, _ref(r, c).lower())),
    "single quotes and spaces": lambda x, r, c: _append(x, b"<row r='%d'><c r = '%s'><v>1</v></c></row>"
                                                        % (r, _ref(r, c))),
    "r given twice": lambda x, r, c: _append(x, b'<row><c r="A2" t="n" r="%s"><v>1</v></c></row>' % _ref(r, c)),
    "r after a quoted >": lambda x, r, c: _append(x, b'<row><c t="n" x=">" r="%s"><v>1</v></c></row>' % _ref(r, c)),
    "r after a tab": lambda x, r, c: _append(x, b'<row><c t="n"\tr="%s"><v>1</v></c></row>' % _ref(r, c)),
    "r after two spaces": lambda x, r, c: _append(x, b'<row><c t="n"  r="%s"><v>1</v></c></row>' % _ref(r, c)),
    "namespace prefix": lambda x, r, c: _append(x, b'<x:row xmlns:x="%s" r="%d"><x:c r="%s"><x:v>1</x:v></x:c></x:row>'
                                                % (MAIN_NS, r, _ref(r, c))),
    "cells without r": lambda x, r, c: _append(x, b'<row r="%d"><c><v>1</v></c></row><row r="2"><c r="%s"><v>1</v></c>'
                                               b"</row>" % (r, _ref(2, c))),
    "rows without r": lambda x, r, c: _append(x, b'<row r="%d"></row><row><c><v>1</v></c></row><row r="2"><c r="%s">'
                                              b"<v>1</v></c></row>" % (r - 1, _ref(2, c))),
    "self-closing row before a row without r": lambda x, r, c: _append(
        x, b'<row r="%d"/><row><c><v>1</v></c></row><row r="2"><c r="%s"><v>1</v></c></row>' % (r - 1, _ref(2, c))),
    "no dimension": lambda x, r, c: re.sub(rb"<dimension[^>]*/>", b"", VARIANTS["usual syntax"](x, r, c)),
    "huge dimension": lambda x, r, c: re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:XFD1048576"/>',
                                             VARIANTS["usual syntax"](x, r, c)),
}

#: Far cells a reader does not place (no value): harmless, and read as usual.
HARMLESS: dict[str, Callable[[bytes], bytes]] = {
    "formatted blank at the corner": lambda x: _append(x, b'<row r="1048576"><c r="XFD1048576" s="1"/></row>'),
    "empty cell at the corner": lambda x: _append(x, b'<row r="1048576"><c r="XFD1048576"></c></row>'),
}


def rewrite(src: Path, dst: Path, transform: Callable[[bytes], bytes], *, sheet: str = "xl/worksheets/sheet2.xml",
            move_to: str | None = None) -> Path:
    """A copy of ``src`` with one sheet part transformed — and, with ``move_to``, stored under
    another name (its relationship and content type updated, as a hostile file may do)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            name = info.filename
            if name == sheet:
                data, name = transform(data), move_to or name
            elif move_to and name == "xl/_rels/workbook.xml.rels":
                data = data.replace(sheet.removeprefix("xl/").encode(), move_to.removeprefix("xl/").encode())
                data = data.replace(b"/" + sheet.encode(), b"/" + move_to.encode())
            elif move_to and name == "[Content_Types].xml":
                data = data.replace(b"/" + sheet.encode(), b"/" + move_to.encode())
            elif move_to and name == sheet.replace("worksheets/", "worksheets/_rels/") + ".rels":
                name = move_to.rsplit("/", 1)[0] + "/_rels/" + move_to.rsplit("/", 1)[1] + ".rels"
            zout.writestr(name, data)
    return dst
