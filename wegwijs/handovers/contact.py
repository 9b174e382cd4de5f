"""Contact details a parent types: how they want an answer, and a phone number or e-mail address."""
from __future__ import annotations

import re
from typing import Optional

from wegwijs.pii import EMAIL_IN_TEXT, PHONE_IN_TEXT
from wegwijs.safety import fold

#: Words that choose a way of contact (folded, no accents).
_METHOD_WORDS = {
    "chat": ("chat", "hier", "deze chat", "in de chat", "via de chat", "typen", "online", "here",
             "in this chat"),
    "phone": ("bel", "bellen", "telefoon", "telefonisch", "tel", "mobiel", "nummer", "opbellen",
              "gebeld", "call", "call me", "phone", "ring"),
    "email": ("mail", "email", "e-mail", "e mail", "mailen", "gemaild", "mailtje"),
}
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_EMAIL = re.compile(rf"^[A-Za-z0-9_%+'-]+(?:\.[A-Za-z0-9_%+'-]+)*@{_LABEL}(?:\.{_LABEL})*\.[A-Za-z]{{2,}}$")


def parse_method(text: str) -> Optional[str]:
    """'chat', 'phone' or 'email' from what the parent typed (or a button), or None."""
    folded = fold(text or "").strip(" ./!?")
    if folded in ("chat", "phone", "email"):
        return folded
    if EMAIL_IN_TEXT.search(text or ""):
        return "email"
    found = [method for method, words in _METHOD_WORDS.items()
             if any(re.search(rf"\b{re.escape(word)}\b", folded) for word in words)]
    return found[0] if len(found) == 1 else None


def normalize_phone(text: str) -> Optional[str]:
    """A Dutch phone number as digits (0612345678, 0301234567) or +<country>…, else None.

    Accepts spaces, dashes, dots and brackets, +31 / 0031 and (0) after the country code.
    """
    match = PHONE_IN_TEXT.search(text or "")
    if not match:
        return None
    raw = match.group(0)
    digits = re.sub(r"\D", "", raw.replace("(0)", ""))
    if raw.startswith("+") or raw.startswith("00"):
        digits = digits[2:] if raw.startswith("00") else digits
        if digits.startswith("31"):
            digits = "0" + digits[2:].lstrip("0")  # "+31 06 …" also happens
        else:
            return "+" + digits if 10 <= len(digits) <= 15 else None
    if len(digits) != 10 or not digits.startswith("0") or digits[1] == "0":
        return None
    return digits


def normalize_email(text: str) -> Optional[str]:
    """The e-mail address in ``text`` (lower-cased domain), or None."""
    match = EMAIL_IN_TEXT.search(text or "")
    if not match or not _EMAIL.match(match.group(0)):
        return None
    local, domain = match.group(0).rsplit("@", 1)
    return f"{local}@{domain.lower()}"


def display_phone(digits: str) -> str:
    """06-12345678 / 030-1234567 for reading back to the parent."""
    if digits.startswith("+"):
        return digits
    if digits.startswith("06"):
        return f"{digits[:2]}-{digits[2:]}"
    return f"{digits[:3]}-{digits[3:]}"
