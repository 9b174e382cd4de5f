"""Rasa NLU component: a crisis message gets its safety intent, whatever the classifier thought.

Place it last among the classifiers, after ``FallbackClassifier``, so that safety has the last word:

* when the rules of :mod:`wegwijs.safety` fire, the message gets that safety intent (confidence 1);
* when DIET's safety intents together are fairly sure of a crisis (``pooled_confidence``), the
  strongest of them is chosen, also when the fallback or a care intent came out on top (five kinds
  split the classifier's belief in a crisis; the fallback's ambiguity rule treats two close kinds
  as unsure);
* when the crisis classifier (:mod:`wegwijs.nlp.crisis_classifier`), which only tells crisis from
  not-crisis, scores the message at least ``crisis_threshold``, its most likely kind is chosen;
* when DIET (not the rules) chose a safety intent for a message that :func:`wegwijs.safety.looks_ordinary`
  recognises as a look-alike (bullying among pupils, a question about what Veilig Thuis does, a
  saying), the best non-safety intent takes its place, or the fallback when that one is weak.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text, Tuple

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME as FALLBACK_INTENT
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from wegwijs import safety
from wegwijs.nlp.crisis_classifier import METADATA_KEY as CRISIS_KEY
from wegwijs.safety import INTENT_PREFIX as SAFETY_PREFIX

METADATA_KEY = "safety_override"
#: When DIET's safety intents together have at least this confidence, the message is a crisis even
#: if another intent (or the fallback) came out on top.
POOLED_CONFIDENCE = 0.4
#: A crisis score (wegwijs.nlp.crisis_classifier) from which a message is a crisis.
CRISIS_THRESHOLD = 0.6
CHILD_USER_INTENT = SAFETY_PREFIX + safety.CHILD_USER
#: A look-alike's best non-safety intent needs at least this confidence, or the message falls back.
ORDINARY_CONFIDENCE = 0.1


def safety_intent(kind: str) -> str:
    """The intent name for a crisis kind."""
    return f"{SAFETY_PREFIX}{kind}"


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False
)
class SafetyOverride(GraphComponent, IntentClassifier):
    """Overrides the predicted intent with a safety intent when :func:`wegwijs.safety.detect` fires."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """``pooled_confidence``, ``crisis_threshold``: see the constants of the same name."""
        return {"pooled_confidence": POOLED_CONFIDENCE, "crisis_threshold": CRISIS_THRESHOLD}

    def __init__(self, config: Optional[Dict[Text, Any]] = None) -> None:
        self.pooled_confidence = float((config or {}).get("pooled_confidence", POOLED_CONFIDENCE))
        self.crisis_threshold = float((config or {}).get("crisis_threshold", CRISIS_THRESHOLD))

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "SafetyOverride":
        """Creates the component."""
        return cls({**cls.get_default_config(), **config})

    def process(self, messages: List[Message]) -> List[Message]:
        """Sets the safety intent on crisis messages."""
        for message in messages:
            self._process_one(message)
        return messages

    def _process_one(self, message: Message) -> None:
        text: Optional[str] = message.get(TEXT)
        current = message.get(INTENT) or {}
        ranking = [item for item in message.get(INTENT_RANKING_KEY) or []
                   if item.get("name") != FALLBACK_INTENT]
        decision = decide(text or "", current, ranking, self.pooled_confidence,
                          message.get(CRISIS_KEY), self.crisis_threshold)
        if decision is None:
            return
        chosen, reason = decision
        rest = [item for item in ranking if item.get("name") != chosen["name"]]
        message.set(INTENT, chosen, add_to_output=True)
        message.set(INTENT_RANKING_KEY, [chosen] + rest, add_to_output=True)
        message.set(METADATA_KEY, {"reason": reason, "intent": chosen["name"],
                                   "previous_intent": current.get("name")}, add_to_output=True)


def is_safety(item: Dict[str, Any]) -> bool:
    """Whether a ranking item is a safety intent."""
    return str(item.get("name", "")).startswith(SAFETY_PREFIX)


def pooled_safety(ranking: List[Dict[str, Any]]) -> float:
    """The classifier's confidence that the message is a crisis of any kind: the sum over the kinds."""
    return sum(float(item.get("confidence") or 0) for item in ranking if is_safety(item))


def decide(text: str, current: Dict[str, Any], ranking: List[Dict[str, Any]],
           pooled_confidence: float = POOLED_CONFIDENCE, crisis: Optional[Dict[str, Any]] = None,
           crisis_threshold: float = CRISIS_THRESHOLD) -> Optional[Tuple[Dict[str, Any], str]]:
    """The intent SafetyOverride sets, with its reason, or None to keep the current one.

    ``ranking`` is DIET's ranking without ``nlu_fallback``; ``crisis`` is the
    :mod:`wegwijs.nlp.crisis_classifier` score, when that component ran.
    """
    kind = safety.detect(text)
    if kind is not None:
        return {"name": safety_intent(kind), "confidence": 1.0}, "rules"
    ordinary = safety.looks_ordinary(text, rules_checked=True)
    score = float((crisis or {}).get("score") or 0)
    if current.get("name") == CHILD_USER_INTENT and not safety.writes_as_child(text) \
            and score < crisis_threshold:
        # "The writer is a child" needs a sign of it ("ik ben 12", "ik zit in groep 7", "mijn vader
        # slaat me"); a parent writing "mijn zoon zit in groep 8" or "ik ben 38" is not one.
        ordinary = True
    if is_safety(current):
        if not ordinary:
            return None
        others = [item for item in ranking if not is_safety(item)]
        if others and float(others[0].get("confidence") or 0) >= ORDINARY_CONFIDENCE:
            return dict(others[0]), "look-alike"
        return {"name": FALLBACK_INTENT, "confidence": 1.0}, "look-alike"
    if ordinary and current.get("name") == FALLBACK_INTENT and any(is_safety(i) for i in ranking):
        # Not understood, but not a crisis either: no help lines with the request to rephrase.
        return {"name": FALLBACK_INTENT, "confidence": float(current.get("confidence") or 0)}, "look-alike"
    kinds = [item for item in ranking if is_safety(item)]
    if kinds and not ordinary and pooled_safety(ranking) >= pooled_confidence:
        # Five crisis kinds share the classifier's belief in a crisis; together they can outweigh a
        # care intent (or the fallback) that beats each of them alone.
        best = max(kinds, key=lambda item: float(item.get("confidence") or 0))
        return {"name": best["name"], "confidence": pooled_safety(ranking)}, "classifier"
    if crisis and not ordinary and score >= crisis_threshold:
        if crisis.get("kind") == CHILD_USER_INTENT and safety.bare_child_request(text):
            # "Ik wil met iemand praten": a child's words, but nothing of a child or of trouble in it.
            return None
        return {"name": crisis["kind"], "confidence": float(crisis["score"])}, "crisis classifier"
    return None
