"""The scale-out topology (wegwijs/scale.py, `make scale`) with real processes: PostgreSQL, Redis, two
action servers, two Rasa processes, nginx, the portal and the web server.

A conversation moves between the Rasa processes without losing its state; a staff reply sent through
one process reaches the parent's socket on the other; PostgreSQL and Redis stopped in the middle of a
conversation give the parent a Dutch message and lose nothing (sent = stored, once); a dead Rasa
process is bypassed by nginx. The per-IP rate limit counts each parent's own address behind nginx, over
both processes. A long conversation reads as snapshot + recent events on PostgreSQL too.
"""
from __future__ import annotations

import http.client
import itertools
import json
import os
import queue
import shutil
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import pytest
import socketio
import sqlalchemy as sa

from support import free_port
from wegwijs import chat_guard, scale, serve
from wegwijs.handovers.live import RasaClient
from wegwijs.training import model_path

pytestmark = [pytest.mark.integration, pytest.mark.model, pytest.mark.timeout(1200)]
SCHOOL = "het-baken"
ORIGIN = "https://www.hetbaken.example"
IP_LIMIT = 40
#: Loopback addresses (all of 127.0.0.0/8 is loopback on Linux): one per test, as if each were a parent.
_addresses = (f"127.0.{n}.1" for n in itertools.count(10))
SOURCE = {"address": "127.0.0.1"}


@pytest.fixture(autouse=True)
def own_address():
    SOURCE["address"] = next(_addresses)


@pytest.fixture(scope="module")
def topology(home, tmp_path_factory):
    if not model_path(home).exists():
        pytest.fail("no trained model: run `make model` first")
    for binary in ("redis-server", "nginx"):
        assert shutil.which(binary) or shutil.which(binary, path="/usr/sbin"), f"{binary} is needed"
    folder = tmp_path_factory.mktemp("scale")
    pg_data = Path(tempfile.mkdtemp(prefix="wegwijs-test-pg-")) / "data"
    os.chmod(pg_data.parent, 0o755)  # PostgreSQL runs as the postgres user when the tests run as root
    postgres = scale.Postgres(pg_data, free_port())
    patch = pytest.MonkeyPatch()
    for key in ("WEGWIJS_DB_URL", "WEGWIJS_REDIS_URL"):
        patch.delenv(key, raising=False)
    patch.setenv("WEGWIJS_RATE_IP_PER_MINUTE", str(IP_LIMIT))  # each test sends from its own address
    patch.setenv("WEGWIJS_RATE_CONVERSATION_PER_MINUTE", "100")  # the long conversation below
    patch.setenv("WEGWIJS_WIDGET_ORIGINS", "")
    running = scale.Topology(home, folder, [free_port(), free_port()], [free_port(), free_port()], free_port(),
                             free_port(), free_port())
    keys = serve.new_secrets()
    CHAT_KEYS["keys"] = chat_guard.ConversationKeys(keys["WEGWIJS_CHAT_SECRET"])
    try:
        scale.up(running, keys, postgres)
        yield running, postgres, keys
    finally:
        scale.down(running, postgres)
        shutil.rmtree(pg_data.parent, ignore_errors=True)
        patch.undo()


#: the stack's conversation keys: the tests choose their conversation ids and give each its secret
CHAT_KEYS: Dict[str, Any] = {}


def post(port: int, sender: str, text: str, school: Optional[str] = SCHOOL, source: Optional[str] = None,
         headers: Optional[Dict[str, str]] = None) -> Tuple[int, List[Dict[str, Any]]]:
    """Send one chat message from the test's own loopback address (or ``source``)."""
    body: Dict[str, Any] = {"sender": sender, "message": text}
    if school:
        body["metadata"] = {"school_id": school}
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=90,
                                            source_address=(source or SOURCE["address"], 0))
    try:
        connection.request("POST", "/webhooks/rest/webhook", body=json.dumps(body).encode(), headers={
            "Content-Type": "application/json", chat_guard.SECRET_HEADER: CHAT_KEYS["keys"].secret(sender),
            **(headers or {})})
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"[]")
    finally:
        connection.close()


def joined(answer: List[Dict[str, Any]]) -> str:
    return "\n".join(message.get("text") or "" for message in answer)


def user_texts(db_url: str, sender: str) -> List[str]:
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(sa.text(
                "SELECT data FROM events WHERE sender_id = :sender AND type_name = 'user' ORDER BY id"),
                {"sender": sender}).scalars().all()
    finally:
        engine.dispose()
    return [json.loads(row)["text"] for row in rows]


def until_stored(port: int, sender: str, text: str, tries: int = 20) -> List[int]:
    """Send as the widget does after a failure: again, until the server stores it. The statuses."""
    statuses = []
    for _ in range(tries):
        status, answer = post(port, sender, text, school=None)
        statuses.append(status)
        if status == 200:
            return statuses
        assert status == 503 and answer[0]["text"] == chat_guard.UNAVAILABLE
        time.sleep(1)
    return statuses


def test_the_stack_uses_postgresql_and_redis(topology):
    running, _, _ = topology
    for port in running.rasa_ports:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/webhooks/rest/", timeout=10) as response:
            report = json.loads(response.read())
        assert report["status"] == "ok" and report["tracker_store"] == "WegwijsTrackerStore"
        assert report["lock_store"] == "WegwijsLockStore (RedisURLLockStore)"
    assert running.db_url.startswith("postgresql://")


def test_a_conversation_moves_between_processes_without_losing_its_state(topology, registry):
    running, _, _ = topology
    first, second = running.rasa_ports
    sender = uuid.uuid4().hex
    assert post(first, sender, "hallo")[0] == 200
    # the school came with the first message only; the second process knows it from PostgreSQL
    status, answer = post(second, sender, "wie is de zorgcoördinator op school?", school=None)
    assert status == 200 and registry.get(SCHOOL).contacts["zorgcoordinator"].name in joined(answer)
    for number in range(4):  # through nginx: round robin over both
        assert post(running.proxy_port, sender, f"wat doet de mentor {number}", school=None)[0] == 200
    assert user_texts(running.db_url, sender) == ["hallo", "wie is de zorgcoördinator op school?"] + [
        f"wat doet de mentor {number}" for number in range(4)]


def test_a_staff_reply_through_one_process_reaches_the_socket_on_the_other(topology):
    running, _, keys = topology
    first, second = running.rasa_ports
    received, confirmed = [], queue.Queue()
    client = socketio.Client(reconnection=False)
    client.on("bot_uttered", lambda data: received.append(data))
    client.on("session_confirm", lambda *issued: confirmed.put(issued))
    client.connect(f"http://127.0.0.1:{first}", headers={"Origin": ORIGIN}, transports=["websocket"],
                   socketio_path="socket.io", wait_timeout=20)
    try:
        client.emit("session_request", {})
        session, _ = confirmed.get(timeout=20)
        ack = client.call("user_uttered", {"message": "ik wil graag iemand van school spreken",
                                           "session_id": session,
                                           "metadata": {"school_id": SCHOOL, "client_message_id": "m-1"}},
                          timeout=90)
        assert ack == {"status": "ok"}
        RasaClient(f"http://127.0.0.1:{second}", keys["WEGWIJS_RASA_JWT_SECRET"]).say(
            session, "Ik bel u morgen.", "Sanne Visser", "zorgcoördinator")
        deadline = time.monotonic() + 30
        while not any(item.get("staff") for item in received) and time.monotonic() < deadline:
            time.sleep(0.1)
        staff = [item for item in received if item.get("staff")]
        assert staff and staff[0]["text"].endswith("Ik bel u morgen.")
        assert staff[0]["staff"] == {"name": "Sanne Visser", "role": "zorgcoördinator"}
    finally:
        client.disconnect()


def test_redis_down_the_parent_is_told_and_nothing_is_lost(topology):
    running, _, _ = topology
    sender = uuid.uuid4().hex
    assert post(running.rasa_ports[0], sender, "hallo")[0] == 200
    serve.stop([running.processes.pop("redis")])
    try:
        status, answer = post(running.rasa_ports[0], sender, "wat doet de mentor?", school=None)
        assert status == 503 and answer[0]["text"] == chat_guard.UNAVAILABLE
    finally:
        scale.start_redis(running)
    statuses = until_stored(running.rasa_ports[0], sender, "wat doet de mentor?")
    assert statuses[-1] == 200
    assert user_texts(running.db_url, sender) == ["hallo", "wat doet de mentor?"]


def test_postgres_down_the_parent_is_told_and_nothing_is_lost(topology, registry):
    running, postgres, _ = topology
    sender = uuid.uuid4().hex
    assert post(running.rasa_ports[1], sender, "hallo")[0] == 200
    postgres.stop("immediate")  # a crash
    try:
        for port in running.rasa_ports:  # never the silent in-memory fallback (RasaHQ/rasa#3243)
            status, answer = post(port, sender, "wie is de zorgcoördinator?", school=None)
            assert status == 503 and answer[0]["text"] == chat_guard.UNAVAILABLE
    finally:
        postgres.start()
    statuses = until_stored(running.rasa_ports[0], sender, "wie is de zorgcoördinator?")
    assert statuses[-1] == 200
    assert user_texts(running.db_url, sender) == ["hallo", "wie is de zorgcoördinator?"]
    # the conversation was not forgotten: the school of the first message still answers
    status, answer = post(running.rasa_ports[1], sender, "wie is de zorgcoördinator?", school=None)
    assert status == 200 and registry.get(SCHOOL).contacts["zorgcoordinator"].name in joined(answer)


def test_nginx_bypasses_a_dead_rasa_process(topology):
    running, _, _ = topology
    sender = uuid.uuid4().hex
    serve.stop([running.processes.pop("rasa-1")])
    try:
        for number in range(4):
            status, answer = post(running.proxy_port, sender, f"vraag {number}: wat is een opp?")
            assert status == 200 and answer
    finally:
        running.processes["rasa-1"] = serve.start(running.home, [running.specs["rasa-1"]],
                                                  running.folder / "log", timeout=300)[0]
    assert len(user_texts(running.db_url, sender)) == 4


def test_nginx_forwards_only_the_chat(topology):
    running, _, _ = topology
    for path in ("/conversations/x/tracker", "/status", "/model", "/version", "/"):
        with pytest.raises(urllib.error.HTTPError) as error:
            urllib.request.urlopen(f"http://127.0.0.1:{running.proxy_port}{path}", timeout=10)
        assert error.value.code == 404
    assert os.path.exists(running.folder / "nginx" / "nginx.conf")


def test_the_per_ip_limit_counts_each_parent_behind_nginx(topology):
    """Through nginx, over both Rasa processes (round robin; the counts are in Redis): the address that
    sent too much gets the Dutch message, another address is still served, and a forged
    X-Forwarded-For does not help (nginx overwrites it)."""
    running, _, _ = topology
    busy, other = "127.0.200.1", "127.0.201.1"
    # The limits count per fixed minute (chat_guard.RateLimiter.WINDOW): start in a fresh one, so that
    # the messages are not split over two windows on a slow machine.
    window = chat_guard.RateLimiter.WINDOW
    if window - time.time() % window < 40:
        time.sleep(window - time.time() % window + 0.5)
    statuses = [post(running.proxy_port, uuid.uuid4().hex, "hoi", source=busy)[0] for _ in range(IP_LIMIT)]
    assert statuses == [200] * IP_LIMIT
    status, answer = post(running.proxy_port, uuid.uuid4().hex, "hoi", source=busy)
    assert status == 429 and answer[0]["text"] == chat_guard.TOO_MANY
    status, _ = post(running.proxy_port, uuid.uuid4().hex, "hoi", source=busy,
                     headers={"X-Forwarded-For": other})
    assert status == 429
    assert post(running.proxy_port, uuid.uuid4().hex, "hoi", source=other)[0] == 200


def test_a_long_conversation_keeps_its_state_across_processes_and_snapshots(topology, registry):
    """60 messages round robin over both processes: the tracker store moves its snapshot in PostgreSQL
    (wegwijs/tracker_store.py); the school from the first message still answers at the end, and every
    message is stored once."""
    running, _, _ = topology
    sender = uuid.uuid4().hex
    texts = ["hallo"] + [f"wat doet de mentor {number}" for number in range(58)] + [
        "wie is de zorgcoördinator op school?"]
    answers = []
    for number, text in enumerate(texts):
        status, answer = post(running.proxy_port, sender, text, school=SCHOOL if number == 0 else None)
        assert status == 200, (number, answer)
        answers.append(answer)
        if number == 30:
            SOURCE["address"] = next(_addresses)  # stay under the per-IP limit of one minute
    assert registry.get(SCHOOL).contacts["zorgcoordinator"].name in joined(answers[-1])
    assert user_texts(running.db_url, sender) == texts
    engine = sa.create_engine(running.db_url)
    try:
        with engine.connect() as connection:
            snapshot = connection.execute(sa.text(
                "SELECT state FROM wegwijs_tracker_snapshots WHERE sender_id = :sender"),
                {"sender": sender}).scalar()
    finally:
        engine.dispose()
    assert snapshot is not None and json.loads(snapshot)["slots"]["school_id"] == SCHOOL
