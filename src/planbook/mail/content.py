"""What the report email says, worked out from a consolidated workbook.

Counts that add up to the total (an action whose Status is blank is "No status given", one not
among the five standard statuses "Status not recognised", each on its own line), exception lines
made only of the parts that are there (never "(, due )"), UK dates (30 September 2009 in prose,
30/09/2009 in tables), and the direction of travel (↑ better, ↓ worse, → same, new) when the
workbook's ``All actions`` has a ``Direction`` column.  The layout — greeting, sign-off, order —
is the templates' (``templates/email.html.j2`` and ``email.txt.j2``); everything here is data,
which the HTML template escapes.
"""
from __future__ import annotations

import datetime as dt
import re
from collections import Counter

from planbook.core.status import (
    COLOURS,
    COMPLETE,
    NOT_STARTED,
    OFF_TRACK,
    ON_TRACK,
    SLIPPAGE,
    STATUSES,
)
from planbook.workbook.view import ConsolidatedView

NO_STATUS = "No status given"
NOT_RECOGNISED = "Status not recognised"
_OTHER_FILL = {NO_STATUS: "FFFFFF", NOT_RECOGNISED: "FFFFFF"}
#: Direction of travel, as the consolidated workbook writes it, in the order it is summed up.
DIRECTIONS = ("↑ better", "↓ worse", "→ same", "new")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[ T]00:00(?::00)?)?$")


def status_group(status: str) -> str:
    """The line an action is counted on: a standard status, "No status given" or "Status not recognised"."""
    text = status.strip()
    if not text or text == NO_STATUS:  # the consolidated workbook writes a blank status as the words
        return NO_STATUS
    return text if text in STATUSES else NOT_RECOGNISED


def fill(group: str) -> str:
    """The RGB fill (no ``#``) of a status line."""
    return COLOURS[group][1].lstrip("#") if group in COLOURS else _OTHER_FILL.get(group, "FFFFFF")


def _as_date(text: str) -> dt.date | None:
    m = _ISO.match(text.strip())
    if not m:
        return None
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def uk_date(text: str, *, prose: bool) -> str:
    """An ISO date as "30 September 2009" (prose) or "30/09/2009" (tables); other text as it is."""
    day = _as_date(text)
    if day is None:
        return text
    return f"{day.day} {day:%B %Y}" if prose else f"{day:%d/%m/%Y}"


def _plural(n: int, one: str, many: str) -> str:
    return one if n == 1 else many


def summary_sentence(counts: Counter, total: int) -> str:
    """ "Of the 123 actions, 93 are complete or on track, 11 show slippage, 8 are off track and 10
    have not started; 1 has a status not recognised." — every action is in exactly one part."""
    good = counts.get(COMPLETE, 0) + counts.get(ON_TRACK, 0)
    slip, off, idle = counts.get(SLIPPAGE, 0), counts.get(OFF_TRACK, 0), counts.get(NOT_STARTED, 0)
    parts = [f"{good} {_plural(good, 'is', 'are')} complete or on track",
             f"{slip} {_plural(slip, 'shows', 'show')} slippage",
             f"{off} {_plural(off, 'is', 'are')} off track"]
    if idle:
        parts.append(f"{idle} {_plural(idle, 'has', 'have')} not started")
    text = f"Of the {total} {_plural(total, 'action', 'actions')}, {', '.join(parts[:-1])} and {parts[-1]}"
    rest = []
    if counts.get(NO_STATUS):
        n = counts[NO_STATUS]
        rest.append(f"{n} {_plural(n, 'has', 'have')} no status given")
    if counts.get(NOT_RECOGNISED):
        n = counts[NOT_RECOGNISED]
        rest.append(f"{n} {_plural(n, 'has a status', 'have a status')} not recognised")
    return text + ("; " + " and ".join(rest) if rest else "") + "."


def _line(text: str) -> str:
    """Text for one line of a list: any line breaks in it folded to spaces."""
    return " ".join(text.split())


def _exception(a: dict[str, str]) -> dict[str, str]:
    status = _line(a.get("Status", ""))
    due = _line(a.get("Due", ""))
    return {"ref": _line(a.get("Ref", "")), "status": status or NO_STATUS, "overdue": bool(a.get("Overdue", "").strip()),
            "action": _line(a.get("Action", "")), "lead": _line(a.get("Lead", "")),
            "due": uk_date(due, prose=True), "due_table": uk_date(due, prose=False),
            "direction": _line(a.get("Direction", "")), "progress": a.get("Progress update", "").strip(),
            "fill": fill(status_group(status))}


def email_context(view: ConsolidatedView, max_exceptions: int = 10) -> dict:
    """Template variables for the report email (see the module docstring)."""
    actions = view.actions
    total = len(actions)
    groups = [status_group(a.get("Status", "")) for a in actions]
    counts = Counter(groups)
    lines = list(STATUSES) + [g for g in (NO_STATUS, NOT_RECOGNISED) if counts.get(g)]
    themes = list(dict.fromkeys(_line(a.get("Theme", "")) for a in actions))
    by_theme = Counter((_line(a.get("Theme", "")), g) for a, g in zip(actions, groups))
    exceptions = [a for a, g in zip(actions, groups) if g in (SLIPPAGE, OFF_TRACK) or a.get("Overdue", "").strip()]
    exceptions.sort(key=lambda a: {OFF_TRACK: 0, SLIPPAGE: 1}.get(a.get("Status", "").strip(), 2))
    has_direction = any(a.get("Direction", "").strip() for a in actions)  # the column is blank without --previous
    moves = Counter(a.get("Direction", "").strip() for a in actions)
    direction_counts = [{"direction": d, "count": moves.get(d, 0)} for d in DIRECTIONS if moves.get(d)]
    rows = [_exception(a) for a in exceptions]
    return {
        "title": _line(view.title) or "Action plan",
        "period": _line(view.period) or "this period",
        "as_of": f"{view.as_of.day} {view.as_of:%B %Y}" if view.as_of else "",
        "coordinator": _line(view.coordinator),
        "summary_sentence": summary_sentence(counts, total),
        "total": total,
        "statuses": [{"status": s, "count": counts.get(s, 0), "fill": "#" + fill(s)} for s in lines],
        "theme_rows": [{"theme": t or "(no theme)", "counts": [by_theme.get((t, s), 0) for s in lines],
                        "fills": [fill(s) for s in lines],
                        "total": sum(by_theme.get((t, s), 0) for s in lines)} for t in themes],
        "has_direction": has_direction,
        "direction_counts": direction_counts,
        "exceptions": rows,
        "top_exceptions": rows[:max_exceptions],
        "more_exceptions": max(0, len(rows) - max_exceptions),
    }
