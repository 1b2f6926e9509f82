"""The email that carries the rolled-up report: headline figures, the RAG table, the attachments."""
from __future__ import annotations

import os
from collections.abc import Sequence
from email.message import EmailMessage
from pathlib import Path

from planbook.core.addresses import one_line
from planbook.core.errors import PlanbookError
from planbook.mail.content import email_context
from planbook.mail.templates import render_template
from planbook.mail.transport import attach, new_message, sender_address
from planbook.workbook.view import read_consolidated


def default_attachments(consolidated: Path) -> list[Path]:
    """The consolidated workbook and, if it is beside it, the Word summary."""
    files = [consolidated]
    for name in ("summary.docx", f"{consolidated.stem}-summary.docx", f"{consolidated.stem}.docx"):
        candidate = consolidated.parent / name
        if candidate.exists():
            files.append(candidate)
            break
    return files


def build_report_email(consolidated: str | os.PathLike[str], to: Sequence[str], *, cc: Sequence[str] = (),
                       sender: str | None = None, subject: str | None = None,
                       attachments: Sequence[str | os.PathLike[str]] | None = None,
                       max_exceptions: int = 10) -> EmailMessage:
    """A multipart message: text and HTML bodies from the templates, plus attachments."""
    path = Path(consolidated)
    if not to:
        raise PlanbookError("give at least one recipient (--to)")
    view = read_consolidated(path)
    files = [Path(a) for a in attachments] if attachments is not None else default_attachments(path)
    for f in files:
        if not f.is_file():
            raise PlanbookError(f"attachment not found: {f}")
    context = email_context(view, max_exceptions)
    context["attachment_names"] = [one_line(f.name) for f in files]
    msg = new_message(sender_address(sender, view.coordinator, view.coordinator_email), to,
                       subject or f"{context['title']}: progress report {context['period']}", cc)
    msg.set_content(render_template("email.txt.j2", context, html=False))
    msg.add_alternative(render_template("email.html.j2", context, html=True), subtype="html")
    for f in files:
        attach(msg, f)
    return msg
