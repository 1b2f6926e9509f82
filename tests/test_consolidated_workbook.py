"""The consolidated workbook as a reader and Excel see it: every status line (no status given,
not recognised) adds up, direction of travel, real changes only, UK dates, row heights and a
print area on every sheet, chart labels whole words, and Excel's own limits (formula and text
lengths, case-insensitive COUNTIFS, 32,767-character cells) — checked with openpyxl, calamine
and LibreOffice recalculating every formula itself."""
from __future__ import annotations

import datetime as dt
import re
import subprocess
from collections import Counter
from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from planbook import Action, Lead, PlanInfo, parse_due, write_plan
from planbook.core.direction import BETTER, NEW_DIRECTION, NOT_UPDATED, SAME, WORSE
from planbook.rollup.attention import find_exceptions
from planbook.rollup.consolidate import consolidate
from planbook.workbook.view import read_consolidated
from planbook.rollup.output import PRINTED_HEADERS, write_consolidated
from planbook.core.limits import MAX_CELL, label_lines
from planbook.core.status import COUNT_LINES, NOT_RECOGNISED, NOT_STARTED, NO_STATUS, percentages

from .conftest import run_cli

TODAY = dt.date(2009, 10, 9)
LONG_THEME = "Making a positive contribution to the life of the community, " * 6  # > 255 characters
WILD_THEME = "Health * Wellbeing? ~ (all ages)"
LONG_PROGRESS = ("Word " * 9000) + "THE END"  # 45,007 characters: more than a cell holds


def _plan(version: int) -> tuple[PlanInfo, list[Action]]:
    """A plan with every kind of status line, themes and leads that differ only in case, a theme
    longer than a formula's text may be, wildcard characters; version 2 is a quarter later."""
    leads = ["Jane Smith", "Raj Patel", "A*B Team"]
    info = PlanInfo("Family plan", "Q2 2009/10", [Lead(n) for n in leads],
                    ["Staying Safe", LONG_THEME.strip(), WILD_THEME])

    def act(ref, theme, lead, status, progress="", due="March 2010", text=""):
        return Action(ref, f"Action {ref}", lead, theme=theme, status=status, status_text=text or (status or ""),
                      progress=progress, due=parse_due(due), last_updated=dt.date(2009, 9, 1))

    blank = NO_STATUS
    actions = [
        act("1.1", "Staying Safe", "Jane Smith", "Complete" if version == 2 else "On track", "Done" if version == 2 else "Going"),
        act("1.2", "staying safe", "jane smith", "Slippage" if version == 2 else "On track", "Same words"),
        act("1.3", "STAYING SAFE", "Raj Patel", blank, "Same words too", due=dt.date(2009, 9, 30) if version == 1
            else dt.date(2009, 12, 31)),
        act("1.4", "Staying Safe", "Raj Patel", None, text="Compelte"),
        act("2.1", LONG_THEME.strip(), "Raj Patel", "Off track", "Blocked"),
        act("2.2", LONG_THEME.strip(), "A*B Team", NOT_STARTED),
        act("3.1", WILD_THEME, "A*B Team", blank if version == 1 else NOT_STARTED, "Waiting"),
        act("3.2", "Health and Wellbeing", "A*B Team", "On track", "Unrelated to the wildcard theme"),
    ]
    if version == 1:
        actions.append(act("9.9", "Staying Safe", "Jane Smith", "On track", "Dropped next quarter"))
    else:
        actions.append(act("4.1", WILD_THEME, "Jane Smith", "On track", "New this quarter"))
    for a in actions:
        if a.status == NO_STATUS:
            a.status_text = ""
    return info, actions


@pytest.fixture(scope="session")
def family(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("family")
    paths = {}
    for version in (1, 2):
        info, actions = _plan(version)
        paths[version] = folder / f"plan-v{version}.xlsx"
        write_plan(paths[version], info, actions)
    previous = folder / "previous.xlsx"
    write_consolidated(consolidate([paths[1]], today=dt.date(2009, 7, 9)), previous)
    result = consolidate([paths[2]], previous=previous, today=TODAY)
    long_action = next(a for a in result.actions if a.ref == "3.2")
    long_action.progress = LONG_PROGRESS  # as an import from a long Word document can give
    out = folder / "consolidated.xlsx"
    write_consolidated(result, out)
    return {"folder": folder, "result": result, "out": out, "previous": previous, "plan": paths[2]}


def _rows(path: Path, sheet: str) -> list[dict]:
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python()
    return [dict(zip(rows[0], r)) for r in rows[1:]]


def _lo(soffice: str, src: Path, fmt: str, outdir: Path) -> Path:
    """LibreOffice headless conversion with a profile that recalculates every formula on load
    (its default keeps Excel's cached values, which would check nothing)."""
    profile = outdir / "profile"
    (profile / "user").mkdir(parents=True, exist_ok=True)
    (profile / "user" / "registrymodifications.xcu").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<oor:items xmlns:oor="http://openoffice.org/2001/registry" '
        'xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
        '<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse">'
        '<value>0</value></prop></item>\n</oor:items>\n', encoding="utf-8")
    result = subprocess.run([soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", fmt,
                             "--outdir", str(outdir), str(src)], capture_output=True, text=True, timeout=300)
    out = outdir / f"{src.stem}.{fmt.split(':')[0]}"
    assert out.exists(), result.stderr
    return out


# --- status lines -------------------------------------------------------------------------


def test_blank_status_is_no_status_given_and_every_line_adds_up(family):
    result = family["result"]
    counts = result.status_counts()
    assert set(counts) <= set(COUNT_LINES) and sum(counts.values()) == len(result.actions) == 9
    assert counts[NO_STATUS] == 1 and counts[NOT_RECOGNISED] == 1 and counts[NOT_STARTED] == 2
    by_ref = {r["Ref"]: r for r in _rows(family["out"], "All actions")}
    assert by_ref["1.3"]["Status"] == NO_STATUS and by_ref["1.4"]["Status"] == "Compelte"
    view = read_consolidated(family["out"])
    assert view.counts() == counts  # the report and the email count what the workbook says
    # a blank status is unfinished: an exception of its own, and overdue once its date passes
    reasons = {e.action.ref: e.reason for e in result.exceptions}
    assert NO_STATUS in reasons["1.3"] and "Status not recognised (Compelte)" in reasons["1.4"]
    assert by_ref["1.3"]["Overdue"] == "" and result.actions[2].is_overdue(dt.date(2010, 1, 1))
    # the lead's own tab keeps a blank Status blank (never turned into words)
    ws = openpyxl.load_workbook(family["plan"])["Raj Patel"]
    status_col = [c.value for c in ws[1]].index("Status") + 1
    row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == "1.3")
    assert ws.cell(row, status_col).value is None


@pytest.mark.parametrize("counts", [
    {"Complete": 62, "On track": 37, "Slippage": 14, "Off track": 5, "Not started": 4},
    {"Complete": 93, "On track": 11, "Slippage": 8, "Off track": 10, NOT_RECOGNISED: 1},
    {"Complete": 1, "On track": 1, "Slippage": 1},
    {"Complete": 1, "On track": 1, "Slippage": 1, "Off track": 1, "Not started": 1, NO_STATUS: 1, NOT_RECOGNISED: 1},
    {"Complete": 0},
])
def test_percentages_are_whole_and_sum_to_100_by_largest_remainder(counts):
    shares = percentages(counts)
    total = sum(counts.values())
    assert sum(shares.values()) == (100 if total else 0)
    for line, share in shares.items():  # each within a point of its exact share, never below its floor
        exact = 100 * counts.get(line, 0) / total if total else 0
        assert int(exact) <= share <= int(exact) + 1


def test_summary_cached_values_equal_libreoffice_recalculation(family, soffice, tmp_path):
    """Every number on the Summary as Excel will recalculate it (COUNTIFS ignores case, so
    "staying safe" and "STAYING SAFE" are one theme; wildcards are literal; a theme longer than a
    formula's text is compared through its cell), and the Python counts agree."""
    out = family["out"]
    cached = CalamineWorkbook.from_path(str(out)).get_sheet_by_name("Summary").to_python()
    recalculated = CalamineWorkbook.from_path(str(_lo(soffice, out, "xlsx", tmp_path))).get_sheet_by_name(
        "Summary").to_python()
    numbers = [(r, c) for r, row in enumerate(cached) for c, v in enumerate(row) if isinstance(v, (int, float))]
    assert len(numbers) > 60
    for r, c in numbers:
        assert recalculated[r][c] == pytest.approx(cached[r][c]), (r, c, cached[r][0])
    status = {row[0]: row[1] for row in cached if row and row[0] in COUNT_LINES}
    assert status == {line: family["result"].status_counts().get(line, 0) for line in COUNT_LINES}
    shares = [row[2] for row in cached if row and row[0] in COUNT_LINES]
    assert round(sum(shares) * 100) == 100 and all(round(s * 100) == s * 100 for s in shares)
    header = next(i for i, row in enumerate(cached) if row[0] == "Theme")
    end = next(i for i in range(header + 1, len(cached)) if not cached[i][0])
    themes = {row[0]: row for row in cached[header + 1:end]}
    total = cached[header].index("Total")
    assert [k for k in themes if k.lower() == "staying safe"] == ["Staying Safe"]  # one row for every spelling
    assert themes["Staying Safe"][total] == 4 and themes[LONG_THEME.strip()][total] == 2
    assert themes[WILD_THEME][total] == 2 and themes["Health and Wellbeing"][total] == 1
    for row in themes.values():  # each theme's lines add up to its total
        assert sum(row[1:total]) == row[total]


def test_formulas_and_texts_keep_within_excels_limits(family):
    wb = openpyxl.load_workbook(family["out"])
    formulas = [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row
                if isinstance(c.value, str) and c.value.startswith("=")]
    assert formulas and max(map(len, formulas)) <= 8192
    literals = [lit for f in formulas for lit in re.findall(r'"((?:[^"]|"")*)"', f)]
    assert literals and max(len(lit.replace('""', '"')) for lit in literals) <= 255
    assert any("SUMPRODUCT(" in f and "$A$" in f for f in formulas)  # the long theme is compared via its cell
    for name in wb.sheetnames:
        assert len(name) <= 31 and not re.search(r"[\[\]:*?/\\]", name)
    assert len({n.lower() for n in wb.sheetnames}) == len(wb.sheetnames)
    for ws in wb.worksheets:
        for row in ws.iter_rows(values_only=True):
            assert all(len(v) <= 32767 for v in row if isinstance(v, str))


def test_a_text_longer_than_a_cell_is_cut_and_the_rest_kept_on_data_issues(family):
    cell = {r["Ref"]: r for r in _rows(family["out"], "All actions")}["3.2"]["Progress update"]
    assert len(cell) <= MAX_CELL and "kept on Data issues" in cell
    rest = [r for r in _rows(family["out"], "Data issues") if r["Problem"] == "cell-too-long"]
    assert rest and rest[0]["File"] == "plan-v2.xlsx" and rest[0]["Sheet"] == "A-B Team"
    kept = cell[:cell.rindex(" … [cut:")]
    assert kept + "".join(r["Value"] for r in rest) == LONG_PROGRESS  # nothing lost


# --- direction of travel and changes -------------------------------------------------------


def test_direction_of_travel_and_real_changes_only(family):
    rows = {r["Ref"]: r for r in _rows(family["out"], "All actions")}
    assert {ref: r["Direction"] for ref, r in rows.items()} == {
        "1.1": BETTER, "1.2": WORSE, "1.3": SAME, "1.4": SAME, "2.1": SAME, "2.2": SAME, "3.1": SAME,
        "3.2": SAME, "4.1": NEW_DIRECTION}
    view = read_consolidated(family["out"])
    kinds = Counter(c["Change"] for c in view.changes)
    assert kinds == {"Status better": 1, "Status worse": 1, "Status changed": 1, "Due date moved": 1,
                     "Commentary updated": 1, "New action": 1, "Removed action": 1}
    due = next(c for c in view.changes if c["Change"] == "Due date moved")
    assert (due["Before"], due["Now"]) == ("30/09/2009", "31/12/2009")  # UK dates
    assert {c["Ref"] for c in view.not_updated} == {"1.2", "1.3", "2.1", "3.1", "3.2"}
    assert all(c["Change"] == NOT_UPDATED for c in view.not_updated)
    assert view.actions_changed() == family["result"].actions_changed == 6  # 1.1 1.2 1.3 3.1, new 4.1, removed 9.9
    sheet = _rows(family["out"], "Changes")
    first_not_updated = next(i for i, r in enumerate(sheet) if r["Change"] == NOT_UPDATED)
    assert all(r["Change"] == NOT_UPDATED for r in sheet[first_not_updated:])  # listed apart, after the changes


def test_without_previous_direction_is_blank(tmp_path, family):
    out = tmp_path / "no-previous.xlsx"
    write_consolidated(consolidate([family["plan"]], today=TODAY), out)
    assert {r["Direction"] for r in _rows(out, "All actions")} == {""}
    assert read_consolidated(out).changes == [] and read_consolidated(out).not_updated == []


def test_cli_prints_every_status_line_and_real_changes(family, tmp_path):
    out = tmp_path / "cli.xlsx"
    run = run_cli("consolidate", family["plan"], "--out", out, "--previous", family["previous"], "--as-of", "2009-10-09")
    assert run.returncode == 1 or run.returncode == 0, run.stderr
    assert "No status given: 1 (11%)" in run.stdout and "Status not recognised: 1 (11%)" in run.stdout
    shares = [int(p) for p in re.findall(r"\((\d+)%\)", run.stdout)]
    assert sum(shares) == 100
    assert "6 action(s) changed" in run.stdout and "5 with commentary unchanged" in run.stdout


# --- dates, print set-up, row heights, chart labels ----------------------------------------


def test_dates_are_real_dates_shown_uk_style(family):
    wb = openpyxl.load_workbook(family["out"])
    ws = wb["All actions"]
    headers = [c.value for c in ws[1]]
    for name in ("Due", "Last updated", "Due by"):
        cells = [row[headers.index(name)] for row in ws.iter_rows(min_row=2)]
        dated = [c for c in cells if isinstance(c.value, dt.datetime)]
        assert dated and all(c.number_format == "dd/mm/yyyy" for c in dated), name
    sources = wb["Sources"]
    col = [c.value for c in sources[1]].index("Modified")
    modified = [row[col] for row in sources.iter_rows(min_row=2)]
    assert all(isinstance(c.value, dt.datetime) and c.number_format.startswith("dd/mm/yyyy") for c in modified)
    reasons = [r["Why"] for r in _rows(family["out"], "Exceptions")]
    assert not any(re.search(r"\d{4}-\d\d-\d\d|\d{1,2} [A-Z][a-z]{2} \d{4}", r) for r in reasons)


def test_every_sheet_has_row_heights_for_wrapped_text_and_a_print_set_up(family):
    wb = openpyxl.load_workbook(family["out"])
    for name in ("All actions", "Exceptions", "Changes", "Data issues", "Sources"):
        ws = wb[name]
        assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9, name
        setup = ws.page_setup  # one page wide (1 is the default width, so may be left out), any pages tall
        assert ws.sheet_properties.pageSetUpPr.fitToPage and setup.fitToWidth in (None, 1) and setup.fitToHeight == 0, name
        assert ws.print_title_rows == "$1:$1", name
        widths = {c: dim.width for dim in ws.column_dimensions.values() for c in range(dim.min, dim.max + 1)}
        hidden = {c for dim in ws.column_dimensions.values() if dim.hidden for c in range(dim.min, dim.max + 1)}
        printed = ws.max_column
        if ws.print_area:  # only the printed columns set a row's height (tests/test_print_layout.py)
            printed = openpyxl.utils.column_index_from_string(re.search(r":\$?([A-Z]+)\$", ws.print_area).group(1))
        for row in ws.iter_rows(min_row=2):
            longest = max((len(str(c.value)) / widths[c.column] for c in row
                           if c.alignment.wrap_text and isinstance(c.value, str) and c.column <= printed
                           and c.column not in hidden), default=0)
            height = ws.row_dimensions[row[0].row].height
            if longest > 1.2:  # more than a line of text: the row is as tall as it needs
                assert height and height >= 15 * min(int(longest), 26), (name, row[0].row, longest, height)
    ws = wb["All actions"]
    assert [c.value for c in ws[1]][:len(PRINTED_HEADERS)] == PRINTED_HEADERS
    assert ws.print_area in ("'All actions'!$A$1:$H$10", "'All actions'!$A$1:$H$10".replace("'", ""))
    headers = [c.value for c in ws[1]]
    assert headers.index("Source file") >= len(PRINTED_HEADERS)
    assert wb["Exceptions"].print_area.endswith("$A$1:$H$" + str(wb["Exceptions"].max_row))


def test_chart_labels_break_at_words_never_inside_one():
    for text in ["MAKE A POSITIVE CONTRIBUTION", "Achieving Economic Well being", LONG_THEME, "Supercalifragilistic",
                 "Be healthy", ""]:
        label = label_lines(text, 22, 3)
        lines = label.split("\n")
        assert len(lines) <= 3 and all(len(x) <= 23 for x in lines)
        words = text.split()
        shown = label.replace("\n", " ").rstrip("…").split()
        if label.endswith("…") and len(words) > 1:
            assert shown == words[:len(shown)]  # whole words, then the ellipsis
        elif len(words) > 1 or not label.endswith("…"):
            assert shown == words
    assert label_lines("MAKE A POSITIVE CONTRIBUTION", 22, 3) == "MAKE A POSITIVE\nCONTRIBUTION"


def test_rendered_by_libreoffice_every_page_a4_and_no_technical_columns(family, soffice, tmp_path):
    pdf = _lo(soffice, family["out"], "pdf", tmp_path)
    info = subprocess.run(["pdfinfo", "-l", "100", str(pdf)], capture_output=True, text=True).stdout
    sizes = re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+)", info)
    assert sizes and all({round(float(w)), round(float(h))} == {842, 595} for w, h in sizes)  # A4
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "Source file" not in text and "Source sheet" not in text  # outside the print areas
    assert "Progress update" in text and "Direction" in text and "No status given" in text
    assert "Page 1 of" in text


def test_a_long_text_met_by_the_helper_process_is_cut_and_kept_too(family, tmp_path, monkeypatch, capfd):
    """The same when a forked helper writes the rows (big runs): cut before either process writes."""
    import planbook.rollup.output as cw

    monkeypatch.setattr(cw, "PARALLEL_FROM_ROWS", 1)
    result = consolidate([family["plan"]], today=TODAY)
    result.actions[-1].progress = LONG_PROGRESS
    out = tmp_path / "parallel.xlsx"
    write_consolidated(result, out)
    cell = _rows(out, "All actions")[-1]["Progress update"]
    rest = [r["Value"] for r in _rows(out, "Data issues") if r["Problem"] == "cell-too-long"]
    assert cell[:cell.rindex(" … [cut:")] + "".join(rest) == LONG_PROGRESS
    assert "Traceback" not in capfd.readouterr().err


#: Texts longer than a cell, in every column of an action's row that holds text.
LONG_TEXTS = {"action": "A " * 20_000, "objective": "O" * 40_000, "progress": LONG_PROGRESS, "partners": "P" * 33_000,
              "success_measure": "S " * 17_000, "resources": "R" * 32_768, "theme": "T" * 40_000,
              "status_text": "Nearly there " * 3_000, "note": "Ref collision: " + "N" * 40_000}


def _with_long_texts(action: Action) -> None:
    for attr, text in LONG_TEXTS.items():
        setattr(action, attr, text)
    action.status = None  # a Status not recognised: quoted again in the Exceptions sheet's reason
    action.due = parse_due("By " + "D" * 40_000)
    action.extras = {"Notes": "E" * 50_000, "Budget": 12.5}


def _kept_whole(out: Path, cell: str, column: str, whole: str) -> None:
    """The cell shows the first part of ``whole``; the rest is on Data issues: nothing lost."""
    assert len(cell) <= MAX_CELL and cell.endswith("kept on Data issues]")
    rest = [r["Value"] for r in _rows(out, "Data issues")
            if r["Problem"] == "cell-too-long" and r["What is wrong"].startswith(f"{column} of ")]
    assert cell[:cell.rindex(" … [cut:")] + "".join(rest) == whole, column


@pytest.mark.parametrize("on_disk", [False, True])
def test_texts_too_long_in_every_column_are_cut_before_writing_and_kept(family, tmp_path, on_disk):
    """Every text column of an action (the standard ones, Due, Note and an extra column), in
    memory or kept on disk for a very large run: cut to fit before the workbook is written, each
    with a finding holding the rest; a reason quoting the long Status is cut where it is shown."""
    result = consolidate([family["plan"]], today=TODAY, spill_over=0 if on_disk else None)
    assert (result.store is not None) == on_disk
    action = result.actions[-1]
    if on_disk:  # a long text held on disk, as the store holds one
        action = Action(action.ref, "", action.lead, origin=action.origin)
        _with_long_texts(action)
        result.store.spill(action)
        result.actions[-1] = action
    else:
        _with_long_texts(action)
    result.exceptions = find_exceptions(result.actions, result.period, TODAY)
    result.extra_columns = [*result.extra_columns, "Notes", "Budget"]
    out = tmp_path / "long.xlsx"
    write_consolidated(result, out)
    row = {r["Ref"]: r for r in _rows(out, "All actions")}[action.ref]
    headers = {"action": "Action", "objective": "Objective", "progress": "Progress update", "partners": "Partners",
               "success_measure": "Success measure", "resources": "Resources", "theme": "Theme",
               "status_text": "Status", "note": "Note"}
    for attr, header in headers.items():
        _kept_whole(out, row[header], header, LONG_TEXTS[attr])
    _kept_whole(out, row["Due"], "Due", "By " + "D" * 40_000)
    _kept_whole(out, row["Notes"], "Notes", "E" * 50_000)
    assert row["Budget"] == 12.5
    why = {r["Ref"]: r["Why"] for r in _rows(out, "Exceptions")}[action.ref]
    assert "Status not recognised (Nearly there" in why and len(why) <= MAX_CELL
    book = CalamineWorkbook.from_path(str(out))
    for name in book.sheet_names:
        assert all(len(v) <= MAX_CELL for r in book.get_sheet_by_name(name).to_python() for v in r
                   if isinstance(v, str)), name
    cut = sum(1 for f in result.report if f.code == "cell-too-long")
    assert cut == len(headers) + 2
    write_consolidated(result, tmp_path / "again.xlsx")  # written again: cut once, noted once
    assert sum(1 for f in result.report if f.code == "cell-too-long") == cut
