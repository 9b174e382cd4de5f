"""Retention: delete what we no longer need.

- Conversations (Rasa's tracker store table ``events``) silent for more than the retention period,
  except those with a handover that is not resolved yet.
- Handovers resolved more than ``WEGWIJS_HANDOVER_RETENTION_DAYS`` ago: their content (question,
  contact details, consent text, notes) and the transcript of their conversation. What remains is
  a row without personal data (school, role, status, dates) for counts.

Used by ``wegwijs retention`` (``make retention``), which ``make run`` also runs at start.
"""
from __future__ import annotations

import datetime as dt
import time
from typing import Optional

import sqlalchemy as sa

from wegwijs.db.engine import make_engine
from wegwijs.db.models import Handover
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
