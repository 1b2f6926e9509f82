"""Excel's own limits, kept in what planbook writes: a cell holds at most 32,767 characters, a
formula 8,192, and a text written in a formula 255 (:func:`formula_text`).

A text longer than that (pasted from a long Word document, or imported) is cut to fit its
cell with a note saying so, and the rest is kept as a finding on ``Data issues`` — never lost.
That is decided before anything is written (:func:`fit_long_cells`), so a writer never meets
a text it cannot write.  Also: labels broken into lines at word boundaries (chart categories).
"""
from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from planbook.core.findings import Finding, Report
from planbook.core.layout import ALL_ACTIONS, DATA_ISSUES
from planbook.core.model import Action

#: The most characters an Excel cell holds.
MAX_CELL = 32_767
#: Excel's longest formula, and longest text written in a formula (a "…" literal).
MAX_FORMULA, MAX_LITERAL = 8192, 255
_FIELDS = (("Ref", "ref"), ("Theme", "theme"), ("Objective", "objective"), ("Action", "action"),
           ("Lead", "lead"), ("Partners", "partners"), ("Success measure", "success_measure"),
           ("Resources", "resources"), ("Status", "status_text"), ("Progress update", "progress"),
           ("Note", "note"))


def _note(rest: int) -> str:
    return f" … [cut: {rest:,} more characters, kept on {DATA_ISSUES}]"


def fit_long_cells(actions: Sequence[Action], report: Report) -> int:
    """Cut every text of ``actions`` longer than a cell to fit, in place — each column of the
    consolidated workbook's rows that holds an action's text: the standard ones, Due, the Note
    and the extra columns — adding a ``cell-too-long`` finding with the cell's row that holds
    the rest.  Returns how many texts were cut."""
    cut = 0
    limit = MAX_CELL
    for a in actions:
        # One test for the usual case (run for every action of a run: kept lean): all its texts
        # together fit one cell, so each does.
        if (len(a.progress) + len(a.action) + len(a.objective) + len(a.success_measure) + len(a.partners)
                + len(a.resources) + len(a.theme) + len(a.lead) + len(a.ref) + len(a.status_text)
                + len(a.due.text) + len(a.note) <= limit and not a.extras):
            continue
        for header, attr in _FIELDS:
            text = getattr(a, attr)
            if len(text) > limit:
                setattr(a, attr, _cut(a, header, text, report))
                cut += 1
        if len(a.due.text) > limit:
            a.due = dataclasses.replace(a.due, text=_cut(a, "Due", a.due.text, report))
            cut += 1
        for key, value in list(a.extras.items()):
            if isinstance(value, str) and len(value) > limit:
                a.extras[key] = _cut(a, str(key), value, report)
                cut += 1
    return cut


def cut_to_fit(text: str) -> tuple[str, str]:
    """(what a cell shows, the rest) of a text longer than a cell holds: its first characters,
    ending in a note of how many more there are and where they are kept.  The one way planbook
    cuts a text, whether on reading a cell or before writing one; the rest goes in a finding."""
    keep = MAX_CELL - len(_note(len(text)))
    rest = text[keep:]
    return text[:keep] + _note(len(rest)), rest


def _cut(a: Action, header: str, text: str, report: Report) -> str:
    shown, rest = cut_to_fit(text)
    o = a.origin
    report.add(Finding(
        "cell-too-long", o.file if o else "", o.sheet if o else "", f"row {o.row}" if o else "", rest,
        f"{header} of {a.ref or 'an action'} has {len(text):,} characters, more than an Excel cell holds "
        f"({MAX_CELL:,}): {ALL_ACTIONS} shows the first {len(text) - len(rest):,}; the rest is the value here",
        outcome="cut to fit the cell; the rest kept here"))
    return shown


def label_lines(text: str, width: int, max_lines: int) -> str:
    """``text`` broken into lines of at most ``width`` characters at word boundaries, at most
    ``max_lines`` of them; what does not fit ends in "…" after a whole word."""
    words = text.split()
    lines: list[str] = []
    line = ""
    for i, word in enumerate(words):
        candidate = f"{line} {word}" if line else word
        if len(candidate) <= width or not line:
            line = candidate
            continue
        lines.append(line)
        line = word
        if len(lines) == max_lines:
            break
    else:
        if line:
            lines.append(line)
        return "\n".join(_fit(x, width) for x in lines)
    last = lines[-1]
    lines[-1] = (last if len(last) + 1 <= width else last.rsplit(" ", 1)[0] if " " in last else last[:width - 1]) + "…"
    return "\n".join(_fit(x, width) for x in lines)


def _fit(line: str, width: int) -> str:
    """A single word longer than a line is cut with "…" (nothing else breaks a word)."""
    return line if len(line) <= width else line[:width - 1] + "…"


def _literal_length(text: str) -> int:
    """A text's length as a formula literal, counted the way that never undercounts: in UTF-16
    units (as Excel counts), a quote twice (as it is written)."""
    return len(text.encode("utf-16-le")) // 2 + text.count('"')


def literal_fits(text: str) -> bool:
    """Can ``text`` be written as one literal in a formula (at most :data:`MAX_LITERAL`)?"""
    return len(text) * 2 <= MAX_LITERAL or _literal_length(text) <= MAX_LITERAL


def formula_text(text: str) -> str:
    """``text`` as a formula expression: one "quoted" literal (a quote doubled), or, for a text
    longer than a literal holds, literals of at most :data:`MAX_LITERAL` joined by ``&``, so a
    formula holding it is never refused.  The one place planbook writes a text into a formula."""
    pieces, start, size = [], 0, 0
    for i, ch in enumerate(text):
        units = (2 if ord(ch) > 0xFFFF else 1) + (ch == '"')
        if size + units > MAX_LITERAL:
            pieces.append(text[start:i])
            start, size = i, 0
        size += units
    pieces.append(text[start:])
    return "&".join('"' + piece.replace('"', '""') + '"' for piece in pieces)
