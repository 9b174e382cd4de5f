"""spaCy components of the Wegwijs Dutch pipeline.

This file is copied into the packaged pipeline (``spacy package --code``), so it must stay
self-contained: it may import only spaCy, simplemma and the standard library.
"""

import unicodedata
from typing import Callable

from spacy.language import Language
from spacy.tokens import Doc


def fold(text: str) -> str:
    """Lower-case and strip accents, so "coördinator" and "coordinator" look the same."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _simplemma_nl() -> Callable[[str], str]:
    from simplemma import lemmatize

    def lemma(word: str) -> str:
        return lemmatize(word, lang="nl")

    return lemma


class SimplemmaLemmatizer:
    """Sets ``token.lemma_`` from simplemma's Dutch dictionary and rules, folded (no accents).

    spaCy's own Dutch lookup table leaves inflections such as "kinderen", "geplaatst" and "scholen"
    unchanged; simplemma gives "kind", "plaatsen" and "school". Lemmas are folded so that messages
    written without accents get the same features as messages with them.
    """

    def __init__(self) -> None:
        self._lemma = _simplemma_nl()

    def __call__(self, doc: Doc) -> Doc:
        for token in doc:
            if token.is_space:
                continue
            if token.is_punct or token.like_num or token.like_url or token.like_email:
                token.lemma_ = fold(token.text)
            else:
                token.lemma_ = fold(self._lemma(token.text.lower()))
        return doc


class LemmaFolder:
    """Folds lemmas that an upstream lemmatizer (for example nl_core_news_sm's) has set."""

    def __call__(self, doc: Doc) -> Doc:
        for token in doc:
            token.lemma_ = fold(token.lemma_ or token.text)
        return doc


def make_simplemma_lemmatizer(nlp: Language, name: str) -> SimplemmaLemmatizer:
    """Factory for :class:`SimplemmaLemmatizer`."""
    return SimplemmaLemmatizer()


def make_lemma_folder(nlp: Language, name: str) -> LemmaFolder:
    """Factory for :class:`LemmaFolder`."""
    return LemmaFolder()


# Registered only once: this file exists both in the wegwijs package and inside the packaged pipeline,
# and a process may import both.
for _name, _factory in (("wegwijs_lemmatizer", make_simplemma_lemmatizer),
                        ("wegwijs_lemma_folder", make_lemma_folder)):
    if not Language.has_factory(_name):
        Language.factory(_name, func=_factory)
