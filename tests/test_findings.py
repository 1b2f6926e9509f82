"""Each finding code, produced by a lead's real edits, pointing at the right cell."""
from __future__ import annotations

import openpyxl
import pytest

from planbook import read_plan
from planbook.core.findings import CODES, Finding


def _edit(src, dst, fn):
    """Edit a plan like a lead would in Excel (openpyxl stands in for Excel here)."""
    wb = openpyxl.load_workbook(src)
    fn(wb)
    wb.save(dst)
    return dst


def _by_code(plan):
    out = {}
    for f in plan.report:
        out.setdefault(f.code, []).append((f.sheet, f.cell, f.value))
    return out


def test_every_code_with_its_cell(plan_file, tmp_path):
    def lead_edits(wb):
        ws = wb["Jane Smith"]
        ws["J2"] = "Finished?"           # unknown-status
        ws["D3"] = None                  # missing-required (Action)
        ws["A3"] = "3.10"                # duplicate-ref (3.10 is on DD Achievement!A2)
        ws["E2"] = "Bob Jones"           # unknown-lead
        ws["B3"] = "Being Wealthy"       # unknown-theme
        ws["G2"] = "See 33"              # bad-due
        ws["L3"] = "last Tuesday"        # bad-date
        ws["M1"] = "Budget code"         # a known extra; fine
        ws["N1"] = "My notes"            # unknown-column
        ws["N2"] = "call Jo"
        wb.create_sheet("Scratch")["B2"] = "phone numbers"  # sheet-skipped

    plan = read_plan(_edit(plan_file, tmp_path / "edited.xlsx", lead_edits))
    got = _by_code(plan)
    assert got["unknown-status"] == [("Jane Smith", "J2", "Finished?")]
    assert got["missing-required"] == [("Jane Smith", "D3", "")]
    assert got["duplicate-ref"] == [("DD Achievement", "A2", "3.10")]  # the second one read
    assert got["unknown-lead"] == [("Jane Smith", "E2", "Bob Jones")]
    assert got["unknown-theme"] == [("Jane Smith", "B3", "Being Wealthy")]
    assert got["bad-due"] == [("Jane Smith", "G2", "See 33")]
    assert got["bad-date"] == [("Jane Smith", "L3", "last Tuesday")]
    assert got["unknown-column"] == [("Jane Smith", "N1", "My notes")]
    assert got["sheet-skipped"] == [("Scratch", "", "")]
    dup = next(f for f in plan.report if f.code == "duplicate-ref")
    assert "Jane Smith!A3" in dup.message
    # nothing lost: the odd values are kept on the actions
    a = next(a for a in plan.actions if a.origin.row == 2 and a.origin.sheet == "Jane Smith")
    assert a.status is None and a.status_text == "Finished?" and a.extras["My notes"] == "call Jo"
    assert a.due.text == "See 33"
    assert {f.severity for f in plan.report if f.code in ("unknown-status", "missing-required")} == {"error"}


def test_lead_inserts_a_column_retypes_headers_and_types_below_the_table(plan_file, tmp_path):
    def lead_edits(wb):
        ws = wb["DD Achievement"]
        ws.insert_cols(3)                # a new column C pushes Status from J to K
        ws["C1"] = "Budget holder"
        ws["K1"] = "  STATUS "
        ws["H1"] = "by when"
        ws["K2"] = "amber"
        # a row typed far below the table (columns after the insert: Action E, Lead F, Status K)
        ws["A60"], ws["B60"], ws["E60"], ws["F60"], ws["K60"] = "9.9", "Staying Safe", "Add a late action", \
            "DD Achievement", "Bogus"

    plan = read_plan(_edit(plan_file, tmp_path / "edited.xlsx", lead_edits))
    got = _by_code(plan)
    assert got["unknown-column"] == [("DD Achievement", "C1", "Budget holder")]
    assert got["unknown-status"] == [("DD Achievement", "K60", "Bogus")]
    late = next(a for a in plan.actions if a.ref == "9.9")
    assert late.origin.row == 60 and late.action == "Add a late action"
    a = next(a for a in plan.actions if a.ref == "3.10")
    assert a.status == "Slippage" and a.due.text == "Jan –May 2009"


def test_missing_lead_and_ref_give_missing_required(tmp_path):
    from planbook import Action, Lead, PlanInfo, write_plan

    path = tmp_path / "p.xlsx"
    write_plan(path, PlanInfo("T", "2009/10", [Lead("A")]), [Action("", "No ref", "A"), Action("2.1", "No lead", "")])
    got = _by_code(read_plan(path))
    assert ("A", "A2", "") in got["missing-required"]
    assert ("No lead", "E2", "") in got["missing-required"]


def test_finding_codes_are_closed():
    with pytest.raises(ValueError):
        Finding("made-up", "f", "s", "A1", "", "m")
    assert {"unknown-status", "missing-required", "bad-due", "duplicate-ref", "unknown-lead",
            "unknown-theme", "unknown-column"} <= set(CODES)


def test_each_finding_code_is_registered_once():
    """Two findings under one code (a dictionary literal keeps the last) leave one undocumented
    and counted as the other: the registry's source names each code once."""
    import ast
    import inspect

    from planbook.core import findings

    tree = ast.parse(inspect.getsource(findings))
    registry = next(node.value for node in ast.walk(tree) if isinstance(node, ast.AnnAssign)
                    and getattr(node.target, "id", "") == "CODES")
    keys = [k.value for k in registry.keys]
    assert len(keys) == len(set(keys)) == len(CODES), sorted(k for k in keys if keys.count(k) > 1)
