"""A parent's rating of an answer ("Had je hier iets aan?"), kept in the conversation itself.

- **Which answer.** The answer actions (``actions/answers.py``) send each answer with its id in the bot
  message's metadata (:data:`ANSWER_ID_KEY`: the topic's intent ``care_sop``, its longer answer
  ``care_sop:more``, or a question-level answer ``care_sop/cycle``). Rasa keeps it on the ``BotUttered``
  event; the socket.io channel sends it to the widget as ``answer_id``, the widget API's history too.
  Greetings, safety replies, refusals, "Bedoel je…?" and staff messages have none, so they are not rated.
- **The rating.** The widget sends ``{"answer_id", "rating": "up"|"down", "reason"?}`` over its socket;
  the channel (``wegwijs/channels.py``) checks it with :func:`parse` (a reason only with "down", and
  only one of :data:`REASONS`: never free text, so never personal data) and against the conversation the
  socket joined (the answer must have been sent in it), and appends ``SlotSet("answer_feedback", {…})``
  to that conversation's tracker. The slot (``domain.yml``) has no mapping the NLU could fill and does not
  influence the dialogue; the bot says nothing.
- **Where it lives.** In Rasa's ``events`` table with the rest of the conversation, so "Gesprek
  verwijderen" and retention remove it with the conversation; no table of its own.
- **Reading it back** (:func:`latest`): the latest rating per answer counts (a parent may change it; a
  reason after "👎" is a second event). Rasa repeats every ``SlotSet`` of a session at the start of the
  next one (``carry_over_slots_to_new_session``), so the same value can appear more than once: count
  ratings per conversation and answer, never events.
"""
from __future__ import annotations

import re
from typing import Any, Dict, Iterable, Optional, Tuple

#: the key of a bot message's metadata (and of the widget's messages) that names the answer
ANSWER_ID_KEY = "answer_id"
#: the slot that holds a rating (domain.yml)
SLOT = "answer_feedback"
RATINGS = ("up", "down")
#: why an answer did not help, as the widget offers it (the keys are stored, never text)
REASONS = {"incorrect": "klopt niet", "unclear": "snap ik niet", "other_question": "ik zocht iets anders"}
#: a topic's intent, optionally ``/question`` and/or ``:more``
ANSWER_ID = re.compile(r"^[a-z][a-z0-9_]{0,63}(/[a-z0-9_]{1,64})?(:more)?$")


def answer_id(intent: str, question: Optional[str] = None, more: bool = False) -> str:
    """The id of an answer: ``care_sop``, ``care_sop/cycle`` (question keys already hold the topic) or
    ``care_sop:more``."""
    return (question or intent) + (":more" if more else "")


def valid_answer_id(value: Any) -> bool:
    """Whether ``value`` looks like an answer id (whether the bot sent it is the channel's check)."""
    return isinstance(value, str) and bool(ANSWER_ID.fullmatch(value))


def parse(data: Any) -> Optional[Dict[str, Any]]:
    """The slot value for a rating sent by the widget, or None when it is not one we accept."""
    if not isinstance(data, dict):
        return None
    answer, rating, reason = data.get(ANSWER_ID_KEY), data.get("rating"), data.get("reason")
    if not valid_answer_id(answer) or rating not in RATINGS:
        return None
    if reason is not None and (rating != "down" or not isinstance(reason, str) or reason not in REASONS):
        return None
    return {ANSWER_ID_KEY: answer, "rating": rating, "reason": reason}


def from_slot(name: Any, value: Any) -> Optional[Tuple[str, Dict[str, Any]]]:
    """``(answer id, {"rating", "reason"})`` of a stored ``answer_feedback`` slot event, else None."""
    if name != SLOT:
        return None
    parsed = parse(value)
    if parsed is None:
        return None
    return parsed[ANSWER_ID_KEY], {"rating": parsed["rating"], "reason": parsed["reason"]}


def latest(slot_events: Iterable[Tuple[Any, Any]]) -> Dict[str, Dict[str, Any]]:
    """The latest rating per answer id from ``(slot name, value)`` pairs of one conversation, oldest first."""
    ratings: Dict[str, Dict[str, Any]] = {}
    for name, value in slot_events:
        found = from_slot(name, value)
        if found is not None:
            ratings[found[0]] = found[1]
    return ratings
