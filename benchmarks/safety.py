"""How well does Wegwijs give crisis messages the help line first? Rules alone against the whole NLU.

For each crisis test set under tests/safety/ this prints, for the rules alone (wegwijs.safety.detect)
and for the trained model (the NLU pipeline with the rules inside it):

* recall: crisis messages that get a safety reply first;
* right kind: crisis messages whose first reply is the one for their kind;
* false alarms: look-alike questions that get a safety reply first.

"Safety reply first" follows what the bot does: a safety intent (answered by a rule with the help
line), or a fallback that the crisis classifier scores at least ``wegwijs.safety.DOUBT_SCORE``
(``action_fallback`` then sends the general help-line message first). The integration tests check the same through the real servers.

Run: ``make benchmark-safety`` (needs a trained model; about a minute). Writes results/safety.md and, after
the current figures, prints unseen3.yml's frozen first run (benchmarks/results/unseen3-first-run.md).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Dict, List, Optional

import yaml

HOME = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(HOME))
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")

from wegwijs import safety  # noqa: E402
from wegwijs.safety import in_doubt as safety_in_doubt  # noqa: E402
from wegwijs.evaluation import parse_texts  # noqa: E402

SETS = {
    "phrasings.yml": "regression set",
    "unseen.yml": "regression set, blind at first",
    "unseen2.yml": "regression set, blind until 2026-12-03",
    "unseen3.yml": "blind set of 2026-12-03",
}


def first_reply_kind(parsed: dict) -> Optional[str]:
    """The crisis kind of the first reply the bot gives for this parse, "general", or None."""
    intent = (parsed.get("intent") or {}).get("name") or ""
    if intent.startswith("safety_"):
        return intent[len("safety_"):]
    if intent == "nlu_fallback" and safety_in_doubt(parsed):
        return "general"
    return None


def measure(crisis: List[dict], ordinary: List[dict], kinds: List[Optional[str]],
            ordinary_kinds: List[Optional[str]]) -> Dict[str, str]:
    """Recall, right kind and false alarms as "n/N (p%)" strings."""
    def ratio(count: int, total: int) -> str:
        return f"{count}/{total} ({100 * count / total:.0f}%)" if total else "-"

    caught = sum(1 for kind in kinds if kind is not None)
    right = sum(1 for item, kind in zip(crisis, kinds) if kind == item["kind"])
    alarms = sum(1 for kind in ordinary_kinds if kind is not None)
    return {"recall": ratio(caught, len(crisis)), "right kind": ratio(right, len(crisis)),
            "false alarms": ratio(alarms, len(ordinary))}


def main(argv: List[str]) -> int:
    """Print the table; ``--model PATH`` (default models/wegwijs.tar.gz), ``--rules-only``,
    ``--sets a.yml,b.yml`` (default: all)."""
    model = Path(argv[argv.index("--model") + 1]) if "--model" in argv else HOME / "models" / "wegwijs.tar.gz"
    rules_only = "--rules-only" in argv or not model.exists()
    only = argv[argv.index("--sets") + 1].split(",") if "--sets" in argv else list(SETS)
    rows = []
    for name, description in SETS.items():
        if name not in only:
            continue
        path = HOME / "tests" / "safety" / name
        if not path.exists():
            continue
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        crisis, ordinary = data["crisis"], data["not_crisis"]
        rules = measure(crisis, ordinary, [safety.detect(i["text"]) for i in crisis],
                        [safety.detect(i["text"]) for i in ordinary])
        rows.append((name, description, "rules alone", rules))
        if not rules_only:
            parsed = parse_texts(model, [i["text"] for i in crisis + ordinary])
            kinds = [first_reply_kind(p) for p in parsed]
            system = measure(crisis, ordinary, kinds[:len(crisis)], kinds[len(crisis):])
            rows.append((name, description, "NLU + rules", system))
    lines = ["| set | layer | crisis: safety reply first | crisis: right kind | look-alikes: false alarms |",
             "|---|---|---|---|---|"]
    for name, description, layer, figures in rows:
        lines.append(f"| {name} ({description}) | {layer} | {figures['recall']} | {figures['right kind']} | "
                     f"{figures['false alarms']} |")
    table = "\n".join(lines)
    print(table)
    first_run = HOME / "benchmarks" / "results" / "unseen3-first-run.md"
    if "unseen3.yml" in only and first_run.exists():
        # Frozen: the blind set's first run, before anything was changed with it in view.
        print("\nunseen3.yml, first run (frozen, benchmarks/results/unseen3-first-run.md):")
        print("\n".join(line for line in first_run.read_text(encoding="utf-8").splitlines()
                        if line.startswith("| unseen3") or line.startswith("| set") or line.startswith("|---")))
    out = HOME / "results" / "safety.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text(table + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
