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


#: Beyond this many (lost x new) pairs, only texts equal after folding are paired (near-same
#: texts need a comparison each: kept for the handful a lead renumbers, not a whole new plan).
_NEAR_PAIRS = 20_000


def renumbered(old: Iterable[tuple[str, str]], new: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Refs renumbered with the action text unchanged: from (Ref, action text) rows that lost their
    Ref (``old``) and rows with a Ref not met before (``new``), new Ref -> old Ref for each pair
    whose texts are the same action and match nothing else (an ambiguous text is not guessed)."""
    old = [(ref, _fold(text)) for ref, text in old]
    new = [(ref, _fold(text)) for ref, text in new]
    old, new = [o for o in old if o[1]], [n for n in new if n[1]]
    if not old or not new:
        return {}
    by_text: dict[str, list[str]] = {}
    for ref, text in old:
        by_text.setdefault(text, []).append(ref)
    near = len(old) * len(new) <= _NEAR_PAIRS
    matches: dict[str, list[str]] = {}
    back: dict[str, list[str]] = {}
    for ref, text in new:
        found = by_text.get(text) or ([o for o, g in old if same_action(text, g)] if near else [])
        matches[ref] = found
        for o in found:
            back.setdefault(o, []).append(ref)
    return {ref: found[0] for ref, found in matches.items() if len(found) == 1 and len(back[found[0]]) == 1}
