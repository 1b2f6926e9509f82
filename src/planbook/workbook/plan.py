"""A plan read from one workbook: its details, actions, tabs and the findings about them."""
from __future__ import annotations

from dataclasses import dataclass, field

from planbook.core.findings import Report
from planbook.core.layout import NO_LEAD
from planbook.core.model import Action, PlanInfo
from planbook.workbook.history import History


@dataclass
class Plan:
    """A plan read from one workbook: its details, actions, and the findings about them."""

    path: str
    info: PlanInfo
    actions: list[Action]
    report: Report
    tabs: dict[str, str] = field(default_factory=dict)  # lead tab -> lead name
    rows_read: int = 0  # non-empty rows under a header, across lead tabs
    has_metadata: bool = True
    #: (ref, field) of required cells the imported source left blank: still blank, a warning.
    source_gaps: set[tuple[str, str]] = field(default_factory=set)
    extra_columns: list[str] = field(default_factory=list)  # user columns, in sheet order
    role: str = "plan"  # "plan" (a master), "lead-copy" (split off for one lead), "consolidated"
    declared_tabs: dict[str, str] = field(default_factory=dict)  # lead tab -> lead, as the metadata names them
    #: tab -> sheet rows whose blank Lead the reader filled in with the lead it guessed for a
    #: renamed tab (planbook.rollup.ownership may find the tab is someone else's, or nobody's)
    filled: dict[str, set[int]] = field(default_factory=dict)
    #: The settings as the Guide shows them (planbook.workbook.settings.GuideValue by setting name).
    guide: dict = field(default_factory=dict)
    #: Every period's status and update by action (the History sheet), empty for a plan without one.
    history: History = field(default_factory=History)
    #: Finished actions taken out of the leads' tabs (the Retired actions sheet).
    retired: list[Action] = field(default_factory=list)
    #: (Ref, status, update, sheet, status cell, update cell) of each action's last-period columns
    #: on its tab, as a lead's copy shows them (checked against the plan's history).
    last_shown: list[tuple[str, str, str, str, str, str]] = field(default_factory=list)
    #: Tab -> its cells' notes (planbook.files.cellstyle.workbook_notes), read once when first asked.
    notes_by_tab: dict[str, dict[tuple[int, int], str]] | None = field(default=None, repr=False)

    def lead_tabs(self) -> dict[str, str]:
        """Lead tab -> whose it is (the tab's own name when the metadata names nobody), without
        the 'No lead' tab: its actions have nobody to send them to or chase."""
        return {sheet: lead or sheet for sheet, lead in self.tabs.items() if (lead or sheet) != NO_LEAD}
