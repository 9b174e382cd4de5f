"""The sentences around content: greeting, school contacts, hours, sources, referral."""
from __future__ import annotations

import datetime as dt

from wegwijs.replies import (UNKNOWN_SCHOOL_NOTE, contact_person_reply, contact_sentence, describe_hours,
                             dutch_date, greeting, referral_line, source_line)
from wegwijs.settings import Settings


def test_greeting_says_automated_what_is_stored_how_long_and_who_reads(registry):
    settings = Settings.from_env({"WEGWIJS_RETENTION_DAYS": "14", "WEGWIJS_PRIVACY_URL": "https://p.example"})
    text = greeting(registry.get("de-regenboog"), settings)
    assert "computerprogramma, geen mens" in text
    assert "14 dagen" in text
    assert "toestemming" in text
    assert "https://p.example" in text
    assert "Basisschool De Regenboog" in text
    assert UNKNOWN_SCHOOL_NOTE not in text


def test_greeting_without_school_says_so(registry):
    assert UNKNOWN_SCHOOL_NOTE in greeting(None, Settings.from_env({}))


def test_contact_sentence_names_the_schools_person_and_hours(registry):
    text = contact_sentence(registry.get("de-regenboog"), ["intern_begeleider"])
    assert text.startswith("Op Basisschool De Regenboog is dat Marieke de Vries, de intern begeleider, "
                           "op dinsdag en donderdag van 8.30 tot 15.00 uur.")
    assert "012-3456701" in text


def test_secondary_school_gets_its_zorgcoordinator(registry):
    text = contact_sentence(registry.get("het-baken"), ["intern_begeleider", "zorgcoordinator"])
    assert "Sanne Visser, de zorgcoördinator" in text


def test_missing_role_points_to_the_contact_person(registry):
    text = contact_sentence(registry.get("het-baken"), ["intern_begeleider"])
    assert "weet ik niet wie de intern begeleider is" in text
    assert "Ruud Bakker" in text


def test_unknown_school_gets_general_advice():
    text = contact_sentence(None, ["intern_begeleider"])
    assert "schoolgids" in text


def test_hours_with_different_times_list_only_days(registry):
    person = registry.get("de-regenboog").contacts["contact_person"]
    assert describe_hours(person) == "op maandag, dinsdag, donderdag en vrijdag"


def test_source_line_and_dates(library):
    answer = library.answers()[0]
    line = source_line(answer)
    assert answer.source.url in line and "gecontroleerd op" in line
    assert dutch_date(dt.date(2026, 11, 23)) == "23 november 2026"


def test_referral_and_contact_person(registry):
    school = registry.get("de-kompas")
    assert "Jeugdstem" in referral_line(school) and "Jolanda Smit" in referral_line(school)
    assert "Jolanda Smit" in contact_person_reply(school)
    assert "school" in contact_person_reply(None)
