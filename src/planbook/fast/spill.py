"""Hold the long texts of very many actions on disk instead of in memory.

A million-row consolidation cannot keep every row's Action, Objective, Success measure and
Progress text in memory under 1 GB.  Past a threshold, :class:`SpillStore` moves those texts
(and the extra columns) of each action into a temporary file and leaves the small fields —
ref, lead, theme, status, dates, origin — in memory for merging, counting and exceptions.
Writers call :meth:`SpillStore.full` to get each action back whole, one at a time.
"""
from __future__ import annotations

import dataclasses
import pickle
import tempfile
import types
from array import array

from planbook.core.limits import MAX_CELL
from planbook.core.model import Action

_FIELDS = ("objective", "action", "partners", "success_measure", "resources", "progress", "extras")
#: Stands in for a non-empty Action text while it is on disk (so "is it missing?" still works).
ON_DISK = "\u2026"
_NO_EXTRAS = types.MappingProxyType({})


class SpillStore:
    """An append-only temporary file of pickled long texts, indexed by position."""

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile(prefix="planbook-spill-")
        self._offsets = array("Q")
        self._lengths = array("I")
        self._end = 0
        self._writing = True
        #: The actions (by their place in the file) whose texts might not fit a cell: those
        #: whose texts, pickled, take more bytes than a cell holds characters (nearly never).
        self.long: list[int] = []

    def __len__(self) -> int:
        return len(self._offsets)

    def spill(self, action: Action) -> None:
        """Move ``action``'s long texts to disk (idempotent)."""
        if action.spill >= 0:
            return
        data = pickle.dumps(tuple(getattr(action, f) for f in _FIELDS), protocol=pickle.HIGHEST_PROTOCOL)
        if not self._writing:
            self._file.seek(self._end)
            self._writing = True
        self._file.write(data)
        self._offsets.append(self._end)
        self._lengths.append(len(data))
        self._end += len(data)
        action.spill = len(self._offsets) - 1
        if len(data) > MAX_CELL:
            self.long.append(action.spill)
        action.action = ON_DISK if action.action else ""
        action.objective = action.partners = action.success_measure = action.resources = action.progress = ""
        action.extras = _NO_EXTRAS

    def put_back(self, action: Action, whole: Action) -> None:
        """Keep the texts of ``whole`` as ``action``'s from now on (they were cut to fit a cell)."""
        data = pickle.dumps(tuple(getattr(whole, f) for f in _FIELDS), protocol=pickle.HIGHEST_PROTOCOL)
        if not self._writing:
            self._file.seek(self._end)
            self._writing = True
        self._file.write(data)
        self._offsets[action.spill], self._lengths[action.spill] = self._end, len(data)
        self._end += len(data)

    def full(self, action: Action) -> Action:
        """``action`` with its texts: itself if they are in memory, else a restored copy."""
        if action.spill < 0:
            return action
        if self._writing:
            self._file.flush()
            self._writing = False
        self._file.seek(self._offsets[action.spill])
        values = pickle.loads(self._file.read(self._lengths[action.spill]))
        return dataclasses.replace(action, spill=-1, **dict(zip(_FIELDS, values)))

    def close(self) -> None:
        self._file.close()
