"""What a lead said on a tab besides the cells' values: notes on cells, a Status cell merged
over several rows, a status shown only by a fill colour.

* a **note** (comment) on a cell of a lead's row is kept: on a blank Progress update it is the
  progress (the lead wrote it there instead); anywhere else it goes into the row's ``Cell notes``
  column; either way a ``cell-note`` finding says where it came from;
* a **merged Status cell** (one word typed over two rows) gives its word to every row it covers,
  with a ``merged-status`` finding naming each cell that had no word of its own; any other
  merged cell (an Objective merged down its actions) gives its text the same way
  (``merged-cell``), except in Ref, Action, Due and Last updated, where the rows it covers are
  named;
* a **blank Status filled with a colour** stays "No status given" (a colour is not a word), with
  a ``status-by-colour`` finding naming the cell and, for a RAG colour, the status it suggests:
  "J5 is filled red but has no status: choose Off track?".

Notes are read from an .xlsx or .ods, fills from an .xlsx (planbook.files.cellstyle); merged
cells from calamine.
"""
from __future__ import annotations

from planbook.core.findings import Finding
from planbook.core.model import Action
from planbook.core.names import cell_ref
from planbook.core.status import COMPLETE, NOT_STARTED, OFF_TRACK, ON_TRACK, SLIPPAGE, normalise_status
from planbook.files.cellstyle import cell_fills, colour_name, ods_notes, workbook_notes
from planbook.files.odstable import repeat, table_cells
from planbook.files.opening import LoadedWorkbook, as_text
from planbook.workbook.plan import Plan

#: The extra column a note on a cell other than a blank Progress update goes to.
NOTES_COLUMN = "Cell notes"
#: The status a RAG fill colour suggests (never applied: offered in the finding).
_SUGGESTED = {"red": OFF_TRACK, "amber": SLIPPAGE, "green": ON_TRACK, "blue": COMPLETE, "grey": NOT_STARTED}


def apply_marks(plan: Plan, file: str, sheet: str, actions: list[Action], header_row: int,
                col_of: dict[str, int], headers: dict[int, str], rows: list[list[object]],
                book: LoadedWorkbook | None) -> None:
    """Notes, merged Status cells and status fills of one tab's ``actions`` (just read from
    ``rows``; ``col_of``: field -> column; ``headers``: column -> its header)."""
    if not actions:
        return
    by_row = {a.origin.row - 1: a for a in actions if a.origin}
    xlsx = book is None or book.kind == "xlsx"
    if xlsx or book.kind == "ods":
        _notes(plan, file, sheet, by_row, header_row, col_of, headers, ods=not xlsx, book=book)
    _merged_cells(plan, file, sheet, by_row, col_of, headers, rows, book)
    c_status = col_of.get("status")
    if c_status is None:
        return
    blank = [r for r, a in by_row.items() if not a.status_text.strip()]
    if not blank:
        return
    merged = _merged_status(plan, file, sheet, by_row, blank, c_status, rows, book)
    left = [r for r in blank if r not in merged]
    if left and xlsx:
        fills = cell_fills(plan.path, sheet, [(r, c_status) for r in left])
        for (r, _), rgb in sorted(fills.items()):
            name = colour_name(rgb)
            cell = cell_ref(r, c_status)
            if name in _SUGGESTED:
                message = f"{cell} is filled {name} but has no status: choose {_SUGGESTED[name]}?"
            else:
                message = f"{cell} is filled (colour #{rgb}) but has no status: choose a status from the list"
            plan.report.add(Finding("status-by-colour", file, sheet, cell, f"#{rgb}", message,
                                    outcome="no status given (a colour is not a status)"))


def _notes(plan: Plan, file: str, sheet: str, by_row: dict[int, Action], header_row: int,
           col_of: dict[str, int], headers: dict[int, str], *, ods: bool = False,
           book: LoadedWorkbook | None = None) -> None:
    """Each cell note of the tab said or kept; ``book``: the workbook as read (its bytes, and what
    checking them found; else its file is read)."""
    if ods:
        notes = ods_notes(book.data or plan.path if book is not None else plan.path, sheet)
    else:
        if plan.notes_by_tab is None:
            damaged: list[tuple[str, str]] = []
            plan.notes_by_tab = workbook_notes(book.data or plan.path, book.look if book is not None else None,
                                               damaged) if book is not None else workbook_notes(plan.path, None, damaged)
            for tab, part in damaged:  # said once for the workbook, whichever tab is read first
                plan.report.add(Finding("notes-unreadable", file, tab, "", part,
                                        f"the notes on tab {tab!r} cannot be read (the part {part} is damaged): a "
                                        "progress update written in a note there is not here; ask the lead to type it "
                                        "in the cell", outcome="notes on that tab not read"))
        notes = plan.notes_by_tab.get(sheet, {})
    if not notes:
        return
    c_progress = col_of.get("progress")
    for (r, c), text in sorted(notes.items()):
        cell = cell_ref(r, c)
        action = by_row.get(r)
        if action is None:  # on the header or outside the table: still said, never lost
            plan.report.add(Finding("cell-note", file, sheet, cell, text[:400],
                                    f"{cell} holds a note, not on an action's row: {text[:200]!r}",
                                    outcome="listed here"))
            continue
        if c == c_progress and not action.progress.strip():
            action.progress = text
            plan.report.add(Finding("cell-note", file, sheet, cell, text[:400],
                                    f"the Progress update in {cell} is blank but the cell has a note: the note was "
                                    "read as the progress update (type it in the cell next time)",
                                    outcome="read as the Progress update"))
            continue
        where = headers.get(c, "")
        kept = f"{cell}{f' ({where})' if where else ''}: {text}"
        before = action.extras.get(NOTES_COLUMN)
        action.extras[NOTES_COLUMN] = f"{before}\n{kept}" if before else kept
        if NOTES_COLUMN not in plan.extra_columns:
            plan.extra_columns.append(NOTES_COLUMN)
        plan.report.add(Finding("cell-note", file, sheet, cell, text[:400],
                                f"{cell} has a note: kept in the {NOTES_COLUMN!r} column",
                                outcome=f"kept in the {NOTES_COLUMN!r} column"))


#: The fields a merged cell gives its text to, on every row it covers (a lead merging the
#: Objective or Partners repeated down their actions); Status has rules of its own (below).
_MERGED_TEXT = ("theme", "objective", "lead", "partners", "success_measure", "resources", "progress")


def _merge_ranges(sheet: str, book: LoadedWorkbook | None) -> list:
    """((first row, first column), (last row, last column)), 0-based, of each merged cell of the
    tab: as calamine finds them in an .xlsx, from its spans in an .ods's content."""
    if book is not None and book.kind == "ods":
        return [((c.row, c.col), (c.row + repeat(c.attrs.get("table:number-rows-spanned")) - 1,
                                  c.col + repeat(c.attrs.get("table:number-columns-spanned")) - 1))
                for c in table_cells(book.data or book.path, sheet, _spans)]
    parsed = book.parsed.get(sheet) if book is not None else None
    try:
        return (parsed.merged_cell_ranges if parsed is not None else None) or []
    except Exception:  # noqa: BLE001 - a reader that cannot tell merged cells: nothing merged
        return []


def _spans(attrs: dict[str, str]) -> bool:
    return repeat(attrs.get("table:number-rows-spanned")) > 1 or repeat(attrs.get("table:number-columns-spanned")) > 1


def _merged_cells(plan: Plan, file: str, sheet: str, by_row: dict[int, Action], col_of: dict[str, int],
                  headers: dict[int, str], rows: list[list[object]], book: LoadedWorkbook | None) -> None:
    """A cell merged down over several actions' rows shows its text on each of them, so each
    row takes it (a text field or the lead's own column) where it is blank, with a
    ``merged-cell`` finding; in a Ref, Action, Due or Last updated, the rows it covers are named."""
    ranges = [rng for rng in _merge_ranges(sheet, book) if rng[1][0] > rng[0][0]]
    if not ranges:
        return
    field_of = {c: f for f, c in col_of.items()}
    for (r0, c0), (r1, c1) in ranges:
        for c in range(c0, c1 + 1):
            fld = field_of.get(c, "")
            if fld == "status" or fld.startswith("shown:") or c not in headers:
                continue
            top = rows[r0][c] if r0 < len(rows) and c < len(rows[r0]) else ""
            text = as_text(top)
            if not text.strip():
                continue
            first, span = cell_ref(r0, c), f"{cell_ref(r0, c0)}:{cell_ref(r1, c1)}"
            for r in range(r0 + 1, r1 + 1):
                a = by_row.get(r)
                if a is None:
                    continue
                cell = cell_ref(r, c)
                if fld in _MERGED_TEXT:
                    if getattr(a, fld).strip():
                        continue
                    setattr(a, fld, text)
                elif fld.startswith("extra:"):
                    if a.extras.get(fld[6:]) not in (None, ""):
                        continue
                    a.extras[fld[6:]] = top
                else:  # Ref, Action, Due, Last updated: a person gives each row its own
                    plan.report.add(Finding("merged-cell", file, sheet, cell, text[:200],
                                            f"{cell} is merged with {first} ({span}), which shows {text[:80]!r}: "
                                            f"this row's {headers[c]} was read as blank; unmerge the cells and fill "
                                            "each row", outcome="read as blank"))
                    continue
                plan.report.add(Finding("merged-cell", file, sheet, cell, text[:200],
                                        f"{cell} is merged with {first} ({span}): read as {text[:80]!r}, what the "
                                        "merged cell shows", outcome=f"read as the merged cell's {headers[c]}"))


def _merged_status(plan: Plan, file: str, sheet: str, by_row: dict[int, Action], blank: list[int], c_status: int,
                   rows: list[list[object]], book: LoadedWorkbook | None) -> set[int]:
    """Rows whose blank Status lies in a merged range whose first cell has a word: given it."""
    ranges = _merge_ranges(sheet, book)
    done: set[int] = set()
    wanted = set(blank)
    for (r0, c0), (r1, c1) in ranges:
        if not (c0 <= c_status <= c1) or r1 <= r0:
            continue
        top = rows[r0][c_status] if r0 < len(rows) and c_status < len(rows[r0]) else ""
        word = as_text(top).strip()
        if not word:
            continue
        for r in range(r0 + 1, r1 + 1):
            if r in wanted and r in by_row:
                a = by_row[r]
                status = normalise_status(word)
                a.status, a.status_text = status, (status if status == word else word)
                done.add(r)
                cell, first = cell_ref(r, c_status), cell_ref(r0, c_status)
                plan.report.add(Finding("merged-status", file, sheet, cell, word,
                                        f"{cell} is merged with {first} ({first}:{cell_ref(r1, c1)}): read as "
                                        f"{word!r}, the status the merged cell shows; unmerge the cells and choose a "
                                        "status for each row", outcome=f"read as {word!r}"))
    return done
