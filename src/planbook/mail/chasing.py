"""Chase leads and acknowledge returns: reminders and receipts, by SMTP or as unsent drafts.

* :func:`chase` — one reminder to each lead who has not returned (their own copy attached
  again, with the return date and how to send it back) and to each lead whose return has
  errors (every problem in plain words with its cell, their return attached to fix in place).
* :func:`receipts` — after a consolidation, a short receipt to each lead who returned: their
  actions counted by status, what changed since last period, and any problems found.

Messages come from jinja templates in ``templates/`` (``reminder.txt.j2``, ``receipt.txt.j2``)
that a council can reword.  Headers are made one line and addresses checked (see
:mod:`planbook.mail.mailer`), so nothing a lead typed becomes a header.  Nobody gets two messages in
one run: leads who share an address get one message covering all of them.
"""
from __future__ import annotations

import datetime as dt
import os
import tempfile
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

from planbook.core.addresses import check_address, one_line, recipient, refuse_bad_emails
from planbook.core.direction import COMMENTARY, NEW
from planbook.core.errors import PlanbookError
from planbook.core.findings import WARNING
from planbook.core.leads import lead_key
from planbook.core.names import file_stem
from planbook.core.status import COUNT_LINES, tally_text
from planbook.mail.return_note import ReturnNote, finding_of_row, plain_problem, return_note
from planbook.mail.templates import render_template
from planbook.mail.transport import (
    SmtpSettings,
    attach,
    new_message,
    save_drafts,
    send,
    sender_address,
)
from planbook.rollup.inputs import expand_inputs
from planbook.rollup.pipeline import track_returns
from planbook.rollup.tracker import (
    NOT_RETURNED,
    UNCHANGED,
    LeadReturn,
    ReturnsTracker,
    read_returns_sheet,
    return_findings,
)
from planbook.workbook.plan import Plan
from planbook.workbook.reader import read_plan
from planbook.workbook.split import split_read_plan
from planbook.workbook.view import ConsolidatedView, read_consolidated

@dataclass
class Message:
    """One message of a run: to whom, about which leads, what it says, where it went."""

    kind: str  # "reminder" or "receipt"
    to: str
    leads: list[str]
    reasons: list[str]  # per lead: "not returned" / "returned with errors" / "receipt"
    attachments: list[Path]
    problems: list[str] = field(default_factory=list)
    eml: Path | None = None
    sent: bool = False
    message: EmailMessage | None = field(default=None, repr=False)

    def to_dict(self) -> dict:
        return {"kind": self.kind, "to": self.to, "leads": self.leads, "reasons": self.reasons,
                "attachments": [p.name for p in self.attachments], "problems": self.problems,
                "eml": str(self.eml) if self.eml else None, "sent": self.sent}


@dataclass
class MailRun:
    """What a chase or receipts run did (or, with ``dry_run``, would do)."""

    messages: list[Message]
    no_email: list[str]  # leads who needed a message but have no address
    tracker: ReturnsTracker | None = None
    dry_run: bool = False

    def to_dict(self) -> dict:
        out = {"messages": [m.to_dict() for m in self.messages], "no_email": self.no_email, "dry_run": self.dry_run}
        if self.tracker is not None:
            out["tracker"] = self.tracker.to_dict()
        return out


def _deliver(run: MailRun, smtp: SmtpSettings | None, save_dir: str | os.PathLike[str] | None, prefix: str) -> None:
    """Send every message over one connection, or save each as an unsent .eml in ``save_dir``."""
    if run.dry_run or not run.messages:
        return
    if save_dir is not None:
        taken: set[str] = set()
        paths = save_drafts([(m.message, f"{prefix}-{file_stem(m.leads[0], taken)}.eml") for m in run.messages], save_dir)
        for m, path in zip(run.messages, paths):
            m.eml = path
        return
    send([m.message for m in run.messages], smtp)
    for m in run.messages:
        m.sent = True


def _check_where(smtp: SmtpSettings | None, save_dir, dry_run: bool) -> None:
    if not dry_run and (smtp is None) == (save_dir is None):
        raise PlanbookError("give either SMTP settings (--smtp-host) or a folder to save the messages in "
                            "(--save-dir), or --dry-run")


def _group_by_address(rows: list[LeadReturn]) -> dict[str, list[LeadReturn]]:
    groups: dict[str, list[LeadReturn]] = {}
    for r in rows:
        groups.setdefault(r.email.strip().lower(), []).append(r)
    return groups


def _own_copies(leads: list[LeadReturn], plan: Plan, copies_dir: str | os.PathLike[str] | None,
                tmp: Path) -> dict[str, Path]:
    """Each lead's own copy of the plan: from the folder the copies were sent from, else made
    afresh from the master as read for the tracker."""

    found: dict[str, Path] = {}
    if copies_dir is not None and Path(copies_dir).is_dir():

        for path in expand_inputs([copies_dir])[0]:
            try:
                copy = read_plan(path)
            except PlanbookError:
                continue
            if copy.role == "lead-copy":
                for lead in copy.tabs.values():
                    found.setdefault(lead_key(lead), path)
    wanted = {lead_key(r.lead) for r in leads} - set(found)
    if wanted:  # only theirs: a copy for every lead of a big plan is many workbooks written for nothing
        only = [name for name in plan.lead_tabs().values() if lead_key(name) in wanted]
        for c in split_read_plan(plan, tmp, only=only):
            found.setdefault(lead_key(c.lead), c.path)
    return found


def chase(plan_path: str | os.PathLike[str], returns_dir: str | os.PathLike[str], *,
          return_by: dt.date | None = None, sender: str | None = None, smtp: SmtpSettings | None = None,
          save_dir: str | os.PathLike[str] | None = None, copies_dir: str | os.PathLike[str] | None = None,
          dry_run: bool = False) -> MailRun:
    """Remind every lead who has not returned, and every lead whose return has errors.

    ``copies_dir`` is the folder the leads' copies were sent from (``split`` / ``request-updates``
    ``--out``): a reminder attaches that very file; without it a fresh copy is made.  Leads with
    no email address are listed in ``no_email`` and sent nothing.  ``dry_run`` builds the
    messages and sends or saves nothing.
    """
    _check_where(smtp, save_dir, dry_run)
    if copies_dir is not None and not Path(copies_dir).is_dir():  # a mistyped folder: not fresh copies in silence
        raise PlanbookError(f"folder of the leads' copies not found: {os.fspath(copies_dir)} (--copies: the folder "
                            "split or request-updates wrote the copies to); check the path")
    tracker = track_returns(plan_path, returns_dir, return_by=return_by)  # the master read once, here
    master = tracker.master
    info = master.info
    from_addr = check_address(sender_address(sender, info.coordinator, info.coordinator_email))
    to_chase = [r for r in tracker.leads if (r.state in (NOT_RETURNED, UNCHANGED) and (r.actions or r.returned))
                or r.error_count]  # a lead with no actions who sent nothing has nothing to be reminded of
    run = MailRun([], [r.lead for r in to_chase if not r.email], tracker, dry_run)
    refuse_bad_emails([(r.lead, r.email) for r in to_chase])
    return_by = tracker.return_by  # as given, else the plan's setting
    by_when = f"{return_by.day} {return_by:%B %Y}" if return_by else ""
    with tempfile.TemporaryDirectory() as tmpdir:
        again = [r for r in tracker.leads if not r.returned or r.unreadable]  # their own copy goes again
        copies = _own_copies(again, master, copies_dir, Path(tmpdir)) if again else {}
        for address, rows in _group_by_address([r for r in to_chase if r.email]).items():
            items = []
            attachments: list[Path] = []
            for r in rows:
                note = return_note(r, r.errors, title=info.title or "action plan", period=info.period or "this period",
                                   return_by=return_by)
                resend = not r.returned or bool(r.unreadable)  # nothing usable yet: their own copy again
                attachments.append(copies[lead_key(r.lead)] if resend else Path(r.file))
                items.append({"lead": one_line(r.lead), "note": _note(note), "resend": resend,
                              "attachment": attachments[-1].name,
                              "actions": r.actions})
            names = [one_line(r.lead) for r in rows]  # a name typed over two lines greets on one
            context = {"leads": " and ".join(names), "items": items, "title": one_line(info.title) or "action plan",
                       "period": one_line(info.period) or "this period", "return_by": by_when,
                       "coordinator": info.coordinator or "The plan coordinator",
                       "coordinator_email": info.coordinator_email}
            overdue = any(r.state in (NOT_RETURNED, UNCHANGED) or r.unreadable for r in rows)
            subject = (f"Reminder: update needed{' by ' + by_when if by_when else ''}: " if overdue
                       else "Please correct your return: ") + f"{context['title']} ({', '.join(names)})"
            msg = new_message(from_addr, [recipient(", ".join(names), rows[0].email)], subject)
            msg.set_content(render_template("reminder.txt.j2", context, html=False))
            msg.add_alternative(render_template("reminder.html.j2", context, html=True), subtype="html")
            for path in attachments:
                attach(msg, path)
            run.messages.append(Message("reminder", rows[0].email.strip(), names, [r.state for r in rows],
                                        attachments, [p for r, i in zip(rows, items)
                                                      for p in i["note"]["problems"] or [r.unreadable] * bool(r.unreadable)],
                                        message=msg))
        _deliver(run, smtp, save_dir, "reminder")
    return run


def lead_emails(view: ConsolidatedView, plan: str | os.PathLike[str] | None = None) -> dict[str, str]:
    """Lead key -> email: from the master plan's Lists when given, else from the consolidation
    (the plans' Lists, kept in its metadata)."""
    emails: dict[str, str] = {}
    if plan is not None:
        emails.update({lead_key(lead.name): lead.email.strip() for lead in read_plan(plan).info.leads})
    for name, email in view.lead_emails:
        emails.setdefault(lead_key(name), email)
    return emails


def receipts(consolidated: str | os.PathLike[str], *, sender: str | None = None,
             smtp: SmtpSettings | None = None, save_dir: str | os.PathLike[str] | None = None,
             plan: str | os.PathLike[str] | None = None, dry_run: bool = False) -> MailRun:
    """A receipt to each lead whose returned copy the consolidation used: their actions by
    status, what changed since last period, and the problems found in their return.

    Addresses come from the consolidation (the plans' Lists sheets), or from ``plan``.
    """

    _check_where(smtp, save_dir, dry_run)
    view = read_consolidated(consolidated)  # once: every sheet receipts need, one opening, one set of checks
    from_addr = check_address(sender_address(sender, view.coordinator, view.coordinator_email))
    emails = lead_emails(view, plan)
    tracker = read_returns_sheet(view)  # whose copy was used: the consolidation's own tracker
    returned = [r for r in tracker.leads if r.returned and not r.unreadable]
    run = MailRun([], [r.lead for r in returned if not emails.get(lead_key(r.lead))], tracker, dry_run)
    refuse_bad_emails([(r.lead, emails.get(lead_key(r.lead), "")) for r in returned],
                      ", then consolidate again (or give --plan)")
    findings = [f for f in map(finding_of_row, view.issue_rows) if f is not None]
    title, period = one_line(view.title) or "action plan", one_line(view.period) or "this period"
    # what each lead changed is known against the master's copy of their actions (not for an older
    # workbook, nor for returns rolled up without the master)
    compared = view.lead_changes is not None and any(s.get("Kind") == "plan" and not s.get("Skipped because")
                                                     for s in view.sources)
    groups: dict[str, list[LeadReturn]] = {}
    for r in returned:
        if emails.get(lead_key(r.lead)):
            groups.setdefault(emails[lead_key(r.lead)].lower(), []).append(r)
    for address, leads in groups.items():
        items = []
        for r in leads:
            file = Path(r.file).name
            mine = [a for a in view.actions if lead_key(a.get("Lead", "")) == lead_key(r.lead)]
            counts = tally_text(a.get("Status", "") for a in mine)
            sheets = {a.get("Source sheet", "") for a in mine if Path(a.get("Source file", "")).name == file}
            theirs = return_findings(findings, file, sheets or None)
            note = return_note(r, theirs, title=title, period=period, return_by=view.return_by)
            changes = [c for c in view.lead_changes or () if lead_key(c.get("Lead", "")) == lead_key(r.lead)
                       and c.get("File", "") == file]
            items.append({"lead": one_line(r.lead), "file": file, "total": len(mine), "note": _note(note),
                          "compared": compared,
                          "readings": [f"{f.cell or f.sheet}: {f.message}" for f in theirs if f.code == "status-read"],
                          "counts": [(s, counts[s]) for s in COUNT_LINES if counts.get(s)],
                          "changes": [{"kind": c.get("Change", ""), "ref": c.get("Ref", ""),
                                       "action": c.get("Action", ""), "before": c.get("As sent", ""),
                                       "now": c.get("Returned", ""), "texts": c.get("Change") != COMMENTARY,
                                       "named": c.get("Change") == NEW}
                                      for c in changes],
                          "warnings": [plain_problem(f) for f in theirs if f.severity == WARNING] +
                                      [f"{a.get('Ref', '')} is in the plan but not in your return, so the plan's entry (as "
                                       "sent to you) is shown: tell us if you dropped it on purpose"
                                       for a in mine if a.get("Note", "").startswith("Not in the lead's return")]})
        names = [one_line(r.lead) for r in leads]
        context = {"leads": " and ".join(names), "items": items, "title": title, "period": period,
                   "coordinator": view.coordinator or "The plan coordinator",
                   "coordinator_email": view.coordinator_email}
        to = emails[lead_key(leads[0].lead)]
        fix = any(i["note"]["problems"] for i in items)
        msg = new_message(from_addr, [recipient(", ".join(names), to)],
                          f"Received{', with cells to correct' if fix else ''}: your update to the {title} "
                          f"({', '.join(names)})")
        msg.set_content(render_template("receipt.txt.j2", context, html=False))
        msg.add_alternative(render_template("receipt.html.j2", context, html=True), subtype="html")
        run.messages.append(Message("receipt", to, names, [r.state for r in leads], [],
                                    [p for i in items for p in [*i["note"]["problems"], *i["warnings"]]], message=msg))
    _deliver(run, smtp, save_dir, "receipt")
    return run


def _note(note: ReturnNote) -> dict:
    """A return note as the templates take it."""
    return {"state": note.state, "counted": note.counted, "says": note.says, "problems": note.problems,
            "fix": note.fix}
