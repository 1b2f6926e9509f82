"""The real `planbook` command: exit codes, JSON shape, one-line errors, no tracebacks."""
from __future__ import annotations

import json
import zipfile

import openpyxl
import pytest

from .conftest import run_cli


def test_validate_clean_plan_exits_0(plan_file):
    result = run_cli("validate", plan_file)
    assert result.returncode == 0, result.stderr
    assert "4 actions on 2 lead tab(s); 0 error(s)" in result.stdout


def test_validate_json_shape_and_exit_1_on_errors(plan_file, tmp_path):
    wb = openpyxl.load_workbook(plan_file)
    wb["Jane Smith"]["J2"] = "Finished?"
    bad = tmp_path / "bad.xlsx"
    wb.save(bad)
    result = run_cli("validate", bad, "--json")
    assert result.returncode == 1
    data = json.loads(result.stdout)
    assert set(data) == {"file", "actions", "findings"} and data["actions"] == 4
    (finding,) = data["findings"]
    assert {"code", "severity", "file", "sheet", "cell", "value", "message"} <= set(finding)
    assert (finding["code"], finding["sheet"], finding["cell"], finding["value"]) == \
        ("unknown-status", "Jane Smith", "J2", "Finished?")


def _ole_file(path, payload=b""):
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504 + payload)
    return path


@pytest.mark.parametrize("make, reason", [
    (lambda p: p.write_bytes(b"PK\x03\x04 truncated rubbish"), "corrupt"),
    (lambda p: p.write_text("Ref,Action\n1.1,Do\n"), "not an Excel workbook"),
    (lambda p: p.write_bytes(b""), "empty file"),
    (lambda p: _ole_file(p, "EncryptedPackage".encode("utf-16-le")), "password-protected"),
    (lambda p: _ole_file(p), "corrupt Excel 97-2003 (.xls) workbook"),
])
def test_unusable_files_exit_2_with_one_line(tmp_path, make, reason):
    path = tmp_path / "input.xlsx"
    make(path)
    before = path.read_bytes()
    result = run_cli("validate", path)
    assert result.returncode == 2
    assert reason in result.stderr and "Traceback" not in result.stderr + result.stdout
    assert len(result.stderr.strip().splitlines()) == 1
    assert path.read_bytes() == before  # input never modified


def test_not_a_planbook_workbook_and_word_file_exit_2(tmp_path):
    other = tmp_path / "budget.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["Cost centre", "Amount"])
    wb.active.append(["CC1", 5])
    wb.save(other)
    result = run_cli("validate", other)
    assert result.returncode == 2 and "not a planbook workbook" in result.stderr
    doc = tmp_path / "report.xlsx"
    with zipfile.ZipFile(doc, "w") as zf:
        zf.writestr("word/document.xml", "<w:document/>")
    result = run_cli("validate", doc)
    assert result.returncode == 2 and "Word document" in result.stderr
    assert run_cli("validate", tmp_path / "missing.xlsx").stderr.strip().endswith("file not found")


def test_new_then_validate(tmp_path):
    out = tmp_path / "plan.xlsx"
    result = run_cli("new", out, "--title", "Youth plan", "--period", "2009/10", "--lead", "Jane", "--lead", "Raj",
                     "--theme", "Staying Safe")
    assert result.returncode == 0, result.stderr
    assert "2 lead tab(s): Jane, Raj" in result.stdout
    assert run_cli("validate", out).returncode == 0
    again = run_cli("new", out, "--title", "X", "--period", "Y", "--lead", "Z")
    assert again.returncode == 2 and "already exists" in again.stderr
    assert run_cli("new", tmp_path / "nofolder" / "p.xlsx", "--title", "X", "--period", "Y",
                   "--lead", "Z").returncode == 0  # its folder made, as split makes its --out


def test_demo_builds_and_validates_the_middlesbrough_plan(tmp_path):
    result = run_cli("demo", "--out", tmp_path / "demo")
    assert result.returncode == 0, result.stderr
    assert "122 actions" in result.stdout and str(tmp_path / "demo" / "plan.xlsx") in result.stdout
    from planbook import read_plan

    plan = read_plan(tmp_path / "demo" / "plan.xlsx")
    assert len(plan.actions) == 122
    statuses = {a.status for a in plan.actions}
    assert statuses == {"Complete", "On track", "Slippage", "Off track", "Not started"}
    assert {f.code for f in plan.report} == {"missing-required", "bad-due"}  # the real plan's own gaps


def test_outputs_get_normal_permissions_not_private_temp_ones(tmp_path):
    import os
    import stat

    out = tmp_path / "plan.xlsx"
    old = os.umask(0o022)
    try:
        assert run_cli("new", out, "--title", "T", "--period", "P", "--lead", "A").returncode == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == 0o644  # not mkstemp's 0600
    os.chmod(out, 0o664)
    assert run_cli("new", out, "--title", "T", "--period", "P", "--lead", "B", "--force").returncode == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o664  # a replaced file keeps its permissions


def test_dates_on_the_command_line_in_uk_or_iso_form(plan_file, tmp_path):
    for when in ("09/10/2009", "2009-10-09"):
        out = tmp_path / f"c-{when.replace('/', '-')}.xlsx"
        result = run_cli("consolidate", plan_file, "--out", out, "--as-of", when)
        assert result.returncode == 0, result.stderr
    bad = run_cli("consolidate", plan_file, "--out", tmp_path / "x.xlsx", "--as-of", "31/02/2009")
    assert bad.returncode == 2 and "not a date (use 31/03/2010 or 2010-03-31): '31/02/2009'" in bad.stderr


def test_new_takes_each_leads_address_with_their_name(tmp_path):
    """`--lead "Name <address>"`: a plan made on the command line can ask its leads for updates
    (request-updates, chase, receipts) without opening Excel to fill in the Lists sheet."""
    out = tmp_path / "plan.xlsx"
    result = run_cli("new", out, "--title", "T", "--period", "Q2 2009/10", "--coordinator-email", "plans@example.org",
                     "--lead", "Jane Smith <jane.smith@example.org>", "--lead", "Raj Patel")
    assert result.returncode == 0, result.stderr
    assert "2 lead tab(s): Jane Smith, Raj Patel" in result.stdout
    from planbook import read_plan

    assert [(lead.name, lead.email) for lead in read_plan(out).info.leads] == \
        [("Jane Smith", "jane.smith@example.org"), ("Raj Patel", "")]
    asked = run_cli("request-updates", out, "--out", tmp_path / "for-leads", "--return-by", "2009-10-02",
                    "--save-dir", tmp_path / "drafts")
    assert asked.returncode == 1 and "Raj Patel" in asked.stderr  # no address: listed, not asked
    assert [p.name for p in (tmp_path / "drafts").iterdir()] == ["Jane Smith.eml"]
    for bad, words in [("Jane <not an address>", "is not an email address"), ("<jane@example.org>", "name before")]:
        refused = run_cli("new", tmp_path / "other.xlsx", "--title", "T", "--period", "Q", "--lead", bad)
        assert refused.returncode == 2 and words in refused.stderr and not (tmp_path / "other.xlsx").exists()
