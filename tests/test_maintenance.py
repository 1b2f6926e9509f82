"""Plan maintenance between periods: each change made everywhere the plan holds the name, and
the plan left as valid as a new one (tabs, tables, drop-downs, names, history) — checked with
openpyxl and by consolidating the result."""
from __future__ import annotations

import datetime as dt

import openpyxl
import pytest

from planbook.core.errors import PlanbookError
from planbook.legacy.importer import import_plan
from planbook.rollup.pipeline import consolidate_to
from planbook.workbook import maintenance as m
from planbook.workbook.history import History
from planbook.workbook.reader import read_plan
from planbook.workbook.split import split_plan
from planbook.workbook.writer import write_plan
from tests.conftest import SAMPLES, run_cli, small_plan


@pytest.fixture
def plan(tmp_path):
    info, actions = small_plan()
    path = tmp_path / "plan.xlsx"
    write_plan(path, info, actions, history=History().with_period("Q1 2009/10", actions))
    return path


def valid(path, errors: tuple[str, ...] = ()) -> openpyxl.Workbook:
    """What makes a plan workbook valid, looked at with openpyxl: each lead tab a table with the
    drop-downs, the names the drop-downs use, and a clean read by planbook (but for ``errors``)."""
    wb = openpyxl.load_workbook(path)
    plan = read_plan(path)
    assert all(f.code in errors for f in plan.report.errors), plan.report.errors
    for tab in plan.tabs:
        ws = wb[tab]
        assert len(ws.tables) == 1, tab
        sources = {dv.formula1 for dv in ws.data_validations.dataValidation}
        assert {"StatusList", "ThemeList", "LeadList"} <= sources, (tab, sources)
        assert ws.protection.sheet
    assert {"StatusList", "ThemeList", "LeadList"} <= set(wb.defined_names)
    return wb


def lists(wb, column: str) -> list[str]:
    ws = wb["Lists"]
    header = [c.value for c in ws[1]]
    col = header.index(column) + 1
    return [ws.cell(r, col).value for r in range(2, ws.max_row + 1) if ws.cell(r, col).value]


def test_add_a_lead_gives_them_a_tab_with_everything(plan, tmp_path):
    m.add_lead(plan, "Sam Patel", "sam.patel@council.example")
    wb = valid(plan)
    assert "Sam Patel" in wb.sheetnames and "Sam Patel" in lists(wb, "Lead")
    assert "sam.patel@council.example" in lists(wb, "Email")
    m.move_action(plan, ["1.2"], "sam patel")
    copies = {c.lead: c for c in split_plan(plan, tmp_path / "copies")}
    assert copies["Sam Patel"].actions == 1 and copies["Jane Smith"].actions == 1
    with pytest.raises(PlanbookError, match="already a lead"):
        m.add_lead(plan, "SAM PATEL")
    with pytest.raises(PlanbookError, match="Kim's email 'kim at council' is not an email address"):
        m.add_lead(plan, "Kim", "kim at council")  # the lead's, not "the coordinator's"
    with pytest.raises(PlanbookError, match="Sam Patel's email"):
        m.set_lead_email(plan, "sam patel", "sam@")
    for taken in ("No lead", " no  LEAD "):  # the name of the actions with none: it would get no tab or copy
        with pytest.raises(PlanbookError, match="actions without a lead"):
            m.add_lead(plan, taken, "nl@council.example")
        with pytest.raises(PlanbookError, match="actions without a lead"):
            m.rename_lead(plan, "Sam Patel", taken)
    assert "Sam Patel" in read_plan(plan).tabs.values()


def test_rename_a_lead_everywhere(plan):
    m.rename_lead(plan, "DD Achievement", "Director of Achievement")
    wb = valid(plan)
    assert "Director of Achievement" in wb.sheetnames and "DD Achievement" not in wb.sheetnames
    assert lists(wb, "Lead") == ["Jane Smith", "Director of Achievement"]
    assert "dd@example.org" in lists(wb, "Email")
    p = read_plan(plan)
    assert {a.lead for a in p.actions if a.ref in ("3.10", "4.2a")} == {"Director of Achievement"}
    assert p.history.rows["3.10"].lead == "Director of Achievement"
    with pytest.raises(PlanbookError, match="merge the leads"):
        m.rename_lead(plan, "Jane Smith", "Director of Achievement")


def test_merge_two_leads(plan):
    m.merge_leads(plan, "Jane Smith", "DD Achievement")
    wb = valid(plan)
    assert "Jane Smith" not in wb.sheetnames and lists(wb, "Lead") == ["DD Achievement"]
    assert {a.lead for a in read_plan(plan).actions} == {"DD Achievement"}


def test_rename_and_merge_themes(plan):
    m.rename_theme(plan, "Being Healthy", "Healthy lives", heading="Be healthy: physical and mental health")
    wb = valid(plan)
    assert lists(wb, "Theme") == ["Healthy lives", "Staying Safe"]
    assert lists(wb, "Theme heading") == ["Be healthy: physical and mental health"]
    p = read_plan(plan)
    assert {a.theme for a in p.actions if a.lead == "Jane Smith"} == {"Healthy lives"}
    assert p.history.rows["1.1"].theme == "Healthy lives"
    assert p.info.theme_headings == {"Healthy lives": "Be healthy: physical and mental health"}
    m.merge_themes(plan, "Staying Safe", "Healthy lives")
    wb = valid(plan)
    assert lists(wb, "Theme") == ["Healthy lives"]


def test_retire_and_reopen(plan, tmp_path):
    m.retire_actions(plan, ["1.1"])
    wb = valid(plan)
    assert [r[0].value for r in wb["Retired actions"].iter_rows(min_row=2)] == ["1.1"]
    assert "1.1" not in [r[0].value for r in wb["Jane Smith"].iter_rows(min_row=2)]
    out = tmp_path / "c.xlsx"
    result = consolidate_to([plan], out, today=dt.date(2009, 10, 9))
    assert [a.ref for a in result.actions] == ["1.2", "3.10", "4.2a"]
    assert [a.ref for a in result.retired] == ["1.1"]
    # the committee is told, in the report and the email, why there are fewer actions than before
    from docx import Document

    from planbook.mail.content import email_context
    from planbook.word.report import render_report
    from planbook.workbook.view import read_consolidated

    said = "A further 1 complete action has been retired from the plan and is not counted here"
    report = "\n".join(p.text for p in Document(str(render_report(out, tmp_path / "r.docx"))).paragraphs)
    assert "Of the 3 actions" in report and said in report
    assert said in email_context(read_consolidated(out))["summary_sentence"]
    m.reopen_actions(plan, ["1.1"])
    p = read_plan(plan)
    assert "1.1" in [a.ref for a in p.actions] and not p.retired
    with pytest.raises(PlanbookError, match="no action 9.9"):
        m.retire_actions(plan, ["9.9"])


def test_the_commands(plan, tmp_path):
    out = tmp_path / "changed.xlsx"
    steps = [["lead", "add", plan, "Sam Patel", "--email", "sam@council.example"],
             ["action", "move", plan, "1.2", "--to", "Sam Patel"],
             ["theme", "rename", plan, "Staying Safe", "Safe from harm"],
             ["lead", "rename", plan, "DD Achievement", "Director of Achievement"],
             ["action", "retire", plan, "1.1"]]
    for step in steps:
        result = run_cli(*step)
        assert result.returncode == 0, (step, result.stderr)
    result = run_cli("lead", "merge", plan, "Sam Patel", "Jane Smith", "--out", out)
    assert result.returncode == 0 and "merged lead" in result.stdout
    assert "Sam Patel" in read_plan(plan).info.lead_names() and "Sam Patel" not in read_plan(out).info.lead_names()
    bad = run_cli("action", "move", plan, "1.2", "--to", "Nobody")
    assert bad.returncode == 2 and "add them first" in bad.stderr


def test_a_plan_with_a_sheet_of_its_own_is_not_rewritten(plan):
    wb = openpyxl.load_workbook(plan)
    wb.create_sheet("My notes")["A1"] = "call Jane on Tuesday"
    wb.save(plan)
    with pytest.raises(PlanbookError, match="My notes"):
        m.add_lead(plan, "Sam Patel")


def test_import_themes_file_gives_short_names_and_keeps_the_headings(tmp_path):
    themes = tmp_path / "themes.csv"
    headings = import_plan(SAMPLES / "oxfordshire_14_19.xlsx", None).info.themes
    themes.write_text("Heading as written,Theme\n"
                      f"\"{headings[0]}\",Collaboration\n\"{headings[1]}\",Quality of learning\n"
                      "No such heading,Nothing\n", encoding="utf-8")
    out = tmp_path / "plan.xlsx"
    result = import_plan(SAMPLES / "oxfordshire_14_19.xlsx", out, themes=themes)
    assert result.info.themes[:2] == ["Collaboration", "Quality of learning"]
    assert result.info.theme_headings["Collaboration"] == headings[0]
    unused = [f for f in result.report if f.code == "theme-alias-unused"]
    assert len(unused) == 1 and unused[0].cell == "line 4"
    wb = valid(out, errors=("duplicate-ref",))  # the source numbers two actions 5.3
    assert lists(wb, "Theme")[:2] == ["Collaboration", "Quality of learning"]
    assert lists(wb, "Theme heading")[:2] == headings[:2]
    assert read_plan(out).info.theme_headings == result.info.theme_headings
    cli = run_cli("import", SAMPLES / "oxfordshire_14_19.xlsx", "--out", tmp_path / "p2.xlsx", "--themes", themes)
    assert cli.returncode == 0, cli.stderr


def test_a_rename_is_no_hand_over_and_a_move_is_one_whatever_the_comparison(plan, tmp_path):
    """Between quarters the coordinator renames a lead and a theme and moves one action: the
    Changes sheet says exactly the move, whether it compares with the plan's history or with
    last period's consolidated workbook (--previous); the renames are no hand-over and no move."""
    from planbook.rollup.changes import HANDED_OVER, THEME_MOVED

    previous = tmp_path / "previous.xlsx"
    consolidate_to([plan], previous, today=dt.date(2009, 7, 9))
    m.rename_lead(plan, "DD Achievement", "Director of Achievement")
    m.rename_lead(plan, "Director of Achievement", "Achievement Director")  # renamed twice
    m.rename_theme(plan, "Staying Safe", "Safe from harm")
    m.move_action(plan, ["1.2"], "Achievement Director")
    assert read_plan(plan).info.renamed == [("lead", "DD Achievement", "Achievement Director"),
                                            ("theme", "Staying Safe", "Safe from harm")]
    for against in (None, previous):
        result = consolidate_to([plan], tmp_path / "c.xlsx", today=dt.date(2009, 10, 9), previous=against)
        said = [(c.kind, c.ref, c.before, c.after) for c in result.changes if c.kind in (HANDED_OVER, THEME_MOVED)]
        assert said == [(HANDED_OVER, "1.2", "Jane Smith", "Achievement Director")], (against, said)
    # the leads' copies alone (no master among the inputs) carry the renames too
    split_plan(plan, tmp_path / "copies")
    result = consolidate_to([tmp_path / "copies"], tmp_path / "c2.xlsx", today=dt.date(2009, 10, 9), previous=previous)
    said = [(c.kind, c.ref, c.before, c.after) for c in result.changes if c.kind in (HANDED_OVER, THEME_MOVED)]
    assert said == [(HANDED_OVER, "1.2", "Jane Smith", "Achievement Director")], said


@pytest.mark.parametrize("change", [["settings", "{plan}", "--return-by", "2009-10-02"],
                                    ["lead", "add", "{plan}", "Sam Patel"],
                                    ["lead", "email", "{plan}", "Jane Smith", "jane.smith@council.example"],
                                    ["lead", "rename", "{plan}", "DD Achievement", "Director of Achievement"],
                                    ["lead", "merge", "{plan}", "DD Achievement", "Jane Smith"],
                                    ["theme", "rename", "{plan}", "Staying Safe", "Safe from harm"],
                                    ["theme", "merge", "{plan}", "Staying Safe", "Being Healthy"],
                                    ["action", "move", "{plan}", "1.2", "--to", "DD Achievement"],
                                    ["action", "retire", "{plan}", "1.1"]], ids=lambda c: " ".join(c[:2]))
def test_out_never_replaces_another_file_unless_forced(plan, tmp_path, change):
    """Every command that changes the plan and writes it to --out: a file already there (a lead's
    returned copy) is refused and left as it was; --force replaces it; --out naming the plan
    itself changes it in place, as with no --out."""
    returned = tmp_path / "returns" / "Jane Smith.xlsx"
    returned.parent.mkdir()
    returned.write_bytes(b"a lead's return")
    args = [a.replace("{plan}", str(plan)) for a in change]
    refused = run_cli(*args, "--out", returned)
    assert refused.returncode == 2 and "already exists" in refused.stderr and "--force" in refused.stderr
    assert returned.read_bytes() == b"a lead's return"
    forced = run_cli(*args, "--out", returned, "--force")
    assert forced.returncode == 0, forced.stderr
    assert read_plan(returned).role == "plan"
    again = run_cli(*args, "--out", plan)
    assert again.returncode in (0, 2) and "already exists" not in again.stderr  # 2: the change is made already
