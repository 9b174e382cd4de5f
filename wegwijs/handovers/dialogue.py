"""The Dutch texts and the parsing of the handover conversation, without Rasa (tested on their own).
The English texts are in :mod:`wegwijs.handovers.dialogue_en`; the parsing understands both languages.

The form asks, in this order: the question, the child's class, how the parent wants an answer, the
phone number or e-mail address when needed, and finally consent, naming what is shared, with whom and
how they will make contact. "stop" at any point means: share nothing.
"""
from __future__ import annotations

import re
from typing import Optional

from wegwijs import ages
from wegwijs.handovers.contact import display_phone
from wegwijs.handovers.routing import Route
from wegwijs.safety import fold
from wegwijs.schools import School

YES = "yes"
NO = "no"
UNKNOWN_CLASS = "onbekend"
MIN_QUESTION_CHARS = 8

_STOP_WORDS = ("stop", "stoppen", "annuleer", "annuleren", "laat maar", "hoeft niet", "toch niet",
               "niet doorsturen", "niet delen", "ik wil niet", "liever niet doorsturen", "cancel",
               "afbreken", "vergeet het", "never mind", "dont send", "don't send", "do not send")
_YES = ("ja", "jawel", "yes", "ok", "oke", "okay", "prima", "goed", "akkoord", "ja hoor", "is goed",
        "dat is goed", "ja graag", "graag", "doe maar", "ja stuur door", "stuur maar door",
        "ik geef toestemming", "toestemming", "ja prima", "mag", "dat mag", "zeker", "ja zeker",
        "ja dat mag", "ja, stuur door", "jazeker", "yep", "jep", "ja ok", "oke prima",
        "yes please", "yes, send it", "send it", "sure", "i agree", "yes send it")
_NO = ("nee", "neen", "no", "nope", "niet", "nee dank je", "nee bedankt", "liever niet",
       "geen toestemming", "nee niet doen", "niet doen", "ik wil niet", "nee, niet doorsturen",
       "no thanks", "no, do not send", "do not send", "no don't")
_UNKNOWN_CLASS = ("weet ik niet", "weet niet", "geen idee", "zeg ik liever niet", "liever niet",
                  "sla over", "overslaan", "onbekend", "geen", "maakt niet uit", "nvt", "n v t",
                  "i don't know", "i dont know", "dont know", "rather not say", "i'd rather not say",
                  "id rather not say", "skip")
_GROUP = re.compile(r"\b(?:groep|group)\s*([1-8])\b")
_CLASS = re.compile(r"\b(?:klas|leerjaar|jaar|year|class|grade)\s*([1-6])\b")
_ORDINAL_CLASS = re.compile(r"\b([1-6])\s*(?:e|de|ste)?\s+(?:klas|jaar|leerjaar)\b|"
                            r"\b(eerste|tweede|derde|vierde|vijfde|zesde)\s+(?:klas|jaar|leerjaar)\b")
_ORDINALS = {"eerste": 1, "tweede": 2, "derde": 3, "vierde": 4, "vijfde": 5, "zesde": 6}
_LEVEL = re.compile(r"\b([1-6])\s*(?:e\s*)?(vmbo|havo|vwo|gymnasium|atheneum|mavo|bk|kb|gt|tl|pro|"
                    r"praktijkonderwijs)\b|\b(vmbo|havo|vwo|mavo)\s*([1-6])\b")


def is_stop(text: str) -> bool:
    """Whether the parent wants to stop handing over: a short message saying so.

    Only short messages count, so that a question such as "ik wil niet dat mijn zoon van school moet"
    is not taken for "stop".
    """
    folded = fold(text)
    if folded in _STOP_WORDS:
        return True
    words = folded.split()
    if len(words) > 5:
        return False
    if any(re.search(rf"\b{re.escape(word)}\b", folded) for word in _STOP_WORDS if " " in word):
        return True
    # "stop ermee", "ik wil stoppen"; not "hij wil stoppen met school"
    return bool(words) and (words[0] in _STOP_WORDS or words[-1] in _STOP_WORDS)


def parse_consent(text: str, intent: Optional[str]) -> Optional[str]:
    """YES, NO or None (not clear: ask again). Free text needs a clear yes or no word; the intent
    counts only for the buttons' payloads."""
    folded = fold(text).strip()
    if folded in _NO or is_stop(text):
        return NO
    if folded in _YES:
        return YES
    words = set(folded.split())
    says_no = bool(words & {"nee", "neen", "niet", "geen", "no", "nope", "not", "dont", "don't"})
    says_yes = bool(words & {"ja", "jawel", "jazeker", "yes", "yep", "jep", "akkoord", "prima", "oke",
                              "okee", "ok", "goed", "graag", "toestemming", "mag", "zeker", "top",
                              "natuurlijk", "uiteraard", "doorsturen", "sure", "agree", "send"})
    if says_no and not says_yes:
        return NO
    if says_yes and not says_no:
        return YES
    if not says_yes and not says_no and text.strip().startswith("/"):
        # a button: consent must be explicit, so the NLU's guess on free text is not enough
        return {"deny": NO, "affirm": YES}.get(intent or "")
    return None


def parse_class(text: str) -> Optional[str]:
    """'groep 5', 'klas 2', '3 havo', 'brugklas', UNKNOWN_CLASS or None when not recognised."""
    folded = fold(text)
    if folded in _UNKNOWN_CLASS or any(phrase in folded for phrase in _UNKNOWN_CLASS if " " in phrase):
        return UNKNOWN_CLASS
    match = _GROUP.search(folded)
    if match:
        return f"groep {match.group(1)}"
    match = _LEVEL.search(folded)
    if match:
        year = match.group(1) or match.group(4)
        level = match.group(2) or match.group(3)
        return f"{year} {level}"
    if re.search(r"\bbrugklas\b", folded):
        return "brugklas"
    match = _CLASS.search(folded)
    if match:
        return f"klas {match.group(1)}"
    match = _ORDINAL_CLASS.search(folded)
    if match:
        return f"klas {match.group(1) or _ORDINALS[match.group(2)]}"
    if re.fullmatch(r"[1-8]", folded):
        return folded
    return None


def age_band_of_class(child_class: Optional[str], school_type: Optional[str]) -> Optional[str]:
    """The age band a class suggests (only the band is kept)."""
    if not child_class or child_class == UNKNOWN_CLASS:
        return None
    if child_class.isdigit():
        child_class = f"groep {child_class}" if school_type in ("po", "so") else f"klas {child_class}"
    return ages.parse_band(child_class.replace("brugklas", "klas 1")) or \
        ages.parse_band(re.sub(r"^([1-6]) \w+$", r"klas \1", child_class))


def intro(school: School) -> str:
    return (f"Ik kan je vraag doorsturen naar de juiste persoon op {school.name}. "
            "Eerst een paar korte vragen. Daarna vraag ik of je het goed vindt dat ik je vraag deel. "
            "Typ 'stop' als je wilt stoppen.")


ASK_QUESTION = ("Wat wil je vragen of vertellen? Schrijf het in een paar zinnen. "
                "Namen en adressen zijn niet nodig.")
QUESTION_TOO_SHORT = "Kun je je vraag iets uitgebreider opschrijven? Een of twee zinnen is genoeg."


def ask_class(school: School) -> str:
    if school.type in ("po", "so"):
        return "In welke groep zit je kind? Bijvoorbeeld: groep 5."
    return "In welke klas zit je kind? Bijvoorbeeld: 2 havo of brugklas."


CLASS_NOT_UNDERSTOOD = ("Dat begrijp ik niet. Typ alleen de groep of klas, bijvoorbeeld 'groep 5' of "
                        "'3 vmbo'. Of kies 'Zeg ik liever niet'.")
ASK_METHOD = "Hoe wil je antwoord krijgen?"
METHOD_NOT_UNDERSTOOD = "Kies hoe je antwoord wilt: hier in de chat, door te bellen of per e-mail."
ASK_PHONE = "Op welk telefoonnummer mogen ze je bellen? Bijvoorbeeld: 06-12345678."
ASK_EMAIL = "Op welk e-mailadres wil je antwoord? Bijvoorbeeld: naam@voorbeeld.nl."
PHONE_INVALID = ("Dat lijkt geen goed Nederlands telefoonnummer. Typ 10 cijfers, bijvoorbeeld "
                 "06-12345678 of 030-1234567. Of typ 'chat' om hier antwoord te krijgen.")
EMAIL_INVALID = ("Dat lijkt geen goed e-mailadres. Typ het zo: naam@voorbeeld.nl. "
                 "Of typ 'chat' om hier antwoord te krijgen.")
CONSENT_NOT_UNDERSTOOD = "Mag ik je vraag doorsturen? Kies 'Ja, stuur door' of 'Nee, niet doorsturen'."
#: The last line of the consent question; the handover stores the question the parent consented to.
CONSENT_QUESTION = "Vind je het goed dat ik dit deel?"
METHOD_BUTTONS = [
    {"title": "Hier in de chat", "payload": "chat"},
    {"title": "Bel mij", "payload": "telefoon"},
    {"title": "Mail mij", "payload": "e-mail"},
]
CLASS_BUTTONS = [{"title": "Zeg ik liever niet", "payload": "zeg ik liever niet"}]
CONSENT_BUTTONS = [
    {"title": "Ja, stuur door", "payload": "/affirm"},
    {"title": "Nee, niet doorsturen", "payload": "/deny"},
]


def how_contact(method: str, detail: Optional[str]) -> str:
    """'hier in de chat', 'door je te bellen op 06-12345678', 'per e-mail aan a@b.nl'."""
    if method == "phone" and detail:
        return f"door je te bellen op {display_phone(detail)}"
    if method == "email" and detail:
        return f"met een e-mail aan {detail}"
    return "hier in de chat"


def consent_question(route: Route, school: School, method: str, detail: Optional[str],
                     when: str) -> str:
    """The explicit consent question: what is shared, with whom, how they make contact."""
    lines = [
        f"Ik stuur je vraag graag naar {route.who()} op {school.name}. {route.reason_in('nl')}",
        "Wat ik deel: een korte samenvatting (het onderwerp, de groep of klas van je kind en je vraag) "
        "en dit chatgesprek.",
        f"{_cap(route.who())} neemt contact met je op {how_contact(method, detail)}.",
    ]
    if when:
        lines.append(when)
    lines.append(CONSENT_QUESTION)
    return "\n\n".join(lines)


def _cap(text: str) -> str:
    return text[0].upper() + text[1:]


def handed_over(route: Route, school: School, method: str, detail: Optional[str], when: str,
                retention_days: int) -> str:
    """After consent: where the question is now and what happens next."""
    lines = [f"Je vraag ligt nu bij {route.who()} op {school.name}."]
    if method == "chat":
        lines.append("Het antwoord komt hier in de chat. Je mag dit venster sluiten: als je later "
                     "terugkomt op de website van school, staat het antwoord hier.")
    else:
        lines.append(f"{_cap(route.who())} neemt contact met je op {how_contact(method, detail)}.")
    lines[-1] += f" Het gesprek wordt {retention_days} dagen bewaard nadat je vraag is afgerond."
    if when:
        lines.append(when)
    lines.append("Tot die tijd kun je mij gewoon andere vragen stellen. Is er nu gevaar? Bel dan 112.")
    return "\n\n".join(lines)


def not_shared(route: Optional[Route], school: School, reach: str) -> str:
    """No consent: nothing is shared; the direct contact details instead."""
    who = route.who() if route else school.contacts["contact_person"].name
    return (f"Goed, ik stuur niets door. Je kunt zelf contact opnemen met {who} op {school.name}. "
            f"{reach}").strip()


ALREADY_OPEN = ("Je vraag ligt al bij {who}. Zodra die hem heeft gelezen, krijg je antwoord "
                "{how}. Wil je iets toevoegen? Schrijf het hier; het komt bij je vraag in het gesprek.")
FAILED = ("Het lukt me nu niet om je vraag door te sturen. Er is niets verloren gegaan, maar neem "
          "liever zelf contact op met school. {reach}")
#: For anything urgent while a question cannot be sent (the help lines of the safety answers).
HELP_LINES = ("Is er nu gevaar? Bel dan 112. Geweld of mishandeling thuis: Veilig Thuis 0800-2000 (gratis, dag en "
              "nacht). Gedachten aan zelfdoding: 113 of gratis 0800-0113. Voor kinderen: De Kindertelefoon "
              "0800-0432.")


def capped(cap: str, school: School, reach: str) -> str:
    """A new handover would pass a cap (``wegwijs.handovers.limits``): nothing is sent, and where the
    question can go instead. ``cap`` "conversation": this chat already sent its questions of today;
    otherwise many questions came in (from this network or for this school): try again later.
    ``reach``: how to reach the school (its phone first, from the profile)."""
    if cap == "conversation":
        lines = [f"Je hebt vandaag via deze chat al vragen naar {school.name} gestuurd. School heeft ze "
                 "gekregen en beantwoordt ze. Meer vragen stuur ik vandaag niet door: deze vraag is niet "
                 "doorgestuurd.",
                 f"Wil je nog iets vragen of toevoegen? Neem dan zelf contact op met school. {reach}".strip()]
    else:
        lines = ["Er zijn net veel vragen tegelijk binnengekomen. Daarom kan ik je vraag nu niet doorsturen; "
                 "er is niets gedeeld.",
                 f"Probeer het over een uur opnieuw, of neem zelf contact op met {school.name}. {reach}".strip()]
    return "\n\n".join(lines + [HELP_LINES])
