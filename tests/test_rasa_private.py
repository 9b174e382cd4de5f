"""Every private part of Rasa that Wegwijs relies on, checked against the installed Rasa.

All of it lives in ``wegwijs/rasa_private.py`` (its docstring says what and why); the last test here
keeps it there. Written for Rasa 3.6.21 (``wegwijs.rasa_private.WRITTEN_FOR``). An upgrade that renames,
removes or reshapes any of these fails here, with the reason, instead of failing quietly at run time:

* ``SQLTrackerStore._additional_events`` and ``_stream_new_events`` (our tracker store);
* ``FailSafeTrackerStore._tracker_store`` and ``_on_tracker_store_error`` (loud storage failures);
* ``SocketIOOutput._send_message`` and the text/buttons senders our channel overrides; ``SocketBlueprint``;
* ``RedisLockStore`` keeps its client in ``self.red`` and its prefix in ``self.key_prefix`` (we connect by
  URL without running its ``__init__``);
* ``RemoteAction._validate_action_result`` and ``Event.resolve_by_type`` (the speed fixes).
* not called but relied on: ``RemoteAction._utter_responses`` keeps an action's extra message keys
  (``answer_id``) as the bot message's metadata, which ``send_response`` hands to the output channel.
"""
from __future__ import annotations

import inspect
from pathlib import Path

import rasa
from rasa.core.channels.socketio import SocketBlueprint, SocketIOOutput
from rasa.core.lock_store import RedisLockStore
from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore, SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event

from wegwijs.rasa_private import WRITTEN_FOR

HOME = Path(__file__).resolve().parents[1]
#: Rasa's private names we use; none of them may appear in our code outside wegwijs/rasa_private.py
PRIVATE_NAMES = ("_additional_events", "_stream_new_events", "._tracker_store", "_on_tracker_store_error",
                 "_send_message", "_validate_action_result", "resolve_by_type", ".red =", ".key_prefix",
                 "setattr(tracker")


def parameters(function) -> list:
    return list(inspect.signature(function).parameters)


def test_the_rasa_version_these_checks_were_written_for():
    assert rasa.__version__ == WRITTEN_FOR, (
        f"Rasa {rasa.__version__} is installed; Wegwijs's use of Rasa's private code was checked for "
        f"{WRITTEN_FOR}. Review wegwijs/rasa_private.py against the new Rasa, then update its WRITTEN_FOR.")


def test_the_sql_tracker_store_internals_of_wegwijs_tracker_store():
    assert parameters(SQLTrackerStore._additional_events) == ["self", "session", "tracker"], \
        "wegwijs/rasa_private.py calls SQLTrackerStore._additional_events(session, tracker)"
    assert parameters(SQLTrackerStore._stream_new_events) == ["self", "event_broker", "new_events",
                                                              "sender_id"], \
        "wegwijs/rasa_private.py calls _stream_new_events(event_broker, new_events, sender_id)"


def test_the_fail_safe_store_fields_that_wegwijs_channels_reads_and_sets():
    store = FailSafeTrackerStore(InMemoryTrackerStore(Domain.empty()))
    assert isinstance(store._tracker_store, InMemoryTrackerStore), \
        "wegwijs/rasa_private.py reads FailSafeTrackerStore._tracker_store"
    assert hasattr(store, "_on_tracker_store_error"), \
        "wegwijs/rasa_private.py replaces FailSafeTrackerStore._on_tracker_store_error"
    assert "self._on_tracker_store_error" in inspect.getsource(FailSafeTrackerStore), \
        "FailSafeTrackerStore no longer calls _on_tracker_store_error on a storage failure"


def test_the_socket_io_parts_that_wegwijs_channels_builds_on():
    assert parameters(SocketBlueprint.__init__)[:3] == ["self", "sio", "socketio_path"], \
        "wegwijs/channels.py builds SocketBlueprint(sio, socketio_path, name, import_name)"
    for name in ("_send_message", "send_text_message", "send_text_with_buttons", "send_response"):
        assert inspect.iscoroutinefunction(getattr(SocketIOOutput, name)), \
            f"wegwijs/rasa_private.py and wegwijs/channels.py override or call SocketIOOutput.{name}"


def test_the_redis_lock_store_fields_that_wegwijs_lock_store_sets():
    source = inspect.getsource(RedisLockStore)
    assert "self.red" in source and "self.key_prefix" in source, \
        "wegwijs/rasa_private.py sets RedisLockStore's red and key_prefix itself"


def test_what_the_speed_fixes_replace():
    from rasa.core.actions.action import RemoteAction

    assert parameters(RemoteAction._validate_action_result) == ["self", "result"], \
        "wegwijs/rasa_private.py replaces RemoteAction._validate_action_result(self, result)"
    assert parameters(Event.resolve_by_type) == ["type_name", "default"], \
        "wegwijs/rasa_private.py replaces Event.resolve_by_type(type_name, default)"


def test_no_private_rasa_code_outside_this_module():
    """The one place: no other module of ours (nor the actions) touches the private names above."""
    found = []
    for folder in ("wegwijs", "actions"):
        for path in sorted((HOME / folder).rglob("*.py")):
            if path.name == "rasa_private.py":
                continue
            text = path.read_text(encoding="utf-8")
            found += [f"{path.relative_to(HOME)}: {name}" for name in PRIVATE_NAMES if name in text]
    assert found == [], "Rasa's private code belongs in wegwijs/rasa_private.py: " + ", ".join(found)


def test_an_answers_id_travels_from_the_action_server_to_the_bot_message_and_the_output_channel():
    """``actions/answers.py`` sends ``answer_id`` as an extra key of its message (rasa_sdk's
    ``utter_message(**kwargs)``). Rasa's ``RemoteAction._utter_responses`` keeps keys it does not know as
    the ``BotUttered`` event's metadata (stored in the events table, where wegwijs/web/app.py reads it), and
    ``BotUttered.message()`` hands them to the output channel's senders as keyword arguments, where
    ``WegwijsSocketIOOutput`` sends it to the widget. None of this is called by our code, but the ratings of
    answers (wegwijs/feedback.py) depend on it."""
    import asyncio

    from rasa.core.actions.action import RemoteAction
    from rasa.core.channels.channel import OutputChannel
    from rasa_sdk.executor import CollectingDispatcher

    dispatcher = CollectingDispatcher()
    dispatcher.utter_message(text="Een SOP is…", buttons=[{"title": "Meer weten", "payload": "/more_info"}],
                             answer_id="care_sop")
    bot, = asyncio.run(RemoteAction._utter_responses(dispatcher.messages, None, None, None))
    assert bot.metadata == {"answer_id": "care_sop"}, \
        "Rasa no longer keeps an action's extra message keys as the bot message's metadata"
    stored = Event.from_parameters(bot.as_dict())
    assert stored.metadata == {"answer_id": "care_sop"}

    received = {}

    class Output(OutputChannel):
        async def send_text_with_buttons(self, recipient_id, text, buttons, **kwargs):
            received.update(kwargs)

    asyncio.run(Output().send_response("c" * 16, stored.message()))
    assert received.get("answer_id") == "care_sop", \
        "Rasa's send_response no longer passes the bot message's metadata to the senders"
