"""The coordinator workbook: built from macros/, buttons bound, Python side does its jobs."""
from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from oletools.olevba import VBA_Parser
from python_calamine import CalamineWorkbook

import planbook
import planbook.excel as excel
from planbook.coordinator import MACROS, build_coordinator
from planbook.core.errors import PlanbookError

from .conftest import lo_convert, run_cli


def _vba(path: Path) -> dict[str, str]:
    parser = VBA_Parser(str(path))
    try:
        return {Path(name).stem: code for _, _, name, code in parser.extract_macros()}
    finally:
        parser.close()


def _code_lines(text: str) -> list[str]:
    """Source lines that VBA keeps as code (export headers and Attribute lines are metadata)."""
    lines = text.replace("\r\n", "\n").split("\n")
    skip = re.compile(r"^(VERSION 1\.0 CLASS|BEGIN|END|\s+MultiUse = .*|Attribute VB_.*)$")
    return [line.rstrip() for line in lines if not skip.match(line)] if lines else []


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    folder = tmp_path_factory.mktemp("xlsm")
    return build_coordinator(folder / "Coordinator.xlsm"), build_coordinator(folder / "Again.xlsm")


def test_decoded_vba_equals_the_source_in_macros(built):
    decoded = _vba(built[0])
    sources = {p.stem: p for p in MACROS.glob("*.bas")}
    assert set(sources) <= set(decoded)
    for name, path in sources.items():
        assert [x for x in _code_lines(decoded[name]) if x] == [x for x in _code_lines(path.read_text()) if x]


def test_building_twice_gives_the_same_vba_and_sheets(built):
    a, b = built
    assert _vba(a) == _vba(b)
    with zipfile.ZipFile(a) as za, zipfile.ZipFile(b) as zb:
        assert za.namelist() == zb.namelist()
        for name in za.namelist():
            if name.startswith("xl/worksheets/") or name in ("xl/workbook.xml", "xl/drawings/vmlDrawing1.vml"):
                assert za.read(name) == zb.read(name), name


def test_every_button_is_bound_to_a_macro_that_exists(built):
    with zipfile.ZipFile(built[0]) as z:
        vml = "".join(z.read(n).decode() for n in z.namelist() if n.endswith(".vml"))
    macros = re.findall(r"<x:FmlaMacro>\[0\]!(\w+)</x:FmlaMacro>", vml)
    assert sorted(macros) == sorted(b.macro for b in excel.BUTTONS)
    code = _vba(built[0])["Planbook"]
    for macro in macros:
        assert re.search(rf"^Public Sub {macro}\(\)", code, re.M), macro


def test_the_jobs_run_with_the_settings_read_from_the_built_workbook(built, demo, tmp_path):
    folder = tmp_path / "coordinator"
    shutil.copytree(demo.folder, folder, ignore=shutil.ignore_patterns("consolidated*.xlsx", "summary.docx", "*.eml"))
    shutil.copy(built[0], folder / "Coordinator.xlsm")
    settings = excel.settings_from_workbook(folder / "Coordinator.xlsm")
    assert settings["pb_returns_folder"] == "returns" and settings["pb_master_plan"] == "plan.xlsx"

    result = excel.run_job("consolidate", settings, folder)
    assert Path(result.output) == folder / "output" / "consolidated.xlsx" and Path(result.output).exists()
    assert "Consolidated 122 actions" in result.status
    assert all(Path(i[2]).is_absolute() for i in result.issues)  # the Data issues links open the file

    assert Path(excel.run_job("report", settings, folder).output).suffix == ".docx"
    with pytest.raises(PlanbookError, match="Email recipients"):
        excel.run_job("email", settings, folder)
    emailed = excel.run_job("email", {**settings, "pb_email_to": "a@council.example; b@council.example"}, folder)
    assert emailed.output.endswith("report.eml") and "Outlook" in emailed.status
    split = excel.run_job("split", settings, folder)
    assert len(list(Path(split.output).glob("*.xlsx"))) == len(demo.plan.tabs) - 1  # not for the 'No lead' tab


def test_missing_settings_give_a_plain_message(built, tmp_path):
    settings = excel.settings_from_workbook(built[0])
    with pytest.raises(PlanbookError, match="neither the returns folder nor the master plan"):
        excel.run_job("consolidate", settings, tmp_path)
    with pytest.raises(PlanbookError, match="Output folder"):
        excel.run_job("consolidate", {**settings, "pb_output_folder": ""}, tmp_path)
    with pytest.raises(PlanbookError, match="click Consolidate first"):
        excel.run_job("report", settings, tmp_path)


def test_libreoffice_opens_it_and_imports_the_macros_and_buttons(built, tmp_path, soffice):
    ods = lo_convert(soffice, built[0], "ods", tmp_path)
    with zipfile.ZipFile(ods) as z:
        module = z.read("Basic/VBAProject/Planbook.xml").decode()
        content = z.read("content.xml").decode()
    assert "Public Sub ConsolidateButton()" in module
    bound = re.findall(r"VBAProject\.Planbook\.(\w+)\?", content)
    assert sorted(bound) == sorted(b.macro for b in excel.BUTTONS)


def test_standalone_build_embeds_the_xlwings_module(tmp_path):
    path = build_coordinator(tmp_path / "Standalone.xlsm", standalone=True)
    import xlwings

    decoded = _vba(path)
    source = (Path(xlwings.__file__).parent / "xlwings.bas").read_text(encoding="latin-1")
    assert "Function RunPython" in decoded["xlwings"]
    assert [x for x in _code_lines(decoded["xlwings"]) if x] == [x for x in _code_lines(source) if x]


def test_shipped_workbook_is_current(tmp_path):
    shipped = Path(__file__).resolve().parents[1] / "workbooks" / "Coordinator.xlsm"
    fresh = build_coordinator(tmp_path / "Coordinator.xlsm")
    assert _vba(shipped) == _vba(fresh), "run `make workbook` after changing macros/"


# ---- planbook coordinator: the workbook written on the coordinator's computer ------------------------

def test_the_coordinator_command_fills_in_the_plans_folders_and_the_command(demo, tmp_path):
    folder = tmp_path / "Council's plan"
    shutil.copytree(demo.folder, folder, ignore=shutil.ignore_patterns("consolidated.xlsx", "summary.docx", "*.eml",
                                                                        "Coordinator.xlsm"))
    elsewhere = tmp_path / "results"
    result = run_cli("coordinator", "--out", folder / "Coordinator.xlsm", "--plan", folder / "plan.xlsx",
                     "--returns", folder / "returns", "--output", elsewhere, "--previous", folder / "consolidated-Q1.xlsx")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"wrote {folder / 'Coordinator.xlsm'}: open it in Excel and enable its macros")
    settings = excel.settings_from_workbook(folder / "Coordinator.xlsm")
    # Inside the workbook's folder: relative (the folder may move, e.g. into OneDrive); outside: in full.
    assert (settings["pb_master_plan"], settings["pb_returns_folder"], settings["pb_previous"]) == \
        ("plan.xlsx", "returns", "consolidated-Q1.xlsx")
    assert settings["pb_output_folder"] == str(elsewhere)
    command = Path(settings["pb_command"])
    assert command.is_absolute() and command.name == "planbook" and command.exists()  # this installation's
    assert _vba(folder / "Coordinator.xlsm")["Planbook"] == _vba(MACROS.parent / "workbooks" / "Coordinator.xlsm")[
        "Planbook"]
    # Refuses to replace it; a macro workbook must be .xlsm.
    again = run_cli("coordinator", "--out", folder / "Coordinator.xlsm")
    assert again.returncode == 2 and "already exists (use --force to replace it)" in again.stderr
    xlsx = run_cli("coordinator", "--out", folder / "Coordinator.xlsx")
    assert xlsx.returncode == 2 and "must be saved as .xlsm" in xlsx.stderr
    # The lines at the foot of the Control sheet do what the buttons do, from the saved settings.
    rows = CalamineWorkbook.from_path(str(folder / "Coordinator.xlsm")).get_sheet_by_name("Control").to_python()
    texts = [str(c) for row in rows for c in row if c]
    assert any(t.startswith("When the buttons cannot run: Excel for the web runs no macros") for t in texts)
    lines = {b.caption: next(row[1] for row in rows if row[0] == b.caption) for b in excel.BUTTONS}
    for button in excel.BUTTONS:
        assert lines[button.caption] == f"{command} button {button.job} {shlex.quote(str(folder / 'Coordinator.xlsm'))}"
    ran = subprocess.run(shlex.split(lines["Consolidate"]), capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(Path(excel.__file__).parents[1])})
    assert ran.returncode == 0, ran.stderr
    assert re.match(r"Consolidated 122 actions from \d+ file\(s\) at \d\d:\d\d\n", ran.stdout), ran.stdout
    assert (elsewhere / "consolidated.xlsx").exists() and f"  {elsewhere / 'consolidated.xlsx'}" in ran.stdout


def test_the_shipped_workbook_shows_command_lines_for_its_own_folder():
    rows = CalamineWorkbook.from_path(str(MACROS.parent / "workbooks" / "Coordinator.xlsm")).get_sheet_by_name(
        "Control").to_python()
    assert [row[1] for row in rows if row[0] in {b.caption for b in excel.BUTTONS}][-len(excel.BUTTONS):] == \
        [f"planbook button {b.job} Coordinator.xlsm" for b in excel.BUTTONS]


def test_write_coordinator_is_the_library_function(tmp_path):
    out = planbook.write_coordinator(tmp_path / "c.xlsm", plan=tmp_path / "p.xlsx", command="/opt/pb/planbook",
                                     settings={"pb_email_to": "a@council.example"})
    settings = excel.settings_from_workbook(out)
    assert (settings["pb_master_plan"], settings["pb_command"], settings["pb_email_to"]) == \
        ("p.xlsx", "/opt/pb/planbook", "a@council.example")
    with pytest.raises(PlanbookError, match="not Control-sheet settings: pb_nonsense"):
        planbook.write_coordinator(tmp_path / "d.xlsm", settings={"pb_nonsense": "x"})


# ---- planbook button: what a button does, without Excel -------------------------------------------------

def test_the_button_command_prints_what_the_button_shows(demo, tmp_path):
    folder = tmp_path / "plans"
    shutil.copytree(demo.folder, folder, ignore=shutil.ignore_patterns("consolidated.xlsx", "summary.docx", "*.eml",
                                                                        "Coordinator.xlsm"))
    rows_file = tmp_path / "rows.txt"
    result = run_cli("button", "consolidate", "--location", folder, "--set", "pb_as_of=2009-10-09",
                     "--set", "pb_output_folder=out", "--rows-file", rows_file, "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    job = excel.run_job("consolidate", {"pb_as_of": "2009-10-09", "pb_output_folder": str(tmp_path / "again")},
                        folder)
    assert summary["status"][:-6] == job.status[:-6] and summary["counts"] == job.counts
    [sheet] = summary["sheets"]
    assert (sheet["name"], sheet["header"], sheet["text_columns"], sheet["row_count"]) == \
        ("Data issues", excel.ISSUES_COLUMNS, 6, len(job.issues))
    # The rows file: ASCII, one row a line, and read back exactly (as the macro's Unescape reads it).
    lines = rows_file.read_bytes().decode("ascii").split("\r\n")
    assert lines[-1] == "" and [_unescape_row(line)[:6] for line in lines[:-1]] == job.issues
    assert _unescape_row(lines[0])[6] == excel.issue_link(*job.issues[0][2:5])
    bad = run_cli("button", "consolidate", "--location", folder, "--set", "pb_nonsense=1")
    assert bad.returncode == 2 and "unknown Control-sheet setting(s) pb_nonsense" in bad.stderr
    not_a_pair = run_cli("button", "report", "--set", "pb_output_folder")
    assert not_a_pair.returncode == 2 and "--set takes NAME=VALUE" in not_a_pair.stderr
    not_coordinator = run_cli("button", "report", folder / "plan.xlsx")
    assert not_coordinator.returncode == 2 and "is not a planbook coordinator workbook" in not_coordinator.stderr


def _unescape_row(line: str) -> list[str]:
    """A rows-file line as the macro reads it: split at tabs, then each escape undone."""
    out = []
    for field in line.split("\t"):
        text, i = "", 0
        while i < len(field):
            if field[i] != excel.ESCAPE:
                text += field[i]
                i += 1
            elif field[i + 1] == "u":
                text += chr(int(field[i + 2:i + 6], 16))
                i += 6
            else:
                text += {"t": "\t", "n": "\n", "r": "\r"}.get(field[i + 1], field[i + 1])
                i += 2
        out.append(text.encode("utf-16", "surrogatepass").decode("utf-16"))
    return out


def test_the_rows_file_escapes_everything_a_cell_can_hold(tmp_path):
    awkward = ["tab\there", "line\nbreak\r\n", "é – 😀", "\x01 itself", "=SUM(A1)", "C:\\Users\\jane", '"quoted"']
    result = excel.JobResult(status="x", returns=[awkward[:6]])
    path = excel.write_rows(tmp_path / "rows", result)
    data = path.read_bytes()
    assert data.isascii() and data.count(b"\r\n") == 1 and b"\t" in data
    assert _unescape_row(data.decode("ascii").removesuffix("\r\n")) == awkward[:6]
    assert excel.issue_link("C:\\a \"b\".xlsx", "O'Brien", "J2") == \
        '=HYPERLINK("C:\\a ""b"".xlsx#\'O\'\'Brien\'!J2","open")'
    assert excel.issue_link("/x/plan.xlsx", "Lead", "") == '=HYPERLINK("/x/plan.xlsx","open")'


# ---- the Data issues "Go to" links -------------------------------------------------------------------

_DEEP = ("C:\\Users\\jane.smith\\OneDrive - Anytown Metropolitan Borough Council\\Shared Documents\\"
         "Children's Services Partnership Board\\Action Plan 2026-27\\Quarter 1 Returns and Consolidation\\"
         "Returned copies from lead officers (do not rename)\\")
#: Where a return may be: folders named with #, %, spaces, apostrophes, non-ASCII, brackets;
#: UNC paths; paths longer than a formula's text holds (a quote, an emoji, a # at the cut).
LINK_FILES = [
    "C:\\Plans\\plan.xlsx",
    "C:\\Plans\\Action Plan 2026-27 #2\\plan.xlsx",
    "C:\\Plans\\#1 priority\\#2 #3.xlsx",
    "C:\\Plans\\100% done\\50%20off.xlsx",
    "C:\\Plans\\Children's Services\\Jane O'Brien.xlsx",
    "C:\\Plans\\Équipe – Zoë\\😀 plan.xlsx",
    "\\\\server\\share\\Plans\\plan.xlsx",
    "\\\\server\\share\\Plan #2\\plan.xlsx",
    "/home/jane/Plans/a \"quoted\" name.xlsx",
    _DEEP + "Jane Smith.xlsx",
    _DEEP.replace("2026-27", "2026-27 #2") + "Jane Smith.xlsx",
    _DEEP * 3 + "😀" * 40 + '"' * 5 + "#" + "x.xlsx",
    "C:\\Plans [draft]\\Plan #2\\plan.xlsx",  # a # and a bracket: no form opens it right
    "C:\\" + "long folder name\\" * 600 + "plan.xlsx",  # longer than a formula holds
]
LINK_PLACES = [("Jane Smith", "J7"), ("O'Brien's 'team'", "AB12"), ("Zoë – équipe", "C3"), ("Lead", "")]


def _excel_reads(location: str) -> tuple[str, str]:
    """(file, place) of a link location as Excel reads it: [file]place, or file#place."""
    if location.startswith("["):
        file, _, place = location[1:].partition("]")
        return file, place
    file, _, place = location.partition("#")
    return file, place


def _literal_units(token: str) -> int:
    """A string operand's length as written between its quotes, in UTF-16 units."""
    return len(token[1:-1].encode("utf-16-le")) // 2


def _read_link(formula: str) -> tuple[str, str | None]:
    """(the formula's kind, its link location or text), read with openpyxl's formula tokenizer:
    every text in it checked against Excel's limits."""
    from openpyxl.formula.tokenizer import Token, Tokenizer

    if not formula.startswith("="):  # a path too long for any formula: itself, which no reader takes for one
        assert formula[:1] not in "=+-@" and len(formula) > 8192 - 20
        return "text", formula
    assert len(formula) <= 8192, formula[:80]
    tokens = [t for t in Tokenizer(formula).items if t.type != Token.WSPACE]
    texts = [t.value for t in tokens if t.type == Token.OPERAND and t.subtype == Token.TEXT]
    assert texts and all(_literal_units(t) <= 255 for t in texts), [len(t) for t in texts]
    values = [t[1:-1].replace('""', '"') for t in texts]
    if tokens[0].value == "HYPERLINK(":
        # HYPERLINK( "a" & "b" & … , "open" )
        assert [t.value for t in tokens[-3:]] == [",", '"open"', ")"], formula[-40:]
        middle = tokens[1:-3]
        assert [t.value for t in middle[1::2]] == ["&"] * (len(middle) // 2)
        return "link", "".join(values[:-1])
    assert all(t.value in ("&",) or t.subtype == Token.TEXT for t in tokens), formula[:80]
    return "text", "".join(values)


@pytest.mark.parametrize("file", LINK_FILES)
def test_a_go_to_link_opens_its_file_at_its_cell_whatever_the_path(file):
    for sheet, cell in LINK_PLACES:
        formula = excel.issue_link(file, sheet, cell)
        kind, value = _read_link(formula)
        if kind == "link":
            opened, place = _excel_reads(value)
            assert opened == file
            assert place == (f"'{sheet.replace(chr(39), chr(39) * 2)}'!{cell}" if cell else "")
        else:  # no link would open the right file: its path, as text
            assert value == file and (("#" in file and ("[" in file or not cell)) or len(file) > 8000), file[:80]
    assert _read_link(excel.issue_link("C:\\Plans\\plan.xlsx", "Lead", "J2"))[0] == "link"
    if "#" not in file and len(file) < 8000:
        assert _read_link(excel.issue_link(file, "Lead", "J2"))[0] == "link"


def test_libreoffice_reads_each_go_to_link_as_a_formula_giving_its_target(tmp_path, soffice):
    """An independent reader: LibreOffice calculates each link (its value 'open') and, beside it,
    the link's location alone, which must be the target Excel reads."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    expected = []
    for file in LINK_FILES[:-1]:
        for name, cell in LINK_PLACES:
            formula = excel.issue_link(file, name, cell)
            kind, value = _read_link(formula)
            location = formula[len("=HYPERLINK("):-len(',"open")')] if kind == "link" else formula[1:]
            sheet.append([formula, "=" + location])
            expected.append(["open" if kind == "link" else value, value])
    book.save(tmp_path / "links.xlsx")
    out = lo_convert(soffice, tmp_path / "links.xlsx", "xlsx", tmp_path / "lo")
    from python_calamine import CalamineWorkbook

    rows = CalamineWorkbook.from_path(str(out)).get_sheet_by_index(0).to_python()
    assert [[str(v) for v in row[:2]] for row in rows] == expected
