"""Roll up every lead's actions into one consolidated plan.

Inputs are any mix of master workbooks (many lead tabs), leads' returned copies, and folders
of them.  The merge rules (which inputs belong to the plan, which copy wins, what is flagged
for the committee) are in :mod:`planbook.rollup.merge`.

Nothing is lost: every non-empty input row is in ``actions`` or has a finding saying why not.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import os
import pickle
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from planbook.core.attention import Attention, attention_of
from planbook.core.errors import PlanbookError, UnusableFileError
from planbook.core.findings import Finding, Report
from planbook.core.layout import HISTORY
from planbook.core.leads import LeadNames, lead_key
from planbook.core.model import Action, Origin, PlanInfo
from planbook.core.status import tally
from planbook.fast import parallel
from planbook.fast.bulk import gc_paused
from planbook.fast.spill import SpillStore
from planbook.files.opening import LoadedWorkbook, load_workbook, read_workbook_bytes
from planbook.rollup import merge, year
from planbook.rollup.arrivals import arrivals_by_file
from planbook.rollup.attention import Exception_, find_exceptions
from planbook.rollup.changes import Change, compare
from planbook.rollup.inputs import Source, expand_inputs
from planbook.rollup.order import plan_order
from planbook.rollup.returned import carried_problems, name_new_rows
from planbook.rollup.tracker import LeadReturn, lead_returns
from planbook.workbook.history import History
from planbook.workbook.plan import Plan
from planbook.workbook.reader import read_plan
from planbook.workbook.settings import copy_findings

#: Past this many rows, long texts wait on disk (see planbook.fast.spill) to keep memory flat.
SPILL_OVER = 200_000
Progress = Callable[[int, int, str], None]


@dataclass
class Consolidation:
    """The rolled-up plan: actions, findings, sources, exceptions and changes."""

    title: str
    period: str
    today: dt.date
    actions: list[Action]
    report: Report
    sources: list[Source]
    extra_columns: list[str] = field(default_factory=list)
    exceptions: list[Exception_] = field(default_factory=list)
    changes: list[Change] | None = None  # real changes since ``previous`` (None: no --previous)
    not_updated: list[Change] = field(default_factory=list)  # commentary as it was last period
    directions: list[str] | None = None  # each action's direction of travel (None: no --previous)
    rows_in: int = 0
    #: Input rows not in ``actions``: replaced by another copy of the same action (listed as
    #: ``superseded`` or ``duplicate-across-sources``), or in a file set aside (``superseded-copy``,
    #: ``other-plan``, ``not-a-planbook``).  rows_in = len(actions) + rows_superseded + rows_skipped.
    rows_superseded: int = 0
    rows_skipped: int = 0
    #: Lines for the command line's summary ("Jane Smith returned 2 copies: used …, not …").
    notices: list[str] = field(default_factory=list)
    previous: str = ""
    store: SpillStore | None = None
    coordinator: str = ""
    coordinator_email: str = ""
    leads: list = field(default_factory=list)  # the plans' leads (Lead, with email), for receipts
    #: Who returned their update, lead by lead (the Returns sheet; see planbook.rollup.tracker).
    returns: list[LeadReturn] = field(default_factory=list)
    return_by: dt.date | None = None  # the date leads were asked to return by (late after it)
    master: Plan | None = field(default=None, repr=False)  # the master plan as read (None: returns only)
    #: Every earlier period's status and update by action (planbook.workbook.history): the
    #: master's History sheet, else the copies' (see planbook.rollup.year.history_before).
    history_before: History = field(default_factory=History, repr=False)
    added: list[Action] = field(default_factory=list)  # actions leads added this period
    #: Refs (as the history keys them) of retired actions a live action has taken: that action is
    #: recorded apart in the history (the retired action's year is not its year).
    apart: set[str] = field(default_factory=set, repr=False)
    _history: History | None = field(default=None, init=False, repr=False)

    @property
    def history(self) -> History:
        """Every period's status and update by action, this period included: made when first
        asked for (a plan without earlier periods writes none), from the actions as they are
        then — once written, exactly as All actions shows them."""
        if self._history is None:
            self._history = self.history_before.with_period(self.history_label, map(self.full, self.actions),
                                                            apart=self.apart)
        return self._history

    @property
    def history_label(self) -> str:
        """The name this period is recorded under in the history: the period's, or "Q1 2009/10 (2)"
        when a period of that name is recorded already (never written over: see consolidate)."""
        return self.history_before.new_label(self.period)

    @property
    def info(self) -> PlanInfo | None:
        """The master's details (settings, leads, themes, identity), None without a master."""
        return self.master.info if self.master is not None else None

    @property
    def retired(self) -> list[Action]:
        """The master's retired actions, carried through (none without a master)."""
        return self.master.retired if self.master is not None else []

    def status_counts(self) -> Counter:
        """Actions by line of :data:`planbook.core.status.COUNT_LINES` (no status given and not
        recognised are lines of their own): the counts sum to the number of actions."""
        return tally(a.status for a in self.actions)

    def attention(self) -> Attention:
        """How many actions need attention (the Exceptions sheet's rows), in parts."""
        return attention_of(e.reason for e in self.exceptions)

    @property
    def actions_changed(self) -> int:
        """How many actions changed since ``previous`` (new and removed ones included)."""
        return len({c.ref.strip().lower() for c in self.changes or ()})

    def full(self, action: Action) -> Action:
        """The action with all its texts (they may be waiting on disk for a very large run)."""
        return self.store.full(action) if self.store is not None else action


def _modified(path: Path) -> str:
    return dt.datetime.fromtimestamp(path.stat().st_mtime).replace(microsecond=0).isoformat(sep=" ")


#: From this many input files, a forked worker reads some of them (see planbook.fast.parallel).
PARALLEL_FROM = 8
_Loaded = tuple[str, str, "LoadedWorkbook | None", str]  # sha256, modified, the workbook (or None), why not
_Read = tuple[str, str, "Plan | None", str]  # sha256, modified, the plan (or None), why it was skipped


def _load_source(path: Path, *, grid: bool = True) -> _Loaded:
    """Fingerprint one input and parse it (a loader thread may run this: see planbook.fast.parallel).
    A file that cannot be used gives the reason, not an error.  ``grid=False`` skips the check
    for a far cell (see :func:`planbook.workbook.reader.load_workbook`)."""
    try:
        modified = _modified(path)
        data = read_workbook_bytes(path)  # once: fingerprinted, checked and parsed from these bytes
    except OSError as exc:
        return "", "", None, f"cannot be read ({exc.strerror})"
    except UnusableFileError as exc:
        return "", modified, None, exc.reason
    sha256 = hashlib.sha256(data).hexdigest()
    try:
        return sha256, modified, load_workbook(path, grid=grid, data=data), ""
    except UnusableFileError as exc:
        return sha256, modified, None, exc.reason
    except OSError as exc:
        return sha256, modified, None, f"cannot be read ({exc.strerror})"


def _read_loaded(path: Path, loaded: _Loaded) -> _Read:
    sha256, modified, book, reason = loaded
    if book is None:
        return sha256, modified, None, reason
    try:
        return sha256, modified, read_plan(path, loaded=book), ""
    except UnusableFileError as exc:
        return sha256, modified, None, exc.reason


def _read_source(path: Path) -> _Read:
    return _read_loaded(path, _load_source(path))


def _read_source_in_worker(path: Path) -> _Read:
    """:func:`_read_source` in the forked worker, without the far-cell check: if a hostile file
    makes the reader abort there, only the worker dies, and this process reads what the worker
    left undone — checking each file, so that one is refused with its reason."""
    return _read_loaded(path, _load_source(path, grid=False))


def _read_all(files: list[Path]) -> Iterator[_Read]:
    """Each input read, in order, using both cores: a forked worker reading some files where
    there is fork, else loader threads parsing ahead."""
    if len(files) >= PARALLEL_FROM and parallel.available():
        return parallel.map_in_order(_read_source, files, pack=_pack_read, unpack=_unpack_read,
                                     in_worker=_read_source_in_worker, heaviest=_largest(files))
    return map(_read_loaded, files, parallel.prefetch(_load_source, files))


def _largest(files: list[Path]) -> int | None:
    """The index of the largest file (a master plan among its leads' copies), read first."""
    sizes = []
    for f in files:
        try:
            sizes.append(f.stat().st_size)
        except OSError:
            sizes.append(0)  # said when it is read
    return max(range(len(files)), key=sizes.__getitem__) if files else None


def _pack_read(read: _Read) -> bytes:
    """A read result as bytes for the trip from a worker process: actions as plain tuples and
    the history as long texts (see :meth:`planbook.workbook.history.History.packed`), several
    times quicker to pickle and unpickle than the objects."""
    sha256, modified, plan, reason = read
    if plan is None:
        return pickle.dumps((read, [], [], None), protocol=pickle.HIGHEST_PROTOCOL)
    sheets: dict[str, int] = {}
    rows = [(a.ref, a.action, a.lead, a.theme, a.objective, a.partners, a.due, a.success_measure, a.resources,
             a.status, a.status_text, a.progress, a.last_updated, a.extras or None,
             sheets.setdefault(a.origin.sheet, len(sheets)), a.origin.row) for a in plan.actions]
    bare = dataclasses.replace(plan, actions=[], history=History())
    return pickle.dumps(((sha256, modified, bare, reason), list(sheets), rows, plan.history.packed()),
                        protocol=pickle.HIGHEST_PROTOCOL)


def _unpack_read(data: bytes) -> _Read:
    read, sheets, rows, history = pickle.loads(data)
    plan = read[2]
    if plan is not None:
        file = Path(plan.path).name
        plan.actions = [Action(*row[:13], row[13] or {}, Origin(file, sheets[row[14]], row[15])) for row in rows]
        plan.history = History.unpacked(history)
    return read


@gc_paused()
def consolidate(inputs: Sequence[str | os.PathLike[str]], *, previous: str | os.PathLike[str] | None = None,
                today: dt.date | None = None, period: str | None = None, title: str | None = None,
                exclude: Iterable[str | os.PathLike[str]] = (), progress: Progress | None = None,
                spill_over: int | None = SPILL_OVER, return_by: dt.date | None = None,
                master: str | os.PathLike[str] | None = None) -> Consolidation:
    """Read every input and merge them into one :class:`Consolidation` (nothing written yet).

    Past ``spill_over`` rows the actions' long texts are kept in a temporary file, not memory.
    ``return_by`` marks returned copies modified after it as late on the Returns sheet.
    ``master`` names the master plan among the inputs: another master found in an input folder
    is then set aside and listed (as ``planbook returns`` does), not an error.
    """
    today = today or dt.date.today()
    files, sources = expand_inputs(inputs)
    excluded = {Path(p).resolve() for p in exclude}
    files = [f for f in files if f.resolve() not in excluded]
    report = Report()
    plans: list[tuple[Plan, Source]] = []
    store: SpillStore | None = None
    rows_so_far, spilled_plans = 0, 0
    shown = merge.display_names(inputs, files)
    arrived = arrivals_by_file(files)
    for i, (path, (sha256, modified, plan, reason)) in enumerate(zip(files, _read_all(files)), start=1):
        if progress:
            progress(i, len(files), str(path))
        src = Source(shown[path][0], sha256=sha256, modified=modified, path=str(Path(path).absolute()))
        if path.resolve() in arrived:
            arrival = arrived[path.resolve()]
            src.received, src.filed_for = arrival.describe(), arrival.lead
            src.arrived = arrival.when.isoformat() if arrival.when else ""
        if plan is None:
            src.skipped = reason
            sources.append(src)
            report.add(Finding("file-skipped", shown[path][0], "", "", "", f"{shown[path][0]} was not read: {reason}",
                               outcome="file skipped"))
            continue
        src.role = plan.role
        src.lead = ", ".join(dict.fromkeys(v for v in plan.tabs.values() if v)) if plan.role == "lead-copy" \
            else f"{len(plan.tabs)} lead tab(s)"
        src.rows = plan.rows_read
        plans.append((plan, src))
        rows_so_far += plan.rows_read
        if spill_over is not None and rows_so_far > spill_over:
            store = store or SpillStore()
            for earlier, _ in plans[spilled_plans:]:  # every plan not yet spilled, once
                for action in earlier.actions:
                    store.spill(action)
            spilled_plans = len(plans)
    if not plans:
        raise PlanbookError("no planbook workbooks found in the inputs" +
                            (f" ({len(sources)} file(s) skipped: {sources[0].file}: {sources[0].skipped})" if sources else ""))
    read = list(plans)  # every file read, for Sources (some may be set aside below)
    rows_in = sum(p.rows_read for p, _ in plans)
    names = Counter(Path(p.path).name.lower() for p, _ in plans)
    for plan, src in plans:
        name = Path(plan.path).name
        src.label = name if names[name.lower()] == 1 else src.file  # two Jane Smith.xlsx: tell them apart
        if src.label != name:
            merge.relabel(plan, src.label)
    in_folder = {id(p) for p, _ in plans if shown[Path(p.path)][1]}
    chosen = merge.choose_plans(plans, report, lambda p: id(p) in in_folder,
                                Path(master).resolve() if master is not None else None)
    if not chosen.plans:
        raise PlanbookError("no planbook workbooks found in the inputs (" + "; ".join(
            f"{s.file}: {s.skipped}" for _, s in plans[:3]) + ")")
    unread = [(s, s.skipped) for s in sources if s.skipped] + chosen.not_copies  # a return named for its lead
    carried = carried_problems(chosen.plans)  # a lead's copy answers for what the lead typed, not the plan
    name_new_rows(chosen.plans)
    merged = merge.merge(chosen.plans, report, full=store.full if store is not None else lambda a: a, unread=unread,
                         carried=carried)
    actions, extras = merged.actions, merged.extra_columns
    used = Counter(a.origin.file for a in actions if a.origin)
    for plan, src in plans:
        src.used = used.get(src.label, 0)
    plans = chosen.plans
    master = next((p for p, _ in plans if p.role != "lead-copy"), None)
    infos = [p.info for p, _ in plans]
    names = spell_leads_one_way(actions, plans)
    if master is not None:  # the master's settings are the plan's (copies are listed first to win the merge)
        infos.sort(key=lambda i: i is not master.info)
        for plan, src in plans:
            if plan.role == "lead-copy":
                report.extend(copy_findings(master.info, plan.info, plan.guide, src.label or src.file,
                                            ", ".join(dict.fromkeys(v for v in plan.tabs.values() if v))))
    return_by = return_by or next((i.return_by for i in infos if i.return_by), None)
    actions = plan_order(actions, [t for i in infos for t in i.themes])
    period = " ".join((period or "").split())  # as typed: a space more never makes another period
    asked_for = bool(period)  # --period: a second run of a period already recorded replaces it
    if not period and master is not None and master.info.period:
        period = master.info.period  # the master's (copies sent out before it was renamed say the old name)
    if not period:
        periods = Counter(i.period for i in infos if i.period)
        period = periods.most_common(1)[0][0] if periods else ""
    title = title or next((i.title for i in infos if i.title), "Action plan")
    result = Consolidation(title=title, period=period, today=today, actions=actions, report=report,
                           sources=sources + [s for _, s in read], extra_columns=extras, rows_in=rows_in,
                           store=store, rows_superseded=merged.rows_superseded, rows_skipped=chosen.rows_skipped,
                           notices=chosen.notices)
    if all(p.role == "lead-copy" for p, _ in plans):  # no master: a lead who did not return is simply absent
        result.notices.append("no master plan among the inputs: only leads' returned copies were rolled up, so "
                              "leads who have not returned are missing; add the master plan to include them")
    result.coordinator = next((i.coordinator for i in infos if i.coordinator), "")
    result.coordinator_email = next((i.coordinator_email for i in infos if i.coordinator_email), "")
    result.leads = _leads_with_emails(infos)

    since = master.info.updates_since if master is not None else next((i.updates_since for i in infos
                                                                         if i.updates_since), None)
    result.returns = lead_returns(plans, chosen.superseded, list(merged.unusable.values()), period, return_by, names,
                                  tabs_given_up=chosen.tabs_given_up, full=result.full, report=report, since=since,
                                  unusable_later=list(merged.unusable_later.values()),
                                  alike=chosen.alike)
    result.return_by = return_by
    result.master = master
    sent = {a.ref.strip().lower(): a for a in master.actions if a.ref.strip()} if master is not None else None
    result.exceptions = find_exceptions(actions, period, today, since, sent, full=result.full)
    copies = [(p, s.label or s.file) for p, s in plans if p.role == "lead-copy"]
    before = year.history_before(master, [p for p, _ in copies], period, again=asked_for)
    report.extend(year.copy_history_findings(before, copies))
    if before.has_period(period):  # the period renamed to one already past (a typo at the year's turn)
        report.add(Finding("period-repeated", Path(master.path).name if master is not None else "", HISTORY, "", period,
                           f"the plan's period {period!r} is already a period of its History sheet: this period is "
                           f"recorded as {before.new_label(period)!r}, so the earlier one is kept; set the period "
                           "the plan reports on with planbook settings --period", outcome="earlier period kept"))
    result.added = [actions[i] for i in year.added_by_leads(actions, master, [p for p, _ in copies])]
    result.apart = year.under_retired_refs(actions, result.retired, report)
    moved = year.renumbered_by_hand(actions, before, result.retired)  # its year moves with it
    if moved:
        before = before.renamed(moved)
    result.history_before = before
    comparison = None
    if previous:
        result.previous = str(previous)
        renamed = master.info if master is not None else next((i for i in infos if i.renamed), None)
        comparison = compare(actions, previous, full=result.full, renamed=renamed)
    else:  # with a history: against last period, as the history has it
        comparison = year.against_last_period(actions, before, master, result.full)
    if comparison is not None:
        if moved and not previous:  # said as the Changes sheet says a lead's renumbering
            comparison.changes[:0] = year.renumbering_changes(actions, moved, result.full)
        result.changes, result.not_updated = comparison.changes, comparison.not_updated
        result.directions = comparison.directions
    return result


def lead_names(plans: Sequence[tuple[Plan, object]]) -> LeadNames:
    """The spelling each lead is shown with: as the masters' Lists sheets have it, else as
    their tabs, else as the returned copies' Lists and tabs (see planbook.core.leads)."""
    ordered = sorted(plans, key=lambda ps: ps[0].role == "lead-copy")  # masters first
    return LeadNames([*(lead.name for p, _ in ordered for lead in p.info.leads),
                      *(lead for p, _ in ordered for lead in p.tabs.values())])


def spell_leads_one_way(actions: list[Action], plans: Sequence[tuple[Plan, object]]) -> LeadNames:
    """Each lead spelt one way in every action (a lead typed with a non-breaking space, a curly
    apostrophe or other capitals is shown as the plan lists them), so the consolidated
    workbook's counts by lead, which Excel recalculates by the cell's text, give one line a lead."""
    names = lead_names(plans)
    spelt: dict[str, str] = {}
    for a in actions:
        lead = a.lead
        shown = spelt.get(lead)
        if shown is None:
            shown = spelt[lead] = names.add(lead)
        if shown is not lead:
            a.lead = shown
    return names


def _leads_with_emails(infos: Sequence) -> list:
    """Every lead of the plans once, with an email address where any plan has one: a lead's copy
    split off before the coordinator filled in the addresses must not hide the master's."""
    leads: dict[str, object] = {}
    for info in infos:
        for lead in info.leads:
            key = lead_key(lead.name)
            if key not in leads or (lead.email and not leads[key].email):
                leads[key] = lead
    return list(leads.values())


