"""What leads say on their tab besides the cells' values (issue 21, items 4 and 7): notes on
cells, Last updated typed as text, a backup copy of a tab, a merged Status cell, a status given
only by a fill colour."""
from __future__ import annotations

import datetime as dt

import openpyxl

from .returns_family import NOT_RETURNED, check_all, converted, lead_types, make_quarter, run_quarter

RETURNED, WITH_ERRORS = "returned", "returned with errors"
SEPT = dt.datetime(2009, 9, 25)
OTHERS = {"Raj Patel": NOT_RETURNED, "Omar Khan": NOT_RETURNED, "Ann Lee": NOT_RETURNED}


def test_notes_on_cells_are_kept_and_noted(tmp_path):
    """Jane writes 1.1's progress in a note on the blank Progress update cell, and puts a note on
    1.2's Status: the first is the progress (All actions, the report), the second is in the Cell
    notes column; each is a finding with its cell."""
    from docx import Document

    from planbook.word.report import render_report

    q = make_quarter(tmp_path)
    lead_types(q, q.copy("Jane Smith"), q.returns / "Jane Smith.xlsx",
               edits={"1.1": {"Status": "Slippage", "Progress update": None, "Last updated": SEPT},
                      "1.2": {"Status": "On track", "Last updated": SEPT}},
               comments={("1.1", "Progress update"): "Delayed: the contractor went into administration",
                         ("1.2", "Status"): "Agreed with the board on 3 Sept"})
    run_quarter(q)
    check_all(q, {"Jane Smith": RETURNED, **OTHERS})
    row = {a["Ref"]: a for a in q.actions}
    assert row["1.1"]["Progress update"] == "Delayed: the contractor went into administration"
    assert row["1.2"]["Cell notes"] == "J3 (Status): Agreed with the board on 3 Sept"
    notes = {i["Cell"]: i["What was done"] for i in q.issues_of("cell-note")}
    assert notes == {"K2": "read as the Progress update", "J3": "kept in the 'Cell notes' column"}
    text = "\n".join(c.text for t in Document(str(render_report(q.out, q.tmp / "s.docx"))).tables
                     for r in t.rows for c in r.cells)
    assert "the contractor went into administration" in text


def test_last_updated_typed_as_text_is_kept_where_the_finding_says(tmp_path, soffice):
    """'30/09/09' is a date; 'Sept 09' and 'last week' are not: kept in the column the finding
    names, in All actions, also when the return went through LibreOffice as .ods."""
    q = make_quarter(tmp_path)
    lead_types(q, q.copy("Jane Smith"), q.returns / "Jane Smith.xlsx",
               edits={"1.1": {"Status": "Complete", "Last updated": "30/09/09"},
                      "1.2": {"Status": "Slippage", "Last updated": "last week"}})
    lead_types(q, q.copy("Raj Patel"), tmp_path / "typed" / "Raj Patel.xlsx",
               edits={"2.1": {"Status": "Slippage", "Last updated": "Sept 09"}}, record_as="Raj Patel.ods")
    converted(soffice, tmp_path / "typed" / "Raj Patel.xlsx", "ods", q.returns / "Raj Patel.ods")
    for t in q.typed:  # the text typed is kept in its own column; the Last updated cell stays blank
        if t.cells.get("Last updated") in ("last week", "Sept 09"):
            t.cells["Last updated (as typed)"] = t.cells.pop("Last updated")
    run_quarter(q)
    check_all(q, {"Jane Smith": RETURNED, "Raj Patel": RETURNED, "Omar Khan": NOT_RETURNED, "Ann Lee": NOT_RETURNED})
    row = {a["Ref"]: a for a in q.actions}
    assert row["1.1"]["Last updated"] == dt.date(2009, 9, 30)
    assert row["1.2"]["Last updated (as typed)"] == "last week" and row["2.1"]["Last updated (as typed)"] == "Sept 09"
    for i in q.issues_of("bad-date"):
        assert i["What was done"] == "kept as text in the 'Last updated (as typed)' column"


def test_a_backup_copy_of_a_tab_is_counted_once(tmp_path):
    """Jane keeps 'Jane Smith (2)', a copy of her tab before her edits, in her return: her tab is
    used, the backup listed; twelve actions, no duplicate Refs."""
    q = make_quarter(tmp_path)
    path = q.returns / "Jane Smith.xlsx"
    wb = openpyxl.load_workbook(q.copy("Jane Smith"))
    backup = wb.copy_worksheet(wb["Jane Smith"])
    backup.title = "Jane Smith (2)"
    wb.move_sheet(backup, offset=-(len(wb.sheetnames) - 2))  # before her tab, as Excel's Move or Copy puts it
    wb.save(path)
    lead_types(q, path, path, sheet="Jane Smith", edits={"1.3": {"Status": "Complete", "Last updated": SEPT}})
    run_quarter(q)
    check_all(q, {"Jane Smith": RETURNED, **OTHERS})
    assert len(q.actions) == 12 and not q.issues_of("duplicate-ref")
    [dup] = q.issues_of("duplicate-tab")
    assert (dup["Sheet"], dup["Value"]) == ("Jane Smith (2)", "3")
    assert next(a for a in q.actions if a["Ref"] == "1.3")["Status"] == "Complete"
    assert {r["lead"]: r["updated"] for r in q.tracker["leads"]}["Jane Smith"] == 1


def test_a_merged_status_and_a_status_by_colour_are_findings_naming_the_cell(tmp_path):
    """Jane merges 1.1 and 1.2's Status cells (one 'Slippage'); Raj fills 2.1's blank Status red,
    2.2's green and 2.3's purple: the merged word reaches both rows, with a finding for J3; each
    filled cell is a finding offering the matching status."""
    q = make_quarter(tmp_path)
    lead_types(q, q.copy("Jane Smith"), q.returns / "Jane Smith.xlsx",
               edits={"1.1": {"Status": "Slippage", "Last updated": SEPT}, "1.2": {"Status": None}})
    wb = openpyxl.load_workbook(q.returns / "Jane Smith.xlsx")
    wb["Jane Smith"].merge_cells("J2:J3")
    wb.save(q.returns / "Jane Smith.xlsx")
    q.typed[-1].cells["Status"] = "Slippage"  # what Jane sees in J3
    lead_types(q, q.copy("Raj Patel"), q.returns / "Raj Patel.xlsx",
               edits={"2.1": {"Status": None, "Last updated": SEPT}, "2.2": {"Status": None},
                      "2.3": {"Status": None}},
               fills={("2.1", "Status"): "FF0000", ("2.2", "Status"): "00B050", ("2.3", "Status"): "7030A0"})
    run_quarter(q)
    check_all(q)
    row = {a["Ref"]: a for a in q.actions}
    assert row["1.1"]["Status"] == row["1.2"]["Status"] == "Slippage"
    [merged] = q.issues_of("merged-status")
    assert merged["Cell"] == "J3" and merged["What is wrong"].startswith("J3 is merged with J2 (J2:J3)")
    colours = {i["Cell"]: i["What is wrong"] for i in q.issues_of("status-by-colour")}
    assert colours == {"J2": "J2 is filled red but has no status: choose Off track?",
                       "J3": "J3 is filled green but has no status: choose On track?",
                       "J4": "J4 is filled (colour #7030A0) but has no status: choose a status from the list"}
    assert row["2.1"]["Status"] == "No status given"
    raj = next(m for m in q.chase["messages"] if m["leads"] == ["Raj Patel"])
    assert any("J2 is filled red but has no status: choose Off track?" in p for p in raj["problems"])


def test_notes_survive_libreoffice_as_ods(tmp_path, soffice):
    """The same notes in a return saved as .ods by LibreOffice (its own annotations) are kept."""
    q = make_quarter(tmp_path)
    typed = tmp_path / "typed" / "Jane Smith.xlsx"
    lead_types(q, q.copy("Jane Smith"), typed,
               edits={"1.1": {"Status": "Slippage", "Progress update": None, "Last updated": SEPT},
                      "1.2": {"Status": "On track", "Last updated": SEPT}},
               comments={("1.1", "Progress update"): "Delayed: the contractor went into administration",
                         ("1.2", "Status"): "Agreed with the board on 3 Sept"}, record_as="Jane Smith.ods")
    converted(soffice, typed, "ods", q.returns / "Jane Smith.ods")
    run_quarter(q)
    check_all(q, {"Jane Smith": RETURNED, **OTHERS})
    row = {a["Ref"]: a for a in q.actions}
    assert row["1.1"]["Progress update"] == "Delayed: the contractor went into administration"
    assert row["1.2"]["Cell notes"] == "J3 (Status): Agreed with the board on 3 Sept"


def test_merged_cells_survive_libreoffice_as_ods(tmp_path, soffice):
    """Jane merges 1.1 and 1.2's Status (one 'Slippage') and Progress update, and saves her return
    as .ods: each row takes the merged word and text, with the same findings as in an .xlsx
    (calamine gives an .ods no merged ranges: they are read from its content)."""
    q = make_quarter(tmp_path)
    typed = tmp_path / "typed" / "Jane Smith.xlsx"
    lead_types(q, q.copy("Jane Smith"), typed,
               edits={"1.1": {"Status": "Slippage", "Progress update": "One update for both", "Last updated": SEPT},
                      "1.2": {"Status": None, "Progress update": None}}, record_as="Jane Smith.ods")
    wb = openpyxl.load_workbook(typed)
    ws = wb["Jane Smith"]
    header = [c.value for c in ws[1]]
    for name in ("Status", "Progress update"):
        letter = openpyxl.utils.get_column_letter(header.index(name) + 1)
        ws.merge_cells(f"{letter}2:{letter}3")
    wb.save(typed)
    q.typed[-1].cells.update({"Status": "Slippage", "Progress update": "One update for both"})  # what Jane sees
    converted(soffice, typed, "ods", q.returns / "Jane Smith.ods")
    run_quarter(q)
    check_all(q, {"Jane Smith": RETURNED, **OTHERS})
    row = {a["Ref"]: a for a in q.actions}
    assert row["1.1"]["Status"] == row["1.2"]["Status"] == "Slippage"
    assert row["1.2"]["Progress update"] == "One update for both"
    assert [i["Cell"] for i in q.issues_of("merged-status")] == ["J3"]
    assert [i["Cell"] for i in q.issues_of("merged-cell")] == ["K3"]
