"""Plan maintenance between periods: leads and themes added, renamed or merged, actions moved
to another lead, retired or reopened.

Each change is made everywhere the plan holds the name — actions, the Lists sheet (and so the
drop-downs), the tab names, the history, the retired actions — and the plan is written again
whole (see :mod:`planbook.workbook.edit`), so it stays as valid as a new one.  Every function
reads the plan at ``path`` and writes it to ``out`` (default: in place), returning the plan as
written.  A change that cannot be made (a name not in the plan, a merge into itself) is a
:class:`~planbook.core.errors.PlanbookError` naming what to do instead; nothing is written then.
"""
from __future__ import annotations

import os
from collections.abc import Iterable

from planbook.core.errors import PlanbookError
from planbook.core.layout import NO_LEAD
from planbook.core.leads import lead_key
from planbook.core.model import Action, Lead
from planbook.core.text import clean_text
from planbook.core.themes import theme_key
from planbook.workbook.edit import open_for_edit, save_plan
from planbook.workbook.history import History, HistoryRow, key
from planbook.workbook.plan import Plan
from planbook.workbook.writer import check_email

Path = str | os.PathLike[str]


def _name(text: str, what: str) -> str:
    name = " ".join(clean_text(text).split())
    if not name:
        raise PlanbookError(f"the {what} name is blank")
    if what == "lead" and lead_key(name) == lead_key(NO_LEAD):  # it would get no tab and no copy
        raise PlanbookError(f"{name!r} is what planbook calls actions without a lead: give the lead's own name")
    return name


def _everything(plan: Plan) -> list[Action]:
    return [*plan.actions, *plan.retired]


def _lead_in(plan: Plan, name: str) -> Lead | None:
    return next((lead for lead in plan.info.leads if lead_key(lead.name) == lead_key(name)), None)


def _leads_named(plan: Plan) -> str:
    return ", ".join(lead.name for lead in plan.info.leads) or "none"


def add_lead(path: Path, name: str, email: str = "", *, out: Path | None = None, overwrite: bool = False) -> Plan:
    """A new lead: on the Lists sheet (with their email address) and a tab of their own, with
    everything a tab has (table, drop-downs, colours, protection)."""
    plan = open_for_edit(path)
    name = _name(name, "lead")
    if _lead_in(plan, name) is not None:
        raise PlanbookError(f"{name!r} is already a lead of the plan")
    email = email.strip()
    if email:
        check_email(email, name)  # one bare address, as for the coordinator
    plan.info.leads.append(Lead(name, email))
    save_plan(plan, out, overwrite=overwrite)
    return plan


def set_lead_email(path: Path, name: str, email: str, *, out: Path | None = None, overwrite: bool = False) -> Plan:
    """Change a lead's email address on the Lists sheet."""
    plan = open_for_edit(path)
    lead = _lead_in(plan, name)
    if lead is None:
        raise PlanbookError(f"{name!r} is not a lead of the plan (its leads: {_leads_named(plan)})")
    if email.strip():
        check_email(email.strip(), lead.name)
    plan.info.leads = [Lead(x.name, email.strip()) if x is lead else x for x in plan.info.leads]
    save_plan(plan, out, overwrite=overwrite)
    return plan


def rename_lead(path: Path, old: str, new: str, *, out: Path | None = None, overwrite: bool = False,
                merge: bool = False) -> Plan:
    """Rename a lead everywhere (actions, Lists, the tab, the history).  With ``merge``, ``old``'s
    actions join ``new``'s, who must be a lead already (their email address is kept, else old's)."""
    plan = open_for_edit(path)
    new = _name(new, "lead")
    was = _lead_in(plan, old)
    named = [a for a in _everything(plan) if lead_key(a.lead) == lead_key(old)]
    if was is None and not named:
        raise PlanbookError(f"{old!r} is not a lead of the plan (its leads: {_leads_named(plan)})")
    into = _lead_in(plan, new)
    if lead_key(old) == lead_key(new) and old.strip() == new:
        raise PlanbookError(f"{old!r} is already called that")
    if into is not None and into is not was and not merge:
        raise PlanbookError(f"{new!r} is already a lead of the plan: to put {old!r}'s actions with theirs, "
                            f"merge the leads (planbook lead merge)")
    if merge and (into is None or into is was):
        raise PlanbookError(f"{new!r} is not another lead of the plan to merge into (its leads: {_leads_named(plan)})")
    for a in named:
        a.lead = into.name if merge else new
    leads = []
    for lead in plan.info.leads:
        if lead is was:
            if merge:
                continue
            lead = Lead(new, lead.email)
        elif merge and lead is into and not lead.email and was is not None:
            lead = Lead(lead.name, was.email)
        leads.append(lead)
    plan.info.leads = leads
    target = into.name if merge else new
    if not merge:  # a rename, not a hand-over (a merge is one: its actions go to another lead)
        _renamed(plan, "lead", was.name if was is not None else old.strip(), new)
    _rename_in_history(plan.history, "lead", old, target)
    save_plan(plan, out, overwrite=overwrite)
    return plan


def _renamed(plan: Plan, kind: str, old: str, new: str) -> None:
    """Remember this period's rename (:attr:`planbook.core.model.PlanInfo.renamed`); a name
    renamed twice keeps its first name, pointing at its latest."""
    entries = [(k, was, new if k == kind and now == old else now) for k, was, now in plan.info.renamed]
    if not any(k == kind and now == new for k, _, now in entries):
        entries.append((kind, old, new))
    plan.info.renamed = entries


def merge_leads(path: Path, old: str, into: str, *, out: Path | None = None, overwrite: bool = False) -> Plan:
    """Put ``old``'s actions with ``into``'s, and take ``old`` off the plan."""
    return rename_lead(path, old, into, out=out, overwrite=overwrite, merge=True)


def rename_theme(path: Path, old: str, new: str, *, heading: str | None = None, out: Path | None = None, overwrite: bool = False,
                 merge: bool = False) -> Plan:
    """Rename a theme everywhere (actions, Lists, the history); ``heading`` keeps the full section
    heading the short name stands for.  With ``merge``, ``old``'s actions join theme ``new``."""
    plan = open_for_edit(path)
    new = _name(new, "theme")
    themes = plan.info.themes
    was = next((t for t in themes if theme_key(t) == theme_key(old)), None)
    named = [a for a in _everything(plan) if theme_key(a.theme) == theme_key(old)]
    if was is None and not named:
        raise PlanbookError(f"{old!r} is not a theme of the plan (its themes: {', '.join(themes) or 'none'})")
    into = next((t for t in themes if theme_key(t) == theme_key(new)), None)
    if into is not None and into != was and not merge:
        raise PlanbookError(f"{new!r} is already a theme of the plan: to put {old!r}'s actions under it, merge the "
                            "themes (planbook theme merge)")
    if merge and (into is None or into == was):
        raise PlanbookError(f"{new!r} is not another theme of the plan to merge into (its themes: {', '.join(themes)})")
    target = into if merge else new
    for a in named:
        a.theme = target
    plan.info.themes = list(dict.fromkeys(target if t == was else t for t in themes if not (merge and t == was)))
    headings = plan.info.theme_headings
    if was in headings:
        kept = headings.pop(was)
        if not merge:
            headings[new] = kept
    if heading:
        headings[target] = " ".join(clean_text(heading).split())
    if not merge:
        _renamed(plan, "theme", was or old.strip(), new)
    _rename_in_history(plan.history, "theme", old, target)
    save_plan(plan, out, overwrite=overwrite)
    return plan


def merge_themes(path: Path, old: str, into: str, *, out: Path | None = None, overwrite: bool = False) -> Plan:
    """Put ``old``'s actions under theme ``into``, and take ``old`` off the plan."""
    return rename_theme(path, old, into, out=out, overwrite=overwrite, merge=True)


def _rename_in_history(history: History, field: str, old: str, new: str) -> None:
    same = (lambda a, b: lead_key(a) == lead_key(b)) if field == "lead" else (lambda a, b: theme_key(a) == theme_key(b))
    for k, row in list(history.rows.items()):
        if same(getattr(row, field), old):
            history.rows[k] = HistoryRow(row.ref, row.theme if field != "theme" else new,
                                         row.lead if field != "lead" else new, row.action, row.statuses, row.updates)


def _find(plan: Plan, refs: Iterable[str], where: list[Action], what: str) -> list[Action]:
    wanted = [r.strip() for r in refs if r.strip()]
    if not wanted:
        raise PlanbookError("give the Ref of at least one action")
    found = []
    for ref in wanted:
        hits = [a for a in where if key(a.ref) == key(ref)]
        if not hits:
            raise PlanbookError(f"no action {ref} {what}")
        if len(hits) > 1:
            raise PlanbookError(f"Ref {ref} is used by {len(hits)} actions: renumber them first")
        found.append(hits[0])
    return found


def move_action(path: Path, refs: str | Iterable[str], to_lead: str, *, out: Path | None = None,
                overwrite: bool = False) -> Plan:
    """Hand actions to another lead (already on the plan): they move to that lead's tab.  The
    history keeps the lead who had them last period (the next consolidation records the new one,
    and says the hand-over on its Changes sheet)."""
    plan = open_for_edit(path)
    lead = _lead_in(plan, to_lead)
    if lead is None:
        raise PlanbookError(f"{to_lead!r} is not a lead of the plan (its leads: {_leads_named(plan)}): add them "
                            "first (planbook lead add)")
    for a in _find(plan, [refs] if isinstance(refs, str) else refs, plan.actions, "on the leads' tabs"):
        a.lead = lead.name
    save_plan(plan, out, overwrite=overwrite)
    return plan


def retire_actions(path: Path, refs: str | Iterable[str], *, out: Path | None = None, overwrite: bool = False) -> Plan:
    """Take actions out of the leads' tabs (and so their copies) onto the Retired actions sheet;
    their history stays."""
    plan = open_for_edit(path)
    gone = _find(plan, [refs] if isinstance(refs, str) else refs, plan.actions, "on the leads' tabs")
    plan.actions = [a for a in plan.actions if not any(a is g for g in gone)]
    plan.retired.extend(gone)
    save_plan(plan, out, overwrite=overwrite)
    return plan


def reopen_actions(path: Path, refs: str | Iterable[str], *, out: Path | None = None, overwrite: bool = False) -> Plan:
    """Put retired actions back on their lead's tab."""
    plan = open_for_edit(path)
    back = _find(plan, [refs] if isinstance(refs, str) else refs, plan.retired, "among the retired actions")
    live = {key(a.ref) for a in plan.actions}
    clash = [a.ref for a in back if key(a.ref) in live]
    if clash:
        raise PlanbookError(f"Ref {clash[0]} is used on a lead's tab now: renumber that action first")
    plan.retired = [a for a in plan.retired if not any(a is b for b in back)]
    plan.actions.extend(back)
    save_plan(plan, out, overwrite=overwrite)
    return plan
