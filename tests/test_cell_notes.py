"""Notes on cells are read from an .xlsx however its relationships are spelt
(planbook.files.cellstyle.workbook_notes): the quick look for a workbook without notes never
misses one."""
from __future__ import annotations

import io
import re
import zipfile

import openpyxl
import pytest
from openpyxl.comments import Comment

from planbook.files.cellstyle import workbook_notes


def _with_note(tmp_path) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Jane Smith"
    ws["A1"], ws["B3"] = "Ref", "1.1"
    ws["C3"].comment = Comment("Delayed: the contractor went into administration", "Jane")
    wb.create_sheet("Lists")["A1"] = "no notes here"
    wb.save(tmp_path / "noted.xlsx")
    return (tmp_path / "noted.xlsx").read_bytes()


def _rels_rewritten(data: bytes, change) -> bytes:
    """The workbook with every sheet's .rels part passed through ``change``."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            part = zin.read(info.filename)
            if re.fullmatch(r"xl/worksheets/_rels/.*\.rels", info.filename):
                part = change(part)
            zout.writestr(info, part)
    return out.getvalue()


def _spelt_with_references(rels: bytes) -> bytes:
    return rels.replace(b"comments", b"&#99;&#111;mments")


def _in_utf16(rels: bytes) -> bytes:
    text = rels.decode("utf-8").replace('encoding="UTF-8"', 'encoding="UTF-16"')
    if not text.startswith("<?xml"):
        text = '<?xml version="1.0" encoding="UTF-16"?>' + text
    return text.encode("utf-16")


@pytest.mark.parametrize("change", [_spelt_with_references, _in_utf16], ids=["character references", "UTF-16"])
def test_a_note_is_found_however_the_relationship_is_spelt(tmp_path, change):
    data = _with_note(tmp_path)
    notes = workbook_notes(data)
    assert [(tab, list(cells)) for tab, cells in notes.items()] == [("Jane Smith", [(2, 2)])]
    assert "the contractor went into administration" in notes["Jane Smith"][(2, 2)]
    spelt = _rels_rewritten(data, change)
    with zipfile.ZipFile(io.BytesIO(spelt)) as zf:  # the word is not in any .rels part as bytes
        assert not any(b"comments" in zf.read(n) for n in zf.namelist() if n.endswith(".rels"))
    assert workbook_notes(spelt) == notes


def test_a_workbook_without_notes_has_none(tmp_path):
    wb = openpyxl.Workbook()
    wb.active["A1"] = "comments in a cell are not notes"
    wb.save(tmp_path / "plain.xlsx")
    assert workbook_notes((tmp_path / "plain.xlsx").read_bytes()) == {}


def _names_with_backslashes(data: bytes) -> bytes:
    """The workbook as some zip writers (older .NET) store it: member names with ``\\``."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            name = info.filename.replace("/", "\\") if info.filename.startswith("xl/worksheets/") else info.filename
            zout.writestr(name, zin.read(info.filename))
    return out.getvalue()


@pytest.mark.parametrize("change", [
    lambda data: _rels_rewritten(data, _spelt_with_references),
    lambda data: _rels_rewritten(data, _in_utf16),
    lambda data: _rels_rewritten(data, lambda rels: rels.replace(b"/comments", b"/Comments")),
    _names_with_backslashes,
], ids=["character references", "UTF-16", "relationship type in capitals", "backslashes in member names"])
def test_a_note_is_found_as_the_reader_loads_a_workbook(tmp_path, change):
    """The reader is told whether a workbook can have notes by the check of its zip, and finds
    each note however the zip spells its parts (calamine reads every one of these files)."""
    from planbook.files.opening import load_workbook
    from python_calamine import CalamineWorkbook

    data = change(_with_note(tmp_path))
    path = tmp_path / "spelt.xlsx"
    path.write_bytes(data)
    assert CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Jane Smith").to_python()[2][1] == "1.1"
    book = load_workbook(path)
    assert book.look.notes_possible
    notes = workbook_notes(book.data, book.look)
    assert list(notes) == ["Jane Smith"] and list(notes["Jane Smith"]) == [(2, 2)]
    assert "the contractor went into administration" in notes["Jane Smith"][(2, 2)]
    assert workbook_notes(data) == notes


_NOTICE = ("[Threaded comment]\n\nYour version of Excel allows you to read this threaded comment; however, any edits "
           "to it will get removed if the file is opened in a newer version of Excel. Learn more: "
           "https://go.microsoft.com/fwlink/?linkid=870924\n\nComment:\n    {}")


def _threaded(tmp_path, legacy: bool) -> bytes:
    """A workbook as Excel 365 saves a threaded comment (C3) with a reply (on D4): the
    threadedComments part, and (``legacy``) the note it writes beside it for older readers."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Jane Smith"
    ws["A1"], ws["B3"], ws["B4"] = "Ref", "1.1", "1.2"
    if legacy:
        ws["C3"].comment = Comment(_NOTICE.format("Delayed: the contractor\ngone into administration"), "tc={1}")
        ws["D4"].comment = Comment(_NOTICE.format("Signed off at the July board") + "\nReply:\n    Agreed", "tc={2}")
    else:
        ws["Z9"].comment = Comment("a plain note elsewhere", "Jane")  # so the sheet has a .rels part
    wb.save(tmp_path / "threaded.xlsx")
    threads = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<ThreadedComments '
               'xmlns="http://schemas.microsoft.com/office/spreadsheetml/2018/threadedcomments">'
               '<threadedComment ref="C3" id="{1}"><text>Delayed: the contractor\ngone into administration</text>'
               '</threadedComment><threadedComment ref="D4" id="{2}"><text>Signed off at the July board</text>'
               '</threadedComment><threadedComment ref="D4" id="{3}" parentId="{2}"><text>Agreed</text>'
               '</threadedComment></ThreadedComments>').encode()
    out = io.BytesIO()
    with zipfile.ZipFile(tmp_path / "threaded.xlsx") as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            part = zin.read(info.filename)
            if info.filename == "xl/worksheets/_rels/sheet1.xml.rels":
                part = part.replace(b"</Relationships>", b'<Relationship Id="rIdTC" Type="http://schemas.microsoft.com/'
                                    b'office/2017/10/relationships/threadedComment" Target="/xl/threadedComments/'
                                    b'threadedComment1.xml"/></Relationships>')
            zout.writestr(info, part)
        zout.writestr("xl/threadedComments/threadedComment1.xml", threads)
    return out.getvalue()


@pytest.mark.parametrize("legacy", [True, False], ids=["with the note Excel saves beside it", "alone"])
def test_a_threaded_comment_is_read_as_the_lead_wrote_it(tmp_path, legacy):
    """Excel 365's threaded comment: its text and replies, never Excel's notice to older readers
    (which went into the Progress update and the committee's report); one with no note beside
    it is found too."""
    notes = workbook_notes(_threaded(tmp_path, legacy))["Jane Smith"]
    assert notes[(2, 2)] == "Delayed: the contractor\ngone into administration"
    assert notes[(3, 3)] == "Signed off at the July board\nReply: Agreed"
    assert not any("Your version of Excel" in text for text in notes.values())


def test_a_note_that_only_looks_like_a_thread_is_kept_whole(tmp_path):
    wb = openpyxl.Workbook()
    wb.active["C3"].comment = Comment("[Threaded comment] is what the old macro wrote here", "Jane")
    wb.save(tmp_path / "odd.xlsx")
    notes = workbook_notes((tmp_path / "odd.xlsx").read_bytes())
    assert list(notes.values())[0][(2, 2)] == "[Threaded comment] is what the old macro wrote here"


def test_a_workbook_with_threaded_comments_only_may_have_notes():
    from planbook.files.sheetgrid import may_have_notes

    rels = (b'<Relationships><Relationship Id="rId1" Type="http://schemas.microsoft.com/office/2017/10/relationships/'
            b'threadedComment" Target="../threadedComments/threadedComment1.xml"/></Relationships>')
    assert may_have_notes([rels]) and may_have_notes([rels.replace(b"Comment", b"COMMENT")])
    assert not may_have_notes([b'<Relationships><Relationship Target="../tables/table1.xml"/></Relationships>'])


def test_a_notes_part_that_is_not_well_formed_is_skipped_not_fatal(tmp_path):
    """One return's damaged comments part: that workbook's notes are skipped (its values were
    read); the run goes on (it stopped every consolidation with an internal error)."""
    from planbook.workbook.reader import read_plan

    data = _with_note(tmp_path)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            part = zin.read(info.filename)
            zout.writestr(info, b"<comments><broken" if "comments" in info.filename.lower() else part)
    assert workbook_notes(out.getvalue()) == {}
    from planbook import write_plan

    from .conftest import small_plan

    info, actions = small_plan()
    write_plan(tmp_path / "plan.xlsx", info, actions)
    wb = openpyxl.load_workbook(tmp_path / "plan.xlsx")
    wb["Jane Smith"]["K2"].comment = Comment("Delayed", "Jane")
    wb.save(tmp_path / "noted.xlsx")
    with zipfile.ZipFile(tmp_path / "noted.xlsx") as zin, zipfile.ZipFile(tmp_path / "damaged.xlsx", "w") as zout:
        for info in zin.infolist():
            part = zin.read(info.filename)
            zout.writestr(info, b"<comments><broken" if "comments" in info.filename.lower() else part)
    plan = read_plan(tmp_path / "damaged.xlsx")  # no internal error: the values are read, the note is not
    assert [a.ref for a in plan.actions] == [a.ref for a in read_plan(tmp_path / "plan.xlsx").actions]
    assert not [f for f in plan.report if f.code == "cell-note"]
    [said] = [f for f in plan.report if f.code == "notes-unreadable"]  # and said, with its tab
    assert (said.file, said.sheet) == ("damaged.xlsx", "Jane Smith") and "comments" in said.value.lower()
