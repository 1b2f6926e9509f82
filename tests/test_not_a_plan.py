"""A consolidated workbook is never taken for a plan: import, validate and split refuse it in
one line that points at roll forward, and so does a consolidation's All actions sheet copied
into a workbook of its own."""
from __future__ import annotations

import datetime as dt

import openpyxl
import pytest

from planbook.core.errors import PlanbookError
from planbook.legacy.importer import import_plan
from planbook.rollup.pipeline import consolidate_to
from planbook.workbook.reader import read_plan
from tests.conftest import run_cli


@pytest.fixture
def consolidated(plan_file, tmp_path):
    out = tmp_path / "consolidated.xlsx"
    consolidate_to([plan_file], out, today=dt.date(2009, 10, 9))
    return out


@pytest.mark.parametrize("command", [["import", "{c}", "--out", "{d}/plan2.xlsx"], ["validate", "{c}"],
                                     ["split", "{c}", "--out", "{d}/copies"]])
def test_commands_refuse_a_consolidation_pointing_at_roll_forward(consolidated, tmp_path, command):
    args = [a.format(c=consolidated, d=tmp_path) for a in command]
    result = run_cli(*args)
    assert result.returncode == 2, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "a consolidated workbook" in lines[0] and "not a plan" in lines[0]
    assert "planbook roll-forward consolidated.xlsx" in lines[0]
    assert not (tmp_path / "plan2.xlsx").exists() and not (tmp_path / "copies").exists()


def test_import_refuses_before_reading_any_sheet(consolidated):
    with pytest.raises(PlanbookError, match="roll-forward"):
        import_plan(consolidated, None)


def test_the_reader_says_the_same(consolidated):
    with pytest.raises(PlanbookError, match="not a plan: to start the next period"):
        read_plan(consolidated)


def test_all_actions_copied_into_a_workbook_of_its_own_is_refused_too(consolidated, tmp_path):
    """What a coordinator tried: delete every sheet but All actions, then import."""
    wb = openpyxl.load_workbook(consolidated)
    for name in wb.sheetnames:
        if name != "All actions":
            del wb[name]
    copied = tmp_path / "only all actions.xlsx"
    wb.save(copied)
    result = run_cli("import", copied, "--out", tmp_path / "plan2.xlsx")
    assert result.returncode == 2
    assert "All actions" in result.stderr and "roll-forward" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "plan2.xlsx").exists()


def test_a_consolidation_in_a_returns_folder_is_skipped_with_the_same_reason(consolidated, plan_file, tmp_path):
    returns = tmp_path / "returns"
    returns.mkdir()
    consolidated.rename(returns / "old consolidation.xlsx")
    result = consolidate_to([plan_file, returns], tmp_path / "new.xlsx", today=dt.date(2009, 10, 9))
    skipped = {s.file: s.skipped for s in result.sources if s.skipped}
    assert "roll-forward" in skipped["old consolidation.xlsx"]
    assert len(result.actions) == 4
