"""A small writer of Excel binary workbooks (.xlsb), for tests: LibreOffice reads .xlsb but
cannot write it, so a lead's .xlsb return is built here, record by record (MS-XLSB), and
LibreOffice reads it back to show it is a real one.

Cells: text (BrtCellSt), numbers (BrtCellReal), dates (a number in a date style), booleans.
``far`` places raw cell records anywhere (a hostile file's cell at the far corner).
"""
from __future__ import annotations

import datetime as dt
import struct
import zipfile
from pathlib import Path

_EPOCH = dt.date(1899, 12, 30)


def _record(typ: int, body: bytes = b"") -> bytes:
    head = bytes([typ]) if typ < 0x80 else bytes([(typ & 0x7F) | 0x80, typ >> 7])
    n, size = len(body), bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        size.append(byte | (0x80 if n else 0))
        if not n:
            break
    return head + bytes(size) + body


def _wide(text: str) -> bytes:
    data = text.encode("utf-16-le")
    return struct.pack("<I", len(data) // 2) + data


def _cell(col: int, value: object) -> bytes:
    if value is None or value == "":
        return b""
    if isinstance(value, bool):
        return _record(0x04, struct.pack("<II", col, 0) + bytes([int(value)]))
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return _record(0x05, struct.pack("<IId", col, 1, float((value - _EPOCH).days)))  # style 1: a date
    if isinstance(value, (int, float)):
        return _record(0x05, struct.pack("<IId", col, 0, float(value)))
    return _record(0x06, struct.pack("<II", col, 0) + _wide(str(value)))


def _sheet(rows: list[list[object]], far: list[tuple[int, int]]) -> bytes:
    width = max((len(r) for r in rows), default=1)
    out = [_record(0x81), _record(0x94, struct.pack("<4I", 0, max(len(rows) - 1, 0), 0, max(width - 1, 0))),
           _record(0x91)]
    for r, row in enumerate(rows):
        out.append(_record(0x00, struct.pack("<IIH", r, 0, 300) + bytes(3) + struct.pack("<I", 0)))
        out += [_cell(c, v) for c, v in enumerate(row)]
    for r, c in far:
        out.append(_record(0x00, struct.pack("<IIH", r, 0, 300) + bytes(3) + struct.pack("<I", 0)))
        out.append(_record(0x06, struct.pack("<II", c, 0) + _wide("far")))
    out += [_record(0x92), _record(0x82)]
    return b"".join(out)


def write_xlsb(path: Path, sheets: dict[str, list[list[object]]], *, hidden: tuple[str, ...] = (),
               far: dict[str, list[tuple[int, int]]] | None = None) -> Path:
    """Write ``sheets`` (name -> rows of values) as an .xlsb at ``path``."""
    far = far or {}
    names = list(sheets)
    book = [_record(0x83), _record(0x8F)]
    for i, name in enumerate(names, start=1):
        book.append(_record(0x9C, struct.pack("<II", 1 if name in hidden else 0, i) + _wide(f"rId{i}") + _wide(name)))
    book += [_record(0x90), _record(0x84)]
    styles = b"".join([_record(0x0269, struct.pack("<I", 2)),  # BrtBeginCellXFs: general, then a date
                       _record(0x2F, struct.pack("<HH", 0xFFFF, 0) + bytes(12)),
                       _record(0x2F, struct.pack("<HH", 0xFFFF, 14) + bytes(12)),
                       _record(0x026A)])
    rels = "".join(f'<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                   f'relationships/worksheet" Target="worksheets/sheet{i}.bin"/>' for i in range(1, len(names) + 1))
    rels += (f'<Relationship Id="rId{len(names) + 1}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
             'relationships/styles" Target="styles.bin"/>')
    types = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
             '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
             '<Default Extension="bin" ContentType="application/vnd.ms-excel.sheet.binary.macroEnabled.main"/>'
             '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
             '<Default Extension="xml" ContentType="application/xml"/>'
             + "".join(f'<Override PartName="/xl/worksheets/sheet{i}.bin" '
                       'ContentType="application/vnd.ms-excel.worksheet"/>' for i in range(1, len(names) + 1))
             + '<Override PartName="/xl/styles.bin" ContentType="application/vnd.ms-excel.styles"/></Types>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", types)
        zf.writestr("_rels/.rels", '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                    'relationships/officeDocument" Target="xl/workbook.bin"/></Relationships>')
        zf.writestr("xl/workbook.bin", b"".join(book))
        zf.writestr("xl/_rels/workbook.bin.rels", '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                    + rels + "</Relationships>")
        zf.writestr("xl/styles.bin", styles)
        for i, name in enumerate(names, start=1):
            zf.writestr(f"xl/worksheets/sheet{i}.bin", _sheet(sheets[name], far.get(name, [])))
    return path


def as_xlsb(src: Path, dest: Path, **kw) -> Path:
    """``src`` (an .xlsx) saved again as .xlsb, every sheet's values kept (as Excel's Save As
    keeps them: formatting aside)."""
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(str(src))
    hidden = tuple(s.name for s in wb.sheets_metadata if str(s.visible).lower().endswith("hidden"))
    sheets = {name: wb.get_sheet_by_name(name).to_python(skip_empty_area=False) for name in wb.sheet_names}
    return write_xlsb(dest, sheets, hidden=hidden, **kw)
