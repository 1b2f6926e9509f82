"""Split and consolidate: merge rules, conservation, changes, inputs untouched, independent readers."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import openpyxl
from python_calamine import CalamineWorkbook

from planbook import Action, Lead, PlanInfo, read_plan, write_plan
from planbook.rollup.consolidate import consolidate
from planbook.rollup.output import write_consolidated
from planbook.workbook.split import split_plan

from .conftest import lo_convert, run_cli, small_plan

TODAY = dt.date(2009, 10, 9)


def _rows(path: Path, sheet: str) -> list[dict]:
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python()
    return [dict(zip(rows[0], r)) for r in rows[1:]]


def _hashes(folder: Path) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


def _comparable(rows: list[dict]) -> list[tuple]:
    return sorted((r["Ref"], r["Action"], r["Lead"], r["Status"], str(r["Due"])) for r in rows)


def test_master_tabs_and_split_files_give_the_same_all_actions(plan_file, tmp_path):
    copies = split_plan(plan_file, tmp_path / "returns")
    assert sorted(c.path.name for c in copies) == ["DD Achievement.xlsx", "Jane Smith.xlsx"]
    a, b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    write_consolidated(consolidate([plan_file], today=TODAY), a)
    write_consolidated(consolidate([tmp_path / "returns"], today=TODAY), b)
    assert _comparable(_rows(a, "All actions")) == _comparable(_rows(b, "All actions"))
    assert len(_rows(a, "All actions")) == 4


def test_split_names_are_safe_and_refuse_to_overwrite(tmp_path):
    info = PlanInfo("T", "2009/10", [Lead("../../etc/passwd"), Lead("CON"), Lead("con ")])
    plan = tmp_path / "p.xlsx"
    write_plan(plan, info, [Action("1.1", "x", "../../etc/passwd"), Action("1.2", "y", "CON")])
    copies = split_plan(plan, tmp_path / "out")
    names = [c.path.name for c in copies]
    assert all(c.path.parent == tmp_path / "out" for c in copies)
    assert all("/" not in n and ".." not in n for n in names)
    assert "CON.xlsx" not in names and len({n.lower() for n in names}) == len(names)
    result = run_cli("split", plan, "--out", tmp_path / "out")
    assert result.returncode == 2 and "already exist" in result.stderr
    assert run_cli("split", plan, "--out", tmp_path / "out", "--force").returncode == 0


def test_conservation_every_row_in_all_actions_or_data_issues(tmp_path):
    info, actions = small_plan()
    master = tmp_path / "in" / "master.xlsx"
    master.parent.mkdir()
    write_plan(master, info, actions)
    split_plan(master, tmp_path / "in" / "returns")
    # a lead adds a row below the table and reuses another lead's ref
    wb = openpyxl.load_workbook(tmp_path / "in" / "returns" / "Jane Smith.xlsx")
    ws = wb["Jane Smith"]
    ws["A50"], ws["D50"], ws["E50"] = "3.10", "Jane's copy of 3.10", "Jane Smith"
    ws["A51"], ws["D51"] = "", "a row with no ref"
    wb.save(tmp_path / "in" / "returns" / "Jane Smith.xlsx")
    (tmp_path / "in" / "~$master.xlsx").write_bytes(b"lock")
    (tmp_path / "in" / "notes.docx").write_bytes(b"PK\x03\x04")
    other = openpyxl.Workbook()
    other.active["A1"] = "not a plan"
    other.save(tmp_path / "in" / "budget.xlsx")
    before = _hashes(tmp_path / "in")

    out = tmp_path / "cons.xlsx"
    result = run_cli("consolidate", tmp_path / "in", "--out", out, "--json", "--as-of", "2009-10-09")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert set(summary) == {"output", "actions", "findings", "sources", "changes",
                            "status_counts", "counts_text", "exceptions", "attention", "directions", "data_issues"}

    rows_in = sum(read_plan(p).rows_read for p in (tmp_path / "in").rglob("*.xlsx")
                  if not p.name.startswith(("~$", "budget")))
    all_actions = _rows(out, "All actions")
    issues = _rows(out, "Data issues")
    # the master's rows replaced by the returns are folded into one line per tab, its Value the row count
    dropped = sum(int(i["Value"]) for i in issues if i["Problem"] == "superseded")
    assert rows_in == len(all_actions) + dropped == 4 + 6  # master 4; copies 4 + 2 typed by Jane
    # 4 actions + Jane's own 3.10 (a different action: a Ref collision, both kept) + the row with no ref
    assert summary["actions"] == len(all_actions) == 6
    clash = [i for i in issues if i["Problem"] == "ref-collision"]
    assert sorted((d["File"], d["Sheet"], d["Cell"]) for d in clash) == [
        ("DD Achievement.xlsx", "DD Achievement", "A2"), ("Jane Smith.xlsx", "Jane Smith", "A50")]
    assert sorted(r["Lead"] for r in all_actions if r["Ref"] == "3.10") == ["DD Achievement", "Jane Smith"]
    skipped = {Path(s["file"]).name: s["skipped"] for s in summary["sources"] if s["skipped"]}
    assert set(skipped) == {"~$master.xlsx", "notes.docx", "budget.xlsx"}
    assert "lock file" in skipped["~$master.xlsx"] and "not a planbook workbook" in skipped["budget.xlsx"]
    assert _hashes(tmp_path / "in") == before  # inputs byte-identical
    sources = _rows(out, "Sources")
    assert {len(s["SHA-256"]) for s in sources if not s["Skipped because"]} == {64}


def test_returned_copy_wins_over_master_tab(plan_file, tmp_path):
    split_plan(plan_file, tmp_path / "returns")
    wb = openpyxl.load_workbook(tmp_path / "returns" / "Jane Smith.xlsx")
    wb["Jane Smith"]["J2"] = "Off track"
    wb.save(tmp_path / "returns" / "Jane Smith.xlsx")
    result = consolidate([plan_file, tmp_path / "returns"], today=TODAY)
    assert next(a for a in result.actions if a.ref == "1.1").status == "Off track"
    superseded = [f for f in result.report if f.code == "superseded"]  # one line per master tab replaced
    assert sorted((f.sheet, f.cell, f.value) for f in superseded) == [("DD Achievement", "A2:A3", "2"),
                                                                      ("Jane Smith", "A2:A3", "2")]


def test_changes_finds_status_and_due_moves(plan_file, tmp_path):
    prev = tmp_path / "prev.xlsx"
    write_consolidated(consolidate([plan_file], today=TODAY), prev)
    wb = openpyxl.load_workbook(plan_file)
    ws = wb["DD Achievement"]
    ws["J2"] = "On track"            # 3.10 Slippage -> On track: better
    ws["G2"] = "September 2009"      # due moved
    wb["Jane Smith"]["J3"] = "Off track"  # 1.2 On track -> Off track: worse
    ws.delete_rows(3)                # 4.2a removed
    wb["Jane Smith"]["A10"], wb["Jane Smith"]["D10"] = "1.9", "A new action"
    now_path = tmp_path / "now.xlsx"
    wb.save(now_path)
    out = tmp_path / "cons.xlsx"
    write_consolidated(consolidate([now_path], previous=prev, today=TODAY), out)
    changes = {(c["Change"], c["Ref"]): c for c in _rows(out, "Changes")}
    assert changes[("Status better", "3.10")]["Before"] == "Slippage" and changes[("Status better", "3.10")]["Now"] == "On track"
    assert ("Status worse", "1.2") in changes
    assert changes[("Due date moved", "3.10")]["Now"] == "September 2009"
    assert ("Removed action", "4.2a") in changes and ("New action", "1.9") in changes
    assert ("Commentary unchanged", "1.2") not in changes  # it had no commentary


def test_summary_figures_read_by_calamine_equal_the_counts(tmp_path):
    from planbook.demo import run_demo

    demo = run_demo(tmp_path / "demo")
    c = demo.consolidation
    rows = CalamineWorkbook.from_path(str(demo.files["consolidated"])).get_sheet_by_name("Summary").to_python()
    from planbook.core.status import COUNT_LINES

    table = {r[0]: r[1] for r in rows if r and r[0] in COUNT_LINES}
    counts = c.status_counts()
    assert set(table) == set(COUNT_LINES)  # the five statuses, No status given, Status not recognised
    assert table == {s: float(counts.get(s, 0)) for s in table} and sum(table.values()) == len(c.actions) == 122
    assert table["Status not recognised"] == 1  # the demo's lead who typed a status by hand
    theme_hdr = next(i for i, r in enumerate(rows) if r[0] == "Theme")
    total_col = rows[theme_hdr].index("Total")
    by_theme = {r[0]: r[total_col] for r in rows[theme_hdr + 1: theme_hdr + 7]}
    assert sum(by_theme.values()) == 122 and by_theme["Staying Safe"] == sum(1 for a in c.actions if a.theme == "Staying Safe")
    wb = openpyxl.load_workbook(demo.files["consolidated"])
    assert str(wb["Summary"]["B6"].value).startswith("=COUNTIFS(")  # live formula for Excel users
    assert wb["Summary"]._charts and wb.sheetnames[:6] == ["Summary", "All actions", "Exceptions", "Changes",
                                                           "Data issues", "Sources"]


def test_libreoffice_opens_the_consolidated_workbook_and_agrees(tmp_path, soffice):
    from planbook.demo import run_demo

    demo = run_demo(tmp_path / "demo")
    saved = lo_convert(soffice, demo.files["consolidated"], "xlsx:Calc MS Excel 2007 XML", tmp_path / "lo")
    rows = CalamineWorkbook.from_path(str(saved)).get_sheet_by_name("Summary").to_python()
    recalculated = {r[0]: r[1] for r in rows if r and r[0] in ("Complete", "Slippage", "Off track")}
    counts = demo.consolidation.status_counts()
    assert recalculated == {s: float(counts[s]) for s in recalculated}  # LibreOffice's own formula results


def test_no_usable_inputs_is_a_clear_error(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    result = run_cli("consolidate", tmp_path, "--out", tmp_path / "out.xlsx")
    assert result.returncode == 2 and "no planbook workbooks" in result.stderr and "Traceback" not in result.stderr


def test_output_open_in_excel_is_refused_and_old_file_kept(plan_file, tmp_path):
    out = tmp_path / "cons.xlsx"
    out.write_bytes(b"old")
    (tmp_path / "~$cons.xlsx").write_bytes(b"lock")
    result = run_cli("consolidate", plan_file, "--out", out)
    assert result.returncode == 2 and "open in Excel" in result.stderr
    assert out.read_bytes() == b"old" and not list(tmp_path.glob(".cons*.tmp"))


def test_more_rows_than_a_sheet_go_on_a_continuation_sheet(plan_file, tmp_path):
    result = consolidate([plan_file], today=TODAY)
    out = tmp_path / "cons.xlsx"
    names = write_consolidated(result, out, max_rows=3)
    assert names[1:3] == ["All actions", "All actions (2)"]
    assert len(_rows(out, "All actions")) + len(_rows(out, "All actions (2)")) == 4
    summary = {r[0]: r[1] for r in CalamineWorkbook.from_path(str(out)).get_sheet_by_name("Summary").to_python()}
    assert summary["Total actions"] == 4


def test_exceptions_list_off_track_slippage_overdue_and_stale(plan_file):
    result = consolidate([plan_file], today=TODAY)
    why = {e.action.ref: e.reason for e in result.exceptions}
    assert "Slippage" in why["3.10"] and "Overdue" in why["3.10"]  # Jan-May 2009, not complete
    assert "Off track" in why["4.2a"]
    assert "Not updated this period" in why["1.2"]
    assert "1.1" not in why  # complete


def test_texts_held_on_disk_give_the_same_workbook(demo, tmp_path):
    """A very large run keeps long texts in a spill file; forcing that on the demo changes nothing."""
    inputs = [demo.files["returns"], demo.files["plan"]]
    kwargs = dict(previous=demo.files["previous"], today=TODAY)
    in_memory = consolidate(inputs, spill_over=None, **kwargs)
    on_disk = consolidate(inputs, spill_over=0, **kwargs)
    assert in_memory.store is None and on_disk.store is not None and len(on_disk.store) >= 122
    assert all(a.spill >= 0 for a in on_disk.actions)
    a, b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    write_consolidated(in_memory, a)
    write_consolidated(on_disk, b)
    for sheet in ("All actions", "Exceptions", "Changes", "Data issues"):
        assert _rows(a, sheet) == _rows(b, sheet), sheet
    assert any(r["Progress update"] for r in _rows(b, "All actions"))  # the texts really came back


def test_a_lead_who_renames_their_tab_still_replaces_the_master_tab(plan_file, tmp_path):
    split_plan(plan_file, tmp_path / "returns")
    path = tmp_path / "returns" / "Jane Smith.xlsx"
    wb = openpyxl.load_workbook(path)
    wb["Jane Smith"].title = "My actions"
    wb["My actions"]["J2"] = "Slippage"
    wb.save(path)
    result = consolidate([plan_file, tmp_path / "returns"], today=TODAY)
    assert next(a for a in result.actions if a.ref == "1.1").status == "Slippage"
    assert {f.code for f in result.report} == {"superseded"}  # no duplicates, nothing else wrong


def test_a_ref_repeated_within_one_file_is_kept_twice_as_validate_shows(tmp_path):
    path = tmp_path / "plan.xlsx"
    write_plan(path, PlanInfo("T", "Q2 2009/10", [Lead("A"), Lead("B")]),
               [Action("5.3", "First", "A"), Action("5.3", "Second", "B"), Action("6.1", "Other", "B")])
    plan = read_plan(path)
    result = consolidate([path], today=TODAY)
    assert len(result.actions) == len(plan.actions) == 3
    assert [f.code for f in result.report] == ["duplicate-ref"]  # reported once, under its own name


def test_all_actions_read_in_plan_order_whatever_the_file_order(tmp_path):
    from planbook.rollup.order import plan_order, ref_key

    assert sorted(["3.10", "3.9", "10.1", "4.2a", "4.2", "1"], key=ref_key) == ["1", "3.9", "3.10", "4.2", "4.2a", "10.1"]
    info = PlanInfo("T", "Q2 2009/10", [Lead("Zoe"), Lead("Adam")], themes=["Staying Safe", "Being Healthy"])
    write_plan(tmp_path / "plan.xlsx", info, [
        Action("2.10", "x", "Adam", theme="Being Healthy"), Action("2.9", "x", "Zoe", theme="Being Healthy"),
        Action("1.2", "x", "Adam", theme="Staying Safe"), Action("", "no ref", "Zoe", theme="Staying Safe"),
        Action("1.1", "x", "Zoe", theme="Staying Safe")])
    split_plan(tmp_path / "plan.xlsx", tmp_path / "returns")  # read back Adam's file first, then Zoe's
    result = consolidate([tmp_path / "returns"], today=TODAY)
    assert [(a.theme, a.ref) for a in result.actions] == [
        ("Staying Safe", "1.1"), ("Staying Safe", "1.2"), ("Staying Safe", ""),
        ("Being Healthy", "2.9"), ("Being Healthy", "2.10")]
    assert plan_order([], []) == []
