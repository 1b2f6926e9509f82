"""A message that arrived, as planbook needs it: who sent it, when, its subject and id, and its
attachments' names and bytes.

Everything in a message is data from outside: headers that cannot be decoded, attachments whose
encoding is broken, a message too big to hold are said in one line (``Incoming.problem``,
``Attachment.problem``), never an exception and never a guess.  Names are kept as the sender
wrote them; they never become a path (see planbook.mail.collect).
"""
from __future__ import annotations

import datetime as dt
import email
import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import policy
from email.utils import parseaddr, parsedate_to_datetime

from planbook.core.addresses import one_line

#: The largest message (or saved message file) read, in MB; PLANBOOK_MAX_MESSAGE_MB changes it.
MAX_MESSAGE_MB = 100


def max_message_bytes() -> int:
    try:
        return max(1, int(os.environ.get("PLANBOOK_MAX_MESSAGE_MB", ""))) << 20
    except ValueError:
        return MAX_MESSAGE_MB << 20


def too_big(size: int) -> str:
    """Why a message of ``size`` bytes is not read (more than :func:`max_message_bytes`)."""
    return (f"the message is {size >> 20} MB, more than planbook reads "
            f"({max_message_bytes() >> 20} MB; PLANBOOK_MAX_MESSAGE_MB changes it): not read")


@dataclass
class Attachment:
    """One attached file: its name as the message gives it, and its bytes."""

    name: str
    data: bytes = b""
    problem: str = ""  # why its bytes cannot be had ("" when they can)
    kind: str = ""  # the workbook extension its type says (".xlsx"), "" when its type is not a workbook's
    wraps: str = ""  # TNEF or ZIP: a file wrapping other files, the lead's workbook maybe among them (see wrapper)
    #: The From address (lower case) of the message it came in when that is a message forwarded
    #: inside this one (attached to it), "" when it is the message's own attachment.
    sender: str = ""

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest() if not self.problem else ""


@dataclass
class Incoming:
    """One message: from a mailbox (IMAP) or a saved .eml/.msg file."""

    source: str  # where it came from: "imap://host/INBOX UID 12" or the file's path
    message_id: str = ""
    sender: str = ""  # the From address, lower case
    subject: str = ""
    received: dt.datetime | None = None  # when the mailbox received it (aware), if known
    sent: dt.datetime | None = None  # the message's own Date (aware), if any
    attachments: list[Attachment] = field(default_factory=list)
    problem: str = ""  # why the message cannot be read at all ("" when it can)
    raw_sha256: str = ""
    uid: str = ""  # the mailbox's UID (IMAP only)

    @property
    def key(self) -> str:
        """What makes a message the same message when it is collected again: its Message-ID,
        else the hash of its bytes."""
        return self.message_id or f"sha256:{self.raw_sha256}"


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.timezone.utc)


def _header(msg, name: str) -> str:
    """A header as one line of text; "" when missing or undecodable (the message is still read)."""
    try:
        value = msg.get(name)
    except Exception:  # a header the email package cannot decode: data, not a crash
        return ""
    return one_line(str(value)) if value is not None else ""


def _date(text: str) -> dt.datetime | None:
    if not text:
        return None
    try:
        return _aware(parsedate_to_datetime(text))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def sender_of(msg) -> str:
    """A message's From address, lower case ("" when it has none)."""
    return parseaddr(_header(msg, "From"))[1].strip().lower()


def received_date(msg) -> dt.datetime | None:
    """When the recipient's server received the message: the date of the topmost Received header."""
    try:
        received = msg.get_all("Received") or []
    except Exception:
        return None
    for value in received[:1]:
        text = str(value)
        return _date(text.rpartition(";")[2].strip()) if ";" in text else None
    return None


def message_id_of(raw: bytes) -> str:
    """The Message-ID of a whole message, from its header alone (quick: the body is not parsed),
    as :func:`from_bytes` gives it; "" when it has none or it cannot be read."""
    from email.parser import BytesHeaderParser

    try:
        msg = BytesHeaderParser(policy=policy.default).parsebytes(raw[:1 << 20])
    except Exception:
        return ""
    return _header(msg, "Message-ID")[:500]


def is_mbox(path: str | os.PathLike[str]) -> bool:
    """Is the file an mbox — several messages in one file, each starting with a "From " line, as
    Thunderbird keeps a folder and mail programs export one (``.mbox``)?  Told by its content."""
    try:
        with open(path, "rb") as f:
            return f.read(5) == b"From "
    except OSError:
        return False


def mbox_messages(path: str | os.PathLike[str]) -> Iterator[bytes]:
    """Each message of an mbox file, in order, as the bytes :func:`from_bytes` reads (the "From "
    line that starts it left out).  The file is opened for reading only (a mail program keeping
    it open is never disturbed) and read a line at a time: a message starts at a "From " line
    that begins the file or follows a blank line, as mbox writers leave them."""
    with open(path, "rb") as f:
        lines: list[bytes] = []
        started, blank = False, True
        for line in f:
            if line.startswith(b"From ") and blank:
                if started:
                    yield b"".join(lines)
                lines, started = [], True
            elif started:
                lines.append(line)
            blank = line in (b"\n", b"\r\n")
        if started:
            yield b"".join(lines)


def from_bytes(raw: bytes, source: str, *, received: dt.datetime | None = None, uid: str = "") -> Incoming:
    """Parse a whole message (RFC 5322 bytes, as an .eml holds it or IMAP gives it)."""
    item = Incoming(source, raw_sha256=hashlib.sha256(raw).hexdigest(), uid=uid)
    if len(raw) > max_message_bytes():
        item.problem = too_big(len(raw))
        return item
    try:
        msg = email.message_from_bytes(raw, policy=policy.default)
    except Exception as exc:  # the parser is lenient: this is a message it cannot take at all
        item.problem = f"not an email message that can be read ({type(exc).__name__}): not read"
        return item
    if not any(k.lower() in ("from", "date", "message-id", "subject", "received") for k in msg.keys()):
        item.problem = "not an email message (no From, Date, Subject or Message-ID header): not read"
        return item
    item.message_id = _header(msg, "Message-ID")[:500]
    item.sender = sender_of(msg)
    item.subject = _header(msg, "Subject")[:500]
    item.sent = _date(_header(msg, "Date"))
    item.received = _aware(received) or received_date(msg)
    try:
        item.attachments = list(_attachments(msg))
    except Exception as exc:  # a structure so broken the parts cannot be walked
        item.problem = f"the message's parts cannot be read ({type(exc).__name__}): not read"
    return item


#: The extension of a workbook by its type (a MIME Content-Type, Outlook's attachment MIME tag).
_WORKBOOK_TYPES = {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
                   "application/vnd.ms-excel.sheet.macroenabled.12": ".xlsm",
                   "application/vnd.ms-excel.sheet.binary.macroenabled.12": ".xlsb",
                   "application/vnd.ms-excel": ".xls", "application/vnd.oasis.opendocument.spreadsheet": ".ods"}
#: How deep a message attached to a message (a forward "as attachment": .eml, Outlook's own) is opened.
NESTED = 3


def workbook_kind(content_type: str, data: bytes) -> str:
    """The workbook extension a part's type says (".xlsx"), "" when the type is not a workbook's.
    The old Excel type is often sent with an .xlsx: a zip is an .xlsx, whatever that type says."""
    kind = _WORKBOOK_TYPES.get(content_type.strip().lower(), "")
    return ".xlsx" if kind == ".xls" and data[:2] == b"PK" else kind


#: Attachments that wrap other files: Outlook's winmail.dat (TNEF, Rich Text mail sent outside
#: Outlook: the message's attachments inside it, whatever it is named) and a zip file.
TNEF, ZIP = "winmail.dat", "zip"
_WRAPPER_TYPES = {"application/ms-tnef": TNEF, "application/vnd.ms-tnef": TNEF, "application/zip": ZIP,
                  "application/x-zip-compressed": ZIP, "application/x-zip": ZIP}
_TNEF_SIGNATURE = b"\x78\x9f\x3e\x22"


def wrapper(name: str, content_type: str, data: bytes) -> str:
    """:data:`TNEF` or :data:`ZIP` when the attachment wraps other files (by its type, its first
    bytes or its name), else "": a lead's workbook may be inside, where planbook does not look."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip(" .").lower()
    if data[:4] == _TNEF_SIGNATURE or base == "winmail.dat":
        return TNEF
    return _WRAPPER_TYPES.get(content_type.strip().lower(), "") or (ZIP if base.endswith(".zip") else "")


def _leaves(msg, sender: str):
    """Each part of ``msg`` that is not a container, with the sender of the message it is in: a
    message attached to it (message/rfc822: a forward "as attachment") gives its own sender."""
    if not msg.is_multipart():
        yield msg, sender
        return
    inner = msg.get_content_maintype() == "message"
    for part in msg.get_payload():
        yield from _leaves(part, (sender_of(part) or sender) if inner else sender)


def _attachments(msg, depth: int = 0, sender: str = ""):
    """The files attached to ``msg`` (and to the messages forwarded in it), each with ``sender``
    or its forwarded message's sender (see :attr:`Attachment.sender`)."""
    for part, sender_is in _leaves(msg, sender):
        try:
            name = part.get_filename()
            disposition = part.get_content_disposition()
        except Exception:
            name, disposition = None, "attachment"
        workbook = part.get_content_type() in _WORKBOOK_TYPES  # a workbook by its type, however it is attached
        if not name and disposition != "attachment" and not workbook:
            continue  # the body text
        if disposition == "inline" and part.get_content_maintype() == "image":
            continue  # a picture in the text (a signature's logo): not something sent back
        name = one_line(name or "") or "(no name)"
        try:
            data = part.get_payload(decode=True)
        except Exception as exc:
            yield Attachment(name, problem=f"its encoding cannot be read ({type(exc).__name__})")
            continue
        broken = [d for d in part.defects if "Base64" in type(d).__name__ or "Decod" in type(d).__name__]
        if broken or data is None:
            why = type(broken[0]).__name__ if broken else "no content"
            yield Attachment(name, problem=f"damaged in the message ({why}): its bytes cannot be trusted")
            continue
        if name.lower().endswith(".eml") and depth < NESTED:  # a message forwarded as a file: its attachments
            inner = _forwarded(bytes(data))
            if inner is not None:
                yield from _attachments(inner, depth + 1, sender_of(inner) or sender_is)
                continue
        data = bytes(data)
        yield Attachment(name, data, kind=workbook_kind(part.get_content_type(), data),
                         wraps=wrapper(name, part.get_content_type(), data), sender=sender_is)


def _forwarded(data: bytes):
    """A message saved as a ``.eml`` file and attached to another, or None if it is not one."""
    try:
        inner = email.message_from_bytes(data, policy=policy.default)
    except Exception:  # noqa: BLE001 - not a message: the attachment is listed as it is
        return None
    return inner if any(k.lower() in ("from", "date", "message-id", "subject") for k in inner.keys()) else None
