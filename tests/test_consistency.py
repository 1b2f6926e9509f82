"""One rule, one place: every output says the same figures.

Many quarters are generated in code (a seeded generator: statuses blank, unknown, in council
shorthand and symbols; leads who return, do not return, add rows with and without a Ref, delete
rows and reuse another lead's Ref; with and without a previous consolidation).  For each, the
figures are read from every output independently and must be identical:

- the consolidated workbook, read with python-calamine (its Summary, its Exceptions sheet's Why
  column, its All actions' Direction column);
- ``planbook consolidate --json``, run as a command;
- the Word report, reopened with python-docx (its status table and its sentences);
- the report email (``build_report_email``), its text part parsed.

The figures: the status lines (and their percentages, and the summary sentence where an output
has them), the attention count and its parts, the direction counts.  (A
lead's return state — workbook Returns sheet, ``planbook returns --json``, chase, receipts — is
the next figure to add: see ``FIGURES`` and ``_figures_of_*``.)
"""
from __future__ import annotations

import datetime as dt
import json
import random
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest
from docx import Document
from python_calamine import CalamineWorkbook

from planbook import Action, Lead, PlanInfo, parse_due, write_plan
from planbook.mail.report_email import build_report_email
from planbook.rollup.pipeline import consolidate_to
from planbook.word.report import render_report
from planbook.workbook.split import split_plan

from .conftest import run_cli

AS_OF, PREVIOUS_AS_OF = "2009-10-09", dt.date(2009, 7, 9)
SEEDS = range(12)
#: The figures every output must agree on.  Add a lead's return state here (and a reader for it
#: in each _figures_of_* below) when the tracker is one function.
FIGURES = ("status lines", "percentages", "summary sentence", "attention", "directions")

#: What a lead may type as a status: the five, blank, words the reader maps, council shorthand and
#: symbols it does or does not know, and plain unknown text.
TYPED = ["Complete", "On track", "Slippage", "Off track", "Not started", "", "", "green", "Amber", "RED", "☺", "☹",
         "G", "A?", "Green-ish", "tbc", "No status given", "completed", "on target"]
DUES = [dt.date(2009, 3, 31), dt.date(2009, 9, 30), dt.date(2010, 3, 31), "December 2008", "Ongoing", "Quarterly",
        "Jan –May 2009", "To be confirmed", "See 33"]
UPDATED = [None, dt.date(2009, 5, 1), dt.date(2009, 8, 1), dt.date(2009, 9, 20)]

STATUS_LINES = ("Complete", "On track", "Slippage", "Off track", "Not started", "No status given",
                "Status not recognised")
DIRECTIONS = ("↑ better", "↓ worse", "→ same", "new")
#: The parts of the attention count as the sentences say them, and as --json names them.
PART_WORDS = {"off track": "Off track", "slippage": "Slippage", "overdue": "Overdue",
              "not updated this period": "Not updated this period", "with details missing": "Details missing",
              "with an unrecognised status": "Status not recognised", "with no status given": "No status given",
              "flagged for checking": "Flagged for checking"}


# --- the generator --------------------------------------------------------------------------

def _plan(rng: random.Random, folder: Path) -> tuple[Path, PlanInfo, list[Action]]:
    leads = [Lead(name, f"{name.split()[0].lower()}@council.example")
             for name in rng.sample(["Jane Smith", "DD Achievement", "Youth Service Manager", "Raj Patel",
                                     "Connexions Manager"], rng.randint(2, 4))]
    themes = rng.sample(["Being Healthy", "Staying Safe", "Enjoying and Achieving", "Economic Well-being"],
                        rng.randint(1, 3))
    info = PlanInfo(title=f"Plan {rng.randrange(100)}", period="Q2 2009/10", leads=leads, themes=themes,
                    coordinator="Pat", coordinator_email="pat@council.example")
    actions = []
    for i in range(rng.randint(6, 18)):
        lead = rng.choice(leads).name if rng.random() > 0.05 else ""  # now and then nobody's (the No lead tab)
        actions.append(Action(f"{i // 5 + 1}.{i % 5 + 1}", f"Action {i} {rng.choice(['audit', 'review', 'train'])}",
                              lead, theme=rng.choice(themes), due=parse_due(rng.choice(DUES)),
                              status=rng.choice(TYPED), progress=rng.choice(["", "Some progress.", "Delayed."]),
                              last_updated=rng.choice(UPDATED)))
    path = folder / "plan.xlsx"
    write_plan(path, info, actions)
    return path, info, actions


def _edit_return(rng: random.Random, path: Path, lead: str, other_refs: list[str]) -> None:
    """What a lead does to their copy: statuses and dates typed, a row deleted, rows added."""
    wb = openpyxl.load_workbook(path)
    ws = wb[lead] if lead in wb.sheetnames else wb.worksheets[1]
    header = [c.value for c in ws[1]]
    col = {h: header.index(h) + 1 for h in ("Ref", "Action", "Lead", "Status", "Last updated") if h in header}
    last = max(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value or ws.cell(r, col["Action"]).value)
    for r in range(2, last + 1):
        if rng.random() < 0.6:
            ws.cell(r, col["Status"], rng.choice(TYPED) or None)
        if rng.random() < 0.5:
            ws.cell(r, col["Last updated"], dt.datetime(2009, 9, rng.randint(1, 30)))
    if last > 2 and rng.random() < 0.3:
        ws.delete_rows(rng.randint(2, last))
        last -= 1
    added = []
    if rng.random() < 0.4:
        added.append((f"9.{rng.randint(1, 9)}", "A new action the lead added"))
    if rng.random() < 0.2:
        added.append((None, "A new action without a Ref"))
    if other_refs and rng.random() < 0.25:
        added.append((rng.choice(other_refs), "Another action under someone else's Ref"))  # a collision
    for k, (ref, text) in enumerate(added, start=last + 1):
        ws.cell(k, col["Ref"], ref)
        ws.cell(k, col["Action"], text)
        ws.cell(k, col["Lead"], lead)
        ws.cell(k, col["Status"], rng.choice(TYPED) or None)
    wb.save(path)


@dataclass
class Quarter:
    seed: int
    consolidated: Path
    cli: dict
    docx: Path
    email_text: str
    with_previous: bool


def _quarter(seed: int, folder: Path) -> Quarter:
    rng = random.Random(seed)
    folder.mkdir(parents=True)
    master, info, actions = _plan(rng, folder)
    previous = None
    if rng.random() < 0.6:
        previous = folder / "previous.xlsx"
        consolidate_to([master], previous, today=PREVIOUS_AS_OF, period="Q1 2009/10")
    returns = folder / "returns"
    split_plan(master, returns)
    for copy in sorted(returns.glob("*.xlsx")):
        lead = copy.stem
        if rng.random() < 0.2:
            copy.unlink()  # not returned: the master's rows stand
            continue
        others = [a.ref for a in actions if a.lead and a.lead != lead]
        _edit_return(rng, copy, lead, others)
    out = folder / "consolidated.xlsx"
    args = ["consolidate", master, returns, "--out", out, "--as-of", AS_OF, "--json"]
    result = run_cli(*args, *(["--previous", previous] if previous else []))
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    docx = render_report(out, folder / "summary.docx")
    msg = build_report_email(out, ["committee@council.example"], sender="pat@council.example")
    return Quarter(seed, out, json.loads(result.stdout), docx, msg.get_body(("plain",)).get_content(),
                   previous is not None)


@pytest.fixture(scope="module")
def quarters(tmp_path_factory):
    """The generated quarters, each built once for every test here."""
    base = tmp_path_factory.mktemp("quarters")
    return {seed: _quarter(seed, base / f"q{seed}") for seed in SEEDS}


# --- each output's figures, read independently ------------------------------------------------

def _first_reason(why: str) -> str:
    first = why.split("; ", 1)[0]
    for prefix, part in (("Overdue (due ", "Overdue"), ("Missing ", "Details missing"),
                         ("Status not recognised (", "Status not recognised")):
        if first.startswith(prefix):
            return part
    return first if first in ("Off track", "Slippage", "Not updated this period", "No status given") \
        else "Flagged for checking"


def _nonzero(counts) -> dict:
    return {k: v for k, v in counts.items() if v}


def _figures_of_workbook(q: Quarter) -> dict:
    wb = CalamineWorkbook.from_path(str(q.consolidated))
    summary = wb.get_sheet_by_name("Summary").to_python()
    lines = {str(r[0]): int(r[1]) for r in summary[:14] if r and str(r[0]) in STATUS_LINES}
    shares = {str(r[0]): round(float(r[2]) * 100) for r in summary[:14] if r and str(r[0]) in STATUS_LINES}
    exceptions = wb.get_sheet_by_name("Exceptions").to_python()
    whys = [str(r[0]) for r in exceptions[1:] if any(v != "" for v in r)]
    actions = wb.get_sheet_by_name("All actions").to_python()
    col = actions[0].index("Direction")
    moves = Counter(str(r[col]) for r in actions[1:] if any(v != "" for v in r))
    return {"status lines": _nonzero(lines), "percentages": {k: shares[k] for k in _nonzero(lines)},
            "attention": (len(whys), _nonzero(Counter(map(_first_reason, whys)))),
            "directions": _nonzero({d: moves.get(d, 0) for d in DIRECTIONS})}


def _figures_of_json(q: Quarter) -> dict:
    att = q.cli["attention"]
    assert att["total"] == q.cli["exceptions"]
    shares = {line: int(p) for line, n, p in re.findall(r"([A-Z][a-z ]+) (\d+) \((\d+)%\)", q.cli["counts_text"])
              if int(n)}
    return {"status lines": _nonzero(q.cli["status_counts"]), "percentages": shares,
            "attention": (att["total"], _nonzero(att["parts"])),
            "directions": _nonzero(q.cli["directions"] or {})}


def _attention_said(text: str) -> tuple[int, dict]:
    if "No action needs attention." in text:
        return 0, {}
    m = re.search(r"([\d,]+) actions? needs? attention: (.*?)(?: \(each counted once[^)]*\))?\.", text)
    assert m, text[:400]
    parts = {}
    for n, words in re.findall(r"([\d,]+) ([a-z ]+?)(?=, | and |$)", m.group(2)):
        parts[PART_WORDS[words]] = int(n.replace(",", ""))
    return int(m.group(1).replace(",", "")), parts


def _summary_said(text: str) -> str:
    m = re.search(r"^(Of the [\d,]+ actions?, .*)$", text, re.M)
    assert m, text[:400]
    return m.group(1)


def _figures_of_report(q: Quarter) -> dict:
    doc = Document(str(q.docx))
    table = next(t for t in doc.tables if t.rows[0].cells[0].text == "Status")
    lines = {r.cells[0].text: int(r.cells[1].text.replace(",", "")) for r in table.rows[1:]}
    shares = {r.cells[0].text: int(r.cells[2].text.rstrip("%")) for r in table.rows[1:] if lines[r.cells[0].text]}
    text = "\n".join(p.text for p in doc.paragraphs)
    moves = {}
    m = re.search(r"Against the last report, (.*?)[.;]", text)
    if m:
        moves = {d: int(n.replace(",", "")) for n, d in re.findall(r"([\d,]+) (?:is |are )?(↑ better|↓ worse|→ same|new)",
                                                                  m.group(1))}
    return {"status lines": _nonzero(lines), "percentages": shares, "summary sentence": _summary_said(text),
            "attention": _attention_said(text), "directions": _nonzero(moves)}


def _figures_of_email(q: Quarter) -> dict:
    text = q.email_text
    block = text.split("Actions by status:\n", 1)[1].split("\n\n", 1)[0]
    lines = {m.group(1).strip(): int(m.group(2)) for m in re.finditer(r"^\s+(.+?)\s+(\d+)$", block, re.M)}
    lines.pop("Total")
    moves = {}
    m = re.search(r"Against the last report, (.*?)[.;]", text)  # the report's sentence (core.prose)
    if m:
        moves = {d: int(n.replace(",", "")) for n, d in re.findall(r"([\d,]+) (?:is |are )?(↑ better|↓ worse|→ same|new)",
                                                                  m.group(1))}
    return {"status lines": _nonzero(lines), "summary sentence": _summary_said(text), "attention": _attention_said(text),
            "directions": moves}


OUTPUTS = {"workbook": _figures_of_workbook, "consolidate --json": _figures_of_json, "Word report": _figures_of_report,
           "email": _figures_of_email}


# --- the tests --------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", SEEDS)
def test_every_output_says_the_same_figures(quarters, seed):
    q = quarters[seed]
    seen = {name: read(q) for name, read in OUTPUTS.items()}
    for figure in FIGURES:
        said = {name: figures[figure] for name, figures in seen.items() if figure in figures}
        assert len(said) >= 2, figure
        first = next(iter(said.values()))
        assert all(v == first for v in said.values()), f"quarter {seed}: {figure} differ: {said}"
    total = sum(seen["workbook"]["status lines"].values())
    sentence = seen["Word report"]["summary sentence"]  # its numbers are the status lines'
    numbers = [int(n.replace(",", "")) for n in re.findall(r"\d[\d,]*", sentence)]
    assert numbers[0] == total == sum(numbers[1:]) and sum(seen["workbook"]["percentages"].values()) == 100
    assert seen["workbook"]["attention"][0] == sum(seen["workbook"]["attention"][1].values())
    if q.with_previous:
        assert sum(seen["workbook"]["directions"].values()) == total


def test_the_generated_quarters_cover_the_family(quarters):
    """The generator reaches every case the figures can disagree on (else it tests too little)."""
    lines, parts, moves = Counter(), Counter(), Counter()
    for q in quarters.values():
        figures = _figures_of_workbook(q)
        lines.update(figures["status lines"])
        parts.update(figures["attention"][1])
        moves.update(figures["directions"])
    assert set(lines) == set(STATUS_LINES)
    assert {"Off track", "Slippage", "Overdue", "Not updated this period", "Details missing",
            "Flagged for checking"} <= set(parts)
    assert set(moves) == set(DIRECTIONS)
    assert {q.with_previous for q in quarters.values()} == {True, False}
