"""Language recognition on short parent messages (issue 19): the blind set tests/language/messages.yml
(written by a helper that saw none of our data; 50 messages each in Dutch, English, Turkish, Arabic,
Polish and Ukrainian) and, for false switches away from Dutch, every Dutch held-out NLU message.

Prints, per language: recognised (the right language), undecided (too short: the conversation keeps its
language) and wrong; the figure that matters for Dutch is how rarely a Dutch message is taken for another
language. Run: ``make benchmark-language`` (or ``python -m benchmarks.language``).
"""
from __future__ import annotations

import glob
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Dict, List

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from wegwijs import language  # noqa: E402

BLIND = ROOT / "tests" / "language" / "messages.yml"


def blind_set() -> Dict[str, List[str]]:
    """The blind messages per language."""
    return yaml.safe_load(BLIND.read_text(encoding="utf-8"))["messages"]


def dutch_heldout() -> List[str]:
    """Every message of the Dutch held-out NLU sets (tests/nlu_heldout, tests/nlu_questions; not
    conversation.yml, which is Dutch and English)."""
    from wegwijs.nlu_data import read_examples

    paths = sorted(glob.glob(str(ROOT / "tests" / "nlu_heldout" / "*.yml"))
                   + glob.glob(str(ROOT / "tests" / "nlu_questions" / "*.yml")))
    return [example.text for example in read_examples(Path(path) for path in paths
                                                      if not path.endswith("conversation.yml"))]


def score(messages: Dict[str, List[str]]) -> Dict[str, Counter]:
    """Per language: right, undecided, wrong (another language)."""
    result = {}
    for code, texts in messages.items():
        counts: Counter = Counter()
        for text in texts:
            found = language.detect(text)
            counts["undecided" if found is None else "right" if found.code == code else "wrong"] += 1
        result[code] = counts
    return result


def main() -> None:
    started = time.perf_counter()
    results = score(blind_set())
    print("language  n   right  undecided  wrong")
    for code, counts in results.items():
        n = sum(counts.values())
        print(f"{code:8} {n:3}  {counts['right'] / n:5.2f}  {counts['undecided'] / n:9.2f}  {counts['wrong'] / n:5.2f}")
    total = sum(sum(c.values()) for c in results.values())
    print(f"all      {total:3}  {sum(c['right'] for c in results.values()) / total:5.2f}  "
          f"{sum(c['undecided'] for c in results.values()) / total:9.2f}  "
          f"{sum(c['wrong'] for c in results.values()) / total:5.2f}")
    dutch = dutch_heldout()
    switched = [text for text in dutch if (found := language.detect(text)) and found.code != "nl"]
    print(f"Dutch held-out messages taken for another language: {len(switched)} of {len(dutch)} "
          f"({len(switched) / len(dutch):.4f})")
    print(f"time per message: {(time.perf_counter() - started) / (total + len(dutch)) * 1000:.2f} ms")


if __name__ == "__main__":
    main()
