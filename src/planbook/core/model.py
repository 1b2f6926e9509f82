"""What a plan holds: plan details, leads, and actions."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from planbook.core.due import BLANK_DUE, Due
from planbook.core.status import FINISHED, NO_STATUS

FORMAT_VERSION = 1


@dataclass(frozen=True)
class Lead:
    """An accountable lead; ``email`` comes from the Lists sheet."""

    name: str
    email: str = ""


@dataclass
class PlanInfo:
    """Plan-level details written to the Guide, Lists and hidden metadata sheets."""

    title: str
    period: str = ""
    leads: list[Lead] = field(default_factory=list)
    themes: list[str] = field(default_factory=list)
    coordinator: str = ""
    coordinator_email: str = ""
    format_version: int = FORMAT_VERSION
    notes: list[str] = field(default_factory=list)  # e.g. title rows kept from an imported plan
    #: The plan's identity, made when ``new`` or ``import`` writes it and carried by ``split``
    #: copies, so a consolidation knows which returns belong to it ("" for older workbooks).
    plan_id: str = ""
    #: The date leads are asked to return their updates by (a coordinator's setting).
    return_by: dt.date | None = None
    #: The rule for finished actions: a Complete action leaves the leads' copies once it has been
    #: Complete for this many periods in a row (0: never); it stays in the plan's history.
    retire_complete_after: int = 0
    #: Theme -> its full section heading, when the theme is a short name for it (``import --themes``).
    theme_headings: dict[str, str] = field(default_factory=dict)
    #: The names this period had before the coordinator renamed it ("Q3 2009/10" before "Q3
    #: 2009/10 (Oct-Dec)"): copies sent out under one of them are this period's returns.
    period_was: list[str] = field(default_factory=list)
    #: The day last period's consolidation was made (roll forward sets it): a Last updated on or
    #: before it is last period's update, even when it falls in this period's dates (leads update
    #: a quarter in the first days of the next).  None: the period's first day is the line.
    updates_since: dt.date | None = None
    #: Leads and themes renamed this period ("lead" or "theme", old name, new name): the changes
    #: since the last consolidation (``--previous``) do not read a rename as a hand-over or a move.
    renamed: list[tuple[str, str, str]] = field(default_factory=list)

    def renames(self, kind: str, key: Callable[[str], str]) -> dict[str, str]:
        """Old name's ``key`` -> its name now, for the ``kind`` ("lead" or "theme") renamed this period."""
        return {key(old): new for k, old, new in self.renamed if k == kind}

    def lead_names(self) -> list[str]:
        return [lead.name for lead in self.leads]

    #: "Ref<TAB>field" of each required cell an imported plan's source left blank: ``validate``
    #: reports them as warnings while they stay blank (written to the metadata by ``import``).
    source_gaps: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Origin:
    """Where an action was read from: file, sheet and 1-based row."""

    file: str
    sheet: str
    row: int


@dataclass(slots=True)
class Action:
    """One numbered action of a plan.

    ``status`` is the standard status ("Complete", …), ``NO_STATUS`` when the cell was blank,
    or ``None`` when it held a word planbook does not recognise; ``status_text`` keeps what
    was typed.  ``extras`` holds the
    user's own columns (header -> value), never dropped.
    """

    ref: str
    action: str
    lead: str
    theme: str = ""
    objective: str = ""
    partners: str = ""
    due: Due = BLANK_DUE
    success_measure: str = ""
    resources: str = ""
    status: str | None = NO_STATUS
    status_text: str = ""
    progress: str = ""
    last_updated: dt.date | None = None
    extras: dict[str, object] = field(default_factory=dict)
    origin: Origin | None = None
    #: Where this action's long texts are in a consolidation's spill file (-1: in memory).
    spill: int = field(default=-1, repr=False, compare=False)
    #: What a consolidation flagged on this row for the committee ("Ref collision …", "Not in the
    #: lead's return", …); shown in the consolidated workbook's ``Note`` column.
    note: str = field(default="", compare=False)

    @property
    def status_shown(self) -> str:
        """What goes in a lead's Status cell: the standard word, or the text as typed (blank
        when no status was given; the consolidated workbook shows that as ``NO_STATUS``)."""
        status = self.status
        return status if status is not None and status != NO_STATUS else self.status_text

    def is_overdue(self, today: dt.date) -> bool:
        """Unfinished and past the end of its due period."""
        deadline = self.due.deadline
        return deadline is not None and deadline < today and self.status not in FINISHED
