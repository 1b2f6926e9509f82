"""Quarter-led milestone cells understood against the plan's year (issue 22, item 6)."""
from __future__ import annotations

import datetime as dt

import pytest

from planbook.core.due import OPEN, RANGE, parse_due
from tests.quarter_milestones import PLAN_YEAR, corpus, quarter

CASES = list(corpus())


def test_the_family_is_large_and_varied():
    assert len(CASES) >= 150
    assert len({text for text, *_ in CASES}) >= 0.9 * len(CASES)


def test_at_least_95_percent_of_the_family_is_understood_with_the_right_deadline():
    right = [text for text, start, end, rec in CASES
             if (d := parse_due(text, PLAN_YEAR)).understood and (d.start, d.deadline, d.recurrence) == (start, end, rec)]
    wrong = [(text, parse_due(text, PLAN_YEAR)) for text, *_ in CASES if text not in set(right)]
    assert len(right) / len(CASES) >= 0.95, wrong[:10]
    assert not wrong, wrong[:10]


@pytest.mark.parametrize("text, start, end", [
    ("Q1 Letter sent / Q3 Booklet produced", quarter(2009, 1)[0], quarter(2009, 3)[1]),
    ("Q4/Q1 (2010) Model reviewed", quarter(2009, 4)[0], quarter(2010, 1)[1]),
    ("Q1-4 Events held", quarter(2009, 1)[0], quarter(2009, 4)[1]),
    ("Q4", dt.date(2010, 1, 1), dt.date(2010, 3, 31)),
])
def test_the_cells_from_the_issue_keep_their_text_and_the_latest_milestone_is_the_deadline(text, start, end):
    due = parse_due(text, 2009)
    assert (due.text, due.kind, due.start, due.deadline) == (text, RANGE, start, end)


def test_and_ongoing_keeps_the_milestone_as_the_deadline():
    due = parse_due("Q1 and ongoing review of provision", 2009)
    assert (due.deadline, due.recurrence) == (dt.date(2009, 6, 30), "ongoing")


def test_a_year_after_the_list_belongs_to_its_last_quarter():
    assert parse_due("Q3/Q1 2011/12 Review", 2009).start == dt.date(2010, 10, 1)


@pytest.mark.parametrize("text", ["Quarterly", "Q5 review", "Qualifications framework agreed",
                                  "Questionnaire sent"])
def test_words_that_only_look_like_quarters_are_not_milestones(text):
    due = parse_due(text, 2009)
    assert due.recurrence == "quarterly" if text == "Quarterly" else not due.understood


@pytest.mark.parametrize("text, recurrence", [
    ("Ongoing  Ongoing", "ongoing"),
    ("Ongoing  Within 1 working day of referral  Ongoing", "ongoing"),
    ("Ongoing\nOngoing", "ongoing"),
    ("Within 5 working days of request", "within 5 working days"),
])
def test_a_phrase_repeated_in_a_due_cell_is_understood_once_and_the_text_kept(text, recurrence):
    due = parse_due(text, 2009)
    assert (due.text, due.kind, due.recurrence, due.deadline) == (text, OPEN, recurrence, None)


def test_parts_not_all_understood_leave_the_cell_not_understood():
    assert not parse_due("Ongoing  See 33", 2009).understood
