"""Write the consolidated workbook: Summary, All actions, Exceptions, Changes, Data issues, Sources.

Summary figures are live formulas over ``All actions`` *with cached values*, so Excel users can
filter and edit while every other reader (calamine, pandas, a mail preview) sees the numbers.
XlsxWriter writes each sheet's structure; the data rows of the big sheets are then streamed in
by :mod:`planbook.fastrows` (several times faster than cell-by-cell, flat memory).
"""
from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from . import __version__
from .atomic import atomic_output, check_output
from .bulk import gc_paused
from .clean import clean_text, has_bad
from .consolidated_reader import ALL_ACTIONS
from .columns import HEADERS
from .consolidate import Consolidation, consolidate
from .due import DATE, Due
from .findings import ERROR, INFO, WARNING
from .model import Action
from .fastrows import RowSource, rows_child, splice_rows
from .guard import is_consolidated, refuse_overwriting_inputs
from .status import COLOURS, NOT_STARTED, STATUSES
from .writer import col_letter

#: Excel's row limit less the header row: more actions go on "All actions (2)", …
MAX_DATA_ROWS = 1_048_575
#: From this many rows (actions + exceptions), two processes write the sheets (planbook.parallel).
PARALLEL_FROM_ROWS = 5_000
_ACTION_HEADERS = [*HEADERS, "Due by", "Overdue"]
_SOURCE_HEADERS = ["Source file", "Source sheet", "Source row"]
_STATUS_COL = col_letter(HEADERS.index("Status"))
_THEME_COL = col_letter(HEADERS.index("Theme"))
_LEAD_COL = col_letter(HEADERS.index("Lead"))
_WIDTHS = {"Ref": 7, "Theme": 20, "Objective": 30, "Action": 50, "Lead": 22, "Partners": 18, "Due": 16,
           "Success measure": 30, "Resources": 16, "Status": 12, "Progress update": 50, "Last updated": 12,
           "Due by": 12, "Overdue": 9, "Source file": 24, "Source sheet": 18, "Source row": 8}


def _criteria(text: str) -> str:
    """A COUNTIFS criterion matching ``text`` exactly (no wildcards, no operators)."""
    escaped = text.replace("~", "~~").replace("*", "~*").replace("?", "~?").replace('"', '""')
    return f'"={escaped}"'


def _sheet_chunks(n: int, limit: int) -> list[tuple[str, int, int]]:
    chunks, start, i = [], 0, 1
    while start < n or not chunks:
        end = min(n, start + limit)
        chunks.append((ALL_ACTIONS if i == 1 else f"{ALL_ACTIONS} ({i})", start, end))
        start, i = end, i + 1
    return chunks


def consolidate_to(inputs: Sequence[str | os.PathLike[str]], out: str | os.PathLike[str],
                   **options) -> Consolidation:
    """The whole job in one call: consolidate ``inputs`` and write the workbook to ``out``.

    ``options`` are :func:`planbook.consolidate.consolidate`'s.  The output and the previous
    consolidation are never read as inputs, even when they sit in an input folder.  This is
    what the CLI and the Excel button run.  ``out`` naming an input (or ``previous``, or a file
    in an input folder other than an earlier consolidation) is refused before anything is read.
    """
    refuse_overwriting_inputs(out, inputs, folder_member=lambda p: not is_consolidated(p))
    check_output(out)  # a missing or read-only folder is said now, not after reading every input
    refuse_overwriting_inputs(out, [options.get("previous")], what="--previous consolidation")
    never_inputs = [out, *([options["previous"]] if options.get("previous") else [])]
    options["exclude"] = [*options.get("exclude", ()), *never_inputs]
    with gc_paused():  # one pause for both halves (see planbook.bulk)
        result = consolidate(inputs, **options)
        write_consolidated(result, out)
    return result


@gc_paused()
def write_consolidated(result: Consolidation, out: str | os.PathLike[str], *,
                       max_rows: int = MAX_DATA_ROWS) -> list[str]:
    """Write ``result`` to ``out`` atomically; returns the sheet names written."""
    import xlsxwriter

    texts = {k: getattr(result, k) for k in ("title", "period", "coordinator", "coordinator_email")}
    if any(has_bad(v) for v in texts.values()):  # last line of defence (the readers clean what they read)
        result = dataclasses.replace(result, **{k: clean_text(v) for k, v in texts.items()})
    chunks = _sheet_chunks(len(result.actions), max_rows)
    tables = _tables(result, chunks)
    deferred = {i: (len(t.headers), t.count, t.make_rows, t.date_col) for i, t in enumerate(tables, start=2)}
    # Big runs: a forked child writes the other sheets' rows and the end of All actions while
    # this process makes the workbook around them.  Not with a spill file (its read position
    # would be shared); those runs are about memory.
    big = len(result.actions) + len(result.exceptions) >= PARALLEL_FROM_ROWS and result.store is None
    with atomic_output(out) as tmp:
        wb = xlsxwriter.Workbook(str(tmp), {"strings_to_numbers": False, "strings_to_formulas": False,
                                            "strings_to_urls": False})
        wb.set_properties({"title": f"{result.title} — consolidated", "subject": result.period,
                           "comments": f"planbook {__version__} consolidation"})
        fmt = _Formats(wb)
        styles = {i: fmt.styles(t) for i, t in enumerate(tables, start=2)}
        share = _share_out(deferred, set(range(2, 2 + len(chunks)))) if big else {}  # All actions: 2, 3, …
        with rows_child(deferred, share, styles, tmp) if big else contextlib.nullcontext() as child:
            _write_summary(wb, fmt, result, chunks)  # sheet 1
            for table in tables:  # sheets 2, 3, ...
                _table_sheet(wb, fmt, table)
            meta = wb.add_worksheet("_planbook")
            for r, (k, v) in enumerate([("planbook_format", "1"), ("role", "consolidated"), ("title", result.title),
                                        ("period", result.period), ("as_of", result.today.isoformat()),
                                        ("coordinator", result.coordinator),
                                        ("coordinator_email", result.coordinator_email),
                                        ("generator", f"planbook {__version__}")]):
                meta.write_string(r, 0, k)
                meta.write_string(r, 1, v)
            meta.very_hidden()
            names = [ws.name for ws in wb.worksheets()]
            wb.close()
            splice_rows(tmp, deferred, child=child)
    return names


#: The part of the rows this process writes when a child shares the work: less than half,
#: as the child starts while this process still makes the Summary and the workbook's shell
#: (measured at 45k rows: both finish together at about 0.42).
_MY_SHARE = 0.42


def _share_out(deferred: dict, actions_sheets: set[int]) -> dict[int, int]:
    """Which rows a child process writes: every sheet but All actions, and enough of the end
    of All actions that both processes finish together (a row's long texts dominate its cost,
    so an Exceptions row costs about what an All actions row does)."""
    main = max(actions_sheets, key=lambda i: deferred[i][1])
    nrows = deferred[main][1]
    total = sum(spec[1] for spec in deferred.values())
    return {i: (min(int(total * _MY_SHARE), nrows) if i == main else 0) for i in deferred}


class _Formats:
    def __init__(self, wb) -> None:
        self.title = wb.add_format({"bold": True, "font_size": 16})
        self.h2 = wb.add_format({"bold": True, "font_size": 12})
        self.header = wb.add_format({"bold": True, "bg_color": "#1F4E78", "font_color": "#FFFFFF",
                                     "text_wrap": True, "valign": "top", "border": 1})
        self.bold = wb.add_format({"bold": True})
        self.pct = wb.add_format({"num_format": "0%"})
        self.date = wb.add_format({"num_format": "dd/mm/yyyy", "align": "left", "valign": "top"})
        self.wrap = wb.add_format({"text_wrap": True, "valign": "top"})
        self.top = wb.add_format({"valign": "top"})
        self.status = {s: wb.add_format({"bg_color": fill, "font_color": font, "border": 1})
                       for s, (_, fill, font) in COLOURS.items()}
        self.kinds = {"date": self.date, "wrap": self.wrap, "top": self.top}
        for f in self.kinds.values():  # fix their style numbers now: a child writing rows needs them
            f._get_xf_index()  # before the workbook is closed (planbook.fastrows checks they held)

    def styles(self, table: _Table) -> tuple[list[str], str]:
        """Each column's style attribute in the rows of ``table``, and the date style."""
        attrs = [f' s="{self.kinds[table.kind(c)].xf_index}"' for c in range(len(table.headers))]
        return attrs, (attrs[table.date_col] if table.date_col is not None else "")


def _add_status_colours(ws, fmt: _Formats, first_row: int, last_row: int, col: int) -> None:
    if last_row < first_row:
        return
    for status in STATUSES:
        ws.conditional_format(first_row, col, last_row, col, {
            "type": "cell", "criteria": "==", "value": f'"{status}"', "format": fmt.status[status]})


def _write_summary(wb, fmt: _Formats, result: Consolidation, chunks) -> None:
    ws = wb.add_worksheet("Summary")
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.set_column(0, 0, 34)
    ws.set_column(1, len(STATUSES) + 2, 12)
    ws.write_string(0, 0, result.title, fmt.title)
    ws.write_string(1, 0, f"Consolidated progress — {result.period}" if result.period else "Consolidated progress")
    ws.write_string(2, 0, f"As at {result.today:%d %B %Y}; {len(result.actions)} actions from "
                          f"{sum(1 for s in result.sources if not s.skipped)} file(s); "
                          f"{len(result.report.errors)} data error(s) listed on Data issues.")
    shown = [a.status_shown or NOT_STARTED for a in result.actions]  # the Status cells
    counts = Counter(shown)
    total = len(result.actions)
    ranges = [(name, end - start) for name, start, end in chunks]  # each All actions sheet, its rows

    def countif(criteria_parts: list[tuple[str, str]]) -> str:
        terms = []
        for name, n in ranges:
            last = max(n, 1) + 1
            args = ",".join(f"'{name}'!${c}$2:${c}${last},{crit}" for c, crit in criteria_parts)
            terms.append(f"COUNTIFS({args})")
        return "=" + "+".join(terms)

    r = 4
    ws.write_string(r, 0, "Status", fmt.header)
    ws.write_string(r, 1, "Actions", fmt.header)
    ws.write_string(r, 2, "%", fmt.header)
    total_row = r + len(STATUSES) + 1
    for i, status in enumerate(STATUSES, start=1):
        ws.write_string(r + i, 0, status, fmt.status[status])
        ws.write_formula(r + i, 1, countif([(_STATUS_COL, _criteria(status))]), None, counts.get(status, 0))
        ws.write_formula(r + i, 2, f"=IF($B${total_row + 1}=0,0,B{r + i + 1}/$B${total_row + 1})", fmt.pct,
                         counts.get(status, 0) / total if total else 0)
    other = total - sum(counts.get(s, 0) for s in STATUSES)
    ws.write_string(total_row, 0, "Total actions" + (f" (incl. {other} with a status not recognised)" if other else ""), fmt.bold)
    if total:
        rows_formula = "=" + "+".join(f"ROWS('{name}'!$A$2:$A${n + 1})" for name, n in ranges)
        ws.write_formula(total_row, 1, rows_formula, fmt.bold, total)
    else:
        ws.write_number(total_row, 1, 0, fmt.bold)
    ws.write_formula(total_row, 2, f"=IF(B{total_row + 1}=0,0,SUM(C{r + 2}:C{total_row}))", fmt.pct,
                     (total - other) / total if total else 0)
    r = total_row + 2
    theme_of = [a.theme for a in result.actions]
    themes = list(dict.fromkeys(theme_of))
    theme_top = r
    r = _cross_table(ws, fmt, r, "Status by theme", "Theme", themes, _THEME_COL,
                     Counter(zip(theme_of, shown)), countif)
    lead_of = [a.lead for a in result.actions]
    leads = sorted(dict.fromkeys(lead_of), key=str.lower)
    lead_top = r + 1
    _cross_table(ws, fmt, lead_top, "Status by lead", "Lead", leads, _LEAD_COL,
                 Counter(zip(lead_of, shown)), countif)
    if themes:
        chart = wb.add_chart({"type": "bar", "subtype": "stacked"})
        first, last = theme_top + 2, theme_top + 1 + len(themes)
        for j, status in enumerate(STATUSES, start=1):
            chart.add_series({"name": ["Summary", theme_top + 1, j], "categories": ["Summary", first, 0, last, 0],
                              "values": ["Summary", first, j, last, j],
                              "fill": {"color": COLOURS[status][1]}, "border": {"color": "#404040"}})
        chart.set_title({"name": "Actions by status and theme"})
        chart.set_y_axis({"reverse": True})
        chart.set_legend({"position": "bottom"})
        chart.set_size({"width": 640, "height": 60 + 28 * len(themes) + 80})
        ws.insert_chart(4, len(STATUSES) + 4, chart, {
            "description": "Stacked bar chart: number of actions in each status for each theme. "
                           "The same figures are in the Status by theme table."})


def _cross_table(ws, fmt: _Formats, r: int, title: str, label: str, rows: Sequence[str], col: str,
                 counts: Counter, countif) -> int:
    ws.write_string(r, 0, title, fmt.h2)
    ws.write_string(r + 1, 0, label, fmt.header)
    for j, status in enumerate(STATUSES, start=1):
        ws.write_string(r + 1, j, status, fmt.header)
    ws.write_string(r + 1, len(STATUSES) + 1, "Total", fmt.header)
    for i, name in enumerate(rows, start=r + 2):
        name = clean_text(name)
        ws.write_string(i, 0, name or f"(no {label.lower()})")
        row_total = 0
        for j, status in enumerate(STATUSES, start=1):
            value = counts.get((name, status), 0)
            row_total += value
            ws.write_formula(i, j, countif([(col, _criteria(name)), (_STATUS_COL, _criteria(status))]), None, value)
        first, last = col_letter(1), col_letter(len(STATUSES))
        ws.write_formula(i, len(STATUSES) + 1, f"=SUM({first}{i + 1}:{last}{i + 1})", fmt.bold, row_total)
    return r + 2 + len(rows)


def _due_cell(due: Due) -> object:
    """The Due cell: a real date when the text was just that date, else the text as typed."""
    exact = due.kind == DATE and due.end and due.text == due.end.isoformat()
    return due.end if exact else due.text


def _action_rows(actions: Sequence[Action], extras: list[str], today: dt.date, full):
    """One All actions row per action (run for every action: kept lean)."""
    cells: dict[int, object] = {}  # id(due) -> its Due cell; Dues are shared by many actions
    for a in map(full, actions):
        due = a.due
        due_cell = cells[id(due)] if id(due) in cells else cells.setdefault(id(due), _due_cell(due))
        o = a.origin
        yield [a.ref, a.theme, a.objective, a.action, a.lead, a.partners, due_cell, a.success_measure,
               a.resources, a.status_shown or NOT_STARTED, a.progress, a.last_updated, due.deadline,
               "Overdue" if a.is_overdue(today) else None,
               *([a.extras.get(k) for k in extras] if extras else ()),
               *((o.file, o.sheet, o.row) if o else (None, None, None))]


@dataclass
class _Table:
    """A sheet of many rows: XlsxWriter writes its header, widths and styles; fastrows streams
    its ``count`` rows, made by ``make_rows(start, stop)`` as they are written."""

    name: str
    headers: list[str]
    widths: list[int]
    count: int
    make_rows: RowSource
    kinds: dict[int, str] = field(default_factory=dict)  # column -> "date" or "wrap" (else "top")
    freeze_cols: int = 0
    status_col: int | None = None

    def kind(self, c: int) -> str:
        return self.kinds.get(c, "top")

    @property
    def date_col(self) -> int | None:
        return next((c for c, k in sorted(self.kinds.items()) if k == "date"), None)


def _table_sheet(wb, fmt: _Formats, table: _Table) -> None:
    """The sheet's header, widths, styles and a *probe row*: one blank cell in each column's
    style, which fastrows replaces by the real rows."""
    ws = wb.add_worksheet(table.name)
    for c, w in enumerate(table.widths):
        ws.set_column(c, c, w)
    _header_row(ws, fmt, table.headers, table.count)
    ws.freeze_panes(1, table.freeze_cols)
    for c in range(len(table.headers)):
        ws.write_blank(1, c, None, fmt.kinds[table.kind(c)])
    if table.status_col is not None:
        _add_status_colours(ws, fmt, 1, table.count, table.status_col)


def _tables(result: Consolidation, chunks) -> list[_Table]:
    """Every row-heavy sheet, in order: All actions (and its continuations), Exceptions,
    Changes, Data issues, Sources."""
    extras = result.extra_columns
    headers = [*_ACTION_HEADERS, *extras, *_SOURCE_HEADERS]
    dates = {headers.index(h): "date" for h in ("Due", "Last updated", "Due by")}
    tables = [_Table(name, headers, [_WIDTHS.get(h, 16) for h in headers], end - start,
                     _slice_rows(result.actions[start:end], extras, result.today, result.full), dates, freeze_cols=1,
                     status_col=HEADERS.index("Status"))
              for name, start, end in chunks]
    return tables + [_exceptions_table(result), _changes_table(result), _issues_table(result), _sources_table(result)]


def _slice_rows(actions: Sequence[Action], extras: list[str], today: dt.date, full) -> RowSource:
    return lambda start, stop: _action_rows(actions[start:stop], extras, today, full)


def _header_row(ws, fmt: _Formats, headers: list[str], nrows: int) -> None:
    """Header cells plus an autofilter over the data (tables are not possible in constant-memory mode)."""
    for c, h in enumerate(headers):
        ws.write_string(0, c, h, fmt.header)
    ws.autofilter(0, 0, max(nrows, 1), len(headers) - 1)
    ws.repeat_rows(0)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)


def _table(name: str, headers: list[str], widths: list[int], rows: Sequence | None = None, *,
           count: int = 0, make_rows: RowSource | None = None, wrap: bool = True,
           status_col: int | None = None) -> _Table:
    """A simple sheet of ``rows`` (or of ``count`` rows made as they are written)."""
    kinds = {c: "date" if h in ("Due", "Last updated", "Modified") else ("wrap" if wrap else "top")
             for c, h in enumerate(headers)}
    if rows is not None:
        count, make_rows = len(rows), lambda start, stop: rows[start:stop]
    return _Table(name, headers, widths, count, make_rows, kinds, status_col=status_col)


def _origin(a: Action) -> list[object]:
    o = a.origin
    return [o.file, o.sheet, o.row] if o else ["", "", ""]


def _exceptions_table(result: Consolidation) -> _Table:
    def rows(start: int, stop: int):
        for e in result.exceptions[start:stop]:
            a = result.full(e.action)
            yield [e.reason, a.ref, a.lead, a.action, a.status_shown or NOT_STARTED,
                   a.due.text if a.due.kind != "date" else a.due.end, a.progress, a.last_updated, *_origin(a)]

    return _table("Exceptions", ["Why", "Ref", "Lead", "Action", "Status", "Due", "Progress update", "Last updated",
                                 "Source file", "Source sheet", "Source row"], [28, 7, 20, 50, 12, 14, 50, 12, 22, 16, 8],
                  count=len(result.exceptions), make_rows=rows, status_col=4)


def _changes_table(result: Consolidation) -> _Table:
    if result.changes is None:
        rows = [["No previous consolidation given (use --previous) — nothing to compare.", "", "", "", "", ""]]
    else:
        rows = [[c.kind, c.ref, c.lead, c.action, c.before, c.after] for c in result.changes]
    return _table("Changes", ["Change", "Ref", "Lead", "Action", "Before", "Now"], [22, 7, 20, 50, 30, 30], rows)


def _issues_table(result: Consolidation) -> _Table:
    order = {ERROR: 0, WARNING: 1, INFO: 2}
    findings = sorted(result.report, key=lambda f: (order.get(f.severity, 3), f.file, f.sheet))
    rows = [[f.severity, f.code, f.file, f.sheet, f.cell, f.value, f.message, f.outcome] for f in findings]
    return _table("Data issues", ["Severity", "Problem", "File", "Sheet", "Cell", "Value", "What is wrong",
                                  "What was done"], [9, 22, 24, 18, 7, 20, 60, 26], rows)


def _sources_table(result: Consolidation) -> _Table:
    rows = [[s.file, s.lead, s.role, s.rows, s.rows_with_findings, s.used, s.sha256, s.modified, s.skipped]
            for s in result.sources]
    return _table("Sources", ["File", "Lead", "Kind", "Rows read", "Rows with issues", "Actions used", "SHA-256",
                              "Modified", "Skipped because"], [40, 24, 10, 9, 9, 9, 20, 18, 40], rows, wrap=False)
