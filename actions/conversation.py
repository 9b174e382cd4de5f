"""Actions for the conversation itself: greeting, talking to a person, not understanding."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import school_of, settings
from wegwijs.replies import contact_person_reply, greeting
from wegwijs.safety import in_doubt as safety_in_doubt

FALLBACK_INTENT = "nlu_fallback"
REPHRASE = ("Sorry, dat begrijp ik niet goed. Kun je het anders zeggen? Bijvoorbeeld: "
            "'Wie is de intern begeleider?' of 'Mijn kind zit al weken thuis.'")


def consecutive_fallbacks(events: List[Dict[str, Any]]) -> int:
    """How many of the last user messages in a row were not understood."""
    count = 0
    for event in reversed(events):
        if event.get("event") != "user":
            continue
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        if intent != FALLBACK_INTENT:
            break
        count += 1
    return count


class ActionGreet(Action):
    """Greets, says it is an automated assistant, and what is stored, for how long, who reads it."""

    def name(self) -> Text:
        return "action_greet"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        school, events = school_of(tracker)
        dispatcher.utter_message(text=greeting(school, settings()))
        return events


class ActionContactPerson(Action):
    """Gives the school's contact person for parents."""

    def name(self) -> Text:
        return "action_contact_person"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        school, events = school_of(tracker)
        dispatcher.utter_message(text=contact_person_reply(school))
        return events


class ActionFallback(Action):
    """Not understood: ask to rephrase once; the second time, offer the school's contact person."""

    def name(self) -> Text:
        return "action_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        school, events = school_of(tracker)
        if safety_in_doubt(tracker.latest_message):
            dispatcher.utter_message(response="utter_safety_general")
        if consecutive_fallbacks(tracker.events) >= 2:
            dispatcher.utter_message(
                text="Ik begrijp je vraag nog steeds niet. Een mens van school kan je beter helpen.\n\n"
                + contact_person_reply(school))
        else:
            dispatcher.utter_message(text=REPHRASE)
        return events
