"""Conversations for the retraining tests, saved through Rasa's own SQL tracker store."""
from __future__ import annotations

import asyncio
from typing import List, Optional, Sequence, Tuple

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (ActionExecuted, ActiveLoop, BotUttered, ConversationPaused,
                                     ConversationResumed, Event, SessionStarted, UserUttered)
from rasa.shared.core.trackers import DialogueStateTracker

#: Personal data in the seeded conversations; none of it may leave the tracker store unscrubbed.
RAW_PII = ("Jansen", "0612345678", "06-12345678", "j.devries@ziggo.nl", "NL91ABNA0417164300",
           "111222333", "Kerkstraat 12", "3511 AB", "12-03-2014", "Fatima", "El Amrani")


def user(text: str, intent: Optional[str], confidence: float = 0.9,
         school: str = "het-baken") -> UserUttered:
    """A parent's message as Rasa stores it, with the parse data of the NLU."""
    parse = {"intent": {"name": intent, "confidence": confidence}, "entities": [], "text": text}
    return UserUttered(text, intent=parse["intent"], parse_data=parse, metadata={"school_id": school})


def turn(text: str, intent: Optional[str], action: str, confidence: float = 0.9) -> List[Event]:
    """A message and what the bot did next."""
    return [user(text, intent, confidence), ActionExecuted(action), BotUttered("…"),
            ActionExecuted("action_listen")]


def conversations() -> List[Tuple[str, List[Event]]]:
    """Realistic conversations with PII, buttons, a handover form, staff and fallbacks."""
    start = [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")]
    return [
        ("conv-pii", start + turn("Mijn zoon Daan Jansen (BSN 111222333) wordt gepest, wie helpt?",
                                  "care_mentor", "action_answer_topic", 0.62)
         + turn("bel me op 0612345678 of mail j.devries@ziggo.nl", "nlu_fallback", "action_fallback", 0.3)
         + turn("/affirm", "affirm", "utter_anything_else", 1.0)),
        ("conv-form", start + turn("ik wil met iemand praten", "talk_to_human", "handover_form")
         + [ActiveLoop("handover_form"),
            user("Fatima El Amrani uit 3b heeft een OPP nodig", "inform", 0.5),
            ActionExecuted("handover_form"),
            user("06-12345678", "inform", 0.4), ActionExecuted("handover_form"),
            ActiveLoop(None), ActionExecuted("action_handover_submit"), ActionExecuted("action_listen")]
         + turn("wat doet de jeugdarts", "care_youth_health", "action_answer_topic", 0.95)),
        ("conv-staff", start + turn("ik maak me zorgen over mijn dochter", "care_where_to_start", "action_answer_topic",
                                    0.55)
         + [ConversationPaused(), user("wij wonen op Kerkstraat 12, 3511 AB", "inform", 0.2),
            user("ze is geboren op 12-03-2014", "inform", 0.2), ConversationResumed()]
         + turn("hoe zit het met de leerplicht", "care_compulsory_education", "action_answer_topic", 0.8)),
        ("conv-dupes", start + turn("wat is een opp??", "care_opp", "action_answer_topic", 0.45)
         + turn("Wat is een OPP", "care_opp", "action_answer_topic", 0.41)
         + turn("wat is n opp", "care_opp", "action_answer_topic", 0.38)
         + turn("mijn iban is NL91ABNA0417164300 klopt de factuur", "nlu_fallback", "action_fallback",
                0.2)),
    ]


def save(db_url: str, items: Sequence[Tuple[str, List[Event]]]) -> None:
    """Save conversations with Rasa's SQLTrackerStore (events table, as the real server does)."""
    from sqlalchemy.engine import make_url
    from rasa.core.tracker_store import SQLTrackerStore

    url = make_url(db_url)
    store = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=url.database)

    async def run() -> None:
        for sender, events in items:
            tracker = await store.retrieve(sender) or DialogueStateTracker(sender, [])
            for event in events:
                tracker.update(event)
            await store.save(tracker)

    asyncio.run(run())
    store.engine.dispose()
