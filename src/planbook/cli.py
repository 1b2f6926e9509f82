"""The ``planbook`` command: a thin layer over the library.

Exit codes: 0 success; 1 the data has errors (validate); 2 a file cannot be used or an output
cannot be written, with a one-line reason; 3 an internal error (a bug: please report it).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from collections.abc import Sequence

from . import __version__
from .errors import PlanbookError

EXIT_OK, EXIT_FINDINGS, EXIT_UNUSABLE, EXIT_INTERNAL = 0, 1, 2, 3
STATUS_ORDER = ("Complete", "On track", "Slippage", "Off track", "Not started")
#: The fields of one consolidate --json "data_issues" entry (the coordinator's Data issues columns).
ISSUE_FIELDS = ("severity", "code", "file", "sheet", "cell", "message")


def _print_findings(findings, stream=sys.stdout, limit: int | None = None) -> None:
    shown = list(findings)[:limit] if limit else list(findings)
    for f in shown:
        print(f"  {f.sheet}!{f.cell or '-'}  {f.severity:<7} {f.code:<16} {f.message}", file=stream)
    if limit and len(list(findings)) > limit:
        print(f"  … and {len(list(findings)) - limit} more (use --json for all)", file=stream)


def cmd_new(args: argparse.Namespace) -> int:
    from .writer import new_plan

    if not args.lead:
        raise PlanbookError("give at least one --lead NAME")
    tabs = new_plan(args.out, args.title, args.period, args.lead, args.theme or [],
                    coordinator=args.coordinator or "", coordinator_email=args.coordinator_email or "",
                    overwrite=args.force)
    print(f"wrote {args.out}: {len(tabs)} lead tab(s): {', '.join(tabs)}")
    return EXIT_OK


def cmd_validate(args: argparse.Namespace) -> int:
    from .reader import read_plan

    plan = read_plan(args.plan)
    report = plan.report
    if args.json:
        print(json.dumps({"file": plan.path, "actions": len(plan.actions),
                          "findings": [f.to_dict() for f in report]}, ensure_ascii=False, indent=1))
    else:
        counts = Counter(a.status_shown for a in plan.actions)
        print(f"{plan.path}: {len(plan.actions)} actions on {len(plan.tabs)} lead tab(s); "
              f"{len(report.errors)} error(s), {len(report.warnings)} warning(s)")
        if counts:
            print("  " + ", ".join(f"{k or 'blank'}: {v}" for k, v in counts.most_common()))
        _print_findings(report)
    return EXIT_OK if report.ok else EXIT_FINDINGS


def cmd_demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    result = run_demo(args.out)
    plan = result.plan
    print(f"Demo plan: {plan.info.title} ({plan.info.period})")
    print(f"  {len(plan.actions)} actions, {len(plan.tabs)} lead tabs, "
          f"{len(plan.report.errors)} error(s) and {len(plan.report.warnings)} warning(s) found by validate:")
    _print_findings(plan.report, limit=10)
    c = result.consolidation
    if c is not None:
        counts = c.status_counts()
        print(f"Consolidated {len(c.actions)} actions from {sum(1 for s in c.sources if not s.skipped)} file(s) "
              f"(leads' returns + the master for leads who did not return): "
              + ", ".join(f"{s} {counts.get(s, 0)}" for s in ("Complete", "On track", "Slippage", "Off track", "Not started")))
        print(f"  {len(c.exceptions)} exception(s), {len(c.changes or [])} change(s) since last quarter")
    print("Files:")
    for label, path in result.files.items():
        print(f"  {label:<14} {os.path.abspath(path)}")
    return EXIT_OK


def _print_json(summary: dict) -> None:
    """A command's --json summary, ASCII only (non-ASCII as \\u escapes): it reaches any reader
    intact whatever the console's code page, including the coordinator workbook's macros."""
    print(json.dumps(summary, ensure_ascii=True, indent=1))


def _progress_printer(stream=sys.stderr):
    """A progress line on stderr: rewritten in place on a terminal, every 10% otherwise."""
    last = [-1]

    def show(done: int, total: int, path: str) -> None:
        if total < 5:
            return
        if stream.isatty():
            print(f"\rreading {done}/{total} files", end="" if done < total else "\n", file=stream, flush=True)
        elif done * 10 // total != last[0] or done == total:
            last[0] = done * 10 // total
            print(f"reading {done}/{total} files", file=stream, flush=True)
    return show


def _date_arg(text: str):
    import datetime as dt

    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (use YYYY-MM-DD): {text!r}") from None


def cmd_split(args: argparse.Namespace) -> int:
    from .split import split_plan

    copies = split_plan(args.plan, args.out, force=args.force)
    if args.json:
        _print_json({"output": str(args.out), "actions": sum(c.actions for c in copies),
                     "copies": [{"lead": c.lead, "actions": c.actions, "path": str(c.path)} for c in copies]})
        return EXIT_OK
    for c in copies:
        print(f"  {c.lead:<40} {c.actions:>4} action(s)  {c.path}")
    print(f"wrote {len(copies)} lead workbook(s) to {args.out}")
    return EXIT_OK


def cmd_consolidate(args: argparse.Namespace) -> int:
    from .consolidated_writer import consolidate_to

    result = consolidate_to(args.inputs, args.out, previous=args.previous, today=args.as_of, period=args.period,
                            progress=None if args.json else _progress_printer())
    changes = len(result.changes) if result.changes is not None else 0
    if args.json:
        from .excel import issue_rows

        counts = result.status_counts()
        _print_json({"output": str(args.out), "actions": len(result.actions), "findings": len(result.report),
                     "sources": [s.to_dict() for s in result.sources], "changes": changes,
                     "status_counts": {s: counts.get(s, 0) for s in STATUS_ORDER},
                     "exceptions": len(result.exceptions),
                     "data_issues": [dict(zip(ISSUE_FIELDS, row)) for row in issue_rows(result)]})
        return EXIT_OK
    used = [s for s in result.sources if not s.skipped]
    skipped = [s for s in result.sources if s.skipped]
    counts = result.status_counts()
    print(f"Consolidated {len(result.actions)} actions from {len(used)} file(s) into {args.out}")
    print("  " + ", ".join(f"{s}: {counts.get(s, 0)}" for s in STATUS_ORDER))
    print(f"  {len(result.exceptions)} exception(s); {len(result.report.errors)} data error(s), "
          f"{len(result.report.warnings)} warning(s) on the Data issues sheet"
          + (f"; {changes} change(s) since {args.previous}" if args.previous else ""))
    for s in skipped:
        print(f"  skipped {s.file}: {s.skipped}")
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from .report import render_report

    out = render_report(args.consolidated, args.out, template=args.template)
    if args.json:
        _print_json({"output": str(out)})
        return EXIT_OK
    print(f"wrote {out}")
    return EXIT_OK


def _smtp_settings(args: argparse.Namespace):
    from .mailer import SmtpSettings

    security = "ssl" if args.ssl else "starttls" if args.starttls else "none"
    return SmtpSettings(host=args.smtp_host, port=args.smtp_port, security=security, user=args.smtp_user)


def cmd_email(args: argparse.Namespace) -> int:
    from .mailer import build_report_email, save_eml, send

    msg = build_report_email(args.consolidated, args.to, cc=args.cc or [], sender=args.sender,
                             subject=args.subject, attachments=args.attach)
    names = [part.get_filename() for part in msg.iter_attachments()]
    if args.save:
        path = save_eml(msg, args.save)
        if args.json:
            _print_json({"output": str(path), "sent": False, "to": msg["To"], "cc": msg["Cc"] or "",
                         "attachments": names})
            return EXIT_OK
        print(f"saved {path} (unsent draft: open it in Outlook, review, send); attachments: {', '.join(names)}")
    else:
        send([msg], _smtp_settings(args))
        if args.json:
            _print_json({"output": None, "sent": True, "to": msg["To"], "cc": msg["Cc"] or "", "attachments": names})
            return EXIT_OK
        print(f"sent to {msg['To']}" + (f", cc {msg['Cc']}" if msg["Cc"] else "") + f"; attachments: {', '.join(names)}")
    return EXIT_OK


def cmd_request_updates(args: argparse.Namespace) -> int:
    from .mailer import request_updates

    smtp = None if args.save_dir else _smtp_settings(args)
    requests, missing = request_updates(args.plan, args.out, args.return_by, sender=args.sender, smtp=smtp,
                                        save_dir=args.save_dir, force=args.force)
    for r in requests:
        print(f"  {r.lead:<40} {r.email:<36} {r.eml or 'sent'}")
    verb = "saved" if args.save_dir else "sent"
    print(f"{verb} {len(requests)} update request(s); workbooks in {args.out}")
    if missing:
        print(f"planbook: {len(missing)} lead(s) have no email address on the Lists sheet and were NOT asked: "
              f"{', '.join(missing)}", file=sys.stderr)
        return EXIT_FINDINGS
    return EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    from .importer import import_plan

    result = import_plan(args.legacy, args.out, mapping=args.map or [], title=args.title, period=args.period or "",
                         overwrite=args.force)
    if args.json:
        print(json.dumps({**result.to_dict(), "output": str(args.out)}, ensure_ascii=False, indent=1))
        return EXIT_OK
    dues = [a for a in result.actions if a.due.text]
    understood = sum(1 for a in dues if a.due.understood)
    print(f"Imported {result.source}: {result.rows_in} row(s) read, {len(result.actions)} action(s) written to {args.out}")
    print(f"  {len(result.info.themes)} theme(s), {len(result.info.leads)} lead tab(s); "
          f"due dates understood: {understood}/{len(dues)}")
    print("  mapping: " + "; ".join(f"{k} -> {v}" for k, v in result.mapping.items()))
    by_code: dict[str, int] = {}
    for f in result.report:
        by_code[f.code] = by_code.get(f.code, 0) + 1
    if by_code:
        print("  report: " + ", ".join(f"{n} {code}" for code, n in sorted(by_code.items())))
    _print_findings([f for f in result.report if f.severity != "info"], limit=15)
    return EXIT_OK


def _add_smtp_options(p: argparse.ArgumentParser, save_flag: str, save_help: str) -> None:
    p.add_argument("--from", dest="sender", metavar="ADDR", help="sender address (default: the plan's coordinator)")
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--smtp-host", metavar="HOST")
    where.add_argument(save_flag, metavar="PATH", help=save_help)
    p.add_argument("--smtp-port", type=int, metavar="PORT")
    sec = p.add_mutually_exclusive_group()
    sec.add_argument("--starttls", action="store_true")
    sec.add_argument("--ssl", action="store_true")
    p.add_argument("--smtp-user", metavar="USER", help="login user; the password comes from PLANBOOK_SMTP_PASSWORD")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="planbook", description="Run action plans in Excel.")
    parser.add_argument("--version", action="version", version=f"planbook {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("new", help="create a standard plan workbook with a tab per lead")
    p.add_argument("out", metavar="OUT.xlsx")
    p.add_argument("--title", required=True)
    p.add_argument("--period", required=True, help='reporting period, e.g. "Q2 2009/10"')
    p.add_argument("--lead", action="append", metavar="NAME", help="a lead (repeat for each)")
    p.add_argument("--theme", action="append", metavar="NAME", help="a theme (repeat for each)")
    p.add_argument("--coordinator")
    p.add_argument("--coordinator-email")
    p.add_argument("--force", action="store_true", help="replace OUT if it exists")
    p.set_defaults(func=cmd_new)

    p = sub.add_parser("validate", help="check a plan workbook and list problems by cell")
    p.add_argument("plan", metavar="PLAN.xlsx")
    p.add_argument("--json", action="store_true", help="print the findings as JSON")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("split", help="write one workbook per lead, to send out for updates")
    p.add_argument("plan", metavar="PLAN.xlsx")
    p.add_argument("--out", required=True, metavar="DIR")
    p.add_argument("--force", action="store_true", help="replace files that already exist")
    p.add_argument("--json", action="store_true", help="print a JSON summary")
    p.set_defaults(func=cmd_split)

    p = sub.add_parser("consolidate", help="roll up plans and leads' returned workbooks into one workbook")
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="workbooks and/or folders of them")
    p.add_argument("--out", required=True, metavar="OUT.xlsx")
    p.add_argument("--previous", metavar="PREV.xlsx", help="the last consolidation, to report what changed")
    p.add_argument("--period", help="reporting period (default: from the plans)")
    p.add_argument("--as-of", type=_date_arg, metavar="YYYY-MM-DD", help="date for overdue checks (default: today)")
    p.add_argument("--json", action="store_true", help="print a JSON summary")
    p.set_defaults(func=cmd_consolidate)

    p = sub.add_parser("report", help="write the Word progress report from a consolidated workbook")
    p.add_argument("consolidated", metavar="CONSOLIDATED.xlsx")
    p.add_argument("--out", required=True, metavar="SUMMARY.docx")
    p.add_argument("--template", metavar="T.docx", help="your own Word template (default: templates/summary.docx)")
    p.add_argument("--json", action="store_true", help="print a JSON summary")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("email", help="email the rolled-up report, or save it as an unsent .eml draft")
    p.add_argument("consolidated", metavar="CONSOLIDATED.xlsx")
    p.add_argument("--to", action="append", required=True, metavar="ADDR")
    p.add_argument("--cc", action="append", metavar="ADDR")
    p.add_argument("--attach", action="append", metavar="FILE",
                   help="attach FILE (default: the workbook and the summary .docx beside it)")
    p.add_argument("--subject")
    _add_smtp_options(p, "--save", "write MESSAGE.eml (unsent draft) instead of sending")
    p.add_argument("--json", action="store_true", help="print a JSON summary")
    p.set_defaults(func=cmd_email)

    p = sub.add_parser("request-updates", help="split the plan and email each lead their workbook")
    p.add_argument("plan", metavar="PLAN.xlsx")
    p.add_argument("--out", required=True, metavar="DIR", help="folder for the leads' workbooks")
    p.add_argument("--return-by", required=True, type=_date_arg, metavar="YYYY-MM-DD")
    p.add_argument("--force", action="store_true", help="replace workbooks already in DIR")
    _add_smtp_options(p, "--save-dir", "write one .eml per lead into this folder instead of sending")
    p.set_defaults(func=cmd_request_updates)

    p = sub.add_parser("import", help="import a plan kept in Word, Excel or CSV in its own layout")
    p.add_argument("legacy", metavar="LEGACY", help=".xlsx, .xlsm, .docx or .csv")
    p.add_argument("--out", required=True, metavar="PLAN.xlsx")
    p.add_argument("--map", action="append", metavar='"HEADER=COLUMN"',
                   help='map a header to a standard column, e.g. "Owner=Lead", or "Notes=extra" to keep it')
    p.add_argument("--title", help="plan title (default: the document's title)")
    p.add_argument("--period", help='reporting period, e.g. "Q1 2009/10"')
    p.add_argument("--force", action="store_true", help="replace PLAN.xlsx if it exists")
    p.add_argument("--json", action="store_true", help="print the import report as JSON")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("demo", help="build the demo plan from bundled example data")
    p.add_argument("--out", default="demo-output", metavar="DIR")
    p.set_defaults(func=cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code (never lets a traceback reach the user)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except PlanbookError as exc:
        print(f"planbook: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    except KeyboardInterrupt:
        print("planbook: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and closed: not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:  # a bug in planbook, not the user's fault
        if os.environ.get("PLANBOOK_DEBUG"):
            raise
        print(f"planbook: internal error: {type(exc).__name__}: {exc} (set PLANBOOK_DEBUG=1 for details)",
              file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
