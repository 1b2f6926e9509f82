"""The report email's view of the year, from the consolidated workbook's History sheet: per theme,
how many actions were complete or on track in each period; each action needing attention's
trend in words and arrows; how long commentary has stood still."""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from planbook.core.status import COMPLETE, ON_TRACK, count_line, normalise_status
from planbook.workbook.history import STATUS_PREFIX, STILL, TREND
from planbook.workbook.view import ConsolidatedView


def _line(text: str) -> str:
    return " ".join(text.split())


def email_year_context(view: ConsolidatedView, exceptions: Sequence[dict]) -> dict:
    """Template variables (``year_periods``, ``year_rows``, ``still_sentence``); each exception
    row gets its ``trend`` ("" before the plan has two periods of history)."""
    periods = view.periods
    by_ref = {r.get("Ref", "").strip().lower(): r for r in view.history}
    for e in exceptions:
        r = by_ref.get(e.get("ref", "").strip().lower())
        e["trend"] = _line(r.get(TREND, "")) if r is not None and len(periods) >= 2 else ""
    if len(periods) < 2:
        return {"year_periods": [], "year_rows": [], "still_sentence": ""}
    themes = list(dict.fromkeys(_line(r.get("Theme", "")) for r in view.history))
    good = {t: [0] * len(periods) for t in themes}
    total = {t: [0] * len(periods) for t in themes}
    for r in view.history:
        t = _line(r.get("Theme", ""))
        for i, p in enumerate(periods):
            s = r.get(STATUS_PREFIX + p, "").strip()
            if s:
                total[t][i] += 1
                good[t][i] += count_line(normalise_status(s)) in (COMPLETE, ON_TRACK)
    rows = [{"theme": t or "(no theme)", "cells": [f"{g} of {n}" if n else "–" for g, n in zip(good[t], total[t])]}
            for t in themes]
    still = Counter()
    for r in view.history:
        head = r.get(STILL, "").split(" ")[0]
        if head.isdigit() and int(head) >= 2:
            still[int(head)] += 1
    sentence = ""
    if still:
        n = sum(still.values())
        sentence = (f"{n} unfinished action{'s have' if n != 1 else ' has'} had the same commentary for two periods "
                    "or more: " + ", ".join(f"{k} for {p} periods" for p, k in sorted(still.items())) + ".")
    return {"year_periods": [_line(p) for p in periods], "year_rows": rows, "still_sentence": sentence}
