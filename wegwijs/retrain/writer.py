"""Write approved examples into the training data and chosen conversations as test stories.

Examples go to ``data/<topic>/nlu_reviewed.yml``, the topic folder where their intent's examples
already live, through Rasa's ``RasaYAMLReader``/``RasaYAMLWriter``: one file per topic, owned by this
module, intents and examples sorted. Placeholders of scrubbed personal data become fixed synthetic
values (a model learns more from "bel me op 06 12345678" than from "[TELEFOON]"). Skipped, and counted:
examples that are already trained on, that are in the held-out test set (it must stay unseen), or whose
text another intent already has.

Test stories are written with Rasa's ``YAMLStoryWriter`` to ``var/retrain/stories/``, a folder that
neither ``rasa train`` nor ``rasa test`` reads: a person checks them and moves them to ``tests/stories/``.
"""
from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Set, Tuple

from sqlalchemy.engine import Engine

from wegwijs import pii
from wegwijs.nlu_data import heldout_nlu, question_heldout, read_nlu, training_nlu
from wegwijs.text import text_key

REVIEWED_FILE = "nlu_reviewed.yml"
STORIES_DIR = Path("var") / "retrain" / "stories"
#: Synthetic stand-ins for scrubbed personal data (none of them belongs to a real person).
SURROGATES = {
    "[NAAM]": ("Sam", "Noor", "Daan", "Lotte", "Milan", "Fleur", "Yara", "Bram"),
    "[TELEFOON]": ("06 12345678", "020 1234567"),
    "[EMAIL]": ("ouder@example.nl",),
    "[BSN]": ("123456782",),
    "[IBAN]": ("NL91ABNA0417164300",),
    "[POSTCODE]": ("1234 AB",),
    "[ADRES]": ("Dorpsstraat 1",),
    "[GEBOORTEDATUM]": ("1 januari 2015",),
}
_PLACEHOLDER = re.compile("|".join(re.escape(p) for p in SURROGATES))


def surrogate(text: str) -> str:
    """``text`` with each placeholder replaced by a synthetic value (the same text gives the same)."""
    seed = int(hashlib.sha256(text.encode()).hexdigest()[:8], 16)

    def pick(match: "re.Match[str]") -> str:
        options = SURROGATES[match.group(0)]
        return options[(seed + match.start()) % len(options)]

    return _PLACEHOLDER.sub(pick, text)


@dataclass
class WriteResult:
    """What :func:`write_examples` did."""

    written: Dict[str, int] = field(default_factory=dict)  # intent -> new examples
    files: List[Path] = field(default_factory=list)
    known: int = 0  # already in the training data for the same intent
    heldout: int = 0  # in the held-out test set: never trained on
    conflicts: List[Tuple[str, str, str]] = field(default_factory=list)  # text, wanted, existing
    no_topic: Set[str] = field(default_factory=set)
    written_ids: List[int] = field(default_factory=list)  # new in the data
    known_ids: List[int] = field(default_factory=list)  # in the data already, for the same intent
    unusable_ids: List[int] = field(default_factory=list)  # held-out, conflicting or without topic

    @property
    def total(self) -> int:
        return sum(self.written.values())


def intent_topics(home: Path) -> Dict[str, str]:
    """Intent -> the topic folder under ``data/`` that has most of its examples."""
    counts: Dict[str, Dict[str, int]] = defaultdict(dict)
    for folder in sorted(p for p in (home / "data").iterdir() if p.is_dir()):
        for intent, examples in read_nlu(sorted(folder.glob("nlu*.yml"))).items():
            counts[intent][folder.name] = counts[intent].get(folder.name, 0) + len(examples)
    return {intent: max(per.items(), key=lambda kv: (kv[1], kv[0]))[0] for intent, per in counts.items()}


def write_examples(home: Path, examples: Iterable[Tuple[int, str, str]]) -> WriteResult:
    """Add ``(item id, scrubbed text, intent)`` examples to the topics' ``nlu_reviewed.yml`` files."""
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader, RasaYAMLWriter
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

    result = WriteResult()
    topics = intent_topics(home)
    trained = {text_key(text): intent for intent, texts in training_nlu(home).items() for text in texts}
    unseen = {text_key(text) for held in (heldout_nlu(home), question_heldout(home))
              for texts in held.values() for text in texts}
    new: Dict[str, List[Tuple[int, str, str]]] = defaultdict(list)
    for item_id, scrubbed, intent in examples:
        text = " ".join(surrogate(scrubbed).split())
        key = text_key(text)
        if intent not in topics:
            result.no_topic.add(intent)
            result.unusable_ids.append(item_id)
            continue
        if key in unseen:
            result.heldout += 1
            result.unusable_ids.append(item_id)
            continue
        if key in trained:
            if trained[key] == intent:
                result.known += 1
                result.known_ids.append(item_id)
            else:
                result.conflicts.append((text, intent, trained[key]))
                result.unusable_ids.append(item_id)
            continue
        trained[key] = intent
        new[topics[intent]].append((item_id, text, intent))
    for topic, rows in sorted(new.items()):
        path = home / "data" / topic / REVIEWED_FILE
        old = RasaYAMLReader().read(str(path)).training_examples if path.exists() else []
        messages = list(old) + [Message.build(text=text, intent=intent) for _, text, intent in rows]
        messages.sort(key=lambda m: (m.get("intent") or "", text_key(m.get("text") or "")))
        path.parent.mkdir(parents=True, exist_ok=True)
        RasaYAMLWriter().dump(str(path), TrainingData(training_examples=messages))
        result.files.append(path)
        for item_id, _, intent in rows:
            result.written[intent] = result.written.get(intent, 0) + 1
            result.written_ids.append(item_id)
    return result


def remove_examples(home: Path, examples: Iterable[Tuple[str, str]]) -> List[Path]:
    """Take ``(scrubbed text, intent)`` examples out of the ``nlu_reviewed.yml`` files again (rollback)."""
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader, RasaYAMLWriter
    from rasa.shared.nlu.training_data.training_data import TrainingData

    unwanted = {(text_key(" ".join(surrogate(text).split())), intent) for text, intent in examples}
    changed = []
    for path in sorted((home / "data").glob(f"*/{REVIEWED_FILE}")):
        messages = RasaYAMLReader().read(str(path)).training_examples
        kept = [m for m in messages if (text_key(m.get("text") or ""), m.get("intent")) not in unwanted]
        if len(kept) == len(messages):
            continue
        if kept:
            RasaYAMLWriter().dump(str(path), TrainingData(training_examples=kept))
        else:
            path.unlink()
        changed.append(path)
    return changed


# ---------------------------------------------------------------- test stories
def story_events(engine: Engine, conversation_id: str,
                 intents: Optional[Dict[str, str]] = None) -> List[dict]:
    """The bot-only part of a conversation as event dicts with scrubbed text: user messages with their
    intent (``intents`` maps a scrubbed text to a corrected intent) and the bot's actions. It stops
    where the handover form or staff took over: those parts hold personal data and are not the bot's."""
    from wegwijs.retrain.export import NOT_AN_ANSWER, PRIVATE_LOOPS
    from wegwijs.transcripts import conversation_events

    events: List[dict] = []
    for type_name, _, payload in conversation_events(
            engine, conversation_id, ("user", "action", "active_loop", "pause", "session_started")):
        if type_name == "pause" or (type_name == "active_loop" and payload.get("name") in PRIVATE_LOOPS):
            break
        if type_name == "session_started":
            events = []  # a test story starts with the last session
        elif type_name == "user":
            text = str(payload.get("text") or "")
            scrubbed = pii.scrub(text) if not text.startswith("/") else text
            parsed = (payload.get("parse_data") or {}).get("intent") or {}
            intent = (intents or {}).get(scrubbed) or parsed.get("name")
            if not intent:
                continue
            events.append({"event": "user", "text": surrogate(scrubbed),
                           "parse_data": {"intent": {"name": intent, "confidence": 1.0},
                                          "entities": []}})
        elif type_name == "action" and payload.get("name") not in NOT_AN_ANSWER:
            events.append({"event": "action", "name": payload.get("name")})
    while events and events[-1]["event"] == "user":
        events.pop()  # a story ends with what the bot did
    return events


def write_story(home: Path, engine: Engine, conversation_id: str, name: str,
                intents: Optional[Dict[str, str]] = None) -> Optional[Path]:
    """Write one conversation as a test story (Rasa's YAMLStoryWriter); None when it has no turns."""
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import Event
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.shared.core.training_data.story_writer.yaml_story_writer import YAMLStoryWriter

    events = story_events(engine, conversation_id, intents)
    if not any(event["event"] == "user" for event in events):
        return None
    tracker = DialogueStateTracker.from_events(
        name, [Event.from_parameters(event) for event in events], domain=Domain.empty())
    steps = tracker.as_story(include_source=False).story_steps
    path = home / STORIES_DIR / f"{name}.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    header = ("# Test story from a real conversation (text scrubbed, personal data replaced by made-up\n"
              "# values). The actions are what the bot did then. Check them, fix them where the bot was\n"
              "# wrong, and move this file to tests/stories/ to make it part of `make test`.\n")
    path.write_text(header + YAMLStoryWriter().dumps(steps, is_test_story=True), encoding="utf-8")
    return path
