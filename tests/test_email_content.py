"""The report email: lead text shown literally and never markup or a header; counts that add
up; lines without empty parts; UK dates; greeting, sign-off and direction of travel.

A hostile plan is written, consolidated by the real CLI, emailed (saved as .eml and sent to a
real aiosmtpd server) and parsed back.
"""
from __future__ import annotations

import datetime as dt
import email
import html
import re
from email import policy
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pytest

from planbook import Action, Lead, PlanInfo, parse_due, write_plan

from .conftest import run_cli
from .test_email import _messages, smtp_server  # noqa: F401  (the real SMTP server fixture)

TITLE = 'Plan & <b>Partners</b> "AT&T"\r\nBcc: evil@attacker.example'
JANE = 'AT&T <Jane> "Smith"'
RAJ = "Raj\r\nBcc: evil@attacker.example"
THEMES = ["Staying Safe & <Well>", "{{ 7*7 }}"]
HOSTILE = ["x < 5 & y > 2", "<script>alert('x')</script>", "<http://evil.example/?a=1&b=2>", "{{ 7*7 }}",
           "{% for x in y %}", "AT&T", "'single' \"double\"", "&amp; &lt;", "<!-- comment -->",
           '<img src="http://evil.example/t.gif">']


def _plan(path: Path) -> None:
    info = PlanInfo(TITLE, "Q2 <2009/10>", [Lead(JANE, "jane@council.example"), Lead(RAJ, "raj@council.example")],
                    THEMES, coordinator='Pat <Co-ordinator> & "Team"', coordinator_email="pat@council.example")
    actions = [
        Action("1.1", HOSTILE[0], JANE, THEMES[0], due=parse_due(dt.date(2009, 9, 30)), status="Off track",
               progress=HOSTILE[1] + " " + HOSTILE[2]),
        Action("1.2", HOSTILE[3], JANE, THEMES[1], due=parse_due("December 2009"), status="Slippage",
               progress=HOSTILE[4] + " " + HOSTILE[5]),
        Action("1.3", HOSTILE[6], RAJ, THEMES[1], status="Off track", progress=" ".join(HOSTILE[7:])),
        Action("2.1", "Waiting", RAJ, THEMES[0], status=None, status_text="Waiting for funding"),
        Action("2.2", "Done well", RAJ, THEMES[0], status="Complete"),
        Action("", "No ref, no lead, no due", "", THEMES[0], status="Off track"),
    ]
    write_plan(path, info, actions)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """(consolidated workbook, the same with a Direction column and a blank Status) of a hostile plan."""
    folder = tmp_path_factory.mktemp("hostile-email")
    plan = folder / "plan.xlsx"
    _plan(plan)
    out = folder / "consolidated.xlsx"
    result = run_cli("consolidate", plan, "--out", out, "--as-of", "2009-10-09")
    assert result.returncode == 0, result.stderr
    # As the workbook will be once All actions has a Direction column (another branch adds it),
    # with one Status left blank: made with openpyxl from the real output.
    wb = openpyxl.load_workbook(out)
    ws = wb["All actions"]
    header = [c.value for c in ws[1]]
    col = header.index("Direction") + 1 if "Direction" in header else len(header) + 1  # blank without --previous
    ws.cell(row=1, column=col, value="Direction")
    moves = {"1.1": "↓ worse", "1.2": "→ same", "1.3": "↑ better", "2.1": "new", "2.2": "↑ better"}
    status_col = header.index("Status") + 1
    for r in range(2, ws.max_row + 1):
        ref = ws.cell(row=r, column=1).value or ""
        ws.cell(row=r, column=col, value=moves.get(ref, ""))
        if ref == "2.2":
            ws.cell(row=r, column=status_col).value = None
    directed = folder / "directed" / "consolidated.xlsx"
    directed.parent.mkdir()
    wb.save(directed)
    return out, directed


def _save(consolidated: Path, tmp_path: Path, *extra: str) -> email.message.EmailMessage:
    out = tmp_path / "report.eml"
    result = run_cli("email", consolidated, "--to", "ph@council.example", "--save", out, *extra)
    assert result.returncode == 0, result.stderr
    return email.message_from_bytes(out.read_bytes(), policy=policy.default)


class _Html(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.attrs: list[tuple[str, str | None]] = []
        self.text: list[str] = []
        self.comments: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attrs += attrs

    def handle_data(self, data):
        self.text.append(data)

    def handle_comment(self, data):
        self.comments.append(data)


ALLOWED_TAGS = {"html", "head", "meta", "title", "body", "p", "strong", "table", "caption", "thead", "tbody", "tr",
                "th", "td", "h2", "br"}


def test_lead_text_is_text_in_html_and_plain_bodies(hostile, tmp_path):
    consolidated, _ = hostile
    msg = _save(consolidated, tmp_path)
    html = msg.get_body(("html",)).get_content()
    text = msg.get_body(("plain",)).get_content()
    parsed = _Html()
    parsed.feed(html)
    assert parsed.tags <= ALLOWED_TAGS, parsed.tags - ALLOWED_TAGS  # no <script>, <img>, <b> from data
    assert not parsed.comments
    assert {name for name, _ in parsed.attrs} <= {"lang", "charset", "style", "role", "cellpadding", "scope"}
    shown = " ".join("".join(parsed.text).split())
    flat_text = " ".join(text.split())
    for s in [*HOSTILE, JANE, *THEMES, 'Pat <Co-ordinator> & "Team"',
              'Plan & <b>Partners</b> "AT&T" Bcc: evil@attacker.example']:
        assert " ".join(s.split()) in shown, s
    for s in [*HOSTILE, JANE, 'Pat <Co-ordinator> & "Team"']:
        assert " ".join(s.split()) in flat_text, s
    assert "49" not in shown.replace("2009", "")  # {{ 7*7 }} never evaluated


def test_nothing_from_data_becomes_a_header(hostile, tmp_path):
    consolidated, _ = hostile
    odd = tmp_path / "Q2\r\nBcc: evil@attacker.example.xlsx"
    odd.write_bytes(consolidated.read_bytes())
    msg = _save(consolidated, tmp_path, "--attach", odd)
    assert [k.lower() for k in msg.keys()] == ["from", "to", "subject", "date", "message-id", "mime-version",
                                               "content-type", "x-unsent"]
    assert msg["Bcc"] is None and "\n" not in msg["Subject"] and msg["Subject"].startswith("Plan & <b>Partners</b>")
    assert "Bcc: evil@attacker.example" in msg["Subject"]  # folded into the subject line, as text
    (att,) = msg.iter_attachments()
    assert att.get_filename() == "Q2 Bcc: evil@attacker.example.xlsx"
    assert att.get_content() == consolidated.read_bytes()
    raw = (tmp_path / "report.eml").read_bytes()
    assert not re.search(rb"^Bcc:", raw, re.M | re.I)


def test_sent_by_smtp_with_the_same_headers(hostile, smtp_server):  # noqa: F811
    consolidated, _ = hostile
    controller, handler = smtp_server
    result = run_cli("email", consolidated, "--to", "ph@council.example", "--smtp-host", "127.0.0.1",
                     "--smtp-port", controller.port, "--smtp-timeout", "5")
    assert result.returncode == 0, result.stderr
    (msg,) = _messages(handler)
    assert handler.envelopes[0].rcpt_tos == ["ph@council.example"] and msg["Bcc"] is None
    assert "<script>" in msg.get_body(("plain",)).get_content()
    assert "&lt;script&gt;" in msg.get_body(("html",)).get_content()


def _status_lines(text: str) -> dict[str, int]:
    block = text.split("Actions by status:\n", 1)[1].split("\n\n", 1)[0]
    return {m.group(1).strip(): int(m.group(2)) for m in re.finditer(r"^\s+(.+?)\s+(\d+)$", block, re.M)}


def test_counts_add_up_and_lines_have_no_empty_parts(hostile, tmp_path):
    _, directed = hostile
    msg = _save(directed, tmp_path)
    text = msg.get_body(("plain",)).get_content()
    lines = _status_lines(text)
    total = lines.pop("Total")
    assert total == 6 and sum(lines.values()) == total
    assert lines["No status given"] == 1 and lines["Status not recognised"] == 1 and lines["Off track"] == 3
    assert "Of the 6 actions, 1 shows slippage and 3 are off track; " \
           "1 has no status given and 1 has an unrecognised status." in text
    attention = text.split("Needing attention:\n", 1)[1].split("\n\n", 1)[0]
    assert "()" not in attention and "(, " not in attention and ", )" not in attention and "due )" not in attention
    assert "- Off track: No ref, no lead, no due\n" in attention  # no empty Ref, lead or due printed
    assert "- 1.3 Off track [↑ better]: 'single' \"double\" (Raj Bcc: evil@attacker.example)\n" in attention
    html = msg.get_body(("html",)).get_content()
    parsed = _Html()
    parsed.feed(html)
    shown = "".join(parsed.text)
    assert "No status given" in shown and "Status not recognised" in shown


def test_html_table_rows_and_columns_sum_to_the_total(hostile, tmp_path):
    _, directed = hostile
    html = _save(directed, tmp_path).get_body(("html",)).get_content()
    table = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = [[int(n) for n in re.findall(r"<td[^>]*>(?:<strong>)?(\d+)(?:</strong>)?</td>", tr)]
            for tr in table.split("</tr>") if "<td" in tr]
    *themes, totals = rows
    for r in themes:
        assert sum(r[:-1]) == r[-1]
    assert [sum(col) for col in zip(*themes)] == totals and totals[-1] == 6 and sum(totals[:-1]) == 6


def test_uk_dates_greeting_sign_off_and_direction(hostile, tmp_path):
    _, directed = hostile
    msg = _save(directed, tmp_path)
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert text.startswith("Dear colleagues,\n") and "Dear colleagues," in html
    assert text.rstrip().endswith('Kind regards,\nPat <Co-ordinator> & "Team"')
    assert "Kind regards,<br>Pat &lt;Co-ordinator&gt; &amp; &#34;Team&#34;" in html
    assert "as at 9 October 2009" in text and "as at 9 October 2009" in html
    assert "due 30 September 2009)" in text and "2009-09-30" not in text
    assert "<td style=\"border: 1px solid #808080;\">30/09/2009</td>" in html and "2009-09-30" not in html
    assert "1.1 Off track (overdue) [↓ worse]" in text and "1.2 Slippage [→ same]" in text
    sentence = "Against the last report, 2 are ↑ better, 1 ↓ worse, 1 → same and 1 new; 1 without a direction."
    assert sentence in text and f"<p>{sentence}</p>" in html
    assert ">↓ worse</td>" in html and ">Direction</th>" in html
    # the committee report of the same workbook says it in the same words
    import docx

    from planbook import render_report

    report = docx.Document(str(render_report(directed, tmp_path / "report.docx")))
    assert any(sentence in p.text for p in report.paragraphs)


def test_without_a_direction_column_no_arrows(hostile, tmp_path):
    consolidated, _ = hostile
    msg = _save(consolidated, tmp_path)
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert not any(arrow in text + html for arrow in "↑↓→") and "Against the last report" not in text
    assert ">Direction</th>" not in html


def test_update_requests_keep_lead_text_out_of_headers(tmp_path):
    plan = tmp_path / "plan.xlsx"
    _plan(plan)
    result = run_cli("request-updates", plan, "--out", tmp_path / "out", "--return-by", "2010-01-05",
                     "--save-dir", tmp_path / "eml")
    assert result.returncode == 0 and "1 action(s) on the 'No lead' tab have no lead" in result.stderr  # nobody to ask
    emls = sorted((tmp_path / "eml").glob("*.eml"))
    assert len(emls) == 2
    for path in emls:
        raw = path.read_bytes()
        msg = email.message_from_bytes(raw, policy=policy.default)
        assert msg["Bcc"] is None and not re.search(rb"^Bcc:", raw, re.M | re.I)
        assert "5 January 2010" in msg["Subject"] and "\n" not in msg["Subject"]
        body = msg.get_body(("plain",)).get_content()
        assert body.startswith("Dear ") and "Bcc:" not in body.splitlines()[0][:5]
        assert msg["To"].addresses[0].addr_spec in ("jane@council.example", "raj@council.example")
    bodies = " ".join(email.message_from_bytes(p.read_bytes(), policy=policy.default).get_body(("plain",))
                      .get_content() for p in emls)
    assert 'Dear AT&T <Jane> "Smith",' in bodies and "Dear Raj Bcc: evil@attacker.example," in bodies


def test_a_status_not_recognised_is_listed_as_such_in_the_email_and_the_report(hostile, tmp_path):
    """An action listed with a word planbook does not count ("Waiting for funding") is marked as
    such in the email's list, both bodies, as the Word report marks it — never shown as a status."""
    from docx import Document

    consolidated, _ = hostile
    msg = _save(consolidated, tmp_path)
    text = msg.get_body(("plain",)).get_content()
    page = msg.get_body(("html",)).get_content()
    marked = "Waiting for funding (status not recognised)"
    line = next(x for x in text.splitlines() if x.startswith("- 2.1 "))
    assert marked in line
    assert marked in html.unescape(re.sub(r"<[^>]+>", "", page))
    report = tmp_path / "summary.docx"
    assert run_cli("report", consolidated, "--out", report).returncode == 0
    cells = [c.text for t in Document(str(report)).tables for r in t.rows for c in r.cells]
    assert any(marked in c for c in cells)
