"""Export parents' messages from Rasa's tracker store for review, scrubbed before they are stored.

What is exported: every ``user`` event after the last export with the intent Rasa predicted, its
confidence and the first action the bot took next; when the bot then asked "Bedoel je…?" and the parent
chose a topic with a button, that topic too (``chosen_intent``: the review page offers it as the label). What is not: button payloads (text starting with
"/"), messages while staff handled the conversation (Rasa paused: those were written to a person), and
the answers inside the handover form (question, class, phone number: personal, and not intent examples).
When the parent rated the answer to a message 👎 ("Had je hier iets aan?", ``wegwijs.feedback``), the
message gets that rating and its reason (``rating``, ``rating_reason``): the review inbox shows it first.
The text goes through :func:`wegwijs.pii.scrub` in memory; only the scrubbed text reaches our tables.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Callable, Dict, Iterator, List, Optional, Set, Tuple

import sqlalchemy as sa
from sqlalchemy.orm import Session

from wegwijs import feedback, pii
from wegwijs import replies, replies_en
from wegwijs.db.models import RetrainExport, ReviewItem
from wegwijs.text import text_key
from wegwijs.transcripts import EVENTS

#: Loops whose answers are personal data, not things to learn intents from.
PRIVATE_LOOPS = ("handover_form",)
#: Actions that are not "what the bot did next".
NOT_AN_ANSWER = ("action_listen", "action_session_start", "action_unlikely_intent")
#: The bot did not understand: these come first in the review inbox.
FALLBACK_ACTIONS = ("action_fallback", "action_default_fallback", "utter_default",
                    "action_two_stage_fallback")
FALLBACK_INTENT = "nlu_fallback"
TYPES = ("user", "bot", "action", "active_loop", "pause", "resume", "session_started", "restart", "slot")
#: How "Bedoel je…?" starts (a question within a topic, or a topic), in each language.
CHOOSE_TEXTS = tuple({module.CHOOSE_TEXT for module in (replies, replies_en)}
                     | {module.CHOOSE_TOPIC_TEXT for module in (replies, replies_en)})
#: Buttons of "Bedoel je…?" that choose no topic.
NOT_A_CHOICE = ("deny", "talk_to_human", FALLBACK_INTENT)
CHUNK = 2000
#: how many bot messages back a rating's answer is looked for
RATED_LOOKBACK = 400
_PLACEHOLDER = re.compile(r"\[[A-Z]+\]")


@dataclass
class _Conversation:
    """What we need to know of one conversation while reading its events in order."""

    paused: bool = False
    private_loop: bool = False
    waiting: Optional[ReviewItem] = None  # a message whose next action we have not seen yet
    last: Optional[ReviewItem] = None  # the conversation's last exported message
    offered: Optional[ReviewItem] = None  # the message after which the bot asked "Bedoel je…?"
    #: answer id -> the parent's last exported message before that answer (for a rating later on)
    answered: Dict[str, ReviewItem] = field(default_factory=dict)


@dataclass
class ExportResult:
    """What one export did."""

    exported: int = 0
    skipped: Dict[str, int] = field(default_factory=dict)
    last_event_id: int = 0
    pii_found: Dict[str, int] = field(default_factory=dict)

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1


def group_key(scrubbed: str) -> str:
    """Near-duplicates share a key: folded words in order, numbers as 0, placeholders kept."""
    text = _PLACEHOLDER.sub(lambda m: f" {m.group(0).lower()} ", scrubbed)
    words = [re.sub(r"\d+", "0", word) for word in re.findall(r"\[[a-z]+\]|[a-z0-9]+", text_key(text))]
    kept = [word for number, word in enumerate(words)
            if not (word == "0" and number and words[number - 1] == "0")]  # "06-1234" is one number
    return " ".join(kept)[:255] or "(leeg)"


def last_exported_event(session: Session) -> int:
    """The id of the last tracker event an earlier export read (0 before the first)."""
    return session.execute(sa.select(sa.func.max(RetrainExport.last_event_id))).scalar() or 0


def _rows(session: Session, after: int, until: int) -> Iterator[Tuple[int, str, str, str]]:
    last = after
    while True:
        rows = session.execute(
            sa.select(EVENTS.c.id, EVENTS.c.sender_id, EVENTS.c.type_name, EVENTS.c.data)
            .where(EVENTS.c.id > last, EVENTS.c.id <= until, EVENTS.c.type_name.in_(TYPES))
            .order_by(EVENTS.c.id).limit(CHUNK)).all()
        if not rows:
            return
        yield from rows
        last = rows[-1][0]


def _state_before(session: Session, senders: Set[str], before: int) -> Dict[str, _Conversation]:
    """Whether each conversation was paused or inside the handover form when the export starts."""
    states = {sender: _Conversation() for sender in senders}
    if not senders or before <= 0:
        return states
    senders_list = sorted(senders)
    for start in range(0, len(senders_list), 500):
        rows = session.execute(
            sa.select(EVENTS.c.sender_id, EVENTS.c.type_name, EVENTS.c.data)
            .where(EVENTS.c.id <= before, EVENTS.c.sender_id.in_(senders_list[start:start + 500]),
                   EVENTS.c.type_name.in_(("pause", "resume", "active_loop", "session_started",
                                           "restart")))
            .order_by(EVENTS.c.id))
        for sender, type_name, data in rows:
            _apply(states[sender], type_name, _load(data))
    return states


def _load(data: Optional[str]) -> dict:
    try:
        payload = json.loads(data or "{}")
    except ValueError:
        return {}
    return payload if isinstance(payload, dict) else {}


def _apply(state: _Conversation, type_name: str, payload: dict) -> None:
    if type_name == "pause":
        state.paused = True
    elif type_name == "resume":
        state.paused = False
    elif type_name in ("session_started", "restart"):  # Rasa resets the tracker: no pause, no loop
        state.paused = False
        state.private_loop = False
    elif type_name == "active_loop":
        state.private_loop = payload.get("name") in PRIVATE_LOOPS


def export(session: Session, scrub: Callable[[str], List[pii.Span]] = pii.find,
           progress: Optional[Callable[[int], None]] = None) -> ExportResult:
    """Read the tracker events after the last export into review items (scrubbed); commit.

    ``progress`` is called with the number of events read so far (for a progress bar).
    """
    result = ExportResult()
    if not sa.inspect(session.get_bind()).has_table("events"):
        return result
    after = last_exported_event(session)
    until = session.execute(sa.select(sa.func.max(EVENTS.c.id))).scalar() or after
    result.last_event_id = until
    if until <= after:
        return result
    senders = {row[0] for row in session.execute(
        sa.select(EVENTS.c.sender_id).where(EVENTS.c.id > after, EVENTS.c.id <= until).distinct())}
    states = _state_before(session, senders, after)
    batch = RetrainExport(last_event_id=until)
    session.add(batch)
    session.flush()
    known = set(session.execute(sa.select(ReviewItem.event_id).where(ReviewItem.event_id > after))
                .scalars())
    read = 0
    for event_id, sender, type_name, data in _rows(session, after, until):
        read += 1
        if progress and read % 200 == 0:
            progress(read)
        state = states.setdefault(sender, _Conversation())
        payload = _load(data)
        if type_name == "action":
            name = payload.get("name") or ""
            if state.waiting is not None and name and name not in NOT_AN_ANSWER:
                state.waiting.next_action = name[:80]
                state.waiting.fallback = state.waiting.fallback or name in FALLBACK_ACTIONS
                state.waiting = None
            continue
        if type_name == "bot":
            if str(payload.get("text") or "").startswith(CHOOSE_TEXTS):
                state.offered = state.last
            answer = (payload.get("metadata") or {}).get(feedback.ANSWER_ID_KEY) \
                if isinstance(payload.get("metadata"), dict) else None
            if isinstance(answer, str) and state.last is not None:
                state.answered[answer] = state.last
            continue
        if type_name == "slot":
            rated = feedback.from_slot(payload.get("name"), payload.get("value"))
            if rated is not None:
                item = state.answered.get(rated[0]) or _rated_item(session, sender, event_id, rated[0])
                if item is not None:
                    _rate(item, rated[1])
            continue
        if type_name != "user":
            _apply(state, type_name, payload)
            continue
        state.waiting = None
        offered, state.offered = state.offered, None
        if offered is not None:
            _record_choice(offered, payload)
        item = _item(event_id, sender, payload, state, result, scrub)
        if item is None or event_id in known:
            continue
        item.export_id = batch.id
        session.add(item)
        state.waiting = state.last = item
        result.exported += 1
    if progress:
        progress(read)
    batch.exported = result.exported
    batch.skipped = sum(result.skipped.values())
    session.commit()
    return result


def _rated_item(session: Session, sender: str, before: int, answer_id: str) -> Optional[ReviewItem]:
    """The parent's last message (exported earlier) before the bot message that gave ``answer_id``."""
    answered_at = None
    for event_id, data in session.execute(
            sa.select(EVENTS.c.id, EVENTS.c.data)
            .where(EVENTS.c.sender_id == sender, EVENTS.c.type_name == "bot", EVENTS.c.id < before)
            .order_by(EVENTS.c.id.desc()).limit(RATED_LOOKBACK)):
        metadata = _load(data).get("metadata")
        if isinstance(metadata, dict) and metadata.get(feedback.ANSWER_ID_KEY) == answer_id:
            answered_at = event_id
            break
    if answered_at is None:
        return None
    return session.execute(
        sa.select(ReviewItem).where(ReviewItem.conversation_id == sender[:255],
                                    ReviewItem.event_id < answered_at)
        .order_by(ReviewItem.event_id.desc()).limit(1)).scalar_one_or_none()


def _rate(item: ReviewItem, rating: Dict[str, Optional[str]]) -> None:
    """A 👎 puts the message first in the review inbox (with its reason); a later 👍 takes it back."""
    down = rating.get("rating") == "down"
    item.rating = "down" if down else None
    item.rating_reason = rating.get("reason") if down else None


def _record_choice(item: ReviewItem, payload: dict) -> None:
    """The topic of the button the parent pressed after "Bedoel je…?" (a payload such as
    ``/care_opp{"question": "care_opp/consent"}``), unless it chose none ("iets anders", "praten")."""
    text = str(payload.get("text") or "")
    intent = ((payload.get("parse_data") or {}).get("intent") or {}).get("name")
    if text.startswith("/") and intent and intent not in NOT_A_CHOICE:
        item.chosen_intent = str(intent)[:80]


def _item(event_id: int, sender: str, payload: dict, state: _Conversation, result: ExportResult,
          find: Callable[[str], List[pii.Span]]) -> Optional[ReviewItem]:
    text = str(payload.get("text") or "").strip()
    if not text:
        result.skip("empty")
        return None
    if text.startswith("/"):
        result.skip("button")
        return None
    if state.paused:
        result.skip("to_staff")
        return None
    if state.private_loop:
        result.skip("handover_form")
        return None
    spans = find(text)
    scrubbed = pii.replace(text, spans)
    for span in spans:
        result.pii_found[span.type] = result.pii_found.get(span.type, 0) + 1
    intent = (payload.get("parse_data") or {}).get("intent") or {}
    name = str(intent.get("name") or "")[:80] or None
    confidence = intent.get("confidence")
    metadata = payload.get("metadata") or {}
    school = metadata.get("school_id") if isinstance(metadata, dict) else None
    return ReviewItem(
        event_id=event_id, conversation_id=sender[:255], text=scrubbed[:4000],
        school_id=str(school)[:64] if isinstance(school, str) else None,
        pii_types=",".join(sorted({span.type for span in spans}))[:120],
        predicted_intent=name,
        confidence=float(confidence) if isinstance(confidence, (int, float)) else None,
        fallback=name == FALLBACK_INTENT, group_key=group_key(scrubbed), status="pending")

