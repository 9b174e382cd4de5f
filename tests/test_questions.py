"""Question-level answers: content, the selector component, the decision and the answer action."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader
from rasa.shared.nlu.training_data.message import Message

from actions.answers import ActionAnswerMore, ActionAnswerTopic, question_payload
from test_actions import run, tracker
from wegwijs import nlu_data, questions
from wegwijs.content import ContentError, ContentLibrary
from wegwijs.nlp.question_selector import QuestionSelector
from wegwijs.text import text_key

#: the actions read the schools from the database: every test gets one with the example schools
pytestmark = pytest.mark.usefixtures("school_db")

MIN_QUESTIONS = 250
MIN_PARAPHRASES = 2


# ------------------------------------------------------------------------------------------ content
def test_there_are_at_least_250_question_level_answers(library):
    assert len(library.questions()) >= MIN_QUESTIONS


def test_every_question_has_training_sentences_and_held_out_paraphrases(home, library):
    trained = nlu_data.read_questions(nlu_data.training_files(home))
    heldout = nlu_data.question_heldout(home)
    keys = {q.key for q in library.questions()}
    assert [key for key in keys if len(trained.get(key, [])) < 5] == []
    assert [key for key in keys if len(heldout.get(key, [])) < MIN_PARAPHRASES] == []
    # every label in the data is a real answer (or a topic's overview)
    labels = set(trained) | set(heldout)
    assert [key for key in labels if key not in keys and not key.endswith("/overview")] == []
    assert {key.split("/")[0] for key in labels if key.endswith("/overview")} <= set(library.intents())


def first_sentence(text: str) -> str:
    """The opening: the first sentence, or the first 12 words when that sentence is short ("Ja.", "Dat is niet zeker.")."""
    words = text_key(text).split()
    sentence = text_key(re.split(r"(?<=[.?!])\s", text.strip())[0]).split()
    return " ".join(sentence if len(sentence) >= 6 else words[:12])


def test_question_answers_open_with_their_own_answer_not_the_overview(library):
    """A question's answer never opens like its topic's overview or like another answer in its topic."""
    openings = {}
    for question in library.questions():
        opening = first_sentence(question.answer["default"])
        overview = first_sentence(library.get(question.topic).short["default"])
        assert opening != overview, question.key
        assert (question.topic, opening) not in openings, (question.key, openings.get((question.topic, opening)))
        openings[(question.topic, opening)] = question.key


def test_question_answers_are_short_and_sourced_with_a_passage(library):
    for question in library.questions():
        for text in question.answer.values():
            words = len(library.render(text).split())
            assert 12 <= words <= 90, (question.key, words)
        assert question.source.url.startswith("https://") and question.source.passage
        assert question.source.fact == "search" or re.match(r"^[0A-F](\d+(\.\d+)?)?(, [0A-F](\d+(\.\d+)?)?)*$",
                                                            question.source.fact), (question.key, question.source.fact)


def write_question(tmp_path: Path, key: str, entry: dict) -> Path:
    folder = tmp_path / "data" / "topic"
    folder.mkdir(parents=True)
    topic = {"title": "T", "source": {"name": "S", "url": "https://example.nl/page", "fact": "search",
                                      "passage": "Zo staat het er.", "read": "2026-12-03"},
             "reliability": "OFF",
             "short": {"default": "Kort."}, "more": {"default": "Lang."}}
    (folder / "answers.yml").write_text(yaml.safe_dump({"answers": {"care_x": topic}}))
    (folder / "answers_questions.yml").write_text(yaml.safe_dump({"questions": {key: entry}}))
    return tmp_path / "data"


GOOD = {"title": "Kost het geld?", "answer": "Nee, het kost niets.", "reliability": "OFF",
        "source": {"name": "S", "url": "https://example.nl/kosten", "passage": "It is free.",
                   "fact": "A2.5", "read": "2025-10"}}


@pytest.mark.parametrize("key, change, message", [
    ("care_x/costs", {}, None),
    ("care_y/costs", {}, "no topic answer"),
    ("care_x/overview", {}, "not 'overview'"),
    ("care_x", {}, "topic/name"),
    ("care_x/costs", {"source": {**GOOD["source"], "url": "https://example.nl/"}}, "homepage"),
    ("care_x/costs", {"source": {**GOOD["source"], "passage": ""}}, "passage"),
    ("care_x/costs", {"source": {**GOOD["source"], "read": "oktober"}}, "read"),
    ("care_x/costs", {"answer": "Binnen {term:nope}."}, "unknown term"),
    ("care_x/costs", {"reliability": "maybe"}, "reliability"),
])
def test_question_content_is_validated(tmp_path, key, change, message):
    data_dir = write_question(tmp_path, key, {**GOOD, **change})
    if message is None:
        library = ContentLibrary.load(data_dir)
        assert library.question("care_x/costs").title == "Kost het geld?"
        return
    with pytest.raises(ContentError, match=message):
        ContentLibrary.load(data_dir)


# ----------------------------------------------------------------------------------------- decision
def parse(ranking, topic="care_sop", entities=()):
    return {"intent": {"name": topic}, "entities": list(entities),
            "response_selector": {"all_retrieval_intents": [topic], topic: {
                "response": {"intent_response_key": ranking[0][0], "confidence": ranking[0][1]},
                "ranking": [{"intent_response_key": k, "confidence": c} for k, c in ranking]}}}


def known(key):
    return not key.endswith("/missing")


def test_a_sure_selection_answers_the_question():
    decision = questions.decide(parse([("care_sop/cycle", 0.8), ("care_sop/overview", 0.1)]), "care_sop", known)
    assert (decision.kind, decision.key) == ("question", "care_sop/cycle")


def test_a_clear_lead_answers_even_below_the_confidence():
    decision = questions.decide(parse([("care_sop/cycle", 0.55), ("care_sop/mr", 0.2)]), "care_sop", known)
    assert decision.kind == "question"


def test_a_broad_question_gets_the_overview():
    decision = questions.decide(parse([("care_sop/overview", 0.7), ("care_sop/cycle", 0.2)]), "care_sop", known)
    assert decision.kind == "overview"
    assert questions.decide({"intent": {"name": "care_sop"}}, "care_sop", known).kind == "overview"


def test_an_unsure_selection_asks_bedoel_je_with_question_options():
    ranked = [("care_sop/cycle", 0.35), ("care_sop/mr", 0.3), ("care_sop/overview", 0.2), ("care_sop/x", 0.1)]
    decision = questions.decide(parse(ranked), "care_sop", known)
    assert decision.kind == "choose"
    assert decision.options == ["care_sop/cycle", "care_sop/mr", "care_sop/overview"]


def test_a_button_choice_wins_and_unknown_answers_are_skipped():
    chosen = parse([("care_sop/overview", 0.9)], entities=[{"entity": "question", "value": "care_sop/mr"}])
    assert questions.decide(chosen, "care_sop", known).key == "care_sop/mr"
    missing = questions.decide(parse([("care_sop/missing", 0.9), ("care_sop/cycle", 0.05)]), "care_sop", known)
    assert missing.key != "care_sop/missing" and "care_sop/missing" not in missing.options


# ----------------------------------------------------------------------------------------- component
NLU = """
version: "3.1"
nlu:
- intent: care_sop
  metadata:
    question: cycle
  examples: |
    - hoe vaak maakt de school een nieuw sop
    - wanneer wordt het ondersteuningsprofiel vernieuwd
    - om de hoeveel jaar moet het sop opnieuw
- intent: care_sop
  metadata:
    question: overview
  examples: |
    - wat is een sop
    - uitleg schoolondersteuningsprofiel
    - wat betekent sop
- intent: care_sop
  examples: |
    - sop van de school
- intent: care_opp
  metadata:
    question: consent
  examples: |
    - moet ik het opp tekenen
    - mag ik nee zeggen tegen het opp
    - instemmen met het ontwikkelingsperspectief
"""


def test_the_selector_trains_on_metadata_labels_and_writes_rasas_response_selector_format(tmp_path):
    data = RasaYAMLReader().reads(NLU)
    examples, labels = QuestionSelector.labelled(data)
    assert sorted(set(labels)) == ["care_opp/consent", "care_sop/cycle", "care_sop/overview"]
    assert len(examples) == 9  # the example without a question trains the topic classifier only
    storage = LocalModelStorage(tmp_path)
    resource = Resource("question_selector")
    context = ExecutionContext(GraphSchema({}), "test")
    selector = QuestionSelector.create(QuestionSelector.get_default_config(), storage, resource, context)
    selector.train(data)
    loaded = QuestionSelector.load(QuestionSelector.get_default_config(), storage, resource, context)
    message = Message({TEXT: "hoe vaak wordt het sop vernieuwd", INTENT: {"name": "care_sop", "confidence": 0.9},
                       INTENT_RANKING_KEY: [{"name": "care_sop", "confidence": 0.9}]})
    fallback = Message({TEXT: "hoe vaak sop", INTENT: {"name": "nlu_fallback", "confidence": 1.0}})
    loaded.process([message, fallback])
    selected = message.get("response_selector")
    assert selected["all_retrieval_intents"] == ["care_opp", "care_sop"]
    assert selected["care_sop"]["response"]["intent_response_key"] == "care_sop/cycle"
    assert all(r["intent_response_key"].startswith("care_sop/") for r in selected["care_sop"]["ranking"])
    assert fallback.get("response_selector") is None
    assert "response_selector" in message.as_dict(only_output_properties=True)
    # a topic with one question label answers with it; a topic without questions is left alone
    opp = Message({TEXT: "moet ik tekenen", INTENT: {"name": "care_opp", "confidence": 0.9}})
    other = Message({TEXT: "wie is de ib", INTENT: {"name": "care_intern_begeleider", "confidence": 0.9}})
    loaded.process([opp, other])
    assert opp.get("response_selector")["care_opp"]["response"]["intent_response_key"] == "care_opp/consent"
    assert other.get("response_selector") is None


def test_the_selector_learns_from_the_answer_content(home, library):
    """With content_dir, each question's title and answer text are examples of its label."""
    selector = QuestionSelector({**QuestionSelector.get_default_config(), "content_dir": str(home / "data")},
                                None, None)
    question = library.questions()[0]
    extra = selector.content_examples([question.key, f"{question.topic}/overview"])
    assert (question.title, question.key) in extra
    assert (library.render(question.answer["default"]), question.key) in extra
    assert (library.get(question.topic).title, f"{question.topic}/overview") in extra
    assert all(label in (question.key, f"{question.topic}/overview") for _, label in extra)


# -------------------------------------------------------------------------------------------- action
def question_tracker(parse_data, school_id="de-regenboog"):
    t = tracker(parse_data["intent"]["name"], school_id)
    t.latest_message.update(parse_data)
    return t


@pytest.fixture
def some_question(library):
    return next(q for q in library.questions() if q.topic == "care_sop") if library.question(
        "care_sop/cycle") is None else library.question("care_sop/cycle")


def test_a_selected_question_gets_its_own_answer_with_source_and_reading_date(some_question, library):
    data = parse([(some_question.key, 0.9)], topic=some_question.topic)
    messages, events = run(ActionAnswerTopic(), question_tracker(data))
    text = messages[0]["text"]
    assert library.render(some_question.answer["default"]).split(".")[0] in text
    assert some_question.source.url in text and "gelezen" in text and "{" not in text
    assert messages[0]["buttons"][0]["payload"] == "/more_info"
    assert any(e.get("name") == "last_question" and e.get("value") == some_question.key for e in events)
    more, _ = run(ActionAnswerMore(), tracker("more_info", "de-regenboog",
                                              slots={"last_topic": some_question.topic}))
    assert "Bron: " in more[0]["text"]


def test_unsure_asks_bedoel_je_and_each_button_asks_for_one_answer(library):
    topic = library.questions()[0].topic
    keys = [q.key for q in library.questions(topic)][:2] + [f"{topic}/overview"]
    data = parse([(keys[0], 0.34), (keys[1], 0.33), (keys[2], 0.33)], topic=topic)
    messages, _ = run(ActionAnswerTopic(), question_tracker(data))
    assert "Bedoel je" in messages[0]["text"]
    payloads = [b["payload"] for b in messages[0]["buttons"]]
    assert payloads[:3] == [question_payload(k) for k in keys]
    assert "/deny" in payloads and "/talk_to_human" in payloads
    intent, _, entities = payloads[0][1:].partition("{")
    assert intent == topic and json.loads("{" + entities) == {"question": keys[0]}
    chosen = {"intent": {"name": topic}, "entities": [{"entity": "question", "value": keys[0]}]}
    answered, _ = run(ActionAnswerTopic(), question_tracker(chosen))
    assert library.render(library.question(keys[0]).answer["default"])[:40] in answered[0]["text"]


@pytest.mark.parametrize("school_id", ["de-regenboog", "het-baken", None])
def test_every_question_answer_renders_without_placeholders(library, school_id):
    for question in library.questions():
        data = parse([(question.key, 0.95)], topic=question.topic)
        messages, _ = run(ActionAnswerTopic(), question_tracker(data, school_id))
        assert "{" not in messages[0]["text"] and "Bron: " in messages[0]["text"], question.key
