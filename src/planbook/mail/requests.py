"""Asking leads for their updates: each lead's copy sent, and a log of what was sent."""
from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from planbook.core.addresses import check_address, one_line, recipient, refuse_bad_emails
from planbook.core.dates import prose_date, table_date
from planbook.core.errors import OutputError, PlanbookError, SendError
from planbook.core.leads import lead_key
from planbook.mail.templates import render_template
from planbook.mail.transport import (
    SmtpSettings,
    attach,
    new_message,
    save_drafts,
    send,
    sender_address,
)
from planbook.workbook.reader import read_plan
from planbook.workbook.split import split_read_plan


@dataclass
class UpdateRequest:
    """One lead asked for their update: their address, the workbook attached, and the draft
    saved (``eml``) or whether the server accepted it (``sent``)."""

    lead: str
    email: str
    workbook: Path
    eml: Path | None = None
    sent: bool = False


#: The record, kept in the folder of the leads' workbooks, of every update request the SMTP
#: server accepted: a re-run with ``only_unsent`` skips the leads it lists for the same return date.
SENT_LOG = "update-requests-sent.tsv"


_LOG_HEADER = ["sent_at", "return_by", "lead", "email", "workbook", "message_id", "confirmed"]


def read_sent_log(out_dir: str | os.PathLike[str], return_by: dt.date) -> dict[str, dict[str, str]]:
    """Leads already sent a request for ``return_by``, from the folder's sent log: {lead_key: log line}
    (see :func:`planbook.core.leads.lead_key`)."""
    import csv

    path = Path(out_dir) / SENT_LOG
    if not path.is_file():
        return {}
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh, delimiter="\t"))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise PlanbookError(f"cannot read the sent log {path}: {exc}") from exc
    return {lead_key(r["lead"]): r for r in rows if r.get("lead") and r.get("return_by") == return_by.isoformat()}


def _log_sent(path: Path, return_by: dt.date, req: UpdateRequest, msg: EmailMessage, confirmed: bool = True) -> None:
    """Append one line and flush it to disk before the next message is sent."""
    import csv
    import io

    new = not path.exists()
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter="\t", lineterminator="\n")
    if new:
        writer.writerow(_LOG_HEADER)
    writer.writerow([dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), return_by.isoformat(),
                     one_line(req.lead), req.email, req.workbook.name, one_line(msg["Message-ID"] or ""),
                     "yes" if confirmed else "no"])
    with open(path, "a", encoding="utf-8", newline="") as fh:
        fh.write(buffer.getvalue())
        fh.flush()
        os.fsync(fh.fileno())


def requests_return_by(plan_path: str | os.PathLike[str], given: dt.date | None = None, plan=None) -> dt.date:
    """The date leads are asked to return by: as given, else the plan's setting (else an error)."""
    if given is not None:
        return given
    found = (plan or read_plan(plan_path)).info.return_by
    if found is None:
        raise PlanbookError(f"no return-by date: give --return-by DATE, or set the plan's with "
                            f"`planbook settings {Path(plan_path).name} --return-by DATE`")
    return found


def request_updates(plan_path: str | os.PathLike[str], out_dir: str | os.PathLike[str],
                    return_by: dt.date | None = None, *,
                    sender: str | None = None, smtp: SmtpSettings | None = None,
                    save_dir: str | os.PathLike[str] | None = None, force: bool = False,
                    only_unsent: bool = False) -> tuple[list[UpdateRequest], list[str]]:
    """Split the plan and email each lead their own workbook with instructions and the return date.

    ``return_by`` defaults to the plan's return-by date (see :func:`requests_return_by`).
    Returns the requests made and the leads that could not be asked (no email on Lists).
    Exactly one of ``smtp`` and ``save_dir`` is used.  Sent by SMTP, each request the server
    accepts is recorded at once in ``out_dir``/update-requests-sent.tsv.  If sending stops part
    way, :class:`SendError` names the leads sent their request and those not; the same call
    with ``only_unsent`` then asks only the others (rewriting only their workbooks), so nobody
    is asked twice.  Without ``only_unsent``, leads the log lists for this return date are an
    error before anything is written or sent.
    """

    if (smtp is None) == (save_dir is None):
        raise PlanbookError("give either SMTP settings or a folder to save the messages in")
    if only_unsent and smtp is None:
        raise PlanbookError("--only-unsent applies to sending by SMTP (the sent log); not to --save-dir")
    plan = read_plan(plan_path)
    return_by = requests_return_by(plan_path, return_by, plan)
    plan.info.return_by = return_by  # the copies' Guide says the date the message gives
    from_addr = check_address(sender_address(sender, plan.info.coordinator, plan.info.coordinator_email))  # before writing
    emails = {lead_key(lead.name): lead.email.strip() for lead in plan.info.leads}
    refuse_bad_emails([(lead.name, lead.email) for lead in plan.info.leads])
    already = read_sent_log(out_dir, return_by) if smtp is not None else {}
    if already and not only_unsent:
        names = sorted(r["lead"] for r in already.values())
        raise PlanbookError(f"{len(names)} lead(s) were already sent this request (return by {table_date(return_by)}; "
                            f"{Path(out_dir) / SENT_LOG}): {', '.join(names)}; re-run with --only-unsent to ask "
                            "only the others, or remove that file to ask everyone again")
    if only_unsent:
        wanted = {name for name in plan.lead_tabs().values() if lead_key(name) not in already}
        copies = split_read_plan(plan, out_dir, force=True, only=wanted)
    else:
        copies = split_read_plan(plan, out_dir, force=force)
    requests, missing, messages = [], [], []
    for copy in copies:
        email = emails.get(lead_key(copy.lead), "")
        if not email:
            missing.append(copy.lead)
            continue
        context = {"lead": one_line(copy.lead), "title": one_line(plan.info.title) or "action plan",
                   "period": one_line(plan.info.period) or "this period",
                   "attachment": copy.path.name, "actions": copy.actions,
                   "return_by": prose_date(return_by),
                   "coordinator": one_line(plan.info.coordinator) or "The plan coordinator"}
        msg = new_message(from_addr, [recipient(copy.lead, email)],
                           f"Update needed by {context['return_by']}: {context['title']} ({copy.lead})")
        msg.set_content(render_template("request.txt.j2", context, html=False))
        attach(msg, copy.path)
        requests.append(UpdateRequest(copy.lead, email, copy.path))
        messages.append(msg)
    if save_dir is not None:
        try:
            paths = save_drafts([(msg, f"{req.workbook.stem}.eml") for req, msg in zip(requests, messages)], save_dir)
        except OutputError as exc:  # the copies are written (split puts them all in place, or none)
            raise OutputError(f"{exc}; no draft was saved, but the leads' copies were written to {out_dir}: "
                              "make room and run again with --force") from exc
        for req, path in zip(requests, paths):
            req.eml = path
        return requests, missing
    log = Path(out_dir) / SENT_LOG

    def sent(i: int, msg: EmailMessage) -> None:
        requests[i].sent = True
        _log_sent(log, return_by, requests[i], msg)

    try:
        send(messages, smtp, on_sent=sent)
    except SendError as exc:
        done = [one_line(r.lead) for r in requests if r.sent]
        unsure = one_line(requests[exc.unconfirmed].lead) if exc.unconfirmed is not None else None
        if unsure:  # it may have arrived: logged, so that --only-unsent does not ask twice
            _log_sent(log, return_by, requests[exc.unconfirmed], messages[exc.unconfirmed], confirmed=False)
        todo = [one_line(r.lead) for r in requests if not r.sent and one_line(r.lead) != unsure]
        parts = [f"update requests stopped: {exc}", f"SENT now ({len(done)}): {', '.join(done) or 'nobody'}"]
        if already:
            parts.append(f"sent before ({len(already)}): {', '.join(r['lead'] for r in already.values())}")
        if unsure:
            parts.append(f"NOT CONFIRMED (the server took the message but never answered: it may have arrived; "
                         f"logged as unconfirmed, so --only-unsent will not ask again — check with them): {unsure}")
        parts.append(f"NOT SENT ({len(todo)}): {', '.join(todo) or 'nobody'}")
        parts.append(f"the sent log is {log}; re-run the same command with --only-unsent to ask only those not sent")
        err = SendError(" — ".join(parts))
        err.sent, err.unconfirmed = exc.sent, exc.unconfirmed
        raise err from exc
    return requests, missing
