"""Accessibility checks of a Word document (UK public-sector rules, WCAG 2.1 AA), read from its XML.

Used by ``planbook report --check-accessibility`` on the report just written (with the
council's own template too) and by the tests: document language, title, headings in order,
alt text on every picture and chart, table header rows marked, shaded cells saying their
status in words, and the contrast of the text on every shaded cell.
"""
from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
WP = "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}"
DC = "{http://purl.org/dc/elements/1.1/}"
#: WCAG 2.1 AA minimum contrast for normal-size text.
AA_CONTRAST = 4.5


@dataclass(frozen=True)
class Check:
    """One accessibility check of a Word document: its name, whether it passed, and what was found."""

    name: str
    ok: bool
    detail: str


def relative_luminance(hex_colour: str) -> float:
    """WCAG relative luminance of an RRGGBB colour."""
    h = hex_colour.lstrip("#")
    channels = [int(h[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast_ratio(a: str, b: str) -> float:
    """WCAG contrast ratio of two RRGGBB colours (1 to 21)."""
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _off(el) -> bool:
    return el is not None and el.get(W + "val") in ("0", "false", "off")


class _Styles:
    def __init__(self, root) -> None:
        self.by_id = {s.get(W + "styleId"): s for s in root.iter(W + "style")} if root is not None else {}
        default = root.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr") if root is not None else None
        self.default_rpr = default
        self.lang = None
        if default is not None and default.find(W + "lang") is not None:
            self.lang = default.find(W + "lang").get(W + "val")

    def name(self, style_id: str) -> str:
        s = self.by_id.get(style_id)
        n = s.find(W + "name") if s is not None else None
        return (n.get(W + "val") if n is not None else style_id or "").lower()

    def colour(self, style_id: str | None) -> str | None:
        seen = set()
        while style_id and style_id in self.by_id and style_id not in seen:
            seen.add(style_id)
            s = self.by_id[style_id]
            c = s.find(f"{W}rPr/{W}color")
            if c is not None:
                return c.get(W + "val")
            based = s.find(W + "basedOn")
            style_id = based.get(W + "val") if based is not None else None
        c = self.default_rpr.find(W + "color") if self.default_rpr is not None else None
        return c.get(W + "val") if c is not None else None


def _heading_level(name: str) -> int | None:
    if name == "title":
        return 0
    if name.startswith("heading "):
        try:
            return int(name.split()[1])
        except ValueError:
            return None
    return None


def check_docx(path: str | os.PathLike[str]) -> list[Check]:
    """Every check, passed or not, for the Word document at ``path``."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    with zipfile.ZipFile(Path(path)) as z:
        names = set(z.namelist())
        doc = etree.fromstring(z.read("word/document.xml"), parser)
        styles_root = etree.fromstring(z.read("word/styles.xml"), parser) if "word/styles.xml" in names else None
        core = etree.fromstring(z.read("docProps/core.xml"), parser) if "docProps/core.xml" in names else None
    styles = _Styles(styles_root)
    checks: list[Check] = []

    langs = {el.get(W + "val") for el in doc.iter(W + "lang") if el.get(W + "val")}
    lang_ok = styles.lang == "en-GB" and langs <= {"en-GB"}
    checks.append(Check("language", lang_ok, f"document language {styles.lang or 'not set'}"
                        + (f"; text marked {', '.join(sorted(langs - {'en-GB'}))}" if langs - {"en-GB"} else "")))

    title = core.find(DC + "title") if core is not None else None
    title_text = (title.text or "").strip() if title is not None else ""
    checks.append(Check("title", bool(title_text), f"document title {title_text!r}" if title_text else "no document title"))

    levels, empty = [], 0
    for p in doc.iter(W + "p"):
        st = p.find(f"{W}pPr/{W}pStyle")
        level = _heading_level(styles.name(st.get(W + "val"))) if st is not None else None
        if level is not None:
            levels.append(level)
            empty += not "".join(t.text or "" for t in p.iter(W + "t")).strip()
    jumps = [(a, b) for a, b in zip(levels, levels[1:]) if b > a + 1]
    heading_ok = bool(levels) and min(levels[:1] or [9]) <= 1 and not jumps and not empty
    checks.append(Check("headings", heading_ok,
                        f"{len(levels)} headings" + (f"; level skipped ({jumps[0][0]} to {jumps[0][1]})" if jumps else "")
                        + (f"; {empty} empty" if empty else "") + ("" if levels else "; no headings")))

    pictures = list(doc.iter(WP + "docPr"))
    missing = [d.get("name", "?") for d in pictures if not (d.get("descr") or "").strip()]
    checks.append(Check("alt text", not missing, f"{len(pictures)} pictures/charts"
                        + (f"; without alt text: {', '.join(missing)}" if missing else ", all with alt text")))

    tables = list(doc.iter(W + "tbl"))
    unmarked = 0
    for t in tables:
        first = t.find(W + "tr")
        header = first.find(f"{W}trPr/{W}tblHeader") if first is not None else None
        unmarked += header is None or _off(header)
    checks.append(Check("table headers", not unmarked,
                        f"{len(tables)} tables" + (f"; {unmarked} without a marked header row" if unmarked else
                                                   ", header rows marked")))

    shaded, wordless, worst, failing = 0, 0, 21.0, []
    for tc in doc.iter(W + "tc"):
        shd = tc.find(f"{W}tcPr/{W}shd")
        fill = (shd.get(W + "fill") or "").upper() if shd is not None else ""
        if not fill or fill == "AUTO":
            continue
        text = "".join(t.text or "" for t in tc.iter(W + "t")).strip()
        if fill != "FFFFFF":
            shaded += 1
            wordless += not text
        for r in tc.iter(W + "r"):
            if not "".join(t.text or "" for t in r.iter(W + "t")).strip():
                continue
            c = r.find(f"{W}rPr/{W}color")
            colour = c.get(W + "val") if c is not None else None
            if colour is None:
                p_style = r.getparent().find(f"{W}pPr/{W}pStyle") if r.getparent() is not None else None
                colour = styles.colour(p_style.get(W + "val") if p_style is not None else "Normal")
            colour = "000000" if not colour or colour.lower() == "auto" else colour
            ratio = contrast_ratio(colour, fill)
            worst = min(worst, ratio)
            if ratio < AA_CONTRAST:
                failing.append(f"{colour} on {fill} ({ratio:.1f}:1)")
    checks.append(Check("status in words", not wordless,
                        f"{shaded} coloured cells" + (f"; {wordless} say nothing in words" if wordless else
                                                      ", each with its word")))
    checks.append(Check("contrast", not failing,
                        f"lowest contrast of text on a coloured cell {worst:.1f}:1 (AA needs {AA_CONTRAST}:1)"
                        + (f"; too low: {', '.join(sorted(set(failing))[:5])}" if failing else "")))
    return checks
