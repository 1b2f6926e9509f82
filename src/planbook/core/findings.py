"""Problems found in user data, as values: code, severity, file, sheet, cell, value, message.

Modelled on validation reports in frictionless-py: every problem points at a cell a person can
go to, and says what is wrong and what planbook did about it.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass

from planbook.core.layout import DATA_ISSUES, LISTS

ERROR = "error"
WARNING = "warning"
INFO = "info"  # not a problem: a note of what planbook did with a row (e.g. superseded)

#: Every finding code planbook produces, with its severity and a short description.
CODES: dict[str, tuple[str, str]] = {
    "missing-required": (ERROR, "a required cell (Ref, Action, Lead) is empty"),
    "duplicate-ref": (ERROR, "the same Ref is used twice"),
    "unknown-status": (ERROR, "the Status is not one of the status list"),
    "unknown-lead": (ERROR, f"the Lead is not on the {LISTS} sheet"),
    "unknown-theme": (WARNING, f"the Theme is not on the {LISTS} sheet"),
    "bad-email": (ERROR, f"a lead's email on the {LISTS} sheet is not one address a message can be sent to"),
    "bad-due": (WARNING, "the Due cell is not a date or a recognised phrase"),
    "bad-date": (WARNING, "a date cell holds something that is not a date"),
    "unknown-column": (WARNING, "a column planbook does not know; kept as an extra column"),
    "sheet-skipped": (WARNING, "a sheet with content that is not a lead tab"),
    "missing-metadata": (WARNING, "the workbook has no planbook metadata sheet"),
    "duplicate-across-sources": (WARNING, "the same Ref came from two files or tabs; one copy was used"),
    "superseded": (INFO, "a master tab row replaced by the lead's returned copy"),
    "above-header": (INFO, "a row above a tab's header row (a title or note): not an action"),
    "repeated-header": (INFO, "the header row pasted again under the header: not an action"),
    "file-skipped": (WARNING, "an input file that is not a usable planbook workbook"),
    "ref-collision": (ERROR, "two different actions from different files share a Ref: both kept; renumber one"),
    "ref-of-retired": (WARNING, "a lead added an action under the Ref of a retired action: kept as a new action "
                                "(roll forward gives it a Ref of its own); the retired action's history is untouched"),
    "not-in-return": (WARNING, "a master row for a lead is missing from the lead's returned copy: kept"),
    "superseded-copy": (WARNING, "a lead returned more than one copy: the one with the latest edits was used "
                                 "(when nothing tells them apart, the first: to check)"),
    "other-plan": (WARNING, "a returned copy belongs to another plan or period: skipped"),
    "not-a-planbook": (WARNING, "a workbook in an input folder that is not a planbook workbook: skipped"),
    "return-unreadable": (ERROR, "a lead's returned copy could not be read: the master's older copy was used"),
    "renamed-column": (WARNING, "a lead's own column headed like a standard one was renamed"),
    "missing-tab": (WARNING, "the plan's metadata names a lead tab that is not in the workbook"),
    "error-value": (ERROR, "a cell shows an error value (#REF!, #N/A, #DIV/0! …) instead of data"),
    "formula-not-calculated": (ERROR, "a cell holds a formula saved without its value (never calculated)"),
    "lead-split": (INFO, "a cell named several leads: the first is the Lead, the others Partners"),
    "control-character": (WARNING, "a cell held characters Excel and Word cannot save (e.g. Word's line break "
                                   "U+000B); replaced"),
    "cell-too-long": (WARNING, "a text longer than an Excel cell's 32,767 characters: cut to fit (what was cut is "
                               f"kept on {DATA_ISSUES})"),
    "ref-generated": (INFO, "import gave an action with no number in the source a Ref"),
    "lead-merged": (INFO, "import listed a spelling of a lead under the lead's usual name"),
    "lead-alias-unused": (WARNING, "a line of the --leads file names no lead the source has: it was not used"),
    "duplicate-tab": (WARNING, "a second copy of a lead's tab in one file (a backup): one used, the other listed, "
                               "its rows counted once"),
    "cell-note": (INFO, "a note (comment) on a cell: kept, as the progress update or in the Cell notes column"),
    "merged-status": (WARNING, "a Status cell merged over several rows: each row read with the merged cell's word"),
    "merged-cell": (WARNING, "a cell merged over several actions' rows (an Objective merged down them): each row "
                             "read with its text (in a Ref, Action, Due or Last updated, each row named)"),
    "status-by-colour": (ERROR, "a blank Status cell filled with a colour: no status given; the matching status "
                                "is offered"),
    "period-renamed": (INFO, "a lead's copy sent out for the period under the name it had before the coordinator "
                             "renamed it: read as this period's return"),
    "period-repeated": (ERROR, "the plan's period is already a period of its History sheet (renamed to one past): "
                               "this period is recorded under a name of its own, the earlier one kept"),
    "ref-restored": (WARNING, "a lead's row with its Ref blanked is the plan's action of the same text on their tab: "
                              "counted as that action, under its Ref"),
    "ref-renumbered": (WARNING, "a lead renumbered an action (3.1 typed as 3.01, the text unchanged): counted "
                                "once, under the Ref they typed"),
    "credited-by-content": (INFO, "a returned file holds a lead's tab its metadata does not name (a joint return, "
                                  "a tab pasted in): credited to that lead by its rows"),
    "tab-not-on-plan": (WARNING, "a returned file holds a tab with none of the plan's actions or leads (a copy "
                                 "forwarded to another organisation): its rows are listed, not rolled up"),
    "action-not-on-plan": (INFO, "a row of a tab not on the plan, listed for the coordinator to add or reassign"),
    "whole-master": (INFO, "a lead returned the whole master: their tab was used as their return"),
    "values-only": (INFO, "a return saved as .ods, .xls or .xlsb: read for its values (formatting and drop-downs "
                          "not checked)"),
    "status-read": (INFO, "a Status cell read from a letter (G/A/R/B), a symbol (☺ ✓) or another phrase (Green, RAG: "
                          "Amber, In progress): the note says which status it was counted as"),
    "theme-alias-unused": (WARNING, "a line of the --themes file names no theme heading the source has: it was not used"),
    "section-heading": (INFO, "import read a row holding only a heading as the Theme or Objective below it"),
    "notes-unreadable": (WARNING, "a lead tab's notes (comments) are in a damaged part of the file: not read"),
    "bad-setting": (WARNING, "a setting on the Guide planbook cannot use (a return-by date that is not a date, "
                             "a coordinator email that is not an address, a reporting period cleared)"),
    "history-changed": (WARNING, "a lead's copy shows a period's status or update other than the plan's history: "
                                 "the history is kept"),
    "carried-over": (WARNING, "roll forward: a problem last period's consolidation could not settle, carried into "
                              "the new period's plan"),
    "ref-given": (INFO, "roll forward gave an action a lead added (or one with no Ref) a Ref of its own"),
    "action-retired": (INFO, "roll forward took an action Complete for the plan's number of periods out of the "
                             "leads' copies (its history stays)"),
    "settings-differ": (WARNING, "a lead's copy gives a setting (title, coordinator, return-by date) other than "
                                 "the master's: the master's is used"),
}


@dataclass(frozen=True)
class Finding:
    """One problem in user data, pointing at the exact cell."""

    code: str
    file: str
    sheet: str
    cell: str
    value: str
    message: str
    severity: str = ""
    outcome: str = ""  # what planbook did: "kept as text", "row not rolled up", …

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"unknown finding code {self.code!r}")
        if not self.severity:
            object.__setattr__(self, "severity", CODES[self.code][0])

    def to_dict(self) -> dict[str, str]:
        return asdict(self)

    def __str__(self) -> str:
        where = f"{self.file}!{self.sheet}!{self.cell}" if self.cell else f"{self.file}!{self.sheet}"
        return f"{where}: {self.severity}: {self.message} [{self.code}]"


class Report:
    """An ordered collection of findings with the counts people ask for."""

    def __init__(self, findings: Iterable[Finding] = ()) -> None:
        self.findings: list[Finding] = list(findings)

    def add(self, finding: Finding) -> None:
        self.findings.append(finding)

    def extend(self, findings: Iterable[Finding]) -> None:
        self.findings.extend(findings)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == WARNING]

    @property
    def ok(self) -> bool:
        """True when there are no errors (warnings allowed)."""
        return not self.errors

    def codes(self) -> list[str]:
        return [f.code for f in self.findings]

    def __iter__(self) -> Iterator[Finding]:
        return iter(self.findings)

    def __len__(self) -> int:
        return len(self.findings)
