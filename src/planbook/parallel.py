"""Use the machine's second core for big consolidations.

Two helpers, each with the same result as doing the work in this process:

* :func:`prefetch` — background threads compute the next items of a list while this thread
  uses each result in turn (loading workbooks: calamine parses without holding Python's lock).
* :func:`in_child` — a forked child does one job (writing some sheets) while this process
  does another.  It needs ``fork`` (the child starts with this process's memory, so nothing
  is copied to it): Linux only.  Elsewhere, with one core, or if the child fails for any
  reason, this process does the job itself, so a failure costs time, never results.

``PLANBOOK_WORKERS=1`` turns both off: everything runs here, one item after another.
"""
from __future__ import annotations

import itertools
import os
import sys
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def available() -> bool:
    """Can work be shared with a forked worker here?"""
    if os.environ.get("PLANBOOK_WORKERS", "").strip() == "1":
        return False
    return sys.platform.startswith("linux") and (os.cpu_count() or 1) >= 2


def _context():
    import multiprocessing

    sys.stdout.flush()  # a forked child must not write out this process's pending output again
    sys.stderr.flush()
    return multiprocessing.get_context("fork")


def _say_stopped(exc: BaseException) -> None:
    print(f"planbook: a worker process stopped ({type(exc).__name__}: {exc}); carrying on in one process",
          file=sys.stderr)


def prefetch(fn: Callable[[T], R], items: Sequence[T], *, ahead: int = 3, threads: int = 2) -> Iterator[R]:
    """``map(fn, items)``, with the next few items computed ahead by background threads.

    For work that spends its time outside Python's lock — reading files, parsing in native
    code (calamine), hashing — while the caller turns each result into Python objects.
    At most ``ahead`` results wait, so memory stays bounded.  Threads need no fork: this works
    on every platform.
    """
    if len(items) < 2 or os.environ.get("PLANBOOK_WORKERS", "").strip() == "1":
        yield from map(fn, items)
        return
    from concurrent.futures import ThreadPoolExecutor

    pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="planbook-load")
    try:
        waiting = deque(pool.submit(fn, item) for item in items[:ahead])
        following = iter(items[ahead:])
        while waiting:
            result = waiting.popleft().result()
            for item in itertools.islice(following, 1):
                waiting.append(pool.submit(fn, item))
            yield result
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


class Child:
    """A job running in a forked child; :meth:`wait` says whether it finished."""

    def __init__(self, process) -> None:
        self._process = process

    def wait(self) -> bool:
        if self._process is None:
            return False
        self._process.join()
        return self._process.exitcode == 0


def in_child(job: Callable[[], None], *, parallel: bool = True) -> Child:
    """Start ``job()`` in a forked child (it must leave its results in files).

    Returns at once.  ``Child.wait()`` is False if the job could not run in a child or failed
    there; the caller then does the job itself.
    """
    if not (parallel and available()):
        return Child(None)
    process = _context().Process(target=_run_job, args=(job,), daemon=True)
    process.start()
    return Child(process)


def _run_job(job: Callable[[], None]) -> None:
    try:
        job()
    except BaseException as exc:  # noqa: BLE001 - exit code 1 tells the parent to do the job itself
        _say_stopped(exc)
        sys.stderr.flush()
        os._exit(1)
