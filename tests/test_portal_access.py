"""Issue 20, findings 1, 5 and 9 in the staff portal: need-to-know inside a school, refused requests in the
audit log, the login throttle per client address with growing delays per account, and the idle timeout.

The app's clock (``utcnow`` in ``wegwijs.portal.app``) is moved by the ``clock`` fixture, so waiting a
minute or eight hours takes no time.
"""
from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from test_portal import (HANDOVER_LINK_RE, QUESTION_A, SCHOOL_A, _check_404_on_every_route, login,
                         portal)  # noqa: F401  (portal: the fixture)
from wegwijs.db.models import utcnow
from wegwijs.portal import app as portal_module
from wegwijs.portal import security
from wegwijs.portal.app import SESSION_COOKIE, create_app
from wegwijs.settings import Settings, SettingsError

WRONG = "fout-wachtwoord-123"


class Clock:
    """Now, plus an offset that a test moves forward."""

    def __init__(self) -> None:
        self.offset = dt.timedelta()

    def __call__(self) -> dt.datetime:
        return utcnow() + self.offset

    def advance(self, **delta: float) -> None:
        self.offset += dt.timedelta(**delta)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    moved = Clock()
    monkeypatch.setattr(portal_module, "utcnow", moved)
    return moved


# ====================================================================== need-to-know (finding 5)


def test_staff_of_another_role_get_404_on_every_handover_route(portal):  # noqa: F811
    """a1 is routed to the care coordinator; Mark is the mentor of the same school."""
    a1 = portal.handovers["a1"]
    before = portal.handover(a1)
    _check_404_on_every_route(portal, "a_colleague", a1, QUESTION_A)
    assert portal.handover(a1) == before
    assert portal.notes(a1) == []


def test_staff_see_their_roles_and_their_assignments_admins_the_whole_school(portal):  # noqa: F811
    a1 = portal.handovers["a1"]  # for the care coordinator
    for_mentor = portal.add_handover(SCHOOL_A, role="mentor")
    given_to_mark = portal.add_handover(SCHOOL_A, "assigned", role="zorgcoordinator", assignee="a_colleague")
    for_nobody_here = portal.add_handover(SCHOOL_A, role="school_social_worker")
    expected = {"a_staff": {a1, given_to_mark}, "a_colleague": {for_mentor, given_to_mark},
                "a_admin": {a1, for_mentor, given_to_mark, for_nobody_here}}
    for key, ids in expected.items():
        client, csrf = portal.login_as(key)
        listed = set(HANDOVER_LINK_RE.findall(client.get("/inbox", params={"status": "all"}).text))
        assert listed == ids, key
        for public_id in ids:
            assert client.get(f"/handovers/{public_id}").status_code == 200, (key, public_id)
        for public_id in {a1, for_mentor, given_to_mark, for_nobody_here} - ids:
            assert client.get(f"/handovers/{public_id}").status_code == 404, (key, public_id)
    # Mark may work on the handover given to him: a note is saved
    client, csrf = portal.login_as("a_colleague")
    response = client.post(f"/handovers/{given_to_mark}/notes", data={"csrf_token": csrf, "text": "Gebeld."})
    assert response.headers["location"] == f"/handovers/{given_to_mark}?notice=note_saved"


def test_an_admin_reading_another_roles_handover_is_audited_explicitly(portal):  # noqa: F811
    a1 = portal.handovers["a1"]
    own = portal.add_handover(SCHOOL_A, "assigned", role="mentor", assignee="a_admin")
    admin, _ = portal.login_as("a_admin")
    assert admin.get(f"/handovers/{a1}").status_code == 200
    assert admin.get(f"/handovers/{own}").status_code == 200
    staff, _ = portal.login_as("a_staff")
    assert staff.get(f"/handovers/{a1}").status_code == 200
    rows = portal.audit_rows("read_other_role")
    assert [(row["user_id"], row["school_id"], row["handover_public_id"]) for row in rows] == [
        (portal.users["a_admin"]["id"], SCHOOL_A, a1)]
    assert len(portal.audit_rows("read_conversation")) == 3


def test_reassigning_away_from_yourself_leads_to_the_inbox(portal):  # noqa: F811
    """Mark sees a handover only because it is his; after giving it to a colleague he may not see it."""
    given_to_mark = portal.add_handover(SCHOOL_A, "assigned", role="zorgcoordinator", assignee="a_colleague")
    client, csrf = portal.login_as("a_colleague")
    response = client.post(f"/handovers/{given_to_mark}/assign",
                           data={"csrf_token": csrf, "assignee_id": str(portal.users["a_staff"]["id"])})
    assert response.status_code == 303
    assert response.headers["location"] == "/inbox?notice=assigned"
    assert "Toegewezen." in client.get(response.headers["location"]).text
    assert portal.handover(given_to_mark)["assignee_id"] == portal.users["a_staff"]["id"]


# ====================================================================== refused requests audited (finding 9)


def test_refused_requests_are_audited_without_the_parents_text(portal):  # noqa: F811
    a1, b1 = portal.handovers["a1"], portal.handovers["b1"]
    staff, csrf = portal.login_as("a_staff")
    assert staff.get(f"/handovers/{b1}").status_code == 404  # another school
    assert staff.get("/audit").status_code == 404  # an admin page
    assert staff.get("/review").status_code == 404  # a maintainer page
    mentor, mentor_csrf = portal.login_as("a_colleague")
    assert mentor.post(f"/handovers/{a1}/reply",
                       data={"csrf_token": mentor_csrf, "text": "Hallo"}).status_code == 404  # another role
    maintainer, _ = portal.login_as("maintainer")
    assert maintainer.get(f"/handovers/{a1}").status_code == 404
    rows = portal.audit_rows("denied")
    assert [(row["user_id"], row["school_id"], row["detail"]) for row in rows] == [
        (portal.users["a_staff"]["id"], SCHOOL_A, f"GET /handovers/{b1}"),
        (portal.users["a_staff"]["id"], SCHOOL_A, "GET /audit"),
        (portal.users["a_staff"]["id"], SCHOOL_A, "GET /review"),
        (portal.users["a_colleague"]["id"], SCHOOL_A, f"POST /handovers/{a1}/reply"),
        (portal.users["maintainer"]["id"], None, f"GET /handovers/{a1}"),
    ]
    assert all(row["at"] is not None and row["handover_public_id"] is None
               and row["conversation_id"] is None for row in rows)
    admin, _ = portal.login_as("a_admin")
    page = admin.get("/audit").text
    assert "GET /audit" in page and "Sanne Visser" in page
    assert "maintainer" not in page and "Olaf Onderhoud" not in page  # no school: not on A's page


def test_failed_logins_are_audited_also_for_unknown_addresses(portal):  # noqa: F811
    client = portal.client()
    assert login(client, "niemand@hetbaken.example", WRONG).status_code == 401
    assert login(client, portal.users["a_staff"]["email"], WRONG).status_code == 401
    rows = portal.audit_rows("login_failed")
    assert [(row["user_id"], row["school_id"]) for row in rows] == [
        (None, None), (portal.users["a_staff"]["id"], SCHOOL_A)]
    for row in portal.audit_rows():
        assert "niemand" not in repr(row) and WRONG not in repr(row)


# ====================================================================== login throttle (finding 1)


def test_login_attempts_per_client_address_are_throttled(portal, clock):  # noqa: F811
    limit = portal.settings.portal_logins_per_minute
    assert limit == 20
    client = portal.client(client=("192.0.2.7", 50000))
    for number in range(limit):  # different addresses, so no account is delayed
        assert login(client, f"iemand{number}@hetbaken.example", WRONG).status_code == 401, number
    refused = login(client, portal.users["a_staff"]["email"], portal.users["a_staff"]["password"])
    assert refused.status_code == 429
    assert "Er is te vaak geprobeerd in te loggen vanaf deze internetverbinding" in refused.text
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert SESSION_COOKIE not in refused.headers.get("set-cookie", "")
    assert portal.user_row("a_staff").failed_logins == 0  # the account was not even tried
    # another address is not held up
    other = portal.client(client=("198.51.100.4", 50000))
    assert login(other, portal.users["a_staff"]["email"], portal.users["a_staff"]["password"]).status_code == 303
    # a minute later the first address may try again
    clock.advance(seconds=61)
    assert login(client, portal.users["a_colleague"]["email"], portal.users["a_colleague"]["password"]).status_code == 303
    # only keyed hashes of the addresses are stored
    stored = repr(portal.snapshot())
    assert "192.0.2.7" not in stored and "198.51.100.4" not in stored
    assert security.address_key(portal.settings.portal_secret, "192.0.2.7") in stored


def test_ipv6_addresses_of_one_network_share_a_throttle(portal):  # noqa: F811
    secret = portal.settings.portal_secret
    assert security.address_key(secret, "2001:db8:1:2::1") == security.address_key(secret, "2001:db8:1:2::ffff")
    assert security.address_key(secret, "2001:db8:1:2::1") != security.address_key(secret, "2001:db8:1:3::1")
    assert security.address_key(secret, "192.0.2.7") != security.address_key(secret, "192.0.2.8")
    assert security.address_key(secret, "192.0.2.7") != security.address_key(secret + "x", "192.0.2.7")


def test_an_accounts_delay_grows_and_then_ends(portal, clock):  # noqa: F811
    """After 5 failures in a row: 1 minute, then 2, 4, 8 and at most 15; the right password after the wait
    logs in and starts again at zero."""
    user = portal.users["a_staff"]
    client = portal.client()
    for _ in range(5):
        assert login(client, user["email"], WRONG).status_code == 401
    waits = []
    for _ in range(6):
        row = portal.user_row("a_staff")
        waits.append(round((row.locked_until - clock()).total_seconds() / 60))
        refused = login(client, user["email"], user["password"])
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) == pytest.approx(waits[-1] * 60, abs=5)
        minutes = "1 minuut" if waits[-1] == 1 else f"{waits[-1]} minuten"
        assert f"Te veel mislukte pogingen. Probeer het over {minutes} opnieuw." in refused.text
        clock.advance(minutes=waits[-1], seconds=1)
        assert login(client, user["email"], WRONG).status_code == 401
    assert waits == [1, 2, 4, 8, 15, 15]
    # the wait ends: the right password logs in, and the count starts again
    clock.advance(minutes=15, seconds=1)
    assert login(client, user["email"], user["password"]).status_code == 303
    row = portal.user_row("a_staff")
    assert row.failed_logins == 0 and row.locked_until is None
    assert len(portal.audit_rows("login_locked")) == 6


def test_an_unknown_address_waits_like_a_real_account(portal, clock):  # noqa: F811
    """The answers must not tell which e-mail addresses have an account, also with growing delays."""
    def statuses(email: str) -> list:
        client = portal.client()
        found = [login(client, email, WRONG).status_code for _ in range(6)]
        clock.advance(minutes=1, seconds=1)
        found += [login(client, email, WRONG).status_code for _ in range(2)]
        clock.advance(minutes=1, seconds=1)
        found.append(login(client, email, WRONG).status_code)
        clock.advance(minutes=1, seconds=1)
        return found

    expected = [401] * 5 + [429, 401, 429, 429]
    assert statuses("niemand@hetbaken.example") == expected
    assert statuses(portal.users["a_staff"]["email"]) == expected


# ====================================================================== idle timeout (finding 9)


def test_a_session_ends_after_30_idle_minutes(portal, clock):  # noqa: F811
    assert portal.settings.portal_idle_minutes == 30
    client, _ = portal.login_as("a_staff")
    clock.advance(minutes=29)
    assert client.get("/inbox").status_code == 200
    clock.advance(minutes=29)  # 58 minutes after login, 29 after the last request
    assert client.get("/inbox").status_code == 200
    clock.advance(minutes=31)
    response = client.get("/inbox")
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    assert client.post("/logout", data={"csrf_token": "x"}).status_code == 401


def test_a_busy_session_still_ends_after_8_hours(portal, clock):  # noqa: F811
    client, _ = portal.login_as("a_staff")
    for _ in range(19):  # a request every 25 minutes, up to 7 hours 55 minutes
        clock.advance(minutes=25)
        assert client.get("/inbox").status_code == 200
    clock.advance(minutes=6)
    assert client.get("/inbox").status_code == 303


def test_the_idle_timeout_is_a_setting(portal, clock):  # noqa: F811
    assert Settings.from_env({"WEGWIJS_PORTAL_IDLE_MINUTES": "10"}).portal_idle_minutes == 10
    for wrong in ("0", "481", "tien"):
        with pytest.raises(SettingsError):
            Settings.from_env({"WEGWIJS_PORTAL_IDLE_MINUTES": wrong})
    portal.app = create_app(dataclasses.replace(portal.settings, portal_idle_minutes=10), rasa=portal.rasa)
    client, _ = portal.login_as("a_staff")
    clock.advance(minutes=11)
    assert client.get("/inbox").status_code == 303
