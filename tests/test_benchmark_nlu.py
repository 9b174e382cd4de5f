"""The pure parts of benchmarks/nlu.py: scoring, bootstrap intervals, pipeline variants."""
import random
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/ is a folder, not installed

from benchmarks import nlu  # noqa: E402
from wegwijs.evaluation import score  # noqa: E402


def _labels(seed, n=300, intents=12):
    rng = random.Random(seed)
    gold = [f"i{rng.randrange(intents)}" for _ in range(n)]
    predicted = [g if rng.random() < 0.7 else rng.choice([f"i{rng.randrange(intents)}", "nlu_fallback"])
                 for g in gold]
    return gold, predicted


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_point_estimates_match_evaluation_score(seed):
    gold, predicted = _labels(seed)
    report = score(gold, gold, predicted)
    result = nlu.figures(gold, predicted, resamples=50)
    assert result.macro_f1 == pytest.approx(report.macro_f1)
    assert result.accuracy == pytest.approx(report.accuracy)
    for label, values in report.per_intent.items():
        assert result.per_intent_f1[label] == pytest.approx(values["f1"])


def test_bootstrap_rows_match_score_on_each_resample():
    import numpy as np

    gold, predicted = _labels(3, n=80, intents=20)  # small: some intents are missing from resamples
    labels, g, p = nlu._encode(gold, predicted)
    draws = np.random.default_rng(7).integers(0, len(g), size=(20, len(g)))
    rows, _ = nlu._macro_f1_rows(g[draws], p[draws], len(labels))
    for row, draw in zip(rows, draws):
        expected = score([gold[i] for i in draw], [gold[i] for i in draw], [predicted[i] for i in draw])
        assert row == pytest.approx(expected.macro_f1)


def test_interval_brackets_the_estimate_and_is_reproducible():
    gold, predicted = _labels(4)
    first, second = nlu.figures(gold, predicted), nlu.figures(gold, predicted)
    assert first.macro_f1_ci == second.macro_f1_ci
    assert first.macro_f1_ci[0] < first.macro_f1 < first.macro_f1_ci[1]
    assert first.accuracy_ci[0] < first.accuracy < first.accuracy_ci[1]
    perfect = nlu.figures(gold, gold, resamples=20)
    assert perfect.macro_f1 == perfect.macro_f1_ci[0] == perfect.macro_f1_ci[1] == 1.0


def test_top_intent_ignores_the_fallback():
    parsed = {"intent": {"name": "nlu_fallback"},
              "intent_ranking": [{"name": "nlu_fallback", "confidence": 0.3}, {"name": "greet", "confidence": 0.2}]}
    assert nlu.top_intent(parsed) == "greet"
    assert nlu.top_intent({"intent": {"name": "thanks"}, "intent_ranking": []}) == "thanks"


def test_pipeline_variants():
    pipeline = [{"name": "SpacyNLP", "model": "nl_wegwijs"}, {"name": "SpacyTokenizer"},
                {"name": "wegwijs.nlp.intent_classifier.WegwijsIntentClassifier", "random_seed": 42},
                {"name": "FallbackClassifier", "threshold": 0.2},
                {"name": "wegwijs.nlp.safety_override.SafetyOverride"}]
    assert [c["name"] for c in nlu.without_lemmas(pipeline)][:2] == [
        "WhitespaceTokenizer", "wegwijs.nlp.intent_classifier.WegwijsIntentClassifier"]
    assert [c["name"] for c in nlu.nlu_core(pipeline)] == [
        "SpacyNLP", "SpacyTokenizer", "wegwijs.nlp.intent_classifier.WegwijsIntentClassifier"]
    swapped = nlu.replace_classifier(nlu.DIET_PIPELINE, "DIETClassifier",
                                     {"name": "LogisticRegressionClassifier", "random_state": 42})
    assert "DIETClassifier" not in [c["name"] for c in swapped]
    assert len(swapped) == len(nlu.DIET_PIPELINE)
