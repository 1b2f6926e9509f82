"""What planbook tells a lead about their return: one decision and one wording for every mail.

A reminder (:func:`planbook.mail.chasing.chase`) and a receipt
(:func:`planbook.mail.chasing.receipts`) sent on the same day about the same return must say the
same thing: whether it was counted, and, where it has errors, which cells to correct and how.
:func:`return_note` decides that from the tracker's row for the lead (its state: see
:mod:`planbook.rollup.tracker`) and the lead's own problems (:func:`planbook.rollup.tracker.return_findings`,
the consolidation's findings on their file: never what the plan itself carried into their copy,
see :mod:`planbook.rollup.returned`), each in plain words by :func:`plain_problem`.  Both
templates print the note's sentences as they are.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from planbook.core.dates import prose_date
from planbook.core.findings import ERROR, Finding
from planbook.core.status import STATUSES
from planbook.rollup.returned import NEW_ROW
from planbook.rollup.tracker import NOT_RETURNED, UNCHANGED, LeadReturn

#: What the status list offers, for the plain-words advice.
_STATUS_CHOICES = ", ".join(STATUSES)

#: What every note with problems asks, in the reminder and the receipt alike.
FIX = "Please correct these cells in your return, save it and send it back by replying to this message."


def plain_problem(f: Finding) -> str:
    """A finding as a lead would want it: which cell, what is in it, what to do."""
    cell = f.cell or "the sheet"
    value = f"'{f.value}'" if f.value else "empty"
    if f.code == "unknown-status":
        return f"Status in {cell} is {value}: choose one of {_STATUS_CHOICES} from the list"
    if f.code == "unknown-lead":
        return f"Lead in {cell} is {value}: pick a lead from the drop-down"
    if f.code == "missing-required" and f.message.startswith(NEW_ROW):  # a row the lead added: named, a Ref offered
        return f"{cell}: {f.message}"
    if f.code == "missing-required":
        return f"{cell} is empty: {f.message.split(';')[0].split(' is empty')[0]} must be filled in"
    if f.code == "duplicate-ref":
        return f"Ref in {cell} is {value}, which is used for another action too: give each action its own Ref"
    if f.code == "bad-due":
        return f"Due in {cell} is {value}: type a date such as 31/03/2010 or a timescale such as December 2009"
    if f.code == "bad-date":
        return f"Last updated in {cell} is {value}: type a date such as 31/03/2010"
    if f.code == "return-unreadable" and not f.cell:  # a whole file: the message names it
        return f.message
    if f.message.startswith(f"{cell} "):  # the message names its cell already ("J5 is filled red …")
        return f.message
    return f"{cell}: {f.message}"


def finding_of_row(row: dict[str, str]) -> Finding | None:
    """A Data issues row read back as the finding it was written from (None: a code this
    version does not know, in a workbook edited by hand)."""
    try:
        return Finding(row.get("Problem", ""), row.get("File", ""), row.get("Sheet", ""), row.get("Cell", ""),
                       row.get("Value", ""), row.get("What is wrong", ""), row.get("Severity", ""),
                       row.get("What was done", ""))
    except ValueError:
        return None


@dataclass(frozen=True)
class ReturnNote:
    """What both mails say about one lead's return."""

    state: str  # the tracker's state
    counted: bool  # the consolidation counted what they returned
    says: str  # the opening sentence(s)
    problems: list[str] = field(default_factory=list)  # the lead's own errors, in plain words
    fix: str = ""  # what to do about them ("" when there is nothing to do)


def _when(day: dt.date | None) -> str:
    return prose_date(day) if day else ""


def return_note(r: LeadReturn, problems: Iterable[Finding], *, title: str, period: str,
                return_by: dt.date | None = None) -> ReturnNote:
    """The one decision, for reminders and receipts alike: counted or not, and what to fix.

    ``problems`` are the findings of the lead's return (:func:`planbook.rollup.tracker.return_findings`):
    its errors are listed."""
    lines = [plain_problem(f) for f in problems if f.severity == ERROR]
    by = _when(return_by)
    plan = f"the {title} for {period}"
    if r.state == NOT_RETURNED:
        return ReturnNote(r.state, False, f"We have not yet received your update to {plan}"
                          + (f"; updates are due by {by}." if by else "."),
                          fix="Please enter your update in the copy attached and send it back.")
    if r.unreadable:
        return ReturnNote(r.state, False, f"We received your update to {plan}, but it could not be opened: "
                          f"{r.unreadable}. Nothing in it has been counted.",
                          fix="Please enter your update in the copy attached (or save your own copy as an Excel "
                              "workbook, .xlsx) and send it again.")
    if r.state == UNCHANGED:
        return ReturnNote(r.state, False, f"The copy of {plan} we have from you has no updates yet: no Status, "
                          "Progress update or Last updated has changed since it was sent out, so the plan's "
                          "entries (as sent to you) are shown" + (f". Updates are due by {by}." if by else "."),
                          fix="Please update it and send it back by replying to this message.")
    late = f" It arrived after the return date ({by})." if r.late and by else ""
    if r.later_unreadable:  # a later copy could not be opened: the one before it was counted
        return ReturnNote(r.state, True, f"Your update to {plan} has been received and counted in the "
                          f"consolidated report.{late} The copy you sent after it, {r.later_unreadable}, could not "
                          "be opened, so the one before it was counted" + (":" if lines else "."), lines,
                          fix="If the later copy has changes, please save it as an Excel workbook (.xlsx) and send "
                              "it again" + (", with these cells corrected." if lines else "."))
    if not lines:
        return ReturnNote(r.state, True, f"Your update to {plan} has been received and counted in the "
                          f"consolidated report.{late}")
    cells = f"{len(lines)} cell{'s' if len(lines) != 1 else ''} need{'s' if len(lines) == 1 else ''} correcting"
    return ReturnNote(r.state, True, f"Your update to {plan} has been received and counted in the consolidated "
                      f"report, as you typed it.{late} {cells}:", lines, FIX)
