"""A plan's history: each period's status and progress update for every action.

The master carries it on its ``History`` sheet — one row per action (Ref, Theme, Lead, Action,
the trend so far), then a Status and an Update column for each period, oldest first — so a
person reads an action's year across its row and filters any period's column.  A
consolidation adds the period it rolls up (exactly the statuses on its All actions sheet) and
writes the whole history into the consolidated workbook; roll forward carries it into the next
period's master.  A lead's copy shows last period's status and update beside each action,
read-only: the master's history is the record, and a copy that shows it otherwise (or carries a
History sheet that differs from it) is a finding.

The rules every output uses are here, once: the trend text (``On track → Slippage → On
track``) and how long the commentary has stood still; the direction against last period is
the Changes sheet's (planbook.rollup.changes), from the records this history gives.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from operator import itemgetter
from dataclasses import dataclass, field

from planbook.core.findings import Finding
from planbook.core.layout import HISTORY
from planbook.core.leads import lead_key
from planbook.core.model import Action
from planbook.core.names import cell_ref
from planbook.core.status import COMPLETE, NO_STATUS, STATUSES, count_line, normalise_status
from planbook.core.text import same_words
from planbook.fast.bulk import pack_texts, unpack_texts

#: The columns before the periods' (the consolidated workbook's History also has TREND and STILL).
KEY_HEADERS = ("Ref", "Theme", "Lead", "Action")
TREND, STILL = "Trend", "Unchanged for"  # how long the commentary has stood still
#: STILL as consolidated workbooks before 8 December 2026 headed it (still read).
STILL_BEFORE = "Not updated for"
STATUS_PREFIX, UPDATE_PREFIX = "Status ", "Update "
NO_PERIOD = "(no period)"
#: The two columns of a lead's tab that show what the lead said last period (read-only).
LAST_STATUS, LAST_UPDATE = "Last period's status", "Last period's update"
ARROW = " → "


#: How the key of an action recorded without a Ref of its own begins (a Ref's key never does:
#: it is trimmed).
_UNKEYED = " "


def key(ref: str) -> str:
    """A Ref as the history matches it: trimmed, any case."""
    return ref.strip().lower()


def shown_status(action: Action) -> str:
    """The status as All actions shows it (and the history records it): the standard word,
    "No status given" for a blank one, else the text as typed."""
    return action.status if action.status is not None else action.status_text


@dataclass(slots=True)
class HistoryRow:
    """One action's history: what it is (as last recorded) and its status and update per period
    ("" for a period it was not in the plan)."""

    ref: str
    theme: str
    lead: str
    action: str
    statuses: list[str]
    updates: list[str]

    def trend(self) -> str:
        """"On track → Slippage → On track": the statuses of the periods it was in, oldest first."""
        return trend_text(self.statuses)

    def still_for(self) -> int:
        """For how many periods the commentary has not changed (0: changed in the latest one, or
        finished, or no commentary): periods whose update equals the one before, counted back
        from the latest."""
        return still_for(self.statuses, self.updates)


class _SheetRows(Sequence):
    """The History sheet's rows (see :meth:`History.sheet_rows_out`)."""

    def __init__(self, rows: list[HistoryRow], derived: bool) -> None:
        self._rows, self._derived = rows, derived

    def __len__(self) -> int:
        return len(self._rows)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self._row(r) for r in self._rows[i]]
        return self._row(self._rows[i])

    def _row(self, r: HistoryRow) -> list[object]:
        row: list[object] = [r.ref, r.theme, r.lead, r.action]
        if self._derived:
            n = r.still_for()
            row += [r.trend(), periods_text(n) if n else ""]
        for s, u in zip(r.statuses, r.updates):
            row += [s, u]
        return row


def trend_text(statuses: Iterable[str]) -> str:
    """The statuses given, oldest first, joined by arrows; periods the action was not in are left out."""
    return ARROW.join(s for s in statuses if s)


def still_for(statuses: Sequence[str], updates: Sequence[str]) -> int:
    """See :meth:`HistoryRow.still_for`."""
    if not updates or not updates[-1].strip() or normalise_status(statuses[-1] if statuses else "") == COMPLETE:
        return 0
    latest, n = updates[-1].strip(), 0
    for before in reversed(updates[:-1]):
        if before.strip() != latest:
            break
        n += 1
    return n


def periods_text(n: int) -> str:
    return f"{n} period" if n == 1 else f"{n} periods"


@dataclass
class History:
    """Every period's status and update, by action (see the module's docstring)."""

    periods: list[str] = field(default_factory=list)
    rows: dict[str, HistoryRow] = field(default_factory=dict)  # key(ref) -> row, in sheet order
    #: Where each row and period was read from (for findings): key -> sheet row; period -> columns.
    sheet_rows: dict[str, int] = field(default_factory=dict, repr=False)
    columns: dict[str, tuple[int, int]] = field(default_factory=dict, repr=False)

    def __bool__(self) -> bool:
        return bool(self.periods)

    @property
    def last(self) -> str | None:
        return self.periods[-1] if self.periods else None

    def has_period(self, period: str) -> bool:
        """Is ``period`` (any case and spacing) already a period of this history?"""
        label = period.strip() or NO_PERIOD
        return any(same_words(p, label) for p in self.periods)

    def new_label(self, period: str) -> str:
        """``period`` as a new period of this history: itself, or "Q1 2009/10 (2)" … when a
        period of that name is already recorded (never written over)."""
        label, n = period or NO_PERIOD, 2
        while self.has_period(label):
            label, n = f"{period or NO_PERIOD} ({n})", n + 1
        return label

    def last_of(self, ref: str) -> tuple[str, str] | None:
        """(status, update) of the action in the latest period, or None if it was not in it."""
        row = self.rows.get(key(ref))
        if row is None or not self.periods or not row.statuses[-1]:
            return None
        return row.statuses[-1], row.updates[-1]

    def packed(self) -> tuple:
        """This history in a form quick to pickle (:func:`planbook.fast.bulk.pack_texts`): a
        master's year of updates crosses from the worker that read it (see :meth:`unpacked`)."""
        n, width = len(self.rows), len(self.periods)
        rows = self.rows.values()
        if any(len(r.statuses) != width or len(r.updates) != width for r in rows):
            return (self,)  # rows of other lengths (never made by planbook): as they are
        texts = [t for k, r in self.rows.items() for t in (k, r.ref, r.theme, r.lead, r.action, *r.statuses, *r.updates)]
        where = [self.sheet_rows.get(k, -1) for k in self.rows] if self.sheet_rows else []
        return self.periods, n, pack_texts(texts), where, self.columns

    @staticmethod
    def unpacked(packed: tuple) -> History:
        """The history :meth:`packed` packed.  Each status word is kept once (a million actions'
        year holds eight million of them)."""
        if len(packed) == 1:
            return packed[0]
        periods, n, data, where, columns = packed
        width = len(periods)
        step = 5 + 2 * width
        texts = unpack_texts(data, n * step)
        words: dict[str, str] = {}
        for j in range(5, 5 + width):  # each period's statuses, a column at a time (C calls)
            column = texts[j::step]
            texts[j::step] = list(map(words.setdefault, column, column))
        rows: dict[str, HistoryRow] = {}
        for at in range(0, n * step, step):
            first = at + 5 + width
            rows[texts[at]] = HistoryRow(texts[at + 1], texts[at + 2], texts[at + 3], texts[at + 4],
                                         texts[at + 5:first], texts[first:at + step])
        sheet_rows = {k: r for k, r in zip(rows, where) if r >= 0}
        return History(periods, rows, sheet_rows, columns)

    def subset(self, refs: Iterable[str]) -> History:
        """The history of these actions only (a lead's copy)."""
        wanted = {key(r) for r in refs}
        return History(list(self.periods), {k: r for k, r in self.rows.items() if k in wanted})

    def with_period(self, period: str, actions: Iterable[Action], apart: Collection[str] = ()) -> History:
        """A new history: this one, plus ``period`` recorded from ``actions`` (replacing a period
        of that name already there).  Each action's theme, lead and text are taken as now.
        An action whose Ref's key is in ``apart`` (a retired action's, taken by a new one) is
        recorded as one without a Ref (below): the other action's year is not its year.

        An action without a Ref (a lead's new row) is recorded too, so the period's counts take
        it, under a key no Ref has (:data:`_UNKEYED`) and for this period only: with no Ref
        there is nothing to carry it on by, and reading the sheet back leaves it out (roll
        forward records the period again once it has a Ref).  So is a second action with the
        same Ref (a collision, on Data issues): shown with its Ref, counted in the period, never
        taking the other's year (roll forward numbers it afresh)."""
        label = period or NO_PERIOD
        periods = [p for p in self.periods if p != label]
        mine = ((k, r) for k, r in self.rows.items() if not k.startswith(_UNKEYED))
        if len(periods) == len(self.periods):  # a new period (nearly always): every one kept
            rows = {k: HistoryRow(r.ref, r.theme, r.lead, r.action, [*r.statuses, ""], [*r.updates, ""])
                    for k, r in mine}
        else:
            keep = [self.periods.index(p) for p in periods]
            rows = {k: HistoryRow(r.ref, r.theme, r.lead, r.action, [r.statuses[i] for i in keep] + [""],
                                  [r.updates[i] for i in keep] + [""]) for k, r in mine}
        blank = [""] * len(periods)
        actions = list(actions)
        others = _not_owning(actions, rows)
        for i, a in enumerate(actions):
            k, ref = key(a.ref), a.ref.strip()
            if k in apart:
                k = ref = ""  # shown without the Ref, as a new row without one is
            elif i in others:  # the same Ref as another action: this period's row of its own
                k = ""
            row = rows.get(k) if k else None
            if row is None:
                k = k or f"{_UNKEYED}{len(rows)}"
                row = rows[k] = HistoryRow(ref, a.theme, a.lead, a.action, [*blank, ""], [*blank, ""])
            row.ref, row.theme, row.lead, row.action = ref, a.theme, a.lead, a.action
            row.statuses[-1] = shown_status(a) or NO_STATUS
            row.updates[-1] = a.progress
        return History([*periods, label], rows)

    def not_owning(self, actions: Sequence[Action]) -> set[int]:
        """Of ``actions``, those (indexes) under a Ref another of them shares whose year the Ref's
        row is not (see :meth:`with_period`): not this Ref's action, but a new one."""
        return _not_owning(actions, self.rows)

    def renamed(self, refs: Mapping[str, str]) -> History:
        """The history with rows moved to new Refs (old Ref -> new Ref)."""
        rows = {}
        for k, r in self.rows.items():
            new = refs.get(r.ref)
            if new:
                r = HistoryRow(new, r.theme, r.lead, r.action, r.statuses, r.updates)
            rows[key(r.ref)] = r
        return History(list(self.periods), rows)

    def header(self, derived: bool = True) -> list[str]:
        """The History sheet's header (``derived``: with the Trend and Not updated for columns)."""
        cols = [*KEY_HEADERS, *((TREND, STILL) if derived else ())]
        for p in self.periods:
            cols += [STATUS_PREFIX + p, UPDATE_PREFIX + p]
        return cols

    def sheet_rows_out(self, derived: bool = True) -> Sequence[list[object]]:
        """The History sheet's rows, in order: each made when it is asked for, so the two
        processes writing a big plan's year each make the rows they write."""
        return _SheetRows(list(self.rows.values()), derived)

    def counts_by_period(self, theme: str | None = None) -> list[Counter]:
        """Per period, the actions on each status line (planbook.core.status.count_line), for one
        theme (its actions' theme as now) or all."""
        return self.counts_by_theme().get(theme, [Counter() for _ in self.periods]) if theme is not None \
            else self.counts_by_theme()[None]

    def counts_by_theme(self) -> dict[str | None, list[Counter]]:
        """:meth:`counts_by_period` of every theme (and None: all), in one pass over the rows."""
        seen = Counter((r.theme, i, s) for r in self.rows.values() for i, s in enumerate(r.statuses) if s)
        lines: dict[str, str] = {}
        out: dict[str | None, list[Counter]] = {None: [Counter() for _ in self.periods]}
        for (theme, i, s), n in seen.items():
            line = lines.get(s)
            if line is None:
                line = lines[s] = count_line(normalise_status(s))
            if theme not in out:
                out[theme] = [Counter() for _ in self.periods]
            out[theme][i][line] += n
            out[None][i][line] += n
        return out


def _not_owning(actions: Sequence[Action], rows: Mapping[str, HistoryRow]) -> set[int]:
    """For each Ref two or more actions share, all but the action (index) whose year its row is —
    the one with the row's action text, else its lead, else the first."""
    first: dict[str, int] = {}
    shared: dict[str, list[int]] = {}
    for i, a in enumerate(actions):
        k = key(a.ref)
        if k:
            j = first.setdefault(k, i)
            if j != i:
                shared.setdefault(k, [j]).append(i)
    others: set[int] = set()
    for k, found in shared.items():
        row = rows.get(k)
        owner = found[0]
        if row is not None:
            text, lead = row.action.strip().casefold(), lead_key(row.lead)
            owner = next((i for i in found if actions[i].action.strip().casefold() == text),
                         next((i for i in found if lead_key(actions[i].lead) == lead), found[0]))
        others.update(i for i in found if i != owner)
    return others


def read_history(rows: list[list[object]]) -> History:
    """The history from a History sheet's cells (header first).  Columns are found by their
    headers; Trend and Not updated for are worked out again, never read."""
    if not rows:
        return History()
    header = [_text(v).strip() for v in rows[0]]
    at = {h: i for i, h in reversed(list(enumerate(header)))}
    if "Ref" not in at:
        return History()
    periods: list[str] = []
    columns: dict[str, tuple[int, int]] = {}
    for i, h in enumerate(header):
        if h.startswith(STATUS_PREFIX.strip()) and h[len(STATUS_PREFIX):].strip():
            period = h[len(STATUS_PREFIX):].strip()
            if period in columns:
                continue
            update = at.get(UPDATE_PREFIX + period, -1)
            periods.append(period)
            columns[period] = (i, update)
    history = History(periods, {}, {}, columns)
    c_ref, c_theme, c_lead, c_action = (at.get(h, -1) for h in KEY_HEADERS)
    c_statuses = [columns[p][0] for p in periods]
    c_updates = [columns[p][1] for p in periods]
    width = max([c_ref, c_theme, c_lead, c_action, *c_statuses, *c_updates]) + 1
    pad = [""] * (width + 1)  # a missing column (-1) reads the blank cell at the end
    found, where = history.rows, history.sheet_rows
    words: dict[str, str] = {}  # each status word kept once (a million actions' year holds eight million)
    share = words.setdefault
    # run for every cell of a year's history: each row's cells taken in C calls, and made text
    # one by one only in a row holding something else (a number typed as an update)
    named = itemgetter(c_ref, c_theme, c_lead, c_action)
    statuses_of = _cells(c_statuses)
    updates_of = _cells(c_updates)
    for r, row in enumerate(rows[1:], start=1):
        row = row + pad[len(row):] if len(row) <= width else row + pad[-1:]
        ref, theme, lead, action = named(row)
        statuses, updates = statuses_of(row), updates_of(row)
        try:
            "".join((ref, theme, lead, action, *statuses, *updates))  # all text (nearly always)?
        except TypeError:
            ref, theme, lead, action = map(_text, (ref, theme, lead, action))
            statuses, updates = [_text(v) for v in statuses], [_text(v) for v in updates]
        ref = ref.strip()
        k = ref.lower()
        if not k or k in found:
            continue
        found[k] = HistoryRow(ref, theme, lead, action, [share(s, s) for s in map(str.strip, statuses)], list(updates))
        where[k] = r
    return history


def _cells(columns: list[int]) -> Callable[[list[object]], Sequence[object]]:
    """A row -> its cells in ``columns`` (a tuple, as :func:`operator.itemgetter` gives)."""
    if not columns:
        return lambda row: ()
    if len(columns) == 1:
        return lambda row, c=columns[0]: (row[c],)
    return itemgetter(*columns)


def _text(value: object) -> str:
    if type(value) is str:
        return value
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def tampered(master: History, copy: History, file: str, lead: str, limit: int = 20) -> list[Finding]:
    """Where a lead's copy's History differs from the master's (the master's is the record)."""
    findings: list[Finding] = []
    for k, row in copy.rows.items():
        mine = master.rows.get(k)
        for period, (c_status, c_update) in copy.columns.items():
            if period not in master.periods:
                continue
            i, j = master.periods.index(period), copy.periods.index(period)
            want = (mine.statuses[i], mine.updates[i].strip()) if mine is not None else ("", "")
            has = (row.statuses[j], row.updates[j].strip())
            if has != want:
                col = c_status if has[0] != want[0] else c_update
                findings.append(Finding(
                    "history-changed", file, HISTORY, cell_ref(copy.sheet_rows.get(k, 0), col),
                    has[0] if has[0] != want[0] else has[1][:200],
                    f"{lead or 'the lead'}'s copy shows {row.ref}'s {period} "
                    + (f"status as {has[0]!r}; the plan's history has {want[0]!r}" if has[0] != want[0]
                       else "update differently from the plan's history"),
                    outcome="the plan's history kept"))
                if len(findings) >= limit:
                    return findings
    return findings


_WIDTH = {"Ref": 7, "Theme": 18, "Lead": 20, "Action": 40, TREND: 30, STILL: 12}


def history_sheet(wb, history: History, header_fmt, wrap_fmt, status_fmts: Mapping[str, object]) -> tuple[int, tuple]:
    """The History sheet of a plan (an XlsxWriter workbook): filterable, with the status words
    coloured (the word is always there), protected so it is read, not rewritten.  XlsxWriter
    writes its header and a probe row; the rows are streamed in after the workbook is closed
    (planbook.fast.fastrows): returns (the sheet's number, what ``splice_rows`` takes)."""
    ws = wb.add_worksheet(HISTORY)
    header = history.header()
    for c, h in enumerate(header):
        ws.write_string(0, c, h, header_fmt)
        ws.set_column(c, c, _WIDTH.get(h, 13 if h.startswith(STATUS_PREFIX) else 40), wrap_fmt)
        ws.write_blank(1, c, None, wrap_fmt)  # the probe row: each column's style for the rows streamed in
    n = len(history.rows)
    first = len(KEY_HEADERS) + 2
    for i in range(len(history.periods)):
        for status in STATUSES:
            ws.conditional_format(1, first + 2 * i, max(n, 1), first + 2 * i, {
                "type": "cell", "criteria": "==", "value": f'"{status}"', "format": status_fmts[status]})
    ws.autofilter(0, 0, max(n, 1), len(header) - 1)
    ws.freeze_panes(1, 1)
    ws.set_row(0, 30)
    ws.protect("", {"autofilter": True, "sort": False, "format_columns": True, "format_rows": True,
                    "select_locked_cells": True, "select_unlocked_cells": True})
    return len(wb.worksheets()), history_rows(history)


def history_rows(history: History) -> tuple:
    """The History sheet's rows as ``splice_rows`` takes them: (columns, rows, rows[start:stop], None)."""
    rows = history.sheet_rows_out()
    return len(history.header()), len(rows), lambda start, stop: rows[start:stop], None
