"""The Word progress report, rendered from a consolidated workbook through a docxtpl template.

The layout lives in ``templates/summary.docx`` (jinja2 tags), so a council restyles it in Word.
Figures are read back from the consolidated workbook itself, so the report says exactly
what the workbook says.  Unknown or misspelt template variables are an error naming the tag.
"""
from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections import Counter
from pathlib import Path

from .atomic import atomic_output, check_output
from .consolidated_reader import ConsolidatedView, read_consolidated
from .errors import PlanbookError
from .guard import refuse_overwriting_inputs
from .resources import TEMPLATES
from .status import COLOURS, COMPLETE, NOT_STARTED, OFF_TRACK, ON_TRACK, SLIPPAGE, STATUSES

class TemplateError(PlanbookError):
    """A Word or email template that cannot be rendered (unknown tag, syntax error)."""


def _fill(status: str) -> str:
    return COLOURS[status][1].lstrip("#") if status in COLOURS else "FFFFFF"


def _date_text(text: str) -> str:
    try:
        return dt.date.fromisoformat(text).strftime("%d %b %Y")
    except ValueError:
        return text


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def summary_sentence(counts: Counter, total: int) -> str:
    """ "Of the 122 actions, 87 are complete or on track, 9 show slippage and 2 are off track." """
    good = counts.get(COMPLETE, 0) + counts.get(ON_TRACK, 0)
    parts = [f"{good} {'is' if good == 1 else 'are'} complete or on track",
             f"{counts.get(SLIPPAGE, 0)} {'shows' if counts.get(SLIPPAGE, 0) == 1 else 'show'} slippage",
             f"{counts.get(OFF_TRACK, 0)} {'is' if counts.get(OFF_TRACK, 0) == 1 else 'are'} off track"]
    text = f"Of the {total} actions, {parts[0]}, {parts[1]} and {parts[2]}"
    if counts.get(NOT_STARTED, 0):
        text += f"; {counts[NOT_STARTED]} {'has' if counts[NOT_STARTED] == 1 else 'have'} not started"
    return text + "."


def build_context(view: ConsolidatedView) -> dict:
    """The template variables (everything but the chart image)."""
    counts = view.counts()
    total = len(view.actions)
    with_dates = [a for a in view.actions if a.get("Due by")]
    on_target = sum(1 for a in with_dates if a["Status"] in (COMPLETE, ON_TRACK))
    themes = list(dict.fromkeys(a["Theme"] for a in view.actions))
    by_theme = Counter((a["Theme"], a["Status"]) for a in view.actions)
    exceptions = [a for a in view.actions if a["Status"] in (SLIPPAGE, OFF_TRACK) or a.get("Overdue")]
    exceptions.sort(key=lambda a: (0 if a["Status"] == OFF_TRACK else 1 if a["Status"] == SLIPPAGE else 2))

    def row(a: dict[str, str]) -> dict[str, str]:
        status = a["Status"] or NOT_STARTED
        return {"ref": a["Ref"], "action": a["Action"], "lead": a["Lead"], "due": _date_text(a["Due"]),
                "status": status + (" (overdue)" if a.get("Overdue") and status != COMPLETE else ""),
                "fill": _fill(status), "progress": a.get("Progress update", "")}

    kinds = Counter(c["Change"] for c in view.changes)
    return {
        "title": view.title or "Action plan",
        "period": view.period or "this period",
        "as_of": view.as_of.strftime("%d %B %Y") if view.as_of else "",
        "purpose": (f"To report progress on the {view.title or 'action plan'} for {view.period or 'this period'}: "
                    "how many actions are complete or on track, which have slipped or are off track and why, "
                    "and what has changed since the last report."),
        "summary_sentence": summary_sentence(counts, total),
        "timescale_sentence": (f"Of those actions with timescales, {on_target} of {len(with_dates)} are complete "
                               "or on target." if with_dates else ""),
        "status_rows": [{"status": s, "count": counts.get(s, 0), "fill": _fill(s),
                         "percent": f"{(counts.get(s, 0) / total * 100 if total else 0):.0f}%"} for s in STATUSES],
        "theme_rows": [{"theme": t or "(no theme)", "counts": [by_theme.get((t, s), 0) for s in STATUSES],
                        "fills": [_fill(s) if by_theme.get((t, s), 0) else "FFFFFF" for s in STATUSES],
                        "total": sum(by_theme.get((t, s), 0) for s in STATUSES)} for t in themes],
        "chart_caption": "Figure 1: actions by status and theme (the same figures as the table above).",
        "exceptions_sentence": (f"{_plural(len(exceptions), 'action')} {'needs' if len(exceptions) == 1 else 'need'} "
                                "attention: off track first, then slippage, then overdue."
                                if exceptions else "No actions show slippage, are off track or are overdue."),
        "exceptions": [row(a) for a in exceptions],
        "changes_sentence": (", ".join(f"{n} {k.lower()}" for k, n in kinds.most_common()) + "."
                             if view.changes else "No previous report was given to compare with."),
        "changes": [{"kind": c["Change"], "ref": c["Ref"], "action": c["Action"], "before": c["Before"],
                     "after": c["Now"]} for c in view.changes if c["Change"] != "Commentary unchanged"],
        "appendix": [{"theme": t or "(no theme)", "actions": [row(a) for a in view.actions if a["Theme"] == t]}
                     for t in themes],
        "counts": {s: counts.get(s, 0) for s in STATUSES},
        "total": total,
    }


def draw_chart(context: dict, path: Path) -> None:
    """Stacked bar chart of status by theme, in the status colours."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = context["theme_rows"]
    labels = [r["theme"][:40] for r in rows]
    fig, ax = plt.subplots(figsize=(7.5, 0.45 * len(rows) + 1.6), dpi=150)
    left = [0] * len(rows)
    for i, status in enumerate(STATUSES):
        values = [r["counts"][i] for r in rows]
        ax.barh(labels, values, left=left, color=COLOURS[status][1], edgecolor="#404040", linewidth=0.5, label=status)
        left = [a + b for a, b in zip(left, values)]
    ax.invert_yaxis()
    ax.set_xlabel("Actions")
    ax.legend(ncol=5, loc="upper center", bbox_to_anchor=(0.5, -0.18 if len(rows) > 3 else -0.3), frameon=False, fontsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    fig.savefig(path, bbox_inches="tight")  # the legend sits below the axes: keep it in the picture
    plt.close(fig)


def render_report(consolidated: str | os.PathLike[str], out: str | os.PathLike[str],
                  template: str | os.PathLike[str] | None = None) -> Path:
    """Write the Word progress report for ``consolidated`` to ``out`` (atomically)."""
    from docx.shared import Mm
    from docxtpl import DocxTemplate, InlineImage
    from jinja2 import Environment, StrictUndefined, TemplateError as JinjaError

    refuse_overwriting_inputs(out, [consolidated, template], what="input")
    check_output(out)
    view = read_consolidated(consolidated)
    template_path = Path(template) if template else TEMPLATES / "summary.docx"
    if not template_path.exists():
        raise TemplateError(f"template not found: {template_path}")
    try:
        tpl = DocxTemplate(str(template_path))
        env = Environment(undefined=StrictUndefined, autoescape=False)
        context = build_context(view)
        unknown = sorted(tpl.get_undeclared_template_variables(env) - set(context) - {"chart"})
    except JinjaError as exc:
        raise TemplateError(f"template {template_path.name} has a syntax error: {exc}") from exc
    except Exception as exc:  # not a .docx, damaged zip
        raise TemplateError(f"template {template_path.name} cannot be read: {exc}") from exc
    if unknown:
        known = ", ".join(sorted([*context, "chart"]))
        raise TemplateError(f"template {template_path.name} uses unknown variable(s): "
                            f"{', '.join('{{ ' + u + ' }}' for u in unknown)}; known variables are: {known}")
    with tempfile.TemporaryDirectory() as tmpdir:
        chart = Path(tmpdir) / "chart.png"
        draw_chart(context, chart)
        context["chart"] = InlineImage(tpl, str(chart), width=Mm(160))
        try:
            tpl.render(context, env)
        except JinjaError as exc:
            raise TemplateError(f"template {template_path.name}: {exc}") from exc
        with atomic_output(out) as tmp:
            tpl.save(str(tmp))
            _add_alt_text(tmp, "Stacked bar chart of the number of actions in each status for each theme; "
                               "the figures are in the Progress by theme table.")
    return Path(out)


def _add_alt_text(path: Path, text: str) -> None:
    """Charts carry alt text (accessibility): set it on every picture in the document."""
    from docx import Document

    doc = Document(str(path))
    for shape in doc.inline_shapes:
        shape._inline.docPr.set("descr", text)
        shape._inline.docPr.set("title", "Actions by status and theme")
    doc.save(str(path))
