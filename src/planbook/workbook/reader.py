"""Read a standard plan workbook back into actions plus a report of findings.

Leads do unexpected things to their tabs — type below the table, insert columns, retype a
header in capitals — so the reader looks for the header row, matches headers tolerantly,
keeps unknown columns as extras, and reads every non-empty row under the header.  Values
are read with python-calamine (fast, and independent of the writer).
"""
from __future__ import annotations

import datetime as dt
import functools
import os
from pathlib import Path

from planbook.core.addresses import email_problem
from planbook.core.columns import HEADER_OF_FIELD, REQUIRED_FIELDS, field_for_header, header_key
from planbook.core.due import BLANK_DUE, DATE, UNKNOWN, Due, fy_of, parse_due
from planbook.core.errors import UnusableFileError
from planbook.core.findings import WARNING, Finding, Report
from planbook.core.layout import GUIDE, HISTORY, LISTS, META, RETIRED
from planbook.core.leads import lead_key
from planbook.core.limits import MAX_CELL, cut_to_fit
from planbook.core.model import Action, Lead, Origin, PlanInfo
from planbook.core.names import cell_ref, col_letter
from planbook.core.status import how_read, normalise_status, reading_note
from planbook.core.text import BAD, CONTROL_BYTES, clean_rows, clean_text
from planbook.core.themes import theme_key
from planbook.files.cellfaults import (
    blank_key_cell,
    note_cell_faults,
    ods_faults,
    restore,
    sheet_faults,
    xls_faults,
)
from planbook.files.guard import not_a_plan
from planbook.files.opening import LoadedWorkbook, as_text, load_workbook
from planbook.workbook.marks import NOTES_COLUMN, apply_marks
from planbook.workbook.history import LAST_STATUS, LAST_UPDATE, read_history
from planbook.workbook.plan import Plan
from planbook.workbook.settings import apply_guide, read_guide
from planbook.workbook.settings import read_meta as read_meta_settings

_HEADER_SCAN_ROWS = 30


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


@functools.lru_cache(maxsize=4096)
def _due_cached(text: str, context_year: int | None) -> Due:
    return parse_due(text, context_year)


def _due_of(value: object, context_year: int | None) -> Due:
    if _blank(value):
        return BLANK_DUE
    if isinstance(value, (dt.date, dt.datetime)):
        return parse_due(value)
    return _due_cached(as_text(value), context_year)


def _read_meta(book: LoadedWorkbook) -> dict[str, list[str]] | None:
    if META not in book.parsed:
        return None
    meta: dict[str, list[str]] = {}
    for row in book.rows(META):
        if row and not _blank(row[0]):
            meta.setdefault(as_text(row[0]).strip(), []).append(as_text(row[1]) if len(row) > 1 else "")
    return meta


def _read_lists(book: LoadedWorkbook) -> tuple[list[str], list[Lead], dict[str, str]] | None:
    """The Lists sheet's themes and leads, and the cell of each lead's email (lead -> "B3")."""
    if LISTS not in book.parsed:
        return None
    rows = book.rows(LISTS)
    if not rows:
        return [], [], {}
    header = {as_text(v).strip().lower(): i for i, v in enumerate(rows[0]) if not _blank(v)}

    def column(name: str) -> list[str]:
        i = header.get(name)
        if i is None:
            return []
        return [(v if type(v) is str else as_text(v)).strip() if i < len(r) and (v := r[i]) is not None else ""
                for r in rows[1:]]

    themes = [t for t in column("theme") if t]
    names_col, emails = column("lead"), column("email")
    leads = [Lead(n, emails[i] if i < len(emails) else "") for i, n in enumerate(names_col) if n]
    at = header.get("email")
    cells = {n: cell_ref(i + 1, at) for i, n in enumerate(names_col) if n and at is not None}
    return themes, leads, cells


def _check_emails(report: Report, file: str, leads: list[Lead], cells: dict[str, str]) -> None:
    """A lead's email no message can be sent to (two addresses in one cell, an accented letter)
    is said with its cell now, not when an update request fails half way."""
    for lead in leads:
        why = email_problem(lead.email)
        if why:
            report.add(Finding("bad-email", file, LISTS, cells.get(lead.name, ""), lead.email,
                               f"{lead.name}'s email {lead.email!r} {why}: no update request, reminder or receipt "
                               f"can be sent to them until it is corrected (on the {LISTS} sheet, or with "
                               "planbook lead email)", outcome="no email can be sent to this lead"))


def _note_rows_above(report: Report, file: str, sheet: str, rows: list[list[object]], header_row: int) -> None:
    """A title or note a lead typed above the header row is not an action, but it is not lost
    either: each such row is a note on Data issues, with its first cell and text."""
    for r in range(header_row):
        filled = [(c, v) for c, v in enumerate(rows[r]) if not _blank(v)]
        if filled:
            c, v = filled[0]
            text = " | ".join(clean_text(as_text(x))[:200] for _, x in filled)
            report.add(Finding("above-header", file, sheet, cell_ref(r, c), text[:400],
                               f"row {r + 1} is above the header row (row {header_row + 1}): read as a title or "
                               "note, not an action", outcome="not an action"))


def _split_entry(entry: str, tabs: list[str]) -> tuple[str, str]:
    """A metadata entry "tab<TAB>lead" as (tab, lead).  An .ods saved by LibreOffice keeps the
    tab character as an element calamine does not read, so the two run together: then the
    longest of the workbook's tab names the entry starts with is the tab."""
    tab, sep, rest = entry.partition("\t")
    if sep:
        return tab, rest
    known = [t for t in tabs if entry.startswith(t)]
    if known:
        tab = max(known, key=len)
        return tab, entry[len(tab):]
    return entry, ""


def _split_gap(entry: str) -> tuple[str, str]:
    """A metadata entry "ref<TAB>field" as (ref, field), the tab lost or not (see :func:`_split_entry`)."""
    ref, sep, fld = entry.partition("\t")
    if sep:
        return ref, fld
    fld = next((f for f in REQUIRED_FIELDS if entry.endswith(f)), "")
    return entry[:len(entry) - len(fld)], fld


def _find_header(rows: list[list[object]]) -> int | None:
    for r, row in enumerate(rows[:_HEADER_SCAN_ROWS]):
        fields = {field_for_header(v) for v in row if isinstance(v, str)} - {None}
        if len(fields) >= 3 and ({"ref", "action"} & fields):
            return r
    return None


def read_plan(path: str | os.PathLike[str], *, loaded: LoadedWorkbook | None = None) -> Plan:
    """Read a standard plan workbook: actions from every lead tab and a report of findings.

    ``loaded`` is the workbook if :func:`load_workbook` has parsed it already.
    Raises :class:`UnusableFileError` when the file cannot be used at all (not a workbook,
    corrupt, password-protected, or not a planbook workbook).
    """
    p = Path(path)
    book = loaded or load_workbook(p)
    names = book.names
    strings: dict = {}  # one copy of each value repeated down the file (a theme, a lead, a date)
    file = p.name
    report = Report()
    meta = _read_meta(book)
    lists = _read_lists(book)
    info = PlanInfo(title="", period="")
    tab_leads: dict[str, str] = {}
    known_extras: set[str] = set()
    if meta is not None:
        info.title = (meta.get("title") or [""])[0]
        info.period = (meta.get("period") or [""])[0]
        info.coordinator = (meta.get("coordinator") or [""])[0]
        info.coordinator_email = (meta.get("coordinator_email") or [""])[0]
        info.plan_id = (meta.get("plan_id") or [""])[0].strip()
        try:
            info.format_version = int((meta.get("planbook_format") or ["1"])[0])
        except ValueError:
            info.format_version = 1
        for entry in meta.get("lead_tab", []):
            tab, lead = _split_entry(entry, names)
            tab_leads[tab] = lead
        known_extras = {name.strip().lower() for name in meta.get("extra_column", [])}
        info.source_gaps = list(meta.get("source_gap", []))
        read_meta_settings(info, meta)
    role = ((meta.get("role") or ["plan"])[0] or "plan") if meta is not None else "plan"
    if lists is not None:
        info.themes, info.leads, email_cells = lists
        if role == "plan":  # the master's (a copy's Lists is the master's, as sent)
            _check_emails(report, file, info.leads, email_cells)
    guide = read_guide(book.rows(GUIDE)) if GUIDE in book.parsed else {}
    if meta is not None and role == "plan":  # the master: what a person changed on its Guide is the setting
        report.extend(apply_guide(info, guide, file))
    period_due = parse_due(info.period) if info.period else None
    context_year = fy_of(period_due.start) if period_due and period_due.start else None

    plan = Plan(path=str(p), info=info, actions=[], report=report, has_metadata=meta is not None,
                declared_tabs=dict(tab_leads), guide=guide)
    if meta is not None:
        plan.role = role
        plan.source_gaps = {(ref.strip().lower(), fld) for ref, fld in
                            (_split_gap(gap) for gap in meta.get("source_gap", []))}
        if plan.role == "consolidated":
            raise UnusableFileError(p, not_a_plan(p))
    lead_keys = {lead_key(lead.name) for lead in info.leads}
    theme_keys = {theme_key(t) for t in info.themes}
    first_ref: dict[str, tuple[str, int, int]] = {}
    found_tab = False
    for sheet in names:
        if sheet in (GUIDE, LISTS, META):
            continue
        if sheet in (HISTORY, RETIRED) and sheet not in tab_leads and meta is not None:
            _read_kept_sheet(plan, book, sheet, context_year, known_extras, strings)
            continue
        rows = book.rows(sheet, clean=False)
        header_row = _find_header(rows)
        if header_row is None:
            filled = sum(1 for row in rows if any(not _blank(v) for v in row))
            if filled:
                report.add(Finding("sheet-skipped", file, sheet, "", "",
                                   f"sheet {sheet!r} has {filled} non-empty row(s) but no header row with "
                                   "Ref and Action columns, so it was not read as a lead tab",
                                   outcome="sheet not read"))
            elif sheet in tab_leads:  # a lead tab the metadata names, read as empty: say so, never pass quietly
                report.add(Finding("sheet-skipped", file, sheet, "", "",
                                   f"lead tab {sheet!r} reads as empty (no header row, no cells): nothing was read "
                                   "from it; if it looks filled in Excel, save the workbook again from Excel",
                                   outcome="sheet not read"))
            continue
        found_tab = True
        _note_rows_above(report, file, sheet, rows, header_row)
        tab_lead = tab_leads.get(sheet, "")
        owners = {lead for lead in tab_leads.values() if lead}
        filled = None
        if not tab_lead and plan.role == "lead-copy" and len(owners) == 1 and not set(tab_leads) & set(names):
            tab_lead = owners.pop()  # a lead's own copy whose tab they renamed (a guess: see planbook.rollup.ownership)
            filled = plan.filled.setdefault(sheet, set())
        plan.tabs[sheet] = tab_lead
        book.note_cleaned(sheet, header_row, rows[header_row:header_row + 1])  # the data rows: in _read_rows
        _read_tab(plan, file, sheet, rows, header_row, tab_lead, context_year, lead_keys, theme_keys, first_ref,
                  known_extras, strings, book, filled)
    if plan.role == "plan":
        for tab, lead in tab_leads.items():
            if tab not in names:
                report.add(Finding("missing-tab", file, tab, "", lead,
                                   f"the plan's metadata names lead tab {tab!r}" + (f" ({lead})" if lead else "")
                                   + " but the workbook has no such tab: was it deleted or renamed?",
                                   outcome="no actions read for it"))
    if not found_tab and meta is None:
        raise UnusableFileError(p, "not a planbook workbook (no planbook metadata and no sheet with "
                                   "Ref and Action columns)")
    _report_cleaned(book, file, report)
    if book.kind != "xlsx":
        report.add(Finding("values-only", file, "", "", book.kind,
                           f"read from an .{book.kind} file: formatting and drop-downs are not checked",
                           outcome="values read"))
    if meta is None:
        report.add(Finding("missing-metadata", file, "", "", "",
                           "no hidden planbook metadata sheet: plan title and period unknown",
                           outcome="read lead tabs by their headers"))
    return plan


def _read_kept_sheet(plan: Plan, book: LoadedWorkbook, sheet: str, context_year: int | None,
                     known_extras: set[str], strings: dict) -> None:
    """The plan's History sheet, or its Retired actions (read as a tab is, into ``plan.retired``;
    what is wrong there is about actions no lead is asked for, so it is not reported)."""
    rows = book.rows(sheet, clean=sheet != HISTORY)  # planbook wrote the history clean, and writes it out cleaned
    if sheet == HISTORY:
        plan.history = read_history(rows)
        return
    header_row = _find_header(rows)
    if header_row is None:
        return
    kept = Plan(path=plan.path, info=plan.info, actions=[], report=Report())
    _read_tab(kept, Path(plan.path).name, sheet, rows, header_row, "", context_year, set(), set(), {},
              known_extras, strings)
    plan.retired = kept.actions


def _report_cleaned(book: LoadedWorkbook, file: str, report: Report) -> None:
    """One finding for each cell whose text was cleaned as it was read."""
    for sheet, r, c, code, detail, original in book.cleaned:
        shown = original[:200] + ("…" if len(original) > 200 else "")
        if code == "control-character":
            report.add(Finding(code, file, sheet, cell_ref(r, c), clean_text(shown),
                               f"the cell held {detail}, which Excel and Word cannot save (pasted from Word "
                               "or email?)", outcome="replaced by a line break (U+000B, U+000C) or a space"))
        else:  # cell-too-long: ``original`` is the whole text (cleaned)
            rest = cut_to_fit(original)[1]
            report.add(Finding(code, file, sheet, cell_ref(r, c), rest,
                               f"the cell holds {detail}, more than an Excel cell holds ({MAX_CELL:,}): the first "
                               f"{len(original) - len(rest):,} are read; the rest is the value here",
                               outcome="cut to fit the cell; the rest kept here"))


def _read_tab(plan: Plan, file: str, sheet: str, rows: list[list[object]], header_row: int, tab_lead: str,
              context_year: int | None, lead_keys: set[str], theme_keys: set[str],
              first_ref: dict[str, tuple[str, int, int]], known_extras: set[str], strings: dict,
              book: LoadedWorkbook | None = None, filled: set[int] | None = None) -> None:
    report = plan.report
    columns: dict[int, str] = {}  # col -> field name or "extra:<header>"
    header = rows[header_row]
    width = max(len(r) for r in rows[header_row:]) if rows else 0
    field_at = {c: fld for fld, c in _field_columns(header[:width]).items()}  # column -> the field it is
    for c in range(width):
        value = header[c] if c < len(header) else None
        if isinstance(value, str) and value.strip() in (LAST_STATUS, LAST_UPDATE):
            columns[c] = "shown:" + value.strip()  # last period's, from the history: shown, never data
            continue
        fld = field_at.get(c)
        if fld:
            columns[c] = fld
            continue
        has_data = any(c < len(r) and not _blank(r[c]) for r in rows[header_row + 1:])
        if _blank(value) and not has_data:
            continue
        name = as_text(value).strip() or f"Column {col_letter(c)}"
        given = name
        name = _unshadowed(name, {f[6:].lower() for f in columns.values() if f.startswith("extra:")})
        if name != given:
            report.add(Finding("renamed-column", file, sheet, cell_ref(header_row, c), given,
                               f"a second column headed {given!r} (a standard column, or one already on this "
                               f"tab) was renamed {name!r}, so it cannot be mistaken for the first",
                               outcome=f"kept as extra column {name!r}"))
        columns[c] = f"extra:{name}"
        if name not in plan.extra_columns:
            plan.extra_columns.append(name)
        if name.lower() in known_extras:
            continue
        report.add(Finding("unknown-column", file, sheet, cell_ref(header_row, c), as_text(value),
                           f"column {name!r} is not a standard planbook column; kept as an extra column",
                           outcome="kept as extra column"))
    col_of = {f: c for c, f in columns.items()}
    extra_cols = [(f[6:], c) for c, f in columns.items() if f.startswith("extra:")]
    # Error values and never-calculated formulas read as blank: looked for only if a cell is blank.
    data_cols = [c for c, f in columns.items() if not f.startswith("shown:")]
    put = []
    if blank_key_cell(rows, header_row + 1, data_cols):
        data = (book.data or None) if book is not None else None  # the bytes checked and parsed
        if book is not None and book.kind in ("ods", "xls"):
            faults = (ods_faults if book.kind == "ods" else xls_faults)(data or plan.path, sheet)
        else:
            faults = sheet_faults(plan.path, sheet, data, book.look if book is not None else None)
        put = restore(rows, header_row + 1, faults)
    since = len(report.findings)
    first = len(plan.actions)
    _read_rows(plan, file, sheet, rows, header_row, width, col_of, extra_cols, tab_lead, context_year, lead_keys,
               theme_keys, first_ref, strings, book, filled)
    c_shown = [col_of.get("shown:" + h) for h in (LAST_STATUS, LAST_UPDATE)]
    if c_shown[0] is not None and plan.role == "lead-copy":  # checked against the plan's history (a copy's only)
        for a in plan.actions[first:]:
            row = rows[a.origin.row - 1]
            cells = [as_text(row[c]) if c is not None and c < len(row) else "" for c in c_shown]
            plan.last_shown.append((a.ref, cells[0].strip(), cells[1], sheet, cell_ref(a.origin.row - 1, c_shown[0]),
                                    cell_ref(a.origin.row - 1, c_shown[1]) if c_shown[1] is not None else ""))
    headers = {c: HEADER_OF_FIELD.get(f, f[6:]) for c, f in columns.items()}
    if put:
        note_cell_faults(report, since, file, sheet, put, headers)
    apply_marks(plan, file, sheet, plan.actions[first:], header_row, col_of, headers, rows, book)


#: Headers a lead's own column may not take: the standard columns and the columns planbook adds
#: to its consolidated workbook (readers find columns by header, so a second one would shadow it).
RESERVED_HEADERS = frozenset(h.lower() for h in (*HEADER_OF_FIELD.values(), "Due by", "Overdue", "Note", "Direction",
                                                 "Source file", "Source sheet", "Source row", "Last updated (as typed)",
                                                 NOTES_COLUMN, LAST_STATUS, LAST_UPDATE))
#: The extra column that keeps a Last updated typed as text ("Sept 09"), as typed.
AS_TYPED = "Last updated (as typed)"


def _field_columns(header: list[object]) -> dict[str, int]:
    """Field -> the column read as it: of two columns whose headers both mean one field, the one
    headed with the standard header itself ("Status" over a "RAG" a lead inserted before it),
    else the first.  The other is kept as the lead's own column."""
    chosen: dict[str, int] = {}
    for c, value in enumerate(header):
        if _blank(value) or (isinstance(value, str) and value.strip() in (LAST_STATUS, LAST_UPDATE)):
            continue
        fld = field_for_header(value)
        if fld is None:
            continue
        if fld not in chosen or (header_key(header[chosen[fld]]) != header_key(HEADER_OF_FIELD[fld])
                                 and header_key(value) == header_key(HEADER_OF_FIELD[fld])):
            chosen[fld] = c
    return chosen


def _unshadowed(name: str, taken: set[str]) -> str:
    """``name``, or ``name (2)``, ``(3)`` … when it would shadow a standard column or an extra
    column already on the tab (lower-case names in ``taken``)."""
    if name.lower() not in RESERVED_HEADERS and name.lower() not in taken:
        return name
    n = 2
    while f"{name} ({n})".lower() in RESERVED_HEADERS | taken:
        n += 1
    return f"{name} ({n})"


def _read_rows(plan: Plan, file: str, sheet: str, rows: list[list[object]], header_row: int, width: int,
               col_of: dict[str, int], extra_cols: list[tuple[str, int]], tab_lead: str, context_year: int | None,
               lead_keys: set[str], theme_keys: set[str], first_ref: dict[str, tuple[str, int, int]],
               strings: dict, book: LoadedWorkbook | None = None, filled: set[int] | None = None) -> None:
    """Turn each non-empty row under the header into an :class:`Action`, checking it as it goes.

    This loop runs once per action in every consolidation, so it is written for speed: columns
    are fixed indexes into a padded row (a missing column reads as the blank cell at
    ``width``), and values met again (statuses, dues, dates) are looked up, not re-parsed.
    """
    report = plan.report
    actions = plan.actions
    pad = [""] * (width + 1)
    missing = width  # index of a blank cell, for columns the tab does not have
    c_ref, c_theme, c_objective, c_action, c_lead, c_partners, c_due, c_success, c_resources, c_status, \
        c_progress, c_updated = (col_of.get(f, missing) for f in _FIELD_ORDER)
    share = strings.setdefault
    statuses: dict[object, tuple[str | None, str]] = {}
    dues: dict[object, Due] = {}
    days: dict[object, object] = {}
    known_lead: dict[str, bool] = {}  # each lead and theme as typed: on the Lists sheet?
    known_theme: dict[str, bool] = {}
    header = rows[header_row] + pad[len(rows[header_row]):]
    header_again = [as_text(header[c]).strip().lower() for c in (c_ref, c_action)]  # a header row pasted again
    for r in range(header_row + 1, len(rows)):
        row = rows[r]
        if _blank_row(row):
            continue
        row = row + pad[len(row):]
        if row[c_ref] == header[c_ref] and [as_text(row[c]).strip().lower() for c in (c_ref, c_action)] == header_again:
            report.add(Finding("repeated-header", file, sheet, cell_ref(r, c_ref), as_text(row[c_ref]),
                               f"row {r + 1} repeats the header row: not an action", outcome="not an action"))
            continue
        plan.rows_read += 1
        # One quick look at the row's texts: plain ASCII with no control character and no cell
        # longer than Excel allows (nearly every row).  Anything else is checked cell by cell.
        v, w, x = row[c_due], row[c_status], row[c_updated]
        joined = (f"{row[c_ref]}{row[c_theme]}{row[c_objective]}{row[c_action]}{row[c_lead]}{row[c_partners]}"
                  f"{row[c_success]}{row[c_resources]}{row[c_progress]}{v if v.__class__ is str else ''}"
                  f"{w if w.__class__ is str else ''}{x if x.__class__ is str else ''}")
        if len(joined) > MAX_CELL or not (
                len(joined.encode("ascii").translate(None, CONTROL_BYTES)) == len(joined) if joined.isascii()
                else joined.isprintable() or not BAD.search(joined)):
            changed = clean_rows([row])  # rare: clean it in place, and note where
            if book is not None:
                book.cleaned += [(sheet, r, c, code, detail, original) for _, c, code, detail, original in changed]
        # Spelled out cell by cell: in this loop, run for every action, that is twice as quick
        # as a comprehension over the columns.
        v = row[c_ref]
        ref = (v if type(v) is str else as_text(v)).strip()
        v = row[c_theme]
        theme = (v if type(v) is str else as_text(v)).strip()
        v = row[c_objective]
        objective = v if type(v) is str else as_text(v)
        v = row[c_action]
        text = v if type(v) is str else as_text(v)
        v = row[c_lead]
        lead = (v if type(v) is str else as_text(v)).strip()
        v = row[c_partners]
        partners = v if type(v) is str else as_text(v)
        v = row[c_success]
        success = v if type(v) is str else as_text(v)
        v = row[c_resources]
        resources = v if type(v) is str else as_text(v)
        v = row[c_progress]
        progress = v if type(v) is str else as_text(v)
        # one copy of each value repeated down a plan (long texts are rarely repeated)
        theme = share(theme, theme) if len(theme) < 400 else theme
        lead = share(lead, lead) if len(lead) < 400 else lead
        objective = share(objective, objective) if len(objective) < 400 else objective
        partners = share(partners, partners) if len(partners) < 400 else partners
        success = share(success, success) if len(success) < 400 else success
        resources = share(resources, resources) if len(resources) < 400 else resources
        if not lead and tab_lead:
            lead = tab_lead  # a lead's own tab: the row is theirs
            if filled is not None:
                filled.add(r + 1)
        extras = {}
        for name, c in extra_cols:
            v = row[c]
            if not _blank(v):
                if v.__class__ is str and not (v.isascii() and len(v) <= MAX_CELL and v.isprintable()):
                    cell = [[v]]
                    changed = clean_rows(cell)
                    if changed:
                        v = row[c] = cell[0][0]
                        if book is not None:
                            book.cleaned += [(sheet, r, c, code, detail, original)
                                             for _, _, code, detail, original in changed]
                extras[name] = v
        # status, due and date cells: each distinct value is understood once per tab
        # (keyed with its type, as 1, 1.0 and True are equal keys but different cells)
        v = row[c_status]
        key = v if type(v) is str else (type(v), v)
        status, status_text, how = statuses[key] if key in statuses else statuses.setdefault(key, _status_of(v))
        v = row[c_due]
        key = v if type(v) is str else (type(v), v)
        due = dues[key] if key in dues else dues.setdefault(key, _due_of(v, context_year))
        v = row[c_updated]
        key = v if type(v) is str else (type(v), v)
        day = days[key] if key in days else days.setdefault(key, _date_of(v, strings))
        action = Action(ref, text, lead, theme, objective, partners, due, success, resources, status, status_text,
                        progress, None if day is _NOT_A_DATE else day, extras, Origin(file, sheet, r + 1))
        if not (ref and text and lead):
            for fld in REQUIRED_FIELDS:
                if not getattr(action, fld):
                    c = col_of.get(fld)
                    where = cell_ref(r, c) if c is not None else f"row {r + 1}"
                    if (ref.lower(), fld) in plan.source_gaps:  # blank in the plan it was imported from
                        report.add(Finding("missing-required", file, sheet, where, "",
                                           f"{HEADER_OF_FIELD[fld]} is empty, as it was in the plan this was "
                                           "imported from; fill it in before sending the plan out",
                                           severity=WARNING, outcome="row kept; blank in the source"))
                        continue
                    report.add(Finding("missing-required", file, sheet, where, "",
                                       f"{HEADER_OF_FIELD[fld]} is empty; every action needs one",
                                       outcome="row kept; fill in the cell"))
        if status is None and c_status != missing:
            report.add(Finding("unknown-status", file, sheet, cell_ref(r, c_status), status_text,
                               f"status {status_text!r} is not one of Complete, On track, Slippage, Off track, "
                               "Not started", outcome="kept as typed; not counted in any status"))
        if how is not None:
            report.add(Finding("status-read", file, sheet, cell_ref(r, c_status), status_text,
                               reading_note(status_text, status, how), outcome=f"counted as {status}"))
        if due.kind == UNKNOWN and c_due != missing:
            report.add(Finding("bad-due", file, sheet, cell_ref(r, c_due), due.text,
                               f"due {due.text!r} is not a date or a recognised timescale; use e.g. "
                               "31/03/2009, December 2008, Jan - May 2009, Quarterly, Ongoing",
                               outcome="kept as text; not checked for overdue"))
        if day is _NOT_A_DATE:
            typed = as_text(row[c_updated])
            extras.setdefault(AS_TYPED, typed)
            if AS_TYPED not in plan.extra_columns:  # so every output has the column the finding names
                plan.extra_columns.append(AS_TYPED)
            report.add(Finding("bad-date", file, sheet, cell_ref(r, c_updated), typed,
                               f"Last updated {typed!r} is not a date; type e.g. 31/03/2009",
                               outcome=f"kept as text in the {AS_TYPED!r} column"))
        if lead and lead_keys and not (known_lead[lead] if lead in known_lead
                                       else known_lead.setdefault(lead, lead_key(lead) in lead_keys)):
            report.add(Finding("unknown-lead", file, sheet, cell_ref(r, c_lead) if c_lead != missing else f"row {r + 1}",
                               lead, f"lead {lead!r} is not on the {LISTS} sheet; add them there "
                               "or pick a lead from the drop-down", outcome="kept as typed"))
        if theme and theme_keys and not (known_theme[theme] if theme in known_theme
                                         else known_theme.setdefault(theme, theme_key(theme) in theme_keys)):
            report.add(Finding("unknown-theme", file, sheet, cell_ref(r, c_theme), theme,
                               f"theme {theme!r} is not on the {LISTS} sheet; add it there or pick one "
                               "from the drop-down", outcome="kept as typed"))
        if ref:
            key = ref.lower()
            first = first_ref.get(key)
            if first is not None:
                report.add(Finding("duplicate-ref", file, sheet, cell_ref(r, c_ref), ref,
                                   f"Ref {ref} is also used at {first[0]}!{cell_ref(first[1], first[2])}; "
                                   "each action needs its own Ref", outcome="both rows kept"))
            else:
                first_ref[key] = (sheet, r, c_ref)
        actions.append(action)


_FIELD_ORDER = ("ref", "theme", "objective", "action", "lead", "partners", "due", "success_measure", "resources",
                "status", "progress", "last_updated")


def _status_of(value: object) -> tuple[str | None, str, str | None]:
    """(standard status or None, the text as typed, how it was read) for a Status cell; how is
    None when the cell holds the status's own word (see :func:`planbook.core.status.how_read`)."""
    text = as_text(value)
    status = normalise_status(text)
    return status, (status if status == text else text), how_read(text, status)  # the constant, not a copy


def _date_of(value: object, shared: dict) -> dt.date | None | object:
    """A Last updated cell as a date, None when blank, or ``_NOT_A_DATE``."""
    if _blank(value):
        return None
    if isinstance(value, (dt.date, dt.datetime)):
        day = value.date() if isinstance(value, dt.datetime) else value
        return shared.setdefault(day, day)  # one object per distinct date
    due = _due_cached(as_text(value), None)
    if due.kind == DATE and due.end:
        return due.end
    return _NOT_A_DATE


_NOT_A_DATE = object()


def _blank_row(row: list[object]) -> bool:
    for v in row:
        if v is None or v == "" or (type(v) is str and not v.strip()):
            continue
        return False
    return True
