"""Retention: delete what we no longer need.

- Conversations (Rasa's tracker store table ``events``) silent for more than the retention period,
  except those with a handover that is not resolved yet.
- Handovers resolved more than ``WEGWIJS_HANDOVER_RETENTION_DAYS`` ago: their content (question,
  contact details, consent text, notes) and the transcript of their conversation. What remains is
  a row without personal data (school, role, status, dates) for counts.

- Personal data in conversations silent for ``WEGWIJS_SCRUB_IDLE_MINUTES`` (default 60): the text of the
  parent's and the bot's messages and of slots is replaced by ``wegwijs.pii``'s placeholders ("[TELEFOON]",
  "[NAAM]" …) in Rasa's stored events, which stay (the conversation, its intents and its course are
  kept for the retention period). Not for a conversation with a handover whose content is still kept:
  staff need the parent's own words until handover retention removes them.

Used by ``wegwijs retention`` (``make retention``), which ``make run`` runs at start and then every
10 minutes while it runs.
"""
from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any, Dict, Optional

import sqlalchemy as sa

from wegwijs.db.engine import make_engine
from wegwijs.db.models import Handover, ScrubbedConversation, TrackerSnapshot
from wegwijs.handovers.service import clear_content
from wegwijs.transcripts import EVENTS, delete_conversations


def purge_conversations(db_url: str, days: int, now: Optional[float] = None) -> int:
    """Delete every conversation silent for more than ``days``; return how many were removed."""
    if days < 1:
        raise ValueError("days must be at least 1")
    engine = make_engine(db_url)
    try:
        inspector = sa.inspect(engine)
        if not inspector.has_table("events"):
            return 0
        cutoff = (now if now is not None else time.time()) - days * 86400
        last_seen = (
            sa.select(EVENTS.c.sender_id)
            .group_by(EVENTS.c.sender_id)
            .having(sa.func.max(EVENTS.c.timestamp) < cutoff)
        )
        with engine.begin() as conn:
            stale = [row.sender_id for row in conn.execute(last_seen)]
            if inspector.has_table(Handover.__tablename__):
                kept = {row[0] for row in conn.execute(
                    sa.select(Handover.conversation_id).where(Handover.status != "resolved"))}
                stale = [sender for sender in stale if sender not in kept]
            delete_conversations(conn, stale)
        return len(stale)
    finally:
        engine.dispose()


def purge_handovers(db_url: str, days: int, now: Optional[dt.datetime] = None) -> int:
    """Remove content and transcript of handovers resolved more than ``days`` ago; return how many."""
    if days < 1:
        raise ValueError("days must be at least 1")
    engine = make_engine(db_url)
    try:
        if not sa.inspect(engine).has_table(Handover.__tablename__):
            return 0
        now = now or dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
        cutoff = now - dt.timedelta(days=days)
        with engine.begin() as conn:
            due = conn.execute(
                sa.select(Handover.id, Handover.conversation_id)
                .where(Handover.status == "resolved", Handover.resolved_at < cutoff,
                       Handover.purged_at.is_(None))).all()
            if not due:
                return 0
            ids = [row.id for row in due]
            # A conversation with a newer handover, open or resolved within the period, keeps its
            # transcript until that one is due too.
            open_conversations = {row[0] for row in conn.execute(
                sa.select(Handover.conversation_id).where(sa.or_(
                    Handover.status != "resolved", Handover.resolved_at >= cutoff)))}
            conversations = sorted({row.conversation_id for row in due} - open_conversations)
            clear_content(conn, ids, now)
            if sa.inspect(conn).has_table("events"):
                delete_conversations(conn, conversations)
        return len(ids)
    finally:
        engine.dispose()


#: Event types whose text can hold what a parent typed: messages, and slots the forms fill.
SCRUBBED_TYPES = ("user", "bot", "slot")


def _scrub_event(type_name: str, data: Dict[str, Any], scrub) -> bool:
    """Replace personal data in one stored event's text fields; whether anything changed."""
    changed = False

    def clean(container: Dict[str, Any], key: str) -> None:
        nonlocal changed
        value = container.get(key)
        if isinstance(value, str) and value and not value.startswith("/"):
            scrubbed = scrub(value)
            if scrubbed != value:
                container[key] = scrubbed
                changed = True

    if type_name in ("user", "bot"):
        clean(data, "text")
        if isinstance(data.get("parse_data"), dict):
            clean(data["parse_data"], "text")
    elif type_name == "slot":
        clean(data, "value")
    return changed


def scrub_idle_conversations(db_url: str, idle_minutes: int, now: Optional[float] = None,
                             scrub=None) -> int:
    """Scrub the personal data out of the stored messages of conversations silent for ``idle_minutes``
    (see the module docstring); return how many conversations got new events scrubbed."""
    from wegwijs import pii

    if idle_minutes < 1:
        raise ValueError("idle_minutes must be at least 1")
    scrub = scrub or (lambda text: pii.scrub(text))
    engine = make_engine(db_url)
    try:
        inspector = sa.inspect(engine)
        if not inspector.has_table("events") or not inspector.has_table(ScrubbedConversation.__tablename__):
            return 0
        cutoff = (now if now is not None else time.time()) - idle_minutes * 60
        done = ScrubbedConversation.__table__
        with engine.begin() as conn:
            idle = {row[0]: row[1] for row in conn.execute(
                sa.select(EVENTS.c.sender_id, sa.func.max(EVENTS.c.id))
                .group_by(EVENTS.c.sender_id).having(sa.func.max(EVENTS.c.timestamp) < cutoff))}
            scrubbed_until = {row[0]: row[1] for row in conn.execute(sa.select(done.c.sender_id,
                                                                               done.c.last_event_id))}
            if inspector.has_table(Handover.__tablename__):
                kept = {row[0] for row in conn.execute(
                    sa.select(Handover.conversation_id).where(Handover.purged_at.is_(None)))}
            else:
                kept = set()
        count = 0
        for sender, last_id in sorted(idle.items()):
            start = scrubbed_until.get(sender, 0)
            if sender in kept or last_id <= start:
                continue
            with engine.begin() as conn:
                rows = conn.execute(
                    sa.select(EVENTS.c.id, EVENTS.c.type_name, EVENTS.c.data)
                    .where(EVENTS.c.sender_id == sender, EVENTS.c.id > start, EVENTS.c.id <= last_id,
                           EVENTS.c.type_name.in_(SCRUBBED_TYPES))).all()
                for event_id, type_name, raw in rows:
                    try:
                        data = json.loads(raw or "{}")
                    except ValueError:
                        continue
                    if isinstance(data, dict) and _scrub_event(type_name, data, scrub):
                        conn.execute(sa.update(EVENTS).where(EVENTS.c.id == event_id)
                                     .values(data=json.dumps(data)))
                # the snapshot holds slot values and a form's trigger message: rebuilt from the events
                if inspector.has_table(TrackerSnapshot.__tablename__):
                    conn.execute(sa.delete(TrackerSnapshot.__table__)
                                 .where(TrackerSnapshot.__table__.c.sender_id == sender))
                stamp = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
                if sender in scrubbed_until:
                    conn.execute(sa.update(done).where(done.c.sender_id == sender)
                                 .values(last_event_id=last_id, scrubbed_at=stamp))
                else:
                    conn.execute(sa.insert(done).values(sender_id=sender, last_event_id=last_id,
                                                        scrubbed_at=stamp))
            count += 1
        return count
    finally:
        engine.dispose()
