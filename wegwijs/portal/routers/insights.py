"""The Insights page (``/insights``) and its CSV (``/insights.csv``): what parents ask, what Wegwijs did
not understand, what parents thought of the answers, and how quickly handovers were answered.

Staff and admins see their own school only (asking for another school is a 404, audited); maintainers
see all schools or one, and the answers parents marked "klopt niet" for the content editors. Reading is
audited (``read_insights``, ``export_insights``). Before reading, the page brings the figures up to date
with the conversations since the last time (``wegwijs.insights.store.refresh``).
"""
from __future__ import annotations

import datetime as dt
from typing import Dict, List, Optional, Tuple

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from wegwijs.db.models import AuditEntry, StaffUser
from wegwijs.insights import figures as insight_figures
from wegwijs.insights import store
from wegwijs.insights.summary import AMSTERDAM
from wegwijs.portal.deps import Login, current, db, deny, plain_role, render, state

router = APIRouter()
#: conversations summed up per page load at most (the rest at the next load or `wegwijs insights refresh`)
REFRESH_LIMIT = 2000


def _date(value: str) -> Optional[dt.date]:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _scope(request: Request, session: Session, user: StaffUser, school: str) -> str:
    """Which school the user may look at: their own; a maintainer any or all (:data:`ALL`)."""
    if user.is_maintainer:
        if not school or school == insight_figures.ALL:
            return insight_figures.ALL
        if state(request).schools.get(school) is None:
            deny(session, user, request)
        return school
    if not user.school_id or (school and school != user.school_id):
        deny(session, user, request)
    return user.school_id


def _figures(request: Request, session: Session, login: Login, school: str, van: str, tot: str,
             action: str) -> Tuple[str, insight_figures.Figures]:
    user = login.user
    scope = _scope(request, session, user, school)
    portal = state(request)
    library = portal.library
    summariser = store.Summariser(portal.settings.home, lambda intent: library.get(intent) is not None)
    store.refresh(session, summariser, limit=REFRESH_LIMIT)
    today = portal.clock().replace(tzinfo=dt.timezone.utc).astimezone(AMSTERDAM).date()
    period = insight_figures.Period.of(_date(van), _date(tot), today)
    found = insight_figures.compute(session, scope, period, editors=user.is_maintainer)
    session.add(AuditEntry(user_id=user.id, school_id=None if scope == insight_figures.ALL else scope,
                           action=action, detail=f"{scope} {period.first}..{period.last}"[:255]))
    session.commit()
    return scope, found


def _school_choices(request: Request) -> List[Tuple[str, str]]:
    schools = state(request).schools
    return sorted(((school_id, schools.get(school_id).name) for school_id in schools.ids()),
                  key=lambda item: item[1])


def _charts(request: Request, found: insight_figures.Figures) -> Dict[str, List[insight_figures.Bar]]:
    label = state(request).templates.env.globals["topic_label"]
    return {
        "weeks": insight_figures.bars([(week.strftime("%d-%m"), count) for week, count in found.weeks]),
        "topics": insight_figures.bars([(label(topic), count) for topic, count in found.topics]),
        "feedback": insight_figures.bars([pair for item in found.feedback for pair in (
            (f"{label(item.topic)}: ja", item.up), (f"{label(item.topic)}: nee", item.down))]),
        "handovers": insight_figures.bars([(plain_role(role), count) for role, count in found.handovers]),
    }


@router.get("/insights", response_class=HTMLResponse)
def insights_page(request: Request, school: str = "", van: str = "", tot: str = "",
                  login: Login = Depends(current), session: Session = Depends(db)) -> Response:
    scope, found = _figures(request, session, login, school, van, tot, "read_insights")
    schools = state(request).schools
    profile = None if scope == insight_figures.ALL else schools.get(scope)
    return render(request, "insights.html", user=login.user, session_row=login.row,
                  school=schools.get(login.user.school_id) if login.user.school_id else None,
                  # a school's first admin can be invited before its profile exists: then its code
                  scope=scope, scope_name=("alle scholen" if scope == insight_figures.ALL
                                           else profile.name if profile else scope),
                  school_choices=_school_choices(request) if login.user.is_maintainer else [],
                  f=found, charts=_charts(request, found), shown=insight_figures.shown, small=insight_figures.small,
                  share=insight_figures.share, hours_label=insight_figures.hours_label,
                  SMALL=insight_figures.SMALL, reasons=insight_figures.REASONS)


@router.get("/insights.csv")
def insights_csv(request: Request, school: str = "", van: str = "", tot: str = "",
                 login: Login = Depends(current), session: Session = Depends(db)) -> Response:
    scope, found = _figures(request, session, login, school, van, tot, "export_insights")
    label = state(request).templates.env.globals["topic_label"]
    body = insight_figures.csv_text(found, label, plain_role)
    name = f"wegwijs-inzicht-{'alle-scholen' if scope == insight_figures.ALL else scope}-" \
           f"{found.period.first}-{found.period.last}.csv"
    return Response("\ufeff" + body, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
