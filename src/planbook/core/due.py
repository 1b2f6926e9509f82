"""Understanding "By when" cells: dates, month/season/quarter phrases, ranges, recurrences.

Real plans write due dates as people speak them: "December 2008", "Jan –May 2009",
"Sept 2008 (M)", "Summer 2008", "2008/09", "Stage 1 October 2008", "Quarterly",
"To be confirmed".  :func:`parse_due` turns each into a :class:`Due` holding the text as
typed plus what it means.  Anything it cannot understand keeps its text and is marked
``kind="unknown"`` so the caller reports it — it never guesses silently.
"""
from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

BLANK, DATE, RANGE, RECURRING, OPEN, UNKNOWN = "blank", "date", "range", "recurring", "open", "unknown"


@dataclass(frozen=True, slots=True)
class Due:
    """A parsed due value.

    ``start``/``end`` bound the period meant ("December 2008" is 1–31 Dec 2008; "By Oct 2009"
    has only an end).  ``end`` is the deadline used for "overdue".  ``recurrence`` names a
    repeating or open-ended timescale ("quarterly", "ongoing", "to be confirmed").
    ``term`` keeps a short/medium/long-term marker: "S", "M" or "L".
    """

    text: str
    kind: str
    start: dt.date | None = None
    end: dt.date | None = None
    recurrence: str | None = None
    term: str | None = None

    @property
    def understood(self) -> bool:
        return self.kind != UNKNOWN

    @property
    def deadline(self) -> dt.date | None:
        return self.end

    def describe(self) -> str:
        """A short plain-English reading, e.g. "1 Dec 2008 – 31 Dec 2008"."""
        if self.kind in (BLANK, UNKNOWN):
            return self.kind
        if self.recurrence and not (self.start or self.end):
            return self.recurrence
        fmt = "%d %b %Y"
        if self.kind == DATE and self.end:
            return self.end.strftime(fmt)
        left = self.start.strftime(fmt) if self.start else "…"
        right = self.end.strftime(fmt) if self.end else "…"
        text = f"{left} – {right}"
        return f"{self.recurrence} {text}" if self.recurrence else text


#: The due of an empty cell (a Due is immutable, so every blank action shares this one).
BLANK_DUE = Due("", BLANK)

_MONTHS = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4,
    "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8, "sep": 9, "sept": 9,
    "september": 9, "oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
}
_MONTH = r"(?P<{n}>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
_YEAR = r"(?P<{n}>(?:19|20)\d{{2}}|'?\d{{2}})"
# (first month, last month) of each season; winter runs Dec-Feb, starting the year named.
_SEASONS = {"spring": (3, 5), "summer": (6, 8), "autumn": (9, 11), "fall": (9, 11), "winter": (12, 14)}
# School terms in England.
_TERMS = {"spring": (1, 3), "summer": (4, 7), "autumn": (9, 12)}

_RECURRENCES: list[tuple[str, str, str]] = [  # (regex, recurrence, kind)
    (r"on[\s-]?going|continuous(?:ly)?|throughout", "ongoing", OPEN),
    (r"as (?:and when )?(?:appropriate|required|needed|necessary)|at every opportunity|whenever possible|"
     r"as opportunities arise", "as appropriate", OPEN),
    (r"within (?P<n>\d+|one|two|three|four|five|six|seven|ten|twenty) (?P<u>(?:working |calendar |school )?"
     r"(?:hour|day|week|month)s?)(?: (?:of|from|after) (?:the |a )?[a-z]+)?", "within {n} {u}", OPEN),
    (r"to be (?:confirmed|agreed|decided|determined)|tbc|tba|tbd", "to be confirmed", OPEN),
    (r"fortnightly", "fortnightly", RECURRING),
    (r"weekly", "weekly", RECURRING),
    (r"bi-?monthly", "every two months", RECURRING),
    (r"monthly", "monthly", RECURRING),
    (r"quarterly", "quarterly", RECURRING),
    (r"(?:six|6)[\s-]monthly|half[\s-]yearly|bi-?annual(?:ly)?", "six-monthly", RECURRING),
    (r"annual(?:ly)?|yearly|each year|every year", "annually", RECURRING),
    (r"termly|each term|every term", "termly", RECURRING),
    (r"(?P<n>\d+|one|two|three|four|five|six|seven|eight|nine|ten|twelve) times (?:per|a|each) (?P<u>year|term|month)",
     "{n} times per {u}", RECURRING),
]

_POINT_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("iso", re.compile(r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})")),
    ("dmy", re.compile(r"(?P<d>\d{1,2})[/.](?P<m>\d{1,2})[/.](?P<y>\d{4}|\d{2})\b")),
    ("fy", re.compile(r"(?:fy\s*)?(?P<y>(?:19|20)\d{2})\s*[/-]\s*(?P<y2>\d{2}|\d{4})\b")),
    ("quarter", re.compile(r"(?:q|quarter\s*)(?P<q>[1-4])\b(?:\s*(?:of\s*)?(?P<y>(?:19|20)\d{2})(?:\s*[/-]\s*(?P<y2>\d{2,4}))?)?")),
    ("day_month", re.compile(r"(?P<d>\d{1,2})(?:st|nd|rd|th)?\s+" + _MONTH.format(n="m") + r",?\s*" + _YEAR.format(n="y"))),
    ("month_day", re.compile(_MONTH.format(n="m") + r"\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?,\s*" + _YEAR.format(n="y"))),
    ("month", re.compile(_MONTH.format(n="m") + r"\s*[-\s]?\s*" + _YEAR.format(n="y") + r"\b")),
    ("season", re.compile(r"(?P<s>spring|summer|autumn|fall|winter)(?P<t>\s+term)?\s+" + _YEAR.format(n="y") + r"\b")),
    ("month_only", re.compile(_MONTH.format(n="m") + r"(?![a-z])")),
    ("season_only", re.compile(r"(?P<s>spring|summer|autumn|fall|winter)(?P<t>\s+term)?(?![a-z])")),
    ("year", re.compile(r"(?P<y>(?:19|20)\d{2})\b")),
]

_WORD = re.compile(r"[a-z]+|\d+|.", re.S)
#: Longer Due texts are not parsed: no real timescale needs more, and a pasted page must not
#: cost time (every step of parse_due is linear in the text's length anyway).
MAX_DUE_TEXT = 500
#: Words that make a date in a sentence vague ("by mid 2009"): such a cell is not read as a date.
_HEDGES = frozenset({"mid", "early", "late", "around", "about", "approx", "approximately", "circa", "after",
                     "post", "pre", "beyond", "not", "except", "possibly", "maybe", "perhaps", "hopefully"})
#: Words allowed between the two ends of a range in a sentence ("Jan - May 2009", "June to Sept 2009").
_RANGE_JOINERS = frozenset({"-", "/", "&", "to", "until", "till", "through", "and", "or", ",", " "})
_FILLER_WORDS = frozenset({"to", "until", "till", "through", "and", "then", "or", "onward", "onwards", "from", "by",
                           "before", "in", "during", "at", "the", "of", "for", "end", "start", "beginning"})
_FILLER = re.compile(
    r"^(?:[\s,;:/&+\-()•·.]|to|until|till|through|and|then|or|onwards?|from|by|before|"
    r"(?:stage|phase|step|part)\s*\d+[a-z]?|pilot|complete[d]?|completion|implemented|in place|"
    r"end\s+of|start(?:ing)?|beginning\s+of|begin(?:ning)?|commencing|deadline|no\s+later\s+than|"
    r"in|during|at|the|of|for|review(?:ed)?|report(?:ed)?|launch(?:ed)?|target|date)+$"
)


def _year(text: str) -> int:
    text = text.lstrip("'")
    year = int(text)
    return year + 2000 if year < 100 else year


def _month_span(year: int, first: int, last: int) -> tuple[dt.date, dt.date]:
    end_year, end_month = year + (last - 1) // 12, (last - 1) % 12 + 1
    return dt.date(year, first, 1), dt.date(end_year, end_month, calendar.monthrange(end_year, end_month)[1])


def _fy_start(y: str, y2: str | None) -> int | None:
    start = int(y)
    if y2 is None:
        return start
    end = int(y2)
    end = end if end >= 100 else (start // 100) * 100 + end
    return start if end == start + 1 else None


def _point(kind: str, g: dict[str, str | None], context_year: int | None) -> tuple[dt.date | None, dt.date | None, bool]:
    """Interval for one matched token; the bool says "needs a year from a later token"."""
    if kind in ("iso", "dmy", "day_month", "month_day"):
        month = _MONTHS[g["m"].lower().rstrip(".")] if kind in ("day_month", "month_day") else int(g["m"])
        day = dt.date(_year(g["y"]), month, int(g["d"]))
        return day, day, False
    if kind == "month":
        return (*_month_span(_year(g["y"]), m := _MONTHS[g["m"].lower().rstrip(".")], m), False)
    if kind == "month_only":
        m = _MONTHS[g["m"].lower().rstrip(".")]
        return (dt.date(1, m, 1), dt.date(1, m, 1), True)
    if kind in ("season", "season_only"):
        first, last = (_TERMS if g.get("t") else _SEASONS)[g["s"].lower()]
        if kind == "season_only":
            return (dt.date(1, first, 1), dt.date(1, min(last, 12), 1), True)
        return (*_month_span(_year(g["y"]), first, last), False)
    if kind == "fy":
        start = _fy_start(g["y"], g["y2"])
        if start is None:
            raise ValueError("not a financial year")
        return dt.date(start, 4, 1), dt.date(start + 1, 3, 31), False
    if kind == "quarter":
        start = _fy_start(g["y"], g["y2"]) if g.get("y") else context_year
        if start is None:
            start = fy_of(dt.date.today())
        return (*_quarter_span(start, int(g["q"])), False)
    if kind == "year":
        y = int(g["y"])
        return dt.date(y, 1, 1), dt.date(y, 12, 31), False
    raise AssertionError(kind)


def _quarter_span(fy: int, q: int) -> tuple[dt.date, dt.date]:
    """Quarter ``q`` of the financial year starting in April ``fy`` (UK public sector: Q1 is
    April-June, Q4 January-March of the next calendar year)."""
    first = 4 + 3 * (q - 1)
    return _month_span(fy + (first - 1) // 12, (first - 1) % 12 + 1, (first - 1) % 12 + 3)


def fy_of(day: dt.date) -> int:
    """The start year of the UK financial year (April–March) containing ``day``."""
    return day.year if day.month >= 4 else day.year - 1


def _resolve_pending(points: list[tuple[dt.date, dt.date, bool]]) -> list[tuple[dt.date, dt.date]] | None:
    """Give a year to "Jan" in "Jan – May 2009" from the next token that has one."""
    out: list[tuple[dt.date, dt.date]] = []
    next_dated: list[tuple[dt.date, dt.date, bool] | None] = [None] * len(points)
    following = None
    for i in range(len(points) - 1, -1, -1):  # one pass back: the next dated token of each
        next_dated[i] = following
        if not points[i][2]:
            following = points[i]
    for i, (start, end, pending) in enumerate(points):
        if not pending:
            out.append((start, end))
            continue
        following = next_dated[i]
        if following is None:
            return None
        year = following[0].year
        if start.month > following[0].month:
            year -= 1  # "Nov – Feb 2009" starts in Nov 2008
        last = end.month if end.month >= start.month else end.month + 12
        out.append(_month_span(year, start.month, last))
    return out


def _in_sentence(text: str, tokens: list, context_year: int | None, recurrence: str | None,
                 term: str | None) -> Due:
    """A cell that is a sentence with dates inside ("Q1: plan agreed; by March 2008 review"):
    the text is kept whole and the latest date in it is the deadline.

    Read only when the text has at least two words that are not date filler and every date in
    it is plain: a date after a hedge ("by mid 2009") makes the whole cell unknown, and a month
    or season with no year is read only as the first end of a range ("Jan - May 2009"), so the
    verb "may" is not a month.  One pass over the tokens: linear in the text length.
    """
    words = [t for t in tokens if isinstance(t, str) and t.isalpha()]
    if sum(1 for w in words if w not in _FILLER_WORDS) < 2:
        return Due(text, UNKNOWN, term=term)
    kept: list[tuple[str, dict]] = []
    last_word = ""
    for i, tok in enumerate(tokens):
        if isinstance(tok, str):
            if tok.strip():
                last_word = tok
            continue
        kind, groups = tok
        if last_word in _HEDGES:
            return Due(text, UNKNOWN, term=term)
        last_word = ""
        if kind in ("month_only", "season_only"):
            j = i + 1
            while j < len(tokens) and isinstance(tokens[j], str) and tokens[j] in _RANGE_JOINERS:
                j += 1
            if not (j < len(tokens) and isinstance(tokens[j], tuple) and tokens[j][0] not in ("month_only", "season_only")):
                continue  # a month word on its own ("we may …"): not a date
        kept.append(tok)
    if not kept:
        return Due(text, UNKNOWN, term=term)
    explicit = [_point(k, g, context_year) for k, g in kept if k not in ("quarter", "month_only", "season_only")]
    year = fy_of(explicit[0][0]) if explicit else context_year
    resolved = _resolve_pending([_point(k, g, year) for k, g in kept])
    if not resolved:
        return Due(text, UNKNOWN, term=term)
    start, end = min(p[0] for p in resolved), max(p[1] for p in resolved)
    return Due(text, DATE if start == end and recurrence is None else RANGE, start, end, recurrence, term)


def parse_due(value: object, context_year: int | None = None) -> Due:
    """Parse a Due cell (text, date or datetime) into a :class:`Due`.

    ``context_year`` is the financial year the plan runs in; it gives "Q1" a year.
    """
    if value is None:
        return Due("", BLANK)
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return Due(value.isoformat(), DATE, value, value)
    text = str(value)
    if len(text) > MAX_DUE_TEXT:  # no timescale is written at such length: not read as one
        return Due(text, UNKNOWN)
    norm = re.sub(r"\s+", " ", text.replace("–", "-").replace("—", "-").replace("‘", "'").replace("’", "'")).strip().lower()
    if not norm:
        return Due(text, BLANK)
    if _QUARTER_LED.match(norm):
        milestones = _quarter_milestones(text, norm, context_year)
        if milestones is not None:
            return milestones
    due = _parse_text(text, norm, context_year)
    if due.kind == UNKNOWN:
        return _parse_parts(text, context_year) or due
    return due


def _parse_text(text: str, norm: str, context_year: int | None) -> Due:
    """:func:`parse_due` of a non-blank cell, ``norm`` its lower-cased, space-folded text."""
    term = None
    m = re.search(r"\(\s*([sml])\s*\)|\b(short|medium|long)[\s-]term\b", norm)
    if m:
        term = (m.group(1) or m.group(2)[0]).upper()
        norm = (norm[:m.start()] + " " + norm[m.end():]).strip()
    recurrence, kind = None, None
    for pattern, name, rkind in _RECURRENCES:
        rm = re.search(r"\b(?:" + pattern + r")\b", norm)
        if rm:
            recurrence = name.format(**rm.groupdict()) if "{" in name else name
            kind = rkind
            norm = (norm[:rm.start()] + " " + norm[rm.end():]).strip()
            break
    norm = re.sub(r"\b(?:stage|phase|step|part)\s*\d+[a-z]?\b", " ", norm).strip()
    open_ended = bool(re.search(r"\bonwards?\b|\bfrom\b|\bstarting\b|\bcommencing\b", norm))
    tokens: list[tuple[str, dict[str, str | None]] | str] = []  # (kind, groups) of a date, or a word
    leftovers: list[str] = []
    pos = 0
    while pos < len(norm):
        for pkind, pattern in _POINT_PATTERNS:
            pm = pattern.match(norm, pos)
            if pm and (pos == 0 or not norm[pos - 1].isalnum()):
                tokens.append((pkind, pm.groupdict()))
                pos = pm.end()
                break
        else:
            word = _WORD.match(norm, pos).group(0)  # matched in place: no copy of the rest of the text
            leftovers.append(word)
            tokens.append(word)
            pos += len(word)
    try:
        points = [_point(k, g, context_year) for k, g in (t for t in tokens if isinstance(t, tuple))]
    except ValueError:
        return Due(text, UNKNOWN, term=term)
    if leftovers and not _FILLER.match(" ".join(leftovers)):
        return _in_sentence(text, tokens, context_year, recurrence, term)
    resolved = _resolve_pending(points)
    if resolved is None:
        return Due(text, UNKNOWN, term=term)
    if not resolved:
        if recurrence:
            return Due(text, kind, recurrence=recurrence, term=term)
        return Due(text, UNKNOWN, term=term)
    start = min(p[0] for p in resolved)
    end = max(p[1] for p in resolved)
    if recurrence:
        return Due(text, kind, start, None if open_ended else (end if len(resolved) > 1 else None), recurrence, term)
    if open_ended:
        return Due(text, RANGE, start, None, None, term)
    if re.match(r"^(?:by|before|no later than|deadline)\b", norm) or "completed by" in norm:
        return Due(text, RANGE, None, end, None, term)
    return Due(text, DATE if start == end else RANGE, start, end, None, term)


#: A cell led by a quarter ("Q1 Letter sent / Q3 Booklet produced", "Q4/Q1 (2010) Model
#: reviewed", "Q1-4 Events held", "Quarter 2: report"): a list of milestones.
_QUARTER_LED = re.compile(r"^(?:q|quarter\s*)[1-4](?![0-9])")
#: One quarter expression: a quarter, then more quarters or bare numbers joined by "-", "/",
#: ",", "&", "and", "to" ("Q1-4", "Q4/Q1", "Q1, Q2 and Q3"), then perhaps a year ("2010",
#: "(2010)", "2009/10", "of 2010").
_QJOIN = r"\s*(?:-|/|,|&|\+|\band\b|\bto\b|\bor\b)\s*"
_QITEM = r"(?:q|quarter\s*)?[1-4](?![0-9a-z])"
_QEXPR = re.compile(
    r"(?<![a-z0-9])(?:q|quarter\s*)(?P<list>[1-4](?![0-9a-z])(?:" + _QJOIN + _QITEM + r")*)"
    r"(?:\s*(?:of\s*)?\(?\s*(?P<y>(?:19|20)\d{2})(?:\s*[/-]\s*(?P<y2>\d{2}|\d{4}))?\s*\)?(?![0-9]))?")
_QNUM = re.compile(r"(?:q|quarter\s*)?([1-4])")
_QRANGE = re.compile(r"\s*(?:-|\bto\b)\s*")
#: Plain dates that may sit among the milestones ("Q1 draft; report by March 2010").
_MILESTONE_DATES = ("iso", "dmy", "day_month", "month")


def _quarter_list(expr: str) -> list[int]:
    """The quarters an expression names in order, ranges filled in ("1-4" -> 1, 2, 3, 4)."""
    out: list[int] = []
    pos = 0
    for m in _QNUM.finditer(expr):
        between = expr[pos:m.start()]
        q = int(m.group(1))
        if out and _QRANGE.fullmatch(between):
            last = out[-1]
            span = list(range(last + 1, q + 1)) if q > last else [*range(last + 1, 5), *range(1, q + 1)]
            out.extend(span)
        else:
            out.append(q)
        pos = m.end()
    return out


def _quarter_milestones(text: str, norm: str, context_year: int | None) -> Due | None:
    """A quarter-led cell read as milestones against the plan's financial year.

    Quarters are of the UK financial year (Q1 = April-June).  Each quarter after the first falls
    in the same year as the one before it unless it is not later ("Q4/Q1": the Q1 is the next
    year's).  A year written after a quarter list gives its last quarter that financial year
    ("Q4/Q1 (2010)": Q1 2010/11, so the Q4 is 2009/10's); with none, the first quarter is in the
    plan's year (``context_year``).  The span runs from the first milestone's start to the latest
    one's end, which is the deadline; the text, with every milestone, is kept as typed.  "…and
    ongoing" keeps the deadline and notes the recurrence.  None when no quarter can be read.
    """
    recurrence = None
    for pattern, name, _kind in _RECURRENCES:
        rm = re.search(r"\b(?:" + pattern + r")\b", norm)
        if rm:
            recurrence = name.format(**rm.groupdict()) if "{" in name else name
            break
    spans: list[tuple[dt.date, dt.date]] = []  # plain dates among the milestones first
    for kind, pattern in _POINT_PATTERNS:
        if kind not in _MILESTONE_DATES:
            continue
        for pm in pattern.finditer(norm):
            if pm.start() and norm[pm.start() - 1].isalnum():
                continue
            try:
                start, end, _ = _point(kind, pm.groupdict(), None)
            except ValueError:
                continue
            spans.append((start, end))
    fy = context_year if context_year is not None else (
        fy_of(min(spans)[0]) if spans else fy_of(dt.date.today()))
    previous: int | None = None
    dates = len(spans)
    for m in _QEXPR.finditer(norm):
        quarters = _quarter_list(m.group("list"))
        if not quarters:
            continue
        years: list[int] = []
        if m.group("y"):
            last = _fy_start(m.group("y"), m.group("y2"))
            if last is None:
                return None
            years = [last]
            for i in range(len(quarters) - 1, 0, -1):  # back from the year given
                years.insert(0, years[0] - 1 if quarters[i - 1] >= quarters[i] else years[0])
        else:
            for q in quarters:
                if previous is not None and q <= previous:
                    fy += 1
                years.append(fy)
                previous = q
        fy, previous = years[-1], quarters[-1]
        spans.extend(_quarter_span(year, q) for q, year in zip(quarters, years))
    if len(spans) == dates:
        return None
    start, end = min(s for s, _ in spans), max(e for _, e in spans)
    return Due(text, RANGE, start, end, recurrence)


#: Where a cell pasted from several paragraphs or cells breaks: a line break or a run of spaces.
_PART_BREAK = re.compile(r"\s*\n\s*|\s{2,}|\s*;\s*")


def _parse_parts(text: str, context_year: int | None) -> Due | None:
    """A cell of several phrases ("Ongoing  Ongoing", "Ongoing  Within 1 working day of referral
    Ongoing"), each understood once: a phrase repeated counts once, and when every distinct phrase
    is understood the cell means all of them together (the earliest start, the latest end, the
    first recurrence).  The text is kept as typed.  None when the cell is one phrase or a phrase
    in it is not understood."""
    parts: list[str] = []
    seen: set[str] = set()
    for part in _PART_BREAK.split(text.strip()):
        key = re.sub(r"\s+", " ", part).strip(" .,").lower()
        if key and key not in seen:
            seen.add(key)
            parts.append(part)
    if len(parts) < 1 or (len(parts) == 1 and parts[0].strip() == text.strip()):
        return None
    dues = [parse_due(p, context_year) for p in parts]
    if any(not d.understood for d in dues):
        return None
    if len(dues) == 1:
        d = dues[0]
        return Due(text, d.kind, d.start, d.end, d.recurrence, d.term)
    starts = [d.start for d in dues if d.start]
    ends = [d.end for d in dues if d.end]
    recurrence = next((d.recurrence for d in dues if d.recurrence), None)
    term = next((d.term for d in dues if d.term), None)
    if not (starts or ends):
        kind = next((d.kind for d in dues if d.kind in (RECURRING, OPEN)), OPEN)
        return Due(text, kind, None, None, recurrence, term)
    return Due(text, RANGE, min(starts) if starts else None, max(ends) if ends else None, recurrence, term)
