"""The next free Ref: one rule for every action planbook numbers or asks a lead to number.

An imported action with no number of its own (:class:`planbook.legacy.refs.RefMaker`) is given
the number after the last one its section uses (``1.3`` -> ``1.4``, ``A19`` -> ``A20``,
``CYP-09`` -> ``CYP-10``), never a Ref another action of the plan has.  A row a lead added
without a Ref takes the section of the actions it belongs with (:func:`section_for`) and the
number after that section's highest: the Ref their receipt and reminder suggest is the one roll
forward gives it.
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

from planbook.core.leads import lead_key
from planbook.core.model import Action
from planbook.core.text import same_words
from planbook.core.themes import theme_key

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


#: A Ref ending in a number, as its section and that number: "3.11" -> ("3.", "11").
_ENDS_IN_NUMBER = re.compile(r"^(.*?)(\d+)$")


def ref_prefix(ref: str) -> str | None:
    """"3." of "3.11", "N" of "N2"; None for a Ref not ending in a number ("4.2a")."""
    m = _ENDS_IN_NUMBER.match(ref.strip())
    return m.group(1) if m else None


def related(a: Action, b: Action) -> bool:
    """Do two actions belong together (the same objective, or the same lead in the same theme)?"""
    return (bool(a.objective.strip()) and same_words(a.objective, b.objective)) or (
        theme_key(a.theme) == theme_key(b.theme) and lead_key(a.lead) == lead_key(b.lead))


def section_for(a: Action, existing: Sequence[Action]) -> str:
    """The section a new action's Ref takes: that of the actions under the same objective, else
    of the lead's actions in the theme, else of the theme's actions, else "N".  The one rule for
    a lead's new row: the Ref the reminder and receipt suggest is the one roll forward gives."""
    for test in (lambda b: bool(a.objective.strip()) and same_words(a.objective, b.objective),
                 lambda b: related(a, b),
                 lambda b: bool(a.theme) and theme_key(a.theme) == theme_key(b.theme)):
        prefixes = Counter(p for b in existing if test(b) and (p := ref_prefix(b.ref)) is not None)
        if prefixes:
            return prefixes.most_common(1)[0][0]
    return "N"


def next_in_section(prefix: str, taken: set[str]) -> str:
    """The next free number in a section, after the highest used there (``taken``: Refs trimmed
    and in lower case, to which the caller adds each one given)."""
    used = [int(m.group(2)) for k in taken if (m := _ENDS_IN_NUMBER.match(k)) and m.group(1) == prefix.lower()]
    n = max(used, default=0) + 1
    while f"{prefix}{n}".strip().lower() in taken:
        n += 1
    return f"{prefix}{n}"
