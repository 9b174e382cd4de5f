"""Engines and sessions for our tables, on the database of ``WEGWIJS_DB_URL``.

SQLite is shared by three processes in the embedded setup (Rasa, the action server, the portal):
write-ahead logging lets readers go on while one writes, and a busy timeout makes a writer wait
instead of failing. PostgreSQL needs neither.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 15000


def prepare_sqlite_path(db_url: str) -> None:
    """Create the folder of an SQLite database file, so the first start needs no set-up."""
    url = sa.engine.make_url(db_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)


def make_engine(db_url: str) -> Engine:
    """A new engine (2.0 style) for ``db_url``."""
    prepare_sqlite_path(db_url)
    is_sqlite = sa.engine.make_url(db_url).get_backend_name() == "sqlite"
    engine = sa.create_engine(
        # hide_parameters: a database error (logged by its caller) never shows the values, such as a
        # parent's question or phone number (issue 20, finding 9)
        db_url, future=True, pool_pre_ping=not is_sqlite, hide_parameters=True,
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000} if is_sqlite else {},
    )
    if is_sqlite:
        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection, _record):  # pragma: no cover - trivial
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.close()
    return engine


@lru_cache(maxsize=8)
def engine_for(db_url: str) -> Engine:
    """One shared engine per database URL in this process."""
    return make_engine(db_url)


def session_factory(db_url: str) -> "sessionmaker[Session]":
    """Sessions bound to the shared engine of ``db_url``."""
    return sessionmaker(bind=engine_for(db_url), future=True, expire_on_commit=False)
