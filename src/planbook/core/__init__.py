"""The core model: findings, errors, statuses, due phrases, dates, names, columns, the plan's
data and the workbook's layout constants.  Imports nothing else of planbook."""
