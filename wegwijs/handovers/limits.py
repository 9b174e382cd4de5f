"""Caps on new handovers (issue 20, finding 7): each one reaches a professional and sends a mail, so a
script must not be able to make hundreds.

Three caps, each over a rolling window, counted in the database (the action server may run as several
processes): new handovers per conversation in the last 24 hours (``WEGWIJS_HANDOVER_CAP_CONVERSATION_PER_DAY``,
default 3), per client network in the last hour (``WEGWIJS_HANDOVER_CAP_NETWORK_PER_HOUR``, 5) and per school
in the last hour (``WEGWIJS_HANDOVER_CAP_SCHOOL_PER_HOUR``, 30). Every handover counts, open or resolved.
0 switches a cap off.

The client network is what the chat channel puts in each message's metadata as ``network``: a keyed hash
(hex) of the IPv4 address or the IPv6 /64, changing daily, never the address itself. Without it (a message
that did not come through Wegwijs's chat channels) only the caps per conversation and per school apply.

Atomic enough: :func:`wegwijs.handovers.service.create_handover` inserts the handover first and counts
afterwards, in the same transaction, and refuses (rolls back) when the count passes a cap. On SQLite the
INSERT takes the database's single write lock, held until commit, so no other process can add a handover
between this one's insert and its count, and the count sees every committed one: the cap is exact across
processes. On PostgreSQL (read committed) two transactions would not see each other's uncommitted rows, so
a transaction-scoped advisory lock is taken first: creations of handovers queue behind each other for the
few milliseconds of their insert and count (a handful per hour per school; chat messages are not held up).
"""
from __future__ import annotations

import datetime as dt
import re
import zlib
from dataclasses import dataclass
from typing import Any, Optional

import sqlalchemy as sa
from sqlalchemy.orm import Session

from wegwijs.db.models import Handover

CONVERSATION, NETWORK, SCHOOL = "conversation", "network", "school"
WINDOWS = {CONVERSATION: dt.timedelta(hours=24), NETWORK: dt.timedelta(hours=1),
           SCHOOL: dt.timedelta(hours=1)}
#: The width of ``wegwijs_handovers.client_network``; a longer hash is kept at its first 32 characters.
NETWORK_CHARS = 32
_NETWORK = re.compile(r"[0-9a-f]{16,128}")
#: The PostgreSQL advisory lock that serialises the creation of handovers (a fixed 32-bit key).
ADVISORY_LOCK_KEY = zlib.crc32(b"wegwijs_handover_caps")


class CapReached(Exception):
    """A new handover would pass a cap; ``cap`` is CONVERSATION, NETWORK or SCHOOL."""

    def __init__(self, cap: str) -> None:
        super().__init__(f"handover cap per {cap} reached")
        self.cap = cap


@dataclass(frozen=True)
class Caps:
    """The most new handovers per conversation (24 hours), per network and per school (1 hour); 0: no cap."""

    conversation: int = 3
    network: int = 5
    school: int = 30

    @classmethod
    def from_settings(cls, settings: Any) -> "Caps":
        return cls(conversation=settings.handover_cap_conversation, network=settings.handover_cap_network,
                   school=settings.handover_cap_school)


def network_of(metadata: Any) -> Optional[str]:
    """The client network from a message's metadata: the channel's hex hash, lower case, at most
    NETWORK_CHARS long; None when absent or not such a hash (then the network cap does not apply)."""
    if not isinstance(metadata, dict):
        return None
    value = metadata.get("network")
    if not isinstance(value, str):
        return None
    value = value.strip().lower()
    return value[:NETWORK_CHARS] if _NETWORK.fullmatch(value) else None


def count(session: Session, cap: str, key: str, now: dt.datetime) -> int:
    """How many handovers of this conversation, network or school were made in the cap's window."""
    column = {CONVERSATION: Handover.conversation_id, NETWORK: Handover.client_network,
              SCHOOL: Handover.school_id}[cap]
    return session.execute(
        sa.select(sa.func.count()).select_from(Handover)
        .where(column == key, Handover.created_at > now - WINDOWS[cap])).scalar_one()


def passed(session: Session, caps: Caps, *, conversation_id: str, school_id: str,
           network: Optional[str], now: dt.datetime, adding: int = 0) -> Optional[str]:
    """The first cap that the handovers in the database, plus ``adding`` new ones, pass; else None.
    ``adding=1`` before a handover is made (may one more be made?), 0 after it was inserted."""
    for cap, limit, key in ((CONVERSATION, caps.conversation, conversation_id), (NETWORK, caps.network, network),
                            (SCHOOL, caps.school, school_id)):
        if limit and key and count(session, cap, key, now) + adding > limit:
            return cap
    return None


def lock(session: Session) -> None:
    """Serialise the creation of handovers until this transaction ends (PostgreSQL; on SQLite the
    INSERT's write lock does it)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
