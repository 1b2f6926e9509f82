"""The returns tracker, reminders and receipts: real files, a real SMTP server on 127.0.0.1."""
from __future__ import annotations

import datetime as dt
import email
import json
import os
import shutil
from email import policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from planbook import Action, Lead, PlanInfo, read_plan, write_plan
from planbook.mail.chasing import chase, receipts
from planbook.rollup.pipeline import consolidate_to
from planbook.mail.transport import SmtpSettings
from planbook.rollup.pipeline import track_returns
from planbook.rollup.tracker import LATE, NOT_RETURNED, RETURNED, UNCHANGED, WITH_ERRORS
from planbook.workbook.split import split_plan

from .conftest import run_cli
from .test_email import Recorder, _free_port

RETURN_BY = dt.date(2009, 10, 1)
ON_TIME = dt.datetime(2009, 9, 28, 12, 0).timestamp()
LATE_TIME = dt.datetime(2009, 10, 5, 12, 0).timestamp()


@pytest.fixture
def smtp():
    handler = Recorder()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield controller, handler
    finally:
        controller.stop()


def _received(handler) -> list[email.message.EmailMessage]:
    return [email.message_from_bytes(e.original_content, policy=policy.default) for e in handler.envelopes]


def _set_time(path: Path, when: float) -> None:
    os.utime(path, (when, when))


@pytest.fixture
def quarter(tmp_path: Path) -> dict:
    """A plan of six leads and the returns folder of a quarter:

    Jane returns a clean update on time; Raj returns on time with a bad status; Omar returns
    late; Ann and Trust Manager do not return (Trust Manager has no email address); Kim and
    Lee share one mailbox and neither returns.  A text file sits in the folder.
    """
    leads = [Lead("Jane Smith", "jane@example.org"), Lead("Raj Patel", "raj@example.org"),
             Lead("Omar Khan", "omar@example.org"), Lead("Ann Lee", "ann@example.org"), Lead("Trust Manager", ""),
             Lead("Kim Ray", "team@example.org"), Lead("Lee Wu", "team@example.org")]
    info = PlanInfo(title="Youth plan & <partners>", period="Q2 2009/10", leads=leads, themes=["Staying Safe"],
                    coordinator="Pat Coordinator", coordinator_email="pat@example.org")
    actions = [Action(f"1.{i}", f"Action {i} of {lead.name}", lead.name, theme="Staying Safe", status="On track",
                      progress="Last quarter's note", last_updated=dt.date(2009, 6, 1))
               for i, lead in enumerate(leads, start=1)]
    actions.append(Action("2.1", "Second action of Jane", "Jane Smith", theme="Staying Safe", status="Not started"))
    plan = tmp_path / "plan.xlsx"
    write_plan(plan, info, actions)
    copies = tmp_path / "copies"
    split_plan(plan, copies)
    returns = tmp_path / "returns"
    returns.mkdir()
    for name, status, note, when in (("Jane Smith", "Complete", "Done {{ 7*7 }} & <b>AT&T</b>", ON_TIME),
                                     ("Raj Patel", "on-trak", "Going well", ON_TIME),
                                     ("Omar Khan", "Slippage", "Delayed", LATE_TIME)):
        dest = returns / f"{name}.xlsx"
        shutil.copy(copies / f"{name}.xlsx", dest)
        copy = read_plan(dest)
        first = copy.actions[0]
        first.status, first.status_text, first.progress = (None if status == "on-trak" else status), status, note
        first.last_updated = dt.date(2009, 10, 4) if when == LATE_TIME else dt.date(2009, 9, 20)
        write_plan(dest, copy.info, copy.actions, only_leads=list(copy.tabs.values()), role="lead-copy")
        _set_time(dest, when)
    (returns / "notes.txt").write_text("not a workbook")
    return {"plan": plan, "copies": copies, "returns": returns, "tmp": tmp_path}


def test_tracker_lists_every_lead_worst_first(quarter):
    shutil.copy(quarter["plan"], quarter["returns"] / "master copy.xlsx")  # a stray master: not a return
    tracker = track_returns(quarter["plan"], quarter["returns"], return_by=RETURN_BY)
    states = {r.lead: r.state for r in tracker.leads}
    assert states == {"Jane Smith": RETURNED, "Raj Patel": WITH_ERRORS, "Omar Khan": LATE, "Ann Lee": NOT_RETURNED,
                      "Trust Manager": NOT_RETURNED, "Kim Ray": NOT_RETURNED, "Lee Wu": NOT_RETURNED}
    order = [r.state for r in tracker.leads]
    assert order == sorted(order, key=[NOT_RETURNED, LATE, WITH_ERRORS, RETURNED].index)
    jane = next(r for r in tracker.leads if r.lead == "Jane Smith")
    assert (jane.actions, jane.updated, len(jane.errors)) == (2, 1, 0)  # 2.1 untouched
    raj = next(r for r in tracker.leads if r.lead == "Raj Patel")
    assert [f.cell for f in raj.errors] == ["J2"] and raj.errors[0].code == "unknown-status"
    skipped = {Path(f).name: why for f, why in tracker.skipped}
    assert set(skipped) == {"master copy.xlsx", "notes.txt"}
    assert tracker.sentence() == ("2 of 7 leads returned by 1 October 2009; Omar Khan returned late; Ann Lee, "
                                  "Trust Manager, Kim Ray and Lee Wu have not returned.")


def test_tracker_counts_equal_the_consolidation(quarter):
    tracker = track_returns(quarter["plan"], quarter["returns"], return_by=RETURN_BY)
    result = consolidate_to([quarter["returns"], quarter["plan"]], quarter["tmp"] / "cons.xlsx")
    used = {s.lead for s in result.sources if s.role == "lead-copy" and not s.skipped}
    assert used == {r.lead for r in tracker.returned}
    for r in tracker.returned:
        errors = [f for f in result.report if f.file == Path(r.file).name and f.severity == "error"]
        assert len(errors) == len(r.errors)


def test_returns_cli_json_and_text(quarter):
    out = run_cli("returns", quarter["plan"], quarter["returns"], "--return-by", "2009-10-01", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["returned"] == 3 and data["leads_total"] == 7
    assert data["leads"][0]["state"] == NOT_RETURNED
    text = run_cli("returns", quarter["plan"], quarter["returns"], "--return-by", "2009-10-01")
    assert text.returncode == 0 and "Trust Manager" in text.stdout and "Traceback" not in text.stderr


def test_chase_by_smtp_reaches_the_right_leads_once(quarter, smtp):
    controller, handler = smtp
    before = {p.name: p.read_bytes() for p in quarter["returns"].iterdir()}
    result = run_cli("chase", quarter["plan"], quarter["returns"], "--return-by", "2009-10-01",
                     "--copies", quarter["copies"], "--smtp-host", "127.0.0.1", "--smtp-port", str(controller.port))
    assert result.returncode == 1, result.stderr  # Trust Manager has no address
    assert "Trust Manager" in result.stderr and "Traceback" not in result.stderr
    msgs = _received(handler)
    by_to = {}
    for m in msgs:
        by_to.setdefault(m["To"].addresses[0].addr_spec, []).append(m)
    # nobody twice: Kim and Lee share one mailbox and get one message with both copies
    assert {k: len(v) for k, v in by_to.items()} == {"ann@example.org": 1, "raj@example.org": 1,
                                                      "team@example.org": 1}
    ann = by_to["ann@example.org"][0]
    [att] = list(ann.iter_attachments())
    assert att.get_filename() == "Ann Lee.xlsx"
    assert att.get_content() == (quarter["copies"] / "Ann Lee.xlsx").read_bytes()  # their copy, byte for byte
    body = ann.get_body(("plain",)).get_content()
    assert "1 October 2009" in body and "pat@example.org" in body
    raj = by_to["raj@example.org"][0]
    [att] = list(raj.iter_attachments())
    assert att.get_content() == (quarter["returns"] / "Raj Patel.xlsx").read_bytes()  # their return, to fix in place
    assert "Status in J2 is 'on-trak': choose one of Complete, On track, Slippage, Off track, Not started" in \
        raj.get_body(("plain",)).get_content()
    team = by_to["team@example.org"][0]
    assert sorted(a.get_filename() for a in team.iter_attachments()) == ["Kim Ray.xlsx", "Lee Wu.xlsx"]
    assert "jane@example.org" not in by_to  # a clean return gets no reminder
    assert {p.name: p.read_bytes() for p in quarter["returns"].iterdir()} == before  # inputs untouched


def test_chase_dry_run_sends_and_saves_nothing(quarter, smtp):
    controller, handler = smtp
    drafts = quarter["tmp"] / "drafts"
    result = run_cli("chase", quarter["plan"], quarter["returns"], "--dry-run", "--json")
    data = json.loads(result.stdout)
    assert data["dry_run"] and {tuple(m["leads"]) for m in data["messages"]} == {
        ("Ann Lee",), ("Raj Patel",), ("Kim Ray", "Lee Wu")}
    assert handler.envelopes == [] and not drafts.exists()
    assert data["no_email"] == ["Trust Manager"]


def test_chase_drafts_are_unsent_eml(quarter):
    run = chase(quarter["plan"], quarter["returns"], return_by=RETURN_BY, save_dir=quarter["tmp"] / "drafts")
    assert len(run.messages) == 3
    for m in run.messages:
        parsed = email.message_from_bytes(m.eml.read_bytes(), policy=policy.default)
        assert parsed["X-Unsent"] == "1"
        assert parsed["Subject"] and "\n" not in parsed["Subject"]
    # without --copies the reminder carries a fresh copy of the lead's own tab
    ann = next(m for m in run.messages if m.leads == ["Ann Lee"])
    parsed = email.message_from_bytes(ann.eml.read_bytes(), policy=policy.default)
    [att] = list(parsed.iter_attachments())
    fresh = quarter["tmp"] / "fresh.xlsx"
    fresh.write_bytes(att.get_content())
    copy = read_plan(fresh)
    assert copy.role == "lead-copy" and [a.ref for a in copy.actions] == ["1.4"]


def test_receipts_after_consolidation(quarter, smtp):
    controller, handler = smtp
    cons = quarter["tmp"] / "consolidated.xlsx"
    consolidate_to([quarter["returns"], quarter["plan"]], cons)
    result = run_cli("receipts", cons, "--smtp-host", "127.0.0.1", "--smtp-port", str(controller.port))
    assert result.returncode == 0, result.stderr
    msgs = {m["To"].addresses[0].addr_spec: m for m in _received(handler)}
    assert set(msgs) == {"jane@example.org", "raj@example.org", "omar@example.org"}  # only leads who returned
    jane = msgs["jane@example.org"].get_body(("plain",)).get_content()
    assert "Complete: 1" in jane and "Not started: 1" in jane and "No problems were found" in jane
    raj = msgs["raj@example.org"].get_body(("plain",)).get_content()
    assert "Status not recognised: 1" in raj and "J2" in raj


def test_receipts_carry_lead_text_literally_and_headers_stay_single(tmp_path, smtp):
    controller, handler = smtp
    leads = [Lead("Evil\r\nBcc: victim@example.org", "evil@example.org")]
    info = PlanInfo(title="Plan\r\nX-Injected: yes", period="Q2 2009/10", leads=leads, themes=[],
                    coordinator="Pat", coordinator_email="pat@example.org")
    plan = tmp_path / "plan.xlsx"
    write_plan(plan, info, [Action("1.1", "Act", leads[0].name, status="Complete")])
    returns = tmp_path / "returns"
    split_plan(plan, returns)
    cons = tmp_path / "cons.xlsx"
    consolidate_to([returns, plan], cons)
    run = receipts(cons, smtp=SmtpSettings("127.0.0.1", controller.port))
    assert len(run.messages) == 1
    [m] = _received(handler)
    assert m["X-Injected"] is None and m["Bcc"] is None
    assert [a.addr_spec for a in m["To"].addresses] == ["evil@example.org"]
    assert handler.envelopes[0].rcpt_tos == ["evil@example.org"]


def test_returns_sheet_in_the_consolidated_workbook(quarter):
    from python_calamine import CalamineWorkbook

    cons = quarter["tmp"] / "consolidated.xlsx"
    consolidate_to([quarter["returns"], quarter["plan"]], cons, return_by=RETURN_BY)
    tracker = track_returns(quarter["plan"], quarter["returns"], return_by=RETURN_BY)
    rows = CalamineWorkbook.from_path(str(cons)).get_sheet_by_name("Returns").to_python()
    assert rows[0][:3] == ["Lead", "Return", "File"]
    sheet = {r[0]: dict(zip(rows[0], r)) for r in rows[1:]}
    assert {lead: r["Return"] for lead, r in sheet.items()} == {r.lead: r.state for r in tracker.leads}
    for r in tracker.leads:
        assert sheet[r.lead]["File"] == (Path(r.file).name if r.file else "")
        if r.returned:
            assert (sheet[r.lead]["Updated this period"], sheet[r.lead]["Added by the lead"],
                    sheet[r.lead]["Errors"]) == (r.updated, r.added, len(r.errors))
    assert [r[1] for r in rows[1:]][:4] == [NOT_RETURNED] * 4  # those to chase first


def test_the_word_report_says_who_returned(quarter):
    from docx import Document

    from planbook.word.report import render_report

    cons = quarter["tmp"] / "consolidated.xlsx"
    consolidate_to([quarter["returns"], quarter["plan"]], cons, return_by=RETURN_BY)
    tracker = track_returns(quarter["plan"], quarter["returns"], return_by=RETURN_BY)
    out = render_report(cons, quarter["tmp"] / "summary.docx")
    text = "\n".join(p.text for p in Document(str(out)).paragraphs)
    assert tracker.sentence() in text
    assert "2 of 7 leads returned by 1 October 2009; Omar Khan returned late;" in text


def test_a_copy_saved_again_after_the_date_is_late_only_if_updated_late(quarter):
    jane = quarter["returns"] / "Jane Smith.xlsx"
    _set_time(jane, LATE_TIME)  # saved from an email today: her Last updated dates are all in time
    states = {r.lead: r.state for r in track_returns(quarter["plan"], quarter["returns"], return_by=RETURN_BY).leads}
    assert states["Jane Smith"] == RETURNED and states["Omar Khan"] == LATE  # Omar updated after the date


def test_an_untouched_copy_is_not_an_update_and_is_chased(quarter):
    shutil.copy(quarter["copies"] / "Ann Lee.xlsx", quarter["returns"] / "Ann Lee.xlsx")  # back as sent out
    tracker = track_returns(quarter["plan"], quarter["returns"], return_by=RETURN_BY)
    ann = next(r for r in tracker.leads if r.lead == "Ann Lee")
    assert ann.returned and ann.updated == 0 and ann.state == UNCHANGED
    assert "Ann Lee returned no updates" in tracker.sentence()
    run = chase(quarter["plan"], quarter["returns"], return_by=RETURN_BY, dry_run=True)
    [msg] = [m for m in run.messages if m.leads == ["Ann Lee"]]
    assert msg.reasons == [UNCHANGED] and msg.attachments == [quarter["returns"] / "Ann Lee.xlsx"]
    assert "has no updates yet" in msg.message.get_body(("plain",)).get_content()



def test_a_return_that_cannot_be_read_is_returned_with_its_reason_and_the_copy_goes_again(quarter):
    """A corrupt file named for a lead is their return, as the consolidation counts it
    (``return-unreadable``): not "not returned", and the reminder says why it could not be
    used and attaches their own copy again — not the broken file, and not a list of cells."""
    broken = quarter["returns"] / "Ann Lee.xlsx"
    broken.write_bytes(b"PK\x03\x04 truncated in the post")
    tracker = track_returns(quarter["plan"], quarter["returns"], return_by=RETURN_BY)
    ann = next(r for r in tracker.leads if r.lead == "Ann Lee")
    assert ann.returned and ann.state == WITH_ERRORS and ann.file == str(broken)
    assert "Ann Lee.xlsx could not be read (corrupt or truncated workbook" in ann.unreadable
    assert "Ann Lee.xlsx" not in {Path(f).name for f, _ in tracker.skipped}
    result = consolidate_to([quarter["returns"], quarter["plan"]], quarter["tmp"] / "cons.xlsx")
    assert any(f.code == "return-unreadable" and f.file == "Ann Lee.xlsx" for f in result.report)
    [ann_row] = [r for r in result.returns if r.lead == "Ann Lee"]  # the Returns sheet and report agree
    assert ann_row.state == WITH_ERRORS and ann_row.file == str(broken)  # the file itself, as the tracker has it
    run = chase(quarter["plan"], quarter["returns"], return_by=RETURN_BY, copies_dir=quarter["copies"], dry_run=True)
    [msg] = [m for m in run.messages if m.leads == ["Ann Lee"]]
    assert msg.attachments == [quarter["copies"] / "Ann Lee.xlsx"]
    body = msg.message.get_body(("plain",)).get_content()
    assert "could not be opened: Ann Lee.xlsx could not be read (corrupt or truncated workbook" in body
    assert "correct these cells" not in body and "Your workbook is attached again: Ann Lee.xlsx" in body
    text = run_cli("returns", quarter["plan"], quarter["returns"])
    assert "Ann Lee.xlsx could not be read" in text.stdout

def test_consolidating_returns_without_the_master_says_who_may_be_missing(quarter):
    result = run_cli("consolidate", quarter["returns"], "--out", quarter["tmp"] / "no-master.xlsx")
    assert result.returncode == 0, result.stderr
    assert "no master plan among the inputs" in result.stdout and "leads who have not returned are missing" in result.stdout
    with_master = run_cli("consolidate", quarter["returns"], quarter["plan"], "--out", quarter["tmp"] / "c.xlsx")
    assert "no master plan" not in with_master.stdout


def test_a_receipt_asks_about_a_row_the_lead_deleted(quarter):
    jane = quarter["returns"] / "Jane Smith.xlsx"
    copy = read_plan(jane)
    kept = [a for a in copy.actions if a.ref != "2.1"]  # Jane deleted 2.1 from her return
    write_plan(jane, copy.info, kept, only_leads=list(copy.tabs.values()), role="lead-copy")
    cons = quarter["tmp"] / "consolidated.xlsx"
    consolidate_to([quarter["returns"], quarter["plan"]], cons)
    run = receipts(cons, dry_run=True)
    [msg] = [m for m in run.messages if m.leads == ["Jane Smith"]]
    assert any(p.startswith("2.1 is in the plan but not in your return") for p in msg.problems)
    assert "2.1 is in the plan but not in your return" in msg.message.get_body(("plain",)).get_content()


def test_receipts_use_the_masters_addresses_when_the_copies_were_split_before_them(tmp_path, smtp):
    controller, handler = smtp
    leads = [Lead("Jane Smith", ""), Lead("Raj Patel", "")]
    info = PlanInfo(title="Plan", period="Q2 2009/10", leads=leads, themes=[], coordinator="Pat",
                    coordinator_email="pat@example.org")
    plan = tmp_path / "plan.xlsx"
    write_plan(plan, info, [Action("1.1", "Act", "Jane Smith", status="On track"),
                            Action("1.2", "Act", "Raj Patel", status="On track")])
    returns = tmp_path / "returns"
    split_plan(plan, returns)  # the copies go out with no addresses on their Lists sheet
    master = read_plan(plan)
    master.info.leads = [Lead("Jane Smith", "jane@example.org"), Lead("Raj Patel", "raj@example.org")]
    write_plan(plan, master.info, master.actions)  # the coordinator fills the addresses in later
    cons = tmp_path / "cons.xlsx"
    consolidate_to([returns, plan], cons)
    run = receipts(cons, smtp=SmtpSettings("127.0.0.1", controller.port))
    assert run.no_email == [] and sorted(m.to for m in run.messages) == ["jane@example.org", "raj@example.org"]


def test_actions_with_no_lead_are_nobodys_return(tmp_path):
    """An import puts actions it found no lead for on a 'No lead' tab.  No copy is split for
    them, the tracker does not list 'No lead' as a lead who has not returned, and chasing does
    not fail for want of its address — each place says how many actions wait for a lead."""
    info = PlanInfo(title="T", period="Q2 2009/10", leads=[Lead("Ann Lee", "ann@example.org")], themes=["A"],
                    coordinator="Pat", coordinator_email="pat@example.org")
    plan = tmp_path / "plan.xlsx"
    write_plan(plan, info, [Action("1.1", "Do it", "Ann Lee", theme="A"), Action("1.2", "Orphan", "", theme="A"),
                            Action("1.3", "Orphan too", "", theme="A")])
    assert "No lead" in read_plan(plan).tabs
    split = run_cli("split", plan, "--out", tmp_path / "returns")
    assert split.returncode == 0, split.stderr
    assert [p.name for p in (tmp_path / "returns").iterdir()] == ["Ann Lee.xlsx"]
    assert "2 action(s) on the 'No lead' tab have no lead" in split.stderr
    tracker = track_returns(plan, tmp_path / "returns", return_by=RETURN_BY)
    assert [r.lead for r in tracker.leads] == ["Ann Lee"] and tracker.no_lead == 2
    run = chase(plan, tmp_path / "returns", return_by=RETURN_BY, dry_run=True)
    assert run.no_email == [] and [m.leads for m in run.messages] == [["Ann Lee"]]
    result = consolidate_to([tmp_path / "returns", plan], tmp_path / "cons.xlsx", return_by=RETURN_BY)
    assert [r.lead for r in result.returns] == ["Ann Lee"]
    assert sum(1 for a in result.actions if not a.lead) == 2  # still in All actions, for the committee to see


def test_a_return_without_planbooks_metadata_is_the_leads_unreadable_return(quarter):
    """A lead who copies their tab into a new workbook sends a file with no planbook metadata.
    Named for them, it is their return, unusable: the tracker says so (not "not returned"),
    and the consolidation keeps the master's rows for them marked stale, with the reason."""
    import openpyxl

    mine = quarter["returns"] / "Ann Lee.xlsx"
    shutil.copy(quarter["copies"] / "Ann Lee.xlsx", mine)
    book = openpyxl.load_workbook(mine)
    del book["_planbook"]
    book.save(mine)
    tracker = track_returns(quarter["plan"], quarter["returns"], return_by=RETURN_BY)
    ann = next(r for r in tracker.leads if r.lead == "Ann Lee")
    assert ann.state == WITH_ERRORS and "no planbook metadata" in ann.unreadable
    result = consolidate_to([quarter["returns"], quarter["plan"]], quarter["tmp"] / "cons.xlsx")
    [finding] = [f for f in result.report if f.code == "return-unreadable"]
    assert finding.file == "Ann Lee.xlsx" and "no planbook metadata" in finding.message
    assert next(r for r in result.returns if r.lead == "Ann Lee").state == WITH_ERRORS
    rows = [a for a in result.actions if a.lead == "Ann Lee"]
    assert rows and all(a.note.startswith("Stale: lead's return unreadable") for a in rows)
    assert {e.action.ref for e in result.exceptions} >= {a.ref for a in rows}


def test_a_receipt_says_how_a_status_letter_or_symbol_was_read(quarter):
    dest = quarter["returns"] / "Omar Khan.xlsx"
    copy = read_plan(dest)
    copy.actions[0].status, copy.actions[0].status_text = None, "G"
    write_plan(dest, copy.info, copy.actions, only_leads=list(copy.tabs.values()), role="lead-copy")
    _set_time(dest, LATE_TIME)
    cons = quarter["tmp"] / "consolidated.xlsx"
    consolidate_to([quarter["returns"], quarter["plan"]], cons)
    run = receipts(cons, dry_run=True)
    omar = next(m for m in run.messages if m.leads == ["Omar Khan"]).message.get_body(("plain",)).get_content()
    assert "How your statuses were read" in omar and "J2: 'G' read as On track (G for Green)" in omar
    assert "On track: 1" in omar and "No problems were found" in omar  # counted, and not a problem
    assert "(G for Green)\n\nNo problems were found" in omar
    jane = next(m for m in run.messages if m.leads == ["Jane Smith"]).message.get_body(("plain",)).get_content()
    assert "How your statuses were read" not in jane  # her statuses are the words themselves


# --- one tracker: every lead's return state the same in every place --------------------------

FAMILY_LEADS = [Lead(n, f"{n.split()[0].lower()}@example.org") for n in
                ("Jane Smith", "Raj Patel", "Omar Khan", "Ann Lee", "Kim Ray", "Lee Wu", "Sam Cole", "Pat Young",
                 "Zoe Hart")]


def _family(tmp_path: Path):
    """A quarter with one lead of each kind of return (see the test below), made as leads make
    them: their copies edited cell by cell with openpyxl, files saved, broken, renamed."""
    import openpyxl

    from .returns_family import RETURN_BY as DUE, THEMES, Quarter, lead_types

    info = PlanInfo(title="Family of returns", period="Q2 2009/10", leads=list(FAMILY_LEADS), themes=list(THEMES),
                    coordinator="Pat Coordinator", coordinator_email="pat@example.org")
    actions = [Action(f"{i}.{k}", f"{lead.name}'s action {k}", lead.name, theme=THEMES[k % 3], status="On track",
                      progress="Last quarter's note", last_updated=dt.date(2009, 6, 30))
               for i, lead in enumerate(FAMILY_LEADS, start=1) for k in (1, 2, 3)]
    plan = tmp_path / "plan.xlsx"
    write_plan(plan, info, actions)
    copies, returns = tmp_path / "copies", tmp_path / "returns"
    split_plan(plan, copies)
    returns.mkdir()
    q = Quarter(tmp_path, plan, copies, returns)
    on_time, late = dt.datetime(2009, 10, 20, 9), dt.datetime(2009, 11, 3, 9)
    done = {"Status": "Complete", "Progress update": "Done", "Last updated": on_time}
    # Jane updates her three actions and adds two of her own ("5/3 updated" before)
    lead_types(q, q.copy("Jane Smith"), returns / "Jane Smith.xlsx", edits={f"1.{k}": done for k in (1, 2, 3)},
               new_rows=[{"Ref": f"1.{k}", "Action": f"Jane's new action {k}", "Lead": "Jane Smith",
                          "Status": "On track", "Last updated": on_time} for k in (4, 5)])
    # Raj returns on time with a status nobody can read
    lead_types(q, q.copy("Raj Patel"), returns / "Raj Patel.xlsx", edits={"2.1": {"Status": "on-trak"}})
    # Omar updates after the return date
    lead_types(q, q.copy("Omar Khan"), returns / "Omar Khan.xlsx",
               edits={"3.1": {**done, "Last updated": late}})
    _set_time(returns / "Omar Khan.xlsx", late.timestamp())
    # Ann's file, named for her, cannot be read
    (returns / "Ann Lee.xlsx").write_bytes(b"PK\x03\x04 cut short in the post")
    # Kim does not return; last year's copy of hers sits in the folder (another period)
    old = read_plan(q.copy("Kim Ray"))
    old.info.period, old.info.plan_id = "Q2 2008/09", ""
    write_plan(returns / "Kim Ray 2008.xlsx", old.info, old.actions, only_leads=["Kim Ray"], role="lead-copy")
    # Lee sends two copies: the later edits win, the other is listed
    lead_types(q, q.copy("Lee Wu"), returns / "Lee Wu.xlsx", edits={"6.1": {**done, "Last updated": dt.datetime(2009, 10, 2)}},
               record=False)
    lead_types(q, q.copy("Lee Wu"), returns / "Lee Wu (1).xlsx", edits={"6.1": done, "6.2": done})
    # Sam sends the copy back as it went out
    shutil.copy(q.copy("Sam Cole"), returns / "Sam Cole.xlsx")
    # Pat's copy comes back without Pat's tab
    book = openpyxl.load_workbook(q.copy("Pat Young"))
    del book[[ws.title for ws in book.worksheets if ws.title not in ("Guide", "Lists", "_planbook")][0]]
    book.save(returns / "Pat Young.xlsx")
    # Zoe types her update into a Word document named for her
    (returns / "Zoe Hart.docx").write_bytes(b"PK\x03\x04 not a workbook")
    for p in returns.iterdir():
        if p.name != "Omar Khan.xlsx":
            _set_time(p, on_time.timestamp())
    _set_time(returns / "Lee Wu.xlsx", dt.datetime(2009, 10, 2, 9).timestamp())
    assert DUE == "2009-10-31"
    return q


def test_every_leads_return_state_is_the_same_everywhere(tmp_path):
    """The Returns sheet (read with calamine), ``planbook returns --json``, ``chase --dry-run``
    and ``receipts --dry-run`` give every lead the same state, file and counts, over a family:
    returned (with actions added), returned with errors, late, a broken file named for a lead, a
    Word file named for a lead, a copy without the lead's tab, not returned (last year's copy
    in the folder), two copies from one lead, a copy back untouched."""
    from .returns_family import check_agreement, run_quarter

    q = run_quarter(_family(tmp_path))
    expected = {"Jane Smith": RETURNED, "Raj Patel": WITH_ERRORS, "Omar Khan": LATE, "Ann Lee": WITH_ERRORS,
                "Kim Ray": NOT_RETURNED, "Lee Wu": RETURNED, "Sam Cole": UNCHANGED, "Pat Young": WITH_ERRORS,
                "Zoe Hart": WITH_ERRORS}
    check_agreement(q, expected)
    tracker = {r["lead"]: r for r in q.tracker["leads"]}
    sheet = {r["Lead"]: r for r in q.returns_sheet}
    chase_tracker = {r["lead"]: r for r in q.chase["tracker"]["leads"]}
    receipt_tracker = {r["lead"]: r for r in q.receipts["tracker"]["leads"]}
    for lead, r in tracker.items():
        counts = (r["actions"], r["updated"], r["added"], r["errors"])
        assert (sheet[lead]["Actions"], sheet[lead]["Updated this period"] or 0, sheet[lead]["Added by the lead"] or 0,
                sheet[lead]["Errors"] or 0) == counts, lead
        for other in (chase_tracker, receipt_tracker):
            assert (other[lead]["state"], Path(other[lead]["file"] or "").name, other[lead]["actions"],
                    other[lead]["updated"], other[lead]["added"], other[lead]["errors"]) == \
                (r["state"], Path(r["file"] or "").name, *counts), lead
        assert r["updated"] <= r["actions"], lead  # updated OF the lead's total
    assert [r["lead"] for r in q.tracker["leads"]] == [r["Lead"] for r in q.returns_sheet]  # the same order
    assert (tracker["Jane Smith"]["updated"], tracker["Jane Smith"]["added"]) == (3, 2)
    assert tracker["Lee Wu"]["updated"] == 2 and [Path(f).name for f in tracker["Lee Wu"]["other_files"]] == \
        ["Lee Wu.xlsx"] and sheet["Lee Wu"]["Other copies (not used)"] == "Lee Wu.xlsx"
    for lead, why in (("Ann Lee", "corrupt"), ("Pat Young", "tab 'Pat Young' is missing"), ("Zoe Hart", "not a workbook")):
        assert why in tracker[lead]["unreadable"] and tracker[lead]["unreadable"] == sheet[lead]["Could not be used because"]
        assert tracker[lead]["unreadable"].startswith(f"{Path(tracker[lead]['file']).name} could not be read (")
    assert {Path(s["file"]).name for s in q.tracker["skipped"]} == {"Kim Ray 2008.xlsx"}
    # the Word report says what the sheet says
    from docx import Document

    from planbook.rollup.tracker import returns_sentence
    from planbook.word.report import render_report

    text = "\n".join(p.text for p in Document(str(render_report(q.out, tmp_path / "r.docx"))).paragraphs)
    unusable = [r["Lead"] for r in q.returns_sheet if r["Could not be used because"]]
    said = returns_sentence([(r["Lead"], r["Return"]) for r in q.returns_sheet], RETURN_BY_FAMILY, unusable)
    assert said in text
    # a return that could not be used is not counted as returned: said as such, and only so
    returned = int(said.split(" of ")[0])
    assert returned == sum(1 for r in q.returns_sheet if r["Return"] in ("returned", "returned with errors",
                                                                           "returned, nothing updated")
                           and not r["Could not be used because"])
    assert "could not be used" in said and all(lead in said for lead in unusable)
    assert not any(lead in said.split(";", 1)[1].split("could not be used")[1] for lead in unusable)
    # the command line's own words: updated of the total, added apart
    out = run_cli("returns", q.plan, q.returns, "--return-by", "2009-10-31")
    assert "  3/3   updated (+2 added)" in out.stdout and "Ann Lee.xlsx could not be read (" in out.stdout


RETURN_BY_FAMILY = dt.date(2009, 10, 31)


def test_receipts_read_the_consolidation_once_and_chase_reads_the_master_once(quarter, monkeypatch):
    """Each workbook a run needs is read (and checked: zip, far cells) once, and what was read
    is passed on: receipts take every sheet they need from one reading of the consolidation;
    chase takes the plan's details, the tracker and the fresh copies from one reading of the master."""
    from collections import Counter

    import planbook.files.opening as opening

    cons = quarter["tmp"] / "consolidated.xlsx"
    consolidate_to([quarter["returns"], quarter["plan"]], cons, return_by=RETURN_BY)
    reads: Counter = Counter()
    real = opening.check_input_file
    monkeypatch.setattr(opening, "check_input_file", lambda path, what: reads.update([Path(path).name]) or real(path, what))
    run = receipts(cons, dry_run=True)
    assert len(run.messages) == 3 and reads == {"consolidated.xlsx": 1}
    reads.clear()
    run = chase(quarter["plan"], quarter["returns"], return_by=RETURN_BY, dry_run=True)  # fresh copies: from the master
    assert {m.attachments[0].name for m in run.messages if m.leads == ["Ann Lee"]} == {"Ann Lee.xlsx"}
    assert reads["plan.xlsx"] == 1
