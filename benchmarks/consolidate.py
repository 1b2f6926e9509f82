"""Benchmark consolidation; prints its figures (not a test).

Cases: 150 lead workbooks x 300 actions (45,000 rows) and a council-size case (20 x 60).
For each: planbook's consolidate end to end (read, merge, write the six-sheet workbook);
a naive baseline a user would write (pandas read_excel of each file, concat, to_excel);
and the floor (calamine reading the same sheets + raw rows streamed into the sheet XML,
no processing).  planbook and the floor run in turn, and pb/floor is the median of the
run-by-run ratios (a shared machine's speed drifts); figures are medians.  The council case is also timed as a whole `planbook consolidate`
process, interpreter start-up included.

    python benchmarks/consolidate.py [--repeat N] [--million]

--million also consolidates 1,000,000 rows (100 files x 10,000) and reports peak memory.
"""
from __future__ import annotations

import argparse
import datetime as dt
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from planbook import Action, Lead, PlanInfo, parse_due, write_plan
from planbook.core.status import STATUSES

CACHE = Path(tempfile.gettempdir()) / "planbook-bench"
WORDS = ("review audit develop deliver agree commission publish monitor evaluate pilot safeguarding schools "
         "partnership outcomes young people families health training data strategy").split()
DUES = ["December 2008", "Jan –May 2009", "Quarterly", "Ongoing", "2009/10", "Summer 2009", "By Oct 2009"]


def make_inputs(leads: int, per_lead: int, folder: Path) -> Path:
    """Lead workbooks, as returned by leads (cached between runs)."""
    stamp = folder / f".done-{leads}x{per_lead}"
    if stamp.exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    rng = random.Random(leads * 1000 + per_lead)
    names = [f"Lead {i:03d}" for i in range(leads)]
    info = PlanInfo("Benchmark plan", "Q2 2009/10", [Lead(n, f"lead{i}@example.org") for i, n in enumerate(names)],
                    [f"Theme {t}" for t in range(6)])
    for i, name in enumerate(names):
        actions = [Action(
            ref=f"{i + 1}.{j + 1}", lead=name, theme=f"Theme {rng.randrange(6)}",
            action=" ".join(rng.choices(WORDS, k=rng.randint(6, 18))).capitalize(),
            objective=" ".join(rng.choices(WORDS, k=8)), success_measure=" ".join(rng.choices(WORDS, k=10)),
            due=parse_due(rng.choice(DUES), 2009), status=rng.choice(STATUSES),
            progress=" ".join(rng.choices(WORDS, k=rng.randint(0, 25))),
            last_updated=dt.date(2009, 9, 1) + dt.timedelta(days=rng.randint(0, 60)))
            for j in range(per_lead)]
        write_plan(folder / f"{name}.xlsx", info, actions, only_leads=[name], role="lead-copy", blank_rows=5)
    stamp.touch()
    return folder


def planbook_run(folder: Path, out: Path) -> int:
    from planbook.rollup.pipeline import consolidate_to

    return len(consolidate_to([folder], out, today=dt.date(2009, 10, 9)).actions)


def naive_run(folder: Path, out: Path) -> int:
    import pandas as pd

    frames = []
    for path in sorted(folder.glob("*.xlsx")):
        sheets = pd.read_excel(path, sheet_name=None, engine="openpyxl")  # pandas' default engine today
        frames += [df for name, df in sheets.items() if name not in ("Guide", "Lists", "_planbook")]
    data = pd.concat(frames, ignore_index=True).dropna(how="all")
    data.to_excel(out, index=False)
    return len(data)


def floor_run(folder: Path, out: Path) -> int:
    """The fastest reader (calamine) + the fastest writer we have (raw rows streamed into the
    sheet XML, as planbook.fast.fastrows does), doing nothing else."""
    import xlsxwriter
    from python_calamine import CalamineWorkbook

    from planbook.fast.fastrows import splice_rows

    rows = []
    for path in sorted(folder.glob("*.xlsx")):
        wb = CalamineWorkbook.from_path(str(path))
        for name in wb.sheet_names:
            if name in ("Guide", "Lists", "_planbook"):
                continue
            rows += [row for row in wb.get_sheet_by_name(name).to_python()[1:] if any(v != "" for v in row)]
    width = max(len(r) for r in rows)
    wb_out = xlsxwriter.Workbook(str(out))
    ws = wb_out.add_worksheet("All actions")
    ws.write_row(0, 0, [f"Column {i}" for i in range(width)])
    wb_out.close()
    splice_rows(out, {1: (width, len(rows), lambda start, stop: rows[start:stop], None)})
    return len(rows)


def timed(fn, *args, repeat: int) -> tuple[float, int]:
    times, n = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        n = fn(*args)
        times.append(time.perf_counter() - start)
    return statistics.median(times), n


def paired(a, b, folder: Path, work: Path, repeat: int) -> tuple[float, float, float, int, int]:
    """Run a and b in turn (a b a b ...): medians of each, and the median of the ratios a/b
    taken pair by pair, which stays meaningful when a shared machine's speed drifts."""
    ta, tb, n1, n2 = [], [], 0, 0
    for _ in range(repeat):
        start = time.perf_counter()
        n1 = a(folder, work / "a.xlsx")
        ta.append(time.perf_counter() - start)
        start = time.perf_counter()
        n2 = b(folder, work / "b.xlsx")
        tb.append(time.perf_counter() - start)
    return statistics.median(ta), statistics.median(tb), statistics.median(x / y for x, y in zip(ta, tb)), n1, n2


def process_time(folder: Path, out: Path, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "planbook.cli", "consolidate", str(folder), "--out", str(out),
                        "--as-of", "2009-10-09"], check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--million", action="store_true")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="planbook-bench-out-"))
    cases = [("45k rows (150 leads x 300)", 150, 300), ("council (20 leads x 60)", 20, 60)]
    print(f"{'case':<28} {'planbook':>9} {'naive':>9} {'floor':>9} {'naive/pb':>9} {'pb/floor':>9}")
    for label, leads, per in cases:
        folder = make_inputs(leads, per, CACHE / f"{leads}x{per}")
        planbook_run(folder, work / "warm-up.xlsx")  # imports and first-run costs out of the figures
        pb, fl, ratio, n1, n3 = paired(planbook_run, floor_run, folder, work, repeat=max(args.repeat, 5))
        nv, n2 = timed(naive_run, folder, work / "naive.xlsx", repeat=args.repeat)
        assert n1 == n2 == n3 == leads * per, (n1, n2, n3)
        print(f"{label:<28} {pb:>8.2f}s {nv:>8.2f}s {fl:>8.2f}s {nv / pb:>8.2f}x {ratio:>8.2f}x")
        if leads == 20:
            proc = process_time(folder, work / "proc.xlsx", args.repeat)
            print(f"{'  as a process (cold start)':<28} {proc:>8.2f}s")
    if args.million:
        folder = make_inputs(100, 10_000, CACHE / "100x10000")
        start = time.perf_counter()
        n = planbook_run(folder, work / "million.xlsx")
        took = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        helper = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # the largest worker
        print(f"{'1,000,000 rows':<28} {took:>8.2f}s  {n} actions, peak RSS {peak:.0f} MB (whole benchmark "
              f"process) + {helper:.0f} MB (its largest worker) = {peak + helper:.0f} MB at most together")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
