"""Docs that cannot go stale.

- The reference pages (docs/reference/) are what scripts/make_reference.py makes from the code
  now: every command and option, finding code, template variable and workbook sheet — and
  nothing the code has is left without a description.
- Every ```sh and ```python example in README.md and docs/*.md runs, in order, in a fresh
  temporary folder per page, with the ``planbook`` command of this checkout on the PATH; the
  quarter walkthrough (docs/quarter.md) runs verbatim.  A block that must not run says so on
  the line before it (``<!-- not run: why -->``), and there are few; a block expected to fail
  says its exit status (``<!-- exit: 1 -->``).
- The README stays short, its quarter is the walkthrough's own commands, and links resolve.
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]  # docs/reference/ is generated: no examples
RUNNABLE = {"sh", "python"}
#: Fence languages that would look runnable but are not run: write ```sh or ```python instead.
FORBIDDEN = {"bash", "shell", "console", "zsh", "py", "pycon", "python3", "ipython"}
MAX_NOT_RUN = 5
README_MAX_LINES = 100


def _load_generator():
    spec = importlib.util.spec_from_file_location("make_reference", ROOT / "scripts" / "make_reference.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


make_reference = _load_generator()
from planbook.cli import build_parser as BUILD_PARSER  # noqa: E402 (the real one, before any test replaces it)


@pytest.fixture(scope="module")
def demo_run():
    return make_reference.run_demo()


# --- the reference ----------------------------------------------------------------------------

def test_reference_pages_are_what_the_code_makes_now(demo_run):
    stale = make_reference.stale(make_reference.pages(demo_run))
    assert stale == [], f"docs/reference/ is out of date: {stale}; run `make docs` (python scripts/make_reference.py)"


def test_nothing_the_code_has_is_undocumented(demo_run):
    assert make_reference.undocumented(demo_run) == []


def _parser_with(extra) -> argparse.ArgumentParser:
    """The real parser with ``extra`` done to it (the tests below put this in its place)."""
    parser = BUILD_PARSER()
    extra(parser, make_reference._subparsers(parser))
    return parser


def test_an_option_added_without_help_is_undocumented_and_the_page_goes_stale(monkeypatch):
    """Show the check failing: an option with no help text is named, and the commands page no
    longer matches the one on disk (with help text too: the page must be regenerated)."""
    from planbook import cli

    def bare(parser, subs):
        subs["consolidate"][0].add_argument("--by-theme", action="store_true")

    assert "planbook consolidate --by-theme" in make_reference.undocumented_options(_parser_with(bare))

    def helped(parser, subs):
        subs["consolidate"][0].add_argument("--by-theme", action="store_true", help="one sheet per theme")

    monkeypatch.setattr(cli, "build_parser", lambda: _parser_with(helped))
    page = make_reference.commands_page()
    assert "| `--by-theme` | one sheet per theme |" in page
    assert page != (DOCS / "reference" / "commands.md").read_text(encoding="utf-8")


def test_a_new_command_is_picked_up_by_the_reference(monkeypatch):
    from planbook import cli

    def archive(parser, subs):
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        p = sub.add_parser("archive", help="put last year's plan and returns away")
        p.add_argument("consolidated", metavar="CONSOLIDATED.xlsx")
        p.set_defaults(api=("roll_forward",))

    monkeypatch.setattr(cli, "build_parser", lambda: _parser_with(archive))
    page = make_reference.commands_page()
    assert "## planbook archive" in page and "[`planbook.roll_forward()`](python.md#roll_forward)" in page
    assert "planbook archive CONSOLIDATED.xlsx" in make_reference.undocumented_options(cli.build_parser())


def test_a_template_variable_without_a_description_is_undocumented(demo_run):
    contexts = {k: [dict(c) for c in v] for k, v in demo_run.contexts.items()}
    contexts["receipt"][0]["next_return_by"] = "1 January 2010"
    contexts["report"][0]["theme_rows"] = [{**contexts["report"][0]["theme_rows"][0], "trend": "↑"}]
    del contexts["reminder"]
    run = make_reference.DemoRun(contexts, demo_run.sheets, demo_run.metadata)
    found = "\n".join(make_reference.undocumented_variables(run))
    assert "receipt template: next_return_by" in found and "report template: theme_rows[].trend" in found
    assert "reminder template: leads is described but the code no longer has it" in found


def test_every_finding_code_command_and_option_is_on_the_reference_pages():
    from planbook.cli import build_parser
    from planbook.core.findings import CODES

    findings = (DOCS / "reference" / "findings.md").read_text(encoding="utf-8")
    assert [c for c in CODES if f"| `{c}` |" not in findings] == []
    commands = (DOCS / "reference" / "commands.md").read_text(encoding="utf-8")
    for name, (p, _) in make_reference._subparsers(build_parser()).items():
        assert f"## planbook {name}\n" in commands
        for action in make_reference._arguments(p):
            assert f"| {make_reference._argument_name(action)} |" in commands, (name, action.dest)


# --- the examples -----------------------------------------------------------------------------

@dataclass
class Block:
    page: Path
    line: int
    lang: str
    code: str
    marker: str  # the <!-- … --> comment on the line before the fence, if any

    @property
    def not_run(self) -> bool:
        return self.marker.startswith("not run:") or self.marker.startswith("runs in:")

    @property
    def exit_status(self) -> int:
        found = re.fullmatch(r"exit:\s*(\d+)", self.marker)
        return int(found.group(1)) if found else 0

    def __str__(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def blocks(page: Path) -> list[Block]:
    lines = page.read_text(encoding="utf-8").splitlines()
    out, i = [], 0
    while i < len(lines):
        fence = re.match(r"^(\s*)```(\S*)\s*$", lines[i])
        if fence and fence.group(2):
            start = i
            body = []
            i += 1
            while i < len(lines) and lines[i].strip() != "```":
                body.append(lines[i][len(fence.group(1)):])
                i += 1
            before = lines[start - 1].strip() if start else ""
            marker = re.fullmatch(r"<!--\s*(.*?)\s*-->", before)
            out.append(Block(page, start + 1, fence.group(2), "\n".join(body) + "\n", marker.group(1) if marker else ""))
        i += 1
    return out


ALL_BLOCKS = [b for page in PAGES for b in blocks(page)]


def test_examples_use_only_the_runnable_fences():
    assert [f"{b} ```{b.lang}" for b in ALL_BLOCKS if b.lang in FORBIDDEN] == []


def test_few_examples_are_not_run_and_each_says_why():
    skipped = [b for b in ALL_BLOCKS if b.lang in RUNNABLE and b.marker.startswith("not run")]
    assert len(skipped) <= MAX_NOT_RUN, [str(b) for b in skipped]
    assert all(len(b.marker) > len("not run: ") + 10 for b in skipped), [str(b) for b in skipped]


@pytest.fixture(scope="module")
def shims(tmp_path_factory) -> dict[str, str]:
    """An environment whose ``planbook`` and ``python`` are this checkout's."""
    bin_dir = tmp_path_factory.mktemp("bin")
    for name, run in (("planbook", "-m planbook.cli "), ("python", ""), ("python3", "")):
        (bin_dir / name).write_text(f'#!/bin/sh\nexec "{sys.executable}" {run}"$@"\n')  # a script, not a link:
        (bin_dir / name).chmod(0o755)  # the environment's python finds its packages from where it is started
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLANBOOK_")}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = str(ROOT / "src")
    return env


def _run(block: Block, folder: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    if block.lang == "python":
        script = folder.parent / f"block-{block.line}.py"
        script.write_text(block.code, encoding="utf-8")
        command = [sys.executable, str(script)]
    else:
        script = folder.parent / f"block-{block.line}.sh"
        script.write_text(block.code, encoding="utf-8")
        command = ["sh", "-e", str(script)]
    return subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True, timeout=900)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_example_on_the_page_runs(page, tmp_path, shims):
    runnable = [b for b in blocks(page) if b.lang in RUNNABLE and not b.not_run]
    folder = tmp_path / "work"
    folder.mkdir()
    for block in runnable:
        result = _run(block, folder, shims)
        assert result.returncode == block.exit_status, (
            f"{block} exited {result.returncode}, expected {block.exit_status}\n--- block\n{block.code}"
            f"--- stdout\n{result.stdout[-3000:]}\n--- stderr\n{result.stderr[-3000:]}")
        assert "Traceback" not in result.stderr, f"{block}\n{result.stderr}"


def test_the_walkthrough_runs_every_command_it_shows():
    """docs/quarter.md holds the quarter: all of its shell blocks run (none marked not run but SMTP)."""
    quarter = [b for b in blocks(DOCS / "quarter.md") if b.lang in RUNNABLE]
    assert quarter and all(not b.not_run or "SMTP" in b.marker for b in quarter)


def _commands(code: str) -> list[str]:
    joined = re.sub(r"\\\n\s*", " ", code)
    out = []
    for line in joined.splitlines():
        line = re.sub(r"\s+#.*$", "", line).strip()
        if line and not line.startswith("#"):
            out.append(" ".join(line.split()))
    return out


def test_the_readmes_quarter_is_the_walkthroughs_own_commands():
    readme = [b for b in blocks(ROOT / "README.md") if b.marker.startswith("runs in:")]
    assert readme, "README.md has no quarter block marked <!-- runs in: docs/quarter.md -->"
    for block in readme:
        target = ROOT / block.marker.removeprefix("runs in:").strip()
        ran = {c for b in blocks(target) if b.lang in RUNNABLE and not b.not_run for c in _commands(b.code)}
        assert [c for c in _commands(block.code) if c not in ran] == [], f"{block}: not run in {target.name}"


def test_the_readme_is_short():
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= README_MAX_LINES


@pytest.mark.parametrize("page", [*PAGES, *sorted((DOCS / "reference").glob("*.md"))],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_links_resolve(page):
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue
        path = target.split("#")[0]
        if path and not (page.parent / path).exists():
            broken.append(target)
    assert broken == []
