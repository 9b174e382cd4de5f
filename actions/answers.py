"""Actions that answer a topic question from the content files."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import MORE_BUTTONS, TOPIC_SLOT, content, school_of
from wegwijs.content import Answer, age_band
from wegwijs.replies import contact_sentence, referral_line, source_line
from wegwijs.schools import School


def compose(answer: Answer, part: str, school: Optional[School], age: Optional[float] = None) -> str:
    """The full text of an answer: the content, the school's person, the referral and the source."""
    library = content()
    body = library.render(answer.variant(part, school.type if school else None, age_band(age)))
    paragraphs = [body]
    who = contact_sentence(school, answer.roles)
    if who:
        paragraphs.append(who)
    if answer.refers_to_personal_help:
        paragraphs.append(referral_line(school))
    paragraphs.append(source_line(answer))
    return "\n\n".join(paragraphs)


def _child_age(tracker: Tracker) -> Optional[float]:
    value = tracker.get_slot("child_age")
    return float(value) if isinstance(value, (int, float)) else None


class ActionAnswerTopic(Action):
    """Answers the topic of the last message, short first, with an offer to tell more."""

    def name(self) -> Text:
        return "action_answer_topic"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        school, events = school_of(tracker)
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        answer = content().get(intent)
        if answer is None:
            dispatcher.utter_message(response="utter_default")
            return events
        text = compose(answer, "short", school, _child_age(tracker))
        dispatcher.utter_message(text=text + "\n\nWil je meer weten?", buttons=MORE_BUTTONS)
        return events + [SlotSet(TOPIC_SLOT, intent)]


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
        dispatcher.utter_message(
            text=compose(answer, "more", school, _child_age(tracker)),
            buttons=[{"title": "Met iemand praten", "payload": "/talk_to_human"}],
        )
        return events
