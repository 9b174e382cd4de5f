"""Staff accounts managed in the portal (issue 16): the school admin's Team page, invitations and
password links by mail (caught by a local aiosmtpd sink), the maintainers' invitation of a school's first
admin with the widget snippet, and the safety around them: roles checked server-side, tenant isolation
(404, audited), CSRF, the audit log with values before and after, escaping, the rate limit, and never a
school without an active admin.

The portal is the one of ``tests/test_portal.py`` (same fixture, same users), made again with SMTP settings
pointing at the sink.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import email
import re
from email import policy
from typing import Dict, List, Optional

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from support import free_port
from test_notify import Mailbox
from test_portal import (SCHOOL_A, SCHOOL_B, USERS, assert_no_injected_markup, csrf_of, login,
                         password_for, portal)  # noqa: F401  (portal: the fixture)
from test_portal_access import clock  # noqa: F401  (the fixture)
from wegwijs import invitations
from wegwijs.db import migrate
from wegwijs.db.models import StaffInvitation, StaffSession, StaffUser, utcnow
from wegwijs.portal.app import create_app
from wegwijs.staff import add_staff

LINK_RE = re.compile(r"https://portaal\.test/invitation/([A-Za-z0-9_-]{43})")
NEW_PASSWORD = "een-nieuw-lang-wachtwoord"


class Sink:
    """The SMTP sink's mails as parsed messages."""

    def __init__(self, mailbox: Mailbox) -> None:
        self.mailbox = mailbox

    def messages(self) -> List[email.message.EmailMessage]:
        return [email.message_from_bytes(envelope.content, policy=policy.default)
                for envelope in self.mailbox.envelopes]

    def last_link(self) -> str:
        body = self.messages()[-1].get_body(("plain",)).get_content()
        match = LINK_RE.search(body)
        assert match, body
        return match.group(1)


@pytest.fixture
def sink():
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield Sink(mailbox), controller.port
    finally:
        controller.stop()


@pytest.fixture
def team(portal, sink, registry):  # noqa: F811
    """The test portal with mail to the sink, and a second school's admin."""
    mail, port = sink
    settings = dataclasses.replace(portal.settings, smtp_host="127.0.0.1", smtp_port=port,
                                   smtp_from="wegwijs@portaal.test", portal_url="https://portaal.test/",
                                   public_widget_url="https://wegwijs.test",
                                   public_rasa_url="https://chat.wegwijs.test")
    portal.settings = settings
    portal.app = create_app(settings, rasa=portal.rasa)
    portal.mail = mail
    with portal.make_session() as session, session.begin():
        user = add_staff(session, registry, email="beheer@regenboog.example", name="Beheer Regenboog",
                         kind="admin", password=password_for("b_admin"), school_id=SCHOOL_B)
        portal.users["b_admin"] = {"id": user.id, "email": user.email, "password": password_for("b_admin"),
                                   "name": user.display_name, "school": SCHOOL_B}
    return portal


def invite(client, csrf: str, address: str, kind: str = "staff", roles=("mentor",)):
    return client.post("/team/invite", data={"csrf_token": csrf, "email": address, "kind": kind,
                                             "roles": list(roles)})


def use_link(portal, token: str, name: Optional[str] = "Nieuwe Collega", password: str = NEW_PASSWORD,
             repeat: Optional[str] = None):
    """Open the link in a fresh browser and send its form."""
    client = portal.client()
    page = client.get(f"/invitation/{token}")
    assert page.status_code == 200, page.text
    data = {"csrf_token": csrf_of(page.text), "password": password,
            "password_repeat": password if repeat is None else repeat}
    if name is not None:
        data["name"] = name
    return client.post(f"/invitation/{token}", data=data)


def user_by_email(portal, address: str) -> Optional[Dict]:
    with portal.make_session() as session:
        user = session.execute(sa.select(StaffUser).where(StaffUser.email == address)).scalar_one_or_none()
        if user is None:
            return None
        return {column.name: getattr(user, column.name) for column in StaffUser.__table__.columns}


def invitation_rows(portal) -> List[Dict]:
    with portal.make_session() as session:
        return [{column.name: getattr(row, column.name) for column in StaffInvitation.__table__.columns}
                for row in session.execute(sa.select(StaffInvitation).order_by(StaffInvitation.id)).scalars()]


def sessions_of(portal, key: str) -> int:
    with portal.make_session() as session:
        return session.execute(sa.select(sa.func.count()).select_from(StaffSession).where(
            StaffSession.user_id == portal.users[key]["id"])).scalar_one()


# ====================================================================== invitations


def test_an_admin_invites_and_the_invitee_chooses_name_and_password(team):
    admin, csrf = team.login_as("a_admin")
    page = admin.get("/team")
    assert page.status_code == 200
    assert "Sanne Visser" in page.text and "Mark Mentor" in page.text
    assert "Marieke Regenboog" not in page.text and "Beheer Regenboog" not in page.text
    response = invite(admin, csrf, "Nieuw@HetBaken.example", roles=("mentor", "zorgcoordinator"))
    assert response.status_code == 303
    assert response.headers["location"] == "/team?notice=invited"
    [mail] = team.mail.messages()
    assert mail["To"] == "nieuw@hetbaken.example"
    assert mail["From"] == "wegwijs@portaal.test"
    body = mail.get_body(("plain",)).get_content()
    school_name = team.app.state.portal.schools.get(SCHOOL_A).name
    assert school_name in mail["Subject"] and school_name in body
    assert "72 uur" in body and "één keer" in body
    token = team.mail.last_link()
    # only a hash of the token is stored
    [row] = invitation_rows(team)
    assert token not in repr(row) and row["token_hash"] != token and len(row["token_hash"]) == 64
    assert row["expires_at"] - row["created_at"] == dt.timedelta(hours=72)
    assert (row["school_id"], row["kind"], row["roles"]) == (SCHOOL_A, "staff", "mentor,zorgcoordinator")
    assert "nieuw@hetbaken.example" in admin.get("/team").text  # listed as open
    # the invitee sets name and password, then logs in
    done = use_link(team, token, name="  Nina   Nieuw ")
    assert done.status_code == 200
    assert "Je account is klaar, Nina Nieuw" in done.text
    user = user_by_email(team, "nieuw@hetbaken.example")
    assert user["display_name"] == "Nina Nieuw" and user["school_id"] == SCHOOL_A
    assert user["kind"] == "staff" and user["roles"] == "mentor,zorgcoordinator" and user["active"]
    client = team.client()
    assert login(client, "nieuw@hetbaken.example", NEW_PASSWORD).status_code == 303
    assert "Nina Nieuw" in client.get("/inbox").text
    assert client.get("/team").status_code == 404  # a staff member is no admin
    # the audit log: who invited whom with which access, and the acceptance
    invited = team.audit_rows("staff_invited")
    assert [(r["user_id"], r["school_id"], r["new_value"]) for r in invited] == [
        (team.users["a_admin"]["id"], SCHOOL_A, "staff: mentor,zorgcoordinator")]
    assert "nieuw@hetbaken.example" in invited[0]["detail"]
    accepted = team.audit_rows("invitation_accepted")
    assert [(r["user_id"], r["target_user_id"]) for r in accepted] == [(user["id"], user["id"])]
    audit_page = admin.get("/audit").text
    assert "staff_invited" in audit_page and "staff: mentor,zorgcoordinator" in audit_page


def test_a_link_works_once(team):
    admin, csrf = team.login_as("a_admin")
    invite(admin, csrf, "eenmaal@hetbaken.example")
    token = team.mail.last_link()
    assert use_link(team, token).status_code == 200
    again = team.client().get(f"/invitation/{token}")
    assert again.status_code == 410
    assert "Deze link is al gebruikt. Een link werkt maar één keer." in again.text
    assert 'name="password"' not in again.text


def test_a_second_use_of_an_open_form_is_refused(team):
    """Two tabs with the form: the second submit finds the link used."""
    admin, csrf = team.login_as("a_admin")
    invite(admin, csrf, "tweetabs@hetbaken.example")
    token = team.mail.last_link()
    tabs = []
    for _ in range(2):
        client = team.client()
        tabs.append((client, csrf_of(client.get(f"/invitation/{token}").text)))
    data = {"name": "Eerste", "password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD}
    assert tabs[0][0].post(f"/invitation/{token}", data={**data, "csrf_token": tabs[0][1]}).status_code == 200
    second = tabs[1][0].post(f"/invitation/{token}", data={**data, "name": "Tweede",
                                                           "password": "tweede-wachtwoord-99",
                                                           "password_repeat": "tweede-wachtwoord-99",
                                                           "csrf_token": tabs[1][1]})
    assert second.status_code == 410 and "al gebruikt" in second.text
    assert user_by_email(team, "tweetabs@hetbaken.example")["display_name"] == "Eerste"


def test_a_link_expires_after_72_hours(team, clock):  # noqa: F811
    admin, csrf = team.login_as("a_admin")
    invite(admin, csrf, "laat@hetbaken.example")
    token = team.mail.last_link()
    client = team.client()
    form_csrf = csrf_of(client.get(f"/invitation/{token}").text)
    clock.advance(hours=72, seconds=1)
    page = team.client().get(f"/invitation/{token}")
    assert page.status_code == 410
    assert "Deze link is verlopen. Vraag de beheerder van je school om een nieuwe link." in page.text
    late = client.post(f"/invitation/{token}", data={"csrf_token": form_csrf, "name": "Te Laat",
                                                      "password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD})
    assert late.status_code == 410 and "verlopen" in late.text
    assert user_by_email(team, "laat@hetbaken.example") is None


def test_an_unknown_link_is_404_with_a_dutch_message(team):
    page = team.client().get("/invitation/" + "A" * 43)
    assert page.status_code == 404
    assert "Deze link kennen we niet" in page.text


@pytest.mark.parametrize("name, password, repeat, message", [
    ("Nina", "kort-11-tek", None, "Een wachtwoord heeft minstens 12 tekens."),
    ("Nina", NEW_PASSWORD, NEW_PASSWORD + "x", "De twee wachtwoorden zijn niet gelijk."),
    ("   ", NEW_PASSWORD, None, "Vul je naam in"),
    ("N" * 121, NEW_PASSWORD, None, "Vul je naam in"),
])
def test_the_link_form_checks_name_and_the_password_rules(team, name, password, repeat, message):
    admin, csrf = team.login_as("a_admin")
    invite(admin, csrf, "regels@hetbaken.example")
    token = team.mail.last_link()
    response = use_link(team, token, name=name, password=password, repeat=repeat)
    assert response.status_code == 400
    assert message in response.text
    assert user_by_email(team, "regels@hetbaken.example") is None
    # the link still works after a mistake
    assert use_link(team, token).status_code == 200
    assert user_by_email(team, "regels@hetbaken.example") is not None


def test_the_link_form_needs_its_own_csrf_token(team):
    admin, csrf = team.login_as("a_admin")
    invite(admin, csrf, "csrf@hetbaken.example")
    token = team.mail.last_link()
    data = {"name": "Nina", "password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD}
    for client, token_value in ((team.client(), None), (team.client(), "0" * 64), (admin, csrf)):
        client.get(f"/invitation/{token}")
        sent = dict(data) if token_value is None else {**data, "csrf_token": token_value}
        response = client.post(f"/invitation/{token}", data=sent)
        assert response.status_code == 403
        assert "Dit formulier is verlopen" in response.text
    assert user_by_email(team, "csrf@hetbaken.example") is None


@pytest.mark.parametrize("address, message", [
    ("geen-adres", "Vul een geldig e-mailadres in"),
    (USERS["a_staff"][3], "Voor dit e-mailadres bestaat al een account."),
    (USERS["b_staff"][3], "Voor dit e-mailadres bestaat al een account."),
])
def test_an_invitation_needs_a_new_valid_address(team, address, message):
    admin, csrf = team.login_as("a_admin")
    response = invite(admin, csrf, address)
    assert response.status_code == 400
    assert message in response.text
    assert invitation_rows(team) == [] and team.mail.messages() == []


def test_unknown_kind_or_role_is_refused(team):
    admin, csrf = team.login_as("a_admin")
    assert invite(admin, csrf, "x@hetbaken.example", kind="maintainer").status_code == 400
    response = invite(admin, csrf, "x@hetbaken.example", roles=("directeur",))
    assert response.status_code == 400 and "Onbekende rol." in response.text
    assert invitation_rows(team) == []


def test_a_new_invitation_replaces_the_open_one(team):
    admin, csrf = team.login_as("a_admin")
    invite(admin, csrf, "twee@hetbaken.example")
    first = team.mail.last_link()
    invite(admin, csrf, "twee@hetbaken.example", kind="admin", roles=())
    second = team.mail.last_link()
    page = team.client().get(f"/invitation/{first}")
    assert page.status_code == 410 and "vervangen door een nieuwere" in page.text
    assert use_link(team, second).status_code == 200
    assert user_by_email(team, "twee@hetbaken.example")["kind"] == "admin"


def test_an_admin_can_revoke_an_open_invitation(team):
    admin, csrf = team.login_as("a_admin")
    invite(admin, csrf, "weg@hetbaken.example")
    token = team.mail.last_link()
    [row] = invitation_rows(team)
    response = admin.post(f"/team/invitations/{row['id']}/revoke", data={"csrf_token": csrf})
    assert response.headers["location"] == "/team?notice=revoked"
    assert "weg@hetbaken.example" not in admin.get("/team").text
    assert team.client().get(f"/invitation/{token}").status_code == 410
    assert [r["detail"] for r in team.audit_rows("invitation_revoked")] == [
        f"weg@hetbaken.example (uitnodiging {row['id']})"]


def test_without_mail_the_invitation_is_withdrawn(portal):  # noqa: F811
    """No SMTP host: nobody could get the link, so it does not stay open (and it says so in the audit log)."""
    admin, csrf = portal.login_as("a_admin")
    response = invite(admin, csrf, "zonder@hetbaken.example")
    assert response.headers["location"] == "/team?notice=link_not_sent"
    page = admin.get(response.headers["location"]).text
    assert "De mail kon niet worden verstuurd. De link is daarom ingetrokken" in page
    assert "zonder@hetbaken.example" not in page  # not listed as open
    [row] = invitation_rows(portal)
    assert row["revoked_at"] is not None and row["used_at"] is None
    assert [r["detail"] for r in portal.audit_rows("staff_link_not_sent")] == [
        f"zonder@hetbaken.example (invite {row['id']})"]


def test_invitations_are_rate_limited_per_admin(team, monkeypatch):
    monkeypatch.setattr(invitations, "LINKS_PER_HOUR", 3)
    admin, csrf = team.login_as("a_admin")
    for number in range(3):
        assert invite(admin, csrf, f"veel{number}@hetbaken.example").status_code == 303
    refused = invite(admin, csrf, "teveel@hetbaken.example")
    assert refused.status_code == 429
    assert "Je hebt het afgelopen uur al 3 links verstuurd" in refused.text
    assert len(team.mail.messages()) == 3
    # another admin (here of another school) has their own count
    other, other_csrf = team.login_as("b_admin")
    assert invite(other, other_csrf, "ander@regenboog.example").status_code == 303


# ====================================================================== roles, disabling, passwords


def test_an_admin_changes_kind_and_roles_and_the_audit_log_has_before_and_after(team):
    admin, csrf = team.login_as("a_admin")
    mark = team.users["a_colleague"]["id"]
    response = admin.post(f"/team/{mark}/access", data={"csrf_token": csrf, "kind": "admin",
                                                         "roles": ["mentor", "intern_begeleider"]})
    assert response.headers["location"] == "/team?notice=access_saved"
    row = team.user_row("a_colleague")
    assert (row.kind, row.roles) == ("admin", "mentor,intern_begeleider")  # in the portal's order
    [entry] = team.audit_rows("staff_access_changed")
    assert entry["user_id"] == team.users["a_admin"]["id"] and entry["target_user_id"] == mark
    assert (entry["old_value"], entry["new_value"]) == ("staff: mentor", "admin: mentor,intern_begeleider")
    assert entry["school_id"] == SCHOOL_A and entry["at"] is not None
    # Mark now has the admin's pages
    client, _ = team.login_as("a_colleague")
    assert client.get("/team").status_code == 200
    # the same again changes nothing and writes no row
    again = admin.post(f"/team/{mark}/access", data={"csrf_token": csrf, "kind": "admin",
                                                      "roles": ["intern_begeleider", "mentor"]})
    assert again.headers["location"] == "/team?notice=unchanged"
    assert len(team.audit_rows("staff_access_changed")) == 1


def test_disabling_ends_the_sessions_and_enabling_lets_them_in_again(team):
    sanne, _ = team.login_as("a_staff")
    assert sessions_of(team, "a_staff") == 1
    admin, csrf = team.login_as("a_admin")
    sanne_id = team.users["a_staff"]["id"]
    response = admin.post(f"/team/{sanne_id}/disable", data={"csrf_token": csrf})
    assert response.headers["location"] == "/team?notice=disabled"
    assert sessions_of(team, "a_staff") == 0
    assert sanne.get("/inbox").status_code == 303
    assert login(team.client(), USERS["a_staff"][3], password_for("a_staff")).status_code == 401
    [entry] = team.audit_rows("staff_disabled")
    assert (entry["target_user_id"], entry["old_value"], entry["new_value"]) == (sanne_id, "actief",
                                                                                 "uitgeschakeld")
    assert admin.post(f"/team/{sanne_id}/enable", data={"csrf_token": csrf}).headers["location"] == \
        "/team?notice=enabled"
    assert login(team.client(), USERS["a_staff"][3], password_for("a_staff")).status_code == 303
    assert [e["new_value"] for e in team.audit_rows("staff_enabled")] == ["actief"]


def test_an_admin_cannot_lock_themselves_out(team):
    admin, csrf = team.login_as("a_admin")
    me = team.users["a_admin"]["id"]
    before = team.user_row("a_admin")
    for path, data in ((f"/team/{me}/disable", {}), (f"/team/{me}/access", {"kind": "staff"}),
                       (f"/team/{me}/reset", {})):
        response = admin.post(path, data={"csrf_token": csrf, **data})
        assert response.status_code == 409, path
        assert "Dit kan niet: je kunt je eigen account niet uitschakelen" in response.text
    after = team.user_row("a_admin")
    assert (after.kind, after.active, after.password_hash) == (before.kind, before.active,
                                                               before.password_hash)
    assert admin.get("/team").status_code == 200  # still logged in
    assert len(team.audit_rows("staff_change_refused")) == 3
    # their own roles they may change, staying admin
    response = admin.post(f"/team/{me}/access", data={"csrf_token": csrf, "kind": "admin",
                                                       "roles": ["contact_person"]})
    assert response.headers["location"] == "/team?notice=access_saved"
    assert team.user_row("a_admin").roles == "contact_person"


def test_the_last_active_admin_of_a_school_is_never_removed(team, registry):
    """Through the pages an admin can only act on others, so the school keeps its acting admin; the rule
    in the service also holds for any other caller (here a maintainer's account, and an inactive
    second admin who does not count)."""
    admin, csrf = team.login_as("a_admin")
    mark = team.users["a_colleague"]["id"]
    admin.post(f"/team/{mark}/access", data={"csrf_token": csrf, "kind": "admin", "roles": ["mentor"]})
    # two admins: one may remove the other's admin role, and then the other is the only one
    mark_client, mark_csrf = team.login_as("a_colleague")
    response = mark_client.post(f"/team/{team.users['a_admin']['id']}/access",
                                data={"csrf_token": mark_csrf, "kind": "staff"})
    assert response.headers["location"] == "/team?notice=access_saved"
    with team.make_session() as session:
        outsider = session.get(StaffUser, team.users["maintainer"]["id"])
        last = session.get(StaffUser, mark)
        for change in (lambda: invitations.set_active(session, outsider, last, False),
                       lambda: invitations.set_access(session, outsider, last, "staff", [])):
            with pytest.raises(invitations.TeamError, match="geen actieve beheerder meer"):
                change()
        session.rollback()
    # an inactive admin does not count as one
    team.update_user("a_admin", kind="admin", active=False)
    with team.make_session() as session:
        with pytest.raises(invitations.TeamError, match="geen actieve beheerder meer"):
            invitations.set_active(session, session.get(StaffUser, team.users["maintainer"]["id"]),
                                   session.get(StaffUser, mark), False)


def test_a_forced_new_password_ends_the_sessions_and_mails_a_link(team):
    sanne, _ = team.login_as("a_staff")
    admin, csrf = team.login_as("a_admin")
    sanne_id = team.users["a_staff"]["id"]
    response = admin.post(f"/team/{sanne_id}/reset", data={"csrf_token": csrf})
    assert response.headers["location"] == "/team?notice=reset_sent"
    assert sanne.get("/inbox").status_code == 303
    assert login(team.client(), USERS["a_staff"][3], password_for("a_staff")).status_code == 401
    [mail] = team.mail.messages()
    assert mail["To"] == USERS["a_staff"][3]
    assert "nieuw wachtwoord" in mail["Subject"].lower()
    token = team.mail.last_link()
    page = team.client().get(f"/invitation/{token}")
    assert "Kies een nieuw wachtwoord" in page.text and 'name="name"' not in page.text
    done = use_link(team, token, name=None)
    assert done.status_code == 200 and "Je nieuwe wachtwoord is bewaard." in done.text
    assert login(team.client(), USERS["a_staff"][3], NEW_PASSWORD).status_code == 303
    row = team.user_row("a_staff")
    assert (row.kind, row.roles, row.display_name) == ("staff", "zorgcoordinator", "Sanne Visser")
    [entry] = team.audit_rows("staff_password_reset")
    assert (entry["user_id"], entry["target_user_id"]) == (team.users["a_admin"]["id"], sanne_id)
    assert [e["user_id"] for e in team.audit_rows("password_reset_done")] == [sanne_id]
    assert team.client().get(f"/invitation/{token}").status_code == 410


def test_a_reset_link_of_a_disabled_account_does_not_work(team):
    admin, csrf = team.login_as("a_admin")
    sanne_id = team.users["a_staff"]["id"]
    admin.post(f"/team/{sanne_id}/reset", data={"csrf_token": csrf})
    token = team.mail.last_link()
    admin.post(f"/team/{sanne_id}/disable", data={"csrf_token": csrf})
    page = team.client().get(f"/invitation/{token}")
    assert page.status_code == 410 and "Dit account is uitgeschakeld" in page.text


def test_a_forced_new_password_without_mail_changes_nothing(portal):  # noqa: F811
    sanne, _ = portal.login_as("a_staff")
    admin, csrf = portal.login_as("a_admin")
    before = portal.user_row("a_staff").password_hash
    response = admin.post(f"/team/{portal.users['a_staff']['id']}/reset", data={"csrf_token": csrf})
    assert response.headers["location"] == "/team?notice=link_not_sent"
    assert portal.user_row("a_staff").password_hash == before
    assert sanne.get("/inbox").status_code == 200
    assert portal.audit_rows("staff_password_reset") == []
    assert [row["revoked_at"] is not None for row in invitation_rows(portal)] == [True]


def test_a_reset_link_used_before_the_password_is_wiped_keeps_the_new_password(team, registry):
    """The mail goes out before the old password is wiped; a link used in those seconds wins."""
    with team.make_session() as session:
        admin = session.get(StaffUser, team.users["a_admin"]["id"])
        target = session.get(StaffUser, team.users["a_staff"]["id"])
        invitation, token = invitations.start_reset(session, admin, target, utcnow())
        session.commit()
    assert use_link(team, token, name=None).status_code == 200
    with team.make_session() as session:
        invitations.finish_reset(session, session.get(StaffUser, team.users["a_admin"]["id"]),
                                 session.get(StaffUser, team.users["a_staff"]["id"]),
                                 session.get(StaffInvitation, invitation.id))
        session.commit()
    assert login(team.client(), USERS["a_staff"][3], NEW_PASSWORD).status_code == 303


# ====================================================================== who may, and which school's


TEAM_ROUTES = [("GET", "/team"), ("POST", "/team/invite"), ("POST", "/team/{member}/access"),
               ("POST", "/team/{member}/disable"), ("POST", "/team/{member}/enable"),
               ("POST", "/team/{member}/reset"), ("POST", "/team/invitations/{invitation}/revoke")]


def test_the_team_routes_are_all_known():
    """A new route of the team router must be added to the checks below."""
    from wegwijs.portal.routers import team as team_router

    paths = {(method, route.path) for route in team_router.router.routes for method in route.methods
             if method != "HEAD"}
    assert paths == {(m, p.replace("{member}", "{member_id}").replace("{invitation}", "{invitation_id}"))
                     for m, p in TEAM_ROUTES} | {("GET", "/maintainer/first-admin"),
                                                 ("POST", "/maintainer/first-admin"),
                                                 ("GET", "/invitation/{token}"),
                                                 ("POST", "/invitation/{token}")}


def _refused_everywhere(team, key: str, member: int, invitation: int) -> None:
    client, csrf = team.login_as(key)
    before = team.snapshot()
    for method, path in TEAM_ROUTES:
        url = path.replace("{member}", str(member)).replace("{invitation}", str(invitation))
        data = {"csrf_token": csrf, "email": "nieuw@x.example", "kind": "admin", "roles": ["mentor"]}
        response = client.get(url) if method == "GET" else client.post(url, data=data)
        assert response.status_code == 404, (key, url)
        assert "Deze pagina bestaat niet, of je hebt er geen toegang toe." in response.text
    after = team.snapshot()
    # nothing changed but the audit log, which has a "denied" row for each request
    assert {k: v for k, v in after.items() if k != "wegwijs_audit_log"} == \
        {k: v for k, v in before.items() if k != "wegwijs_audit_log"}
    denied = [row["detail"] for row in team.audit_rows("denied") if row["user_id"] == team.users[key]["id"]]
    assert len(denied) == len(TEAM_ROUTES)
    assert team.mail.messages() == []


def test_staff_and_maintainers_get_404_on_the_team_routes(team):
    admin, csrf = team.login_as("a_admin")
    invite(admin, csrf, "open@hetbaken.example")
    team.mail.mailbox.envelopes.clear()
    [row] = invitation_rows(team)
    for key in ("a_staff", "maintainer"):
        _refused_everywhere(team, key, team.users["a_colleague"]["id"], row["id"])
    assert 'href="/team"' not in team.login_as("a_staff")[0].get("/inbox").text


def test_an_admin_of_another_school_gets_404_for_this_schools_staff_and_invitations(team):
    admin, csrf = team.login_as("a_admin")
    invite(admin, csrf, "open@hetbaken.example")
    team.mail.mailbox.envelopes.clear()
    [row] = invitation_rows(team)
    client, csrf_b = team.login_as("b_admin")
    before = team.snapshot()
    for member in (team.users["a_staff"]["id"], team.users["a_admin"]["id"], team.users["maintainer"]["id"],
                   2**31, 10**30, 0):
        for action, data in (("access", {"kind": "admin", "roles": ["mentor"]}), ("disable", {}),
                             ("enable", {}), ("reset", {})):
            response = client.post(f"/team/{member}/{action}", data={"csrf_token": csrf_b, **data})
            assert response.status_code == 404, (member, action)
    assert client.post(f"/team/invitations/{row['id']}/revoke", data={"csrf_token": csrf_b}).status_code == 404
    after = team.snapshot()
    assert {k: v for k, v in after.items() if k != "wegwijs_audit_log"} == \
        {k: v for k, v in before.items() if k != "wegwijs_audit_log"}
    assert team.mail.messages() == []
    page = client.get("/team").text
    assert "Sanne Visser" not in page and "open@hetbaken.example" not in page
    assert "Marieke Regenboog" in page


# ====================================================================== escaping


def test_names_and_addresses_are_rendered_inert(team):
    admin, csrf = team.login_as("a_admin")
    # an address with markup is no address: refused, and the typed text comes back escaped
    for payload in ('"><svg/onload=alert(1)>@hetbaken.example', "<script>alert(1)</script>"):
        refused = invite(admin, csrf, payload)
        assert refused.status_code == 400
        assert "Vul een geldig e-mailadres in" in refused.text
        assert_no_injected_markup(refused.text)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in refused.text
    # an address with a quote is fine, and escaped
    assert invite(admin, csrf, "o'brien&co@hetbaken.example").status_code == 303
    token = team.mail.last_link()
    assert "o&#39;brien&amp;co@hetbaken.example" in admin.get("/team").text
    assert_no_injected_markup(team.client().get(f"/invitation/{token}").text)
    # the invitee's name is theirs to choose: a payload stays text everywhere it is shown
    done = use_link(team, token, name='<img src=x onerror=alert(1)>"><svg onload=alert(1)>')
    assert done.status_code == 200
    assert_no_injected_markup(done.text)
    for page in (admin.get("/team").text, admin.get("/audit").text, admin.get("/inbox").text):
        assert_no_injected_markup(page)
    team_page = admin.get("/team").text
    assert "&lt;img src=x onerror=alert(1)&gt;&#34;&gt;&lt;svg onload=alert(1)&gt;" in team_page
    # also inside attributes (the confirmation question of the buttons)
    assert 'data-confirm="Het account van &lt;img src=x onerror=alert(1)&gt;&#34;&gt;' in team_page


# ====================================================================== maintainers


def test_a_maintainer_invites_the_first_admin_of_a_school_not_yet_known(team):
    client, csrf = team.login_as("maintainer")
    page = client.get("/maintainer/first-admin")
    assert page.status_code == 200 and "Schoolcode" in page.text
    response = client.post("/maintainer/first-admin", data={"csrf_token": csrf, "school_id": "de-nieuwe-school",
                                                             "email": "directie@nieuweschool.example"})
    assert response.status_code == 303
    shown = client.get(response.headers["location"])
    assert "Uitnodiging verstuurd" in shown.text
    snippet = ('&lt;script src=&#34;https://wegwijs.test/widget.js&#34; data-school-id=&#34;de-nieuwe-school&#34; '
               'data-server=&#34;https://chat.wegwijs.test&#34; defer&gt;&lt;/script&gt;')
    assert snippet in shown.text
    assert invitations.widget_snippet(team.settings, "de-nieuwe-school") == (
        '<script src="https://wegwijs.test/widget.js" data-school-id="de-nieuwe-school" '
        'data-server="https://chat.wegwijs.test" defer></script>')
    [mail] = team.mail.messages()
    assert mail["To"] == "directie@nieuweschool.example"
    assert "school de-nieuwe-school" in mail["Subject"] and "als beheerder" in mail.get_body(("plain",)).get_content()
    [row] = invitation_rows(team)
    assert (row["school_id"], row["kind"], row["roles"], row["invited_by"]) == (
        "de-nieuwe-school", "admin", "", team.users["maintainer"]["id"])
    assert [(r["school_id"], r["user_id"]) for r in team.audit_rows("staff_invited")] == [
        ("de-nieuwe-school", team.users["maintainer"]["id"])]
    assert use_link(team, team.mail.last_link(), name="Dirk Directeur").status_code == 200
    new_admin = team.client()
    assert login(new_admin, "directie@nieuweschool.example", NEW_PASSWORD).status_code == 303
    assert new_admin.get("/team").status_code == 200
    assert "Dirk Directeur" in new_admin.get("/team").text


def test_a_known_schools_name_is_in_the_mail(team):
    client, csrf = team.login_as("maintainer")
    client.post("/maintainer/first-admin", data={"csrf_token": csrf, "school_id": SCHOOL_B,
                                                  "email": "tweede@regenboog.example"})
    name = team.app.state.portal.schools.get(SCHOOL_B).name
    [mail] = team.mail.messages()
    assert name in mail["Subject"]
    body = mail.get_body(("plain",)).get_content()
    # nothing about parents or handovers
    assert "ouder" not in body.replace("ouders van", "") and "handover" not in body.lower()


@pytest.mark.parametrize("school_id", ["../etc", "De Regenboog", "x", "a" * 64, "<script>"])
def test_the_first_admin_needs_a_valid_school_id(team, school_id):
    client, csrf = team.login_as("maintainer")
    response = client.post("/maintainer/first-admin", data={"csrf_token": csrf, "school_id": school_id,
                                                             "email": "iemand@school.example"})
    assert response.status_code == 400
    assert "Een schoolcode heeft alleen kleine letters, cijfers en streepjes (-)" in response.text
    assert_no_injected_markup(response.text)
    assert invitation_rows(team) == [] and team.mail.messages() == []


def test_only_maintainers_invite_first_admins(team):
    for key in ("a_admin", "a_staff"):
        client, csrf = team.login_as(key)
        assert client.get("/maintainer/first-admin").status_code == 404
        response = client.post("/maintainer/first-admin", data={"csrf_token": csrf, "school_id": SCHOOL_B,
                                                                 "email": "iemand@regenboog.example"})
        assert response.status_code == 404
    assert invitation_rows(team) == [] and team.mail.messages() == []


# ====================================================================== migration


def test_migration_0009_goes_down_and_up(db_url):
    migrate.upgrade(db_url)
    inspector = sa.inspect(sa.create_engine(db_url))
    assert "wegwijs_staff_invitations" in inspector.get_table_names()
    assert {"target_user_id", "old_value", "new_value"} <= {c["name"] for c in
                                                            inspector.get_columns("wegwijs_audit_log")}
    from alembic import command

    command.downgrade(migrate.alembic_config(db_url), "0008")
    inspector = sa.inspect(sa.create_engine(db_url))
    assert "wegwijs_staff_invitations" not in inspector.get_table_names()
    assert "target_user_id" not in {c["name"] for c in inspector.get_columns("wegwijs_audit_log")}
    assert "old_value" in {c["name"] for c in inspector.get_columns("wegwijs_audit_log")}  # 0008's
    migrate.upgrade(db_url)
    assert migrate.current(db_url) == "0010"


def test_without_mail_the_maintainer_is_told_and_the_link_withdrawn(portal):  # noqa: F811
    client, csrf = portal.login_as("maintainer")
    response = client.post("/maintainer/first-admin", data={"csrf_token": csrf, "school_id": "nieuwe-school",
                                                             "email": "iemand@nieuweschool.example"})
    assert response.headers["location"] == "/maintainer/first-admin?notice=link_not_sent"
    page = client.get(response.headers["location"])
    assert "De mail kon niet worden verstuurd" in page.text and 'data-testid="snippet"' not in page.text
    assert [row["revoked_at"] is not None for row in invitation_rows(portal)] == [True]


def test_bad_kind_or_role_on_an_account_is_400_and_changes_nothing(team):
    admin, csrf = team.login_as("a_admin")
    mark = team.users["a_colleague"]["id"]
    for data in ({"kind": "maintainer", "roles": ["mentor"]}, {"kind": "staff", "roles": ["directeur"]}):
        response = admin.post(f"/team/{mark}/access", data={"csrf_token": csrf, **data})
        assert response.status_code == 400
    row = team.user_row("a_colleague")
    assert (row.kind, row.roles) == ("staff", "mentor")


def test_forced_new_passwords_count_towards_the_links_an_hour(team, monkeypatch):
    monkeypatch.setattr(invitations, "LINKS_PER_HOUR", 1)
    admin, csrf = team.login_as("a_admin")
    assert invite(admin, csrf, "een@hetbaken.example").status_code == 303
    before = team.user_row("a_staff").password_hash
    response = admin.post(f"/team/{team.users['a_staff']['id']}/reset", data={"csrf_token": csrf})
    assert response.status_code == 429 and "links verstuurd" in response.text
    assert team.user_row("a_staff").password_hash == before


def test_control_characters_are_removed_from_a_name(team):
    admin, csrf = team.login_as("a_admin")
    invite(admin, csrf, "nul@hetbaken.example")
    assert use_link(team, team.mail.last_link(), name="Nina\x00 \u200bNieuw\x07\n").status_code == 200
    assert user_by_email(team, "nul@hetbaken.example")["display_name"] == "Nina Nieuw"


@pytest.fixture
def postgres_url(registry):
    """A throw-away PostgreSQL cluster with our tables, two admins of one school (ids 1 and 2)."""
    import os
    import tempfile
    from pathlib import Path

    from wegwijs import scale
    from wegwijs.db.engine import session_factory

    data = Path(tempfile.mkdtemp(prefix="wegwijs-test-pg-")) / "data"
    os.chmod(data.parent, 0o755)  # PostgreSQL runs as the postgres user when the tests run as root
    server = scale.Postgres(data, free_port())
    server.init()
    try:
        migrate.upgrade(server.url)
        with session_factory(server.url)() as session, session.begin():
            for number in (1, 2):
                add_staff(session, registry, email=f"beheer{number}@hetbaken.example", name=f"Beheer {number}",
                          kind="admin", password="een-lang-wachtwoord", school_id=SCHOOL_A)
        yield server.url
    finally:
        server.stop()


def test_two_admins_cannot_demote_each_other_at_the_same_moment_on_postgresql(postgres_url):
    """Without the lock both see the other still as admin and the school has none left."""
    import threading
    import time as clock_time

    from wegwijs.db.engine import session_factory

    make = session_factory(postgres_url)
    first_has_locked = threading.Event()
    results: Dict[str, str] = {}

    def demote(actor_email: str, target_email: str, name: str, hold: float) -> None:
        with make() as session:
            def by(address):
                return session.execute(sa.select(StaffUser).where(StaffUser.email == address)).scalar_one()
            actor, target = by(actor_email), by(target_email)  # both still admins when read
            if name == "second":
                first_has_locked.wait(10)
            try:
                invitations.set_access(session, actor, target, "staff", [])
                if name == "first":
                    first_has_locked.set()
                    clock_time.sleep(hold)  # the second request runs into the lock meanwhile
                session.commit()
                results[name] = "changed"
            except invitations.TeamError as exc:
                session.rollback()
                results[name] = str(exc)
                first_has_locked.set()

    threads = [threading.Thread(target=demote, args=("beheer1@hetbaken.example", "beheer2@hetbaken.example",
                                                     "first", 1.5)),
               threading.Thread(target=demote, args=("beheer2@hetbaken.example", "beheer1@hetbaken.example",
                                                     "second", 0))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert results["first"] == "changed"
    assert "geen actieve beheerder meer" in results["second"]
    with make() as session:
        kinds = dict(session.execute(sa.select(StaffUser.email, StaffUser.kind)).all())
    assert kinds == {"beheer1@hetbaken.example": "admin", "beheer2@hetbaken.example": "staff"}


def test_the_change_itself_refuses_when_the_count_was_out_of_date(team, monkeypatch):
    """On SQLite the admins are not locked: two requests may both have counted two admins. The UPDATE
    itself then still finds no other admin for the second and changes nothing."""
    admin, csrf = team.login_as("a_admin")
    mark = team.users["a_colleague"]["id"]
    admin.post(f"/team/{mark}/access", data={"csrf_token": csrf, "kind": "admin", "roles": ["mentor"]})
    admin.post(f"/team/{team.users['a_admin']['id']}/access", data={"csrf_token": csrf, "kind": "admin"})
    team.update_user("a_admin", kind="staff")  # the other request has just demoted the first admin
    monkeypatch.setattr(invitations, "_other_active_admins", lambda *args: 1)  # ...unseen by this count
    with team.make_session() as session:
        actor = session.get(StaffUser, team.users["a_admin"]["id"])
        target = session.get(StaffUser, mark)
        for change in (lambda: invitations.set_access(session, actor, target, "staff", ["mentor"]),
                       lambda: invitations.set_active(session, actor, target, False)):
            with pytest.raises(invitations.LockOut, match="geen actieve beheerder meer"):
                change()
            session.rollback()
    row = team.user_row("a_colleague")
    assert (row.kind, row.active) == ("admin", True)
