"""planbook: run public-sector action plans in Excel.

Every capability is a function here; the ``planbook`` command and the Excel buttons are thin
layers over them.
"""
from __future__ import annotations

__version__ = "0.1.0"

from planbook.core.due import Due, parse_due
from planbook.core.errors import OutputError, PlanbookError, UnusableFileError
from planbook.core.findings import Finding, Report
from planbook.core.model import Action, Lead, Origin, PlanInfo
from planbook.core.status import STATUSES, normalise_status
from planbook.files.opening import check_workbook_file
from planbook.workbook.plan import Plan
from planbook.workbook.reader import read_plan
from planbook.workbook.writer import new_plan, write_plan

__all__ = [
    "Action", "Due", "Finding", "Lead", "Origin", "OutputError", "Plan", "PlanInfo", "PlanbookError",
    "Report", "STATUSES", "UnusableFileError", "check_workbook_file", "new_plan", "normalise_status",
    "parse_due", "read_plan", "write_plan",
]
