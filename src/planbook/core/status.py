"""The five statuses, their colours, and every word real plans use for them."""
from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

COMPLETE = "Complete"
ON_TRACK = "On track"
SLIPPAGE = "Slippage"
OFF_TRACK = "Off track"
NOT_STARTED = "Not started"
#: A blank Status cell: the lead said nothing (not the same as "Not started", which they chose).
NO_STATUS = "No status given"
#: The count line for a Status cell holding a word planbook does not know (kept as typed).
NOT_RECOGNISED = "Status not recognised"

#: Statuses in report order.
STATUSES: tuple[str, ...] = (COMPLETE, ON_TRACK, SLIPPAGE, OFF_TRACK, NOT_STARTED)
#: Every line of a count of actions by status, in order: the five statuses, then no status
#: given, then not recognised.  Every action is on exactly one line, so the lines sum to the total.
COUNT_LINES: tuple[str, ...] = (*STATUSES, NO_STATUS, NOT_RECOGNISED)

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
    COMPLETE: ("complete", "completed", "achieved", "done", "blue", "finished", "✓", "✔", "☑", "✅",
               "fully achieved", "fully completed"),
    ON_TRACK: ("on track", "green", "on target", "ongoing", "in progress", "☺", "😊",
               "achieved/on target", "on-going", "on schedule", "ahead of schedule", "on course",
               "progressing well", "on track to be achieved"),
    SLIPPAGE: ("slippage", "amber", "delayed", "some slippage", "☹", "🙁", "slipping",
               "slippage within timescale", "behind schedule", "minor slippage", "slight slippage",
               "some delay"),
    OFF_TRACK: ("off track", "red", "unlikely to be achieved", "weak performance", "at risk",
                "off target", "off-track", "not on track", "significant slippage", "major slippage",
                "serious slippage"),
    NOT_STARTED: ("not started", "not yet started", "grey", "gray", "not yet begun", "yet to start",
                  "not commenced", "not yet commenced"),
    NO_STATUS: ("no status given",),  # as the consolidated workbook writes a blank one
}

_LOOKUP: dict[str, str] = {word: status for status, words in _SYNONYMS.items() for word in words}

#: Council shorthand: a cell holding only the first letter of a RAG (or BRAG) colour.  A lone
#: "A" is read as Amber (the RAG convention), never as "Achieved".  Whole cells only: "A" leading
#: a sentence is an article.
LETTERS: dict[str, tuple[str, str]] = {
    "g": (ON_TRACK, "G for Green"),
    "a": (SLIPPAGE, "A for Amber, the RAG convention; write Complete if Achieved was meant"),
    "r": (OFF_TRACK, "R for Red"),
    "b": (COMPLETE, "B for Blue, as BRAG ratings use it"),
}
#: How a status was read from a cell that does not hold the status's own word.
LETTER, SYMBOL, PHRASE = "letter", "symbol", "phrase"
#: "RAG: Amber", "RAG status - Green", "Status: Complete": a label before the status.
_LABEL = re.compile(r"^(?:b?rag(?:\s+(?:status|rating))?|status|progress)\s*[:=\-–]\s*|^b?rag\s+(?=\S)")
#: Ticks around a status word ("Complete ✓").
_TICKS = "✓✔☑✅"


def _key(text: str) -> str:
    text = re.sub(r"\s+", " ", text.strip().lower())
    return text.strip(" .!;:-")


def _lookup(key: str) -> str | None:
    if key in _LOOKUP:
        return _LOOKUP[key]
    if key in LETTERS:
        return LETTERS[key][0]
    words = key.split(" ")
    half = len(words) // 2
    if len(words) % 2 == 0 and words[:half] == words[half:]:
        return _LOOKUP.get(" ".join(words[:half]))
    return None


@functools.lru_cache(maxsize=2048)
def _normalise_text(text: str) -> str | None:
    key = _key(text)
    if not key:
        return NO_STATUS
    found = _lookup(key)
    if found is None and (unlabelled := _key(_LABEL.sub("", key))) != key and unlabelled:
        found = _lookup(unlabelled)
    if found is None and (untick := _key(key.strip(_TICKS))) != key and untick:
        found = _lookup(untick) or _lookup(_key(_LABEL.sub("", untick)))
    return found


def how_read(text: str, status: str | None) -> str | None:
    """How ``status`` was read from ``text`` (a Status cell, or the status word leading one):
    ``None`` when the text is the status's own word (any case or spacing) or when there is no
    status; else :data:`LETTER` (G/A/R/B), :data:`SYMBOL` (☺ ☹ ✓, or a word with a tick) or
    :data:`PHRASE` (any other word: "Green", "RAG: Amber", "In progress").  Every cell read
    other than from the word itself is noted where it is read, so no reading is silent."""
    if status is None or status == NO_STATUS:
        return None
    key = _key(text)
    if key == status.casefold():
        return None
    bare = _key(_LABEL.sub("", key))
    if bare in LETTERS:
        return LETTER
    if not any(ch.isalpha() for ch in key) or any(ch in key for ch in _TICKS):
        return SYMBOL
    return PHRASE


def reading_note(text: str, status: str, how: str) -> str:
    """The words of the note saying how a cell was read: "'G' read as On track (G for Green)"."""
    note = f"{text.strip()[:60]!r} read as {status}"
    if how == LETTER:
        note += f" ({LETTERS[_key(_LABEL.sub('', _key(text)))][1]})"
    return note


def normalise_status(value: object) -> str | None:
    """Return the standard status for ``value``, ``NO_STATUS`` for blank, ``None`` if unknown.

    Matching ignores case, spacing and trailing punctuation, understands the symbols
    ☺ 😊 ☹ ✓, council shorthand (a lone G, A, R or B: see :data:`LETTERS`), a label before the
    word ("RAG: Amber"), a tick after it ("Complete ✓"), and a word typed twice ("Complete
    Complete", a common copy-paste slip).  :func:`how_read` says which of these a cell used.
    """
    if value is None:
        return NO_STATUS
    return _normalise_text(str(value))


def count_line(status: str | None) -> str:
    """The line of :data:`COUNT_LINES` an action with this (normalised) status is counted on."""
    return status if status in _LINES else NOT_RECOGNISED


_LINES = frozenset(COUNT_LINES) - {NOT_RECOGNISED}
_WRITTEN = {line.casefold(): line for line in _LINES}


def count_line_of_text(text: str) -> str:
    """The line of :data:`COUNT_LINES` a Status cell of the consolidated workbook counts on, as
    its Summary's formulas count it: a standard status or "No status given" as written there (any
    case, spaces around ignored), any other text "Status not recognised"; a blank (which planbook
    never writes there) means no status, as everywhere else.

    The report, the email, chasing and the read-back view all count the workbook's Status
    column with this one function, so they say what the workbook says."""
    key = text.strip().casefold()
    return _WRITTEN.get(key, NOT_RECOGNISED) if key else NO_STATUS


def status_as_listed(text: str) -> str:
    """A Status cell's text as a list of actions shows it (the report, the email): a word
    planbook does not count marked as such ("on trak (status not recognised)"), never passed
    off as a status."""
    text = " ".join(text.split())
    return f"{text} ({NOT_RECOGNISED.lower()})" if count_line_of_text(text) == NOT_RECOGNISED else text


def tally(statuses: Iterable[str | None]) -> Counter:
    """Actions counted by line of :data:`COUNT_LINES` from their normalised statuses (``None``:
    not recognised).  The counts sum to the number of statuses given."""
    counts = Counter(statuses)
    out: Counter = Counter()
    for status, n in counts.items():
        out[count_line(status)] += n
    return out


def tally_text(texts: Iterable[str]) -> Counter:
    """Actions counted by line of :data:`COUNT_LINES` from the consolidated workbook's Status
    texts (see :func:`count_line_of_text`)."""
    counts = Counter(texts)
    out: Counter = Counter()
    for text, n in counts.items():
        out[count_line_of_text(text)] += n
    return out


def percentages(counts: Mapping[str, int], lines: Sequence[str] = COUNT_LINES) -> dict[str, int]:
    """Whole percentages of ``counts`` for each of ``lines`` that sum to exactly 100 (largest
    remainder: each line gets its rounded-down share, then the lines with the largest
    remainders one point each; ties go to the earlier line).  All zero when the total is 0.
    Whole-number arithmetic, as the Summary sheet's formulas do, so the two always agree."""
    total = sum(counts.get(line, 0) for line in lines)
    if not total:
        return {line: 0 for line in lines}
    parts = {line: divmod(100 * counts.get(line, 0), total) for line in lines}
    out = {line: q for line, (q, _) in parts.items()}
    short = 100 - sum(out.values())
    for line in sorted(lines, key=lambda ln: -parts[ln][1])[:short]:
        out[line] += 1
    return out


def describe_counts(counts: Mapping[str, int], sep: str = " ") -> str:
    """"Complete 62 (51%), On track 37 (30%), …" over every line of :data:`COUNT_LINES` (the
    two that are not statuses only when they have actions), percentages summing to 100."""
    shares = percentages(counts)
    return ", ".join(f"{line}{sep}{counts.get(line, 0)} ({shares[line]}%)" for line in COUNT_LINES
                     if line in STATUSES or counts.get(line, 0))


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
