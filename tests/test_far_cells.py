"""Issue 10, item 4: a cell at the sheet's far corner never makes a reader allocate the grid.

The family (tests/farcells.py) writes one far cell every way calamine accepts — usual syntax,
lower case, single quotes, a repeated ``r``, a namespace prefix, cells and rows without ``r``, a
sheet part under another name — each leaving the stated dimension small, which is what the
check before this one trusted.  At a modest position each variant is read by calamine and its
real grid compared with planbook's model of it; at XFD1048576 each is refused with one line,
alone and among a folder of returns big enough for the forked reader (where the check is left
to the worker's isolation: see planbook.rollup.consolidate).
"""
from __future__ import annotations

import os
import signal
import zipfile
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from planbook.fast import parallel
from planbook.core.errors import UnusableFileError
from planbook.files.guard import MAX_GRID_CELLS
from planbook.files.opening import check_workbook_file
from planbook.files.sheetgrid import exact_extent, extent

from .conftest import run_cli, small_plan
from .farcells import HARMLESS, HIDDEN, MALFORMED, MOVED_SHEETS, VARIANTS, edit_zip, rewrite, two_directories
from .hostile import LEAD, fingerprints, one_line_error, patched_return

SHEET = "xl/worksheets/sheet2.xml"
FAR = (1_048_576, 16_384)
MODEST = (400, 40)
PIECES = [1, 7, 300, 4096, None]  # None: the whole part at once


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("far")
    from planbook import write_plan

    info, actions = small_plan()
    write_plan(folder / "plan.xlsx", info, actions)
    return patched_return(folder / "clean-return.xlsx", {})


def _pieces(xml: bytes, size: int | None) -> list[bytes]:
    return [xml] if size is None else [xml[i:i + size] for i in range(0, len(xml), size)]


def _calamine_grid(path: Path) -> tuple[int, int]:
    wb = CalamineWorkbook.from_path(str(path))
    rows = wb.get_sheet_by_name(LEAD).to_python(skip_empty_area=False)
    return len(rows), max(len(r) for r in rows)


WELL_FORMED = {**VARIANTS, **HIDDEN}


@pytest.mark.parametrize("variant", sorted(WELL_FORMED))
def test_the_model_of_cell_positions_matches_calamine(clean, tmp_path, variant):
    """At a modest position calamine reads each variant: its grid is what planbook works out,
    however the sheet XML is cut into pieces, and the quick check lets it through."""
    xml = WELL_FORMED[variant](zipfile.ZipFile(clean).read(SHEET), *MODEST)
    path = rewrite(clean, tmp_path / "modest.xlsx", lambda _: xml)
    assert _calamine_grid(path) == MODEST
    for size in PIECES:
        assert exact_extent(_pieces(xml, size)) == MODEST, size
        rows, cols = extent(lambda: _pieces(xml, size), MAX_GRID_CELLS)  # noqa: B023 - used at once
        assert rows >= MODEST[0] and cols >= MODEST[1] and rows * cols <= MAX_GRID_CELLS, size
    check_workbook_file(path)


@pytest.mark.parametrize("variant", sorted(WELL_FORMED))
def test_a_far_cell_is_refused_however_it_is_written(clean, tmp_path, variant):
    xml = WELL_FORMED[variant](zipfile.ZipFile(clean).read(SHEET), *FAR)
    for size in PIECES:
        rows, cols = extent(lambda: _pieces(xml, size), MAX_GRID_CELLS)  # noqa: B023 - used at once
        assert (rows, cols) == FAR, size
    path = rewrite(clean, tmp_path / "far.xlsx", lambda _: xml)
    with pytest.raises(UnusableFileError) as refused:
        check_workbook_file(path)
    assert "row 1,048,576, column 16,384" in refused.value.reason and refused.value.reason.endswith("not read")



@pytest.mark.parametrize("variant", sorted(MALFORMED))
def test_a_cell_a_lenient_reader_places_but_xml_forbids_is_refused_anywhere(clean, tmp_path, variant):
    """calamine reads a repeated r, or attributes with no space between them, and places the
    cell by one of its readings (at the corner, it aborts).  planbook cannot be sure which, so
    such a sheet is refused wherever the cell is — one line that says how to repair it."""
    sheet = zipfile.ZipFile(clean).read(SHEET)
    modest = rewrite(clean, tmp_path / "modest.xlsx", lambda _: MALFORMED[variant](sheet, *MODEST))
    assert _calamine_grid(modest) in (MODEST, (MODEST[0], 13), (4, MODEST[1]))  # calamine reads it, one way
    for position in (MODEST, FAR):
        path = rewrite(clean, tmp_path / "odd.xlsx", lambda _: MALFORMED[variant](sheet, *position))  # noqa: B023
        with pytest.raises(UnusableFileError) as refused:
            check_workbook_file(path)
        assert f"tab {LEAD!r} cannot be read safely (not well-formed XML" in refused.value.reason
        assert refused.value.reason.endswith("not read")

def test_a_sheet_part_under_another_name_is_checked_too(clean, tmp_path):
    """calamine finds a sheet through the workbook's relationships, whatever its part is called."""
    usual = VARIANTS["usual syntax"]
    modest = rewrite(clean, tmp_path / "moved.xlsx", lambda x: usual(x, *MODEST), move_to="xl/data/plan.xml")
    assert SHEET not in zipfile.ZipFile(modest).namelist()
    assert _calamine_grid(modest) == MODEST  # calamine reads the moved part
    far = rewrite(clean, tmp_path / "moved-far.xlsx", lambda x: usual(x, *FAR), move_to="xl/data/plan.xml")
    with pytest.raises(UnusableFileError, match="has a cell at row 1,048,576"):
        check_workbook_file(far)



@pytest.mark.parametrize("case", sorted(MOVED_SHEETS))
def test_a_sheet_found_the_way_calamine_finds_it_is_checked(clean, tmp_path, case):
    """calamine matches member names in any case and with \\ for /, takes a sheet's last id,
    and reads attributes a strict parser would not: each way it reaches the lead's sheet, the
    check reaches it too."""
    with zipfile.ZipFile(clean) as zf:
        book, rels, sheet = zf.read("xl/workbook.xml"), zf.read("xl/_rels/workbook.xml.rels"), zf.read(SHEET)
    usual = VARIANTS["usual syntax"]
    modest = edit_zip(clean, tmp_path / "modest.xlsx", *MOVED_SHEETS[case](book, rels, usual(sheet, *MODEST)))
    assert _calamine_grid(modest) == MODEST  # calamine reads the moved sheet as the lead's tab
    far = edit_zip(clean, tmp_path / "far.xlsx", *MOVED_SHEETS[case](book, rels, usual(sheet, *FAR)))
    with pytest.raises(UnusableFileError, match="has a cell at row 1,048,576"):
        check_workbook_file(far)


def test_a_zip_whose_readers_would_disagree_is_refused(clean, tmp_path):
    """A file holding two zip directories, built so Python's zipfile (the check) sees a clean
    workbook and calamine's zip reader (the read) the one with a far cell: refused as corrupt."""
    evil = rewrite(clean, tmp_path / "evil.xlsx", lambda x: VARIANTS["usual syntax"](x, *FAR))
    both = two_directories(evil, clean, tmp_path / "both.xlsx")
    assert b"XFD1048576" not in zipfile.ZipFile(both).read(SHEET)  # what Python's zipfile sees
    with pytest.raises(UnusableFileError, match="zip end record does not fit"):
        check_workbook_file(both)
    check_workbook_file(clean)  # an ordinary workbook's end record fits

def test_row_numbers_past_excel_and_past_32_bits_are_refused(clean, tmp_path):
    for row, col in [(100_000, 475_254), (4_294_967_295, 2)]:  # column ZZZZ; a row calamine wraps
        xml = VARIANTS["usual syntax"](zipfile.ZipFile(clean).read(SHEET), row, col)
        assert exact_extent([xml])[0] >= row
        with pytest.raises(UnusableFileError, match="has a cell at row"):
            check_workbook_file(rewrite(clean, tmp_path / "past.xlsx", lambda _: xml))  # noqa: B023


@pytest.mark.parametrize("variant", sorted(HARMLESS))
def test_a_far_cell_without_a_value_is_harmless_and_read(clean, tmp_path, variant):
    """calamine places only cells with a value: a formatted blank at the corner (which Excel
    writes) costs nothing, so the return is read as usual."""
    path = rewrite(clean, tmp_path / "blank.xlsx", HARMLESS[variant])
    assert exact_extent([zipfile.ZipFile(path).read(SHEET)])[0] < 100
    result = run_cli("validate", path)
    assert result.returncode == 0 and "3 actions" in result.stdout, result.stderr


def test_far_cells_in_a_folder_of_returns_are_listed_and_the_rest_consolidated(clean, tmp_path):
    """Enough files for the forked reader: the worker reads without the check (a crash there
    costs only the worker), this process reads what it left undone, checking each file."""
    folder = tmp_path / "returns"
    folder.mkdir()
    sheet = zipfile.ZipFile(clean).read(SHEET)
    family = {**WELL_FORMED, **MALFORMED}
    far = [rewrite(clean, folder / f"{LEAD} far {i:02d}.xlsx", lambda _, v=v: family[v](sheet, *FAR))
           for i, v in enumerate(sorted(family))]
    for i in range(9):  # the clean return, copied: more than planbook.rollup.consolidate.PARALLEL_FROM files
        (folder / f"{LEAD} copy {i}.xlsx").write_bytes(clean.read_bytes())
    before = fingerprints(*folder.iterdir())
    out = tmp_path / "cons.xlsx"
    result = run_cli("consolidate", folder, clean.parent / "plan.xlsx", "--out", out, "--as-of", "2009-10-09",
                     "--json")
    assert result.returncode in (0, 1), result.stderr
    assert "Traceback" not in result.stderr and "memory allocation" not in result.stderr, result.stderr
    assert "backtrace" not in result.stderr.lower()
    import json

    skipped = {Path(s["file"]).name: s["skipped"] for s in json.loads(result.stdout)["sources"] if s.get("skipped")}
    for path in far:
        why = skipped.get(path.name, "")
        assert "has a cell at row 1,048,576, column 16,384" in why or "cannot be read safely" in why, (path.name, why)
    rows = CalamineWorkbook.from_path(str(out)).get_sheet_by_name("All actions").to_python()
    assert sum(1 for r in rows[1:] if r[0]) >= 3
    assert fingerprints(*folder.iterdir()) == before


def test_one_far_cell_named_alone_is_one_line(clean, tmp_path):
    path = rewrite(clean, tmp_path / "far.xlsx", lambda x: HIDDEN["inside comments"](x, *FAR))
    result = run_cli("validate", path)
    assert result.returncode == 2
    line = one_line_error(result.stderr)
    assert "far.xlsx" in line and "1,048,576" in line and line.endswith("not read")


def _square(n: int) -> int:
    return n * n


def _abort_on_three(n: int) -> int:
    if n == 3:
        os.kill(os.getpid(), signal.SIGABRT)  # as calamine does when an allocation fails
    return n * n


def test_a_worker_that_aborts_costs_nothing_but_time():
    items = list(range(40))
    assert list(parallel.map_in_order(_square, items, in_worker=_abort_on_three)) == [n * n for n in items]


def test_a_lead_tab_the_reader_sees_as_empty_is_a_warning_not_silence(clean, tmp_path):
    """A sheet part in UTF-16 (which no Office program writes) reads as empty in calamine: the
    lead tab the metadata names is then reported, not passed over as a tab with no actions."""
    import json

    def utf16(xml: bytes) -> bytes:
        return xml.decode("utf-8").replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")

    path = rewrite(clean, tmp_path / "utf16.xlsx", utf16)
    result = run_cli("validate", path, "--json")
    assert result.returncode in (0, 1) and "Traceback" not in result.stderr, result.stderr
    findings = json.loads(result.stdout)["findings"]
    assert [(f["code"], f["sheet"]) for f in findings if f["code"] == "sheet-skipped"] == [("sheet-skipped", LEAD)]


def test_the_worker_and_the_main_process_refuse_a_grid_over_the_limit_alike(clean, tmp_path, monkeypatch):
    """The forked worker reads without the check; what calamine made is held to the same limit
    after reading, so a file is refused in the same words whichever process takes it.  (The
    limit is lowered here so that a modest grid is over it.)"""
    from planbook.files import guard
    from planbook.files.opening import load_workbook

    path = rewrite(clean, tmp_path / "wide.xlsx", lambda x: VARIANTS["usual syntax"](x, *MODEST))
    monkeypatch.setattr(guard, "MAX_GRID_CELLS", MODEST[0] * MODEST[1] - 1)
    reasons = []
    for checked_first in (True, False):
        with pytest.raises(UnusableFileError) as refused:
            load_workbook(path, grid=checked_first)
        reasons.append(refused.value.reason)
    assert reasons[0] == reasons[1] and reasons[0].startswith(f"tab {LEAD!r} has a cell at row 400, column 40")
