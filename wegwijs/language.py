"""Which language a parent writes in: Dutch, English, or another language (docs/conversations.md).

Wegwijs answers in Dutch and in English; for other languages it says, in simple Dutch and in English,
where the parent can get help (the school, Ouders & Onderwijs). The language comes from py3langid (an
offline naive Bayes model of character n-grams that ships inside the package), limited to the languages
parents at Dutch schools write in, with two safeguards for short chat messages:

* Dutch is what the school expects, so another language must be clearly more likely
  (``DUTCH_PRIOR``) and sure enough (``MIN_CONFIDENCE``);
* a message in the Latin script with fewer than ``MIN_WORDS`` words ("ok", "help", "thanks") decides
  nothing: the conversation keeps its language. Arabic and Cyrillic script are clear at any length.

``detect`` returns ``None`` when it cannot decide; the conversation then keeps the language it had
(the ``language`` slot, set from the ``language`` entity the NLU component emits). Measured on a blind
set of short messages in six languages: ``benchmarks/language.py``.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Dict, Optional

DUTCH = "nl"
ENGLISH = "en"
OTHER = "other"
#: Languages Wegwijs answers in.
ANSWERED = (DUTCH, ENGLISH)
#: Languages the detector chooses between: Dutch and English, and the languages most often spoken at
#: home by parents at Dutch schools that py3langid knows (German and Afrikaans are left out: short Dutch
#: messages are easily taken for them, and a German-speaking parent is better served by the Dutch answer).
CANDIDATES = ("nl", "en", "tr", "ar", "pl", "uk", "ru", "bg", "ro", "fr", "es", "pt", "it", "fa", "zh", "so")
#: How much more likely than Dutch another language must be.
DUTCH_PRIOR = 10.0
#: The least probability (among the candidates) to leave Dutch for another language.
MIN_CONFIDENCE = 0.9
#: The least probability to call a message of two words or more Dutch (below it: undecided).
DUTCH_MIN_CONFIDENCE = 0.6
#: The least number of words for a message in the Latin script to decide the language.
MIN_WORDS = 3
NAMES = {"nl": "Nederlands", "en": "English", "tr": "Türkçe", "ar": "العربية", "pl": "Polski",
         "uk": "Українська", "ru": "Русский", "bg": "Български", "ro": "Română", "fr": "Français",
         "es": "Español", "pt": "Português", "it": "Italiano", "fa": "فارسی", "zh": "中文"}

#: Short function words that occur in one of the two answered languages and not in the other. When
#: a message has more of one kind than the other, the statistics do not overrule them ("ots wat is
#: dat" is Dutch, though "wat is" looks English to character n-grams).
DUTCH_WORDS = frozenset("""
    aan al als ben bij dan dat de die dit doe doen een en er geen het hij hoe hoeveel hun ik is je jij
    kan kun kunnen maar mag me met mijn moet na naar nee niet nog nu of om ons ook op over te tot uit
    van voor waar wat welke wie wij wil wordt ze zij zijn zo zonder zou
""".split()) - frozenset("is".split())
ENGLISH_WORDS = frozenset("""
    a about and are can could do does for from get has have he her his how i if in is it me my no not
    of on or our she should that the their them there they this to was we what when where which who
    why will with would you your
""".split()) - frozenset("is".split())

WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


@dataclass(frozen=True)
class Detection:
    """The language of one message: an ISO 639-1 code and how sure the detector is."""

    code: str
    confidence: float

    @property
    def answer_language(self) -> str:
        """``nl``, ``en`` or ``other``: the language Wegwijs answers this message in."""
        return self.code if self.code in ANSWERED else OTHER


@lru_cache(maxsize=1)
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_pickled_model(MODEL_FILE, norm_probs=True)
    identifier.set_languages([code for code in CANDIDATES if code in identifier.nb_classes])
    return identifier


def _script(text: str) -> Optional[str]:
    """``arabic`` or ``cyrillic`` when most letters are in that script, else None."""
    counts: Dict[str, int] = {"arabic": 0, "cyrillic": 0, "other": 0}
    for char in text:
        if not char.isalpha():
            continue
        name = unicodedata.name(char, "")
        if name.startswith("ARABIC"):
            counts["arabic"] += 1
        elif name.startswith("CYRILLIC"):
            counts["cyrillic"] += 1
        else:
            counts["other"] += 1
    letters = sum(counts.values())
    if not letters:
        return None
    script = max(("arabic", "cyrillic"), key=lambda key: counts[key])
    return script if counts[script] * 2 > letters else None


def probabilities(text: str) -> Dict[str, float]:
    """The candidates' probabilities for ``text`` (normalised), with the Dutch prior applied."""
    identifier = _identifier()
    vector = identifier.instance2fv(text)
    raw = identifier.nb_classprobs(vector)
    import numpy as np

    raw = np.asarray(raw, dtype=float)
    raw = np.exp(raw - raw.max())
    classes = list(identifier.nb_classes[identifier.nb_class_index_ordered] if hasattr(
        identifier, "nb_class_index_ordered") else identifier.nb_classes)
    scores = {code: float(value) for code, value in zip(classes, raw)}
    if DUTCH in scores:
        scores[DUTCH] *= DUTCH_PRIOR
    total = sum(scores.values()) or 1.0
    return {code: value / total for code, value in scores.items()}


def _markers(words) -> "tuple[int, int]":
    """How many of the words are Dutch-only and English-only function words."""
    folded = {word.lower() for word in words}  # distinct words: "a a a" is not three English words
    return (sum(word in DUTCH_WORDS and word not in ENGLISH_WORDS for word in folded),
            sum(word in ENGLISH_WORDS and word not in DUTCH_WORDS for word in folded))


def detect(text: str) -> Optional[Detection]:
    """The language of a message, or None when it is too short or unclear to tell."""
    text = (text or "").strip()
    if text.startswith("/"):  # a button payload
        return None
    # single letters are no words here ("A0A oner" is not three English words)
    words = [word for word in WORD.findall(text) if len(word) >= 2]
    if not words:
        return None
    script = _script(text)
    scores = probabilities(text)
    if script == "arabic":
        scores = {code: value for code, value in scores.items() if code in ("ar", "fa")}
    elif script == "cyrillic":
        scores = {code: value for code, value in scores.items() if code in ("uk", "ru", "bg")}
    if not scores:
        return None
    total = sum(scores.values()) or 1.0
    code, value = max(scores.items(), key=lambda item: item[1])
    confidence = value / total
    if script:
        return Detection(code, confidence)
    dutch, english = _markers(words)
    if code != DUTCH and dutch > english:
        code, confidence = DUTCH, max(confidence, scores.get(DUTCH, 0.0) / total)
        return Detection(DUTCH, confidence) if dutch >= 2 else None
    if code == DUTCH and english > dutch and english >= 2:
        code, confidence = ENGLISH, scores.get(ENGLISH, 0.0) / total
    if code == DUTCH:
        # one word ("groep 5", "havo") decides nothing: the answers in a form are often a single Dutch term
        sure = len(words) >= 2 and confidence >= DUTCH_MIN_CONFIDENCE
        return Detection(DUTCH, confidence) if sure else None
    if len(words) < MIN_WORDS or confidence < MIN_CONFIDENCE:
        return None
    return Detection(code, confidence)
