"""Who a return belongs to is decided from what is in it (issue 21, item 2): forwarded copies,
joint returns, a lead's own return against someone else's file, a whole master sent back."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl

from .returns_family import NOT_RETURNED, check_all, lead_types, make_quarter, run_quarter

RETURNED, WITH_ERRORS = "returned", "returned with errors"
SEPT = dt.datetime(2009, 9, 25)


def _forward(q, lead: str, dest: Path, tab: str, rows: list[tuple[str, str, str]], *, keep: bool = False) -> None:
    """Another organisation's use of ``lead``'s copy: the tab renamed, their own rows typed in
    (over the lead's, unless ``keep``), dated after the lead's own return."""
    wb = openpyxl.load_workbook(q.copy(lead))
    ws = wb[lead]
    if not keep:
        ws.delete_rows(2, ws.max_row)
    start = ws.max_row + 1
    header = [c.value for c in ws[1]]
    for i, (ref, action, who) in enumerate(rows):
        r = start + i
        ws.cell(r, header.index("Ref") + 1, ref)
        ws.cell(r, header.index("Action") + 1, action)
        ws.cell(r, header.index("Lead") + 1, who or None)
        ws.cell(r, header.index("Status") + 1, "On track")
        ws.cell(r, header.index("Last updated") + 1, dt.datetime(2009, 10, 2))
    ws.title = tab
    wb.save(dest)
    q.typed += [_typed(dest.name, tab, start + i, dict(zip(("Ref", "Action", "Lead"), row)))
                for i, row in enumerate(rows)]


def _typed(file, sheet, row, cells):
    from .returns_family import Typed

    return Typed(file, sheet, row, {k: v for k, v in cells.items() if v})


YOS_ROWS = [("Y1", "Run youth panels for first-time entrants", "YOS Manager"),
            ("Y2", "Restorative justice training for staff", ""),
            ("Y3", "Reduce reoffending by 10%", "YOS Manager"),
            ("Y4", "Parenting orders review", "")]


def test_a_forwarded_copy_is_not_taken_as_the_leads_newer_return(tmp_path):
    """Youth Offending Service renamed Jane's tab and typed its own four rows, later than Jane's own
    return: Jane's return is used, YOS's rows are listed for the coordinator, nobody's rows are
    marked 'not in the lead's return', and every command calls Jane returned."""
    q = make_quarter(tmp_path)
    lead_types(q, q.copy("Jane Smith"), q.returns / "Jane Smith.xlsx",
               edits={"1.1": {"Status": "Complete", "Progress update": "Done", "Last updated": SEPT}})
    _forward(q, "Jane Smith", q.returns / "Youth Offending Service.xlsx", "YOS", YOS_ROWS)
    run_quarter(q)
    check_all(q, {"Jane Smith": RETURNED, "Raj Patel": NOT_RETURNED, "Omar Khan": NOT_RETURNED,
                  "Ann Lee": NOT_RETURNED})
    assert {a["Source file"] for a in q.actions if a["Lead"] == "Jane Smith"} == {"Jane Smith.xlsx"}
    assert not [a for a in q.actions if a["Note"].startswith("Not in the lead's return")]
    assert not q.issues_of("superseded-copy")
    [tab] = q.issues_of("tab-not-on-plan")
    assert tab["What is wrong"].startswith("Youth Offending Service.xlsx holds a tab not on the plan ('YOS'): its 4 "
                                           "action(s) are listed for you to add or reassign")
    assert [(i["Cell"], i["Value"]) for i in q.issues_of("action-not-on-plan")] == \
        [("A2", "Y1"), ("A3", "Y2"), ("A4", "Y3"), ("A5", "Y4")]
    assert "Youth Offending Service.xlsx holds a tab not on the plan" in q.stdout
    skipped = {Path(f["file"]).name: f["reason"] for f in q.tracker["skipped"]}
    assert "holds no lead's tab of this plan" in skipped["Youth Offending Service.xlsx"]
    assert len(q.actions) == 12


def test_a_forwarded_copy_that_kept_the_leads_rows_loses_to_the_leads_own_return(tmp_path):
    """The other organisation kept Jane's rows and added its own, later: still not Jane's return
    (her own file is), the added rows are listed with the rest of that file."""
    q = make_quarter(tmp_path)
    lead_types(q, q.copy("Jane Smith"), q.returns / "Jane Smith.xlsx",
               edits={"1.2": {"Status": "Slippage", "Progress update": "Behind", "Last updated": SEPT}})
    _forward(q, "Jane Smith", q.returns / "YOS.xlsx", "YOS actions", YOS_ROWS[:2], keep=True)
    run_quarter(q)
    check_all(q, {"Jane Smith": RETURNED, "Raj Patel": NOT_RETURNED, "Omar Khan": NOT_RETURNED,
                  "Ann Lee": NOT_RETURNED})
    assert {a["Source file"] for a in q.actions if a["Lead"] == "Jane Smith"} == {"Jane Smith.xlsx"}
    assert next(a for a in q.actions if a["Ref"] == "1.2")["Status"] == "Slippage"
    [sup] = q.issues_of("superseded-copy")
    assert sup["File"] == "YOS.xlsx" and "their own return" in sup["What is wrong"]


def test_a_forwarded_copy_when_the_lead_sent_nothing_leaves_them_not_returned(tmp_path):
    q = make_quarter(tmp_path)
    _forward(q, "Raj Patel", q.returns / "Raj Patel.xlsx", "Police", YOS_ROWS[2:])  # even under Raj's name
    run_quarter(q)
    check_all(q, {"Jane Smith": NOT_RETURNED, "Raj Patel": NOT_RETURNED, "Omar Khan": NOT_RETURNED,
                  "Ann Lee": NOT_RETURNED})
    assert {a["Source file"] for a in q.actions} == {"plan.xlsx"}
    assert not [a for a in q.actions if a["Note"]]  # Raj's rows are the master's, not stale, not missing
    assert len(q.issues_of("action-not-on-plan")) == 2


def _paste_tab(src: Path, dest_book, title: str, edits: dict) -> int:
    """Copy a lead's tab (values) from their copy into another workbook, as a colleague does."""
    ws_src = openpyxl.load_workbook(src)[title]
    ws = dest_book.create_sheet(title)
    header = [c.value for c in ws_src[1]]
    for row in ws_src.iter_rows(values_only=True):
        ws.append(list(row))
    for r in range(2, ws.max_row + 1):
        ref = ws.cell(r, header.index("Ref") + 1).value
        for h, v in edits.get(ref, {}).items():
            ws.cell(r, header.index(h) + 1, v)
    return header.index("Ref")


def test_a_joint_return_credits_each_lead(tmp_path):
    """Jane sends one file with her tab and Raj's filled in: both returned, both receipted, nobody
    chased; Raj's rows come from the joint file's 'Raj Patel' tab."""
    q = make_quarter(tmp_path)
    typed = tmp_path / "typed" / "Jane Smith.xlsx"
    lead_types(q, q.copy("Jane Smith"), typed, edits={"1.1": {"Status": "Complete", "Last updated": SEPT}},
               record_as="Jane Smith.xlsx")
    wb = openpyxl.load_workbook(typed)
    raj = {"2.2": {"Status": "Off track", "Progress update": "No staff", "Last updated": SEPT}}
    _paste_tab(q.copy("Raj Patel"), wb, "Raj Patel", raj)
    wb.save(q.returns / "Jane Smith.xlsx")
    q.typed.append(_typed("Jane Smith.xlsx", "Raj Patel", 3, {"Ref": "2.2", "Status": "Off track",
                                                              "Progress update": "No staff"}))
    run_quarter(q)
    check_all(q, {"Jane Smith": RETURNED, "Raj Patel": RETURNED, "Omar Khan": NOT_RETURNED, "Ann Lee": NOT_RETURNED})
    assert {(a["Source file"], a["Source sheet"]) for a in q.actions if a["Lead"] == "Raj Patel"} == \
        {("Jane Smith.xlsx", "Raj Patel")}
    [note] = q.issues_of("credited-by-content")
    assert note["Sheet"] == "Raj Patel" and "credited to Raj Patel" in note["What is wrong"]
    assert {lead for m in q.receipts["messages"] for lead in m["leads"]} == {"Jane Smith", "Raj Patel"}
    tracker = {r["lead"]: r for r in q.tracker["leads"]}
    assert tracker["Raj Patel"]["updated"] == 1 and tracker["Jane Smith"]["updated"] == 1
    assert len(q.actions) == 12 and not q.issues_of("duplicate-across-sources")


def test_a_leads_own_return_is_never_set_aside_for_someone_elses_file(tmp_path):
    """Raj's own return is older than Jane's file holding a copy of his tab: his own is used for
    him, Jane's file still counts for Jane, only its Raj tab is listed."""
    q = make_quarter(tmp_path)
    lead_types(q, q.copy("Raj Patel"), q.returns / "Raj Patel.xlsx",
               edits={"2.1": {"Status": "Slippage", "Progress update": "Raj's own", "Last updated": dt.datetime(2009, 9, 1)}})
    wb = openpyxl.load_workbook(q.copy("Jane Smith"))
    _paste_tab(q.copy("Raj Patel"), wb, "Raj Patel", {"2.1": {"Status": "Complete", "Last updated": SEPT}})
    wb["Jane Smith"]["J2"] = "Complete"
    wb.save(q.returns / "Jane Smith.xlsx")
    run_quarter(q)
    check_all(q, {"Jane Smith": RETURNED, "Raj Patel": RETURNED, "Omar Khan": NOT_RETURNED, "Ann Lee": NOT_RETURNED})
    row = next(a for a in q.actions if a["Ref"] == "2.1")
    assert (row["Source file"], row["Status"], row["Progress update"]) == ("Raj Patel.xlsx", "Slippage", "Raj's own")
    [sup] = q.issues_of("superseded-copy")
    assert (sup["File"], sup["Sheet"], sup["Value"]) == ("Jane Smith.xlsx", "Raj Patel", "3")
    assert "used Raj Patel.xlsx (their own return)" in sup["What is wrong"]
    tracker = {r["lead"]: r for r in q.tracker["leads"]}
    assert Path(tracker["Raj Patel"]["file"]).name == "Raj Patel.xlsx"
    assert [Path(f).name for f in tracker["Raj Patel"]["other_files"]] == ["Jane Smith.xlsx"]


def test_a_whole_master_returned_by_a_lead_is_their_return(tmp_path):
    """Omar sends back the whole master with his tab filled in: the quarter does not stop; his tab
    is his return, with a note; no action is counted twice."""
    q = make_quarter(tmp_path)
    lead_types(q, q.plan, q.returns / "Omar Khan.xlsx", sheet="Omar Khan",
               edits={"3.1": {"Status": "Complete", "Progress update": "All done", "Last updated": SEPT}})
    run_quarter(q)
    check_all(q, {"Jane Smith": NOT_RETURNED, "Raj Patel": NOT_RETURNED, "Omar Khan": RETURNED,
                  "Ann Lee": NOT_RETURNED})
    [note] = q.issues_of("whole-master")
    assert note["File"] == "Omar Khan.xlsx" and "returned by Omar Khan" in note["What is wrong"]
    assert len(q.actions) == 12
    assert next(a for a in q.actions if a["Ref"] == "3.1")["Source file"] == "Omar Khan.xlsx"


def test_a_whole_master_under_another_name_is_credited_by_the_tab_that_changed(tmp_path):
    q = make_quarter(tmp_path)
    lead_types(q, q.plan, q.returns / "Action plan (1).xlsx", sheet="Ann Lee",
               edits={"4.3": {"Status": "Off track", "Progress update": "Stalled", "Last updated": SEPT}})
    run_quarter(q)
    check_all(q, {"Jane Smith": NOT_RETURNED, "Raj Patel": NOT_RETURNED, "Omar Khan": NOT_RETURNED,
                  "Ann Lee": RETURNED})
    assert next(a for a in q.actions if a["Ref"] == "4.3")["Source file"] == "Action plan (1).xlsx"


import pytest  # noqa: E402


@pytest.mark.parametrize("fmt", ["ods", "xls", "xlsx"])
def test_the_families_saved_again_by_libreoffice(tmp_path, soffice, fmt):
    """A joint return, a forwarded copy and a renumbered return, each saved through LibreOffice's
    own filter as .ods, .xls or .xlsx: read, credited and counted as the .xlsx were."""
    from .returns_family import converted

    q = make_quarter(tmp_path)
    work = tmp_path / "typed"
    work.mkdir()
    lead_types(q, q.copy("Jane Smith"), work / "Jane Smith.xlsx", edits={"1.1": {"Status": "Complete",
                                                                                "Last updated": SEPT}},
               record_as=f"Jane Smith.{fmt}")
    wb = openpyxl.load_workbook(work / "Jane Smith.xlsx")
    _paste_tab(q.copy("Raj Patel"), wb, "Raj Patel", {"2.3": {"Status": "Slippage", "Last updated": SEPT}})
    wb.save(work / "Jane Smith.xlsx")
    _forward(q, "Ann Lee", work / "Youth Offending Service.xlsx", "YOS", YOS_ROWS[:3])
    lead_types(q, q.copy("Omar Khan"), work / "Omar Khan.xlsx",
               edits={"3.1": {"Ref": "3.01", "Status": "Off track", "Last updated": SEPT}}, record_as=f"Omar Khan.{fmt}")
    for t in q.typed:
        t.file = t.file.replace(".xlsx", f".{fmt}")
    for name in ("Jane Smith", "Youth Offending Service", "Omar Khan"):
        converted(soffice, work / f"{name}.xlsx", fmt, q.returns / f"{name}.{fmt}")
    run_quarter(q)
    check_all(q, {"Jane Smith": RETURNED, "Raj Patel": RETURNED, "Omar Khan": RETURNED, "Ann Lee": NOT_RETURNED})
    assert len(q.actions) == 12
    assert [i["Value"] for i in q.issues_of("ref-renumbered")] == ["3.01"]
    assert [i["File"] for i in q.issues_of("tab-not-on-plan")] == [f"Youth Offending Service.{fmt}"]
    assert next(a for a in q.actions if a["Ref"] == "2.3")["Status"] == "Slippage"
