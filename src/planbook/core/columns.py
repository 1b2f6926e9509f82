"""The standard columns of a lead tab and the header words real plans use for them."""
from __future__ import annotations

import re

#: (header as written, Action attribute) in sheet order.
STANDARD_COLUMNS: tuple[tuple[str, str], ...] = (
    ("Ref", "ref"),
    ("Theme", "theme"),
    ("Objective", "objective"),
    ("Action", "action"),
    ("Lead", "lead"),
    ("Partners", "partners"),
    ("Due", "due"),
    ("Success measure", "success_measure"),
    ("Resources", "resources"),
    ("Status", "status"),
    ("Progress update", "progress"),
    ("Last updated", "last_updated"),
)
HEADERS: tuple[str, ...] = tuple(h for h, _ in STANDARD_COLUMNS)
FIELD_OF_HEADER: dict[str, str] = dict(STANDARD_COLUMNS)
HEADER_OF_FIELD: dict[str, str] = {f: h for h, f in STANDARD_COLUMNS}
REQUIRED_FIELDS: tuple[str, ...] = ("ref", "action", "lead")

#: Header words -> field.  Keys are in :func:`header_key` form.
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "ref": ("ref", "reference", "ref no", "action no", "action number", "no", "number", "id", "action ref"),
    "theme": ("theme", "ecm outcome", "outcome area", "section", "strand", "aim", "priority area",
              "group theme", "themes", "outcome", "outcomes", "priority areas", "theme area"),
    "objective": ("objective", "objectives", "issue", "issues", "priority", "key priority", "requirement",
                  "requirements", "priority issue"),
    "action": ("action", "actions", "activity", "activities", "key results driver", "key results drivers",
               "task", "what will be done"),
    "lead": ("lead", "who", "by whom", "accountability", "lead officer", "responsible", "owner",
             "accountable lead", "lead person"),
    "partners": ("partners", "partner", "supporting partners", "support", "others involved"),
    "due": ("due", "by when", "timescale", "timescales", "deadline", "target date", "due date",
            "milestones and timescales", "when", "date due"),
    "success_measure": ("success measure", "success measures", "outcome measure", "outcome measures",
                        "success criteria", "success indicator", "success indicators", "target", "targets",
                        "outcomes and performance indicators", "performance indicator", "measure"),
    "resources": ("resources", "resource", "resource implications", "funding", "cost"),
    "status": ("status", "rag", "rag status", "progress status", "progress rag"),
    "progress": ("progress update", "progress", "update", "commentary", "progress commentary", "comments",
                 "progress notes"),
    "last_updated": ("last updated", "updated", "date updated", "update date", "last update"),
}


def header_key(text: object) -> str:
    """Fold a header for matching: case, spacing, punctuation and '&' vs 'and' ignored."""
    s = str(text or "").lower().replace("&", " and ")
    s = re.sub(r"[^a-z0-9]+", " ", s)
    return re.sub(r"\s+", " ", s).strip()


_FIELD_BY_KEY: dict[str, str] = {header_key(w): f for f, words in _SYNONYMS.items() for w in words}


def field_for_header(text: object) -> str | None:
    """The standard field a header means, or ``None`` for a column planbook does not know."""
    return _FIELD_BY_KEY.get(header_key(text))
