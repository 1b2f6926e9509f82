"""The ``planbook`` command: a thin layer over the library.

Exit codes: 0 success; 1 the data has errors (validate), or leads without an email address
were not messaged; 2 a file cannot be used or an output cannot be written, with a one-line
reason; 3 an internal error (a bug: please report it); 130 interrupted (Ctrl-C, SIGTERM): the old
output is untouched and no temporary file is left.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence

from planbook.core.errors import PlanbookError
from planbook.core.layout import DATA_ISSUES, LISTS, RETURNS
from planbook.core.text import shortened
from planbook.core.version import __version__
from planbook.excel import BUTTONS, JOBS

EXIT_OK, EXIT_FINDINGS, EXIT_UNUSABLE, EXIT_INTERNAL = 0, 1, 2, 3
#: The fields of one consolidate --json "data_issues" entry (the coordinator's Data issues columns).
ISSUE_FIELDS = ("severity", "code", "file", "sheet", "cell", "message")


def _print_findings(findings, stream=sys.stdout, limit: int | None = None) -> None:
    shown = list(findings)[:limit] if limit else list(findings)
    for f in shown:  # one line each, however long the text a lead typed (--json has it whole)
        print(f"  {f.sheet}!{f.cell or '-'}  {f.severity:<7} {f.code:<16} {shortened(f.message, 300)}", file=stream)
    if limit and len(list(findings)) > limit:
        print(f"  … and {len(list(findings)) - limit} more (use --json for all)", file=stream)


def cmd_new(args: argparse.Namespace) -> int:
    from planbook.workbook.writer import new_plan

    if not args.lead:
        raise PlanbookError("give at least one --lead NAME")
    tabs = new_plan(args.out, args.title, args.period, [_lead_arg(text) for text in args.lead], args.theme or [],
                    coordinator=args.coordinator or "", coordinator_email=args.coordinator_email or "",
                    return_by=args.return_by, overwrite=args.force)
    print(f"wrote {args.out}: {len(tabs)} lead tab(s): {', '.join(tabs)}")
    return EXIT_OK


def _lead_arg(text: str):
    """A ``--lead`` value: ``NAME``, or ``NAME <ADDRESS>`` with the address the lead's mail goes to."""
    import re

    from planbook.core.addresses import is_bare_address
    from planbook.core.model import Lead

    found = re.fullmatch(r"(.*?)\s*<([^<>]*)>\s*", text)
    if found is None:
        return Lead(text)
    name, address = found.group(1).strip(), found.group(2).strip()
    if not name:
        raise PlanbookError(f"--lead {text!r}: give the lead's name before the address, e.g. \"Jane Smith <{address}>\"")
    if not is_bare_address(address):
        raise PlanbookError(f"--lead {text!r}: {address!r} is not an email address (name@example.org)")
    return Lead(name, address)


def cmd_validate(args: argparse.Namespace) -> int:
    from planbook.core.status import describe_counts, tally
    from planbook.workbook.validate import validate_plan

    plan = validate_plan(args.plan)
    report = plan.report
    if args.json:
        print(json.dumps({"file": plan.path, "actions": len(plan.actions),
                          "findings": [f.to_dict() for f in report]}, ensure_ascii=False, indent=1))
    else:
        counts = tally(a.status for a in plan.actions)
        print(f"{plan.path}: {len(plan.actions)} actions on {len(plan.tabs)} lead tab(s); "
              f"{len(report.errors)} error(s), {len(report.warnings)} warning(s)")
        if plan.actions:
            print("  " + describe_counts(counts, ": "))
        _print_findings(report)
    return EXIT_OK if report.ok else EXIT_FINDINGS


def cmd_settings(args: argparse.Namespace) -> int:
    from planbook.workbook.edit import change_settings, read_settings
    from planbook.workbook.settings import describe

    changes = {k: getattr(args, k) for k in ("title", "period", "coordinator", "coordinator_email", "return_by",
                                             "retire_complete_after") if getattr(args, k) is not None}
    if changes:
        plan = change_settings(args.plan, args.out, **changes, overwrite=args.force)
    else:
        if args.out:
            raise PlanbookError("--out writes a changed plan: give a setting to change (see --help)")
        plan = read_settings(args.plan)
    rows = describe(plan.info)
    if args.json:
        _print_json({"plan": str(args.out or args.plan), "changed": sorted(changes), "settings": dict(rows)})
        return EXIT_OK
    if changes:
        print(f"wrote {args.out or args.plan}: {', '.join(k.replace('_', ' ') for k in changes)} changed")
    for label, value in rows:
        print(f"  {label + ':':<40} {value or '(not set)'}")
    for f in plan.report:
        if f.code == "bad-setting":
            print(f"  {f.sheet}!{f.cell}: {f.message}", file=sys.stderr)
    return EXIT_OK


def cmd_roll_forward(args: argparse.Namespace) -> int:
    from planbook.rollup.rollforward import roll_forward

    result = roll_forward(args.inputs if len(args.inputs) > 1 else args.inputs[0], args.out, period=args.period,
                          return_by=args.return_by, retire_complete_after=args.retire_complete_after,
                          title=args.title, today=args.as_of, overwrite=args.force)
    if args.json:
        _print_json(result.to_dict())
        return EXIT_OK
    print(f"wrote {args.out}: {result.info.title} for {result.info.period} ({result.actions} actions), from "
          f"{result.closing_period}; history: {', '.join(result.periods)}")
    if result.info.return_by:
        print(f"  updates are due back by {result.info.return_by:%d/%m/%Y}")
    for r in result.renumbered:
        print(f"  new Ref {r.new}: {r.describe()}")
    if result.retired:
        print(f"  retired (Complete for {result.info.retire_complete_after} period(s); history kept): "
              f"{', '.join(result.retired)}")
    carried = [f for f in result.report if f.code not in ("ref-given", "action-retired")]
    if carried:
        print(f"Carried into the new period ({len(carried)}): still needs a person")
        _print_findings(carried, limit=20)
    return EXIT_OK


def cmd_maintain(args: argparse.Namespace) -> int:
    from planbook.workbook import maintenance as m

    what, how = args.command, args.change
    if what == "lead":
        if how == "add":
            plan = m.add_lead(args.plan, args.name, args.email or "", out=args.out, overwrite=args.force)
            done = f"added lead {args.name!r}" + (f" ({args.email})" if args.email else "")
        elif how == "email":
            plan = m.set_lead_email(args.plan, args.name, args.email, out=args.out, overwrite=args.force)
            done = f"{args.name}'s email is now {args.email or '(none)'}"
        else:
            plan = m.rename_lead(args.plan, args.old, args.new, out=args.out, overwrite=args.force,
                                 merge=how == "merge")
            done = f"{'merged' if how == 'merge' else 'renamed'} lead {args.old!r} {'into' if how == 'merge' else 'as'} {args.new!r}"
    elif what == "theme":
        plan = m.rename_theme(args.plan, args.old, args.new, out=args.out, overwrite=args.force, merge=how == "merge",
                              heading=getattr(args, "heading", None))
        done = f"{'merged' if how == 'merge' else 'renamed'} theme {args.old!r} {'into' if how == 'merge' else 'as'} {args.new!r}"
    elif how == "move":
        plan = m.move_action(args.plan, args.refs, args.to, out=args.out, overwrite=args.force)
        done = f"moved {', '.join(args.refs)} to {args.to}"
    elif how == "retire":
        plan = m.retire_actions(args.plan, args.refs, out=args.out, overwrite=args.force)
        done = f"retired {', '.join(args.refs)} (off the leads' tabs; history kept)"
    else:
        plan = m.reopen_actions(args.plan, args.refs, out=args.out, overwrite=args.force)
        done = f"reopened {', '.join(args.refs)}"
    print(f"wrote {args.out or args.plan}: {done}; {len(plan.actions)} action(s), {len(plan.info.leads)} lead(s), "
          f"{len(plan.info.themes)} theme(s)" + (f", {len(plan.retired)} retired" if plan.retired else ""))
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from planbook.core.prose import attention_sentence
    from planbook.core.status import describe_counts
    from planbook.demo import run_demo

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
              + describe_counts(counts))
        print(f"  {attention_sentence(c.attention())}")
        print(f"  {c.actions_changed} action(s) changed since last quarter, "
              f"{len(c.not_updated)} with commentary unchanged (as last quarter's)")
    if result.tracker is not None:
        print("Returns:")
        _print_tracker(result.tracker)
        print(f"  saved {len(result.reminders.messages)} reminder(s) and {len(result.receipts.messages)} receipt(s) "
              "as unsent drafts")
    print("Files:")
    for label, path in result.files.items():
        print(f"  {label:<14} {os.path.abspath(path)}")
    if "coordinator" in result.files:
        print("Excel: open the coordinator workbook above, enable its macros and click Consolidate "
              "(docs/excel.md). For your own plan, make one on your computer with:")
        print("  planbook coordinator --out Coordinator.xlsm --plan plan.xlsx --returns returns")
    return EXIT_OK


def cmd_coordinator(args: argparse.Namespace) -> int:
    from planbook.coordinator import write_coordinator

    out = write_coordinator(args.out, plan=args.plan, returns=args.returns, output=args.output,
                            previous=args.previous, command=args.command, standalone=args.standalone,
                            overwrite=args.force)
    from planbook.excel import settings_from_workbook

    settings = settings_from_workbook(out)
    print(f"wrote {out}: open it in Excel and enable its macros when asked; its buttons run {settings['pb_command']}")
    for name in ("pb_master_plan", "pb_returns_folder", "pb_output_folder", "pb_previous"):
        if settings.get(name):
            print(f"  {_setting_label(name):<34} {settings[name]}")
    return EXIT_OK


def _setting_label(name: str) -> str:
    from planbook.excel import SETTINGS

    return SETTINGS[name][0]


def cmd_button(args: argparse.Namespace) -> int:
    from planbook.excel import run_job, settings_from_workbook, write_rows

    settings = settings_from_workbook(args.workbook) if args.workbook else {}
    for item in args.set or []:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise PlanbookError(f"--set takes NAME=VALUE (a Control-sheet setting's name, e.g. pb_output_folder), "
                                f"not {item!r}")
        settings[name.strip()] = value
    location = args.location or os.path.dirname(os.path.abspath(args.workbook or "x"))
    result = run_job(args.job, settings, location)
    if args.rows_file:
        write_rows(args.rows_file, result)
    if args.json:
        _print_json(result.to_dict(with_rows=not args.rows_file))
        return EXIT_OK
    print(result.status)
    for line in (result.counts, result.output):
        if line:
            print(f"  {line}")
    for sheet in result.sheets():
        print(f"{sheet.sheet}: {len(sheet.rows)} row(s)")
        for row in sheet.rows[:20]:
            print("  " + "  ".join(str(v) for v in row[:sheet.text_columns] if v not in (None, "")))
        if len(sheet.rows) > 20:
            print(f"  … and {len(sheet.rows) - 20} more (use --json for all)")
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
    from planbook.core.dates import parse_day

    day = parse_day(text)
    if day is None:
        raise argparse.ArgumentTypeError(f"not a date (use 31/03/2010 or 2010-03-31): {text!r}")
    return day


def cmd_split(args: argparse.Namespace) -> int:
    from planbook.workbook.reader import read_plan
    from planbook.workbook.split import split_read_plan, unassigned_actions

    plan = read_plan(args.plan)
    copies = split_read_plan(plan, args.out, force=args.force)
    orphans = unassigned_actions(plan)
    if args.json:
        _print_json({"output": str(args.out), "actions": sum(c.actions for c in copies),
                     "copies": [{"lead": c.lead, "actions": c.actions, "path": str(c.path)} for c in copies],
                     "no_lead": len(orphans)})
        return EXIT_OK
    for c in copies:
        print(f"  {c.lead:<40} {c.actions:>4} action(s)  {c.path}")
    print(f"wrote {len(copies)} lead workbook(s) to {args.out}")
    _say_unassigned(orphans, args.plan)
    return EXIT_OK


def _say_unassigned(orphans: list, plan: str) -> None:
    """The actions nobody was sent (the 'No lead' tab), in one line on stderr."""
    if orphans:
        print(f"planbook: {len(orphans)} action(s) on the 'No lead' tab have no lead, so no copy was made for them: "
              f"give each a lead in {plan} and split again", file=sys.stderr)


def cmd_consolidate(args: argparse.Namespace) -> int:
    from planbook.core.direction import count_directions
    from planbook.core.prose import attention_sentence
    from planbook.core.status import COUNT_LINES, describe_counts
    from planbook.rollup.pipeline import consolidate_to

    result = consolidate_to(args.inputs, args.out, previous=args.previous, today=args.as_of, period=args.period,
                            return_by=args.return_by, progress=None if args.json else _progress_printer())
    if args.json:
        from planbook.excel import issue_rows

        counts, attention = result.status_counts(), result.attention()
        _print_json({"output": str(args.out), "actions": len(result.actions), "findings": len(result.report),
                     "sources": [s.to_dict() for s in result.sources], "changes": result.actions_changed,
                     "status_counts": {s: counts.get(s, 0) for s in COUNT_LINES},
                     "counts_text": describe_counts(counts),
                     "exceptions": attention.total,
                     "attention": {"total": attention.total, "parts": attention.parts,
                                   "text": attention_sentence(attention)},
                     "directions": count_directions(result.directions) if result.directions is not None else None,
                     "data_issues": [dict(zip(ISSUE_FIELDS, row)) for row in issue_rows(result)]})
        return EXIT_OK
    used = [s for s in result.sources if not s.skipped]
    skipped = [s for s in result.sources if s.skipped]
    counts = result.status_counts()
    print(f"Consolidated {len(result.actions)} actions from {len(used)} file(s) into {args.out}")
    print("  " + describe_counts(counts, ": "))
    print(f"  {attention_sentence(result.attention())}")
    print(f"  {len(result.report.errors)} data error(s), "
          f"{len(result.report.warnings)} warning(s) on the {DATA_ISSUES} sheet"
          + (f"; {result.actions_changed} action(s) changed since {args.previous or 'last period'}, "
             f"{len(result.not_updated)} with commentary unchanged (as last time)" if result.changes is not None else ""))
    for s in skipped:
        if not s.skipped.startswith("superseded by "):  # said below, with the copy used
            print(f"  skipped {s.file}: {s.skipped}")
    _print_needs_a_person(result)
    return EXIT_OK


def _print_needs_a_person(result, limit: int = 20) -> None:
    """What a person must act on, with its cells: two copies from one lead, Ref collisions,
    unreadable returns, rows missing from a lead's return, copies of another plan."""
    from planbook.rollup.merge import NEEDS_A_PERSON

    for line in result.notices:
        print(f"  {line}")
    wanted = [f for f in result.report if f.code in NEEDS_A_PERSON and f.code != "superseded-copy"]
    wanted.sort(key=lambda f: (f.severity != "error", NEEDS_A_PERSON.index(f.code)))
    if wanted:
        print(f"Needs a person ({len(wanted)}):")
    for f in wanted[:limit]:
        where = "!".join(p for p in (f.file, f.sheet, f.cell) if p)
        print(f"  {where}: {f.severity}: {f.message}")
    if len(wanted) > limit:
        print(f"  … and {len(wanted) - limit} more on the {DATA_ISSUES} sheet")


def cmd_report(args: argparse.Namespace) -> int:
    from planbook.word.report import render_report

    out = render_report(args.consolidated, args.out, template=args.template,
                        recommendations=args.recommendation or (), all_commentary=args.all_commentary)
    summary: dict = {"output": str(out)}
    say = (lambda *a: None) if args.json else print
    say(f"wrote {out}")
    code = EXIT_OK
    if args.check_accessibility:
        from planbook.word.accessibility import check_docx

        checks = check_docx(out)
        for c in checks:
            say(f"  {'ok  ' if c.ok else 'FAIL'} {c.name}: {c.detail}")
        failed = [c.name for c in checks if not c.ok]
        say(f"accessibility: {len(checks) - len(failed)} of {len(checks)} checks passed"
            + (f"; failed: {', '.join(failed)}" if failed else ""))
        summary["accessibility_failed"] = failed
        code = EXIT_FINDINGS if failed else EXIT_OK
    if args.pdf:
        from planbook.word.pdf import to_pdf

        summary["pdf"] = str(to_pdf(out))
        say(f"wrote {summary['pdf']}")
    if args.json:
        _print_json(summary)
    return code


def _smtp_settings(args: argparse.Namespace):
    from planbook.mail.transport import SmtpSettings

    security = "ssl" if args.ssl else "starttls" if args.starttls else "none"
    return SmtpSettings(host=args.smtp_host, port=args.smtp_port, security=security, user=args.smtp_user,
                        timeout=args.smtp_timeout)


def cmd_email(args: argparse.Namespace) -> int:
    from planbook.mail.report_email import build_report_email, default_attachments
    from planbook.mail.transport import save_eml, send

    if args.save:  # before anything is read: the draft must not replace the workbook or an attachment
        from pathlib import Path

        from planbook.files.guard import refuse_overwriting_inputs, require_suffix

        attached = args.attach if args.attach is not None else default_attachments(Path(args.consolidated))
        refuse_overwriting_inputs(args.save, [args.consolidated, *attached], what="input")
        require_suffix(args.save, (".eml",), "an email draft")
    msg = build_report_email(args.consolidated, args.to, cc=args.cc or [], sender=args.sender,
                             subject=args.subject, attachments=args.attach)
    names = [part.get_filename() for part in msg.iter_attachments()]
    if args.save:
        path = save_eml(msg, args.save)  # checked against the inputs above, before anything was read
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
    from planbook.core.addresses import one_line
    from planbook.mail.requests import request_updates

    smtp = None if args.save_dir else _smtp_settings(args)
    requests, missing = request_updates(args.plan, args.out, args.return_by, sender=args.sender, smtp=smtp,
                                        save_dir=args.save_dir, force=args.force, only_unsent=args.only_unsent)
    for r in requests:
        print(f"  {one_line(r.lead):<40} {r.email:<36} {r.eml or 'sent'}")
    verb = "saved" if args.save_dir else "sent"
    print(f"{verb} {len(requests)} update request(s); workbooks in {args.out}")
    if args.only_unsent:
        from planbook.core.leads import lead_key
        from planbook.mail.requests import read_sent_log, requests_return_by

        now = {lead_key(r.lead) for r in requests}
        log = [row for key, row in read_sent_log(args.out, requests_return_by(args.plan, args.return_by)).items()
               if key not in now]
        earlier = [row["lead"] for row in log if row.get("confirmed") != "no"]
        unsure = [row["lead"] for row in log if row.get("confirmed") == "no"]
        if earlier:
            print(f"not asked again (sent before, in the sent log): {', '.join(earlier)}")
        if unsure:
            print(f"not asked again, but never confirmed by the server (check with them; to ask again, delete "
                  f"their line from the sent log in {args.out}): {', '.join(unsure)}")
    from planbook.workbook.reader import read_plan
    from planbook.workbook.split import unassigned_actions

    _say_unassigned(unassigned_actions(read_plan(args.plan)), args.plan)
    if missing:
        print(f"planbook: {len(missing)} lead(s) have no email address on the {LISTS} sheet and were NOT asked: "
              f"{', '.join(missing)}", file=sys.stderr)
        return EXIT_FINDINGS
    return EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    from planbook.legacy.importer import import_plan
    from planbook.legacy.leads import write_leads_csv
    from planbook.legacy.summary import render_text

    result = import_plan(args.legacy, args.out, mapping=args.map or [], title=args.title, period=args.period or "",
                         overwrite=args.force, leads=args.leads, coordinator=args.coordinator or "",
                         coordinator_email=args.coordinator_email or "", return_by=args.return_by,
                         themes=args.themes)
    if args.write_leads:
        write_leads_csv(args.write_leads, result.leads)
    if args.json:
        print(json.dumps({**result.to_dict(), "output": str(args.out)}, ensure_ascii=False, indent=1))
        return EXIT_OK
    print(render_text(result, str(args.out)))
    _print_findings([f for f in result.report if f.severity != "info"], limit=15)
    return EXIT_OK


def _print_tracker(tracker) -> None:
    from planbook.core.dates import table_date

    print(f"{tracker.title or 'Plan'} ({tracker.period or 'no period'}): {tracker.sentence()}")
    for r in tracker.leads:
        when = table_date(r.modified) if r.modified else ""
        print(f"  {r.state:<21} {r.lead:<32} {os.path.basename(r.file) or '-':<28} {when:<16} "
              f"{r.updated:>3}/{r.actions:<3} updated{f' (+{r.added} added)' if r.added else ''}  "
              f"{r.error_count} error(s)")
        if r.arrival:
            print(f"      {r.arrival}")
        for other in r.other_files:
            print(f"      also returned {other} (nothing tells it apart from the one used: check which is right)"
                  if other in r.alike else f"      also returned {other} (older: not used)")
        if r.unreadable:
            print(f"      {r.unreadable}")
        if r.later_unreadable:
            print(f"      sent later, could not be read: {r.later_unreadable}")
    for file, why in tracker.skipped:
        print(f"  skipped {file}: {why}")
    if tracker.no_lead:
        print(f"  {tracker.no_lead} action(s) on the 'No lead' tab have no lead: nobody is asked for them")


def cmd_collect(args: argparse.Namespace) -> int:
    from planbook.core.addresses import one_line
    from planbook.mail.collect import collect_returns
    from planbook.rollup import arrivals

    imap = None
    if args.imap_host:
        from planbook.mail.imap import ImapSettings

        if not args.imap_user:
            raise PlanbookError("--imap-host needs --imap-user USER (the password comes from PLANBOOK_IMAP_PASSWORD)")
        imap = ImapSettings(host=args.imap_host, user=args.imap_user, folder=args.imap_folder, port=args.imap_port,
                            security="starttls" if args.starttls else "ssl", oauth=args.imap_oauth,
                            cafile=args.imap_cafile, timeout=args.imap_timeout)
    run = collect_returns(args.plan, args.returns, messages=args.messages, imap=imap, mark_read=args.mark_read,
                          move_to=args.move_to, since=args.since)
    if args.json:
        _print_json(run.to_dict())
        return EXIT_UNUSABLE if run.problems else EXIT_OK
    where = args.messages or f"{args.imap_user}@{args.imap_host}/{args.imap_folder}"
    print(f"Collected from {where} into {run.returns_dir}: {len(run.saved)} return(s) saved, "
          f"{len(run.of(arrivals.SET_ASIDE_OUTCOME))} set aside, {len(run.of(arrivals.SAME_FILE))} already saved, "
          f"{run.already} message(s) collected before"
          + (f", {run.repeated} met twice in this run (the same message saved twice)" if run.repeated else ""))
    for a in run.arrivals:
        what = f"{a.attachment!r}" if a.attachment else "(no attachment)"
        about = f"{a.describe()}: {one_line(a.subject)!r}"
        dest = f" -> {a.saved_as}" if a.saved_as and a.outcome != arrivals.SAME_FILE else ""
        print(f"  {a.outcome:<14} {what}{dest}  {about}" + (f"  [{a.note}]" if a.note else ""))
    if run.marked_read or run.moved:
        print(f"  {run.marked_read} message(s) marked read, {run.moved} moved to {args.move_to}" if args.move_to
              else f"  {run.marked_read} message(s) marked read")
    for line in run.problems:
        print(f"planbook: {line}", file=sys.stderr)
    if run.tracker is not None:
        print("Returns:")
        _print_tracker(run.tracker)
    return EXIT_UNUSABLE if run.problems else EXIT_OK


def cmd_returns(args: argparse.Namespace) -> int:
    from planbook.rollup.pipeline import track_returns

    tracker = track_returns(args.plan, args.returns, return_by=args.return_by)
    if args.json:
        print(json.dumps(tracker.to_dict(), ensure_ascii=False, indent=1))
    else:
        _print_tracker(tracker)
    return EXIT_OK


def _print_mail_run(run, what: str, args: argparse.Namespace) -> int:
    if args.json:
        _print_json(run.to_dict())  # ASCII: the coordinator workbook's Chase leads button reads it
    else:
        if run.tracker is not None:
            _print_tracker(run.tracker)
        verb = "would send" if run.dry_run else "saved" if getattr(args, "save_dir", None) else "sent"
        for m in run.messages:
            where = f" -> {m.eml}" if m.eml else ""
            print(f"  {what} to {m.to} ({', '.join(m.leads)}; {', '.join(m.reasons)}): "
                  f"{len(m.attachments)} attachment(s), {len(m.problems)} problem(s) listed{where}")
        print(f"{verb} {len(run.messages)} {what}(s)")
    if run.no_email:
        print(f"planbook: {len(run.no_email)} lead(s) have no email address on the {LISTS} sheet and were NOT "
              f"messaged: {', '.join(run.no_email)}", file=sys.stderr)
        return EXIT_FINDINGS
    return EXIT_OK


def cmd_chase(args: argparse.Namespace) -> int:
    from planbook.mail.chasing import chase

    smtp = _smtp_settings(args) if args.smtp_host and not args.dry_run else None
    run = chase(args.plan, args.returns, return_by=args.return_by, sender=args.sender, smtp=smtp,
                save_dir=args.save_dir, copies_dir=args.copies, dry_run=args.dry_run)
    return _print_mail_run(run, "reminder", args)


def cmd_receipts(args: argparse.Namespace) -> int:
    from planbook.mail.chasing import receipts

    smtp = _smtp_settings(args) if args.smtp_host and not args.dry_run else None
    run = receipts(args.consolidated, sender=args.sender, smtp=smtp, save_dir=args.save_dir, plan=args.plan,
                   dry_run=args.dry_run)
    return _print_mail_run(run, "receipt", args)


def _add_smtp_options(p: argparse.ArgumentParser, save_flag: str, save_help: str, dry_run: bool = False) -> None:
    p.add_argument("--from", dest="sender", metavar="ADDR", help="sender address (default: the plan's coordinator)")
    where = p.add_mutually_exclusive_group(required=not dry_run)
    where.add_argument("--smtp-host", metavar="HOST", help="send through this SMTP server")
    where.add_argument(save_flag, metavar="PATH", help=save_help)
    p.add_argument("--smtp-port", type=int, metavar="PORT",
                   help="the server's port (default: 25, 587 with --starttls, 465 with --ssl)")
    sec = p.add_mutually_exclusive_group()
    sec.add_argument("--starttls", action="store_true", help="upgrade the connection to TLS (STARTTLS)")
    sec.add_argument("--ssl", action="store_true", help="connect with TLS from the start (SMTPS)")
    p.add_argument("--smtp-user", metavar="USER", help="login user; the password comes from PLANBOOK_SMTP_PASSWORD")
    p.add_argument("--smtp-timeout", type=float, default=60.0, metavar="SECONDS",
                   help="give up on a server that does not answer a step within this time (default 60)")
    if dry_run:
        p.add_argument("--dry-run", action="store_true", help="show who would get what; send and save nothing")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="planbook", description="Run action plans in Excel.")
    parser.add_argument("--version", action="version", version=f"planbook {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("new", help="create a standard plan workbook with a tab per lead")
    p.add_argument("out", metavar="OUT.xlsx", help="the plan workbook to write")
    p.add_argument("--title", required=True, help="the plan's title")
    p.add_argument("--period", required=True, help='reporting period, e.g. "Q2 2009/10"')
    p.add_argument("--lead", action="append", metavar="NAME",
                   help='a lead (repeat for each); "NAME <ADDRESS>" also gives the address their update '
                        'requests, reminders and receipts go to')
    p.add_argument("--theme", action="append", metavar="NAME", help="a theme (repeat for each)")
    p.add_argument("--coordinator", help="the coordinator's name (signs the emails)")
    p.add_argument("--coordinator-email", metavar="ADDR",
                   help="the coordinator's address: leads reply to it and planbook's emails come from it")
    p.add_argument("--return-by", type=_date_arg, metavar="DATE", help="the date leads return their updates by")
    p.add_argument("--force", action="store_true", help="replace OUT if it exists")
    p.set_defaults(func=cmd_new, api=("new_plan",))

    p = sub.add_parser("validate", help="check a plan workbook and list problems by cell")
    p.add_argument("plan", metavar="PLAN.xlsx", help="the plan workbook (a master or a lead's copy)")
    p.add_argument("--json", action="store_true", help="print the findings as JSON")
    p.set_defaults(func=cmd_validate, api=("validate_plan",))

    p = sub.add_parser("settings", help="show or change the plan's settings: title, period, coordinator, return-by date")
    p.add_argument("plan", metavar="PLAN.xlsx", help="the master plan")
    p.add_argument("--title", help="the plan's title (the Guide's heading)")
    p.add_argument("--period", help='reporting period, e.g. "Q3 2009/10"')
    p.add_argument("--coordinator", help="the coordinator's name (sender and sign-off of every email)")
    p.add_argument("--coordinator-email", metavar="ADDR", help="the address emails are sent from")
    p.add_argument("--return-by", type=_date_arg, metavar="DATE", help="the date leads return their updates by")
    p.add_argument("--retire-complete-after", type=int, metavar="N",
                   help="a Complete action leaves the leads' copies after N periods Complete (0: never); "
                        "it stays in the history")
    p.add_argument("--out", metavar="OUT.xlsx", help="write the changed plan here (default: change PLAN in place)")
    p.add_argument("--force", action="store_true", help="replace OUT if it exists")
    p.add_argument("--json", action="store_true", help="print the settings as JSON")
    p.set_defaults(func=cmd_settings, api=("change_settings",))

    _add_maintenance(sub)

    p = sub.add_parser("split", help="write one workbook per lead, to send out for updates")
    p.add_argument("plan", metavar="PLAN.xlsx", help="the master plan")
    p.add_argument("--out", required=True, metavar="DIR", help="folder for the leads' copies (made if missing)")
    p.add_argument("--force", action="store_true", help="replace files that already exist")
    p.add_argument("--json", action="store_true", help="print a JSON summary")
    p.set_defaults(func=cmd_split, api=("split_plan",))

    p = sub.add_parser("consolidate", help="roll up plans and leads' returned workbooks into one workbook")
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="workbooks and/or folders of them")
    p.add_argument("--out", required=True, metavar="OUT.xlsx", help="the consolidated workbook to write")
    p.add_argument("--previous", metavar="PREV.xlsx", help="the last consolidation, to report what changed")
    p.add_argument("--period", help="reporting period (default: from the plans)")
    p.add_argument("--as-of", type=_date_arg, metavar="DATE", help="date for overdue checks (default: today)")
    p.add_argument("--return-by", type=_date_arg, metavar="DATE",
                   help=f"returns modified after this date are marked late on the {RETURNS} sheet")
    p.add_argument("--json", action="store_true", help="print a JSON summary")
    p.set_defaults(func=cmd_consolidate, api=("consolidate_to",))

    p = sub.add_parser("roll-forward", help="make next period's master plan from this period's consolidation "
                                            "(or the master and its returns)")
    p.add_argument("inputs", nargs="+", metavar="INPUT",
                   help="the consolidated workbook, or the master plan and its returns (files or folders)")
    p.add_argument("--period", required=True, help='the new reporting period, e.g. "Q3 2009/10"')
    p.add_argument("--return-by", type=_date_arg, metavar="DATE", help="the date the new round's updates are due")
    p.add_argument("--out", required=True, metavar="PLAN.xlsx", help="the new master plan")
    p.add_argument("--retire-complete-after", type=int, metavar="N",
                   help="take actions Complete for N periods out of the leads' copies (0: never; kept in the "
                        "history); saved as the plan's rule")
    p.add_argument("--title", help="a new plan title (default: as it is)")
    p.add_argument("--as-of", type=_date_arg, metavar="DATE", help="date for overdue checks (from returns)")
    p.add_argument("--force", action="store_true", help="replace PLAN.xlsx if it exists")
    p.add_argument("--json", action="store_true", help="print a JSON summary")
    p.set_defaults(func=cmd_roll_forward, api=("roll_forward",))

    p = sub.add_parser("report", help="write the Word progress report from a consolidated workbook")
    p.add_argument("consolidated", metavar="CONSOLIDATED.xlsx", help="the consolidated workbook")
    p.add_argument("--out", required=True, metavar="SUMMARY.docx", help="the Word report to write")
    p.add_argument("--template", metavar="T.docx", help="your own Word template (default: templates/summary.docx)")
    p.add_argument("--recommendation", action="append", metavar="TEXT",
                   help="a recommendation to the committee (repeat for more; default: a placeholder to edit)")
    p.add_argument("--all-commentary", action="store_true",
                   help="list every commentary update in full, before and after, with the other changes "
                        "(default: counted by theme; the commentary itself is in the appendix)")
    p.add_argument("--pdf", action="store_true", help="also write a tagged PDF beside it (needs LibreOffice)")
    p.add_argument("--check-accessibility", action="store_true",
                   help="check the report: language, headings, alt text, header rows, status words, contrast")
    p.add_argument("--json", action="store_true", help="print a JSON summary")
    p.set_defaults(func=cmd_report, api=("render_report", "to_pdf", "check_docx"))

    p = sub.add_parser("email", help="email the rolled-up report, or save it as an unsent .eml draft")
    p.add_argument("consolidated", metavar="CONSOLIDATED.xlsx", help="the consolidated workbook")
    p.add_argument("--to", action="append", required=True, metavar="ADDR", help="a recipient (repeat for more)")
    p.add_argument("--cc", action="append", metavar="ADDR", help="a copy recipient (repeat for more)")
    p.add_argument("--attach", action="append", metavar="FILE",
                   help="attach FILE (default: the workbook and the summary .docx beside it)")
    p.add_argument("--subject", help='the subject (default: "TITLE: progress report PERIOD")')
    _add_smtp_options(p, "--save", "write MESSAGE.eml (unsent draft) instead of sending")
    p.add_argument("--json", action="store_true", help="print a JSON summary")
    p.set_defaults(func=cmd_email, api=("build_report_email", "save_eml", "send"))

    p = sub.add_parser("request-updates", help="split the plan and email each lead their workbook")
    p.add_argument("plan", metavar="PLAN.xlsx", help="the master plan (leads' addresses from its Lists sheet)")
    p.add_argument("--out", required=True, metavar="DIR", help="folder for the leads' workbooks")
    p.add_argument("--return-by", type=_date_arg, metavar="DATE",
                   help="the date leads are asked to return their update by (31/03/2010 or 2010-03-31; "
                        "default: the plan's return-by date)")
    p.add_argument("--force", action="store_true", help="replace workbooks already in DIR")
    _add_smtp_options(p, "--save-dir", "write one .eml per lead into this folder instead of sending")
    p.add_argument("--only-unsent", action="store_true",
                   help="after a send that stopped part way: ask only the leads not in DIR's sent log")
    p.set_defaults(func=cmd_request_updates, api=("request_updates",))

    p = sub.add_parser("import", help="import a plan kept in Word, Excel or CSV in its own layout")
    p.add_argument("legacy", metavar="LEGACY", help=".xlsx, .xlsm, .docx or .csv")
    p.add_argument("--out", required=True, metavar="PLAN.xlsx", help="the standard plan workbook to write")
    p.add_argument("--map", action="append", metavar='"HEADER=COLUMN"',
                   help='map a header to a standard column, e.g. "Owner=Lead", or "Notes=extra" to keep it')
    p.add_argument("--title", help="plan title (default: the document's title)")
    p.add_argument("--period", help='reporting period, e.g. "Q1 2009/10"')
    p.add_argument("--coordinator", help="the coordinator's name (sender and sign-off of every email)")
    p.add_argument("--coordinator-email", metavar="ADDR", help="the address emails are sent from")
    p.add_argument("--return-by", type=_date_arg, metavar="DATE", help="the date leads return their updates by")
    p.add_argument("--force", action="store_true", help="replace PLAN.xlsx if it exists")
    p.add_argument("--leads", metavar="FILE", help="CSV of lead aliases: name as written, lead to use")
    p.add_argument("--themes", metavar="FILE",
                   help="CSV of theme names: heading as written, (short) theme to use; the heading is kept with it")
    p.add_argument("--write-leads", metavar="FILE",
                   help="write every lead name as written and the lead it went to (a --leads file to edit)")
    p.add_argument("--json", action="store_true", help="print the import report as JSON")
    p.set_defaults(func=cmd_import, api=("import_plan",))

    p = sub.add_parser("returns", help="which leads have returned their update, and with how many errors")
    p.add_argument("plan", metavar="PLAN.xlsx", help="the master plan")
    p.add_argument("returns", metavar="RETURNS", help="the folder the leads' returned workbooks are saved in")
    p.add_argument("--return-by", type=_date_arg, metavar="DATE", help="returns modified after this are late")
    p.add_argument("--json", action="store_true", help="print the tracker as JSON")
    p.set_defaults(func=cmd_returns, api=("track_returns",))

    p = sub.add_parser("collect", help="save the workbooks leads emailed back into the returns folder")
    p.add_argument("plan", metavar="PLAN.xlsx", help="the master plan (its Lists sheet has the leads' addresses)")
    p.add_argument("returns", metavar="RETURNS", help="the folder the leads' returned workbooks are saved in")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--messages", metavar="PATH", help="a folder of saved messages (.eml, .msg, mbox), or one such file")
    src.add_argument("--imap-host", metavar="HOST", help="read the mailbox on this IMAP server (TLS)")
    p.add_argument("--imap-user", metavar="USER",
                   help="mailbox login; the password comes from PLANBOOK_IMAP_PASSWORD")
    p.add_argument("--imap-folder", default="INBOX", metavar="FOLDER", help="the mailbox folder (default INBOX)")
    p.add_argument("--imap-port", type=int, metavar="PORT", help="default 993 (143 with --starttls)")
    p.add_argument("--starttls", action="store_true", help="connect in clear, then STARTTLS (default: TLS from the start)")
    p.add_argument("--imap-oauth", action="store_true",
                   help="log in with an OAuth2 access token (XOAUTH2) from PLANBOOK_IMAP_TOKEN")
    p.add_argument("--imap-cafile", metavar="PEM", help="trust this CA certificate (default: the system's)")
    p.add_argument("--imap-timeout", type=float, default=60.0, metavar="SECONDS",
                   help="give up on a server that does not answer a step within this time (default 60)")
    p.add_argument("--since", type=_date_arg, metavar="DATE", help="only messages received on or after this day")
    p.add_argument("--mark-read", action="store_true", help="mark the messages collected as read (IMAP)")
    p.add_argument("--move-to", metavar="FOLDER", help="move the messages collected to this mailbox folder (IMAP)")
    p.add_argument("--json", action="store_true", help="print what was collected as JSON")
    p.set_defaults(func=cmd_collect, api=("collect_returns",))

    p = sub.add_parser("chase", help="remind leads who have not returned, or whose return has errors")
    p.add_argument("plan", metavar="PLAN.xlsx", help="the master plan (leads' addresses from its Lists sheet)")
    p.add_argument("returns", metavar="RETURNS", help="the folder the leads' returned workbooks are saved in")
    p.add_argument("--return-by", type=_date_arg, metavar="DATE", help="the date updates were due by, said in the reminder")
    p.add_argument("--copies", metavar="DIR", help="the folder the leads' copies were sent from (attached again)")
    p.add_argument("--json", action="store_true", help="print what was done as JSON")
    _add_smtp_options(p, "--save-dir", "write one .eml draft per lead into this folder instead of sending", dry_run=True)
    p.set_defaults(func=cmd_chase, api=("chase",))

    p = sub.add_parser("receipts", help="send each lead who returned a receipt: their counts, changes, problems")
    p.add_argument("consolidated", metavar="CONSOLIDATED.xlsx", help="the consolidation the returns went into")
    p.add_argument("--plan", metavar="PLAN.xlsx", help="the master plan, for leads' addresses (default: the consolidation's)")
    p.add_argument("--json", action="store_true", help="print what was done as JSON")
    _add_smtp_options(p, "--save-dir", "write one .eml draft per lead into this folder instead of sending", dry_run=True)
    p.set_defaults(func=cmd_receipts, api=("receipts",))

    p = sub.add_parser("coordinator", help="write the coordinator's Excel workbook with its buttons, on this computer")
    p.add_argument("--out", default="Coordinator.xlsm", metavar="OUT.xlsm", help="default: Coordinator.xlsm here")
    p.add_argument("--plan", metavar="PLAN.xlsx", help="the master plan (default: plan.xlsx beside the workbook)")
    p.add_argument("--returns", metavar="DIR", help="the folder leads' returns are saved in (default: returns)")
    p.add_argument("--output", metavar="DIR", help="where the buttons write their files (default: output)")
    p.add_argument("--previous", metavar="PREV.xlsx", help="the last consolidation, to report what changed")
    p.add_argument("--command", metavar="PATH", help="the planbook program the buttons run (default: this one)")
    p.add_argument("--standalone", action="store_true",
                   help="embed xlwings' VBA module, so the xlwings way works without its add-in")
    p.add_argument("--force", action="store_true", help="replace OUT if it exists")
    p.set_defaults(func=cmd_coordinator, api=("write_coordinator",))

    p = sub.add_parser("button", help="do what a coordinator workbook's button does, without Excel")
    p.add_argument("job", choices=JOBS, metavar="JOB",
                   help="the button's job: " + ", ".join(f"{b.job} ({b.caption})" for b in BUTTONS))
    p.add_argument("workbook", nargs="?", metavar="COORDINATOR.xlsm", help="read the settings saved in it")
    p.add_argument("--set", action="append", metavar="NAME=VALUE",
                   help="a Control-sheet setting by its name, e.g. pb_output_folder=output (repeat for more)")
    p.add_argument("--location", metavar="FOLDER",
                   help="the folder (or OneDrive/SharePoint address) relative paths start from "
                        "(default: the workbook's folder, or here)")
    p.add_argument("--rows-file", metavar="PATH",
                   help=f"write the rows for the {DATA_ISSUES} or {RETURNS} sheet to PATH, for the macros "
                        "(--json then counts them)")
    p.add_argument("--json", action="store_true", help="print what the button shows as JSON")
    p.set_defaults(func=cmd_button, api=("run_job",))

    p = sub.add_parser("demo", help="build the demo plan from bundled example data")
    p.add_argument("--out", default="demo-output", metavar="DIR", help="folder for the demo's files (made if missing)")
    p.set_defaults(func=cmd_demo, api=("run_demo",))
    return parser


def _add_maintenance(sub) -> None:
    """``planbook lead …``, ``planbook theme …``, ``planbook action …``: plan maintenance."""
    api = {("lead", "add"): "add_lead", ("lead", "email"): "set_lead_email", ("lead", "rename"): "rename_lead",
           ("lead", "merge"): "merge_leads", ("theme", "rename"): "rename_theme", ("theme", "merge"): "merge_themes",
           ("action", "move"): "move_action", ("action", "retire"): "retire_actions",
           ("action", "reopen"): "reopen_actions"}

    def change(group, name: str, help: str):
        p = group.add_parser(name, help=help)
        p.add_argument("plan", metavar="PLAN.xlsx", help="the master plan")
        p.set_defaults(func=cmd_maintain, api=(api[(nouns[id(group)], name)],))
        return p

    def out(p) -> None:
        p.add_argument("--out", metavar="OUT.xlsx", help="write the changed plan here (default: change PLAN in place)")
        p.add_argument("--force", action="store_true", help="replace OUT if it exists")

    lead_parser = sub.add_parser("lead", help="add, rename or merge the plan's leads")
    lead_parser.set_defaults(api=("add_lead", "set_lead_email", "rename_lead", "merge_leads"))
    lead = lead_parser.add_subparsers(
        dest="change", required=True, metavar="CHANGE")
    nouns = {id(lead): "lead"}
    p = change(lead, "add", "add a lead: on the Lists sheet, with a tab of their own")
    p.add_argument("name", metavar="NAME")
    p.add_argument("--email", metavar="ADDR")
    out(p)
    p = change(lead, "email", "set a lead's email address")
    p.add_argument("name", metavar="NAME")
    p.add_argument("email", metavar="ADDR")
    out(p)
    for name, help in (("rename", "rename a lead everywhere: actions, Lists, tab, history"),
                       ("merge", "put a lead's actions with another lead's, and take the first off the plan")):
        p = change(lead, name, help)
        p.add_argument("old", metavar="LEAD")
        p.add_argument("new", metavar="INTO" if name == "merge" else "NEW")
        out(p)
    theme_parser = sub.add_parser("theme", help="rename or merge the plan's themes")
    theme_parser.set_defaults(api=("rename_theme", "merge_themes"))
    theme = theme_parser.add_subparsers(
        dest="change", required=True, metavar="CHANGE")
    nouns[id(theme)] = "theme"
    for name, help in (("rename", "rename a theme everywhere: actions, Lists, history"),
                       ("merge", "put a theme's actions under another theme, and take the first off the plan")):
        p = change(theme, name, help)
        p.add_argument("old", metavar="THEME")
        p.add_argument("new", metavar="INTO" if name == "merge" else "NEW")
        if name == "rename":
            p.add_argument("--heading", help="the full section heading the (short) theme name stands for")
        out(p)
    action_parser = sub.add_parser("action", help="move, retire or reopen actions")
    action_parser.set_defaults(api=("move_action", "retire_actions", "reopen_actions"))
    action = action_parser.add_subparsers(
        dest="change", required=True, metavar="CHANGE")
    nouns[id(action)] = "action"
    p = change(action, "move", "hand actions to another lead (onto their tab)")
    p.add_argument("refs", nargs="+", metavar="REF")
    p.add_argument("--to", required=True, metavar="LEAD")
    out(p)
    for name, help in (("retire", "take actions off the leads' tabs (history kept)"),
                       ("reopen", "put retired actions back on their lead's tab")):
        p = change(action, name, help)
        p.add_argument("refs", nargs="+", metavar="REF")
        out(p)


#: Options holding text for the outputs (not paths): characters no workbook, document or
#: email can hold are replaced, with a warning.
_TEXT_OPTIONS = ("title", "period", "lead", "theme", "coordinator", "subject")


def _clean_text_options(args: argparse.Namespace) -> None:
    from planbook.core.text import clean_text, describe, has_bad

    for name in _TEXT_OPTIONS:
        value = getattr(args, name, None)
        values = value if isinstance(value, list) else [value]
        cleaned = []
        for v in values:
            if isinstance(v, str) and has_bad(v):
                new = " ".join(clean_text(v).split())
                print(f"planbook: warning: control-character: --{name.replace('_', '-')} {new!r} held {describe(v)}, "
                      "which Excel and Word cannot save; replaced by a space", file=sys.stderr)
                v = new
            cleaned.append(v)
        if isinstance(value, (list, str)):
            setattr(args, name, cleaned if isinstance(value, list) else cleaned[0])


def _not_utf8(argv: Sequence[str]) -> str | None:
    """The first argument that is not valid UTF-8 (Python holds its bad bytes as surrogates)."""
    for arg in argv:
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            return arg.encode("utf-8", "surrogateescape").decode("ascii", "backslashreplace")
    return None


def _interrupt_on_termination() -> None:
    """SIGTERM and SIGHUP stop a run as Ctrl-C does: temporary files are removed, helper
    processes stopped, and no output is left half-written."""
    import signal

    def stop(signum, frame):
        raise KeyboardInterrupt

    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            try:
                signal.signal(getattr(signal, name), stop)
            except (ValueError, OSError):  # not the main thread
                pass


#: Set when a Ctrl-C or SIGTERM came after the run began putting its output in place.
_LATE_INTERRUPT: list[int] = []


def _finish_from_here() -> None:
    """The run is putting its output in place: from now on a Ctrl-C (or SIGTERM) is noted, not
    obeyed, so the run finishes — the new output whole, exit 0 — and says it was interrupted too
    late to stop.  Before this moment an interruption stops it with the old output untouched."""
    import signal

    def late(signum, frame):
        _LATE_INTERRUPT.append(signum)

    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            try:
                signal.signal(getattr(signal, name), late)
            except (ValueError, OSError):  # not the main thread
                pass


def _ignore_interrupts() -> None:
    """The exit code is decided: a Ctrl-C while Python shuts down must neither print a traceback
    ("Exception ignored in: <module 'threading'>") nor end the process by the signal."""
    import signal

    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            try:
                signal.signal(getattr(signal, name), signal.SIG_IGN)
            except (ValueError, OSError):
                pass


def _handlers() -> dict:
    import signal

    out = {}
    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            out[getattr(signal, name)] = signal.getsignal(getattr(signal, name))
    return out


def _restore_handlers(saved: dict) -> None:
    import signal

    for signum, handler in saved.items():
        try:
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)
        except (ValueError, OSError, TypeError):
            pass


def _stop_helpers_and_tidy() -> None:
    """After an interruption: stop helper processes still running and remove the temporary
    files this run made (whatever moment the interruption came at)."""
    import multiprocessing

    from planbook.files.atomic import remove_own_temporaries

    for child in multiprocessing.active_children():
        child.kill()
        child.join()
    remove_own_temporaries()


def _quiet_unraisable(unraisable) -> None:
    """An error Python can only print as "Exception ignored in …" — a library's half-written file
    failing again to flush as it is freed after the disk filled up — is not shown: the run
    has already said, in one line, why the output could not be written."""
    if isinstance(unraisable.exc_value, OSError) and not os.environ.get("PLANBOOK_DEBUG"):
        return
    sys.__unraisablehook__(unraisable)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code (never lets a traceback reach the user)."""
    parser = build_parser()
    bad = _not_utf8(sys.argv[1:] if argv is None else argv)
    if bad is not None:
        print(f"planbook: an argument is not valid UTF-8 (rename the file or retype it): {bad}", file=sys.stderr)
        return EXIT_UNUSABLE
    args = parser.parse_args(argv)
    saved = _handlers()
    _interrupt_on_termination()
    sys.unraisablehook = _quiet_unraisable
    from planbook.files.atomic import BEFORE_COMMIT

    BEFORE_COMMIT.append(_finish_from_here)
    try:
        _clean_text_options(args)
        code = args.func(args)
        if _LATE_INTERRUPT:
            print("planbook: interrupted as the output was being put in place: the run finished and the output "
                  "is complete", file=sys.stderr)
        return code
    except PlanbookError as exc:
        print(f"planbook: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    except KeyboardInterrupt:
        _stop_helpers_and_tidy()
        print("planbook: interrupted before the output was written: nothing was changed (an earlier output is "
              "as it was)", file=sys.stderr)
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
    finally:
        BEFORE_COMMIT.remove(_finish_from_here)
        if argv is None:  # the process's own command: it ends now
            _ignore_interrupts()
        else:  # called from Python (a test, the Excel button): its handlers as they were
            _restore_handlers(saved)


if __name__ == "__main__":
    sys.exit(main())
