"""Work shared with a forked process gives exactly what one process gives, even when the helper fails."""
from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import os
import re
import threading
import time
import zipfile
import zlib

import pytest
import xlsxwriter
from hypothesis import given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from planbook.fast import parallel
from planbook import Lead, PlanInfo, write_plan
from planbook.rollup import consolidate as consolidate_module
from planbook.rollup import output as consolidated_writer
from planbook.fast import fastrows
from planbook.rollup.consolidate import consolidate
from planbook.rollup.output import write_consolidated
from planbook.fast.fastrows import crc32_combine, splice_rows

from .conftest import small_plan

TODAY = dt.date(2009, 10, 9)


@pytest.fixture(autouse=True)
def _fork_allowed(monkeypatch):
    """Share work on any Linux machine the tests run on, however many cores it has."""
    monkeypatch.delenv("PLANBOOK_WORKERS", raising=False)
    monkeypatch.setattr(parallel, "available", lambda: True)


def _pid_of(item: int) -> tuple[int, int]:
    time.sleep(0.005)  # long enough for the worker to start and take its share
    return item * item, os.getpid()


def test_map_in_order_shares_items_and_keeps_their_order():
    results = list(parallel.map_in_order(_pid_of, list(range(40))))
    assert [r for r, _ in results] == [i * i for i in range(40)]
    pids = {pid for _, pid in results}
    assert os.getpid() in pids and len(pids) == 2  # both processes did some


def test_map_in_order_gives_the_heaviest_item_to_the_worker_first():
    """A master plan among its copies: the worker starts with it (so this process reads the
    copies meanwhile, not the master at the end while the worker waits); order is kept."""
    started = time.monotonic()

    def timed(item: int) -> tuple[int, int, float]:
        time.sleep(0.4 if item == 29 else 0.005)
        return item, os.getpid(), time.monotonic() - started

    results = list(parallel.map_in_order(timed, list(range(30)), heaviest=29))
    assert [i for i, _, _ in results] == list(range(30))
    heavy = results[29]
    assert heavy[1] != os.getpid()  # the worker's
    assert heavy[2] < 0.6  # started at once, not after the others
    assert sum(1 for _, pid, _ in results[:29] if pid == os.getpid()) >= 20  # this process did the light ones
    assert time.monotonic() - started < 0.75  # together, not one after the other (about 0.55)


def test_map_in_order_does_the_heaviest_item_here_when_the_worker_fails():
    parent = os.getpid()

    def fragile(item: int) -> int:
        if os.getpid() != parent:
            raise MemoryError("worker out of memory")
        return item * 10

    assert list(parallel.map_in_order(fragile, list(range(10)), heaviest=9)) == [i * 10 for i in range(10)]


def test_map_in_order_finishes_the_work_when_the_worker_fails(capfd):
    parent = os.getpid()

    def fragile(item: int) -> int:
        time.sleep(0.005)
        if os.getpid() != parent and item >= 3:
            raise MemoryError("worker out of memory")
        return item * 10

    assert list(parallel.map_in_order(fragile, list(range(30)))) == [i * 10 for i in range(30)]
    assert "worker process stopped (MemoryError: worker out of memory)" in capfd.readouterr().err


def test_map_in_order_runs_here_when_forking_is_switched_off(monkeypatch):
    monkeypatch.setattr(parallel, "available", lambda: False)
    assert {pid for _, pid in parallel.map_in_order(_pid_of, list(range(10)))} == {os.getpid()}


def test_prefetch_gives_map_in_order_and_runs_ahead_on_threads():
    started: list[int] = []

    def slow_square(item: int) -> tuple[int, str]:
        started.append(item)
        time.sleep(0.002 * (item % 3))  # finishing out of order must not matter
        return item * item, threading.current_thread().name

    seen = []
    for item, (square, thread) in zip(range(30), parallel.prefetch(slow_square, list(range(30)), ahead=3)):
        assert square == item * item and thread.startswith("planbook-load")
        assert max(started) <= item + 3  # never more than `ahead` items beyond the one in hand
        seen.append(item)
    assert seen == list(range(30))


def test_prefetch_passes_on_an_error_and_stops():
    def fail_on_five(item: int) -> int:
        if item == 5:
            raise ValueError("bad item")
        return item

    got = []
    with pytest.raises(ValueError, match="bad item"):
        for value in parallel.prefetch(fail_on_five, list(range(100))):
            got.append(value)
    assert got == [0, 1, 2, 3, 4]


def test_prefetch_runs_here_when_workers_are_switched_off(monkeypatch):
    monkeypatch.setenv("PLANBOOK_WORKERS", "1")
    assert {name for name in parallel.prefetch(lambda _: threading.current_thread().name, list(range(5)))} \
        == {threading.current_thread().name}


def test_in_child_reports_failure_so_the_caller_can_redo_the_job(tmp_path):
    target = tmp_path / "done"
    assert parallel.in_child(target.touch).wait() and target.exists()
    assert not parallel.in_child(lambda: 1 / 0).wait()


@settings(max_examples=200)
@given(st.binary(max_size=300), st.binary(max_size=300))
def test_crc32_combine_matches_zlib(a, b):
    assert crc32_combine(zlib.crc32(a), zlib.crc32(b), len(b)) == zlib.crc32(a + b)


def _grid(n: int) -> list[list[object]]:
    return [[dt.date(2009, 1, 1) + dt.timedelta(days=i), f"row {i} <&> text", i * 1.5, None if i % 3 else "x"]
            for i in range(n)]


def _splice(path, rows, piece_rows=None, right_styles=True):
    """Two sheets of ``rows``; with ``piece_rows``, a forked child, started before the workbook
    exists (as the consolidated writer does), and this process write them in pieces that long."""
    wb = xlsxwriter.Workbook(str(path))
    date = wb.add_format({"num_format": "yyyy-mm-dd"})
    style = f' s="{date._get_xf_index()}"' if right_styles else ' s="7"'
    spec = (4, len(rows), lambda start, stop: rows[start:stop], 0)
    sheets = {1: spec, 2: spec}
    with fastrows.rows_child(sheets, {i: ([style, "", "", ""], style) for i in sheets}, path, piece_rows=piece_rows) \
            if piece_rows else contextlib.nullcontext() as child:
        for name in ("One", "Two"):
            ws = wb.add_worksheet(name)
            ws.write_row(0, 0, ["When", "What", "How much", "Flag"])
            ws.write_blank(1, 0, None, date)
        wb.close()
        splice_rows(path, sheets, child=child)


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 60), st.integers(1, 70), st.booleans())
def test_a_sheet_split_between_processes_is_the_same_sheet(tmp_path_factory, n, piece_rows, right_styles):
    rows = _grid(n)
    folder = tmp_path_factory.mktemp("split")
    _splice(folder / "one.xlsx", rows)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(parallel, "available", lambda: True)
        _splice(folder / "two.xlsx", rows, piece_rows=piece_rows, right_styles=right_styles)
    with zipfile.ZipFile(folder / "one.xlsx") as a, zipfile.ZipFile(folder / "two.xlsx") as b:
        assert b.testzip() is None  # every member's CRC, including the joined ones
        assert sorted(a.namelist()) == sorted(b.namelist())
        for name in a.namelist():
            if name != "docProps/core.xml":  # holds the time of writing
                assert a.read(name) == b.read(name), name
    got = CalamineWorkbook.from_path(str(folder / "two.xlsx")).get_sheet_by_name("One").to_python()
    assert len(got) == n + 1 and (n == 0 or got[-1][1] == f"row {n - 1} <&> text")


def test_the_child_and_this_process_take_pieces_in_turn(tmp_path, monkeypatch):
    """The child starts on the rows while the workbook is made; this process then takes the
    pieces left, so a slow child holds nothing up, and the sheet reads as one."""
    monkeypatch.setattr(parallel, "available", lambda: True)
    rows, parent = _grid(50), os.getpid()

    def make_rows(start, stop):
        if os.getpid() != parent and start == 0:
            time.sleep(1)  # the child is slow on its first piece: this process takes the others
        return rows[start:stop]

    path, taken = tmp_path / "shared.xlsx", []
    real = fastrows.RowsChild.take_pieces
    monkeypatch.setattr(fastrows.RowsChild, "take_pieces", lambda self, *a: taken.append(real(self, *a)) or taken[-1])
    wb = xlsxwriter.Workbook(str(path))
    date = wb.add_format({"num_format": "yyyy-mm-dd"})
    style = f' s="{date._get_xf_index()}"'
    sheets = {1: (4, len(rows), make_rows, 0)}
    with fastrows.rows_child(sheets, {1: ([style, "", "", ""], style)}, path, piece_rows=5) as child:
        while child.tickets._next.value < 1:  # the child has taken its first piece
            time.sleep(0.01)
        ws = wb.add_worksheet("One")
        ws.write_row(0, 0, ["When", "What", "How much", "Flag"])
        ws.write_blank(1, 0, None, date)
        wb.close()
        splice_rows(path, sheets, child=child)
    files = [taken[0][k][0] for k in range(10)]
    assert files[0] == child.part and files[1:] == [files[1]] * 9 and files[1] != child.part
    got = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("One").to_python()
    assert [r[1] for r in got[1:]] == [r[1] for r in rows]


def test_rows_in_pieces_with_no_child_to_share_them(tmp_path, monkeypatch):
    """Where no child can be forked (Windows, macOS, PLANBOOK_WORKERS=1), this process takes
    every piece: the same workbook."""
    rows = _grid(23)
    _splice(tmp_path / "one.xlsx", rows)
    monkeypatch.setattr(parallel, "available", lambda: False)

    def no_fork():
        raise ValueError("cannot find context for 'fork'")  # as on Windows

    monkeypatch.setattr(parallel, "_context", no_fork)
    _splice(tmp_path / "two.xlsx", rows, piece_rows=5)
    _same_members(tmp_path / "one.xlsx", tmp_path / "two.xlsx")


def _inputs(folder, leads: int = 12):
    folder.mkdir()
    info, actions = small_plan()
    names = [f"Lead {i:02d}" for i in range(leads)]
    info = PlanInfo(info.title, info.period, [Lead(n) for n in names], info.themes)
    for i, name in enumerate(names):
        mine = [type(a)(f"{i + 1}.{j + 1}", f"{a.action} ({name})", name, theme=a.theme, due=a.due, status=a.status,
                        progress=a.progress) for j, a in enumerate(actions)]
        write_plan(folder / f"{name}.xlsx", info, mine, only_leads=[name], role="lead-copy")
    (folder / "~$Lead 00.xlsx").write_bytes(b"lock")
    (folder / "broken.xlsx").write_bytes(b"PK not really")
    return folder


def _everything(result):
    return ([(a.ref, a.action, a.lead, a.theme, a.status, a.status_text, a.due, a.progress, a.last_updated,
              a.extras, a.origin) for a in result.actions],
            [f.__dict__ for f in result.report], [s.__dict__ for s in result.sources],
            [(e.reason, e.action.ref) for e in result.exceptions])


def test_consolidation_read_by_a_worker_or_threads_equals_one_thread(tmp_path, monkeypatch):
    folder = _inputs(tmp_path / "in")
    readers = tmp_path / "pids"

    def noting(real_read):
        def read(path):
            with open(readers, "a") as fh:
                fh.write(f"{os.getpid()}\n")
            time.sleep(0.01)  # give the worker time to start and take its share
            return real_read(path)
        return read

    monkeypatch.setattr(consolidate_module, "_read_source", noting(consolidate_module._read_source))
    monkeypatch.setattr(consolidate_module, "_read_source_in_worker",
                        noting(consolidate_module._read_source_in_worker))
    monkeypatch.setattr(consolidate_module, "PARALLEL_FROM", 2)
    by_worker = consolidate([folder], today=TODAY)
    assert len(set(readers.read_text().split())) == 2  # both processes read some files
    monkeypatch.setattr(parallel, "available", lambda: False)  # no fork: loader threads
    by_threads = consolidate([folder], today=TODAY)
    monkeypatch.setenv("PLANBOOK_WORKERS", "1")
    alone = consolidate([folder], today=TODAY)
    assert _everything(by_worker) == _everything(alone) == _everything(by_threads)
    assert len(alone.actions) == 12 * 4 and any(s.skipped for s in alone.sources)


def test_workbook_written_by_two_processes_equals_one(tmp_path, monkeypatch):
    result = consolidate([_inputs(tmp_path / "in")], today=TODAY)
    started = _children_started(monkeypatch)
    monkeypatch.setattr(consolidated_writer, "PARALLEL_FROM_ROWS", 0)
    write_consolidated(result, tmp_path / "two.xlsx")
    assert len(started) == 1 and started[0]._process.exitcode == 0
    monkeypatch.setattr(consolidated_writer, "PARALLEL_FROM_ROWS", 10**9)
    write_consolidated(result, tmp_path / "one.xlsx")
    assert len(started) == 1
    _same_members(tmp_path / "one.xlsx", tmp_path / "two.xlsx")


def test_workbook_is_whole_when_the_writing_child_fails(tmp_path, monkeypatch, capfd):
    result = consolidate([_inputs(tmp_path / "in")], today=TODAY)
    write_consolidated(result, tmp_path / "one.xlsx")

    def fail(*args):
        raise OSError("disk full")

    monkeypatch.setattr(fastrows, "_save_index", fail)  # only the child calls it
    monkeypatch.setattr(consolidated_writer, "PARALLEL_FROM_ROWS", 0)
    write_consolidated(result, tmp_path / "two.xlsx")
    assert "stopped (OSError: disk full)" in capfd.readouterr().err
    _same_members(tmp_path / "one.xlsx", tmp_path / "two.xlsx")


def _children_started(monkeypatch) -> list:
    """The forked children started from now on (parallel.in_child's), as they start."""
    started = []
    real_in_child = parallel.in_child

    def spy(job, **kw):
        started.append(real_in_child(job, **kw))
        return started[-1]

    monkeypatch.setattr(parallel, "in_child", spy)
    return started


def _same_members(one, two):
    with zipfile.ZipFile(one) as a, zipfile.ZipFile(two) as b:
        assert b.testzip() is None
        assert sorted(a.namelist()) == sorted(b.namelist())
        for name in a.namelist():
            if name != "docProps/core.xml":  # holds the time of writing
                assert _untimed(a.read(name)) == _untimed(b.read(name)), name


def _untimed(xml: bytes) -> bytes:
    """A part with the time of writing a plan's metadata holds (to the second) blotted out."""
    return re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", b"(written)", xml)


def _plan_with_history(tmp_path, copies: int = 1):
    """The small plan (its actions ``copies`` times over) with eight periods of history, one
    update holding XML's own characters; its id fixed, so two writings are byte for byte alike."""
    from planbook.workbook.history import History

    info, actions = small_plan()
    info.plan_id = "plan-under-test"
    actions = [dataclasses.replace(a, ref=f"{a.ref}.{n}" if n else a.ref) for n in range(copies) for a in actions]
    history = History()
    for q in range(8):
        for a in actions:
            a.progress = f"<b>{a.ref}</b> & moved on in quarter {q}: " + "the work went on as planned. " * 5
        history = history.with_period(f"Q{q % 4 + 1} {2007 + q // 4}/{(8 + q // 4) % 100:02d}", actions)
    return info, actions, history


def test_a_plans_history_written_by_a_child_equals_one_written_here(tmp_path, monkeypatch):
    """The History sheet's rows come from a forked child while the lead tabs are made: the
    workbook is the one a single process writes, and so when the child fails."""
    from planbook.workbook import writer

    info, actions, history = _plan_with_history(tmp_path)
    started = _children_started(monkeypatch)
    monkeypatch.setattr(writer, "PARALLEL_FROM_ROWS", 10**9)
    write_plan(tmp_path / "one.xlsx", info, actions, history=history)
    assert not started
    monkeypatch.setattr(writer, "PARALLEL_FROM_ROWS", 0)
    write_plan(tmp_path / "two.xlsx", info, actions, history=history)
    assert len(started) == 1 and started[0]._process.exitcode == 0
    _same_members(tmp_path / "one.xlsx", tmp_path / "two.xlsx")
    monkeypatch.setattr(fastrows, "_deflate_into", _failing_in_child(fastrows._deflate_into))
    write_plan(tmp_path / "three.xlsx", info, actions, history=history)
    assert started[-1]._process.exitcode != 0
    _same_members(tmp_path / "one.xlsx", tmp_path / "three.xlsx")
    rows = CalamineWorkbook.from_path(str(tmp_path / "two.xlsx")).get_sheet_by_name("History").to_python()
    assert [r[0] for r in rows[1:]] == [a.ref for a in actions]
    assert rows[1][rows[0].index("Update Q4 2008/09")].startswith("<b>1.1</b> & moved on in quarter 7")


def _failing_in_child(real):
    parent = os.getpid()

    def deflate(*args, **kwargs):
        if os.getpid() != parent:
            os._exit(3)  # the child dies half-way
        return real(*args, **kwargs)

    return deflate


def test_the_largest_sheet_parsed_on_a_thread_of_its_own_reads_the_same(tmp_path, monkeypatch):
    """A big workbook's largest sheet (a master's History) is parsed beside the others: the
    plan read is the same, and a failure there is said as for any sheet."""
    from planbook.files import opening
    from planbook.files.opening import load_workbook

    info, actions, history = _plan_with_history(tmp_path, copies=10)
    write_plan(tmp_path / "plan.xlsx", info, actions, history=history)
    alone = load_workbook(tmp_path / "plan.xlsx")
    monkeypatch.setattr(opening, "PARSE_APART_FROM", 0)
    assert opening._largest_sheet((tmp_path / "plan.xlsx").read_bytes(), alone.names) == "History"
    threads = []
    real_thread = opening.threading.Thread

    def spy(*args, **kwargs):
        threads.append(real_thread(*args, **kwargs))
        return threads[-1]

    monkeypatch.setattr(opening.threading, "Thread", spy)
    apart = load_workbook(tmp_path / "plan.xlsx")
    assert len(threads) == 1 and apart.names == alone.names
    assert {n: apart.rows(n) for n in apart.names} == {n: alone.rows(n) for n in alone.names}

    def broken(wb, name, path):
        if name == "History":
            raise opening.UnusableFileError(path, "sheet 'History' cannot be read (XmlError)")
        return real_parse(wb, name, path)

    real_parse = opening._parse_sheet
    monkeypatch.setattr(opening, "_parse_sheet", broken)
    with pytest.raises(opening.UnusableFileError, match="History"):
        load_workbook(tmp_path / "plan.xlsx")


@pytest.mark.parametrize("damage", ["deflate", "encrypted"])
def test_a_damaged_part_no_reader_needs_leaves_a_big_workbook_readable(tmp_path, monkeypatch, damage):
    """Looking for a big workbook's largest sheet reads its workbook parts as listed; a damaged
    one that calamine never reads (a second workbook.xml outside xl/) is not an error: the
    workbook is parsed sheet after sheet, as a small one is."""
    from planbook.files import opening
    from planbook.files.opening import load_workbook

    info, actions, history = _plan_with_history(tmp_path)
    write_plan(tmp_path / "plan.xlsx", info, actions, history=history)
    path = tmp_path / "with part.xlsx"
    with zipfile.ZipFile(tmp_path / "plan.xlsx") as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            zout.writestr(item, zin.read(item.filename))
        zout.writestr("docProps/_rels/workbook.xml.rels", b'<?xml version="1.0"?><Relationships/>')
        zout.writestr("docProps/workbook.xml", b'<?xml version="1.0"?><workbook>' + b"x" * 2000 + b"</workbook>")
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        at = zf.getinfo("docProps/workbook.xml").header_offset
    if damage == "deflate":
        name_len, extra_len = int.from_bytes(data[at + 26:at + 28], "little"), int.from_bytes(data[at + 28:at + 30], "little")
        data[at + 30 + name_len + extra_len] = 0xFF  # not a deflate block
    else:  # flagged encrypted, in the local and the central header
        data[at + 6] |= 1
        central = data.find(b"PK\x01\x02")
        while central != -1:
            size = int.from_bytes(data[central + 28:central + 30], "little")
            if data[central + 46:central + 46 + size] == b"docProps/workbook.xml":
                data[central + 8] |= 1
            central = data.find(b"PK\x01\x02", central + 4)
    path.write_bytes(bytes(data))
    monkeypatch.setattr(opening, "PARSE_APART_FROM", 0)
    book = load_workbook(path)
    assert book.names == load_workbook(tmp_path / "plan.xlsx").names
    assert [r[0] for r in book.rows("History")[1:]] == [a.ref for a in actions]
