"""planbook: run public-sector action plans in Excel.

Every capability of the ``planbook`` command is a function here, and the command and the
Excel buttons are thin layers over them::

    import planbook

    plan = planbook.validate_plan("plan.xlsx")          # planbook validate
    copies = planbook.split_plan("plan.xlsx", "for-leads")  # planbook split
    result = planbook.consolidate_to(["plan.xlsx", "returns"], "consolidated.xlsx")

Problems in a plan are findings (``plan.report``, ``result.report``), never exceptions;
exceptions, all :class:`PlanbookError`, are for a job planbook could not do (a file that is not
a usable workbook, an output that cannot be written, a message not sent).

``import planbook`` is quick: each name is imported from its module the first time it is used
(PEP 562), so a script that only reads a plan never loads the Word or email machinery.
"""
from __future__ import annotations

import importlib as _importlib
from typing import TYPE_CHECKING as _TYPE_CHECKING
from typing import Any as _Any

from planbook.core.version import __version__

#: Every public name -> the module that defines it, grouped as the command line is.
_EXPORTS: dict[str, str] = {
    # the plan: model, statuses, due phrases, findings
    "Action": "planbook.core.model",
    "Lead": "planbook.core.model",
    "Origin": "planbook.core.model",
    "PlanInfo": "planbook.core.model",
    "Due": "planbook.core.due",
    "parse_due": "planbook.core.due",
    "STATUSES": "planbook.core.status",
    "normalise_status": "planbook.core.status",
    "Finding": "planbook.core.findings",
    "Report": "planbook.core.findings",
    # errors: the one hierarchy
    "PlanbookError": "planbook.core.errors",
    "UnusableFileError": "planbook.core.errors",
    "OutputError": "planbook.core.errors",
    "SendError": "planbook.core.errors",
    "TemplateError": "planbook.core.errors",
    "PdfError": "planbook.core.errors",
    "MailboxError": "planbook.core.errors",
    # new, read, validate, split
    "new_plan": "planbook.workbook.writer",
    "write_plan": "planbook.workbook.writer",
    "Plan": "planbook.workbook.plan",
    "read_plan": "planbook.workbook.reader",
    "check_workbook_file": "planbook.files.opening",
    "validate_plan": "planbook.workbook.validate",
    "split_plan": "planbook.workbook.split",
    "LeadCopy": "planbook.workbook.split",
    # import
    "import_plan": "planbook.legacy.importer",
    "ImportResult": "planbook.legacy.summary",
    # consolidate
    "consolidate": "planbook.rollup.consolidate",
    "Consolidation": "planbook.rollup.consolidate",
    "write_consolidated": "planbook.rollup.output",
    "consolidate_to": "planbook.rollup.pipeline",
    "read_consolidated": "planbook.workbook.view",
    "ConsolidatedView": "planbook.workbook.view",
    # returns, chase, receipts
    "track_returns": "planbook.rollup.pipeline",
    "ReturnsTracker": "planbook.rollup.tracker",
    "LeadReturn": "planbook.rollup.tracker",
    "chase": "planbook.mail.chasing",
    "receipts": "planbook.mail.chasing",
    "MailRun": "planbook.mail.chasing",
    "Message": "planbook.mail.chasing",
    # collect (returns that arrived by email)
    "collect_returns": "planbook.mail.collect",
    "CollectRun": "planbook.mail.collect",
    "ImapSettings": "planbook.mail.imap",
    "Arrival": "planbook.rollup.arrivals",
    # report, pdf
    "render_report": "planbook.word.report",
    "to_pdf": "planbook.word.pdf",
    "check_docx": "planbook.word.accessibility",
    "Check": "planbook.word.accessibility",
    # email, request updates
    "build_report_email": "planbook.mail.report_email",
    "save_eml": "planbook.mail.transport",
    "send": "planbook.mail.transport",
    "SmtpSettings": "planbook.mail.transport",
    "request_updates": "planbook.mail.requests",
    "UpdateRequest": "planbook.mail.requests",
    # the year: settings, roll forward, history, plan maintenance
    "change_settings": "planbook.workbook.edit",
    "roll_forward": "planbook.rollup.rollforward",
    "RollForward": "planbook.rollup.rollforward",
    "History": "planbook.workbook.history",
    "add_lead": "planbook.workbook.maintenance",
    "set_lead_email": "planbook.workbook.maintenance",
    "rename_lead": "planbook.workbook.maintenance",
    "merge_leads": "planbook.workbook.maintenance",
    "rename_theme": "planbook.workbook.maintenance",
    "merge_themes": "planbook.workbook.maintenance",
    "move_action": "planbook.workbook.maintenance",
    "retire_actions": "planbook.workbook.maintenance",
    "reopen_actions": "planbook.workbook.maintenance",
    # demo, the coordinator's workbook
    "run_demo": "planbook.demo",
    "DemoResult": "planbook.demo",
    "build_coordinator": "planbook.coordinator",
    "write_coordinator": "planbook.coordinator",
    "run_job": "planbook.excel",
    "JobResult": "planbook.excel",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> _Any:
    """Import a public name from its module the first time it is asked for (PEP 562)."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'planbook' has no attribute {name!r}")
    value = getattr(_importlib.import_module(module), name)
    globals()[name] = value  # the next lookup is an ordinary one
    return value


def __dir__() -> list[str]:
    """The public names, as ``dir(planbook)`` and an editor's completion show them."""
    return sorted(__all__)


if _TYPE_CHECKING:  # what type checkers and editors see; at run time __getattr__ imports these
    from planbook.coordinator import build_coordinator, write_coordinator
    from planbook.core.due import Due, parse_due
    from planbook.core.errors import (
        MailboxError,
        OutputError,
        PdfError,
        PlanbookError,
        SendError,
        TemplateError,
        UnusableFileError,
    )
    from planbook.core.findings import Finding, Report
    from planbook.core.model import Action, Lead, Origin, PlanInfo
    from planbook.core.status import STATUSES, normalise_status
    from planbook.demo import DemoResult, run_demo
    from planbook.excel import JobResult, run_job
    from planbook.files.opening import check_workbook_file
    from planbook.legacy.importer import import_plan
    from planbook.legacy.summary import ImportResult
    from planbook.mail.chasing import MailRun, Message, chase, receipts
    from planbook.mail.collect import CollectRun, collect_returns
    from planbook.mail.imap import ImapSettings
    from planbook.mail.report_email import build_report_email
    from planbook.mail.requests import UpdateRequest, request_updates
    from planbook.mail.transport import SmtpSettings, save_eml, send
    from planbook.rollup.arrivals import Arrival
    from planbook.rollup.consolidate import Consolidation, consolidate
    from planbook.rollup.output import write_consolidated
    from planbook.rollup.pipeline import consolidate_to, track_returns
    from planbook.rollup.rollforward import RollForward, roll_forward
    from planbook.rollup.tracker import LeadReturn, ReturnsTracker
    from planbook.word.accessibility import Check, check_docx
    from planbook.word.pdf import to_pdf
    from planbook.word.report import render_report
    from planbook.workbook.edit import change_settings
    from planbook.workbook.history import History
    from planbook.workbook.maintenance import (
        add_lead,
        merge_leads,
        merge_themes,
        move_action,
        rename_lead,
        rename_theme,
        reopen_actions,
        retire_actions,
        set_lead_email,
    )
    from planbook.workbook.plan import Plan
    from planbook.workbook.reader import read_plan
    from planbook.workbook.split import LeadCopy, split_plan
    from planbook.workbook.validate import validate_plan
    from planbook.workbook.view import ConsolidatedView, read_consolidated
    from planbook.workbook.writer import new_plan, write_plan
