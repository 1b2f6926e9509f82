"""Error values and never-calculated formulas in a lead's tab are findings, never "Not started".

python-calamine reads both as a blank cell; planbook looks at the sheet XML when a cell is
blank.  Fixtures are written in code: openpyxl saves formulas without cached values and error
cells; XlsxWriter saves formulas whose cached value is an error, and a cached text.
"""
from __future__ import annotations

import json
import zipfile

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from planbook import read_plan, write_plan
from planbook.files.cellfaults import find_faults

from .conftest import run_cli, small_plan

ERRORS = ["#REF!", "#N/A", "#DIV/0!", "#VALUE!", "#NAME?"]


def _columns(ws) -> dict[str, str]:
    return {c.value: c.column_letter for c in ws[1] if c.value}


def _lead_tab(folder, tab: str = "Jane Smith"):
    """The small plan written to ``folder``, opened in openpyxl: (workbook, the lead's tab, its columns)."""
    info, actions = small_plan()
    clean = folder / "clean.xlsx"
    write_plan(clean, info, actions)
    wb = openpyxl.load_workbook(clean)
    ws = wb[tab]
    return wb, ws, _columns(ws)


@pytest.fixture(scope="module")
def faulty(tmp_path_factory):
    """A plan whose lead tab has error values and uncalculated formulas in every key column, and
    in text columns and the lead's own column of rows whose key cells are filled.

    Returns (path, {cell: what the lead sees}, {cell: finding code}) for the tab 'Jane Smith'.
    """
    folder = tmp_path_factory.mktemp("faulty")
    wb, ws, col = _lead_tab(folder)
    expected, codes = {}, {}

    def error(cell: str, value: str) -> None:
        ws[cell] = value
        ws[cell].data_type = "e"
        expected[cell], codes[cell] = value, "error-value"

    def formula(cell: str, text: str) -> None:
        ws[cell] = text  # openpyxl stores the formula with no cached value
        expected[cell], codes[cell] = text, "formula-not-calculated"

    error(f"{col['Status']}2", "#REF!")
    error(f"{col['Due']}2", "#DIV/0!")
    formula(f"{col['Last updated']}2", "=TODAY()-A99")
    formula(f"{col['Status']}3", '=IF(A3="","","On track")')
    error(f"{col['Last updated']}3", "#N/A")
    # a third row: Ref itself broken, Due a formula, Status #VALUE!
    ws.append([None] * len(col))
    r = ws.max_row
    error(f"{col['Ref']}{r}", "#REF!")
    formula(f"{col['Due']}{r}", "=EDATE(B2,3)")
    error(f"{col['Status']}{r}", "#VALUE!")
    ws[f"{col['Action']}{r}"] = "Row whose Ref is broken"
    ws[f"{col['Lead']}{r}"] = "Jane Smith"
    # and beyond the key columns, in rows whose key cells are filled: texts and the lead's own column
    error(f"{col['Progress update']}3", "#NAME?")
    formula(f"{col['Success measure']}2", "=VLOOKUP(A2,Targets!A:B,2,FALSE)")
    error(f"{col['Budget code']}2", "#N/A")
    error(f"{col['Partners']}{r}", "#DIV/0!")
    path = folder / "Jane Smith.xlsx"
    wb.save(path)
    return path, expected, codes


def test_calamine_reads_errors_and_uncalculated_formulas_as_blank(faulty):
    """The premise: the values-only reader cannot tell these cells from empty ones."""
    path, expected, _ = faulty
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Jane Smith").to_python(skip_empty_area=False)
    for cell in expected:
        col, row = openpyxl.utils.cell.coordinate_from_string(cell)
        assert rows[row - 1][openpyxl.utils.column_index_from_string(col) - 1] == "", cell


def test_every_faulty_cell_is_a_finding_with_its_cell(faulty):
    path, expected, codes = faulty
    before = path.read_bytes()
    plan = read_plan(path)
    found = {f.cell: f for f in plan.report if f.sheet == "Jane Smith" and f.code in ("error-value",
                                                                                      "formula-not-calculated")}
    assert {c: f.code for c, f in found.items()} == codes
    assert {c: f.value for c, f in found.items()} == expected
    assert all(f.severity == "error" and f.file == path.name for f in found.values())
    # the generic complaints about the same cells are replaced, not repeated
    others = {(f.cell, f.code) for f in plan.report if f.cell in codes and f.code not in ("error-value",
                                                                                          "formula-not-calculated")}
    assert others == set()
    assert path.read_bytes() == before  # input untouched


def test_faulty_statuses_are_never_not_started(faulty):
    path, _, _ = faulty
    plan = read_plan(path)
    jane = [a for a in plan.actions if a.origin.sheet == "Jane Smith"]
    assert [(a.ref, a.status, a.status_text) for a in jane] == [
        ("1.1", None, "#REF!"), ("1.2", None, '=IF(A3="","","On track")'), ("#REF!", None, "#VALUE!")]
    assert [(a.progress, a.success_measure, a.partners, a.extras.get("Budget code")) for a in jane] == [
        ("Done in Nov.", "=VLOOKUP(A2,Targets!A:B,2,FALSE)", "", "#N/A"), ("#NAME?", "", "", None),
        ("", "", "#DIV/0!", None)]  # kept as the lead sees them
    assert (jane[0].due.text, jane[2].due.text) == ("#DIV/0!", "=EDATE(B2,3)")
    assert jane[0].extras["Last updated (as typed)"] == "=TODAY()-A99"
    assert jane[1].extras["Last updated (as typed)"] == "#N/A"


def test_consolidated_all_actions_shows_what_the_lead_sees(faulty, tmp_path):
    path, expected, codes = faulty
    out = tmp_path / "consolidated.xlsx"
    result = run_cli("consolidate", path, "--out", out, "--as-of", "2009-10-01")
    assert result.returncode == 0, result.stderr  # written; the errors are on Data issues
    assert f"{len(codes)} data error(s)" in result.stdout and "Traceback" not in result.stderr
    wb = CalamineWorkbook.from_path(str(out))
    rows = wb.get_sheet_by_name("All actions").to_python()
    header = rows[0]
    jane = [dict(zip(header, r)) for r in rows[1:] if r[header.index("Source sheet")] == "Jane Smith"]
    assert [r["Status"] for r in jane] == ["#REF!", '=IF(A3="","","On track")', "#VALUE!"]
    assert [r["Due"] for r in jane][0::2] == ["#DIV/0!", "=EDATE(B2,3)"]
    assert [r["Ref"] for r in jane][2] == "#REF!"
    assert "Not started" not in [r["Status"] for r in jane]
    # written as text, never as a live formula or an error cell
    xl = openpyxl.load_workbook(out)["All actions"]
    status_col = [c.value for c in xl[1]].index("Status") + 1
    cells = [xl.cell(row=r, column=status_col) for r in range(2, xl.max_row + 1)]
    assert {c.value: c.data_type for c in cells if c.value in ("#REF!", "#VALUE!", '=IF(A3="","","On track")')} == {
        "#REF!": "s", "#VALUE!": "s", '=IF(A3="","","On track")': "s"}
    issues = wb.get_sheet_by_name("Data issues").to_python()
    ih = issues[0]
    listed = {(r[ih.index("Sheet")], r[ih.index("Cell")]): r[ih.index("Problem")] for r in issues[1:]}
    for cell, code in codes.items():
        assert code in str(listed[("Jane Smith", cell)]), (cell, listed.get(("Jane Smith", cell)))


def test_validate_json_lists_them(faulty):
    path, expected, codes = faulty
    result = run_cli("validate", path, "--json")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    data = json.loads(result.stdout)
    got = {f["cell"]: (f["code"], f["value"]) for f in data["findings"] if f["sheet"] == "Jane Smith"
           and f["code"] in ("error-value", "formula-not-calculated")}
    assert got == {c: (codes[c], expected[c]) for c in codes}


def test_xlsxwriter_cached_errors_and_values(tmp_path):
    """A formula whose cached value is an error is an error-value; one with a cached text is that text."""
    import xlsxwriter

    info, actions = small_plan()
    clean = tmp_path / "clean.xlsx"
    write_plan(clean, info, actions)
    src = openpyxl.load_workbook(clean)["Jane Smith"]
    header = [c.value for c in src[1] if c.value]
    path = tmp_path / "xw.xlsx"
    wb = xlsxwriter.Workbook(path)
    ws = wb.add_worksheet("Jane Smith")
    ws.write_row(0, 0, header)
    s, d = header.index("Status"), header.index("Due")
    ws.write_row(1, 0, ["1.1", "Being Healthy", "", "Do it", "Jane Smith"])
    ws.write_formula(1, s, '=VLOOKUP("x",Z1:Z2,2,FALSE)', None, "#N/A")
    ws.write_formula(1, d, "=1/0", None, "#DIV/0!")
    ws.write_row(2, 0, ["1.2", "Being Healthy", "", "Do that", "Jane Smith"])
    ws.write_formula(2, s, '="On "&"track"', None, "On track")
    ws.write_row(3, 0, ["1.3", "Being Healthy", "", "Left blank", "Jane Smith"])
    wb.close()
    plan = read_plan(path)
    faults = {(f.cell, f.code, f.value) for f in plan.report if f.code in ("error-value", "formula-not-calculated")}
    sc, dc = openpyxl.utils.get_column_letter(s + 1), openpyxl.utils.get_column_letter(d + 1)
    assert faults == {(f"{sc}2", "error-value", "#N/A"), (f"{dc}2", "error-value", "#DIV/0!")}
    assert [(a.ref, a.status, a.status_text) for a in plan.actions] == [
        ("1.1", None, "#N/A"), ("1.2", "On track", "On track"), ("1.3", "No status given", "")]


def test_a_clean_plan_with_blank_statuses_has_no_such_findings(tmp_path):
    """Blank cells stay blank: the XML is looked at and nothing is invented."""
    info, actions = small_plan()
    for a in actions:
        a.status = "Not started"
    path = tmp_path / "blank.xlsx"
    write_plan(path, info, actions)
    wb = openpyxl.load_workbook(path)
    ws = wb["Jane Smith"]
    ws[f"{_columns(ws)['Status']}2"] = None
    ws["Z1"] = "=1+1"  # a formula elsewhere, with no effect on the data rows' blank cells
    wb.save(path)
    plan = read_plan(path)
    assert not [f for f in plan.report if f.code in ("error-value", "formula-not-calculated")]
    assert plan.actions[0].status == "No status given"  # a blank Status: no status given


@pytest.mark.parametrize("xml, expected", [
    (b'<sheetData><row r="3"><c r="B3" t="e"><f>#REF!+1</f><v>#REF!</v></c></row></sheetData>',
     {(2, 1): ("error-value", "#REF!")}),
    # no r attributes (allowed): positions counted; a namespace prefix; a shared formula follower
    (b'<x:sheetData><x:row><x:c/><x:c><x:f t="shared" si="0"/></x:c><x:c><x:f>A1&amp;"&lt;b&gt;"</x:f><x:v/></x:c>'
     b'</x:row></x:sheetData>',
     {(0, 1): ("formula-not-calculated", "(formula, not calculated)"),
      (0, 2): ("formula-not-calculated", '=A1&"<b>"')}),
    # a formula that calculated to "" is blank, as the lead sees it; a cached number is a value
    (b'<row r="1"><c r="A1" t="str"><f>IF(1,"","x")</f><v></v></c><c r="B1"><f>1+1</f><v>2</v></c></row>', {}),
    # ... but a text formula with no value at all was never calculated (a script wrote it)
    (b'<row r="4"><c r="J4" t="str"><f>"On track"</f></c><c r="D4" t="str"><f>"act"</f><v/></c></row>',
     {(3, 9): ("formula-not-calculated", '="On track"')}),
    (b'<row r="1"><c r="A1"><v>1</v></c></row><autoFilter ref="A1:B2"><filterColumn colId="0"/></autoFilter>', {}),
    (b'<row r="1"><c r="A1" t="inlineStr"><is><t>Item #3 &gt; t="e"</t></is></c></row>', {}),
    (b'<row r="2"><c r="C2" t="e"><v>#N/A</v></c></row>', {(1, 2): ("error-value", "#N/A")}),
])
def test_find_faults_reads_the_sheet_xml(xml, expected):
    assert {k: (v.kind, v.shown) for k, v in find_faults(xml).items()} == expected


def test_zip_parts_found_by_relationship(faulty):
    from planbook.files.sheetgrid import tab_parts

    path, _, _ = faulty
    with zipfile.ZipFile(path) as zf:
        parts = tab_parts(zf.namelist(), zf.read)
        assert set(parts) >= {"Jane Smith", "DD Achievement", "Lists"}
        assert all(len(found) == 1 and found[0] in zf.namelist() for found in parts.values())


def _moved_part(src, dst, member: str, target: str):
    """A copy of ``src`` whose 'Jane Smith' tab (xl/worksheets/sheet2.xml) is the zip member
    ``member``, named by its relationship as ``target``."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        assert b'Target="/xl/worksheets/sheet2.xml"' in zin.read("xl/_rels/workbook.xml.rels")
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(b'Target="/xl/worksheets/sheet2.xml"', b'Target="%s"' % target.encode())
            zout.writestr(member if info.filename == "xl/worksheets/sheet2.xml" else info.filename, data)
    return dst


@pytest.mark.parametrize("member, target", [
    ("xl/worksheets/SHEET2.xml", "/xl/worksheets/sheet2.xml"),  # the part's name in capitals
    ("xl/worksheets/sheet2.xml", "worksheets/Sheet2.XML"),  # the relationship's in capitals, relative
    ("xl/worksheets/sheet2.xml", "/XL/worksheets/sheet2.xml"),
    ("xl/Returns/Jane.xml", "Returns/jane.XML"),  # a part of its own name, only the relationship leads to it
    ("xl/returns/jane.xml", "returns/jane.xml"),
])
def test_the_part_scanned_for_faults_is_the_part_calamine_reads(faulty, tmp_path, member, target):
    """calamine finds a tab's part through the relationships, comparing names in any case; the
    fault scan looked the part up by its exact name, found none, and read the faulty cells as blank."""
    path, expected, codes = faulty
    moved = _moved_part(path, tmp_path / "Jane Smith.xlsx", member, target)
    rows = CalamineWorkbook.from_path(str(moved)).get_sheet_by_name("Jane Smith").to_python()
    assert rows[1][0] == "1.1"  # calamine reads the tab from the moved part
    plan = read_plan(moved)
    found = {f.cell: (f.code, f.value) for f in plan.report if f.sheet == "Jane Smith" and f.code in codes.values()}
    assert found == {cell: (codes[cell], expected[cell]) for cell in codes}
    assert [a.status_text for a in plan.actions if a.origin.sheet == "Jane Smith"][0] == "#REF!"


def test_a_row_of_nothing_but_errors_is_kept(tmp_path):
    """Every cell #REF! (a pasted row whose sources were deleted): calamine sees an empty row."""
    wb, ws, col = _lead_tab(tmp_path, "DD Achievement")
    path = tmp_path / "plan.xlsx"
    width = len(col)
    row = ws.max_row + 1
    for c in range(1, width + 1):
        cell = ws.cell(row=row, column=c, value="#REF!")
        cell.data_type = "e"
    wb.save(path)
    plan = read_plan(path)
    broken = [a for a in plan.actions if a.origin.sheet == "DD Achievement" and a.origin.row == row]
    assert len(broken) == 1 and broken[0].ref == "#REF!" and broken[0].action == "#REF!"
    cells = {f.cell for f in plan.report if f.code == "error-value" and f.sheet == "DD Achievement"}
    assert cells == {f"{openpyxl.utils.get_column_letter(c)}{row}" for c in range(1, width + 1)}


def test_an_error_beyond_the_key_columns_is_found_too(tmp_path):
    """Every key cell filled (nothing there to make planbook look): a broken formula in the
    Progress update or the lead's own column is still kept as shown and said."""
    wb, ws, col = _lead_tab(tmp_path)
    for r in (2, 3):
        ws[f"{col['Last updated']}{r}"] = "2009-09-30"
    ws[f"{col['Progress update']}2"] = "#DIV/0!"
    ws[f"{col['Progress update']}2"].data_type = "e"
    ws[f"{col['Budget code']}3"] = "=VLOOKUP(A3,Codes!A:B,2,FALSE)"
    wb.save(tmp_path / "Jane Smith.xlsx")
    plan = read_plan(tmp_path / "Jane Smith.xlsx")
    found = {(f.cell, f.code, f.value) for f in plan.report if f.code in ("error-value", "formula-not-calculated")}
    assert found == {(f"{col['Progress update']}2", "error-value", "#DIV/0!"),
                     (f"{col['Budget code']}3", "formula-not-calculated", "=VLOOKUP(A3,Codes!A:B,2,FALSE)")}
    jane = {a.ref: a for a in plan.actions}
    assert jane["1.1"].progress == "#DIV/0!" and jane["1.2"].extras["Budget code"].startswith("=VLOOKUP")


@pytest.mark.parametrize("hint, faulty", [(b"</f>", True), (b'<c r="B2" t="e"><v>#N/A</v></c>', True),
                                          (b'<c r="B2" t="s"><v>3</v></c>', False),
                                          (b'<c r="B2" t="e"><v>3</v></c>', False)])
def test_what_the_far_cell_check_sees_of_faults(hint, faulty):
    """The far-cell check inflates each sheet and notes on the way whether it may hold a fault,
    so the reader need not inflate it again: a sheet in one piece is answered from its bytes;
    one in several pieces (a hint might be cut between them) is always "may"."""
    from planbook.files.sheetgrid import watch_for_faults

    xml = b"<sheetData>" + hint + b"</sheetData>"
    found: list[bool] = []
    assert b"".join(watch_for_faults([xml], found)) == xml and found == [faulty]
    for size in (1, 5, len(xml) - 1):
        found = []
        assert b"".join(watch_for_faults([xml[i:i + size] for i in range(0, len(xml), size)], found)) == xml
        assert found == [True]
    found = []
    assert list(watch_for_faults([], found)) == [] and found == [False]


def test_what_the_check_saw_spares_a_second_look(faulty, tmp_path):
    """A tab the check saw no fault hint in is not inflated again; one it did is (and its faults
    are found); a workbook with no notes is not opened for them."""
    from planbook.files.opening import load_workbook

    path, _, codes = faulty
    book = load_workbook(path)
    jane = book.look.tab_parts["Jane Smith"]
    assert [book.look.faults_possible[p] for p in jane] == [True]
    assert book.look.faults_possible[book.look.tab_parts["DD Achievement"][0]] is False
    assert book.look.notes_possible is False
    info, actions = small_plan()
    write_plan(tmp_path / "clean.xlsx", info, actions)
    clean = load_workbook(tmp_path / "clean.xlsx")
    assert not any(clean.look.faults_possible.values()) and clean.look.faults_possible
    assert load_workbook(path, grid=False).look.faults_possible == {}  # not inflated: found out by the reader
    plan = read_plan(path, loaded=load_workbook(path, grid=False))
    assert {f.cell for f in plan.report if f.sheet == "Jane Smith" and f.code in codes.values()} == set(codes)


@pytest.mark.parametrize("spelt", [b"t='e'", b't = "e"', b"t= 'e'"])
def test_an_error_cell_is_found_however_its_type_is_quoted(faulty, tmp_path, spelt):
    """XML lets an attribute take either quote and spaces around its '=': calamine reads each
    as an error cell (blank to planbook's values), so each is found and the row kept."""
    path, expected, codes = faulty
    moved = tmp_path / "Jane Smith.xlsx"
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(moved, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            part = zin.read(info.filename)
            if info.filename == "xl/worksheets/sheet2.xml":
                assert b't="e"' in part
                part = part.replace(b't="e"', spelt)
            zout.writestr(info, part)
    plan = read_plan(moved)
    found = {f.cell: (f.code, f.value) for f in plan.report if f.sheet == "Jane Smith" and f.code in codes.values()}
    assert found == {cell: (codes[cell], expected[cell]) for cell in codes}


@pytest.fixture(scope="module")
def saved_elsewhere(tmp_path_factory, soffice):
    """Jane's copy with formulas that show errors (a lookup that finds nothing, a reference to a
    deleted sheet, a new row of #REF!), saved by LibreOffice as .ods and as .xls — both read as
    values only, where calamine gives an error cell as blank."""
    from .conftest import lo_convert

    folder = tmp_path_factory.mktemp("elsewhere")
    wb, ws, col = _lead_tab(folder)
    ws[f"{col['Status']}2"] = "=VLOOKUP(A2,Lists!Z1:Z2,1,FALSE)"
    ws[f"{col['Progress update']}3"] = "=Gone!A1"
    r = ws.max_row + 1
    for name in ("Ref", "Action", "Lead", "Status"):
        ws[f"{col[name]}{r}"] = "=#REF!"
    wb.save(folder / "Jane Smith.xlsx")
    cells = {f"{col['Status']}2", f"{col['Progress update']}3", *(f"{col[n]}{r}" for n in ("Ref", "Action", "Lead", "Status"))}
    return {fmt: lo_convert(soffice, folder / "Jane Smith.xlsx", fmt, folder / fmt) for fmt in ("ods", "xls")}, cells, r


@pytest.mark.parametrize("fmt", ["ods", "xls"])
def test_error_cells_of_an_ods_or_xls_return_are_found_and_their_row_kept(saved_elsewhere, fmt):
    files, cells, new_row = saved_elsewhere
    path = files[fmt]
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Jane Smith").to_python(skip_empty_area=False)
    assert all(v == "" for v in rows[new_row - 1])  # the premise: calamine reads the row of errors as blank
    plan = read_plan(path)
    found = {f.cell: f.value for f in plan.report if f.code == "error-value" and f.sheet == "Jane Smith"}
    assert set(found) == cells and all(v.startswith("#") for v in found.values()), found
    jane = {a.origin.row: a for a in plan.actions if a.origin.sheet == "Jane Smith"}
    assert jane[2].status is None and jane[2].status_text == "#N/A"  # never "No status given"
    assert jane[3].progress.startswith("#")
    assert jane[new_row].ref == "#REF!" and jane[new_row].action == "#REF!"  # the row of errors is kept


def test_an_ods_the_reader_cannot_detect_is_said_as_such(saved_elsewhere, tmp_path):
    """A valid .ods another program wrote with its XML indented (Gnumeric does): calamine cannot
    tell its format.  The lead's file is an OpenDocument spreadsheet, not "corrupt": say what it
    is and how to make it readable."""
    from python_calamine import CalamineError

    from planbook.core.errors import UnusableFileError

    files, _, _ = saved_elsewhere
    other = tmp_path / "Jane Smith.ods"
    with zipfile.ZipFile(files["ods"]) as zin, zipfile.ZipFile(other, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            part = zin.read(info.filename)
            zout.writestr(info, part.replace(b"><", b">\n  <") if info.filename == "content.xml" else part)
    with pytest.raises(CalamineError):
        CalamineWorkbook.from_path(str(other))
    with pytest.raises(UnusableFileError, match="an OpenDocument spreadsheet .* save it as .xlsx"):
        read_plan(other)


def test_an_ods_tables_cells_are_placed_as_calamine_places_them():
    """Repeats and spans in an .ods content: a cell repeated 0 times is no cell (calamine's count),
    so the error after it is where calamine reads it."""
    import io as _io

    from planbook.files.cellfaults import ods_faults

    content = (b'<?xml version="1.0"?><office:document-content xmlns:office="o" xmlns:table="t" xmlns:text="x" '
               b'xmlns:calcext="c"><office:body><office:spreadsheet><table:table table:name="Jane Smith">'
               b'<table:table-row><table:table-cell office:value-type="string"><text:p>Ref</text:p></table:table-cell>'
               b'</table:table-row><table:table-row table:number-rows-repeated="2"><table:table-cell/>'
               b'</table:table-row><table:table-row><table:table-cell table:number-columns-repeated="0"/>'
               b'<table:table-cell table:number-columns-repeated="2"/><table:table-cell office:value-type="string" '
               b'calcext:value-type="error" table:formula="of:=#REF!"><text:p>#REF!</text:p><office:annotation>'
               b'<text:p>a note</text:p></office:annotation></table:table-cell></table:table-row></table:table>'
               b'</office:spreadsheet></office:body></office:document-content>')
    buf = _io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        zf.writestr("content.xml", content)
    faults = ods_faults(buf.getvalue(), "Jane Smith")
    assert {(k, f.shown) for k, f in faults.items()} == {((3, 2), "#REF!")}  # row 4, column C; the note left out
    assert ods_faults(buf.getvalue(), "Another tab") == {}
    from planbook.files.cellstyle import ods_notes

    assert ods_notes(buf.getvalue(), "Jane Smith") == {(3, 2): "a note"}  # its note, in the same place


@pytest.mark.parametrize("biff", [8, 5], ids=["Excel 97-2003", "Excel 5.0/95"])
def test_an_error_cell_of_an_xls_is_found_whatever_its_biff(tmp_path, biff):
    """A Status showing #N/A in an .xls saved as Excel 97-2003 (BIFF8) or Excel 5.0/95 (BIFF5,
    whose sheet names are written differently): found at J2, never read as blank."""
    from .biff_file import biff_xls

    head = ["Ref", "Theme", "Objective", "Action", "Lead", "Partners", "Due", "Success measure", "Resources",
            "Status", "Progress update", "Last updated"]
    row = ["J1", "Staying Safe", "Obj", "Do J1", "Jane Smith", "P", "31/03/2011", "M", "R", None, "Started", "01/09/2009"]
    path = tmp_path / "Jane Smith.xls"
    path.write_bytes(biff_xls("Jane Smith", [head, row], (1, 9), 0x2A, biff=biff))
    assert CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Jane Smith").to_python()[1][9] == ""
    plan = read_plan(path)
    assert [(f.code, f.cell, f.value) for f in plan.report if f.code == "error-value"] == [("error-value", "J2", "#N/A")]
    assert plan.actions[0].status is None and plan.actions[0].status_text == "#N/A"
