"""A child's age as parents write it, reduced to the bands where the law differs."""
import pytest

from wegwijs.ages import FROM_12, FROM_16, UNDER_12, is_adult, parse_band


@pytest.mark.parametrize("text, band", [
    ("hij is 13", FROM_12),
    ("mijn dochter van veertien moet naar de rechter", FROM_12),
    ("ze zit in groep 7", UNDER_12),
    ("jonger dan 12", UNDER_12),
    ("16+", FROM_16),
    ("mijn zoon is 16 geworden", FROM_16),
    ("nee ze is eigenlijk 11", UNDER_12),
    ("hij is 10 jaar oud", UNDER_12),
    ("een 15-jarige", FROM_12),
    ("hij zit in de brugklas", FROM_12),
    ("mijn zoon is 12", FROM_12),
])
def test_ages_in_sentences(text, band):
    assert parse_band(text) == band


@pytest.mark.parametrize("text", [
    "binnen 2 weken bezwaar maken", "artikel 5 onder a", "de ots duurt 1 jaar", "13", "wat is een ots",
    "ze is 19", "hij is vier weken thuis", "zij is drie dagen ziek geweest",
])
def test_no_age_where_there_is_none(text):
    assert parse_band(text) is None


@pytest.mark.parametrize("text, band", [("13", FROM_12), ("12 tot 16", FROM_12), ("16 of 17", FROM_16),
                                        ("14 jaar", FROM_12), ("negen", UNDER_12)])
def test_a_reply_to_the_age_question_may_be_just_a_number(text, band):
    assert parse_band(text, bare_number=True) == band


def test_adults():
    assert is_adult("ze is 19")
    assert is_adult("21", bare_number=True)
    assert not is_adult("hij is 13")
