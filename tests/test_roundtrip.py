"""Write -> read gives back the same actions; independent readers see the same cells."""
from __future__ import annotations

import datetime as dt
import string

import openpyxl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from planbook import Action, Lead, PlanInfo, parse_due, read_plan, write_plan
from planbook.core.columns import HEADERS
from planbook.core.status import STATUSES

from .conftest import small_plan

FIELDS = ("ref", "action", "lead", "theme", "objective", "partners", "success_measure", "resources",
          "status", "progress", "last_updated")


def _key(a: Action) -> tuple:
    return tuple(getattr(a, f) for f in FIELDS) + (a.due.text, a.due.kind, a.due.start, a.due.end,
                                                    tuple(sorted((k, v) for k, v in a.extras.items() if v not in (None, ""))))


def test_write_then_read_gives_the_same_actions(plan_file):
    info, actions = small_plan()
    plan = read_plan(plan_file)
    assert sorted(map(_key, plan.actions)) == sorted(map(_key, actions))
    assert plan.info.title == info.title and plan.info.period == info.period
    assert plan.info.leads == info.leads and plan.info.themes == info.themes
    assert plan.report.ok and len(plan.report) == 0
    assert plan.tabs == {"Jane Smith": "Jane Smith", "DD Achievement": "DD Achievement"}
    assert {a.origin.sheet for a in plan.actions if a.lead == "Jane Smith"} == {"Jane Smith"}


def test_openpyxl_reads_the_same_cells(plan_file):
    info, actions = small_plan()
    wb = openpyxl.load_workbook(plan_file)
    ws = wb["DD Achievement"]
    assert [c.value for c in ws[1]][: len(HEADERS)] == list(HEADERS)
    row = {h: c.value for h, c in zip(HEADERS, ws[2])}
    assert row["Ref"] == "3.10" and ws["A2"].number_format == "@"  # text, never 3.1
    assert row["Status"] == "Slippage" and row["Due"] == "Jan –May 2009"
    due_cell = wb["Jane Smith"]["G3"]
    assert due_cell.value == dt.datetime(2010, 3, 31) and due_cell.is_date


def test_calamine_reads_the_same_values_as_our_reader(plan_file):
    plan = read_plan(plan_file)
    wb = CalamineWorkbook.from_path(str(plan_file))
    for action in plan.actions:
        rows = wb.get_sheet_by_name(action.origin.sheet).to_python(skip_empty_area=False)
        header, row = rows[0], rows[action.origin.row - 1]
        cell = dict(zip(header, row))
        assert cell["Ref"] == action.ref and cell["Action"] == action.action and cell["Lead"] == action.lead
        assert cell["Status"] == action.status and cell["Progress update"] == action.progress
        due = cell["Due"]
        assert (due.isoformat() if isinstance(due, (dt.date, dt.datetime)) else due) == \
            (action.due.end.isoformat() if action.due.kind == "date" else action.due.text)
    meta = CalamineWorkbook.from_path(str(plan_file))
    assert "_planbook" in meta.sheet_names
    assert [str(s.visible).split(".")[-1] for s in meta.sheets_metadata if s.name == "_planbook"] == ["VeryHidden"]


# Text a person can type in Excel: any printable character, newlines, odd Unicode, long text.
_text = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\r_")
                | st.sampled_from(list("\n\t<>&\"'☺😊☹é€—")), max_size=400)
_short = st.text(alphabet=string.ascii_letters + string.digits + " &-'()é", min_size=1, max_size=30).map(str.strip).filter(bool)
_ref = st.from_regex(r"[1-9][0-9]?\.[0-9]{1,2}[a-z]?", fullmatch=True)
_due = st.sampled_from(["December 2008", "Jan –May 2009", "Quarterly", "Ongoing", "2008/09", "Summer 2008", ""]) \
    | st.dates(dt.date(2000, 1, 1), dt.date(2040, 12, 31))


@st.composite
def _actions(draw):
    leads = draw(st.lists(_short, min_size=1, max_size=4, unique_by=str.lower))
    refs = draw(st.lists(_ref, min_size=1, max_size=12, unique_by=str.lower))
    actions = []
    for ref in refs:
        due = draw(_due)
        actions.append(Action(
            ref=ref, action=draw(_text.filter(lambda t: t.strip())), lead=draw(st.sampled_from(leads)),
            objective=draw(_text), partners=draw(_text), success_measure=draw(_text), resources=draw(_text),
            progress=draw(_text), due=parse_due(due), status=draw(st.sampled_from(STATUSES)),
            last_updated=draw(st.none() | st.dates(dt.date(2000, 1, 1), dt.date(2040, 12, 31))),
            extras=draw(st.dictionaries(st.sampled_from(["Budget", "Notes", "RAG last qtr"]),
                                        st.integers(-10**6, 10**6) | _short, max_size=2))))
    return leads, actions


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(data=_actions())
def test_property_random_actions_round_trip(tmp_path_factory, data):
    leads, actions = data
    path = tmp_path_factory.mktemp("prop") / "p.xlsx"
    write_plan(path, PlanInfo("Random plan", "2009/10", [Lead(n) for n in leads]), actions)
    plan = read_plan(path)
    expected = []
    for a in actions:
        a.extras = {k: (float(v) if isinstance(v, int) else v) for k, v in a.extras.items()}
        expected.append(_key(a))
    assert sorted(map(_key, plan.actions), key=repr) == sorted(expected, key=repr)
    assert {f.code for f in plan.report} <= {"bad-due"}  # nothing else can be wrong with these
