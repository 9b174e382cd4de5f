"""Folding text before it is compared: one place for the three strengths of folding.

* :func:`plain`: lower case, accents removed, nothing else ("Coördinator" → "coordinator");
* :func:`text_key`: :func:`plain` with single spaces and no ``? ! . ,`` at the ends: when two texts count
  as the same text (duplicate examples and answers in ``wegwijs check``, examples the retraining
  already has). Punctuation inside stays, and so do placeholders such as ``[naam]``
  (``wegwijs.retrain.export.group_key`` relies on that);
* :func:`fold`: what the rules and the models read (``wegwijs.safety``, the intent and crisis classifiers,
  the unknown-words guard, near-duplicates): :func:`plain` with typographic apostrophes made plain,
  letters typed three or more times squeezed to two, and every other punctuation mark a space.

The trained models depend on :func:`fold` exactly: a change to it is a change to their features
(``wegwijs/training.py`` fingerprints this file, so the model is retrained). The spaCy pipeline's lemmas
are folded by a copy of :func:`plain` in ``wegwijs/nlp/spacy_components.py``: that file is packaged into
the pipeline ``nl_wegwijs`` and may import only spaCy, simplemma and the standard library;
``tests/test_nlp_build.py`` checks that the two agree.
"""
from __future__ import annotations

import re
import unicodedata


def plain(text: str) -> str:
    """Lower case and no accents, so "coördinator" and "coordinator" look the same."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def text_key(text: str) -> str:
    """Lower case, no accents, single spaces, no punctuation at the ends."""
    return " ".join(plain(text).split()).strip(" ?!.,")


def fold(text: str) -> str:
    """Lower case, no accents, letters repeated three or more times squeezed to two, tidy spaces."""
    folded = plain(text).replace("\u2019", "'").replace("`", "'")
    folded = re.sub(r"(\w)\1{2,}", r"\1\1", folded)
    folded = re.sub(r"[^\w' ]+", " ", folded)
    return " ".join(folded.split())
