"""How a sheet's printed columns fit a page: the lines a text takes in a wrapped column (the
one estimate every row height uses), and widths for the printed columns chosen from the texts
they hold, so that rows take few lines and a printed page holds many of them.

Widths are in Excel's units (characters of the default font).  The estimate is on the safe
side for Calibri in Excel and for DejaVu Sans, which LibreOffice uses when Calibri is not
installed: a column ``w`` wide holds about ``1.1 w`` characters of body text, less a word's end.
"""
from __future__ import annotations

import math
import re
from itertools import compress
from operator import and_, eq, gt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

#: The narrowest a wrapped printed column is made (a header word such as "Status" fits).
MIN_WIDTH = 6.0
#: A word longer than this many characters (a pasted link) may break rather than widen its column.
WORD_CAP = 24
#: The share of a column's texts a chosen number of lines must hold; the longest few take more lines.
SHARE = 0.85
#: At most this many rows are looked at to choose widths (evenly spread over a bigger plan:
#: enough to find the longest words and the share of texts a number of lines holds).
SAMPLE = 200

_WORDS = re.compile(r"\S+")


def chars_per_line(width: float) -> int:
    """Characters a line of a wrapped column ``width`` wide holds (the safe-side estimate)."""
    return max(int(width * 1.1) - 2, 4)


def text_lines(text: str, width: float) -> int:
    """Lines ``text`` takes wrapped in a column ``width`` wide."""
    chars = chars_per_line(width)
    return sum(max(1, -(-len(part) // chars)) for part in text.split("\n"))


def width_for(chars: int) -> float:
    """The narrowest width whose lines hold ``chars`` characters, to a whole pixel (a seventh
    of a character, as Excel keeps a width: the lines estimated for a column are those of the
    width the file holds)."""
    px = math.ceil((max(chars, 4) + 2) / 1.1 * 7 - 1e-6)
    while chars_per_line(px / 7) < chars:
        px += 1
    return px / 7


def _px(width: float) -> float:
    """``width`` to the nearest whole pixel."""
    return round(width * 7) / 7


@dataclass
class PrintedColumn:
    """A printed column's header and texts (a sample of them), and whether its text wraps."""

    header: str
    texts: Sequence[str]
    wraps: bool = True


def _longest_word(texts: Iterable[str]) -> int:
    return max((len(w) for t in texts for w in _WORDS.findall(t)), default=0)


def _quantile(values: Sequence[int], share: float) -> int:
    if not values:
        return 0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(math.ceil(share * len(ordered))) - 1)]


def fit_widths(columns: Sequence[PrintedColumn], budget: float) -> list[float]:
    """Widths for ``columns`` adding up to at most ``budget``, chosen so that the rows take the
    fewest lines together (a printed page then holds the most rows).

    A column that does not wrap is as wide as its longest text.  Every wrapped column starts
    as wide as its longest word (to :data:`WORD_CAP`) and its header's; then, step by step, the
    width that saves the most lines for its cost is given: one column wider, or every column
    wide enough for :data:`SHARE` of its texts to fit in a number of lines (a row is as tall as
    its tallest cell, so a row saves a line only when all its cells do).  A column is never made
    wider than its longest line."""
    texts = [list(c.texts) for c in columns]
    n = min((len(t) for t in texts), default=0)
    texts = [t[:n] for t in texts]
    fixed = [not c.wraps for c in columns]
    widths, tops = [], []
    for c, col, f in zip(columns, texts, fixed):
        longest = max((len(part) for t in col for part in t.split("\n")), default=0)
        if f:
            w = width_for(max(len(c.header), longest))
            widths.append(w)
            tops.append(w)
            continue
        word = min(_longest_word(col), WORD_CAP)
        w = max(MIN_WIDTH, width_for(max(word, _longest_word([c.header]))))
        widths.append(w)
        tops.append(max(w, width_for(longest)))
    if sum(widths) >= budget or n == 0:
        return widths
    # each text's length, or the lengths of its lines when it has several
    lens = [[len(t) if "\n" not in t else [len(part) for part in t.split("\n")] for t in col] for col in texts]
    cache: dict[tuple[int, int], list[int]] = {}

    def lines_of(col: int, width: float) -> list[int]:
        p = chars_per_line(width)
        got = cache.get((col, p))
        if got is None:
            got = cache[col, p] = [(x + p - 1) // p or 1 if x.__class__ is int else
                                   sum((y + p - 1) // p or 1 for y in x) for x in lens[col]]
        return got

    wrapped = [c for c in range(len(columns)) if not fixed[c]]
    whole = [[x if x.__class__ is int else sum(x) for x in col] for col in lens]
    shares = {c: _quantile(whole[c], SHARE) for c in wrapped}
    ones = [1] * n

    def total(cols: Iterable[list[int]]) -> int:
        """The rows' lines together: each row as many as its tallest cell."""
        return sum(map(max, *cols, ones))

    per_col = [lines_of(c, w) for c, w in enumerate(widths)]
    height = total(per_col)
    room = budget - sum(widths)
    while room > 0.05:
        best = None  # (lines saved per unit of width, new widths)
        top_lines = max(map(max, per_col))
        for k in range(max(1, top_lines - 4), top_lines):  # every column to fit SHARE of its texts in k lines
            cand = list(widths)
            for c in wrapped:
                cand[c] = min(tops[c], max(widths[c], width_for(-(-shares[c] // k))))
            cost = sum(cand) - sum(widths)
            if 0.05 < cost <= room + 1e-9:
                saved = height - total(lines_of(c, w) for c, w in enumerate(cand))
                if saved > 0 and (best is None or saved / cost > best[0]):
                    best = (saved / cost, cand)
        # One column wider saves lines only on the rows where it alone is the tallest cell, each
        # down to the tallest of the others there (the row's second tallest): those rows found
        # once a round, not every column's others summed over every row for each column.
        cells = [sorted(row) for row in zip(*per_col, ones)]  # each row's cells, and a line
        tallest = [row[-1] for row in cells]
        second = [row[-2] for row in cells]
        alone_in_row = list(map(gt, tallest, second))  # is one cell of the row taller than the rest?
        alone: dict[int, list[tuple[int, int]]] = {}  # column -> [(row, the row's next tallest)]
        for c in wrapped:
            alone[c] = [(i, second[i]) for i in compress(range(n), map(and_, alone_in_row, map(eq, per_col[c], tallest)))]
        for c in wrapped:  # one column wider
            if widths[c] >= tops[c] or not alone[c]:
                continue
            for step in (2, 6, 18):
                w = min(tops[c], _px(widths[c] + step))
                cost = w - widths[c]
                if cost <= 0.05 or cost > room + 1e-9:
                    continue
                now, wider = per_col[c], lines_of(c, w)
                saved = sum(now[i] - max(rest, wider[i]) for i, rest in alone[c])
                if saved > 0 and (best is None or saved / cost > best[0]):
                    cand = list(widths)
                    cand[c] = w
                    best = (saved / cost, cand)
        if best is None:
            break
        widths = best[1]
        per_col = [lines_of(c, w) for c, w in enumerate(widths)]
        height = total(per_col)
        room = budget - sum(widths)
    return widths
