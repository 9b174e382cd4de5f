"""The English sentences Wegwijs builds around content (the counterpart of :mod:`wegwijs.replies`).

The same functions and phrases as the Dutch module, so an action picks the module for the
conversation's language (:func:`wegwijs.replies.for_language`) and says the same things in English.
Names of Dutch organisations and roles stay in Dutch (parents meet them in letters), with a gloss.
"""
from __future__ import annotations

import datetime as dt
from typing import Iterable, Optional

from wegwijs import replies as _replies
from wegwijs.content import Referrals, Source
from wegwijs.schools import WEEKDAYS, Contact, School
from wegwijs.settings import Settings

LANGUAGE = "en"
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")
DAYS = dict(zip(WEEKDAYS, ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")))
ROLE_LABELS = {
    "contact_person": "the contact person for parents",
    "teacher": "the teacher",
    "mentor": "the mentor",
    "intern_begeleider": "the intern begeleider (the school's care coordinator)",
    "zorgcoordinator": "the zorgcoördinator (the school's care coordinator)",
    "school_social_worker": "the school social worker",
    "jgz": "the jeugdgezondheidszorg (GGD, youth health care)",
    "wijkteam": "the wijkteam (local social care team)",
    "attendance_officer": "the leerplichtambtenaar (school attendance officer)",
    "samenwerkingsverband": "the samenwerkingsverband (regional partnership of schools for special needs)",
    "vertrouwenspersoon": "the vertrouwenspersoon (confidential adviser)",
    "pestcoordinator": "the pestcoördinator (anti-bullying coordinator)",
}
EXTERNAL_ROLES = ("jgz", "wijkteam", "attendance_officer", "samenwerkingsverband")

MORE_QUESTION = "Do you want to know more?"
MORE_BUTTONS = [{"title": "Tell me more", "payload": "/more_info"},
                {"title": "Talk to someone", "payload": "/talk_to_human"}]
TALK_BUTTON = {"title": "Talk to someone", "payload": "/talk_to_human"}
OTHER_BUTTON = {"title": "Something else", "payload": "/deny"}
AGE_BUTTONS = [
    {"title": "Under 12", "payload": '/inform_age{"age_band": "age_under_12"}'},
    {"title": "12 to 15", "payload": '/inform_age{"age_band": "age_12_15"}'},
    {"title": "16 or 17", "payload": '/inform_age{"age_band": "age_16_plus"}'},
    {"title": "I'd rather not say", "payload": "/deny"},
]
CHOOSE_TEXT = "I am not sure what you mean. Do you mean one of these?"
CHOOSE_TOPIC_TEXT = CHOOSE_TEXT
REPHRASE = ("Sorry, I do not understand that well. Could you say it another way? For example: "
            "'Who is the intern begeleider?' or 'My child has been at home for weeks.'")
STILL_NOT_UNDERSTOOD = "I still do not understand your question. A person at school can help you better."
WHICH_TOPIC = "What is your question about? Ask it in your own words, for example: 'Can I object to the OPP?'"
MORE_WHICH = "What would you like to know more about? Ask your question in your own words."
OVERVIEW_TITLE = "General explanation: {title}"


def age_first(age_part: str) -> str:
    """The sentence after an answer that holds at any age (the English ``age_part`` is given)."""
    return f"Part of this depends on your child's age: {age_part}. How old is your child?"


def assumed_age(label: str) -> str:
    """The line before an age-specific answer."""
    return f"I assume a child {label}. Not right? Then type the age."


AGE_LABELS = {"age_under_12": "under 12 years old", "age_12_15": "of 12 to 15 years old",
              "age_16_plus": "of 16 or 17 years old"}
AGE_NOT_UNDERSTOOD = "I do not understand the age. Please type only the number, for example: 13."
ADULT = ("Is your child 18 or older? Then your child is an adult and other rules apply. "
         "Ask Het Juridisch Loket (free legal advice) or a lawyer.")


def age_remembered(label: str) -> str:
    """Thanks for the age when no answer waits for it."""
    return f"Thank you. I will remember that your child is {label}."


def followup_unknown(title: str) -> str:
    """A follow-up our content has no answer to: say so, then who can help."""
    return (f"I have no separate answer to that question about '{title}'. "
            "A person can tell you more.")


def describe_hours(contact: Contact) -> str:
    """'on Tuesday and Thursday from 08:30 to 15:00', or '' when no hours are known."""
    return _replies.describe_hours(contact, DAYS, ("on", "from", "to"), clock=str, unit="")


def describe_reach(contact: Contact) -> str:
    """'Call 012-3456701 or e-mail ib@school.example.' (what is known)."""
    return _replies.describe_reach(contact, ("call", "e-mail", "see", "or"))


def contact_sentence(school: Optional[School], roles: Iterable[str]) -> str:
    """Who this school's person for ``roles`` is, when and how to reach them (names stay as written)."""
    roles = list(roles)
    if not roles:
        return ""
    label = ROLE_LABELS[roles[0]]
    if school is None:
        if roles[0] in EXTERNAL_ROLES:
            return f"Ask the school or your gemeente (municipality) how to reach {label}."
        return (f"The name of {label} at your child's school is usually in the schoolgids (school guide). "
                "You can also ask the teacher or mentor.")
    found = school.first_contact(roles)
    if found is None:
        person = school.contacts["contact_person"]
        return (f"At {school.name} I do not know who {label} is. Ask {person.name}. "
                + describe_reach(person)).strip()
    role, contact = found
    first = f"For {school.name} this is {contact.name}" if role in EXTERNAL_ROLES else (
        f"At {school.name} this is {contact.name}, {ROLE_LABELS[role]}")
    hours = describe_hours(contact)
    sentence = f"{first}, {hours}." if hours else f"{first}."
    return f"{sentence} {describe_reach(contact)}".strip()


def read_label(source: Source) -> str:
    """When the source was read, as much as is true (see :func:`wegwijs.replies.read_label`)."""
    parts = source.read.split("-")
    year, month = int(parts[0]), int(parts[1])
    if len(parts) == 3:
        day = dt.date(year, month, int(parts[2]))
        when = f"read on {day.day} {MONTHS[month - 1]} {year}"
    else:
        when = f"read in {MONTHS[month - 1]} {year}" + (" or earlier" if source.fact != "search" else "")
    if source.fact == "search":
        return f"{when} by the Wegwijs editors"
    return f"{when}, recorded in the Wegwijs fact base"


def source_line(source: Source) -> str:
    """'Source (in Dutch): Ouders & Onderwijs, https://… (read in October 2025 or earlier, …)'."""
    return f"Source (in Dutch): {source.name}, {source.url} ({read_label(source)})"


REFERRAL_TEXTS = {
    "jeugdstem": "Jeugdstem, free confidential advisers for parents and children in youth care (https://jeugdstem.nl)",
    "legal": "a lawyer, or free legal advice from Het Juridisch Loket (https://www.juridischloket.nl)",
}


def referral_line(referrals: Referrals, topic: str) -> str:
    """Where to get personal help with a question about compulsory measures (the parts of
    ``wegwijs/content/referrals.yml``, in English)."""
    texts = [REFERRAL_TEXTS[key] for key in referrals.parts]
    line = "Personal help: " + "; or ".join(texts) + "."
    if topic in referrals.with_jeugdbeschermer:
        line += " You can also ask your jeugdbeschermer (child protection worker)."
    return line


def greeting(school: Optional[School], settings: Settings) -> str:
    """The first message in English."""
    where = f" of {school.name}" if school else ""
    lines = [
        f"Hi! I am Wegwijs, the digital assistant{where}. I am a computer program, not a person.",
        "I help you find help and care through school.",
        f"This conversation is kept for {settings.retention_days} days. Someone from school only reads it "
        f"if you give permission. More about this (in Dutch): {settings.privacy_url}",
        "Please do not write names or addresses. What is your question about?",
    ]
    if school is None:
        lines.append("I do not know which school you belong to, so I give general information. Open the "
                     "chat on the website of your child's school for the names of the people there.")
    return "\n".join(lines)


def contact_person_reply(school: Optional[School]) -> str:
    """Who to talk to at school."""
    if school is None:
        return ("Do you want to talk to someone? Contact your child's school. The teacher or mentor is "
                "usually the first person. The phone numbers are on the school's website and in the "
                "schoolgids (school guide).")
    person = school.contacts["contact_person"]
    hours = describe_hours(person)
    when = f" Available {hours}." if hours else ""
    return (f"Do you want to talk to someone? At {school.name} you can go to {person.name}, "
            f"{ROLE_LABELS['contact_person']}.{when} {describe_reach(person)}").strip()


def privacy_answer(kind: str, settings: Settings) -> str:
    """A question about this chat itself (see :func:`wegwijs.replies.privacy_answer`), in English."""
    texts = {
        "who_reads": (
            "Someone from school only reads your conversation if you give permission in the chat. Without "
            "your permission we share nothing with the school. The Wegwijs maintainers only use "
            "conversations to improve the assistant, and only after names, addresses and numbers have been "
            "taken out. Every time a staff member reads a conversation you sent, this is recorded."),
        "retention": (
            f"A conversation is deleted automatically when nothing has been said in it for "
            f"{settings.retention_days} days. When the conversation has been quiet for a while, we already "
            "take personal details such as names and phone numbers out of the stored messages. Did you send "
            f"your question to the school? Then we delete its content {settings.handover_retention_days} "
            "days after your question was closed."),
        "delete": (
            "Yes. Press 'Gesprek verwijderen' (delete conversation) in the chat. We then delete the whole "
            "conversation at once, also a question you sent to the school. Has a staff member already read "
            "your question? Then that person still knows it. Call or e-mail the school if you want to "
            "discuss that too."),
        "anonymous": (
            "You do not have to give your name. We do not ask for your name or address. Please do not write "
            "names, addresses or phone numbers in the chat. We do keep the messages and the name of the "
            "school. Your browser remembers a code for the conversation, so you can continue after "
            "reloading the page. Do you want the school to call you back? Then I ask your permission first."),
        "general": (
            "We keep the messages of this conversation and the name of the school, not your name or address. "
            f"After {settings.retention_days} days without new messages the conversation is deleted. "
            "Someone from school only reads it if you give permission. You can always delete the "
            "conversation yourself with the button 'Gesprek verwijderen'."),
    }
    return f"{texts[kind]}\n\nMore about this (in Dutch): {settings.privacy_url}"


OTHER_LANGUAGE = (
    "Ik antwoord in het Nederlands en in het Engels. / I answer in Dutch and in English.\n\n"
    "Stel je vraag in eenvoudig Nederlands of in het Engels. / Please ask in simple Dutch or in English.\n\n"
    "{contact}\n\n"
    "Ouders & Onderwijs helpt ouders gratis met vragen over school / helps parents with questions about "
    "school, for free: 0800-5010, https://www.oudersonderwijs.nl/over-ons/\n\n"
    "Gevaar? Bel 112. / Danger? Call 112."
)
