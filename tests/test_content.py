"""Content checks: every answer sourced and dated, intents consistent, no hard-coded deadlines."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from wegwijs import checks
from wegwijs.content import ContentError, ContentLibrary, load_terms
from wegwijs.text import text_key



def test_domain_rules_training_data_and_answers_name_the_same_intents(home, library):
    assert checks.check_intents(home, library) == []


def test_examples_are_enough_distinct_and_held_out_data_is_never_trained_on(home):
    assert checks.check_examples(home) == []


def test_answers_are_short_distinct_hedged_and_use_terms(library):
    assert checks.check_answers(library) == []


def test_every_answer_cites_its_page_the_passage_and_when_it_was_read(library):
    # in the project itself, so a fresh clone checks its sources without ../shared (issue 15)
    problems, _ = checks.check_sources(library)
    assert problems == []


def test_a_homepage_a_missing_passage_or_reading_and_an_old_reading_are_caught(tmp_path):
    entry = {**ENTRY, "source": {"name": "NJi", "url": "https://www.nji.nl/", "fact": "B2", "read": "2024-01"}}
    library = ContentLibrary.load(write_answers(tmp_path, entry))
    problems, _ = checks.check_sources(library, today=dt.date(2026, 12, 3))
    assert any("homepage" in p for p in problems)
    assert any("passage" in p for p in problems)
    assert any("over 18 months ago" in p for p in problems)
    entry["source"] = {"name": "NJi", "url": "https://www.nji.nl/a/b", "passage": "Zo staat het er.",
                       "fact": "B2", "read": "2026-01"}
    problems, warnings = checks.check_sources(ContentLibrary.load(write_answers(tmp_path / "b", entry)),
                                              today=dt.date(2027, 3, 1))
    assert problems == [] and warnings


def test_core_terms_are_explained_and_sentences_stay_b1(library):
    assert checks.check_words(library) == []


def test_an_unexplained_term_and_long_sentences_are_caught():
    glossary = checks.load_glossary()
    names = lambda text: [term.name for term in checks.unexplained_terms(text, glossary)]  # noqa: E731
    assert names("Bij een OTS houd je het gezag.") == ["gezag", "ots"]
    assert names("Bij een ondertoezichtstelling (OTS) houd je het gezag: je mag beslissen over je kind.") == []
    assert names("Dat is om te helpen.") == []  # "om" is not the OM
    assert names("Het OM kan dat vragen.") == ["openbaar_ministerie"]
    assert checks.sentence_lengths("Een korte zin. En nog een korte zin hier!") == [3, 6]


def test_terms_cite_pages_and_the_rv_is_bwbr0001827(home):
    from urllib.parse import urlparse

    raw = yaml.safe_load((home / "wegwijs" / "content" / "terms.yml").read_text())["terms"]
    for key, value in raw.items():
        url = urlparse(value["source"])
        assert url.path not in ("", "/") or url.query, f"{key}: {value['source']} is a homepage"
    for key in ("hearing_age", "appeal_term"):  # Wetboek van Burgerlijke Rechtsvordering
        assert "BWBR0001827" in raw[key]["source"]


def test_safety_responses_carry_source_date_and_112(home):
    assert checks.check_safety_responses(home) == []


def test_there_are_at_least_25_care_topics(library):
    care = [intent for intent in library.intents() if intent.startswith("care_")]
    assert len(care) >= 25


def test_school_type_variants_exist_where_the_facts_differ(library):
    ib = library.get("care_intern_begeleider")
    assert ib.variant("short", "vo") != ib.variant("short", "po")
    assert "zorgco" in text_key(ib.variant("short", "vo"))


def write_answers(tmp_path: Path, entry: dict, group: str = "topic") -> Path:
    folder = tmp_path / "data" / group
    folder.mkdir(parents=True)
    (folder / "answers.yml").write_text(yaml.safe_dump({"answers": {"care_x": entry}}, allow_unicode=True))
    return tmp_path / "data"


ENTRY = {
    "title": "X",
    "source": {"name": "Rijksoverheid", "url": "https://www.rijksoverheid.nl/x", "fact": "search",
               "passage": "Bezwaar kan binnen zes weken.", "read": "2026-12-03"},
    "short": {"default": "Bezwaar kan binnen {term:tlv_objection}."},
    "more": {"default": "Meer tekst."},
}


def test_a_typed_deadline_is_caught(tmp_path):
    data = write_answers(tmp_path, {**ENTRY, "short": {"default": "Bezwaar kan binnen 6 weken."}})
    problems = checks.check_answers(ContentLibrary.load(data))
    assert any("6 weken" in problem for problem in problems)


def test_unknown_terms_missing_sources_and_bad_variants_are_refused(tmp_path):
    with pytest.raises(ContentError, match="unknown term"):
        ContentLibrary.load(write_answers(tmp_path / "a", {**ENTRY, "short": {"default": "{term:nope}"}}))
    with pytest.raises(ContentError, match="source"):
        ContentLibrary.load(write_answers(tmp_path / "b", {**ENTRY, "source": {"name": "x"}}))
    with pytest.raises(ContentError, match="https"):
        ContentLibrary.load(write_answers(tmp_path / "c", {**ENTRY, "source": {"name": "x", "url": "http://x"}}))
    with pytest.raises(ContentError, match="unknown variant"):
        ContentLibrary.load(write_answers(tmp_path / "d", {**ENTRY, "more": {"default": "a", "mbo": "b"}}))
    with pytest.raises(ContentError, match="last_checked: not used any more"):
        ContentLibrary.load(write_answers(tmp_path / "e", {**ENTRY, "last_checked": "2026-11-23"}))
    with pytest.raises(ContentError, match="source.read"):
        ContentLibrary.load(write_answers(tmp_path / "f", {**ENTRY, "source": {**ENTRY["source"], "read": "ooit"}}))


def test_unverified_answers_must_hedge(tmp_path):
    data = write_answers(tmp_path, {**ENTRY, "reliability": "UNVERIFIED-PARTS"})
    assert any("unverified" in p for p in checks.check_answers(ContentLibrary.load(data)))
    hedged = {**ENTRY, "reliability": "UNVERIFIED-PARTS",
              "more": {"default": "Dit verschilt per gemeente. Vraag het na bij school."}}
    assert checks.check_answers(ContentLibrary.load(write_answers(tmp_path / "h", hedged))) == []


def test_future_dates_and_duplicates_are_caught(tmp_path):
    data = write_answers(tmp_path, {**ENTRY, "more": {"default": ENTRY["short"]["default"]}})
    problems, _ = checks.check_sources(ContentLibrary.load(data), today=dt.date(2026, 1, 1))
    assert any("in the future" in p for p in problems)
    assert any("same text" in p for p in checks.check_answers(ContentLibrary.load(data)))


def test_a_changed_term_changes_every_answer_that_uses_it(home, tmp_path):
    terms = yaml.safe_load((home / "wegwijs" / "content" / "terms.yml").read_text())
    key = "tlv_objection"
    terms["terms"][key]["text"] = "99 weken"
    changed = tmp_path / "terms.yml"
    changed.write_text(yaml.safe_dump(terms, allow_unicode=True))
    before = ContentLibrary.load(home / "data")
    after = ContentLibrary.load(home / "data", terms_path=changed)
    users = [a for a in before.answers()
             if any(f"{{term:{key}}}" in t for t in list(a.short.values()) + list(a.more.values()))]
    assert users, f"no answer uses {{term:{key}}}"
    for answer in users:
        raw = list(answer.short.values()) + list(answer.more.values())
        assert any("99 weken" in after.render(t) for t in raw)
        assert not any("99 weken" in before.render(t) for t in raw)


def test_every_term_has_text_and_source(home):
    terms = load_terms()
    assert terms["tlv_objection"]
    raw = yaml.safe_load((home / "wegwijs" / "content" / "terms.yml").read_text())
    for key, value in raw["terms"].items():
        assert value["source"].startswith("https://"), key
