"""Language recognition (wegwijs/language.py; issue 19). The blind set tests/language/messages.yml was
written by a helper that saw none of our data; benchmarks/language.py prints the full table."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/ is a folder, not installed

from benchmarks.language import blind_set, dutch_heldout, score  # noqa: E402
from wegwijs import language  # noqa: E402


@pytest.mark.parametrize("text, code", [
    ("mijn zoon wordt gepest op school", "nl"), ("ots wat is dat", "nl"), ("wie beslist dat", "nl"),
    ("my son is being bullied at school", "en"), ("what is an OPP", "en"),
    ("benim oğlum okula gitmiyor", "tr"), ("ابني يتعرض للتنمر", "ar"), ("Mój syn jest prześladowany", "pl"),
])
def test_clear_messages(text, code):
    assert language.detect(text).code == code


@pytest.mark.parametrize("text", ["ok", "help", "thanks", "hoi", "groep 5", "havo", "/affirm", "", "12"])
def test_too_short_or_a_payload_decides_nothing(text):
    assert language.detect(text) is None


def test_answer_languages():
    assert language.Detection("tr", 1.0).answer_language == "other"
    assert language.Detection("en", 1.0).answer_language == "en"


def test_a_dutch_parent_is_never_answered_in_another_language():
    """Not one Dutch message of the blind set or of the 2,500 Dutch held-out NLU messages is taken for
    another language (it would get the "other language" reply, or English)."""
    assert score({"nl": blind_set()["nl"]})["nl"]["wrong"] == 0
    wrong = [text for text in dutch_heldout() if (found := language.detect(text)) and found.code != "nl"]
    assert wrong == []


def test_an_english_parent_is_never_answered_in_another_language():
    assert score({"en": blind_set()["en"]})["en"]["wrong"] == 0
