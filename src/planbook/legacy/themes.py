"""``import --themes FILE``: the short names a plan's themes go by.

Imported plans often use whole section headings as themes ("Be healthy: physical, mental and
sexual health, and a healthy lifestyle").  A themes file has two columns, the heading as written
and the theme to use; the import uses the short name everywhere and keeps the full heading with
it (on the Lists sheet, and in the plan's metadata).  A line that matches no heading is a
warning, as for ``--leads``.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from planbook.core.columns import header_key
from planbook.core.errors import PlanbookError
from planbook.core.findings import Finding
from planbook.core.text import clean_text
from planbook.legacy.csvfiles import read_two_columns


@dataclass
class ThemeNames:
    """Heading (folded) -> short theme name, with each line's number and text for findings."""

    file: str
    names: dict[str, str] = field(default_factory=dict)
    lines: dict[str, tuple[int, str]] = field(default_factory=dict)

    def short(self, heading: str) -> str | None:
        return self.names.get(header_key(heading))


def read_theme_names(path: str | os.PathLike[str]) -> ThemeNames:
    """A ``--themes`` file: heading as written, theme to use (a header row is skipped)."""
    p = Path(path)
    rows = read_two_columns(p, "themes", "heading as written, theme to use")
    out = ThemeNames(p.name)
    for n, row in enumerate(rows, start=1):
        cells = [clean_text(c).strip() for c in row]
        if not any(cells):
            continue
        if n == 1 and cells[0].lower().startswith(("heading", "as written", "theme as", "section")):
            continue
        if len(cells) < 2 or not cells[0] or not cells[1]:
            raise PlanbookError(f"{p.name} line {n}: a themes file has two columns, the heading as written and the "
                                f"theme to use; got {row!r}")
        out.names[header_key(cells[0])] = " ".join(cells[1].split())
        out.lines[header_key(cells[0])] = (n, cells[0])
    return out


def unused_lines(names: ThemeNames, headings: list[str]) -> list[Finding]:
    """A warning for each line of the file that names no heading the source has."""
    seen = {header_key(h) for h in headings}
    return [Finding("theme-alias-unused", names.file, "", f"line {line}", text[:200],
                    f"{names.file} line {line}: no theme heading in the source is written {text!r}, so this line was "
                    "not used (check its spelling against the source)", outcome="ignored")
            for k, (line, text) in names.lines.items() if k not in seen]
