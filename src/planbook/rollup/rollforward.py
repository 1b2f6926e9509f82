"""Roll forward: this period's outcome becomes next period's master plan.

From the consolidated workbook (or the master and its returns, consolidated on the way), the new
master holds every action as the committee last saw it — status, progress update, due, lead,
partners, success measure, resources and the leads' own columns — with the plan's leads (and
their email addresses), themes, title, coordinator and identity, the new period and return-by
date, and the whole history with the closing period in it.  None of the consolidation's own
columns (where a row came from, overdue, due by, note, direction) reach the plan.

* Actions leads added this period get a Ref that is unique in the plan and stays: the one the
  lead typed when it is free and sits with related actions, else the next number of the section
  their objective or theme is numbered in (never next to an unrelated number), else N1, N2 ….
  Each one given is listed.
* Two actions sharing a Ref (a collision the consolidation flagged): the one whose year the
  History has under it keeps it; the others are numbered afresh as above and listed, so each
  carries its own year on.
* What the consolidation could not settle is carried as findings, not settled silently: rows
  kept from the master because a lead's return lacked them or could not be read, a status not
  recognised, returns that could not be read or belonged to another plan.
* The coordinator's rule for finished actions: with ``retire_complete_after`` N, an action
  Complete for the last N periods leaves the leads' tabs for the Retired actions sheet; its
  history stays.
* Leads' copies of the new master show last period's status and update beside each action,
  read-only; their Status starts as last period's.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import os
import shlex
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from planbook.core.columns import FIELD_OF_HEADER
from planbook.core.dates import parse_day
from planbook.core.due import BLANK_DUE, Due, fy_of, parse_due
from planbook.core.errors import PlanbookError, UnusableFileError
from planbook.core.findings import ERROR, WARNING, Finding, Report
from planbook.core.layout import ALL_ACTIONS, DATA_ISSUES, HISTORY, META, RETIRED
from planbook.core.leads import lead_key
from planbook.core.refs import next_in_section, ref_prefix, related, section_for
from planbook.core.model import Action, Lead, PlanInfo
from planbook.core.status import COMPLETE, NO_STATUS, STATUSES, normalise_status
from planbook.core.text import clean_text, same_words, shortened
from planbook.files.atomic import check_output
from planbook.files.guard import is_consolidated, refuse_overwriting_inputs, require_suffix
from planbook.files.opening import as_text, load_workbook
from planbook.rollup.consolidate import Consolidation, consolidate
from planbook.rollup.merge import NOTE_COLLISION, NOTE_NOT_RETURNED, NOTE_STALE
from planbook.rollup.year import ADDED
from planbook.workbook.history import History, key, read_history
from planbook.workbook.reader import AS_TYPED
from planbook.workbook.writer import write_plan

#: Consolidation-wide problems a new period starts with until a person acts on them.
CARRIED_CODES = ("return-unreadable", "other-plan", "superseded-copy", "missing-tab", "history-changed")


@dataclass(frozen=True)
class Renumbered:
    """A Ref given at roll forward: to an action a lead added, one without a Ref, or one that
    shared its Ref with another action."""

    old: str  # as the lead typed it ("" for none)
    new: str
    lead: str
    action: str
    why: str

    def describe(self) -> str:
        """Why it was given, in a sentence's first half ("Jane Smith added 'Survey …' last period
        as 1.3: that Ref is another action's"); the finding and the command both say it."""
        who = self.lead or "a lead"
        what = repr(shortened(self.action)) if self.action.strip() else "with no text"
        if self.why in (NO_REF, SHARED):
            return f"{who}'s action {what} {self.why}"
        return (f"{who} added {what if self.action.strip() else 'an action with no text'} last period "
                + (f"as {self.old}: {self.why}" if self.old else "with no Ref"))


NO_REF = "had no Ref in the plan"
SHARED = "shared its Ref with another action"


@dataclass
class RollForward:
    """What roll forward wrote and did."""

    path: Path
    info: PlanInfo
    actions: int
    closing_period: str
    periods: list[str]  # the history's periods, oldest first (the closing one last)
    renumbered: list[Renumbered] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)  # Refs retired now
    report: Report = field(default_factory=Report)  # unresolved problems carried, and what roll forward did

    def to_dict(self) -> dict:
        return {"output": str(self.path), "period": self.info.period, "closing_period": self.closing_period,
                "return_by": self.info.return_by.isoformat() if self.info.return_by else None,
                "actions": self.actions, "history_periods": self.periods,
                "renumbered": [dataclasses.asdict(r) for r in self.renumbered], "retired": self.retired,
                "findings": [f.to_dict() for f in self.report]}


@dataclass
class _Outcome:
    """This period's outcome, from either source: what the new master is made of."""

    info: PlanInfo
    closing: str
    closing_label: str  # the closing period's name in the history (see Consolidation.history_label)
    actions: list[Action]
    history: History
    added: set[int]  # indexes into actions
    retired: list[Action]
    extra_columns: list[str]
    problems: list[Finding]
    source: str
    as_of: dt.date | None = None  # the day the closing period was consolidated


def roll_forward(source: str | os.PathLike[str] | Sequence[str | os.PathLike[str]], out: str | os.PathLike[str], *,
                 period: str, return_by: dt.date | None = None, retire_complete_after: int | None = None,
                 title: str | None = None, today: dt.date | None = None, overwrite: bool = False) -> RollForward:
    """Make next period's master plan at ``out`` from ``source``: a consolidated workbook, or the
    master plan with its returns (files and folders, as ``consolidate`` takes them).

    ``period`` is the new reporting period; ``return_by`` the date the new round's updates are
    due (none when not given: last period's date is past).  ``retire_complete_after`` sets the
    plan's rule for finished actions (see the module docstring).  Nothing is changed in the
    inputs; ``out`` is written atomically and never over an input.
    """
    inputs = [source] if isinstance(source, (str, os.PathLike)) else list(source)
    if not inputs:
        raise PlanbookError("give the consolidated workbook, or the master plan and its returns")
    period = clean_text(period or "").strip()
    if not period:
        raise PlanbookError("give the new reporting period (--period \"Q3 2009/10\")")
    if retire_complete_after is not None and retire_complete_after < 0:
        raise PlanbookError("--retire-complete-after takes 0 (never) or a number of periods")
    require_suffix(out, (".xlsx",), "the new master plan")
    refuse_overwriting_inputs(out, inputs, what="input")
    check_output(out, overwrite=overwrite)
    consolidated = [i for i in inputs if os.path.isfile(i) and is_consolidated(i)]
    if consolidated and len(inputs) > 1:
        raise PlanbookError(f"{consolidated[0]} is a consolidated workbook: roll forward from it alone, or from the "
                            "master plan and its returns (not both)")
    outcome = _from_consolidated(Path(inputs[0])) if consolidated else _from_returns(inputs, today)
    if same_words(outcome.closing, period):
        raise PlanbookError(f"the plan is already for {outcome.closing}: give the next period (--period)")
    if outcome.history.has_period(period):
        raise PlanbookError(f"{period!r} is already a period of the plan's history: give the next period (--period), "
                            "a name not used before (e.g. the next year's)")
    return _write(outcome, Path(out), period, return_by, retire_complete_after, title)


# ---------------------------------------------------------------- from the master and its returns

def _from_returns(inputs: list, today: dt.date | None) -> _Outcome:
    result = consolidate(inputs, today=today, spill_over=None)
    if result.info is None:
        raise PlanbookError("no master plan among the inputs: roll forward needs the master (its leads, themes and "
                            "the actions of leads who did not return) as well as the returns")
    return _outcome_of(result, ", ".join(str(i) for i in inputs))


def _outcome_of(result: Consolidation, source: str) -> _Outcome:
    added_ids = {id(a) for a in result.added}
    actions, added = [], set()
    for a in map(result.full, result.actions):
        if id(a) in added_ids:
            added.add(len(actions))
        actions.append(a)
    info = dataclasses.replace(result.info, leads=list(result.info.leads), themes=list(result.info.themes),
                               title=result.title, period=result.period, coordinator=result.coordinator,
                               coordinator_email=result.coordinator_email)
    problems = [f for f in result.report if f.code in CARRIED_CODES]
    return _Outcome(info, result.period, result.history_label, actions, result.history, added, list(result.retired),
                    list(result.extra_columns), problems, source, result.today)


# ---------------------------------------------------------------- from a consolidated workbook

#: All actions columns that are the consolidation's own, never the plan's.
_TECHNICAL = ("Direction", "Overdue", "Due by", "Note", "Source file", "Source sheet", "Source row")


def _from_consolidated(path: Path) -> _Outcome:
    book = load_workbook(path, only=lambda name: name in (META, RETIRED, HISTORY, DATA_ISSUES) or _is_all_actions(name))
    names = book.names
    rows_of = book.rows

    meta: dict[str, list[str]] = {}
    for row in rows_of(META):
        if row and as_text(row[0]).strip():
            meta.setdefault(as_text(row[0]).strip(), []).append(as_text(row[1]) if len(row) > 1 else "")
    if (meta.get("role") or [""])[0] != "consolidated":
        raise UnusableFileError(path, "not a consolidated workbook (run planbook consolidate first)")
    one = {k: v[0] for k, v in meta.items()}
    closing = one.get("period", "")
    period_due = parse_due(closing) if closing else None
    context_year = fy_of(period_due.start) if period_due and period_due.start else None
    extras = meta.get("extra_column")
    actions: list[Action] = []
    notes: list[str] = []
    where: dict[tuple[str, str, str], int] = {}
    for name in names:
        if _is_all_actions(name):
            for a, note, origin in _actions(rows_of(name), extras, context_year, technical=True):
                where[origin] = len(actions)
                actions.append(a)
                notes.append(note)
    for a, note in zip(actions, notes):
        a.note = note
    retired = [a for a, _, _ in _actions(rows_of(RETIRED), extras, context_year)] if RETIRED in names else []
    history = read_history(rows_of(HISTORY)) if HISTORY in names else History()
    added: set[int] = set()
    for entry in meta.get(ADDED, []):
        ref, file, sheet, row = (entry.split("\t") + ["", "", "", ""])[:4]
        i = where.get((file, sheet, row))
        if i is not None:
            added.add(i)
    leads = [Lead(n, e) for n, _, e in (x.partition("\t") for x in meta.get("plan_lead", []))]
    if not leads:  # a consolidation made before it kept the plan's leads: from its addresses and the actions
        emails = dict(x.partition("\t")[::2] for x in meta.get("lead_email", []))
        leads = [Lead(n, emails.get(n, "")) for n in dict.fromkeys(a.lead for a in actions if a.lead)]
    info = PlanInfo(title=one.get("title", ""), period=closing, leads=leads,
                    themes=meta.get("plan_theme") or list(dict.fromkeys(a.theme for a in actions if a.theme)),
                    coordinator=one.get("coordinator", ""), coordinator_email=one.get("coordinator_email", ""),
                    plan_id=one.get("plan_id", ""), notes=meta.get("note", []), source_gaps=meta.get("source_gap", []))
    info.theme_headings = {t: h for t, _, h in (x.partition("\t") for x in meta.get("theme_heading", [])) if t and h}
    try:
        info.retire_complete_after = int(one.get("retire_complete_after", "0") or 0)
    except ValueError:
        info.retire_complete_after = 0
    problems = []
    if DATA_ISSUES in names:
        rows = rows_of(DATA_ISSUES)
        head = [as_text(h) for h in rows[0]] if rows else []
        for row in rows[1:]:
            rec = dict(zip(head, (as_text(v) for v in row)))
            if rec.get("Problem") in CARRIED_CODES:
                problems.append(Finding(rec["Problem"], rec.get("File", ""), rec.get("Sheet", ""), rec.get("Cell", ""),
                                        rec.get("Value", ""), rec.get("What is wrong", ""),
                                        outcome=rec.get("What was done", "")))
    label = history.last or closing  # a consolidation records its period last (its name, or "… (2)")
    return _Outcome(info, closing, label, actions, history, added, retired, extras or [], problems, path.name,
                    parse_day(one.get("as_of", "")))


def _is_all_actions(name: str) -> bool:
    """All actions, or one of its continuations ("All actions (2)") in a very large plan."""
    return name == ALL_ACTIONS or name.startswith(ALL_ACTIONS + " (")


def _actions(rows: list[list[object]], extras: list[str] | None, context_year: int | None, technical: bool = False):
    """(Action, its Note, (source file, sheet, row)) for each row of All actions or Retired actions."""
    if not rows:
        return
    header = [as_text(h).strip() for h in rows[0]]
    at: dict[str, int] = {}
    for i, h in enumerate(header):
        at.setdefault(h, i)
    if extras is None:  # an older consolidation: the columns after Resources, before Note (or the end)
        start = at.get("Resources", len(header) - 1) + 1
        end = at.get("Note", len(header))
        extras = [h for h in header[start:end] if h and h not in _TECHNICAL]
    fields = [(FIELD_OF_HEADER[h], i) for h, i in at.items() if h in FIELD_OF_HEADER]
    extra_cols = [(h, at[h]) for h in extras if h in at]
    # each distinct Status, Due and date is understood once (a plan repeats them down its rows;
    # keyed with the value's type, as 1, 1.0 and True are equal keys but different cells)
    statuses: dict[object, tuple[str | None, str]] = {}
    dues: dict[object, Due] = {}
    days: dict[object, dt.date | None] = {}
    for row in rows[1:]:
        if not any(v not in ("", None) for v in row):
            continue
        row = list(row) + [""] * (len(header) - len(row))
        values = {f: row[i] for f, i in fields}
        status, status_text = _once(statuses, values.get("status", ""), _status_of)
        due = _once(dues, values.get("due", ""), lambda v: BLANK_DUE if v in ("", None) else parse_due(v)
                    if isinstance(v, (dt.date, dt.datetime)) else parse_due(as_text(v), context_year))
        updated = values.get("last_updated", "")
        a = Action(ref=as_text(values.get("ref", "")).strip(), action=as_text(values.get("action", "")),
                   lead=as_text(values.get("lead", "")).strip(), theme=as_text(values.get("theme", "")).strip(),
                   objective=as_text(values.get("objective", "")), partners=as_text(values.get("partners", "")),
                   due=due, success_measure=as_text(values.get("success_measure", "")),
                   resources=as_text(values.get("resources", "")), status=status, status_text=status_text,
                   progress=as_text(values.get("progress", "")), last_updated=_once(days, updated, parse_day))
        if updated not in ("", None) and a.last_updated is None:
            a.extras[AS_TYPED] = as_text(updated)
        for h, i in extra_cols:
            if row[i] not in ("", None):
                a.extras[h] = row[i].date() if isinstance(row[i], dt.datetime) and row[i].time() == dt.time() else row[i]
        note = as_text(row[at["Note"]]) if technical and "Note" in at else ""
        origin = tuple(as_text(row[at[h]]) if h in at else "" for h in ("Source file", "Source sheet", "Source row"))
        yield a, note, origin


def _once(understood: dict, value: object, read: Callable[[object], object]):
    """``read(value)``, worked out once for each distinct cell value (kept in ``understood``)."""
    key = (type(value), value)
    if key not in understood:
        understood[key] = read(value)
    return understood[key]


def _status_of(value: object) -> tuple[str | None, str]:
    """(standard status or None, the text kept) of a Status cell of All actions ("No status
    given" is no text)."""
    status_text = as_text(value).strip()
    status = normalise_status(status_text)
    if status == NO_STATUS:
        return status, ""
    return status, status_text if status is None else status


# ---------------------------------------------------------------- the new master

def _write(outcome: _Outcome, out: Path, period: str, return_by: dt.date | None, retire_after: int | None,
           title: str | None) -> RollForward:
    info = dataclasses.replace(outcome.info, period=period, return_by=return_by, leads=list(outcome.info.leads),
                               themes=list(outcome.info.themes), period_was=[], renamed=[],  # a new period: no old names
                               updates_since=outcome.as_of)  # updates dated before are last period's
    if title:
        info.title = clean_text(title).strip()
    if retire_after is not None:
        info.retire_complete_after = retire_after
    report = Report(outcome.problems)
    actions = [dataclasses.replace(a, extras=dict(a.extras), origin=None, note="") for a in outcome.actions]
    for a in actions:  # a Last updated typed as text was last period's; the new plan's cell starts blank
        typed = a.extras.pop(AS_TYPED, None)
        if typed not in (None, ""):
            report.add(Finding("bad-date", out.name, "", "", as_text(typed),
                               f"{a.ref or 'an action'}'s Last updated was typed as {as_text(typed)!r}, not a date: "
                               f"next period's plan leaves it blank (the consolidation keeps it)",
                               outcome="left blank in next period's plan"))
    columns = [c for c in outcome.extra_columns if c != AS_TYPED]  # the consolidation's column, not the plan's
    retired_refs = {key(a.ref) for a in outcome.retired if key(a.ref)}  # a live action under one: numbered afresh
    added = outcome.added | {i for i, a in enumerate(actions) if key(a.ref) in retired_refs}
    renumbered = _give_refs(actions, added, outcome.history, outcome.retired,
                            _sharing(actions, added, outcome.history))
    for r in renumbered:
        report.add(Finding("ref-given", out.name, "", "", r.new, f"{r.describe()}; it is now {r.new}",
                           outcome=f"Ref {r.new} given"))
    _carry_notes(outcome, actions, report, out.name)
    history = outcome.history.with_period(outcome.closing_label, actions)  # the closing period under the Refs as now
    retired_now = _retire(actions, history, info.retire_complete_after)
    for a in retired_now:
        report.add(Finding("action-retired", out.name, RETIRED, "", a.ref,
                           f"{a.ref} has been Complete for {info.retire_complete_after} period(s): it leaves the "
                           "leads' copies (its history stays)", outcome="moved to the Retired actions sheet"))
    live = [a for a in actions if not any(a is r for r in retired_now)]
    known = {lead_key(lead.name) for lead in info.leads}
    for name in dict.fromkeys(a.lead for a in live if a.lead and lead_key(a.lead) not in known):
        report.add(Finding("unknown-lead", out.name, "", "", name,
                           f"lead {name!r} is named on an action but was not a lead of the plan: a tab and a line on "
                           "the Lists sheet were made for them; "
                           f"add their email address (planbook lead email {shlex.quote(out.name)} {shlex.quote(name)} "
                           "ADDRESS)", outcome="tab added"))
    write_plan(out, info, live, columns=columns, history=history,
               retired=[*outcome.retired, *retired_now], overwrite=True)
    return RollForward(out, info, len(live), outcome.closing, list(history.periods), renumbered,
                       [a.ref for a in retired_now], report)


def _sharing(actions: Sequence[Action], added: set[int], history: History) -> set[int]:
    """The actions (indexes) whose Ref another action of the plan has and whose year the Ref's
    row is not (:meth:`History.not_owning`): numbered afresh, so each carries its own year on.
    Actions a lead added are left to their own rule."""
    kept = [i for i in range(len(actions)) if i not in added]
    return {kept[n] for n in history.not_owning([actions[i] for i in kept])}


def _give_refs(actions: list[Action], added: set[int], history: History, retired: Sequence[Action],
               shared: set[int] = frozenset()) -> list[Renumbered]:
    """Give each action a lead added, each without a Ref and each of ``shared`` (a Ref an
    earlier action has) a unique, stable Ref (see the module docstring), in place."""
    added = added | shared
    existing = [a for i, a in enumerate(actions) if i not in added and a.ref.strip()]
    earlier = {k for k, row in history.rows.items() if any(row.statuses[:-1])}  # Refs used before this period
    taken = {key(a.ref) for a in existing if a.ref.strip()} | {key(a.ref) for a in retired} | earlier
    by_prefix: dict[str, list[Action]] = {}
    for a in existing:
        p = ref_prefix(a.ref)
        if p is not None:
            by_prefix.setdefault(p, []).append(a)
    out = []
    refused = []  # (index, why): numbered after those the leads typed well and those without one
    todo = sorted(added | {i for i, a in enumerate(actions) if not a.ref.strip()})
    for i in todo:  # first the Refs leads typed that can stand (as the receipts took them)
        a = actions[i]
        typed = a.ref.strip()
        if not typed:
            continue
        p = ref_prefix(typed)
        belongs = p is not None and (p not in by_prefix or any(related(a, b) for b in by_prefix[p]))
        if key(typed) not in taken and (p is None or belongs):
            taken.add(key(typed))
        else:
            refused.append((i, "that Ref is another action's" if key(typed) in taken
                            else "that number sits among unrelated actions"))
    # then rows without a Ref, in plan order (the Refs their receipts suggested), then the rest
    for i, why in [*((i, "no Ref given") for i in todo if not actions[i].ref.strip()), *refused]:
        a = actions[i]
        new = next_in_section(section_for(a, existing), taken)
        out.append(Renumbered(a.ref.strip(), new, a.lead, a.action,
                              SHARED if i in shared else why if i in added else NO_REF))
        a.ref = new
        taken.add(key(new))
    return out


def _carry_notes(outcome: _Outcome, actions: list[Action], report: Report, file: str) -> None:
    """What the consolidation flagged on a row and roll forward does not settle, as findings."""
    counts = Counter(key(a.ref) for a in actions if a.ref.strip())
    for a, was in zip(actions, outcome.actions):
        if a.status is None:  # a word planbook does not count: the lead's new copy would start with it
            report.add(Finding("carried-over", file, "", "", a.ref,
                               f"{a.ref or 'an action'} ({a.lead or 'no lead'}) has the status {a.status_text!r}, "
                               "which planbook does not recognise, so it is in no count: the new plan keeps it "
                               f"as typed; set one of {', '.join(STATUSES)}",
                               severity=WARNING, outcome="carried as typed"))
        note = was.note
        if not note:
            continue
        if NOTE_COLLISION in note and counts[key(a.ref)] > 1:
            report.add(Finding("carried-over", file, "", "", a.ref,
                               f"Ref {a.ref} is still used by {counts[key(a.ref)]} actions ({shortened(a.action)!r}, "
                               f"{a.lead}): renumber one in the plan", severity=ERROR, outcome="both kept"))
        if NOTE_NOT_RETURNED in note or NOTE_STALE in note:
            why = "was not in its lead's return" if NOTE_NOT_RETURNED in note else "came from an unreadable return"
            report.add(Finding("carried-over", file, "", "", a.ref,
                               f"{a.ref} ({a.lead}) {why} last period: its entry is the master's, which may be out "
                               f"of date; ask {a.lead or 'the lead'}", severity=WARNING, outcome="carried as it was"))


def _retire(actions: list[Action], history: History, periods: int) -> list[Action]:
    """The actions Complete for the last ``periods`` periods (none when ``periods`` is 0)."""
    if periods <= 0 or len(history.periods) < periods:
        return []
    out = []
    for a in actions:
        if a.status != COMPLETE:
            continue
        row = history.rows.get(key(a.ref))
        if row is not None and all(normalise_status(s) == COMPLETE for s in row.statuses[-periods:]):
            out.append(a)
    return out
