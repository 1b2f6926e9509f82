"""Benchmark the year: roll forward, and what a plan's history costs a consolidation (not a test).

Inputs: a master plan of 150 leads x 300 actions (45,000) with 8 periods of history on its
History sheet, and the 150 leads' returned copies (each with its actions' history, as ``split``
writes them); the same plan and copies without history for comparison.  Figures are medians
of runs taken in turn (a shared machine's speed drifts):

* consolidate without history vs with 8 periods (the issue: history at most 10% slower);
* roll forward of the consolidation with history (45,000 actions, 9 periods once this one is
  added) vs that consolidation (the issue: within 2x).

    python benchmarks/year.py [--repeat N] [--million]

--million also consolidates 1,000,000 actions (100 leads x 10,000) with 8 periods of history
and reports peak memory (the issue: under 1 GB).
"""
from __future__ import annotations

import argparse
import datetime as dt
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from planbook import Action, Lead, PlanInfo, parse_due, write_plan
from planbook.core.status import STATUSES
from planbook.workbook.history import History, HistoryRow, key

CACHE = Path(tempfile.gettempdir()) / "planbook-bench-year"
WORDS = ("review audit develop deliver agree commission publish monitor evaluate pilot safeguarding schools "
         "partnership outcomes young people families health training data strategy").split()
DUES = ["December 2008", "Jan –May 2009", "Quarterly", "Ongoing", "2009/10", "Summer 2009", "By Oct 2009"]
PERIODS = [f"Q{q} {y}/{(y + 1) % 100:02d}" for y in (2007, 2008) for q in (1, 2, 3, 4)]  # 8 periods before
PERIOD = "Q1 2009/10"


def plan_parts(leads: int, per_lead: int, seed: int = 1) -> tuple[PlanInfo, list[Action], History]:
    rng = random.Random(seed)
    names = [f"Lead {i:03d}" for i in range(leads)]
    info = PlanInfo("Benchmark plan", PERIOD, [Lead(n, f"lead{i}@example.org") for i, n in enumerate(names)],
                    [f"Theme {t}" for t in range(6)], coordinator="Pat", coordinator_email="pat@example.org")
    actions = [Action(ref=f"{i + 1}.{j + 1}", lead=name, theme=f"Theme {rng.randrange(6)}",
                      action=" ".join(rng.choices(WORDS, k=rng.randint(6, 18))).capitalize(),
                      objective=" ".join(rng.choices(WORDS, k=8)), success_measure=" ".join(rng.choices(WORDS, k=10)),
                      due=parse_due(rng.choice(DUES), 2009), status=rng.choice(STATUSES),
                      progress=" ".join(rng.choices(WORDS, k=rng.randint(0, 25))),
                      last_updated=dt.date(2009, 3, 1) + dt.timedelta(days=rng.randint(0, 30)))
               for i, name in enumerate(names) for j in range(per_lead)]
    history = History(list(PERIODS))
    for a in actions:
        history.rows[key(a.ref)] = HistoryRow(a.ref, a.theme, a.lead, a.action,
                                              [rng.choice(STATUSES) for _ in PERIODS],
                                              [" ".join(rng.choices(WORDS, k=rng.randint(0, 20))) for _ in PERIODS])
    return info, actions, history


def make_inputs(leads: int, per_lead: int, folder: Path, with_history: bool) -> Path:
    """The master and the leads' returned copies (cached between runs)."""
    stamp = folder / f".done-{leads}x{per_lead}-{with_history}"
    if stamp.exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "returns").mkdir(parents=True)
    info, actions, history = plan_parts(leads, per_lead)
    if not with_history:
        history = History()
    write_plan(folder / "plan.xlsx", info, actions, history=history, blank_rows=5)
    rng = random.Random(leads)
    for lead in info.leads:
        mine = [a for a in actions if a.lead == lead.name]
        for a in mine:  # the lead's update for this period
            a.status = rng.choice(STATUSES)
            a.progress = " ".join(rng.choices(WORDS, k=rng.randint(0, 25)))
        write_plan(folder / "returns" / f"{lead.name}.xlsx", info, mine, only_leads=[lead.name], role="lead-copy",
                   history=history, blank_rows=5)
    stamp.touch()
    return folder


def consolidate_run(folder: Path, out: Path) -> int:
    from planbook.rollup.pipeline import consolidate_to

    return len(consolidate_to([folder / "returns", folder / "plan.xlsx"], out, today=dt.date(2009, 7, 9)).actions)


def roll_forward_run(consolidated: Path, out: Path) -> int:
    from planbook.rollup.rollforward import roll_forward

    return roll_forward(consolidated, out, period="Q2 2009/10", overwrite=True).actions


def paired(a, b, repeat: int) -> tuple[float, float, float]:
    """Run a and b in turn: medians of each and the median of the ratios b/a pair by pair."""
    ta, tb = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        a()
        ta.append(time.perf_counter() - start)
        start = time.perf_counter()
        b()
        tb.append(time.perf_counter() - start)
    return statistics.median(ta), statistics.median(tb), statistics.median(y / x for x, y in zip(ta, tb))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--million", action="store_true")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="planbook-bench-year-"))
    plain = make_inputs(150, 300, CACHE / "plain", with_history=False)
    kept = make_inputs(150, 300, CACHE / "history", with_history=True)
    consolidate_run(kept, work / "warm-up.xlsx")
    without, with_, ratio = paired(lambda: consolidate_run(plain, work / "plain.xlsx"),
                                   lambda: consolidate_run(kept, work / "kept.xlsx"), args.repeat)
    print(f"consolidate 45,000 actions, no history      {without:8.2f}s")
    print(f"consolidate 45,000 actions, 8 periods       {with_:8.2f}s   {ratio:.2f}x (target at most 1.10x)")
    cons, roll, ratio = paired(lambda: consolidate_run(kept, work / "kept.xlsx"),
                               lambda: roll_forward_run(work / "kept.xlsx", work / "next.xlsx"), args.repeat)
    print(f"roll forward of it (9 periods of history)  {roll:8.2f}s   {ratio:.2f}x the consolidation "
          f"({cons:.2f}s; target within 2x)")
    if args.million:
        big = make_inputs(100, 10_000, CACHE / "million", with_history=True)
        start = time.perf_counter()
        n = consolidate_run(big, work / "million.xlsx")
        took = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        helper = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"1,000,000 actions, 8 periods: {took:.1f}s, {n} actions; peak RSS {peak:.0f} MB (this process, "
              f"inputs made in it too) + {helper:.0f} MB (largest worker)")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
