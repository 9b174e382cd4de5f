"""School profiles and the rules they follow, written once.

The profiles live in the database (``wegwijs.schools_store``: the portal's service layer and the chat's
reader); a YAML file per school, ``schools/<school id>.yml`` (the file name is the id), is the way in and
out (``wegwijs schools import`` / ``export``). Both go through :class:`School`; an error names the field,
and :func:`dutch_error` says it in Dutch for school staff. See ``docs/schools.md``.
"""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Dict, Iterable, List, Literal, Optional

import yaml
from pydantic import BaseModel, Extra, StrictBool, ValidationError, root_validator, validator

SCHOOL_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
SCHOOL_TYPES = ("po", "vo", "so", "vso")
SCHOOL_TYPE_LABELS = {
    "po": "basisschool",
    "vo": "middelbare school",
    "so": "school voor speciaal onderwijs",
    "vso": "school voor voortgezet speciaal onderwijs",
}

#: Contact ids a school profile may use, with the Dutch label parents read.
ROLE_LABELS: Dict[str, str] = {
    "contact_person": "de contactpersoon voor ouders",
    "teacher": "de leerkracht",
    "mentor": "de mentor",
    "intern_begeleider": "de intern begeleider",
    "zorgcoordinator": "de zorgcoördinator",
    "school_social_worker": "de schoolmaatschappelijk werker",
    "jgz": "de jeugdgezondheidszorg (GGD)",
    "wijkteam": "het wijkteam",
    "attendance_officer": "de leerplichtambtenaar",
    "samenwerkingsverband": "het samenwerkingsverband",
    "vertrouwenspersoon": "de vertrouwenspersoon",
    "pestcoordinator": "de pestcoördinator",
}
#: Documents a school may link to (https only), with the Dutch label parents read.
LINK_LABELS: Dict[str, str] = {
    "schoolgids": "de schoolgids",
    "schoolondersteuningsprofiel": "het schoolondersteuningsprofiel",
    "pestprotocol": "het pestprotocol",
    "klachtenregeling": "de klachtenregeling",
}
#: A school's own note on a topic (``notes``): plain text, at most this many characters.
MAX_NOTE_CHARS = 500
MAX_HOLIDAY_LABEL_CHARS = 60
MAX_DISPLAY_NAME_CHARS = 40
TOPIC_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,79}$")
#: Safety topics never carry a school's note: their replies stay as they are.
SAFETY_TOPIC_PREFIX = "safety_"
WEEKDAYS = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")
_PHONE = re.compile(r"^(\+31|0)[1-9][0-9 -]{7,12}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.IGNORECASE)
_TIME = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


class SchoolFileError(ValueError):
    """A school file is invalid; the message names the file and the field."""

    def __init__(self, path: Path, field: str, message: str) -> None:
        super().__init__(f"{path}: {field}: {message}")
        self.path = path
        self.field = field
        self.message = message


class _Strict(BaseModel):
    class Config:
        extra = Extra.forbid
        anystr_strip_whitespace = True


class Hours(_Strict):
    """One day on which a contact can be reached."""

    day: Literal[WEEKDAYS]  # type: ignore[valid-type]
    start: str
    end: str

    @validator("start", "end")
    def _time(cls, value: str) -> str:
        if not _TIME.match(value):
            raise ValueError("use HH:MM, for example 08:30")
        return value

    @root_validator(skip_on_failure=True)
    def _order(cls, values: dict) -> dict:
        if values["start"] >= values["end"]:
            raise ValueError("start must be before end")
        return values


class Contact(_Strict):
    """A person or service parents can reach."""

    name: str
    phone: Optional[str] = None
    email: Optional[str] = None
    url: Optional[str] = None
    hours: List[Hours] = []
    note: Optional[str] = None

    @validator("name")
    def _name(cls, value: str) -> str:
        if not value:
            raise ValueError("must not be empty")
        return value

    @validator("phone")
    def _phone(cls, value: Optional[str]) -> Optional[str]:
        if value is not None and not _PHONE.match(value):
            raise ValueError("not a Dutch phone number (for example 030-1234567)")
        return value

    @validator("email")
    def _email(cls, value: Optional[str]) -> Optional[str]:
        if value is not None and not _EMAIL.match(value):
            raise ValueError("not an e-mail address")
        return value

    @validator("url")
    def _url(cls, value: Optional[str]) -> Optional[str]:
        if value is not None and not value.startswith("https://"):
            raise ValueError("must start with https://")
        return value

    @root_validator(skip_on_failure=True)
    def _reachable(cls, values: dict) -> dict:
        if not (values.get("phone") or values.get("email") or values.get("url")):
            raise ValueError("give at least a phone, an email or a url")
        return values


_HTML = re.compile(r"<\s*[a-zA-Z/!?]|&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);")
_LINK = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://\S*|\bwww\.\S+|\b(javascript|data|mailto|file):\S*",
                   re.IGNORECASE)


def check_note(text: str) -> str:
    """A school's local note, checked: plain text (no HTML), links only https, at most
    :data:`MAX_NOTE_CHARS` characters, and B1 (no sentence over ``MAX_SENTENCE_WORDS`` words, sentences
    of at most ``MAX_MEAN_SENTENCE_WORDS`` words on average, no word over ``MAX_WORD_LETTERS`` letters:
    ``wegwijs.readability``). Returns the text with its white space folded; raises ``ValueError``."""
    from wegwijs import readability

    if not isinstance(text, str):
        raise ValueError("must be text")
    text = " ".join(text.split())
    if not text:
        raise ValueError("must not be empty")
    if len(text) > MAX_NOTE_CHARS:
        raise ValueError(f"at most {MAX_NOTE_CHARS} characters")
    if _HTML.search(text):
        raise ValueError("plain text only, no HTML")
    for link in _LINK.finditer(text):
        if not link.group(0).lower().startswith("https://"):
            raise ValueError("links must start with https://")
    lengths = readability.sentence_lengths(text)
    if max(lengths) > readability.MAX_SENTENCE_WORDS:
        raise ValueError(f"B1: a sentence has {max(lengths)} words, at most {readability.MAX_SENTENCE_WORDS}")
    if sum(lengths) / len(lengths) > readability.MAX_MEAN_SENTENCE_WORDS:
        raise ValueError(f"B1: sentences of at most {readability.MAX_MEAN_SENTENCE_WORDS:.0f} words on average")
    long = readability.long_words(text)
    if long:
        raise ValueError(f"B1: the word {long[0]!r} is too long, at most {readability.MAX_WORD_LETTERS} letters")
    return text


class Links(_Strict):
    """The school's own documents, https only."""

    schoolgids: Optional[str] = None
    schoolondersteuningsprofiel: Optional[str] = None
    pestprotocol: Optional[str] = None
    klachtenregeling: Optional[str] = None

    @validator("*")
    def _https(cls, value: Optional[str]) -> Optional[str]:
        if value is not None and not re.match(r"^https://[^\s/]+\.[^\s]+$", value):
            raise ValueError("must start with https://")
        return value


class Widget(_Strict):
    """How the chat widget looks on the school's website: its name and accent colour. The widget writes
    white text on the colour (``widget/widget.css``), so the colour must reach WCAG AA (4.5:1) with it."""

    display_name: Optional[str] = None
    colour: Optional[str] = None

    @validator("display_name")
    def _display_name(cls, value: Optional[str]) -> Optional[str]:
        if value is not None and not value:
            raise ValueError("must not be empty")
        if value is not None and len(value) > MAX_DISPLAY_NAME_CHARS:
            raise ValueError(f"at most {MAX_DISPLAY_NAME_CHARS} characters")
        return value

    @validator("colour")
    def _colour(cls, value: Optional[str]) -> Optional[str]:
        from wegwijs.contrast import AA_NORMAL_TEXT, HEX_COLOUR, WIDGET_TEXT_COLOUR, contrast_ratio

        if value is None:
            return value
        if not HEX_COLOUR.match(value):
            raise ValueError("use a colour like #1a5e8c")
        ratio = contrast_ratio(value, WIDGET_TEXT_COLOUR)
        if ratio < AA_NORMAL_TEXT:
            raise ValueError(f"contrast with the white text is {ratio:.2f}:1, at least {AA_NORMAL_TEXT}:1 "
                             "(WCAG AA); choose a darker colour")
        return value.lower()


class Holiday(_Strict):
    """A holiday or closed day(s): ``start`` to ``end``, both included (Dutch dates)."""

    start: dt.date
    end: dt.date
    label: str

    @validator("label")
    def _label(cls, value: str) -> str:
        if not value:
            raise ValueError("must not be empty")
        if len(value) > MAX_HOLIDAY_LABEL_CHARS:
            raise ValueError(f"at most {MAX_HOLIDAY_LABEL_CHARS} characters")
        if _HTML.search(value):
            raise ValueError("plain text only, no HTML")
        return value

    @root_validator(skip_on_failure=True)
    def _order(cls, values: dict) -> dict:
        if values["end"] < values["start"]:
            raise ValueError("the last day must not be before the first day")
        return values

    def covers(self, day: dt.date) -> bool:
        """Whether ``day`` falls in this holiday."""
        return self.start <= day <= self.end


class School(_Strict):
    """A school profile, with its holidays and its own notes per topic."""

    id: str
    name: str
    type: Literal[SCHOOL_TYPES]  # type: ignore[valid-type]
    gemeente: str
    samenwerkingsverband: str
    website: Optional[str] = None
    contacts: Dict[str, Contact]
    #: one of the fictitious example schools: ``make run`` makes demo accounts for these only
    example: StrictBool = False
    links: Links = Links()
    widget: Widget = Widget()
    holidays: List[Holiday] = []
    #: the school's own text per topic (a content intent), shown after the national answer, Dutch only
    notes: Dict[str, str] = {}

    @validator("id")
    def _id(cls, value: str) -> str:
        if not SCHOOL_ID_PATTERN.match(value):
            raise ValueError("lower-case letters, digits and '-' only")
        return value

    @validator("website")
    def _website(cls, value: Optional[str]) -> Optional[str]:
        if value is not None and not value.startswith("https://"):
            raise ValueError("must start with https://")
        return value

    @validator("contacts")
    def _contacts(cls, value: Dict[str, Contact]) -> Dict[str, Contact]:
        unknown = sorted(set(value) - set(ROLE_LABELS))
        if unknown:
            raise ValueError(f"unknown contact id {unknown[0]!r}; known: {', '.join(ROLE_LABELS)}")
        if "contact_person" not in value:
            raise ValueError("a contact_person is required")
        return value

    @validator("holidays")
    def _holidays(cls, value: List[Holiday]) -> List[Holiday]:
        return sorted(value, key=lambda holiday: (holiday.start, holiday.end, holiday.label))

    @validator("notes")
    def _notes(cls, value: Dict[str, str]) -> Dict[str, str]:
        checked = {}
        for topic, text in value.items():
            if not TOPIC_PATTERN.match(topic):
                raise ValueError(f"{topic!r} is no topic")
            if topic.startswith(SAFETY_TOPIC_PREFIX):
                raise ValueError(f"{topic!r}: safety replies get no note")
            try:
                checked[topic] = check_note(text)
            except ValueError as error:
                raise ValueError(f"{topic}: {error}") from error
        return checked

    def holiday_on(self, day: dt.date) -> Optional[Holiday]:
        """The holiday that covers ``day``, or None."""
        return next((holiday for holiday in self.holidays if holiday.covers(day)), None)

    @property
    def type_label(self) -> str:
        """Dutch name of the school type."""
        return SCHOOL_TYPE_LABELS[self.type]

    def first_contact(self, roles: Iterable[str]) -> Optional[tuple]:
        """The first ``(role, Contact)`` of ``roles`` this school has, or None."""
        for role in roles:
            if role in self.contacts:
                return role, self.contacts[role]
        return None


def _field_path(error: dict) -> str:
    return ".".join(str(part) for part in error["loc"] if part != "__root__") or "(file)"


def load_school(path: Path) -> School:
    """Load and validate one school file. Raises :class:`SchoolFileError`."""
    path = Path(path)
    school_id = path.stem
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise SchoolFileError(path, "(file)", f"not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise SchoolFileError(path, "(file)", "must be a mapping of fields")
    if "id" in raw and raw["id"] != school_id:
        raise SchoolFileError(path, "id", f"must equal the file name {school_id!r} or be left out")
    raw = {**raw, "id": school_id}
    try:
        return School.parse_obj(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise SchoolFileError(path, _field_path(first), first["msg"]) from exc


class SchoolRegistry:
    """All school profiles of a directory, validated together."""

    def __init__(self, schools: Dict[str, School]) -> None:
        self._schools = dict(schools)

    @classmethod
    def from_directory(cls, directory: Path) -> "SchoolRegistry":
        """Load every ``*.yml`` file; raise one error listing every invalid file and field."""
        schools: Dict[str, School] = {}
        errors: List[str] = []
        for path in sorted(Path(directory).glob("*.yml")):
            try:
                school = load_school(path)
            except SchoolFileError as exc:
                errors.append(str(exc))
                continue
            schools[school.id] = school
        if errors:
            raise SchoolFileError(Path(directory), "(files)", "\n" + "\n".join(errors))
        return cls(schools)

    def get(self, school_id: Optional[str]) -> Optional[School]:
        """The school with this id, or None for a missing or unknown id."""
        if not school_id or not isinstance(school_id, str):
            return None
        return self._schools.get(school_id)

    def ids(self) -> List[str]:
        """The ids of all schools."""
        return sorted(self._schools)


# --- the same errors in Dutch, for school staff (the portal) ---------------------------------------------

_FIELD_LABELS_NL: Dict[str, str] = {
    "name": "naam", "type": "soort school", "gemeente": "gemeente",
    "samenwerkingsverband": "samenwerkingsverband", "website": "website", "contacts": "contactpersonen",
    "phone": "telefoonnummer", "email": "e-mailadres", "url": "webadres", "hours": "tijden",
    "note": "aanvulling", "day": "dag", "start": "begin", "end": "einde", "label": "naam",
    "example": "voorbeeldschool", "links": "links", "widget": "chatvenster", "display_name": "naam in het chatvenster",
    "colour": "kleur", "holidays": "vakanties", "notes": "eigen tekst", "id": "code van de school",
    **{key: label.split(" ", 1)[1] for key, label in LINK_LABELS.items()},
}
_MESSAGES_NL = (
    ("use HH:MM", "gebruik uu:mm, bijvoorbeeld 08:30"),
    ("start must be before end", "het begin moet voor het einde liggen"),
    ("must not be empty", "mag niet leeg zijn"),
    ("not a Dutch phone number", "is geen Nederlands telefoonnummer (bijvoorbeeld 030-1234567)"),
    ("not an e-mail address", "is geen e-mailadres"),
    ("links must start with https://", "een link moet beginnen met https://"),
    ("must start with https://", "moet beginnen met https://"),
    ("give at least a phone", "geef een telefoonnummer, een e-mailadres of een webadres"),
    ("lower-case letters, digits", "alleen kleine letters, cijfers en '-'"),
    ("unknown contact id", "deze rol kent Wegwijs niet"),
    ("a contact_person is required", "een contactpersoon voor ouders is verplicht"),
    ("the last day must not be before", "de laatste dag mag niet voor de eerste dag liggen"),
    ("use a colour like", "gebruik een kleur als #1a5e8c"),
    ("contrast with the white text", "te licht: de witte tekst is dan slecht te lezen (contrast minder dan "
                                     "4,5 : 1, de norm WCAG AA). Kies een donkerdere kleur"),
    ("plain text only", "gebruik gewone tekst, zonder HTML"),
    ("B1: a sentence has", "maak de zinnen korter: hoogstens 25 woorden per zin (taalniveau B1)"),
    ("B1: sentences of at most", "maak de zinnen korter: gemiddeld hoogstens 15 woorden (taalniveau B1)"),
    ("B1: the word", "gebruik kortere woorden (taalniveau B1)"),
    ("at most", "is te lang"),
    ("safety replies get no note", "bij een hulpvraag over veiligheid komt geen eigen tekst"),
    ("is no topic", "dit onderwerp bestaat niet"),
    ("field required", "is verplicht"),
    ("none is not an allowed value", "is verplicht"),
    ("extra fields not permitted", "dit veld bestaat niet"),
    ("unexpected value", "kies een van de mogelijke waarden"),
    ("invalid date format", "is geen datum (jjjj-mm-dd)"),
    ("value is not a valid boolean", "kies ja of nee"),
    ("str type expected", "moet tekst zijn"),
    ("value is not a valid", "heeft niet de goede vorm"),
)


def _labels(parts: List[str]) -> str:
    labels = []
    for part in parts:
        if part.isdigit():
            labels.append(f"regel {int(part) + 1}")
        else:
            labels.append(ROLE_LABELS.get(part) or _FIELD_LABELS_NL.get(part) or part)
    return ", ".join(labels)


def dutch_field(field: str) -> str:
    """'contacts.intern_begeleider.phone' -> 'telefoonnummer van de intern begeleider';
    'widget.colour' -> 'kleur van het chatvenster'; 'holidays.0.start' -> 'vakanties, regel 1, begin'."""
    if not field or field == "(file)":
        return "profiel"
    parts = field.split(".")
    if parts[0] == "contacts" and len(parts) > 1 and parts[1] in ROLE_LABELS:
        return f"{_labels(parts[2:])} van {ROLE_LABELS[parts[1]]}" if parts[2:] else ROLE_LABELS[parts[1]]
    if parts[0] == "widget" and len(parts) > 1:
        return f"{_labels(parts[1:])} van het chatvenster"
    if parts[0] == "links" and len(parts) > 1:
        return f"link naar {LINK_LABELS.get(parts[1], parts[1])}"
    return _labels(parts)


def dutch_message(message: str) -> str:
    """An English rule message of this module in Dutch (a topic a note belongs to stays in front)."""
    topic = ""
    match = re.match(r"^([a-z][a-z0-9_]+): (.*)$", message)
    if match and TOPIC_PATTERN.match(match.group(1)):
        topic, message = match.group(1) + ": ", match.group(2)
    chars = re.match(r"^at most (\d+) characters$", message)
    if chars:
        return topic + f"is te lang: hoogstens {chars.group(1)} tekens"
    word = re.match(r"^B1: the word '([^']+)' is too long", message)
    if word:
        return topic + f"het woord '{word.group(1)}' is te lang; gebruik kortere woorden (taalniveau B1)"
    for start, dutch in _MESSAGES_NL:
        if start.lower() in message.lower():
            return topic + dutch
    return topic + "deze waarde klopt niet"


def dutch_error(field: str, message: str) -> str:
    """The field and the rule's message in Dutch: 'Telefoonnummer van …: is geen Nederlands …'."""
    label = dutch_field(field)
    return f"{label[0].upper() + label[1:]}: {dutch_message(message)}"
