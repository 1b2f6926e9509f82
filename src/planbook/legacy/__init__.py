"""Importing a plan kept in its own layout (Excel, Word or CSV) into the standard workbook."""
