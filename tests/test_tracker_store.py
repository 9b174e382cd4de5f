"""The tracker store reads a long conversation as snapshot + recent events (wegwijs/tracker_store.py).

Each test drives the store as Rasa does (retrieve, add events, save, on a real SQLite database with our
migrations) and compares with Rasa's own ``SQLTrackerStore`` reading the same table: the same slots, form,
pause and latest message, the same recent events and dialogue states, and every event stored exactly once.
"""
from __future__ import annotations

import asyncio
import json
import random
from pathlib import Path
from typing import List

import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (ActionExecuted, ActionReverted, ActiveLoop, BotUttered,
                                     ConversationPaused, ConversationResumed, Event, Restarted,
                                     SessionStarted, SlotSet, UserUttered, UserUtteranceReverted)
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.engine import make_url

from wegwijs.db import migrate
from wegwijs.tracker_store import MIN_RECENT_EVENTS, WegwijsTrackerStore

ROOT = Path(__file__).resolve().parents[1]
SENDER = "lange-conversatie-0001"
WINDOW = MIN_RECENT_EVENTS


def run(coroutine):
    return asyncio.run(coroutine)


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain.yml"))


@pytest.fixture
def stores(db_url, domain):
    """(ours with a small window, Rasa's own store) on one migrated SQLite database."""
    migrate.upgrade(db_url)
    ours = WegwijsTrackerStore(domain=domain, recent_events=WINDOW)
    rasas = SQLTrackerStore(domain, dialect="sqlite", db=make_url(db_url).database)
    yield ours, rasas
    ours.engine.dispose()
    rasas.engine.dispose()


class Conversation:
    """Random but Rasa-shaped turns: a parent's message, actions, slots, the form, pauses, undo."""

    def __init__(self, domain: Domain, seed: int) -> None:
        self.domain = domain
        self.random = random.Random(seed)
        self.clock = 1_800_000_000.0
        self.intents = sorted(domain.intents)
        self.actions = [name for name in domain.action_names_or_texts if name.startswith(("utter_", "action_"))]
        self.slots = [slot.name for slot in domain.slots if slot.name != "requested_slot"]
        self.sent: List[Event] = []  # every event added, in order (what must be stored)

    def stamp(self, event: Event) -> Event:
        self.clock += 0.01
        event.timestamp = self.clock
        return event

    def session_start(self, tracker: DialogueStateTracker) -> List[Event]:
        carried = [SlotSet(name, tracker.get_slot(name)) for name in ("school_id",)
                   if tracker.get_slot(name) is not None]
        return [ActionExecuted("action_session_start"), SessionStarted(), *carried,
                ActionExecuted("action_listen")]

    def turn(self, tracker: DialogueStateTracker) -> List[Event]:
        pick = self.random.random
        intent = self.random.choice(self.intents)
        events: List[Event] = [UserUttered(f"bericht {len(self.sent)}", {"name": intent, "confidence": 0.9})]
        if tracker.is_paused():
            if pick() < 0.3:
                events.append(ConversationResumed())
            else:
                return events
        if pick() < 0.05:
            events.append(UserUtteranceReverted())
            return events
        for _ in range(self.random.randint(1, 3)):
            events.append(ActionExecuted(self.random.choice(self.actions)))
            if pick() < 0.5:
                events.append(BotUttered(f"antwoord {len(self.sent)}"))
            if pick() < 0.4:
                value = None if pick() < 0.2 else f"waarde-{self.random.randint(0, 99)}"
                events.append(SlotSet(self.random.choice(self.slots), value))
        roll = pick()
        if roll < 0.08:
            events += [ActionExecuted("handover_form"), ActiveLoop("handover_form"),
                       SlotSet("requested_slot", "handover_question")]
        elif roll < 0.14:
            events += [ActiveLoop(None), SlotSet("requested_slot", None)]
        elif roll < 0.17:
            events.append(ConversationPaused())
        elif roll < 0.19:
            events.append(ActionReverted())
        elif roll < 0.195:
            events.append(Restarted())
        events.append(ActionExecuted("action_listen"))
        return events


def play(store: WegwijsTrackerStore, conversation: Conversation, turns: int, check=None) -> None:
    """``turns`` messages, each retrieve → update → save as Rasa's processor does."""
    for number in range(turns):
        tracker = run(store.retrieve(SENDER))
        if tracker is None:
            tracker = store.init_tracker(SENDER)
            new = conversation.session_start(tracker)
        elif number and number % 97 == 0:
            new = conversation.session_start(tracker)  # a new session in the same conversation
        else:
            new = conversation.turn(tracker)
        for event in new:
            tracker.update(conversation.stamp(event))
            conversation.sent.append(event)
        run(store.save(tracker))
        if check is not None:
            check(number)


def stored_events(store: SQLTrackerStore) -> List[dict]:
    with store.engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT data FROM events WHERE sender_id = :s ORDER BY id"),
                                  {"s": SENDER}).all()
    return [json.loads(data) for (data,) in rows]


def assert_same_conversation(ours: DialogueStateTracker, rasas: DialogueStateTracker, domain: Domain) -> None:
    assert ours.current_slot_values() == rasas.current_slot_values()
    assert ours.active_loop_name == rasas.active_loop_name
    assert ours.active_loop == rasas.active_loop
    assert ours.is_paused() == rasas.is_paused()
    assert ours.latest_message.text == rasas.latest_message.text
    assert ours.latest_message.intent == rasas.latest_message.intent
    assert ours.latest_action_name == rasas.latest_action_name
    assert ours.followup_action == rasas.followup_action
    tail = min(len(ours.events), 30)
    assert [e.as_dict() for e in list(ours.events)[-tail:]] == [e.as_dict() for e in list(rasas.events)[-tail:]]
    # what the policies see: the last turns' dialogue states (MemoizationPolicy uses 4 turns)
    ours_states, rasas_states = ours.past_states(domain), rasas.past_states(domain)
    assert ours_states[-10:] == rasas_states[-10:]


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_a_long_conversation_reads_as_with_rasas_store(stores, domain, seed):
    ours, rasas = stores
    conversation = Conversation(domain, seed)
    loaded: List[int] = []

    def check(number: int) -> None:
        mine = run(ours.retrieve(SENDER))
        loaded.append(len(mine.events))
        if number % 5 == 0 or number > 280:
            assert_same_conversation(mine, run(rasas.retrieve(SENDER)), domain)

    play(ours, conversation, 300, check)
    # nothing lost, nothing twice: the table holds exactly the events added, in order
    assert stored_events(ours) == [event.as_dict() for event in conversation.sent]
    # the tracker stays small: at most twice the window plus one turn and the snapshot's state
    assert max(loaded[150:]) <= 2 * WINDOW + 40
    assert len(conversation.sent) > 5 * WINDOW


def test_the_snapshot_belongs_to_one_session(stores, domain):
    ours, rasas = stores
    conversation = Conversation(domain, 7)
    play(ours, conversation, 80)
    with ours.engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM wegwijs_tracker_snapshots")).scalar() == 1
    tracker = run(ours.retrieve(SENDER))
    for event in conversation.session_start(tracker):
        tracker.update(conversation.stamp(event))
        conversation.sent.append(event)
    run(ours.save(tracker))
    fresh = run(ours.retrieve(SENDER))
    assert isinstance(list(fresh.events)[0], SessionStarted)  # the old snapshot no longer applies
    assert_same_conversation(fresh, run(rasas.retrieve(SENDER)), domain)
    assert stored_events(ours) == [event.as_dict() for event in conversation.sent]


def test_a_full_tracker_saved_again_adds_nothing(stores, domain):
    """Rasa saves the all-sessions tracker it reads for its API (Rasa's own store would store again the
    events of older sessions)."""
    ours, _ = stores
    conversation = Conversation(domain, 8)
    play(ours, conversation, 120)
    before = stored_events(ours)
    full = run(ours.retrieve_full_tracker(SENDER))
    run(ours.save(full))
    assert stored_events(ours) == before


def test_a_tracker_that_did_not_come_from_the_store_is_saved_as_rasa_does(stores, domain):
    ours, rasas = stores
    tracker = DialogueStateTracker(SENDER, domain.slots)
    tracker.update(ActionExecuted("action_listen"))
    tracker.update(UserUttered("hoi", {"name": "greet", "confidence": 1.0}))
    run(ours.save(tracker))
    tracker.update(ActionExecuted("action_greet"))
    run(ours.save(tracker))
    assert [e["event"] for e in stored_events(ours)] == ["action", "user", "action"]


def test_erasing_a_conversation_removes_its_snapshot(stores, domain, db_url):
    from wegwijs.transcripts import delete_conversations

    ours, _ = stores
    play(ours, Conversation(domain, 9), 80)
    engine = sa.create_engine(db_url)
    with engine.begin() as connection:
        assert delete_conversations(connection, [SENDER]) > 0
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM wegwijs_tracker_snapshots")).scalar() == 0
    assert run(ours.retrieve(SENDER)) is None


def test_without_our_migrations_it_reads_everything(db_url, domain):
    """No snapshot table (``wegwijs db upgrade`` not run): whole conversations, as Rasa's store."""
    store = WegwijsTrackerStore(domain=domain, recent_events=WINDOW)
    conversation = Conversation(domain, 10)
    play(store, conversation, 60)
    tracker = run(store.retrieve(SENDER))
    assert stored_events(store) == [event.as_dict() for event in conversation.sent]
    # every event since the session started (Rasa leaves out the action_session_start before it)
    assert [e.as_dict() for e in tracker.events] == [e.as_dict() for e in conversation.sent[1:]]


def test_the_session_intents_cover_what_the_window_leaves_out(stores, domain, db_url):
    """A crisis message early in a long conversation still makes a handover urgent."""
    from wegwijs.transcripts import session_intents

    ours, _ = stores
    conversation = Conversation(domain, 11)
    play(ours, conversation, 2)
    tracker = run(ours.retrieve(SENDER))
    tracker.update(UserUttered("ik ben bang thuis", {"name": "safety_child_unsafe", "confidence": 0.9}))
    tracker.update(ActionExecuted("action_listen"))
    run(ours.save(tracker))
    conversation.random.seed(12)
    play(ours, conversation, 60)
    window = run(ours.retrieve(SENDER))
    assert not any(getattr(e, "intent_name", None) == "safety_child_unsafe" for e in window.events)
    assert "safety_child_unsafe" in session_intents(sa.create_engine(db_url), SENDER)


def test_a_window_too_small_is_refused(db_url, domain):
    with pytest.raises(ValueError):
        WegwijsTrackerStore(domain=domain, recent_events=5)


def test_a_pause_and_a_form_before_the_window_are_kept(stores, domain):
    """Staff paused Wegwijs while the form was open, long ago: the window does not show it, the
    snapshot does."""
    ours, rasas = stores
    conversation = Conversation(domain, 13)
    play(ours, conversation, 3)
    tracker = run(ours.retrieve(SENDER))
    for event in [ActionExecuted("handover_form"), ActiveLoop("handover_form"),
                  SlotSet("requested_slot", "handover_class"), SlotSet("school_id", "het-baken"),
                  ConversationPaused(), ActionExecuted("action_listen")]:
        tracker.update(conversation.stamp(event))
    run(ours.save(tracker))
    for number in range(60):
        tracker = run(ours.retrieve(SENDER))
        for event in [UserUttered(f"nog een vraag {number}", {"name": "greet", "confidence": 1.0}),
                      ActionExecuted("action_listen")]:
            tracker.update(conversation.stamp(event))
        run(ours.save(tracker))
    mine = run(ours.retrieve(SENDER))
    assert len(mine.events) < 2 * WINDOW + 20
    events = list(mine.events)
    window = events[next(i for i, e in enumerate(events) if isinstance(e, ActionExecuted)):]
    assert not any(isinstance(event, (ConversationPaused, ActiveLoop)) for event in window)
    assert mine.is_paused() and mine.active_loop_name == "handover_form"
    assert mine.get_slot("school_id") == "het-baken"
    assert_same_conversation(mine, run(rasas.retrieve(SENDER)), domain)
