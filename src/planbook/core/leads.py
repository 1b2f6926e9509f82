"""Who a lead is: the one rule deciding whether two names are the same lead.

Leads' names reach planbook typed, pasted from Word or email, autocorrected and saved by
other software, so one lead arrives spelt in ways that look identical or nearly so: a
non-breaking or thin space, a curly apostrophe ("O’Brien"), an accent in decomposed form, an
en dash for a hyphen, a double or trailing space, other capitals, "&" for "and", dots in
initials.  :func:`lead_key` is the form in which all of those are equal.  Every step compares
leads through it (the reader's "not on the Lists sheet" check, the writer's refusal of a lead
given twice, import's merging of spellings, the merge rules, the returns tracker, the sent
log, chasing, receipts, the consolidated workbook's "Status by lead"), so they always agree
on who is who.  :class:`LeadNames` picks the one spelling a lead is shown with.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

from planbook.core.names import file_stem

#: Characters that show nothing (soft hyphen, zero-width spaces and joiners, word joiner, BOM).
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u180e\u200b\u200c\u200d\u2060\ufeff"))
#: Quotes, apostrophes and dashes as typed, autocorrected or pasted: one form each.
_FOLD = str.maketrans({
    **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032\u2035\u02bc\u02b9\u0060\u00b4\uff07", "'"),
    **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033\u2036\u00ab\u00bb\u02ba\uff02", '"'),
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d\u2043", "-"),
    **_INVISIBLE,
})
_SPACES = re.compile(r"\s+")
_DASH = re.compile(r" ?- ?")
_WORD_HYPHEN = re.compile(r"(?<=[^\W\d_])-(?=[^\W\d_])")
_BRACKETED = re.compile(r"\(([^()]*)\)")


@lru_cache(maxsize=16384)
def lead_key(name: str) -> str:
    """The form in which two spellings of one lead are equal.

    Unicode compatibility-normalised (NFKC: composed accents, every kind of space a plain
    space), invisible characters dropped, curly and straight quotes and apostrophes one,
    dashes and hyphens one, case folded, runs of spaces one, ends trimmed; and as a
    coordinator reads a name: "&" is "and", "14 - 19" is "14-19", "Co-ordinator" is
    "Coordinator", "(P.I.T.M.)" is "(PITM)", a trailing full stop or comma is nothing.
    """
    s = name.translate(_FOLD)  # before NFKC too, which would make "´" a space and an accent
    if not s.isascii():
        s = unicodedata.normalize("NFKC", s).translate(_FOLD)
    s = s.casefold()
    if not s.isascii():
        s = unicodedata.normalize("NFKC", s)  # casefold can leave a decomposed form (İ -> i + dot)
    s = _SPACES.sub(" ", s.replace("&", " and "))
    s = _DASH.sub("-", s)  # on text with single spaces: linear
    s = _WORD_HYPHEN.sub("", s)
    s = _BRACKETED.sub(lambda m: "(" + m.group(1).replace(".", "").replace(" ", "") + ")", s)
    s = _SPACES.sub(" ", s)
    return s.strip(" .,;:-") or s.strip()  # a name of punctuation alone is still that name


def same_lead(a: str, b: str) -> bool:
    """Do ``a`` and ``b`` name the same lead?"""
    return a == b or lead_key(a) == lead_key(b)


def lead_named_by_file(stem: str, leads: Iterable[str]) -> str | None:
    """The lead a file is named for: its name (without extension) is the lead's name, or the
    file name planbook makes from it (``split``: "Jane O-Brien" for "Jane O'Brien"); None if
    none is."""
    key = lead_key(stem)
    if not key:
        return None
    for lead in leads:
        if lead and key in (lead_key(lead), lead_key(file_stem(lead, set()))):
            return lead
    return None


class LeadNames:
    """One spelling per lead: the first met of each :func:`lead_key`.

    Add the plan's own list first (its Lists sheet), so a lead typed another way is shown as
    the plan spells them; a name met nowhere else keeps its own spelling.
    """

    def __init__(self, names: Iterable[str] = ()) -> None:
        self._by_key: dict[str, str] = {}
        for name in names:
            self.add(name)

    def add(self, name: str) -> str:
        """Register ``name`` (if its lead is new) and return the lead's spelling."""
        if not name:
            return name
        return self._by_key.setdefault(lead_key(name), name)

    def spelling(self, name: str) -> str:
        """The lead's registered spelling, or ``name`` itself when the lead is not registered."""
        return self._by_key.get(lead_key(name), name) if name else name

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and lead_key(name) in self._by_key

    def __len__(self) -> int:
        return len(self._by_key)

    def __iter__(self):
        return iter(self._by_key.values())
