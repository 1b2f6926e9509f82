"""Leads as a coordinator would list them: one name per body, spelling variants merged.

A legacy plan's Lead cell is free text: "· Strategic Lead 14-19\\n· Consortia", "14 -19
Consultant", "Connexions (P.I.T.M.)/Schools", "LA and Schools".  :func:`split_bodies` cuts a
cell into the bodies it names (line breaks, "/", ";", bullets; "and"/"&" only between two
bodies the plan names on their own elsewhere), never inside brackets, so a bracketed note stays
with its name.  :class:`LeadBook` merges names that are one lead by
:func:`planbook.core.leads.lead_key` (the rule every step uses: spaces, dashes, quotes, case,
"&"/"and", dots in initials) plus the aliases of a ``--leads`` file, and picks the spelling
shown: the one written most often.
"""
from __future__ import annotations

import csv
import io
import os
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from planbook.core.errors import PlanbookError
from planbook.core.leads import lead_key
from planbook.files.atomic import atomic_output
from planbook.legacy.csvfiles import read_two_columns

_BULLET = re.compile(r"^[\s\u00b7\u2022\-*\u2013\u2014>]+")
_SEPARATOR = re.compile(r"[\n\r/;\u00b7\u2022]")
_AND = re.compile(r"\s+(?:and|&)\s+|\s*&\s*", re.I)


def tidy_name(name: str) -> str:
    """A name as written, with runs of spaces closed up and bullets removed."""
    return re.sub(r"\s+", " ", _BULLET.sub("", name)).strip(" ,;:")


def _tidy_dashes(name: str) -> str:
    return re.sub(r"(?<=\d) ?[-\u2013] ?(?=\d)", "-", name)


def split_outside_brackets(text: str) -> list[str]:
    """Cut at line breaks, "/", ";" and bullets that are not inside brackets (one pass)."""
    if not any(b in text for b in "([{"):
        return [p for p in (tidy_name(x) for x in _SEPARATOR.split(text)) if p]
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth = max(0, depth - 1)
        elif depth == 0 and ch in "\n\r/;\u00b7\u2022":
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p for p in (tidy_name(x) for x in parts) if p]


def once(name: str) -> str:
    """A name typed (or pasted) several times over in one cell, written once: "LSC LSC LSC" is
    "LSC", "Post -16 Providers Post -16 Providers" is "Post -16 Providers" — the repeats compared
    by :func:`planbook.core.leads.lead_key`, so spacing, dashes and case do not hide one.  The
    first copy keeps its spelling."""
    key = lead_key(name).split(" ")
    n = len(key)
    for size in range(1, n // 2 + 1):
        if n % size or any(key[i:i + size] != key[:size] for i in range(size, n, size)):
            continue
        first, words = " ".join(key[:size]), name.split()
        for end in range(1, len(words)):
            if lead_key(" ".join(words[:end])) == first:
                return " ".join(words[:end])
    return name


def split_bodies(text: str, known: set[str] | None = None) -> list[str]:
    """The bodies a Lead cell names, in order, each once.  ``known`` holds :func:`lead_key` of
    names seen alone in other cells: "A and B" is cut only when both halves are such names.
    A name repeated in the cell ("LSC LSC LSC", "Schools / Schools") is one body."""
    out: list[str] = []
    seen: set[str] = set()
    for part in split_outside_brackets(text):
        part = once(part)
        pieces = [tidy_name(p) for p in _AND.split(part)] if known else [part]
        if len(pieces) > 1 and all(p and lead_key(p) in known for p in pieces):
            bodies = pieces
        else:
            bodies = [part]
        for body in bodies:
            if lead_key(body) not in seen:
                seen.add(lead_key(body))
                out.append(body)
    return out


class Aliases(dict):
    """{lead_key: lead} from a ``--leads`` file, with the file's name and each name's line."""

    def __init__(self, file: str = "") -> None:
        super().__init__()
        self.file = file
        self.lines: dict[str, tuple[int, str]] = {}  # lead_key -> (line, the name as the file has it)


def read_aliases(path: str | os.PathLike[str]) -> Aliases:
    """A ``--leads`` file: two columns, name as written -> lead to use.  {lead_key: lead}."""
    p = Path(path)
    rows = read_two_columns(p, "leads", "name as written, lead to use")
    aliases = Aliases(p.name)
    for n, row in enumerate(rows, start=1):
        cells = [c.strip() for c in row]
        cells = [c[1:] if c[:1] == "'" and c[1:2] in ("=", "+", "-", "@") else c for c in cells]
        if not any(cells):
            continue
        if n == 1 and cells[0].lower().startswith(("name", "as written", "lead as")):
            continue  # a header row
        if len(cells) < 2 or not cells[0] or not cells[1]:
            raise PlanbookError(f"{p.name} line {n}: a leads file has two columns, the name as written "
                                f"and the lead to use; got {row!r}")
        aliases[lead_key(cells[0])] = tidy_name(cells[1])
        aliases.lines[lead_key(cells[0])] = (n, cells[0])
    return aliases


@dataclass
class LeadRow:
    """One distinct lead name as written in the source, and where it went."""

    written: str
    actions: int
    lead: str
    tab: str = ""
    via: str = ""  # "" same name, "spelling" merged by the rules, "alias" by the --leads file

    def to_dict(self) -> dict[str, object]:
        return {"written": self.written, "actions": self.actions, "lead": self.lead, "tab": self.tab, "via": self.via}


class LeadBook:
    """Collects the lead names of a plan and decides the one name each is listed under."""

    def __init__(self, aliases: dict[str, str] | None = None) -> None:
        self.aliases = dict(aliases or {})
        self.written: Counter[str] = Counter()  # lead name as written (tidied) -> actions it leads
        self._order: list[str] = []

    def add(self, name: str) -> None:
        if name not in self.written:
            self._order.append(name)
        self.written[name] += 1

    def _group_key(self, name: str) -> tuple[str, bool]:
        key = lead_key(name)
        if key in self.aliases:
            return lead_key(self.aliases[key]), True
        return key, False

    def resolve(self) -> dict[str, str]:
        """Name as written -> the lead it is listed under."""
        groups: dict[str, list[str]] = {}
        for name in self._order:
            groups.setdefault(self._group_key(name)[0], []).append(name)
        chosen: dict[str, str] = {}
        for key, names in groups.items():
            alias_target = next((self.aliases[lead_key(n)] for n in names if lead_key(n) in self.aliases), None)
            if alias_target is not None:
                best = alias_target
            else:  # the spelling most actions use; on a tie the tidiest ("14-19", not "14 -19"), then the first met
                best = max(names, key=lambda n: (self.written[n], _tidy_dashes(n) == n, -names.index(n)))
            for name in names:
                chosen[name] = best
        return chosen

    def rows(self, tabs: dict[str, str]) -> list[LeadRow]:
        """Every distinct name as written, its action count, lead and tab (``tabs``: tab -> lead)."""
        tab_of = {lead: tab for tab, lead in tabs.items()}
        chosen = self.resolve()
        out = []
        for name in self._order:
            lead = chosen[name]
            via = "" if name == lead else ("alias" if self._group_key(name)[1] else "spelling")
            out.append(LeadRow(name, self.written[name], lead, tab_of.get(lead, ""), via))
        return out


def write_leads_csv(path: str | os.PathLike[str], rows: list[LeadRow]) -> None:
    """The ``--leads`` file to edit: every name as written and the lead it went to."""

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(["Name as written", "Lead to use", "Actions", "Tab"])
    for row in rows:
        w.writerow([_csv_safe(row.written), _csv_safe(row.lead), row.actions, _csv_safe(row.tab)])
    with atomic_output(path, overwrite=True) as tmp:
        Path(tmp).write_text(buf.getvalue(), encoding="utf-8-sig")


def _csv_safe(text: str) -> str:
    """A name opened in Excel is data, never a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
