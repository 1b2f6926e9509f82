"""Sending mail: SMTP with timeouts, or an unsent .eml draft for Outlook.

Headers cannot be injected: every header value is folded to one line before it is set, and
addresses are validated.  Sending is all-or-nothing as far as SMTP lets us know: a refused
connection, a failed login or any rejected recipient is a :class:`SendError`, never success."""
from __future__ import annotations

import mimetypes
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from pathlib import Path

from planbook.core.addresses import check_address, one_line
from planbook.core.errors import OutputError, PlanbookError, SendError
from planbook.files.atomic import about_to_commit, atomic_output, check_output, describe_os_error, staged_outputs
from planbook.files.guard import refuse_overwriting_inputs, require_suffix

PASSWORD_ENV = "PLANBOOK_SMTP_PASSWORD"


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to send: the SMTP server, ``security`` (``"none"``, ``"starttls"`` or
    ``"ssl"``), the login user (the password from ``PLANBOOK_SMTP_PASSWORD`` when not given) and
    how long to wait for each step."""

    host: str
    port: int | None = None
    security: str = "none"  # "none", "starttls" or "ssl"
    user: str | None = None
    password: str | None = None
    timeout: float = 60.0  # seconds, for each step (see send)


def new_message(sender: str, to: Sequence[str], subject: str, cc: Sequence[str] = ()) -> EmailMessage:
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


def attach(msg: EmailMessage, path: Path) -> None:
    ctype, _ = mimetypes.guess_type(path.name)
    if path.suffix.lower() == ".xlsx":
        ctype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    elif path.suffix.lower() == ".docx":
        ctype = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    maintype, subtype = (ctype or "application/octet-stream").split("/", 1)
    msg.add_attachment(path.read_bytes(), maintype=maintype, subtype=subtype, filename=one_line(path.name))


def save_eml(msg: EmailMessage, path: str | os.PathLike[str],
             inputs: Sequence[str | os.PathLike[str]] = ()) -> Path:
    """Save as an unsent draft (``X-Unsent: 1``): Outlook opens it ready to review and send.
    Never over one of ``inputs`` (the workbook and files it attaches), and only as ``.eml``."""

    refuse_overwriting_inputs(path, inputs, what="input")
    require_suffix(path, (".eml",), "an email draft")
    if "X-Unsent" not in msg:
        msg["X-Unsent"] = "1"
    with atomic_output(path) as tmp:
        tmp.write_bytes(msg.as_bytes())
    return Path(path)


def save_drafts(drafts: Sequence[tuple[EmailMessage, str]], folder: str | os.PathLike[str]) -> list[Path]:
    """Save each (message, file name) as an unsent draft in ``folder``, all or none: every draft
    is written into a staging folder first and put in place only once all are (a full disk half
    way leaves no draft, and says so).  Returns the drafts' paths, in order."""
    folder = Path(folder)
    for _, name in drafts:  # a draft that cannot be replaced is said before any is written
        check_output(folder / name)
    with staged_outputs(folder) as stage:
        for msg, name in drafts:
            save_eml(msg, stage / name)
        about_to_commit()
        for _, name in drafts:
            try:
                os.replace(stage / name, folder / name)
            except OSError as exc:
                raise OutputError(f"cannot write {folder / name}: {describe_os_error(exc)}") from exc
    return [folder / name for _, name in drafts]


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
        reason = "no answer in time" if timed_out(exc) else getattr(exc, "strerror", None) or exc
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
        if timed_out(exc):
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


def timed_out(exc: BaseException) -> bool:
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


def sender_address(given: str | None, coordinator: str, coordinator_email: str) -> str:
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
