"""Outlook's saved messages (.msg): sender, dates, subject, id and attachments, read with olefile.

A .msg is an OLE compound file holding the message's MAPI properties as streams (MS-OXMSG):
``__substg1.0_PPPPTTTT`` for strings and binary values, ``__properties_version1.0`` for the
fixed-size ones (dates), one ``__attach_version1.0_#N`` storage per attachment.  olefile (a
small, long-kept BSD library) reads the container; the handful of properties planbook needs
are read here by their documented ids.  (extract-msg reads far more, but is GPL-licensed and
brings a dozen packages: more than collecting returns needs.)  A file that is not a readable
.msg is one line, never an exception.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import struct
from collections.abc import Iterator
from email import message_from_string, policy
from email.utils import parseaddr

from planbook.core.addresses import one_line
from planbook.mail.incoming import (NESTED, Attachment, Incoming, max_message_bytes, received_date, too_big,
                                    workbook_kind, wrapper)

_SUBJECT, _MESSAGE_ID, _HEADERS = 0x0037, 0x1035, 0x007D
_SENDER_SMTP, _SENT_REPR_SMTP, _SENDER_EMAIL, _SENDER_ADDRTYPE = 0x5D01, 0x5D02, 0x0C1F, 0x0C1E
_DELIVERY_TIME, _SUBMIT_TIME = 0x0E06, 0x0039
_ATTACH_DATA, _ATTACH_LONG_NAME, _ATTACH_NAME, _DISPLAY_NAME, _ATTACH_METHOD = 0x3701, 0x3707, 0x3704, 0x3001, 0x3705
_ATTACH_MIME_TAG = 0x370E
_PT_SYSTIME, _PT_LONG = 0x0040, 0x0003
_FILETIME_EPOCH = dt.datetime(1601, 1, 1, tzinfo=dt.timezone.utc)


def from_msg_bytes(data: bytes, source: str) -> Incoming:
    """Read a saved Outlook message; :attr:`Incoming.problem` says why when it cannot be read."""
    item = Incoming(source, raw_sha256=hashlib.sha256(data).hexdigest())
    if len(data) > max_message_bytes():
        item.problem = too_big(len(data))
        return item
    import olefile

    if not olefile.isOleFile(data=data):
        item.problem = "not an Outlook message (.msg): not read"
        return item
    try:
        with olefile.OleFileIO(data) as ole:
            _read(ole, item)
    except Exception as exc:  # olefile's errors for a damaged container are of many kinds
        item.problem = f"not an Outlook message that can be read ({type(exc).__name__}: {one_line(str(exc))[:100]})"
    return item


def _read(ole, item: Incoming) -> None:
    if not ole.exists("__properties_version1.0"):
        raise ValueError("no message properties: not an Outlook message")
    headers = _string(ole, "", _HEADERS)
    parsed = message_from_string(headers, policy=policy.compat32) if headers else None
    item.subject = one_line(_string(ole, "", _SUBJECT))[:500]
    item.message_id = one_line(_string(ole, "", _MESSAGE_ID) or (parsed and parsed.get("Message-ID", "")) or "")[:500]
    sender = _sender(ole, "")
    if not sender and parsed is not None:
        sender = parseaddr(str(parsed.get("From", "")))[1]
    item.sender = sender.strip().lower()
    times = _times(ole.openstream("__properties_version1.0").read(), 32)
    item.received = times.get(_DELIVERY_TIME) or (received_date(parsed) if parsed is not None else None)
    item.sent = times.get(_SUBMIT_TIME)
    item.attachments = list(_attachments(ole, []))


def _sender(ole, storage: str) -> str:
    """The SMTP address of the sender of the message stored at ``storage`` ("" for the .msg itself)."""
    sender = _string(ole, storage, _SENDER_SMTP) or _string(ole, storage, _SENT_REPR_SMTP)
    if not sender and _string(ole, storage, _SENDER_ADDRTYPE).upper() == "SMTP":
        sender = _string(ole, storage, _SENDER_EMAIL)
    return sender.strip().lower()


def _attachments(ole, message: list[str], depth: int = 0, sender: str = "") -> Iterator[Attachment]:
    """The files attached to the message stored at ``message`` (its storage's path, [] for the
    .msg itself); a message attached to it (Outlook's "forward as attachment") is opened for
    its own, as a forwarded .eml is (planbook.mail.incoming), its files given its sender."""
    level = len(message)
    for parts in sorted({tuple(e[:level + 1]) for e in ole.listdir(streams=True, storages=True)
                         if len(e) > level and e[:level] == message and e[level].startswith("__attach_version1.0_#")}):
        storage = "/".join(parts)
        name = one_line(_string(ole, storage, _ATTACH_LONG_NAME) or _string(ole, storage, _ATTACH_NAME)
                        or _string(ole, storage, _DISPLAY_NAME)) or "(no name)"
        stream = f"{storage}/__substg1.0_{_ATTACH_DATA:04X}0102"
        inner = f"{storage}/__substg1.0_{_ATTACH_DATA:04X}000D"  # an attached message: a storage of its own
        if ole.exists(stream):
            data = ole.openstream(stream).read()
            mime = _string(ole, storage, _ATTACH_MIME_TAG)
            yield Attachment(name, data, kind=workbook_kind(mime, data), wraps=wrapper(name, mime, data), sender=sender)
        elif ole.exists(inner) and depth < NESTED:
            yield from _attachments(ole, [*parts, inner.rpartition("/")[2]], depth + 1, _sender(ole, inner) or sender)
        else:
            yield Attachment(name, problem="an attached object, not a file: not read")


def _string(ole, storage: str, prop: int) -> str:
    """A string property (Unicode, else 8-bit) of the message or of an attachment's storage."""
    prefix = f"{storage}/" if storage else ""
    for kind, encoding in (("001F", "utf-16-le"), ("001E", "cp1252")):
        path = f"{prefix}__substg1.0_{prop:04X}{kind}"
        if ole.exists(path):
            return ole.openstream(path).read().decode(encoding, "replace").rstrip("\x00")
    return ""


def _times(props: bytes, header: int) -> dict[int, dt.datetime]:
    """The date properties of a ``__properties_version1.0`` stream (16-byte entries after the header)."""
    out = {}
    for at in range(header, len(props) - 15, 16):
        ptype, pid = struct.unpack_from("<HH", props, at)
        if ptype == _PT_SYSTIME:
            ticks = struct.unpack_from("<Q", props, at + 8)[0]
            try:
                out[pid] = _FILETIME_EPOCH + dt.timedelta(microseconds=ticks // 10)
            except OverflowError:
                continue
    return out
