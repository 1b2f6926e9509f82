"""What changed since the previous consolidation: status, due date, new, removed, stale commentary."""
from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .consolidated_reader import read_consolidated
from .model import Action
from .status import COMPLETE, NOT_STARTED, OFF_TRACK, ON_TRACK, SLIPPAGE, normalise_status

# Better is higher.  Not started sits between Slippage and On track: starting late is worse
# than starting, better than slipping.
_RANK = {OFF_TRACK: 0, SLIPPAGE: 1, NOT_STARTED: 2, ON_TRACK: 3, COMPLETE: 4}

STATUS_BETTER, STATUS_WORSE, DUE_MOVED = "Status better", "Status worse", "Due date moved"
NEW, REMOVED, NOT_UPDATED = "New action", "Removed action", "Commentary unchanged"


@dataclass(frozen=True)
class Change:
    kind: str
    ref: str
    lead: str
    action: str
    before: str
    after: str


def read_previous(path: str | os.PathLike[str]) -> dict[str, dict[str, str]]:
    """Ref (folded) -> {header: text} from a previous consolidation's "All actions" sheet(s)."""
    out: dict[str, dict[str, str]] = {}
    for rec in read_consolidated(path).actions:
        ref = rec.get("Ref", "").strip()
        if ref:
            out.setdefault(ref.lower(), rec)
    return out


def compare_with_previous(actions: Sequence[Action], previous: str | os.PathLike[str],
                          full: Callable[[Action], Action] = lambda a: a) -> list[Change]:
    """Changes between ``actions`` and the previous consolidation's actions, by Ref.

    ``full`` gives an action with its texts when they are held on disk (very large runs).
    """
    before = read_previous(previous)
    changes: list[Change] = []
    seen: set[str] = set()
    for a in map(full, actions):
        key = a.ref.strip().lower()
        if not key:
            continue
        seen.add(key)
        old = before.get(key)
        if old is None:
            changes.append(Change(NEW, a.ref, a.lead, a.action, "", a.status_shown))
            continue
        old_status = normalise_status(old.get("Status", ""))
        if old_status in _RANK and a.status in _RANK and old_status != a.status:
            kind = STATUS_BETTER if _RANK[a.status] > _RANK[old_status] else STATUS_WORSE
            changes.append(Change(kind, a.ref, a.lead, a.action, old_status, a.status))
        old_due, new_due = old.get("Due", "").strip(), _due_text(a)
        if old_due != new_due:
            changes.append(Change(DUE_MOVED, a.ref, a.lead, a.action, old_due, new_due))
        old_note = old.get("Progress update", "").strip()
        if a.status != COMPLETE and old_note and old_note == a.progress.strip():
            changes.append(Change(NOT_UPDATED, a.ref, a.lead, a.action, old_note, a.progress))
    for key, old in before.items():
        if key not in seen:
            changes.append(Change(REMOVED, old.get("Ref", key), old.get("Lead", ""), old.get("Action", ""),
                                  old.get("Status", ""), ""))
    return changes


def _due_text(a: Action) -> str:
    """The Due as the consolidated workbook shows it (dates as ISO, phrases as typed)."""
    if a.due.kind == "date" and a.due.end and a.due.text == a.due.end.isoformat():
        return a.due.end.isoformat()
    return a.due.text.strip()
