"""The handover to a professional of the school: a form that asks the question, the child's class,
how to answer, and consent; then the handover is stored and the role is mailed a link.

The texts and parsing live in ``wegwijs.handovers.dialogue`` (tested without Rasa); these actions
only connect them to the conversation. Safety first: a crisis message during the form gets its help
line straight away (the form keeps priority over rules in Rasa, so the safety rules would not fire).
The caps on new handovers (``wegwijs.handovers.limits``) and the bundling of notification mails
(``wegwijs.handovers.batching``) only concern creating handovers; help lines are never held back.
"""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.answers import AGE_SLOT
from actions.common import TOPIC_SLOT, content, language_of, school_of, settings
from wegwijs import ages
from wegwijs.db.models import Handover
from wegwijs.handovers import dialogue, dialogue_en, intake, limits, service
from wegwijs.handovers.contact import normalize_email, normalize_phone, parse_method
from wegwijs.handovers.hours import expectation
from wegwijs.handovers.routing import Route, route, urgency_of
from wegwijs.replies import for_language as replies_for
from wegwijs.safety import INTENT_PREFIX
from wegwijs.schools import School

logger = logging.getLogger(__name__)

FORM = "handover_form"
QUESTION, CLASS, METHOD, DETAIL, CONSENT = (
    "handover_question", "handover_class", "handover_contact_method", "handover_contact_detail",
    "handover_consent")
TOPIC = "handover_topic"
HANDOVER_ID = "handover_id"
FORM_SLOTS = (QUESTION, CLASS, METHOD, DETAIL, CONSENT, TOPIC)


def texts(tracker: Tracker):
    """The handover texts in the conversation's language (English, else Dutch)."""
    return dialogue_en.for_language(language_of(tracker))


def _intent(tracker: Tracker) -> Optional[str]:
    return (tracker.latest_message.get("intent") or {}).get("name")


def _text(tracker: Tracker) -> str:
    return str(tracker.latest_message.get("text") or "").strip()


def conversation_intents(tracker: Tracker) -> List[str]:
    """The intents of the parent's messages in this session, as far as the tracker shows them (a long
    conversation's tracker holds only its recent part: ``session_intents``)."""
    intents = []
    for event in tracker.events:
        if event.get("event") == "session_started":
            intents = []
        elif event.get("event") == "user":
            intents.append(((event.get("parse_data") or {}).get("intent") or {}).get("name") or "")
    return intents


def safety_first(dispatcher: CollectingDispatcher, tracker: Tracker, is_answer: bool = False) -> bool:
    """Send the help line of a crisis message; True when it was one.

    ``is_answer``: the message is a valid answer to the form's question (a class, a phone number, an
    e-mail address, yes/no). Then only the crisis rules count, not the classifiers' guess: "bel mij op
    06-…" answers the question, it is not a call for help.
    """
    intent = _intent(tracker) or ""
    if not intent.startswith(INTENT_PREFIX):
        return False
    reason = (tracker.latest_message.get("safety_override") or {}).get("reason")
    if is_answer and reason != "rules":
        return False
    dispatcher.utter_message(response=f"utter_{intent}")
    return True


def topic_of(tracker: Tracker) -> Optional[str]:
    """The topic of the handover: the question's own topic, else the last topic answered."""
    topic = tracker.get_slot(TOPIC)
    if topic and content().get(topic):
        return topic
    last = tracker.get_slot(TOPIC_SLOT)
    return last if last and content().get(last) else topic


async def session_intents(tracker: Tracker) -> List[str]:
    """The intents of every parent's message of this session: the events table (the whole session) and
    the tracker (in case the database cannot be read)."""
    return await intake.session_intents(settings(), tracker.sender_id) + conversation_intents(tracker)


async def conversation_urgency(tracker: Tracker) -> str:
    """How urgent this conversation's question is (``urgency_of`` over the whole session)."""
    return urgency_of(await session_intents(tracker), topic_of(tracker))


def route_for(tracker: Tracker, school: School, urgency: str) -> Route:
    """The professional for this conversation's question."""
    topic = topic_of(tracker)
    answer = content().get(topic) if topic else None
    return route(topic, school, urgency, answer.roles if answer else (),
                 answer.title if answer else None)


def when_text(route_: Route, school: School, language: str = "nl") -> str:
    """When the parent can expect an answer (their hours, else the contact person's)."""
    if route_.contact.hours:
        return expectation(route_.contact.hours, route_.contact.name, language=language, closed=school.holidays)
    return expectation(school.contacts["contact_person"].hours, school.name, absent="is nu gesloten",
                       language=language, closed=school.holidays)


async def open_handover(conversation_id: str) -> Optional[Handover]:
    """The open handover of this conversation (None also when the database is unreachable)."""
    return await intake.open_handover(settings(), conversation_id)


def client_network(tracker: Tracker) -> Optional[str]:
    """The chat channel's hash of the parent's network, from the message's metadata (None without it)."""
    return limits.network_of(tracker.latest_message.get("metadata"))


async def cap_reached(tracker: Tracker, school: School) -> Optional[str]:
    """Which cap one more handover of this conversation would pass (None also when the database is
    unreachable: the cap is checked again when the handover is made)."""
    return await intake.cap_reached(settings(), tracker.sender_id, school.id, client_network(tracker))


def capped_text(tracker: Tracker, school: School, cap: str) -> str:
    """The refusal for ``cap``, with the school's own phone and the help lines."""
    return texts(tracker).capped(cap, school, replies_for(language_of(tracker)).describe_reach(
        school.contacts["contact_person"]))


class ValidateHandoverForm(FormValidationAction):
    """Validates each answer of the handover form; 'stop' at any point means share nothing."""

    def name(self) -> Text:
        return "validate_handover_form"

    async def required_slots(self, domain_slots: List[Text], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> List[Text]:
        school, _ = school_of(tracker)
        if school is None or tracker.get_slot(CONSENT) == dialogue.NO:
            return []
        if tracker.get_slot(QUESTION) is None and tracker.get_slot(CONSENT) is None and (
                await open_handover(tracker.sender_id) or await cap_reached(tracker, school)):
            return []  # already with a professional, or a cap is reached: the submit action says so
        slots = [QUESTION, CLASS, METHOD]
        if tracker.get_slot(METHOD) in ("phone", "email"):
            slots.append(DETAIL)
        return slots + [CONSENT]

    async def _stop_or_safety(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                              slot: str) -> Optional[Dict[Text, Any]]:
        if dialogue.is_stop(_text(tracker)) or _intent(tracker) in ("restart", "goodbye"):
            return {slot: None, CONSENT: dialogue.NO}
        return None

    async def validate_handover_question(self, value: Any, dispatcher: CollectingDispatcher,
                                         tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        stop = await self._stop_or_safety(dispatcher, tracker, QUESTION)
        if stop:
            return stop
        text = str(value or "").strip()
        crisis = safety_first(dispatcher, tracker)
        if text.startswith("/"):  # a button of an earlier answer: ask again
            return {QUESTION: None}
        if len(text) < dialogue.MIN_QUESTION_CHARS and not crisis:
            dispatcher.utter_message(text=texts(tracker).QUESTION_TOO_SHORT)
            return {QUESTION: None}
        result: Dict[Text, Any] = {QUESTION: text[:service.MAX_QUESTION_CHARS]}
        intent = _intent(tracker)
        if intent and (content().get(intent) or intent.startswith(INTENT_PREFIX)):
            result[TOPIC] = intent
        stated = ages.parse_band(text)
        if stated:
            result[AGE_SLOT] = stated
        return result

    async def validate_handover_class(self, value: Any, dispatcher: CollectingDispatcher,
                                      tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        stop = await self._stop_or_safety(dispatcher, tracker, CLASS)
        if stop:
            return stop
        parsed = dialogue.parse_class(str(value or ""))
        if safety_first(dispatcher, tracker, is_answer=parsed is not None):
            return {CLASS: None}
        if parsed is None:
            dispatcher.utter_message(text=texts(tracker).CLASS_NOT_UNDERSTOOD, buttons=texts(tracker).CLASS_BUTTONS)
            return {CLASS: None}
        school, _ = school_of(tracker)
        result: Dict[Text, Any] = {CLASS: parsed}
        band = dialogue.age_band_of_class(parsed, school.type if school else None)
        if band and tracker.get_slot(AGE_SLOT) not in ages.BANDS:
            result[AGE_SLOT] = band
        return result

    async def validate_handover_contact_method(self, value: Any, dispatcher: CollectingDispatcher,
                                               tracker: Tracker, domain: DomainDict
                                               ) -> Dict[Text, Any]:
        stop = await self._stop_or_safety(dispatcher, tracker, METHOD)
        if stop:
            return stop
        text = str(value or "")
        method = parse_method(text)
        phone = normalize_phone(text)
        if method is None and phone:
            method = "phone"
        if safety_first(dispatcher, tracker, is_answer=method is not None):
            return {METHOD: None}
        if method is None:
            dispatcher.utter_message(text=texts(tracker).METHOD_NOT_UNDERSTOOD, buttons=texts(tracker).METHOD_BUTTONS)
            return {METHOD: None}
        result: Dict[Text, Any] = {METHOD: method}
        # "bel me op 06-12345678": the number comes with the choice
        detail = phone if method == "phone" else normalize_email(text) if method == "email" else None
        result[DETAIL] = detail
        return result

    async def validate_handover_contact_detail(self, value: Any, dispatcher: CollectingDispatcher,
                                               tracker: Tracker, domain: DomainDict
                                               ) -> Dict[Text, Any]:
        stop = await self._stop_or_safety(dispatcher, tracker, DETAIL)
        if stop:
            return stop
        text = str(value or "")
        found = normalize_email(text) if tracker.get_slot(METHOD) == "email" else normalize_phone(text)
        if safety_first(dispatcher, tracker, is_answer=found is not None or parse_method(text) == "chat"):
            return {DETAIL: None}
        if parse_method(text) == "chat":
            return {METHOD: "chat", DETAIL: None}
        if tracker.get_slot(METHOD) == "email":
            email = normalize_email(text)
            if email is None:
                dispatcher.utter_message(text=texts(tracker).EMAIL_INVALID)
            return {DETAIL: email}
        phone = normalize_phone(text)
        if phone is None:
            dispatcher.utter_message(text=texts(tracker).PHONE_INVALID)
        return {DETAIL: phone}

    async def validate_handover_consent(self, value: Any, dispatcher: CollectingDispatcher,
                                        tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        answer = dialogue.parse_consent(str(value or ""), _intent(tracker))
        if safety_first(dispatcher, tracker, is_answer=answer is not None):
            return {CONSENT: None}
        if answer is None:
            dispatcher.utter_message(text=texts(tracker).CONSENT_NOT_UNDERSTOOD, buttons=texts(tracker).CONSENT_BUTTONS)
        return {CONSENT: answer}


class ActionAskHandoverQuestion(Action):
    """Introduces the handover (first time) and asks for the question."""

    def name(self) -> Text:
        return "action_ask_handover_question"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        school, events = school_of(tracker)
        say = texts(tracker)
        asked_before = any(e.get("event") == "bot" and (e.get("text") or "") in (
            dialogue.ASK_QUESTION, dialogue_en.ASK_QUESTION) for e in tracker.events[-6:])
        if school is not None and not asked_before:
            dispatcher.utter_message(text=say.intro(school))
        dispatcher.utter_message(text=say.ASK_QUESTION)
        return events


class ActionAskHandoverClass(Action):
    """Asks the child's group (primary) or class (secondary)."""

    def name(self) -> Text:
        return "action_ask_handover_class"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        school, events = school_of(tracker)
        if school is not None:
            dispatcher.utter_message(text=texts(tracker).ask_class(school), buttons=texts(tracker).CLASS_BUTTONS)
        return events


class ActionAskHandoverContactMethod(Action):
    """Asks how the parent wants an answer."""

    def name(self) -> Text:
        return "action_ask_handover_contact_method"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        dispatcher.utter_message(text=texts(tracker).ASK_METHOD, buttons=texts(tracker).METHOD_BUTTONS)
        return []


class ActionAskHandoverContactDetail(Action):
    """Asks the phone number or e-mail address."""

    def name(self) -> Text:
        return "action_ask_handover_contact_detail"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        email = tracker.get_slot(METHOD) == "email"
        dispatcher.utter_message(text=texts(tracker).ASK_EMAIL if email else texts(tracker).ASK_PHONE)
        return []


class ActionAskHandoverConsent(Action):
    """Names the person, why, what is shared and how they will make contact; asks consent."""

    def name(self) -> Text:
        return "action_ask_handover_consent"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        school, events = school_of(tracker)
        if school is None:
            return events
        chosen = route_for(tracker, school, await conversation_urgency(tracker))
        language = language_of(tracker)
        dispatcher.utter_message(
            text=texts(tracker).consent_question(chosen, school, tracker.get_slot(METHOD) or "chat",
                                                 tracker.get_slot(DETAIL), when_text(chosen, school, language)),
            buttons=texts(tracker).CONSENT_BUTTONS)
        return events


def _reset() -> List[Dict[Text, Any]]:
    return [SlotSet(slot, None) for slot in FORM_SLOTS]


class ActionHandoverSubmit(Action):
    """Stores the handover the parent consented to and mails the role a link; or shares nothing."""

    def name(self) -> Text:
        return "action_handover_submit"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        school, events = school_of(tracker)
        language = language_of(tracker)
        if school is None:
            dispatcher.utter_message(text=replies_for(language).contact_person_reply(None))
            return events + _reset()
        existing = await open_handover(tracker.sender_id)
        if existing is not None and tracker.get_slot(CONSENT) is None:
            contact = school.contacts.get(existing.role) or school.contacts["contact_person"]
            say = texts(tracker)
            dispatcher.utter_message(text=say.ALREADY_OPEN.format(
                who=Route(existing.role, contact, "").who(language),
                how=say.how_contact(existing.contact_method, existing.contact_detail)))
            return events + _reset()
        if tracker.get_slot(CONSENT) is None:
            cap = await cap_reached(tracker, school)
            if cap:  # the form stopped before the question: say why, and where the question can go
                dispatcher.utter_message(text=capped_text(tracker, school, cap))
                return events + _reset()
        urgency = await conversation_urgency(tracker)
        chosen = route_for(tracker, school, urgency)
        if tracker.get_slot(CONSENT) != dialogue.YES:
            dispatcher.utter_message(text=texts(tracker).not_shared(
                chosen, school, replies_for(language).describe_reach(chosen.contact)))
            return events + _reset()
        return events + await self._store(dispatcher, tracker, school, chosen, urgency)

    async def _store(self, dispatcher: CollectingDispatcher, tracker: Tracker, school: School,
                     chosen: Route, urgency: str) -> List[Dict[Text, Any]]:
        config = settings()
        method = tracker.get_slot(METHOD) or "chat"
        detail = tracker.get_slot(DETAIL) if method != "chat" else None
        child_class = tracker.get_slot(CLASS)
        band = tracker.get_slot(AGE_SLOT)
        request = intake.Request(
            school_id=school.id, role=chosen.role, conversation_id=tracker.sender_id,
            question=tracker.get_slot(QUESTION) or "", contact_method=method, contact_detail=detail,
            consent_text=intake.consent_text(tracker.events), topic=topic_of(tracker),
            child_class=None if child_class == dialogue.UNKNOWN_CLASS else child_class,
            age_band=band if band in ages.BANDS else None, urgency=urgency,
            client_network=client_network(tracker),
            notify_address=chosen.contact.email or school.contacts["contact_person"].email)
        try:  # stored, then a mail now or bundled with the others of the address's window
            handover = await intake.submit(config, request)
        except limits.CapReached as refused:
            dispatcher.utter_message(text=capped_text(tracker, school, refused.cap))
            return _reset()
        except Exception:  # noqa: BLE001 - tell the parent, never stay silent
            logger.exception("could not store a handover")
            dispatcher.utter_message(text=texts(tracker).FAILED.format(
                reach=replies_for(language_of(tracker)).describe_reach(chosen.contact)))
            return _reset()
        language = language_of(tracker)
        dispatcher.utter_message(text=texts(tracker).handed_over(
            chosen, school, method, detail, when_text(chosen, school, language),
            config.handover_retention_days))
        return _reset() + [SlotSet(HANDOVER_ID, handover.public_id)]

