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
