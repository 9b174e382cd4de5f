"""Property-based tests of the staff portal with schemathesis: no server error for generated requests.

The schema is the app's own OpenAPI document (``app.openapi()``); the portal does not publish it. Every
operation is fuzzed logged out and logged in as a staff member, a school admin and a maintainer, through
schemathesis's phases: examples, coverage (boundary and invalid values, missing fields; unexpected HTTP
methods in the logged-out run) and fuzzing (Hypothesis, positive and negative data).

Random data alone would stop at the CSRF check or the tenant check, so the schema is given known values
for every parameter or form field that the portal compares with something it knows: the session's CSRF
token, the login form's token, handover ids of both schools in every state, staff ids, inbox filters,
notices, review groups and verdicts, e-mail addresses with their passwords, school ids (both schools, a
new one, bad ones), topics, holiday ids of both schools, dates, colours and profile fields (valid and
refused), and numbers at the edges of the database's integer columns. They go in twice: as schema ``examples`` (the examples phase sends them
deterministically, the n-th request taking the n-th example of each field) and through hooks that set
them in three of four fuzzed requests. The session cookie is sent with every logged-in request; the
logged-out run fuzzes the session cookie itself.

Every request runs on the same database state: the SQLite file is restored from a snapshot (SQLite's
backup API) and the fake Rasa client is cleared before each request, so a generated logout, resolve or
reply never makes later examples meaningless. Only the app's in-memory lock-out of unknown e-mail
addresses carries over within one role's run (it can only turn a 401 into a 429).

The check is ``not_a_server_error``, and an exception in the app fails the example through the
TestClient (``raise_server_exceptions``). Response schema conformance is not checked: the portal answers
with HTML pages and redirects, which FastAPI's generated response schemas do not describe.

The staff-account routes (``/team…``, ``/maintainer/first-admin``, ``/invitation/{token}``) get known
values too: the ids of accounts of both schools and of open invitations, tokens of a working invitation
and reset link (and of a used one), the link form's own CSRF token, kinds, roles and school ids.

A longer hunt: ``WEGWIJS_FUZZ_EXAMPLES=500 pytest tests/test_portal_schema.py``; only some routes:
``WEGWIJS_FUZZ_PATHS='^/(team|invitation|maintainer)'`` (a regular expression of the paths).
"""
from __future__ import annotations

import copy
import os
import sqlite3
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest
import schemathesis
import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from starlette.testclient import TestClient

from retrain_support import conversations, save
from test_portal import BASE_URL, add_event, portal  # noqa: F401  (portal: the fixture)
from wegwijs import schools_store
from wegwijs.db.engine import session_factory
from wegwijs import invitations
from wegwijs.db.models import HANDOVER_STATUSES, URGENCIES, Handover, ReviewItem, StaffUser, utcnow
from wegwijs.handovers import service
from wegwijs.handovers.routing import SCHOOL_ROLES
from wegwijs.portal import security
from wegwijs.portal.app import LOGIN_COOKIE, NOTICES, SESSION_COOKIE
from wegwijs.retrain import review as retrain_review
from wegwijs.retrain.export import export

WHO = ["anonymous", "a_staff", "a_admin", "maintainer"]
#: a school's own note (the School pages)
NOTE_TOPIC = "care_youth_health"
NOTE_TEXT = "Bij ons zit de jeugdverpleegkundige elke dinsdag op school."
#: Hypothesis examples per operation and role (the examples and coverage phases add their own).
MAX_EXAMPLES = int(os.environ.get("WEGWIJS_FUZZ_EXAMPLES", "25"))
#: Only the operations whose path matches this regular expression (default: all).
ONLY_PATHS = os.environ.get("WEGWIJS_FUZZ_PATHS", "")
#: Numbers at the edges of the database's integer columns (int4 on PostgreSQL, int8 in SQLite), which
#: random integers hardly ever reach.
EDGES = [0, -1, 2**31 - 1, 2**31, 2**63 - 1, 2**63, -(2**63) - 1, 10**30]
#: Leave a generated value as it is (a marker for the hint strategies).
KEEP = object()

Hints = Dict[Tuple[str, ...], List[Tuple[Any, ...]]]


def sqlite_file(db_url: str) -> str:
    return sa.engine.make_url(db_url).database


def copy_database(source: str, target: str) -> None:
    """Copy one SQLite database over another with SQLite's backup API (safe with WAL), no fsync."""
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        dst.execute("PRAGMA synchronous=OFF")
        src.backup(dst)
    finally:
        src.close()
        dst.close()


def seed_review_items(db_url: str) -> None:
    """Parents' conversations in Rasa's tracker store and the review items exported from them."""
    save(db_url, conversations())
    with session_factory(db_url)() as session:
        export(session, scrub=lambda text: [])  # PII scrubbing is not under test here


def form_schema(openapi: Dict[str, Any], operation: Dict[str, Any]) -> Dict[str, Any]:
    """The schema of an operation's form (FastAPI puts it in a component of its own)."""
    content = operation.get("requestBody", {}).get("content", {})
    schema = content.get("application/x-www-form-urlencoded", {}).get("schema", {})
    if "$ref" in schema:
        schema = openapi["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def mixed_in(value: Any, hints: Hints) -> st.SearchStrategy:
    """``value`` (a dict of parameters or form fields) where each hinted group of names is set to one of
    its known tuples of values in three of four cases (the simplest choice, so also what Hypothesis
    shrinks to) and left as generated otherwise."""
    if not isinstance(value, dict) or not hints:
        return st.just(value)

    def one(values: List[Tuple[Any, ...]]) -> st.SearchStrategy:
        return st.integers(0, 3).flatmap(lambda n: st.just(KEEP) if n == 3 else st.sampled_from(values))

    def merge(chosen: Tuple[Any, ...]) -> Dict[str, Any]:
        merged = dict(value)
        for names, known in zip(hints, chosen):
            if known is not KEEP:
                merged.update(zip(names, known))
        return merged

    return st.tuples(*(one(values) for values in hints.values())).map(merge)


class Fuzz:
    """One role's view of a seeded portal; restores the database before every request."""

    def __init__(self, portal, who: str) -> None:  # noqa: F811
        self.portal = portal
        self.who = who
        self.db_file = sqlite_file(portal.db_url)
        self.snapshot = str(Path(self.db_file).with_name("snapshot.db"))
        self.cookies: Dict[str, str] = {}
        self.csrf = ""
        self.login_csrf = ""
        self.invitation_csrf = ""
        self.tokens: List[str] = []
        self.invitation_ids: List[int] = []
        self.holidays: List[int] = []

    # ------------------------------------------------------------ state
    def seed(self) -> None:
        """Conversations, review items, handovers in every state of both schools, and the login."""
        site = self.portal
        seed_review_items(site.db_url)
        add_event(site.db_url, "conv-a1", "user", "Mijn zoon wordt gepest.")
        add_event(site.db_url, "conv-a1", "bot", "Ik zoek iemand voor je.")
        handovers = site.handovers  # a1 (new, school A) and b1 (new, school B) already
        handovers["a_resolved"] = site.add_handover("het-baken", "resolved", assignee="a_staff")
        handovers["a_busy"] = site.add_handover("het-baken", "in_progress", urgency="urgent",
                                                  assignee="a_colleague")
        handovers["a_purged"] = site.add_handover("het-baken", "assigned", assignee="a_staff")
        handovers["b_busy"] = site.add_handover("de-regenboog", "in_progress", role="intern_begeleider",
                                                  assignee="b_staff")
        with site.make_session() as session, session.begin():
            purged = session.execute(sa.select(Handover.id).where(
                Handover.public_id == handovers["a_purged"])).scalar_one()
            service.clear_content(session.connection(), [purged], utcnow())
            # a holiday and a note of each school, for the School pages' remove forms
            system = schools_store.Actor.system()
            self.holidays = [schools_store.add_holiday(session, system, school_id, "2027-02-22", "2027-02-26",
                                                       "voorjaarsvakantie") for school_id in ("het-baken", "de-regenboog")]
            for school_id in ("het-baken", "de-regenboog"):
                schools_store.set_note(session, system, school_id, NOTE_TOPIC, NOTE_TEXT, library=site.app.state.portal.library)
        # staff links: an open invitation of each school, a reset link, and a used invitation
        with site.make_session() as session, session.begin():
            admin = session.get(StaffUser, site.users["a_admin"]["id"])
            keeper = session.get(StaffUser, site.users["maintainer"]["id"])
            colleague = session.get(StaffUser, site.users["a_colleague"]["id"])
            now = utcnow()
            made = [invitations.invite(session, admin, school_id="het-baken", email="nieuw@hetbaken.example",
                                       kind="staff", roles=["mentor"], now=now),
                    invitations.invite(session, keeper, school_id="de-regenboog", kind="admin", roles=[],
                                       email="beheer@regenboog.example", now=now),
                    invitations.start_reset(session, admin, colleague, now),
                    invitations.invite(session, admin, school_id="het-baken", email="oud@hetbaken.example",
                                       kind="admin", roles=[], now=now)]
            invitations.accept(session, made[-1][0], name="Oud", password="een-lang-wachtwoord",
                               repeat="een-lang-wachtwoord", now=now)
            self.tokens = [token for _, token in made]
            self.invitation_ids = [invitation.id for invitation, _ in made]
        if self.who == "anonymous":
            client = site.client()
        else:
            client, self.csrf = site.login_as(self.who)
            self.cookies[SESSION_COOKIE] = client.cookies[SESSION_COOKIE]
        # this browser's login form (POST /login is fuzzed logged in too)
        page = client.get("/login")
        self.cookies[LOGIN_COOKIE] = client.cookies[LOGIN_COOKIE]
        self.login_csrf = security.login_form_token(site.settings.portal_secret,
                                                    self.cookies[LOGIN_COOKIE])
        assert self.login_csrf in page.text
        self.invitation_csrf = security.invitation_form_token(site.settings.portal_secret,
                                                              self.cookies[LOGIN_COOKIE])
        copy_database(self.db_file, self.snapshot)

    def restore(self) -> None:
        copy_database(self.snapshot, self.db_file)
        self.portal.rasa.calls.clear()
        self.portal.rasa.events.clear()

    # ------------------------------------------------------------ schema
    def known_values(self) -> Hints:
        """Known values by group of field names (an e-mail address goes with its password), in a
        fixed order, so that the examples phase sends the same combinations on every run."""
        site = self.portal
        with site.make_session() as session:
            review_ids = [",".join(str(i) for i in group.ids)
                          for group in retrain_review.pending_groups(session, limit=30)]
        assert review_ids
        users = sorted(site.users.values(), key=lambda user: user["id"])
        single = {
            "handover_id": list(site.handovers.values()),
            "csrf_token": [self.csrf] if self.csrf else [],
            "assignee_id": [user["id"] for user in users] + EDGES,
            "resolved_role": list(SCHOOL_ROLES),
            "status": ["open", *HANDOVER_STATUSES],
            "role": list(SCHOOL_ROLES),
            "urgency": list(URGENCIES),
            "notice": list(NOTICES),
            "ids": review_ids + [str(number) for number in EDGES] + [f"{review_ids[0]},{10**30}"],
            "verdict": ["accept", "relabel", "discard"],
            "intent": ["care_opp", "care_costs", "nlu_fallback"],
            "text": ["Beste ouder, ik bel u morgen om tien uur.", "x" * 2001, NOTE_TEXT],
            "next": ["/inbox", "/audit", "//evil.example", f"/handovers/{site.handovers['a1']}"],
            "member_id": [str(user["id"]) for user in users] + [str(number) for number in EDGES],
            "invitation_id": [str(number) for number in self.invitation_ids] + [str(number) for number in EDGES],
            "token": self.tokens + ["A" * 43],
            "kind": ["staff", "admin", "maintainer"],
            "roles": [[], ["mentor"], list(SCHOOL_ROLES), ["directeur"]],
            "name": ["Nina Nieuw", "<script>alert(1)</script>", "x" * 121],
            # the School pages and the Scholen page
            "school_id": ["het-baken", "de-regenboog", "nieuwe-school", "de-zonnewijzer", "Geen Code", "../x",
                          "x" * 70],
            "topic": [NOTE_TOPIC, "care_bullying", "safety_suicide", "geen_onderwerp"],
            "holiday_id": [str(number) for number in self.holidays + EDGES],
            "start": ["2027-04-27", "27-04-2027", "2027-02-30"],
            "end": ["2027-04-28", "", "2027-04-26"],
            "label": ["Koningsdag", "<b>vrij</b>", "x" * 61],
            "display_name": ["Chat Het Baken", "", "x" * 41],
            "colour": ["#1a5e8c", "#ffcc00", "rood"],
            "type": ["po", "vo", "xx"],
            "gemeente": ["Amersfoort", ""],
            "samenwerkingsverband": ["Samenwerkingsverband VO Voorbeeldregio"],
            "website": ["https://www.hetbaken.example", "http://www.hetbaken.example", ""],
            "contact_person__name": ["Anouk Jansen", ""],
            "contact_person__phone": ["012-3456700", "12345", ""],
            "contact_person__email": ["info@hetbaken.example", "geen adres"],
            "zorgcoordinator__hours": ["maandag 08:30-16:00, dinsdag 08:30-12:00", "elke dag", "maandag 16:00-08:00"],
            "link__pestprotocol": ["https://www.hetbaken.example/pestprotocol.pdf", "javascript:alert(1)"],
        }
        known = {(name,): [(value,) for value in values] for name, values in single.items() if values}
        known[("name",)] = [("Het Baken College",), ("",), ("<script>alert(1)</script>",)]
        known[("email", "password")] = [(user["email"], user["password"]) for user in users]
        known[("email",)] = [("nieuw@hetbaken.example",), ("iemand@nieuweschool.example",),
                             (users[0]["email"],)]
        known[("password", "password_repeat")] = [("een-nieuw-lang-wachtwoord",) * 2, ("kort",) * 2,
                                                  ("een-nieuw-lang-wachtwoord", "ander-wachtwoord-12")]
        return known

    def schema(self):
        """The app's OpenAPI document with this role's known values (examples and hooks)."""
        raw = copy.deepcopy(self.portal.app.openapi())
        known = self.known_values()
        #: (METHOD, path) -> {location: hints}
        hints: Dict[Tuple[str, str], Dict[str, Hints]] = {}
        for path, methods in raw["paths"].items():
            for method, operation in methods.items():
                form = form_schema(raw, operation)
                names = {"path": set(), "query": set(), "body": set(form.get("properties", {}))}
                for parameter in operation.get("parameters", []):
                    names.get(parameter["in"], set()).add(parameter["name"])
                where = {location: {group: values for group, values in known.items()
                                    if set(group) <= fields}
                         for location, fields in names.items()}
                if path == "/login" and method == "post":
                    where["body"][("csrf_token",)] = [(self.login_csrf,)]
                    where["body"].pop(("email",), None)  # e-mail addresses go with their passwords here
                if path == "/invitation/{token}" and method == "post":
                    where["body"][("csrf_token",)] = [(self.invitation_csrf,)]
                hints[(method.upper(), path)] = where
                examples = {name: [values[i] for values in tuples]
                            for location in where.values() for group, tuples in location.items()
                            for i, name in enumerate(group)}
                for parameter in operation.get("parameters", []):
                    if parameter["name"] in examples:
                        parameter["schema"]["examples"] = examples[parameter["name"]]
                for name, field in form.get("properties", {}).items():
                    if name in examples:
                        field["examples"] = examples[name]
                if self.who == "anonymous":
                    # any session cookie must lead to the login page or a 401
                    operation.setdefault("parameters", []).append(
                        {"name": SESSION_COOKIE, "in": "cookie", "required": False,
                         "schema": {"type": "string"}})
        # methods a route does not have get the same 405 whoever asks: probe them logged out only
        config = {} if self.who == "anonymous" else {"phases": {"coverage": {"unexpected-methods": []}}}
        schema = schemathesis.openapi.from_dict(raw, config=schemathesis.Config.from_dict(config))

        def hook(location: str):
            def flatmap(context, value):
                operation = context.operation
                return mixed_in(value, hints[(operation.method.upper(), operation.path)][location])
            return flatmap

        schema.hooks.register_hook_with_name(hook("path"), "flatmap_path_parameters")
        schema.hooks.register_hook_with_name(hook("query"), "flatmap_query")
        schema.hooks.register_hook_with_name(hook("body"), "flatmap_body")
        return schema

    # ------------------------------------------------------------ requests
    def send(self, case):
        """The case as a request of a new browser with this role's cookies, on the restored state."""
        self.restore()
        client = TestClient(self.portal.app, base_url=BASE_URL, follow_redirects=False)
        kwargs = case.as_transport_kwargs(base_url=BASE_URL)
        for name, value in {**self.cookies, **(kwargs.pop("cookies", None) or {})}.items():
            client.cookies.set(name, value)
        return client.request(**kwargs)


@pytest.fixture(params=WHO)
def fuzz(request, portal) -> Fuzz:  # noqa: F811
    fuzz = Fuzz(portal, request.param)
    fuzz.seed()
    return fuzz


@pytest.fixture
def portal_schema(fuzz):
    return fuzz.schema()


schema = schemathesis.pytest.from_fixture("portal_schema")
if ONLY_PATHS:
    schema = schema.include(path_regex=ONLY_PATHS)


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                 HealthCheck.data_too_large,
                                 # the fixture's state is restored before every request
                                 HealthCheck.function_scoped_fixture])
def test_no_server_error_for_generated_requests(case, fuzz):
    response = fuzz.send(case)
    case.validate_response(response, checks=[not_a_server_error])


# ====================================================================== what the fuzzing found


@pytest.mark.parametrize("assignee_id", [2**31, 2**63, -(2**63) - 1, 10**30])
def test_assigning_an_id_beyond_the_integer_columns_is_refused_not_a_server_error(portal,  # noqa: F811
                                                                                  assignee_id):
    """Was an OverflowError from the SQLite driver (a 500); PostgreSQL fails from 2**31 on."""
    client, csrf = portal.login_as("a_staff")
    a1 = portal.handovers["a1"]
    response = client.post(f"/handovers/{a1}/assign", data={"csrf_token": csrf,
                                                             "assignee_id": str(assignee_id)})
    assert response.status_code == 303
    assert response.headers["location"] == f"/handovers/{a1}?notice=not_same_school"
    row = portal.handover(a1)
    assert row["assignee_id"] is None and row["status"] == "new"
    # a real colleague still works after it
    colleague = portal.users["a_colleague"]["id"]
    response = client.post(f"/handovers/{a1}/assign", data={"csrf_token": csrf,
                                                             "assignee_id": str(colleague)})
    assert response.headers["location"] == f"/handovers/{a1}?notice=assigned"
    assert portal.handover(a1)["assignee_id"] == colleague


def test_review_verdicts_skip_ids_beyond_the_integer_columns(portal):  # noqa: F811
    """Was an OverflowError from the SQLite driver (a 500); the other ids of the form still count."""
    seed_review_items(portal.db_url)
    client, csrf = portal.login_as("maintainer")
    with portal.make_session() as session:
        first = session.execute(sa.select(sa.func.min(ReviewItem.id))).scalar_one()
    only_huge = client.post("/review/decide", data={"csrf_token": csrf, "verdict": "discard",
                                                     "ids": f"{10**30},{2**63},{2**31}"})
    assert only_huge.status_code == 303
    assert only_huge.headers["location"] == "/review?notice=review_none"
    mixed = client.post("/review/decide", data={"csrf_token": csrf, "verdict": "discard",
                                                 "ids": f"{first},{10**30}"})
    assert mixed.headers["location"] == "/review?notice=review_saved"
    with portal.make_session() as session:
        assert session.get(ReviewItem, first).status == "discarded"


def test_the_portal_does_not_publish_its_schema(portal):  # noqa: F811
    """The tests take the schema from ``app.openapi()``; production serves no schema or docs."""
    client = portal.client()
    for path in ("/openapi.json", "/docs", "/redoc"):
        assert client.get(path).status_code == 404
    assert "/handovers/{handover_id}/assign" in portal.app.openapi()["paths"]


def test_the_staff_account_routes_are_in_the_fuzzed_schema(portal):  # noqa: F811
    """The schema the fuzzing reads has every route of the Team page, the maintainers' invitation and the
    mailed link, with their form fields (so the hints above reach them)."""
    paths = portal.app.openapi()["paths"]
    expected = {"/team": {"get"}, "/team/invite": {"post"}, "/team/{member_id}/access": {"post"},
                "/team/{member_id}/disable": {"post"}, "/team/{member_id}/enable": {"post"},
                "/team/{member_id}/reset": {"post"}, "/team/invitations/{invitation_id}/revoke": {"post"},
                "/maintainer/first-admin": {"get", "post"}, "/invitation/{token}": {"get", "post"}}
    for path, methods in expected.items():
        assert set(paths.get(path, {})) == methods, path
    raw = portal.app.openapi()
    fields = set(form_schema(raw, paths["/team/invite"]["post"])["properties"])
    assert fields == {"email", "kind", "roles", "csrf_token"}
    fields = set(form_schema(raw, paths["/invitation/{token}"]["post"])["properties"])
    assert fields == {"name", "password", "password_repeat", "csrf_token"}
