"""Two spellings of one theme are one theme, everywhere a theme is compared (core.themes)."""
from __future__ import annotations

import re
from pathlib import Path

import openpyxl

from planbook import read_plan
from planbook.core.themes import theme_key
from planbook.rollup.order import plan_order


def _respelt(theme: str) -> list[str]:
    """How people retype a theme: case, doubled and trailing spaces, a tab, non-breaking space."""
    return [theme.upper(), theme.lower(), "  " + theme.replace(" ", "  ") + " ", theme.replace(" ", "\t"),
            theme.replace(" ", "\u00a0")]


def test_respelt_themes_share_a_key_and_different_themes_do_not():
    for theme in ["Being Healthy", "Staying Safe", "Enjoy and Achieve"]:
        assert {theme_key(t) for t in _respelt(theme)} == {theme_key(theme)}
    assert theme_key("Being Healthy") != theme_key("Being Wealthy")


def test_a_respelt_theme_is_read_as_the_plans_theme_and_ordered_with_it(plan_file, tmp_path):
    plan = read_plan(plan_file)
    theme = plan.info.themes[0]
    wb = openpyxl.load_workbook(plan_file)
    lead_tab = next(name for name in wb.sheetnames if name in plan.tabs.values())
    ws = wb[lead_tab]
    theme_col = next(c.column for c in ws[1] if c.value == "Theme")
    spellings = _respelt(theme)
    for row, spelling in zip(range(2, ws.max_row + 1), spellings):
        ws.cell(row, theme_col).value = spelling
    wb.save(tmp_path / "respelt.xlsx")

    respelt = read_plan(tmp_path / "respelt.xlsx")
    assert [f for f in respelt.report if f.code == "unknown-theme"] == []
    ordered = plan_order(respelt.actions, respelt.info.themes)
    keys = [theme_key(a.theme) for a in ordered]
    first = keys.index(theme_key(theme))
    run = keys[first:first + keys.count(theme_key(theme))]
    assert set(run) == {theme_key(theme)}, "one theme's actions are printed together"


def test_themes_are_compared_only_through_core_themes():
    src = Path(__file__).resolve().parents[1] / "src" / "planbook"
    own_rule = re.compile(r"\b[a-z_]*theme\w*(?:\.strip\(\))?\.(?:lower|casefold)\(\)|\.join\([a-z_]*theme\w*\.split\(\)\)")
    copies = [f"{p.relative_to(src)}: {m.group()}" for p in sorted(src.rglob("*.py"))
              if p.relative_to(src).as_posix() != "core/themes.py"
              for m in own_rule.finditer(p.read_text(encoding="utf-8"))]
    assert copies == []
