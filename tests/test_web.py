"""The widget server (history, handover status, erase, demo pages, CORS) and our socket.io channel."""
from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from wegwijs.channels import WegwijsSocketIOOutput
from wegwijs.chat_guard import CONVERSATION_HEADER, SECRET_HEADER, ConversationKeys
from wegwijs.db import migrate
from wegwijs.db.engine import session_factory
from wegwijs.db.models import Handover, HandoverNote
from wegwijs.handovers import service
from wegwijs.schools_store import seed_database
from wegwijs.settings import Settings
from wegwijs.web.app import create_app

CONVERSATION = "a" * 32
CHAT_SECRET = "k" * 40
KEYS = ConversationKeys(CHAT_SECRET)


def parent(conversation: str = CONVERSATION) -> dict:
    """The headers of the parent's widget: the conversation and its secret."""
    return {CONVERSATION_HEADER: conversation, SECRET_HEADER: KEYS.secret(conversation)}


@pytest.fixture
def web(db_url, home, monkeypatch):
    monkeypatch.setenv("WEGWIJS_WIDGET_ORIGINS", "https://andere-school.example")
    monkeypatch.setenv("WEGWIJS_CHAT_SECRET", CHAT_SECRET)
    migrate.upgrade(db_url)
    seed_database(db_url, home / "schools")  # the widget server reads the schools from the database
    engine = sa.create_engine(db_url, future=True)
    with engine.begin() as connection:
        connection.execute(sa.text(
            "create table if not exists events (id integer primary key, sender_id text, type_name text,"
            " timestamp real, intent_name text, action_name text, data text)"))
    settings = Settings.from_env()
    return TestClient(create_app(settings)), engine, db_url


def add_event(engine, sender, kind, text, **extra):
    data = {"event": kind, "text": text, "timestamp": time.time(), **extra}
    with engine.begin() as connection:
        connection.execute(sa.text("insert into events (sender_id, type_name, timestamp, data) "
                                   "values (:s, :t, :ts, :d)"),
                           {"s": sender, "t": kind, "ts": time.time(), "d": json.dumps(data)})


def test_history_has_parent_bot_and_staff_messages_and_only_the_last_buttons(web):
    client, engine, _ = web
    add_event(engine, CONVERSATION, "user", "/talk_to_human")
    add_event(engine, CONVERSATION, "bot", "Eerste deel.\n\nTweede deel.",
              data={"buttons": [{"title": "Oud", "payload": "/deny"}]})
    add_event(engine, CONVERSATION, "user", "<b>vraag</b>")
    add_event(engine, CONVERSATION, "bot", "Sanne Visser (zorgcoördinator): Ik bel je.",
              metadata={"wegwijs_staff": {"name": "Sanne Visser", "role": "zorgcoördinator"}})
    add_event(engine, CONVERSATION, "bot", "Nog iets?", data={"buttons": [{"title": "Ja", "payload": "/affirm"}]})
    add_event(engine, "b" * 32, "user", "van een ander gesprek")
    messages = client.get("/api/conversation/messages", headers=parent()).json()["messages"]
    assert [m["from"] for m in messages] == ["parent", "bot", "parent", "staff", "bot"]
    assert messages[0]["text"] == "Met iemand praten (knop)"
    # one bot message stays one message (the widget shows its paragraphs in one bubble)
    assert messages[1]["text"] == "Eerste deel.\n\nTweede deel."
    assert messages[2]["text"] == "<b>vraag</b>"  # JSON; the widget shows it as text
    assert messages[3]["staff"] == {"name": "Sanne Visser", "role": "zorgcoördinator"}
    assert [m.get("buttons") for m in messages].count(None) == 4
    assert messages[-1]["buttons"] == [{"title": "Ja", "payload": "/affirm"}]
    assert "van een ander gesprek" not in json.dumps(messages)


@pytest.mark.parametrize("bad", ["kort", "a" * 65, "abc$def" * 4, "..%2F..%2Fetc", ""])
def test_odd_conversation_ids_are_refused(web, bad):
    client, _, _ = web
    headers = {CONVERSATION_HEADER: bad, SECRET_HEADER: KEYS.secret(bad)}
    assert client.get("/api/conversation/messages", headers=headers).status_code == 403
    assert client.post("/api/conversation/erase", headers=headers).status_code == 403  # never erased


def test_without_the_conversations_secret_nothing_is_read_or_erased(web):
    """Finding 3 of the security review: the id alone (from a log line, a shared screen) opened the
    history, the handover status and erasing."""
    client, engine, _ = web
    add_event(engine, CONVERSATION, "user", "mijn zoon wordt gepest")
    wrong = [{CONVERSATION_HEADER: CONVERSATION},
             {CONVERSATION_HEADER: CONVERSATION, SECRET_HEADER: ""},
             {CONVERSATION_HEADER: CONVERSATION, SECRET_HEADER: KEYS.secret("b" * 32)},
             {CONVERSATION_HEADER: CONVERSATION, SECRET_HEADER: ConversationKeys("x" * 40).secret(CONVERSATION)}]
    for headers in wrong:
        for method, path in (("get", "messages"), ("get", "status"), ("post", "erase")):
            response = getattr(client, method)(f"/api/conversation/{path}", headers=headers)
            assert response.status_code == 403, (headers, path)
            assert "mijn zoon" not in response.text
    # the old address with the id in the path (and so in every access log) is gone
    assert client.get(f"/api/conversations/{CONVERSATION}/messages").status_code == 404
    assert client.post(f"/api/conversations/{CONVERSATION}/erase").status_code in (404, 405)
    assert client.get("/api/conversation/messages", headers=parent()).json()["messages"][0]["text"] == \
        "mijn zoon wordt gepest"


def test_erasing_needs_a_school_page_or_this_server_as_origin(web):
    client, engine, _ = web
    add_event(engine, CONVERSATION, "user", "mijn zoon wordt gepest")
    refused = client.post("/api/conversation/erase", headers={**parent(), "Origin": "https://evil.example"})
    assert refused.status_code == 403
    assert len(client.get("/api/conversation/messages", headers=parent()).json()["messages"]) == 1
    allowed = client.post("/api/conversation/erase", headers={**parent(), "Origin": "https://www.hetbaken.example"})
    assert allowed.status_code == 200 and allowed.json()["events_deleted"] == 1


def test_the_api_is_rate_limited_per_conversation(web, monkeypatch):
    _, engine, _ = web
    monkeypatch.setenv("WEGWIJS_API_RATE_PER_MINUTE", "5")
    client = TestClient(create_app(Settings.from_env()))
    statuses = [client.get("/api/conversation/status", headers=parent()).status_code for _ in range(7)]
    assert statuses == [200] * 5 + [429] * 2
    limited = client.get("/api/conversation/status", headers=parent())
    assert int(limited.headers["retry-after"]) >= 1 and "Probeer het over een minuut" in limited.text
    assert client.get("/api/conversation/status", headers=parent("b" * 32)).status_code == 200


def test_the_server_refuses_to_start_without_the_chat_secret(db_url, monkeypatch):
    monkeypatch.delenv("WEGWIJS_CHAT_SECRET", raising=False)
    with pytest.raises(ValueError, match="WEGWIJS_CHAT_SECRET"):
        create_app(Settings.from_env())


def test_html_pages_have_a_content_security_policy_and_cannot_be_framed(web):
    client, _, _ = web
    for path in ("/demo/", "/demo/het-baken/", "/privacy.html"):
        response = client.get(path)
        policy = response.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in policy and "script-src 'self'" in policy
        assert "connect-src 'self' http://localhost:5005 ws://localhost:5005" in policy
        assert response.headers["x-frame-options"] == "DENY"


def test_erase_deletes_events_and_handover_content(web):
    client, engine, db_url = web
    add_event(engine, CONVERSATION, "user", "mijn zoon wordt gepest")
    add_event(engine, "c" * 32, "user", "blijft staan")
    with session_factory(db_url)() as session, session.begin():
        handover = service.create_handover(
            session, school_id="het-baken", role="zorgcoordinator", conversation_id=CONVERSATION,
            question="mijn zoon wordt gepest", contact_method="phone", contact_detail="0612345678",
            consent_text="toestemming")
        session.add(HandoverNote(handover_id=handover.id, text="bellen"))
    response = client.post("/api/conversation/erase", headers=parent())
    assert response.json() == {"erased": True, "events_deleted": 1, "handovers_erased": 1}
    with engine.connect() as connection:
        assert connection.execute(sa.text("select count(*) from events where sender_id = :s"),
                                  {"s": CONVERSATION}).scalar() == 0
        assert connection.execute(sa.text("select count(*) from events")).scalar() == 1
        row = connection.execute(sa.select(Handover.question, Handover.contact_detail, Handover.status,
                                           Handover.purged_at)).one()
        assert row.question is None and row.contact_detail is None and row.status == "resolved"
        assert row.purged_at is not None
        assert connection.execute(sa.select(sa.func.count()).select_from(HandoverNote)).scalar() == 0
    assert client.get("/api/conversation/messages", headers=parent()).json() == {"messages": []}
    assert client.get("/api/conversation/status", headers=parent()).json() == {"handover": None}


def test_status_names_the_role_and_follows_the_handover(web):
    client, _, db_url = web
    assert client.get("/api/conversation/status", headers=parent()).json() == {"handover": None}
    with session_factory(db_url)() as session, session.begin():
        service.create_handover(session, school_id="het-baken", role="zorgcoordinator",
                                conversation_id=CONVERSATION, question="vraag", contact_method="chat",
                                consent_text="ok")
    status = client.get("/api/conversation/status", headers=parent()).json()["handover"]
    assert status["status"] == "new"
    assert status["text"] == "Je vraag ligt bij de zorgcoördinator (Sanne Visser). Die heeft hem nog niet gelezen."


def test_demo_pages_embed_the_widget_with_the_school_id(web):
    client, _, _ = web
    page = client.get("/demo/de-regenboog/")
    assert page.status_code == 200
    assert 'data-school-id="de-regenboog"' in page.text and 'src="/widget.js"' in page.text
    assert client.get("/demo/bestaat-niet/").status_code == 404
    index = client.get("/demo/").text
    assert all(f"/demo/{school}/" in index for school in ("de-regenboog", "het-baken", "de-kompas"))
    assert client.get("/widget.js").status_code == 200
    assert client.get("/vendor/socket.io.min.js").status_code == 200
    assert "Privacy" in client.get("/privacy.html").text


def test_cors_allows_school_websites_and_configured_origins_only(web):
    client, _, _ = web
    url = "/api/conversation/messages"
    for origin in ("https://www.hetbaken.example", "https://andere-school.example"):
        assert client.get(url, headers={"Origin": origin, **parent()}).headers.get(
            "access-control-allow-origin") == origin
        preflight = client.options(url, headers={"Origin": origin, "Access-Control-Request-Method": "GET",
                                                 "Access-Control-Request-Headers": "x-wegwijs-secret"})
        assert preflight.status_code == 200
    assert "access-control-allow-origin" not in client.get(
        url, headers={"Origin": "https://evil.example", **parent()}).headers


def test_staff_messages_reach_the_socket_with_name_and_role():
    sent = []

    class FakeSio:
        async def emit(self, event, data, room=None):
            sent.append((event, data, room))

    output = WegwijsSocketIOOutput(FakeSio(), "bot_uttered")
    staff = {"name": "Sanne Visser", "role": "zorgcoördinator"}
    asyncio.run(output.send_response("room-1", {"text": "Sanne Visser (zorgcoördinator): Hoi", "wegwijs_staff": staff}))
    asyncio.run(output.send_response("room-1", {"text": "Gewoon de bot"}))
    assert sent[0] == ("bot_uttered", {"text": "Sanne Visser (zorgcoördinator): Hoi", "staff": staff}, "room-1")
    assert sent[1] == ("bot_uttered", {"text": "Gewoon de bot"}, "room-1")


def test_history_names_answers_and_their_ratings_and_erase_removes_the_ratings(web, home, monkeypatch):
    """"Had je hier iets aan?": a rating is an event of the conversation itself (wegwijs/feedback.py), read
    back with the history (not asked again after a reload) and erased with the conversation."""
    from types import SimpleNamespace

    from rasa.core.tracker_store import FailSafeTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from wegwijs.channels import record_feedback
    from wegwijs.lock_store import WegwijsLockStore
    from wegwijs.tracker_store import WegwijsTrackerStore

    client, engine, _ = web
    monkeypatch.delenv("WEGWIJS_REDIS_URL", raising=False)
    domain = Domain.load(str(home / "domain.yml"))
    store = WegwijsTrackerStore(domain=domain)
    agent = SimpleNamespace(tracker_store=FailSafeTrackerStore(store), lock_store=WegwijsLockStore())
    for conversation in (CONVERSATION, "c" * 32):
        asyncio.run(store.save(DialogueStateTracker.from_events(conversation, [
            ActionExecuted("action_listen"), UserUttered("hoi"), ActionExecuted("action_greet"),
            BotUttered("Hoi! Ik ben Wegwijs."), ActionExecuted("action_listen"),
            UserUttered("wat is een sop"), ActionExecuted("action_answer_topic"),
            BotUttered("Een SOP is…", {"buttons": [{"title": "Meer weten", "payload": "/more_info"}]},
                       metadata={"answer_id": "care_sop"}),
            ActionExecuted("action_listen")], domain.slots)))
    for conversation in (CONVERSATION, "c" * 32):
        assert asyncio.run(record_feedback(agent, conversation, {"answer_id": "care_sop", "rating": "down",
                                                                 "reason": None}))
    assert asyncio.run(record_feedback(agent, CONVERSATION, {"answer_id": "care_sop", "rating": "down",
                                                             "reason": "unclear"}))
    messages = client.get("/api/conversation/messages", headers=parent()).json()["messages"]
    assert [m["from"] for m in messages] == ["parent", "bot", "parent", "bot"]
    assert "answer_id" not in messages[1] and "feedback" not in messages[1]  # a greeting is not rated
    assert messages[3]["answer_id"] == "care_sop"
    assert messages[3]["feedback"] == {"rating": "down", "reason": "unclear"}  # the latest rating
    assert client.post("/api/conversation/erase", headers=parent()).status_code == 200
    with engine.connect() as connection:
        left = connection.execute(sa.text("select type_name, data from events where sender_id = :s"),
                                  {"s": CONVERSATION}).all()
        other = connection.execute(sa.text("select count(*) from events where sender_id = :s and "
                                           "type_name = 'slot'"), {"s": "c" * 32}).scalar()
    assert left == [] and other == 1  # the other conversation keeps its rating
    assert client.get("/api/conversation/messages", headers=parent()).json() == {"messages": []}
    store.engine.dispose()


# ---------------------------------------------------------------- schools live from the database


def test_a_school_created_after_the_start_gets_a_demo_page_cors_and_its_look(web, monkeypatch):
    from wegwijs import channels, schools_store
    from wegwijs.schools_store import Actor

    client, _, db_url = web
    new = "de-zonnewijzer"
    origin = "https://www.zonnewijzer.example"
    url = "/api/conversation/messages"
    assert client.get(f"/demo/{new}/").status_code == 404
    assert client.get(f"/api/school/{new}").status_code == 404
    assert "access-control-allow-origin" not in client.get(url, headers={"Origin": origin, **parent()}).headers
    assert client.post("/api/conversation/erase", headers={"Origin": origin, **parent()}).status_code == 403
    with session_factory(db_url)() as session, session.begin():
        schools_store.create_school(session, Actor.system(), new, {
            "name": "Basisschool De Zonnewijzer", "type": "po", "gemeente": "Utrecht",
            "samenwerkingsverband": "SWV Utrecht PO", "website": origin + "/",
            "contacts": {"contact_person": {"name": "Ilse de Vries", "phone": "012-3450000"}},
            "widget": {"display_name": "Zonnewijzer-chat", "colour": "#1a5e8c"}})
    page = client.get(f"/demo/{new}/")
    assert page.status_code == 200 and "Basisschool De Zonnewijzer" in page.text
    assert f'data-school-id="{new}"' in page.text
    assert f"/demo/{new}/" in client.get("/demo/").text
    assert client.get(f"/api/school/{new}").json() == {"id": new, "display_name": "Zonnewijzer-chat",
                                                       "colour": "#1a5e8c"}
    assert client.get("/api/school/het-baken").json()["id"] == "het-baken"
    # the origins are read again every few seconds: move the clock on
    later = time.monotonic() + 60
    monkeypatch.setattr(channels.time, "monotonic", lambda: later)
    assert client.get(url, headers={"Origin": origin, **parent()}).headers.get(
        "access-control-allow-origin") == origin
    assert client.post("/api/conversation/erase", headers={"Origin": origin, **parent()}).status_code == 200


def test_the_widget_sets_the_look_through_the_cssom_only():
    """No style attribute in markup (the demo pages' CSP: style-src 'self'); the name as text."""
    source = (Path(__file__).parent.parent / "widget" / "widget.js").read_text(encoding="utf-8")
    assert 'root.style.setProperty("--ww-accent", look.colour)' in source
    assert '"style"' not in source and "innerHTML" not in source
    assert "textContent = look.display_name" in source


def test_the_chats_allowed_origins_come_from_the_database(web):
    from wegwijs import schools_store
    from wegwijs.channels import allowed_origins
    from wegwijs.schools_store import Actor

    _, _, db_url = web
    settings = Settings.from_env()
    assert "https://www.hetbaken.example" in allowed_origins(settings)
    with session_factory(db_url)() as session, session.begin():
        schools_store.update_profile(session, Actor.system(), "het-baken",
                                     {"website": "https://nieuw.hetbaken.example/home"})
    origins = allowed_origins(settings)
    assert "https://nieuw.hetbaken.example" in origins and "https://www.hetbaken.example" not in origins
    assert "https://andere-school.example" in origins


def test_payloads_in_a_schools_name_and_look_stay_inert_on_the_demo_page_and_in_the_look(web):
    """The name is escaped by the demo page's template; the look is JSON the widget writes as text
    (``textContent``) and as a CSS custom property only when it is a colour."""
    from wegwijs import schools_store
    from wegwijs.schools_store import Actor

    client, _, db_url = web
    payload = '<script>alert(1)</script>"><img src=x onerror=alert(1)>'
    with session_factory(db_url)() as session, session.begin():
        schools_store.update_profile(session, Actor.system(), "het-baken", {
            "name": payload, "gemeente": payload,
            "widget": {"display_name": '"><img src=x onerror=alert(1)>'}})
    for path in ("/demo/het-baken/", "/demo/"):
        page = client.get(path).text.lower()
        assert "<img" not in page and "<script>alert" not in page, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, path
    look = client.get("/api/school/het-baken")
    assert look.headers["content-type"].startswith("application/json")
    assert look.json()["display_name"] == '"><img src=x onerror=alert(1)>'
    widget = (Path(__file__).parent.parent / "widget" / "widget.js").read_text(encoding="utf-8")
    assert "/^#[0-9a-fA-F]{6}$/.test(look.colour)" in widget
