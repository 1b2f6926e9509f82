"""The demo: the real Middlesbrough 2009 plan, rekeyed into the standard workbook.

It writes the plan, fills in a quarter's updates with varied statuses (deterministically, so
runs are repeatable), validates the result and says where the files are.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import random
import re
import shutil
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from planbook.core.due import parse_due
from planbook.core.model import Action, Lead, PlanInfo
from planbook.core.status import (
    COMPLETE,
    NOT_STARTED,
    OFF_TRACK,
    ON_TRACK,
    SLIPPAGE,
    normalise_status,
)
from planbook.files.atomic import make_folder
from planbook.workbook.plan import Plan
from planbook.workbook.reader import read_plan
from planbook.workbook.writer import write_plan

if TYPE_CHECKING:  # imported where used (start-up time of the command line)
    from planbook.mail.chasing import MailRun
    from planbook.rollup.consolidate import Consolidation
    from planbook.rollup.tracker import ReturnsTracker

DEMO_TODAY = dt.date(2009, 10, 9)  # the demo plan is reported at the end of Q2 2009/10
RETURN_BY = dt.date(2009, 10, 2)  # the date leads were asked to return their updates by

_NOTES = {
    ON_TRACK: ["Working group met in {m}; milestones agreed and on schedule.",
               "Pilot running in three localities; first evaluation due next quarter.",
               "Draft reported to the partnership board in {m}; consultation under way."],
    SLIPPAGE: ["Recruitment to the post delayed until {m}; revised date agreed with the lead.",
               "Data-sharing agreement still with partners' legal teams; expect sign-off next quarter.",
               "Consultation extended by six weeks at schools' request."],
    OFF_TRACK: ["Funding not confirmed; action cannot proceed without a decision from the board.",
                "Key partner withdrew in {m}; options paper going to the next executive meeting."],
    COMPLETE: ["Completed in {m}; evidence held by the lead.", "Signed off by the partnership board in {m}."],
}


@dataclass
class DemoResult:
    """What the demo produced, for the CLI to print and tests to check."""

    folder: Path
    plan_path: Path
    plan: Plan
    files: dict[str, Path] = field(default_factory=dict)
    consolidation: Consolidation | None = None
    tracker: ReturnsTracker | None = None
    reminders: MailRun | None = None
    receipts: MailRun | None = None


def demo_data() -> dict:
    """The bundled rekeyed Middlesbrough plan (standard column names -> cell text)."""
    text = resources.files("planbook").joinpath("data/middlesbrough_2009.json").read_text(encoding="utf-8")
    return json.loads(text)


def _email_for(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", ".", name.lower()).strip(".") or "lead"
    return f"{slug}@council.example"


def demo_plan(seed: int = 2009) -> tuple[PlanInfo, list[Action]]:
    """The demo plan's details and actions, with this quarter's updates filled in."""
    data = demo_data()
    rng = random.Random(seed)
    actions: list[Action] = []
    for row in data["actions"]:
        status = normalise_status(row["Status"])
        due = parse_due(row["Due"], 2009)
        progress = ""
        if status != COMPLETE:
            status = rng.choices([ON_TRACK, SLIPPAGE, OFF_TRACK, NOT_STARTED], weights=[60, 22, 8, 10])[0]
        if status in _NOTES:
            month = (DEMO_TODAY - dt.timedelta(days=rng.randint(5, 80))).strftime("%B %Y")
            progress = rng.choice(_NOTES[status]).format(m=month)
        updated = None if status == NOT_STARTED else DEMO_TODAY - dt.timedelta(days=rng.randint(0, 120))
        actions.append(Action(
            ref=row["Ref"], theme=row["Theme"], objective=row["Objective"], action=row["Action"],
            lead=row["Lead"], partners=row["Partners"], due=due, success_measure=row["Success measure"],
            resources=row["Resources"], status=status, status_text=status or "", progress=progress,
            last_updated=updated))
    leads = [Lead(n, _email_for(n)) for n in dict.fromkeys(a.lead for a in actions if a.lead)]
    info = PlanInfo(title=data["title"], period=f"Q2 {data['period']}", leads=leads, themes=data["themes"],
                    coordinator="Performance & Partnerships Team", coordinator_email="plans@council.example")
    return info, actions


def _lead_updates(path: Path, rng: random.Random, typo: bool = False) -> None:
    """Play a lead filling in their returned copy: new statuses, notes, a moved due date
    (and, with ``typo``, a status typed by hand instead of picked from the list)."""
    plan = read_plan(path)
    for a in plan.actions:
        if a.status == COMPLETE or rng.random() < 0.35:
            continue  # untouched: the commentary stays as last quarter's
        a.status = rng.choices([COMPLETE, ON_TRACK, SLIPPAGE, OFF_TRACK], weights=[30, 40, 20, 10])[0]
        a.status_text = a.status
        a.progress = rng.choice(_NOTES[a.status]).format(m="September 2009")
        a.last_updated = DEMO_TODAY - dt.timedelta(days=rng.randint(1, 30))
        if a.status == SLIPPAGE and a.due.end and rng.random() < 0.6:
            moved = a.due.end + dt.timedelta(days=92)
            a.due = parse_due(moved.strftime("%B %Y"))
    if typo and plan.actions:
        plan.actions[0].status, plan.actions[0].status_text = None, "on-track?"
    write_plan(path, plan.info, plan.actions, only_leads=list(plan.tabs.values()) or None, role="lead-copy")


def run_demo(out: str | os.PathLike[str] = "demo-output") -> DemoResult:
    """The whole quarter in one go, in ``out``.

    1. write the plan (``plan.xlsx``) and validate it;
    2. consolidate it as last quarter's position (``consolidated-Q1.xlsx``);
    3. split it into one workbook per lead (``returns/``); the leads fill them in — a few do not return;
    4. consolidate the returns and the master against last quarter (``consolidated.xlsx``);
    5. write the Word progress report (``summary.docx``) and the email as an unsent draft (``report.eml``);
    6. write the coordinator's Excel workbook for these files (``Coordinator.xlsm``), whose buttons
       do steps 4-5 again into ``output/``.
    """
    from planbook.coordinator import write_coordinator
    from planbook.mail.chasing import chase, receipts
    from planbook.mail.report_email import build_report_email
    from planbook.mail.transport import save_eml
    from planbook.rollup.consolidate import consolidate
    from planbook.rollup.output import write_consolidated
    from planbook.rollup.pipeline import consolidate_to, track_returns
    from planbook.word.report import render_report
    from planbook.workbook.split import split_plan

    folder = Path(out)
    make_folder(folder)
    info, actions = demo_plan()
    plan_path = folder / "plan.xlsx"
    write_plan(plan_path, info, actions)
    plan = read_plan(plan_path)
    previous = folder / "consolidated-Q1.xlsx"
    write_consolidated(consolidate([plan_path], today=dt.date(2009, 7, 9), period="Q1 2009/10"), previous)
    returns = folder / "returns"
    copies = split_plan(plan_path, returns, force=True)
    rng = random.Random(7)
    sent = folder / "for-leads"  # the copies as sent out; the leads' returns are saved in returns/
    shutil.rmtree(sent, ignore_errors=True)
    shutil.copytree(returns, sent)
    for i, copy in enumerate(copies):
        if rng.random() < 0.1 or i == 0:
            copy.path.unlink()  # this lead did not send their copy back: the master's tab is used
        else:
            _lead_updates(copy.path, rng, typo=(i == 1))
        if copy.path.exists():
            stamp = dt.datetime.combine(RETURN_BY - dt.timedelta(days=rng.randint(0, 6)), dt.time(15, 0)).timestamp()
            os.utime(copy.path, (stamp, stamp))
    consolidated = folder / "consolidated.xlsx"
    result = consolidate_to([returns, plan_path], consolidated, previous=previous, today=DEMO_TODAY,
                            return_by=RETURN_BY)
    summary = render_report(consolidated, folder / "summary.docx")
    eml = save_eml(build_report_email(consolidated, ["portfolio.holder@council.example"],
                                      cc=["director.childrens.services@council.example"],
                                      sender=f"{info.coordinator} <{info.coordinator_email}>"), folder / "report.eml")
    tracker = track_returns(plan_path, returns, return_by=RETURN_BY)
    reminders = chase(plan_path, returns, return_by=RETURN_BY, copies_dir=sent, save_dir=folder / "reminders")
    acknowledged = receipts(consolidated, save_dir=folder / "receipts")
    coordinator = write_coordinator(folder / "Coordinator.xlsm", plan=plan_path, returns=returns,
                                    output=folder / "output", previous=previous, overwrite=True,
                                    settings={"pb_as_of": f"{DEMO_TODAY:%d/%m/%Y}",
                                              "pb_return_by": f"{RETURN_BY:%d/%m/%Y}",
                                              "pb_email_to": "portfolio.holder@council.example"})
    return DemoResult(folder=folder, plan_path=plan_path, plan=plan,
                      files={"plan": plan_path, "previous": previous, "returns": returns,
                             "consolidated": consolidated, "summary": summary, "email": eml,
                             "reminders": folder / "reminders", "receipts": folder / "receipts",
                             "coordinator": coordinator},
                      consolidation=result, tracker=tracker, reminders=reminders, receipts=acknowledged)
