"""What an import did, in numbers and in plain words: the figures the coordinator checks first.

:func:`measures` gives the shares the import is judged by (actions with a Ref, source numbers
kept, due cells understood, status words read, lead tabs against distinct leads);
:func:`things_to_check` the five things most worth a look, most important first.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from planbook.core.findings import Report
from planbook.core.layout import NO_LEAD
from planbook.core.leads import lead_key
from planbook.core.model import Action, PlanInfo
from planbook.core.status import NO_STATUS
from planbook.legacy.leads import LeadRow


def _share(part: int, whole: int) -> float:
    return 1.0 if whole == 0 else part / whole


def measures(result: ImportResult) -> dict[str, float | int]:
    """The import's figures: counts, and shares between 0 and 1."""
    c = result.counts
    actions = result.actions
    refs = {a.ref.lower() for a in actions if a.ref}
    numbers = result.source_numbers
    leads_normalised = {lead_key(row.lead) for row in result.leads}
    tabs_for_leads = sum(1 for lead in result.tabs.values() if lead and lead != NO_LEAD)
    return {
        "rows_in": result.rows_in,
        "actions": len(actions),
        "ref_share": _share(sum(1 for a in actions if a.ref), len(actions)),
        "source_numbers": len(numbers),
        "source_numbers_kept": _share(sum(1 for n in numbers if n.lower() in refs), len(numbers)),
        "due_cells": c.get("due_cells", 0),
        "due_understood": _share(c.get("due_cells", 0) - c.get("due_not_understood", 0), c.get("due_cells", 0)),
        "status_cells": c.get("status_cells", 0),
        "status_words": c.get("status_with_word", 0),
        "status_given": _share(sum(1 for a in actions if a.status not in (None, NO_STATUS)),
                               c.get("status_with_word", 0)) if c.get("status_with_word") else 1.0,
        "lead_tabs": tabs_for_leads,
        "distinct_leads_normalised": len(leads_normalised),
        "refs_generated": c.get("refs_generated", 0),
        "leads_merged": c.get("leads_merged", 0),
        "status_blank": c.get("status_blank", 0),
        "due_not_understood": c.get("due_not_understood", 0),
    }


def status_readings(result: ImportResult) -> str:
    """", 12 read from letters (G/A/R), 3 from symbols (☺), 5 from other words (Green)" — how
    the statuses not written as their own word were read (each cell's note says how); "" when
    every status was its own word."""
    seen: dict[str, dict[str, None]] = {}
    for f in result.report:
        word = f.message.split(" read as ", 1)[0][1:-1]  # the note starts with the word as written, quoted
        if f.code == "status-read" and len(word) <= 20:
            seen.setdefault(f.outcome.rsplit(" ", 1)[-1], {}).setdefault(word, None)
    parts = []
    for how, words in (("letter", "letters"), ("symbol", "symbols"), ("phrase", "other words")):
        n = result.counts.get(f"status_from_{how}", 0)
        if n:
            examples = "/".join(list(seen.get(how, {}))[:4])
            parts.append(f"{n} {'' if parts else 'read '}from {words}" + (f" ({examples})" if examples else ""))
    return (", " + ", ".join(parts)) if parts else ""


def _example(result: ImportResult, code: str) -> str:
    f = next((f for f in result.report if f.code == code), None)
    if f is None:
        return ""
    value = f.value if len(f.value) <= 40 else f.value[:37] + "…"
    return f" (e.g. {value!r} at {f.sheet} {f.cell})" if value else f" (e.g. {f.sheet} {f.cell})"


def things_to_check(result: ImportResult, limit: int = 5) -> list[str]:
    """The things most worth a coordinator's look after this import, in plain words."""
    c = result.counts
    items: list[str] = []
    n = c.get("lead_blank", 0)
    if n and n == len(result.actions):
        items.append(f"The source names no lead for any action: all {n} are on the 'No lead' tab. Give each a "
                     "lead (validate shows them as warnings until you do).")
    elif n:
        items.append(f"{n} action(s) name no lead in the source: they are on the 'No lead' tab. Give each a lead "
                     "(validate shows them as warnings until you do).")
    n = c.get("action_blank", 0)
    if n:
        items.append(f"{n} action(s) have no action text in the source: write what is to be done.")
    refs = Counter(a.ref.lower() for a in result.actions if a.ref)
    dups = [r for r, k in refs.items() if k > 1]
    if dups:
        items.append(f"The source uses {len(dups)} number(s) twice ({', '.join(dups[:3])}): "
                     "give each action its own Ref before merging returns.")
    n = c.get("status_unrecognised", 0)
    if n:
        items.append(f"{n} status cell(s) hold notes with no status word{_example(result, 'unknown-status')}: "
                     "Status is left blank ('No status given') and the text is in Progress update.")
    n = c.get("due_not_understood", 0)
    if n:
        items.append(f"{n} due cell(s) were not understood{_example(result, 'bad-due')}: kept as text and never "
                     "flagged overdue; type a date or a phrase such as 'March 2009'.")
    n = c.get("refs_generated", 0)
    if n:
        cont = c.get("continuation_rows", 0)
        extra = f"; {cont} of them are continuation rows numbered after the row above (1.1a)" if cont else ""
        items.append(f"{n} action(s) had no number in the source and were numbered{_example(result, 'ref-generated')}"
                     f"{extra}. Check the numbering suits you.")
    n = c.get("leads_merged", 0)
    if n:
        items.append(f"{n} lead spelling(s) were merged into another{_example(result, 'lead-merged')}. Check the "
                     "lead list; give --leads FILE to merge names the rules cannot.")
    tabs = sum(1 for lead in result.tabs.values() if lead and lead != NO_LEAD)  # as the first line counts them
    if tabs > 12:
        items.append(f"The plan has {tabs} lead tabs: if some are the same team, list them in a --leads file.")
    n = sum(1 for f in result.report if f.code == "section-heading")
    if n:
        items.append(f"{n} row(s) with only a heading were read as a Theme or Objective, not an action"
                     f"{_example(result, 'section-heading')}.")
    n = sum(1 for f in result.report if f.code == "unknown-column")
    if n:
        items.append(f"{n} column(s) were kept as extra columns{_example(result, 'unknown-column')}: "
                     "use --map if one is a standard column.")
    if c.get("status_cells", 0) == 0 and result.actions:
        items.append("The source has no status column: every action shows 'No status given' until leads "
                     "fill in Status.")
    elif c.get("status_blank", 0):
        items.append(f"{c['status_blank']} action(s) have no status in the source: they show as 'No status given'.")
    return items[:limit]


def render_text(result: ImportResult, out: str) -> str:
    """The import report a person reads: counts, the things to check, and every lead name."""
    m = measures(result)
    c = result.counts
    lines = [f"Imported {result.source}: {result.rows_in} row(s) read, {len(result.actions)} action(s) written to {out}",
             f"  title: {result.info.title}",
             f"  {len(result.info.themes)} theme(s), {m['lead_tabs']} lead tab(s); due dates understood: "
             f"{m['due_cells'] - m['due_not_understood']}/{m['due_cells']}",
             f"  refs: {len(result.actions) - m['refs_generated']} from the source, {m['refs_generated']} generated"
             f" ({c.get('continuation_rows', 0)} continuation row(s))",
             f"  statuses: {sum(1 for a in result.actions if a.status not in (None, NO_STATUS))} given"
             f"{status_readings(result)}, {m['status_blank']} blank (shown as 'No status given'), "
             f"{c.get('status_unrecognised', 0)} with notes but no status word",
             f"  leads: {len(result.leads)} name(s) as written -> {c.get('leads', 0)} lead(s), "
             f"{m['leads_merged']} spelling(s) merged",
             "  mapping: " + "; ".join(f"{k} -> {v}" for k, v in result.mapping.items())]
    check = things_to_check(result)
    if check:
        lines.append("Worth a look:")
        lines += [f"  {i}. {text}" for i, text in enumerate(check, start=1)]
    lines.append("Leads (name as written -> lead listed; actions; tab):")
    for row in result.leads:
        note = {"spelling": "  [spelling merged]", "alias": "  [--leads alias]"}.get(row.via, "")
        lines.append(f"  {row.written} -> {row.lead}; {row.actions}; {row.tab}{note}")
    if not result.leads:
        lines.append("  (none: the source names no lead)")
    return "\n".join(lines)


@dataclass
class ImportResult:
    """What import did: the plan written, the mapping used, the leads, and the report."""

    source: str
    out: Path | None
    info: PlanInfo
    actions: list[Action]
    report: Report
    rows_in: int = 0
    mapping: dict[str, str] = field(default_factory=dict)
    leads: list[LeadRow] = field(default_factory=list)
    tabs: dict[str, str] = field(default_factory=dict)  # tab -> lead
    counts: dict[str, int] = field(default_factory=dict)  # see import_summary.COUNT_NAMES
    source_numbers: list[str] = field(default_factory=list)  # distinct numbers the source gave

    def to_dict(self) -> dict:

        return {"file": self.source, "rows_in": self.rows_in, "actions": len(self.actions), "mapping": self.mapping,
                "title": self.info.title, "themes": self.info.themes, "counts": self.counts,
                "measures": measures(self), "check": things_to_check(self),
                "leads": [row.to_dict() for row in self.leads],
                "findings": [f.to_dict() for f in self.report]}
