"""The sentences every output prints about the plan's figures, in one wording: the Word report,
the email and the command line say the same thing in the same words.

Committee prose: every action is in exactly one part of a sentence (the parts add up to the
total), no part is printed with nothing in it ("0 are off track"), and no sheet or product name.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

from planbook.core.attention import FLAGGED, MISSING, NOT_UPDATED, OVERDUE, Attention
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


def summary_sentence(counts: Mapping[str, int], total: int) -> str:
    """"Of the 122 actions, 100 are complete or on track, 9 show slippage, 6 are off track and 6
    have not started; 1 has an unrecognised status." from counts by line of
    :data:`planbook.core.status.COUNT_LINES`.  Every action is in exactly one part."""
    if not total:
        return "The plan has no actions."
    good = counts.get(COMPLETE, 0) + counts.get(ON_TRACK, 0)
    main = [(good, "is complete or on track", "are complete or on track"),
            (counts.get(SLIPPAGE, 0), "shows slippage", "show slippage"),
            (counts.get(OFF_TRACK, 0), "is off track", "are off track"),
            (counts.get(NOT_STARTED, 0), "has not started", "have not started")]
    rest = [(counts.get(NO_STATUS, 0), "has no status given", "have no status given"),
            (counts.get(NOT_RECOGNISED, 0), "has an unrecognised status", "have unrecognised statuses")]
    said = [joined([f"{n:,} {one if n == 1 else many}" for n, one, many in part if n]) for part in (main, rest)]
    return f"Of the {counted(total, 'action', 'actions')}, " + "; ".join(s for s in said if s) + "."


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
