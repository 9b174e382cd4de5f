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
