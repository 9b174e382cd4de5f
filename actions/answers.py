"""Actions that answer a topic question from the content files, age-aware where the law differs."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import MORE_BUTTONS, TOPIC_SLOT, content, school_of
from wegwijs import ages, questions
from wegwijs.content import Answer, Question
from wegwijs.replies import contact_sentence, referral_line, source_line
from wegwijs.schools import School

AGE_SLOT = "child_age_band"
PENDING_SLOT = "pending_topic"
QUESTION_SLOT = "last_question"
OTHER_BUTTON = {"title": "Iets anders", "payload": "/deny"}
TALK_BUTTON = {"title": "Met iemand praten", "payload": "/talk_to_human"}
AGE_QUESTION = "Het antwoord hangt af van de leeftijd van je kind. Hoe oud is je kind?"
AGE_BUTTONS = [
    {"title": "Jonger dan 12", "payload": '/inform_age{"age_band": "age_under_12"}'},
    {"title": "12 tot 16", "payload": '/inform_age{"age_band": "age_12_15"}'},
    {"title": "16 of 17", "payload": '/inform_age{"age_band": "age_16_plus"}'},
    {"title": "Zeg ik liever niet", "payload": "/deny"},
]


def compose(answer: Answer, part: str, school: Optional[School], band: Optional[str] = None) -> str:
    """The full text of an answer: the content, the school's person, the referral and the source."""
    library = content()
    age_key = band if band in ages.BANDS else None
    body = library.render(answer.variant(part, school.type if school else None, age_key))
    paragraphs = []
    if answer.needs_age and age_key:
        paragraphs.append(f"Ik ga uit van een kind {ages.LABELS[age_key]}. "
                          "Klopt dat niet? Typ dan de leeftijd.")
    paragraphs.append(body)
    return with_closing(paragraphs, school, answer.roles, answer.intent if answer.refers_to_personal_help
                        else None, source_line(answer.source))


def with_closing(paragraphs: List[str], school: Optional[School], roles, referral_topic: Optional[str],
                 source: str) -> str:
    """The paragraphs, then the school's person for ``roles``, the referral for ``referral_topic`` (when
    given) and the source."""
    who = contact_sentence(school, roles)
    if who:
        paragraphs.append(who)
    if referral_topic:
        paragraphs.append(referral_line(content().referrals, referral_topic))
    paragraphs.append(source)
    return "\n\n".join(paragraphs)


def compose_question(question: Question, topic: Answer, school: Optional[School]) -> str:
    """The full text of a question-level answer: the answer, the school's person (the question's roles,
    else the topic's), the referral and the source."""
    library = content()
    return with_closing([library.render(question.variant(school.type if school else None))], school,
                        question.roles or topic.roles,
                        question.topic if question.refers_to_personal_help else None,
                        source_line(question.source))


def question_payload(key: str) -> str:
    """The button payload that asks for one question-level answer."""
    topic = key.split("/", 1)[0]
    return "/" + topic + '{"question": "' + key + '"}'


def utter_question(dispatcher: CollectingDispatcher, question: Question, topic: Answer,
                   school: Optional[School]) -> List[Dict[str, Any]]:
    """Send a question-level answer, with "meer weten" (the topic's long answer) and "praten"."""
    dispatcher.utter_message(text=compose_question(question, topic, school), buttons=MORE_BUTTONS)
    return [SlotSet(TOPIC_SLOT, topic.intent), SlotSet(QUESTION_SLOT, question.key),
            SlotSet(PENDING_SLOT, None)]


def utter_choice(dispatcher: CollectingDispatcher, topic: Answer, options: List[str]) -> List[Dict[str, Any]]:
    """ "Bedoel je…?" with the likely questions (the overview as "algemene uitleg") as buttons."""
    library = content()
    buttons = []
    for key in options:
        question = library.question(key)
        title = question.title if question else f"Algemene uitleg: {topic.title}"
        buttons.append({"title": title, "payload": question_payload(key)})
    dispatcher.utter_message(text=questions.CHOOSE_TEXT, buttons=buttons + [OTHER_BUTTON, TALK_BUTTON])
    return [SlotSet(TOPIC_SLOT, topic.intent), SlotSet(PENDING_SLOT, None)]


def buttons_for(answer: Answer) -> List[Dict[str, str]]:
    """Follow-up questions of the answer when it has them, else "meer weten" and "praten"."""
    if answer.next:
        return [{"title": title, "payload": f"/{intent}"} for title, intent in answer.next] + [TALK_BUTTON]
    return MORE_BUTTONS


def utter_answer(dispatcher: CollectingDispatcher, answer: Answer, school: Optional[School],
                 band: Optional[str]) -> List[Dict[str, Any]]:
    """Send the short answer with its buttons; remember the topic."""
    text = compose(answer, "short", school, band)
    if not answer.next:
        text += "\n\nWil je meer weten?"
    dispatcher.utter_message(text=text, buttons=buttons_for(answer))
    return [SlotSet(TOPIC_SLOT, answer.intent), SlotSet(QUESTION_SLOT, None), SlotSet(PENDING_SLOT, None)]


def known_band(tracker: Tracker) -> Optional[str]:
    """The remembered age band, ``unknown`` when the parent preferred not to say, or None."""
    value = tracker.get_slot(AGE_SLOT)
    return value if value in ages.BANDS or value == ages.UNKNOWN else None


class ActionAnswerTopic(Action):
    """Answers the question of the last message: the question-level answer when the parent asked one
    (wegwijs.questions), "Bedoel je…?" when unsure, else the topic's overview, short first. Asks the
    child's age once where the overview depends on it."""

    def name(self) -> Text:
        return "action_answer_topic"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        school, events = school_of(tracker)
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        library = content()
        answer = library.get(intent)
        if answer is None:
            dispatcher.utter_message(response="utter_default")
            return events
        decision = questions.decide(tracker.latest_message, intent,
                                    lambda key: library.question(key) is not None)
        if decision.kind == "question":
            return events + utter_question(dispatcher, library.question(decision.key), answer, school)
        if decision.kind == "choose":
            return events + utter_choice(dispatcher, answer, decision.options)
        band = known_band(tracker)
        stated = ages.parse_band(tracker.latest_message.get("text") or "")
        if stated:
            band = stated
            events.append(SlotSet(AGE_SLOT, band))
        if answer.needs_age and band is None:
            dispatcher.utter_message(text=AGE_QUESTION, buttons=AGE_BUTTONS)
            return events + [SlotSet(PENDING_SLOT, intent)]
        return events + utter_answer(dispatcher, answer, school, band)


class ActionSetAge(Action):
    """Remembers the child's age band (also a correction) and answers the waiting or last topic."""

    def name(self) -> Text:
        return "action_set_age"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        school, events = school_of(tracker)
        text = tracker.latest_message.get("text") or ""
        band = next((e.get("value") for e in tracker.latest_message.get("entities") or []
                     if e.get("entity") == "age_band" and e.get("value") in ages.BANDS), None)
        band = band or ages.parse_band(text, bare_number=True)
        if band is None:
            if ages.is_adult(text, bare_number=True):
                dispatcher.utter_message(
                    text="Is je kind 18 of ouder? Dan is het volwassen en gelden andere regels. "
                         "Vraag het na bij Het Juridisch Loket of een advocaat.")
            else:
                dispatcher.utter_message(
                    text="Ik begrijp de leeftijd niet goed. Typ alleen het getal, bijvoorbeeld: 13.")
            return events
        events.append(SlotSet(AGE_SLOT, band))
        library = content()
        waiting = library.get(tracker.get_slot(PENDING_SLOT))
        last = library.get(tracker.get_slot(TOPIC_SLOT))
        answer = waiting or (last if last and last.needs_age else None)
        if answer is None:
            dispatcher.utter_message(text=f"Dank je. Ik onthoud dat je kind {ages.LABELS[band]} is.")
            return events
        return events + utter_answer(dispatcher, answer, school, band)


class ActionHandleDeny(Action):
    """"Nee": after the age question, answer without the age (and do not ask again); else move on."""

    def name(self) -> Text:
        return "action_handle_deny"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        school, events = school_of(tracker)
        waiting = content().get(tracker.get_slot(PENDING_SLOT))
        if waiting is None:
            dispatcher.utter_message(response="utter_anything_else")
            return events
        events.append(SlotSet(AGE_SLOT, ages.UNKNOWN))
        return events + utter_answer(dispatcher, waiting, school, None)


class ActionAnswerMore(Action):
    """Gives the longer answer on the topic that was answered last."""

    def name(self) -> Text:
        return "action_answer_more"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        school, events = school_of(tracker)
        answer = content().get(tracker.get_slot(TOPIC_SLOT))
        if answer is None:
            dispatcher.utter_message(
                text="Waar wil je meer over weten? Stel je vraag gerust in je eigen woorden.")
            return events
        dispatcher.utter_message(text=compose(answer, "more", school, known_band(tracker)),
                                 buttons=[TALK_BUTTON])
        return events
