"""Fast paths for big plans: a second process, long texts kept on disk, rows streamed into
sheets.  Imports planbook.core and planbook.files."""
