"""Retention of handovers and conversations (wegwijs/retention.py) and ``wegwijs retention``."""
from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any, Dict, Optional

import pytest
import sqlalchemy as sa

from wegwijs import cli
from support import create_events_table
from wegwijs.db import migrate
from wegwijs.db.engine import engine_for, session_factory
from wegwijs.db.models import Handover, HandoverNote, StaffUser, utcnow
from wegwijs.handovers import service
from wegwijs.retention import purge_conversations, purge_handovers

DAY = 86400
CONTENT_COLUMNS = ("question", "contact_detail", "consent_text", "child_class")


def add_events(db_url: str, sender_id: str, last_timestamp: float, count: int = 3) -> None:
    """``count`` user/bot events, the last one at ``last_timestamp``."""
    with engine_for(db_url).begin() as connection:
        for number in range(count):
            timestamp = last_timestamp - (count - 1 - number) * 60
            type_name = "user" if number % 2 == 0 else "bot"
            data = {"event": type_name, "text": f"bericht {number} van {sender_id}",
                    "timestamp": timestamp}
            connection.execute(sa.text(
                "INSERT INTO events (sender_id, type_name, timestamp, intent_name, action_name, data) "
                "VALUES (:sender, :type, :ts, NULL, NULL, :data)"),
                {"sender": sender_id, "type": type_name, "ts": timestamp, "data": json.dumps(data)})


def event_counts(db_url: str) -> Dict[str, int]:
    with engine_for(db_url).connect() as connection:
        return dict(connection.execute(sa.text(
            "SELECT sender_id, COUNT(*) FROM events GROUP BY sender_id")).all())


def make_handover(db_url: str, conversation_id: str, *, resolved_days_ago: Optional[float] = None,
                  notes: int = 1, author_id: Optional[int] = None) -> str:
    """A handover with content and notes; resolved ``resolved_days_ago`` days ago, or open."""
    with session_factory(db_url)() as session, session.begin():
        handover = service.create_handover(
            session, school_id="het-baken", role="zorgcoordinator", conversation_id=conversation_id,
            question=f"Mijn dochter in {conversation_id} wordt gepest, wie kan helpen?",
            contact_method="phone", contact_detail="0612345678",
            consent_text="Mag ik je vraag delen met de zorgcoördinator? Ja.", child_class="2 havo",
            age_band="12-15", topic="care_zorgcoordinator")
        for number in range(notes):
            session.add(HandoverNote(handover_id=handover.id, author_id=author_id,
                                     text=f"Notitie {number}: moeder gebeld."))
        if resolved_days_ago is not None:
            handover.status = "resolved"
            handover.resolved_role = "zorgcoordinator"
            handover.resolved_at = utcnow() - dt.timedelta(days=resolved_days_ago)
        return handover.public_id


def handover_row(db_url: str, public_id: str) -> Dict[str, Any]:
    with session_factory(db_url)() as session:
        row = session.execute(sa.select(Handover).where(Handover.public_id == public_id)).scalar_one()
        values = {column.name: getattr(row, column.name) for column in Handover.__table__.columns}
        values["notes"] = [note.text for note in row.notes]
        return values


@pytest.fixture
def db(db_url) -> str:
    migrate.upgrade(db_url)
    create_events_table(db_url)
    return db_url


@pytest.fixture
def author(db) -> int:
    with session_factory(db)() as session, session.begin():
        user = StaffUser(email="sanne@hetbaken.example", display_name="Sanne Visser", kind="staff",
                         school_id="het-baken", roles="zorgcoordinator", password_hash="x")
        session.add(user)
        session.flush()
        return user.id


def test_purge_handovers_removes_content_notes_and_transcript_of_old_resolved_ones(db, author):
    now = time.time()
    old = make_handover(db, "conv-old", resolved_days_ago=31, notes=2, author_id=author)
    recent = make_handover(db, "conv-recent", resolved_days_ago=5, author_id=author)
    still_open = make_handover(db, "conv-open", author_id=author)
    for conversation in ("conv-old", "conv-recent", "conv-open", "conv-other"):
        add_events(db, conversation, now - 40 * DAY)
    before_old = handover_row(db, old)
    before_recent = handover_row(db, recent)
    before_open = handover_row(db, still_open)
    assert before_old["question"] and len(before_old["notes"]) == 2

    assert purge_handovers(db, 30) == 1

    purged = handover_row(db, old)
    for column in CONTENT_COLUMNS:
        assert purged[column] is None, column
    assert purged["notes"] == []
    assert purged["purged_at"] is not None
    assert abs((purged["purged_at"] - utcnow()).total_seconds()) < 60
    # a content-free row stays for counts
    for column in ("public_id", "school_id", "role", "status", "resolved_role", "resolved_at",
                   "urgency", "topic", "conversation_id"):
        assert purged[column] == before_old[column], column
    with session_factory(db)() as session:
        assert session.execute(sa.select(sa.func.count()).select_from(HandoverNote).join(Handover)
                               .where(Handover.public_id == old)).scalar() == 0
    counts = event_counts(db)
    assert "conv-old" not in counts
    assert counts == {"conv-recent": 3, "conv-open": 3, "conv-other": 3}
    assert handover_row(db, recent) == before_recent
    assert handover_row(db, still_open) == before_open
    # a second run has nothing left to do
    assert purge_handovers(db, 30) == 0
    assert handover_row(db, old)["purged_at"] == purged["purged_at"]


def test_purge_handovers_counts_every_purged_handover(db):
    ids = [make_handover(db, f"conv-{n}", resolved_days_ago=31 + n) for n in range(3)]
    make_handover(db, "conv-young", resolved_days_ago=29)
    assert purge_handovers(db, 30) == 3
    assert all(handover_row(db, public_id)["question"] is None for public_id in ids)


def test_purge_handovers_respects_the_days_and_now_arguments(db):
    recent = make_handover(db, "conv-recent", resolved_days_ago=5)
    assert purge_handovers(db, 30, now=utcnow() + dt.timedelta(days=20)) == 0
    assert purge_handovers(db, 30, now=utcnow() + dt.timedelta(days=26)) == 1
    assert handover_row(db, recent)["question"] is None
    with pytest.raises(ValueError):
        purge_handovers(db, 0)


def test_a_conversation_with_a_newer_open_handover_keeps_its_transcript(db):
    old = make_handover(db, "conv-shared", resolved_days_ago=31)
    newer = make_handover(db, "conv-shared")
    add_events(db, "conv-shared", time.time() - 40 * DAY)
    assert purge_handovers(db, 30) == 1
    assert handover_row(db, old)["question"] is None
    assert handover_row(db, newer)["question"] is not None
    assert event_counts(db) == {"conv-shared": 3}


def test_a_conversation_with_a_recently_resolved_handover_keeps_its_transcript(db):
    make_handover(db, "conv-shared", resolved_days_ago=31)
    make_handover(db, "conv-shared", resolved_days_ago=5)
    add_events(db, "conv-shared", time.time() - 6 * DAY)
    assert purge_handovers(db, 30) == 1
    assert event_counts(db) == {"conv-shared": 3}


def test_purge_conversations_keeps_old_ones_with_an_open_handover(db):
    now = time.time()
    make_handover(db, "conv-stale-open")
    make_handover(db, "conv-stale-resolved", resolved_days_ago=2)
    add_events(db, "conv-stale-open", now - 40 * DAY)
    add_events(db, "conv-stale-resolved", now - 40 * DAY)
    add_events(db, "conv-stale", now - 31 * DAY)
    add_events(db, "conv-fresh", now - 29 * DAY)
    assert purge_conversations(db, 30, now=now) == 2
    assert event_counts(db) == {"conv-stale-open": 3, "conv-fresh": 3}
    assert purge_conversations(db, 30, now=now) == 0


def test_purge_conversations_uses_the_last_message(db):
    now = time.time()
    # a long conversation whose first message is old but whose last one is recent stays
    add_events(db, "conv-long", now - 1 * DAY, count=3)
    add_events(db, "conv-long", now - 60 * DAY, count=3)
    add_events(db, "conv-gone", now - 60 * DAY, count=2)
    assert purge_conversations(db, 30, now=now) == 1
    assert event_counts(db) == {"conv-long": 6}


def test_cli_retention_prints_both_counts(db, capsys, monkeypatch):
    for name in ("WEGWIJS_RETENTION_DAYS", "WEGWIJS_HANDOVER_RETENTION_DAYS"):
        monkeypatch.delenv(name, raising=False)
    assert cli.Settings.from_env().db_url == db
    now = time.time()
    old = make_handover(db, "conv-old", resolved_days_ago=31)
    recent = make_handover(db, "conv-recent", resolved_days_ago=5)
    make_handover(db, "conv-open")
    add_events(db, "conv-old", now - 40 * DAY)
    add_events(db, "conv-recent", now - 5 * DAY)
    add_events(db, "conv-open", now - 40 * DAY)
    add_events(db, "conv-stale-1", now - 40 * DAY)
    add_events(db, "conv-stale-2", now - 35 * DAY)
    assert cli.main(["retention"]) == 0
    out = capsys.readouterr().out
    assert ("retention: removed the content and transcript of 1 handover(s) resolved more than "
            "30 days ago") in out
    assert "retention: removed 2 conversation(s) silent for more than 30 days" in out
    assert event_counts(db) == {"conv-recent": 3, "conv-open": 3}
    assert handover_row(db, old)["question"] is None
    assert handover_row(db, recent)["question"] is not None
    # the options override the settings
    assert cli.main(["retention", "--handover-days", "3", "--days", "4"]) == 0
    out = capsys.readouterr().out
    assert "of 1 handover(s) resolved more than 3 days ago" in out
    assert "removed 0 conversation(s) silent for more than 4 days" in out
    assert handover_row(db, recent)["question"] is None
    assert event_counts(db) == {"conv-open": 3}
