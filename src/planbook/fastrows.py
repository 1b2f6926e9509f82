"""Stream many data rows into sheets of an XlsxWriter-written workbook, fast.

XlsxWriter writes each sheet's structure — header row, column widths and styles, frozen
panes, autofilter, conditional formats — plus one *probe row* holding a blank cell in each
column's style.  :func:`splice_rows` then copies the workbook, replacing each named sheet's
probe row with the real rows written directly as SpreadsheetML (inline strings, numbers,
dates as serials), streamed into the zip so memory stays flat however many rows there are.
XlsxWriter's general per-cell path costs several microseconds a cell; this costs well under one.
"""
from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import zipfile
from collections.abc import Callable, Iterable, Sequence

_EPOCH = dt.date(1899, 12, 30)
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_LITERAL_ESCAPE = re.compile("_(x[0-9A-Fa-f]{4}_)")  # text that Excel would read as an escape
_STYLE = re.compile(r'<c r="([A-Z]+)2"(?: s="(\d+)")?/>')

Row = Sequence[object]


def _letters(n: int) -> list[str]:
    from .writer import col_letter

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
    if not text.isprintable() and _ILLEGAL.search(text):  # isprintable: a fast pass for ordinary text
        text = _ILLEGAL.sub(lambda m: f"_x{ord(m.group()):04X}_", text)
    return text


def _cell_xml(ref: str, s: str, v: object, date_style: str) -> str:
    """One cell of any type (the general path; see :func:`_rows_xml` for the common ones)."""
    if isinstance(v, str):
        return f'<c r="{ref}"{s} t="inlineStr"><is><t xml:space="preserve">{_escape(v)}</t></is></c>'
    if isinstance(v, bool):
        return f'<c r="{ref}"{s} t="b"><v>{int(v)}</v></c>'
    if isinstance(v, (int, float)):
        return f'<c r="{ref}"{s}><v>{v!r}</v></c>'
    if isinstance(v, dt.datetime):
        serial = (v.date() - _EPOCH).days + (v.hour * 3600 + v.minute * 60 + v.second) / 86400
        return f'<c r="{ref}"{s or date_style}><v>{serial!r}</v></c>'
    if isinstance(v, dt.date):
        return f'<c r="{ref}"{s or date_style}><v>{(v - _EPOCH).days}</v></c>'
    return f'<c r="{ref}"{s} t="inlineStr"><is><t xml:space="preserve">{_escape(str(v))}</t></is></c>'


def _plain(text: str) -> bool:
    """True if ``text`` needs no XML escaping (checked once for a whole row's texts)."""
    return not ("&" in text or "<" in text or ">" in text or "_x" in text
                or (not text.isprintable() and _ILLEGAL.search(text)))


def _rows_xml(rows: Iterable[Row], width: int, styles: list[str], first_row: int,
              date_style: str = "") -> Iterable[str]:
    """Each row as SpreadsheetML.  Blank cells (None, "") are left out.

    Run once per cell of every big sheet, so the common types (text, numbers, dates) are
    formatted inline from per-column prefixes, and escaping is skipped for rows whose texts,
    taken together, contain nothing to escape (nearly all of them).
    """
    cols = _letters(width)
    opens = [f'<c r="{c}' for c in cols]
    text_mid = [f'"{s} t="inlineStr"><is><t xml:space="preserve">' for s in styles]
    num_mid = [f'"{s}><v>' for s in styles]
    date_mid = [f'"{s or date_style}><v>' for s in styles]
    epoch = _EPOCH.toordinal()
    for r, row in enumerate(rows, start=first_row):
        rs = str(r)
        plain = _plain(" ".join([v for v in row if type(v) is str]))
        parts = []
        add = parts.append
        for c, v in enumerate(row):
            t = type(v)
            if t is str:
                if v:
                    add(f"{opens[c]}{rs}{text_mid[c]}{v if plain else _escape(v)}</t></is></c>")
            elif v is None:
                continue
            elif t is int or t is float:
                add(f"{opens[c]}{rs}{num_mid[c]}{v!r}</v></c>")
            elif t is dt.date:
                add(f"{opens[c]}{rs}{date_mid[c]}{v.toordinal() - epoch}</v></c>")
            else:
                add(_cell_xml(f"{cols[c]}{rs}", styles[c], v, date_style))
        yield f'<row r="{rs}">{"".join(parts)}</row>'


def splice_rows(path: str | os.PathLike[str],
                sheets: dict[int, tuple[int, int, Callable[[], Iterable[Row]], int | None]]) -> None:
    """Replace the probe row (row 2) of each sheet with real rows, in place.

    ``sheets`` maps a 1-based sheet index (XlsxWriter's ``xl/worksheets/sheet{N}.xml``) to
    (column count, row count, a function returning the rows, date column).  Rows start at
    sheet row 2.  A date in a column whose probe cell has no style (a user's extra column)
    takes the style of the probe cell in the date column, so it shows as a date.
    """
    src = os.fspath(path)
    tmp = src + ".splice"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zout:
        for info in zin.infolist():
            index = _sheet_index(info.filename)
            if index not in sheets:
                zout.writestr(info, zin.read(info.filename))
                continue
            width, nrows, make_rows, date_col = sheets[index]
            xml = zin.read(info.filename).decode("utf-8")
            xml = re.sub(r'<dimension ref="[^"]*"/>', f'<dimension ref="A1:{_letters(width)[-1]}{nrows + 1}"/>', xml, count=1)
            head, rest = xml.split("<sheetData>", 1)
            data, tail = rest.split("</sheetData>", 1)
            header_end = data.index("</row>") + len("</row>")
            header, probe = data[:header_end], data[header_end:]
            found = dict(_STYLE.findall(probe))
            styles = [f' s="{found[c]}"' if found.get(c) else "" for c in _letters(width)]
            date_style = styles[date_col] if date_col is not None else ""
            with zout.open(info.filename, "w", force_zip64=nrows * width > 2_000_000) as out:
                out.write(head.encode("utf-8"))
                out.write(b"<sheetData>")
                out.write(header.encode("utf-8"))
                buffer: list[str] = []
                for row_xml in _rows_xml(make_rows(), width, styles, 2, date_style):
                    buffer.append(row_xml)
                    if len(buffer) >= 2000:
                        out.write("".join(buffer).encode("utf-8"))
                        buffer.clear()
                out.write("".join(buffer).encode("utf-8"))
                out.write(b"</sheetData>")
                out.write(tail.encode("utf-8"))
    shutil.move(tmp, src)


def _sheet_index(name: str) -> int | None:
    m = re.fullmatch(r"xl/worksheets/sheet(\d+)\.xml", name)
    return int(m.group(1)) if m else None
