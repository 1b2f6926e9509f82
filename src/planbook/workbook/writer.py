"""Write the standard action-plan workbook (format version 1) with XlsxWriter.

Sheets: ``Guide``; one lead tab per lead (an Excel table of the standard columns with
drop-downs, RAG conditional formatting, an overdue flag, frozen header, protection without
a password, print set-up); ``Lists`` (the validation lists, reached through defined names);
and a very hidden ``_planbook`` sheet with the format version and plan details.
"""
from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import os
from collections.abc import Callable, Collection, Iterable, Sequence

from planbook.core.addresses import is_bare_address
from planbook.core.columns import HEADER_OF_FIELD, HEADERS, STANDARD_COLUMNS
from planbook.core.dates import DATE_FORMAT
from planbook.core.due import DATE
from planbook.core.errors import PlanbookError
from planbook.core.findings import Finding, Report
from planbook.core.layout import GUIDE, HISTORY, LISTS, META, NO_LEAD, RETIRED
from planbook.core.leads import lead_key
from planbook.core.limits import MAX_CELL
from planbook.core.model import FORMAT_VERSION, Action, Lead, PlanInfo
from planbook.core.names import col_letter, sheet_name
from planbook.core.status import COLOURS, STATUSES
from planbook.core.text import clean_text, describe, has_bad
from planbook.core.version import __version__
from planbook.files.atomic import atomic_output
from planbook.fast.fastrows import BLANK, Blank, rows_child, splice_rows
from planbook.files.guard import require_suffix
from planbook.workbook.formats import Formats, header_text
from planbook.workbook.history import LAST_STATUS, LAST_UPDATE, History, history_rows, history_sheet
from planbook.workbook.settings import guide_rows, meta_rows

TIMESCALES = ("Ongoing", "Monthly", "Quarterly", "Annually", "Termly", "As appropriate", "To be confirmed")
#: Blank rows kept inside each lead's table so leads can add actions on a protected sheet.
DEFAULT_BLANK_ROWS = 30
_LIST_ROWS = 500  # room in the Lists columns for themes and leads added later

_WIDTHS = {LAST_STATUS: 12, LAST_UPDATE: 40, "Ref": 7, "Theme": 18, "Objective": 30, "Action": 48, "Lead": 20, "Partners": 18, "Due": 15,
           "Success measure": 30, "Resources": 16, "Status": 12, "Progress update": 48, "Last updated": 12}
_COL = {h: i for i, h in enumerate(HEADERS)}


def _collect_extras(actions: Iterable[Action], columns: Sequence[str] = ()) -> list[str]:
    seen: dict[str, None] = dict.fromkeys(columns)
    for action in actions:
        for key in action.extras:
            seen.setdefault(key, None)
    return list(seen)


def extra_headers(keys: Sequence[str]) -> list[str]:
    """The header of each extra column: its name, or "name (2)" … where it would repeat a
    standard header or an earlier extra's, ignoring case (an Excel table's headers are one
    another's only once: "Notes" and "notes" would lose a column, "status" shadow Status)."""
    taken = {h.lower() for h in HEADERS}
    out = []
    for key in keys:
        name, n = key, 2
        while name.lower() in taken:
            name, n = f"{key} ({n})", n + 1
        taken.add(name.lower())
        out.append(name)
    return out


def _group_by_lead(info: PlanInfo, actions: Sequence[Action]) -> dict[str, list[Action]]:
    """Lead name -> its actions, in Lists order; leads only named in actions are added (one
    lead, one tab: see :func:`planbook.core.leads.lead_key`)."""
    groups: dict[str, list[Action]] = {lead.name: [] for lead in info.leads}
    by_key = {lead_key(name): name for name in groups}
    for action in actions:
        key = lead_key(action.lead)
        name = by_key.get(key)
        if name is None:
            name = action.lead.strip() or NO_LEAD
            by_key[key] = name
            groups.setdefault(name, [])
        groups[name].append(action)
    return groups


def write_plan(path: str | os.PathLike[str], info: PlanInfo, actions: Sequence[Action] = (), *,
               blank_rows: int = DEFAULT_BLANK_ROWS, overwrite: bool = True,
               only_leads: Sequence[str] | None = None, role: str = "plan",
               columns: Sequence[str] = (), history: History | None = None,
               retired: Sequence[Action] = (), strangers: Collection[int] | None = None) -> dict[str, str]:
    """Write a standard plan workbook to ``path`` atomically.

    ``only_leads`` writes tabs for those leads only (a lead's own copy; ``Lists`` still holds
    every lead and theme).  ``role`` is recorded in the metadata: "plan" or "lead-copy".
    ``columns`` are the plan's own extra columns, in order, kept even where no action fills them.
    ``history`` (planbook.workbook.history) goes on the History sheet (not in a lead's copy), and
    each lead tab shows last period's status and update beside the action, read-only.
    ``retired`` actions (finished, out of the leads' copies) go on the Retired actions sheet.
    ``strangers``: actions (ids) whose Ref's last period is another action's (by default worked
    out from ``actions``; a lead's copy is given the whole plan's, see :func:`last_period_strangers`).
    Returns the mapping sheet name -> lead name of the lead tabs written.
    """
    import xlsxwriter

    if strangers is None:
        strangers = last_period_strangers(actions, history)
    apart = [i for i, a in enumerate(actions) if id(a) in strangers]  # by place: cleaning may copy an action
    info, actions = clean_plan(info, actions)  # last line of defence: nothing XML cannot hold reaches the file
    strangers = {id(actions[i]) for i in apart}
    actions = [_fit_cells(a) for a in actions]
    groups = _group_by_lead(info, actions)
    if only_leads is not None:
        wanted = {lead_key(name) for name in only_leads}
        groups = {lead: acts for lead, acts in groups.items() if lead_key(lead) in wanted}
    themes = list(dict.fromkeys([*info.themes, *(a.theme for a in actions if a.theme)]))
    known = {lead.name for lead in info.leads}
    leads = [*info.leads, *(Lead(n) for n in groups if n not in known and n != NO_LEAD)]
    extras = _collect_extras(actions, columns)

    require_suffix(path, (".xlsx", ".xlsm"), "a plan workbook")
    with atomic_output(path, overwrite=overwrite) as tmp, contextlib.ExitStack() as stack:
        wb = xlsxwriter.Workbook(str(tmp), {"strings_to_numbers": False, "strings_to_formulas": False,
                                            "strings_to_urls": False})
        wb.set_properties({"title": info.title, "subject": info.period, "comments": "planbook action plan",
                           "keywords": f"planbook format {FORMAT_VERSION}"})
        fmt = _Formats(wb)
        child, history_at, history_spec = None, 0, None
        if history and only_leads is None:  # a lead's copy shows last period beside each action, not the sheet
            # Guide, the lead tabs, Lists, then History: its rows (a year of updates) are written by
            # a forked child while the lead tabs are made here (see planbook.fast.fastrows)
            history_at, history_spec = len(groups) + 3, history_rows(history)
            styles = ([f' s="{fmt.wrap._get_xf_index()}"'] * history_spec[0], "")  # its style fixed now, either way
            if history_spec[1] >= PARALLEL_FROM_ROWS:
                child = stack.enter_context(rows_child({history_at: history_spec}, {history_at: styles}, tmp))
        _write_guide(wb, fmt, info, role, history.last if history else None)
        taken = {GUIDE.lower(), LISTS.lower(), META.lower(), HISTORY.lower(), RETIRED.lower()}
        tabs: dict[str, str] = {}
        spliced = {}  # sheet number -> its rows, streamed in once the workbook is closed
        for index, (lead, lead_actions) in enumerate(groups.items(), start=1):
            tab = sheet_name(lead, taken)
            tabs[tab] = lead
            spliced[1 + index] = _write_lead_tab(wb, fmt, tab, index, lead_actions, extras, blank_rows,
                                                 history or None, strangers)  # sheet 1 is the Guide
        _write_lists(wb, fmt, themes, leads, info.theme_headings)
        if history_spec is not None:
            at, _ = history_sheet(wb, history, fmt.header, fmt.wrap, fmt.status)
            if at != history_at:  # not where the child was told (never, as the sheets are made above)
                child = None  # its rows are written here instead
            spliced[at] = history_spec
        if retired and only_leads is None:
            _write_retired(wb, fmt, retired, extras)
        _write_meta(wb, info, tabs, extra_headers(extras), role)
        wb.close()
        splice_rows(tmp, spliced, child=child)
    return tabs


#: From this many History rows, a forked child writes them while the rest of the plan is made.
PARALLEL_FROM_ROWS = 5_000


def check_email(email: str, whose: str = "the coordinator") -> None:
    """One bare address, as the mailer will send from it and to it (planbook.mail.mailer's own
    test); ``whose`` names the person in the message ("the coordinator", "Jane Smith")."""
    if not is_bare_address(email):
        raise PlanbookError(f"{whose}'s email {clean_text(email)!r} is not an email address (name@example.org)")


def _refuse_repeats(what: str, names: Sequence[str], key: Callable[[str], str]) -> None:
    """A plan names each lead (theme) once: blank names, and names that are one by ``key``
    (which Excel's tab names, the Summary's counts and the merge rules treat as one), are
    refused, naming them."""
    seen: dict[str, str] = {}
    for name in names:
        if not name:
            raise PlanbookError(f"a {what} name is blank: give each {what} a name")
        k = key(name)
        if k in seen:
            if seen[k] == name:
                raise PlanbookError(f"the {what} {clean_text(name)!r} is given twice: give each {what} once")
            raise PlanbookError(f"the {what} {clean_text(name)!r} is given twice (as {clean_text(seen[k])!r} and "
                                f"{clean_text(name)!r}): names that differ only in case, spacing, dashes or "
                                f"quote marks are one {what}")
        seen[k] = name


def _theme_key(name: str) -> str:
    return " ".join(name.lower().split())


_TEXT_FIELDS = ("action", "objective", "partners", "success_measure", "resources", "progress")


def _fit_cells(action: Action) -> Action:
    """An action whose texts fit Excel's cells: a text longer than a cell holds (32,767
    characters) keeps what fits and the rest goes on in extra columns "Action (continued)",
    "Action (continued 2)" …, so nothing a plan held is lost in the workbook."""
    long = [f for f in _TEXT_FIELDS if len(getattr(action, f)) > MAX_CELL]
    if not long:
        return action
    action = dataclasses.replace(action, extras=dict(action.extras))
    for f in long:
        text = getattr(action, f)
        setattr(action, f, text[:MAX_CELL])
        header = HEADER_OF_FIELD[f]
        for n, start in enumerate(range(MAX_CELL, len(text), MAX_CELL), start=1):
            action.extras[f"{header} (continued{'' if n == 1 else f' {n}'})"] = text[start:start + MAX_CELL]
    return action


class _Formats(Formats):
    """The shared formats, and the plan's own: open and locked cells, Ref, dates, the
    conditional formats' status colours and overdue flag."""

    def __init__(self, wb) -> None:
        super().__init__(wb)
        self.cell = wb.add_format({"text_wrap": True, "valign": "top", "locked": False})
        self.ref_locked = wb.add_format({"num_format": "@", "valign": "top", "locked": True, "bold": True})
        self.ref_open = wb.add_format({"num_format": "@", "valign": "top", "locked": False})
        self.date = wb.add_format({"num_format": DATE_FORMAT, "valign": "top", "locked": False, "align": "left"})
        self.status = {s: wb.add_format({"bg_color": fill, "font_color": font, "bold": s != "Not started"})
                       for s, (_, fill, font) in COLOURS.items()}
        self.italic = wb.add_format({"italic": True, "text_wrap": True})
        self.guide_date = wb.add_format({"num_format": DATE_FORMAT, "align": "left"})
        self.last = wb.add_format({"text_wrap": True, "valign": "top", "locked": True, "italic": True,
                                   "font_color": "#404040", "bg_color": "#F2F2F2"})
        self.overdue = wb.add_format({"font_color": "#9C0006", "bold": True, "italic": True,
                                      "bg_color": "#FFE4E1", "border": 2, "border_color": "#C00000"})


def last_period_strangers(actions: Sequence[Action], history: History | None) -> set[int]:
    """The actions (ids) under a Ref whose last period is another action's (two sharing a Ref:
    :meth:`History.not_owning`): their copy shows no last period, never the other's."""
    return {id(actions[i]) for i in history.not_owning(actions)} if history else set()


def _write_lead_tab(wb, fmt: _Formats, tab: str, index: int, actions: Sequence[Action],
                    extras: list[str], blank_rows: int, history: History | None = None,
                    strangers: Collection[int] = ()) -> tuple:
    """A lead's tab: XlsxWriter makes its table, columns, drop-downs, colours, protection and
    print set-up, and a probe row holding each column's style; its actions' rows are streamed
    in once the workbook is closed (planbook.fast.fastrows: what it takes is returned).  The
    blank rows below them, where a lead adds actions, take their columns' styles (open to type
    in; last period's columns locked).  ``strangers``: actions (ids) under a Ref whose last
    period is another action's (two sharing a Ref): their last-period cells are blank."""
    ws = wb.add_worksheet(tab)
    shown = (LAST_STATUS, LAST_UPDATE) if history is not None else ()
    headers = [*HEADERS, *shown, *extra_headers(extras)]
    last_row = len(actions) + max(blank_rows, 1)
    last_col = len(headers) - 1
    ws.add_table(0, 0, last_row, last_col, {
        "name": f"Actions{index}",
        "style": "Table Style Light 15",
        "columns": [{"header": h, "header_format": fmt.header} for h in headers],
    })
    for col, header in enumerate(headers):
        style = fmt.last if header in shown else fmt.date if header == "Last updated" else fmt.cell
        ws.set_column(col, col, _WIDTHS.get(header, 18), fmt.ref_open if header == "Ref" else style)
        # the probe row: the style of each column's filled cells (a Ref is locked once given)
        ws.write_blank(1, col, None, fmt.ref_locked if header == "Ref" else style)
    if history is not None:
        for status in STATUSES:
            ws.conditional_format(1, len(HEADERS), last_row, len(HEADERS), {
                "type": "cell", "criteria": "==", "value": f'"{status}"', "format": fmt.status[status]})
    _add_validation(ws, last_row)
    _add_conditional_formats(ws, fmt, last_row)
    ws.freeze_panes(1, 1)
    ws.set_row(0, 32)
    ws.protect("", {"format_cells": True, "format_columns": True, "format_rows": True, "insert_rows": True,
                    "insert_columns": True, "insert_hyperlinks": True, "delete_rows": True, "sort": True,
                    "autofilter": True, "select_locked_cells": True, "select_unlocked_cells": True})
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(0)
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    ws.set_header(f"&L&\"-,Bold\"{header_text(tab)}&R&D")
    ws.set_footer("&LPlanbook action plan&RPage &P of &N")
    open_ref = Blank(f' s="{fmt.ref_open._get_xf_index()}"')  # a Ref not given yet: open to type in
    new_row = Blank(open_ref.style)  # the first cell of a blank row for new actions (Excel's own height)
    rows = [_action_cells(a, extras, history, open_ref, id(a) in strangers) for a in actions]
    rows += [[new_row, *[BLANK] * (len(headers) - 1)]] * (last_row - len(actions))
    return (len(headers), len(rows), lambda start, stop: rows[start:stop], _COL["Last updated"],
            lambda row: "" if row[0] is new_row else _row_height(row), True)


def _action_cells(action: Action, extras: list[str], history: History | None, open_ref: Blank,
                  stranger: bool = False) -> list[object]:
    """An action's row of a lead's tab: the standard columns, last period's status and update
    (with a history), then the plan's own columns; a blank cell is written with its column's
    style all the same (open to type in, whatever a reader makes of a column's style)."""
    row: list[object] = []
    for header, attr in STANDARD_COLUMNS:
        if attr == "ref":
            row.append(action.ref or open_ref)
        elif attr == "due":
            due = action.due
            row.append(due.end if due.kind == DATE and due.end and due.text == due.end.isoformat() else
                       due.text or BLANK)
        elif attr == "status":
            row.append(action.status_shown or BLANK)
        elif attr == "last_updated":
            row.append(action.last_updated or BLANK)
        else:
            row.append(getattr(action, attr) or BLANK)
    if history is not None:
        row += [v or BLANK for v in (not stranger and history.last_of(action.ref)) or ("", "")]
    for key in extras:
        value = action.extras.get(key)
        row.append(BLANK if value is None or value == "" else
                   value if isinstance(value, (str, dt.date, bool, int, float)) else str(value))
    return row


def _lines(text: str, width: float) -> int:
    chars = max(int(width * 1.1), 1)  # a column of width w holds about 1.1 w characters of body text
    return sum(max(1, -(-len(part) // chars)) for part in text.split("\n"))


#: The wrapped texts a row's height is made for: (column, its width).
_MEASURED = [(_COL[h], _WIDTHS[h]) for h, attr in STANDARD_COLUMNS
             if attr in ("objective", "action", "success_measure", "progress", "partners", "resources", "theme")]


def _row_height(row: list[object]) -> str:
    """The row's height attributes: the points its wrapped texts need (XlsxWriter does not
    autofit rows, nor does Excel on opening)."""
    lines = max(_lines(row[c] if row[c].__class__ is str else "", width) for c, width in _MEASURED)
    points = min(15.0 * lines + 2, 409.0)
    return f' ht="{int(points * 4 / 3 + 0.5) * 0.75:g}" customHeight="1"'  # to a whole pixel, as XlsxWriter does


def _write_retired(wb, fmt: _Formats, actions: Sequence[Action], extras: list[str]) -> None:
    """Finished actions taken out of the leads' tabs (their history stays on History):
    reopening one puts it back on its lead's tab."""
    ws = wb.add_worksheet(RETIRED)
    headers = [*HEADERS, *extra_headers(extras)]
    for col, header in enumerate(headers):
        ws.write_string(0, col, header, fmt.header)
        ws.set_column(col, col, _WIDTHS.get(header, 18), fmt.cell)
    for r, action in enumerate(actions, start=1):
        _write_action_row(ws, fmt, r, action, extras)
    ws.autofilter(0, 0, max(len(actions), 1), len(headers) - 1)
    ws.freeze_panes(1, 1)
    ws.protect("", {"autofilter": True, "sort": True, "format_columns": True, "select_locked_cells": True,
                    "select_unlocked_cells": True})


def _write_action_row(ws, fmt: _Formats, r: int, action: Action, extras: list[str],
                      first_extra: int = len(HEADERS)) -> None:
    c = _COL
    ws.write_string(r, c["Ref"], action.ref, fmt.ref_locked if action.ref else fmt.ref_open)
    for header, attr in STANDARD_COLUMNS:
        if attr in ("ref", "due", "status", "last_updated"):
            continue
        text = getattr(action, attr)
        if text:
            ws.write_string(r, c[header], text, fmt.cell)
        else:
            ws.write_blank(r, c[header], None, fmt.cell)
    due = action.due
    if due.kind == DATE and due.end and due.text == due.end.isoformat():
        ws.write_datetime(r, c["Due"], dt.datetime.combine(due.end, dt.time()), fmt.date)
    elif due.text:
        ws.write_string(r, c["Due"], due.text, fmt.cell)
    if action.status_shown:
        ws.write_string(r, c["Status"], action.status_shown, fmt.cell)
    if action.last_updated:
        ws.write_datetime(r, c["Last updated"], dt.datetime.combine(action.last_updated, dt.time()), fmt.date)
    for offset, key in enumerate(extras):
        value = action.extras.get(key)
        col = first_extra + offset
        if value is None or value == "":
            continue
        if isinstance(value, dt.datetime):
            ws.write_datetime(r, col, value, fmt.date)
        elif isinstance(value, dt.date):
            ws.write_datetime(r, col, dt.datetime.combine(value, dt.time()), fmt.date)
        elif isinstance(value, bool):
            ws.write_boolean(r, col, value, fmt.cell)
        elif isinstance(value, (int, float)):
            ws.write_number(r, col, value, fmt.cell)
        else:
            ws.write_string(r, col, str(value), fmt.cell)


def _add_validation(ws, last_row: int) -> None:
    c = _COL
    ws.data_validation(1, c["Status"], last_row, c["Status"], {
        "validate": "list", "source": "=StatusList", "error_type": "stop",
        "input_title": "Status", "input_message": "Pick a status from the list.",
        "error_title": "Status", "error_message": "Choose Complete, On track, Slippage, Off track or Not started."})
    ws.data_validation(1, c["Theme"], last_row, c["Theme"], {
        "validate": "list", "source": "=ThemeList", "error_type": "warning",
        "error_title": "Theme", "error_message": f"This theme is not on the {LISTS} sheet. Keep it anyway?"})
    ws.data_validation(1, c["Lead"], last_row, c["Lead"], {
        "validate": "list", "source": "=LeadList", "error_type": "warning",
        "error_title": "Lead", "error_message": f"This lead is not on the {LISTS} sheet. Keep it anyway?"})
    ws.data_validation(1, c["Last updated"], last_row, c["Last updated"], {
        "validate": "date", "criteria": "between", "minimum": dt.date(1990, 1, 1),
        "maximum": dt.date(2100, 12, 31), "error_type": "warning",
        "input_title": "Last updated", "input_message": "A date, e.g. 31/03/2009.",
        "error_title": "Last updated", "error_message": "Type a date, e.g. 31/03/2009."})
    ws.data_validation(1, c["Due"], last_row, c["Due"], {
        "validate": "any", "input_title": "Due",
        "input_message": "A date (31/03/2009), a month (December 2008), a range (Jan - May 2009), "
                         "or Ongoing / Quarterly / Annually / Termly / To be confirmed."})


def _add_conditional_formats(ws, fmt: _Formats, last_row: int) -> None:
    c = _COL
    status_col = col_letter(c["Status"])
    for status in STATUSES:
        ws.conditional_format(1, c["Status"], last_row, c["Status"], {
            "type": "cell", "criteria": "==", "value": f'"{status}"', "format": fmt.status[status]})
    due, action = col_letter(c["Due"]), col_letter(c["Action"])
    ws.conditional_format(1, c["Due"], last_row, c["Due"], {
        "type": "formula",
        "criteria": f'=AND(ISNUMBER(${due}2),${due}2<TODAY(),${status_col}2<>"Complete",${action}2<>"")',
        "format": fmt.overdue})


def last_period_line(period: str) -> str:
    """What the Guide says of the grey columns beside each action (see :func:`_action_cells`)."""
    return (f"The grey columns {LAST_STATUS!r} and {LAST_UPDATE!r} show what was reported for {period}, as the "
            "committee saw it: start from them. They are read-only: the plan's History sheet keeps every period.")


def _write_guide(wb, fmt: _Formats, info: PlanInfo, role: str = "plan", last_period: str | None = None) -> None:
    ws = wb.add_worksheet(GUIDE)
    ws.set_column(0, 0, 22)
    ws.set_column(1, 1, 90, fmt.wrap)
    ws.write_string(0, 0, info.title or "Action plan", fmt.title)
    rows = [*guide_rows(info), ("Format", f"planbook standard workbook, version {FORMAT_VERSION}")]
    for r, (label, value) in enumerate(rows, start=2):
        ws.write_string(r, 0, label, fmt.bold)
        if isinstance(value, dt.date):
            ws.write_datetime(r, 1, dt.datetime.combine(value, dt.time()), fmt.guide_date)
        else:
            ws.write_string(r, 1, value or "")
    r = len(rows) + 2
    ws.write_string(r, 1, "The coordinator's settings: change the title and these rows here, and planbook uses them."
                    if role == "plan" else "The coordinator's settings for this round: please leave them as they are.",
                    fmt.italic)
    r += 2
    if last_period:
        ws.write_string(r, 0, "Last period", fmt.bold)
        ws.write_string(r, 1, last_period_line(last_period))
        r += 2
    for note in info.notes:
        ws.write_string(r, 0, "Note", fmt.bold)
        ws.write_string(r, 1, note)
        r += 1
    if info.notes:
        r += 1
    ws.write_string(r, 0, "How to fill in", fmt.bold)
    steps = [
        "Go to your own tab (named after you). Each row is one action.",
        "Choose a Status from the drop-down for every action you lead. The colour follows the word. "
        "A blank Status is reported as \"No status given\" (choose Not started if work has not begun).",
        "Write a short Progress update: what has happened this period and what happens next.",
        "Put today's date in Last updated when you change a row.",
        "Due takes a date (31/03/2009), a month (December 2008), a range (Jan - May 2009) or a phrase "
        "(Ongoing, Quarterly, Annually, Termly, To be confirmed). A due date in the past on an unfinished action is flagged.",
        "Add a new action on a blank row of your table; give it a new Ref. Do not change existing Refs.",
        "You may add your own columns to the right; they are kept.",
        f"Themes and leads for the drop-downs are on the {LISTS} sheet.",
    ]
    for i, step in enumerate(steps, start=1):
        ws.write_string(r + i, 0, f"{i}.")
        ws.write_string(r + i, 1, step)
    r += len(steps) + 2
    ws.write_string(r, 0, "Status key", fmt.bold)
    meaning = {"Complete": "The action is done.", "On track": "Under way and expected to finish on time.",
               "Slippage": "Behind, but expected to finish within the timescale.",
               "Off track": "Unlikely to be achieved without action.", "Not started": "Work has not begun."}
    for i, status in enumerate(STATUSES, start=1):
        ws.write_string(r + i, 0, status, fmt.status_key[status])
        ws.write_string(r + i, 1, f"{COLOURS[status][0]} — {meaning[status]}")
    ws.fit_to_pages(1, 0)
    ws.set_paper(9)
    ws.activate()


def _write_lists(wb, fmt: _Formats, themes: list[str], leads: list[Lead], headings: dict[str, str] | None = None) -> None:
    ws = wb.add_worksheet(LISTS)
    headers = ["Status", "Colour", "Theme", "Lead", "Email", "Timescale", *(["Theme heading"] if headings else [])]
    for col, header in enumerate(headers):
        ws.write_string(0, col, header, fmt.bold)
    ws.set_column(0, 1, 14)
    ws.set_column(2, 2, 34)
    ws.set_column(3, 4, 30)
    ws.set_column(5, 5, 18)
    ws.set_column(6, 6, 60)
    for i, status in enumerate(STATUSES, start=1):
        ws.write_string(i, 0, status, fmt.status_key[status])
        ws.write_string(i, 1, COLOURS[status][0])
    for i, theme in enumerate(themes, start=1):
        ws.write_string(i, 2, theme)
        if headings and headings.get(theme):
            ws.write_string(i, 6, headings[theme])
    for i, lead in enumerate(leads, start=1):
        ws.write_string(i, 3, lead.name)
        if lead.email:
            ws.write_string(i, 4, lead.email)
    for i, phrase in enumerate(TIMESCALES, start=1):
        ws.write_string(i, 5, phrase)
    ws.freeze_panes(1, 0)
    wb.define_name("StatusList", f"={LISTS}!$A$2:$A${len(STATUSES) + 1}")
    for name, col in (("ThemeList", "C"), ("LeadList", "D"), ("TimescaleList", "F")):
        wb.define_name(name, f"=OFFSET({LISTS}!${col}$2,0,0,MAX(1,COUNTA({LISTS}!${col}$2:${col}${_LIST_ROWS})),1)")


def _write_meta(wb, info: PlanInfo, tabs: dict[str, str], extras: list[str], role: str = "plan") -> None:
    ws = wb.add_worksheet(META)
    plan_id = info.plan_id or (new_plan_id() if role == "plan" else "")
    rows = [("planbook_format", str(FORMAT_VERSION)), ("generator", f"planbook {__version__}"), ("role", role),
            ("plan_id", plan_id), ("title", info.title), ("period", info.period), ("coordinator", info.coordinator),
            ("coordinator_email", info.coordinator_email),
            ("written", dt.datetime.now().replace(microsecond=0).isoformat())]
    rows += [("lead_tab", f"{tab}\t{lead if lead != NO_LEAD else ''}") for tab, lead in tabs.items()]
    rows += [("extra_column", name) for name in extras]
    rows += [("source_gap", gap) for gap in info.source_gaps] if role == "plan" else []  # the master's, as imported
    rows += meta_rows(info)
    for r, (key, value) in enumerate(rows):
        ws.write_string(r, 0, key)
        ws.write_string(r, 1, value or "")
    ws.very_hidden()


def new_plan_id() -> str:
    """A fresh plan identity: written once when a plan is created, then carried by its copies."""
    import uuid

    return uuid.uuid4().hex


def new_plan(path: str | os.PathLike[str], title: str, period: str, leads: Sequence[str | Lead],
             themes: Sequence[str] = (), *, coordinator: str = "", coordinator_email: str = "",
             return_by: dt.date | None = None, overwrite: bool = False, report: Report | None = None) -> dict[str, str]:
    """Create an empty standard plan: a tab per lead, ready for leads to fill in.

    Characters a workbook cannot hold (control characters, e.g. Word's line break) are
    replaced; each value changed is a ``control-character`` finding in ``report`` if given.
    """
    lead_objs = [lead if isinstance(lead, Lead) else Lead(str(lead)) for lead in leads]
    lead_objs = [Lead(lead.name.strip(), lead.email.strip()) for lead in lead_objs]
    _refuse_repeats("lead", [lead.name for lead in lead_objs], lead_key)
    themes = [theme.strip() for theme in themes]
    _refuse_repeats("theme", themes, _theme_key)
    if coordinator_email.strip():
        check_email(coordinator_email.strip())
    info = PlanInfo(title=title, period=period, leads=lead_objs, themes=list(themes),
                    coordinator=coordinator, coordinator_email=coordinator_email, return_by=return_by)
    if report is not None:
        for label, value in [("title", title), ("period", period), ("coordinator", coordinator),
                             ("coordinator email", coordinator_email), *(("lead", lead.name) for lead in lead_objs),
                             *(("theme", theme) for theme in themes)]:
            if has_bad(value):
                report.add(Finding("control-character", os.fspath(path), "", "", clean_text(value),
                                   f"the {label} {clean_text(value)!r} held {describe(value)}, which Excel cannot save",
                                   outcome="replaced by a line break (U+000B, U+000C) or a space"))
    return write_plan(path, info, (), overwrite=overwrite)


_TEXT_FIELDS = ("ref", "action", "lead", "theme", "objective", "partners", "success_measure", "resources",
                "status_text", "progress")


def clean_plan(info: PlanInfo, actions: Sequence[Action]) -> tuple[PlanInfo, Sequence[Action]]:
    """``info`` and ``actions`` with every text XML cannot hold cleaned (copies only where needed)."""
    fields = {k: getattr(info, k) for k in ("title", "period", "coordinator", "coordinator_email")}
    if any(has_bad(v) for v in fields.values()) or any(has_bad(t) for t in info.themes) or any(
            has_bad(x) for lead in info.leads for x in (lead.name, lead.email)) or any(has_bad(n) for n in info.notes):
        info = dataclasses.replace(info, **{k: clean_text(v) for k, v in fields.items()},
                                   themes=[clean_text(t) for t in info.themes], notes=[clean_text(n) for n in info.notes],
                                   leads=[Lead(clean_text(lead.name), clean_text(lead.email)) for lead in info.leads])
    out = list(actions)
    for i, a in enumerate(out):
        bad = [f for f in _TEXT_FIELDS if has_bad(getattr(a, f) or "")]
        extras = any(isinstance(v, str) and has_bad(v) or has_bad(k) for k, v in a.extras.items())
        if bad or extras or has_bad(a.due.text):
            changes = {f: clean_text(getattr(a, f)) for f in bad}
            if extras:
                changes["extras"] = {clean_text(k): clean_text(v) if isinstance(v, str) else v for k, v in a.extras.items()}
            if has_bad(a.due.text):
                changes["due"] = dataclasses.replace(a.due, text=clean_text(a.due.text))
            out[i] = dataclasses.replace(a, **changes)
    return info, out
