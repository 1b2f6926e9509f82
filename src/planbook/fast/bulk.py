"""Helpers for bulk work on many thousands of actions."""
from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cycle collector while building or writing many objects.

    Reading 45,000 actions allocates millions of containers; each allocation burst triggers
    a collection that walks every live object, which made unpacking a worker's results four
    times slower.  Actions, rows and findings hold no reference cycles, so nothing needs
    collecting meanwhile; collection resumes on exit.

    On exit the objects made meanwhile join the oldest generation at once (``gc.freeze`` then
    ``gc.unfreeze``: two list splices) instead of all being walked by the next young-generation
    collection, which took 40 ms after a 45,000-action run; cycles among them, if any, are
    still found by the next full collection.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.freeze()
            gc.unfreeze()
            gc.enable()


#: Between texts packed together: a character no cell of a workbook read from XML holds.
_SEP = "\x00"


def pack_texts(texts: list[str]) -> bytes | list[str]:
    """Many texts as one string's bytes, for the trip from a worker process: pickling and
    unpickling one long string, then splitting it, is several times quicker than a list of a
    million short ones.  A list holding something else, or a text holding the separator (from
    a binary .xls), is given back as it is (and pickled as usual)."""
    try:
        joined = _SEP.join(texts)
    except TypeError:
        return texts
    if texts and joined.count(_SEP) != len(texts) - 1:
        return texts
    return joined.encode("utf-8", "surrogatepass")


def unpack_texts(packed: bytes | list[str], count: int) -> list[str]:
    """The ``count`` texts :func:`pack_texts` packed."""
    if isinstance(packed, list):
        return packed
    return packed.decode("utf-8", "surrogatepass").split(_SEP) if count else []
