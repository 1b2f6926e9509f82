"""The plan's order: Refs compared as numbers (1.2 before 1.10), actions in theme order."""
from __future__ import annotations

import re
from collections.abc import Sequence

from planbook.core.model import Action
from planbook.core.themes import theme_key


def ref_key(ref: str) -> str:
    """Sort key for refs as a plan numbers them: 3.9 before 3.10, 4.2 before 4.2a.

    A compact string (numbers zero-padded, words after numbers), so sorting a million actions
    does not hold a million nested tuples.
    """
    parts = ref.split(".")
    if ref.isascii() and "".join(parts).isdecimal() and "" not in parts:
        return ".".join([part.zfill(9) for part in parts])  # the usual "3.10": quick
    return ".".join(f"{int(part):09d}" if part.isdecimal() else "~" + part.lower()
                    for part in _REF_PARTS.findall(ref))


_REF_PARTS = re.compile(r"\d+|[^\d.\s]+")


def plan_order(actions: Sequence[Action], themes: Sequence[str]) -> list[Action]:
    """Actions as the plan reads: by theme (the plans' Lists order, then as met), then by Ref.

    Sorted theme by theme, so sort keys exist for one theme's actions at a time (memory).
    """
    groups: dict[str, list[Action]] = {theme_key(theme): [] for theme in themes}
    group_of: dict[str, list[Action]] = {}  # each theme as written -> its group (themes repeat)
    for a in actions:
        group = group_of.get(a.theme)
        if group is None:
            group = group_of[a.theme] = groups.setdefault(theme_key(a.theme), [])
        group.append(a)
    ordered: list[Action] = []
    for group in groups.values():
        group.sort(key=_action_key)
        ordered += group
    return ordered


def _action_key(action: Action) -> str:
    return ref_key(action.ref) if action.ref else "\x7f"  # actions without a Ref last
