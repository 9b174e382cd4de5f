"""What the portal's routers share: the app's state (:class:`PortalState` on ``app.state.portal``: settings,
schools (read from the database), database sessions, Rasa client, templates, clock), the database session and the logged-in
user as FastAPI dependencies, the CSRF check, the need-to-know checks with their ``denied`` audit rows,
page rendering and the notices shown after a redirect."""
from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any, Callable, Dict, Iterator, List, NamedTuple, NoReturn, Optional, Tuple

import sqlalchemy as sa
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session, sessionmaker
from starlette.exceptions import HTTPException as StarletteHTTPException

from wegwijs.content import ContentLibrary
from wegwijs.db.models import AuditEntry, Handover, StaffSession, StaffUser
from wegwijs.handovers import service
from wegwijs.handovers.live import RasaClient
from wegwijs.portal import security
from wegwijs.schools import ROLE_LABELS
from wegwijs.schools_store import SchoolReader
from wegwijs.settings import Settings

SESSION_COOKIE = "wegwijs_session"
LOGIN_COOKIE = "wegwijs_login"
#: A session ends this long after login, however busy (and earlier after the idle timeout).
SESSION_HOURS = 8
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
    "invited": "Uitnodiging verstuurd. De link in de mail werkt 72 uur en één keer.",
    "link_not_sent": "De mail kon niet worden verstuurd. De link is daarom ingetrokken en er is niets "
                     "veranderd. Probeer het later opnieuw, of vraag de beheerder van Wegwijs naar de "
                     "mailinstellingen.",
    "access_saved": "Opgeslagen.",
    "unchanged": "Er was niets veranderd.",
    "disabled": "Account uitgeschakeld. Deze persoon is nu overal uitgelogd.",
    "enabled": "Account weer aangezet.",
    "reset_sent": "Het oude wachtwoord werkt niet meer en deze persoon is overal uitgelogd. Er is een link "
                  "gemaild om een nieuw wachtwoord te kiezen (24 uur geldig).",
    "revoked": "Uitnodiging ingetrokken.",
    "profile_saved": "Gegevens van de school opgeslagen. Ouders zien ze bij hun volgende vraag.",
    "holiday_added": "Vakantie toegevoegd.",
    "holiday_removed": "Vakantie verwijderd.",
    "holiday_gone": "Deze vakantie bestaat niet (meer).",
    "school_note_saved": "Eigen tekst opgeslagen. Ouders zien hem bij hun volgende vraag.",
    "school_note_removed": "Eigen tekst verwijderd.",
    "school_note_gone": "Bij dit onderwerp staat geen eigen tekst.",
    "widget_saved": "Het uiterlijk van de chat is opgeslagen.",
    "school_created": "School aangemaakt. Zet de regel hieronder op de website van de school.",
}


class LoginRequired(Exception):
    """Not logged in: go to the login page."""


class CsrfFailed(Exception):
    """A form without the right CSRF token."""


@dataclasses.dataclass
class PortalState:
    """One portal app's shared objects, made once by ``create_app``."""

    settings: Settings
    secret: str
    #: the schools as they are in the database now (a change in the portal counts at once)
    schools: SchoolReader
    make_session: sessionmaker[Session]
    rasa: RasaClient
    templates: Jinja2Templates
    library: ContentLibrary
    #: the intents a maintainer can pick on the review page (the domain's)
    intents: List[str]
    #: now, in UTC (naive), as the database stores it
    clock: Callable[[], dt.datetime]
    #: failed logins for addresses without an account, so that they wait like real ones and the
    #: answers do not tell which addresses exist (per process; bounded): e-mail -> (failures, until)
    unknown_failures: Dict[str, Tuple[int, Optional[dt.datetime]]] = dataclasses.field(default_factory=dict)

    @property
    def idle(self) -> dt.timedelta:
        """The idle timeout of a session."""
        return dt.timedelta(minutes=self.settings.portal_idle_minutes)


class Login(NamedTuple):
    """The logged-in user and their session row."""

    user: StaffUser
    row: StaffSession


def state(request: Request) -> PortalState:
    """The portal state of the app serving ``request``."""
    portal: PortalState = request.app.state.portal
    return portal


def db(request: Request) -> Iterator[Session]:
    """A database session for one request."""
    with state(request).make_session() as session:
        yield session


def current(request: Request, session: Session = Depends(db)) -> Login:
    """The logged-in user, else :class:`LoginRequired`; moves the session's idle timeout on."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise LoginRequired()
    row = session.execute(sa.select(StaffSession).where(
        StaffSession.token_hash == security.token_hash(token))).scalar_one_or_none()
    if row is None or not row.user.active:
        raise LoginRequired()
    now = state(request).clock()
    end = row.created_at + dt.timedelta(hours=SESSION_HOURS)  # however busy
    if row.expires_at <= now or end <= now:
        raise LoginRequired()
    # the idle timeout: each request moves the end on, never past the absolute end (a write at most
    # once a minute per session)
    expires = min(now + state(request).idle, end)
    if abs(expires - row.expires_at) >= dt.timedelta(minutes=1):
        row.expires_at = expires
        session.commit()
    return Login(row.user, row)


def check_csrf(login: Login, csrf_token: str) -> None:
    """:class:`CsrfFailed` unless ``csrf_token`` is the session's."""
    if not security.same(login.row.csrf_token, csrf_token):
        raise CsrfFailed()


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """The template ``name`` with ``context``."""
    return state(request).templates.TemplateResponse(request, name, context, status_code=status_code)


def plain_role(role: str) -> str:
    """A role's label without its article ("zorgcoördinator", not "de zorgcoördinator")."""
    label = ROLE_LABELS.get(role, role)
    return label.split(" ", 1)[1] if label.startswith(("de ", "het ")) else label


def is_theirs(user: StaffUser, handover: Handover) -> bool:
    """Need-to-know: the handover is routed to one of the user's roles or assigned to them."""
    return handover.role in user.role_list or handover.assignee_id == user.id


def deny(session: Session, user: StaffUser, request: Request) -> NoReturn:
    """404 for a request this user may not make (another school's or another role's handover, a page
    for admins or maintainers), written in the audit log: who asked what, and when (issue 20,
    finding 9). Only the method and path, never any text of a parent."""
    session.add(AuditEntry(user_id=user.id, school_id=user.school_id, action="denied",
                           detail=f"{request.method} {request.url.path}"[:255]))
    session.commit()
    raise StarletteHTTPException(status_code=404)


def load(session: Session, user: StaffUser, handover_id: str, request: Request) -> Handover:
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


def school_admin(request: Request, session: Session, login: Login) -> StaffUser:
    """The user if they are an admin of a school, else 404 (audited)."""
    if not login.user.is_admin or not login.user.school_id:
        deny(session, login.user, request)
    return login.user


def maintainer(request: Request, session: Session, login: Login) -> StaffUser:
    """The user if they are a maintainer, else 404 (audited)."""
    if not login.user.is_maintainer:
        deny(session, login.user, request)
    return login.user
