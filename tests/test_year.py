"""A year end to end, for the demo plan and for an imported plan: four quarters of requests,
returns typed in Excel, consolidations, reports and roll forwards (see tests/year_scenario.py,
which checks each quarter with openpyxl as it goes: every action accounted for, the history
holding exactly the statuses consolidated, direction and trend agreeing with it, the emails
from and signed by the coordinator).  Here: what the fourth quarter shows of the year."""
from __future__ import annotations

import zipfile

import docx
import pytest

from tests.conftest import lo_convert
from tests.year_scenario import NEW_LEAD, QUARTERS, by_lead, run_year, table


@pytest.fixture(scope="module", params=["demo", "oxfordshire"])
def year(request, tmp_path_factory):
    return run_year(request.param, tmp_path_factory.mktemp(request.param))


def test_the_fourth_quarter_shows_the_year(year):
    q4 = year.quarters[-1]
    history = table(q4.consolidated, "History")
    assert [h for h in history[0] if h.startswith("Status ")] == [f"Status {q}" for q in QUARTERS]
    assert any(" → " in (r["Trend"] or "") for r in history)
    trend = table(q4.consolidated, "Trend")
    whole = [r for r in trend if r["Theme"] == "Whole plan"]
    assert [r["Period"] for r in whole] == QUARTERS
    # every action of each quarter once, as the quarter's headline counted it (two sharing a Ref too:
    # oxfordshire's 5.3 until roll forward numbered one afresh)
    assert [r["Total"] for r in whole] == [len(table(q.consolidated, "All actions")) for q in year.quarters]


def test_the_year_changes_reached_the_plan(year):
    roles = year.roles
    q3_plan = year.quarters[2].plan
    tabs = by_lead(q3_plan)
    assert NEW_LEAD in tabs and len(tabs[NEW_LEAD]) == 1  # added between Q2 and Q3, given an action
    assert any(t.endswith("(renamed)") for t in {r["Theme"] for rows in tabs.values() for r in rows})
    ref, _, to = year.quarters[1].handed
    assert ref in [r["Ref"] for r in by_lead(year.quarters[2].plan)[to]]
    returns = {r["Lead"]: r["Return"] for r in table(year.quarters[1].consolidated, "Returns")}
    assert returns[roles["skipper"]].lower().startswith("not returned")
    late = {r["Lead"]: r["Return"] for r in table(year.quarters[2].consolidated, "Returns")}
    assert "late" in late[roles["late"]].lower()


def test_the_fourth_quarter_report_has_a_chart_per_theme_and_the_trends(year, soffice, tmp_path):
    report = year.folder / "summary-Q4.docx"
    document = docx.Document(str(report))
    text = [p.text for p in document.paragraphs]
    assert "Progress over the year" in text
    themes = {r["Theme"] for r in table(year.quarters[-1].consolidated, "History")}
    captions = [t for t in text if t.endswith(f"{QUARTERS[0]} to {QUARTERS[-1]}.") and ": actions by status" in t]
    assert len(captions) == min(len(themes), 12)
    with zipfile.ZipFile(report) as z:
        charts = [n for n in z.namelist() if n.startswith("word/charts/chart")]
        assert len(charts) == 1 + len(captions)  # the status-by-theme chart and one per theme
        for n in charts[1:]:
            xml = z.read(n).decode()
            assert all(q in xml for q in QUARTERS)
    trend_table = next(t for t in document.tables if [c.text for c in t.rows[0].cells][3:4] == ["Trend over the year"])
    assert len(trend_table.rows) > 1 and "→" in trend_table.rows[1].cells[3].text
    pdf = lo_convert(soffice, report, "pdf", tmp_path)
    assert pdf.stat().st_size > 10_000
