"""The coordinator's buttons, clicked in a real office suite: LibreOffice Calc, headless, over UNO.

LibreOffice has no xlwings, so every button takes the command-line way: the macro runs
``planbook button JOB`` (the command set on the Control sheet) with every setting, waits, and
writes the Results cells and the Data issues or Returns rows it answers.  One LibreOffice process serves every click; each click opens
a copy of the shipped ``workbooks/Coordinator.xlsm`` with macros allowed, fills in the settings,
runs the macro its button's form control is bound to (read from the document), and reads the
cells back (``tests/uno_buttons.py``, run by a Python with the UNO bridge).  What the buttons wrote
is checked against what ``planbook … --json`` reports for the same inputs, against the xlwings
path's own Python (``planbook.excel.run_job``), and by opening the files they made.
"""
from __future__ import annotations

import email
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import uuid
from email import policy
from email.message import EmailMessage
from pathlib import Path

import openpyxl
import pytest

from python_calamine import CalamineWorkbook

import planbook.excel as excel
from planbook import read_plan
from planbook.core.names import file_stem
from planbook.core.status import describe_counts
from planbook.excel import BUTTONS

from .conftest import ROOT, run_cli

DRIVER = Path(__file__).with_name("uno_buttons.py")
PLANBOOK = Path(sys.executable).with_name("planbook")  # this checkout's venv: the "full path" setting
CLICK_TIMEOUT = 120  # a macro stuck on a message box fails the test instead of hanging it
AS_OF = "09/10/2009"  # typed the British way in the settings cell; the CLI gets 2009-10-09
RECIPIENTS = "a@council.example; b@council.example"
RETURN_BY = "02/10/2009"  # the Control sheet's return-by date (Chase leads); the CLI gets 2009-10-02


def _uno_python() -> str:
    """A Python that can import uno: Debian's python3-uno (make test installs it), or LibreOffice's own."""
    candidates = [os.environ.get("PLANBOOK_UNO_PYTHON"), "/usr/bin/python3",
                  "/usr/lib/libreoffice/program/python", "/opt/libreoffice/program/python", sys.executable]
    for exe in filter(None, candidates):
        if Path(exe).exists() and subprocess.run([exe, "-c", "import uno"], capture_output=True).returncode == 0:
            return exe
    pytest.fail("no Python with LibreOffice's UNO bridge: install python3-uno (`make test` does)")


class Office:
    """One headless LibreOffice listening on a pipe; ``click`` presses one button in a workbook.
    ``env`` adds environment variables (what Windows would set, e.g. OneDriveCommercial), which
    the planbook command the macros start inherits."""

    def __init__(self, soffice: str, folder: Path, env: dict[str, str] | None = None) -> None:
        self.python = _uno_python()
        self.folder = folder
        self.pipe = f"planbook-buttons-{uuid.uuid4().hex[:8]}"
        self.log = open(folder / "soffice.log", "w")
        self.proc = subprocess.Popen(
            [soffice, f"-env:UserInstallation={(folder / 'profile').as_uri()}", "--headless", "--invisible",
             "--norestore", "--nologo", "--nodefault", f"--accept=pipe,name={self.pipe};urp;"],
            stdout=self.log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})
        self.clicks = 0

    def click(self, workbook: Path, button: str, location: str | None = None, **settings: str) -> dict:
        self.clicks += 1
        request = self.folder / f"click-{self.clicks}.json"
        request.write_text(json.dumps({"workbook": str(workbook), "button": button, "settings": settings,
                                       "location": location}))
        try:
            done = subprocess.run([self.python, str(DRIVER), self.pipe, str(request)], capture_output=True,
                                  text=True, timeout=CLICK_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.close()  # LibreOffice is stuck (a dialog waiting for a click?): nothing after this can pass
            pytest.fail(f"the {button!r} button did not finish within {CLICK_TIMEOUT} s")
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    def call(self, workbook: Path, *calls: tuple[str, list]) -> list:
        """The results of functions of the workbook's macros, each called with its arguments."""
        self.clicks += 1
        request = self.folder / f"call-{self.clicks}.json"
        request.write_text(json.dumps({"workbook": str(workbook), "calls": calls}))
        done = subprocess.run([self.python, str(DRIVER), self.pipe, str(request)], capture_output=True, text=True,
                              timeout=CLICK_TIMEOUT)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)["results"]

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.log.close()


#: A SharePoint library and a user's own OneDrive for work, as Windows' synced-folder mapping and
#: environment give them; their local folders are made under the office fixture's folder.
SHAREPOINT = "https://contoso.sharepoint.com/sites/Partnership/Shared Documents"
ONEDRIVE = "https://contoso-my.sharepoint.com/personal/jane_smith_contoso_gov_uk/Documents"


@pytest.fixture(scope="module")
def synced(tmp_path_factory) -> dict[str, Path]:
    """The folders this 'computer' syncs: a SharePoint library and the user's own OneDrive."""
    root = tmp_path_factory.mktemp("synced")
    return {SHAREPOINT: root / "Contoso" / "Partnership - Documents", ONEDRIVE: root / "OneDrive - Contoso"}


@pytest.fixture(scope="module")
def office(soffice, tmp_path_factory, synced):
    env = {"PLANBOOK_SYNCED_FOLDERS": f"{SHAREPOINT}={synced[SHAREPOINT]}", "OneDriveCommercial": str(synced[ONEDRIVE])}
    lo = Office(soffice, tmp_path_factory.mktemp("office"), env)
    try:
        yield lo
    finally:
        lo.close()


def _coordinator_folder(demo, folder: Path) -> Path:
    """The plan, the leads' returns and a copy of the shipped Coordinator.xlsm in one folder.  Two more
    copies of one return are there, under names that JSON must escape (non-ASCII, an emoji, quotes, a
    backslash): their duplicates reach Data issues with those names."""
    folder.mkdir(parents=True)
    shutil.copy(demo.folder / "plan.xlsx", folder / "plan.xlsx")
    _forget_email(folder / "plan.xlsx", "Director")  # a lead who has not returned and has no address
    shutil.copytree(demo.folder / "returns", folder / "returns")
    shutil.copy(folder / "returns" / "CAMHS.xlsx", folder / "returns" / "Équipe CAMHS – copie.xlsx")
    shutil.copy(folder / "returns" / "CAMHS.xlsx", folder / "returns" / 'JW "copy" \\ 2 \U0001F600.xlsx')
    shutil.copy(ROOT / "workbooks" / "Coordinator.xlsm", folder / "Coordinator.xlsm")
    (folder / "mail").mkdir()  # Collect returns: one message, with nothing attached (nothing to save)
    note = EmailMessage()
    note["From"], note["Subject"], note["Message-ID"] = "cla.manager@council.example", "Next week", "<note@x.example>"
    note.set_content("I will send my update next week.")
    (folder / "mail" / "note.eml").write_bytes(bytes(note))
    return folder


def _forget_email(plan: Path, lead: str) -> None:
    """Blank one lead's address on the plan's Lists sheet, as a coordinator who never had it."""
    book = openpyxl.load_workbook(plan)
    lists = book["Lists"]
    header = [c.value for c in lists[1]]
    lead_col, email_col = header.index("Lead") + 1, next(i for i, h in enumerate(header, 1) if "mail" in str(h))
    [row] = [r for r in range(2, lists.max_row + 1) if lists.cell(r, lead_col).value == lead]
    lists.cell(row, email_col).value = None
    book.save(plan)


@pytest.fixture(scope="module")
def clicked(office, demo, tmp_path_factory):
    """Every button clicked once, in the order a coordinator works; and the CLI's view of the same inputs."""
    # A folder name with a space and an apostrophe: the command line must quote it.
    folder = _coordinator_folder(demo, tmp_path_factory.mktemp("buttons") / "Council's plan")
    book = folder / "Coordinator.xlsm"
    settings = {"pb_command": str(PLANBOOK), "pb_as_of": AS_OF, "pb_email_to": RECIPIENTS,
                "pb_email_cc": "c@council.example", "pb_return_by": RETURN_BY, "pb_messages_folder": "mail"}
    clicks = {b.caption: office.click(book, b.caption, **settings) for b in BUTTONS}
    (folder / "cli").mkdir()
    cli = run_cli("consolidate", folder / "returns", folder / "plan.xlsx", "--out", folder / "cli" / "consolidated.xlsx",
                  "--as-of", "2009-10-09", "--json")
    assert cli.returncode == 0, cli.stderr
    return folder, clicks, json.loads(cli.stdout)


def _time_stamped(status: str, prefix: str) -> None:
    assert re.fullmatch(re.escape(prefix) + r" at \d\d:\d\d", status), status


def test_every_button_runs_the_macro_its_control_is_bound_to(clicked):
    _, clicks, _ = clicked
    for button in BUTTONS:
        click = clicks[button.caption]
        assert click["bindings"][button.caption] == click["script"]
        assert click["script"] == \
            f"vnd.sun.star.script:VBAProject.Planbook.{button.macro}?language=Basic&location=document"
        assert not click["results"]["pb_status"].startswith(("Failed", "Running")), click["results"]


def test_consolidate_button_writes_what_the_cli_reports(clicked):
    folder, clicks, cli = clicked
    results = clicks["Consolidate"]["results"]
    used = sum(1 for s in cli["sources"] if not s["skipped"])
    _time_stamped(results["pb_status"], f"Consolidated {cli['actions']} actions from {used} file(s)")
    assert results["pb_counts"] == cli["counts_text"] == describe_counts(cli["status_counts"])
    assert sum(cli["status_counts"].values()) == cli["actions"]
    out = folder / "output" / "consolidated.xlsx"
    assert results["pb_output"] == str(out)
    sheets = CalamineWorkbook.from_path(str(out)).sheet_names
    assert {"All actions", "Exceptions", "Data issues", "Sources"} <= set(sheets)

    rows = clicks["Consolidate"]["issues"]
    assert rows[0] == ["Severity", "Problem", "File", "Sheet", "Cell", "What is wrong", "Go to"]
    expected = [[i[k] for k in ("severity", "code", "file", "sheet", "cell", "message")] for i in cli["data_issues"]]
    assert len(expected) > 5 and [r[:6] for r in rows[1:]] == expected
    assert any("Équipe CAMHS – copie.xlsx" in r[2] for r in rows[1:])  # non-ASCII came through the JSON
    assert any('JW "copy" \\ 2 \U0001F600.xlsx' in r[2] for r in rows[1:])  # and escapes
    for formula, row, issue in zip(clicks["Consolidate"]["formulas"][1:], rows[1:], expected):
        assert formula[6] == _as_libreoffice_writes(excel.issue_link(*issue[2:5])) and row[6] == "open"


def _as_libreoffice_writes(formula: str) -> str:
    """A Go to link as LibreOffice gives it back: its arguments separated by ;."""
    return formula.removesuffix(',"open")') + ';"open")' if formula.endswith(',"open")') else formula


def test_the_command_line_way_writes_what_the_xlwings_way_writes(clicked, tmp_path):
    folder, clicks, _ = clicked
    settings = {**excel.settings_from_workbook(folder / "Coordinator.xlsm"), "pb_as_of": AS_OF,
                "pb_output_folder": str(tmp_path / "xlwings-way")}
    job = excel.run_job("consolidate", settings, folder)
    results = clicks["Consolidate"]["results"]
    assert job.status[:-6] == results["pb_status"][:-6] and job.counts == results["pb_counts"]
    assert job.issues == [r[:6] for r in clicks["Consolidate"]["issues"][1:]]


def test_word_summary_email_and_split_buttons_make_their_files(clicked, tmp_path):
    folder, clicks, _ = clicked
    out = folder / "output"
    summary = clicks["Word summary"]["results"]
    _time_stamped(summary["pb_status"], "Word summary written")
    assert summary["pb_output"] == str(out / "summary.docx")
    import docx

    text = "\n".join(p.text for p in docx.Document(out / "summary.docx").paragraphs)
    assert read_plan(folder / "plan.xlsx").info.title in text

    emailed = clicks["Email report"]["results"]
    assert emailed["pb_status"] == "Email saved as a draft: open it in Outlook, review and send"
    assert emailed["pb_output"] == str(out / "report.eml")
    msg = email.message_from_bytes((out / "report.eml").read_bytes(), policy=policy.default)
    assert msg["X-Unsent"] == "1" and msg["To"] == "a@council.example, b@council.example"
    assert msg["Cc"] == "c@council.example"
    assert sorted(p.get_filename() for p in msg.iter_attachments()) == ["consolidated.xlsx", "summary.docx"]

    split = clicks["Split for leads"]["results"]
    cli = run_cli("split", folder / "plan.xlsx", "--out", tmp_path / "cli-split", "--json")
    assert cli.returncode == 0, cli.stderr
    cli = json.loads(cli.stdout)
    assert split["pb_status"] == f"Wrote {len(cli['copies'])} lead workbook(s) to send out"
    assert split["pb_counts"] == f"{cli['actions']} actions" and split["pb_output"] == str(out / "for-leads")
    copies = sorted(p.name for p in (out / "for-leads").glob("*.xlsx"))
    assert copies == sorted(Path(c["path"]).name for c in cli["copies"])
    assert sum(len(read_plan(out / "for-leads" / name).actions) for name in copies) == cli["actions"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_email_button_sends_by_smtp(clicked, office):
    from aiosmtpd.controller import Controller

    class Recorder:
        envelopes: list = []

        async def handle_DATA(self, server, session, envelope):
            self.envelopes.append(envelope)
            return "250 Message accepted for delivery"

    folder, _, _ = clicked
    controller = Controller(Recorder(), hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        click = office.click(folder / "Coordinator.xlsm", "Email report", pb_command=str(PLANBOOK),
                             pb_email_to=RECIPIENTS, pb_send_mode="Send by SMTP", pb_smtp_host="127.0.0.1",
                             pb_smtp_port=str(controller.port), pb_smtp_security="none")
    finally:
        controller.stop()
    _time_stamped(click["results"]["pb_status"], "Report emailed to a@council.example, b@council.example")
    assert click["results"]["pb_output"] == ""
    (envelope,) = Recorder.envelopes
    assert sorted(envelope.rcpt_tos) == ["a@council.example", "b@council.example"]
    msg = email.message_from_bytes(envelope.original_content, policy=policy.default)
    assert "X-Unsent" not in msg and "consolidated.xlsx" in [p.get_filename() for p in msg.iter_attachments()]


def test_errors_are_shown_in_the_status_cell_and_do_not_hang(clicked, office, demo, tmp_path):
    folder, _, _ = clicked
    book = folder / "Coordinator.xlsm"
    started = time.monotonic()
    # The command is missing: the message names the setting to fix.
    missing = office.click(book, "Word summary", pb_command=str(tmp_path / "no-such" / "planbook"))
    status = missing["results"]["pb_status"]
    assert status.startswith("Failed: could not run the planbook command " + str(tmp_path / "no-such" / "planbook"))
    assert "Set 'planbook command (used when xlwings is not there; a full path works)' on the Control sheet" in status
    # Checked by planbook before anything runs: the message names the setting.
    no_to = office.click(book, "Email report", pb_command=str(PLANBOOK))
    assert no_to["results"]["pb_status"] == "Failed: fill in 'Email recipients (separate with ;)' on the Control sheet"
    # Refused by planbook itself: its one-line message, without the "planbook:" prefix.
    again = office.click(book, "Split for leads", pb_command=str(PLANBOOK))
    assert re.fullmatch(r"Failed: \d+ file\(s\) already exist in .*for-leads, e\.g\. .* \(use --force to replace "
                        r"them\)", again["results"]["pb_status"]), again["results"]
    bad_date = office.click(book, "Consolidate", pb_command=str(PLANBOOK), pb_as_of="31/02/2010")
    assert bad_date["results"]["pb_status"] == ("Failed: 'Date for overdue checks (blank = today)' is not a date: "
                                                "'31/02/2010' (use 31/03/2010)")
    empty = _coordinator_folder(demo, tmp_path / "fresh")
    first = office.click(empty / "Coordinator.xlsm", "Word summary", pb_command=str(PLANBOOK))
    assert first["results"]["pb_status"] == "Failed: no consolidated workbook yet: click Consolidate first"
    assert time.monotonic() - started < 60  # message boxes did not wait for a click


def test_the_json_summaries_the_buttons_read(demo, tmp_path):
    """report, email and consolidate --json: ASCII only (any console code page, any VBA reader)."""
    shutil.copy(demo.files["consolidated"], tmp_path / "consolidated.xlsx")
    report = run_cli("report", tmp_path / "consolidated.xlsx", "--out", tmp_path / "summary.docx", "--json")
    assert report.returncode == 0, report.stderr
    assert json.loads(report.stdout) == {"output": str(tmp_path / "summary.docx")}
    assert (tmp_path / "summary.docx").exists()
    mail = run_cli("email", tmp_path / "consolidated.xlsx", "--to", "Zoë Ångström <zoe@council.example>",
                   "--save", tmp_path / "report.eml", "--json")
    assert mail.returncode == 0, mail.stderr
    assert mail.stdout.isascii()
    summary = json.loads(mail.stdout)
    assert summary["output"] == str(tmp_path / "report.eml") and summary["sent"] is False
    assert "Zoë Ångström" in summary["to"] and summary["attachments"] == ["consolidated.xlsx", "summary.docx"]
    failed = run_cli("report", tmp_path / "missing.xlsx", "--out", tmp_path / "x.docx", "--json")
    assert failed.returncode == 2 and failed.stdout == "" and failed.stderr.startswith("planbook: ")


def _lo_rows(rows: list[list]) -> list[list]:
    """The tracker's rows as LibreOffice reads cells back: numbers as floats, blanks as ""."""
    return [[float(v) if isinstance(v, int) else v for v in row] for row in rows]


def test_chase_leads_button_reminds_and_shows_the_tracker(clicked):
    folder, clicks, _ = clicked
    click = clicks["Chase leads"]
    tracker = run_cli("returns", folder / "plan.xlsx", folder / "returns", "--return-by", "2009-10-02", "--json")
    assert tracker.returncode == 0, tracker.stderr
    tracker = json.loads(tracker.stdout)
    assert click["returns"][0] == [title for title, _ in excel.RETURNS_COLUMNS]
    assert click["returns"][1:] == _lo_rows(excel.returns_rows(tracker))
    tabs = read_plan(folder / "plan.xlsx").tabs
    assert len(click["returns"]) == 1 + len(tracker["leads"]) == len(tabs)  # every lead's tab but 'No lead'
    assert "No lead" in tabs and "No lead" not in [r["lead"] for r in tracker["leads"]]
    results = click["results"]
    assert results["pb_counts"] == tracker["summary"] and re.search(r"ha(s|ve) not returned", tracker["summary"])

    drafts = folder / "output" / "reminders"
    messages = {p.name: email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in drafts.glob("*.eml")}
    assert results["pb_output"] == str(drafts)
    by_address = {}
    for msg in messages.values():
        assert msg["X-Unsent"] == "1"
        (address,) = [a.addr_spec for a in msg["To"].addresses]
        assert address not in by_address  # nobody twice
        by_address[address] = msg
    chased = [lead for lead in tracker["leads"]
              if lead["state"] in ("not returned", "returned, nothing updated") or lead["errors"]]
    assert chased and sorted(by_address) == sorted({lead["email"] for lead in chased if lead["email"]})
    # A lead with no address on the Lists sheet: planbook exits 1 with its summary; the button says who.
    no_email = [lead["lead"] for lead in chased if not lead["email"]]
    assert no_email and results["pb_status"] == (
        f"Saved {len(messages)} reminder(s) as drafts: open them in Outlook, review and send; "
        f"no email address for {', '.join(no_email)}: not reminded")

    sent_copies = folder / "output" / "for-leads"  # what Split for leads wrote: passed as --copies
    missing = [lead for lead in tracker["leads"] if lead["state"] == "not returned"]
    assert missing
    for lead in [lead for lead in missing if lead["email"]]:
        (attachment,) = by_address[lead["email"]].iter_attachments()
        assert attachment.get_content() == (sent_copies / attachment.get_filename()).read_bytes()
    typo = [lead for lead in tracker["leads"] if lead["returned"] and lead["errors"]]
    assert typo
    listed = False
    for lead in typo:
        msg = by_address[lead["email"]]
        body = msg.get_body(("plain",)).get_content()
        mine = [a for a in msg.iter_attachments() if a.get_filename() == Path(lead["file"]).name]
        assert mine and mine[0].get_content() == Path(lead["file"]).read_bytes()  # their return, to fix in place
        listed |= bool(re.search(r"Status in [A-Z]+\d+ is 'on-track\?': choose one of Complete, On track", body))
    assert listed  # the demo's hand-typed status, with its cell


def test_chase_leads_the_xlwings_way_writes_what_the_command_line_way_writes(clicked, tmp_path):
    folder, clicks, _ = clicked
    out = tmp_path / "xlwings-way"
    shutil.copytree(folder / "output" / "for-leads", out / "for-leads")
    settings = {**excel.settings_from_workbook(folder / "Coordinator.xlsm"), "pb_return_by": RETURN_BY,
                "pb_output_folder": str(out)}
    job = excel.run_job("chase", settings, folder)
    click = clicks["Chase leads"]["results"]
    assert (job.status, job.counts, job.output) == (click["pb_status"], click["pb_counts"], str(out / "reminders"))
    assert _lo_rows(job.returns) == clicks["Chase leads"]["returns"][1:]
    assert sorted(p.name for p in (out / "reminders").glob("*.eml")) == \
        sorted(p.name for p in (folder / "output" / "reminders").glob("*.eml"))
    with pytest.raises(excel.PlanbookError, match="Leads' return-by date"):
        excel.run_job("chase", {**settings, "pb_return_by": "31/02/2010"}, folder)


def test_chase_leads_button_sends_by_smtp(clicked, office):
    from aiosmtpd.controller import Controller

    class Recorder:
        envelopes: list = []

        async def handle_DATA(self, server, session, envelope):
            self.envelopes.append(envelope)
            return "250 Message accepted for delivery"

    folder, clicks, _ = clicked
    drafts = sorted((folder / "output" / "reminders").glob("*.eml"))
    controller = Controller(Recorder(), hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        click = office.click(folder / "Coordinator.xlsm", "Chase leads", pb_command=str(PLANBOOK),
                             pb_return_by=RETURN_BY, pb_send_mode="Send by SMTP", pb_smtp_host="127.0.0.1",
                             pb_smtp_port=str(controller.port), pb_smtp_security="none")
    finally:
        controller.stop()
    status = click["results"]["pb_status"]
    no_email = "".join(clicks["Chase leads"]["results"]["pb_status"].partition("; ")[1:])  # "" when all have one
    assert re.fullmatch(rf"Sent {len(drafts)} reminder\(s\) at \d\d:\d\d" + re.escape(no_email), status), status
    assert click["results"]["pb_output"] == "" and click["returns"] == clicks["Chase leads"]["returns"]
    recipients = [r for e in Recorder.envelopes for r in e.rcpt_tos]
    assert len(Recorder.envelopes) == len(drafts) and len(set(recipients)) == len(recipients)  # nobody twice
    for envelope in Recorder.envelopes:
        msg = email.message_from_bytes(envelope.original_content, policy=policy.default)
        assert "X-Unsent" not in msg and msg["Subject"].startswith(("Reminder: update needed by 2 October 2009",
                                                                    "Please correct your return"))
    assert sorted((folder / "output" / "reminders").glob("*.eml")) == drafts  # sending saved no drafts


# ---- a workbook opened from SharePoint or OneDrive --------------------------------------------------

def _on_sharepoint(demo, folder: Path) -> Path:
    """A coordinator folder inside a synced library's local folder, as OneDrive syncs it."""
    return _coordinator_folder(demo, folder) / "Coordinator.xlsm"


def test_a_workbook_opened_from_sharepoint_uses_the_synced_folder(office, demo, synced):
    """Excel gives a workbook opened from a synced SharePoint library an https:// path; the buttons
    work in the folder synced to this computer (Windows' mapping: here PLANBOOK_SYNCED_FOLDERS)."""
    book = _on_sharepoint(demo, synced[SHAREPOINT] / "Plans" / "Council's plan 2009")
    address = f"{SHAREPOINT}/Plans/Council's plan 2009"
    click = office.click(book, "Consolidate", location=address, pb_command=str(PLANBOOK), pb_as_of=AS_OF)
    out = book.parent / "output" / "consolidated.xlsx"
    assert click["results"]["pb_status"].startswith("Consolidated "), click["results"]
    assert click["results"]["pb_output"] == str(out) and out.exists()
    assert all(str(book.parent) in r[2] for r in click["issues"][1:]), sorted({r[2] for r in click["issues"][1:]})
    # Excel may give the address %-escaped, the library's part in another case: the same folder.
    escaped = (SHAREPOINT.replace("contoso.sharepoint.com/sites/Partnership", "CONTOSO.sharepoint.com/sites/PARTNERSHIP")
               + "/Plans/Council's plan 2009").replace(" ", "%20").replace("'", "%27")
    split = office.click(book, "Split for leads", location=escaped, pb_command=str(PLANBOOK))
    assert split["results"]["pb_status"].startswith("Wrote "), split["results"]
    assert split["results"]["pb_output"] == str(book.parent / "output" / "for-leads")


def test_a_workbook_on_ones_own_onedrive_uses_the_onedrive_folder(office, demo, synced):
    """A OneDrive for work address (…-my.sharepoint.com/personal/…/Documents): the OneDriveCommercial folder."""
    book = _on_sharepoint(demo, synced[ONEDRIVE] / "Partnership")
    click = office.click(book, "Word summary", location=f"{ONEDRIVE}/Partnership", pb_command=str(PLANBOOK))
    assert click["results"]["pb_status"] == "Failed: no consolidated workbook yet: click Consolidate first"
    click = office.click(book, "Consolidate", location=f"{ONEDRIVE}/Partnership", pb_command=str(PLANBOOK))
    assert click["results"]["pb_output"] == str(book.parent / "output" / "consolidated.xlsx"), click["results"]


def test_a_workbook_on_sharepoint_with_no_synced_folder_says_which_setting_to_fill_in(office, demo, tmp_path):
    book = _on_sharepoint(demo, tmp_path / "not synced")
    address = "https://contoso.sharepoint.com/sites/Finance/Shared Documents/Plans"
    click = office.click(book, "Consolidate", location=address, pb_command=str(PLANBOOK))
    label = excel.SETTINGS["pb_local_folder"][0]
    assert click["results"]["pb_status"] == (
        f"Failed: this workbook is open from {address}, which is not a folder on this computer, and no OneDrive or "
        f"SharePoint folder synced here holds it: fill in '{label}' on the Control sheet with the folder on this "
        "computer that holds its files")
    assert "\n" not in click["results"]["pb_status"]  # one line
    filled = office.click(book, "Consolidate", location=address, pb_command=str(PLANBOOK),
                          pb_local_folder=str(book.parent))
    assert filled["results"]["pb_output"] == str(book.parent / "output" / "consolidated.xlsx"), filled["results"]


# ---- Data issues written in one go ------------------------------------------------------------------

def _plan_with_issues(folder: Path, n: int) -> Path:
    """A plan whose consolidation lists ``n`` data issues: every action's status is one nobody knows."""
    from planbook import Action, Lead, PlanInfo, parse_due, write_plan

    folder.mkdir(parents=True)
    leads = [Lead(f"Lead {i}", f"lead{i}@council.example") for i in range(10)]
    info = PlanInfo(title="Many issues", period="Q2 2009/10", leads=leads, themes=["Staying Safe"])
    write_plan(folder / "plan.xlsx", info, [
        Action(f"{i // 100 + 1}.{i % 100 + 1}", f"Action {i}", leads[i % 10].name, theme="Staying Safe",
               due=parse_due("December 2009"), status=f"on-track? {i}") for i in range(n)])
    (folder / "returns").mkdir()
    shutil.copy(ROOT / "workbooks" / "Coordinator.xlsm", folder / "Coordinator.xlsm")
    return folder / "Coordinator.xlsm"


@pytest.mark.parametrize("n", [2000, 20000])
def test_many_data_issues_are_written_in_one_go(office, tmp_path, n):
    """Measured, not asserted (speed is for benchmarks): the click's time is printed."""
    book = _plan_with_issues(tmp_path / f"{n} issues", n)
    click = office.click(book, "Consolidate", pb_command=str(PLANBOOK))
    rows = click["issues"]
    print(f"\nConsolidate button with {n} data issues: {click['seconds']:.1f} s in LibreOffice "
          "(planbook's run included)")
    assert click["results"]["pb_status"].startswith(f"Consolidated {n} actions"), click["results"]
    assert len(rows) == n + 1 and {r[1] for r in rows[1:]} == {"unknown-status"}
    assert rows[-1][5] == f"status 'on-track? {n - 1}' is not one of Complete, On track, Slippage, Off track, Not started"
    assert click["formulas"][-1][6].startswith('=HYPERLINK("' + str(book.parent / "plan.xlsx") + "#'Lead 9'!J")


def test_collect_returns_button_saves_the_emailed_returns_and_shows_the_tracker(office, demo, tmp_path_factory):
    """Two saved messages: a lead who had not returned emails their updated copy, a stranger a copy
    of someone's.  The button (the command-line way) saves the first named for the lead, sets the
    second aside, and writes what planbook collect --json and the xlwings way say."""
    folder = _coordinator_folder(demo, tmp_path_factory.mktemp("collect") / "Council's plan")
    tracker = json.loads(run_cli("returns", folder / "plan.xlsx", folder / "returns", "--json").stdout)
    lead = next(r for r in tracker["leads"] if r["state"] == "not returned" and r["email"])
    copy = demo.folder / "for-leads" / f"{file_stem(lead['lead'], set())}.xlsx"  # their copy, as sent out
    mail = folder / "mail"
    other = next(p for p in sorted((demo.folder / "for-leads").glob("*.xlsx")) if p != copy)
    for sender, mid, attached in ((lead["email"], "<lead@x.example>", copy),
                                  ("someone@elsewhere.example", "<stranger@x.example>", other)):
        msg = EmailMessage()
        msg["From"], msg["Subject"], msg["Message-ID"] = sender, "My update", mid
        msg["Received"] = "from a by b; Thu, 01 Oct 2009 15:00:00 +0000"
        msg.set_content("Attached.")
        msg.add_attachment(attached.read_bytes(), maintype="application", subtype="octet-stream", filename="plan.xlsx")
        (mail / f"{mid.strip('<>')}.eml").write_bytes(bytes(msg))
    twin = tmp_path_factory.mktemp("collect-xlwings") / "plan"
    shutil.copytree(folder, twin)
    click = office.click(folder / "Coordinator.xlsm", "Collect returns", pb_command=str(PLANBOOK),
                         pb_messages_folder="mail")
    results = click["results"]
    _time_stamped(results["pb_status"].split(";")[0], "Collected 1 return(s)")
    assert results["pb_status"].endswith("; 1 set aside (not from a lead: see the Set aside folder)")
    assert results["pb_output"] == str(folder / "returns")
    saved = folder / "returns" / f"{lead['lead']}.xlsx"
    assert saved.read_bytes() == copy.read_bytes()
    assert len(list((folder / "returns" / "Set aside").iterdir())) == 1
    after = json.loads(run_cli("returns", folder / "plan.xlsx", folder / "returns", "--json").stdout)
    assert results["pb_counts"] == after["summary"]
    assert click["returns"][1:] == _lo_rows(excel.returns_rows(after))
    [row] = [r for r in after["leads"] if r["lead"] == lead["lead"]]
    assert row["returned"] and row["arrival"] == f"received from {lead['email']} on 1 Oct 2009 15:00"
    job = excel.run_job("collect", {**excel.settings_from_workbook(twin / "Coordinator.xlsm"),
                                    "pb_messages_folder": "mail"}, twin)
    assert (job.status.split(" at ")[0], job.status.split(";", 1)[1]) == (
        results["pb_status"].split(" at ")[0], results["pb_status"].split(";", 1)[1])
    def shown(rows):  # the twin folder's paths differ: compare the file names
        return [[lead, state, Path(file).name, *rest[1:]] for lead, state, file, *rest in rows]

    assert job.counts == results["pb_counts"] and shown(_lo_rows(job.returns)) == shown(click["returns"][1:])
    missing = office.click(folder / "Coordinator.xlsm", "Collect returns", pb_command=str(PLANBOOK))
    assert missing["results"]["pb_status"].startswith("Failed: fill in 'Collect returns from:")


# ---- the command line the buttons run on Windows ----------------------------------------------------

#: What a setting, a folder or a file name may hold, each a trap for some layer of a Windows
#: command line: the C runtime's backslash and quote rules, cmd's operators, carets and
#: %variables%, WScript.Shell's own %variable% expansion.
AWKWARD_ARGUMENTS = [
    "C:\\Users\\jane\\OneDrive - Anytown Council\\Plan\\",  # a folder typed with a trailing backslash
    "pb_local_folder=C:\\Users\\jane\\OneDrive - Anytown Council\\Plan\\",
    "C:\\Plan\\", "Plan\\\\", "\\", "\\\\", "\\\\server\\share\\", "\\\\server\\share\\Plans #2\\plan.xlsx",
    'say "hello"', 'a\\"b', 'a\\\\"b', '"', '""', '\\"', 'ends with a quote"', 'trailing \\ "\\\\',
    "", " ", "two  spaces", "tab\there", "Équipe – Zoë 😀", "Children's Services",
    "%PATH%", "100% & 50%", "%USERNAME%\\%TEMP%", "%%", "^", "^^ caret", "!PATH!", "a & calc", "a | more",
    "a > out.txt", "< in", "(brackets)", "Program Files (x86)", 'x" & calc & "', '"&calc&"', "a;b,c=d",
]
#: The environment on the 'Windows' the simulation runs: what %...% would expand to.
WINDOWS_ENV = {"PATH": "C:\\Windows", "USERNAME": "jane", "TEMP": "C:\\Temp", "A": "expanded"}


def _expand_variables(text: str) -> str:
    """%NAME% of a defined variable replaced by its value, as WScript.Shell's Run does and cmd does
    on its command line (an undefined one is left as it is)."""
    out, i = [], 0
    while i < len(text):
        end = text.find("%", i + 1) if text[i] == "%" else -1
        if end > 0 and text[i + 1:end].upper() in WINDOWS_ENV:
            out.append(WINDOWS_ENV[text[i + 1:end].upper()])
            i = end + 1
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def _cmd(line: str) -> tuple[str, list[tuple[str, str]]]:
    """What ``cmd /d /v:off /s /c "…"`` does with its line: the outer quotes taken off, variables
    expanded, then outside quotes ^ escapes the next character and < > redirect; & | ( ) there
    would be operators.  Returns the command line it starts and its redirections."""
    prefix = "cmd /d /v:off /s /c "
    assert line.startswith(prefix + '"') and line.endswith('"'), line
    rest = _expand_variables(line[len(prefix) + 1:-1])
    out, redirections, quoted, i = [], [], False, 0
    while i < len(rest):
        c = rest[i]
        if quoted or c not in '^"<>&|()':
            out.append(c)
            quoted = quoted != (c == '"')
            i += 1
        elif c == "^":
            out.append(rest[i + 1])
            i += 2
        elif c == '"':
            out.append(c)
            quoted, i = True, i + 1
        elif c in "<>":
            handle = out.pop() if len(out) > 1 and out[-1].isdigit() and out[-2] == " " else "1"
            i += 1
            while rest[i] == " ":
                i += 1
            if rest[i] == '"':
                end = rest.index('"', i + 1)
                target, i = rest[i + 1:end], end + 1
            else:
                end = rest.find(" ", i)
                end = len(rest) if end < 0 else end
                target, i = rest[i:end], end
            redirections.append((handle + c, target))
        else:
            raise AssertionError(f"cmd would take {c!r} as an operator at {rest[max(0, i - 20):i + 20]!r}")
    return "".join(out).strip(), redirections


def _argv(line: str) -> list[str]:
    """A command line split as the Windows C runtime and CommandLineToArgvW split it: the program
    to its closing quote or a space; then 2n backslashes and a quote are n backslashes and a quote
    that opens or closes quoting, 2n+1 are n and a quote itself; other backslashes are themselves."""
    if line.startswith('"'):
        end = line.index('"', 1)
        args, i = [line[1:end]], end + 1
    else:
        end = min([p for p in (line.find(" "), line.find("\t")) if p >= 0] or [len(line)])
        args, i = [line[:end]], end
    current, quoted, started = [], False, False
    while i < len(line):
        c = line[i]
        if c == "\\":
            j = i
            while j < len(line) and line[j] == "\\":
                j += 1
            n = j - i
            if j < len(line) and line[j] == '"':
                current.append("\\" * (n // 2))
                if n % 2:
                    current.append('"')
                    j += 1
            else:
                current.append("\\" * n)
            started, i = True, j
        elif c == '"':
            if quoted and line[i + 1:i + 2] == '"':
                current.append('"')
                i += 2
            else:
                quoted, started, i = not quoted, True, i + 1
        elif c in " \t" and not quoted:
            if started:
                args.append("".join(current))
                current, started = [], False
            i += 1
        else:
            current.append(c)
            started, i = True, i + 1
    if started:
        args.append("".join(current))
    return args


def test_the_windows_command_line_gives_planbook_every_argument_as_it_was(office, tmp_path):
    """The macros' own functions, run in LibreOffice: each argument as list2cmdline writes it,
    and the whole line, through WScript.Shell, cmd and the C runtime, gives planbook exactly the
    arguments (one with each awkward value, and all of them at once) and redirects only its output."""
    import subprocess as sp

    book = tmp_path / "Coordinator.xlsm"
    shutil.copy(ROOT / "workbooks" / "Coordinator.xlsm", book)
    command, json_file, err_file = ("C:\\Program Files (x86)\\planbook\\Scripts\\planbook.exe",
                                    "C:\\Users\\JANE~1\\AppData\\Local\\Temp\\planbook-button-1.json",
                                    "C:\\Users\\JANE~1\\AppData\\Local\\Temp\\planbook-button-1.err")
    argument_lists = [["button", "consolidate", "--set", value, "--json"] for value in AWKWARD_ARGUMENTS]
    argument_lists.append(AWKWARD_ARGUMENTS)
    results = office.call(book, *[("Planbook.WindowsArgument", [value]) for value in AWKWARD_ARGUMENTS],
                          *[("Planbook.WindowsCommandLine", [command, args, json_file, err_file])
                            for args in argument_lists])
    quoted, lines = results[:len(AWKWARD_ARGUMENTS)], results[len(AWKWARD_ARGUMENTS):]
    assert quoted == [sp.list2cmdline([value]) for value in AWKWARD_ARGUMENTS]
    for args, line in zip(argument_lists, lines):
        started, redirections = _cmd(_expand_variables(line))
        assert _argv(started) == [command, *args], line
        assert redirections == [("1>", json_file), ("2>", err_file)], line


def test_go_to_links_in_a_deep_folder_with_a_hash_are_written_whole(office, demo, tmp_path):
    """A council OneDrive folder: a # in a folder's name, paths longer than a formula's text holds.
    The macro writes each link planbook gives (its location in pieces joined by &) as a formula
    LibreOffice calculates."""
    folder = _coordinator_folder(demo, tmp_path / "OneDrive - Anytown Metropolitan Borough Council" / "Shared Documents"
                                 / "Children's Services Partnership Board" / "Action Plan 2026-27 #2"
                                 / "Quarter 1 Returns and Consolidation" / "Returned copies (do not rename)")
    click = office.click(folder / "Coordinator.xlsm", "Consolidate", pb_command=str(PLANBOOK), pb_as_of=AS_OF)
    assert click["results"]["pb_status"].startswith("Consolidated "), click["results"]
    rows, formulas = click["issues"][1:], click["formulas"][1:]
    assert len(rows) > 5 and all(len(row[2]) > 255 for row in rows)
    for row, formula in zip(rows, formulas):
        assert formula[6] == _as_libreoffice_writes(excel.issue_link(*row[2:5]))
        assert row[6] == ("open" if row[4] else row[2])  # no cell to go to: the file's path, as text
    assert any('"&"' in formula[6] and formula[6].startswith('=HYPERLINK("[') for formula in formulas)
