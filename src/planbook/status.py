"""The five statuses, their colours, and every word real plans use for them."""
from __future__ import annotations

import functools
import re

COMPLETE = "Complete"
ON_TRACK = "On track"
SLIPPAGE = "Slippage"
OFF_TRACK = "Off track"
NOT_STARTED = "Not started"

#: Statuses in report order.
STATUSES: tuple[str, ...] = (COMPLETE, ON_TRACK, SLIPPAGE, OFF_TRACK, NOT_STARTED)

#: Status -> (colour name, fill hex, font hex).  The word is always in the cell too:
#: colour only reinforces it (accessibility rule in DESIGN.md).
COLOURS: dict[str, tuple[str, str, str]] = {
    COMPLETE: ("Blue", "#9BC2E6", "#000000"),
    ON_TRACK: ("Green", "#A9D08E", "#000000"),
    SLIPPAGE: ("Amber", "#FFD966", "#000000"),
    OFF_TRACK: ("Red", "#FF7C80", "#000000"),
    NOT_STARTED: ("Grey", "#D9D9D9", "#000000"),
}

#: Statuses that count as finished (not overdue, not an exception).
FINISHED = frozenset({COMPLETE})

_SYNONYMS: dict[str, tuple[str, ...]] = {
    COMPLETE: ("complete", "completed", "achieved", "done", "blue"),
    ON_TRACK: ("on track", "green", "on target", "ongoing", "in progress", "☺", "😊",
               "achieved/on target", "on-going"),
    SLIPPAGE: ("slippage", "amber", "delayed", "some slippage", "☹", "🙁", "slipping",
               "slippage within timescale"),
    OFF_TRACK: ("off track", "red", "unlikely to be achieved", "weak performance", "at risk",
                "off target", "off-track"),
    NOT_STARTED: ("not started", "not yet started", "grey", "gray"),
}

_LOOKUP: dict[str, str] = {word: status for status, words in _SYNONYMS.items() for word in words}


def _key(text: str) -> str:
    text = re.sub(r"\s+", " ", text.strip().lower())
    return text.strip(" .!;:-")


@functools.lru_cache(maxsize=2048)
def _normalise_text(text: str) -> str | None:
    key = _key(text)
    if not key:
        return NOT_STARTED
    if key in _LOOKUP:
        return _LOOKUP[key]
    words = key.split(" ")
    half = len(words) // 2
    if len(words) % 2 == 0 and words[:half] == words[half:]:
        return _LOOKUP.get(" ".join(words[:half]))
    return None


def normalise_status(value: object) -> str | None:
    """Return the standard status for ``value``, ``NOT_STARTED`` for blank, ``None`` if unknown.

    Matching ignores case, spacing and trailing punctuation, understands the symbols
    ☺ 😊 ☹, and a word typed twice ("Complete Complete", a common copy-paste slip).
    """
    if value is None:
        return NOT_STARTED
    return _normalise_text(str(value))


def split_status_prefix(text: str) -> tuple[str | None, str]:
    """Split text such as "☺ Achieved – new protocol agreed" into (status, rest).

    Used by import, where a single Progress column holds a status word then commentary.
    Returns ``(None, text)`` when the text does not start with a status word or symbol.
    """
    stripped = text.strip()
    lowered = stripped.lower()
    for word in sorted(_LOOKUP, key=len, reverse=True):
        if lowered.startswith(word):
            rest = stripped[len(word):]
            if rest and word.isalpha() and rest[0].isalnum():
                continue  # "Done" must not match "Doncaster"
            return _LOOKUP[word], rest.strip(" \t\n-–—:;,.")
    return None, stripped
