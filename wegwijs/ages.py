"""A child's age, as parents write it, reduced to the bands where the law differs (12 and 16).

"hij is 13", "mijn dochter van veertien", "ze zit in groep 7", "jonger dan 12", "16+" all become a band.
Only the band is stored (``child_age_band`` slot): it is all the answers need, and less data.
"""
from __future__ import annotations

import re
from typing import Optional

UNDER_12 = "age_under_12"
FROM_12 = "age_12_15"
FROM_16 = "age_16_plus"
UNKNOWN = "unknown"
BANDS = (UNDER_12, FROM_12, FROM_16)
LABELS = {
    UNDER_12: "jonger dan 12 jaar",
    FROM_12: "van 12 tot 16 jaar",
    FROM_16: "van 16 of 17 jaar",
}

_WORDS = {
    "twee": 2, "drie": 3, "vier": 4, "vijf": 5, "zes": 6, "zeven": 7, "acht": 8, "negen": 9,
    "tien": 10, "elf": 11, "twaalf": 12, "dertien": 13, "veertien": 14, "vijftien": 15, "zestien": 16,
    "zeventien": 17, "achttien": 18,
}
_NUMBER = r"(\d{1,2}|" + "|".join(sorted(_WORDS, key=len, reverse=True)) + r")"
_KID = r"(kind|kindje|zoon|zoontje|dochter|dochtertje|jongen|meisje|meid|knul|puber|tiener)"
_BELOW = re.compile(r"\b(jonger dan|onder de|onder|nog geen|minder dan)\s+" + _NUMBER + r"\b")
_AT_LEAST = re.compile(r"\b" + _NUMBER + r"\s*(\+|plus|of ouder|en ouder|jaar of ouder)")
_ADVERB = r"(net|bijna|nu|al|eigenlijk|toch|pas|gewoon|maar|inmiddels)"
_STRONG = [
    re.compile(r"\b" + _KID + r"\s+(is\s+)?(van\s+)?" + _NUMBER + r"\b"),
    re.compile(r"\b(is|wordt|werd|ben)\s+(" + _ADVERB + r"\s+)?" + _NUMBER
               + r"\b(?!\s*(dag|dagen|week|weken|maand|maanden|uur|keer|minuten|kinderen|broers|zussen))"),
    re.compile(r"\b" + _NUMBER + r"\s*(jaar|jr)\s+oud\b"),
    # a subordinate clause puts the verb last: "als hij al 16 is", "wat als ze 13 jaar wordt"
    re.compile(r"\b(als|wanneer|zodra|dat|omdat)\s+(hij|ze|zij|mijn\s+\w+|het|die)\s+(" + _ADVERB + r"\s+)?"
               + _NUMBER + r"\s+(jaar\s+)?(is|wordt|was)\b"),
    re.compile(r"\b" + _NUMBER + r"[- ]?jarige?\b"),
]
#: Right after we asked the age, a reply that starts with a number ("13", "12 tot 16", "14 jaar").
_ANSWER = re.compile(r"^\s*(ongeveer\s+|rond\s+|bijna\s+)?" + _NUMBER + r"\b")
_GROUP = re.compile(r"\bgroep\s+([1-8])\b")
_CLASS = re.compile(r"\b(klas|leerjaar)\s+([1-6])\b|\bbrugklas\b")


def _value(token: str) -> int:
    return int(token) if token.isdigit() else _WORDS[token]


def band_of(age: int) -> Optional[str]:
    """The band of an age in years; None from 18 (an adult) or for nonsense."""
    if age < 0 or age >= 18:
        return None
    if age < 12:
        return UNDER_12
    if age < 16:
        return FROM_12
    return FROM_16


def parse_band(text: str, bare_number: bool = False) -> Optional[str]:
    """The age band a message states, or None.

    Args:
        text: the parent's message.
        bare_number: also accept a reply that starts with a number ("13", "14 jaar"); right after we
            asked for the age.
    """
    folded = " ".join(text.lower().replace("'", " ").split())
    below = _BELOW.search(folded)
    if below:
        return band_of(_value(below.group(2)) - 1)
    at_least = _AT_LEAST.search(folded)
    if at_least:
        return band_of(_value(at_least.group(1)))
    for pattern in _STRONG:
        match = pattern.search(folded)
        if match:
            number = next(group for group in reversed(match.groups()) if group and
                          (group.isdigit() or group in _WORDS))
            return band_of(_value(number))
    group = _GROUP.search(folded)
    if group:
        return band_of(int(group.group(1)) + 4)  # groep 3 is about age 6–7
    school_class = _CLASS.search(folded)
    if school_class:
        year = int(school_class.group(2)) if school_class.group(2) else 1
        return band_of(11 + year)  # klas 1 (brugklas) is about age 12
    if bare_number:
        answer = _ANSWER.match(folded)
        if answer:
            return band_of(_value(answer.group(2)))
    return None


def is_adult(text: str, bare_number: bool = False) -> bool:
    """Whether the message says the child is 18 or older (so youth-protection rules no longer apply)."""
    folded = " ".join(text.lower().split())
    patterns = _STRONG + ([_ANSWER] if bare_number else [])
    for pattern in patterns:
        match = pattern.search(folded)
        if match:
            number = next(group for group in reversed(match.groups()) if group and
                          (group.isdigit() or group in _WORDS))
            return _value(number) >= 18
    return False
