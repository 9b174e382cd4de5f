"""Evaluate a trained model's intent recognition on the held-out NLU test set.

``python -m wegwijs.evaluation --model models/wegwijs.tar.gz --floor 0.85`` prints macro-F1 and the
weakest intents, writes ``results/nlu_heldout.json`` and fails below the floor. The held-out examples
(``tests/nlu_heldout/``) are never trained on; ``wegwijs check`` verifies that.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

from wegwijs.nlu_data import heldout_nlu, question_heldout, read_nlu

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@dataclass
class NluReport:
    """Scores of one model on one test set."""

    macro_f1: float
    accuracy: float
    per_intent: Dict[str, Dict[str, float]]
    errors: List[Tuple[str, str, str]] = field(default_factory=list)  # text, gold, predicted

    def weakest(self, count: int = 10) -> List[Tuple[str, Dict[str, float]]]:
        """The intents with the lowest F1."""
        return sorted(self.per_intent.items(), key=lambda item: item[1]["f1"])[:count]

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return {"macro_f1": self.macro_f1, "accuracy": self.accuracy, "per_intent": self.per_intent,
                "errors": [{"text": t, "gold": g, "predicted": p} for t, g, p in self.errors]}


def score(texts: Sequence[str], gold: Sequence[str], predicted: Sequence[str]) -> NluReport:
    """Macro-F1 over the gold intents; a prediction of any other label (nlu_fallback) is an error."""
    from sklearn.metrics import precision_recall_fscore_support

    labels = sorted(set(gold))
    precision, recall, f1, support = precision_recall_fscore_support(
        gold, predicted, labels=labels, zero_division=0)
    per_intent = {
        label: {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
        for label, p, r, f, s in zip(labels, precision, recall, f1, support)
    }
    correct = sum(1 for g, p in zip(gold, predicted) if g == p)
    errors = [(t, g, p) for t, g, p in zip(texts, gold, predicted) if g != p]
    return NluReport(
        macro_f1=float(sum(f1) / len(labels)) if labels else 0.0,
        accuracy=correct / len(gold) if gold else 0.0,
        per_intent=per_intent,
        errors=errors,
    )


#: The held-out set as it was on 2026-11-23 (543 sentences, 5-15 per intent); the issue that asked for
#: 0.92 macro-F1 measured this set. Sentences written later were added in other files
#: (tests/nlu_heldout/added_*.yml, 2026-12-03), so that both figures can be reported.
ORIGINAL_FILES = ("heldout.yml", "rights_heldout.yml")
#: Follow-up intents and questions about the chat (issue 19): a follow-up ("is dat gratis?") is
#: ambiguous without its conversation, so this set is printed on its own and the conversations are
#: measured whole (benchmarks/conversations.py); the 0.92 floor stays on the topic-level sets.
CONVERSATION_FILES = ("conversation.yml",)


def heldout_set(home: Path, files: Sequence[str] = ()) -> Tuple[List[str], List[str]]:
    """(texts, gold intents) of the held-out set, or of only ``files`` under tests/nlu_heldout/."""
    texts, gold = [], []
    examples_by_intent = (read_nlu([home / "tests" / "nlu_heldout" / name for name in files]) if files
                          else heldout_nlu(home))
    for intent, examples in sorted(examples_by_intent.items()):
        for example in examples:
            texts.append(example)
            gold.append(intent)
    return texts, gold


async def _parse_all(model_path: Path, texts: Sequence[str]) -> List[dict]:
    from rasa.core.agent import Agent

    agent = Agent.load(str(model_path))
    return [await agent.parse_message(text) for text in texts]


def parse_texts(model_path: Path, texts: Sequence[str]) -> List[dict]:
    """Rasa's parse result of every text (intent, ranking, and our components' notes)."""
    return asyncio.run(_parse_all(model_path, texts))


def predicted_intent(parsed: dict, with_rules: bool = True) -> str:
    """The intent of a parse result; ``with_rules=False`` gives the intent before ``SafetyOverride``."""
    override = parsed.get("safety_override")
    if not with_rules and override:
        return override.get("previous_intent") or ""
    return (parsed.get("intent") or {}).get("name") or ""


def evaluate_model(model_path: Path, home: Path) -> NluReport:
    """Load ``model_path`` and score it on the held-out set of ``home``."""
    return evaluate_variants(model_path, home)["with_rules"]


def evaluate_variants(model_path: Path, home: Path) -> Dict[str, NluReport]:
    """Scores with and without the safety rules (``SafetyOverride`` is last and not trained, so one
    model gives both: without the rules, the intent is the one before the override)."""
    texts, gold = heldout_set(home)
    parsed = parse_texts(model_path, texts)
    return {
        "with_rules": score(texts, gold, [predicted_intent(p) for p in parsed]),
        "without_rules": score(texts, gold, [predicted_intent(p, with_rules=False) for p in parsed]),
    }


@dataclass
class QuestionReport:
    """Question-level scores: is the selected answer the one the paraphrase asks for?"""

    total: int
    top1: int             # the selected answer (question or overview) is the asked one
    topic: int            # the topic is right
    offered: int          # the asked answer is the selection or among the "Bedoel je…?" options
    choose: int           # the bot asked "Bedoel je…?"
    safety: int           # the bot gave a safety reply
    direct: int           # the asked answer was given at once (no "Bedoel je…?" first)
    per_topic: Dict[str, List[int]]  # topic -> [right, total]
    errors: List[Tuple[str, str, str]]

    @property
    def accuracy(self) -> float:
        return self.top1 / self.total if self.total else 0.0

    def rate(self, count: int) -> float:
        return count / self.total if self.total else 0.0

    def to_dict(self) -> dict:
        return {"total": self.total, "top1_accuracy": self.accuracy, "topic_accuracy": self.rate(self.topic),
                "offered": self.rate(self.offered), "bedoel_je_rate": self.rate(self.choose),
                "safety_reply_rate": self.rate(self.safety), "answered_at_once": self.rate(self.direct),
                "per_topic": self.per_topic,
                "errors": [{"text": t, "gold": g, "selected": p} for t, g, p in self.errors]}


def selected_answer(parsed: dict) -> Tuple[str, str, List[str]]:
    """(selected answer key, decision kind, offered keys) of a parse result, as the answer action
    decides (wegwijs.questions): ``topic/question``, ``topic/overview``, or the intent itself for
    anything that is not a topic answer (``safety_…``, ``nlu_fallback``, ``greet``)."""
    from wegwijs import questions
    from wegwijs.safety import in_doubt

    intent = predicted_intent(parsed)
    if intent.startswith("safety_") or (intent == "nlu_fallback" and in_doubt(parsed)):
        return "safety", "safety", []
    ranked = questions.ranking(parsed, intent)
    if not ranked:
        return f"{intent}/{questions.OVERVIEW}", questions.OVERVIEW, []
    decision = questions.decide(parsed, intent, lambda key: True)
    best = ranked[0][0]
    return best, decision.kind, decision.options or [best]


def score_questions(texts: Sequence[str], gold: Sequence[str], parsed: Sequence[dict]) -> QuestionReport:
    """Top-1 of the selected answer against the asked one, and how often the bot asked or alarmed."""
    top1 = topic = offered = choose = safety = direct = 0
    per_topic: Dict[str, List[int]] = {}
    errors = []
    for text, key, result in zip(texts, gold, parsed):
        selected, kind, options = selected_answer(result)
        counts = per_topic.setdefault(key.split("/", 1)[0], [0, 0])
        counts[1] += 1
        if selected == key:
            top1 += 1
            direct += kind != "choose"
            counts[0] += 1
        else:
            errors.append((text, key, selected))
        topic += selected.split("/", 1)[0] == key.split("/", 1)[0]
        offered += key in options
        choose += kind == "choose"
        safety += kind == "safety"
    return QuestionReport(len(gold), top1, topic, offered, choose, safety, direct, per_topic, errors)


def question_test_set(home: Path) -> Tuple[List[str], List[str]]:
    """(texts, ``topic/question`` keys) of the question-level held-out paraphrases."""
    texts, gold = [], []
    for key, examples in sorted(question_heldout(home).items()):
        texts += examples
        gold += [key] * len(examples)
    return texts, gold


def print_question_report(report: QuestionReport) -> None:
    """Top-1 accuracy of the selected answer and the rates that matter to parents."""
    print(f"question-level held-out paraphrases (tests/nlu_questions/), {report.total} messages: "
          f"top-1 {report.accuracy:.3f} (right topic {report.rate(report.topic):.3f}; asked answer selected "
          f"or offered {report.rate(report.offered):.3f}; given at once {report.rate(report.direct):.3f}); "
          f"'Bedoel je…?' {report.rate(report.choose):.3f}; "
          f"safety reply {report.rate(report.safety):.3f}")
    worst = sorted(report.per_topic.items(), key=lambda item: item[1][0] / item[1][1])[:6]
    for topic, (right, total) in worst:
        print(f"  {topic:32s} {right}/{total}")


def print_report(report: NluReport, title: str) -> None:
    """A short table: macro-F1, accuracy and the weakest intents."""
    print(f"{title}: macro-F1 {report.macro_f1:.3f}, accuracy {report.accuracy:.3f}, "
          f"{len(report.per_intent)} intents")
    for intent, values in report.weakest(8):
        print(f"  {intent:32s} F1 {values['f1']:.2f}  (P {values['precision']:.2f}, "
              f"R {values['recall']:.2f}, n={values['support']})")


def main(argv: List[str] = None) -> int:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="models/wegwijs.tar.gz")
    parser.add_argument("--floor", type=float, default=None, help="fail when macro-F1 is lower")
    parser.add_argument("--report", default="results/nlu_heldout.json")
    parser.add_argument("--questions-floor", type=float, default=None,
                        help="fail when question-level top-1 accuracy is lower")
    parser.add_argument("--safety-ceiling", type=float, default=None,
                        help="fail when the safety-reply rate on the question-level set is higher")
    args = parser.parse_args(argv)
    home = Path.cwd()
    added_files = sorted(path.name for path in (home / "tests" / "nlu_heldout").glob("*.yml")
                         if path.name not in ORIGINAL_FILES + CONVERSATION_FILES)
    sets = {"original": heldout_set(home, ORIGINAL_FILES), "added": heldout_set(home, added_files),
            "all": heldout_set(home, ORIGINAL_FILES + tuple(added_files)),
            "conversation": heldout_set(home, CONVERSATION_FILES),
            "everything": heldout_set(home)}
    question_texts, question_gold = question_test_set(home)
    unique = sorted({text for texts, _ in sets.values() for text in texts} | set(question_texts))
    parsed = dict(zip(unique, parse_texts(Path(args.model), unique)))
    reports = {name: score(texts, gold, [predicted_intent(parsed[text]) for text in texts])
               for name, (texts, gold) in sets.items()}
    titles = {"original": f"held-out set as of 2026-11-23 ({', '.join(ORIGINAL_FILES)})",
              "added": "sentences added 2026-12-03 (added_*.yml)",
              "all": "whole topic-level held-out set (the two above)",
              "conversation": "follow-ups and questions about the chat, without their conversation "
                              "(conversation.yml, Dutch and English; printed, not gated)",
              "everything": "everything under tests/nlu_heldout (printed, not gated)"}
    for name, report in reports.items():
        print_report(report, f"{titles[name]}, {sum(v['support'] for v in report.per_intent.values())} "
                             "messages")
    questions_report = score_questions(question_texts, question_gold, [parsed[t] for t in question_texts])
    if question_texts:
        print_question_report(questions_report)
    Path(args.report).parent.mkdir(parents=True, exist_ok=True)
    output = {name: report.to_dict() for name, report in reports.items()}
    output["questions"] = questions_report.to_dict()
    Path(args.report).write_text(json.dumps(output, indent=2, ensure_ascii=False))
    failed = [name for name in ("original", "all")
              if args.floor is not None and reports[name].macro_f1 < args.floor]
    for name in failed:
        print(f"FAILED: macro-F1 {reports[name].macro_f1:.4f} on the {name} set is below the floor "
              f"{args.floor}")
    if args.questions_floor is not None and questions_report.accuracy < args.questions_floor:
        failed.append("questions")
        print(f"FAILED: question-level top-1 {questions_report.accuracy:.3f} is below {args.questions_floor}")
    if args.safety_ceiling is not None and questions_report.rate(questions_report.safety) > args.safety_ceiling:
        failed.append("questions-safety")
        print(f"FAILED: safety replies on {questions_report.rate(questions_report.safety):.3f} of the "
              f"question-level set, above {args.safety_ceiling}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
