"""The speed fixes to Rasa (wegwijs/rasa_private.py) decide as Rasa does: RemoteAction's validation and
Event.resolve_by_type."""
from __future__ import annotations

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SlotSet, UserUttered

from wegwijs import channels  # noqa: F401 - importing the channels applies the fix, as in `rasa run`
from wegwijs import rasa_private
from wegwijs.rasa_private import _validate_action_result

GOOD = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "school_id", "value": "het-baken"}],
     "responses": [{"text": "Hoi", "buttons": [{"title": "Ja", "payload": "/affirm"}]}]},
    {"events": [{"event": "active_loop", "name": "handover_form"}], "responses": []},
]
BAD = [
    {"events": [{"event": "slot", "name": "x"}]},        # a slot event without a value? (schema decides)
    {"events": [{"name": "school_id"}]},                 # no event type
    {"events": "nothing"},
    {"events": [{"event": "no_such_event"}]},
]


def rasa_original(result):
    """Rasa 3.6's own check: jsonschema.validate with the same schema."""
    jsonschema.validate(result, RemoteAction.action_response_format_spec())
    return True


def test_the_fix_is_installed():
    assert RemoteAction._validate_action_result is _validate_action_result


@pytest.mark.parametrize("result", GOOD + BAD)
def test_same_verdict_and_error_as_rasa(result):
    remote = RemoteAction("action_x", None)
    try:
        expected = rasa_original(result)
    except jsonschema.ValidationError as error:
        expected = error
    if expected is True:
        assert _validate_action_result(remote, result) is True
    else:
        with pytest.raises(jsonschema.ValidationError) as raised:
            _validate_action_result(remote, result)
        assert raised.value.message.startswith(expected.message)
        assert "Failed to validate Action server response" in raised.value.message


def test_at_least_one_bad_response_is_refused():
    with pytest.raises(jsonschema.ValidationError):
        _validate_action_result(RemoteAction("action_x", None), {"events": "nothing"})


# ---------------------------------------------------------------- Event.resolve_by_type


def rasa_resolve(type_name, default=None):
    """Rasa 3.6's own ``Event.resolve_by_type``, the function the patch replaced (kept by the patch)."""
    assert rasa_private.original_resolve_by_type() is not None
    return rasa_private.original_resolve_by_type()(type_name, default)


def test_the_event_lookup_is_installed():
    assert Event.resolve_by_type is rasa_private._resolve_by_type
    # the oracle below is Rasa's own function, not a copy of it
    assert rasa_private.original_resolve_by_type().__module__ == "rasa.shared.core.events"


def test_every_event_type_resolves_as_in_rasa():
    from rasa.shared.utils.common import all_subclasses

    names = {cls.type_name for cls in all_subclasses(Event)}
    assert {"user", "bot", "action", "slot", "active_loop", "pause", "rewind"} <= names
    for _ in range(2):  # first lookup and remembered lookup
        for name in sorted(names):
            assert Event.resolve_by_type(name) is rasa_resolve(name), name


def test_unknown_event_types_behave_as_in_rasa():
    assert Event.resolve_by_type("topic") is rasa_resolve("topic") is None
    assert Event.resolve_by_type("no_such_event", SlotSet) is SlotSet
    assert Event.resolve_by_type("no_such_event", SlotSet) is SlotSet  # the default is not remembered
    with pytest.raises(ValueError, match="Unknown event name"):
        Event.resolve_by_type("no_such_event")


def test_stored_events_read_back_the_same():
    events = [UserUttered("hoi", {"name": "greet", "confidence": 1.0}), SlotSet("school_id", "het-baken"),
              ActionExecuted("action_listen"), BotUttered("Hallo")]
    assert [Event.from_parameters(event.as_dict()) for event in events] == events
