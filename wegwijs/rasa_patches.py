"""Two speed fixes to Rasa 3.6, applied when Rasa loads our channels (``wegwijs/channels.py``) or our
tracker store (``wegwijs/tracker_store.py``).

1. ``RemoteAction._validate_action_result`` checks every action server response with
``jsonschema.validate(result, schema)``, which first re-checks Rasa's large events *schema* itself: about
14 ms of CPU per custom action call on the event loop, while validating the response takes under 1 ms
(found with cProfile by ``benchmarks/serving.py``). The schema never changes, so it is checked once and a
prebuilt validator is kept. The behaviour is Rasa's: the same schema, the same best-matching
``ValidationError`` with Rasa's message appended.

2. ``Event.resolve_by_type`` walks every subclass of ``Event`` (with ``inspect.isabstract`` on each) to
find the class of one stored event: about 30 µs per event, paid for every event of a conversation each
time the SQL tracker store loads it (half of the load time of a long conversation, found with cProfile
by ``benchmarks/serving.py``'s long conversation). The class found for a type name is remembered; names
Rasa does not know still go the original way (``default``, ``topic`` and the ``ValueError``).
"""
from __future__ import annotations

from typing import Any, Dict, Optional, Text, Type

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


def apply() -> None:
    """Install both fixes (idempotent)."""
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.events import Event

    global _original_resolve_by_type
    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[assignment]
    if _original_resolve_by_type is None:
        _original_resolve_by_type = Event.resolve_by_type
        Event.resolve_by_type = staticmethod(_resolve_by_type)  # type: ignore[assignment]
