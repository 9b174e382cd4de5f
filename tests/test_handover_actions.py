"""The handover actions, run with Rasa SDK trackers on a per-test database (no servers)."""
from __future__ import annotations

import asyncio
from typing import Any, Dict, List, Optional

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

import actions.common as common
from actions.handover import (CLASS, CONSENT, DETAIL, METHOD, QUESTION, TOPIC, ActionAskHandoverConsent,
                              ActionHandoverSubmit, ValidateHandoverForm)
from wegwijs.handovers import dialogue

#: the actions read the schools from the database: every test gets one with the example schools
pytestmark = pytest.mark.usefixtures("school_db")

SENDER = "ouder-123"
FORM_SLOTS = [QUESTION, CLASS, METHOD, DETAIL, CONSENT]


def _clear_caches() -> None:
    for cached in (common.settings, common.content, common.schools):
        cached.cache_clear()


@pytest.fixture(scope="module")
def domain(home) -> Dict[str, Any]:
    return yaml.safe_load((home / "domain.yml").read_text(encoding="utf-8"))


@pytest.fixture
def db(db_url, school_db, monkeypatch):
    """The per-test database with our tables and the example schools, read by the actions through
    WEGWIJS_DB_URL."""
    from wegwijs.db import migrate

    monkeypatch.delenv("WEGWIJS_SMTP_HOST", raising=False)
    migrate.upgrade(db_url)
    _clear_caches()
    yield db_url
    _clear_caches()


def user(intent: str, text: str = "…") -> Dict[str, Any]:
    return {"event": "user", "text": text, "parse_data": {"intent": {"name": intent, "confidence": 0.9}}}


def bot(text: str) -> Dict[str, Any]:
    return {"event": "bot", "text": text}


def form_tracker(text: str, requested: Optional[str], intent: str = "nlu_fallback",
                 school_id: Optional[str] = "het-baken", slots: Optional[Dict[str, Any]] = None,
                 history: Optional[List[Dict[str, Any]]] = None, sender: str = SENDER) -> Tracker:
    """The tracker Rasa sends to the validation action: the latest message and, as the form
    extracted it, the message as a candidate for the requested slot (the last events)."""
    slots = dict(slots or {})
    events = list(history or []) + [user(intent, text)]
    if requested:
        slots[requested] = text
        slots["requested_slot"] = requested
        events.append({"event": "slot", "name": requested, "value": text, "timestamp": None})
    latest = {"text": text, "intent": {"name": intent, "confidence": 0.9}, "intent_ranking": [],
              "metadata": {"school_id": school_id} if school_id else {}}
    return Tracker(sender, slots, latest, events, False, None, {"name": "handover_form"}, "action_listen")


def plain_tracker(slots: Dict[str, Any], events: Optional[List[Dict[str, Any]]] = None,
                  school_id: Optional[str] = "het-baken", intent: str = "affirm",
                  sender: str = SENDER) -> Tracker:
    latest = {"text": "/affirm", "intent": {"name": intent, "confidence": 1.0}, "intent_ranking": [],
              "metadata": {"school_id": school_id} if school_id else {}}
    return Tracker(sender, dict(slots), latest, list(events or []), False, None, {}, "handover_form")


def run(action, tracker, domain=None):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, domain or {}))
    return dispatcher.messages, events


def slot_values(events) -> Dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def required(tracker, domain) -> List[str]:
    action = ValidateHandoverForm()
    return asyncio.run(action.required_slots(action.domain_slots(domain), CollectingDispatcher(),
                                             tracker, domain))


def stored(db_url):
    from wegwijs.db.engine import session_factory
    from wegwijs.db.models import Handover

    with session_factory(db_url)() as session:
        return session.query(Handover).order_by(Handover.id).all()


def store_open_handover(db_url, sender=SENDER, **overrides):
    from wegwijs.db.engine import session_factory
    from wegwijs.handovers import service

    fields = dict(school_id="het-baken", role="zorgcoordinator", conversation_id=sender,
                  question="Hoe vraag ik een OPP aan voor mijn zoon?", contact_method="phone",
                  contact_detail="0612345678", consent_text="Vind je het goed dat ik dit deel?")
    fields.update(overrides)
    with session_factory(db_url)() as session, session.begin():
        return service.create_handover(session, **fields).public_id


# --- required slots --------------------------------------------------------------------------------

def test_required_slots(db, domain):
    assert required(form_tracker("hoi", None, school_id=None), domain) == []
    assert required(form_tracker("hoi", None, school_id="onbekende-school"), domain) == []
    assert required(form_tracker("hoi", None, slots={CONSENT: "no"}), domain) == []
    assert required(form_tracker("hoi", None), domain) == [QUESTION, CLASS, METHOD, CONSENT]
    assert required(form_tracker("hoi", None, slots={METHOD: "chat"}), domain) == \
        [QUESTION, CLASS, METHOD, CONSENT]
    assert required(form_tracker("hoi", None, slots={METHOD: "phone"}), domain) == \
        [QUESTION, CLASS, METHOD, DETAIL, CONSENT]
    assert required(form_tracker("hoi", None, slots={METHOD: "email"}), domain) == \
        [QUESTION, CLASS, METHOD, DETAIL, CONSENT]
    # the school from the remembered slot when the message has no metadata
    assert required(form_tracker("hoi", None, school_id=None, slots={"school_id": "de-kompas"}),
                    domain) == [QUESTION, CLASS, METHOD, CONSENT]


def test_required_slots_with_an_open_handover_is_empty(db, domain):
    store_open_handover(db)
    assert required(form_tracker("ik wil iemand spreken", None), domain) == []
    assert required(form_tracker("ik wil iemand spreken", None, sender="iemand-anders"), domain) != []


# --- validation ------------------------------------------------------------------------------------

def test_a_question_is_kept_with_its_topic(db, domain):
    text = "Hoe vraag ik een OPP aan voor mijn zoon van 13?"
    messages, events = run(ValidateHandoverForm(), form_tracker(text, QUESTION, intent="care_opp"), domain)
    assert messages == []
    values = slot_values(events)
    assert values[QUESTION] == text
    assert values[TOPIC] == "care_opp"
    assert values["child_age_band"] == "age_12_15"
    assert values["requested_slot"] == CLASS


def test_a_crisis_message_as_question_gets_the_help_line_first_and_is_kept(db, domain):
    text = "Mijn man slaat mij als de kinderen slapen en ik durf het niemand te vertellen"
    messages, events = run(ValidateHandoverForm(),
                           form_tracker(text, QUESTION, intent="safety_domestic_violence"), domain)
    assert messages[0]["response"] == "utter_safety_domestic_violence"
    values = slot_values(events)
    assert values[QUESTION] == text
    assert values[TOPIC] == "safety_domestic_violence"
    assert values.get(CONSENT) is None
    assert values["requested_slot"] == CLASS


def test_a_crisis_message_at_a_later_step_gets_the_help_line_and_asks_again(db, domain):
    slots = {QUESTION: "Mijn dochter zit al weken thuis en niemand belt terug"}
    messages, events = run(ValidateHandoverForm(),
                           form_tracker("hij slaat ons", CLASS, intent="safety_domestic_violence",
                                        slots=slots), domain)
    assert messages[0]["response"] == "utter_safety_domestic_violence"
    assert slot_values(events)[CLASS] is None
    assert slot_values(events)["requested_slot"] == CLASS


FILLED = {QUESTION: "Mijn zoon krijgt geen extra hulp in de klas.", CLASS: "2 havo"}


@pytest.mark.parametrize("requested, slots", [
    (QUESTION, {}),
    (CLASS, {QUESTION: FILLED[QUESTION]}),
    (METHOD, FILLED),
    (DETAIL, {**FILLED, METHOD: "phone"}),
    (DETAIL, {**FILLED, METHOD: "email"}),
    (CONSENT, {**FILLED, METHOD: "chat"}),
])
@pytest.mark.parametrize("text", ["stop", "Stop!", "laat maar"])
def test_stop_at_any_step_shares_nothing(db, domain, requested, slots, text):
    messages, events = run(ValidateHandoverForm(), form_tracker(text, requested, slots=slots), domain)
    values = slot_values(events)
    assert values[CONSENT] == dialogue.NO
    assert values["requested_slot"] is None  # the form ends
    if requested != CONSENT:
        assert values[requested] is None


def test_a_long_question_that_mentions_stopping_is_kept(db, domain):
    text = "Mijn zoon wil stoppen met school, wie kan ons helpen?"
    _, events = run(ValidateHandoverForm(), form_tracker(text, QUESTION), domain)
    assert slot_values(events)[QUESTION] == text
    assert slot_values(events).get(CONSENT) is None


def test_a_short_question_that_mentions_stopping_is_kept(db, domain):
    text = "Hij wil stoppen met school"
    _, events = run(ValidateHandoverForm(), form_tracker(text, QUESTION, intent="care_compulsory_education"),
                    domain)
    assert slot_values(events)[QUESTION] == text
    assert slot_values(events).get(CONSENT) is None


def test_a_too_short_question_is_refused_in_dutch(db, domain):
    messages, events = run(ValidateHandoverForm(), form_tracker("hulp", QUESTION), domain)
    assert [m["text"] for m in messages] == [dialogue.QUESTION_TOO_SHORT]
    assert "uitgebreider" in messages[0]["text"]
    assert slot_values(events)[QUESTION] is None
    assert slot_values(events)["requested_slot"] == QUESTION


def test_a_button_payload_is_not_taken_as_the_question(db, domain):
    _, events = run(ValidateHandoverForm(), form_tracker("/more_info", QUESTION, intent="more_info"),
                    domain)
    assert slot_values(events)[QUESTION] is None


def test_the_class_gives_the_age_band(db, domain):
    _, events = run(ValidateHandoverForm(),
                    form_tracker("Groep5", CLASS, school_id="de-regenboog", slots={QUESTION: "x" * 20}),
                    domain)
    assert slot_values(events)[CLASS] == "groep 5"
    assert slot_values(events)["child_age_band"] == "age_under_12"
    messages, events = run(ValidateHandoverForm(),
                           form_tracker("geen flauw benul joh", CLASS, slots={QUESTION: "x" * 20}), domain)
    assert messages[0]["text"] == dialogue.CLASS_NOT_UNDERSTOOD
    assert slot_values(events)[CLASS] is None


@pytest.mark.parametrize("text", ["0612", "06-1234567", "061234567890", "mijn nummer weet ik niet",
                                  "06-abcdefgh"])
def test_an_invalid_phone_number_gives_the_dutch_error_and_stays_empty(db, domain, text):
    messages, events = run(ValidateHandoverForm(),
                           form_tracker(text, DETAIL, slots={**FILLED, METHOD: "phone"}), domain)
    assert [m["text"] for m in messages] == [dialogue.PHONE_INVALID]
    assert "telefoonnummer" in messages[0]["text"]
    assert slot_values(events)[DETAIL] is None
    assert METHOD not in slot_values(events)  # still by phone: the number is asked again


def test_a_valid_phone_number_and_email_address(db, domain):
    _, events = run(ValidateHandoverForm(),
                    form_tracker("+31 (0)6 12345678", DETAIL, slots={**FILLED, METHOD: "phone"}), domain)
    assert slot_values(events)[DETAIL] == "0612345678"
    messages, events = run(ValidateHandoverForm(),
                           form_tracker("mijn adres is Jan@Voorbeeld.NL", DETAIL,
                                        slots={**FILLED, METHOD: "email"}), domain)
    assert messages == [] and slot_values(events)[DETAIL] == "Jan@voorbeeld.nl"
    messages, events = run(ValidateHandoverForm(),
                           form_tracker("jan at voorbeeld", DETAIL, slots={**FILLED, METHOD: "email"}),
                           domain)
    assert [m["text"] for m in messages] == [dialogue.EMAIL_INVALID]
    assert slot_values(events)[DETAIL] is None


def test_chat_instead_of_a_number_switches_to_the_chat(db, domain):
    _, events = run(ValidateHandoverForm(),
                    form_tracker("toch maar via de chat", DETAIL, slots={**FILLED, METHOD: "phone"}), domain)
    values = slot_values(events)
    assert values[METHOD] == "chat" and values[DETAIL] is None
    assert values["requested_slot"] == CONSENT


def test_method_with_the_number_fills_both(db, domain):
    messages, events = run(ValidateHandoverForm(),
                           form_tracker("bel me op 06-12345678", METHOD, slots=FILLED), domain)
    assert messages == []
    values = slot_values(events)
    assert values[METHOD] == "phone"
    assert values[DETAIL] == "0612345678"


@pytest.mark.parametrize("text, method", [("chat", "chat"), ("telefoon", "phone"), ("e-mail", "email"),
                                          ("liever mailen", "email"), ("hier graag", "chat")])
def test_method_buttons_and_words(db, domain, text, method):
    _, events = run(ValidateHandoverForm(), form_tracker(text, METHOD, slots=FILLED), domain)
    values = slot_values(events)
    assert values[METHOD] == method
    assert values[DETAIL] is None
    if method == "chat":
        assert values["requested_slot"] == CONSENT


def test_an_unclear_method_is_asked_again_with_buttons(db, domain):
    messages, events = run(ValidateHandoverForm(), form_tracker("bellen of mailen", METHOD, slots=FILLED),
                           domain)
    assert messages[0]["text"] == dialogue.METHOD_NOT_UNDERSTOOD
    assert [b["payload"] for b in messages[0]["buttons"]] == ["chat", "telefoon", "e-mail"]
    assert slot_values(events)[METHOD] is None


@pytest.mark.parametrize("text, intent, answer", [
    ("ja", "affirm", "yes"), ("Ja, stuur door", "nlu_fallback", "yes"), ("/affirm", "affirm", "yes"),
    ("nee", "deny", "no"), ("/deny", "deny", "no"), ("liever niet", "nlu_fallback", "no"),
])
def test_consent(db, domain, text, intent, answer):
    messages, events = run(ValidateHandoverForm(),
                           form_tracker(text, CONSENT, intent=intent, slots={**FILLED, METHOD: "chat"}),
                           domain)
    assert messages == []
    assert slot_values(events)[CONSENT] == answer
    assert slot_values(events)["requested_slot"] is None


def test_unclear_consent_is_asked_again(db, domain):
    messages, events = run(ValidateHandoverForm(),
                           form_tracker("misschien", CONSENT, slots={**FILLED, METHOD: "chat"}), domain)
    assert messages[0]["text"] == dialogue.CONSENT_NOT_UNDERSTOOD
    assert [b["payload"] for b in messages[0]["buttons"]] == ["/affirm", "/deny"]
    assert slot_values(events)[CONSENT] is None
    assert slot_values(events)["requested_slot"] == CONSENT


# --- the consent question --------------------------------------------------------------------------

def consent_slots(**overrides):
    slots = {"school_id": "het-baken", QUESTION: "Hoe vraag ik een OPP aan voor mijn zoon?",
             CLASS: "2 havo", METHOD: "phone", DETAIL: "0612345678", TOPIC: "care_opp",
             "child_age_band": "age_12_15"}
    slots.update(overrides)
    return slots


def test_the_consent_question_names_the_person_and_what_is_shared(db):
    messages, _ = run(ActionAskHandoverConsent(), plain_tracker(consent_slots()))
    text = messages[0]["text"]
    assert "de zorgcoördinator, Sanne Visser op Het Baken College" in text
    assert "Wat ik deel:" in text and "je vraag" in text and "chatgesprek" in text
    assert "door je te bellen op 06-12345678" in text
    assert text.endswith("Vind je het goed dat ik dit deel?")
    assert [b["payload"] for b in messages[0]["buttons"]] == ["/affirm", "/deny"]


def test_the_consent_question_follows_the_school_and_the_topic(db):
    regenboog, _ = run(ActionAskHandoverConsent(), plain_tracker(
        consent_slots(**{"school_id": "de-regenboog", TOPIC: None, "last_topic": "care_mentor",
                         METHOD: "chat", DETAIL: None}), school_id=None))
    assert "de leerkracht van de groep van je kind op Basisschool De Regenboog" in regenboog[0]["text"]
    assert "hier in de chat" in regenboog[0]["text"]
    kompas, _ = run(ActionAskHandoverConsent(), plain_tracker(
        consent_slots(**{METHOD: "email", DETAIL: "jan@voorbeeld.nl"}), school_id="de-kompas"))
    assert "de intern begeleider, Karin Mulder op De Kompas" in kompas[0]["text"]
    assert "met een e-mail aan jan@voorbeeld.nl" in kompas[0]["text"]
    urgent, _ = run(ActionAskHandoverConsent(), plain_tracker(
        consent_slots(), events=[user("safety_child_abuse"), user("talk_to_human")]))
    assert "de schoolmaatschappelijk werker, Priya Ramdin" in urgent[0]["text"]
    assert "Je vraag is dringend." in urgent[0]["text"]


def test_no_consent_question_without_a_school(db):
    messages, _ = run(ActionAskHandoverConsent(), plain_tracker({}, school_id=None))
    assert messages == []


# --- submitting --------------------------------------------------------------------------------------

def consent_text_for(slots, events) -> str:
    messages, _ = run(ActionAskHandoverConsent(), plain_tracker(slots, events))
    return messages[0]["text"]


def test_consent_stores_exactly_one_handover(db):
    history = [user("greet"), user("safety_domestic_violence"), user("talk_to_human")]
    slots = consent_slots(**{CONSENT: "yes"})
    consent_text = consent_text_for(slots, history)
    events = history + [bot("Hoe wil je antwoord krijgen?"), bot(consent_text), user("affirm", "/affirm")]
    messages, result = run(ActionHandoverSubmit(), plain_tracker(slots, events))

    rows = stored(db)
    assert len(rows) == 1
    handover = rows[0]
    assert handover.school_id == "het-baken"
    assert handover.role == "school_social_worker"  # urgent: a safety message came earlier
    assert handover.urgency == "urgent"
    assert handover.conversation_id == SENDER
    assert handover.question == "Hoe vraag ik een OPP aan voor mijn zoon?"
    assert handover.child_class == "2 havo"
    assert handover.age_band == "age_12_15"
    assert handover.contact_method == "phone" and handover.contact_detail == "0612345678"
    assert handover.consent_text == consent_text and "Priya Ramdin" in consent_text
    assert handover.topic == "care_opp"
    assert handover.status == "new" and handover.consented_at is not None

    text = messages[0]["text"]
    assert text.startswith("Je vraag ligt nu bij de schoolmaatschappelijk werker, Priya Ramdin")
    assert "06-12345678" in text and "112" in text
    values = slot_values(result)
    assert values["handover_id"] == handover.public_id
    assert all(values[slot] is None for slot in FORM_SLOTS + [TOPIC])


def test_consent_without_a_safety_message_is_normal(db):
    slots = consent_slots(**{CONSENT: "yes", METHOD: "chat", DETAIL: None, CLASS: dialogue.UNKNOWN_CLASS})
    events = [user("care_opp"), user("talk_to_human"), bot(consent_text_for(slots, [])), user("affirm")]
    messages, _ = run(ActionHandoverSubmit(), plain_tracker(slots, events))
    [handover] = stored(db)
    assert handover.urgency == "normal" and handover.role == "zorgcoordinator"
    assert handover.contact_method == "chat" and handover.contact_detail is None
    assert handover.child_class is None  # "zeg ik liever niet" is not stored as a class
    assert "Sanne Visser" in handover.consent_text
    assert "hier in de chat" in messages[0]["text"] and "112" in messages[0]["text"]


def test_a_safety_message_in_an_earlier_session_does_not_count(db):
    slots = consent_slots(**{CONSENT: "yes"})
    events = [user("safety_suicide"), {"event": "session_started"}, user("talk_to_human"),
              bot(consent_text_for(slots, []))]
    run(ActionHandoverSubmit(), plain_tracker(slots, events))
    [handover] = stored(db)
    assert handover.urgency == "normal" and handover.role == "zorgcoordinator"


def test_no_consent_stores_nothing_and_gives_the_direct_details(db):
    slots = consent_slots(**{CONSENT: "no"})
    messages, result = run(ActionHandoverSubmit(), plain_tracker(slots, [bot(consent_text_for(slots, []))]))
    assert stored(db) == []
    text = messages[0]["text"]
    assert text.startswith("Goed, ik stuur niets door.")
    assert "Sanne Visser" in text and "012-3457701" in text and "zorg@hetbaken.example" in text
    assert "handover_id" not in slot_values(result)
    assert slot_values(result)[CONSENT] is None


def test_an_open_handover_is_named_and_not_stored_twice(db):
    public_id = store_open_handover(db)
    messages, result = run(ActionHandoverSubmit(), plain_tracker({"school_id": "het-baken"}))
    text = messages[0]["text"]
    assert text.startswith("Je vraag ligt al bij de zorgcoördinator, Sanne Visser.")
    assert "door je te bellen op 06-12345678" in text
    assert [h.public_id for h in stored(db)] == [public_id]
    assert "handover_id" not in slot_values(result)


def test_an_open_handover_of_another_conversation_does_not_block(db):
    store_open_handover(db, sender="iemand-anders")
    slots = consent_slots(**{CONSENT: "yes"})
    run(ActionHandoverSubmit(), plain_tracker(slots, [bot(consent_text_for(slots, []))]))
    assert sorted(h.conversation_id for h in stored(db)) == sorted(["iemand-anders", SENDER])


def test_an_unreachable_database_gives_the_failed_message(db, domain, monkeypatch):
    # the database goes away after the conversation's school was read (its greeting): the actions keep
    # the school as last read (wegwijs.schools_store.SchoolReader) while storing the handover fails
    _clear_caches()
    assert common.schools().get("het-baken") is not None
    monkeypatch.setenv("WEGWIJS_DB_URL", "sqlite:////proc/nope/x.db")
    common.settings.cache_clear()
    common.schools()._db_url = "sqlite:////proc/nope/x.db"
    slots = consent_slots(**{CONSENT: "yes"})
    messages, result = run(ActionHandoverSubmit(), plain_tracker(slots, [bot(consent_text_for(slots, []))]))
    assert len(messages) == 1
    text = messages[0]["text"]
    assert text.startswith("Het lukt me nu niet om je vraag door te sturen.")
    assert "012-3457701" in text  # the person's own details instead
    assert "handover_id" not in slot_values(result)
    assert slot_values(result)[CONSENT] is None
    # the form itself still runs without the database
    assert required(form_tracker("hoi", None), domain) == [QUESTION, CLASS, METHOD, CONSENT]
    # and nothing was written to the test's own database
    assert stored(db) == []


def test_without_a_school_nothing_is_stored(db):
    messages, _ = run(ActionHandoverSubmit(), plain_tracker(consent_slots(**{"school_id": None,
                                                                             CONSENT: "yes"}),
                                                            school_id=None))
    assert stored(db) == []
    assert messages and messages[0]["text"]


@pytest.mark.parametrize("reason, help_line", [("crisis classifier", False), ("classifier", False),
                                               ("rules", True)])
def test_an_answer_that_looks_like_a_crisis_to_a_classifier_is_just_an_answer(db, domain, reason,
                                                                              help_line):
    """"bel mij maar op 06-…" answers the question; only the crisis rules still send help lines."""
    tracker = form_tracker("bel mij maar op 06-12345678", METHOD, intent="safety_child_user")
    tracker.latest_message["safety_override"] = {"reason": reason, "intent": "safety_child_user"}
    messages, events = run(ValidateHandoverForm(), tracker, domain)
    sent = [m.get("response") for m in messages]
    if help_line:
        assert sent == ["utter_safety_child_user"]
        assert slot_values(events)[METHOD] is None
    else:
        assert sent == []
        assert slot_values(events)[METHOD] == "phone"
        assert slot_values(events)[DETAIL] == "0612345678"


def test_a_crisis_instead_of_an_answer_gets_the_help_line(db, domain):
    tracker = form_tracker("ik ben zo bang, hij is weer dronken en gooit met dingen", CLASS,
                           intent="safety_domestic_violence")
    tracker.latest_message["safety_override"] = {"reason": "crisis classifier"}
    messages, events = run(ValidateHandoverForm(), tracker, domain)
    assert messages[0].get("response") == "utter_safety_domestic_violence"
    assert slot_values(events)[CLASS] is None


def test_a_crisis_message_older_than_the_trackers_window_still_makes_it_urgent(db):
    """The tracker store hands the actions only the recent part of a long conversation
    (wegwijs/tracker_store.py); the crisis message 40 turns ago is read from the events table."""
    from retrain_support import save as save_events
    from rasa.shared.core.events import ActionExecuted, UserUttered

    def said(intent):
        return [ActionExecuted("action_listen"), UserUttered("…", {"name": intent, "confidence": 0.9})]

    older = said("safety_domestic_violence") + [e for _ in range(40) for e in said("care_opp")]
    save_events(db, [(SENDER, older)])
    slots = consent_slots(**{CONSENT: "yes", METHOD: "chat", DETAIL: None, CLASS: dialogue.UNKNOWN_CLASS})
    recent = [user("care_opp"), user("talk_to_human")]  # what the tracker shows: no crisis
    assert "Je vraag is dringend." in consent_text_for(slots, recent)
    run(ActionHandoverSubmit(), plain_tracker(slots, recent + [bot(consent_text_for(slots, recent)),
                                                               user("affirm")]))
    [handover] = stored(db)
    assert handover.urgency == "urgent" and handover.role == "school_social_worker"

    # another conversation without a crisis stays normal
    other = "andere-conversatie-0002"
    save_events(db, [(other, [e for _ in range(5) for e in said("care_opp")])])
    run(ActionHandoverSubmit(), plain_tracker(slots, recent + [bot("…"), user("affirm")], sender=other))
    assert [h.urgency for h in stored(db)] == ["urgent", "normal"]


# --- in English (issue 19) ------------------------------------------------------------------------------

def test_the_handover_is_offered_and_stored_in_english(db, domain):
    from actions.handover import ActionAskHandoverContactMethod, ActionAskHandoverQuestion
    from wegwijs.handovers import dialogue_en

    english = {"language": "en"}
    asked, _ = run(ActionAskHandoverQuestion(), plain_tracker(dict(english)))
    assert asked[0]["text"].startswith("I can send your question to the right person at Het Baken College")
    assert asked[1]["text"] == dialogue_en.ASK_QUESTION
    method, _ = run(ActionAskHandoverContactMethod(), plain_tracker(dict(english)))
    assert [b["title"] for b in method[0]["buttons"]] == ["Here in the chat", "Call me", "E-mail me"]
    invalid, _ = run(ValidateHandoverForm(), form_tracker("my number is 12", DETAIL,
                                                          slots={METHOD: "phone", **english}), domain)
    assert invalid[0]["text"] == dialogue_en.PHONE_INVALID
    slots = consent_slots(**{CONSENT: "yes", **english})
    consent_text = consent_text_for(slots, [])
    assert "the zorgcoördinator (the school's care coordinator), Sanne Visser at Het Baken College" in consent_text
    assert "by calling you on 06-12345678" in consent_text and consent_text.endswith(dialogue_en.CONSENT_QUESTION)
    events = [user("care_opp"), user("talk_to_human"), bot(consent_text), user("affirm", "/affirm")]
    messages, _ = run(ActionHandoverSubmit(), plain_tracker(slots, events))
    [handover] = stored(db)
    assert handover.consent_text == consent_text  # the question the parent consented to, in English
    assert messages[0]["text"].startswith("Your question is now with the zorgcoördinator")
    assert "Call 112" in messages[0]["text"]


@pytest.mark.parametrize("text, answer", [("yes please", dialogue.YES), ("yes, send it", dialogue.YES),
                                          ("no, do not send", dialogue.NO), ("never mind", dialogue.NO)])
def test_english_consent_words(text, answer):
    assert dialogue.parse_consent(text, None) == answer
