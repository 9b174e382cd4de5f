"""Every use of Rasa's private code by Wegwijs, in one place (written for Rasa 3.6.21).

Rasa gives no public way to do these things; each is small, and each is checked against the installed
Rasa by ``tests/test_rasa_private.py``, which fails with the reason when an upgrade changes any of them
(and ``tests/test_rasa_private.py::test_no_private_rasa_code_outside_this_module`` keeps it all here):

* **Tracker store** (``wegwijs/tracker_store.py``): :func:`additional_events` and
  :func:`stream_new_events` call ``SQLTrackerStore._additional_events`` / ``_stream_new_events``; the
  store notes on each tracker what it has stored (:func:`note` / :func:`noted`), which relies on Rasa
  handing the same tracker object from ``retrieve`` to ``save``.
* **Loud storage failures** (``wegwijs/channels.py``): :func:`primary_tracker_store` unwraps Rasa's
  ``FailSafeTrackerStore`` / ``AwaitableTrackerStore`` (``_tracker_store``), and
  :func:`set_storage_error_handler` replaces the fail-safe store's ``_on_tracker_store_error``.
* **socket.io output** (``wegwijs/channels.py``): :class:`CountingSocketIOOutput` counts what Rasa's
  ``SocketIOOutput._send_message`` sends and offers it as :meth:`CountingSocketIOOutput.emit`.
* **Redis lock store** (``wegwijs/lock_store.py``): :class:`RedisURLLockStore` connects Rasa's
  ``RedisLockStore`` by URL, setting its ``red`` and ``key_prefix`` without running its ``__init__``.
* **Relied on, not called** (no code here): an answer's id (``answer_id``, :mod:`wegwijs.feedback`) is an
  extra key of the action server's message, which ``RemoteAction._utter_responses`` keeps as the
  ``BotUttered`` event's metadata and ``OutputChannel.send_response`` hands to the senders of
  ``wegwijs/channels.py`` as a keyword argument; checked by the same test module.
* **Two speed fixes** (:func:`apply_speed_fixes`, applied when Rasa loads our channels or tracker store):

  1. ``RemoteAction._validate_action_result`` checks every action server response with
     ``jsonschema.validate(result, schema)``, which first re-checks Rasa's large events *schema* itself:
     about 14 ms of CPU per custom action call on the event loop, while validating the response takes
     under 1 ms (found with cProfile by ``benchmarks/serving.py``). The schema never changes, so it is
     checked once and a prebuilt validator is kept. The behaviour is Rasa's: the same schema, the same
     best-matching ``ValidationError`` with Rasa's message appended.
  2. ``Event.resolve_by_type`` walks every subclass of ``Event`` (with ``inspect.isabstract`` on each) to
     find the class of one stored event: about 30 µs per event, paid for every event of a conversation
     each time the SQL tracker store loads it (half of the load time of a long conversation, found with
     cProfile by ``benchmarks/serving.py``'s long conversation). The class found for a type name is
     remembered; names Rasa does not know still go the original way (``default``, ``topic`` and the
     ``ValueError``).
"""
from __future__ import annotations

from typing import Any, Callable, Dict, Iterable, List, Optional, Text, Type

from rasa.core.channels.socketio import SocketIOOutput
from rasa.core.lock_store import LockStore, RedisLockStore
from rasa.core.tracker_store import AwaitableTrackerStore, FailSafeTrackerStore

#: The Rasa version this module was written and checked for.
WRITTEN_FOR = "3.6.21"


# ---------------------------------------------------------------- tracker store

def additional_events(store: Any, session: Any, tracker: Any) -> Iterable[Any]:
    """Rasa's ``SQLTrackerStore._additional_events``: the tracker's events not yet in the database."""
    return store._additional_events(session, tracker)


async def stream_new_events(store: Any, event_broker: Any, events: List[Any], sender_id: str) -> None:
    """Rasa's ``SQLTrackerStore._stream_new_events``: publish ``events`` to the event broker."""
    await store._stream_new_events(event_broker, events, sender_id)


def note(tracker: Any, name: str, value: Any) -> None:
    """Keep ``value`` on the tracker object under ``_wegwijs_<name>`` (Rasa passes the same object from
    the tracker store's ``retrieve`` to its ``save``)."""
    setattr(tracker, f"_wegwijs_{name}", value)


def noted(tracker: Any, name: str, default: Any = None) -> Any:
    """What :func:`note` kept on the tracker, else ``default``."""
    return getattr(tracker, f"_wegwijs_{name}", default)


# ---------------------------------------------------------------- storage failures

def primary_tracker_store(agent: Any) -> Any:
    """The tracker store under Rasa's wrappers (``FailSafeTrackerStore``, ``AwaitableTrackerStore``)."""
    store = agent.tracker_store
    while isinstance(store, (FailSafeTrackerStore, AwaitableTrackerStore)):
        store = store._tracker_store
    return store


def set_storage_error_handler(agent: Any, handler: Callable[[Exception], None]) -> None:
    """Make Rasa's fail-safe tracker store call ``handler`` on a storage error, instead of its own (which
    forgets the conversation and goes on in memory). Idempotent."""
    store = agent.tracker_store
    if isinstance(store, FailSafeTrackerStore) and store._on_tracker_store_error is not handler:
        store._on_tracker_store_error = handler


# ---------------------------------------------------------------- socket.io

class CountingSocketIOOutput(SocketIOOutput):
    """Rasa's socket.io output channel, counting the messages it sends (``sent``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sent = 0

    async def _send_message(self, socket_id: Text, response: Any) -> None:
        self.sent += 1
        await super()._send_message(socket_id, response)

    async def emit(self, socket_id: Text, response: Any) -> None:
        """Send ``response`` (a dict) to the conversation's room as one bot message."""
        await self._send_message(socket_id, response)


# ---------------------------------------------------------------- lock store

class RedisURLLockStore(RedisLockStore):
    """Rasa's Redis lock store, connected by URL (``redis://[:password@]host:port/db``)."""

    def __init__(self, url: str) -> None:  # noqa: D107 - see class docstring
        import redis

        self.red = redis.StrictRedis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self.key_prefix = "wegwijs:lock:"
        LockStore.__init__(self)


# ---------------------------------------------------------------- speed fixes

_validator: Optional[Any] = None
_event_classes: Dict[Text, Type[Any]] = {}
_original_resolve_by_type: Optional[Any] = None


def _validate_action_result(self: Any, result: Dict[Text, Any]) -> bool:
    from jsonschema import ValidationError, validators
    from jsonschema.exceptions import best_match
    from rasa.shared.constants import DOCS_BASE_URL

    global _validator
    if _validator is None:
        schema = self.action_response_format_spec()
        cls = validators.validator_for(schema)
        cls.check_schema(schema)
        _validator = cls(schema)
    error: Optional[ValidationError] = best_match(_validator.iter_errors(result))
    if error is None:
        return True
    error.message += (
        f". Failed to validate Action server response from API, "
        f"make sure your response from the Action endpoint is valid. "
        f"For more information about the format visit "
        f"{DOCS_BASE_URL}/custom-actions"
    )
    raise error


def _resolve_by_type(type_name: Text, default: Optional[Type[Any]] = None) -> Optional[Type[Any]]:
    """Rasa's ``Event.resolve_by_type``, remembering the class found for each type name."""
    found = _event_classes.get(type_name)
    if found is not None:
        return found
    assert _original_resolve_by_type is not None
    resolved = _original_resolve_by_type(type_name, default)
    if resolved is not None and resolved is not default and resolved.type_name == type_name:
        _event_classes[type_name] = resolved
    return resolved


def original_resolve_by_type() -> Any:
    """Rasa's own ``Event.resolve_by_type`` (after :func:`apply_speed_fixes`)."""
    return _original_resolve_by_type


def apply_speed_fixes() -> None:
    """Install both speed fixes (idempotent)."""
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.events import Event

    global _original_resolve_by_type
    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[assignment]
    if _original_resolve_by_type is None:
        _original_resolve_by_type = Event.resolve_by_type
        Event.resolve_by_type = staticmethod(_resolve_by_type)  # type: ignore[assignment]
