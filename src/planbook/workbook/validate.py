"""Validating a plan workbook: read it and say whether it is planbook's standard workbook.

What ``planbook validate`` does, as a function: every problem is a finding on the returned
plan's report, never an exception; a file that is not a planbook workbook at all is refused.
"""
from __future__ import annotations

import os

from planbook.core.errors import PlanbookError
from planbook.workbook.plan import Plan
from planbook.workbook.reader import read_plan


def validate_plan(path: str | os.PathLike[str]) -> Plan:
    """Read the plan workbook at ``path`` and check every cell; the findings are ``plan.report``
    (``plan.report.ok`` is true when there are no errors).

    Raises :class:`UnusableFileError` for a file that cannot be read at all, and
    :class:`PlanbookError` for a workbook without planbook's metadata (a plan kept in its own
    layout: bring it in with :func:`planbook.import_plan` first).
    """
    plan = read_plan(path)
    if not plan.has_metadata:
        name = os.fspath(path)
        raise PlanbookError(f"{name} is not a planbook workbook (no planbook metadata): bring it in with "
                            f"`planbook import {name} --out plan.xlsx`, then validate that")
    return plan
