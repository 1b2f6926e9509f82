"""Faults around the returns (issue 21, item 8): duplicate headers on import, a split that cannot
write, and a run interrupted at any moment — before, while and after its output is put in place,
and while Python shuts down."""
from __future__ import annotations

import contextlib
import hashlib
import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from .conftest import run_cli
from .returns_family import make_quarter


@pytest.mark.parametrize("headers", [("Notes", "notes"), ("Notes", "Notes"), ("Status", "status")])
def test_import_keeps_headers_repeated_or_differing_only_in_case_as_distinct_columns(tmp_path, headers):
    src = tmp_path / "plan.csv"
    src.write_text(f"Ref,Action,Lead,{headers[0]},{headers[1]}\n1.1,Map provision,Jane Smith,first,second\n"
                   "1.2,Review panels,Raj Patel,third,fourth\n", encoding="utf-8")
    out = tmp_path / "plan.xlsx"
    result = run_cli("import", src, "--out", out)
    assert result.returncode in (0, 1) and "Traceback" not in result.stderr, result.stderr
    assert "renamed-column" in result.stdout + result.stderr or headers[0].lower() == "status"
    check = run_cli("validate", out, "--json")
    assert "Traceback" not in check.stderr
    wb = CalamineWorkbook.from_path(str(out))
    values = []
    for name in wb.sheet_names:
        if name in ("Guide", "Lists", "_planbook"):
            continue
        rows = wb.get_sheet_by_name(name).to_python()
        assert rows and rows[0][0] == "Ref", rows[:1]  # a header row, every tab
        values += [v for r in rows[1:] for v in r]
    for v in ("first", "second", "third", "fourth"):  # nothing lost
        assert v in values, (v, values)


@contextlib.contextmanager
def _small_disk(folder: Path):
    folder.mkdir(exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=12k", "tmpfs", str(folder)], capture_output=True)
    try:
        yield done.returncode == 0
    finally:
        if done.returncode == 0:
            subprocess.run(["umount", str(folder)], check=True)


def test_split_that_cannot_write_leaves_nothing_behind(tmp_path):
    q = make_quarter(tmp_path)
    disk = tmp_path / "disk"
    with _small_disk(disk) as mounted:
        out = disk / "for-leads" / "q2"
        if mounted:
            result = run_cli("split", q.plan, "--out", out)
        else:  # no mount permission: the same failure of write(2), from a file-size limit
            result = subprocess.run([sys.executable, "-m", "planbook.cli", "split", str(q.plan), "--out", str(out)],
                                    capture_output=True, text=True,
                                    preexec_fn=lambda: (signal.signal(signal.SIGXFSZ, signal.SIG_IGN),
                                                        resource.setrlimit(resource.RLIMIT_FSIZE, (12_000, 12_000))))
        assert result.returncode == 2, result.stderr
        assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
        assert list(disk.iterdir()) == []  # no folder, no copy, no temporary file
    # an existing folder with earlier copies: they stay as they were
    out = tmp_path / "copies"
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    result = subprocess.run([sys.executable, "-m", "planbook.cli", "split", str(q.plan), "--out", str(out), "--force"],
                            capture_output=True, text=True,
                            preexec_fn=lambda: (signal.signal(signal.SIGXFSZ, signal.SIG_IGN),
                                                resource.setrlimit(resource.RLIMIT_FSIZE, (12_000, 12_000))))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


HARNESS = r"""
import os, signal, sys, threading, time
moment = os.environ["MOMENT"]
import planbook.cli as cli
if moment == "reading":
    import planbook.rollup.merge as merge
    real_merge = merge.merge
    def interrupted_merge(*a, **k):
        os.kill(os.getpid(), signal.SIGINT)
        return real_merge(*a, **k)
    merge.merge = interrupted_merge
elif moment in ("renaming", "renamed"):
    real_replace = os.replace
    def replace(a, b):
        if moment == "renaming":
            os.kill(os.getpid(), signal.SIGINT)
        real_replace(a, b)
        if moment == "renamed":
            os.kill(os.getpid(), signal.SIGINT)
    os.replace = replace
elif moment == "shutdown":
    def late():
        threading.main_thread().join()
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.3)
    threading.Thread(target=late).start()
sys.argv = ["planbook", *sys.argv[1:]]
sys.exit(cli.main())
"""


@pytest.mark.parametrize("moment, code", [("reading", 130), ("renaming", 0), ("renamed", 0), ("shutdown", 0)])
def test_an_interrupted_run_either_finished_or_did_not_and_says_which(tmp_path, moment, code):
    q = make_quarter(tmp_path)
    out = tmp_path / "consolidated.xlsx"
    first = run_cli("consolidate", q.plan, q.returns, "--out", out, "--as-of", "2009-10-01")
    assert first.returncode == 0, first.stderr
    old = hashlib.sha256(out.read_bytes()).hexdigest()
    env = {**os.environ, "MOMENT": moment}
    result = subprocess.run([sys.executable, "-c", HARNESS, "consolidate", str(q.plan), str(q.returns), "--out",
                             str(out), "--as-of", "2009-10-09"], capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == code, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr and "Exception ignored" not in result.stderr, result.stderr
    now = hashlib.sha256(out.read_bytes()).hexdigest()
    if code == 130:
        assert now == old and "nothing was changed" in result.stderr
    else:
        assert now != old
        if moment != "shutdown":
            assert "the run finished and the output is complete" in result.stderr
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary file left
