"""A parent's rating of an answer ("Had je hier iets aan?", wegwijs/feedback.py): the socket.io channel's
``feedback`` event against Wegwijs's real SQL tracker store (SQLite with our migrations) and Rasa's lock,
and the socket.io output that names the answer. The widget end to end is in tests/test_widget_e2e.py."""
from __future__ import annotations

import asyncio
import json
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import FailSafeTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from wegwijs import feedback
from wegwijs.channels import Guard, WegwijsSocketIO, WegwijsSocketIOOutput
from wegwijs.db import migrate
from wegwijs.lock_store import WegwijsLockStore
from wegwijs.settings import Settings
from wegwijs.tracker_store import WegwijsTrackerStore

ROOT = Path(__file__).resolve().parents[1]
ONE, OTHER = "a1" * 16, "b2" * 16


def run(coroutine):
    return asyncio.run(coroutine)


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain.yml"))


class FakeServer:
    """What the channel asks of python-socketio: each socket's session."""

    def __init__(self) -> None:
        self.sessions = {}

    async def get_session(self, sid, namespace=None):
        return self.sessions.get(sid)


def answered(domain, conversation, *answers, earlier_session=False):
    """A conversation in which the bot gave ``answers`` (answer ids; None: a message without one)."""
    events = [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")]
    for answer in answers:
        events += [UserUttered("een vraag", {"name": "care_sop", "confidence": 0.9}),
                   ActionExecuted("action_answer_topic"),
                   BotUttered("Een antwoord.", metadata={"answer_id": answer} if answer else {}),
                   ActionExecuted("action_listen")]
    if earlier_session:  # a new session began after the answers (an hour of silence)
        events += [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen"),
                   UserUttered("hoi", {"name": "greet", "confidence": 0.9}), ActionExecuted("action_greet"),
                   BotUttered("Hoi!"), ActionExecuted("action_listen")]
    return DialogueStateTracker.from_events(conversation, events, domain.slots)


@pytest.fixture
def chat(db_url, domain, monkeypatch):
    """Our socket.io channel on a real tracker store and Rasa's lock store; socket "s1" joined ONE."""
    monkeypatch.delenv("WEGWIJS_REDIS_URL", raising=False)
    migrate.upgrade(db_url)
    store = WegwijsTrackerStore(domain=domain)
    agent = SimpleNamespace(tracker_store=FailSafeTrackerStore(store), lock_store=WegwijsLockStore(), domain=domain)
    channel = WegwijsSocketIO.from_credentials({})
    channel.guard = Guard(Settings.from_env({"WEGWIJS_DB_URL": db_url, "WEGWIJS_CHAT_SECRET": "s" * 40}))
    channel.sio = FakeServer()
    channel.sio.sessions["s1"] = {"ip": "203.0.113.5", "conversation": ONE}
    channel.app = SimpleNamespace(ctx=SimpleNamespace(agent=agent))
    yield SimpleNamespace(channel=channel, store=store, agent=agent, engine=sa.create_engine(db_url))
    store.engine.dispose()


def rate(chat, data, sid="s1"):
    return run(chat.channel._feedback(sid, data))


def ratings_stored(chat, conversation=ONE):
    """The ``answer_feedback`` slot events of a conversation in Rasa's events table, oldest first."""
    with chat.engine.connect() as connection:
        rows = connection.execute(sa.text(
            "select data from events where sender_id = :s and type_name = 'slot' order by id"),
            {"s": conversation}).all()
    return [json.loads(row[0])["value"] for row in rows if json.loads(row[0])["name"] == "answer_feedback"]


def test_a_rating_is_a_slot_event_in_the_conversation(chat, domain):
    run(chat.store.save(answered(domain, ONE, "care_sop", None, "care_sop/cycle")))
    assert rate(chat, {"answer_id": "care_sop", "rating": "up"}) == {"status": "ok"}
    assert rate(chat, {"answer_id": "care_sop/cycle", "rating": "down"}) == {"status": "ok"}
    assert rate(chat, {"answer_id": "care_sop/cycle", "rating": "down", "reason": "incorrect"}) == {"status": "ok"}
    assert ratings_stored(chat) == [
        {"answer_id": "care_sop", "rating": "up", "reason": None},
        {"answer_id": "care_sop/cycle", "rating": "down", "reason": None},
        {"answer_id": "care_sop/cycle", "rating": "down", "reason": "incorrect"}]
    tracker = run(chat.store.retrieve(ONE))
    assert tracker.get_slot("answer_feedback") == {"answer_id": "care_sop/cycle", "rating": "down",
                                                   "reason": "incorrect"}
    assert tracker.latest_action_name == "action_listen"  # the bot did nothing; the next turn starts as usual
    with chat.engine.connect() as connection:
        pairs = [(row[0], json.loads(row[1]).get("value")) for row in connection.execute(sa.text(
            "select json_extract(data, '$.name'), data from events where sender_id = :s and type_name = 'slot'"
            " order by id"), {"s": ONE})]
    assert feedback.latest(pairs) == {"care_sop": {"rating": "up", "reason": None},
                                      "care_sop/cycle": {"rating": "down", "reason": "incorrect"}}


def test_an_answer_of_an_earlier_session_can_be_rated(chat, domain):
    run(chat.store.save(answered(domain, ONE, "care_opp:more", earlier_session=True)))
    assert rate(chat, {"answer_id": "care_opp:more", "rating": "up"}) == {"status": "ok"}
    assert ratings_stored(chat) == [{"answer_id": "care_opp:more", "rating": "up", "reason": None}]


def test_an_answer_the_bot_did_not_send_in_this_conversation_is_refused(chat, domain):
    run(chat.store.save(answered(domain, ONE, "care_sop", None)))
    run(chat.store.save(answered(domain, OTHER, "care_mentor")))
    for answer in ("care_mentor",  # sent, but in another conversation
                   "care_opp",  # never sent
                   "care_sop:more"):  # the short answer was sent, not the long one
        assert rate(chat, {"answer_id": answer, "rating": "up"}) == {"status": "refused"}, answer
    assert ratings_stored(chat) == [] and ratings_stored(chat, OTHER) == []


def test_a_conversation_without_messages_has_nothing_to_rate(chat):
    assert rate(chat, {"answer_id": "care_sop", "rating": "up"}) == {"status": "refused"}
    with chat.engine.connect() as connection:
        assert connection.execute(sa.text("select count(*) from events")).scalar() == 0


@pytest.mark.parametrize("data", [
    {"answer_id": "care_sop", "rating": "meh"},
    {"answer_id": "care_sop", "rating": "UP"},
    {"answer_id": "care_sop", "rating": 1},
    {"answer_id": "care_sop"},
    {"answer_id": "care_sop", "rating": "up", "reason": "incorrect"},  # a reason only with "down"
    {"answer_id": "care_sop", "rating": "down", "reason": "Mijn zoon Jan de Vries, 06-12345678"},  # no free text
    {"answer_id": "care_sop", "rating": "down", "reason": ["incorrect"]},
    {"answer_id": "Care SOP!", "rating": "up"},
    {"answer_id": "care_sop" * 30, "rating": "up"},
    {"answer_id": None, "rating": "up"},
    "care_sop up",
    None,
])
def test_a_bad_rating_is_refused_and_nothing_is_stored(chat, domain, data):
    run(chat.store.save(answered(domain, ONE, "care_sop")))
    assert rate(chat, data) == {"status": "refused"}
    assert ratings_stored(chat) == []
    with chat.engine.connect() as connection:
        assert "06-12345678" not in " ".join(row[0] for row in connection.execute(sa.text("select data from events")))


def test_only_the_conversation_the_socket_joined_with_its_secret(chat, domain):
    run(chat.store.save(answered(domain, ONE, "care_sop")))
    run(chat.store.save(answered(domain, OTHER, "care_sop")))
    chat.channel.sio.sessions["s2"] = {"ip": "203.0.113.6"}  # connected, never joined a conversation
    assert rate(chat, {"answer_id": "care_sop", "rating": "up", "session_id": OTHER}, sid="s2") == \
        {"status": "refused"}
    assert rate(chat, {"answer_id": "care_sop", "rating": "up"}, sid="unknown") == {"status": "refused"}
    # a conversation id in the payload is not read: the rating goes to the one socket s1 joined
    assert rate(chat, {"answer_id": "care_sop", "rating": "down", "session_id": OTHER,
                       "conversation": OTHER}) == {"status": "ok"}
    assert ratings_stored(chat, OTHER) == []
    assert ratings_stored(chat) == [{"answer_id": "care_sop", "rating": "down", "reason": None}]


def test_a_rating_waits_for_rasas_lock_on_the_conversation(chat, domain):
    """A rating and a message never write one tracker at the same time."""
    run(chat.store.save(answered(domain, ONE, "care_sop")))

    async def scenario():
        async with chat.agent.lock_store.lock(ONE):  # Rasa handling a message of this conversation
            pending = asyncio.ensure_future(chat.channel._feedback("s1", {"answer_id": "care_sop", "rating": "up"}))
            await asyncio.sleep(0.3)
            waiting = not pending.done() and ratings_stored(chat) == []
        return waiting, await asyncio.wait_for(pending, 10)

    assert run(scenario()) == (True, {"status": "ok"})
    assert len(ratings_stored(chat)) == 1


def test_a_storage_failure_is_not_ok(chat, domain):
    run(chat.store.save(answered(domain, ONE, "care_sop")))
    with chat.engine.begin() as connection:
        connection.execute(sa.text("ALTER TABLE events RENAME TO events_gone"))
    reply = rate(chat, {"answer_id": "care_sop", "rating": "up"})
    assert reply["status"] == "retry"


def test_ratings_are_rate_limited_apart_from_messages(chat, domain):
    run(chat.store.save(answered(domain, ONE, "care_sop")))
    limit = chat.channel.guard.settings.rate_per_conversation
    replies = [rate(chat, {"answer_id": "care_sop", "rating": "up" if n % 2 else "down"})["status"]
               for n in range(limit + 1)]
    assert replies == ["ok"] * limit + ["retry"]
    # the parent's messages have their own counter
    assert run(chat.channel.guard.limiter.wait_seconds(ONE, "203.0.113.5")) == 0


def test_the_socket_output_names_the_answer_of_a_message():
    sent = []

    class Server:
        async def emit(self, event, data, room=None):
            sent.append(data)

    output = WegwijsSocketIOOutput(Server(), "bot_uttered")
    answer = BotUttered("Een SOP is…", {"buttons": [{"title": "Meer weten", "payload": "/more_info"}]},
                        metadata={"answer_id": "care_sop"})
    run(output.send_response("room", answer.message()))
    run(output.send_response("room", BotUttered("Hoi!", metadata={}).message()))
    run(output.send_response("room", BotUttered("Rare id", metadata={"answer_id": "<script>"}).message()))
    run(output.send_response("room", BotUttered("Ik bel je.", metadata={
        "wegwijs_staff": {"name": "Sanne", "role": "mentor"}, "answer_id": "care_sop"}).message()))
    assert sent[0]["answer_id"] == "care_sop" and sent[0]["quick_replies"][0]["title"] == "Meer weten"
    assert [("answer_id" in data) for data in sent] == [True, False, False, False]
