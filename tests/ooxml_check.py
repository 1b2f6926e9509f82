"""Strict structural checks of an .xlsx/.xlsm package, independent of any spreadsheet reader.

* :func:`zip_problems` — every member's local header agrees with its central-directory entry
  (name, method, CRC, sizes) and ZIP64 is used only where a size or offset needs it (some
  readers, SheetJS among them, refuse a ZIP64 local header on a small member).
* :func:`order_problems` — the children of each SpreadsheetML element we write appear in the
  order, and no more often than, ECMA-376 Part 1's schema (sml.xsd, transitional) allows:
  CT_Worksheet and what is inside it in every sheet part, CT_Workbook in workbook.xml and
  CT_Stylesheet in styles.xml.  In sheetData every row and every cell carries its ``r``
  reference, rows ascend, cells ascend within their row and sit in it.

Both return a list of problems (empty when the file is sound), so a test can show them all.
Parsing is streamed (iterparse, each row freed when checked): a 200,000-row sheet stays cheap.
"""
from __future__ import annotations

import functools
import re
import struct
import zipfile

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_LIMIT = 0xFFFFFFFF

# Each type's children in schema order: "name" exactly once, "name?" at most once,
# "name*" any number, "name+" at least once.  "any:" marks a choice of any order (CT_Font).
_SEQUENCES = {
    # CT_Worksheet (ECMA-376 Part 1, 18.3.1.99)
    "worksheet": "sheetPr? dimension? sheetViews? sheetFormatPr? cols* sheetData sheetCalcPr? sheetProtection? "
                 "protectedRanges? scenarios? autoFilter? sortState? dataConsolidate? customSheetViews? "
                 "mergeCells? phoneticPr? conditionalFormatting* dataValidations? hyperlinks? printOptions? "
                 "pageMargins? pageSetup? headerFooter? rowBreaks? colBreaks? customProperties? cellWatches? "
                 "ignoredErrors? smartTags? drawing? legacyDrawing? legacyDrawingHF? drawingHF? picture? "
                 "oleObjects? controls? webPublishItems? tableParts? extLst?",
    "sheetPr": "tabColor? outlinePr? pageSetUpPr?",
    "sheetViews": "sheetView+ extLst?",
    "sheetView": "pane? selection* pivotSelection* extLst?",
    "cols": "col+",
    "sheetData": "row*",
    "row": "c* extLst?",
    "c": "f? v? is? extLst?",
    "is": "t? r* rPh* phoneticPr?",
    "autoFilter": "filterColumn* sortState? extLst?",
    "mergeCells": "mergeCell+",
    "conditionalFormatting": "cfRule+ extLst?",
    "cfRule": "formula* colorScale? dataBar? iconSet? extLst?",
    "dataValidations": "dataValidation+",
    "dataValidation": "formula1? formula2?",
    "hyperlinks": "hyperlink+",
    "headerFooter": "oddHeader? oddFooter? evenHeader? evenFooter? firstHeader? firstFooter?",
    "rowBreaks": "brk*",
    "colBreaks": "brk*",
    "ignoredErrors": "ignoredError+ extLst?",
    "tableParts": "tablePart*",
    # CT_Workbook (18.2.28)
    "workbook": "fileVersion? fileSharing? workbookPr? workbookProtection? bookViews? sheets functionGroups? "
                "externalReferences? definedNames? calcPr? oleSize? customWorkbookViews? pivotCaches? "
                "smartTagPr? smartTagTypes? webPublishing? fileRecoveryPr* webPublishObjects? extLst?",
    "bookViews": "workbookView+",
    "workbookView": "extLst?",
    "sheets": "sheet+",
    "definedNames": "definedName*",
    # CT_Stylesheet (18.8.39)
    "styleSheet": "numFmts? fonts? fills? borders? cellStyleXfs? cellXfs? cellStyles? dxfs? tableStyles? "
                  "colors? extLst?",
    "numFmts": "numFmt*",
    "fonts": "font*",
    "font": "any: b i strike condense extend outline shadow u vertAlign sz color name family charset scheme",
    "fills": "fill*",
    "fill": "patternFill? gradientFill?",
    "patternFill": "fgColor? bgColor?",
    "borders": "border*",
    # CT_Border; start/end (the strict schema's names for left/right) are never written by XlsxWriter
    "border": "left? right? top? bottom? diagonal? vertical? horizontal?",
    "cellStyleXfs": "xf+",
    "cellXfs": "xf+",
    "xf": "alignment? protection? extLst?",
    "cellStyles": "cellStyle+",
    "cellStyle": "extLst?",
    "dxfs": "dxf*",
    "dxf": "font? numFmt? fill? alignment? border? protection? extLst?",
    "tableStyles": "tableStyle*",
    "colors": "indexedColors? mruColors?",
}


def _parse(spec: str) -> tuple[bool, dict[str, tuple[int, int, int]]]:
    """name -> (position, min, max); True when the children may come in any order."""
    free = spec.startswith("any:")
    names = spec.removeprefix("any:").split()
    table = {}
    for i, item in enumerate(names):
        name, mark = (item[:-1], item[-1]) if item[-1] in "?*+" else (item, "")
        low = 1 if mark in ("", "+") else 0
        high = 1 if mark in ("", "?") else 1 << 30
        table[name] = (0 if free else i, 0 if free else low, high if not free else 1 << 30)
    return free, table


_RULES = {name: _parse(spec) for name, spec in _SEQUENCES.items()}


def _local(tag: str) -> tuple[str, str]:
    ns, _, name = tag[1:].partition("}") if tag.startswith("{") else ("", "", tag)
    return ns, name


@functools.lru_cache(maxsize=None)
def _sequence_problems(tag: str, children: tuple[str, ...]) -> tuple[str, ...]:
    """What is wrong with ``children`` (their tags, in order) inside a ``tag`` element."""
    ns, name = _local(tag)
    if ns != MAIN or name not in _RULES:
        return ()
    _, table = _RULES[name]
    problems, last, seen = [], -1, {}
    for child in children:
        cns, cname = _local(child)
        if cns != MAIN or cname not in table:
            problems.append(f"<{cname}> is not allowed in <{name}>")
            continue
        pos, _, high = table[cname]
        seen[cname] = seen.get(cname, 0) + 1
        if seen[cname] > high:
            problems.append(f"<{cname}> repeated in <{name}>")
        if pos < last:
            problems.append(f"<{cname}> comes after a later element in <{name}>")
        last = max(last, pos)
    problems += [f"<{name}> lacks <{cname}>" for cname, (_, low, _) in table.items() if seen.get(cname, 0) < low]
    return tuple(problems)


def _check_children(element, where: str, problems: list[str]) -> None:
    for problem in _sequence_problems(element.tag, tuple([child.tag for child in element])):
        problems.append(f"{where}: {problem}")


@functools.lru_cache(maxsize=None)
def _col_number(letters: str) -> int:
    """Column letters -> 1-based number; 0 if they are not column letters."""
    if not (1 <= len(letters) <= 3 and letters.isalpha() and letters.isupper() and letters.isascii()):
        return 0
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _check_row(row, where: str, last_row: int, problems: list[str]) -> int:
    r = row.get("r")
    if r is None or not r.isdigit():
        problems.append(f"{where}: a row after row {last_row} has no r reference")
        return last_row
    number = int(r)
    if number <= last_row:
        problems.append(f"{where}: row {number} follows row {last_row}")
    last_col, cut, others = 0, -len(r), False
    for c in row:
        if c.tag != _CELL_TAG:  # extLst, or something that should not be there: checked below
            others = True
            continue
        ref = c.get("r") or ""
        col = _col_number(ref[:cut]) if ref.endswith(r) else 0
        if not col:
            problems.append(f"{where}: a cell in row {number} has no r reference in that row ({ref!r})")
        elif col <= last_col:
            problems.append(f"{where}: cell {ref} is out of order in row {number}")
        last_col = col or last_col
        if len(c) == 1:  # the common cells, quickly: a value, or an inline string of one <t>
            only = c[0]
            if only.tag == _V or (only.tag == _IS and len(only) == 1 and only[0].tag == _T):
                continue
        if tuple([k.tag for k in c]) not in _PLAIN_CELLS:
            _check_children(c, f"{where}!{ref}", problems)
            for inner in c:
                _check_children(inner, f"{where}!{ref}", problems)
    if others:
        _check_children(row, f"{where} row {number}", problems)
    return number


def _check_part(zf: zipfile.ZipFile, name: str, problems: list[str]) -> None:
    """Every element's children in order; rows and cells referenced and ascending."""
    from lxml import etree  # python-docx's XML library: its iterparse picks out the tags in C

    last_row = 0
    tags = [f"{{{MAIN}}}{t}" for t in _RULES if t not in ("c", "is")]  # cells are checked with their row
    with zf.open(name) as fh:
        for _, element in etree.iterparse(fh, events=("end",), tag=tags, huge_tree=True):
            if element.tag == _ROW:
                last_row = _check_row(element, name, last_row, problems)
                element.getparent().remove(element)  # keep memory flat on big sheets
            else:
                _check_children(element, name, problems)
            if len(problems) > 50:
                raise _TooMany


_ROW, _CELL_TAG = f"{{{MAIN}}}row", f"{{{MAIN}}}c"
#: The children of an ordinary number or formula cell: nothing more to check inside.
_V, _IS, _T = f"{{{MAIN}}}v", f"{{{MAIN}}}is", f"{{{MAIN}}}t"
_PLAIN_CELLS = {(), (f"{{{MAIN}}}v",), (f"{{{MAIN}}}f",), (f"{{{MAIN}}}f", f"{{{MAIN}}}v")}


class _TooMany(Exception):
    pass


def order_problems(path) -> list[str]:
    """Schema-order problems in every sheet part, workbook.xml and styles.xml of ``path``."""
    problems: list[str] = []
    with zipfile.ZipFile(path) as zf:
        parts = [n for n in zf.namelist()
                 if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", n) or n in ("xl/workbook.xml", "xl/styles.xml")]
        if "xl/workbook.xml" not in parts or not any("worksheets" in n for n in parts):
            problems.append("no workbook.xml or no sheet parts")
        for name in parts:
            try:
                _check_part(zf, name, problems)
            except _TooMany:
                problems.append("... (stopped after 50 problems)")
                break
            except SyntaxError as exc:  # lxml's XMLSyntaxError is one
                problems.append(f"{name}: not well-formed XML: {exc}")
    return problems


def zip_problems(path) -> list[str]:
    """Disagreements between local headers and the central directory; needless ZIP64."""
    problems: list[str] = []
    with open(path, "rb") as fh, zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            fh.seek(info.header_offset)
            fixed = fh.read(30)
            sig, _, flags, method, _, _, crc, csize, usize, nlen, xlen = struct.unpack("<IHHHHHIIIHH", fixed)
            if sig != 0x04034B50:
                problems.append(f"{info.filename}: no local header at its offset")
                continue
            name = fh.read(nlen).decode("utf-8" if flags & 0x800 else "cp437")
            extra = fh.read(xlen)
            local_zip64 = _extra_fields(extra).get(0x0001)
            central_zip64 = _extra_fields(info.extra).get(0x0001)
            where = info.filename
            if name != info.filename:
                problems.append(f"{where}: local header names it {name!r}")
            if method != info.compress_type:
                problems.append(f"{where}: compression method {method} locally, {info.compress_type} centrally")
            if flags & 0x08:  # sizes in a data descriptor: the header's own fields are zero
                continue
            if local_zip64 is not None:
                sizes = struct.unpack("<QQ", local_zip64[:16]) if len(local_zip64) >= 16 else (None, None)
                usize, csize = (sizes[0] if usize == _LIMIT else usize), (sizes[1] if csize == _LIMIT else csize)
                if info.file_size <= _LIMIT and info.compress_size <= _LIMIT:
                    problems.append(f"{where}: ZIP64 local header on a {info.file_size}-byte member")
            if (crc, csize, usize) != (info.CRC, info.compress_size, info.file_size):
                problems.append(f"{where}: local header says crc {crc:08x}, sizes {csize}/{usize}; "
                                f"central directory {info.CRC:08x}, {info.compress_size}/{info.file_size}")
            needs = info.file_size > _LIMIT or info.compress_size > _LIMIT
            if needs != (local_zip64 is not None):
                problems.append(f"{where}: ZIP64 extra {'missing from' if needs else 'in'} its local header")
            if central_zip64 is not None and not needs and info.header_offset <= _LIMIT:
                problems.append(f"{where}: needless ZIP64 extra in the central directory")
    return problems


def _extra_fields(extra: bytes) -> dict[int, bytes]:
    fields, i = {}, 0
    while i + 4 <= len(extra):
        tag, size = struct.unpack("<HH", extra[i:i + 4])
        fields[tag] = extra[i + 4:i + 4 + size]
        i += 4 + size
    return fields
