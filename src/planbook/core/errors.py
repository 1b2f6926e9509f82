"""The one small hierarchy of exceptions planbook raises.

Problems in a user's *data* are never exceptions: they are :class:`planbook.core.findings.Finding`
values collected in a report.  Exceptions are for when planbook cannot do its own job:
a file that is not a usable workbook, an output that cannot be written.
"""
from __future__ import annotations


class PlanbookError(Exception):
    """Base class: something planbook could not do.  ``str(err)`` is one line for a person."""


class UnusableFileError(PlanbookError):
    """An input file cannot be used at all (not a workbook, corrupt, encrypted…)."""

    def __init__(self, path: object, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class OutputError(PlanbookError):
    """An output file could not be written (target open in Excel, folder missing, exists…)."""


class SendError(PlanbookError):
    """The message was not (fully) sent: ``sent`` messages went before the failure, and
    ``unconfirmed`` is the index of one handed over without the server's answer (or None)."""

    sent: int = 0
    unconfirmed: int | None = None


class TemplateError(PlanbookError):
    """A Word or email template that cannot be rendered (unknown tag, syntax error)."""


class PdfError(PlanbookError):
    """The PDF could not be made (LibreOffice missing, failed or too slow)."""


class MailboxError(PlanbookError):
    """A mailbox (IMAP) could not be read: refused the login, stopped answering, lacks a folder."""
