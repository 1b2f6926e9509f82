"""LibreOffice headless opens our files, keeps their lists and colours, and shows the colours."""
from __future__ import annotations

import subprocess

import openpyxl
from PIL import Image

from planbook import read_plan
from planbook.core.status import COLOURS

from .conftest import lo_convert, run_cli


def test_libreoffice_round_trip_keeps_validation_and_formatting(plan_file, tmp_path, soffice):
    saved = lo_convert(soffice, plan_file, "xlsx:Calc MS Excel 2007 XML", tmp_path / "lo")
    wb = openpyxl.load_workbook(saved)
    ws = wb["DD Achievement"]
    lists = {d.formula1 for d in ws.data_validations.dataValidation if d.type == "list"}
    assert lists == {"StatusList", "ThemeList", "LeadList"}
    assert {n for n in wb.defined_names} >= {"StatusList", "ThemeList", "LeadList"}
    formulas = [r.formula[0] for cf in ws.conditional_formatting for r in cf.rules]
    assert '"Slippage"' in formulas and any("TODAY()" in f for f in formulas)
    plan = read_plan(saved)  # and we still read it after LibreOffice saved it
    assert sorted(a.ref for a in plan.actions) == ["1.1", "1.2", "3.10", "4.2a"]
    assert plan.report.ok


def _has_colour(img: Image.Image, hex_colour: str, min_pixels: int = 30) -> bool:
    target = tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    raw = img.convert("RGB").tobytes()
    px = (raw[i:i + 3] for i in range(0, len(raw), 3))
    return sum(1 for p in px if all(abs(a - b) <= 6 for a, b in zip(p, target))) >= min_pixels


def test_rendered_pdf_shows_status_colours(plan_file, tmp_path, soffice):
    pdf = lo_convert(soffice, plan_file, "pdf", tmp_path / "pdf")
    subprocess.run(["pdftoppm", "-r", "50", "-png", str(pdf), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 3  # Guide, two lead tabs, Lists
    lead_pages = [Image.open(p) for p in pages[1:3]]
    for status in ("Complete", "On track", "Slippage", "Off track"):
        assert any(_has_colour(img, COLOURS[status][1]) for img in lead_pages), status


def test_real_xls_made_by_libreoffice_is_read_for_its_values(plan_file, tmp_path, soffice):
    xls = lo_convert(soffice, plan_file, "xls", tmp_path / "xls")
    result = run_cli("validate", xls)
    assert result.returncode == 0, result.stderr
    assert "read from an .xls file: formatting and drop-downs are not checked" in result.stdout
    assert "Traceback" not in result.stderr
