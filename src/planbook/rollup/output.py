"""Write the consolidated workbook: Summary, All actions, Exceptions, Changes, Data issues, Sources.

Summary figures are live formulas over ``All actions`` *with cached values*, so Excel users can
filter and edit while every other reader (calamine, pandas, a mail preview) sees the numbers.
XlsxWriter writes each sheet's structure; the data rows of the big sheets are then streamed in
by :mod:`planbook.fast.fastrows` (several times faster than cell-by-cell, flat memory).
"""
from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import os
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from operator import add, floordiv, itemgetter

from planbook.core.dates import DATE_FORMAT, parse_iso, prose_date
from planbook.core.due import DATE, Due
from planbook.core.findings import ERROR, INFO, WARNING
from planbook.core.layout import (
    ALL_ACTIONS,
    CHANGES,
    DATA_ISSUES,
    EXCEPTIONS,
    LEAD_CHANGES,
    META,
    RETURNS,
    SOURCES,
    SUMMARY,
)
from planbook.core.leads import lead_key
from planbook.core.limits import MAX_CELL, MAX_FORMULA, fit_long_cells, formula_text, label_lines, literal_fits
from planbook.core.model import Action
from planbook.core.names import col_letter
from planbook.core.status import (
    COLOURS,
    COUNT_LINES,
    FINISHED,
    NO_STATUS,
    NOT_RECOGNISED,
    STATUSES,
    count_line,
    percentages,
    tally,
)
from planbook.core.text import clean_text, has_bad
from planbook.core.version import __version__
from planbook.fast.bulk import gc_paused
from planbook.fast.fastrows import Row, RowHeight, RowSource, rows_child, splice_rows
from planbook.files.atomic import atomic_output
from planbook.rollup import year
from planbook.rollup.consolidate import Consolidation
from planbook.rollup.pagefit import SAMPLE, PrintedColumn, chars_per_line, fit_widths, text_lines
from planbook.rollup.tracker import LATER_UNREADABLE
from planbook.workbook.formats import HEADER_CHARS, Formats, header_text

#: Excel's row limit less the header row: more actions go on "All actions (2)", …
MAX_DATA_ROWS = 1_048_575
#: From this many rows (actions + exceptions), two processes write the sheets (planbook.fast.parallel).
PARALLEL_FROM_ROWS = 5_000
#: All actions' columns: first those a reader needs, which are its print area (landscape, one
#: page wide), then the rest of each action, then its extra columns and where it came from.
#: A column is added here and in :func:`_action_rows`, in the same place.
PRINTED_HEADERS = ["Ref", "Theme", "Action", "Lead", "Due", "Status", "Direction", "Progress update"]
_ACTION_HEADERS = [*PRINTED_HEADERS, "Overdue", "Last updated", "Due by", "Objective", "Partners",
                   "Success measure", "Resources"]
#: "Note": what the merge flagged on the row (planbook.rollup.merge: a Ref collision, not in the lead's
#: return, a stale copy), blank otherwise; then where the row came from.
_SOURCE_HEADERS = ["Note", "Source file", "Source sheet", "Source row"]
_STATUS_COL = col_letter(_ACTION_HEADERS.index("Status"))
_THEME_COL = col_letter(_ACTION_HEADERS.index("Theme"))
_LEAD_COL = col_letter(_ACTION_HEADERS.index("Lead"))
_WIDTHS = {"Ref": 7, "Theme": 16, "Objective": 50, "Action": 45, "Lead": 18, "Partners": 24, "Due": 13,
           "Success measure": 50, "Resources": 24, "Status": 16, "Direction": 10, "Progress update": 50,
           "Last updated": 12, "Due by": 12, "Overdue": 9, "Note": 40, "Source file": 24, "Source sheet": 18, "Source row": 8}
#: Columns of All actions whose text wraps (and sets the row's height).
_WRAPPED = {"Theme", "Action", "Lead", "Due", "Status", "Progress update", "Objective", "Partners",
            "Success measure", "Resources", "Note"}
#: Columns of All actions that always hold text.
_TEXT_HEADERS = ["Ref", "Theme", "Action", "Lead", "Status", "Progress update", "Objective", "Partners",
                 "Success measure", "Resources"]
#: The fills of the two count lines that are not statuses (their words say what they are).
_LINE_FILLS = {NO_STATUS: "#FFFFFF", NOT_RECOGNISED: "#F2F2F2"}


def _criterion(text: str) -> str:
    """The COUNTIFS criterion matching ``text`` exactly (no wildcards, no operators)."""
    return "=" + text.replace("~", "~~").replace("*", "~*").replace("?", "~?")


def _criteria(text: str) -> str:
    """The criterion as a formula's literal."""
    return formula_text(_criterion(text))


def _sheet_chunks(n: int, limit: int) -> list[tuple[str, int, int]]:
    chunks, start, i = [], 0, 1
    while start < n or not chunks:
        end = min(n, start + limit)
        chunks.append((ALL_ACTIONS if i == 1 else f"{ALL_ACTIONS} ({i})", start, end))
        start, i = end, i + 1
    return chunks


@gc_paused()
def write_consolidated(result: Consolidation, out: str | os.PathLike[str], *,
                       max_rows: int = MAX_DATA_ROWS) -> list[str]:
    """Write ``result`` to ``out`` atomically; returns the sheet names written.

    Before anything is written, every text of an action longer than a cell holds is cut to
    fit, the rest kept on Data issues (see :mod:`planbook.core.limits`), and a text planbook
    makes around one (a reason, a message) is cut to fit where it is shown."""
    _fit_texts(result)
    return _write_consolidated(result, out, max_rows)


def _fit_texts(result: Consolidation) -> None:
    """Cut every text of ``result``'s actions longer than a cell holds to fit, in place, each
    with a ``cell-too-long`` finding holding the rest.  Texts kept on disk (very large runs)
    are looked at only where the store saw a text that may be that long."""
    fit_long_cells(result.actions, result.report)  # those on disk are "" or "…" here
    store = result.store
    if store is not None and store.long:
        long = set(store.long)
        for a in result.actions:
            if a.spill in long:
                whole = store.full(a)
                if fit_long_cells([whole], result.report):
                    store.put_back(a, whole)


def _write_consolidated(result: Consolidation, out: str | os.PathLike[str], max_rows: int) -> list[str]:
    import xlsxwriter

    for k in ("title", "period", "coordinator", "coordinator_email"):  # last line of defence (the readers
        if has_bad(getattr(result, k)):  # clean what they read)
            setattr(result, k, clean_text(getattr(result, k)))
    names = {a.theme for a in result.actions} | {a.lead for a in result.actions}  # these go into formulas too
    if any(has_bad(n) for n in names):
        for a in result.actions:
            a.theme, a.lead = clean_text(a.theme), clean_text(a.lead)
    chunks = _sheet_chunks(len(result.actions), max_rows)
    tables = _tables(result, chunks)
    deferred = {i: (len(t.headers), t.count, t.make_rows, t.date_col, t.heights())
                for i, t in enumerate(tables, start=2)}
    # Big runs: a forked child starts writing the sheets' rows while this process makes the
    # workbook around them, then both take what is left piece by piece.  Not with a spill
    # file (its read position would be shared); those runs are about memory.
    big = len(result.actions) + len(result.exceptions) >= PARALLEL_FROM_ROWS and result.store is None
    with atomic_output(out) as tmp:
        wb = xlsxwriter.Workbook(str(tmp), {"strings_to_numbers": False, "strings_to_formulas": False,
                                            "strings_to_urls": False})
        wb.set_properties({"title": f"{result.title} — consolidated", "subject": result.period,
                           "comments": f"planbook {__version__} consolidation"})
        fmt = _Formats(wb)
        styles = {i: fmt.styles(t) for i, t in enumerate(tables, start=2)}
        with rows_child(deferred, styles, tmp) if big else contextlib.nullcontext() as child:
            _write_summary(wb, fmt, result, chunks)  # sheet 1
            for table in tables:  # sheets 2, 3, ...
                _table_sheet(wb, fmt, table, result.title, result.today)
            meta = wb.add_worksheet(META)
            for r, (k, v) in enumerate([("planbook_format", "1"), ("role", "consolidated"), ("title", result.title),
                                        ("period", result.period), ("as_of", result.today.isoformat()),
                                        ("coordinator", result.coordinator),
                                        ("coordinator_email", result.coordinator_email),
                                        ("return_by", result.return_by.isoformat() if result.return_by else ""),
                                        ("generator", f"planbook {__version__}")]):
                meta.write_string(r, 0, k)
                meta.write_string(r, 1, v)
            for r, lead in enumerate((lead for lead in result.leads if lead.email), start=r + 1):
                meta.write_string(r, 0, "lead_email")  # for receipts (planbook.mail.chasing)
                meta.write_string(r, 1, f"{lead.name}\t{lead.email}")
            for r, (k, v) in enumerate(year.meta_rows(result), start=r + 1):  # for roll forward
                meta.write_string(r, 0, k)
                meta.write_string(r, 1, v)
            meta.very_hidden()
            names = [ws.name for ws in wb.worksheets()]
            wb.close()
            splice_rows(tmp, deferred, child=child)
    return names


class _Formats(Formats):
    """The shared formats, and the consolidation's own: the Summary's, the table sheets' column
    styles (fixed before rows are streamed in), the count lines that are not statuses."""

    def __init__(self, wb) -> None:
        super().__init__(wb)
        self.h2 = wb.add_format({"bold": True, "font_size": 12})
        self.bold_top = wb.add_format({"bold": True, "valign": "top"})
        self.label = wb.add_format({"text_wrap": True, "valign": "top"})
        self.pct = wb.add_format({"num_format": "0%"})
        self.bold_pct = wb.add_format({"num_format": "0%", "bold": True})
        self.date = wb.add_format({"num_format": DATE_FORMAT, "align": "left", "valign": "top", "text_wrap": True})
        self.datetime = wb.add_format({"num_format": DATE_FORMAT + " hh:mm", "align": "left", "valign": "top"})
        self.top = wb.add_format({"valign": "top"})
        self.status = dict(self.status_key)
        self.status.update({line: wb.add_format({"bg_color": fill, "font_color": "#000000", "border": 1,
                                                 "italic": True}) for line, fill in _LINE_FILLS.items()})
        self.kinds = {"date": self.date, "datetime": self.datetime, "wrap": self.wrap, "top": self.top}
        for f in self.kinds.values():  # fix their style numbers now: a child writing rows needs them
            f._get_xf_index()  # before the workbook is closed (planbook.fast.fastrows checks they held)

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


_text_lines = text_lines  # the one estimate (planbook.rollup.pagefit)


def _points(lines: int) -> float:
    return min(15.0 * lines + 2, 409.0)


class _Counts:
    """The formulas of the Summary's counts: COUNTIFS over every All actions sheet, or, for a
    name too long for a formula's text (255 characters), SUMPRODUCT comparing with the cell
    that holds it."""

    def __init__(self, ranges: list[tuple[str, int]]) -> None:
        self.ranges = ranges  # each All actions sheet and its number of rows

    def formula(self, parts: list[tuple[str, str, str]]) -> str:
        """``parts``: (column letter, text to match, the cell holding the text)."""
        if all(literal_fits(_criterion(text)) for _, text, _ in parts):
            terms = [f"COUNTIFS({','.join(f'{self._range(name, n, c)},{_criteria(text)}' for c, text, _ in parts)})"
                     for name, n in self.ranges]
        else:
            terms = ["SUMPRODUCT(" + "*".join(
                f"--({self._range(name, n, c)}={formula_text(text) if literal_fits(text) else cell})"
                for c, text, cell in parts) + ")" for name, n in self.ranges]
        return "=" + "+".join(terms)

    @staticmethod
    def _range(name: str, n: int, col: str) -> str:
        return f"'{name}'!${col}$2:${col}${max(n, 1) + 1}"


def _formula_as_written(formula: str, expand_future_functions: bool = False) -> str:
    """The Summary's formulas as XlsxWriter stores them: without the "=", and otherwise as
    written.  XlsxWriter's own preparation rewrites names of newer functions anywhere in a
    formula, so a theme or lead such as "TAKE(2) team" inside a COUNTIFS criterion became
    "_xlfn.TAKE(2) team" (and the cell an array formula), counting nothing; our formulas use
    none of those functions.  It was also over half the Summary's time (30 regexes a formula)."""
    return formula[1:] if formula.startswith("=") else formula


def _write_formula(ws, row: int, col: int, formula: str, fmt, value) -> None:
    """A formula with its cached value; just the value if the formula is longer than Excel takes."""
    if len(formula) <= MAX_FORMULA:
        ws.write_formula(row, col, formula, fmt, value)
    else:
        ws.write_number(row, col, value, fmt)


def _pct_formula(row: int, first: int, last: int, total: int) -> str:
    """The percentage on Excel row ``row`` of the count lines first..last (Excel rows) of total
    ``total``, by largest remainder so the lines sum to 100% (as :func:`planbook.core.status.percentages`)."""
    b, t, span = f"B{row}", f"$B${total}", f"$B${first}:$B${last}"
    rank = (f"SUMPRODUCT(--(MOD(100*{span},{t})>MOD(100*{b},{t})))"
            f"+SUMPRODUCT(--(MOD(100*$B${first}:{b},{t})=MOD(100*{b},{t})))")
    return f"=IF({t}=0,0,(INT(100*{b}/{t})+(({rank})<=100-SUMPRODUCT(INT(100*{span}/{t}))))/100)"


def _write_summary(wb, fmt: _Formats, result: Consolidation, chunks) -> None:
    ws = wb.add_worksheet(SUMMARY)
    ws._prepare_formula = _formula_as_written
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.6)
    ws.set_footer(f"&LAs at {result.today:%d/%m/%Y}&RPage &P of &N")
    total = len(result.actions)
    statuses = [a.status for a in result.actions]
    counts = tally(statuses)
    theme_of = [a.theme for a in result.actions]
    themes = _groups(theme_of, str.lower)  # case ignored, as Excel's COUNTIFS does
    lead_of = [a.lead for a in result.actions]  # spelt one way a lead (planbook.rollup.consolidate)
    leads = sorted(_groups(lead_of, lead_key), key=str.lower)
    labels = [*COUNT_LINES, "Total actions", *(t or "(no theme)" for t in themes), *(x or "(no lead)" for x in leads)]
    width = min(max(30, max(len(x) for x in labels) * 1.05), 60)
    ws.set_column(0, 0, width)
    ws.set_column(1, len(COUNT_LINES) + 1, 11)
    ws.write_string(0, 0, result.title, fmt.title)
    ws.write_string(1, 0, f"Consolidated progress — {result.period}" if result.period else "Consolidated progress")
    ws.write_string(2, 0, f"As at {prose_date(result.today)}; {total} actions from "
                          f"{sum(1 for s in result.sources if not s.skipped)} file(s); "
                          f"{len(result.report.errors)} data error(s) listed on {DATA_ISSUES}.")
    counter = _Counts([(name, end - start) for name, start, end in chunks])

    r = 4
    ws.write_string(r, 0, "Status", fmt.header)
    ws.write_string(r, 1, "Actions", fmt.header)
    ws.write_string(r, 2, "%", fmt.header)
    first, last = r + 2, r + 1 + len(COUNT_LINES)  # Excel rows of the count lines
    total_row = r + len(COUNT_LINES) + 1  # 0-based
    shares = percentages(counts)
    for i, line in enumerate(COUNT_LINES, start=1):
        ws.write_string(r + i, 0, line, fmt.status[line])
        if line == NOT_RECOGNISED:  # whatever is not on another line
            ws.write_formula(r + i, 1, f"=B{total_row + 1}-SUM(B{first}:B{last - 1})", None, counts.get(line, 0))
        else:
            _write_formula(ws, r + i, 1, counter.formula([(_STATUS_COL, line, "")]), None, counts.get(line, 0))
        ws.write_formula(r + i, 2, _pct_formula(r + i + 1, first, last, total_row + 1), fmt.pct, shares[line] / 100)
    ws.write_string(total_row, 0, "Total actions", fmt.bold)
    if total:
        rows_formula = "=" + "+".join(f"ROWS('{name}'!$A$2:$A${n + 1})" for name, n in counter.ranges)
        _write_formula(ws, total_row, 1, rows_formula, fmt.bold, total)
    else:
        ws.write_number(total_row, 1, 0, fmt.bold)
    ws.write_formula(total_row, 2, f"=SUM(C{first}:C{last})", fmt.bold_pct, 1 if total else 0)
    r = total_row + 2
    theme_top = r
    r = _cross_table(ws, fmt, r, "Status by theme", "Theme", themes, _THEME_COL,
                     _by_line(Counter(zip(theme_of, statuses)), str.lower), counter, width, str.lower)
    lead_top = r + 1
    _cross_table(ws, fmt, lead_top, "Status by lead", "Lead", leads, _LEAD_COL,
                 _by_line(Counter(zip(lead_of, statuses)), lead_key), counter, width, lead_key)
    if themes:
        _chart(wb, ws, fmt, themes, theme_top, counts)


def _by_line(pairs: Counter, key: Callable[[str], str]) -> Counter:
    """(name, status) counts as (``key`` of the name, count line) counts: themes ignoring case, as
    Excel's COUNTIFS sees them; leads by :func:`planbook.core.leads.lead_key`."""
    out: Counter = Counter()
    for (name, status), n in pairs.items():
        out[key(name), count_line(status)] += n
    return out


def _groups(names: Sequence[str], key: Callable[[str], str]) -> list[str]:
    """Each name once by ``key``, spelt as first met."""
    first: dict[str, str] = {}
    for name in dict.fromkeys(names):
        first.setdefault(key(name), name)
    return list(first.values())


#: A hidden column of the Summary holding the chart's category labels, wrapped at words.
_CHART_LABELS_COL = 30


def _chart(wb, ws, fmt: _Formats, themes: list[str], theme_top: int, counts: Counter) -> None:
    first, last = theme_top + 2, theme_top + 1 + len(themes)
    for i, theme in enumerate(themes, start=first):
        ws.write_string(i, _CHART_LABELS_COL, label_lines(clean_text(theme) or "(no theme)", 22, 3))
    ws.set_column(_CHART_LABELS_COL, _CHART_LABELS_COL, 24, None, {"hidden": True})
    chart = wb.add_chart({"type": "bar", "subtype": "stacked"})
    chart.show_hidden_data()
    for j, line in enumerate(COUNT_LINES, start=1):
        if line not in STATUSES and not counts.get(line):
            continue
        fill = COLOURS[line][1] if line in COLOURS else _LINE_FILLS[line]
        chart.add_series({"name": [SUMMARY, theme_top + 1, j],
                          "categories": [SUMMARY, first, _CHART_LABELS_COL, last, _CHART_LABELS_COL],
                          "values": [SUMMARY, first, j, last, j],
                          "fill": {"color": fill}, "border": {"color": "#404040"}})
    chart.set_title({"name": "Actions by status and theme"})
    chart.set_y_axis({"reverse": True})
    chart.set_x_axis({"num_font": {"size": 9}})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 640, "height": 80 + 40 * len(themes) + 80})
    ws.insert_chart(4, len(COUNT_LINES) + 3, chart, {
        "description": "Stacked bar chart: number of actions in each status for each theme. "
                       "The same figures are in the Status by theme table."})


def _cross_table(ws, fmt: _Formats, r: int, title: str, label: str, rows: Sequence[str], col: str,
                 counts: Counter, counter: _Counts, width: float, key: Callable[[str], str]) -> int:
    """Counts by ``label`` (theme or lead) and line: a row per name, a column per count line,
    then the total; "Status not recognised" is the total less the other lines."""
    ws.write_string(r, 0, title, fmt.h2)
    ws.write_string(r + 1, 0, label, fmt.header)
    for j, line in enumerate(COUNT_LINES, start=1):
        ws.write_string(r + 1, j, line, fmt.header)
    total_col = len(COUNT_LINES) + 1
    ws.write_string(r + 1, total_col, "Total", fmt.header)
    ws.set_row(r + 1, _points(max(_text_lines(h, 11) for h in COUNT_LINES)))
    first, before_last = col_letter(1), col_letter(len(COUNT_LINES) - 1)
    for i, name in enumerate(rows, start=r + 2):
        name_key = key(name)
        name = clean_text(name)  # last line of defence: the readers clean what they read
        shown = name or f"(no {label.lower()})"
        ws.write_string(i, 0, shown, fmt.label)
        if _text_lines(shown, width) > 1:
            ws.set_row(i, _points(_text_lines(shown, width)))
        cell = f"$A${i + 1}"
        row_total = sum(counts.get((name_key, line), 0) for line in COUNT_LINES)
        for j, line in enumerate(COUNT_LINES, start=1):
            value = counts.get((name_key, line), 0)
            if line == NOT_RECOGNISED:
                ws.write_formula(i, j, f"={col_letter(total_col)}{i + 1}-SUM({first}{i + 1}:{before_last}{i + 1})",
                                 fmt.top, value)
            else:
                _write_formula(ws, i, j, counter.formula([(col, name, cell), (_STATUS_COL, line, "")]), fmt.top, value)
        _write_formula(ws, i, total_col, counter.formula([(col, name, cell)]), fmt.bold_top, row_total)
    return r + 2 + len(rows)


def _due_cell(due: Due) -> object:
    """The Due cell: a real date when the text was just that date, else the text as typed."""
    exact = due.kind == DATE and due.end and due.text == due.end.isoformat()
    return due.end if exact else due.text


def _action_rows(actions: Sequence[Action], directions: Sequence[str] | None, extras: list[str],
                 today: dt.date, full):
    """One All actions row per action, in the order of ``_ACTION_HEADERS`` (run for every
    action: kept lean).  ``full`` gives an action whose texts are on disk back whole (None: all
    are in memory)."""
    # id(due) -> its Due cell, its deadline, and whether that is past (Action.is_overdue, less
    # the status); Dues are shared by many actions
    cells: dict[int, tuple[object, dt.date | None, bool]] = {}
    for a, way in zip(actions if full is None else map(full, actions), directions or itertools.repeat(None)):
        due = a.due
        cell = cells.get(id(due))
        if cell is None:
            deadline = due.deadline
            cell = cells[id(due)] = (_due_cell(due), deadline, deadline is not None and deadline < today)
        due_cell, deadline, past = cell
        o = a.origin
        status = a.status  # the standard word (a blank one as "No status given"), else the text as typed
        yield [a.ref, a.theme, a.action, a.lead, due_cell, status if status is not None else a.status_text, way, a.progress,
               "Overdue" if past and status not in FINISHED else None, a.last_updated, deadline,
               a.objective, a.partners, a.success_measure, a.resources,
               *([a.extras.get(k) for k in extras] if extras else ()),
               a.note or None, *((o.file, o.sheet, o.row) if o else (None, None, None))]


@dataclass
class _Table:
    """A sheet of many rows: XlsxWriter writes its header, widths and styles; fastrows streams
    its ``count`` rows, made by ``make_rows(start, stop)`` as they are written."""

    name: str
    headers: list[str]
    widths: list[int]
    count: int
    make_rows: RowSource
    kinds: dict[int, str] = field(default_factory=dict)  # column -> "date", "datetime" or "wrap" (else "top")
    freeze_cols: int = 0
    status_col: int | None = None
    printed: int = 0  # the first columns that are printed (0: all)
    text_cols: list[int] = field(default_factory=list)  # columns always holding text (measured quickly)
    hidden: frozenset[int] = frozenset()  # printed columns empty in every row: hidden, so never printed

    def shown_on_paper(self, c: int) -> bool:
        """Whether column ``c`` is printed: in the print area and not hidden."""
        return (not self.printed or c < self.printed) and c not in self.hidden

    def kind(self, c: int) -> str:
        return self.kinds.get(c, "top")

    @property
    def date_col(self) -> int | None:
        return next((c for c, k in sorted(self.kinds.items()) if k == "date"), None)

    def heights(self) -> RowHeight | None:
        """Each row's height attributes: enough lines for its longest wrapped text among the
        printed columns (a long text in a column that is not printed, such as Success measure,
        would leave a printed page of blank gaps; on screen it shows its first lines)."""
        cols = [(c, _chars(self.widths[c])) for c, k in sorted(self.kinds.items())
                if k in ("wrap", "date") and self.shown_on_paper(c)]
        text_cols = [c for c in self.text_cols if self.shown_on_paper(c)]
        if len(text_cols) > 1:
            return _text_row_heights(cols, text_cols)
        return _row_heights(cols) if cols else None


_chars = chars_per_line


_HEIGHTS = [""] + [f' ht="{_points(n):g}" customHeight="1"' for n in range(1, 28)]  # by lines


def _row_heights(cols: list[tuple[int, int]]) -> RowHeight:
    """A function giving a row's height attributes from its wrapped columns (column, characters
    a line holds): nothing for one line, else the points its lines need (see :func:`_text_lines`)."""
    top = len(_HEIGHTS) - 1

    def height(row: Row) -> str:
        most = 1
        for c, chars in cols:
            v = row[c]
            if v.__class__ is str and (len(v) > chars or "\n" in v):
                n = sum(max(1, -(-len(part) // chars)) for part in v.split("\n"))
                if n > most:
                    most = n
        return _HEIGHTS[min(most, top)] if most > 1 else ""
    return height


def _text_row_heights(cols: list[tuple[int, int]], text_cols: list[int]) -> RowHeight:
    """:func:`_row_heights` for a sheet whose columns ``text_cols`` always hold text (All
    actions, every action's row): measured together in a few C calls, as this runs for every
    row of the biggest sheet."""
    wrapped = dict(cols)
    get = itemgetter(*text_cols)
    chars = [wrapped.get(c, MAX_CELL + 1) for c in text_cols]  # a column that does not wrap: no lines
    less = [n - 1 for n in chars]  # (len + n - 1) // n: the lines of a text n characters a line hold
    others = [(c, n) for c, n in cols if c not in set(text_cols)]
    slow = _row_heights(cols)
    top = len(_HEIGHTS) - 1

    def height(row: Row) -> str:
        values = get(row)
        try:
            joined = "".join(values)
        except TypeError:  # not text after all
            return slow(row)
        if len(joined) > MAX_CELL or "\n" in joined:  # rare: measured one by one
            return slow(row)
        most = max(map(floordiv, map(add, map(len, values), less), chars))
        for c, n in others:  # Due: a date, or a phrase as typed
            v = row[c]
            if v.__class__ is str and len(v) > n:
                if "\n" in v or len(v) > MAX_CELL:
                    return slow(row)
                most = max(most, -(-len(v) // n))
        return _HEIGHTS[min(most, top)] if most > 1 else ""
    return height


def _table_sheet(wb, fmt: _Formats, table: _Table, title: str, today: dt.date) -> None:
    """The sheet's header, widths, styles, print set-up and a *probe row*: one blank cell in
    each column's style, which fastrows replaces by the real rows."""
    ws = wb.add_worksheet(table.name)
    for c, w in enumerate(table.widths):
        ws.set_column(c, c, w, None, {"hidden": True} if c in table.hidden else None)
    _header_row(ws, fmt, table.headers, table.count)
    ws.set_row(0, _points(max(_text_lines(h, w) for h, w in zip(table.headers, table.widths))))
    ws.freeze_panes(1, table.freeze_cols)
    if table.printed:
        ws.print_area(0, 0, max(table.count, 1), table.printed - 1)
    ws.set_header(f"&L&\"-,Bold\"{header_text(title, HEADER_CHARS)}&R{header_text(table.name, HEADER_CHARS)}")
    ws.set_footer(f"&LAs at {today:%d/%m/%Y}&RPage &P of &N")
    for c in range(len(table.headers)):
        ws.write_blank(1, c, None, fmt.kinds[table.kind(c)])
    if table.status_col is not None:
        _add_status_colours(ws, fmt, 1, table.count, table.status_col)


def _tables(result: Consolidation, chunks) -> list[_Table]:
    """Every row-heavy sheet, in order: All actions (and its continuations), Exceptions,
    Changes, Data issues, Sources."""
    extras = result.extra_columns
    headers = [*_ACTION_HEADERS, *extras, *_SOURCE_HEADERS]
    kinds = {c: "date" if h in ("Due", "Last updated", "Due by") else "wrap" for c, h in enumerate(headers)
             if h in _WRAPPED or h in ("Due", "Last updated", "Due by")}
    directions = result.directions
    tables = [_Table(name, headers, [_WIDTHS.get(h, 16) for h in headers], end - start,
                     _slice_rows(result.actions[start:end], directions[start:end] if directions else None, extras,
                                 result.today, _restore(result)), kinds, freeze_cols=1,
                     status_col=headers.index("Status"), printed=len(PRINTED_HEADERS),
                     text_cols=[headers.index(h) for h in _TEXT_HEADERS])
              for name, start, end in chunks]
    no_direction = frozenset() if directions else frozenset({headers.index("Direction")})
    for table in tables:
        _fit_to_page(table, no_direction)
    exceptions = _exceptions_table(result)
    _fit_to_page(exceptions)
    return tables + [exceptions, _changes_table(result), _issues_table(result), _sources_table(result),
                     _returns_table(result), *(_table(name, headers, widths, rows, printed=printed)
                                               for name, headers, widths, rows, printed in year.sheets(result)),
                     _lead_changes_table(result)]


#: The width of a sheet's printed columns together (Excel's units): landscape A4 fitted to
#: its width prints them at about 73% (8-point Calibri in Excel; LibreOffice without Calibri
#: uses the wider DejaVu Sans, at about 6.5 points), so a plan with a sentence or two of
#: commentary on every action prints 25 or more actions a page.  The widths are shared out
#: by the texts (:func:`planbook.rollup.pagefit.fit_widths`).
PRINTED_WIDTH = 200


def _fit_to_page(table: _Table, blank: frozenset[int] = frozenset()) -> None:
    """Choose ``table``'s printed columns' widths from their texts (an even sample of a big
    sheet), and hide those empty in every row so nothing prints as an empty column (Direction
    without a previous consolidation, Progress update before anyone wrote one, Last updated of
    an imported plan).  ``blank``: columns known to be empty without looking."""
    n = table.printed
    if not n or not table.count:
        return
    step = max(1, -(-table.count // SAMPLE))
    if step == 1:
        rows = [list(row[:n]) for row in table.make_rows(0, table.count)]
    else:
        rows = [list(row[:n]) for i in range(0, table.count, step) for row in table.make_rows(i, i + 1)]
    empty = set(blank) | {c for c in range(n) if all(row[c] in (None, "") for row in rows)}
    unsure = empty - blank if step > 1 else set()
    if unsure:  # empty in the sample: looked at in every row
        for row in table.make_rows(0, table.count):
            unsure -= {c for c in unsure if row[c] not in (None, "")}
            if not unsure:
                break
        empty = set(blank) | {c for c in empty if c in unsure}
    shown = [c for c in range(n) if c not in empty]
    columns = [PrintedColumn(table.headers[c], [_as_printed(row[c]) for row in rows],
                             wraps=table.kind(c) in ("wrap", "date")) for c in shown]
    widths = list(table.widths)
    for c, w in zip(shown, fit_widths(columns, PRINTED_WIDTH)):
        widths[c] = w
    table.widths, table.hidden = widths, frozenset(empty)


def _as_printed(value: object) -> str:
    """A cell's value as its printed text, as long as it shows (a date as dd/mm/yyyy)."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return "00/00/0000 00:00"
    if isinstance(value, dt.date):
        return "00/00/0000"
    return str(value)


def _slice_rows(actions: Sequence[Action], directions: Sequence[str] | None, extras: list[str], today: dt.date,
                full) -> RowSource:
    return lambda start, stop: _action_rows(actions[start:stop], directions[start:stop] if directions else None,
                                            extras, today, full)


def _header_row(ws, fmt: _Formats, headers: list[str], nrows: int) -> None:
    """Header cells plus an autofilter over the data (tables are not possible in constant-memory mode)."""
    for c, h in enumerate(headers):
        ws.write_string(0, c, h, fmt.header)
    ws.autofilter(0, 0, max(nrows, 1), len(headers) - 1)
    ws.repeat_rows(0)
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    ws.fit_to_pages(1, 0)


def _table(name: str, headers: list[str], widths: list[int], rows: Sequence | None = None, *,
           count: int = 0, make_rows: RowSource | None = None, wrap: Sequence[str] | None = None,
           status_col: int | None = None, printed: int = 0, text: Sequence[str] = ()) -> _Table:
    """A simple sheet of ``rows`` (or of ``count`` rows made as they are written); the columns
    named in ``wrap`` wrap (all but dates when None)."""
    kinds = {c: "date" if h in ("Due", "Last updated") else "datetime" if h == "Modified" else
             ("wrap" if wrap is None or h in wrap else "top") for c, h in enumerate(headers)}
    if rows is not None:
        count, make_rows = len(rows), lambda start, stop: rows[start:stop]
    return _Table(name, headers, widths, count, make_rows, kinds, status_col=status_col, printed=printed,
                  text_cols=[headers.index(h) for h in text])


def _origin(a: Action) -> list[object]:
    o = a.origin
    return [o.file, o.sheet, o.row] if o else ["", "", ""]


def _restore(result: Consolidation):
    """What gives an action of ``result`` back whole: None when every text is in memory."""
    return result.full if result.store is not None else None


def _exceptions_table(result: Consolidation) -> _Table:
    full = _restore(result)

    def rows(start: int, stop: int):
        cells: dict[int, object] = {}  # id(due) -> its Due cell (Dues are shared by many actions)
        for e in result.exceptions[start:stop]:
            a = e.action if full is None else full(e.action)
            due = a.due
            due_cell = cells.get(id(due))
            if due_cell is None:
                due_cell = cells[id(due)] = _due_cell(due)
            why = e.reason  # may quote a long Status ("Status not recognised (…)")
            yield [why if len(why) <= MAX_CELL else _cap(why), a.ref, a.lead, a.action,
                   a.status if a.status is not None else a.status_text, due_cell, a.progress,
                   a.last_updated, *_origin(a)]

    return _table(EXCEPTIONS, ["Why", "Ref", "Lead", "Action", "Status", "Due", "Progress update", "Last updated",
                                 "Source file", "Source sheet", "Source row"], [26, 7, 18, 45, 13, 13, 50, 12, 22, 16, 8],
                  count=len(result.exceptions), make_rows=rows, status_col=4, printed=8,
                  wrap=("Why", "Ref", "Lead", "Action", "Status", "Progress update"),
                  text=("Why", "Ref", "Lead", "Action", "Status", "Progress update"))


def _changes_table(result: Consolidation) -> _Table:
    headers, widths = ["Change", "Ref", "Lead", "Action", "Before", "Now"], [20, 7, 18, 45, 40, 40]
    if result.changes is None:
        return _table(CHANGES, headers, widths,
                      [["No previous consolidation given (use --previous) — nothing to compare.", "", "", "", "", ""]])
    changes = [*result.changes, *result.not_updated]

    def rows(start: int, stop: int) -> list[list]:  # made by whichever process writes them
        return _capped([[c.kind, c.ref, c.lead, c.action, c.before, c.after] for c in changes[start:stop]])

    return _table(CHANGES, headers, widths, count=len(changes), make_rows=rows)


#: The end of a text planbook cut to fit a cell, when the whole of it is kept on other sheets.
_CAP_NOTE = f" … (cut here: the whole text is in {ALL_ACTIONS} and on {DATA_ISSUES})"


def _cap(text: str) -> str:
    """A text that fits a cell; the whole of it is in All actions (and, past a cell, on Data issues)."""
    if len(text) <= MAX_CELL:
        return text
    return text[:MAX_CELL - len(_CAP_NOTE)] + _CAP_NOTE


def _capped(rows: list[list]) -> list[list]:
    """``rows`` with each text too long for a cell cut to fit, in place.  These sheets show texts
    an action's row holds whole (a Change's before and now, quoted in a message) or that
    planbook makes of several (a lead's tabs, a list of files): each is cut where it is shown."""
    for row in rows:
        try:
            if len("".join(row)) <= MAX_CELL:  # all text, and all of it fits one cell (nearly every row)
                continue
        except TypeError:  # a number or a date among them
            pass
        for c, v in enumerate(row):
            if v.__class__ is str and len(v) > MAX_CELL:
                row[c] = _cap(v)
    return rows


def _issues_table(result: Consolidation) -> _Table:
    order = {ERROR: 0, WARNING: 1, INFO: 2}
    findings = sorted(result.report, key=lambda f: (order.get(f.severity, 3), f.file, f.sheet))
    rows = []
    for f in findings:
        parts = [f.value[i:i + MAX_CELL] for i in range(0, len(f.value), MAX_CELL)] or [""]
        for k, part in enumerate(parts, start=1):  # a value longer than a cell goes on as many rows as it takes
            more = f" (value continued: part {k} of {len(parts)})" if len(parts) > 1 else ""
            rows.append([f.severity, f.code, f.file, f.sheet, f.cell, part, f.message + more, f.outcome])
    return _table(DATA_ISSUES, ["Severity", "Problem", "File", "Sheet", "Cell", "Value", "What is wrong",
                                "What was done"], [9, 20, 22, 16, 7, 30, 55, 26], _capped(rows))


def _sources_table(result: Consolidation) -> _Table:
    rows = [[s.file, s.lead, s.role, s.rows, s.rows_with_findings, s.used, s.sha256,
             parse_iso(s.modified) or s.modified, s.skipped, s.received] for s in result.sources]
    return _table(SOURCES, ["File", "Lead", "Kind", "Rows read", "Rows with issues", "Actions used", "SHA-256",
                            "Modified", "Skipped because", "Received"], [40, 24, 10, 9, 9, 9, 20, 17, 40, 36],
                  _capped(rows), wrap=("File", "Lead", "Skipped because", "Received"))


def _returns_table(result: Consolidation) -> _Table:
    """Who returned their update (see planbook.rollup.tracker): leads not returned, late or with errors first."""
    rows = [[r.lead, r.state, os.path.basename(r.file), r.modified, r.actions, r.updated if r.returned else "",
             r.added if r.returned else "", r.error_count if r.returned else "", r.email,
             ", ".join(os.path.basename(f) for f in r.other_files), r.arrival, r.unreadable, r.later_unreadable]
            for r in result.returns]
    return _table(RETURNS, ["Lead", "Return", "File", "Modified", "Actions", "Updated this period",
                            "Added by the lead", "Errors", "Email", "Other copies (not used)", "Received",
                            "Could not be used because", LATER_UNREADABLE],
                  [28, 20, 30, 16, 9, 10, 9, 8, 28, 30, 36, 40, 40], _capped(rows),
                  wrap=("Lead", "Return", "File", "Other copies (not used)", "Received", "Could not be used because",
                        LATER_UNREADABLE))


def _lead_changes_table(result: Consolidation) -> _Table:
    """What each lead changed in their return against the copy they were sent (their receipt says it)."""
    changes = [(r.lead, os.path.basename(r.file), c) for r in result.returns for c in r.changes]

    def rows(start: int, stop: int) -> list[list]:  # made by whichever process writes them
        return _capped([[lead, file, c.kind, c.ref, c.action, c.before, c.after]
                        for lead, file, c in changes[start:stop]])

    return _table(LEAD_CHANGES, ["Lead", "File", "Change", "Ref", "Action", "As sent", "Returned"],
                  [24, 26, 18, 7, 45, 40, 40], count=len(changes), make_rows=rows)
