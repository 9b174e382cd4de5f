"""Wegwijs's chat channels (credentials.yml names them): Rasa's REST and socket.io channels, hardened.

Both keep Rasa's names (``rest``, ``socketio``), so their URLs and ``output_channel=latest`` stay the same.
Before a message reaches Rasa, :mod:`wegwijs.chat_guard` checks it (conversation id, length, "/"
payloads, metadata, rate limits). Around Rasa:

- **Loud storage failures.** Rasa wraps the tracker store in a ``FailSafeTrackerStore`` that, when the
  database fails, forgets the conversation and keeps new events in memory only (RasaHQ/rasa#3243). The
  channels make that wrapper raise instead, and refuse to work at all when the tracker store is not
  Wegwijs's SQL store (Rasa falls back to memory when the configured class cannot be loaded). The
  parent gets a Dutch message saying the message was not stored; the widget sends it again later.
- **Never silence.** When Rasa produced no reply for a message and the conversation is not paused for
  staff (an action server that does not answer, for example), the parent gets a Dutch message.
- **Each message once** (socket.io): the widget's message id (``metadata.client_message_id``) is
  remembered once processed; a copy sent again after a lost connection is acknowledged, not processed.
  The acknowledgement says ``ok``, ``retry`` (with seconds) or ``refused``.
- **Staff messages carry the staff member**: bot messages that the portal sends through Rasa's HTTP API
  reach the chat as ``{"text": …, "staff": {"name", "role"}}``.
- **Several Rasa processes**: with ``WEGWIJS_REDIS_URL`` socket.io messages go through Redis, so a staff
  reply sent through any process reaches the parent's socket, and rate limits and message ids are shared.
- **Origins**: socket.io connections from a browser page that is not a school website (or a configured
  widget origin) are refused; Rasa's ``--cors`` (``wegwijs rasa``) covers the HTTP side.
- **The conversation's secret** (:class:`wegwijs.chat_guard.ConversationKeys`): the server issues the id
  and its secret (socket.io: ``session_confirm`` answers with both; REST: ``POST /webhooks/rest/conversations``).
  A socket joins a conversation (and hears its staff replies) only with the right secret, and writes only
  to the conversation it joined; a REST message needs the secret in the ``X-Wegwijs-Secret`` header.
- **Ratings of answers** (socket.io, :mod:`wegwijs.feedback`): bot messages that give an answer carry
  its id (``answer_id``); the widget's ``feedback`` event (``{"answer_id", "rating", "reason"?}``) is
  checked and stored as ``SlotSet("answer_feedback", …)`` in the conversation the socket joined, under
  Rasa's lock for that conversation, only for an answer the bot sent in it. Acknowledged ``ok``,
  ``refused`` or ``retry``; the bot says nothing.
- **The client's network** (a keyed hash of the IPv4 address or IPv6 /64, changing daily) goes into the
  message's metadata as ``network``, set by the server only, so the action server can cap handovers.

``GET /webhooks/rest/`` reports the stores in use and answers 503 when conversations would not be kept.
"""
from __future__ import annotations

import logging
import time
from typing import Any, Awaitable, Callable, Dict, FrozenSet, Iterable, List, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.constants import DEFAULT_INTENTS
from rasa.shared.core.events import BotUttered, SlotSet
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from wegwijs import chat_guard, feedback, rasa_private
from wegwijs.handovers.live import STAFF_METADATA_KEY
from wegwijs.settings import Settings

logger = logging.getLogger(__name__)
rasa_private.apply_speed_fixes()  # Rasa imports this module at start-up (credentials.yml)

Handler = Callable[[UserMessage], Awaitable[Any]]
#: the socket.io event of the widget's ratings ("Had je hier iets aan?")
FEEDBACK_EVENT = "feedback"


class StorageFailure(RuntimeError):
    """The tracker store failed; the message was not stored."""


class NotStoring(RuntimeError):
    """Rasa runs without Wegwijs's SQL tracker store: conversations would be lost."""


def _raise_storage_failure(error: Exception) -> None:
    raise StorageFailure(type(error).__name__) from error


primary_tracker_store = rasa_private.primary_tracker_store


def make_storage_loud(agent: Any) -> None:
    """Make Rasa's fail-safe wrapper raise instead of falling back to memory; refuse a memory store."""
    rasa_private.set_storage_error_handler(agent, _raise_storage_failure)
    if not isinstance(primary_tracker_store(agent), SQLTrackerStore):
        raise NotStoring(type(primary_tracker_store(agent)).__name__)


def button_intents(agent: Any) -> FrozenSet[str]:
    """The intents a button payload may name: the domain's own, not Rasa's built-in ones."""
    domain = getattr(agent, "domain", None)
    return frozenset(name for name in (domain.intents if domain else []) if name not in DEFAULT_INTENTS)


class Guard:
    """The checks and shared state of both channels (one per Rasa process)."""

    def __init__(self, settings: Optional[Settings] = None) -> None:
        settings = settings or Settings.from_env()
        self.settings = settings
        self.keys = chat_guard.ConversationKeys(settings.chat_secret)
        self.limiter = chat_guard.RateLimiter(settings.rate_per_conversation, settings.rate_per_ip,
                                              settings.redis_url, keys=self.keys)
        self.seen = chat_guard.SeenMessages(settings.redis_url)
        # ratings count apart from messages: rating answers must not use up a parent's messages
        self.feedback_limiter = chat_guard.RateLimiter(settings.rate_per_conversation, settings.rate_per_ip,
                                                       settings.redis_url, keys=self.keys, prefix="feedback")
        self._origins = LiveOrigins(settings)
        self._intents: tuple = (None, frozenset())

    def intents(self, agent: Any) -> FrozenSet[str]:
        """:func:`button_intents` of the loaded model, computed again only when the model changes."""
        domain = getattr(agent, "domain", None)
        if self._intents[0] is not domain:
            self._intents = (domain, button_intents(agent))
        return self._intents[1]

    def origins(self) -> set:
        """Web origins that may open the chat: the schools' websites (from the database, read again every
        few seconds) and WEGWIJS_WIDGET_ORIGINS."""
        return self._origins()

    def metadata(self, verdict: chat_guard.Verdict, ip: Optional[str]) -> Dict[str, Any]:
        """The message's metadata: what the client may send, and the server's keyed hash of its network."""
        network = self.keys.network(ip)
        return dict(verdict.metadata, network=network) if network else dict(verdict.metadata)

    async def process(self, app: Sanic, on_new_message: Handler, message: UserMessage,
                      replies: Callable[[], int]) -> Optional[str]:
        """Hand ``message`` to Rasa. ``None`` when it was stored, else the Dutch text to show.

        ``replies`` counts what Rasa sent back; no reply and no pause means something failed quietly.
        """
        agent = app.ctx.agent
        try:
            make_storage_loud(agent)  # each time: loading another model wraps a new tracker store
            await on_new_message(message)
        except NotStoring as error:
            logger.error("refusing chat messages: Rasa runs with %s instead of the SQL tracker store, "
                         "conversations would be lost", error)
            return chat_guard.UNAVAILABLE
        except Exception as error:  # noqa: BLE001 - any failure: the parent hears, the message is retried
            logger.error("chat message not processed: %s: %s", type(error).__name__,
                         type(error.__cause__).__name__ if error.__cause__ else "-")
            return chat_guard.UNAVAILABLE
        if not replies():
            try:
                tracker = await agent.tracker_store.retrieve(message.sender_id)
            except Exception:  # noqa: BLE001 - stored, but the pause cannot be read: say something
                tracker = None
            if tracker is None or not tracker.is_paused():
                logger.error("no reply to a chat message (conversation not paused); the parent is told")
                return chat_guard.NO_REPLY
        return ""


def _sent(tracker: Any, answer_id: str) -> bool:
    """Whether the bot sent the answer ``answer_id`` among the tracker's events."""
    return any(isinstance(event, BotUttered)
               and (event.metadata or {}).get(feedback.ANSWER_ID_KEY) == answer_id for event in tracker.events)


async def record_feedback(agent: Any, conversation_id: str, value: Dict[str, Any]) -> bool:
    """Append a parent's rating (:func:`wegwijs.feedback.parse`) to the conversation as
    ``SlotSet("answer_feedback", value)``; False (nothing stored) when the bot did not send that answer in
    this conversation. Under Rasa's lock for the conversation, as a message is handled, so a rating and a
    message never write the tracker at once. Storage failures raise (:func:`make_storage_loud`)."""
    make_storage_loud(agent)
    store = agent.tracker_store
    answer = value[feedback.ANSWER_ID_KEY]
    async with agent.lock_store.lock(conversation_id):
        tracker = await store.retrieve(conversation_id)  # the latest session (a window of a long one)
        if tracker is None:
            return False
        if not _sent(tracker, answer):  # an answer from before the window or an earlier session
            full = await store.retrieve_full_tracker(conversation_id)
            if full is None or not _sent(full, answer):
                return False
        tracker.update(SlotSet(feedback.SLOT, value))
        await store.save(tracker)
    return True


def allowed_origins(settings: Settings) -> List[str]:
    """The schools' websites and ``WEGWIJS_WIDGET_ORIGINS``, as origins (scheme://host[:port]). The
    websites come from the database (a school added or changed in the portal counts); when it cannot be
    read (a fresh installation before ``wegwijs db upgrade``), from the YAML files of ``schools/``."""
    origins = set(settings.widget_origins)
    try:
        websites = _database_websites(settings.db_url)
    except Exception as error:  # noqa: BLE001 - the files then, or only WEGWIJS_WIDGET_ORIGINS
        logger.warning("schools unreadable in the database (%s); origins from the school files",
                       type(error).__name__)
        try:
            websites = _file_websites(settings.schools_dir)
        except Exception as error:  # noqa: BLE001 - a broken profile must not open the chat to everyone
            logger.error("school profiles unreadable (%s); only WEGWIJS_WIDGET_ORIGINS may use the chat", error)
            websites = []
    origins.update(_origin(website) for website in websites)
    return sorted(origins)


def _database_websites(db_url: str) -> List[str]:
    from wegwijs.schools_store import websites

    return websites(db_url)


def _file_websites(schools_dir: Any) -> List[str]:
    from wegwijs.schools import SchoolRegistry

    schools = SchoolRegistry.from_directory(schools_dir)
    return [school.website for school in map(schools.get, schools.ids()) if school and school.website]


class LiveOrigins:
    """:func:`allowed_origins` plus ``extra``, read again at most every ``ttl`` seconds, so that a school
    added or changed in the portal may open the chat without a restart (and a removed website stops)."""

    def __init__(self, settings: Settings, extra: Iterable[str] = (), ttl: float = 10.0) -> None:
        self.settings = settings
        self.extra = {origin.rstrip("/") for origin in extra}
        self.ttl = ttl
        self._origins: set = set()
        self._read_at: Optional[float] = None

    def __call__(self) -> set:
        now = time.monotonic()
        if self._read_at is None or now - self._read_at >= self.ttl:
            self._origins = set(allowed_origins(self.settings)) | self.extra
            self._read_at = now
        return self._origins


def _origin(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else url.rstrip("/")


def _client_ip(request: Optional[Request]) -> Optional[str]:
    if request is None:
        return None
    return request.remote_addr or request.ip or None


async def _health(request: Request) -> HTTPResponse:
    agent = getattr(request.app.ctx, "agent", None)
    if agent is None or not agent.is_ready():
        return response.json({"status": "starting"}, status=503)
    store = primary_tracker_store(agent)
    report = {"tracker_store": type(store).__name__, "lock_store": type(agent.lock_store).__name__}
    if getattr(agent.lock_store, "inner", None) is not None:
        report["lock_store"] += f" ({type(agent.lock_store.inner).__name__})"
    if not isinstance(store, SQLTrackerStore):
        return response.json(dict(report, status="not storing conversations"), status=503)
    return response.json(dict(report, status="ok"))


class WegwijsRest(InputChannel):
    """Rasa's REST channel (``POST /webhooks/rest/webhook``) with the checks of :class:`Guard`.

    Answers are a JSON list of bot messages, also when a message is refused (400, 413, 429, 503), so a
    client can always show the Dutch text. Streaming (``?stream=true``) is not offered.
    """

    def __init__(self, guard: Optional[Guard] = None) -> None:
        self.guard = guard

    @classmethod
    def name(cls) -> Text:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls()

    def blueprint(self, on_new_message: Handler) -> Blueprint:
        guard = self.guard = self.guard or Guard()
        webhook = Blueprint("wegwijs_rest", __name__)
        webhook.add_route(_health, "/", methods=["GET"])

        @webhook.route("/conversations", methods=["POST"])
        async def new_conversation(request: Request) -> HTTPResponse:
            """A new conversation: its id (``sender``) and the secret to send with each message."""
            wait = await guard.limiter.wait_seconds("", _client_ip(request))
            if wait:
                return _answer(None, chat_guard.TOO_MANY, 429, {"Retry-After": str(wait)})
            sender, secret = guard.keys.issue()
            return response.json({"sender": sender, "secret": secret}, status=201,
                                 headers={"Cache-Control": "no-store"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                body = request.json
            except Exception:  # noqa: BLE001 - not JSON
                body = None
            body = body if isinstance(body, dict) else {}
            sender = body.get("sender")
            if not chat_guard.valid_conversation_id(sender):
                return _answer(None, chat_guard.BAD_CONVERSATION, 400)
            wait = await guard.limiter.wait_seconds(sender, _client_ip(request))
            if wait:
                return _answer(sender, chat_guard.TOO_MANY, 429, {"Retry-After": str(wait)})
            if not guard.keys.check(sender, request.headers.get(chat_guard.SECRET_HEADER)):
                return _answer(None, chat_guard.NOT_YOURS, 403)
            verdict = chat_guard.inspect(body.get("message"), body.get("metadata"),
                                         guard.intents(request.app.ctx.agent))
            if verdict.refusal:
                return _answer(sender, verdict.refusal, 413 if verdict.refusal == chat_guard.TOO_LONG else 400)
            collector = CollectingOutputChannel()
            message = UserMessage(verdict.text, collector, sender, input_channel=self.name(),
                                  metadata=guard.metadata(verdict, _client_ip(request)))
            problem = await guard.process(request.app, on_new_message, message,
                                          lambda: len(collector.messages))
            if problem == chat_guard.UNAVAILABLE:
                return _answer(sender, problem, 503, {"Retry-After": "30"})
            if problem:
                collector.messages.append({"recipient_id": sender, "text": problem})
            return response.json(collector.messages)

        return webhook


def _answer(sender: Optional[str], text: str, status: int,
            headers: Optional[Dict[str, str]] = None) -> HTTPResponse:
    return response.json([{"recipient_id": sender, "text": text}], status=status, headers=headers)


def _answer_of(kwargs: Dict[str, Any]) -> Dict[str, str]:
    """``{"answer_id": …}`` when the bot message names the answer it gives (its metadata), else ``{}``."""
    value = kwargs.get(feedback.ANSWER_ID_KEY)
    return {feedback.ANSWER_ID_KEY: value} if feedback.valid_answer_id(value) else {}


class WegwijsSocketIOOutput(rasa_private.CountingSocketIOOutput):
    """Counts what it sends, sends staff messages with the staff member's name and role, and an answer
    with its id (``answer_id``, so the widget can ask whether it helped)."""

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        """One message per answer (Rasa's channel sends each paragraph as its own message): the widget
        shows the paragraphs in one bubble, with the source as a small line beneath."""
        await self.emit(recipient_id, {"text": text.strip(), **_answer_of(kwargs)})

    async def send_text_with_buttons(self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]],
                                     **kwargs: Any) -> None:
        """One message with its buttons attached (see :meth:`send_text_message`)."""
        await self.emit(recipient_id, {"text": text.strip(), "quick_replies": [
            {"content_type": "text", "title": button["title"], "payload": button["payload"]}
            for button in buttons], **_answer_of(kwargs)})

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        staff = message.get(STAFF_METADATA_KEY)
        if staff and message.get("text"):
            await self.emit(recipient_id, {"text": message["text"], "staff": staff})
            return
        await super().send_response(recipient_id, message)


class WegwijsSocketIO(SocketIOInput):
    """Rasa's socket.io channel (session persistence on) with the checks of :class:`Guard`."""

    def __init__(self, *args: Any, guard: Optional[Guard] = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.guard = guard
        self.app: Optional[Sanic] = None

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        credentials = dict(credentials or {})
        return cls(credentials.get("user_message_evt", "user_uttered"),
                   credentials.get("bot_message_evt", "bot_uttered"),
                   credentials.get("namespace"), True, credentials.get("socketio_path", "/socket.io"),
                   None, "HS256", credentials.get("metadata_key", "metadata"))

    def get_output_channel(self) -> Optional[SocketIOOutput]:
        if self.sio is None:
            return super().get_output_channel()
        return WegwijsSocketIOOutput(self.sio, self.bot_message_evt)

    def _server(self) -> Any:
        from socketio import AsyncRedisManager, AsyncServer

        redis_url = self.guard.settings.redis_url
        manager = AsyncRedisManager(redis_url, channel="wegwijs-socketio") if redis_url else None
        # Origins are checked in `connect`; CORS headers come from Rasa's --cors, so none here.
        return AsyncServer(async_mode="sanic", cors_allowed_origins=[], client_manager=manager,
                           max_http_buffer_size=256 * 1024)

    def blueprint(self, on_new_message: Handler) -> Blueprint:
        guard = self.guard = self.guard or Guard()
        sio = self.sio = self._server()
        webhook = SocketBlueprint(sio, self.socketio_path, "socketio_webhook", __name__)
        webhook.add_route(_health, "/", methods=["GET"])

        @webhook.listener("after_server_start")
        async def remember_app(app: Sanic, _loop: Any) -> None:
            self.app = app

        @sio.on("connect", namespace=self.namespace)
        async def connect(sid: Text, environ: Dict, auth: Optional[Dict] = None) -> bool:
            # Browsers send one Origin; some clients (websocket-client) add their own, joined by a comma.
            # Allowed: the schools' websites, the widget origins, and Rasa's own origin (it serves no pages).
            own = {f"{scheme}://{environ.get('HTTP_HOST')}" for scheme in ("http", "https")}
            origins = [part.strip().rstrip("/") for part in (environ.get("HTTP_ORIGIN") or "").split(",")]
            refused = [origin for origin in origins
                       if origin and origin not in guard.origins() and origin not in own]
            if refused:
                logger.warning("socket.io connection refused: origin %r is not a school website",
                               refused[0][:100])
                return False
            await sio.save_session(sid, {"ip": _client_ip(environ.get("sanic.request"))},
                                   namespace=self.namespace)
            return True

        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: Text, data: Optional[Dict]) -> None:
            # The conversation asked for, with its secret; else a new one. Only then does the socket join
            # the conversation's room, where Rasa (and staff replies) send its messages.
            data = data if isinstance(data, dict) else {}
            session_id, secret = data.get("session_id"), data.get("secret")
            if not guard.keys.check(session_id, secret):
                session_id, secret = guard.keys.issue()
            session = await sio.get_session(sid, namespace=self.namespace) or {}
            if session.get("conversation") and session["conversation"] != session_id:
                sio.leave_room(sid, session["conversation"], namespace=self.namespace)
            await sio.save_session(sid, dict(session, conversation=session_id), namespace=self.namespace)
            sio.enter_room(sid, session_id, namespace=self.namespace)
            # Rasa's clients read the id as the first argument; the widget also keeps the secret
            await sio.emit("session_confirm", (session_id, secret), room=sid, namespace=self.namespace)

        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: Text, data: Any) -> Dict[str, Any]:
            return await self._handle(sid, data if isinstance(data, dict) else {}, on_new_message)

        @sio.on(FEEDBACK_EVENT, namespace=self.namespace)
        async def handle_feedback(sid: Text, data: Any) -> Dict[str, Any]:
            return await self._feedback(sid, data)

        return webhook

    async def _feedback(self, sid: Text, data: Any) -> Dict[str, Any]:
        """A rating of an answer (:mod:`wegwijs.feedback`), for the conversation this socket joined with its
        secret; a conversation id in ``data`` is not read. Nothing is said in the chat."""
        session = await self.sio.get_session(sid, namespace=self.namespace) or {}
        conversation = session.get("conversation")
        if not chat_guard.valid_conversation_id(conversation):
            return {"status": "refused"}
        wait = await self.guard.feedback_limiter.wait_seconds(conversation, session.get("ip"))
        if wait:
            return {"status": "retry", "retry_after": wait}
        value = feedback.parse(data)
        if value is None:
            return {"status": "refused"}
        app = self.app or Sanic.get_app()
        try:
            stored = await record_feedback(app.ctx.agent, conversation, value)
        except NotStoring as error:
            logger.error("rating not stored: Rasa runs with %s instead of the SQL tracker store", error)
            return {"status": "retry", "retry_after": 30}
        except Exception as error:  # noqa: BLE001 - not stored; the widget says so, the parent may try again
            logger.error("rating not stored: %s: %s", type(error).__name__,
                         type(error.__cause__).__name__ if error.__cause__ else "-")
            return {"status": "retry", "retry_after": 30}
        return {"status": "ok" if stored else "refused"}

    async def _tell(self, sid: Text, text: str) -> None:
        await self.sio.emit(self.bot_message_evt, {"text": text}, room=sid, namespace=self.namespace)

    async def _handle(self, sid: Text, data: Dict[str, Any], on_new_message: Handler) -> Dict[str, Any]:
        guard = self.guard
        sender = data.get("session_id")
        if not chat_guard.valid_conversation_id(sender):
            await self._tell(sid, chat_guard.BAD_CONVERSATION)
            return {"status": "refused"}
        session = await self.sio.get_session(sid, namespace=self.namespace) or {}
        if session.get("conversation") != sender:  # only the conversation this socket joined with its secret
            await self._tell(sid, chat_guard.NOT_YOURS)
            return {"status": "refused"}
        wait = await guard.limiter.wait_seconds(sender, session.get("ip"))
        if wait:
            return {"status": "retry", "retry_after": wait, "text": chat_guard.TOO_MANY}
        app = self.app or Sanic.get_app()
        verdict = chat_guard.inspect(data.get("message"), data.get(self.metadata_key),
                                     guard.intents(app.ctx.agent))
        if verdict.refusal:
            await self._tell(sid, verdict.refusal)
            return {"status": "refused"}
        message_id = verdict.metadata.get(chat_guard.CLIENT_ID_KEY)
        if message_id:
            try:
                state = await guard.seen.start(sender, message_id)
            except Exception as error:  # noqa: BLE001 - Redis down: not processed, the widget resends
                logger.error("message ids unavailable: %s", type(error).__name__)
                return {"status": "retry", "retry_after": 30, "text": chat_guard.UNAVAILABLE}
            if state == "done":
                return {"status": "ok"}
            if state == "busy":
                return {"status": "retry", "retry_after": 3}
        output = WegwijsSocketIOOutput(self.sio, self.bot_message_evt)
        message = UserMessage(verdict.text, output, sender, input_channel=self.name(),
                              metadata=guard.metadata(verdict, session.get("ip")))
        problem = await guard.process(app, on_new_message, message, lambda: output.sent)
        if problem == chat_guard.UNAVAILABLE:
            if message_id:
                try:
                    await guard.seen.failed(sender, message_id)
                except Exception:  # noqa: BLE001 - the "busy" mark expires by itself
                    pass
            return {"status": "retry", "retry_after": 30, "text": problem}
        if message_id:
            try:
                await guard.seen.done(sender, message_id)
            except Exception as error:  # noqa: BLE001 - stored; a resent copy could be stored again
                logger.error("message id not remembered: %s", type(error).__name__)
        if problem:
            await output.emit(sender, {"text": problem})
        return {"status": "ok"}
