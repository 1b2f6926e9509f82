"""The whole roll-up in one call: inputs checked, consolidated, the workbook written."""
from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Sequence

from planbook.core.errors import PlanbookError
from planbook.fast.bulk import gc_paused
from planbook.files.atomic import check_output
from planbook.files.guard import (
    is_consolidated,
    refuse_overwriting_inputs,
    require_suffix,
)
from planbook.rollup.consolidate import SPILL_OVER, Consolidation, Progress, consolidate
from planbook.rollup.output import write_consolidated


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
