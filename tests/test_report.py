"""The Word progress report, reopened with python-docx and rendered by LibreOffice."""
from __future__ import annotations

import email
import email.policy
import re
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from docx import Document
from python_calamine import CalamineWorkbook
from docx.oxml.ns import qn

from planbook.core.errors import TemplateError
from planbook.word.report import BODY_EXCEPTIONS, render_report
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
            word = re.sub(r" \((overdue|not updated this period|details missing|flagged for checking)\)", "",
                          row.cells[col].text)  # why an action is listed, after its status
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
            "Changes since last report", "Appendix: the rest of the plan"] == [h for h in headings if h in {
                "Purpose", "Recommendations", "Summary of performance", "Progress by theme", "Exceptions",
                "Changes since last report", "Appendix: the rest of the plan"}]
    assert "Staying Safe" in headings  # one appendix heading per theme
    for table in doc.tables:
        assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
    appendix_rows = sum(len(t.rows) - 1 for t in doc.tables[-6:])
    exception_rows = len(next(t for t in doc.tables if t.rows[0].cells[-1].text == "Commentary").rows) - 1
    # each action once: under Exceptions, in the appendix, or counted as complete before with nothing new
    m = re.search(r"the (\d+) actions already complete at the last report, with nothing new since, are not listed",
                  _text(doc))
    assert m and appendix_rows + exception_rows + int(m.group(1)) == 122


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


# --- one attention count (issue 22 item 1) ---------------------------------------------------

def _attention_parts(why_texts) -> Counter:
    """Each Exceptions row counted once, under its first reason (read here independently)."""
    parts: Counter = Counter()
    for why in why_texts:
        first = why.split("; ", 1)[0]
        parts["off track" if first == "Off track" else "slippage" if first == "Slippage" else
              "overdue" if first.startswith("Overdue (due ") else
              "not updated this period" if first == "Not updated this period" else
              "with details missing" if first.startswith("Missing ") else
              "with an unrecognised status" if first.startswith("Status not recognised (") else
              "with no status given" if first == "No status given" else "flagged for checking"] += 1
    return parts


def _said(text: str) -> tuple[int, Counter]:
    m = re.search(r"([\d,]+) actions? needs? attention: (.*?)(?: \(each counted once[^)]*\))?\.", text)
    assert m, text[:600]
    parts = Counter({what: int(n.replace(",", "")) for n, what in re.findall(r"([\d,]+) ([a-z ]+?)(?=,| and |$)",
                                                                              m.group(2))})
    return int(m.group(1).replace(",", "")), parts


def test_report_and_email_count_what_the_exceptions_sheet_lists(demo):
    """The demo's report said '42 actions need attention' (off track, slippage, overdue) while the
    Exceptions sheet listed 49 (also not updated this period, details missing): the report and
    the email now count the sheet's rows, in the same parts, and list every one."""
    rows = CalamineWorkbook.from_path(str(demo.files["consolidated"])).get_sheet_by_name("Exceptions").to_python()
    assert rows[0][0] == "Why"
    whys = [str(r[0]) for r in rows[1:] if any(v != "" for v in r)]
    expected = _attention_parts(whys)
    assert len(whys) == 49 and set(expected) > {"off track", "slippage", "overdue"}  # the demo has several kinds
    doc = Document(str(demo.files["summary"]))
    assert _said(_text(doc)) == (len(whys), expected)
    body = next(t for t in doc.tables if [c.text for c in t.rows[0].cells][-1] == "Commentary")
    listed = [r.cells[0].text for r in body.rows[1:]]
    assert len(whys) <= BODY_EXCEPTIONS  # so the body lists every one
    assert sorted(listed) == sorted(str(r[1]) for r in rows[1:] if any(v != "" for v in r))
    msg = email.message_from_bytes(Path(demo.files["email"]).read_bytes(), policy=email.policy.default)
    text = msg.get_body(("plain",)).get_content()
    assert _said(text) == (len(whys), expected)
    shown = len(re.findall(r"^- ", text.split("Needing attention:\n", 1)[1].split("\n\n", 1)[0], re.M))
    more = re.search(r"\.\.\. and (\d+) more", text)
    assert shown + (int(more.group(1)) if more else 0) == len(whys)
    assert demo.consolidation.attention().total == len(whys)
