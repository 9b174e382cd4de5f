"""End to end, the whole handover with real processes: Rasa (socket.io + HTTP API behind JWT), the
action server, the staff portal (uvicorn), SQLite, a local SMTP sink and a real browser (Playwright
driving Debian's chromium, installed by .ci/run).

A parent asks for a person on the socket.io channel → consents → a mail with a link reaches the SMTP
sink → staff log in through that link in the browser and see the question and the transcript → staff
reply → the parent's socket.io client receives it, and the bot stays quiet while staff handle it →
staff resolve → the bot answers the parent again.
"""
from __future__ import annotations

import queue
import re
import time
from pathlib import Path
from typing import Dict, List

import pytest
import sqlalchemy as sa

from support import CHROMIUM, CHROMIUM_ARGS, endpoints_for, free_port
from wegwijs import serve
from wegwijs.training import model_path

pytestmark = [pytest.mark.integration, pytest.mark.model, pytest.mark.timeout(900)]
STAFF_EMAIL = "sanne.visser@het-baken.example"
STAFF_PASSWORD = "een-lang-en-geheim-wachtwoord"




class Mailbox:
    """An aiosmtpd handler keeping every message."""

    def __init__(self) -> None:
        self.messages: "queue.Queue[str]" = queue.Queue()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        self.messages.put(envelope.content.decode("utf-8", "replace"))
        return "250 OK"


class Parent:
    """The parent's chat: a socket.io client as the widget uses it (session persistence)."""

    def __init__(self, url: str, school: str) -> None:
        import socketio

        self.school = school
        self.received: "queue.Queue[Dict]" = queue.Queue()
        self.client = socketio.Client(reconnection=False)
        confirmed = queue.Queue()
        self.client.on("bot_uttered", lambda data: self.received.put(data))
        self.client.on("session_confirm", lambda *issued: confirmed.put(issued))
        self.client.connect(url, socketio_path="/socket.io", transports=["websocket"],
                            wait_timeout=30)
        self.client.emit("session_request", {})  # the server issues the conversation id and its secret
        self.session_id, self.secret = confirmed.get(timeout=30)

    def say(self, text: str) -> None:
        metadata = {"school_id": self.school}
        if text.startswith("/"):
            metadata["button"] = True  # a payload is a button click, as the widget sends it
        self.client.emit("user_uttered", {"message": text, "session_id": self.session_id,
                                          "metadata": metadata})

    def wait_for(self, pattern: str, timeout: float = 60) -> List[str]:
        """Messages received until one matches ``pattern`` (all of them, in order)."""
        seen: List[str] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                data = self.received.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                break
            seen.append(str(data.get("text", "")))
            if re.search(pattern, seen[-1]):
                return seen
        raise AssertionError(f"no message matching {pattern!r}; received: {seen}")

    def quiet_for(self, seconds: float) -> List[str]:
        """Messages received within ``seconds`` (expected: none)."""
        got = []
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                got.append(str(self.received.get(timeout=0.2).get("text", "")))
            except queue.Empty:
                pass
        return got

    def close(self) -> None:
        self.client.disconnect()


@pytest.fixture(scope="module")
def full_stack(home, tmp_path_factory):
    if not model_path(home).exists():
        pytest.fail("no trained model: run `make model` first")
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed (.ci/run installs Debian's chromium)")
    from aiosmtpd.controller import Controller

    from wegwijs.db import migrate
    from wegwijs.schools_store import seed_database
    from wegwijs.db.engine import session_factory
    from wegwijs.schools import SchoolRegistry
    from wegwijs.staff import add_staff

    tmp = tmp_path_factory.mktemp("e2e")
    db_url = f"sqlite:///{tmp / 'wegwijs.db'}"
    mailbox = Mailbox()
    smtp_port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    patch = pytest.MonkeyPatch()
    rasa_port, actions_port, web_port, portal_port = (free_port() for _ in range(4))
    for key, value in {"WEGWIJS_DB_URL": db_url, "WEGWIJS_SMTP_HOST": "127.0.0.1",
                       "WEGWIJS_SMTP_PORT": str(smtp_port),
                       "WEGWIJS_PORTAL_URL": f"http://127.0.0.1:{portal_port}"}.items():
        patch.setenv(key, value)
    migrate.upgrade(db_url)
    seed_database(db_url)  # the example schools (schools/*.yml): the action server reads the database
    with session_factory(db_url)() as session, session.begin():
        add_staff(session, SchoolRegistry.from_directory(home / "schools"), email=STAFF_EMAIL,
                  name="Sanne Visser", kind="staff", password=STAFF_PASSWORD, school_id="het-baken",
                  roles=["zorgcoordinator", "mentor"])  # need-to-know: the question may go to the mentor
    endpoints = endpoints_for(home, tmp, actions_port)
    keys = serve.new_secrets()
    specs = serve.services(home, "127.0.0.1", rasa_port, actions_port, web_port, endpoints=endpoints,
                           portal_port=portal_port, keys=keys)
    processes = serve.start(home, specs, tmp / "log", timeout=300)
    try:
        yield {"rasa": f"http://127.0.0.1:{rasa_port}", "portal": f"http://127.0.0.1:{portal_port}",
               "db_url": db_url, "mailbox": mailbox, "token": keys["WEGWIJS_RASA_JWT_SECRET"],
               "log": tmp / "log"}
    finally:
        serve.stop(processes)
        controller.stop()
        patch.undo()


def test_rasa_api_needs_a_signed_jwt(full_stack):
    import urllib.error
    import urllib.request

    url = f"{full_stack['rasa']}/conversations/someone/tracker/events"
    request = urllib.request.Request(url, data=b'[{"event": "pause"}]', method="POST",
                                     headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=10)
    assert caught.value.code == 401
    # a token in the URL does not open it either
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(urllib.request.Request(url + f"?token={full_stack['token']}",
                                                      data=b"[]", method="POST"), timeout=10)
    assert caught.value.code == 401

    from wegwijs.handovers.live import RasaClient, RasaUnavailable

    with pytest.raises(RasaUnavailable):
        RasaClient(full_stack["rasa"], "a-wrong-secret-" + "x" * 30).pause("someone")
    RasaClient(full_stack["rasa"], full_stack["token"]).append("someone", [{"event": "pause"},
                                                                            {"event": "resume"}])


def test_parent_to_staff_and_back(full_stack, home):
    from playwright.sync_api import sync_playwright

    from wegwijs.db.models import AuditEntry, Handover

    parent = Parent(full_stack["rasa"], "het-baken")
    try:
        # the parent asks for a person (the "Met iemand praten" button) and answers the form
        parent.say("/talk_to_human")
        parent.wait_for(r"Wat wil je vragen")
        question = "Mijn zoon wordt al weken gepest en de mentor reageert niet op mijn mails."
        parent.say(question)
        parent.wait_for(r"In welke klas")
        parent.say("brugklas")
        parent.wait_for(r"Hoe wil je antwoord")
        parent.say("chat")
        consent = parent.wait_for(r"Vind je het goed dat ik dit deel")
        assert any("het Baken College" in text or "Het Baken College" in text for text in consent)
        parent.say("/affirm")
        parent.wait_for(r"Je vraag ligt nu bij")

        engine = sa.create_engine(full_stack["db_url"], future=True)
        with engine.connect() as connection:
            row = connection.execute(sa.select(Handover.public_id, Handover.status, Handover.role,
                                               Handover.question)
                                     .where(Handover.conversation_id == parent.session_id)).one()
        assert row.status == "new" and row.question == question

        # the notification mail: a link, no content
        mail = full_stack["mailbox"].messages.get(timeout=30)
        assert "pest" not in mail
        link = re.search(r"http://127\.0\.0\.1:\d+/handovers/[0-9a-f]{32}", mail).group(0)
        assert link.endswith(row.public_id)

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                                 args=CHROMIUM_ARGS)
            page = browser.new_page()
            page.on("dialog", lambda dialog: dialog.accept())
            page.goto(link)
            page.fill("#email", STAFF_EMAIL)
            page.fill("#password", STAFF_PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(f"**/handovers/{row.public_id}")
            assert question in page.inner_text("main")
            assert question in page.inner_text("[data-testid=transcript]")

            # staff reply: the parent's open chat receives it, with name and role
            page.fill("#reply-text", "Goedemiddag, ik bel de mentor vandaag nog. Groet, Sanne")
            page.click("#reply-h ~ form button[type=submit]")
            page.wait_for_selector("text=Bericht verstuurd naar de ouder")
            received = parent.wait_for(r"ik bel de mentor vandaag")
            assert "Sanne Visser (zorgcoördinator)" in received[-1]

            # paused: the bot stays quiet while staff handle the conversation
            parent.say("Dank u wel, fijn!")
            assert parent.quiet_for(4) == []
            page.reload()
            assert "Dank u wel, fijn!" in page.inner_text("[data-testid=transcript]")
            assert page.inner_text("[data-testid=status]") == "in behandeling"
            Path(home / "results").mkdir(exist_ok=True)
            page.screenshot(path=str(home / "results" / "portal-handover.png"), full_page=True)

            # resolve: the bot answers again
            page.click("form[action$='/resolve'] button[type=submit]")
            page.wait_for_selector("text=Afgerond")
            parent.wait_for(r"Je praat nu weer met Wegwijs")
            browser.close()

        parent.say("wat is een ontwikkelingsperspectief")
        answer = parent.wait_for(r"\S", timeout=60)
        # Wegwijs answers again (the answer may name her as the school's zorgcoördinator, but it is no
        # staff message: those start with "Sanne Visser (zorgcoördinator): ")
        assert "OPP" in answer[-1] and "Sanne Visser (zorgcoördinator):" not in answer[-1]
        with engine.connect() as connection:
            status = connection.execute(sa.select(Handover.status).where(
                Handover.public_id == row.public_id)).scalar_one()
            reads = connection.execute(sa.select(sa.func.count()).select_from(AuditEntry).where(
                AuditEntry.handover_public_id == row.public_id,
                AuditEntry.action == "read_conversation")).scalar_one()
        assert status == "resolved"
        assert reads >= 2
    finally:
        parent.close()


def test_no_consent_shares_nothing(full_stack):
    from wegwijs.db.models import Handover

    parent = Parent(full_stack["rasa"], "de-regenboog")
    try:
        parent.say("/talk_to_human")
        parent.wait_for(r"Wat wil je vragen")
        parent.say("Mijn dochter kan niet meekomen met rekenen, wat kan school doen?")
        parent.wait_for(r"In welke groep")
        parent.say("groep 6")
        parent.wait_for(r"Hoe wil je antwoord")
        parent.say("bel mij maar op 06-12345678")
        consent = parent.wait_for(r"Vind je het goed")
        assert any("06-12345678" in text for text in consent)
        parent.say("/deny")
        reply = parent.wait_for(r"ik stuur niets door")
        assert "De Regenboog" in reply[-1]
        engine = sa.create_engine(full_stack["db_url"], future=True)
        with engine.connect() as connection:
            count = connection.execute(sa.select(sa.func.count()).select_from(Handover).where(
                Handover.conversation_id == parent.session_id)).scalar_one()
        assert count == 0
    finally:
        parent.close()
