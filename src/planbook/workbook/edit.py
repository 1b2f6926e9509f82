"""Changing a master plan: read it whole, change it, write it again.

planbook writes the whole workbook again rather than patching cells, so whatever changes —
settings, a lead added, a theme renamed — the result has every tab, table, drop-down, defined
name, formula and the history a plan written by ``planbook new`` has.  What planbook would not
write again (a sheet of the coordinator's own, a note typed above a tab's header) is never
dropped silently: the change is refused, naming it.  The file is replaced atomically.
"""
from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from planbook.core.errors import PlanbookError
from planbook.core.text import clean_text
from planbook.workbook.plan import Plan
from planbook.workbook.reader import read_plan
from planbook.workbook.settings import renamed_period
from planbook.workbook.writer import check_email, write_plan

#: Findings about content a rewrite of the plan would not carry over.
_NOT_CARRIED = ("sheet-skipped", "above-header", "repeated-header")


def read_settings(path: str | os.PathLike[str]) -> Plan:
    """A planbook workbook read for its settings (``plan.info``): the master plan or a lead's copy.
    Raises :class:`PlanbookError` for a workbook planbook did not write (it has no settings to show)."""
    plan = read_plan(path)
    if not plan.has_metadata:
        name = Path(os.fspath(path)).name
        raise PlanbookError(f"{name} is not a planbook plan (no planbook metadata): bring it in with "
                            f"`planbook import {name} --out plan.xlsx` first")
    return plan


def open_for_edit(path: str | os.PathLike[str]) -> Plan:
    """The master plan at ``path``, read whole, ready to change and :func:`save_plan`.

    Raises :class:`PlanbookError` for a lead's copy, a workbook that is not a planbook plan, or
    a plan holding something a rewrite would lose (named, with its sheet and cell)."""
    plan = read_settings(path)
    name = Path(os.fspath(path)).name
    if plan.role != "plan":
        raise PlanbookError(f"{name} is a lead's copy, not the master plan: make the change in the master")
    lost = [f for f in plan.report if f.code in _NOT_CARRIED]
    if lost:
        f = lost[0]
        where = "!".join(p for p in (f.sheet, f.cell) if p)
        raise PlanbookError(f"{name} holds what planbook would not write again ({where}: {f.message}"
                            + (f"; and {len(lost) - 1} more" if len(lost) > 1 else "")
                            + "): move it out of the plan, then try again")
    return plan


def save_plan(plan: Plan, out: str | os.PathLike[str] | None = None, *, overwrite: bool = False) -> dict[str, str]:
    """Write ``plan`` (as changed) to ``out``, or back over the file it was read from.  Returns
    the lead tabs written (sheet -> lead).  ``out`` naming another file that exists (a lead's
    return, last quarter's plan) is refused unless ``overwrite``."""
    target = out or plan.path
    again = out is None or Path(os.fspath(out)).resolve() == Path(plan.path).resolve()
    return write_plan(target, plan.info, plan.actions, columns=plan.extra_columns, history=plan.history,
                      retired=plan.retired, overwrite=overwrite or again)


def change_settings(path: str | os.PathLike[str], out: str | os.PathLike[str] | None = None, *,
                    title: str | None = None, period: str | None = None, coordinator: str | None = None,
                    coordinator_email: str | None = None, return_by: dt.date | None = None,
                    retire_complete_after: int | None = None, overwrite: bool = False) -> Plan:
    """Set the coordinator's settings of the plan at ``path`` (``None``: leave as it is; ``""``
    clears a text setting) and write it to ``out`` (default: in place; another file that exists
    is replaced only with ``overwrite``).  Every output made from
    the plan afterwards follows: the leads' copies' Guide, emails' sender and sign-off, the
    consolidated workbook, the report."""
    plan = open_for_edit(path)
    info = plan.info
    if title is not None:
        if not clean_text(title).strip():
            raise PlanbookError("the plan title cannot be blank")
        info.title = clean_text(title).strip()
    if period is not None:
        period = clean_text(period).strip()
        if not period:
            raise PlanbookError("the reporting period cannot be blank")
        if plan.history.has_period(period):
            raise PlanbookError(f"{period!r} is already a period of the plan's history (its History sheet): give "
                                "the period the plan now reports on, a name not used before")
        renamed_period(info, period)
    if coordinator is not None:
        info.coordinator = clean_text(coordinator).strip()
    if coordinator_email is not None:
        email = coordinator_email.strip()
        if email:
            check_email(email)
        info.coordinator_email = email
    if return_by is not None:
        info.return_by = return_by
    if retire_complete_after is not None:
        if retire_complete_after < 0:
            raise PlanbookError("the number of periods must be 0 (never) or more")
        info.retire_complete_after = retire_complete_after
    save_plan(plan, out, overwrite=overwrite)
    return plan
