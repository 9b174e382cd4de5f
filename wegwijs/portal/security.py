"""Passwords (argon2), session tokens, CSRF tokens, keyed hashes of client addresses and the check that
the portal secret is real."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Optional

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from wegwijs.chat_guard import network_name

_HASHER = PasswordHasher()
#: Verified against for unknown accounts, so a wrong e-mail takes as long as a wrong password.
_DUMMY_HASH = _HASHER.hash("wegwijs-dummy-password-for-timing")
MIN_SECRET_LENGTH = 32
MIN_PASSWORD_LENGTH = 12
KNOWN_DEFAULT_SECRETS = {"change-me", "changeme", "secret", "wegwijs", "development", "dev",
                         "please-change-me", "insecure", "default", "test", "password"}


class InsecureSecret(RuntimeError):
    """The portal secret is missing, short or a known default."""


def check_secret(secret: Optional[str]) -> str:
    """The secret if it is fit for use; else :class:`InsecureSecret` with the reason."""
    if not secret:
        raise InsecureSecret("WEGWIJS_PORTAL_SECRET is not set. Generate one with: "
                             "python -c 'import secrets; print(secrets.token_urlsafe(48))'")
    if secret.strip().lower() in KNOWN_DEFAULT_SECRETS or "change" in secret.lower():
        raise InsecureSecret("WEGWIJS_PORTAL_SECRET is a default value; generate a random one")
    if len(secret) < MIN_SECRET_LENGTH or len(set(secret)) < 10:
        raise InsecureSecret(f"WEGWIJS_PORTAL_SECRET must be at least {MIN_SECRET_LENGTH} random "
                             "characters")
    return secret


def hash_password(password: str) -> str:
    """An argon2id hash."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    return _HASHER.hash(password)


def verify_password(password_hash: Optional[str], password: str) -> bool:
    """Whether ``password`` matches; also spends the time of a check when there is no account."""
    try:
        return _HASHER.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    """A random token for a cookie or a form."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What is stored of a session token."""
    return hashlib.sha256(token.encode()).hexdigest()


def login_form_token(secret: str, cookie_token: str) -> str:
    """The login form's CSRF field, bound to the pre-login cookie by an HMAC with the secret."""
    return hmac.new(secret.encode(), f"login:{cookie_token}".encode(), hashlib.sha256).hexdigest()


def invitation_form_token(secret: str, cookie_token: str) -> str:
    """The CSRF field of the form behind an invitation or password link (the visitor has no session yet),
    bound to the pre-login cookie like :func:`login_form_token`, for another purpose."""
    return hmac.new(secret.encode(), f"invitation:{cookie_token}".encode(), hashlib.sha256).hexdigest()


def address_key(secret: str, address: Optional[str]) -> str:
    """What the login throttle stores of a client address: an HMAC with the portal secret, never the
    address itself. An IPv6 address counts as its /64 network (:func:`wegwijs.chat_guard.network_name`)."""
    network = network_name(address) or address or "unknown"
    return hmac.new(secret.encode(), f"login-address:{network}".encode(), hashlib.sha256).hexdigest()


def same(a: Optional[str], b: Optional[str]) -> bool:
    """Constant-time comparison of two optional strings."""
    if not a or not b:
        return False
    return hmac.compare_digest(a.encode(), b.encode())
