"""A lead inserts a column of their own whose header is one planbook knows ("RAG" before Status,
"Comments" before Progress update, "Deadline" before Due …): the plan's own column is still
the one read, and the lead's is kept as their own column, whichever field and wherever it is."""
from __future__ import annotations

import openpyxl
import pytest

from planbook.core.columns import _SYNONYMS, HEADER_OF_FIELD, header_key
from planbook.workbook.reader import read_plan
from planbook.workbook.split import split_plan
from planbook.workbook.writer import write_plan

from .conftest import small_plan

#: For each field, a header of its words that is not the standard one.
OTHER_WORD = {f: next(w for w in words if header_key(w) != header_key(HEADER_OF_FIELD[f])).title()
              for f, words in _SYNONYMS.items()}


def _copy_with_column(tmp_path, field: str, where: str):
    info, actions = small_plan()
    write_plan(tmp_path / "plan.xlsx", info, actions)
    copy = next(c for c in split_plan(tmp_path / "plan.xlsx", tmp_path / "copies") if c.lead == "Jane Smith")
    wb = openpyxl.load_workbook(copy.path)
    ws = wb["Jane Smith"]
    cols = {c.value: c.column for c in ws[1] if c.value}
    at = {"before": cols[HEADER_OF_FIELD[field]], "after": cols[HEADER_OF_FIELD[field]] + 1,
          "first": 1}[where]
    ws.insert_cols(at)
    ws.cell(1, at).value = OTHER_WORD[field]
    for r in range(2, 4):
        ws.cell(r, at).value = f"the lead's own {r}"
    wb.save(tmp_path / "returned.xlsx")
    return read_plan(tmp_path / "returned.xlsx"), actions


@pytest.mark.parametrize("where", ["before", "after", "first"])
@pytest.mark.parametrize("field", sorted(_SYNONYMS))
def test_the_plans_column_is_read_not_the_leads_own(tmp_path, field, where):
    plan, sent = _copy_with_column(tmp_path, field, where)
    mine = {a.ref: a for a in sent if a.lead == "Jane Smith"}
    assert [a.ref for a in plan.actions] == list(mine)
    for a in plan.actions:
        assert getattr(a, field) == getattr(mine[a.ref], field), (field, a.ref)
        assert a.extras[OTHER_WORD[field]].startswith("the lead's own"), a.extras
    assert OTHER_WORD[field] in plan.extra_columns
    assert any(f.code == "unknown-column" and f.value == OTHER_WORD[field] for f in plan.report)


def _merged_copy(tmp_path, header: str, rows: tuple[int, int]):
    """Jane's copy of a plan of four of her actions, with ``header``'s cells merged over ``rows``."""
    from planbook import Action, parse_due

    info, _ = small_plan()
    actions = [Action(f"1.{i}", f"Action {i}", "Jane Smith", theme="Being Healthy", objective=f"Objective {i}",
                      partners=f"Partners {i}", success_measure=f"Measure {i}", resources=f"Resources {i}",
                      due=parse_due("December 2009"), status="On track", progress=f"Progress {i}",
                      extras={"Budget code": f"B{i}"}) for i in range(1, 5)]
    write_plan(tmp_path / "plan.xlsx", info, actions)
    copy = next(c for c in split_plan(tmp_path / "plan.xlsx", tmp_path / "copies") if c.lead == "Jane Smith")
    wb = openpyxl.load_workbook(copy.path)
    ws = wb["Jane Smith"]
    col = [c.value for c in ws[1]].index(header) + 1
    ws.merge_cells(start_row=rows[0], end_row=rows[1], start_column=col, end_column=col)
    wb.save(tmp_path / "returned.xlsx")
    return read_plan(tmp_path / "returned.xlsx"), {a.ref: a for a in actions}


@pytest.mark.parametrize("rows", [(2, 3), (3, 5), (2, 5)])
@pytest.mark.parametrize("header", ["Theme", "Objective", "Partners", "Success measure", "Resources",
                                    "Progress update", "Budget code"])
def test_a_cell_merged_down_several_actions_gives_each_its_text(tmp_path, header, rows):
    """A lead merges a text repeated down their actions (for looks): every row it covers reads
    what the merged cell shows, each with a finding; the rows outside keep their own."""
    plan, sent = _merged_copy(tmp_path, header, rows)
    field = {h: f for f, h in HEADER_OF_FIELD.items()}.get(header)

    def value(a):
        return getattr(a, field) if field else a.extras.get(header)

    by_row = {a.origin.row: a for a in plan.actions}
    shown = value(by_row[rows[0]])
    assert shown not in (None, "")
    for r, a in by_row.items():
        if rows[0] <= r <= rows[1]:
            assert value(a) == shown, (r, header)
        else:
            assert value(a) == value(sent[a.ref]), (r, header)
    merged = sorted(f.cell for f in plan.report if f.code == "merged-cell")
    assert len(merged) == rows[1] - rows[0] and all(f.sheet == "Jane Smith" for f in plan.report
                                                    if f.code == "merged-cell")
    assert not [f for f in plan.report if f.code == "missing-required"]


@pytest.mark.parametrize("header", ["Ref", "Action", "Due"])
def test_a_merged_ref_action_or_due_names_the_rows_it_leaves_blank(tmp_path, header):
    plan, _ = _merged_copy(tmp_path, header, (2, 4))
    col = "ADG"["Ref Action Due".split().index(header)]
    assert sorted(f.cell for f in plan.report if f.code == "merged-cell") == [f"{col}3", f"{col}4"]
