"""What the chat's handover actions ask of the handover service (``actions/handover.py`` stays thin).

Each call opens its own database session in a worker thread, so the action server's event loop never
waits on the database. Looking things up never fails the conversation: when the database cannot be read
the answer is "nothing known" (logged), and the handover itself is checked again when it is stored.
Storing raises, so the action can tell the parent that nothing was sent.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Optional

from wegwijs import transcripts
from wegwijs.db.engine import engine_for, session_factory
from wegwijs.db.models import Handover
from wegwijs.handovers import batching, dialogue, dialogue_en, limits, service
from wegwijs.settings import Settings

logger = logging.getLogger(__name__)

#: The consent questions of every language: the stored consent text is the bot message that ends so.
CONSENT_QUESTIONS = (dialogue.CONSENT_QUESTION, dialogue_en.CONSENT_QUESTION)


@dataclass(frozen=True)
class Request:
    """A handover the parent consented to, as the form collected it."""

    school_id: str
    role: str
    conversation_id: str
    question: str
    contact_method: str
    contact_detail: Optional[str]
    consent_text: str
    topic: Optional[str]
    child_class: Optional[str]
    age_band: Optional[str]
    urgency: str
    client_network: Optional[str]
    notify_address: Optional[str]  # the role's address, else the school's contact person's


def consent_text(events: Iterable[Dict[str, Any]]) -> str:
    """The consent question exactly as the parent saw it: the last bot message that ends with it."""
    for event in reversed(list(events)):
        if event.get("event") == "bot" and (event.get("text") or "").rstrip().endswith(CONSENT_QUESTIONS):
            return event["text"]
    return ""


async def session_intents(settings: Settings, conversation_id: str) -> List[str]:
    """The intents of every parent's message of the session stored so far ([] when unreadable)."""
    try:
        return await asyncio.to_thread(transcripts.session_intents, engine_for(settings.db_url), conversation_id)
    except Exception:  # noqa: BLE001 - the tracker's part of the conversation still counts
        logger.exception("could not read the conversation's intents")
        return []


async def open_handover(settings: Settings, conversation_id: str) -> Optional[Handover]:
    """The open handover of this conversation (None also when the database is unreachable)."""
    def query() -> Optional[Handover]:
        with session_factory(settings.db_url)() as session:
            return service.open_handover_for_conversation(session, conversation_id)
    try:
        return await asyncio.to_thread(query)
    except Exception:  # noqa: BLE001 - a missing table or database must not stop the conversation
        logger.exception("could not look up open handovers")
        return None


async def cap_reached(settings: Settings, conversation_id: str, school_id: str,
                      network: Optional[str]) -> Optional[str]:
    """Which cap one more handover would pass (None also when the database is unreachable: the cap is
    checked again when the handover is stored)."""
    def query() -> Optional[str]:
        with session_factory(settings.db_url)() as session:
            return service.cap_reached(session, limits.Caps.from_settings(settings),
                                       conversation_id=conversation_id, school_id=school_id, network=network)
    try:
        return await asyncio.to_thread(query)
    except Exception:  # noqa: BLE001 - a missing table or database must not stop the conversation
        logger.exception("could not count handovers")
        return None


async def submit(settings: Settings, request: Request) -> Handover:
    """Store the handover (raising :class:`~wegwijs.handovers.limits.CapReached` past a cap, or the
    database's error), then mail the role now or with the others of its window."""
    def store() -> Handover:
        with session_factory(settings.db_url)() as session, session.begin():
            return service.create_handover(
                session, school_id=request.school_id, role=request.role,
                conversation_id=request.conversation_id, question=request.question,
                contact_method=request.contact_method, contact_detail=request.contact_detail,
                consent_text=request.consent_text, topic=request.topic, child_class=request.child_class,
                age_band=request.age_band, urgency=request.urgency, client_network=request.client_network,
                caps=limits.Caps.from_settings(settings))
    handover = await asyncio.to_thread(store)
    await batching.notify_new_handover(settings, handover.id, handover.public_id, request.notify_address)
    return handover
