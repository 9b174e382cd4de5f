"""The Dutch sentences Wegwijs builds around content: greeting, school contacts, sources, referrals.

Pure functions, so that every wording is tested without Rasa.
"""
from __future__ import annotations

import datetime as dt
from typing import Iterable, List, Optional, Tuple

from types import ModuleType

from wegwijs import ages
from wegwijs.content import Referrals, Source
from wegwijs.schools import ROLE_LABELS, WEEKDAYS, Contact, School
from wegwijs.settings import Settings

LANGUAGE = "nl"
MORE_QUESTION = "Wil je meer weten?"
MORE_BUTTONS = [{"title": "Meer weten", "payload": "/more_info"},
                {"title": "Met iemand praten", "payload": "/talk_to_human"}]
TALK_BUTTON = {"title": "Met iemand praten", "payload": "/talk_to_human"}
OTHER_BUTTON = {"title": "Iets anders", "payload": "/deny"}
AGE_BUTTONS = [
    {"title": "Jonger dan 12", "payload": '/inform_age{"age_band": "age_under_12"}'},
    {"title": "12 tot 16", "payload": '/inform_age{"age_band": "age_12_15"}'},
    {"title": "16 of 17", "payload": '/inform_age{"age_band": "age_16_plus"}'},
    {"title": "Zeg ik liever niet", "payload": "/deny"},
]
#: "Bedoel je…?"; `wegwijs retrain export` recognises it (in each language) to record the parent's choice.
CHOOSE_TEXT = "Ik weet niet zeker wat je bedoelt. Bedoel je een van deze vragen?"
CHOOSE_TOPIC_TEXT = "Ik weet niet zeker wat je bedoelt. Bedoel je een van deze onderwerpen?"
REPHRASE = ("Sorry, dat begrijp ik niet goed. Kun je het anders zeggen? Bijvoorbeeld: "
            "'Wie is de intern begeleider?' of 'Mijn kind zit al weken thuis.'")
STILL_NOT_UNDERSTOOD = "Ik begrijp je vraag nog steeds niet. Een mens van school kan je beter helpen."
WHICH_TOPIC = "Waar gaat je vraag over? Stel hem in je eigen woorden, bijvoorbeeld: 'Mag ik bezwaar maken tegen het OPP?'"
MORE_WHICH = "Waar wil je meer over weten? Stel je vraag gerust in je eigen woorden."
OVERVIEW_TITLE = "Algemene uitleg: {title}"
AGE_LABELS = ages.LABELS
AGE_NOT_UNDERSTOOD = "Ik begrijp de leeftijd niet goed. Typ alleen het getal, bijvoorbeeld: 13."
ADULT = ("Is je kind 18 of ouder? Dan is het volwassen en gelden andere regels. "
         "Vraag het na bij Het Juridisch Loket of een advocaat.")


def age_first(age_part: str) -> str:
    """The sentence after an answer that holds at any age: what depends on the age, and the question."""
    return f"Een deel hangt af van de leeftijd van je kind: {age_part}. Hoe oud is je kind?"


def assumed_age(label: str) -> str:
    """The line before an age-specific answer."""
    return f"Ik ga uit van een kind {label}. Klopt dat niet? Typ dan de leeftijd."


def age_remembered(label: str) -> str:
    """Thanks for the age when no answer waits for it."""
    return f"Dank je. Ik onthoud dat je kind {label} is."


def followup_unknown(title: str) -> str:
    """A follow-up our content has no answer to: say so, then who can help."""
    return f"Op die vraag over '{title}' heb ik geen apart antwoord. Een mens kan je daar meer over vertellen."


def other_language_reply(school: Optional[School]) -> str:
    """For a message in a language Wegwijs does not answer in: in simple Dutch and in English, that it
    answers in those two, who to contact at school, Ouders & Onderwijs, and 112."""
    from wegwijs import replies_en

    if school is None:
        contact = ("Vraag het aan de school van je kind. / Ask your child's school.")
    else:
        person = school.contacts["contact_person"]
        reach = " / ".join(part for part in (person.phone, person.email) if part)
        contact = f"{school.name}: {person.name}" + (f", {reach}" if reach else "")
    return replies_en.OTHER_LANGUAGE.format(contact=contact)


def for_language(language: str) -> ModuleType:
    """The replies module for a conversation's language: this one, or :mod:`wegwijs.replies_en`."""
    if language == "en":
        from wegwijs import replies_en

        return replies_en
    import sys

    return sys.modules[__name__]

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


def describe_hours(contact: Contact, days: Optional[dict] = None, words: Tuple[str, str, str] = (
        "op", "van", "tot"), clock=None, unit: str = " uur") -> str:
    """'op dinsdag en donderdag van 8.30 tot 15.00 uur', or '' when no hours are known. ``days``,
    ``words``, ``clock`` and ``unit`` give the same sentence in another language (wegwijs.replies_en)."""
    if not contact.hours:
        return ""
    clock = clock or _clock
    ordered = sorted(contact.hours, key=lambda h: WEEKDAYS.index(h.day))
    joined = (_join if days is None else _join_en)([(days or {}).get(h.day, h.day) for h in ordered])
    on, start_word, end_word = words
    spans = {(hours.start, hours.end) for hours in ordered}
    if len(spans) == 1:
        start, end = spans.pop()
        return f"{on} {joined} {start_word} {clock(start)} {end_word} {clock(end)}{unit}"
    return f"{on} {joined}"


def describe_reach(contact: Contact, verbs: Tuple[str, str, str, str] = ("bel", "mail", "kijk op", "of")) -> str:
    """'Bel 012-3456701 of mail ib@school.example.' (what is known); ``verbs`` in another language."""
    call, mail, see, joiner = verbs
    parts = []
    if contact.phone:
        parts.append(f"{call} {contact.phone}")
    if contact.email:
        parts.append(f"{mail} {contact.email}")
    if contact.url:
        parts.append(f"{see} {contact.url}")
    if not parts:
        return ""
    sentence = f" {joiner} ".join(parts)
    return sentence[0].upper() + sentence[1:] + "."


def _join_en(items: List[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


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


PRIVACY_KINDS = ("who_reads", "retention", "delete", "anonymous", "general")


def privacy_answer(kind: str, settings: Settings) -> str:
    """A question about this chat itself, answered as the privacy page says (widget/privacy.html), with
    the periods this installation uses."""
    texts = {
        "who_reads": (
            "Een medewerker van school leest je gesprek alleen als jij daar in de chat toestemming voor "
            "geeft. Zonder toestemming delen we niets met school. Beheerders van Wegwijs gebruiken "
            "gesprekken alleen om de assistent te verbeteren, en pas nadat namen, adressen en nummers "
            "eruit zijn gehaald. Elke keer dat een medewerker een doorgestuurd gesprek leest, wordt dat "
            "vastgelegd."),
        "retention": (
            f"Een gesprek wordt automatisch verwijderd als er {settings.retention_days} dagen niets meer in "
            "is gezegd. Is het gesprek een tijd stil? Dan halen we al eerder persoonlijke gegevens uit de "
            "opgeslagen berichten, zoals namen en telefoonnummers. Heb je je vraag naar school gestuurd? "
            f"Dan verwijderen we de inhoud {settings.handover_retention_days} dagen nadat je vraag is "
            "afgerond."),
        "delete": (
            "Ja. Druk in de chat op 'Gesprek verwijderen'. Dan verwijderen we het hele gesprek meteen, ook "
            "een vraag die je aan school hebt doorgestuurd. Heeft een medewerker je vraag al gelezen? Dan "
            "weet die medewerker het nog wel. Bel of mail school als je ook dat wilt bespreken."),
        "anonymous": (
            "Je hoeft je naam niet te geven. We vragen niet om je naam of adres. Schrijf liever geen namen, "
            "adressen of telefoonnummers in de chat. We bewaren wel de berichten en de naam van de school. "
            "Je browser onthoudt een code voor het gesprek, zodat je verder kunt na het herladen van de "
            "pagina. Wil je dat school je terugbelt? Dan vraag ik eerst om toestemming."),
        "general": (
            "We bewaren de berichten van dit gesprek en de naam van de school, niet je naam of adres. "
            f"Na {settings.retention_days} dagen zonder nieuwe berichten wordt het gesprek verwijderd. "
            "Een medewerker van school leest het alleen als jij toestemming geeft. Je kunt het gesprek "
            "altijd zelf verwijderen met de knop 'Gesprek verwijderen'."),
    }
    return f"{texts[kind]}\n\nMeer hierover: {settings.privacy_url}"
