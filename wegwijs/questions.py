"""Which answer a topic message gets: a question-level answer, the topic's overview, or "Bedoel je…?" (wegwijs.replies.CHOOSE_TEXT).

The NLU's :class:`wegwijs.nlp.question_selector.QuestionSelector` ranks the questions of the topic
(``response_selector`` in the parse data, Rasa's own format). This module turns that ranking into a
decision for the answer action (docs/nlu.md, "Question-level answers"):

* a button that named a question (``/care_sop{"question": "care_sop/cycle"}``) gets that answer;
* the best question when the selector is sure enough (``ANSWER_CONFIDENCE``), or clearly ahead of the
  next one (``ANSWER_MARGIN``);
* the overview when the best is the topic's overview (a broad question) or nothing was selected;
* otherwise "Bedoel je…?": the two or three most likely questions as buttons, with "iets anders" and
  "met iemand praten". A crisis never gets here (safety rules answer it first).

The thresholds were chosen by cross-validation on the training data (docs/nlu.md), never on a test set.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

OVERVIEW = "overview"
QUESTION_ENTITY = "question"
#: Answer the best question when its confidence is at least this ...
ANSWER_CONFIDENCE = 0.6
#: ... or when it leads the second by at least this much. (5-fold cross-validation on the training
#: data, benchmarks/questions.py: about 7% of the right selections get "Bedoel je…?" first, with the
#: right answer as its first button, and about 19% of the wrong ones.)
ANSWER_MARGIN = 0.3
#: How many questions "Bedoel je…?" offers.
CHOICES = 3


@dataclass(frozen=True)
class Decision:
    """What to answer: ``kind`` is ``question``, ``overview`` or ``choose``."""

    kind: str
    topic: str
    key: Optional[str] = None  # the question for ``question``
    options: List[str] = field(default_factory=list)  # keys for ``choose`` (may include topic/overview)


def chosen_key(parse_data: Dict[str, Any]) -> Optional[str]:
    """The question a button named, if any."""
    for entity in parse_data.get("entities") or []:
        if entity.get("entity") == QUESTION_ENTITY and isinstance(entity.get("value"), str):
            return entity["value"]
    return None


def ranking(parse_data: Dict[str, Any], topic: str) -> List[Tuple[str, float]]:
    """The selector's ``(topic/question, confidence)`` ranking for ``topic``, best first."""
    selected = (parse_data.get("response_selector") or {}).get(topic) or {}
    entries = selected.get("ranking") or []
    if not entries and selected.get("response"):
        entries = [selected["response"]]
    return [(str(entry.get("intent_response_key")), float(entry.get("confidence") or 0.0))
            for entry in entries if entry.get("intent_response_key")]


def decide(parse_data: Dict[str, Any], topic: str, known: Any) -> Decision:
    """The decision for a message classified as ``topic``; ``known(key)`` tells whether a question
    answer exists (so a model trained on other content never points at a missing answer)."""
    button = chosen_key(parse_data)
    if button and button.startswith(topic + "/") and known(button):
        return Decision("question", topic, key=button)
    if button == f"{topic}/{OVERVIEW}":
        return Decision(OVERVIEW, topic)
    ranked = [(key, confidence) for key, confidence in ranking(parse_data, topic)
              if key.startswith(topic + "/") and (key.endswith("/" + OVERVIEW) or known(key))]
    if not ranked:
        return Decision(OVERVIEW, topic)
    best, confidence = ranked[0]
    second = ranked[1][1] if len(ranked) > 1 else 0.0
    if confidence >= ANSWER_CONFIDENCE or confidence - second >= ANSWER_MARGIN:
        if best.endswith("/" + OVERVIEW):
            return Decision(OVERVIEW, topic)
        return Decision("question", topic, key=best)
    return Decision("choose", topic, options=[key for key, _ in ranked[:CHOICES]])
