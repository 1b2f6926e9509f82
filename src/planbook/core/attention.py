"""What "needs attention" is made of: the words of each reason an action is on the Exceptions
sheet, and the parts of the one attention count.

:func:`planbook.rollup.attention.find_exceptions` decides which actions need attention and
writes their reasons with these words; everything that reports the count (the command line,
``consolidate --json``, the Word report, the email) counts it with :func:`attention_of` over
those reasons, read back from the Exceptions sheet's Why column when only the workbook is at
hand, never deciding again.  Each action is counted once, under its first reason, so the parts
add up to the count.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from planbook.core.dates import table_date
from planbook.core.status import NO_STATUS, NOT_RECOGNISED, OFF_TRACK, SLIPPAGE

OVERDUE = "Overdue"
NOT_UPDATED = "Not updated this period"
MISSING = "Details missing"
#: A row the merge flagged (a Ref collision, a row not in the lead's return, a stale copy).
FLAGGED = "Flagged for checking"
#: The parts of the attention count, most serious first: the order of the reasons in a Why.
PARTS: tuple[str, ...] = (OFF_TRACK, SLIPPAGE, OVERDUE, NOT_UPDATED, MISSING, NOT_RECOGNISED, NO_STATUS, FLAGGED)
_SEP = "; "


def overdue_reason(deadline: dt.date) -> str:
    """"Overdue (due 30/09/2009)"."""
    return f"{OVERDUE} (due {table_date(deadline)})"


def missing_reason(fields: Sequence[str]) -> str:
    """"Missing Ref, Action": the required fields a row leaves empty."""
    return "Missing " + ", ".join(fields)


def not_recognised_reason(text: str) -> str:
    """"Status not recognised (Green-ish)", with the status as typed."""
    return f"{NOT_RECOGNISED} ({text})"


def why(reasons: Sequence[str]) -> str:
    """An action's reasons as one Why text, in the order they were found (see :data:`PARTS`)."""
    return _SEP.join(reasons)


def part_of(why_text: str) -> str:
    """The part of :data:`PARTS` an action with this Why counts on: its first reason's."""
    first = why_text.split(_SEP, 1)[0].strip()
    if first in (OFF_TRACK, SLIPPAGE, NOT_UPDATED, NO_STATUS):
        return first
    if first.startswith(OVERDUE + " (due "):
        return OVERDUE
    if first.startswith("Missing "):
        return MISSING
    if first.startswith(NOT_RECOGNISED + " ("):
        return NOT_RECOGNISED
    return FLAGGED


def severity(why_text: str) -> int:
    """0 for off track, 1 for slippage, … (the place of :func:`part_of` in :data:`PARTS`): for
    listing the actions most serious first."""
    return PARTS.index(part_of(why_text))


@dataclass(frozen=True)
class Attention:
    """How many actions need attention, and that count in parts (every part of :data:`PARTS`,
    zeros included; they sum to ``total``)."""

    total: int
    parts: dict[str, int]

    def present(self) -> list[tuple[str, int]]:
        """The parts with actions, most serious first."""
        return [(p, n) for p, n in self.parts.items() if n]


def attention_of(whys: Iterable[str]) -> Attention:
    """The attention count and its parts from each listed action's Why."""
    counts = Counter(part_of(w) for w in whys)
    return Attention(sum(counts.values()), {p: counts.get(p, 0) for p in PARTS})


#: What a listed action's status (and overdue mark) does not already say about why it is listed.
_MARKS = {NOT_UPDATED: "not updated this period", MISSING: "details missing", FLAGGED: "flagged for checking"}


def attention_mark(why_text: str) -> str:
    """Why an action is listed, when its status and overdue mark do not show it ("not updated
    this period", "details missing", "flagged for checking"), else ""."""
    return _MARKS.get(part_of(why_text), "")
