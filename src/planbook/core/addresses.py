"""Email addresses and header values: checked once, the same way for every output."""
from __future__ import annotations

import re
from email.utils import formataddr, parseaddr

from planbook.core.errors import PlanbookError

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
        return check_address(text) == text
    except PlanbookError:
        return False
