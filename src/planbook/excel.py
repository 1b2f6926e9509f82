"""The coordinator workbook's buttons, on the Python side: the one place of what they do and say.

A button runs one job (``BUTTONS``).  ``run_job`` does it with the Control sheet's settings and
returns what the button shows (``JobResult``): the status line, the counts, the file it made and
the rows it writes on the Data issues or Returns sheet.  Two ways reach it, with the same words:

- ``run_button``, called through xlwings RunPython, writes the result into the workbook itself;
- ``planbook button JOB`` (``cli.py``), which the macros run when xlwings is not there (Windows
  Excel without the add-in, LibreOffice), prints it for the macros to write
  (``JobResult.to_dict``, with the rows in a file written by ``write_rows``).

The workbook's location may be an ``https://`` address (a workbook opened from OneDrive or
SharePoint): its paths are then taken from the folder synced to this computer
(``planbook.files.synced``), or from the "local folder" setting.
"""
from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass
from pathlib import Path

from planbook.core.dates import parse_day
from planbook.core.errors import PlanbookError
from planbook.core.layout import DATA_ISSUES, RETURNS
from planbook.core.limits import MAX_FORMULA, formula_text
from planbook.files.synced import is_web_address, local_path, web_folder

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
    "pb_messages_folder": ("Collect returns from: a folder of saved messages (.eml, .msg)", ""),
    "pb_imap_host": ("...or from a mailbox: IMAP server (TLS; blank = use the folder)", ""),
    "pb_imap_user": ("IMAP user (password: PLANBOOK_IMAP_PASSWORD)", ""),
    "pb_imap_folder": ("IMAP folder (blank = INBOX)", ""),
    "pb_command": ("planbook command (used when xlwings is not there; a full path works)", "planbook"),
    "pb_local_folder": ("Local folder the paths above start from (blank = this workbook's folder)", ""),
}
#: Where results are written back on the Control sheet.
OUTPUTS: dict[str, str] = {"pb_status": "Status", "pb_counts": "Counts", "pb_output": "File produced"}
SEND_MODES = ("Save .eml only", "Send by SMTP")


@dataclass(frozen=True)
class Button:
    """A button on the Control sheet: its caption, the macro it runs, the job, what it is for."""

    caption: str
    macro: str
    job: str
    help: str


#: The Control sheet's buttons, in the order a coordinator works.  A new job is a new entry here,
#: a branch of ``run_job`` and a three-line Sub in macros/Planbook.bas (the VBA test checks it).
BUTTONS: tuple[Button, ...] = (
    Button("Consolidate", "ConsolidateButton", "consolidate", "Roll up the returned workbooks and the master plan"),
    Button("Word summary", "WordSummaryButton", "report", "Write the committee progress report (Word)"),
    Button("Email report", "EmailReportButton", "email", "Email the report, or save it as an Outlook draft"),
    Button("Split for leads", "SplitForLeadsButton", "split", "Write one workbook per lead to send out"),
    Button("Chase leads", "ChaseLeadsButton", "chase", f"Remind leads to return or fix updates; see {RETURNS}"),
    Button("Collect returns", "CollectReturnsButton", "collect",
           "Save the workbooks leads emailed back into the returns folder"),
)
JOBS = tuple(b.job for b in BUTTONS)
#: The coordinator's Data issues sheet: a consolidation's findings, each with a link to its cell.
ISSUES_COLUMNS = ["Severity", "Problem", "File", "Sheet", "Cell", "What is wrong", "Go to"]
#: The columns of the coordinator's Returns sheet (Chase leads), from the tracker's JSON keys.
RETURNS_COLUMNS: list[tuple[str, str]] = [("Lead", "lead"), ("Return state", "state"), ("File", "file"),
                                          ("Modified", "modified"), ("Updated", "updated"), ("Errors", "errors")]


@dataclass
class SheetRows:
    """Rows a button writes on one of the coordinator's sheets, under its header, replacing what
    was there.  The first ``text_columns`` columns are text (formatted as text first, so whatever a
    lead typed, even "=…", stays text); the others hold numbers or planbook's own formulas."""

    sheet: str
    header: list[str]
    rows: list[list]
    text_columns: int


@dataclass
class JobResult:
    """What a button reports back: a status line, counts, the file produced, and for the jobs that
    fill one, the Data issues rows (``issues``: severity, problem, file, sheet, cell, message) or
    the Returns rows (``returns``: ``RETURNS_COLUMNS``); None leaves that sheet as it is."""

    status: str
    counts: str = ""
    output: str = ""
    issues: list[list[str]] | None = None
    returns: list[list] | None = None

    def sheets(self) -> list[SheetRows]:
        """The sheets this result fills, as the buttons write them (both ways)."""
        out = []
        if self.issues is not None:
            out.append(SheetRows(DATA_ISSUES, ISSUES_COLUMNS, [[*row, issue_link(*row[2:5])] for row in self.issues],
                                 text_columns=6))
        if self.returns is not None:
            out.append(SheetRows(RETURNS, [title for title, _ in RETURNS_COLUMNS], self.returns, text_columns=4))
        return out

    def to_dict(self, with_rows: bool = True) -> dict:
        """The JSON form ``planbook button --json`` prints; ``with_rows=False`` gives each sheet's
        row count only (the rows go to a file, ``write_rows``, which a macro reads fast)."""
        return {"status": self.status, "counts": self.counts, "output": self.output,
                "sheets": [{"name": s.sheet, "header": s.header, "text_columns": s.text_columns,
                            "row_count": len(s.rows), **({"rows": s.rows} if with_rows else {})}
                           for s in self.sheets()]}


def issue_link(file: str, sheet: str, cell: str) -> str:
    """The Data issues sheet's "Go to" formula: a link that opens the file at the cell.

    ``FILE#'Sheet'!A1`` as a rule.  Excel takes a link's first ``#`` as where the place in the
    file starts, so for a file whose path holds one (a folder "Action Plan #2") the link is
    ``[FILE]'Sheet'!A1``, the form Excel documents for a place in another workbook, whose brackets
    say where the file ends.  A path of any length is written whole (:func:`formula_text` cuts a
    long one into pieces joined by ``&``).  Where no link would open the right file (a ``#`` and a
    bracket in its path, or no cell to go to), the cell holds the file's path as text instead."""
    place = f"'{sheet.replace(chr(39), chr(39) * 2)}'!{cell}" if cell[:1].isalpha() else ""
    if "#" not in file:
        target = f"{file}#{place}" if place else file
    elif place and "[" not in file and "]" not in file:
        target = f"[{file}]{place}"
    else:
        return _text_formula(file)
    formula = f'=HYPERLINK({formula_text(target)},"open")'
    return formula if len(formula) <= MAX_FORMULA else _text_formula(file)


def _text_formula(text: str) -> str:
    """A text written as a formula (so never read as a number, a date or a formula of its own)."""
    formula = "=" + formula_text(text)
    return formula if len(formula) <= MAX_FORMULA else text


#: The rows file's escape character: character 1, which no path or cell text holds (Excel and
#: Word cannot store it), so a line without it is taken as it is, fast.
ESCAPE = "\x01"
_SPECIAL = re.compile(r"[\x01\t\n\r]|[^\x20-\x7e]")
_ESCAPES = {ESCAPE: ESCAPE * 2, "\t": ESCAPE + "t", "\n": ESCAPE + "n", "\r": ESCAPE + "r"}


def write_rows(path: str | os.PathLike[str], result: JobResult) -> Path:
    """The rows of every sheet ``result`` fills, in order, one a line, fields separated by tabs, in
    ASCII: a tab, line break, character 1 or any non-ASCII character is written as character 1 and
    t, n, r, itself, or u and four hex digits (one UTF-16 unit), so VBA reads every line with Line
    Input whatever the code page, and un-escapes only lines that need it."""
    path = Path(path)
    with open(path, "w", encoding="ascii", newline="\r\n") as f:
        for sheet in result.sheets():
            for row in sheet.rows:
                f.write("\t".join(_escape("" if v is None else str(v)) for v in row) + "\n")
    return path


def _escape(text: str) -> str:
    def one(match: re.Match) -> str:
        ch = match.group(0)
        if ch in _ESCAPES:
            return _ESCAPES[ch]
        units = ch.encode("utf-16-be")
        return "".join(f"{ESCAPE}u{int.from_bytes(units[i:i + 2], 'big'):04x}" for i in range(0, len(units), 2))

    return _SPECIAL.sub(one, text)


class _Places:
    """The Control sheet's paths as folders and files on this computer.  A relative path starts
    from the local folder setting, else from the workbook's folder; a web address (the workbook,
    or a setting, on OneDrive or SharePoint) becomes the folder synced here."""

    def __init__(self, settings: dict[str, str], location: str | os.PathLike[str]) -> None:
        self.settings = settings
        self.location = str(location)
        self._base: Path | None = None

    def base(self) -> Path:
        if self._base is None:
            local = str(self.settings.get("pb_local_folder") or "").strip()
            if local:
                self._base = self._here(local, "pb_local_folder")
            elif is_web_address(self.location):
                found = local_path(self.location)
                if found is None:
                    raise PlanbookError(
                        f"this workbook is open from {self.location}, which is not a folder on this computer, and "
                        "no OneDrive or SharePoint folder synced here holds it: fill in "
                        f"'{SETTINGS['pb_local_folder'][0]}' on the Control sheet with the folder on this "
                        "computer that holds its files")
                self._base = found
            else:
                self._base = Path(self.location)
        return self._base

    def _here(self, text: str, name: str) -> Path:
        if is_web_address(text):
            found = local_path(text)
            if found is None:
                raise PlanbookError(f"'{SETTINGS[name][0]}' is the web address {text}, and no OneDrive or "
                                    "SharePoint folder synced to this computer holds it: give a folder on this "
                                    "computer instead")
            return found
        p = Path(os.path.expandvars(os.path.expanduser(text)))
        if p.is_absolute():
            return p
        if name == "pb_local_folder":
            raise PlanbookError(f"'{SETTINGS[name][0]}' must be a full path (e.g. C:\\Users\\you\\Plans), "
                                f"not {text!r}")
        return self.base() / p

    def path(self, name: str, required: str | None = None) -> Path | None:
        text = str(self.settings.get(name) or "").strip()
        if not text:
            if required:
                raise PlanbookError(f"fill in '{SETTINGS[name][0]}' on the Control sheet ({required})")
            return None
        return self._here(text, name)


def _date(value: object, name: str = "pb_as_of") -> dt.date | None:
    """A Control sheet date (a date cell or typed), None when blank; a PlanbookError naming the
    setting when it is not a day."""
    day = parse_day(value)
    text = str(value or "").strip()
    if day is not None or not text:
        return day
    raise PlanbookError(f"'{SETTINGS[name][0]}' is not a date: {text!r} (use 31/03/2010)")


def _addresses(text: str) -> list[str]:
    return [a.strip() for a in str(text or "").replace(",", ";").split(";") if a.strip()]


def issue_rows(result) -> list[list[str]]:
    """The rows of the coordinator's Data issues sheet for a consolidation: every finding but the
    informational ones, as severity, problem, file (a full path, so the sheet's links open it),
    sheet, cell, message."""
    paths = {label: src.path or str(Path(src.file).absolute()) for src in result.sources
             for label in (src.label, src.file) if label}
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


def collect_status(run: dict, when: dt.datetime | None = None) -> str:
    """The Status line of Collect returns, from a collect run's JSON form."""
    text = f"Collected {run['saved']} return(s) at {(when or dt.datetime.now()):%H:%M}"
    if run["set_aside"]:
        text += f"; {run['set_aside']} set aside (not from a lead: see the Set aside folder)"
    if run["problems"]:
        text += f"; {len(run['problems'])} message(s) could not be read: {run['problems'][0]}"
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


def run_job(job: str, settings: dict[str, str], location: str | os.PathLike[str]) -> JobResult:
    """Run one button's job with the Control-sheet ``settings`` (defined name -> value; a name not
    given has its default, as in a new workbook) of a workbook at ``location``: its folder, or the
    ``https://`` address Excel gives a workbook opened from OneDrive or SharePoint.  Returns what
    the button shows; a problem is a PlanbookError whose message names the setting to fix."""
    settings = {**{name: default for name, (_, default) in SETTINGS.items()}, **settings}
    places = _Places(settings, location)
    unknown = sorted(set(settings) - set(SETTINGS) - set(OUTPUTS))
    if unknown:
        raise PlanbookError(f"unknown Control-sheet setting(s) {', '.join(unknown)}: a workbook from another "
                            "planbook version? Make a new one with `planbook coordinator`")
    out_dir = places.path("pb_output_folder", required="where to write results")
    consolidated = out_dir / "consolidated.xlsx"
    if job == "consolidate":
        from planbook.rollup.pipeline import consolidate_to

        inputs = [p for p in (places.path("pb_returns_folder"), places.path("pb_master_plan"))
                  if p is not None and p.exists()]
        if not inputs:
            raise PlanbookError("neither the returns folder nor the master plan on the Control sheet exists")
        previous = places.path("pb_previous")
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

        plan = places.path("pb_master_plan", required="the plan to split")
        folder = out_dir / "for-leads"
        copies = split_plan(plan, folder)
        return JobResult(status=f"Wrote {len(copies)} lead workbook(s) to send out",
                         counts=f"{sum(c.actions for c in copies)} actions", output=str(folder))
    if job == "chase":
        from planbook.mail.chasing import chase

        plan = places.path("pb_master_plan", required="the plan whose leads to remind")
        returns = places.path("pb_returns_folder", required="where the leads' returns are saved")
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
    if job == "collect":
        from planbook.mail.collect import collect_returns

        plan = places.path("pb_master_plan", required="the plan whose leads' returns to collect")
        returns = places.path("pb_returns_folder", required="where to save the leads' returns")
        host = str(settings.get("pb_imap_host") or "").strip()
        if host:
            from planbook.mail.imap import ImapSettings

            user = str(settings.get("pb_imap_user") or "").strip()
            if not user:
                raise PlanbookError(f"fill in '{SETTINGS['pb_imap_user'][0]}' on the Control sheet")
            imap = ImapSettings(host=host, user=user, folder=str(settings.get("pb_imap_folder") or "").strip() or "INBOX")
            run = collect_returns(plan, returns, imap=imap).to_dict()
        else:
            messages = places.path("pb_messages_folder", required="where the saved messages are, or an IMAP server")
            run = collect_returns(plan, returns, messages=messages).to_dict()
        return JobResult(status=collect_status(run), counts=run["tracker"]["summary"], output=str(returns),
                         returns=returns_rows(run["tracker"]))
    raise PlanbookError(f"unknown job {job!r}")


def settings_from_workbook(path: str | os.PathLike[str]) -> dict[str, str]:
    """Read the Control-sheet settings saved in a coordinator workbook file (no Excel needed)."""
    import io

    import openpyxl

    from planbook.files.opening import check_workbook_file

    data = check_workbook_file(path)  # a missing, damaged or harmful file: one line saying so
    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=False, keep_vba=False)
    if not any(name in wb.defined_names for name in SETTINGS):
        raise PlanbookError(f"{path} is not a planbook coordinator workbook (it has no Control-sheet settings)")
    values = {}
    for name in SETTINGS:
        if name in wb.defined_names:
            for sheet, ref in wb.defined_names[name].destinations:
                cell = wb[sheet][ref.replace("$", "")]
                values[name] = "" if cell.value is None else cell.value
    return values


def run_button(job: str) -> None:
    """Entry point for the VBA buttons through xlwings: writes the result into the calling workbook
    (the macro has written "Running …" already), and never lets a Python traceback reach the
    coordinator."""
    import xlwings as xw

    book = xw.Book.caller()
    control = book.sheets["Control"]
    try:
        names = {n.name for n in book.names}
        settings = {name: book.names[name].refers_to_range.value for name in SETTINGS if name in names}
        result = run_job(job, {k: ("" if v is None else v) for k, v in settings.items()}, workbook_folder(book.fullname))
    except Exception as exc:  # shown as a plain message, whatever went wrong
        message = str(exc) if isinstance(exc, PlanbookError) else f"{type(exc).__name__}: {exc}"
        _write(book, "pb_status", f"Failed: {message}")
        book.app.alert(message, title="planbook", mode="critical")
        return
    _write(book, "pb_status", result.status)
    _write(book, "pb_counts", result.counts)
    _write(book, "pb_output", result.output)
    for rows in result.sheets():
        _write_sheet(book.sheets[rows.sheet], rows)
    control.activate()


def workbook_folder(fullname: str) -> str:
    """The folder of a workbook's full name as Excel gives it: a path, or a web address."""
    return web_folder(fullname) if is_web_address(fullname) else str(Path(fullname).parent)


def _write(book, name: str, value: str) -> None:
    book.names[name].refers_to_range.value = value


def _write_sheet(sheet, rows: SheetRows) -> None:
    """Header and rows in one assignment, the text columns formatted as text first."""
    sheet.clear_contents()
    if rows.rows and rows.text_columns:
        sheet.range((2, 1), (len(rows.rows) + 1, rows.text_columns)).number_format = "@"
    sheet.range((1, 1)).value = [rows.header, *rows.rows]
