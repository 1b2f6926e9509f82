"""planbook.fast.bulk.gc_paused: no collection meanwhile, none owed on exit, nothing leaked."""
from __future__ import annotations

import gc
import weakref

from planbook.fast.bulk import gc_paused


class _Node:
    pass


def test_objects_made_while_paused_are_not_walked_again_but_cycles_are_still_collected():
    assert gc.isenabled()
    gone = []
    with gc_paused():
        assert not gc.isenabled()
        kept = [[i] for i in range(200_000)]  # would fill the young generation many times over
        a, b = _Node(), _Node()
        a.other, b.other = b, a  # a reference cycle that becomes garbage
        ref = weakref.ref(a, lambda _: gone.append(True))
        del a, b
    assert gc.isenabled()
    assert gc.get_count()[0] < 1000  # the young generation does not hold them all: no 200k-object walk owed
    assert ref() is not None  # not collected yet ...
    gc.collect()
    assert ref() is None and gone == [True]  # ... but a full collection still finds the cycle
    assert len(kept) == 200_000


def test_nested_pauses_resume_collection_only_at_the_outermost():
    with gc_paused():
        with gc_paused():
            pass
        assert not gc.isenabled()
    assert gc.isenabled()
