"""Staff messages into the parent's chat through Rasa's HTTP API (``rasa run --enable-api``).

Rasa appends the events to the conversation and, with ``output_channel=latest`` and
``execute_side_effects=true``, sends bot messages over the channel the parent last used. With the
socket.io channel this reaches the parent's open chat (``session_persistence: true`` in
credentials.yml). ``pause`` keeps the bot quiet while staff handle the conversation (Rasa's
ConversationPaused); ``resume`` gives the conversation back to the bot.
"""
from __future__ import annotations

import datetime as dt
import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Dict, List, Optional

STAFF_METADATA_KEY = "wegwijs_staff"
JWT_LIFETIME_SECONDS = 60


class RasaUnavailable(RuntimeError):
    """Rasa could not be reached or refused the request (message in Dutch, for staff)."""


class RasaClient:
    """A small client of Rasa's HTTP API, authenticated with a short-lived JWT.

    Rasa runs with ``--jwt-secret`` (HS256); each request carries a fresh token in the Authorization
    header. (Rasa's ``--auth-token`` only works as a ``?token=`` query parameter, and secrets do not
    belong in URLs, which end up in logs.)
    """

    def __init__(self, base_url: str, jwt_secret: Optional[str], timeout: float = 15) -> None:
        self.base_url = base_url.rstrip("/")
        self.jwt_secret = jwt_secret
        self.timeout = timeout

    def _jwt(self) -> str:
        import jwt

        now = dt.datetime.now(dt.timezone.utc)
        payload = {"user": {"username": "wegwijs-portal", "role": "admin"}, "iat": now,
                   "exp": now + dt.timedelta(seconds=JWT_LIFETIME_SECONDS)}
        return jwt.encode(payload, self.jwt_secret, algorithm="HS256")

    def _post(self, path: str, body: Any, params: Dict[str, str]) -> Any:
        query = dict(params)
        url = f"{self.base_url}{path}?{urllib.parse.urlencode(query)}"
        headers = {"Content-Type": "application/json"}
        if self.jwt_secret:
            headers["Authorization"] = f"Bearer {self._jwt()}"
        request = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers,
                                         method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            raise RasaUnavailable(f"De chat weigerde het bericht (HTTP {exc.code}).") from exc
        except OSError as exc:
            raise RasaUnavailable("De chat is nu niet bereikbaar. Probeer het zo opnieuw.") from exc

    def append(self, conversation_id: str, events: List[Dict[str, Any]]) -> None:
        """Append events and send bot messages to the parent's latest channel."""
        path = f"/conversations/{urllib.parse.quote(conversation_id, safe='')}/tracker/events"
        self._post(path, events, {"output_channel": "latest", "execute_side_effects": "true",
                                  "include_events": "NONE"})

    def pause(self, conversation_id: str) -> None:
        self.append(conversation_id, [{"event": "pause"}])

    def resume(self, conversation_id: str) -> None:
        self.append(conversation_id, [{"event": "resume"}])

    def say(self, conversation_id: str, text: str, name: str, role_label: str,
            before: Optional[List[Dict[str, Any]]] = None) -> None:
        """A staff message: the parent sees '<name> (<role>): <text>'."""
        heading = f"{name} ({role_label})"
        event = {"event": "bot", "text": f"{heading}: {text}",
                 "metadata": {STAFF_METADATA_KEY: {"name": name, "role": role_label}}}
        self.append(conversation_id, list(before or []) + [event])
