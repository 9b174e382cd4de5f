"""Rasa's socket.io channel with two additions for the widget (credentials.yml names this class).

- **Each message once**: the widget gives every message a client id (``metadata.client_message_id``)
  and sends it again after a lost connection until the server acknowledges it. A message id seen
  before for the same conversation is not processed twice. (The acknowledgement is socket.io's own:
  Rasa's handler returns after the message is processed and stored.)
- **Staff messages carry the staff member**: bot messages that the staff portal sends through Rasa's
  HTTP API (``output_channel=latest``) reach the chat as ``{"text": …, "staff": {"name", "role"}}``,
  so the widget can show who is writing.

The channel keeps Rasa's name ``socketio``, so ``output_channel=latest`` finds it.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from sanic import Blueprint

from wegwijs.handovers.live import STAFF_METADATA_KEY

CLIENT_ID_KEY = "client_message_id"
MAX_REMEMBERED = 50_000


class SeenMessages:
    """The most recent (conversation, client message id) pairs, bounded."""

    def __init__(self, size: int = MAX_REMEMBERED) -> None:
        self.size = size
        self._seen: "OrderedDict[tuple, None]" = OrderedDict()

    def first_time(self, conversation_id: str, message_id: str) -> bool:
        key = (conversation_id, message_id)
        if key in self._seen:
            self._seen.move_to_end(key)
            return False
        self._seen[key] = None
        if len(self._seen) > self.size:
            self._seen.popitem(last=False)
        return True


def client_message_id(metadata: Optional[Dict[str, Any]]) -> Optional[str]:
    """The widget's id of a message, if it is a sensible one."""
    value = (metadata or {}).get(CLIENT_ID_KEY) if isinstance(metadata, dict) else None
    if isinstance(value, str) and 0 < len(value) <= 100:
        return value
    return None


class WegwijsSocketIOOutput(SocketIOOutput):
    """Sends staff messages with the staff member's name and role."""

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        staff = message.get(STAFF_METADATA_KEY)
        if staff and message.get("text"):
            await self._send_message(recipient_id, {"text": message["text"], "staff": staff})
            return
        await super().send_response(recipient_id, message)


class WegwijsSocketIO(SocketIOInput):
    """socket.io with exactly-once processing of widget messages and staff names on staff messages."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.seen = SeenMessages()

    def get_output_channel(self) -> Optional[SocketIOOutput]:
        if self.sio is None:
            return super().get_output_channel()
        return WegwijsSocketIOOutput(self.sio, self.bot_message_evt)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        async def once(message: UserMessage) -> None:
            message_id = client_message_id(message.metadata)
            if message_id and not self.seen.first_time(message.sender_id, message_id):
                return
            await on_new_message(message)

        return super().blueprint(once)
