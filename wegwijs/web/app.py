"""The widget server (app factory): ``widget/`` files, demo school pages, and the widget's API.

The widget talks to Rasa's socket.io channel for the conversation itself. This server adds what the
channel lacks:

- ``GET  /api/conversations/<id>/messages``: the conversation so far, so a reload shows it again (and
  staff messages that arrived while the page was closed);
- ``GET  /api/conversations/<id>/status``: where a handed-over question is ("ligt bij de intern
  begeleider", "in behandeling", "afgerond");
- ``POST /api/conversations/<id>/erase``: "Gesprek verwijderen": the conversation's tracker events and
  the content of its handovers are deleted at once.

The conversation id is the widget's random session id (32 hex characters, kept in the parent's browser);
whoever holds it is the parent. Short or odd ids are refused, so ids cannot be guessed or enumerated.
CORS: the school websites of the profiles and ``WEGWIJS_WIDGET_ORIGINS``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional

import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from wegwijs.chat_guard import valid_conversation_id
from wegwijs.db.engine import engine_for
from wegwijs.db.models import Handover, utcnow
from wegwijs.handovers import service
from wegwijs.handovers.live import STAFF_METADATA_KEY
from wegwijs.schools import ROLE_LABELS, SchoolRegistry
from wegwijs.settings import Settings
from wegwijs.transcripts import button_label, conversation_events, delete_conversations

HERE = Path(__file__).parent
STATUS_TEXT = {"new": "Je vraag ligt bij {who}. Die heeft hem nog niet gelezen.",
               "assigned": "Je vraag ligt bij {who}.",
               "in_progress": "{who} behandelt je vraag.",
               "resolved": "Je vraag is afgerond."}


def _check_id(conversation_id: str) -> None:
    if not valid_conversation_id(conversation_id):
        raise StarletteHTTPException(status_code=404)


def parent_messages(engine: sa.engine.Engine, conversation_id: str) -> List[Dict[str, Any]]:
    """What the parent saw and wrote, oldest first; the buttons of the last bot message only."""
    messages: List[Dict[str, Any]] = []
    for type_name, _, payload in conversation_events(engine, conversation_id, ("user", "bot")):
        text = payload.get("text")
        if not text:
            continue
        if type_name == "user":
            messages.append({"from": "parent", "text": button_label(str(text))})
            continue
        staff = (payload.get("metadata") or {}).get(STAFF_METADATA_KEY)
        buttons = [{"title": b.get("title"), "payload": b.get("payload")}
                   for b in ((payload.get("data") or {}).get("buttons") or [])
                   if isinstance(b, dict)]
        item: Dict[str, Any] = {"from": "staff" if staff else "bot", "text": str(text).strip()}
        if staff:
            item["staff"] = staff
        if buttons:
            item["buttons"] = buttons
        messages.append(item)
    last_bot = max((i for i, m in enumerate(messages) if m["from"] != "parent"), default=-1)
    for index, message in enumerate(messages):
        if index != last_bot:
            message.pop("buttons", None)
    return messages


def erase_conversation(engine: sa.engine.Engine, conversation_id: str) -> Dict[str, int]:
    """Delete the conversation's events and its handovers' content (the handover rows stay without
    content, resolved, so staff see that the parent erased it)."""
    with engine.begin() as connection:
        events = delete_conversations(connection, [conversation_id]) \
            if sa.inspect(connection).has_table("events") else 0
        handovers = 0
        if sa.inspect(connection).has_table(Handover.__tablename__):
            ids = [row[0] for row in connection.execute(
                sa.select(Handover.id).where(Handover.conversation_id == conversation_id))]
            handovers = service.clear_content(connection, ids, utcnow(), resolve=True)
    return {"events_deleted": events, "handovers_erased": handovers}


def handover_status(engine: sa.engine.Engine, conversation_id: str,
                    schools: SchoolRegistry) -> Optional[Dict[str, str]]:
    """The newest handover of the conversation, for the parent."""
    if not sa.inspect(engine).has_table(Handover.__tablename__):
        return None
    with engine.connect() as connection:
        row = connection.execute(
            sa.select(Handover.school_id, Handover.role, Handover.status, Handover.purged_at)
            .where(Handover.conversation_id == conversation_id)
            .order_by(Handover.created_at.desc())).first()
    if row is None or row.purged_at is not None:
        return None
    school = schools.get(row.school_id)
    contact = school.contacts.get(row.role) if school else None
    who = ROLE_LABELS.get(row.role, "school")
    if contact and not contact.name.startswith(("de ", "het ")):
        who = f"{who} ({contact.name})"
    text = STATUS_TEXT[row.status].format(who=who)
    return {"status": row.status, "text": text[0].upper() + text[1:], "role": row.role}


def create_app(settings: Optional[Settings] = None, extra_origins: Optional[List[str]] = None) -> FastAPI:
    """The widget server for ``settings`` (default: from the environment)."""
    settings = settings or Settings.from_env()
    schools = SchoolRegistry.from_directory(settings.schools_dir)
    widget_dir = settings.home / "widget"
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    origins = sorted({school.website.rstrip("/") for school in (schools.get(i) for i in schools.ids())
                      if school and school.website} | set(settings.widget_origins)
                     | set(extra_origins or []))
    app = FastAPI(title="Wegwijs widget server", docs_url=None, redoc_url=None)
    app.add_middleware(CORSMiddleware, allow_origins=origins, allow_methods=["GET", "POST"],
                       allow_headers=["Content-Type"], allow_credentials=False)

    def engine() -> sa.engine.Engine:
        return engine_for(settings.db_url)

    @app.middleware("http")
    async def headers(request: Request, call_next: Any) -> Response:
        response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        if request.url.path.startswith("/api/"):
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> Response:
        return Response("ok", media_type="text/plain")

    @app.get("/api/conversations/{conversation_id}/messages")
    def messages(conversation_id: str) -> JSONResponse:
        _check_id(conversation_id)
        return JSONResponse({"messages": parent_messages(engine(), conversation_id)})

    @app.get("/api/conversations/{conversation_id}/status")
    def status(conversation_id: str) -> JSONResponse:
        _check_id(conversation_id)
        return JSONResponse({"handover": handover_status(engine(), conversation_id, schools)})

    @app.post("/api/conversations/{conversation_id}/erase")
    def erase(conversation_id: str) -> JSONResponse:
        _check_id(conversation_id)
        return JSONResponse({"erased": True, **erase_conversation(engine(), conversation_id)})

    @app.get("/", response_class=HTMLResponse)
    @app.get("/demo/", response_class=HTMLResponse)
    def demo_index(request: Request) -> Response:
        return templates.TemplateResponse(request, "index.html", {
            "schools": [schools.get(i) for i in schools.ids()]})

    @app.get("/demo/{school_id}/", response_class=HTMLResponse)
    def demo_school(request: Request, school_id: str) -> Response:
        school = schools.get(school_id)
        if school is None:
            raise StarletteHTTPException(status_code=404)
        return templates.TemplateResponse(request, "school.html", {
            "school": school, "rasa_url": settings.public_rasa_url})

    @app.get("/privacy.html", include_in_schema=False)
    def privacy() -> FileResponse:
        return FileResponse(widget_dir / "privacy.html")

    app.mount("/", StaticFiles(directory=str(widget_dir)), name="widget")
    return app
