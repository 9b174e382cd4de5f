"""Staff accounts in the portal (issue 16): a school admin's **Team** page (``/team``: the school's staff,
invitations by e-mail, kind and roles, disabling and enabling, a forced new password), the maintainers'
invitation of a school's first admin (``/maintainer/first-admin``, with the school's widget snippet), and
the page behind a mailed link (``/invitation/{token}``: choose a name and password, or a new password).

Every route checks the role server-side; another school's account or invitation is 404 (audited as
``denied``, like every refusal); every form carries the session's CSRF token (the link's form, which has no
session yet, an HMAC-bound one like the login form); every change is in the audit log with the value
before and after (:mod:`wegwijs.invitations`)."""
from __future__ import annotations

from typing import List, Optional

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from wegwijs import invitations
from wegwijs.db.models import StaffInvitation, StaffUser
from wegwijs.handovers.routing import SCHOOL_ROLES
from wegwijs.portal import security
from wegwijs.portal.deps import (LOGIN_COOKIE, MAX_ROW_ID, NOTICES, CsrfFailed, Login, check_csrf, current,
                                 db, deny, maintainer, render, school_admin, state)
from wegwijs.schools import SCHOOL_ID_PATTERN

router = APIRouter()


def _row_id(raw: str) -> Optional[int]:
    """A row id from a path, or None (not a number, or beyond the integer columns)."""
    if not raw.isdigit() or len(raw) > 10:
        return None
    number = int(raw)
    return number if 0 < number <= MAX_ROW_ID else None


def _member(request: Request, session: Session, admin: StaffUser, member_id: str) -> StaffUser:
    """An account of the admin's own school, else 404 (audited)."""
    number = _row_id(member_id)
    member = session.get(StaffUser, number) if number else None
    if member is None or member.school_id != admin.school_id or member.is_maintainer:
        deny(session, admin, request)
    return member


def _back(notice: str) -> Response:
    return RedirectResponse(f"/team?notice={notice}", status_code=303)


def _school_name(request: Request, school_id: str) -> Optional[str]:
    school = state(request).schools.get(school_id)
    return school.name if school else None


def team_view(request: Request, session: Session, login: Login, message: str = "",
              status_code: int = 200, email: str = "") -> Response:
    """The team page with ``message`` (and the address typed in the invitation form, to try again)."""
    user = login.user
    now = state(request).clock()
    members = session.execute(sa.select(StaffUser).where(StaffUser.school_id == user.school_id)
                              .order_by(StaffUser.active.desc(), StaffUser.display_name)).scalars().all()
    pending = session.execute(sa.select(StaffInvitation).where(
        StaffInvitation.school_id == user.school_id, StaffInvitation.purpose == "invite",
        StaffInvitation.used_at.is_(None), StaffInvitation.revoked_at.is_(None),
        StaffInvitation.expires_at > now).order_by(StaffInvitation.created_at)).scalars().all()
    return render(request, "team.html", status_code, user=user, session_row=login.row,
                  school=state(request).schools.get(user.school_id), members=members, pending=pending,
                  roles=list(SCHOOL_ROLES), KIND_LABELS=invitations.KIND_LABELS, message=message,
                  email=email, hours=invitations.INVITATION_HOURS)


@router.get("/team", response_class=HTMLResponse)
def team_page(request: Request, notice: str = "", login: Login = Depends(current),
              session: Session = Depends(db)) -> Response:
    school_admin(request, session, login)
    return team_view(request, session, login, NOTICES.get(notice, ""))


@router.post("/team/invite", response_class=HTMLResponse)
def team_invite(request: Request, email: str = Form(""), kind: str = Form("staff"),
                roles: List[str] = Form([]), csrf_token: str = Form(""),
                login: Login = Depends(current), session: Session = Depends(db)) -> Response:
    check_csrf(login, csrf_token)
    admin = school_admin(request, session, login)
    portal = state(request)
    try:
        invitation, token = invitations.invite(session, admin, school_id=admin.school_id, email=email,
                                               kind=kind, roles=roles, now=portal.clock())
    except invitations.TeamError as exc:
        session.rollback()
        limited = isinstance(exc, invitations.TooManyLinks)
        return team_view(request, session, login, str(exc), 429 if limited else 400, email=email[:254])
    session.commit()  # the mail goes out after the commit: no write lock while the SMTP server answers
    if not invitations.send_link(portal.settings, invitation, token, _school_name(request, admin.school_id)):
        invitations.link_not_sent(session, admin, invitation, portal.clock())
        session.commit()
        return _back("link_not_sent")
    return _back("invited")


def _change(request: Request, session: Session, login: Login, member_id: str, csrf_token: str):
    check_csrf(login, csrf_token)
    admin = school_admin(request, session, login)
    return admin, _member(request, session, admin, member_id)


def _refused(request: Request, session: Session, login: Login, member: StaffUser,
             exc: invitations.TeamError) -> Response:
    """The team page with why the change was refused (409 for a lock-out, 429 for too many links, else
    400), and an audit row."""
    session.rollback()
    invitations.record(session, login.user, "staff_change_refused", school_id=login.user.school_id,
                       target_id=member.id, detail=f"{request.method} {request.url.path}")
    session.commit()
    status = 409 if isinstance(exc, invitations.LockOut) else 429 if isinstance(exc, invitations.TooManyLinks) \
        else 400
    return team_view(request, session, login, str(exc), status)


@router.post("/team/{member_id}/access", response_class=HTMLResponse)
def team_access(request: Request, member_id: str, kind: str = Form(""), roles: List[str] = Form([]),
                csrf_token: str = Form(""), login: Login = Depends(current),
                session: Session = Depends(db)) -> Response:
    admin, member = _change(request, session, login, member_id, csrf_token)
    try:
        changed = invitations.set_access(session, admin, member, kind, roles)
    except invitations.TeamError as exc:
        return _refused(request, session, login, member, exc)
    session.commit()
    return _back("access_saved" if changed else "unchanged")


@router.post("/team/{member_id}/disable", response_class=HTMLResponse)
def team_disable(request: Request, member_id: str, csrf_token: str = Form(""),
                 login: Login = Depends(current), session: Session = Depends(db)) -> Response:
    admin, member = _change(request, session, login, member_id, csrf_token)
    try:
        changed = invitations.set_active(session, admin, member, False)
    except invitations.TeamError as exc:
        return _refused(request, session, login, member, exc)
    session.commit()
    return _back("disabled" if changed else "unchanged")


@router.post("/team/{member_id}/enable", response_class=HTMLResponse)
def team_enable(request: Request, member_id: str, csrf_token: str = Form(""),
                login: Login = Depends(current), session: Session = Depends(db)) -> Response:
    admin, member = _change(request, session, login, member_id, csrf_token)
    changed = invitations.set_active(session, admin, member, True)
    session.commit()
    return _back("enabled" if changed else "unchanged")


@router.post("/team/{member_id}/reset", response_class=HTMLResponse)
def team_reset(request: Request, member_id: str, csrf_token: str = Form(""),
               login: Login = Depends(current), session: Session = Depends(db)) -> Response:
    admin, member = _change(request, session, login, member_id, csrf_token)
    portal = state(request)
    try:
        invitation, token = invitations.start_reset(session, admin, member, portal.clock())
    except invitations.TeamError as exc:
        return _refused(request, session, login, member, exc)
    session.commit()
    if not invitations.send_link(portal.settings, invitation, token, _school_name(request, admin.school_id)):
        invitations.link_not_sent(session, admin, invitation, portal.clock())
        session.commit()  # the old password still works
        return _back("link_not_sent")
    invitations.finish_reset(session, admin, member, invitation)
    session.commit()
    return _back("reset_sent")


@router.post("/team/invitations/{invitation_id}/revoke", response_class=HTMLResponse)
def team_revoke(request: Request, invitation_id: str, csrf_token: str = Form(""),
                login: Login = Depends(current), session: Session = Depends(db)) -> Response:
    check_csrf(login, csrf_token)
    admin = school_admin(request, session, login)
    number = _row_id(invitation_id)
    invitation = session.get(StaffInvitation, number) if number else None
    if invitation is None or invitation.school_id != admin.school_id:
        deny(session, admin, request)
    changed = invitations.revoke(session, admin, invitation, state(request).clock())
    session.commit()
    return _back("revoked" if changed else "unchanged")


# ---------------------------------------------------------------------------- maintainers


@router.get("/maintainer/first-admin", response_class=HTMLResponse)
def first_admin_page(request: Request, notice: str = "", school_id: str = "",
                     login: Login = Depends(current), session: Session = Depends(db)) -> Response:
    maintainer(request, session, login)
    invited = notice == "invited"
    return first_admin_view(request, login, NOTICES.get(notice, ""), school_id="" if invited else school_id,
                            shown=school_id if invited else "")


def first_admin_view(request: Request, login: Login, message: str, status_code: int = 200,
                     school_id: str = "", email: str = "", shown: str = "") -> Response:
    """The maintainers' form; after an invitation the school's widget snippet (``shown``)."""
    settings = state(request).settings
    snippet = invitations.widget_snippet(settings, shown) if SCHOOL_ID_PATTERN.match(shown) else ""
    return render(request, "first_admin.html", status_code, user=login.user, session_row=login.row,
                  school=None, message=message, school_id=school_id or shown, email=email,
                  snippet=snippet, shown=shown if snippet else "",
                  shown_name=_school_name(request, shown) if snippet else None)


@router.post("/maintainer/first-admin", response_class=HTMLResponse)
def first_admin_invite(request: Request, school_id: str = Form(""), email: str = Form(""),
                       csrf_token: str = Form(""), login: Login = Depends(current),
                       session: Session = Depends(db)) -> Response:
    check_csrf(login, csrf_token)
    user = maintainer(request, session, login)
    portal = state(request)
    school_id = school_id.strip().lower()
    try:
        invitation, token = invitations.invite(session, user, school_id=school_id, email=email, kind="admin",
                                               roles=(), now=portal.clock())
    except invitations.TeamError as exc:
        session.rollback()
        limited = isinstance(exc, invitations.TooManyLinks)
        return first_admin_view(request, login, str(exc), 429 if limited else 400,
                                school_id=school_id[:64], email=email[:254])
    session.commit()
    if not invitations.send_link(portal.settings, invitation, token, _school_name(request, school_id)):
        invitations.link_not_sent(session, user, invitation, portal.clock())
        session.commit()
        return RedirectResponse("/maintainer/first-admin?notice=link_not_sent", status_code=303)
    return RedirectResponse(f"/maintainer/first-admin?notice=invited&school_id={school_id}",
                            status_code=303)


# ---------------------------------------------------------------------------- the mailed link


def link_view(request: Request, session: Session, token: str, message: str = "", status_code: int = 200,
              name: str = "", done: Optional[StaffUser] = None) -> Response:
    """The page behind a link: its form (with a fresh pre-login cookie and the form's token bound to it),
    or why the link does not work, or that it worked."""
    portal = state(request)
    invitation = invitations.find(session, token)
    link = invitations.link_state(invitation, portal.clock()) if done is None else "done"
    if link not in ("ok", "done"):
        message = invitations.LINK_MESSAGES[link]
        status_code = 404 if link == "unknown" else 410
    pre = security.new_token()
    response = render(request, "invitation.html", status_code, user=None, message=message, link=link,
                      invitation=invitation if link == "ok" else None, done=done, typed_name=name,
                      purpose=invitation.purpose if invitation is not None else "",
                      csrf_token=security.invitation_form_token(portal.secret, pre),
                      school_name=(_school_name(request, invitation.school_id) or invitation.school_id)
                      if invitation is not None else "",
                      min_length=security.MIN_PASSWORD_LENGTH)
    response.set_cookie(LOGIN_COOKIE, pre, max_age=3600, httponly=True, secure=portal.settings.secure_cookies,
                        samesite="strict", path="/")
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@router.get("/invitation/{token}", response_class=HTMLResponse)
def link_page(request: Request, token: str, session: Session = Depends(db)) -> Response:
    return link_view(request, session, token)


@router.post("/invitation/{token}", response_class=HTMLResponse)
def link_use(request: Request, token: str, name: str = Form(""), password: str = Form(""),
             password_repeat: str = Form(""), csrf_token: str = Form(""),
             session: Session = Depends(db)) -> Response:
    portal = state(request)
    pre = request.cookies.get(LOGIN_COOKIE, "")
    if not pre or not security.same(security.invitation_form_token(portal.secret, pre), csrf_token):
        raise CsrfFailed()
    invitation = invitations.find(session, token)
    if invitations.link_state(invitation, portal.clock()) != "ok":
        return link_view(request, session, token)
    try:
        user = invitations.accept(session, invitation, name=name, password=password, repeat=password_repeat,
                                  now=portal.clock())
    except invitations.TeamError as exc:
        session.rollback()
        return link_view(request, session, token, str(exc), 400, name=name[:invitations.MAX_NAME_CHARS])
    session.commit()
    return link_view(request, session, token, done=user)
