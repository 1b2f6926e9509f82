"""The next free Ref: one rule for every action planbook numbers or asks a lead to number.

An imported action with no number of its own (:class:`planbook.legacy.refs.RefMaker`) and a row a
lead added to their return without a Ref (the suggestion their receipt and reminder make) are
both given the number after the last one their section uses (``1.3`` -> ``1.4``, ``A19`` ->
``A20``, ``CYP-09`` -> ``CYP-10``), never a Ref another action of the plan has.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

#: A Ref as its section and its last number: "2.3" -> ("2.", "3"), "CYP-09" -> ("CYP-", "09").
_LAST_NUMBER = re.compile(r"(.*?)(\d+)([a-z]?)", re.I)


def section_of(ref: str) -> str:
    """What comes before a Ref's last number ("2.3" -> "2.", "A19" -> "A", "7" -> ""); "" when
    it has no number."""
    m = _LAST_NUMBER.fullmatch(ref.strip())
    return m.group(1) if m else ""


def highest_in_section(prefix: str, refs: Iterable[str]) -> tuple[int, int]:
    """(the highest number, its width) of the Refs that are ``prefix`` then a number (and maybe a
    letter: 2.3a counts as 3); (0, 1) when there are none."""
    best, width = 0, 1
    for ref in refs:
        m = _LAST_NUMBER.fullmatch(ref.strip())
        if m and m.group(1).casefold() == prefix.casefold():
            n = int(m.group(2))
            if n > best:
                best, width = n, len(m.group(2))
    return best, width


def next_free_ref(prefix: str, taken: Iterable[str], at_least: int = 1, width: int = 1, *,
                  folded: bool = False) -> str:
    """``prefix`` + the first number from ``at_least`` that no Ref in ``taken`` has (compared
    without case), written with at least ``width`` digits ("CYP-" 10 -> "CYP-10").  ``folded``:
    ``taken`` is a set of Refs already trimmed and case-folded (no copy made: many calls)."""
    used = taken if folded and isinstance(taken, (set, frozenset)) else {t.strip().casefold() for t in taken}
    n = max(at_least, 1)
    while f"{prefix}{n:0{width}d}".casefold() in used:
        n += 1
    return f"{prefix}{n:0{width}d}"


def ref_after(last: str, taken: Iterable[str], *, folded: bool = False,
              highest: dict[str, tuple[int, int]] | None = None) -> str:
    """The Ref to suggest for an action added after ``last`` (the lead's last Ref above it, "" for
    none): the number after the highest in ``last``'s section, not taken.  For many suggestions
    in a row, pass ``taken`` as a set of folded Refs (``folded``) and add each suggestion to it,
    and a ``highest`` dict that remembers each section's highest number between calls."""
    prefix = section_of(last)
    if highest is not None and prefix in highest:
        best, width = highest[prefix]
    else:
        best, width = highest_in_section(prefix, taken)
    ref = next_free_ref(prefix, taken, best + 1, width, folded=folded)
    if highest is not None:
        highest[prefix] = (int(ref[len(prefix):]), width)
    return ref
