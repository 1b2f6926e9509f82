"""Benchmark the Word report; prints its figures (not a test).

Cases: the council size (20 leads x 60 actions) and 45,000 actions (150 x 300), from the same
lead workbooks as benchmarks/consolidate.py (consolidated once, cached).  For each: the whole
`planbook report` process (interpreter start-up included), wall time and CPU time (user +
system, which a busy shared machine inflates less), medians of --repeat runs; and, once,
LibreOffice headless turning the report into PDF (issue 12: under a minute at 45,000 actions).

    python benchmarks/report.py [--repeat N] [--no-pdf]

Targets (issue 14): <= 0.4 s per process at council size, <= 3 s at 45,000 actions.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from consolidate import CACHE, make_inputs  # noqa: E402  (the same lead workbooks)


def consolidated(leads: int, per_lead: int) -> Path:
    folder = make_inputs(leads, per_lead, CACHE / f"{leads}x{per_lead}")
    out = CACHE / f"consolidated-{leads}x{per_lead}.xlsx"
    if not out.exists():
        from planbook.rollup.pipeline import consolidate_to

        consolidate_to([folder], out, today=dt.date(2009, 10, 9))
    return out


def time_process(args: list[str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-pdf", action="store_true", help="skip the LibreOffice conversions")
    args = parser.parse_args()
    planbook = [sys.executable, "-m", "planbook.cli", "report"]
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print("| case | actions | report process: wall | CPU | target | pages | LibreOffice to PDF |")
    print("|---|---|---|---|---|---|---|")
    for leads, per_lead, target in ((20, 60, 0.4), (150, 300, 3.0)):
        src = consolidated(leads, per_lead)
        out = CACHE / f"summary-{leads}x{per_lead}.docx"
        runs = [time_process([*planbook, str(src), "--out", str(out)]) for _ in range(args.repeat)]
        wall = statistics.median(r[0] for r in runs)
        cpu = statistics.median(r[1] for r in runs)
        pdf_text, pages = "skipped", "-"
        if not args.no_pdf:
            from planbook.word.pdf import to_pdf

            start = time.perf_counter()
            pdf = to_pdf(out)
            pdf_text = f"{time.perf_counter() - start:.1f} s"
            info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
            pages = next((line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")), "?")
        print(f"| {leads} leads x {per_lead} | {leads * per_lead:,} | {wall:.2f} s | {cpu:.2f} s | "
              f"<= {target} s | {pages} | {pdf_text} |")
    print(f"load average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
