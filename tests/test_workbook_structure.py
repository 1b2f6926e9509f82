"""The standard workbook's structure, checked part by part with openpyxl (an independent reader)."""
import html
import re
import zipfile

import openpyxl

from planbook import new_plan
from planbook.core.columns import HEADERS


def test_new_plan_structure(tmp_path):
    path = tmp_path / "new.xlsx"
    tabs = new_plan(path, "Youth plan", "2009/10", ["Jane Smith", "Team: A/B", "Lists"], ["Staying Safe"])
    assert list(tabs) == ["Jane Smith", "Team- A-B", "Lists (lead)"]  # legal, unique sheet names
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Guide", *tabs, "Lists", "_planbook"]
    assert wb["_planbook"].sheet_state == "veryHidden"
    meta = {r[0]: r[1] for r in wb["_planbook"].iter_rows(values_only=True)}
    assert meta["planbook_format"] == "1" and meta["title"] == "Youth plan" and meta["period"] == "2009/10"
    assert wb["Guide"]["A1"].value == "Youth plan"
    names = {n: wb.defined_names[n].attr_text for n in wb.defined_names}
    assert names["StatusList"] == "Lists!$A$2:$A$6"
    assert set(names) >= {"ThemeList", "LeadList", "TimescaleList"}
    lists = wb["Lists"]
    assert [lists.cell(r, 1).value for r in range(2, 7)] == ["Complete", "On track", "Slippage", "Off track", "Not started"]
    assert [lists.cell(r, 4).value for r in range(2, 5)] == ["Jane Smith", "Team: A/B", "Lists"]

    ws = wb["Jane Smith"]
    assert [c.value for c in ws[1]] == list(HEADERS)
    (table,) = ws.tables.values()
    assert table.ref.startswith("A1:L") and table.autoFilter is not None
    assert ws.freeze_panes == "B2"
    dv = {str(d.sqref).split(":")[0]: (d.type, d.formula1) for d in ws.data_validations.dataValidation}
    assert dv["J2"] == ("list", "StatusList")  # never an inline list
    assert dv["B2"] == ("list", "ThemeList") and dv["E2"] == ("list", "LeadList")
    rules = {str(cf.sqref): [r for r in cf.rules] for cf in ws.conditional_formatting}
    status_rules = [r.formula[0] for r in rules[next(k for k in rules if k.startswith("J2"))]]
    assert status_rules == ['"Complete"', '"On track"', '"Slippage"', '"Off track"', '"Not started"']
    overdue = rules[next(k for k in rules if k.startswith("G2"))][0].formula[0]
    assert "TODAY()" in overdue and '"Complete"' in overdue
    assert ws.protection.sheet and not ws.protection.password
    assert ws["A1"].protection.locked and not ws["D2"].protection.locked
    assert ws["A2"].number_format == "@"
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth in (None, 1)  # 1 is the default
    assert ws.page_setup.fitToHeight == 0  # as many pages down as needed
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.print_title_rows == "$1:$1"
    assert ws["D2"].alignment.wrap_text


def test_inline_lists_never_used(tmp_path):
    path = tmp_path / "new.xlsx"
    new_plan(path, "T", "P", [f"Lead {i} with a long name" for i in range(40)], [f"Theme {i}" for i in range(40)])
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            if name.startswith("xl/worksheets/sheet"):
                xml = zf.read(name).decode()
                assert '<formula1>"' not in xml  # an inline list would start with a quote


def test_new_refuses_to_overwrite(tmp_path):
    import pytest

    from planbook import OutputError

    path = tmp_path / "new.xlsx"
    new_plan(path, "T", "P", ["A"])
    before = path.read_bytes()
    with pytest.raises(OutputError, match="already exists"):
        new_plan(path, "T2", "P", ["B"])
    assert path.read_bytes() == before



def test_new_refuses_one_lead_or_theme_given_twice_and_a_bad_coordinator_email(tmp_path):
    """Excel's tab names, the Summary's COUNTIFS and the merge rules ignore case: two spellings
    of one lead would be two tabs that consolidate as one person.  Nothing is written."""
    import pytest

    from planbook import PlanbookError

    path = tmp_path / "new.xlsx"
    cases = [
        ((["Jane Smith", "jane  smith "], []), "the lead 'jane  smith' is given twice (as 'Jane Smith'"),
        ((["Ann", "Ann"], []), "the lead 'Ann' is given twice: give each lead once"),
        ((["Ann", "  "], []), "a lead name is blank"),
        ((["Ann"], ["Staying Safe", "staying safe"]), "the theme 'staying safe' is given twice"),
    ]
    for (leads, themes), message in cases:
        with pytest.raises(PlanbookError) as refused:
            new_plan(path, "T", "P", leads, themes)
        assert message in str(refused.value)
        assert not path.exists()
    with pytest.raises(PlanbookError, match="'pat at council' is not an email address"):
        new_plan(path, "T", "P", ["Ann"], coordinator_email="pat at council")
    assert new_plan(path, "T", "P", [" Ann ", "Bob"], ["Safe "], coordinator_email=" pat@council.example ") == \
        {"Ann": "Ann", "Bob": "Bob"}
    book = openpyxl.load_workbook(path)
    assert book.sheetnames[1:3] == ["Ann", "Bob"]

def test_page_header_keeps_a_lead_name_with_an_ampersand(tmp_path, recwarn):
    path = tmp_path / "amp.xlsx"
    new_plan(path, "T", "P", ["R&G Services", "Health & Care"], ["Theme"])
    assert not [w for w in recwarn if "footer images" in str(w.message)]  # XlsxWriter would drop the header
    with zipfile.ZipFile(path) as zf:
        headers = [re.search(r"<oddHeader>(.*?)</oddHeader>", zf.read(f"xl/worksheets/sheet{i}.xml").decode())
                   for i in (2, 3)]
    printed = [html.unescape(h.group(1)).replace('&"-,Bold"', "").replace("&&", "&") for h in headers]
    assert printed == ["&LR&G Services&R&D", "&LHealth & Care&R&D"]  # as Excel prints: name left, date right


def test_lead_tab_rows_are_typed_in_as_a_lead_expects(tmp_path):
    """The rows of a lead's tab (streamed into the sheet, not written cell by cell): every cell
    of an action's row and of the blank rows under it is there with its column's style, open to
    type in on the protected sheet; a Ref once given, and last period's status and update, are
    locked; dates are date cells in Due, Last updated and a plan's own column; each action's row
    is as tall as its longest text needs; what a lead typed is text, never markup."""
    import datetime as dt

    from planbook import Action, Lead, PlanInfo, write_plan
    from planbook.workbook.history import History

    info = PlanInfo("Plan", "Q2 2009/10", [Lead("Jane Smith")], ["Being Healthy"])
    actions = [Action("1.1", "Short", "Jane Smith", theme="Being Healthy", status="On track", status_text="On track"),
               Action("", "A row added with no Ref\nand a second line " + "word " * 60, "Jane Smith",
                      theme="Being Healthy", progress="<b>&amp; not markup</b>"),
               Action("1.3", "Dated", "Jane Smith", theme="Being Healthy", last_updated=dt.date(2009, 9, 1),
                      extras={"Start": dt.date(2009, 4, 1), "Budget": 12.5, "Signed": True})]
    actions[2].due = actions[2].due.__class__("2010-03-31", "date", dt.date(2010, 3, 31), dt.date(2010, 3, 31))
    history = History().with_period("Q1 2009/10", actions[:1])
    write_plan(tmp_path / "plan.xlsx", info, actions, history=history, blank_rows=3)
    ws = openpyxl.load_workbook(tmp_path / "plan.xlsx")["Jane Smith"]
    header = [c.value for c in ws[1]]
    col = {h: i + 1 for i, h in enumerate(header)}
    last = [col["Last period's status"], col["Last period's update"]]
    for r in range(2, 2 + len(actions) + 3):  # three actions, three blank rows
        for c in range(1, len(header) + 1):
            cell = ws.cell(r, c)
            ref_given = c == col["Ref"] and cell.value
            assert cell.protection.locked == (c in last or bool(ref_given)), (cell.coordinate, cell.value)
            assert cell.has_style, cell.coordinate  # written, with its column's style
    assert ws.cell(2, last[0]).value == "On track" and ws.cell(3, last[0]).value is None
    assert ws.cell(3, col["Progress update"]).value == "<b>&amp; not markup</b>"
    assert ws.cell(4, col["Due"]).value == dt.datetime(2010, 3, 31) and ws.cell(4, col["Due"]).number_format == "dd/mm/yyyy"
    assert ws.cell(4, col["Last updated"]).number_format == "dd/mm/yyyy"
    assert ws.cell(4, col["Start"]).number_format == "dd/mm/yyyy" and ws.cell(4, col["Signed"]).value is True
    assert ws.cell(4, col["Budget"]).value == 12.5
    heights = [ws.row_dimensions[r].height for r in range(2, 8)]
    assert heights[0] == heights[2] == 17.25 and heights[1] > 60  # the long text's row is taller
    assert all(h is None for h in heights[3:])  # blank rows keep Excel's own height
