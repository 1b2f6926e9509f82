import datetime as dt
import re

import pytest
from hypothesis import given, strategies as st

from planbook.core.attention import (FLAGGED, MISSING, NOT_UPDATED, OVERDUE, PARTS, attention_of, missing_reason,
                                     not_recognised_reason, overdue_reason, part_of)
from planbook.core.dates import uk_text
from planbook.core.prose import attention_sentence, summary_sentence
from planbook.core.status import (COMPLETE, COUNT_LINES, NOT_RECOGNISED, NOT_STARTED, NO_STATUS, OFF_TRACK, ON_TRACK,
                                  SLIPPAGE, count_line_of_text, normalise_status, split_status_prefix, tally_text)


@pytest.mark.parametrize("word, status", [
    ("Complete", COMPLETE), ("COMPLETED", COMPLETE), ("achieved", COMPLETE), ("Done", COMPLETE),
    ("Complete Complete", COMPLETE),
    ("On track", ON_TRACK), ("green", ON_TRACK), ("On target", ON_TRACK), ("Ongoing", ON_TRACK),
    ("In progress", ON_TRACK), ("☺", ON_TRACK), ("😊", ON_TRACK), (" on  TRACK. ", ON_TRACK),
    ("Slippage", SLIPPAGE), ("Amber", SLIPPAGE), ("Delayed", SLIPPAGE), ("Some slippage", SLIPPAGE), ("☹", SLIPPAGE),
    ("Off track", OFF_TRACK), ("RED", OFF_TRACK), ("Unlikely to be achieved", OFF_TRACK),
    ("Weak performance", OFF_TRACK), ("At risk", OFF_TRACK),
    ("Not started", NOT_STARTED), ("Not yet started", NOT_STARTED), ("", NO_STATUS), (None, NO_STATUS),
    ("   ", NO_STATUS), ("No status given", NO_STATUS),
])
def test_every_design_word_maps_to_one_status(word, status):
    assert normalise_status(word) == status


@pytest.mark.parametrize("word", ["Finished?", "Blue-ish", "50%", "Complete Done"])
def test_unknown_words_are_not_guessed(word):
    assert normalise_status(word) is None


def test_split_status_prefix_for_import():
    assert split_status_prefix("☺ Achieved – protocol agreed") == (ON_TRACK, "Achieved – protocol agreed")
    assert split_status_prefix("Complete. Signed off in May") == (COMPLETE, "Signed off in May")
    assert split_status_prefix("Doncaster pilot running") == (None, "Doncaster pilot running")


# --- the consolidated workbook's Status column: one rule for every reader of it -------------

@pytest.mark.parametrize("text, line", [
    ("Complete", COMPLETE), ("on TRACK", ON_TRACK), (" Slippage ", SLIPPAGE), ("Off track", OFF_TRACK),
    ("Not started", NOT_STARTED), ("No status given", NO_STATUS), ("no status given", NO_STATUS),
    ("", NO_STATUS), ("  ", NO_STATUS),
    # anything else the workbook holds was kept as typed because it was not recognised (or was
    # typed into the workbook by hand): its own line, as the Summary's formulas count it
    ("green", NOT_RECOGNISED), ("☺", NOT_RECOGNISED), ("G", NOT_RECOGNISED), ("on-track?", NOT_RECOGNISED),
    ("Status not recognised", NOT_RECOGNISED),
])
def test_count_line_of_a_workbook_status(text, line):
    assert count_line_of_text(text) == line


@given(st.lists(st.sampled_from(["Complete", "On track", "Slippage", "Off track", "Not started", "No status given",
                                 "", "G", "☺", "complete"]), max_size=40))
def test_tally_text_puts_every_action_on_one_line(texts):
    counts = tally_text(texts)
    assert set(counts) <= set(COUNT_LINES) and sum(counts.values()) == len(texts)


_PART = re.compile(r"([\d,]+) (?:is|are|shows?|has|have) (complete or on track|slippage|off track|not started|"
                   r"no status given|an unrecognised status|unrecognised statuses)")


@given(st.dictionaries(st.sampled_from(COUNT_LINES), st.integers(min_value=0, max_value=2_000)))
def test_summary_sentence_accounts_for_every_action_once_and_prints_no_zero(counts):
    total = sum(counts.values())
    text = summary_sentence(counts, total)
    if not total:
        assert text == "The plan has no actions."
        return
    assert text.startswith(f"Of the {total:,} action")
    body = text.split(", ", 1)[1]
    numbers = [int(n.replace(",", "")) for n, _ in _PART.findall(body)]
    assert len(numbers) == len(re.findall(r"\d[\d,]*", body))  # every number is one of the parts
    assert sum(numbers) == total and 0 not in numbers
    assert "planbook" not in text and "sheet" not in text


def test_summary_sentence_wording():
    counts = {COMPLETE: 60, ON_TRACK: 40, SLIPPAGE: 9, OFF_TRACK: 1, NOT_STARTED: 6, NOT_RECOGNISED: 1}
    assert summary_sentence(counts, 117) == ("Of the 117 actions, 100 are complete or on track, 9 show slippage, "
                                             "1 is off track and 6 have not started; 1 has an unrecognised status.")
    assert summary_sentence({OFF_TRACK: 1}, 1) == "Of the 1 action, 1 is off track."
    assert summary_sentence({OFF_TRACK: 1}, 1, retired=16) == (
        "Of the 1 action, 1 is off track. A further 16 complete actions have been retired from the plan and are "
        "not counted here.")


# --- UK dates: one rule for tables and prose ----------------------------------------------

@pytest.mark.parametrize("text, table, prose", [
    ("2009-09-30", "30/09/2009", "30 September 2009"), ("2009-09-30 00:00:00", "30/09/2009", "30 September 2009"),
    ("2009-09-30T14:05", "30/09/2009 14:05", "30 September 2009"), ("2009-02-30", "2009-02-30", "2009-02-30"),
    ("December 2008", "December 2008", "December 2008"), ("", "", ""), ("2009 plan", "2009 plan", "2009 plan"),
    # a date the lead typed as text reads in a sentence as one typed in a date cell does
    ("31/03/2010", "31/03/2010", "31 March 2010"), (" 1/4/2010 ", " 1/4/2010 ", "1 April 2010"),
    ("31/13/2010", "31/13/2010", "31/13/2010"), ("By 31/03/2010", "By 31/03/2010", "By 31/03/2010"),
])
def test_uk_text_for_tables_and_prose(text, table, prose):
    assert uk_text(text) == table and uk_text(text, prose=True) == prose


# --- the parts of the attention count ------------------------------------------------------

@pytest.mark.parametrize("why, part", [
    ("Off track", OFF_TRACK), ("Off track; Overdue (due 31/01/2009)", OFF_TRACK), ("Slippage; Missing Ref", SLIPPAGE),
    ("Overdue (due 30/09/2009); Not updated this period", OVERDUE),
    ("Overdue (due 30/04/2009); Status not recognised (on-track?)", OVERDUE),
    ("Not updated this period; No status given", NOT_UPDATED), ("Missing Ref, Action", MISSING),
    ("Status not recognised (G; A)", NOT_RECOGNISED), ("No status given", NO_STATUS),
    ("Ref collision: 1.1 is also Jane!A5; renumber one", FLAGGED), ("Not in the lead's return (j.xlsx): ask Jane", FLAGGED),
])
def test_each_listed_action_counts_once_under_its_first_reason(why, part):
    assert part_of(why) == part


def test_reasons_are_written_as_they_are_read():
    assert part_of(overdue_reason(dt.date(2009, 9, 30))) == OVERDUE
    assert overdue_reason(dt.date(2009, 9, 30)) == "Overdue (due 30/09/2009)"
    assert part_of(missing_reason(["Lead"])) == MISSING and part_of(not_recognised_reason("Off track?")) == NOT_RECOGNISED


@given(st.lists(st.sampled_from(["Off track", "Slippage; Overdue (due 01/01/2009)", "Overdue (due 01/01/2009)",
                                 "Not updated this period", "Missing Ref", "Status not recognised (x)",
                                 "No status given", "Ref collision: 1 is also A1; renumber one"]), max_size=60))
def test_attention_sentence_parts_add_up_with_no_zero_part(whys):
    attention = attention_of(whys)
    assert attention.total == len(whys) == sum(attention.parts.values()) and tuple(attention.parts) == PARTS
    text = attention_sentence(attention)
    if not whys:
        assert text == "No action needs attention."
        return
    head, parts = text.split(": ", 1)
    assert head == f"{len(whys)} action{'s need' if len(whys) != 1 else ' needs'} attention"
    numbers = [int(n) for n in re.findall(r"\d+", parts.replace("(each counted once", ""))]
    assert sum(numbers) == len(whys) and 0 not in numbers
