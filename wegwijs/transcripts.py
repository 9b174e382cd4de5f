"""Read a conversation from Rasa's tracker store (table ``events``) for staff, as plain lines."""
from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Any, Dict, Iterable, Iterator, List, Optional, Tuple

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from wegwijs.handovers.live import STAFF_METADATA_KEY

#: What a button payload means, for staff reading the transcript.
BUTTONS = {"/affirm": "Ja", "/deny": "Nee", "/talk_to_human": "Met iemand praten",
           "/more_info": "Meer weten"}

EVENTS = sa.table("events", sa.column("id"), sa.column("sender_id"), sa.column("type_name"),
                  sa.column("timestamp"), sa.column("intent_name"), sa.column("data"))


@dataclass(frozen=True)
class Line:
    """One line of the transcript."""

    at: dt.datetime
    who: str  # "parent", "bot", "staff" or "system"
    text: str
    staff_name: Optional[str] = None
    #: a parent's message the NLU read as a crisis (the bot answers those with help lines, but not
    #: while staff handle the conversation: Rasa is paused then)
    crisis: bool = False


def conversation_events(engine: Engine, conversation_id: str, types: Iterable[str],
                        limit: Optional[int] = None) -> Iterator[Tuple[str, float, Dict[str, Any]]]:
    """``(type_name, timestamp, event data)`` of one conversation from Rasa's ``events`` table, oldest
    first (data ``{}`` where it is not valid JSON); nothing when Rasa has not made the table yet."""
    if not sa.inspect(engine).has_table("events"):
        return
    query = (sa.select(EVENTS.c.type_name, EVENTS.c.timestamp, EVENTS.c.data)
             .where(EVENTS.c.sender_id == conversation_id, EVENTS.c.type_name.in_(tuple(types)))
             .order_by(EVENTS.c.id))
    if limit is not None:
        query = query.limit(limit)
    with engine.connect() as connection:
        for type_name, timestamp, data in connection.execute(query):
            try:
                payload = json.loads(data or "{}")
            except ValueError:
                payload = {}
            yield type_name, float(timestamp or 0), payload if isinstance(payload, dict) else {}


def session_intents(engine: Engine, conversation_id: str) -> List[str]:
    """The intents of the parent's messages in the conversation's latest session, oldest first.

    Read from the events table, not from the tracker: the tracker store hands Rasa and the actions only
    the recent part of a long conversation (``wegwijs/tracker_store.py``).
    """
    if not sa.inspect(engine).has_table("events"):
        return []
    session_start = (sa.select(sa.func.coalesce(sa.func.max(EVENTS.c.id), 0))
                     .where(EVENTS.c.sender_id == conversation_id,
                            EVENTS.c.type_name == "session_started")
                     .scalar_subquery())
    query = (sa.select(EVENTS.c.intent_name)
             .where(EVENTS.c.sender_id == conversation_id, EVENTS.c.type_name == "user",
                    EVENTS.c.id > session_start)
             .order_by(EVENTS.c.id))
    with engine.connect() as connection:
        return [name or "" for (name,) in connection.execute(query)]


def read_transcript(engine: Engine, conversation_id: str, limit: int = 2000,
                    until: Optional[dt.datetime] = None) -> List[Line]:
    """The parent's and bot's messages (and when staff took over / gave back), oldest first; with
    ``until`` (a resolved handover's ``resolved_at``, UTC) only up to then, and the moment staff gave the
    conversation back: what the parent wrote later is not for the resolved handover (issue 20)."""
    lines: List[Line] = []
    end = until.replace(tzinfo=dt.timezone.utc).timestamp() if until is not None else None
    for type_name, timestamp, payload in conversation_events(
            engine, conversation_id, ("user", "bot", "pause", "resume"), limit):
        if end is not None and timestamp > end:
            if type_name == "resume" and not any(line.who == "system" and line.at.timestamp() > end
                                                 for line in lines):
                lines.append(Line(dt.datetime.fromtimestamp(timestamp, dt.timezone.utc), "system",
                                  "Het gesprek is teruggegeven aan Wegwijs."))
            continue
        at = dt.datetime.fromtimestamp(timestamp, dt.timezone.utc)
        if type_name == "pause":
            lines.append(Line(at, "system", "Een medewerker heeft het gesprek overgenomen; "
                                            "Wegwijs zwijgt."))
            continue
        if type_name == "resume":
            lines.append(Line(at, "system", "Het gesprek is teruggegeven aan Wegwijs."))
            continue
        text = payload.get("text")
        if not text:
            continue
        staff = (payload.get("metadata") or {}).get(STAFF_METADATA_KEY)
        if type_name == "user":
            intent = ((payload.get("parse_data") or {}).get("intent") or {}).get("name") or ""
            lines.append(Line(at, "parent", button_label(str(text)),
                              crisis=intent.startswith("safety_")))
        elif staff:
            lines.append(Line(at, "staff", str(text), staff_name=staff.get("name")))
        else:
            lines.append(Line(at, "bot", str(text)))
    return lines


def button_label(text: str) -> str:
    """'Ja (knop)' for '/affirm'; other text as it is."""
    match = re.match(r"^(/[A-Za-z_]+)(\{.*\})?$", text.strip(), re.DOTALL)
    if match:
        return f"{BUTTONS.get(match.group(1), match.group(1).lstrip('/'))} (knop)"
    return text


def delete_conversations(connection: sa.engine.Connection, conversation_ids: List[str]) -> int:
    """Delete the tracker events (and tracker snapshots) of these conversations; return how many events
    were removed. Their figures on the Insights page (ratings included) go too.

    Their messages waiting for review (scrubbed copies for retraining) go too; the ones already written
    into the training data stay as training examples but lose the link to the conversation.
    """
    from wegwijs.db.models import ReviewItem, TrackerSnapshot
    from wegwijs.insights import store as insights

    review = ReviewItem.__table__
    snapshots = TrackerSnapshot.__table__
    has_review = sa.inspect(connection).has_table(review.name)
    has_snapshots = sa.inspect(connection).has_table(snapshots.name)
    removed = 0
    for start in range(0, len(conversation_ids), 500):
        chunk = conversation_ids[start:start + 500]
        removed += connection.execute(sa.delete(EVENTS).where(EVENTS.c.sender_id.in_(chunk))).rowcount
        if has_review:
            connection.execute(sa.delete(review).where(review.c.conversation_id.in_(chunk),
                                                       review.c.status != "written"))
            connection.execute(sa.update(review).where(review.c.conversation_id.in_(chunk))
                               .values(conversation_id=None))
        if has_snapshots:
            connection.execute(sa.delete(snapshots).where(snapshots.c.sender_id.in_(chunk)))
    insights.delete(connection, conversation_ids)
    return removed
