"""When two rows are the same action: the action texts compared tolerantly, and a Ref a lead
renumbered (3.1 typed as 3.01) recognised by its unchanged text.

One rule, used by the merge (a return's row against the master's), the ownership of returns
(whose actions a tab holds) and the changes since last period (this period's rows against the
previous consolidation's)."""
from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

#: Two action texts at least this similar (after folding case, spaces, punctuation) are one action.
NEAR_SAME = 0.8


def _fold(text: str) -> str:
    return " ".join(re.sub(r"[^\w]+", " ", text.lower()).split())


def same_action(a: str, b: str) -> bool:
    """Are two action texts the same action (equal, or near-same: a typo fixed, a word added)?"""
    if a == b:
        return True
    fa, fb = _fold(a), _fold(b)
    if fa == fb:
        return True
    if not fa or not fb:
        return False
    matcher = difflib.SequenceMatcher(None, fa, fb, autojunk=False)
    return matcher.real_quick_ratio() >= NEAR_SAME and matcher.quick_ratio() >= NEAR_SAME and \
        matcher.ratio() >= NEAR_SAME


def renumbered(old: Iterable[tuple[str, str]], new: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Refs renumbered with the action text unchanged: from (Ref, action text) rows that lost their
    Ref (``old``) and rows with a Ref not met before (``new``), new Ref -> old Ref for each pair
    whose texts are equal once case, spaces and punctuation are folded, and match nothing else (an
    ambiguous text is not guessed).  Near-same texts are not enough here: under another Ref,
    "Action 4.1" and "Action 9.9" are two actions, not a typo."""
    by_text: dict[str, list[str]] = {}
    for ref, text in old:
        if f := _fold(text):
            by_text.setdefault(f, []).append(ref)
    if not by_text:
        return {}
    found: dict[str, str] = {}
    claimed: dict[str, int] = {}
    for ref, text in new:
        refs = by_text.get(_fold(text), [])
        if len(refs) == 1:
            found[ref] = refs[0]
            claimed[refs[0]] = claimed.get(refs[0], 0) + 1
    return {ref: was for ref, was in found.items() if claimed[was] == 1}
