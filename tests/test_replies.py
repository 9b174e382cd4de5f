"""The sentences around content: greeting, school contacts, hours, sources, referral."""
from __future__ import annotations

import datetime as dt
from urllib.parse import urlparse

from wegwijs.replies import (UNKNOWN_SCHOOL_NOTE, contact_person_reply, contact_sentence, describe_hours,
                             dutch_date, greeting, referral_line, source_line)
from wegwijs.content import Source, load_referrals
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


def test_source_line_says_when_the_source_was_read_and_by_whom():
    fact_base = Source(name="Rechtspraak", url="https://www.rechtspraak.nl/a/b", fact="B2", read="2025-10")
    assert source_line(fact_base) == ("Bron: Rechtspraak, https://www.rechtspraak.nl/a/b (gelezen in oktober "
                                      "2025 of eerder, vastgelegd in de feitenbank van Wegwijs)")
    found = Source(name="Rijksoverheid", url="https://www.rijksoverheid.nl/x", fact="search", read="2026-12-03")
    assert source_line(found) == ("Bron: Rijksoverheid, https://www.rijksoverheid.nl/x (gelezen op "
                                  "3 december 2026 door de redactie van Wegwijs)")
    # never the day a file was committed: an answer's reply carries its source's reading
    assert "gecontroleerd" not in source_line(fact_base)
    assert dutch_date(dt.date(2026, 11, 23)) == "23 november 2026"


def test_the_referral_leads_somewhere_and_fits_the_topic(registry):
    referrals = load_referrals()
    plain = referral_line(referrals, "rights_raad_investigation")
    assert "https://jeugdstem.nl" in plain and "https://www.juridischloket.nl" in plain
    assert "jeugdbeschermer" not in plain  # no jeugdbeschermer yet during a raadsonderzoek
    # not the jeugdbeschermer when the parent complains about or disagrees with the jeugdbeschermer
    for topic in ("rights_complaint_gi", "rights_ots_dispute", "rights_instruction"):
        assert "jeugdbeschermer" not in referral_line(referrals, topic)
    assert "jeugdbeschermer" in referral_line(referrals, "rights_ots_duration")
    # legal help is not the school's task: its contact person is never in the referral
    assert "Jolanda Smit" not in plain
    for _, source in referrals.parts.values():
        assert source.passage and source.read and urlparse(source.url).path not in ("", "/")


def test_contact_person(registry):
    school = registry.get("de-kompas")
    assert "Jolanda Smit" in contact_person_reply(school)
    assert "school" in contact_person_reply(None)
