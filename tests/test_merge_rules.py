"""Merge rules a coordinator can trust (issue 11, and issue 10 item 6).

Each test builds small returns in code where, before these rules, a lead's action was lost or
the wrong copy was used; consolidates them with the real CLI; and checks that the action is in
All actions, in Exceptions (when unfinished) and in the Word report (rendered and reopened),
that the finding names the cells, and that the rows balance: rows in the inputs (counted here
with openpyxl) = rows in All actions + rows listed on Data issues as superseded or skipped.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
from docx import Document
from python_calamine import CalamineWorkbook

from planbook import Action, Lead, PlanInfo, read_plan, write_plan
from planbook.rollup.consolidate import consolidate
from planbook.word.report import render_report
from planbook.workbook.split import split_plan

from .conftest import run_cli, small_plan

AS_OF = "2009-10-09"
PLAN_SHEETS = ("Guide", "Lists", "_planbook")
#: Data issues rows whose Value is how many input rows they stand for.
COUNTED = ("superseded", "superseded-copy", "other-plan", "not-a-planbook")


def _sheet(path: Path, name: str) -> list[dict]:
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(name).to_python()
    return [dict(zip(rows[0], r)) for r in rows[1:] if any(v != "" for v in r)]


def _rows_in(folder: Path) -> int:
    """Non-empty rows under a header with a Ref column, in every workbook of ``folder``
    (openpyxl: not the reader under test)."""
    total = 0
    for path in sorted(folder.rglob("*.xlsx")):
        try:
            wb = openpyxl.load_workbook(path, read_only=True)
        except zipfile.BadZipFile:
            continue  # not a workbook at all: no rows to count
        for ws in wb.worksheets:
            if ws.title in PLAN_SHEETS:
                continue
            rows = [r for r in ws.iter_rows(values_only=True)]
            header = next((i for i, r in enumerate(rows) if "Ref" in r), None)
            if header is not None:
                total += sum(1 for r in rows[header + 1:] if any(v not in (None, "") and str(v).strip() for v in r))
        wb.close()
    return total


def _hashes(folder: Path) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


def _docx_text(path: Path) -> str:
    doc = Document(str(path))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts += [cell.text for cell in row.cells]
    return "\n".join(parts)


class Run:
    """One consolidation through the CLI, its workbook read back, and its Word report."""

    def __init__(self, folder: Path, tmp: Path, *extra_inputs: Path) -> None:
        before = _hashes(folder)
        self.out = tmp / "consolidated.xlsx"
        self.cli = run_cli("consolidate", folder, *extra_inputs, "--out", self.out, "--as-of", AS_OF)
        assert self.cli.returncode == 0, self.cli.stderr
        assert "Traceback" not in self.cli.stderr
        assert _hashes(folder) == before  # inputs untouched
        self.actions = _sheet(self.out, "All actions")
        self.exceptions = _sheet(self.out, "Exceptions")
        self.issues = _sheet(self.out, "Data issues")
        self.sources = _sheet(self.out, "Sources")
        self.report = _docx_text(render_report(self.out, tmp / "summary.docx"))

    def issues_of(self, code: str) -> list[dict]:
        return [i for i in self.issues if i["Problem"] == code]

    def listed(self) -> int:
        """Input rows listed on Data issues as superseded or skipped."""
        return (sum(int(i["Value"]) for i in self.issues if i["Problem"] in COUNTED)
                + len(self.issues_of("duplicate-across-sources")))

    def shows(self, ref: str, text: str, *, unfinished: bool = True) -> dict:
        """The action is in All actions, in Exceptions when unfinished, and in the Word report."""
        rows = [a for a in self.actions if a["Ref"] == ref and a["Action"] == text]
        assert len(rows) == 1, (ref, text, [(a["Ref"], a["Action"]) for a in self.actions])
        if unfinished:
            assert any(e["Ref"] == ref and e["Action"] == text for e in self.exceptions), (ref, text)
        assert text in self.report
        return rows[0]


def _master(folder: Path, info: PlanInfo | None = None, actions: list[Action] | None = None) -> Path:
    base_info, base_actions = small_plan()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "plan.xlsx"
    write_plan(path, info or base_info, actions if actions is not None else base_actions)
    return path


def _add_rows(path: Path, sheet: str, rows: list[tuple[str, str, str, str]]) -> list[int]:
    """Type rows (Ref, Action, Lead, Status) below a tab's actions, as a lead does; their row numbers."""
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
    first = max(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value) + 1
    for i, (ref, text, lead, status) in enumerate(rows):
        ws.cell(first + i, 1, ref)
        ws.cell(first + i, 4, text)
        ws.cell(first + i, 5, lead)
        ws.cell(first + i, 10, status)
    wb.save(path)
    return [first + i for i in range(len(rows))]


# 1. Ref collisions keep both actions ------------------------------------------------------------


def test_ref_collisions_keep_both_actions_and_name_each_others_cell(tmp_path):
    folder = tmp_path / "in"
    master = _master(folder)
    split_plan(master, folder / "returns")
    jane, dd = folder / "returns" / "Jane Smith.xlsx", folder / "returns" / "DD Achievement.xlsx"
    # both leads number a new action 4.3; 7.1a and 7.1A differ only in case; Jane also re-types
    # DD's 3.10 with a full stop: the same action, which merges (the owner's copy wins)
    j_rows = _add_rows(jane, "Jane Smith", [("4.3", "Jane's new parenting course", "Jane Smith", "On track"),
                                            ("7.1a", "Jane's youth forum", "Jane Smith", "Slippage"),
                                            ("3.10", "Audit safeguarding.", "Jane Smith", "Complete")])
    d_rows = _add_rows(dd, "DD Achievement", [("4.3", "DD's attendance drive", "DD Achievement", "Off track"),
                                              ("7.1A", "DD's school meals review", "DD Achievement", "Not started")])
    run = Run(folder, tmp_path)
    jane_43 = run.shows("4.3", "Jane's new parenting course")
    dd_43 = run.shows("4.3", "DD's attendance drive")
    run.shows("7.1a", "Jane's youth forum")
    run.shows("7.1A", "DD's school meals review")
    assert jane_43["Note"].startswith("Ref collision") and f"DD Achievement.xlsx!DD Achievement!A{d_rows[0]}" in jane_43["Note"]
    assert f"Jane Smith.xlsx!Jane Smith!A{j_rows[0]}" in dd_43["Note"]
    clashes = run.issues_of("ref-collision")
    assert {(c["File"], c["Cell"], c["Value"]) for c in clashes} == {
        ("Jane Smith.xlsx", f"A{j_rows[0]}", "4.3"), ("DD Achievement.xlsx", f"A{d_rows[0]}", "4.3"),
        ("Jane Smith.xlsx", f"A{j_rows[1]}", "7.1a"), ("DD Achievement.xlsx", f"A{d_rows[1]}", "7.1A")}
    assert all(c["Severity"] == "error" and "renumber" in c["What is wrong"] for c in clashes)
    one = next(c for c in clashes if c["Value"] == "4.3" and c["File"] == "Jane Smith.xlsx")
    assert f"DD Achievement.xlsx!DD Achievement!A{d_rows[0]}" in one["What is wrong"]
    # the same action twice merges: DD's own copy of 3.10 is used
    assert [a["Action"] for a in run.actions if a["Ref"] == "3.10"] == ["Audit safeguarding"]
    dup = run.issues_of("duplicate-across-sources")
    assert [(d["File"], d["Cell"]) for d in dup] == [("Jane Smith.xlsx", f"A{j_rows[2]}")]
    assert _rows_in(folder) == len(run.actions) + run.listed() == 4 + 4 + 5  # master, copies, typed rows
    assert "Needs a person" in run.cli.stdout and f"Jane Smith.xlsx!Jane Smith!A{j_rows[0]}" in run.cli.stdout


def test_near_same_text_merges_and_a_different_text_does_not():
    from planbook.rollup.merge import same_action

    assert same_action("Audit safeguarding", "Audit  safeguarding.")
    assert same_action("Develop performance management", "Develop performance managment")  # a typo fixed
    assert not same_action("Audit safeguarding", "Run the attendance drive")
    assert not same_action("Audit safeguarding", "")


# 2. Two returns from the same lead --------------------------------------------------------------


def test_two_returns_from_one_lead_use_the_latest_edits(tmp_path):
    folder = tmp_path / "in"
    master = _master(folder)
    plan = read_plan(master)
    returns = folder / "returns"
    returns.mkdir()
    split_plan(master, returns)
    mine = [a for a in plan.actions if a.lead == "Jane Smith"]
    old = [Action(a.ref, a.action, a.lead, a.theme, status="Not started", progress="old news",
                  last_updated=dt.date(2009, 10, 1)) for a in mine]
    new = [Action(a.ref, a.action, a.lead, a.theme, status="Off track", progress="fresh news",
                  last_updated=dt.date(2009, 10, 4)) for a in mine]
    new.append(Action("1.3", "Jane's new action only in her latest copy", "Jane Smith", "Being Healthy",
                      status="Slippage", last_updated=dt.date(2009, 10, 4)))
    # the older copy sorts first and is the newer file on disk: neither order nor mtime may decide
    write_plan(returns / "Jane Smith.xlsx", plan.info, new, only_leads=["Jane Smith"], role="lead-copy")
    write_plan(returns / "Jane Smith (old).xlsx", plan.info, old, only_leads=["Jane Smith"], role="lead-copy")
    run = Run(folder, tmp_path)
    run.shows("1.3", "Jane's new action only in her latest copy")
    assert {a["Ref"]: a["Status"] for a in run.actions if a["Lead"] == "Jane Smith"} == {
        "1.1": "Off track", "1.2": "Off track", "1.3": "Slippage"}
    line = ("Jane Smith returned 2 copies: used returns/Jane Smith.xlsx (4 Oct 2009), "
            "not returns/Jane Smith (old).xlsx (1 Oct 2009)")
    assert line in run.cli.stdout
    superseded = run.issues_of("superseded-copy")
    assert [(s["File"], s["Value"]) for s in superseded] == [("Jane Smith (old).xlsx", "2")]
    assert "4 Oct 2009" in superseded[0]["What is wrong"] and "1 Oct 2009" in superseded[0]["What is wrong"]
    skipped = {s["File"]: s["Skipped because"] for s in run.sources}
    assert skipped["returns/Jane Smith (old).xlsx"].startswith("superseded by returns/Jane Smith.xlsx")
    assert skipped["returns/Jane Smith.xlsx"] == ""
    assert _rows_in(folder) == len(run.actions) + run.listed()


def test_same_dates_then_the_newer_file_wins(tmp_path):
    folder = tmp_path / "in"
    master = _master(folder)
    plan = read_plan(master)
    a = [x for x in plan.actions if x.lead == "DD Achievement"]
    write_plan(folder / "DD one.xlsx", plan.info, [Action(x.ref, x.action, x.lead, status="Complete") for x in a],
               only_leads=["DD Achievement"], role="lead-copy")
    write_plan(folder / "DD two.xlsx", plan.info, [Action(x.ref, x.action, x.lead, status="On track") for x in a],
               only_leads=["DD Achievement"], role="lead-copy")
    os.utime(folder / "DD one.xlsx", (2_000_000_000, 2_000_000_000))  # saved later
    os.utime(folder / "DD two.xlsx", (1_900_000_000, 1_900_000_000))
    result = consolidate([folder], today=dt.date(2009, 10, 9))
    assert {x.status for x in result.actions if x.lead == "DD Achievement"} == {"Complete"}
    assert result.notices and "used DD one.xlsx (file saved" in result.notices[0]
    assert result.rows_in == len(result.actions) + result.rows_superseded + result.rows_skipped


# 3. Returns belong to one plan ------------------------------------------------------------------


def test_last_years_copy_and_a_legacy_sheet_in_the_folder_are_skipped(tmp_path):
    folder = tmp_path / "in"
    master = _master(folder)
    returns = folder / "returns"
    split_plan(master, returns)
    (returns / "Jane Smith.xlsx").unlink()  # Jane has not returned this year's copy...
    old_info = PlanInfo("Old 2008 Plan", "2008/09", [Lead("Jane Smith")])
    write_plan(tmp_path / "old.xlsx", old_info, [Action("1.1", "Last year's action", "Jane Smith", status="Off track"),
                                                 Action("1.2", "Record ECM outcomes", "Jane Smith", status="Complete")])
    split_plan(tmp_path / "old.xlsx", tmp_path / "old")
    shutil.copy(tmp_path / "old" / "Jane Smith.xlsx", returns / "Jane Smith 2008.xlsx")  # ...but last year's is here
    legacy = openpyxl.Workbook()  # a council's own sheet, not a planbook workbook
    ws = legacy.active
    ws.append(["Ref", "Action", "Lead", "Status"])
    for i in range(5):
        ws.append([f"9.{i}", f"Legacy action {i}", "Someone", "Off track"])
    legacy.save(returns / "Legacy tracker.xlsx")
    run = Run(folder, tmp_path)
    # Jane's actions come from this year's master, not last year's copy
    run.shows("1.2", "Record ECM outcomes")
    assert {a["Ref"]: a["Source file"] for a in run.actions if a["Lead"] == "Jane Smith"} == {
        "1.1": "plan.xlsx", "1.2": "plan.xlsx"}
    assert not any(a["Action"].startswith(("Legacy action", "Last year's")) for a in run.actions)
    skipped = {s["File"]: s["Skipped because"] for s in run.sources}
    assert skipped["returns/Jane Smith 2008.xlsx"] == "belongs to 'Old 2008 Plan', period 2008/09, not this plan"
    assert skipped["returns/Legacy tracker.xlsx"].startswith("not a planbook workbook")
    assert {i["File"] for i in run.issues_of("other-plan")} == {"Jane Smith 2008.xlsx"}
    assert [(i["File"], i["Value"]) for i in run.issues_of("not-a-planbook")] == [("Legacy tracker.xlsx", "5")]
    assert _rows_in(folder) == len(run.actions) + run.listed() == 4 + 2 + 2 + 5
    assert not run.issues_of("unknown-lead") and not run.issues_of("missing-metadata")  # no phantom errors


def test_new_and_split_carry_one_plan_id_and_two_masters_are_an_error(tmp_path):
    assert run_cli("new", tmp_path / "a.xlsx", "--title", "Plan A", "--period", "Q2 2009/10",
                   "--lead", "Jane Smith").returncode == 0
    meta = {r[0]: r[1] for r in openpyxl.load_workbook(tmp_path / "a.xlsx")["_planbook"].iter_rows(values_only=True)}
    assert len(meta["plan_id"]) == 32 and meta["title"] == "Plan A" and meta["period"] == "Q2 2009/10"
    split_plan(tmp_path / "a.xlsx", tmp_path / "returns")
    assert read_plan(tmp_path / "returns" / "Jane Smith.xlsx").info.plan_id == meta["plan_id"]
    # the same master twice (a copy left beside it): an error naming both
    shutil.copy(tmp_path / "a.xlsx", tmp_path / "a copy.xlsx")
    twice = run_cli("consolidate", tmp_path / "a.xlsx", tmp_path / "a copy.xlsx", "--out", tmp_path / "o.xlsx")
    assert twice.returncode == 2 and "a.xlsx" in twice.stderr and "a copy.xlsx" in twice.stderr
    assert "both the master" in twice.stderr and len(twice.stderr.strip().splitlines()) == 1
    # masters of two different plans
    assert run_cli("new", tmp_path / "b.xlsx", "--title", "Plan B", "--period", "Q2 2009/10",
                   "--lead", "Jane Smith").returncode == 0
    two = run_cli("consolidate", tmp_path / "a.xlsx", tmp_path / "b.xlsx", "--out", tmp_path / "o.xlsx")
    assert two.returncode == 2 and "different plans" in two.stderr and "'Plan A'" in two.stderr and "'Plan B'" in two.stderr
    assert not (tmp_path / "o.xlsx").exists()


def test_import_gives_the_plan_an_id(tmp_path):
    csv = tmp_path / "old.csv"
    csv.write_text("Ref,Action,Lead,Status\n1.1,Do a thing,Jane Smith,On track\n", encoding="utf-8")
    result = run_cli("import", csv, "--out", tmp_path / "plan.xlsx", "--title", "Imported", "--period", "Q1 2009/10")
    assert result.returncode == 0, result.stderr
    assert len(read_plan(tmp_path / "plan.xlsx").info.plan_id) == 32


def test_validate_of_a_workbook_that_is_not_a_planbook_exits_2_suggesting_import(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.append(["Ref", "Action", "Lead", "Status"])
    wb.active.append(["1", "Something", "Someone", "Red"])
    wb.save(tmp_path / "tracker.xlsx")
    result = run_cli("validate", tmp_path / "tracker.xlsx")
    assert result.returncode == 2 and "planbook import" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


# 4. A row the lead deleted ----------------------------------------------------------------------


def test_a_row_missing_from_the_leads_return_stays_marked(tmp_path):
    folder = tmp_path / "in"
    master = _master(folder)
    split_plan(master, folder / "returns")
    jane = folder / "returns" / "Jane Smith.xlsx"
    wb = openpyxl.load_workbook(jane)
    ws = wb["Jane Smith"]
    assert ws["A3"].value == "1.2"
    ws.delete_rows(3)  # Jane deleted 1.2 from her copy
    wb.save(jane)
    added = _add_rows(jane, "Jane Smith", [("1.4", "Jane's added action", "Jane Smith", "On track")])
    run = Run(folder, tmp_path)
    row = run.shows("1.2", "Record ECM outcomes")
    assert row["Source file"] == "plan.xlsx" and row["Note"].startswith("Not in the lead's return")
    assert any(e["Ref"] == "1.2" and "Not in the lead's return" in e["Why"] for e in run.exceptions)
    run.shows("1.4", "Jane's added action")  # new rows are rolled up as before
    assert added
    gone = run.issues_of("not-in-return")
    assert [(g["File"], g["Sheet"], g["Cell"], g["Value"]) for g in gone] == [("plan.xlsx", "Jane Smith", "A3", "1.2")]
    assert "Jane Smith.xlsx" in gone[0]["What is wrong"]
    assert _rows_in(folder) == len(run.actions) + run.listed()


# 5. Extras never shadow standard columns --------------------------------------------------------


def test_a_leads_own_status_column_is_renamed_and_never_shadows_the_standard_one(tmp_path):
    folder = tmp_path / "in"
    master = _master(folder)
    split_plan(master, folder / "returns")
    jane = folder / "returns" / "Jane Smith.xlsx"
    wb = openpyxl.load_workbook(jane)
    ws = wb["Jane Smith"]
    width = ws.max_column
    for col, header, values in ((width + 1, "Status", ["Red", "Red"]), (width + 2, "Notes", ["first a", "first b"]),
                                (width + 3, "Notes", ["second a", "second b"])):
        ws.cell(1, col, header)
        ws.cell(2, col, values[0])
        ws.cell(3, col, values[1])
    wb.save(jane)
    run = Run(folder, tmp_path)
    mine = {a["Ref"]: a for a in run.actions if a["Lead"] == "Jane Smith"}
    assert mine["1.1"]["Status"] == "Complete" and mine["1.2"]["Status"] == "On track"  # the standard column
    assert mine["1.1"]["Status (2)"] == "Red"
    assert (mine["1.1"]["Notes"], mine["1.1"]["Notes (2)"]) == ("first a", "second a")
    renamed = run.issues_of("renamed-column")
    assert sorted((r["Value"], r["Cell"]) for r in renamed) == [
        ("Notes", f"{openpyxl.utils.get_column_letter(width + 3)}1"),
        ("Status", f"{openpyxl.utils.get_column_letter(width + 1)}1")]
    headers = CalamineWorkbook.from_path(str(run.out)).get_sheet_by_name("All actions").to_python()[0]
    assert len(headers) == len(set(headers))
    from planbook.workbook.view import read_consolidated

    view = {a["Ref"]: a["Status"] for a in read_consolidated(run.out).actions}
    assert view["1.1"] == "Complete"  # what report, email and --previous read
    assert _rows_in(folder) == len(run.actions) + run.listed()


# 6. Data issues a coordinator can read ----------------------------------------------------------


def test_data_issues_errors_first_superseded_folded_and_sources_by_relative_path(tmp_path):
    folder = tmp_path / "in"
    master = _master(folder)
    split_plan(master, folder / "a")
    split_plan(master, folder / "b")
    _add_rows(folder / "a" / "DD Achievement.xlsx", "DD Achievement", [("1.1", "DD's clash", "DD Achievement", "On track")])
    os.utime(folder / "a" / "Jane Smith.xlsx", (1_900_000_000, 1_900_000_000))  # b's Jane saved later
    os.utime(folder / "b" / "Jane Smith.xlsx", (2_000_000_000, 2_000_000_000))
    run = Run(folder, tmp_path)
    order = {"error": 0, "warning": 1, "info": 2}
    severities = [order[i["Severity"]] for i in run.issues]
    assert severities == sorted(severities) and severities[0] == 0
    folded = run.issues_of("superseded")
    assert sorted(f["What is wrong"] for f in folded) == [
        "2 row(s) of DD Achievement's tab on plan.xlsx replaced by a/DD Achievement.xlsx",
        "2 row(s) of Jane Smith's tab on plan.xlsx replaced by b/Jane Smith.xlsx"]
    files = {s["File"] for s in run.sources}
    assert {"a/Jane Smith.xlsx", "b/Jane Smith.xlsx", "plan.xlsx"} <= files
    # the two Jane Smith.xlsx are two copies from one lead: told apart everywhere
    assert "Jane Smith returned 2 copies: used b/Jane Smith.xlsx (1 Sep 2009, file saved" in run.cli.stdout
    assert "not a/Jane Smith.xlsx (1 Sep 2009, file saved" in run.cli.stdout
    assert {a["Source file"] for a in run.actions if a["Lead"] == "Jane Smith"} == {"b/Jane Smith.xlsx"}
    clash = run.issues_of("ref-collision")
    assert {c["File"] for c in clash} == {"a/DD Achievement.xlsx", "b/Jane Smith.xlsx"}
    assert "a/DD Achievement.xlsx!DD Achievement!A4" in run.cli.stdout  # errors printed with their cells
    assert _rows_in(folder) == len(run.actions) + run.listed()


# issue 10 item 6: a return planbook cannot read -------------------------------------------------


@pytest.mark.parametrize("damage", ["header row deleted", "headers renamed"])
def test_an_unreadable_return_is_an_error_and_the_stale_rows_are_marked(tmp_path, damage):
    folder = tmp_path / "in"
    master = _master(folder)
    split_plan(master, folder / "returns")
    jane = folder / "returns" / "Jane Smith.xlsx"
    wb = openpyxl.load_workbook(jane)
    ws = wb["Jane Smith"]
    if damage == "header row deleted":
        ws.delete_rows(1)
    else:  # renamed beyond recognition
        for c in range(1, ws.max_column + 1):
            ws.cell(1, c, f"Column {c}")
    wb.save(jane)
    run = Run(folder, tmp_path)
    for ref, text in (("1.2", "Record ECM outcomes"),):
        row = run.shows(ref, text)
        assert row["Source file"] == "plan.xlsx" and row["Note"].startswith("Stale: lead's return unreadable")
    assert next(a for a in run.actions if a["Ref"] == "1.1")["Note"].startswith("Stale")
    errors = run.issues_of("return-unreadable")
    assert [(e["Severity"], e["File"], e["Sheet"]) for e in errors] == [("error", "Jane Smith.xlsx", "Jane Smith")]
    message = "Jane Smith.xlsx: no header row found on tab 'Jane Smith': the master's copy of Jane Smith's actions was used"
    assert errors[0]["What is wrong"].startswith(message)
    assert message in run.cli.stdout and "(its latest update: 1 Sep 2009)" in errors[0]["What is wrong"]
    assert [(i["File"], i["Sheet"]) for i in run.issues_of("sheet-skipped")] == [("Jane Smith.xlsx", "Jane Smith")]
    assert _rows_in(folder) == len(run.actions) + run.listed() == 4 + 2  # the unreadable tab's rows: sheet-skipped


def test_a_master_whose_metadata_names_a_tab_that_is_gone_says_which(tmp_path):
    master = _master(tmp_path)
    wb = openpyxl.load_workbook(master)
    del wb["DD Achievement"]
    wb.save(master)
    plan = read_plan(master)
    missing = [f for f in plan.report if f.code == "missing-tab"]
    assert [(f.sheet, f.value) for f in missing] == [("DD Achievement", "DD Achievement")]
    result = run_cli("validate", master)
    assert result.returncode == 0 and "missing-tab" in result.stdout and "DD Achievement" in result.stdout


def test_a_ref_on_two_tabs_of_one_master_is_flagged_for_the_committee(tmp_path):
    path = tmp_path / "plan.xlsx"
    write_plan(path, PlanInfo("T", "Q2 2009/10", [Lead("A"), Lead("B")]),
               [Action("5.3", "First", "A", status="Complete"), Action("5.3", "Second", "B"), Action("6.1", "Other", "B")])
    result = consolidate([path], today=dt.date(2009, 10, 9))
    notes = {a.action: a.note for a in result.actions}
    assert notes["First"] == "Ref collision: 5.3 is also plan.xlsx!B!A2; renumber one"
    assert notes["Second"] == "Ref collision: 5.3 is also plan.xlsx!A!A2; renumber one" and notes["Other"] == ""
    assert {e.action.action for e in result.exceptions if "Ref collision" in e.reason} == {"First", "Second"}
    assert [f.code for f in result.report] == ["duplicate-ref"]  # the reader's finding names the cells


def test_a_real_councils_own_sheet_in_the_returns_folder_adds_no_phantom_actions(tmp_path):
    from .conftest import SAMPLES

    master = _master(tmp_path)
    split_plan(master, tmp_path / "returns")
    alone = consolidate([tmp_path / "returns", master], today=dt.date(2009, 10, 9))
    for name in ("middlesbrough_cs.xlsx", "oxfordshire_14_19.xlsx"):
        shutil.copy(SAMPLES / name, tmp_path / "returns" / name)
    result = consolidate([tmp_path / "returns", master], today=dt.date(2009, 10, 9))
    assert len(result.actions) == len(alone.actions) == 4
    assert [f.code for f in result.report if f.severity == "error"] == []
    skipped = {Path(s.file).name: s for s in result.sources if s.skipped}
    assert set(skipped) == {"middlesbrough_cs.xlsx", "oxfordshire_14_19.xlsx"}
    assert all(s.skipped.startswith("not a planbook workbook") and s.rows > 0 for s in skipped.values())
    assert result.rows_in == len(result.actions) + result.rows_superseded + result.rows_skipped


def test_a_return_that_cannot_be_opened_marks_the_leads_master_rows_stale(tmp_path):
    folder = tmp_path / "in"
    _master(folder)
    returns = folder / "returns"
    returns.mkdir()
    (returns / "Jane Smith.xlsx").write_bytes(b"PK\x03\x04 a truncated download")  # corrupt
    (returns / "DD Achievement.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600))  # saved as .xls
    run = Run(folder, tmp_path)
    for ref, text in (("1.2", "Record ECM outcomes"), ("3.10", "Audit safeguarding")):
        assert run.shows(ref, text)["Note"].startswith("Stale: lead's return unreadable")
    errors = {e["Value"]: e for e in run.issues_of("return-unreadable")}
    assert set(errors) == {"Jane Smith", "DD Achievement"} and all(e["Severity"] == "error" for e in errors.values())
    assert "the master's copy of Jane Smith's actions was used" in errors["Jane Smith"]["What is wrong"]
    assert "Excel 97-2003" in errors["DD Achievement"]["What is wrong"]
    assert "Jane Smith.xlsx (named for Jane Smith) could not be read" in run.cli.stdout
    assert _rows_in(folder) == len(run.actions) + run.listed() == 4


def test_a_title_typed_above_the_header_is_a_note_not_lost(tmp_path):
    """A lead adds a title and 'prepared by' above their table: the actions are read as
    before, and each row above the header is a note on Data issues with its cell and text."""
    import openpyxl

    from planbook.workbook.split import split_plan

    info, actions = small_plan()
    plan = tmp_path / "plan.xlsx"
    write_plan(plan, info, actions)
    copies = split_plan(plan, tmp_path / "returns")
    mine = next(c.path for c in copies if c.lead == "Jane Smith")
    book = openpyxl.load_workbook(mine)
    sheet = book["Jane Smith"]
    for name in list(sheet.tables):
        del sheet.tables[name]
    sheet.insert_rows(1, 3)
    sheet["A1"], sheet["C2"] = "Jane's update, Q2", "Prepared by J Bloggs"
    book.save(mine)
    result = consolidate([tmp_path / "returns", plan], today=dt.date(2009, 10, 9))
    above = sorted((f.sheet, f.cell, f.value) for f in result.report if f.code == "above-header")
    assert above == [("Jane Smith", "A1", "Jane's update, Q2"), ("Jane Smith", "C2", "Prepared by J Bloggs")]
    theirs = [a for a in result.actions if a.origin and a.origin.file == "Jane Smith.xlsx"]
    assert {a.ref for a in theirs} == {a.ref for a in actions if a.lead == "Jane Smith"}
    assert all(a.origin.row >= 5 for a in theirs)  # read under the header, now on row 4


def test_a_header_row_pasted_again_is_a_note_not_an_action(tmp_path):
    """A lead pastes the header row again under the header (or above a second block of rows):
    it is not an action named "Ref", counted in the totals, but a note with its cell."""
    import openpyxl

    from planbook.workbook.split import split_plan

    info, actions = small_plan()
    plan = tmp_path / "plan.xlsx"
    write_plan(plan, info, actions)
    mine = next(c.path for c in split_plan(plan, tmp_path / "returns") if c.lead == "Jane Smith")
    book = openpyxl.load_workbook(mine)
    sheet = book["Jane Smith"]
    sheet.insert_rows(3)
    for cell in sheet[1]:
        sheet.cell(3, cell.column, cell.value)
    book.save(mine)
    result = consolidate([tmp_path / "returns", plan], today=dt.date(2009, 10, 9))
    assert [(f.sheet, f.cell) for f in result.report if f.code == "repeated-header"] == [("Jane Smith", "A3")]
    assert not [a for a in result.actions if a.ref == "Ref"]
    assert {a.ref for a in result.actions if a.lead == "Jane Smith"} == {a.ref for a in actions if a.lead == "Jane Smith"}


@pytest.mark.parametrize("returned", [("Jane Smith", "DD Achievement"), ("Jane Smith",), ()],
                         ids=["both returned", "one returned", "none returned"])
def test_a_ref_the_plan_gives_two_leads_is_the_plans_to_fix_not_theirs(tmp_path, returned):
    """The plan itself numbers two leads' actions 3.10 (an imported plan can): copies returned as
    sent collide by the plan's doing, so the collision is listed against the plan, both actions
    are kept and flagged, and no lead's return counts it as their error."""
    from planbook.rollup.pipeline import track_returns

    info, actions = small_plan()
    actions[0].ref = "3.10"  # Jane's 1.1 now shares DD Achievement's 3.10
    master = tmp_path / "plan.xlsx"
    write_plan(master, info, actions)
    copies = {c.lead: c.path for c in split_plan(master, tmp_path / "copies")}
    (tmp_path / "returns").mkdir()
    for lead in returned:
        wb = openpyxl.load_workbook(copies[lead])
        ws = wb[lead]
        header = [c.value for c in ws[1]]
        for r in range(2, ws.max_row + 1):
            if ws.cell(r, 1).value:
                ws.cell(r, header.index("Status") + 1).value = "On track"
        wb.save(tmp_path / "returns" / copies[lead].name)
    result = consolidate([master, tmp_path / "returns"], today=dt.date(2009, 10, 9))
    flagged = [a for a in result.actions if a.ref == "3.10"]
    assert len(flagged) == 2 and all("3.10 is also" in a.note for a in flagged)
    tracker = track_returns(master, tmp_path / "returns")
    assert {r.lead: r.error_count for r in tracker.leads} == {"Jane Smith": 0, "DD Achievement": 0}
    assert all(f.file == "plan.xlsx" for f in result.report if f.code in ("ref-collision", "duplicate-ref"))
    assert any(f.code in ("ref-collision", "duplicate-ref") for f in result.report)


def test_a_ref_a_lead_types_over_anothers_is_their_own_collision(tmp_path):
    """Against that: a lead who renumbers an action to another lead's Ref made the collision."""
    from planbook.rollup.pipeline import track_returns

    info, actions = small_plan()
    master = tmp_path / "plan.xlsx"
    write_plan(master, info, actions)
    copy = next(c.path for c in split_plan(master, tmp_path / "copies") if c.lead == "Jane Smith")
    wb = openpyxl.load_workbook(copy)
    wb["Jane Smith"]["A3"] = "3.10"  # Jane's 1.2 typed as DD Achievement's 3.10
    (tmp_path / "returns").mkdir()
    wb.save(tmp_path / "returns" / copy.name)
    tracker = track_returns(master, tmp_path / "returns")
    assert {r.lead: r.error_count for r in tracker.leads}["Jane Smith"] >= 1


@pytest.mark.parametrize("case", ["unchanged", "typo fixed", "two alike", "new row"])
def test_a_row_whose_ref_a_lead_blanked_is_the_plans_action(tmp_path, case):
    """A lead cuts a row and pastes it back, or clears its Ref: the row is the plan's action of
    the same text on their tab, counted once under its Ref (not once without a Ref and again as
    "not in the return"); two actions alike, or a row of new text, are never guessed."""
    from planbook.rollup.pipeline import track_returns

    info, actions = small_plan()
    if case == "two alike":
        actions[1].action = actions[0].action  # Jane's 1.1 and 1.2 read the same
    master = tmp_path / "plan.xlsx"
    write_plan(master, info, actions)
    copy = next(c.path for c in split_plan(master, tmp_path / "copies") if c.lead == "Jane Smith")
    wb = openpyxl.load_workbook(copy)
    ws = wb["Jane Smith"]
    header = [c.value for c in ws[1]]
    ws["A2"] = None
    ws.cell(2, header.index("Status") + 1).value = "Slippage"
    if case == "typo fixed":
        ws.cell(2, header.index("Action") + 1).value = actions[0].action + "s"
    if case == "two alike":
        ws["A3"] = None
    if case == "new row":
        ws.cell(2, header.index("Action") + 1).value = "Run a reading club for looked-after children"
    (tmp_path / "returns").mkdir()
    wb.save(tmp_path / "returns" / copy.name)
    result = consolidate([master, tmp_path / "returns"], today=dt.date(2009, 10, 9))
    codes = {f.code for f in result.report}
    jane = [a for a in result.actions if a.lead == "Jane Smith"]
    errors = {r.lead: r.error_count for r in track_returns(master, tmp_path / "returns").leads}
    if case in ("unchanged", "typo fixed"):
        assert sorted(a.ref for a in jane) == ["1.1", "1.2"] and "ref-restored" in codes
        assert next(a for a in jane if a.ref == "1.1").status == "Slippage"
        assert not codes & {"missing-required", "not-in-return"} and errors["Jane Smith"] == 0
    else:  # not guessed: the row without a Ref is listed, the plan's row kept and marked
        assert "ref-restored" not in codes and "missing-required" in codes and "not-in-return" in codes
        assert "" in [a.ref for a in jane] and "1.1" in [a.ref for a in jane]


def test_the_plans_own_ref_collision_names_its_cells_in_the_plan(tmp_path):
    """A Ref the plan itself gives two leads' actions, returned as sent in both copies: each
    ref-collision finding names the plan's file, the lead's tab and the Ref's cell there — the
    place to renumber — on Data issues as in the findings."""
    import openpyxl

    from planbook import Action, write_plan
    from planbook.rollup.pipeline import consolidate_to
    from planbook.workbook.split import split_plan
    from tests.conftest import small_plan

    info, actions = small_plan()
    actions.append(Action("1.2", "Map youth provision", "DD Achievement", theme="Staying Safe", status="On track"))
    write_plan(tmp_path / "plan.xlsx", info, actions)
    split_plan(tmp_path / "plan.xlsx", tmp_path / "returns")
    result = consolidate_to([tmp_path / "returns", tmp_path / "plan.xlsx"], tmp_path / "c.xlsx")
    found = sorted((f.file, f.sheet, f.cell) for f in result.report if f.code == "ref-collision")
    plan = openpyxl.load_workbook(tmp_path / "plan.xlsx")
    where = sorted(("plan.xlsx", tab, f"A{r}") for tab in ("Jane Smith", "DD Achievement")
                   for r in range(2, plan[tab].max_row + 1) if plan[tab].cell(r, 1).value == "1.2")
    assert found == where and len(where) == 2
    issues = [r for r in openpyxl.load_workbook(tmp_path / "c.xlsx")["Data issues"].iter_rows(values_only=True)]
    header = issues[0]
    rows = sorted((r[header.index("File")], r[header.index("Sheet")], r[header.index("Cell")]) for r in issues[1:]
                  if r[header.index("Problem")] == "ref-collision")
    assert rows == where


def test_two_leads_each_with_an_action_on_their_own_tab_keep_both_however_alike_the_words(tmp_path):
    """Jane's action and DD's, the plan giving both one Ref, each on its own lead's tab, worded
    nearly alike ("Jane new action …", "Raj new action …"): two actions, both rolled up and
    flagged as a Ref collision — never one dropped as 'the same action'."""
    from planbook import Action, write_plan
    from planbook.rollup.pipeline import consolidate_to
    from planbook.workbook.split import split_plan
    from tests.conftest import small_plan

    info, actions = small_plan()
    actions += [Action("1.5", "Jane new action sharing ref", "Jane Smith", theme="Being Healthy"),
                Action("1.5", "Raj new action sharing ref", "DD Achievement", theme="Staying Safe")]
    write_plan(tmp_path / "plan.xlsx", info, actions)
    split_plan(tmp_path / "plan.xlsx", tmp_path / "returns")
    result = consolidate_to([tmp_path / "returns", tmp_path / "plan.xlsx"], tmp_path / "c.xlsx")
    assert sorted(a.action for a in result.actions if a.ref == "1.5") == ["Jane new action sharing ref",
                                                                          "Raj new action sharing ref"]
    assert len(result.actions) == len(actions)
    assert [f.value for f in result.report if f.code == "ref-collision"] == ["1.5", "1.5"]
    assert not [f for f in result.report if f.code == "duplicate-across-sources"]
