"""Whole conversations the team has never seen (issue 19): tests/conversations_blind/conversations.yml,
written by a helper that saw only the topic labels, scored turn by turn (wegwijs/conversation_eval.py)
with the trained model. Prints the share of right turns per kind and language, and of conversations
with every turn right. Run: ``make benchmark-conversations`` (needs a trained model).
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from wegwijs import conversation_eval  # noqa: E402
from wegwijs.content import ContentLibrary  # noqa: E402
from wegwijs.evaluation import parse_texts  # noqa: E402

BLIND = ROOT / "tests" / "conversations_blind" / "conversations.yml"


def run(model: Path = ROOT / "models" / "wegwijs.tar.gz", verbose: bool = False) -> conversation_eval.Score:
    conversations = conversation_eval.load(BLIND)
    texts = sorted({turn["text"] for c in conversations for turn in c["turns"]})
    parsed = dict(zip(texts, parse_texts(model, texts)))
    result = conversation_eval.score(conversations, parsed.__getitem__, ContentLibrary.load(ROOT / "data"))
    if verbose:
        for turn in result.turns:
            if not turn.right:
                print(f"  MISS {turn.conversation} {turn.kind:8} {turn.expect} -> {turn.intent} "
                      f"[{turn.answered_in}] {turn.text!r}")
    return result


def main() -> None:
    started = time.perf_counter()
    result = run(verbose="-v" in sys.argv)
    print(f"turns right: {result.rate():.3f} of {result.count()}")
    for language in ("nl", "en"):
        print(f"  {language}: {result.rate(lambda t: t.language == language):.3f} "
              f"of {result.count(lambda t: t.language == language)}")
    for kind in ("topic", "followup", "privacy", "crisis", "age", "basic"):
        print(f"  {kind:9} {result.rate(lambda t: t.kind == kind):.3f} of {result.count(lambda t: t.kind == kind)}")
    conversations = {}
    for turn in result.turns:
        conversations[turn.conversation] = conversations.get(turn.conversation, True) and turn.right
    print(f"conversations with every turn right: {sum(conversations.values()) / len(conversations):.3f} "
          f"of {len(conversations)}")
    print(f"time: {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
