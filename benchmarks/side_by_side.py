"""Consolidation timed for several versions of planbook side by side; prints its figures (not a test).

A shared machine's speed drifts by a fifth within minutes, so a figure measured another day
cannot be compared with today's.  This runs each version in its own process, in turn, on the
same input files (written by the first version given, so every version reads them), and
prints per version the median and fastest planbook time and the median of planbook ÷ floor
taken run by run (the floor as in benchmarks/consolidate.py).

The floor writes its rows with planbook's own row streamer, so it is always run with the
first version's code, right after each version's runs: a later version's quicker streamer
would otherwise make the floor it is divided by quicker too, and its ratio look worse.

    python benchmarks/side_by_side.py REV [REV ...] [--rounds N] [--leads N --per-lead N]

Each REV is a git revision of this repository (checked out in a temporary worktree, removed
afterwards) or ``.`` for the working tree as it is.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: Run in each version's own process: its source alone on the path (the editable install's
#: finder, which would add this checkout's modules, is taken out first).
RUNNER = r'''
import sys
sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in repr(f)]
import datetime as dt, json, time
from pathlib import Path
folder, out, runs, what = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
try:
    from planbook.rollup.pipeline import consolidate_to
    from planbook.fast.fastrows import splice_rows
except ImportError:  # before the layered package
    from planbook.consolidated_writer import consolidate_to
    from planbook.fastrows import splice_rows
import xlsxwriter
from python_calamine import CalamineWorkbook

def planbook():
    return len(consolidate_to([folder], out / "planbook.xlsx", today=dt.date(2009, 10, 9)).actions)

def floor():
    rows = []
    for path in sorted(folder.glob("*.xlsx")):
        wb = CalamineWorkbook.from_path(str(path))
        for name in wb.sheet_names:
            if name not in ("Guide", "Lists", "_planbook"):
                rows += [r for r in wb.get_sheet_by_name(name).to_python()[1:] if any(v != "" for v in r)]
    width = max(len(r) for r in rows)
    book = xlsxwriter.Workbook(str(out / "floor.xlsx"))
    book.add_worksheet("All actions").write_row(0, 0, [f"Column {i}" for i in range(width)])
    book.close()
    splice_rows(out / "floor.xlsx", {1: (width, len(rows), lambda start, stop: rows[start:stop], None)})
    return len(rows)

job = planbook if what == "planbook" else floor
job()  # imports and first-run costs out of the figures
times = []
for _ in range(runs):
    start = time.perf_counter(); job(); times.append(time.perf_counter() - start)
print(json.dumps(times))
'''

MAKE_INPUTS = r'''
import sys
sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in repr(f)]
sys.path.insert(0, sys.argv[1])
from pathlib import Path
import consolidate
consolidate.make_inputs(int(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4]))
'''


def checkout(rev: str, work: Path) -> Path:
    """The root of a checkout of ``rev`` (a temporary worktree), or this one for ``.``."""
    if rev == ".":
        return ROOT
    place = work / rev.replace("/", "_")
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "--quiet", str(place), rev], check=True)
    return place


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("revs", nargs="+", help="git revisions, or . for the working tree")
    ap.add_argument("--rounds", type=int, default=5, help="rounds of every version in turn (default 5)")
    ap.add_argument("--runs", type=int, default=2, help="timed runs of each version a round (default 2)")
    ap.add_argument("--leads", type=int, default=150)
    ap.add_argument("--per-lead", type=int, default=300)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="planbook-side-by-side-"))
    trees: list[tuple[str, Path]] = []
    try:
        trees = [(rev, checkout(rev, work)) for rev in args.revs]
        inputs = work / "inputs"
        env = {**os.environ, "PYTHONPATH": str(trees[0][1] / "src")}
        print(f"writing {args.leads} x {args.per_lead} inputs with {trees[0][0]} ...", file=sys.stderr)
        subprocess.run([sys.executable, "-c", MAKE_INPUTS, str(trees[0][1] / "benchmarks"), str(args.leads),
                        str(args.per_lead), str(inputs)], env=env, check=True)
        times: dict[str, list[tuple[float, float]]] = {rev: [] for rev, _ in trees}
        out = work / "out"
        out.mkdir(exist_ok=True)

        def run(tree: Path, what: str) -> list[float]:
            done = subprocess.run([sys.executable, "-c", RUNNER, str(inputs), str(out), str(args.runs), what],
                                  env={**os.environ, "PYTHONPATH": str(tree / "src")}, check=True,
                                  capture_output=True, text=True)
            return json.loads(done.stdout)

        for n in range(args.rounds):
            for rev, tree in trees:
                print(f"round {n + 1}/{args.rounds}: {rev}", file=sys.stderr)
                times[rev] += list(zip(run(tree, "planbook"), run(trees[0][1], "floor")))
        print(f"{'version':<20} {'planbook median':>16} {'fastest':>9} {'floor median':>13} {'pb/floor median':>16} "
              f"{'(min-max)':>12}")
        for rev, runs in times.items():
            mine, floors = [m for m, _ in runs], [f for _, f in runs]
            ratios = [m / f for m, f in runs]
            print(f"{rev:<20} {statistics.median(mine):>15.2f}s {min(mine):>8.2f}s {statistics.median(floors):>12.2f}s "
                  f"{statistics.median(ratios):>15.2f}x {min(ratios):>5.2f}-{max(ratios):.2f}")
    finally:
        for rev, tree in trees:
            if tree != ROOT:
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=False)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
