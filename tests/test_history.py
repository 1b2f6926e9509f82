"""The plan's history: kept in the master, shown (read-only) in the leads' copies, extended by each
consolidation with exactly the statuses it rolled up, and used for the direction of travel, the
changes and the trend — checked with openpyxl, not planbook's reader."""
from __future__ import annotations

import datetime as dt
import re

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planbook.core.direction import BETTER, NEW_DIRECTION, SAME, WORSE
from planbook.rollup.pipeline import consolidate_to
from planbook.workbook.history import History, still_for, trend_text
from planbook.workbook.reader import read_plan
from tests.conftest import run_cli
from planbook.workbook.split import split_plan
from planbook.workbook.writer import last_period_line, write_plan
from tests.conftest import small_plan

Q1, Q2 = "Q1 2009/10", "Q2 2009/10"


def sheet(path, name) -> list[dict[str, object]]:
    ws = openpyxl.load_workbook(path, read_only=True)[name]
    rows = list(ws.iter_rows(values_only=True))
    return [dict(zip(rows[0], r)) for r in rows[1:] if any(v not in (None, "") for v in r)]


def test_trend_and_still_rules():
    assert trend_text(["On track", "", "Slippage", "On track"]) == "On track → Slippage → On track"
    assert still_for(["On track", "On track", "On track"], ["a", "a", "a"]) == 2
    assert still_for(["On track", "On track"], ["a", "b"]) == 0
    assert still_for(["On track", "Complete"], ["a", "a"]) == 0  # finished: nothing to update
    assert still_for(["On track", "On track"], ["", ""]) == 0  # no commentary is not stale commentary


@pytest.fixture
def plan_with_history(tmp_path):
    """A master after one period: its History holds Q1 as consolidated; the plan is for Q2."""
    info, actions = small_plan()
    history = History().with_period(Q1, actions)
    path = tmp_path / "plan.xlsx"
    write_plan(path, info, actions, history=history)
    return path


def test_the_master_carries_a_history_sheet_a_person_can_filter(plan_with_history):
    wb = openpyxl.load_workbook(plan_with_history)
    ws = wb["History"]
    assert ws.auto_filter.ref and ws.protection.sheet
    rows = sheet(plan_with_history, "History")
    assert [r["Ref"] for r in rows] == ["1.1", "1.2", "3.10", "4.2a"]
    assert [r["Status " + Q1] for r in rows] == ["Complete", "On track", "Slippage", "Off track"]
    assert rows[2]["Update " + Q1] == "Delayed by staffing"
    tab = wb["Jane Smith"]
    header = [c.value for c in tab[1]]
    assert header[12:14] == ["Last period's status", "Last period's update"] and header[14] == "Budget code"
    col = header.index("Last period's status")
    assert tab.cell(2, col + 1).value == "Complete" and tab.cell(2, col + 1).protection.locked
    assert tab.cell(1, col + 1).comment is None  # a note would be read back as a lead's note on every copy
    guide = [[c.value for c in row] for row in wb["Guide"].iter_rows()]
    assert ["Last period", last_period_line(Q1)] in [row[:2] for row in guide] and Q1 in last_period_line(Q1)
    plan = read_plan(plan_with_history)
    assert plan.extra_columns == ["Budget code"] and plan.report.ok  # the shown columns are not the lead's columns


def test_copies_show_last_period_and_a_changed_copy_is_a_finding(plan_with_history, tmp_path):
    copies = {c.lead: c.path for c in split_plan(plan_with_history, tmp_path / "returns")}
    jane = copies["Jane Smith"]
    wb = openpyxl.load_workbook(jane)
    assert "History" not in wb.sheetnames  # the plan keeps the record; the copy shows last period beside each action
    tab = wb["Jane Smith"]
    theader = [c.value for c in tab[1]]
    tab.cell(3, theader.index("Last period's update") + 1).value = "We did it all"  # the lead unprotects and rewrites
    ws = wb.create_sheet("History")  # and pastes in a history of their own
    master = openpyxl.load_workbook(plan_with_history)["History"]
    for row in master.iter_rows(values_only=True):
        ws.append(list(row))
    header = [c.value for c in ws[1]]
    ws.cell(2, header.index("Status " + Q1) + 1).value = "On track"
    wb.save(jane)
    result = consolidate_to([tmp_path / "returns", plan_with_history], tmp_path / "c.xlsx", today=dt.date(2009, 10, 9))
    changed = sorted((f.sheet, f.cell) for f in result.report if f.code == "history-changed")
    assert changed == [("History", f"{chr(65 + header.index('Status ' + Q1))}2"),
                       ("Jane Smith", f"{chr(65 + theader.index('Last period' + chr(39) + 's update'))}3")], changed
    typed = [i for i in sheet(tmp_path / "c.xlsx", "Data issues") if i["Problem"] == "history-changed"
             and i["Sheet"] == "Jane Smith"]
    assert [i["Value"] for i in typed] == ["We did it all"]  # what the lead typed there is kept, whole
    history = sheet(tmp_path / "c.xlsx", "History")
    assert history[0]["Status " + Q1] == "Complete"  # the master's record stands


def test_consolidation_adds_this_period_exactly_as_all_actions_shows_it(plan_with_history, tmp_path):
    copies = {c.lead: c.path for c in split_plan(plan_with_history, tmp_path / "returns")}
    wb = openpyxl.load_workbook(copies["DD Achievement"])
    ws = wb["DD Achievement"]
    header = [c.value for c in ws[1]]
    ws.cell(2, header.index("Status") + 1).value = "On track"  # 3.10: Slippage -> On track
    ws.cell(3, header.index("Status") + 1).value = None  # 4.2a: blank -> No status given
    ws.cell(4, 1).value = "4.3"  # a new action
    ws.cell(4, header.index("Action") + 1).value = "Recruit two more reviewers"
    ws.cell(4, header.index("Status") + 1).value = "G"  # typed by hand
    wb.save(copies["DD Achievement"])
    out = tmp_path / "c.xlsx"
    result = consolidate_to([tmp_path / "returns", plan_with_history], out, today=dt.date(2009, 10, 9))
    actions = {r["Ref"]: r for r in sheet(out, "All actions")}
    history = {r["Ref"]: r for r in sheet(out, "History")}
    assert set(history) == set(actions)
    for ref, row in actions.items():
        assert history[ref]["Status " + Q2] == row["Status"], ref
    assert history["4.3"]["Status " + Q1] is None and history["4.3"]["Trend"] == history["4.3"]["Status " + Q2]
    assert history["3.10"]["Trend"] == "Slippage → On track"
    assert {r: actions[r]["Direction"] for r in actions} == {"1.1": SAME, "1.2": SAME, "3.10": BETTER,
                                                            "4.2a": BETTER, "4.3": NEW_DIRECTION}
    assert actions["4.2a"]["Status"] == "No status given"
    changes = {(r["Change"], r["Ref"]) for r in sheet(out, "Changes")}
    assert ("Status better", "3.10") in changes and ("New action", "4.3") in changes
    assert ("Commentary unchanged", "3.10") in changes and ("Commentary unchanged", "1.1") not in changes  # 1.1 is Complete
    trend = sheet(out, "Trend")
    whole = [r for r in trend if r["Theme"] == "Whole plan"]
    assert [r["Period"] for r in whole] == [Q1, Q2] and whole[1]["Total"] == 5
    assert [a.ref for a in result.added] == ["4.3"]
    assert not [f for f in result.report if f.code == "cell-note"]  # nothing planbook wrote is read as a lead's note


def test_previous_still_wins_when_given(plan_with_history, tmp_path):
    info, actions = small_plan()
    actions[3].status = "Complete"  # a previous consolidation that says 4.2a was complete
    older = tmp_path / "older.xlsx"
    write_plan(older, info, actions)
    prev = tmp_path / "prev.xlsx"
    consolidate_to([older], prev, today=dt.date(2009, 7, 9))
    out = tmp_path / "c.xlsx"
    consolidate_to([plan_with_history], out, today=dt.date(2009, 10, 9), previous=prev)
    directions = {r["Ref"]: r["Direction"] for r in sheet(out, "All actions")}
    assert directions["4.2a"] == WORSE  # against --previous, not the history (where 4.2a was Off track)


def test_a_second_run_in_the_same_period_replaces_that_period(plan_with_history, tmp_path):
    first = tmp_path / "c1.xlsx"
    result = consolidate_to([plan_with_history], first, today=dt.date(2009, 10, 9), period=Q1)
    assert result.history.periods == [Q1] and result.directions is None
    # one period is All actions itself: no History or Trend sheet until there is a period before it
    assert not {"History", "Trend"} & set(openpyxl.load_workbook(first, read_only=True).sheetnames)


_texts = st.text(alphabet=st.characters(blacklist_categories=("Cs",)) | st.sampled_from(["\x00", "\ud800", "é", "→"]),
                 max_size=12)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(max_size=8), max_size=4, unique=True), st.data())
def test_a_history_crosses_between_processes_unchanged(periods, data):
    """What a worker sends back of a master's year (History.packed, then pickled) is the same
    history: odd texts (a separator character, a lone surrogate) and rows of other lengths too."""
    import pickle

    from planbook.workbook.history import HistoryRow

    rows, where = {}, {}
    for n in range(data.draw(st.integers(0, 6))):
        width = len(periods) if data.draw(st.booleans()) or n else data.draw(st.integers(0, 5))
        rows[f"{n}.{data.draw(_texts)}".lower()] = HistoryRow(
            f"{n}", data.draw(_texts), data.draw(_texts), data.draw(_texts),
            data.draw(st.lists(st.sampled_from(["On track", "Slippage", "", data.draw(_texts)]), min_size=width,
                               max_size=width)),
            data.draw(st.lists(_texts, min_size=width, max_size=width)))
        if data.draw(st.booleans()):
            where[list(rows)[-1]] = n + 1
    history = History(list(periods), rows, where, {p: (4 + 2 * i, 5 + 2 * i) for i, p in enumerate(periods)})
    back = History.unpacked(pickle.loads(pickle.dumps(history.packed())))
    assert (back.periods, back.rows, back.sheet_rows, back.columns) == \
        (history.periods, history.rows, history.sheet_rows, history.columns)
    assert list(back.rows) == list(history.rows)


@pytest.mark.parametrize("typed", [{"status": "Complete"}, {"update": "Q2: all done. " * 40},
                                   {"status": "On track", "update": "=HYPERLINK(\"x\")"}, {"status": "", "update": ""}],
                         ids=["status", "long update", "both", "cleared"])
def test_what_a_lead_types_in_the_last_period_columns_is_kept_where_the_finding_says(plan_with_history, tmp_path,
                                                                                      typed):
    """Typed over the locked columns (the lead unprotected the tab): the history stands, and each
    text typed is a finding at its own cell holding all of it; a cleared cell loses nothing."""
    copies = {c.lead: c.path for c in split_plan(plan_with_history, tmp_path / "returns")}
    wb = openpyxl.load_workbook(copies["DD Achievement"])
    tab = wb["DD Achievement"]
    header = [c.value for c in tab[1]]
    cols = {k: header.index(h) for k, h in (("status", "Last period's status"), ("update", "Last period's update"))}
    for k, text in typed.items():
        tab.cell(2, cols[k] + 1).value = text
    wb.save(copies["DD Achievement"])
    consolidate_to([tmp_path / "returns", plan_with_history], tmp_path / "c.xlsx", today=dt.date(2009, 10, 9))
    found = {i["Cell"]: i["Value"] for i in sheet(tmp_path / "c.xlsx", "Data issues")
             if i["Problem"] == "history-changed"}
    assert found == {f"{chr(65 + cols[k])}2": text for k, text in typed.items() if text}
    assert [r["Status " + Q1] for r in sheet(tmp_path / "c.xlsx", "History")][2] == "Slippage"  # the record stands


def test_a_reopened_action_is_compared_with_the_last_period_it_was_in():
    """Retired after Q1, reopened for Q3: against its Q1 status, not "new"; never in the plan: new.
    The Direction and the Changes sheet come from the same records, so they agree."""
    from planbook import Action
    from planbook.core.findings import Report
    from planbook.core.model import PlanInfo
    from planbook.rollup.year import against_last_period
    from planbook.workbook.history import HistoryRow
    from planbook.workbook.plan import Plan

    history = History(["Q1", "Q2"], {"1.1": HistoryRow("1.1", "T", "Jane", "Audit", ["On track", ""], ["a", ""]),
                                      "1.2": HistoryRow("1.2", "T", "Jane", "Plan", ["", "Slippage"], ["", "b"])})
    sent = [Action("1.1", "Audit", "Jane", status="Complete"), Action("1.2", "Plan", "Jane", status="Slippage")]
    now = [Action("1.1", "Audit", "Jane", status="Slippage"), Action("1.2", "Plan", "Jane", status="On track"),
           Action("1.3", "New", "Jane", status="On track")]
    master = Plan("plan.xlsx", PlanInfo(title="T"), sent, Report(), history=history)
    comparison = against_last_period(now, history, master, lambda a: a)
    assert comparison.directions == [WORSE, BETTER, NEW_DIRECTION]
    assert [(c.kind, c.ref, c.before) for c in comparison.changes if c.kind.startswith("Status")] == \
        [("Status worse", "1.1", "On track"), ("Status better", "1.2", "Slippage")]


def test_commentary_unchanged_is_one_rule_and_older_workbooks_words_are_read():
    """The Changes sheet's "Commentary unchanged" (word for word last period's) is not the
    Exceptions' "Not updated this period"; a consolidated workbook written before the words
    changed ("Not updated", "Not updated for") still reads the same."""
    from planbook.core.attention import NOT_UPDATED as NOT_TOUCHED
    from planbook.core.direction import NOT_UPDATED, is_unchanged
    from planbook.workbook.history import STILL, STILL_BEFORE

    assert is_unchanged(NOT_UPDATED) and is_unchanged("Not updated") and not is_unchanged("Commentary updated")
    assert NOT_UPDATED.lower() != NOT_TOUCHED.lower() and not is_unchanged(NOT_TOUCHED)
    assert STILL != STILL_BEFORE


def test_the_command_says_what_changed_since_last_period_without_previous(plan_with_history, tmp_path):
    """With a history (no --previous), consolidate's line says the changes and the commentary
    unchanged since last period, as the Changes sheet and the report do."""
    split_plan(plan_with_history, tmp_path / "returns")
    result = run_cli("consolidate", tmp_path / "returns", plan_with_history, "--out", tmp_path / "c.xlsx",
                     "--as-of", "2009-10-09")
    assert result.returncode in (0, 1), result.stderr
    assert re.search(r"\d+ action\(s\) changed since last period, \d+ with commentary unchanged", result.stdout)
