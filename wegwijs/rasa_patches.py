"""One speed fix to Rasa 3.6, applied when Rasa loads our channels (``wegwijs/channels.py``).

``RemoteAction._validate_action_result`` checks every action server response with
``jsonschema.validate(result, schema)``, which first re-checks Rasa's large events *schema* itself: about
14 ms of CPU per custom action call on the event loop, while validating the response takes under 1 ms
(found with cProfile by ``benchmarks/serving.py``). The schema never changes, so it is checked once and a
prebuilt validator is kept. The behaviour is Rasa's: the same schema, the same best-matching
``ValidationError`` with Rasa's message appended.
"""
from __future__ import annotations

from typing import Any, Dict, Optional, Text

_validator: Optional[Any] = None


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


def apply() -> None:
    """Install the fix (idempotent)."""
    from rasa.core.actions.action import RemoteAction

    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[assignment]
