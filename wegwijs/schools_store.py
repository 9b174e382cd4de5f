"""Schools in the database: the service layer the portal calls, and the reader the chat uses.

Every change goes through the rules of :class:`wegwijs.schools.School` (the same rules as the YAML files
of ``wegwijs schools``); bad input raises :class:`SchoolChangeError` with a Dutch message that names the
field, and nothing is saved. Every change is written to the audit log (who, what, when, the old and the
new value) and raises the school's ``version``, which :class:`SchoolReader` compares on every chat
message: a change shows in the next reply without a restart.

Tenant scope: every function takes the school id, every query is filtered on it, and the ``actor`` (who
changes it) must belong to that school (:meth:`Actor.may_change`); only a maintainer or the system
(the command line, seeding) creates schools or reaches every school.

The caller owns the transaction, as in ``wegwijs.handovers.service``::

    with session_factory(db_url)() as session, session.begin():
        schools_store.set_note(session, Actor.of_staff(user), "de-regenboog", "care_youth_health", text)

``docs/schools.md`` describes the data and the YAML way in and out.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple

import sqlalchemy as sa
import yaml
from pydantic import ValidationError
from sqlalchemy.orm import Session

from wegwijs.db.models import AuditEntry, SchoolHoliday, SchoolNote, SchoolRecord, utcnow
from wegwijs.schools import (SAFETY_TOPIC_PREFIX, SCHOOL_ID_PATTERN, Holiday, School,
                             check_note, dutch_error, dutch_message, load_school)

logger = logging.getLogger(__name__)

#: the parts of a profile :func:`update_profile` changes; holidays and notes have their own functions
PROFILE_FIELDS = ("name", "type", "gemeente", "samenwerkingsverband", "website", "contacts", "example",
                  "links", "widget")
_SEPARATE = {"id", "holidays", "notes"}


class SchoolChangeError(ValueError):
    """Bad input for a school: ``field`` (for example ``contacts.intern_begeleider.phone``) and a Dutch
    ``message`` for school staff; nothing was saved."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class SchoolNotFound(LookupError):
    """No such school, holiday or note for this school (also for another school's objects)."""


class SchoolAccessDenied(PermissionError):
    """The actor may not change this school (another school's staff)."""


@dataclass(frozen=True)
class Actor:
    """Who makes a change: a portal user of one school, a maintainer, or the system (command line,
    seeding; ``user_id`` None)."""

    user_id: Optional[int]
    school_id: Optional[str] = None
    maintainer: bool = False

    @classmethod
    def system(cls) -> "Actor":
        """The command line and seeding."""
        return cls(user_id=None, school_id=None, maintainer=True)

    @classmethod
    def of_staff(cls, user: Any) -> "Actor":
        """A portal user (``wegwijs.db.models.StaffUser``). Which staff may edit which part (admin only?) is
        the portal's decision; this layer only keeps every school to its own people."""
        return cls(user_id=user.id, school_id=user.school_id, maintainer=bool(user.is_maintainer))

    def may_change(self, school_id: str) -> bool:
        """Whether this actor may read and change ``school_id``."""
        return self.maintainer or (self.school_id is not None and self.school_id == school_id)


def _require(actor: Actor, school_id: str) -> None:
    if not actor.may_change(school_id):
        raise SchoolAccessDenied("Je mag deze school niet wijzigen.")


def _validate(data: Mapping[str, Any]) -> School:
    try:
        return School.parse_obj(dict(data))
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"] if part != "__root__")
        raise SchoolChangeError(field, dutch_error(field, first["msg"])) from None


def _record(session: Session, school_id: str, lock: bool = False) -> SchoolRecord:
    query = sa.select(SchoolRecord).where(SchoolRecord.id == school_id)
    if lock:
        query = query.with_for_update()
    record = session.execute(query).scalar_one_or_none()
    if record is None:
        raise SchoolNotFound(f"Geen school met code {school_id!r}.")
    return record


def _profile_of(record: SchoolRecord) -> Dict[str, Any]:
    return json.loads(record.profile)


def _profile_json(school: School) -> str:
    """The profile as stored: without id, holidays and notes (own tables) and without default values."""
    return json.dumps(json.loads(school.json(exclude=_SEPARATE, exclude_defaults=True)), ensure_ascii=False)


def _bump(record: SchoolRecord) -> None:
    record.version = SchoolRecord.version + 1
    record.updated_at = utcnow()


def _json(value: Any) -> Optional[str]:
    return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _audit(session: Session, actor: Actor, school_id: str, action: str, detail: str,
           old: Any = None, new: Any = None) -> None:
    """One audit row for a school change. The values are the school's own data (its profile, holidays,
    notes), never a parent's."""
    session.add(AuditEntry(user_id=actor.user_id, school_id=school_id, action=action, detail=detail[:255],
                           old_value=_json(old), new_value=_json(new)))


def _holidays(session: Session, school_id: str) -> List[SchoolHoliday]:
    return list(session.execute(
        sa.select(SchoolHoliday).where(SchoolHoliday.school_id == school_id)
        .order_by(SchoolHoliday.start_date, SchoolHoliday.id)).scalars())


def _notes(session: Session, school_id: str) -> Dict[str, str]:
    return {note.topic: note.text for note in session.execute(
        sa.select(SchoolNote).where(SchoolNote.school_id == school_id).order_by(SchoolNote.topic)).scalars()}


def _holiday_dict(row: SchoolHoliday) -> Dict[str, Any]:
    return {"start": row.start_date.isoformat(), "end": row.end_date.isoformat(), "label": row.label}


def _assemble(session: Session, record: SchoolRecord) -> School:
    data = _profile_of(record)
    data["id"] = record.id
    data["holidays"] = [_holiday_dict(row) for row in _holidays(session, record.id)]
    data["notes"] = _notes(session, record.id)
    return School.parse_obj(data)


# --- reading ----------------------------------------------------------------------------------------------

def school_ids(session: Session, actor: Actor) -> List[str]:
    """The schools the actor may see: all for a maintainer, else their own (when it exists)."""
    query = sa.select(SchoolRecord.id).order_by(SchoolRecord.id)
    if not actor.maintainer:
        query = query.where(SchoolRecord.id == (actor.school_id or ""))
    return list(session.execute(query).scalars())


def get_school(session: Session, actor: Actor, school_id: str) -> School:
    """The whole school: profile, holidays and notes."""
    _require(actor, school_id)
    return _assemble(session, _record(session, school_id))


def get_profile(session: Session, actor: Actor, school_id: str) -> Dict[str, Any]:
    """The editable profile (:data:`PROFILE_FIELDS`) as plain data, for a form."""
    _require(actor, school_id)
    return _profile_of(_record(session, school_id))


def version_of(session: Session, school_id: str) -> Optional[int]:
    """The school's version (raised by every change), or None for an unknown school."""
    return session.execute(sa.select(SchoolRecord.version).where(SchoolRecord.id == school_id)).scalar()


@dataclass(frozen=True)
class HolidayItem:
    """A stored holiday with its id (for :func:`remove_holiday`)."""

    id: int
    start: dt.date
    end: dt.date
    label: str


def list_holidays(session: Session, actor: Actor, school_id: str) -> List[HolidayItem]:
    """The school's holidays, the earliest first."""
    _require(actor, school_id)
    _record(session, school_id)
    return [HolidayItem(row.id, row.start_date, row.end_date, row.label) for row in _holidays(session, school_id)]


def list_notes(session: Session, actor: Actor, school_id: str) -> Dict[str, str]:
    """The school's notes by topic."""
    _require(actor, school_id)
    _record(session, school_id)
    return _notes(session, school_id)


# --- changing ---------------------------------------------------------------------------------------------

def create_school(session: Session, actor: Actor, school_id: str, profile: Mapping[str, Any]) -> School:
    """A new school with ``profile`` (:data:`PROFILE_FIELDS`); maintainers and the system only."""
    if not actor.maintainer:
        raise SchoolAccessDenied("Alleen een beheerder van Wegwijs maakt een school aan.")
    if not isinstance(school_id, str) or not SCHOOL_ID_PATTERN.match(school_id):
        raise SchoolChangeError("id", dutch_error("id", "lower-case letters, digits and '-' only"))
    extra = sorted(set(profile) - set(PROFILE_FIELDS))
    if extra:
        raise SchoolChangeError(extra[0], dutch_error(extra[0], "extra fields not permitted"))
    school = _validate({**profile, "id": school_id})
    if session.get(SchoolRecord, school_id) is not None:
        raise SchoolChangeError("id", "Code van de school: er is al een school met deze code")
    session.add(SchoolRecord(id=school_id, profile=_profile_json(school), version=1))
    session.flush()
    _audit(session, actor, school_id, "school_create", "profile", None, json.loads(_profile_json(school)))
    return school


def update_profile(session: Session, actor: Actor, school_id: str, changes: Mapping[str, Any]) -> School:
    """Change parts of the profile: each key of ``changes`` (one of :data:`PROFILE_FIELDS`) replaces that
    part as a whole (``contacts`` is all contacts). Validated as a whole; audited with the old and the new
    value of each changed part."""
    _require(actor, school_id)
    extra = sorted(set(changes) - set(PROFILE_FIELDS))
    if extra:
        raise SchoolChangeError(extra[0], dutch_error(extra[0], "extra fields not permitted"))
    record = _record(session, school_id, lock=True)
    old = _profile_of(record)
    merged = {**old, **changes}
    merged = {key: value for key, value in merged.items() if value is not None}  # None: back to the default
    school = _validate({**merged, "id": school_id, "holidays": [], "notes": {}})
    new = json.loads(_profile_json(school))
    changed = sorted(key for key in set(old) | set(new) if old.get(key) != new.get(key))
    if not changed:
        return get_school(session, actor, school_id)
    record.profile = _profile_json(school)
    _bump(record)
    _audit(session, actor, school_id, "school_update", "profile: " + ", ".join(changed),
           {key: old.get(key) for key in changed}, {key: new.get(key) for key in changed})
    session.flush()
    return get_school(session, actor, school_id)


def set_widget(session: Session, actor: Actor, school_id: str, display_name: Optional[str] = None,
               colour: Optional[str] = None) -> School:
    """The widget's look: the name it shows and its accent colour (refused below WCAG AA, 4.5:1, with the
    white text the widget writes on it)."""
    widget = {key: value for key, value in (("display_name", display_name), ("colour", colour))
              if value is not None}
    return update_profile(session, actor, school_id, {"widget": widget})


def add_holiday(session: Session, actor: Actor, school_id: str, start: Any, end: Any, label: str) -> int:
    """Add a holiday or closed day(s), ``start`` to ``end`` included (dates or ``YYYY-MM-DD``); its id."""
    _require(actor, school_id)
    try:
        holiday = Holiday.parse_obj({"start": start, "end": end, "label": label})
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(["holidays"] + [str(p) for p in first["loc"] if p != "__root__"])
        raise SchoolChangeError(field, dutch_error(field, first["msg"])) from None
    record = _record(session, school_id, lock=True)
    row = SchoolHoliday(school_id=school_id, start_date=holiday.start, end_date=holiday.end, label=holiday.label)
    session.add(row)
    _bump(record)
    session.flush()
    _audit(session, actor, school_id, "holiday_add", f"holiday {row.id}", None, _holiday_dict(row))
    return row.id


def remove_holiday(session: Session, actor: Actor, school_id: str, holiday_id: int) -> None:
    """Remove one of this school's holidays (another school's holiday is not found)."""
    _require(actor, school_id)
    record = _record(session, school_id, lock=True)
    row = session.execute(sa.select(SchoolHoliday).where(
        SchoolHoliday.id == holiday_id, SchoolHoliday.school_id == school_id)).scalar_one_or_none()
    if row is None:
        raise SchoolNotFound("Deze vakantie bestaat niet (meer).")
    old = _holiday_dict(row)
    session.delete(row)
    _bump(record)
    _audit(session, actor, school_id, "holiday_remove", f"holiday {holiday_id}", old, None)
    session.flush()


@lru_cache(maxsize=1)
def _default_library():
    from wegwijs.content import ContentLibrary
    from wegwijs.settings import Settings

    return ContentLibrary.load(Settings.from_env().data_dir)


def _check_topic(topic: str, library) -> Any:
    """The content topic a note belongs to (a known topic, never a safety topic)."""
    if isinstance(topic, str) and topic.startswith(SAFETY_TOPIC_PREFIX):
        raise SchoolChangeError("topic", "Onderwerp: " + dutch_message("safety replies get no note"))
    answer = library.get(topic) if isinstance(topic, str) else None
    if answer is None:
        raise SchoolChangeError("topic", "Onderwerp: " + dutch_message("is no topic"))
    return answer


def _checked_note(answer: Any, text: str) -> str:
    try:
        return check_note(text)
    except ValueError as error:
        raise SchoolChangeError(f"notes.{answer.intent}", f"Eigen tekst bij '{answer.title}': "
                                                          f"{dutch_message(str(error))}") from None


def set_note(session: Session, actor: Actor, school_id: str, topic: str, text: str, library=None) -> str:
    """The school's own note on ``topic`` (a content topic, not a safety one): plain text, https links
    only, at most ``MAX_NOTE_CHARS`` characters, B1 (``wegwijs.schools.check_note``). Returns the text as
    stored (white space folded)."""
    _require(actor, school_id)
    text = _checked_note(_check_topic(topic, library or _default_library()), text)
    record = _record(session, school_id, lock=True)
    row = session.execute(sa.select(SchoolNote).where(
        SchoolNote.school_id == school_id, SchoolNote.topic == topic)).scalar_one_or_none()
    old = row.text if row else None
    if old == text:
        return text
    if row is None:
        session.add(SchoolNote(school_id=school_id, topic=topic, text=text))
    else:
        row.text, row.updated_at = text, utcnow()
    _bump(record)
    _audit(session, actor, school_id, "note_set", f"note {topic}", old, text)
    session.flush()
    return text


def remove_note(session: Session, actor: Actor, school_id: str, topic: str) -> None:
    """Remove the school's note on ``topic``."""
    _require(actor, school_id)
    record = _record(session, school_id, lock=True)
    row = session.execute(sa.select(SchoolNote).where(
        SchoolNote.school_id == school_id, SchoolNote.topic == topic)).scalar_one_or_none()
    if row is None:
        raise SchoolNotFound("Bij dit onderwerp staat geen eigen tekst.")
    old = row.text
    session.delete(row)
    _bump(record)
    _audit(session, actor, school_id, "note_remove", f"note {topic}", old, None)
    session.flush()


def preview(session: Session, actor: Actor, school_id: str, topic: str, note_text: str, library=None,
            part: str = "short") -> str:
    """The whole reply a parent would see on ``topic`` with ``note_text`` as the school's note (the
    national answer, the school's people and referral, the note, the source), without saving anything.
    Raises :class:`SchoolChangeError` for a note that would be refused."""
    from wegwijs.compose import compose

    _require(actor, school_id)
    library = library or _default_library()
    answer = _check_topic(topic, library)
    text = _checked_note(answer, note_text)
    school = get_school(session, actor, school_id)
    school = school.copy(update={"notes": {**school.notes, topic: text}})
    return compose(library, answer, part, school, None, "nl")


# --- YAML in and out ----------------------------------------------------------------------------------------

def import_school(session: Session, actor: Actor, school: School, library=None) -> str:
    """Create or replace a school from a validated profile (a YAML file), with its holidays and notes:
    ``created``, ``updated`` or ``unchanged``. Audited like every change."""
    if not actor.maintainer:
        raise SchoolAccessDenied("Alleen een beheerder van Wegwijs importeert scholen.")
    library = library or (_default_library() if school.notes else None)
    for topic in school.notes:
        _check_topic(topic, library)
    profile = {key: value for key, value in json.loads(school.json(exclude=_SEPARATE)).items()}
    profile = {key: value for key, value in profile.items() if key in PROFILE_FIELDS}
    if session.get(SchoolRecord, school.id) is None:
        create_school(session, actor, school.id, profile)
        result = "created"
    else:
        before = version_of(session, school.id)
        current = _profile_of(_record(session, school.id))
        update_profile(session, actor, school.id, {**{key: None for key in current if key not in profile},
                                                   **profile})
        result = "updated" if version_of(session, school.id) != before else "unchanged"
    before = version_of(session, school.id)
    wanted = {(h.start, h.end, h.label) for h in school.holidays}
    for item in list_holidays(session, actor, school.id):
        if (item.start, item.end, item.label) in wanted:
            wanted.discard((item.start, item.end, item.label))
        else:
            remove_holiday(session, actor, school.id, item.id)
    for start, end, label in sorted(wanted):
        add_holiday(session, actor, school.id, start, end, label)
    notes = list_notes(session, actor, school.id)
    for topic in notes:
        if topic not in school.notes:
            remove_note(session, actor, school.id, topic)
    for topic, text in school.notes.items():
        set_note(session, actor, school.id, topic, text, library)
    if result == "unchanged" and version_of(session, school.id) != before:
        result = "updated"
    return result


def import_files(session: Session, paths: Iterable[Path], actor: Optional[Actor] = None,
                 library=None) -> List[Tuple[str, str]]:
    """Import YAML files (``schools/<id>.yml``); every file is validated first, and one bad file imports
    nothing (:class:`SchoolFileError` names the file and the field). ``[(school id, result)]``."""
    actor = actor or Actor.system()
    schools = [load_school(Path(path)) for path in paths]
    return [(school.id, import_school(session, actor, school, library)) for school in schools]


def export_yaml(session: Session, actor: Actor, school_id: str) -> str:
    """The school as a YAML file (``schools/<id>.yml``) that ``wegwijs schools import`` reads back to the
    same school."""
    school = get_school(session, actor, school_id)
    data = json.loads(school.json(exclude={"id"}, exclude_defaults=True))
    for holiday in data.get("holidays", []):  # YAML dates, as a person writes them
        holiday["start"] = dt.date.fromisoformat(holiday["start"])
        holiday["end"] = dt.date.fromisoformat(holiday["end"])
    return (f"# {school.id}: exported from the Wegwijs database; edit and import with "
            "`wegwijs schools import`\n"
            + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=110))


def seed_if_empty(session: Session, schools_dir: Path, library=None) -> List[str]:
    """Import every ``*.yml`` of ``schools_dir`` when the database has no school yet (``make run``, a
    fresh installation); the ids imported (none when schools exist)."""
    if session.execute(sa.select(SchoolRecord.id).limit(1)).first() is not None:
        return []
    paths = sorted(Path(schools_dir).glob("*.yml"))
    return [school_id for school_id, _ in import_files(session, paths, Actor.system(), library)]


# --- the chat's reader --------------------------------------------------------------------------------------

class SchoolReader:
    """The schools as the chat reads them: one cheap query per lookup (the school's ``version``, by
    primary key) and the whole school read again only when its version changed, so a change made in the
    portal shows in the next message without a restart. Thread-safe; no I/O until the first lookup."""

    def __init__(self, db_url: str) -> None:
        self._db_url = db_url
        self._cache: Dict[str, Tuple[int, School]] = {}
        self._lock = threading.Lock()

    def _engine(self) -> sa.engine.Engine:
        from wegwijs.db.engine import engine_for

        return engine_for(self._db_url)

    def get(self, school_id: Optional[str]) -> Optional[School]:
        """The school with this id as it is now, or None for a missing or unknown id."""
        if not school_id or not isinstance(school_id, str) or not SCHOOL_ID_PATTERN.match(school_id):
            return None
        try:
            return self._read(school_id)
        except (sa.exc.SQLAlchemyError, OSError) as error:  # the database is away: what was read before
            logger.error("schools unreadable (%s); school %s as last read", type(error).__name__, school_id)
            cached = self._cache.get(school_id)
            return cached[1] if cached else None

    def _read(self, school_id: str) -> Optional[School]:
        with Session(self._engine(), future=True) as session:
            version = version_of(session, school_id)
            if version is None:
                with self._lock:
                    self._cache.pop(school_id, None)
                return None
            cached = self._cache.get(school_id)
            if cached is not None and cached[0] == version:
                return cached[1]
            record = session.get(SchoolRecord, school_id)
            try:
                school = _assemble(session, record)
            except ValidationError:  # stored before a rule was tightened: keep what was read before
                logger.error("school %s: the stored profile breaks a rule; run `wegwijs schools export`",
                             school_id)
                return cached[1] if cached else None
            with self._lock:
                self._cache[school_id] = (record.version, school)
            return school

    def ids(self) -> List[str]:
        """The ids of all schools."""
        with Session(self._engine(), future=True) as session:
            return list(session.execute(sa.select(SchoolRecord.id).order_by(SchoolRecord.id)).scalars())


def websites(db_url: str) -> List[str]:
    """Every school's website (for the origins that may open the chat), as stored now. Raises
    ``SQLAlchemyError`` when the database cannot be read."""
    from wegwijs.db.engine import engine_for

    with Session(engine_for(db_url), future=True) as session:
        profiles = session.execute(sa.select(SchoolRecord.profile).order_by(SchoolRecord.id)).scalars()
        return [site for site in (json.loads(profile).get("website") for profile in profiles)
                if isinstance(site, str) and site.startswith("https://")]


def seed_database(db_url: str, schools_dir: Optional[Path] = None) -> List[str]:
    """:func:`seed_if_empty` in its own transaction (``make run``, ``make scale``, ``wegwijs db upgrade``
    and the tests' databases); ``schools_dir`` defaults to ``WEGWIJS_SCHOOLS_DIR`` (``schools/``)."""
    from wegwijs.db.engine import session_factory
    from wegwijs.settings import Settings

    schools_dir = schools_dir or Settings.from_env().schools_dir
    with session_factory(db_url)() as session, session.begin():
        return seed_if_empty(session, schools_dir)
