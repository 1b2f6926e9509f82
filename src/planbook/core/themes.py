"""Which theme an action is in: the one rule for telling two spellings of a theme apart."""
from __future__ import annotations

from planbook.core.text import folded


def theme_key(theme: str) -> str:
    """What two spellings of one theme share: spaces collapsed, case folded. ``"Young  people "``
    and ``"young people"`` are one theme, in the plan's order, its Lists check and its changes."""
    return folded(theme)
