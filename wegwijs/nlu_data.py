"""The NLU training and test data: which files, and the examples in them.

Training examples are every YAML file under ``data/`` with an ``nlu`` key (not the answers); the held-out
test sets are ``tests/nlu_heldout/`` (topic level) and ``tests/nlu_questions/`` (question level: intent
blocks that name a question in their metadata, ``metadata: {question: NAME}``; see
wegwijs/nlp/question_selector.py). The examples are read with Rasa's own reader, so they are the texts
Rasa trains on. Used by the checks (``wegwijs check``), the evaluation, the retraining and the benchmarks.
"""
from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Dict, Iterable, List, NamedTuple

import yaml


class Example(NamedTuple):
    """One example of an intent block."""

    text: str
    intent: str
    question: str  # the block's ``metadata: {question: NAME}``, or ""


#: PyYAML's safe loader, in C when libyaml is there (the same results, some twenty times faster).
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path) -> dict:
    """A YAML file's contents ({} for an empty file)."""
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER) or {}


def read_examples(paths: Iterable[Path]) -> List[Example]:
    """Every intent example of Rasa YAML NLU files, in file order, with Rasa's reader.

    Entity annotations are Rasa's plain text ("[16](age)" is "16", as Rasa trains on it). An example
    written twice in a block is there twice: the reader's list, not the ``TrainingData`` it returns,
    which keeps only one (the held-out sets count every line).
    """
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

    examples = []
    for path in paths:
        reader = RasaYAMLReader()
        reader.read(str(path))
        for message in reader.training_examples:
            metadata = (message.get("metadata") or {}).get("intent")
            question = metadata.get("question") if isinstance(metadata, dict) else None
            examples.append(Example(message.get("text"), message.get("intent"), str(question or "")))
    return examples


def read_nlu(paths: List[Path]) -> Dict[str, List[str]]:
    """Intent -> examples from Rasa YAML NLU files."""
    examples: Dict[str, List[str]] = defaultdict(list)
    for example in read_examples(paths):
        examples[example.intent].append(example.text)
    return dict(examples)


def read_questions(paths: List[Path]) -> Dict[str, List[str]]:
    """``topic/question`` -> examples of the intent blocks that name a question in their metadata
    (``metadata: {question: NAME}``; see wegwijs/nlp/question_selector.py)."""
    examples: Dict[str, List[str]] = defaultdict(list)
    for example in read_examples(paths):
        if example.question:
            examples[f"{example.intent}/{example.question}"].append(example.text)
    return dict(examples)


def training_files(home: Path) -> List[Path]:
    """Every YAML file under data/ with an ``nlu`` key, as Rasa reads them."""
    return [path for path in sorted((home / "data").rglob("*.yml"))
            if not path.name.startswith("answers") and "nlu" in read_yaml(path)]


def question_heldout(home: Path) -> Dict[str, List[str]]:
    """The held-out question-level paraphrases under tests/nlu_questions/ (``topic/question`` ->
    sentences)."""
    return read_questions(sorted((home / "tests" / "nlu_questions").glob("*.yml")))


def training_nlu(home: Path) -> Dict[str, List[str]]:
    """The training examples under data/ (every YAML file with an ``nlu`` key, as Rasa reads them)."""
    return read_nlu(training_files(home))


def heldout_nlu(home: Path) -> Dict[str, List[str]]:
    """The held-out test examples under tests/nlu_heldout/."""
    return read_nlu(sorted((home / "tests" / "nlu_heldout").glob("*.yml")))


def domain_intents(home: Path) -> List[str]:
    """The intents the domain declares."""
    return [i if isinstance(i, str) else next(iter(i)) for i in read_yaml(home / "domain.yml")["intents"]]
