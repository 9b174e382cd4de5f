"""Rasa's SQL tracker store, configured from Wegwijs settings, reading only the recent part of long
conversations.

``endpoints.yml`` names this class, so the embedded default (SQLite under ``var/``) and PostgreSQL
(``WEGWIJS_DB_URL=postgresql://user:password@host:5432/wegwijs``) need no change to that file.

Why not Rasa's own ``SQLTrackerStore`` as it is: for every message it reads and decodes *every* event of
the conversation session, the policies then featurize that whole history, and the whole history goes to
the action server. A message therefore costs more the longer the conversation is (about 0.5 ms more per
turn, ``benchmarks/serving.py``). Rasa's ``max_event_history`` does not help: the store's ``save`` counts
the stored events to find the new ones, so a shortened tracker would stop being saved.

What this store does instead (the events table stays exactly Rasa's):

- **Window.** A tracker holds the last ``recent_events`` to ``2 × recent_events`` events of the session
  (default 120 to 240, at least 20 turns; ``recent_events: 0`` reads everything, as Rasa does).
- **Snapshot.** Whatever lies before the window is summed up in one row of
  ``wegwijs_tracker_snapshots``: the slots, the active form and whether staff paused Wegwijs, as they
  were after the last event before the window. A tracker begins with that state as events (``SlotSet``,
  ``ActiveLoop``, ``ConversationPaused``), so the policies and the actions see the same slots, form and
  pause as with the full history. The window always starts at a turn (the ``action_listen`` before a parent's message).
- **Saving** writes exactly the events added since the tracker was read (no counting), and moves the
  snapshot forward, in the same transaction, once the window has grown to twice its size. The lock
  store keeps one process per conversation at a time, so the row is never written by two at once.
- ``retrieve_full_tracker`` (Rasa's API, exports) still reads every event of every session.
- Retention and "Gesprek verwijderen" delete a conversation's snapshot with its events
  (``wegwijs.transcripts.delete_conversations``).

What a window does not show: messages older than it. Predictions need the last few turns (rules and
``MemoizationPolicy`` with ``max_history: 4``); actions that look at the whole session read the events
table instead (``wegwijs.transcripts.session_intents``, for a handover's urgency). The staff portal,
retraining and retention read the events table as before.
"""
from __future__ import annotations

import copy
import json
import logging
from collections import deque
from typing import Any, Dict, List, Optional, Sequence, Tuple

import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (ActionExecuted, ActiveLoop, ConversationPaused, Event,
                                     Restarted, SessionStarted, SlotSet, UserUttered)
from rasa.shared.core.trackers import DialogueStateTracker, TrackerActiveLoop
from rasa.shared.nlu.constants import INTENT_NAME_KEY

from wegwijs import rasa_private
from wegwijs.db.engine import prepare_sqlite_path
from wegwijs.db.models import TrackerSnapshot
from wegwijs.settings import Settings

__all__ = ["WegwijsTrackerStore", "prepare_sqlite_path", "DEFAULT_RECENT_EVENTS"]

logger = logging.getLogger(__name__)

rasa_private.apply_speed_fixes()

#: Events kept after the snapshot when it moves (about 20 turns of a Wegwijs conversation).
DEFAULT_RECENT_EVENTS = 120
#: Fewer would not leave the policies and the handover form enough history.
MIN_RECENT_EVENTS = 40

#: What this store notes on the trackers it hands out (:func:`wegwijs.rasa_private.note`).
_STORED = "stored"       # how many of tracker.events are in the database (or the snapshot)
_IDS = "event_ids"       # database ids of tracker.events[len(prefix):stored]
_BASE = "base"           # (session_event_id, state, prefix length) the tracker began with

SNAPSHOTS = TrackerSnapshot.__table__


class WegwijsTrackerStore(SQLTrackerStore):
    """SQL tracker store whose database comes from :class:`wegwijs.settings.Settings` and that reads
    long conversations from a snapshot plus their recent events (module docstring)."""

    def __init__(
        self,
        domain: Optional[Domain] = None,
        host: Optional[str] = None,
        event_broker: Optional[EventBroker] = None,
        recent_events: Optional[int] = None,
        **kwargs: Any,
    ) -> None:
        db_url = Settings.from_env().db_url
        prepare_sqlite_path(db_url)
        kwargs = {key: value for key, value in kwargs.items() if key not in {"url", "dialect", "db"}}
        super().__init__(domain=domain, host=db_url, event_broker=event_broker, **kwargs)
        window = DEFAULT_RECENT_EVENTS if recent_events is None else int(recent_events)
        if window and window < MIN_RECENT_EVENTS:
            raise ValueError(f"recent_events must be 0 (read everything) or at least {MIN_RECENT_EVENTS}")
        self.recent_events = window
        self._snapshots_ready: Optional[bool] = None

    def _windowed(self, session: Any) -> bool:
        """Whether to read and write snapshots: a window is set and our migrations made the table.
        Without the table (``wegwijs db upgrade`` not run) the store reads everything, as Rasa does."""
        if not self.recent_events:
            return False
        if self._snapshots_ready is None:
            self._snapshots_ready = sa.inspect(session.connection()).has_table(SNAPSHOTS.name)
            if not self._snapshots_ready:
                logger.warning("table %s is missing (run `wegwijs db upgrade`): reading whole "
                               "conversations", SNAPSHOTS.name)
        return self._snapshots_ready

    # -- reading ---------------------------------------------------------------------------------

    async def retrieve(self, sender_id: str) -> Optional[DialogueStateTracker]:
        """The tracker of the latest session: snapshot state, then the events after it."""
        with self.session_scope() as session:
            session_event_id = self._session_event_id(session, sender_id)
            snapshot = None
            if self._windowed(session):
                snapshot = session.execute(
                    sa.select(SNAPSHOTS.c.session_event_id, SNAPSHOTS.c.last_event_id, SNAPSHOTS.c.state)
                    .where(SNAPSHOTS.c.sender_id == sender_id)).first()
                if snapshot is not None and snapshot.session_event_id != session_event_id:
                    snapshot = None  # a new session began after it: its state no longer applies
            after = snapshot.last_event_id if snapshot is not None else session_event_id - 1
            rows = session.execute(
                sa.select(self.SQLEvent.id, self.SQLEvent.data)
                .where(self.SQLEvent.sender_id == sender_id, self.SQLEvent.id > after)
                .order_by(self.SQLEvent.id)).all()
        if not self.domain or (not rows and snapshot is None):
            return None
        state = json.loads(snapshot.state) if snapshot is not None else None
        tracker, prefix_length = self._tracker_from(sender_id, state)
        ids: List[int] = []
        for event_id, data in rows:
            event = Event.from_parameters(json.loads(data))
            if event is None:
                continue
            tracker.update(event)
            ids.append(event_id)
        rasa_private.note(tracker, _STORED, len(tracker.events))
        rasa_private.note(tracker, _IDS, ids)
        rasa_private.note(tracker, _BASE, (session_event_id, state, prefix_length))
        return tracker

    async def retrieve_full_tracker(self, conversation_id: str) -> Optional[DialogueStateTracker]:
        """Every event of every session (Rasa's behaviour); saving it adds only what is new."""
        tracker = await super().retrieve_full_tracker(conversation_id)
        if tracker is not None:
            rasa_private.note(tracker, _STORED, len(tracker.events))
        return tracker

    def _session_event_id(self, session: Any, sender_id: str) -> int:
        """Id of the conversation's latest ``session_started`` event (0 when it has none)."""
        found = session.execute(
            sa.select(sa.func.max(self.SQLEvent.id))
            .where(self.SQLEvent.sender_id == sender_id,
                   self.SQLEvent.type_name == SessionStarted.type_name)).scalar()
        return int(found or 0)

    # -- writing ---------------------------------------------------------------------------------

    async def stream_events(self, tracker: DialogueStateTracker) -> None:
        """Publish the events added since the tracker was read (when an event broker is configured)."""
        if self.event_broker is None:
            return None
        stored = rasa_private.noted(tracker, _STORED, None)
        if stored is None:
            return await super().stream_events(tracker)
        await rasa_private.stream_new_events(self, self.event_broker, list(tracker.events)[stored:],
                                             tracker.sender_id)

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Store the new events; move the snapshot forward when the window has doubled."""
        await self.stream_events(tracker)
        events = list(tracker.events)
        with self.session_scope() as session:
            stored = rasa_private.noted(tracker, _STORED, None)
            new_events = (events[stored:] if stored is not None
                          else list(rasa_private.additional_events(self, session, tracker)))
            rows = [self._row(tracker.sender_id, event) for event in new_events]
            session.add_all(rows)
            if rows:
                session.flush()
            base = rasa_private.noted(tracker, _BASE, None)
            ids = rasa_private.noted(tracker, _IDS, []) + [row.id for row in rows]
            if base is not None and self._windowed(session):
                self._move_snapshot(session, tracker, events, ids, base)
            session.commit()
        rasa_private.note(tracker, _STORED, len(events))
        rasa_private.note(tracker, _IDS, ids)
        logger.debug("tracker %s stored (%d new events)", tracker.sender_id, len(new_events))

    def _row(self, sender_id: str, event: Event) -> Any:
        data = event.as_dict()
        return self.SQLEvent(
            sender_id=sender_id,
            type_name=event.type_name,
            timestamp=data.get("timestamp"),
            intent_name=data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
            action_name=data.get("name"),
            data=json.dumps(data),
        )

    def _move_snapshot(self, session: Any, tracker: DialogueStateTracker, events: Sequence[Event],
                       ids: Sequence[int], base: Tuple[int, Optional[Dict[str, Any]], int]) -> None:
        """When more than ``2 × recent_events`` events follow the snapshot, sum up all but the last
        ``recent_events`` (cut before a parent's message) in a new snapshot."""
        session_event_id, state, prefix_length = base
        if len(events) - prefix_length != len(ids) or len(ids) <= 2 * self.recent_events:
            return
        window = list(events[prefix_length:])
        if any(isinstance(event, SessionStarted) for event in window[1:]):
            return  # a new session within this tracker: the next read starts from it
        cut = _cut_before_user_message(window, len(window) - self.recent_events)
        if cut is None or not (_undo_stays_within(window[:cut]) and _undo_stays_within(window[cut:])):
            return  # a rewind would reach across the cut: keep the old snapshot for now
        replay, _ = self._tracker_from(tracker.sender_id, state)
        for event in window[:cut]:
            replay.update(event)
        session.merge(TrackerSnapshot(sender_id=tracker.sender_id, session_event_id=session_event_id,
                                      last_event_id=ids[cut - 1], state=json.dumps(_state_of(replay))))

    def _tracker_from(self, sender_id: str, state: Optional[Dict[str, Any]]
                      ) -> Tuple[DialogueStateTracker, int]:
        """A new tracker in a snapshot's ``state`` (none: empty), and how many events that took."""
        tracker = self.init_tracker(sender_id)
        prefix = _state_events(state, tracker) if state else []
        for event in prefix:
            tracker.update(event)
        return tracker, len(prefix)


def _cut_before_user_message(window: Sequence[Event], at_most: int) -> Optional[int]:
    """The last index ≤ ``at_most`` (and > 0) where a turn starts: the ``action_listen`` right before a
    parent's message. (Rasa's rewind undoes back to the action before the latest message, so that action
    must be in the window.)"""
    for index in range(min(at_most, len(window) - 2), 0, -1):
        if isinstance(window[index], ActionExecuted) and isinstance(window[index + 1], UserUttered):
            return index
    return None


def _undo_stays_within(events: Sequence[Event]) -> bool:
    """Whether Rasa's rewinds and undos (``UserUtteranceReverted``, ``ActionReverted``) among ``events``
    leave their first event in place, so that what came before it never matters to them (a restart or a
    new session also settles it). Uses Rasa's own ``applied_events`` on the events as they are."""
    if not events:
        return True
    if any(isinstance(event, (Restarted, SessionStarted)) for event in events):
        return True
    probe = DialogueStateTracker("wegwijs-probe", [])
    probe.events = deque(events)
    applied = probe.applied_events()
    return bool(applied) and applied[0] is events[0]


def _state_of(tracker: DialogueStateTracker) -> Dict[str, Any]:
    """The part of a tracker's state that outlives its events: slots that differ from their initial
    value, the active form (``active_loop`` as Rasa keeps it) and the pause."""
    slots = {name: slot.value for name, slot in tracker.slots.items()
             if slot.value != slot.initial_value}
    loop = tracker.active_loop if tracker.active_loop_name else None
    active_loop = None if loop is None else {
        "name": loop.name, "is_interrupted": loop.is_interrupted, "rejected": loop.rejected,
        "trigger_message": loop.trigger_message}
    return {"slots": slots, "active_loop": active_loop, "paused": tracker.is_paused()}


class _SnapshotLoop(ActiveLoop):
    """The snapshot's active loop as an event: like Rasa's ``ActiveLoop`` (same type and data), but it
    gives the tracker the loop exactly as it was (Rasa's would take the trigger message from the
    tracker's latest message and reset the flags), also when a rewind makes the tracker replay its
    events. Only ever at the start of a tracker; never stored."""

    def __init__(self, loop: Dict[str, Any]) -> None:
        super().__init__(loop["name"])
        self._loop = loop

    def apply_to(self, tracker: DialogueStateTracker) -> None:
        tracker.active_loop = TrackerActiveLoop(
            self._loop["name"], bool(self._loop.get("is_interrupted")), bool(self._loop.get("rejected")),
            copy.deepcopy(self._loop.get("trigger_message")))


def _state_events(state: Dict[str, Any], tracker: DialogueStateTracker) -> List[Event]:
    """Events that give a new tracker ``state`` (slots the domain no longer has are left out)."""
    events: List[Event] = [SlotSet(name, value) for name, value in (state.get("slots") or {}).items()
                           if name in tracker.slots]
    loop = state.get("active_loop") or {}
    if loop.get("name"):
        events.append(_SnapshotLoop(loop))
    if state.get("paused"):
        events.append(ConversationPaused())
    return events

