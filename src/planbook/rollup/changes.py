"""What changed since the previous consolidation: each action's direction of travel, the real
changes (status, due date, new, removed, commentary updated) and the actions not updated."""
from __future__ import annotations

import os
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field

from planbook.core.dates import table_date, uk_text
from planbook.core.direction import (
    BETTER,
    COMMENTARY,
    DUE_MOVED,
    HANDED_OVER,
    NEW,
    NEW_DIRECTION,
    NOT_UPDATED,
    REMOVED,
    RENUMBERED,
    STATUS_BETTER,
    STATUS_CHANGED,
    STATUS_WORSE,
    THEME_MOVED,
    WORSE,
    direction,
)
from planbook.core.leads import lead_key, same_lead
from planbook.core.model import Action, PlanInfo
from planbook.core.status import COMPLETE, NO_STATUS, normalise_status
from planbook.core.themes import theme_key
from planbook.rollup.identity import renumbered
from planbook.workbook.view import read_consolidated


@dataclass(frozen=True)
class Change:
    kind: str
    ref: str
    lead: str
    action: str
    before: str
    after: str


@dataclass
class Comparison:
    """An actions list compared with the previous consolidation."""

    changes: list[Change] = field(default_factory=list)  # real changes only
    not_updated: list[Change] = field(default_factory=list)
    directions: list[str] = field(default_factory=list)  # one per action, in order

    @property
    def actions_changed(self) -> int:
        """How many actions changed (an action with a new status and a new due date is one),
        counting new and removed actions."""
        return len({c.ref.strip().lower() for c in self.changes})


def read_previous(path: str | os.PathLike[str]) -> dict[str, dict[str, str]]:
    """Ref (folded) -> {header: text} from a previous consolidation's "All actions" sheet(s)."""
    out: dict[str, dict[str, str]] = {}
    for rec in read_consolidated(path, exceptions=False).actions:
        ref = rec.get("Ref", "").strip()
        if ref:
            out.setdefault(ref.lower(), rec)
    return out


def compare(actions: Sequence[Action], previous: str | os.PathLike[str] | Mapping[str, dict[str, str]],
            full: Callable[[Action], Action] = lambda a: a, renamed: PlanInfo | None = None,
            apart: Collection[int] = ()) -> Comparison:
    """Each action against the previous consolidation's, by Ref: ``previous`` is its workbook,
    or its All actions rows as :func:`read_previous` gives them (e.g. last period from the history).

    ``full`` gives an action with its texts when they are held on disk (very large runs);
    ``renamed`` the plan whose leads and themes renamed since (:attr:`PlanInfo.renamed`): a
    rename is no hand-over and no move; ``apart`` see :func:`compare_records`.
    """
    before = previous if isinstance(previous, Mapping) else read_previous(previous)
    if renamed is not None and renamed.renamed:
        leads, themes = renamed.renames("lead", lead_key), renamed.renames("theme", theme_key)
        before = {k: {**rec, "Lead": leads.get(lead_key(rec.get("Lead", "")), rec.get("Lead", "")),
                      "Theme": themes.get(theme_key(rec.get("Theme", "")), rec.get("Theme", ""))}
                  for k, rec in before.items()}
    return compare_records(actions, before, full, apart)


def as_record(a: Action) -> dict[str, str]:
    """An action as a consolidated workbook's All actions row shows the fields compared."""
    return {"Ref": a.ref, "Lead": a.lead, "Action": a.action, "Theme": a.theme, "Status": _shown(a) or NO_STATUS,
            "Due": due_text(a), "Progress update": a.progress}


def changes_since_sent(returned: Sequence[Action], sent: Sequence[Action],
                       full: Callable[[Action], Action] = lambda a: a) -> list[Change]:
    """What a lead changed in their return against the copy they were sent (its actions as the
    master has them), by the same rules as the changes since the previous consolidation; an
    action left out of the return is not a change here (the merge keeps and flags it)."""
    before = {}
    for a in map(full, sent):
        if a.ref.strip():
            before.setdefault(a.ref.strip().lower(), as_record(a))
    changes = [c for c in compare_records(returned, before, full).changes if c.kind != REMOVED]
    return changes + [Change(NEW, "", a.lead, a.action, "", _shown(a)) for a in map(full, returned)
                      if not a.ref.strip()]  # a row added without a Ref is new too


def compare_records(actions: Sequence[Action], before: dict[str, dict[str, str]],
                    full: Callable[[Action], Action] = lambda a: a, apart: Collection[int] = ()) -> Comparison:
    """Each action against ``before`` (Ref folded -> All actions row as header -> text).
    ``apart``: actions (indexes) whose Ref another action's record is (two sharing a Ref): new."""
    out = Comparison()
    changes, directions = out.changes, out.directions
    seen: set[str] = set()
    was = _renumbered(actions, before, full)
    old_dues: dict[str, str] = {}  # each Due as typed before, and each Due now, worked out once
    new_dues: dict[int, str] = {}  # (by the Due's identity: a plan's actions share their Dues)
    for i, a in enumerate(map(full, actions)):
        key = a.ref.strip().lower()
        old = before.get(key) if key and i not in apart else None
        if old is None and key in was:  # the same action, renumbered: compared with what it was
            old = before[was[key]]
            seen.add(was[key])
            changes.append(Change(RENUMBERED, a.ref, a.lead, a.action, old.get("Ref", ""), a.ref))
        if old is None:
            directions.append(NEW_DIRECTION)
            if key and (key not in seen or i in apart):
                changes.append(Change(NEW, a.ref, a.lead, a.action, "", _shown(a)))
            if i not in apart:
                seen.add(key)
            continue
        seen.add(key)
        old_status = normalise_status(old.get("Status", ""))
        way = direction(old_status, a.status)
        directions.append(way)
        if old_status != a.status:
            kind = STATUS_BETTER if way == BETTER else STATUS_WORSE if way == WORSE else STATUS_CHANGED
            changes.append(Change(kind, a.ref, a.lead, a.action, old.get("Status", "") or NO_STATUS,
                                  _shown(a)))
        typed = old.get("Due", "")
        old_due = old_dues.get(typed)
        if old_due is None:
            old_due = old_dues[typed] = uk_text(typed.strip())
        new_due = new_dues.get(id(a.due))
        if new_due is None:
            new_due = new_dues[id(a.due)] = due_text(a)
        if old_due != new_due:
            changes.append(Change(DUE_MOVED, a.ref, a.lead, a.action, old_due, new_due))
        old_lead = old.get("Lead", "").strip()
        if old_lead and a.lead and old_lead != a.lead and not same_lead(old_lead, a.lead):
            changes.append(Change(HANDED_OVER, a.ref, a.lead, a.action, old_lead, a.lead))
        old_theme = old.get("Theme", "").strip()
        if old_theme and a.theme and old_theme != a.theme and theme_key(old_theme) != theme_key(a.theme):
            changes.append(Change(THEME_MOVED, a.ref, a.lead, a.action, old_theme, a.theme))
        old_note, note = old.get("Progress update", "").strip(), a.progress.strip()
        if old_note != note:
            changes.append(Change(COMMENTARY, a.ref, a.lead, a.action, old_note, note))
        elif note and a.status != COMPLETE:
            out.not_updated.append(Change(NOT_UPDATED, a.ref, a.lead, a.action, old_note, note))
    for key, old in before.items():
        if key not in seen:
            changes.append(Change(REMOVED, old.get("Ref", key), old.get("Lead", ""), old.get("Action", ""),
                                  old.get("Status", ""), ""))
    return out


def _renumbered(actions: Sequence[Action], before: dict[str, dict[str, str]],
                full: Callable[[Action], Action]) -> dict[str, str]:
    """Ref (folded) -> the previous consolidation's Ref (folded) it was, for actions a lead
    renumbered with the text unchanged (see planbook.rollup.identity.renumbered)."""
    now = {a.ref.strip().lower() for a in actions}
    lost = [(key, rec.get("Action", "")) for key, rec in before.items() if key not in now]
    if not lost:
        return {}
    new = [(key, full(a).action) for a in actions if (key := a.ref.strip().lower()) and key not in before]
    return renumbered(lost, new)


def compare_with_previous(actions: Sequence[Action], previous: str | os.PathLike[str],
                          full: Callable[[Action], Action] = lambda a: a) -> list[Change]:
    """The real changes between ``actions`` and the previous consolidation (see :func:`compare`)."""
    return compare(actions, previous, full).changes


def due_text(a: Action) -> str:
    """The Due as a person reads it in the consolidated workbook: a date as 30/09/2009, a phrase as typed."""
    if a.due.kind == "date" and a.due.end and a.due.text == a.due.end.isoformat():
        return table_date(a.due.end)
    return uk_text(a.due.text.strip())


def _shown(a: Action) -> str:
    """The Status as the consolidated workbook shows it (a blank one as "No status given")."""
    return a.status if a.status is not None else a.status_text
