"""Rasa's SQL tracker store, configured from Wegwijs settings (``WEGWIJS_DB_URL``).

``endpoints.yml`` names this class, so the embedded default (SQLite under ``var/``) and PostgreSQL
(``WEGWIJS_DB_URL=postgresql://user:password@host:5432/wegwijs``) need no change to that file.
"""
from __future__ import annotations

from typing import Any, Optional

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain

from wegwijs.db.engine import prepare_sqlite_path
from wegwijs.settings import Settings

__all__ = ["WegwijsTrackerStore", "prepare_sqlite_path"]


class WegwijsTrackerStore(SQLTrackerStore):
    """SQL tracker store whose database comes from :class:`wegwijs.settings.Settings`."""

    def __init__(
        self,
        domain: Optional[Domain] = None,
        host: Optional[str] = None,
        event_broker: Optional[EventBroker] = None,
        **kwargs: Any,
    ) -> None:
        db_url = Settings.from_env().db_url
        prepare_sqlite_path(db_url)
        kwargs = {key: value for key, value in kwargs.items() if key not in {"url", "dialect", "db"}}
        super().__init__(domain=domain, host=db_url, event_broker=event_broker, **kwargs)
