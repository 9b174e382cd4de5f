"""The school's own settings in the portal (the **School** section) and the maintainers' **Scholen** page.

A school's admin edits their own school under ``/school/…``: the profile (names, contacts, links),
holidays and closed days, the school's own notes per topic (with a preview of the parent's whole reply)
and the widget's look. A maintainer edits any school with the same pages under
``/schools/{school_id}/…``, lists the schools (``/schools``) and creates one (``POST /schools``); the
school's page then shows the one-line widget snippet.

Every change goes through :mod:`wegwijs.schools_store` with the user as the actor, so it is validated
(a :class:`SchoolChangeError` shows its Dutch message above the form, with the entered values kept,
status 400) and audited with the old and the new value. Staff who are not admins, and admins asking for
the maintainers' pages, get a 404 (audited ``denied``); ``/schools/{school_id}`` for an unknown school is
a 404 too. The chat reads the school from the database at the next message: nothing needs a restart.
"""
from __future__ import annotations

import inspect
import re
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from wegwijs import schools_store
from wegwijs.portal.deps import (MAX_ROW_ID, NOTICES, Login, check_csrf, current, db, deny, maintainer,
                                 render, state)
from wegwijs.schools import (LINK_LABELS, ROLE_LABELS, SAFETY_TOPIC_PREFIX, SCHOOL_ID_PATTERN,
                             SCHOOL_TYPE_LABELS, WEEKDAYS, dutch_error)
from wegwijs.schools_store import Actor, SchoolAccessDenied, SchoolChangeError, SchoolNotFound

router = APIRouter()

#: the profile form's plain fields (label, help text)
PROFILE_TEXT_FIELDS = (("name", "Naam van de school", "Zoals ouders de school kennen."),
                       ("gemeente", "Gemeente", ""),
                       ("samenwerkingsverband", "Samenwerkingsverband", ""),
                       ("website", "Website", "Begint met https://. Alleen vanaf deze website werkt de chat."))
#: the fields of each contact in the form
CONTACT_FIELDS = (("name", "Naam"), ("phone", "Telefoonnummer"), ("email", "E-mailadres"),
                  ("url", "Webadres (https://)"), ("hours", "Tijden"), ("note", "Aanvulling"))
HOURS_HELP = "Bijvoorbeeld: maandag 08:30-16:00, woensdag 08:30-12:00"
_HOURS_ITEM = re.compile(r"^\s*([a-z]+)\s+(\d{1,2}[:.]\d{2})\s*-\s*(\d{1,2}[:.]\d{2})\s*$")


def contact_key(role: str, field: str) -> str:
    """The form field of one contact's field: ``contact_person__phone``."""
    return f"{role}__{field}"


PROFILE_FORM = (["name", "type", "gemeente", "samenwerkingsverband", "website"]
                + [f"link__{key}" for key in LINK_LABELS]
                + [contact_key(role, field) for role in ROLE_LABELS for field, _ in CONTACT_FIELDS])
CREATE_FORM = ["school_id", "name", "type", "gemeente", "samenwerkingsverband", "website"] + [
    contact_key("contact_person", field) for field in ("name", "phone", "email")]


def _form(fields: Iterable[str], query: Iterable[str] = ()) -> Callable[..., Dict[str, str]]:
    """A dependency that reads these form fields (and query parameters) as text, "" when missing, and
    returns them as a dict; they appear in the app's OpenAPI schema like ``Form`` parameters."""
    def read(**values: str) -> Dict[str, str]:
        return {key: value for key, value in values.items()}

    parameters = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=Query(""), annotation=str)
                  for name in query]
    parameters += [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=Form(""), annotation=str)
                   for name in fields]
    read.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    return read


@dataclass(frozen=True)
class Scope:
    """The school a page is about and where its pages are: ``/school`` for its admin,
    ``/schools/<id>`` for a maintainer."""

    school_id: str
    base: str


def _admin_scope(request: Request, session: Session, login: Login) -> Scope:
    user = login.user
    if not user.is_admin or not user.school_id or state(request).schools.get(user.school_id) is None:
        deny(session, user, request)
    return Scope(user.school_id, "/school")


def _maintainer_scope(request: Request, session: Session, login: Login, school_id: str) -> Scope:
    maintainer(request, session, login)
    if not SCHOOL_ID_PATTERN.match(school_id or "") or state(request).schools.get(school_id) is None:
        deny(session, login.user, request)
    return Scope(school_id, f"/schools/{school_id}")


def _actor(login: Login) -> Actor:
    return Actor.of_staff(login.user)


Handler = Callable[[Request, Session, Login, Scope, Dict[str, str]], Response]


def _route(method: str, suffix: str, handler: Handler, fields: Iterable[str] = (),
           query: Iterable[str] = ()) -> None:
    """``handler`` at ``/school<suffix>`` (the user's own school, admins only) and at
    ``/schools/{school_id}<suffix>`` (any school, maintainers only). A POST checks the CSRF token first."""
    fields = list(fields) + (["csrf_token"] if method == "POST" else [])
    form = _form(fields, query)
    name = handler.__name__

    def checked(login: Login, data: Dict[str, str]) -> None:
        if method == "POST":
            check_csrf(login, data.get("csrf_token", ""))

    def for_admin(request: Request, data: Dict[str, str] = Depends(form), login: Login = Depends(current),
                  session: Session = Depends(db)) -> Response:
        checked(login, data)
        return handler(request, session, login, _admin_scope(request, session, login), data)

    def for_maintainer(request: Request, school_id: str, data: Dict[str, str] = Depends(form),
                       login: Login = Depends(current), session: Session = Depends(db)) -> Response:
        checked(login, data)
        return handler(request, session, login, _maintainer_scope(request, session, login, school_id), data)

    router.add_api_route("/school" + suffix, for_admin, methods=[method], response_class=HTMLResponse,
                         name=f"{name}_own", operation_id=f"{name}_own_{method.lower()}")
    router.add_api_route("/schools/{school_id}" + suffix, for_maintainer, methods=[method],
                         response_class=HTMLResponse, name=f"{name}_any",
                         operation_id=f"{name}_any_{method.lower()}")


def _redirect(scope: Scope, page: str, notice: str) -> Response:
    return RedirectResponse(f"{scope.base}{page}?notice={notice}", status_code=303)


def _page(request: Request, session: Session, login: Login, scope: Scope, template: str,
          status_code: int = 200, **context: Any) -> Response:
    school = state(request).schools.get(scope.school_id)
    own = state(request).schools.get(login.user.school_id) if login.user.school_id else None
    return render(request, template, status_code, user=login.user, session_row=login.row, school=own,
                  edited=school, scope=scope, **context)


def _fail(session: Session) -> None:
    session.rollback()


# ====================================================================== overview


def overview(request: Request, session: Session, login: Login, scope: Scope, data: Dict[str, str]) -> Response:
    """The school's page: what parents see, the widget snippet and links to the forms."""
    notes = schools_store.list_notes(session, _actor(login), scope.school_id)
    holidays = schools_store.list_holidays(session, _actor(login), scope.school_id)
    widget_url = state(request).settings.public_widget_url
    return _page(request, session, login, scope, "school.html", message=NOTICES.get(data.get("notice", ""), ""),
                 notes=notes, holidays=holidays, widget_url=widget_url,
                 chat_url=str(state(request).settings.public_rasa_url).rstrip("/"))


_route("GET", "", overview, query=["notice"])


# ====================================================================== profile


def _profile_values(profile: Dict[str, Any]) -> Dict[str, str]:
    """A stored profile as the form's fields."""
    values = {key: str(profile.get(key) or "") for key in ("name", "type", "gemeente",
                                                           "samenwerkingsverband", "website")}
    for key in LINK_LABELS:
        values[f"link__{key}"] = (profile.get("links") or {}).get(key) or ""
    for role in ROLE_LABELS:
        contact = (profile.get("contacts") or {}).get(role) or {}
        for field, _ in CONTACT_FIELDS:
            if field == "hours":
                value = ", ".join(f"{h['day']} {h['start']}-{h['end']}" for h in contact.get("hours") or [])
            else:
                value = contact.get(field) or ""
            values[contact_key(role, field)] = value
    return values


def _hours(role: str, text: str) -> List[Dict[str, str]]:
    hours = []
    for item in (part for part in re.split(r"[,;\n]", text) if part.strip()):
        match = _HOURS_ITEM.match(item.lower())
        if not match or match.group(1) not in WEEKDAYS:
            raise SchoolChangeError(f"contacts.{role}.hours",
                                    f"Tijden van {ROLE_LABELS[role]}: schrijf een dag en de tijden, "
                                    f"bijvoorbeeld: maandag 08:30-16:00, woensdag 08:30-12:00")
        start, end = (value.replace(".", ":").zfill(5) for value in match.group(2, 3))
        hours.append({"day": match.group(1), "start": start, "end": end})
    return hours


def _contacts(values: Dict[str, str]) -> Dict[str, Any]:
    contacts: Dict[str, Any] = {}
    for role in ROLE_LABELS:
        fields = {field: values.get(contact_key(role, field), "").strip() for field, _ in CONTACT_FIELDS}
        if not any(fields.values()):
            continue
        contact: Dict[str, Any] = {key: value for key, value in fields.items() if value and key != "hours"}
        contact.setdefault("name", "")
        if fields["hours"]:
            contact["hours"] = _hours(role, fields["hours"])
        contacts[role] = contact
    return contacts


REQUIRED_TEXT = ("name", "gemeente", "samenwerkingsverband")


def _required(values: Dict[str, str]) -> None:
    """The profile's plain text fields may not be left empty (the rules take any text)."""
    for key in REQUIRED_TEXT:
        if not values.get(key, "").strip():
            raise SchoolChangeError(key, dutch_error(key, "must not be empty"))


def _profile_changes(values: Dict[str, str]) -> Dict[str, Any]:
    """The form's fields as :func:`schools_store.update_profile`'s changes (empty optional fields: None)."""
    _required(values)
    changes: Dict[str, Any] = {key: values.get(key, "").strip() for key in ("name", "type", "gemeente",
                                                                           "samenwerkingsverband")}
    changes["website"] = values.get("website", "").strip() or None
    changes["links"] = {key: values.get(f"link__{key}", "").strip() for key in LINK_LABELS
                        if values.get(f"link__{key}", "").strip()}
    changes["contacts"] = _contacts(values)
    return changes


def profile_page(request: Request, session: Session, login: Login, scope: Scope,
                 data: Dict[str, str]) -> Response:
    profile = schools_store.get_profile(session, _actor(login), scope.school_id)
    return _profile_view(request, session, login, scope, _profile_values(profile),
                         NOTICES.get(data.get("notice", ""), ""))


def _profile_view(request: Request, session: Session, login: Login, scope: Scope, values: Dict[str, str],
                  message: str = "", error: Optional[SchoolChangeError] = None) -> Response:
    return _page(request, session, login, scope, "school_profile.html", 400 if error else 200,
                 values=values, message=message, error=error, text_fields=PROFILE_TEXT_FIELDS,
                 contact_fields=CONTACT_FIELDS, link_labels=LINK_LABELS, types=SCHOOL_TYPE_LABELS,
                 hours_help=HOURS_HELP, contact_key=contact_key)


def profile_save(request: Request, session: Session, login: Login, scope: Scope,
                 data: Dict[str, str]) -> Response:
    values = {key: data.get(key, "") for key in PROFILE_FORM}
    try:
        schools_store.update_profile(session, _actor(login), scope.school_id, _profile_changes(values))
    except SchoolChangeError as error:
        _fail(session)
        return _profile_view(request, session, login, scope, values, error=error)
    session.commit()
    return _redirect(scope, "/profile", "profile_saved")


_route("GET", "/profile", profile_page, query=["notice"])
_route("POST", "/profile", profile_save, fields=PROFILE_FORM)


# ====================================================================== holidays


def _holidays_view(request: Request, session: Session, login: Login, scope: Scope, message: str = "",
                   error: Optional[SchoolChangeError] = None, values: Optional[Dict[str, str]] = None) -> Response:
    holidays = schools_store.list_holidays(session, _actor(login), scope.school_id)
    return _page(request, session, login, scope, "school_holidays.html", 400 if error else 200,
                 holidays=holidays, message=message, error=error,
                 values=values or {"start": "", "end": "", "label": ""})


def holidays_page(request: Request, session: Session, login: Login, scope: Scope,
                  data: Dict[str, str]) -> Response:
    return _holidays_view(request, session, login, scope, NOTICES.get(data.get("notice", ""), ""))


def holiday_add(request: Request, session: Session, login: Login, scope: Scope,
                data: Dict[str, str]) -> Response:
    values = {key: data.get(key, "").strip() for key in ("start", "end", "label")}
    try:
        schools_store.add_holiday(session, _actor(login), scope.school_id, values["start"],
                                  values["end"] or values["start"], values["label"])
    except SchoolChangeError as error:
        _fail(session)
        return _holidays_view(request, session, login, scope, error=error, values=values)
    session.commit()
    return _redirect(scope, "/holidays", "holiday_added")


def holiday_remove(request: Request, session: Session, login: Login, scope: Scope,
                   data: Dict[str, str]) -> Response:
    raw = data.get("holiday_id", "").strip()
    holiday_id = int(raw) if raw.isdigit() and 0 < int(raw) <= MAX_ROW_ID else 0
    try:
        schools_store.remove_holiday(session, _actor(login), scope.school_id, holiday_id)
    except SchoolNotFound:
        _fail(session)
        return _redirect(scope, "/holidays", "holiday_gone")
    session.commit()
    return _redirect(scope, "/holidays", "holiday_removed")


_route("GET", "/holidays", holidays_page, query=["notice"])
_route("POST", "/holidays", holiday_add, fields=["start", "end", "label"])
_route("POST", "/holidays/remove", holiday_remove, fields=["holiday_id"])


# ====================================================================== notes


def note_topics(library: Any) -> List[Tuple[str, str]]:
    """The topics a school may write a note for: every content topic but the safety ones, by title."""
    return sorted(((answer.intent, answer.title) for answer in library.answers()
                   if not answer.intent.startswith(SAFETY_TOPIC_PREFIX)), key=lambda item: item[1].lower())


def _notes_view(request: Request, session: Session, login: Login, scope: Scope, topic: str = "",
                text: Optional[str] = None, message: str = "", error: Optional[SchoolChangeError] = None,
                preview: str = "") -> Response:
    library = state(request).library
    notes = schools_store.list_notes(session, _actor(login), scope.school_id)
    topics = note_topics(library)
    if topic not in dict(topics):
        topic = ""
    if text is None:
        text = notes.get(topic, "")
    return _page(request, session, login, scope, "school_notes.html", 400 if error else 200,
                 notes=notes, topics=topics, topic=topic, text=text, message=message, error=error,
                 preview=preview)


def notes_page(request: Request, session: Session, login: Login, scope: Scope,
               data: Dict[str, str]) -> Response:
    return _notes_view(request, session, login, scope, data.get("topic", ""),
                       message=NOTICES.get(data.get("notice", ""), ""))


def note_preview(request: Request, session: Session, login: Login, scope: Scope,
                 data: Dict[str, str]) -> Response:
    topic, text = data.get("topic", ""), data.get("text", "")
    try:
        shown = schools_store.preview(session, _actor(login), scope.school_id, topic, text,
                                      library=state(request).library)
    except SchoolChangeError as error:
        return _notes_view(request, session, login, scope, topic, text, error=error)
    return _notes_view(request, session, login, scope, topic, text, preview=shown)


def note_save(request: Request, session: Session, login: Login, scope: Scope,
              data: Dict[str, str]) -> Response:
    topic, text = data.get("topic", ""), data.get("text", "")
    try:
        schools_store.set_note(session, _actor(login), scope.school_id, topic, text,
                               library=state(request).library)
    except SchoolChangeError as error:
        _fail(session)
        return _notes_view(request, session, login, scope, topic, text, error=error)
    session.commit()
    return _redirect(scope, "/notes", "school_note_saved")


def note_remove(request: Request, session: Session, login: Login, scope: Scope,
                data: Dict[str, str]) -> Response:
    try:
        schools_store.remove_note(session, _actor(login), scope.school_id, data.get("topic", ""))
    except SchoolNotFound:
        _fail(session)
        return _redirect(scope, "/notes", "school_note_gone")
    session.commit()
    return _redirect(scope, "/notes", "school_note_removed")


_route("GET", "/notes", notes_page, query=["topic", "notice"])
_route("POST", "/notes/preview", note_preview, fields=["topic", "text"])
_route("POST", "/notes", note_save, fields=["topic", "text"])
_route("POST", "/notes/remove", note_remove, fields=["topic"])


# ====================================================================== widget look


def _widget_view(request: Request, session: Session, login: Login, scope: Scope, values: Dict[str, str],
                 message: str = "", error: Optional[SchoolChangeError] = None) -> Response:
    return _page(request, session, login, scope, "school_widget.html", 400 if error else 200,
                 values=values, message=message, error=error)


def widget_page(request: Request, session: Session, login: Login, scope: Scope,
                data: Dict[str, str]) -> Response:
    widget = schools_store.get_profile(session, _actor(login), scope.school_id).get("widget") or {}
    return _widget_view(request, session, login, scope,
                        {"display_name": widget.get("display_name") or "", "colour": widget.get("colour") or ""},
                        NOTICES.get(data.get("notice", ""), ""))


def widget_save(request: Request, session: Session, login: Login, scope: Scope,
                data: Dict[str, str]) -> Response:
    values = {key: data.get(key, "").strip() for key in ("display_name", "colour")}
    try:
        schools_store.set_widget(session, _actor(login), scope.school_id,
                                 display_name=values["display_name"] or None, colour=values["colour"] or None)
    except SchoolChangeError as error:
        _fail(session)
        return _widget_view(request, session, login, scope, values, error=error)
    session.commit()
    return _redirect(scope, "/widget", "widget_saved")


_route("GET", "/widget", widget_page, query=["notice"])
_route("POST", "/widget", widget_save, fields=["display_name", "colour"])


# ====================================================================== the maintainers' Scholen page


def _schools_view(request: Request, session: Session, login: Login, message: str = "",
                  error: Optional[SchoolChangeError] = None, values: Optional[Dict[str, str]] = None) -> Response:
    reader = state(request).schools
    rows = [reader.get(school_id) for school_id in schools_store.school_ids(session, _actor(login))]
    return render(request, "schools.html", 400 if error else 200, user=login.user, session_row=login.row,
                  school=None, rows=[row for row in rows if row is not None], message=message, error=error,
                  values=values or {key: "" for key in CREATE_FORM}, types=SCHOOL_TYPE_LABELS,
                  contact_key=contact_key)


@router.get("/schools", response_class=HTMLResponse)
def schools_page(request: Request, notice: str = "", login: Login = Depends(current),
                 session: Session = Depends(db)) -> Response:
    """Every school in the database, and the form for a new one."""
    maintainer(request, session, login)
    return _schools_view(request, session, login, NOTICES.get(notice, ""))


@router.post("/schools", response_class=HTMLResponse)
def school_create(request: Request, data: Dict[str, str] = Depends(_form(CREATE_FORM + ["csrf_token"])),
                  login: Login = Depends(current), session: Session = Depends(db)) -> Response:
    """A new school with the least the rules need: code, name, type, gemeente, samenwerkingsverband and
    the contact person for parents; the rest its admin fills in."""
    check_csrf(login, data.get("csrf_token", ""))
    maintainer(request, session, login)
    values = {key: data.get(key, "").strip() for key in CREATE_FORM}
    profile: Dict[str, Any] = {key: values[key] for key in ("name", "type", "gemeente", "samenwerkingsverband")}
    if values["website"]:
        profile["website"] = values["website"]
    contact = {field: values[contact_key("contact_person", field)] for field in ("name", "phone", "email")
               if values[contact_key("contact_person", field)]}
    profile["contacts"] = {"contact_person": {"name": "", **contact}}
    try:
        _required(values)
        schools_store.create_school(session, _actor(login), values["school_id"], profile)
    except SchoolChangeError as error:
        _fail(session)
        return _schools_view(request, session, login, error=error, values=values)
    except SchoolAccessDenied:  # not reached: maintainers only
        _fail(session)
        deny(session, login.user, request)
    session.commit()
    return RedirectResponse(f"/schools/{values['school_id']}?notice=school_created", status_code=303)
