"""Write output files atomically: to a temporary file beside the target, then rename."""
from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import socket
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from planbook.core.errors import OutputError

#: Every temporary file or folder planbook makes beside an output names its process and machine:
#: ``.<stem>.pb<pid>-<machine>.<random><suffix>.tmp`` (and ``….splice``, ``….parts-…``).  Those
#: of a process of this machine that no longer runs (killed with SIGKILL) are removed by the next
#: write to the same folder; another machine's (a shared drive) are never touched.
_OURS = re.compile(r"^\..*\.pb(\d+)-([0-9a-f]{8})\.[^/]*\.tmp(?:\.splice|\.parts-[^/]*)?$")
_MACHINE = hashlib.sha256(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:8]


def _set_mode(tmp: Path, target: Path) -> None:
    """Give the new file the permissions a normal save would: the old file's, else the umask's.

    (mkstemp makes temporary files private, 0600; an output on a shared drive must not be.)
    """
    if target.exists():
        mode = target.stat().st_mode & 0o777
    else:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    os.chmod(tmp, mode)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, another user's
        return True
    return True


def remove_stale_temporaries(folder: Path) -> None:
    """Remove temporary files and folders left beside outputs by planbook runs that were killed."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        m = _OURS.match(entry.name)
        if m and m.group(2) == _MACHINE and not _alive(int(m.group(1))):
            with contextlib.suppress(OSError):
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path)
                else:
                    os.unlink(entry.path)


#: Called just before an output is put in place (renamed over its target).  The command line
#: registers one: from that moment a Ctrl-C no longer stops the run, which finishes and says so,
#: so an interrupted run has either finished (the new output) or not (the old one untouched).
BEFORE_COMMIT: list = []


def about_to_commit() -> None:
    """Run the :data:`BEFORE_COMMIT` hooks (every writer calls this before its outputs' rename)."""
    for hook in BEFORE_COMMIT:
        hook()


@contextlib.contextmanager
def staged_outputs(folder: str | os.PathLike[str]) -> Iterator[Path]:
    """A temporary folder inside ``folder`` to write several outputs into before any is put in
    place (``split``'s copies): the caller moves them into ``folder`` at the end (after
    :func:`about_to_commit`).  The temporary folder is always removed; ``folder`` and its
    parents, if made here, are removed again when the block fails, so a run that cannot write
    (disk full, read-only) leaves nothing behind."""
    folder = Path(folder)
    made = _missing_folders(folder)
    make_folder(folder)
    try:
        remove_stale_temporaries(folder)
        _FOLDERS.add(os.fspath(folder))
        try:
            stage = Path(tempfile.mkdtemp(prefix=f".staged.pb{os.getpid()}-{_MACHINE}.", suffix=".tmp", dir=folder))
        except OSError as exc:
            raise OutputError(f"cannot write to {folder}: {describe_os_error(exc)}") from exc
        _STAGES.add(os.fspath(stage))
        try:
            yield stage
        finally:
            _STAGES.discard(os.fspath(stage))
            shutil.rmtree(stage, ignore_errors=True)
    except BaseException:
        for made_folder in reversed(made):
            with contextlib.suppress(OSError):
                made_folder.rmdir()
        raise


#: Staging folders open now (see :func:`staged_outputs`): a file written into one is not yet an
#: output put in place, so writing it never starts the "finishing" state (a Ctrl-C still stops).
_STAGES: set[str] = set()

#: Folders this process has written temporary files into (see :func:`remove_own_temporaries`).
_FOLDERS: set[str] = set()


def remove_own_temporaries() -> None:
    """Remove every temporary file or folder this process made beside an output.  For a run
    being stopped (Ctrl-C, SIGTERM): an interruption can land between a temporary file's
    creation and the code that would remove it."""
    me = os.getpid()
    for folder in list(_FOLDERS):
        with contextlib.suppress(OSError):
            for entry in os.scandir(folder):
                m = _OURS.match(entry.name)
                if m and int(m.group(1)) == me and m.group(2) == _MACHINE:
                    with contextlib.suppress(OSError):
                        if entry.is_dir(follow_symlinks=False):
                            shutil.rmtree(entry.path)
                        else:
                            os.unlink(entry.path)


def os_error_in(exc: BaseException) -> OSError | None:
    """The OSError behind ``exc`` (itself, its cause, or the one a library wrapped in its own
    exception, as XlsxWriter does), or None."""
    seen = 0
    while exc is not None and seen < 5:
        if isinstance(exc, OSError):
            return exc
        inner = exc.args[0] if exc.args and isinstance(exc.args[0], OSError) else None
        exc = inner or exc.__cause__ or exc.__context__
        seen += 1
    return None


def describe_os_error(exc: OSError) -> str:
    return exc.strerror or str(exc)


def make_folder(folder: str | os.PathLike[str]) -> Path:
    """Create ``folder`` (and its parents) for outputs; :class:`OutputError` in one line if the
    system refuses (read-only, no permission, a file in the way, disk full)."""
    folder = Path(folder)
    check_folder(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError as exc:
        raise OutputError(f"cannot make folder {folder}: {folder} is a file in the way") from exc
    except OSError as exc:
        raise OutputError(f"cannot make folder {folder}: {describe_os_error(exc)}") from exc
    return folder


def _missing_folders(folder: Path) -> list[Path]:
    """``folder`` and those of its parents that do not exist yet, outermost first."""
    missing = []
    while not os.path.lexists(folder) and folder != folder.parent:
        missing.insert(0, folder)
        folder = folder.parent
    return missing


def _refuse_unwritable(folder: Path, what: str) -> None:
    if not os.access(folder, os.W_OK | os.X_OK):
        try:
            read_only = bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
        except (OSError, AttributeError):  # no statvfs (Windows)
            read_only = False
        why = "Read-only file system" if read_only else "Permission denied"
        raise OutputError(f"{what}: {why} (folder {folder})")


def check_folder(folder: str | os.PathLike[str]) -> None:
    """Raise :class:`OutputError` now if the output folder ``folder`` does not exist and cannot
    be made: a file in the way, or a read-only place.  Every command makes its output folders
    (parents too) by :func:`make_folder`, or :func:`atomic_output` for an output file's folder."""
    folder = Path(folder)
    missing = _missing_folders(folder)
    base = missing[0].parent if missing else folder
    if not base.is_dir():
        raise OutputError(f"cannot make folder {folder}: {base} is a file in the way")
    if missing:
        _refuse_unwritable(base, f"cannot make folder {folder}")


def check_output(target: str | os.PathLike[str], *, overwrite: bool = True) -> None:
    """Raise :class:`OutputError` now if ``target`` plainly cannot be written (its folder cannot
    be made or is read-only, it is a folder, it is open in Excel, it is a file marked read-only
    — replacing it would work, as its folder is writable, but undo what whoever marked it meant —
    or it exists and ``overwrite`` is false), so a long run fails before it starts rather than at its end.

    A folder that does not exist yet is no obstacle: :func:`atomic_output` makes it, as every
    command makes the folders of its outputs (``split --out``, ``--save-dir`` and the folder of
    an output file alike)."""
    target = Path(target)
    check_folder(target.parent)
    if not target.parent.is_dir():
        return  # made when written
    if target.is_dir():
        raise OutputError(f"cannot write {target}: it is a folder; give a file name")
    if target.exists() and not overwrite:
        raise OutputError(f"{target} already exists (use --force to replace it)")
    if target.is_file() and not target.stat().st_mode & stat.S_IWUSR:  # marked read-only: someone kept it as it is
        raise OutputError(f"cannot write {target}: the file is read-only; clear its read-only setting, or write to "
                          "another file")
    lock = target.parent / f"~${target.name}"
    if lock.exists():
        raise OutputError(f"cannot write {target}: it is open in Excel ({lock.name} exists); close it and try again")
    _refuse_unwritable(target.parent, f"cannot write {target}")


@contextlib.contextmanager
def atomic_output(target: str | os.PathLike[str], *, overwrite: bool = True) -> Iterator[Path]:
    """Yield a temporary path; on success it replaces ``target`` in one rename.

    A reader never sees a half-written file, and a failure (or an interruption: Ctrl-C,
    SIGTERM) leaves any old file untouched and no temporary file behind.  Two runs writing the
    same target each write their own temporary file; the last rename wins, whole.
    A folder that does not exist yet is made (parents too) and, if the write fails, removed again.
    Raises :class:`OutputError` with a message a person can act on (file open in Excel,
    folder read-only or a file in its way, disk full, target is a folder, file exists and
    ``overwrite`` is false).
    """
    target = Path(target)
    check_output(target, overwrite=overwrite)
    made = _missing_folders(target.parent)
    make_folder(target.parent)
    try:
        with _written(target, overwrite) as tmp:
            yield tmp
    except BaseException:
        for folder in reversed(made):  # a failed write leaves no empty folder behind either
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise


def _temporary_beside(target: Path) -> tuple[int, str]:
    """A new temporary file in ``target``'s folder, named so :func:`remove_stale_temporaries`
    knows it (this process, this machine); stale ones of crashed runs are removed first."""
    remove_stale_temporaries(target.parent)
    _FOLDERS.add(os.fspath(target.parent))
    try:
        return tempfile.mkstemp(prefix=f".{target.stem}.pb{os.getpid()}-{_MACHINE}.", suffix=target.suffix + ".tmp",
                                dir=target.parent)
    except OSError as exc:
        raise OutputError(f"cannot write {target}: {describe_os_error(exc)} (folder {target.parent})") from exc


@contextlib.contextmanager
def _written(target: Path, overwrite: bool) -> Iterator[Path]:
    """:func:`atomic_output` once the target's folder exists."""
    fd, tmp = _temporary_beside(target)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        try:
            yield tmp_path
            _set_mode(tmp_path, target)
            if os.fspath(target.parent) not in _STAGES:  # staged (split's copies): put in place later
                about_to_commit()
            try:
                os.replace(tmp_path, target)
            except PermissionError as exc:
                raise OutputError(f"cannot replace {target}: it is open or locked ({exc.strerror}); "
                                  "close it and try again") from exc
        except OutputError:
            raise
        except Exception as exc:
            os_exc = os_error_in(exc)
            if os_exc is None:
                raise
            raise OutputError(f"cannot write {target}: {describe_os_error(os_exc)}") from exc
    finally:
        with contextlib.suppress(OSError):
            tmp_path.unlink()



def write_new_file(target: str | os.PathLike[str], data: bytes, *, mtime: float | None = None) -> bool:
    """Write ``data`` as the new file ``target``, whole or not at all, never over a file already
    there: False (nothing written) if the name is taken, even by a file that appeared a moment ago.

    The bytes go to a temporary file beside it, which is then hard-linked to ``target`` (a link
    fails if the name is taken, where a rename would replace it; on a drive without hard links
    the name is first claimed with an exclusive create, then replaced).  ``mtime`` sets the
    file's modified time (seconds since the epoch).  :class:`OutputError` when the folder cannot
    be written."""
    target = Path(target)
    if os.path.lexists(target):
        return False
    check_output(target, overwrite=False)
    fd, tmp = _temporary_beside(target)
    tmp_path = Path(tmp)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        _set_mode(tmp_path, target)
        if mtime is not None:
            os.utime(tmp_path, (mtime, mtime))
        try:
            os.link(tmp_path, target)
        except FileExistsError:
            return False
        except OSError:  # no hard links here (FAT, some network drives): claim the name, then fill it
            try:
                os.close(os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            except FileExistsError:
                return False
            os.replace(tmp_path, target)
        return True
    except OSError as exc:
        raise OutputError(f"cannot write {target}: {describe_os_error(exc)}") from exc
    finally:
        with contextlib.suppress(OSError):
            tmp_path.unlink()
