"""The coordinator workbook: built from macros/, buttons bound, Python side does its jobs."""
from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

import pytest
from oletools.olevba import VBA_Parser

import planbook.excel as excel
from planbook.coordinator import MACROS, build_coordinator
from planbook.core.errors import PlanbookError

from .conftest import lo_convert


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
    assert sorted(macros) == ["ChaseLeadsButton", "ConsolidateButton", "EmailReportButton", "SplitForLeadsButton",
                            "WordSummaryButton"]
    code = _vba(built[0])["Planbook"]
    for macro in macros:
        assert re.search(rf"^Public Sub {macro}\(\)", code, re.M), macro


def test_every_python_function_the_vba_names_exists(built):
    code = _vba(built[0])["Planbook"]
    called = re.findall(r"planbook\.excel\.(\w+)\(", code)
    assert called == ["run_button"] and callable(getattr(excel, called[0]))
    jobs = re.findall(r'RunPlanbook "(\w+)"', code)
    assert sorted(jobs) == sorted(excel.JOBS)


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
    assert sorted(bound) == ["ChaseLeadsButton", "ConsolidateButton", "EmailReportButton", "SplitForLeadsButton",
                            "WordSummaryButton"]


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
