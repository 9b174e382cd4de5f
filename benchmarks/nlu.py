"""Which NLU pipeline? Four candidates on the same training data and seed, in one run, plus their NLU
cores on a Dutch intent set from another domain.

Project data (``data/``, copied with domain.yml into a temporary folder at the start, so that every
candidate trains on the same files even if the checkout changes during the run; answers.yml files are
content, Rasa reads only the NLU blocks): each candidate is trained with ``rasa train nlu`` (seed 42
wherever a component takes one):

* ``diet``: the pipeline before commit 4bbd314 (SpacyNLP ``nl_wegwijs``, SpacyTokenizer, RegexFeaturizer,
  LexicalSyntacticFeaturizer, two CountVectorsFeaturizers, DIETClassifier 100 epochs, FallbackClassifier
  0.4/0.05, UnknownWordsGuard, CrisisClassifier, SafetyOverride), embedded below as :data:`DIET_PIPELINE`;
* ``logistic-regression``: the same with Rasa's ``LogisticRegressionClassifier`` (random_state 42, its
  other settings Rasa's defaults) instead of DIET;
* ``wegwijs``: config.yml's pipeline as it is when the script runs;
* ``wegwijs-no-lemmas``: config.yml's pipeline with ``WhitespaceTokenizer`` in place of SpacyNLP and
  SpacyTokenizer (an ablation: the classifier then reads the whitespace tokens where the Dutch lemmas were).

Each trained model is loaded once (one Agent) and parses every text once: the held-out sentences
(``tests/nlu_heldout/``) and the crisis and look-alike messages of benchmarks/safety.py's ``SETS``.
From those parses come, per candidate:

* intent macro-F1 with a 95% bootstrap interval (sentences resampled, 1,000 resamples, seed 42: every
  pipeline is scored on the same resamples) and accuracy, on the original held-out files
  (``wegwijs.evaluation.ORIGINAL_FILES``) and on the whole held-out set, for the final intent (NLU with
  the safety layer) and for the intent before ``SafetyOverride`` (``predicted_intent(with_rules=False)``;
  the fallback and UnknownWordsGuard still apply);
* the safety sets, NLU + rules, scored as ``make benchmark-safety`` scores them
  (``benchmarks.safety.first_reply_kind`` and ``measure``);
* the training time: wall clock of the ``rasa train nlu`` command, Rasa's start-up included, with an
  empty Rasa cache (a cache folder of its own in the temporary folder).

Other domain (``benchmarks/data/other_domain_nl/``, a gemeente's citizen chat, 24 intents): trained on
train.yml, scored on test.yml (top intent, fallback ignored; accuracy and macro-F1 with bootstrap
intervals), for ``rasa-default`` (Rasa 3.6's default_config.yml with ``language: nl`` and DIET's and
ResponseSelector's seed 42) and for the NLU cores of ``wegwijs``, ``wegwijs-no-lemmas`` and ``diet``
(the pipeline without FallbackClassifier, UnknownWordsGuard, CrisisClassifier and SafetyOverride).

Run: ``make benchmark-nlu`` (``python benchmarks/nlu.py``): eight trainings. The ``diet`` training on
the project data takes about half an hour on 2 cores, so the whole run takes roughly 50 minutes.
``--quick`` skips only the ``diet`` candidate on the project data; the two DIET trainings on the small
other-domain set (``rasa-default`` and ``diet`` core, about 6-7 minutes each) still run, and a quick run
took 19 minutes on 2 shared cores (2026-12-03). ``--only a,b`` runs only the named pipelines, in both
parts (diet, logistic-regression, wegwijs, wegwijs-no-lemmas, rasa-default); ``--only
logistic-regression,wegwijs,wegwijs-no-lemmas`` trains no DIET at all (about 5 minutes). Prints progress
lines, then the tables, which it also writes to results/nlu_benchmark.md.
"""
from __future__ import annotations

import argparse
import copy
import datetime
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import yaml

HOME = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(HOME))
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

SEED = 42
RESAMPLES = 1000
FALLBACK_INTENT = "nlu_fallback"
OTHER_DOMAIN = HOME / "benchmarks" / "data" / "other_domain_nl"

#: The pipeline of config.yml before commit 4bbd314 (``git show 4bbd314~1:config.yml``), as it was.
DIET_PIPELINE: List[dict] = [
    {"name": "SpacyNLP", "model": "nl_wegwijs", "case_sensitive": False},
    {"name": "SpacyTokenizer"},
    {"name": "RegexFeaturizer"},
    {"name": "LexicalSyntacticFeaturizer"},
    {"name": "CountVectorsFeaturizer"},
    {"name": "CountVectorsFeaturizer", "analyzer": "char_wb", "min_ngram": 1, "max_ngram": 4},
    {"name": "DIETClassifier", "epochs": 100, "random_seed": 42, "constrain_similarities": True,
     "entity_recognition": False},
    {"name": "FallbackClassifier", "threshold": 0.4, "ambiguity_threshold": 0.05},
    {"name": "wegwijs.nlp.unknown_words.UnknownWordsGuard"},
    {"name": "wegwijs.nlp.crisis_classifier.CrisisClassifier", "C": 10.0, "random_seed": 42},
    {"name": "wegwijs.nlp.safety_override.SafetyOverride", "pooled_confidence": 0.4, "crisis_threshold": 0.6},
]

#: Components that are not part of a pipeline's NLU core: the fallback and the safety layer.
NOT_CORE = {
    "FallbackClassifier",
    "wegwijs.nlp.unknown_words.UnknownWordsGuard",
    "wegwijs.nlp.crisis_classifier.CrisisClassifier",
    "wegwijs.nlp.safety_override.SafetyOverride",
}

CANDIDATES = ("diet", "logistic-regression", "wegwijs", "wegwijs-no-lemmas")
OTHER_DOMAIN_PIPELINES = ("rasa-default", "wegwijs", "wegwijs-no-lemmas", "diet")
#: What --quick leaves out: (part, name).
QUICK_SKIPS = {("project", "diet")}


# --- configurations ------------------------------------------------------------------------------

def nlu_config(pipeline: List[dict], language: str = "nl") -> dict:
    """An NLU-only Rasa config around ``pipeline``."""
    return {"recipe": "default.v1", "language": language, "assistant_id": "benchmark",
            "pipeline": copy.deepcopy(pipeline)}


def wegwijs_pipeline(home: Path = HOME) -> List[dict]:
    """config.yml's pipeline, as it is now."""
    return copy.deepcopy(yaml.safe_load((home / "config.yml").read_text(encoding="utf-8"))["pipeline"])


def replace_classifier(pipeline: List[dict], old: str, new: dict) -> List[dict]:
    """``pipeline`` with the component named ``old`` replaced by ``new``."""
    if not any(component["name"] == old for component in pipeline):
        raise ValueError(f"no {old} in the pipeline")
    return [copy.deepcopy(new) if component["name"] == old else copy.deepcopy(component)
            for component in pipeline]


def without_lemmas(pipeline: List[dict]) -> List[dict]:
    """``pipeline`` with WhitespaceTokenizer in place of SpacyNLP and SpacyTokenizer."""
    names = [component["name"] for component in pipeline]
    if "SpacyNLP" not in names or "SpacyTokenizer" not in names:
        raise ValueError("the pipeline has no SpacyNLP + SpacyTokenizer to replace")
    spacy_featurizers = [name for name in names if name.startswith("Spacy") and
                         name not in ("SpacyNLP", "SpacyTokenizer")]
    if spacy_featurizers:
        raise ValueError(f"{spacy_featurizers} need SpacyNLP")
    result = []
    for component in pipeline:
        if component["name"] == "SpacyNLP":
            result.append({"name": "WhitespaceTokenizer"})
        elif component["name"] != "SpacyTokenizer":
            result.append(copy.deepcopy(component))
    return result


def nlu_core(pipeline: List[dict]) -> List[dict]:
    """``pipeline`` without the fallback and the safety components."""
    return [copy.deepcopy(component) for component in pipeline if component["name"] not in NOT_CORE]


def default_config() -> dict:
    """Rasa's own default config file, for Dutch, with DIET's and ResponseSelector's seed fixed."""
    import rasa.engine.recipes

    path = Path(rasa.engine.recipes.__file__).parent / "config_files" / "default_config.yml"
    config = yaml.safe_load(path.read_text())
    config["language"] = "nl"
    config["assistant_id"] = "benchmark"
    for component in config["pipeline"]:
        if component["name"] in ("DIETClassifier", "ResponseSelector"):
            component["random_seed"] = SEED
    return {key: config[key] for key in ("recipe", "language", "assistant_id", "pipeline")}


def project_pipelines(home: Path = HOME) -> Dict[str, List[dict]]:
    """The four candidates on the project's data."""
    ours = wegwijs_pipeline(home)
    return {
        "diet": copy.deepcopy(DIET_PIPELINE),
        "logistic-regression": replace_classifier(
            DIET_PIPELINE, "DIETClassifier", {"name": "LogisticRegressionClassifier", "random_state": SEED}),
        "wegwijs": ours,
        "wegwijs-no-lemmas": without_lemmas(ours),
    }


def other_domain_configs(home: Path = HOME) -> Dict[str, dict]:
    """Rasa's default and the NLU cores of our candidates, for the other-domain set."""
    project = project_pipelines(home)
    configs = {"rasa-default": default_config()}
    for name in OTHER_DOMAIN_PIPELINES[1:]:
        configs[name] = nlu_config(nlu_core(project[name]))
    return configs


# --- scoring (pure) --------------------------------------------------------------------------------

@dataclass
class Figures:
    """Macro-F1 and accuracy with their bootstrap intervals (low, high)."""

    n: int
    macro_f1: float
    accuracy: float
    macro_f1_ci: Tuple[float, float]
    accuracy_ci: Tuple[float, float]
    per_intent_f1: Dict[str, float] = field(default_factory=dict)


def _encode(gold: Sequence[str], predicted: Sequence[str]):
    """Gold and predicted labels as integers 0..K-1 over the gold labels; K for any other prediction."""
    import numpy as np

    labels = sorted(set(gold))
    index = {label: i for i, label in enumerate(labels)}
    return (labels, np.array([index[label] for label in gold], dtype=np.int64),
            np.array([index.get(label, len(labels)) for label in predicted], dtype=np.int64))


def _macro_f1_rows(gold, predicted, k: int):
    """Macro-F1 of every row of the 2-D label arrays, over the gold labels present in that row (as
    :func:`wegwijs.evaluation.score` computes it: F1 = 2TP / (gold + predicted), 0 when nothing)."""
    import numpy as np

    rows, width = gold.shape
    offsets = (np.arange(rows, dtype=np.int64) * (k + 1))[:, None]
    size = rows * (k + 1)
    gold_counts = np.bincount((gold + offsets).ravel(), minlength=size).reshape(rows, k + 1)[:, :k]
    predicted_counts = np.bincount((predicted + offsets).ravel(), minlength=size).reshape(rows, k + 1)[:, :k]
    hits = gold == predicted
    true_positives = np.bincount((gold + offsets)[hits], minlength=size).reshape(rows, k + 1)[:, :k]
    present = gold_counts > 0
    denominator = gold_counts + predicted_counts
    f1 = np.where(denominator > 0, 2 * true_positives / np.maximum(denominator, 1), 0.0)
    return (f1 * present).sum(axis=1) / np.maximum(present.sum(axis=1), 1), f1


def figures(gold: Sequence[str], predicted: Sequence[str], resamples: int = RESAMPLES,
            seed: int = SEED) -> Figures:
    """Macro-F1 and accuracy of ``predicted`` against ``gold``, with 95% percentile bootstrap intervals
    (sentences drawn with replacement; the same seed and size give the same resamples, so pipelines
    scored on one set are compared on the same draws)."""
    import numpy as np

    if len(gold) != len(predicted) or not gold:
        raise ValueError("gold and predicted must be non-empty and of the same length")
    labels, g, p = _encode(gold, predicted)
    k = len(labels)
    point, per_label = _macro_f1_rows(g[None, :], p[None, :], k)
    accuracy = float((g == p).mean())
    draws = np.random.default_rng(seed).integers(0, len(g), size=(resamples, len(g)))
    f1s, _ = _macro_f1_rows(g[draws], p[draws], k)
    accuracies = (g[draws] == p[draws]).mean(axis=1)

    def interval(values) -> Tuple[float, float]:
        low, high = np.percentile(values, [2.5, 97.5])
        return float(low), float(high)

    return Figures(n=len(g), macro_f1=float(point[0]), accuracy=accuracy, macro_f1_ci=interval(f1s),
                   accuracy_ci=interval(accuracies),
                   per_intent_f1={label: float(value) for label, value in zip(labels, per_label[0])})


def top_intent(parsed: dict) -> str:
    """The classifier's best intent, ignoring a fallback (FallbackClassifier puts ``nlu_fallback`` in
    front of the ranking and keeps the rest)."""
    for item in parsed.get("intent_ranking") or []:
        if item.get("name") and item["name"] != FALLBACK_INTENT:
            return str(item["name"])
    name = (parsed.get("intent") or {}).get("name") or ""
    return "" if name == FALLBACK_INTENT else name


def with_ci(value: float, ci: Tuple[float, float]) -> str:
    """``0.927 [0.905, 0.946]``."""
    return f"{value:.3f} [{ci[0]:.3f}, {ci[1]:.3f}]"


def seconds_text(seconds: Optional[float]) -> str:
    """Training seconds, or "-" when not measured."""
    return "-" if seconds is None else f"{seconds:.0f}"


# --- training and parsing --------------------------------------------------------------------------

def minimal_domain(intents: Sequence[str]) -> str:
    """A domain that only lists ``intents`` (what ``rasa train nlu`` may want for an NLU-only model)."""
    return yaml.safe_dump({"version": "3.1", "intents": list(intents)}, sort_keys=False, allow_unicode=True)


def train(name: str, config: dict, nlu: Path, domain: Path, workdir: Path) -> Tuple[Path, float]:
    """Train an NLU-only model with ``rasa train nlu``; return its path and the wall-clock seconds.

    Rasa's training cache goes to a fresh folder, so nothing is reused from an earlier training (and the
    checkout's .rasa/ is left alone). The command's output goes to ``<workdir>/<name>.log``.
    """
    from wegwijs.training import rasa_env

    config_path = workdir / f"{name}.yml"
    config_path.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")
    env = rasa_env()
    env["RASA_CACHE_DIRECTORY"] = str(workdir / f"cache-{name}")
    log = workdir / f"{name}.log"
    started = time.perf_counter()
    with log.open("w", encoding="utf-8") as out:
        result = subprocess.run(
            [sys.executable, "-m", "rasa", "train", "nlu", "--config", str(config_path), "--nlu", str(nlu),
             "--domain", str(domain), "--out", str(workdir), "--fixed-model-name", name],
            cwd=HOME, env=env, stdout=out, stderr=subprocess.STDOUT)
    seconds = time.perf_counter() - started
    text = log.read_text(encoding="utf-8", errors="replace")
    model = workdir / f"{name}.tar.gz"
    if result.returncode != 0 or not model.exists():
        tail = "\n".join(text.splitlines()[-30:])
        raise RuntimeError(f"rasa train nlu for {name} failed (exit {result.returncode}):\n{tail}")
    if "ConvergenceWarning" in text:
        progress(f"  note: {name}: scikit-learn reported a ConvergenceWarning while training")
    return model, seconds


def parse_all(model: Path, texts: Sequence[str]) -> Dict[str, dict]:
    """Every distinct text parsed once by one Agent loaded from ``model``."""
    from wegwijs.evaluation import parse_texts

    unique = sorted(set(texts))
    return dict(zip(unique, parse_texts(model, unique)))


_STARTED = time.perf_counter()


def progress(message: str) -> None:
    """A progress line with the minutes since the start."""
    print(f"[{(time.perf_counter() - _STARTED) / 60:5.1f} min] {message}", flush=True)


# --- the two parts -------------------------------------------------------------------------------

@dataclass
class ProjectResult:
    """One candidate on the project's data."""

    name: str
    components: List[str]
    seconds: Optional[float] = None
    heldout: Dict[Tuple[str, str], Figures] = field(default_factory=dict)  # (set, layer) -> figures
    safety: Dict[str, Dict[str, str]] = field(default_factory=dict)  # set file -> measure()
    error: Optional[str] = None


@dataclass
class OtherResult:
    """One pipeline on the other-domain set."""

    name: str
    components: List[str]
    seconds: Optional[float] = None
    figures: Optional[Figures] = None
    error: Optional[str] = None


LAYERS = (("final", "NLU + safety layer (final intent)"),
          ("before-override", "without SafetyOverride"))


def heldout_sets(home: Path = HOME) -> Dict[str, Tuple[List[str], List[str]]]:
    """"original" (the files of 2026-11-23) and "all" held-out sentences with their gold intents."""
    from wegwijs.evaluation import ORIGINAL_FILES, heldout_set

    return {"original": heldout_set(home, ORIGINAL_FILES), "all": heldout_set(home)}


def safety_sets(home: Path = HOME) -> Dict[str, Tuple[List[dict], List[dict]]]:
    """The crisis and look-alike messages of benchmarks/safety.py's SETS that exist."""
    from benchmarks.safety import SETS

    found = {}
    for name in SETS:
        path = home / "tests" / "safety" / name
        if path.exists():
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            found[name] = (data["crisis"], data["not_crisis"])
    return found


def snapshot(workdir: Path) -> Tuple[Path, Path, str]:
    """Copies of data/ and domain.yml in ``workdir`` (every candidate trains on the same files even when
    the checkout changes during the run), and a short hash of the training files copied."""
    import hashlib

    data = workdir / "project" / "data"
    shutil.copytree(HOME / "data", data)
    domain = workdir / "project" / "domain.yml"
    shutil.copy2(HOME / "domain.yml", domain)
    digest = hashlib.sha256()
    for path in sorted(data.rglob("*.yml")):
        if path.name != "answers.yml":
            digest.update(str(path.relative_to(data)).encode() + b"\0" + path.read_bytes())
    return data, domain, digest.hexdigest()[:12]


def run_project(name: str, pipeline: List[dict], heldout, safety_data, data: Path, domain: Path,
                workdir: Path) -> ProjectResult:
    """Train one candidate on ``data`` (the copy of data/), parse everything once, compute all figures."""
    from benchmarks.safety import first_reply_kind, measure
    from wegwijs.evaluation import predicted_intent

    result = ProjectResult(name, [component["name"] for component in pipeline])
    progress(f"project data: training {name} ({' > '.join(short(n) for n in result.components)}) …")
    try:
        model, result.seconds = train(name, nlu_config(pipeline), data, domain, workdir)
    except RuntimeError as error:
        result.error = str(error)
        progress(f"  {name}: FAILED\n{error}")
        return result
    progress(f"  {name}: trained in {result.seconds:.0f} s; parsing …")
    texts = [text for set_texts, _ in heldout.values() for text in set_texts]
    texts += [item["text"] for crisis, ordinary in safety_data.values() for item in crisis + ordinary]
    parsed = parse_all(model, texts)
    for set_name, (set_texts, gold) in heldout.items():
        result.heldout[(set_name, "final")] = figures(gold, [predicted_intent(parsed[t]) for t in set_texts])
        result.heldout[(set_name, "before-override")] = figures(
            gold, [predicted_intent(parsed[t], with_rules=False) for t in set_texts])
    for set_name, (crisis, ordinary) in safety_data.items():
        kinds = [first_reply_kind(parsed[item["text"]]) for item in crisis]
        ordinary_kinds = [first_reply_kind(parsed[item["text"]]) for item in ordinary]
        result.safety[set_name] = measure(crisis, ordinary, kinds, ordinary_kinds)
    final = result.heldout[("all", "final")]
    progress(f"  {name}: whole held-out set macro-F1 {with_ci(final.macro_f1, final.macro_f1_ci)}, "
             f"accuracy {final.accuracy:.3f}")
    model.unlink(missing_ok=True)
    return result


def run_other(name: str, config: dict, test: Tuple[List[str], List[str]], domain: Path,
              workdir: Path) -> OtherResult:
    """Train one pipeline on the other domain's train.yml and score its top intent on test.yml."""
    result = OtherResult(name, [component["name"] for component in config["pipeline"]])
    progress(f"other domain: training {name} ({' > '.join(short(n) for n in result.components)}) …")
    try:
        model, result.seconds = train(f"other-{name}", config, OTHER_DOMAIN / "train.yml", domain, workdir)
    except RuntimeError as error:
        result.error = str(error)
        progress(f"  {name}: FAILED\n{error}")
        return result
    texts, gold = test
    parsed = parse_all(model, texts)
    result.figures = figures(gold, [top_intent(parsed[text]) for text in texts])
    progress(f"  {name}: trained in {result.seconds:.0f} s; macro-F1 "
             f"{with_ci(result.figures.macro_f1, result.figures.macro_f1_ci)}")
    model.unlink(missing_ok=True)
    return result


def short(component: str) -> str:
    """A component's class name without its module."""
    return component.rsplit(".", 1)[-1]


# --- tables --------------------------------------------------------------------------------------

def heldout_table(results: List[ProjectResult], sizes: Dict[str, int]) -> str:
    """Held-out intents: macro-F1 [95% CI] and accuracy, per candidate and layer."""
    lines = [f"| pipeline | intent | original ({sizes['original']}): macro-F1 [95% CI] | accuracy | "
             f"all ({sizes['all']}): macro-F1 [95% CI] | accuracy | training (s) |",
             "|---|---|---|---|---|---|---|"]
    for result in results:
        if result.error:
            lines.append(f"| {result.name} | training failed | - | - | - | - | - |")
            continue
        for layer, title in LAYERS:
            cells = []
            for set_name in ("original", "all"):
                fig = result.heldout[(set_name, layer)]
                cells += [with_ci(fig.macro_f1, fig.macro_f1_ci), f"{fig.accuracy:.3f}"]
            lines.append(f"| {result.name} | {title} | {' | '.join(cells)} | {seconds_text(result.seconds)} |")
    return "\n".join(lines)


def safety_table(results: List[ProjectResult], descriptions: Dict[str, str]) -> str:
    """NLU + rules on the safety sets, per candidate."""
    lines = ["| pipeline | set | crisis: safety reply first | crisis: right kind | look-alikes: false alarms |",
             "|---|---|---|---|---|"]
    for result in results:
        for set_name, values in result.safety.items():
            lines.append(f"| {result.name} | {set_name} ({descriptions.get(set_name, '')}) | {values['recall']} | "
                         f"{values['right kind']} | {values['false alarms']} |")
    return "\n".join(lines)


def other_table(results: List[OtherResult]) -> str:
    """The other-domain set: macro-F1 and accuracy with intervals."""
    lines = ["| pipeline (NLU core) | macro-F1 [95% CI] | accuracy [95% CI] | training (s) |",
             "|---|---|---|---|"]
    for result in results:
        if result.error or result.figures is None:
            lines.append(f"| {result.name} | training failed | - | - |")
            continue
        fig = result.figures
        lines.append(f"| {result.name} | {with_ci(fig.macro_f1, fig.macro_f1_ci)} | "
                     f"{with_ci(fig.accuracy, fig.accuracy_ci)} | {seconds_text(result.seconds)} |")
    return "\n".join(lines)


def pipelines_list(project: List[ProjectResult], other: List[OtherResult]) -> str:
    """Which components each trained pipeline had."""
    lines = [f"- `{r.name}`: {' > '.join(short(n) for n in r.components)}" for r in project]
    lines += [f"- other domain `{r.name}`: {' > '.join(short(n) for n in r.components)}" for r in other]
    return "\n".join(lines)


# --- main ----------------------------------------------------------------------------------------

def quiet_rasa_logs() -> None:
    """Rasa's structured log at warning level (unconfigured, it prints a debug line for every parse)."""
    import logging

    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="skip the diet candidate on the project data (its DIET training takes ~30 min)")
    parser.add_argument("--only", default="",
                        help="comma-separated pipeline names to run (default: all): "
                             + ", ".join(dict.fromkeys(CANDIDATES + OTHER_DOMAIN_PIPELINES)))
    args = parser.parse_args(list(argv))
    known = set(CANDIDATES) | set(OTHER_DOMAIN_PIPELINES)
    args.only = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = [name for name in args.only if name not in known]
    if unknown:
        parser.error(f"unknown pipeline(s) {unknown}; known: {sorted(known)}")
    return args


def selected(part: str, names: Sequence[str], args: argparse.Namespace) -> Tuple[List[str], List[str]]:
    """(names to run, names skipped) of one part."""
    run, skipped = [], []
    for name in names:
        if (args.only and name not in args.only) or (args.quick and (part, name) in QUICK_SKIPS):
            skipped.append(name)
        else:
            run.append(name)
    return run, skipped


def main(argv: Sequence[str] = ()) -> int:
    """Run the comparison and print the tables."""
    from benchmarks.safety import SETS
    from wegwijs.nlu_data import read_nlu, training_nlu
    from wegwijs.nlp import build

    args = parse_args(argv)
    quiet_rasa_logs()
    project_names, project_skipped = selected("project", CANDIDATES, args)
    other_names, other_skipped = selected("other", OTHER_DOMAIN_PIPELINES, args)
    # Everything is read before the first training: the test sets, config.yml, and copies of data/ and
    # domain.yml (see snapshot); the code of our components is imported by each training as it is then.
    tmp = tempfile.TemporaryDirectory(prefix="wegwijs-bench-")
    workdir = Path(tmp.name)
    data, domain, data_hash = snapshot(workdir)
    training = training_nlu(data.parent)
    pipelines = project_pipelines()
    other_configs = other_domain_configs()
    heldout = heldout_sets()
    safety_data = safety_sets()
    other_train = read_nlu([OTHER_DOMAIN / "train.yml"])
    other_test_examples = read_nlu([OTHER_DOMAIN / "test.yml"])
    other_test = ([t for intent in sorted(other_test_examples) for t in other_test_examples[intent]],
                  [intent for intent in sorted(other_test_examples) for _ in other_test_examples[intent]])
    progress(f"project: {', '.join(project_names) or 'nothing'}"
             f"{' (skipped: ' + ', '.join(project_skipped) + ')' if project_skipped else ''}; "
             f"other domain: {', '.join(other_names) or 'nothing'}"
             f"{' (skipped: ' + ', '.join(other_skipped) + ')' if other_skipped else ''}")

    project_results: List[ProjectResult] = []
    other_results: List[OtherResult] = []
    try:
        for name in project_names:
            project_results.append(run_project(name, pipelines[name], heldout, safety_data, data, domain,
                                               workdir))
        if other_names:
            other_domain = workdir / "other-domain.yml"
            other_domain.write_text(minimal_domain(sorted(other_train)), encoding="utf-8")
            for name in other_names:
                other_results.append(run_other(name, other_configs[name], other_test, other_domain, workdir))
    finally:
        tmp.cleanup()

    spacy_info = build.installed_info() or {}
    safety_sizes = ", ".join(f"{name} {len(c)} crises / {len(o)} look-alikes" for name, (c, o) in safety_data.items())
    skipped = [f"{name} (project data)" for name in project_skipped] + \
              [f"{name} (other domain)" for name in other_skipped]
    header = "\n".join([
        f"NLU benchmark, {datetime.date.today().isoformat()}: {os.cpu_count()} cores (os.cpu_count()), "
        f"seed {SEED}, `python benchmarks/nlu.py{' ' + ' '.join(argv) if argv else ''}`"
        f"{'; not run: ' + ', '.join(skipped) if skipped else ''}.",
        "",
        f"- Project training data: data/ as copied at the start ({sum(map(len, training.values()))} examples, "
        f"{len(training)} intents; sha256 of the training files {data_hash}); "
        f"spaCy pipeline nl_wegwijs on base `{spacy_info.get('base', 'unknown')}`.",
        f"- Held-out sets: original ({len(heldout['original'][0])} sentences, "
        f"{len(set(heldout['original'][1]))} intents) and all of tests/nlu_heldout/ ({len(heldout['all'][0])} "
        f"sentences, {len(set(heldout['all'][1]))} intents).",
        f"- Safety sets (NLU + rules): {safety_sizes}.",
        f"- Other domain: benchmarks/data/other_domain_nl/, {sum(map(len, other_train.values()))} training and "
        f"{len(other_test[0])} test messages, {len(other_train)} intents; top intent, fallback ignored.",
        f"- 95% CI: percentile bootstrap, {RESAMPLES} resamples of the sentences (seed {SEED}, the same draws "
        "for every pipeline on a set). Training (s): wall clock of `rasa train nlu`, Rasa's start-up "
        "included, empty cache.",
    ])
    sections = [header]
    if project_results:
        sizes = {"original": len(heldout["original"][0]), "all": len(heldout["all"][0])}
        sections += ["Held-out intents (project data):", heldout_table(project_results, sizes),
                     "Safety sets, NLU + rules (as `make benchmark-safety` scores them):",
                     safety_table([r for r in project_results if not r.error], SETS)]
    if other_results:
        sections += ["Other domain (NLU cores, trained on train.yml, scored on test.yml):",
                     other_table(other_results)]
    sections += ["Pipelines:", pipelines_list(project_results, other_results)]
    report = "\n\n".join(sections) + "\n"
    print("\n" + report)
    out = HOME / "results" / "nlu_benchmark.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text(report, encoding="utf-8")
    progress(f"written to {out.relative_to(HOME)}")
    failed = [r.name for r in project_results + other_results if r.error]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
