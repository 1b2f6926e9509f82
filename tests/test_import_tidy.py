"""Imports that need tidying (issue 22, items 5 and 6), built in code as Excel and Word plans:
a lead cell naming one body several times, a due cell repeating a phrase, quarter-led milestone
cells, a Theme column under other headings, and statuses as councils write them (G/A/R/B,
"RAG: Amber", "Complete ✓", symbols, colour words) — each read with a note saying how."""
from __future__ import annotations

import datetime as dt
import itertools

import pytest
from python_calamine import CalamineWorkbook

from planbook.core.status import COMPLETE, OFF_TRACK, ON_TRACK, SLIPPAGE
from planbook.legacy.importer import import_plan
from planbook.legacy.summary import render_text

from .import_layouts import Layout, Table

BODIES = ("LSC", "Children's Services", "Post -16 Providers", "Youth Offending Team", "Connexions")
#: (cell as typed, status, how the note says it was read, or None for the status's own word)
STATUSES = (("G", ON_TRACK, "letter"), ("A", SLIPPAGE, "letter"), ("R", OFF_TRACK, "letter"),
            ("B", COMPLETE, "letter"), ("g", ON_TRACK, "letter"), ("RAG: Amber", SLIPPAGE, "phrase"),
            ("Complete \u2713", COMPLETE, "symbol"), ("\u263a", ON_TRACK, "symbol"), ("Green", ON_TRACK, "phrase"),
            ("Complete", COMPLETE, None), ("on track", ON_TRACK, None), ("RAG status - R", OFF_TRACK, "letter"))
#: (due cell as typed, deadline in a plan for 2009/10; None: an open timescale)
DUES = (("Ongoing  Ongoing", None), ("Ongoing  Within 1 working day of referral  Ongoing", None),
        ("Q1 Letter sent / Q3 Booklet produced", dt.date(2009, 12, 31)),
        ("Q4/Q1 (2010) Model reviewed", dt.date(2010, 6, 30)), ("Q1-4 Events held", dt.date(2010, 3, 31)),
        ("Q1 and ongoing review of provision", dt.date(2009, 6, 30)), ("March 2010", dt.date(2010, 3, 31)),
        ("Q2: draft; Q3: consult; Q4: publish", dt.date(2010, 3, 31)))


def _lead_cell(i: int) -> tuple[str, str]:
    """(cell as typed, the one lead it names): the name 1-3 times, spaced and dashed variously."""
    body = BODIES[i % len(BODIES)]
    times = 1 + i % 3
    copies = [body if k % 2 == 0 else body.replace(" -16", "-16").upper() if "-16" in body else body
              for k in range(times)]
    return ("  " if i % 2 else " ").join(copies), body


def _plan(theme_header: str) -> tuple[Layout, list[tuple[str, str, str, str | None, dt.date | None]]]:
    rows, expected = [], []
    for i, ((status, want, how), (due, deadline)) in enumerate(zip(STATUSES, itertools.cycle(DUES))):
        lead, body = _lead_cell(i)
        ref = f"{1 + i // 4}.{1 + i % 4}"
        rows.append([ref, f"Theme {1 + i // 6}", f"Action {ref} agreed with partners", lead, due, status])
        expected.append((ref, body, want, how, deadline))
    table = Table("Partnership plan 2009/10", ["Ref", theme_header, "Action", "Lead", "By when", "RAG"], rows)
    return Layout("tidy", "Partnership plan 2009/10", [table], len(rows), [r[0] for r in rows], len(rows)), expected


@pytest.mark.parametrize("theme_header, ext", [("Group / Theme", "xlsx"), ("Theme", "docx"), ("Outcome", "xlsx"),
                                               ("Priority area", "docx"), ("Group/Theme", "docx")])
def test_an_untidy_plan_imports_as_one_lead_per_body_with_statuses_and_dues_read(tmp_path, theme_header, ext):
    layout, expected = _plan(theme_header)
    src = layout.save(tmp_path, ext)
    out = tmp_path / "plan.xlsx"
    result = import_plan(src, out, period="Q1 2009/10")
    assert result.mapping[theme_header] == "Theme"
    by_ref = {a.ref: a for a in result.actions}
    notes = {f.value: f for f in result.report if f.code == "status-read"}
    for ref, body, status, how, deadline in expected:
        a = by_ref[ref]
        assert (a.lead, a.partners) == (body, ""), ref
        assert a.theme.startswith("Theme ")
        assert a.status == status, ref
        assert a.due.understood and a.due.deadline == deadline, (ref, a.due)
    for typed, status, how in STATUSES:
        if how is None:
            assert typed not in notes
        else:
            note = notes[typed]
            assert (note.severity, note.message.split(" (")[0]) == ("info", f"{typed!r} read as {status}")
            assert note.outcome.endswith(how)
    assert "'A' read as Slippage (A for Amber" in notes["A"].message
    assert {a.lead for a in result.actions} == {body for _, body, *_ in expected}
    assert not [f for f in result.report if f.code in ("bad-due", "unknown-status")]
    repeated = [f for f in result.report if f.code == "lead-merged" and "more than once" in f.message]
    assert len(repeated) == sum(1 for i in range(len(expected)) if i % 3)  # every cell naming a body twice or more
    text = render_text(result, str(out))
    assert "statuses: 12 given, 6 read from letters (G/A/R/B), 2 from symbols (Complete \u2713/\u263a), " \
           "2 from other words (RAG: Amber/Green)" in text
    wb = CalamineWorkbook.from_path(str(out))  # written, read back by another reader: one tab per body
    assert {name for name in wb.sheet_names} >= {"LSC", "Connexions"}
    assert not any("LSC LSC" in name for name in wb.sheet_names)
