"""The portal's School section (a school's admin, ``/school/…``) and the maintainers' Scholen page
(``/schools``, ``/schools/{school_id}/…``) through Starlette's TestClient: every route's happy path,
validation errors that keep the input (status 400, the Dutch message), 404 for staff who are not admins
and for another school's anything (audited ``denied``), CSRF, the audit rows with the actor, escaping of
every new field, and the live reading of schools from the database (no restart)."""
from __future__ import annotations

import html as htmllib
import json
import re
from typing import Dict, List

import pytest
import sqlalchemy as sa

from test_portal import (PAYLOADS, SCHOOL_A, SCHOOL_B, assert_no_injected_markup,  # noqa: F401
                         portal)
from wegwijs import schools_store
from wegwijs.db.models import SchoolHoliday
from wegwijs.schools_store import Actor

NEW_SCHOOL = "de-zonnewijzer"
OWN_PAGES = ["/school", "/school/profile", "/school/holidays", "/school/notes", "/school/widget"]
NOTE = "Bij ons zit de jeugdverpleegkundige elke dinsdag op school. Loop gerust even binnen."
TOPIC = "care_youth_health"


def own_routes(app) -> List[tuple]:
    """(method, path) of every route of the School section (the admin's own school)."""
    return sorted((method, route.path) for route in app.routes
                  for method in (getattr(route, "methods", None) or ()) if method != "HEAD"
                  and (route.path == "/school" or route.path.startswith("/school/")))


def any_routes(app) -> List[tuple]:
    return sorted((method, route.path) for route in app.routes
                  for method in (getattr(route, "methods", None) or ()) if method != "HEAD"
                  and route.path.startswith("/schools"))


def school(portal, school_id: str):
    with portal.make_session() as session:
        return schools_store.get_school(session, Actor.system(), school_id)


def form_values(page: str) -> Dict[str, str]:
    values = {}
    for match in re.finditer(r'<input id="f-[^"]*" name="([^"]+)" value="([^"]*)"', page):
        values[match.group(1)] = htmllib.unescape(match.group(2))
    for match in re.finditer(r'<select id="f-[^"]*" name="([^"]+)">(.*?)</select>', page, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected>', match.group(2))
        values[match.group(1)] = chosen.group(1) if chosen else ""
    return values


def test_the_school_routes_are_there(portal):
    own = own_routes(portal.app)
    assert {("GET", "/school"), ("GET", "/school/profile"), ("POST", "/school/profile"),
            ("GET", "/school/holidays"), ("POST", "/school/holidays"), ("POST", "/school/holidays/remove"),
            ("GET", "/school/notes"), ("POST", "/school/notes/preview"), ("POST", "/school/notes"),
            ("POST", "/school/notes/remove"), ("GET", "/school/widget"), ("POST", "/school/widget")} == set(own)
    # the same pages for maintainers, scoped by the school id in the URL
    assert {(method, path.replace("/school", "/schools/{school_id}", 1)) for method, path in own} \
        | {("GET", "/schools"), ("POST", "/schools")} == set(any_routes(portal.app))


def test_the_nav_shows_school_to_admins_and_scholen_to_maintainers(portal):
    admin, _ = portal.login_as("a_admin")
    staff, _ = portal.login_as("a_staff")
    keeper, _ = portal.login_as("maintainer")
    assert 'href="/school"' in admin.get("/inbox").text
    assert 'href="/school"' not in staff.get("/inbox").text
    assert 'href="/schools"' in keeper.get("/review").text
    assert 'href="/schools"' not in admin.get("/inbox").text


# ====================================================================== access


@pytest.mark.parametrize("key", ["a_staff", "b_staff"])
def test_staff_who_are_not_admin_get_404_on_every_school_page_audited(portal, key):
    client, csrf = portal.login_as(key)
    before = portal.snapshot()["wegwijs_schools"]
    for method, path in own_routes(portal.app) + any_routes(portal.app):
        path = path.replace("{school_id}", portal.users[key]["school"])
        response = client.request(method, path, data={"csrf_token": csrf, "name": "Gekaapt", "topic": TOPIC,
                                                      "text": NOTE, "holiday_id": "1"} if method == "POST" else None)
        assert response.status_code == 404, (method, path)
        assert "Deze pagina bestaat niet" in response.text
    denied = [row["detail"] for row in portal.audit_rows("denied") if row["user_id"] == portal.users[key]["id"]]
    assert "GET /school/profile" in denied and "POST /school/notes" in denied
    assert portal.snapshot()["wegwijs_schools"] == before


def test_an_admin_gets_404_for_another_school_and_the_maintainer_pages(portal):
    client, csrf = portal.login_as("a_admin")
    before = portal.snapshot()
    for method, path in any_routes(portal.app):
        for school_id in (SCHOOL_B, SCHOOL_A):
            target = path.replace("{school_id}", school_id)
            data = {"csrf_token": csrf, "name": "Gekaapt", "school_id": "nieuw", "topic": TOPIC, "text": NOTE}
            response = client.request(method, target, data=data if method == "POST" else None)
            assert response.status_code == 404, (method, target)
    after = portal.snapshot()
    assert {k: v for k, v in after.items() if k != "wegwijs_audit_log"} == \
        {k: v for k, v in before.items() if k != "wegwijs_audit_log"}
    assert any(row["detail"] == f"GET /schools/{SCHOOL_B}/profile" for row in portal.audit_rows("denied"))


def test_another_schools_holiday_and_note_are_not_found_for_an_admin(portal, library):
    with portal.make_session() as session, session.begin():
        b_holiday = schools_store.add_holiday(session, Actor.system(), SCHOOL_B, "2027-02-15", "2027-02-19",
                                              "voorjaarsvakantie")
    client, csrf = portal.login_as("a_admin")
    response = client.post("/school/holidays/remove", data={"csrf_token": csrf, "holiday_id": str(b_holiday)})
    assert response.status_code == 303 and response.headers["location"].endswith("notice=holiday_gone")
    with portal.make_session() as session:
        assert session.get(SchoolHoliday, b_holiday) is not None
    with portal.make_session() as session, session.begin():
        schools_store.set_note(session, Actor.system(), SCHOOL_B, TOPIC, NOTE, library=library)
    assert TOPIC not in school(portal, SCHOOL_A).notes
    response = client.post("/school/notes/remove", data={"csrf_token": csrf, "topic": TOPIC})
    assert response.headers["location"].endswith("notice=school_note_gone")
    notes_b = {TOPIC: NOTE}
    assert school(portal, SCHOOL_B).notes == notes_b


@pytest.mark.parametrize("bad", [None, "", "wrong"])
def test_every_school_form_needs_the_csrf_token(portal, bad):
    client, _ = portal.login_as("a_admin")
    keeper, _ = portal.login_as("maintainer")
    before = portal.snapshot()
    for who, routes in ((client, own_routes(portal.app)), (keeper, any_routes(portal.app))):
        for method, path in routes:
            if method != "POST":
                continue
            data = {"name": "X", "topic": TOPIC, "text": NOTE, "school_id": "nieuw-1", "start": "2027-01-01",
                    "label": "x", "holiday_id": "1", "display_name": "X"}
            if bad is not None:
                data["csrf_token"] = bad
            response = who.post(path.replace("{school_id}", SCHOOL_A), data=data)
            assert response.status_code == 403, path
    assert portal.snapshot() == before


# ====================================================================== profile


def test_admin_changes_the_profile_and_the_chat_reads_it_at_once(portal):
    client, csrf = portal.login_as("a_admin")
    page = client.get("/school/profile")
    assert page.status_code == 200
    values = form_values(page.text)
    assert values["name"] == school(portal, SCHOOL_A).name
    values.update({"csrf_token": csrf, "zorgcoordinator__name": "Fatima El Amrani",
                   "zorgcoordinator__phone": "012-3456789", "zorgcoordinator__hours": "dinsdag 08:30-12:00",
                   "pestcoordinator__name": "Joris Pestvrij", "pestcoordinator__email": "pesten@hetbaken.example",
                   "link__pestprotocol": "https://www.hetbaken.example/pestprotocol.pdf"})
    reader = schools_store.SchoolReader(portal.db_url)
    assert reader.get(SCHOOL_A).contacts["zorgcoordinator"].name != "Fatima El Amrani"
    response = client.post("/school/profile", data=values)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/school/profile?notice=profile_saved"
    changed = reader.get(SCHOOL_A)
    assert changed.contacts["zorgcoordinator"].name == "Fatima El Amrani"
    assert changed.contacts["zorgcoordinator"].hours[0].day == "dinsdag"
    assert changed.contacts["pestcoordinator"].email == "pesten@hetbaken.example"
    assert changed.links.pestprotocol == "https://www.hetbaken.example/pestprotocol.pdf"
    assert "Gegevens van de school opgeslagen" in client.get(response.headers["location"]).text
    # audited with the admin as the actor, old and new value
    rows = [row for row in portal.audit_rows("school_update") if row["school_id"] == SCHOOL_A]
    assert rows and rows[-1]["user_id"] == portal.users["a_admin"]["id"]
    assert "contacts" in rows[-1]["detail"] and "links" in rows[-1]["detail"]
    assert "Fatima El Amrani" in rows[-1]["new_value"] and "Fatima El Amrani" not in (rows[-1]["old_value"] or "")
    audit = client.get("/audit").text
    assert "gegevens gewijzigd" in audit and "profile: contacts, links" in audit
    assert len(rows[-1]["new_value"]) > 300 and rows[-1]["new_value"][200:260] not in audit  # truncated


@pytest.mark.parametrize("field, value, message", [
    ("contact_person__phone", "12345", "Telefoonnummer van de contactpersoon voor ouders: is geen Nederlands "
                                       "telefoonnummer"),
    ("website", "http://www.hetbaken.example", "Website: moet beginnen met https://"),
    ("name", "", "Naam: mag niet leeg zijn"),
    ("zorgcoordinator__hours", "elke dag", "Tijden van de zorgcoördinator: schrijf een dag en de tijden"),
    ("contact_person__name", "", "Naam van de contactpersoon voor ouders: mag niet leeg zijn"),
])
def test_a_bad_profile_gets_the_dutch_message_and_keeps_every_input(portal, field, value, message):
    client, csrf = portal.login_as("a_admin")
    values = form_values(client.get("/school/profile").text)
    values.update({"csrf_token": csrf, "gemeente": "Nieuwegein (nog niet opgeslagen)", field: value})
    before = portal.snapshot()
    response = client.post("/school/profile", data=values)
    assert response.status_code == 400
    assert message in htmllib.unescape(response.text)
    assert 'role="alert"' in response.text
    kept = form_values(response.text)
    assert kept["gemeente"] == "Nieuwegein (nog niet opgeslagen)"
    assert kept[field] == value
    assert portal.snapshot() == before


# ====================================================================== holidays


def test_admin_adds_and_removes_a_holiday(portal):
    client, csrf = portal.login_as("a_admin")
    response = client.post("/school/holidays", data={"csrf_token": csrf, "start": "2027-02-22",
                                                     "end": "2027-02-26", "label": "voorjaarsvakantie"})
    assert response.status_code == 303 and response.headers["location"] == "/school/holidays?notice=holiday_added"
    page = client.get("/school/holidays").text
    assert "voorjaarsvakantie" in page and "22-02-2027" in page and "26-02-2027" in page
    added = [h for h in school(portal, SCHOOL_A).holidays if h.label == "voorjaarsvakantie"]
    assert added and str(added[0].end) == "2027-02-26"
    one_day = client.post("/school/holidays", data={"csrf_token": csrf, "start": "2027-03-10", "label": "studiedag"})
    assert one_day.status_code == 303
    assert any(str(h.start) == str(h.end) == "2027-03-10" for h in school(portal, SCHOOL_A).holidays)
    with portal.make_session() as session:
        holiday_id = session.execute(sa.select(SchoolHoliday.id).where(
            SchoolHoliday.school_id == SCHOOL_A, SchoolHoliday.label == "voorjaarsvakantie")).scalar_one()
    removed = client.post("/school/holidays/remove", data={"csrf_token": csrf, "holiday_id": str(holiday_id)})
    assert removed.headers["location"] == "/school/holidays?notice=holiday_removed"
    assert not [h for h in school(portal, SCHOOL_A).holidays if h.label == "voorjaarsvakantie"]
    actions = [(row["action"], row["user_id"]) for row in portal.audit_rows() if row["school_id"] == SCHOOL_A
               and row["action"].startswith("holiday_")]
    admin_id = portal.users["a_admin"]["id"]
    assert actions == [("holiday_add", admin_id), ("holiday_add", admin_id), ("holiday_remove", admin_id)]
    assert "vakantie verwijderd" in client.get("/audit").text


@pytest.mark.parametrize("form, message", [
    ({"start": "2027-02-26", "end": "2027-02-22", "label": "omgekeerd"}, "de laatste dag mag niet voor de eerste"),
    ({"start": "26-02-2027", "end": "", "label": "verkeerde datum"}, "is geen datum"),
    ({"start": "2027-02-22", "end": "2027-02-26", "label": ""}, "mag niet leeg zijn"),
])
def test_a_bad_holiday_gets_a_dutch_message_and_keeps_the_input(portal, form, message):
    client, csrf = portal.login_as("a_admin")
    before = portal.snapshot()
    response = client.post("/school/holidays", data={"csrf_token": csrf, **form})
    assert response.status_code == 400
    assert message in htmllib.unescape(response.text)
    if form["label"]:
        assert f'value="{form["label"]}"' in response.text
    assert portal.snapshot() == before


# ====================================================================== notes


def test_notes_topics_have_dutch_titles_and_no_safety_topics(portal, library):
    client, _ = portal.login_as("a_admin")
    page = client.get("/school/notes").text
    options = re.findall(r'<option value="([a-z_]+)"', page)
    assert TOPIC in options and len(options) >= 20
    assert not [topic for topic in options if topic.startswith("safety_")]
    assert f">{library.get(TOPIC).title}</option>" in page


def test_preview_shows_the_whole_reply_then_save_and_remove(portal, library):
    client, csrf = portal.login_as("a_admin")
    before = portal.snapshot()
    preview = client.post("/school/notes/preview", data={"csrf_token": csrf, "topic": TOPIC, "text": NOTE})
    assert preview.status_code == 200
    text = htmllib.unescape(preview.text)
    name = school(portal, SCHOOL_A).name
    assert f"Van {name}: {NOTE}" in text
    national = library.get(TOPIC).short["default"][:40]
    assert national in text  # the national answer comes first
    shown = text[text.index('id="preview-title"'):]
    assert shown.index(national) < shown.index(f"Van {name}: {NOTE}")  # the school's note after it
    assert "nog niet opgeslagen" in text
    assert f"{NOTE}</textarea>" in text  # the text stays in the form
    assert portal.snapshot() == before  # a preview saves nothing
    saved = client.post("/school/notes", data={"csrf_token": csrf, "topic": TOPIC, "text": NOTE})
    assert saved.status_code == 303 and saved.headers["location"] == "/school/notes?notice=school_note_saved"
    assert school(portal, SCHOOL_A).notes[TOPIC] == NOTE
    listing = htmllib.unescape(client.get("/school/notes").text)
    assert NOTE in listing and library.get(TOPIC).title in listing
    edit = htmllib.unescape(client.get(f"/school/notes?topic={TOPIC}").text)
    assert f"{NOTE}</textarea>" in edit
    row = [r for r in portal.audit_rows("note_set") if r["school_id"] == SCHOOL_A][-1]
    assert row["user_id"] == portal.users["a_admin"]["id"] and json.loads(row["new_value"]) == NOTE
    removed = client.post("/school/notes/remove", data={"csrf_token": csrf, "topic": TOPIC})
    assert removed.headers["location"] == "/school/notes?notice=school_note_removed"
    assert TOPIC not in school(portal, SCHOOL_A).notes
    assert "eigen tekst verwijderd" in client.get("/audit").text


@pytest.mark.parametrize("topic, text, message", [
    (TOPIC, "Kijk op http://www.hetbaken.example voor meer.", "een link moet beginnen met https://"),
    (TOPIC, "", "mag niet leeg zijn"),
    (TOPIC, "x " * 300, "is te lang"),
    ("safety_suicide", NOTE, "bij een hulpvraag over veiligheid komt geen eigen tekst"),
    ("", NOTE, "dit onderwerp bestaat niet"),
])
@pytest.mark.parametrize("route", ["/school/notes", "/school/notes/preview"])
def test_a_bad_note_gets_a_dutch_message_and_keeps_the_text(portal, topic, text, message, route):
    client, csrf = portal.login_as("a_admin")
    before = portal.snapshot()
    response = client.post(route, data={"csrf_token": csrf, "topic": topic, "text": text})
    assert response.status_code == 400
    page = htmllib.unescape(response.text)
    assert message in page
    if text.strip():
        assert text in page
    assert portal.snapshot() == before


# ====================================================================== widget look


def test_admin_sets_the_widget_look_and_a_light_colour_is_refused(portal):
    client, csrf = portal.login_as("a_admin")
    ok = client.post("/school/widget", data={"csrf_token": csrf, "display_name": "Chat Het Baken",
                                             "colour": "#1A5E8C"})
    assert ok.status_code == 303 and ok.headers["location"] == "/school/widget?notice=widget_saved"
    widget = school(portal, SCHOOL_A).widget
    assert (widget.display_name, widget.colour) == ("Chat Het Baken", "#1a5e8c")
    before = portal.snapshot()
    light = client.post("/school/widget", data={"csrf_token": csrf, "display_name": "Licht", "colour": "#ffcc00"})
    assert light.status_code == 400
    assert "Kleur van het chatvenster: te licht" in htmllib.unescape(light.text)
    assert 'value="#ffcc00"' in light.text and 'value="Licht"' in light.text
    assert portal.snapshot() == before
    page = client.get("/school/widget").text
    assert 'value="Chat Het Baken"' in page and 'value="#1a5e8c"' in page
    cleared = client.post("/school/widget", data={"csrf_token": csrf, "display_name": "", "colour": ""})
    assert cleared.status_code == 303
    assert school(portal, SCHOOL_A).widget.display_name is None


# ====================================================================== maintainers


def test_maintainer_creates_a_school_and_gets_the_snippet(portal):
    keeper, csrf = portal.login_as("maintainer")
    listing = keeper.get("/schools")
    assert listing.status_code == 200
    for school_id in (SCHOOL_A, SCHOOL_B, "de-kompas"):
        assert f'href="/schools/{school_id}"' in listing.text
    form = {"csrf_token": csrf, "school_id": NEW_SCHOOL, "name": "Basisschool De Zonnewijzer", "type": "po",
            "gemeente": "Utrecht", "samenwerkingsverband": "SWV Utrecht PO", "website": "https://www.zonnewijzer.example",
            "contact_person__name": "Ilse de Vries", "contact_person__phone": "012-3450000",
            "contact_person__email": ""}
    created = keeper.post("/schools", data=form)
    assert created.status_code == 303, created.text
    assert created.headers["location"] == f"/schools/{NEW_SCHOOL}?notice=school_created"
    page = keeper.get(created.headers["location"])
    assert page.status_code == 200
    snippet = htmllib.unescape(re.search(r'<code id="widget-snippet">(.*?)</code>', page.text).group(1))
    assert snippet == (f'<script src="http://localhost:8080/widget.js" data-school-id="{NEW_SCHOOL}" '
                       f'data-server="http://localhost:5005" defer></script>')
    assert "School aangemaakt" in page.text
    new = school(portal, NEW_SCHOOL)
    assert new.contacts["contact_person"].name == "Ilse de Vries" and new.gemeente == "Utrecht"
    row = portal.audit_rows("school_create")[-1]
    assert row["school_id"] == NEW_SCHOOL and row["user_id"] == portal.users["maintainer"]["id"]
    # live: the list, the portal's reader and the maintainer's forms know it at once
    assert f'href="/schools/{NEW_SCHOOL}"' in keeper.get("/schools").text
    assert portal.app.state.portal.schools.get(NEW_SCHOOL).name == "Basisschool De Zonnewijzer"
    for suffix in ("/profile", "/holidays", "/notes", "/widget"):
        assert keeper.get(f"/schools/{NEW_SCHOOL}{suffix}").status_code == 200, suffix
    values = form_values(keeper.get(f"/schools/{NEW_SCHOOL}/profile").text)
    values.update({"csrf_token": csrf, "zorgcoordinator__name": "Henk Zorg", "zorgcoordinator__phone": "012-3450001"})
    saved = keeper.post(f"/schools/{NEW_SCHOOL}/profile", data=values)
    assert saved.headers["location"] == f"/schools/{NEW_SCHOOL}/profile?notice=profile_saved"
    assert school(portal, NEW_SCHOOL).contacts["zorgcoordinator"].name == "Henk Zorg"
    assert keeper.get("/schools/geen-school/profile").status_code == 404
    assert keeper.get("/schools/NIET_GELDIG/profile").status_code == 404


@pytest.mark.parametrize("change, message", [
    ({"school_id": "De Zonnewijzer"}, "Code van de school: alleen kleine letters, cijfers en '-'"),
    ({"school_id": SCHOOL_A}, "Code van de school: er is al een school met deze code"),
    ({"contact_person__phone": ""}, "De contactpersoon voor ouders: geef een telefoonnummer"),
    ({"gemeente": ""}, "Gemeente: mag niet leeg zijn"),
])
def test_a_bad_new_school_gets_a_dutch_message_and_keeps_the_input(portal, change, message):
    keeper, csrf = portal.login_as("maintainer")
    form = {"csrf_token": csrf, "school_id": NEW_SCHOOL, "name": "Basisschool De Zonnewijzer", "type": "po",
            "gemeente": "Utrecht", "samenwerkingsverband": "SWV Utrecht PO", "website": "",
            "contact_person__name": "Ilse de Vries", "contact_person__phone": "012-3450000", **change}
    before = portal.snapshot()
    response = keeper.post("/schools", data=form)
    assert response.status_code == 400
    assert message in htmllib.unescape(response.text)
    assert 'value="Basisschool De Zonnewijzer"' in response.text
    assert portal.snapshot() == before


def test_a_maintainer_change_shows_in_the_schools_own_audit_log(portal):
    keeper, csrf = portal.login_as("maintainer")
    keeper.post(f"/schools/{SCHOOL_A}/holidays", data={"csrf_token": csrf, "start": "2027-04-27",
                                                       "label": "Koningsdag"})
    admin, _ = portal.login_as("a_admin")
    audit = admin.get("/audit").text
    assert "vakantie toegevoegd" in audit and "Olaf Onderhoud" in audit and "Koningsdag" in audit


# ====================================================================== escaping


def test_payloads_in_every_new_field_are_inert_in_the_portal(portal):
    payload = " ".join(PAYLOADS)
    short = '"><img src=x onerror=alert(1)>'
    with portal.make_session() as session, session.begin():
        # straight into the store where the rules allow it; through the forms below
        schools_store.update_profile(session, Actor.system(), SCHOOL_A, {
            "name": payload, "gemeente": payload, "samenwerkingsverband": payload,
            "contacts": {"contact_person": {"name": payload, "phone": "012-3456700", "note": payload}},
            "widget": {"display_name": short}})
    keeper, csrf = portal.login_as("maintainer")
    # a holiday label and a note refuse HTML: the refusal shows the input escaped
    refused = keeper.post(f"/schools/{SCHOOL_A}/holidays", data={"csrf_token": csrf, "start": "2027-01-01",
                                                                "label": short})
    assert refused.status_code == 400
    assert_no_injected_markup(refused.text)
    refused_note = keeper.post(f"/schools/{SCHOOL_A}/notes/preview", data={"csrf_token": csrf, "topic": TOPIC,
                                                                         "text": payload})
    assert refused_note.status_code == 400
    assert_no_injected_markup(refused_note.text)
    created = keeper.post("/schools", data={"csrf_token": csrf, "school_id": "xss", "name": payload, "type": "po",
                                            "gemeente": payload, "samenwerkingsverband": payload,
                                            "contact_person__name": payload, "contact_person__phone": "x"})
    assert created.status_code == 400
    assert_no_injected_markup(created.text)
    for path in ["/schools", f"/schools/{SCHOOL_A}", f"/schools/{SCHOOL_A}/profile", f"/schools/{SCHOOL_A}/widget",
                 f"/schools/{SCHOOL_A}/notes", f"/schools/{SCHOOL_A}/holidays"]:
        page = keeper.get(path)
        assert page.status_code == 200, path
        assert_no_injected_markup(page.text)
    admin, _ = portal.login_as("a_admin")
    for path in OWN_PAGES + ["/inbox", "/audit"]:
        page = admin.get(path)
        assert page.status_code == 200, path
        assert_no_injected_markup(page.text)
        assert "&lt;script&gt;" in page.text or path in ("/school/holidays", "/school/notes", "/school/widget",
                                                          "/inbox") or "&#34;&gt;&lt;img" in page.text, path


@pytest.mark.parametrize("school_id, key", [(SCHOOL_A, "a_admin"), (SCHOOL_B, "maintainer"),
                                            ("de-kompas", "maintainer")])
def test_the_profile_form_saved_unchanged_changes_nothing(portal, school_id, key):
    """The form shows every stored field (hours, notes, web addresses, links) so that it saves them back."""
    client, csrf = portal.login_as(key)
    base = "/school" if key == "a_admin" else f"/schools/{school_id}"
    before = school(portal, school_id)
    values = {**form_values(client.get(f"{base}/profile").text), "csrf_token": csrf}
    response = client.post(f"{base}/profile", data=values)
    assert response.status_code == 303, htmllib.unescape(response.text)[-2000:]
    assert school(portal, school_id) == before
    assert not [row for row in portal.audit_rows("school_update") if row["school_id"] == school_id]


def test_emptying_a_role_removes_that_contact(portal):
    client, csrf = portal.login_as("a_admin")
    values = {**form_values(client.get("/school/profile").text), "csrf_token": csrf}
    role = next(role for role in school(portal, SCHOOL_A).contacts if role != "contact_person")
    for name in [key for key in values if key.startswith(f"{role}__")]:
        values[name] = ""
    assert client.post("/school/profile", data=values).status_code == 303
    assert role not in school(portal, SCHOOL_A).contacts
