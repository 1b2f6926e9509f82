"""The Word progress report, reopened with python-docx and rendered by LibreOffice."""
from __future__ import annotations

import re
import subprocess

import pytest
from docx import Document
from docx.oxml.ns import qn

from planbook.core.errors import TemplateError
from planbook.word.report import render_report
from planbook.core.status import COLOURS, COUNT_LINES

from .conftest import lo_convert, run_cli


def _text(doc) -> str:
    return "\n".join(p.text for p in doc.paragraphs)


def test_counts_in_the_words_equal_the_consolidation(demo):
    doc = Document(str(demo.files["summary"]))
    counts = demo.consolidation.status_counts()
    m = re.search(r"Of the (\d+) actions, (\d+) are complete or on track, (\d+) show slippage, (\d+) are off track",
                  _text(doc))
    assert m, _text(doc)[:500]
    assert [int(x) for x in m.groups()] == [len(demo.consolidation.actions), counts["Complete"] + counts["On track"],
                                            counts["Slippage"], counts["Off track"]]
    status_table = doc.tables[0]
    # the five statuses always, then "No status given" / "Status not recognised" when they occur
    assert {r.cells[0].text: int(r.cells[1].text) for r in status_table.rows[1:]} == \
        {s: counts.get(s, 0) for s in COUNT_LINES if s in COLOURS or counts.get(s)}
    assert counts.get("Status not recognised") == 1  # the demo's lead who typed a status by hand


def _fill(cell) -> str | None:
    shd = cell._tc.find(qn("w:tcPr") + "/" + qn("w:shd")) if cell._tc.tcPr is not None else None
    return shd.get(qn("w:fill")).upper() if shd is not None else None


def test_status_cells_carry_rag_shading_and_the_word(demo):
    doc = Document(str(demo.files["summary"]))
    seen = set()
    for table in doc.tables:
        header = [c.text for c in table.rows[0].cells]
        if "Status" not in header:
            continue
        col = header.index("Status")
        for row in table.rows[1:]:
            word = row.cells[col].text.replace(" (overdue)", "")
            if word.endswith(" (status not recognised)") or word in ("Status not recognised", "No status given"):
                # kept as typed and said so in words; the count lines of statuses that have no colour
                continue
            assert word in COLOURS, word  # the word is always there: colour only reinforces it
            assert _fill(row.cells[col]) == COLOURS[word][1].lstrip("#").upper()
            seen.add(word)
    assert seen == set(COLOURS)


def test_chart_embedded_with_alt_text_headings_and_header_rows(demo):
    doc = Document(str(demo.files["summary"]))
    (chart,) = doc.inline_shapes
    assert "status" in chart._inline.docPr.get("descr")
    # a native Word chart (DrawingML chart part), not a picture
    assert chart._inline.graphic.graphicData.get("uri") == "http://schemas.openxmlformats.org/drawingml/2006/chart"
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert ["Purpose", "Recommendations", "Summary of performance", "Progress by theme", "Exceptions",
            "Changes since last report", "Appendix: the whole plan"] == [h for h in headings if h in {
                "Purpose", "Recommendations", "Summary of performance", "Progress by theme", "Exceptions",
                "Changes since last report", "Appendix: the whole plan"}]
    assert "Staying Safe" in headings  # one appendix heading per theme
    for table in doc.tables:
        assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
    appendix_rows = sum(len(t.rows) - 1 for t in doc.tables[-6:])
    assert appendix_rows == 122


def test_libreoffice_renders_a_sensible_number_of_pages(demo, tmp_path, soffice):
    pdf = lo_convert(soffice, demo.files["summary"], "pdf", tmp_path)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    assert 5 <= pages <= 30


def _custom_template(path, body: str) -> None:
    doc = Document()
    doc.add_heading("{{ title }}", level=1)
    doc.add_paragraph(body)
    doc.save(str(path))


def test_custom_template_with_misspelt_variable_names_the_tag(demo, tmp_path):
    tpl = tmp_path / "house.docx"
    _custom_template(tpl, "Total: {{ totl }} actions")
    out = tmp_path / "out.docx"
    with pytest.raises(TemplateError, match=r"\{\{ totl \}\}"):
        render_report(demo.files["consolidated"], out, template=tpl)
    assert not out.exists()  # no half-rendered document
    result = run_cli("report", demo.files["consolidated"], "--out", out, "--template", tpl)
    assert result.returncode == 2 and "totl" in result.stderr and "Traceback" not in result.stderr


def test_custom_template_renders_in_house_style(demo, tmp_path):
    tpl = tmp_path / "house.docx"
    _custom_template(tpl, "{{ summary_sentence }} Total {{ total }}.")
    out = tmp_path / "out.docx"
    render_report(demo.files["consolidated"], out, template=tpl)
    text = _text(Document(str(out)))
    assert f"Total {len(demo.consolidation.actions)}." in text and "{{" not in text


def test_report_of_a_plan_not_a_consolidation_is_refused(demo, tmp_path):
    result = run_cli("report", demo.files["plan"], "--out", tmp_path / "x.docx")
    assert result.returncode == 2 and "not a consolidated workbook" in result.stderr
