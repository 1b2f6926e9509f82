"""Collecting returns from email: each workbook a lead attached saved into the returns folder.

:func:`collect_returns` reads messages from a folder of saved messages (.eml, Outlook .msg, mbox
files as Thunderbird keeps a folder) or an IMAP mailbox folder (planbook.mail.imap) and, for every workbook attached:

* matches it to a lead of the plan — by the sender's address on the Lists sheet, and by the
  workbook's own metadata (the lead tab it is a copy for, as the merge rules read it);
* saves a lead's workbook into the returns folder named for the lead ("Jane Smith.xlsx"),
  never over a file already there (a later copy goes beside it, "Jane Smith-2.xlsx", and the
  merge rules choose), its modified time the date it was received;
* takes a workbook in a message forwarded as an attachment (message/rfc822, a saved .eml,
  Outlook's attached message) as sent by that message's sender;
* keeps attachments from unknown senders, and copies of another plan, in the ``Set aside``
  folder, listed, never read as returns;
* passes over the coordinator's own messages' copies as they were sent out (the requests), and
  files a filled copy the coordinator sent as the return of the lead it is for when the
  coordinator is that lead (the same address), else sets it aside — never drops it;
* lists non-workbook attachments and messages without one, and saves nothing for them; a
  winmail.dat (TNEF) or zip file, which may hold the lead's workbook, is a problem saying what to do;
* records every arrival (sender, date received, subject, message id, attachment name, sha256)
  in the returns folder's collect log (planbook.rollup.arrivals), which the tracker and the
  consolidation's Returns and Sources sheets show;
* collects a message once: a message already in the log, or a file whose bytes were saved
  before, is not saved again (but a file set aside before is saved when its lead sends it, and
  a message whose workbook is no longer in the returns folder — deleted since — is collected again).

Mail is data from outside: an attachment's name never becomes a path (only its extension is
kept), every workbook passes the same guards as any return before it is matched (size, zip
bombs, far cells; macros are never run, .xlsm read for values only), and a message that
cannot be read is one line in the result (``problems``) while the others are collected.
Nothing in a mailbox is changed unless ``mark_read`` or ``move_to`` is given.
"""
from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from planbook.core.addresses import one_line
from planbook.core.errors import MailboxError, PlanbookError, UnusableFileError
from planbook.core.leads import lead_key
from planbook.core.names import file_stem
from planbook.files.atomic import make_folder, write_new_file
from planbook.files.guard import check_input_file
from planbook.files.opening import load_workbook
from planbook.mail.imap import ImapSettings, Mailbox
from planbook.mail.incoming import (TNEF, Incoming, from_bytes, is_mbox, max_message_bytes, mbox_messages, message_id_of,
                                    too_big)
from planbook.mail.outlook_msg import from_msg_bytes
from planbook.rollup import arrivals
from planbook.rollup.arrivals import Arrival
from planbook.rollup.changes import changes_since_sent
from planbook.rollup.inputs import WORKBOOK_SUFFIXES
from planbook.rollup.merge import NOT_A_COPY, describe, same_plan, sent_before_renaming
from planbook.rollup.ownership import lead_part
from planbook.rollup.pipeline import track_returns
from planbook.rollup.tracker import UNCHANGED, ReturnsTracker
from planbook.workbook.plan import Plan
from planbook.workbook.reader import read_plan

#: How a workbook in the coordinator's own message is said to be theirs.
_OWN_MESSAGE = "sent by the plan's coordinator (your own message)"
#: What collect said of every workbook in the coordinator's messages before it looked at them
#: (a forwarded return, a coordinator's own as a lead): such messages are read again.
_PASSED_OVER = f"{_OWN_MESSAGE}: not a return"

#: Saved-message files collect reads from a folder (and any file that is an mbox by its content).
MESSAGE_SUFFIXES = (".eml", ".msg", ".mbox")


@dataclass
class CollectRun:
    """What one collect did: an Arrival for each attachment (or message without one) looked at
    this run, the problems (one line each), and the tracker as it stands afterwards."""

    returns_dir: Path
    arrivals: list[Arrival] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # messages that could not be read: one line each
    already: int = 0  # messages collected by an earlier run, passed over
    repeated: int = 0  # messages met a second time in this run (one message saved in two files), passed over
    marked_read: int = 0
    moved: int = 0
    tracker: ReturnsTracker | None = None
    earlier: set[str] = field(default_factory=set, repr=False, init=False)  # the messages an earlier run collected

    def pass_over(self, key: str) -> None:
        """Count a message collected before, by an earlier run or earlier in this one."""
        if key in self.earlier:
            self.already += 1
        else:
            self.repeated += 1

    def of(self, *outcomes: str) -> list[Arrival]:
        return [a for a in self.arrivals if a.outcome in outcomes]

    @property
    def saved(self) -> list[Arrival]:
        return self.of(arrivals.SAVED)

    def to_dict(self) -> dict:
        from dataclasses import asdict

        return {"returns": str(self.returns_dir), "saved": len(self.saved),
                "set_aside": len(self.of(arrivals.SET_ASIDE_OUTCOME)), "already_collected": self.already,
                "repeated": self.repeated,
                "marked_read": self.marked_read, "moved": self.moved, "problems": self.problems,
                "arrivals": [asdict(a) for a in self.arrivals],
                "tracker": self.tracker.to_dict() if self.tracker is not None else None}


class _Leads:
    """The plan's leads, found by address and by name."""

    def __init__(self, plan: Plan) -> None:
        self.names = {lead_key(name): name for name in plan.lead_tabs().values()}
        for lead in plan.info.leads:
            self.names.setdefault(lead_key(lead.name), lead.name)
        self.by_address: dict[str, list[str]] = {}
        for lead in plan.info.leads:
            address = lead.email.strip().lower()
            if address:
                self.by_address.setdefault(address, []).append(lead.name)
        self.coordinator = plan.info.coordinator_email.strip().lower()

    def of_sender(self, address: str) -> list[str]:
        return self.by_address.get(address.strip().lower(), [])

    def named(self, name: str) -> str | None:
        return self.names.get(lead_key(name))


def collect_returns(plan: str | os.PathLike[str], returns_dir: str | os.PathLike[str], *,
                    messages: str | os.PathLike[str] | None = None, imap: ImapSettings | None = None,
                    mark_read: bool = False, move_to: str | None = None, since: dt.date | None = None,
                    on_message: Callable[[int, int], None] | None = None) -> CollectRun:
    """Save the workbooks leads emailed into ``returns_dir``, from ``messages`` (a folder of
    saved .eml/.msg/mbox files, or one such file; each message of an mbox is collected once,
    so a message added to it later is collected by a later run) or an ``imap`` mailbox folder.

    ``mark_read`` / ``move_to`` (IMAP only) mark read or move the messages whose workbooks were
    collected (this run or before); without them the mailbox is left exactly as it was.
    ``since`` collects only messages received on or after that day.  Raises
    :class:`MailboxError` when the mailbox cannot be reached or stops answering (what was
    collected before that is saved and logged); a message that cannot be read is one line
    in ``CollectRun.problems`` and the others are collected.
    """
    if (messages is None) == (imap is None):
        raise PlanbookError("collect from a folder of saved messages or from a mailbox (IMAP): give one of them")
    if (mark_read or move_to) and imap is None:
        raise PlanbookError("--mark-read and --move-to are for a mailbox (IMAP): saved message files are never changed")
    master = read_plan(plan)
    if master.role == "lead-copy":
        raise PlanbookError(f"{plan} is a lead's copy, not the master plan: give the master plan")
    leads = _Leads(master)
    folder = make_folder(returns_dir)
    run = CollectRun(folder)
    log = arrivals.read_log(folder)
    saved_sha = _files_there(folder)
    saved_sha.update({a.sha256: a for a in log if a.outcome in (arrivals.SAVED, arrivals.SET_ASIDE_OUTCOME)
                      and a.sha256 and (folder / a.saved_as).exists()})
    gone = _gone(log, saved_sha)
    again = _passed_over(log)
    seen = {a.message_id for a in log if a.message_id and a.message_id not in gone and a.message_id not in again}
    run.earlier = set(seen)
    collector = _Collector(master, leads, folder, run, saved_sha, gone)
    if messages is not None:
        for item in _saved_messages(Path(messages), seen, run):
            when = item.received or item.sent
            if not (since and when and when.date() < since):
                collector.take(item, seen)
    else:
        _from_mailbox(imap, collector, seen, log, mark_read, move_to, since, on_message)
    run.tracker = track_returns(plan, folder)
    _note_unchanged(run)
    return run


def _saved_messages(path: Path, seen: set[str], run: CollectRun) -> Iterator[Incoming]:
    """Each saved message of a folder (or the one file given), in name order, an mbox file's one
    by one; a message whose Message-ID is in ``seen`` (collected before) is counted
    (:meth:`CollectRun.pass_over`) without reading the rest of it."""
    if not path.exists():
        raise PlanbookError(f"messages not found: {path}")
    files = [path] if path.is_file() else sorted(p for p in path.iterdir() if _is_message_file(p))
    if not files:
        raise PlanbookError(f"no saved messages (.eml, .msg or mbox) in {path}")
    for p in files:
        try:
            check_input_file(p, "saved message")
        except UnusableFileError as exc:
            yield Incoming(str(p), problem=exc.reason)
            continue
        if p.suffix.lower() != ".msg" and is_mbox(p):
            yield from _mbox_file(p, seen, run)
            continue
        try:
            size = p.stat().st_size
            if size > max_message_bytes():
                yield Incoming(str(p), problem=too_big(size))
                continue
            data = p.read_bytes()
        except OSError as exc:
            yield Incoming(str(p), problem=f"cannot be read ({exc})")
            continue
        if p.suffix.lower() == ".msg":
            yield from_msg_bytes(data, str(p))
        else:
            yield from _unless_seen(data, str(p), seen, run)


def _is_message_file(p: Path) -> bool:
    """A file of a folder that collect reads: .eml, .msg, .mbox, or an mbox by its content
    (Thunderbird's folder files have no extension)."""
    if p.name.startswith("."):
        return False
    return p.suffix.lower() in MESSAGE_SUFFIXES or (p.is_file() and is_mbox(p))


def _mbox_file(p: Path, seen: set[str], run: CollectRun) -> Iterator[Incoming]:
    """Each message of an mbox file, its source "file, message N": each collected once, by its own
    Message-ID, so messages added to the file later are collected by a later run."""
    n = 0
    try:
        for n, raw in enumerate(mbox_messages(p), start=1):
            source = f"{p}, message {n}"
            yield from _unless_seen(raw, source, seen, run)  # (from_bytes says when it is too big)
    except OSError as exc:
        yield Incoming(f"{p}, message {n + 1}", problem=f"cannot be read ({exc}): the rest of the file is not read")


def _unless_seen(raw: bytes, source: str, seen: set[str], run: CollectRun) -> Iterator[Incoming]:
    """The message, unless its Message-ID (read from its header alone) is in ``seen``: then it is
    counted (:meth:`CollectRun.pass_over`)."""
    if (mid := message_id_of(raw)) and mid in seen:
        run.pass_over(mid)
    else:
        yield from_bytes(raw, source)


def _from_mailbox(settings: ImapSettings, collector: _Collector, seen: set[str], log: list[Arrival],
                  mark_read: bool, move_to: str | None, since: dt.date | None, on_message) -> None:
    run = collector.run
    where = f"imap://{settings.user}@{settings.host}/{settings.folder}"
    filed = {a.message_id for a in log if a.saved_as}  # saved, set aside, or the same file saved before
    with Mailbox(settings, writable=bool(mark_read or move_to)) as box:
        if move_to:
            box.require_folder(move_to)
        listed = box.list_messages(since)
        done: list[str] = []  # UIDs whose workbooks are collected (now or before): marked / moved if asked
        for i, entry in enumerate(listed, start=1):
            if on_message:
                on_message(i, len(listed))
            source = f"{where} UID {entry.uid}"
            if entry.message_id and entry.message_id in seen:
                run.pass_over(entry.message_id)
                if entry.message_id in filed:
                    done.append(entry.uid)
                continue
            if entry.size > max_message_bytes():
                run.problems.append(f"{source}: {too_big(entry.size)}")
                continue
            try:
                raw = box.fetch(entry.uid, entry.size)
            except MailboxError as exc:
                raise MailboxError(f"{exc}; {len(run.saved)} return(s) saved before that are kept and logged") from exc
            item = from_bytes(raw, source, received=entry.received, uid=entry.uid)
            if collector.take(item, seen):
                filed.add(item.key)
            if item.key in filed:  # filed now, or before (a message without a Message-ID: known by its bytes)
                done.append(entry.uid)
        try:
            if mark_read:
                box.mark_read(done)
                run.marked_read = len(done)
            if move_to:
                box.move(done, move_to)
                run.moved = len(done)
        except MailboxError as exc:
            raise MailboxError(f"{exc}; the {len(run.saved)} return(s) saved are kept and logged") from exc


class _Collector:
    """Takes one message at a time: files its attachments, logs it."""

    def __init__(self, master: Plan, leads: _Leads, folder: Path, run: CollectRun, saved_sha: dict,
                 gone: dict[str, str]) -> None:
        self.master, self.leads, self.folder, self.run, self.saved_sha = master, leads, folder, run, saved_sha
        self.gone = gone  # messages collected before whose file is no longer there: key -> the file it was

    def take(self, item: Incoming, seen: set[str]) -> bool:
        """File ``item``'s attachments and log them; True if a workbook of it was filed (saved or set aside)."""
        if item.problem:
            self.run.problems.append(f"{item.source}: {item.problem}")
            return False
        if item.key in seen:
            self.run.pass_over(item.key)
            return False
        now = dt.datetime.now().astimezone().isoformat(timespec="seconds")
        base = dict(sender=item.sender, received=item.received.isoformat() if item.received else "",
                    sent=item.sent.isoformat() if item.sent else "", subject=item.subject,
                    message_id=item.key, source=item.source, collected_at=now)
        rows: list[Arrival] = []
        if not item.attachments:
            rows.append(Arrival(**base, attachment="", sha256="", outcome=arrivals.NO_ATTACHMENT,
                                note="a message with nothing attached"))
        try:
            for att in item.attachments:
                rows.append(self._file(item, att, base))
        except PlanbookError:  # a file could not be written (disk full …): what was saved is still logged
            arrivals.add_to_log(self.folder, [r for r in rows if r.saved_as])
            raise
        if item.key in self.gone:
            _note_again(rows, self.gone[item.key])
        arrivals.add_to_log(self.folder, rows)  # after every file of the message is saved
        seen.add(item.key)
        self.run.arrivals += rows
        return any(r.saved_as for r in rows)

    def _file(self, item: Incoming, att, base: dict) -> Arrival:
        row = Arrival(**base, attachment=att.name, sha256=att.sha256, outcome=arrivals.NOT_SAVED)
        suffix = _suffix(att.name) or att.kind  # by its type when its name does not say
        if att.problem:
            row.note = att.problem
            self.run.problems.append(f"{item.source}: attachment {att.name!r} {att.problem}")
            return row
        if suffix not in WORKBOOK_SUFFIXES and att.wraps:
            row.note = self._wrapped(item, att)
            self.run.problems.append(f"{item.source}: attachment {att.name!r} from {item.sender or 'an unknown sender'}"
                                     f": {row.note}")
            return row
        if suffix not in WORKBOOK_SUFFIXES:
            row.outcome, row.note = arrivals.NOT_A_WORKBOOK, f"not a workbook ({suffix or 'no extension'}): not saved"
            return row
        sender = att.sender or item.sender  # a message forwarded as an attachment: its own sender's workbook
        own = None
        if self.leads.coordinator and sender == self.leads.coordinator:
            own = self._own(_read_copy(att, suffix)[0], row)
            if own is None:
                return row
        earlier = self.saved_sha.get(row.sha256)
        if earlier is not None and earlier.outcome != arrivals.SET_ASIDE_OUTCOME:
            return _same_file(row, earlier)
        lead, aside = own or self._match(item, att, suffix, row, sender)
        if earlier is not None and aside:  # set aside before: once is enough (from a lead now, it is their return)
            return _same_file(row, earlier)
        if sender != item.sender:
            forward = f"forwarded by {item.sender or 'an unknown sender'} from {sender}"
            row.note = f"{forward}; {row.note}" if row.note else forward
        stem = lead if lead else f"{sender or 'unknown sender'} {_stem(att.name)}".strip()
        target = self.folder / arrivals.SET_ASIDE if aside else self.folder
        path = _save(target, stem, suffix, att.data, item.received or item.sent)
        row.saved_as = path.relative_to(self.folder).as_posix()
        row.outcome = arrivals.SET_ASIDE_OUTCOME if aside else arrivals.SAVED
        row.lead = lead or ""
        self.saved_sha[row.sha256] = row
        return row

    def _wrapped(self, item: Incoming, att) -> str:
        """What to do with a winmail.dat or a zip file, which may hold the lead's workbook."""
        senders = self.leads.of_sender(item.sender)
        named = f' ("{senders[0]}.xlsx")' if len(senders) == 1 else ""
        if att.wraps == TNEF:
            return ("Outlook's winmail.dat, which wraps the message's attachments in Outlook's own format: it may "
                    "hold the lead's workbook, which planbook cannot open; ask the lead to send it again as a plain "
                    "attachment (in Outlook, the message in HTML or plain text, not Rich Text): not saved")
        return ("a zip file: it may hold the lead's workbook, which planbook does not unpack; save the workbook in "
                f"it into the returns folder named for the lead{named}, or ask them to send it unzipped: not saved")

    def _own(self, copy: Plan | None, row: Arrival) -> tuple[str | None, bool] | None:
        """A workbook the plan's coordinator sent (not a message of a lead's forwarded in theirs):
        (the lead it is filed for, or None; set aside?), or None when it is not a return — the
        copy as it was sent out (the request), or no lead's copy of this plan.  Noted on ``row``."""
        owner, _ = self._whose(copy)
        if owner is None:
            row.note = f"{_OWN_MESSAGE}, not a lead's copy of this plan: not a return"
            return None
        key = lead_key(owner)
        if self._as_sent(copy, key):
            row.note = f"{_OWN_MESSAGE}, {owner}'s copy as it was sent out: not a return"
            return None
        if key in {lead_key(name) for name in self.leads.of_sender(self.leads.coordinator)}:
            row.note = f"from the plan's coordinator, who is {owner} on the plan's Lists sheet: their return"
            return owner, False
        row.note = (f"{_OWN_MESSAGE} with {owner}'s copy filled in, not {owner}'s own message forwarded as an "
                    f"attachment: set aside (if it is {owner}'s return, move it into the returns folder)")
        return None, True

    def _as_sent(self, copy: Plan, key: str) -> bool:
        """Does lead ``key``'s part of ``copy`` hold nothing they changed against the master's (the copy as sent)?"""
        tabs = {sheet for sheet, name in self.master.lead_tabs().items() if name and lead_key(name) == key}
        sent = [a for a in self.master.actions if a.origin and a.origin.sheet in tabs]
        return not changes_since_sent(lead_part(copy, key)[0], sent)

    def _whose(self, copy: Plan | None) -> tuple[str | None, str]:
        """(the lead whose copy of this plan the workbook is, None when it does not say; why it is
        no copy of this plan, "" when it is or cannot be read)."""
        if copy is None:
            return None, ""
        if copy.role != "lead-copy":
            return None, "not a lead's copy (a master plan or another workbook)"
        if not (same_plan(self.master.info, copy.info) or sent_before_renaming(self.master.info, copy.info)):
            return None, f"a copy of {describe(copy.info)}, not this plan"
        owners = [lead for lead in copy.tabs.values() if lead] or list(copy.tabs)
        return (self.leads.named(owners[0]) if owners else None), ""

    def _match(self, item: Incoming, att, suffix: str, row: Arrival, sender: str) -> tuple[str | None, bool]:
        """(the lead it is filed for, or None; set aside?), noting why on ``row``.  ``sender``: who
        sent the workbook (a forwarded message's sender, for a workbook attached to it)."""
        senders = self.leads.of_sender(sender)
        copy, why = _read_copy(att, suffix)
        if copy is not None and copy.role == "plan" and len(senders) == 1 and (
                same_plan(self.master.info, copy.info) or sent_before_renaming(self.master.info, copy.info)):
            row.note = (f"the whole plan, sent back by {senders[0]}: saved as their return (the consolidation "
                        f"reads {senders[0]}'s tab of it)")
            return senders[0], False
        owner, other = self._whose(copy)
        if other:
            row.note = f"{other}: set aside"
            return None, True
        if not senders:
            row.note = (f"from {sender or 'an unknown sender'}, who is not a lead on the plan's Lists sheet"
                        + (f" (the workbook is {owner}'s copy)" if owner else "") + ": set aside")
            return None, True
        if owner:
            if lead_key(owner) not in {lead_key(s) for s in senders}:
                row.note = f"sent by {sender} ({', '.join(senders)}) for {owner}"
            return owner, False
        if len(senders) > 1:
            row.note = (f"from {sender}, the address of {', '.join(senders)}, and the workbook does not say "
                        "whose it is" + (f" ({why})" if why else "") + ": set aside")
            return None, True
        if why:
            row.note = f"the workbook cannot be read ({why}): saved as {senders[0]}'s return, which the tracker reports"
        return senders[0], False


def _passed_over(log: list[Arrival]) -> set[str]:
    """The coordinator's messages whose workbooks an earlier planbook passed over unread ("your
    own message: not a return", when it was last collected): collected again, by today's rules."""
    last: dict[str, str] = {}
    for a in log:
        if a.message_id:
            last[a.message_id] = max(last.get(a.message_id, ""), a.collected_at)
    return {a.message_id for a in log if a.message_id and a.note == _PASSED_OVER
            and a.collected_at == last[a.message_id]}


def _gone(log: list[Arrival], there: dict[str, Arrival]) -> dict[str, str]:
    """The messages collected before a workbook of which is no longer in the returns folder
    (deleted, or moved away since; not found by its bytes either): message key -> the file it
    was saved as.  They are collected again."""
    return {a.message_id: a.saved_as for a in log if a.message_id and a.sha256 not in there
            and a.outcome in (arrivals.SAVED, arrivals.SET_ASIDE_OUTCOME)}


def _note_again(rows: list[Arrival], was: str) -> None:
    """Say, beside what was saved, that the message is collected again and why."""
    for r in rows:
        if r.outcome in (arrivals.SAVED, arrivals.SET_ASIDE_OUTCOME):
            again = f"collected before as {was}, no longer in the returns folder: saved again"
            r.note = f"{again}; {r.note}" if r.note else again


def _same_file(row: Arrival, earlier: Arrival) -> Arrival:
    """``row`` noted as the same bytes as ``earlier``'s, saved before: not saved again."""
    row.outcome, row.saved_as, row.lead = arrivals.SAME_FILE, earlier.saved_as, earlier.lead
    row.note = f"the same file as {earlier.saved_as}, saved before: not saved again"
    return row


def _files_there(folder: Path) -> dict[str, Arrival]:
    """The workbooks already in the returns folder by sha256 (saved by hand, or by a run that
    stopped before its log line): the same bytes arriving again are not saved twice."""
    import hashlib

    out = {}
    for p in sorted(folder.iterdir()):
        if p.suffix.lower() in WORKBOOK_SUFFIXES and p.is_file() and not p.name.startswith((".", "~$")):
            try:
                if p.stat().st_size <= max_message_bytes():
                    sha = hashlib.sha256(p.read_bytes()).hexdigest()
                    out[sha] = Arrival("", "", "", "", "", "", sha, arrivals.SAVED, saved_as=p.name)
            except OSError:
                continue
    return out


def _read_copy(att, suffix: str) -> tuple[Plan | None, str]:
    """The attachment read as any return is read (every guard first), or why it cannot be (a
    workbook planbook did not make: the sender's unusable return)."""
    name = f"{_stem(att.name) or 'attachment'}{suffix}"
    try:
        copy = read_plan(name, loaded=load_workbook(name, data=att.data))
    except UnusableFileError as exc:
        return None, exc.reason
    return (copy, "") if copy.has_metadata else (None, NOT_A_COPY)


def _base_name(name: str) -> str:
    """The last part of a name however it is written (``../../x.xlsx``, ``C:\\x\\y.xlsx``), one line."""
    return one_line(name.replace("\\", "/").rsplit("/", 1)[-1])


def _suffix(name: str) -> str:
    """A file name's extension, lower case, as Windows takes it: dots and spaces at the end left
    out ("x.xlsx." is an .xlsx), a name that is only an extension (".xlsx") has it."""
    base = _base_name(name).rstrip(". ")
    return f".{base.rpartition('.')[2]}".lower().strip() if "." in base else ""


def _stem(name: str) -> str:
    """A file name without its extension (see :func:`_suffix`), one line, never a path."""
    base = _base_name(name).rstrip(". ")
    return base.rpartition(".")[0] if "." in base else base


def _save(folder: Path, stem: str, suffix: str, data: bytes, when: dt.datetime | None) -> Path:
    """Save as a new file named ``stem`` in ``folder`` — "Jane Smith.xlsx", else "Jane Smith-2.xlsx"
    and on: never over a file already there."""
    make_folder(folder)
    taken = {p.stem.lower() for p in folder.iterdir()}
    mtime = when.timestamp() if when else None
    for _ in range(1000):
        name = file_stem(stem, taken)
        path = folder / f"{name}{suffix}"
        if write_new_file(path, data, mtime=mtime):
            return path
    raise PlanbookError(f"cannot find a free name for {stem} in {folder}")


def _note_unchanged(run: CollectRun) -> None:
    """A return the tracker finds unchanged (the copy as it was sent out, often quoted back in a
    reply) is said so beside its arrival."""
    if run.tracker is None:
        return
    unchanged = {Path(r.file).resolve() for r in run.tracker.leads if r.state == UNCHANGED and r.file}
    for a in run.saved:
        if (run.returns_dir / a.saved_as).resolve() in unchanged:
            a.note = (a.note + "; " if a.note else "") + UNCHANGED
