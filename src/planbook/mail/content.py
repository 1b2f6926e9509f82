"""What the report email says, worked out from a consolidated workbook.

Counts that add up to the total (an action whose Status is blank is "No status given", one not
among the five standard statuses "Status not recognised", each on its own line), exception lines
made only of the parts that are there (never "(, due )"), UK dates (30 September 2009 in prose,
30/09/2009 in tables), and the direction of travel (↑ better, ↓ worse, → same, new) when the
workbook's ``All actions`` has a ``Direction`` column.  The actions needing attention are the
workbook's Exceptions rows, counted in parts as everywhere else (:mod:`planbook.core.attention`),
and the sentences — the direction of travel's too — are the report's (:mod:`planbook.core.prose`).  The layout — greeting, sign-off, order —
is the templates' (``templates/email.html.j2`` and ``email.txt.j2``); everything here is data,
which the HTML template escapes.
"""
from __future__ import annotations

from collections import Counter

from planbook.core.attention import attention_mark
from planbook.core.dates import prose_date, uk_text
from planbook.core.direction import DIRECTIONS, count_directions
from planbook.core.prose import attention_sentence, direction_sentence, summary_sentence
from planbook.core.status import COLOURS, COUNT_LINES, STATUSES, count_line_of_text, status_as_listed, tally_text
from planbook.mail.year import email_year_context
from planbook.workbook.view import ConsolidatedView

#: The fills of the two count lines that are not statuses (their words say what they are).
_OTHER_FILL = "FFFFFF"


def fill(group: str) -> str:
    """The RGB fill (no ``#``) of a status line."""
    return COLOURS[group][1].lstrip("#") if group in COLOURS else _OTHER_FILL


def _line(text: str) -> str:
    """Text for one line of a list: any line breaks in it folded to spaces."""
    return " ".join(text.split())


def _exception(e: dict[str, str], a: dict[str, str] | None) -> dict[str, str]:
    """One listed action: its All actions row ``a`` (else what the Exceptions row ``e`` says)."""
    a = a if a is not None else e
    status = _line(a.get("Status", ""))
    due = _line(a.get("Due", ""))
    line = count_line_of_text(status)
    return {"ref": _line(a.get("Ref", "")), "status": status_as_listed(status) if status else line,
            "overdue": bool(a.get("Overdue", "").strip()),
            "why": attention_mark(e.get("Why", "")),
            "action": _line(a.get("Action", "")), "lead": _line(a.get("Lead", "")),
            "due": uk_text(due, prose=True), "due_table": uk_text(due),
            # "due 30 September 2009" for a Due with a deadline; "Ongoing", "Quarterly" as typed (never "due Ongoing")
            "due_phrase": (f"due {uk_text(due, prose=True)}" if a.get("Due by", "").strip() else uk_text(due)) if due else "",
            "direction": _line(a.get("Direction", "")), "progress": a.get("Progress update", "").strip(),
            "fill": fill(line)}


def email_context(view: ConsolidatedView, max_exceptions: int = 10) -> dict:
    """Template variables for the report email (see the module docstring)."""
    actions = view.actions
    total = len(actions)
    groups = [count_line_of_text(a.get("Status", "")) for a in actions]
    counts = tally_text(a.get("Status", "") for a in actions)
    lines = [s for s in COUNT_LINES if s in STATUSES or counts.get(s)]
    themes = list(dict.fromkeys(_line(a.get("Theme", "")) for a in actions))
    by_theme = Counter((_line(a.get("Theme", "")), g) for a, g in zip(actions, groups))
    has_direction = any(a.get("Direction", "").strip() for a in actions)  # the column is blank without --previous
    moves = count_directions(a.get("Direction", "") for a in actions)
    direction_counts = [{"direction": d, "count": moves[d]} for d in DIRECTIONS if moves[d]]
    rows = [_exception(e, a) for e, a in view.needing_attention()]
    return {
        "title": _line(view.title) or "Action plan",
        "period": _line(view.period) or "this period",
        "as_of": prose_date(view.as_of) if view.as_of else "",
        "coordinator": _line(view.coordinator),
        "summary_sentence": summary_sentence(counts, total, view.retired),
        "attention_sentence": attention_sentence(view.attention()),
        "total": total,
        "statuses": [{"status": s, "count": counts.get(s, 0), "fill": "#" + fill(s)} for s in lines],
        "theme_rows": [{"theme": t or "(no theme)", "counts": [by_theme.get((t, s), 0) for s in lines],
                        "fills": [fill(s) for s in lines],
                        "total": sum(by_theme.get((t, s), 0) for s in lines)} for t in themes],
        "has_direction": has_direction,
        "direction_counts": direction_counts,
        "direction_sentence": direction_sentence(moves, total) if has_direction else "",
        "exceptions": rows,
        "top_exceptions": rows[:max_exceptions],
        "more_exceptions": max(0, len(rows) - max_exceptions),
        **email_year_context(view, rows),
    }
