"""Returns saved as .ods, .xls or .xlsb (issue 21, item 1): read for their values, noted, counted
as the lead's return everywhere; a format that cannot be read says what the lead should do;
hostile files in these formats are refused before the reader parses them."""
from __future__ import annotations

import datetime as dt
import re
import struct
import time
import zipfile
from pathlib import Path

import pytest

from .conftest import run_cli
from .returns_family import (
    NOT_RETURNED,
    check_all,
    converted,
    lead_types,
    make_quarter,
    run_quarter,
)
from .xlsb_writer import as_xlsb, write_xlsb

RETURNED, WITH_ERRORS = "returned", "returned with errors"


def test_returns_made_by_libreoffice_and_excel_binary_are_each_leads_return(tmp_path, soffice):
    """Jane saves as .ods, Raj as .xls (LibreOffice's own filters), Omar's .xlsx went through
    LibreOffice, Ann's is an .xlsb: every row they typed is rolled up, each file is noted, and
    every command calls each of them returned."""
    q = make_quarter(tmp_path)
    work = tmp_path / "typed"
    plans = {"Jane Smith": ("ods", {"1.1": {"Status": "Complete", "Progress update": "Done: report to board",
                                            "Last updated": dt.datetime(2009, 9, 30)},
                                    "1.2": {"Status": "Slippage", "Progress update": "Delayed: staff\nleft"}}),
             "Raj Patel": ("xls", {"2.1": {"Status": "Off track", "Progress update": "Funding withdrawn",
                                           "Last updated": dt.datetime(2009, 9, 28), "Due": "March 2010"}}),
             "Omar Khan": ("xlsx", {"3.3": {"Status": "Complete", "Progress update": "Signed off",
                                            "Last updated": dt.datetime(2009, 9, 15)}}),
             "Ann Lee": ("xlsb", {"4.2": {"Status": "Slippage", "Progress update": "Waiting on partners",
                                          "Last updated": dt.datetime(2009, 9, 20)}})}
    for lead, (fmt, edits) in plans.items():
        dest = q.returns / f"{lead}.{fmt}"
        typed = work / f"{lead}.xlsx"
        lead_types(q, q.copy(lead), typed, edits=edits, record_as=dest.name)
        if fmt == "xlsb":
            as_xlsb(typed, dest)
        else:
            converted(soffice, typed, fmt, dest)
    run_quarter(q)
    check_all(q, {"Jane Smith": RETURNED, "Raj Patel": RETURNED, "Omar Khan": RETURNED, "Ann Lee": RETURNED})
    notes = {i["File"]: i["What is wrong"] for i in q.issues_of("values-only")}
    assert notes == {f"{lead}.{fmt}": f"read from an .{fmt} file: formatting and drop-downs are not checked"
                     for lead, (fmt, _) in plans.items() if fmt != "xlsx"}
    assert {s["File"] for s in q.sources if s["Kind"] == "lead-copy" and not s["Skipped because"]} == \
        {f"{lead}.{fmt}" for lead, (fmt, _) in plans.items()}
    assert len(q.actions) == 12  # no row twice, none lost: the master's rows gave way to each return
    assert not q.chase["messages"]  # nobody to remind
    tracker = {r["lead"]: r for r in q.tracker["leads"]}
    assert tracker["Jane Smith"]["updated"] == 2 and tracker["Raj Patel"]["updated"] == 1


def test_a_folder_of_xls_and_ods_returns_is_read_by_suffix(tmp_path, soffice):
    """A folder holding .xls and .ods is read for them (not skipped as 'not a workbook')."""
    q = make_quarter(tmp_path)
    lead_types(q, q.copy("Jane Smith"), tmp_path / "t" / "Jane Smith.xlsx", edits={"1.3": {"Status": "Complete"}},
               record_as="Jane Smith.xls")
    converted(soffice, tmp_path / "t" / "Jane Smith.xlsx", "xls", q.returns / "Jane Smith.xls")
    out = run_cli("returns", q.plan, q.returns, "--json")
    assert out.returncode == 0 and "Traceback" not in out.stderr
    import json

    data = json.loads(out.stdout)
    jane = next(r for r in data["leads"] if r["lead"] == "Jane Smith")
    assert (jane["state"], Path(jane["file"]).name, jane["updated"]) == (RETURNED, "Jane Smith.xls", 1)
    assert not data["skipped"]


def _html_as_xls(path: Path) -> Path:
    path.write_text("<html><body><table><tr><td>Ref</td><td>Action</td></tr></table></body></html>")
    return path


def _xml_2003_as_xls(path: Path) -> Path:
    path.write_text('<?xml version="1.0"?>\n<?mso-application progid="Excel.Sheet"?>\n<Workbook xmlns='
                    '"urn:schemas-microsoft-com:office:spreadsheet"><Worksheet ss:Name="Jane Smith"/></Workbook>')
    return path


def _odt_as_ods(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        zf.writestr("content.xml", "<office:document-content/>")
    return path


@pytest.mark.parametrize("make, name, says", [
    (_html_as_xls, "Raj Patel.xls", "a web page (HTML) saved with a spreadsheet's name"),
    (_xml_2003_as_xls, "Raj Patel.xls", "an Excel 2003 XML spreadsheet"),
    (_odt_as_ods, "Raj Patel.ods", "an OpenDocument file that is not a spreadsheet"),
])
def test_a_return_in_a_format_that_cannot_be_read_says_what_the_lead_should_do(tmp_path, make, name, says):
    q = make_quarter(tmp_path)
    make(q.returns / name)
    run_quarter(q)
    check_all(q, {"Jane Smith": NOT_RETURNED, "Raj Patel": WITH_ERRORS, "Omar Khan": NOT_RETURNED,
                  "Ann Lee": NOT_RETURNED})
    [raj] = [m for m in q.chase["messages"] if m["leads"] == ["Raj Patel"]]
    assert says in raj["problems"][0] and ("Save As" in raj["problems"][0] or "save the plan" in raj["problems"][0])
    assert raj["attachments"] == ["Raj Patel.xlsx"]  # their own copy again, to fill in
    [issue] = q.issues_of("return-unreadable")
    assert says in issue["What is wrong"]


# ---------------------------------------------------------------- hostile files in these formats


def _rezip(src: Path, dest: Path, change) -> Path:
    """``src`` (a zip) written again as ``dest`` with each member's bytes passed through ``change``."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = change(info.filename, zin.read(info.filename))
            zout.writestr(info.filename, data, zipfile.ZIP_STORED if info.filename == "mimetype" else zipfile.ZIP_DEFLATED)
    return dest


def _ods_far(rows: int, cols: int):
    def change(name: str, data: bytes) -> bytes:
        if name != "content.xml":
            return data
        far = (f'<table:table-row table:number-rows-repeated="{rows}"><table:table-cell office:value-type="string" '
               f'table:number-columns-repeated="{cols}"><text:p>x</text:p></table:table-cell></table:table-row>')
        return data.replace(b"</table:table>", far.encode() + b"</table:table>", 1)
    return change


def _patch_records(data: bytes, typ: int, patch) -> bytes:
    """Every BIFF record of this type (found by its header in the file's bytes) patched."""
    out = bytearray(data)
    for m in re.finditer(re.escape(struct.pack("<H", typ)), data):
        at = m.start()
        length = struct.unpack_from("<H", data, at + 2)[0]
        patch(out, at + 4, length)
    return bytes(out)


def _xls_far_dimensions(data: bytes) -> bytes:
    def patch(out, body, length):
        if length == 14:
            struct.pack_into("<II", out, body, 0, 0xFFFFFF00)
    return _patch_records(data, 0x0200, patch)


def _xls_far_cell(data: bytes) -> bytes:
    def patch(out, body, length):
        if length == 10:  # LabelSst: row, col, xf, isst
            struct.pack_into("<HH", out, body, 0xFFF0, 0xFFF0)
    return _patch_records(data, 0x00FD, patch)


def _xls_looping_directory(data: bytes) -> bytes:
    out = bytearray(data)
    dir_start = struct.unpack_from("<I", data, 48)[0]
    fat_sector = struct.unpack_from("<I", data, 76)[0]
    struct.pack_into("<I", out, 512 + fat_sector * 512 + dir_start * 4, dir_start)  # the chain points at itself
    return bytes(out)


@pytest.fixture(scope="module")
def lo_made(tmp_path_factory, soffice):
    """A lead's copy saved by LibreOffice as .ods and .xls, made once."""
    from .conftest import small_plan
    from planbook import write_plan
    from planbook.workbook.split import split_plan

    tmp = tmp_path_factory.mktemp("lo")
    info, actions = small_plan()
    write_plan(tmp / "plan.xlsx", info, actions)
    split_plan(tmp / "plan.xlsx", tmp / "copies")
    src = tmp / "copies" / "Jane Smith.xlsx"
    return {fmt: converted(soffice, src, fmt, tmp / f"Jane Smith.{fmt}") for fmt in ("ods", "xls")}


HOSTILE = {
    "ods-far-repeat": lambda lo, p: _rezip(lo["ods"], p.with_suffix(".ods"), _ods_far(1_000_000, 16_000)),
    "ods-60m-cells": lambda lo, p: _rezip(lo["ods"], p.with_suffix(".ods"), _ods_far(10_000, 6_000)),
    "xlsb-far-cell": lambda lo, p: write_xlsb(p.with_suffix(".xlsb"), {"Jane Smith": [["Ref", "Action"]]},
                                              far={"Jane Smith": [(1_000_000, 2_000_000_000)]}),
    # a zip calamine cannot read as an .xlsx (its workbook.xml is no workbook) reads as the
    # .xlsb it also holds: its binary sheets are looked at once calamine has said so
    **{f"xlsx-read-as-xlsb-{name}": (lambda xml: lambda lo, p: _with_member(
        write_xlsb(p.with_suffix(".xlsb"), {"Jane Smith": [["Ref", "Action"]]},
                   far={"Jane Smith": [(1_000_000, 2_000_000_000)]}), p.with_suffix(".xlsx"), "xl/workbook.xml", xml))(xml)
       for name, xml in (("garbage", b"<notxml"), ("no-sheets", b'<?xml version="1.0"?><workbook xmlns='
                                                                b'"http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>'))},
    "xls-far-dimensions": lambda lo, p: _write(p.with_suffix(".xls"), _xls_far_dimensions(lo["xls"].read_bytes())),
    "xls-far-cell": lambda lo, p: _write(p.with_suffix(".xls"), _xls_far_cell(lo["xls"].read_bytes())),
    "xls-looping-chain": lambda lo, p: _write(p.with_suffix(".xls"), _xls_looping_directory(lo["xls"].read_bytes())),
}


def _with_member(src: Path, dest: Path, name: str, data: bytes) -> Path:
    """``src`` copied to ``dest`` with one more member."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w") as zout:
        for info in zin.infolist():
            zout.writestr(info, zin.read(info.filename))
        zout.writestr(name, data)
    src.unlink()
    return dest


def test_a_binary_sheet_part_calamine_never_reads_does_not_refuse_an_xlsx(tmp_path):
    """An .xlsx that calamine reads as one also holding a binary sheet part with a far cell:
    calamine never parses that part, so the copy is read (it was refused before calamine had
    said how it reads the file); the same part in a zip read as an .xlsb is refused (above)."""
    from .conftest import small_plan
    from planbook import read_plan, write_plan

    info, actions = small_plan()
    write_plan(tmp_path / "plan.xlsx", info, actions)
    far = write_xlsb(tmp_path / "far.xlsb", {"Jane Smith": [["Ref", "Action"]]},
                     far={"Jane Smith": [(1_000_000, 2_000_000_000)]})
    with zipfile.ZipFile(far) as zf:
        part = zf.read("xl/worksheets/sheet1.bin")
    path = _with_member(tmp_path / "plan.xlsx", tmp_path / "with part.xlsx", "xl/worksheets/sheet99.bin", part)
    plan = read_plan(path)
    assert [a.ref for a in plan.actions] == [a.ref for a in actions]


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("kind", list(HOSTILE))
def test_hostile_ods_xlsb_and_xls_are_refused_before_they_are_parsed(tmp_path, lo_made, kind):
    """Each would make calamine allocate billions of cells (the process aborts) or loop: refused
    in one line, quickly, by the same checks .xlsx gets; the file is untouched."""
    path = HOSTILE[kind](lo_made, tmp_path / "Jane Smith")
    before = path.read_bytes()
    started = time.monotonic()
    result = run_cli("validate", path)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert re.search(r"not read|corrupt|cannot be read safely", result.stderr), result.stderr
    assert time.monotonic() - started < 60
    assert path.read_bytes() == before


def test_the_checks_read_what_calamine_reads(lo_made):
    """The compound-file reader finds the very workbook stream calamine parses, and the grid
    checks give each format's real extent for an ordinary file."""
    from python_calamine import CalamineWorkbook

    from planbook.files.guard import chunks
    from planbook.files.othergrids import ods_extent, xls_extent, xls_sheets

    data = lo_made["xls"].read_bytes()
    name, stream, offsets = xls_sheets(data)
    assert name == "Workbook" and len(offsets) == len(CalamineWorkbook.from_path(str(lo_made["xls"])).sheet_names)
    wb = CalamineWorkbook.from_path(str(lo_made["xls"]))
    for at, sheet in zip(offsets, wb.sheet_names):
        rows, cols, _ = xls_extent(stream, at)
        end = wb.get_sheet_by_name(sheet).end
        assert (rows, cols) >= ((end[0] + 1, end[1] + 1) if end else (0, 0))
    with zipfile.ZipFile(lo_made["ods"]) as zf:
        info = zf.getinfo("content.xml")
        rows, cols = ods_extent(chunks(lo_made["ods"].read_bytes(), zf, info))
    ends = [s.end for s in (CalamineWorkbook.from_path(str(lo_made["ods"])).get_sheet_by_name(n)
                            for n in CalamineWorkbook.from_path(str(lo_made["ods"])).sheet_names) if s.end]
    assert rows * cols >= max((e[0] + 1) * (e[1] + 1) for e in ends)
