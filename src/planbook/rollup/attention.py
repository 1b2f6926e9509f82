"""What needs the committee's attention: the one rule the Exceptions sheet, the report, the
email and the command line all count by."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from planbook.core.attention import NOT_UPDATED, missing_reason, not_recognised_reason, overdue_reason, why
from planbook.core.model import Action
from planbook.core.status import FINISHED, NO_STATUS, OFF_TRACK, SLIPPAGE
from planbook.rollup.inputs import updated_from, was_updated


@dataclass
class Exception_:
    """An action that needs attention, with the reason."""

    reason: str
    action: Action


def find_exceptions(actions: Sequence[Action], period: str, today: dt.date,
                    since: dt.date | None = None, sent: Mapping[str, Action] | None = None,
                    full: Callable[[Action], Action] = lambda a: a) -> list[Exception_]:
    """Off track, slippage, overdue and unfinished, not updated this period, missing fields, no
    status given (a blank Status counts as unfinished), status not recognised, flagged by the
    merge; each action once, with its reasons in that order (the words are
    :mod:`planbook.core.attention`'s, which counts the parts).  ``since``, ``sent`` (Ref folded ->
    the master's action, as sent) and ``full`` are :func:`planbook.rollup.inputs.was_updated`'s."""
    start = updated_from(period, since)  # see planbook.rollup.inputs.updated_from
    out: list[Exception_] = []
    reasons_seen: dict[str, str] = {}  # one string per distinct reason
    overdue: dict[dt.date, str] = {}  # deadline -> its reason
    for a in actions:
        status, due = a.status, a.due
        reasons = []
        if status == OFF_TRACK:
            reasons.append(OFF_TRACK)
        elif status == SLIPPAGE:
            reasons.append(SLIPPAGE)
        if a.is_overdue(today):
            reasons.append(overdue.get(due.end) or overdue.setdefault(due.end, overdue_reason(due.end)))
        if status not in FINISHED and start and not was_updated(a, sent.get(a.ref.strip().lower()) if sent else None,
                                                                start, full):
            reasons.append(NOT_UPDATED)
        if not (a.ref and a.action and a.lead):
            reasons.append(missing_reason([n for n, v in (("Ref", a.ref), ("Action", a.action), ("Lead", a.lead))
                                           if not v]))
        if status is None:
            reasons.append(not_recognised_reason(a.status_text))
        elif status == NO_STATUS:
            reasons.append(NO_STATUS)
        if a.note:  # flagged by the merge: a Ref collision, not in the lead's return, a stale copy
            reasons.append(a.note)
        if reasons:
            text = why(reasons)
            out.append(Exception_(reasons_seen.setdefault(text, text), a))
    return out
