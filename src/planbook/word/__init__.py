"""The Word progress report: rendering, native chart, table layout, accessibility, PDF."""
