"""Leads' mail that agrees with itself (issue 22): a reminder and a receipt about the same return
say the same thing, in the same words, through a real SMTP server.

The family, built in code from one plan whose master carries what an import leaves behind (a
due phrase planbook cannot read, a status word from the source) on every lead's tab:

* Jane returns a clean update (statuses changed, the leftovers left alone);
* Raj types an unknown status and a bad Last updated date;
* Omar returns late, clean; Kim returns late with an error;
* Ann adds a row with a Ref of her own; Lee adds two rows without a Ref;
* Sam sends his copy back untouched; Pat corrects one leftover and changes the other to
  another phrase planbook cannot read; Zoe does not return.

For each lead the reminder (``chase``) and the receipt (``receipts``) are sent to aiosmtpd on
127.0.0.1, parsed back, and compared: the same state sentence, the same problems in the same
words, the same thing to do; the receipt lists only what the lead typed (never the master's
leftovers) and what they changed against the copy they were sent; what a lead typed is escaped
in the HTML part.
"""
from __future__ import annotations

import datetime as dt
import email
import html
import os
import re
import shutil
from email import policy

import pytest
from aiosmtpd.controller import Controller

from planbook import Action, Lead, PlanInfo, parse_due, write_plan
from planbook.core.refs import next_free_ref, next_in_section, section_for
from planbook.mail.chasing import chase, receipts
from planbook.mail.transport import SmtpSettings
from planbook.rollup.pipeline import consolidate_to
from planbook.workbook.split import split_plan

from .returns_family import Quarter, lead_types
from .test_email import Recorder, _free_port

NAMES = ["Jane Smith", "Raj Patel", "Omar Khan", "Kim Ray", "Ann Lee", "Lee Wu", "Sam Cole", "Pat Young", "Zoe Hart"]
LEADS = [Lead(n, f"{n.split()[0].lower()}@example.org") for n in NAMES]
RETURN_BY = dt.date(2009, 10, 31)
ON_TIME = dt.datetime(2009, 10, 20, 12, 0).timestamp()
LATE = dt.datetime(2009, 11, 6, 12, 0).timestamp()
#: What the import left in every lead's tab: a due phrase not understood, a status word from the source.
LEFT_DUE = "When the panel next sits"
LEFT_STATUS = "Awaiting panel"
TYPED = "Done & dusted <b>AT&T</b> {{ 7*7 }}"  # what a lead typed, to be escaped in HTML, never run
KIM = "Done <i>ish</i> & {{ 7*7 }}"


def _plan_actions() -> list[Action]:
    out = []
    for i, lead in enumerate(LEADS, start=1):
        out.append(Action(f"{i}.1", f"{lead.name}'s first action", lead.name, theme="Staying Safe",
                          due=parse_due(LEFT_DUE), status="On track", progress="Last quarter's note",
                          last_updated=dt.date(2009, 6, 30)))
        out.append(Action(f"{i}.2", f"{lead.name}'s second action", lead.name, theme="Staying Safe",
                          status=None, status_text=LEFT_STATUS, progress="", last_updated=dt.date(2009, 6, 30)))
        out.append(Action(f"{i}.3", f"{lead.name}'s third action", lead.name, theme="Staying Safe",
                          due=parse_due("March 2010"), status="Not started", last_updated=dt.date(2009, 6, 30)))
    return out


def _ref(name: str, k: int) -> str:
    return f"{NAMES.index(name) + 1}.{k}"


@pytest.fixture(scope="module")
def family(tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("leads-mail")
    info = PlanInfo(title="Children's plan & <partners>", period="Q2 2009/10", leads=list(LEADS),
                    themes=["Staying Safe"], coordinator="Pat Coordinator", coordinator_email="pat@example.org")
    plan = tmp / "plan.xlsx"
    write_plan(plan, info, _plan_actions())
    copies, returns = tmp / "copies", tmp / "returns"
    split_plan(plan, copies)
    returns.mkdir()
    q = Quarter(tmp, plan, copies, returns)
    day = dt.datetime(2009, 10, 15)

    def back(name: str, when: float = ON_TIME, **kw) -> None:
        dest = returns / f"{name}.xlsx"
        lead_types(q, copies / f"{name}.xlsx", dest, **kw)
        os.utime(dest, (when, when))

    back("Jane Smith", edits={_ref("Jane Smith", 1): {"Status": "Slippage", "Progress update": TYPED,
                                                      "Last updated": day},
                              _ref("Jane Smith", 3): {"Status": "Complete", "Last updated": day}})
    back("Raj Patel", edits={_ref("Raj Patel", 1): {"Status": "on-trak", "Last updated": day},
                             _ref("Raj Patel", 3): {"Status": "Slippage", "Last updated": "next week"}})
    back("Omar Khan", LATE, edits={_ref("Omar Khan", 3): {"Status": "On track", "Last updated": dt.datetime(2009, 11, 5)}})
    back("Kim Ray", LATE, edits={_ref("Kim Ray", 3): {"Status": KIM, "Last updated": dt.datetime(2009, 11, 5)}})
    back("Ann Lee", new_rows=[{"Ref": "5.9", "Action": "Ann's own <new> action", "Lead": "Ann Lee",
                               "Theme": "Staying Safe", "Status": "On track", "Last updated": day}])
    back("Lee Wu", new_rows=[{"Action": "Run a summer reading scheme <script>alert(1)</script>", "Lead": "Lee Wu",
                              "Theme": "Staying Safe", "Status": "Not started", "Last updated": day},
                             {"Action": "Open a homework club", "Lead": "Lee Wu", "Theme": "Staying Safe",
                              "Status": "Not started", "Last updated": day}])
    shutil.copy(copies / "Sam Cole.xlsx", returns / "Sam Cole.xlsx")  # back as it was sent
    back("Pat Young", edits={_ref("Pat Young", 1): {"Due": "31/03/2010", "Last updated": day},
                             _ref("Pat Young", 2): {"Status": "Overdue-ish", "Last updated": day}})
    cons = tmp / "consolidated.xlsx"
    result = consolidate_to([plan, returns], cons, today=dt.date(2009, 11, 9), return_by=RETURN_BY)
    mails: dict[str, dict[str, email.message.EmailMessage]] = {"reminder": {}, "receipt": {}}
    for kind, run in (("reminder", lambda s: chase(plan, returns, return_by=RETURN_BY, smtp=s, copies_dir=copies)),
                      ("receipt", lambda s: receipts(cons, smtp=s))):
        handler = Recorder()
        controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
        controller.start()
        try:
            run(SmtpSettings("127.0.0.1", controller.port))
        finally:
            controller.stop()
        for env in handler.envelopes:
            msg = email.message_from_bytes(env.original_content, policy=policy.default)
            [to] = msg["To"].addresses
            lead = next(n for n in NAMES if to.addr_spec.startswith(n.split()[0].lower() + "@"))
            assert lead not in mails[kind], f"two {kind}s to {lead}"
            mails[kind][lead] = msg
    if os.environ.get("LEADS_MAIL_DUMP"):  # to read the mails as a lead does
        for kind, by_lead in mails.items():
            for lead, msg in by_lead.items():
                print(f"==== {kind} to {lead}: {msg['Subject']}\n{_text(msg)}")
    return {"result": result, "mails": mails, "cons": cons, "plan": plan}


def _text(msg) -> str:
    return msg.get_body(("plain",)).get_content().replace("\r\n", "\n")


def _html(msg) -> str:
    return msg.get_body(("html",)).get_content().replace("\r\n", "\n")


def _note(text: str) -> tuple[str, list[str], str]:
    """(what it says, the problems listed, what to do) from a reminder's or a receipt's text."""
    blocks = text.split("\n\n")
    says = blocks[1].strip()
    problems, rest = [], blocks[2:]
    if rest and rest[0].startswith("  - "):
        problems, rest = [line[4:] for line in rest[0].splitlines()], rest[1:]
    fix = rest[0].strip() if rest and rest[0].startswith("Please") else ""
    return says, problems, fix


def _html_note(page: str) -> tuple[str, list[str]]:
    paras = re.findall(r"<p>(.*?)</p>", page, re.S)
    items = re.findall(r"<li>(.*?)</li>", page.split("<p>", 3)[2].split("</ul>")[0], re.S) if "<ul>" in page else []
    return html.unescape(paras[1]), [html.unescape(i) for i in items]


def test_who_gets_what(family):
    mails = family["mails"]
    assert set(mails["receipt"]) == set(NAMES) - {"Zoe Hart"}  # every lead whose return was used
    # chased: not returned, untouched, and every return with errors of the lead's own
    assert set(mails["reminder"]) == {"Zoe Hart", "Sam Cole", "Raj Patel", "Kim Ray", "Lee Wu", "Pat Young"}
    states = {r.lead: r.state for r in family["result"].returns}
    assert states == {"Jane Smith": "returned", "Raj Patel": "returned with errors", "Omar Khan": "late",
                      "Kim Ray": "late", "Ann Lee": "returned", "Lee Wu": "returned with errors",
                      "Sam Cole": "returned, nothing updated", "Pat Young": "returned with errors",
                      "Zoe Hart": "not returned"}


@pytest.mark.parametrize("lead", [n for n in NAMES if n != "Zoe Hart"])
def test_the_reminder_and_the_receipt_for_one_return_say_the_same(family, lead):
    receipt = family["mails"]["receipt"][lead]
    says, problems, fix = _note(_text(receipt))
    row = next(r for r in family["result"].returns if r.lead == lead)
    assert len(problems) == row.error_count  # the Returns sheet's count, listed one by one
    if lead in family["mails"]["reminder"]:
        c_says, c_problems, c_fix = _note(_text(family["mails"]["reminder"][lead]))
        assert (c_says, c_problems) == (says, problems)
        assert c_fix.startswith(fix) and fix
    if row.error_count:
        assert "has been received and counted in the consolidated report" in says
        assert fix == "Please correct these cells in your return, save it and send it back by replying to this message."
    for msg in [receipt, *([family["mails"]["reminder"][lead]] if lead in family["mails"]["reminder"] else [])]:
        h_says, h_items = _html_note(_html(msg))
        assert h_says == says and h_items[:len(problems)] == problems  # the HTML part says it too


def test_errors_are_counted_and_named_with_what_to_type(family):
    says, problems, _ = _note(_text(family["mails"]["receipt"]["Raj Patel"]))
    assert says.startswith("Your update to the Children's plan & <partners> for Q2 2009/10 has been received and "
                           "counted in the consolidated report, as you typed it. 1 cell needs correcting")
    assert problems == ["Status in J2 is 'on-trak': choose one of Complete, On track, Slippage, Off track, "
                        "Not started from the list"]
    says, problems, _ = _note(_text(family["mails"]["reminder"]["Kim Ray"]))
    assert "It arrived after the return date (31 October 2009)." in says and len(problems) == 1
    assert "cannot be counted" not in _text(family["mails"]["reminder"]["Raj Patel"])


def test_a_new_row_without_a_ref_is_named_and_given_the_next_free_ref(family):
    _, problems, _ = _note(_text(family["mails"]["reminder"]["Lee Wu"]))
    taken = {a.ref for a in family["result"].actions if a.ref}
    assert problems == [
        "A5: Ref is empty for the action 'Run a summer reading scheme <script>alert(1)</script>': give it Ref 6.4, "
        "the next free number",
        "A6: Ref is empty for the action 'Open a homework club': give it Ref 6.5, the next free number"]
    assert not {"6.4", "6.5"} & taken
    page = _html(family["mails"]["reminder"]["Lee Wu"])
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_a_receipt_lists_only_what_the_lead_typed(family):
    for lead, msg in family["mails"]["receipt"].items():
        text = _text(msg)
        _, problems, _ = _note(text)
        assert not [p for p in problems if LEFT_DUE in p or LEFT_STATUS in p], lead  # the plan's, not theirs
        if lead != "Pat Young":  # Pat changed the due: what it was is a change he made, not a problem
            assert LEFT_DUE not in text and LEFT_STATUS not in text, lead
    # the plan's leftovers are still listed for the coordinator, against the plan's own cells
    left = [f for f in family["result"].report if f.value in (LEFT_DUE, LEFT_STATUS)]
    assert left and {f.file for f in left} == {"plan.xlsx"}
    assert all("the plan's to fix" in f.outcome for f in left if f.sheet != "Zoe Hart")
    # what Pat typed over a leftover is his: another phrase planbook cannot read
    pat = _text(family["mails"]["receipt"]["Pat Young"])
    assert "Status in J3 is 'Overdue-ish'" in pat
    assert f"  - 8.1: Due date moved (was {LEFT_DUE}, now 31/03/2010)" in pat


def test_a_receipt_says_what_changed_against_the_copy_sent(family):
    jane = _text(family["mails"]["receipt"]["Jane Smith"])
    assert "What you changed in the copy you were sent:" in jane and "Nothing was changed" not in jane
    assert "  - 1.1: Status worse (was On track, now Slippage)" in jane
    assert "  - 1.3: Status better (was Not started, now Complete)" in jane
    assert "  - 1.1: Commentary updated" in jane
    ann = _text(family["mails"]["receipt"]["Ann Lee"])
    assert "  - 5.9: New action 'Ann's own <new> action'" in ann and "No problems were found in your return." in ann
    lee = _text(family["mails"]["receipt"]["Lee Wu"])
    assert "  - New row: New action 'Open a homework club'" in lee
    sam = _text(family["mails"]["receipt"]["Sam Cole"])
    assert "Nothing was changed in the copy you were sent." in sam and "has no updates yet" in sam
    assert "received and counted" not in sam


def test_what_a_lead_typed_is_escaped_in_html_and_kept_in_text(family):
    for kind in ("receipt", "reminder"):
        kim = family["mails"][kind]["Kim Ray"]
        assert f"Status in J4 is '{KIM}'" in _text(kim)  # as typed, never run as a template
        page = _html(kim)
        assert html.escape(KIM, quote=False) in page and "<i>ish</i>" not in page and "49" not in page
        assert "Children&#39;s plan &amp; &lt;partners&gt;" in page
        lee = _html(family["mails"][kind]["Lee Wu"])
        assert "<script>" not in lee and "&lt;script&gt;alert(1)&lt;/script&gt;" in lee
    assert "Ann&#39;s own &lt;new&gt; action" in _html(family["mails"]["receipt"]["Ann Lee"])


def test_the_next_free_ref_is_one_rule():
    from planbook import Action

    plan = [Action("1.1", "Audit", "Jane", theme="Healthy", objective="Eat well"),
            Action("1.2", "Survey", "Jane", theme="Healthy"), Action("2.1", "Train", "Raj", theme="Safe"),
            Action("A19", "Review", "Kim", theme="Safe", objective="Staff")]
    assert section_for(Action("", "Cook", "Ann", theme="Safe", objective="Eat well"), plan) == "1."  # its objective
    assert section_for(Action("", "Plan", "Jane", theme="Healthy"), plan) == "1."  # the lead's, in the theme
    assert section_for(Action("", "Plan", "Ann", theme="Safe"), plan) in ("2.", "A")  # the theme's
    assert section_for(Action("", "Plan", "Ann", theme="Other"), plan) == "N"
    assert next_in_section("1.", {"1.1", "1.2", "1.4", "2.1"}) == "1.5"
    assert next_in_section("A", {"a1", "a19"}) == "A20" and next_in_section("N", set()) == "N1"
    assert next_free_ref("2.", ["2.1", "2.2"], 1) == "2.3"
    from planbook.legacy.refs import RefMaker

    maker = RefMaker({"1.1", "1.2"})
    maker.seen("1.2")
    assert maker.next_in("1") == "1.3" and maker.next_in("1") == "1.4"


def test_without_the_master_a_receipt_claims_no_changes_it_cannot_know(family, tmp_path):
    """Returns rolled up without the master: nothing to compare with, so the receipt says
    neither what changed nor that nothing did."""
    cons = tmp_path / "returns-only.xlsx"
    consolidate_to([family["plan"].parent / "returns"], cons, today=dt.date(2009, 11, 9))
    run = receipts(cons, plan=family["plan"], dry_run=True)
    texts = {m.leads[0]: _text(m.message) for m in run.messages}
    assert texts and all("Nothing was changed" not in t and "What you changed" not in t for t in texts.values())


def test_the_next_quarter_does_not_repeat_the_plans_problems(family, tmp_path):
    """Next quarter, from the same plan (as the docs run it, with --previous): the leftovers are
    still the plan's, listed against its cells, never in a receipt or a reminder."""
    plan = family["plan"]
    q = Quarter(tmp_path, plan, plan.parent / "copies", tmp_path / "q3")
    lead_types(q, q.copies / "Raj Patel.xlsx", q.returns / "Raj Patel.xlsx",
               edits={_ref("Raj Patel", 1): {"Status": "Complete", "Last updated": dt.datetime(2010, 1, 10)}})
    cons = tmp_path / "q3.xlsx"
    result = consolidate_to([plan, q.returns], cons, previous=family["cons"], today=dt.date(2010, 1, 20),
                            period="Q3 2009/10")
    [raj] = [r for r in result.returns if r.lead == "Raj Patel"]
    assert raj.state == "returned" and raj.error_count == 0
    [msg] = [m for m in receipts(cons, dry_run=True).messages if m.leads == ["Raj Patel"]]
    text = _text(msg.message)
    assert LEFT_DUE not in text and LEFT_STATUS not in text and "No problems were found in your return." in text
    assert "  - 2.1: Status better (was On track, now Complete)" in text
    assert {f.file for f in result.report if f.value in (LEFT_DUE, LEFT_STATUS)} == {"plan.xlsx"}
    assert "Raj Patel" not in {lead for m in chase(plan, q.returns, dry_run=True).messages for lead in m.leads}


def test_a_lead_with_no_actions_is_told_so_and_never_reminded(tmp_path):
    """Kim Ray handed over her only action: her request says there is nothing to update (not
    "for each action choose a Status"), and a chase reminds only leads with actions, or a return."""
    from email import message_from_bytes, policy

    from planbook import Lead, request_updates
    from planbook.mail.chasing import chase
    from planbook.workbook.writer import write_plan

    from .conftest import small_plan

    info, actions = small_plan()
    info.leads.append(Lead("Kim Ray", "kim@example.org"))
    plan = tmp_path / "plan.xlsx"
    write_plan(plan, info, actions)
    requests, missing = request_updates(plan, tmp_path / "out", save_dir=tmp_path / "mail",
                                        return_by=dt.date(2009, 10, 2))
    texts = {r.lead: message_from_bytes(r.eml.read_bytes(), policy=policy.default).get_body(("plain",)).get_content()
             for r in requests}
    assert "nothing to update" in texts["Kim Ray"] and "For each action" not in texts["Kim Ray"]
    assert "For each action choose a Status" in texts["Jane Smith"] and "nothing to update" not in texts["Jane Smith"]
    (tmp_path / "returns").mkdir()
    run = chase(plan, tmp_path / "returns", save_dir=tmp_path / "reminders", copies_dir=tmp_path / "out")
    reminded = {lead for m in run.messages for lead in m.leads}
    assert reminded == {"Jane Smith", "DD Achievement"}


def test_a_lead_whose_actions_are_all_finished_returns_with_nothing_to_update(tmp_path):
    """Kim Ray's only action was Complete when sent: her copy back as sent is a return (no
    "returned no updates", no reminder, a receipt that does not ask her to update it); Jane's
    copy back as sent, with unfinished actions, is still "nothing updated" and reminded."""
    from email import message_from_bytes

    from planbook import receipts, track_returns
    from planbook.rollup.tracker import RETURNED, UNCHANGED

    from .conftest import small_plan

    info, actions = small_plan()
    info.leads.append(Lead("Kim Ray", "kim@example.org"))
    actions.append(Action("3.1", "Finished work", "Kim Ray", theme=actions[0].theme, status="Complete",
                          progress="Done in June.", last_updated=dt.date(2009, 6, 20)))
    for a in actions:
        if a.lead == "Jane Smith":
            a.last_updated = dt.date(2009, 3, 31)  # last updated before this period
    plan = tmp_path / "plan.xlsx"
    write_plan(plan, info, actions)
    split_plan(plan, tmp_path / "out")
    (tmp_path / "returns").mkdir()
    for lead in ("Kim Ray", "Jane Smith"):  # both sent back as they came
        shutil.copy(tmp_path / "out" / f"{lead}.xlsx", tmp_path / "returns")
    states = {r.lead: r.state for r in track_returns(plan, tmp_path / "returns").leads}
    assert (states["Kim Ray"], states["Jane Smith"]) == (RETURNED, UNCHANGED)
    run = chase(plan, tmp_path / "returns", save_dir=tmp_path / "reminders", copies_dir=tmp_path / "out")
    assert "Kim Ray" not in {lead for m in run.messages for lead in m.leads}
    assert "Jane Smith" in {lead for m in run.messages for lead in m.leads}
    consolidate_to([plan, tmp_path / "returns"], tmp_path / "c.xlsx", today=dt.date(2009, 10, 9))
    sent = receipts(tmp_path / "c.xlsx", save_dir=tmp_path / "receipts")
    kim = next(m for m in sent.messages if "Kim Ray" in m.leads)
    body = message_from_bytes(kim.eml.read_bytes(), policy=policy.default).get_body(("plain",)).get_content()
    assert "no updates yet" not in body and "update it and send it back" not in body.lower()


def test_a_lead_name_typed_over_two_lines_is_greeted_on_one(tmp_path):
    """A lead's name on the Lists sheet with Alt+Enter in it ("Kim⏎Ray"): the request, the
    reminder and the receipt all say "Dear Kim Ray," (the receipt put "Ray," on a line of its own)."""
    from email import message_from_bytes

    from planbook import receipts

    from .conftest import small_plan

    info, actions = small_plan()
    info.leads.append(Lead("Kim\nRay", "kim@example.org"))
    actions.append(Action("3.1", "Some work", "Kim\nRay", theme=actions[0].theme, status="On track",
                          progress="Started", last_updated=dt.date(2009, 3, 1)))
    plan = tmp_path / "plan.xlsx"
    write_plan(plan, info, actions)
    copies = {c.lead: c.path for c in split_plan(plan, tmp_path / "out")}
    (tmp_path / "returns").mkdir()
    shutil.copy(copies["Kim\nRay"], tmp_path / "returns")
    consolidate_to([plan, tmp_path / "returns"], tmp_path / "c.xlsx", today=dt.date(2009, 10, 9))

    def body(path) -> str:
        return message_from_bytes(path.read_bytes(), policy=policy.default).get_body(("plain",)).get_content()

    sent = [m.eml for m in receipts(tmp_path / "c.xlsx", save_dir=tmp_path / "receipts").messages if "Kim Ray" in m.leads]
    sent += [m.eml for m in chase(plan, tmp_path / "returns", save_dir=tmp_path / "reminders",
                                  copies_dir=tmp_path / "out").messages if "Kim Ray" in m.leads]
    assert len(sent) == 2 and all(body(p).startswith("Dear Kim Ray,\n") for p in sent)


def test_what_is_shown_for_an_untouched_row_is_the_plans_entry_not_last_quarters(family):
    """In a plan's first quarter there is no last quarter: a row left out of a return, or a copy
    sent back untouched, shows the plan's entry as sent, and the receipt and reminder say so."""
    texts = [_text(msg) for kind in ("receipt", "reminder") for msg in family["mails"][kind].values()]
    said = [t for t in texts if "as sent to you) is shown" in t or "as sent to you) are shown" in t]
    assert said and not [t for t in texts if "last quarter's entry" in t or "last period's entries" in t]
