"""A hand-made Excel .xls (BIFF8, or BIFF5 as Excel 5.0/95 saves it): one sheet, its rows of text
and one BoolErr cell, in a compound file of 512-byte sectors (no reader used to write it)."""
from __future__ import annotations

import struct


def _rec(typ: int, body: bytes) -> bytes:
    return struct.pack("<HH", typ, len(body)) + body


def biff_xls(sheet: str, rows: list[list[str | None]], error_at: tuple[int, int], error_code: int,
             biff: int = 8) -> bytes:
    """The bytes of an .xls whose sheet ``sheet`` holds ``rows`` (text cells) and an error cell
    (0x2A: #N/A, 0x17: #REF! …) at ``error_at`` (row, column, 0-based)."""
    five = biff == 5

    def name_body(offset: int) -> bytes:
        head = struct.pack("<IBBB", offset, 0, 0, len(sheet)) + (b"" if five else b"\0")
        return head + sheet.encode("latin-1")

    def label(r: int, c: int, text: str) -> bytes:
        return _rec(0x0204, struct.pack("<HHHH", r, c, 15, len(text)) + (b"" if five else b"\0") + text.encode("latin-1"))

    version = 0x0500 if five else 0x0600
    bof_book = _rec(0x0809, struct.pack("<HHHH", version, 0x0005, 0, 0) + (b"" if five else b"\0" * 8))
    bof_sheet = _rec(0x0809, struct.pack("<HHHH", version, 0x0010, 0, 0) + (b"" if five else b"\0" * 8))
    cells = b"".join(label(r, c, v) for r, row in enumerate(rows) for c, v in enumerate(row) if v is not None)
    cells += _rec(0x0205, struct.pack("<HHHBB", *error_at, 15, error_code, 1))
    last_row, last_col = max(len(rows), error_at[0] + 1), max(max(map(len, rows)), error_at[1] + 1)
    dims = _rec(0x0200, struct.pack("<HHHHH" if five else "<IIHHH", 0, last_row, 0, last_col, 0))
    book = bof_book + _rec(0x0042, struct.pack("<H", 1252 if five else 1200))
    offset = len(book) + len(_rec(0x0085, name_body(0))) + 4
    stream = book + _rec(0x0085, name_body(offset)) + _rec(0x000A, b"") + bof_sheet + dims + cells + _rec(0x000A, b"")
    stream += b"\0" * max(0, 4096 + 8 - len(stream))  # big enough to stay out of the mini stream
    sectors = (len(stream) + 511) // 512
    fat = [0xFFFFFFFD, 0xFFFFFFFE] + [3 + i for i in range(sectors - 1)] + [0xFFFFFFFE]
    fat += [0xFFFFFFFF] * (128 - len(fat))

    def entry(name: str, typ: int, child: int, start: int, size: int) -> bytes:
        raw = name.encode("utf-16-le") + b"\0\0"
        return (raw.ljust(64, b"\0") + struct.pack("<HBB", len(raw), typ, 1)
                + struct.pack("<III", 0xFFFFFFFF, 0xFFFFFFFF, child) + b"\0" * 36 + struct.pack("<III", start, size, 0))

    directory = (entry("Root Entry", 5, 1, 0xFFFFFFFE, 0) + entry("Book" if five else "Workbook", 2, 0xFFFFFFFF, 2,
                                                                   len(stream))).ljust(512, b"\0")
    header = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 16 + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + b"\0" * 6
              + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, 0xFFFFFFFE, 0, 0xFFFFFFFE, 0) + struct.pack("<I", 0)
              + b"\xff" * (4 * 108))
    return header + struct.pack("<128I", *fat) + directory + stream.ljust(sectors * 512, b"\0")
