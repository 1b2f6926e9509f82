"""A consolidation within the plan's year: the history carried, this period added to it, the
direction and changes worked out against last period, and what roll forward needs.

The master's History sheet is the record of earlier periods (a lead's copy only shows it; where
a copy differs, that is a finding).  A consolidation adds this period — the statuses and updates
exactly as All actions shows them — and writes the whole history into the consolidated workbook,
so roll forward carries it into next period's master.  Once a plan has history, the direction
of travel and the Changes sheet compare with last period as the history has it (and the
master's rows, which after roll forward are the plan as the committee last saw it), so
``--previous`` is no longer needed (it still works, and wins when given).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

from planbook.core.columns import HEADERS
from planbook.core.direction import RENUMBERED
from planbook.core.findings import Finding, Report
from planbook.core.layout import HISTORY, RETIRED, TREND
from planbook.core.leads import lead_key
from planbook.core.model import Action, PlanInfo
from planbook.core.status import COUNT_LINES
from planbook.core.text import shortened
from planbook.rollup.changes import Change, Comparison, compare
from planbook.rollup.identity import renumbered
from planbook.workbook.history import (
    NO_PERIOD,
    History,
    key,
    shown_status,
    tampered,
)
from planbook.workbook.plan import Plan
from planbook.workbook.settings import meta_rows as settings_rows

#: The note a consolidation puts in its metadata for each action a lead added this period.
ADDED = "added_action"


def history_before(master: Plan | None, copies: Sequence[Plan], period: str, *, again: bool = False) -> History:
    """The plan's history up to last period: the master's, else (no master among the inputs) the
    copies' together.  A period of this period's name already there is kept as recorded (this
    one is recorded beside it: see :meth:`planbook.workbook.history.History.new_label`), unless
    ``again``: the period was asked for by name (``--period``), a second run of it, which
    replaces it."""
    if master is not None:
        history = master.history
    else:
        history = History()
        for copy in copies:
            for p in copy.history.periods:
                if p not in history.periods:
                    history.periods.append(p)
        for copy in copies:
            for k, row in copy.history.rows.items():
                if k not in history.rows:
                    index = [copy.history.periods.index(p) if p in copy.history.periods else -1 for p in history.periods]
                    history.rows[k] = type(row)(row.ref, row.theme, row.lead, row.action,
                                                [row.statuses[i] if i >= 0 else "" for i in index],
                                                [row.updates[i] if i >= 0 else "" for i in index])
    label = period or NO_PERIOD
    if again and label in history.periods:
        keep = [i for i, p in enumerate(history.periods) if p != label]
        history = History([history.periods[i] for i in keep],
                          {k: type(r)(r.ref, r.theme, r.lead, r.action, [r.statuses[i] for i in keep],
                                      [r.updates[i] for i in keep]) for k, r in history.rows.items()})
    return history


def renumbered_by_hand(actions: Sequence[Action], history: History, retired: Sequence[Action] = ()) -> dict[str, str]:
    """Refs the plan's actions were renumbered to by hand since last period (the coordinator typed
    a new Ref over one in the master): old Ref -> new Ref, for each action whose Ref has no
    history and whose text is exactly that of a history row no action (and no retired action)
    has now — the rule the Changes sheet uses for a lead's renumbering
    (:func:`planbook.rollup.identity.renumbered`).  The row's year then moves with the action."""
    if not history:
        return {}
    now = {key(a.ref) for a in actions} | {key(a.ref) for a in retired}
    lost = [(row.ref, row.action) for k, row in history.rows.items() if k and k not in now and any(row.statuses)]
    if not lost:
        return {}
    new = [(a.ref.strip(), a.action) for a in actions if key(a.ref) and key(a.ref) not in history.rows]
    return {old: ref for ref, old in renumbered(lost, new).items()}


def renumbering_changes(actions: Sequence[Action], moved: dict[str, str],
                        full: Callable[[Action], Action]) -> list[Change]:
    """The Changes sheet's lines for Refs renumbered by hand (see :func:`renumbered_by_hand`)."""
    new_of = {key(new): old for old, new in moved.items()}
    return [Change(RENUMBERED, a.ref, a.lead, a.action, new_of[key(a.ref)], a.ref)
            for a in map(full, actions) if key(a.ref) in new_of]


def copy_history_findings(history: History, copies: Sequence[tuple[Plan, str]]) -> list[Finding]:
    """Lead copies whose History sheet, or last-period columns, differ from the plan's history."""
    findings: list[Finding] = []
    if not history:
        return findings
    for copy, file in copies:
        lead = ", ".join(dict.fromkeys(v for v in copy.tabs.values() if v))
        if copy.history:
            findings += tampered(history, copy.history, file, lead)
        for ref, status, update, sheet, status_cell, update_cell in copy.last_shown:
            want = history.last_of(ref) or ("", "")
            if status and status != want[0]:
                findings.append(Finding("history-changed", file, sheet, status_cell, status,
                                        f"{lead or 'the lead'}'s copy shows {ref}'s last period ({history.last}) status "
                                        f"as {status!r}; the plan's history has {want[0] or 'none'!r}",
                                        outcome="the plan's history kept"))
            if update.strip() and update.strip() != want[1].strip():  # what was typed is kept, whole
                findings.append(Finding("history-changed", file, sheet, update_cell or status_cell, update,
                                        f"{lead or 'the lead'}'s copy shows {ref}'s last period ({history.last}) "
                                        "update differently from the plan's history: the text typed there is the "
                                        "value here, not read as this period's update (type it in Progress update)",
                                        outcome="the plan's history kept; the text typed kept here"))
    return findings


def added_by_leads(actions: Sequence[Action], master: Plan | None, copies: Sequence[Plan]) -> list[int]:
    """Indexes of the actions leads added this period: from a lead's copy, with a Ref the master
    does not have, or has on another lead's tab (so not theirs).  Unknown without a master."""
    if master is None:
        return []
    owners: dict[str, set[str]] = {}  # Ref -> the leads whose tabs have it (two, when the master has a collision)
    for a in master.actions:
        if a.origin:
            owners.setdefault(key(a.ref), set()).add(lead_key(master.tabs.get(a.origin.sheet, "") or a.origin.sheet))
    unnumbered = {a.action for a in master.actions if not key(a.ref)}  # in the plan already, with no Ref
    copy_leads = {}
    for copy in copies:
        leads = {lead_key(v) for v in copy.tabs.values() if v}
        for name in {a.origin.file for a in copy.actions if a.origin}:
            copy_leads[name] = leads
    out = []
    for i, a in enumerate(actions):
        leads = copy_leads.get(a.origin.file) if a.origin else None
        if leads is None:
            continue  # from the master itself
        k = key(a.ref)
        if (not k and a.action not in unnumbered) or (k and not owners.get(k, set()) & leads):
            out.append(i)
    return out


def under_retired_refs(actions: Sequence[Action], retired: Sequence[Action], report: Report) -> set[str]:
    """The Refs (history keys) of retired actions that an action of this period has, each said
    as a ``ref-of-retired`` finding: a lead reusing a number that looks free (the retired
    action left their copy).  The action is kept, as a new one; the retired one's history stays its own."""
    taken = {key(a.ref): a for a in retired if key(a.ref)}
    found: set[str] = set()
    if not taken:  # nothing retired (most plans): no action's Ref to look at
        return found
    for a in actions:
        k = key(a.ref)
        if k in taken:
            found.add(k)
            o = a.origin
            report.add(Finding("ref-of-retired", o.file if o else "", o.sheet if o else "",
                               f"row {o.row}" if o else "", a.ref,
                               f"{a.ref} is the Ref of a retired action ({shortened(taken[k].action)!r}); "
                               f"{shortened(a.action)!r} is kept as a new action, and roll forward gives it a Ref "
                               "of its own", outcome="kept as a new action; the retired action's history untouched"))
    return found


def previous_records(history: History, master: Plan, full: Callable[[Action], Action]) -> dict[str, dict[str, str]]:
    """Last period as the Changes sheet compares with it: each action of the master (after roll
    forward, the plan as the committee last saw it), its status and update as the history has them."""
    out: dict[str, dict[str, str]] = {}
    for a in map(full, master.actions):
        k = key(a.ref)
        if not k or k in out:
            continue
        last = history.last_of(a.ref)
        row = history.rows.get(k) if last else None  # who led it and its theme, as last period recorded them
        exact = a.due.kind == "date" and a.due.end and a.due.text == a.due.end.isoformat()
        before = history.rows.get(k)  # not in last period (retired, then reopened): its last status before
        earlier = next((s for s in reversed(before.statuses) if s), "") if before is not None and not last else ""
        out[k] = {"Ref": a.ref, "Lead": row.lead if row is not None else a.lead, "Action": a.action,
                  "Theme": row.theme if row is not None else a.theme,
                  "Status": last[0] if last else earlier or shown_status(a),
                  "Due": a.due.end.isoformat() if exact else a.due.text,
                  "Progress update": last[1] if last else a.progress}
    return out


def against_last_period(actions: Sequence[Action], history: History, master: Plan | None,
                        full: Callable[[Action], Action]) -> Comparison | None:
    """Changes and directions against last period, from the history (None without one): both
    from the same records, so a Direction and the Changes sheet never tell an action apart."""
    if not history or master is None:
        return None
    apart = history.not_owning(actions)  # two sharing a Ref: the one whose year it is compares; the other is new
    return compare(actions, previous_records(history, master, full), full=full, apart=apart)


def plan_meta_rows(info: PlanInfo | None, added: Sequence[Action], extra_columns: Sequence[str]) -> list[tuple[str, str]]:
    """What a consolidated workbook keeps of the plan so roll forward can make next period's
    master from it alone: identity, every lead (with email) and theme in order, the plan's own
    columns, settings, and the actions leads added this period (Ref and where it came from)."""
    rows: list[tuple[str, str]] = []
    if info is not None:
        rows += [("plan_id", info.plan_id)]
        rows += [("plan_lead", f"{lead.name}\t{lead.email}") for lead in info.leads]
        rows += [("plan_theme", theme) for theme in info.themes]
        rows += [("source_gap", gap) for gap in info.source_gaps]
        rows += [(k, v) for k, v in settings_rows(info) if k != "return_by"]
    rows += [("extra_column", name) for name in extra_columns]
    for a in added:
        o = a.origin
        rows.append((ADDED, "\t".join([a.ref, o.file, o.sheet, str(o.row)] if o else [a.ref, "", "", ""])))
    return rows


def history_table(history: History) -> tuple[list[str], list[int], Sequence[list[object]]]:
    """The consolidated workbook's History sheet: header, widths, rows."""
    header = history.header()
    widths = [7, 16, 18, 40, 30, 12] + [13, 40] * len(history.periods)
    return header, widths, history.sheet_rows_out()


def trend_table(history: History) -> tuple[list[str], list[int], list[list[object]]]:
    """Actions by status in each period, for the whole plan and for each theme (its actions'
    theme as now): the consolidated workbook's Trend sheet, a table a committee can chart."""
    header = ["Theme", "Period", *COUNT_LINES, "Total"]
    rows: list[list[object]] = []
    themes = list(dict.fromkeys(r.theme for r in history.rows.values()))
    counted = history.counts_by_theme()
    for label, theme in [("Whole plan", None), *((t or "(no theme)", t) for t in themes)]:
        for period, counts in zip(history.periods, counted[theme]):
            rows.append([label, period, *(counts.get(line, 0) for line in COUNT_LINES), sum(counts.values())])
    return header, [30, 14, *[11] * len(COUNT_LINES), 8], rows


def still_line(history: History) -> list[tuple[str, int]]:
    """(Ref, periods) of every unfinished action whose commentary has not changed for a period or more."""
    return [(r.ref, n) for r in history.rows.values() if (n := r.still_for())]



def sheets(result) -> list[tuple[str, list[str], list[int], list[list[object]], int]]:
    """The consolidated workbook's year sheets for a :class:`~planbook.rollup.consolidate.Consolidation`:
    History and Trend (once the plan has a history: a period before this one), Retired actions
    (when the plan has any):
    (name, header, widths, rows, how many of the first columns are printed — 0: all)."""
    out = []
    if result.history_before:  # this period alone is All actions itself (roll forward makes it from there)
        out.append((HISTORY, *history_table(result.history), 6))  # printed: Ref … Trend, Not updated for
        out.append((TREND, *trend_table(result.history), 0))
    if result.retired:
        extras = list(dict.fromkeys(k for a in result.retired for k in a.extras))
        header = [*HEADERS, *extras]
        rows = [[a.ref, a.theme, a.objective, a.action, a.lead, a.partners, _due_cell(a), a.success_measure,
                 a.resources, shown_status(a), a.progress, a.last_updated, *(a.extras.get(k) for k in extras)]
                for a in result.retired]
        out.append((RETIRED, header, [7, 16, 30, 45, 18, 18, 13, 30, 16, 13, 45, 12, *[16] * len(extras)], rows, 0))
    return out


def _due_cell(a: Action) -> object:
    """The Due as a cell: a date when it was just that date, else the text as typed."""
    exact = a.due.kind == "date" and a.due.end and a.due.text == a.due.end.isoformat()
    return a.due.end if exact else a.due.text


def meta_rows(result) -> list[tuple[str, str]]:
    """The metadata rows of :func:`plan_meta_rows` for a consolidation."""
    return plan_meta_rows(result.info, result.added, result.extra_columns)
