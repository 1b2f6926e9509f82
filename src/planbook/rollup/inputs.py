"""Which files a roll-up reads: folders expanded, lock files and non-workbooks set aside."""
from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from planbook.core.due import parse_due
from planbook.core.model import Action
from planbook.files.guard import special_kind
from planbook.rollup.arrivals import COLLECT_LOG, SET_ASIDE, is_collect_file

#: The workbooks a folder is read for: Excel's (.xls and .xlsb for their values) and OpenDocument's.
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods")


@dataclass
class Source:
    """One input file: what was read from it, or why it was skipped."""

    file: str
    lead: str = ""
    role: str = ""
    rows: int = 0
    findings: int = 0
    used: int = 0
    sha256: str = ""
    modified: str = ""
    skipped: str = ""  # reason, when the file was not used
    rows_with_findings: int = 0
    label: str = ""  # the file as cell pointers name it: its name, or its relative path if names clash
    received: str = ""  # "received from jane@example.org on 2 Oct 2009 10:14" (planbook collect's log)
    filed_for: str = ""  # the lead planbook collect saved it as the return of ("" when saved by hand)
    arrived: str = ""  # when it arrived, ISO, as the log has it ("" when not known)
    path: str = ""  # where the file is, in full (``file`` is shown relative to the folder it was found in)

    def to_dict(self) -> dict:
        return {"file": self.file, "lead": self.lead, "rows": self.rows, "findings": self.findings,
                "skipped": self.skipped or None, "received": self.received or None}


def expand_inputs(inputs: Iterable[str | os.PathLike[str]]) -> tuple[list[Path], list[Source]]:
    """Files to read, and files skipped at once (lock files, non-workbooks found in folders)."""
    files: list[Path] = []
    skipped: list[Source] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            candidates = sorted(p for p in path.rglob("*") if p.is_file() or special_kind(p)
                                or (p.is_symlink() and not p.exists()))  # a link to nothing: said, not passed over
        elif path.exists():
            candidates = [path]
        else:
            skipped.append(Source(str(path), skipped="file not found", path=str(path.absolute())))
            continue
        for p in candidates:
            kind = special_kind(p)  # a FIFO or device: never opened (reading one blocks or never ends)
            if p.is_symlink() and not p.exists():
                skipped.append(Source(str(p), path=str(p.absolute()),
                                      skipped=f"a link to {os.readlink(p)}, which is not there"))
            elif kind:
                skipped.append(Source(str(p), path=str(p.absolute()), skipped=f"{kind}, not a file: not read"))
            elif p.name.startswith("~$"):
                skipped.append(Source(str(p), path=str(p.absolute()), skipped="Office lock file (the workbook is open in Excel)"))
            elif p.name.startswith(".") and path.is_dir():
                continue  # hidden files in a folder (.DS_Store, our own temp files)
            elif path.is_dir() and is_collect_file(p, path):
                if p.name != COLLECT_LOG:  # collect's log is its own: not an input, not worth a line
                    skipped.append(Source(str(p), path=str(p.absolute()),
                                          skipped=f"set aside by planbook collect (see {COLLECT_LOG}): "
                                                  f"move it out of '{SET_ASIDE}' to use it as a return"))
            elif p.suffix.lower() not in WORKBOOK_SUFFIXES and path.is_dir():
                skipped.append(Source(str(p), path=str(p.absolute()), skipped=f"not a workbook ({p.suffix or 'no extension'})"))
            else:
                files.append(p)
    seen: set[Path] = set()
    unique = []
    for p in files:
        key = p.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(p)
    return unique, skipped


def period_start(period: str) -> dt.date | None:
    """The first day of a reporting period such as "Q2 2009/10" (None if not understood)."""
    if not period:
        return None
    due = parse_due(period)
    return due.start


def updated_from(period: str, since: dt.date | None = None) -> dt.date | None:
    """The first day a Last updated counts as this period's update: the day after last period's
    consolidation (``since``: :attr:`planbook.core.model.PlanInfo.updates_since`), else the
    period's first day (None if neither is known)."""
    return since + dt.timedelta(days=1) if since else period_start(period)


def was_updated(action: Action, sent: Action | None, start: dt.date | None,
                full: Callable[[Action], Action] = lambda a: a) -> bool:
    """Was ``action`` updated this period: its Last updated on or after ``start`` (see
    :func:`updated_from`), or its Status or Progress update changed from ``sent`` (the master's
    action, as the lead's copy was sent; None: not known), whatever its date says (a copy shows
    last period's).  The one rule for "updated this period": the tracker and Exceptions use it.
    ``full`` gives an action with its texts (they may wait on disk: read only when asked)."""
    if start and action.last_updated and action.last_updated >= start:
        return True
    return sent is not None and sent is not action and (
        sent.status_shown != action.status_shown or full(sent).progress.strip() != full(action).progress.strip())
