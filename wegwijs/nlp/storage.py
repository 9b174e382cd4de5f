"""Storing a fitted scikit-learn object with the Rasa model (one joblib file in the component's resource)."""
from __future__ import annotations

import logging
from typing import Any, Optional

import joblib
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage

logger = logging.getLogger(__name__)


def store(model_storage: ModelStorage, resource: Resource, file_name: str, value: Any) -> None:
    """Write ``value`` to ``file_name`` in the component's resource."""
    with model_storage.write_to(resource) as directory:
        joblib.dump(value, directory / file_name)


def load(model_storage: ModelStorage, resource: Resource, file_name: str, owner: str) -> Optional[Any]:
    """The object stored at training time, or None (logged) when the resource has none."""
    try:
        with model_storage.read_from(resource) as directory:
            return joblib.load(directory / file_name)
    except (ValueError, FileNotFoundError):
        logger.warning("%s: no stored model, it predicts nothing", owner)
        return None
