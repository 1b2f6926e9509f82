import datetime as dt

import pytest

from planbook.core.due import BLANK, DATE, OPEN, RANGE, RECURRING, UNKNOWN, parse_due

D = dt.date


@pytest.mark.parametrize("text, start, end, term", [
    ("December 2008", D(2008, 12, 1), D(2008, 12, 31), None),
    ("Sept 2008 (M)", D(2008, 9, 1), D(2008, 9, 30), "M"),
    ("Jan –May 2009", D(2009, 1, 1), D(2009, 5, 31), None),
    ("Jan 09 – July 09", D(2009, 1, 1), D(2009, 7, 31), None),
    ("By Oct 2009", None, D(2009, 10, 31), None),
    ("Summer 2008", D(2008, 6, 1), D(2008, 8, 31), None),
    ("Q1", D(2009, 4, 1), D(2009, 6, 30), None),
    ("Apr 2008 (S)", D(2008, 4, 1), D(2008, 4, 30), "S"),
    ("2008/09", D(2008, 4, 1), D(2009, 3, 31), None),
    ("Stage 1 October 2008", D(2008, 10, 1), D(2008, 10, 31), None),
    ("Nov - Feb 2009", D(2008, 11, 1), D(2009, 2, 28), None),
    ("31/03/2009", D(2009, 3, 31), D(2009, 3, 31), None),
    ("March 2009\nJune 2009", D(2009, 3, 1), D(2009, 6, 30), None),
    ("Sept 2009 onwards", D(2009, 9, 1), None, None),
    ("Q3 2010/11", D(2010, 10, 1), D(2010, 12, 31), None),
    ("Autumn term 2008", D(2008, 9, 1), D(2008, 12, 31), None),
])
def test_design_phrases_become_dates_or_ranges(text, start, end, term):
    due = parse_due(text, context_year=2009)
    assert due.kind in (DATE, RANGE)
    assert (due.start, due.end, due.term) == (start, end, term)
    assert due.text == text


@pytest.mark.parametrize("text, recurrence, kind", [
    ("Ongoing", "ongoing", OPEN), ("Monthly", "monthly", RECURRING), ("Quarterly", "quarterly", RECURRING),
    ("Annually", "annually", RECURRING), ("Termly", "termly", RECURRING),
    ("6 times per year", "6 times per year", RECURRING), ("As appropriate", "as appropriate", OPEN),
    ("To be confirmed", "to be confirmed", OPEN), ("ongoing", "ongoing", OPEN),
])
def test_recurring_and_open_phrases(text, recurrence, kind):
    due = parse_due(text)
    assert (due.kind, due.recurrence, due.deadline) == (kind, recurrence, None)


@pytest.mark.parametrize("text", ["See 33", "banana", "mid 2009", "2009/11", "soon-ish"])
def test_not_understood_is_kept_as_text_never_guessed(text):
    due = parse_due(text)
    assert due.kind == UNKNOWN and due.text == text and due.start is None and due.end is None


def test_real_dates_and_blank():
    assert parse_due(dt.datetime(2009, 3, 31, 0, 0)) == parse_due(dt.date(2009, 3, 31))
    assert parse_due(dt.date(2009, 3, 31)).kind == DATE
    assert parse_due("  ").kind == BLANK and parse_due(None).kind == BLANK


def test_every_due_in_the_middlesbrough_sample_but_one_is_understood():
    from planbook.demo import demo_data

    texts = [a["Due"] for a in demo_data()["actions"] if a["Due"]]
    unknown = [t for t in texts if parse_due(t, 2009).kind == UNKNOWN]
    assert unknown == ["See 33"]
