"""The whole roll-up in one call: inputs checked, consolidated, the workbook written; and the
returns tracker of a master plan and its returns folder, from the same consolidation."""
from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Sequence

from pathlib import Path

from planbook.core.errors import PlanbookError, UnusableFileError
from planbook.fast.bulk import gc_paused
from planbook.files.atomic import check_output
from planbook.files.guard import (
    is_consolidated,
    refuse_overwriting_inputs,
    require_suffix,
)
from planbook.rollup.consolidate import SPILL_OVER, Consolidation, Progress, consolidate
from planbook.rollup.output import write_consolidated
from planbook.rollup.tracker import ReturnsTracker
from planbook.workbook.split import unassigned_actions


def consolidate_to(inputs: Sequence[str | os.PathLike[str]], out: str | os.PathLike[str], *,
                   previous: str | os.PathLike[str] | None = None, today: dt.date | None = None,
                   period: str | None = None, title: str | None = None,
                   exclude: Iterable[str | os.PathLike[str]] = (), progress: Progress | None = None,
                   spill_over: int | None = SPILL_OVER, return_by: dt.date | None = None) -> Consolidation:
    """The whole job in one call: consolidate ``inputs`` and write the workbook to ``out``.

    The options are :func:`planbook.rollup.consolidate.consolidate`'s: ``previous`` the last
    consolidation (what changed since), ``today`` the date for overdue checks, ``period`` and
    ``title`` instead of the plans', ``return_by`` the date after which a return is late.
    The output and the previous consolidation are never read as inputs, even when they sit in
    an input folder.  This is what the CLI and the Excel button run.  ``out`` naming an input
    (or ``previous``, or a file in an input folder other than an earlier consolidation) is
    refused before anything is read.
    """
    missing = [os.fspath(i) for i in inputs if not os.path.lexists(i)]
    if missing:  # a mistyped folder would otherwise roll up the master alone, as if no lead returned
        raise PlanbookError(f"input not found: {missing[0]}" + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else "")
                            + "; check the path")
    refuse_overwriting_inputs(out, inputs, folder_member=lambda p: not is_consolidated(p))
    check_output(out)  # a missing or read-only folder is said now, not after reading every input
    require_suffix(out, (".xlsx",), "the consolidated workbook")
    refuse_overwriting_inputs(out, [previous], what="--previous consolidation")
    never_inputs = [out, *([previous] if previous else [])]
    with gc_paused():  # one pause for both halves (see planbook.fast.bulk)
        result = consolidate(inputs, previous=previous, today=today, period=period, title=title,
                             exclude=[*exclude, *never_inputs], progress=progress, spill_over=spill_over,
                             return_by=return_by)
        write_consolidated(result, out)
    return result


def track_returns(plan_path: str | os.PathLike[str], returns_dir: str | os.PathLike[str], *,
                  return_by: dt.date | None = None) -> ReturnsTracker:
    """Read the master plan and the returns folder: one :class:`planbook.rollup.tracker.LeadReturn`
    per lead of the plan, worst first (``planbook returns``, and chasing).

    This is the consolidation of the plan and the folder, not written: a return is whatever the
    consolidation takes as one, so the tracker and the Returns sheet always agree.  A return is
    a lead's copy (``planbook split``) of this plan found anywhere in the folder; of two copies
    from one lead the one with the latest edits is used and the other listed; a file named for a
    lead that cannot be used is their return, with the reason.  Other files (another master,
    non-workbooks, copies of another plan) are listed in ``skipped`` with the reason.
    """
    folder, plan = Path(returns_dir), Path(plan_path)
    if not folder.is_dir():
        raise PlanbookError(f"returns folder not found: {folder}")
    if not plan.is_file():
        raise PlanbookError(f"plan not found: {plan}")
    result = consolidate([plan, folder], return_by=return_by, master=plan, spill_over=None)
    master = result.master
    if master is None or Path(master.path).resolve() != plan.resolve():
        why = next((s.skipped for s in result.sources if s.path and Path(s.path).resolve() == plan.resolve()
                    and s.skipped), "")
        if why:
            raise UnusableFileError(plan, why)
        raise PlanbookError(f"{plan} is not a master plan (a lead's copy?): give the plan the leads' copies "
                            "were split from")
    theirs = {Path(f).resolve() for r in result.returns for f in [r.file, *r.other_files] if f}
    skipped = [(s.path or s.file, s.skipped) for s in result.sources
               if s.skipped and Path(s.path or s.file).resolve() not in theirs]
    return ReturnsTracker(str(plan_path), str(folder), master.info.title, master.info.period, result.return_by,
                          result.returns, skipped, len(unassigned_actions(master)), master=master)
