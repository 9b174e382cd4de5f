"""Unit tests of the handover building blocks, without Rasa: routing, contact details, hours,
the Dutch dialogue texts and parsing, and the storage service on a per-test database."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from wegwijs.handovers import dialogue
from wegwijs.handovers.contact import display_phone, normalize_email, normalize_phone, parse_method
from wegwijs.handovers.hours import expectation, is_open, next_opening
from wegwijs.handovers.routing import SCHOOL_ROLES, candidates, route, urgency_of
from wegwijs.schools import ROLE_LABELS, Hours, School

AMS = ZoneInfo("Europe/Amsterdam")
UTC = dt.timezone.utc


def make_school(school_type: str, *roles: str, school_id: str = "test-school") -> School:
    """A minimal school of ``school_type`` with a contact person and the given roles."""
    contacts = {"contact_person": {"name": "Carla Contact", "email": "ouders@test.example"}}
    for role in roles:
        contacts[role] = {"name": f"Persoon {role}", "email": f"{role}@test.example"}
    return School.parse_obj({"id": school_id, "name": f"Testschool {school_type}", "type": school_type,
                             "gemeente": "Teststad", "samenwerkingsverband": "SWV Test",
                             "contacts": contacts})


def routed(topic, school, library, intents=()):
    """Route as the actions do: the answer's own roles and title, urgency from the intents."""
    answer = library.get(topic) if topic else None
    return route(topic, school, urgency_of(list(intents), topic), answer.roles if answer else (),
                 answer.title if answer else None)


# --- routing ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("school_id, topic, role", [
    ("het-baken", "care_mentor", "mentor"),
    ("de-regenboog", "care_mentor", "teacher"),
    ("de-kompas", "care_mentor", "teacher"),
    ("het-baken", "care_where_to_start", "mentor"),
    ("de-regenboog", "care_absence", "teacher"),
    ("het-baken", "care_opp", "zorgcoordinator"),
    ("het-baken", "care_tlv", "zorgcoordinator"),
    ("het-baken", "care_youth_health", "zorgcoordinator"),
    ("het-baken", "care_wijkteam", "zorgcoordinator"),
    ("het-baken", "care_intern_begeleider", "zorgcoordinator"),  # vo names its coordinator so
    ("de-regenboog", "care_opp", "intern_begeleider"),
    ("de-regenboog", "care_tlv", "intern_begeleider"),
    ("de-regenboog", "care_youth_health", "intern_begeleider"),
    ("de-regenboog", "care_wijkteam", "intern_begeleider"),
    ("de-regenboog", "care_zorgcoordinator", "intern_begeleider"),
    ("de-kompas", "care_opp", "intern_begeleider"),
    ("de-kompas", "care_tlv", "intern_begeleider"),
    ("de-kompas", "care_youth_health", "intern_begeleider"),
    ("de-kompas", "care_wijkteam", "intern_begeleider"),
    ("het-baken", "care_school_social_work", "school_social_worker"),
    ("de-regenboog", "care_school_social_work", "school_social_worker"),
    ("de-kompas", "care_school_social_work", "school_social_worker"),
    ("het-baken", "rights_ots", "zorgcoordinator"),
    ("de-regenboog", "rights_ots", "intern_begeleider"),
])
def test_typical_topics_go_to_the_right_role_per_school_type(registry, library, school_id, topic, role):
    school = registry.get(school_id)
    chosen = routed(topic, school, library)
    assert chosen.role == role
    assert chosen.contact == school.contacts[role]
    # the topic alone (no answer roles) gives the same person
    assert route(topic, school).role == role


def test_names_of_the_example_schools_people(registry, library):
    assert routed("care_opp", registry.get("het-baken"), library).contact.name == "Sanne Visser"
    assert routed("care_opp", registry.get("de-regenboog"), library).contact.name == "Marieke de Vries"
    assert routed("care_wijkteam", registry.get("de-kompas"), library).contact.name == "Karin Mulder"
    assert routed("care_school_social_work", registry.get("de-regenboog"), library).contact.name == \
        "Youssef El Amrani"


@pytest.mark.parametrize("intents, topic, urgency", [
    (["greet", "safety_domestic_violence", "care_opp"], "care_opp", "urgent"),
    (["safety_suicide"], None, "urgent"),
    (["care_child_at_home", "safety_child_abuse"], "care_child_at_home", "urgent"),
    (["care_child_at_home"], "care_child_at_home", "high"),
    (["care_removal"], "care_removal", "high"),
    (["care_exemption"], "care_exemption", "high"),
    (["care_opp", "talk_to_human"], "care_opp", "normal"),
    ([], None, "normal"),
    (["nlu_fallback", "affirm"], "care_mentor", "normal"),
])
def test_urgency(intents, topic, urgency):
    assert urgency_of(intents, topic) == urgency


@pytest.mark.parametrize("school_id, person", [
    ("het-baken", "Priya Ramdin"), ("de-regenboog", "Youssef El Amrani"), ("de-kompas", "Daan Hoekstra")])
@pytest.mark.parametrize("topic", ["care_mentor", "care_opp", "care_youth_health", None])
def test_a_safety_message_makes_it_urgent_for_the_school_social_worker(registry, library, school_id,
                                                                         person, topic):
    school = registry.get(school_id)
    chosen = routed(topic, school, library, intents=["care_mentor", "safety_domestic_violence"])
    assert chosen.role == "school_social_worker"
    assert chosen.contact.name == person
    assert chosen.reason.startswith("Je vraag is dringend.")
    assert "schoolmaatschappelijk werker" in chosen.reason


@pytest.mark.parametrize("school_type, care", [("vo", "zorgcoordinator"), ("vso", "zorgcoordinator"),
                                               ("po", "intern_begeleider"), ("so", "intern_begeleider")])
def test_urgent_without_a_school_social_worker_goes_to_the_care_coordinator(school_type, care):
    first = "mentor" if school_type in ("vo", "vso") else "teacher"
    school = make_school(school_type, first, care)
    chosen = route("care_mentor", school, "urgent")
    assert chosen.role == care
    assert chosen.contact.name == f"Persoon {care}"
    assert chosen.reason.startswith("Je vraag is dringend.")
    # and without a care coordinator either: the contact person
    assert route("care_mentor", make_school(school_type, first), "urgent").role == "contact_person"


def test_a_child_at_home_is_high_and_goes_to_the_care_coordinator(registry, library):
    assert urgency_of(["care_child_at_home"], "care_child_at_home") == "high"
    assert routed("care_child_at_home", registry.get("het-baken"), library,
                  ["care_child_at_home"]).role == "zorgcoordinator"
    assert routed("care_child_at_home", registry.get("de-regenboog"), library,
                  ["care_child_at_home"]).role == "intern_begeleider"


@pytest.mark.parametrize("topic", [None, "greet", "out_of_scope", "iets_nieuws"])
def test_an_unknown_topic_goes_to_the_first_person(registry, topic):
    assert route(topic, registry.get("het-baken")).role == "mentor"
    assert route(topic, registry.get("de-regenboog")).role == "teacher"
    assert route(topic, registry.get("de-kompas")).role == "teacher"


def test_a_missing_role_falls_back():
    # vo without a mentor: the care coordinator
    assert route("care_mentor", make_school("vo", "zorgcoordinator")).role == "zorgcoordinator"
    # po without a teacher: the intern begeleider
    assert route("care_mentor", make_school("po", "intern_begeleider")).role == "intern_begeleider"
    # a po school that calls its coordinator a zorgcoördinator
    assert route("care_opp", make_school("po", "teacher", "zorgcoordinator")).role == "zorgcoordinator"
    # a vo school that calls its coordinator an intern begeleider
    assert route("care_opp", make_school("vo", "mentor", "intern_begeleider")).role == "intern_begeleider"
    # school social work without a school social worker: the care coordinator
    assert route("care_school_social_work", make_school("po", "teacher", "intern_begeleider")).role == \
        "intern_begeleider"
    # nobody but the contact person
    only = make_school("vo")
    for topic in ("care_mentor", "care_opp", "care_school_social_work", None):
        chosen = route(topic, only)
        assert chosen.role == "contact_person" and chosen.contact.name == "Carla Contact"


def test_external_services_never_get_a_handover():
    school = School.parse_obj({
        "id": "extern", "name": "Extern", "type": "po", "gemeente": "X", "samenwerkingsverband": "Y",
        "contacts": {"contact_person": {"name": "Carla", "email": "c@x.example"},
                     "jgz": {"name": "de GGD", "email": "ggd@x.example"},
                     "wijkteam": {"name": "het wijkteam", "email": "wt@x.example"},
                     "attendance_officer": {"name": "leerplicht", "email": "lp@x.example"}}})
    for topic, roles in (("care_youth_health", ("jgz",)), ("care_wijkteam", ("wijkteam",)),
                         ("care_compulsory_education", ("attendance_officer",))):
        assert route(topic, school, "normal", roles).role == "contact_person"


def test_candidates_end_with_the_contact_person(registry):
    baken = registry.get("het-baken")
    assert candidates("care_mentor", baken, "normal") == ("mentor", "zorgcoordinator", "contact_person")
    assert candidates("care_opp", baken, "urgent") == ("school_social_worker", "zorgcoordinator",
                                                       "contact_person")
    regenboog = registry.get("de-regenboog")
    assert candidates(None, regenboog, "normal") == ("teacher", "intern_begeleider", "contact_person")


def test_the_route_is_always_a_school_role_the_school_has(registry, library):
    schools = [registry.get(school_id) for school_id in registry.ids()] + [
        make_school("vo"), make_school("po", "teacher"), make_school("so", "zorgcoordinator"),
        make_school("vso", "mentor", "school_social_worker"), make_school("po", "intern_begeleider")]
    topics = [answer.intent for answer in library.answers()] + [None, "greet", "onbekend_onderwerp"]
    for school in schools:
        for topic in topics:
            answer = library.get(topic) if topic else None
            for urgency in ("normal", "high", "urgent"):
                chosen = route(topic, school, urgency, answer.roles if answer else (),
                               answer.title if answer else None)
                assert chosen.role in SCHOOL_ROLES, (school.id, topic, urgency)
                assert chosen.role in school.contacts, (school.id, topic, urgency)
                assert chosen.contact == school.contacts[chosen.role]


def test_who_and_reason_are_dutch_and_name_the_role(registry, library):
    baken = registry.get("het-baken")
    care = routed("care_opp", baken, library)
    assert care.who() == "de zorgcoördinator, Sanne Visser"
    assert care.label == ROLE_LABELS["zorgcoordinator"] == "de zorgcoördinator"
    assert care.reason.startswith("Je vraag gaat over: Het ontwikkelingsperspectief (OPP).")
    assert "De zorgcoördinator regelt op school de extra ondersteuning" in care.reason
    mentor = routed("care_mentor", baken, library)
    assert mentor.who() == "de mentor van je kind"  # a descriptive name is used as it is
    assert "De mentor kent je kind van dichtbij" in mentor.reason
    teacher = routed("care_mentor", registry.get("de-regenboog"), library)
    assert "leerkracht" in teacher.who() and "De leerkracht kent je kind" in teacher.reason
    ssw = routed("care_school_social_work", registry.get("de-kompas"), library)
    assert ssw.who() == "de schoolmaatschappelijk werker, Daan Hoekstra"
    assert "De schoolmaatschappelijk werker helpt ouders" in ssw.reason
    contact = route("care_mentor", make_school("vo"))
    assert contact.who() == "de contactpersoon voor ouders, Carla Contact"
    assert "zorgt dat je vraag bij de juiste persoon op school komt" in contact.reason
    assert route(None, baken).reason == "De mentor kent je kind van dichtbij en is het eerste aanspreekpunt."


def test_reason_keeps_abbreviations_in_the_topic_title(registry, library):
    reason = routed("care_opp", registry.get("het-baken"), library).reason
    assert "(OPP)" in reason


# --- contact details -------------------------------------------------------------------------------

@pytest.mark.parametrize("text, method", [
    ("bel me maar", "phone"), ("Bel mij", "phone"), ("telefonisch", "phone"), ("telefoon", "phone"),
    ("Telefoon.", "phone"), ("bellen graag", "phone"), ("mijn nummer is 0612345678", "phone"),
    ("bel me op 06-12345678", "phone"), ("phone", "phone"),
    ("liever mailen", "email"), ("e-mail", "email"), ("E-mail", "email"), ("Mail mij", "email"),
    ("per mail graag", "email"), ("stuur maar een mailtje", "email"), ("email", "email"),
    ("mijn adres is jan@voorbeeld.nl", "email"),
    ("hier", "chat"), ("via de chat", "chat"), ("Hier in de chat", "chat"), ("chat", "chat"),
    (" Chat ", "chat"), ("in de chat graag", "chat"),
])
def test_parse_method(text, method):
    assert parse_method(text) == method


@pytest.mark.parametrize("text", ["bellen of mailen", "weet ik niet", "maakt niet uit", "", "hallo",
                                  "ja", "liever niet bellen, mail maar"])
def test_parse_method_ambiguous_or_none(text):
    assert parse_method(text) is None


@pytest.mark.parametrize("text, digits", [
    ("06-12345678", "0612345678"), ("06 1234 5678", "0612345678"), ("06 12 34 56 78", "0612345678"),
    ("06.12.34.56.78", "0612345678"), ("+31 6 12345678", "0612345678"), ("+31612345678", "0612345678"),
    ("0031612345678", "0612345678"), ("00 31 6 12345678", "0612345678"),
    ("+31 (0)6 12345678", "0612345678"), ("0031 (0)20 1234567", "0201234567"),
    ("030-1234567", "0301234567"), ("(030) 123 45 67", "0301234567"), ("0201234567", "0201234567"),
    ("bel me op 06-12345678 na drie uur", "0612345678"),
    ("+32 470 12 34 56", "+32470123456"), ("0032 470 12 34 56", "+32470123456"),
    ("+49 30 1234567", "+49301234567"),
])
def test_normalize_phone(text, digits):
    assert normalize_phone(text) == digits


@pytest.mark.parametrize("text", ["06-1234567", "0612345", "06123456789", "061234567890",
                                  "1234567890", "06-1234abcd", "zes twaalf", "", "O6-I2345678",
                                  "+31 6 1234 567"])
def test_normalize_phone_rejects(text):
    assert normalize_phone(text) is None


@pytest.mark.parametrize("text", ["0012345678", "00612345678"])
def test_normalize_phone_rejects_00_without_a_country_code(text):
    assert normalize_phone(text) is None


def test_display_phone():
    assert display_phone("0612345678") == "06-12345678"
    assert display_phone("0301234567") == "030-1234567"
    assert display_phone("+32470123456") == "+32470123456"


@pytest.mark.parametrize("text, email", [
    ("jan@voorbeeld.nl", "jan@voorbeeld.nl"),
    ("mijn mail is Jan.Jansen@Voorbeeld.NL graag", "Jan.Jansen@voorbeeld.nl"),
    ("mail naar ouder+school@mail.example.com.", "ouder+school@mail.example.com"),
    ("Stuur het naar o'brien@school.example, dank je", "o'brien@school.example"),
])
def test_normalize_email(text, email):
    assert normalize_email(text) == email


@pytest.mark.parametrize("text", ["jan@voorbeeld", "jan @ voorbeeld.nl", "jan@@voorbeeld.nl",
                                  "jan.voorbeeld.nl", "jan@voorbeeld.n", "jan@x..nl", "", "@voorbeeld.nl"])
def test_normalize_email_rejects(text):
    assert normalize_email(text) is None


# --- hours (Dutch local time) ----------------------------------------------------------------------

def hours_of(registry, school_id, role):
    return registry.get(school_id).contacts[role].hours


def test_is_open_in_local_time(registry):
    front = hours_of(registry, "het-baken", "contact_person")  # ma-do 08:00-16:30, vr 08:00-15:00
    monday = dt.datetime(2025, 10, 20, 10, 0, tzinfo=AMS)
    assert is_open(front, monday)
    assert is_open(front, dt.datetime(2025, 10, 20, 8, 0, tzinfo=AMS))  # start counts
    assert not is_open(front, dt.datetime(2025, 10, 20, 16, 30, tzinfo=AMS))  # end does not
    # UTC moments are read in Dutch summer time (UTC+2)
    assert is_open(front, dt.datetime(2025, 10, 20, 6, 30, tzinfo=UTC))  # 08:30 in Zwolle
    assert not is_open(front, dt.datetime(2025, 10, 20, 14, 45, tzinfo=UTC))  # 16:45 in Zwolle
    assert not is_open(front, dt.datetime(2025, 10, 24, 15, 30, tzinfo=AMS))  # Friday: until 15:00
    assert not is_open(front, dt.datetime(2025, 10, 25, 11, 0, tzinfo=AMS))  # Saturday
    assert not is_open([], monday)


def test_expectation_is_empty_while_open(registry):
    care = hours_of(registry, "het-baken", "zorgcoordinator")  # ma, wo, do 08:30-16:00
    assert expectation(care, "Sanne Visser", dt.datetime(2025, 10, 22, 9, 0, tzinfo=AMS)) == ""
    assert expectation(care, "Sanne Visser", dt.datetime(2025, 10, 22, 7, 0, tzinfo=UTC)) == ""


def test_before_opening_today(registry):
    care = hours_of(registry, "het-baken", "zorgcoordinator")
    now = dt.datetime(2025, 10, 20, 7, 0, tzinfo=AMS)
    assert next_opening(care, now) == dt.datetime(2025, 10, 20, 8, 30, tzinfo=AMS)
    text = expectation(care, "Sanne Visser", now)
    assert text.startswith("Sanne Visser is er nu niet.")
    assert "vandaag vanaf 8.30 uur" in text


def test_a_day_without_hours_gives_tomorrow(registry):
    care = hours_of(registry, "het-baken", "zorgcoordinator")  # not on Tuesday
    now = dt.datetime(2025, 10, 21, 10, 0, tzinfo=AMS)
    assert not is_open(care, now)
    assert next_opening(care, now) == dt.datetime(2025, 10, 22, 8, 30, tzinfo=AMS)
    assert "morgen vanaf 8.30 uur" in expectation(care, "Sanne Visser", now)


def test_friday_evening_gives_monday(registry):
    front = hours_of(registry, "het-baken", "contact_person")
    now = dt.datetime(2025, 10, 24, 18, 0, tzinfo=AMS)
    opening = next_opening(front, now)
    assert opening == dt.datetime(2025, 10, 27, 7, 0, tzinfo=UTC)  # 08:00 winter time
    assert opening.astimezone(AMS).hour == 8
    text = expectation(front, "Ruud Bakker", now)
    assert "maandag vanaf 8.00 uur" in text and "morgen" not in text and "vandaag" not in text
    assert "schoolvakanties" in text


def test_weekend_gives_monday_and_sunday_gives_tomorrow(registry):
    front = hours_of(registry, "het-baken", "contact_person")
    saturday = dt.datetime(2025, 10, 25, 11, 0, tzinfo=AMS)
    assert "maandag vanaf 8.00 uur" in expectation(front, "Ruud Bakker", saturday)
    sunday = dt.datetime(2025, 10, 26, 12, 0, tzinfo=AMS)
    assert "morgen vanaf 8.00 uur" in expectation(front, "Ruud Bakker", sunday)
    # a weekday person on another day of the week
    social = hours_of(registry, "het-baken", "school_social_worker")  # only Tuesday 09:00-15:00
    wednesday = dt.datetime(2025, 10, 22, 10, 0, tzinfo=AMS)
    assert next_opening(social, wednesday) == dt.datetime(2025, 10, 28, 9, 0, tzinfo=AMS)
    assert "dinsdag vanaf 9.00 uur" in expectation(social, "Priya Ramdin", wednesday)


def test_the_switch_to_winter_time(registry):
    """Summer time ends on Sunday 26 October 2025 at 03:00 (clocks go back to 02:00)."""
    front = hours_of(registry, "het-baken", "contact_person")
    # 06:30 UTC is 08:30 in summer time (open) but 07:30 in winter time (closed)
    assert is_open(front, dt.datetime(2025, 10, 20, 6, 30, tzinfo=UTC))
    assert not is_open(front, dt.datetime(2025, 10, 27, 6, 30, tzinfo=UTC))
    assert is_open(front, dt.datetime(2025, 10, 27, 7, 0, tzinfo=UTC))
    # just after midnight on Monday, Dutch time: "vandaag", although it is still Sunday in UTC
    before = dt.datetime(2025, 10, 19, 22, 30, tzinfo=UTC)  # Mon 00:30 CEST
    after = dt.datetime(2025, 10, 26, 23, 30, tzinfo=UTC)  # Mon 00:30 CET
    assert next_opening(front, before) == dt.datetime(2025, 10, 20, 6, 0, tzinfo=UTC)
    assert next_opening(front, after) == dt.datetime(2025, 10, 27, 7, 0, tzinfo=UTC)
    assert "vandaag vanaf 8.00 uur" in expectation(front, "Ruud Bakker", before)
    assert "vandaag vanaf 8.00 uur" in expectation(front, "Ruud Bakker", after)
    # in the repeated hour (02:30 winter time) it is Sunday: Monday is "morgen"
    repeated = dt.datetime(2025, 10, 26, 1, 30, tzinfo=UTC)
    assert repeated.astimezone(AMS).hour == 2
    assert "morgen vanaf 8.00 uur" in expectation(front, "Ruud Bakker", repeated)
    # a person who starts at 02:00 on that Sunday is open in both 02:30s
    night = [Hours(day="zondag", start="02:00", end="03:00")]
    assert is_open(night, dt.datetime(2025, 10, 26, 0, 30, tzinfo=UTC))  # 02:30 CEST
    assert is_open(night, dt.datetime(2025, 10, 26, 1, 30, tzinfo=UTC))  # 02:30 CET
    assert not is_open(night, dt.datetime(2025, 10, 26, 2, 30, tzinfo=UTC))  # 03:30 CET


def test_no_hours_gives_the_generic_sentence():
    text = expectation([], "Sanne Visser", dt.datetime(2025, 10, 21, 10, 0, tzinfo=AMS))
    assert text.startswith("Ik weet niet op welke dagen deze persoon op school is.")
    assert "Sanne Visser" not in text
    assert next_opening([], dt.datetime(2025, 10, 21, 10, 0, tzinfo=AMS)) is None


# --- dialogue --------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["ja", "Ja", "JA", "Ja, stuur door", "ja graag", "Oké", "prima!",
                                  "Akkoord", "is goed", "doe maar", "ja hoor, stuur maar door",
                                  "dat mag", "ik geef toestemming"])
def test_consent_yes(text):
    assert dialogue.parse_consent(text, None) == dialogue.YES


@pytest.mark.parametrize("text", ["nee", "Nee.", "Nee, niet doorsturen", "liever niet", "nee hoor",
                                  "niet doen", "geen toestemming", "ik wil niet", "nee bedankt",
                                  "stop", "Stop!", "laat maar", "ja maar niet doorsturen"])
def test_consent_no(text):
    assert dialogue.parse_consent(text, None) == dialogue.NO


def test_consent_buttons_and_intents():
    assert dialogue.parse_consent("/affirm", "affirm") == dialogue.YES
    assert dialogue.parse_consent("/deny", "deny") == dialogue.NO
    # a no word or "stop" always wins over a yes guess of the NLU
    assert dialogue.parse_consent("nee", "affirm") == dialogue.NO
    assert dialogue.parse_consent("stop", "affirm") == dialogue.NO


@pytest.mark.parametrize("text", ["misschien", "wat wordt er gedeeld?", "hmm", "wie is dat?", "ja of nee?",
                                  "ja, nee, ik weet het niet"])
def test_consent_unclear(text):
    assert dialogue.parse_consent(text, None) is None


@pytest.mark.parametrize("text", ["stop", "Stop.", "STOPPEN", "laat maar", "ik wil toch niet",
                                  "niet doorsturen aub", "annuleren", "vergeet het maar"])
def test_is_stop(text):
    assert dialogue.is_stop(text)


@pytest.mark.parametrize("text", ["ja", "nee", "groep 5", "de bus stopt niet",
                                  "ik wil niet dat mijn zoon van school moet",
                                  "Mijn zoon wil stoppen met school, wat nu?"])
def test_is_not_stop(text):
    assert not dialogue.is_stop(text)


@pytest.mark.parametrize("text", ["Hij wil stoppen met school", "Mag ze stoppen met zwemles?"])
def test_a_short_question_about_stopping_is_not_stop(text):
    assert not dialogue.is_stop(text)


@pytest.mark.parametrize("text, parsed", [
    ("groep 5", "groep 5"), ("Groep5", "groep 5"), ("hij zit in groep 7", "groep 7"),
    ("klas 2", "klas 2"), ("leerjaar 3", "klas 3"), ("2 havo", "2 havo"), ("havo 3", "3 havo"),
    ("3 HAVO", "3 havo"), ("vwo 6", "6 vwo"), ("brugklas", "brugklas"), ("Brugklas!", "brugklas"),
    ("3e vmbo", "3 vmbo"), ("1 gymnasium", "1 gymnasium"),
    ("weet ik niet", dialogue.UNKNOWN_CLASS), ("zeg ik liever niet", dialogue.UNKNOWN_CLASS),
    ("geen idee", dialogue.UNKNOWN_CLASS), ("5", "5"),
])
def test_parse_class(text, parsed):
    assert dialogue.parse_class(text) == parsed


@pytest.mark.parametrize("text", ["asdf qwer", "groep 9", "klas 7", "ja", "", "blablabla"])
def test_parse_class_not_recognised(text):
    assert dialogue.parse_class(text) is None


@pytest.mark.parametrize("child_class, school_type, band", [
    ("groep 1", "po", "age_under_12"), ("groep 5", "po", "age_under_12"), ("5", "po", "age_under_12"),
    ("2", "so", "age_under_12"), ("brugklas", "vo", "age_12_15"), ("klas 2", "vo", "age_12_15"),
    ("3 havo", "vo", "age_12_15"), ("3 vmbo", "vo", "age_12_15"), ("1 gymnasium", "vo", "age_12_15"),
    ("5 vwo", "vo", "age_16_plus"), ("6 vwo", "vo", "age_16_plus"), ("5", "vo", "age_16_plus"),
    (dialogue.UNKNOWN_CLASS, "vo", None), (None, "po", None),
])
def test_age_band_of_class(child_class, school_type, band):
    assert dialogue.age_band_of_class(child_class, school_type) == band


def test_consent_question_names_person_school_what_and_how(registry, library):
    baken = registry.get("het-baken")
    chosen = routed("care_opp", baken, library)
    phone = dialogue.consent_question(chosen, baken, "phone", "0612345678", "")
    assert phone.startswith("Ik stuur je vraag graag naar de zorgcoördinator, Sanne Visser op "
                            "Het Baken College.")
    assert chosen.reason in phone
    assert "Wat ik deel:" in phone and "je vraag" in phone and "groep of klas" in phone
    assert "chatgesprek" in phone
    assert "De zorgcoördinator, Sanne Visser neemt contact met je op door je te bellen op 06-12345678." \
        in phone
    assert phone.endswith("Vind je het goed dat ik dit deel?")
    email = dialogue.consent_question(chosen, baken, "email", "jan@voorbeeld.nl", "")
    assert "met een e-mail aan jan@voorbeeld.nl" in email
    chat = dialogue.consent_question(chosen, baken, "chat", None, "Sanne Visser is er nu niet.")
    assert "neemt contact met je op hier in de chat" in chat
    assert "Sanne Visser is er nu niet." in chat
    regenboog = registry.get("de-regenboog")
    teacher = routed("care_mentor", regenboog, library)
    text = dialogue.consent_question(teacher, regenboog, "chat", None, "")
    assert "de leerkracht van de groep van je kind op Basisschool De Regenboog" in text


@pytest.mark.parametrize("method, detail, how", [
    ("chat", None, "Het antwoord komt hier in de chat"),
    ("phone", "0612345678", "door je te bellen op 06-12345678"),
    ("email", "jan@voorbeeld.nl", "met een e-mail aan jan@voorbeeld.nl"),
])
def test_handed_over_mentions_112_and_the_retention_days(registry, library, method, detail, how):
    baken = registry.get("het-baken")
    chosen = routed("care_opp", baken, library)
    text = dialogue.handed_over(chosen, baken, method, detail, "", 45)
    assert text.startswith("Je vraag ligt nu bij de zorgcoördinator, Sanne Visser op Het Baken College.")
    assert how in text
    assert "Bel dan 112" in text
    assert "45 dagen" in text


@pytest.mark.parametrize("method, detail, how", [
    ("chat", None, "Het antwoord komt hier in de chat"),
    ("phone", "0612345678", "door je te bellen op 06-12345678"),
    ("email", "jan@voorbeeld.nl", "met een e-mail aan jan@voorbeeld.nl"),
])
def test_handed_over_says_how_and_mentions_112(registry, library, method, detail, how):
    baken = registry.get("het-baken")
    chosen = routed("care_opp", baken, library)
    text = dialogue.handed_over(chosen, baken, method, detail, "Sanne Visser is er nu niet.", 45)
    assert how in text and "Bel dan 112" in text and "Sanne Visser is er nu niet." in text


def test_not_shared_gives_the_direct_details(registry, library):
    baken = registry.get("het-baken")
    chosen = routed("care_opp", baken, library)
    text = dialogue.not_shared(chosen, baken, "Bel 012-3457701.")
    assert text.startswith("Goed, ik stuur niets door.")
    assert "de zorgcoördinator, Sanne Visser op Het Baken College" in text
    assert text.endswith("Bel 012-3457701.")
    assert "Ruud Bakker" in dialogue.not_shared(None, baken, "")


# --- the service, on a database per test ------------------------------------------------------------

from wegwijs.handovers import service  # noqa: E402
from wegwijs.handovers.service import HandoverError  # noqa: E402


@pytest.fixture
def session(db_url):
    from wegwijs.db import migrate
    from wegwijs.db.engine import session_factory

    migrate.upgrade(db_url)
    with session_factory(db_url)() as db_session:
        yield db_session


def new(session, school_id="het-baken", **overrides):
    fields = dict(school_id=school_id, role="zorgcoordinator", conversation_id="conv-1",
                  question="Mijn zoon krijgt geen extra hulp in de klas.", contact_method="chat",
                  consent_text="Vind je het goed dat ik dit deel?", topic="care_opp",
                  child_class="2 havo", age_band="age_12_15", urgency="normal")
    fields.update(overrides)
    return service.create_handover(session, **fields)


def staff(session, registry, email, school_id="het-baken", **kwargs):
    from wegwijs.staff import add_staff

    return add_staff(session, registry, email=email, name=email.split("@")[0], kind="staff",
                     password="een-lang-wachtwoord", school_id=school_id, **kwargs)


def test_create_handover_stores_what_was_consented(session):
    handover = new(session, contact_method="phone", contact_detail="0612345678",
                   question="  Mijn zoon krijgt geen extra hulp.  ")
    session.commit()
    assert handover.id is not None and len(handover.public_id) == 32
    assert handover.status == "new" and handover.assignee_id is None
    assert handover.question == "Mijn zoon krijgt geen extra hulp."
    assert handover.contact_detail == "0612345678"
    assert handover.consented_at is not None and handover.consent_text.startswith("Vind je")
    assert handover.resolved_at is None
    chat = new(session, conversation_id="conv-2", contact_detail="0612345678")
    assert chat.contact_detail is None  # the chat needs no detail, and none is kept
    long = new(session, conversation_id="conv-3", question="x" * 3000)
    assert len(long.question) == service.MAX_QUESTION_CHARS
    assert new(session, conversation_id="conv-4").public_id != handover.public_id


@pytest.mark.parametrize("overrides, message", [
    ({"contact_method": "whatsapp"}, "contactwijze"),
    ({"urgency": "spoed"}, "urgentie"),
    ({"contact_method": "phone"}, "telefoonnummer"),
    ({"contact_method": "email", "contact_detail": ""}, "e-mailadres"),
])
def test_create_handover_refuses(session, overrides, message):
    with pytest.raises(HandoverError, match=message):
        new(session, **overrides)
    session.rollback()
    from wegwijs.db.models import Handover
    assert session.query(Handover).count() == 0


def test_list_for_school_urgent_first_resolved_last_and_filters(session):
    start = dt.datetime(2025, 10, 20, 8, 0)
    normal_old = new(session, urgency="normal")
    high = new(session, urgency="high", role="mentor")
    urgent = new(session, urgency="urgent", role="school_social_worker")
    resolved_urgent = new(session, urgency="urgent", role="school_social_worker")
    normal_new = new(session, urgency="normal")
    other = new(session, school_id="de-regenboog", urgency="urgent", role="intern_begeleider")
    for minutes, handover in enumerate([normal_old, high, urgent, resolved_urgent, normal_new, other]):
        handover.created_at = start + dt.timedelta(minutes=minutes)
    service.resolve(session, resolved_urgent)
    session.commit()

    listed = service.list_for_school(session, "het-baken")
    assert [h.id for h in listed] == [urgent.id, high.id, normal_old.id, normal_new.id, resolved_urgent.id]
    assert other.id not in [h.id for h in listed]
    assert [h.id for h in service.list_for_school(session, "het-baken", status="open")] == \
        [urgent.id, high.id, normal_old.id, normal_new.id]
    assert [h.id for h in service.list_for_school(session, "het-baken", status="resolved")] == \
        [resolved_urgent.id]
    assert [h.id for h in service.list_for_school(session, "het-baken", role="mentor")] == [high.id]
    assert [h.id for h in service.list_for_school(session, "het-baken", urgency="urgent")] == \
        [urgent.id, resolved_urgent.id]
    assert [h.id for h in service.list_for_school(session, "het-baken", status="open",
                                                  role="school_social_worker")] == [urgent.id]
    assert [h.id for h in service.list_for_school(session, "de-regenboog")] == [other.id]
    assert service.list_for_school(session, "de-kompas") == []


def test_get_for_school_never_returns_another_schools_handover(session):
    mine = new(session)
    theirs = new(session, school_id="de-regenboog", role="intern_begeleider")
    session.commit()
    assert service.get_for_school(session, "het-baken", mine.public_id).id == mine.id
    assert service.get_for_school(session, "het-baken", theirs.public_id) is None
    assert service.get_for_school(session, "de-regenboog", mine.public_id) is None
    assert service.get_for_school(session, None, mine.public_id) is None
    assert service.get_for_school(session, "het-baken", "") is None
    assert service.get_for_school(session, "het-baken", "0" * 32) is None


def test_assign_only_to_staff_of_the_same_school(session, registry):
    handover = new(session)
    colleague = staff(session, registry, "sanne@hetbaken.example", roles=("zorgcoordinator",))
    stranger = staff(session, registry, "ib@deregenboog.example", school_id="de-regenboog")
    with pytest.raises(HandoverError, match="hoort niet bij deze school"):
        service.assign(session, handover, stranger)
    assert handover.assignee_id is None and handover.status == "new"
    colleague.active = False
    with pytest.raises(HandoverError):
        service.assign(session, handover, colleague)
    colleague.active = True
    service.assign(session, handover, colleague)
    session.commit()
    assert handover.assignee_id == colleague.id and handover.status == "assigned"
    service.resolve(session, handover)
    with pytest.raises(HandoverError, match="al afgehandeld"):
        service.assign(session, handover, colleague)


def test_add_note(session, registry):
    handover = new(session)
    author = staff(session, registry, "mentor@hetbaken.example")
    for text in ("", "   ", None, "x" * (service.MAX_NOTE_CHARS + 1)):
        with pytest.raises(HandoverError):
            service.add_note(session, handover, author, text)
    note = service.add_note(session, handover, author, "  Moeder gebeld, afspraak dinsdag.  ")
    longest = service.add_note(session, handover, author, "y" * service.MAX_NOTE_CHARS)
    session.commit()
    session.refresh(handover)
    assert [n.text for n in handover.notes] == ["Moeder gebeld, afspraak dinsdag.",
                                                "y" * service.MAX_NOTE_CHARS]
    assert note.author_id == author.id and longest.handover_id == handover.id


def test_resolve_sets_the_role_and_refuses_twice(session):
    plain = new(session)
    service.resolve(session, plain)
    assert plain.status == "resolved" and plain.resolved_role == "zorgcoordinator"
    assert plain.resolved_at is not None
    with pytest.raises(HandoverError, match="al afgehandeld"):
        service.resolve(session, plain, "mentor")
    assert plain.resolved_role == "zorgcoordinator"
    other = new(session, conversation_id="conv-2")
    service.resolve(session, other, "school_social_worker")
    session.commit()
    assert other.resolved_role == "school_social_worker" and other.role == "zorgcoordinator"


def test_open_handover_for_conversation(session):
    assert service.open_handover_for_conversation(session, "conv-1") is None
    first = new(session, conversation_id="conv-1")
    first.created_at = dt.datetime(2025, 10, 20, 8, 0)
    new(session, conversation_id="conv-other")
    session.commit()
    assert service.open_handover_for_conversation(session, "conv-1").id == first.id
    second = new(session, conversation_id="conv-1")
    second.created_at = dt.datetime(2025, 10, 20, 9, 0)
    session.commit()
    assert service.open_handover_for_conversation(session, "conv-1").id == second.id
    service.resolve(session, second)
    service.resolve(session, first)
    session.commit()
    assert service.open_handover_for_conversation(session, "conv-1") is None
    assert service.open_conversation_ids(session) == {"conv-other"}
