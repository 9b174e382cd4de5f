"""How long the trained classifiers take per message, with their weights column-major (as Wegwijs loads
them, ``wegwijs.nlp.storage.fast_prediction``) against row-major (as scikit-learn fits them), in the
same process on the same messages.

For each linear model in the trained model (intent classifier, crisis classifier, the per-topic question
models) it scores the held-out sentences one message at a time, as the server does, both ways, checks
that the probabilities are identical, and prints milliseconds per message and the ratio.

Run: ``python benchmarks/parse_speed.py [--model models/wegwijs.tar.gz] [--messages 300]`` (needs a
trained model; under a minute).
"""
from __future__ import annotations

import argparse
import re
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

HOME = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(HOME))


def linear_models(value: Any, name: str) -> List[Tuple[str, Any]]:
    """(name, pipeline) for every fitted pipeline in a stored component object."""
    if isinstance(value, dict):
        found = []
        for key, item in value.items():
            found += linear_models(item, f"{name}/{key}")
        return found
    if hasattr(value, "steps") and hasattr(value.steps[-1][1], "coef_"):
        return [(name, value)]
    return []


def timed(score: Callable[[str], Any], texts: List[str]) -> Tuple[float, List[Any]]:
    start = time.perf_counter()
    results = [score(text) for text in texts]
    return (time.perf_counter() - start) * 1000 / len(texts), results


def main() -> None:
    import joblib
    import numpy as np

    from wegwijs.evaluation import heldout_set
    from wegwijs.text import fold

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(HOME / "models" / "wegwijs.tar.gz"))
    parser.add_argument("--messages", type=int, default=300)
    args = parser.parse_args()
    texts = [fold(text) for text in heldout_set(HOME)[0][:args.messages]]
    rows: List[Tuple[str, float, float]] = []
    with tempfile.TemporaryDirectory() as folder:
        with tarfile.open(args.model) as archive:
            archive.extractall(folder)
        stored: Dict[str, Any] = {}
        for path in sorted(Path(folder).glob("components/*/*.joblib")):
            stored[path.parent.name.split(".")[-1]] = joblib.load(path)
        for component, value in stored.items():
            models = linear_models(value, component)
            # the question selector has one small model per topic and scores a message with one of
            # them: its figure is the mean over the topics; the others score a message with all theirs
            one_per_message = component.startswith("QuestionSelector")
            row_ms = col_ms = 0.0
            for name, model in models:
                classifier = model.steps[-1][1]
                sample = texts[: max(1, len(texts) // len(models))] if one_per_message else texts
                classifier.coef_ = np.ascontiguousarray(classifier.coef_)
                slow, slow_out = timed(lambda t: model.predict_proba([t]), sample)
                classifier.coef_ = np.asfortranarray(classifier.coef_)
                fast, fast_out = timed(lambda t: model.predict_proba([t]), sample)
                assert all(np.array_equal(a, b) for a, b in zip(slow_out, fast_out)), name
                share = 1 / len(models) if one_per_message else 1
                row_ms, col_ms = row_ms + slow * share, col_ms + fast * share
            if models:
                label = re.sub(r"\d+$", "", component)
                rows.append((f"{label} ({len(models)} linear model{'s' if len(models) > 1 else ''})",
                             row_ms, col_ms))
    print(f"{len(texts)} held-out messages, one at a time; probabilities identical both ways\n")
    print("| component | row-major ms/message (baseline) | column-major ms/message | ratio |")
    print("|---|---|---|---|")
    for name, slow, fast in rows:
        print(f"| {name} | {slow:.2f} | {fast:.2f} | {fast / slow:.3f} |")


if __name__ == "__main__":
    main()
