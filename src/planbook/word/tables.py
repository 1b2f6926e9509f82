"""Table layout for the Word report, applied to the template's tables before rendering.

Column widths come from the content the rows will hold (Ref, Lead, Due and Status as narrow as
their longest word, Action and Commentary given the rest; words in Lead, Due, Status and Ref never break), and columns the data
leaves empty (Since last report without a previous consolidation, status lines that do not
occur, Commentary before anyone wrote one) are dropped.  The template's few table rows are changed, not the rendered rows,
so the cost does not grow with the plan.  Text widths are measured with DejaVu Sans, which is
wider than Arial (and what LibreOffice uses for Arial when Arial is not installed), so a
word that fits here fits in Word too.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from itertools import repeat
from typing import Any

from docx.oxml.ns import qn

# Advance widths (1/1000 em) of DejaVu Sans and DejaVu Sans Bold, from the font files.
_CHARS = (' !"#$%&\'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~'
          "£€–—‘’“”…éèáàöüç↑↓→")
_REGULAR = (318, 401, 460, 838, 636, 950, 780, 275, 390, 390, 500, 838, 318, 361, 318, 337, 636, 636, 636, 636, 636,
            636, 636, 636, 636, 636, 337, 337, 838, 838, 838, 531, 1000, 684, 686, 698, 770, 632, 575, 775, 752, 295,
            295, 656, 557, 863, 748, 787, 603, 787, 695, 635, 611, 732, 684, 989, 685, 611, 685, 390, 337, 390, 838,
            500, 500, 613, 635, 550, 635, 615, 352, 635, 634, 278, 278, 579, 278, 974, 634, 612, 635, 635, 411, 521,
            392, 634, 592, 818, 592, 592, 525, 636, 337, 636, 838, 636, 636, 500, 1000, 318, 318, 518, 518, 1000, 615,
            615, 613, 613, 612, 634, 550, 838, 838, 838)
_BOLD = (348, 456, 521, 838, 696, 1002, 872, 306, 457, 457, 523, 838, 380, 415, 380, 365, 696, 696, 696, 696, 696, 696,
         696, 696, 696, 696, 400, 400, 838, 838, 838, 580, 1000, 774, 762, 734, 830, 683, 683, 821, 837, 372, 372, 775,
         637, 995, 837, 850, 733, 850, 770, 720, 682, 812, 774, 1103, 771, 724, 725, 457, 365, 457, 838, 500, 500, 675,
         716, 593, 716, 678, 435, 716, 712, 343, 343, 665, 343, 1042, 712, 687, 716, 716, 493, 595, 478, 712, 652, 924,
         645, 652, 582, 712, 365, 712, 838, 696, 696, 500, 1000, 380, 380, 657, 657, 1000, 678, 678, 675, 675, 687, 712,
         593, 838, 838, 838)
_WIDTHS = {False: {**dict(zip(_CHARS, _REGULAR)), "\u00a0": 318}, True: {**dict(zip(_CHARS, _BOLD)), "\u00a0": 348}}

#: Header words (lower case) of columns whose words must never break, and of the wide columns.
NO_BREAK = {"ref", "lead", "due", "status", "since last report", "change", "%", "actions", "total", "complete",
            "on track", "slippage", "off track", "not started", "no status given", "status not recognised"}
WIDE = {"action", "commentary", "progress update", "progress", "theme", "before", "now"}
#: A wide column may break a word longer than this (a pasted URL), rather than squeeze the others.
WIDE_WORD_CAP_PT = 110.0
#: Columns never wider than their longest word while a wide column could use the room.
NARROWEST = {"lead"}
#: A narrow column (not Lead) whose longest line is at most this wide (3.35 cm) keeps its lines
#: whole when the wide columns still have half the table.
SHORT_LINE_TWIPS = 1900
_SLACK = 1.04  # room for kerning and rounding (DejaVu Sans is already wider than Arial)


def text_width_pt(text: str, size_pt: float, bold: bool = False) -> float:
    """Width of ``text`` on one line, in points, at ``size_pt`` (DejaVu Sans metrics; 1 em for
    characters not in the table, as wide as the widest)."""
    return sum(map(_WIDTHS[bold].get, text, repeat(1000))) * size_pt / 1000


# a line may break at a space or after a hyphen ("Co-" / "ordinator"), never inside a word or at a no-break space
_WORD = re.compile(r"[^ \t\n\r\f\v-]*-+|[^ \t\n\r\f\v-]+")


def longest_word_pt(text: str, size_pt: float, bold: bool = False) -> float:
    """Width of the longest piece of ``text`` a line cannot break inside."""
    return max((text_width_pt(w, size_pt, bold) for w in _WORD.findall(text)), default=0.0)


def _twips(pt: float) -> int:
    return int(round(pt * 20))


def column_widths(headers: Sequence[str], columns: Sequence[Iterable[str]], available: int, size_pt: float,
                  padding: int = 216) -> list[int]:
    """Widths (twips) for a table ``available`` twips wide, chosen from the header and cell texts.

    Each column gets its longest word (so words never break); the room left goes to the wide
    columns (Action, Commentary) up to their longest line, in proportion to what each could
    use.  The narrow ones (Ref, Lead, Due, Status) keep their longest word — a lead's name
    wraps at its words — except that a short Due or Status line (up to 3.35 cm) stays whole
    when the wide columns still have half the table, and, once the wide ones have every line
    whole, Ref, Due and Status (never Lead) widen up to their longest line; anything left over
    widens the wide columns to fill the page.
    """
    mins, maxs, wide = [], [], []
    for header, texts in zip(headers, columns):
        key = header.strip().lower()
        lo = longest_word_pt(header, size_pt, bold=True)
        hi = text_width_pt(header, size_pt, bold=True)
        lines = {line for t in set(texts) for line in str(t).split("\n")}
        if lines:
            hi = max(hi, max(text_width_pt(line, size_pt) for line in lines))
            words = {w for line in lines for w in _WORD.findall(line)}
            if words:
                lo = max(lo, max(text_width_pt(w, size_pt) for w in words))
        is_wide = key in WIDE
        if is_wide:
            lo = min(lo, WIDE_WORD_CAP_PT)
        lo_tw = _twips(lo * _SLACK) + padding
        hi_tw = max(lo_tw, min(_twips(hi * _SLACK) + padding, available))
        mins.append(lo_tw)
        maxs.append(hi_tw)
        wide.append(is_wide)
    total_min = sum(mins)
    if total_min > available:  # even the longest words do not fit: shrink in proportion (words may then break)
        return [lo * available // total_min for lo in mins]
    widths = list(mins)
    room = available - total_min
    wide_cols = [i for i, w in enumerate(wide) if w]
    # a short Due or Status ("December 2008", "Off track (overdue)") on one line, if the wide
    # columns keep at least half the table (a landscape page) ...
    short = [i for i, (h, w) in enumerate(zip(headers, wide)) if not w and h.strip().lower() not in NARROWEST
             and mins[i] < maxs[i] <= SHORT_LINE_TWIPS]
    if wide_cols and room - sum(maxs[i] - mins[i] for i in short) >= available // 2:
        for i in short:
            room -= maxs[i] - widths[i]
            widths[i] = maxs[i]
    # ... then the wide columns (Action, Commentary), up to their longest line; the narrow ones
    # keep their longest word (Lead, Due, Status wrap at words) ...
    room = _share(widths, maxs, wide_cols, room)
    # ... unless the wide ones have all they can use: then the narrow ones but Lead, up to their line
    if room > 0:
        room = _share(widths, maxs, [i for i, (h, w) in enumerate(zip(headers, wide)) if not w and
                                     (h.strip().lower() not in NARROWEST or not wide_cols)], room)
    takers = wide_cols or list(range(len(widths)))
    for k, i in enumerate(takers):  # what is left makes the table as wide as the page
        give = room // (len(takers) - k)
        widths[i] += give
        room -= give
    return widths


def _share(widths: list[int], maxs: Sequence[int], group: Sequence[int], room: int) -> int:
    """Give ``room`` to the columns ``group`` up to their longest line, in proportion to what
    each could use; returns what is left."""
    want = {i: maxs[i] - widths[i] for i in group if maxs[i] > widths[i]}
    while room > 0 and want:
        share = room / sum(want.values())
        for i, need in list(want.items()):
            give = min(need, int(need * share) if share < 1 else need)
            widths[i] += give
            room -= give
            if give >= need:
                del want[i]
        if share < 1:
            break
    return room


# --- applying it to a template -------------------------------------------------------------

_LOOP = re.compile(r"\{%-?\s*(?:tr|p|tc|r)?\s*for\s+(\w+)\s+in\s+([\w.]+)\s*-?%\}")
_VAR = re.compile(r"\{\{-?\s*(\w+)\.([\w.]+)\s*-?\}\}")


def _text(el) -> str:
    return "".join(t.text or "" for t in el.iter(qn("w:t")))


def _resolve(expr: str, loops: Mapping[str, list], context: Mapping[str, Any]) -> list | None:
    """The items a ``for VAR in EXPR`` loop goes over (all of them, for a loop inside a loop)."""
    head, *rest = expr.split(".")
    items = loops.get(head)
    if items is None:
        if head not in context:
            return None
        items = [context[head]]
    for attr in rest:
        items = [_get(it, attr) for it in items]
    out: list = []
    for it in items:
        if isinstance(it, (list, tuple)):
            out.extend(it)
        else:
            return None
    return out


def _get(item: Any, path: str) -> Any:
    for attr in path.split("."):
        item = item.get(attr, "") if isinstance(item, Mapping) else getattr(item, attr, "")
    return item


def _section_widths(body) -> list[tuple[Any, int]]:
    """(table, text width in twips) for every table directly in the body, by its section."""
    out, pending = [], []

    def width(sect_pr) -> int:
        pg = sect_pr.find(qn("w:pgSz"))
        mar = sect_pr.find(qn("w:pgMar"))
        w = int(pg.get(qn("w:w"), 11906)) if pg is not None else 11906
        left = int(mar.get(qn("w:left"), 1134)) if mar is not None else 1134
        right = int(mar.get(qn("w:right"), 1134)) if mar is not None else 1134
        return w - left - right

    for child in body:
        if child.tag == qn("w:tbl"):
            pending.append(child)
        elif child.tag == qn("w:p"):
            sect = child.find(qn("w:pPr") + "/" + qn("w:sectPr"))
            if sect is not None:
                out += [(t, width(sect)) for t in pending]
                pending = []
        elif child.tag == qn("w:sectPr"):
            out += [(t, width(child)) for t in pending]
            pending = []
    return out + [(t, 9638) for t in pending]


_STYLE_MAPS: dict[int, tuple[Any, dict]] = {}


def _font_size_pt(styles_element, style_id: str = "Normal") -> float:
    """A paragraph style's font size, following its base styles (else the document default), in points."""
    cached = _STYLE_MAPS.get(id(styles_element))
    if cached is None or cached[0] is not styles_element:
        cached = _STYLE_MAPS[id(styles_element)] = (
            styles_element, {s.get(qn("w:styleId")): s for s in styles_element.iter(qn("w:style"))})
    styles = cached[1]
    seen = set()
    while style_id in styles and style_id not in seen:
        seen.add(style_id)
        style = styles[style_id]
        sz = style.find(qn("w:rPr") + "/" + qn("w:sz"))
        if sz is not None:
            return int(sz.get(qn("w:val"))) / 2
        based = style.find(qn("w:basedOn"))
        style_id = based.get(qn("w:val")) if based is not None else ""
    sz = styles_element.find(f"{qn('w:docDefaults')}/{qn('w:rPrDefault')}/{qn('w:rPr')}/{qn('w:sz')}")
    return int(sz.get(qn("w:val"))) / 2 if sz is not None else 10.0


def _cell_size_pt(cell, styles_element, default: float) -> float:
    """The font size of a cell's text: its run's own size, else its paragraph style's."""
    sz = cell.find(f".//{qn('w:rPr')}/{qn('w:sz')}")
    if sz is not None:
        return int(sz.get(qn("w:val"))) / 2
    style = cell.find(f".//{qn('w:pPr')}/{qn('w:pStyle')}")
    return _font_size_pt(styles_element, style.get(qn("w:val"))) if style is not None else default


def _set_width(parent, tag: str, twips: int) -> None:
    el = parent.find(qn(tag))
    if el is None:
        from docx.oxml import OxmlElement

        el = OxmlElement(tag)
        parent.insert(0, el)  # tcW is the first child of tcPr (after cnfStyle, which we never write)
    el.set(qn("w:w"), str(twips))
    el.set(qn("w:type"), "dxa")


def lay_out_tables(document, context: Mapping[str, Any], drop: Iterable[str] = ()) -> None:
    """Set every loop table's column widths from the rows ``context`` will fill it with, and
    remove the columns whose header is in ``drop`` (lower case) and those every row leaves
    empty, so nothing prints as an empty column.  Tables the coordinator merged
    cells in, or whose loops cannot be followed, keep the template's widths."""
    body = document.element.body
    _STYLE_MAPS.clear()
    drop = {d.lower() for d in drop}
    size = _font_size_pt(document.styles.element)
    loops: dict[str, list] = {}
    tables = dict(_section_widths(body))
    for el in list(body.iter(qn("w:p"), qn("w:tbl"))):
        if el.tag == qn("w:p"):
            for var, expr in _LOOP.findall(_text(el)):
                items = _resolve(expr, loops, context)
                if items is not None:
                    loops[var] = items
            continue
        if el not in tables:
            continue
        _lay_out(el, tables[el], loops, context, drop, size, document.styles.element)


def _lay_out(tbl, available: int, loops: dict, context: Mapping[str, Any], drop: set[str], size: float,
             styles_element) -> None:
    rows = tbl.findall(qn("w:tr"))
    grid = tbl.find(qn("w:tblGrid"))
    if not rows or grid is None:
        return
    cols = grid.findall(qn("w:gridCol"))
    cell_rows = [r.findall(qn("w:tc")) for r in rows]
    if any(len(cells) != len(cols) for cells in cell_rows) or tbl.find(".//" + qn("w:gridSpan")) is not None:
        return
    headers = [_text(c).strip() for c in cell_rows[0]]
    loop_var, items, data_row = None, None, 0
    for k, cells in enumerate(cell_rows[1:-1], start=1):
        m = _LOOP.search(_text(cells[0]))
        if m:
            loop_var, items, data_row = m.group(1), _resolve(m.group(2), loops, context), k + 1
            break
    if loop_var is None or items is None:
        return
    texts: list[list[str]] = []
    filled: list[bool] = []  # a column the rows put text in (or text of the template's own)
    for cell in cell_rows[data_row]:
        paths = [p for v, p in _VAR.findall(_text(cell)) if v == loop_var]
        texts.append([" ".join(str(_get(it, p)) for p in paths) for it in items])
        filled.append(not paths or not items or any(t.strip() for t in texts[-1]))
    # dropped: the columns named, and those every row leaves empty (Commentary before anyone
    # wrote one) — never the first, which holds the loop's tags
    keep = [i for i, h in enumerate(headers) if h.lower() not in drop and (filled[i] or i == 0)]
    if len(keep) < len(headers):
        for i in sorted(set(range(len(headers))) - set(keep), reverse=True):
            grid.remove(cols[i])
            for cells in cell_rows:
                cells[i].getparent().remove(cells[i])
        cols = [cols[i] for i in keep]
        cell_rows = [[cells[i] for i in keep] for cells in cell_rows]
        headers = [headers[i] for i in keep]
        texts = [texts[i] for i in keep]
    size = max(_cell_size_pt(cell_rows[data_row][0], styles_element, size),
               _cell_size_pt(cell_rows[0][0], styles_element, size))
    widths = column_widths(headers, texts, available, size)
    for col, w in zip(cols, widths):
        col.set(qn("w:w"), str(w))
    for cells in cell_rows:
        for cell, w in zip(cells, widths):
            _set_width(cell.get_or_add_tcPr(), "w:tcW", w)
    tbl_pr = tbl.find(qn("w:tblPr"))
    if tbl_pr is not None:
        tbl_w = tbl_pr.find(qn("w:tblW"))
        if tbl_w is not None:
            tbl_w.set(qn("w:w"), str(sum(widths)))
            tbl_w.set(qn("w:type"), "dxa")
