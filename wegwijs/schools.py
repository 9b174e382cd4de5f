"""School profiles: one YAML file per school, ``schools/<school id>.yml`` (the file name is the id).

Every file is validated when loaded; an error names the file and the field. See ``docs/schools.md``.
"""
from __future__ import annotations

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
}
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


class School(_Strict):
    """A school profile."""

    id: str
    name: str
    type: Literal[SCHOOL_TYPES]  # type: ignore[valid-type]
    gemeente: str
    samenwerkingsverband: str
    website: Optional[str] = None
    contacts: Dict[str, Contact]
    #: one of the fictitious example schools: ``make run`` makes demo accounts for these only
    example: StrictBool = False

    @validator("id")
    def _id(cls, value: str) -> str:
        if not SCHOOL_ID_PATTERN.match(value):
            raise ValueError("lower-case letters, digits and '-' only")
        return value

    @validator("contacts")
    def _contacts(cls, value: Dict[str, Contact]) -> Dict[str, Contact]:
        unknown = sorted(set(value) - set(ROLE_LABELS))
        if unknown:
            raise ValueError(f"unknown contact id {unknown[0]!r}; known: {', '.join(ROLE_LABELS)}")
        if "contact_person" not in value:
            raise ValueError("a contact_person is required")
        return value

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
