"""The merge rules of a consolidation: which inputs count, which copy wins, and what is flagged.

A committee must never miss an action because of a numbering slip or a stray file, so:

* **one plan** — every plan has an identity (``plan_id``, title, period in its metadata); a
  returned copy of another plan or an older period is skipped and listed; two masters of one
  plan, or masters of two plans, are an error naming both; a workbook found in a folder that
  is not a planbook workbook is skipped and listed;
* **the latest copy** — two returns from the same lead: the one with the newest ``Last
  updated`` (then the newer file) is used, the other listed as ``superseded-copy``;
* **a return replaces the master's tab** — the master's rows are folded into one ``superseded``
  line per tab; a master row whose Ref the lead's return lacks stays, marked "Not in the
  lead's return"; a return that cannot be read leaves the master's rows in, marked stale;
* **Refs** compare after trimming spaces, case-sensitively: the same Ref with the same or
  near-same action text is one action (the owner's copy wins); otherwise both are kept and
  flagged ``ref-collision``, each naming the other's cell.

Flags a committee must see go in :attr:`Action.note` (the ``Note`` column of All actions) and
so into Exceptions.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from planbook.core.errors import PlanbookError
from planbook.core.findings import Finding, Report
from planbook.core.model import Action, Origin, PlanInfo
from planbook.core.text import folded, same_words, shortened
from planbook.core.leads import lead_key, lead_named_by_file, same_lead
from planbook.rollup.identity import NEAR_SAME, renumbered, same_action  # noqa: F401 - the merge's rules too
from planbook.rollup.inputs import Source
from planbook.rollup.returned import REF_EMPTY
from planbook.rollup.ownership import (
    alike,
    credit_tabs,
    drop_backup_tabs,
    drop_tabs,
    edited,
    lead_part,
    own_return,
    owners,
    plan_leads,
    rank_returns,
    returned_master_lead,
    take_lead_tab,
)
from planbook.workbook.plan import Plan

#: Note values written in the ``Note`` column of All actions (each followed by details).
NOTE_COLLISION = "Ref collision"
NOTE_NOT_RETURNED = "Not in the lead's return"
NOTE_STALE = "Stale: lead's return unreadable"

#: Finding codes that need a person to act (printed by ``consolidate`` with their cells).
NEEDS_A_PERSON = ("ref-collision", "return-unreadable", "superseded-copy", "not-in-return", "other-plan",
                  "missing-tab", "tab-not-on-plan")

#: Why a workbook named for a lead, without planbook's metadata, is not read as their return.
NOT_A_COPY = "no planbook metadata: not a copy planbook made — was the tab copied into a new workbook?"


def display_names(inputs: Iterable[str | os.PathLike[str]], files: Sequence[Path]) -> dict[Path, tuple[str, bool]]:
    """Each file as the coordinator knows it: its path relative to the input folder it was
    found in (so two ``Jane Smith.xlsx`` in different subfolders are told apart), or as given;
    and whether it was found in a folder (rather than named)."""
    folders = [Path(item) for item in inputs if Path(item).is_dir()]
    out: dict[Path, tuple[str, bool]] = {}
    for f in files:
        for folder in folders:
            try:
                out[f] = (str(f.relative_to(folder)), True)
                break
            except ValueError:
                continue
        else:
            out[f] = (str(f), False)
    return out


def same_plan(a: PlanInfo, b: PlanInfo) -> bool:
    """Do two workbooks belong to one plan and period?  By id when both have one, else by
    title and period where both are known (older workbooks have no id)."""
    if a.period and b.period and not same_words(a.period, b.period):
        return False
    if a.plan_id and b.plan_id:
        return a.plan_id == b.plan_id
    return not (a.title and b.title and not same_words(a.title, b.title))


def sent_before_renaming(this: PlanInfo, copy: PlanInfo) -> bool:
    """Is ``copy`` of this plan, sent out under a name this period had before it was renamed?
    (Consolidation reads it as this period's return, and collect files it as one.)"""
    return bool(this.plan_id and copy.plan_id == this.plan_id and copy.period
                and any(same_words(copy.period, name) for name in this.period_was))


def describe(info: PlanInfo) -> str:
    """ "'Old 2008 Plan', period 2008/09" """
    return f"{info.title or 'an untitled plan'!r}" + (f", period {info.period}" if info.period else "")


def _day(d: dt.date) -> str:
    return f"{d.day} {d:%b %Y}"


@dataclass
class Chosen:
    """The outcome of :func:`choose_plans`: the plans to merge and what was set aside."""

    plans: list  # (Plan, Source) pairs to merge, lead copies first
    rows_skipped: int = 0  # rows of files set aside (another plan, not a planbook, an older copy)
    notices: list[str] = field(default_factory=list)  # lines for the command line's summary
    superseded: list = field(default_factory=list)  # (Plan, Source): a lead's older copies, set aside
    tabs_given_up: list = field(default_factory=list)  # (lead key, file): a joint file's tab another file replaced
    alike: list = field(default_factory=list)  # (lead key, file): a copy not used that nothing told from the one used
    not_copies: list = field(default_factory=list)  # (Source, why): workbooks without metadata, set aside


def choose_plans(pairs: list, report: Report, found_in_folder: Callable[[Plan], bool],
                 master: Path | None = None) -> Chosen:
    """Set aside what does not belong (see the module's rules); raise :class:`PlanbookError` for
    masters of two plans or one master given twice.  ``pairs`` are (Plan, Source) in input order.
    ``master`` (a resolved path) names the master: other masters among the inputs are set aside
    and listed, not an error."""
    kept = []
    chosen = Chosen([])

    def set_aside(plan: Plan, src, reason: str, code: str, message: str, outcome: str) -> None:
        src.skipped = reason
        chosen.rows_skipped += plan.rows_read
        report.add(Finding(code, src.label or src.file, "", "", str(plan.rows_read), message, outcome=outcome))

    for plan, src in pairs:
        if not plan.has_metadata and found_in_folder(plan):
            set_aside(plan, src, "not a planbook workbook (no planbook metadata): bring it in with planbook import",
                      "not-a-planbook",
                      f"{src.file} is not a planbook workbook (no planbook metadata), so its {plan.rows_read} "
                      "row(s) were not rolled up; if it is a plan, convert it with `planbook import`",
                      "file skipped")
            chosen.not_copies.append((src, NOT_A_COPY))  # named for a lead: their return, unusable
        else:
            kept.append((plan, src))
    masters = [(p, s) for p, s in kept if p.role != "lead-copy" and p.has_metadata]
    masters = _returned_masters(masters, report, chosen, found_in_folder)
    if master is not None and any(Path(p.path).resolve() == master for p, _ in masters):
        for plan, src in masters:
            if Path(plan.path).resolve() != master:
                set_aside(plan, src, "not a lead's copy (a master plan or another workbook)", "file-skipped",
                          f"{src.file} is a master plan, not a lead's return: its {plan.rows_read} row(s) were "
                          "not rolled up", "file skipped")
        kept = [(p, s) for p, s in kept if not s.skipped]
        masters = [(p, s) for p, s in masters if not s.skipped]
    for i, (a, sa) in enumerate(masters):
        for b, sb in masters[i + 1:]:
            if a.info.plan_id and a.info.plan_id == b.info.plan_id:
                raise PlanbookError(f"{sa.file} and {sb.file} are both the master of {describe(a.info)}: "
                                    "give one of them")
            if not same_plan(a.info, b.info) or (a.info.plan_id and b.info.plan_id):
                raise PlanbookError(f"{sa.file} and {sb.file} are masters of different plans ({describe(a.info)} "
                                    f"and {describe(b.info)}): consolidate one plan at a time")
    this = _this_plan([p for p, _ in masters] or [p for p, _ in kept if p.has_metadata])
    copies = []
    for plan, src in kept:
        if this is not None and plan.role == "lead-copy" and sent_before_renaming(this, plan.info):
            report.add(Finding("period-renamed", src.file, "", "", plan.info.period,
                               f"{src.file} was sent out for {plan.info.period}, the name this period had before "
                               f"it was renamed {this.period}: read as this period's return", outcome="rolled up"))
            copies.append((plan, src))
        elif this is not None and plan.role == "lead-copy" and not same_plan(this, plan.info):
            set_aside(plan, src, f"belongs to {describe(plan.info)}, not this plan", "other-plan",
                      f"{src.file} belongs to {describe(plan.info)}, not this plan ({describe(this)}): "
                      f"its {plan.rows_read} row(s) were not rolled up", "file skipped")
        else:
            copies.append((plan, src))
    leads = plan_leads([p for p, _ in copies if p.role != "lead-copy" and p.has_metadata],
                       [p for p, _ in copies if p.role == "lead-copy"])
    copies = [(p, s) for p, s in copies if p.role != "lead-copy" or _credit(p, s, leads, report, chosen)]
    chosen.plans = _latest_copies(copies, report, chosen)
    chosen.plans.sort(key=lambda ps: 0 if ps[0].role == "lead-copy" else 1)  # lead copies win over masters
    return chosen


def _this_plan(plans: list[Plan]) -> PlanInfo | None:
    """The plan being consolidated: the master's, else the one most returned copies belong to."""
    if not plans:
        return None
    if any(p.role != "lead-copy" for p in plans):
        return next(p.info for p in plans if p.role != "lead-copy")
    votes: dict[tuple, list] = {}
    for p in plans:
        votes.setdefault((p.info.plan_id, folded(p.info.title), folded(p.info.period)), []).append(p.info)
    return max(votes.values(), key=len)[0]


def _credit(plan: Plan, src, leads, report: Report, chosen: Chosen) -> bool:
    """Credit each tab of a returned copy to the lead whose rows it holds (planbook.rollup.ownership);
    list a tab not on the plan row by row and take it out.  False when nothing of the plan is
    left in the file (a copy forwarded to someone else): it is set aside, its rows listed."""
    if not plan.has_metadata:
        return True
    name = src.label or src.file
    guessed = {t: lead for t, lead in plan.tabs.items() if t in plan.filled and lead}
    credits = credit_tabs(plan, leads)
    for b in drop_backup_tabs(plan):
        chosen.rows_skipped += b.rows
        report.add(Finding("duplicate-tab", name, b.tab, "", str(b.rows),
                           f"tab {b.tab!r} of {name} is a second copy of tab {b.kept!r} ({b.shared} of its Refs are "
                           f"there too): {b.kept!r} was used, this tab's {b.rows} row(s) were not rolled up",
                           outcome="not rolled up: counted once"))
    declared = {lead_key(lead) for lead in plan.declared_tabs.values() if lead}
    for c in credits:
        if not c.lead and c.actions:
            _foreign_tab(plan, name, c, report, chosen)
        elif c.lead and lead_key(c.lead) not in declared:
            how = f"{c.held} of {c.lead}'s actions" if c.held > 0 else f"actions led by {c.lead}"
            report.add(Finding("credited-by-content", name, c.tab, "", c.lead,
                               f"{name} holds {c.lead}'s tab ({c.tab!r}: {how}): credited to {c.lead} as "
                               "their return", outcome=f"counted as {c.lead}'s return"))
    for tab, lead in guessed.items():  # a renamed tab that turned out not to be the metadata's lead's
        if lead_key(plan.tabs.get(tab) or "\0") != lead_key(lead):
            plan.declared_tabs = {t: owner for t, owner in plan.declared_tabs.items()
                                  if not owner or lead_key(owner) != lead_key(lead)}
    if owners(plan) or not any(not c.lead and c.actions for c in credits):  # no readable tab: see _unreadable_returns
        src.lead = ", ".join(owners(plan)) or src.lead
        return True
    src.skipped = "holds no lead's tab of this plan (a copy forwarded to someone else?): its rows are listed"
    return False


def _foreign_tab(plan: Plan, name: str, credit, report: Report, chosen: Chosen) -> None:
    """A tab of a returned copy that holds none of the plan's actions or leads (another
    organisation's rows typed into a forwarded copy): each row listed for the coordinator."""
    rows = [a.origin.row for a in credit.actions if a.origin]
    gone = drop_tabs(plan, {credit.tab})
    chosen.rows_skipped += len(gone)
    line = (f"{name} holds a tab not on the plan ({credit.tab!r}): its {len(gone)} action(s) are listed for you "
            "to add or reassign")
    chosen.notices.append(line)
    report.add(Finding("tab-not-on-plan", name, credit.tab, _span(rows) if rows else "", str(len(gone)),
                       line + (f"; the copy was made for {credit.declared}, and is not their return"
                               if credit.declared else ""), outcome="not rolled up; listed"))
    for a in gone:
        report.add(Finding("action-not-on-plan", name, credit.tab, f"A{a.origin.row}" if a.origin else "", a.ref,
                           f"Ref {a.ref or '(none)'} {a.action[:120]!r}" + (f" (lead {a.lead})" if a.lead else "")
                           + f" is on tab {credit.tab!r}, not a lead's tab of this plan: add it to the plan or "
                           "reassign it", outcome="not rolled up"))


def _returned_masters(masters: list, report: Report, chosen: Chosen, found_in_folder: Callable[[Plan], bool]) -> list:
    """A whole master a lead sent back with their tab filled in (two masters of one plan: one
    given by name or not named for a lead is the coordinator's; the other, named for a lead or
    differing from it on one lead's tab only, is that lead's return): its lead's tab is used,
    its other tabs are not rolled up (the coordinator's master has them).  Returns the masters left."""
    by_id: dict[str, list] = {}
    for plan, src in masters:
        if plan.info.plan_id:
            by_id.setdefault(plan.info.plan_id, []).append((plan, src))
    turned: set[int] = set()
    for group in by_id.values():
        if len(group) < 2:
            continue
        coordinator = [ps for ps in group if not found_in_folder(ps[0])]
        if len(coordinator) != 1:
            coordinator = [ps for ps in group
                           if not lead_named_by_file(Path(ps[0].path).stem, ps[0].lead_tabs().values())]
        if len(coordinator) != 1:
            continue
        master = coordinator[0][0]
        for plan, src in group:
            if plan is master:
                continue
            found = returned_master_lead(plan, master, Path(plan.path).stem)
            if found is None:
                continue
            tab, lead = found
            name = src.label or src.file
            others = {t for t in plan.tabs if t != tab}
            gone = take_lead_tab(plan, tab, lead)
            chosen.rows_skipped += len(gone)
            src.role, src.lead = "lead-copy", lead
            report.add(Finding("whole-master", name, tab, "", str(len(gone)),
                               f"{name} is a whole copy of the master plan, returned by {lead}: {lead}'s tab "
                               f"{tab!r} was used as their return; its other {len(others)} tab(s) ({len(gone)} "
                               "row(s)) were not rolled up (the master's own are used)",
                               outcome=f"used as {lead}'s return"))
            turned.add(id(plan))
    return [(p, s) for p, s in masters if id(p) not in turned]


def _latest_copies(pairs: list, report: Report, chosen: Chosen) -> list:
    """Of several files holding one lead's tab: the lead's own return, then the one with the
    latest edits; the others listed (a joint file gives up only that lead's tab)."""
    by_lead: dict[str, list] = {}
    for plan, src in pairs:
        if plan.role == "lead-copy":
            for lead in owners(plan):
                by_lead.setdefault(lead_key(lead), []).append((plan, src))
    losers: set[int] = set()
    for key, group in by_lead.items():
        group = [(p, s) for p, s in group if id(p) not in losers]
        if len(group) < 2:
            continue
        src_of = {id(p): s for p, s in group}
        ranked = rank_returns([p for p, _ in group], key)
        win, rest = ranked[0], ranked[1:]
        wsrc = src_of[id(win)]
        when = {id(p): edited(p) for p in ranked}
        dates = [when[id(p)][0] for p in ranked]
        minutes = {int(when[id(p)][1] // 60) for p in ranked}
        by_own = own_return(win, key) and not own_return(rest[0], key)

        def shown(p: Plan) -> str:
            """What decided: the lead's own return; the newest Last updated; or when the file
            was saved if that does not tell the copies apart."""
            if by_own:
                return "their own return" if own_return(p, key) else "another's file holding their tab"
            newest, mtime = when[id(p)]
            if newest != dt.date.min and dates.count(newest) == 1:
                return _day(newest)
            saved = dt.datetime.fromtimestamp(mtime)
            clock = f"{saved:%H:%M:%S}" if len(minutes) < len(ranked) else f"{saved:%H:%M}"
            return (f"{_day(newest)}, " if newest != dt.date.min else "") + f"file saved {_day(saved)} {clock}"

        lead = next(v for v in win.tabs.values() if v and lead_key(v) == key)
        same = {id(p) for p in rest if alike(win, p, key)}
        if same:  # nothing told them apart: the one used is the first given, for the coordinator to check
            newest, mtime = when[id(win)]
            saved = dt.datetime.fromtimestamp(mtime)
            why = ((f"the same newest Last updated, {_day(newest)}" if newest != dt.date.min else "no Last updated")
                   + f", saved at the same time, {_day(saved)} {saved:%H:%M:%S}")
            names = [wsrc.file, *(src_of[id(p)].file for p in rest if id(p) in same)]
            line = (f"{lead} returned {len(ranked)} copies and nothing tells {', '.join(names[:-1])} and {names[-1]} "
                    f"apart ({why}): used {wsrc.file}, not "
                    + ", ".join(src_of[id(p)].file if id(p) in same else f"{src_of[id(p)].file} ({shown(p)})"
                                for p in rest)
                    + f"; check that {wsrc.file} is the one to use, and take the other"
                    + ("s" if len(rest) > 1 else "") + " out of the returns folder")
        else:
            line = (f"{lead} returned {len(ranked)} copies: used {wsrc.file} ({shown(win)}), not "
                    + ", ".join(f"{src_of[id(p)].file} ({shown(p)})" for p in rest))
        chosen.notices.append(line)
        for plan in rest:
            src = src_of[id(plan)]
            used = f"{wsrc.file} used instead" + (": check which is the one to use" if id(plan) in same else "")
            if id(plan) in same:
                chosen.alike.append((key, plan.path))
            mine = {t for t, owner in plan.tabs.items() if owner and lead_key(owner) == key}
            if len(owners(plan)) > 1:  # a joint file: only this lead's tab gives way
                gone = drop_tabs(plan, mine)
                chosen.rows_skipped += len(gone)
                chosen.tabs_given_up.append((key, plan.path))
                report.add(Finding("superseded-copy", src.label or src.file, ", ".join(sorted(mine)), "",
                                   str(len(gone)), f"{line}: this file's tab for {lead} ({len(gone)} row(s)) was "
                                   "not rolled up", outcome=used))
                continue
            losers.add(id(plan))
            chosen.superseded.append((plan, src))
            src.skipped = (f"superseded by {wsrc.file} (nothing tells them apart: check which is the one to use)"
                           if id(plan) in same else f"superseded by {wsrc.file} ({shown(win)}; this copy {shown(plan)})")
            chosen.rows_skipped += plan.rows_read
            report.add(Finding("superseded-copy", src.label or src.file, "", "", str(plan.rows_read),
                               f"{line}: this copy's {plan.rows_read} row(s) were not rolled up", outcome=used))
    return [(p, s) for p, s in pairs if id(p) not in losers]


def _cell(action: Action) -> str:
    o = action.origin
    return f"{o.file}!{o.sheet}!A{o.row}" if o else "?"


def _add_note(action: Action, note: str) -> None:
    action.note = f"{action.note}; {note}" if action.note else note


def _span(rows: list[int]) -> str:
    return f"A{min(rows)}:A{max(rows)}" if len(rows) > 1 else f"A{rows[0]}"


@dataclass(frozen=True)
class Unusable:
    """A lead's return that could not be used (a file named for them that cannot be read, a
    copy without their tab): the master's rows for them are used, marked stale."""

    lead: str
    source: Source
    why: str  # "corrupt or truncated workbook …", "tab 'Ann Lee' is missing"
    finding: Finding  # the return-unreadable finding on Data issues

    @property
    def shown(self) -> str:
        """The file as Data issues names it, and why: "Ann Lee.xlsx: tab 'Ann Lee' is missing"."""
        return f"{self.source.label or self.source.file}: {self.why}"

    @property
    def reason(self) -> str:
        """As the lead reads it: "Ann Lee.xlsx could not be read (corrupt or truncated workbook)"."""
        return f"{Path(self.source.file).name} could not be read ({self.why})"


@dataclass
class Merged:
    """The merged actions (in input order) and the counts that make the rows balance."""

    actions: list[Action]
    rows_superseded: int = 0  # rows replaced by another copy of the same action
    extra_columns: list[str] = field(default_factory=list)
    unusable: dict[str, Unusable] = field(default_factory=dict)  # lead key -> their return, not used
    #: Lead key -> a return of theirs that could not be read, later than the return that was used
    #: (a corrected copy that arrived damaged): the lead is told, and chased for it.
    unusable_later: dict[str, Unusable] = field(default_factory=dict)
    #: Refs (folded) a master itself gives to actions on different leads' tabs: (its file, each of
    #: those leads' key -> its row in the master).  Two copies returning such a Ref as they were
    #: sent collide by the plan's doing.
    twins: dict[str, tuple[str, dict[str, Origin | None]]] = field(default_factory=dict)


def merge(pairs: list, report: Report, full: Callable[[Action], Action],
          unread: Sequence[tuple[Source, str]] = (), carried: dict[Finding, Finding] | None = None) -> Merged:
    """Merge the actions of ``pairs`` (lead copies first) by the rules above; findings to ``report``.
    ``unread`` are the files that could not be read at all (source, why): one named after a lead
    who sent nothing else back is that lead's return, and the master's rows are marked stale.
    ``carried`` are masters' findings a lead's copy carried unchanged (planbook.rollup.returned):
    listed, as the value says, although the copy replaced their rows."""
    carried = carried or {}
    file_of = {id(p): s.label or Path(p.path).name for p, s in pairs}
    returned: dict[str, Plan] = {}  # lead -> their returned copy
    for plan, _ in pairs:
        if plan.role == "lead-copy":
            for lead in plan.tabs.values():
                if lead:
                    returned.setdefault(lead_key(lead), plan)
    later: dict[str, Unusable] = {}
    unreadable = _unreadable_returns(pairs, returned, report, file_of, unread, later)
    chosen: dict[str, int] = {}  # ref (folded) -> index of its first row in actions
    more: dict[str, list[int]] = {}  # ref (folded) -> later rows kept with that ref
    actions: list[Action] = []
    plan_of: list[Plan] = []
    merged = Merged(actions, unusable=unreadable, unusable_later=later, twins=_plans_twins(pairs, file_of))
    extras: dict[str, None] = {}
    for plan, src in pairs:
        todo, kept_rows, replaced = _tabs_replaced(plan, returned, unreadable, report, file_of, merged)
        report.extend(carried.get(f, f) for f in plan.report
                      if f.sheet not in replaced or _row(f.cell) in kept_rows.get(f.sheet, ()) or f in carried)
        src.findings = len(plan.report)
        src.rows_with_findings = len({(f.sheet, _row(f.cell)) for f in plan.report if _row(f.cell) > 1})
        for name in plan.extra_columns:
            extras.setdefault(name, None)
        for action in todo:
            key = action.ref.lower()
            index = chosen.get(key) if key else None
            if index is None:  # the usual case: a Ref not met before
                if key:
                    chosen[key] = len(actions)
                actions.append(action)
                plan_of.append(plan)
                continue
            _same_ref(action, plan, [index, *more.get(key, ())], actions, plan_of, report, full, merged, more, key)
    merged.extra_columns = list(extras)
    return merged


def _row(cell: str) -> int:
    digits = "".join(ch for ch in cell if ch.isdigit())
    return int(digits) if digits and cell[:1].isalpha() else 0


def _same_ref(action: Action, plan: Plan, candidates: list[int], actions: list[Action], plan_of: list[Plan],
              report: Report, full, merged: Merged, more: dict, key: str) -> None:
    """A Ref met before: the same action from another file merges (the owner's copy wins);
    a different action, or the Ref in other capitals, is a collision: both kept, both flagged."""
    others = [i for i in candidates if plan_of[i] is not plan]  # a twin in one file is the reader's duplicate-ref
    text = full(action).action
    for i in others:
        kept = actions[i]
        kept_plan = plan_of[i]
        twins = merged.twins.get(key, ("", {}))[1]  # the plan gives this Ref to both leads' actions:
        both = lead_key(action.lead) in twins and lead_key(kept.lead) in twins  # two, however alike
        if kept.ref == action.ref and same_action(full(kept).action, text) and not (
                both and not same_lead(action.lead, kept.lead)):
            if _owns(action, plan) and not _owns(kept, kept_plan):
                actions[i], plan_of[i] = action, plan
                loser, winner, winner_plan = kept, action, plan
                if kept.note:
                    _add_note(action, kept.note)
            else:
                loser, winner, winner_plan = action, kept, kept_plan
            why = f"it is on {winner.lead}'s own tab" if _owns(winner, winner_plan) else "it was read first"
            o = loser.origin
            report.add(Finding("duplicate-across-sources", o.file if o else "", o.sheet if o else "",
                               f"A{o.row}" if o else "", loser.ref,
                               f"Ref {loser.ref} is also at {_cell(winner)}, the same action, whose copy was used "
                               f"({why})", outcome="this copy not rolled up"))
            merged.rows_superseded += 1
            return
    for i in candidates:
        if plan_of[i] is plan:  # a twin in one file: the reader's duplicate-ref error names it; flag the rows
            _add_note(actions[i], f"{NOTE_COLLISION}: {action.ref} is also {_cell(action)}; renumber one")
            _add_note(action, f"{NOTE_COLLISION}: {action.ref} is also {_cell(actions[i])}; renumber one")
    for i in others:
        kept = actions[i]
        plans, leads = merged.twins.get(key, ("", {}))
        as_sent = kept.ref == action.ref and lead_key(kept.lead) in leads and lead_key(action.lead) in leads
        for row, other in ((action, kept), (kept, action)):
            o = row.origin
            how = "the same Ref" if row.ref == other.ref else f"Ref {other.ref!r}, the same but for capitals,"
            if as_sent:  # the plan's own collision, carried into both copies: the plan's to fix, not the leads'
                at = leads.get(lead_key(row.lead))  # the row in the plan
                report.add(Finding("ref-collision", plans, at.sheet if at else "", f"A{at.row}" if at else "", row.ref,
                                   f"Ref {row.ref} ({row.lead or 'no lead'}, {_cell(row)}) collides with {_cell(other)} "
                                   f"({other.lead or 'no lead'}): the plan gives both actions this Ref, and each "
                                   "lead's copy kept it as sent; renumber one of them in the plan",
                                   outcome="both actions kept; the plan's to fix, not the leads'"))
            else:
                report.add(Finding("ref-collision", o.file if o else "", o.sheet if o else "", f"A{o.row}" if o else "",
                                   row.ref, f"Ref {row.ref} ({row.lead or 'no lead'}) collides with {_cell(other)} "
                                   f"({other.lead or 'no lead'}): {how} on a different action; renumber one of them",
                                   outcome="both actions kept"))
            _add_note(row, f"{NOTE_COLLISION}: {row.ref} is also {_cell(other)}; renumber one")
    more.setdefault(key, []).append(len(actions))
    actions.append(action)
    plan_of.append(plan)


def _plans_twins(pairs: list, file_of: dict[int, str]) -> dict[str, tuple[str, dict[str, Origin | None]]]:
    """See :attr:`Merged.twins`: a master's Refs on two or more of its leads' tabs, each lead's
    row of it in the master (for the finding's sheet and cell)."""
    twins: dict[str, tuple[str, dict[str, Origin | None]]] = {}
    for plan, _ in pairs:
        if plan.role == "lead-copy":
            continue
        leads: dict[str, dict[str, Origin | None]] = {}
        for a in plan.actions:
            if a.ref:
                leads.setdefault(a.ref.lower(), {}).setdefault(lead_key(a.lead), a.origin)
        for key, found in leads.items():
            if len(found) > 1:
                twins.setdefault(key, (file_of[id(plan)], found))
    return twins


def _owns(action: Action, plan: Plan) -> bool:
    """Does the tab the action came from belong to the action's own Lead?"""
    if not action.origin:
        return False
    tab_lead = plan.tabs.get(action.origin.sheet, "") or action.origin.sheet
    return bool(action.lead) and same_lead(action.lead, tab_lead)


def _unreadable_returns(pairs: list, returned: dict[str, Plan], report: Report, file_of: dict[int, str],
                        unread: Sequence[tuple[Source, str]] = (),
                        later: dict[str, Unusable] | None = None) -> dict[str, Unusable]:
    """Leads of a master whose returned copy has no readable tab for them, or whose return (a
    file collect filed for them, or named after them) could not be read at all, and who sent
    nothing usable: lead key -> their return (the master's rows for them will be used, marked
    stale).  A lead who did send a readable return, and later one that cannot be read, goes in
    ``later`` (their readable return is used; they are asked to send the other again)."""
    masters_tabs: dict[str, Plan] = {}
    for plan, _ in pairs:
        if plan.role != "lead-copy":
            for lead in plan.tabs.values():
                if lead:
                    masters_tabs.setdefault(lead_key(lead), plan)
    out: dict[str, Unusable] = {}
    for plan, src in pairs:
        if plan.role != "lead-copy":
            continue
        read = {lead_key(lead) for lead in plan.tabs.values() if lead}
        for tab, lead in plan.declared_tabs.items():
            key = lead_key(lead)
            if not lead or key in read:
                continue
            skipped = any(f.code == "sheet-skipped" and f.sheet == tab for f in plan.report)
            why = f"no header row found on tab {tab!r}" if skipped else f"tab {tab!r} is missing"
            name = file_of[id(plan)]
            if key in returned:
                used = f"{file_of[id(returned[key])]} was used"
            elif key in masters_tabs:
                used = _stale_used(masters_tabs[key], key, lead)
            else:
                used = f"none of {lead}'s actions could be rolled up from it"
            finding = Finding("return-unreadable", name, tab, "", lead, f"{name}: {why}: {used}",
                              outcome="return not used")
            report.add(finding)
            if key not in returned and key in masters_tabs:
                out.setdefault(key, Unusable(lead, src, why, finding))
    leads = {key: lead for key, plan in masters_tabs.items() for lead in plan.tabs.values()
             if lead and lead_key(lead) == key}
    source_of = {id(p): s for p, s in pairs}
    for src, why in unread:
        name = src.label or src.file
        lead = (next((n for n in leads.values() if src.filed_for and same_lead(n, src.filed_for)), "")
                or lead_named_by_file(Path(name).stem, leads.values()) or "")
        key = lead_key(lead) if lead else ""
        if key and key in returned and later is not None and key not in later \
                and _arrived_after(src, source_of[id(returned[key])]):
            used = file_of[id(returned[key])]
            finding = Finding("return-unreadable", name, "", "", lead,
                              f"{name}, which {lead} sent after {used}, could not be read ({why}): {used} was "
                              "used until it is sent again", outcome="return not used; the earlier one used")
            report.add(finding)
            later[key] = Unusable(lead, src, why, finding)
            continue
        if key and key not in returned and key not in out:
            finding = Finding("return-unreadable", name, "", "", lead,
                              f"{name} (named for {lead}) could not be read ({why}): "
                              + _stale_used(masters_tabs[key], key, lead), outcome="return not used")
            report.add(finding)
            out[key] = Unusable(lead, src, why, finding)
    return out


def _arrived_after(src: Source, used: Source) -> bool:
    """Did ``src`` arrive after the return ``used`` (both by email: when received; else when the
    files were saved)?"""
    if src.arrived and used.arrived:
        return src.arrived > used.arrived
    return bool(src.modified) and src.modified > used.modified


def _stale_used(master: Plan, key: str, lead: str) -> str:
    tabs = {t for t, owner in master.tabs.items() if owner and lead_key(owner) == key}
    newest = max((a.last_updated for a in master.actions if a.last_updated and a.origin
                  and a.origin.sheet in tabs), default=None)
    return (f"the master's copy of {lead}'s actions was used, and may be out of date"
            + (f" (its latest update: {_day(newest)})" if newest else " (never updated)"))


def _tabs_replaced(plan: Plan, returned: dict[str, Plan], unreadable: dict[str, Unusable], report: Report,
                   file_of: dict[int, str], merged: Merged) -> tuple[list[Action], dict[str, set[int]], set[str]]:
    """A master's actions to merge: tabs of leads who returned a copy give way to it (folded
    into one ``superseded`` line per tab), except rows whose Ref the return lacks; tabs of
    leads whose return was unreadable stay, marked stale."""
    if plan.role == "lead-copy":
        return plan.actions, {}, set()
    replaced = {sheet: returned[lead_key(lead)] for sheet, lead in plan.tabs.items()
                if lead and lead_key(lead) in returned}
    stale = {sheet: unreadable[lead_key(lead)].shown for sheet, lead in plan.tabs.items()
             if lead and lead_key(lead) in unreadable}
    if not replaced and not stale:
        return plan.actions, {}, set()
    refs = {id(copy): {a.ref for a in copy.actions} for copy in replaced.values()}
    todo: list[Action] = []
    gone: dict[str, list[int]] = {}
    kept_rows: dict[str, set[int]] = {}
    master = file_of[id(plan)]
    moved = _renumbered(plan, replaced, refs)
    for action in plan.actions:
        sheet = action.origin.sheet if action.origin else ""
        copy = replaced.get(sheet)
        if copy is None:
            if sheet in stale:
                _add_note(action, f"{NOTE_STALE} ({stale[sheet]}): the master's copy, maybe out of date")
            todo.append(action)
        elif (sheet, action.ref) in moved and not moved[sheet, action.ref].ref:  # its Ref blanked in the return
            now = moved[sheet, action.ref]
            now.ref = action.ref
            o = now.origin
            cell = f"A{o.row}" if o else ""
            report.findings = [f for f in report.findings  # its "Ref is empty" is settled
                               if not (f.code == "missing-required" and o is not None and f.file == o.file
                                       and f.sheet == o.sheet and _row(f.cell) == o.row
                                       and f.message.startswith(REF_EMPTY))]
            report.add(Finding("ref-restored", o.file if o else "", o.sheet if o else "", cell, action.ref,
                               f"the Ref of {shortened(now.action)!r} was blank: it is the plan's {action.ref} "
                               f"({_cell(action)}), the same action, so it is counted as {action.ref}",
                               outcome=f"used as {action.ref}'s update"))
            gone.setdefault(sheet, []).append(action.origin.row if action.origin else 0)
        elif (sheet, action.ref) in moved:  # the lead renumbered it: their row is this action
            now = moved[sheet, action.ref]
            o = now.origin
            report.add(Finding("ref-renumbered", o.file if o else "", o.sheet if o else "", f"A{o.row}" if o else "",
                               now.ref, f"Ref {now.ref} is the plan's {action.ref} ({_cell(action)}), the same action "
                               f"renumbered: counted once, as {now.ref}; renumber it back to {action.ref} in the "
                               "return, or change the plan", outcome=f"used as {action.ref}'s update"))
            gone.setdefault(sheet, []).append(action.origin.row if action.origin else 0)
        elif action.ref and action.ref not in refs[id(copy)]:
            lead = plan.tabs[sheet]
            _add_note(action, f"{NOTE_NOT_RETURNED} ({file_of[id(copy)]}): dropped on purpose? ask {lead}")
            report.add(Finding("not-in-return", master, sheet, f"A{action.origin.row}", action.ref,
                               f"Ref {action.ref} is on {lead}'s tab of {master} but not in {lead}'s return "
                               f"{file_of[id(copy)]}: kept from the master; ask {lead} whether it was dropped on "
                               "purpose", outcome="master's row kept, marked"))
            kept_rows.setdefault(sheet, set()).add(action.origin.row)
            todo.append(action)
        else:
            gone.setdefault(sheet, []).append(action.origin.row if action.origin else 0)
    for sheet, rows in gone.items():
        copy = replaced[sheet]
        merged.rows_superseded += len(rows)
        report.add(Finding("superseded", master, sheet, _span(rows), str(len(rows)),
                           f"{len(rows)} row(s) of {plan.tabs[sheet]}'s tab on {master} replaced by "
                           f"{file_of[id(copy)]}", outcome="returned copy used instead"))
    return todo, kept_rows, set(replaced)


def _renumbered(plan: Plan, replaced: dict[str, Plan], refs: dict[int, set[str]]) -> dict[tuple[str, str], Action]:
    """(master tab, Ref) -> the returned row that is the same action under a new Ref (3.1 typed as
    3.01, the text unchanged): see planbook.rollup.identity.renumbered."""
    master_refs = {a.ref for a in plan.actions}
    by_tab: dict[str, list[Action]] = {}
    for a in plan.actions:
        if a.origin and a.origin.sheet in replaced:
            by_tab.setdefault(a.origin.sheet, []).append(a)
    out: dict[tuple[str, str], Action] = {}
    for sheet, copy in replaced.items():
        lost = [(a.ref, a.action) for a in by_tab.get(sheet, ()) if a.ref and a.ref not in refs[id(copy)]]
        if not lost:
            continue
        mine = lead_part(copy, lead_key(plan.tabs[sheet]))[0] if len(owners(copy)) > 1 else copy.actions
        new = {a.ref: a for a in mine if a.ref and a.ref not in master_refs}
        for now, was in renumbered(lost, [(ref, a.action) for ref, a in new.items()]).items():
            out[sheet, was] = new[now]
        cleared = [a for a in mine if not a.ref and a.action]  # a Ref blanked (a row cut and pasted back)
        left = [(ref, text) for ref, text in lost if (sheet, ref) not in out]
        for ref, text in left:  # the one action of the same text, matched only when neither side has two
            rows = [a for a in cleared if same_action(a.action, text)]
            if len(rows) == 1 and sum(1 for _, t in left if same_action(rows[0].action, t)) == 1:
                out[sheet, ref] = rows[0]
                cleared.remove(rows[0])
    return out


def relabel(plan: Plan, name: str) -> None:
    """Show ``name`` (a path relative to the input folder) for the plan's file in every cell
    pointer: used when two inputs share a file name."""
    old = Path(plan.path).name
    for a in plan.actions:
        if a.origin is not None and a.origin.file == old:
            a.origin = Origin(name, a.origin.sheet, a.origin.row)
    plan.report.findings = [dataclasses.replace(f, file=name) if f.file == old else f for f in plan.report]
