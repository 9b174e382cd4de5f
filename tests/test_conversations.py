"""Conversations, not single questions (issue 19): follow-ups on the conversation's topic, answer first,
"Bedoel je…?" with topics, questions about this chat, and English / other languages. The actions run
with Rasa SDK trackers; tests/stories and tests/test_widget_e2e.py hold whole conversations."""
from __future__ import annotations

import asyncio
from typing import Any, Dict, List, Optional

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.answers import ActionAnswerFollowup, ActionAnswerMore, ActionAnswerTopic, ActionSetAge
from actions.common import content, settings
from actions.conversation import ActionAnswerPrivacy, ActionFallback, ActionGreet
from wegwijs import followups, replies, replies_en, topic_choice
from wegwijs.content import FOLLOWUP_KINDS, ContentError, english_term, load_terms

#: the actions read the schools from the database: every test gets one with the example schools
pytestmark = pytest.mark.usefixtures("school_db")


def tracker(intent: str, text: str = "…", school_id: Optional[str] = "het-baken",
            slots: Optional[Dict] = None, language: Optional[str] = None,
            ranking: Optional[List[Dict]] = None, events: Optional[List[Dict[str, Any]]] = None) -> Tracker:
    entities = [{"entity": "language", "value": language}] if language else []
    latest = {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": entities,
              "intent_ranking": ranking or [], "metadata": {"school_id": school_id} if school_id else {}}
    return Tracker("parent", dict(slots or {}), latest, events or [], False, None, {}, "action_listen")


def run(action, tracker_: Tracker):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker_, {}))
    return dispatcher.messages, events


def slots(events):
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


# --- follow-ups ---------------------------------------------------------------------------------

def mapped_pairs():
    library = content()
    return [(answer.intent, kind) for answer in library.answers() for kind in FOLLOWUP_KINDS
            if library.followup(answer.intent, kind)]


def test_follow_ups_are_curated_for_many_topics_and_kinds():
    pairs = mapped_pairs()
    assert len({topic for topic, _ in pairs}) >= 40
    assert {kind for _, kind in pairs} == set(FOLLOWUP_KINDS)


@pytest.mark.parametrize("topic,kind", mapped_pairs()[::7])
def test_a_follow_up_is_answered_for_the_topic_of_the_conversation(topic, kind):
    library = content()
    target = followups.resolve(library, topic, kind)
    messages, events = run(ActionAnswerFollowup(), tracker(f"followup_{kind}", slots={"last_topic": topic}))
    text = messages[0]["text"]
    if target.kind == "question":
        assert library.render(library.question(target.key).variant("vo")) in text
        assert slots(events)["last_topic"] == topic
    elif target.kind == "topic":
        other = library.get(target.key)
        assert library.render(other.variant("short", "vo")) in text or other.needs_age
    else:
        assert library.render(library.get(topic).variant("more", "vo")) in text
    assert "Op die vraag over" not in text


def test_a_follow_up_without_an_answer_says_so_and_offers_a_person():
    library = content()
    topic, kind = next((a.intent, k) for a in library.answers() for k in FOLLOWUP_KINDS
                       if not library.followup(a.intent, k) and a.group == "rights")
    messages, _ = run(ActionAnswerFollowup(), tracker(f"followup_{kind}", slots={"last_topic": topic}))
    text = messages[0]["text"]
    assert text.startswith("Op die vraag over '") and library.get(topic).title in text
    assert "https://jeugdstem.nl" in text  # rights: the referral to personal help
    assert messages[0]["buttons"] == [replies.TALK_BUTTON]


def test_a_follow_up_without_a_topic_asks_what_it_is_about():
    messages, _ = run(ActionAnswerFollowup(), tracker("followup_costs", slots={}))
    assert messages[0]["text"] == replies.WHICH_TOPIC


def test_an_and_if_with_an_age_re_answers_an_age_dependent_topic_for_that_age():
    messages, events = run(ActionAnswerFollowup(), tracker(
        "followup_exception", "en als mijn zoon al 16 is?", slots={"last_topic": "rights_dossier_access"}))
    assert messages[0]["text"].startswith("Ik ga uit van een kind van 16 of 17 jaar.")
    assert slots(events)["child_age_band"] == "age_16_plus"


def test_a_new_topic_after_a_follow_up_wins():
    messages, events = run(ActionAnswerTopic(), tracker("care_bullying", slots={"last_topic": "care_opp"}))
    assert slots(events)["last_topic"] == "care_bullying"


def test_follow_up_targets_must_exist(tmp_path):
    from wegwijs.content import ContentLibrary
    import shutil

    shutil.copytree("data", tmp_path / "data")
    (tmp_path / "data" / "basics" / "followups.yml").write_text(
        "followups:\n  care_opp:\n    costs: care_opp/does_not_exist\n", encoding="utf-8")
    with pytest.raises(ContentError, match="does_not_exist"):
        ContentLibrary.load(tmp_path / "data")


# --- answer first ----------------------------------------------------------------------------------

AGE_TOPICS = [a.intent for a in content().answers() if a.needs_age]


@pytest.mark.parametrize("topic", AGE_TOPICS)
def test_age_dependent_topics_answer_first_and_ask_the_age_only_for_that_part(topic):
    answer = content().get(topic)
    messages, events = run(ActionAnswerTopic(), tracker(topic))
    assert content().render(answer.variant("short", "vo")) in messages[0]["text"]
    assert messages[1]["text"] == replies.age_first(answer.age_part)
    assert slots(events)["pending_topic"] == topic
    age, _ = run(ActionSetAge(), tracker("inform_age", "14", slots={"pending_topic": topic}))
    assert content().render(answer.variant("short", "vo", "age_12_15")) in age[0]["text"]


# --- "Bedoel je…?" with topics -------------------------------------------------------------------------

def fallback_ranking(*pairs):
    return [{"name": "nlu_fallback", "confidence": 0.15}] + [{"name": n, "confidence": c} for n, c in pairs]


def test_an_unsure_message_offers_the_likely_topics_with_something_else_and_a_person():
    t = tracker("nlu_fallback", "dat plan van school", ranking=fallback_ranking(
        ("care_opp", 0.14), ("care_sop", 0.13), ("greet", 0.1), ("care_tlv", 0.08), ("care_mentor", 0.07)))
    messages, _ = run(ActionFallback(), t)
    assert messages[0]["text"] == replies.CHOOSE_TOPIC_TEXT
    assert [b["payload"] for b in messages[0]["buttons"]] == [
        "/care_opp", "/care_sop", "/care_tlv", "/deny", "/talk_to_human"]


def test_a_crisis_in_doubt_gets_the_help_lines_and_no_choice():
    t = tracker("nlu_fallback", "ik wil er niet meer zijn", ranking=fallback_ranking(("care_opp", 0.3)))
    t.latest_message["crisis"] = {"score": 0.9, "kind": "safety_suicide"}
    messages, _ = run(ActionFallback(), t)
    assert messages[0]["response"] == "utter_safety_general"
    assert all(m.get("text") != replies.CHOOSE_TOPIC_TEXT for m in messages)


def test_a_safety_intent_among_the_likely_ones_means_no_choice():
    ranking = fallback_ranking(("care_opp", 0.14), ("safety_suicide", 0.12), ("care_sop", 0.1))
    assert topic_choice.options({"intent_ranking": ranking}, content()) == []


def test_nothing_likely_asks_to_rephrase():
    assert topic_choice.options({"intent_ranking": fallback_ranking(("care_opp", 0.06))}, content()) == []
    messages, _ = run(ActionFallback(), tracker("nlu_fallback", "blorp", ranking=fallback_ranking()))
    assert messages[0]["text"] == replies.REPHRASE


# --- questions about this chat ---------------------------------------------------------------------------

PRIVACY_PAGE = open("widget/privacy.html", encoding="utf-8").read()


@pytest.mark.parametrize("kind", replies.PRIVACY_KINDS)
def test_privacy_questions_get_the_privacy_page_answer(kind):
    messages, _ = run(ActionAnswerPrivacy(), tracker(f"privacy_{kind}"))
    text = messages[0]["text"]
    assert text == replies.privacy_answer(kind, settings())
    assert settings().privacy_url in text


def test_privacy_answers_say_what_the_privacy_page_says():
    assert f"{settings().retention_days} dagen niets meer in is gezegd" in PRIVACY_PAGE
    assert f"{settings().retention_days} dagen niets meer in is gezegd" in replies.privacy_answer("retention", settings())
    assert "Gesprek verwijderen" in PRIVACY_PAGE and "Gesprek verwijderen" in replies.privacy_answer("delete", settings())
    assert "alleen als jij daar in de chat toestemming voor geeft" in PRIVACY_PAGE
    assert "alleen als jij daar in de chat toestemming voor geeft" in replies.privacy_answer("who_reads", settings())
    assert "We vragen niet om je naam of adres" in PRIVACY_PAGE
    assert "We vragen niet om je naam of adres" in replies.privacy_answer("anonymous", settings())


# --- English and other languages ---------------------------------------------------------------------------

def test_every_topic_has_an_english_answer_with_the_same_source():
    library = content()
    for answer in library.answers():
        assert "en" in answer.translations, answer.intent
    messages, _ = run(ActionAnswerTopic(), tracker("care_opp", "what is an OPP", language="en"))
    text = messages[0]["text"]
    answer = library.get("care_opp")
    assert library.render(answer.variant("short", "vo", None, "en"), "en") in text
    assert replies_en.source_line(answer.source) in text
    assert text.rstrip().endswith(replies_en.MORE_QUESTION)
    assert [b["title"] for b in messages[0]["buttons"]] == ["Tell me more", "Talk to someone"]


def test_english_answers_render_terms_in_english():
    assert {english_term(text) for text in load_terms().values()} >= {"6 weeks", "1 August 2017"}
    library = content()
    for answer in library.answers():
        for part in ("short", "more"):
            text = library.render(answer.variant(part, None, None, "en"), "en")
            for dutch in (" weken", " jaar", " maanden", " werkdagen"):
                assert dutch not in text, (answer.intent, part, dutch)


def test_english_follow_ups_more_and_privacy():
    messages, _ = run(ActionAnswerFollowup(), tracker("followup_costs", "is it free?", language="en",
                                                      slots={"last_topic": "care_opp", "language": "en"}))
    assert messages[0]["text"]
    more, _ = run(ActionAnswerMore(), tracker("more_info", slots={"last_topic": "care_opp", "language": "en"}))
    assert content().render(content().get("care_opp").variant("more", "vo", None, "en"), "en") in more[0]["text"]
    privacy, _ = run(ActionAnswerPrivacy(), tracker("privacy_who_reads", language="en"))
    assert privacy[0]["text"] == replies_en.privacy_answer("who_reads", settings())


def test_english_age_first_is_in_english():
    messages, _ = run(ActionAnswerTopic(), tracker("rights_child_heard", language="en"))
    assert messages[1]["text"].startswith("Part of this depends on your child's age: whether your child")
    assert [b["title"] for b in messages[1]["buttons"]][0] == "Under 12"


def test_english_greeting_and_other_languages_get_dutch_and_english_with_the_school():
    greet, _ = run(ActionGreet(), tracker("greet", "hello there how are you", language="en"))
    assert greet[0]["text"].startswith("Hi! I am Wegwijs")
    other, _ = run(ActionAnswerTopic(), tracker("care_opp", "OPP nedir", language="other"))
    text = other[0]["text"]
    assert "I answer in Dutch and in English" in text and "Ik antwoord in het Nederlands" in text
    assert "Het Baken" in text and "0800-5010" in text and "112" in text


def test_the_reply_modules_say_the_same_things():
    def public(module):
        return {name for name in dir(module) if not name.startswith("_") and (
            name.isupper() or callable(getattr(module, name))
            and getattr(getattr(module, name), "__module__", "") == module.__name__)}

    missing = public(replies) - public(replies_en) - {"for_language", "other_language_reply", "dutch_date",
                                                       "PRIVACY_KINDS", "UNKNOWN_SCHOOL_NOTE"}
    assert not missing, missing
