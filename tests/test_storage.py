"""The tracker store from settings, the endpoints file, and retention."""
from __future__ import annotations

import asyncio
import time

import sqlalchemy as sa
from rasa.core.tracker_store import TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import read_endpoint_config

from wegwijs.retention import purge_conversations
from wegwijs.settings import Settings
from wegwijs.tracker_store import WegwijsTrackerStore


def test_endpoints_yml_gives_our_sql_store_not_the_in_memory_fallback(home, db_url):
    config = read_endpoint_config(str(home / "endpoints.yml"), "tracker_store")
    store = TrackerStore.create(config, Domain.empty())
    inner = getattr(store, "_tracker_store", store)
    assert isinstance(inner, WegwijsTrackerStore)
    assert str(inner.engine.url) == db_url


def test_conversations_are_stored_in_the_configured_database(db_url):
    store = WegwijsTrackerStore(domain=Domain.empty())
    tracker = DialogueStateTracker.from_events("parent-1", [UserUttered("hoi")])
    asyncio.run(store.save(tracker))
    engine = sa.create_engine(db_url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("select sender_id from events")).all()
    assert ("parent-1",) in rows


def test_sqlite_default_lives_in_var(tmp_path):
    settings = Settings.from_env({"WEGWIJS_HOME": str(tmp_path)})
    assert settings.db_url == f"sqlite:///{tmp_path / 'var' / 'wegwijs.db'}"
    assert settings.retention_days == 30


def test_bad_retention_setting_is_refused():
    import pytest
    from wegwijs.settings import SettingsError

    with pytest.raises(SettingsError):
        Settings.from_env({"WEGWIJS_RETENTION_DAYS": "dertig"})
    with pytest.raises(SettingsError):
        Settings.from_env({"WEGWIJS_RETENTION_DAYS": "0"})


def test_retention_removes_only_silent_conversations(db_url):
    store = WegwijsTrackerStore(domain=Domain.empty())
    now = time.time()
    old = DialogueStateTracker.from_events("old", [UserUttered("hoi", timestamp=now - 40 * 86400)])
    recent = DialogueStateTracker.from_events("recent", [
        UserUttered("hoi", timestamp=now - 40 * 86400), UserUttered("nog een vraag", timestamp=now - 86400)])
    asyncio.run(store.save(old))
    asyncio.run(store.save(recent))
    assert purge_conversations(db_url, days=30, now=now) == 1
    engine = sa.create_engine(db_url)
    with engine.connect() as conn:
        senders = {row[0] for row in conn.execute(sa.text("select sender_id from events"))}
    assert senders == {"recent"}
    assert purge_conversations(db_url, days=30, now=now) == 0


def test_retention_on_an_empty_database(db_url):
    assert purge_conversations(db_url, days=30) == 0


def test_database_errors_do_not_carry_the_parameters(tmp_path):
    """Issue 20, finding 9: an error's message (logged by the caller) must not show the values it was
    given, such as a parent's question or a contact detail."""
    import sqlalchemy as sa
    import pytest

    from wegwijs.db.engine import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE t (id INTEGER PRIMARY KEY, secret TEXT NOT NULL UNIQUE)"))
        connection.execute(sa.text("INSERT INTO t (secret) VALUES (:s)"), {"s": "0612345678 van Fleur"})
    with pytest.raises(sa.exc.IntegrityError) as failed:
        with engine.begin() as connection:
            connection.execute(sa.text("INSERT INTO t (secret) VALUES (:s)"), {"s": "0612345678 van Fleur"})
    assert "0612345678" not in str(failed.value)
