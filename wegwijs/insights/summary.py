"""One conversation summed up for the Insights page, from Rasa's ``events`` rows: counts only.

What counts, and from which part of the events (never the text a parent wrote):

- **school**: the ``school_id`` in the parent's messages' metadata (set by the widget);
- **started**: the time of its first event; **week**: the Monday of that day in Dutch time;
- **parent messages**: ``user`` events;
- **not understood** and **handover form started**: Rasa's markers (``markers.yml``) evaluated with Rasa's
  own marker evaluation (``Marker.evaluate_events``), summed over the conversation's sessions;
- **"Bedoel je…?" offered**: bot messages that start with Wegwijs' own "Bedoel je…?" text (the bot's text,
  as ``wegwijs.retrain.export`` recognises it); **taken**: the parent's next message is one of its topic
  buttons (the intent of a button payload, not "iets anders" or "praten");
- **safety replies**: bot messages of a safety response (Rasa keeps the response name as ``utter_action``
  in the bot message's metadata: ``utter_safety_…``), also those ``action_fallback`` sends in doubt;
- **topics asked**: parents' messages whose intent is a topic with an answer (how often per topic);
- **ratings**: the ``answer_feedback`` slot, the latest rating per answer (:func:`wegwijs.feedback.latest`).
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple
from zoneinfo import ZoneInfo

from wegwijs import feedback

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
MARKERS_FILE = "markers.yml"
NOT_UNDERSTOOD = "not_understood"
HANDOVER_FORM = "handover_form_started"
SAFETY_RESPONSE_PREFIX = "utter_safety_"
#: event types the summary reads (Rasa's ``type_name``)
TYPES = ("user", "bot", "action", "slot", "session_started", "restart", "active_loop")
#: event types Rasa's markers need (actions, intents, slots, and the session starts)
MARKER_TYPES = ("user", "action", "slot", "session_started", "restart")

#: ``(event id, type_name, timestamp, data as stored)``
Row = Tuple[int, str, Optional[float], Optional[str]]


@dataclass
class Rating:
    rating: str
    reason: Optional[str]
    rated_at: dt.datetime


@dataclass
class Summary:
    conversation_id: str
    school_id: Optional[str]
    started_at: dt.datetime
    week: dt.date
    last_event_id: int
    parent_messages: int = 0
    not_understood: int = 0
    choices_offered: int = 0
    choices_taken: int = 0
    safety_replies: int = 0
    handover_forms: int = 0
    topics: Dict[str, int] = field(default_factory=dict)
    ratings: Dict[str, Rating] = field(default_factory=dict)


def load_markers(home: Path) -> Any:
    """Rasa's markers from ``markers.yml`` in ``home`` (one marker object; see Rasa's ``Marker.from_path``)."""
    from rasa.core.evaluation.marker_base import Marker

    return Marker.from_path(home / MARKERS_FILE)


def utc(timestamp: Optional[float]) -> dt.datetime:
    """A Rasa event timestamp (seconds since 1970) as naive UTC, as the portal's tables store time."""
    return dt.datetime.fromtimestamp(float(timestamp or 0), dt.timezone.utc).replace(tzinfo=None)


def week_of(moment: dt.datetime) -> dt.date:
    """The Monday of the week of ``moment`` (naive UTC) in Dutch time."""
    local = moment.replace(tzinfo=dt.timezone.utc).astimezone(AMSTERDAM).date()
    return local - dt.timedelta(days=local.weekday())


def topic_of(answer_id: str) -> str:
    """The topic of an answer id: ``care_sop/cycle:more`` → ``care_sop``."""
    return answer_id.split(":", 1)[0].split("/", 1)[0]


def _load(data: Optional[str]) -> Dict[str, Any]:
    try:
        payload = json.loads(data or "{}")
    except ValueError:
        return {}
    return payload if isinstance(payload, dict) else {}


def _intent(payload: Dict[str, Any]) -> Optional[str]:
    intent = (payload.get("parse_data") or {}).get("intent") or {}
    name = intent.get("name") if isinstance(intent, dict) else None
    return str(name) if name else None


def _button_intents(payload: Dict[str, Any]) -> List[str]:
    """The intents of a bot message's button payloads (``/care_opp{"question": …}`` → ``care_opp``)."""
    buttons = ((payload.get("data") or {}).get("buttons")) or []
    intents = []
    for button in buttons:
        value = str((button or {}).get("payload") or "") if isinstance(button, dict) else ""
        if value.startswith("/"):
            intents.append(value[1:].split("{", 1)[0].strip())
    return intents


def summarise(conversation_id: str, rows: Sequence[Row], markers: Any, is_topic: Callable[[str], bool],
              choose_texts: Sequence[str], not_a_choice: Iterable[str]) -> Optional[Summary]:
    """The summary of one conversation from its events, oldest first; None when the parent wrote nothing."""
    from rasa.shared.core.events import Event

    not_a_choice = set(not_a_choice)
    started: Optional[float] = None
    school: Optional[str] = None
    parent_messages = offered_count = taken = safety_replies = 0
    topics: Dict[str, int] = {}
    offered: Optional[List[str]] = None
    slot_events: List[Tuple[Any, Any]] = []
    rated_at: Dict[str, dt.datetime] = {}
    marker_events: List[Any] = []
    last_id = 0
    for event_id, type_name, timestamp, data in rows:
        last_id = max(last_id, int(event_id))
        if timestamp is not None and (started is None or timestamp < started):
            started = float(timestamp)
        payload = _load(data)
        if type_name in MARKER_TYPES:
            event = _event(Event, payload)
            if event is not None:
                marker_events.append(event)
        if type_name == "user":
            parent_messages += 1
            metadata = payload.get("metadata") or {}
            value = metadata.get("school_id") if isinstance(metadata, dict) else None
            if school is None and isinstance(value, str) and value:
                school = value[:64]
            intent = _intent(payload)
            if offered is not None and intent in offered and intent not in not_a_choice:
                taken += 1
            offered = None
            if intent and is_topic(intent):
                topics[intent[:80]] = topics.get(intent[:80], 0) + 1
        elif type_name == "bot":
            metadata = payload.get("metadata") or {}
            response = str(metadata.get("utter_action") or "") if isinstance(metadata, dict) else ""
            if response.startswith(SAFETY_RESPONSE_PREFIX):
                safety_replies += 1
            if str(payload.get("text") or "").startswith(tuple(choose_texts)):
                offered_count += 1
                offered = _button_intents(payload)
        elif type_name == "slot" and payload.get("name") == feedback.SLOT:
            slot_events.append((payload.get("name"), payload.get("value")))
            found = feedback.from_slot(payload.get("name"), payload.get("value"))
            if found is not None:
                rated_at[found[0]] = utc(timestamp)
    if parent_messages == 0 or started is None:
        return None
    marked = _marker_counts(markers, marker_events)
    started_at = utc(started)
    ratings = {answer: Rating(value["rating"], value["reason"], rated_at.get(answer, started_at))
               for answer, value in feedback.latest(slot_events).items()}
    return Summary(conversation_id=conversation_id, school_id=school, started_at=started_at,
                   week=week_of(started_at), last_event_id=last_id,
                   parent_messages=parent_messages, not_understood=marked.get(NOT_UNDERSTOOD, 0),
                   choices_offered=offered_count, choices_taken=taken, safety_replies=safety_replies,
                   handover_forms=min(1, marked.get(HANDOVER_FORM, 0)), topics=topics, ratings=ratings)


def _event(event_class: Any, payload: Dict[str, Any]) -> Any:
    """Rasa's event for a stored row, or None when the row is not one Rasa can read (it is left out of
    the marker counts; the other counts read the row itself)."""
    try:
        return event_class.from_parameters(payload)
    except (AttributeError, KeyError, TypeError, ValueError):
        return None


def _marker_counts(markers: Any, events: List[Any]) -> Dict[str, int]:
    """How often each marker applied in the conversation, summed over its sessions (Rasa's evaluation)."""
    counts: Dict[str, int] = {}
    if not events:
        return counts
    for session in markers.evaluate_events(events):
        for name, applied in session.items():
            counts[name] = counts.get(name, 0) + len(applied)
    return counts
