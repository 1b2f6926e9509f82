"""Legacy plan layouts met in real councils' plans, built in code as Word, Excel and CSV files.

Each builder returns a :class:`Layout`: the tables as a person typed them plus what an import
must make of them (data rows, the numbers the source gives, status cells holding a status word).
The families: a progress report with numbers in columns with no heading and continuation rows;
a 14-19 plan with Action and Activity columns, bracketed initials and a Progress column of
notes; an information-advice plan with no lead and no status column whose milestones are
sentences with dates inside; a plan whose lead cells name several bodies.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Table:
    heading: str
    headers: list[str]
    rows: list[list[str]]
    merges: list[tuple[int, int, int]] = field(default_factory=list)  # (first row, last row, column), vertical
    across: list[int] = field(default_factory=list)  # rows whose first cell is merged across the table


@dataclass
class Layout:
    name: str
    title: str
    tables: list[Table]
    data_rows: int
    numbers: list[str]  # numbers the source gives its actions
    status_words: int  # status cells that hold a status word
    sheet_names: list[str] | None = None  # Excel sheet names (cut short, as people do)

    def save(self, folder: Path, ext: str) -> Path:
        path = folder / f"{self.name}.{ext}"
        {"xlsx": _save_xlsx, "docx": _save_docx, "csv": _save_csv}[ext](self, path)
        return path


def _save_xlsx(lay: Layout, path: Path) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
    wrap = wb.add_format({"text_wrap": True})
    for i, t in enumerate(lay.tables):
        name = lay.sheet_names[i] if lay.sheet_names else f"Sheet{i + 1}"
        ws = wb.add_worksheet(name)
        ws.write_string(0, 0, f"{lay.title} \u2013 {t.heading}" if t.heading else lay.title)
        for c, h in enumerate(t.headers):
            if h:
                ws.write_string(1, c, h)
        for r, row in enumerate(t.rows, start=2):
            for c, v in enumerate(row):
                if v:
                    ws.write_string(r, c, v, wrap)
        for r0, r1, c in t.merges:
            ws.merge_range(r0 + 2, c, r1 + 2, c, t.rows[r0][c], wrap)
        for r in t.across:
            ws.merge_range(r + 2, 0, r + 2, len(t.headers) - 1, t.rows[r][0], wrap)
    wb.close()


def _save_docx(lay: Layout, path: Path) -> None:
    from docx import Document

    doc = Document()
    doc.add_paragraph(lay.title, style="Title")
    for t in lay.tables:
        if t.heading:
            doc.add_heading(t.heading, level=1)
        table = doc.add_table(rows=len(t.rows) + 1, cols=len(t.headers))
        for c, h in enumerate(t.headers):
            table.cell(0, c).text = h
        for r, row in enumerate(t.rows, start=1):
            for c, v in enumerate(row):
                table.cell(r, c).text = v
        for r0, r1, c in t.merges:
            value = t.rows[r0][c]
            for r in range(r0 + 1, r1 + 1):
                table.cell(r + 1, c).text = ""
            table.cell(r0 + 1, c).merge(table.cell(r1 + 1, c)).text = value
        for r in t.across:
            value = t.rows[r][0]
            table.cell(r + 1, 0).merge(table.cell(r + 1, len(t.headers) - 1)).text = value
    doc.save(str(path))


def _save_csv(lay: Layout, path: Path) -> None:
    (t,) = lay.tables
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(t.headers)
        w.writerows(t.rows)


# ---------------------------------------------------------------- progress report: numbers with no heading


_SMILEYS = ["\u263a", "\u2639", "\u263a Achieved", "On target", "\u263a", "Slippage \u2013 funding late"]


def progress_report(numbers: str, continuation: str) -> Layout:
    """Numbers (1, 1.1 …) in columns with no heading; several rows per numbered driver.

    ``numbers``: "first" (1.1 in column A), "two" (1 in A beside the objective, 1.1 in C) or
    "middle" (1.1 between Objective and driver).  ``continuation``: "none", "blank" (the driver
    and number cells left blank below), "merged" (merged down over the driver's rows) or "repeated"
    (the number typed again on each row, the driver left blank).
    """
    if numbers == "first":
        headers = ["", "Key results driver", "Lead", "Success factor", "Target", "Timescale", "Progress"]
    elif numbers == "two":
        headers = ["", "Key priority", "", "Key results driver", "Lead", "Success factor", "Target", "Timescale",
                   "Progress"]
    else:
        headers = ["Key priority", "", "Key results driver", "Lead", "Success factor", "Target", "Timescale",
                   "Progress"]
    tables, refs, rows_total, words = [], [], 0, 0
    k = 0
    for s, heading in enumerate(["Raising attainment", "Improving attendance"], start=1):
        rows, merges = [], []
        for d in range(1, 4):
            ref = f"{s}.{d}"
            refs.append(ref)
            extra = 0 if continuation == "none" else d % 3  # 1, 2, 0 continuation rows
            first = len(rows)
            for j in range(extra + 1):
                k += 1
                status = _SMILEYS[k % len(_SMILEYS)]
                words += 1
                driver = f"Improve outcomes in area {s}.{d} for young people" if j == 0 else ""
                number = ref if j == 0 or continuation == "repeated" else ""
                lead = ["Head of Inclusion", "School Improvement Service", "Attendance Team"][d - 1] if j == 0 else ""
                own = [f"Success factor {s}.{d}/{j}", f"{80 + j}% of pupils", ["March 2009", "Q2 2009/10",
                                                                                   "Sept 2009", "Summer 2009"][j % 4],
                       status]
                if numbers == "first":
                    row = [number, driver, lead, *own]
                elif numbers == "two":
                    objective = f"Priority {s}: {heading}" if d == 1 and j == 0 else ""
                    row = [str(s) if d == 1 and j == 0 else "", objective, number, driver, lead, *own]
                else:
                    objective = f"{heading} for every child" if d == 1 and j == 0 else ""
                    row = [objective, number, driver, lead, *own]
                rows.append(row)
            if continuation == "merged" and extra:
                for c, h in enumerate(headers):
                    if h in ("", "Key results driver", "Lead") and rows[first][c]:
                        merges.append((first, first + extra, c))
        rows_total += len(rows)
        tables.append(Table(heading, headers, rows, merges))
    return Layout(f"progress-{numbers}-{continuation}", "Children and Young People's Plan progress report 2008/09",
                  tables, rows_total, refs, words, ["Raising attainment", "Improving attendance"])


# ---------------------------------------------------------------- 14-19 plan: Action + Activity


_LEADS_1419 = ["Connexions (P.I.T.M.)", "14-19 Consultant", "Connexions (PITM)", "14 -19 Consultant",
               "14-19 consultant", "Head of Service (J.B.)", "Schools / connexions (PITM)", "14 \u2013 19 Consultant"]
_NOTES = ["Timescales met", "Complete \u2013 report to Cabinet in May", "Meeting held with schools; next steps agreed",
          "", "Prospectus drafted and out for comment", "Complete", "Awaiting LSC decision on funding",
          "On track \u2013 pilot running in 3 schools"]


def plan_14_19(merged: bool) -> Layout:
    """Action and Activity columns, no numbers at all, leads with bracketed initials and spelling
    variants, a Progress column of notes.  The Action is written once per group (merged or blank below)."""
    headers = ["Action", "Activity", "Lead", "Timescale", "Progress"]
    rows, merges, k, words = [], [], 0, 0
    for g in range(1, 5):
        first = len(rows)
        for j in range(3 if g % 2 else 2):
            note = _NOTES[k % len(_NOTES)]
            words += note.startswith(("Complete", "On track"))
            rows.append([f"Develop the 14-19 offer: strand {g}" if j == 0 else "",
                         f"Activity {g}.{j}: agree provision with partners", _LEADS_1419[k % len(_LEADS_1419)],
                         ["Sept 2008", "Jan \u2013May 2009", "Ongoing", "By Oct 2009", "Summer term 2009"][k % 5], note])
            k += 1
        if merged:
            merges.append((first, len(rows) - 1, 0))
    return Layout(f"plan-14-19-{'merged' if merged else 'blank'}", "14-19 Partnership Plan 2008-2010",
                  [Table("", headers, rows, merges)], len(rows), [], words, ["14-19 plan"])


# ---------------------------------------------------------------- information-advice plan: no lead, no status


_MILESTONES = [
    "Q1: plan for involvement agreed; by March 2008 review of provision complete",
    "Survey of young people in Jan \u2013 May 2008, report to board by July 2008",
    "Leaflet produced by September 2007 and reviewed annually",
    "December 2007",
    "Ongoing",
    "Stage 1 by June 2008; stage 2 by Dec 2008",
    "Quarterly reports to the partnership board from April 2008",
    "Training for all front-line staff delivered between October 2007 and February 2008",
    "To be confirmed",
    "Web pages live 31/03/2008, updated monthly thereafter",
    "Pilot in two areas during Autumn term 2007; rolled out by Summer 2008",
    "Protocol signed by all partners by end of March 2008",
]


def info_advice(numbered: bool, ambiguous: bool = True) -> Layout:
    """No lead and no status column; milestones are sentences with dates inside."""
    headers = ["Objective", "Action", "Milestones and timescales", "Outcome measure"]
    tables, refs, n = [], [], 0
    for s, heading in enumerate(["Access to information", "Advice for young people"], start=1):
        rows = []
        for d in range(1, 11):
            n += 1
            milestone = _MILESTONES[(n - 1) % len(_MILESTONES)]
            if ambiguous and n == 5:
                milestone = "Complete by mid 2008 subject to funding"
            action = f"Develop the information offer, step {d}"
            if numbered:
                refs.append(f"{s}.{d}")
                action = f"{s}.{d} {action}"
            rows.append([f"Objective {s}: improve {heading.lower()}" if d == 1 else "", action, milestone,
                         f"Measure {s}.{d}"])
        tables.append(Table(heading, headers, rows))
    return Layout(f"info-advice-{'numbered' if numbered else 'plain'}", "Information, Advice and Guidance Action Plan",
                  tables, n, refs, 0, ["Access to information", "Advice for young people"])


def info_advice_csv() -> Layout:
    """The same plan as one CSV table with a Theme column."""
    lay = info_advice(numbered=False, ambiguous=False)
    rows = [[t.heading, *row] for t in lay.tables for row in t.rows]
    table = Table("", ["Theme", *lay.tables[0].headers], rows)
    return Layout("info-advice-csv", "", [table], len(rows), [], 0)


# ---------------------------------------------------------------- several bodies in a lead cell


_BODIES = ["Youth Service\nConnexions", "Youth Service / Schools", "Connexions; Youth Offending Team",
           "Youth Service and Connexions", "Learning & Skills Council", "LA (SM/JB)",
           "Children and Young People's Partnership Board Executive Group",
           "Children and Young People's Partnership Board Steering Group", "Youth service", "Connexions",
           "\u00b7 Schools\n\u00b7 Learning & Skills Council", "Youth Offending Team; LA (SM/JB); Schools"]
_STATUS_NOTES = ["Timescales met", "Complete \u2013 report to Cabinet in May", "Complete", "Amber", "",
                 "On track", "Not yet due", "Red \u2013 no funding", "Green", "In progress"]


def several_bodies(with_refs: bool) -> Layout:
    """Lead cells naming several bodies (line breaks, "/", ";", "and"), a Status column of notes."""
    headers = (["Ref"] if with_refs else []) + ["Action", "Lead", "Due", "Status"]
    tables, refs, words, k = [], [], 0, 0
    for s, heading in enumerate(["Staying Safe", "Enjoying and Achieving", "Positive Contribution"], start=1):
        rows = []
        for d in range(1, 5):
            status = _STATUS_NOTES[k % len(_STATUS_NOTES)]
            words += status.split(" ")[0] in ("Complete", "Amber", "On", "Red", "Green", "In")
            row = [f"Deliver improvement {s}.{d}", _BODIES[k % len(_BODIES)],
                   ["March 2009", "Q3 2009/10", "2009/10", "Ongoing"][d % 4], status]
            if with_refs:
                refs.append(f"{s}.{d}")
                row.insert(0, f"{s}.{d}")
            rows.append(row)
            k += 1
        tables.append(Table(heading, headers, rows))
    return Layout(f"several-bodies-{'refs' if with_refs else 'norefs'}", "Partnership Action Plan 2009",
                  tables, 12, refs, words, ["Staying Safe", "Enjoying and Achieving", "Positive Contributi"])


# ---------------------------------------------------------------- headings inside one table


def headed_sections(numbered: bool) -> Layout:
    """One table, Action first, with section headings merged across it ("2. Staying safe")."""
    headers = ["Action", "Lead", "By when", "Status"]
    rows, across, n = [], [], 0
    for s, heading in enumerate(["Being healthy", "Staying safe", "Enjoying and achieving"], start=1):
        across.append(len(rows))
        rows.append([f"{s}. {heading}" if numbered else heading, "", "", ""])
        for d in range(1, 4):
            n += 1
            rows.append([f"Action {s}-{d} for {heading.lower()}", ["Youth Service", "Schools"][d % 2],
                         ["March 2009", "Q2 2009/10", "Ongoing"][d % 3], ["Complete", "On track", ""][d % 3]])
    words = sum(1 for r in rows if r[3])
    return Layout(f"headed-sections-{'numbered' if numbered else 'plain'}", "Every Child Matters plan 2009",
                  [Table("", headers, rows, across=across)], n, [], words, ["ECM plan"])


def all_layouts() -> list[tuple[Layout, str]]:
    """Every layout family, in each format it is met in."""
    out: list[tuple[Layout, str]] = []
    for numbers in ("first", "two", "middle"):
        for continuation in ("none", "blank", "merged", "repeated"):
            out += [(progress_report(numbers, continuation), ext) for ext in ("xlsx", "docx")]
    out += [(plan_14_19(m), ext) for m in (False, True) for ext in ("xlsx", "docx")]
    out += [(info_advice(n), ext) for n in (False, True) for ext in ("xlsx", "docx")]
    out.append((info_advice_csv(), "csv"))
    out += [(several_bodies(r), ext) for r in (False, True) for ext in ("xlsx", "docx")]
    out += [(headed_sections(n), ext) for n in (False, True) for ext in ("xlsx", "docx")]
    return out
