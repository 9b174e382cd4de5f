"""The crisis classifier: one question (crisis or not), trained with the model, scored per message."""
from __future__ import annotations

from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from wegwijs.nlp.crisis_classifier import CrisisClassifier, build_models, score
from wegwijs.nlp.safety_override import decide

DATA = {
    "safety_domestic_violence": ["mijn man slaat me", "hij slaat mij als hij dronken is",
                                 "mijn vriend heeft me geslagen", "ik word thuis geslagen door mijn man"],
    "safety_suicide": ["mijn dochter wil dood", "hij wil niet meer leven", "ze praat over zelfmoord",
                       "mijn zoon wil er niet meer zijn"],
    "care_mentor": ["wie is de mentor", "wat doet de mentor", "moet ik de mentor mailen",
                    "de mentor belde me"],
    "care_opp": ["wat is een opp", "moet ik het opp tekenen", "wie maakt het opp", "het opp klopt niet"],
}


def texts_and_intents():
    texts, intents = [], []
    for intent, examples in DATA.items():
        texts += examples
        intents += [intent] * len(examples)
    return texts, intents


def test_crisis_messages_score_higher_than_ordinary_ones():
    models = build_models(*texts_and_intents(), c=10.0, seed=42)
    crisis = score(models, "mijn man slaat mij steeds")
    ordinary = score(models, "moet ik de mentor bellen")
    assert crisis["score"] > 0.5 > ordinary["score"]
    assert crisis["kind"] == "safety_domestic_violence"
    assert score(models, "ze wil dood")["kind"] == "safety_suicide"


def test_a_message_without_crisis_evidence_gets_no_score():
    from wegwijs.nlp.crisis_classifier import has_evidence

    models = build_models(*texts_and_intents(), c=10.0, seed=42)
    assert "slaat" in models["crisis_words"] and "mentor" not in models["crisis_words"]
    # keyboard mash and two-letter nonsense: the balanced model puts them near its prior
    for text in ("sx bla", "qwerty", "asdf jkl"):
        assert not has_evidence(models, text) and score(models, text)["score"] == 0.0, text
    assert has_evidence(models, "mn man slaad me")  # one typo away from a crisis word
    assert score(models, "mijn man slaat mij steeds")["score"] > 0.5


def test_no_crisis_examples_means_no_model():
    assert build_models(["wat is een opp"], ["care_opp"], c=1.0, seed=1) is None


def test_the_component_stores_its_models_with_the_rasa_model(tmp_path):
    storage = LocalModelStorage(tmp_path)
    resource = Resource("crisis")
    context = ExecutionContext(GraphSchema({}), "test")
    texts, intents = texts_and_intents()
    data = TrainingData([Message(data={TEXT: t, INTENT: i}) for t, i in zip(texts, intents)])
    CrisisClassifier.create({}, storage, resource, context).train(data)
    loaded = CrisisClassifier.load({}, storage, resource, context)
    message = Message(data={TEXT: "hij slaat me"})
    loaded.process([message])
    assert message.get("crisis")["kind"] == "safety_domestic_violence"
    untrained = CrisisClassifier.load({}, storage, Resource("never"), context)
    other = Message(data={TEXT: "hij slaat me"})
    untrained.process([other])
    assert other.get("crisis") is None


def test_safety_override_follows_a_confident_crisis_score():
    care = {"name": "care_mentor", "confidence": 0.9}
    ranking = [care]
    crisis = {"score": 0.8, "kind": "safety_domestic_violence"}
    chosen, reason = decide("thuis gaat het mis met hem", care, ranking, crisis=crisis, crisis_threshold=0.6)
    assert chosen["name"] == "safety_domestic_violence" and reason == "crisis classifier"
    assert decide("thuis gaat het mis met hem", care, ranking, crisis={"score": 0.5, "kind": "x"},
                  crisis_threshold=0.6) is None
    # A look-alike never becomes a crisis through the score alone.
    assert decide("wat doet veilig thuis eigenlijk", care, ranking, crisis=crisis) is None


def test_a_bare_request_for_a_person_is_not_a_child_in_crisis():
    # The crisis classifier learnt "een kind wil met iemand praten" from children's messages; from a
    # parent the same words ask for a person at school (the CI run of 2026-12-03 caught this).
    human = {"name": "talk_to_human", "confidence": 0.6}
    crisis = {"score": 0.7, "kind": "safety_child_user"}
    for text in ("ik wil met iemand praten", "kan ik iemand spreken aub", "Ik wil met iemand praten."):
        assert decide(text, human, [human], crisis=crisis, crisis_threshold=0.6) is None, text
    # A sign of a child writing, of danger or of home keeps the child's help line first.
    for text in ("ik ben 12 en ik wil met iemand praten", "ik wil met iemand praten, ik ben bang",
                 "ik wil met iemand praten over thuis", "mag ik als kind met iemand praten"):
        chosen, reason = decide(text, human, [human], crisis=crisis, crisis_threshold=0.6)
        assert chosen["name"] == "safety_child_user" and reason in ("rules", "crisis classifier"), text
