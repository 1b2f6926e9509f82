"""Split a plan into one workbook per lead, to email out for updates."""
from __future__ import annotations

import os
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from planbook.core.errors import OutputError, PlanbookError
from planbook.core.names import file_stem
from planbook.files.atomic import about_to_commit, check_folder, staged_outputs
from planbook.files.guard import refuse_overwriting_inputs
from planbook.workbook.plan import Plan
from planbook.workbook.reader import read_plan
from planbook.workbook.writer import last_period_strangers, write_plan


@dataclass(frozen=True)
class LeadCopy:
    """One lead's copy written by a split: whose it is, where it went, how many actions it holds."""

    lead: str
    path: Path
    actions: int


def split_plan(plan_path: str | os.PathLike[str], out_dir: str | os.PathLike[str], *,
               force: bool = False) -> list[LeadCopy]:
    """Write one workbook per lead tab of ``plan_path`` into ``out_dir``.

    Each copy has the lead's tab, ``Guide``, ``Lists`` (all leads and themes, so the drop-downs
    work) and metadata marking it as that lead's copy.  File names come from the lead's name,
    made safe on every system and unique.  Existing files are not replaced unless ``force``;
    in that case nothing is written at all.
    """
    return split_read_plan(read_plan(plan_path), out_dir, force=force)


def split_read_plan(plan: Plan, out_dir: str | os.PathLike[str], *, force: bool = False,
                    only: Collection[str] | None = None) -> list[LeadCopy]:
    """:func:`split_plan` for a plan already read (so callers that need it too read it once).

    ``only``: write just these leads' copies (file names stay those of the full split)."""
    if plan.role == "lead-copy":  # a copy of a copy would come back as the lead's, without the plan's other leads
        raise PlanbookError(f"{Path(plan.path).name} is a lead's copy, not the master plan: split the master plan")
    out = Path(out_dir)
    check_folder(out)
    taken: set[str] = set()
    jobs = []
    for sheet, name in plan.lead_tabs().items():  # not the 'No lead' tab: see unassigned_actions
        actions = [a for a in plan.actions if a.origin and a.origin.sheet == sheet]
        jobs.append((name, out / f"{file_stem(name, taken)}.xlsx", actions))
    if only is not None:
        jobs = [job for job in jobs if job[0] in only]
    for _, p, _ in jobs:
        refuse_overwriting_inputs(p, [plan.path], what="plan")
    clashes = [str(p) for _, p, _ in jobs if p.exists()]
    if clashes and not force:
        raise OutputError(f"{len(clashes)} file(s) already exist in {out}, e.g. {clashes[0]} (use --force to replace them)")
    copies = []
    strangers = last_period_strangers(plan.actions, plan.history)  # across tabs: two leads sharing a Ref
    with staged_outputs(out) as stage:  # every copy written before any is put in place: all or nothing
        for name, path, actions in jobs:
            write_plan(stage / path.name, plan.info, actions, only_leads=[name], role="lead-copy",
                       history=plan.history, strangers=strangers)
            copies.append(LeadCopy(name, path, len(actions)))
        about_to_commit()
        for _, path, _ in jobs:
            os.replace(stage / path.name, path)
    return copies


def unassigned_actions(plan: Plan) -> list:
    """The actions on the plan's 'No lead' tab (an import found no lead for them): no copy is
    split for them and nobody is chased for them until the coordinator gives each a lead."""
    tabs = set(plan.tabs) - set(plan.lead_tabs())
    return [a for a in plan.actions if a.origin and a.origin.sheet in tabs]
