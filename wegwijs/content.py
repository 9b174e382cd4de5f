"""Answer content: ``data/<group>/answers.yml`` files and the terms in ``wegwijs/content/terms.yml``.

See ``docs/content-format.md`` for the format. Loading validates every answer; rendering fills in
``{term:KEY}`` from the one terms file, so a change in the law is one edit.
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
    """Where an answer's facts come from."""

    name: str
    url: str


@dataclass(frozen=True)
class Answer:
    """One topic's answer, as written in an answers file."""

    intent: str
    group: str
    title: str
    source: Source
    last_checked: dt.date
    reliability: str
    short: Dict[str, str]
    more: Dict[str, str]
    roles: Tuple[str, ...] = ()
    needs_age: bool = False
    next: Tuple[Tuple[str, str], ...] = ()  # (button title, intent) for the follow-up questions
    path: Path = field(default=Path("."), compare=False)

    def variant(self, part: str, school_type: Optional[str] = None,
                age_band: Optional[str] = None) -> str:
        """The raw text of ``part`` ("short" or "more"): age band first, then school type, then default."""
        texts = self.short if part == "short" else self.more
        for key in (age_band, school_type):
            if key and key in texts:
                return texts[key]
        return texts["default"]

    @property
    def refers_to_personal_help(self) -> bool:
        """Whether this answer closes with the referral to personal help."""
        return self.group in REFERRAL_GROUPS


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
    missing = [key for key in ("title", "source", "last_checked", "short", "more") if key not in raw]
    if missing:
        raise ContentError(f"{path}: {intent}: missing {', '.join(missing)}")
    source = raw["source"]
    if not isinstance(source, dict) or not source.get("name") or not source.get("url"):
        raise ContentError(f"{path}: {intent}.source: needs name and url")
    if not str(source["url"]).startswith("https://"):
        raise ContentError(f"{path}: {intent}.source.url: must start with https://")
    checked = raw["last_checked"]
    if isinstance(checked, str):
        try:
            checked = dt.date.fromisoformat(checked)
        except ValueError as exc:
            raise ContentError(f"{path}: {intent}.last_checked: not a date (YYYY-MM-DD)") from exc
    if not isinstance(checked, dt.date):
        raise ContentError(f"{path}: {intent}.last_checked: not a date (YYYY-MM-DD)")
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
        source=Source(name=str(source["name"]), url=str(source["url"])),
        last_checked=checked,
        reliability=reliability,
        short=_require_text(path, intent, "short", raw["short"]),
        more=_require_text(path, intent, "more", raw["more"]),
        roles=roles,
        needs_age=bool(raw.get("needs_age", False)),
        next=tuple(next_steps),
        path=path,
    )


class ContentLibrary:
    """All answers of a data directory, with the terms they use."""

    def __init__(self, answers: Dict[str, Answer], terms: Dict[str, str]) -> None:
        self._answers = answers
        self.terms = terms

    @classmethod
    def load(cls, data_dir: Path, terms_path: Path = TERMS_FILE) -> "ContentLibrary":
        """Load ``data_dir/*/answers.yml``; every term an answer uses must exist."""
        terms = load_terms(terms_path)
        answers: Dict[str, Answer] = {}
        for path in sorted(Path(data_dir).glob("*/answers.yml")):
            raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            entries = raw.get("answers")
            if not isinstance(entries, dict):
                raise ContentError(f"{path}: needs an 'answers' mapping")
            for intent, entry in entries.items():
                if intent in answers:
                    raise ContentError(f"{path}: {intent}: also in {answers[intent].path}")
                answer = _parse_answer(path, path.parent.name, intent, entry)
                for text in list(answer.short.values()) + list(answer.more.values()):
                    for key in TERM_PATTERN.findall(text):
                        if key not in terms:
                            raise ContentError(f"{path}: {intent}: unknown term {key!r}")
                answers[intent] = answer
        for answer in answers.values():
            for _, target in answer.next:
                if target not in answers:
                    raise ContentError(f"{answer.path}: {answer.intent}.next: no answer for {target!r}")
        return cls(answers, terms)

    def get(self, intent: Optional[str]) -> Optional[Answer]:
        """The answer for ``intent``, or None."""
        return self._answers.get(intent or "")

    def intents(self) -> List[str]:
        """All intents that have an answer."""
        return sorted(self._answers)

    def answers(self) -> List[Answer]:
        """All answers, by intent."""
        return [self._answers[intent] for intent in self.intents()]

    def render(self, text: str) -> str:
        """Replace every ``{term:KEY}`` with the term's text."""
        return TERM_PATTERN.sub(lambda match: self.terms[match.group(1)], text)
