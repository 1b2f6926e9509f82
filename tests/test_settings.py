"""The coordinator's settings: set by a command and on import, changed on the master's Guide in
Excel, and followed by every output (copies' Guide, emails' sender and sign-off, the
consolidation, the report's footer)."""
from __future__ import annotations

import datetime as dt
import email
import zipfile
from email import policy

import openpyxl
import pytest

from planbook.core.errors import PlanbookError
from planbook.mail.requests import request_updates
from planbook.rollup.pipeline import consolidate_to
from planbook.word.report import render_report
from planbook.workbook.edit import change_settings
from planbook.workbook.reader import read_plan
from planbook.workbook.split import split_plan
from planbook.workbook.view import read_consolidated
from tests.conftest import SAMPLES, run_cli

RETURN_BY = dt.date(2010, 1, 8)


def guide_values(path) -> dict[str, object]:
    """The Guide as a person sees it in Excel: label in A, value in B (openpyxl, not planbook)."""
    ws = openpyxl.load_workbook(path)["Guide"]
    values = {"title": ws["A1"].value}
    for row in ws.iter_rows(min_row=2, max_row=12, max_col=2):
        if row[0].value:
            values[row[0].value] = row[1].value
    return values


def meta(path) -> dict[str, str]:
    ws = openpyxl.load_workbook(path)["_planbook"]
    return {r[0].value: r[1].value for r in ws.iter_rows(max_col=2) if r[0].value}


def test_the_settings_command_sets_them_in_the_guide_and_the_metadata(plan_file):
    result = run_cli("settings", plan_file, "--period", "Q3 2009/10", "--coordinator", "Pat Jones",
                     "--coordinator-email", "pat.jones@council.example", "--return-by", "08/01/2010")
    assert result.returncode == 0, result.stderr
    guide = guide_values(plan_file)
    assert guide["Reporting period"] == "Q3 2009/10" and guide["Coordinator"] == "Pat Jones"
    assert guide["Coordinator email"] == "pat.jones@council.example"
    assert guide["Return updates by"] == dt.datetime(2010, 1, 8)
    m = meta(plan_file)
    assert (m["period"], m["coordinator"], m["return_by"]) == ("Q3 2009/10", "Pat Jones", "2010-01-08")
    shown = run_cli("settings", plan_file)
    assert shown.returncode == 0 and "8 January 2010" in shown.stdout and "Pat Jones" in shown.stdout


def test_a_change_keeps_everything_else_of_the_plan(plan_file, tmp_path):
    before = read_plan(plan_file)
    out = tmp_path / "changed.xlsx"
    change_settings(plan_file, out, title="Renamed plan")
    after = read_plan(out)
    assert after.info.title == "Renamed plan" and after.info.plan_id == before.info.plan_id
    assert [(a.ref, a.lead, a.action, a.status, a.progress, a.due.text, a.extras) for a in after.actions] == \
           [(a.ref, a.lead, a.action, a.status, a.progress, a.due.text, a.extras) for a in before.actions]
    assert after.info.leads == before.info.leads and after.info.themes == before.info.themes
    assert list(after.tabs) == list(before.tabs) and after.report.ok


def test_bad_values_are_refused_before_anything_is_written(plan_file):
    stamp = plan_file.stat().st_mtime_ns
    with pytest.raises(PlanbookError, match="not an email address"):
        change_settings(plan_file, coordinator_email="pat at council")
    result = run_cli("settings", plan_file, "--return-by", "next week")
    assert result.returncode == 2 and "not a date" in result.stderr
    assert plan_file.stat().st_mtime_ns == stamp


def edit_guide(path, **changes) -> None:
    """A coordinator changing the Guide in Excel."""
    wb = openpyxl.load_workbook(path)
    ws = wb["Guide"]
    for row in ws.iter_rows(min_row=1, max_row=12, max_col=2):
        label = row[0].value
        if "title_was" in changes and label == changes["title_was"]:
            row[0].value = changes["title"]
        elif label in changes:
            row[1].value = changes[label]
    wb.save(path)


def test_the_guide_wins_on_the_master_and_every_output_follows(plan_file, tmp_path):
    edit_guide(plan_file, **{"Reporting period": "Q3 2009/10", "Coordinator": "Sam Patel",
                             "Coordinator email": "sam.patel@council.example", "Return updates by": RETURN_BY,
                             "title_was": "Test partnership plan", "title": "Partnership plan 2009-10"})
    plan = read_plan(plan_file)
    info = plan.info
    assert (info.title, info.period, info.coordinator, info.coordinator_email, info.return_by) == (
        "Partnership plan 2009-10", "Q3 2009/10", "Sam Patel", "sam.patel@council.example", RETURN_BY)
    copies = split_plan(plan_file, tmp_path / "copies")
    for copy in copies:
        guide = guide_values(copy.path)
        assert guide["title"] == "Partnership plan 2009-10" and guide["Reporting period"] == "Q3 2009/10"
        assert guide["Coordinator"] == "Sam Patel" and guide["Return updates by"] == dt.datetime(2010, 1, 8)
        assert meta(copy.path)["period"] == "Q3 2009/10"
    requests, missing = request_updates(plan_file, tmp_path / "out", save_dir=tmp_path / "mail")  # no --return-by
    assert requests and not missing
    for req in requests:
        msg = email.message_from_bytes(req.eml.read_bytes(), policy=policy.default)
        assert msg["From"] == "Sam Patel <sam.patel@council.example>"
        body = msg.get_body(("plain",)).get_content()
        assert "8 January 2010" in body and body.rstrip().endswith("Sam Patel")
    consolidated = tmp_path / "consolidated.xlsx"
    consolidate_to([tmp_path / "copies", plan_file], consolidated, today=dt.date(2010, 1, 12))
    view = read_consolidated(consolidated)
    assert (view.title, view.period, view.coordinator, view.return_by) == (
        "Partnership plan 2009-10", "Q3 2009/10", "Sam Patel", RETURN_BY)
    report = render_report(consolidated, tmp_path / "summary.docx")
    with zipfile.ZipFile(report) as z:
        footer = z.read("word/footer1.xml").decode()
    assert "Contact: Sam Patel, sam.patel@council.example" in footer
    shown = run_cli("email", consolidated, "--to", "chair@council.example", "--save", tmp_path / "r.eml")
    assert shown.returncode == 0, shown.stderr
    msg = email.message_from_bytes((tmp_path / "r.eml").read_bytes(), policy=policy.default)
    assert msg["From"] == "Sam Patel <sam.patel@council.example>"
    assert msg.get_body(("plain",)).get_content().rstrip().endswith("Sam Patel")


def test_a_guide_value_planbook_cannot_use_is_a_finding(plan_file):
    edit_guide(plan_file, **{"Return updates by": "next week", "Coordinator email": "sam at council"})
    plan = read_plan(plan_file)
    bad = {f.cell: f for f in plan.report if f.code == "bad-setting"}
    assert set(bad) == {"B6", "B5"}, plan.report.findings
    assert plan.info.return_by is None  # the metadata's (none) kept
    result = run_cli("validate", plan_file)
    assert "bad-setting" in result.stdout


def test_a_lead_copy_that_disagrees_with_the_master_is_a_finding(plan_file, tmp_path):
    change_settings(plan_file, coordinator="Pat Jones", return_by=RETURN_BY)
    copies = {c.lead: c.path for c in split_plan(plan_file, tmp_path / "copies")}
    edit_guide(copies["Jane Smith"], **{"Coordinator": "Jane's manager"})  # the lead changed their Guide
    change_settings(plan_file, coordinator_email="desk@council.example", return_by=dt.date(2010, 1, 15))  # after sending
    jane = read_plan(copies["Jane Smith"])
    assert jane.info.coordinator == "Pat Jones"  # a copy's identity is its metadata
    result = consolidate_to([tmp_path / "copies", plan_file], tmp_path / "c.xlsx", today=dt.date(2010, 1, 12))
    differ = sorted((f.file, f.cell, f.value) for f in result.report if f.code == "settings-differ")
    assert differ == [("DD Achievement.xlsx", "B5", "pat@example.org"), ("DD Achievement.xlsx", "B6", "8 January 2010"),
                      ("Jane Smith.xlsx", "B4", "Jane's manager"), ("Jane Smith.xlsx", "B5", "pat@example.org"),
                      ("Jane Smith.xlsx", "B6", "8 January 2010")], differ
    assert result.coordinator == "Pat Jones" and result.return_by == dt.date(2010, 1, 15)
    assert len(result.actions) == 4


def test_import_takes_the_coordinator_and_emails_need_no_from(tmp_path):
    plan = tmp_path / "plan.xlsx"
    result = run_cli("import", SAMPLES / "oxfordshire_14_19.xlsx", "--out", plan, "--period", "Q1 2009/10",
                     "--coordinator", "Alex Reed", "--coordinator-email", "alex.reed@oxon.example",
                     "--return-by", "2009-07-03")
    assert result.returncode == 0, result.stderr
    info = read_plan(plan).info
    assert (info.coordinator, info.coordinator_email, info.return_by) == (
        "Alex Reed", "alex.reed@oxon.example", dt.date(2009, 7, 3))
    bad = run_cli("import", SAMPLES / "oxfordshire_14_19.xlsx", "--out", tmp_path / "p2.xlsx",
                  "--coordinator-email", "alex")
    assert bad.returncode == 2 and "not an email address" in bad.stderr and not (tmp_path / "p2.xlsx").exists()


def test_request_updates_without_a_return_by_date_says_where_to_set_one(plan_file, tmp_path):
    result = run_cli("request-updates", plan_file, "--out", tmp_path / "out", "--save-dir", tmp_path / "mail")
    assert result.returncode == 2 and "no return-by date" in result.stderr and "planbook settings" in result.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("how", ["settings", "Guide"])
def test_copies_sent_before_the_period_was_renamed_are_its_returns(plan_file, tmp_path, how):
    """The coordinator renames the period after the copies went out ("Q2 2009/10" to "Q2 2009/10
    (Jul-Sep)"), by command or on the Guide: the returns are still this period's, each said;
    next period's plan (roll forward) forgets the old name, so last period's copies stay aside."""
    from planbook.rollup.rollforward import roll_forward

    copies = {c.lead: c.path for c in split_plan(plan_file, tmp_path / "returns")}
    wb = openpyxl.load_workbook(copies["Jane Smith"])
    wb["Jane Smith"]["J2"] = "Slippage"
    wb.save(copies["Jane Smith"])
    renamed = tmp_path / "renamed.xlsx"
    if how == "settings":
        change_settings(plan_file, renamed, period="Q2 2009/10 (Jul-Sep)")
    else:
        wb = openpyxl.load_workbook(plan_file)
        cell = next(r[1] for r in wb["Guide"].iter_rows(max_row=12, max_col=2) if r[0].value == "Reporting period")
        cell.value = "Q2 2009/10 (Jul-Sep)"
        wb.save(renamed)
    result = consolidate_to([renamed, tmp_path / "returns"], tmp_path / "c.xlsx", today=dt.date(2009, 10, 9))
    assert result.period == "Q2 2009/10 (Jul-Sep)"
    assert sorted(f.file for f in result.report if f.code == "period-renamed") == sorted(p.name for p in copies.values())
    assert not [s for s in result.sources if s.skipped]
    assert next(a for a in result.actions if a.ref == "1.1").status == "Slippage"
    rolled = roll_forward(tmp_path / "c.xlsx", tmp_path / "q3.xlsx", period="Q3 2009/10")
    assert read_plan(rolled.path).info.period_was == []
    later = consolidate_to([rolled.path, tmp_path / "returns"], tmp_path / "c3.xlsx", today=dt.date(2010, 1, 9))
    assert {s.file.split("/")[-1] for s in later.sources if s.skipped} == {p.name for p in copies.values()}


def test_settings_of_a_workbook_planbook_did_not_write_are_refused(tmp_path):
    """A council's own layout (the Oxfordshire sample) has no settings to show: said in one line
    with the way in (import), not every setting shown as "(not set)" with success."""
    source = SAMPLES / "oxfordshire_14_19.xlsx"
    before = source.read_bytes()
    result = run_cli("settings", source)
    assert result.returncode == 2 and "not a planbook plan" in result.stderr and "planbook import" in result.stderr
    assert "(not set)" not in result.stdout and source.read_bytes() == before


def test_the_copies_a_request_sends_say_the_date_the_message_gives(plan_file, tmp_path):
    """request-updates --return-by: the email says "send it back by 2 October 2009", and so does
    the Guide of the copy attached to it (it was blank when the plan had no date of its own)."""
    assert read_plan(plan_file).info.return_by is None
    before = plan_file.read_bytes()
    requests, _ = request_updates(plan_file, tmp_path / "out", save_dir=tmp_path / "mail",
                                  return_by=dt.date(2009, 10, 2))
    for r in requests:
        body = email.message_from_bytes(r.eml.read_bytes(), policy=policy.default).get_body(("plain",)).get_content()
        assert "2 October 2009" in body
        assert guide_values(r.workbook)["Return updates by"] == dt.datetime(2009, 10, 2)
    assert plan_file.read_bytes() == before  # the master is not changed by asking


def test_a_leads_copy_is_not_split_again(plan_file, tmp_path):
    """Only the master is split: a lead's copy split again would go out as that lead's, without
    the plan's other leads (every maintenance command already refuses a copy)."""
    [copy, *_] = split_plan(plan_file, tmp_path / "out")
    result = run_cli("split", copy.path, "--out", tmp_path / "again")
    assert result.returncode == 2 and "a lead's copy, not the master plan" in result.stderr
    assert not (tmp_path / "again").exists() or not any((tmp_path / "again").iterdir())
