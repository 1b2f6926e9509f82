"""Safe file access: guards against hostile files, the far-cell check, atomic output, and
opening a workbook to read.  Imports only planbook.core."""
