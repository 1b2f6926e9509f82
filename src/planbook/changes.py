"""What changed since the previous consolidation: status, due date, new, removed, stale commentary."""
from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import UnusableFileError
from .model import Action
from .status import COMPLETE, NOT_STARTED, OFF_TRACK, ON_TRACK, SLIPPAGE, normalise_status

ALL_ACTIONS = "All actions"
# Better is higher.  Not started sits between Slippage and On track: starting late is worse
# than starting, better than slipping.
_RANK = {OFF_TRACK: 0, SLIPPAGE: 1, NOT_STARTED: 2, ON_TRACK: 3, COMPLETE: 4}

STATUS_BETTER, STATUS_WORSE, DUE_MOVED = "Status better", "Status worse", "Due date moved"
NEW, REMOVED, NOT_UPDATED = "New action", "Removed action", "Commentary unchanged"


@dataclass(frozen=True)
class Change:
    kind: str
    ref: str
    lead: str
    action: str
    before: str
    after: str


def read_previous(path: str | os.PathLike[str]) -> dict[str, dict[str, str]]:
    """Ref -> {header: text} from a previous consolidated workbook's "All actions" sheet(s)."""
    from python_calamine import CalamineWorkbook

    from .reader import as_text, check_workbook_file

    p = Path(path)
    check_workbook_file(p)
    wb = CalamineWorkbook.from_path(str(p))
    sheets = [n for n in wb.sheet_names if n == ALL_ACTIONS or n.startswith(ALL_ACTIONS + " (")]
    if not sheets:
        raise UnusableFileError(p, "not a consolidated workbook (no 'All actions' sheet) — give the "
                                   "previous output of planbook consolidate")
    out: dict[str, dict[str, str]] = {}
    for name in sheets:
        rows = wb.get_sheet_by_name(name).to_python()
        if not rows:
            continue
        header = [as_text(h) for h in rows[0]]
        for row in rows[1:]:
            rec = {h: as_text(v) for h, v in zip(header, row)}
            ref = rec.get("Ref", "").strip()
            if ref:
                out.setdefault(ref.lower(), rec)
    return out


def compare_with_previous(actions: Sequence[Action], previous: str | os.PathLike[str],
                          full: Callable[[Action], Action] = lambda a: a) -> list[Change]:
    """Changes between ``actions`` and the previous consolidation's actions, by Ref.

    ``full`` gives an action with its texts when they are held on disk (very large runs).
    """
    before = read_previous(previous)
    changes: list[Change] = []
    seen: set[str] = set()
    for a in map(full, actions):
        key = a.ref.strip().lower()
        if not key:
            continue
        seen.add(key)
        old = before.get(key)
        if old is None:
            changes.append(Change(NEW, a.ref, a.lead, a.action, "", a.status_shown))
            continue
        old_status = normalise_status(old.get("Status", ""))
        if old_status in _RANK and a.status in _RANK and old_status != a.status:
            kind = STATUS_BETTER if _RANK[a.status] > _RANK[old_status] else STATUS_WORSE
            changes.append(Change(kind, a.ref, a.lead, a.action, old_status, a.status))
        old_due, new_due = old.get("Due", "").strip(), _due_text(a)
        if old_due != new_due:
            changes.append(Change(DUE_MOVED, a.ref, a.lead, a.action, old_due, new_due))
        old_note = old.get("Progress update", "").strip()
        if a.status != COMPLETE and old_note and old_note == a.progress.strip():
            changes.append(Change(NOT_UPDATED, a.ref, a.lead, a.action, old_note, a.progress))
    for key, old in before.items():
        if key not in seen:
            changes.append(Change(REMOVED, old.get("Ref", key), old.get("Lead", ""), old.get("Action", ""),
                                  old.get("Status", ""), ""))
    return changes


def _due_text(a: Action) -> str:
    """The Due as the consolidated workbook shows it (dates as ISO, phrases as typed)."""
    if a.due.kind == "date" and a.due.end and a.due.text == a.due.end.isoformat():
        return a.due.end.isoformat()
    return a.due.text.strip()
