"""The widget server (app factory): ``widget/`` files, demo school pages, and the widget's API.

The widget talks to Rasa's socket.io channel for the conversation itself. This server adds what the
channel lacks:

- ``GET  /api/conversation/messages``: the conversation so far, so a reload shows it again (and
  staff messages that arrived while the page was closed);
- ``GET  /api/conversation/status``: where a handed-over question is ("ligt bij de intern
  begeleider", "in behandeling", "afgerond");
- ``POST /api/conversation/erase``: "Gesprek verwijderen": the conversation's tracker events (with the
  parent's ratings of answers, which are events too) and the content of its handovers are deleted at once.

Each call names the conversation and proves it is the parent's with two headers, ``X-Wegwijs-Conversation``
and ``X-Wegwijs-Secret`` (the secret Rasa's channel issued with the id; :class:`ConversationKeys`). Neither
is in the URL, so access logs hold no conversation ids. Without the right secret: 403 and nothing read or
erased. Erasing also needs a page of an allowed origin (when the browser names one). Calls are rate
limited per conversation and per IP address (:class:`RateLimiter`, Redis when configured).
- ``GET  /api/school/{school_id}``: the school's widget look (name and colour, set in the portal).

CORS: the school websites of the profiles (read from the database every few seconds) and
``WEGWIJS_WIDGET_ORIGINS``. The demo pages and the look read the schools from the database at each
request, so a school created or changed in the portal works without a restart.
HTML pages (the demo school pages) carry a Content-Security-Policy and may not be framed.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from wegwijs.chat_guard import (CONVERSATION_HEADER, SECRET_HEADER, ConversationKeys, RateLimiter,
                                valid_conversation_id)
from wegwijs.db.engine import engine_for
from wegwijs.db.models import Handover, utcnow
from wegwijs.feedback import ANSWER_ID_KEY, latest, valid_answer_id
from wegwijs.handovers import service
from wegwijs.handovers.live import STAFF_METADATA_KEY
from wegwijs.schools import ROLE_LABELS
from wegwijs.schools_store import SchoolReader
from wegwijs.settings import Settings
from wegwijs.transcripts import button_label, conversation_events, delete_conversations

HERE = Path(__file__).parent
STATUS_TEXT = {"new": "Je vraag ligt bij {who}. Die heeft hem nog niet gelezen.",
               "assigned": "Je vraag ligt bij {who}.",
               "in_progress": "{who} behandelt je vraag.",
               "resolved": "Je vraag is afgerond."}


#: what the parent's widget shows when a call is refused (it shows its own text; these are for other clients)
NOT_YOURS = "Dit gesprek kan niet worden geopend: de sleutel ontbreekt of klopt niet."
WRONG_PAGE = "Dit gesprek kan alleen worden verwijderd vanaf de website van de school."
TOO_MANY = "Te veel verzoeken kort na elkaar. Probeer het over een minuut opnieuw."


def content_security_policy(rasa_url: str) -> str:
    """The CSP of the server's HTML pages: only its own scripts and styles, the chat at ``rasa_url``
    (HTTP and WebSocket), no framing, no plugins, no forms elsewhere."""
    from urllib.parse import urlsplit

    parts = urlsplit(rasa_url)
    chat = f"{parts.scheme}://{parts.netloc}" if parts.netloc else ""
    sockets = f"{'wss' if parts.scheme == 'https' else 'ws'}://{parts.netloc}" if parts.netloc else ""
    connect = " ".join(item for item in ("'self'", chat, sockets) if item)
    return ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            f"connect-src {connect}; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; "
            "object-src 'none'")


def parent_messages(engine: sa.engine.Engine, conversation_id: str) -> List[Dict[str, Any]]:
    """What the parent saw and wrote, oldest first; the buttons of the last bot message only. An answer
    carries its ``answer_id`` and, once the parent rated it, ``feedback`` (``{"rating", "reason"}``, the
    latest rating of that answer: wegwijs/feedback.py), so the widget does not ask again after a reload."""
    messages: List[Dict[str, Any]] = []
    slots = []
    for type_name, _, payload in conversation_events(engine, conversation_id, ("user", "bot", "slot")):
        if type_name == "slot":
            slots.append((payload.get("name"), payload.get("value")))
            continue
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
        answer = (payload.get("metadata") or {}).get(ANSWER_ID_KEY)
        if staff:
            item["staff"] = staff
        elif valid_answer_id(answer):
            item[ANSWER_ID_KEY] = answer
        if buttons:
            item["buttons"] = buttons
        messages.append(item)
    ratings = latest(slots)
    for message in messages:
        if message.get(ANSWER_ID_KEY) in ratings:
            message["feedback"] = ratings[message[ANSWER_ID_KEY]]
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
                    schools: SchoolReader) -> Optional[Dict[str, str]]:
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


class LiveCORSMiddleware(CORSMiddleware):
    """Starlette's CORS middleware with the allowed origins asked of ``origins`` at each request (the
    schools' websites as they are in the database now)."""

    def __init__(self, app: Any, origins: Callable[[], set], **kwargs: Any) -> None:
        super().__init__(app, allow_origins=[], **kwargs)
        self.origins = origins

    def is_allowed_origin(self, origin: str) -> bool:
        return origin.rstrip("/") in self.origins()


def create_app(settings: Optional[Settings] = None, extra_origins: Optional[List[str]] = None) -> FastAPI:
    """The widget server for ``settings`` (default: from the environment)."""
    settings = settings or Settings.from_env()
    from wegwijs.channels import LiveOrigins

    schools = SchoolReader(settings.db_url)  # as they are in the database now: no restart after a change
    widget_dir = settings.home / "widget"
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    origins = LiveOrigins(settings, extra_origins or ())
    keys = ConversationKeys(settings.chat_secret)
    limit = settings.api_rate_per_conversation
    limiter = RateLimiter(limit, 4 * limit, settings.redis_url, keys=keys, prefix="api")
    csp = content_security_policy(settings.public_rasa_url)
    app = FastAPI(title="Wegwijs widget server", docs_url=None, redoc_url=None)
    app.add_middleware(LiveCORSMiddleware, origins=origins, allow_methods=["GET", "POST"],
                       allow_headers=["Content-Type", CONVERSATION_HEADER, SECRET_HEADER],
                       allow_credentials=False)

    def engine() -> sa.engine.Engine:
        return engine_for(settings.db_url)

    @app.middleware("http")
    async def headers(request: Request, call_next: Any) -> Response:
        response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        if request.url.path.startswith("/api/"):
            response.headers["Cache-Control"] = "no-store"
        if response.headers.get("content-type", "").startswith("text/html"):
            response.headers.setdefault("Content-Security-Policy", csp)
            response.headers.setdefault("X-Frame-Options", "DENY")
        return response

    async def conversation(request: Request) -> str:
        """The conversation the call is about, once its secret is right and the rate limits allow it."""
        conversation_id = request.headers.get(CONVERSATION_HEADER, "")
        valid = valid_conversation_id(conversation_id)
        wait = await limiter.wait_seconds(conversation_id if valid else "",
                                          request.client.host if request.client else None)
        if wait:
            raise StarletteHTTPException(429, TOO_MANY, headers={"Retry-After": str(wait)})
        if not keys.check(conversation_id, request.headers.get(SECRET_HEADER)):
            raise StarletteHTTPException(403, NOT_YOURS)
        return conversation_id

    def same_site(request: Request) -> bool:
        """A state-changing call from a browser must come from a school's page or this server's own."""
        origin = (request.headers.get("origin") or "").rstrip("/")
        return not origin or origin in origins() or origin == f"{request.url.scheme}://{request.url.netloc}"

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> Response:
        return Response("ok", media_type="text/plain")

    @app.get("/api/conversation/messages")
    async def messages(request: Request) -> JSONResponse:
        conversation_id = await conversation(request)
        return JSONResponse({"messages": await run_in_threadpool(parent_messages, engine(), conversation_id)})

    @app.get("/api/conversation/status")
    async def status(request: Request) -> JSONResponse:
        conversation_id = await conversation(request)
        return JSONResponse({"handover": await run_in_threadpool(handover_status, engine(), conversation_id,
                                                                 schools)})

    @app.get("/api/school/{school_id}")
    def school_look(school_id: str) -> JSONResponse:
        """How the widget looks for this school (the portal's "Uiterlijk van de chat"): its name and
        accent colour, each null for the default. Public: nothing here is secret."""
        school = schools.get(school_id)
        if school is None:
            raise StarletteHTTPException(status_code=404)
        return JSONResponse({"id": school.id, "display_name": school.widget.display_name,
                             "colour": school.widget.colour})

    @app.post("/api/conversation/erase")
    async def erase(request: Request) -> JSONResponse:
        if not same_site(request):
            raise StarletteHTTPException(403, WRONG_PAGE)
        conversation_id = await conversation(request)
        erased = await run_in_threadpool(erase_conversation, engine(), conversation_id)
        return JSONResponse({"erased": True, **erased})

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
