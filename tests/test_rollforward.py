"""Roll forward: this period's outcome becomes next period's master — from the consolidated
workbook or from the master and its returns, with the same result — checked with openpyxl."""
from __future__ import annotations

import datetime as dt
import json

import openpyxl
import pytest

from planbook.core.columns import HEADERS
from planbook.core.errors import PlanbookError
from planbook.core.model import Action
from planbook.rollup.pipeline import consolidate_to
from planbook.rollup.rollforward import roll_forward
from planbook.workbook.history import History
from planbook.workbook.reader import read_plan
from planbook.workbook.split import split_plan
from planbook.workbook.writer import last_period_line, write_plan
from tests.conftest import run_cli, small_plan

Q1, Q2, Q3 = "Q1 2009/10", "Q2 2009/10", "Q3 2009/10"
TODAY = dt.date(2009, 10, 9)


def rows(path, name) -> list[dict[str, object]]:
    ws = openpyxl.load_workbook(path, read_only=True)[name]
    cells = list(ws.iter_rows(values_only=True))
    return [dict(zip(cells[0], r)) for r in cells[1:] if any(v not in (None, "") for v in r)]


def edit(path, sheet, changes: dict[tuple[int, str], object]) -> None:
    """A lead typing into their copy in Excel: (row, header) -> value."""
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
    header = [c.value for c in ws[1]]
    for (r, h), value in changes.items():
        for c in ([header.index(h)] if h != "*" else range(len(header))):
            ws.cell(r, c + 1).value = value
    wb.save(path)


@pytest.fixture
def quarter(tmp_path):
    """Q2: a master with Q1's history, the leads' returns, the consolidation."""
    info, actions = small_plan()
    info.period = Q2
    master = tmp_path / "plan.xlsx"
    write_plan(master, info, actions, history=History().with_period(Q1, actions))
    copies = {c.lead: c.path for c in split_plan(master, tmp_path / "returns")}
    edit(copies["Jane Smith"], "Jane Smith", {
        (3, "Status"): "Slippage", (3, "Progress update"): "Waiting for the data team", (3, "Last updated"): "Sept 09",
        (4, "Action"): "Publish a leaflet for parents", (4, "Theme"): "Being Healthy",  # added, no Ref
        (5, "Ref"): "3.10", (5, "Action"): "Train school nurses", (5, "Theme"): "Being Healthy",  # added, Ref taken
        (6, "Ref"): "1.3", (6, "Action"): "Survey young carers", (6, "Theme"): "Being Healthy",  # added, Ref free
        (6, "Status"): "G"})
    edit(copies["DD Achievement"], "DD Achievement", {(3, "*"): None})  # 4.2a deleted from the return
    consolidated = tmp_path / "consolidated.xlsx"
    consolidate_to([tmp_path / "returns", master], consolidated, today=TODAY)
    return master, tmp_path / "returns", consolidated


def summary(path):
    plan = read_plan(path)
    return ([(a.ref, a.lead, a.theme, a.action, a.status, a.status_text, a.progress, a.due.text, a.extras)
             for a in plan.actions], plan.history.periods,
            {k: (r.statuses, r.updates) for k, r in plan.history.rows.items()}, plan.info)


def test_the_same_plan_from_the_consolidation_or_from_the_master_and_returns(quarter, tmp_path):
    master, returns, consolidated = quarter
    a = roll_forward(consolidated, tmp_path / "a.xlsx", period=Q3, return_by=dt.date(2010, 1, 8))
    b = roll_forward([master, returns], tmp_path / "b.xlsx", period=Q3, return_by=dt.date(2010, 1, 8), today=TODAY)
    assert summary(a.path) == summary(b.path)
    assert [(r.old, r.new) for r in a.renumbered] == [(r.old, r.new) for r in b.renumbered]


def test_every_action_as_the_committee_last_saw_it_and_nothing_of_the_consolidation(quarter, tmp_path):
    master, returns, consolidated = quarter
    result = roll_forward(consolidated, tmp_path / "q3.xlsx", period=Q3, return_by=dt.date(2010, 1, 8))
    wb = openpyxl.load_workbook(result.path)
    for tab in ("Jane Smith", "DD Achievement"):
        header = [c.value for c in wb[tab][1]]
        assert header == [*HEADERS, "Last period's status", "Last period's update", "Budget code"], header
    seen = {r["Ref"]: r for r in rows(consolidated, "All actions")}
    plan = {r["Ref"]: r for t in ("Jane Smith", "DD Achievement") for r in rows(result.path, t)}
    renamed = {r.new: r.old for r in result.renumbered}
    # the typed 1.3 was free and with Jane's other actions: kept; the row without a Ref takes the
    # Ref its receipt suggested, then the 3.10 another action has is renumbered
    assert renamed == {"1.4": "", "1.5": "3.10"}
    for ref, row in plan.items():
        was = seen.get(renamed.get(ref, ref)) if ref not in ("1.4", "1.5") else None
        if was is None:
            continue
        assert row["Status"] == (was["Status"] if was["Status"] != "No status given" else None), ref
        assert row["Progress update"] == was["Progress update"] and row["Action"] == was["Action"], ref
    assert plan["1.3"]["Status"] == seen["1.3"]["Status"] != "No status given"  # G: as the consolidation read it
    assert plan["1.3"]["Progress update"] is None  # never moved into the commentary
    assert plan["1.2"]["Last period's status"] == "Slippage"
    assert plan["1.2"]["Last period's update"] == "Waiting for the data team"
    assert plan["1.1"]["Budget code"] == "BH-01"
    lists = rows(result.path, "Lists")
    assert {(r["Lead"], r["Email"]) for r in lists if r["Lead"]} == {("Jane Smith", "jane@example.org"),
                                                                    ("DD Achievement", "dd@example.org")}
    guide = openpyxl.load_workbook(result.path)["Guide"]
    values = {r[0].value: r[1].value for r in guide.iter_rows(min_row=2, max_row=8, max_col=2) if r[0].value}
    assert values["Reporting period"] == Q3 and values["Coordinator"] == "Pat"
    assert values["Return updates by"] == dt.datetime(2010, 1, 8)
    history = {r["Ref"]: r for r in rows(result.path, "History")}
    assert [k for k in next(iter(history.values())) if k.startswith("Status ")] == ["Status " + Q1, "Status " + Q2]
    assert history["1.4"]["Status " + Q2] == "No status given" and history["1.5"]["Action"] == "Train school nurses"
    assert history["3.10"]["Action"] == "Audit safeguarding"
    assert read_plan(result.path).info.plan_id == read_plan(master).info.plan_id
    # the Last updated typed as text is said, not made a column of every tab (the new plan reads clean)
    assert [(f.code, f.value) for f in result.report if f.code == "bad-date"] == [("bad-date", "Sept 09")]
    assert not [f for f in read_plan(result.path).report if f.code in ("renamed-column", "unknown-column")]


def test_what_the_consolidation_could_not_settle_is_carried(quarter, tmp_path):
    master, returns, consolidated = quarter
    result = roll_forward(consolidated, tmp_path / "q3.xlsx", period=Q3)
    carried = [f for f in result.report if f.code == "carried-over"]
    assert [f.value for f in carried] == ["4.2a"] and "not in its lead's return" in carried[0].message
    assert result.info.return_by is None  # last period's date is past: not carried


def test_copies_of_the_new_period_start_from_last_period(quarter, tmp_path):
    master, returns, consolidated = quarter
    result = roll_forward(consolidated, tmp_path / "q3.xlsx", period=Q3)
    copies = {c.lead: c.path for c in split_plan(result.path, tmp_path / "q3-copies")}
    ws = openpyxl.load_workbook(copies["Jane Smith"])["Jane Smith"]
    header = [c.value for c in ws[1]]
    row = {h: ws.cell(3, i + 1) for i, h in enumerate(header)}
    assert row["Ref"].value == "1.2" and row["Status"].value == "Slippage"
    assert row["Last period's status"].value == "Slippage" and row["Last period's status"].protection.locked
    assert not row["Status"].protection.locked
    guide = [[c.value for c in row][:2] for row in openpyxl.load_workbook(copies["Jane Smith"])["Guide"].iter_rows()]
    assert ["Last period", last_period_line("Q2 2009/10")] in guide  # which period the grey columns are
    untouched = tmp_path / "again.xlsx"
    consolidate_to([tmp_path / "q3-copies", result.path], untouched, today=dt.date(2010, 1, 12))
    statuses = [r["Status"] for r in rows(untouched, "All actions")]
    assert "No status given" not in statuses[:3]  # an untouched return keeps last period's statuses


def test_complete_actions_retire_after_the_plans_number_of_periods(tmp_path):
    info, actions = small_plan()
    info.period = Q2
    master = tmp_path / "plan.xlsx"
    write_plan(master, info, actions, history=History().with_period(Q1, actions))
    consolidated = tmp_path / "c.xlsx"
    consolidate_to([master], consolidated, today=TODAY)
    result = roll_forward(consolidated, tmp_path / "q3.xlsx", period=Q3, retire_complete_after=2)
    assert result.retired == ["1.1"]
    assert "1.1" not in {r["Ref"] for r in rows(result.path, "Jane Smith")}
    assert [r["Ref"] for r in rows(result.path, "Retired actions")] == ["1.1"]
    assert {r["Ref"] for r in rows(result.path, "History")} >= {"1.1"}
    assert all(c.actions for c in split_plan(result.path, tmp_path / "copies"))
    assert "1.1" not in {r["Ref"] for r in rows(tmp_path / "copies" / "Jane Smith.xlsx", "Jane Smith")}
    again = tmp_path / "c3.xlsx"
    consolidate_to([result.path], again, today=dt.date(2010, 1, 12))  # the retired action is carried through
    nxt = roll_forward(again, tmp_path / "q4.xlsx", period="Q4 2009/10")
    assert [r["Ref"] for r in rows(nxt.path, "Retired actions")] == ["1.1"]
    assert read_plan(nxt.path).info.retire_complete_after == 2


def test_refusals(quarter, tmp_path):
    master, returns, consolidated = quarter
    with pytest.raises(PlanbookError, match="already for Q2"):
        roll_forward(consolidated, tmp_path / "x.xlsx", period="q2  2009/10")
    with pytest.raises(PlanbookError, match="alone"):
        roll_forward([consolidated, returns], tmp_path / "x.xlsx", period=Q3)
    with pytest.raises(PlanbookError, match="same file"):
        roll_forward(consolidated, consolidated, period=Q3)
    with pytest.raises(PlanbookError, match="no master plan"):
        roll_forward([returns], tmp_path / "x.xlsx", period=Q3)
    assert not (tmp_path / "x.xlsx").exists()


def test_the_command(quarter, tmp_path):
    master, returns, consolidated = quarter
    out = tmp_path / "plan-q3.xlsx"
    result = run_cli("roll-forward", consolidated, "--period", Q3, "--return-by", "2010-01-08", "--out", out)
    assert result.returncode == 0, result.stderr
    assert "new Ref 1.4" in result.stdout and "Carried into the new period (2)" in result.stdout
    assert "typed as 'Sept 09', not a date" in result.stdout
    again = run_cli("roll-forward", consolidated, "--period", Q3, "--out", out, "--json")
    assert again.returncode == 2 and "exists" in again.stderr
    forced = run_cli("roll-forward", master, returns, "--period", Q3, "--out", out, "--force", "--json",
                     "--as-of", "2009-10-09")
    data = json.loads(forced.stdout)
    assert data["period"] == Q3 and data["history_periods"] == [Q1, Q2] and len(data["renumbered"]) == 2


@pytest.mark.parametrize("typed", [Q1, "q1  2009/10"], ids=["as recorded", "other case and spacing"])
def test_a_period_already_in_the_history_is_never_written_over(quarter, tmp_path, typed):
    """A year-end typo ("Q1 2009/10" for "Q1 2010/11"): roll forward and settings refuse it, and
    a Guide edited to it leaves the recorded quarter as it was, this one under a name of its own."""
    from planbook.workbook.edit import change_settings

    master, returns, consolidated = quarter
    with pytest.raises(PlanbookError, match="already a period of the plan's history"):
        roll_forward(consolidated, tmp_path / "q3.xlsx", period=typed)
    assert not (tmp_path / "q3.xlsx").exists()
    with pytest.raises(PlanbookError, match="already a period of the plan's history"):
        change_settings(master, tmp_path / "renamed.xlsx", period=typed)
    with pytest.raises(PlanbookError, match="cannot be blank"):
        change_settings(master, tmp_path / "renamed.xlsx", period=" ")
    wb = openpyxl.load_workbook(master)  # cleared on the Guide in Excel: said, and the period kept
    next(r[1] for r in wb["Guide"].iter_rows(max_col=2) if r[0].value == "Reporting period").value = None
    wb.save(tmp_path / "cleared.xlsx")
    plan = read_plan(tmp_path / "cleared.xlsx")
    assert plan.info.period == Q2
    assert [(f.code, f.sheet) for f in plan.report if "period" in f.message] == [("bad-setting", "Guide")]
    before = {r["Ref"]: (r["Status " + Q1], r["Update " + Q1]) for r in rows(master, "History")}
    wb = openpyxl.load_workbook(master)  # the coordinator edits the Guide in Excel
    guide = wb["Guide"]
    cell = next(r[1] for r in guide.iter_rows(min_row=1, max_row=12, max_col=2) if r[0].value == "Reporting period")
    cell.value = typed
    wb.save(tmp_path / "edited.xlsx")
    result = consolidate_to([tmp_path / "edited.xlsx"], tmp_path / "c.xlsx", today=TODAY)
    assert [f.code for f in result.report if f.code == "period-repeated"] == ["period-repeated"]
    history = rows(tmp_path / "c.xlsx", "History")
    assert {r["Ref"]: (r["Status " + Q1], r["Update " + Q1]) for r in history} == before  # kept as recorded
    assert all(("Status " + typed.strip() + " (2)") in r or ("Status " + Q1 + " (2)") in r for r in history)
    label = next(h for h in history[0] if h.startswith("Status ") and h.endswith(" (2)"))[len("Status "):]
    now = {r["Ref"]: (r["Status " + label], r["Update " + label]) for r in history}
    # and roll forward, from the consolidation or from the master and its returns, keeps both
    for source, name in (((tmp_path / "c.xlsx"), "from-c.xlsx"), ([tmp_path / "edited.xlsx"], "from-m.xlsx")):
        rolled = roll_forward(source, tmp_path / name, period=Q3, today=TODAY)
        assert rolled.periods == [Q1, label]
        after = rows(rolled.path, "History")
        assert {r["Ref"]: (r["Status " + Q1], r["Update " + Q1]) for r in after} == before
        assert {r["Ref"]: (r["Status " + label], r["Update " + label]) for r in after} == now


def test_a_lead_met_only_on_an_action_is_given_a_tab_and_advice_that_works(quarter, tmp_path):
    """Jane hands 1.2 to Raj Patel, not a lead of the plan: the new plan has his tab, and the
    command the finding gives for his address runs as given."""
    import shlex

    master, returns, _ = quarter
    edit(returns / "Jane Smith.xlsx", "Jane Smith", {(3, "Lead"): "Raj Patel"})
    result = roll_forward([master, returns], tmp_path / "q3.xlsx", period=Q3, today=TODAY)
    said = next(f.message for f in result.report if f.code == "unknown-lead" and f.value == "Raj Patel")
    assert "Raj Patel" in openpyxl.load_workbook(result.path).sheetnames
    command = shlex.split(said[said.index("(planbook ") + 1:-1].replace("ADDRESS", "raj@example.org"))
    done = run_cli(*command[1:], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert {lead.name: lead.email for lead in read_plan(result.path).info.leads}["Raj Patel"] == "raj@example.org"


def test_every_action_is_in_the_periods_counts_and_only_numbered_ones_carry_on(quarter, tmp_path):
    """Jane's row added without a Ref, and her row added under a Ref another action has, count
    in Q2's trend as in the headline (every action once), and after roll forward, where each has
    a Ref of its own, the History has no row without one."""
    master, returns, consolidated = quarter
    actions = rows(consolidated, "All actions")
    trend = {(r["Theme"], r["Period"]): r["Total"] for r in rows(consolidated, "Trend")}
    assert trend["Whole plan", Q2] == len(actions)
    assert len({r["Ref"] for r in actions if r["Ref"]}) < len([r for r in actions if r["Ref"]])  # 3.10 twice
    assert any(not r["Ref"] for r in actions)  # the row the lead added without a Ref
    result = roll_forward(consolidated, tmp_path / "q3.xlsx", period=Q3)
    history = rows(result.path, "History")
    assert all(r["Ref"] for r in history) and len({r["Ref"] for r in history}) == len(history)
    assert sum(1 for r in history if r["Status " + Q2]) == len(actions)  # each with a Ref of its own now


@pytest.mark.parametrize("follow", [False, True], ids=["left blank", "typed as told"])
def test_the_ref_a_new_row_is_told_to_take_is_the_one_roll_forward_gives(quarter, tmp_path, follow):
    """Jane adds a row without a Ref: the Ref her receipt suggests is the Ref it has in next
    period's plan, and typing it as told is kept, not renumbered."""
    import re

    master, returns, consolidated = quarter
    result = consolidate_to([returns, master], tmp_path / "c.xlsx", today=TODAY)
    told = next(m.group(1) for f in result.report if f.code == "missing-required"
                and (m := re.search(r"give it Ref (\S+), the next free number", f.message)))
    leaflet = "Publish a leaflet for parents"
    if follow:
        edit(returns / "Jane Smith.xlsx", "Jane Smith", {(4, "Ref"): told})
    rolled = roll_forward([master, returns], tmp_path / "q3.xlsx", period=Q3, today=TODAY)
    plan = {a.action: a.ref for a in read_plan(rolled.path).actions}
    assert plan[leaflet] == told
    assert all(r.new != told or not follow for r in rolled.renumbered)


def test_a_new_action_under_a_retired_actions_ref_never_takes_its_year(tmp_path):
    """1.1 is retired; Jane, seeing 1.1 free on her copy, adds a new action as 1.1.  Said, kept as
    a new action, and the retired 1.1's history stays its own, through consolidation, roll
    forward (which numbers the new one afresh) and reopening 1.1."""
    from planbook.workbook import maintenance as m

    info, actions = small_plan()
    info.period = Q2
    master = tmp_path / "plan.xlsx"
    write_plan(master, info, actions, history=History().with_period(Q1, actions))
    before = {r["Ref"]: r for r in rows(master, "History")}["1.1"]
    m.retire_actions(master, ["1.1"])
    copies = {c.lead: c.path for c in split_plan(master, tmp_path / "returns")}
    edit(copies["Jane Smith"], "Jane Smith", {(3, "Ref"): "1.1", (3, "Action"): "Run a breakfast club",
                                              (3, "Theme"): "Being Healthy", (3, "Status"): "On track"})
    result = consolidate_to([tmp_path / "returns", master], tmp_path / "c.xlsx", today=TODAY)
    [said] = [f for f in result.report if f.code == "ref-of-retired"]
    assert (said.file, said.sheet, said.value) == ("Jane Smith.xlsx", "Jane Smith", "1.1")
    assert "Run a breakfast club" in [a.action for a in result.actions]  # kept, in All actions
    history = rows(tmp_path / "c.xlsx", "History")
    [retired] = [r for r in history if r["Ref"] == "1.1"]
    assert retired["Action"] == before["Action"] and retired["Status " + Q2] in (None, "")
    assert retired["Status " + Q1] == before["Status " + Q1]
    [new] = [r for r in history if r["Action"] == "Run a breakfast club"]  # counted this period, Ref to come
    assert new["Ref"] in (None, "") and new["Status " + Q2] == "On track"
    rolled = roll_forward(tmp_path / "c.xlsx", tmp_path / "q3.xlsx", period=Q3)
    new_ref = next(r.new for r in rolled.renumbered if r.action == "Run a breakfast club")
    after = {r["Ref"]: r for r in rows(rolled.path, "History")}
    assert after["1.1"]["Action"] == before["Action"] and after["1.1"]["Status " + Q1] == before["Status " + Q1]
    assert after[new_ref]["Action"] == "Run a breakfast club" and after[new_ref]["Status " + Q2] == "On track"
    m.reopen_actions(rolled.path, ["1.1"])
    plan = read_plan(rolled.path)
    assert {a.ref: a.action for a in plan.actions}["1.1"] == before["Action"]
    assert plan.history.rows["1.1"].action == before["Action"]


def test_an_update_dated_before_last_periods_consolidation_is_last_periods(tmp_path):
    """Leads update a quarter in the first days of the next: Q2's returns are dated 1 October,
    in Q3's dates.  After roll forward, an action whose Last updated is still that (its lead sent
    nothing for Q3, or sent the copy back untouched) is not updated this period: said on
    Exceptions and by the tracker; an update dated after Q2's consolidation is this period's."""
    from planbook import track_returns
    from planbook.rollup.tracker import NOT_RETURNED, RETURNED, UNCHANGED

    info, actions = small_plan()
    info.period = Q2
    master = tmp_path / "plan.xlsx"
    write_plan(master, info, actions)
    copies = {c.lead: c.path for c in split_plan(master, tmp_path / "q2")}
    for lead, path in copies.items():
        edit(path, lead, {(r, "Last updated"): dt.date(2009, 10, 1) for r in (2, 3)})
    consolidate_to([tmp_path / "q2", master], tmp_path / "q2.xlsx", today=TODAY)  # consolidated 9 October
    rolled = roll_forward(tmp_path / "q2.xlsx", tmp_path / "q3.xlsx", period=Q3)
    assert read_plan(rolled.path).info.updates_since == TODAY
    copies = {c.lead: c.path for c in split_plan(rolled.path, tmp_path / "q3")}
    edit(copies["DD Achievement"], "DD Achievement", {(2, "Progress update"): "Moved on", (2, "Last updated"):
                                                      dt.date(2009, 12, 20)})
    (tmp_path / "returns").mkdir()
    (tmp_path / "returns" / "DD Achievement.xlsx").write_bytes(copies["DD Achievement"].read_bytes())
    result = consolidate_to([rolled.path, tmp_path / "returns"], tmp_path / "q3c.xlsx", today=dt.date(2010, 1, 15))
    stale = {e.action.ref for e in result.exceptions if "Not updated" in e.reason}
    jane = {a.ref for a in result.actions if a.lead == "Jane Smith" and a.status != "Complete"}
    assert jane and jane <= stale  # Jane sent nothing: her Q2 dates are Q2's
    assert "3.10" not in stale  # DD Achievement's update of 20 December is this period's
    assert {r.lead: r.state for r in result.returns}["Jane Smith"] == NOT_RETURNED
    (tmp_path / "returns" / "Jane Smith.xlsx").write_bytes(copies["Jane Smith"].read_bytes())  # back untouched
    states = {r.lead: r.state for r in track_returns(rolled.path, tmp_path / "returns").leads}
    assert (states["Jane Smith"], states["DD Achievement"]) == (UNCHANGED, RETURNED)


def test_a_period_typed_with_a_space_more_is_the_same_period(quarter, tmp_path):
    """consolidate --period "Q2 2009/10 " records Q2 once: roll forward does not find a second Q2."""
    master, returns, _ = quarter
    consolidate_to([returns, master], tmp_path / "c.xlsx", today=TODAY, period=f"  {Q2} ")
    rolled = roll_forward(tmp_path / "c.xlsx", tmp_path / "q3.xlsx", period=Q3)
    assert rolled.periods == [Q1, Q2]


def test_a_period_edited_in_the_metadata_never_writes_over_an_earlier_one(quarter, tmp_path):
    """Roll forward records the closing period again under the name the consolidation recorded it
    (the History's last): the period in the metadata edited to an earlier quarter, that quarter
    is not written over."""
    _, _, consolidated = quarter
    wb = openpyxl.load_workbook(consolidated)
    meta = wb["_planbook"]
    row = next(r for r in meta.iter_rows() if r[0].value == "period")
    row[1].value = Q1
    wb.save(tmp_path / "edited.xlsx")
    before: dict[str, object] = {}
    for r in rows(consolidated, "History"):  # a Ref two actions share this period: the row of its year
        if r["Ref"]:
            before.setdefault(r["Ref"], r["Status " + Q1])
    rolled = roll_forward(tmp_path / "edited.xlsx", tmp_path / "q3.xlsx", period=Q3)
    assert rolled.periods == [Q1, Q2]
    assert {r["Ref"]: r["Status " + Q1] for r in rows(rolled.path, "History") if r["Ref"] in before} == before


def test_a_lead_who_changes_a_status_without_its_date_has_updated_it(tmp_path):
    """The copy shows last period's Last updated; a lead who changes the Status or the Progress
    update and leaves the date has updated the action: not "Not updated this period" (the tracker
    counts it updated too), while an untouched one is."""
    info, actions = small_plan()
    info.period = Q2
    master = tmp_path / "plan.xlsx"
    write_plan(master, info, actions)
    consolidate_to([master], tmp_path / "q2.xlsx", today=TODAY)
    rolled = roll_forward(tmp_path / "q2.xlsx", tmp_path / "q3.xlsx", period=Q3)
    copies = {c.lead: c.path for c in split_plan(rolled.path, tmp_path / "returns")}
    edit(copies["Jane Smith"], "Jane Smith", {(2, "Status"): "Off track"})  # 1.1: status changed, date left
    result = consolidate_to([rolled.path, tmp_path / "returns"], tmp_path / "q3c.xlsx", today=dt.date(2010, 1, 15))
    stale = {e.action.ref for e in result.exceptions if "Not updated" in e.reason}
    assert "1.1" not in stale and "1.2" in stale
    jane = next(r for r in result.returns if r.lead == "Jane Smith")
    assert jane.updated == 1


def test_a_new_action_the_coordinator_types_under_a_retired_ref_is_numbered_afresh(tmp_path):
    """The same as a lead's, typed by the coordinator on the master's tab: said, kept, and roll
    forward gives it a Ref of its own; the retired action keeps its Ref and its history."""
    from planbook.workbook import maintenance as m

    info, actions = small_plan()
    info.period = Q2
    master = tmp_path / "plan.xlsx"
    write_plan(master, info, actions, history=History().with_period(Q1, actions))
    m.retire_actions(master, ["1.1"])
    edit(master, "Jane Smith", {(3, "Ref"): "1.1", (3, "Action"): "Run a breakfast club", (3, "Theme"): "Being Healthy",
                                (3, "Status"): "On track"})
    result = consolidate_to([master], tmp_path / "c.xlsx", today=TODAY)
    assert [f.value for f in result.report if f.code == "ref-of-retired"] == ["1.1"]
    rolled = roll_forward(tmp_path / "c.xlsx", tmp_path / "q3.xlsx", period=Q3)
    plan = read_plan(rolled.path)
    new = next(a for a in plan.actions if a.action == "Run a breakfast club")
    assert new.ref != "1.1" and [a.ref for a in plan.retired] == ["1.1"]
    assert plan.history.rows["1.1"].action == "Develop performance management"
    assert plan.history.rows[new.ref.lower()].statuses[-1] == "On track"


@pytest.mark.parametrize("where", ["two leads' tabs", "one lead's tab"])
def test_two_actions_sharing_a_ref_each_count_and_carry_their_own_year(tmp_path, where):
    """A Ref two actions share (the plan's own collision, across two leads or on one lead's tab):
    the period's counts take both; roll forward keeps the Ref for the action whose year it
    holds (not whichever is read first), numbers the other afresh and says so, and each carries
    its own status and update into the History and into its lead's copy — no lead is shown the
    other's update."""
    info, actions = small_plan()
    info.period = Q2
    twin = Action("1.2", "Map youth provision", "Jane Smith" if where == "one lead's tab" else "DD Achievement",
                  theme="Being Healthy", status="Not started")
    actions = [*actions, twin]
    master = tmp_path / "plan.xlsx"
    write_plan(master, info, actions, history=History().with_period(Q1, actions[:4]))
    copies = {c.lead: c.path for c in split_plan(master, tmp_path / "returns")}
    mine, theirs = "Record ECM outcomes", "Map youth provision"  # the two actions under 1.2
    updates = {mine: ("On track", "Measures agreed"), theirs: ("Slippage", "Venues not booked")}
    for lead, path in copies.items():
        ws = openpyxl.load_workbook(path)[lead]
        header = [c.value for c in ws[1]]
        rows_ = [r for r in range(2, ws.max_row + 1) if ws.cell(r, header.index("Ref") + 1).value == "1.2"]
        changes = {}
        for r in rows_:
            text = ws.cell(r, header.index("Action") + 1).value
            changes[(r, "Status")], changes[(r, "Progress update")] = updates[text]
        edit(path, lead, changes)
    result = consolidate_to([tmp_path / "returns", master], tmp_path / "c.xlsx", today=TODAY)
    counts = result.history.counts_by_period()[-1]
    assert sum(counts.values()) == len(result.actions) == 5  # Trend takes both
    assert sum(counts.values()) == sum(result.status_counts().values())
    rolled = roll_forward(tmp_path / "c.xlsx", tmp_path / "q3.xlsx", period=Q3)
    plan = read_plan(rolled.path)
    refs = [a.ref for a in plan.actions]
    assert len(refs) == len(set(refs)) == 5
    given = [f for f in rolled.report if f.code == "ref-given"]
    assert len(given) == 1 and "shared its Ref" in given[0].message and "Map youth provision" in given[0].message
    assert not [f for f in rolled.report if f.code == "carried-over" and "1.2" in f.message]
    kept = next(a for a in plan.actions if a.action == "Record ECM outcomes")
    moved = next(a for a in plan.actions if a.action == "Map youth provision")
    assert kept.ref == "1.2" and moved.ref == given[0].value != "1.2"
    rows_by_ref = plan.history.rows
    assert (rows_by_ref["1.2"].statuses[-1], rows_by_ref["1.2"].updates[-1]) == updates[mine]
    assert (rows_by_ref[moved.ref.lower()].statuses[-1], rows_by_ref[moved.ref.lower()].updates[-1]) == updates[theirs]
    assert rows_by_ref["1.2"].statuses[0] == "On track"  # Q1, the first action's, stays with it
    next_copies = {c.lead: c.path for c in split_plan(rolled.path, tmp_path / "q3-copies")}
    for lead, path in next_copies.items():
        for row in rows(path, lead):
            if row["Action"] in updates:  # last period's update beside it is its own, never the other's
                other = theirs if row["Action"] == mine else mine
                assert updates[row["Action"]][1] in str(row.values()), (lead, row)
                assert updates[other][1] not in str(row.values())


def test_a_status_not_recognised_is_carried_as_typed_and_said(tmp_path):
    """A status planbook does not count ("on trak") reaches the new plan as typed — the lead's
    copy starts from it — and roll forward says so, as it says what else it could not settle."""
    info, actions = small_plan()
    master = tmp_path / "plan.xlsx"
    write_plan(master, info, actions)
    copies = {c.lead: c.path for c in split_plan(master, tmp_path / "returns")}
    edit(copies["Jane Smith"], "Jane Smith", {(3, "Status"): "on trak"})
    consolidate_to([tmp_path / "returns", master], tmp_path / "c.xlsx", today=TODAY)
    rolled = roll_forward(tmp_path / "c.xlsx", tmp_path / "q3.xlsx", period=Q3)
    carried = [f for f in rolled.report if f.code == "carried-over" and f.value == "1.2"]
    assert len(carried) == 1 and "'on trak'" in carried[0].message and carried[0].outcome == "carried as typed"
    assert next(a for a in read_plan(rolled.path).actions if a.ref == "1.2").status_text == "on trak"
    out = run_cli("roll-forward", tmp_path / "c.xlsx", "--period", "Q4 2009/10", "--out", tmp_path / "q4.xlsx")
    assert "on trak" in out.stdout


def test_a_ref_the_coordinator_changes_by_hand_reads_the_same_in_direction_and_changes(quarter, tmp_path):
    """A Ref renumbered by hand in the new plan (its History row stays under the old Ref): the
    Direction column and the Changes sheet compare it with the same last period, so an action
    is never "new" in one and "Status worse" in the other."""
    _, _, consolidated = quarter
    rolled = roll_forward(consolidated, tmp_path / "q3.xlsx", period=Q3)
    edit(rolled.path, "DD Achievement", {(2, "Ref"): "3.11"})  # was 3.10
    copies = {c.lead: c.path for c in split_plan(rolled.path, tmp_path / "q3-returns")}
    for lead, path in copies.items():
        edit(path, lead, {(2, "Status"): "Off track"})
    consolidate_to([tmp_path / "q3-returns", rolled.path], tmp_path / "c3.xlsx", today=TODAY)
    way = {r["Ref"]: r["Direction"] for r in rows(tmp_path / "c3.xlsx", "All actions")}
    assert way["3.11"] != "new"
    said = {r["Ref"]: r["Change"] for r in rows(tmp_path / "c3.xlsx", "Changes") if r["Change"].startswith("Status")}
    for ref, direction in way.items():
        expected = {"↑ better": "Status better", "↓ worse": "Status worse"}.get(direction)
        assert said.get(ref) == expected or (direction == "→ same" and said.get(ref) == "Status changed"), (ref, direction)


@pytest.mark.parametrize("why, old, action, said", [
    ("had no Ref in the plan", "", "", "Jane Smith's action with no text had no Ref in the plan"),
    ("had no Ref in the plan", "", "Map provision", "Jane Smith's action 'Map provision' had no Ref in the plan"),
    ("shared its Ref with another action", "1.2", "Map provision",
     "Jane Smith's action 'Map provision' shared its Ref with another action"),
    ("no Ref given", "", "", "Jane Smith added an action with no text last period with no Ref"),
    ("that Ref is another action's", "3.10", "Train nurses",
     "Jane Smith added 'Train nurses' last period as 3.10: that Ref is another action's")])
def test_each_ref_given_is_said_in_a_sentence_that_reads(why, old, action, said):
    from planbook.rollup.rollforward import Renumbered

    assert Renumbered(old, "1.9", "Jane Smith", action, why).describe() == said


def test_a_new_action_under_a_ref_with_a_year_is_new_not_the_others_year(tmp_path):
    """Q2's plan gives DD a new action under 1.1, the Ref of Jane's action with a Q1: DD's copy
    shows no last period for it (never Jane's), and the consolidation calls it new — no
    Direction against Jane's status, no 'hand-over' — while Jane's 1.1 is compared with her own."""
    info, actions = small_plan()
    info.period = Q2
    master = tmp_path / "plan.xlsx"
    stranger = Action("1.1", "Map youth provision", "DD Achievement", theme="Staying Safe", status="Not started")
    write_plan(master, info, [*actions, stranger], history=History().with_period(Q1, actions))
    copies = {c.lead: c.path for c in split_plan(master, tmp_path / "returns")}
    shown = {(row["Lead"], row["Action"]): (row["Last period's status"], row["Last period's update"])
             for lead, path in copies.items() for row in rows(path, lead)}
    assert shown["DD Achievement", "Map youth provision"] == (None, None)
    assert shown["Jane Smith", "Develop performance management"] == ("Complete", "Done in Nov.")
    edit(copies["DD Achievement"], "DD Achievement", {(r, "Status"): "Off track" for r in range(2, 5)})
    consolidate_to([tmp_path / "returns", master], tmp_path / "c.xlsx", today=TODAY)
    way = {(r["Lead"], r["Action"]): r["Direction"] for r in rows(tmp_path / "c.xlsx", "All actions")}
    assert way["DD Achievement", "Map youth provision"] == "new"
    assert way["Jane Smith", "Develop performance management"] == "→ same"
    said = [(r["Change"], r["Action"]) for r in rows(tmp_path / "c.xlsx", "Changes") if r["Ref"] == "1.1"]
    assert ("New action", "Map youth provision") in said
    assert not [c for c, a in said if a == "Map youth provision" and c != "New action"]


def test_a_ref_renumbered_by_hand_keeps_its_year(quarter, tmp_path):
    """The coordinator types a new Ref over one in next period's plan (3.10 -> 3.11): the
    History moves the action's year to the new Ref (one row, every period), the Direction and
    Changes compare it with its own last period, and Changes says the Ref was renumbered."""
    _, _, consolidated = quarter
    rolled = roll_forward(consolidated, tmp_path / "q3.xlsx", period=Q3)
    edit(rolled.path, "DD Achievement", {(2, "Ref"): "3.11"})  # was 3.10
    copies = {c.lead: c.path for c in split_plan(rolled.path, tmp_path / "q3-returns")}
    consolidate_to([tmp_path / "q3-returns", rolled.path], tmp_path / "c3.xlsx", today=TODAY)
    history = [r for r in rows(tmp_path / "c3.xlsx", "History") if r["Action"] == "Audit safeguarding"]
    assert len(history) == 1 and history[0]["Ref"] == "3.11"
    assert history[0]["Status " + Q1] and history[0]["Status " + Q2] and history[0]["Status " + Q3]
    way = {r["Ref"]: r["Direction"] for r in rows(tmp_path / "c3.xlsx", "All actions")}
    assert way["3.11"] == "→ same"
    said = [(r["Change"], r["Before"], r["Now"]) for r in rows(tmp_path / "c3.xlsx", "Changes") if r["Ref"] == "3.11"]
    assert ("Ref renumbered", "3.10", "3.11") in said and not [c for c, _, _ in said if c == "New action"]
    assert copies  # the copies went out under the new Ref
