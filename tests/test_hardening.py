"""The chat channels against abuse and faults, through a real `rasa run`, action server and SQLite.

Conversation ids, message length, "/" payloads, rate limits, CORS and socket.io origins; the action
server stopped and Rasa restarted in the middle of conversations: the parent always gets a Dutch
message, and every acknowledged message is stored exactly once. PostgreSQL and Redis failures are in
tests/test_scale.py.
"""
from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
import uuid
from typing import Any, Dict, List, Optional, Tuple

import pytest
import sqlalchemy as sa
import socketio

from support import endpoints_for, free_port
from wegwijs import chat_guard, serve
from wegwijs.training import model_path

pytestmark = [pytest.mark.integration, pytest.mark.model, pytest.mark.timeout(900)]
SCHOOL = "het-baken"
SCHOOL_ORIGIN = "https://www.hetbaken.example"
LIMIT = 8


class Stack:
    """The action server, Rasa and the web server, each of which a test may stop and start again."""

    def __init__(self, home, tmp, db_url: str) -> None:
        self.home, self.tmp, self.db_url = home, tmp, db_url
        self.rasa_port, self.actions_port, self.web_port = free_port(), free_port(), free_port()
        keys = serve.new_secrets()
        self.keys = chat_guard.ConversationKeys(keys["WEGWIJS_CHAT_SECRET"])
        self.jwt_secret = keys["WEGWIJS_RASA_JWT_SECRET"]
        specs = serve.services(home, "127.0.0.1", self.rasa_port, self.actions_port, self.web_port,
                               endpoints=endpoints_for(home, tmp, self.actions_port), keys=keys)
        self.specs = {spec.name: spec for spec in specs}
        self.processes: Dict[str, Any] = {}
        for name in ("actions", "rasa"):
            self.start(name)

    def start(self, name: str) -> None:
        self.processes[name] = serve.start(self.home, [self.specs[name]], self.tmp / "log", timeout=300)[0]

    def stop(self, name: str) -> None:
        serve.stop([self.processes.pop(name)])

    def close(self) -> None:
        serve.stop(list(self.processes.values()))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    def post(self, body: Any, headers: Optional[Dict[str, str]] = None) -> Tuple[int, Any, Dict[str, str]]:
        """POST to the REST channel: status, JSON answer, headers (with the conversation's secret unless
        ``headers`` name one)."""
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        sender = body.get("sender") if isinstance(body, dict) else None
        if isinstance(sender, str):
            headers = {chat_guard.SECRET_HEADER: self.keys.secret(sender), **(headers or {})}
        request = urllib.request.Request(self.url + "/webhooks/rest/webhook", data=data,
                                         headers={"Content-Type": "application/json", **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, json.loads(response.read()), dict(response.headers)
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null"), dict(error.headers)

    def say(self, sender: str, text: str, **metadata: Any) -> Tuple[int, List[Dict[str, Any]]]:
        status, answer, _ = self.post({"sender": sender, "message": text,
                                       "metadata": dict({"school_id": SCHOOL}, **metadata)})
        return status, answer

    def user_events(self, sender: str) -> List[Dict[str, Any]]:
        engine = sa.create_engine(self.db_url)
        with engine.connect() as connection:
            rows = connection.execute(sa.text(
                "SELECT type_name, data FROM events WHERE sender_id = :sender ORDER BY id"), {"sender": sender})
            events = [dict(json.loads(data), event=type_name) for type_name, data in rows]
        engine.dispose()
        return events


@pytest.fixture(scope="module")
def stack(home, tmp_path_factory):
    if not model_path(home).exists():
        pytest.fail("no trained model: run `make model` first")
    tmp = tmp_path_factory.mktemp("hardening")
    db_url = f"sqlite:///{tmp / 'wegwijs.db'}"
    patch = pytest.MonkeyPatch()
    for key, value in {"WEGWIJS_DB_URL": db_url, "WEGWIJS_RATE_CONVERSATION_PER_MINUTE": str(LIMIT),
                       "WEGWIJS_RATE_IP_PER_MINUTE": "0", "WEGWIJS_WIDGET_ORIGINS": ""}.items():
        patch.setenv(key, value)
    from wegwijs.db import migrate
    from wegwijs.schools_store import seed_database

    migrate.upgrade(db_url)
    seed_database(db_url)  # the example schools (schools/*.yml): the action server reads the database
    running = Stack(home, tmp, db_url)
    try:
        yield running
    finally:
        running.close()
        patch.undo()


def new_id() -> str:
    return uuid.uuid4().hex


def texts(answer: List[Dict[str, Any]]) -> str:
    return "\n".join(message.get("text") or "" for message in answer)


def of_kind(events: List[Dict[str, Any]], kind: str) -> List[Dict[str, Any]]:
    return [event for event in events if event["event"] == kind]


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize("sender", [None, "", "default", "t1", "x" * 65, "a b c d e f g h i j", 12345678901234567])
def test_the_conversation_id_must_be_present_and_well_formed(stack, sender):
    body = {"message": "hoi"} if sender is None else {"sender": sender, "message": "hoi"}
    status, answer, _ = stack.post(body)
    assert status == 400 and answer[0]["text"] == chat_guard.BAD_CONVERSATION
    assert not stack.user_events("default")


@pytest.mark.parametrize("body", [b"", b"geen json", b"[1, 2]", b'"tekst"', b"{\"sender\": "])
def test_a_body_that_is_not_a_message_gets_a_clear_answer(stack, body):
    status, answer, _ = stack.post(body)
    assert status == 400 and answer[0]["text"] == chat_guard.BAD_CONVERSATION


def test_too_long_messages_are_refused_in_dutch_and_the_conversation_goes_on(stack):
    sender = new_id()
    status, answer = stack.say(sender, "Mijn zoon wordt gepest. " * 100)
    assert status == 413 and answer[0]["text"] == chat_guard.TOO_LONG
    assert not of_kind(stack.user_events(sender), "user")  # nothing stored
    status, answer = stack.say(sender, "wat doet een intern begeleider?")
    assert status == 200 and answer
    assert len(of_kind(stack.user_events(sender), "user")) == 1


def test_an_empty_message_gets_a_dutch_explanation(stack):
    for text in ("", "   ", "/", None, 42):
        status, answer = stack.say(new_id(), text)
        assert status == 400 and answer[0]["text"] == chat_guard.EMPTY


def read_by_nlu(event: Dict[str, Any]) -> bool:
    """Whether the NLU read the message (a payload gets one intent with confidence 1 and no ranking)."""
    return len(event["parse_data"].get("intent_ranking") or []) > 1


def test_typed_payloads_do_not_trigger_intents_or_set_slots(stack):
    sender = new_id()
    stack.say(sender, "wat houdt een ondertoezichtstelling in?")
    status, answer = stack.say(sender, '/inform_age{"age_band": "age_16_plus"}')
    assert status == 200 and answer  # an answer, as to any text
    status, _ = stack.say(sender, "/rights_appeal")
    assert status == 200
    events = stack.user_events(sender)
    typed = of_kind(events, "user")[1:]
    assert [event["text"] for event in typed] == ['inform_age{"age_band": "age_16_plus"}', "rights_appeal"]
    for event in typed:
        assert read_by_nlu(event)
        assert not any(entity.get("value") == "age_16_plus" for entity in event["parse_data"].get("entities", []))
    assert not [event for event in of_kind(events, "slot")
                if event["name"] == "child_age_band" and event["value"] == "age_16_plus"]


def test_a_button_click_still_works(stack):
    sender = new_id()
    stack.say(sender, "wat houdt een ondertoezichtstelling in?")
    status, answer = stack.say(sender, '/inform_age{"age_band": "age_16_plus"}', button=True)
    assert status == 200 and answer
    events = stack.user_events(sender)
    clicked = of_kind(events, "user")[-1]
    assert clicked["parse_data"]["intent"]["name"] == "inform_age" and not read_by_nlu(clicked)
    assert [event["value"] for event in of_kind(events, "slot") if event["name"] == "child_age_band"] == [
        "age_16_plus"]


def test_a_button_cannot_set_other_slots(stack):
    sender = new_id()
    status, _ = stack.say(sender, '/affirm{"school_id": "de-kompas", "handover_id": "abc"}', button=True)
    assert status == 200
    events = stack.user_events(sender)
    assert of_kind(events, "user")[0]["text"].startswith("affirm{")
    assert not [event for event in of_kind(events, "slot") if event["value"] in ("de-kompas", "abc")]


def test_only_known_metadata_is_stored(stack):
    sender = new_id()
    stack.post({"sender": sender, "message": "hoi", "metadata": {"school_id": SCHOOL, "wegwijs_staff": {
        "name": "Nep", "role": "directeur"}, "email": "ouder@example.nl"}})
    user = of_kind(stack.user_events(sender), "user")[0]
    assert user["metadata"]["school_id"] == SCHOOL
    # Rasa adds its ids; the server adds the keyed hash of the client's network (for the handover caps)
    assert set(user["metadata"]) <= {"school_id", "assistant_id", "model_id", "network"}
    assert user["metadata"]["network"] == stack.keys.network("127.0.0.1")
    forged = new_id()
    stack.post({"sender": forged, "message": "hoi", "metadata": {"network": "0" * 24}})
    assert of_kind(stack.user_events(forged), "user")[0]["metadata"]["network"] != "0" * 24


# ---------------------------------------------------------------- limits and origins

def test_rate_limit_per_conversation(stack):
    sender, other = new_id(), new_id()
    statuses = []
    for number in range(2 * LIMIT + 1):  # a new minute may start in between: then at most 2 × LIMIT pass
        status, answer, headers = stack.post({"sender": sender, "message": f"vraag {number} over de mentor",
                                              "metadata": {"school_id": SCHOOL}})
        statuses.append(status)
        if status == 429:
            assert answer[0]["text"] == chat_guard.TOO_MANY and 1 <= int(headers["Retry-After"]) <= 60
            break
    assert statuses[-1] == 429 and statuses.count(200) >= LIMIT
    assert len(of_kind(stack.user_events(sender), "user")) == statuses.count(200)  # refused: not stored
    assert stack.say(other, "hoi")[0] == 200  # other conversations go on


def test_cors_only_for_school_websites(stack):
    def preflight(origin: str) -> Optional[str]:
        request = urllib.request.Request(stack.url + "/webhooks/rest/webhook", method="OPTIONS", headers={
            "Origin": origin, "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type"})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.headers.get("Access-Control-Allow-Origin")
        except urllib.error.HTTPError as error:
            return error.headers.get("Access-Control-Allow-Origin")

    assert preflight(SCHOOL_ORIGIN) == SCHOOL_ORIGIN
    assert preflight("https://kwaadwillend.example") in (None, "")


def _socket(stack, origin: Optional[str]) -> socketio.Client:
    client = socketio.Client(reconnection=False)
    client.connect(stack.url, headers={"Origin": origin} if origin else {}, transports=["websocket"],
                   socketio_path="socket.io", wait_timeout=20)
    return client


def test_socketio_refuses_pages_that_are_not_school_websites(stack):
    with pytest.raises(socketio.exceptions.ConnectionError):
        _socket(stack, "https://kwaadwillend.example")
    client = _socket(stack, SCHOOL_ORIGIN)
    client.disconnect()


# ---------------------------------------------------------------- the conversation's secret

def test_a_rest_message_needs_the_conversations_secret(stack):
    """Finding 3 of the security review: the conversation id was the only key, and a client could choose
    its own id."""
    sender = new_id()
    assert stack.say(sender, "mijn zoon wordt gepest")[0] == 200
    for headers in ({chat_guard.SECRET_HEADER: ""}, {chat_guard.SECRET_HEADER: stack.keys.secret(new_id())},
                    {chat_guard.SECRET_HEADER: chat_guard.ConversationKeys("z" * 40).secret(sender)}):
        status, answer, _ = stack.post({"sender": sender, "message": "nog een vraag"}, headers)
        assert status == 403 and answer[0]["text"] == chat_guard.NOT_YOURS, headers
    assert [event["text"] for event in of_kind(stack.user_events(sender), "user")] == ["mijn zoon wordt gepest"]


def test_a_rest_client_gets_its_conversation_from_the_server(stack):
    request = urllib.request.Request(stack.url + "/webhooks/rest/conversations", method="POST", data=b"")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 201
        issued = json.loads(response.read())
    assert chat_guard.valid_conversation_id(issued["sender"])
    status, answer, _ = stack.post({"sender": issued["sender"], "message": "wat doet een mentor?"},
                                   {chat_guard.SECRET_HEADER: issued["secret"]})
    assert status == 200 and answer


def test_a_socket_that_knows_only_the_id_hears_nothing_and_cannot_write(stack):
    """The parent's socket, then another socket that asks for the parent's conversation id without the
    secret (as someone who read the id in a log would): it gets a conversation of its own, does not hear
    the staff reply meant for the parent, and cannot write into the parent's conversation."""
    from wegwijs.handovers.live import RasaClient

    parent = Parent(stack)
    assert parent.send("wat doet de mentor?") == {"status": "ok"}  # staff replies go to its latest channel
    answered = len(parent.wait_for_reply(1))
    intruder = socketio.Client(reconnection=False)
    heard, confirmed = [], []
    intruder.on("bot_uttered", lambda data: heard.append(data))
    intruder.on("session_confirm", lambda *issued: confirmed.append(issued))
    intruder.connect(stack.url, headers={"Origin": SCHOOL_ORIGIN}, transports=["websocket"],
                     socketio_path="socket.io", wait_timeout=20)
    try:
        intruder.emit("session_request", {"session_id": parent.session})
        deadline = time.monotonic() + 20
        while not confirmed and time.monotonic() < deadline:
            time.sleep(0.05)
        assert confirmed and confirmed[0][0] != parent.session
        RasaClient(stack.url, stack.jwt_secret).say(parent.session, "Ik bel je morgen.", "Sanne Visser",
                                                     "zorgcoördinator")
        assert any("Ik bel je morgen." in text for text in parent.wait_for_reply(answered + 1))
        time.sleep(1)
        assert not any("Ik bel je morgen." in (item.get("text") or "") for item in heard)
        ack = intruder.call("user_uttered", {"message": "ik wis alles", "session_id": parent.session,
                                             "metadata": {"school_id": SCHOOL, "client_message_id": new_id()}},
                            timeout=30)
        assert ack == {"status": "refused"}
        assert "ik wis alles" not in [event["text"] for event in of_kind(stack.user_events(parent.session), "user")]
    finally:
        intruder.disconnect()
        parent.client.disconnect()


# ---------------------------------------------------------------- faults

class Parent:
    """A widget-like socket.io client: session, message ids, acknowledgements, replies."""

    def __init__(self, stack) -> None:
        self.stack, self.session, self.secret, self.replies = stack, None, None, []
        self.client: Optional[socketio.Client] = None
        self.connect()

    def connect(self) -> None:
        """Connect; the first time the server issues the conversation, after that the secret rejoins it."""
        client = socketio.Client(reconnection=False)
        client.on("bot_uttered", lambda data: self.replies.append(data.get("text") or ""))
        confirmed = []
        client.on("session_confirm", lambda *issued: confirmed.append(issued))
        client.connect(self.stack.url, headers={"Origin": SCHOOL_ORIGIN}, transports=["websocket"],
                       socketio_path="socket.io", wait_timeout=20)
        client.emit("session_request", {"session_id": self.session, "secret": self.secret})
        deadline = time.monotonic() + 20
        while not confirmed and time.monotonic() < deadline:
            time.sleep(0.05)
        assert confirmed and (self.session is None or confirmed[0] == (self.session, self.secret))
        self.session, self.secret = confirmed[0]
        self.client = client

    def send(self, text: str, message_id: Optional[str] = None) -> Dict[str, Any]:
        """Send as the widget does; the acknowledgement."""
        return self.client.call("user_uttered", {
            "message": text, "session_id": self.session,
            "metadata": {"school_id": SCHOOL, "client_message_id": message_id or new_id()}}, timeout=90)

    def wait_for_reply(self, count: int, timeout: float = 30) -> List[str]:
        deadline = time.monotonic() + timeout
        while len(self.replies) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.replies


def test_a_repeated_message_is_stored_once(stack):
    parent = Parent(stack)
    message_id = new_id()
    assert parent.send("wat doet de zorgcoördinator?", message_id) == {"status": "ok"}
    assert parent.send("wat doet de zorgcoördinator?", message_id) == {"status": "ok"}  # after a lost ack
    parent.client.disconnect()
    assert len(of_kind(stack.user_events(parent.session), "user")) == 1


def test_without_the_action_server_the_parent_is_told_and_nothing_is_lost(stack):
    sender = new_id()
    assert stack.say(sender, "hoi")[0] == 200
    stack.stop("actions")
    try:
        status, answer = stack.say(sender, "wat is een ontwikkelingsperspectief?")
        assert status == 200 and answer[-1]["text"] == chat_guard.NO_REPLY
    finally:
        stack.start("actions")
    status, answer = stack.say(sender, "wat is een ontwikkelingsperspectief?")
    assert status == 200 and chat_guard.NO_REPLY not in texts(answer) and "OPP" in texts(answer)
    assert [event["text"] for event in of_kind(stack.user_events(sender), "user")] == [
        "hoi", "wat is een ontwikkelingsperspectief?", "wat is een ontwikkelingsperspectief?"]


def test_a_rasa_restart_keeps_the_conversation_and_every_acknowledged_message(stack):
    parent = Parent(stack)
    sent = ["hallo", "wat doet een mentor?"]
    for text in sent:
        assert parent.send(text)["status"] == "ok"
    parent.wait_for_reply(2)
    stack.stop("rasa")
    with pytest.raises(Exception):
        parent.send("bent u er nog?")  # not acknowledged: the widget keeps it and sends it again
    stack.start("rasa")
    parent.connect()
    for text in ("bent u er nog?", "en de intern begeleider?"):
        assert parent.send(text)["status"] == "ok"
        sent.append(text)
    parent.client.disconnect()
    events = stack.user_events(parent.session)
    assert [event["text"] for event in of_kind(events, "user")] == sent
    # the school from the first message is still known after the restart
    assert [event["value"] for event in of_kind(events, "slot") if event["name"] == "school_id"][:1] == [SCHOOL]


# ---------------------------------------------------------------- generated input (hypothesis)

from hypothesis import HealthCheck, given, settings  # noqa: E402 - the fuzz part of this module
from hypothesis import strategies as st  # noqa: E402

NASTY = [
    "\ud800", "\udfff abc", "\x00", "\x00\x01\x02\x1b[2J", "\u202egnip\u202c", "\u200b\u200d\ufeff",
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "{{7*7}} ${7*7} <%= 7*7 %>",
    "'; DROP TABLE events; --", "1' OR '1'='1", "\" OR 1=1 --", "../../../../etc/passwd", "%00%0d%0a",
    "/restart", "/session_start", '/affirm{"school_id": "x"}', "/inform_age{", "//" * 50, "/ " * 100,
    "😀" * 600, "👨‍👩‍👧‍👦" * 300, "ا" * 2000, "a" * 2001, "hoi " * 2500, "x" * 10_000, "\n" * 3000,
    "mijn zoon wordt gepest wat kan ik doen", "wie is de mentor", "kan de jeugdarts helpen",
]
MESSAGES = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=60),
    st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF), max_size=80),  # surrogates too
    st.sampled_from(NASTY),
    st.builds(lambda word, size: word * size, st.sampled_from(["a", "é", "😀", "<b>", "\x00", "mentor "]),
              st.integers(min_value=1, max_value=10_000)),
    st.builds(lambda base, noise: base + noise, st.sampled_from(NASTY[-3:]), st.text(max_size=40)),
)
METADATA = st.one_of(st.none(), st.just({"school_id": SCHOOL}), st.dictionaries(
    st.sampled_from(["school_id", "button", "client_message_id", "wegwijs_staff", "x"]),
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=30), st.just({"name": "Nep"})),
    max_size=4))
REFUSALS = {chat_guard.EMPTY, chat_guard.TOO_LONG}
#: Words every Dutch reply of Wegwijs has some of (it answers in B1 Dutch).
DUTCH_WORDS = {"je", "de", "het", "een", "is", "niet", "ik", "wat", "kan", "of", "en", "van", "met", "dat",
               "voor", "bij", "op", "jouw", "school", "vraag", "typ", "hoi", "welkom", "ben", "wil"}
#: What never belongs in a reply: program errors, unfilled templates, internal names.
NOT_SENSIBLE = ("Traceback", "Exception", "Error", "None", "null", "nan", "{term:", "{{", "utter_",
                "action_", "nlu_fallback")
#: Help lines of the crisis replies: not for a harmless message.
HELP_LINES = ("0800-2000", "0800-0113", "0800-0432", "Bel meteen 112")


#: Words every English reply has some of (for a message Wegwijs recognises as English, issue 19).
ENGLISH_WORDS = {"you", "the", "a", "is", "not", "i", "what", "can", "or", "and", "of", "with", "that", "for",
                 "at", "your", "school", "question", "type", "hi", "am", "want"}


def sensible(answer: List[Dict[str, Any]], message: str = "") -> Optional[str]:
    """Why a 200 answer is not sensible (not in the message's language: Dutch, or English for a message
    recognised as English; an error or template text; a crisis reply), or None."""
    from wegwijs import language

    text = texts(answer)
    words = set(re.findall(r"[a-zà-ÿ]+", text.lower()))
    detected = language.detect(message)
    english = detected is not None and detected.code == "en"
    if len(words & (ENGLISH_WORDS if english else DUTCH_WORDS)) < 2:
        return f"not {'English' if english else 'Dutch'}: {text[:200]!r}"
    bad = [marker for marker in NOT_SENSIBLE if re.search(rf"(?<!\w){re.escape(marker)}", text)
           and (not marker[-1].isalnum() or re.search(rf"{re.escape(marker)}(?!\w)", text))]
    if bad:
        return f"{bad[0]!r} in {text[:200]!r}"
    lines = [line for line in HELP_LINES if line in text]
    if lines:
        return f"a crisis reply ({lines[0]}) to a generated message: {text[:200]!r}"
    return None


def test_1000_generated_messages_get_a_sensible_answer_and_no_server_error(stack):
    outcome = {"stored": 0, "senders": [], "statuses": {}}

    @settings(max_examples=1000, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(text=MESSAGES, metadata=METADATA)
    def one_message(text, metadata):
        sender = new_id()  # a new conversation each time: no rate limit, and state cannot hide a failure
        body: Dict[str, Any] = {"sender": sender, "message": text}
        if metadata is not None:
            body["metadata"] = metadata
        status, answer, _ = stack.post(body)
        outcome["statuses"][status] = outcome["statuses"].get(status, 0) + 1
        assert status in (200, 400, 413), (status, answer)
        assert isinstance(answer, list) and answer, answer
        if any(char.isalnum() for char in text) and len(text) <= chat_guard.MAX_CHARS - 100:
            # a message with something to read and well within the length limit is answered
            assert status == 200, (text, status, answer)
        if status == 200:
            assert any(message.get("text") or message.get("buttons") for message in answer)
            assert chat_guard.NO_REPLY not in texts(answer) and chat_guard.UNAVAILABLE not in texts(answer)
            problem = sensible(answer, text)
            assert problem is None, (text, problem)
            outcome["stored"] += 1
            outcome["senders"].append(sender)
        else:
            assert answer[0]["text"] in REFUSALS

    one_message()
    print("generated messages by status:", outcome["statuses"])
    assert sum(outcome["statuses"].values()) >= 1000
    engine = sa.create_engine(stack.db_url)
    with engine.connect() as connection:
        stored = connection.execute(sa.text(
            "SELECT COUNT(DISTINCT sender_id) FROM events WHERE type_name = 'user' AND sender_id IN "
            "(SELECT value FROM json_each(:senders))"), {"senders": json.dumps(outcome["senders"])}).scalar()
    engine.dispose()
    assert stored == outcome["stored"]  # every answered message is stored
    status, _, _ = stack.post({"sender": new_id(), "message": "hoi"})
    assert status == 200  # and the server is still well
