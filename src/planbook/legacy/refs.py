"""Refs for imported actions: the source's own numbers wherever they are, generated ones otherwise.

A legacy plan numbers its actions in a Ref column, in a column with no heading (found by its
content: most cells look like ``1``, ``1.1``, ``2.3a``), or at the start of the action text; or
not at all.  :class:`RefMaker` hands out the Refs the source does not give — ``section.n`` for a
new action, the parent's Ref plus a letter for a continuation row — never one the plan already
uses.
"""
from __future__ import annotations

import re

from planbook.core.names import col_letter
from planbook.core.refs import next_free_ref

_NUMBER = re.compile(r"\d{1,3}(?:\.\d{1,3}){0,4}[a-z]?", re.I)
_REF_IN_TEXT = re.compile(r"\s*(\d{1,3}(?:\.\d{1,3}){0,4}[a-z]?)[.)]?\s+(?=\S)", re.I)
_LEADING_NUMBER = re.compile(r"\s*(?:section\s+|objective\s+|priority\s+|aim\s+|theme\s+)?(\d{1,3})[.):]?(?:\s|$)", re.I)


def as_number(text: str) -> str | None:
    """``"1.1"``, ``" 2.3a. "``, ``"4)"`` -> the number; anything else -> None."""
    s = text.strip().rstrip(".)").strip()
    if len(s) > 24:
        return None
    m = _NUMBER.fullmatch(s)
    return m.group(0) if m else None


def number_in_text(text: str) -> tuple[str, str] | None:
    """(number, rest) when ``text`` starts with a number then words: "6.2 Audit …"."""
    m = _REF_IN_TEXT.match(text)
    if not m:
        return None
    return m.group(1), text[m.end():].strip()


def leading_section_number(text: str) -> str | None:
    """The whole number leading a heading or objective: "1. Evaluate …", "Section 3: …" -> "1", "3"."""
    m = _LEADING_NUMBER.match(text)
    return m.group(1) if m else None


def depth(number: str) -> int:
    """How deep a number is: 1 -> 1, 1.1 -> 2, 1.1a -> 2.5 (a sub-item of 1.1)."""
    return number.count(".") + 1 + (0.5 if number[-1:].isalpha() else 0)


def is_number_column(values: list[str]) -> bool:
    """True when most non-empty cells of a column are numbers like 1, 1.1, 2.3a."""
    filled = [v for v in values if v.strip()]
    if len(filled) < 2 and not (filled and as_number(filled[0])):
        return False
    return sum(1 for v in filled if as_number(v)) >= 0.7 * len(filled)


def _letters(n: int) -> str:
    """0 -> a, 25 -> z, 26 -> aa."""
    return col_letter(n).lower()


class RefMaker:
    """Generates Refs that no other action of the plan uses."""

    def __init__(self, taken: set[str]) -> None:
        self.taken = {t.lower() for t in taken}
        self._subs: dict[str, int] = {}
        self._seq: dict[str, int] = {}

    def _claim(self, ref: str) -> bool:
        if ref.lower() in self.taken:
            return False
        self.taken.add(ref.lower())
        return True

    def seen(self, ref: str) -> None:
        """Note a Ref the source gave, so generated numbers in its section continue after it."""
        section, _, last = ref.rpartition(".")
        if last.isdigit():
            self._seq[section] = max(self._seq.get(section, 0), int(last))

    def sub(self, parent: str) -> str:
        """The next sub-Ref of ``parent``: 1.1 -> 1.1a, 1.1b …; 2.3a -> 2.3a.1, 2.3a.2 …"""
        while True:
            n = self._subs.get(parent.lower(), 0)
            self._subs[parent.lower()] = n + 1
            ref = f"{parent}{_letters(n)}" if parent[-1:].isdigit() else f"{parent}.{n + 1}"
            if self._claim(ref):
                return ref

    def next_in(self, section: str, position: int | None = None) -> str:
        """``section.n`` (or ``n`` with no section) for the next action of a section."""
        prefix = f"{section}." if section else ""
        ref = next_free_ref(prefix, self.taken, max(self._seq.get(section, 0) + 1, position or 0))
        self._seq[section] = int(ref[len(prefix):])
        self._claim(ref)
        return ref
