"""The facts a Dutch-speaking review found wrong or misrouted (issue 15), one test per case. Each reads
every text of the answer (all variants, short and more) as the parent sees it."""
from __future__ import annotations

from typing import List

import pytest

from wegwijs.content import ContentLibrary


def texts(library: ContentLibrary, key: str) -> List[str]:
    """Every rendered text of a topic answer, or of a question answer (``topic/name``)."""
    if "/" in key:
        question = next(q for q in library.questions() if q.key == key)
        return [library.render(text) for text in question.answer.values()]
    answer = library.get(key)
    assert answer is not None, key
    return [library.render(text) for text in list(answer.short.values()) + list(answer.more.values())]


def joined(library: ContentLibrary, key: str) -> str:
    return " ".join(texts(library, key)).lower()


def test_a_school_report_to_veilig_thuis_follows_the_meldcode_not_a_right_without_a_duty(library):
    sharing = joined(library, "care_info_sharing")
    assert "geen plicht" not in sharing and "recht van de school" not in sharing
    assert "meldcode" in sharing and "stap drie" in sharing  # talking with the parent is step 3
    meldcode = joined(library, "care_meldcode")
    for fact in ("vijf stappen", "stap drie", "afwegingskader", "2019", "landelijke klachtencommissie"):
        assert fact in meldcode, fact


@pytest.mark.parametrize("key", ["rights_dossier_access", "rights_dossier_destruction",
                                 "rights_dossier_correction"])
def test_veilig_thuis_files_have_their_own_rules(library, key):
    for text in texts(library, key):
        lower = text.lower()
        if "veilig thuis" not in lower:
            continue
        # the GI/jeugdhulp term for destruction is never said of a Veilig Thuis file
        for sentence in lower.split(". "):
            if "veilig thuis" in sentence:
                assert library.render("{term:dossier_destruction}") not in sentence, sentence
    if key == "rights_dossier_access":
        assert library.render("{term:vt_file_reply}") in joined(library, key)
    if key == "rights_dossier_destruction":
        assert "jongste kind" in joined(library, key)


@pytest.mark.parametrize("key", ["rights_removal_start", "rights_placement"])
def test_a_placement_is_not_only_possible_with_an_ots(library, key):
    text = joined(library, key)
    assert "altijd bij een ots" not in text and "kan alleen met een machtiging" not in text
    assert "vrijwillig" in text and "voogd" in text  # voluntary placement; (voorlopige) voogdij


def test_the_absence_report_is_set_by_law_and_no_answer_says_school_has_no_point(library):
    absence = joined(library, "care_absence")
    assert "verschilt per school en gemeente" not in absence
    assert "in de wet" in absence
    for key in ("care_absence", "care_child_at_home", "care_exemption"):
        assert "geen zin" not in joined(library, key), key


def test_an_exemption_is_a_big_step_and_5a_is_article_5_under_a(library):
    exemption = joined(library, "care_exemption")
    assert "5a" in exemption and "5 onder a" in exemption
    assert "grote stap" in exemption and "grote stap" in joined(library, "care_child_at_home")


@pytest.mark.parametrize("key", ["care_removal", "care_child_at_home", "care_removal/not_without_school"])
def test_removal_only_after_a_new_school_is_not_stated_as_certain(library, key):
    # "pas verwijderen als er een nieuwe school is" rests on a [SEC] source: hedged
    text = joined(library, key)
    assert "in de regel" in text or "uitzondering" in text


def test_the_support_team_claims_no_information_right_from_a_general_text(library):
    text = joined(library, "care_support_team") + " " + joined(library, "care_support_team/attend")
    assert "recht op informatie" not in text and "oudere kinderen" not in text
    assert "verschilt per school" in text


def test_the_second_opinion_keeps_the_two_paragraphs_apart(library):
    text = joined(library, "rights_second_opinion")
    # lid 2: in OTS, uithuisplaatsing and gezagsbeëindiging the judge appoints the expert
    assert "de rechter kiest de deskundige" in text
    # lid 1 (an expert of your own choice) is for other cases about the child
    assert "iets anders" in text and "die jij kiest" in text
