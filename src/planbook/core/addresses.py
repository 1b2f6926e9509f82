"""Email addresses and header values: checked once, the same way for every output."""
from __future__ import annotations

import re
from email.utils import formataddr, parseaddr

from planbook.core.errors import PlanbookError
from planbook.core.layout import LISTS

_ADDRESS = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$")


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


def is_bare_address(text: str) -> bool:
    """Is ``text`` one address and nothing else ("a@b.org", no name, no spaces): what a lead's or
    the coordinator's email cell must hold, so the mailer sends from or to exactly it."""
    try:
        return "<" not in text and check_address(text) == text
    except PlanbookError:
        return False


def email_problem(email: str) -> str | None:
    """Why a lead's email cell cannot be sent to (None when it is one bare address): the one
    rule validate, update requests, reminders and receipts all use, so a cell Excel took but
    no mail server can use is said before anything is written or sent."""
    text = str(email).strip()
    if not text or is_bare_address(text):
        return None
    if text.count("@") > 1:
        return "holds more than one address: give one (a shared mailbox, if several people should get it)"
    if "<" in text:
        return "is a name and an address: give the address alone (name@example.org)"
    if not text.isascii():
        return "has characters an email address cannot have (an accent, or a letter from another alphabet)"
    return "is not an email address (name@example.org)"


def recipient(names: str, email: str) -> str:
    """The To header for ``names`` (one lead, or several sharing an address) at ``email``;
    :class:`PlanbookError` when :func:`email_problem` finds one."""
    why = email_problem(email)
    if why or not str(email).strip():
        raise PlanbookError(f"{one_line(names)}'s email {str(email).strip()!r} {why or 'is blank'}")
    return formataddr((one_line(names), str(email).strip()))


def refuse_bad_emails(named: list[tuple[str, str]], then: str = "") -> None:
    """:class:`PlanbookError` naming every (lead, email) whose email :func:`email_problem`
    finds fault with — before a message is made or a file written, not half way.  ``then``:
    what to do after correcting it, when more than running the command again."""
    bad = [f"{one_line(name)}'s email {email.strip()!r} {why}" for name, email in named if (why := email_problem(email))]
    if bad:
        raise PlanbookError("cannot email " + "; ".join(bad) + f": correct it on the plan's {LISTS} sheet or with "
                            f"planbook lead email PLAN NAME ADDRESS{then}; nothing was written or sent")
