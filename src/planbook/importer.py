"""Import a plan kept in its own layout (Excel, Word or CSV) into the standard workbook.

Each sheet (or Word table) is a section whose heading becomes the Theme.  Headers are matched
by synonyms (``--map`` overrides); unknown columns are kept as extras.  Refs come from a
Ref/Action No. column or from the number leading the action text.  An objective written once
over several rows (blank below, or merged) is carried down.  A Progress cell is split into a
status word and commentary.  A Lead cell naming several people keeps the first as Lead and the
rest as Partners.  Everything done is reported; nothing is dropped silently.
"""
from __future__ import annotations

import csv
import io
import os
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .clean import MAX_CELL, clean_rows, clean_text
from .atomic import check_output
from .columns import HEADER_OF_FIELD, header_key
from .columns import field_for_header as standard_field
from .due import UNKNOWN, parse_due
from .errors import PlanbookError, UnusableFileError
from .findings import WARNING, Finding, Report
from .guard import check_zip, refuse_overwriting_inputs, refuse_special
from .model import Action, Lead, Origin, PlanInfo
from .reader import as_text, cell_ref, check_workbook_file
from .status import NO_STATUS, normalise_status, split_status_prefix
from .writer import write_plan

PROGRESS_SPLIT = "progress+status"  # a column holding a status word and commentary
_IMPORT_SYNONYMS = {
    "progress": PROGRESS_SPLIT, "progress rag": PROGRESS_SPLIT, "progress and rag": PROGRESS_SPLIT,
    "rag progress": PROGRESS_SPLIT,
    "monitored and evaluated by": "extra:Monitored by", "evaluated by": "extra:Monitored by",
    "monitored by": "extra:Monitored by",
    "milestones and timescales": "due", "milestones": "due",
    "key priority": "objective", "key priorities": "objective",
    "key results drivers": "action", "key results driver": "action",
    "outcomes and performance indicators": "success_measure",
}
_REF_IN_TEXT = re.compile(r"^\s*(\d{1,3}(?:\.\d{1,3})*[a-z]?)[.)]?\s+(?=\S)(.*)$", re.S)
_LEAD_SPLIT = re.compile(r"\s*(?:\n|/|;|\u00b7|\u2022)\s*")
_BULLET = re.compile(r"^[\s\u00b7\u2022\-*]+")


@dataclass
class SourceTable:
    """One table of the legacy file: a sheet, a Word table, or the CSV."""

    name: str  # sheet name, "table 3", or the CSV file name
    heading: str  # the section heading: sheet name or the Word heading before the table
    rows: list[list[str]]
    kind: str  # "sheet", "table", "csv"

    def where(self, r: int, c: int) -> str:
        if self.kind == "sheet":
            return cell_ref(r, c)
        return f"row {r + 1}, column {c + 1}"


@dataclass
class ImportResult:
    """What import did: the plan written, the mapping used, and the report."""

    source: str
    out: Path | None
    info: PlanInfo
    actions: list[Action]
    report: Report
    rows_in: int = 0
    mapping: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"file": self.source, "rows_in": self.rows_in, "actions": len(self.actions), "mapping": self.mapping,
                "findings": [f.to_dict() for f in self.report]}


# ---------------------------------------------------------------- reading the legacy file


def _read_xlsx(path: Path) -> tuple[list[SourceTable], str]:
    from python_calamine import CalamineWorkbook

    check_workbook_file(path)
    try:
        wb = CalamineWorkbook.from_path(str(path))
    except Exception as exc:
        raise UnusableFileError(path, f"corrupt workbook ({type(exc).__name__})") from exc
    tables = []
    for name in wb.sheet_names:
        if name in ("_planbook",):
            continue
        try:
            sheet = wb.get_sheet_by_name(name)
            rows = [[as_text(v) for v in row] for row in sheet.to_python(skip_empty_area=False)]
        except Exception as exc:  # calamine's own errors for damaged parts
            raise UnusableFileError(path, f"sheet {name!r} cannot be read ({type(exc).__name__})") from exc
        for merged in sheet.merged_cell_ranges or []:
            (r0, c0), (r1, c1) = merged
            value = rows[r0][c0] if r0 < len(rows) and c0 < len(rows[r0]) else ""
            for r in range(r0, min(r1, len(rows) - 1) + 1):
                for c in range(c0, min(c1, len(rows[r]) - 1) + 1):
                    if (r, c) != (r0, c0) and c0 == c1:  # vertical merge: the value holds for each row
                        rows[r][c] = value
        tables.append(SourceTable(name, name, rows, "sheet"))
    return tables, ""


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
    body = doc.element.body
    for el in body.iterchildren():
        if el.tag == qn("w:p"):
            text = "".join(t.text or "" for t in el.iter(qn("w:t"))).strip()
            style = el.find(qn("w:pPr") + "/" + qn("w:pStyle"))
            style_id = style.get(qn("w:val")) if style is not None else ""
            if text and style_id.lower() == "title" and not title:
                title = text
            elif text and (style_id.lower().startswith("heading") or not heading):
                heading = text
        elif el.tag == qn("w:tbl"):
            n += 1
            rows: list[list[str]] = []
            for tr in el.iter(qn("w:tr")):
                row: list[str] = []
                for tc in tr.iterchildren(qn("w:tc")):
                    pr = tc.find(qn("w:tcPr"))
                    span = pr.find(qn("w:gridSpan")) if pr is not None else None
                    vmerge = pr.find(qn("w:vMerge")) if pr is not None else None
                    text = "\n".join("".join(t.text or "" for t in p.iter(qn("w:t"))) for p in tc.iter(qn("w:p"))).strip()
                    if vmerge is not None and vmerge.get(qn("w:val")) in (None, "continue") and rows:
                        col = len(row)
                        text = rows[-1][col] if col < len(rows[-1]) else ""
                    row.append(text)
                    row.extend([""] * (int(span.get(qn("w:val"))) - 1 if span is not None else 0))
                rows.append(row)
            tables.append(SourceTable(f"table {n}", heading, rows, "table"))
    if not tables:
        raise UnusableFileError(path, "the Word document has no tables: an action plan must be in a table")
    return tables, title


def _read_csv(path: Path) -> tuple[list[SourceTable], str]:
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
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
    p = Path(path)
    if not p.exists():
        raise UnusableFileError(p, "file not found")
    if p.is_dir():
        raise UnusableFileError(p, "is a folder, not a plan file")
    refuse_special(p)
    suffix = p.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(p)
    if suffix == ".docx":
        return _read_docx(p)
    if suffix in (".csv", ".txt"):
        return _read_csv(p)
    if suffix in (".xls", ".doc"):
        raise UnusableFileError(p, f"legacy {suffix} file: open it and Save As {suffix}x first")
    raise UnusableFileError(p, "not a .xlsx, .xlsm, .docx or .csv file")


# ---------------------------------------------------------------- mapping headers


def _field(text: str, overrides: dict[str, str]) -> str | None:
    key = header_key(text)
    if not key:
        return None
    if key in overrides:
        return overrides[key]
    if key in _IMPORT_SYNONYMS:
        return _IMPORT_SYNONYMS[key]
    return standard_field(text)


def parse_map(items: Sequence[str]) -> dict[str, str]:
    """``["By when=Due", "Owner=Lead", "Notes=extra"]`` -> {header key: field}."""
    fields = {header_key(h): f for f, h in HEADER_OF_FIELD.items()}
    out = {}
    for item in items:
        if "=" not in item:
            raise PlanbookError(f"--map takes HEADER=COLUMN, got {item!r}")
        source, target = (s.strip() for s in item.split("=", 1))
        tkey = header_key(target)
        if tkey in ("extra", "keep"):
            out[header_key(source)] = f"extra:{source}"
        elif tkey in ("status and progress", "progress status"):
            out[header_key(source)] = PROGRESS_SPLIT
        elif tkey in fields:
            out[header_key(source)] = fields[tkey]
        else:
            raise PlanbookError(f"--map {item!r}: {target!r} is not a standard column "
                                f"({', '.join(HEADER_OF_FIELD.values())}, or 'extra')")
    return out


def _find_header(rows: list[list[str]], overrides: dict[str, str]) -> tuple[int, int, list[str]] | None:
    """(first header row, rows it spans, header texts) — one row, or a header split over two."""
    best = None
    for r in range(min(len(rows), 15)):
        one = rows[r]
        score1 = len({_field(h, overrides) for h in one} - {None})
        if r + 1 < len(rows):
            two = [" ".join(x for x in (a, b) if x).strip() for a, b in
                   zip(one + [""] * (len(rows[r + 1]) - len(one)), rows[r + 1] + [""] * (len(one) - len(rows[r + 1])))]
            score2 = len({_field(h, overrides) for h in two} - {None})
            score_next = len({_field(h, overrides) for h in rows[r + 1]} - {None})
            if score2 >= 2 and score2 > max(score1, score_next):  # a header split over two rows
                if best is None or score2 > best[0]:
                    best = (score2, r, 2, two)
                continue
        if score1 >= 2 and (best is None or score1 > best[0]):
            best = (score1, r, 1, one)
        if best and best[0] >= 4:
            break
    return (best[1], best[2], best[3]) if best else None


# ---------------------------------------------------------------- building actions


def _split_leads(text: str) -> list[str]:
    parts = [_BULLET.sub("", p).strip() for p in _LEAD_SPLIT.split(text)]
    return [p for p in parts if p]


def import_plan(legacy: str | os.PathLike[str], out: str | os.PathLike[str] | None, *,
                mapping: Sequence[str] = (), title: str | None = None, period: str = "",
                overwrite: bool = False) -> ImportResult:
    """Import ``legacy`` and (unless ``out`` is None) write the standard workbook to ``out``."""
    src = Path(legacy)
    if out:
        refuse_overwriting_inputs(out, [legacy], what="source")
        check_output(out, overwrite=overwrite)
    overrides = parse_map(mapping)
    tables, doc_title = read_legacy(src)
    report = Report()
    file = src.name
    doc_title = clean_text(doc_title)
    for table in tables:
        _clean_table(table, file, report)
    actions: list[Action] = []
    used_mapping: dict[str, str] = {}
    titles: list[str] = [doc_title] if doc_title else []
    themes: list[str] = []
    rows_in = 0
    split_leads = 0
    for table in tables:
        nonempty = [r for r in table.rows if any(c.strip() for c in r)]
        if not nonempty:
            continue
        found = _find_header(table.rows, overrides)
        if found is None:
            for r, row in enumerate(table.rows):
                if any(c.strip() for c in row):
                    rows_in += 1
                    report.add(Finding("sheet-skipped", file, table.name, table.where(r, 0), row[0][:80] if row else "",
                                       f"{table.name}: no header row (Action, Lead, By when …) found; row not imported",
                                       outcome="not imported; give --map or fix the header"))
            continue
        header_row, span, headers = found
        for r in range(header_row):
            text = " ".join(c.strip() for c in table.rows[r] if c.strip())
            if text:
                titles.append(text)
        theme = table.heading.strip()
        if theme and theme not in themes:
            themes.append(theme)
        fields: dict[int, str] = {}
        seen_fields: set[str] = set()
        for c, h in enumerate(headers):
            fld = _field(h, overrides)
            has_data = any(c < len(r) and r[c].strip() for r in table.rows[header_row + span:])
            if not h.strip() and not has_data:
                continue
            name = h.strip() or f"Column {c + 1}"
            if fld is None or (fld in seen_fields and not fld.startswith("extra:")):
                fld = f"extra:{name}"
                report.add(Finding("unknown-column", file, table.name, table.where(header_row, c), name,
                                   f"column {name!r} has no standard meaning; kept as an extra column "
                                   f"(use --map \"{name}=Column\" to map it)", outcome="kept as extra column"))
            seen_fields.add(fld)
            fields[c] = fld
            used_mapping.setdefault(name, "Status + Progress update" if fld == PROGRESS_SPLIT
                                    else fld[6:] + " (extra)" if fld.startswith("extra:") else HEADER_OF_FIELD[fld])
        carried: dict[str, str] = {}
        for r in range(header_row + span, len(table.rows)):
            row = table.rows[r]
            if not any(c.strip() for c in row):
                continue
            rows_in += 1
            values = {fld: (row[c] if c < len(row) else "") for c, fld in fields.items()}
            a = Action(ref="", action="", lead="", theme=theme, origin=Origin(file, table.name, r + 1))
            objective = values.get("objective", "").strip()
            if objective:
                if objective != carried.get("objective"):
                    carried.pop("lead", None)  # a new objective starts a new group
                carried["objective"] = objective
            a.objective = carried.get("objective", "")
            text = values.get("action", "").strip()
            ref = values.get("ref", "").strip()
            m = _REF_IN_TEXT.match(text)
            if m and (not ref or ref == m.group(1)):
                ref, text = m.group(1), m.group(2).strip()
            a.ref, a.action = ref, text
            if not ref:
                report.add(Finding("missing-required", file, table.name,
                                   table.where(r, next((c for c, f in fields.items() if f in ("ref", "action")), 0)),
                                   text[:80], "no Ref: no Action No. column and the action text does not start "
                                   "with a number", severity=WARNING, outcome="imported without a Ref; add one"))
            lead_text = values.get("lead", "").strip()
            if lead_text:
                carried["lead"] = lead_text
            elif carried.get("lead"):
                lead_text = carried["lead"]
            names = _split_leads(lead_text)
            if names:
                a.lead = names[0]
                partners = names[1:] + ([values["partners"].strip()] if values.get("partners", "").strip() else [])
                a.partners = ", ".join(partners)
                if len(names) > 1:
                    split_leads += 1
                    c = next(c for c, f in fields.items() if f == "lead")
                    report.add(Finding("lead-split", file, table.name, table.where(r, c), lead_text,
                                       f"several leads named: {names[0]!r} is the Lead, "
                                       f"{', '.join(repr(n) for n in names[1:])} Partners",
                                       outcome="first name as Lead, others as Partners"))
            else:
                a.partners = values.get("partners", "").strip()
            a.success_measure = values.get("success_measure", "")
            a.resources = values.get("resources", "")
            _import_status(a, values, fields, report, file, table, r)
            due_text = values.get("due", "").strip()
            if due_text:
                a.due = parse_due(due_text)
                if a.due.kind == UNKNOWN:
                    c = next(c for c, f in fields.items() if f == "due")
                    report.add(Finding("bad-due", file, table.name, table.where(r, c), due_text,
                                       f"due {due_text!r} not understood as a date or timescale",
                                       outcome="kept as text"))
            for fld, value in values.items():
                if fld.startswith("extra:") and value.strip():
                    a.extras[fld[6:]] = value
            actions.append(a)
    if not actions and rows_in == 0:
        raise PlanbookError(f"{file}: nothing to import (no non-empty rows)")
    if not actions:
        raise PlanbookError(f"{file}: no header row found (looked for Action, Lead/Who, By when …); "
                            "use --map \"Your header=Action\"")
    lead_names = list(dict.fromkeys(a.lead for a in actions if a.lead))
    plan_title = title or (titles[0] if titles else src.stem)
    info = PlanInfo(title=plan_title, period=period, leads=[Lead(n) for n in lead_names], themes=themes,
                    notes=list(dict.fromkeys(t for t in titles if t != plan_title)))
    result = ImportResult(str(src), Path(out) if out else None, info, actions, report, rows_in, used_mapping)
    if out:
        write_plan(out, info, actions, overwrite=overwrite)
    return result


def _clean_table(table: SourceTable, file: str, report: Report) -> None:
    """Clean text XML cannot hold (and over-long cells) as the table comes in, one finding a cell."""
    table.heading = clean_text(table.heading)
    table.name = clean_text(table.name)
    for r, c, code, detail, original in clean_rows(table.rows):
        shown = clean_text(original[:200]) + ("…" if len(original) > 200 else "")
        if code == "control-character":
            report.add(Finding(code, file, table.name, table.where(r, c), shown,
                               f"the cell held {detail}, which Excel and Word cannot save",
                               outcome="replaced by a line break (U+000B, U+000C) or a space"))
        else:
            report.add(Finding(code, file, table.name, table.where(r, c), shown,
                               f"the cell holds {detail}; Excel's limit is {MAX_CELL:,}",
                               outcome=f"cut to {MAX_CELL:,} characters; the rest was not imported"))


def _import_status(a: Action, values: dict[str, str], fields: dict[int, str], report: Report, file: str,
                   table: SourceTable, r: int) -> None:
    status_text = values.get("status", "").strip()
    progress_text = values.get("progress", "")
    combined = values.get(PROGRESS_SPLIT, "").strip()
    if combined:
        status, rest = split_status_prefix(combined)
        if status is None and normalise_status(combined) is not None:
            status, rest = normalise_status(combined), ""
        if status is None:
            c = next(c for c, f in fields.items() if f == PROGRESS_SPLIT)
            report.add(Finding("unknown-status", file, table.name, table.where(r, c), combined[:80],
                               "no status word (Complete, On track, Slippage, Off track …) at the start of "
                               "the progress text", severity=WARNING, outcome="status left blank; text kept as Progress update"))
            status, rest = NO_STATUS, combined
        a.status, a.status_text = status, "" if status == NO_STATUS else status
        a.progress = "\n".join(x for x in (rest, progress_text) if x)
        return
    a.progress = progress_text
    status = normalise_status(status_text)
    if status is None:
        c = next(c for c, f in fields.items() if f == "status")
        report.add(Finding("unknown-status", file, table.name, table.where(r, c), status_text,
                           f"status {status_text!r} not recognised", severity=WARNING, outcome="kept as typed"))
    a.status, a.status_text = status, status_text if status is None else status

