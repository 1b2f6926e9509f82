"""Reading a mailbox over IMAP: TLS always, a timeout on every step, nothing changed unless asked.

The folder is opened read-only (EXAMINE) and messages fetched with BODY.PEEK, so collecting
leaves every message as it was — unread stays unread — unless the caller asks to mark them
read or move them (then the folder is opened read-write, and only those messages are touched).
The login is a password (from ``PLANBOOK_IMAP_PASSWORD``) or an OAuth2 access token
(``PLANBOOK_IMAP_TOKEN``, sent as XOAUTH2, as Microsoft 365 and Gmail require).  A server that
stalls is an error after ``timeout`` seconds, as SMTP's is (see planbook.mail.transport).
"""
from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass

from planbook.core.errors import MailboxError
from planbook.mail.incoming import message_id_of
from planbook.mail.transport import timed_out

PASSWORD_ENV = "PLANBOOK_IMAP_PASSWORD"
TOKEN_ENV = "PLANBOOK_IMAP_TOKEN"


@dataclass(frozen=True)
class ImapSettings:
    """Where the mailbox is and how to log in: host, user, folder; TLS from the start (``ssl``)
    or after STARTTLS; the password or OAuth2 token from the environment unless given."""

    host: str
    user: str
    folder: str = "INBOX"
    port: int | None = None
    security: str = "ssl"  # "ssl" (IMAPS, port 993) or "starttls" (port 143): never in clear
    password: str | None = None  # else PLANBOOK_IMAP_PASSWORD
    oauth: bool = False  # log in with an OAuth2 access token (XOAUTH2) from PLANBOOK_IMAP_TOKEN
    token: str | None = None
    cafile: str | None = None  # trust this certificate (a council's own CA); default: the system's
    timeout: float = 60.0  # seconds, for each step


@dataclass
class Listed:
    """A message in the folder, before its body is fetched."""

    uid: str
    size: int
    received: dt.datetime | None
    message_id: str  # as planbook.mail.incoming reads it from the whole message ("" when it has none)


def quote_folder(name: str) -> str:
    """A folder name as an IMAP string: modified UTF-7 (RFC 3501) for non-ASCII, then quoted."""
    out, run = [], []

    def flush():
        if run:
            import base64

            b64 = base64.b64encode("".join(run).encode("utf-16-be")).decode("ascii").rstrip("=")
            out.append("&" + b64.replace("/", ",") + "-")
            run.clear()

    for ch in name:
        if 0x20 <= ord(ch) <= 0x7E:
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            run.append(ch)
    flush()
    text = "".join(out)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


_LISTED = re.compile(rb"UID (\d+)|RFC822\.SIZE (\d+)|INTERNALDATE \"([^\"]+)\"")


class Mailbox:
    """One IMAP connection to one folder (a context manager)."""

    def __init__(self, settings: ImapSettings, *, writable: bool = False) -> None:
        self.settings = settings
        self.writable = writable
        port = settings.port or (993 if settings.security == "ssl" else 143)
        self.where = f"IMAP server {settings.host}:{port}"
        self.port = port
        self.imap = None
        self.capabilities: set[str] = set()
        self.broken = False  # the connection failed: closed without a goodbye (it could stall again)

    # ------------------------------------------------------------ connection
    def __enter__(self) -> Mailbox:
        import imaplib
        import ssl

        s = self.settings
        if s.security not in ("ssl", "starttls"):
            raise MailboxError(f"IMAP security must be ssl or starttls, not {s.security!r}: planbook never sends a "
                               "mailbox password in clear")
        if not s.timeout or s.timeout <= 0:
            raise MailboxError(f"the IMAP timeout must be a positive number of seconds, not {s.timeout!r}")
        secret = self._secret()
        try:
            context = ssl.create_default_context(cafile=s.cafile) if s.cafile else ssl.create_default_context()
        except (OSError, ssl.SSLError) as exc:
            raise MailboxError(f"cannot use the certificate file {s.cafile}: {exc}") from exc
        try:
            if s.security == "ssl":
                self.imap = imaplib.IMAP4_SSL(s.host, self.port, ssl_context=context, timeout=s.timeout)
            else:
                self.imap = imaplib.IMAP4(s.host, self.port, timeout=s.timeout)
                self.imap.starttls(ssl_context=context)
        except Exception as exc:
            self._close()
            raise self._failed("cannot connect to", exc) from exc
        try:
            if s.oauth:
                answers = [f"user={s.user}\x01auth=Bearer {secret}\x01\x01".encode()]
                # a refused token comes back as a challenge (the server's reason), answered empty
                self.imap.authenticate("XOAUTH2", lambda _: answers.pop() if answers else b"")
            else:
                self.imap.login(s.user, secret)
        except Exception as exc:
            self._close()
            if _is_no(exc):
                raise MailboxError(f"{self.where} refused the login for {s.user!r}: {_text(exc)}") from exc
            raise self._failed("logging in to", exc) from exc
        try:
            typ, data = self.imap.capability()  # after login: the server lists MOVE, UIDPLUS … only now
            self.capabilities = {c.upper() for c in b" ".join(d for d in data if d).decode("ascii", "replace").split()}
            typ, data = self.imap.select(quote_folder(s.folder), readonly=not self.writable)
        except Exception as exc:
            self._close()
            raise self._failed("opening a folder on", exc) from exc
        if typ != "OK":
            self._close()
            raise MailboxError(f"{self.where} has no folder {s.folder!r} for {s.user!r} ({_text(data)})")
        return self

    def __exit__(self, *exc) -> None:
        if self.imap is not None and not self.broken:
            try:
                self.imap.logout()
            except Exception:
                pass
        self._close()

    def _close(self) -> None:
        if self.imap is not None:
            try:
                self.imap.shutdown()
            except Exception:
                pass
        self.imap = None

    def _secret(self) -> str:
        s = self.settings
        if s.oauth:
            token = s.token if s.token is not None else os.environ.get(TOKEN_ENV)
            if not token:
                raise MailboxError(f"OAuth2 login asked for but no access token: set the {TOKEN_ENV} environment variable")
            return token
        password = s.password if s.password is not None else os.environ.get(PASSWORD_ENV)
        if not password:
            raise MailboxError(f"no password for the IMAP user {s.user!r}: set the {PASSWORD_ENV} environment variable "
                               f"(or log in with an OAuth2 token in {TOKEN_ENV})")
        return password

    def _failed(self, doing: str, exc: BaseException) -> MailboxError:
        self.broken = True
        if timed_out(exc):
            return MailboxError(f"{self.where} stopped answering ({doing} it: no reply within the "
                                f"{self.settings.timeout:g} s timeout)")
        import ssl

        if isinstance(exc, ssl.SSLCertVerificationError):
            return MailboxError(f"{self.where}: its certificate is not trusted ({exc.verify_message}); give the "
                                "certificate file of your organisation's CA with --imap-cafile")
        if isinstance(exc, (ConnectionError, EOFError)) or "abort" in type(exc).__name__.lower():
            return MailboxError(f"{self.where} closed the connection ({doing} it: {_text(exc) or 'unexpectedly'})")
        if isinstance(exc, OSError):
            return MailboxError(f"{doing} {self.where} failed: {exc.strerror or exc}")
        return MailboxError(f"{doing} {self.where} failed: {_text(exc)}")

    def _run(self, doing: str, *args, expect_ok: bool = True, size: int = 0):
        """One UID command, with the timeout (longer for a big message); a failure is one line."""
        sock = getattr(self.imap, "sock", None)
        try:
            if sock is not None:
                sock.settimeout(self.settings.timeout + size / 100_000)
            typ, data = self.imap.uid(*args)
        except Exception as exc:
            raise self._failed(doing, exc) from exc
        finally:
            if sock is not None:
                try:
                    sock.settimeout(self.settings.timeout)
                except OSError:
                    pass
        if expect_ok and typ != "OK":
            raise MailboxError(f"{self.where} refused {doing} ({_text(data)})")
        return data

    # ------------------------------------------------------------ reading
    def list_messages(self, since: dt.date | None = None) -> list[Listed]:
        """Every message of the folder (received on or after ``since``): UID, size, date received
        and Message-ID, without fetching bodies."""
        criteria = ("SINCE", f"{since.day}-{_MONTHS[since.month - 1]}-{since.year}") if since else ("ALL",)
        data = self._run("searching the folder", "SEARCH", *criteria)
        uids = b" ".join(d for d in data if d).split()
        listed: list[Listed] = []
        for start in range(0, len(uids), 500):
            chunk = b",".join(uids[start:start + 500]).decode()
            data = self._run("listing messages", "FETCH", chunk,
                             "(UID RFC822.SIZE INTERNALDATE BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
            listed += _parse_listing(data)
        return listed

    def fetch(self, uid: str, size: int) -> bytes:
        """The whole message ``uid`` (BODY.PEEK: it stays unread)."""
        data = self._run(f"fetching message UID {uid}", "FETCH", uid, "(BODY.PEEK[])", size=size)
        for item in data:
            if isinstance(item, tuple) and len(item) == 2:
                return item[1]
        raise MailboxError(f"{self.where} sent no message for UID {uid}")

    # ------------------------------------------------------------ changing (only when asked)
    def mark_read(self, uids: Sequence[str]) -> None:
        if uids:
            self._run("marking messages read", "STORE", ",".join(uids), "+FLAGS.SILENT", "(\\Seen)")

    def require_folder(self, folder: str) -> None:
        """Raise :class:`MailboxError` unless ``folder`` exists (checked before anything is collected)."""
        data = self._run_plain(f"looking for the folder {folder!r}", "LIST", '""', quote_folder(folder))
        if not any(d for d in data if d):
            raise MailboxError(f"{self.where} has no folder {folder!r} to move messages to: create it in your mail "
                               "program first (nothing was collected)")

    def _run_plain(self, doing: str, command: str, *args):
        try:
            typ, data = getattr(self.imap, command.lower())(*args)
        except Exception as exc:
            raise self._failed(doing, exc) from exc
        if typ != "OK":
            raise MailboxError(f"{self.where} refused {doing} ({_text(data)})")
        return data

    def move(self, uids: Sequence[str], folder: str) -> None:
        """Move ``uids`` to ``folder`` (MOVE; else COPY, flag deleted and expunge those UIDs only)."""
        if not uids:
            return
        target = quote_folder(folder)
        uid_set = ",".join(uids)
        if "MOVE" in self.capabilities:
            self._run(f"moving messages to {folder!r}", "MOVE", uid_set, target)
            return
        if "UIDPLUS" not in self.capabilities:
            raise MailboxError(f"{self.where} cannot move messages (no MOVE or UIDPLUS): collected but not moved")
        self._run(f"copying messages to {folder!r}", "COPY", uid_set, target)
        self._run("flagging moved messages", "STORE", uid_set, "+FLAGS.SILENT", "(\\Deleted)")
        self._run("removing moved messages", "EXPUNGE", uid_set)


_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def _parse_listing(data: list) -> list[Listed]:
    out = []
    for item in data:
        if not isinstance(item, tuple):
            continue
        head, body = item[0], item[1]
        uid, size, when = "", 0, None
        for m in _LISTED.finditer(head):
            if m.group(1):
                uid = m.group(1).decode()
            elif m.group(2):
                size = int(m.group(2))
            elif m.group(3):
                when = _internaldate(m.group(3).decode("ascii", "replace"))
        if not uid:
            continue
        out.append(Listed(uid, size, when, message_id_of(body)))  # a header folded over lines read whole
    return out


def _internaldate(text: str) -> dt.datetime | None:
    """ "02-Oct-2009 10:14:00 +0100" -> an aware datetime (None if not understood)."""
    try:
        day, month, rest = text.strip().split("-", 2)
        return dt.datetime.strptime(f"{int(day):02d} {_MONTHS.index(month.title()) + 1:02d} {rest}",
                                    "%d %m %Y %H:%M:%S %z")
    except (ValueError, IndexError):
        return None



def _is_no(exc: BaseException) -> bool:
    import imaplib

    return isinstance(exc, imaplib.IMAP4.error) and not isinstance(exc, imaplib.IMAP4.abort)


def _text(value: object) -> str:
    if isinstance(value, (list, tuple)):
        value = b" ".join(v for v in value if isinstance(v, bytes)) or " ".join(map(str, value))
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return " ".join(str(value).split())[:300]
