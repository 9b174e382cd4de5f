"""Whole conversations scored turn by turn (issue 19; benchmarks/conversations.py, tests/test_conversations_blind.py).

Each turn of a conversation in ``tests/conversations_blind/conversations.yml`` says what should happen:
a new topic, a follow-up on the conversation's topic, a question about the chat, a crisis, an age or a
basic reply. The turn's text is parsed by the trained model (Rasa's own Agent); the conversation state
Wegwijs keeps between turns (the topic slot, the language slot) is followed exactly as the actions and
slot mappings keep it, since every rule maps one intent to one action. A turn is right when the answer
Wegwijs gives is the expected one, in the conversation's language:

* ``topic``: the topic intent, or "Bedoel je…?" (a fallback) that offers it among its buttons;
* ``topic`` + ``followup``: the follow-up intent of that kind while the conversation is about that topic,
  or the topic the follow-up map names for it (``kan ik daar bezwaar tegen maken`` straight to the
  objection topic is also right);
* ``privacy``: that privacy intent (any privacy intent for ``general``);
* ``crisis``: a safety intent (help lines first), or a fallback judged in doubt (help lines first);
* ``age``: an age reply (``inform_age``, or a number where the age was asked);
* ``basic``: that intent.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import yaml

from wegwijs import followups, safety, topic_choice
from wegwijs.content import ContentLibrary, MORE

FALLBACK = "nlu_fallback"


@dataclass
class TurnResult:
    """One scored turn."""

    conversation: str
    language: str
    text: str
    expect: Dict[str, Any]
    intent: str
    answered_in: str
    right: bool
    kind: str


@dataclass
class Score:
    """All turns of a set."""

    turns: List[TurnResult] = field(default_factory=list)

    def rate(self, predicate: Callable[[TurnResult], bool] = lambda turn: True) -> float:
        chosen = [turn for turn in self.turns if predicate(turn)]
        return sum(turn.right for turn in chosen) / len(chosen) if chosen else float("nan")

    def count(self, predicate: Callable[[TurnResult], bool] = lambda turn: True) -> int:
        return sum(1 for turn in self.turns if predicate(turn))


def load(path: Path) -> List[Dict[str, Any]]:
    """The conversations of a set."""
    return yaml.safe_load(Path(path).read_text(encoding="utf-8"))["conversations"]


def kind_of(expect: Dict[str, Any]) -> str:
    """``topic``, ``followup``, ``privacy``, ``crisis``, ``age`` or ``basic``."""
    if "followup" in expect:
        return "followup"
    for kind in ("topic", "privacy", "crisis", "age", "basic"):
        if kind in expect:
            return kind
    return "other"


def _language_after(parse: Dict[str, Any], current: str) -> str:
    for entity in parse.get("entities") or []:
        if entity.get("entity") == "language":
            return str(entity.get("value"))
    return current


def score(conversations: List[Dict[str, Any]], parse: Callable[[str], Dict[str, Any]],
          library: ContentLibrary) -> Score:
    """Score every turn of ``conversations`` with ``parse`` (text -> Rasa parse data)."""
    result = Score()
    for conversation in conversations:
        topic: Optional[str] = None
        language = "nl"
        asked_age = False
        for turn in conversation["turns"]:
            expect = turn["expect"]
            data = parse(turn["text"])
            language = _language_after(data, language)
            intent = (data.get("intent") or {}).get("name") or FALLBACK
            # what the actions do with an unsure message in a conversation about a topic
            crisis = intent.startswith("safety_") or (intent == FALLBACK and safety.in_doubt(data))
            context_kind = None if crisis else followups.in_context(dict(data, text=turn["text"]), topic)
            if context_kind and intent != topic and (intent == FALLBACK or library.get(intent) is not None
                                                     or followups.kind_of(intent)):
                intent = f"followup_{context_kind}"
            kind = kind_of(expect)
            offered = topic_choice.options(data, library) if intent == FALLBACK else []
            right = False
            if kind == "topic":
                right = intent == expect["topic"] or expect["topic"] in offered
            elif kind == "followup":
                wanted_kind = expect["followup"]
                target = library.followup(expect["topic"], wanted_kind)
                right = ((intent == f"followup_{wanted_kind}" and topic == expect["topic"])
                         or (target not in (None, MORE) and intent == target.split("/")[0]
                             and target.split("/")[0] != expect["topic"]))
                # a follow-up answered as its own topic is right only when that is the mapped target
            elif kind == "privacy":
                right = intent == f"privacy_{expect['privacy']}" or (
                    expect["privacy"] == "general" and intent.startswith("privacy_"))
            elif kind == "crisis":
                right = intent.startswith("safety_") or (intent == FALLBACK and safety.in_doubt(data))
            elif kind == "age":
                right = intent == "inform_age" or (asked_age and intent in ("inform_age", FALLBACK)
                                                   and any(ch.isdigit() for ch in turn["text"]))
            elif kind == "basic":
                right = intent == expect["basic"]
            expected_language = conversation.get("language", "nl")
            if kind not in ("crisis", "basic") and language != expected_language:
                right = False
            result.turns.append(TurnResult(conversation["id"], expected_language, turn["text"], expect,
                                           intent, language, right, kind))
            # the conversation state the actions keep
            if library.get(intent) is not None:
                topic = intent
                asked_age = library.get(intent).needs_age
            elif intent.startswith(followups.PREFIX) and topic:
                resolved = followups.resolve(library, topic, intent[len(followups.PREFIX):])
                if resolved.kind == "topic":
                    topic = resolved.key
            elif intent == "inform_age":
                asked_age = False
    return result
