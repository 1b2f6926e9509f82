"""Plans for the printed-page tests, built in code: a real imported plan taken through a quarter
(leads' commentary of every length), and a family of made-up plans (long and short texts, many
leads, a first quarter with and without a previous period).  Also the PDF readers those tests use."""
from __future__ import annotations

import dataclasses
import datetime as dt
import html
import random
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import openpyxl

from planbook import Action, Lead, PlanInfo, parse_due, read_plan, write_plan
from planbook.core.layout import ALL_ACTIONS
from planbook.legacy.importer import import_plan
from planbook.rollup.pipeline import consolidate_to

WORDS = ("the partnership agreed a revised timetable with schools and the youth service; officers met the "
         "lead members and the review group in September; draft guidance was circulated for comment and "
         "responses are being collated; funding for the second phase is confirmed subject to the board's "
         "approval; a pilot in three localities reported early results and a fuller evaluation will follow "
         "in the spring; recruitment to the coordinator post was delayed by the vacancy freeze").split()
STATUS_CYCLE = ("On track", "Complete", "Slippage", "On track", "Off track", "Complete", "Not started")


def sentence(rng: random.Random, chars: int) -> str:
    """Commentary about ``chars`` characters long, from plain words."""
    out: list[str] = []
    while sum(len(w) + 1 for w in out) < chars:
        out.append(rng.choice(WORDS))
    text = " ".join(out)
    return text[0].upper() + text[1:] + "."


def commentary_length(rng: random.Random) -> int:
    """Commentary lengths as leads write them: mostly a sentence or two, some a paragraph."""
    r = rng.random()
    return rng.randint(30, 120) if r < 0.6 else rng.randint(120, 240) if r < 0.95 else rng.randint(240, 400)


def import_sample(sample: Path, folder: Path) -> Path:
    """A sample plan imported with the library: the master plan's path."""
    folder.mkdir(parents=True, exist_ok=True)
    import_plan(sample, folder / "plan.xlsx")
    return folder / "plan.xlsx"


def next_quarter(plan: Path, out: Path, seed: int, period: str = "Q2 2009/10") -> Path:
    """``plan`` as its leads left it a quarter later: every action has commentary (lengths as
    :func:`commentary_length`) and statuses moved."""
    rng = random.Random(seed)
    read = read_plan(plan)
    actions = [dataclasses.replace(a, progress=sentence(rng, commentary_length(rng)),
                                   status=STATUS_CYCLE[i % len(STATUS_CYCLE)], status_text="",
                                   last_updated=dt.date(2009, 12, 1 + i % 20))
               for i, a in enumerate(read.actions)]
    write_plan(out, dataclasses.replace(read.info, period=period), actions)
    return out


@dataclass
class Quarter:
    """A plan's consolidations: the first quarter (no previous period) and the next one."""

    name: str
    q1: Path
    q2: Path


def imported_quarters(sample: Path, folder: Path) -> Quarter:
    """A real sample imported, consolidated as a first quarter, then a quarter later with
    commentary against it."""
    plan = import_sample(sample, folder)
    q1 = folder / "q1.xlsx"
    consolidate_to([plan], q1, today=dt.date(2009, 10, 9))
    plan2 = next_quarter(plan, folder / "plan-q2.xlsx", seed=len(sample.name))
    q2 = folder / "q2.xlsx"
    consolidate_to([plan2], q2, previous=q1, today=dt.date(2010, 1, 8))
    return Quarter(sample.stem, q1, q2)


# --- made-up plans --------------------------------------------------------------------------

LONG_LEAD = "Head of Integrated Youth Support, Connexions & Youth Offending Services"


def made_up_plan(path: Path, *, n: int, leads: int, action_chars: tuple[int, int], theme_chars: int,
                 commentary: bool, success_chars: int, seed: int) -> Path:
    """A plan of ``n`` actions over ``leads`` leads: actions ``action_chars`` long (min, max),
    themes about ``theme_chars`` long, commentary or none, and a Success measure of
    ``success_chars`` (a column that is not printed)."""
    rng = random.Random(seed)
    names = [f"Lead officer {k:02d}" if k % 5 else LONG_LEAD + f" {k}" for k in range(leads)]
    themes = [sentence(rng, theme_chars).rstrip(".") + f" ({k + 1})" for k in range(4)]
    info = PlanInfo(title="Made-up partnership plan", period="Q1 2009/10",
                    leads=[Lead(x, f"lead{k}@example.org") for k, x in enumerate(names)], themes=themes,
                    coordinator="Pat", coordinator_email="pat@example.org")
    actions = []
    for i in range(n):
        actions.append(Action(
            f"{i // 10 + 1}.{i % 10 + 1}", sentence(rng, rng.randint(*action_chars)), names[i % leads],
            theme=themes[i * 4 // n], due=parse_due(rng.choice(["December 2009", "Ongoing", "Jan –May 2010",
                                                                dt.date(2010, 3, 31), "Quarterly"])),
            status=STATUS_CYCLE[i % len(STATUS_CYCLE)], success_measure=sentence(rng, success_chars),
            progress=sentence(rng, commentary_length(rng)) if commentary else ""))
    write_plan(path, info, actions)
    return path


# --- reading the PDF ------------------------------------------------------------------------

@dataclass
class Word:
    x0: float
    y0: float
    x1: float
    y1: float
    text: str


def pdf_words(pdf: Path) -> list[list[Word]]:
    """Every page's words with their boxes (pdftotext -bbox)."""
    out = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return [[Word(float(a), float(b), float(c), float(d), html.unescape(w)) for a, b, c, d, w in
             re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>', page)]
            for page in re.findall(r"<page[^>]*>(.*?)</page>", out, re.S)]


def sheet_pages(pages: list[list[Word]], sheet: str) -> list[list[Word]]:
    """The pages of one sheet: its name is at the right of the page header (the top line)."""
    out = []
    for words in pages:
        if not words:
            continue
        top = min(w.y0 for w in words)
        header = " ".join(w.text for w in sorted(words, key=lambda w: w.x0) if w.y0 - top < 3)
        if header.endswith(sheet):
            out.append(words)
    return out


def header_cells(words: list[Word], headers: list[str]) -> dict[str, Word]:
    """The table's header row on a printed page: each header's first word, by its place."""
    found: dict[str, Word] = {}
    for h in headers:
        first = h.split()[0]
        hits = sorted((w for w in words if w.text == first), key=lambda w: (w.y0, w.x0))
        if hits:
            found[h] = hits[0]
    return found


def refs_per_page(book: Path, pdf: Path) -> list[int]:
    """Action rows on each printed page of a consolidated workbook's All actions: the Refs in
    its first column (``pdf`` is the workbook rendered)."""
    ws = openpyxl.load_workbook(book, read_only=True)[ALL_ACTIONS]
    refs = {str(r[0]) for r in ws.iter_rows(min_row=2, values_only=True) if r[0] is not None}
    counts = []
    for words in sheet_pages(pdf_words(pdf), ALL_ACTIONS):
        ref = header_cells(words, ["Ref"])["Ref"]
        counts.append(sum(1 for w in words if abs(w.x0 - ref.x0) < 2 and w.y0 > ref.y1 and w.text in refs))
    return counts


def assert_action_wider_than_lead(pdf: Path) -> None:
    """On a rendered Word report, every table header row with Ref, Action and Lead: the Action
    column (from its header to Lead's) is wider than Lead's (from its header to the next)."""
    rows = 0
    for words in pdf_words(pdf):
        for ref in (w for w in words if w.text == "Ref"):
            line = {w.text: w.x0 for w in words if abs(w.y0 - ref.y0) < 1.5}
            if "Action" not in line or "Lead" not in line:
                continue
            rows += 1
            after_lead = min(x for x in line.values() if x > line["Lead"] + 1)
            assert line["Lead"] - line["Action"] > after_lead - line["Lead"], (pdf.name, line)
    assert rows, f"no table of actions in {pdf}"
