"""Privacy at rest: the stored messages of a conversation lose their personal data once it has been
silent for a while (wegwijs.retention.scrub_idle_conversations), against the database Rasa writes."""
from __future__ import annotations

import json
import time

import sqlalchemy as sa
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet

from retrain_support import RAW_PII, conversations, save, user
from test_handover_retention import make_handover
from wegwijs import cli
from wegwijs.db import migrate
from wegwijs.db.engine import engine_for
from wegwijs.retention import scrub_idle_conversations

HOUR = 3600


def stored(db_url: str, sender: str) -> str:
    with engine_for(db_url).connect() as connection:
        return "\n".join(row[0] for row in connection.execute(
            sa.text("SELECT data FROM events WHERE sender_id = :s ORDER BY id"), {"s": sender}))


def test_idle_conversations_lose_personal_data_and_keep_their_events(db_url):
    migrate.upgrade(db_url)
    save(db_url, conversations() + [("conv-slot", [
        user("mijn nummer is 0612345678", "inform"), SlotSet("handover_question", "bel Jansen op 0612345678"),
        ActionExecuted("action_listen"), BotUttered("We bellen je op 06-12345678.")])])
    with engine_for(db_url).connect() as connection:
        before = connection.execute(sa.text("SELECT COUNT(*) FROM events")).scalar()
    make_handover(db_url, "conv-form")  # a handover keeps its conversation's words for the staff
    # silent for less than the idle time: nothing happens yet
    assert scrub_idle_conversations(db_url, idle_minutes=60, now=time.time() + 30 * 60) == 0
    assert "0612345678" in stored(db_url, "conv-pii")
    later = time.time() + 2 * HOUR
    assert scrub_idle_conversations(db_url, idle_minutes=60, now=later) == 4
    for sender in ("conv-pii", "conv-staff", "conv-dupes", "conv-slot"):
        text = stored(db_url, sender)
        leaked = [value for value in RAW_PII if value in text]
        assert leaked == [], (sender, leaked)
    assert "[TELEFOON]" in stored(db_url, "conv-pii") and "[TELEFOON]" in stored(db_url, "conv-slot")
    assert "06-12345678" in stored(db_url, "conv-form")  # the handover's conversation, untouched
    with engine_for(db_url).connect() as connection:
        assert connection.execute(sa.text("SELECT COUNT(*) FROM events")).scalar() == before
        events = [json.loads(row[0]) for row in connection.execute(
            sa.text("SELECT data FROM events WHERE sender_id = 'conv-pii' AND type_name = 'user'"))]
    assert events[0]["parse_data"]["intent"]["name"] == "care_mentor"  # intents and the course stay
    assert "[BSN]" in events[0]["text"] and "[BSN]" in events[0]["parse_data"]["text"]
    # a second pass has nothing new to do
    assert scrub_idle_conversations(db_url, idle_minutes=60, now=later) == 0


def test_the_retention_command_scrubs_too(db_url, monkeypatch, capsys):
    migrate.upgrade(db_url)
    save(db_url, [("conv-x", [user("mail me op j.devries@ziggo.nl", "inform")])])
    monkeypatch.setenv("WEGWIJS_DB_URL", db_url)
    monkeypatch.setenv("WEGWIJS_SCRUB_IDLE_MINUTES", "1")
    monkeypatch.setattr(time, "time", lambda real=time.time: real() + HOUR)
    assert cli.main(["retention"]) == 0
    assert "replaced personal data by placeholders in 1 conversation(s)" in capsys.readouterr().out
    assert "j.devries@ziggo.nl" not in stored(db_url, "conv-x") and "[EMAIL]" in stored(db_url, "conv-x")
