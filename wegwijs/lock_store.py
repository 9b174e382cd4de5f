"""Rasa's lock store, chosen by Wegwijs settings (``endpoints.yml`` names this class).

One conversation is handled by one process at a time (Rasa's ticket lock). Without
``WEGWIJS_REDIS_URL`` the locks live in memory (one Rasa process: the embedded default); with it they
live in Redis (Rasa's ``RedisLockStore``), shared by all Rasa processes. When Redis fails, Rasa cannot
take the lock and the message fails loudly: the channels tell the parent and the widget sends it again.
"""
from __future__ import annotations

from typing import Any, Optional

from rasa.core.lock import TicketLock
from rasa.core.lock_store import InMemoryLockStore, LockStore

from wegwijs.rasa_private import RedisURLLockStore
from wegwijs.settings import Settings


class WegwijsLockStore(LockStore):
    """In memory, or in Redis when ``WEGWIJS_REDIS_URL`` is set."""

    def __init__(self, endpoint_config: Optional[Any] = None, redis_url: Optional[str] = None) -> None:
        redis_url = redis_url or Settings.from_env().redis_url
        self.inner: LockStore = RedisURLLockStore(redis_url) if redis_url else InMemoryLockStore()
        super().__init__()

    def get_lock(self, conversation_id: str) -> Optional[TicketLock]:
        return self.inner.get_lock(conversation_id)

    def delete_lock(self, conversation_id: str) -> None:
        self.inner.delete_lock(conversation_id)

    def save_lock(self, lock: TicketLock) -> None:
        self.inner.save_lock(lock)
