"""Text that XML (so Excel and Word) cannot hold, and cells longer than Excel allows.

Control characters (U+0000–U+001F but tab, LF and CR), U+FFFE/U+FFFF and lone surrogates
cannot appear in an XML file: a part holding one is refused by Excel, Word and every strict
parser.  They arrive by pasting — Word's manual line break is U+000B — and through files made
by other tools.  Planbook cleans them where text comes in (readers, import, command-line
arguments, the library's own inputs), reports each once with its cell, and its writers clean
again as a last line of defence.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

from planbook.core.limits import MAX_CELL, cut_to_fit

BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
#: The control characters (as bytes) of :data:`BAD` in ASCII text: a quick check of ASCII text
#: is ``len(text.encode("ascii").translate(None, CONTROL_BYTES)) == len(text)``.
CONTROL_BYTES = bytes(range(9)) + b"\x0b\x0c" + bytes(range(14, 32))
_LINE_BREAKS = {"\x0b": "\n", "\x0c": "\n"}  # Word's manual line break and page break: a new line


def _replace(m: re.Match) -> str:
    ch = m.group()
    return _LINE_BREAKS.get(ch, "\ufffd" if "\ud800" <= ch <= "\udfff" else " ")


def has_bad(text: str) -> bool:
    """Does ``text`` hold a character XML cannot (quick for ordinary text)?"""
    return not text.isprintable() and BAD.search(text) is not None


def clean_text(text: str) -> str:
    """``text`` with every character XML cannot hold replaced: U+000B/U+000C by a line break,
    a lone surrogate by U+FFFD, any other by a space."""
    return BAD.sub(_replace, text) if has_bad(text) else text


def describe(text: str) -> str:
    """The offending characters of ``text``, e.g. "U+000B, U+0001"."""
    found = dict.fromkeys(BAD.findall(text))
    return ", ".join(f"U+{ord(ch):04X}" for ch in found)


def suspect(strings: list[str]) -> bool:
    """Might one of ``strings`` hold a bad character or be longer than a cell may be?  One
    pass over all of them at C speed; False for nearly every sheet."""
    if not strings:
        return False
    if max(map(len, strings)) > MAX_CELL:
        return True
    joined = "\n".join(strings)
    return not joined.replace("\n", " ").isprintable() and BAD.search(joined) is not None


def clean_rows(rows: list[list[object]]) -> list[tuple[int, int, str, str, str]]:
    """Clean the text cells of ``rows`` in place.

    Returns (row, col, code, what was wrong, the text as it was) for each problem found:
    ``control-character`` (replaced as :func:`clean_text` does) or ``cell-too-long`` (a text
    longer than Excel's 32,767 characters, cut to fit by :func:`planbook.core.limits.cut_to_fit`;
    Excel never saves one, LibreOffice may): for that one, the text as it was is the whole text
    once cleaned, so the rest can be kept.
    """
    strings = [v for row in rows for v in row if v.__class__ is str]
    if not suspect(strings):
        return []
    changed = []
    for r, row in enumerate(rows):
        for c, v in enumerate(row):
            if v.__class__ is not str:
                continue
            new = v
            if has_bad(new):
                changed.append((r, c, "control-character", describe(new), v))
                new = clean_text(new)
            if len(new) > MAX_CELL:
                changed.append((r, c, "cell-too-long", f"{len(new):,} characters", new))
                new = cut_to_fit(new)[0]
            if new is not v:
                row[c] = new
    return changed


def clean_all(values: Iterable[str]) -> list[str]:
    return [clean_text(v) for v in values]


def shortened(text: str, limit: int = 60) -> str:
    """``text`` on one line, at most ``limit`` characters (ending in "…" when cut): an action
    quoted in a message."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 3] + "…"


def folded(text: str) -> str:
    """``text`` as compared where case and spacing do not count: spaces collapsed, case folded."""
    return " ".join(text.split()).casefold()


def same_words(a: str, b: str) -> bool:
    """Two texts alike but for case and spacing ("Q1 2009/10", "q1  2009/10")."""
    return folded(a) == folded(b)
