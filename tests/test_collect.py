"""Collecting returns from email: a real IMAP server (dovecot on 127.0.0.1, started here) holding
messages built in code, the same messages saved as .eml files, and Outlook .msg files.

The quarter's mail: Jane returns late (after the return-by date), DD Achievement sends two
different copies, Omar replies with his copy unchanged, Ann's attachment is named
``../../x.xlsx``, Raj's is a zip bomb, a stranger sends a copy of Jane's workbook, DD sends a
.docx, Omar writes without an attachment, the coordinator's own request sits in the inbox, and
Jane's message arrives twice (re-sent, the same Message-ID) and once more as a new message
carrying the same file.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import imaplib
import io
import json
import os
import shutil
import struct
import tempfile
import time
from email.message import EmailMessage
from email.utils import format_datetime
from itertools import count
from pathlib import Path

import pytest

from planbook import Action, Lead, PlanInfo, read_plan, write_plan
from planbook.core.errors import MailboxError
from planbook.mail.collect import collect_returns
from planbook.mail.imap import ImapSettings, quote_folder
from planbook.rollup import arrivals
from planbook.rollup.pipeline import consolidate_to
from planbook.rollup.pipeline import track_returns
from planbook.rollup.tracker import LATE, NOT_RETURNED, RETURNED, UNCHANGED, WITH_ERRORS
from planbook.workbook.split import split_plan

from .conftest import run_cli
from .hostile import zip_with_bomb
from .imap_server import Dovecot

RETURN_BY = dt.date(2009, 10, 1)
LEADS = [Lead("Jane Smith", "jane.smith@example.org"), Lead("DD Achievement", "dd@example.org"),
         Lead("Omar Khan", "omar@example.org"), Lead("Ann Lee", "ann@example.org"), Lead("Raj Patel", "raj@example.org"),
         Lead("Kim Ray", "kim@example.org")]
_users = count(1)


def _local(*args) -> dt.datetime:
    """A local time with its offset: shown back as the same wall-clock time."""
    return dt.datetime(*args).astimezone()


@pytest.fixture(scope="session")
def dovecot():
    server = Dovecot()
    try:
        yield server
    finally:
        server.stop()


def _copy(copies: Path, lead: str, status: str | None, note: str, updated: dt.date | None, out: Path) -> bytes:
    """The lead's split copy, with their first action updated (or as it was sent, when status is None)."""
    shutil.copy(copies / f"{lead}.xlsx", out)
    if status is not None:
        copy = read_plan(out)
        first = copy.actions[0]
        first.status, first.status_text, first.progress, first.last_updated = status, status, note, updated
        write_plan(out, copy.info, copy.actions, only_leads=list(copy.tabs.values()), role="lead-copy")
    return out.read_bytes()


def _message(sender: str, subject: str, when: dt.datetime, attachments=(), *, mid: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "Pat Coordinator <pat@example.org>"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(when - dt.timedelta(minutes=3))
    msg["Message-ID"] = mid
    msg["Received"] = f"from mx.example.org by mail.council.example; {format_datetime(when)}"
    msg.set_content("Please find my update attached.")
    for name, data, ctype in attachments:
        maintype, subtype = ctype.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def quarter(tmp_path: Path) -> dict:
    info = PlanInfo(title="Youth plan", period="Q2 2009/10", leads=LEADS, themes=["Staying Safe"],
                    coordinator="Pat Coordinator", coordinator_email="pat@example.org")
    actions = [Action(f"1.{i}", f"Action of {lead.name}", lead.name, theme="Staying Safe", status="On track",
                      progress="Last quarter's note", last_updated=dt.date(2009, 6, 1))
               for i, lead in enumerate(LEADS, start=1)]
    plan = tmp_path / "plan.xlsx"
    write_plan(plan, info, actions)
    copies = tmp_path / "copies"
    split_plan(plan, copies)
    work = tmp_path / "work"
    work.mkdir()
    jane = _copy(copies, "Jane Smith", "Complete", "Done", dt.date(2009, 10, 2), work / "j.xlsx")
    dd_first = _copy(copies, "DD Achievement", "Slippage", "First go", dt.date(2009, 9, 20), work / "d1.xlsx")
    dd_second = _copy(copies, "DD Achievement", "On track", "Second go", dt.date(2009, 9, 29), work / "d2.xlsx")
    omar = _copy(copies, "Omar Khan", None, "", None, work / "o.xlsx")  # the copy as it was sent out
    ann = _copy(copies, "Ann Lee", "Complete", "Finished", dt.date(2009, 9, 25), work / "a.xlsx")
    stranger = _copy(copies, "Jane Smith", "Off track", "Not Jane", dt.date(2009, 9, 30), work / "s.xlsx")
    member = "xl/worksheets/sheet1.xml"
    bomb = zip_with_bomb(copies / "Raj Patel.xlsx", work / "bomb.xlsx", member, 1100 << 20).read_bytes()
    docx = b"PK\x03\x04 a Word document, not a workbook"
    jane_msg = _message("Jane Smith <jane.smith@example.org>", "RE: Youth plan: your update", _local(2009, 10, 2, 10, 14),
                        [("Action plan.xlsx", jane, XLSX)], mid="<jane-1@example.org>")
    messages = [
        ("jane", jane_msg),
        ("dd-1", _message("dd@example.org", "update", _local(2009, 9, 21, 9, 0), [("Action plan.xlsx", dd_first, XLSX)],
                          mid="<dd-1@example.org>")),
        ("dd-2", _message("dd@example.org", "update v2", _local(2009, 9, 30, 16, 30),
                          [("Action plan.xlsx", dd_second, XLSX), ("notes.docx", docx,
                           "application/vnd.openxmlformats-officedocument.wordprocessingml.document")],
                          mid="<dd-2@example.org>")),
        ("omar", _message("omar@example.org", "Re: Youth plan: your update", _local(2009, 9, 28, 8, 5),
                          [("Omar Khan.xlsx", omar, XLSX)], mid="<omar-1@example.org>")),
        ("omar-note", _message("omar@example.org", "Will send next week", _local(2009, 9, 29, 8, 0), [],
                               mid="<omar-2@example.org>")),
        ("ann", _message("ann@example.org", "done", _local(2009, 9, 26, 12, 0), [("../../x.xlsx", ann, XLSX)],
                         mid="<ann-1@example.org>")),
        ("raj", _message("raj@example.org", "here", _local(2009, 9, 27, 12, 0), [("update.xlsx", bomb, XLSX)],
                         mid="<raj-1@example.org>")),
        ("stranger", _message("someone@elsewhere.example", "=HYPERLINK(\"http://x\")", _local(2009, 9, 27, 13, 0),
                              [("Action plan.xlsx", stranger, XLSX)], mid="<s-1@elsewhere.example>")),
        ("coordinator", _message("pat@example.org", "Youth plan: your update", _local(2009, 9, 1, 9, 0),
                                 [("Ann Lee.xlsx", (copies / "Ann Lee.xlsx").read_bytes(), XLSX)],
                                 mid="<request-ann@example.org>")),
        ("jane-again", jane_msg),  # the same message delivered twice
        ("jane-resent", _message("jane.smith@example.org", "Did you get this?", _local(2009, 10, 3, 9, 0),
                                 [("Action plan.xlsx", jane, XLSX)], mid="<jane-2@example.org>")),
    ]
    return {"plan": plan, "copies": copies, "returns": tmp_path / "returns", "tmp": tmp_path, "messages": messages,
            "bytes": {"jane": jane, "dd1": dd_first, "dd2": dd_second, "omar": omar, "ann": ann, "stranger": stranger,
                      "bomb": bomb}}


def _fill(dovecot: Dovecot, messages) -> tuple[str, str]:
    user, password = f"coordinator{next(_users)}", "pw-" + os.urandom(4).hex()
    dovecot.add_user(user, password)
    box = dovecot.connect(user, password)
    for _, msg in messages:
        received = dt.datetime.strptime(msg["Received"].rpartition(";")[2].strip(), "%a, %d %b %Y %H:%M:%S %z")
        typ, _ = box.append("INBOX", None, imaplib.Time2Internaldate(received.timestamp()), msg.as_bytes())
        assert typ == "OK"
    box.logout()
    return user, password


def _mailbox(dovecot: Dovecot, user: str, password: str) -> dict:
    """Every folder's messages: (UID, flags), and how many — to show nothing was changed."""
    box = dovecot.connect(user, password)
    state = {}
    _, folders = box.list()
    for line in folders:
        name = line.decode().rsplit(' "/" ', 1)[1].strip('"')
        box.select(f'"{name}"', readonly=True)
        _, data = box.uid("FETCH", "1:*", "(FLAGS)")
        state[name] = sorted(d.decode() for d in data if d)
    box.logout()
    return state


def _settings(dovecot: Dovecot, user: str, **kw) -> ImapSettings:
    return ImapSettings(host="127.0.0.1", port=dovecot.imaps_port, user=user, cafile=str(dovecot.cafile), **kw)


def _cli_imap(dovecot: Dovecot, user: str) -> list[str]:
    return ["--imap-host", "127.0.0.1", "--imap-port", str(dovecot.imaps_port), "--imap-user", user,
            "--imap-cafile", str(dovecot.cafile)]


def _files(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (relative path -> sha256), the log left out."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != arrivals.COLLECT_LOG}


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _expected(q: dict) -> dict[str, str]:
    b = q["bytes"]
    return {"Jane Smith.xlsx": _sha(b["jane"]), "DD Achievement.xlsx": _sha(b["dd1"]),
            "DD Achievement-2.xlsx": _sha(b["dd2"]), "Omar Khan.xlsx": _sha(b["omar"]), "Ann Lee.xlsx": _sha(b["ann"]),
            "Raj Patel.xlsx": _sha(b["bomb"]),
            "Set aside/someone-elsewhere.example Action plan.xlsx": _sha(b["stranger"])}


def _check_quarter(q: dict, run) -> None:
    """What the quarter's mail leaves in the returns folder, the log and the tracker."""
    returns = q["returns"]
    assert _files(returns) == _expected(q)
    assert not list(q["tmp"].rglob("x.xlsx")) and not (returns.parent.parent / "x.xlsx").exists()
    outcome = {(a.sender, a.attachment, a.subject): (a.outcome, a.saved_as) for a in run.arrivals}
    assert outcome[("ann@example.org", "../../x.xlsx", "done")] == (arrivals.SAVED, "Ann Lee.xlsx")
    assert outcome[("dd@example.org", "notes.docx", "update v2")] == (arrivals.NOT_A_WORKBOOK, "")
    assert outcome[("omar@example.org", "", "Will send next week")] == (arrivals.NO_ATTACHMENT, "")
    assert outcome[("pat@example.org", "Ann Lee.xlsx", "Youth plan: your update")] == (arrivals.NOT_SAVED, "")
    assert outcome[("jane.smith@example.org", "Action plan.xlsx", "Did you get this?")] == (arrivals.SAME_FILE,
                                                                                         "Jane Smith.xlsx")
    stranger = next(a for a in run.arrivals if a.sender == "someone@elsewhere.example")
    assert stranger.outcome == arrivals.SET_ASIDE_OUTCOME and "not a lead" in stranger.note and "Jane Smith's copy" in stranger.note
    raj = next(a for a in run.arrivals if a.sender == "raj@example.org")
    assert raj.outcome == arrivals.SAVED and "expands to more than" in raj.note and "a zip bomb" in raj.note
    omar = next(a for a in run.arrivals if a.attachment == "Omar Khan.xlsx")
    assert UNCHANGED in omar.note
    assert (run.already, run.repeated) == (0, 1)  # Jane's message, delivered twice, is collected once
    assert len(run.saved) == 6 and not run.problems
    log = arrivals.read_log(returns)
    jane = next(a for a in log if a.saved_as == "Jane Smith.xlsx")
    assert (jane.sender, jane.subject, jane.message_id, jane.attachment, jane.sha256) == (
        "jane.smith@example.org", "RE: Youth plan: your update", "<jane-1@example.org>", "Action plan.xlsx",
        _sha(q["bytes"]["jane"]))
    assert jane.describe() == "received from jane.smith@example.org on 2 Oct 2009 10:14"
    # the saved file's modified time is the time it was received: the merge rules order copies by it
    assert dt.datetime.fromtimestamp((returns / "Jane Smith.xlsx").stat().st_mtime) == dt.datetime(2009, 10, 2, 10, 14)
    tracker = track_returns(q["plan"], returns, return_by=RETURN_BY)
    states = {r.lead: r.state for r in tracker.leads}
    assert states == {"Jane Smith": LATE, "DD Achievement": RETURNED, "Omar Khan": UNCHANGED, "Ann Lee": RETURNED,
                      "Raj Patel": WITH_ERRORS, "Kim Ray": NOT_RETURNED}
    rows = {r.lead: r for r in tracker.leads}
    assert Path(rows["DD Achievement"].file).name == "DD Achievement-2.xlsx"  # the later copy: the merge rules chose
    assert rows["Jane Smith"].arrival == "received from jane.smith@example.org on 2 Oct 2009 10:14"
    assert "a zip bomb" in rows["Raj Patel"].unreadable and rows["Raj Patel"].sender == "raj@example.org"
    skipped = {Path(f).name: why for f, why in tracker.skipped}
    assert "set aside by planbook collect" in skipped["someone-elsewhere.example Action plan.xlsx"]
    assert arrivals.COLLECT_LOG not in skipped


def test_collect_from_an_imap_mailbox(dovecot, quarter):
    user, password = _fill(dovecot, quarter["messages"])
    before = _mailbox(dovecot, user, password)
    os.environ["PLANBOOK_IMAP_PASSWORD"] = password
    try:
        run = collect_returns(quarter["plan"], quarter["returns"], imap=_settings(dovecot, user))
    finally:
        del os.environ["PLANBOOK_IMAP_PASSWORD"]
    _check_quarter(quarter, run)
    assert _mailbox(dovecot, user, password) == before  # nothing read, flagged, moved or deleted
    assert all("\\Seen" not in line for line in before["INBOX"])

    # the CLI, a second time: nothing new is saved, the mailbox still unchanged
    saved = _files(quarter["returns"])
    env = {**os.environ, "PLANBOOK_IMAP_PASSWORD": password}
    again = run_cli("collect", quarter["plan"], quarter["returns"], *_cli_imap(dovecot, user), "--json", env=env)
    assert again.returncode == 0, again.stderr
    data = json.loads(again.stdout)
    assert data["saved"] == 0 and data["already_collected"] == len(quarter["messages"]) and data["arrivals"] == []
    assert _files(quarter["returns"]) == saved and _mailbox(dovecot, user, password) == before

    # what `planbook returns` and the consolidation's Returns and Sources sheets say
    text = run_cli("returns", quarter["plan"], quarter["returns"], "--return-by", "2009-10-01")
    assert text.returncode == 0, text.stderr
    assert "received from jane.smith@example.org on 2 Oct 2009 10:14" in text.stdout
    jane_line = next(line for line in text.stdout.splitlines() if "Jane Smith" in line and "xlsx" in line)
    assert jane_line.strip().startswith(LATE)
    assert "Omar Khan returned no updates" in text.stdout
    from python_calamine import CalamineWorkbook

    cons = quarter["tmp"] / "consolidated.xlsx"
    consolidate_to([quarter["returns"], quarter["plan"]], cons, return_by=RETURN_BY)
    book = CalamineWorkbook.from_path(str(cons))
    sheet = book.get_sheet_by_name("Returns").to_python()
    head = sheet[0]
    by_lead = {r[0]: dict(zip(head, r)) for r in sheet[1:]}
    assert by_lead["Jane Smith"]["Return"] == LATE
    assert by_lead["Jane Smith"]["Received"] == "received from jane.smith@example.org on 2 Oct 2009 10:14"
    assert by_lead["DD Achievement"]["Received"] == "received from dd@example.org on 30 Sep 2009 16:30"
    assert by_lead["Omar Khan"]["Return"] == UNCHANGED and by_lead["Kim Ray"]["Received"] == ""
    sources = book.get_sheet_by_name("Sources").to_python()
    rows = [dict(zip(sources[0], r)) for r in sources[1:]]
    [jane_src] = [r for r in rows if r["File"].endswith("Jane Smith.xlsx")]
    assert jane_src["Received"] == "received from jane.smith@example.org on 2 Oct 2009 10:14"
    aside = [r for r in rows if "Set aside" in r["File"]]
    assert len(aside) == 1 and "set aside by planbook collect" in aside[0]["Skipped because"]


def test_saved_eml_files_give_the_same_returns(quarter):
    eml = quarter["tmp"] / "saved"
    eml.mkdir()
    for i, (name, msg) in enumerate(quarter["messages"]):
        (eml / f"{i:02d} {name}.eml").write_bytes(msg.as_bytes())
    run = collect_returns(quarter["plan"], quarter["returns"], messages=eml)
    _check_quarter(quarter, run)
    result = run_cli("collect", quarter["plan"], quarter["returns"], "--messages", eml)
    assert result.returncode == 0, result.stderr
    assert "0 return(s) saved" in result.stdout and f"{len(quarter['messages'])} message(s) collected before" in result.stdout
    assert _files(quarter["returns"]) == _expected(quarter)


def test_the_cli_lists_what_arrived_and_what_was_not_saved(quarter):
    eml = quarter["tmp"] / "saved"
    eml.mkdir()
    for i, (name, msg) in enumerate(quarter["messages"]):
        (eml / f"{i:02d}.eml").write_bytes(msg.as_bytes())
    out = run_cli("collect", quarter["plan"], quarter["returns"], "--messages", eml)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith(f"Collected from {eml} into") and "6 return(s) saved, 1 set aside, 1 already saved" in lines[0]
    assert lines[0].endswith("0 message(s) collected before, 1 met twice in this run (the same message saved twice)")
    assert any("not a workbook" in line and "'notes.docx'" in line for line in lines)
    assert any("no attachment" in line and "Will send next week" in line for line in lines)
    assert any("set aside" in line and "someone@elsewhere.example" in line for line in lines)
    assert any("'../../x.xlsx' -> Ann Lee.xlsx" in line for line in lines)
    assert "Traceback" not in out.stderr


def _msg_file(path: Path, sender: str, subject: str, mid: str, when: dt.datetime, attachments) -> Path:
    """An Outlook .msg (MS-OXMSG) written with ms-cfb, another project's compound-file writer.
    ``attachments``: (name, bytes) for a file, (subject, [attachments]) for a message attached
    (Outlook's "forward as attachment": ATTACH_METHOD 5, the message a storage of its own), or
    (subject, (its sender, [attachments]))."""
    from ms_cfb.Models.Directories.root_directory import RootDirectory
    from ms_cfb.Models.Directories.storage_directory import StorageDirectory
    from ms_cfb.Models.Directories.stream_directory import StreamDirectory
    from ms_cfb.ole_file import OleFile

    ticks = int((when - dt.datetime(1601, 1, 1, tzinfo=dt.timezone.utc)).total_seconds() * 10_000_000)
    path = path.resolve()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp, n = Path(tmp_name), count()

        def stream(name: str, data: bytes):
            f = tmp / f"s{next(n)}"
            f.write_bytes(data)
            return StreamDirectory(name, str(f))

        def text(prop: int, value: str):
            return stream(f"__substg1.0_{prop:04X}001F", value.encode("utf-16-le"))

        root = RootDirectory()
        props = b"\0" * 8 + struct.pack("<IIII", 0, len(attachments), 0, len(attachments)) + b"\0" * 8
        props += struct.pack("<HHIQ", 0x0040, 0x0E06, 6, ticks) + struct.pack("<HHIQ", 0x0040, 0x0039, 6, ticks)
        root.add_directory(stream("__properties_version1.0", props))
        names = StorageDirectory("__nameid_version1.0")
        for sid, data in (("00020102", bytes(range(16))), ("00030102", struct.pack("<IHH", 0x8001, 3 << 1, 0)),
                          ("00040102", b"\0" * 8)):  # one named property (ms-cfb cannot write empty streams)
            names.add_directory(stream(f"__substg1.0_{sid}", data))
        root.add_directory(names)
        for prop, value in ((0x001A, "IPM.Note"), (0x0037, subject), (0x5D01, sender), (0x0C1F, sender),
                            (0x0C1E, "SMTP"), (0x1035, mid)):
            root.add_directory(text(prop, value))
        def attach(node, attachments) -> None:
            for i, (name, data) in enumerate(attachments):
                storage = StorageDirectory(f"__attach_version1.0_#{i:08X}")
                sender_of = ""
                if isinstance(data, tuple):  # (its sender, [attachments]): an attached message with a sender
                    sender_of, data = data
                method = 5 if isinstance(data, list) else 1
                storage.add_directory(stream("__properties_version1.0",
                                             b"\0" * 8 + struct.pack("<HHII", 0x0003, 0x3705, 6, method) + b"\0" * 4))
                if method == 1:
                    storage.add_directory(text(0x3707, name))
                    storage.add_directory(stream("__substg1.0_37010102", data))
                else:
                    storage.add_directory(text(0x3001, name))
                    inner = StorageDirectory("__substg1.0_3701000D")
                    inner.add_directory(stream("__properties_version1.0", b"\0" * 8 + struct.pack(
                        "<IIII", 0, len(data), 0, len(data)) + struct.pack("<HHIQ", 0x0040, 0x0039, 6, ticks)))
                    inner.add_directory(text(0x0037, name))
                    if sender_of:
                        inner.add_directory(text(0x5D01, sender_of))
                    attach(inner, data)
                    storage.add_directory(inner)
                node.add_directory(storage)

        attach(root, attachments)
        ole = OleFile()
        ole.root_directory = root
        cwd = os.getcwd()
        os.chdir(tmp)  # ms-cfb writes a scratch file into the current folder
        try:
            ole.create_file(str(path))
        finally:
            os.chdir(cwd)
    return path


def test_outlook_msg_files(quarter):
    import extract_msg  # an independent reader: the fixture is a real .msg

    saved = quarter["tmp"] / "outlook"
    saved.mkdir()
    when = _local(2009, 10, 2, 10, 14)
    jane = _msg_file(saved / "RE Youth plan.msg", "jane.smith@example.org", "RE: Youth plan", "<jane-msg@example.org>",
                     when, [("Action plan.xlsx", quarter["bytes"]["jane"]), ("../../x.xlsx", quarter["bytes"]["ann"])])
    _msg_file(saved / "stranger.msg", "someone@elsewhere.example", "hello", "<s-msg@example.org>", when,
              [("plan.xlsx", quarter["bytes"]["stranger"])])
    (saved / "broken.msg").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    msg = extract_msg.openMsg(str(jane))
    assert (msg.sender, msg.subject) == ("jane.smith@example.org", "RE: Youth plan")
    assert [a.longFilename for a in msg.attachments] == ["Action plan.xlsx", "../../x.xlsx"]
    msg.close()
    out = run_cli("collect", quarter["plan"], quarter["returns"], "--messages", saved)
    assert out.returncode == 2  # the broken .msg: one line, the others collected
    assert "broken.msg: not an Outlook message" in out.stderr and len(out.stderr.strip().splitlines()) == 1
    b = quarter["bytes"]
    assert _files(quarter["returns"]) == {"Jane Smith.xlsx": _sha(b["jane"]), "Ann Lee.xlsx": _sha(b["ann"]),
                                          "Set aside/someone-elsewhere.example plan.xlsx": _sha(b["stranger"])}
    tracker = track_returns(quarter["plan"], quarter["returns"], return_by=RETURN_BY)
    rows = {r.lead: r for r in tracker.leads}
    assert rows["Jane Smith"].arrival == "received from jane.smith@example.org on 2 Oct 2009 10:14"
    assert rows["Jane Smith"].state == LATE
    # Ann's workbook came in Jane's message: filed for Ann, as its metadata says, with who sent it
    [ann] = [a for a in arrivals.read_log(quarter["returns"]) if a.saved_as == "Ann Lee.xlsx"]
    assert ann.lead == "Ann Lee" and "sent by jane.smith@example.org (Jane Smith) for Ann Lee" in ann.note
    again = run_cli("collect", quarter["plan"], quarter["returns"], "--messages", saved)
    assert "0 return(s) saved" in again.stdout and "2 message(s) collected before" in again.stdout


def test_an_outlook_message_attached_to_an_outlook_message_is_opened(quarter):
    """A PA forwards a lead's reply "as attachment" from Outlook (an attached message, two deep
    when forwarded again): its workbooks are collected, as from a forwarded .eml."""
    b = quarter["bytes"]
    saved = quarter["tmp"] / "outlook"
    saved.mkdir()
    when = _local(2009, 10, 2, 10, 14)
    _msg_file(saved / "FW.msg", "omar@example.org", "FW: updates", "<fw-msg@example.org>", when,
              [("RE: Youth plan", [("Action plan.xlsx", b["jane"])]),
               ("FW: Ann's", [("Ann's reply", [("Ann Lee.xlsx", b["ann"])])]),
               ("a note", [])])
    run = collect_returns(quarter["plan"], quarter["returns"], messages=saved)
    assert not run.problems
    assert _files(quarter["returns"]) == {"Jane Smith.xlsx": _sha(b["jane"]), "Ann Lee.xlsx": _sha(b["ann"])}
    assert {a.attachment for a in run.saved} == {"Action plan.xlsx", "Ann Lee.xlsx"}


def test_mark_read_and_move_touch_only_the_messages_collected(dovecot, quarter):
    user, password = _fill(dovecot, quarter["messages"])
    env = {**os.environ, "PLANBOOK_IMAP_PASSWORD": password}
    box = dovecot.connect(user, password)
    box.create(quote_folder("Rückläufe 2009 Q2"))  # a folder name in modified UTF-7 (RFC 3501)
    box.logout()
    out = run_cli("collect", quarter["plan"], quarter["returns"], *_cli_imap(dovecot, user), "--move-to", "Nowhere",
                  env=env)
    assert out.returncode == 2 and "has no folder 'Nowhere' to move messages to" in out.stderr
    assert not quarter["returns"].exists() or _files(quarter["returns"]) == {}  # refused before anything was saved
    out = run_cli("collect", quarter["plan"], quarter["returns"], *_cli_imap(dovecot, user), "--mark-read", env=env)
    assert out.returncode == 0, out.stderr
    state = _mailbox(dovecot, user, password)
    seen = [line for line in state["INBOX"] if "\\Seen" in line]
    # Jane x3 (one message twice, one resent), DD x2, Omar, Ann, Raj, the stranger: 9 carried a workbook filed
    assert len(seen) == 9 and len(state["INBOX"]) == len(quarter["messages"]), state["INBOX"]
    out = run_cli("collect", quarter["plan"], quarter["returns"], *_cli_imap(dovecot, user), "--move-to",
                  "Rückläufe 2009 Q2", env=env)
    assert out.returncode == 0, out.stderr
    assert "moved to Rückläufe 2009 Q2" in out.stdout
    state = _mailbox(dovecot, user, password)
    assert len(state["R&APw-ckl&AOQ-ufe 2009 Q2"]) == 9 and len(state["INBOX"]) == 2  # the note and the coordinator's own
    assert _files(quarter["returns"]) == _expected(quarter)


def test_a_malformed_or_huge_message_is_one_line_and_the_rest_is_collected(dovecot, quarter, monkeypatch):
    good = quarter["messages"][0]
    broken = _message("ann@example.org", "broken", _local(2009, 9, 26, 12, 0), [("Ann.xlsx", b"x" * 3000, XLSX)],
                      mid="<broken@example.org>")
    raw = broken.as_bytes()
    body = raw.rindex(b"\n\n", 0, raw.rindex(b"--"))
    raw = raw[:body] + b"\n\n" + b"eHh4!!!not base64 at all@@@\n" + raw[raw.rindex(b"\n--"):]  # damaged encoding
    huge = _message("omar@example.org", "huge", _local(2009, 9, 27, 12, 0), [("big.xlsx", os.urandom(1_600_000), XLSX)],
                    mid="<huge@example.org>")
    user, password = _fill(dovecot, [good, ("huge", huge)])
    box = dovecot.connect(user, password)
    box.append("INBOX", None, imaplib.Time2Internaldate(time.time()), raw.replace(b"\n", b"\r\n"))
    box.logout()
    env = {**os.environ, "PLANBOOK_IMAP_PASSWORD": password, "PLANBOOK_MAX_MESSAGE_MB": "1"}
    out = run_cli("collect", quarter["plan"], quarter["returns"], *_cli_imap(dovecot, user), env=env)
    assert out.returncode == 2
    errors = out.stderr.strip().splitlines()
    assert len(errors) == 2 and "Traceback" not in out.stderr
    assert any("UID 2: the message is 2 MB, more than planbook reads (1 MB" in e for e in errors), errors
    assert any("attachment 'Ann.xlsx' damaged in the message" in e for e in errors), errors
    assert _files(quarter["returns"]) == {"Jane Smith.xlsx": _sha(quarter["bytes"]["jane"])}
    assert not [p for p in quarter["returns"].rglob(".*")]  # no temporary file left


def test_a_mailbox_that_stops_answering(dovecot, quarter):
    user, password = _fill(dovecot, quarter["messages"][:4])
    paused: list[int] = []

    def stall(i: int, total: int) -> None:
        if i == 3:  # the server stops answering before the third message is fetched
            paused.extend(dovecot.pause(user))

    settings = _settings(dovecot, user, password=password, timeout=2)
    started = time.monotonic()
    try:
        with pytest.raises(MailboxError) as err:
            collect_returns(quarter["plan"], quarter["returns"], imap=settings, on_message=stall)
    finally:
        dovecot.resume(paused)
    assert paused and time.monotonic() - started < 30
    text = str(err.value)
    assert "stopped answering" in text and "2 return(s) saved before that are kept and logged" in text
    assert "\n" not in text
    assert set(_files(quarter["returns"])) == {"Jane Smith.xlsx", "DD Achievement.xlsx"}
    assert {a.saved_as for a in arrivals.read_log(quarter["returns"]) if a.saved_as} == set(_files(quarter["returns"]))
    assert not [p for p in quarter["returns"].rglob(".*")]
    run = collect_returns(quarter["plan"], quarter["returns"], imap=_settings(dovecot, user, password=password))
    assert run.already == 2 and len(run.saved) == 2  # the rest, nothing twice
    assert set(_files(quarter["returns"])) == {"Jane Smith.xlsx", "DD Achievement.xlsx", "DD Achievement-2.xlsx",
                                               "Omar Khan.xlsx"}


def test_logins_certificates_and_oauth(dovecot, quarter):
    user, password = _fill(dovecot, quarter["messages"][:1])
    env = {**os.environ, "PLANBOOK_IMAP_PASSWORD": "wrong"}
    out = run_cli("collect", quarter["plan"], quarter["returns"], *_cli_imap(dovecot, user), env=env)
    assert out.returncode == 2 and f"refused the login for '{user}'" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLANBOOK_IMAP")}
    out = run_cli("collect", quarter["plan"], quarter["returns"], *_cli_imap(dovecot, user), env=env)
    assert out.returncode == 2 and "set the PLANBOOK_IMAP_PASSWORD environment variable" in out.stderr
    no_ca = [a for a in _cli_imap(dovecot, user) if a not in ("--imap-cafile", str(dovecot.cafile))]
    out = run_cli("collect", quarter["plan"], quarter["returns"], *no_ca, env={**env, "PLANBOOK_IMAP_PASSWORD": password})
    assert out.returncode == 2 and "certificate is not trusted" in out.stderr
    out = run_cli("collect", quarter["plan"], quarter["returns"], *_cli_imap(dovecot, user), "--imap-folder", "Nowhere",
                  env={**env, "PLANBOOK_IMAP_PASSWORD": password})
    assert out.returncode == 2 and "has no folder 'Nowhere'" in out.stderr
    assert not quarter["returns"].exists() or _files(quarter["returns"]) == {}
    # XOAUTH2: this test server takes the access token where a password would go
    out = run_cli("collect", quarter["plan"], quarter["returns"], *_cli_imap(dovecot, user), "--imap-oauth",
                  env={**env, "PLANBOOK_IMAP_TOKEN": password})
    assert out.returncode == 0, out.stderr
    assert set(_files(quarter["returns"])) == {"Jane Smith.xlsx"}
    # STARTTLS on the plain port
    out = run_cli("collect", quarter["plan"], quarter["returns"], "--imap-host", "127.0.0.1", "--imap-port",
                  str(dovecot.imap_port), "--starttls", "--imap-user", user, "--imap-cafile", str(dovecot.cafile),
                  env={**env, "PLANBOOK_IMAP_PASSWORD": password})
    assert out.returncode == 0 and "1 message(s) collected before" in out.stdout


def test_a_file_already_there_is_never_overwritten(quarter):
    """A workbook saved by hand as "Jane Smith.xlsx" stays; what arrives goes beside it."""
    returns = quarter["returns"]
    returns.mkdir()
    (returns / "jane smith.XLSX").write_bytes(b"saved by hand")
    eml = quarter["tmp"] / "one.eml"
    eml.write_bytes(quarter["messages"][0][1].as_bytes())
    run = collect_returns(quarter["plan"], returns, messages=eml)
    assert (returns / "jane smith.XLSX").read_bytes() == b"saved by hand"
    assert [a.saved_as for a in run.saved] == ["Jane Smith-2.xlsx"]


def test_write_new_file_loses_a_race_without_overwriting(tmp_path):
    from planbook.files.atomic import write_new_file

    target = tmp_path / "Jane Smith.xlsx"
    assert write_new_file(target, b"first", mtime=dt.datetime(2009, 10, 2, 10, 14).timestamp())
    assert not write_new_file(target, b"second")
    assert target.read_bytes() == b"first" and [p.name for p in tmp_path.iterdir()] == ["Jane Smith.xlsx"]
    assert dt.datetime.fromtimestamp(target.stat().st_mtime) == dt.datetime(2009, 10, 2, 10, 14)


def test_late_is_judged_by_the_date_received(quarter):
    """Ann updated her copy on 25 September but emailed it on 3 October: late.  The same file saved
    by hand with the same modified time is judged as before (her updates were all in time)."""
    msg = _message("ann@example.org", "sorry, late", _local(2009, 10, 3, 9, 30),
                   [("Ann Lee.xlsx", quarter["bytes"]["ann"], XLSX)], mid="<ann-late@example.org>")
    eml = quarter["tmp"] / "ann.eml"
    eml.write_bytes(msg.as_bytes())
    collect_returns(quarter["plan"], quarter["returns"], messages=eml)
    rows = {r.lead: r for r in track_returns(quarter["plan"], quarter["returns"], return_by=RETURN_BY).leads}
    assert rows["Ann Lee"].state == LATE
    assert rows["Ann Lee"].arrival == "received from ann@example.org on 3 Oct 2009 09:30"
    by_hand = quarter["tmp"] / "by hand"
    by_hand.mkdir()
    shutil.copy2(quarter["returns"] / "Ann Lee.xlsx", by_hand / "Ann Lee.xlsx")  # same bytes, same modified time
    rows = {r.lead: r for r in track_returns(quarter["plan"], by_hand, return_by=RETURN_BY).leads}
    assert rows["Ann Lee"].state == RETURNED and rows["Ann Lee"].arrival == ""



def test_quote_folder_writes_modified_utf7():
    assert quote_folder("INBOX") == '"INBOX"'
    assert quote_folder('Plan "returns" & more') == '"Plan \\"returns\\" &- more"'
    assert quote_folder("Rückläufe") == '"R&APw-ckl&AOQ-ufe"'


def test_whose_workbook_it_is(quarter, tmp_path):
    """A lead's address shared by two leads, another plan's copy, a workbook planbook did not make,
    and --since: each filed as the rules say, with the reason in the log."""
    info = PlanInfo(title="Youth plan", period="Q2 2009/10", themes=["Staying Safe"],
                    leads=[Lead("Kim Ray", "team@example.org"), Lead("Lee Wu", "team@example.org"),
                           Lead("Jane Smith", "jane.smith@example.org")])
    plan = tmp_path / "team plan.xlsx"
    write_plan(plan, info, [Action(f"1.{i}", f"Action {i}", lead.name, theme="Staying Safe", status="On track")
                            for i, lead in enumerate(info.leads, start=1)])
    split_plan(plan, tmp_path / "team copies")
    kim = (tmp_path / "team copies" / "Kim Ray.xlsx").read_bytes()
    other_plan = quarter["bytes"]["jane"]  # Jane's copy of the other plan (another plan id)
    import openpyxl

    plain = openpyxl.Workbook()
    plain.active["A1"] = "my own list"
    plain.save(tmp_path / "plain.xlsx")
    folder = tmp_path / "mail"
    folder.mkdir()
    for name, sender, when, data in (("kim", "team@example.org", _local(2009, 10, 1, 9), kim),
                                     ("team-broken", "team@example.org", _local(2009, 10, 1, 10), b"PK\x03\x04 torn"),
                                     ("jane-other-plan", "jane.smith@example.org", _local(2009, 10, 1, 11), other_plan),
                                     ("jane-plain", "jane.smith@example.org", _local(2009, 10, 1, 12),
                                      (tmp_path / "plain.xlsx").read_bytes()),
                                     ("old", "jane.smith@example.org", _local(2009, 9, 1, 12), kim[:-1] + b"\0")):
        msg = _message(sender, name, when, [("update.xlsx", data, XLSX)], mid=f"<{name}@example.org>")
        (folder / f"{name}.eml").write_bytes(msg.as_bytes())
    returns = tmp_path / "returns"
    run = collect_returns(plan, returns, messages=folder, since=dt.date(2009, 10, 1))
    got = {a.subject: (a.outcome, a.saved_as, a.lead) for a in run.arrivals}
    assert "old" not in got  # received before --since
    assert got["kim"] == (arrivals.SAVED, "Kim Ray.xlsx", "Kim Ray")  # the workbook says whose: the shared address does not
    assert got["team-broken"][0] == arrivals.SET_ASIDE_OUTCOME
    assert got["jane-other-plan"][0] == arrivals.SET_ASIDE_OUTCOME
    assert got["jane-plain"] == (arrivals.SAVED, "Jane Smith.xlsx", "Jane Smith")
    notes = {a.subject: a.note for a in run.arrivals}
    assert "the address of Kim Ray, Lee Wu, and the workbook does not say whose it is" in notes["team-broken"]
    assert "a copy of 'Youth plan', period Q2 2009/10, not this plan" in notes["jane-other-plan"]
    assert "no planbook metadata" in notes["jane-plain"]
    rows = {r.lead: r for r in track_returns(plan, returns).leads}
    assert rows["Kim Ray"].state == UNCHANGED and rows["Lee Wu"].state == NOT_RETURNED  # the copy as sent
    assert rows["Jane Smith"].state == WITH_ERRORS and "no planbook metadata" in rows["Jane Smith"].unreadable
    assert rows["Jane Smith"].arrival == "received from jane.smith@example.org on 1 Oct 2009 12:00"


def test_a_macro_enabled_return_is_saved_as_xlsm_and_read_for_values_only(quarter, tmp_path):
    """Ann returns her copy as an .xlsm carrying a VBA project: saved as "Ann Lee.xlsm", read for
    its values (macros are never run: planbook reads the sheets' XML only)."""
    import zipfile

    xlsm = tmp_path / "update.xlsm"
    with zipfile.ZipFile(io.BytesIO(quarter["bytes"]["ann"])) as zin, \
            zipfile.ZipFile(xlsm, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info, zin.read(info))
        zout.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 Sub Auto_Open(): Shell \"calc\": End Sub")
    msg = _message("ann@example.org", "with macros", _local(2009, 9, 26, 12, 0),
                   [("update.xlsm", xlsm.read_bytes(), "application/vnd.ms-excel.sheet.macroEnabled.12")],
                   mid="<ann-xlsm@example.org>")
    (tmp_path / "ann.eml").write_bytes(msg.as_bytes())
    run = collect_returns(quarter["plan"], quarter["returns"], messages=tmp_path / "ann.eml")
    assert [a.saved_as for a in run.saved] == ["Ann Lee.xlsm"]
    rows = {r.lead: r for r in run.tracker.leads}
    assert rows["Ann Lee"].state == RETURNED and rows["Ann Lee"].updated == 1


def test_a_return_forwarded_as_a_file_or_sent_without_a_name_is_saved(quarter):
    """Two ways mail programs send a workbook that the parts' names hide: a message forwarded
    "as attachment" by another lead, saved as an .eml file (typed application/octet-stream), and a workbook with
    its type but no file name; a file named .eml that is not a message is listed as it is."""
    b = quarter["bytes"]
    inner = _message("jane.smith@example.org", "my update", _local(2009, 10, 2, 9, 0), [("Jane.xlsx", b["jane"], XLSX)],
                     mid="<jane-inner@example.org>")
    forwarded = _message("omar@example.org", "Fwd: Jane's update", _local(2009, 10, 2, 11, 0),
                         [("Fwd Jane.eml", inner.as_bytes(), "application/octet-stream")], mid="<fwd@example.org>")
    nameless = _message("ann@example.org", "done", _local(2009, 9, 26, 12, 0), [], mid="<ann-2@example.org>")
    nameless.add_attachment(b["ann"], maintype="application",
                            subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    not_mail = _message("omar@example.org", "notes", _local(2009, 9, 28, 8, 5),
                        [("notes.eml", b"just some text, not a message", "application/octet-stream")],
                        mid="<omar-3@example.org>")
    folder = quarter["tmp"] / "saved"
    folder.mkdir()
    for i, msg in enumerate((forwarded, nameless, not_mail)):
        (folder / f"{i}.eml").write_bytes(msg.as_bytes())
    run = collect_returns(quarter["plan"], quarter["returns"], messages=folder)
    saved = {a.saved_as: a for a in run.saved}
    assert saved["Jane Smith.xlsx"].sha256 == _sha(b["jane"]) and saved["Ann Lee.xlsx"].sha256 == _sha(b["ann"])
    assert [a.attachment for a in run.arrivals if a.outcome == arrivals.NOT_A_WORKBOOK] == ["notes.eml"]


def _mbox(path: Path, *messages: EmailMessage) -> None:
    """Add ``messages`` to the mbox file ``path`` (made if need be), as a mail program does."""
    import mailbox

    box = mailbox.mbox(path)
    for msg in messages:
        box.add(msg)
    box.flush()
    box.close()


def test_an_mbox_file_is_collected_message_by_message(quarter):
    """Thunderbird keeps a folder as one mbox file (no extension); mail programs export .mbox: each
    message in it is collected once, by its own Message-ID (by its bytes when it has none), so the
    messages added to the file later are collected by a later run; the file is only read."""
    msgs = dict(quarter["messages"])
    no_id = _message("ann@example.org", "done", _local(2009, 9, 26, 12, 0),
                     [("../../x.xlsx", quarter["bytes"]["ann"], XLSX)], mid="<unused@example.org>")
    del no_id["Message-ID"]
    mail = quarter["tmp"] / "Mail"
    mail.mkdir()
    (mail / "Plan returns.msf").write_text('// <!-- <mdb:mork:z v="1.4"/> -->')  # Thunderbird's index, not mail
    folder_file = mail / "Plan returns"
    _mbox(folder_file, msgs["jane"], msgs["dd-1"])
    returns = quarter["returns"]
    run = collect_returns(quarter["plan"], returns, messages=folder_file)
    assert sorted(a.saved_as for a in run.saved) == ["DD Achievement.xlsx", "Jane Smith.xlsx"]
    assert {a.source for a in run.arrivals} == {f"{folder_file}, message 1", f"{folder_file}, message 2"}

    _mbox(folder_file, msgs["dd-2"], no_id, msgs["jane-again"])  # more mail arrives in the folder
    before = (folder_file.read_bytes(), folder_file.stat().st_mtime_ns)
    run = collect_returns(quarter["plan"], returns, messages=folder_file)
    assert sorted(a.saved_as for a in run.saved) == ["Ann Lee.xlsx", "DD Achievement-2.xlsx"]
    assert run.already == 3 and not run.problems  # Jane (twice) and DD's first
    assert (folder_file.read_bytes(), folder_file.stat().st_mtime_ns) == before

    # the folder of such files: an .mbox export, and an .eml written as an mbox of one message
    _mbox(mail / "export.mbox", msgs["omar"], no_id)
    (mail / "note.eml").write_bytes(b"From omar@example.org Tue Sep 29 08:00:00 2009\n" + msgs["omar-note"].as_bytes())
    run = collect_returns(quarter["plan"], returns, messages=mail)
    assert [a.saved_as for a in run.saved] == ["Omar Khan.xlsx"]
    assert [a.subject for a in run.of(arrivals.NO_ATTACHMENT)] == ["Will send next week"]
    assert run.already == 6 and not run.problems
    again = collect_returns(quarter["plan"], returns, messages=mail)
    assert again.arrivals == [] and again.already == 8


def test_a_file_set_aside_and_resent_by_its_lead_is_their_return(quarter):
    """Jane first sends her copy from her personal address (set aside), then the very same file from
    her address on the plan: that is her return, saved, whether it comes in the same run or a later
    one.  Sent again from an address that is not a lead's, it stays set aside once."""
    b = quarter["bytes"]
    personal = _message("jane.home@mail.example", "my update", _local(2009, 9, 30, 18, 0),
                        [("Jane.xlsx", b["stranger"], XLSX)], mid="<home-1@mail.example>")
    personal_again = _message("jane.home@mail.example", "again", _local(2009, 9, 30, 19, 0),
                              [("Jane.xlsx", b["stranger"], XLSX)], mid="<home-2@mail.example>")
    from_work = _message("jane.smith@example.org", "FW: my update", _local(2009, 10, 1, 9, 0),
                         [("Jane.xlsx", b["stranger"], XLSX)], mid="<work-1@example.org>")
    ann_home = _message("ann.home@mail.example", "done", _local(2009, 9, 26, 12, 0),
                        [("Ann.xlsx", b["ann"], XLSX)], mid="<ann-home@mail.example>")
    ann_work = _message("ann@example.org", "done", _local(2009, 9, 26, 13, 0), [("Ann.xlsx", b["ann"], XLSX)],
                        mid="<ann-work@example.org>")
    mail = quarter["tmp"] / "mail"
    mail.mkdir()
    for i, msg in enumerate((personal, personal_again, ann_home)):
        (mail / f"{i}.eml").write_bytes(msg.as_bytes())
    returns = quarter["returns"]
    run = collect_returns(quarter["plan"], returns, messages=mail)  # set aside, once
    assert [a.outcome for a in run.arrivals] == [arrivals.SET_ASIDE_OUTCOME, arrivals.SAME_FILE,
                                                 arrivals.SET_ASIDE_OUTCOME]
    (mail / "3.eml").write_bytes(ann_work.as_bytes())  # in a later run
    (mail / "4.eml").write_bytes(from_work.as_bytes())
    (mail / "5.eml").write_bytes(personal.as_bytes().replace(b"home-1@", b"home-3@"))  # a third time, from home
    run = collect_returns(quarter["plan"], returns, messages=mail)
    got = {a.message_id: (a.outcome, a.saved_as, a.lead) for a in run.arrivals}
    assert got == {"<ann-work@example.org>": (arrivals.SAVED, "Ann Lee.xlsx", "Ann Lee"),
                   "<work-1@example.org>": (arrivals.SAVED, "Jane Smith.xlsx", "Jane Smith"),
                   "<home-3@mail.example>": (arrivals.SAME_FILE, "Jane Smith.xlsx", "Jane Smith")}
    rows = {r.lead: r for r in run.tracker.leads}
    assert rows["Jane Smith"].returned and rows["Ann Lee"].returned
    assert len(list((returns / arrivals.SET_ASIDE).iterdir())) == 2

    # the lead's first, then from home: the same file as the lead's return
    returns2 = quarter["tmp"] / "returns2"
    for i, msg in enumerate((personal, from_work)):
        (mail / f"{i}.eml").write_bytes(msg.as_bytes())
    collect_returns(quarter["plan"], returns2, messages=mail / "1.eml")
    run = collect_returns(quarter["plan"], returns2, messages=mail / "0.eml")
    assert [(a.outcome, a.saved_as) for a in run.arrivals] == [(arrivals.SAME_FILE, "Jane Smith.xlsx")]
    # within one run: set aside, then the lead's own message carries the same file
    returns3 = quarter["tmp"] / "returns3"
    one = quarter["tmp"] / "one"
    one.mkdir()
    (one / "a.eml").write_bytes(personal.as_bytes())
    (one / "b.eml").write_bytes(from_work.as_bytes())
    run = collect_returns(quarter["plan"], returns3, messages=one)
    assert [(a.outcome, a.saved_as) for a in run.arrivals] == [
        (arrivals.SET_ASIDE_OUTCOME, "Set aside/jane.home-mail.example Jane.xlsx"), (arrivals.SAVED, "Jane Smith.xlsx")]


def test_a_workbook_is_known_by_its_type_when_its_name_does_not_say(quarter):
    """However a mail program attaches a workbook — no file name, no Content-Disposition or an
    inline one, a name without an extension (the old Excel type on an .xlsx), a name that is only
    ".xlsx" or ends in a dot as Windows drops it — it is saved as the lead's return, with the
    extension its type (or its name) says."""
    from email.mime.application import MIMEApplication
    from email.mime.multipart import MIMEMultipart
    from email.mime.text import MIMEText

    b = quarter["bytes"]

    def sent(sender: str, mid: str, data: bytes, ctype: str = XLSX, disposition: str | None = None) -> bytes:
        msg = MIMEMultipart()
        msg["From"], msg["Subject"], msg["Message-ID"] = sender, mid, f"<{mid}@example.org>"
        msg["Date"] = format_datetime(_local(2009, 9, 30, 12, 0))
        msg.attach(MIMEText("My update is attached."))
        part = MIMEApplication(data, _subtype=ctype.split("/")[1])
        if disposition:
            part["Content-Disposition"] = disposition
        msg.attach(part)
        return msg.as_bytes()

    mail = quarter["tmp"] / "mail"
    mail.mkdir()
    for mid, sender, data, ctype, disposition in (
            ("bare", "jane.smith@example.org", b["jane"], XLSX, None),
            ("inline", "dd@example.org", b["dd1"], XLSX, "inline"),
            ("no-extension", "omar@example.org", b["omar"], "application/vnd.ms-excel",
             'attachment; filename="Omar Khan"'),
            ("only-extension", "ann@example.org", b["ann"], "application/octet-stream", 'attachment; filename=".xlsx"'),
            ("trailing-dot", "dd@example.org", b["dd2"], "application/octet-stream",
             'attachment; filename="DD update.xlsx. "'),
            ("text", "kim@example.org", b"just a note", "application/octet-stream", "inline")):
        (mail / f"{mid}.eml").write_bytes(sent(sender, mid, data, ctype, disposition))
    run = collect_returns(quarter["plan"], quarter["returns"], messages=mail)
    got = {a.subject: (a.outcome, a.saved_as, a.attachment) for a in run.arrivals}
    assert got == {"bare": (arrivals.SAVED, "Jane Smith.xlsx", "(no name)"),
                   "inline": (arrivals.SAVED, "DD Achievement.xlsx", "(no name)"),
                   "no-extension": (arrivals.SAVED, "Omar Khan.xlsx", "Omar Khan"),
                   "only-extension": (arrivals.SAVED, "Ann Lee.xlsx", ".xlsx"),
                   "trailing-dot": (arrivals.SAVED, "DD Achievement-2.xlsx", "DD update.xlsx."),
                   "text": (arrivals.NO_ATTACHMENT, "", "")}  # an inline part of no workbook type is the text
    assert _files(quarter["returns"]) == {k: v for k, v in _expected(quarter).items()
                                          if not k.startswith(("Raj", "Set aside"))}


def test_a_return_deleted_after_it_was_collected_is_collected_again(quarter):
    """The coordinator deletes returns collected before (by mistake, or to start the folder afresh):
    the next collect saves them again, saying so; a return renamed, or opened and saved again, is
    still there and is not collected twice."""
    eml = quarter["tmp"] / "saved"
    eml.mkdir()
    for i, (name, msg) in enumerate(quarter["messages"]):
        (eml / f"{i:02d} {name}.eml").write_bytes(msg.as_bytes())
    returns = quarter["returns"]
    collect_returns(quarter["plan"], returns, messages=eml)
    aside = "Set aside/someone-elsewhere.example Action plan.xlsx"
    for gone in ("Jane Smith.xlsx", "DD Achievement-2.xlsx", aside):
        (returns / gone).unlink()
    (returns / "Ann Lee.xlsx").rename(returns / "Ann.xlsx")
    (returns / "Omar Khan.xlsx").write_bytes((returns / "Omar Khan.xlsx").read_bytes() + b"\0")  # saved again by hand
    run = collect_returns(quarter["plan"], returns, messages=eml)
    again = {a.saved_as: a.note for a in run.arrivals if a.outcome in (arrivals.SAVED, arrivals.SET_ASIDE_OUTCOME)}
    assert set(again) == {"Jane Smith.xlsx", "DD Achievement-2.xlsx", aside}
    assert again["Jane Smith.xlsx"].startswith("collected before as Jane Smith.xlsx, no longer in the returns folder: "
                                               "saved again")
    assert (run.already, run.repeated) == (len(quarter["messages"]) - 4, 1)  # Jane's, there twice, taken once
    expected = _expected(quarter)
    expected["Ann.xlsx"] = expected.pop("Ann Lee.xlsx")
    del expected["Omar Khan.xlsx"]
    assert {k: v for k, v in _files(returns).items() if k != "Omar Khan.xlsx"} == expected
    assert collect_returns(quarter["plan"], returns, messages=eml).arrivals == []


def test_a_copy_sent_before_the_period_was_renamed_is_the_leads_return(quarter, tmp_path):
    """The copies went out for "Q2 2009/10"; the coordinator then renamed the period (twice):
    collect files a copy sent under any earlier name as the lead's return, as consolidation reads
    it; a copy of this plan for a period it never was is still set aside."""
    from planbook.workbook.edit import change_settings

    change_settings(quarter["plan"], period="Jul-Sep 2009")
    change_settings(quarter["plan"], period="July-September 2009")
    other = tmp_path / "other period.xlsx"
    shutil.copy(quarter["copies"] / "DD Achievement.xlsx", other)
    copy = read_plan(other)
    copy.info.period = "Q4 2008/09"
    write_plan(other, copy.info, copy.actions, only_leads=list(copy.tabs.values()), role="lead-copy")
    mail = tmp_path / "mail"
    mail.mkdir()
    for name, sender, data in (("jane", "jane.smith@example.org", quarter["bytes"]["jane"]),
                               ("ann", "ann@example.org", quarter["bytes"]["ann"]),
                               ("dd", "dd@example.org", other.read_bytes())):
        msg = _message(sender, name, _local(2009, 9, 30, 9), [("update.xlsx", data, XLSX)], mid=f"<{name}@example.org>")
        (mail / f"{name}.eml").write_bytes(msg.as_bytes())
    run = collect_returns(quarter["plan"], quarter["returns"], messages=mail)
    got = {a.subject: (a.outcome, a.saved_as) for a in run.arrivals}
    assert got["jane"] == (arrivals.SAVED, "Jane Smith.xlsx") and got["ann"] == (arrivals.SAVED, "Ann Lee.xlsx")
    assert got["dd"][0] == arrivals.SET_ASIDE_OUTCOME
    rows = {r.lead: r for r in run.tracker.leads}
    assert rows["Jane Smith"].returned and rows["Ann Lee"].returned and not rows["DD Achievement"].returned


@pytest.mark.parametrize("order", ["damaged one later", "damaged one first"])
def test_a_later_return_that_cannot_be_read_is_said_and_chased(quarter, order):
    """Jane sends her return, then a corrected one that arrives damaged (a truncated attachment):
    collect files it as hers, and the tracker, the consolidation and chasing all say her latest
    return could not be read — her earlier one is used, and she is asked to send it again.  The
    other way round (the damaged one first, a good one after) the good one is simply her return."""
    from planbook.mail.chasing import chase, receipts

    jane = quarter["bytes"]["jane"]
    good = _message("jane.smith@example.org", "my update", _local(2009, 9, 29, 9, 0),
                    [("Jane.xlsx", jane, XLSX)], mid="<good@example.org>")
    damaged = _message("jane.smith@example.org", "corrected", _local(2009, 9, 30, 9, 0) if order == "damaged one later"
                       else _local(2009, 9, 28, 9, 0), [("Jane v2.xlsx", jane[: len(jane) // 2], XLSX)],
                       mid="<damaged@example.org>")
    mail = quarter["tmp"] / "mail"
    mail.mkdir()
    for name, msg in (("a.eml", good), ("b.eml", damaged)):
        (mail / name).write_bytes(msg.as_bytes())
    run = collect_returns(quarter["plan"], quarter["returns"], messages=mail)
    assert sorted(a.lead for a in run.arrivals if a.saved_as) == ["Jane Smith", "Jane Smith"]
    tracker = track_returns(quarter["plan"], quarter["returns"], return_by=RETURN_BY)
    row = next(r for r in tracker.leads if r.lead == "Jane Smith")
    result = consolidate_to([quarter["returns"], quarter["plan"]], quarter["tmp"] / "c.xlsx")
    assert next(a for a in result.actions if a.lead == "Jane Smith").status == "Complete"  # the good one's
    said = [f for f in result.report if f.code == "return-unreadable" and f.value == "Jane Smith"]
    reminded = chase(quarter["plan"], quarter["returns"], return_by=RETURN_BY, dry_run=True)
    mine = [m for m in reminded.messages if "Jane Smith" in m.leads]
    later = run.tracker.leads[[r.lead for r in run.tracker.leads].index("Jane Smith")].later_unreadable
    if order == "damaged one later":
        saved = next(a.saved_as for a in run.arrivals if a.message_id == "<damaged@example.org>")
        assert row.state == WITH_ERRORS and row.later_unreadable.startswith(saved) and row.error_count == 1
        assert later == row.later_unreadable and saved not in row.other_files
        assert len(said) == 1 and "sent after" in said[0].message
        text = mine[0].message.get_body(("plain",)).get_content()
        assert f"The copy you sent after it, {saved}" in text and "correct" not in text.split("The copy")[0]
        receipts_run = receipts(quarter["tmp"] / "c.xlsx", dry_run=True)
        receipt = next(m for m in receipts_run.messages if "Jane Smith" in m.leads)
        assert f"The copy you sent after it, {saved}" in receipt.message.get_body(("plain",)).get_content()
    else:
        assert row.state == RETURNED and not said and not row.later_unreadable
        assert not mine


def test_a_later_run_marks_and_moves_every_message_collected_whatever_its_message_id(dovecot, quarter):
    """--mark-read / --move-to on a run after the one that collected: a Message-ID header folded
    onto a second line (as Exchange writes a long one), and a message with no Message-ID at all,
    are marked and moved as any message collected is (by its id read whole, else by its bytes,
    as the collect log knows it)."""
    b = quarter["bytes"]
    folded = _message("jane.smith@example.org", "folded", _local(2009, 9, 30, 9), [("J.xlsx", b["jane"], XLSX)],
                      mid="<unused@example.org>")
    del folded["Message-ID"]
    raw_folded = folded.as_bytes().replace(
        b"From:", b"Message-ID:\n <DB7PR10MB2345A1B2C3D4E5F6A7B8C9D0@DB7PR10MB2345.EURPRD10.PROD.OUTLOOK.COM>\nFrom:", 1)
    no_id = _message("ann@example.org", "no id", _local(2009, 9, 30, 10), [("A.xlsx", b["ann"], XLSX)],
                     mid="<unused@example.org>")
    del no_id["Message-ID"]
    user, password = _fill(dovecot, [("dd", _message("dd@example.org", "normal", _local(2009, 9, 30, 11),
                                                     [("D.xlsx", b["dd1"], XLSX)], mid="<dd-n@example.org>")),
                                     ("no-id", no_id)])
    box = dovecot.connect(user, password)
    box.append("INBOX", None, imaplib.Time2Internaldate(time.time()), raw_folded.replace(b"\n", b"\r\n"))
    box.create('"Done"')
    box.logout()
    first = collect_returns(quarter["plan"], quarter["returns"], imap=_settings(dovecot, user, password=password))
    assert sorted(a.saved_as for a in first.saved) == ["Ann Lee.xlsx", "DD Achievement.xlsx", "Jane Smith.xlsx"]
    assert "<DB7PR10MB2345A1B2C3D4E5F6A7B8C9D0@DB7PR10MB2345.EURPRD10.PROD.OUTLOOK.COM>" in {
        a.message_id for a in first.saved}
    later = collect_returns(quarter["plan"], quarter["returns"], imap=_settings(dovecot, user, password=password),
                            mark_read=True, move_to="Done")
    assert later.arrivals == [] and later.already == 3 and (later.marked_read, later.moved) == (3, 3)
    state = _mailbox(dovecot, user, password)
    assert state["INBOX"] == [] and len(state["Done"]) == 3 and all("\\Seen" in line for line in state["Done"])


def test_a_winmail_dat_or_a_zip_file_is_a_problem_that_says_the_return_may_be_inside(quarter):
    """Outlook's winmail.dat (TNEF: the attachments wrapped in Outlook's own format, whatever it
    is named or typed) and a zip file may hold the lead's workbook: each is a line saying so and
    what to do, counted among the problems (the exit status says a person is needed), never
    "not a workbook" passed over; a .docx is still only listed."""
    import zipfile

    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as z:
        z.writestr("Jane Smith.xlsx", quarter["bytes"]["jane"])
    tnef = b"\x78\x9f\x3e\x22" + b"\0" * 200
    mail = quarter["tmp"] / "mail"
    mail.mkdir()
    for name, sender, attachment in (
            ("winmail", "omar@example.org", ("winmail.dat", tnef, "application/ms-tnef")),
            ("tnef-renamed", "ann@example.org", ("(no name)", tnef, "application/octet-stream")),
            ("tnef-typed", "kim@example.org", ("att00001.bin", b"\0" * 10, "application/vnd.ms-tnef")),
            ("zip", "jane.smith@example.org", ("update.zip", zipped.getvalue(), "application/zip")),
            ("zip-typed", "raj@example.org", ("update", zipped.getvalue(), "application/x-zip-compressed")),
            ("docx", "dd@example.org", ("notes.docx", b"PK\x03\x04 a Word document",
                                        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"))):
        msg = _message(sender, name, _local(2009, 9, 30, 9), [attachment], mid=f"<{name}@example.org>")
        (mail / f"{name}.eml").write_bytes(msg.as_bytes())
    run = collect_returns(quarter["plan"], quarter["returns"], messages=mail)
    got = {a.subject: (a.outcome, a.note) for a in run.arrivals}
    assert got["docx"][0] == arrivals.NOT_A_WORKBOOK and not any("docx" in p for p in run.problems)
    for subject in ("winmail", "tnef-renamed", "tnef-typed"):
        outcome, note = got[subject]
        assert outcome == arrivals.NOT_SAVED and "may hold the lead's workbook" in note, (subject, note)
        assert "ask the lead to send it again as a plain attachment" in note
    for subject in ("zip", "zip-typed"):
        outcome, note = got[subject]
        assert outcome == arrivals.NOT_SAVED and "a zip file" in note and "may hold the lead's workbook" in note
        assert "save the workbook in it into the returns folder" in note
    assert len(run.problems) == 5 and all("may hold the lead's workbook" in p for p in run.problems)
    assert _files(quarter["returns"]) == {}
    out = run_cli("collect", quarter["plan"], quarter["tmp"] / "returns-cli", "--messages", mail)
    assert out.returncode == 2 and "winmail.dat" in out.stderr and "update.zip" in out.stderr


def test_two_copies_nothing_tells_apart_are_a_choice_to_check(quarter, tmp_path):
    """DD attaches two versions to one message, both last updated on the same day: saved as it
    was received, nothing tells them apart, whichever file name comes first.  The consolidation
    and the tracker say so, naming both files, as a choice to check; the same for two copies
    saved by hand at the same time.  Copies told apart by their Last updated are not."""
    from planbook.rollup.consolidate import consolidate

    dd_a = _copy(quarter["copies"], "DD Achievement", "Slippage", "Draft", dt.date(2009, 9, 29), tmp_path / "a.xlsx")
    dd_b = _copy(quarter["copies"], "DD Achievement", "On track", "Final", dt.date(2009, 9, 29), tmp_path / "b.xlsx")
    msg = _message("dd@example.org", "two files, use the final one", _local(2009, 9, 30, 16, 30),
                   [("DD draft.xlsx", dd_a, XLSX), ("DD final.xlsx", dd_b, XLSX)], mid="<dd-two@example.org>")
    (tmp_path / "dd.eml").write_bytes(msg.as_bytes())
    returns = quarter["returns"]
    run = collect_returns(quarter["plan"], returns, messages=tmp_path / "dd.eml")
    assert sorted(a.saved_as for a in run.saved) == ["DD Achievement-2.xlsx", "DD Achievement.xlsx"]
    by_hand = tmp_path / "by hand"
    by_hand.mkdir()
    for name, data in (("DD one.xlsx", dd_a), ("DD two.xlsx", dd_b)):
        (by_hand / name).write_bytes(data)
        os.utime(by_hand / name, (1_254_000_000, 1_254_000_000))
    for folder, files in ((returns, ("DD Achievement-2.xlsx", "DD Achievement.xlsx")),
                          (by_hand, ("DD one.xlsx", "DD two.xlsx"))):
        result = consolidate([quarter["plan"], folder], today=dt.date(2009, 10, 9))
        [line] = [n for n in result.notices if n.startswith("DD Achievement returned 2 copies")]
        assert f"nothing tells {files[0]} and {files[1]} apart (the same newest Last updated, 29 Sep 2009, " \
               "saved at the same time" in line, line
        assert f"check that {files[0]} is the one to use" in line
        [warning] = [f for f in result.report if f.code == "superseded-copy"]
        assert warning.severity == "warning" and files[0] in warning.message and files[1] in warning.message
        assert warning.outcome.endswith("check which is the one to use")
        rows = {r.lead: r for r in track_returns(quarter["plan"], folder).leads}
        dd = rows["DD Achievement"]
        assert [Path(f).name for f in dd.alike] == [Path(f).name for f in dd.other_files] == [files[1]]
    out = run_cli("returns", quarter["plan"], by_hand)
    assert "also returned" in out.stdout and "nothing tells it apart from the one used: check which is right" in out.stdout
    # told apart by the Last updated: the reasoned choice, nothing to check
    (by_hand / "DD two.xlsx").write_bytes(_copy(quarter["copies"], "DD Achievement", "On track", "Final",
                                                dt.date(2009, 9, 30), tmp_path / "c.xlsx"))
    os.utime(by_hand / "DD two.xlsx", (1_254_000_000, 1_254_000_000))
    result = consolidate([quarter["plan"], by_hand], today=dt.date(2009, 10, 9))
    [line] = [n for n in result.notices if n.startswith("DD Achievement returned 2 copies")]
    assert line == "DD Achievement returned 2 copies: used DD two.xlsx (30 Sep 2009), not DD one.xlsx (29 Sep 2009)"
    assert not track_returns(quarter["plan"], by_hand).leads[0].alike


def test_a_return_in_the_coordinators_own_message_is_never_dropped(quarter, tmp_path):
    """The coordinator's own messages: a lead's message forwarded as an attachment (a mail
    program's message/rfc822, a saved .eml, Outlook's attached message) is that lead's return,
    known by the forwarded message's sender, as from anyone who forwards it; a coordinator who
    also leads actions (the same address) returns their filled copy; another lead's filled copy
    forwarded inline is set aside with the reason; the copy as it was sent out (the request) is
    not a return.  Messages an earlier version passed over as 'your own message' are read again."""
    from planbook.workbook.edit import change_settings

    b, copies = quarter["bytes"], quarter["copies"]
    change_settings(quarter["plan"], coordinator_email="kim@example.org")  # the coordinator leads Kim Ray's actions
    kim = _copy(copies, "Kim Ray", "Complete", "Done myself", dt.date(2009, 9, 30), tmp_path / "k.xlsx")
    coordinator = "Kim Ray <kim@example.org>"

    def forwarded(sender: str, name: str, data: bytes, mid: str) -> EmailMessage:
        return _message(sender, "my update", _local(2009, 9, 29, 9), [(name, data, XLSX)], mid=mid)

    as_message = _message(coordinator, "FW: Jane", _local(2009, 9, 30, 9), [], mid="<fw-rfc822@example.org>")
    as_message.add_attachment(forwarded("jane.smith@example.org", "Jane.xlsx", b["jane"], "<j@example.org>"))
    as_eml = _message(coordinator, "FW: DD", _local(2009, 9, 30, 10), [
        ("DD.eml", forwarded("dd@example.org", "DD.xlsx", b["dd1"], "<d@example.org>").as_bytes(),
         "application/octet-stream")], mid="<fw-eml@example.org>")
    by_pa = _message("pa@elsewhere.example", "FW: Ann", _local(2009, 9, 30, 11), [], mid="<fw-pa@example.org>")
    by_pa.add_attachment(forwarded("ann@example.org", "Ann.xlsx", b["ann"], "<a@example.org>"))
    own = _message(coordinator, "my own update", _local(2009, 9, 30, 12), [("Kim Ray.xlsx", kim, XLSX)],
                   mid="<kim-own@example.org>")
    inline = _message(coordinator, "FW: Raj", _local(2009, 9, 30, 13), [
        ("Raj.xlsx", _copy(copies, "Raj Patel", "On track", "Raj's words", dt.date(2009, 9, 28), tmp_path / "r.xlsx"),
         XLSX)], mid="<fw-inline@example.org>")
    request = _message(coordinator, "Youth plan: your update", _local(2009, 9, 1, 9),
                       [("Omar Khan.xlsx", (copies / "Omar Khan.xlsx").read_bytes(), XLSX),
                        ("Kim Ray.xlsx", (copies / "Kim Ray.xlsx").read_bytes(), XLSX)], mid="<request@example.org>")
    mail = tmp_path / "mail"
    mail.mkdir()
    for i, msg in enumerate((as_message, as_eml, by_pa, own, inline, request)):
        (mail / f"{i}.eml").write_bytes(msg.as_bytes())
    _msg_file(mail / "outlook.msg", "kim@example.org", "FW: Omar", "<fw-msg@example.org>", _local(2009, 9, 30, 14),
              [("RE: your update", ("omar@example.org", [("Omar.xlsx", _copy(
                  copies, "Omar Khan", "Slippage", "Omar's words", dt.date(2009, 9, 27), tmp_path / "o.xlsx"))]))])
    returns = quarter["returns"]
    run = collect_returns(quarter["plan"], returns, messages=mail)
    got = {(a.subject, a.attachment): (a.outcome, a.saved_as, a.lead) for a in run.arrivals}
    assert got == {
        ("FW: Jane", "Jane.xlsx"): (arrivals.SAVED, "Jane Smith.xlsx", "Jane Smith"),
        ("FW: DD", "DD.xlsx"): (arrivals.SAVED, "DD Achievement.xlsx", "DD Achievement"),
        ("FW: Ann", "Ann.xlsx"): (arrivals.SAVED, "Ann Lee.xlsx", "Ann Lee"),
        ("my own update", "Kim Ray.xlsx"): (arrivals.SAVED, "Kim Ray.xlsx", "Kim Ray"),
        ("FW: Raj", "Raj.xlsx"): (arrivals.SET_ASIDE_OUTCOME, "Set aside/kim-example.org Raj.xlsx", ""),
        ("FW: Omar", "Omar.xlsx"): (arrivals.SAVED, "Omar Khan.xlsx", "Omar Khan"),
        ("Youth plan: your update", "Omar Khan.xlsx"): (arrivals.NOT_SAVED, "", ""),
        ("Youth plan: your update", "Kim Ray.xlsx"): (arrivals.NOT_SAVED, "", "")}, got
    notes = {a.attachment: a.note for a in run.arrivals}
    assert "forwarded by kim@example.org from jane.smith@example.org" in notes["Jane.xlsx"]
    assert "forwarded by pa@elsewhere.example from ann@example.org" in notes["Ann.xlsx"]
    assert "Raj Patel's copy filled in" in notes["Raj.xlsx"] and "set aside" in notes["Raj.xlsx"]
    assert "as it was sent out: not a return" in notes["Omar Khan.xlsx"]
    rows = {r.lead: r for r in run.tracker.leads}
    assert all(rows[lead].state != NOT_RETURNED for lead in ("Jane Smith", "DD Achievement", "Ann Lee", "Kim Ray",
                                                               "Omar Khan"))
    assert rows["Raj Patel"].state == NOT_RETURNED  # set aside: the coordinator moves it in if it is Raj's

    # a returns folder where an earlier version passed over the coordinator's messages: read again
    old = tmp_path / "old returns"
    old.mkdir()
    arrivals.add_to_log(old, [arrivals.Arrival(coordinator, "", "", "my own update", "<kim-own@example.org>",
                                               "Kim Ray.xlsx", _sha(kim), arrivals.NOT_SAVED,
                                               note="sent by the plan's coordinator (your own message): not a return",
                                               collected_at="2009-10-01T09:00:00+00:00")])
    run = collect_returns(quarter["plan"], old, messages=mail / "3.eml")
    assert [(a.outcome, a.saved_as) for a in run.arrivals] == [(arrivals.SAVED, "Kim Ray.xlsx")]
    again = collect_returns(quarter["plan"], old, messages=mail / "3.eml")
    assert again.arrivals == [] and again.already == 1


@pytest.mark.parametrize("sender", ["jane.smith@example.org", "someone@elsewhere.example", "team"])
def test_the_whole_plan_sent_back_by_a_lead_is_their_return(quarter, sender):
    """Jane fills in her tab of the whole master plan and emails that back: collect saves it as
    her return (the consolidation reads her tab of it), as it would if saved by hand under her
    name.  The same from an address that is no lead's, or one two leads share, is set aside."""
    import openpyxl

    work = quarter["tmp"] / "whole.xlsx"
    wb = openpyxl.load_workbook(quarter["plan"])
    ws = wb["Jane Smith"]
    header = [c.value for c in ws[1]]
    ws.cell(2, header.index("Status") + 1).value = "Complete"
    ws.cell(2, header.index("Progress update") + 1).value = "Finished in September"
    wb.save(work)
    if sender == "team":  # an address two leads share
        wb = openpyxl.load_workbook(quarter["plan"])
        lists = wb["Lists"]
        for row in lists.iter_rows(min_row=2):
            if row[0].value in ("Jane Smith", "Ann Lee"):
                row[1].value = "team@example.org"
        wb.save(quarter["plan"])
        sender = "team@example.org"
    mail = quarter["tmp"] / "mail"
    mail.mkdir()
    msg = _message(sender, "my update", _local(2009, 9, 30, 9), [("Youth plan.xlsx", work.read_bytes(), XLSX)],
                   mid="<whole@example.org>")
    (mail / "a.eml").write_bytes(msg.as_bytes())
    run = collect_returns(quarter["plan"], quarter["returns"], messages=mail)
    (arrival,) = run.arrivals
    jane = next(r for r in run.tracker.leads if r.lead == "Jane Smith")
    if sender == "jane.smith@example.org":
        assert (arrival.outcome, arrival.saved_as, arrival.lead) == (arrivals.SAVED, "Jane Smith.xlsx", "Jane Smith")
        assert jane.returned
        result = consolidate_to([quarter["returns"], quarter["plan"]], quarter["tmp"] / "c.xlsx")
        assert next(a for a in result.actions if a.lead == "Jane Smith").progress == "Finished in September"
    else:
        assert arrival.outcome == arrivals.SET_ASIDE_OUTCOME and not jane.returned
