"""Which topics "Bedoel je…?" offers when the NLU is unsure (docs/conversations.md).

The FallbackClassifier turns a message into ``nlu_fallback`` when the best intent is not confident
enough or two intents are too close; its ``intent_ranking`` still holds the classifier's ranking. The
two or three most likely *topics* in it (intents with an answer) become buttons, when they are likely
enough to be worth offering. Never for a message that might be a crisis: a crisis in doubt gets the help
lines (wegwijs.safety.in_doubt), and a safety intent among the most likely ones means no choice either.
"""
from __future__ import annotations

from typing import Any, Dict, List

from wegwijs.content import ContentLibrary

FALLBACK_INTENT = "nlu_fallback"
SAFETY_PREFIX = "safety_"
#: How many topics to offer.
CHOICES = 3
#: The least confidence of an offered topic, and of the best one (below it: ask to rephrase).
MIN_CONFIDENCE = 0.05
MIN_BEST = 0.1


def options(parse_data: Dict[str, Any], library: ContentLibrary) -> List[str]:
    """The topics to offer for a message that was not understood, best first (may be empty)."""
    ranked = [(str(item.get("name")), float(item.get("confidence") or 0.0))
              for item in parse_data.get("intent_ranking") or [] if item.get("name") != FALLBACK_INTENT]
    if any(name.startswith(SAFETY_PREFIX) for name, _ in ranked[:CHOICES]):
        return []  # a message that might be a crisis is never answered with a choice of topics
    topics = [(name, confidence) for name, confidence in ranked
              if library.get(name) is not None and confidence >= MIN_CONFIDENCE]
    if not topics or topics[0][1] < MIN_BEST:
        return []
    return [name for name, _ in topics[:CHOICES]]
