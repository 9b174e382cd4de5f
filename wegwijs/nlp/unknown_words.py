"""Rasa NLU component: a message without a single word Wegwijs knows falls back.

DIET always spreads its confidence over the intents it knows, so keyboard mash such as "blorp fnaf
quux" can come out as ``goodbye`` with a confidence above the fallback threshold. A parent who typed
something we cannot read should be asked to rephrase, not be told goodbye. This component learns the
vocabulary of the training data (folded: lower case, no accents) and, when none of the words of a
message is in it, not even with one typing error, sets ``nlu_fallback``.

Place it after ``FallbackClassifier`` and before ``SafetyOverride`` (which keeps the last word, so a
crisis message is never silenced by this guard).
"""
from __future__ import annotations

import json
import logging
from typing import Any, Dict, Iterable, List, Optional, Set, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME as FALLBACK_INTENT
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from wegwijs.safety import edit_distance
from wegwijs.text import fold

logger = logging.getLogger(__name__)

VOCABULARY_FILE = "vocabulary.json"
METADATA_KEY = "unknown_words"


def words(text: str) -> List[str]:
    """The folded words of a text that carry meaning (letters; numbers count as known)."""
    return [word for word in fold(text).replace("'", " ").split() if not word.isdigit()]


def is_known(word: str, vocabulary: Set[str], by_prefix: Dict[str, List[str]]) -> bool:
    """True when ``word`` is in the vocabulary, or one typing error away from a word of 4+ letters."""
    if word in vocabulary or len(word) < 2:
        return True
    if len(word) < 4:
        return False
    return any(edit_distance(word, known, 1) <= 1 for known in by_prefix.get(word[:1], ()))


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True
)
class UnknownWordsGuard(GraphComponent, IntentClassifier):
    """Sets ``nlu_fallback`` on messages in which no word is known from the training data."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """No settings."""
        return {}

    def __init__(self, model_storage: ModelStorage, resource: Resource,
                 vocabulary: Optional[Iterable[str]] = None) -> None:
        self._model_storage = model_storage
        self._resource = resource
        self.vocabulary: Set[str] = set(vocabulary or ())
        self._by_prefix: Dict[str, List[str]] = {}
        for word in self.vocabulary:
            if len(word) >= 3:
                self._by_prefix.setdefault(word[:1], []).append(word)

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "UnknownWordsGuard":
        """A guard with an empty vocabulary (it does nothing until trained)."""
        return cls(model_storage, resource)

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "UnknownWordsGuard":
        """Loads the vocabulary stored at training time."""
        try:
            with model_storage.read_from(resource) as directory:
                vocabulary = json.loads((directory / VOCABULARY_FILE).read_text(encoding="utf-8"))
        except (ValueError, FileNotFoundError):
            logger.warning("UnknownWordsGuard: no stored vocabulary, the guard is off")
            vocabulary = []
        return cls(model_storage, resource, vocabulary)

    def train(self, training_data: TrainingData) -> Resource:
        """Learns the vocabulary of every training example and stores it with the model."""
        vocabulary: Set[str] = set()
        for example in training_data.training_examples:
            vocabulary.update(words(example.get(TEXT) or ""))
        with self._model_storage.write_to(self._resource) as directory:
            (directory / VOCABULARY_FILE).write_text(
                json.dumps(sorted(vocabulary), ensure_ascii=False), encoding="utf-8")
        return self._resource

    def process(self, messages: List[Message]) -> List[Message]:
        """Marks messages without a known word as ``nlu_fallback``."""
        for message in messages:
            self._process_one(message)
        return messages

    def _process_one(self, message: Message) -> None:
        if not self.vocabulary:
            return
        current = message.get(INTENT) or {}
        if current.get("name") in (None, FALLBACK_INTENT):
            return
        found = words(message.get(TEXT) or "")
        if not found or any(is_known(word, self.vocabulary, self._by_prefix) for word in found):
            return
        chosen = {"name": FALLBACK_INTENT, "confidence": 1.0}
        ranking = [item for item in message.get(INTENT_RANKING_KEY) or []
                   if item.get("name") != FALLBACK_INTENT]
        message.set(INTENT, chosen, add_to_output=True)
        message.set(INTENT_RANKING_KEY, [chosen] + ranking, add_to_output=True)
        message.set(METADATA_KEY, {"previous_intent": current.get("name")}, add_to_output=True)
