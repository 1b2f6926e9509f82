"""The sentences every output prints about the plan's figures, in one wording: the Word report,
the email and the command line say the same thing in the same words.

Committee prose: every action is in exactly one part of a sentence (the parts add up to the
total), no part is printed with nothing in it ("0 are off track"), and no sheet or product name.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

from planbook.core.attention import FLAGGED, MISSING, NOT_UPDATED, OVERDUE, Attention
from planbook.core.direction import (
    COMMENTARY,
    DUE_MOVED,
    HANDED_OVER,
    NEW,
    REMOVED,
    RENUMBERED,
    STATUS_BETTER,
    STATUS_CHANGED,
    STATUS_WORSE,
    THEME_MOVED,
)
from planbook.core.status import (
    COMPLETE,
    NO_STATUS,
    NOT_RECOGNISED,
    NOT_STARTED,
    OFF_TRACK,
    ON_TRACK,
    SLIPPAGE,
)


def counted(n: int, one: str, many: str) -> str:
    """"1 action" / "12 actions" (thousands with commas)."""
    return f"{n:,} {one if n == 1 else many}"


def joined(parts: Sequence[str], last: str = " and ") -> str:
    """"a", "a and b", "a, b and c"."""
    if len(parts) < 2:
        return "".join(parts)
    return ", ".join(parts[:-1]) + last + parts[-1]


def summary_sentence(counts: Mapping[str, int], total: int, retired: int = 0) -> str:
    """"Of the 122 actions, 100 are complete or on track, 9 show slippage, 6 are off track and 6
    have not started; 1 has an unrecognised status." from counts by line of
    :data:`planbook.core.status.COUNT_LINES`.  Every action is in exactly one part.  ``retired``
    actions (complete, taken out of the plan) are said apart, so fewer actions than last period
    do not read as a decline."""
    also = (f" A further {counted(retired, 'complete action has', 'complete actions have')} been retired from the "
            "plan and {} not counted here.".format("is" if retired == 1 else "are")
            if retired else "")
    if not total:
        return "The plan has no actions." + also
    good = counts.get(COMPLETE, 0) + counts.get(ON_TRACK, 0)
    main = [(good, "is complete or on track", "are complete or on track"),
            (counts.get(SLIPPAGE, 0), "shows slippage", "show slippage"),
            (counts.get(OFF_TRACK, 0), "is off track", "are off track"),
            (counts.get(NOT_STARTED, 0), "has not started", "have not started")]
    rest = [(counts.get(NO_STATUS, 0), "has no status given", "have no status given"),
            (counts.get(NOT_RECOGNISED, 0), "has an unrecognised status", "have unrecognised statuses")]
    said = [joined([f"{n:,} {one if n == 1 else many}" for n, one, many in part if n]) for part in (main, rest)]
    return f"Of the {counted(total, 'action', 'actions')}, " + "; ".join(s for s in said if s) + "." + also


#: How each part of the attention count is said.
_PART_WORDS = {OFF_TRACK: "off track", SLIPPAGE: "slippage", OVERDUE: "overdue", NOT_UPDATED: "not updated this period",
               MISSING: "with details missing", NOT_RECOGNISED: "with an unrecognised status",
               NO_STATUS: "with no status given", FLAGGED: "flagged for checking"}


def attention_sentence(attention: Attention) -> str:
    """"49 actions need attention: 6 off track, 9 slippage, 27 overdue, 6 not updated this period
    and 1 with details missing (each counted once, under the first of these that applies)."."""
    n = attention.total
    if not n:
        return "No action needs attention."
    parts = attention.present()
    text = (f"{counted(n, 'action needs', 'actions need')} attention: "
            + joined([f"{k:,} {_PART_WORDS[p]}" for p, k in parts]))
    return text + (" (each counted once, under the first of these that applies)." if len(parts) > 1 else ".")


def direction_sentence(moves: Mapping[str, int], total: int) -> str:
    """"Against the last report, 7 are ↑ better, 6 ↓ worse, 116 → same and 4 new." from how many
    actions went each way (:func:`planbook.core.direction.count_directions`); the actions without
    a direction are said too, so the parts add up to ``total``."""
    parts = [(n, d) for d, n in moves.items() if n]
    if not parts:
        return ""
    said = [f"{n:,} {'is' if n == 1 else 'are'} {d}" if i == 0 else f"{n:,} {d}" for i, (n, d) in enumerate(parts)]
    text = "Against the last report, " + joined(said)
    other = total - sum(n for n, _ in parts)
    return text + (f"; {other:,} without a direction." if other > 0 else ".")


def deadline_sentence(on_track: int, with_deadline: int, total: int) -> str:
    """"Of the 119 actions with a deadline, 89 are complete or on track and 30 are not; the other 14
    have no fixed deadline (ongoing, repeating or not yet set)."  Every action is in one part."""
    if not with_deadline:
        return ""
    behind, rest = with_deadline - on_track, total - with_deadline
    if on_track and behind:
        text = (f"Of the {counted(with_deadline, 'action', 'actions')} with a deadline, {on_track:,} "
                f"{'is' if on_track == 1 else 'are'} complete or on track and {behind:,} {'is' if behind == 1 else 'are'} not")
    elif on_track:
        text = ("The one action with a deadline is complete or on track" if on_track == 1 else
                f"All {on_track:,} actions with a deadline are complete or on track")
    else:
        text = ("The one action with a deadline is not complete or on track" if behind == 1 else
                f"None of the {behind:,} actions with a deadline is complete or on track")
    if rest > 0:
        text += (f"; the other {rest:,} {'has' if rest == 1 else 'have'} no fixed deadline "
                 "(ongoing, repeating or not yet set)")
    return text + "."


def changes_sentence(kinds: Mapping[str, int]) -> str:
    """"Since the last report, 13 actions changed status (7 better and 6 worse), 4 actions were
    added and 2 were removed." from how many changes of each kind
    (:data:`planbook.core.direction.CHANGE_KINDS`) are listed; "" when none is."""
    better, worse, other = (kinds.get(k, 0) for k in (STATUS_BETTER, STATUS_WORSE, STATUS_CHANGED))
    clauses = []
    ways = [(n, w) for n, w in ((better, "better"), (worse, "worse"), (other, "neither better nor worse")) if n]
    if len(ways) > 1:
        clauses.append(f"{counted(better + worse + other, 'action', 'actions')} changed status ("
                       + joined([f"{n:,} {w}" for n, w in ways]) + ")")
    elif ways:
        (n, w), = ways
        clauses.append(f"{counted(n, 'action', 'actions')} changed status "
                       + (f"for the {w}" if w in ("better", "worse") else f"({w})"))
    for kind, one, many in ((NEW, "action was added", "actions were added"),
                            (REMOVED, "action was removed", "actions were removed"),
                            (DUE_MOVED, "action's due date moved", "actions' due dates moved"),
                            (HANDED_OVER, "action was handed to another lead", "actions were handed to other leads"),
                            (THEME_MOVED, "action moved to another theme", "actions moved to other themes"),
                            (RENUMBERED, "action was renumbered", "actions were renumbered"),
                            (COMMENTARY, "action's commentary was updated", "actions' commentary was updated")):
        if kinds.get(kind, 0):
            clauses.append(counted(kinds[kind], one, many))
    return "Since the last report, " + joined(clauses) + "." if clauses else ""
