"""The Word progress report, rendered from a consolidated workbook through a docxtpl template.

The layout lives in ``templates/summary.docx`` (jinja2 tags), so a council restyles it in Word.
Figures are read back from the consolidated workbook itself, so the report says exactly
what the workbook says.  Unknown or misspelt template variables are an error naming the tag.

Whatever a lead typed is data: every value is escaped before it reaches the document
(jinja autoescape), so ``&``, ``<``, ``{{ 7*7 }}`` or pasted WordprocessingML show as typed and
never become markup, fields or links; control characters XML cannot hold become spaces.
Every status line (the five statuses, and "No status given" / "Status not recognised" when
they occur) adds up to the total in the text, the tables and the chart; percentages are
rounded so they sum to 100 (largest remainder).  The rules and wording are the core's, as the
workbook, the email and the command line use them: which line a Status counts on and the
percentages (:mod:`planbook.core.status`), the sentences (:mod:`planbook.core.prose`), the
actions needing attention (the workbook's Exceptions sheet, counted by
:mod:`planbook.core.attention`), directions (:mod:`planbook.core.direction`) and dates
(:mod:`planbook.core.dates`).
"""
from __future__ import annotations

import os
import re
import zipfile
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from planbook.core.attention import attention_mark
from planbook.core.dates import prose_date, uk_text
from planbook.core.direction import (
    COMMENTARY,
    HANDED_OVER,
    SAME,
    THEME_MOVED,
    count_directions,
    direction_of_change,
    is_unchanged,
    theme_direction,
)
from planbook.core.errors import TemplateError
from planbook.core.prose import (
    attention_sentence,
    counted,
    deadline_sentence,
    summary_sentence,
)
from planbook.core.prose import changes_sentence as changes_sentence_of
from planbook.core.prose import direction_sentence as direction_sentence_of
from planbook.core.resources import TEMPLATES
from planbook.core.status import (
    COLOURS,
    COMPLETE,
    COUNT_LINES,
    NO_STATUS,
    NOT_RECOGNISED,
    NOT_STARTED,
    OFF_TRACK,
    ON_TRACK,
    SLIPPAGE,
    STATUSES,
    count_line_of_text,
    percentages,
    status_as_listed,
)
from planbook.files.atomic import atomic_output, check_output
from planbook.files.guard import (
    check_zip,
    refuse_overwriting_inputs,
    refuse_special,
    require_suffix,
)
from planbook.rollup.tracker import returns_sentence
from planbook.word.chart import Series, add_bar_chart
from planbook.word.tables import lay_out_tables
from planbook.word.year import add_year_charts, year_context
from planbook.workbook.view import ConsolidatedView, read_consolidated

#: Every status line the report can show, in order (the core's count lines).
STATUS_LINES: tuple[str, ...] = COUNT_LINES
#: Short names for template tags ({{ t.n.on_track }}).
SHORT = {COMPLETE: "complete", ON_TRACK: "on_track", SLIPPAGE: "slippage", OFF_TRACK: "off_track",
         NOT_STARTED: "not_started", NO_STATUS: "no_status", NOT_RECOGNISED: "unrecognised"}
#: Cell fills (RRGGBB): the status colours; the two extra lines stay light (black text on them).
FILLS = {**{s: COLOURS[s][1].lstrip("#").upper() for s in STATUSES}, NO_STATUS: "FFFFFF", NOT_RECOGNISED: "E4DFEC"}
#: Plans up to this size get the whole plan in the appendix; bigger ones get the exceptions only.
FULL_APPENDIX_LIMIT = 500
#: At most this many rows in the appendix, the exceptions table and the changes table.
APPENDIX_ROWS, BODY_EXCEPTIONS, CHANGE_ROWS, NOT_UPDATED_REFS = 500, 50, 200, 40

_BAD_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def clean(text: Any) -> str:
    """Text XML can hold: control characters (a pasted Word line break is U+000B) become spaces."""
    s = "" if text is None else str(text)
    if "\r" in s:
        s = s.replace("\r\n", "\n").replace("\r", "\n")
    return _BAD_CHARS.sub(" ", s)


def _direction(a: Mapping[str, str], derived: Mapping[str, str] | None) -> str:
    d = clean(a.get("Direction", "")).strip()
    if not d and derived is not None:
        d = derived.get(a.get("Ref", "").strip().lower(), SAME)
    return d


def shown_direction(d: str) -> str:
    """"↑ better" with a no-break space: the arrow never ends a line without its word."""
    return d.replace(" ", "\u00a0", 1) if d[:1] in "↑↓→" and d else d


def _theme_direction(values: Sequence[str]) -> str:
    """A theme's direction (see :func:`planbook.core.direction.theme_direction`), arrow kept with its word."""
    return shown_direction(theme_direction(values))


_CHANGE_ORDER = {"status worse": 0, "status better": 1, "handed over": 2, "theme changed": 3, "new action": 4,
                 "removed action": 5}
#: How the report's Now column words a hand-over and a theme move ("handed to Raj Patel").
_NOW_WORDS = {HANDED_OVER.lower(): "handed to {}", THEME_MOVED.lower(): "moved to {}"}


def build_context(view: ConsolidatedView, recommendations: Sequence[str] = (), *,
                  all_commentary: bool = False) -> dict:
    """The template variables (everything but the chart).

    Status changes and new and removed actions are listed in full; commentary updates are
    counted by theme (the text is in the appendix, or the workbook), unless ``all_commentary``
    lists each one before and after as well.
    """
    actions = view.actions
    total = len(actions)
    lines = [count_line_of_text(a.get("Status", "")) for a in actions]
    counts = Counter(lines)
    shown = [s for s in STATUS_LINES if s in STATUSES or counts.get(s)]
    with_dates = [line for a, line in zip(actions, lines) if a.get("Due by")]
    on_target = sum(1 for line in with_dates if line in (COMPLETE, ON_TRACK))

    has_direction = any(a.get("Direction") for a in actions)
    real_changes = [c for c in view.changes if not is_unchanged(c.get("Change", ""))]
    not_updated = [c for c in [*view.changes, *view.not_updated] if is_unchanged(c.get("Change", ""))]
    derived = None
    if not has_direction and view.changes:  # a workbook without the Direction column: from Changes
        derived = {}
        for c in view.changes:
            d = direction_of_change(c.get("Change", ""))
            if d:
                derived[c.get("Ref", "").strip().lower()] = d
    with_previous = has_direction or derived is not None
    directions = [_direction(a, derived) if with_previous else "" for a in actions]

    themes = list(dict.fromkeys(clean(a.get("Theme", "")) for a in actions))
    by_theme: dict[str, Counter] = defaultdict(Counter)
    dir_by_theme: dict[str, list[str]] = defaultdict(list)
    for a, line, d in zip(actions, lines, directions):
        t = clean(a.get("Theme", ""))
        by_theme[t][line] += 1
        dir_by_theme[t].append(d)

    def row(a: Mapping[str, str], line: str, direction: str, why: str = "") -> dict[str, str]:
        status = line if line != NOT_RECOGNISED else status_as_listed(clean(a.get("Status", "")))
        overdue = a.get("Overdue") and line != COMPLETE
        mark = attention_mark(why) if why else ""
        return {"ref": clean(a.get("Ref", "")), "action": clean(a.get("Action", "")), "lead": clean(a.get("Lead", "")),
                "due": uk_text(clean(a.get("Due", ""))),
                "status": status + (" (overdue)" if overdue else "") + (f" ({mark})" if mark else ""),
                "fill": FILLS[line], "progress": clean(a.get("Progress update", "")),
                "direction": shown_direction(direction),
                "theme": clean(a.get("Theme", "")) or "(no theme)"}

    # the actions needing attention: the Exceptions sheet's rows (with their All actions rows), most serious first
    place = {id(a): i for i, a in enumerate(actions)}
    attention = view.attention()
    needing = []
    for e, a in view.needing_attention():
        i = place[id(a)] if a is not None else None
        needing.append((row(a, lines[i], directions[i], e.get("Why", "")) if i is not None else
                        row(e, count_line_of_text(e.get("Status", "")), "", e.get("Why", "")), i))
    n_exc = attention.total
    exceptions = [r for r, _ in needing[:BODY_EXCEPTIONS]]
    big = total > FULL_APPENDIX_LIMIT
    workbook = Path(view.path).name

    exceptions_sentence = attention_sentence(attention)
    if n_exc:
        exceptions_sentence += " They are listed in that order." if len(attention.present()) > 1 else ""
        if n_exc > BODY_EXCEPTIONS:
            exceptions_sentence += (f" The {BODY_EXCEPTIONS} most serious are listed here; the Appendix lists "
                                    f"{'them all' if n_exc <= APPENDIX_ROWS else f'the {APPENDIX_ROWS} most serious'} "
                                    f"by theme, and the consolidated workbook, {workbook}, lists every one.")

    if big:
        order = {t or "(no theme)": k for k, t in enumerate(themes)}
        listed = sorted((r for r, _ in needing[:APPENDIX_ROWS]), key=lambda r: order.get(r["theme"], len(order)))
        appendix_title = "actions needing attention"
        appendix_sentence = (f"The plan has {total:,} actions, more than a committee report can usefully list, so "
                             "this appendix lists only the actions needing attention"
                             + (f": the {len(listed):,} most serious of {n_exc:,}" if n_exc > len(listed) else "")
                             + f", grouped by theme. Every action, and every one needing attention, is in the "
                             f"consolidated workbook, {workbook}.")
    else:
        # each action once: those listed under Exceptions (with their commentary) are not repeated
        # each action once: those listed under Exceptions (with their commentary) are not repeated, nor
        # are those already complete at the last report with nothing new since (reported before)
        in_body = {i for _, i in needing[:BODY_EXCEPTIONS] if i is not None}
        changed = {c.get("Ref", "").strip().lower() for c in real_changes}
        done_before = {i for i, (a, line, d) in enumerate(zip(actions, lines, directions))
                       if with_previous and line == COMPLETE and d == SAME and i not in in_body
                       and a.get("Ref", "").strip().lower() not in changed}
        listed = [row(a, line, d) for i, (a, line, d) in enumerate(zip(actions, lines, directions))
                  if i not in in_body and i not in done_before]
        parts = [f"the {counted(len(in_body), 'action', 'actions')} needing attention "
                 f"{'is' if len(in_body) == 1 else 'are'} under Exceptions above" if in_body else "",
                 f"the {counted(len(done_before), 'action', 'actions')} already complete at the last report, with "
                 f"nothing new since, {'is' if len(done_before) == 1 else 'are'} not listed again (the consolidated "
                 f"workbook, {workbook}, has {'it' if len(done_before) == 1 else 'them'})" if done_before else ""]
        parts = [p for p in parts if p]
        if parts:
            appendix_title = "the rest of the plan"
            appendix_sentence = (f"The other {counted(len(listed), 'action', 'actions')} of the plan's {total:,}, "
                                 "grouped by theme, in plan order; " + "; ".join(parts) + ".")
        else:
            appendix_title = "the whole plan"
            appendix_sentence = f"Every action in the plan ({total:,}), grouped by theme, in plan order."
    groups: dict[str, list[dict]] = {}
    for r in listed:
        groups.setdefault(r["theme"], []).append(r)

    theme_of = {a.get("Ref", "").strip().lower(): clean(a.get("Theme", "")) for a in actions}
    commentary = [c for c in real_changes if c.get("Change", "").lower() == COMMENTARY.lower()]
    listed_changes = real_changes if all_commentary else [c for c in real_changes if c not in commentary]
    changes_sentence = changes_sentence_of(Counter(c.get("Change", "") for c in listed_changes))
    if changes_sentence:
        changes_sentence += (" Each is listed below" + (", worse first." if len(listed_changes) <= CHANGE_ROWS else
                             f": the first {CHANGE_ROWS}, worse first; the consolidated workbook, {workbook}, "
                             "lists every one."))
    elif commentary:
        changes_sentence = "Since the last report, no action has changed status, been added or been removed."
    elif with_previous or view.changes:
        changes_sentence = "No action has changed since the last report."
    else:
        changes_sentence = "No previous report was given to compare with."
    ordered = sorted(listed_changes, key=lambda c: _CHANGE_ORDER.get(c.get("Change", "").lower(), 9))
    due_kinds = ("due date moved", "due moved", "due changed")
    changes = [{"kind": clean(c.get("Change", "")), "ref": clean(c.get("Ref", "")), "action": clean(c.get("Action", "")),
                "before": uk_text(clean(c.get("Before", ""))) if c.get("Change", "").lower() in due_kinds else clean(c.get("Before", "")),
                "after": uk_text(clean(c.get("Now", ""))) if c.get("Change", "").lower() in due_kinds
                else _NOW_WORDS.get(c.get("Change", "").lower(), "{}").format(clean(c.get("Now", "")))}
               for c in ordered[:CHANGE_ROWS]]
    stale: dict[str, list[str]] = {}
    for c in not_updated:
        stale.setdefault(clean(c.get("Lead", "")) or "(no lead)", []).append(clean(c.get("Ref", "")))
    not_updated_rows = [{"lead": lead, "refs": ", ".join(refs[:NOT_UPDATED_REFS])
                         + (f" and {len(refs) - NOT_UPDATED_REFS:,} more" if len(refs) > NOT_UPDATED_REFS else "")}
                        for lead, refs in stale.items()]
    not_updated_sentence = (f"Commentary unchanged: the commentary on {counted(len(not_updated), 'unfinished action', 'unfinished actions')} "
                            "is the same as in the last report. By lead:" if not_updated else "")
    commentary_sentence, commentary_rows = "", []
    if commentary:
        where = ("each update is listed in full above, before and after" if all_commentary else
                 "each action's commentary is under Exceptions or in the Appendix" if not big else
                 f"the consolidated workbook, {workbook}, lists each update before and after")
        other = total - len(commentary) - len(not_updated)
        commentary_sentence = (
            f"The commentary on {counted(len(commentary), 'action', 'actions')} was updated this period ({where})"
            + (f"; on {counted(len(not_updated), 'unfinished action', 'unfinished actions')} it was not, as listed "
               "by lead below" if not_updated else "")
            + (f"; the other {other:,} {'is' if other == 1 else 'are'} complete, new or without commentary" if other > 0
               else "") + ". By theme:")
        updated_by = Counter(theme_of.get(c.get("Ref", "").strip().lower(), "") for c in commentary)
        stale_by = Counter(theme_of.get(c.get("Ref", "").strip().lower(), "") for c in not_updated)
        commentary_rows = [{"theme": t or "(no theme)", "updated": updated_by.get(t, 0), "not_updated": stale_by.get(t, 0),
                            "total": sum(by_theme[t].values())} for t in themes]

    direction_sentence = direction_sentence_of(count_directions(directions), total) if with_previous else ""

    numbers = [counts.get(s, 0) for s in shown]
    shares = percentages(counts, shown)
    pct = [shares[s] for s in shown]
    title = clean(view.title) or "Action plan"
    period = clean(view.period) or "this period"
    recs = [clean(r) for r in recommendations if clean(r).strip()] or [
        "[Recommendation: replace this text with what the committee is asked to do, for example to note the "
        "progress made and agree the actions proposed for the items off track.]"]
    return {
        "title": title,
        "period": period,
        "as_of": prose_date(view.as_of) if view.as_of else "",
        "purpose": (f"To report progress on the {title} for {period}: how many actions are complete or on track, "
                    "which have slipped or are off track and why, and what has changed since the last report."),
        "recommendations": recs,
        "summary_sentence": summary_sentence(counts, total, view.retired),
        "returns_sentence": returns_sentence([(r.get("Lead", ""), r.get("Return", "")) for r in view.returns],
                                             view.return_by, [r.get("Lead", "") for r in view.returns
                                                              if r.get("Could not be used because")]),
        "direction_sentence": direction_sentence,
        "timescale_sentence": deadline_sentence(on_target, len(with_dates), total),
        "status_rows": [{"status": s, "count": n, "fill": FILLS[s], "percent": f"{p}%"}
                        for s, n, p in zip(shown, numbers, pct)],
        "theme_rows": [{"theme": t or "(no theme)",
                        "counts": [by_theme[t].get(s, 0) for s in shown],
                        "fills": [FILLS[s] if by_theme[t].get(s, 0) else "FFFFFF" for s in shown],
                        "n": {SHORT[s]: by_theme[t].get(s, 0) for s in STATUS_LINES},
                        "fill": {SHORT[s]: FILLS[s] if by_theme[t].get(s, 0) else "FFFFFF" for s in STATUS_LINES},
                        "total": sum(by_theme[t].values()),
                        "direction": _theme_direction(dir_by_theme[t]) if with_previous else ""} for t in themes],
        "chart_caption": "Figure 1: actions by status and theme (the same figures as the table above).",
        "exceptions_sentence": exceptions_sentence,
        "exceptions": exceptions,
        "changes_sentence": changes_sentence,
        "changes": changes,
        "commentary_sentence": commentary_sentence,
        "commentary_rows": commentary_rows,
        "not_updated_sentence": not_updated_sentence,
        "not_updated": not_updated_rows,
        "appendix_title": appendix_title,
        "appendix_sentence": appendix_sentence,
        "appendix": [{"theme": t, "actions": rows} for t, rows in groups.items()],
        "counts": {s: counts.get(s, 0) for s in shown},
        "total": total,
        "with_previous": with_previous,
        "coordinator": clean(view.coordinator),
        "coordinator_email": clean(view.coordinator_email),
        "footer_contact": footer_contact(view.coordinator, view.coordinator_email),
        **year_context(view, [a if a is not None else e for e, a in view.needing_attention()], clean),
    }


def footer_contact(coordinator: str, email: str) -> str:
    """" · Contact: Pat Jones, plans@council.example" for the page footer ("" with neither)."""
    who = ", ".join(clean(x).strip() for x in (coordinator, email) if clean(x).strip())
    return f" · Contact: {who}" if who else ""


# --- rendering ------------------------------------------------------------------------------

_TCPR_ORDER = {name: i for i, name in enumerate(
    ("cnfStyle", "tcW", "gridSpan", "hMerge", "vMerge", "tcBorders", "shd", "noWrap", "tcMar", "textDirection",
     "tcFitText", "vAlign", "hideMark", "headers", "cellIns", "cellDel", "cellMerge", "tcPrChange"))}
_TCPR = re.compile(r"(<w:tcPr>)(.*?)(</w:tcPr>)", re.DOTALL)
_CHILD = re.compile(r"<w:(\w+)\b[^>]*?/>|<w:(\w+)\b[^>]*>.*?</w:\2>", re.DOTALL)


def order_tcpr(xml: str) -> str:
    """Put each ``<w:tcPr>``'s children in the schema's order (docxtpl's ``{% cellbg %}`` puts
    ``<w:shd>`` first, which Word repairs)."""
    def fix(m: re.Match) -> str:
        parts = [(c.group(1) or c.group(2), c.group(0)) for c in _CHILD.finditer(m.group(2))]
        if "".join(p for _, p in parts) != m.group(2) or any(n not in _TCPR_ORDER for n, _ in parts):
            return m.group(0)
        parts.sort(key=lambda p: _TCPR_ORDER[p[0]])
        return m.group(1) + "".join(p for _, p in parts) + m.group(3)
    return _TCPR.sub(fix, xml)


def _template_class():
    from docxtpl import DocxTemplate
    from jinja2 import Environment
    from lxml import etree

    class Template(DocxTemplate):
        """docxtpl, with schema-ordered cell properties and strict parsing of the rendered XML."""

        def patch_xml(self, src_xml):
            return order_tcpr(super().patch_xml(src_xml))

        def fix_tables(self, xml):
            tree = etree.fromstring(xml)  # strict: data is escaped, so the result is always well-formed
            ns = "{" + tree.nsmap["w"] + "}"
            for t in tree.iter(ns + "tbl"):
                grid = t.find(ns + "tblGrid")
                n = len(grid.findall(ns + "gridCol")) if grid is not None else 0
                if any(len(r.findall(ns + "tc")) != n for r in t.iter(ns + "tr")):
                    return super().fix_tables(xml)  # a {%tc for %} column loop in a council's template
            return tree

        def render_xml_part(self, src_xml, part, context, jinja_env=None):
            # docxtpl turns "{_{" into "{{" after rendering, in the data too; here the template's
            # own "{_{" become jinja string literals first, so a lead's "{_{" stays as typed
            for old, new in _LITERALS:
                src_xml = src_xml.replace(old, new)
            self.current_rendering_part = part
            src_xml = _P_START.sub(r"\n<w:p\1", src_xml)
            dst_xml = (jinja_env or Environment()).from_string(src_xml).render(context)
            return self.resolve_listing(_P_NEWLINE.sub(r"<w:p\1", dst_xml))

        def resolve_listing(self, xml):
            # only paragraphs holding a tab, line break, \a or \f need docxtpl's rewriting
            if not _LISTING.search(xml):
                return xml
            return _PARAGRAPH.sub(lambda m: super(Template, self).resolve_listing(m.group(0))
                                  if _LISTING.search(m.group(0)) else m.group(0), xml)

    return Template


_LITERALS = (("{_{", "{{ '{{' }}"), ("}_}", "{{ '}}' }}"), ("{_%", "{{ '{%' }}"), ("%_}", "{{ '%}' }}"))
_P_START = re.compile(r"<w:p([ >])")
_P_NEWLINE = re.compile(r"\n<w:p([ >])")
_LISTING = re.compile("[\t\n\a\f]")
_PARAGRAPH = re.compile(r"<w:p(?: [^>]*)?>.*?</w:p>", re.DOTALL)


def _undeclared(tpl, env) -> set[str]:
    """Variables the template uses, from the loaded template (body, headers and footers)."""
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from docx.oxml import parse_xml
    from jinja2 import meta

    xml = tpl.patch_xml(tpl.xml_to_string(tpl.docx._element.body))
    for rel in tpl.docx.part.rels.values():
        if rel.reltype in (RT.HEADER, RT.FOOTER) and not rel.is_external:
            xml += tpl.patch_xml(tpl.xml_to_string(parse_xml(rel.target_part.blob)))
    return meta.find_undeclared_variables(env.parse(xml))


def _set_language(document, lang: str = "en-GB") -> None:
    """en-GB unless the template names a language of its own other than Word's default en-US."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    styles = document.styles.element
    defaults = styles.find(qn("w:docDefaults"))
    if defaults is None:
        return
    rpr = defaults.find(qn("w:rPrDefault") + "/" + qn("w:rPr"))
    if rpr is None:
        return
    el = rpr.find(qn("w:lang"))
    if el is None:
        el = OxmlElement("w:lang")
        rpr.append(el)
    if el.get(qn("w:val")) in (None, "", "en-US"):
        el.set(qn("w:val"), lang)


def _chart(tpl, context: dict):

    shown = [s for s in context["counts"]]
    rows = context["theme_rows"]
    series = [Series(s, FILLS[s], [r["n"][SHORT[s]] for r in rows]) for s in shown
              if s in STATUSES or context["counts"][s]]
    return add_bar_chart(
        tpl.docx.part, [r["theme"] for r in rows], series, title="Actions by status and theme",
        description=(f"Bar chart of the number of actions in each status for each of the {len(rows)} themes; "
                     "the same figures are in the Progress by theme table."),
        font=tpl.docx.styles["Normal"].font.name or "")


#: The All actions columns the report reads (a 45,000-row report reads half the sheet's cells).
REPORT_COLUMNS = ("Ref", "Theme", "Action", "Lead", "Due", "Status", "Progress update", "Due by", "Overdue",
                  "Direction", "Source file", "Source sheet", "Source row")


def render_report(consolidated: str | os.PathLike[str], out: str | os.PathLike[str],
                  template: str | os.PathLike[str] | None = None, *,
                  recommendations: Sequence[str] = (), all_commentary: bool = False) -> Path:
    """Write the Word progress report for ``consolidated`` to ``out`` (atomically).

    ``recommendations`` fills the Recommendations section (else a placeholder the coordinator edits).
    Commentary updates are counted by theme, their text left to the appendix; ``all_commentary``
    lists each one, before and after, with the other changes.
    The workbook is read on a second thread (calamine parses outside Python's lock) while the
    template loads.
    """
    from concurrent.futures import ThreadPoolExecutor

    refuse_overwriting_inputs(out, [consolidated, template], what="input")
    check_output(out)
    require_suffix(out, (".docx",), "the Word report")
    with ThreadPoolExecutor(1) as pool:
        reading = pool.submit(read_consolidated, consolidated, REPORT_COLUMNS)
        try:
            loaded, problem = _load_template(template), None
        except TemplateError as exc:
            loaded, problem = None, exc
        view = reading.result()  # a workbook that cannot be read is reported before a template problem
    if problem is not None:
        raise problem
    return _render(view, out, loaded, recommendations, all_commentary)


def render_view(view: ConsolidatedView, out: str | os.PathLike[str],
                template: str | os.PathLike[str] | None = None, *, recommendations: Sequence[str] = (),
                all_commentary: bool = False) -> Path:
    """Write the Word progress report for an already-read consolidation ``view`` (see :func:`render_report`)."""
    check_output(out)
    return _render(view, out, _load_template(template), recommendations, all_commentary)


def _load_template(template: str | os.PathLike[str] | None):
    """(docxtpl template, jinja environment, the variables it uses, its path), or TemplateError."""
    from jinja2 import Environment, StrictUndefined
    from jinja2 import TemplateError as JinjaError

    template_path = Path(template) if template else TEMPLATES / "summary.docx"
    if not template_path.exists():
        raise TemplateError(f"template not found: {template_path}")
    refuse_special(template_path)
    try:
        with zipfile.ZipFile(template_path) as zf:
            check_zip(template_path, zf)  # a template is a .docx too: no bombs, no DTDs
    except (zipfile.BadZipFile, OSError) as exc:
        raise TemplateError(f"template {template_path.name} cannot be read: not a .docx ({exc})") from exc
    env = Environment(undefined=StrictUndefined, autoescape=True)
    try:
        tpl = _template_class()(str(template_path))
        tpl.init_docx()
        used = _undeclared(tpl, env)
    except JinjaError as exc:
        raise TemplateError(f"template {template_path.name} has a syntax error: {exc}") from exc
    except Exception as exc:  # not a .docx, damaged zip
        raise TemplateError(f"template {template_path.name} cannot be read: {exc}") from exc
    return tpl, env, used, template_path


def _render(view: ConsolidatedView, out: str | os.PathLike[str], loaded, recommendations: Sequence[str],
            all_commentary: bool = False) -> Path:
    from jinja2 import TemplateError as JinjaError

    tpl, env, used, template_path = loaded
    context = build_context(view, recommendations, all_commentary=all_commentary)
    unknown = sorted(used - set(context) - {"chart"})
    if unknown:
        known = ", ".join(sorted([*context, "chart"]))
        raise TemplateError(f"template {template_path.name} uses unknown variable(s): "
                            f"{', '.join('{{ ' + u + ' }}' for u in unknown)}; known variables are: {known}")

    drop = set()
    if not context["with_previous"]:
        drop.add("since last report")
    drop |= {s.lower() for s in (NO_STATUS, NOT_RECOGNISED) if s not in context["counts"]}
    lay_out_tables(tpl.docx, context, drop)
    _set_language(tpl.docx)
    context["chart"] = _chart(tpl, context)
    if "year_themes" in used:  # a council's own template without the section gets no charts it does not show
        add_year_charts(tpl.docx.part, context, font=tpl.docx.styles["Normal"].font.name or "")
    try:
        tpl.render(context, env, autoescape=True)
    except JinjaError as exc:
        raise TemplateError(f"template {template_path.name}: {exc}") from exc
    props = tpl.docx.core_properties
    props.title = f"{context['title']}: progress report, {context['period']}"[:255]
    props.language = "en-GB"
    with atomic_output(out) as tmp:
        tpl.save(str(tmp))
    return Path(out)
