import pytest

from planbook.core.status import (COMPLETE, NOT_STARTED, NO_STATUS, OFF_TRACK, ON_TRACK, SLIPPAGE, normalise_status, split_status_prefix)


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
