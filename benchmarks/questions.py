"""Question-level answers: how the selector's settings were chosen, and ours against Rasa's ResponseSelector.

Two parts (docs/nlu.md, "Question-level answers"):

``--cv`` (training data only, never a test set): 5-fold cross-validation, stratified by question, over
the training examples that name a question. In each fold the topic classifier is trained on all other
training examples (the topic examples without a question included) and the per-topic question models on
the other question examples, with and without the answer content (titles and texts), as
``wegwijs.nlp.intent_classifier`` and ``wegwijs.nlp.question_selector`` do, on the folded text and the
lemmas of the installed ``nl_wegwijs`` pipeline. It prints top-1 accuracy of the selected
``topic/question`` (topic first, then the question), the accuracy within the right topic, and how often
a right and a wrong selection would go to "Bedoel je…?" under several answer thresholds
(``wegwijs.questions.ANSWER_CONFIDENCE`` / ``ANSWER_MARGIN``). No fallback and no safety layer here.

``--compare`` (held-out paraphrases, tests/nlu_questions/): trains two NLU-only models on a copy of the
project data with ``rasa train nlu``: config.yml's pipeline (ours), and the same pipeline with Rasa's
``ResponseSelector`` (CountVectorsFeaturizer words and char_wb 1-4, 100 epochs, seed 42, retrieval intents
``topic/question`` with placeholder responses, as RasaHQ/rasa-demo does) in place of our selector. It
prints training time and top-1 accuracy of the selected answer on the held-out paraphrases.

Run: ``python benchmarks/questions.py --cv`` (a minute or two) or ``--compare`` (two trainings).
Results: benchmarks/results/questions.md.
"""
from __future__ import annotations

import argparse
import copy
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

import yaml

HOME = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(HOME))
sys.path.insert(0, str(HOME / "benchmarks"))

SEED = 42
THRESHOLDS = ((0.5, 0.2), (0.6, 0.3), (0.7, 0.4), (0.8, 0.5), (0.85, 0.6), (0.9, 0.7))


def training_examples(home: Path = HOME) -> List[Tuple[str, str, str]]:
    """(text, topic intent, question or '') of every training example under data/."""
    from wegwijs.nlu_data import read_examples, training_files

    return [tuple(example) for example in read_examples(training_files(home))]


def views(texts: Sequence[str]) -> List[str]:
    """The text views our components read: folded text and the installed pipeline's lemmas."""
    import spacy

    from wegwijs.nlp.intent_classifier import text_view

    nlp = spacy.load("nl_wegwijs")
    return [text_view(text, [token.lemma_ or token.text for token in doc])
            for text, doc in zip(texts, nlp.pipe(texts, batch_size=256))]


def cross_validate(home: Path = HOME, folds: int = 5, with_content: bool = True) -> List[dict]:
    """Out-of-fold topic ranking and within-topic question ranking for every question example."""
    import numpy as np
    from sklearn.model_selection import StratifiedKFold

    from wegwijs.content import ContentLibrary
    from wegwijs.nlp.intent_classifier import build_model
    from wegwijs.nlp.question_selector import OVERVIEW, QuestionSelector, fit_models, rank_within

    rows = training_examples(home)
    all_views = views([text for text, _, _ in rows])
    config = QuestionSelector.get_default_config()
    content: List[Tuple[str, str]] = []
    if with_content:
        library = ContentLibrary.load(home / "data")
        texts = []
        for question in library.questions():
            texts += [(question.title, question.key), (library.render(question.answer["default"]), question.key)]
        for answer in library.answers():
            if library.questions(answer.intent):
                texts.append((answer.title, f"{answer.intent}/{OVERVIEW}"))
        content = list(zip(views([t for t, _ in texts]), [label for _, label in texts]))
    labelled = [i for i, (_, _, q) in enumerate(rows) if q]
    labels = [f"{rows[i][1]}/{rows[i][2]}" for i in labelled]
    # short examples without a question are broad questions (QuestionSelector's overview_max_words);
    # they only train, they are not scored
    topics = {label.split("/", 1)[0] for label in labels}
    short = [(all_views[i], f"{t}/{OVERVIEW}") for i, (text, t, q) in enumerate(rows)
             if not q and t in topics and len(text.split()) <= config["overview_max_words"]]
    counts = defaultdict(int)
    for label in labels:
        counts[label] += 1
    usable = [(i, label) for i, label in zip(labelled, labels) if counts[label] >= folds]
    index = np.array([i for i, _ in usable])
    y = np.array([label for _, label in usable])
    out = []
    for fold, (train_idx, test_idx) in enumerate(
            StratifiedKFold(folds, shuffle=True, random_state=SEED).split(index, y)):
        test_rows = set(index[test_idx])
        topic_train = [i for i in range(len(rows)) if i not in test_rows]
        topic_model = build_model([all_views[i] for i in topic_train], [rows[i][1] for i in topic_train],
                                  {**config, "n_jobs": -1})
        pairs = [(all_views[i], label) for i, label in zip(index[train_idx], y[train_idx])]
        models = fit_models(pairs + short + [pair for pair in content if pair[1] in set(y[train_idx])], config)
        test_views = [all_views[i] for i in index[test_idx]]
        for view, gold, probabilities in zip(test_views, y[test_idx], topic_model.predict_proba(test_views)):
            topic = str(topic_model.classes_[int(probabilities.argmax())])
            gold_topic = str(gold).split("/", 1)[0]
            out.append({"gold": str(gold), "topic": topic,
                        "ranking": rank_within(models[topic], view) if topic in models else [],
                        "within": rank_within(models[gold_topic], view)})
        print(f"  fold {fold + 1}/{folds} done", flush=True)
    return out


def run_cv(home: Path = HOME) -> str:
    from wegwijs import questions

    lines = []
    import json
    import os

    cache = os.environ.get("QUESTIONS_CV_CACHE")  # a JSON file to reuse the fold predictions
    stored = json.loads(Path(cache).read_text()) if cache and Path(cache).exists() else {}
    for with_content in (False, True):
        key = "with" if with_content else "without"
        predictions = stored.get(key) or cross_validate(home, with_content=with_content)
        stored[key] = predictions
        if cache:
            Path(cache).write_text(json.dumps(stored))
        top1 = sum(bool(p["ranking"]) and p["ranking"][0][0] == p["gold"] for p in predictions) / len(predictions)
        topic = sum(p["topic"] == p["gold"].split("/")[0] for p in predictions) / len(predictions)
        within = sum(p["within"][0][0] == p["gold"] for p in predictions) / len(predictions)
        lines.append(f"answer content {'with' if with_content else 'without'}: {len(predictions)} examples, "
                     f"top-1 {top1:.3f}, right topic {topic:.3f}, right question within the right topic "
                     f"{within:.3f}")
    lines += ["", "With the content, what would go to 'Bedoel je…?' (selections in the right topic):", "",
              "| answer confidence / margin | right selections asked | wrong selections asked |", "|---|---|---|"]
    for confidence, margin in THRESHOLDS:
        right = wrong = right_total = wrong_total = 0
        for p in predictions:
            ranked = p["within"]
            second = ranked[1][1] if len(ranked) > 1 else 0.0
            asks = not (ranked[0][1] >= confidence or ranked[0][1] - second >= margin)
            if ranked[0][0] == p["gold"]:
                right_total += 1
                right += asks
            else:
                wrong_total += 1
                wrong += asks
        lines.append(f"| {confidence} / {margin} | {right / max(right_total, 1):.3f} | "
                     f"{wrong / max(wrong_total, 1):.3f} |")
    lines.append(f"\nIn use: {questions.ANSWER_CONFIDENCE} / {questions.ANSWER_MARGIN} (wegwijs/questions.py).")
    return "\n".join(lines)


# --- ResponseSelector comparison ------------------------------------------------------------------

def retrieval_copy(data: Path, target: Path) -> Tuple[Path, List[str]]:
    """Copy every NLU file into ``target`` with question blocks as retrieval intents (topic/question),
    plus placeholder responses; returns the NLU folder and the retrieval intents."""
    from wegwijs.nlu_data import training_files

    nlu_dir = target / "nlu"
    nlu_dir.mkdir(parents=True)
    responses, topics = {}, set()
    for number, path in enumerate(training_files(data.parent)):
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        blocks = []
        for block in raw.get("nlu", []) or []:
            block = copy.deepcopy(block)
            question = (block.pop("metadata", None) or {}).get("question") if "intent" in block else None
            if question:
                key = f"{block['intent']}/{question}"
                topics.add(block["intent"])
                block["intent"] = key
                responses[f"utter_{key}"] = [{"text": key}]
            blocks.append(block)
        (nlu_dir / f"{number:03d}_{path.parent.name}_{path.name}").write_text(
            yaml.safe_dump({"version": "3.1", "nlu": blocks}, allow_unicode=True, sort_keys=False), encoding="utf-8")
    (nlu_dir / "responses.yml").write_text(
        yaml.safe_dump({"version": "3.1", "responses": responses}, allow_unicode=True), encoding="utf-8")
    return nlu_dir, sorted(topics)


def response_selector_pipeline(pipeline: List[dict]) -> List[dict]:
    """config.yml's pipeline with Rasa's featurizers and ResponseSelector instead of our selector."""
    result = [c for c in pipeline if not c["name"].endswith("QuestionSelector")]
    at = next(i for i, c in enumerate(result) if c["name"] == "SpacyTokenizer") + 1
    result[at:at] = [{"name": "CountVectorsFeaturizer"},
                     {"name": "CountVectorsFeaturizer", "analyzer": "char_wb", "min_ngram": 1, "max_ngram": 4}]
    result.append({"name": "ResponseSelector", "epochs": 100, "random_seed": SEED, "constrain_similarities": True})
    return result


def rs_selected(parsed: dict) -> str:
    """The ResponseSelector's answer key for a parse (its 'default' selector covers all retrieval intents)."""
    from wegwijs.evaluation import predicted_intent

    intent = predicted_intent(parsed)
    if intent.startswith("safety_"):
        return "safety"
    selector = parsed.get("response_selector") or {}
    chosen = (selector.get("default") or {}).get("response") or {}
    key = chosen.get("intent_response_key")
    return key if key else f"{intent}/overview"


def run_compare(home: Path = HOME) -> str:
    from nlu import minimal_domain, nlu_config, parse_all, train, wegwijs_pipeline  # benchmarks/nlu.py

    from wegwijs.nlu_data import domain_intents
    from wegwijs.evaluation import question_test_set, score_questions

    texts, gold = question_test_set(home)
    lines = ["| pipeline | training (s) | top-1 | right topic |", "|---|---|---|---|"]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        nlu_dir, topics = retrieval_copy(home / "data", work / "rs")
        domain = work / "domain.yml"
        domain.write_text(minimal_domain(domain_intents(home)), encoding="utf-8")
        ours_model, ours_seconds = train("ours", nlu_config(wegwijs_pipeline(home)), home / "data", domain, work)
        parsed = parse_all(ours_model, texts)
        report = score_questions(texts, gold, [parsed[t] for t in texts])
        lines.append(f"| ours (config.yml) | {ours_seconds:.0f} | {report.accuracy:.3f} | "
                     f"{report.rate(report.topic):.3f} |")
        rs_model, rs_seconds = train("response-selector", nlu_config(response_selector_pipeline(wegwijs_pipeline(home))),
                                     nlu_dir, domain, work)
        parsed = parse_all(rs_model, texts)
        selected = [rs_selected(parsed[t]) for t in texts]
        top1 = sum(s == g for s, g in zip(selected, gold)) / len(gold)
        topic = sum(s.split("/")[0] == g.split("/")[0] for s, g in zip(selected, gold)) / len(gold)
        lines.append(f"| ResponseSelector (100 epochs) | {rs_seconds:.0f} | {top1:.3f} | {topic:.3f} |")
    return f"Held-out paraphrases: {len(texts)}\n\n" + "\n".join(lines)


def main(argv: Sequence[str] = ()) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cv", action="store_true")
    parser.add_argument("--compare", action="store_true")
    args = parser.parse_args(argv or None)
    if not (args.cv or args.compare):
        args.cv = True
    started = time.perf_counter()
    if args.cv:
        print(run_cv())
    if args.compare:
        print(run_compare())
    print(f"({time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
