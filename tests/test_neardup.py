"""Near-duplicates between test and training sentences (wegwijs/neardup.py, `wegwijs check`).

That the project itself has none is `wegwijs check` (``make check``, run by ``make test`` before the unit
tests), so it is not checked a second time here."""
import shutil
from pathlib import Path

import pytest

from wegwijs import checks, neardup, nlu_data

HOME = Path(__file__).resolve().parents[1]
#: The project's training sentences as background: word weights as in `wegwijs check`.
BACKGROUND = [(text, "background") for text, _ in neardup.labelled(nlu_data.training_nlu(HOME))]


@pytest.mark.parametrize("test, training", [
    ("heb ik een advokaat nodig bij een ots", "heb ik een advocaat nodig bij een ots"),    # spelling
    ("mijn kinderen zijn uit huis geplaatst", "mijn kind is uit huis geplaatst"),          # inflection
    ("Wat doet de zorgcoördinator?", "wat doet de zorgcoordinator"),                       # accents, case
    ("mag de raad zomaar de huisarts bellen zonder dat ik toestemming geef",
     "mag de raad de huisarts bellen zonder mijn toestemming"),                            # light paraphrase
    ("hoeveel tijd heb ik om in hoger beroep te gaan", "hoe lang heb ik om in hoger berop te gaan"),
])
def test_near_duplicates_of_the_same_intent_are_found(test, training):
    pairs = neardup.find([(test, "x")], [(training, "x")] + BACKGROUND)
    assert [(p.test, p.training) for p in pairs] == [(test, training)]


@pytest.mark.parametrize("test, training", [
    ("wat is een opp", "wat is een tlv"),                            # same frame, other question
    ("wanneer krijgt mijn kind een tlv", "wie beslist over een ontwikkelingsperspectief"),
    ("heb ik een advocaat nodig bij hoger beroep tegen een uithuisplaatsing", "advocaat"),  # contained
])
def test_different_questions_are_not_near_duplicates(test, training):
    assert neardup.find([(test, "x")], [(training, "x")] + BACKGROUND) == []


def test_a_shared_frame_with_another_intent_needs_more_similarity():
    test = "moet ik betalen als mijn kind uit huis geplaatst is"
    training = "mag ik mijn kind zien als het uit huis geplaatst is"
    weights = neardup.Weights([neardup.words(text) for text, _ in BACKGROUND])
    value = neardup.similarity(neardup.words(test), neardup.words(training), weights)
    assert neardup.SAME_LABEL_THRESHOLD <= value < neardup.THRESHOLD
    assert neardup.find([(test, "costs")], [(training, "contact")] + BACKGROUND) == []
    assert len(neardup.find([(test, "costs")], [(training, "costs")] + BACKGROUND)) == 1


@pytest.fixture()
def project_copy(tmp_path):
    for name in ("data", "tests/nlu_heldout", "tests/nlu_questions", "tests/safety"):
        shutil.copytree(HOME / name, tmp_path / name)
    shutil.copy(HOME / "domain.yml", tmp_path / "domain.yml")
    return tmp_path


def _add_training(home: Path, intent: str, sentence: str) -> None:
    with (home / "data" / "basics" / "nlu_added.yml").open("w", encoding="utf-8") as out:
        out.write(f'version: "3.1"\nnlu:\n- intent: {intent}\n  examples: |\n    - {sentence}\n')


def test_check_fails_on_an_added_misspelt_copy_of_a_held_out_sentence(project_copy):
    intent, sentences = sorted(nlu_data.heldout_nlu(project_copy).items())[0]
    original = max(sentences, key=len)
    variant = original.replace("a", "aa", 1) if "a" in original else original + " hoor"
    _add_training(project_copy, intent, variant.upper())
    problems = checks.check_leakage(project_copy)
    assert any(repr(original) in p and repr(variant.upper()) in p for p in problems), problems


def test_check_fails_on_an_added_paraphrase_of_a_blind_crisis_sentence(project_copy):
    import yaml

    crisis = yaml.safe_load((project_copy / "tests" / "safety" / "unseen3.yml").read_text())["crisis"]
    original = max((item["text"] for item in crisis), key=len)
    words = original.split()
    words[len(words) // 2] = words[len(words) // 2] + "e"   # one typing error in the middle
    _add_training(project_copy, "out_of_scope", " ".join(words).replace("'", ""))
    problems = checks.check_leakage(project_copy)
    assert any(repr(original) in p for p in problems), problems


def test_the_candidates_are_exactly_the_largest_scores_with_ties_as_sorted():
    import numpy as np

    rng = np.random.default_rng(3)
    for size in (0, 1, 5, 8, 9, 50, 400):
        values = rng.choice([0.1, 0.2, 0.25, 0.3, 0.5], size=size)  # many ties
        indices = np.sort(rng.choice(10_000, size=size, replace=False)).astype(np.int32)
        expected = sorted(zip(values.tolist(), indices.tolist()), reverse=True)[:neardup.CANDIDATES]
        assert neardup._top(values, indices, neardup.CANDIDATES) == expected
