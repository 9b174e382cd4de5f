"""Rasa's lock store, chosen by Wegwijs settings (``endpoints.yml`` names this class).

One conversation is handled by one process at a time (Rasa's ticket lock). Without
``WEGWIJS_REDIS_URL`` the locks live in memory (one Rasa process: the embedded default); with it they
live in Redis (Rasa's ``RedisLockStore``), shared by all Rasa processes. When Redis fails, Rasa cannot
take the lock and the message fails loudly: the channels tell the parent and the widget sends it again.
"""
from __future__ import annotations

from typing import Any, Optional

from rasa.core.lock import TicketLock
from rasa.core.lock_store import InMemoryLockStore, LockStore, RedisLockStore

from wegwijs.settings import Settings


class _RedisURLLockStore(RedisLockStore):
    """Rasa's Redis lock store, connected by URL (``redis://[:password@]host:port/db``)."""

    def __init__(self, url: str) -> None:  # noqa: D107 - see class docstring
        import redis

        self.red = redis.StrictRedis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self.key_prefix = "wegwijs:lock:"
        LockStore.__init__(self)


class WegwijsLockStore(LockStore):
    """In memory, or in Redis when ``WEGWIJS_REDIS_URL`` is set."""

    def __init__(self, endpoint_config: Optional[Any] = None, redis_url: Optional[str] = None) -> None:
        redis_url = redis_url or Settings.from_env().redis_url
        self.inner: LockStore = _RedisURLLockStore(redis_url) if redis_url else InMemoryLockStore()
        super().__init__()

    def get_lock(self, conversation_id: str) -> Optional[TicketLock]:
        return self.inner.get_lock(conversation_id)

    def delete_lock(self, conversation_id: str) -> None:
        self.inner.delete_lock(conversation_id)

    def save_lock(self, lock: TicketLock) -> None:
        self.inner.save_lock(lock)
