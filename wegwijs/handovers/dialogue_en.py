"""The English texts of the handover conversation (the counterpart of :mod:`wegwijs.handovers.dialogue`).

The same names as the Dutch module, so the handover actions pick the module for the conversation's
language (:func:`for_language`). Parsing (stop, class, consent, contact method) lives in the Dutch
module and understands both languages.
"""
from __future__ import annotations

from types import ModuleType
from typing import Optional

from wegwijs.handovers.contact import display_phone
from wegwijs.handovers.dialogue import NO, UNKNOWN_CLASS, YES  # noqa: F401 - the same values
from wegwijs.handovers.routing import Route
from wegwijs.schools import School

LANGUAGE = "en"


def intro(school: School) -> str:
    return (f"I can send your question to the right person at {school.name}. First a few short questions. "
            "Then I ask whether you agree that I share your question. Type 'stop' if you want to stop.")


ASK_QUESTION = ("What would you like to ask or tell? Write it in a few sentences. "
                "Names and addresses are not needed.")
QUESTION_TOO_SHORT = "Could you write your question a little more fully? One or two sentences is enough."


def ask_class(school: School) -> str:
    if school.type in ("po", "so"):
        return "Which groep (year group) is your child in? For example: groep 5."
    return "Which class is your child in? For example: 2 havo or brugklas (first year)."


CLASS_NOT_UNDERSTOOD = ("I do not understand that. Type only the groep or class, for example 'groep 5' or "
                        "'3 vmbo'. Or choose \"I'd rather not say\".")
ASK_METHOD = "How would you like to get an answer?"
METHOD_NOT_UNDERSTOOD = "Choose how you want an answer: here in the chat, by phone or by e-mail."
ASK_PHONE = "Which phone number may they call? For example: 06-12345678."
ASK_EMAIL = "Which e-mail address do you want the answer at? For example: name@example.com."
PHONE_INVALID = ("That does not look like a valid Dutch phone number. Type 10 digits, for example "
                 "06-12345678 or 030-1234567. Or type 'chat' to get the answer here.")
EMAIL_INVALID = ("That does not look like a valid e-mail address. Type it like this: name@example.com. "
                 "Or type 'chat' to get the answer here.")
CONSENT_NOT_UNDERSTOOD = "May I send your question? Choose 'Yes, send it' or 'No, do not send'."
CONSENT_QUESTION = "Do you agree that I share this?"
METHOD_BUTTONS = [
    {"title": "Here in the chat", "payload": "chat"},
    {"title": "Call me", "payload": "telefoon"},
    {"title": "E-mail me", "payload": "e-mail"},
]
CLASS_BUTTONS = [{"title": "I'd rather not say", "payload": "zeg ik liever niet"}]
CONSENT_BUTTONS = [
    {"title": "Yes, send it", "payload": "/affirm"},
    {"title": "No, do not send", "payload": "/deny"},
]


def how_contact(method: str, detail: Optional[str]) -> str:
    """'here in the chat', 'by calling you on 06-12345678', 'by e-mail to a@b.nl'."""
    if method == "phone" and detail:
        return f"by calling you on {display_phone(detail)}"
    if method == "email" and detail:
        return f"by e-mail to {detail}"
    return "here in the chat"


def _cap(text: str) -> str:
    return text[0].upper() + text[1:]


def consent_question(route: Route, school: School, method: str, detail: Optional[str], when: str) -> str:
    """The explicit consent question: what is shared, with whom, how they make contact."""
    lines = [
        f"I would like to send your question to {route.who('en')} at {school.name}. {route.reason_in('en')}",
        "What I share: a short summary (the topic, your child's groep or class and your question) and "
        "this chat conversation. The school reads it in Dutch and English as you wrote it.",
        f"{_cap(route.who('en'))} will contact you {how_contact(method, detail)}.",
    ]
    if when:
        lines.append(when)
    lines.append(CONSENT_QUESTION)
    return "\n\n".join(lines)


def handed_over(route: Route, school: School, method: str, detail: Optional[str], when: str,
                retention_days: int) -> str:
    """After consent: where the question is now and what happens next."""
    lines = [f"Your question is now with {route.who('en')} at {school.name}."]
    if method == "chat":
        lines.append("The answer will come here in the chat. You may close this window: when you come back "
                     "to the school's website later, the answer will be here.")
    else:
        lines.append(f"{_cap(route.who('en'))} will contact you {how_contact(method, detail)}.")
    lines[-1] += f" The conversation is kept for {retention_days} days after your question is closed."
    if when:
        lines.append(when)
    lines.append("Until then you can ask me other questions. Is there danger now? Call 112.")
    return "\n\n".join(lines)


def not_shared(route: Optional[Route], school: School, reach: str) -> str:
    """No consent: nothing is shared; the direct contact details instead."""
    who = route.who("en") if route else school.contacts["contact_person"].name
    return f"Okay, I will not send anything. You can contact {who} at {school.name} yourself. {reach}".strip()


ALREADY_OPEN = ("Your question is already with {who}. As soon as they have read it, you get an answer "
                "{how}. Want to add something? Write it here; it is added to your question in the conversation.")
FAILED = ("I cannot send your question right now. Nothing has been lost, but please contact the school "
          "yourself. {reach}")


HELP_LINES = ("Is there danger right now? Call 112. Violence or abuse at home: Veilig Thuis 0800-2000 (free, day and "
              "night). Thoughts of suicide: 113 or 0800-0113 (free). For children: De Kindertelefoon 0800-0432.")


def capped(cap: str, school: School, reach: str) -> str:
    """A new handover would pass a cap: nothing is sent, and where the question can go instead."""
    if cap == "conversation":
        lines = [f"You have already sent questions to {school.name} through this chat today. The school has "
                 "received them and will answer them. I do not send more questions today: this question has "
                 "not been sent.",
                 f"Do you want to ask or add something? Please contact the school yourself. {reach}".strip()]
    else:
        lines = ["Many questions have just come in at the same time, so I cannot send your question right now; "
                 "it has not been sent and nothing has been shared.",
                 f"Please try again in an hour, or contact {school.name} yourself. {reach}".strip()]
    return "\n\n".join(lines + [HELP_LINES])


def for_language(language: str) -> ModuleType:
    """The handover texts for a conversation's language."""
    import sys

    from wegwijs.handovers import dialogue

    return sys.modules[__name__] if language == "en" else dialogue
