"""School staff's work on handovers: the inbox (also the home page), a handover's page with its transcript,
and the forms to reply to the parent, assign, add a note and resolve (which gives the parent back to
Wegwijs). Every handover is loaded through :func:`wegwijs.portal.deps.load` (tenant isolation and
need-to-know)."""
from __future__ import annotations

from typing import List
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from wegwijs.db.models import Handover, StaffUser
from wegwijs.handovers import service
from wegwijs.handovers.live import RasaUnavailable
from wegwijs.handovers.routing import SCHOOL_ROLES
from wegwijs.portal.deps import (MAX_ROW_ID, NOTICES, Login, check_csrf, current, db, is_theirs, load,
                                 plain_role, render, state)
from wegwijs.transcripts import Line, read_transcript

MAX_REPLY_CHARS = 2000
router = APIRouter()


def staff_role_label(user: StaffUser, handover_role: str) -> str:
    """How the parent sees the staff member's role: their own role, else the handover's."""
    roles = user.role_list
    return plain_role(roles[0] if roles else handover_role)


def posted(request: Request, session: Session, login: Login, handover_id: str, csrf_token: str) -> Handover:
    """The handover a form is posted for: the CSRF check first, then :func:`~wegwijs.portal.deps.load`."""
    check_csrf(login, csrf_token)
    return load(session, login.user, handover_id, request)


def back(handover_id: str, notice: str = "") -> Response:
    """Back to the handover's page, with a notice."""
    url = f"/handovers/{quote(handover_id)}"
    if notice:
        url += f"?notice={notice}"
    return RedirectResponse(url, status_code=303)


def handover_view(request: Request, session: Session, login: Login, handover: Handover,
                  transcript: List[Line], message: str, reply_text: str = "",
                  status_code: int = 200) -> Response:
    """The handover's page with ``message`` (and a reply that was not sent, to try again)."""
    user = login.user
    return render(request, "handover.html", status_code, user=user, session_row=login.row,
                  school=state(request).schools.get(user.school_id), handover=handover, transcript=transcript,
                  staff=service.staff_of_school(session, user.school_id),
                  message=message, reply_text=reply_text, roles=list(SCHOOL_ROLES))


@router.get("/", response_class=HTMLResponse)
def home() -> Response:
    return RedirectResponse("/inbox", status_code=303)


@router.get("/inbox", response_class=HTMLResponse)
def inbox(request: Request, status: str = "open", role: str = "", urgency: str = "", notice: str = "",
          login: Login = Depends(current), session: Session = Depends(db)) -> Response:
    user = login.user
    school = state(request).schools.get(user.school_id)
    handovers = service.list_for_school(session, user.school_id, status, role or None,
                                        urgency or None) if school else []
    handovers = [handover for handover in handovers if user.is_admin or is_theirs(user, handover)]
    return render(request, "inbox.html", user=user, session_row=login.row, school=school,
                  message=NOTICES.get(notice, ""),
                  handovers=handovers, status=status, role=role, urgency=urgency,
                  roles=[r for r in SCHOOL_ROLES if school and r in school.contacts])


@router.get("/handovers/{handover_id}", response_class=HTMLResponse)
def handover_page(request: Request, handover_id: str, login: Login = Depends(current),
                  session: Session = Depends(db), notice: str = "") -> Response:
    user = login.user
    handover = load(session, user, handover_id, request)
    service.audit(session, user, "read_conversation", handover)
    session.commit()
    transcript = read_transcript(session.get_bind(), handover.conversation_id, until=handover.resolved_at) \
        if handover.purged_at is None else []
    return handover_view(request, session, login, handover, transcript, NOTICES.get(notice, ""))


@router.post("/handovers/{handover_id}/assign")
def assign(request: Request, handover_id: str, assignee_id: int = Form(...), csrf_token: str = Form(""),
           login: Login = Depends(current), session: Session = Depends(db)) -> Response:
    handover = posted(request, session, login, handover_id, csrf_token)
    user = login.user
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


@router.post("/handovers/{handover_id}/notes")
def add_note(request: Request, handover_id: str, text: str = Form(""), csrf_token: str = Form(""),
             login: Login = Depends(current), session: Session = Depends(db)) -> Response:
    handover = posted(request, session, login, handover_id, csrf_token)
    if handover.purged_at is not None:
        return back(handover_id, "note_invalid")
    try:
        service.add_note(session, handover, login.user, text)
    except service.HandoverError:
        return back(handover_id, "note_invalid")
    session.commit()
    return back(handover_id, "note_saved")


@router.post("/handovers/{handover_id}/reply", response_class=HTMLResponse)
def reply(request: Request, handover_id: str, text: str = Form(""), csrf_token: str = Form(""),
          login: Login = Depends(current), session: Session = Depends(db)) -> Response:
    handover = posted(request, session, login, handover_id, csrf_token)
    user = login.user
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
            state(request).rasa.say(handover.conversation_id, text, user.display_name,
                                    staff_role_label(user, handover.role), before=before)
        except RasaUnavailable as exc:
            problem = f"{exc} Je bericht is niet verstuurd; het staat hieronder nog."
    if problem:
        transcript = read_transcript(session.get_bind(), handover.conversation_id, until=handover.resolved_at)
        return handover_view(request, session, login, handover, transcript, problem, text, 400)
    service.mark_in_progress(session, handover, user)
    service.audit(session, user, "reply", handover)
    session.commit()
    return back(handover_id, "sent")


@router.post("/handovers/{handover_id}/resolve")
def resolve(request: Request, handover_id: str, resolved_role: str = Form(""), csrf_token: str = Form(""),
            login: Login = Depends(current), session: Session = Depends(db)) -> Response:
    handover = posted(request, session, login, handover_id, csrf_token)
    user = login.user
    if handover.status == "resolved":
        return back(handover_id, "already_resolved")
    if resolved_role and resolved_role not in SCHOOL_ROLES:
        return back(handover_id, "bad_role")
    school = state(request).schools.get(user.school_id)
    closing = (f"{user.display_name} ({staff_role_label(user, handover.role)}) heeft je vraag afgerond. "
               f"Je praat nu weer met Wegwijs, de digitale assistent"
               f"{' van ' + school.name if school else ''}. Heb je nog een vraag? Stel hem gerust.")
    try:
        state(request).rasa.append(handover.conversation_id,
                                   [{"event": "resume"}, {"event": "bot", "text": closing}])
    except RasaUnavailable:
        return back(handover_id, "chat_unreachable")
    service.resolve(session, handover, resolved_role or None)
    service.audit(session, user, "resolve", handover)
    session.commit()
    return back(handover_id, "resolved")
