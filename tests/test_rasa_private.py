"""Every private part of Rasa that Wegwijs relies on, in one list, checked against the installed Rasa.

Written for Rasa 3.6.21. An upgrade that renames, removes or reshapes any of these fails here, with the
file of ours that needs a look, instead of failing quietly at run time:

* ``wegwijs/tracker_store.py``: ``SQLTrackerStore._additional_events`` and ``_stream_new_events``;
* ``wegwijs/channels.py``: ``FailSafeTrackerStore._tracker_store`` and ``_on_tracker_store_error``,
  ``SocketBlueprint``, ``SocketIOOutput._send_message`` and the text/buttons senders it overrides;
* ``wegwijs/lock_store.py``: ``RedisLockStore`` keeps its client in ``self.red`` and its prefix in
  ``self.key_prefix`` (we connect by URL without running its ``__init__``);
* ``wegwijs/rasa_patches.py``: ``RemoteAction._validate_action_result`` and ``Event.resolve_by_type``.
"""
from __future__ import annotations

import inspect

import rasa
from rasa.core.channels.socketio import SocketBlueprint, SocketIOOutput
from rasa.core.lock_store import RedisLockStore
from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore, SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event

WRITTEN_FOR = "3.6.21"


def parameters(function) -> list:
    return list(inspect.signature(function).parameters)


def test_the_rasa_version_these_checks_were_written_for():
    assert rasa.__version__ == WRITTEN_FOR, (
        f"Rasa {rasa.__version__} is installed; Wegwijs's use of Rasa's private code was checked for "
        f"{WRITTEN_FOR}. Review the files named in this module's docstring, then update WRITTEN_FOR.")


def test_the_sql_tracker_store_internals_of_wegwijs_tracker_store():
    assert parameters(SQLTrackerStore._additional_events) == ["self", "session", "tracker"], \
        "wegwijs/tracker_store.py calls SQLTrackerStore._additional_events(session, tracker)"
    assert parameters(SQLTrackerStore._stream_new_events) == ["self", "event_broker", "new_events",
                                                              "sender_id"], \
        "wegwijs/tracker_store.py calls _stream_new_events(event_broker, new_events, sender_id)"


def test_the_fail_safe_store_fields_that_wegwijs_channels_reads_and_sets():
    store = FailSafeTrackerStore(InMemoryTrackerStore(Domain.empty()))
    assert isinstance(store._tracker_store, InMemoryTrackerStore), \
        "wegwijs/channels.py reads FailSafeTrackerStore._tracker_store"
    assert hasattr(store, "_on_tracker_store_error"), \
        "wegwijs/channels.py replaces FailSafeTrackerStore._on_tracker_store_error"
    assert "self._on_tracker_store_error" in inspect.getsource(FailSafeTrackerStore), \
        "FailSafeTrackerStore no longer calls _on_tracker_store_error on a storage failure"


def test_the_socket_io_parts_that_wegwijs_channels_builds_on():
    assert parameters(SocketBlueprint.__init__)[:3] == ["self", "sio", "socketio_path"], \
        "wegwijs/channels.py builds SocketBlueprint(sio, socketio_path, name, import_name)"
    for name in ("_send_message", "send_text_message", "send_text_with_buttons", "send_response"):
        assert inspect.iscoroutinefunction(getattr(SocketIOOutput, name)), \
            f"wegwijs/channels.py overrides or calls SocketIOOutput.{name}"


def test_the_redis_lock_store_fields_that_wegwijs_lock_store_sets():
    source = inspect.getsource(RedisLockStore)
    assert "self.red" in source and "self.key_prefix" in source, \
        "wegwijs/lock_store.py sets RedisLockStore's red and key_prefix itself"


def test_what_wegwijs_rasa_patches_replaces():
    from rasa.core.actions.action import RemoteAction

    assert parameters(RemoteAction._validate_action_result) == ["self", "result"], \
        "wegwijs/rasa_patches.py replaces RemoteAction._validate_action_result(self, result)"
    assert parameters(Event.resolve_by_type) == ["type_name", "default"], \
        "wegwijs/rasa_patches.py replaces Event.resolve_by_type(type_name, default)"
