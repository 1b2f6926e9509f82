"""What a lead's returned copy is answerable for: the problems the lead made, not the plan's.

A lead's copy is split from the master, so a cell the coordinator's import left wrong (a due
phrase planbook cannot read, a blank Theme, a status word from the source) is wrong in the
copy too, and stays so if the lead leaves it alone.  Such a problem is the plan's: it is listed
against the master's cell (for the coordinator to fix there), not against the lead's return,
and it is never in the lead's error count, reminder or receipt.  A problem is carried when the
master has the same finding (code, Ref, column, value) on the same action; anything the lead
typed differently is theirs.

A row the lead added without a Ref is named by its action text, with the Ref to give it, the
one roll forward gives it (:func:`planbook.core.refs.section_for`), so the reminder and the
receipt can say which row and what to type.
"""
from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence

from planbook.core.columns import HEADER_OF_FIELD
from planbook.core.findings import ERROR, WARNING, Finding
from planbook.core.refs import next_in_section, section_for
from planbook.core.text import shortened
from planbook.workbook.plan import Plan

_CELL = re.compile(r"([A-Z]+)(\d+)")
#: How a finding on a Ref cell left empty begins (the reader's message).
REF_EMPTY = f"{HEADER_OF_FIELD['ref']} is empty"
#: How the message of a row a lead added without a Ref begins, once named (see :func:`new_row_message`).
NEW_ROW = f"{HEADER_OF_FIELD['ref']} is empty for the action"


def new_row_message(text: str, ref: str) -> str:
    """ "Ref is empty for the action 'Run a reading club': give it Ref 1.4, the next free number" """
    shown = shortened(text, 90)
    return f"{NEW_ROW} {shown!r}: give it Ref {ref}, the next free number"


def _where(cell: str) -> tuple[str, int] | None:
    m = _CELL.fullmatch(cell)
    return (m.group(1), int(m.group(2))) if m else None


def _refs_by_row(plan: Plan) -> dict[tuple[str, int], str]:
    return {(a.origin.sheet, a.origin.row): a.ref.strip() for a in plan.actions if a.origin}


def _key(f: Finding, refs: dict[tuple[str, int], str]) -> tuple[str, str, str, str] | None:
    """What makes two findings the same problem: code, the action's Ref, the column, the value."""
    where = _where(f.cell)
    if where is None or f.severity not in (ERROR, WARNING):
        return None
    ref = refs.get((f.sheet, where[1]), "")
    return (f.code, ref.casefold(), where[0], f.value.strip()) if ref else None


def carried_problems(pairs: Sequence[tuple[Plan, object]]) -> dict[Finding, Finding]:
    """Take out of each lead's copy the problems it carried unchanged from a master, in place.

    Returns the masters' findings to list although the lead's copy replaced their rows (each
    with what was done saying so), mapped to the finding to list."""
    masters = [p for p, _ in pairs if p.role != "lead-copy"]
    if not masters:
        return {}
    on_master: dict[tuple[str, str, str, str], Finding] = {}
    for plan in masters:
        refs = _refs_by_row(plan)
        for f in plan.report:
            key = _key(f, refs)
            if key is not None:
                on_master.setdefault(key, f)
    keep: dict[Finding, Finding] = {}
    for plan, _ in pairs:
        if plan.role != "lead-copy":
            continue
        refs = _refs_by_row(plan)
        own = []
        for f in plan.report:
            was = on_master.get(_key(f, refs)) if _key(f, refs) else None
            if was is None:
                own.append(f)
            else:
                keep.setdefault(was, dataclasses.replace(
                    was, outcome=f"{was.outcome}; left as it was in {f.file} (the plan's to fix, not the lead's)"))
        if len(own) != len(plan.report):
            plan.report.findings = own
    return keep


def name_new_rows(pairs: Sequence[tuple[Plan, object]]) -> None:
    """Reword, in place, each finding of a row a lead added to their copy without a Ref: which
    action it is and the Ref to give it, the one roll forward would give it (the section of the
    actions it belongs with, :func:`planbook.core.refs.section_for`, and the number after its
    highest, any Ref the plan ever used taken; two new rows get two different Refs)."""
    wanting = [plan for plan, _ in pairs
               if plan.role == "lead-copy" and any(f.code == "missing-required" for f in plan.report)]
    if not wanting:
        return  # no row without a Ref (nearly every quarter): no Refs to look through
    masters = [p for p, _ in pairs if p.role != "lead-copy"]
    existing = [a for p in (masters or [p for p, _ in pairs]) for a in p.actions if a.ref.strip()]
    taken = {a.ref.strip().lower() for p, _ in pairs for a in [*p.actions, *p.retired] if a.ref.strip()}
    taken |= {k for p in masters for k, row in p.history.rows.items() if any(row.statuses)}  # used before
    for plan in wanting:
        by_row = {(a.origin.sheet, a.origin.row): a for a in plan.actions if a.origin}
        findings = []
        for f in plan.report:
            where = _where(f.cell)
            action = by_row.get((f.sheet, where[1])) if where else None
            if f.code == "missing-required" and f.message.startswith(REF_EMPTY) and action is not None \
                    and action.action.strip() and not action.ref.strip():
                ref = next_in_section(section_for(action, existing), taken)
                taken.add(ref.lower())
                f = dataclasses.replace(f, message=new_row_message(action.action, ref),
                                        outcome="row kept; give it the Ref suggested")
            findings.append(f)
        plan.report.findings = findings
