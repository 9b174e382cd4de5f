"""PII scrubbing: recall and precision per type on the labelled corpus, ours against deduce alone.

    .venv/bin/python benchmarks/pii.py [--corpus tests/pii/blind2.yml]   (default: every corpus)

Prints a table per corpus. A labelled value counts as found when one predicted span of its type covers it; a
predicted span is correct when it overlaps a labelled value of its type. Targets (issue 6): structured
types ≥ 99 % recall, names ≥ 95 %. The baseline is deduce 3.0.3 on its own (its tags mapped to our
types), run in the same process on the same sentences; times are per message, after loading.
"""
from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

import yaml

HOME = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(HOME))

from wegwijs import pii  # noqa: E402

DEDUCE_TYPES = {"persoon": "NAME", "patient": "NAME", "bsn": "BSN", "telefoonnummer": "PHONE",
                "email": "EMAIL", "emailadres": "EMAIL", "iban": "IBAN", "datum": "DATE_OF_BIRTH",
                "locatie": "ADDRESS", "postcode": "POSTCODE"}
TARGETS = {kind: 0.99 for kind in pii.STRUCTURED} | {"NAME": 0.95}


def load(path: Path) -> List[dict]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data["sentences"]


def gold_spans(item: dict) -> List[Tuple[int, int, str]]:
    spans, used = [], defaultdict(int)
    for span in item.get("spans") or []:
        value = span["value"]
        start = -1
        for _ in range(used[value] + 1):
            start = item["text"].find(value, start + 1)
        used[value] += 1
        if start < 0:
            raise ValueError(f"{value!r} not in {item['text']!r}")
        spans.append((start, start + len(value), span["type"]))
    return spans


def deduce_spans(text: str) -> List[pii.Span]:
    import re

    spans = []
    for annotation in pii._deduce_model().deidentify(text).annotations:
        kind = DEDUCE_TYPES.get(annotation.tag.split("_")[0])
        if kind == "ADDRESS" and re.fullmatch(r"\d{4}\s?[A-Za-z]{2}", annotation.text.strip()):
            kind = "POSTCODE"
        elif kind == "ADDRESS" and not re.search(r"\d", annotation.text):
            continue  # a place name alone is not an address
        if kind:
            spans.append(pii.Span(annotation.start_char, annotation.end_char, kind, annotation.text))
    return spans


def score(items: Sequence[dict], predict) -> Tuple[Dict[str, List[int]], float]:
    """{type: [found, labelled, correct predictions, predictions]} and seconds per message."""
    counts: Dict[str, List[int]] = defaultdict(lambda: [0, 0, 0, 0])
    started = time.perf_counter()
    predictions = [predict(item["text"]) for item in items]
    per_message = (time.perf_counter() - started) / max(1, len(items))
    for item, predicted in zip(items, predictions):
        gold = gold_spans(item)
        for start, end, kind in gold:
            counts[kind][1] += 1
            if any(p.type == kind and p.start <= start and p.end >= end for p in predicted):
                counts[kind][0] += 1
        for p in predicted:
            counts[p.type][3] += 1
            if any(kind == p.type and p.start < end and p.end > start for start, end, kind in gold):
                counts[p.type][2] += 1
    return counts, per_message


def table(results: Dict[str, Tuple[Dict[str, List[int]], float]]) -> str:
    names = list(results)
    lines = ["| type | labelled | " + " | ".join(f"{n} recall | {n} precision" for n in names) +
             " | target recall |",
             "|---|---:|" + "---:|---:|" * len(names) + "---:|"]
    kinds = list(pii.STRUCTURED) + ["NAME"]
    for kind in kinds:
        cells = []
        labelled = results[names[0]][0][kind][1]
        for name in names:
            found, total, correct, predicted = results[name][0][kind]
            recall = found / total if total else float("nan")
            precision = correct / predicted if predicted else float("nan")
            cells.append(f"{recall:.1%} | {precision:.1%}")
        lines.append(f"| {kind} | {labelled} | " + " | ".join(cells) + f" | {TARGETS[kind]:.0%} |")
    times = " · ".join(f"{name}: {results[name][1] * 1000:.2f} ms/message" for name in names)
    base, ours = results[names[-1]][1], results[names[0]][1]
    return "\n".join(lines) + f"\n\n{times} (ours / baseline: {ours / base:.1f}×)"


def main(argv: Sequence[str] = ()) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, action="append", default=None,
                        help="a labelled corpus (repeatable; default: every tests/pii/*.yml)")
    args = parser.parse_args(list(argv))
    corpora = args.corpus or sorted((HOME / "tests" / "pii").glob("*.yml"))
    pii._deduce_model()  # load once, outside the timings
    today = dt.date.today()
    for corpus in corpora:
        items = load(corpus)
        results = {
            "wegwijs": score(items, lambda text: pii.find(text, today=today)),
            "deduce alone": score(items, deduce_spans),
        }
        print(f"PII corpus: {len(items)} sentences ({corpus.resolve().relative_to(HOME)})\n")
        print(table(results))
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
