"""Which NLU pipeline? Rasa's default against ours, same data, same seed, same held-out test set.

Trains NLU-only models in a temporary folder and prints intent macro-F1 and accuracy on
tests/nlu_heldout/, with the ratio to Rasa's default pipeline measured in the same run:

* ``rasa-default``: Rasa 3.6's default pipeline (WhitespaceTokenizer, count vectors on words and
  character n-grams, DIET), with ``language: nl`` and DIET's seed fixed;
* ``wegwijs-no-rules``: our pipeline (spaCy Dutch tokens and simplemma lemmas) without the safety rules;
* ``wegwijs``: our pipeline as in config.yml, with the safety rules.

Run: ``make benchmark-nlu`` (about 10 minutes on 2 cores). Writes results/nlu_benchmark.md.
"""
from __future__ import annotations

import copy
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Tuple

import yaml

HOME = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(HOME))

from wegwijs.evaluation import NluReport, evaluate_model  # noqa: E402
from wegwijs.training import rasa_env  # noqa: E402

SEED = 42


def default_config() -> dict:
    """Rasa's own default config file, for Dutch, with DIET's seed fixed."""
    import rasa.engine.recipes

    path = Path(rasa.engine.recipes.__file__).parent / "config_files" / "default_config.yml"
    config = yaml.safe_load(path.read_text())
    config["language"] = "nl"
    config["assistant_id"] = "benchmark"
    for component in config["pipeline"]:
        if component["name"] in ("DIETClassifier", "ResponseSelector"):
            component["random_seed"] = SEED
    return {key: config[key] for key in ("recipe", "language", "assistant_id", "pipeline")}


def our_config(with_rules: bool) -> dict:
    """config.yml's pipeline, optionally without the safety rules."""
    config = yaml.safe_load((HOME / "config.yml").read_text())
    config = {key: copy.deepcopy(config[key]) for key in ("recipe", "language", "assistant_id", "pipeline")}
    if not with_rules:
        config["pipeline"] = [c for c in config["pipeline"] if "SafetyOverride" not in c["name"]]
    return config


def train(name: str, config: dict, workdir: Path) -> Tuple[Path, float]:
    """Train an NLU-only model; return its path and the training time in seconds."""
    config_path = workdir / f"{name}.yml"
    config_path.write_text(yaml.safe_dump(config, sort_keys=False))
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "rasa", "train", "nlu", "--config", str(config_path),
         "--nlu", str(HOME / "data"), "--domain", str(HOME / "domain.yml"),
         "--out", str(workdir), "--fixed-model-name", name],
        cwd=HOME, env=rasa_env(), check=True, stdout=subprocess.DEVNULL)
    return workdir / f"{name}.tar.gz", time.perf_counter() - started


def table(rows: List[Tuple[str, NluReport, float]]) -> str:
    """A Markdown table with the ratio to the first row (the baseline)."""
    base = rows[0][1].macro_f1 or 1.0
    lines = ["| pipeline | intent macro-F1 | accuracy | F1 ratio to rasa-default | training (s) |",
             "|---|---|---|---|---|"]
    for name, report, seconds in rows:
        lines.append(f"| {name} | {report.macro_f1:.3f} | {report.accuracy:.3f} | "
                     f"{report.macro_f1 / base:.2f}× | {seconds:.0f} |")
    return "\n".join(lines)


def main() -> int:
    """Run the comparison."""
    os.environ["RASA_TELEMETRY_ENABLED"] = "false"
    candidates: Dict[str, dict] = {
        "rasa-default": default_config(),
        "wegwijs-no-rules": our_config(with_rules=False),
        "wegwijs": our_config(with_rules=True),
    }
    rows = []
    with tempfile.TemporaryDirectory(prefix="wegwijs-bench-") as tmp:
        for name, config in candidates.items():
            print(f"training {name} …", flush=True)
            model, seconds = train(name, config, Path(tmp))
            report = evaluate_model(model, HOME)
            rows.append((name, report, seconds))
            print(f"  {name}: macro-F1 {report.macro_f1:.3f}", flush=True)
    result = table(rows)
    test_size = sum(int(v["support"]) for v in rows[0][1].per_intent.values())
    header = (f"Held-out set: {test_size} messages, {len(rows[0][1].per_intent)} intents; "
              f"seed {SEED}; same training data (data/*/nlu.yml).")
    print("\n" + header + "\n\n" + result)
    out = HOME / "results" / "nlu_benchmark.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text(header + "\n\n" + result + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
