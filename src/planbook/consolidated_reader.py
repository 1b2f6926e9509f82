"""Read back a workbook written by ``planbook consolidate``: for the report, the email and --previous."""
from __future__ import annotations

import datetime as dt
import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .errors import UnusableFileError
from .reader import as_text, check_workbook_file
from .status import NOT_STARTED

ALL_ACTIONS = "All actions"


@dataclass
class ConsolidatedView:
    """What a consolidated workbook says: plan details, every action, the changes."""

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

    def counts(self) -> Counter:
        return Counter(a["Status"] or NOT_STARTED for a in self.actions)


def read_consolidated(path: str | os.PathLike[str], columns: Sequence[str] | None = None) -> ConsolidatedView:
    """Every sheet planbook reads back from its own output, as header -> text rows.

    ``All actions`` continues on ``All actions (2)`` … when a run has more rows than a sheet holds.
    ``columns`` keeps only those columns of ``All actions`` (quicker for a very big run).
    """
    from python_calamine import CalamineWorkbook

    p = Path(path)
    check_workbook_file(p)
    wb = CalamineWorkbook.from_path(str(p))
    names = wb.sheet_names
    if ALL_ACTIONS not in names or "_planbook" not in names:
        raise UnusableFileError(p, "not a consolidated workbook (run planbook consolidate first)")
    meta = {as_text(r[0]): as_text(r[1]) for r in wb.get_sheet_by_name("_planbook").to_python() if len(r) > 1}
    if meta.get("role") != "consolidated":
        raise UnusableFileError(p, "not a consolidated workbook (run planbook consolidate first)")

    def table(name: str, keep: Sequence[str] | None = None) -> list[dict[str, str]]:
        rows = wb.get_sheet_by_name(name).to_python()
        if not rows:
            return []
        header = [as_text(h) for h in rows[0]]
        if keep is not None:
            cols = [(h, i) for i, h in enumerate(header) if h in keep]
            return [{h: as_text(r[i]) for h, i in cols} for r in rows[1:] if any(v != "" for v in r)]
        return [{h: as_text(v) for h, v in zip(header, r)} for r in rows[1:] if any(v != "" for v in r)]

    keep = set(columns) if columns is not None else None
    actions = [row for n in names if n == ALL_ACTIONS or n.startswith(ALL_ACTIONS + " (") for row in table(n, keep)]
    changes = [c for c in table("Changes") if c.get("Ref")] if "Changes" in names else []
    issues = table("Data issues") if "Data issues" in names else []
    as_of = dt.date.fromisoformat(meta["as_of"]) if meta.get("as_of") else None
    return ConsolidatedView(str(p), meta.get("title", ""), meta.get("period", ""), as_of, actions, changes,
                            issues=len(issues), errors=sum(1 for i in issues if i.get("Severity") == "error"),
                            coordinator=meta.get("coordinator", ""), coordinator_email=meta.get("coordinator_email", ""))
