"""The Python side of the coordinator workbook's buttons (called through xlwings RunPython).

``run_job`` is plain library code: it takes the settings from the Control sheet as a dict and
does the job, so it is tested without Excel.  ``run_button`` is the thin xlwings layer: it
reads the settings from the calling workbook, runs the job, writes the status, counts, output
path and data issues back, and turns every error into a plain message box.
"""
from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path

from planbook.core.errors import PlanbookError
from planbook.core.layout import DATA_ISSUES, RETURNS

#: Control-sheet settings: defined name -> (label, default).  Paths may be relative to the workbook.
SETTINGS: dict[str, tuple[str, str]] = {
    "pb_returns_folder": ("Folder of returned lead workbooks", "returns"),
    "pb_master_plan": ("Master plan workbook", "plan.xlsx"),
    "pb_previous": ("Previous consolidation (optional)", ""),
    "pb_output_folder": ("Output folder", "output"),
    "pb_period": ("Reporting period (blank = from the plan)", ""),
    "pb_as_of": ("Date for overdue checks (blank = today)", ""),
    "pb_return_by": ("Leads' return-by date (Chase leads; blank = none)", ""),
    "pb_email_to": ("Email recipients (separate with ;)", ""),
    "pb_email_cc": ("Email copy to (separate with ;)", ""),
    "pb_email_from": ("Send from (blank = the plan's coordinator)", ""),
    "pb_send_mode": ("Email: save .eml only, or send by SMTP", "Save .eml only"),
    "pb_smtp_host": ("SMTP server", ""),
    "pb_smtp_port": ("SMTP port (blank = default)", ""),
    "pb_smtp_security": ("SMTP security: none, starttls or ssl", "starttls"),
    "pb_smtp_user": ("SMTP user (password: PLANBOOK_SMTP_PASSWORD)", ""),
    "pb_command": ("planbook command (used when xlwings is not there; a full path works)", "planbook"),
}
#: Where results are written back on the Control sheet.
OUTPUTS: dict[str, str] = {"pb_status": "Status", "pb_counts": "Counts", "pb_output": "File produced"}
SEND_MODES = ("Save .eml only", "Send by SMTP")
JOBS = ("consolidate", "report", "email", "split", "chase")
#: The columns of the coordinator's Returns sheet (Chase leads), from the tracker's JSON keys.
RETURNS_COLUMNS: list[tuple[str, str]] = [("Lead", "lead"), ("Return state", "state"), ("File", "file"),
                                          ("Modified", "modified"), ("Updated", "updated"), ("Errors", "errors")]


@dataclass
class JobResult:
    """What a button reports back: a status line, counts, the file produced, the data issues."""

    status: str
    counts: str = ""
    output: str = ""
    issues: list[list[str]] = field(default_factory=list)  # severity, problem, file, sheet, cell, message
    returns: list[list] = field(default_factory=list)  # the Returns sheet's rows (RETURNS_COLUMNS)


def _path(settings: dict[str, str], name: str, base: Path, required: str | None = None) -> Path | None:
    text = str(settings.get(name) or "").strip()
    if not text:
        if required:
            raise PlanbookError(f"fill in '{SETTINGS[name][0]}' on the Control sheet ({required})")
        return None
    p = Path(os.path.expandvars(os.path.expanduser(text)))
    return p if p.is_absolute() else base / p


def _date(text: str, name: str = "pb_as_of") -> dt.date | None:
    if isinstance(text, dt.datetime):
        return text.date()
    if isinstance(text, dt.date):
        return text
    text = str(text or "").strip()
    if not text:
        return None
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            pass
    raise PlanbookError(f"'{SETTINGS[name][0]}' is not a date: {text!r} (use 31/03/2010)")


def _addresses(text: str) -> list[str]:
    return [a.strip() for a in str(text or "").replace(",", ";").split(";") if a.strip()]


def issue_rows(result) -> list[list[str]]:
    """The rows of the coordinator's Data issues sheet for a consolidation: every finding but the
    informational ones, as severity, problem, file (a full path, so the sheet's links open it),
    sheet, cell, message."""
    paths = {Path(src.file).name: str(Path(src.file).resolve()) for src in result.sources}
    return [[f.severity, f.code, paths.get(f.file, f.file), f.sheet, f.cell, f.message]
            for f in result.report if f.severity != "info"]


def returns_rows(tracker: dict) -> list[list]:
    """The Returns sheet's rows from a tracker's JSON form (``ReturnsTracker.to_dict()``): one a lead,
    in the tracker's order (not returned, late, with errors first); blanks for a lead with no return."""
    return [["" if lead.get(key) is None else lead[key] for _, key in RETURNS_COLUMNS] for lead in tracker["leads"]]


def chase_status(run: dict, sending: bool, when: dt.datetime | None = None) -> str:
    """The Status line of Chase leads, from a chase run's JSON form (the command-line way writes the same)."""
    n = len(run["messages"])
    if sending:
        text = f"Sent {n} reminder(s) at {(when or dt.datetime.now()):%H:%M}"
    elif n:
        text = f"Saved {n} reminder(s) as drafts: open them in Outlook, review and send"
    else:
        text = "Nobody to remind: every lead has returned, without errors"
    if run["no_email"]:
        text += f"; no email address for {', '.join(run['no_email'])}: not reminded"
    return text


def _smtp(settings: dict[str, str]):
    from planbook.mail.transport import SmtpSettings

    port = str(settings.get("pb_smtp_port") or "").strip()
    host = str(settings.get("pb_smtp_host") or "").strip()
    if not host:
        raise PlanbookError(f"fill in '{SETTINGS['pb_smtp_host'][0]}' on the Control sheet")
    return SmtpSettings(host=host, port=int(float(port)) if port else None,
                        security=str(settings.get("pb_smtp_security") or "none").strip().lower(),
                        user=str(settings.get("pb_smtp_user") or "").strip() or None)


def _sending(settings: dict[str, str]) -> bool:
    return str(settings.get("pb_send_mode") or SEND_MODES[0]).strip().lower().startswith("send")


def run_job(job: str, settings: dict[str, str], base: str | os.PathLike[str]) -> JobResult:
    """Run one button's job with the Control-sheet ``settings``; relative paths are under ``base``."""
    base = Path(base)
    out_dir = _path(settings, "pb_output_folder", base, required="where to write results")
    consolidated = out_dir / "consolidated.xlsx"
    if job == "consolidate":
        from planbook.rollup.pipeline import consolidate_to

        inputs = [p for p in (_path(settings, "pb_returns_folder", base), _path(settings, "pb_master_plan", base))
                  if p is not None and p.exists()]
        if not inputs:
            raise PlanbookError("neither the returns folder nor the master plan on the Control sheet exists")
        previous = _path(settings, "pb_previous", base)
        out_dir.mkdir(parents=True, exist_ok=True)
        result = consolidate_to(inputs, consolidated, previous=previous, today=_date(settings.get("pb_as_of", "")),
                                period=str(settings.get("pb_period") or "") or None)
        from planbook.core.status import describe_counts

        counts = result.status_counts()
        return JobResult(
            status=f"Consolidated {len(result.actions)} actions from "
                   f"{sum(1 for s in result.sources if not s.skipped)} file(s) at {dt.datetime.now():%H:%M}",
            counts=describe_counts(counts),
            output=str(consolidated),
            issues=issue_rows(result))
    if job == "report":
        from planbook.word.report import render_report

        if not consolidated.exists():
            raise PlanbookError("no consolidated workbook yet: click Consolidate first")
        out = render_report(consolidated, out_dir / "summary.docx")
        return JobResult(status=f"Word summary written at {dt.datetime.now():%H:%M}", output=str(out))
    if job == "email":
        from planbook.mail.report_email import build_report_email
        from planbook.mail.transport import save_eml, send

        if not consolidated.exists():
            raise PlanbookError("no consolidated workbook yet: click Consolidate first")
        to = _addresses(settings.get("pb_email_to", ""))
        if not to:
            raise PlanbookError(f"fill in '{SETTINGS['pb_email_to'][0]}' on the Control sheet")
        msg = build_report_email(consolidated, to, cc=_addresses(settings.get("pb_email_cc", "")),
                                 sender=str(settings.get("pb_email_from") or "") or None)
        if _sending(settings):
            send([msg], _smtp(settings))
            return JobResult(status=f"Report emailed to {msg['To']} at {dt.datetime.now():%H:%M}")
        eml = save_eml(msg, out_dir / "report.eml")
        return JobResult(status="Email saved as a draft: open it in Outlook, review and send", output=str(eml))
    if job == "split":
        from planbook.workbook.split import split_plan

        plan = _path(settings, "pb_master_plan", base, required="the plan to split")
        folder = out_dir / "for-leads"
        copies = split_plan(plan, folder)
        return JobResult(status=f"Wrote {len(copies)} lead workbook(s) to send out",
                         counts=f"{sum(c.actions for c in copies)} actions", output=str(folder))
    if job == "chase":
        from planbook.mail.chasing import chase

        plan = _path(settings, "pb_master_plan", base, required="the plan whose leads to remind")
        returns = _path(settings, "pb_returns_folder", base, required="where the leads' returns are saved")
        copies = out_dir / "for-leads"
        sending = _sending(settings)
        drafts = out_dir / "reminders"
        run = chase(plan, returns, return_by=_date(settings.get("pb_return_by", ""), "pb_return_by"),
                    sender=str(settings.get("pb_email_from") or "").strip() or None,
                    smtp=_smtp(settings) if sending else None, save_dir=None if sending else drafts,
                    copies_dir=copies if copies.is_dir() else None).to_dict()
        return JobResult(status=chase_status(run, sending), counts=run["tracker"]["summary"],
                         output=str(drafts) if run["messages"] and not sending else "",
                         returns=returns_rows(run["tracker"]))
    raise PlanbookError(f"unknown job {job!r}")


def settings_from_workbook(path: str | os.PathLike[str]) -> dict[str, str]:
    """Read the Control-sheet settings from a coordinator workbook file (no Excel needed)."""
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=False, keep_vba=False)
    values = {}
    for name in SETTINGS:
        if name in wb.defined_names:
            for sheet, ref in wb.defined_names[name].destinations:
                cell = wb[sheet][ref.replace("$", "")]
                values[name] = "" if cell.value is None else cell.value
    return values


def run_button(job: str) -> None:
    """Entry point for the VBA buttons: never lets a Python traceback reach the coordinator."""
    import xlwings as xw

    book = xw.Book.caller()
    control = book.sheets["Control"]
    try:
        settings = {name: book.names[name].refers_to_range.value for name in SETTINGS if name in
                    [n.name for n in book.names]}
        _write(book, "pb_status", f"Running {job}…")
        result = run_job(job, {k: ("" if v is None else v) for k, v in settings.items()}, Path(book.fullname).parent)
    except Exception as exc:  # shown as a plain message, whatever went wrong
        message = str(exc) if isinstance(exc, PlanbookError) else f"{type(exc).__name__}: {exc}"
        _write(book, "pb_status", f"Failed: {message}")
        book.app.alert(message, title="planbook", mode="critical")
        return
    _write(book, "pb_status", result.status)
    _write(book, "pb_counts", result.counts)
    _write(book, "pb_output", result.output)
    if job == "consolidate":
        _write_issues(book, result.issues)
    if job == "chase":
        _write_returns(book, result.returns)
    control.activate()


def _write(book, name: str, value: str) -> None:
    book.names[name].refers_to_range.value = value


def _write_issues(book, issues: list[list[str]]) -> None:
    sheet = book.sheets[DATA_ISSUES]
    sheet.clear_contents()
    sheet["A1"].value = [["Severity", "Problem", "File", "Sheet", "Cell", "What is wrong", "Go to"]]
    rows = []
    for severity, code, file, sheet_name, cell, message in issues:
        target = f"{file}#'{sheet_name}'!{cell}" if cell and cell[0].isalpha() else file
        rows.append([severity, code, file, sheet_name, cell, message, f'=HYPERLINK("{target}","open")'])
    if rows:
        sheet["A2"].value = rows


def _write_returns(book, rows: list[list]) -> None:
    sheet = book.sheets[RETURNS]
    sheet.clear_contents()
    sheet["A1"].value = [[title for title, _ in RETURNS_COLUMNS]]
    if rows:
        sheet["A2:D" + str(len(rows) + 1)].number_format = "@"  # a name typed "=..." stays text
        sheet["A2"].value = rows
