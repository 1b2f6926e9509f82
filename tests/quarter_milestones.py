"""A family of quarter-led milestone cells, as plans write them, with what each means.

Each case is (text, start, end, recurrence) for a plan whose financial year starts in April
:data:`PLAN_YEAR`: single quarters, lists, ranges, lists crossing into the next year ("Q4/Q1
(2010)"), "and ongoing", with milestone text after each quarter.  The expected dates are
worked out here from the quarter numbers, not by the parser under test.
"""
from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator

PLAN_YEAR = 2009
_WORDS = ("Letter sent", "Booklet produced", "Model reviewed", "Events held", "Report to Partnership Board",
          "Training delivered to 40 staff", "Review of provision", "Survey of young people",
          "Consultation with schools and colleges", "Policy agreed by Cabinet", "")

Case = tuple[str, dt.date, dt.date, "str | None"]


def quarter(fy: int, q: int) -> tuple[dt.date, dt.date]:
    """First and last day of quarter ``q`` of the financial year starting April ``fy``."""
    months = {1: (4, 6), 2: (7, 9), 3: (10, 12), 4: (1, 3)}[q]
    year = fy + 1 if q == 4 else fy
    last = dt.date(year + (months[1] == 12), months[1] % 12 + 1, 1) - dt.timedelta(days=1)
    return dt.date(year, months[0], 1), last


def _span(*quarters: tuple[int, int]) -> tuple[dt.date, dt.date]:
    spans = [quarter(fy, q) for fy, q in quarters]
    return min(s for s, _ in spans), max(e for _, e in spans)


def _with(words: str, head: str, sep: str = " ") -> str:
    return f"{head}{sep}{words}" if words else head


def corpus() -> Iterator[Case]:
    """Every case of the family (a few hundred), in a fixed order."""
    fy = PLAN_YEAR
    words = itertools.cycle(_WORDS)
    for q, sep in itertools.product(range(1, 5), (" ", ": ", " - ", " \u2013 ", "\n")):
        for head in (f"Q{q}", f"Quarter {q}", f"q{q}"):
            yield (_with(next(words), head, sep), *_span((fy, q)), None)
    for a, b in itertools.combinations(range(1, 5), 2):  # lists and ranges in one year
        for head in (f"Q{a}/Q{b}", f"Q{a} & Q{b}", f"Q{a}, Q{b}", f"Q{a} and Q{b}", f"Q{a}/{b}"):
            yield (_with(next(words), head), *_span((fy, a), (fy, b)), None)
        for head in (f"Q{a}-{b}", f"Q{a}-Q{b}", f"Q{a} to Q{b}", f"Q{a} \u2013 Q{b}", f"Q{a}\u2013{b}"):
            yield (_with(next(words), head), *_span(*((fy, q) for q in range(a, b + 1))), None)
    for a, b, c in itertools.combinations(range(1, 5), 3):
        yield (_with(next(words), f"Q{a}, Q{b} and Q{c}"), *_span((fy, a), (fy, c)), None)
    for a, b in itertools.product(range(2, 5), range(1, 4)):  # crossing into next year
        if b >= a:
            continue
        nxt = fy + 1
        for head, year in ((f"Q{a}/Q{b} ({nxt})", nxt), (f"Q{a}/Q{b} {nxt}/{(nxt + 1) % 100:02d}", nxt),
                           (f"Q{a}/Q{b}", nxt), (f"Q{a}/Q{b} ({nxt})", nxt)):
            yield (_with(next(words), head), *_span((year - 1, a), (year, b)), None)
    for q in range(1, 5):  # and ongoing
        for tail in ("and ongoing", "and ongoing review", "then ongoing", "& on-going monitoring"):
            yield (f"Q{q} {tail}", *_span((fy, q)), "ongoing")
    for a, b in itertools.combinations(range(1, 5), 2):  # milestones each led by a quarter
        w1, w2 = next(words) or "Draft", next(words) or "Final"
        for text in (f"Q{a} {w1} / Q{b} {w2}", f"Q{a}: {w1}; Q{b}: {w2}", f"Q{a} {w1}\nQ{b} {w2}",
                     f"Q{a} - {w1}. Q{b} - {w2}"):
            yield (text, *_span((fy, a), (fy, b)), None)
    for a, b in ((4, 1), (3, 2), (4, 2)):  # milestones crossing the year
        w1, w2 = next(words) or "Draft", next(words) or "Final"
        yield (f"Q{a} {w1} / Q{b} {w2}", *_span((fy, a), (fy + 1, b)), None)
