"""A scripted year of a plan: four quarters of asking for updates, leads filling in their copies in
Excel (played with openpyxl), consolidating, reporting, and rolling forward — with the things real
leads and coordinators do: update, add an action, hand an action to another lead, skip a
quarter, return late, type ``G`` for a status; add a lead and rename a theme between quarters.

Every check here reads what planbook wrote with openpyxl (never planbook's own reader) and
compares it with what the script typed.  Used by tests/test_year.py; run it directly to keep
the files (``python tests/year_scenario.py demo OUT``) and look at them.
"""
from __future__ import annotations

import datetime as dt
import email
import os
import shutil
import sys
from dataclasses import dataclass, field
from email import policy
from email.utils import formataddr
from pathlib import Path

import openpyxl

from planbook.core.direction import NEW_DIRECTION, direction
from planbook.core.status import normalise_status
from planbook.demo import demo_plan
from planbook.legacy.importer import import_plan
from planbook.mail.report_email import build_report_email
from planbook.mail.requests import request_updates
from planbook.rollup.pipeline import consolidate_to
from planbook.rollup.rollforward import roll_forward
from planbook.word.report import render_report
from planbook.workbook import maintenance
from planbook.workbook.edit import open_for_edit, save_plan
from planbook.workbook.writer import write_plan

QUARTERS = ["Q1 2009/10", "Q2 2009/10", "Q3 2009/10", "Q4 2009/10"]
RETURN_BY = [dt.date(2009, 7, 3), dt.date(2009, 10, 2), dt.date(2010, 1, 8), dt.date(2010, 4, 9)]
AS_OF = [dt.date(2009, 7, 9), dt.date(2009, 10, 9), dt.date(2010, 1, 14), dt.date(2010, 4, 15)]
STATUS_CYCLE = ["On track", "Slippage", "On track", "Complete", "Off track", "On track", "Not started"]
TECHNICAL = {"Direction", "Overdue", "Due by", "Note", "Source file", "Source sheet", "Source row", "Trend"}
NEW_LEAD = "Partnership Development Officer"
SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples"
if not SAMPLES.exists():
    SAMPLES = Path(__file__).resolve().parent / "samples"


# ---------------------------------------------------------------- reading with openpyxl

def table(path: Path, sheet: str) -> list[dict[str, object]]:
    """A sheet's rows under its header row, as header -> value (openpyxl)."""
    wb = openpyxl.load_workbook(path, read_only=True)
    rows = list(wb[sheet].iter_rows(values_only=True))
    wb.close()
    if not rows:
        return []
    header = list(rows[0])
    return [dict(zip(header, r)) for r in rows[1:] if any(v not in (None, "") for v in r)]


def lead_tabs(path: Path) -> dict[str, list[dict[str, object]]]:
    """Every lead tab (a sheet headed Ref … Action) of a plan or a copy, as rows."""
    wb = openpyxl.load_workbook(path, read_only=True)
    out = {}
    for ws in wb.worksheets:
        rows = list(ws.iter_rows(values_only=True))
        if rows and rows[0] and rows[0][0] == "Ref" and "Action" in rows[0] and ws.title not in ("Retired actions", "History"):
            header = list(rows[0])
            out[ws.title] = [dict(zip(header, r)) for r in rows[1:]
                             if any(v not in (None, "") for h, v in zip(header, r)
                                    if h not in ("Last period's status", "Last period's update"))]
    wb.close()
    return out


def tab_owners(path: Path) -> dict[str, str]:
    """Lead tab -> the lead it belongs to, from the hidden metadata (a tab name is cut to 31 characters)."""
    wb = openpyxl.load_workbook(path, read_only=True)
    rows = list(wb["_planbook"].iter_rows(values_only=True))
    wb.close()
    return {tab: lead or tab for k, v in rows if k == "lead_tab" for tab, _, lead in [str(v).partition("\t")]}


def by_lead(path: Path) -> dict[str, list[dict[str, object]]]:
    """A plan's lead tabs by the lead's name."""
    owner = tab_owners(path)
    return {owner.get(tab, tab): rows for tab, rows in lead_tabs(path).items()}


def lists(path: Path) -> dict[str, str]:
    return {str(r["Lead"]): r.get("Email") or "" for r in table(path, "Lists") if r.get("Lead")}


def text(v: object) -> str:
    return "" if v is None else str(v)


# ---------------------------------------------------------------- a lead in Excel

def edit_copy(path: Path, tab: str, edits: list[tuple[int, str, object]]) -> None:
    """(row, header, value): what a lead types into their copy (openpyxl, as Excel would save it)."""
    wb = openpyxl.load_workbook(path)
    ws = wb[tab]
    header = [c.value for c in ws[1]]
    for r, h, value in edits:
        ws.cell(r, header.index(h) + 1).value = value
    wb.save(path)


@dataclass
class Quarter:
    """What one quarter did, for the checks and the next quarter."""

    period: str
    plan: Path
    consolidated: Path
    returns: Path
    returned: dict[str, Path] = field(default_factory=dict)  # lead -> their returned copy
    statuses: dict[str, str] = field(default_factory=dict)  # Ref -> status as All actions shows it
    by_text: dict[str, str] = field(default_factory=dict)  # action text -> status (for actions given Refs later)
    renumbered: dict[str, str] = field(default_factory=dict)  # new Ref -> action text (roll forward after it)
    added_text: str = ""
    handed: tuple[str, str, str] | None = None  # (Ref, from lead, to lead)
    g_ref: str = ""  # the action whose Status a lead typed as G


@dataclass
class Year:
    name: str
    folder: Path
    coordinator: str
    coordinator_email: str
    quarters: list[Quarter] = field(default_factory=list)
    roles: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def start(name: str, folder: Path) -> tuple[Year, Path]:
    """Q1's master: the demo plan, or the Oxfordshire sample imported with --themes and the
    coordinator's settings (its leads' addresses added, as a coordinator does)."""
    folder.mkdir(parents=True, exist_ok=True)
    plan = folder / "plan-Q1.xlsx"
    if name == "demo":
        info, actions = demo_plan()
        info.period, info.return_by = QUARTERS[0], RETURN_BY[0]
        for a in actions:  # Q1 starts from the plan as set up: the statuses are last year's
            a.progress, a.last_updated = "", None
        write_plan(plan, info, actions)
        year = Year(name, folder, info.coordinator, info.coordinator_email)
    else:
        heads = import_plan(SAMPLES / "oxfordshire_14_19.xlsx", None).info.themes
        themes = folder / "themes.csv"
        short = ["Collaboration", "Quality of learning", "Curriculum", "Access", "Choices", "Achievement"]
        themes.write_text("Heading as written,Theme\n" + "".join(f'"{h}",{s}\n' for h, s in zip(heads, short)),
                          encoding="utf-8")
        import_plan(SAMPLES / "oxfordshire_14_19.xlsx", plan, period=QUARTERS[0], themes=themes,
                    coordinator="Alex Reed", coordinator_email="alex.reed@oxfordshire.example",
                    return_by=RETURN_BY[0])
        edit = open_for_edit(plan)
        edit.info.leads = [type(lead)(lead.name, f"lead{i}@oxfordshire.example") for i, lead in enumerate(edit.info.leads)]
        save_plan(edit)
        year = Year(name, folder, "Alex Reed", "alex.reed@oxfordshire.example")
    tabs = lead_tabs(plan)
    owner = tab_owners(plan)
    busy = sorted(owner[tab] for tab, rows in tabs.items() if len(rows) >= 2 and tab != "No lead")
    year.roles = {"adder": busy[0], "g": busy[1], "hander": busy[2], "receiver": busy[3], "skipper": busy[4],
                  "late": busy[5]}
    return year, plan


def play_quarter(year: Year, q: int, plan: Path) -> Quarter:
    """Ask for updates, let the leads fill in and return their copies, consolidate."""
    period = QUARTERS[q]
    folder = year.folder / period.split()[0]
    sent, returns, mail = folder / "for-leads", folder / "returns", folder / "requests"
    requests, missing = request_updates(plan, sent, save_dir=mail, force=True)
    assert not missing, missing
    sender = formataddr((year.coordinator, year.coordinator_email))
    for req in requests:  # every request comes from the coordinator and is signed by them
        msg = email.message_from_bytes(req.eml.read_bytes(), policy=policy.default)
        assert msg["From"] == sender, (msg["From"], sender)
        body = msg.get_body(("plain",)).get_content()
        assert body.rstrip().endswith(year.coordinator), body[-200:]
        assert f"{RETURN_BY[q].day} {RETURN_BY[q]:%B %Y}" in body
    returns.mkdir(parents=True, exist_ok=True)
    quarter = Quarter(period, plan, folder / "consolidated.xlsx", returns)
    roles = year.roles
    for i, req in enumerate(sorted(requests, key=lambda r: r.lead)):
        lead = req.lead
        if q == 1 and lead == roles["skipper"]:
            continue  # skips this quarter: the master's (last quarter's) entries stand
        copy = returns / req.workbook.name
        shutil.copy(req.workbook, copy)
        tab = next(iter(lead_tabs(copy)))
        rows = lead_tabs(copy)[tab]
        edits: list[tuple[int, str, object]] = []
        late = q == 2 and lead == roles["late"]  # updated and returned after the date
        day = RETURN_BY[q] + dt.timedelta(days=3) if late else RETURN_BY[q] - dt.timedelta(days=3 + i % 5)
        for r, row in enumerate(rows, start=2):
            if (r + q + i) % 4 == 0:
                continue  # left as it was: commentary not updated
            status = STATUS_CYCLE[(r + 2 * q + i) % len(STATUS_CYCLE)]
            edits += [(r, "Status", status), (r, "Progress update", f"{period}: progress on {row['Ref']} ({status.lower()})"),
                      (r, "Last updated", dt.datetime.combine(day, dt.time()))]
        if lead == roles["g"] and rows:
            edits.append((2, "Status", "G"))  # typed by hand, not picked from the list
            quarter.g_ref = text(rows[0]["Ref"])
        if lead == roles["adder"] and q in (0, 2):
            new_row = len(rows) + 2
            quarter.added_text = f"New {period} action by {lead}: review the offer with schools"
            edits += [(new_row, "Action", quarter.added_text), (new_row, "Theme", rows[0]["Theme"]),
                      (new_row, "Status", "Not started")]  # no Ref: planbook gives it one at roll forward
        if lead == roles["hander"] and q == 1:
            ref = text(rows[-1]["Ref"])
            edits.append((len(rows) + 1, "Lead", roles["receiver"]))  # handed to another lead
            quarter.handed = (ref, lead, roles["receiver"])
        edit_copy(copy, tab, edits)
        if late:
            when = dt.datetime.combine(RETURN_BY[q] + dt.timedelta(days=4), dt.time(10, 0)).timestamp()
        else:
            when = dt.datetime.combine(day, dt.time(16, 0)).timestamp()
        os.utime(copy, (when, when))
        quarter.returned[lead] = copy
    result = consolidate_to([returns, plan], quarter.consolidated, today=AS_OF[q])
    assert result.return_by == RETURN_BY[q]  # the plan's setting, not given again
    for row in table(quarter.consolidated, "All actions"):
        if row["Ref"]:
            quarter.statuses.setdefault(text(row["Ref"]), text(row["Status"]))
        quarter.by_text[text(row["Action"])] = text(row["Status"])
    return quarter


# ---------------------------------------------------------------- the checks (openpyxl only)

def check_accounted(quarter: Quarter) -> None:
    """Every non-empty row of every input is in All actions, or on Data issues with why not."""
    actions = table(quarter.consolidated, "All actions")
    issues = table(quarter.consolidated, "Data issues")
    used: dict[str, int] = {}
    for row in actions:
        used[text(row["Source file"])] = used.get(text(row["Source file"]), 0) + 1
    inputs = {quarter.plan.name: quarter.plan, **{p.name: p for p in quarter.returned.values()}}
    for name, path in inputs.items():
        rows_in = sum(len(rows) for rows in lead_tabs(path).values())
        superseded = sum(int(text(i["Value"]) or 0) for i in issues if i["Problem"] == "superseded" and i["File"] == name)
        duplicate = sum(1 for i in issues if i["Problem"] == "duplicate-across-sources" and i["File"] == name)
        assert rows_in == used.get(name, 0) + superseded + duplicate, (name, rows_in, used.get(name), superseded, duplicate)


def check_history(year: Year, quarter: Quarter) -> None:
    """The History sheet holds exactly the statuses each quarter consolidated; Trend and
    Direction agree with it."""
    if not year.quarters:  # the first quarter: All actions is the whole history (roll forward records it)
        assert "History" not in openpyxl.load_workbook(quarter.consolidated, read_only=True).sheetnames
        assert all(not row["Direction"] for row in table(quarter.consolidated, "All actions"))
        return
    history = table(quarter.consolidated, "History")
    periods = [q.period for q in year.quarters] + [quarter.period]
    header = list(history[0]) if history else []
    assert [h[len("Status "):] for h in header if h and h.startswith("Status ")] == periods
    by_ref = {text(r["Ref"]): r for r in history}
    for ref, status in quarter.statuses.items():  # this quarter: exactly All actions' Status
        assert text(by_ref[ref]["Status " + quarter.period]) == status, (ref, status)
    for earlier in year.quarters:  # earlier quarters: what they consolidated, under the Refs as now
        for r in history:
            got = text(r["Status " + earlier.period])
            if not got:
                continue
            ref = text(r["Ref"])
            want = earlier.statuses.get(ref)
            if want is None or ref in earlier.renumbered:
                want = earlier.by_text.get(earlier.renumbered.get(ref, text(r["Action"])))
            assert got == want, (earlier.period, ref, got, want)
    for r in history:
        statuses = [text(r["Status " + p]) for p in periods]
        assert text(r["Trend"]) == " → ".join(s for s in statuses if s), r["Ref"]
    for row in table(quarter.consolidated, "All actions"):
        ref = text(row["Ref"])
        before = text(by_ref[ref]["Status " + year.quarters[-1].period]) if ref in by_ref else ""
        want = direction(normalise_status(before), normalise_status(text(row["Status"]))) if before else NEW_DIRECTION
        if ref and list(quarter.statuses).count(ref) <= 1:
            assert text(row["Direction"]) == want, (ref, before, row["Status"], row["Direction"])


def check_emails(year: Year, quarter: Quarter) -> None:
    msg = build_report_email(quarter.consolidated, ["chair@council.example"], attachments=[])
    assert msg["From"] == formataddr((year.coordinator, year.coordinator_email))
    body = msg.get_body(("plain",)).get_content()
    assert body.rstrip().endswith(year.coordinator)
    if year.quarters:
        assert "Over the year (" in body


def check_plan_after_roll_forward(year: Year, before: Quarter, plan: Path, result) -> None:
    """The new master: no consolidation columns, the leads' addresses, the added action's Ref,
    a status typed as G still G, last period shown beside each action."""
    tabs = lead_tabs(plan)
    for tab, rows in tabs.items():
        wb = openpyxl.load_workbook(plan, read_only=True)
        header = [c for c in next(wb[tab].iter_rows(max_row=1, values_only=True)) if c]
        wb.close()
        assert not TECHNICAL & set(header), (tab, header)
        assert not any(h.endswith("(2)") for h in header), header
    assert lists(plan) == lists(before.plan) | {k: v for k, v in lists(plan).items() if k not in lists(before.plan)}
    refs = [text(r["Ref"]) for rows in tabs.values() for r in rows]
    if before.added_text:
        added = [r for rows in tabs.values() for r in rows if r["Action"] == before.added_text]
        assert len(added) == 1 and added[0]["Ref"], added
        assert any(n.new == added[0]["Ref"] for n in result.renumbered)
    g_row = next(r for rows in tabs.values() for r in rows if text(r["Ref"]) == before.g_ref)
    assert text(g_row["Status"]) == before.statuses[before.g_ref] not in ("", "No status given")  # as consolidated
    assert not text(g_row["Progress update"]).startswith("G")  # never pasted into the commentary
    refs_all = [text(r["Ref"]) for rows in tabs.values() for r in rows]
    shown = [(r["Status"], r["Last period's status"]) for rows in tabs.values() for r in rows
             if r["Ref"] and refs_all.count(text(r["Ref"])) == 1]  # a Ref two actions share has one history
    assert all(last == status or (status is None and last == "No status given") for status, last in shown), shown[:5]
    blank = [r for r in refs if not r]
    assert not blank, "every action has a Ref after roll forward"
    if before.handed:
        ref, _, to = before.handed
        assert ref in [text(r["Ref"]) for r in by_lead(plan)[to]]


def run_year(name: str, folder: Path) -> Year:
    year, plan = start(name, folder)
    for q in range(4):
        quarter = play_quarter(year, q, plan)
        check_accounted(quarter)
        check_history(year, quarter)
        check_emails(year, quarter)
        if q < 3:
            nxt = folder / f"plan-{QUARTERS[q + 1].split()[0]}.xlsx"
            source = [quarter.returns, plan] if q == 1 else quarter.consolidated  # both ways in the year
            result = roll_forward(source, nxt, period=QUARTERS[q + 1], return_by=RETURN_BY[q + 1], today=AS_OF[q])
            quarter.renumbered = {r.new: r.action for r in result.renumbered}
            check_plan_after_roll_forward(year, quarter, nxt, result)
            year.notes.append(f"{quarter.period} -> {QUARTERS[q + 1]}: renumbered "
                              f"{[(r.old, r.new) for r in result.renumbered]}; carried "
                              f"{[f.code for f in result.report if f.code == 'carried-over']}")
            if q == 0:  # between quarters the coordinator renames a theme...
                theme = next(iter(openpyxl.load_workbook(nxt, read_only=True)["Lists"].iter_rows(
                    min_row=2, min_col=3, max_col=3, values_only=True)))[0]
                maintenance.rename_theme(nxt, theme, f"{theme} (renamed)")
            if q == 1:  # ... and adds a lead, handing them an action
                maintenance.add_lead(nxt, NEW_LEAD, "pdo@council.example")
                ref = text(by_lead(nxt)[year.roles["receiver"]][0]["Ref"])
                maintenance.move_action(nxt, [ref], NEW_LEAD)
            plan = nxt
        year.quarters.append(quarter)
    report = render_report(year.quarters[-1].consolidated, folder / "summary-Q4.docx")
    year.notes.append(f"report: {report}")
    return year


if __name__ == "__main__":
    out = Path(sys.argv[2])
    shutil.rmtree(out, ignore_errors=True)
    done = run_year(sys.argv[1], out)
    print("\n".join(done.notes))
