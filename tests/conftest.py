"""Shared fixtures: sample plans, the real CLI, and LibreOffice helpers."""
from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from planbook import Action, Lead, PlanInfo, parse_due, write_plan

ROOT = Path(__file__).resolve().parents[1]
# The real sample plans: the shared folder beside the checkout, or the copy kept in tests/samples.
SAMPLES = next(p for p in (ROOT.parent / "shared" / "samples", ROOT / "tests" / "samples") if (p / "README.md").exists())


def run_cli(*args: str, cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run the real ``planbook`` command in a subprocess."""
    return subprocess.run([sys.executable, "-m", "planbook.cli", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, env=env, timeout=600)


def small_plan() -> tuple[PlanInfo, list[Action]]:
    info = PlanInfo(title="Test partnership plan", period="Q2 2009/10",
                    leads=[Lead("Jane Smith", "jane@example.org"), Lead("DD Achievement", "dd@example.org")],
                    themes=["Being Healthy", "Staying Safe"], coordinator="Pat", coordinator_email="pat@example.org")
    actions = [
        Action("1.1", "Develop performance management", "Jane Smith", theme="Being Healthy",
               objective="Evaluate outcomes", due=parse_due("December 2008"), status="Complete",
               progress="Done in Nov.", last_updated=dt.date(2009, 9, 1), extras={"Budget code": "BH-01"}),
        Action("1.2", "Record ECM outcomes", "Jane Smith", theme="Being Healthy",
               due=parse_due(dt.date(2010, 3, 31)), status="On track"),
        Action("3.10", "Audit safeguarding", "DD Achievement", theme="Staying Safe",
               due=parse_due("Jan –May 2009"), status="Slippage", progress="Delayed by staffing"),
        Action("4.2a", "Annual review", "DD Achievement", theme="Staying Safe",
               due=parse_due("Annually"), status="Off track"),
    ]
    return info, actions


@pytest.fixture
def plan_file(tmp_path: Path) -> Path:
    info, actions = small_plan()
    path = tmp_path / "plan.xlsx"
    write_plan(path, info, actions)
    return path


@pytest.fixture(scope="session")
def soffice() -> str:
    """LibreOffice's soffice; `make test` installs it.  Missing is a failure, not a skip."""
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if not exe:
        pytest.fail("LibreOffice (soffice) is not installed: run `make test`, which installs it")
    return exe


def lo_convert(soffice: str, src: Path, fmt: str, outdir: Path) -> Path:
    """Convert ``src`` with LibreOffice headless; return the output path."""
    outdir.mkdir(parents=True, exist_ok=True)
    profile = outdir / "lo-profile"
    result = subprocess.run([soffice, f"-env:UserInstallation=file://{profile}", "--headless",
                             "--convert-to", fmt, "--outdir", str(outdir), str(src)],
                            capture_output=True, text=True, timeout=300)
    ext = fmt.split(":")[0]
    out = outdir / f"{src.stem}.{ext}"
    assert out.exists(), f"LibreOffice did not convert {src}: {result.stdout} {result.stderr}"
    return out


@pytest.fixture(scope="session")
def demo(tmp_path_factory):
    """The full demo, built once: plan, returns, consolidations, summary.docx, report.eml."""
    from planbook.demo import run_demo

    return run_demo(tmp_path_factory.mktemp("demo"))


@pytest.fixture(scope="session")
def demo_pdf(demo):
    """The demo's Word report through LibreOffice to PDF, once for every test that reads it."""
    from planbook.word.pdf import to_pdf

    return to_pdf(demo.files["summary"], demo.folder / "summary-test.pdf")
