"""The Dutch spaCy pipeline: choosing its base, fingerprinting, and the installed result."""
from __future__ import annotations

import pytest

from wegwijs.nlp import build
from wegwijs.nlp.spacy_components import fold


def test_auto_uses_nl_core_news_sm_only_when_installed():
    assert build.choose_base("auto", full_available=True) == build.FULL_BASE
    assert build.choose_base("auto", full_available=False) == build.BLANK_BASE


def test_blank_can_be_forced_and_full_must_exist():
    assert build.choose_base("blank", full_available=True) == build.BLANK_BASE
    assert build.choose_base(build.FULL_BASE, full_available=True) == build.FULL_BASE
    with pytest.raises(build.BuildError, match="not installed"):
        build.choose_base(build.FULL_BASE, full_available=False)
    with pytest.raises(build.BuildError, match="WEGWIJS_SPACY_BASE"):
        build.choose_base("large", full_available=True)


def test_setting_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("WEGWIJS_SPACY_BASE", "blank")
    assert build.choose_base(full_available=True) == build.BLANK_BASE


def test_fingerprint_depends_on_the_base(monkeypatch):
    monkeypatch.setattr(build.metadata, "version",
                        lambda name: {"nl_core_news_sm": "3.4.0"}.get(name, "1.0"))
    assert build.fingerprint(build.BLANK_BASE) != build.fingerprint(build.FULL_BASE)


def test_a_full_base_builds_on_nl_core_news_sm(monkeypatch):
    loaded = []

    class FakeNlp:
        def __init__(self):
            self.pipes = []

        def add_pipe(self, name, **kwargs):
            self.pipes.append(name)

    def fake_load(name):
        loaded.append(name)
        return FakeNlp()

    import spacy
    monkeypatch.setattr(spacy, "load", fake_load)
    nlp = build.build_nlp(build.FULL_BASE)
    assert loaded == [build.FULL_BASE]
    assert nlp.pipes == ["wegwijs_lemma_folder"]


def test_fold_strips_accents_and_case():
    assert fold("Zorgcoördinator") == "zorgcoordinator"


def test_fold_is_wegwijs_text_plain():
    """spacy_components.py is packaged into nl_wegwijs and keeps its own copy of wegwijs.text.plain."""
    from wegwijs.text import plain

    for text in ("Zorgcoördinator", "ÉÉN ﬁets, ĲSSEL!", "café’s  (4x²)", "Straße", "heeeel"):
        assert fold(text) == plain(text), text


def test_the_installed_pipeline_gives_dutch_lemmas():
    spacy = pytest.importorskip("spacy")
    if not spacy.util.is_package(build.PACKAGE):
        pytest.fail("nl_wegwijs is not installed: run `make spacy-model`")
    nlp = spacy.load(build.PACKAGE)
    lemmas = [token.lemma_ for token in nlp("Kinderen worden geplaatst op scholen met zorgen")]
    assert lemmas == ["kind", "worden", "plaatsen", "op", "school", "met", "zorg"]
    assert not build.needs_build(build.installed_info()["base"])
