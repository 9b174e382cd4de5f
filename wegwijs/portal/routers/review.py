"""The maintainers' review of parents' messages for retraining (``/review``): group by group, a verdict
and the intent they should have had."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from wegwijs.db.models import AuditEntry
from wegwijs.portal.deps import (MAX_ROW_ID, NOTICES, Login, check_csrf, current, db, maintainer, render,
                                 state)
from wegwijs.retrain import review as retrain_review

router = APIRouter()


@router.get("/review", response_class=HTMLResponse)
def review_page(request: Request, notice: str = "", login: Login = Depends(current),
                session: Session = Depends(db)) -> Response:
    user = maintainer(request, session, login)
    session.add(AuditEntry(user_id=user.id, action="read_review"))
    session.commit()
    return review_view(request, session, login, NOTICES.get(notice, ""))


def review_view(request: Request, session: Session, login: Login, message: str,
                status_code: int = 200) -> Response:
    """The review page with ``message``."""
    return render(request, "review.html", status_code, user=login.user, session_row=login.row,
                  school=None, groups=retrain_review.pending_groups(session, limit=30),
                  counts=retrain_review.counts(session), intents=state(request).intents,
                  routing=retrain_review.routing_examples(session), message=message)


@router.post("/review/decide", response_class=HTMLResponse)
def review_decide(request: Request, ids: str = Form(""), verdict: str = Form(""),
                  intent: str = Form(""), csrf_token: str = Form(""),
                  login: Login = Depends(current), session: Session = Depends(db)) -> Response:
    check_csrf(login, csrf_token)
    user = maintainer(request, session, login)
    try:
        item_ids = [int(part) for part in ids.split(",") if part.strip()][:1000]
        item_ids = [item_id for item_id in item_ids if 0 < item_id <= MAX_ROW_ID]
    except ValueError:
        item_ids = []
    try:
        changed = retrain_review.decide(session, item_ids, verdict, intent or None, state(request).intents,
                                        user.id)
    except retrain_review.ReviewError as exc:
        session.rollback()
        return review_view(request, session, login, str(exc), 400)
    session.commit()
    return RedirectResponse(f"/review?notice={'review_saved' if changed else 'review_none'}",
                            status_code=303)
