"""What changed since the previous consolidation: each action's direction of travel, the real
changes (status, due date, new, removed, commentary updated) and the actions not updated."""
from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from .consolidated_reader import read_consolidated
from .model import Action
from .status import COMPLETE, NO_STATUS, NOT_STARTED, OFF_TRACK, ON_TRACK, SLIPPAGE, normalise_status
from .ukdate import table_date, uk_text

#: Status order for the direction of travel, worst first.  Not started and no status given
#: share a place (nothing is under way either way), between Slippage and On track: starting
#: late is worse than starting, better than slipping.  A status planbook cannot read counts as
#: no status given.
RANK: dict[str | None, int] = {OFF_TRACK: 0, SLIPPAGE: 1, NOT_STARTED: 2, NO_STATUS: 2, None: 2, ON_TRACK: 3,
                               COMPLETE: 4}

#: The Direction column of All actions (blank without --previous): against the previous
#: consolidation's status, matched by Ref; "new" when the Ref was not in it.
BETTER, WORSE, SAME, NEW_DIRECTION = "↑ better", "↓ worse", "→ same", "new"
DIRECTIONS = (BETTER, WORSE, SAME, NEW_DIRECTION)

STATUS_BETTER, STATUS_WORSE, STATUS_CHANGED = "Status better", "Status worse", "Status changed"
DUE_MOVED, NEW, REMOVED, COMMENTARY = "Due date moved", "New action", "Removed action", "Commentary updated"
#: Not a change: an unfinished action whose commentary is what it was last period (it has not
#: moved for two periods).  Listed after the changes, never counted with them.
NOT_UPDATED = "Not updated"
CHANGE_KINDS = (STATUS_BETTER, STATUS_WORSE, STATUS_CHANGED, DUE_MOVED, NEW, REMOVED, COMMENTARY)


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


def direction(before: str | None, now: str | None) -> str:
    """↑ better, ↓ worse or → same between two normalised statuses (see :data:`RANK`)."""
    b, n = RANK.get(before, 2), RANK.get(now, 2)
    return BETTER if n > b else WORSE if n < b else SAME


def read_previous(path: str | os.PathLike[str]) -> dict[str, dict[str, str]]:
    """Ref (folded) -> {header: text} from a previous consolidation's "All actions" sheet(s)."""
    out: dict[str, dict[str, str]] = {}
    for rec in read_consolidated(path).actions:
        ref = rec.get("Ref", "").strip()
        if ref:
            out.setdefault(ref.lower(), rec)
    return out


def compare(actions: Sequence[Action], previous: str | os.PathLike[str],
            full: Callable[[Action], Action] = lambda a: a) -> Comparison:
    """Each action against the previous consolidation's, by Ref.

    ``full`` gives an action with its texts when they are held on disk (very large runs).
    """
    before = read_previous(previous)
    out = Comparison()
    changes, directions = out.changes, out.directions
    seen: set[str] = set()
    for a in map(full, actions):
        key = a.ref.strip().lower()
        old = before.get(key) if key else None
        if old is None:
            directions.append(NEW_DIRECTION)
            if key and key not in seen:
                changes.append(Change(NEW, a.ref, a.lead, a.action, "", _shown(a)))
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
        old_due, new_due = uk_text(old.get("Due", "").strip()), due_text(a)
        if old_due != new_due:
            changes.append(Change(DUE_MOVED, a.ref, a.lead, a.action, old_due, new_due))
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
