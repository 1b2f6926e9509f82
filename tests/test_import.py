"""Import of the real sample plans (Word and Excel) and of awkward inputs."""
from __future__ import annotations

import json
import re

import openpyxl
import pytest
from docx import Document
from python_calamine import CalamineWorkbook

from planbook import read_plan
from planbook.legacy.importer import import_plan

from .conftest import SAMPLES, run_cli

PLANS = ["middlesbrough_cs", "oxfordshire_14_19"]


def _expected(name: str) -> list[tuple[str, dict]]:
    data = json.loads((SAMPLES / f"{name}.json").read_text(encoding="utf-8"))
    return [(s["heading"], dict(zip(s["headers"], row))) for s in data["sections"] for row in s["rows"]]


def _ref_of(row: dict) -> str:
    if "Action No." in row:
        return row["Action No."].strip()
    m = re.match(r"^\s*(\d+(?:\.\d+)*[a-z]?)\.?\s", row["Action"])
    return m.group(1) if m else ""


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    out = {}
    folder = tmp_path_factory.mktemp("imp")
    for name in PLANS:
        for ext in ("xlsx", "docx"):
            path = folder / f"{name}-{ext}.xlsx"
            out[(name, ext)] = (import_plan(SAMPLES / f"{name}.{ext}", path), path)
    return out


@pytest.mark.parametrize("name", PLANS)
@pytest.mark.parametrize("ext", ["xlsx", "docx"])
def test_every_row_accounted_for_and_refs_as_in_the_document(imported, name, ext):
    result, path = imported[(name, ext)]
    expected = _expected(name)
    assert result.rows_in == len(expected) == len(result.actions)
    source_refs = [_ref_of(row) for _, row in expected]
    assert [a.ref for a, src in zip(result.actions, source_refs) if src] == [src for src in source_refs if src]
    generated = {f.value for f in result.report if f.code == "ref-generated"}
    assert {a.ref for a, src in zip(result.actions, source_refs) if not src} == generated
    assert all(a.ref for a in result.actions) and not generated & set(source_refs)
    dues = [a.due for a in result.actions if a.due.text]
    assert sum(d.understood for d in dues) / len(dues) >= 0.95
    plan = read_plan(path)
    assert len(plan.actions) == len(expected)
    # passes validate apart from genuinely missing data in the source documents
    genuinely_missing = {(f.code, f.value) for f in plan.report.errors}
    assert {code for code, _ in genuinely_missing} <= {"missing-required", "duplicate-ref"}
    refs = [_ref_of(row) for _, row in expected]
    dup_refs = {r for r in refs if r and refs.count(r) > 1}
    assert {v for c, v in genuinely_missing if c == "duplicate-ref"} == dup_refs


@pytest.mark.parametrize("name", PLANS)
def test_docx_and_xlsx_of_the_same_plan_give_the_same_actions(imported, name):
    a, _ = imported[(name, "xlsx")]
    b, _ = imported[(name, "docx")]
    key = lambda x: (x.ref, x.action, x.lead, x.partners, x.objective, x.due.text, x.status, x.progress,  # noqa: E731
                     x.success_measure, x.resources, tuple(sorted(x.extras.items())))
    assert [key(x) for x in a.actions] == [key(x) for x in b.actions]
    for x, y in zip(a.actions, b.actions):  # Excel sheet names are the Word headings cut short
        assert y.theme.startswith(x.theme.rstrip(".")) or x.theme == y.theme


@pytest.mark.parametrize("name", PLANS)
def test_every_non_empty_source_cell_ends_up_in_the_workbook(imported, name):
    _, path = imported[(name, "docx")]
    wb = CalamineWorkbook.from_path(str(path))
    words_out = set()
    for sheet in wb.sheet_names:
        for row in wb.get_sheet_by_name(sheet).to_python():
            for v in row:
                words_out.update(re.findall(r"\w+", str(v).lower()))
    for heading, row in _expected(name):
        for header, text in row.items():
            missing = set(re.findall(r"\w+", text.lower())) - words_out
            assert not missing, (header, text, missing)
        assert set(re.findall(r"\w+", heading.lower())) <= words_out


def test_middlesbrough_specifics(imported):
    result, _ = imported[("middlesbrough_cs", "docx")]
    first = result.actions[0]
    assert (first.ref, first.action[:20], first.theme) == ("1.1", "Develop performance ", "Being Healthy")
    assert result.actions[1].objective == first.objective  # issue carried down
    assert result.actions[1].lead == "SM Co-ordinator"  # lead carried down under the same issue
    assert first.status == "Complete"
    assert result.mapping["Progress"] == "Status + Progress update"
    from planbook.legacy.summary import measures, things_to_check

    tabs = measures(result)["lead_tabs"]  # the 'No lead' tab is not a lead's: one count everywhere
    assert tabs == len([lead for lead in result.tabs.values() if lead != "No lead"]) == 36  # "DD Achievement DD Achievement" is one lead
    assert any(f"The plan has {tabs} lead tabs" in item for item in things_to_check(result, limit=9))


def test_oxfordshire_leads_split_and_monitored_by(imported):
    result, _ = imported[("oxfordshire_14_19", "xlsx")]
    a = result.actions[0]
    assert (a.ref, a.lead, a.partners) == ("1.1", "Strategic Lead 14-19", "Consortia")
    assert a.extras["Monitored by"] == "Implementation Group"
    assert any(f.code == "lead-split" and f.cell == "C3" for f in result.report)


def test_cli_json_report(tmp_path):
    result = run_cli("import", SAMPLES / "oxfordshire_14_19.docx", "--out", tmp_path / "p.xlsx", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert {"file", "rows_in", "actions", "mapping", "findings"} <= set(data)
    assert data["rows_in"] == data["actions"] == 52 and data["mapping"]["By whom"] == "Lead"


def test_map_overrides_and_csv_cp1252(tmp_path):
    csv_path = tmp_path / "plan.csv"
    csv_path.write_bytes("Number;Task;Owner;Deadline;Notes\n1.1;Review caf\xe9 provision;Jos\xe9 Smith;Q1;\u2018quoted\u2019\n"
                         .encode("cp1252"))
    out = tmp_path / "p.xlsx"
    result = run_cli("import", csv_path, "--out", out, "--map", "Owner=Lead", "--map", "Deadline=Due",
                     "--map", "Task=Action", "--map", "Number=Ref")
    assert result.returncode == 0, result.stderr
    (a,) = read_plan(out).actions
    assert (a.ref, a.action, a.lead, a.due.text) == ("1.1", "Review café provision", "José Smith", "Q1")
    assert a.extras["Notes"] == "\u2018quoted\u2019"


def test_header_split_over_two_rows_and_merged_cells(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Safeguarding"
    ws.append(["Safeguarding action plan 2009"])
    ws.append(["Action", "Action", "By", "Lead", "Key"])
    ws.append(["No.", "", "when", "officer", "priority"])
    ws.append(["1.1", "Audit schools", "March 2009", "DD Safe-guarding", "Keep children safe"])
    ws.append(["1.2", "Train staff", "June 2009", "", ""])
    ws.merge_cells("D4:D5")
    ws.merge_cells("E4:E5")
    path = tmp_path / "legacy.xlsx"
    wb.save(path)
    result = import_plan(path, tmp_path / "p.xlsx")
    assert [(a.ref, a.action, a.lead, a.objective, a.due.text) for a in result.actions] == [
        ("1.1", "Audit schools", "DD Safe-guarding", "Keep children safe", "March 2009"),
        ("1.2", "Train staff", "DD Safe-guarding", "Keep children safe", "June 2009")]
    assert result.info.title == "Safeguarding action plan 2009"


def test_word_table_with_merged_cells(tmp_path):
    doc = Document()
    doc.add_heading("Staying Safe", level=1)
    t = doc.add_table(rows=3, cols=4)
    for i, h in enumerate(["Issue", "Action", "Who", "By when"]):
        t.rows[0].cells[i].text = h
    t.cell(1, 0).merge(t.cell(2, 0)).text = "Reduce bullying"
    t.rows[1].cells[1].text, t.rows[1].cells[2].text, t.rows[1].cells[3].text = "2.1 Survey pupils", "Jo", "Q2 2009/10"
    t.rows[2].cells[1].text, t.rows[2].cells[2].text, t.rows[2].cells[3].text = "2.2 Publish policy", "Jo", "Ongoing"
    path = tmp_path / "plan.docx"
    doc.save(path)
    result = import_plan(path, tmp_path / "p.xlsx")
    assert [(a.ref, a.objective, a.theme) for a in result.actions] == [
        ("2.1", "Reduce bullying", "Staying Safe"), ("2.2", "Reduce bullying", "Staying Safe")]


@pytest.mark.parametrize("make, message", [
    (lambda p: (Document().save(p.with_suffix(".docx")), p.with_suffix(".docx"))[1], "no tables"),
    (lambda p: (openpyxl.Workbook().save(p.with_suffix(".xlsx")), p.with_suffix(".xlsx"))[1], "nothing to import"),
    (lambda p: (p.with_suffix(".csv").write_text("just,some\nnumbers,here\n"), p.with_suffix(".csv"))[1], "no header row"),
    (lambda p: (p.with_suffix(".xls").write_bytes(b"\xd0\xcf\x11\xe0"), p.with_suffix(".xls"))[1], "Save As"),
])
def test_bad_inputs_give_a_clear_message(tmp_path, make, message):
    src = make(tmp_path / "legacy")
    result = run_cli("import", src, "--out", tmp_path / "p.xlsx")
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("ext", ["csv", "xlsx", "docx"])
@pytest.mark.parametrize("status, notes", [("Status", "Progress"), ("RAG", "Progress"), ("Status", "Progress to date"),
                                           ("Status", "Current progress"), ("RAG status", "Progress and RAG")])
def test_a_progress_column_beside_a_status_column_is_the_update(tmp_path, ext, status, notes):
    """A Status (or RAG) column and a column of progress notes: the status from the one, the
    notes kept whole as the Progress update (as the mapping says), from every format — and a
    blank Status cell takes the status word leading the notes."""
    from .import_layouts import Layout, Table

    rows = [["1.1", "Map youth provision", "Jane Smith", "On track", "Met partners in May"],
            ["1.2", "Audit safeguarding", "Jane Smith", "Amber", "Delayed by budget; review in July"],
            ["1.3", "Publish a leaflet", "Jane Smith", "", "Complete - sent to print 3 June"],
            ["1.4", "Train nurses", "Jane Smith", "Off track", ""]]
    layout = Layout("legacy", "Plan", [Table("", ["Ref", "Action", "Lead", status, notes], rows)], 4, [], 3)
    import_plan(layout.save(tmp_path, ext), tmp_path / "plan.xlsx", period="Q1 2026/27")
    got = {a.ref: (a.status, a.progress) for a in read_plan(tmp_path / "plan.xlsx").actions}
    assert got == {"1.1": ("On track", "Met partners in May"),
                   "1.2": ("Slippage", "Delayed by budget; review in July"),
                   "1.3": ("Complete", "Complete - sent to print 3 June"),
                   "1.4": ("Off track", "")}


@pytest.mark.parametrize("headers", [["Ref", "Action", "Lead", "RAG status", "Progress", "Comments"],
                                     ["Ref", "Action", "Lead", "RAG status", "Comments", "Progress"]])
def test_notes_from_several_progress_columns_keep_the_columns_order(tmp_path, headers):
    """A Progress column of notes and a Comments column beside a RAG column: both texts kept in
    the Progress update, in the order of the columns."""
    from .import_layouts import Layout, Table

    texts = {"Progress": "Meeting held in June", "Comments": "a comment"}
    row = ["1.1", "Map youth provision", "Jane Smith", "Green", *(texts[h] for h in headers[4:])]
    layout = Layout("legacy", "Plan", [Table("", headers, [row])], 1, [], 1)
    import_plan(layout.save(tmp_path, "csv"), tmp_path / "plan.xlsx", period="Q1 2026/27")
    (action,) = read_plan(tmp_path / "plan.xlsx").actions
    assert action.progress.split("\n") == [texts[h] for h in headers[4:]]
