"""Storing a fitted scikit-learn object with the Rasa model (one joblib file in the component's resource)."""
from __future__ import annotations

import logging
from typing import Any, Optional

import joblib
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage

logger = logging.getLogger(__name__)


def fast_prediction(value: Any) -> Any:
    """``value`` with the weights of every linear model in it stored column-major, and ``value`` back.

    scikit-learn scores a message as ``X @ coef_.T``. With ``coef_`` row-major (as fitted), scipy copies
    the transposed matrix to multiply it with a sparse row: for the intent classifier (95 intents x
    about 175,000 n-grams) that copy is 130 MB per message, 70 ms of a 72 ms parse. Column-major, the
    transpose is already contiguous; the probabilities are the same to the last bit
    (``tests/test_intent_classifier.py``, ``benchmarks/parse_speed.py``).
    """
    import numpy as np

    seen = set()

    def visit(item: Any) -> None:
        if id(item) in seen:
            return
        seen.add(id(item))
        coef = getattr(item, "coef_", None)
        if isinstance(coef, np.ndarray) and coef.ndim == 2 and not coef.flags["F_CONTIGUOUS"]:
            item.coef_ = np.asfortranarray(coef)
        if isinstance(item, dict):
            for child in item.values():
                visit(child)
        elif isinstance(item, (list, tuple)):
            for child in item:
                visit(child)
        for child in (getattr(item, "steps", None) or []):
            visit(child)
        for child in (getattr(item, "transformer_list", None) or []):
            visit(child)

    visit(value)
    return value


def store(model_storage: ModelStorage, resource: Resource, file_name: str, value: Any) -> None:
    """Write ``value`` to ``file_name`` in the component's resource (its linear models column-major,
    :func:`fast_prediction`)."""
    fast_prediction(value)
    with model_storage.write_to(resource) as directory:
        joblib.dump(value, directory / file_name)


def load(model_storage: ModelStorage, resource: Resource, file_name: str, owner: str) -> Optional[Any]:
    """The object stored at training time, or None (logged) when the resource has none."""
    try:
        with model_storage.read_from(resource) as directory:
            return fast_prediction(joblib.load(directory / file_name))
    except (ValueError, FileNotFoundError):
        logger.warning("%s: no stored model, it predicts nothing", owner)
        return None
