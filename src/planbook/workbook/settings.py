"""The coordinator's settings: plan title, reporting period, coordinator, their email address and
the date updates are due back.

They are kept twice in a plan: in the very hidden metadata sheet, where planbook wrote them, and
on the Guide (the title at the top, the others in labelled rows), where a person can see and
change them.  On the master, the Guide wins: a value that differs from the metadata is one a
person changed, so that is the setting.  On a lead's copy the metadata stays the copy's
identity (which plan and period it belongs to), and a Guide that disagrees with it, or a copy
whose settings disagree with the master's, is a finding — never a quiet change of plan.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from planbook.core.addresses import check_address
from planbook.core.dates import parse_day, prose_date
from planbook.core.errors import PlanbookError
from planbook.core.findings import Finding
from planbook.core.layout import GUIDE
from planbook.core.model import PlanInfo
from planbook.core.names import cell_ref

#: (PlanInfo attribute, the Guide's label), in the Guide's order.  The title is the Guide's heading (A1).
LABELS: tuple[tuple[str, str], ...] = (
    ("period", "Reporting period"),
    ("coordinator", "Coordinator"),
    ("coordinator_email", "Coordinator email"),
    ("return_by", "Return updates by"),
)
#: Every setting, with the words a person knows it by.
NAMES: dict[str, str] = {"title": "plan title", "period": "reporting period", "coordinator": "coordinator",
                         "coordinator_email": "coordinator email", "return_by": "return-by date"}
TITLE_CELL = "A1"
_LABEL_FIELD = {label.lower(): f for f, label in LABELS}
_SCAN_ROWS = 15  # the settings are at the top of the Guide; the steps and the status key follow


@dataclass(frozen=True)
class GuideValue:
    """One setting as the Guide shows it: the value (a date for the return-by date when it is
    one), the text as typed, and its cell."""

    value: object
    text: str
    cell: str


def guide_rows(info: PlanInfo) -> list[tuple[str, object]]:
    """(label, value) rows of the Guide's settings block, the return-by date as a date."""
    return [(label, getattr(info, f) or ("" if f != "return_by" else None)) for f, label in LABELS]


def meta_rows(info: PlanInfo) -> list[tuple[str, str]]:
    """The metadata rows of the settings the metadata did not always hold."""
    rows = [("return_by", info.return_by.isoformat() if info.return_by else ""),
            ("retire_complete_after", str(info.retire_complete_after or 0))]
    rows += [("note", note) for note in info.notes]
    rows += [("theme_heading", f"{theme}\t{heading}") for theme, heading in info.theme_headings.items()]
    rows += [("period_was", name) for name in info.period_was]
    if info.updates_since:
        rows.append(("updates_since", info.updates_since.isoformat()))
    rows += [("renamed", "\t".join(entry)) for entry in info.renamed]
    return rows


def renamed_period(info: PlanInfo, period: str) -> None:
    """Give the plan's period a new name, the old one remembered (:attr:`PlanInfo.period_was`):
    copies already sent out under it stay this period's returns."""
    if info.period and info.period != period and info.period not in info.period_was:
        info.period_was.append(info.period)
    info.period = period


def read_meta(info: PlanInfo, meta: dict[str, list[str]]) -> None:
    """Fill ``info`` from the metadata rows of :func:`meta_rows` (absent in older plans)."""
    info.return_by = parse_day((meta.get("return_by") or [""])[0])
    try:
        info.retire_complete_after = max(0, int((meta.get("retire_complete_after") or ["0"])[0] or 0))
    except ValueError:
        info.retire_complete_after = 0
    info.notes = list(meta.get("note", []))
    info.theme_headings = {theme: heading for theme, _, heading in
                           (entry.partition("\t") for entry in meta.get("theme_heading", [])) if theme and heading}
    info.period_was = [name for name in meta.get("period_was", []) if name.strip()]
    info.updates_since = parse_day((meta.get("updates_since") or [""])[0])
    info.renamed = [(k, old, new) for k, old, new in (tuple(e.split("\t")) for e in meta.get("renamed", [])
                                                      if e.count("\t") == 2) if k in ("lead", "theme") and old and new]



def read_guide(rows: list[list[object]]) -> dict[str, GuideValue]:
    """The settings the Guide shows: its heading, and the value beside each label it has."""
    out: dict[str, GuideValue] = {}
    if rows and rows[0] and isinstance(rows[0][0], str) and rows[0][0].strip():
        out["title"] = GuideValue(rows[0][0].strip(), rows[0][0].strip(), TITLE_CELL)
    for r, row in enumerate(rows[:_SCAN_ROWS]):
        if not row or not isinstance(row[0], str):
            continue
        field = _LABEL_FIELD.get(" ".join(row[0].split()).lower())
        if field is None or field in out:
            continue
        value = row[1] if len(row) > 1 else None
        text = _text(value)
        out[field] = GuideValue(parse_day(value) if field == "return_by" else text.strip(), text, cell_ref(r, 1))
    return out


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def shown(field: str, value: object) -> str:
    """A setting as a person reads it (a date as 8 January 2010)."""
    if isinstance(value, dt.date):
        return prose_date(value)
    return str(value or "")


def apply_guide(info: PlanInfo, guide: dict[str, GuideValue], file: str) -> list[Finding]:
    """The master's settings, with what a person changed on its Guide (a value differing from the
    metadata's) taking the metadata's place.  Returns findings for Guide values planbook cannot
    use: a return-by date that is not a date, a coordinator email that is not an address, a
    period cleared (the plan's kept: a period is never blank)."""
    findings = []
    for field, seen in guide.items():
        if field == "return_by" and seen.value is None and seen.text.strip():
            findings.append(Finding("bad-setting", file, GUIDE, seen.cell, seen.text,
                                    f"the return-by date on the Guide, {seen.text!r}, is not a date: type e.g. "
                                    "08/01/2010", outcome="the plan's earlier return-by date kept"
                                    + (f" ({prose_date(info.return_by)})" if info.return_by else " (none)")))
            continue
        if seen.value == getattr(info, field):
            continue
        if field == "coordinator_email" and seen.value and not _is_address(str(seen.value)):
            findings.append(Finding("bad-setting", file, GUIDE, seen.cell, seen.text,
                                    f"the coordinator email on the Guide, {seen.text!r}, is not an email address "
                                    "(name@example.org)", outcome="emails will not send from it until it is fixed"))
        if field == "period":
            if not str(seen.value or "").strip() and info.period:  # a period is never blank (nor recorded so)
                findings.append(Finding("bad-setting", file, GUIDE, seen.cell, seen.text,
                                        "the reporting period on the Guide is blank: type the period (e.g. Q3 2009/10)",
                                        outcome=f"the plan's period kept ({info.period})"))
                continue
            renamed_period(info, str(seen.value or ""))
            continue
        setattr(info, field, seen.value)
    return findings


def _is_address(text: str) -> bool:
    try:
        check_address(text)
    except PlanbookError:
        return False
    return True


def copy_findings(master: PlanInfo, copy: PlanInfo, guide: dict[str, GuideValue], file: str,
                  lead: str) -> list[Finding]:
    """Where a lead's copy disagrees with the master's settings: its Guide changed by the lead,
    or a copy sent out before the coordinator changed a setting.  The master's settings are used."""
    findings = []
    for field in NAMES:
        want = getattr(master, field)
        seen = guide.get(field)
        has = seen.value if seen is not None else getattr(copy, field)
        if field == "period" or not want or not has or has == want:
            continue  # another period is another round: the merge sets such a copy aside (other-plan)
        where = seen.cell if seen is not None else ""
        findings.append(Finding(
            "settings-differ", file, GUIDE if seen is not None else "", where, shown(field, has),
            f"{lead or 'this'}'s copy gives the {NAMES[field]} as {shown(field, has)!r}; the master's is "
            f"{shown(field, want)!r}", outcome="the master's setting used"))
    return findings


def describe(info: PlanInfo) -> list[tuple[str, str]]:
    """(name, value) of every setting, for ``planbook settings`` to print."""
    rows = [("Plan title", info.title), *((label, shown(f, getattr(info, f))) for f, label in LABELS)]
    rows.append(("Complete actions leave the copies after",
                 f"{info.retire_complete_after} period(s) Complete" if info.retire_complete_after else "never"))
    return rows
