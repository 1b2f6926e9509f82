"""Due cells that are sentences with dates inside (issue 13, item 7)."""
from __future__ import annotations

import datetime as dt
import time

import pytest

from planbook.core.due import MAX_DUE_TEXT, RANGE, UNKNOWN, parse_due

D = dt.date


@pytest.mark.parametrize("text, start, end", [
    ("Q1: plan for involvement agreed; by March 2008 review of provision complete", D(2007, 4, 1), D(2008, 3, 31)),
    ("Survey of young people in Jan \u2013 May 2008, report to board by July 2008", D(2008, 1, 1), D(2008, 7, 31)),
    ("Leaflet produced by September 2007 and reviewed annually", D(2007, 9, 1), D(2007, 9, 30)),
    ("Stage 1 by June 2008; stage 2 by Dec 2008", None, D(2008, 12, 31)),  # read as before: "by …"
    ("Web pages live 31/03/2008, updated monthly thereafter", D(2008, 3, 31), D(2008, 3, 31)),
    ("Young people may attend sessions from April 2009 to July 2009", D(2009, 4, 1), D(2009, 7, 31)),
    ("Pilot in two areas during Autumn term 2007; rolled out by Summer 2008", D(2007, 9, 1), D(2008, 8, 31)),
])
def test_a_sentence_keeps_its_text_and_the_latest_date_is_the_deadline(text, start, end):
    due = parse_due(text)
    assert due.understood and due.text == text
    assert (due.start, due.deadline) == (start, end)


@pytest.mark.parametrize("text", [
    "Complete by mid 2008 subject to funding",  # a hedged date: not read
    "Report to Cabinet in May when the review is done",  # a month with no year
    "We may look again at this with partners",  # "may" is a verb
    "Timescales met",
    "Early 2009 after the consultation closes",
])
def test_ambiguous_sentences_stay_text(text):
    due = parse_due(text)
    assert due.kind == UNKNOWN and due.text == text and due.deadline is None


def test_phrases_parse_due_already_understood_are_unchanged():
    assert parse_due("By Oct 2009").kind == RANGE and parse_due("By Oct 2009").start is None
    assert parse_due("mid 2009").kind == UNKNOWN and parse_due("2009/11").kind == UNKNOWN


def test_a_long_sentence_is_read_and_a_page_of_text_is_kept_without_scanning():
    unit = "by March 2008 review of the plan with partners; "
    sentence = unit * (MAX_DUE_TEXT // len(unit))
    assert parse_due(sentence).deadline == D(2008, 3, 31)
    page = unit * 60000  # about 3 MB
    t0 = time.perf_counter()
    due = parse_due(page)
    assert time.perf_counter() - t0 < 2
    assert due.kind == UNKNOWN and due.text == page
