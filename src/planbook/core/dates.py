"""Dates as a UK reader expects them: 30/09/2009 in tables, 30 September 2009 in prose."""
from __future__ import annotations

import datetime as dt
import re

from planbook.core.due import DATE, parse_due  # the plan's own reading of typed dates

#: The number format of every date cell planbook writes.
DATE_FORMAT = "dd/mm/yyyy"

_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?")


def table_date(value: dt.date | dt.datetime) -> str:
    """``30/09/2009`` (with ``14:05`` after it when a datetime has a time of day)."""
    if isinstance(value, dt.datetime):
        day = f"{value:%d/%m/%Y}"
        return day if value.time() == dt.time() else f"{day} {value:%H:%M}"
    return f"{value:%d/%m/%Y}"


def prose_date(value: dt.date) -> str:
    """``30 September 2009`` (no leading zero on the day)."""
    return f"{value.day} {value:%B %Y}"


def parse_iso(text: str) -> dt.date | dt.datetime | None:
    """The date (or date and time) an ISO text such as ``2009-09-30`` or ``2009-09-30 14:05:00``
    stands for, else ``None``."""
    m = _ISO.fullmatch(text.strip())
    if not m:
        return None
    try:
        if m.group(4) is None:
            return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        return dt.datetime(int(m.group(1)), int(m.group(2)), int(m.group(3)), int(m.group(4)), int(m.group(5)),
                           int(m.group(6) or 0))
    except ValueError:
        return None


def parse_day(value: object) -> dt.date | None:
    """The day a person gave — a date cell, or typed as ``31/03/2010`` (UK order),
    ``2010-03-31``, ``31 March 2010``, ``31.03.10`` — else ``None`` (a month or a phrase is
    not a day): the one reading of a date given on the command line, the Control sheet and
    the Guide, and of a Last updated carried by roll forward."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value or "").strip()
    if not text:
        return None
    due = parse_due(text)
    return due.end if due.kind == DATE else None


def uk_text(text: str, *, prose: bool = False) -> str:
    """``text`` with an ISO date (as read back from a date cell) shown UK style, ``30/09/2009``
    (``30 September 2009`` with ``prose``, as is a date typed as text ``30/09/2009``: in a
    sentence one date reads one way, however the lead entered it); other text as it is."""
    value = parse_iso(text) if text.strip()[:1].isdigit() else None
    if value is None and prose and text.strip() and not text.strip().strip(_NUMERIC_DATE):
        value = parse_day(text)  # a date typed in figures alone ("31/03/2010"), read as every typed date is
    if value is None:
        return text
    return prose_date(value) if prose else table_date(value)


#: The characters of a date typed in figures alone (a phrase round it, "w/c 31/03/2010", stays as typed).
_NUMERIC_DATE = "0123456789/.-"
