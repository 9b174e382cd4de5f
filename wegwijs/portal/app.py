"""The staff portal's app factory. Run it with ``wegwijs portal`` (uvicorn), as its own process.

:func:`create_app` makes the shared objects (``app.state.portal``, see :mod:`wegwijs.portal.deps`), the
templates, the security headers, the error pages and the static files, and includes the routers of
:mod:`wegwijs.portal.routers`.

Security in one place:
- accounts with argon2 hashes; from ``MAX_FAILED_LOGINS`` failures in a row an account waits
  (``LOGIN_DELAYS_MINUTES``: 1 minute, growing to 15), and each client address has at most
  ``WEGWIJS_PORTAL_LOGINS_PER_MINUTE`` attempts a minute (counted in the database, as a keyed hash)
  (:mod:`~wegwijs.portal.routers.auth`);
- server-side sessions: the cookie holds a random token (HttpOnly, Secure, SameSite=Strict), the
  database only its hash; a session ends after ``WEGWIJS_PORTAL_IDLE_MINUTES`` without a request and
  after ``SESSION_HOURS`` in any case; every form carries the session's CSRF token (the login form an
  HMAC-bound one);
- tenant isolation and need-to-know: every handover is loaded through :func:`wegwijs.portal.deps.load`:
  another school's handover, and for staff another role's (unless it is assigned to them), gives 404 on
  every route; admins see all of their school's;
- an audit row for every read of a conversation (an extra ``read_other_role`` row when an admin opens
  one outside their roles), every refused request (``denied``) and every failed login; no message
  text in the audit log or in logs;
- staff accounts managed in the portal (:mod:`~wegwijs.portal.routers.team`, :mod:`wegwijs.invitations`):
  one-time, expiring links by mail (only their hash stored), roles, disabling (ends the sessions), a
  forced new password by mail, never a school without an active admin; every change audited with the
  value before and after;
- Jinja2 autoescaping for all parent text, and a strict Content-Security-Policy.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Awaitable, Callable, Optional
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from wegwijs import feedback
from wegwijs.content import ContentLibrary
from wegwijs.db.engine import session_factory
from wegwijs.db.models import (CONTACT_LABELS, HANDOVER_STATUSES, REVIEW_LABELS, STATUS_LABELS,
                               URGENCIES, URGENCY_LABELS, utcnow)
from wegwijs.handovers.contact import display_phone
from wegwijs.handovers.live import RasaClient
from wegwijs.portal import security
from wegwijs.portal.deps import (LOGIN_COOKIE, NOTICES, SESSION_COOKIE, CsrfFailed, LoginRequired,
                                 PortalState, plain_role, render)
from wegwijs.portal.routers import (audit, auth, handovers, health, insights, review, schools, sources,
                                 team)
from wegwijs.portal.routers.auth import LOGIN_DELAYS_MINUTES, MAX_FAILED_LOGINS
from wegwijs.retrain import review as retrain_review
from wegwijs.schools import ROLE_LABELS
from wegwijs.schools_store import SchoolReader
from wegwijs.settings import Settings

#: Re-exported: callers and tests import these names from here.
__all__ = ["create_app", "LOGIN_COOKIE", "LOGIN_DELAYS_MINUTES", "MAX_FAILED_LOGINS", "NOTICES",
           "SESSION_COOKIE"]

HERE = Path(__file__).parent
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
#: the audit log's school changes (wegwijs.schools_store) in Dutch
SCHOOL_ACTIONS = {"school_create": "school aangemaakt", "school_update": "gegevens gewijzigd",
                  "holiday_add": "vakantie toegevoegd", "holiday_remove": "vakantie verwijderd",
                  "note_set": "eigen tekst opgeslagen", "note_remove": "eigen tekst verwijderd"}


def _now() -> dt.datetime:
    """The portal's clock: this module's ``utcnow``, looked up at every call (the tests move it)."""
    return utcnow()


def _templates(library: ContentLibrary) -> Jinja2Templates:
    """The page templates with the labels and helpers they use."""
    templates = Jinja2Templates(directory=str(HERE / "templates"))

    def topic_label(topic: Optional[str]) -> str:
        answer = library.get(topic) if topic else None
        if answer is not None:
            return answer.title
        if topic and topic.startswith("safety_"):
            return "Zorg over veiligheid (crisisbericht)"
        return "onbekend"

    templates.env.globals.update(topic_label=topic_label, REVIEW_LABELS=REVIEW_LABELS,
        ROLE_LABELS=ROLE_LABELS, STATUS_LABELS=STATUS_LABELS, URGENCY_LABELS=URGENCY_LABELS,
        CONTACT_LABELS=CONTACT_LABELS, STATUSES=HANDOVER_STATUSES, URGENCIES=URGENCIES,
        plain_role=plain_role, display_phone=display_phone, FEEDBACK_REASONS=feedback.REASONS,
        SCHOOL_ACTIONS=SCHOOL_ACTIONS)
    templates.env.filters["plain_role"] = plain_role
    templates.env.filters["local"] = lambda value: (
        value.replace(tzinfo=dt.timezone.utc).astimezone(AMSTERDAM).strftime("%d-%m-%Y %H:%M")
        if value else "")
    return templates


async def _headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    response = await call_next(request)
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "no-referrer"
    if not request.url.path.startswith("/static/"):
        response.headers["Cache-Control"] = "no-store"
    return response


async def _login_required(request: Request, exc: LoginRequired) -> Response:
    if request.method == "GET":
        target = request.url.path
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
    return PlainTextResponse("Log eerst in.", status_code=401)


async def _csrf_failed(request: Request, exc: CsrfFailed) -> Response:
    return render(request, "error.html", 403, user=None,
                  message="Dit formulier is verlopen of niet van dit portaal. Ga terug, vernieuw "
                          "de pagina en probeer het opnieuw.")


async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
    messages = {404: "Deze pagina bestaat niet, of je hebt er geen toegang toe.",
                405: "Deze actie kan hier niet."}
    return render(request, "error.html", exc.status_code, user=None,
                  message=messages.get(exc.status_code, "Er ging iets mis."))


def create_app(settings: Optional[Settings] = None, rasa: Optional[RasaClient] = None) -> FastAPI:
    """A portal app for ``settings`` (default: from the environment). Refuses a default secret."""
    settings = settings or Settings.from_env()
    secret = security.check_secret(settings.portal_secret)
    school_reader = SchoolReader(settings.db_url)
    make_session = session_factory(settings.db_url)
    rasa = rasa or RasaClient(settings.rasa_url, settings.rasa_jwt_secret)
    library = ContentLibrary.load(settings.data_dir)
    portal = PortalState(settings=settings, secret=secret, schools=school_reader, make_session=make_session,
                         rasa=rasa, templates=_templates(library), library=library,
                         intents=retrain_review.trainable_intents(settings.home), clock=_now)
    app = FastAPI(title="Wegwijs staff portal", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.portal = portal
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.middleware("http")(_headers)
    app.exception_handler(LoginRequired)(_login_required)
    app.exception_handler(CsrfFailed)(_csrf_failed)
    app.exception_handler(StarletteHTTPException)(_http_error)
    for router in (health.router, auth.router, handovers.router, review.router, sources.router,
                   audit.router, insights.router, schools.router, team.router):
        app.include_router(router)
    return app
