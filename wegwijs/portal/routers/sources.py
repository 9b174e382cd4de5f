"""The maintainers' list of every answer's source (``/sources``, the **Bronnen** page)."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from wegwijs.checks import readings
from wegwijs.portal.deps import Login, current, db, maintainer, render, state

router = APIRouter()


@router.get("/sources", response_class=HTMLResponse)
def sources_page(request: Request, login: Login = Depends(current),
                 session: Session = Depends(db)) -> Response:
    """Every answer's source, the oldest reading first, so maintainers read those again first."""
    user = maintainer(request, session, login)
    settings = state(request).settings
    return render(request, "sources.html", user=user, session_row=login.row, school=None,
                  rows=readings(state(request).library, warn_months=settings.source_warn_months,
                                max_months=settings.source_max_months),
                  warn_months=settings.source_warn_months, max_months=settings.source_max_months)
