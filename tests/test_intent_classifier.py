"""The intent classifier's models: stored column-major so that scoring a message does not copy them."""
from __future__ import annotations

import numpy as np
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource

from wegwijs.nlp import storage
from wegwijs.nlp.intent_classifier import build_model, rank

TEXTS = ["wat doet de mentor", "wie is de mentor van mijn zoon", "kan ik de mentor bellen",
         "wat is een opp", "moet ik het opp tekenen", "wie schrijft het opp",
         "wat doet het wijkteam", "hoe bereik ik het wijkteam", "kost het wijkteam geld"]
INTENTS = ["mentor"] * 3 + ["opp"] * 3 + ["wijkteam"] * 3
CONFIG = {"char_ngrams": [2, 5], "word_ngrams": [1, 3], "alpha": 1e-5, "epochs": 20, "random_seed": 42,
          "n_jobs": 1}


def test_fitted_models_are_column_major_and_score_the_same():
    model = build_model(TEXTS, INTENTS, CONFIG)
    classifier = model.steps[-1][1]
    assert classifier.coef_.flags["F_CONTIGUOUS"]
    fast = model.predict_proba(["mag ik het opp inzien"])
    classifier.coef_ = np.ascontiguousarray(classifier.coef_)
    assert not classifier.coef_.flags["F_CONTIGUOUS"]
    np.testing.assert_array_equal(model.predict_proba(["mag ik het opp inzien"]), fast)
    assert rank(model, ["mag ik het opp inzien"], 1)[0][0]["name"] == "opp"


def test_loading_makes_models_column_major_also_when_stored_row_major(tmp_path):
    model = build_model(TEXTS, INTENTS, CONFIG)
    classifier = model.steps[-1][1]
    classifier.coef_ = np.ascontiguousarray(classifier.coef_)  # as a model trained before this change
    model_storage = LocalModelStorage(tmp_path)
    resource = Resource("intent")
    import joblib

    with model_storage.write_to(resource) as directory:
        joblib.dump({"intents": model, "other": [model]}, directory / "m.joblib")
    loaded = storage.load(model_storage, resource, "m.joblib", "test")
    assert loaded["intents"].steps[-1][1].coef_.flags["F_CONTIGUOUS"]
    assert loaded["other"][0].steps[-1][1].coef_.flags["F_CONTIGUOUS"]
    np.testing.assert_array_equal(loaded["intents"].predict_proba(TEXTS), model.predict_proba(TEXTS))
