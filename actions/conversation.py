"""Actions for the conversation itself: greeting, talking to a person, questions about this chat,
and not understanding ("Bedoel je…?")."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.answers import ActionSetAge, answer_followup
from actions.common import TOPIC_SLOT, content, language_of, replied_in_other_language, school_of, settings
from wegwijs import ages, followups, topic_choice
from wegwijs.language import OTHER
from wegwijs.replies import PRIVACY_KINDS, for_language
from wegwijs.safety import in_doubt as safety_in_doubt

FALLBACK_INTENT = "nlu_fallback"
PRIVACY_PREFIX = "privacy_"


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
        if replied_in_other_language(dispatcher, tracker, school):
            return events
        language = language_of(tracker)
        dispatcher.utter_message(text=for_language(language).greeting(school, settings()))
        return events


class ActionContactPerson(Action):
    """Gives the school's contact person for parents."""

    def name(self) -> Text:
        return "action_contact_person"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        school, events = school_of(tracker)
        dispatcher.utter_message(text=for_language(language_of(tracker)).contact_person_reply(school))
        return events


class ActionAnswerPrivacy(Action):
    """A question about this chat (who reads it, how long it is kept, deleting it, anonymity), answered as
    the privacy page says."""

    def name(self) -> Text:
        return "action_answer_privacy"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        school, events = school_of(tracker)
        intent = (tracker.latest_message.get("intent") or {}).get("name") or ""
        kind = intent[len(PRIVACY_PREFIX):] if intent.startswith(PRIVACY_PREFIX) else "general"
        language = language_of(tracker)
        say = for_language("en" if language == OTHER else language)
        dispatcher.utter_message(text=say.privacy_answer(kind if kind in PRIVACY_KINDS else "general",
                                                         settings()))
        return events


class ActionFallback(Action):
    """Not understood. A crisis in doubt gets the help lines first. Then "Bedoel je…?" with the two or three
    most likely topics when the NLU had some (plus "iets anders" and "met iemand praten"); otherwise ask
    to rephrase once, and the second time offer the school's contact person."""

    def name(self) -> Text:
        return "action_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        school, events = school_of(tracker)
        language = language_of(tracker)
        crisis = safety_in_doubt(tracker.latest_message)
        if crisis:
            dispatcher.utter_message(response="utter_safety_general")
        if replied_in_other_language(dispatcher, tracker, school):
            return events
        say = for_language(language)
        if not crisis and tracker.get_slot("pending_topic") and ages.parse_band(
                tracker.latest_message.get("text") or "", bare_number=True):
            # the age we asked for, in words the NLU did not recognise ("my kid is 11")
            return events + await ActionSetAge().run(dispatcher, tracker, domain)
        kind = None if crisis else followups.in_context(tracker.latest_message, tracker.get_slot(TOPIC_SLOT))
        if kind:  # unsure, but in a conversation about a topic a short "en wat kost dat?" is a follow-up
            return answer_followup(dispatcher, tracker, kind, school, language, events)
        options = [] if crisis else topic_choice.options(tracker.latest_message, content())
        if options and consecutive_fallbacks(tracker.events) < 2:
            buttons = [{"title": content().get(intent).title_in(language), "payload": f"/{intent}"}
                       for intent in options]
            dispatcher.utter_message(text=say.CHOOSE_TOPIC_TEXT, buttons=buttons + [say.OTHER_BUTTON,
                                                                                   say.TALK_BUTTON])
        elif consecutive_fallbacks(tracker.events) >= 2:
            dispatcher.utter_message(text=say.STILL_NOT_UNDERSTOOD + "\n\n" + say.contact_person_reply(school))
        else:
            dispatcher.utter_message(text=say.REPHRASE)
        return events
