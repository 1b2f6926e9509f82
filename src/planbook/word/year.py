"""The report's view of the year: how each theme and each action needing attention has moved over
the periods reported so far, from the consolidated workbook's History sheet.

Per theme, a native Word chart (editable in Word: Chart Design, Edit Data) of actions by status
in each period; per action, its trend in words and arrows ("On track → Slippage → On track");
and the actions whose commentary has not changed for two periods or more.  Nothing here is
shown by colour alone.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from planbook.core.status import COLOURS, COUNT_LINES, NO_STATUS, NOT_RECOGNISED, STATUSES, count_line, normalise_status
from planbook.word.chart import Series, add_bar_chart
from planbook.workbook.history import ARROW, STATUS_PREFIX, STILL, TREND
from planbook.workbook.view import ConsolidatedView

#: At most this many themes get a chart, and this many actions a trend line, in the body.
MAX_THEMES, MAX_TREND_ROWS = 12, 50
_FILLS = {**{s: COLOURS[s][1].lstrip("#").upper() for s in STATUSES}, NO_STATUS: "FFFFFF", NOT_RECOGNISED: "E4DFEC"}
EMPTY = {"year_periods": [], "year_sentence": "", "year_themes": [], "trend_rows": [], "trend_sentence": "",
         "still_sentence": ""}


def _still(text: str) -> int:
    """The number of periods in a "Not updated for" cell ("2 periods" -> 2; blank -> 0)."""
    head = text.strip().split(" ")[0] if text.strip() else ""
    return int(head) if head.isdigit() else 0


def _unbroken(trend: str) -> str:
    """A trend that wraps only between statuses, each line ending in its arrow ("Off track →")."""
    return " ".join(part.replace(" ", "\u00a0") + ("\u00a0→" if i < n else "")
                    for parts in [trend.split(ARROW)] for n in [len(parts) - 1] for i, part in enumerate(parts))


def year_context(view: ConsolidatedView, attention: Sequence[dict[str, str]], clean=str) -> dict:
    """Template variables for the report's "Progress over the year" section (all empty before a
    plan has two periods of history).  ``attention`` are the All actions rows of the actions
    needing attention, most serious first."""
    periods = view.periods
    if len(periods) < 2:
        return dict(EMPTY)
    rows = view.history
    themes = list(dict.fromkeys([*(a.get("Theme", "") for a in view.actions), *(r.get("Theme", "") for r in rows)]))
    counts: dict[str, list[Counter]] = {t: [Counter() for _ in periods] for t in themes}
    whole = [Counter() for _ in periods]
    for r in rows:
        for i, p in enumerate(periods):
            s = r.get(STATUS_PREFIX + p, "").strip()
            if s:
                line = count_line(normalise_status(s))
                counts[r.get("Theme", "")][i][line] += 1
                whole[i][line] += 1
    good = [f"{p}: {c.get(STATUSES[0], 0) + c.get(STATUSES[1], 0):,} of {sum(c.values()):,}" for p, c in zip(periods, whole)]
    sentence = (f"The plan has been reported on for {len(periods)} periods, {periods[0]} to {periods[-1]}. "
                f"Actions complete or on track — {'; '.join(good)}. The charts show each theme's actions by status "
                "in each period; the consolidated workbook has the figures.")
    shown = [t for t in themes if any(sum(c.values()) for c in counts[t])][:MAX_THEMES]
    year_themes = [{"theme": clean(t) or "(no theme)", "periods": [clean(p) for p in periods],
                    "counts": [[c.get(line, 0) for line in COUNT_LINES] for c in counts[t]],
                    "caption": clean(f"{t or '(no theme)'}: actions by status in each period, {periods[0]} to "
                                     f"{periods[-1]}."),
                    "chart": ""} for t in shown]
    if len(themes) > MAX_THEMES:
        sentence += f" The first {MAX_THEMES} of the {len(themes)} themes are charted here."
    by_ref = {r.get("Ref", "").strip().lower(): r for r in rows}
    # listed: the actions needing attention whose status moved during the year; the others are counted
    moved, held, new = [], 0, 0
    for a in attention:
        r = by_ref.get(a.get("Ref", "").strip().lower(), {})
        trend = [s.strip() for s in r.get(TREND, "").split(ARROW.strip()) if s.strip()]
        if len(trend) < 2:
            new += 1
        elif len(set(trend)) == 1:
            held += 1
        else:
            moved.append((a, r))
    trend_rows = []
    for a, r in moved[:MAX_TREND_ROWS]:
        n = _still(r.get(STILL, ""))
        trend_rows.append({"ref": clean(a.get("Ref", "")), "action": clean(a.get("Action", "")),
                           "lead": clean(a.get("Lead", "")), "trend": _unbroken(clean(r.get(TREND, ""))),
                           "still": f"{n} period{'s' if n != 1 else ''}" if n else ""})
    others = [f"{held:,} {'has' if held == 1 else 'have'} had the same status all year" if held else "",
              f"{new:,} {'is' if new == 1 else 'are'} new this period" if new else ""]
    others = [o for o in others if o]
    still = sorted(((r.get("Ref", ""), _still(r.get(STILL, ""))) for r in rows if _still(r.get(STILL, "")) >= 2),
                   key=lambda x: -x[1])
    still_sentence = ""
    if still:
        refs = ", ".join(f"{clean(ref)} ({n})" for ref, n in still[:40]) + (f" and {len(still) - 40:,} more" if len(still) > 40 else "")
        still_sentence = (f"The commentary on {len(still):,} unfinished action{'s' if len(still) != 1 else ''} has not "
                          f"changed for two periods or more (periods in brackets): {refs}.")
    return {"year_periods": [clean(p) for p in periods], "year_sentence": clean(sentence), "year_themes": year_themes,
            "trend_rows": trend_rows,
            "trend_sentence": (f"Of the {len(attention):,} actions needing attention, {len(moved):,} "
                               f"{'has' if len(moved) == 1 else 'have'} changed status during the year"
                               + (f" ({' and '.join(others)})" if others else "")
                               + ". How each has moved, oldest period first"
                               + (f" (the {MAX_TREND_ROWS} most serious)" if len(moved) > MAX_TREND_ROWS else "")
                               + ":"),
            "still_sentence": still_sentence}


def add_year_charts(document_part, context: dict, font: str = "") -> None:
    """One native chart per theme of ``context["year_themes"]``: its actions by status (stacked)
    in each period."""
    for t in context.get("year_themes", []):
        lines = [(j, line) for j, line in enumerate(COUNT_LINES)
                 if line in STATUSES or any(c[j] for c in t["counts"])]
        series = [Series(line, _FILLS[line], [c[j] for c in t["counts"]]) for j, line in lines]
        t["chart"] = add_bar_chart(
            document_part, t["periods"], series, title=f"{t['theme']}: actions by status in each period",
            description=(f"Stacked bar chart of the number of actions of the theme {t['theme']} in each status, "
                         f"one bar per period from {t['periods'][0]} to {t['periods'][-1]}; the figures are on "
                         "the Trend sheet of the consolidated workbook."),
            height_cm=min(12.0, 2.5 + 1.0 * len(t["periods"])), font=font)
