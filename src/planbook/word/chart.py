"""A native Word chart (DrawingML chart part with its data in an embedded workbook).

A council restyles it in Word like any chart (Chart Design, Edit Data), LibreOffice renders
it, and it costs no plotting library: the chart is a few kilobytes of XML written here.
"""
from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from planbook.core.names import col_letter

C_NS = "http://schemas.openxmlformats.org/drawingml/2006/chart"
A_NS = "http://schemas.openxmlformats.org/drawingml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
WP_NS = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
CT_CHART = "application/vnd.openxmlformats-officedocument.drawingml.chart+xml"
CT_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RT_CHART = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/chart"
RT_PACKAGE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/package"
EMU_PER_CM = 360000


@dataclass(frozen=True)
class Series:
    name: str
    fill: str  # RRGGBB
    values: Sequence[int]


class ChartRun:
    """What the template's ``{{ chart }}`` becomes: closes the tag's run, adds the chart's run."""

    def __init__(self, xml: str) -> None:
        self.xml = xml

    def __html__(self) -> str:  # jinja autoescape: this is markup we wrote, not data
        return self.xml

    __str__ = __html__


def _col(n: int) -> str:
    return col_letter(n)


def _workbook(categories: Sequence[str], series: Sequence[Series]) -> bytes:
    """The chart's data as a small workbook (what Word's Edit Data opens): names in row 1,
    themes in column A, counts beside them."""
    import zipfile

    def cell(ref: str, value: str | int) -> str:
        if isinstance(value, str):
            return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{escape(value)}</t></is></c>'
        return f'<c r="{ref}"><v>{value}</v></c>'

    rows = ['<row r="1">' + cell("A1", "Theme") + "".join(cell(f"{_col(j)}1", s.name)
                                                          for j, s in enumerate(series, start=1)) + "</row>"]
    for i, cat in enumerate(categories, start=2):
        rows.append(f'<row r="{i}">' + cell(f"A{i}", cat) + "".join(
            cell(f"{_col(j)}{i}", s.values[i - 2]) for j, s in enumerate(series, start=1)) + "</row>")
    last = f"{_col(len(series))}{len(categories) + 1}"
    ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    head = "<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
    parts = {
        "[Content_Types].xml": head + (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            '<Override PartName="/xl/styles.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>'),
        "_rels/.rels": head + (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'officeDocument" Target="xl/workbook.xml"/></Relationships>'),
        "xl/workbook.xml": head + (
            f'<workbook xmlns="{ns}" xmlns:r="{R_NS}"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/>'
            "</sheets></workbook>"),
        "xl/_rels/workbook.xml.rels": head + (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'worksheet" Target="worksheets/sheet1.xml"/>'
            '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'styles" Target="styles.xml"/></Relationships>'),
        "xl/styles.xml": head + (
            f'<styleSheet xmlns="{ns}"><fonts count="1"><font><sz val="11"/><name val="Arial"/></font></fonts>'
            '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/>'
            '</fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
            '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'),
        "xl/worksheets/sheet1.xml": head + (
            f'<worksheet xmlns="{ns}"><dimension ref="A1:{last}"/><cols><col min="1" max="1" width="40" '
            f'customWidth="1"/></cols><sheetData>{"".join(rows)}</sheetData></worksheet>'),
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in parts.items():
            z.writestr(name, text.encode("utf-8"))
    return buf.getvalue()


def _str_cache(ref: str, values: Sequence[str]) -> str:
    pts = "".join(f'<c:pt idx="{i}"><c:v>{escape(v)}</c:v></c:pt>' for i, v in enumerate(values))
    return (f"<c:strRef><c:f>{ref}</c:f><c:strCache><c:ptCount val=\"{len(values)}\"/>{pts}"
            "</c:strCache></c:strRef>")


def _num_cache(ref: str, values: Sequence[int]) -> str:
    pts = "".join(f'<c:pt idx="{i}"><c:v>{v}</c:v></c:pt>' for i, v in enumerate(values))
    return (f"<c:numRef><c:f>{ref}</c:f><c:numCache><c:formatCode>General</c:formatCode>"
            f"<c:ptCount val=\"{len(values)}\"/>{pts}</c:numCache></c:numRef>")


def _latin(font: str) -> str:
    return f"<a:latin typeface={quoteattr(font)}/>" if font else ""


def _text_props(size: int, font: str = "") -> str:
    latin = f"<a:latin typeface={quoteattr(font)}/>" if font else ""
    return (f'<c:txPr><a:bodyPr/><a:lstStyle/><a:p><a:pPr><a:defRPr sz="{size}">{latin}</a:defRPr></a:pPr>'
            '<a:endParaRPr lang="en-GB"/></a:p></c:txPr>')


def chart_xml(categories: Sequence[str], series: Sequence[Series], workbook_rid: str, font: str = "") -> str:
    """chartN.xml: a horizontal stacked bar chart, one bar per category, one segment per series."""
    n = len(categories)
    cat_ref = f"Sheet1!$A$2:$A${n + 1}"
    sers = []
    for j, s in enumerate(series):
        col = _col(j + 1)
        sers.append(
            f'<c:ser><c:idx val="{j}"/><c:order val="{j}"/><c:tx>{_str_cache(f"Sheet1!${col}$1", [s.name])}</c:tx>'
            f'<c:spPr><a:solidFill><a:srgbClr val="{s.fill}"/></a:solidFill>'
            '<a:ln w="6350"><a:solidFill><a:srgbClr val="404040"/></a:solidFill></a:ln></c:spPr>'
            '<c:invertIfNegative val="0"/>'
            f"<c:cat>{_str_cache(cat_ref, categories)}</c:cat>"
            f"<c:val>{_num_cache(f'Sheet1!${col}$2:${col}${n + 1}', s.values)}</c:val></c:ser>")
    axis_line = '<c:spPr><a:ln w="6350"><a:solidFill><a:srgbClr val="595959"/></a:solidFill></a:ln></c:spPr>'
    return (
        "<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
        f'<c:chartSpace xmlns:c="{C_NS}" xmlns:a="{A_NS}" xmlns:r="{R_NS}">'
        '<c:date1904 val="0"/><c:lang val="en-GB"/><c:roundedCorners val="0"/>'
        '<c:chart><c:autoTitleDeleted val="1"/><c:plotArea><c:layout/>'
        '<c:barChart><c:barDir val="bar"/><c:grouping val="stacked"/><c:varyColors val="0"/>'
        + "".join(sers) +
        '<c:gapWidth val="60"/><c:overlap val="100"/><c:axId val="510001"/><c:axId val="510002"/></c:barChart>'
        '<c:catAx><c:axId val="510001"/><c:scaling><c:orientation val="maxMin"/></c:scaling><c:delete val="0"/>'
        '<c:axPos val="l"/><c:numFmt formatCode="General" sourceLinked="0"/><c:majorTickMark val="none"/>'
        f'<c:minorTickMark val="none"/><c:tickLblPos val="nextTo"/>{axis_line}{_text_props(900, font)}'
        '<c:crossAx val="510002"/><c:crosses val="autoZero"/><c:auto val="1"/><c:lblAlgn val="ctr"/>'
        '<c:lblOffset val="100"/><c:noMultiLvlLbl val="0"/></c:catAx>'
        '<c:valAx><c:axId val="510002"/><c:scaling><c:orientation val="minMax"/></c:scaling><c:delete val="0"/>'
        '<c:axPos val="b"/><c:majorGridlines><c:spPr><a:ln w="3175"><a:solidFill><a:srgbClr val="D9D9D9"/>'
        '</a:solidFill></a:ln></c:spPr></c:majorGridlines>'
        '<c:title><c:tx><c:rich><a:bodyPr/><a:lstStyle/><a:p><a:pPr><a:defRPr sz="900" b="0"/></a:pPr>'
        f'<a:r><a:rPr lang="en-GB" sz="900" b="0">{_latin(font)}</a:rPr><a:t>Number of actions</a:t></a:r></a:p></c:rich></c:tx>'
        '<c:overlay val="0"/></c:title>'
        '<c:numFmt formatCode="0" sourceLinked="0"/><c:majorTickMark val="out"/><c:minorTickMark val="none"/>'
        f'<c:tickLblPos val="nextTo"/>{axis_line}{_text_props(900, font)}<c:crossAx val="510001"/>'
        '<c:crosses val="max"/><c:crossBetween val="between"/></c:valAx>'
        '</c:plotArea><c:legend><c:legendPos val="b"/><c:overlay val="0"/>' + _text_props(900, font) + '</c:legend>'
        '<c:plotVisOnly val="1"/><c:dispBlanksAs val="gap"/></c:chart>'
        '<c:spPr><a:noFill/><a:ln><a:noFill/></a:ln></c:spPr>'
        + _text_props(1000, font) +
        f'<c:externalData r:id="{workbook_rid}"><c:autoUpdate val="0"/></c:externalData>'
        "</c:chartSpace>")


def add_bar_chart(document_part, categories: Sequence[str], series: Sequence[Series], *, title: str,
                  description: str, width_cm: float = 16.0, height_cm: float | None = None,
                  font: str = "") -> ChartRun:
    """Add the chart and its data to ``document_part`` (python-docx); return what replaces the tag."""
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part

    package = document_part.package
    existing = {str(p.partname) for p in package.iter_parts()}
    k = 1
    while f"/word/charts/chart{k}.xml" in existing:
        k += 1
    xlsx = Part(PackURI(f"/word/embeddings/Microsoft_Excel_Worksheet{k}.xlsx"), CT_XLSX,
                _workbook(categories, series), package)
    chart = Part(PackURI(f"/word/charts/chart{k}.xml"), CT_CHART, b"", package)
    workbook_rid = chart.relate_to(xlsx, RT_PACKAGE)
    chart._blob = chart_xml(categories, series, workbook_rid, font).encode("utf-8")
    rid = document_part.relate_to(chart, RT_CHART)
    if height_cm is None:
        height_cm = min(22.0, max(6.0, 3.0 + 0.9 * len(categories)))
    cx, cy = int(width_cm * EMU_PER_CM), int(height_cm * EMU_PER_CM)
    xml = (
        "</w:t></w:r><w:r><w:drawing>"
        f'<wp:inline xmlns:wp="{WP_NS}" distT="0" distB="0" distL="0" distR="0">'
        f'<wp:extent cx="{cx}" cy="{cy}"/><wp:effectExtent l="0" t="0" r="0" b="0"/>'
        f'<wp:docPr id="{9000 + k}" name="Chart {k}" title={quoteattr(title)} descr={quoteattr(description)}/>'
        "<wp:cNvGraphicFramePr/>"
        f'<a:graphic xmlns:a="{A_NS}"><a:graphicData uri="{C_NS}">'
        f'<c:chart xmlns:c="{C_NS}" xmlns:r="{R_NS}" r:id="{rid}"/></a:graphicData></a:graphic>'
        '</wp:inline></w:drawing></w:r><w:r><w:t xml:space="preserve">')
    return ChartRun(xml)
