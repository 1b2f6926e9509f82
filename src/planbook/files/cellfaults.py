"""Cells that calamine reads as blank but a lead does not see as blank: error values and formulas
never calculated.

python-calamine returns ``""`` for an error cell (``#REF!``, ``#N/A``, ``#DIV/0!`` …) and for a
formula saved without a cached value (written by a script, or by a tool that does not
calculate), exactly as for an empty cell.  Read as blank, such a Status would become
"Not started", such a Due nothing at all, a Progress update would vanish, and a row of them
would too.  So when a data row of a lead tab has a blank cell in any of its columns, the
sheet's own XML is read once; only if it holds a formula or an error at all are its cells
found: each such cell in a data row is put back as the lead sees it (the error's text, or the
formula) and reported with its cell (``error-value``, ``formula-not-calculated``).  A tab whose
cells are all filled never pays for the second read; otherwise it costs a decompression and a
byte search, unless the sheet has formulas.

A return saved as .ods or .xls is looked at the same way: the table's cells in content.xml
(:func:`ods_faults`: LibreOffice saves an error as an empty string, its text the error) and the
sheet's BIFF records (:func:`xls_faults`: an error cell, or a formula whose result is an error).

The sheet XML is scanned with byte patterns, not an XML parser, so no entity is ever expanded.
The part scanned is the one calamine parsed as the tab, found as the far-cell check finds it
(planbook.files.sheetgrid: through the relationships, names compared as calamine compares them).
"""
from __future__ import annotations

import io
import os
import re
import zipfile
import zlib
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path

from planbook.core.findings import Finding, Report
from planbook.core.names import cell_ref, col_number
from planbook.files.othergrids import xls_error_cells
from planbook.files.odstable import table_cells
from planbook.files.sheetgrid import ZipLook, may_have_faults, tab_parts

#: Findings about a cell that these replace: the cell was not what it seemed (blank), so the
#: generic complaint about its value would be misleading.
_SUPERSEDED = {"unknown-status", "bad-due", "bad-date", "unknown-lead", "unknown-theme", "missing-required"}

_TOKEN = re.compile(rb'<(?:\w+:)?(row|c)\b([^>]*?)(/?)>')
_ATTR = re.compile(rb"""\b(r|t)\s*=\s*(?:"([^"]*)"|'([^']*)')""")  # either quote, spaces around "="
_FORMULA = re.compile(rb'<(?:\w+:)?f\b[^>]*?(?:/>|>(.*?)</(?:\w+:)?f>)', re.S)
_VALUE = re.compile(rb'<(?:\w+:)?v\b[^>]*?(?:/>|>(.*?)</(?:\w+:)?v>)', re.S)
_CELL_END = re.compile(rb'</(?:\w+:)?c>')
_REF = re.compile(rb'([A-Z]+)(\d+)')
_MAX_SCAN = 512 * 1024 * 1024  # a sheet part larger than this (inflated) is not scanned


@dataclass(frozen=True)
class CellFault:
    """A cell read as blank that is not: ``kind`` is "error-value" or "formula-not-calculated"."""

    row: int  # 0-based, as in calamine's rows
    col: int
    kind: str
    shown: str  # what to keep in the cell: "#REF!" or "=VLOOKUP(…)"


def _unescape(raw: bytes) -> str:
    from xml.sax.saxutils import unescape

    text = raw.decode("utf-8", errors="replace")
    text = re.sub(r"&#x([0-9A-Fa-f]+);", lambda m: chr(int(m.group(1), 16)), text)
    text = re.sub(r"&#([0-9]+);", lambda m: chr(int(m.group(1))), text)
    return unescape(text, {"&quot;": '"', "&apos;": "'"})


def find_faults(xml: bytes) -> dict[tuple[int, int], CellFault]:
    """Every error cell and every formula cell without a cached value in a sheet's XML."""
    faults: dict[tuple[int, int], CellFault] = {}
    if not may_have_faults(xml):
        return faults
    row, col = -1, -1
    for m in _TOKEN.finditer(xml):
        attrs = {name: double or single for name, double, single in _ATTR.findall(m.group(2))}
        ref = attrs.get(b"r")
        if m.group(1) == b"row":
            row = int(ref) - 1 if ref and ref.isdigit() else row + 1
            col = -1
            continue
        ref_m = _REF.fullmatch(ref) if ref else None
        if ref_m:
            col, row = col_number(ref_m.group(1)) - 1, int(ref_m.group(2)) - 1
        else:
            col += 1
        if m.group(3):  # <c …/>: empty
            continue
        end = _CELL_END.search(xml, m.end())
        inner = xml[m.end():end.start() if end else len(xml)]
        kind = attrs.get(b"t")
        v = _VALUE.search(inner)
        value = v.group(1) if v and v.group(1) is not None else b""
        if kind == b"e":
            faults[(row, col)] = CellFault(row, col, "error-value", _unescape(value).strip() or "#VALUE!")
            continue
        f = _FORMULA.search(inner)
        # No value: never calculated.  An empty <v></v> is a text formula that gave "" (t="str"),
        # else not calculated either.
        if f is not None and not value and (v is None or kind != b"str"):
            formula = _unescape(f.group(1) or b"").strip()
            faults[(row, col)] = CellFault(row, col, "formula-not-calculated",
                                           f"={formula}" if formula else "(formula, not calculated)")
    return faults


_PARTS: dict[tuple[str, int, int], dict[str, list[str]]] = {}  # a master's many tabs: parts found once


def sheet_faults(path: str | Path, sheet: str, data: bytes | None = None,
                 look: ZipLook | None = None) -> dict[tuple[int, int], CellFault]:
    """:func:`find_faults` for one sheet of the workbook at ``path`` ({} if it cannot be read);
    ``data``: the file's bytes as checked and parsed (then read from those, not the file);
    ``look``: what checking them found (the tab's parts, and which of them may hold a fault:
    a part the check saw none in is not inflated again).

    The part read is the one calamine reads as that tab (:func:`planbook.files.sheetgrid.tab_parts`);
    should a contrived file give a tab two candidate parts, both are read (a cell blank to
    calamine is then put back if either shows a fault in it: reported, never lost)."""
    if look is not None and all(look.faults_possible.get(part) is False for part in look.tab_parts.get(sheet, ())):
        return {}
    try:
        if data is not None:
            key: tuple = ("bytes", len(data), hash(data))  # a bytes object keeps its hash: worked out once
        else:
            st = os.stat(path)
            key = (os.fspath(path), st.st_size, st.st_mtime_ns)
        with zipfile.ZipFile(io.BytesIO(data) if data is not None else path) as zf:
            if look is not None:
                parts = look.tab_parts
            elif key in _PARTS:
                parts = _PARTS[key]
            else:
                if len(_PARTS) > 64:
                    _PARTS.clear()
                parts = _PARTS[key] = tab_parts(zf.namelist(), zf.read)
            faults: dict[tuple[int, int], CellFault] = {}
            for part in parts.get(sheet, ()):
                if zf.getinfo(part).file_size <= _MAX_SCAN:
                    faults = {**find_faults(zf.read(part)), **faults}  # the first part's fault of a cell stands
            return faults
    except (KeyError, zipfile.BadZipFile, OSError, ValueError, RuntimeError, NotImplementedError, EOFError,
            zlib.error):
        return {}


def xls_faults(source: str | os.PathLike[str] | bytes, sheet: str) -> dict[tuple[int, int], CellFault]:
    """:func:`find_faults` for one sheet of an .xls ({} if it has none or cannot be read): its
    error cells (an .xls always holds a formula's last result, so none is uncalculated)."""
    try:
        data = source if isinstance(source, bytes) else Path(source).read_bytes()
    except OSError:
        return {}
    return {(r, c): CellFault(r, c, "error-value", shown) for (r, c), shown in xls_error_cells(data, sheet).items()}


def ods_faults(source: str | os.PathLike[str] | bytes, sheet: str) -> dict[tuple[int, int], CellFault]:
    """:func:`find_faults` for one table of an .ods ({} if it has none or cannot be read): a cell
    whose formula gave an error (``calcext:value-type="error"``, its text the error: LibreOffice
    saves it with an empty string value, which calamine reads as blank) and a formula cell with
    no value at all (never calculated)."""
    faults: dict[tuple[int, int], CellFault] = {}
    for cell in table_cells(source, sheet, _ods_fault):
        kind = _ods_fault(cell.attrs)
        formula = cell.attrs.get("table:formula", "")
        shown = (cell.text or "#VALUE!" if kind == "error-value"
                 else "=" + formula.split(":", 1)[1] if formula.startswith("of:") else formula)
        rows = min(cell.rows, _MAX_REPEAT)  # a faulty cell standing for many: put back in so many at most
        if not rows or not cell.cols:
            continue  # a repeat of 0: no cell (as calamine counts it)
        for r in range(cell.row, cell.row + rows):
            for c in range(cell.col, cell.col + min(cell.cols, max(1, _MAX_REPEAT // rows))):
                faults[(r, c)] = CellFault(r, c, kind, shown)
    return faults


_MAX_REPEAT = 1 << 14


def _ods_fault(attrs: dict[str, str]) -> str:
    """"error-value", "formula-not-calculated" or "" for an .ods cell's attributes."""
    if attrs.get("calcext:value-type") == "error":
        return "error-value"
    return "formula-not-calculated" if attrs.get("table:formula") and not attrs.get("office:value-type") else ""


def blank_key_cell(rows: list[list[object]], start: int, key_cols: list[int]) -> bool:
    """True if a row from ``start`` has a key cell calamine read as blank (``""``), or — for a tab
    without key columns — is blank all through (calamine's rows end at the last cell with a
    value, so a blank row inside them is rare: a gap a lead left, or a row of error cells)."""
    if key_cols:  # the usual case, in C: every row long enough, and no key cell "" or None
        try:
            cells = [itemgetter(c) for c in key_cols]
            tail = rows[start:]
            if not any("" in map(get, tail) or None in map(get, tail) for get in cells):
                return False
        except IndexError:  # a short row: looked at one by one
            pass
    for r in range(start, len(rows)):
        row = rows[r]
        n = len(row)
        for c in key_cols:
            v = row[c] if c < n else ""
            if v == "" or v is None:
                return True
        if not key_cols and all(v == "" or v is None for v in row):
            return True
    return False


def restore(rows: list[list[object]], start: int, faults: dict[tuple[int, int], CellFault]) -> list[CellFault]:
    """Put each faulty cell's shown text into ``rows`` (data rows from ``start``); return those put back."""
    put: list[CellFault] = []
    for (r, c), fault in sorted(faults.items()):
        if r < start or r >= len(rows):
            continue
        row = rows[r]
        if c >= len(row):
            row.extend([""] * (c + 1 - len(row)))
        if row[c] == "" or row[c] is None:
            row[c] = fault.shown
            put.append(fault)
    return put


def note_cell_faults(report: Report, since: int, file: str, sheet: str, put: list[CellFault],
                     header_of: dict[int, str]) -> None:
    """Note each restored cell as a finding of its own (``error-value``, ``formula-not-calculated``)
    in ``report``, in place of the generic findings (from ``since`` on) about the same cells."""

    cells = {cell_ref(f.row, f.col): f for f in put}
    kept = [f for f in report.findings[since:]
            if not (f.sheet == sheet and f.cell in cells and f.code in _SUPERSEDED)]
    for ref, fault in cells.items():
        column = header_of.get(fault.col, "the cell")
        if fault.kind == "error-value":
            message = (f"{column} shows the error {fault.shown}: the formula behind it is broken "
                       "(a deleted cell or sheet, a missing lookup value); type the value instead")
            outcome = f"kept as {fault.shown}; not counted in any status" if column == "Status" else f"kept as {fault.shown}"
        else:
            message = (f"{column} holds a formula that was never calculated ({fault.shown}), so its value "
                       "is unknown; open the file in Excel, let it calculate and save it, or type the value")
            outcome = "kept as the formula text; not counted in any status" if column == "Status" \
                else "kept as the formula text"
        kept.append(Finding(fault.kind, file, sheet, ref, fault.shown, message, outcome=outcome))
    report.findings[since:] = kept
