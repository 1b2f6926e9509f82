"""Import a plan kept in its own layout (Excel, Word or CSV) into the standard workbook.

Each sheet (or Word table) is a section whose heading becomes the Theme.  Headers are matched
by synonyms; ``--map`` overrides any column, by its header, its position ("Column 3") or its
letter ("C").  Every action gets a Ref: the source's own number (a Ref column, a number column
with no heading, or the number leading the action text) or one generated from the structure
(:mod:`planbook.legacy.refs`).  A row with no action text of its own under a numbered row is a
continuation: its own action, with the parent's Objective and Action and a sub-Ref.  Lead cells
are split into bodies and spelling variants merged (:mod:`planbook.legacy.leads`).  A status is
never invented: a cell with no status word leaves Status blank and its text goes to Progress
update.  Everything done is reported; nothing is dropped silently.
"""
from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from planbook.core.columns import HEADER_OF_FIELD, header_key
from planbook.core.columns import field_for_header as standard_field
from planbook.core.due import UNKNOWN, fy_of, parse_due
from planbook.core.errors import PlanbookError
from planbook.core.findings import WARNING, Finding, Report
from planbook.core.layout import ALL_ACTIONS, GUIDE, LISTS, META, NO_LEAD
from planbook.core.leads import lead_key
from planbook.core.limits import MAX_CELL
from planbook.core.model import Action, Lead, Origin, PlanInfo
from planbook.core.names import col_letter, sheet_name
from planbook.core.status import NO_STATUS, how_read, normalise_status, reading_note, split_status_prefix
from planbook.core.text import clean_rows, clean_text
from planbook.files.atomic import check_output
from planbook.files.guard import refuse_consolidated, refuse_overwriting_inputs
from planbook.legacy.leads import (
    LeadBook,
    once,
    read_aliases,
    split_bodies,
    split_outside_brackets,
)
from planbook.legacy.refs import (
    RefMaker,
    as_number,
    depth,
    is_number_column,
    leading_section_number,
    number_in_text,
)
from planbook.legacy.source import SourceTable, read_legacy
from planbook.legacy.summary import ImportResult
from planbook.legacy.themes import read_theme_names, unused_lines
from planbook.workbook.writer import check_email, write_plan

__all__ = ["ImportResult", "SourceTable", "import_plan", "parse_map", "read_legacy"]

PROGRESS_SPLIT = "progress+status"  # a column holding a status word and commentary
PROGRESS_NOTES = "progress+notes"  # a Progress column of notes: Progress update (a leading status word read)
NUMBER = "number"  # a column with no heading holding 1, 1.1, 2.3a …
_IMPORT_SYNONYMS = {
    "progress": PROGRESS_SPLIT, "progress rag": PROGRESS_SPLIT, "progress and rag": PROGRESS_SPLIT,
    "rag progress": PROGRESS_SPLIT, "progress to date": PROGRESS_SPLIT, "current progress": PROGRESS_SPLIT,
    "monitored and evaluated by": "extra:Monitored by", "evaluated by": "extra:Monitored by",
    "monitored by": "extra:Monitored by",
    "milestones and timescales": "due", "milestones": "due", "milestone": "due", "timescales and milestones": "due",
    "key priority": "objective", "key priorities": "objective", "objective and outcome": "objective",
    "key results drivers": "action", "key results driver": "action",
    "outcomes and performance indicators": "success_measure", "success factor": "success_measure",
    "success factors": "success_measure", "critical success factors": "success_measure",
    "lead agency": "lead", "lead partner": "lead", "lead organisation": "lead", "responsibility": "lead",
    "lead responsibility": "lead",
}
_SEPARATORS = (" \u2013 ", " \u2014 ", " - ", ": ")
_DEFAULT_SHEET = re.compile(r"^(?:sheet|table|tabelle|feuil)\s*\d*$", re.I)
_HAS_WORD = re.compile(r"[0-9A-Za-z\u00c0-\uffff]")


# ---------------------------------------------------------------- mapping headers


def _field(text: str, overrides: dict[str, str]) -> str | None:
    if len(text) > 200:
        return None  # a header is a few words; a long cell is data
    key = header_key(text)
    if not key:
        return None
    if key in overrides:
        return overrides[key]
    if key in _IMPORT_SYNONYMS:
        return _IMPORT_SYNONYMS[key]
    return standard_field(text)


def parse_map(items: Sequence[str]) -> dict[str, str]:
    """``["By when=Due", "Owner=Lead", "C=Ref", "Column 3=Ref", "Notes=extra"]`` -> {key: field}.

    A key is a header in :func:`header_key` form, ``column 3`` (the name the import report
    shows a column with no heading by), or a column letter.
    """
    fields = {header_key(h): f for f, h in HEADER_OF_FIELD.items()}
    out = {}
    for item in items:
        if "=" not in item:
            raise PlanbookError(f"--map takes HEADER=COLUMN, got {item!r}")
        source, target = (s.strip() for s in item.split("=", 1))
        tkey = header_key(target)
        if not header_key(source):
            raise PlanbookError(f"--map {item!r}: give the header, 'Column 3' or a column letter before '='")
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


def _position_keys(c: int) -> tuple[str, ...]:
    letter = col_letter(c).lower()
    return (f"column {c + 1}", f"column {letter}", letter)


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


@dataclass
class _Layout:
    """How one source table is laid out: header position, column meanings, theme."""

    table: SourceTable
    first_row: int  # first row under the header
    fields: dict[int, str]  # column -> field, "extra:<name>", NUMBER or PROGRESS_SPLIT
    number_cols: list[int]
    above: list[str]  # the lines above the header (title rows)
    theme: str = ""


@dataclass
class _Row:
    """One imported action and what pass two needs to give it a Ref and a Lead."""

    action: Action
    table: SourceTable
    r: int
    source_ref: str
    parent: _Row | None
    objective_number: str | None
    theme_number: str | None
    objective_group: int
    theme: str
    lead_text: str
    lead_col: int | None
    ref_col: int
    partner_names: list[str] = field(default_factory=list)


def _status_word(text: str) -> tuple[str | None, bool, str | None, str]:
    """(standard status, whether the text is just the word, how it was read — see
    :func:`planbook.core.status.how_read` — and the status word as written) — (None, False,
    None, "") with no status word."""
    t = text.strip()
    if not _HAS_WORD.search(t) and not any(ch in t for ch in "\u263a\u2639\U0001f60a\U0001f641"):
        return None, False, None, ""
    status = normalise_status(t)
    if status == NO_STATUS:
        return None, False, None, ""  # "No status given" typed out: no status word
    if status is not None:
        return status, True, how_read(t, status), t
    status, rest = split_status_prefix(t)
    if status is None:
        return None, False, None, ""
    word = (t[:t.rfind(rest)] if rest else t).strip(" \t\n-\u2013\u2014:;,.")
    return status, False, how_read(word, status), word


def _layout(table: SourceTable, found: tuple[int, int, list[str]], overrides: dict[str, str], used: set[str],
            report: Report, file: str, mapping: dict[str, str]) -> _Layout:
    header_row, span, headers = found
    body = table.rows[header_row + span:]
    width = max([len(headers), *(len(r) for r in body)])
    raw: dict[int, str | None] = {}
    names: dict[int, str] = {}
    for c in range(width):
        h = headers[c].strip() if c < len(headers) else ""
        values = [r[c] if c < len(r) else "" for r in body]
        key = header_key(h)
        pos = next((k for k in _position_keys(c) if k in overrides), None)
        if key and key in overrides:
            fld: str | None = overrides[key]
            used.add(key)
        elif pos is not None:
            fld = overrides[pos]
            used.add(pos)
        else:
            fld = _field(h, {}) if h else None
        if not h and pos is None and not any(v.strip() for v in values):
            continue
        if fld is None and not key and is_number_column(values):
            fld = NUMBER
        raw[c], names[c] = fld, h or f"Column {c + 1}"
    present = set(raw.values())
    if "status" in present and PROGRESS_SPLIT in present:  # a status column beside: Progress is notes
        raw = {c: (PROGRESS_NOTES if f == PROGRESS_SPLIT else f) for c, f in raw.items()}
    action_cols = [c for c, f in raw.items() if f == "action"]
    if len(action_cols) >= 2 and "objective" not in present:  # "Action" + "Activity": the first is what
        raw[action_cols[0]] = "objective"  # the activities below it serve
    fields: dict[int, str] = {}
    seen: set[str] = set()
    for c, fld in raw.items():
        name = names[c]
        if fld == PROGRESS_SPLIT:
            values = [r[c] for r in body if c < len(r) and r[c].strip()]
            with_word = sum(1 for v in values if _status_word(v)[0] is not None)
            if values and with_word * 2 < len(values):
                fld = PROGRESS_NOTES  # a Progress column of notes, not status words
        if fld is None or (fld in seen and not fld.startswith("extra:") and fld != NUMBER):
            letter = col_letter(c)
            fld = f"extra:{name}"
            report.add(Finding("unknown-column", file, table.name, table.where(header_row, c), name,
                               f"column {name!r} (column {letter}) has no standard meaning; kept as an extra column "
                               f"(use --map \"{name}=Column\" or --map \"{letter}=Column\" to map it)",
                               outcome="kept as extra column"))
        if fld.startswith("extra:") and fld.lower() in {f.lower() for f in fields.values()}:
            fld = _distinct(fld, fields.values())  # "Notes" twice, or "Notes" and "notes": both kept
            report.add(Finding("renamed-column", file, table.name, table.where(header_row, c), name,
                               f"a second column headed {name!r} (column {col_letter(c)}) was kept as "
                               f"{fld[6:]!r}, so neither is lost", outcome=f"kept as extra column {fld[6:]!r}"))
        seen.add(fld)
        fields[c] = fld
        mapping.setdefault(name, "Status + Progress update" if fld == PROGRESS_SPLIT
                           else "Progress update (Status where a status word leads)" if fld == PROGRESS_NOTES
                           else "Ref (numbers in a column with no heading)" if fld == NUMBER
                           else fld[6:] + " (extra)" if fld.startswith("extra:") else HEADER_OF_FIELD[fld])
    above = [" ".join(x.strip() for x in table.rows[r] if x.strip()) for r in range(header_row)]
    return _Layout(table, header_row + span, fields, [c for c, f in fields.items() if f == NUMBER],
                   [a for a in above if a])


def _distinct(fld: str, taken) -> str:
    """``extra:<name>`` made distinct from the extra columns already ``taken``, ignoring case
    (a workbook's column headers are: "Notes" and "notes" are one to Excel): "notes (2)" …"""
    used = {f.lower() for f in taken}
    if fld.lower() not in used:
        return fld
    n = 2
    while f"{fld} ({n})".lower() in used:
        n += 1
    return f"{fld} ({n})"


def _cut_at_separator(text: str) -> tuple[str, str] | None:
    """("Title", "rest") at the last " – " (or " - ", ": ") in ``text``."""
    best = max(((text.rfind(sep), sep) for sep in _SEPARATORS), key=lambda x: x[0])
    if best[0] <= 0:
        return None
    return text[:best[0]].strip(), text[best[0] + len(best[1]):].strip()


def _title_and_themes(layouts: list[_Layout], doc_title: str, fallback: str) -> tuple[str, list[str]]:
    """The plan title and each table's theme, whole: a sheet's first line is often "Title – Theme"."""
    firsts = [lay.above[0] if lay.above else "" for lay in layouts]
    title = doc_title
    if not title:
        filled = [f for f in firsts if f]
        if len(filled) >= 2 and len(set(filled)) > 1:
            prefix = os.path.commonprefix(filled)
            cut = None
            for sep in _SEPARATORS:
                i = prefix.rfind(sep)
                if i > 0 and (cut is None or i > cut[0]):
                    cut = (i, sep)
            title = prefix[:cut[0]].strip() if cut else ""
        if not title and filled:
            title = filled[0]
            parts = _cut_at_separator(filled[0])
            sheet = layouts[firsts.index(filled[0])].table.heading
            if parts and sheet and _same_start(parts[1], sheet):
                title = parts[0]
    for lay, first in zip(layouts, firsts):
        t = lay.table
        if t.kind != "sheet":
            lay.theme = t.heading.strip()
            continue
        suffix = ""
        if title and first.startswith(title) and first != title:
            suffix = first[len(title):].strip().lstrip("\u2013\u2014-:").strip()
        if suffix and (_same_start(suffix, t.name) or len(layouts) > 1):
            lay.theme = suffix  # the whole name; the sheet name is often it cut to 31 characters
        elif not _DEFAULT_SHEET.match(t.name.strip()):
            lay.theme = t.name.strip()
    return title or fallback, list(dict.fromkeys(lay.theme for lay in layouts if lay.theme))


def _same_start(a: str, b: str) -> bool:
    ka, kb = header_key(a), header_key(b)
    return bool(ka and kb) and (ka.startswith(kb) or kb.startswith(ka))


def _read_table(lay: _Layout, file: str, report: Report, context_year: int | None, rows_out: list[_Row],
                counters: dict[str, int], group_ids: dict[str, int]) -> int:
    """Read the rows of one table into ``rows_out``; returns the number of data rows."""
    t = lay.table
    fields = lay.fields
    col_of: dict[str, int] = {}
    for c, f in fields.items():
        col_of.setdefault(f, c)
    data_cols = sorted(c for c, f in fields.items() if f not in (NUMBER, "ref"))
    first_data = data_cols[0] if data_cols else None
    ref_col = col_of.get("ref", col_of.get(NUMBER, col_of.get("action", 0)))
    theme = lay.theme
    objective, lead_carried = "", ""
    parent: _Row | None = None
    heading_rows: list[tuple[int, str]] = []
    data_rows = 0
    for r in range(lay.first_row, len(t.rows)):
        row = t.rows[r]

        def own(c: int | None) -> str:
            if c is None or c >= len(row) or (r, c) in t.merged:
                return ""
            return row[c].strip()

        if not any(own(c) for c in range(len(row))):
            continue  # blank, or only cells merged down from the row above
        heading = _heading_of(r, [(c, own(c)) for c in range(len(row)) if own(c)], t, fields, first_data)
        if heading is not None:
            c0, number, text = heading
            if fields.get(c0) == "objective":
                objective, lead_carried = (f"{number} {text}" if number and not text.startswith(number) else text), ""
            else:
                theme = f"{number}. {text}" if number and not text.startswith(number) else text
                objective, lead_carried, parent = "", "", None
            heading_rows.append((r, text))
            report.add(Finding("section-heading", file, t.name, t.where(r, c0), text[:80],
                               f"a row with only {text[:60]!r} in it: read as the "
                               f"{'Objective' if fields.get(c0) == 'objective' else 'Theme'} of the rows below",
                               outcome="used for the rows below, not imported as an action"))
            continue
        data_rows += 1
        values = {f: (row[c] if c < len(row) else "") for c, f in fields.items()}
        obj_text = values.get("objective", "").strip()
        if obj_text and obj_text != objective:
            objective, lead_carried = obj_text, ""  # a new objective starts a new group
        theme_text = values.get("theme", "").strip()
        if theme_text:
            theme = theme_text
        c_action = col_of.get("action")
        text = own(c_action)
        numbers: list[str] = []
        c_ref = col_of.get("ref")
        ref_given = own(c_ref)
        for c in lay.number_cols:
            n = as_number(own(c))
            if n:
                numbers.append(n)
        in_text = number_in_text(text) if text else None
        if in_text:
            numbers.append(in_text[0])
        source_ref = ref_given or (max(numbers, key=depth) if numbers else "")
        if in_text and source_ref in ("", in_text[0]):
            text = in_text[1]
        continuation = parent is not None and not text and (not source_ref or source_ref == parent.source_ref)
        if continuation:
            source_ref = ""
        a = Action(ref="", action=text, lead="", theme=theme, objective=objective, origin=Origin(file, t.name, r + 1))
        if continuation:
            a.action = parent.action.action
            a.objective = parent.action.objective or objective
        elif not text and c_action is not None and values.get("action", "").strip():
            a.action = values["action"].strip()  # only merged down from above, with no parent row to join
        lead_text = values.get("lead", "").strip()
        if lead_text:
            lead_carried = lead_text
        elif lead_carried:
            lead_text = lead_carried
        a.partners = values.get("partners", "").strip()
        a.success_measure = values.get("success_measure", "")
        a.resources = values.get("resources", "")
        _import_status(a, values, col_of, report, file, t, r, counters)
        due_text = values.get("due", "").strip()
        if due_text:
            counters["due_cells"] += 1
            a.due = parse_due(due_text, context_year)
            if a.due.kind == UNKNOWN:
                counters["due_not_understood"] += 1
                report.add(Finding("bad-due", file, t.name, t.where(r, col_of["due"]), due_text[:200],
                                   f"due {due_text[:80]!r} not understood as a date or timescale",
                                   outcome="kept as text"))
        for fld, value in values.items():
            if fld.startswith("extra:") and value.strip():
                a.extras[fld[6:]] = value
        group = group_ids.setdefault(f"{t.name}\t{objective}", len(group_ids) + 1) if objective else 0
        rec = _Row(a, t, r, source_ref, parent if continuation else None, leading_section_number(objective),
                   leading_section_number(theme), group, theme, lead_text, col_of.get("lead"), ref_col)
        rows_out.append(rec)
        if not continuation:
            parent = rec
    return data_rows


def _heading_of(r: int, cells: list[tuple[int, str]], t: SourceTable, fields: dict[int, str],
                first_data: int | None) -> tuple[int, str | None, str] | None:
    """(column, number, text) when a row is a heading, not an action: one text (and perhaps its
    number) merged across the table, or alone in the first column when that is not the Action."""
    numbers = [v for c, v in cells if fields.get(c) in (NUMBER, "ref") and as_number(v)]
    texts = [(c, v) for c, v in cells if not (fields.get(c) in (NUMBER, "ref") and as_number(v))]
    if len(texts) != 1 or len(numbers) > 1:
        return None
    c0, text = texts[0]
    if r in t.wide or (c0 == first_data and fields.get(c0) not in ("action", "lead", "due", "ref", NUMBER)):
        return c0, (as_number(numbers[0]) if numbers else None), text
    return None


def _clean_table(table: SourceTable, file: str, report: Report) -> None:
    """Clean text XML cannot hold as the table comes in, and note cells longer than Excel holds;
    one finding a cell."""
    table.heading = clean_text(table.heading)
    table.name = clean_text(table.name)
    for r, c, code, detail, original in clean_rows(table.rows):
        shown = clean_text(original[:200]) + ("…" if len(original) > 200 else "")
        if code == "control-character":
            report.add(Finding(code, file, table.name, table.where(r, c), shown,
                               f"the cell held {detail}, which Excel and Word cannot save",
                               outcome="replaced by a line break (U+000B, U+000C) or a space"))
        else:  # kept whole: the written plan goes on in "<column> (continued)" columns (planbook.workbook.writer)
            table.rows[r][c] = clean_text(original)
            report.add(Finding(code, file, table.name, table.where(r, c), shown,
                               f"the cell holds {detail}; an Excel cell holds {MAX_CELL:,}",
                               outcome="imported whole: in the plan, the rest of the text is in a "
                                       "'… (continued)' column beside it"))


def _import_status(a: Action, values: dict[str, str], col_of: dict[str, int], report: Report, file: str,
                   table: SourceTable, r: int, counters: dict[str, int]) -> None:
    """Status from a Status column or a Progress column — never invented.

    A cell that is just a status word gives the status.  A status word leading notes ("Complete –
    report to Cabinet in May") gives the status and the whole text goes to Progress update too.
    Notes with no status word leave Status blank (shown as "No status given") and go to Progress
    update — reported when the column is a status column, not when it is a column of notes; a
    blank cell leaves Status blank.
    """
    a.status, a.status_text = NO_STATUS, ""  # blank: "No status given"
    progress = [values.get("progress", "").strip()]
    fld = next((f for f in ("status", PROGRESS_SPLIT, PROGRESS_NOTES) if f in col_of), None)
    text = values.get(fld, "").strip() if fld else ""
    if text:
        status, only_word, how, word = _status_word(text)
        if fld != PROGRESS_NOTES or status is not None:
            counters["status_cells"] += 1
        if status is not None:
            counters["status_with_word"] += 1
            a.status, a.status_text = status, status
        if how is not None:
            counters[f"status_from_{how}"] += 1
            report.add(Finding("status-read", file, table.name, table.where(r, col_of[fld]), text[:200],
                               reading_note(word, status, how) + ("" if only_word else " (the status word leading "
                                                                 "the notes; the notes kept as Progress update)"),
                               outcome=f"Status {status}, read from a {how}"))
        if status is None or not only_word:
            progress.insert(0, text)
        if status is None and fld != PROGRESS_NOTES:
            counters["status_unrecognised"] += 1
            report.add(Finding("unknown-status", file, table.name, table.where(r, col_of[fld]), text[:200],
                               f"no status word (Complete, On track, Slippage, Off track, Not started) in "
                               f"{text[:80]!r}", severity=WARNING,
                               outcome="Status left blank (No status given); the text is kept as Progress update"))
    notes = values.get(PROGRESS_NOTES, "").strip() if fld != PROGRESS_NOTES else ""
    if notes:  # a Progress column of notes beside the Status column: its text is the update too
        status, _, how, word = _status_word(notes)
        if a.status == NO_STATUS and status is not None:  # the Status cell blank: a leading word gives it
            counters["status_with_word"] += 1
            a.status, a.status_text = status, status
            report.add(Finding("status-read", file, table.name, table.where(r, col_of[PROGRESS_NOTES]), notes[:200],
                               reading_note(word, status, how or "word") + " (the status word leading the notes; "
                               "the Status cell blank)", outcome=f"Status {status}, read from the notes"))
        before = col_of[PROGRESS_NOTES] < col_of.get("progress", col_of[PROGRESS_NOTES])  # in column order
        progress.insert(len(progress) - 1 if before else len(progress), notes)
    if a.status == NO_STATUS:
        counters["status_blank"] += 1
    a.progress = "\n".join(p for p in progress if p)


_COUNT_NAMES = ("due_cells", "due_not_understood", "status_cells", "status_with_word", "status_unrecognised",
                "status_blank", "status_from_letter", "status_from_symbol", "status_from_phrase")


#: The columns only a consolidated workbook's All actions sheet has (where each row came from).
_CONSOLIDATION_COLUMNS = frozenset({"source file", "source sheet", "source row"})


def _refuse_all_actions(src: Path, table: SourceTable) -> None:
    """A consolidated workbook's All actions sheet, copied into a workbook of its own, is not a
    plan either: its own columns (Source file, Source sheet, Source row) give it away."""
    for row in table.rows[:15]:
        if _CONSOLIDATION_COLUMNS <= {header_key(v) for v in row}:
            raise PlanbookError(f"{src}: sheet {table.name!r} is a consolidated workbook's {ALL_ACTIONS} (it has the "
                                "Source file, Source sheet and Source row columns), not a plan: to start the next "
                                "period, run planbook roll-forward on the consolidated workbook it came from")


def import_plan(legacy: str | os.PathLike[str], out: str | os.PathLike[str] | None, *,
                mapping: Sequence[str] = (), title: str | None = None, period: str = "",
                overwrite: bool = False, leads: str | os.PathLike[str] | None = None, coordinator: str = "",
                coordinator_email: str = "", return_by: dt.date | None = None,
                themes: str | os.PathLike[str] | None = None) -> ImportResult:
    """Import ``legacy`` and (unless ``out`` is None) write the standard workbook to ``out``.

    ``mapping`` holds ``--map`` entries; ``leads`` is a ``--leads`` CSV file of aliases
    (name as written, lead to use); ``themes`` a ``--themes`` CSV file (heading as written, theme to use:
    see planbook.legacy.themes).  ``coordinator``, ``coordinator_email`` and ``return_by`` are the
    coordinator's settings for the plan (see planbook.workbook.settings).  Raises :class:`PlanbookError` for a ``--map`` entry that
    matches no column, and :class:`UnusableFileError` for a file that cannot be read.
    """
    src = Path(legacy)
    if coordinator_email.strip():
        check_email(coordinator_email.strip())  # before anything is read or written
    refuse_consolidated(src)  # a consolidation read as a plan doubles it (Summary, Exceptions … as actions)
    if out:
        refuse_overwriting_inputs(out, [legacy, *([leads] if leads else []), *([themes] if themes else [])],
                                  what="source")
        check_output(out, overwrite=overwrite)
    overrides = parse_map(mapping)
    aliases = read_aliases(leads) if leads else {}
    theme_names = read_theme_names(themes) if themes else None
    tables, doc_title = read_legacy(src)
    report = Report()
    file = src.name
    doc_title = clean_text(doc_title)
    for table in tables:
        _clean_table(table, file, report)
        _refuse_all_actions(src, table)
    used_mapping: dict[str, str] = {}
    used_keys: set[str] = set()
    layouts: list[_Layout] = []
    rows_in = 0
    all_headers: list[str] = []
    for table in tables:
        if not any(c.strip() for r in table.rows for c in r):
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
        all_headers += [f"{col_letter(c)} {h.strip()!r}" if h.strip() else f"{col_letter(c)} (no heading: Column {c + 1})"
                        for c, h in enumerate(found[2])]
        layouts.append(_layout(table, found, overrides, used_keys, report, file, used_mapping))
    unmatched = [k for k in overrides if k not in used_keys]
    if unmatched and layouts:
        wanted = [m for m in mapping if header_key(m.split("=", 1)[0]) in unmatched]
        raise PlanbookError(f"--map {', '.join(repr(w) for w in wanted)} matches no column; the columns are: "
                            + "; ".join(dict.fromkeys(all_headers)))
    plan_title, themes = _title_and_themes(layouts, doc_title, src.stem)
    period_due = parse_due(period) if period else None
    context_year = fy_of(period_due.start) if period_due and period_due.start else None
    counters = dict.fromkeys(_COUNT_NAMES, 0)
    group_ids: dict[str, int] = {}
    rows: list[_Row] = []
    for lay in layouts:
        rows_in += _read_table(lay, file, report, context_year, rows, counters, group_ids)
    if not rows and rows_in == 0:
        if not layouts:
            raise PlanbookError(f"{file}: nothing to import (no non-empty rows)")
    if not rows:
        raise PlanbookError(f"{file}: no header row found (looked for Action, Lead/Who, By when …); "
                            "use --map \"Your header=Action\"")
    themes = list(dict.fromkeys(x.theme for x in rows if x.theme))  # the themes actions are under, in order
    _give_refs(rows, themes, report, file, counters)
    headings: dict[str, str] = {}
    if theme_names is not None:  # --themes: the short names, each with the heading it stands for
        report.extend(unused_lines(theme_names, themes))
        for x in rows:
            short = theme_names.short(x.action.theme) if x.action.theme else None
            if short:
                headings.setdefault(short, x.action.theme)
                x.action.theme = short
        themes = list(dict.fromkeys(x.action.theme for x in rows if x.action.theme))
    book = _give_leads(rows, aliases, report, file, counters)
    actions = [x.action for x in rows]
    lead_names = list(dict.fromkeys(a.lead for a in actions if a.lead))
    notes = [line for lay in layouts for line in lay.above]
    plan_title = title or plan_title
    info = PlanInfo(title=plan_title, period=period, leads=[Lead(n) for n in lead_names], themes=themes,
                    coordinator=coordinator.strip(), coordinator_email=coordinator_email.strip(), return_by=return_by,
                    theme_headings=headings,
                    notes=list(dict.fromkeys(n for n in notes if n != plan_title and not n.startswith(plan_title))))
    gaps = []
    for a in actions:
        for fld in ("action", "lead"):
            if not getattr(a, fld):
                gaps.append(f"{a.ref}\t{fld}")
                counters[f"{fld}_blank"] = counters.get(f"{fld}_blank", 0) + 1
    info.source_gaps = gaps
    if out:
        tabs = write_plan(out, info, actions, overwrite=overwrite)
    else:
        taken = {GUIDE.lower(), LISTS.lower(), META.lower()}
        tabs = {sheet_name(n, taken): n for n in [*lead_names, *([NO_LEAD] if "" in {a.lead for a in actions} else [])]}
    result = ImportResult(str(src), Path(out) if out else None, info, actions, report, rows_in, used_mapping,
                          book.rows(tabs), tabs, counters)
    result.source_numbers = list(dict.fromkeys(x.source_ref for x in rows if x.source_ref))
    counters["actions"] = len(actions)
    counters["leads"] = len(lead_names)
    counters["lead_names_written"] = len(result.leads)
    counters["leads_merged"] = sum(1 for row in result.leads if row.via)
    counters["lead_tabs"] = len([t for t, lead in tabs.items()])
    return result


def _give_refs(rows: list[_Row], themes: list[str], report: Report, file: str, counters: dict[str, int]) -> None:
    """Pass two: the source's numbers stay; every other action gets a generated Ref."""
    maker = RefMaker({x.source_ref for x in rows if x.source_ref})
    for x in rows:
        if x.source_ref:
            maker.seen(x.source_ref)
    n_groups = len({x.objective_group for x in rows if x.objective_group})
    theme_index = {t: i for i, t in enumerate(themes, start=1)}
    generated = continuations = 0
    for x in rows:
        a = x.action
        if x.source_ref:
            a.ref = x.source_ref
            continue
        if x.parent is not None:
            a.ref = maker.sub(x.parent.action.ref)
            continuations += 1
            message = (f"row {x.r + 1} has no action text of its own: it is part of {x.parent.action.ref} "
                       f"(Objective and Action carried down) and numbered {a.ref}")
        else:
            if x.objective_number:
                section = x.objective_number
            elif x.theme_number:
                section = x.theme_number
            elif len(theme_index) > 1 and x.theme in theme_index:
                section = str(theme_index[x.theme])
            elif n_groups > 1 and x.objective_group:
                section = str(x.objective_group)
            else:
                section = ""
            a.ref = maker.next_in(section)
            message = f"no number in the source for this action: numbered {a.ref} from its place in the plan"
        generated += 1
        report.add(Finding("ref-generated", file, x.table.name, x.table.where(x.r, x.ref_col), a.ref, message,
                           outcome=f"Ref {a.ref} generated"))
    counters["refs_generated"] = generated
    counters["continuation_rows"] = continuations


def _give_leads(rows: list[_Row], aliases: dict[str, str], report: Report, file: str,
                counters: dict[str, int]) -> LeadBook:
    """Pass two: each Lead cell split into bodies; the first is the Lead, spelling variants merged."""
    known: set[str] = set()
    for x in rows:
        for part in split_outside_brackets(x.lead_text):
            if not re.search(r"\s(?:and|&)\s|&", part, re.I):
                known.add(lead_key(once(part)))
    known |= set(aliases)
    book = LeadBook(aliases)
    first_at: dict[str, tuple[_Row, str]] = {}
    split_cells = 0
    for x in rows:
        names = split_bodies(x.lead_text, known) if x.lead_text else []
        x.action.lead = names[0] if names else ""
        if names:
            book.add(names[0])
            first_at.setdefault(names[0], (x, x.lead_text))
        x.partner_names = names[1:]
        if x.lead_col is not None and x.lead_text and any(once(p) != p for p in split_outside_brackets(x.lead_text)):
            report.add(Finding("lead-merged", file, x.table.name, x.table.where(x.r, x.lead_col), x.lead_text[:200],
                               f"the cell names {names[0]!r} more than once: read as one lead",
                               outcome=f"Lead {names[0]!r}"))
        if len(names) > 1 and x.lead_col is not None:
            split_cells += 1
            report.add(Finding("lead-split", file, x.table.name, x.table.where(x.r, x.lead_col), x.lead_text[:200],
                               f"several bodies named: {names[0]!r} is the Lead, "
                               f"{', '.join(repr(n) for n in names[1:])} Partners",
                               outcome="first name as Lead, others as Partners"))
    chosen = book.resolve()
    by_key = {lead_key(name): lead for name, lead in chosen.items()}
    by_key.update((k, by_key.get(lead_key(v), v)) for k, v in aliases.items())
    for x in rows:
        if x.action.lead:
            x.action.lead = chosen[x.action.lead]
        partners = [by_key.get(lead_key(n), n) for n in x.partner_names]  # spelled as the lead list has them
        if x.action.partners:
            partners.append(x.action.partners)
        x.action.partners = ", ".join(dict.fromkeys(p for p in partners if p != x.action.lead))
    for name, lead in chosen.items():
        if name != lead:
            x, _ = first_at[name]
            report.add(Finding("lead-merged", file, x.table.name, x.table.where(x.r, x.lead_col or 0), name[:200],
                               f"lead {name!r} listed as {lead!r} ({book.written[name]} action(s))",
                               outcome=f"on the {lead!r} tab"))
    used = {lead_key(n) for n in book.written} | {lead_key(n) for x in rows for n in x.partner_names}
    for key, (line, name) in getattr(aliases, "lines", {}).items():
        if key not in used:
            report.add(Finding("lead-alias-unused", aliases.file, "", f"line {line}", name[:200],
                               f"{aliases.file} line {line}: no lead in the source is written {name!r}, so this "
                               "line was not used (check its spelling against the source)", outcome="ignored"))
    counters["lead_cells_split"] = split_cells
    return book
