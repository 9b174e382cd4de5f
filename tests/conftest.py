"""Shared fixtures: the project folder, its content and schools, and a per-test database."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

HOME = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def home() -> Path:
    """The project folder."""
    return HOME


@pytest.fixture(scope="session")
def library(home):
    """All answers of the project."""
    from wegwijs.content import ContentLibrary

    return ContentLibrary.load(home / "data")


@pytest.fixture(scope="session")
def registry(home):
    """All school profiles of the project."""
    from wegwijs.schools import SchoolRegistry

    return SchoolRegistry.from_directory(home / "schools")


@pytest.fixture
def db_url(tmp_path, monkeypatch) -> str:
    """A fresh SQLite database for one test, also set as WEGWIJS_DB_URL."""
    url = f"sqlite:///{tmp_path / 'wegwijs.db'}"
    monkeypatch.setenv("WEGWIJS_DB_URL", url)
    return url


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    """A real Redis server for the session."""
    from support import RedisServer

    server = RedisServer(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def seeded_db_file(tmp_path_factory, home) -> Path:
    """An SQLite file at the newest migration with the example schools imported from ``schools/*.yml``
    (built once; :func:`school_db` copies it for each test)."""
    from sqlalchemy.orm import Session

    from wegwijs.db import migrate
    from wegwijs.db.engine import make_engine
    from wegwijs.schools_store import seed_if_empty

    path = tmp_path_factory.mktemp("seeded") / "wegwijs.db"
    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        with Session(engine, future=True) as session, session.begin():
            seed_if_empty(session, home / "schools")
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        engine.dispose()
    return path


@pytest.fixture
def school_db(db_url, seeded_db_file) -> str:
    """The per-test database (``db_url``) with our tables and the example schools, which the actions read
    (``actions.common.schools``); the actions' cached settings are cleared before and after."""
    import shutil

    import actions.common as common

    shutil.copyfile(seeded_db_file, db_url[len("sqlite:///"):])
    for cached in (common.settings, common.schools):
        cached.cache_clear()
    yield db_url
    for cached in (common.settings, common.schools):
        cached.cache_clear()
