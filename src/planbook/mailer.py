"""Email the rolled-up report (SMTP, or an unsent .eml draft for Outlook), and ask leads for updates.

Headers cannot be injected: every header value is folded to one line before it is set, and
addresses are validated.  Sending is all-or-nothing as far as SMTP lets us know: a refused
connection, a failed login or any rejected recipient is a :class:`SendError`, never success.
"""
from __future__ import annotations

import datetime as dt
import mimetypes
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid, parseaddr
from pathlib import Path

from .atomic import atomic_output, make_folder
from .errors import PlanbookError
from .consolidated_reader import read_consolidated
from .email_content import email_context
from .report import TemplateError
from .resources import TEMPLATES

PASSWORD_ENV = "PLANBOOK_SMTP_PASSWORD"
_ADDRESS = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$")


class SendError(PlanbookError):
    """The message was not (fully) sent: ``sent`` messages went before the failure, and
    ``unconfirmed`` is the index of one handed over without the server's answer (or None)."""

    sent: int = 0
    unconfirmed: int | None = None


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int | None = None
    security: str = "none"  # "none", "starttls" or "ssl"
    user: str | None = None
    password: str | None = None
    timeout: float = 60.0  # seconds, for each step (see send)


def one_line(text: str) -> str:
    """Fold any CR/LF (and other line breaks) to spaces: a header value can never start a new header."""
    return " ".join(str(text).split())


def check_address(text: str) -> str:
    """Return ``text`` as a clean address ("Name <a@b.org>" or "a@b.org"), or raise PlanbookError."""
    raw = str(text)
    if any(ch in raw for ch in "\r\n"):
        raise PlanbookError(f"not a valid email address (contains a line break): {raw!r}")
    name, addr = parseaddr(raw)
    bare = "<" not in raw
    if not addr or not _ADDRESS.match(addr) or (bare and raw.strip() != addr) or (not bare and not raw.rstrip().endswith(">")):
        raise PlanbookError(f"not a valid email address: {raw!r}")
    return formataddr((one_line(name), addr)) if name else addr


def _env(html: bool):
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    return Environment(loader=FileSystemLoader(str(TEMPLATES)), undefined=StrictUndefined,
                       autoescape=select_autoescape(["html", "j2"]) if html else False, keep_trailing_newline=True)


def _render(name: str, context: dict, html: bool) -> str:
    from jinja2 import TemplateError as JinjaError

    try:
        return _env(html).get_template(name).render(context)
    except JinjaError as exc:
        raise TemplateError(f"email template {name}: {exc}") from exc


def _new_message(sender: str, to: Sequence[str], subject: str, cc: Sequence[str] = ()) -> EmailMessage:
    """A message with checked addresses and a one-line subject: headers cannot be injected."""
    msg = EmailMessage()
    msg["From"] = check_address(sender)
    msg["To"] = ", ".join(check_address(a) for a in to)
    if cc:
        msg["Cc"] = ", ".join(check_address(a) for a in cc)
    msg["Subject"] = one_line(subject)
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain="planbook.local")
    return msg


def _attach(msg: EmailMessage, path: Path) -> None:
    ctype, _ = mimetypes.guess_type(path.name)
    if path.suffix.lower() == ".xlsx":
        ctype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    elif path.suffix.lower() == ".docx":
        ctype = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    maintype, subtype = (ctype or "application/octet-stream").split("/", 1)
    msg.add_attachment(path.read_bytes(), maintype=maintype, subtype=subtype, filename=one_line(path.name))


def default_attachments(consolidated: Path) -> list[Path]:
    """The consolidated workbook and, if it is beside it, the Word summary."""
    files = [consolidated]
    for name in ("summary.docx", f"{consolidated.stem}-summary.docx", f"{consolidated.stem}.docx"):
        candidate = consolidated.parent / name
        if candidate.exists():
            files.append(candidate)
            break
    return files


def build_report_email(consolidated: str | os.PathLike[str], to: Sequence[str], *, cc: Sequence[str] = (),
                       sender: str | None = None, subject: str | None = None,
                       attachments: Sequence[str | os.PathLike[str]] | None = None,
                       max_exceptions: int = 10) -> EmailMessage:
    """A multipart message: text and HTML bodies from the templates, plus attachments."""
    path = Path(consolidated)
    if not to:
        raise PlanbookError("give at least one recipient (--to)")
    view = read_consolidated(path)
    files = [Path(a) for a in attachments] if attachments is not None else default_attachments(path)
    for f in files:
        if not f.is_file():
            raise PlanbookError(f"attachment not found: {f}")
    context = email_context(view, max_exceptions)
    context["attachment_names"] = [one_line(f.name) for f in files]
    msg = _new_message(_sender(sender, view.coordinator, view.coordinator_email), to,
                       subject or f"{context['title']}: progress report {context['period']}", cc)
    msg.set_content(_render("email.txt.j2", context, html=False))
    msg.add_alternative(_render("email.html.j2", context, html=True), subtype="html")
    for f in files:
        _attach(msg, f)
    return msg


def save_eml(msg: EmailMessage, path: str | os.PathLike[str],
             inputs: Sequence[str | os.PathLike[str]] = ()) -> Path:
    """Save as an unsent draft (``X-Unsent: 1``): Outlook opens it ready to review and send.
    Never over one of ``inputs`` (the workbook and files it attaches), and only as ``.eml``."""
    from .guard import refuse_overwriting_inputs, require_suffix

    refuse_overwriting_inputs(path, inputs, what="input")
    require_suffix(path, (".eml",), "an email draft")
    if "X-Unsent" not in msg:
        msg["X-Unsent"] = "1"
    with atomic_output(path) as tmp:
        tmp.write_bytes(msg.as_bytes())
    return Path(path)


def send(messages: Sequence[EmailMessage], smtp: SmtpSettings,
         on_sent: Callable[[int, EmailMessage], None] | None = None) -> int:
    """Send over one SMTP connection; raise :class:`SendError` unless every recipient was accepted.

    Every step keeps a timeout (``smtp.timeout`` seconds for the connection, the greeting, the
    login and each command; the DATA phase that plus a second per 100 kB of message), so a
    server that stalls is an error, never a hang.  A message counts as sent only when the
    server has answered 250 to its data; ``on_sent(i, msg)`` is called then, before the next
    one.  A failure says how many were sent first (``SendError.sent``) and whether the message
    in flight was handed over without an answer (``SendError.unconfirmed``: it may arrive).
    """
    import smtplib
    import ssl

    port = smtp.port or {"ssl": 465, "starttls": 587}.get(smtp.security, 25)
    where = f"SMTP server {smtp.host}:{port}"
    password = smtp.password if smtp.password is not None else os.environ.get(PASSWORD_ENV)
    if smtp.user and not password:
        raise SendError(f"--smtp-user given but no password: set the {PASSWORD_ENV} environment variable")
    if not smtp.timeout or smtp.timeout <= 0:
        raise SendError(f"the SMTP timeout must be a positive number of seconds, not {smtp.timeout!r}")
    try:
        if smtp.security == "ssl":
            server = _tracking(smtplib.SMTP_SSL)(smtp.host, port, timeout=smtp.timeout,
                                                 context=ssl.create_default_context())
        else:
            server = _tracking(smtplib.SMTP)(smtp.host, port, timeout=smtp.timeout)
    except (OSError, smtplib.SMTPException) as exc:
        reason = "no answer in time" if _timed_out(exc) else getattr(exc, "strerror", None) or exc
        raise SendError(f"cannot connect to {where}: {reason} (timeout {smtp.timeout:g} s)") from exc
    sent = 0
    ok = False

    def failed(text: str, exc: BaseException | None = None) -> SendError:
        in_flight = server.handed_over
        err = SendError(text + (f"; message {sent + 1} was handed over but the server never confirmed it: it may "
                                "or may not arrive" if in_flight else f"; message {sent + 1} NOT sent")
                        + (f"; {sent} earlier message(s) were sent" if sent else ""))
        err.sent, err.unconfirmed = sent, (sent if in_flight else None)
        return err

    try:
        if smtp.security == "starttls":
            server.starttls(context=ssl.create_default_context())
        if smtp.user:
            server.login(smtp.user, password)
        for msg in messages:
            data = msg.as_bytes()
            server.handed_over = False
            server.sock.settimeout(smtp.timeout + len(data) / 100_000)
            refused = server.send_message(msg)
            server.sock.settimeout(smtp.timeout)
            if refused:
                err = SendError(f"message {sent + 1} NOT delivered to every recipient — rejected: "
                                f"{_recipients(refused)}; {sent} earlier message(s) were sent")
                err.sent = sent
                raise err
            sent += 1
            if on_sent is not None:
                try:
                    on_sent(sent - 1, msg)
                except OSError as exc:  # e.g. the sent log cannot be written: stop, saying so
                    err = SendError(f"message {sent} was sent but could not be recorded ({exc}); "
                                    f"{sent} message(s) were sent, none after it")
                    err.sent = sent
                    raise err from exc
        ok = True
    except SendError:
        raise
    except smtplib.SMTPAuthenticationError as exc:
        raise failed(f"{where} refused the login for {smtp.user!r}: {exc.smtp_code} {_text(exc.smtp_error)}") from exc
    except smtplib.SMTPRecipientsRefused as exc:
        raise failed(f"{where} rejected the recipient(s): {_recipients(exc.recipients)}") from exc
    except smtplib.SMTPSenderRefused as exc:
        raise failed(f"{where} refused the sender {exc.sender}: {exc.smtp_code} {_text(exc.smtp_error)}") from exc
    except smtplib.SMTPNotSupportedError as exc:
        raise failed(f"{where} does not support that: {exc}") from exc
    except smtplib.SMTPResponseException as exc:
        raise failed(f"{where} answered {exc.smtp_code} {_text(exc.smtp_error)}") from exc
    except (smtplib.SMTPServerDisconnected, OSError) as exc:  # ssl.SSLError is an OSError
        if _timed_out(exc):
            raise failed(f"{where} stopped answering (no reply within the {smtp.timeout:g} s timeout)") from exc
        if isinstance(exc, (smtplib.SMTPServerDisconnected, ConnectionError)):
            raise failed(f"{where} closed the connection ({exc or 'unexpectedly'})") from exc
        raise failed(f"sending through {where} failed: {exc}") from exc
    except smtplib.SMTPException as exc:
        raise failed(f"sending through {where} failed: {exc}") from exc
    finally:
        if ok:
            try:
                server.quit()  # every message is confirmed: a failing goodbye changes nothing
            except (smtplib.SMTPException, OSError):
                server.close()
        else:
            server.close()  # no QUIT to a server that failed: it could stall again
    return sent


def _timed_out(exc: BaseException) -> bool:
    """A socket timeout, also when smtplib has turned it into "Connection unexpectedly closed"."""
    import socket

    while exc is not None:
        if isinstance(exc, (socket.timeout, TimeoutError)):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _tracking(base):
    """``base`` (smtplib.SMTP or SMTP_SSL) noting when a message's data went out in full, so a
    failure after that point is "not confirmed" rather than "not sent"."""

    class Tracking(base):
        handed_over = False

        def send(self, s):  # smtplib sends the whole DATA payload, ending CRLF.CRLF, in one call
            super().send(s)
            if isinstance(s, bytes) and s.endswith(b"\r\n.\r\n"):
                self.handed_over = True

    return Tracking


def _sender(given: str | None, coordinator: str, coordinator_email: str) -> str:
    """The From address: as given, else the plan's coordinator."""
    if given:
        return given
    if coordinator_email:
        return formataddr((one_line(coordinator), coordinator_email)) if coordinator else coordinator_email
    raise PlanbookError("no sender address: give --from ADDR (the plan has no coordinator email)")


def _text(value: object) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def _recipients(refused: dict) -> str:
    """{address: (code, reply)} as "a@b.org (550 no such user); …"."""
    return "; ".join(f"{a} ({code} {_text(reply)})" for a, (code, reply) in refused.items())


@dataclass
class UpdateRequest:
    lead: str
    email: str
    workbook: Path
    eml: Path | None = None
    sent: bool = False


#: The record, kept in the folder of the leads' workbooks, of every update request the SMTP
#: server accepted: a re-run with ``only_unsent`` skips the leads it lists for the same return date.
SENT_LOG = "update-requests-sent.tsv"
_LOG_HEADER = ["sent_at", "return_by", "lead", "email", "workbook", "message_id", "confirmed"]


def read_sent_log(out_dir: str | os.PathLike[str], return_by: dt.date) -> dict[str, dict[str, str]]:
    """Leads (lower-cased) already sent a request for ``return_by``, from the folder's sent log."""
    import csv

    path = Path(out_dir) / SENT_LOG
    if not path.is_file():
        return {}
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh, delimiter="\t"))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise PlanbookError(f"cannot read the sent log {path}: {exc}") from exc
    return {lead_key(r["lead"]): r for r in rows if r.get("lead") and r.get("return_by") == return_by.isoformat()}


def lead_key(name: str) -> str:
    """A lead's name as the sent log matches it: one line, any case."""
    return one_line(name).lower()


def _log_sent(path: Path, return_by: dt.date, req: UpdateRequest, msg: EmailMessage, confirmed: bool = True) -> None:
    """Append one line and flush it to disk before the next message is sent."""
    import csv
    import io

    new = not path.exists()
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter="\t", lineterminator="\n")
    if new:
        writer.writerow(_LOG_HEADER)
    writer.writerow([dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), return_by.isoformat(),
                     one_line(req.lead), req.email, req.workbook.name, one_line(msg["Message-ID"] or ""),
                     "yes" if confirmed else "no"])
    with open(path, "a", encoding="utf-8", newline="") as fh:
        fh.write(buffer.getvalue())
        fh.flush()
        os.fsync(fh.fileno())


def request_updates(plan_path: str | os.PathLike[str], out_dir: str | os.PathLike[str], return_by: dt.date, *,
                    sender: str | None = None, smtp: SmtpSettings | None = None,
                    save_dir: str | os.PathLike[str] | None = None, force: bool = False,
                    only_unsent: bool = False) -> tuple[list[UpdateRequest], list[str]]:
    """Split the plan and email each lead their own workbook with instructions and the return date.

    Returns the requests made and the leads that could not be asked (no email on Lists).
    Exactly one of ``smtp`` and ``save_dir`` is used.  Sent by SMTP, each request the server
    accepts is recorded at once in ``out_dir``/update-requests-sent.tsv.  If sending stops part
    way, :class:`SendError` names the leads sent their request and those not; the same call
    with ``only_unsent`` then asks only the others (rewriting only their workbooks), so nobody
    is asked twice.  Without ``only_unsent``, leads the log lists for this return date are an
    error before anything is written or sent.
    """
    from .reader import read_plan
    from .split import split_read_plan

    if (smtp is None) == (save_dir is None):
        raise PlanbookError("give either SMTP settings or a folder to save the messages in")
    if only_unsent and smtp is None:
        raise PlanbookError("--only-unsent applies to sending by SMTP (the sent log); not to --save-dir")
    plan = read_plan(plan_path)
    from_addr = check_address(_sender(sender, plan.info.coordinator, plan.info.coordinator_email))  # before writing
    emails = {lead.name.strip().lower(): lead.email.strip() for lead in plan.info.leads}
    already = read_sent_log(out_dir, return_by) if smtp is not None else {}
    if already and not only_unsent:
        names = sorted(r["lead"] for r in already.values())
        raise PlanbookError(f"{len(names)} lead(s) were already sent this request (return by {return_by:%d/%m/%Y}; "
                            f"{Path(out_dir) / SENT_LOG}): {', '.join(names)}; re-run with --only-unsent to ask "
                            "only the others, or remove that file to ask everyone again")
    if only_unsent:
        wanted = {name for name in plan.lead_tabs().values() if lead_key(name) not in already}
        copies = split_read_plan(plan, out_dir, force=True, only=wanted)
    else:
        copies = split_read_plan(plan, out_dir, force=force)
    requests, missing, messages = [], [], []
    for copy in copies:
        email = emails.get(copy.lead.strip().lower(), "")
        if not email:
            missing.append(copy.lead)
            continue
        context = {"lead": one_line(copy.lead), "title": one_line(plan.info.title) or "action plan",
                   "period": one_line(plan.info.period) or "this period",
                   "attachment": copy.path.name, "actions": copy.actions,
                   "return_by": f"{return_by.day} {return_by:%B %Y}",
                   "coordinator": one_line(plan.info.coordinator) or "The plan coordinator"}
        msg = _new_message(from_addr, [formataddr((one_line(copy.lead), email))],
                           f"Update needed by {context['return_by']}: {context['title']} ({copy.lead})")
        msg.set_content(_render("request.txt.j2", context, html=False))
        _attach(msg, copy.path)
        requests.append(UpdateRequest(copy.lead, email, copy.path))
        messages.append(msg)
    if save_dir is not None:
        folder = Path(save_dir)
        make_folder(folder)
        for req, msg in zip(requests, messages):
            req.eml = save_eml(msg, folder / f"{req.workbook.stem}.eml")
        return requests, missing
    log = Path(out_dir) / SENT_LOG

    def sent(i: int, msg: EmailMessage) -> None:
        requests[i].sent = True
        _log_sent(log, return_by, requests[i], msg)

    try:
        send(messages, smtp, on_sent=sent)
    except SendError as exc:
        done = [one_line(r.lead) for r in requests if r.sent]
        unsure = one_line(requests[exc.unconfirmed].lead) if exc.unconfirmed is not None else None
        if unsure:  # it may have arrived: logged, so that --only-unsent does not ask twice
            _log_sent(log, return_by, requests[exc.unconfirmed], messages[exc.unconfirmed], confirmed=False)
        todo = [one_line(r.lead) for r in requests if not r.sent and one_line(r.lead) != unsure]
        parts = [f"update requests stopped: {exc}", f"SENT now ({len(done)}): {', '.join(done) or 'nobody'}"]
        if already:
            parts.append(f"sent before ({len(already)}): {', '.join(r['lead'] for r in already.values())}")
        if unsure:
            parts.append(f"NOT CONFIRMED (the server took the message but never answered: it may have arrived; "
                         f"logged as unconfirmed, so --only-unsent will not ask again — check with them): {unsure}")
        parts.append(f"NOT SENT ({len(todo)}): {', '.join(todo) or 'nobody'}")
        parts.append(f"the sent log is {log}; re-run the same command with --only-unsent to ask only those not sent")
        err = SendError(" — ".join(parts))
        err.sent, err.unconfirmed = exc.sent, exc.unconfirmed
        raise err from exc
    return requests, missing

