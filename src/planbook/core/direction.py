"""Direction of travel and the kinds of change: one set of words for every output."""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from planbook.core.status import (
    COMPLETE,
    NO_STATUS,
    NOT_STARTED,
    OFF_TRACK,
    ON_TRACK,
    SLIPPAGE,
)

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
#: moved for two periods).  Listed after the changes, never counted with them.  Not "not updated
#: this period" (planbook.core.attention), which asks whether the lead touched it at all.
NOT_UPDATED = "Commentary unchanged"
#: What consolidated workbooks before 8 December 2026 called it (still read).
_NOT_UPDATED_BEFORE = "Not updated"


def is_unchanged(kind: str) -> bool:
    """Is this Changes row's kind "commentary unchanged" (as this version or an older one wrote it)?"""
    return kind.strip().lower() in (NOT_UPDATED.lower(), _NOT_UPDATED_BEFORE.lower())


#: An action handed to another lead, moved to another theme, or renumbered by its lead (the
#: text unchanged: the same action, matched by planbook.rollup.identity.renumbered).
HANDED_OVER, THEME_MOVED, RENUMBERED = "Handed over", "Theme changed", "Ref renumbered"


CHANGE_KINDS = (STATUS_BETTER, STATUS_WORSE, STATUS_CHANGED, DUE_MOVED, HANDED_OVER, THEME_MOVED, NEW, REMOVED,
                RENUMBERED, COMMENTARY)


def direction(before: str | None, now: str | None) -> str:
    """↑ better, ↓ worse or → same between two normalised statuses (see :data:`RANK`)."""
    b, n = RANK.get(before, 2), RANK.get(now, 2)
    return BETTER if n > b else WORSE if n < b else SAME


def direction_of_change(kind: str) -> str | None:
    """The direction an action took from the kind of its change on the Changes sheet (for a
    workbook without the Direction column): ↑ better, ↓ worse, new, or ``None``."""
    return {STATUS_BETTER.lower(): BETTER, STATUS_WORSE.lower(): WORSE, NEW.lower(): NEW_DIRECTION}.get(
        kind.strip().lower())


def theme_direction(values: Iterable[str]) -> str:
    """A group's direction (a theme's) from its actions' directions: the arrow and word of the
    balance of better and worse, with how many went each way; "new" when all are new; "" for
    no actions."""
    c = Counter(values)
    up, down = c.get(BETTER, 0), c.get(WORSE, 0)
    if not c:
        return ""
    if up == down == 0 and c.get(NEW_DIRECTION, 0) == sum(c.values()):
        return NEW_DIRECTION
    word = BETTER if up > down else WORSE if down > up else SAME
    moved = ", ".join(f"{n} {way}" for n, way in ((up, "up"), (down, "down")) if n)  # never "0 up"
    return f"{word} ({moved})" if moved else word


def count_directions(values: Iterable[str]) -> dict[str, int]:
    """How many actions went each way, for every word of :data:`DIRECTIONS` (zeros included)."""
    c = Counter(v.strip() for v in values)
    return {d: c.get(d, 0) for d in DIRECTIONS}
