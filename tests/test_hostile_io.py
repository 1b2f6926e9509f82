"""Issue 10, items 1, 3, 4 and 7: hostile inputs and failing outputs, through the real CLI.

For every case: the exit code as documented, no traceback, inputs byte-identical afterwards,
and every output opened by openpyxl, calamine and a strict XML parse of each part (see
tests/hostile.py, which also makes the corpus: nothing here is a checked-in binary).
"""
from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import resource
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from planbook import Action, Lead, PlanInfo, parse_due, write_plan
from planbook.rollup.consolidate import consolidate
from planbook.rollup.output import write_consolidated

from .conftest import run_cli, small_plan
from .hostile import (LEAD, check_output_file, children_of, fingerprints, one_line_error, patched_return,
                      replace_part, return_info, running, stray_temporaries, zip_with_bomb)

TODAY = "2009-10-09"


def _rows(path: Path, sheet: str) -> list[list[object]]:
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python()


def _folder(path: Path) -> Path:
    path.mkdir(exist_ok=True)
    return path


def _issues(path: Path) -> list[dict[str, object]]:
    rows = _rows(path, "Data issues")
    return [dict(zip(rows[0], r)) for r in rows[1:]]


@pytest.fixture(scope="session")
def corpus(tmp_path_factory) -> Path:
    """The master plan, and a clean lead return, shared by the read-only cases."""
    folder = tmp_path_factory.mktemp("corpus")
    info, actions = small_plan()
    write_plan(folder / "plan.xlsx", info, actions)
    patched_return(folder / "clean-return.xlsx", {})
    return folder


# ---------------------------------------------------------------- 1. never overwrite what you read


@pytest.mark.parametrize("case", ["same", "dot-spelling", "symlink", "in-folder", "previous", "report", "import",
                                  "import-symlink"])
def test_an_input_is_never_the_output(corpus, tmp_path, case):
    plan = tmp_path / "plan.xlsx"
    plan.write_bytes((corpus / "plan.xlsx").read_bytes())
    folder = tmp_path / "returns"
    folder.mkdir()
    (folder / "Jane.xlsx").write_bytes((corpus / "clean-return.xlsx").read_bytes())
    (tmp_path / "link.xlsx").symlink_to(plan)
    assert run_cli("consolidate", plan, "--out", tmp_path / "cons.xlsx", "--as-of", TODAY).returncode == 0
    before = fingerprints(plan, folder, tmp_path / "cons.xlsx")
    args = {
        "same": ("consolidate", plan, folder, "--out", plan),
        "dot-spelling": ("consolidate", "plan.xlsx", "--out", "./returns/../plan.xlsx"),
        "symlink": ("consolidate", plan, "--out", tmp_path / "link.xlsx"),
        "in-folder": ("consolidate", folder, plan, "--out", folder / "Jane.xlsx"),
        "previous": ("consolidate", plan, "--out", tmp_path / "cons.xlsx", "--previous", "./cons.xlsx"),
        "report": ("report", tmp_path / "cons.xlsx", "--out", "cons.xlsx"),
        "import": ("import", plan, "--out", plan, "--force"),
        "import-symlink": ("import", tmp_path / "link.xlsx", "--out", plan, "--force"),
    }[case]
    result = run_cli(*args, cwd=tmp_path)
    assert result.returncode == 2
    line = one_line_error(result.stderr)
    assert line.startswith("planbook: refusing to write")
    out, given = str(args[args.index("--out") + 1]), [str(a) for a in args[1:] if str(a) != str(args[args.index("--out") + 1])]
    assert out in line and any(g in line for g in given), line  # names both paths
    assert "reading" not in result.stderr  # refused before reading anything
    assert fingerprints(plan, folder, tmp_path / "cons.xlsx") == before
    assert not stray_temporaries(tmp_path) and not stray_temporaries(folder)


def test_an_earlier_consolidation_in_the_input_folder_may_be_replaced(corpus, tmp_path):
    folder = tmp_path / "returns"
    folder.mkdir()
    (folder / "Jane.xlsx").write_bytes((corpus / "clean-return.xlsx").read_bytes())
    for _ in range(2):  # the second run replaces the first run's output: planbook's own, never an input
        result = run_cli("consolidate", folder, corpus / "plan.xlsx", "--out", folder / "cons.xlsx", "--as-of", TODAY)
        assert result.returncode == 0, result.stderr
    check_output_file(folder / "cons.xlsx")


def test_split_never_writes_over_the_plan(corpus, tmp_path):
    plan = tmp_path / f"{LEAD}.xlsx"  # the plan is named like the copy split would write for Jane
    write_plan(plan, return_info(), [Action("1.1", "Act", LEAD)])
    before = fingerprints(plan)
    result = run_cli("split", plan, "--out", tmp_path, "--force")
    assert result.returncode == 2 and "refusing to write" in one_line_error(result.stderr)
    assert fingerprints(plan) == before


# ---------------------------------------------------------------- 3. text XML cannot hold

#: Raw SpreadsheetML for the cells of a lead's return: Excel's escapes and raw bytes of
#: characters XML cannot hold (calamine accepts both), in every kind of cell.
CONTROL_PAYLOADS = {
    "@@action1@@": b"Line one_x000B_line two (Word's line break)",
    "@@progress1@@": b"bell\x07and NUL_x0000_",
    "@@action2@@": b"form feed_x000C_ and escape \x1b[31m",
    "@@due2@@": b"December_x0001_ 2009",
    "@@status3@@": b"On track_x001F_",
    "@@progress3@@": b"not a char: \xef\xbf\xbe end",
    "@@action3@@": "Café – £5 budget_x000B_agreed".encode(),  # not ASCII, and a control character
    "@@notes2@@": b"extra column_x0007_",
}


def test_control_characters_are_replaced_everywhere_and_reported_once(corpus, tmp_path):
    ret = patched_return(_folder(tmp_path / "in") / "Jane Smith.xlsx", CONTROL_PAYLOADS)
    inputs = fingerprints(tmp_path / "in", corpus / "plan.xlsx")
    result = run_cli("validate", ret)
    assert result.returncode == 0 and "Traceback" not in result.stderr  # warnings only
    assert result.stdout.count("control-character") == 8
    cons = tmp_path / "out" / "cons.xlsx"
    cons.parent.mkdir()
    result = run_cli("consolidate", tmp_path / "in", corpus / "plan.xlsx", "--out", cons, "--as-of", TODAY)
    assert result.returncode == 0, result.stderr
    check_output_file(cons)
    found = [i for i in _issues(cons) if i["Problem"] == "control-character"]
    assert sorted(i["Cell"] for i in found) == ["D2", "D3", "D4", "G3", "J4", "K2", "K4", "M3"]  # once each
    assert all(i["File"] == ret.name and i["Sheet"] == LEAD for i in found)
    table = _rows(cons, "All actions")
    rows = {r[0]: dict(zip(table[0], r)) for r in table[1:]}
    assert rows["1.1"]["Action"] == "Line one\nline two (Word's line break)"  # the line break kept as a line break
    assert {"1.1", "1.2", "1.3"} <= set(rows)  # every row of the return rolled up
    assert rows["1.3"]["Status"] == "On track"  # the status understood once cleaned
    assert rows["1.3"]["Action"] == "Café – £5 budget\nagreed"
    # the rest of the quarter: report, email draft, split — all valid files
    report = tmp_path / "out" / "summary.docx"
    assert run_cli("report", cons, "--out", report).returncode == 0
    check_output_file(report)
    eml = tmp_path / "out" / "report.eml"
    result = run_cli("email", cons, "--to", "a@example.org", "--save", eml, "--subject", "Progress\x0bQ2")
    assert result.returncode == 0, result.stderr
    check_output_file(eml)
    assert fingerprints(tmp_path / "in", corpus / "plan.xlsx") == inputs


def test_control_characters_in_arguments_names_and_imports(tmp_path):
    plan = tmp_path / "plan.xlsx"
    result = run_cli("new", plan, "--title", "Plan\x0bTitle\x01", "--period", "Q2 2009/10", "--lead", "Jane\x0bSmith",
                     "--lead", "Bob\x07/Jones[1]", "--theme", "Being\x1fHealthy", "--coordinator", "Pat\x02")
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("control-character") == 5 and "Traceback" not in result.stderr
    check_output_file(plan)
    sheets = CalamineWorkbook.from_path(str(plan)).sheet_names
    assert "Jane Smith" in sheets and "Bob -Jones-1-" in sheets
    result = run_cli("split", plan, "--out", tmp_path / "copies")
    assert result.returncode == 0, result.stderr
    names = sorted(p.name for p in (tmp_path / "copies").iterdir())
    assert names == ["Bob -Jones-1.xlsx", "Jane Smith.xlsx"]
    for copy in (tmp_path / "copies").iterdir():
        check_output_file(copy)
    result = run_cli("request-updates", plan, "--out", tmp_path / "req", "--return-by", "2009-10-01",
                     "--save-dir", tmp_path / "drafts", "--from", "pat@example.org")
    assert result.returncode in (0, 1), result.stderr  # 1: leads without an email address are listed
    # a CSV and a Word table holding control characters import into a valid workbook, with findings
    csv_file = tmp_path / "old.csv"
    csv_file.write_text("Ref,Action,Lead,By when\n1.1,Do\x0bit,Ann\x01Lee,December 2009\n", encoding="utf-8")
    before = fingerprints(csv_file)
    result = run_cli("import", csv_file, "--out", tmp_path / "imported.xlsx", "--title", "Old\x0bplan", "--json")
    assert result.returncode == 0, result.stderr
    assert result.stdout.count('"control-character"') == 2
    check_output_file(tmp_path / "imported.xlsx")
    assert fingerprints(csv_file) == before


def test_writers_clean_what_the_library_is_given(tmp_path):
    """The last line of defence: library callers passing raw text still get valid files."""
    bad = "x\x0by\x00z\ud800"
    info = PlanInfo(title=bad, period="Q2 2009/10", leads=[Lead(bad, "")], themes=[bad], coordinator=bad)
    actions = [Action("1.1", bad, bad, theme=bad, objective=bad, progress=bad, due=parse_due(bad),
                      status_text=bad, status=None, extras={"Notes": bad})]
    write_plan(tmp_path / "plan.xlsx", info, actions)
    check_output_file(tmp_path / "plan.xlsx")
    info2, actions2 = small_plan()
    write_plan(tmp_path / "clean.xlsx", info2, actions2)
    result = consolidate([tmp_path / "clean.xlsx"], today=dt.date(2009, 10, 9))
    result.title = bad
    for a in result.actions:
        a.progress = bad
        a.theme = bad
    write_consolidated(result, tmp_path / "cons.xlsx")
    check_output_file(tmp_path / "cons.xlsx")


# ---------------------------------------------------------------- 4. bounded resources

GB = 1 << 30


def _limited(*args, cwd=None, seconds=60, memory=1536 << 20):
    """Run the CLI with its address space capped: a reader that inflated a bomb would fail."""
    def cap():
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    t0 = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "planbook.cli", *map(str, args)], capture_output=True, text=True,
                            timeout=seconds, preexec_fn=cap, cwd=cwd)
    return result, time.monotonic() - t0


@pytest.mark.parametrize("member, size, declared", [
    ("xl/worksheets/sheet2.xml", 2500 << 20, None),  # 2.5 GB of whitespace in a sheet
    ("xl/sharedStrings.xml", 2200 << 20, None),  # a 2.2 GB shared string
    ("xl/worksheets/sheet2.xml", 2500 << 20, 100_000),  # ... whose zip directory lies about its size
])
def test_zip_bombs_are_refused_before_inflating(corpus, tmp_path, member, size, declared):
    bomb = zip_with_bomb(corpus / "clean-return.xlsx", _folder(tmp_path / "in") / "bomb.xlsx", member, size,
                         declared=declared)
    assert bomb.stat().st_size < 4 << 20  # small on disk
    before = fingerprints(bomb)
    result, seconds = _limited("validate", bomb)
    assert result.returncode == 2 and seconds < 20
    line = one_line_error(result.stderr)
    if declared is None:
        assert "expands to more than" in line and line.endswith("not read")
    else:  # a part cannot inflate past the size it declares: the reader stops there
        assert "larger than its declared uncompressed size" in line
    out = tmp_path / "cons.xlsx"
    result, _ = _limited("consolidate", tmp_path / "in", corpus / "plan.xlsx", "--out", out, "--as-of", TODAY)
    assert result.returncode == 0 and "skipped" in result.stdout and "bomb.xlsx" in result.stdout
    check_output_file(out)
    assert any(i["Problem"] == "file-skipped" and i["File"] == "bomb.xlsx" for i in _issues(out))
    for args in (("import", bomb, "--out", tmp_path / "imported.xlsx"), ("report", bomb, "--out", tmp_path / "r.docx"),
                 ("consolidate", corpus / "plan.xlsx", "--out", tmp_path / "c2.xlsx", "--previous", bomb)):
        result, seconds = _limited(*args)
        assert result.returncode == 2 and seconds < 20, (args, result.stderr)
        one_line_error(result.stderr)
    assert not (tmp_path / "imported.xlsx").exists() and not (tmp_path / "r.docx").exists()
    assert fingerprints(bomb) == before


def test_a_word_document_bomb_is_refused(tmp_path):
    from docx import Document

    doc = Document()
    table = doc.add_table(rows=2, cols=3)
    for c, h in enumerate(["Action", "Lead", "By when"]):
        table.cell(0, c).text = h
    doc.save(tmp_path / "plan.docx")
    bomb = zip_with_bomb(tmp_path / "plan.docx", tmp_path / "bomb.docx", "word/document.xml", 2200 << 20)
    result, seconds = _limited("import", bomb, "--out", tmp_path / "out.xlsx")
    assert result.returncode == 2 and "expands to more than" in one_line_error(result.stderr) and seconds < 20
    assert not (tmp_path / "out.xlsx").exists()
    info, actions = small_plan()  # a report template is a .docx too
    write_plan(tmp_path / "plan.xlsx", info, actions)
    write_consolidated(consolidate([tmp_path / "plan.xlsx"], today=dt.date(2009, 10, 9)), tmp_path / "cons.xlsx")
    result, seconds = _limited("report", tmp_path / "cons.xlsx", "--out", tmp_path / "r.docx", "--template", bomb)
    assert result.returncode == 2 and "expands to more than" in one_line_error(result.stderr) and seconds < 20
    assert not (tmp_path / "r.docx").exists()


_DTD = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">'
        b'<!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;"><!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">'
        b'<!ENTITY xxe SYSTEM "file://SECRET">]>')


@pytest.mark.parametrize("part", ["xl/worksheets/sheet2.xml", "xl/sharedStrings.xml", "xl/workbook.xml"])
def test_entities_are_never_expanded_or_fetched(corpus, tmp_path, part):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    dtd = _DTD.replace(b"SECRET", str(secret).encode())

    def inject(xml: bytes) -> bytes:
        body = xml[xml.index(b"?>") + 2:].lstrip()
        body = body.replace(b">Action 1<", b">&e;&xxe;<").replace(b'name="Jane Smith"', b'name="&e;&xxe;"').replace(
            b"</sheetData>", b'<row r="40"><c r="B40" t="inlineStr"><is><t>&e;&xxe;</t></is></c></row></sheetData>')
        assert b"&xxe;" in body
        return dtd + body

    bad = replace_part(corpus / "clean-return.xlsx", _folder(tmp_path / "in") / "xxe.xlsx", part, inject)
    result, _ = _limited("validate", bad, memory=1024 << 20)
    assert result.returncode == 2, result.stdout + result.stderr
    one_line_error(result.stderr)
    assert "TOP-SECRET" not in result.stdout + result.stderr
    out = tmp_path / "cons.xlsx"
    result, _ = _limited("consolidate", tmp_path / "in", corpus / "plan.xlsx", "--out", out, "--as-of", TODAY)
    assert result.returncode == 0, result.stderr
    check_output_file(out)
    assert b"TOP-SECRET" not in out.read_bytes()


def test_a_word_document_with_entities_is_refused(tmp_path):
    from docx import Document

    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    doc = Document()
    table = doc.add_table(rows=2, cols=3)
    for c, h in enumerate(["Action", "Lead", "By when"]):
        table.cell(0, c).text = h
        table.cell(1, c).text = ["MARK", "Ann", "December 2009"][c]
    doc.save(tmp_path / "plan.docx")
    dtd = _DTD.replace(b"SECRET", str(secret).encode())
    replace_part(tmp_path / "plan.docx", tmp_path / "xxe.docx", "word/document.xml",
                 lambda xml: dtd + xml[xml.index(b"?>") + 2:].lstrip().replace(b">MARK<", b">&e;&xxe;<"))
    result, _ = _limited("import", tmp_path / "xxe.docx", "--out", tmp_path / "out.xlsx")
    assert result.returncode == 2 and "DTD" in one_line_error(result.stderr)
    assert "TOP-SECRET" not in result.stdout + result.stderr and not (tmp_path / "out.xlsx").exists()


def test_a_three_megabyte_due_cell_is_quick_and_refused_as_too_long(tmp_path):
    ret = patched_return(tmp_path / "long.xlsx", {"@@due2@@": b"By December 2009 " * 180_000,
                                                  "@@status1@@": b"On track " * 3000,
                                                  "@@action3@@": b"3." * 1_500_000})
    result, seconds = _limited("validate", ret, "--json")
    assert result.returncode == 1 and seconds < 15, (seconds, result.stderr[-300:])
    import json

    findings = json.loads(result.stdout)["findings"]
    too_long = sorted(f["cell"] for f in findings if f["code"] == "cell-too-long")
    assert too_long == ["D4", "G3"]  # 3 MB each; the 27,000-character Status cell is within Excel's limit
    assert {f["cell"] for f in findings if f["code"] == "bad-due"} == {"G3"}
    assert {f["cell"] for f in findings if f["code"] == "unknown-status"} == {"J2"}


#: A lead's return with texts longer than a cell holds in many columns: Action, Progress update
#: and the extra Notes column; Status and Due, which planbook also quotes in texts of its own
#: (the Exceptions sheet's "Status not recognised (…)", the findings' messages).
LONG_PAYLOADS = {"@@action1@@": b"A" * 40_000, "@@progress1@@": b"P " * 20_000, "@@notes1@@": b"N" * 40_000,
                 "@@status2@@": b"On track " * 4_000, "@@due2@@": b"By December 2009 " * 3_000,
                 "@@action3@@": b"3." * 20_000, "@@progress3@@": b"Q" * 33_000, "@@notes3@@": b"M" * 50_000}


def test_texts_longer_than_a_cell_in_many_columns_are_cut_before_writing(corpus, tmp_path):
    """Such a return made consolidate exit 3 ("internal error: CellTooLong"): a text too long
    for a cell was met while writing, the actions' texts were cut and the workbook written
    again, and a text planbook makes around a long one was still too long the second time."""
    ret = patched_return(_folder(tmp_path / "in") / "Jane Smith.xlsx", LONG_PAYLOADS)
    before = fingerprints(tmp_path / "in")
    cons = tmp_path / "cons.xlsx"
    result = run_cli("consolidate", tmp_path / "in", corpus / "plan.xlsx", "--out", cons, "--as-of", TODAY)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert "internal error" not in result.stderr
    check_output_file(cons)
    book = CalamineWorkbook.from_path(str(cons))
    for name in book.sheet_names:
        assert all(len(v) <= 32_767 for row in book.get_sheet_by_name(name).to_python() for v in row
                   if isinstance(v, str)), name
    too_long = sorted(i["Cell"] for i in _issues(cons) if i["Problem"] == "cell-too-long" and i["File"] == ret.name)
    assert too_long == ["D2", "D4", "G3", "J3", "K2", "K4", "M2", "M4"]  # each cut cell once, with its cell
    table = _rows(cons, "All actions")
    rows = {r[0]: dict(zip(table[0], r)) for r in table[1:]}
    assert {"1.1", "1.2", "1.3"} <= set(rows)
    rest = {i["Cell"]: i["Value"] for i in _issues(cons) if i["Problem"] == "cell-too-long" and i["File"] == ret.name}
    for cell, ref, column, payload in (("D2", "1.1", "Action", "A" * 40_000), ("M2", "1.1", "Notes", "N" * 40_000),
                                       ("K2", "1.1", "Progress update", "P " * 20_000),
                                       ("K4", "1.3", "Progress update", "Q" * 33_000)):
        shown = rows[ref][column]  # nothing lost: the cell's first part, then the rest on Data issues
        assert len(shown) <= 32_767 and shown.endswith("characters, kept on Data issues]"), (cell, shown[-80:])
        assert shown[:shown.rindex(" … [cut: ")] + rest[cell] == payload, cell
    table = _rows(cons, "Exceptions")
    why = {r[1]: r[0] for r in table[1:]}["1.2"]
    assert "Status not recognised (On track On track" in why and len(why) <= 32_767 and why.endswith("Data issues)")
    assert fingerprints(tmp_path / "in") == before


def _far_cell(xml: bytes, dimension: bytes | None) -> bytes:
    """A stray cell at XFD1048576, the sheet's dimension as Excel then writes it (or none)."""
    xml = re.sub(rb'<dimension ref="[^"]*"/>', b"" if dimension is None else b'<dimension ref="%s"/>' % dimension, xml)
    return xml.replace(b"</sheetData>", b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>stray</t></is></c>'
                                        b"</row></sheetData>")


@pytest.mark.parametrize("dimension", [b"A1:XFD1048576", None])
def test_a_cell_at_the_far_corner_is_refused_not_a_crash(corpus, tmp_path, dimension):
    corner = replace_part(corpus / "clean-return.xlsx", _folder(tmp_path / "in") / "corner.xlsx",
                          "xl/worksheets/sheet2.xml", lambda xml: _far_cell(xml, dimension))
    before = fingerprints(corner)
    result, seconds = _limited("validate", corner)
    assert result.returncode == 2 and seconds < 20  # today: SIGABRT (-6), "memory allocation of 549755813888 bytes failed"
    line = one_line_error(result.stderr)
    assert "1,048,576" in line and "16,384" in line and line.endswith("not read")
    out = tmp_path / "cons.xlsx"
    result, _ = _limited("consolidate", tmp_path / "in", corpus / "plan.xlsx", "--out", out, "--as-of", TODAY)
    assert result.returncode == 0 and "corner.xlsx" in result.stdout
    check_output_file(out)
    assert fingerprints(corner) == before


def test_a_bogus_dimension_alone_is_read(corpus, tmp_path):
    dim = replace_part(corpus / "clean-return.xlsx", tmp_path / "dim.xlsx", "xl/worksheets/sheet2.xml",
                       lambda xml: re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:XFD1048576"/>', xml))
    assert b"XFD1048576" in zipfile.ZipFile(dim).read("xl/worksheets/sheet2.xml")
    result, _ = _limited("validate", dim)
    assert result.returncode == 0 and "3 actions" in result.stdout, result.stderr


def test_a_csv_field_longer_than_the_csv_limit_is_read(tmp_path):
    import csv

    long = "x" * (csv.field_size_limit() + 10)
    src = tmp_path / "old.csv"
    src.write_text(f"Ref,Action,Lead,Progress\n1.1,Do it,Ann,{long}\n1.2,Then this,Ann,ok\n", encoding="utf-8")
    result = run_cli("import", src, "--out", tmp_path / "plan.xlsx", "--json")
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    import json

    report = json.loads(result.stdout)
    assert report["actions"] == 2
    long2 = "y" * 40_000
    src.write_text(f"Ref,Action,Lead,Progress\n1.1,Do it,Ann,{long2}\n", encoding="utf-8")
    result = run_cli("import", src, "--out", tmp_path / "plan2.xlsx", "--json")
    assert result.returncode == 0
    assert [f["cell"] for f in json.loads(result.stdout)["findings"] if f["code"] == "cell-too-long"] == ["row 2, column 4"]
    check_output_file(tmp_path / "plan2.xlsx")


def test_fifos_and_devices_are_skipped_and_listed_never_opened(corpus, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "Jane.xlsx").write_bytes((corpus / "clean-return.xlsx").read_bytes())
    os.mkfifo(folder / "pipe.xlsx")
    os.symlink("/dev/zero", folder / "zero.xlsx")
    os.mkfifo(tmp_path / "named.xlsx")
    for args in (("validate", tmp_path / "named.xlsx"), ("validate", "/dev/zero"),
                 ("import", tmp_path / "named.xlsx", "--out", tmp_path / "x.xlsx"),
                 ("import", "/dev/zero", "--out", tmp_path / "x.xlsx")):
        result = run_cli(*args)  # a FIFO opened for reading would wait for ever (the run's timeout)
        assert result.returncode == 2 and "not read" in one_line_error(result.stderr), args
    out = tmp_path / "cons.xlsx"
    result = run_cli("consolidate", folder, tmp_path / "named.xlsx", "/dev/null", corpus / "plan.xlsx", "--out", out,
                     "--as-of", TODAY)
    assert result.returncode == 0, result.stderr
    for name in ("pipe.xlsx", "zero.xlsx", "named.xlsx", "/dev/null"):
        assert any(line.startswith("  skipped") and name in line for line in result.stdout.splitlines()), name
    check_output_file(out)


def test_a_link_to_a_file_that_is_not_there_is_said_never_passed_over(corpus, tmp_path):
    """A return that is a link to nothing (a synced folder's placeholder, a moved file): listed
    with where it points; named for a lead, it is that lead's return that could not be read."""
    from planbook.rollup.pipeline import track_returns

    folder = _folder(tmp_path / "returns")
    (folder / "Jane Smith.xlsx").write_bytes((corpus / "clean-return.xlsx").read_bytes())
    os.symlink(tmp_path / "gone" / "DD Achievement.xlsx", folder / "DD Achievement.xlsx")  # absolute, dangling
    _folder(folder / "older")
    os.symlink("../../nowhere.xlsx", folder / "older" / "backup.xlsx")  # relative, dangling
    out = tmp_path / "cons.xlsx"
    result = run_cli("consolidate", corpus / "plan.xlsx", folder, "--out", out, "--as-of", TODAY)
    assert result.returncode == 0, result.stderr
    skipped = [line for line in result.stdout.splitlines() if line.startswith("  skipped")]
    assert any("DD Achievement.xlsx" in line and "which is not there" in line for line in skipped), skipped
    assert any("backup.xlsx" in line and "nowhere.xlsx" in line for line in skipped), skipped
    tracker = {r.lead: r for r in track_returns(corpus / "plan.xlsx", folder).leads}
    assert "which is not there" in tracker["DD Achievement"].unreadable and tracker["DD Achievement"].error_count
    sources = {Path(r["File"]).name: r["Skipped because"] for r in _rows_dicts(out, "Sources")}
    assert "which is not there" in sources["backup.xlsx"]


def _rows_dicts(path: Path, sheet: str) -> list[dict]:
    rows = _rows(path, sheet)
    return [dict(zip(rows[0], r)) for r in rows[1:]]


# ---------------------------------------------------------------- 7. the OS fails


@contextlib.contextmanager
def _tmpfs(folder: Path, options: str):
    """A small tmpfs at ``folder`` (root only); yields False where mounting is not permitted."""
    folder.mkdir(exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], capture_output=True)
    try:
        yield done.returncode == 0
    finally:
        if done.returncode == 0:
            subprocess.run(["umount", str(folder)], check=True)


def test_disk_full_is_exit_2_with_no_partial_output(corpus, tmp_path):
    disk = tmp_path / "disk"
    with _tmpfs(disk, "size=8k") as mounted:  # the workbook is 16 kB
        if mounted:
            result = run_cli("consolidate", corpus / "plan.xlsx", corpus / "clean-return.xlsx", "--out",
                             disk / "cons.xlsx", "--as-of", TODAY)
            assert "No space left on device" in one_line_error(result.stderr)
        else:  # no mount permission: the same failure of write(2), from a file-size limit
            result = subprocess.run(
                [sys.executable, "-m", "planbook.cli", "consolidate", str(corpus / "plan.xlsx"),
                 str(corpus / "clean-return.xlsx"), "--out", str(disk / "cons.xlsx"), "--as-of", TODAY],
                capture_output=True, text=True,
                preexec_fn=lambda: (signal.signal(signal.SIGXFSZ, signal.SIG_IGN),
                                    resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))))
            assert "File too large" in one_line_error(result.stderr)
        assert result.returncode == 2
        assert not list(disk.iterdir())  # no partial output, no temporary file


def test_read_only_folder_and_directory_output(corpus, tmp_path):
    plan = corpus / "plan.xlsx"
    (tmp_path / "a-folder.xlsx").mkdir()
    cases = [(("consolidate", plan, "--out", tmp_path / "a-folder.xlsx"), "it is a folder"),
             (("report", plan, "--out", tmp_path / "a-folder.xlsx"), "it is a folder")]
    # a missing folder is made, as every command makes its output folders: tests/test_output_folders.py
    ro = tmp_path / "ro"
    with _tmpfs(ro, "ro,size=16k") as mounted:
        if not mounted:
            ro.chmod(0o555)
        cases += [(("consolidate", plan, "--out", ro / "c.xlsx"), "Read-only file system" if mounted else "Permission denied"),
                  (("new", ro / "p.xlsx", "--title", "T", "--period", "Q1", "--lead", "A"), "cannot write"),
                  (("split", plan, "--out", ro / "copies"), "cannot make folder")]
        for args, words in cases:
            result = run_cli(*args)
            assert result.returncode == 2, (args, result.stderr)
            assert words in one_line_error(result.stderr), (args, result.stderr)
            assert "reading" not in result.stderr  # said before the inputs are read
        assert not list(ro.iterdir())
    assert not stray_temporaries(tmp_path)


def test_an_argument_that_is_not_utf8_is_exit_2(tmp_path):
    result = subprocess.run([sys.executable, "-m", "planbook.cli", "validate", b"\xff\xfe-plan.xlsx"],
                            capture_output=True, text=True)
    assert result.returncode == 2 and "not valid UTF-8" in one_line_error(result.stderr)
    result = subprocess.run([sys.executable, "-m", "planbook.cli", "new", str(tmp_path / "p.xlsx"), "--title", b"T\xe9",
                             "--period", "Q1", "--lead", "A"], capture_output=True, text=True)
    assert result.returncode == 2 and not (tmp_path / "p.xlsx").exists()


@pytest.fixture(scope="session")
def big_inputs(tmp_path_factory) -> Path:
    """Enough rows (12 lead returns x 1,500) that writing takes long enough to interrupt."""
    folder = tmp_path_factory.mktemp("big")
    names = [f"Lead {i:02d}" for i in range(12)]
    info = PlanInfo("Big plan", "Q2 2009/10", [Lead(n) for n in names], ["Theme A", "Theme B"])
    text = "Deliver the partnership's training programme to schools and families " * 3
    for i, name in enumerate(names):
        actions = [Action(f"{i + 1}.{j + 1}", text, name, theme="Theme A", objective=text, progress=text,
                          due=parse_due("December 2009"), status="On track") for j in range(1500)]
        write_plan(folder / f"{name}.xlsx", info, actions, only_leads=[name], role="lead-copy", blank_rows=1)
    return folder


def _start(inputs: list[Path], out: Path, **kwargs) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != "PLANBOOK_WORKERS"}  # with its helper processes
    return subprocess.Popen([sys.executable, "-m", "planbook.cli", "consolidate", *map(str, inputs), "--out", str(out),
                             "--as-of", TODAY], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            **kwargs)


def _wait_for_writing(proc: subprocess.Popen, folder: Path) -> list[int]:
    """Wait until the run is writing (its temporary file exists); its helper processes then."""
    deadline = time.monotonic() + 60
    while not [p for p in folder.iterdir() if f".pb{proc.pid}-" in p.name]:
        assert proc.poll() is None and time.monotonic() < deadline, "the run ended before it was interrupted"
        time.sleep(0.002)
    return children_of(proc.pid)


@pytest.mark.parametrize("how", ["ctrl-c", "sigterm", "sigkill"])
def test_an_interrupted_run_leaves_the_old_output_and_no_temporary_files(big_inputs, tmp_path, how):
    out = tmp_path / "cons.xlsx"
    out.write_bytes(b"last quarter's file")
    proc = _start([big_inputs], out, start_new_session=True)
    helpers = _wait_for_writing(proc, tmp_path)
    t0 = time.monotonic()
    if how == "ctrl-c":
        os.killpg(proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C does: the whole process group
    else:
        os.kill(proc.pid, signal.SIGTERM if how == "sigterm" else signal.SIGKILL)
    _, stderr = proc.communicate(timeout=30)
    stopped = time.monotonic() - t0
    assert out.read_bytes() == b"last quarter's file"
    deadline = time.monotonic() + 5
    while any(running(pid) for pid in helpers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(running(pid) for pid in helpers), "a helper process outlived the run"
    if how == "sigkill":  # nothing can clean up after SIGKILL: the next write into the folder removes what it left
        assert proc.returncode == -signal.SIGKILL
        result = run_cli("consolidate", big_inputs / "Lead 00.xlsx", "--out", out, "--as-of", TODAY)
        assert result.returncode == 0, result.stderr
        check_output_file(out)
    else:
        # well under the write itself (several seconds); 3 s leaves room for a loaded 2-core CI machine
        assert stopped < 3.0, f"took {stopped:.2f} s to stop"
        assert proc.returncode == 130 and one_line_error(stderr) == (
            "planbook: interrupted before the output was written: nothing was changed (an earlier output is as it was)")
    assert not stray_temporaries(tmp_path), stray_temporaries(tmp_path)


def test_two_runs_writing_the_same_output_leave_one_whole_file(big_inputs, tmp_path):
    out = tmp_path / "cons.xlsx"
    inputs = sorted(big_inputs.glob("*.xlsx"))[:4]
    runs = [_start(inputs, out) for _ in range(2)]
    for proc in runs:
        _, stderr = proc.communicate(timeout=300)
        assert proc.returncode == 0, stderr
    check_output_file(out)
    assert len(_rows(out, "All actions")) == 1 + 4 * 1500
    assert not stray_temporaries(tmp_path)


def test_only_this_machines_dead_runs_temporaries_are_removed(tmp_path):
    """A shared drive: another machine's run (whose process id means nothing here) is left alone."""
    from planbook.files import atomic

    ours_dead = tmp_path / f".cons.pb{2**22 + 7}-{atomic._MACHINE}.abcd1234.xlsx.tmp"
    theirs = tmp_path / ".cons.pb12345-0badf00d.abcd1234.xlsx.tmp"
    ours_alive = tmp_path / f".cons.pb{os.getpid()}-{atomic._MACHINE}.abcd1234.xlsx.tmp.parts-x"
    ours_dead.write_bytes(b"half")
    theirs.write_bytes(b"half")
    ours_alive.mkdir()
    with atomic.atomic_output(tmp_path / "cons.xlsx") as tmp:
        tmp.write_bytes(b"whole")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["cons.xlsx", theirs.name, ours_alive.name])


def test_an_honest_part_too_big_is_named_by_its_tab(tmp_path):
    """A sheet too big to read that is no bomb (a very large plan's year of History, compressed as
    text compresses) is said by its tab's name, with the setting that raises the limit; a bomb
    is said as a bomb (no advice to raise anything)."""
    from planbook import write_plan

    from .conftest import small_plan

    info, actions = small_plan()
    write_plan(tmp_path / "plan.xlsx", info, actions)
    env = {**os.environ, "PLANBOOK_MAX_PART_MB": "1"}
    big = tmp_path / "big.xlsx"
    with zipfile.ZipFile(tmp_path / "plan.xlsx") as zin, zipfile.ZipFile(big, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            part = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet2.xml":  # Jane's tab, 2 MB of varied text
                filler = "".join(f"<!-- {i * 7919 % 100003:06d} varied words -->" for i in range(60_000)).encode()
                part = part.replace(b"</worksheet>", filler + b"</worksheet>")
            zout.writestr(item, part)
    result = subprocess.run([sys.executable, "-m", "planbook.cli", "validate", str(big)], capture_output=True, text=True,
                            env=env)
    line = one_line_error(result.stderr)
    assert result.returncode == 2 and line.endswith("not read"), line
    assert "tab 'Jane Smith' (part xl/worksheets/sheet2.xml) expands to more than 1 MB" in line
    assert "PLANBOOK_MAX_PART_MB raises the limit" in line and "zip bomb" not in line


def test_split_starts_putting_copies_in_place_only_once_all_are_written(tmp_path, monkeypatch):
    """The moment after which a Ctrl-C no longer stops a run (the outputs are being put in
    place) comes once, after every copy is written into the staging folder — not at the first
    staged copy, which made a Ctrl-C during a long split --force replace every copy all the same."""
    from planbook.files import atomic
    from planbook.workbook.split import split_plan
    from tests.conftest import small_plan

    info, actions = small_plan()
    plan = tmp_path / "plan.xlsx"
    write_plan(plan, info, actions)
    first = {c.path: c.path.read_bytes() for c in split_plan(plan, tmp_path / "copies")}
    info.title = "Renamed plan"
    write_plan(plan, info, actions)
    seen = []

    def hook() -> None:
        stage = next((tmp_path / "copies").glob(".staged*"))
        seen.append((sorted(p.name for p in stage.iterdir()), all(p.read_bytes() == b for p, b in first.items())))

    monkeypatch.setattr(atomic, "BEFORE_COMMIT", [hook])
    split_plan(plan, tmp_path / "copies", force=True)
    assert seen == [(sorted(p.name for p in first), True)]  # once: every copy staged, none yet replaced
    assert all(p.read_bytes() != b for p, b in first.items())


@pytest.mark.parametrize("command", ["request-updates", "chase"])
def test_drafts_are_saved_all_or_none(tmp_path, command):
    """A disk that fills while drafts are saved (a file-size limit here: the same failure of
    write(2)) leaves no draft at all, never some leads' and not others', and says what was
    written: an all-or-nothing run can simply be run again."""
    import random

    from tests.conftest import small_plan

    rng = random.Random(7)
    info, actions = small_plan()
    info.leads = [*info.leads, Lead("Raj Patel", "raj@example.org")]
    words = lambda n: " ".join("".join(rng.choices("abcdefghij", k=7)) for _ in range(n))  # noqa: E731
    actions = [*actions, *(Action(f"5.{i}", words(400), "Raj Patel", progress=words(400)) for i in range(1, 6))]
    plan = tmp_path / "plan.xlsx"
    write_plan(plan, info, actions)
    (tmp_path / "returns").mkdir()

    def args(copies: Path) -> list:
        return (["request-updates", plan, "--out", copies, "--return-by", "2010-01-15"] if command == "request-updates"
                else ["chase", plan, tmp_path / "returns", "--return-by", "2009-10-02"])

    sizes = run_cli(*args(tmp_path / "measure"), "--save-dir", tmp_path / "measure-drafts")
    assert sizes.returncode in (0, 1), sizes.stderr
    drafts_made = sorted(p.stat().st_size for p in (tmp_path / "measure-drafts").glob("*.eml"))
    copies_made = [p.stat().st_size for p in (tmp_path / "measure").glob("*.xlsx")] or [0]
    limit = (max(max(copies_made), drafts_made[0]) + drafts_made[-1]) // 2  # the smaller drafts fit, the biggest not
    assert max(copies_made) < limit < drafts_made[-1]
    drafts = tmp_path / "drafts"
    result = subprocess.run([sys.executable, "-m", "planbook.cli", *map(str, args(tmp_path / "copies")),
                             "--save-dir", str(drafts)], capture_output=True, text=True,
                            preexec_fn=lambda: (signal.signal(signal.SIGXFSZ, signal.SIG_IGN),
                                                resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))))
    assert result.returncode == 2 and "File too large" in result.stderr, result.stderr
    if command == "request-updates":
        assert "no draft was saved, but the leads' copies were written" in result.stderr
    assert not drafts.exists() or not list(drafts.iterdir())  # no draft, and no temporary file
    again = run_cli(*args(tmp_path / "copies"), "--save-dir", drafts, *(["--force"] if command == "request-updates"
                                                                          else []))
    assert again.returncode in (0, 1), again.stderr
    assert len(list(drafts.glob("*.eml"))) == len(drafts_made) == 3


def test_a_finding_about_a_huge_cell_is_one_short_line_on_the_console(tmp_path):
    """A status cell of 40,000 characters: validate's line about it stays one short line (the
    whole text is in --json and on Data issues), not a screenful of what the lead pasted."""
    import openpyxl

    from tests.conftest import small_plan

    info, actions = small_plan()
    plan = tmp_path / "plan.xlsx"
    write_plan(plan, info, actions)
    wb = openpyxl.load_workbook(plan)
    ws = wb["Jane Smith"]
    header = [c.value for c in ws[1]]
    ws.cell(2, header.index("Status") + 1).value = "nearly " * 6000
    wb.save(plan)
    result = run_cli("validate", plan)
    lines = [line for line in result.stdout.splitlines() if "unknown-status" in line]
    assert lines and all(len(line) < 400 for line in lines)
    whole = json.loads(run_cli("validate", plan, "--json").stdout)
    assert any(len(f["message"]) > 1000 or len(f.get("value") or "") > 1000 for f in whole["findings"])


def test_a_draft_that_cannot_be_replaced_is_said_before_any_is_written(tmp_path):
    """A folder where a draft would go (on Windows: a draft open in Outlook) is one line, exit 2,
    before any draft is saved — never an internal error with some leads' drafts saved."""
    from tests.conftest import small_plan

    info, actions = small_plan()
    plan = tmp_path / "plan.xlsx"
    write_plan(plan, info, actions)
    drafts = tmp_path / "drafts"
    (drafts / "DD Achievement.eml").mkdir(parents=True)
    result = run_cli("request-updates", plan, "--out", tmp_path / "copies", "--return-by", "2010-01-15",
                     "--save-dir", drafts)
    assert result.returncode == 2 and "internal error" not in result.stderr and "is a folder" in result.stderr
    assert [p.name for p in drafts.iterdir()] == ["DD Achievement.eml"]
