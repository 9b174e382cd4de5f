"""Follow-up questions: "kan ik daar bezwaar tegen maken?" after an answer about a topic.

A parent who just read about a topic asks about it without naming it again. The NLU recognises the
kind of follow-up (``followup_objection`` … ``followup_who_decides``, trained on wording without topic
words, so a message that names a topic still goes to that topic); the conversation supplies the topic
(the ``last_topic`` slot). What answers each kind for each topic is curated content
(``data/<group>/followups.yml``): a question-level answer, another topic, or the topic's longer text.
Where our content has no answer, Wegwijs says so and names who can help, instead of guessing
(docs/conversations.md).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from wegwijs.content import FOLLOWUP_KINDS, MORE, ContentLibrary

PREFIX = "followup_"


@dataclass(frozen=True)
class Target:
    """What answers a follow-up: ``kind`` is ``question`` (key), ``topic`` (key), ``more`` or ``none``."""

    kind: str
    key: Optional[str] = None


def kind_of(intent: Optional[str]) -> Optional[str]:
    """``objection`` for ``followup_objection``; None for other intents."""
    if intent and intent.startswith(PREFIX) and intent[len(PREFIX):] in FOLLOWUP_KINDS:
        return intent[len(PREFIX):]
    return None


def resolve(library: ContentLibrary, topic: str, kind: str) -> Target:
    """The answer to a follow-up of ``kind`` about ``topic``."""
    target = library.followup(topic, kind)
    if target is None:
        return Target("none")
    if target == MORE:
        return Target(MORE, topic)
    if library.question(target) is not None:
        return Target("question", target)
    return Target("topic", target)


#: Words that point back to what was just said ("kan ik daar bezwaar tegen maken", "who pays for that").
ANAPHORS = frozenset("""
    dat daar daarvoor daarover daartegen daarmee daarbij daarin daarop daarvan daaraan dit die deze het
    hem zo'n zoiets ervoor erover ertegen ermee erbij erin erop ervan eraan er
    that it this those these them there
""".split())
#: A follow-up intent counts from the context when the NLU was not sure of anything else (a fallback,
#: or a topic below ``UNSURE_TOPIC``), the follow-up is among the ``CONTEXT_RANK`` most likely intents
#: with at least ``CONTEXT_CONFIDENCE``, and the message is short and points back (an anaphor).
UNSURE_TOPIC = 0.5
CONTEXT_RANK = 3
CONTEXT_CONFIDENCE = 0.1
CONTEXT_MAX_WORDS = 12


def in_context(parse_data: dict, topic: Optional[str]) -> Optional[str]:
    """The follow-up kind a message has in a conversation about ``topic``, when the NLU was unsure
    between a follow-up and something else (a generic topic such as ``care_costs``, or a fallback).

    "kost dat geld?" after an answer about the OPP asks what the OPP costs, not about the costs of youth
    help in general: the conversation decides what the single message cannot. Never for a crisis (a
    safety intent among the most likely ones), never without a topic or a word that points back.
    """
    if not topic:
        return None
    intent = parse_data.get("intent") or {}
    name = str(intent.get("name") or "")
    if kind_of(name):
        return kind_of(name)
    if name != "nlu_fallback" and (not name.startswith(("care_", "rights_"))
                                   or float(intent.get("confidence") or 0.0) >= UNSURE_TOPIC):
        return None
    words = [word.strip(".,!?;:'\"()").lower() for word in str(parse_data.get("text") or "").split()]
    if not words or len(words) > CONTEXT_MAX_WORDS or not any(word in ANAPHORS for word in words):
        return None
    ranking = [item for item in parse_data.get("intent_ranking") or [] if item.get("name") != "nlu_fallback"]
    top = ranking[:CONTEXT_RANK]
    if any(str(item.get("name", "")).startswith("safety_") for item in top):
        return None
    for item in top:
        kind = kind_of(item.get("name"))
        if kind and float(item.get("confidence") or 0.0) >= CONTEXT_CONFIDENCE:
            return kind
    return None
