"""Reading a legacy plan file (Excel, Word or CSV) into plain tables of text.

Each sheet or Word table becomes a :class:`SourceTable`: rows of text, the section heading
before it, the lines above its header, and which cells only repeat a merged cell above them
(so an import can tell a continuation row from a row with its own number and text).
"""
from __future__ import annotations

import csv
import io
import os
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from planbook.core.errors import UnusableFileError
from planbook.core.layout import META
from planbook.core.names import cell_ref
from planbook.files.guard import check_input_file, check_zip
from planbook.files.opening import as_text, open_workbook
from planbook.legacy.csvfiles import decode, dialect_of

_TITLE_LIKE = re.compile(r"\b(?:plan|strategy|programme|report|framework|action plan)\b|\b(?:19|20)\d\d\b", re.I)


@dataclass
class SourceTable:
    """One table of the legacy file: a sheet, a Word table, or the CSV."""

    name: str  # sheet name, "table 3", or the CSV file name
    heading: str  # the section heading: sheet name or the Word heading before the table
    rows: list[list[str]]
    kind: str  # "sheet", "table", "csv"
    merged: set[tuple[int, int]] = field(default_factory=set)  # cells copied down from a vertical merge
    wide: set[int] = field(default_factory=set)  # rows with a cell merged across three or more columns

    def where(self, r: int, c: int) -> str:
        if self.kind == "sheet":
            return cell_ref(r, c)
        return f"row {r + 1}, column {c + 1}"


def _read_xlsx(path: Path) -> tuple[list[SourceTable], str]:
    wb = open_workbook(path)
    tables = []
    for name in wb.sheet_names:
        if name == META:
            continue
        try:
            sheet = wb.get_sheet_by_name(name)
            rows = [[as_text(v) for v in row] for row in sheet.to_python(skip_empty_area=False)]
        except Exception as exc:  # calamine's own errors for damaged parts
            raise UnusableFileError(path, f"sheet {name!r} cannot be read ({type(exc).__name__})") from exc
        merged: set[tuple[int, int]] = set()
        wide: set[int] = set()
        for area in sheet.merged_cell_ranges or []:
            (r0, c0), (r1, c1) = area
            value = rows[r0][c0] if r0 < len(rows) and c0 < len(rows[r0]) else ""
            if r0 == r1 and c1 - c0 >= 2:
                wide.add(r0)
            for r in range(r0, min(r1, len(rows) - 1) + 1):
                for c in range(c0, min(c1, len(rows[r]) - 1) + 1):
                    if (r, c) != (r0, c0) and c0 == c1:  # vertical merge: the value holds for each row
                        rows[r][c] = value
                        merged.add((r, c))
        tables.append(SourceTable(name, name, rows, "sheet", merged, wide))
    return tables, ""


def _text_of(paragraph, qn) -> str:
    """A Word paragraph's text, a line break (Shift+Enter) as a new line and a tab as a tab."""
    t, br, cr, tab = qn("w:t"), qn("w:br"), qn("w:cr"), qn("w:tab")
    parts = []
    for el in paragraph.iter(t, br, cr, tab):
        if el.tag == t:
            parts.append(el.text or "")
        elif el.tag == tab:
            parts.append("\t")
        else:
            parts.append("\n")
    return "".join(parts)


def _read_docx(path: Path) -> tuple[list[SourceTable], str]:
    from docx import Document
    from docx.oxml.ns import qn

    try:
        with zipfile.ZipFile(path) as zf:
            check_zip(path, zf)  # zip bombs and DTDs refused before python-docx inflates anything
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise UnusableFileError(path, "not a readable Word document (not a valid .docx zip)") from exc
    try:
        doc = Document(str(path))
    except Exception as exc:
        raise UnusableFileError(path, f"not a readable Word document ({type(exc).__name__})") from exc
    title, heading, tables, n = "", "", [], 0
    before_first: list[str] = []  # heading or title-like paragraphs before the first table
    body = doc.element.body
    for el in body.iterchildren():
        if el.tag == qn("w:p"):
            text = _text_of(el, qn).strip()
            style = el.find(qn("w:pPr") + "/" + qn("w:pStyle"))
            style_id = style.get(qn("w:val")) if style is not None else ""
            if text and style_id.lower() == "title" and not title:
                title = text
            elif text and (style_id.lower().startswith("heading") or not heading):
                heading = text
                if not tables:
                    before_first.append(text)
        elif el.tag == qn("w:tbl"):
            n += 1
            rows: list[list[str]] = []
            merged: set[tuple[int, int]] = set()
            wide: set[int] = set()
            for tr in el.iter(qn("w:tr")):
                row: list[str] = []
                for tc in tr.iterchildren(qn("w:tc")):
                    pr = tc.find(qn("w:tcPr"))
                    span = pr.find(qn("w:gridSpan")) if pr is not None else None
                    vmerge = pr.find(qn("w:vMerge")) if pr is not None else None
                    text = "\n".join(_text_of(p, qn) for p in tc.iter(qn("w:p"))).strip()
                    if vmerge is not None and vmerge.get(qn("w:val")) in (None, "continue") and rows:
                        col = len(row)
                        text = rows[-1][col] if col < len(rows[-1]) else ""
                        merged.add((len(rows), col))
                    row.append(text)
                    if span is not None and int(span.get(qn("w:val"))) >= 3:
                        wide.add(len(rows))
                    row.extend([""] * (int(span.get(qn("w:val"))) - 1 if span is not None else 0))
                rows.append(row)
            tables.append(SourceTable(f"table {n}", heading, rows, "table", merged, wide))
    if not tables:
        raise UnusableFileError(path, "the Word document has no tables: an action plan must be in a table")
    if not title and before_first:
        if len(before_first) >= 2:
            title = before_first[0]  # a heading over the first section's heading
        elif _TITLE_LIKE.search(before_first[0]):
            title = before_first[0]  # one heading before the first table that reads as a title, not a theme
    if not title:
        title = (doc.core_properties.title or "").strip()
    if title:
        for t in tables:
            if t.heading == title:
                t.heading = ""
    return tables, title


def _read_csv(path: Path) -> tuple[list[SourceTable], str]:
    text = decode(path.read_bytes())
    dialect = dialect_of(text, ",;\t|")
    limit = csv.field_size_limit()
    csv.field_size_limit(max(limit, len(text) + 1))  # a field may be as long as the file: cells too long are reported later
    try:
        rows = [list(r) for r in csv.reader(io.StringIO(text), dialect)]
    except csv.Error as exc:
        raise UnusableFileError(path, f"not a readable CSV file ({exc})") from exc
    finally:
        csv.field_size_limit(limit)
    return [SourceTable(path.name, "", rows, "csv")], ""


def read_legacy(path: str | os.PathLike[str]) -> tuple[list[SourceTable], str]:
    """The tables of a legacy plan file, and its title if the file has one."""
    p = check_input_file(path, "plan file")
    suffix = p.suffix.lower()
    if suffix in (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"):  # .xlsb, .xls, .ods: read for their values
        return _read_xlsx(p)
    if suffix == ".docx":
        return _read_docx(p)
    if suffix in (".csv", ".txt"):
        return _read_csv(p)
    if suffix == ".doc":
        raise UnusableFileError(p, "legacy .doc file: open it in Word and Save As .docx first")
    raise UnusableFileError(p, "not a .xlsx, .xlsm, .xlsb, .xls, .ods, .docx or .csv file")
