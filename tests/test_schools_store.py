"""Schools in the database (issue 16): the service the portal calls (validation in Dutch, audit with old
and new values, tenant scope), the chat reading a change in its next reply, holidays in the expected
reply time, the school's own notes in answers (and never in safety replies), YAML in and out, contrast."""
from __future__ import annotations

import asyncio
import datetime as dt
import json
from typing import Any, Dict, List, Optional

import pytest
import sqlalchemy as sa
import yaml
from pydantic import ValidationError
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

import actions.common as common
from actions.answers import ActionAnswerMore, ActionAnswerTopic
from actions.conversation import ActionFallback
from actions.handover import when_text
from wegwijs import cli, contrast, schools_store
from wegwijs.db.engine import session_factory
from wegwijs.db.models import AuditEntry, SchoolHoliday, SchoolNote
from wegwijs.handovers.hours import TIMEZONE as AMS
from wegwijs.handovers.hours import describe_day, expectation, first_school_day, local_now
from wegwijs.handovers.routing import Route
from wegwijs.schools import Holiday, School, load_school
from wegwijs.schools_store import Actor, SchoolAccessDenied, SchoolChangeError, SchoolNotFound

pytestmark = pytest.mark.usefixtures("school_db")

REGENBOOG, BAKEN = "de-regenboog", "het-baken"
STAFF = Actor(user_id=7, school_id=REGENBOOG)
OTHER_STAFF = Actor(user_id=8, school_id=BAKEN)
TOPIC = "care_youth_health"
NOTE = "Bij ons zit de jeugdverpleegkundige elke dinsdag op school. Je mag dan gewoon binnenlopen."


def change(db_url: str, function, *args, **kwargs):
    """Run one service call in its own committed transaction, as the portal does."""
    with session_factory(db_url)() as session, session.begin():
        return function(session, *args, **kwargs)


def audit_rows(db_url: str) -> List[AuditEntry]:
    with session_factory(db_url)() as session:
        return list(session.execute(sa.select(AuditEntry).order_by(AuditEntry.id)).scalars())


def version(db_url: str, school_id: str = REGENBOOG) -> int:
    with session_factory(db_url)() as session:
        return schools_store.version_of(session, school_id)


def tracker(intent: str, school_id: Optional[str] = REGENBOOG, slots: Optional[Dict] = None,
            language: Optional[str] = None) -> Tracker:
    slots = dict(slots or {})
    if language:
        slots["language"] = language
    latest = {"text": "…", "intent": {"name": intent, "confidence": 0.9}, "intent_ranking": [],
              "metadata": {"school_id": school_id} if school_id else {}}
    return Tracker("ouder", slots, latest, [], False, None, {}, "action_listen")


def run(action, tracker_: Tracker) -> List[Dict[str, Any]]:
    dispatcher = CollectingDispatcher()
    asyncio.run(action.run(dispatcher, tracker_, {}))
    return dispatcher.messages


def answer_text(intent: str = TOPIC, school_id: str = REGENBOOG, language: Optional[str] = None) -> str:
    return run(ActionAnswerTopic(), tracker(intent, school_id, language=language))[0]["text"]


# --- seeding ----------------------------------------------------------------------------------------------

def test_the_example_schools_are_seeded_once(school_db, home):
    with session_factory(school_db)() as session:
        assert schools_store.school_ids(session, Actor.system()) == ["de-kompas", "de-regenboog", "het-baken"]
    assert schools_store.seed_database(school_db, home / "schools") == []  # not again once schools exist


def test_an_empty_database_is_seeded_from_the_yaml_files(tmp_path, home):
    from wegwijs.db import migrate

    url = f"sqlite:///{tmp_path / 'empty.db'}"
    migrate.upgrade(url)
    assert schools_store.seed_database(url, home / "schools") == ["de-kompas", "de-regenboog", "het-baken"]
    with session_factory(url)() as session:
        assert schools_store.get_school(session, Actor.system(), "het-baken").name == "Het Baken College"


# --- validation: Dutch, names the field, nothing saved -----------------------------------------------------

@pytest.mark.parametrize("changes, field, words", [
    ({"contacts": {"contact_person": {"name": "A", "phone": "12345"}}}, "contacts.contact_person.phone",
     "geen Nederlands telefoonnummer"),
    ({"contacts": {"intern_begeleider": {"name": "B", "phone": "012-3456789"}}}, "contacts",
     "contactpersoon voor ouders is verplicht"),
    ({"type": "mbo"}, "type", "kies een van de mogelijke waarden"),
    ({"website": "http://www.deregenboog.example"}, "website", "moet beginnen met https://"),
    ({"links": {"pestprotocol": "http://www.deregenboog.example/pesten.pdf"}}, "links.pestprotocol",
     "moet beginnen met https://"),
    ({"contacts": {"contact_person": {"name": "A", "phone": "012-3456789"},
                   "vertrouwenspersoon": {"name": "C", "email": "geen-mail"}}},
     "contacts.vertrouwenspersoon.email", "geen e-mailadres"),
    ({"kleur": "blauw"}, "kleur", "dit veld bestaat niet"),
])
def test_bad_profile_input_is_refused_in_dutch_and_nothing_is_saved(school_db, changes, field, words):
    before, rows = version(school_db), len(audit_rows(school_db))
    with pytest.raises(SchoolChangeError) as error:
        change(school_db, schools_store.update_profile, STAFF, REGENBOOG, changes)
    assert error.value.field == field
    assert words in error.value.message
    assert version(school_db) == before and len(audit_rows(school_db)) == rows
    with session_factory(school_db)() as session:
        school = schools_store.get_school(session, STAFF, REGENBOOG)
    assert school.contacts["contact_person"].phone == "012-3456700"


def test_the_dutch_message_names_the_field_as_school_staff_know_it(school_db):
    cases = [
        ({"contacts": {"contact_person": {"name": "A", "phone": "12345"}}},
         "Telefoonnummer van de contactpersoon voor ouders: is geen Nederlands telefoonnummer "
         "(bijvoorbeeld 030-1234567)"),
        ({"contacts": {"contact_person": {"name": "A", "phone": "012-3456789",
                                          "hours": [{"day": "maandag", "start": "8 uur", "end": "16:00"}]}}},
         "Tijden, regel 1, begin van de contactpersoon voor ouders: gebruik uu:mm, bijvoorbeeld 08:30"),
        ({"links": {"pestprotocol": "http://x.example/p.pdf"}}, "Link naar het pestprotocol: moet beginnen met https://"),
        ({"widget": {"colour": "#777777"}}, "Kleur van het chatvenster: te licht: de witte tekst is dan slecht te "
                                            "lezen (contrast minder dan 4,5 : 1, de norm WCAG AA). Kies een "
                                            "donkerdere kleur"),
    ]
    for changes, message in cases:
        with pytest.raises(SchoolChangeError) as error:
            change(school_db, schools_store.update_profile, STAFF, REGENBOOG, changes)
        assert error.value.message == message
    with pytest.raises(SchoolChangeError) as error:
        change(school_db, schools_store.set_note, STAFF, REGENBOOG, TOPIC, "Lees <i>dit</i>.")
    assert error.value.message == ("Eigen tekst bij 'De jeugdarts en jeugdverpleegkundige (JGZ)': "
                                     "gebruik gewone tekst, zonder HTML")


def test_the_school_may_add_its_vertrouwenspersoon_pestcoordinator_and_links(school_db):
    with session_factory(school_db)() as session:
        contacts = schools_store.get_profile(session, STAFF, REGENBOOG)["contacts"]
    contacts["vertrouwenspersoon"] = {"name": "Fatima Yilmaz", "email": "vp@deregenboog.example"}
    contacts["pestcoordinator"] = {"name": "Tom de Boer", "phone": "012-3456703"}
    school = change(school_db, schools_store.update_profile, STAFF, REGENBOOG, {
        "contacts": contacts, "links": {"schoolgids": "https://www.deregenboog.example/schoolgids.pdf",
                                        "klachtenregeling": "https://www.deregenboog.example/klachten"}})
    assert school.contacts["pestcoordinator"].name == "Tom de Boer"
    assert school.links.schoolgids.endswith("schoolgids.pdf")


@pytest.mark.parametrize("text, words", [
    ("Kom <b>dinsdag</b> langs.", "zonder HTML"),
    ("Kijk op <a href='https://x.example'>de site</a>.", "zonder HTML"),
    ("Lees het op http://www.deregenboog.example/ggd.", "een link moet beginnen met https://"),
    ("Lees het op www.deregenboog.example/ggd.", "een link moet beginnen met https://"),
    ("Zie javascript:alert(1) voor meer.", "een link moet beginnen met https://"),
    ("x" * 10 + " " + "Een zin. " * 60, "te lang: hoogstens 500 tekens"),
    ("Bij ons op school zit de jeugdverpleegkundige van de GGD elke dinsdagochtend en soms ook op "
     "donderdagmiddag in het kamertje naast de gymzaal waar je zonder afspraak binnen mag lopen.",
     "hoogstens 25 woorden per zin"),
    ("Vraag naar de jeugdgezondheidszorgverpleegkundige.", "het woord 'jeugdgezondheidszorgverpleegkundige'"),
    ("   ", "mag niet leeg zijn"),
])
def test_a_note_that_breaks_a_rule_is_refused_and_not_saved(school_db, text, words):
    with pytest.raises(SchoolChangeError) as error:
        change(school_db, schools_store.set_note, STAFF, REGENBOOG, TOPIC, text)
    assert error.value.field == f"notes.{TOPIC}"
    assert words in error.value.message, error.value.message
    with session_factory(school_db)() as session:
        assert schools_store.list_notes(session, STAFF, REGENBOOG) == {}


def test_a_note_needs_a_known_topic_and_never_a_safety_topic(school_db):
    with pytest.raises(SchoolChangeError, match="dit onderwerp bestaat niet"):
        change(school_db, schools_store.set_note, STAFF, REGENBOOG, "bestaat_niet", NOTE)
    with pytest.raises(SchoolChangeError, match="veiligheid"):
        change(school_db, schools_store.set_note, STAFF, REGENBOOG, "safety_child_abuse", NOTE)
    with pytest.raises(ValidationError, match="safety replies get no note"):  # nor can a YAML file
        School.parse_obj({"id": "x-school", "name": "X", "type": "po", "gemeente": "Utrecht",
                          "samenwerkingsverband": "S", "notes": {"safety_child_abuse": NOTE},
                          "contacts": {"contact_person": {"name": "A", "phone": "012-3456789"}}})


def test_a_holiday_must_end_after_it_starts(school_db):
    with pytest.raises(SchoolChangeError) as error:
        change(school_db, schools_store.add_holiday, STAFF, REGENBOOG, "2026-12-28", "2026-12-20", "Kerstvakantie")
    assert error.value.field == "holidays"
    assert "de laatste dag mag niet voor de eerste dag liggen" in error.value.message
    with pytest.raises(SchoolChangeError) as error:
        change(school_db, schools_store.add_holiday, STAFF, REGENBOOG, "morgen", "2026-12-20", "Vrij")
    assert error.value.field == "holidays.start" and "geen datum" in error.value.message


# --- contrast ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("colour, ratio, passes", [
    ("#767676", 4.54, True), ("#777777", 4.48, False), ("#000000", 21.0, True), ("#ffffff", 1.0, False),
    ("#2f5d3a", 7.64, True),
])
def test_contrast_with_white_text_as_wcag_computes_it(colour, ratio, passes):
    assert contrast.contrast_ratio(colour, "#ffffff") == pytest.approx(ratio, abs=0.01)
    assert contrast.passes_aa(colour) is passes


def test_a_widget_colour_below_aa_is_refused(school_db):
    with pytest.raises(SchoolChangeError) as error:
        change(school_db, schools_store.set_widget, STAFF, REGENBOOG, colour="#777777")
    assert error.value.field == "widget.colour" and "WCAG AA" in error.value.message
    with pytest.raises(SchoolChangeError, match="gebruik een kleur als"):
        change(school_db, schools_store.set_widget, STAFF, REGENBOOG, colour="blauw")
    school = change(school_db, schools_store.set_widget, STAFF, REGENBOOG, "De Regenboog", "#767676")
    assert (school.widget.display_name, school.widget.colour) == ("De Regenboog", "#767676")


# --- audit ------------------------------------------------------------------------------------------------

def test_every_change_is_audited_with_who_what_and_the_old_and_new_value(school_db):
    start = len(audit_rows(school_db))
    change(school_db, schools_store.update_profile, STAFF, REGENBOOG, {"gemeente": "Amersfoort-Noord"})
    change(school_db, schools_store.set_note, STAFF, REGENBOOG, TOPIC, "Eerste tekst.")
    change(school_db, schools_store.set_note, STAFF, REGENBOOG, TOPIC, "Tweede tekst.")
    holiday = change(school_db, schools_store.add_holiday, STAFF, REGENBOOG, dt.date(2026, 12, 19),
                     dt.date(2027, 1, 3), "Kerstvakantie")
    change(school_db, schools_store.remove_holiday, STAFF, REGENBOOG, holiday)
    change(school_db, schools_store.remove_note, STAFF, REGENBOOG, TOPIC)
    rows = audit_rows(school_db)[start:]
    assert [row.action for row in rows] == ["school_update", "note_set", "note_set", "holiday_add",
                                            "holiday_remove", "note_remove"]
    assert all(row.user_id == 7 and row.school_id == REGENBOOG and row.at for row in rows)
    assert rows[0].detail == "profile: gemeente"
    assert json.loads(rows[0].old_value) == {"gemeente": "Amersfoort"}
    assert json.loads(rows[0].new_value) == {"gemeente": "Amersfoort-Noord"}
    assert rows[1].old_value is None and json.loads(rows[1].new_value) == "Eerste tekst."
    assert (json.loads(rows[2].old_value), json.loads(rows[2].new_value)) == ("Eerste tekst.", "Tweede tekst.")
    assert json.loads(rows[3].new_value) == {"start": "2026-12-19", "end": "2027-01-03", "label": "Kerstvakantie"}
    assert json.loads(rows[4].old_value) == json.loads(rows[3].new_value) and rows[4].new_value is None
    assert rows[5].detail == f"note {TOPIC}" and rows[5].new_value is None


def test_every_change_raises_the_version(school_db):
    first = version(school_db)
    change(school_db, schools_store.set_note, STAFF, REGENBOOG, TOPIC, NOTE)
    second = version(school_db)
    change(school_db, schools_store.add_holiday, STAFF, REGENBOOG, "2027-02-15", "2027-02-19", "Voorjaarsvakantie")
    assert first < second < version(school_db)
    assert version(school_db, BAKEN) == 1


# --- tenant scope -----------------------------------------------------------------------------------------

def test_a_school_reaches_only_its_own_objects(school_db):
    theirs = change(school_db, schools_store.add_holiday, OTHER_STAFF, BAKEN, "2027-02-15", "2027-02-19",
                    "Voorjaarsvakantie")
    change(school_db, schools_store.set_note, OTHER_STAFF, BAKEN, TOPIC, NOTE)
    for function, args in [(schools_store.get_school, ()), (schools_store.get_profile, ()),
                           (schools_store.update_profile, ({"gemeente": "X"},)),
                           (schools_store.set_note, (TOPIC, "Andere tekst.")),
                           (schools_store.remove_note, (TOPIC,)), (schools_store.remove_holiday, (theirs,)),
                           (schools_store.list_holidays, ()), (schools_store.set_widget, ("X", "#000000")),
                           (schools_store.preview, (TOPIC, "Andere tekst."))]:
        with pytest.raises(SchoolAccessDenied):
            change(school_db, function, STAFF, BAKEN, *args)
    # their holiday's id with our own school id: not found, and still there
    with pytest.raises(SchoolNotFound):
        change(school_db, schools_store.remove_holiday, STAFF, REGENBOOG, theirs)
    with pytest.raises(SchoolNotFound):
        change(school_db, schools_store.remove_note, STAFF, REGENBOOG, TOPIC)
    with session_factory(school_db)() as session:
        assert [h.id for h in schools_store.list_holidays(session, OTHER_STAFF, BAKEN)] == [theirs]
        assert schools_store.list_notes(session, OTHER_STAFF, BAKEN) == {TOPIC: NOTE}
        assert schools_store.list_holidays(session, STAFF, REGENBOOG) == []
        assert schools_store.school_ids(session, STAFF) == [REGENBOOG]
        assert session.execute(sa.select(sa.func.count()).select_from(SchoolHoliday)).scalar() == 1
        assert session.execute(sa.select(sa.func.count()).select_from(SchoolNote)).scalar() == 1


def test_only_a_maintainer_creates_a_school(school_db):
    profile = {"name": "Nieuwe School", "type": "vo", "gemeente": "Ede", "samenwerkingsverband": "SWV",
               "contacts": {"contact_person": {"name": "A", "phone": "012-3450000"}}}
    with pytest.raises(SchoolAccessDenied):
        change(school_db, schools_store.create_school, STAFF, "nieuwe-school", profile)
    with pytest.raises(SchoolChangeError, match="alleen kleine letters"):
        change(school_db, schools_store.create_school, Actor(1, None, True), "Nieuwe School", profile)
    school = change(school_db, schools_store.create_school, Actor(1, None, True), "nieuwe-school", profile)
    assert school.type == "vo"
    assert audit_rows(school_db)[-1].action == "school_create"
    with pytest.raises(SchoolChangeError, match="er is al een school"):
        change(school_db, schools_store.create_school, Actor(1, None, True), "nieuwe-school", profile)


# --- live in the chat, without a restart --------------------------------------------------------------------

def test_a_change_shows_in_the_next_reply_without_a_restart(school_db):
    before = answer_text()
    assert "Van Basisschool De Regenboog:" not in before
    change(school_db, schools_store.set_note, STAFF, REGENBOOG, TOPIC, NOTE)
    assert f"Van Basisschool De Regenboog: {NOTE}" in answer_text()
    with session_factory(school_db)() as session:
        contacts = schools_store.get_profile(session, STAFF, REGENBOOG)["contacts"]
    contacts["intern_begeleider"]["name"] = "Ilse Kok"
    change(school_db, schools_store.update_profile, STAFF, REGENBOOG, {"contacts": contacts})
    text = answer_text("care_intern_begeleider")
    assert "Ilse Kok" in text and "Marieke de Vries" not in text
    change(school_db, schools_store.remove_note, STAFF, REGENBOOG, TOPIC)
    assert NOTE not in answer_text()


def test_the_reader_reads_a_school_again_only_when_its_version_changed(school_db):
    reader = common.schools()
    first = reader.get(REGENBOOG)
    assert reader.get(REGENBOOG) is first  # one version query, the same object
    change(school_db, schools_store.update_profile, STAFF, REGENBOOG, {"gemeente": "Leusden"})
    assert reader.get(REGENBOOG) is not first and reader.get(REGENBOOG).gemeente == "Leusden"
    assert reader.get("bestaat-niet") is None and reader.get(None) is None and reader.get("../x") is None


# --- the note in replies: after the national answer and the regional contacts; never in safety or English ----

def test_the_note_comes_after_the_answer_and_the_contacts_before_the_source(school_db):
    change(school_db, schools_store.set_note, STAFF, REGENBOOG, TOPIC, NOTE)
    text = answer_text()
    national = text.index("jeugdgezondheidszorg (JGZ)")
    contacts = text.index("Voor Basisschool De Regenboog is dat")
    note = text.index("Van Basisschool De Regenboog:")
    source = text.index("Bron:")
    assert national < contacts < note < source
    more = run(ActionAnswerMore(), tracker("more_info", slots={"last_topic": TOPIC}))[0]["text"]
    assert more.index("Voor Basisschool De Regenboog") < more.index(NOTE) < more.index("Bron:")


def test_the_note_is_never_in_the_english_reply_or_another_schools_reply(school_db):
    change(school_db, schools_store.set_note, STAFF, REGENBOOG, TOPIC, NOTE)
    english = answer_text(language="en")
    assert "Bron:" not in english and NOTE not in english and "Van Basisschool" not in english
    assert NOTE not in answer_text(school_id=BAKEN)


def test_a_safety_reply_never_gets_the_note_nor_waits_for_it(school_db, home):
    change(school_db, schools_store.set_note, STAFF, REGENBOOG, TOPIC, NOTE)
    crisis = tracker("nlu_fallback", slots={"last_topic": TOPIC})
    crisis.latest_message["crisis"] = {"score": 0.9, "kind": "safety_suicide"}
    messages = run(ActionFallback(), crisis)
    assert messages[0]["response"] == "utter_safety_general"  # first, as before
    assert not any(NOTE in (message.get("text") or "") for message in messages)
    # safety intents are answered by domain responses (no action, so no note can reach them)
    rules = yaml.safe_load((home / "data" / "safety" / "rules.yml").read_text(encoding="utf-8"))["rules"]
    for rule in rules:
        steps = rule.get("steps") or []
        for step, following in zip(steps, steps[1:]):
            if str(step.get("intent", "")).startswith("safety_"):
                assert str(following.get("action", "")).startswith("utter_"), rule


def test_preview_shows_the_whole_reply_without_saving(school_db):
    before = version(school_db)
    text = change(school_db, schools_store.preview, STAFF, REGENBOOG, TOPIC, NOTE)
    assert text == answer_text().split("\n\nWil je meer weten?")[0].replace(
        "\n\nBron:", f"\n\nVan Basisschool De Regenboog: {NOTE}\n\nBron:", 1)
    assert version(school_db) == before
    with session_factory(school_db)() as session:
        assert schools_store.list_notes(session, STAFF, REGENBOOG) == {}
    with pytest.raises(SchoolChangeError, match="zonder HTML"):
        change(school_db, schools_store.preview, STAFF, REGENBOOG, TOPIC, "<script>x</script>")


# --- holidays in the expected reply time ----------------------------------------------------------------------

CHRISTMAS = Holiday(start=dt.date(2026, 12, 19), end=dt.date(2027, 1, 3), label="kerstvakantie")


def test_during_a_holiday_the_reply_names_the_first_school_day_after_it(registry):
    hours = registry.get(BAKEN).contacts["zorgcoordinator"].hours  # ma, wo, do 08:30-16:00
    now = dt.datetime(2026, 12, 22, 10, 0, tzinfo=AMS)  # a Tuesday in the holiday
    text = expectation(hours, "Sanne Visser", now, closed=[CHRISTMAS])
    assert text.startswith("Het is nu kerstvakantie, tot en met zondag 3 januari. "
                           "De eerste schooldag daarna is maandag 4 januari.")
    assert "op zijn vroegst maandag 4 januari vanaf 8.30 uur antwoord" in text
    english = expectation(hours, "Sanne Visser", now, language="en", closed=[CHRISTMAS])
    assert "The first school day after it is Monday 4 January." in english
    assert "Monday 4 January from 08:30 at the earliest" in english
    # a Wednesday in the holiday would have been open without it
    assert expectation(hours, "Sanne Visser", dt.datetime(2026, 12, 23, 10, 0, tzinfo=AMS)) == ""
    assert "4 januari" in expectation(hours, "Sanne Visser", dt.datetime(2026, 12, 23, 10, 0, tzinfo=AMS),
                                      closed=[CHRISTMAS])


def test_the_evening_before_a_holiday_skips_it(registry):
    hours = registry.get(BAKEN).contacts["zorgcoordinator"].hours
    now = dt.datetime(2026, 12, 17, 17, 0, tzinfo=AMS)  # Thursday after hours; Friday 18th no hours
    text = expectation(hours, "Sanne Visser", now, closed=[CHRISTMAS])
    assert "maandag 4 januari vanaf 8.30 uur" in text
    assert first_school_day(CHRISTMAS, [CHRISTMAS, Holiday(start=dt.date(2027, 1, 4), end=dt.date(2027, 1, 4),
                                                           label="studiedag")]) == dt.date(2027, 1, 5)


def test_the_handover_says_when_the_school_answers_after_a_holiday_from_the_database(school_db):
    today = local_now().date()
    change(school_db, schools_store.add_holiday, OTHER_STAFF, BAKEN, today - dt.timedelta(days=1),
           today + dt.timedelta(days=20), "kerstvakantie")
    school = common.schools().get(BAKEN)
    after = first_school_day(school.holidays[0], school.holidays)
    text = when_text(Route("zorgcoordinator", school.contacts["zorgcoordinator"], ""), school)
    assert "Het is nu kerstvakantie" in text and f"De eerste schooldag daarna is {describe_day(after)}." in text
    english = when_text(Route("zorgcoordinator", school.contacts["zorgcoordinator"], ""), school, "en")
    assert f"The first school day after it is {describe_day(after, 'en')}." in english


# --- YAML in and out --------------------------------------------------------------------------------------

def test_export_and_import_round_trip(school_db, tmp_path, capsys):
    change(school_db, schools_store.set_note, STAFF, REGENBOOG, TOPIC, NOTE)
    change(school_db, schools_store.add_holiday, STAFF, REGENBOOG, "2026-12-19", "2027-01-03", "Kerstvakantie")
    change(school_db, schools_store.set_widget, STAFF, REGENBOOG, "De Regenboog", "#2f5d3a")
    with session_factory(school_db)() as session:
        original = schools_store.get_school(session, STAFF, REGENBOOG)
    assert cli.main(["schools", "export", REGENBOOG]) == 0
    exported = capsys.readouterr().out
    path = tmp_path / f"{REGENBOOG}.yml"
    path.write_text(exported, encoding="utf-8")
    assert load_school(path) == original  # the file is valid by the same rules and the same school
    assert cli.main(["schools", "import", str(path)]) == 0
    assert capsys.readouterr().out.strip() == f"{REGENBOOG}: unchanged"
    # into another database: the same school, holidays and note
    from wegwijs.db import migrate

    other = f"sqlite:///{tmp_path / 'other.db'}"
    migrate.upgrade(other)
    results = change(other, schools_store.import_files, [path])
    assert results == [(REGENBOOG, "created")]
    with session_factory(other)() as session:
        assert schools_store.get_school(session, Actor.system(), REGENBOOG) == original


def test_import_updates_and_a_bad_file_imports_nothing(school_db, tmp_path, home, capsys):
    data = yaml.safe_load((home / "schools" / f"{BAKEN}.yml").read_text(encoding="utf-8"))
    data["gemeente"] = "Kampen"
    data["holidays"] = [{"start": "2027-02-15", "end": "2027-02-19", "label": "Voorjaarsvakantie"}]
    good = tmp_path / f"{BAKEN}.yml"
    good.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    bad = tmp_path / "kapot.yml"
    bad.write_text(yaml.safe_dump({**data, "type": "mbo"}, allow_unicode=True), encoding="utf-8")
    assert cli.main(["schools", "import", str(good), str(bad)]) == 1
    assert "kapot.yml: type" in capsys.readouterr().err
    assert common.schools().get(BAKEN).gemeente == "Zwolle"
    assert cli.main(["schools", "import", str(good)]) == 0
    assert common.schools().get(BAKEN).gemeente == "Kampen"
    assert [h.label for h in common.schools().get(BAKEN).holidays] == ["Voorjaarsvakantie"]
    assert cli.main(["schools"]) == 0  # validating the files still works
