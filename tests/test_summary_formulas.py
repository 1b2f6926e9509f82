"""The Summary's formulas hold theme and lead names exactly as typed, whatever they look like.

XlsxWriter rewrites names of newer Excel functions anywhere in a formula ("TAKE(" becomes
"_xlfn.TAKE(" and the cell an array formula), so a lead or theme spelt like one counted
nothing once Excel recalculated.  The consolidated writer stores its formulas as written."""
from __future__ import annotations

import datetime as dt
import zipfile

import openpyxl
from python_calamine import CalamineWorkbook

from planbook import Action, Lead, PlanInfo, parse_due, write_plan
from planbook.rollup.consolidate import consolidate
from planbook.rollup.output import write_consolidated

from .conftest import lo_convert

LEADS = ["TAKE(2) team", "Map(north)", "FILTER(x) and SORT(y)"]
THEMES = ["XLOOKUP(schools)", "LAMBDA( ) fund", "Plain theme"]


def test_names_like_excel_functions_are_counted_as_typed(tmp_path, soffice):
    info = PlanInfo("Function names", "Q2 2009/10", [Lead(n) for n in LEADS], THEMES)
    statuses = ["On track", "Slippage", "Complete", "Off track"]
    actions = [Action(f"{i + 1}.1", f"Action {i}", LEADS[i % 3], theme=THEMES[i % 3], status=statuses[i % 4],
                      status_text=statuses[i % 4], due=parse_due("March 2010"), last_updated=dt.date(2009, 9, 1))
               for i in range(9)]
    plan = tmp_path / "plan.xlsx"
    write_plan(plan, info, actions)
    out = tmp_path / "consolidated.xlsx"
    write_consolidated(consolidate([plan], today=dt.date(2009, 10, 9)), out)

    sheet = zipfile.ZipFile(out).read("xl/worksheets/sheet1.xml").decode("utf-8")
    assert "_xlfn" not in sheet
    values = [getattr(c.value, "text", c.value) for row in openpyxl.load_workbook(out)["Summary"].iter_rows()
              for c in row]  # (a name like a dynamic-array function still makes XlsxWriter store an array formula)
    formulas = [v for v in values if isinstance(v, str) and v.startswith("=")]
    for name in LEADS + THEMES:
        assert any(f'"={name}"' in f for f in formulas), name

    cached = CalamineWorkbook.from_path(str(out)).get_sheet_by_name("Summary").to_python()
    recalculated = CalamineWorkbook.from_path(str(lo_convert(soffice, out, "xlsx", tmp_path / "lo"))) \
        .get_sheet_by_name("Summary").to_python()
    totals = {row[0]: row for row in cached if row and row[0] in LEADS + THEMES}
    assert set(totals) == set(LEADS + THEMES)
    total_col = next(row for row in cached if row and row[0] == "Theme").index("Total")
    assert all(row[total_col] == 3 for row in totals.values())
    numbers = [(r, c) for r, row in enumerate(cached) for c, v in enumerate(row) if isinstance(v, (int, float))]
    assert len(numbers) > 40
    for r, c in numbers:  # Excel's figures after recalculating are the ones planbook cached
        assert recalculated[r][c] == cached[r][c], (r, c, cached[r][0])
