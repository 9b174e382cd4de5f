"""The Dutch sentences Wegwijs builds around content: greeting, school contacts, sources, referrals.

Pure functions, so that every wording is tested without Rasa.
"""
from __future__ import annotations

import datetime as dt
from typing import Iterable, List, Optional

from wegwijs.content import Referrals, Source
from wegwijs.schools import ROLE_LABELS, WEEKDAYS, Contact, School
from wegwijs.settings import Settings

MONTHS = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
          "september", "oktober", "november", "december")

UNKNOWN_SCHOOL_NOTE = (
    "Ik weet niet bij welke school je hoort. Daarom geef ik algemene informatie. "
    "Open de chat via de website van de school van je kind voor de namen van de mensen daar."
)


def dutch_date(day: dt.date) -> str:
    """23 november 2026."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def _join(items: List[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " en " + items[-1]


def _clock(value: str) -> str:
    hours, minutes = value.split(":")
    return f"{int(hours)}.{minutes}"


def describe_hours(contact: Contact) -> str:
    """'op dinsdag en donderdag van 8.30 tot 15.00 uur', or '' when no hours are known."""
    if not contact.hours:
        return ""
    ordered = sorted(contact.hours, key=lambda h: WEEKDAYS.index(h.day))
    days = _join([hours.day for hours in ordered])
    spans = {(hours.start, hours.end) for hours in ordered}
    if len(spans) == 1:
        start, end = spans.pop()
        return f"op {days} van {_clock(start)} tot {_clock(end)} uur"
    return f"op {days}"


def describe_reach(contact: Contact) -> str:
    """'Bel 012-3456701 of mail ib@school.example.' (what is known)."""
    parts = []
    if contact.phone:
        parts.append(f"bel {contact.phone}")
    if contact.email:
        parts.append(f"mail {contact.email}")
    if contact.url:
        parts.append(f"kijk op {contact.url}")
    if not parts:
        return ""
    sentence = " of ".join(parts)
    return sentence[0].upper() + sentence[1:] + "."


EXTERNAL_ROLES = ("jgz", "wijkteam", "attendance_officer", "samenwerkingsverband")


def contact_sentence(school: Optional[School], roles: Iterable[str]) -> str:
    """Who this school's person for ``roles`` is, when and how to reach them.

    Example: "Op Basisschool De Regenboog is dat Marieke de Vries, de intern begeleider, op dinsdag en
    donderdag van 8.30 tot 15.00 uur. Bel 012-3456701 of mail ib@deregenboog.example."
    """
    roles = list(roles)
    if not roles:
        return ""
    label = ROLE_LABELS[roles[0]]
    if school is None:
        if roles[0] in EXTERNAL_ROLES:
            return f"Vraag op school of bij je gemeente hoe je {label} bereikt."
        return (f"Wie {label} op de school van je kind is, staat meestal in de schoolgids. "
                "Je kunt het ook vragen aan de leerkracht of mentor.")
    found = school.first_contact(roles)
    if found is None:
        return (f"Op {school.name} weet ik niet wie {label} is. "
                f"Vraag het aan {school.contacts['contact_person'].name}. "
                + describe_reach(school.contacts["contact_person"]))
    role, contact = found
    if role in EXTERNAL_ROLES:
        first = f"Voor {school.name} is dat {contact.name}"
    elif contact.name.startswith(("de ", "het ")):
        first = f"Op {school.name} is dat {contact.name}"
    else:
        first = f"Op {school.name} is dat {contact.name}, {ROLE_LABELS[role]}"
    hours = describe_hours(contact)
    sentence = f"{first}, {hours}." if hours else f"{first}."
    extra = " ".join(part for part in (contact.note or "", describe_reach(contact)) if part)
    return f"{sentence} {extra}".strip()


def read_label(source: Source) -> str:
    """When the source was read and who recorded it, as much as is true: 'gelezen in oktober 2025 of
    eerder, vastgelegd in de feitenbank van Wegwijs' for the fact base (its items were read in or before
    that month), 'gelezen op 3 december 2026 door de redactie van Wegwijs' for a page read on a day."""
    parts = source.read.split("-")
    year, month = int(parts[0]), int(parts[1])
    if len(parts) == 3:
        when = f"gelezen op {dutch_date(dt.date(year, month, int(parts[2])))}"
    else:
        when = f"gelezen in {MONTHS[month - 1]} {year}" + (" of eerder" if source.fact != "search" else "")
    if source.fact == "search":
        return f"{when} door de redactie van Wegwijs"
    return f"{when}, vastgelegd in de feitenbank van Wegwijs"


def source_line(source: Source) -> str:
    """'Bron: Ouders & Onderwijs, https://… (gelezen in oktober 2025 of eerder, vastgelegd in …)'."""
    return f"Bron: {source.name}, {source.url} ({read_label(source)})"


def referral_line(referrals: Referrals, topic: str) -> str:
    """Where to get personal help with a question about compulsory measures: Jeugdstem and legal help
    with their web addresses, the jeugdbeschermer only where it fits the topic, never the school's
    contact person (``wegwijs/content/referrals.yml``)."""
    return referrals.line(topic)


def greeting(school: Optional[School], settings: Settings) -> str:
    """The first message: who we are (an automated assistant), what is stored, for how long, who reads it."""
    where = f" van {school.name}" if school else ""
    lines = [
        f"Hoi! Ik ben Wegwijs, de digitale assistent{where}. Ik ben een computerprogramma, geen mens.",
        "Ik help je de weg te vinden naar hulp en zorg via school.",
        f"Dit gesprek wordt {settings.retention_days} dagen bewaard. Een medewerker van school leest "
        "het alleen als jij daar toestemming voor geeft. "
        f"Meer hierover: {settings.privacy_url}",
        "Schrijf liever geen namen of adressen. Waar gaat je vraag over?",
    ]
    if school is None:
        lines.append(UNKNOWN_SCHOOL_NOTE)
    return "\n".join(lines)


def contact_person_reply(school: Optional[School]) -> str:
    """Who to talk to at school (before the handover to staff exists)."""
    if school is None:
        return ("Wil je met iemand praten? Neem contact op met de school van je kind. "
                "De leerkracht of mentor is meestal de eerste persoon. "
                "De telefoonnummers staan op de website van de school en in de schoolgids.")
    person = school.contacts["contact_person"]
    hours = describe_hours(person)
    when = f" Bereikbaar {hours}." if hours else ""
    return (f"Wil je met iemand praten? Op {school.name} kun je terecht bij {person.name}, "
            f"{ROLE_LABELS['contact_person']}.{when} {describe_reach(person)}").strip()
