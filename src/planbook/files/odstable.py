"""The cells of one table of an .ods that calamine reads as values only, found in its
content.xml: what a reader of values cannot tell (a cell showing an error, a formula never
calculated, a cell merged over others, a note on a cell).

Cells are placed as calamine places them: a row or cell standing for many
(``table:number-rows-repeated``, ``table:number-columns-repeated``) counts as many, a covered
cell (under a merged one) takes its place.  Parsed with expat, never expanding an entity; a part
that cannot be read gives nothing (the values were read already).
"""
from __future__ import annotations

import io
import os
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from planbook.files.sheetgrid import parse_guarded

#: The largest content.xml looked at (inflated).
_MAX_PART = 512 * 1024 * 1024


@dataclass(frozen=True)
class OdsCell:
    """A cell of the table: its place (0-based), how many rows and columns it stands for, its
    attributes, its text (a note's left out) and its note's text (paragraphs a line each)."""

    row: int
    col: int
    rows: int
    cols: int
    attrs: dict[str, str]
    text: str
    note: str = ""


def table_cells(source: str | os.PathLike[str] | bytes, sheet: str,
                wanted: Callable[[dict[str, str]], bool], *, noted: bool = False) -> list[OdsCell]:
    """The cells of table ``sheet`` whose attributes ``wanted`` says yes to, and (``noted``) the
    cells with a note ([] if the file or its content cannot be read)."""
    try:
        with zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source) as zf:
            name = next((n for n in zf.namelist() if n.lower() == "content.xml"), None)
            if name is None or zf.getinfo(name).file_size > _MAX_PART:
                return []
            xml = zf.read(name)
    except (KeyError, zipfile.BadZipFile, OSError, ValueError, RuntimeError, NotImplementedError, EOFError,
            zlib.error):
        return []
    walker = _Walker(sheet, wanted, noted)
    try:
        parse_guarded([xml], walker)
    except ValueError:  # not well-formed, or a DTD: what was found before stands
        pass
    return walker.found


def repeat(value: str | None, least: int = 1) -> int:
    """A repeat or span count as calamine takes it (1 for one it cannot read; a repeat of 0, which
    calamine counts as no cell, with ``least=0``)."""
    try:
        return min(max(int(value), least), 1 << 20) if value else 1
    except ValueError:
        return 1


class _Walker:
    """expat handlers: one table's cells, in place (see :func:`table_cells`)."""

    def __init__(self, sheet: str, wanted: Callable[[dict[str, str]], bool], noted: bool) -> None:
        self.sheet, self.wanted, self.noted, self.found = sheet, wanted, noted, []
        self.in_table, self.row, self.col, self.rows = False, 0, 0, 1
        self.cell: tuple[int, int, dict[str, str], bool] | None = None  # (column, repeat, attrs, wanted)
        self.depth, self.note_depth, self.in_p, self.said, self.note = 0, 0, 0, [], []

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if self.cell is not None:
            self.depth += 1
            if name == "office:annotation" and not self.note_depth:
                self.note_depth = self.depth
            elif self.note_depth and name == "text:p":  # a note's paragraphs (not its author or date)
                if self.note:
                    self.note.append("\n")
                self.in_p += 1
            return
        if name == "table:table":
            self.in_table, self.row = attrs.get("table:name") == self.sheet, 0
        elif name == "table:table-row" and self.in_table:
            self.col, self.rows = 0, repeat(attrs.get("table:number-rows-repeated"), least=0)
        elif name in ("table:table-cell", "table:covered-table-cell") and self.in_table:
            self.cell = (self.col, repeat(attrs.get("table:number-columns-repeated"), least=0), attrs,
                         self.wanted(attrs))
            self.depth, self.note_depth, self.in_p, self.said, self.note = 0, 0, 0, [], []

    def end(self, name: str) -> None:
        if self.cell is not None and self.depth:
            if self.note_depth and name == "text:p" and self.in_p:
                self.in_p -= 1
            if self.depth == self.note_depth:
                self.note_depth = 0
            self.depth -= 1
            return
        if self.cell is not None:
            first, cols, attrs, wanted = self.cell
            note = "".join(self.note).strip()
            if wanted or (self.noted and note):
                self.found.append(OdsCell(self.row, first, self.rows, cols, attrs, "".join(self.said).strip(), note))
            self.col, self.cell = first + cols, None
        elif name == "table:table-row" and self.in_table:
            self.row += self.rows

    def text(self, data: str) -> None:
        if self.cell is not None and self.depth:
            if not self.note_depth:
                self.said.append(data)
            elif self.in_p:
                self.note.append(data)
