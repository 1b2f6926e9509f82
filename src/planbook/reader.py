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
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from .columns import HEADER_OF_FIELD, REQUIRED_FIELDS, field_for_header
from .due import DATE, UNKNOWN, Due, fy_of, parse_due
from .errors import UnusableFileError
from .findings import Finding, Report
from .model import Action, Lead, Origin, PlanInfo
from .status import normalise_status
from .writer import GUIDE, LISTS, META, col_letter

_HEADER_SCAN_ROWS = 30


@dataclass
class Plan:
    """A plan read from one workbook: its details, actions, and the findings about them."""

    path: str
    info: PlanInfo
    actions: list[Action]
    report: Report
    tabs: dict[str, str] = field(default_factory=dict)  # lead tab -> lead name
    rows_read: int = 0  # non-empty rows under a header, across lead tabs
    has_metadata: bool = True
    extra_columns: list[str] = field(default_factory=list)  # user columns, in sheet order
    role: str = "plan"  # "plan" (a master), "lead-copy" (split off for one lead), "consolidated"


def cell_ref(row: int, col: int) -> str:
    """0-based (row, col) -> "J7"."""
    return f"{col_letter(col)}{row + 1}"


_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED = "EncryptedPackage".encode("utf-16-le")


def check_workbook_file(path: str | os.PathLike[str]) -> None:
    """Raise :class:`UnusableFileError` with a one-line reason if ``path`` is not a readable .xlsx/.xlsm."""
    p = Path(path)
    if not p.exists():
        raise UnusableFileError(p, "file not found")
    if p.is_dir():
        raise UnusableFileError(p, "is a folder, not a workbook")
    try:
        with open(p, "rb") as fh:
            head = fh.read(8)
            if head == _OLE_MAGIC:
                body = head + fh.read()
    except OSError as exc:
        raise UnusableFileError(p, f"cannot be opened ({exc.strerror})") from exc
    if not head:
        raise UnusableFileError(p, "empty file (0 bytes)")
    if head == _OLE_MAGIC:
        if _ENCRYPTED in body:
            raise UnusableFileError(p, "password-protected workbook: remove the password in Excel "
                                       "(File > Info > Protect Workbook) and try again")
        raise UnusableFileError(p, "legacy Excel 97-2003 (.xls) file: open it in Excel and Save As .xlsx")
    if not head.startswith(b"PK"):
        raise UnusableFileError(p, "not an Excel workbook (.xlsx)")
    try:
        with zipfile.ZipFile(p) as zf:
            names = set(zf.namelist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise UnusableFileError(p, "corrupt or truncated workbook (not a valid .xlsx zip)") from exc
    if "xl/workbook.xml" not in names:
        if "word/document.xml" in names:
            raise UnusableFileError(p, "a Word document, not an Excel workbook")
        raise UnusableFileError(p, "a zip file but not an Excel workbook")


def _open(path: Path):
    from python_calamine import CalamineWorkbook

    check_workbook_file(path)
    try:
        return CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for damaged parts
        raise UnusableFileError(path, f"corrupt workbook ({type(exc).__name__}: {str(exc).splitlines()[0][:120]})") from exc


def _sheet_rows(wb, name: str, path: Path) -> list[list[object]]:
    try:
        return wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
    except Exception as exc:
        raise UnusableFileError(path, f"sheet {name!r} cannot be read ({type(exc).__name__})") from exc


def as_text(value: object) -> str:
    """A cell value as the text a person sees (numbers without a trailing .0, dates as ISO)."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time, dt.timedelta)):
        return value.isoformat() if hasattr(value, "isoformat") else str(value)
    return str(value)


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


@functools.lru_cache(maxsize=4096)
def _due_cached(text: str, context_year: int | None) -> Due:
    return parse_due(text, context_year)


def _parse_due_value(value: object, context_year: int | None) -> Due:
    if isinstance(value, (dt.date, dt.datetime)):
        return parse_due(value)
    return _due_cached(as_text(value), context_year)


def _read_meta(wb, names: list[str], path: Path) -> dict[str, list[str]] | None:
    if META not in names:
        return None
    meta: dict[str, list[str]] = {}
    for row in _sheet_rows(wb, META, path):
        if row and not _blank(row[0]):
            meta.setdefault(as_text(row[0]).strip(), []).append(as_text(row[1]) if len(row) > 1 else "")
    return meta


def _read_lists(wb, names: list[str], path: Path) -> tuple[list[str], list[Lead]] | None:
    if LISTS not in names:
        return None
    rows = _sheet_rows(wb, LISTS, path)
    if not rows:
        return [], []
    header = {as_text(v).strip().lower(): i for i, v in enumerate(rows[0]) if not _blank(v)}

    def column(name: str) -> list[str]:
        i = header.get(name)
        if i is None:
            return []
        return [as_text(r[i]).strip() if i < len(r) else "" for r in rows[1:]]

    themes = [t for t in column("theme") if t]
    names_col, emails = column("lead"), column("email")
    leads = [Lead(n, emails[i] if i < len(emails) else "") for i, n in enumerate(names_col) if n]
    return themes, leads


def _find_header(rows: list[list[object]]) -> int | None:
    for r, row in enumerate(rows[:_HEADER_SCAN_ROWS]):
        fields = {field_for_header(v) for v in row if isinstance(v, str)} - {None}
        if len(fields) >= 3 and ({"ref", "action"} & fields):
            return r
    return None


def read_plan(path: str | os.PathLike[str], *, strings: dict | None = None) -> Plan:
    """Read a standard plan workbook: actions from every lead tab and a report of findings.

    ``strings`` is a cache shared across many reads (consolidation) so that a value repeated
    on thousands of rows (a theme, a lead, a date) is held in memory once.
    Raises :class:`UnusableFileError` when the file cannot be used at all (not a workbook,
    corrupt, password-protected, legacy .xls, or not a planbook workbook).
    """
    p = Path(path)
    wb = _open(p)
    names = list(wb.sheet_names)
    file = p.name
    report = Report()
    meta = _read_meta(wb, names, p)
    lists = _read_lists(wb, names, p)
    info = PlanInfo(title="", period="")
    tab_leads: dict[str, str] = {}
    known_extras: set[str] = set()
    if meta is not None:
        info.title = (meta.get("title") or [""])[0]
        info.period = (meta.get("period") or [""])[0]
        info.coordinator = (meta.get("coordinator") or [""])[0]
        info.coordinator_email = (meta.get("coordinator_email") or [""])[0]
        try:
            info.format_version = int((meta.get("planbook_format") or ["1"])[0])
        except ValueError:
            info.format_version = 1
        for entry in meta.get("lead_tab", []):
            tab, _, lead = entry.partition("\t")
            tab_leads[tab] = lead
        known_extras = {name.strip().lower() for name in meta.get("extra_column", [])}
    if lists is not None:
        info.themes, info.leads = lists
    period_due = parse_due(info.period) if info.period else None
    context_year = fy_of(period_due.start) if period_due and period_due.start else None

    plan = Plan(path=str(p), info=info, actions=[], report=report, has_metadata=meta is not None)
    if meta is not None:
        plan.role = (meta.get("role") or ["plan"])[0] or "plan"
        if plan.role == "consolidated":
            raise UnusableFileError(p, "a consolidated workbook (planbook output), not a plan or a lead's return")
    lead_keys = {lead.name.strip().lower() for lead in info.leads}
    theme_keys = {t.strip().lower() for t in info.themes}
    first_ref: dict[str, str] = {}
    found_tab = False
    for sheet in names:
        if sheet in (GUIDE, LISTS, META):
            continue
        rows = _sheet_rows(wb, sheet, p)
        header_row = _find_header(rows)
        if header_row is None:
            filled = sum(1 for row in rows if any(not _blank(v) for v in row))
            if filled:
                report.add(Finding("sheet-skipped", file, sheet, "", "",
                                   f"sheet {sheet!r} has {filled} non-empty row(s) but no header row with "
                                   "Ref and Action columns, so it was not read as a lead tab",
                                   outcome="sheet not read"))
            continue
        found_tab = True
        tab_lead = tab_leads.get(sheet, "")
        owners = {lead for lead in tab_leads.values() if lead}
        if not tab_lead and plan.role == "lead-copy" and len(owners) == 1 and not set(tab_leads) & set(names):
            tab_lead = owners.pop()  # a lead's own copy whose tab they renamed
        plan.tabs[sheet] = tab_lead
        _read_tab(plan, file, sheet, rows, header_row, tab_lead, context_year, lead_keys, theme_keys, first_ref,
                  known_extras, strings)
    if not found_tab and meta is None:
        raise UnusableFileError(p, "not a planbook workbook (no planbook metadata and no sheet with "
                                   "Ref and Action columns)")
    if meta is None:
        report.add(Finding("missing-metadata", file, "", "", "",
                           "no hidden planbook metadata sheet: plan title and period unknown",
                           outcome="read lead tabs by their headers"))
    return plan


def _read_tab(plan: Plan, file: str, sheet: str, rows: list[list[object]], header_row: int, tab_lead: str,
              context_year: int | None, lead_keys: set[str], theme_keys: set[str],
              first_ref: dict[str, str], known_extras: set[str] = frozenset(),
              strings: dict | None = None) -> None:
    report = plan.report
    columns: dict[int, str] = {}  # col -> field name or "extra:<header>"
    taken: set[str] = set()
    header = rows[header_row]
    width = max(len(r) for r in rows[header_row:]) if rows else 0
    for c in range(width):
        value = header[c] if c < len(header) else None
        fld = field_for_header(value) if not _blank(value) else None
        if fld and fld not in taken:
            columns[c] = fld
            taken.add(fld)
            continue
        has_data = any(c < len(r) and not _blank(r[c]) for r in rows[header_row + 1:])
        if _blank(value) and not has_data:
            continue
        name = as_text(value).strip() or f"Column {col_letter(c)}"
        columns[c] = f"extra:{name}"
        if name not in plan.extra_columns:
            plan.extra_columns.append(name)
        if name.lower() in known_extras:
            continue
        report.add(Finding("unknown-column", file, sheet, cell_ref(header_row, c), as_text(value),
                           f"column {name!r} is not a standard planbook column; kept as an extra column",
                           outcome="kept as extra column"))
    col_of = {f: c for c, f in columns.items()}
    text_fields = [(f, c) for c, f in columns.items()
                   if f in ("ref", "theme", "objective", "action", "lead", "partners", "success_measure",
                            "resources", "progress")]
    extra_cols = [(f[6:], c) for c, f in columns.items() if f.startswith("extra:")]
    special = {f: c for c, f in columns.items() if f in ("status", "due", "last_updated")}
    stripped = ("ref", "lead", "theme")
    shared = ("theme", "lead", "partners", "resources", "objective", "success_measure")
    strings = {} if strings is None else strings
    for r in range(header_row + 1, len(rows)):
        row = rows[r]
        n = len(row)
        if all(_blank(v) for v in row):
            continue
        plan.rows_read += 1
        fields = {}
        for fld, c in text_fields:
            v = row[c] if c < n else ""
            text = v if type(v) is str else as_text(v)
            text = text.strip() if fld in stripped else text
            fields[fld] = strings.setdefault(text, text) if fld in shared and len(text) < 400 else text
        action = Action(origin=Origin(file, sheet, r + 1), **{"ref": "", "action": "", "lead": "", **fields})
        for name, c in extra_cols:
            if c < n and not _blank(row[c]):
                action.extras[name] = row[c]
        values = {f: (row[c] if c < n else None) for f, c in special.items()}
        if not action.lead and tab_lead:
            action.lead = tab_lead  # a lead's own tab: the row is theirs
        for fld in REQUIRED_FIELDS:
            if not getattr(action, fld):
                c = col_of.get(fld)
                where = cell_ref(r, c) if c is not None else f"row {r + 1}"
                report.add(Finding("missing-required", file, sheet, where, "",
                                   f"{HEADER_OF_FIELD[fld]} is empty; every action needs one",
                                   outcome="row kept; fill in the cell"))
        _check_status(action, values.get("status"), report, file, sheet, r, col_of.get("status"))
        _check_due(action, values.get("due"), report, file, sheet, r, col_of.get("due"), context_year)
        _check_last_updated(action, values.get("last_updated"), report, file, sheet, r, col_of.get("last_updated"),
                            strings)
        if action.lead and lead_keys and action.lead.lower() not in lead_keys:
            report.add(Finding("unknown-lead", file, sheet, cell_ref(r, col_of["lead"]) if "lead" in col_of else f"row {r + 1}",
                               action.lead, f"lead {action.lead!r} is not on the Lists sheet; add them there "
                               "or pick a lead from the drop-down", outcome="kept as typed"))
        if action.theme and theme_keys and action.theme.lower() not in theme_keys:
            report.add(Finding("unknown-theme", file, sheet, cell_ref(r, col_of["theme"]), action.theme,
                               f"theme {action.theme!r} is not on the Lists sheet; add it there or pick one "
                               "from the drop-down", outcome="kept as typed"))
        if action.ref:
            here = f"{sheet}!{cell_ref(r, col_of['ref'])}"
            key = action.ref.lower()
            if key in first_ref:
                report.add(Finding("duplicate-ref", file, sheet, cell_ref(r, col_of["ref"]), action.ref,
                                   f"Ref {action.ref} is also used at {first_ref[key]}; each action needs its own Ref",
                                   outcome="both rows kept"))
            else:
                first_ref[key] = here
        plan.actions.append(action)


def _check_status(action: Action, value: object, report: Report, file: str, sheet: str, r: int, c: int | None) -> None:
    text = as_text(value)
    action.status = normalise_status(text)
    action.status_text = action.status if action.status == text else text  # the constant, not a copy
    if action.status is None and c is not None:
        report.add(Finding("unknown-status", file, sheet, cell_ref(r, c), text,
                           f"status {text!r} is not one of Complete, On track, Slippage, Off track, Not started",
                           outcome="kept as typed; not counted in any status"))


def _check_due(action: Action, value: object, report: Report, file: str, sheet: str, r: int, c: int | None,
               context_year: int | None) -> None:
    if _blank(value):
        return
    action.due = _parse_due_value(value, context_year)
    if action.due.kind == UNKNOWN and c is not None:
        report.add(Finding("bad-due", file, sheet, cell_ref(r, c), action.due.text,
                           f"due {action.due.text!r} is not a date or a recognised timescale; use e.g. "
                           "31/03/2009, December 2008, Jan - May 2009, Quarterly, Ongoing",
                           outcome="kept as text; not checked for overdue"))


def _check_last_updated(action: Action, value: object, report: Report, file: str, sheet: str, r: int,
                        c: int | None, shared: dict) -> None:
    if _blank(value):
        return
    if isinstance(value, (dt.date, dt.datetime)):
        day = value.date() if isinstance(value, dt.datetime) else value
        action.last_updated = shared.setdefault(day, day)  # one object per distinct date
        return
    due = _due_cached(as_text(value), None)
    if due.kind == DATE and due.end:
        action.last_updated = due.end
        return
    action.extras.setdefault("Last updated (as typed)", as_text(value))
    report.add(Finding("bad-date", file, sheet, cell_ref(r, c) if c is not None else f"row {r + 1}",
                       as_text(value), f"Last updated {as_text(value)!r} is not a date; type e.g. 31/03/2009",
                       outcome="kept as text in an extra column"))
