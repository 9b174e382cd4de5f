"""Settings from environment variables, with defaults for the embedded (one machine) setup.

| variable | default | meaning |
|---|---|---|
| WEGWIJS_HOME | the project folder | where `var/`, `schools/` and `data/` are |
| WEGWIJS_DB_URL | sqlite:///<home>/var/wegwijs.db | SQLAlchemy URL of the tracker store (and our tables) |
| WEGWIJS_RETENTION_DAYS | 30 | days a conversation is kept after its last message |
| WEGWIJS_PRIVACY_URL | http://localhost:8080/privacy.html | the privacy text parents are linked to |
| WEGWIJS_SCHOOLS_DIR | <home>/schools | the school profiles |
| WEGWIJS_DATA_DIR | <home>/data | training data and answers |
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional

PROJECT_ROOT = Path(__file__).resolve().parents[1]


class SettingsError(ValueError):
    """A setting has a value we cannot use."""


@dataclass(frozen=True)
class Settings:
    """Resolved settings."""

    home: Path
    db_url: str
    retention_days: int
    privacy_url: str
    schools_dir: Path
    data_dir: Path

    @classmethod
    def from_env(cls, env: Optional[Mapping[str, str]] = None) -> "Settings":
        """Read the settings from ``env`` (default: ``os.environ``)."""
        env = os.environ if env is None else env
        home = Path(env.get("WEGWIJS_HOME") or PROJECT_ROOT).resolve()
        raw_days = env.get("WEGWIJS_RETENTION_DAYS", "30")
        try:
            days = int(raw_days)
        except ValueError as exc:
            raise SettingsError(f"WEGWIJS_RETENTION_DAYS={raw_days!r} is not a whole number") from exc
        if not 1 <= days <= 365:
            raise SettingsError("WEGWIJS_RETENTION_DAYS must be between 1 and 365")
        return cls(
            home=home,
            db_url=env.get("WEGWIJS_DB_URL") or f"sqlite:///{home / 'var' / 'wegwijs.db'}",
            retention_days=days,
            privacy_url=env.get("WEGWIJS_PRIVACY_URL") or "http://localhost:8080/privacy.html",
            schools_dir=Path(env.get("WEGWIJS_SCHOOLS_DIR") or home / "schools"),
            data_dir=Path(env.get("WEGWIJS_DATA_DIR") or home / "data"),
        )
