"""Build templates/summary.docx, the Word layout of the progress report (docxtpl/jinja2 tags).

Councils restyle the built file in Word (fonts, colours, logo, wording); this script only
makes the starting point.  Run: python scripts/build_templates.py
"""
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

OUT = Path(__file__).resolve().parents[1] / "templates" / "summary.docx"


def _repeat_header(table) -> None:
    tr_pr = table.rows[0]._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    tr_pr.append(el)


def _loop_table(doc, headers, widths_cm, cells, loop, shade_col=None):
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
    for i, w in enumerate(widths_cm):
        table.columns[i].width = Cm(w)  # the grid: what LibreOffice and Word lay out by
    for row in table.rows:
        for i, w in enumerate(widths_cm):
            row.cells[i].width = Cm(w)
    _repeat_header(table)
    return table


def build() -> None:
    doc = Document()
    normal = doc.styles["Normal"]
    normal.font.name = "Arial"
    normal.font.size = Pt(10.5)
    sec = doc.sections[0]
    sec.left_margin = sec.right_margin = Cm(2)
    doc.add_paragraph("{{ title }}", style="Title")
    doc.add_paragraph("Progress report: {{ period }}. Position as at {{ as_of }}.")
    doc.add_heading("Purpose of the report", level=1)
    doc.add_paragraph("{{ purpose }}")
    doc.add_heading("Summary of performance", level=1)
    doc.add_paragraph("{{ summary_sentence }}")
    doc.add_paragraph("{{ timescale_sentence }}")
    _loop_table(doc, ["Status", "Actions", "%"], [5, 3, 3],
                ["{% cellbg s.fill %}{{ s.status }}", "{{ s.count }}", "{{ s.percent }}"], "for s in status_rows")
    doc.add_heading("Progress by theme", level=2)
    _loop_table(doc, ["Theme", "Complete", "On track", "Slippage", "Off track", "Not started", "Total"],
                [3.9, 2.5, 2.1, 2.4, 2.1, 2.1, 1.6],  # room for "Complete", "Slippage", "Total" unbroken
                ["{{ t.theme }}", *("{% cellbg t.fills[" + str(i) + "] %}{{ t.counts[" + str(i) + "] }}" for i in range(5)),
                 "{{ t.total }}"], "for t in theme_rows")
    doc.add_paragraph("{{ chart }}")
    doc.add_paragraph("{{ chart_caption }}", style="Caption")
    doc.add_heading("Actions with slippage, off track or overdue", level=1)
    doc.add_paragraph("{{ exceptions_sentence }}")
    _loop_table(doc, ["Ref", "Action", "Lead", "Due", "Status", "Commentary"], [1.2, 4.6, 2.4, 2.0, 2.6, 4.2],
                ["{{ e.ref }}", "{{ e.action }}", "{{ e.lead }}", "{{ e.due }}", "{% cellbg e.fill %}{{ e.status }}",
                 "{{ e.progress }}"], "for e in exceptions")
    doc.add_heading("What has changed since the last report", level=1)
    doc.add_paragraph("{{ changes_sentence }}")
    _loop_table(doc, ["Change", "Ref", "Action", "Before", "Now"], [3, 1.3, 6.4, 3, 3.7],
                ["{{ c.kind }}", "{{ c.ref }}", "{{ c.action }}", "{{ c.before }}", "{{ c.after }}"],
                "for c in changes")
    land = doc.add_section(WD_SECTION.NEW_PAGE)
    land.orientation = WD_ORIENT.LANDSCAPE
    land.page_width, land.page_height = sec.page_height, sec.page_width
    land.left_margin = land.right_margin = Cm(1.5)
    doc.add_heading("Appendix: the whole plan", level=1)
    doc.add_paragraph("{%p for group in appendix %}")
    doc.add_heading("{{ group.theme }}", level=2)
    _loop_table(doc, ["Ref", "Action", "Lead", "Due", "Status", "Progress update"], [1.3, 8.5, 3.4, 2.8, 2.7, 8.0],
                ["{{ a.ref }}", "{{ a.action }}", "{{ a.lead }}", "{{ a.due }}", "{% cellbg a.fill %}{{ a.status }}",
                 "{{ a.progress }}"], "for a in group.actions")
    doc.add_paragraph("{%p endfor %}")
    OUT.parent.mkdir(exist_ok=True)
    doc.core_properties.title = "planbook progress report template"
    doc.save(OUT)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    build()
