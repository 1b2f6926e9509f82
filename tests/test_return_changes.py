"""What changed, read from real returns (issue 21, items 3 and 7): a Ref a lead renumbered with
the text unchanged is the same action; an action handed to another lead or moved to another
theme is a change the Changes sheet and the report show."""
from __future__ import annotations

import datetime as dt

from .conftest import run_cli
from .returns_family import NOT_RETURNED, check_all, lead_types, make_quarter, run_quarter

RETURNED = "returned"
SEPT = dt.datetime(2009, 9, 25)


def _previous(q):
    prev = q.tmp / "previous.xlsx"
    done = run_cli("consolidate", q.plan, "--out", prev, "--as-of", "2009-07-09")
    assert done.returncode == 0, done.stderr
    return prev


def test_renumbered_refs_with_the_same_text_are_the_same_action(tmp_path):
    """Jane types 1.1 as 1.01 and 1.2 as 1.02: twelve actions, not fourteen; a finding names both
    Refs; Changes says renumbered (and the status moved), never new plus removed; the direction
    is against what the action was."""
    q = make_quarter(tmp_path)
    prev = _previous(q)
    lead_types(q, q.copy("Jane Smith"), q.returns / "Jane Smith.xlsx",
               edits={"1.1": {"Ref": "1.01", "Status": "Complete", "Last updated": SEPT},
                      "1.2": {"Ref": "1.02", "Status": "Off track", "Last updated": SEPT}})
    run_quarter(q, previous=prev)
    check_all(q, {"Jane Smith": RETURNED, "Raj Patel": NOT_RETURNED, "Omar Khan": NOT_RETURNED,
                  "Ann Lee": NOT_RETURNED})
    assert len(q.actions) == 12
    refs = sorted(a["Ref"] for a in q.actions if a["Lead"] == "Jane Smith")
    assert refs == ["1.01", "1.02", "1.3"]
    found = {(i["Cell"], i["Value"]): i["What is wrong"] for i in q.issues_of("ref-renumbered")}
    assert set(found) == {("A2", "1.01"), ("A3", "1.02")}
    assert found["A2", "1.01"].startswith("Ref 1.01 is the plan's 1.1 (plan.xlsx!Jane Smith!A2)")
    assert not q.issues_of("not-in-return")
    kinds = {(c["Change"], c["Ref"]) for c in q.changes}
    assert ("Ref renumbered", "1.01") in kinds and ("Status better", "1.01") in kinds
    assert ("Status worse", "1.02") in kinds
    assert not {k for k, _ in kinds} & {"New action", "Removed action"}
    direction = {a["Ref"]: a["Direction"] for a in q.actions}
    assert direction["1.01"].endswith("better") and direction["1.02"].endswith("worse")
    renum = next(c for c in q.changes if c["Change"] == "Ref renumbered" and c["Ref"] == "1.01")
    assert (renum["Before"], renum["Now"]) == ("1.1", "1.01")


def test_a_renumbered_ref_matching_two_actions_is_not_guessed(tmp_path):
    """Two of the plan's actions share a text and both are renumbered: which is which cannot be
    told, so neither is guessed (both kept from the master and marked, the new Refs new)."""
    from .returns_family import plan_actions

    actions = plan_actions()
    actions[1].action = actions[0].action  # 1.1 and 1.2 say the same thing
    q = make_quarter(tmp_path, actions)
    lead_types(q, q.copy("Jane Smith"), q.returns / "Jane Smith.xlsx", edits={"1.1": {"Ref": "1.01"}, "1.2": {"Ref": "1.02"}})
    run_quarter(q)
    check_all(q)
    assert not q.issues_of("ref-renumbered")
    assert [i["Value"] for i in q.issues_of("not-in-return")] == ["1.1", "1.2"]


def test_a_handover_and_a_theme_move_are_changes_the_report_shows(tmp_path):
    """Jane hands 1.1 to Raj and moves 1.2 to another theme: Changes lists both, the Word report
    says "handed to Raj Patel" and "moved to …"; the rows are as she typed them."""
    from docx import Document

    from planbook.word.report import render_report

    q = make_quarter(tmp_path)
    prev = _previous(q)
    old_theme = next(a["Theme"] for a in _rows(prev) if a["Ref"] == "1.2")
    new_theme = next(t for t in ("Being Healthy", "Staying Safe", "Enjoying and Achieving") if t != old_theme)
    lead_types(q, q.copy("Jane Smith"), q.returns / "Jane Smith.xlsx",
               edits={"1.1": {"Lead": "Raj Patel", "Progress update": "Raj's team takes this on", "Last updated": SEPT},
                      "1.2": {"Theme": new_theme, "Last updated": SEPT}})
    run_quarter(q, previous=prev)
    check_all(q, {"Jane Smith": RETURNED, "Raj Patel": NOT_RETURNED, "Omar Khan": NOT_RETURNED,
                  "Ann Lee": NOT_RETURNED})
    changes = {(c["Change"], c["Ref"]): (c["Before"], c["Now"]) for c in q.changes}
    assert changes[("Handed over", "1.1")] == ("Jane Smith", "Raj Patel")
    assert changes[("Theme changed", "1.2")] == (old_theme, new_theme)
    doc = Document(str(render_report(q.out, q.tmp / "summary.docx")))
    text = "\n".join(c.text for t in doc.tables for r in t.rows for c in r.cells)
    assert "handed to Raj Patel" in text and f"moved to {new_theme}" in text


def _rows(path):
    from python_calamine import CalamineWorkbook

    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("All actions").to_python()
    return [dict(zip(rows[0], r)) for r in rows[1:]]
