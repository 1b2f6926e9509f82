"""Use the machine's second core for big consolidations.

Two helpers, each with the same result as doing the work in this process:

* :func:`map_in_order` — a forked worker and this process share out the items of a list,
  each taking the next one free; results come back in list order (reading 150 workbooks).
* :func:`in_child` — a forked child does one job (writing some sheets) while this process
  does another; :class:`Tickets` lets the two take pieces of one job in turn.
* :func:`prefetch` — where there is no fork: background threads compute the next items of
  a list while this thread uses each result in turn (calamine parses without holding
  Python's lock, though the threads contend for it; a worker process reads a third faster).

The first two need ``fork`` (the child starts with this process's memory, so nothing is
copied to it): Linux only.  If a worker or child fails for any reason, this process does
its share itself, so a failure costs time, never results.

``PLANBOOK_WORKERS=1`` turns both off: everything runs here, one item after another.
"""
from __future__ import annotations

import itertools
import os
import pickle
import queue
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def _switched_off() -> bool:
    return os.environ.get("PLANBOOK_WORKERS", "").strip() == "1"


def available() -> bool:
    """Can work be shared with a forked worker here?"""
    return not _switched_off() and sys.platform.startswith("linux") and (os.cpu_count() or 1) >= 2


def _context():
    import multiprocessing

    sys.stdout.flush()  # a forked child must not write out this process's pending output again
    sys.stderr.flush()
    return multiprocessing.get_context("fork")


def _in_child(parent: int) -> None:
    """First thing in a forked helper: die with the parent.  The kernel sends SIGKILL when the
    parent ends (Linux prctl PR_SET_PDEATHSIG), however it ends — even by SIGKILL — so no helper
    is left waiting on a pipe or writing a file nobody will read; and SIGTERM (a parent stopping
    it) ends it at once, not through the parent's handler."""
    import signal

    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
    except ValueError:  # not the main thread: leave the handlers be
        pass
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG = 1
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the parent died before the prctl took effect
        os._exit(1)
    _quiet_native_stderr()


def _quiet_native_stderr() -> None:
    """A helper's own messages go to stderr as before, but what native code writes there (a
    reader aborting on a hostile file prints its allocation failure and a Rust backtrace) does
    not: the parent says what happened, in one line."""
    try:
        sys.stderr.flush()
        kept = os.dup(2)
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 2)
        os.close(null)
        sys.stderr = open(kept, "w", buffering=1, encoding="utf-8", errors="replace")  # noqa: SIM115
    except OSError:
        pass


def _say_stopped(exc: BaseException) -> None:
    import errno

    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EACCES,
                                                  errno.ENOENT):
        return  # the disk is full, the folder read-only or gone (the parent was interrupted): it says so once
    print(f"planbook: a worker process stopped ({type(exc).__name__}: {exc}); carrying on in one process",
          file=sys.stderr)


def prefetch(fn: Callable[[T], R], items: Sequence[T], *, ahead: int = 3, threads: int = 2) -> Iterator[R]:
    """``map(fn, items)``, with the next few items computed ahead by background threads.

    For work that spends its time outside Python's lock — reading files, parsing in native
    code (calamine), hashing — while the caller turns each result into Python objects.
    At most ``ahead`` results wait, so memory stays bounded.  Threads need no fork: this works
    on every platform.
    """
    if len(items) < 2 or _switched_off():
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


def map_in_order(fn: Callable[[T], R], items: Sequence[T], *, pack: Callable[[R], bytes] = pickle.dumps,
                 unpack: Callable[[bytes], R] = pickle.loads, in_worker: Callable[[T], R] | None = None,
                 heaviest: int | None = None) -> Iterator[R]:
    """``map(fn, items)``, shared with a forked worker; results come back in ``items`` order.

    Each process takes the next item not yet taken, so a slow item does not hold the other
    process up.  ``pack``/``unpack`` carry a worker's result across (a compact form matters
    when results are large).  At most a few results wait out of order, so memory stays bounded.
    ``in_worker`` is what the worker runs instead of ``fn``: a version that may skip a check the
    worker does not need, since a crash there costs only the worker (this process then does
    what is missing with ``fn``).  ``heaviest`` is the index of an item that takes much longer
    than the others (a master plan among its copies): the worker starts with it, so the two
    processes finish together instead of one reading it at the end while the other waits.
    """
    if not (len(items) >= 2 and available()):
        yield from map(fn, items)
        return
    ctx = _context()
    receiver, sender = ctx.Pipe(duplex=False)
    order = list(range(len(items)))
    if heaviest is not None and 0 <= heaviest < len(items):
        order.insert(0, order.pop(heaviest))
    taken, lock = ctx.RawValue("q", 0), ctx.Lock()

    def take() -> int:
        """The next item to do, in ``order`` (len(items) when there is none)."""
        with lock:
            k = taken.value
            taken.value = k + 1
        return order[k] if k < len(order) else len(items)

    first = take()  # the worker's, taken before it starts: this process never takes it by mistake
    worker = ctx.Process(target=_serve, args=(in_worker or fn, items, pack, sender, take, receiver, os.getpid(),
                                              first), daemon=True)
    worker.start()
    sender.close()
    done: dict[int, R] = {}  # results not yet handed out
    want, broken = 0, False

    def receive(block: bool) -> bool:
        """Collect the worker's finished results; False once it has stopped."""
        try:
            while block or receiver.poll():
                data = receiver.recv_bytes()
                done[int.from_bytes(data[:4], "little")] = unpack(memoryview(data)[4:])
                block = False
            return True
        except (EOFError, OSError):  # the worker stopped (finished, failed or killed)
            return False

    try:
        while want < len(items):
            if want in done:
                yield done.pop(want)
                want += 1
                continue
            broken = broken or not receive(block=False)
            if want in done:
                continue
            if broken:  # the worker took this item but never delivered it: do it here
                done[want] = fn(items[want])
            elif len(done) < 4 and (i := take()) < len(items):
                done[i] = fn(items[i])
            else:  # the worker has what comes next
                broken = not receive(block=True)
    except BaseException:  # interrupted (Ctrl-C, SIGTERM) or failed: the worker's results are not wanted
        worker.terminate()
        raise
    finally:
        receiver.close()
        worker.join(timeout=5)
        if worker.is_alive():
            worker.kill()
            worker.join()


def _serve(fn: Callable, items: Sequence, pack: Callable, sender, take: Callable[[], int], receiver=None,
           parent: int | None = None, first: int | None = None) -> None:
    """The worker: item ``first`` (taken for it), then the next free item and so on; each
    result packed and handed to a sender thread (so computing goes on while the parent is busy)."""
    if parent is not None:
        _in_child(parent)
    if receiver is not None:
        receiver.close()  # its copy of the read end: with it open, a send to a dead parent would wait forever
    out: queue.Queue[bytes | None] = queue.Queue(maxsize=4)

    def send() -> None:
        while (data := out.get()) is not None:
            try:
                sender.send_bytes(data)
            except OSError:  # the parent stopped listening (it was interrupted)
                return

    thread = threading.Thread(target=send, daemon=True)
    thread.start()
    try:
        i = first if first is not None else take()
        while i < len(items):
            out.put(i.to_bytes(4, "little") + pack(fn(items[i])))
            i = take()
    except KeyboardInterrupt:  # Ctrl-C reaches both processes; the parent reports it
        pass
    except BaseException as exc:  # noqa: BLE001 - the parent redoes what is missing
        _say_stopped(exc)
    finally:
        out.put(None)
        thread.join()
        sender.close()


class Tickets:
    """The numbers 0 … ``count - 1``, each handed out once, to this process and a child forked
    after it was made alike: two processes sharing pieces of a job each take the next free one,
    so both finish together however quick each turns out to be."""

    def __init__(self, count: int) -> None:
        self.count = count
        if available():
            ctx = _context()
            self._next, self._lock = ctx.RawValue("q", 0), ctx.Lock()
        else:  # no child will be forked (no fork here, or switched off): this process takes them all
            self._next, self._lock = _Counter(), threading.Lock()

    def take(self) -> int | None:
        """The next number not yet taken, or None when all are."""
        with self._lock:
            k = self._next.value
            self._next.value = k + 1
        return k if k < self.count else None


class _Counter:
    """A ``RawValue``'s stand-in where no child shares the count."""

    value = 0


class Child:
    """A job running in a forked child; :meth:`wait` says whether it finished."""

    def __init__(self, process) -> None:
        self._process = process

    def wait(self) -> bool:
        if self._process is None:
            return False
        self._process.join()
        return self._process.exitcode == 0

    def stop(self) -> None:
        """End the job now (its result is not wanted: the parent was interrupted or failed)."""
        if self._process is not None and self._process.is_alive():
            self._process.kill()
            self._process.join()


def in_child(job: Callable[[], None]) -> Child:
    """Start ``job()`` in a forked child (it must leave its results in files).

    Returns at once.  ``Child.wait()`` is False if the job could not run in a child or failed
    there; the caller then does the job itself.
    """
    if not available():
        return Child(None)
    process = _context().Process(target=_run_job, args=(job, os.getpid()), daemon=True)
    process.start()
    return Child(process)


def _run_job(job: Callable[[], None], parent: int | None = None) -> None:
    if parent is not None:
        _in_child(parent)
    try:
        job()
    except BaseException as exc:  # noqa: BLE001 - exit code 1 tells the parent to do the job itself
        if not isinstance(exc, KeyboardInterrupt):  # Ctrl-C reaches both processes; the parent reports it
            _say_stopped(exc)
            sys.stderr.flush()
        os._exit(1)
