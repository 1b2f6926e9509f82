"""SMTP servers that stall and drop: exit 2, never "sent", and request-updates that can be
finished without asking anyone twice.

Real servers on 127.0.0.1: aiosmtpd (stalling on DATA, dropping after the data) and, where a
server must misbehave in ways aiosmtpd will not (silent after connecting, closing mid-message),
a few lines of raw-socket SMTP.
"""
from __future__ import annotations

import asyncio
import email
import socket
import threading
import time
from email import policy

import pytest
from aiosmtpd.controller import Controller

from planbook import Action, Lead, PlanInfo, write_plan

from .conftest import run_cli
from .test_email import _free_port

TIMEOUT = "1"  # seconds: every stall below must end in about this


class RawServer:
    """A tiny SMTP server on 127.0.0.1 that behaves until ``fault`` and then misbehaves.

    fault: "silent" (accepts, never greets), "drop-at-rcpt" (closes on message ``after + 1``'s
    recipient), "drop-in-data" (closes after part of message ``after + 1``), "stall-after-data"
    (never answers message ``after + 1``'s end).
    Messages before that are accepted with 250 and kept in ``messages``.
    """

    def __init__(self, fault: str, after: int = 0) -> None:
        self.fault, self.after = fault, after
        self.messages: list[bytes] = []
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(5)
        self.port = self.sock.getsockname()[1]
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        self.sock.settimeout(0.2)
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(10)
                try:
                    self._session(conn)
                except OSError:
                    pass

    def _session(self, conn: socket.socket) -> None:
        if self.fault == "silent":
            self.stop.wait(5)
            return
        f = conn.makefile("rb")
        conn.sendall(b"220 raw.test ESMTP\r\n")
        while True:
            line = f.readline()
            if not line:
                return
            cmd = line.strip().upper()
            if cmd.startswith((b"EHLO", b"HELO")):
                conn.sendall(b"250 raw.test\r\n")
            elif cmd.startswith(b"RCPT") and self.fault == "drop-at-rcpt" and len(self.messages) >= self.after:
                conn.shutdown(socket.SHUT_RDWR)
                return
            elif cmd.startswith((b"MAIL", b"RCPT", b"RSET", b"NOOP")):
                conn.sendall(b"250 OK\r\n")
            elif cmd == b"DATA":
                conn.sendall(b"354 go ahead\r\n")
                failing = len(self.messages) >= self.after
                if failing and self.fault == "drop-in-data":
                    f.read(200)  # part of the message, then hang up
                    conn.shutdown(socket.SHUT_RDWR)
                    return
                data = b""
                while not data.endswith(b"\r\n.\r\n"):
                    chunk = f.readline()
                    if not chunk:
                        return
                    data += chunk
                if failing and self.fault == "stall-after-data":
                    self.stop.wait(5)
                    return
                self.messages.append(data)
                conn.sendall(b"250 queued\r\n")
            elif cmd == b"QUIT":
                conn.sendall(b"221 bye\r\n")
                return
            else:
                conn.sendall(b"502 not here\r\n")

    def close(self) -> None:
        self.stop.set()
        self.sock.close()
        self.thread.join(5)


@pytest.fixture
def raw_server():
    made = []

    def make(fault: str, after: int = 0) -> RawServer:
        made.append(RawServer(fault, after))
        return made[-1]

    yield make
    for s in made:
        s.close()


class Misbehaving:
    """aiosmtpd handler: accepts ``after`` messages, then stalls or drops on the next."""

    def __init__(self, fault: str, after: int) -> None:
        self.fault, self.after = fault, after
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        if len(self.envelopes) >= self.after:
            if self.fault == "stall":
                await asyncio.sleep(4)
            else:  # drop: the data arrived, the connection closes with no answer
                server.transport.close()
                return None
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


@pytest.fixture
def aiosmtpd_server():
    made = []

    def make(fault: str = "none", after: int = 10**6):
        handler = Misbehaving(fault, after)
        controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
        controller.start()
        made.append(controller)
        return controller, handler

    yield make
    for c in made:
        c.stop()


def _report_args(demo, port: int) -> list[str]:
    return ["email", demo.files["consolidated"], "--to", "ph@council.example", "--smtp-host", "127.0.0.1",
            "--smtp-port", str(port), "--smtp-timeout", TIMEOUT]


def _one_line_exit_2(result, started: float, limit: float = 8.0) -> str:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "sent to" not in result.stdout
    assert time.monotonic() - started < limit  # the timeout held: no hang
    return result.stderr


def test_silent_server_times_out_at_connect(demo, raw_server):
    server = raw_server("silent")
    t = time.monotonic()
    err = _one_line_exit_2(run_cli(*_report_args(demo, server.port)), t)
    assert "cannot connect to SMTP server 127.0.0.1" in err and "no answer in time" in err


def test_drop_before_the_data_is_not_sent(demo, raw_server):
    server = raw_server("drop-at-rcpt")
    t = time.monotonic()
    err = _one_line_exit_2(run_cli(*_report_args(demo, server.port)), t)
    assert "closed the connection" in err and "message 1 NOT sent" in err
    assert server.messages == []


def test_drop_mid_message_is_never_reported_sent(demo, raw_server):
    """The client handed the whole message to the network before the server hung up: it cannot
    know how much arrived, so it says the message was not confirmed — never that it was sent."""
    server = raw_server("drop-in-data")
    t = time.monotonic()
    err = _one_line_exit_2(run_cli(*_report_args(demo, server.port)), t)
    assert "closed the connection" in err and "never confirmed it" in err
    assert server.messages == []


def test_stall_after_data_is_not_confirmed(demo, raw_server):
    server = raw_server("stall-after-data")
    t = time.monotonic()
    err = _one_line_exit_2(run_cli(*_report_args(demo, server.port)), t)
    assert "stopped answering" in err and "never confirmed" in err


def test_aiosmtpd_stalling_on_data(demo, aiosmtpd_server):
    controller, handler = aiosmtpd_server("stall", after=0)
    t = time.monotonic()
    err = _one_line_exit_2(run_cli(*_report_args(demo, controller.port)), t)
    assert "stopped answering" in err and "1 s timeout" in err
    assert handler.envelopes == []


def test_library_send_reports_what_went(demo, aiosmtpd_server):
    """send(): three messages, the server drops the connection on the third's data."""
    from planbook.core.errors import SendError
    from planbook.mail.transport import SmtpSettings, send
    from planbook.mail.report_email import build_report_email

    controller, handler = aiosmtpd_server("drop", after=2)
    msgs = [build_report_email(demo.files["consolidated"], [f"p{i}@council.example"]) for i in range(3)]
    confirmed = []
    with pytest.raises(SendError) as info:
        send(msgs, SmtpSettings("127.0.0.1", controller.port, timeout=1), on_sent=lambda i, m: confirmed.append(i))
    assert confirmed == [0, 1] and info.value.sent == 2 and info.value.unconfirmed == 2
    assert len(handler.envelopes) == 2
    with pytest.raises(SendError, match="positive"):
        send(msgs, SmtpSettings("127.0.0.1", controller.port, timeout=0))


def _plan(path, n: int = 5):
    """Leads A, B … (B's name has a line break in it, pasted from Word)."""
    leads = [Lead(f"Lead\r\n{chr(65 + i)}" if i == 1 else f"Lead {chr(65 + i)}", f"lead{i}@council.example")
             for i in range(n)]
    write_plan(path, PlanInfo("Youth plan", "Q3 2009/10", leads, coordinator="Pat",
                              coordinator_email="pat@council.example"),
               [Action(f"{i + 1}.1", f"Action {i}", lead.name) for i, lead in enumerate(leads)])
    return leads


def _recipients_raw(server: RawServer) -> list[str]:
    return [email.message_from_bytes(m, policy=policy.default)["To"].addresses[0].addr_spec for m in server.messages]


def test_request_updates_stopped_part_way_then_only_unsent(tmp_path, raw_server, aiosmtpd_server):
    plan = tmp_path / "plan.xlsx"
    leads = _plan(plan)
    out = tmp_path / "returns"
    flaky = raw_server("drop-at-rcpt", after=2)
    args = ["request-updates", plan, "--out", out, "--return-by", "2010-01-15", "--smtp-host", "127.0.0.1",
            "--smtp-timeout", TIMEOUT]
    t = time.monotonic()
    first = run_cli(*args, "--smtp-port", flaky.port)
    err = _one_line_exit_2(first, t)
    sent = _recipients_raw(flaky)
    assert len(sent) == 2
    names = {lead.email: " ".join(lead.name.split()) for lead in leads}
    done = [names[a] for a in sent]
    todo = [names[lead.email] for lead in leads if names[lead.email] not in done]
    assert f"SENT now (2): {', '.join(done)}" in err and f"NOT SENT (3): {', '.join(todo)}" in err
    assert "--only-unsent" in err
    log = (out / "update-requests-sent.tsv").read_text(encoding="utf-8").splitlines()
    assert log[0].split("\t")[:4] == ["sent_at", "return_by", "lead", "email"]
    assert sorted(line.split("\t")[2] for line in log[1:]) == sorted(done)
    sent_books = {p.name: p.read_bytes() for p in out.glob("*.xlsx") if p.stem in done}

    # the same command again without --only-unsent: refused, nothing written or sent
    good_controller, good = aiosmtpd_server()
    again = run_cli(*args, "--smtp-port", good_controller.port)
    assert again.returncode == 2 and "already sent this request" in again.stderr and good.envelopes == []

    rerun = run_cli(*args, "--smtp-port", good_controller.port, "--only-unsent")
    assert rerun.returncode == 0, rerun.stderr
    second = [r for e in good.envelopes for r in e.rcpt_tos]
    assert sorted(second) == sorted(lead.email for lead in leads if names[lead.email] in todo)
    assert sorted(sent + second) == sorted(lead.email for lead in leads)  # everyone once, nobody twice
    assert "not asked again" in rerun.stdout and all(name in rerun.stdout for name in done)
    # the workbooks already sent were not rewritten
    assert {p.name: p.read_bytes() for p in out.glob("*.xlsx") if p.stem in done} == sent_books

    # a third run: everyone is in the log, nobody is messaged
    third = run_cli(*args, "--smtp-port", good_controller.port, "--only-unsent")
    assert third.returncode == 0 and len(good.envelopes) == 3 and "sent 0 update request(s)" in third.stdout


def test_request_updates_unconfirmed_message_is_named(tmp_path, aiosmtpd_server):
    plan = tmp_path / "plan.xlsx"
    leads = _plan(plan, 3)
    controller, handler = aiosmtpd_server("drop", after=1)
    t = time.monotonic()
    result = run_cli("request-updates", plan, "--out", tmp_path / "returns", "--return-by", "2010-01-15",
                     "--smtp-host", "127.0.0.1", "--smtp-port", controller.port, "--smtp-timeout", TIMEOUT)
    err = _one_line_exit_2(result, t)
    (first,) = handler.envelopes
    name = {lead.email: " ".join(lead.name.split()) for lead in leads}
    sent = name[first.rcpt_tos[0]]
    unsure = name[leads[1].email] if sent == name[leads[0].email] else name[leads[0].email]  # the tabs' order
    last = name[leads[2].email]
    assert f"SENT now (1): {sent}" in err and "it may have arrived" in err and f"NOT SENT (1): {last}" in err
    assert f"check with them): {unsure}" in err
    # finishing the job asks only the one not sent: the unconfirmed lead is not asked twice
    good_controller, good = aiosmtpd_server()
    rerun = run_cli("request-updates", plan, "--out", tmp_path / "returns", "--return-by", "2010-01-15",
                    "--smtp-host", "127.0.0.1", "--smtp-port", good_controller.port, "--only-unsent")
    assert rerun.returncode == 0, rerun.stderr
    assert [r for e in good.envelopes for r in e.rcpt_tos] == [leads[2].email]
    assert "never confirmed by the server" in rerun.stdout and unsure in rerun.stdout
