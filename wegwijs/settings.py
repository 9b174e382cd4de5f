"""Settings from environment variables, with defaults for the embedded (one machine) setup.

| variable | default | meaning |
|---|---|---|
| WEGWIJS_HOME | the project folder | where `var/`, `schools/` and `data/` are |
| WEGWIJS_DB_URL | sqlite:///<home>/var/wegwijs.db | SQLAlchemy URL of the tracker store (and our tables) |
| WEGWIJS_RETENTION_DAYS | 30 | days a conversation is kept after its last message |
| WEGWIJS_PRIVACY_URL | http://localhost:8080/privacy.html | the privacy text parents are linked to |
| WEGWIJS_SCHOOLS_DIR | <home>/schools | the school profiles |
| WEGWIJS_DATA_DIR | <home>/data | training data and answers |
| WEGWIJS_HANDOVER_RETENTION_DAYS | 30 | days handover content and transcript are kept after resolve |
| WEGWIJS_PORTAL_URL | http://localhost:8090 | the staff portal as staff reach it (links in mails) |
| WEGWIJS_PORTAL_SECRET | (none) | at least 32 random characters; the portal refuses to start without |
| WEGWIJS_PORTAL_SECURE_COOKIES | true | false only for plain http on localhost (`make run` sets it) |
| WEGWIJS_PORTAL_IDLE_MINUTES | 30 | a portal session ends after this many minutes without a request (1 to 480; after 8 hours it ends anyway) |
| WEGWIJS_PORTAL_LOGINS_PER_MINUTE | 20 | login attempts per client address per minute (an IPv6 /64 counts as one address) |
| WEGWIJS_WIDGET_ORIGINS | (none) | extra web origins that may embed the widget (comma separated); the schools' websites always may |
| WEGWIJS_PUBLIC_RASA_URL | http://localhost:5005 | Rasa as parents' browsers reach it (the demo pages' widget) |
| WEGWIJS_PUBLIC_WIDGET_URL | http://localhost:8080 | the widget server as parents' browsers reach it (the widget snippet the portal shows) |
| WEGWIJS_RASA_URL | http://127.0.0.1:5005 | Rasa's HTTP API, for staff replies |
| WEGWIJS_RASA_JWT_SECRET | (none) | signs the portal's JWTs for Rasa's HTTP API (`rasa run --jwt-secret`) |
| WEGWIJS_CHAT_SECRET | (none) | at least 32 random characters: derives each conversation's client secret and keys the hashes of IP addresses; Rasa and the widget server need the same one and refuse to start without |
| WEGWIJS_REDIS_URL | (none) | Redis for several Rasa processes: lock store, socket.io between processes, rate limits |
| WEGWIJS_RATE_CONVERSATION_PER_MINUTE | 20 | chat messages per conversation per minute (0: no limit) |
| WEGWIJS_RATE_IP_PER_MINUTE | 120 | chat messages per IP address per minute (0: no limit) |
| WEGWIJS_HANDOVER_CAP_CONVERSATION_PER_DAY | 3 | new handovers per conversation in the last 24 hours (0: no limit) |
| WEGWIJS_HANDOVER_CAP_NETWORK_PER_HOUR | 5 | new handovers per client network (IPv4 address or IPv6 /64, as the chat channel's `network` metadata names it) in the last hour (0: no limit) |
| WEGWIJS_HANDOVER_CAP_SCHOOL_PER_HOUR | 30 | new handovers per school in the last hour (0: no limit) |
| WEGWIJS_NOTIFY_WINDOW_SECONDS | 300 | at most one notification mail per address in this many seconds; handovers within it are bundled into one mail at its end (0: a mail per handover) |
| WEGWIJS_API_RATE_PER_MINUTE | 60 | widget API calls (history, status, erase) per conversation per minute; per IP address four times as many (0: no limit) |
| WEGWIJS_SMTP_HOST / _PORT | (none) / 25 | mail server for notifications; none: no mail |
| WEGWIJS_SMTP_FROM | wegwijs@localhost | sender of notification mails |
| WEGWIJS_SMTP_USER / _PASSWORD / _STARTTLS | (none) / (none) / false | SMTP login |
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
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
    handover_retention_days: int = 30
    portal_url: str = "http://localhost:8090"
    portal_secret: Optional[str] = field(default=None, repr=False)
    secure_cookies: bool = True
    portal_idle_minutes: int = 30
    portal_logins_per_minute: int = 20
    rasa_url: str = "http://127.0.0.1:5005"
    rasa_jwt_secret: Optional[str] = field(default=None, repr=False)
    chat_secret: Optional[str] = field(default=None, repr=False)
    smtp_host: Optional[str] = None
    smtp_port: int = 25
    smtp_from: str = "wegwijs@localhost"
    smtp_user: Optional[str] = None
    smtp_password: Optional[str] = field(default=None, repr=False)
    smtp_starttls: bool = False
    smtp_cafile: Optional[str] = None  # a PEM file of the authority that signed the SMTP server's certificate
    widget_origins: tuple = ()
    public_rasa_url: str = "http://localhost:5005"
    public_widget_url: str = "http://localhost:8080"
    redis_url: Optional[str] = field(default=None, repr=False)
    rate_per_conversation: int = 20
    rate_per_ip: int = 120
    handover_cap_conversation: int = 3  # per conversation per 24 hours (wegwijs.handovers.limits)
    handover_cap_network: int = 5  # per client network per hour
    handover_cap_school: int = 30  # per school per hour
    notify_window_seconds: int = 300  # at most one mail per address per window (wegwijs.handovers.batching)
    api_rate_per_conversation: int = 60
    source_warn_months: int = 12
    source_max_months: int = 18
    scrub_idle_minutes: int = 60

    @classmethod
    def from_env(cls, env: Optional[Mapping[str, str]] = None) -> "Settings":
        """Read the settings from ``env`` (default: ``os.environ``)."""
        env = os.environ if env is None else env
        home = Path(env.get("WEGWIJS_HOME") or PROJECT_ROOT).resolve()
        days = _whole(env, "WEGWIJS_RETENTION_DAYS", 30, 1, 365)
        return cls(
            home=home,
            db_url=env.get("WEGWIJS_DB_URL") or f"sqlite:///{home / 'var' / 'wegwijs.db'}",
            retention_days=days,
            privacy_url=env.get("WEGWIJS_PRIVACY_URL") or "http://localhost:8080/privacy.html",
            schools_dir=Path(env.get("WEGWIJS_SCHOOLS_DIR") or home / "schools"),
            data_dir=Path(env.get("WEGWIJS_DATA_DIR") or home / "data"),
            handover_retention_days=_whole(env, "WEGWIJS_HANDOVER_RETENTION_DAYS", 30, 1, 3650),
            portal_url=env.get("WEGWIJS_PORTAL_URL") or "http://localhost:8090",
            portal_secret=env.get("WEGWIJS_PORTAL_SECRET") or None,
            secure_cookies=_flag(env, "WEGWIJS_PORTAL_SECURE_COOKIES", True),
            portal_idle_minutes=_whole(env, "WEGWIJS_PORTAL_IDLE_MINUTES", 30, 1, 8 * 60),
            portal_logins_per_minute=_whole(env, "WEGWIJS_PORTAL_LOGINS_PER_MINUTE", 20, 1, 100_000),
            rasa_url=env.get("WEGWIJS_RASA_URL") or "http://127.0.0.1:5005",
            rasa_jwt_secret=env.get("WEGWIJS_RASA_JWT_SECRET") or None,
            chat_secret=env.get("WEGWIJS_CHAT_SECRET") or None,
            smtp_host=env.get("WEGWIJS_SMTP_HOST") or None,
            smtp_port=_whole(env, "WEGWIJS_SMTP_PORT", 25, 1, 65535),
            smtp_from=env.get("WEGWIJS_SMTP_FROM") or "wegwijs@localhost",
            smtp_user=env.get("WEGWIJS_SMTP_USER") or None,
            smtp_password=env.get("WEGWIJS_SMTP_PASSWORD") or None,
            smtp_starttls=_flag(env, "WEGWIJS_SMTP_STARTTLS", False),
            smtp_cafile=env.get("WEGWIJS_SMTP_CAFILE") or None,
            widget_origins=tuple(origin.strip().rstrip("/") for origin in
                                 (env.get("WEGWIJS_WIDGET_ORIGINS") or "").split(",") if origin.strip()),
            public_rasa_url=env.get("WEGWIJS_PUBLIC_RASA_URL") or "http://localhost:5005",
            public_widget_url=(env.get("WEGWIJS_PUBLIC_WIDGET_URL") or "http://localhost:8080").rstrip("/"),
            redis_url=env.get("WEGWIJS_REDIS_URL") or None,
            rate_per_conversation=_whole(env, "WEGWIJS_RATE_CONVERSATION_PER_MINUTE", 20, 0, 100_000),
            rate_per_ip=_whole(env, "WEGWIJS_RATE_IP_PER_MINUTE", 120, 0, 1_000_000),
            handover_cap_conversation=_whole(env, "WEGWIJS_HANDOVER_CAP_CONVERSATION_PER_DAY", 3, 0, 1000),
            handover_cap_network=_whole(env, "WEGWIJS_HANDOVER_CAP_NETWORK_PER_HOUR", 5, 0, 100_000),
            handover_cap_school=_whole(env, "WEGWIJS_HANDOVER_CAP_SCHOOL_PER_HOUR", 30, 0, 100_000),
            notify_window_seconds=_whole(env, "WEGWIJS_NOTIFY_WINDOW_SECONDS", 300, 0, 24 * 3600),
            api_rate_per_conversation=_whole(env, "WEGWIJS_API_RATE_PER_MINUTE", 60, 0, 100_000),
            source_warn_months=_whole(env, "WEGWIJS_SOURCE_WARN_MONTHS", 12, 1, 120),
            source_max_months=_whole(env, "WEGWIJS_SOURCE_MAX_MONTHS", 18, 1, 120),
            scrub_idle_minutes=_whole(env, "WEGWIJS_SCRUB_IDLE_MINUTES", 60, 1, 24 * 60),
        )


def _whole(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name) or str(default)
    try:
        value = int(raw)
    except ValueError as exc:
        raise SettingsError(f"{name}={raw!r} is not a whole number") from exc
    if not low <= value <= high:
        raise SettingsError(f"{name} must be between {low} and {high}")
    return value


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = (env.get(name) or "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name}={raw!r}: use true or false")
