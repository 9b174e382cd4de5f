"""Keeping the insight tables up to date with Rasa's ``events``, and deleting them with a conversation.

:func:`refresh` reads which conversations have events after the last refresh, sums each of them up again
from all its events (:func:`wegwijs.insights.summary.summarise`) and replaces its rows. The Insights
page calls it before it reads (usually a handful of conversations), ``wegwijs insights refresh`` from a
timer or by hand. One refresh at a time: on PostgreSQL a transaction-level advisory lock (a second
request skips the refresh and shows the figures as they are); SQLite writes one at a time anyway.

:func:`delete` is called by ``wegwijs.transcripts.delete_conversations`` (retention and "Gesprek
verwijderen"), so a conversation's figures and ratings go with it.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from wegwijs.db.models import InsightConversation, InsightRating, InsightState, InsightTopic, utcnow
from wegwijs.insights import summary as summaries

EVENTS = sa.table("events", sa.column("id"), sa.column("sender_id"), sa.column("type_name"),
                  sa.column("timestamp"), sa.column("data"))
TABLES = (InsightConversation.__table__, InsightTopic.__table__, InsightRating.__table__)
#: conversations read per query
CHUNK = 200
#: the advisory lock's key on PostgreSQL (any constant that no other part of Wegwijs uses)
LOCK_KEY = 1_700_017


@dataclass
class Refreshed:
    conversations: int = 0
    last_event_id: int = 0
    skipped: bool = False


class Summariser:
    """What :func:`refresh` needs to sum conversations up: Rasa's markers and the topics with an answer."""

    def __init__(self, home: Path, is_topic: Callable[[str], bool]) -> None:
        from wegwijs.retrain.export import CHOOSE_TEXTS, NOT_A_CHOICE

        self.markers = summaries.load_markers(home)
        self.is_topic = is_topic
        self.choose_texts = CHOOSE_TEXTS
        self.not_a_choice = NOT_A_CHOICE

    def __call__(self, conversation_id: str, rows: Sequence[summaries.Row]) -> Optional[summaries.Summary]:
        return summaries.summarise(conversation_id, rows, self.markers, self.is_topic, self.choose_texts,
                                   self.not_a_choice)


@functools.lru_cache(maxsize=4)
def default_summariser(home: str) -> Summariser:
    """The summariser for the project in ``home``: its markers and its content's topics."""
    from wegwijs.content import ContentLibrary

    library = ContentLibrary.load(Path(home) / "data")
    return Summariser(Path(home), lambda intent: library.get(intent) is not None)


def _lock(session: Session) -> bool:
    """Whether this transaction may refresh (PostgreSQL: nobody else is; others: always)."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    return bool(session.execute(sa.text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": LOCK_KEY}).scalar())


def _changed(session: Session, after: int, until: int) -> List[str]:
    return sorted(row[0] for row in session.execute(
        sa.select(EVENTS.c.sender_id).where(EVENTS.c.id > after, EVENTS.c.id <= until).distinct()))


def _rows(session: Session, senders: Sequence[str], until: int) -> Iterator[tuple]:
    yield from session.execute(
        sa.select(EVENTS.c.sender_id, EVENTS.c.id, EVENTS.c.type_name, EVENTS.c.timestamp, EVENTS.c.data)
        .where(EVENTS.c.sender_id.in_(senders), EVENTS.c.id <= until,
               EVENTS.c.type_name.in_(summaries.TYPES))
        .order_by(EVENTS.c.sender_id, EVENTS.c.id))


def refresh(session: Session, summarise: Callable[[str, Sequence[summaries.Row]], Optional[summaries.Summary]],
            limit: Optional[int] = None) -> Refreshed:
    """Sum up again every conversation with events after the last refresh; commit. ``limit``: at most
    this many conversations now (the rest at the next refresh)."""
    result = Refreshed()
    bind = session.get_bind()
    if not sa.inspect(bind).has_table("events") or not _lock(session):
        result.skipped = True
        session.rollback()
        return result
    state = session.get(InsightState, 1)
    if state is None:
        state = InsightState(id=1, last_event_id=0)
        session.add(state)
    after = state.last_event_id or 0
    until = session.execute(sa.select(sa.func.max(EVENTS.c.id))).scalar() or after
    senders = _changed(session, after, until) if until > after else []
    if limit is not None and len(senders) > limit:
        # the oldest changes first, so the watermark can move to just before the first one left out
        first_change = dict(session.execute(
            sa.select(EVENTS.c.sender_id, sa.func.min(EVENTS.c.id))
            .where(EVENTS.c.id > after, EVENTS.c.id <= until).group_by(EVENTS.c.sender_id)).all())
        senders.sort(key=lambda sender: first_change[sender])
        until = first_change[senders[limit]] - 1
        senders = senders[:limit]
    for start in range(0, len(senders), CHUNK):
        chunk = senders[start:start + CHUNK]
        by_sender: Dict[str, List[summaries.Row]] = {sender: [] for sender in chunk}
        for sender, event_id, type_name, timestamp, data in _rows(session, chunk, until):
            by_sender[sender].append((event_id, type_name, timestamp, data))
        _replace(session.connection(), [summarise(sender, rows) for sender, rows in by_sender.items()],
                 chunk)
        result.conversations += len(chunk)
    state.last_event_id = until
    state.refreshed_at = utcnow()
    result.last_event_id = until
    session.commit()
    return result


def _replace(connection: Connection, found: Sequence[Optional[summaries.Summary]],
             conversation_ids: Sequence[str]) -> None:
    delete(connection, list(conversation_ids))
    conversations, topics, ratings = [], [], []
    for item in found:
        if item is None:
            continue
        conversations.append(dict(
            conversation_id=item.conversation_id, school_id=item.school_id, started_at=item.started_at,
            week=item.week, parent_messages=item.parent_messages, not_understood=item.not_understood,
            choices_offered=item.choices_offered, choices_taken=item.choices_taken,
            safety_replies=item.safety_replies, handover_forms=item.handover_forms,
            last_event_id=item.last_event_id))
        topics.extend(dict(conversation_id=item.conversation_id, topic=topic, school_id=item.school_id,
                           week=item.week, asked=asked) for topic, asked in item.topics.items())
        ratings.extend(dict(conversation_id=item.conversation_id, answer_id=answer[:160],
                            topic=summaries.topic_of(answer)[:80], school_id=item.school_id, week=item.week,
                            rating=rating.rating, reason=rating.reason, rated_at=rating.rated_at)
                       for answer, rating in item.ratings.items())
    for table, values in zip(TABLES, (conversations, topics, ratings)):
        if values:
            connection.execute(sa.insert(table), values)


def delete(connection: Connection, conversation_ids: List[str]) -> None:
    """Delete the insight rows of these conversations (when the tables exist)."""
    if not conversation_ids or not sa.inspect(connection).has_table(InsightConversation.__tablename__):
        return
    for start in range(0, len(conversation_ids), 500):
        chunk = conversation_ids[start:start + 500]
        for table in TABLES:
            connection.execute(sa.delete(table).where(table.c.conversation_id.in_(chunk)))


def refresh_all(session: Session, home: Path, batch: int = 5000,
                progress: Optional[Callable[[int], None]] = None) -> int:
    """Refresh until nothing is left (the command line); returns how many conversations were summed up."""
    summarise = default_summariser(str(home))
    total = 0
    while True:
        result = refresh(session, summarise, limit=batch)
        total += result.conversations
        if progress:
            progress(total)
        if result.skipped or result.conversations < batch:
            return total


def row_counts(session: Session) -> Dict[str, Any]:
    """How many rows each insight table has (for tests and the command line)."""
    return {table.name: session.execute(sa.select(sa.func.count()).select_from(table)).scalar()
            for table in TABLES}
