"""The standard workbook's fixed sheet names, and the consolidated workbook's: every module
names a sheet through these, so what a reader looks for is what a writer wrote."""
from __future__ import annotations

#: The standard workbook's own sheets (besides one tab per lead).
GUIDE, LISTS, META = "Guide", "Lists", "_planbook"

#: The consolidated workbook's sheets, in order (``META`` is hidden after them).  A plan too big
#: for one sheet goes on "All actions (2)", …
SUMMARY = "Summary"
ALL_ACTIONS = "All actions"
EXCEPTIONS = "Exceptions"
CHANGES = "Changes"
DATA_ISSUES = "Data issues"
SOURCES = "Sources"
RETURNS = "Returns"

#: The tab of the actions that name no lead.
NO_LEAD = "No lead"
