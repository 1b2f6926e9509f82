"""The standard workbook's fixed sheet names, and the consolidated workbook's."""
from __future__ import annotations

GUIDE, LISTS, META = "Guide", "Lists", "_planbook"


NO_LEAD = "No lead"
