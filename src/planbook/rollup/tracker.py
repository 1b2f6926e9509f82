"""Who has returned their update: a lead-by-lead tracker built from the files alone.

The coordinator sends each lead their own copy (``planbook split`` / ``request-updates``) and
saves what comes back in a folder.  :func:`track_returns` reads the master plan and that folder
and says, for every lead of the plan: returned or not, which file, when it was last modified,
how many of their actions they updated this period, and how many errors the return has.
Leads who have not returned, returned late or returned with errors come first, so the
coordinator knows whom to chase (see :mod:`planbook.mail.chasing`).
"""
from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from planbook.core.errors import PlanbookError, UnusableFileError
from planbook.core.findings import ERROR, WARNING, Finding
from planbook.core.model import Action
from planbook.core.leads import lead_key, lead_named_by_file
from planbook.rollup.arrivals import Arrival, arrivals_by_file
from planbook.rollup.inputs import NOT_A_COPY, expand_inputs, period_start
from planbook.rollup.ownership import (
    credit_tabs,
    drop_backup_tabs,
    drop_tabs,
    lead_part,
    owners,
    plan_leads,
    rank_returns,
    returned_master_lead,
    take_lead_tab,
)
from planbook.workbook.plan import Plan
from planbook.workbook.reader import read_plan
from planbook.workbook.split import unassigned_actions

#: Tracker states, in the order the coordinator needs to act on them.
NOT_RETURNED, LATE, WITH_ERRORS, RETURNED = "not returned", "late", "returned with errors", "returned"
#: A copy back in the folder with not one action updated (often the copy as it was sent out).
UNCHANGED = "returned, nothing updated"
_ORDER = {NOT_RETURNED: 0, LATE: 1, WITH_ERRORS: 2, UNCHANGED: 3, RETURNED: 4}


@dataclass
class LeadReturn:
    """One lead of the plan and what they sent back (if anything)."""

    lead: str
    email: str
    actions: int  # actions on the lead's tab of the master plan
    file: str = ""  # the return used ("" when none)
    modified: dt.datetime | None = None
    updated: int = 0  # actions updated this period
    errors: list[Finding] = field(default_factory=list)
    warnings: int = 0
    late: bool = False
    other_files: list[str] = field(default_factory=list)  # older copies from the same lead, not used
    received: dt.datetime | None = None  # when the email it came in was received (planbook collect)
    sender: str = ""  # who sent that email
    arrival: str = ""  # "received from jane@example.org on 2 Oct 2009 10:14" ("" when saved by hand)

    @property
    def returned(self) -> bool:
        return bool(self.file)

    @property
    def unreadable(self) -> str:
        """Why the file they returned could not be read ("" if it could)."""
        return next((f.message for f in self.errors if f.code == "return-unreadable"), "")

    @property
    def state(self) -> str:
        if not self.returned:
            return NOT_RETURNED
        if self.actions and not self.updated and not self.errors:
            return UNCHANGED
        if self.late:
            return LATE
        return WITH_ERRORS if self.errors else RETURNED

    def to_dict(self) -> dict:
        return {"lead": self.lead, "email": self.email, "state": self.state, "returned": self.returned,
                "file": self.file or None, "modified": self.modified.isoformat(sep=" ") if self.modified else None,
                "actions": self.actions, "updated": self.updated, "errors": len(self.errors),
                "warnings": self.warnings, "late": self.late, "other_files": self.other_files,
                "received": self.received.isoformat(sep=" ") if self.received else None,
                "sender": self.sender or None, "arrival": self.arrival or None}

    def note_arrival(self, arrival: Arrival | None) -> None:
        """What the collect log says of the file used: who sent it and when it was received."""
        if arrival is not None:
            self.received, self.sender, self.arrival = arrival.when, arrival.sender, arrival.describe()


@dataclass
class ReturnsTracker:
    """Every lead of a plan with the state of their return; files that were not returns."""

    plan: str
    folder: str
    title: str
    period: str
    return_by: dt.date | None
    leads: list[LeadReturn]
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, why it is not a return)
    no_lead: int = 0  # actions on the 'No lead' tab: nobody to ask

    @property
    def returned(self) -> list[LeadReturn]:
        return [r for r in self.leads if r.returned]

    @property
    def missing(self) -> list[LeadReturn]:
        return [r for r in self.leads if not r.returned]

    def sentence(self) -> str:
        """ "11 of 12 leads returned by 1 October 2009; Trust Manager has not returned." """
        return returns_sentence([(r.lead, r.state) for r in self.leads], self.return_by)

    def to_dict(self) -> dict:
        return {"plan": self.plan, "folder": self.folder, "title": self.title, "period": self.period,
                "return_by": self.return_by.isoformat() if self.return_by else None,
                "returned": len(self.returned), "leads_total": len(self.leads), "summary": self.sentence(),
                "leads": [r.to_dict() for r in self.leads],
                "skipped": [{"file": f, "reason": why} for f, why in self.skipped], "no_lead": self.no_lead}


def returns_sentence(states: list[tuple[str, str]], return_by: dt.date | None = None) -> str:
    """ "11 of 12 leads returned by 1 October 2009; Trust Manager has not returned." from each
    lead's (name, tracker state); "" when there are no leads."""
    if not states:
        return ""
    by = f" by {return_by.day} {return_by:%B %Y}" if return_by else ""
    on_time = [lead for lead, state in states if state in (RETURNED, WITH_ERRORS, UNCHANGED)]
    text = f"{len(on_time)} of {len(states)} lead{'s' if len(states) != 1 else ''} returned{by}"
    late = [lead for lead, state in states if state == LATE]
    if late:
        text += f"; {_names(late)} returned late"
    unchanged = [lead for lead, state in states if state == UNCHANGED]
    if unchanged:
        text += f"; {_names(unchanged)} returned no updates"
    missing = [lead for lead, state in states if state == NOT_RETURNED]
    if missing:
        text += f"; {_names(missing)} {'has' if len(missing) == 1 else 'have'} not returned"
    return text + "."


def _names(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _newest_update(plan: Plan) -> dt.date:
    return max((a.last_updated for a in plan.actions if a.last_updated), default=dt.date.min)


def _late(copy: Plan, modified: dt.datetime | None, return_by: dt.date | None,
          received: dt.datetime | None = None) -> bool:
    """Received (by email, as planbook collect logged it) after the return-by date; else, when
    that is not known, saved after the return-by date and not updated before it: a copy saved
    again or copied later (an email attachment saved today) whose Last updated dates are all
    in time is not late."""
    if return_by and received:
        return received.date() > return_by
    if not (return_by and modified and modified.date() > return_by):
        return False
    newest = _newest_update(copy)
    return newest == dt.date.min or newest > return_by


def _mtime(path: Path) -> dt.datetime:
    return dt.datetime.fromtimestamp(path.stat().st_mtime).replace(microsecond=0)


def _updated(actions: list[Action], master: dict[str, Action], period_start: dt.date | None) -> int:
    """Actions updated this period: Last updated within the period, or status / progress changed."""
    n = 0
    for a in actions:
        before = master.get(a.ref.strip())
        if period_start and a.last_updated and a.last_updated >= period_start:
            n += 1
        elif before is None or (a.status_shown, a.progress.strip()) != (before.status_shown, before.progress.strip()):
            n += 1
    return n


def track_returns(plan_path: str | os.PathLike[str], returns_dir: str | os.PathLike[str], *,
                  return_by: dt.date | None = None) -> ReturnsTracker:
    """Read the master plan and the returns folder: one :class:`LeadReturn` per lead of the plan.

    A return is a lead's copy (``planbook split``) of this plan found anywhere in the folder.
    Two copies from one lead: the one with the latest edits is used (newest Last updated, then
    the file's modified time) and the other is listed.  Other files (the master, non-workbooks,
    another lead's name not on the plan) are listed in ``skipped`` with the reason.
    """

    plan = read_plan(plan_path)
    folder = Path(returns_dir)
    if not folder.is_dir():
        raise PlanbookError(f"returns folder not found: {folder}")
    emails = {lead_key(lead.name): lead.email.strip() for lead in plan.info.leads}
    tab_actions: dict[str, list[Action]] = {}
    for a in plan.actions:
        if a.origin:
            tab_actions.setdefault(a.origin.sheet, []).append(a)
    rows: dict[str, LeadReturn] = {}
    master: dict[str, dict[str, Action]] = {}
    for sheet, name in plan.lead_tabs().items():
        rows[lead_key(name)] = LeadReturn(name, emails.get(lead_key(name), ""), len(tab_actions.get(sheet, [])))
        master[lead_key(name)] = {a.ref.strip(): a for a in tab_actions.get(sheet, [])}
    files, skipped = expand_inputs([folder])
    tracker = ReturnsTracker(str(plan_path), str(folder), plan.info.title, plan.info.period, return_by,
                             [], [(s.file, s.skipped) for s in skipped], len(unassigned_actions(plan)))
    plan_resolved = Path(plan_path).resolve()
    candidates: dict[str, list[tuple[Plan, Path]]] = {}
    unreadable: list[tuple[Path, str]] = []
    leads = plan_leads([plan])
    for path in files:
        if path.resolve() == plan_resolved:
            continue
        try:
            copy = read_plan(path)
        except UnusableFileError as exc:
            unreadable.append((path, exc.reason))
            continue
        if not copy.has_metadata:  # named for a lead, it is their return, unusable: see _attach_unreadable
            unreadable.append((path, NOT_A_COPY))
            continue
        if copy.role != "lead-copy":
            found = returned_master_lead(copy, plan, path.stem) \
                if copy.role == "plan" and plan.info.plan_id and copy.info.plan_id == plan.info.plan_id else None
            if found is None:
                tracker.skipped.append((str(path), "not a lead's copy (a master plan or another workbook)"))
                continue
            take_lead_tab(copy, *found)  # a whole master a lead sent back: their tab is their return
        else:
            foreign = {c.tab for c in credit_tabs(copy, leads) if not c.lead and c.actions}
            drop_tabs(copy, foreign)  # a tab not on the plan (a forwarded copy): nobody's return
            drop_backup_tabs(copy)  # a second copy of a lead's tab: counted once
            if foreign and not owners(copy):
                tracker.skipped.append((str(path), "holds no lead's tab of this plan (a copy forwarded to someone "
                                                   "else?): its rows are listed when you consolidate"))
                continue
        found_owners = owners(copy) or list(copy.tabs)
        if not found_owners:
            tracker.skipped.append((str(path), "a lead's copy with no lead tab planbook can read"))
            continue
        for owner in found_owners:
            if lead_key(owner) in rows:
                candidates.setdefault(lead_key(owner), []).append((copy, path))
        if not any(lead_key(owner) in rows for owner in found_owners):
            tracker.skipped.append((str(path), f"a copy for {found_owners[0]!r}, who is not a lead of this plan"))
    start = period_start(plan.info.period)
    arrived = arrivals_by_file(files)
    for key, found in candidates.items():
        path_of = {id(c): p for c, p in found}
        ranked = rank_returns([c for c, _ in found], key)  # the consolidation's own choice
        copy, path = ranked[0], path_of[id(ranked[0])]
        row = rows[key]
        row.file, row.modified = str(path), _mtime(path)
        row.other_files = [str(path_of[id(c)]) for c in ranked[1:]]
        actions, findings = lead_part(copy, key)
        row.updated = _updated(actions, master[key], start)
        row.errors = [f for f in findings if f.severity == ERROR]
        row.warnings = sum(1 for f in findings if f.severity == WARNING)
        row.note_arrival(arrived.get(path.resolve()))
        row.late = _late(copy, row.modified, return_by, row.received)
    _attach_unreadable(tracker, rows, candidates, unreadable)
    for row in rows.values():
        if row.file and not row.arrival:  # an unreadable return: who sent it still matters
            row.note_arrival(arrived.get(Path(row.file).resolve()))
    order = {key: i for i, key in enumerate(rows)}
    tracker.leads = sorted(rows.values(), key=lambda r: (_ORDER[r.state], order[lead_key(r.lead)]))
    return tracker



def _attach_unreadable(tracker: ReturnsTracker, rows: dict[str, LeadReturn], candidates: dict, unreadable) -> None:
    """A file planbook cannot read, named for a lead who sent nothing readable (the rule
    planbook.rollup.merge uses), is that lead's return with one error: they did return, and what they
    need is to know why it could not be used — not a reminder to return.  Other unreadable files
    are listed as skipped."""
    for path, why in unreadable:
        lead = lead_named_by_file(path.stem, [row.lead for row in rows.values()])
        key = lead_key(lead) if lead else None
        row = rows.get(key) if key else None
        if row is None or key in candidates or row.file:
            tracker.skipped.append((str(path), why))
            continue
        row.file, row.modified = str(path), _mtime(path)
        row.errors = [Finding("return-unreadable", str(path), "", "", row.lead,
                              f"{path.name} could not be read ({why})", outcome="return not used")]

def returns_of_consolidation(plans: list[tuple[Plan, str]], period: str, return_by: dt.date | None = None, *,
                             unreadable: Sequence[Finding] = ()) -> list[LeadReturn]:
    """The tracker's rows for a consolidation's inputs: (plan read, file modified time as ISO text).

    Every lead with a tab on a master plan, and every lead whose copy came back; the copy used
    is the first of that lead's copies in ``plans`` (the consolidation's own choice).  A file
    named for a lead that could not be read (``unreadable``: the merge's ``return-unreadable``
    findings for whole files) is that lead's return with that error, as :func:`track_returns`
    counts it — so the Returns sheet, the Word report and ``planbook returns`` agree.
    """

    rows: dict[str, LeadReturn] = {}
    master: dict[str, dict[str, Action]] = {}
    for plan, _ in plans:
        if plan.role == "lead-copy":
            continue
        emails = {lead_key(lead.name): lead.email.strip() for lead in plan.info.leads}
        for sheet, name in plan.lead_tabs().items():
            key = lead_key(name)
            mine = {a.ref.strip(): a for a in plan.actions if a.origin and a.origin.sheet == sheet}
            if key not in rows:
                rows[key] = LeadReturn(name, emails.get(key, ""), len(mine))
                master[key] = mine
    start = period_start(period)
    arrived = arrivals_by_file(p.path for p, _ in plans if p.role == "lead-copy")
    for plan, modified in plans:
        if plan.role != "lead-copy":
            continue
        when = dt.datetime.fromisoformat(modified) if modified else None
        for owner in owners(plan) or list(plan.tabs)[:1]:  # a joint return is each of its leads' return
            key = lead_key(owner)
            actions, findings = lead_part(plan, key) if owners(plan) else (plan.actions, list(plan.report))
            row = rows.setdefault(key, LeadReturn(owner, "", len(actions)))
            if row.returned:
                row.other_files.append(plan.path)
                continue
            row.file, row.modified = plan.path, when
            row.updated = _updated(actions, master.get(key, {}), start)
            row.errors = [f for f in findings if f.severity == ERROR]
            row.warnings = sum(1 for f in findings if f.severity == WARNING)
            row.note_arrival(arrived.get(Path(plan.path).resolve()))
            row.late = _late(plan, when, return_by, row.received)
    order = {key: i for i, key in enumerate(rows)}
    for f in unreadable:
        row = rows.get(lead_key(f.value))
        if not f.sheet and row is not None and not row.file:
            row.file, row.errors = f.file, [f]
    return sorted(rows.values(), key=lambda r: (_ORDER[r.state], order[lead_key(r.lead)]))
