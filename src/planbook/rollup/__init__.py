"""The roll-up: input discovery, merge rules, changes since last time, the returns tracker
and the consolidated workbook."""
