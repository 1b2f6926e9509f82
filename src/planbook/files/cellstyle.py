"""What a lead put on a cell besides its value: a note (comment), or a fill colour.

calamine reads values only.  A lead who writes their progress in a cell's note, or marks a
status by filling the cell red with no word in it, has still said something: so, for an .xlsx,
the notes of a tab (``xl/comments*.xml``, through the sheet's relationships) and the fill of a
given cell (its style's ``patternFill``, an RGB, indexed or theme colour) are read here, from the
part calamine read as that tab (planbook.files.sheetgrid.tab_parts).  Parts are small and read
with expat: no DTD, no entity is ever expanded.  Anything that cannot be read gives nothing
(never an error: the values were read already).
"""
from __future__ import annotations

import colorsys
import io
import os
import posixpath
import re
import zipfile
from collections.abc import Iterable
from pathlib import Path

from planbook.core.names import col_number
from planbook.files.guard import DAMAGED
from planbook.files.odstable import table_cells
from planbook.files.sheetgrid import ZipLook, may_have_notes, tab_parts

_DAMAGED = (KeyError, *DAMAGED)  # a part missing, or damaged
_MAX_PART = 64 << 20  # a notes or styles part larger than this is not read
_REF = re.compile(r"\$?([A-Za-z]{1,3})\$?(\d{1,7})$")


def _cell(ref: str) -> tuple[int, int] | None:
    m = _REF.match(ref.strip())
    return (int(m.group(2)) - 1, col_number(m.group(1)) - 1) if m else None


def _parse(xml: bytes, start, end=None, text=None) -> None:
    """Run expat over ``xml`` with these handlers; a DTD or entity declaration stops it."""
    from xml.parsers import expat

    parser = expat.ParserCreate()
    parser.StartElementHandler = start
    if end:
        parser.EndElementHandler = end
    if text:
        parser.CharacterDataHandler = text

    def refuse(*_args) -> None:
        raise ValueError("DTD")

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    try:
        parser.Parse(xml, True)
    except expat.ExpatError as exc:  # a part not well-formed: damaged (the callers skip it), never a crash
        raise ValueError(f"not well-formed XML: {expat.ErrorString(exc.code)}") from exc


def _local(name: str) -> str:
    return name.rsplit(":", 1)[-1]


def _read(zf: zipfile.ZipFile, name: str) -> bytes:
    info = zf.getinfo(name)
    if info.file_size > _MAX_PART:
        raise ValueError("too large")
    return zf.read(name)


def _targets(zf: zipfile.ZipFile, part: str, kind: str) -> list[str]:
    """The members a part's relationships of this kind point at ("comments", "styles" …)."""
    folder, base = posixpath.split(part.replace("\\", "/"))
    rels = posixpath.join(folder, "_rels", base + ".rels")
    names = {n.replace("\\", "/").lower(): n for n in zf.namelist()}  # as calamine compares them
    if rels.lower() not in names:
        return []
    found: list[str] = []

    def start(name: str, attrs: dict[str, str]) -> None:
        if _local(name) == "Relationship" and attrs.get("Type", "").lower().endswith("/" + kind.lower()):
            target = attrs.get("Target", "")
            target = target.replace("\\", "/")
            path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
            if path.lower() in names:
                found.append(names[path.lower()])

    _parse(_read(zf, names[rels.lower()]), start)
    return found


def workbook_notes(source: str | os.PathLike[str] | bytes, look: ZipLook | None = None,
                   damaged: list[tuple[str, str]] | None = None) -> dict[str, dict[tuple[int, int], str]]:
    """Tab -> (row, column), 0-based -> the text of the cell's note, for every tab of an .xlsx
    ({} for what has none or cannot be read); a threaded comment is saved with a note too: read
    once.  The file is opened once: opening it for each of a master's 150 tabs cost seconds.
    ``source`` is the file's path or (better: what was checked and parsed) its bytes; ``look``
    what checking them found (a workbook whose relationships point at no notes is not opened);
    ``damaged`` collects (tab, part) of each notes part that could not be read."""
    out: dict[str, dict[tuple[int, int], str]] = {}
    if look is not None and not look.notes_possible:
        return out
    try:
        with zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source) as zf:
            if look is None and not may_have_notes(_read(zf, info.filename) for info in zf.infolist()
                                                   if info.filename.lower().endswith(".rels")):
                return out
            tabs = look.tab_parts if look is not None else tab_parts(zf.namelist(), zf.read)
            for sheet, parts in tabs.items():
                for part in parts:
                    for kind, read in (("comments", _comments), ("threadedComment", _threaded_comments)):
                        for comments in _targets(zf, part, kind):  # a threaded comment over its note
                            try:
                                found = read(_read(zf, comments))
                            except _DAMAGED:  # one tab's unreadable notes leave the others' readable
                                if damaged is not None:
                                    damaged.append((sheet, comments))
                                continue
                            if found:
                                out.setdefault(sheet, {}).update(found)
    except _DAMAGED:
        return out
    return out


def ods_notes(source: str | os.PathLike[str] | bytes, sheet: str) -> dict[tuple[int, int], str]:
    """(row, column), 0-based -> the text of the cell's note (``office:annotation``), for one
    table of an .ods ({} if it has none or cannot be read), its cells placed as calamine places
    them (see planbook.files.odstable)."""
    return {(c.row, c.col): c.note for c in table_cells(source, sheet, _nothing, noted=True)}


def _nothing(attrs: dict[str, str]) -> bool:
    return False


def _items(xml: bytes, item: str, text_tag: str) -> list[tuple[tuple[int, int], dict[str, str], str]]:
    """(cell, attributes, text) of each ``item`` element of a notes part (its ``text_tag``
    elements' text joined: a note's runs), in order."""
    found: list[tuple[tuple[int, int], dict[str, str], str]] = []
    state: dict = {"cell": None, "attrs": {}, "inside": False, "text": []}

    def start(name: str, attrs: dict[str, str]) -> None:
        local = _local(name)
        if local == item:
            state.update(cell=_cell(attrs.get("ref", "")), attrs=attrs, text=[])
        elif local == text_tag and state["cell"] is not None:
            state["inside"] = True

    def end(name: str) -> None:
        local = _local(name)
        if local == text_tag:
            state["inside"] = False
        elif local == item and state["cell"] is not None:
            found.append((state["cell"], state["attrs"], "".join(state["text"]).strip()))
            state["cell"] = None

    def chars(data: str) -> None:
        if state["inside"]:
            state["text"].append(data)

    _parse(xml, start, end, chars)
    return found


def _comments(xml: bytes) -> dict[tuple[int, int], str]:
    """Cell -> its note (a legacy comment), as the lead wrote it."""
    return {cell: text for cell, _, said in _items(xml, "comment", "t") if (text := _without_placeholder(said))}


#: How Excel 365 begins the note it saves beside a threaded comment for older readers.
_PLACEHOLDER = "[Threaded comment]"
_THREAD_PART = re.compile(r"^(Comment|Reply):\n", re.M)


def _without_placeholder(text: str) -> str:
    """A note as the lead wrote it: the note Excel saves for a threaded comment is its notice
    ("Your version of Excel allows you to read this threaded comment; …"), then "Comment:" and
    each "Reply:" with the texts indented; kept as "text", then "Reply: text" lines."""
    if not text.startswith(_PLACEHOLDER):
        return text
    parts = _THREAD_PART.split(text)
    if len(parts) < 3:
        return text
    said = [(kind, "\n".join(line[4:] if line.startswith("    ") else line for line in body.strip("\n").split("\n")))
            for kind, body in zip(parts[1::2], parts[2::2])]
    return "\n".join(body if kind == "Comment" else f"Reply: {body}" for kind, body in said).strip()


def _threaded_comments(xml: bytes) -> dict[tuple[int, int], str]:
    """Cell -> its threaded comment (Excel 365): the first comment's text, then "Reply: …" for each reply."""
    out: dict[tuple[int, int], str] = {}
    for cell, attrs, text in _items(xml, "threadedComment", "text"):
        if text:
            text = f"Reply: {text}" if attrs.get("parentId") else text
            out[cell] = f"{out[cell]}\n{text}" if cell in out else text
    return out


# ---------------------------------------------------------------- fills

#: Excel's default indexed colours (0-63), as RGB hex: the legacy palette an old file's fill names.
_INDEXED = ("000000 FFFFFF FF0000 00FF00 0000FF FFFF00 FF00FF 00FFFF " * 2 +
            "800000 008000 000080 808000 800080 008080 C0C0C0 808080 9999FF 993366 FFFFCC CCFFFF 660066 FF8080 "
            "0066CC CCCCFF 000080 FF00FF FFFF00 00FFFF 800080 800000 008080 0000FF 00CCFF CCFFFF CCFFCC FFFF99 "
            "99CCFF FF99CC CC99FF FFCC99 3366FF 33CCCC 99CC00 FFCC00 FF9900 FF6600 666699 969696 003366 339966 "
            "003300 333300 993300 993366 333399 333333").split()


def cell_fills(path: str | os.PathLike[str], sheet: str, cells: Iterable[tuple[int, int]]) -> dict[tuple[int, int], str]:
    """(row, column) -> the RGB hex ("FF0000") of the solid fill of each of ``cells`` that has
    one, for one tab of an .xlsx ({} if none or it cannot be read)."""
    wanted = set(cells)
    if not wanted:
        return {}
    try:
        with zipfile.ZipFile(path) as zf:
            parts = tab_parts(zf.namelist(), zf.read).get(sheet, ())
            styles: dict[tuple[int, int], int] = {}
            for part in parts:
                styles.update(_cell_styles(_read(zf, part), wanted))
            if not styles:
                return {}
            book = next((n for n in zf.namelist() if n.replace("\\", "/").lower() == "xl/workbook.xml"), None)
            styles_part = next(iter(_targets(zf, book, "styles")), None) if book else None
            if styles_part is None:
                return {}
            theme = next(iter(_targets(zf, book, "theme")), None)
            palette = _theme_colours(_read(zf, theme)) if theme else []
            fills = _style_fills(_read(zf, styles_part), palette)
            return {cell: fills[s] for cell, s in styles.items() if s < len(fills) and fills[s]}
    except _DAMAGED:
        return {}


_C_TAG = re.compile(rb'<(?:\w+:)?c\b([^>]*)>')
_ATTR = re.compile(rb'\b(r|s)="([^"]*)"')


def _cell_styles(xml: bytes, wanted: set[tuple[int, int]]) -> dict[tuple[int, int], int]:
    """(row, column) -> style index, for the wanted cells written with an ``r`` reference."""
    out: dict[tuple[int, int], int] = {}
    for m in _C_TAG.finditer(xml):
        attrs = dict(_ATTR.findall(m.group(1)))
        ref, style = attrs.get(b"r"), attrs.get(b"s")
        if ref and style and style.isdigit():
            cell = _cell(ref.decode("ascii", "replace"))
            if cell in wanted:
                out[cell] = int(style)
    return out


def _style_fills(xml: bytes, palette: list[str]) -> list[str]:
    """Each cell style's solid fill colour (RGB hex), or "" — by position in ``cellXfs``."""
    fills: list[str] = []
    xfs: list[int] = []
    state = {"fill": None, "in_fills": False, "in_xfs": False}

    def start(name: str, attrs: dict[str, str]) -> None:
        local = _local(name)
        if local == "fills":
            state["in_fills"] = True
        elif local == "cellXfs":
            state["in_xfs"] = True
        elif state["in_fills"] and local == "fill":
            fills.append("")
        elif state["in_fills"] and local == "patternFill":
            state["fill"] = attrs.get("patternType", "")
        elif state["in_fills"] and local == "fgColor" and state["fill"] == "solid" and fills:
            fills[-1] = _colour(attrs, palette)
        elif state["in_xfs"] and local == "xf":
            fill = attrs.get("fillId", "0")
            xfs.append(int(fill) if fill.isdigit() else 0)

    def end(name: str) -> None:
        local = _local(name)
        if local == "fills":
            state["in_fills"] = False
        elif local == "cellXfs":
            state["in_xfs"] = False

    _parse(xml, start, end)
    return [fills[f] if f < len(fills) else "" for f in xfs]


def _colour(attrs: dict[str, str], palette: list[str]) -> str:
    if "rgb" in attrs:
        rgb = attrs["rgb"].strip().upper()
        return rgb[-6:] if len(rgb) >= 6 else ""
    if attrs.get("indexed", "").isdigit():
        i = int(attrs["indexed"])
        return _INDEXED[i] if i < len(_INDEXED) else ""
    if attrs.get("theme", "").isdigit():
        i = int(attrs["theme"])
        base = palette[i] if i < len(palette) else ""
        try:
            tint = float(attrs.get("tint", "0"))
        except ValueError:
            tint = 0.0
        return _tinted(base, tint) if base else ""
    return ""


def _theme_colours(xml: bytes) -> list[str]:
    """The theme's colours in the order fills index them (lt1, dk1, lt2, dk2, accent1-6 …)."""
    found: dict[str, str] = {}
    state = {"slot": None}
    slots = ("dk1", "lt1", "dk2", "lt2", "accent1", "accent2", "accent3", "accent4", "accent5", "accent6",
             "hlink", "folHlink")

    def start(name: str, attrs: dict[str, str]) -> None:
        local = _local(name)
        if local in slots:
            state["slot"] = local
        elif state["slot"] and local in ("srgbClr", "sysClr"):
            found.setdefault(state["slot"], (attrs.get("val") if local == "srgbClr" else attrs.get("lastClr", "")) or "")

    _parse(xml, start)
    order = ("lt1", "dk1", "lt2", "dk2", "accent1", "accent2", "accent3", "accent4", "accent5", "accent6",
             "hlink", "folHlink")
    return [found.get(s, "").upper() for s in order]


def _tinted(rgb: str, tint: float) -> str:
    try:
        r, g, b = (int(rgb[i:i + 2], 16) / 255 for i in (0, 2, 4))
    except ValueError:
        return ""
    h, light, s = colorsys.rgb_to_hls(r, g, b)
    light = light * (1 + tint) if tint < 0 else light * (1 - tint) + tint
    return "".join(f"{round(v * 255):02X}" for v in colorsys.hls_to_rgb(h, light, s))


def colour_name(rgb: str) -> str | None:
    """A fill colour as a person names it: "red", "amber", "green", "blue", "grey", or None (white,
    black, or a colour no status uses)."""
    try:
        r, g, b = (int(rgb[i:i + 2], 16) / 255 for i in (0, 2, 4))
    except ValueError:
        return None
    h, light, s = colorsys.rgb_to_hls(r, g, b)
    if light > 0.95 or light < 0.08:
        return None
    if s < 0.15:
        return "grey"
    hue = h * 360
    if hue < 20 or hue >= 330:
        return "red"
    if hue < 65:
        return "amber"
    if hue < 170:
        return "green"
    if hue < 260:
        return "blue"
    return None


def file_is_xlsx(path: str | os.PathLike[str]) -> bool:
    """Is this a zip workbook of the Office Open XML kind (notes and fills are read only there)?"""
    try:
        with zipfile.ZipFile(Path(path)) as zf:
            return any(n.replace("\\", "/").lower() == "xl/workbook.xml" for n in zf.namelist())
    except _DAMAGED:
        return False
