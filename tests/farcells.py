"""The far-cell family (issue 10, item 4), made in code from a real lead return.

Each variant places one cell with a value at a chosen (row, column) — written the way a
hostile or odd file can write it — and leaves the sheet's stated ``<dimension>`` as it was
(small).  At XFD1048576 each one makes calamine allocate 17 billion cells and abort the
process; at a modest position the same syntax shows whether planbook's model of where calamine
puts cells (planbook.files.sheetgrid) matches calamine's real grid.
"""
from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from pathlib import Path

from planbook.core.names import col_letter

MAIN_NS = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def letters(col: int) -> str:
    """1-based column number -> Excel letters (1 -> A, 16384 -> XFD)."""
    return col_letter(col - 1)


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
    "a value of only a space": lambda x, r, c: _append(x, b'<row r="%d"><c r="%s"><v> </v></c></row>' % (r, _ref(r, c))),
    "an element named a:b:c is not a cell": lambda x, r, c: _append(
        x, b'<row r="%d"><c r="%s"></c><a:b:c r="A1"/><c><v>1</v></c></row>' % (r, _ref(r, c - 1))),
    "a row inside a formula is not a row": lambda x, r, c: _append(
        x, b'<row r="%d"><c r="%s"><f><row/></f></c><c><v>1</v></c></row>' % (r, _ref(r, c - 1))),
    "a cell inside a formula is not a cell": lambda x, r, c: _append(
        x, b'<row r="%d"><c r="%s"><f><c/></f><v>1</v></c></row>' % (r, _ref(r, c))),
    "a cell inside an inline string is not a cell": lambda x, r, c: _append(
        x, b'<row r="%d"><c r="%s" t="inlineStr"><is><t>x</t><c/></is></c></row>' % (r, _ref(r, c))),
    "no dimension": lambda x, r, c: re.sub(rb"<dimension[^>]*/>", b"", VARIANTS["usual syntax"](x, r, c)),
    "huge dimension": lambda x, r, c: re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:XFD1048576"/>',
                                             VARIANTS["usual syntax"](x, r, c)),
}

#: Cells calamine's lenient parser places where a strict one stops: XML that is not well-formed.
#: planbook cannot be sure where such a cell lies, so the sheet is refused wherever the cell is.
MALFORMED: dict[str, Callable[[bytes, int, int], bytes]] = {
    "r given twice": lambda x, r, c: _append(x, b'<row><c r="A2" t="n" r="%s"><v>1</v></c></row>' % _ref(r, c)),
    "r given first and again after s and t": lambda x, r, c: _append(
        x, b'<row><c r="%s" s="0" t="n" r="A1"><v>1</v></c></row>' % _ref(r, c)),
    "row r given twice": lambda x, r, c: _append(
        x, b'<row r="%d" r="1"><c r="%s1"><v>1</v></c><c><v>1</v></c></row>' % (r, letters(c - 1).encode())),
    "no space before r": lambda x, r, c: _append(x, b'<row><c t="n"r="%s"><v>1</v></c></row>' % _ref(r, c)),
    "form feed before r": lambda x, r, c: _append(x, b'<row><c r="A2" t="n"\x0cr="%s"><v>1</v></c></row>' % _ref(r, c)),
}

#: A cell hidden from a careless reading by a comment, processing instruction or CDATA section
#: that holds half a tag — well-formed XML, so read exactly.
HIDDEN: dict[str, Callable[[bytes, int, int], bytes]] = {
    "inside comments": lambda x, r, c: _append(x, b'<row r="%d"><!-- <c x=" --><c r="%s"><v>1</v></c><!-- " r="A1" -->'
                                                  b"</row>" % (r, _ref(r, c))),
    "inside processing instructions": lambda x, r, c: _append(
        x, b'<row r="%d"><?pi <c x="?><c r="%s"><v>1</v></c><?pi " r="A1"?></row>' % (r, _ref(r, c))),
    "inside CDATA": lambda x, r, c: _append(
        x, b'<row r="%d"><c r="B%d" t="inlineStr"><is><t><![CDATA[<c x="]]></t></is></c><c r="%s"><v>1</v></c>'
           b'<c r="C%d" t="inlineStr"><is><t><![CDATA[" r="A1">]]></t></is></c></row>' % (r, r, _ref(r, c), r)),
}

#: Far cells a reader does not place (no value): harmless, and read as usual.
HARMLESS: dict[str, Callable[[bytes], bytes]] = {
    "formatted blank at the corner": lambda x: _append(x, b'<row r="1048576"><c r="XFD1048576" s="1"/></row>'),
    "empty cell at the corner": lambda x: _append(x, b'<row r="1048576"><c r="XFD1048576"></c></row>'),
    "empty value at the corner": lambda x: _append(x, b'<row r="1048576"><c r="XFD1048576" s="1"><v></v></c></row>'),
    "formula without a value at the corner": lambda x: _append(
        x, b'<row r="1048576"><c r="XFD1048576" s="1"><f>1+1</f></c></row>'),
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


WORKSHEET = b"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"


def _evil_rel(rels: bytes, *, glued: bool = False) -> bytes:
    """A relationship rId9 to the part xl/data/evil.xml (``glued``: no space before Target)."""
    space = b"" if glued else b" "
    return rels.replace(b"</Relationships>", b'<Relationship Id="rId9" Type="%s"%sTarget="data/evil.xml"/>'
                        b"</Relationships>" % (WORKSHEET, space))


#: name -> edits to a return's zip that move the lead's sheet where a careless look for sheet
#: parts would not find it: {member: new bytes from old (None: remove)}, and members added.
#: The moved sheet is ``xl/data/evil.xml`` (or a renamed member) and holds the far cell.
MOVED_SHEETS: dict[str, Callable[[bytes, bytes, bytes], tuple[dict, dict]]] = {
    "a back-slashed member name": lambda book, rels, sheet: (
        {"xl/worksheets/sheet2.xml": None}, {"xl\\worksheets\\sheet2.xml": sheet}),
    "a second id on the sheet": lambda book, rels, sheet: (
        {"xl/workbook.xml": book.replace(b'r:id="rId2"/>', b'r:id="rId2" x:id="rId9"/>'),
         "xl/_rels/workbook.xml.rels": _evil_rel(rels)}, {"xl/data/evil.xml": sheet}),
    "a quoted > in the sheet tag": lambda book, rels, sheet: (
        {"xl/workbook.xml": book.replace(b'sheetId="2" r:id="rId2"/>', b'x="a>b" sheetId="2" r:id="rId9"/>'),
         "xl/_rels/workbook.xml.rels": _evil_rel(rels)}, {"xl/data/evil.xml": sheet}),
    "a target with two leading slashes": lambda book, rels, sheet: (
        {"xl/workbook.xml": book.replace(b'r:id="rId2"/>', b'r:id="rId9"/>'),
         "xl/_rels/workbook.xml.rels": _evil_rel(rels).replace(b'Target="data/evil.xml"', b'Target="//xl/data/evil.xml"')},
        {"/xl/data/evil.xml": sheet}),
    "no space before Target": lambda book, rels, sheet: (
        {"xl/workbook.xml": book.replace(b'r:id="rId2"/>', b'r:id="rId9"/>'),
         "xl/_rels/workbook.xml.rels": _evil_rel(rels, glued=True)}, {"xl/data/evil.xml": sheet}),
}


def edit_zip(src: Path, dst: Path, changed: dict[str, bytes | None], added: dict[str, bytes]) -> Path:
    """A copy of ``src`` with members replaced, removed (None) or added."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if info.filename in changed:
                if changed[info.filename] is not None:
                    zout.writestr(info.filename, changed[info.filename])
            else:
                zout.writestr(info, zin.read(info))
        for name, data in added.items():
            zout.writestr(name, data)
    return dst


def two_directories(evil: Path, clean: Path, dst: Path) -> Path:
    """``evil`` (a whole zip), then ``clean``'s entries and directory, ended by a record whose
    comment length runs past the file: Python's zipfile reads the clean directory, calamine's
    zip reader skips that record and reads the evil one."""
    import struct

    data = clean.read_bytes()
    at = data.rfind(b"PK\x05\x06")
    count, size, offset = struct.unpack("<HII", data[at + 10:at + 20])
    dst.write_bytes(evil.read_bytes() + data[:offset] + data[offset:offset + size]
                    + struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, size, offset, 0xFFFF))
    return dst
