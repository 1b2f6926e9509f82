"""Every workbook planbook writes opens in independent readers, with the same values as calamine.

The outputs: a plan from ``planbook new``, a lead's split copy, a plan imported from a shared
sample, consolidations of a few rows (with awkward text), 45,000 rows and over 200,000 rows
(the size at which long texts spill to disk and the sheets are written by one process), and
``workbooks/Coordinator.xlsm``.  The readers, none of them Python, all from the package
registries `make test` uses:

* SheetJS (npm ``xlsx``, run by node; ``tests/sheetjs_dump.js``) — typed values;
* Gnumeric's ``ssconvert`` — every sheet to CSV, raw values (a date is its serial number);
* LibreOffice headless — every sheet to CSV, values not as shown (dates still come out as
  ``MM/DD/YYYY``, percentages as ``12.5%``).

Each is compared with calamine cell for cell, over every sheet (hidden ones too).  How values
are made comparable: an empty cell or an empty text is None ("" in CSV); numbers compare to 12 significant
digits (LibreOffice writes 15); a date or date-time from calamine is its Excel serial number
(1900 system), and where LibreOffice shows only a date, only the day is compared; the CSV
readers carry no types, so a CSV field is read as the type calamine found (a text cell must
match exactly, character for character; SheetJS checks the types themselves).  Text is not
normalised — a carriage return, a literal ``_x0041_``, markup or an emoji must come through as
the lead typed it — with two exceptions, both the readers' own ways, seen with XlsxWriter's
files as with ours: Gnumeric 1.12 does not decode ECMA-376's ``_xHHHH_`` escapes (it shows
``_x000D_`` where Excel shows a carriage return), so its text is compared after decoding them
as Excel does; LibreOffice keeps a CR LF line end as a paragraph break, so it is compared
with CR LF read as LF (a lone CR it keeps).

Each file's ZIP headers and the schema order of its sheet parts, workbook.xml and styles.xml are
checked too (tests/ooxml_check.py).
"""
from __future__ import annotations

import csv
import datetime as dt
import json
import math
import random
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from planbook import Action, Lead, PlanInfo, parse_due, write_plan

from . import ooxml_check
from .conftest import ROOT, SAMPLES, run_cli

READERS = ("sheetjs", "gnumeric", "libreoffice")
OUTPUTS = ("plan-new", "split-copy", "imported-plan", "consolidated-small", "consolidated-45k",
           "consolidated-201k", "coordinator")
AS_OF = "2009-10-09"
_EPOCH = dt.datetime(1899, 12, 30)
_XSTRING_ESCAPE = re.compile("_x([0-9A-Fa-f]{4})_")  # ECMA-376 ST_Xstring: _x000D_ is a carriage return

#: Text a lead might type that a careless writer loses or mangles.
AWKWARD = [
    "Line one\r\nline two (Windows line end)",
    "bare\rcarriage return",
    "literal _x0041_ and _x005F_ and _x000D_ escapes",
    "<b>markup</b> & \"quotes\" 'apostrophes' ]]>",
    "=SUM(A1:A2) looks like a formula",
    "+44 1642 245432",
    "  leading and trailing spaces  ",
    "tab\there",
    "bell\x07 and escape\x1b characters",
    "Café – naïve — 😀 𝔘 ∑ 中文",
    "007",
    "1.10",
    "x" * 5000,
]


# --- the outputs -----------------------------------------------------------------------------

def _awkward_plan(folder: Path) -> Path:
    info = PlanInfo("Awkward & <odd> plan", "Q2 2009/10",
                    [Lead("O'Brien & Sons", "ob@example.org"), Lead("Team 😀", "t@example.org")],
                    ["Being Healthy", "Staying <Safe>"], coordinator="Pat", coordinator_email="pat@example.org")
    actions = []
    for i, text in enumerate(AWKWARD, start=1):
        actions.append(Action(f"{i}.1", text, "O'Brien & Sons" if i % 2 else "Team 😀",
                              theme="Being Healthy" if i % 3 else "Staying <Safe>", objective=AWKWARD[-i % len(AWKWARD)][:200],
                              partners=AWKWARD[(i + 3) % len(AWKWARD)][:100],
                              due=parse_due(["December 2008", dt.date(2010, 3, 31), "Quarterly"][i % 3]),
                              status=["Complete", "On track", "Slippage", "Off track", ""][i % 5],
                              progress=AWKWARD[(i + 1) % len(AWKWARD)], last_updated=dt.date(2009, 9, i),
                              extras={"Budget code": AWKWARD[(i + 5) % len(AWKWARD)][:50]}))
    actions.append(Action("99", "A status and a due date the reader cannot use", "Team 😀",
                          due=parse_due("31/02/2009 <soon> & \r\n later"), status="Done & <dusted>\r\n"))
    path = folder / "awkward-plan.xlsx"
    write_plan(path, info, actions)
    return path


_WORDS = ("review audit develop deliver agree commission publish monitor evaluate pilot safeguarding schools "
          "partnership outcomes young people families health training data strategy").split()


def _lead_copies(folder: Path, files: int, per_file: int, *, long_texts: bool) -> Path:
    """``files`` returned lead copies of ``per_file`` actions each, quickly: one is written by
    planbook, the others are byte-for-byte clones of it with the lead's name and the refs
    changed (same length, so every part of the package stays consistent)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(files * per_file)
    lead = "Lead Q000"
    words = (6, 18) if long_texts else (2, 5)
    statuses = ["Complete", "On track", "Slippage", "Off track", "Not started"] if long_texts \
        else ["Complete"] * 10 + ["On track"] * 9 + ["Slippage"]
    dues = ["December 2008", "Jan –May 2009", "Quarterly", "Ongoing", "2009/10", dt.date(2009, 6, 30)] if long_texts \
        else ["2010/11", dt.date(2010, 3, 31), "Ongoing"]
    actions = [Action(
        f"Q000.{j}", " ".join(rng.choices(_WORDS, k=rng.randint(*words))).capitalize(), lead,
        theme=f"Theme {rng.randrange(6)}", objective=" ".join(rng.choices(_WORDS, k=words[0])),
        due=parse_due(rng.choice(dues), 2009), status=rng.choice(statuses),
        progress=" ".join(rng.choices(_WORDS, k=rng.randint(0, words[1]))),
        last_updated=dt.date(2009, 9, 1) + dt.timedelta(days=rng.randint(0, 60)))
        for j in range(1, per_file + 1)]
    info = PlanInfo("Big plan", "Q2 2009/10", [Lead(lead, "q000@example.org")], [f"Theme {t}" for t in range(6)])
    base = folder / "Lead Q000.xlsx"
    write_plan(base, info, actions, only_leads=[lead], role="lead-copy", blank_rows=0)
    with zipfile.ZipFile(base) as zin:
        members = [(info, zin.read(info.filename)) for info in zin.infolist()]
    for k in range(1, files):
        tag = f"Q{k:03d}".encode()
        with zipfile.ZipFile(folder / f"Lead Q{k:03d}.xlsx", "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zout:
            for info, data in members:
                zout.writestr(info.filename, data.replace(b"Q000", tag))
    return folder


def _consolidate(inputs: list[Path], out: Path, *extra: str, actions: int | None = None) -> Path:
    result = run_cli("consolidate", *inputs, "--out", out, "--as-of", AS_OF, "--json", *extra)
    assert result.returncode in (0, 1), result.stderr
    assert actions is None or json.loads(result.stdout)["actions"] == actions
    return out


def _build(name: str, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    if name == "plan-new":
        out = folder / "new-plan.xlsx"
        result = run_cli("new", out, "--title", "Children's plan & <review>", "--period", "Q1 2009/10",
                         "--lead", "Jane Smith", "--lead", "O'Brien & Sons", "--lead", "Team 😀",
                         "--theme", "Being Healthy", "--theme", "Staying <Safe>")
        assert result.returncode == 0, result.stderr
        return out
    if name == "split-copy":
        result = run_cli("split", _awkward_plan(folder), "--out", folder / "copies")
        assert result.returncode == 0, result.stderr
        return next((folder / "copies").glob("O*Brien*.xlsx"))
    if name == "imported-plan":
        out = folder / "imported.xlsx"
        result = run_cli("import", SAMPLES / "middlesbrough_cs.xlsx", "--out", out)
        assert result.returncode in (0, 1), result.stderr
        return out
    if name == "consolidated-small":
        plan = _awkward_plan(folder)
        previous = _consolidate([plan], folder / "previous.xlsx")
        returned = folder / "returns"
        assert run_cli("split", plan, "--out", returned).returncode == 0
        return _consolidate([plan, returned], folder / "consolidated-small.xlsx", "--previous", str(previous))
    if name == "consolidated-45k":
        return _consolidate([_lead_copies(folder / "in", 15, 3000, long_texts=True)], folder / "c45k.xlsx", actions=45_000)
    if name == "consolidated-201k":
        from planbook.rollup.consolidate import SPILL_OVER

        assert 67 * 3000 > SPILL_OVER  # the size that takes the one-process, spill-file path
        return _consolidate([_lead_copies(folder / "in", 67, 3000, long_texts=False)], folder / "c201k.xlsx",
                            actions=201_000)  # past SPILL_OVER: long texts on disk, sheets written by one process
    if name == "coordinator":
        return ROOT / "workbooks" / "Coordinator.xlsm"
    raise KeyError(name)


# --- the readers -----------------------------------------------------------------------------

def _tool(name: str, hint: str) -> str:
    exe = shutil.which(name)
    if not exe:
        pytest.fail(f"{name} is not installed: {hint}")
    return exe


def _start_readers(sources: dict[str, Path], work: Path) -> dict[str, dict[str, tuple[subprocess.Popen, Path]]]:
    """Start the three readers on each of ``sources`` (name -> file) at once: they are separate
    programs, so they run side by side; LibreOffice, slow to start, converts them all in one go.
    Returns name -> reader -> (its process, the folder it writes to)."""
    node = _tool("node", "install Node.js")
    script = ROOT / "tests" / "sheetjs_dump.js"
    if not (ROOT / "node_modules" / "xlsx").is_dir():
        pytest.fail("SheetJS is not installed: run `make setup` (npm ci)")
    ssconvert = _tool("ssconvert", "run `make test` (scripts/install-system-deps.sh installs gnumeric)")
    soffice = shutil.which("soffice") or _tool("libreoffice", "run `make test`")

    def start(cmd: list[str], out: Path) -> tuple[subprocess.Popen, Path]:
        out.mkdir(parents=True, exist_ok=True)
        with open(out / "log.txt", "wb") as log:
            return subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=out), out

    stems = [src.stem for src in sources.values()]
    assert len(set(stems)) == len(stems)  # LibreOffice names its CSVs after them
    lo = start([soffice, f"-env:UserInstallation=file://{work / 'lo-profile'}", "--headless", "--convert-to",
                "csv:Text - txt - csv (StarCalc):44,34,76,1,,1033,true,true,false,false,false,-1",
                "--outdir", str(work / "libreoffice"), *map(str, sources.values())], work / "libreoffice")
    started = {}
    for name, src in sources.items():
        out = work / name
        started[name] = {
            "sheetjs": start([node, str(script), str(src), str(out / "sheetjs" / "cells.jsonl")], out / "sheetjs"),
            "gnumeric": start([ssconvert, "-S", "--export-type=Gnumeric_stf:stf_assistant",
                               "-O", "separator=, quoting-mode=always format=raw eol=unix charset=UTF-8",
                               str(src), str(out / "gnumeric" / "%n.csv")], out / "gnumeric"),
            "libreoffice": lo}
    return started


def _calamine(src: Path) -> dict[str, list[list[object]]]:
    wb = CalamineWorkbook.from_path(str(src))
    return {name: _trim([[None if v == "" else v for v in row]
                         for row in wb.get_sheet_by_name(name).to_python(skip_empty_area=False)])
            for name in wb.sheet_names}


def _trim(rows: list[list[object]]) -> list[list[object]]:
    for row in rows:
        while row and row[-1] is None:
            row.pop()
    while rows and not rows[-1]:
        rows.pop()
    return rows


def _read_sheetjs(out: Path) -> dict[str, list[list[object]]]:
    with open(out / "cells.jsonl", encoding="utf-8") as fh:
        names = json.loads(fh.readline())["sheets"]
        sheets = {}
        for line in fh:
            data = json.loads(line)
            # "" as None: as calamine, which cannot tell an empty text from no cell
            sheets[data["sheet"]] = _trim([[None if v == "" else v for v in row] if "" in row else row
                                           for row in data["rows"]])
    assert list(sheets) == names
    return sheets


def _read_csv(path: Path) -> list[list[object]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return _trim([[v if v != "" else None for v in row] for row in csv.reader(fh)])


def _read_gnumeric(out: Path, names: list[str]) -> dict[str, list[list[object]]]:
    files = sorted(out.glob("*.csv"), key=lambda p: int(p.stem))
    assert len(files) == len(names), f"Gnumeric wrote {len(files)} sheets of {len(names)}"
    return {name: _read_csv(f) for name, f in zip(names, files)}


def _read_libreoffice(out: Path, src: Path, names: list[str]) -> dict[str, list[list[object]]]:
    sheets = {}
    for name in names:
        path = out / f"{src.stem}-{name}.csv"
        assert path.exists(), f"LibreOffice wrote no CSV for sheet {name!r}: {sorted(p.name for p in out.iterdir())}"
        sheets[name] = _read_csv(path)
    return sheets


# --- comparing -------------------------------------------------------------------------------

def _serial(v: dt.date | dt.datetime | dt.time) -> float:
    if isinstance(v, dt.time):
        return (v.hour * 3600 + v.minute * 60 + v.second + v.microsecond / 1e6) / 86400
    if not isinstance(v, dt.datetime):
        v = dt.datetime(v.year, v.month, v.day)
    return (v - _EPOCH).total_seconds() / 86400


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)


def _same(reader: str, expected: object, got: object) -> bool:
    """Does ``got`` (what the reader gave) show calamine's ``expected``? (See the module notes.)"""
    if expected is None or got is None:
        return expected is None and got is None
    if reader == "sheetjs":
        if isinstance(expected, bool) or isinstance(got, bool):
            return expected is got
        if isinstance(expected, str):
            return got == expected
        number = _serial(expected) if isinstance(expected, (dt.date, dt.time)) else float(expected)
        return isinstance(got, (int, float)) and _close(number, got)
    # CSV: text
    if isinstance(expected, str):
        if reader == "gnumeric":
            got = _XSTRING_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), got)
        elif reader == "libreoffice":
            expected = expected.replace("\r\n", "\n")
        return got == expected
    if isinstance(expected, bool):
        return got == ("TRUE" if expected else "FALSE")
    if isinstance(expected, dt.timedelta):
        expected = expected.total_seconds() / 86400
    if isinstance(expected, (dt.date, dt.time)):
        if reader == "libreoffice" and not isinstance(expected, dt.time):
            shown = got.split(" ")
            try:
                day = dt.datetime.strptime(shown[0], "%m/%d/%Y")
                if len(shown) == 1:
                    return day.date() == (expected.date() if isinstance(expected, dt.datetime) else expected)
                return _close(_serial(dt.datetime.strptime(got, "%m/%d/%Y %H:%M:%S")), _serial(expected))
            except ValueError:
                return False
        expected = _serial(expected)
    try:
        number = float(got[:-1]) / 100 if got.endswith("%") else float(got)
    except ValueError:
        return False
    return _close(float(expected), number)


def _differences(reader: str, reference: dict, sheets: dict, limit: int = 12) -> list[str]:
    from planbook.core.names import col_letter

    found = []
    if list(sheets) != list(reference):
        found.append(f"sheets {list(sheets)} != calamine's {list(reference)}")
    for name, rows in reference.items():
        other = sheets.get(name, [])
        if len(other) != len(rows):
            found.append(f"{name}: {len(other)} rows, calamine {len(rows)}")
        for r in range(max(len(rows), len(other))):
            a = rows[r] if r < len(rows) else []
            b = other[r] if r < len(other) else []
            for c in range(max(len(a), len(b))):
                va = a[c] if c < len(a) else None
                vb = b[c] if c < len(b) else None
                if va.__class__ is vb.__class__ and va == vb:  # the common case, quickly
                    continue
                if not _same(reader, va, vb):
                    found.append(f"{name}!{col_letter(c)}{r + 1}: {reader} {vb!r:.80} != calamine {va!r:.80}")
                    if len(found) >= limit:
                        return found
    return found


# --- fixtures and tests ----------------------------------------------------------------------

#: Read together (one LibreOffice start for all of them).
SMALL = ("plan-new", "split-copy", "imported-plan", "consolidated-small", "coordinator")


class Workspace:
    """Each output built once and read once by each reader (side by side; the small outputs
    all at once); a reader's CSV or JSON is parsed only in its own test, and big readings are
    let go once compared."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.paths: dict[str, Path] = {}
        self.references: dict[str, dict] = {}
        self.outs: dict[str, dict[str, Path]] = {}
        self.pending: dict[str, set[str]] = {}

    def path(self, name: str) -> Path:
        if name not in self.paths:
            self.paths[name] = _build(name, self.root / name)
        return self.paths[name]

    def reference(self, name: str) -> dict:
        """calamine's sheets of output ``name``."""
        if name not in self.references:
            self.references[name] = _calamine(self.path(name))
        return self.references[name]

    def reading(self, name: str, reader: str) -> tuple[dict, dict]:
        """(calamine's sheets, ``reader``'s sheets) of output ``name``."""
        if name not in self.outs:
            group = SMALL if name in SMALL else (name,)
            started = _start_readers({n: self.path(n) for n in group}, self.root / f"read-{name}")
            for n in group:
                self.reference(n)  # while the readers run
            for n, readers in started.items():
                for who, (process, out) in readers.items():
                    code = process.wait(timeout=600)
                    log = (out / "log.txt").read_text(errors="replace")[-2000:]
                    assert code == 0, f"{who} failed on {self.path(n).name} (exit {code}): {log}"
                self.outs[n] = {who: out for who, (_, out) in readers.items()}
                self.pending[n] = set(READERS)
        reference, out, src = self.reference(name), self.outs[name][reader], self.path(name)
        names = list(reference)
        sheets = (_read_sheetjs(out) if reader == "sheetjs" else
                  _read_gnumeric(out, names) if reader == "gnumeric" else _read_libreoffice(out, src, names))
        self.pending[name].discard(reader)
        if not self.pending[name] and name not in SMALL:
            del self.references[name]  # the big ones are large in memory
        return reference, sheets


@pytest.fixture(scope="session")
def workspace(tmp_path_factory) -> Workspace:
    return Workspace(tmp_path_factory.mktemp("readers"))


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("output", OUTPUTS)
def test_reader_sees_what_calamine_sees(workspace, output, reader):
    reference, sheets = workspace.reading(output, reader)
    assert sum(len(rows) for rows in reference.values()) > 1  # something to compare
    assert _differences(reader, reference, sheets) == []


@pytest.mark.parametrize("output", OUTPUTS)
def test_zip_headers_agree_and_no_needless_zip64(workspace, output):
    path = workspace.path(output)
    with zipfile.ZipFile(path) as zf:
        assert zf.testzip() is None
    assert ooxml_check.zip_problems(path) == []


@pytest.mark.parametrize("output", OUTPUTS)
def test_parts_in_schema_order_with_cell_references(workspace, output):
    assert ooxml_check.order_problems(workspace.path(output)) == []


def test_awkward_text_survives_exactly(workspace):
    """calamine, the reference the readers are held to, gives back exactly what was typed
    (control characters, which no XML file can hold, replaced as planbook.core.text says)."""
    from planbook.core.text import clean_text

    reference = workspace.reference("consolidated-small")
    cells = {v for rows in reference.values() for row in rows for v in row if isinstance(v, str)}
    assert [text for text in map(clean_text, AWKWARD) if text not in cells] == []


# --- the checker catches what it is for -------------------------------------------------------

def _rewritten(src: Path, dst: Path, change, *, force_zip64: str = "") -> Path:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = change(data)
            with zout.open(info.filename, "w", force_zip64=info.filename == force_zip64) as fh:
                fh.write(data)
    return dst


def _swap(x: bytes, a: bytes, b: bytes) -> bytes:
    return x.replace(a, b"\0").replace(b, a).replace(b"\0", b)


@pytest.mark.parametrize("change, problem", [
    (lambda x: x.replace(b'<c r="B2"', b"<c"), "no r reference"),
    (lambda x: x.replace(b'<row r="2"', b"<row"), "has no r reference"),
    (lambda x: re.sub(rb'(<row r="2".*?</row>)(<row r="3".*?</row>)', rb"\2\1", x), "row 2 follows row 3"),
    (lambda x: x.replace(b'r="B2"', b'r="B7"'), "no r reference in that row ('B7')"),
    (lambda x: _swap(x, b'r="A2"', b'r="C2"'), "out of order"),
    (lambda x: re.sub(rb"(<sheetData>.*</sheetData>)(<pageMargins[^>]*/>)", rb"\2\1", x, flags=re.S),
     "comes after a later element in <worksheet>"),
    (lambda x: x.replace(b"<pageMargins", b"<sheetFormatPr/><pageMargins"), "repeated"),
    (lambda x: x.replace(b"<v>1</v>", b"<v>1</v><f>1</f>"), "comes after a later element in <c>"),
    (lambda x: x.replace(b"</sheetData>", b"</sheetData><bogus/>"), "not allowed"),
])
def test_order_checker_finds_each_fault(tmp_path, change, problem):
    import xlsxwriter

    good = tmp_path / "good.xlsx"
    wb = xlsxwriter.Workbook(str(good))
    ws = wb.add_worksheet()
    for r in range(3):
        ws.write_row(r, 0, [f"a{r}", r, f"c{r}"])
    wb.close()
    assert ooxml_check.order_problems(good) == [] and ooxml_check.zip_problems(good) == []
    bad = _rewritten(good, tmp_path / "bad.xlsx", change)
    found = ooxml_check.order_problems(bad)
    assert found and problem in found[0], found


def test_zip_checker_finds_a_needless_zip64_header(tmp_path, plan_file):
    bad = _rewritten(plan_file, tmp_path / "bad.xlsx", lambda x: x, force_zip64="xl/worksheets/sheet1.xml")
    assert any("ZIP64 local header" in p for p in ooxml_check.zip_problems(bad))
    assert ooxml_check.zip_problems(plan_file) == []
