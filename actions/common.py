"""What every action needs: settings, content, schools and the school of the conversation.

Nothing is read at import time (the action server imports every module here); the first action that
needs the content loads it once. Schools come from the database through
``wegwijs.schools_store.SchoolReader``: one cheap version query per lookup, so a change a school makes
shows in the next message without a restart.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Dict, List, Optional, Tuple

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet

from wegwijs.content import ContentLibrary
from wegwijs.language import ANSWERED, DUTCH, OTHER
from wegwijs.schools import School
from wegwijs.schools_store import SchoolReader
from wegwijs.settings import Settings

SCHOOL_SLOT = "school_id"
TOPIC_SLOT = "last_topic"
LANGUAGE_SLOT = "language"


@lru_cache(maxsize=1)
def settings() -> Settings:
    """The settings, read once."""
    return Settings.from_env()


@lru_cache(maxsize=1)
def content() -> ContentLibrary:
    """All answers, loaded once."""
    return ContentLibrary.load(settings().data_dir)


@lru_cache(maxsize=1)
def schools() -> SchoolReader:
    """The school profiles in the database (read per lookup when they changed; nothing at creation)."""
    return SchoolReader(settings().db_url)


def _metadata_school_id(metadata: Optional[Dict[str, Any]]) -> Optional[str]:
    if isinstance(metadata, dict):
        value = metadata.get("school_id")
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def school_of(tracker: Tracker) -> Tuple[Optional[School], List[Dict[str, Any]]]:
    """The school of this conversation and the events that remember it.

    The chat sends the school id in each message's metadata; it is remembered in the ``school_id``
    slot for messages that come without it.
    """
    remembered = tracker.get_slot(SCHOOL_SLOT)
    school_id = (
        _metadata_school_id(tracker.latest_message.get("metadata"))
        or _metadata_school_id(tracker.get_slot("session_started_metadata"))
        or remembered
    )
    events: List[Dict[str, Any]] = []
    if school_id and school_id != remembered:
        events.append(SlotSet(SCHOOL_SLOT, school_id))
    return schools().get(school_id), events


def language_of(tracker: Tracker) -> str:
    """The language to answer in: ``nl``, ``en`` or ``other`` (the ``language`` slot, which follows the
    ``language`` entity of the parent's last clear message; Dutch when nothing is known)."""
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") == LANGUAGE_SLOT and entity.get("value") in ANSWERED + (OTHER,):
            return entity["value"]
    value = tracker.get_slot(LANGUAGE_SLOT)
    return value if value in ANSWERED + (OTHER,) else DUTCH


def replied_in_other_language(dispatcher: Any, tracker: Tracker, school: Optional[School]) -> bool:
    """For a message in a language Wegwijs does not answer in: send the reply in simple Dutch and English
    (the school's contact, Ouders & Onderwijs, 112) and return True; else False."""
    if language_of(tracker) != OTHER:
        return False
    from wegwijs.replies import other_language_reply

    dispatcher.utter_message(text=other_language_reply(school))
    return True
