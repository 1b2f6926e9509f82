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
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid, parseaddr
from pathlib import Path

from .atomic import atomic_output, make_folder
from .errors import PlanbookError
from .consolidated_reader import read_consolidated
from .report import TemplateError, build_context
from .resources import TEMPLATES

PASSWORD_ENV = "PLANBOOK_SMTP_PASSWORD"
_ADDRESS = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$")


class SendError(PlanbookError):
    """The message was not (fully) sent."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int | None = None
    security: str = "none"  # "none", "starttls" or "ssl"
    user: str | None = None
    password: str | None = None
    timeout: float = 30.0


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
    context = build_context(view)
    exceptions = context["exceptions"]
    context.update(statuses=[{**s, "fill": "#" + s["fill"]} for s in context["status_rows"]],
                   top_exceptions=exceptions[:max_exceptions], more_exceptions=max(0, len(exceptions) - max_exceptions),
                   attachment_names=[f.name for f in files])
    msg = _new_message(_sender(sender, view.coordinator, view.coordinator_email), to,
                       subject or f"{context['title']}: progress report {context['period']}", cc)
    msg.set_content(_render("email.txt.j2", context, html=False))
    msg.add_alternative(_render("email.html.j2", context, html=True), subtype="html")
    for f in files:
        _attach(msg, f)
    return msg


def save_eml(msg: EmailMessage, path: str | os.PathLike[str]) -> Path:
    """Save as an unsent draft (``X-Unsent: 1``): Outlook opens it ready to review and send."""
    if "X-Unsent" not in msg:
        msg["X-Unsent"] = "1"
    with atomic_output(path) as tmp:
        tmp.write_bytes(msg.as_bytes())
    return Path(path)


def send(messages: Sequence[EmailMessage], smtp: SmtpSettings) -> int:
    """Send over one SMTP connection; raise :class:`SendError` unless every recipient was accepted."""
    import smtplib
    import socket
    import ssl

    port = smtp.port or {"ssl": 465, "starttls": 587}.get(smtp.security, 25)
    where = f"SMTP server {smtp.host}:{port}"
    password = smtp.password if smtp.password is not None else os.environ.get(PASSWORD_ENV)
    if smtp.user and not password:
        raise SendError(f"--smtp-user given but no password: set the {PASSWORD_ENV} environment variable")
    try:
        if smtp.security == "ssl":
            server = smtplib.SMTP_SSL(smtp.host, port, timeout=smtp.timeout, context=ssl.create_default_context())
        else:
            server = smtplib.SMTP(smtp.host, port, timeout=smtp.timeout)
    except (OSError, smtplib.SMTPException) as exc:
        raise SendError(f"cannot connect to {where}: {getattr(exc, 'strerror', None) or exc}") from exc
    sent = 0
    try:
        with server:
            if smtp.security == "starttls":
                server.starttls(context=ssl.create_default_context())
            if smtp.user:
                server.login(smtp.user, password)
            for msg in messages:
                refused = server.send_message(msg)
                if refused:
                    raise SendError(f"message {sent + 1} NOT delivered to every recipient — rejected: "
                                    f"{_recipients(refused)}; "
                                    f"{sent} earlier message(s) were sent")
                sent += 1
    except smtplib.SMTPAuthenticationError as exc:
        raise SendError(f"{where} refused the login for {smtp.user!r}: {exc.smtp_code} {_text(exc.smtp_error)}") from exc
    except smtplib.SMTPRecipientsRefused as exc:
        raise SendError(f"{where} rejected the recipient(s): {_recipients(exc.recipients)}; "
                        "nothing sent for this message") from exc
    except smtplib.SMTPSenderRefused as exc:
        raise SendError(f"{where} refused the sender {exc.sender}: {exc.smtp_code} {_text(exc.smtp_error)}") from exc
    except smtplib.SMTPNotSupportedError as exc:
        raise SendError(f"{where} does not support that: {exc}") from exc
    except smtplib.SMTPResponseException as exc:
        raise SendError(f"{where} answered {exc.smtp_code} {_text(exc.smtp_error)}") from exc
    except (smtplib.SMTPException, socket.timeout, OSError, ssl.SSLError) as exc:
        raise SendError(f"sending through {where} failed: {exc}") from exc
    return sent


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


def request_updates(plan_path: str | os.PathLike[str], out_dir: str | os.PathLike[str], return_by: dt.date, *,
                    sender: str | None = None, smtp: SmtpSettings | None = None,
                    save_dir: str | os.PathLike[str] | None = None, force: bool = False) -> tuple[list[UpdateRequest], list[str]]:
    """Split the plan and email each lead their own workbook with instructions and the return date.

    Returns the requests made and the leads that could not be asked (no email on Lists).
    Exactly one of ``smtp`` and ``save_dir`` is used.
    """
    from .reader import read_plan
    from .split import split_read_plan

    if (smtp is None) == (save_dir is None):
        raise PlanbookError("give either SMTP settings or a folder to save the messages in")
    plan = read_plan(plan_path)
    from_addr = check_address(_sender(sender, plan.info.coordinator, plan.info.coordinator_email))  # before writing
    emails = {lead.name.strip().lower(): lead.email.strip() for lead in plan.info.leads}
    copies = split_read_plan(plan, out_dir, force=force)
    requests, missing, messages = [], [], []
    for copy in copies:
        email = emails.get(copy.lead.strip().lower(), "")
        if not email:
            missing.append(copy.lead)
            continue
        context = {"lead": copy.lead, "title": plan.info.title or "action plan", "period": plan.info.period or "this period",
                   "attachment": copy.path.name, "actions": copy.actions, "return_by": return_by.strftime("%d %B %Y"),
                   "coordinator": plan.info.coordinator or "The plan coordinator"}
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
    else:
        send(messages, smtp)
    return requests, missing
