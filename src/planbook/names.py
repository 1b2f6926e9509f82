"""Safe names: Excel sheet names and file names made from people's names."""
from __future__ import annotations

import re

_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f\ufffe\uffff\ud800-\udfff]+")  # never in a sheet or file name
_RESERVED_SHEETS = {"guide", "lists", "history", "_planbook"}
_WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))}


def sheet_name(name: str, taken: set[str]) -> str:
    """An Excel-legal, unique (case-insensitively) sheet name for ``name``; adds it to ``taken``."""
    base = _SHEET_BAD.sub("-", _UNPRINTABLE.sub(" ", name)).strip().strip("'") or "Lead"
    if base.lower() in _RESERVED_SHEETS:
        base = f"{base} (lead)"
    candidate, n = base[:31], 2
    while candidate.lower() in taken:
        suffix = f" ({n})"
        candidate, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(candidate.lower())
    return candidate


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
