"""Rasa NLU component: a crisis message gets its safety intent, whatever the classifier thought.

Place it after the intent classifier and before ``FallbackClassifier`` in ``config.yml``. See
:mod:`wegwijs.safety` for the rules.
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
        kind = safety.detect(text or "")
        if kind is None:
            return
        name = safety_intent(kind)
        current = message.get(INTENT) or {}
        ranking = [item for item in message.get(INTENT_RANKING_KEY) or [] if item.get("name") != name]
        overridden = {"name": name, "confidence": 1.0}
        message.set(INTENT, overridden, add_to_output=True)
        message.set(INTENT_RANKING_KEY, [overridden] + ranking, add_to_output=True)
        message.set(METADATA_KEY, {"kind": kind, "classifier_intent": current.get("name")},
                    add_to_output=True)
