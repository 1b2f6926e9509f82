"""Whose return a workbook is, decided from what is in it as well as from its metadata.

A lead's copy names its lead in its metadata, but people forward copies and paste tabs:

* a **forwarded copy** — another organisation, sent a lead's copy, renamed the tab and typed its
  own rows into it: the metadata still names the lead, the rows are nobody's on the plan;
* a **joint return** — one file holding two leads' filled-in tabs (a tab copied in from a
  colleague's copy): the metadata names one of them;
* a tab a lead **renamed** but kept filled in with their own actions.

So each tab of a returned copy is credited by its rows: a tab that kept the name the metadata
gives is that lead's; any other tab goes to the plan's lead whose actions it holds (same Ref, the
same or near-same action text) or whom its Lead column or its name names; a tab that holds
nothing of the plan's is not on the plan, its rows listed for the coordinator to add or reassign.
:func:`credit_tabs` is the one rule: the consolidation and the returns tracker both call it.
"""
from __future__ import annotations

import datetime as dt
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from planbook.core.leads import lead_key, lead_named_by_file
from planbook.core.model import Action
from planbook.rollup.identity import same_action
from planbook.workbook.plan import Plan

@dataclass
class PlanLeads:
    """The plan's leads, as the master has them: each lead's name, tab and actions by Ref."""

    names: dict[str, str] = field(default_factory=dict)  # lead key -> name as the master spells it
    tabs: dict[str, str] = field(default_factory=dict)  # lead key -> the master's tab for them
    by_ref: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # ref -> [(lead key, action text)]

    def __bool__(self) -> bool:
        return bool(self.names)


def plan_leads(masters: list[Plan], copies: list[Plan] = ()) -> PlanLeads:
    """The leads of the plan being rolled up: from its master(s), else (only copies returned)
    from the copies' own Lists and metadata, by name only."""
    leads = PlanLeads()
    for master in masters:
        for sheet, name in master.lead_tabs().items():
            key = lead_key(name)
            leads.names.setdefault(key, name)
            leads.tabs.setdefault(key, sheet)
        tab_owner = {sheet: lead_key(name) for sheet, name in master.lead_tabs().items()}
        for a in master.actions:
            key = tab_owner.get(a.origin.sheet) if a.origin else None
            if key and a.ref:
                leads.by_ref.setdefault(a.ref.strip(), []).append((key, a.action))
    if not masters:
        for copy in copies:
            for lead in [*copy.declared_tabs.values(), *(lead.name for lead in copy.info.leads)]:
                if lead:
                    leads.names.setdefault(lead_key(lead), lead)
    return leads


@dataclass
class TabCredit:
    """Who one tab of a returned copy was credited to, and why."""

    tab: str
    lead: str  # the plan's lead (as the master spells them), or "" when the tab is not on the plan
    declared: str  # whom the metadata gives the copy to ("" if nobody)
    actions: list[Action]
    held: int = 0  # of its rows, how many are the lead's own actions (Ref and text)

    @property
    def by_name(self) -> bool:
        """Credited because the tab kept the name the metadata gives it."""
        return self.held < 0


def credit_tabs(copy: Plan, leads: PlanLeads) -> list[TabCredit]:
    """Each tab of a lead's returned ``copy`` credited to a lead of the plan (see the module's
    rules).  ``copy.tabs`` is set to the result: a tab not on the plan gets "", and the Lead
    the reader filled in from the metadata's guess on its rows is blanked again."""
    declared_owners = {lead_key(lead): lead for lead in copy.declared_tabs.values() if lead}
    declared = next(iter(declared_owners.values()), "") if len(declared_owners) == 1 else ""
    rows: dict[str, list[Action]] = {tab: [] for tab in copy.tabs}
    for a in copy.actions:
        if a.origin and a.origin.sheet in rows:
            rows[a.origin.sheet].append(a)
    credits = []
    for tab, actions in rows.items():
        named = copy.declared_tabs.get(tab, "")
        if named and (not leads or lead_key(named) in leads.names):  # the tab kept its name: the lead's
            credits.append(TabCredit(tab, leads.names.get(lead_key(named), named), declared, actions, -1))
            continue
        score, held = _scores(tab, actions, leads, copy.filled.get(tab, set()))
        best = max(score, key=lambda k: (score[k], k == lead_key(copy.tabs.get(tab) or "")), default=None)
        owner = leads.names[best] if best is not None and score[best] > 0 else ""
        if not leads and copy.tabs.get(tab):  # nothing to compare with: the reader's reading stands
            owner = copy.tabs[tab]
        credits.append(TabCredit(tab, owner, declared, actions, held.get(best, 0) if best else 0))
    for credit in credits:
        guessed = copy.tabs.get(credit.tab, "")
        copy.tabs[credit.tab] = credit.lead
        if guessed and lead_key(guessed) != lead_key(credit.lead or "\0"):
            filled = copy.filled.get(credit.tab, set())
            for a in credit.actions:
                if a.origin and a.origin.row in filled:
                    a.lead = credit.lead  # the reader filled in the guess; the tab's real lead, or nobody
    return credits


def _scores(tab: str, actions: list[Action], leads: PlanLeads, filled: set[int]) -> tuple[Counter, Counter]:
    """For each lead: how strongly the tab is theirs (their actions held, their name in the Lead
    column or as the tab's name), and how many of their actions it holds."""
    score: Counter = Counter()
    held: Counter = Counter()
    for a in actions:
        for key, text in leads.by_ref.get(a.ref.strip(), ()):
            if same_action(text, a.action):
                score[key] += 2
                held[key] += 1
        if a.lead and not (a.origin and a.origin.row in filled):
            key = lead_key(a.lead)
            if key in leads.names:
                score[key] += 1
    key = lead_key(tab)
    named = [k for k, t in leads.tabs.items() if lead_key(t) == key] or ([key] if key in leads.names else [])
    for k in named:
        score[k] += max(len(actions), 1)
    return score, held


def owners(copy: Plan) -> list[str]:
    """The leads a copy is a return of (each once, in tab order)."""
    return list(dict.fromkeys(lead for lead in copy.tabs.values() if lead))


def edited(plan: Plan) -> tuple[dt.date, float]:
    """When a copy was last edited: its newest Last updated, then the file's modified time."""
    newest = max((a.last_updated for a in plan.actions if a.last_updated), default=dt.date.min)
    try:
        mtime = os.stat(plan.path).st_mtime
    except OSError:
        mtime = 0.0
    return newest, mtime


_SAVED_AGAIN = re.compile(r"^(?:copy of )+|(?:\s*[-–]\s*copy|\s*\(\d+\)|\s+\d+)+$", re.I)


def own_return(copy: Plan, key: str) -> bool:
    """Is ``copy`` the lead's own return — the copy made for them, with their tab under the name
    it was given or the file under their name ("Jane Smith (1).xlsx") — not someone else's file
    that holds their tab (a forwarded copy, a colleague's joint return)?"""
    if not any(lead and lead_key(lead) == key for lead in copy.tabs.values()):
        return False
    if any(tab in copy.tabs and lead and lead_key(lead) == key for tab, lead in copy.declared_tabs.items()):
        return True
    stem = _SAVED_AGAIN.sub("", Path(copy.path).stem)
    named = lead_named_by_file(stem, copy.declared_tabs.values())
    return bool(named) and lead_key(named) == key


def rank_returns(copies: list[Plan], key: str) -> list[Plan]:
    """The files holding lead ``key``'s tab, the one to use first: their own return before
    anyone else's file (a lead's own return is never set aside for another's), then the latest
    edits (newest Last updated, then the newer file).  Copies nothing tells apart
    (:func:`alike`) keep the order they were given in: that choice is for a person to check."""
    return sorted(copies, key=lambda p: (own_return(p, key), edited(p)), reverse=True)


def alike(a: Plan, b: Plan, key: str) -> bool:
    """Does nothing tell two copies holding lead ``key``'s tab apart by :func:`rank_returns`'s
    rule — both their own return or neither, the same newest Last updated, saved in the same
    second (two versions attached to one message, saved as it was received)?"""
    (day_a, time_a), (day_b, time_b) = edited(a), edited(b)
    return own_return(a, key) == own_return(b, key) and day_a == day_b and int(time_a) == int(time_b)


def drop_tabs(copy: Plan, tabs: set[str]) -> list[Action]:
    """Take ``tabs`` out of a returned copy (another file is used for them): their actions,
    findings and rows; the actions taken out are returned."""
    gone = [a for a in copy.actions if a.origin and a.origin.sheet in tabs]
    copy.actions = [a for a in copy.actions if not (a.origin and a.origin.sheet in tabs)]
    copy.report.findings = [f for f in copy.report if f.sheet not in tabs]
    copy.tabs = {t: lead for t, lead in copy.tabs.items() if t not in tabs}
    copy.rows_read -= len(gone)
    return gone


def returned_master_lead(copy: Plan, master: Plan, file_stem: str) -> tuple[str, str] | None:
    """A whole master workbook a lead sent back with their tab filled in: (its tab, the lead), or
    None if it cannot be told whose it is.  The file named for a lead is theirs; else the one lead
    tab that differs from the master's."""
    tabs = {sheet: lead for sheet, lead in copy.lead_tabs().items() if lead}
    named = lead_named_by_file(file_stem, tabs.values())
    if named:
        tab = next(t for t, lead in tabs.items() if lead == named)
        return tab, named
    mine = _tab_rows(master)
    differ = [t for t, rows in _tab_rows(copy).items() if t in tabs and rows != mine.get(t)]
    if len(differ) == 1:
        return differ[0], tabs[differ[0]]
    return None


def _tab_rows(plan: Plan) -> dict[str, set[tuple]]:
    rows: dict[str, set[tuple]] = {}
    for a in plan.actions:
        if a.origin:
            rows.setdefault(a.origin.sheet, set()).add((a.ref, a.action, a.lead, a.status_text, a.progress,
                                                        a.last_updated, a.due.text, a.theme))
    return rows


def take_lead_tab(copy: Plan, tab: str, lead: str) -> list[Action]:
    """Make a whole master a lead sent back into their return: only ``tab`` (theirs) stays; the
    actions of its other tabs are taken out and returned."""
    gone = drop_tabs(copy, {t for t in copy.tabs if t != tab})
    copy.role, copy.tabs, copy.declared_tabs = "lead-copy", {tab: lead}, {tab: lead}
    return gone


def lead_part(copy: Plan, key: str) -> tuple[list[Action], list]:
    """The actions and findings of a returned copy that are lead ``key``'s: those on their tab(s),
    and the file's own findings (a joint return holds other leads' tabs too)."""
    tabs = {t for t, lead in copy.tabs.items() if lead and lead_key(lead) == key}
    actions = [a for a in copy.actions if a.origin and a.origin.sheet in tabs]
    findings = [f for f in copy.report if f.sheet in tabs or not f.sheet]
    return actions, findings


@dataclass
class BackupTab:
    """A second copy of a lead's tab kept in the same file: not rolled up."""

    tab: str
    kept: str
    rows: int
    shared: int  # of its Refs, how many the kept tab has too


def drop_backup_tabs(copy: Plan) -> list[BackupTab]:
    """A returned copy holding two tabs of one lead with mostly the same Refs (a backup copy of
    the tab, "Jane Smith (2)"): the tab under the name it was sent with is used (else the one with
    the latest edits, else the first), each other is taken out — counted once, not twice."""
    if sum(1 for lead in copy.tabs.values() if lead) < 2:
        return []  # one lead tab (nearly every copy): no second copy of it
    refs: dict[str, set[str]] = {}
    newest: dict[str, dt.date] = {}
    for a in copy.actions:
        if a.origin and a.ref:
            refs.setdefault(a.origin.sheet, set()).add(a.ref.strip().lower())
            if a.last_updated:
                newest[a.origin.sheet] = max(newest.get(a.origin.sheet, dt.date.min), a.last_updated)
    by_lead: dict[str, list[str]] = {}
    for tab, lead in copy.tabs.items():
        if lead and refs.get(tab):
            by_lead.setdefault(lead_key(lead), []).append(tab)
    out: list[BackupTab] = []
    order = list(copy.tabs)
    for tabs in by_lead.values():
        if len(tabs) < 2:
            continue
        tabs.sort(key=lambda t: (t in copy.declared_tabs, newest.get(t, dt.date.min), -order.index(t)), reverse=True)
        kept = [tabs[0]]
        for tab in tabs[1:]:
            twin = next((k for k in kept if len(refs[tab] & refs[k]) * 2 >= min(len(refs[tab]), len(refs[k]))), None)
            if twin is None:
                kept.append(tab)
                continue
            out.append(BackupTab(tab, twin, sum(1 for a in copy.actions if a.origin and a.origin.sheet == tab),
                                 len(refs[tab] & refs[twin])))
    if out:
        gone = {b.tab for b in out}
        drop_tabs(copy, gone)
        copy.report.findings = [f for f in copy.report if not (f.code == "duplicate-ref"
                                                               and any(f"at {t}!" in f.message for t in gone))]
    return out
