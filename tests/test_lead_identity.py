"""Who a lead is: one rule (planbook.core.leads.lead_key) used by every step.

A lead's name reaches planbook as people and their software type it: a non-breaking or thin
space pasted from an email, Word's curly apostrophe, an accent in decomposed form (macOS file
names, some web forms), a double or trailing space, other capitals, an en dash for a hyphen.
A family of such variants is built in code, and one lead must stay one lead end to end: one
line in the consolidated workbook's "Status by lead" (as Excel would recalculate it), no
finding asking to add to Lists a lead who is already there, the tracker and the merge agree on
who returned, a plan refuses the same lead twice, import puts the variants on one tab, the
sent log knows who was asked.
"""
from __future__ import annotations

import csv
import datetime as dt
import shutil
import unicodedata
from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from planbook import Action, Lead, PlanInfo, read_plan, write_plan
from planbook.core.errors import PlanbookError
from planbook.core.leads import LeadNames, lead_key, lead_named_by_file, same_lead
from planbook.mail.requests import SENT_LOG, read_sent_log
from planbook.rollup.pipeline import consolidate_to
from planbook.rollup.pipeline import track_returns
from planbook.rollup.tracker import NOT_RETURNED, RETURNED, WITH_ERRORS
from planbook.workbook.split import split_plan
from planbook.workbook.writer import new_plan

from .conftest import run_cli
from .test_consolidated_workbook import _lo

NBSP, THIN, NNBSP, ZWSP = "\u00a0", "\u2009", "\u202f", "\u200b"
LEADS = ["Jane O'Brien", "José Núñez", "Youth-Offending Team", "Raj Patel"]
RETURN_BY = dt.date(2009, 10, 1)


def variants(name: str) -> list[str]:
    """The ways one name arrives: each looks like ``name`` (or nearly) to a person."""
    decomposed = unicodedata.normalize("NFD", name)
    out = [name, name.replace(" ", NBSP), name.replace(" ", THIN), name.replace(" ", NNBSP), name.replace("'", "\u2019"),
           name.replace("'", "\u2018"), name.replace("'", "\u02bc"), decomposed, name.replace(" ", "  "), name + " ",
           " " + name, name + NBSP, name.upper(), name.lower(), name.replace("-", "\u2013"), name.replace("-", "\u2011"),
           name.replace("-", " - "), ZWSP + name, name.replace(" ", "\t"), unicodedata.normalize("NFD", name.upper())]
    return list(dict.fromkeys(out))


def test_every_variant_is_the_same_lead_and_different_leads_stay_apart():
    for name in LEADS:
        family = variants(name)
        assert len(family) >= 8
        assert {lead_key(v) for v in family} == {lead_key(name)}, name
        assert all(same_lead(v, name) for v in family)
    assert len({lead_key(n) for n in LEADS}) == len(LEADS)
    # what import always merged stays merged: "&"/"and", dash spacing, dots in initials
    assert same_lead("Health & Safety", "Health and Safety") and same_lead("14 -19 Team", "14-19 Team")
    assert same_lead("Connexions (P.I.T.M.)", "Connexions (PITM)") and same_lead("Co-ordinator", "Coordinator")
    # different people are different
    for a, b in [("Jane Smith", "Jane Smyth"), ("José Núñez", "Jose Nunez"), ("Ann Lee", "Anne Lee"),
                 ("Team A", "Team B"), ("14-19 Team", "1419 Team")]:
        assert not same_lead(a, b), (a, b)


def test_one_spelling_per_lead_the_plans_own_first():
    names = LeadNames(LEADS)
    for name in LEADS:
        assert {names.spelling(v) for v in variants(name)} == {name}
        assert all(v in names for v in variants(name))
    assert names.add("Someone New\u00a0") == "Someone New\u00a0" and names.spelling("someone new") == "Someone New\u00a0"
    assert len(names) == len(LEADS) + 1


def test_a_file_is_named_for_a_lead_in_any_of_the_variants():
    for name in LEADS:
        for v in variants(name):
            if "\t" in v or v != v.strip():
                continue  # not a file name anyone can save
            assert lead_named_by_file(v, LEADS) == name, v
    assert lead_named_by_file("Jane O-Brien", LEADS) == "Jane O'Brien"  # the file name split gives her
    assert lead_named_by_file("Jane OBrien notes", LEADS) is None


def test_a_plan_refuses_one_lead_given_twice_in_two_spellings(tmp_path):
    for name in LEADS:
        for v in variants(name)[1:]:
            with pytest.raises(PlanbookError, match="given twice"):
                new_plan(tmp_path / "p.xlsx", "T", "Q2 2009/10", [name, v], overwrite=True)


@pytest.fixture
def quarter(tmp_path: Path) -> dict:
    """A plan whose leads' cells, tabs, Lists and file names spell them in every variant.

    The master's Lists were retyped after the split (Word's curly apostrophe, a decomposed
    accent), so the returned copies' metadata spell the leads the old way; the master's own
    Lead cells and every returned row use a different variant each; Raj's return is a broken
    file saved under a curly, non-breaking variant of his name; the Youth-Offending Team does
    not return.
    """
    info = PlanInfo("Variant plan", "Q2 2009/10", [Lead(n, f"lead{i}@example.org") for i, n in enumerate(LEADS)],
                    ["Staying Safe"], coordinator="Pat", coordinator_email="pat@example.org")
    actions = []
    for i, name in enumerate(LEADS, start=1):
        for j, v in enumerate(variants(name)[:4], start=1):
            actions.append(Action(f"{i}.{j}", f"Action {j} of lead {i}", v, theme="Staying Safe", status="On track",
                                  progress="As last quarter", last_updated=dt.date(2009, 6, 1)))
    plan = tmp_path / "plan.xlsx"
    write_plan(plan, info, actions)
    copies = tmp_path / "copies"
    split_plan(plan, copies)
    # the coordinator retypes the Lists after the split: curly apostrophe, decomposed accent
    master = read_plan(plan)
    retyped = {LEADS[0]: LEADS[0].replace("'", "\u2019"), LEADS[1]: unicodedata.normalize("NFD", LEADS[1])}
    master.info.leads = [Lead(retyped.get(lead.name, lead.name), lead.email) for lead in master.info.leads]
    write_plan(plan, master.info, master.actions)
    returns = tmp_path / "returns"
    returns.mkdir()
    for name in LEADS[:2]:
        src = next(p for p in copies.iterdir() if lead_named_by_file(p.stem, [name]))
        dest = returns / src.name
        shutil.copy(src, dest)
        copy = read_plan(dest)
        for a, v in zip(copy.actions, reversed(variants(name))):
            a.lead, a.status, a.progress, a.last_updated = v, "Complete", "Done this quarter", dt.date(2009, 9, 20)
        copy.actions.append(Action(f"{LEADS.index(name) + 1}.9", "An action the lead added", variants(name)[5],
                                   theme="Staying Safe", status="On track", last_updated=dt.date(2009, 9, 20)))
        write_plan(dest, copy.info, copy.actions, only_leads=list(copy.tabs.values()), role="lead-copy")
    (returns / f"raj{NBSP}PATEL.xlsx").write_bytes(b"PK\x03\x04 cut short")
    return {"plan": plan, "copies": copies, "returns": returns, "tmp": tmp_path, "retyped": retyped}


def _summary_by_lead(rows: list[list]) -> dict[str, list]:
    top = next(i for i, r in enumerate(rows) if r and r[0] == "Status by lead")
    out = {}
    for r in rows[top + 2:]:
        if not r or r[0] == "":
            break
        out[r[0]] = r
    return out


def test_one_lead_stays_one_lead_end_to_end(quarter, soffice):
    out = quarter["tmp"] / "consolidated.xlsx"
    result = consolidate_to([quarter["returns"], quarter["plan"]], out, return_by=RETURN_BY)
    shown = [quarter["retyped"].get(n, n) for n in LEADS]  # as the master's Lists spell them now
    # no finding asks to add to Lists a lead who is there
    assert [f for f in result.report if f.code == "unknown-lead"] == []
    # every action once, each lead spelt one way, the returns replacing the master's tabs
    assert len(result.actions) == 4 * len(LEADS) + 2
    assert {a.lead for a in result.actions} == set(shown)
    assert not [f for f in result.report if f.code in ("not-in-return", "ref-collision", "duplicate-across-sources")]
    # one line a lead in Status by lead, with every action counted, as Excel recalculates it
    cached = CalamineWorkbook.from_path(str(out)).get_sheet_by_name("Summary").to_python()
    by_lead = _summary_by_lead(cached)
    total = cached[[i for i, r in enumerate(cached) if r and r[0] == "Status by lead"][0] + 1].index("Total")
    assert sorted(by_lead) == sorted(shown)
    assert {k: r[total] for k, r in by_lead.items()} == {shown[0]: 5, shown[1]: 5, shown[2]: 4, shown[3]: 4}
    again = CalamineWorkbook.from_path(str(_lo(soffice, out, "xlsx", quarter["tmp"] / "lo"))).get_sheet_by_name(
        "Summary").to_python()
    assert _summary_by_lead(again) == by_lead
    # All actions and the Returns sheet spell each lead as Lists does
    actions = CalamineWorkbook.from_path(str(out)).get_sheet_by_name("All actions").to_python()
    lead_col = actions[0].index("Lead")
    assert {r[lead_col] for r in actions[1:]} == set(shown)
    returns = CalamineWorkbook.from_path(str(out)).get_sheet_by_name("Returns").to_python()
    sheet_states = {r[0]: r[1] for r in returns[1:]}
    assert sheet_states == {shown[0]: RETURNED, shown[1]: RETURNED, shown[2]: NOT_RETURNED, shown[3]: WITH_ERRORS}
    # the tracker agrees, lead by lead
    tracker = track_returns(quarter["plan"], quarter["returns"], return_by=RETURN_BY)
    assert {lead_key(r.lead): r.state for r in tracker.leads} == {lead_key(k): v for k, v in sheet_states.items()}
    assert len(tracker.leads) == len(LEADS)


def test_validate_finds_no_unknown_lead_for_a_variant(quarter):
    for path in [quarter["plan"], *quarter["returns"].glob("J*.xlsx")]:
        plan = read_plan(path)
        assert [f for f in plan.report if f.code == "unknown-lead"] == [], path
    book = openpyxl.load_workbook(quarter["plan"])
    sheet = book[next(iter(read_plan(quarter["plan"]).tabs))]
    lead_col = [c.value for c in sheet[1]].index("Lead") + 1
    sheet.cell(2, lead_col).value = "Jane O'Brian"  # a real misspelling is still found
    book.save(quarter["tmp"] / "typo.xlsx")
    [f] = [f for f in read_plan(quarter["tmp"] / "typo.xlsx").report if f.code == "unknown-lead"]
    assert f.value == "Jane O'Brian"


def test_split_puts_every_variant_on_the_leads_one_tab(quarter):
    copies = sorted(p.stem for p in quarter["copies"].iterdir())
    assert len(copies) == len(LEADS)
    for path in quarter["copies"].iterdir():
        copy = read_plan(path)
        assert len(copy.tabs) == 1 and len(copy.actions) == 4


def test_import_puts_the_variants_of_a_lead_on_one_tab(tmp_path):
    source = tmp_path / "legacy.csv"
    with open(source, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["Ref", "Action", "Lead", "Status"])
        n = 0
        for name in LEADS:
            for v in variants(name):
                if "\t" in v:
                    continue
                n += 1
                w.writerow([f"{n}", f"Action {n}", v, "On track"])
    out = tmp_path / "imported.xlsx"
    result = run_cli("import", source, "--out", out, "--title", "T", "--period", "Q2 2009/10")
    assert result.returncode == 0, result.stderr
    plan = read_plan(out)
    assert len(plan.actions) == n
    assert sorted(plan.tabs.values()) == sorted(LEADS)
    assert len({lead_key(a.lead) for a in plan.actions}) == len(LEADS)


def test_the_sent_log_knows_a_lead_in_any_spelling(tmp_path):
    (tmp_path / SENT_LOG).write_text(
        "sent_at\treturn_by\tlead\temail\tworkbook\tmessage_id\tconfirmed\n"
        f"2009-09-01T10:00:00+00:00\t2009-10-01\tJane O\u2019Brien{NBSP}\tj@example.org\tJane O-Brien.xlsx\t<1@x>\tyes\n",
        encoding="utf-8")
    log = read_sent_log(tmp_path, RETURN_BY)
    assert all(lead_key(v) in log for v in variants("Jane O'Brien"))


def test_who_a_lead_is_is_decided_in_one_place():
    """No module compares leads' names its own way again (trimmed and lower-cased, casefolded):
    every comparison goes through planbook.core.leads; and the returns tracker's rows are made
    by its one builder."""
    import re

    src = Path(__file__).resolve().parents[1] / "src" / "planbook"
    own_rule = re.compile(r"\b\w*lead\w*(?:\.name)?(?:\.strip\(\))?\.(?:lower|casefold)\(\)|def \w*lead_key\b", re.I)
    copies, rows_made = [], []
    for path in sorted(src.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if path.name != "leads.py" or path.parent.name != "core":
            copies += [f"{path.relative_to(src)}: {m.group()}" for m in own_rule.finditer(text)]
        if path.relative_to(src).as_posix() != "rollup/tracker.py":
            rows_made += [str(path.relative_to(src)) for _ in re.finditer(r"\bLeadReturn\(", text)]
    assert copies == [] and rows_made == []
