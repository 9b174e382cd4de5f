"""The chat channels' checks (wegwijs/chat_guard.py), loud storage and the lock store (wegwijs/channels.py,
wegwijs/lock_store.py). Real SQLite and a real Redis server; the channels end to end are in
tests/test_hardening.py."""
from __future__ import annotations

import asyncio
import uuid
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ConversationPaused, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from support import free_port
from wegwijs import chat_guard
from wegwijs.chat_guard import (ConversationKeys, EMPTY, MAX_CHARS, NO_REPLY, TOO_LONG, UNAVAILABLE, RateLimiter, SeenMessages,
                                clean_metadata, clean_text, inspect, valid_conversation_id)
from wegwijs.channels import Guard, NotStoring, StorageFailure, button_intents, make_storage_loud
from wegwijs.lock_store import WegwijsLockStore
from wegwijs.settings import Settings
from wegwijs.tracker_store import WegwijsTrackerStore

KEYS = ConversationKeys("a test key of at least thirty-two characters")

INTENTS = ["affirm", "deny", "talk_to_human", "more_info", "inform_age", "care_mentor"]


def run(coroutine):
    return asyncio.run(coroutine)


# ---------------------------------------------------------------- ids, text, metadata

@pytest.mark.parametrize("value", [uuid.uuid4().hex, "test-0123456789ab", "A" * 64, "abc_DEF-123456789"])
def test_good_conversation_ids(value):
    assert valid_conversation_id(value)


@pytest.mark.parametrize("value", [None, "", "default", "t1", "A" * 65, "abc def 1234567890",
                                   "../../etc/passwd-xx", "0123456789abcdef\n", 12345678901234567, ["x" * 20]])
def test_bad_conversation_ids(value):
    assert not valid_conversation_id(value)


def test_text_loses_control_characters_and_lone_surrogates_but_keeps_lines_and_emoji():
    assert clean_text("ho\x00i\x1b[31m daar\x7f") == "hoi[31m daar"
    assert clean_text("regel 1\nregel 2\tmet tab") == "regel 1\nregel 2\tmet tab"
    assert clean_text("kapot \ud800 teken") == "kapot \ufffd teken"
    assert clean_text("👨‍👩‍👧 gezin 😀") == "👨‍👩‍👧 gezin 😀"
    assert clean_text("cafe\u0301") == "café"  # NFC
    assert clean_text("  \n ") == ""


def test_only_known_metadata_is_kept():
    kept = clean_metadata({"school_id": "het-baken", "client_message_id": "m1", "button": True,
                           "is_staff": True, "wegwijs_staff": {"name": "X"}, "ip": "1.2.3.4"})
    assert kept == {"school_id": "het-baken", "client_message_id": "m1", "button": True}
    assert clean_metadata({"school_id": "../Het Baken", "button": "true", "client_message_id": "x" * 101}) == {}
    assert clean_metadata('{"school_id": "de-kompas"}') == {"school_id": "de-kompas"}
    assert clean_metadata("geen json") == {} and clean_metadata(None) == {} and clean_metadata([1]) == {}


# ---------------------------------------------------------------- "/" payloads

BUTTON = {"button": True}


@pytest.mark.parametrize("typed, read_as", [
    ("/talk_to_human", "talk_to_human"),
    ("/affirm", "affirm"),
    ("//affirm", "affirm"),
    ("/ ik wil iemand spreken", "ik wil iemand spreken"),
    ('/inform_age{"age_band": "age_16_plus"}', 'inform_age{"age_band": "age_16_plus"}'),
    ("/restart", "restart"),
])
def test_typed_text_starting_with_a_slash_is_read_as_words(typed, read_as):
    verdict = inspect(typed, {"school_id": "het-baken"}, INTENTS)
    assert verdict.refusal is None and verdict.text == read_as


@pytest.mark.parametrize("payload", ["/talk_to_human", "/affirm", "/care_mentor",
                                     '/inform_age{"age_band": "age_16_plus"}',
                                     '/inform_age{"age_band":"age_under_12"}'])
def test_button_payloads_the_bot_offers_pass(payload):
    assert inspect(payload, BUTTON, INTENTS).text == payload


@pytest.mark.parametrize("payload", [
    "/restart",                                                   # Rasa's own intent: forgets the conversation
    "/session_start",
    "/not_an_intent",
    '/talk_to_human{"handover_consent": true}',                   # sets a slot
    '/inform_age{"age_band": "age_16_plus", "school_id": "x"}',   # a second entity
    '/inform_age{"age_band": "volwassen"}',                       # not an age band
    '/inform_age{"age_band": "age_16_plus"',                      # broken JSON
    '/affirm{"school_id": "de-kompas"}',
])
def test_other_payloads_are_disarmed_even_from_a_button(payload):
    verdict = inspect(payload, BUTTON, INTENTS)
    assert not verdict.text.startswith("/")
    assert verdict.text == payload.lstrip("/")


def test_button_intents_leave_out_rasas_own():
    domain = Domain.from_dict({"intents": ["affirm", "talk_to_human"]})
    intents = button_intents(SimpleNamespace(domain=domain))
    assert set(intents) == {"affirm", "talk_to_human"}  # not restart, back, session_start, nlu_fallback …


@pytest.mark.parametrize("raw", [None, 5, {"text": "hoi"}, "", "   ", "/", " / / ", "\x00\x01"])
def test_empty_messages_get_a_dutch_explanation(raw):
    assert inspect(raw, {}, INTENTS).refusal == EMPTY


def test_length_limit():
    assert inspect("a" * MAX_CHARS, {}, INTENTS).refusal is None
    assert inspect("a" * (MAX_CHARS + 1), {}, INTENTS).refusal == TOO_LONG
    assert inspect("x" * 10_000, {}, INTENTS).refusal == TOO_LONG
    assert str(MAX_CHARS) in TOO_LONG


def test_refusals_are_dutch_and_point_to_112_when_the_parent_cannot_go_on():
    for text in (chat_guard.TOO_MANY, UNAVAILABLE, NO_REPLY):
        assert "112" in text
    assert "niet bewaard" in UNAVAILABLE and "wel bewaard" in NO_REPLY


# ---------------------------------------------------------------- rate limits

class Clock:
    def __init__(self, now: float = 1_000_020.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_rate_limit_per_conversation_in_memory():
    clock = Clock()
    limiter = RateLimiter(per_conversation=3, per_ip=0, clock=clock, keys=KEYS)
    assert [run(limiter.wait_seconds("conv-a" * 3, "1.2.3.4")) for _ in range(3)] == [0, 0, 0]
    wait = run(limiter.wait_seconds("conv-a" * 3, "1.2.3.4"))
    assert 1 <= wait <= 60
    assert run(limiter.wait_seconds("conv-b" * 3, "1.2.3.4")) == 0  # another conversation
    clock.now += 60
    assert run(limiter.wait_seconds("conv-a" * 3, "1.2.3.4")) == 0  # a new minute


def test_rate_limit_per_ip_in_memory():
    limiter = RateLimiter(per_conversation=0, per_ip=2, clock=Clock(), keys=KEYS)
    assert run(limiter.wait_seconds("c" * 16, "10.0.0.1")) == 0
    assert run(limiter.wait_seconds("d" * 16, "10.0.0.1")) == 0
    assert run(limiter.wait_seconds("e" * 16, "10.0.0.1")) > 0
    assert run(limiter.wait_seconds("e" * 16, "10.0.0.2")) == 0
    assert run(limiter.wait_seconds("e" * 16, None)) == 0  # no address known: only the conversation counts


def test_no_limits_when_switched_off():
    limiter = RateLimiter(per_conversation=0, per_ip=0, clock=Clock(), keys=KEYS)
    assert all(run(limiter.wait_seconds("c" * 16, "10.0.0.1")) == 0 for _ in range(500))


def test_rate_limits_in_redis_are_shared_by_processes(redis_server):
    clock = Clock(2_000_010.0)
    first, second = (RateLimiter(2, 0, redis_server.url, clock=clock, keys=KEYS) for _ in range(2))
    conversation = uuid.uuid4().hex

    async def scenario():
        return [await first.wait_seconds(conversation, "1.1.1.1"),
                await second.wait_seconds(conversation, "1.1.1.1"),
                await first.wait_seconds(conversation, "1.1.1.1")]

    results = run(scenario())
    assert results[:2] == [0, 0] and results[2] > 0


def test_rate_limits_let_messages_through_when_redis_is_down():
    limiter = RateLimiter(1, 1, f"redis://127.0.0.1:{free_port()}/0", clock=Clock(), keys=KEYS)
    assert [run(limiter.wait_seconds("c" * 16, "1.1.1.1")) for _ in range(3)] == [0, 0, 0]


def test_redis_keeps_no_ip_address(redis_server):
    """Finding 9 of the security review: the IP hash had no secret salt, so anyone reading Redis could
    hash all 2^32 IPv4 addresses and find a parent's. Now it is keyed with WEGWIJS_CHAT_SECRET."""
    import hashlib

    import redis

    client = redis.Redis.from_url(redis_server.url)
    names = []
    for key in (KEYS, ConversationKeys("another secret of at least 32 chars")):
        client.flushdb()
        run(RateLimiter(5, 5, redis_server.url, keys=key).wait_seconds("c" * 16, "203.0.113.77"))
        names.append(sorted(name.decode() for name in client.keys("wegwijs:rate:ip:*")))
    assert names[0] and names[0] != names[1]  # without the key, the name cannot be computed
    unsalted = hashlib.sha256(b"wegwijs-rate:ip:203.0.113.77").hexdigest()[:24]
    assert not any("203.0.113.77" in name or unsalted in name for name in names[0])


def test_conversation_secrets():
    conversation, secret = KEYS.issue()
    assert chat_guard.valid_conversation_id(conversation) and len(secret) >= 43  # 256 bits
    assert KEYS.check(conversation, secret)
    assert not KEYS.check(conversation, secret[:-1] + ("A" if secret[-1] != "A" else "B"))
    assert not KEYS.check(conversation, None) and not KEYS.check(conversation, "")
    assert not KEYS.check(KEYS.issue()[0], secret)  # another conversation's secret
    assert not ConversationKeys("another secret of at least 32 chars").check(conversation, secret)
    assert not KEYS.check("kort", KEYS.secret("kort"))
    assert KEYS.issue()[0] != conversation
    with pytest.raises(ValueError, match="WEGWIJS_CHAT_SECRET"):
        ConversationKeys("te kort")
    with pytest.raises(ValueError, match="WEGWIJS_CHAT_SECRET"):
        Guard(Settings.from_env({}))


def test_the_network_is_the_ipv4_address_or_the_ipv6_slash_64_and_changes_daily():
    day = "2026-12-04"
    assert KEYS.network("2001:db8:1:2::1", day) == KEYS.network("2001:db8:1:2:ffff:1:2:3", day)
    assert KEYS.network("2001:db8:1:2::1", day) != KEYS.network("2001:db8:1:3::1", day)
    assert KEYS.network("203.0.113.7", day) != KEYS.network("203.0.113.8", day)
    assert KEYS.network("::ffff:203.0.113.7", day) == KEYS.network("203.0.113.7", day)
    assert KEYS.network("203.0.113.7", day) != KEYS.network("203.0.113.7", "2026-12-05")
    assert KEYS.network("203.0.113.7", day) != ConversationKeys("b" * 40).network("203.0.113.7", day)
    assert KEYS.network(None) is None and KEYS.network("geen adres") is None
    assert "203.0.113" not in KEYS.network("203.0.113.7")


# ---------------------------------------------------------------- each message once

@pytest.mark.parametrize("where", ["memory", "redis"])
def test_seen_messages(where, request):
    url = request.getfixturevalue("redis_server").url if where == "redis" else None
    conversation = uuid.uuid4().hex

    async def scenario():
        seen, other_process = SeenMessages(url), SeenMessages(url)
        states = [await seen.start(conversation, "m1")]
        states.append(await (other_process if url else seen).start(conversation, "m1"))  # being processed
        await seen.failed(conversation, "m1")
        states.append(await seen.start(conversation, "m1"))  # failed: may be processed again
        await seen.done(conversation, "m1")
        states.append(await (other_process if url else seen).start(conversation, "m1"))
        states.append(await seen.start(uuid.uuid4().hex, "m1"))  # another conversation
        return states

    assert run(scenario()) == ["new", "busy", "new", "done", "new"]


def test_seen_messages_in_memory_are_bounded():
    seen = SeenMessages()
    seen.SIZE = 3

    async def scenario():
        for number in range(5):
            await seen.start("c" * 16, str(number))
        return await seen.start("c" * 16, "0")

    assert run(scenario()) == "new"  # the oldest fell out


# ---------------------------------------------------------------- loud storage (RasaHQ/rasa#3243)

@pytest.fixture
def broken_store(db_url):
    """Wegwijs's SQL tracker store with one conversation, whose table then disappears (a failing database)."""
    store = WegwijsTrackerStore(domain=Domain.empty())
    tracker = DialogueStateTracker("c" * 16, [])
    tracker.update(UserUttered("hoi"))
    run(store.save(tracker))
    with sa.create_engine(db_url).begin() as connection:
        connection.execute(sa.text("ALTER TABLE events RENAME TO events_gone"))
    return store


def test_rasas_fail_safe_store_silently_forgets_a_conversation(broken_store):
    """What Rasa does by itself: the conversation comes back empty, new events go to memory."""
    fail_safe = FailSafeTrackerStore(broken_store)
    assert run(fail_safe.retrieve("c" * 16)) is None
    run(fail_safe.save(DialogueStateTracker("c" * 16, [])))  # no error: kept in memory only
    assert isinstance(fail_safe.fallback_tracker_store, InMemoryTrackerStore)


def test_the_channels_make_that_failure_loud(broken_store):
    agent = SimpleNamespace(tracker_store=FailSafeTrackerStore(broken_store))
    make_storage_loud(agent)
    with pytest.raises(StorageFailure):
        run(agent.tracker_store.retrieve("c" * 16))
    with pytest.raises(StorageFailure):
        run(agent.tracker_store.save(DialogueStateTracker("c" * 16, [])))


def test_a_memory_tracker_store_is_refused():
    agent = SimpleNamespace(tracker_store=FailSafeTrackerStore(InMemoryTrackerStore(Domain.empty())))
    with pytest.raises(NotStoring):
        make_storage_loud(agent)


def _guard(db_url) -> Guard:
    return Guard(Settings.from_env({"WEGWIJS_DB_URL": db_url, "WEGWIJS_CHAT_SECRET": "s" * 40}))


def _message(output=None):
    return UserMessage("hoi", output or CollectingOutputChannel(), "c" * 16, input_channel="rest")


def test_a_failure_while_processing_gives_the_unavailable_message(db_url, broken_store):
    agent = SimpleNamespace(tracker_store=FailSafeTrackerStore(broken_store))

    async def handle(message):
        await agent.tracker_store.retrieve(message.sender_id)  # what Rasa does first

    app = SimpleNamespace(ctx=SimpleNamespace(agent=agent))
    assert run(_guard(db_url).process(app, handle, _message(), lambda: 0)) == UNAVAILABLE


def test_silence_gets_a_message_unless_the_conversation_is_paused(db_url):
    store = WegwijsTrackerStore(domain=Domain.empty())
    agent = SimpleNamespace(tracker_store=FailSafeTrackerStore(store))
    app = SimpleNamespace(ctx=SimpleNamespace(agent=agent))

    async def nothing(message):
        return None

    guard = _guard(db_url)
    assert run(guard.process(app, nothing, _message(), lambda: 0)) == NO_REPLY
    assert run(guard.process(app, nothing, _message(), lambda: 2)) == ""
    paused = DialogueStateTracker("c" * 16, [])
    paused.update(ConversationPaused())
    run(store.save(paused))
    assert run(guard.process(app, nothing, _message(), lambda: 0)) == ""  # staff answer, not the bot


# ---------------------------------------------------------------- lock store

def test_lock_store_in_memory_by_default(monkeypatch):
    monkeypatch.delenv("WEGWIJS_REDIS_URL", raising=False)
    assert type(WegwijsLockStore().inner).__name__ == "InMemoryLockStore"


def test_lock_store_in_redis_is_shared(redis_server):
    first, second = WegwijsLockStore(redis_url=redis_server.url), WegwijsLockStore(redis_url=redis_server.url)
    conversation = uuid.uuid4().hex
    ticket = first.issue_ticket(conversation)
    second_ticket = second.issue_ticket(conversation)
    assert second_ticket == ticket + 1
    assert second.get_lock(conversation).is_locked(second_ticket)  # waits for the first process
    first.cleanup(conversation, ticket)
    assert not second.get_lock(conversation).is_locked(second_ticket)
    second.cleanup(conversation, second_ticket)
    assert second.get_lock(conversation) is None


def test_silence_check_survives_a_failing_store(db_url, broken_store):
    agent = SimpleNamespace(tracker_store=FailSafeTrackerStore(broken_store))
    app = SimpleNamespace(ctx=SimpleNamespace(agent=agent))

    async def nothing(message):
        return None

    assert run(_guard(db_url).process(app, nothing, _message(), lambda: 0)) == NO_REPLY


# ---------------------------------------------------------------- one answer, one message


def test_the_socket_channel_sends_an_answer_as_one_message_with_its_buttons():
    from wegwijs.channels import WegwijsSocketIOOutput

    sent = []

    class FakeServer:
        async def emit(self, event, data, room=None):
            sent.append((event, data, room))

    output = WegwijsSocketIOOutput(FakeServer(), "bot_uttered")
    text = "Het antwoord.\n\nOp De Kompas is dat Sanne.\n\nBron: Rijksoverheid, https://x.nl/a (gelezen …)"
    asyncio.run(output.send_text_with_buttons("sid-1", text, [{"title": "Meer weten", "payload": "/more_info"}]))
    asyncio.run(output.send_text_message("sid-1", "Eerste.\n\nTweede."))
    # Rasa's own channel sends every paragraph as its own message (four bubbles for one answer)
    assert [data["text"] for _, data, _ in sent] == [text, "Eerste.\n\nTweede."]
    assert sent[0][1]["quick_replies"] == [{"content_type": "text", "title": "Meer weten", "payload": "/more_info"}]
    assert output.sent == 2
