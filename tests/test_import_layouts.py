"""Import of the legacy layout families real councils use (issue 13), built in code.

Every layout is imported, written, and read back with python-calamine (and the Lists sheet with
openpyxl); the issue's measures are asserted on every one of them and on the two shared samples.
"""
from __future__ import annotations

import csv
import json
import re
import time

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from planbook import read_plan
from planbook.legacy.leads import lead_key
from planbook.legacy.summary import measures, things_to_check
from planbook.legacy.importer import import_plan
from planbook.core.status import NO_STATUS

from .conftest import SAMPLES, run_cli
from .import_layouts import all_layouts, info_advice, plan_14_19, several_bodies

LAYOUTS = all_layouts()


def _id(item) -> str:
    lay, ext = item
    return f"{lay.name}.{ext}"


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    """Each layout saved, imported and written once: (layout, result, output path)."""
    folder = tmp_path_factory.mktemp("layouts")
    out = {}
    for lay, ext in LAYOUTS:
        src = lay.save(folder, ext)
        dest = folder / f"{lay.name}-{ext}-plan.xlsx"
        out[_id((lay, ext))] = (lay, import_plan(src, dest), dest)
    for name in ("middlesbrough_cs", "oxfordshire_14_19"):
        for ext in ("xlsx", "docx"):
            dest = folder / f"{name}-{ext}.xlsx"
            out[f"{name}.{ext}"] = (None, import_plan(SAMPLES / f"{name}.{ext}", dest), dest)
    return out


def _status_cells(path) -> list[str]:
    """The Status column of every lead tab, read back with calamine."""
    wb = CalamineWorkbook.from_path(str(path))
    cells = []
    for name in wb.sheet_names:
        rows = wb.get_sheet_by_name(name).to_python()
        if rows and "Status" in rows[0] and "Ref" in rows[0]:
            c = rows[0].index("Status")
            cells += [str(r[c]) for r in rows[1:] if any(str(v).strip() for v in r)]
    return cells


@pytest.mark.parametrize("key", [_id(x) for x in LAYOUTS])
def test_measures_on_every_layout(imported, key):
    lay, result, path = imported[key]
    m = measures(result)
    refs = [a.ref for a in result.actions]
    assert result.rows_in == lay.data_rows == len(result.actions) == m["actions"]
    assert all(refs) and len({r.lower() for r in refs}) == len(refs) and m["ref_share"] == 1.0
    kept = sum(1 for n in lay.numbers if n in refs)
    assert kept >= 0.98 * len(lay.numbers) and m["source_numbers_kept"] >= 0.98
    assert m["due_understood"] >= 0.95
    given = sum(1 for a in result.actions if a.status not in (None, NO_STATUS))
    assert given >= 0.98 * lay.status_words and given == lay.status_words  # none invented
    leads = {lead_key(a.lead) for a in result.actions if a.lead}
    assert m["lead_tabs"] <= len(leads) == m["distinct_leads_normalised"]
    assert all(a.action or a.ref for a in result.actions)
    plan = read_plan(path)  # validate: no error the source did not have
    assert [str(f) for f in plan.report.errors] == []
    assert len(plan.actions) == lay.data_rows
    assert sorted(a.ref for a in plan.actions) == sorted(refs)
    statuses = _status_cells(path)
    assert "Not started" not in statuses and sum(1 for s in statuses if s) == lay.status_words


@pytest.mark.parametrize("key", [f"{n}.{e}" for n in ("middlesbrough_cs", "oxfordshire_14_19") for e in ("xlsx", "docx")])
def test_measures_on_the_shared_samples(imported, key):
    _, result, path = imported[key]
    m = measures(result)
    assert m["actions"] == result.rows_in and m["ref_share"] == 1.0 and m["source_numbers_kept"] == 1.0
    assert m["due_understood"] >= 0.95 and m["status_given"] >= 0.98
    assert m["lead_tabs"] <= m["distinct_leads_normalised"]
    errors = {f.code for f in read_plan(path).report.errors}
    assert errors <= {"duplicate-ref"}  # Oxfordshire numbers two actions 5.3
    if key.startswith("middlesbrough"):
        assert result.info.title == "CHILDREN'S SERVICES IN MIDDLESBROUGH \u2013 ACTION PLAN, 2009"
        assert "No lead" in result.tabs.values() or any(not a.lead for a in result.actions)
    else:
        assert result.info.themes[0].endswith("collaborate, influence the strategy and effect implementation")
        assert not result.info.title.endswith(result.info.themes[0])


def test_shared_samples_give_the_same_themes_from_word_and_excel(imported):
    for name in ("middlesbrough_cs", "oxfordshire_14_19"):
        assert imported[f"{name}.xlsx"][1].info.themes == imported[f"{name}.docx"][1].info.themes
        assert imported[f"{name}.xlsx"][1].info.title == imported[f"{name}.docx"][1].info.title


# ---------------------------------------------------------------- refs and continuation rows


@pytest.mark.parametrize("numbers", ["first", "two", "middle"])
@pytest.mark.parametrize("continuation", ["blank", "merged", "repeated"])
@pytest.mark.parametrize("ext", ["xlsx", "docx"])
def test_continuation_rows_are_actions_with_sub_refs(imported, numbers, continuation, ext):
    _, result, _ = imported[f"progress-{numbers}-{continuation}.{ext}"]
    acts = result.actions
    assert [a.ref for a in acts] == ["1.1", "1.1a", "1.2", "1.2a", "1.2b", "1.3",
                                     "2.1", "2.1a", "2.2", "2.2a", "2.2b", "2.3"]
    by_ref = {a.ref: a for a in acts}
    for sub in ("1.1a", "1.2a", "1.2b", "2.2b"):
        child, parent = by_ref[sub], by_ref[sub[:3]]
        assert (child.action, child.objective, child.lead) == (parent.action, parent.objective, parent.lead)
        assert child.action.startswith("Improve outcomes in area")
        assert child.success_measure != parent.success_measure and child.due.text
    assert by_ref["1.2b"].success_measure == "Success factor 1.2/2"
    generated = [f for f in result.report if f.code == "ref-generated"]
    assert {f.value for f in generated} == {"1.1a", "1.2a", "1.2b", "2.1a", "2.2a", "2.2b"}
    assert all(f.severity == "info" and "part of" in f.message for f in generated)
    assert any("Ref (numbers in a column with no heading)" == v for v in result.mapping.values())


def test_refs_generated_from_the_structure_when_the_source_has_none(imported):
    _, result, _ = imported["plan-14-19-blank.xlsx"]
    assert [a.ref for a in result.actions] == ["1.1", "1.2", "1.3", "2.1", "2.2", "3.1", "3.2", "3.3", "4.1", "4.2"]
    assert [a.objective for a in result.actions[:3]] == ["Develop the 14-19 offer: strand 1"] * 3
    assert result.actions[1].action == "Activity 1.1: agree provision with partners"
    assert sum(1 for f in result.report if f.code == "ref-generated") == 10
    _, result, _ = imported["info-advice-plain.docx"]
    assert [a.ref for a in result.actions][:11] == [f"1.{n}" for n in range(1, 11)] + ["2.1"]
    _, result, _ = imported["info-advice-csv.csv"]
    assert [a.ref for a in result.actions][9:11] == ["1.10", "2.1"]
    assert result.actions[10].theme == "Advice for young people"


def test_map_works_on_columns_with_no_heading_by_name_and_letter(tmp_path):
    path = tmp_path / "plan.csv"
    path.write_text(",Action,Lead,By when\nA1,Audit schools,Jo Bloggs,March 2009\nA2,Train staff,Jo Bloggs,June 2009\n",
                    encoding="utf-8")
    result = import_plan(path, None)  # "A1" is not a number: the column is kept, and refs generated
    assert result.mapping["Column 1"] == "Column 1 (extra)"
    assert any(f.code == "unknown-column" and '--map "A=Column"' in f.message for f in result.report)
    for entry in ("Column 1=Ref", "A=Ref", "column a=ref"):
        result = import_plan(path, None, mapping=[entry])
        assert [a.ref for a in result.actions] == ["A1", "A2"], entry
        assert not any(f.code == "ref-generated" for f in result.report)
    out = tmp_path / "p.xlsx"
    cli = run_cli("import", path, "--out", out, "--map", "Owner=Lead")
    assert cli.returncode == 2 and "Traceback" not in cli.stderr
    assert "'Owner=Lead'" in cli.stderr and "'Action'" in cli.stderr and "Column 1" in cli.stderr
    assert not out.exists()


# ---------------------------------------------------------------- statuses


def test_no_invented_statuses_and_notes_go_to_progress(imported):
    _, result, path = imported["several-bodies-refs.xlsx"]
    got = {a.ref: (a.status, a.progress) for a in result.actions}
    assert got["1.1"] == (NO_STATUS, "Timescales met")
    assert got["1.2"] == ("Complete", "Complete \u2013 report to Cabinet in May")
    assert got["1.3"] == ("Complete", "")
    assert got["2.1"] == (NO_STATUS, "")  # blank stays blank
    assert got["2.3"] == (NO_STATUS, "Not yet due")
    assert got["2.4"] == ("Off track", "Red \u2013 no funding")
    unknown = [f for f in result.report if f.code == "unknown-status"]
    assert [f.value for f in unknown] == ["Timescales met", "Not yet due", "Timescales met"]
    assert all(f.severity == "warning" and "No status given" in f.outcome for f in unknown)
    plan = read_plan(path)
    assert {a.ref: a.progress for a in plan.actions}["1.2"] == "Complete \u2013 report to Cabinet in May"
    assert result.counts["status_blank"] == 4 and result.counts["status_unrecognised"] == 3


def test_a_progress_column_of_notes_is_progress_update(imported):
    _, result, _ = imported["plan-14-19-merged.docx"]
    assert result.mapping["Progress"].startswith("Progress update")
    assert not any(f.code == "unknown-status" for f in result.report)
    first = result.actions[0]
    assert (first.status, first.progress) == (NO_STATUS, "Timescales met")
    assert (result.actions[1].status, result.actions[1].progress) == ("Complete", "Complete \u2013 report to Cabinet in May")
    _, result, _ = imported["info-advice-plain.xlsx"]
    assert all(a.status == NO_STATUS for a in result.actions)
    assert any("no status column" in line for line in things_to_check(result))


# ---------------------------------------------------------------- leads


def test_lead_spellings_share_one_tab_and_brackets_stay(imported):
    _, result, path = imported["plan-14-19-blank.xlsx"]
    assert sorted(set(result.tabs.values())) == ["14-19 Consultant", "Connexions (P.I.T.M.)", "Head of Service (J.B.)",
                                                 "Schools"]
    rows = {row.written: row for row in result.leads}
    assert rows["14 -19 Consultant"].lead == "14-19 Consultant" and rows["14 -19 Consultant"].via == "spelling"
    assert rows["14 \u2013 19 Consultant"].tab == "14-19 Consultant"
    assert rows["Connexions (PITM)"].lead == "Connexions (P.I.T.M.)"
    assert sum(row.actions for row in result.leads) == len(result.actions)
    schools = next(a for a in result.actions if a.lead == "Schools")
    assert schools.partners == "Connexions (P.I.T.M.)"  # written "connexions (PITM)": spelled as the lead list has it
    wb = openpyxl.load_workbook(path, read_only=True)
    assert set(wb.sheetnames) >= set(result.tabs)


def test_several_bodies_per_cell(imported):
    _, result, path = imported["several-bodies-norefs.docx"]
    got = [(a.lead, a.partners) for a in result.actions]
    assert got[0] == ("Youth Service", "Connexions")
    assert got[1] == ("Youth Service", "Schools")
    assert got[2] == ("Connexions", "Youth Offending Team")
    assert got[3] == ("Youth Service", "Connexions")  # "and" between two bodies named alone elsewhere
    assert got[4] == ("Learning & Skills Council", "")  # "&" inside one body's name
    assert got[5] == ("LA (SM/JB)", "")  # a "/" inside brackets stays with the name
    assert got[8] == ("Youth Service", "")  # "Youth service" is the same lead
    assert got[10] == ("Schools", "Learning & Skills Council")
    assert got[11] == ("Youth Offending Team", "LA (SM/JB), Schools")
    tabs = result.tabs
    assert all(len(t) <= 31 for t in tabs) and len({t.lower() for t in tabs}) == len(tabs)
    long_tabs = {t: lead for t, lead in tabs.items() if lead.startswith("Children and Young")}
    assert len(long_tabs) == 2
    for tab, lead in long_tabs.items():
        stem = re.sub(r" \(\d+\)$", "", tab)
        assert lead.startswith(stem) and lead[len(stem)] == " "  # cut at a word boundary
    wb = openpyxl.load_workbook(path, read_only=True)
    lists = [[c for c in row] for row in wb["Lists"].iter_rows(values_only=True)]
    lead_col = lists[0].index("Lead")
    assert set(long_tabs.values()) <= {row[lead_col] for row in lists[1:]}  # the full names


def test_leads_file_merges_aliases_and_write_leads_lists_every_name(tmp_path):
    src = plan_14_19(False).save(tmp_path, "xlsx")
    listing = tmp_path / "leads.csv"
    out = tmp_path / "p.xlsx"
    cli = run_cli("import", src, "--out", out, "--write-leads", listing)
    assert cli.returncode == 0, cli.stderr
    assert "Leads (name as written" in cli.stdout and "14 -19 Consultant -> 14-19 Consultant" in cli.stdout
    rows = listing.read_text(encoding="utf-8-sig").splitlines()
    assert rows[0] == "Name as written,Lead to use,Actions,Tab" and len(rows) == 1 + 8
    aliases = tmp_path / "aliases.csv"
    aliases.write_text("Name as written,Lead to use\nHead of Service (J.B.),14-19 Consultant\n"
                       "schools,Connexions (P.I.T.M.)\nHead of Servce (JB),14-19 Consultant\n", encoding="utf-8")
    result = import_plan(src, tmp_path / "q.xlsx", leads=aliases)
    assert sorted(set(result.tabs.values())) == ["14-19 Consultant", "Connexions (P.I.T.M.)"]
    assert {row.written: row.via for row in result.leads}["Head of Service (J.B.)"] == "alias"
    [unused] = [f for f in result.report if f.code == "lead-alias-unused"]  # a misspelt line is not silent
    assert (unused.file, unused.cell, unused.value, unused.severity) == ("aliases.csv", "line 4", "Head of Servce (JB)",
                                                                        "warning")
    bad = tmp_path / "bad.csv"
    bad.write_text("only one column\n", encoding="utf-8")
    cli = run_cli("import", src, "--out", tmp_path / "r.xlsx", "--leads", bad)
    assert cli.returncode == 2 and "two columns" in cli.stderr and "Traceback" not in cli.stderr


# ---------------------------------------------------------------- title, themes, dates, report


def test_title_and_whole_themes(imported):
    for ext in ("xlsx", "docx"):
        _, result, _ = imported[f"several-bodies-refs.{ext}"]
        assert result.info.title == "Partnership Action Plan 2009"
        assert result.info.themes == ["Staying Safe", "Enjoying and Achieving", "Positive Contribution"]
        _, result, _ = imported[f"progress-two-merged.{ext}"]
        assert result.info.title == "Children and Young People's Plan progress report 2008/09"
        assert [a.theme for a in result.actions][-1] == "Improving attendance"
    _, result, _ = imported["plan-14-19-blank.xlsx"]
    assert result.info.title == "14-19 Partnership Plan 2008-2010" and result.info.themes == ["14-19 plan"]


def test_milestone_sentences_keep_their_text_and_the_latest_date(imported):
    _, result, path = imported["info-advice-numbered.xlsx"]
    by_ref = {a.ref: a for a in result.actions}
    first = by_ref["1.1"].due
    assert first.text.startswith("Q1: plan for involvement agreed") and first.deadline.isoformat() == "2008-03-31"
    assert by_ref["1.2"].due.deadline.isoformat() == "2008-07-31"
    assert by_ref["1.6"].due.deadline.isoformat() == "2008-12-31"
    bad = [f for f in result.report if f.code == "bad-due"]
    assert [f.value for f in bad] == ["Complete by mid 2008 subject to funding"]
    plan = read_plan(path)  # validate reads the sentences the same way
    assert {f.value for f in plan.report if f.code == "bad-due"} == {"Complete by mid 2008 subject to funding"}


def test_validate_after_import_source_gaps_are_warnings(tmp_path):
    src = info_advice(numbered=True).save(tmp_path, "docx")
    out = tmp_path / "p.xlsx"
    assert run_cli("import", src, "--out", out).returncode == 0
    cli = run_cli("validate", out, "--json")
    assert cli.returncode == 0, cli.stdout
    findings = json.loads(cli.stdout)["findings"]
    missing = [f for f in findings if f["code"] == "missing-required"]
    assert len(missing) == 20 and all(f["severity"] == "warning" and "imported" in f["message"] for f in missing)
    # a lead's copy split from it is not fresh from the import: there the blank Lead is an error again
    plan = read_plan(out)
    from planbook.workbook.writer import write_plan

    write_plan(tmp_path / "copy.xlsx", plan.info, plan.actions, role="lead-copy")
    assert {f.code for f in read_plan(tmp_path / "copy.xlsx").report.errors} == {"missing-required"}


def test_import_report_gives_the_five_things_most_worth_a_look(imported):
    _, result, _ = imported["middlesbrough_cs.docx"]
    everything = things_to_check(result, limit=99)
    assert len(everything) > 5 and things_to_check(result) == everything[:5]
    assert everything[0].startswith("1 action(s) name no lead in the source")


def test_import_report_says_what_to_check(tmp_path):
    src = several_bodies(False).save(tmp_path, "xlsx")
    cli = run_cli("import", src, "--out", tmp_path / "p.xlsx")
    assert cli.returncode == 0, cli.stderr
    text = cli.stdout
    assert "refs: 0 from the source, 12 generated" in text
    assert ("statuses: 8 given, 4 read from other words (Amber/Red/Green/In progress), 4 blank (shown as "
            "'No status given'), 3 with notes but no status word") in text
    assert "Worth a look:\n  1. 3 status cell(s) hold notes with no status word (e.g. 'Timescales met'" in text
    assert "  4. 4 action(s) have no status in the source" in text and "  5. " not in text
    data = json.loads(run_cli("import", src, "--out", tmp_path / "q.xlsx", "--json").stdout)
    assert data["counts"]["refs_generated"] == 12 and data["measures"]["ref_share"] == 1.0
    assert len(data["check"]) == 4 and any("status word" in c for c in data["check"])
    assert {row["written"] for row in data["leads"]} >= {"Youth Service", "Youth service", "LA (SM/JB)"}


def test_huge_cells_import_quickly_and_are_reported(tmp_path):
    big = "word " * 200_000  # 1 MB: more than an Excel cell holds
    path = tmp_path / "big.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([["Ref", "Action", "Lead", "Due", "Status"],
                                  ["1.1", "Audit " + big, "Youth Service /" + " " * 30_000 + "Schools",
                                   "by March 2009 " + big, "Complete " + big],
                                  ["", "1.2" + " " * 30_000 + "x", "(" * 30_000, "", ""]])
    t0 = time.perf_counter()
    result = import_plan(path, None)
    assert time.perf_counter() - t0 < 20
    a, b = result.actions
    assert (a.ref, a.lead, a.partners, a.status) == ("1.1", "Youth Service", "Schools", "Complete")
    assert a.action.startswith("Audit word") and a.due.kind == "unknown"
    assert {f.cell for f in result.report if f.code == "cell-too-long"} == {"row 2, column 2", "row 2, column 4",
                                                                           "row 2, column 5"}
    assert (b.ref, b.action) == ("1.2", "x")


@pytest.mark.parametrize("ext", ["xlsx", "docx"])
def test_headings_merged_across_a_table_are_themes_not_actions(imported, ext):
    for variant, refs in (("numbered", ["1.1", "1.2", "1.3", "2.1"]), ("plain", ["1.1", "1.2", "1.3", "2.1"])):
        _, result, _ = imported[f"headed-sections-{variant}.{ext}"]
        assert [a.ref for a in result.actions][:4] == refs
        themes = ["Being healthy", "Staying safe", "Enjoying and achieving"]
        if variant == "numbered":
            themes = [f"{i}. {t}" for i, t in enumerate(themes, start=1)]
        assert [t for t in result.info.themes if t in themes] == themes
        assert result.actions[3].theme == themes[1] and result.actions[3].action == "Action 2-1 for staying safe"
        headings = [f for f in result.report if f.code == "section-heading"]
        assert [f.value for f in headings] == themes


def test_word_title_from_the_first_heading_when_there_is_no_title_paragraph(tmp_path):
    from docx import Document

    doc = Document()
    doc.add_heading("Information, Advice and Guidance Action Plan 2008/09", level=1)
    for n, heading in enumerate(["Access to information", "Advice for young people"], start=1):
        if n > 1:
            doc.add_heading(heading, level=1)
        t = doc.add_table(rows=2, cols=3)
        for c, text in enumerate(["Action", "Lead", "By when"]):
            t.cell(0, c).text = text
        for c, text in enumerate([f"Action {n}", "Youth Service", "March 2009"]):
            t.cell(1, c).text = text
    path = tmp_path / "iag.docx"
    doc.save(path)
    result = import_plan(path, None)
    assert result.info.title == "Information, Advice and Guidance Action Plan 2008/09"
    assert [a.theme for a in result.actions] == ["", "Advice for young people"]


def test_on_a_tie_the_tidy_spelling_of_a_lead_is_listed():
    from planbook.legacy.leads import LeadBook

    book = LeadBook()
    for name in ("14 -19 Consultant", "14-19 Consultant", "Youth Service", "youth service", "youth service"):
        book.add(name)
    chosen = book.resolve()
    assert chosen["14 -19 Consultant"] == chosen["14-19 Consultant"] == "14-19 Consultant"
    assert chosen["Youth Service"] == "youth service"  # the spelling most actions use
