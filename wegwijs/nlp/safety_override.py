"""Rasa NLU component: a crisis message gets its safety intent, whatever the classifier thought.

Place it last among the classifiers, after ``FallbackClassifier``, so that safety has the last word:

* when the rules of :mod:`wegwijs.safety` fire, the message gets that safety intent (confidence 1);
* when the fallback hid a safety intent that DIET was fairly sure of (for example because two safety
  kinds were close, which the fallback's ambiguity rule treats as unsure), that intent is restored.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from wegwijs import safety

SAFETY_PREFIX = "safety_"
METADATA_KEY = "safety_override"
FALLBACK_INTENT = "nlu_fallback"
#: A safety intent DIET gives at least this confidence is kept even when the fallback fired.
RESTORE_CONFIDENCE = 0.4


def safety_intent(kind: str) -> str:
    """The intent name for a crisis kind."""
    return f"{SAFETY_PREFIX}{kind}"


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False
)
class SafetyOverride(GraphComponent, IntentClassifier):
    """Overrides the predicted intent with a safety intent when :func:`wegwijs.safety.detect` fires."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """No settings."""
        return {}

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "SafetyOverride":
        """Creates the component."""
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        """Sets the safety intent on crisis messages."""
        for message in messages:
            self._process_one(message)
        return messages

    @staticmethod
    def _process_one(message: Message) -> None:
        text: Optional[str] = message.get(TEXT)
        current = message.get(INTENT) or {}
        ranking = [item for item in message.get(INTENT_RANKING_KEY) or []
                   if item.get("name") != FALLBACK_INTENT]
        kind = safety.detect(text or "")
        if kind is not None:
            chosen = {"name": safety_intent(kind), "confidence": 1.0}
            reason = "rules"
        elif current.get("name") == FALLBACK_INTENT and ranking and \
                str(ranking[0].get("name", "")).startswith(SAFETY_PREFIX) and \
                float(ranking[0].get("confidence") or 0) >= RESTORE_CONFIDENCE:
            chosen = dict(ranking[0])
            reason = "classifier"
        else:
            return
        rest = [item for item in ranking if item.get("name") != chosen["name"]]
        message.set(INTENT, chosen, add_to_output=True)
        message.set(INTENT_RANKING_KEY, [chosen] + rest, add_to_output=True)
        message.set(METADATA_KEY, {"reason": reason, "intent": chosen["name"],
                                   "previous_intent": current.get("name")}, add_to_output=True)
