"""Actions that answer a topic question from the content files: the answer first, in the parent's
language, age-aware where the law differs, and follow-ups about the topic of the conversation."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import TOPIC_SLOT, content, language_of, replied_in_other_language, school_of
from wegwijs import ages, feedback, followups, questions
from wegwijs import compose as answer_text
from wegwijs.content import Answer, Question
from wegwijs.replies import for_language
from wegwijs.schools import School

AGE_SLOT = "child_age_band"
PENDING_SLOT = "pending_topic"
QUESTION_SLOT = "last_question"


def answer_tag(intent: str, question: Optional[str] = None, more: bool = False) -> Dict[str, str]:
    """The metadata that names the answer a message gives (``utter_message(**answer_tag(…))``): Rasa keeps
    it on the bot message, the widget asks "Had je hier iets aan?" about it (wegwijs/feedback.py). Only
    answers carry it, never greetings, safety replies, refusals or questions back."""
    return {feedback.ANSWER_ID_KEY: feedback.answer_id(intent, question, more)}


def compose(answer: Answer, part: str, school: Optional[School], band: Optional[str] = None,
            language: str = "nl") -> str:
    """The full text of an answer: the content, the school's person, the referral, the school's own note
    and the source (``wegwijs.compose``)."""
    return answer_text.compose(content(), answer, part, school, band, language)


def with_closing(paragraphs: List[str], school: Optional[School], roles, referral_topic: Optional[str],
                 source, language: str = "nl") -> str:
    """The paragraphs, then the school's person for ``roles``, the referral for ``referral_topic`` (when
    given) and the source."""
    return answer_text.with_closing(content(), paragraphs, school, roles, referral_topic, source, language)


def compose_question(question: Question, topic: Answer, school: Optional[School], language: str = "nl") -> str:
    """The full text of a question-level answer (Dutch only: in English it says so first)."""
    return answer_text.compose_question(content(), question, topic, school, language)


def question_payload(key: str) -> str:
    """The button payload that asks for one question-level answer."""
    topic = key.split("/", 1)[0]
    return "/" + topic + '{"question": "' + key + '"}'


def utter_question(dispatcher: CollectingDispatcher, question: Question, topic: Answer,
                   school: Optional[School], language: str = "nl") -> List[Dict[str, Any]]:
    """Send a question-level answer, with "meer weten" (the topic's long answer) and "praten"."""
    dispatcher.utter_message(text=compose_question(question, topic, school, language),
                             buttons=for_language(language).MORE_BUTTONS,
                             **answer_tag(topic.intent, question.key))
    return [SlotSet(TOPIC_SLOT, topic.intent), SlotSet(QUESTION_SLOT, question.key),
            SlotSet(PENDING_SLOT, None)]


def utter_choice(dispatcher: CollectingDispatcher, topic: Answer, options: List[str]) -> List[Dict[str, Any]]:
    """ "Bedoel je…?" with the likely questions (the overview as "algemene uitleg") as buttons."""
    library = content()
    say = for_language("nl")
    buttons = []
    for key in options:
        question = library.question(key)
        title = question.title if question else say.OVERVIEW_TITLE.format(title=topic.title)
        buttons.append({"title": title, "payload": question_payload(key)})
    dispatcher.utter_message(text=say.CHOOSE_TEXT, buttons=buttons + [say.OTHER_BUTTON, say.TALK_BUTTON])
    return [SlotSet(TOPIC_SLOT, topic.intent), SlotSet(PENDING_SLOT, None)]


def buttons_for(answer: Answer, language: str = "nl") -> List[Dict[str, str]]:
    """Follow-up questions of the answer when it has them, else "meer weten" and "praten"."""
    say = for_language(language)
    if answer.next:
        return [{"title": (content().get(intent).title_in(language) if language != "nl" and content().get(intent)
                           else title), "payload": f"/{intent}"}
                for title, intent in answer.next] + [say.TALK_BUTTON]
    return say.MORE_BUTTONS


def utter_answer(dispatcher: CollectingDispatcher, answer: Answer, school: Optional[School],
                 band: Optional[str], language: str = "nl") -> List[Dict[str, Any]]:
    """Send the short answer with its buttons; remember the topic."""
    text = compose(answer, "short", school, band, language)
    if not answer.next:
        text += "\n\n" + for_language(language).MORE_QUESTION
    dispatcher.utter_message(text=text, buttons=buttons_for(answer, language), **answer_tag(answer.intent))
    return [SlotSet(TOPIC_SLOT, answer.intent), SlotSet(QUESTION_SLOT, None), SlotSet(PENDING_SLOT, None)]


def utter_answer_first(dispatcher: CollectingDispatcher, answer: Answer, school: Optional[School],
                       language: str = "nl") -> List[Dict[str, Any]]:
    """An answer that partly depends on the child's age, before the age is known: what holds at any age
    first (the default text), then what depends on the age, and the age question with its buttons."""
    say = for_language(language)
    events = utter_answer(dispatcher, answer, school, None, language)
    dispatcher.utter_message(text=say.age_first(answer.age_part_in(language)), buttons=say.AGE_BUTTONS)
    return events + [SlotSet(PENDING_SLOT, answer.intent)]


def known_band(tracker: Tracker) -> Optional[str]:
    """The remembered age band, ``unknown`` when the parent preferred not to say, or None."""
    value = tracker.get_slot(AGE_SLOT)
    return value if value in ages.BANDS or value == ages.UNKNOWN else None


def answer_topic(dispatcher: CollectingDispatcher, tracker: Tracker, answer: Answer, school: Optional[School],
                 language: str, events: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The topic's short answer for the age we know (or stated now), answer-first when it is unknown."""
    band = known_band(tracker)
    stated = ages.parse_band(tracker.latest_message.get("text") or "")
    if stated:
        band = stated
        events.append(SlotSet(AGE_SLOT, band))
    if answer.needs_age and band is None:
        return events + utter_answer_first(dispatcher, answer, school, language)
    return events + utter_answer(dispatcher, answer, school, band, language)


class ActionAnswerTopic(Action):
    """Answers the question of the last message: the question-level answer when the parent asked one
    (wegwijs.questions), "Bedoel je…?" when unsure, else the topic's overview, short first. Where part
    of the overview depends on the child's age, it answers first and asks the age for that part."""

    def name(self) -> Text:
        return "action_answer_topic"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        school, events = school_of(tracker)
        if replied_in_other_language(dispatcher, tracker, school):
            return events
        language = language_of(tracker)
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        library = content()
        answer = library.get(intent)
        kind = followups.in_context(tracker.latest_message, tracker.get_slot(TOPIC_SLOT))
        if kind and intent != tracker.get_slot(TOPIC_SLOT):  # unsure, and the conversation decides
            return answer_followup(dispatcher, tracker, kind, school, language, events)
        if answer is None:
            dispatcher.utter_message(response="utter_default")
            return events
        if language == "nl":  # question-level answers are written in Dutch
            decision = questions.decide(tracker.latest_message, intent,
                                        lambda key: library.question(key) is not None)
            if decision.kind == "question":
                return events + utter_question(dispatcher, library.question(decision.key), answer, school)
            if decision.kind == "choose":
                return events + utter_choice(dispatcher, answer, decision.options)
        return answer_topic(dispatcher, tracker, answer, school, language, events)


def answer_followup(dispatcher: CollectingDispatcher, tracker: Tracker, kind: str, school: Optional[School],
                    language: str, events: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """A follow-up of ``kind`` about the topic of the conversation: the answer the content names for it
    (wegwijs.followups), else an honest "no separate answer" with the school's person, the referral and
    "met iemand praten"."""
    say = for_language(language)
    library = content()
    topic = library.get(tracker.get_slot(TOPIC_SLOT))
    if topic is None:
        dispatcher.utter_message(text=say.WHICH_TOPIC)
        return events
    stated = ages.parse_band(tracker.latest_message.get("text") or "")
    if stated and topic.needs_age:  # "en als mijn kind al 16 is?"
        events.append(SlotSet(AGE_SLOT, stated))
        return events + utter_answer(dispatcher, topic, school, stated, language)
    target = followups.resolve(library, topic.intent, kind)
    if target.kind == "question":
        return events + utter_question(dispatcher, library.question(target.key), topic, school, language)
    if target.kind == "topic":
        return answer_topic(dispatcher, tracker, library.get(target.key), school, language, events)
    if target.kind == "more":
        dispatcher.utter_message(text=compose(topic, "more", school, known_band(tracker), language),
                                 buttons=[say.TALK_BUTTON], **answer_tag(topic.intent, more=True))
        return events
    paragraphs = [say.followup_unknown(topic.title_in(language))]
    text = with_closing(paragraphs, school, topic.roles or ("contact_person",),
                        topic.intent if topic.refers_to_personal_help else None, None, language)
    dispatcher.utter_message(text=text, buttons=[say.TALK_BUTTON])
    return events


class ActionAnswerFollowup(Action):
    """A follow-up about the topic of the conversation ("en als ik het er niet mee eens ben?")."""

    def name(self) -> Text:
        return "action_answer_followup"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        school, events = school_of(tracker)
        if replied_in_other_language(dispatcher, tracker, school):
            return events
        language = language_of(tracker)
        kind = followups.kind_of((tracker.latest_message.get("intent") or {}).get("name"))
        if kind is None:
            dispatcher.utter_message(text=for_language(language).WHICH_TOPIC)
            return events
        return answer_followup(dispatcher, tracker, kind, school, language, events)


class ActionSetAge(Action):
    """Remembers the child's age band (also a correction) and answers the waiting or last topic."""

    def name(self) -> Text:
        return "action_set_age"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        school, events = school_of(tracker)
        language = language_of(tracker)
        say = for_language(language)
        text = tracker.latest_message.get("text") or ""
        band = next((e.get("value") for e in tracker.latest_message.get("entities") or []
                     if e.get("entity") == "age_band" and e.get("value") in ages.BANDS), None)
        band = band or ages.parse_band(text, bare_number=True)
        if band is None:
            dispatcher.utter_message(text=say.ADULT if ages.is_adult(text, bare_number=True)
                                     else say.AGE_NOT_UNDERSTOOD)
            return events
        events.append(SlotSet(AGE_SLOT, band))
        library = content()
        waiting = library.get(tracker.get_slot(PENDING_SLOT))
        last = library.get(tracker.get_slot(TOPIC_SLOT))
        answer = waiting or (last if last and last.needs_age else None)
        if answer is None:
            dispatcher.utter_message(text=say.age_remembered(say.AGE_LABELS[band]))
            return events
        return events + utter_answer(dispatcher, answer, school, band, language)


class ActionHandleDeny(Action):
    """"Nee": after the age question, keep the answer without the age (and do not ask again); else move on."""

    def name(self) -> Text:
        return "action_handle_deny"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        school, events = school_of(tracker)
        if tracker.get_slot(PENDING_SLOT):
            events += [SlotSet(AGE_SLOT, ages.UNKNOWN), SlotSet(PENDING_SLOT, None)]
        dispatcher.utter_message(response="utter_anything_else")
        return events


class ActionAnswerMore(Action):
    """Gives the longer answer on the topic that was answered last."""

    def name(self) -> Text:
        return "action_answer_more"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        school, events = school_of(tracker)
        language = language_of(tracker)
        say = for_language(language)
        answer = content().get(tracker.get_slot(TOPIC_SLOT))
        if answer is None:
            dispatcher.utter_message(text=say.MORE_WHICH)
            return events
        dispatcher.utter_message(text=compose(answer, "more", school, known_band(tracker), language),
                                 buttons=[say.TALK_BUTTON], **answer_tag(answer.intent, more=True))
        return events
