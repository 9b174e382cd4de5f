"""The staff portal (wegwijs/portal/app.py) through Starlette's TestClient, on a fresh SQLite per test.

Covers login (cookie flags, CSRF, lock-out, open redirects), sessions and logout, CSRF on every
form route, tenant isolation route by route (over ``app.routes``, so a new handover route is covered
automatically; need-to-know inside a school, the login throttle and the idle timeout are in
``test_portal_access.py``), escaping of parent text and security headers, the audit log, reply / resolve through a
fake Rasa client, notes, assignment, and the refusal of insecure secrets.

Passwords are hashed with a cheap argon2 hasher here (monkeypatched in ``security``) so that the set
stays fast; the verification logic of the portal is unchanged. For the same reason the answers library
(``ContentLibrary.load`` of the project's data folder) is loaded once per session and handed to each app.
"""
from __future__ import annotations

import datetime as dt
import html as htmllib
import json
import re
import secrets
import shutil
import string
from typing import Any, Dict, List, Optional, Tuple

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from starlette.testclient import TestClient

from support import create_events_table
from wegwijs.db import migrate
from wegwijs.db.engine import engine_for, session_factory
from wegwijs.db.models import (HANDOVER_STATUSES, URGENCIES, AuditEntry, Handover, HandoverNote,
                               StaffSession, StaffUser, utcnow)
from wegwijs.handovers import service
from wegwijs.handovers.live import RasaUnavailable
from wegwijs.portal import app as portal_module
from wegwijs.portal import security
from wegwijs.portal.app import LOGIN_DELAYS_MINUTES, MAX_FAILED_LOGINS, SESSION_COOKIE, create_app
from wegwijs.settings import Settings
from wegwijs.staff import add_staff

SCHOOL_A = "het-baken"
SCHOOL_B = "de-regenboog"
BASE_URL = "https://testserver"
WRONG_LOGIN = "E-mailadres of wachtwoord klopt niet."
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]*)"')
HANDOVER_LINK_RE = re.compile(r'href="/handovers/([0-9a-f]{32})"')
QUESTION_A = "Mijn zoon wordt al weken gepest in de pauze, wat kan de school doen?"
QUESTION_B = "Vertrouwelijke vraag van een ouder van De Regenboog over de thuissituatie."
KNOWN_HANDOVER_ROUTES = {
    ("GET", "/handovers/{handover_id}"),
    ("POST", "/handovers/{handover_id}/assign"),
    ("POST", "/handovers/{handover_id}/notes"),
    ("POST", "/handovers/{handover_id}/reply"),
    ("POST", "/handovers/{handover_id}/resolve"),
}
USERS = {
    # key: (school, kind, roles, e-mail, display name)
    "a_staff": (SCHOOL_A, "staff", ("zorgcoordinator",), "sanne@hetbaken.example", "Sanne Visser"),
    "a_colleague": (SCHOOL_A, "staff", ("mentor",), "mark@hetbaken.example", "Mark Mentor"),
    "a_admin": (SCHOOL_A, "admin", (), "admin@hetbaken.example", "Beheer Het Baken"),
    "b_staff": (SCHOOL_B, "staff", ("intern_begeleider",), "marieke@regenboog.example",
                "Marieke Regenboog"),
    "maintainer": (None, "maintainer", (), "onderhoud@wegwijs.example", "Olaf Onderhoud"),
}


def random_secret(length: int = 48) -> str:
    alphabet = string.ascii_letters + string.digits
    while True:
        secret = "".join(secrets.choice(alphabet) for _ in range(length))
        if "change" not in secret.lower():
            return secret


def password_for(key: str) -> str:
    return f"wachtwoord-van-{key}-42"


class FakeRasa:
    """Same methods as RasaClient; records every call and the events each conversation would get."""

    def __init__(self) -> None:
        self.calls: List[Tuple[str, str, Any]] = []
        self.events: Dict[str, List[Dict[str, Any]]] = {}
        self.unavailable = False

    def _check(self) -> None:
        if self.unavailable:
            raise RasaUnavailable("De chat is nu niet bereikbaar. Probeer het zo opnieuw.")

    def append(self, conversation_id: str, events: List[Dict[str, Any]]) -> None:
        self._check()
        self.calls.append(("append", conversation_id, [dict(e) for e in events]))
        self.events.setdefault(conversation_id, []).extend(dict(e) for e in events)

    def pause(self, conversation_id: str) -> None:
        self.append(conversation_id, [{"event": "pause"}])

    def resume(self, conversation_id: str) -> None:
        self.append(conversation_id, [{"event": "resume"}])

    def say(self, conversation_id: str, text: str, name: str, role_label: str,
            before: Optional[List[Dict[str, Any]]] = None) -> None:
        self._check()
        self.calls.append(("say", conversation_id, {"text": text, "name": name,
                                                    "role_label": role_label,
                                                    "before": list(before or [])}))
        self.events.setdefault(conversation_id, []).extend(dict(e) for e in (before or []))
        self.events[conversation_id].append({"event": "bot", "text": f"{name} ({role_label}): {text}",
                                             "staff": name})


class Portal:
    """The app of one test plus helpers to log in and to look into the database."""

    def __init__(self, app, settings: Settings, rasa: FakeRasa, db_url: str,
                 users: Dict[str, Dict[str, Any]], handovers: Dict[str, str]) -> None:
        self.app = app
        self.settings = settings
        self.rasa = rasa
        self.db_url = db_url
        self.users = users
        self.handovers = handovers
        self.make_session = session_factory(db_url)

    # ------------------------------------------------------------ clients
    def client(self, **kwargs: Any) -> TestClient:
        return TestClient(self.app, base_url=BASE_URL, follow_redirects=False, **kwargs)

    def login_as(self, key: str) -> Tuple[TestClient, str]:
        """A client logged in as ``key`` and the session's CSRF token (read from a page)."""
        client = self.client()
        user = self.users[key]
        response = login(client, user["email"], user["password"])
        assert response.status_code == 303, response.text
        inbox = client.get("/inbox")
        assert inbox.status_code == 200
        return client, csrf_of(inbox.text)

    # ------------------------------------------------------------ database
    def handover(self, public_id: str) -> Dict[str, Any]:
        with self.make_session() as session:
            row = session.execute(sa.select(Handover).where(Handover.public_id == public_id)).scalar_one()
            return {column.name: getattr(row, column.name) for column in Handover.__table__.columns}

    def notes(self, public_id: str) -> List[Dict[str, Any]]:
        with self.make_session() as session:
            rows = session.execute(sa.select(HandoverNote).join(Handover).where(
                Handover.public_id == public_id).order_by(HandoverNote.id)).scalars()
            return [{"text": n.text, "author_id": n.author_id} for n in rows]

    def audit_rows(self, action: Optional[str] = None) -> List[Dict[str, Any]]:
        with self.make_session() as session:
            query = sa.select(AuditEntry).order_by(AuditEntry.id)
            if action:
                query = query.where(AuditEntry.action == action)
            return [{column.name: getattr(row, column.name) for column in AuditEntry.__table__.columns}
                    for row in session.execute(query).scalars()]

    def update_user(self, key: str, **values: Any) -> None:
        with self.make_session() as session, session.begin():
            session.execute(sa.update(StaffUser).where(StaffUser.id == self.users[key]["id"])
                            .values(**values))

    def user_row(self, key: str) -> StaffUser:
        with self.make_session() as session:
            return session.get(StaffUser, self.users[key]["id"])

    def add_handover(self, school_id: str, status: str = "new", *, role: str = "zorgcoordinator",
                     urgency: str = "normal", assignee: Optional[str] = None,
                     **fields: Any) -> str:
        """A handover of ``school_id`` brought to ``status`` through the service."""
        fields.setdefault("question", "Een vraag van een ouder.")
        fields.setdefault("contact_method", "chat")
        fields.setdefault("consent_text", "Mag ik dit delen? Ja.")
        fields.setdefault("conversation_id", f"conv-{secrets.token_hex(6)}")
        with self.make_session() as session, session.begin():
            handover = service.create_handover(session, school_id=school_id, role=role,
                                               urgency=urgency, **fields)
            staff = session.get(StaffUser, self.users[assignee]["id"]) if assignee else None
            if status == "assigned":
                if staff is not None:
                    service.assign(session, handover, staff)
                else:
                    handover.status = "assigned"
            elif status in ("in_progress", "resolved"):
                if staff is not None:
                    service.mark_in_progress(session, handover, staff)
                else:
                    handover.status = "in_progress"
                if status == "resolved":
                    service.resolve(session, handover)
            return handover.public_id

    def snapshot(self) -> Dict[str, List[Tuple[str, ...]]]:
        """Every row of our tables and of ``events`` (if present)."""
        engine = engine_for(self.db_url)
        with engine.connect() as connection:
            names = sorted(name for name in sa.inspect(connection).get_table_names()
                           if name.startswith("wegwijs_") or name == "events")
            return {name: sorted(tuple(repr(value) for value in row)
                                 for row in connection.execute(sa.text(f'SELECT * FROM "{name}"')))
                    for name in names}


def csrf_of(page: str) -> str:
    match = CSRF_RE.search(page)
    assert match, "no csrf_token field on the page"
    return match.group(1)


def login(client: TestClient, email: str, password: str, next_url: Optional[str] = None,
          token: Optional[str] = None):
    """GET /login, read the hidden csrf_token, POST the form (``token`` overrides it)."""
    page = client.get("/login")
    assert page.status_code == 200
    data = {"email": email, "password": password,
            "csrf_token": csrf_of(page.text) if token is None else token}
    if next_url is not None:
        data["next"] = next_url
    return client.post("/login", data=data)


def set_cookie_header(response, name: str) -> str:
    for header in response.headers.get_list("set-cookie"):
        if header.startswith(f"{name}="):
            return header
    raise AssertionError(f"no Set-Cookie for {name}: {response.headers.get_list('set-cookie')}")


def handover_routes(app) -> List[Tuple[str, str]]:
    """(method, path) of every route whose path names a handover id."""
    found = []
    for route in app.routes:
        path = getattr(route, "path", "")
        if "{handover_id}" in path:
            for method in sorted(getattr(route, "methods", None) or ()):
                if method != "HEAD":
                    found.append((method, path))
    return found


#: POST routes for visitors without a session, each with its own HMAC-bound CSRF token: the login form and
#: the form behind a mailed invitation or password link (tests/test_portal_team.py)
PUBLIC_FORMS = {"/login", "/invitation/{token}"}


def post_routes(app) -> List[str]:
    """Paths of every POST route except the public forms (which have their own CSRF scheme)."""
    return sorted({route.path for route in app.routes
                   if "POST" in (getattr(route, "methods", None) or ()) and route.path not in PUBLIC_FORMS})


def plausible_form(csrf: str, assignee_id: int) -> Dict[str, str]:
    """Fields for any handover form (extra fields are ignored by each route)."""
    return {"csrf_token": csrf, "text": "Beste ouder, ik bel u morgen.", "assignee_id": str(assignee_id),
            "resolved_role": "zorgcoordinator"}


def add_event(db_url: str, sender_id: str, type_name: str, text: Optional[str] = None,
              timestamp: float = 1_760_000_000.0, **extra: Any) -> None:
    data = {"event": type_name, "timestamp": timestamp, **extra}
    if text is not None:
        data["text"] = text
    with engine_for(db_url).begin() as connection:
        connection.execute(sa.text(
            "INSERT INTO events (sender_id, type_name, timestamp, intent_name, action_name, data) "
            "VALUES (:sender, :type, :ts, NULL, NULL, :data)"),
            {"sender": sender_id, "type": type_name, "ts": timestamp, "data": json.dumps(data)})


class _CachedLibrary:
    """Stands in for ContentLibrary in the portal module: the session's library, same folder."""

    def __init__(self, library, data_dir) -> None:
        self.library = library
        self.data_dir = data_dir

    def load(self, data_dir):
        assert str(data_dir) == str(self.data_dir)
        return self.library


@pytest.fixture
def portal(db_url, home, registry, library, seeded_db_file, monkeypatch) -> Portal:
    monkeypatch.setattr(portal_module, "ContentLibrary", _CachedLibrary(library, home / "data"))
    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(security, "_HASHER", cheap)
    monkeypatch.setattr(security, "_DUMMY_HASH", cheap.hash("wegwijs-dummy-password-for-timing"))
    # the example schools in the database, as the portal reads them (schools_store)
    shutil.copyfile(seeded_db_file, db_url[len("sqlite:///"):])
    migrate.upgrade(db_url)
    settings = Settings.from_env({
        "WEGWIJS_DB_URL": db_url,
        "WEGWIJS_PORTAL_SECRET": random_secret(),
        "WEGWIJS_SCHOOLS_DIR": str(home / "schools"),
        "WEGWIJS_DATA_DIR": str(home / "data"),
        "WEGWIJS_HOME": str(home),
    })
    assert settings.secure_cookies is True
    users: Dict[str, Dict[str, Any]] = {}
    with session_factory(db_url)() as session, session.begin():
        for key, (school, kind, roles, email, name) in USERS.items():
            user = add_staff(session, registry, email=email, name=name, kind=kind,
                             password=password_for(key), school_id=school, roles=roles)
            users[key] = {"id": user.id, "email": email, "password": password_for(key),
                          "name": name, "school": school}
        a1 = service.create_handover(session, school_id=SCHOOL_A, role="zorgcoordinator",
                                     conversation_id="conv-a1", question=QUESTION_A,
                                     contact_method="phone", contact_detail="0612345678",
                                     consent_text="Mag ik dit delen met de zorgcoördinator? Ja.",
                                     child_class="2 havo", topic="care_zorgcoordinator")
        b1 = service.create_handover(session, school_id=SCHOOL_B, role="intern_begeleider",
                                     conversation_id="conv-b1", question=QUESTION_B,
                                     contact_method="email", contact_detail="ouder@voorbeeld.example",
                                     consent_text="Mag ik dit delen met de intern begeleider? Ja.",
                                     child_class="groep 5")
        handovers = {"a1": a1.public_id, "b1": b1.public_id}
    rasa = FakeRasa()
    app = create_app(settings, rasa=rasa)
    return Portal(app, settings, rasa, db_url, users, handovers)


# ====================================================================== login


def test_login_sets_a_strict_secure_httponly_session_cookie(portal):
    client = portal.client()
    user = portal.users["a_staff"]
    response = login(client, user["email"], user["password"])
    assert response.status_code == 303
    assert response.headers["location"] == "/inbox"
    header = set_cookie_header(response, SESSION_COOKIE)
    attributes = [part.strip().lower() for part in header.split(";")]
    assert "httponly" in attributes
    assert "secure" in attributes
    assert "samesite=strict" in attributes
    token = header.split(";", 1)[0].split("=", 1)[1]
    assert len(token) >= 32
    with portal.make_session() as session:
        rows = session.execute(sa.select(StaffSession)).scalars().all()
        assert [row.user_id for row in rows] == [user["id"]]
        # only the hash of the token is stored
        assert rows[0].token_hash == security.token_hash(token)
        assert rows[0].token_hash != token
    inbox = client.get("/inbox")
    assert inbox.status_code == 200
    assert "Sanne Visser" in inbox.text
    assert portal.user_row("a_staff").last_login_at is not None
    assert [row["user_id"] for row in portal.audit_rows("login")] == [user["id"]]


def test_wrong_password_and_unknown_email_get_the_same_dutch_401(portal):
    client = portal.client()
    wrong = login(client, portal.users["a_staff"]["email"], "helemaal-niet-goed-123")
    unknown = login(client, "niemand@hetbaken.example", "helemaal-niet-goed-123")
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert WRONG_LOGIN in response.text
        assert SESSION_COOKIE not in response.headers.get("set-cookie", "")
    assert portal.user_row("a_staff").failed_logins == 1
    assert client.get("/inbox").status_code == 303
    with portal.make_session() as session:
        assert session.execute(sa.select(sa.func.count()).select_from(StaffSession)).scalar() == 0


@pytest.mark.parametrize("case", ["missing", "wrong", "other_cookie", "no_cookie"])
def test_login_without_a_valid_csrf_token_is_refused(portal, case):
    user = portal.users["a_staff"]
    client = portal.client()
    page = client.get("/login")
    data = {"email": user["email"], "password": user["password"], "csrf_token": csrf_of(page.text)}
    if case == "missing":
        del data["csrf_token"]
    elif case == "wrong":
        data["csrf_token"] = "0" * 64
    elif case == "other_cookie":
        # a token that is valid for another browser's login cookie
        other = portal.client()
        data["csrf_token"] = csrf_of(other.get("/login").text)
    elif case == "no_cookie":
        client = portal.client()  # never fetched /login: no pre-login cookie
    response = client.post("/login", data=data)
    assert response.status_code == 403
    assert "Het formulier was verlopen" in response.text
    assert SESSION_COOKIE not in response.headers.get("set-cookie", "")
    assert client.get("/inbox").status_code == 303
    with portal.make_session() as session:
        assert session.execute(sa.select(sa.func.count()).select_from(StaffSession)).scalar() == 0
    assert portal.user_row("a_staff").failed_logins == 0


def test_lockout_after_five_wrong_passwords_until_locked_until_passes(portal):
    user = portal.users["a_staff"]
    client = portal.client()
    assert MAX_FAILED_LOGINS == 5
    for _ in range(5):
        assert login(client, user["email"], "fout-wachtwoord-123").status_code == 401
    locked_until = portal.user_row("a_staff").locked_until
    assert locked_until is not None
    assert LOGIN_DELAYS_MINUTES[0] == 1  # the first wait is short; it grows (tests/test_portal_access.py)
    expected = utcnow() + dt.timedelta(minutes=LOGIN_DELAYS_MINUTES[0])
    assert abs((locked_until - expected).total_seconds()) < 60
    refused = login(client, user["email"], user["password"])
    assert refused.status_code == 429
    assert "Te veel mislukte pogingen" in refused.text
    assert SESSION_COOKIE not in refused.headers.get("set-cookie", "")
    assert client.get("/inbox").status_code == 303
    # the lock ends when locked_until passes
    portal.update_user("a_staff", locked_until=utcnow() - dt.timedelta(seconds=1))
    allowed = login(client, user["email"], user["password"])
    assert allowed.status_code == 303
    assert client.get("/inbox").status_code == 200
    row = portal.user_row("a_staff")
    assert row.locked_until is None and row.failed_logins == 0


def test_an_unknown_address_locks_out_like_a_real_one(portal):
    """The 429 must not tell which e-mail addresses have an account."""
    client = portal.client()
    statuses = [login(client, "niemand@het-baken.example", "fout-wachtwoord-123").status_code
                for _ in range(6)]
    real = portal.users["a_staff"]
    real_statuses = [login(client, real["email"], "fout-wachtwoord-123").status_code for _ in range(6)]
    assert statuses == real_statuses == [401] * 5 + [429]


def test_four_wrong_passwords_do_not_lock(portal):
    user = portal.users["a_staff"]
    client = portal.client()
    for _ in range(4):
        assert login(client, user["email"], "fout-wachtwoord-123").status_code == 401
    assert portal.user_row("a_staff").locked_until is None
    assert login(client, user["email"], user["password"]).status_code == 303


@pytest.mark.parametrize("target", ["//evil.example", "https://evil.example", "/\\evil.example",
                                    "\\\\evil.example", "http:/evil.example", "//evil.example/inbox",
                                    "evil.example"])
def test_next_cannot_redirect_off_site(portal, target):
    user = portal.users["a_staff"]
    client = portal.client()
    form = client.get("/login", params={"next": target})
    assert 'name="next" value="/inbox"' in form.text
    response = login(client, user["email"], user["password"], next_url=target)
    assert response.status_code == 303
    assert response.headers["location"] == "/inbox"


def test_next_to_a_local_page_is_followed(portal):
    user = portal.users["a_staff"]
    client = portal.client()
    target = f"/handovers/{portal.handovers['a1']}"
    response = login(client, user["email"], user["password"], next_url=target)
    assert response.status_code == 303
    assert response.headers["location"] == target


# ====================================================================== sessions


def test_not_logged_in_gets_redirects_for_pages_and_401_for_posts(portal):
    client = portal.client()
    a1 = portal.handovers["a1"]
    for path in ("/inbox", "/audit", f"/handovers/{a1}"):
        response = client.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"] == f"/login?next={path}"
    before = portal.snapshot()
    paths = post_routes(portal.app)
    assert "/logout" in paths and "/handovers/{handover_id}/reply" in paths
    for path in paths:
        response = client.post(path.replace("{handover_id}", a1),
                               data=plausible_form("x" * 43, portal.users["a_staff"]["id"]))
        assert response.status_code == 401, path
        assert "Log eerst in." in response.text
    assert portal.snapshot() == before
    assert portal.rasa.calls == []


def test_logout_ends_the_session(portal):
    client, csrf = portal.login_as("a_staff")
    token = client.cookies.get(SESSION_COOKIE)
    assert token
    response = client.post("/logout", data={"csrf_token": csrf})
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    assert client.get("/inbox").status_code == 303
    with portal.make_session() as session:
        assert session.execute(sa.select(sa.func.count()).select_from(StaffSession)).scalar() == 0
    # the old cookie, replayed, no longer works
    replay = portal.client(cookies={SESSION_COOKIE: token})
    response = replay.get("/inbox")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")
    assert replay.post("/logout", data={"csrf_token": csrf}).status_code == 401


def test_expired_session_and_inactive_account_are_logged_out(portal):
    client, _ = portal.login_as("a_staff")
    colleague, _ = portal.login_as("a_colleague")
    with portal.make_session() as session, session.begin():
        session.execute(sa.update(StaffSession).where(
            StaffSession.user_id == portal.users["a_staff"]["id"])
            .values(expires_at=utcnow() - dt.timedelta(seconds=1)))
    assert client.get("/inbox").status_code == 303
    assert colleague.get("/inbox").status_code == 200
    portal.update_user("a_colleague", active=False)
    assert colleague.get("/inbox").status_code == 303


# ====================================================================== CSRF


@pytest.mark.parametrize("bad", [None, "", "wrong-token"])
def test_every_form_route_refuses_a_missing_or_wrong_csrf_token(portal, bad):
    client, csrf = portal.login_as("a_staff")
    a1 = portal.handovers["a1"]
    paths = post_routes(portal.app)
    assert {"/logout", "/handovers/{handover_id}/assign", "/handovers/{handover_id}/notes",
            "/handovers/{handover_id}/reply", "/handovers/{handover_id}/resolve"} <= set(paths)
    before = portal.snapshot()
    for path in paths:
        data = plausible_form(csrf, portal.users["a_colleague"]["id"])
        if bad is None:
            del data["csrf_token"]
        else:
            data["csrf_token"] = bad
        response = client.post(path.replace("{handover_id}", a1), data=data)
        assert response.status_code == 403, path
        assert "Dit formulier is verlopen" in response.text
        assert portal.snapshot() == before, path
    # another session's valid token is wrong too
    other, other_csrf = portal.login_as("a_colleague")
    before = portal.snapshot()
    for path in paths:
        data = plausible_form(other_csrf, portal.users["a_colleague"]["id"])
        response = client.post(path.replace("{handover_id}", a1), data=data)
        assert response.status_code == 403, path
    assert portal.snapshot() == before
    assert portal.rasa.calls == []
    # still logged in, nothing changed
    assert client.get("/inbox").status_code == 200
    assert portal.handover(a1)["status"] == "new"


# ====================================================================== tenant isolation


def test_handover_routes_are_enumerated(portal):
    assert KNOWN_HANDOVER_ROUTES <= set(handover_routes(portal.app))


def _check_404_on_every_route(portal: Portal, key: str, public_id: str, secret_text: str) -> None:
    """Every handover route is 404 for ``key``, changes nothing but the audit log, and is audited as
    refused: who asked what (issue 20, finding 9), without the parent's text."""
    client, csrf = portal.login_as(key)
    routes = handover_routes(portal.app)
    assert KNOWN_HANDOVER_ROUTES <= set(routes)
    failures = []
    for method, path in routes:
        url = path.replace("{handover_id}", public_id)
        before = portal.snapshot()
        if method == "GET":
            response = client.get(url)
        else:
            response = client.request(method, url,
                                      data=plausible_form(csrf, portal.users[key]["id"]))
        if response.status_code != 404:
            failures.append(f"{method} {path}: {response.status_code}")
        if secret_text in response.text:
            failures.append(f"{method} {path}: shows the question")
        after = portal.snapshot()
        audit_before = before.pop("wegwijs_audit_log")
        audit_after = after.pop("wegwijs_audit_log")
        if after != before:
            failures.append(f"{method} {path}: changed the database")
        added = portal.audit_rows()[len(audit_before):]
        if len(audit_after) != len(audit_before) + 1 or [
                (row["user_id"], row["action"], row["detail"]) for row in added] != [
                (portal.users[key]["id"], "denied", f"{method} {url}")]:
            failures.append(f"{method} {path}: not audited as refused")
    assert failures == []
    assert portal.rasa.calls == []
    assert [row for row in portal.audit_rows() if row["handover_public_id"] == public_id] == []
    for row in portal.audit_rows():
        assert secret_text not in repr(row)


def test_staff_of_school_a_get_404_for_school_b_on_every_handover_route(portal):
    b1 = portal.handovers["b1"]
    before = portal.handover(b1)
    _check_404_on_every_route(portal, "a_staff", b1, QUESTION_B)
    assert portal.handover(b1) == before
    assert portal.notes(b1) == []


def test_admin_of_school_a_gets_404_for_school_b_on_every_handover_route(portal):
    _check_404_on_every_route(portal, "a_admin", portal.handovers["b1"], QUESTION_B)


def test_same_routes_work_for_the_own_school(portal):
    """The control for the 404s above: the same requests on A's own handover are not 404."""
    client, csrf = portal.login_as("a_staff")
    a1 = portal.handovers["a1"]
    for method, path in handover_routes(portal.app):
        url = path.replace("{handover_id}", a1)
        response = client.get(url) if method == "GET" else client.request(
            method, url, data=plausible_form(csrf, portal.users["a_staff"]["id"]))
        assert response.status_code in (200, 303), f"{method} {path}: {response.status_code}"
    assert portal.handover(a1)["status"] == "resolved"
    assert portal.rasa.calls


def test_unknown_handover_id_is_404(portal):
    client, _ = portal.login_as("a_staff")
    assert client.get("/handovers/" + "0" * 32).status_code == 404
    assert "geen toegang" in client.get("/handovers/nope").text


def test_maintainer_sees_no_handovers(portal):
    _check_404_on_every_route(portal, "maintainer", portal.handovers["a1"], QUESTION_A)
    client, _ = portal.login_as("maintainer")
    assert client.get(f"/handovers/{portal.handovers['b1']}").status_code == 404
    for status in ("open", "all", *HANDOVER_STATUSES):
        inbox = client.get("/inbox", params={"status": status})
        assert inbox.status_code == 200
        assert HANDOVER_LINK_RE.findall(inbox.text) == []
    assert "hoort niet bij een school" in inbox.text
    assert client.get("/audit").status_code == 404


def test_inbox_lists_only_the_own_school_with_every_filter(portal):
    made: Dict[str, Dict[str, str]] = {}
    for school, assignee in ((SCHOOL_A, "a_staff"), (SCHOOL_B, "b_staff")):
        for status in HANDOVER_STATUSES:
            for role, urgency in (("zorgcoordinator", "urgent"), ("contact_person", "normal"),
                                  ("mentor", "high")):
                public_id = portal.add_handover(school, status, role=role, urgency=urgency,
                                                assignee=assignee)
                made[public_id] = {"school": school, "status": status, "role": role,
                                   "urgency": urgency}
    made[portal.handovers["a1"]] = {"school": SCHOOL_A, "status": "new", "role": "zorgcoordinator",
                                    "urgency": "normal"}
    made[portal.handovers["b1"]] = {"school": SCHOOL_B, "status": "new",
                                    "role": "intern_begeleider", "urgency": "normal"}
    for public_id, info in made.items():
        assert portal.handover(public_id)["status"] == info["status"]
    b_ids = {public_id for public_id, info in made.items() if info["school"] == SCHOOL_B}
    client, _ = portal.login_as("a_staff")

    def expected(status: str, role: str, urgency: str) -> set:
        ids = set()
        for public_id, info in made.items():
            if info["school"] != SCHOOL_A:
                continue
            # need-to-know: Sanne's own role, or assigned to her (every state but "new" here)
            if info["role"] != "zorgcoordinator" and info["status"] == "new":
                continue
            if status in HANDOVER_STATUSES and info["status"] != status:
                continue
            if status == "open" and info["status"] == "resolved":
                continue
            if role and info["role"] != role:
                continue
            if urgency and info["urgency"] != urgency:
                continue
            ids.add(public_id)
        return ids

    for status in ("open", *HANDOVER_STATUSES, "all", "bogus"):
        for role in ("", "zorgcoordinator", "intern_begeleider"):
            for urgency in ("", *URGENCIES):
                page = client.get("/inbox", params={"status": status, "role": role,
                                                    "urgency": urgency})
                assert page.status_code == 200
                listed = set(HANDOVER_LINK_RE.findall(page.text))
                assert not listed & b_ids, (status, role, urgency)
                assert listed == expected(status, role, urgency), (status, role, urgency)
                assert "Marieke Regenboog" not in page.text


def test_assigning_to_staff_of_another_school_is_refused(portal):
    client, csrf = portal.login_as("a_staff")
    a1 = portal.handovers["a1"]
    before = portal.handover(a1)
    page = client.get(f"/handovers/{a1}")
    assert "Marieke Regenboog" not in page.text  # B's staff are not offered
    assert "Olaf Onderhoud" not in page.text
    for target in (portal.users["b_staff"]["id"], portal.users["maintainer"]["id"], 999_999):
        response = client.post(f"/handovers/{a1}/assign",
                               data={"csrf_token": csrf, "assignee_id": str(target)})
        assert response.status_code == 303
        assert response.headers["location"] == f"/handovers/{a1}?notice=not_same_school"
    after = portal.handover(a1)
    assert after["assignee_id"] is None and after["status"] == "new"
    assert after == before
    assert portal.audit_rows("assign") == []
    shown = client.get(f"/handovers/{a1}?notice=not_same_school")
    assert "Die medewerker hoort niet bij deze school" in shown.text


def test_assigning_to_an_inactive_colleague_changes_nothing(portal):
    client, csrf = portal.login_as("a_staff")
    a1 = portal.handovers["a1"]
    portal.update_user("a_colleague", active=False)
    response = client.post(f"/handovers/{a1}/assign",
                           data={"csrf_token": csrf, "assignee_id": str(portal.users["a_colleague"]["id"])})
    assert response.status_code == 303
    assert "notice=assigned" not in response.headers["location"]
    assert portal.handover(a1)["assignee_id"] is None
    assert portal.handover(a1)["status"] == "new"


# ====================================================================== audit page


def test_audit_page_is_404_for_staff_and_shows_only_the_own_school_to_an_admin(portal):
    a_client, _ = portal.login_as("a_staff")
    b_client, _ = portal.login_as("b_staff")
    assert a_client.get(f"/handovers/{portal.handovers['a1']}").status_code == 200
    assert b_client.get(f"/handovers/{portal.handovers['b1']}").status_code == 200
    assert any(row["school_id"] == SCHOOL_B for row in portal.audit_rows())
    staff_page = a_client.get("/audit")
    assert staff_page.status_code == 404
    assert 'href="/audit"' not in a_client.get("/inbox").text
    admin, _ = portal.login_as("a_admin")
    assert 'href="/audit"' in admin.get("/inbox").text
    page = admin.get("/audit")
    assert page.status_code == 200
    assert set(HANDOVER_LINK_RE.findall(page.text)) == {portal.handovers["a1"]}
    assert "read_conversation" in page.text
    assert "Sanne Visser" in page.text
    assert "Marieke Regenboog" not in page.text
    assert portal.handovers["b1"][:8] not in page.text


# ====================================================================== escaping and headers

PAYLOADS = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", '"><svg onload=alert(1)>',
            '<a href="javascript:alert(1)">klik hier</a>']


def assert_no_injected_markup(page: str) -> None:
    lowered = page.lower()
    # the only script element is the portal's own file
    assert lowered.count("<script") == 1, "an injected <script> element"
    assert '<script src="/static/portal.js" defer></script>' in page
    assert "<img" not in lowered
    assert "<svg" not in lowered
    assert 'href="javascript:' not in lowered
    assert "<a href=\"javascript" not in lowered
    assert "alert(1)</script>" not in lowered


def test_parent_text_notes_and_transcript_are_escaped(portal):
    payload_text = " ".join(PAYLOADS)
    conversation = "conv-xss"
    public_id = portal.add_handover(SCHOOL_A, question=payload_text, conversation_id=conversation,
                                    contact_method="email", contact_detail='"><svg onload=alert(1)>',
                                    child_class="<img src=x onerror=alert(1)>")
    create_events_table(portal.db_url)
    for number, payload in enumerate(PAYLOADS):
        add_event(portal.db_url, conversation, "user", payload, timestamp=1_760_000_000.0 + number,
                  parse_data={"intent": {"name": "care_mentor"}})
    add_event(portal.db_url, conversation, "bot", "Zie <a href=\"javascript:alert(1)\">hier</a>",
              timestamp=1_760_000_010.0)
    add_event(portal.db_url, conversation, "bot", "<script>alert(1)</script> van staf",
              timestamp=1_760_000_011.0,
              metadata={"wegwijs_staff": {"name": "<svg onload=alert(1)>", "role": "mentor"}})
    client, csrf = portal.login_as("a_staff")
    for payload in PAYLOADS:
        response = client.post(f"/handovers/{public_id}/notes",
                               data={"csrf_token": csrf, "text": f"notitie {payload}"})
        assert response.status_code == 303
    page = client.get(f"/handovers/{public_id}")
    assert page.status_code == 200
    text = page.text
    assert_no_injected_markup(text)
    # the payloads are there, escaped: question, transcript and notes
    escaped = {payload: htmllib.escape(payload, quote=True).replace("&#x27;", "&#39;")
               .replace("&quot;", "&#34;") for payload in PAYLOADS}
    for payload, safe in escaped.items():
        assert text.count(safe) >= 3, payload  # question, transcript line, note
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text
    assert "&#34;&gt;&lt;svg onload=alert(1)&gt;" in text
    assert 'Zie &lt;a href=&#34;javascript:alert(1)&#34;&gt;hier&lt;/a&gt;' in text
    assert "&lt;svg onload=alert(1)&gt;" in text  # the staff name in metadata
    assert 'data-testid="transcript"' in text
    # the reply form re-renders the typed text escaped, too
    portal.rasa.unavailable = True
    reply = client.post(f"/handovers/{public_id}/reply",
                        data={"csrf_token": csrf, "text": "</textarea><script>alert(1)</script>"})
    assert reply.status_code == 400
    assert_no_injected_markup(reply.text)
    assert "&lt;/textarea&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in reply.text


def test_login_page_escapes_the_reflected_email_and_next(portal):
    client = portal.client()
    page = client.get("/login", params={"next": '/"><script>alert(1)</script>'})
    assert page.status_code == 200
    assert_no_injected_markup(page.text)
    failed = login(client, '"><svg onload=alert(1)>@x.example', "fout-wachtwoord-123")
    assert failed.status_code == 401
    assert_no_injected_markup(failed.text)
    assert "&#34;&gt;&lt;svg onload=alert(1)&gt;@x.example" in failed.text


def test_notice_parameter_is_not_reflected(portal):
    client, _ = portal.login_as("a_staff")
    page = client.get(f"/handovers/{portal.handovers['a1']}",
                      params={"notice": "<script>alert(1)</script>"})
    assert page.status_code == 200
    assert_no_injected_markup(page.text)
    assert "alert(1)" not in page.text


def test_security_headers_on_every_kind_of_page(portal):
    client = portal.client()
    responses = {"login": client.get("/login"),
                 "login failed": login(client, "x@y.example", "fout-wachtwoord-123")}
    client, csrf = portal.login_as("a_staff")
    responses.update({
        "inbox": client.get("/inbox"),
        "handover": client.get(f"/handovers/{portal.handovers['a1']}"),
        "404": client.get(f"/handovers/{portal.handovers['b1']}"),
        "403": client.post(f"/handovers/{portal.handovers['a1']}/notes", data={"text": "x"}),
        "redirect": client.get("/"),
    })
    for name, response in responses.items():
        csp = response.headers.get("content-security-policy", "")
        assert csp, name
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, name
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp, name
        assert "default-src 'none'" in csp, name
        assert response.headers.get("x-frame-options") == "DENY", name
        assert response.headers.get("x-content-type-options") == "nosniff", name
        assert "no-store" in response.headers.get("cache-control", ""), name
    assert responses["inbox"].headers["content-type"].startswith("text/html")


# ====================================================================== audit log


def test_opening_a_handover_writes_one_audit_row_without_text(portal):
    a1 = portal.handovers["a1"]
    create_events_table(portal.db_url)
    parent_text = "Hij durft niet meer naar school sinds de gymles."
    add_event(portal.db_url, "conv-a1", "user", parent_text)
    add_event(portal.db_url, "conv-a1", "bot", "Dat is vervelend. Wil je met iemand praten?",
              timestamp=1_760_000_001.0)
    client, _ = portal.login_as("a_staff")
    page = client.get(f"/handovers/{a1}")
    assert page.status_code == 200
    assert parent_text in page.text and QUESTION_A in page.text
    rows = portal.audit_rows("read_conversation")
    assert len(rows) == 1
    row = rows[0]
    assert row["user_id"] == portal.users["a_staff"]["id"]
    assert row["school_id"] == SCHOOL_A
    assert row["handover_public_id"] == a1
    assert row["conversation_id"] == "conv-a1"
    assert row["at"] is not None
    for entry in portal.audit_rows():
        for value in entry.values():
            if isinstance(value, str):
                for text in (QUESTION_A, parent_text, "0612345678", "gepest", "gymles"):
                    assert text not in value
    client.get(f"/handovers/{a1}")
    assert len(portal.audit_rows("read_conversation")) == 2


# ====================================================================== reply


def test_reply_pauses_the_bot_once_and_marks_in_progress(portal):
    a1 = portal.handovers["a1"]
    client, csrf = portal.login_as("a_staff")
    response = client.post(f"/handovers/{a1}/reply",
                           data={"csrf_token": csrf, "text": "  Beste ouder, ik bel u vanmiddag.  "})
    assert response.status_code == 303
    assert response.headers["location"] == f"/handovers/{a1}?notice=sent"
    events = portal.rasa.events["conv-a1"]
    assert events[0] == {"event": "pause"}
    assert events[1]["event"] == "bot"
    assert events[1]["text"].startswith("Sanne Visser (")
    assert events[1]["text"].endswith("): Beste ouder, ik bel u vanmiddag.")
    assert len(events) == 2
    say = [call for call in portal.rasa.calls if call[0] == "say"]
    assert len(say) == 1 and say[0][1] == "conv-a1"
    assert say[0][2]["name"] == "Sanne Visser"
    assert say[0][2]["role_label"] == "zorgcoördinator"
    row = portal.handover(a1)
    assert row["status"] == "in_progress"
    assert row["assignee_id"] == portal.users["a_staff"]["id"]
    assert "Bericht verstuurd naar de ouder." in client.get(response.headers["location"]).text
    # a second reply (by the school's admin, who has no role: the handover's is shown): no second
    # pause, the assignee stays
    colleague, colleague_csrf = portal.login_as("a_admin")
    again = colleague.post(f"/handovers/{a1}/reply",
                           data={"csrf_token": colleague_csrf, "text": "Aanvulling van de school."})
    assert again.status_code == 303
    events = portal.rasa.events["conv-a1"]
    assert [event["event"] for event in events] == ["pause", "bot", "bot"]
    assert events[2]["text"] == "Beheer Het Baken (zorgcoördinator): Aanvulling van de school."
    row = portal.handover(a1)
    assert row["status"] == "in_progress"
    assert row["assignee_id"] == portal.users["a_staff"]["id"]
    replies = portal.audit_rows("reply")
    assert [r["user_id"] for r in replies] == [portal.users["a_staff"]["id"],
                                                portal.users["a_admin"]["id"]]
    for entry in portal.audit_rows():
        assert not any(isinstance(v, str) and "bel u vanmiddag" in v for v in entry.values())


def test_reply_when_rasa_is_unavailable_keeps_the_text_and_the_status(portal):
    a1 = portal.handovers["a1"]
    portal.rasa.unavailable = True
    client, csrf = portal.login_as("a_staff")
    typed = "Beste ouder, ik bel u <morgen> om 10 uur & groet \"Sanne\""
    response = client.post(f"/handovers/{a1}/reply", data={"csrf_token": csrf, "text": typed})
    assert response.status_code == 400
    assert "De chat is nu niet bereikbaar" in response.text
    assert "Je bericht is niet verstuurd" in response.text
    match = re.search(r'<textarea id="reply-text"[^>]*>(.*?)</textarea>', response.text, re.S)
    assert match and htmllib.unescape(match.group(1)) == typed
    row = portal.handover(a1)
    assert row["status"] == "new" and row["assignee_id"] is None
    assert portal.rasa.calls == []
    assert portal.audit_rows("reply") == []
    # once Rasa is back the same reply goes through, with the pause first
    portal.rasa.unavailable = False
    assert client.post(f"/handovers/{a1}/reply",
                       data={"csrf_token": csrf, "text": typed}).status_code == 303
    assert [e["event"] for e in portal.rasa.events["conv-a1"]] == ["pause", "bot"]


@pytest.mark.parametrize("text, message", [
    ("", "Schrijf eerst een bericht."),
    ("   \n  ", "Schrijf eerst een bericht."),
    ("x" * 2001, "hoogstens 2000 tekens"),
])
def test_empty_and_too_long_replies_are_refused(portal, text, message):
    a1 = portal.handovers["a1"]
    client, csrf = portal.login_as("a_staff")
    before = portal.snapshot()
    response = client.post(f"/handovers/{a1}/reply", data={"csrf_token": csrf, "text": text})
    assert response.status_code == 400
    assert message in response.text
    assert portal.rasa.calls == []
    assert portal.snapshot() == before
    assert portal.handover(a1)["status"] == "new"


def test_a_reply_of_exactly_2000_characters_is_sent(portal):
    a1 = portal.handovers["a1"]
    client, csrf = portal.login_as("a_staff")
    response = client.post(f"/handovers/{a1}/reply", data={"csrf_token": csrf, "text": "y" * 2000})
    assert response.status_code == 303
    assert portal.rasa.calls[0][2]["text"] == "y" * 2000


# ====================================================================== resolve


def test_resolve_resumes_the_bot_with_a_closing_message(portal, registry):
    a1 = portal.handovers["a1"]
    client, csrf = portal.login_as("a_staff")
    assert client.post(f"/handovers/{a1}/reply",
                       data={"csrf_token": csrf, "text": "Ik help u graag."}).status_code == 303
    response = client.post(f"/handovers/{a1}/resolve",
                           data={"csrf_token": csrf, "resolved_role": "school_social_worker"})
    assert response.status_code == 303
    assert response.headers["location"] == f"/handovers/{a1}?notice=resolved"
    last = portal.rasa.calls[-1]
    assert last[0] == "append" and last[1] == "conv-a1"
    resume, closing = last[2]
    assert resume == {"event": "resume"}
    assert closing["event"] == "bot"
    assert "Sanne Visser" in closing["text"]
    assert "heeft je vraag afgerond" in closing["text"]
    assert registry.get(SCHOOL_A).name in closing["text"]
    row = portal.handover(a1)
    assert row["status"] == "resolved"
    assert row["resolved_role"] == "school_social_worker"
    assert row["resolved_at"] is not None
    assert abs((row["resolved_at"] - utcnow()).total_seconds()) < 60
    assert [r["handover_public_id"] for r in portal.audit_rows("resolve")] == [a1]
    page = client.get(f"/handovers/{a1}")
    assert "afgehandeld" in page.text
    assert f'action="/handovers/{a1}/reply"' not in page.text
    assert f'action="/handovers/{a1}/resolve"' not in page.text


def test_resolve_without_a_role_keeps_the_handover_role(portal):
    a1 = portal.handovers["a1"]
    client, csrf = portal.login_as("a_staff")
    assert client.post(f"/handovers/{a1}/resolve", data={"csrf_token": csrf}).status_code == 303
    row = portal.handover(a1)
    assert row["status"] == "resolved" and row["resolved_role"] == "zorgcoordinator"


def test_resolve_with_an_unknown_role_changes_nothing(portal):
    a1 = portal.handovers["a1"]
    client, csrf = portal.login_as("a_staff")
    before = portal.handover(a1)
    response = client.post(f"/handovers/{a1}/resolve",
                           data={"csrf_token": csrf, "resolved_role": "jgz"})
    assert response.headers["location"] == f"/handovers/{a1}?notice=bad_role"
    assert portal.handover(a1) == before
    assert portal.rasa.calls == []


def test_resolve_when_rasa_is_unavailable_keeps_the_handover_open(portal):
    a1 = portal.handovers["a1"]
    client, csrf = portal.login_as("a_staff")
    portal.rasa.unavailable = True
    before = portal.handover(a1)
    response = client.post(f"/handovers/{a1}/resolve",
                           data={"csrf_token": csrf, "resolved_role": "zorgcoordinator"})
    assert response.status_code == 303
    assert response.headers["location"] == f"/handovers/{a1}?notice=chat_unreachable"
    row = portal.handover(a1)
    assert row == before
    assert row["status"] == "new" and row["resolved_at"] is None and row["resolved_role"] is None
    assert portal.audit_rows("resolve") == []
    page = client.get(response.headers["location"])
    assert "De chat is nu niet bereikbaar" in page.text


def test_a_resolved_handover_cannot_be_replied_to_or_resolved_again(portal):
    a1 = portal.handovers["a1"]
    client, csrf = portal.login_as("a_staff")
    assert client.post(f"/handovers/{a1}/resolve", data={"csrf_token": csrf}).status_code == 303
    calls = list(portal.rasa.calls)
    resolved = portal.handover(a1)
    reply = client.post(f"/handovers/{a1}/reply", data={"csrf_token": csrf, "text": "Nog iets."})
    assert reply.status_code == 400
    assert "Deze vraag is al afgehandeld." in reply.text
    again = client.post(f"/handovers/{a1}/resolve", data={"csrf_token": csrf})
    assert again.headers["location"] == f"/handovers/{a1}?notice=already_resolved"
    assign = client.post(f"/handovers/{a1}/assign",
                         data={"csrf_token": csrf, "assignee_id": str(portal.users["a_colleague"]["id"])})
    assert assign.headers["location"] == f"/handovers/{a1}?notice=already_resolved"
    assert portal.rasa.calls == calls
    assert portal.handover(a1) == resolved


# ====================================================================== notes and assign


def test_notes_for_the_same_school(portal):
    a1 = portal.handovers["a1"]
    client, csrf = portal.login_as("a_staff")
    response = client.post(f"/handovers/{a1}/notes",
                           data={"csrf_token": csrf, "text": "  Ouder gebeld; dinsdag terugbellen.  "})
    assert response.status_code == 303
    assert response.headers["location"] == f"/handovers/{a1}?notice=note_saved"
    assert portal.notes(a1) == [{"text": "Ouder gebeld; dinsdag terugbellen.",
                                 "author_id": portal.users["a_staff"]["id"]}]
    colleague, _ = portal.login_as("a_admin")
    page = colleague.get(f"/handovers/{a1}")
    assert "Ouder gebeld; dinsdag terugbellen." in page.text
    assert "Sanne Visser" in page.text
    for bad in ("", "   ", "n" * 4001):
        refused = client.post(f"/handovers/{a1}/notes", data={"csrf_token": csrf, "text": bad})
        assert refused.headers["location"] == f"/handovers/{a1}?notice=note_invalid"
    assert len(portal.notes(a1)) == 1
    assert portal.rasa.calls == []


def test_assign_to_a_colleague_of_the_same_school(portal):
    a1 = portal.handovers["a1"]
    client, csrf = portal.login_as("a_staff")
    response = client.post(f"/handovers/{a1}/assign",
                           data={"csrf_token": csrf, "assignee_id": str(portal.users["a_colleague"]["id"])})
    assert response.status_code == 303
    assert response.headers["location"] == f"/handovers/{a1}?notice=assigned"
    row = portal.handover(a1)
    assert row["assignee_id"] == portal.users["a_colleague"]["id"]
    assert row["status"] == "assigned"
    assert [r["handover_public_id"] for r in portal.audit_rows("assign")] == [a1]
    page = client.get(response.headers["location"])
    assert "Toegewezen." in page.text
    assert "Mark Mentor" in page.text
    # the colleague sees it in the inbox with the "assigned" filter
    colleague, _ = portal.login_as("a_colleague")
    inbox = colleague.get("/inbox", params={"status": "assigned"})
    assert set(HANDOVER_LINK_RE.findall(inbox.text)) == {a1}


# ====================================================================== retention and the portal


def test_no_note_on_a_purged_handover(portal):
    from wegwijs.retention import purge_handovers

    public_id = portal.add_handover(SCHOOL_A, "resolved", assignee="a_staff")
    with portal.make_session() as session, session.begin():
        session.execute(sa.update(Handover).where(Handover.public_id == public_id)
                        .values(resolved_at=utcnow() - dt.timedelta(days=40)))
    assert purge_handovers(portal.db_url, 30) == 1
    client, csrf = portal.login_as("a_staff")
    page = client.get(f"/handovers/{public_id}")
    assert f'action="/handovers/{public_id}/notes"' not in page.text
    client.post(f"/handovers/{public_id}/notes",
                data={"csrf_token": csrf, "text": "De moeder belde nog over haar zoon Daan."})
    assert portal.notes(public_id) == []


# ====================================================================== the secret


@pytest.mark.parametrize("secret", [
    None, "", "kort-geheim", "Ab3dE5gH9jK1mN2pQ4rS6tU8vW0xY7z",  # 31 characters
    "change-me", ("change-me" * 5)[:40], ("changeme" * 6)[:40], ("secret" * 7)[:40],
    ("password" * 5)[:40], ("wegwijs" * 6)[:40], "a" * 64, "  CHANGE-ME  ",
    ("please-change-me" * 3)[:40],
])
def test_the_app_refuses_an_insecure_secret(db_url, home, secret):
    env = {"WEGWIJS_DB_URL": db_url, "WEGWIJS_SCHOOLS_DIR": str(home / "schools"),
           "WEGWIJS_DATA_DIR": str(home / "data")}
    if secret is not None:
        env["WEGWIJS_PORTAL_SECRET"] = secret
    settings = Settings.from_env(env)
    with pytest.raises(security.InsecureSecret):
        create_app(settings, rasa=FakeRasa())


def test_the_app_starts_with_a_random_secret(db_url, home):
    settings = Settings.from_env({"WEGWIJS_DB_URL": db_url, "WEGWIJS_PORTAL_SECRET": random_secret(),
                                  "WEGWIJS_SCHOOLS_DIR": str(home / "schools"),
                                  "WEGWIJS_DATA_DIR": str(home / "data")})
    app = create_app(settings, rasa=FakeRasa())
    client = TestClient(app, base_url=BASE_URL)
    assert client.get("/healthz").text == "ok"


def test_button_payloads_read_as_buttons_in_the_transcript():
    from wegwijs.transcripts import button_label

    assert button_label("/affirm") == "Ja (knop)"
    assert button_label("/talk_to_human") == "Met iemand praten (knop)"
    assert button_label('/inform_age{"age_band": "age_12_15"}') == "inform_age (knop)"
    assert button_label("/ ik typ zelf iets") == "/ ik typ zelf iets"
    assert button_label("gewone tekst") == "gewone tekst"


def test_a_resolved_handover_shows_the_conversation_up_to_its_resolution(portal):
    """Issue 20, finding 4: a parent's message written after the handover was resolved (a new question,
    perhaps meant for nobody at school) does not appear on the resolved handover."""
    import time as time_module

    conversation = "conv-after-resolution"
    public_id = portal.add_handover(SCHOOL_A, "resolved", conversation_id=conversation)
    create_events_table(portal.db_url)
    now = time_module.time()
    add_event(portal.db_url, conversation, "user", "mijn vraag voor school", timestamp=now - 600)
    add_event(portal.db_url, conversation, "bot", "je vraag ligt bij de zorgcoordinator", timestamp=now - 590)
    add_event(portal.db_url, conversation, "user", "iets heel anders, later geschreven", timestamp=now + 600)
    client, _ = portal.login_as("a_staff")
    page = client.get(f"/handovers/{public_id}")
    assert page.status_code == 200
    assert "mijn vraag voor school" in page.text
    assert "iets heel anders, later geschreven" not in page.text


def test_parallel_wrong_passwords_cannot_race_past_the_lockout(portal):
    """Issue 20, finding 1: the counter was read, increased and written back by concurrent requests, so
    20 parallel wrong passwords all got 401 and the right password then logged in. Each attempt is now
    counted atomically in the database before the password is checked."""
    from concurrent.futures import ThreadPoolExecutor

    user = portal.users["a_staff"]
    clients = [portal.client() for _ in range(20)]
    tokens = [csrf_of(client.get("/login").text) for client in clients]

    def wrong(index: int) -> int:
        return clients[index].post("/login", data={"email": user["email"], "password": "fout-wachtwoord-123",
                                                   "csrf_token": tokens[index]}).status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(wrong, range(20)))
    assert statuses.count(401) <= MAX_FAILED_LOGINS - 1 + 1  # at most the allowed attempts were checked
    assert statuses.count(429) >= 20 - MAX_FAILED_LOGINS
    assert login(portal.client(), user["email"], user["password"]).status_code == 429
    assert portal.user_row("a_staff").locked_until is not None
