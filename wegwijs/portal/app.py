"""The staff portal (app factory). Run it with ``wegwijs portal`` (uvicorn), as its own process.

Security in one place:
- accounts with argon2 hashes; from ``MAX_FAILED_LOGINS`` failures in a row an account waits
  (``LOGIN_DELAYS_MINUTES``: 1 minute, growing to 15), and each client address has at most
  ``WEGWIJS_PORTAL_LOGINS_PER_MINUTE`` attempts a minute (counted in the database, as a keyed hash);
- server-side sessions: the cookie holds a random token (HttpOnly, Secure, SameSite=Strict), the
  database only its hash; a session ends after ``WEGWIJS_PORTAL_IDLE_MINUTES`` without a request and
  after ``SESSION_HOURS`` in any case; every form carries the session's CSRF token (the login form an
  HMAC-bound one);
- tenant isolation and need-to-know: every handover is loaded through :func:`load`: another school's
  handover, and for staff another role's (unless it is assigned to them), gives 404 on every route;
  admins see all of their school's;
- an audit row for every read of a conversation (an extra ``read_other_role`` row when an admin opens
  one outside their roles), every refused request (``denied``) and every failed login; no message
  text in the audit log or in logs;
- Jinja2 autoescaping for all parent text, and a strict Content-Security-Policy.
"""
from __future__ import annotations

import datetime as dt
import logging
import math
from pathlib import Path
from typing import Any, Dict, NoReturn, Optional
from urllib.parse import quote

import sqlalchemy as sa
from fastapi import Depends, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException as StarletteHTTPException

from wegwijs.content import ContentLibrary
from wegwijs.db.engine import session_factory
from wegwijs.db.models import (CONTACT_LABELS, HANDOVER_STATUSES, REVIEW_LABELS, STATUS_LABELS,
                               URGENCIES, URGENCY_LABELS, AuditEntry, Handover, LoginThrottle,
                               StaffSession, StaffUser, utcnow)
from wegwijs.handovers import service
from wegwijs.handovers.contact import display_phone
from wegwijs.handovers.live import RasaClient, RasaUnavailable
from wegwijs.handovers.routing import SCHOOL_ROLES
from wegwijs.portal import security
from wegwijs.retrain import review as retrain_review
from wegwijs.schools import ROLE_LABELS, SchoolRegistry
from wegwijs.settings import Settings
from wegwijs.transcripts import read_transcript

logger = logging.getLogger(__name__)
HERE = Path(__file__).parent
SESSION_COOKIE = "wegwijs_session"
LOGIN_COOKIE = "wegwijs_login"
#: A session ends this long after login, however busy (and earlier after the idle timeout).
SESSION_HOURS = 8
#: Failed logins in a row before an account has to wait.
MAX_FAILED_LOGINS = 5
#: Minutes an account waits after its 5th, 6th, 7th … failed login in a row (the last one repeats):
#: short at first, so that somebody who knows a colleague's e-mail address cannot keep them out for long.
LOGIN_DELAYS_MINUTES = (1, 2, 4, 8, 15)
#: The window of the login throttle per client address.
LOGIN_WINDOW = dt.timedelta(minutes=1)
MAX_REPLY_CHARS = 2000
#: The largest row id (our ids are Integer columns: int4 on PostgreSQL). A larger number from a form is no
#: row, and the database driver would fail on it (OverflowError on SQLite, out of range on PostgreSQL).
MAX_ROW_ID = 2**31 - 1
#: Messages after a redirect, by code (never free text in a URL).
NOTICES = {
    "assigned": "Toegewezen.",
    "not_same_school": "Die medewerker hoort niet bij deze school of heeft geen actief account.",
    "note_saved": "Notitie opgeslagen.",
    "note_invalid": "Een notitie mag niet leeg zijn en hoogstens 4000 tekens hebben.",
    "sent": "Bericht verstuurd naar de ouder.",
    "resolved": "Afgerond. Wegwijs beantwoordt de ouder weer.",
    "already_resolved": "Deze vraag is al afgehandeld.",
    "chat_unreachable": "De chat is nu niet bereikbaar, probeer het zo opnieuw. De vraag is nog niet "
                        "afgerond.",
    "bad_role": "Onbekende rol.",
    "review_saved": "Oordeel opgeslagen.",
    "review_none": "Die berichten waren al beoordeeld.",
}
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


class LoginRequired(Exception):
    """Not logged in: go to the login page."""


class CsrfFailed(Exception):
    """A form without the right CSRF token."""


def _plain_role(role: str) -> str:
    label = ROLE_LABELS.get(role, role)
    return label.split(" ", 1)[1] if label.startswith(("de ", "het ")) else label


def staff_role_label(user: StaffUser, handover_role: str) -> str:
    """How the parent sees the staff member's role: their own role, else the handover's."""
    roles = user.role_list
    return _plain_role(roles[0] if roles else handover_role)


def is_theirs(user: StaffUser, handover: Handover) -> bool:
    """Need-to-know: the handover is routed to one of the user's roles or assigned to them."""
    return handover.role in user.role_list or handover.assignee_id == user.id


def login_delay(failures: int) -> Optional[dt.timedelta]:
    """How long an account waits after ``failures`` failed logins in a row (None: not at all)."""
    if failures < MAX_FAILED_LOGINS:
        return None
    step = min(failures - MAX_FAILED_LOGINS, len(LOGIN_DELAYS_MINUTES) - 1)
    return dt.timedelta(minutes=LOGIN_DELAYS_MINUTES[step])


def claim_login_attempt(session: Session, user_id: int, now: dt.datetime) -> bool:
    """Count a login attempt atomically in the database, before the password is checked; False while the
    account has to wait. From the fifth attempt in a row each attempt makes it wait ``login_delay``
    (1 minute, then 2, 4, 8, at most 15); a successful login resets the count. One UPDATE does the check
    and the count, so parallel attempts cannot all pass the check before any of them is counted (issue 20,
    finding 1)."""
    next_count = StaffUser.failed_logins + 1
    waits = [(next_count >= MAX_FAILED_LOGINS + step, now + dt.timedelta(minutes=minutes))
             for step, minutes in reversed(list(enumerate(LOGIN_DELAYS_MINUTES)))]
    claimed = session.execute(
        sa.update(StaffUser)
        .where(StaffUser.id == user_id,
               sa.or_(StaffUser.locked_until.is_(None), StaffUser.locked_until <= now))
        .values(failed_logins=next_count, locked_until=sa.case(*waits, else_=None))
        .execution_options(synchronize_session=False))
    session.commit()
    session.expire_all()  # the row changed behind the ORM's back: read it again before changing it
    return claimed.rowcount == 1


def claim_address_attempt(session: Session, key: str, now: dt.datetime, limit: int) -> int:
    """Count a login attempt from one client address (``key``: its keyed hash) in the database: 0 when it
    may go on, else the seconds until that address may try again. At most ``limit`` attempts per
    ``LOGIN_WINDOW``; like :func:`claim_login_attempt` one UPDATE checks and counts, so the limit holds for
    parallel requests and across portal processes."""
    row = LoginThrottle
    new_window = row.window_start <= now - LOGIN_WINDOW
    for _ in range(2):  # a second time when another request made the address's row first
        claimed = session.execute(
            sa.update(row).where(row.key_hash == key, sa.or_(new_window, row.attempts < limit))
            .values(attempts=sa.case((new_window, 1), else_=row.attempts + 1),
                    window_start=sa.case((new_window, now), else_=row.window_start))
            .execution_options(synchronize_session=False)).rowcount
        if claimed:
            session.commit()
            return 0
        started = session.execute(sa.select(row.window_start).where(row.key_hash == key)).scalar()
        if started is not None:
            session.commit()
            return max(1, math.ceil((started + LOGIN_WINDOW - now).total_seconds()))
        session.execute(sa.delete(row).where(new_window))  # the past minutes of other addresses
        session.add(row(key_hash=key, window_start=now, attempts=1))
        try:
            session.commit()
            return 0
        except IntegrityError:
            session.rollback()
    return 1  # not counted twice over: refuse rather than let it through uncounted


def wait_message(wait: dt.timedelta) -> str:
    """The Dutch answer while an account waits."""
    minutes = max(1, math.ceil(wait.total_seconds() / 60))
    return (f"Te veel mislukte pogingen. Probeer het over {minutes} "
            f"{'minuut' if minutes == 1 else 'minuten'} opnieuw.")


def create_app(settings: Optional[Settings] = None, rasa: Optional[RasaClient] = None) -> FastAPI:
    """A portal app for ``settings`` (default: from the environment). Refuses a default secret."""
    settings = settings or Settings.from_env()
    secret = security.check_secret(settings.portal_secret)
    schools = SchoolRegistry.from_directory(settings.schools_dir)
    make_session = session_factory(settings.db_url)
    rasa = rasa or RasaClient(settings.rasa_url, settings.rasa_jwt_secret)
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    library = ContentLibrary.load(settings.data_dir)
    #: the intents a maintainer can pick on the review page (the domain's)
    intents = retrain_review.trainable_intents(settings.home)

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
        plain_role=_plain_role, display_phone=display_phone)
    templates.env.filters["local"] = lambda value: (
        value.replace(tzinfo=dt.timezone.utc).astimezone(
            __import__("zoneinfo").ZoneInfo("Europe/Amsterdam")).strftime("%d-%m-%Y %H:%M")
        if value else "")

    app = FastAPI(title="Wegwijs staff portal", docs_url=None, redoc_url=None, openapi_url=None)
    #: failed logins for addresses without an account, so that they wait like real ones and the
    #: answers do not tell which addresses exist (per process; bounded): e-mail -> (failures, until)
    unknown_failures: Dict[str, tuple] = {}
    idle = dt.timedelta(minutes=settings.portal_idle_minutes)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    # ---------------------------------------------------------------- plumbing
    def db() -> Any:
        with make_session() as session:
            yield session

    def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        return templates.TemplateResponse(request, name, context, status_code=status_code)

    @app.middleware("http")
    async def headers(request: Request, call_next: Any) -> Response:
        response = await call_next(request)
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "no-referrer"
        if not request.url.path.startswith("/static/"):
            response.headers["Cache-Control"] = "no-store"
        return response

    def current(request: Request, session: Session = Depends(db)) -> tuple:
        token = request.cookies.get(SESSION_COOKIE)
        if not token:
            raise LoginRequired()
        row = session.execute(sa.select(StaffSession).where(
            StaffSession.token_hash == security.token_hash(token))).scalar_one_or_none()
        if row is None or not row.user.active:
            raise LoginRequired()
        now = utcnow()
        end = row.created_at + dt.timedelta(hours=SESSION_HOURS)  # however busy
        if row.expires_at <= now or end <= now:
            raise LoginRequired()
        # the idle timeout: each request moves the end on, never past the absolute end (a write at most
        # once a minute per session)
        expires = min(now + idle, end)
        if abs(expires - row.expires_at) >= dt.timedelta(minutes=1):
            row.expires_at = expires
            session.commit()
        return row.user, row

    def check_csrf(login: tuple, csrf_token: str) -> None:
        if not security.same(login[1].csrf_token, csrf_token):
            raise CsrfFailed()

    def deny(session: Session, user: StaffUser, request: Request) -> NoReturn:
        """404 for a request this user may not make (another school's or another role's handover, a page
        for admins or maintainers), written in the audit log: who asked what, and when (issue 20,
        finding 9). Only the method and path, never any text of a parent."""
        session.add(AuditEntry(user_id=user.id, school_id=user.school_id, action="denied",
                               detail=f"{request.method} {request.url.path}"[:255]))
        session.commit()
        raise StarletteHTTPException(status_code=404)

    def load(session: Session, user: StaffUser, handover_id: str, request: Request) -> Any:
        """The handover for this user, else 404 (audited). Tenant isolation: only the user's school.
        Need-to-know: staff only handovers routed to one of their roles or assigned to them; admins all
        of the school's, with an explicit audit row when it is not theirs (issue 20, finding 5)."""
        handover = service.get_for_school(session, user.school_id, handover_id)
        if handover is None or not (user.is_admin or is_theirs(user, handover)):
            deny(session, user, request)
        if not is_theirs(user, handover):
            service.audit(session, user, "read_other_role", handover)
            session.commit()
        return handover

    def cookie(response: Response, name: str, value: str, max_age: int) -> None:
        response.set_cookie(name, value, max_age=max_age, httponly=True,
                            secure=settings.secure_cookies, samesite="strict", path="/")

    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, exc: LoginRequired) -> Response:
        if request.method == "GET":
            target = request.url.path
            return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
        return PlainTextResponse("Log eerst in.", status_code=401)

    @app.exception_handler(CsrfFailed)
    async def _csrf_failed(request: Request, exc: CsrfFailed) -> Response:
        return render(request, "error.html", 403, user=None,
                      message="Dit formulier is verlopen of niet van dit portaal. Ga terug, vernieuw "
                              "de pagina en probeer het opnieuw.")

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        messages = {404: "Deze pagina bestaat niet, of je hebt er geen toegang toe.",
                    405: "Deze actie kan hier niet."}
        return render(request, "error.html", exc.status_code, user=None,
                      message=messages.get(exc.status_code, "Er ging iets mis."))

    # ---------------------------------------------------------------- login
    @app.get("/healthz", include_in_schema=False)
    def healthz() -> PlainTextResponse:
        return PlainTextResponse("ok")

    @app.get("/", response_class=HTMLResponse)
    def home() -> Response:
        return RedirectResponse("/inbox", status_code=303)


    def login_page(request: Request, status_code: int = 200, message: str = "",
                   email: str = "", next_url: str = "/inbox", retry_after: int = 0) -> Response:
        pre = security.new_token()
        response = render(request, "login.html", status_code, user=None, message=message,
                          email=email, next_url=next_url,
                          csrf_token=security.login_form_token(secret, pre))
        cookie(response, LOGIN_COOKIE, pre, 3600)
        if retry_after:
            response.headers["Retry-After"] = str(retry_after)
        return response

    def claim_unknown_attempt(email: str, now: dt.datetime) -> Optional[dt.datetime]:
        """:func:`claim_login_attempt` for an address without an account: None when the attempt may go
        on, else until when it waits."""
        failures, until = unknown_failures.get(email, (0, None))
        if until is not None and until > now:
            return until
        if len(unknown_failures) > 10000:
            unknown_failures.clear()
        delay = login_delay(failures + 1)
        unknown_failures[email] = (failures + 1, now + delay if delay else None)
        return None

    def audit_login(session: Session, user: Optional[StaffUser], action: str) -> None:
        session.add(AuditEntry(user_id=user.id if user else None,
                               school_id=user.school_id if user else None, action=action))
        session.commit()

    @app.get("/login", response_class=HTMLResponse)
    def login_form(request: Request, next: str = "/inbox") -> Response:
        return login_page(request, next_url=_safe_next(next))

    @app.post("/login", response_class=HTMLResponse)
    def login(request: Request, email: str = Form(""), password: str = Form(""),
              csrf_token: str = Form(""), next: str = Form("/inbox"),
              session: Session = Depends(db)) -> Response:
        pre = request.cookies.get(LOGIN_COOKIE, "")
        if not pre or not security.same(security.login_form_token(secret, pre), csrf_token):
            return login_page(request, 403, "Het formulier was verlopen. Probeer het opnieuw.", email)
        now = utcnow()
        address = security.address_key(secret, request.client.host if request.client else None)
        wait = claim_address_attempt(session, address, now, settings.portal_logins_per_minute)
        if wait:
            return login_page(request, 429, "Er is te vaak geprobeerd in te loggen vanaf deze "
                                            "internetverbinding. Probeer het over een minuut opnieuw.",
                              email, retry_after=wait)
        email = email.strip().lower()[:254]
        user = session.execute(sa.select(StaffUser).where(StaffUser.email == email)).scalar_one_or_none()
        if user is None:
            until = claim_unknown_attempt(email, now)
        else:
            until = None if claim_login_attempt(session, user.id, now) else (user.locked_until or now)
        if until is not None:
            security.verify_password(None, password)
            audit_login(session, user, "login_locked")
            return login_page(request, 429, wait_message(until - now), email,
                              retry_after=max(1, math.ceil((until - now).total_seconds())))
        ok = security.verify_password(user.password_hash if user else None, password)
        if not ok or user is None or not user.active:
            audit_login(session, user, "login_failed")  # counted before the password was checked
            return login_page(request, 401, "E-mailadres of wachtwoord klopt niet.", email)
        user.failed_logins = 0
        user.locked_until = None
        user.last_login_at = now
        token = security.new_token()
        session.add(StaffSession(token_hash=security.token_hash(token), user_id=user.id,
                                 csrf_token=security.new_token(), created_at=now, expires_at=now + idle))
        session.add(AuditEntry(user_id=user.id, school_id=user.school_id, action="login"))
        session.commit()
        response = RedirectResponse(_safe_next(next), status_code=303)
        cookie(response, SESSION_COOKIE, token, SESSION_HOURS * 3600)
        response.delete_cookie(LOGIN_COOKIE, path="/")
        return response

    @app.post("/logout")
    def logout(csrf_token: str = Form(""), login: tuple = Depends(current),
               session: Session = Depends(db)) -> Response:
        check_csrf(login, csrf_token)
        session.execute(sa.delete(StaffSession).where(StaffSession.id == login[1].id))
        session.commit()
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    # ---------------------------------------------------------------- inbox
    @app.get("/inbox", response_class=HTMLResponse)
    def inbox(request: Request, status: str = "open", role: str = "", urgency: str = "", notice: str = "",
              login: tuple = Depends(current), session: Session = Depends(db)) -> Response:
        user = login[0]
        school = schools.get(user.school_id)
        handovers = service.list_for_school(session, user.school_id, status, role or None,
                                            urgency or None) if school else []
        handovers = [handover for handover in handovers if user.is_admin or is_theirs(user, handover)]
        return render(request, "inbox.html", user=user, session_row=login[1], school=school,
                      message=NOTICES.get(notice, ""),
                      handovers=handovers, status=status, role=role, urgency=urgency,
                      roles=[r for r in SCHOOL_ROLES if school and r in school.contacts])

    @app.get("/handovers/{handover_id}", response_class=HTMLResponse)
    def handover_page(request: Request, handover_id: str, login: tuple = Depends(current),
                      session: Session = Depends(db), notice: str = "") -> Response:
        user = login[0]
        handover = load(session, user, handover_id, request)
        service.audit(session, user, "read_conversation", handover)
        session.commit()
        transcript = read_transcript(session.get_bind(), handover.conversation_id, until=handover.resolved_at) \
            if handover.purged_at is None else []
        return render(request, "handover.html", user=user, session_row=login[1],
                      school=schools.get(user.school_id), handover=handover, transcript=transcript,
                      staff=service.staff_of_school(session, user.school_id),
                      message=NOTICES.get(notice, ""), reply_text="", roles=list(SCHOOL_ROLES))

    def back(handover_id: str, notice: str = "") -> Response:
        url = f"/handovers/{quote(handover_id)}"
        if notice:
            url += f"?notice={notice}"
        return RedirectResponse(url, status_code=303)

    @app.post("/handovers/{handover_id}/assign")
    def assign(request: Request, handover_id: str, assignee_id: int = Form(...), csrf_token: str = Form(""),
               login: tuple = Depends(current), session: Session = Depends(db)) -> Response:
        check_csrf(login, csrf_token)
        user = login[0]
        handover = load(session, user, handover_id, request)
        assignee = session.get(StaffUser, assignee_id) if 0 < assignee_id <= MAX_ROW_ID else None
        if assignee is None or assignee.school_id != user.school_id or not assignee.active:
            return back(handover_id, "not_same_school")
        try:
            service.assign(session, handover, assignee)
        except service.HandoverError:
            return back(handover_id, "already_resolved")
        service.audit(session, user, "assign", handover)
        session.commit()
        if not (user.is_admin or is_theirs(user, handover)):  # given away: no longer theirs to see
            return RedirectResponse("/inbox?notice=assigned", status_code=303)
        return back(handover_id, "assigned")

    @app.post("/handovers/{handover_id}/notes")
    def add_note(request: Request, handover_id: str, text: str = Form(""), csrf_token: str = Form(""),
                 login: tuple = Depends(current), session: Session = Depends(db)) -> Response:
        check_csrf(login, csrf_token)
        user = login[0]
        handover = load(session, user, handover_id, request)
        if handover.purged_at is not None:
            return back(handover_id, "note_invalid")
        try:
            service.add_note(session, handover, user, text)
        except service.HandoverError:
            return back(handover_id, "note_invalid")
        session.commit()
        return back(handover_id, "note_saved")

    @app.post("/handovers/{handover_id}/reply", response_class=HTMLResponse)
    def reply(request: Request, handover_id: str, text: str = Form(""), csrf_token: str = Form(""),
              login: tuple = Depends(current), session: Session = Depends(db)) -> Response:
        check_csrf(login, csrf_token)
        user = login[0]
        handover = load(session, user, handover_id, request)
        text = text.strip()
        problem = ""
        if handover.status == "resolved":
            problem = "Deze vraag is al afgehandeld."
        elif not text:
            problem = "Schrijf eerst een bericht."
        elif len(text) > MAX_REPLY_CHARS:
            problem = f"Een bericht mag hoogstens {MAX_REPLY_CHARS} tekens hebben."
        if not problem:
            before = [{"event": "pause"}] if handover.status != "in_progress" else []
            try:
                rasa.say(handover.conversation_id, text, user.display_name,
                         staff_role_label(user, handover.role), before=before)
            except RasaUnavailable as exc:
                problem = f"{exc} Je bericht is niet verstuurd; het staat hieronder nog."
        if problem:
            transcript = read_transcript(session.get_bind(), handover.conversation_id, until=handover.resolved_at)
            return render(request, "handover.html", 400, user=user, session_row=login[1],
                          school=schools.get(user.school_id), handover=handover,
                          transcript=transcript, staff=service.staff_of_school(session, user.school_id),
                          message=problem, reply_text=text, roles=list(SCHOOL_ROLES))
        service.mark_in_progress(session, handover, user)
        service.audit(session, user, "reply", handover)
        session.commit()
        return back(handover_id, "sent")

    @app.post("/handovers/{handover_id}/resolve")
    def resolve(request: Request, handover_id: str, resolved_role: str = Form(""), csrf_token: str = Form(""),
                login: tuple = Depends(current), session: Session = Depends(db)) -> Response:
        check_csrf(login, csrf_token)
        user = login[0]
        handover = load(session, user, handover_id, request)
        if handover.status == "resolved":
            return back(handover_id, "already_resolved")
        if resolved_role and resolved_role not in SCHOOL_ROLES:
            return back(handover_id, "bad_role")
        school = schools.get(user.school_id)
        closing = (f"{user.display_name} ({staff_role_label(user, handover.role)}) heeft je vraag afgerond. "
                   f"Je praat nu weer met Wegwijs, de digitale assistent"
                   f"{' van ' + school.name if school else ''}. Heb je nog een vraag? Stel hem gerust.")
        try:
            rasa.append(handover.conversation_id,
                        [{"event": "resume"}, {"event": "bot", "text": closing}])
        except RasaUnavailable:
            return back(handover_id, "chat_unreachable")
        service.resolve(session, handover, resolved_role or None)
        service.audit(session, user, "resolve", handover)
        session.commit()
        return back(handover_id, "resolved")

    # ---------------------------------------------------------------- review (maintainers)
    def maintainer(request: Request, session: Session, login: tuple) -> StaffUser:
        if not login[0].is_maintainer:
            deny(session, login[0], request)
        return login[0]

    @app.get("/review", response_class=HTMLResponse)
    def review_page(request: Request, notice: str = "", login: tuple = Depends(current),
                    session: Session = Depends(db)) -> Response:
        user = maintainer(request, session, login)
        session.add(AuditEntry(user_id=user.id, action="read_review"))
        session.commit()
        return review_view(request, session, login, NOTICES.get(notice, ""))

    def review_view(request: Request, session: Session, login: tuple, message: str,
                    status_code: int = 200) -> Response:
        return render(request, "review.html", status_code, user=login[0], session_row=login[1],
                      school=None, groups=retrain_review.pending_groups(session, limit=30),
                      counts=retrain_review.counts(session), intents=intents,
                      routing=retrain_review.routing_examples(session), message=message)

    @app.post("/review/decide", response_class=HTMLResponse)
    def review_decide(request: Request, ids: str = Form(""), verdict: str = Form(""),
                      intent: str = Form(""), csrf_token: str = Form(""),
                      login: tuple = Depends(current), session: Session = Depends(db)) -> Response:
        check_csrf(login, csrf_token)
        user = maintainer(request, session, login)
        try:
            item_ids = [int(part) for part in ids.split(",") if part.strip()][:1000]
            item_ids = [item_id for item_id in item_ids if 0 < item_id <= MAX_ROW_ID]
        except ValueError:
            item_ids = []
        try:
            changed = retrain_review.decide(session, item_ids, verdict, intent or None, intents,
                                            user.id)
        except retrain_review.ReviewError as exc:
            session.rollback()
            return review_view(request, session, login, str(exc), 400)
        session.commit()
        return RedirectResponse(f"/review?notice={'review_saved' if changed else 'review_none'}",
                                status_code=303)

    @app.get("/sources", response_class=HTMLResponse)
    def sources_page(request: Request, login: tuple = Depends(current),
                     session: Session = Depends(db)) -> Response:
        """Every answer's source, the oldest reading first, so maintainers read those again first."""
        from wegwijs.checks import readings

        user = maintainer(request, session, login)
        return render(request, "sources.html", user=user, session_row=login[1], school=None,
                      rows=readings(library, warn_months=settings.source_warn_months,
                                    max_months=settings.source_max_months),
                      warn_months=settings.source_warn_months, max_months=settings.source_max_months)

    # ---------------------------------------------------------------- admin
    @app.get("/audit", response_class=HTMLResponse)
    def audit_log(request: Request, login: tuple = Depends(current),
                  session: Session = Depends(db)) -> Response:
        user = login[0]
        if not user.is_admin or not user.school_id:
            deny(session, user, request)
        rows = session.execute(
            sa.select(AuditEntry, StaffUser.display_name)
            .join(StaffUser, StaffUser.id == AuditEntry.user_id, isouter=True)
            .where(AuditEntry.school_id == user.school_id)
            .order_by(AuditEntry.at.desc()).limit(500)).all()
        return render(request, "audit.html", user=user, session_row=login[1],
                      school=schools.get(user.school_id), rows=rows)

    return app


def _safe_next(target: str) -> str:
    """Only local paths after login (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/inbox"
    return target
