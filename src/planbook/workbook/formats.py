"""What the plan workbook and the consolidated workbook look like alike: the cell formats they
share (title, bold, header row, wrapped text, the status key's colours) and page-header text.

Each writer adds its own formats to these (:class:`Formats` is made once per XlsxWriter
workbook); a format's look is defined here once, so both workbooks keep one house style.
"""
from __future__ import annotations

from planbook.core.status import COLOURS

#: The header row of every table: white bold text on dark blue, wrapped, boxed.
HEADER = {"bold": True, "text_wrap": True, "valign": "top", "locked": True, "bg_color": "#1F4E78",
          "font_color": "#FFFFFF", "border": 1}
#: Page headers are cut to this many characters (a header wider than the page is cut off by Excel).
HEADER_CHARS = 80


class Formats:
    """The formats both workbooks use, added to the XlsxWriter workbook ``wb``."""

    def __init__(self, wb) -> None:
        self.title = wb.add_format({"bold": True, "font_size": 16})
        self.bold = wb.add_format({"bold": True})
        self.header = wb.add_format(HEADER)
        self.wrap = wb.add_format({"text_wrap": True, "valign": "top"})
        #: A status's cell: its colour, with the word in it (status is never shown by colour alone).
        self.status_key = {s: wb.add_format({"bg_color": fill, "font_color": font, "border": 1})
                           for s, (_, fill, font) in COLOURS.items()}


def header_text(text: str, max_chars: int | None = None) -> str:
    """``text`` for a page header or footer, shown as typed: "&" doubled (XlsxWriter and Excel
    read "&" as a code).  "&&G" would still read as a picture code to XlsxWriter, which then
    drops the whole header, so a font code (the bold font of the header) goes between.  With
    ``max_chars``, a longer text is cut to that many characters, ending in "…"."""
    if max_chars is not None and len(text) > max_chars:
        text = text[:max_chars - 1] + "…"
    return text.replace("&", "&&").replace("&&G", '&&&"-,Bold"G')
