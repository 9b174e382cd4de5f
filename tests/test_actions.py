"""The custom actions, run with Rasa SDK trackers (no server)."""
from __future__ import annotations

import asyncio
from typing import Any, Dict, List, Optional

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.answers import ActionAnswerMore, ActionAnswerTopic
from actions.conversation import ActionContactPerson, ActionFallback, ActionGreet, consecutive_fallbacks

#: the actions read the schools from the database: every test gets one with the example schools
pytestmark = pytest.mark.usefixtures("school_db")


def tracker(intent: str = "greet", school_id: Optional[str] = None, slots: Optional[Dict] = None,
            events: Optional[List[Dict[str, Any]]] = None, ranking: Optional[List[Dict]] = None) -> Tracker:
    metadata = {"school_id": school_id} if school_id else {}
    latest = {"text": "…", "intent": {"name": intent, "confidence": 0.9},
              "intent_ranking": ranking or [], "metadata": metadata}
    return Tracker("parent", slots or {}, latest, events or [], False, None, {}, "action_listen")


def run(action, tracker_: Tracker):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker_, {}))
    return dispatcher.messages, events


def test_greeting_with_school_is_automated_and_remembers_the_school():
    messages, events = run(ActionGreet(), tracker("greet", "de-regenboog"))
    assert "computerprogramma" in messages[0]["text"]
    assert "Basisschool De Regenboog" in messages[0]["text"]
    assert {"event": "slot", "name": "school_id", "value": "de-regenboog", "timestamp": None} in events


def test_greeting_without_school_gives_a_clear_note():
    messages, _ = run(ActionGreet(), tracker("greet", "onbekende-school"))
    assert "welke school" in messages[0]["text"]


def test_answer_names_the_schools_own_person_and_source():
    messages, events = run(ActionAnswerTopic(), tracker("care_intern_begeleider", "de-regenboog"))
    text = messages[0]["text"]
    assert "Marieke de Vries" in text
    assert "Bron: " in text and "https://" in text and "gelezen " in text
    assert messages[0]["buttons"][0]["payload"] == "/more_info"
    assert any(e.get("name") == "last_topic" and e.get("value") == "care_intern_begeleider" for e in events)


def test_answer_differs_by_school_type():
    po, _ = run(ActionAnswerTopic(), tracker("care_intern_begeleider", "de-regenboog"))
    vo, _ = run(ActionAnswerTopic(), tracker("care_intern_begeleider", "het-baken"))
    assert "Sanne Visser" in vo[0]["text"]
    assert po[0]["text"] != vo[0]["text"]


def test_school_from_the_slot_when_metadata_is_missing():
    messages, events = run(ActionAnswerTopic(), tracker("care_intern_begeleider",
                                                        slots={"school_id": "de-kompas"}))
    assert "Karin Mulder" in messages[0]["text"]
    assert not any(e.get("name") == "school_id" for e in events)


def test_more_gives_the_long_answer_of_the_last_topic():
    short, _ = run(ActionAnswerTopic(), tracker("care_opp", "de-regenboog"))
    more, _ = run(ActionAnswerMore(), tracker("more_info", "de-regenboog", slots={"last_topic": "care_opp"}))
    assert more[0]["text"] != short[0]["text"]
    assert "Bron: " in more[0]["text"]
    nothing, _ = run(ActionAnswerMore(), tracker("more_info"))
    assert "Waar wil je meer over weten" in nothing[0]["text"]


@pytest.mark.parametrize("intent", ["care_tlv_objection", "care_youth_health", "care_costs"])
def test_every_answer_renders_without_placeholders(intent):
    messages, _ = run(ActionAnswerTopic(), tracker(intent, "het-baken"))
    assert "{" not in messages[0]["text"]


def test_contact_person():
    messages, _ = run(ActionContactPerson(), tracker("talk_to_human", "het-baken"))
    assert "Ruud Bakker" in messages[0]["text"]


def fallback_event(intent: str = "nlu_fallback") -> Dict[str, Any]:
    return {"event": "user", "text": "…", "parse_data": {"intent": {"name": intent}}}


def test_fallback_asks_to_rephrase_once_then_offers_a_person():
    first, _ = run(ActionFallback(), tracker("nlu_fallback", "de-regenboog", events=[fallback_event()]))
    assert "anders zeggen" in first[0]["text"]
    second, _ = run(ActionFallback(), tracker("nlu_fallback", "de-regenboog",
                                              events=[fallback_event(), fallback_event()]))
    assert "Anouk Jansen" in second[0]["text"]
    assert consecutive_fallbacks([fallback_event(), fallback_event("greet"), fallback_event()]) == 1


def test_fallback_with_a_likely_crisis_gives_the_help_lines_first():
    latest = tracker("nlu_fallback", events=[fallback_event()])
    latest.latest_message["crisis"] = {"score": 0.55, "kind": "safety_suicide"}
    messages, _ = run(ActionFallback(), latest)
    assert messages[0]["response"] == "utter_safety_general"


def test_fallback_with_a_safety_intent_in_the_ranking_but_no_likely_crisis_asks_to_rephrase():
    # The intent ranking alone spreads weight over 79 intents; the crisis classifier decides doubt.
    ranking = [{"name": "care_mentor", "confidence": 0.18}, {"name": "safety_suicide", "confidence": 0.17}]
    latest = tracker("nlu_fallback", events=[fallback_event()], ranking=ranking)
    latest.latest_message["crisis"] = {"score": 0.3, "kind": "safety_suicide"}
    messages, _ = run(ActionFallback(), latest)
    assert [m.get("response") for m in messages] == [None]
    assert "anders zeggen" in messages[0]["text"]


def test_fallback_after_a_judged_look_alike_gives_no_help_lines():
    ranking = [{"name": "nlu_fallback", "confidence": 1.0}, {"name": "safety_domestic_violence", "confidence": 0.9}]
    latest = tracker("nlu_fallback", events=[fallback_event()], ranking=ranking)
    latest.latest_message["safety_override"] = {"reason": "look-alike"}
    latest.latest_message["crisis"] = {"score": 0.9, "kind": "safety_domestic_violence"}
    messages, _ = run(ActionFallback(), latest)
    assert [m.get("response") for m in messages] == [None]
    assert "anders zeggen" in messages[0]["text"]


# --- age-aware answers (rights) ---------------------------------------------------------------

from actions.answers import ActionHandleDeny, ActionSetAge  # noqa: E402

AGE_QUESTION = "Hoe oud is je kind?"


def slot_events(events):
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def test_an_age_dependent_answer_answers_first_then_asks_the_age_for_that_part():
    messages, events = run(ActionAnswerTopic(), tracker("rights_dossier_access", "het-baken"))
    assert "dossier over je kind inzien" in messages[0]["text"]  # what holds for the parent, at once
    assert messages[1]["text"] == ("Een deel hangt af van de leeftijd van je kind: wie om inzage mag vragen: "
                                   "jij, je kind of jullie allebei. Hoe oud is je kind?")
    assert [b["title"] for b in messages[1]["buttons"]][-1] == "Zeg ik liever niet"
    assert slot_events(events)["pending_topic"] == "rights_dossier_access"


def test_the_age_answer_gives_the_waiting_topic_for_that_age():
    t = tracker("inform_age", "het-baken", slots={"pending_topic": "rights_child_heard"})
    t.latest_message["text"] = "hij is 13"
    messages, events = run(ActionSetAge(), t)
    text = messages[0]["text"]
    assert text.startswith("Ik ga uit van een kind van 12 tot 16 jaar.")
    assert "Gehoord worden is niet hetzelfde als beslissen" in text
    # the referral closes every rights answer: Jeugdstem and legal help, never the school for legal help
    assert "https://jeugdstem.nl" in text and "Ruud Bakker" not in text
    assert slot_events(events)["child_age_band"] == "age_12_15"
    assert slot_events(events)["pending_topic"] is None


def test_a_remembered_age_is_reused_and_a_correction_re_answers():
    reused, _ = run(ActionAnswerTopic(), tracker("rights_instruction", "het-baken",
                                                 slots={"child_age_band": "age_under_12"}))
    assert reused[0]["text"].startswith("Ik ga uit van een kind jonger dan 12 jaar.")
    t = tracker("inform_age", "het-baken", slots={"child_age_band": "age_under_12",
                                                  "last_topic": "rights_instruction"})
    t.latest_message["text"] = "nee ze is eigenlijk 14"
    corrected, events = run(ActionSetAge(), t)
    assert corrected[0]["text"].startswith("Ik ga uit van een kind van 12 tot 16 jaar.")
    assert corrected[0]["text"] != reused[0]["text"]
    assert slot_events(events)["child_age_band"] == "age_12_15"


def test_an_age_in_the_question_itself_is_used_without_asking():
    t = tracker("rights_child_heard", "de-kompas")
    t.latest_message["text"] = "mag mijn dochter van 9 ook iets zeggen tegen de rechter"
    messages, events = run(ActionAnswerTopic(), t)
    assert messages[0]["text"].startswith("Ik ga uit van een kind jonger dan 12 jaar.")
    assert slot_events(events)["child_age_band"] == "age_under_12"


def test_declining_the_age_keeps_the_general_answer_and_is_not_asked_again():
    messages, events = run(ActionHandleDeny(), tracker("deny", "het-baken",
                                                       slots={"pending_topic": "rights_child_heard"}))
    assert messages == [{"response": "utter_anything_else", **{k: v for k, v in messages[0].items()
                                                                 if k != "response"}}]
    assert {k: v for k, v in slot_events(events).items() if k != "school_id"} == {
        "child_age_band": "unknown", "pending_topic": None}
    again, _ = run(ActionAnswerTopic(), tracker("rights_instruction", "het-baken",
                                                slots={"child_age_band": "unknown"}))
    assert len(again) == 1 and AGE_QUESTION not in again[0]["text"]


def test_an_unclear_age_is_asked_again_plainly_and_an_adult_is_referred():
    t = tracker("inform_age", slots={"pending_topic": "rights_child_heard"})
    t.latest_message["text"] = "weet ik niet precies"
    messages, events = run(ActionSetAge(), t)
    assert "Typ alleen het getal" in messages[0]["text"] and events == []
    t.latest_message["text"] = "hij is 19"
    messages, _ = run(ActionSetAge(), t)
    assert "18 of ouder" in messages[0]["text"]


def test_plain_no_moves_on():
    messages, _ = run(ActionHandleDeny(), tracker("deny"))
    assert messages[0]["response"] == "utter_anything_else"


def test_removal_start_offers_the_three_situations():
    messages, _ = run(ActionAnswerTopic(), tracker("rights_removal_start", "de-regenboog"))
    payloads = [b["payload"] for b in messages[0]["buttons"]]
    assert payloads[:3] == ["/rights_raad_investigation", "/rights_placement", "/rights_emergency_placement"]
    assert "Jeugdstem" in messages[0]["text"]


def test_every_rights_answer_ends_with_personal_help_and_source(library):
    for answer in library.answers():
        if not answer.intent.startswith("rights_"):
            continue
        t = tracker(answer.intent, "de-regenboog", slots={"child_age_band": "age_12_15"})
        messages, _ = run(ActionAnswerTopic(), t)
        text = messages[0]["text"]
        assert "Persoonlijke hulp: Jeugdstem" in text, answer.intent
        assert "Bron: " in text and "{" not in text, answer.intent


# ---------------------------------------------------------------- "Had je hier iets aan?" (wegwijs/feedback.py)

def test_answers_name_the_answer_they_give_and_nothing_else_does():
    """The widget asks whether an answer helped only for messages that carry ``answer_id`` (Rasa keeps the
    extra key as the bot message's metadata)."""
    short, _ = run(ActionAnswerTopic(), tracker("care_opp", "de-regenboog"))
    assert short[0]["answer_id"] == "care_opp"
    more, _ = run(ActionAnswerMore(), tracker("more_info", "de-regenboog", slots={"last_topic": "care_opp"}))
    assert more[0]["answer_id"] == "care_opp:more"
    question = tracker("care_sop", "het-baken")
    question.latest_message["entities"] = [{"entity": "question", "value": "care_sop/cycle"}]
    chosen, _ = run(ActionAnswerTopic(), question)
    assert chosen[0]["answer_id"] == "care_sop/cycle"
    # answer first, then the age question: only the answer is rated
    first, _ = run(ActionAnswerTopic(), tracker("rights_dossier_access", "het-baken"))
    assert first[0]["answer_id"] == "rights_dossier_access" and "answer_id" not in first[1]
    for action, intent in ((ActionGreet(), "greet"), (ActionContactPerson(), "talk_to_human"),
                           (ActionFallback(), "nlu_fallback")):
        messages, _ = run(action, tracker(intent, "het-baken"))
        assert all("answer_id" not in message for message in messages), intent
    nothing, _ = run(ActionAnswerMore(), tracker("more_info"))
    assert "answer_id" not in nothing[0]
