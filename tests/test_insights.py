"""Insights (issue 17): conversations summed up from Rasa's events (wegwijs/insights), the figures with
"< 5", the portal page and its CSV (tenant isolation, audit), erasing, and the review inbox that puts
messages rated 👎 first. Conversations are stored through Wegwijs's real SQL tracker store (SQLite with our
migrations). The browser test of the whole flow is in tests/test_insights_e2e.py."""
from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import time
from pathlib import Path
from typing import List, Optional

import pytest
import sqlalchemy as sa
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (ActionExecuted, ActiveLoop, BotUttered, SessionStarted, SlotSet,
                                     UserUttered)
from rasa.shared.core.trackers import DialogueStateTracker

from test_portal import SCHOOL_A, SCHOOL_B, portal  # noqa: F401  (portal: the fixture)
from wegwijs import replies
from wegwijs.db import migrate
from wegwijs.db.engine import engine_for, session_factory
from wegwijs.db.models import Handover, InsightConversation, InsightRating, ReviewItem, StaffUser
from wegwijs.handovers import service
from wegwijs.insights import figures as F
from wegwijs.insights import store
from wegwijs.insights.summary import load_markers, week_of
from wegwijs.retrain import export as retrain_export
from wegwijs.retrain import review as retrain_review
from wegwijs.tracker_store import WegwijsTrackerStore
from wegwijs.transcripts import delete_conversations

ROOT = Path(__file__).resolve().parents[1]
#: these messages hold no personal data: no need to load the PII finder (deduce) here
NO_PII = lambda text: []  # noqa: E731


def run(coroutine):
    return asyncio.run(coroutine)


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain.yml"))


@pytest.fixture(scope="module")
def summariser(library):
    return store.Summariser(ROOT, lambda intent: library.get(intent) is not None)


class Talk:
    """Builds one conversation's events, a few seconds apart, from ``start``."""

    def __init__(self, school: Optional[str], start: Optional[float] = None) -> None:
        self.school = school
        self.t = start or time.time() - 600
        self.events: List = []
        self.new_session()

    def _at(self):
        self.t += 2
        return self.t

    def new_session(self) -> "Talk":
        self.events += [ActionExecuted("action_session_start", timestamp=self._at()),
                        SessionStarted(timestamp=self._at()), ActionExecuted("action_listen", timestamp=self._at())]
        return self

    def parent(self, text: str, intent: str, confidence: float = 0.9) -> "Talk":
        metadata = {"school_id": self.school} if self.school else {}
        self.events.append(UserUttered(text, {"name": intent, "confidence": confidence},
                                       metadata=metadata, timestamp=self._at()))
        return self

    def bot(self, action: str, text: str = "Een antwoord.", **metadata) -> "Talk":
        self.events += [ActionExecuted(action, timestamp=self._at()),
                        BotUttered(text, metadata=metadata, timestamp=self._at()),
                        ActionExecuted("action_listen", timestamp=self._at())]
        return self

    def choice(self, *intents: str) -> "Talk":
        buttons = [{"title": name, "payload": f"/{name}"} for name in intents]
        buttons += [{"title": "Iets anders", "payload": "/deny"}]
        self.events += [ActionExecuted("action_fallback", timestamp=self._at()),
                        BotUttered(replies.CHOOSE_TOPIC_TEXT, data={"buttons": buttons}, timestamp=self._at()),
                        ActionExecuted("action_listen", timestamp=self._at())]
        return self

    def rate(self, answer: str, rating: str, reason: Optional[str] = None) -> "Talk":
        self.events.append(SlotSet("answer_feedback", {"answer_id": answer, "rating": rating, "reason": reason},
                                   timestamp=self._at()))
        return self

    def save(self, tracker_store, domain, conversation_id: str) -> None:
        tracker = DialogueStateTracker.from_events(conversation_id, self.events, domain.slots)
        run(tracker_store.save(tracker))


@pytest.fixture
def chats(db_url, domain, monkeypatch):
    monkeypatch.delenv("WEGWIJS_REDIS_URL", raising=False)
    migrate.upgrade(db_url)
    tracker_store = WegwijsTrackerStore(domain=domain)
    yield tracker_store
    tracker_store.engine.dispose()


def full_talk(school: str = SCHOOL_A) -> Talk:
    """Every kind of thing the summary counts, once or more."""
    talk = Talk(school)
    talk.parent("wat doet een mentor", "care_mentor").bot("action_answer_topic", answer_id="care_mentor")
    talk.parent("hoe zit dat met een opp", "care_opp").bot("action_answer_topic", answer_id="care_opp")
    talk.parent("snap ik niet hoor", "nlu_fallback", 0.3).choice("care_opp", "care_sop")
    talk.parent("/care_sop", "care_sop", 1.0).bot("action_answer_topic", answer_id="care_sop")
    talk.parent("asdfgh", "nlu_fallback", 0.2).bot("action_fallback", replies.REPHRASE)
    talk.parent("ik ben bang dat hij zichzelf iets aandoet", "safety_suicide")
    talk.bot("utter_safety_suicide", "Bel 113.", utter_action="utter_safety_suicide")
    talk.parent("nog een mentorvraag", "care_mentor").bot("action_answer_topic", answer_id="care_mentor")
    talk.rate("care_mentor", "up").rate("care_opp", "down").rate("care_opp", "down", "incorrect")
    talk.rate("care_mentor", "down", "unclear")  # changed their mind: the latest counts
    talk.new_session()  # Rasa carries the slot over into the next session: the same rating again
    talk.rate("care_mentor", "down", "unclear")
    return talk


def test_a_conversation_is_summed_up_from_its_events_without_its_text(chats, domain, db_url, summariser):
    full_talk().save(chats, domain, "conv-full")
    with session_factory(db_url)() as session:
        assert store.refresh(session, summariser).conversations == 1
        row = session.get(InsightConversation, "conv-full")
        assert (row.school_id, row.parent_messages, row.not_understood, row.choices_offered,
                row.choices_taken, row.safety_replies, row.handover_forms) == (SCHOOL_A, 7, 2, 1, 1, 1, 0)
        assert row.week == week_of(row.started_at) and row.week.weekday() == 0
        topics = dict(session.execute(sa.text(
            "select topic, asked from wegwijs_insight_topics where conversation_id = 'conv-full'")).all())
        assert topics == {"care_mentor": 2, "care_opp": 1, "care_sop": 1}  # nlu_fallback, safety: no topic
        ratings = {r.answer_id: (r.topic, r.rating, r.reason)
                   for r in session.execute(sa.select(InsightRating)).scalars()}
        assert ratings == {"care_mentor": ("care_mentor", "down", "unclear"),
                           "care_opp": ("care_opp", "down", "incorrect")}
        texts = " ".join(str(v) for table in ("wegwijs_insight_conversations", "wegwijs_insight_topics",
                                              "wegwijs_insight_ratings")
                         for row in session.execute(sa.text(f"select * from {table}")) for v in row)
    assert "mentor" not in texts.replace("care_mentor", "") and "bang" not in texts


def test_the_markers_file_is_valid_for_the_domain(domain):
    markers = load_markers(ROOT)
    assert markers.validate_against_domain(domain)
    assert {str(marker.name) for marker in markers.sub_markers} == {"not_understood", "handover_form_started"}


def test_a_handover_form_and_a_conversation_without_parent_messages(chats, domain, db_url, summariser):
    talk = Talk(SCHOOL_B).parent("ik wil iemand spreken", "talk_to_human")
    talk.events += [ActionExecuted("handover_form", timestamp=talk._at()), ActiveLoop("handover_form"),
                    ActionExecuted("action_listen", timestamp=talk._at())]
    talk.save(chats, domain, "conv-form")
    Talk(SCHOOL_B).save(chats, domain, "conv-empty")  # the widget opened, nobody wrote
    with session_factory(db_url)() as session:
        store.refresh(session, summariser)
        assert session.get(InsightConversation, "conv-form").handover_forms == 1
        assert session.get(InsightConversation, "conv-empty") is None


def test_refresh_reads_only_conversations_with_new_events(chats, domain, db_url, summariser):
    first = Talk(SCHOOL_A).parent("mentor?", "care_mentor").bot("action_answer_topic", answer_id="care_mentor")
    first.save(chats, domain, "conv-1")
    Talk(SCHOOL_A).parent("opp?", "care_opp").save(chats, domain, "conv-2")
    with session_factory(db_url)() as session:
        assert store.refresh(session, summariser).conversations == 2
        assert store.refresh(session, summariser).conversations == 0
        first.rate("care_mentor", "down", "incorrect").save(chats, domain, "conv-1")
        assert store.refresh(session, summariser).conversations == 1
        assert session.get(InsightRating, ("conv-1", "care_mentor")).reason == "incorrect"


def test_refresh_in_steps_misses_nothing(chats, domain, db_url, summariser):
    for number in range(7):
        Talk(SCHOOL_A).parent("mentor?", "care_mentor").save(chats, domain, f"conv-{number}")
    with session_factory(db_url)() as session:
        done = [store.refresh(session, summariser, limit=3).conversations for _ in range(4)]
        assert done == [3, 3, 1, 0]
        assert session.execute(sa.select(sa.func.count()).select_from(InsightConversation)).scalar() == 7


def test_erasing_a_conversation_removes_its_figures(chats, domain, db_url, summariser):
    full_talk().save(chats, domain, "conv-full")
    Talk(SCHOOL_A).parent("mentor?", "care_mentor").save(chats, domain, "conv-other")
    period = F.Period.of(None, None, dt.date.today())
    with session_factory(db_url)() as session:
        store.refresh(session, summariser)
        before = F.compute(session, SCHOOL_A, period)
        assert before.conversations == 2 and before.feedback
    with engine_for(db_url).begin() as connection:
        delete_conversations(connection, ["conv-full"])
    with session_factory(db_url)() as session:
        store.refresh(session, summariser)
        after = F.compute(session, SCHOOL_A, period, editors=True)
    assert after.conversations == 1 and after.feedback == [] and after.wrong_answers == []
    assert after.topics == [("care_mentor", 1)] and after.safety_replies == 0


def test_figures_per_school_and_for_all(chats, domain, db_url, summariser):
    for number in range(6):
        Talk(SCHOOL_A).parent("mentor?", "care_mentor").save(chats, domain, f"a-{number}")
    for number in range(2):
        Talk(SCHOOL_B).parent("opp?", "care_opp").save(chats, domain, f"b-{number}")
    full_talk(SCHOOL_B).save(chats, domain, "b-full")
    period = F.Period.of(None, None, dt.date.today())
    with session_factory(db_url)() as session:
        store.refresh(session, summariser)
        a, b = F.compute(session, SCHOOL_A, period), F.compute(session, SCHOOL_B, period)
        everything = F.compute(session, F.ALL, period, editors=True)
    assert (a.conversations, b.conversations, everything.conversations) == (6, 3, 9)
    assert a.topics == [("care_mentor", 6)] and a.feedback == [] and a.safety_replies == 0
    assert dict(b.topics) == {"care_opp": 3, "care_mentor": 1, "care_sop": 1}
    assert sum(count for _, count in a.weeks) == 6 and a.weeks[-1][0] == F.monday(dt.date.today())
    assert [(w.answer_id, w.count) for w in everything.wrong_answers] == [("care_opp", 1)]


def test_small_counts_are_shown_as_less_than_five():
    assert [F.shown(n) for n in (0, 1, 4, 5, 123)] == ["0", "< 5", "< 5", "5", "123"]
    assert F.share(4, 100) is None and F.share(5, 4) is None and F.share(5, 10) == 50
    assert [bar.text for bar in F.bars([("a", 2), ("b", 10), ("c", 0)])] == ["< 5", "10", "0"]
    assert [bar.fraction for bar in F.bars([("a", 2), ("b", 10), ("c", 5)])] == [0.0, 1.0, 0.5]
    assert F.durations([1, 2, 3, 4]).median is None
    found = F.durations([10, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    assert (found.count, found.median, found.p90) == (10, 5.5, 9)


def test_period_whole_weeks_in_dutch_time():
    today = dt.date(2026, 12, 3)  # a Thursday
    period = F.Period.of(None, None, today)
    assert (period.first, period.last) == (dt.date(2026, 9, 14), dt.date(2026, 11, 30))
    assert len(period.weeks) == 12
    swapped = F.Period.of(dt.date(2026, 11, 30), dt.date(2026, 11, 2), today)
    assert (swapped.first, swapped.last) == (dt.date(2026, 11, 2), dt.date(2026, 11, 30))
    assert len(F.Period.of(dt.date(2000, 1, 1), None, today).weeks) == F.MAX_WEEKS
    start, end = F.Period.of(dt.date(2026, 3, 23), dt.date(2026, 3, 23), today).utc_bounds()
    assert (start, end) == (dt.datetime(2026, 3, 22, 23), dt.datetime(2026, 3, 29, 22))  # summer time began
    assert week_of(dt.datetime(2026, 11, 29, 23, 30)) == dt.date(2026, 11, 30)  # Monday 00:30 in Amsterdam


def test_handover_times_median_and_p90(db_url):
    migrate.upgrade(db_url)
    now = dt.datetime.utcnow().replace(microsecond=0)
    with session_factory(db_url)() as session, session.begin():
        staff = StaffUser(email="s@example.org", display_name="S", school_id=SCHOOL_A, password_hash="x")
        session.add(staff)
        session.flush()
        for hours in range(1, 7):
            handover = service.create_handover(session, school_id=SCHOOL_A, role="mentor",
                                               conversation_id=f"c{hours}", contact_method="chat",
                                               question="Vraag.", consent_text="Ja.")
            handover.created_at = now - dt.timedelta(hours=hours + 1)
            service.mark_in_progress(session, handover, staff)
            handover.first_reply_at = handover.created_at + dt.timedelta(hours=hours)
            if hours <= 4:
                service.resolve(session, handover)
    with session_factory(db_url)() as session:
        found = F.compute(session, SCHOOL_A, F.Period.of(None, None, dt.date.today()))
        assert found.handovers == [("mentor", 6)]
        assert (found.first_reply.count, found.first_reply.median, found.first_reply.p90) == (6, 3.5, 6)
        assert found.resolution.count == 4 and found.resolution.median is None  # fewer than 5
        replied = session.execute(sa.select(Handover.first_reply_at)).scalars().all()
    assert all(replied)


def test_the_first_reply_time_is_kept_when_staff_answer_again(db_url):
    migrate.upgrade(db_url)
    with session_factory(db_url)() as session, session.begin():
        staff = StaffUser(email="s@example.org", display_name="S", school_id=SCHOOL_A, password_hash="x")
        session.add(staff)
        session.flush()
        handover = service.create_handover(session, school_id=SCHOOL_A, role="mentor", conversation_id="c",
                                           contact_method="chat", question="Vraag.", consent_text="Ja.")
        service.mark_in_progress(session, handover, staff)
        first = handover.first_reply_at
        assert first is not None
        handover.first_reply_at = first - dt.timedelta(hours=1)
        service.mark_in_progress(session, handover, staff)
        assert handover.first_reply_at == first - dt.timedelta(hours=1)


# -- the review inbox ---------------------------------------------------------------------------------

def test_a_message_rated_down_comes_first_in_the_review_inbox(chats, domain, db_url):
    Talk(SCHOOL_A).parent("xyz onduidelijk bericht", "nlu_fallback", 0.1).bot(
        "action_fallback", replies.REPHRASE).save(chats, domain, "conv-fallback")
    rated = Talk(SCHOOL_A).parent("wat is een ontwikkelingsperspectief eigenlijk", "care_opp", 0.95)
    rated.bot("action_answer_topic", answer_id="care_opp")
    rated.save(chats, domain, "conv-rated")
    with session_factory(db_url)() as session:
        retrain_export.export(session, scrub=NO_PII)
        before = retrain_review.pending_groups(session)
        assert before[0].text == "xyz onduidelijk bericht"  # not understood first
        # the rating comes after that export: the next export finds the message it belongs to
        rated.rate("care_opp", "down", "incorrect").save(chats, domain, "conv-rated")
        retrain_export.export(session, scrub=NO_PII)
        groups = retrain_review.pending_groups(session)
        assert groups[0].text == "wat is een ontwikkelingsperspectief eigenlijk"
        assert groups[0].rated_down and groups[0].rating_reasons == ["incorrect"]
        rated.rate("care_opp", "up").save(chats, domain, "conv-rated")  # changed their mind
        retrain_export.export(session, scrub=NO_PII)
        assert retrain_review.pending_groups(session)[0].text == "xyz onduidelijk bericht"


def test_a_rating_in_the_same_export_as_its_message(chats, domain, db_url):
    talk = Talk(SCHOOL_A).parent("hoe vraag ik een tlv aan", "pass_tlv", 0.97)
    talk.bot("action_answer_topic", answer_id="pass_tlv").parent("/care_sop", "care_sop", 1.0)
    talk.bot("action_answer_topic", answer_id="care_sop").rate("care_sop", "down", "other_question")
    talk.save(chats, domain, "conv-x")
    with session_factory(db_url)() as session:
        retrain_export.export(session, scrub=NO_PII)
        item = session.execute(sa.select(ReviewItem)).scalar_one()  # the button is no message to review
        assert (item.text, item.rating, item.rating_reason) == ("hoe vraag ik een tlv aan", "down",
                                                                 "other_question")


# -- the portal ---------------------------------------------------------------------------------------

def _seed(portal, domain):  # noqa: F811
    tracker_store = WegwijsTrackerStore(domain=domain)
    try:
        for number in range(6):
            Talk(SCHOOL_A).parent("mentor?", "care_mentor").save(tracker_store, domain, f"a-{number}")
        full_talk(SCHOOL_A).save(tracker_store, domain, "a-full")
        Talk(SCHOOL_B).parent("opp?", "care_opp").rate("care_opp", "down", "incorrect").save(
            tracker_store, domain, "b-1")
    finally:
        tracker_store.engine.dispose()


def _csv(text: str):
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))


def test_staff_see_their_own_school_only(portal, domain):  # noqa: F811
    _seed(portal, domain)
    client, _ = portal.login_as("a_staff")
    page = client.get("/insights")
    assert page.status_code == 200
    assert 'data-figure="conversations">7<' in page.text
    assert 'data-figure="safety_replies">&lt; 5 keer<' in page.text
    assert 'data-chart="weeks"' in page.text and "<table id=\"weeks\"" in page.text
    assert "Voor de redactie" not in page.text  # the content editors' list is for maintainers
    for other in (f"/insights?school={SCHOOL_B}", f"/insights.csv?school={SCHOOL_B}", "/insights?school=*"):
        assert client.get(other).status_code == 404, other
    assert len(portal.audit_rows("denied")) == 3
    rows = _csv(client.get("/insights.csv").text)
    assert ["gesprekken", "totaal", "gesprekken", "7"] in rows
    assert ["onderwerpen", "Wat doet de mentor?", "gesprekken", "7"] in rows or any(
        row[0] == "onderwerpen" and row[3] == "7" for row in rows)
    assert any(row[0] == "waardering" and row[2] == "nee" and row[3] == "< 5" for row in rows)
    assert {row["action"] for row in portal.audit_rows()} >= {"read_insights", "export_insights"}

    other, _ = portal.login_as("b_staff")
    page_b = other.get("/insights")
    assert 'data-figure="conversations">&lt; 5<' in page_b.text
    assert 'data-figure="safety_replies">0 keer<' in page_b.text


def test_maintainers_see_all_schools_and_the_wrong_answers(portal, domain):  # noqa: F811
    _seed(portal, domain)
    client, _ = portal.login_as("maintainer")
    page = client.get("/insights")
    assert page.status_code == 200 and 'data-figure="conversations">8<' in page.text
    assert '<code>care_opp</code></td><td>2</td>' in page.text  # one in each school
    one = client.get(f"/insights?school={SCHOOL_B}")
    assert 'data-figure="conversations">&lt; 5<' in one.text
    assert client.get("/insights?school=no-such-school").status_code == 404
    response = client.get("/insights.csv?school=*&van=2000-01-01&tot=not-a-date")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    assert ["klopt niet", "care_opp", "aantal", "2"] in _csv(response.text)


def test_insights_need_a_login(portal):  # noqa: F811
    client = portal.client()
    assert client.get("/insights").status_code == 303
    assert client.get("/insights.csv").status_code == 303


def test_events_rasa_cannot_read_do_not_stop_the_summary(db_url, summariser):
    """Rows of other versions or written by hand (as schemathesis's portal test does) are left out."""
    from test_portal import add_event

    migrate.upgrade(db_url)
    from support import create_events_table

    create_events_table(db_url)
    add_event(db_url, "odd", "user", "hallo", parse_data=None, metadata={"school_id": SCHOOL_A})
    add_event(db_url, "odd", "action")  # no name
    add_event(db_url, "odd", "slot", name="answer_feedback", value="not a dict")
    add_event(db_url, "odd", "bot", "hoi", metadata=None, data=None)
    with session_factory(db_url)() as session:
        assert store.refresh(session, summariser).conversations == 1
        row = session.get(InsightConversation, "odd")
        assert (row.school_id, row.parent_messages, row.not_understood) == (SCHOOL_A, 1, 0)


def test_staff_of_a_school_without_a_profile_yet_get_the_page(portal):  # noqa: F811
    """A maintainer may invite a school's first admin before the school's profile exists."""
    from wegwijs.portal import security

    with session_factory(portal.db_url)() as session, session.begin():  # as an accepted invitation makes it
        session.add(StaffUser(email="eerste@nieuweschool.example", display_name="Eerste", kind="admin",
                              school_id="nieuwe-school",
                              password_hash=security.hash_password("een-lang-wachtwoord-42")))
    portal.users["new_admin"] = {"email": "eerste@nieuweschool.example", "password": "een-lang-wachtwoord-42"}
    client, _ = portal.login_as("new_admin")
    page = client.get("/insights")
    assert page.status_code == 200 and "Inzicht: nieuwe-school" in page.text
