"""The school's audit log (``/audit``), for the school's admins."""
from __future__ import annotations

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from wegwijs.db.models import AuditEntry, StaffUser
from wegwijs.portal.deps import Login, current, db, deny, render, state

router = APIRouter()


@router.get("/audit", response_class=HTMLResponse)
def audit_log(request: Request, login: Login = Depends(current),
              session: Session = Depends(db)) -> Response:
    user = login.user
    if not user.is_admin or not user.school_id:
        deny(session, user, request)
    rows = session.execute(
        sa.select(AuditEntry, StaffUser.display_name)
        .join(StaffUser, StaffUser.id == AuditEntry.user_id, isouter=True)
        .where(AuditEntry.school_id == user.school_id)
        .order_by(AuditEntry.at.desc()).limit(500)).all()
    target_ids = {entry.target_user_id for entry, _ in rows if entry.target_user_id}
    targets = dict(session.execute(sa.select(StaffUser.id, StaffUser.display_name)
                                   .where(StaffUser.id.in_(target_ids))).all()) if target_ids else {}
    return render(request, "audit.html", user=user, session_row=login.row,
                  school=state(request).schools.get(user.school_id), rows=rows, targets=targets)
