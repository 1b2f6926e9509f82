"""Benchmark the returns tracker and chasing; prints its figures (not a test).

A master of 150 leads x 300 actions (45,000 rows) split into the leads' copies, of which 140
come back (every tenth with one status changed); then ``track_returns`` (``planbook returns``)
and ``chase`` (dry run, fresh copies for those who did not return) are timed, median of runs.

    python benchmarks/returns.py [--repeat N] [--leads N] [--per-lead N]
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from planbook import Action, Lead, PlanInfo, read_plan, write_plan
from planbook.workbook.split import split_plan

CACHE = Path(tempfile.gettempdir()) / "planbook-bench-returns"


def make_quarter(leads: int, per_lead: int) -> Path:
    folder = CACHE / f"{leads}x{per_lead}"
    if (folder / ".done").exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    names = [f"Lead {i:03d}" for i in range(leads)]
    info = PlanInfo("Benchmark plan", "Q2 2009/10", [Lead(n, f"lead{i}@example.org") for i, n in enumerate(names)],
                    ["Theme"], coordinator="Pat", coordinator_email="pat@example.org")
    actions = [Action(f"{i}.{k}", f"Action {k} of {n}", n, theme="Theme", status="On track", progress="As before")
               for i, n in enumerate(names, start=1) for k in range(1, per_lead + 1)]
    write_plan(folder / "plan.xlsx", info, actions)
    split_plan(folder / "plan.xlsx", folder / "copies")
    (folder / "returns").mkdir()
    for i, copy in enumerate(sorted((folder / "copies").iterdir())):
        if i >= leads - 10:
            continue  # ten leads do not return
        dest = folder / "returns" / copy.name
        shutil.copy(copy, dest)
        if i % 10 == 0:
            plan = read_plan(dest)
            plan.actions[0].status = "Complete"
            write_plan(dest, plan.info, plan.actions, only_leads=list(plan.tabs.values()), role="lead-copy")
    (folder / ".done").touch()
    return folder


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--leads", type=int, default=150)
    parser.add_argument("--per-lead", type=int, default=300)
    args = parser.parse_args()
    import planbook

    folder = make_quarter(args.leads, args.per_lead)
    for name, job in (("returns", lambda: planbook.track_returns(folder / "plan.xlsx", folder / "returns")),
                      ("chase --dry-run", lambda: planbook.chase(folder / "plan.xlsx", folder / "returns",
                                                                 dry_run=True))):
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            job()
            times.append(time.perf_counter() - start)
        print(f"{name:<16} {args.leads} leads x {args.per_lead}: median {statistics.median(times):.2f} s "
              f"(runs: {', '.join(f'{t:.2f}' for t in times)})")


if __name__ == "__main__":
    main()
