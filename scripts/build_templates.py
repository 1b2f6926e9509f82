"""Build templates/summary.docx, the Word layout of the progress report (docxtpl/jinja2 tags).

The house style of a UK committee report: A4, 2 cm margins, the plan's title and period and
"Page x of y" in the footer, sections Purpose, Recommendations, Summary of performance,
Progress by theme, then on landscape pages (room for wide Action and Commentary columns)
Exceptions, Changes since last report and the Appendix.  Document language en-GB; table
header rows repeat and are marked as headers; rows never split.  Column widths here are only
a starting point: the report sets them from the content.

Councils restyle the built file in Word (fonts, colours, logo, wording); this script only
makes the starting point.  Run: python scripts/build_templates.py
(``--tables-on-landscape FILE`` moves an existing template's tables onto landscape pages).
"""
import sys
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

OUT = Path(__file__).resolve().parents[1] / "templates" / "summary.docx"
A4 = (Cm(21.0), Cm(29.7))
MARGIN = Cm(2.0)


def _row_properties(table) -> None:
    """Header row repeats on every page (``<w:tblHeader/>`` as Word writes it); no row splits."""
    for i, row in enumerate(table.rows):
        tr_pr = row._tr.get_or_add_trPr()
        tr_pr.append(OxmlElement("w:cantSplit"))  # schema order: cantSplit before tblHeader
        if i == 0:
            tr_pr.append(OxmlElement("w:tblHeader"))


def _loop_table(doc, headers, widths_cm, cells, loop):
    """A table: header row, '{%tr for %}' row, data row, '{%tr endfor %}' row."""
    table = doc.add_table(rows=4, cols=len(headers))
    table.style = "Table Grid"
    table.autofit = False
    for i, h in enumerate(headers):
        table.rows[0].cells[i].text = h
        for run in table.rows[0].cells[i].paragraphs[0].runs:
            run.bold = True
    table.rows[1].cells[0].text = "{%tr " + loop + " %}"
    for i, text in enumerate(cells):
        table.rows[2].cells[i].text = text
    table.rows[3].cells[0].text = "{%tr endfor %}"
    for row in table.rows:
        for cell in row.cells:
            cell.paragraphs[0].style = doc.styles["Table Text"]
    for i, w in enumerate(widths_cm):
        table.columns[i].width = Cm(w)  # the grid: what LibreOffice and Word lay out by
    for row in table.rows:
        for i, w in enumerate(widths_cm):
            row.cells[i].width = Cm(w)
    _row_properties(table)
    return table


def _field(paragraph, instr: str, placeholder: str) -> None:
    """A simple field (PAGE, NUMPAGES) that Word and LibreOffice update when they lay out the page."""
    fld = OxmlElement("w:fldSimple")
    fld.set(qn("w:instr"), f" {instr} ")
    run = OxmlElement("w:r")
    rpr = OxmlElement("w:rPr")
    size = OxmlElement("w:sz")
    size.set(qn("w:val"), "18")
    rpr.append(size)
    run.append(rpr)
    text = OxmlElement("w:t")
    text.text = placeholder
    run.append(text)
    fld.append(run)
    paragraph._p.append(fld)


def _footer(section) -> None:
    """'{{ title }} · {{ period }}' and the contact line on the left, 'Page x of y' on the right."""
    para = section.footer.paragraphs[0]
    width = section.page_width - section.left_margin - section.right_margin
    para.paragraph_format.tab_stops.add_tab_stop(width, WD_TAB_ALIGNMENT.RIGHT)
    para.add_run("{{ title }} · {{ period }}{{ footer_contact }}\tPage ")
    _field(para, "PAGE", "1")
    para.add_run(" of ")
    _field(para, "NUMPAGES", "1")
    for run in para.runs:
        run.font.size = Pt(9)


def _language(doc, lang: str = "en-GB") -> None:
    """Document language en-GB: the default run properties and every style that names one."""
    styles = doc.styles.element
    rpr_default = styles.find(qn("w:docDefaults") + "/" + qn("w:rPrDefault") + "/" + qn("w:rPr"))
    for el in [*styles.iter(qn("w:lang"))]:
        for attr in ("w:val", "w:eastAsia", "w:bidi"):
            if el.get(qn(attr)) is not None and attr == "w:val":
                el.set(qn(attr), lang)
    if rpr_default is not None and rpr_default.find(qn("w:lang")) is None:
        el = OxmlElement("w:lang")
        el.set(qn("w:val"), lang)
        rpr_default.append(el)
    # the spelling/grammar language Word offers by default
    settings = doc.settings.element
    theme_font_lang = settings.find(qn("w:themeFontLang"))
    if theme_font_lang is not None:
        theme_font_lang.set(qn("w:val"), lang)


def _text(p) -> str:
    return "".join(t.text or "" for t in p.iter(qn("w:t")))


def tables_on_landscape(doc) -> bool:
    """Start the landscape pages at the Exceptions heading rather than at the Appendix: the
    section break (the portrait pages' ``sectPr``) moves into an empty paragraph before
    "Exceptions"; the Appendix follows the changes on the same landscape pages.  Returns False
    if it was done already."""
    body = doc.element.body
    paras = list(body.iterchildren(qn("w:p")))
    exceptions = next(p for p in paras if _text(p).strip() == "Exceptions"
                      and p.find(f"{qn('w:pPr')}/{qn('w:pStyle')}") is not None)
    holder = next(p for p in paras if p.find(f"{qn('w:pPr')}/{qn('w:sectPr')}") is not None)
    if paras.index(holder) < paras.index(exceptions):
        return False
    sect = holder.find(f"{qn('w:pPr')}/{qn('w:sectPr')}")
    holder.find(qn("w:pPr")).remove(sect)
    if not _text(holder).strip() and not len(holder.find(qn("w:pPr"))):
        body.remove(holder)
    new = OxmlElement("w:p")
    new_pr = OxmlElement("w:pPr")
    new_pr.append(sect)
    new.append(new_pr)
    exceptions.addprevious(new)
    return True


def build() -> None:
    doc = Document()
    normal = doc.styles["Normal"]
    normal.font.name = "Arial"
    normal.font.size = Pt(10.5)
    for name, size in (("Title", 20), ("Heading 1", 14), ("Heading 2", 12)):
        style = doc.styles[name]
        style.font.name = "Arial"
        style.font.size = Pt(size)
        style.font.color.rgb = RGBColor(0x1F, 0x3A, 0x5F)  # dark blue: 11.6:1 on white
    doc.styles["Caption"].font.color.rgb = RGBColor(0x40, 0x40, 0x40)
    table_text = doc.styles.add_style("Table Text", WD_STYLE_TYPE.PARAGRAPH)
    table_text.base_style = normal
    table_text.font.size = Pt(9)  # 9 pt: a 130-action plan's tables fit a committee paper
    table_text.paragraph_format.space_after = Pt(0)
    if "Recommendation" not in [s.name for s in doc.styles]:
        rec = doc.styles.add_style("Recommendation", WD_STYLE_TYPE.PARAGRAPH)
        rec.base_style = doc.styles["List Number"]
    _language(doc)
    footer_tabs = doc.styles["Footer"].element.find(qn("w:pPr") + "/" + qn("w:tabs"))
    if footer_tabs is not None:  # Letter-size tab stops: each footer sets its own right tab
        footer_tabs.getparent().remove(footer_tabs)
    sec = doc.sections[0]
    sec.page_width, sec.page_height = A4
    sec.left_margin = sec.right_margin = MARGIN
    sec.top_margin = sec.bottom_margin = MARGIN
    _footer(sec)

    doc.add_paragraph("{{ title }}", style="Title")
    doc.add_paragraph("Progress report: {{ period }}.{% if as_of %} Position as at {{ as_of }}.{% endif %}")
    doc.add_heading("Purpose", level=1)
    doc.add_paragraph("{{ purpose }}")
    doc.add_heading("Recommendations", level=1)
    doc.add_paragraph("{%p for r in recommendations %}")
    doc.add_paragraph("{{ r }}", style="Recommendation")
    doc.add_paragraph("{%p endfor %}")
    doc.add_heading("Summary of performance", level=1)
    doc.add_paragraph("{{ summary_sentence }}")
    doc.add_paragraph("{%p if direction_sentence %}")
    doc.add_paragraph("{{ direction_sentence }}")
    doc.add_paragraph("{%p endif %}")
    doc.add_paragraph("{%p if timescale_sentence %}")
    doc.add_paragraph("{{ timescale_sentence }}")
    doc.add_paragraph("{%p endif %}")
    doc.add_paragraph("{%p if returns_sentence %}")
    doc.add_paragraph("{{ returns_sentence }}")
    doc.add_paragraph("{%p endif %}")
    _loop_table(doc, ["Status", "Actions", "%"], [5, 3, 3],
                ["{% cellbg s.fill %}{{ s.status }}", "{{ s.count }}", "{{ s.percent }}"], "for s in status_rows")
    doc.add_heading("Progress by theme", level=1)
    shorts = ["complete", "on_track", "slippage", "off_track", "not_started", "no_status", "unrecognised"]
    _loop_table(doc, ["Theme", "Complete", "On track", "Slippage", "Off track", "Not started", "No status given",
                      "Status not recognised", "Total", "Since last report"],
                [3.4, 1.6, 1.6, 1.6, 1.6, 1.6, 1.6, 1.6, 1.2, 2.2],
                ["{{ t.theme }}", *("{% cellbg t.fill." + s + " %}{{ t.n." + s + " }}" for s in shorts),
                 "{{ t.total }}", "{{ t.direction }}"], "for t in theme_rows")
    doc.add_paragraph("{{ chart }}")
    doc.add_paragraph("{{ chart_caption }}", style="Caption")
    # the year so far, once the plan has two periods of history (planbook.word.year)
    doc.add_paragraph("{%p if year_periods %}")
    doc.add_heading("Progress over the year", level=1)
    doc.add_paragraph("{{ year_sentence }}")
    doc.add_paragraph("{%p for t in year_themes %}")
    doc.add_heading("{{ t.theme }}", level=2)
    doc.add_paragraph("{{ t.chart }}")
    doc.add_paragraph("{{ t.caption }}", style="Caption")
    doc.add_paragraph("{%p endfor %}")
    doc.add_paragraph("{%p if trend_rows %}")
    doc.add_paragraph("{{ trend_sentence }}")
    _loop_table(doc, ["Ref", "Action", "Lead", "Trend over the year", "Unchanged for"], [1.3, 6.4, 3.0, 4.2, 2.5],
                ["{{ r.ref }}", "{{ r.action }}", "{{ r.lead }}", "{{ r.trend }}", "{{ r.still }}"], "for r in trend_rows")
    doc.add_paragraph("{%p endif %}")
    doc.add_paragraph("{%p if still_sentence %}")
    doc.add_paragraph("{{ still_sentence }}")
    doc.add_paragraph("{%p endif %}")
    doc.add_paragraph("{%p endif %}")
    doc.add_heading("Exceptions", level=1)
    doc.add_paragraph("{{ exceptions_sentence }}")
    doc.add_paragraph("{%p if exceptions %}")
    _loop_table(doc, ["Ref", "Action", "Lead", "Due", "Status", "Since last report", "Commentary"],
                [1.2, 4.6, 2.4, 2.0, 2.6, 1.8, 4.2],
                ["{{ e.ref }}", "{{ e.action }}", "{{ e.lead }}", "{{ e.due }}", "{% cellbg e.fill %}{{ e.status }}",
                 "{{ e.direction }}", "{{ e.progress }}"], "for e in exceptions")
    doc.add_paragraph("{%p endif %}")
    doc.add_heading("Changes since last report", level=1)
    doc.add_paragraph("{{ changes_sentence }}")
    doc.add_paragraph("{%p if changes %}")
    _loop_table(doc, ["Change", "Ref", "Action", "Before", "Now"], [3, 1.3, 6.4, 3, 3.7],
                ["{{ c.kind }}", "{{ c.ref }}", "{{ c.action }}", "{{ c.before }}", "{{ c.after }}"],
                "for c in changes")
    doc.add_paragraph("{%p endif %}")
    doc.add_paragraph("{%p if commentary_sentence %}")
    doc.add_paragraph("{{ commentary_sentence }}").paragraph_format.space_before = Pt(10)
    _loop_table(doc, ["Theme", "Commentary updated", "Unchanged", "Actions"], [7, 3.5, 3.5, 3],
                ["{{ c.theme }}", "{{ c.updated }}", "{{ c.not_updated }}", "{{ c.total }}"], "for c in commentary_rows")
    doc.add_paragraph("{%p endif %}")
    doc.add_paragraph("{%p if not_updated_sentence %}")
    doc.add_paragraph("{{ not_updated_sentence }}").paragraph_format.space_before = Pt(10)
    doc.add_paragraph("{%p endif %}")
    doc.add_paragraph("{%p for n in not_updated %}")
    doc.add_paragraph("{{ n.lead }}: {{ n.refs }}", style="List Bullet")
    doc.add_paragraph("{%p endfor %}")

    land = doc.add_section(WD_SECTION.NEW_PAGE)
    land.orientation = WD_ORIENT.LANDSCAPE
    land.page_width, land.page_height = A4[1], A4[0]
    land.left_margin = land.right_margin = MARGIN
    land.top_margin = land.bottom_margin = MARGIN
    land.footer.is_linked_to_previous = False
    _footer(land)
    doc.add_heading("Appendix: {{ appendix_title }}", level=1)
    doc.add_paragraph("{{ appendix_sentence }}")
    doc.add_paragraph("{%p for group in appendix %}")
    doc.add_heading("{{ group.theme }}", level=2)
    _loop_table(doc, ["Ref", "Action", "Lead", "Due", "Status", "Since last report", "Progress update"],
                [1.3, 8.5, 3.4, 2.8, 2.7, 2.0, 8.0],
                ["{{ a.ref }}", "{{ a.action }}", "{{ a.lead }}", "{{ a.due }}", "{% cellbg a.fill %}{{ a.status }}",
                 "{{ a.direction }}", "{{ a.progress }}"], "for a in group.actions")
    doc.add_paragraph("{%p endfor %}")
    tables_on_landscape(doc)
    OUT.parent.mkdir(exist_ok=True)
    doc.core_properties.title = "Progress report"
    doc.core_properties.language = "en-GB"
    doc.save(OUT)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--tables-on-landscape"]:
        for path in sys.argv[2:]:
            d = Document(path)
            if tables_on_landscape(d):
                d.save(path)
                print(f"moved the tables of {path} onto landscape pages")
    else:
        build()
