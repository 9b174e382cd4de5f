"""The maintainers' review page of the portal (/review): who sees it, verdicts, escaping, audit."""
from __future__ import annotations

import re

import sqlalchemy as sa

from retrain_support import conversations, save
from test_portal import portal  # noqa: F401  (the fixture)
from wegwijs.db.engine import session_factory
from wegwijs.db.models import ReviewItem
from wegwijs.retrain.export import export

IDS_RE = re.compile(r'name="ids" value="([0-9,]+)"')


def exported(portal) -> None:  # noqa: F811
    save(portal.db_url, conversations())
    with session_factory(portal.db_url)() as session:
        export(session)


def statuses(portal) -> dict:  # noqa: F811
    with session_factory(portal.db_url)() as session:
        return {item.text: (item.status, item.intent, item.decided_by)
                for item in session.execute(sa.select(ReviewItem)).scalars()}


def test_only_maintainers_see_the_review_page(portal):  # noqa: F811
    exported(portal)
    for key in ("a_staff", "a_admin"):
        client, csrf = portal.login_as(key)
        assert client.get("/review").status_code == 404
        response = client.post("/review/decide", data={"csrf_token": csrf, "ids": "1",
                                                        "verdict": "discard"})
        assert response.status_code == 404
        assert "Review" not in client.get("/inbox").text
    assert all(status == "pending" for status, _, _ in statuses(portal).values())
    client, _ = portal.login_as("maintainer")
    assert 'href="/review"' in client.get("/inbox").text
    page = client.get("/review")
    assert page.status_code == 200
    assert "mijn iban is [IBAN] klopt de factuur" in page.text
    assert page.text.index("[IBAN]") < page.text.index("wat is n opp")  # fallbacks first
    assert "3 berichten in deze groep" in page.text
    assert portal.audit_rows("read_review")[-1]["user_id"] == portal.users["maintainer"]["id"]


def test_maintainer_accepts_relabels_and_discards(portal):  # noqa: F811
    exported(portal)
    client, csrf = portal.login_as("maintainer")
    page = client.get("/review").text
    groups = IDS_RE.findall(page)
    by_text = {text: status for text, status in statuses(portal).items()}
    assert len(set(groups)) == 8 and len(by_text) == 10
    opp_ids = next(ids for ids in groups if len(ids.split(",")) == 3)
    response = client.post("/review/decide", data={"csrf_token": csrf, "ids": opp_ids,
                                                    "verdict": "accept"})
    assert response.status_code == 303 and response.headers["location"] == "/review?notice=review_saved"
    fallback_ids = groups[0]
    response = client.post("/review/decide", data={"csrf_token": csrf, "ids": fallback_ids,
                                                    "verdict": "relabel", "intent": "care_costs"})
    assert response.status_code == 303
    me = portal.users["maintainer"]["id"]
    now = statuses(portal)
    assert now["Wat is een OPP"] == ("accepted", "care_opp", me)
    assert now["mijn iban is [IBAN] klopt de factuur"] == ("relabelled", "care_costs", me)
    again = client.post("/review/decide", data={"csrf_token": csrf, "ids": opp_ids, "verdict": "discard"})
    assert again.headers["location"] == "/review?notice=review_none"
    assert statuses(portal)["Wat is een OPP"][0] == "accepted"
    assert "Wat is een OPP" not in client.get("/review").text  # decided groups leave the inbox


def test_bad_verdicts_get_a_dutch_message_and_change_nothing(portal):  # noqa: F811
    exported(portal)
    client, csrf = portal.login_as("maintainer")
    fallback_ids = IDS_RE.findall(client.get("/review").text)[1]
    before = statuses(portal)
    for data, message in [
            ({"verdict": "accept"}, "kan geen trainingsvoorbeeld"),
            ({"verdict": "relabel", "intent": "<script>x</script>"}, "Onbekend intent"),
            ({"verdict": "weet niet"}, "Onbekend oordeel")]:
        response = client.post("/review/decide", data={"csrf_token": csrf, "ids": fallback_ids, **data})
        assert response.status_code == 400 and message in response.text
        assert "<script>x</script>" not in response.text
    response = client.post("/review/decide", data={"csrf_token": "nope", "ids": fallback_ids,
                                                    "verdict": "discard"})
    assert response.status_code == 403
    assert statuses(portal) == before


def test_parent_text_is_escaped_on_the_review_page(portal):  # noqa: F811
    from retrain_support import turn

    save(portal.db_url, [("conv-x", turn("<img src=x onerror=alert(1)> wat is passend onderwijs",
                                         "care_sop", "action_answer_topic", 0.3))])
    with session_factory(portal.db_url)() as session:
        export(session)
    client, _ = portal.login_as("maintainer")
    page = client.get("/review").text
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page


def test_routing_examples_are_offered(portal):  # noqa: F811
    portal.add_handover("het-baken", "resolved", role="zorgcoordinator", topic="care_wijkteam")
    with session_factory(portal.db_url)() as session, session.begin():
        handover = session.execute(sa.select(portal_handover_model()).where(
            portal_handover_model().status == "resolved")).scalars().first()
        handover.resolved_role = "schoolmaatschappelijk_werk"
    client, _ = portal.login_as("maintainer")
    page = client.get("/review").text
    assert "Routering" in page and "(anders)" in page


def portal_handover_model():
    from wegwijs.db.models import Handover

    return Handover


def test_the_topic_a_parent_chose_after_bedoel_je_is_offered_as_the_label(portal):  # noqa: F811
    from rasa.shared.core.events import ActionExecuted, BotUttered

    from retrain_support import user
    from wegwijs.replies import CHOOSE_TEXT

    save(portal.db_url, [("conv-choice", [
        ActionExecuted("action_listen"), user("moet ik dat plan nou ondertekenen of niet", "care_opp", 0.31),
        ActionExecuted("action_answer_topic"), BotUttered(CHOOSE_TEXT), ActionExecuted("action_listen"),
        user('/care_opp_consent{"question": "care_opp_consent/consent_needed"}', "care_opp_consent", 1.0),
        ActionExecuted("action_answer_topic")])])
    with session_factory(portal.db_url)() as session:
        export(session)
    client, csrf = portal.login_as("maintainer")
    page = client.get("/review").text
    assert "de ouder koos: <strong>care_opp_consent</strong>" in page
    assert "Zoals de ouder koos: care_opp_consent" in page
    ids = IDS_RE.search(page[page.index("moet ik dat plan"):]).group(1)
    response = client.post("/review/decide", data={"csrf_token": csrf, "ids": ids, "verdict": "relabel",
                                                    "intent": "care_opp_consent"})
    assert response.status_code == 303
    assert statuses(portal)["moet ik dat plan nou ondertekenen of niet"][:2] == ("relabelled", "care_opp_consent")
