"""Email through a real SMTP server (aiosmtpd on 127.0.0.1), parsed back."""
from __future__ import annotations

import email
import json
import socket
from email import policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from .conftest import run_cli


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Recorder:
    def __init__(self) -> None:
        self.envelopes = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("reject"):
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


def _auth(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login == b"coord" and auth_data.password == b"s3cret"
    return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd sends the 535 reply itself


@pytest.fixture
def smtp_server():
    handler = Recorder()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port(), authenticator=_auth,
                            auth_require_tls=False)
    controller.start()
    try:
        yield controller, handler
    finally:
        controller.stop()


def _messages(handler):
    return [email.message_from_bytes(e.original_content, policy=policy.default) for e in handler.envelopes]


def test_report_email_sent_and_parsed_back(demo, smtp_server):
    controller, handler = smtp_server
    result = run_cli("email", demo.files["consolidated"], "--to", "Portfolio Holder <ph@council.example>",
                     "--cc", "director@council.example", "--from", "plans@council.example",
                     "--smtp-host", "127.0.0.1", "--smtp-port", controller.port)
    assert result.returncode == 0, result.stderr
    (msg,) = _messages(handler)
    assert handler.envelopes[0].rcpt_tos == ["ph@council.example", "director@council.example"]
    assert msg["To"] == "Portfolio Holder <ph@council.example>" and msg["Cc"] == "director@council.example"
    assert "progress report" in msg["Subject"]
    counts = demo.consolidation.status_counts()
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert f"Of the {len(demo.consolidation.actions)} actions" in text and f"{counts['Slippage']} show slippage" in text
    assert "<table" in html and "#FFD966" in html.upper() and "Staying Safe" in html
    files = {p.get_filename(): p.get_content() for p in msg.iter_attachments()}
    assert files == {"consolidated.xlsx": Path(demo.files["consolidated"]).read_bytes(),
                     "summary.docx": Path(demo.files["summary"]).read_bytes()}


def test_login_with_password_from_environment(demo, smtp_server, monkeypatch):
    import os

    controller, handler = smtp_server
    env = {**os.environ, "PLANBOOK_SMTP_PASSWORD": "s3cret"}
    args = ["email", demo.files["consolidated"], "--to", "a@council.example", "--smtp-host", "127.0.0.1",
            "--smtp-port", controller.port, "--smtp-user", "coord"]
    assert run_cli(*args, env=env).returncode == 0
    bad = run_cli(*args, env={**env, "PLANBOOK_SMTP_PASSWORD": "wrong"})
    assert bad.returncode == 2 and "refused the login" in bad.stderr and "Traceback" not in bad.stderr
    assert len(handler.envelopes) == 1


def test_injection_attempt_in_subject_adds_no_header(demo, smtp_server):
    controller, handler = smtp_server
    result = run_cli("email", demo.files["consolidated"], "--to", "a@council.example",
                     "--subject", "Q2 report\r\nBcc: evil@attacker.example\r\nX-Evil: 1",
                     "--smtp-host", "127.0.0.1", "--smtp-port", controller.port)
    assert result.returncode == 0, result.stderr
    (msg,) = _messages(handler)
    assert msg["Bcc"] is None and msg["X-Evil"] is None
    assert handler.envelopes[0].rcpt_tos == ["a@council.example"]
    assert msg["Subject"] == "Q2 report Bcc: evil@attacker.example X-Evil: 1"


def test_rejected_recipient_is_not_success(demo, smtp_server):
    controller, handler = smtp_server
    common = [demo.files["consolidated"], "--smtp-host", "127.0.0.1", "--smtp-port", controller.port]
    partial = run_cli("email", *common, "--to", "ok@council.example", "--to", "reject@council.example")
    assert partial.returncode == 2 and "reject@council.example" in partial.stderr and "NOT delivered" in partial.stderr
    everyone = run_cli("email", *common, "--to", "reject@council.example")
    assert everyone.returncode == 2 and "rejected the recipient" in everyone.stderr


def test_refused_connection_is_a_clear_error(demo):
    result = run_cli("email", demo.files["consolidated"], "--to", "a@council.example",
                     "--smtp-host", "127.0.0.1", "--smtp-port", _free_port())
    assert result.returncode == 2 and "cannot connect to SMTP server 127.0.0.1" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("address", ["not-an-address", "a@b@c.org", "a@council.example\nBcc: x@y.org", "a @b.org"])
def test_bad_addresses_are_refused(demo, tmp_path, address):
    result = run_cli("email", demo.files["consolidated"], "--to", address, "--save", tmp_path / "m.eml")
    assert result.returncode == 2 and "not a valid email address" in result.stderr
    assert not (tmp_path / "m.eml").exists()


def test_save_writes_an_unsent_draft(demo, tmp_path):
    out = tmp_path / "report.eml"
    result = run_cli("email", demo.files["consolidated"], "--to", "a@council.example", "--save", out,
                     "--attach", demo.files["consolidated"])
    assert result.returncode == 0, result.stderr
    msg = email.message_from_bytes(out.read_bytes(), policy=policy.default)
    assert msg["X-Unsent"] == "1" and msg.get_body(("html",)) is not None
    assert [p.get_filename() for p in msg.iter_attachments()] == ["consolidated.xlsx"]


def test_demo_email_draft(demo):
    msg = email.message_from_bytes(Path(demo.files["email"]).read_bytes(), policy=policy.default)
    assert msg["X-Unsent"] == "1" and len(list(msg.iter_attachments())) == 2


def test_request_updates_one_message_per_lead(demo, tmp_path, smtp_server):
    from planbook import Action, Lead, PlanInfo, write_plan

    plan = tmp_path / "plan.xlsx"
    write_plan(plan, PlanInfo("Youth plan", "Q3 2009/10", coordinator="Pat Coordinator",
                              coordinator_email="pat@council.example", leads=[Lead("Jane Smith", "jane@council.example"),
                                                             Lead("Raj\nBcc: evil@attacker.example", "raj@council.example"),
                                                             Lead("No Email")]),
               [Action("1.1", "Do it", "Jane Smith"), Action("1.2", "Do that", "Raj\nBcc: evil@attacker.example"),
                Action("1.3", "Other", "No Email")])
    saved = run_cli("request-updates", plan, "--out", tmp_path / "out", "--return-by", "2010-01-15",
                    "--save-dir", tmp_path / "eml")
    assert saved.returncode == 1 and "No Email" in saved.stderr  # not everyone could be asked
    emls = sorted((tmp_path / "eml").glob("*.eml"))
    assert len(emls) == 2
    msgs = [email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in emls]
    for msg in msgs:
        assert msg["Bcc"] is None and "15 January 2010" in msg["Subject"]
        (att,) = msg.iter_attachments()
        assert att.get_content() == (tmp_path / "out" / att.get_filename()).read_bytes()
    controller, handler = smtp_server
    sent = run_cli("request-updates", plan, "--out", tmp_path / "out2", "--return-by", "2010-01-15",
                   "--smtp-host", "127.0.0.1", "--smtp-port", controller.port)
    assert sent.returncode == 1
    assert sorted(r for e in handler.envelopes for r in e.rcpt_tos) == ["jane@council.example", "raj@council.example"]


def test_request_updates_without_a_sender_writes_nothing(plan_file, tmp_path):
    from planbook import PlanInfo, read_plan, write_plan

    plan = read_plan(plan_file)
    no_coordinator = tmp_path / "plan.xlsx"
    write_plan(no_coordinator, PlanInfo("T", "P", plan.info.leads), plan.actions)
    result = run_cli("request-updates", no_coordinator, "--out", tmp_path / "out", "--return-by", "2010-01-15",
                     "--save-dir", tmp_path / "eml")
    assert result.returncode == 2 and "--from" in result.stderr
    assert not (tmp_path / "out").exists() and not (tmp_path / "eml").exists()


@pytest.mark.parametrize("typed, why", [("jane@council.example, deputy@council.example", "more than one address"),
                                        ("raj@council.example; pa.raj@council.example", "more than one address"),
                                        ("zoë.ward@council.example", "characters an email address cannot have"),
                                        ("jane@council.example\u202e", "characters an email address cannot have"),
                                        ("Jane Smith <jane@council.example>", "a name and an address"),
                                        ("jane at council dot example", "not an email address")])
def test_a_lead_email_no_message_can_go_to_is_said_before_anything_is_written(tmp_path, typed, why):
    """An email cell Excel takes but no mail server can use — two addresses, an accent, a name
    and an address — is a finding with its Lists cell for validate, and update requests,
    reminders and receipts refuse it in one line before a copy or a message is written (the
    mail would have gone to the first address only, or stopped half way with an internal error)."""
    import openpyxl
    from planbook import Action, Lead, PlanInfo, write_plan

    plan = tmp_path / "plan.xlsx"
    write_plan(plan, PlanInfo("Youth plan", "Q3 2009/10", coordinator="Pat", coordinator_email="pat@council.example",
                              leads=[Lead("Jane Smith", "jane@council.example"), Lead("Raj Patel", "raj@council.example")]),
               [Action("1.1", "Do it", "Jane Smith"), Action("1.2", "Do that", "Raj Patel")])
    wb = openpyxl.load_workbook(plan)
    lists = wb["Lists"]
    header = [c.value for c in lists[1]]
    cell = next(lists.cell(r, header.index("Email") + 1) for r in range(2, lists.max_row + 1)
                if lists.cell(r, header.index("Lead") + 1).value == "Jane Smith")
    cell.value = typed
    wb.save(plan)
    checked = run_cli("validate", plan, "--json")
    found = [f for f in json.loads(checked.stdout)["findings"] if f["code"] == "bad-email"]
    assert [(f["sheet"], f["cell"]) for f in found] == [("Lists", cell.coordinate)] and why in found[0]["message"]
    asked = run_cli("request-updates", plan, "--out", tmp_path / "out", "--return-by", "2010-01-15",
                    "--save-dir", tmp_path / "eml")
    assert asked.returncode == 2 and "Jane Smith" in asked.stderr and why in asked.stderr
    assert "internal error" not in asked.stderr
    assert not (tmp_path / "out").exists() and not (tmp_path / "eml").exists()
    (tmp_path / "returns-none").mkdir()
    chased = run_cli("chase", plan, tmp_path / "returns-none", "--save-dir", tmp_path / "eml")
    assert chased.returncode == 2 and why in chased.stderr and not (tmp_path / "eml").exists()
    from planbook.rollup.pipeline import consolidate_to
    from planbook.workbook.split import split_plan

    split_plan(plan, tmp_path / "returns")
    consolidate_to([tmp_path / "returns", plan], tmp_path / "c.xlsx")
    receipted = run_cli("receipts", tmp_path / "c.xlsx", "--save-dir", tmp_path / "eml")
    assert receipted.returncode == 2 and why in receipted.stderr and not (tmp_path / "eml").exists()
