"""Logging in and out, and the login throttle: from ``MAX_FAILED_LOGINS`` failures in a row an account
waits (``LOGIN_DELAYS_MINUTES``), e-mail addresses without an account wait the same way, and each client
address has at most ``WEGWIJS_PORTAL_LOGINS_PER_MINUTE`` attempts a minute (counted in the database, as a
keyed hash). The login form carries an HMAC-bound CSRF token; a login makes a server-side session."""
from __future__ import annotations

import datetime as dt
import math
from typing import Optional

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from wegwijs.db.models import AuditEntry, LoginThrottle, StaffSession, StaffUser
from wegwijs.portal import security
from wegwijs.portal.deps import (LOGIN_COOKIE, SESSION_COOKIE, SESSION_HOURS, Login, PortalState,
                                 check_csrf, current, db, render, state)

#: Failed logins in a row before an account has to wait.
MAX_FAILED_LOGINS = 5
#: Minutes an account waits after its 5th, 6th, 7th … failed login in a row (the last one repeats):
#: short at first, so that somebody who knows a colleague's e-mail address cannot keep them out for long.
LOGIN_DELAYS_MINUTES = (1, 2, 4, 8, 15)
#: The window of the login throttle per client address.
LOGIN_WINDOW = dt.timedelta(minutes=1)
router = APIRouter()


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


def claim_unknown_attempt(portal: PortalState, email: str, now: dt.datetime) -> Optional[dt.datetime]:
    """:func:`claim_login_attempt` for an address without an account: None when the attempt may go
    on, else until when it waits."""
    unknown_failures = portal.unknown_failures
    failures, until = unknown_failures.get(email, (0, None))
    if until is not None and until > now:
        return until
    if len(unknown_failures) > 10000:
        unknown_failures.clear()
    delay = login_delay(failures + 1)
    unknown_failures[email] = (failures + 1, now + delay if delay else None)
    return None


def wait_message(wait: dt.timedelta) -> str:
    """The Dutch answer while an account waits."""
    minutes = max(1, math.ceil(wait.total_seconds() / 60))
    return (f"Te veel mislukte pogingen. Probeer het over {minutes} "
            f"{'minuut' if minutes == 1 else 'minuten'} opnieuw.")


def _safe_next(target: str) -> str:
    """Only local paths after login (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/inbox"
    return target


def cookie(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    """Set an HttpOnly, SameSite=Strict cookie (Secure unless the settings turn that off)."""
    response.set_cookie(name, value, max_age=max_age, httponly=True,
                        secure=state(request).settings.secure_cookies, samesite="strict", path="/")


def login_page(request: Request, status_code: int = 200, message: str = "",
               email: str = "", next_url: str = "/inbox", retry_after: int = 0) -> Response:
    """The login form, with a fresh pre-login cookie and the form's token bound to it."""
    pre = security.new_token()
    response = render(request, "login.html", status_code, user=None, message=message,
                      email=email, next_url=next_url,
                      csrf_token=security.login_form_token(state(request).secret, pre))
    cookie(request, response, LOGIN_COOKIE, pre, 3600)
    if retry_after:
        response.headers["Retry-After"] = str(retry_after)
    return response


def audit_login(session: Session, user: Optional[StaffUser], action: str) -> None:
    """An audit row for a refused login (the account's, when there is one)."""
    session.add(AuditEntry(user_id=user.id if user else None,
                           school_id=user.school_id if user else None, action=action))
    session.commit()


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/inbox") -> Response:
    return login_page(request, next_url=_safe_next(next))


@router.post("/login", response_class=HTMLResponse)
def login(request: Request, email: str = Form(""), password: str = Form(""),
          csrf_token: str = Form(""), next: str = Form("/inbox"),
          session: Session = Depends(db)) -> Response:
    portal = state(request)
    pre = request.cookies.get(LOGIN_COOKIE, "")
    if not pre or not security.same(security.login_form_token(portal.secret, pre), csrf_token):
        return login_page(request, 403, "Het formulier was verlopen. Probeer het opnieuw.", email)
    now = portal.clock()
    address = security.address_key(portal.secret, request.client.host if request.client else None)
    wait = claim_address_attempt(session, address, now, portal.settings.portal_logins_per_minute)
    if wait:
        return login_page(request, 429, "Er is te vaak geprobeerd in te loggen vanaf deze "
                                        "internetverbinding. Probeer het over een minuut opnieuw.",
                          email, retry_after=wait)
    email = email.strip().lower()[:254]
    user = session.execute(sa.select(StaffUser).where(StaffUser.email == email)).scalar_one_or_none()
    if user is None:
        until = claim_unknown_attempt(portal, email, now)
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
                             csrf_token=security.new_token(), created_at=now, expires_at=now + portal.idle))
    session.add(AuditEntry(user_id=user.id, school_id=user.school_id, action="login"))
    session.commit()
    response = RedirectResponse(_safe_next(next), status_code=303)
    cookie(request, response, SESSION_COOKIE, token, SESSION_HOURS * 3600)
    response.delete_cookie(LOGIN_COOKIE, path="/")
    return response


@router.post("/logout")
def logout(csrf_token: str = Form(""), login: Login = Depends(current),
           session: Session = Depends(db)) -> Response:
    check_csrf(login, csrf_token)
    session.execute(sa.delete(StaffSession).where(StaffSession.id == login.row.id))
    session.commit()
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
