"""planbook: run public-sector action plans in Excel.

Every capability is a function here; the ``planbook`` command and the Excel buttons are thin
layers over them.
"""
from __future__ import annotations

__version__ = "0.1.0"

from .due import Due, parse_due  # noqa: E402
from .errors import OutputError, PlanbookError, UnusableFileError  # noqa: E402
from .findings import Finding, Report  # noqa: E402
from .model import Action, Lead, Origin, PlanInfo  # noqa: E402
from .reader import Plan, check_workbook_file, read_plan  # noqa: E402
from .status import STATUSES, normalise_status  # noqa: E402
from .writer import new_plan, write_plan  # noqa: E402

__all__ = [
    "Action", "Due", "Finding", "Lead", "Origin", "OutputError", "Plan", "PlanInfo", "PlanbookError",
    "Report", "STATUSES", "UnusableFileError", "check_workbook_file", "new_plan", "normalise_status",
    "parse_due", "read_plan", "write_plan",
]
