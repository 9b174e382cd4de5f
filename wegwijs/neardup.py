"""Near-duplicates between test sentences and training sentences.

A held-out or blind-set sentence that has a near-twin in the training data flatters every figure
measured on it. Exact copies are easy to find; the ones that matter more differ in spelling
("advokaat"/"advocaat"), inflection ("kinderen"/"kind"), punctuation or a word or two. The measure
(docs/nlu.md, "No leakage"):

1. Both sentences are folded (lower case, no accents, punctuation gone, letters typed three times
   squeezed) and split into words; each word is reduced to its lemma (simplemma).
2. Two words match when their lemmas are equal, or when they differ by one typing error (words of 5+
   letters; two errors for 9+ letters): "advokaat" matches "advocaat", "jeugbescherming" matches
   "jeugdbescherming".
3. Each word weighs by how rare it is in the training data (inverse document frequency), so a shared
   "wat is een" counts for little and a shared "ondertoezichtstelling" for much.
4. The similarity is the weight of the words of the test sentence that match a word of the training
   sentence, divided by the weight of the larger of the two sentences (so a short training sentence
   contained in a long test sentence is not a duplicate, and neither is the reverse).

Pairs at :data:`THRESHOLD` or above are near-duplicates, and so are pairs of the same label from
:data:`SAME_LABEL_THRESHOLD`: with the same intent, a pair at 0.6-0.75 is the same question in other
words ("mag de raad zomaar de huisarts bellen zonder dat ik toestemming geef" / "mag de raad de huisarts
bellen zonder mijn toestemming"), while a pair with different intents there shares a frame but asks
something else ("moet ik betalen als mijn kind uit huis geplaatst is" / "mag ik mijn kind zien als …"),
which makes a test harder, not easier. Candidates are found first by the cosine of
character 3-grams (a sparse matrix product), so that the word-by-word measure runs on a few training
sentences per test sentence only.
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Dict, Iterable, List, Sequence, Tuple

from wegwijs.safety import edit_distance
from wegwijs.text import fold

#: Similarity from which a test sentence and a training sentence are near-duplicates, whatever their labels.
THRESHOLD = 0.75
#: Similarity from which a test sentence and a training sentence with the same label are near-duplicates.
SAME_LABEL_THRESHOLD = 0.6
#: How many candidate training sentences (by character 3-gram cosine) each test sentence is compared to.
CANDIDATES = 8


@dataclass(frozen=True)
class Pair:
    """A test sentence, its most similar training sentence, and their similarity."""

    test: str
    test_label: str
    training: str
    training_label: str
    similarity: float


@lru_cache(maxsize=None)
def _lemma(word: str) -> str:
    from simplemma import lemmatize

    return fold(lemmatize(word, lang="nl"))


def words(text: str) -> Tuple[str, ...]:
    """The folded lemmas of a text."""
    return tuple(_lemma(word) for word in fold(text).split())


def _same_word(a: str, b: str) -> bool:
    if a == b:
        return True
    shorter = min(len(a), len(b))
    if shorter < 5 or a[0] != b[0]:
        return False
    limit = 2 if shorter >= 9 else 1
    return edit_distance(a, b, limit) <= limit


class Weights:
    """Inverse document frequency of lemmas over a set of sentences; unseen words weigh the most."""

    def __init__(self, sentences: Iterable[Tuple[str, ...]]) -> None:
        counts: Counter = Counter()
        total = 0
        for sentence in sentences:
            counts.update(set(sentence))
            total += 1
        self._counts = counts
        self._total = max(total, 1)

    def __call__(self, word: str) -> float:
        return math.log((1 + self._total) / (1 + self._counts.get(word, 0))) + 1.0


def similarity(test: Tuple[str, ...], training: Tuple[str, ...], weight: Weights) -> float:
    """Weighted share of matching words (see the module docstring), between 0 and 1."""
    if not test or not training:
        return 0.0
    matched = sum(weight(word) for word in test if any(_same_word(word, other) for other in training))
    larger = max(sum(weight(word) for word in test), sum(weight(word) for word in training))
    return matched / larger if larger else 0.0


def find(test: Sequence[Tuple[str, str]], training: Sequence[Tuple[str, str]],
         threshold: float = THRESHOLD, same_label_threshold: float = SAME_LABEL_THRESHOLD) -> List[Pair]:
    """Test sentences with a near-duplicate among the training sentences, each with its closest one.

    ``test`` and ``training`` are (text, label) pairs; a training sentence with the same label as the
    test sentence counts from ``same_label_threshold``, any other from ``threshold``.
    """
    if not test or not training:
        return []
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 3), preprocessor=fold)
    train_matrix = vectorizer.fit_transform([text for text, _ in training])
    test_matrix = vectorizer.transform([text for text, _ in test])
    cosine = (test_matrix @ train_matrix.T).tocsr()
    training_words = [words(text) for text, _ in training]
    weight = Weights(training_words)
    pairs = []
    for row, (text, label) in enumerate(test):
        start, end = cosine.indptr[row], cosine.indptr[row + 1]
        scores = _top(cosine.data[start:end], cosine.indices[start:end], CANDIDATES)
        test_words = words(text)
        found = []
        for _, index in scores:
            value = similarity(test_words, training_words[index], weight)
            bar = same_label_threshold if training[index][1] == label else threshold
            if value >= bar:
                found.append((value, index))
        if found:
            value, index = max(found)
            other, other_label = training[index]
            pairs.append(Pair(text, label, other, other_label, round(value, 3)))
    return pairs


def _top(values, indices, count: int) -> List[Tuple[float, int]]:
    """The ``count`` largest (value, index) pairs, largest first, ties by the larger index first: exactly
    ``sorted(zip(values, indices), reverse=True)[:count]``, without sorting a whole row (a test sentence
    shares 3-grams with most training sentences)."""
    import numpy as np

    if len(values) > count:
        cut = np.partition(values, len(values) - count)[len(values) - count]
        keep = values >= cut  # every tie of the count-th value, so the order below decides as sorted() would
        values, indices = values[keep], indices[keep]
    return sorted(zip(values.tolist(), indices.tolist()), reverse=True)[:count]


def labelled(examples: Dict[str, List[str]]) -> List[Tuple[str, str]]:
    """(text, label) pairs of an intent -> examples mapping."""
    return [(text, label) for label, texts in sorted(examples.items()) for text in texts]
