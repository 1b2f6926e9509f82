"""The standard workbook: write it, read it back, split it into leads' copies, and read a
consolidated workbook back as a view."""
