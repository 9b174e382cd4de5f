"""B1 readability measures, written once: ``wegwijs check`` applies them to the content
(``wegwijs.checks.check_words``) and the school admin applies them to a school's local notes
(``wegwijs.schools.check_note``)."""
from __future__ import annotations

import re
from typing import List

#: B1: the mean sentence length of a text, in words (docs/content-format.md).
MAX_MEAN_SENTENCE_WORDS = 15.0
#: B1 for a school's own short text: no single sentence longer than this.
MAX_SENTENCE_WORDS = 25
#: B1 for a school's own short text: longer words are hard to read (links, e-mail addresses and phone
#: numbers do not count). Long Dutch compounds such as "jeugdverpleegkundige" (20 letters) pass.
MAX_WORD_LETTERS = 22

_NOT_A_WORD = re.compile(r"^(https://\S+|\S+@\S+|[+0-9][0-9 -]+)$")


def sentence_lengths(text: str) -> List[int]:
    """Words per sentence (a sentence ends at . ! ? or a colon followed by a capital)."""
    sentences = re.split(r"(?<=[.!?])\s+|:\s+(?=[A-Z])", text.strip())
    return [len(sentence.split()) for sentence in sentences if sentence.split()]


def long_words(text: str, limit: int = MAX_WORD_LETTERS) -> List[str]:
    """The words of ``text`` with more than ``limit`` letters (not links, e-mail addresses, numbers)."""
    found = []
    for token in text.split():
        word = token.strip(".,;:!?()\"'")
        if _NOT_A_WORD.match(word):
            continue
        if sum(ch.isalpha() for ch in word) > limit:
            found.append(word)
    return found
