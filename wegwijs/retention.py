"""Retention: delete conversations whose last message is older than the retention period.

Runs against Rasa's tracker store table ``events`` (SQLite or PostgreSQL). Used by
``wegwijs retention`` (``make retention``), which ``make run`` also runs at start.
"""
from __future__ import annotations

import time
from typing import Optional

import sqlalchemy as sa

from wegwijs.tracker_store import prepare_sqlite_path


def purge_conversations(db_url: str, days: int, now: Optional[float] = None) -> int:
    """Delete every conversation silent for more than ``days``; return how many were removed."""
    if days < 1:
        raise ValueError("days must be at least 1")
    prepare_sqlite_path(db_url)
    engine = sa.create_engine(db_url, future=True)
    try:
        if not sa.inspect(engine).has_table("events"):
            return 0
        events = sa.Table("events", sa.MetaData(), autoload_with=engine)
        cutoff = (now if now is not None else time.time()) - days * 86400
        last_seen = (
            sa.select(events.c.sender_id)
            .group_by(events.c.sender_id)
            .having(sa.func.max(events.c.timestamp) < cutoff)
        )
        with engine.begin() as conn:
            stale = [row.sender_id for row in conn.execute(last_seen)]
            for start in range(0, len(stale), 500):
                chunk = stale[start:start + 500]
                conn.execute(sa.delete(events).where(events.c.sender_id.in_(chunk)))
        return len(stale)
    finally:
        engine.dispose()
