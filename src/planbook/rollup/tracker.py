"""Who has returned their update: the returns tracker, built once, from the consolidation's decisions.

The coordinator sends each lead their own copy (``planbook split`` / ``request-updates``) and
saves what comes back in a folder.  For every lead of the plan the tracker says: returned or
not, which file, when it was last modified, how many of their actions they updated this period
(and how many they added), and how many errors the return has.  Leads who have not returned,
returned late or returned with errors come first, so the coordinator knows whom to chase.

:func:`lead_returns` is the one builder.  It takes what the consolidation decided — the copy
used for each lead (the latest, by :mod:`planbook.rollup.merge`), the copies set aside, and the
returns that could not be used (a file named for a lead that cannot be read, a copy without the
lead's tab) — so the Returns sheet, ``planbook returns`` (:func:`planbook.rollup.pipeline.track_returns`,
which runs the consolidation without writing it), chasing, receipts, the coordinator workbook's
button and the Word report's returns line always agree.
"""
from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from planbook.core.dates import parse_iso
from planbook.core.findings import ERROR, WARNING, Finding, Report
from planbook.core.leads import LeadNames, lead_key
from planbook.core.model import Action
from planbook.core.status import FINISHED
from planbook.rollup.arrivals import Arrival, arrivals_by_file
from planbook.rollup.changes import Change, changes_since_sent
from planbook.rollup.inputs import Source, updated_from, was_updated
from planbook.rollup.merge import Unusable
from planbook.rollup.ownership import lead_part, owners
from planbook.workbook.plan import Plan
from planbook.workbook.view import ConsolidatedView

#: Tracker states, in the order the coordinator needs to act on them.
NOT_RETURNED, LATE, WITH_ERRORS, RETURNED = "not returned", "late", "returned with errors", "returned"
#: A copy back in the folder with not one action updated or added (often the copy as it was sent out).
UNCHANGED = "returned, nothing updated"
_ORDER = {NOT_RETURNED: 0, LATE: 1, WITH_ERRORS: 2, UNCHANGED: 3, RETURNED: 4}


@dataclass
class LeadReturn:
    """One lead of the plan and what they sent back (if anything)."""

    lead: str
    email: str
    actions: int  # the lead's actions on the master plan (their copy's, when no master names them)
    file: str = ""  # the return used, or the return that could not be used ("" when none)
    modified: dt.datetime | None = None
    updated: int = 0  # of ``actions``, how many were updated this period
    added: int = 0  # actions the lead added in their return (not on the master)
    errors: list[Finding] = field(default_factory=list)
    warnings: int = 0
    late: bool = False
    other_files: list[str] = field(default_factory=list)  # older copies from the same lead, not used
    unreadable: str = ""  # why the file they returned could not be used ("" if it could)
    #: A copy they sent after the one used that could not be read: "Jane-2.xlsx (corrupt …)" ("" if none).
    later_unreadable: str = ""
    received: dt.datetime | None = None  # when the email it came in was received (planbook collect)
    sender: str = ""  # who sent that email
    arrival: str = ""  # "received from jane@example.org on 2 Oct 2009 10:14" ("" when saved by hand)
    #: How many errors, where only the number is known (a tracker read back from a Returns sheet).
    errors_counted: int | None = None
    #: What the lead changed against the copy they were sent (the master's actions for them).
    changes: list[Change] = field(default_factory=list)
    #: Of ``actions``, how many were finished when the copy was sent (Complete: nothing to update).
    finished: int = 0
    #: Of ``other_files``, those nothing told from the one used (planbook.rollup.ownership.alike): to check.
    alike: list[str] = field(default_factory=list)

    @property
    def returned(self) -> bool:
        return bool(self.file)

    @property
    def error_count(self) -> int:
        """Their return's errors (a later copy that could not be read is one)."""
        if self.errors_counted is not None:
            return self.errors_counted
        return len(self.errors) + bool(self.later_unreadable)

    @property
    def state(self) -> str:
        if not self.returned:
            return NOT_RETURNED
        if self.actions > self.finished and not self.updated and not self.added and not self.error_count:
            return UNCHANGED  # (a lead whose every action is finished has nothing to update)
        if self.late:
            return LATE
        return WITH_ERRORS if self.error_count else RETURNED

    def to_dict(self) -> dict:
        return {"lead": self.lead, "email": self.email, "state": self.state, "returned": self.returned,
                "file": self.file or None, "modified": self.modified.isoformat(sep=" ") if self.modified else None,
                "actions": self.actions, "updated": self.updated, "added": self.added, "errors": self.error_count,
                "warnings": self.warnings, "late": self.late, "other_files": self.other_files,
                "other_files_alike": self.alike,
                "unreadable": self.unreadable or None,
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
    master: Plan | None = field(default=None, repr=False)  # the master plan as read, for whoever needs it next

    @property
    def returned(self) -> list[LeadReturn]:
        return [r for r in self.leads if r.returned]

    @property
    def missing(self) -> list[LeadReturn]:
        return [r for r in self.leads if not r.returned]

    def sentence(self) -> str:
        """ "11 of 12 leads returned by 1 October 2009; Trust Manager has not returned." """
        return returns_sentence([(r.lead, r.state) for r in self.leads], self.return_by,
                                [r.lead for r in self.leads if r.unreadable])

    def to_dict(self) -> dict:
        return {"plan": self.plan, "folder": self.folder, "title": self.title, "period": self.period,
                "return_by": self.return_by.isoformat() if self.return_by else None,
                "returned": len(self.returned), "leads_total": len(self.leads), "summary": self.sentence(),
                "leads": [r.to_dict() for r in self.leads],
                "skipped": [{"file": f, "reason": why} for f, why in self.skipped], "no_lead": self.no_lead}


def returns_sentence(states: list[tuple[str, str]], return_by: dt.date | None = None,
                     unusable: Sequence[str] = ()) -> str:
    """ "11 of 12 leads returned by 1 October 2009; Trust Manager has not returned." from each
    lead's (name, tracker state) and the leads whose return could not be used (not counted as
    returned: nothing in it was); "" when there are no leads."""
    if not states:
        return ""
    by = f" by {return_by.day} {return_by:%B %Y}" if return_by else ""
    on_time = [lead for lead, state in states if state in (RETURNED, WITH_ERRORS, UNCHANGED) and lead not in unusable]
    text = f"{len(on_time)} of {len(states)} lead{'s' if len(states) != 1 else ''} returned{by}"
    if unusable:
        text += f"; the return{'s' if len(unusable) != 1 else ''} from {_names(list(unusable))} could not be used"
    late = [lead for lead, state in states if state == LATE and lead not in unusable]
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


def _newest_update(actions: Sequence[Action]) -> dt.date:
    return max((a.last_updated for a in actions if a.last_updated), default=dt.date.min)


def _late(actions: Sequence[Action], modified: dt.datetime | None, return_by: dt.date | None,
          received: dt.datetime | None = None) -> bool:
    """Received (by email, as planbook collect logged it) after the return-by date; else, when
    that is not known, saved after the return-by date and not updated before it: a copy saved
    again or copied later (an email attachment saved today) whose Last updated dates are all
    in time is not late."""
    if return_by and received:
        return received.date() > return_by
    if not (return_by and modified and modified.date() > return_by):
        return False
    newest = _newest_update(actions)
    return newest == dt.date.min or newest > return_by


def _updated(actions: Sequence[Action], master: dict[str, Action] | None,
             start: dt.date | None) -> tuple[int, int]:
    """(updated, added): of the lead's actions on the master, how many were updated this period
    (see planbook.rollup.inputs.was_updated); and how many rows the
    lead added.  With no master to compare with, every action counts as updated."""
    if master is None:
        return len(actions), 0
    updated: set[str] = set()
    added = 0
    for a in actions:
        ref = a.ref.strip()
        before = master.get(ref)
        if before is None:
            added += 1
        elif was_updated(a, before, start):
            updated.add(ref)
    return len(updated), added


def _when(modified: str, path: str) -> dt.datetime | None:
    """A source's modified time (ISO text), else the file's own."""
    if modified:
        return dt.datetime.fromisoformat(modified)
    try:
        return dt.datetime.fromtimestamp(os.stat(path).st_mtime).replace(microsecond=0)
    except (OSError, ValueError):
        return None


def _by_sheet(plan: Plan) -> dict[str, list[Action]]:
    out: dict[str, list[Action]] = {}
    for a in plan.actions:
        if a.origin:
            out.setdefault(a.origin.sheet, []).append(a)
    return out


def return_findings(findings: Iterable[Finding], file: str, sheets: Iterable[str] | None = None) -> list[Finding]:
    """The findings that are a lead's return's: on its ``file`` (as Data issues names it; by the
    name alone when that is all that is known, as on the Returns sheet) and on the lead's
    ``sheets`` of it (None: all) or the file as a whole.  The tracker counts a return's errors
    by this rule, and the receipts list them by it."""
    bare = Path(file).name == file
    tabs = set(sheets) if sheets is not None else None
    return [f for f in findings if (f.file == file or (bare and Path(f.file).name == file))
            and (tabs is None or not f.sheet or f.sheet in tabs)]


def lead_returns(used: Sequence[tuple[Plan, Source]], set_aside: Sequence[tuple[Plan, Source]],
                 unusable: Sequence[Unusable], period: str, return_by: dt.date | None = None,
                 names: LeadNames | None = None, tabs_given_up: Sequence[tuple[str, str]] = (),
                 full: Callable[[Action], Action] = lambda a: a, report: Report | None = None,
                 since: dt.date | None = None, unusable_later: Sequence[Unusable] = (),
                 alike: Sequence[tuple[str, str]] = ()) -> list[LeadReturn]:
    """The tracker's rows, from a consolidation's decisions: worst first, then in plan order.
    ``since``: the day last period's consolidation was made (see planbook.rollup.inputs.updated_from).

    ``used`` are the plans the consolidation merged (masters and the copy used for each lead);
    ``set_aside`` the older copies of a lead (listed as other files), ``tabs_given_up`` the
    (lead key, file) of joint files whose tab for that lead another file replaced (listed too),
    ``alike`` the (lead key, file) of those not used that nothing told from the one used;
    ``unusable`` the returns that could not be used, each that lead's return with one error;
    ``unusable_later`` returns that could not be read, sent after the one used: an error of that
    lead's return (they are chased to send it again).  Every lead with a tab on a
    master is a row, and every lead whose copy came back; a copy's actions are its lead's (each
    lead's own tab when one copy holds several).  ``names`` spells the leads (see
    :class:`planbook.core.leads.LeadNames`); ``full`` gives an action whole (its texts may wait on disk).
    A return's errors and warnings are the consolidation's findings (``report``: Data issues)
    on that file and the lead's tabs of it — the reader's and the merge's (a Ref collision) —
    so the Returns sheet, reminders and receipts count the same ones.
    """
    by_file: dict[str, list[Finding]] = {}
    for f in report or ():
        by_file.setdefault(f.file, []).append(f)
    names = names or LeadNames()
    masters = [(p, s) for p, s in used if p.role != "lead-copy"]
    copies = [(p, s) for p, s in [*used, *set_aside] if p.role == "lead-copy"]
    emails: dict[str, str] = {}  # as the masters' Lists have them: an address blanked there is gone
    for plan, _ in masters:
        for lead in plan.info.leads:
            emails.setdefault(lead_key(lead.name), lead.email.strip())
    rows: dict[str, LeadReturn] = {}
    on_master: dict[str, dict[str, Action]] = {}
    for plan, _ in masters:
        tabs = _by_sheet(plan)
        for sheet, name in plan.lead_tabs().items():
            key = lead_key(name)
            if key not in rows:
                mine = tabs.get(sheet, [])
                rows[key] = LeadReturn(names.spelling(name), emails.get(key, ""), len(mine),
                                       finished=sum(1 for a in mine if a.status in FINISHED))
                on_master[key] = {a.ref.strip(): a for a in mine}
    start = updated_from(period, since)
    arrived = arrivals_by_file([*(p.path for p, _ in copies), *(u.source.path for u in unusable if u.source.path)])
    for plan, src in copies:
        found = owners(plan)  # whose tabs it holds (planbook.rollup.ownership credited them)
        for owner in found or list(plan.tabs)[:1]:  # a joint return is each of its leads' return
            key = lead_key(owner)
            mine, findings = lead_part(plan, key) if found else (plan.actions, list(plan.report))
            if report is not None:
                label = src.label or Path(plan.path).name
                tabs = {t for t, lead in plan.tabs.items() if lead and lead_key(lead) == key} if found else None
                findings = return_findings(by_file.get(label, []), label, tabs)
            row = rows.get(key)
            if row is None:
                row = rows[key] = LeadReturn(names.spelling(owner), emails.get(key, ""), len(mine))
            if row.returned:
                row.other_files.append(plan.path)
                continue
            row.file, row.modified = plan.path, _when(src.modified, plan.path)
            row.updated, row.added = _updated(mine, on_master.get(key), start)
            if key in on_master:
                row.changes = changes_since_sent(mine, list(on_master[key].values()), full)
            row.errors = [f for f in findings if f.severity == ERROR]
            row.warnings = sum(1 for f in findings if f.severity == WARNING)
            row.note_arrival(arrived.get(Path(plan.path).resolve()))
            row.late = _late(mine, row.modified, return_by, row.received)
    for key, path in tabs_given_up:
        if key in rows and path not in rows[key].other_files:
            rows[key].other_files.append(path)
    for key, path in alike:
        if key in rows and path in rows[key].other_files:
            rows[key].alike.append(path)
    for u in unusable:
        row = rows.get(lead_key(u.lead))
        if row is None or row.returned:
            continue
        path = u.source.path or u.source.file
        row.file, row.modified = path, _when(u.source.modified, path)
        row.errors, row.unreadable = [u.finding], u.reason
        row.note_arrival(arrived.get(Path(path).resolve()))  # an unreadable return: who sent it still matters
    for u in unusable_later:
        row = rows.get(lead_key(u.lead))
        if row is not None and row.returned:
            row.later_unreadable = f"{os.path.basename(u.source.path or u.source.file)} ({u.why})"
    order = {key: i for i, key in enumerate(rows)}
    return sorted(rows.values(), key=lambda r: (_ORDER[r.state], order[lead_key(r.lead)]))


def _number(text: str) -> int:
    try:
        return int(float(text))
    except ValueError:
        return 0


#: The Returns sheet's column of a later copy that could not be read.
LATER_UNREADABLE = "Sent later, could not be read"


def read_returns_sheet(view: ConsolidatedView) -> ReturnsTracker:
    """The tracker a consolidation wrote on its Returns sheet, read back (for receipts): the
    same rows and states, errors as a number.  A consolidation made before the Returns sheet:
    one row for each lead's copy its Sources used."""
    leads = []
    if not view.returns:
        leads = [LeadReturn(s["Lead"], "", 0, s.get("File", "")) for s in view.sources
                 if s.get("Kind") == "lead-copy" and not s.get("Skipped because") and s.get("Lead")]
    for row in view.returns:
        when = parse_iso(row.get("Modified", ""))
        actions = _number(row.get("Actions", ""))
        r = LeadReturn(row.get("Lead", ""), row.get("Email", ""), actions,
                       row.get("File", ""), when if isinstance(when, dt.datetime) else None,
                       _number(row.get("Updated this period", "")), _number(row.get("Added by the lead", "")),
                       late=row.get("Return", "") == LATE,
                       other_files=[f for f in row.get("Other copies (not used)", "").split(", ") if f],
                       unreadable=row.get("Could not be used because", ""), arrival=row.get("Received", ""),
                       later_unreadable=row.get(LATER_UNREADABLE, ""),
                       errors_counted=_number(row.get("Errors", "")),
                       # a return of nothing but finished actions is no "nothing updated": as the sheet says
                       finished=actions if row.get("Return", "") not in ("", UNCHANGED) else 0)
        leads.append(r)
    return ReturnsTracker(view.path, "", view.title, view.period, view.return_by, leads)
