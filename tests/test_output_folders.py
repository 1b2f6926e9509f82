"""Every command makes the folders of its outputs the same way, and refuses the same way.

A file output (``new``, ``import``, ``consolidate --out``, ``report --out``, ``email --save``) and
a folder output (``split --out``, ``request-updates --out``/``--save-dir``, ``chase`` and
``receipts --save-dir``) alike: a folder that does not exist yet is made, parents too; a file in
the way, or a read-only place, is refused in one line before anything is read, and leaves
nothing behind.  (Found running the documented quarter: ``consolidate --out q3/consolidated.xlsx``
refused the folder ``split`` and ``--save-dir`` would have made.)
"""
from __future__ import annotations

import contextlib
import subprocess
from pathlib import Path

import pytest

from planbook.core.errors import OutputError
from planbook.files.atomic import atomic_output

from .conftest import run_cli, small_plan
from .hostile import one_line_error, stray_temporaries


@pytest.fixture(scope="module")
def quarter(tmp_path_factory) -> Path:
    """A plan, its copies sent out, one lead's copy returned, and the consolidation of them."""
    folder = tmp_path_factory.mktemp("quarter")
    from planbook import consolidate_to, split_plan, write_plan

    info, actions = small_plan()
    write_plan(folder / "plan.xlsx", info, actions)
    split_plan(folder / "plan.xlsx", folder / "for-leads")
    (folder / "returns").mkdir()
    (folder / "returns" / "Jane Smith.xlsx").write_bytes((folder / "for-leads" / "Jane Smith.xlsx").read_bytes())
    consolidate_to([folder / "plan.xlsx", folder / "returns"], folder / "consolidated.xlsx")
    return folder


def _commands(q: Path, out: Path) -> dict[str, tuple[list, Path]]:
    """command -> (arguments writing under ``out``, the file or folder it makes there)."""
    return {
        "new": (["new", out / "a" / "new.xlsx", "--title", "T", "--period", "Q1", "--lead", "A"], out / "a" / "new.xlsx"),
        "import": (["import", q / "plan.xlsx", "--out", out / "b" / "imported.xlsx"], out / "b" / "imported.xlsx"),
        "split": (["split", q / "plan.xlsx", "--out", out / "c" / "for-leads"], out / "c" / "for-leads"),
        "request-updates": (["request-updates", q / "plan.xlsx", "--out", out / "d" / "for-leads", "--return-by",
                             "2009-10-02", "--save-dir", out / "d" / "drafts"], out / "d" / "drafts"),
        "consolidate": (["consolidate", q / "plan.xlsx", q / "returns", "--out", out / "e" / "q2" / "consolidated.xlsx"],
                        out / "e" / "q2" / "consolidated.xlsx"),
        "report": (["report", q / "consolidated.xlsx", "--out", out / "f" / "summary.docx"], out / "f" / "summary.docx"),
        "email": (["email", q / "consolidated.xlsx", "--to", "board@example.org", "--save", out / "g" / "report.eml"],
                  out / "g" / "report.eml"),
        "chase": (["chase", q / "plan.xlsx", q / "returns", "--save-dir", out / "h" / "reminders"], out / "h" / "reminders"),
        "receipts": (["receipts", q / "consolidated.xlsx", "--save-dir", out / "i" / "receipts"], out / "i" / "receipts"),
    }


def test_every_command_makes_the_folders_of_its_outputs(quarter, tmp_path):
    for name, (args, made) in _commands(quarter, tmp_path / "new" / "place").items():
        result = run_cli(*args)
        assert result.returncode == 0, (name, result.stderr)
        assert made.exists(), name
        if made.is_dir():
            assert any(made.iterdir()), name


def test_a_file_in_the_way_is_refused_by_every_command_in_the_same_words(quarter, tmp_path):
    blocker = tmp_path / "blocked"
    blocker.write_text("a file where a folder would go")
    for name, (args, _) in _commands(quarter, blocker / "sub").items():
        result = run_cli(*args)
        assert result.returncode == 2, (name, result.stderr)
        line = one_line_error(result.stderr)
        assert "cannot make folder" in line and "in the way" in line, (name, line)
    assert blocker.read_text() == "a file where a folder would go"


@contextlib.contextmanager
def _read_only(folder: Path):
    """``folder`` as a read-only place: a read-only tmpfs (as root), else a folder without write permission."""
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=16k", "tmpfs", str(folder)],
                             capture_output=True).returncode == 0
    if not mounted:
        folder.chmod(0o555)
    try:
        yield "Read-only file system" if mounted else "Permission denied"
    finally:
        if mounted:
            subprocess.run(["umount", str(folder)], check=True)
        else:
            folder.chmod(0o755)


def test_a_read_only_place_is_refused_by_every_command_before_reading(quarter, tmp_path):
    with _read_only(tmp_path / "ro") as why:
        for name, (args, _) in _commands(quarter, tmp_path / "ro").items():
            result = run_cli(*args)
            assert result.returncode == 2, (name, result.stderr)
            line = one_line_error(result.stderr)
            assert "cannot make folder" in line and why in line, (name, line)
            assert "reading" not in result.stderr
        assert not list((tmp_path / "ro").iterdir())


def test_a_failed_write_leaves_no_folder_it_made(tmp_path):
    with pytest.raises(RuntimeError), atomic_output(tmp_path / "x" / "y" / "out.xlsx") as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("the writer failed")
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "x").mkdir()
    with pytest.raises(OutputError), atomic_output(tmp_path / "x" / "y" / "out.xlsx") as tmp:
        raise OSError(28, "No space left on device")
    assert [p.name for p in tmp_path.iterdir()] == ["x"] and not list((tmp_path / "x").iterdir())
    assert not stray_temporaries(tmp_path)


def test_chase_refuses_a_copies_folder_that_is_not_there(quarter, tmp_path):
    """``--copies`` names an input: a mistyped folder is said, not replaced by fresh copies in silence
    (as a missing returns folder or consolidate input is)."""
    result = run_cli("chase", quarter / "plan.xlsx", quarter / "returns", "--dry-run", "--copies", tmp_path / "for-lead")
    assert result.returncode == 2
    assert "folder of the leads' copies not found" in one_line_error(result.stderr)
    result = run_cli("chase", quarter / "plan.xlsx", quarter / "returns", "--dry-run", "--copies", quarter / "for-leads")
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("command", [
    ["lead", "add", "{plan}", "Raj Patel", "--email", "raj@example.org"],
    ["settings", "{plan}", "--coordinator", "Pat"],
    ["theme", "rename", "{plan}", "Being Healthy", "Healthy lives"],
    ["consolidate", "{src}", "--out", "{plan}"],
], ids=["lead add", "settings", "theme rename", "consolidate --out"])
def test_a_file_marked_read_only_is_never_written_over(quarter, tmp_path, command):
    """Replacing a read-only file works (its folder is writable), but undoes what whoever marked
    it meant: refused in one line, the file as it was."""
    plan = tmp_path / "plan.xlsx"
    plan.write_bytes((quarter / "plan.xlsx").read_bytes())
    plan.chmod(0o444)
    before = plan.read_bytes()
    result = run_cli(*[a.format(plan=plan, src=quarter / "plan.xlsx") for a in command])
    assert result.returncode == 2, result.stdout + result.stderr
    assert "read-only" in one_line_error(result.stderr)
    assert plan.read_bytes() == before and not stray_temporaries(tmp_path)
    plan.chmod(0o644)
