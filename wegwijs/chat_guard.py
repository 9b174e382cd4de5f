"""What the chat channels check before a parent's message reaches Rasa (``wegwijs/channels.py``).

- **Conversation id**: present and well-formed (16–64 letters, digits, ``-`` or ``_``; the widget makes
  32 random hex characters). No shared "default" conversation, no guessable ids.
- **Text**: a string; lone surrogates and control characters are removed (PostgreSQL refuses NUL);
  at most :data:`MAX_CHARS` characters, else a clear Dutch message and nothing is processed.
- **"/"**: Rasa reads ``/intent{"slot": "value"}`` as an intent with entities, which would let typed text
  skip the NLU and set slots. Only a button click (``metadata.button``) whose payload is one the bot
  offers (a plain ``/<intent>`` of the domain, or the age buttons) passes as a payload; any other text
  starting with "/" loses its leading slashes and is read as ordinary words.
- **Metadata**: only the keys the bot uses are kept (school id, the widget's message id, the button flag).
- **Rate limits** per conversation and per IP address (fixed one-minute windows), in memory or, with
  ``WEGWIJS_REDIS_URL``, in Redis so that all Rasa processes share them.
- **Each message once**: the widget's message id is remembered (in memory or Redis) once the message is
  processed; a repeat is acknowledged without processing it again, a failed message may be sent again.
- **The conversation's secret** (:class:`ConversationKeys`): the server issues each conversation an id and
  a secret (an HMAC of the id under ``WEGWIJS_CHAT_SECRET``, 256 bits). Only with both may a client write
  to, listen to, read or erase the conversation, so knowing an id (from a log line or a shared screen)
  is not enough, and a client cannot choose its own id. IP addresses are hashed under the same key.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import secrets
import json
import logging
import re
import time
import unicodedata
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Collection, Dict, Optional, Tuple

from wegwijs.ages import BANDS

logger = logging.getLogger(__name__)

MAX_CHARS = 2000
CONVERSATION_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
SCHOOL_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
CLIENT_ID_KEY = "client_message_id"
BUTTON_KEY = "button"
#: the intent whose button carries an entity, and the entity it may carry
AGE_INTENT, AGE_ENTITY = "inform_age", "age_band"
_PAYLOAD = re.compile(r"^/([A-Za-z_][A-Za-z0-9_]*)(\{.*\})?$", re.DOTALL)
_CONTROL = {chr(code) for code in range(32) if chr(code) not in "\n\t"} | {chr(127)}

# What parents read (B1 Dutch, "je" as the rest of the chat).
TOO_LONG = (f"Je bericht is te lang: het mag hoogstens {MAX_CHARS} tekens hebben. "
            "Wil je het korter maken of in twee delen sturen?")
EMPTY = "Ik zie geen tekst in je bericht. Typ je vraag in gewone woorden."
BAD_CONVERSATION = ("Dit gesprek heeft geen geldig nummer, dus ik kan je bericht niet bewaren. "
                    "Laad de pagina opnieuw en probeer het nog eens.")
TOO_MANY = ("Je stuurt veel berichten kort na elkaar. Wacht even en probeer het over een minuut "
            "opnieuw. Bij direct gevaar: bel 112.")
UNAVAILABLE = ("Het lukt nu even niet om je bericht te verwerken. Het is niet bewaard. Probeer het over "
               "een paar minuten opnieuw. Bij direct gevaar: bel 112.")
NOT_YOURS = ("Ik kan dit gesprek niet openen: de sleutel van het gesprek ontbreekt of klopt niet. Laad de "
             "pagina opnieuw om een nieuw gesprek te beginnen. Bij direct gevaar: bel 112.")
NO_REPLY = ("Sorry, er ging iets mis aan onze kant, dus ik heb nu geen antwoord voor je. Je bericht is "
            "wel bewaard. Probeer het over een paar minuten opnieuw of neem contact op met de school. "
            "Bij direct gevaar: bel 112.")


def valid_conversation_id(value: Any) -> bool:
    """Whether ``value`` is a well-formed conversation id."""
    return isinstance(value, str) and bool(CONVERSATION_ID.fullmatch(value))


def network_name(ip: Optional[str]) -> Optional[str]:
    """The client's network as a limit counts it: the IPv4 address (also when written IPv4-mapped), or the
    IPv6 /64 (one household gets a whole /64, so counting single IPv6 addresses would count nothing).
    None when ``ip`` is not an IP address."""
    try:
        address = ipaddress.ip_address((ip or "").strip())
    except ValueError:
        return None
    if address.version == 6 and address.ipv4_mapped:
        address = address.ipv4_mapped
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


#: the HTTP header that carries the conversation's secret (never the URL: URLs end up in access logs)
SECRET_HEADER = "X-Wegwijs-Secret"
#: the HTTP header that carries the conversation id for the widget's API (not the path, for the same reason)
CONVERSATION_HEADER = "X-Wegwijs-Conversation"
MIN_KEY_CHARS = 32


class ConversationKeys:
    """Conversation ids and their secrets, and keyed hashes of IP addresses, under one server key.

    The secret of a conversation is ``HMAC-SHA256(key, id)``: every process with the key (the Rasa
    processes, the widget server) can check it without sharing state, and nobody without the key can make
    one, so only ids this server issued (:meth:`issue`) are accepted.
    """

    def __init__(self, key: Optional[str]) -> None:
        if not key or len(key) < MIN_KEY_CHARS:
            raise ValueError(f"WEGWIJS_CHAT_SECRET is needed: at least {MIN_KEY_CHARS} random characters "
                             "(make run makes one in var/secrets.env)")
        self._key = key.encode()

    def _mac(self, purpose: str, value: str) -> bytes:
        return hmac.new(self._key, f"wegwijs:{purpose}:{value}".encode(), hashlib.sha256).digest()

    def secret(self, conversation_id: str) -> str:
        """The secret of ``conversation_id`` (43 URL-safe characters, 256 bits)."""
        return base64.urlsafe_b64encode(self._mac("conversation", conversation_id)).decode().rstrip("=")

    def issue(self) -> Tuple[str, str]:
        """A new conversation: a random id (32 hex characters) and its secret."""
        conversation_id = secrets.token_hex(16)
        return conversation_id, self.secret(conversation_id)

    def check(self, conversation_id: Any, secret: Any) -> bool:
        """Whether ``secret`` belongs to ``conversation_id`` (in constant time)."""
        if not valid_conversation_id(conversation_id) or not isinstance(secret, str) or len(secret) > 128:
            return False
        return hmac.compare_digest(self.secret(conversation_id), secret)

    def hash(self, kind: str, value: str) -> str:
        """A keyed hash of ``value`` (an IP address, a counter name): not reversible without the key."""
        return self._mac(kind, value).hex()[:24]

    def network(self, ip: Optional[str], day: Optional[str] = None) -> Optional[str]:
        """A keyed hash of the client's :func:`network_name` on ``day`` (default: today, UTC). The day is
        part of the hash, so two days of one network cannot be linked."""
        network = network_name(ip)
        if network is None:
            return None
        return self.hash(f"network:{day or time.strftime('%Y-%m-%d', time.gmtime())}", network)


def clean_text(value: str) -> str:
    """``value`` without lone surrogates and control characters (new lines and tabs stay), NFC."""
    text = value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    text = "".join(char for char in text if char not in _CONTROL)
    return unicodedata.normalize("NFC", text).strip()


def clean_metadata(metadata: Any) -> Dict[str, Any]:
    """The metadata keys the bot uses, when well-formed; everything else is dropped."""
    if isinstance(metadata, str):
        try:
            metadata = json.loads(metadata)
        except ValueError:
            return {}
    if not isinstance(metadata, dict):
        return {}
    kept: Dict[str, Any] = {}
    school = metadata.get("school_id")
    if isinstance(school, str) and SCHOOL_ID.fullmatch(school):
        kept["school_id"] = school
    message_id = metadata.get(CLIENT_ID_KEY)
    if isinstance(message_id, str) and 0 < len(message_id) <= 100:
        kept[CLIENT_ID_KEY] = message_id
    if metadata.get(BUTTON_KEY) is True:
        kept[BUTTON_KEY] = True
    return kept


def allowed_payload(text: str, intents: Collection[str]) -> bool:
    """Whether ``text`` is a payload the bot's buttons use: ``/<intent>`` or an age button."""
    match = _PAYLOAD.fullmatch(text)
    if not match or match.group(1) not in intents:
        return False
    if match.group(2) is None:
        return True
    try:
        entities = json.loads(match.group(2))
    except ValueError:
        return False
    return (match.group(1) == AGE_INTENT and isinstance(entities, dict) and list(entities) == [AGE_ENTITY]
            and entities[AGE_ENTITY] in BANDS)


def disarm(text: str) -> str:
    """Text with its leading slashes removed, so Rasa reads it as words, not as an intent."""
    while text.startswith("/"):
        text = text[1:].lstrip()
    return text


@dataclass
class Verdict:
    """What to do with one incoming message: process ``text``, or answer ``refusal``."""

    text: str = ""
    metadata: Dict[str, Any] = field(default_factory=dict)
    refusal: Optional[str] = None


def inspect(raw_text: Any, raw_metadata: Any, intents: Collection[str]) -> Verdict:
    """Check one message (see the module docstring); ``intents`` are those buttons may name."""
    metadata = clean_metadata(raw_metadata)
    if not isinstance(raw_text, str):
        return Verdict(metadata=metadata, refusal=EMPTY)
    text = clean_text(raw_text)
    if len(text) > MAX_CHARS:
        return Verdict(metadata=metadata, refusal=TOO_LONG)
    if text.startswith("/") and not (metadata.get(BUTTON_KEY) and allowed_payload(text, intents)):
        text = disarm(text)
    if not text:
        return Verdict(metadata=metadata, refusal=EMPTY)
    return Verdict(text=text, metadata=metadata)


def _redis(url: str) -> Any:
    import redis.asyncio as aioredis

    return aioredis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


class RateLimiter:
    """Messages per minute per conversation and per IP address (0 = no limit).

    Counters live in memory (one process) or in Redis (``redis_url``; all processes). When Redis does not
    answer, messages are let through and a warning is logged: a parent in trouble must not be locked out
    by a broken counter. IP addresses are only kept as a keyed hash (:meth:`ConversationKeys.hash`, whose
    key is secret), for two minutes.
    """

    WINDOW = 60

    def __init__(self, per_conversation: int, per_ip: int, redis_url: Optional[str] = None, *,
                 keys: ConversationKeys, clock: Any = time.time, prefix: str = "rate") -> None:
        self.limits = {"conversation": per_conversation, "ip": per_ip}
        self.clock = clock
        self.keys = keys  # the same key in every process, so that they count together in Redis
        self.prefix = prefix
        self._redis = _redis(redis_url) if redis_url else None
        self._counts: "OrderedDict[Tuple[str, str, int], int]" = OrderedDict()

    def _key(self, kind: str, value: str) -> str:
        return self.keys.hash(f"{self.prefix}:{kind}", value)

    async def wait_seconds(self, conversation_id: str, ip: Optional[str]) -> int:
        """0 when the message may go on, else the seconds until the current window ends."""
        now = self.clock()
        window = int(now // self.WINDOW)
        for kind, value in (("conversation", conversation_id), ("ip", ip or "")):
            limit = self.limits[kind]
            if not limit or not value:
                continue
            count = await self._count(kind, self._key(kind, value), window)
            if count > limit:
                return max(1, int((window + 1) * self.WINDOW - now))
        return 0

    async def _count(self, kind: str, key: str, window: int) -> int:
        if self._redis is None:
            slot = (kind, key, window)
            self._counts[slot] = self._counts.get(slot, 0) + 1
            while self._counts and next(iter(self._counts))[2] < window:
                self._counts.popitem(last=False)
            return self._counts[slot]
        name = f"wegwijs:{self.prefix}:{kind}:{key}:{window}"
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                count, _ = await pipe.incr(name).expire(name, 2 * self.WINDOW).execute()
            return int(count)
        except Exception as error:  # noqa: BLE001 - any Redis failure: let the message through
            logger.warning("rate limit counter unavailable (%s); message let through", type(error).__name__)
            return 0


class SeenMessages:
    """Message ids of the widget: ``start`` before processing, ``done`` or ``failed`` after.

    ``start`` answers "new" (process it), "done" (processed before: acknowledge, do not process) or
    "busy" (another copy is being processed right now: send again later). In memory a bounded number of
    ids is kept; in Redis each id for a day.
    """

    SIZE = 50_000
    DONE_SECONDS = 24 * 3600
    BUSY_SECONDS = 120

    def __init__(self, redis_url: Optional[str] = None) -> None:
        self._redis = _redis(redis_url) if redis_url else None
        self._state: "OrderedDict[Tuple[str, str], str]" = OrderedDict()

    @staticmethod
    def _name(conversation_id: str, message_id: str) -> str:
        digest = hashlib.sha256(f"{conversation_id}\0{message_id}".encode()).hexdigest()[:32]
        return f"wegwijs:seen:{digest}"

    async def start(self, conversation_id: str, message_id: str) -> str:
        """Mark the message as being processed, unless it was processed or is being processed."""
        if self._redis is not None:
            name = self._name(conversation_id, message_id)
            if await self._redis.set(name, "busy", nx=True, ex=self.BUSY_SECONDS):
                return "new"
            state = await self._redis.get(name)
            return "done" if state == b"done" else "busy"
        key = (conversation_id, message_id)
        state = self._state.get(key)
        if state is not None:
            self._state.move_to_end(key)
            return state
        self._state[key] = "busy"
        while len(self._state) > self.SIZE:
            self._state.popitem(last=False)
        return "new"

    async def done(self, conversation_id: str, message_id: str) -> None:
        """The message was processed and stored."""
        if self._redis is not None:
            await self._redis.set(self._name(conversation_id, message_id), "done", ex=self.DONE_SECONDS)
        else:
            self._state[(conversation_id, message_id)] = "done"

    async def failed(self, conversation_id: str, message_id: str) -> None:
        """The message was not processed; a copy sent later will be."""
        if self._redis is not None:
            await self._redis.delete(self._name(conversation_id, message_id))
        else:
            self._state.pop((conversation_id, message_id), None)
