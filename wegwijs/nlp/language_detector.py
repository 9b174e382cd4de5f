"""Rasa NLU component: the language a message is written in (wegwijs/language.py).

It adds a ``language`` entity (``nl``, ``en`` or ``other``) when the language is clear, so the
``language`` slot follows the parent (a slot mapping ``from_entity``), and the detail (the ISO code and
the confidence) as ``language`` in the parse data. A message too short to tell ("ok", "help") adds
nothing: the conversation keeps its language. Nothing is trained; the model ships with py3langid.
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from wegwijs import language

ENTITY = "language"
OUTPUT_KEY = "language"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class LanguageDetector(GraphComponent):
    """Marks each message with its language (see the module docstring)."""

    @staticmethod
    def required_packages() -> List[Text]:
        """py3langid."""
        return ["py3langid"]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """No settings: the thresholds live in wegwijs.language, where they are measured."""
        return {}

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "LanguageDetector":
        """The detector (stateless)."""
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        """Adds the ``language`` entity and parse-data key to every message whose language is clear."""
        for message in messages:
            detection = language.detect(message.get(TEXT) or "")
            if detection is None:
                continue
            message.set(OUTPUT_KEY, {"code": detection.code, "confidence": round(detection.confidence, 4)},
                        add_to_output=True)
            entities = [entity for entity in message.get(ENTITIES) or [] if entity.get("entity") != ENTITY]
            entities.append({"entity": ENTITY, "value": detection.answer_language, "start": 0,
                             "end": len(message.get(TEXT) or ""), "confidence_entity": detection.confidence,
                             "extractor": type(self).__name__})
            message.set(ENTITIES, entities, add_to_output=True)
        return messages
