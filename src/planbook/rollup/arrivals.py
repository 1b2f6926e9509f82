"""What arrived by email: the collect log kept in the returns folder.

``planbook collect`` (planbook.mail.collect) saves each workbook a lead emailed into the
returns folder and writes one line here for every attachment and every message it looked at:
who sent it, when it was received, its subject, message id, the attachment's name and
sha256, and what was done with it.  The returns tracker, the consolidation's Returns and
Sources sheets and ``planbook returns`` read it back to say "received from jane@… on 2 Oct
2009 10:14" beside a return, and to judge "late" by the date it was received.

The log is JSON lines (one object a line): whatever a sender wrote (a subject starting ``=``)
stays data, never a formula in a spreadsheet.  It is rewritten whole, atomically, after each
message, so a run that stops leaves the log as it was after the last message it finished.
"""
from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from planbook.core.errors import PlanbookError
from planbook.files.atomic import atomic_output

#: The collect log's file name, in the returns folder (never read as a return).
COLLECT_LOG = "collected.jsonl"
#: The folder inside the returns folder for attachments collect did not file as a lead's return
#: (unknown senders, another plan's copies): never read as returns, listed as skipped.
SET_ASIDE = "Set aside"

#: What was done with an attachment (or a message without one).
SAVED = "saved"  # a lead's return, in the returns folder
SET_ASIDE_OUTCOME = "set aside"  # in the Set aside folder
SAME_FILE = "already saved"  # the same bytes were saved before (a message sent twice)
NOT_A_WORKBOOK = "not a workbook"  # a .docx, a picture: listed, not saved
NO_ATTACHMENT = "no attachment"  # a message with nothing attached
NOT_SAVED = "not saved"  # damaged in the message, too big, from the coordinator


@dataclass
class Arrival:
    """One attachment that arrived (or one message with none), and what collect did with it."""

    sender: str  # the From address
    received: str  # ISO date and time with its offset ("" when the message does not say)
    sent: str  # the message's Date header, ISO ("" when missing)
    subject: str
    message_id: str
    attachment: str  # its name as the message gave it ("" for a message with none)
    sha256: str
    outcome: str
    saved_as: str = ""  # path relative to the returns folder ("" when not saved)
    lead: str = ""  # the lead it was filed for
    note: str = ""  # why (set aside, not saved …)
    source: str = ""  # the mailbox and UID, or the saved message's file
    collected_at: str = ""

    @property
    def when(self) -> dt.datetime | None:
        """When it was received (else sent), in local time without a zone; None if unknown."""
        return _local(self.received) or _local(self.sent)

    def describe(self) -> str:
        """ "received from jane.smith@example.org on 2 Oct 2009 10:14" ("sent …" when only the
        message's own date is known)."""
        when = self.when
        verb = "received" if self.received else "sent"
        text = f"{verb} from {self.sender}" if self.sender else verb
        return text + (f" on {when.day} {when:%b %Y %H:%M}" if when else "")


def _local(text: str) -> dt.datetime | None:
    if not text:
        return None
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if value.tzinfo is not None:
        value = value.astimezone().replace(tzinfo=None)
    return value.replace(microsecond=0)


_FIELDS = [f.name for f in fields(Arrival)]


def read_log(folder: str | os.PathLike[str]) -> list[Arrival]:
    """Every line of ``folder``'s collect log ([] when there is none).  A line that is not one of
    ours (edited by hand) is passed over."""
    path = Path(folder) / COLLECT_LOG
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as exc:
        raise PlanbookError(f"cannot read the collect log {path}: {exc}") from exc
    out = []
    for line in text.splitlines():
        try:
            row = json.loads(line)
        except ValueError:
            continue
        if isinstance(row, dict):
            out.append(Arrival(**{k: str(row.get(k) or "") for k in _FIELDS}))
    return out


def add_to_log(folder: str | os.PathLike[str], arrivals: Sequence[Arrival]) -> None:
    """Add ``arrivals`` to ``folder``'s collect log (the whole file rewritten atomically)."""
    if not arrivals:
        return
    path = Path(folder) / COLLECT_LOG
    try:
        old = path.read_bytes()
    except FileNotFoundError:
        old = b""
    except OSError as exc:
        raise PlanbookError(f"cannot read the collect log {path}: {exc.strerror}") from exc
    if old and not old.endswith(b"\n"):
        old += b"\n"
    new = "".join(json.dumps(asdict(a), ensure_ascii=False) + "\n" for a in arrivals).encode("utf-8")
    with atomic_output(path) as tmp:
        tmp.write_bytes(old + new)


def arrivals_by_file(paths: Iterable[str | os.PathLike[str]]) -> dict[Path, Arrival]:
    """For each of ``paths`` that collect saved, its arrival (resolved path -> Arrival), read from
    the collect log of the file's folder.  Files saved by hand are simply absent."""
    out: dict[Path, Arrival] = {}
    folders: dict[Path, dict[Path, Arrival]] = {}
    for p in paths:
        path = Path(p).resolve()
        folder = path.parent
        if folder not in folders:
            try:
                log = read_log(folder)
            except PlanbookError:
                log = []  # an unreadable log: the returns are still returns
            folders[folder] = {(folder / a.saved_as).resolve(): a for a in log if a.saved_as and a.outcome == SAVED}
        if path in folders[folder]:
            out[path] = folders[folder][path]
    return out


def is_collect_file(path: Path, folder: Path) -> bool:
    """Is ``path`` (found in the input ``folder``) collect's own: its log, or a file in Set aside?"""
    try:
        rel = path.relative_to(folder)
    except ValueError:
        return False
    return rel.parts == (COLLECT_LOG,) or (len(rel.parts) > 1 and rel.parts[0] == SET_ASIDE)
