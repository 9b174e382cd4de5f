"""Answer content: ``data/<group>/answers*.yml`` files and the terms in ``wegwijs/content/terms.yml``.

Two levels (``docs/content-format.md``): a topic's answer (``answers:``, the overview for broad
questions) and question-level answers within a topic (``questions:``, keyed ``topic/question``). Loading
validates every answer; rendering fills in ``{term:KEY}`` from the one terms file, so a change in the
law is one edit.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import yaml

from wegwijs.ages import BANDS
from wegwijs.schools import ROLE_LABELS, SCHOOL_TYPES

TERMS_FILE = Path(__file__).parent / "content" / "terms.yml"
REFERRALS_FILE = Path(__file__).parent / "content" / "referrals.yml"
TERM_PATTERN = re.compile(r"\{term:([a-z0-9_]+)\}")
AGE_BANDS = BANDS
VARIANT_KEYS = ("default",) + SCHOOL_TYPES + AGE_BANDS
RELIABILITY = ("OFF", "SEC", "UNVERIFIED-PARTS")
#: Groups whose answers close with the referral to personal (legal) help.
REFERRAL_GROUPS = ("rights",)


class ContentError(ValueError):
    """An answers or terms file is invalid; the message names the file and the answer."""


@dataclass(frozen=True)
class Source:
    """Where an answer's facts come from.

    ``passage`` is the text that supports the answer (the page's words, or the fact base's line that
    paraphrases it), ``fact`` the fact-base section or ``search`` for a page found later, and ``read``
    when the source was read (``YYYY-MM``, or a full date).
    """

    name: str
    url: str
    passage: str = ""
    fact: str = ""
    read: str = ""


@dataclass(frozen=True)
class Translation:
    """A topic's answer in another language (``data/<group>/english.yml``): the same facts and source as
    the Dutch answer, with the same variant keys."""

    title: str
    short: Dict[str, str]
    more: Dict[str, str]
    age_part: str = ""


@dataclass(frozen=True)
class Answer:
    """One topic's answer, as written in an answers file."""

    intent: str
    group: str
    title: str
    source: Source
    reliability: str
    short: Dict[str, str]
    more: Dict[str, str]
    roles: Tuple[str, ...] = ()
    needs_age: bool = False
    next: Tuple[Tuple[str, str], ...] = ()  # (button title, intent) for the follow-up questions
    path: Path = field(default=Path("."), compare=False)
    #: The part of the answer that depends on the child's age, for "Een deel hangt af van …" (needs_age).
    age_part: str = ""
    translations: Dict[str, Translation] = field(default_factory=dict, compare=False)

    def variant(self, part: str, school_type: Optional[str] = None,
                age_band: Optional[str] = None, language: str = "nl") -> str:
        """The raw text of ``part`` ("short" or "more"): age band first, then school type, then default;
        in ``language`` when there is a translation, else in Dutch."""
        translation = self.translations.get(language)
        if translation is not None:
            texts = translation.short if part == "short" else translation.more
        else:
            texts = self.short if part == "short" else self.more
        for key in (age_band, school_type):
            if key and key in texts:
                return texts[key]
        return texts["default"]

    def age_part_in(self, language: str) -> str:
        """What depends on the child's age, in ``language`` when translated, else in Dutch."""
        translation = self.translations.get(language)
        return translation.age_part if translation and translation.age_part else self.age_part

    def title_in(self, language: str) -> str:
        """The title in ``language`` when translated, else the Dutch title."""
        translation = self.translations.get(language)
        return translation.title if translation else self.title

    @property
    def refers_to_personal_help(self) -> bool:
        """Whether this answer closes with the referral to personal help."""
        return self.group in REFERRAL_GROUPS


@dataclass(frozen=True)
class Question:
    """One question within a topic, with its own short answer (``answer`` by variant)."""

    key: str                      # "care_sop/cycle"
    topic: str                    # "care_sop"
    group: str
    title: str                    # the question as a parent asks it
    answer: Dict[str, str]
    source: Source
    reliability: str
    roles: Tuple[str, ...] = ()
    path: Path = field(default=Path("."), compare=False)

    @property
    def name(self) -> str:
        """The part after the slash: ``cycle``."""
        return self.key.split("/", 1)[1]

    def variant(self, school_type: Optional[str] = None) -> str:
        """The raw answer text for a school type, or the default."""
        return self.answer.get(school_type or "", self.answer["default"])

    @property
    def refers_to_personal_help(self) -> bool:
        """Whether this answer closes with the referral to personal help."""
        return self.group in REFERRAL_GROUPS


@dataclass(frozen=True)
class Referrals:
    """Where a parent gets personal help with a question about compulsory measures
    (``wegwijs/content/referrals.yml``): each part's text and source, and the topics that also name the
    parent's jeugdbeschermer."""

    parts: Dict[str, Tuple[str, "Source"]]
    with_jeugdbeschermer: Tuple[str, ...]

    def line(self, topic: str) -> str:
        """'Persoonlijke hulp: Jeugdstem, … (https://jeugdstem.nl); of een advocaat, …'."""
        texts = [text for text, _ in self.parts.values()]
        line = "Persoonlijke hulp: " + "; of ".join(texts) + "."
        if topic in self.with_jeugdbeschermer:
            line += " Je kunt het ook aan je jeugdbeschermer vragen."
        return line


def load_referrals(path: Path = REFERRALS_FILE) -> Referrals:
    """Read the referrals file."""
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    parts = {}
    for key, value in (raw.get("referrals") or {}).items():
        source = value.get("source") if isinstance(value, dict) else None
        if not value.get("text") or not isinstance(source, dict) or not source.get("url"):
            raise ContentError(f"{path}: referral {key!r} needs text and source")
        parts[key] = (str(value["text"]), Source(
            name=str(source["name"]), url=str(source["url"]), passage=" ".join(str(source["passage"]).split()),
            fact=str(source.get("fact") or ""), read=str(source.get("read") or "")))
    if not parts:
        raise ContentError(f"{path}: needs 'referrals'")
    return Referrals(parts, tuple(raw.get("with_jeugdbeschermer") or ()))


def load_terms(path: Path = TERMS_FILE) -> Dict[str, str]:
    """Read the terms file: ``{key: text}``."""
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    terms = raw.get("terms")
    if not isinstance(terms, dict):
        raise ContentError(f"{path}: needs a 'terms' mapping")
    result = {}
    for key, value in terms.items():
        if not isinstance(value, dict) or not value.get("text") or not value.get("source"):
            raise ContentError(f"{path}: term {key!r} needs 'text' and 'source'")
        result[key] = str(value["text"])
    return result


def _require_text(path: Path, intent: str, name: str, value: object) -> Dict[str, str]:
    if not isinstance(value, dict) or not isinstance(value.get("default"), str):
        raise ContentError(f"{path}: {intent}.{name}: needs a 'default' text")
    for key, text in value.items():
        if key not in VARIANT_KEYS:
            raise ContentError(f"{path}: {intent}.{name}.{key}: unknown variant; use {VARIANT_KEYS}")
        if not isinstance(text, str) or not text.strip():
            raise ContentError(f"{path}: {intent}.{name}.{key}: empty text")
    return {key: " ".join(text.split()) for key, text in value.items()}


def _parse_answer(path: Path, group: str, intent: str, raw: object) -> Answer:
    if not isinstance(raw, dict):
        raise ContentError(f"{path}: {intent}: must be a mapping")
    missing = [key for key in ("title", "source", "short", "more") if key not in raw]
    if missing:
        raise ContentError(f"{path}: {intent}: missing {', '.join(missing)}")
    if "last_checked" in raw:
        raise ContentError(f"{path}: {intent}.last_checked: not used any more; say when the source was "
                           "read in source.read (docs/content-format.md)")
    source = raw["source"]
    if not isinstance(source, dict) or not source.get("name") or not source.get("url"):
        raise ContentError(f"{path}: {intent}.source: needs name and url")
    if not str(source["url"]).startswith("https://"):
        raise ContentError(f"{path}: {intent}.source.url: must start with https://")
    read = str(source.get("read") or "")
    if not READ_PATTERN.match(read):
        raise ContentError(f"{path}: {intent}.source.read: when the source was read, YYYY-MM or YYYY-MM-DD")
    reliability = raw.get("reliability", "SEC")
    if reliability is False:  # YAML 1.1 reads an unquoted OFF as false
        reliability = "OFF"
    if reliability not in RELIABILITY:
        raise ContentError(f"{path}: {intent}.reliability: use one of {RELIABILITY}")
    next_steps = []
    for step in raw.get("next") or []:
        if not isinstance(step, dict) or not step.get("title") or not step.get("intent"):
            raise ContentError(f"{path}: {intent}.next: each step needs a title and an intent")
        next_steps.append((str(step["title"]), str(step["intent"])))
    roles = tuple(raw.get("roles") or ())
    unknown = [role for role in roles if role not in ROLE_LABELS]
    if unknown:
        raise ContentError(f"{path}: {intent}.roles: unknown contact id {unknown[0]!r}")
    return Answer(
        intent=intent,
        group=group,
        title=str(raw["title"]),
        source=Source(name=str(source["name"]), url=str(source["url"]),
                      passage=" ".join(str(source.get("passage") or "").split()),
                      fact=str(source.get("fact") or ""), read=read),
        reliability=reliability,
        short=_require_text(path, intent, "short", raw["short"]),
        more=_require_text(path, intent, "more", raw["more"]),
        roles=roles,
        needs_age=bool(raw.get("needs_age", False)),
        next=tuple(next_steps),
        path=path,
        age_part=" ".join(str(raw.get("age_part") or "").split()),
    )


QUESTION_KEY = re.compile(r"^([a-z0-9_]+)/([a-z0-9_]+)$")
READ_PATTERN = re.compile(r"^\d{4}-\d{2}(-\d{2})?$")


def _parse_question(path: Path, group: str, key: str, raw: object) -> Question:
    match = QUESTION_KEY.match(key)
    if not match or match.group(2) == "overview":
        raise ContentError(f"{path}: {key}: a question key is topic/name (name not 'overview')")
    if not isinstance(raw, dict):
        raise ContentError(f"{path}: {key}: must be a mapping")
    missing = [name for name in ("title", "answer", "source", "reliability") if name not in raw]
    if missing:
        raise ContentError(f"{path}: {key}: missing {', '.join(missing)}")
    source = raw["source"]
    needed = ("name", "url", "passage", "fact", "read")
    if not isinstance(source, dict) or any(not source.get(name) for name in needed):
        raise ContentError(f"{path}: {key}.source: needs {', '.join(needed)}")
    url = str(source["url"])
    if not re.match(r"^https://[^/]+/.+", url):
        raise ContentError(f"{path}: {key}.source.url: must be an https page, not a homepage")
    read = str(source["read"])
    if not READ_PATTERN.match(read):
        raise ContentError(f"{path}: {key}.source.read: YYYY-MM or YYYY-MM-DD")
    reliability = raw["reliability"]
    if reliability not in RELIABILITY:
        raise ContentError(f"{path}: {key}.reliability: use one of {RELIABILITY} (quoted)")
    texts = raw["answer"] if isinstance(raw["answer"], dict) else {"default": raw["answer"]}
    roles = tuple(raw.get("roles") or ())
    unknown = [role for role in roles if role not in ROLE_LABELS]
    if unknown:
        raise ContentError(f"{path}: {key}.roles: unknown contact id {unknown[0]!r}")
    return Question(
        key=key, topic=match.group(1), group=group, title=str(raw["title"]).strip(),
        answer=_require_text(path, key, "answer", texts),
        source=Source(name=str(source["name"]), url=url, passage=" ".join(str(source["passage"]).split()),
                      fact=str(source["fact"]), read=read),
        reliability=reliability, roles=roles, path=path,
    )


ENGLISH = "en"
FOLLOWUP_KINDS = ("objection", "consent", "costs", "deadline", "exception", "who_helps", "who_decides")
MORE = "more"
_EN_MONTHS = dict(zip(("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
                       "september", "oktober", "november", "december"),
                      ("January", "February", "March", "April", "May", "June", "July", "August",
                       "September", "October", "November", "December")))
_EN_WORDS = {"weken": "weeks", "week": "week", "jaar": "years", "maanden": "months", "maand": "month",
             "werkdagen": "working days", "schooldagen": "school days", "dagen": "days", "dag": "day",
             "tot": "to", "uur": "hours", "jaar_1": "year", "keer": "times", "per": "a"}
_EN_PHRASES = ((re.compile(r"^een half jaar$"), "half a year"),
               (re.compile(r"\b1 keer per (\d+) weken\b"), r"once every \1 weken"),
               (re.compile(r"\b1 keer per (\w+)\b"), r"once a \1"),
               (re.compile(r"\b(\d+) keer per jaar\b"), r"\1 times a year"),
               (re.compile(r"\b1 (jaar|week|maand|dag)\b"), r"1 \1_1"))


def english_term(text: str) -> str:
    """A term of ``terms.yml`` in English: "6 weken" -> "6 weeks", "1 augustus 2017" -> "1 August 2017",
    "1 keer per week" -> "once a week", "1 week (5 schooldagen)" -> "1 week (5 school days)". Raises
    ``ContentError`` for a word it does not know, so a new term cannot reach an English answer in Dutch."""
    for pattern, replacement in _EN_PHRASES:
        text = pattern.sub(replacement, text)
    out = []
    for token in re.findall(r"[()]|[^\s()]+", text):
        word = token.replace("_1", "")
        if token.isdigit() or token in ("(", ")") or token in ("half", "a", "once", "every", "times", "year"):
            out.append(token)
        elif token in _EN_MONTHS:
            out.append(_EN_MONTHS[token])
        elif token == "jaar_1" or (token.endswith("_1") and word in ("week", "maand", "dag")):
            out.append({"jaar": "year", "week": "week", "maand": "month", "dag": "day"}[word])
        elif token in _EN_WORDS and not token.endswith("_1"):
            out.append(_EN_WORDS[token])
        else:
            raise ContentError(f"terms: no English for {token!r} in {text!r} (wegwijs.content.english_term)")
    return " ".join(out).replace("( ", "(").replace(" )", ")")


def _attach_translations(path: Path, language: str, answers: Dict[str, "Answer"]) -> None:
    """Read one ``english.yml``: every entry translates an existing topic, with the same variant keys
    and the same ``{term:…}`` placeholders per text as the Dutch answer."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    entries = raw.get("answers_" + language)
    if not isinstance(entries, dict) or not entries:
        raise ContentError(f"{path}: needs an 'answers_{language}' mapping")
    for intent, entry in entries.items():
        answer = answers.get(intent)
        if answer is None:
            raise ContentError(f"{path}: {intent}: no Dutch answer to translate")
        if not isinstance(entry, dict) or not entry.get("title"):
            raise ContentError(f"{path}: {intent}: needs a title, short and more")
        texts = {}
        for part, dutch in (("short", answer.short), ("more", answer.more)):
            texts[part] = _require_text(path, intent, part, entry.get(part))
            if set(texts[part]) != set(dutch):
                raise ContentError(f"{path}: {intent}.{part}: variants {sorted(texts[part])} differ from the "
                                   f"Dutch {sorted(dutch)}")
            for key, text in texts[part].items():
                if sorted(TERM_PATTERN.findall(text)) != sorted(TERM_PATTERN.findall(dutch[key])):
                    raise ContentError(f"{path}: {intent}.{part}.{key}: the terms differ from the Dutch text")
        age_part = " ".join(str(entry.get("age_part") or "").split())
        if answer.needs_age and not age_part:
            raise ContentError(f"{path}: {intent}: needs an age_part, as the Dutch answer has")
        answer.translations[language] = Translation(str(entry["title"]).strip(), texts["short"], texts["more"],
                                                    age_part)


def _read_followups(path: Path, answers: Dict[str, "Answer"], questions: Dict[str, "Question"],
                    into: Dict[str, Dict[str, str]]) -> None:
    """Read one ``followups.yml``; every target must exist (a question, a topic, or ``more``)."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    entries = raw.get("followups")
    if not isinstance(entries, dict):
        raise ContentError(f"{path}: needs a 'followups' mapping")
    for topic, kinds in entries.items():
        if topic not in answers:
            raise ContentError(f"{path}: {topic}: no such topic")
        for kind, target in (kinds or {}).items():
            if kind not in FOLLOWUP_KINDS:
                raise ContentError(f"{path}: {topic}.{kind}: unknown kind; use {FOLLOWUP_KINDS}")
            if target is None:
                continue
            target = str(target)
            if target != MORE and target not in answers and target not in questions:
                raise ContentError(f"{path}: {topic}.{kind}: no answer {target!r}")
            into.setdefault(topic, {})[kind] = target


class ContentLibrary:
    """All answers of a data directory, with the terms they use."""

    def __init__(self, answers: Dict[str, Answer], terms: Dict[str, str],
                 questions: Optional[Dict[str, Question]] = None,
                 referrals: Optional[Referrals] = None,
                 followups: Optional[Dict[str, Dict[str, str]]] = None) -> None:
        self._answers = answers
        self._followups = followups or {}
        self.terms = terms
        self._questions = questions or {}
        self.referrals = referrals or load_referrals()

    @classmethod
    def load(cls, data_dir: Path, terms_path: Path = TERMS_FILE) -> "ContentLibrary":
        """Load ``data_dir/*/answers*.yml``; every term an answer uses must exist, every question's
        topic must have an answer."""
        terms = load_terms(terms_path)
        answers: Dict[str, Answer] = {}
        questions: Dict[str, Question] = {}
        for path in sorted(Path(data_dir).glob("*/answers*.yml")):
            raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            entries = raw.get("answers") or {}
            question_entries = raw.get("questions") or {}
            if not isinstance(entries, dict) or not isinstance(question_entries, dict) or not (
                    entries or question_entries):
                raise ContentError(f"{path}: needs an 'answers' or a 'questions' mapping")
            for intent, entry in entries.items():
                if intent in answers:
                    raise ContentError(f"{path}: {intent}: also in {answers[intent].path}")
                answers[intent] = _parse_answer(path, path.parent.name, intent, entry)
            for key, entry in question_entries.items():
                if key in questions:
                    raise ContentError(f"{path}: {key}: also in {questions[key].path}")
                questions[key] = _parse_question(path, path.parent.name, key, entry)
        texts = [(a.path, a.intent, t) for a in answers.values() for t in list(a.short.values()) + list(a.more.values())]
        texts += [(q.path, q.key, t) for q in questions.values() for t in q.answer.values()]
        for path, name, text in texts:
            for key in TERM_PATTERN.findall(text):
                if key not in terms:
                    raise ContentError(f"{path}: {name}: unknown term {key!r}")
        for path in sorted(Path(data_dir).glob("*/english.yml")):
            _attach_translations(path, ENGLISH, answers)
        followups: Dict[str, Dict[str, str]] = {}
        for path in sorted(Path(data_dir).glob("*/followups.yml")):
            _read_followups(path, answers, questions, followups)
        for answer in answers.values():
            if answer.needs_age and not answer.age_part:
                raise ContentError(f"{answer.path}: {answer.intent}: needs_age needs an age_part (what depends "
                                   "on the age, said before the age question)")
            for _, target in answer.next:
                if target not in answers:
                    raise ContentError(f"{answer.path}: {answer.intent}.next: no answer for {target!r}")
        for question in questions.values():
            if question.topic not in answers:
                raise ContentError(f"{question.path}: {question.key}: no topic answer {question.topic!r}")
        return cls(answers, terms, questions, followups=followups)

    def followup(self, topic: Optional[str], kind: str) -> Optional[str]:
        """What answers a follow-up of ``kind`` after ``topic`` (``data/*/followups.yml``): a question key,
        a topic intent or ``more``; None when our content has no answer for it."""
        return self._followups.get(topic or "", {}).get(kind)

    def get(self, intent: Optional[str]) -> Optional[Answer]:
        """The answer for ``intent``, or None."""
        return self._answers.get(intent or "")

    def intents(self) -> List[str]:
        """All intents that have an answer."""
        return sorted(self._answers)

    def answers(self) -> List[Answer]:
        """All answers, by intent."""
        return [self._answers[intent] for intent in self.intents()]

    def question(self, key: Optional[str]) -> Optional[Question]:
        """The question-level answer for ``topic/name``, or None."""
        return self._questions.get(key or "")

    def questions(self, topic: Optional[str] = None) -> List[Question]:
        """All question-level answers (of ``topic``), by key."""
        return [self._questions[key] for key in sorted(self._questions)
                if topic is None or self._questions[key].topic == topic]

    def render(self, text: str, language: str = "nl") -> str:
        """Replace every ``{term:KEY}`` with the term's text (in English for ``language`` ``en``)."""
        if language == ENGLISH:
            return TERM_PATTERN.sub(lambda match: english_term(self.terms[match.group(1)]), text)
        return TERM_PATTERN.sub(lambda match: self.terms[match.group(1)], text)
