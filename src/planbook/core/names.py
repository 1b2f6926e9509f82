"""Safe names: Excel sheet names and file names made from people's names."""
from __future__ import annotations

import re

from planbook.core.layout import GUIDE, LISTS, META, RETIRED

_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f\ufffe\uffff\ud800-\udfff]+")  # never in a sheet or file name
_RESERVED_SHEETS = {GUIDE.lower(), LISTS.lower(), "history", RETIRED.lower(), META.lower()}
_WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))}


def sheet_name(name: str, taken: set[str]) -> str:
    """An Excel-legal, unique (case-insensitively) sheet name for ``name``; adds it to ``taken``."""
    base = _SHEET_BAD.sub("-", _UNPRINTABLE.sub(" ", name)).strip().strip("'") or "Lead"
    if base.lower() in _RESERVED_SHEETS:
        base = f"{base} (lead)"
    candidate, n = _cut_at_word(base, 31), 2
    while candidate.lower() in taken:
        suffix = f" ({n})"
        candidate, n = _cut_at_word(base, 31 - len(suffix)) + suffix, n + 1
    taken.add(candidate.lower())
    return candidate


def _cut_at_word(text: str, limit: int) -> str:
    """``text`` shortened to ``limit`` characters at a word boundary (mid-word only for one long word)."""
    if len(text) <= limit:
        return text
    cut = text[: limit + 1].rstrip()
    space = cut.rfind(" ", 0, limit + 1) if len(cut) > limit else len(cut)
    if space >= limit // 2:
        cut = cut[:space]
        words = cut.split(" ")
        while len(words) > 1 and words[-1].lower() in _DANGLING:
            words.pop()  # "Manager, Communications and" reads as cut: end on a name word
        cut = " ".join(words)
    return cut[:limit].rstrip(" -,&(").strip().strip("'") or text[:limit]


_DANGLING = {"and", "&", "of", "the", "for", "with", "to", "in", "-", "–", "or", "a", "by", "led", "on", "at"}


def file_stem(name: str, taken: set[str]) -> str:
    """A file-name stem safe on Windows, macOS and Linux, unique (case-insensitively)."""
    base = re.sub(r"[^\w\- .,&()]+", "-", _UNPRINTABLE.sub(" ", name), flags=re.UNICODE)
    base = re.sub(r"\.{2,}", ".", base).strip(" .-") or "lead"
    if base.split(".")[0].lower() in _WINDOWS_RESERVED:
        base = f"_{base}"
    candidate, n = base[:80], 2
    while candidate.lower() in taken:
        candidate, n = f"{base[:76]}-{n}", n + 1
    taken.add(candidate.lower())
    return candidate


def col_letter(index: int) -> str:
    """0-based column index -> Excel letters (0 -> A, 27 -> AB)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def col_number(letters: str | bytes) -> int:
    """Excel letters -> 1-based column number (A -> 1, XFD -> 16384; any case)."""
    n = 0
    for ch in letters.upper() if isinstance(letters, str) else letters.upper().decode("ascii"):
        n = n * 26 + ord(ch) - 64
    return n


def cell_ref(row: int, col: int) -> str:
    """0-based (row, col) -> "J7"."""
    return f"{col_letter(col)}{row + 1}"
