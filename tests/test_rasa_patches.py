"""The validation fix for Rasa's RemoteAction (wegwijs/rasa_patches.py) decides as Rasa does."""
from __future__ import annotations

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction

from wegwijs import channels  # noqa: F401 - importing the channels applies the fix, as in `rasa run`
from wegwijs.rasa_patches import _validate_action_result

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
