"""Consistency checks over content, training data, domain, rules and schools.

Each check returns a list of problems (empty when fine). ``wegwijs check`` prints them; the tests in
``tests/test_content.py`` assert each one separately.
"""
from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from pathlib import Path
from dataclasses import dataclass
from typing import Dict, List, Optional, Set, Tuple
from urllib.parse import urlparse

from wegwijs.content import READ_PATTERN, ContentLibrary
# The training data (wegwijs/nlu_data.py); importable from here too.
from wegwijs.nlu_data import (domain_intents, heldout_nlu, question_heldout, read_nlu,  # noqa: F401
                              read_questions, read_yaml, training_files, training_nlu)
from wegwijs.readability import MAX_MEAN_SENTENCE_WORDS, sentence_lengths  # noqa: F401 - B1, written once
from wegwijs.text import text_key

#: Older name of :func:`wegwijs.text.text_key`, the key under which two texts count as the same.
fold = text_key

MIN_TRAINING_EXAMPLES = 20
MIN_HELDOUT_EXAMPLES = 15
MAX_SHORT_WORDS = 100
MAX_MORE_WORDS = 220
MIN_QUESTION_WORDS = 12
MAX_QUESTION_WORDS = 90
#: A number followed by a unit of time: such deadlines must come from the terms file.
HARD_CODED_TERM = re.compile(
    r"\b\d+([.,]\d+)?\s*(dag|dagen|werkdag|werkdagen|week|weken|maand|maanden|jaar|jaren)\b",
    re.IGNORECASE)
HEDGES = ("verschilt per", "niet zeker", "kan veranderd", "kan anders", "niet bekend", "voor zover bekend",
          "controleer", "vraag na", "vraag het na", "check", "niet precies geregeld", "niet altijd duidelijk",
          "niet met zekerheid")


def rule_actions(home: Path) -> Dict[str, Set[str]]:
    """Intent -> actions that a rule runs right after it."""
    found: Dict[str, Set[str]] = defaultdict(set)
    for path in sorted((home / "data").rglob("rules.yml")):
        for rule in read_yaml(path).get("rules", []) or []:
            steps = rule.get("steps", [])
            for step, following in zip(steps, steps[1:]):
                if "intent" in step and "action" in following:
                    found[step["intent"]].add(following["action"])
    return dict(found)


def check_intents(home: Path, library: ContentLibrary) -> List[str]:
    """Domain, training data, rules and answers name the same intents."""
    problems = []
    declared = set(domain_intents(home))
    trained = set(training_nlu(home))
    for intent in sorted(declared - trained):
        problems.append(f"intent {intent} is in domain.yml but has no training examples")
    for intent in sorted(trained - declared):
        problems.append(f"intent {intent} has training examples but is not in domain.yml")
    rules = rule_actions(home)
    for intent in sorted(declared):
        if intent not in rules:
            problems.append(f"intent {intent} has no rule")
    for intent in library.intents():
        if intent not in declared:
            problems.append(f"answer {intent} has no intent in domain.yml")
        if "action_answer_topic" not in rules.get(intent, set()):
            problems.append(f"answer {intent} has no rule running action_answer_topic")
    for intent, actions in rules.items():
        if "action_answer_topic" in actions and library.get(intent) is None:
            problems.append(f"rule answers {intent} but data/*/answers.yml has no answer for it")
    return problems


def check_examples(home: Path) -> List[str]:
    """Enough examples per intent, no duplicates, and held-out examples never trained on. The held-out
    count of a topic includes its question-level paraphrases (tests/nlu_questions/)."""
    problems = []
    training = training_nlu(home)
    heldout = {intent: list(examples) for intent, examples in heldout_nlu(home).items()}
    for key, examples in question_heldout(home).items():
        heldout.setdefault(key.split("/", 1)[0], []).extend(examples)
    seen: Dict[str, str] = {}
    for intent, examples in sorted(training.items()):
        if len(examples) < MIN_TRAINING_EXAMPLES:
            problems.append(f"{intent}: {len(examples)} training examples, want {MIN_TRAINING_EXAMPLES}+")
        for example in examples:
            key = text_key(example)
            if key in seen and seen[key] != intent:
                problems.append(f"training example {example!r} is in {seen[key]} and {intent}")
            seen[key] = intent
    for intent in sorted(set(domain_intents(home))):
        count = len(heldout.get(intent, []))
        if count < MIN_HELDOUT_EXAMPLES:
            problems.append(f"{intent}: {count} held-out examples, want {MIN_HELDOUT_EXAMPLES}+")
    for intent, examples in sorted(heldout.items()):
        if intent not in training:
            problems.append(f"held-out intent {intent} is not trained")
        for example in examples:
            if text_key(example) in seen:
                problems.append(f"held-out example {example!r} ({intent}) is also training data")
    return problems


def heldout_sentences(home: Path) -> List[tuple]:
    """(text, label) of every sentence we measure on: the held-out NLU set (label: the intent) and the
    crisis sets under tests/safety/ (label: the crisis kind's intent, or "look-alike")."""
    from wegwijs.neardup import labelled

    sentences = labelled(heldout_nlu(home))
    # Question-level paraphrases, labelled with their topic (the intent Rasa trains on).
    sentences += [(text, label) for text, label in labelled(question_heldout(home))]
    sentences = [(text, label.split("/", 1)[0]) for text, label in sentences]
    for path in sorted((home / "tests" / "safety").glob("*.yml")):
        data = read_yaml(path)
        sentences += [(item["text"], f"safety_{item['kind']}") for item in data.get("crisis", [])]
        sentences += [(item["text"], "look-alike") for item in data.get("not_crisis", [])]
    # Whole conversations (issue 19): every turn with content, labelled with what it should reach. Not
    # the formulaic turns (a greeting, thanks, yes, no, a child's age: "hij is 12"): there are only a few
    # ways to say them, so every training example of greet or inform_age would be "near" one.
    conversations = home / "tests" / "conversations_blind" / "conversations.yml"
    if conversations.exists():
        for conversation in read_yaml(conversations).get("conversations", []):
            for turn in conversation["turns"]:
                expect = turn["expect"]
                if "basic" in expect or "age" in expect:
                    continue
                label = (f"followup_{expect['followup']}" if "followup" in expect else expect.get("topic")
                         or (f"privacy_{expect['privacy']}" if "privacy" in expect else None)
                         or "safety")
                sentences.append((turn["text"], label))
    return sentences


def check_leakage(home: Path) -> List[str]:
    """No test sentence (held-out or crisis set) is a near-duplicate of a training sentence
    (:mod:`wegwijs.neardup`, docs/nlu.md). Fix the training side, never the test side."""
    from wegwijs.neardup import find, labelled

    pairs = find(heldout_sentences(home), labelled(training_nlu(home)))
    return [f"near-duplicate ({pair.similarity:.2f}): test {pair.test!r} ({pair.test_label}) ~ training "
            f"{pair.training!r} ({pair.training_label})" for pair in pairs]


def _texts(library: ContentLibrary):
    for answer in library.answers():
        for part, texts in (("short", answer.short), ("more", answer.more)):
            for variant, text in texts.items():
                yield answer, f"{answer.intent}.{part}.{variant}", part, text


def check_answers(library: ContentLibrary) -> List[str]:
    """Lengths, duplicates, typed deadlines and hedging of the answers (sources: :func:`check_sources`)."""
    problems = []
    seen: Dict[str, str] = {}
    for answer, where, part, text in _texts(library):
        words = len(library.render(text).split())
        limit = MAX_SHORT_WORDS if part == "short" else MAX_MORE_WORDS
        if words > limit:
            problems.append(f"{where}: {words} words, at most {limit}")
        match = HARD_CODED_TERM.search(text)
        if match:
            problems.append(f"{where}: '{match.group(0)}' is typed; use a {{term:…}} from terms.yml")
        key = text_key(text)
        # A school-type variant may repeat another variant of the same answer (so = po, vso = vo).
        if key in seen and not seen[key].startswith(f"{answer.intent}.{part}."):
            problems.append(f"{where}: same text as {seen[key]}")
        seen.setdefault(key, where)
    for answer in library.answers():
        if answer.reliability == "UNVERIFIED-PARTS":
            all_text = text_key(" ".join(list(answer.short.values()) + list(answer.more.values())))
            if not any(hedge in all_text for hedge in HEDGES):
                problems.append(f"{answer.intent}: has unverified parts but never says it differs or "
                                f"may have changed ({', '.join(HEDGES[:3])} …)")
    return problems + check_questions(library)


def check_questions(library: ContentLibrary) -> List[str]:
    """Question-level answers: short, no typed deadline, no two alike, unverified parts hedged."""
    problems = []
    seen: Dict[str, str] = {}
    for question in library.questions():
        for variant, text in question.answer.items():
            where = f"{question.key}.{variant}"
            words = len(library.render(text).split())
            if not MIN_QUESTION_WORDS <= words <= MAX_QUESTION_WORDS:
                problems.append(f"{where}: {words} words, want {MIN_QUESTION_WORDS}-{MAX_QUESTION_WORDS}")
            match = HARD_CODED_TERM.search(text)
            if match:
                problems.append(f"{where}: '{match.group(0)}' is typed; use a {{term:…}} from terms.yml")
            key = text_key(text)
            if key in seen and not seen[key].startswith(question.key + "."):
                problems.append(f"{where}: same text as {seen[key]}")
            seen.setdefault(key, where)
        if question.reliability == "UNVERIFIED-PARTS":
            if not any(hedge in text_key(" ".join(question.answer.values())) for hedge in HEDGES):
                problems.append(f"{question.key}: has unverified parts but never says it differs or is not "
                                f"certain ({', '.join(HEDGES[:3])} …)")
    return problems


GLOSSARY = Path(__file__).resolve().parent / "content" / "glossary.yml"


@dataclass(frozen=True)
class GlossaryTerm:
    """A core term and the ways an answer may explain it (``wegwijs/content/glossary.yml``)."""

    name: str
    uses: "re.Pattern[str]"
    explained: Tuple["re.Pattern[str]", ...]
    says: str


def load_glossary(path: Path = GLOSSARY) -> List[GlossaryTerm]:
    """The glossary's terms."""
    raw = read_yaml(path).get("terms") or {}
    terms = []
    for name, entry in raw.items():
        flags = 0 if entry.get("case") else re.IGNORECASE
        terms.append(GlossaryTerm(name, re.compile(entry["uses"], flags),
                                  tuple(re.compile(pattern) for pattern in entry["explained"]),
                                  entry.get("says", "")))
    return terms


def unexplained_terms(text: str, glossary: List[GlossaryTerm]) -> List[GlossaryTerm]:
    """The glossary terms ``text`` uses without explaining them."""
    lower = text.lower()
    return [term for term in glossary if term.uses.search(text)
            and not any(pattern.search(lower) for pattern in term.explained)]


def _short_texts(library: ContentLibrary):
    """(where, rendered text) of every short answer: topics' ``short`` and questions' ``answer``."""
    for answer in library.answers():
        for variant, text in answer.short.items():
            yield f"{answer.intent}.short.{variant}", library.render(text)
    for question in library.questions():
        for variant, text in question.answer.items():
            yield f"{question.key}.{variant}", library.render(text)


def check_words(library: ContentLibrary, glossary: Optional[List[GlossaryTerm]] = None) -> List[str]:
    """Words parents understand: every short answer explains the core terms it uses, and no answer's
    sentences average over :data:`MAX_MEAN_SENTENCE_WORDS` words."""
    glossary = load_glossary() if glossary is None else glossary
    problems = []
    for where, text in _short_texts(library):
        for term in unexplained_terms(text, glossary):
            problems.append(f"{where}: uses {term.name} without explaining it ({term.says})")
    everything = list(_short_texts(library)) + [
        (where, library.render(text)) for _, where, part, text in _texts(library) if part == "more"]
    for where, text in everything:
        lengths = sentence_lengths(text)
        if lengths and sum(lengths) / len(lengths) > MAX_MEAN_SENTENCE_WORDS:
            problems.append(f"{where}: {sum(lengths) / len(lengths):.1f} words per sentence on average, "
                            f"at most {MAX_MEAN_SENTENCE_WORDS:.0f} (B1)")
    return problems


#: A source read longer ago than this many months gives a warning, and fails the check after the second
#: figure (``WEGWIJS_SOURCE_WARN_MONTHS``, ``WEGWIJS_SOURCE_MAX_MONTHS``).
SOURCE_WARN_MONTHS = 12
SOURCE_MAX_MONTHS = 18
FACT_ID = re.compile(r"^([0-9]|[A-Z][0-9.]*)(, ?([0-9]|[A-Z][0-9.]*))*$")


def months_since(read: str, today: dt.date) -> int:
    """Whole months from a reading (``YYYY-MM`` counts from the month's first day, ``YYYY-MM-DD``) to today."""
    parts = [int(part) for part in read.split("-")]
    year, month, day = parts[0], parts[1], parts[2] if len(parts) == 3 else 1
    months = (today.year - year) * 12 + today.month - month
    return months - (1 if today.day < day else 0)


def _sourced(library: ContentLibrary):
    for answer in library.answers():
        yield answer.intent, answer.source
    for question in library.questions():
        yield question.key, question.source
    for key, (_, source) in library.referrals.parts.items():
        yield f"referral {key}", source


@dataclass(frozen=True)
class Reading:
    """One answer's source and how long ago it was read (the portal's sources page)."""

    key: str
    name: str
    url: str
    read: str
    months: Optional[int]
    state: str  # "ok", "warn" (older than the warning age), "over" (too old), "missing"


def readings(library: ContentLibrary, today: Optional[dt.date] = None,
             warn_months: int = SOURCE_WARN_MONTHS, max_months: int = SOURCE_MAX_MONTHS) -> List[Reading]:
    """Every answer's source, the oldest reading first (no reading at all before everything)."""
    today = today or dt.date.today()
    rows = []
    for key, source in _sourced(library):
        if not READ_PATTERN.match(source.read or ""):
            rows.append(Reading(key, source.name, source.url, source.read, None, "missing"))
            continue
        months = months_since(source.read, today)
        state = "over" if months > max_months else "warn" if months > warn_months else "ok"
        rows.append(Reading(key, source.name, source.url, source.read, months, state))
    return sorted(rows, key=lambda row: (row.months is not None, row.read, row.key))


def check_sources(library: ContentLibrary, today: Optional[dt.date] = None,
                  warn_months: int = SOURCE_WARN_MONTHS,
                  max_months: int = SOURCE_MAX_MONTHS) -> Tuple[List[str], List[str]]:
    """(problems, warnings) about where every answer's facts come from: the page itself (not a site's
    homepage), the passage on it that supports the answer, which fact of the fact base it is (or
    ``search``), and when it was read; a reading over ``warn_months`` old warns, over ``max_months`` fails."""
    problems: List[str] = []
    warnings: List[str] = []
    for where, source in _sourced(library):
        url = urlparse(source.url)
        if (url.path in ("", "/") or re.fullmatch(r"/(nl|en)/?", url.path)) and not url.query:
            problems.append(f"{where}: source {source.url} is a homepage; cite the page that supports it")
        if not source.passage:
            problems.append(f"{where}: source needs the passage that supports the answer")
        if source.fact != "search" and not FACT_ID.match(source.fact or ""):
            problems.append(f"{where}: source.fact must name a fact-base section (A2.1) or be 'search'")
    for row in readings(library, today, warn_months, max_months):
        if row.state == "missing":
            problems.append(f"{row.key}: source.read must say when it was read (YYYY-MM or YYYY-MM-DD)")
        elif row.months is not None and row.months < 0:
            problems.append(f"{row.key}: source.read {row.read} is in the future")
        elif row.state == "over":
            problems.append(f"{row.key}: source read {row.read}, over {max_months} months ago: read it again")
        elif row.state == "warn":
            warnings.append(f"{row.key}: source read {row.read}, over {warn_months} months ago")
    return problems, warnings


#: The line each safety response must give in its first paragraph: channels split a text at blank
#: lines into separate messages, and the first message a parent sees must carry the help line.
SAFETY_FIRST_LINE = {
    "utter_safety_acute_danger": "112",
    "utter_safety_domestic_violence": "0800-2000",
    "utter_safety_child_abuse": "0800-2000",
    "utter_safety_suicide": "0800-0113",
    "utter_safety_child_user": "0800-0432",
    "utter_safety_general": "112",
}


def check_safety_responses(home: Path) -> List[str]:
    """Every safety response: its help line first, 112, its source and when it was checked."""
    problems = []
    responses = read_yaml(home / "domain.yml").get("responses", {})
    for name in sorted(set(SAFETY_FIRST_LINE) - set(responses)):
        problems.append(f"{name}: missing in domain.yml")
    for name, variants in responses.items():
        if not name.startswith("utter_safety_"):
            continue
        for variant in variants:
            text = variant.get("text", "")
            languages = [c.get("value") for c in variant.get("condition") or [] if c.get("name") == "language"]
            if languages and languages[0] != "nl":  # English, or Dutch and English for other languages
                source = r"Source: .+, https://\S+/\S+ \(read (on|in) [^)]+\)"
            else:
                source = r"Bron: .+, https://\S+/\S+ \(gelezen (op|in) [^)]+\)"
            if not re.search(source, text):
                problems.append(f"{name} ({languages[0] if languages else 'nl'}): needs its source line "
                                "('Bron: …' / 'Source: …, https://page (read …)'), a page, not a homepage")
            if "112" not in text:
                problems.append(f"{name}: needs 112")
            line = SAFETY_FIRST_LINE.get(name)
            if line is None:
                problems.append(f"{name}: not in SAFETY_FIRST_LINE")
            elif line not in text.split("\n\n")[0]:
                problems.append(f"{name}: its first paragraph must give {line}")
    return problems


def check_project(home: Path, warn_months: int = SOURCE_WARN_MONTHS, max_months: int = SOURCE_MAX_MONTHS,
                  warnings: Optional[List[str]] = None) -> List[str]:
    """All checks together; readings older than ``warn_months`` go to ``warnings`` when given."""
    from wegwijs.schools import SchoolFileError, SchoolRegistry

    problems: List[str] = []
    library = ContentLibrary.load(home / "data")
    problems += check_intents(home, library)
    problems += check_examples(home)
    problems += check_leakage(home)
    problems += check_answers(library)
    problems += check_words(library)
    source_problems, source_warnings = check_sources(library, warn_months=warn_months, max_months=max_months)
    problems += source_problems
    if warnings is not None:
        warnings.extend(source_warnings)
    problems += check_safety_responses(home)
    try:
        SchoolRegistry.from_directory(home / "schools")
    except SchoolFileError as exc:
        problems.append(str(exc))
    return problems
