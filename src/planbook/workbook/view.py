"""Read back a workbook written by ``planbook consolidate``: for the report, the email and --previous."""
from __future__ import annotations

import datetime as dt
import os
from collections import Counter, defaultdict, deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from planbook.core.attention import Attention, attention_of, severity
from planbook.core.direction import is_unchanged
from planbook.core.errors import UnusableFileError
from planbook.core.layout import (
    ALL_ACTIONS,
    CHANGES,
    DATA_ISSUES,
    EXCEPTIONS,
    HISTORY,
    LEAD_CHANGES,
    META,
    RETIRED,
    RETURNS,
    SOURCES,
)
from planbook.core.status import tally_text
from planbook.core.text import clean_rows, clean_text
from planbook.files.opening import as_text, open_workbook
from planbook.workbook.history import STATUS_PREFIX, STILL, STILL_BEFORE, UPDATE_PREFIX

#: The columns that tell one All actions row from another (an Exceptions row has them too).
_ROW_KEY = ("Ref", "Source file", "Source sheet", "Source row")


@dataclass
class ConsolidatedView:
    """What a consolidated workbook says: plan details, every action, the changes.

    ``actions`` are All actions rows as header -> text (dates as ISO text: see
    :func:`planbook.core.dates.uk_text`); with a previous consolidation each has a ``Direction``
    (↑ better, ↓ worse, → same, new).  ``changes`` are the real changes (Change, Ref, Lead,
    Action, Before, Now); ``not_updated`` the actions whose commentary has not moved for two
    periods, listed apart and never counted as changes.  ``exceptions`` are the Exceptions
    sheet's rows (Why, Ref, Lead, Action, Status, Due, …): the actions that need attention, as
    the consolidation decided them.
    """

    path: str
    title: str
    period: str
    as_of: dt.date | None
    actions: list[dict[str, str]]
    changes: list[dict[str, str]] = field(default_factory=list)
    issues: int = 0
    errors: int = 0
    coordinator: str = ""
    coordinator_email: str = ""
    not_updated: list[dict[str, str]] = field(default_factory=list)
    returns: list[dict[str, str]] = field(default_factory=list)  # the Returns sheet: who returned their update
    return_by: dt.date | None = None
    issue_rows: list[dict[str, str]] = field(default_factory=list)  # the Data issues sheet
    sources: list[dict[str, str]] = field(default_factory=list)  # the Sources sheet
    lead_emails: list[tuple[str, str]] = field(default_factory=list)  # (lead, email) from the plans' Lists
    exceptions: list[dict[str, str]] = field(default_factory=list)
    #: The plan's history (the History sheet): its periods, oldest first, and one row per action
    #: (Ref, Theme, Lead, Action, Trend, Not updated for, "Status <period>" …; the updates are not read).
    periods: list[str] = field(default_factory=list)
    history: list[dict[str, str]] = field(default_factory=list)
    #: What each lead changed against the copy they were sent (Lead, File, Change, Ref, Action, As sent,
    #: Returned); None for a workbook written before planbook recorded it.
    lead_changes: list[dict[str, str]] | None = None
    retired: int = 0  # actions on the Retired actions sheet (complete, out of the plan: not in ``actions``)

    def counts(self) -> Counter:
        """Actions by line of :data:`planbook.core.status.COUNT_LINES`: the five statuses, "No status
        given" and "Status not recognised" (every action on one line; they sum to the total)."""
        return tally_text(a.get("Status", "") for a in self.actions)

    def attention(self) -> Attention:
        """How many actions need attention, in parts: the Exceptions sheet's rows, by their Why."""
        return attention_of(e.get("Why", "") for e in self.exceptions)

    def needing_attention(self) -> list[tuple[dict[str, str], dict[str, str] | None]]:
        """Each Exceptions row with its All actions row (None if it has none: a workbook edited
        by hand), most serious first (off track, slippage, overdue, …), else in plan order."""
        rows: dict[tuple[str, ...], deque] = defaultdict(deque)
        for a in self.actions:
            rows[tuple(a.get(k, "") for k in _ROW_KEY)].append(a)
        out = []
        for e in self.exceptions:
            same = rows.get(tuple(e.get(k, "") for k in _ROW_KEY))
            out.append((e, same.popleft() if same else None))
        out.sort(key=lambda pair: severity(pair[0].get("Why", "")))
        return out

    def actions_changed(self) -> int:
        """How many actions changed since the previous consolidation (new and removed included)."""
        return len({c.get("Ref", "").strip().lower() for c in self.changes})


def read_consolidated(path: str | os.PathLike[str], columns: Sequence[str] | None = None, *,
                      exceptions: bool = True) -> ConsolidatedView:
    """Every sheet planbook reads back from its own output, as header -> text rows.

    ``All actions`` continues on ``All actions (2)`` … when a run has more rows than a sheet holds.
    ``columns`` keeps only those columns of ``All actions`` (quicker for a very big run);
    ``exceptions=False`` leaves the Exceptions sheet unread (a previous consolidation).
    """
    p = Path(path)
    wb = open_workbook(p)
    names = wb.sheet_names

    def sheet_rows(name: str) -> list[list[object]]:
        try:
            return wb.get_sheet_by_name(name).to_python()
        except Exception as exc:
            raise UnusableFileError(p, f"sheet {name!r} cannot be read ({type(exc).__name__})") from exc

    if ALL_ACTIONS not in names or META not in names:
        raise UnusableFileError(p, "not a consolidated workbook (run planbook consolidate first)")
    meta_rows = [(as_text(r[0]), clean_text(as_text(r[1]))) for r in sheet_rows(META) if len(r) > 1]
    meta = dict(meta_rows)
    if meta.get("role") != "consolidated":
        raise UnusableFileError(p, "not a consolidated workbook (run planbook consolidate first)")

    def table(name: str, keep: Sequence[str] | None = None, rows: list | None = None) -> list[dict[str, str]]:
        rows = sheet_rows(name) if rows is None else rows
        if not rows:
            return []
        header = [as_text(h) for h in rows[0]]
        clean_rows(rows)  # a workbook edited by hand may hold text no document or email can (planbook.core.text)
        if len(set(header)) < len(header):  # a column headed like another: the first (standard) one counts
            header = [h if h not in header[:i] else f"{h} ({i + 1})" for i, h in enumerate(header)]
        if keep is not None:
            cols = [(h, i) for i, h in enumerate(header) if h in keep]
            return [{h: as_text(r[i]) if i < len(r) else "" for h, i in cols} for r in rows[1:] if any(v != "" for v in r)]
        return [{h: as_text(v) for h, v in zip(header, r)} for r in rows[1:] if any(v != "" for v in r)]

    keep = set(columns) if columns is not None else None
    actions = [row for n in names if n == ALL_ACTIONS or n.startswith(ALL_ACTIONS + " (") for row in table(n, keep)]

    rows = [c for c in table(CHANGES) if c.get("Ref")] if CHANGES in names else []
    changes = [c for c in rows if not is_unchanged(c.get("Change", ""))]
    issues = table(DATA_ISSUES) if DATA_ISSUES in names else []
    periods, history = [], []
    if HISTORY in names:
        cells = sheet_rows(HISTORY)
        header = [as_text(h) for h in (cells[:1] or [[]])[0]]
        periods = [h[len(STATUS_PREFIX):] for h in header if h.startswith(STATUS_PREFIX)]
        history = table(HISTORY, [h for h in header if not h.startswith(UPDATE_PREFIX)], cells)
        for row in history:  # an older workbook's heading of the same column
            if STILL_BEFORE in row:
                row.setdefault(STILL, row.pop(STILL_BEFORE))
    as_of = dt.date.fromisoformat(meta["as_of"]) if meta.get("as_of") else None
    return ConsolidatedView(str(p), meta.get("title", ""), meta.get("period", ""), as_of, actions, changes,
                            issues=len(issues), errors=sum(1 for i in issues if i.get("Severity") == "error"),
                            coordinator=meta.get("coordinator", ""), coordinator_email=meta.get("coordinator_email", ""),
                            not_updated=[c for c in rows if is_unchanged(c.get("Change", ""))],
                            returns=table(RETURNS) if RETURNS in names else [],
                            return_by=dt.date.fromisoformat(meta["return_by"]) if meta.get("return_by") else None,
                            issue_rows=issues, sources=table(SOURCES) if SOURCES in names else [],
                            lead_emails=[(name, email.strip()) for key, value in meta_rows if key == "lead_email"
                                         for name, _, email in [value.partition("\t")]],
                            exceptions=table(EXCEPTIONS) if exceptions and EXCEPTIONS in names else [],
                            periods=periods, history=history,
                            lead_changes=table(LEAD_CHANGES) if LEAD_CHANGES in names else None,
                            retired=sum(1 for r in sheet_rows(RETIRED)[1:] if any(v not in ("", None) for v in r))
                            if RETIRED in names else 0)
