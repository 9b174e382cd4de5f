"""The unknown-words guard: keyboard mash falls back, real (mistyped) Dutch does not."""
from __future__ import annotations

from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from wegwijs.nlp.unknown_words import UnknownWordsGuard

EXAMPLES = ["doei, tot ziens", "wat doet de intern begeleider", "mijn zoon is 13",
            "hoi", "wie is de zorgcoördinator"]


def trained_guard(tmp_path):
    storage = LocalModelStorage(tmp_path)
    resource = Resource("guard")
    context = ExecutionContext(GraphSchema({}), "test")
    guard = UnknownWordsGuard.create({}, storage, resource, context)
    data = TrainingData([Message(data={TEXT: text, INTENT: "any"}) for text in EXAMPLES])
    guard.train(data)
    return UnknownWordsGuard.load({}, storage, resource, context)


def classified(text, intent="goodbye"):
    message = Message(data={TEXT: text})
    message.set(INTENT, {"name": intent, "confidence": 0.7})
    message.set(INTENT_RANKING_KEY, [{"name": intent, "confidence": 0.7}])
    return message


def test_keyboard_mash_falls_back(tmp_path):
    guard = trained_guard(tmp_path)
    message = classified("blorp fnaf quux")
    guard.process([message])
    assert message.get(INTENT)["name"] == "nlu_fallback"
    assert message.get(INTENT_RANKING_KEY)[1]["name"] == "goodbye"


def test_known_words_and_typos_are_left_to_the_classifier(tmp_path):
    guard = trained_guard(tmp_path)
    for text in ("wie is de zorgcoordinator", "interm begeleidr??", "doeii", "hij is 13", "HOI!!"):
        message = classified(text)
        guard.process([message])
        assert message.get(INTENT)["name"] == "goodbye", text


def test_an_untrained_guard_does_nothing(tmp_path):
    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(GraphSchema({}), "test")
    guard = UnknownWordsGuard.load({}, storage, Resource("never-trained"), context)
    message = classified("blorp fnaf quux")
    guard.process([message])
    assert message.get(INTENT)["name"] == "goodbye"
