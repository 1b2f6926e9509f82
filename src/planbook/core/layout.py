"""The standard workbook's fixed sheet names, and the consolidated workbook's: every module
names a sheet through these, so what a reader looks for is what a writer wrote."""
from __future__ import annotations

#: The standard workbook's own sheets (besides one tab per lead).
GUIDE, LISTS, META = "Guide", "Lists", "_planbook"
#: The master's sheet of finished actions taken out of the leads' tabs (planbook.workbook.maintenance).
RETIRED = "Retired actions"

#: The consolidated workbook's sheets, in order (``META`` is hidden after them).  A plan too big
#: for one sheet goes on "All actions (2)", …
SUMMARY = "Summary"
ALL_ACTIONS = "All actions"
EXCEPTIONS = "Exceptions"
CHANGES = "Changes"
DATA_ISSUES = "Data issues"
SOURCES = "Sources"
RETURNS = "Returns"
#: Every period's status and update by action (a plan's, a lead's copy's and a consolidation's),
#: and, in a consolidation, actions by status in each period.
HISTORY = "History"
TREND = "Trend"
#: What each lead changed in their return against the copy they were sent (for their receipt).
LEAD_CHANGES = "Lead changes"

#: The tab of the actions that name no lead.
NO_LEAD = "No lead"
