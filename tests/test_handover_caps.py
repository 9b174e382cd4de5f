"""Caps on new handovers and bundled notification mails (issue 20, finding 7: handover and mail flooding).

The caps (``wegwijs/handovers/limits.py``): new handovers per conversation per day, per client network
(the chat channel's keyed hash of the IPv4 address or IPv6 /64, in the message's metadata as ``network``)
per hour and per school per hour, counted in the database. The mails (``wegwijs/handovers/batching.py``):
at most one per school address per window; the handovers of a window go out together when it ends.
Run with the handover actions on a real SQLite database, and a local SMTP sink for the mails.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import email
import threading
from concurrent.futures import ThreadPoolExecutor
from email import policy
from typing import Any, Dict, List, Optional

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.handover import CONSENT, QUESTION, ActionHandoverSubmit, ValidateHandoverForm
from test_handover_actions import (_clear_caches, bot, consent_slots, consent_text_for, db,  # noqa: F401
                                   domain, required, run, slot_values, stored)
from test_notify import sink  # noqa: F401  (the fixture)
from wegwijs.db.engine import session_factory
from wegwijs.db.models import Handover, utcnow
from wegwijs.handovers import service

#: the actions read the schools from the database: every test gets one with the example schools
pytestmark = pytest.mark.usefixtures("school_db")

NETWORK_A = "3f2a9c0d1e4b5a6978c0d1e2"  # what the chat channel sends: a keyed hash, 24 hex characters
NETWORK_B = "0a1b2c3d4e5f60718293a4b5"
QUESTION_TEXT = "Onze zoon wordt al weken gepest op het schoolplein, wie kan ons helpen?"


def caps(monkeypatch, conversation: int = 0, network: int = 0, school: int = 0) -> None:
    """The caps for the actions (0: none), through the environment as in production."""
    monkeypatch.setenv("WEGWIJS_HANDOVER_CAP_CONVERSATION_PER_DAY", str(conversation))
    monkeypatch.setenv("WEGWIJS_HANDOVER_CAP_NETWORK_PER_HOUR", str(network))
    monkeypatch.setenv("WEGWIJS_HANDOVER_CAP_SCHOOL_PER_HOUR", str(school))
    _clear_caches()


def consent_tracker(sender: str, network: Optional[str] = None, school_id: str = "het-baken",
                    language: Optional[str] = None, **slot_overrides: Any) -> Tracker:
    """The tracker of the parent's "yes" to the consent question, with the channel's metadata."""
    slots = consent_slots(**{CONSENT: "yes", "school_id": school_id, **slot_overrides})
    if language:
        slots["language"] = language
    metadata: Dict[str, Any] = {"school_id": school_id}
    if network:
        metadata["network"] = network
    latest = {"text": "/affirm", "intent": {"name": "affirm", "confidence": 1.0}, "intent_ranking": [],
              "metadata": metadata}
    events = [bot(consent_text_for(slots, [])), {"event": "user", "text": "/affirm", "metadata": metadata,
                                                  "parse_data": {"intent": {"name": "affirm"}}}]
    return Tracker(sender, slots, latest, events, False, None, {}, "handover_form")


def submit(sender: str, network: Optional[str] = None, **kwargs: Any):
    """Run the submit action; its messages' texts and its events."""
    messages, events = run(ActionHandoverSubmit(), consent_tracker(sender, network, **kwargs))
    return [m.get("text") or "" for m in messages], events


def resolve_all(db_url: str) -> None:
    """Staff answered every open handover (so the conversation may hand over a new question)."""
    with session_factory(db_url)() as session, session.begin():
        for handover in session.query(Handover).filter(Handover.status != "resolved"):
            service.resolve(session, handover)


def assert_refused_in_dutch(texts: List[str], busy: bool) -> None:
    assert len(texts) == 1
    text = texts[0]
    assert "niet doorgestuurd" in text or "niet doorsturen" in text
    if busy:
        assert "veel vragen" in text and "opnieuw" in text
    else:
        assert "al vragen" in text and "beantwoordt" in text
    assert "012-3457700" in text  # the school's phone, from its profile
    assert "112" in text and "Veilig Thuis 0800-2000" in text and "113" in text


# --- the caps ------------------------------------------------------------------------------------------

def test_a_conversation_hands_over_at_most_its_daily_cap(db, monkeypatch):
    caps(monkeypatch, conversation=3)
    for _ in range(3):
        texts, _ = submit("ouder-dag")
        assert texts[0].startswith("Je vraag ligt nu bij")
        resolve_all(db)  # answered: a new question may follow, up to the cap
    texts, events = submit("ouder-dag")
    assert_refused_in_dutch(texts, busy=False)
    assert len(stored(db)) == 3
    assert "handover_id" not in slot_values(events)
    assert slot_values(events)[CONSENT] is None and slot_values(events)[QUESTION] is None
    # another conversation is not capped by this one
    texts, _ = submit("ouder-ander")
    assert texts[0].startswith("Je vraag ligt nu bij")
    # a day later the conversation may hand over again
    with session_factory(db)() as session, session.begin():
        for handover in session.query(Handover).filter(Handover.conversation_id == "ouder-dag"):
            handover.created_at -= dt.timedelta(hours=25)
    resolve_all(db)
    assert submit("ouder-dag")[0][0].startswith("Je vraag ligt nu bij")


def test_the_network_cap_is_shared_by_the_conversations_of_one_network_only(db, monkeypatch):
    caps(monkeypatch, conversation=3, network=2, school=30)
    # two conversations (two tabs, or a script with fresh conversation ids) from one network
    assert submit("tab-1", NETWORK_A)[0][0].startswith("Je vraag ligt nu bij")
    assert submit("tab-2", NETWORK_A)[0][0].startswith("Je vraag ligt nu bij")
    texts, _ = submit("tab-3", NETWORK_A)
    assert_refused_in_dutch(texts, busy=True)
    # another network, and a client without the metadata (REST), still may
    assert submit("elders-1", NETWORK_B)[0][0].startswith("Je vraag ligt nu bij")
    assert submit("rest-1")[0][0].startswith("Je vraag ligt nu bij")
    rows = stored(db)
    assert [(h.conversation_id, h.client_network) for h in rows] == [
        ("tab-1", NETWORK_A), ("tab-2", NETWORK_A), ("elders-1", NETWORK_B), ("rest-1", None)]
    # an hour later the network may hand over again
    with session_factory(db)() as session, session.begin():
        for handover in session.query(Handover):
            handover.created_at -= dt.timedelta(minutes=61)
    assert submit("tab-4", NETWORK_A)[0][0].startswith("Je vraag ligt nu bij")


def test_the_school_cap_counts_every_conversation_of_the_school(db, monkeypatch):
    caps(monkeypatch, conversation=3, network=5, school=3)
    for number in range(3):  # many networks (IPv6 gives anyone as many as they like)
        assert submit(f"ouder-{number}", f"{number:024x}")[0][0].startswith("Je vraag ligt nu bij")
    texts, _ = submit("ouder-3", f"{3:024x}")
    assert_refused_in_dutch(texts, busy=True)
    texts, _ = submit("ouder-4")  # nor without a network
    assert_refused_in_dutch(texts, busy=True)
    # another school has its own cap
    texts, _ = submit("ouder-kompas", school_id="de-kompas")
    assert texts[0].startswith("Je vraag ligt nu bij")
    assert [h.school_id for h in stored(db)] == ["het-baken"] * 3 + ["de-kompas"]


def test_the_refusal_is_in_english_for_an_english_conversation(db, monkeypatch):
    caps(monkeypatch, school=1)
    assert submit("en-1", language="en")[0][0].startswith("Your question is now with")
    texts, _ = submit("en-2", language="en")
    assert len(texts) == 1
    text = texts[0]
    assert "Many questions" in text and "try again" in text and "not been sent" in text
    assert "012-3457700" in text and "Call 112" in text and "0800-2000" in text
    assert len(stored(db)) == 1


def test_a_capped_form_stops_before_the_question_and_says_why(db, monkeypatch, domain):
    """The early check: the parent does not write their question first to hear it cannot be sent."""
    from test_handover_actions import form_tracker

    caps(monkeypatch, network=1)
    assert submit("tab-1", NETWORK_A)[0][0].startswith("Je vraag ligt nu bij")
    start = form_tracker("ik wil iemand spreken", None, sender="tab-2")
    start.latest_message["metadata"]["network"] = NETWORK_A
    assert required(start, domain) == []
    messages, events = run(ActionHandoverSubmit(), Tracker(
        "tab-2", {"school_id": "het-baken"}, start.latest_message, [], False, None, {}, "handover_form"))
    assert_refused_in_dutch([m["text"] for m in messages], busy=True)
    # from another network the form asks the question as always
    other = form_tracker("ik wil iemand spreken", None, sender="tab-3")
    other.latest_message["metadata"]["network"] = NETWORK_B
    assert required(other, domain)[0] == QUESTION


def test_a_crisis_message_still_gets_its_help_line_when_capped(db, monkeypatch, domain):
    """The caps only concern creating handovers: help lines are never held back."""
    from test_handover_actions import form_tracker

    caps(monkeypatch, school=1)
    submit("eerste")
    text = "Mijn man slaat mij als de kinderen slapen en ik durf het niemand te vertellen"
    messages, _ = run(ValidateHandoverForm(), form_tracker(text, QUESTION, intent="safety_domestic_violence",
                                                           sender="tweede"), domain)
    assert messages[0]["response"] == "utter_safety_domestic_violence"
    texts, _ = submit("tweede", **{QUESTION: text})
    assert_refused_in_dutch(texts, busy=True)


def test_parallel_handovers_do_not_pass_the_cap(db):
    """Twelve handovers at the same moment from one network (each on its own database connection, as
    from several action server processes) while the cap allows three: exactly three are stored."""
    from wegwijs.handovers import limits

    cap = limits.Caps(conversation=0, network=3, school=0)
    start = threading.Barrier(12)

    def one(number: int) -> bool:
        start.wait()
        try:
            with session_factory(db)() as session, session.begin():
                service.create_handover(
                    session, school_id="het-baken", role="zorgcoordinator", conversation_id=f"c-{number}",
                    question=QUESTION_TEXT, contact_method="chat", consent_text="Vind je het goed?",
                    client_network=NETWORK_A, caps=cap)
            return True
        except limits.CapReached as refused:
            assert refused.cap == "network"
            return False

    with ThreadPoolExecutor(max_workers=12) as pool:
        results = list(pool.map(one, range(12)))
    assert results.count(True) == 3
    assert len(stored(db)) == 3


def test_the_network_from_the_metadata_must_look_like_the_channels_hash():
    from wegwijs.handovers import limits

    assert limits.network_of({"network": NETWORK_A.upper()}) == NETWORK_A
    assert limits.network_of({"network": "ab" * 32}) == ("ab" * 32)[:32]  # kept at the column's width
    for bad in (None, {}, {"network": ""}, {"network": "192.168.1.1"}, {"network": 12},
                {"network": "zz" * 12}, {"network": "ab"}, "network"):
        assert limits.network_of(bad) is None


def test_the_caps_are_settings_with_defaults():
    from wegwijs.settings import Settings, SettingsError

    defaults = Settings.from_env({})
    assert (defaults.handover_cap_conversation, defaults.handover_cap_network,
            defaults.handover_cap_school, defaults.notify_window_seconds) == (3, 5, 30, 300)
    custom = Settings.from_env({"WEGWIJS_HANDOVER_CAP_SCHOOL_PER_HOUR": "0",
                                "WEGWIJS_NOTIFY_WINDOW_SECONDS": "60"})
    assert custom.handover_cap_school == 0 and custom.notify_window_seconds == 60
    with pytest.raises(SettingsError):
        Settings.from_env({"WEGWIJS_HANDOVER_CAP_NETWORK_PER_HOUR": "-1"})


def test_erasing_or_purging_clears_the_network(db):
    from wegwijs.db.engine import engine_for

    with session_factory(db)() as session, session.begin():
        ids = [service.create_handover(
            session, school_id="het-baken", role="zorgcoordinator", conversation_id=f"c-{n}",
            question=QUESTION_TEXT, contact_method="chat", consent_text="Vind je het goed?",
            client_network=NETWORK_A).id for n in range(2)]
    with engine_for(db).begin() as connection:
        assert service.clear_content(connection, ids[:1], utcnow()) == 1
        assert service.clear_content(connection, ids[1:], utcnow(), resolve=True) == 1
    assert [h.client_network for h in stored(db)] == [None, None]


# --- bundled mails -----------------------------------------------------------------------------------

def mail_settings(monkeypatch, port: int, window: int = 300) -> None:
    monkeypatch.setenv("WEGWIJS_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("WEGWIJS_SMTP_PORT", str(port))
    monkeypatch.setenv("WEGWIJS_PORTAL_URL", "https://portaal.hetbaken.example")
    monkeypatch.setenv("WEGWIJS_NOTIFY_WINDOW_SECONDS", str(window))
    _clear_caches()


def parsed(envelope) -> email.message.EmailMessage:
    return email.message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)


def test_handovers_in_one_window_give_one_mail_at_once_and_one_bundled_mail(db, sink, monkeypatch):
    from actions.common import settings

    mailbox, port = sink
    mail_settings(monkeypatch, port)
    for number in range(4):  # four parents' questions for the zorgcoördinator within a minute
        texts, _ = submit(f"ouder-{number}", **{QUESTION: f"{QUESTION_TEXT} (ouder {number})"})
        assert texts[0].startswith("Je vraag ligt nu bij de zorgcoördinator")
    assert len(mailbox.envelopes) == 1  # the first one at once; the others wait for the window's end
    first = parsed(mailbox.envelopes[0])
    rows = stored(db)
    assert first["Subject"].startswith("Nieuwe vraag van een ouder") and rows[0].public_id in \
        first.get_body(("plain",)).get_content()
    assert rows[0].notified_at is not None and all(h.notified_at is None for h in rows[1:])

    from wegwijs.handovers import batching

    # nothing more before the window ends
    assert batching.flush_due(settings(), now=utcnow() + dt.timedelta(seconds=200)) == 0
    assert len(mailbox.envelopes) == 1
    # the school renames itself in the portal meanwhile: the mail names it as it is now (no restart)
    from wegwijs import schools_store

    with session_factory(db)() as session, session.begin():
        schools_store.update_profile(session, schools_store.Actor.system(), "het-baken",
                                     {"name": "Het Baken College Amersfoort"})
    # when it has ended: one mail for the three others
    assert batching.flush_due(settings(), now=utcnow() + dt.timedelta(seconds=301)) == 1
    assert len(mailbox.envelopes) == 2
    bundle = parsed(mailbox.envelopes[1])
    assert bundle["To"] == "zorg@hetbaken.example"
    assert bundle["Subject"] == "3 nieuwe vragen van ouders (Het Baken College Amersfoort)"
    body = bundle.get_body(("plain",)).get_content()
    assert "3 nieuwe vragen" in body
    for handover in rows[1:]:
        assert f"https://portaal.hetbaken.example/handovers/{handover.public_id}" in body
    # no parent's content in any mail
    raw = b"".join(envelope.original_content or envelope.content for envelope in mailbox.envelopes)
    for secret in ("gepest", "schoolplein", "ouder 2", "06-12345678", "0612345678", "2 havo"):
        assert secret.encode() not in raw, secret
    assert all(h.notified_at is not None and h.notify_to is None for h in stored(db))
    # and nothing is sent twice
    assert batching.flush_due(settings(), now=utcnow() + dt.timedelta(seconds=900)) == 0
    assert len(mailbox.envelopes) == 2


def test_the_action_server_sends_the_bundle_when_the_window_ends(db, sink, monkeypatch):
    """Without anything else running: the action server's own timer sends the waiting handovers."""
    mailbox, port = sink
    mail_settings(monkeypatch, port, window=1)

    trackers = [consent_tracker(f"ouder-{number}") for number in range(3)]

    async def parents() -> None:
        for tracker in trackers:
            await ActionHandoverSubmit().run(CollectingDispatcher(), tracker, {})
        assert len(mailbox.envelopes) == 1
        await asyncio.sleep(2.0)

    asyncio.run(parents())
    assert len(mailbox.envelopes) == 2
    assert parsed(mailbox.envelopes[1])["Subject"].startswith("2 nieuwe vragen van ouders")


def test_the_next_handover_after_the_window_takes_the_waiting_ones_along(db, sink, monkeypatch):
    """When the timer did not run (the process stopped), the next handover's mail includes them."""
    mailbox, port = sink
    mail_settings(monkeypatch, port)
    submit("ouder-1")
    submit("ouder-2")
    assert len(mailbox.envelopes) == 1
    from wegwijs.db.engine import engine_for
    from wegwijs.db.models import MailWindow

    with engine_for(db).begin() as connection:  # the window ended long ago
        connection.execute(MailWindow.__table__.update().values(sent_at=utcnow() - dt.timedelta(hours=1)))
    submit("ouder-3")
    assert len(mailbox.envelopes) == 2
    assert parsed(mailbox.envelopes[1])["Subject"] == "2 nieuwe vragen van ouders (Het Baken College)"
    assert all(h.notified_at is not None for h in stored(db))


def test_different_addresses_have_their_own_windows(db, sink, monkeypatch):
    mailbox, port = sink
    mail_settings(monkeypatch, port)
    submit("ouder-1")  # zorgcoördinator: zorg@hetbaken.example
    submit("ouder-2", handover_topic="care_mentor")  # mentor: ouders@…
    assert sorted(envelope.rcpt_tos[0] for envelope in mailbox.envelopes) == [
        "ouders@hetbaken.example", "zorg@hetbaken.example"]


def test_wegwijs_retention_sends_what_waits_when_no_timer_did(db, sink, monkeypatch, capsys):
    """The last safety net: the action server stopped before its timer fired."""
    from wegwijs import cli
    from wegwijs.db.engine import engine_for
    from wegwijs.db.models import MailWindow

    mailbox, port = sink
    mail_settings(monkeypatch, port)
    submit("ouder-1")
    submit("ouder-2")
    submit("ouder-3")
    assert len(mailbox.envelopes) == 1
    assert cli.main(["retention"]) == 0  # the window still runs: nothing yet
    assert len(mailbox.envelopes) == 1
    with engine_for(db).begin() as connection:
        connection.execute(MailWindow.__table__.update().values(sent_at=utcnow() - dt.timedelta(minutes=6)))
    assert cli.main(["retention"]) == 0
    assert "sent 1 bundled notification mail(s)" in capsys.readouterr().out
    assert parsed(mailbox.envelopes[1])["Subject"] == "2 nieuwe vragen van ouders (Het Baken College)"


def test_the_migrations_give_exactly_the_models_tables(db):
    """Migration 0006 and wegwijs/db/models.py agree (columns, types, indexes)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from wegwijs.db.engine import engine_for
    from wegwijs.db.models import Base

    def ours(obj, name, type_, reflected, compare_to) -> bool:
        return type_ != "table" or (name.startswith("wegwijs_") and name != "wegwijs_alembic_version")

    with engine_for(db).connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_object": ours, "compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
