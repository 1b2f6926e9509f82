"""A plan taken through the four quarters of a year, in code: imported, split, leads' returns
made as leads make them in Excel (played with openpyxl), consolidated against last quarter and
reported — with what real quarters bring: most commentary updated every quarter, statuses that
improve, slip and complete, leads who do not return in a quarter, actions a lead adds, and
actions the coordinator removes from the master between quarters.

What each lead does is drawn from a seeded random generator, so a run is the same every time
and another seed is another year.  Between quarters next quarter's master is rolled forward
from the consolidation (the leads' updates and added actions carried in) and the coordinator
retires a finished action or two.  Used by tests/test_report_length.py; run it directly to keep the files and
look at them: ``python tests/plan_quarters.py OUT``.
"""
from __future__ import annotations

import datetime as dt
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl

from planbook import Action, import_plan, parse_due, read_plan, split_plan
from planbook.rollup.pipeline import consolidate_to
from planbook.rollup.rollforward import roll_forward
from planbook.workbook.maintenance import retire_actions
from planbook.word.report import render_report

HERE = Path(__file__).resolve().parent
SAMPLES = next(p for p in (HERE.parents[1] / "shared" / "samples", HERE / "samples") if (p / "README.md").exists())
MIDDLESBROUGH = SAMPLES / "middlesbrough_cs.xlsx"

QUARTERS = ["Q1 2009/10", "Q2 2009/10", "Q3 2009/10", "Q4 2009/10"]
RETURN_BY = [dt.date(2009, 7, 3), dt.date(2009, 10, 2), dt.date(2010, 1, 8), dt.date(2010, 4, 9)]
AS_OF = [dt.date(2009, 7, 9), dt.date(2009, 10, 9), dt.date(2010, 1, 14), dt.date(2010, 4, 15)]
#: The month each quarter's commentary speaks of.
MONTHS = ["June 2009", "September 2009", "December 2009", "March 2010"]

_WORSE = {"On track": "Slippage", "Slippage": "Off track", "Not started": "Slippage"}
_BETTER = {"Off track": "Slippage", "Slippage": "On track", "Not started": "On track"}
_NOTES = [
    "Working group met in {m}; milestones agreed and on schedule for the rest of the year.",
    "Draft reported to the partnership board in {m}; consultation with schools and partners under way.",
    "Recruitment to the post delayed until {m}; revised date agreed with the lead and the board.",
    "Pilot running in three localities since {m}; first evaluation report due at the next board.",
    "Funding confirmed in {m}; commissioning timetable agreed with partners and providers.",
    "Data-sharing agreement still with partners' legal teams in {m}; expect sign-off next quarter.",
    "Training delivered to 45 staff by {m}; feedback positive and further sessions booked.",
    "Review of the service completed in {m}; recommendations to be taken to the next executive.",
]
_NEW_ACTIONS = [
    "Extend the family support pilot to the remaining localities",
    "Publish a young people's guide to the services in the plan",
    "Agree a joint protocol for sharing information on missing children",
    "Set up a task group on school attendance of looked after children",
    "Run a consultation with parents on the short breaks offer",
    "Commission an independent review of the transition arrangements",
]


@dataclass
class Quarter:
    """One quarter of the year: its master, the leads' returns, its consolidation and report."""

    period: str
    master: Path
    returns: Path
    consolidated: Path
    report: Path
    not_returned: list[str] = field(default_factory=list)
    status_changes: int = 0
    commentary_updates: int = 0
    added: list[str] = field(default_factory=list)  # Refs a lead added this quarter
    removed: list[str] = field(default_factory=list)  # Refs the coordinator removed before it


def _next_ref(ref: str, taken: set[str]) -> str:
    """A free Ref in the same section as ``ref`` ("6.2" -> "6.9")."""
    head = ref.split(".")[0] if "." in ref else ref
    n = 1
    while f"{head}.{n}".lower() in taken:
        n += 1
    return f"{head}.{n}"


def _lead_returns(copy: Path, rng: random.Random, q: int, dest: Path, taken: set[str],
                  add: bool) -> tuple[dict[str, tuple[str, str]], list[Action], int, int]:
    """Play a lead filling in ``copy`` (saved to ``dest``): {Ref: (status, note)} they gave,
    the actions they added, and how many statuses and notes they changed."""
    book = openpyxl.load_workbook(copy)
    tab = book.worksheets[1]
    header = [c.value for c in tab[1]]
    col = {h: header.index(h) + 1 for h in header if h}
    given: dict[str, tuple[str, str]] = {}
    statuses = notes = 0
    last_row, first = 1, None
    for r in range(2, tab.max_row + 1):
        ref = tab.cell(r, col["Ref"]).value
        if not ref:
            continue
        last_row, first = r, first or r
        status = tab.cell(r, col["Status"]).value or ""
        note = tab.cell(r, col["Progress update"]).value or ""
        if status == "Complete" and rng.random() < 0.9:
            continue  # nothing more to say on a finished action
        roll = rng.random()
        new = ("Complete" if roll < 0.08 else _WORSE.get(status, status) if roll < 0.18
               else _BETTER.get(status, status) if roll < 0.28 else status) or "On track"
        if rng.random() < 0.9:  # most commentary is updated every quarter
            note = rng.choice(_NOTES).format(m=MONTHS[q])
            notes += 1
        statuses += new != status
        tab.cell(r, col["Status"]).value = new
        tab.cell(r, col["Progress update"]).value = note
        tab.cell(r, col["Last updated"]).value = RETURN_BY[q] - dt.timedelta(days=3)
        given[str(ref)] = (new, note)
    added: list[Action] = []
    if add and first:
        r = last_row + 1
        ref = _next_ref(str(tab.cell(first, col["Ref"]).value), taken)
        taken.add(ref.lower())
        lead, theme = tab.cell(first, col["Lead"]).value, tab.cell(first, col["Theme"]).value
        text, note = rng.choice(_NEW_ACTIONS), f"New action agreed at the partnership board in {MONTHS[q]}."
        for h, v in (("Ref", ref), ("Theme", theme), ("Action", text), ("Lead", lead), ("Due", "March 2011"),
                     ("Status", "Not started"), ("Progress update", note),
                     ("Last updated", RETURN_BY[q] - dt.timedelta(days=3))):
            tab.cell(r, col[h]).value = v
        added.append(Action(ref, text, lead, theme=theme, due=parse_due("March 2011"), status="Not started",
                            progress=note, last_updated=RETURN_BY[q] - dt.timedelta(days=3)))
    book.save(dest)
    return given, added, statuses, notes


def run_year(folder: Path, source: Path = MIDDLESBROUGH, seed: int = 2009, quarters: int = 4) -> list[Quarter]:
    """Import ``source`` and take it through ``quarters`` quarters in ``folder``, as the docs tell
    it: each quarter's master split into leads' copies, the returns consolidated against last
    quarter's, the report written, and next quarter's master rolled forward from the
    consolidation (:func:`planbook.rollup.rollforward.roll_forward`), with a finished action or
    two retired by the coordinator (:func:`planbook.workbook.maintenance.retire_actions`).  Each
    quarter's files are in ``folder/qN``.  Returns the quarters, first to last."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    out: list[Quarter] = []
    previous: Path | None = None
    taken: set[str] = set()  # every Ref the plan has had: a retired action's Ref is not given again
    for q, period in enumerate(QUARTERS[:quarters]):
        here = folder / f"q{q + 1}"
        here.mkdir()
        master = here / "plan.xlsx"
        removed: list[str] = []
        if previous is None:
            import_plan(source, master, period=period)
        else:
            roll_forward(previous, master, period=period, return_by=RETURN_BY[q], today=AS_OF[q - 1])
            done = sorted(a.ref for a in read_plan(master).actions if a.status == "Complete")
            removed = rng.sample(done, min(len(done), 1 + q % 2))  # finished: the coordinator retires them
            retire_actions(master, removed)
        copies, returns = here / "for-leads", here / "returns"
        returns.mkdir()
        leads = split_plan(master, copies)
        silent = set(rng.sample([c.lead for c in leads], 4))
        adders = set(rng.sample([c.lead for c in leads if c.lead not in silent], 4))
        taken |= {a.ref.lower() for a in read_plan(master).actions}
        quarter = Quarter(period, master, returns, here / "consolidated.xlsx", here / "report.docx",
                          not_returned=sorted(silent), removed=removed)
        for c in leads:
            if c.lead in silent:
                continue
            _, added, s, n = _lead_returns(c.path, rng, q, returns / c.path.name, taken, c.lead in adders)
            quarter.status_changes += s
            quarter.commentary_updates += n
            quarter.added += [a.ref for a in added]
        consolidate_to([master, returns], quarter.consolidated, previous=previous, today=AS_OF[q],
                       period=period, return_by=RETURN_BY[q])
        render_report(quarter.consolidated, quarter.report)
        out.append(quarter)
        previous = quarter.consolidated
    return out


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "plan-quarters")
    for quarter in run_year(target):
        print(quarter.period, quarter.report, f"{quarter.status_changes} statuses, "
              f"{quarter.commentary_updates} notes, added {quarter.added}, removed {quarter.removed}")
