"""Which NLU pipeline? Rasa's default against ours, same data, same seed, same held-out test set.

Trains NLU-only models in a temporary folder and prints intent macro-F1 and accuracy on
tests/nlu_heldout/, with the ratio to Rasa's default pipeline measured in the same run:

* ``rasa-default``: Rasa 3.6's default pipeline (WhitespaceTokenizer, count vectors on words and
  character n-grams, DIET), with ``language: nl`` and DIET's seed fixed;
* ``wegwijs-no-rules``: our pipeline (spaCy Dutch tokens and simplemma lemmas) without the safety rules;
* ``wegwijs``: our pipeline as in config.yml, with the safety rules.

The last two come from one trained model: ``SafetyOverride`` is the last component and is not trained,
so the intent before it is what the pipeline without the rules predicts (it records that intent).

Run: ``make benchmark-nlu`` (two trainings; about 40 minutes on 2 cores). Writes
results/nlu_benchmark.md. ``--reuse`` takes our model from models/wegwijs.tar.gz (trained by ``make
model`` on the same data and seed) instead of training it again.
"""
from __future__ import annotations

import copy
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import List, Tuple

import yaml

HOME = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(HOME))

from wegwijs.evaluation import NluReport, evaluate_model, evaluate_variants  # noqa: E402
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


def our_config() -> dict:
    """config.yml's pipeline."""
    config = yaml.safe_load((HOME / "config.yml").read_text())
    return {key: copy.deepcopy(config[key]) for key in ("recipe", "language", "assistant_id", "pipeline")}


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
                     f"{report.macro_f1 / base:.2f}× | {'-' if seconds != seconds else f'{seconds:.0f}'} |")
    return "\n".join(lines)


def main() -> int:
    """Run the comparison."""
    os.environ["RASA_TELEMETRY_ENABLED"] = "false"
    rows = []
    with tempfile.TemporaryDirectory(prefix="wegwijs-bench-") as tmp:
        print("training rasa-default …", flush=True)
        model, seconds = train("rasa-default", default_config(), Path(tmp))
        rows.append(("rasa-default", evaluate_model(model, HOME), seconds))
        print(f"  rasa-default: macro-F1 {rows[-1][1].macro_f1:.3f}", flush=True)
        if "--reuse" in sys.argv:
            # models/wegwijs.tar.gz: the same pipeline, data and seed (make model); its NLU part is what
            # an NLU-only training would give. Training time is then not measured here.
            model, seconds = HOME / "models" / "wegwijs.tar.gz", float("nan")
            print(f"reusing {model.relative_to(HOME)}", flush=True)
        else:
            print("training wegwijs …", flush=True)
            model, seconds = train("wegwijs", our_config(), Path(tmp))
        variants = evaluate_variants(model, HOME)
        rows.append(("wegwijs-no-rules", variants["without_rules"], seconds))
        rows.append(("wegwijs", variants["with_rules"], seconds))
        print(f"  wegwijs: macro-F1 {variants['with_rules'].macro_f1:.3f} "
              f"(without the safety rules {variants['without_rules'].macro_f1:.3f})", flush=True)
    result = table(rows)
    test_size = sum(int(v["support"]) for v in rows[0][1].per_intent.values())
    header = (f"Held-out set: {test_size} messages, {len(rows[0][1].per_intent)} intents; "
              f"seed {SEED}; same training data (data/*/nlu*.yml).")
    print("\n" + header + "\n\n" + result)
    out = HOME / "results" / "nlu_benchmark.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text(header + "\n\n" + result + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
