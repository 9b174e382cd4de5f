"""One retraining round: write, validate, train a candidate, evaluate both models, report, gate.

The gate compares the candidate with the current model **paired**: both classify the same held-out
NLU sentences (``tests/nlu_heldout/``), so what counts is the sentences on which they disagree. The
candidate is refused when

- **macro-F1 is significantly lower**: a paired bootstrap over the sentences (:data:`RESAMPLES`
  resamples of the sentence indices with seed :data:`SEED`; on each resample the macro-F1 of both models
  on the same sentences) puts the one-sided 95 % upper bound of (candidate − current), the 95th
  percentile of the resampled differences, below 0, *and* the observed difference is negative;
- **one intent gets significantly more errors**: an exact one-sided McNemar test on that intent's
  sentences (the discordant pairs: sentences only the candidate gets wrong against sentences only the
  current model gets wrong, binomial with p = ½) is significant at :data:`ALPHA` = 0.05 after Holm's
  correction over the intents on whose sentences the two models differ;
- **more test stories fail** (``tests/stories/``) than with the current model.

Identical predictions always promote, and one sentence never decides: an intent is refused on its own
only with at least 5 discordant sentences all against the candidate (when it is the only intent that
changed) and up to 11 (when 52 or more intents changed); docs/retraining.md has the table. Both models'
predictions come from :func:`predict`, in the order of the held-out set. When refused, the current model
stays, the examples of this round are taken out of the training data again (so that ``make run`` does
not train them in by another way) and their review items are marked ``refused``, with the reason.
"""
from __future__ import annotations

import datetime as dt
import fcntl
import math
import re
import subprocess
import sys
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional, Sequence, Tuple

import sqlalchemy as sa
from sqlalchemy.orm import Session

from wegwijs.db.models import RetrainRound, ReviewItem, utcnow
from wegwijs.evaluation import NluReport, parse_texts, predicted_intent, score, heldout_set
from wegwijs.retrain import modelstore, report, writer
from wegwijs.training import fingerprint, model_path, rasa_env

#: Bootstrap resamples of the held-out sentences, and the seed that makes the verdict reproducible.
RESAMPLES = 2000
SEED = 20261203
#: Significance level of both tests: the bootstrap's one-sided bound and the Holm-corrected McNemar tests.
ALPHA = 0.05
#: Differences smaller than this are float noise, not a difference.
TOLERANCE = 1e-9


class RoundError(RuntimeError):
    """The round could not run (another round busy, no current model, validation failed …)."""


@dataclass
class StoryResult:
    """Test stories of one model: how many, and which failed."""

    total: int
    failed: List[str]


@dataclass
class Predictions:
    """One model's intent for every held-out sentence, in the order of the held-out set."""

    texts: List[str]
    gold: List[str]
    predicted: List[str]

    def report(self) -> NluReport:
        """Macro-F1, accuracy, per-intent scores and errors (:func:`wegwijs.evaluation.score`)."""
        return score(self.texts, self.gold, self.predicted)


def predict(model: Path, home: Path) -> Predictions:
    """``model``'s intents (after the safety rules, as served) for the held-out set of ``home``."""
    texts, gold = heldout_set(home)
    return Predictions(texts, gold, [predicted_intent(parsed) for parsed in parse_texts(model, texts)])


@dataclass
class Bootstrap:
    """Paired bootstrap of the macro-F1 difference (candidate − current) over the sentences."""

    current: float  # observed macro-F1 of the current model
    candidate: float  # observed macro-F1 of the candidate
    low: float  # 5th percentile of the resampled differences (alpha)
    high: float  # 95th percentile (1 - alpha): the one-sided 95 % upper bound of the difference
    not_worse: float  # share of resamples on which the candidate is at least as good
    resamples: int
    seed: int
    sentences: int
    alpha: float = ALPHA

    @property
    def difference(self) -> float:
        """Observed candidate − current."""
        return self.candidate - self.current

    @property
    def worse(self) -> bool:
        """Significantly worse: the upper bound below 0 and the observed difference negative."""
        return self.high < -TOLERANCE and self.difference < -TOLERANCE


@dataclass
class IntentTest:
    """Exact one-sided McNemar test on the sentences of one intent."""

    intent: str
    sentences: int
    only_candidate_wrong: int  # b: right before, wrong now
    only_current_wrong: int  # c: wrong before, right now
    p_value: float  # P(X >= b), X ~ Binomial(b + c, 1/2)
    threshold: float = 1.0  # Holm's level for this p-value's rank
    significant: bool = False


@dataclass
class Comparison:
    """Everything the gate computed on the held-out set, for the reasons and the report."""

    bootstrap: Bootstrap
    intents: List[IntentTest]  # the intents with a discordant sentence (the Holm family), lowest p first
    intents_in_set: int  # all intents of the held-out set
    alpha: float

    @property
    def worse_intents(self) -> List[IntentTest]:
        """The intents on which the candidate makes significantly more errors."""
        return [test for test in self.intents if test.significant]

    def to_dict(self) -> dict:
        """JSON-ready form (report.json)."""
        data = asdict(self)
        data["bootstrap"]["difference"] = self.bootstrap.difference
        data["bootstrap"]["worse"] = self.bootstrap.worse
        return data


@dataclass
class Decision:
    """The gate's verdict and its reasons (Dutch, for the maintainer and the report)."""

    promote: bool
    reasons: List[str] = field(default_factory=list)
    comparison: Optional[Comparison] = None


def _one_hot(labels: Sequence[str], index: Dict[str, int]):
    import numpy as np

    matrix = np.zeros((len(labels), len(index)))
    for row, label in enumerate(labels):
        if label in index:  # nlu_fallback and intents outside the set have no column: only an error
            matrix[row, index[label]] = 1.0
    return matrix


def macro_f1(weights, gold: Sequence[str], predicted: Sequence[str]):
    """Macro-F1 for each row of ``weights`` (how often each sentence is drawn), like
    :func:`wegwijs.evaluation.score`: F1 = 2·TP / (support + predicted) per gold intent, averaged over the
    intents that occur in the sample; predicting another label counts as an error only."""
    import numpy as np

    index = {label: i for i, label in enumerate(sorted(set(gold)))}
    truth, guess = _one_hot(gold, index), _one_hot(predicted, index)
    weights = np.atleast_2d(np.asarray(weights, dtype=float))
    support, claimed, hits = weights @ truth, weights @ guess, weights @ (truth * guess)
    denominator = support + claimed
    f1 = np.divide(2 * hits, denominator, out=np.zeros_like(hits), where=denominator > 0)
    present = support > 0
    return (f1 * present).sum(axis=1) / np.maximum(present.sum(axis=1), 1)


def paired_bootstrap(gold: Sequence[str], current: Sequence[str], candidate: Sequence[str],
                     resamples: int = RESAMPLES, seed: int = SEED, alpha: float = ALPHA) -> Bootstrap:
    """Resample the sentence indices with replacement (the same draw for both models) and compute
    both macro-F1s on every resample; ``low`` and ``high`` are the ``alpha`` and ``1 - alpha``
    percentiles of the differences."""
    import numpy as np

    count = len(gold)
    draws = np.random.default_rng(seed).integers(0, count, size=(resamples, count))
    offsets = draws + np.arange(resamples)[:, None] * count
    weights = np.bincount(offsets.ravel(), minlength=resamples * count).reshape(resamples, count)
    differences = macro_f1(weights, gold, candidate) - macro_f1(weights, gold, current)
    observed = macro_f1(np.ones(count), gold, current)[0], macro_f1(np.ones(count), gold, candidate)[0]
    low, high = np.quantile(differences, [alpha, 1 - alpha])
    return Bootstrap(float(observed[0]), float(observed[1]), float(low), float(high),
                     float(np.mean(differences >= -TOLERANCE)), resamples, seed, count, alpha)


def binomial_tail(successes: int, trials: int) -> float:
    """P(X >= successes) for X ~ Binomial(trials, 1/2), exact (scipy when installed, else math.comb)."""
    if trials == 0 or successes <= 0:
        return 1.0
    try:
        from scipy.stats import binomtest
    except ImportError:  # pragma: no cover - scipy comes with the project's venv
        return sum(math.comb(trials, k) for k in range(successes, trials + 1)) / 2 ** trials
    return float(binomtest(successes, trials, 0.5, alternative="greater").pvalue)


def intent_tests(gold: Sequence[str], current: Sequence[str], candidate: Sequence[str],
                 alpha: float = ALPHA) -> Tuple[List[IntentTest], int]:
    """McNemar per gold intent, with Holm's step-down correction over the intents that have at least one
    discordant sentence (an intent on which both models agree sentence by sentence has p = 1 and cannot
    be refused; given which sentences changed, leaving it out of the family keeps the family-wise error
    at ``alpha``).

    Returns those intents (lowest p first) and the number of intents in the set."""
    tests = {intent: IntentTest(intent, 0, 0, 0, 1.0) for intent in sorted(set(gold))}
    for truth, before, after in zip(gold, current, candidate):
        test = tests[truth]
        test.sentences += 1
        if before == truth and after != truth:
            test.only_candidate_wrong += 1
        elif before != truth and after == truth:
            test.only_current_wrong += 1
    for test in tests.values():
        test.p_value = binomial_tail(test.only_candidate_wrong,
                                     test.only_candidate_wrong + test.only_current_wrong)
    changed = sorted((t for t in tests.values() if t.only_candidate_wrong or t.only_current_wrong),
                     key=lambda t: (t.p_value, t.intent))
    rejecting = True
    for rank, test in enumerate(changed):
        test.threshold = alpha / (len(changed) - rank)
        rejecting = rejecting and test.p_value <= test.threshold
        test.significant = rejecting
    return changed, len(tests)


def compare(current: Predictions, candidate: Predictions, resamples: int = RESAMPLES,
            seed: int = SEED, alpha: float = ALPHA) -> Comparison:
    """Both tests on the paired predictions of the same held-out sentences."""
    if current.texts != candidate.texts or current.gold != candidate.gold:
        raise ValueError("the two models were not scored on the same held-out sentences")
    if len(current.predicted) != len(current.gold) or len(candidate.predicted) != len(candidate.gold):
        raise ValueError("one prediction per held-out sentence is needed")
    boot = paired_bootstrap(current.gold, current.predicted, candidate.predicted, resamples, seed, alpha)
    intents, total = intent_tests(current.gold, current.predicted, candidate.predicted, alpha)
    return Comparison(boot, intents, total, alpha)


def _points(value: float) -> str:
    return f"{value * 100:+.2f}"


def _interval(boot: Bootstrap) -> str:
    return (f"{1 - 2 * boot.alpha:.0%}-bootstrapinterval [{_points(boot.low)}, {_points(boot.high)}] punten, "
            f"{boot.resamples} trekkingen van de {boot.sentences} zinnen")


def _intent_line(test: IntentTest, family: int) -> str:
    return (f"{test.only_candidate_wrong} van de {test.sentences} zinnen alleen door de kandidaat fout, "
            f"{test.only_current_wrong} alleen door het huidige model (McNemar exact, eenzijdig "
            f"p = {test.p_value:.2g}; Holm-grens {test.threshold:.2g}, {_intents(family)} met verschillen)")


def _intents(count: int) -> str:
    return f"{count} intent{'' if count == 1 else 's'}"


def judge(current: Predictions, candidate: Predictions, current_stories: Optional[StoryResult] = None,
          candidate_stories: Optional[StoryResult] = None, resamples: int = RESAMPLES,
          seed: int = SEED, alpha: float = ALPHA) -> Decision:
    """The promotion rule (module doc): paired macro-F1 bootstrap, McNemar per intent, test stories."""
    comparison = compare(current, candidate, resamples, seed, alpha)
    boot = comparison.bootstrap
    reasons: List[str] = []
    if boot.worse:
        before, after = current.report(), candidate.report()
        drops = sorted(((before.per_intent[name]["f1"] - after.per_intent[name]["f1"], name)
                        for name in before.per_intent), reverse=True)[:3]
        worst = ", ".join(f"{name} (F1 {before.per_intent[name]['f1']:.2f} → "
                          f"{after.per_intent[name]['f1']:.2f})" for drop, name in drops if drop > 0)
        reasons.append(f"macro-F1 daalt aantoonbaar van {boot.current:.3f} naar {boot.candidate:.3f}: "
                       f"verschil {_points(boot.difference)} punten, {_interval(boot)}; de eenzijdige "
                       f"{1 - alpha:.0%}-bovengrens ligt onder 0 (kandidaat even goed of beter in "
                       f"{boot.not_worse:.1%} van de trekkingen)" + (f"; grootste dalers: {worst}"
                                                                     if worst else ""))
    for test in comparison.worse_intents:
        reasons.append(f"intent {test.intent} aantoonbaar slechter: "
                       f"{_intent_line(test, len(comparison.intents))}")
    if current_stories is not None and candidate_stories is not None:
        if len(candidate_stories.failed) > len(current_stories.failed):
            new = sorted(set(candidate_stories.failed) - set(current_stories.failed))
            reasons.append(f"{len(candidate_stories.failed)} teststory's falen (nu "
                           f"{len(current_stories.failed)}): {', '.join(new) or 'andere'}")
    if reasons:
        return Decision(False, reasons, comparison)
    reasons.append(f"macro-F1 {boot.current:.3f} → {boot.candidate:.3f} ({_points(boot.difference)} "
                   f"punten, {_interval(boot)}): niet aantoonbaar lager")
    if not comparison.intents:
        reasons.append("geen intent aantoonbaar slechter: beide modellen geven op elke zin hetzelfde "
                       "oordeel (goed of fout)")
    elif not any(test.only_candidate_wrong for test in comparison.intents):
        reasons.append(f"geen intent slechter: de kandidaat heeft geen zin fout die het huidige model goed "
                       f"had ({_intents(len(comparison.intents))} met verschillen, alle in zijn voordeel)")
    else:
        most = max(comparison.intents, key=lambda test: (
            test.only_candidate_wrong - test.only_current_wrong, -test.p_value))
        reasons.append(f"geen intent aantoonbaar slechter (McNemar per intent, Holm, α = {alpha:g}); "
                       f"meeste nieuwe fouten: {most.intent}, {_intent_line(most, len(comparison.intents))}")
    return Decision(True, reasons, comparison)


def run_test_stories(model: Path, home: Path, out: Path) -> Optional[StoryResult]:
    """``rasa test core`` on ``tests/stories/``: which stories fail. None when there are none."""
    stories = home / "tests" / "stories"
    if not stories.exists() or not any(stories.glob("*.yml")):
        return None
    out.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [sys.executable, "-m", "rasa", "test", "core", "--model", str(model), "--stories", str(stories),
         "--out", str(out), "--no-plot"],
        cwd=home, env=rasa_env(), capture_output=True, text=True)
    if result.returncode != 0:
        raise RoundError(f"rasa test core failed for {model.name}:\n{result.stderr[-2000:]}")
    total = sum(len(re.findall(r"^- story:", path.read_text(encoding="utf-8"), re.MULTILINE))
                for path in sorted(stories.glob("*.yml")))
    failed_file = out / "failed_test_stories.yml"
    failed = re.findall(r"^- story: (.+?)(?: \(.*\))?$", failed_file.read_text(encoding="utf-8"),
                        re.MULTILINE) if failed_file.exists() else []
    return StoryResult(total, [name.strip() for name in failed])


@contextmanager
def _lock(home: Path) -> Iterator[None]:
    path = home / "var" / "retrain" / "round.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise RoundError("another retraining round is running") from exc
        yield


@dataclass
class RoundResult:
    """What a round did (also stored as a ``RetrainRound`` row)."""

    round_id: int
    decision: Decision
    written: writer.WriteResult
    report_dir: Path
    current: Optional[NluReport] = None
    candidate: Optional[NluReport] = None


def _snapshot(paths: List[Path]) -> Dict[Path, Optional[bytes]]:
    return {path: path.read_bytes() if path.exists() else None for path in paths}


def _restore(snapshot: Dict[Path, Optional[bytes]]) -> None:
    for path, content in snapshot.items():
        if content is None:
            path.unlink(missing_ok=True)
        else:
            path.write_bytes(content)


def run_round(home: Path, session: Session, config: Optional[Path] = None,
              say: Callable[[str], None] = print) -> RoundResult:
    """Write the approved examples, then validate, train, evaluate, report and gate (see module doc).

    A failure or Ctrl-C half way puts the data back and records the round as failed."""
    with _lock(home):
        current = model_path(home)
        if not current.exists():
            raise RoundError(f"no current model at {current}: run `make model` first")
        items = session.execute(sa.select(ReviewItem).where(
            ReviewItem.status.in_(("accepted", "relabelled"))).order_by(ReviewItem.id)).scalars().all()
        if not items:
            raise RoundError("no approved examples to train on: review some first")
        stamp = home / "models" / "wegwijs.fingerprint"
        if not stamp.exists() or stamp.read_text().strip() != fingerprint(home):
            raise RoundError("the current model is not trained on the current data, so the comparison "
                             "would not be fair: run `make model` first (`make retrain-round` does)")
        round_row = RetrainRound(examples=0)
        session.add(round_row)
        session.commit()
        out = home / "results" / "retrain" / f"round-{round_row.id}"
        out.mkdir(parents=True, exist_ok=True)
        reviewed = sorted((home / "data").glob(f"*/{writer.REVIEWED_FILE}"))
        topics = {home / "data" / t / writer.REVIEWED_FILE for t in writer.intent_topics(home).values()}
        snapshot = _snapshot(sorted(set(reviewed) | topics))
        try:
            decision, written, cur, cand = _steps(home, config, say, items, round_row.id, out,
                                                  snapshot)
        except BaseException as exc:  # the data goes back as it was, unless promoted already
            if modelstore.current_info(home).get("round") != round_row.id:
                _restore(snapshot)
            session.rollback()
            round_row.finished_at, round_row.decision = utcnow(), "failed"
            round_row.reason = f"afgebroken: {type(exc).__name__}: {exc}"[:2000]
            session.commit()
            raise
        _record(round_row, items, decision, written, cur, cand, out.relative_to(home) / "report.md")
        session.commit()
        return RoundResult(round_row.id, decision, written, out, cur, cand)


def _record(round_row: RetrainRound, items: List[ReviewItem], decision: Decision,
            written: writer.WriteResult, cur: Optional[NluReport], cand: Optional[NluReport],
            report_path: Path) -> None:
    """The round's outcome on its row and on the review items (not committed)."""
    round_row.finished_at = utcnow()
    round_row.decision = "promoted" if decision.promote else ("refused" if cand is not None else "failed")
    round_row.reason = "\n".join(decision.reasons)
    round_row.examples = written.total
    round_row.current_macro_f1 = cur.macro_f1 if cur else None
    round_row.candidate_macro_f1 = cand.macro_f1 if cand else None
    round_row.report_path = str(report_path)
    new, known, unusable = set(written.written_ids), set(written.known_ids), set(written.unusable_ids)
    for item in items:
        if item.id in known:  # in the data already: nothing left to do
            item.status = "written"
        elif item.id in unusable:
            item.status, item.round_id = "refused", round_row.id
        elif item.id in new:
            item.round_id = round_row.id
            if decision.promote:
                item.status = "written"
            elif cand is not None:
                item.status = "refused"


Outcome = Tuple[Decision, writer.WriteResult, Optional[NluReport], Optional[NluReport]]


def _steps(home: Path, config: Optional[Path], say: Callable[[str], None], items: List[ReviewItem],
           round_id: int, out: Path, snapshot: Dict[Path, Optional[bytes]]) -> Outcome:
    """Write, validate, train, evaluate, report, and promote or put the data back."""
    from wegwijs.checks import check_examples
    from wegwijs.validate import validate

    def stop(reason: str, written: writer.WriteResult) -> Outcome:
        _restore(snapshot)
        decision = Decision(False, [reason])
        report.write(out, round_id, decision, written, None, None, None, None)
        return decision, written, None, None

    say(f"round {round_id}: writing {len(items)} approved example(s)")
    written = writer.write_examples(home, [(i.id, i.text, i.intent) for i in items])
    say(f"  new: {written.total}, already known: {written.known}, held-out (skipped): "
        f"{written.heldout}, conflicts: {len(written.conflicts)}")
    for text, wanted, existing in written.conflicts[:10]:
        say(f"  conflict: {text!r} is {existing} in the data, not {wanted}")
    if written.total == 0:
        return stop("geen nieuwe voorbeelden (alles bekend, in de testset of in conflict)", written)
    say("validating: rasa data validate and the NLU checks of wegwijs check")
    passed, problems, output = validate(home)
    problems += check_examples(home)
    if not passed or problems:
        return stop("de trainingsdata is niet geldig: " + "; ".join(problems[:5] or [output[-500:]]),
                    written)
    stamp = fingerprint(home)
    candidates = home / "models" / "candidates"
    name = f"candidate-{round_id}"
    say(f"training the candidate ({(config or home / 'config.yml').name})")
    cmd = [sys.executable, "-m", "rasa", "train", "--fixed-model-name", name, "--out",
           str(candidates), "--force"]
    if config is not None:
        cmd += ["--config", str(config)]
    trained = subprocess.run(cmd, cwd=home, env=rasa_env())
    candidate = candidates / f"{name}.tar.gz"
    if trained.returncode != 0 or not candidate.exists():
        return stop("training van de kandidaat mislukte", written)
    say("evaluating the current model and the candidate on the held-out set and test stories")
    current = model_path(home)
    cur_predictions, cand_predictions = predict(current, home), predict(candidate, home)
    cur, cand = cur_predictions.report(), cand_predictions.report()
    cur_stories = run_test_stories(current, home, out / "stories-current")
    cand_stories = run_test_stories(candidate, home, out / "stories-candidate")
    decision = judge(cur_predictions, cand_predictions, cur_stories, cand_stories)
    report.write(out, round_id, decision, written, cur, cand, cur_stories, cand_stories)
    if decision.promote:
        modelstore.promote(home, candidate, stamp, {
            "round": round_id, "macro_f1": cand.macro_f1,
            "promoted_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "report": str((out / "report.md").relative_to(home))})
    else:
        _restore(snapshot)
        candidate.unlink(missing_ok=True)
    if candidates.exists() and not any(candidates.iterdir()):
        candidates.rmdir()
    return decision, written, cur, cand


def rollback_round(home: Path, session: Session, name: Optional[str] = None) -> modelstore.Saved:
    """Go back to an earlier model (the newest saved one by default) and take the examples of the rounds
    promoted after it out of the training data, so that data and model agree again."""
    with _lock(home):
        restored = modelstore.rollback(home, name)
        since = restored.info.get("round") or 0
        rounds = session.execute(sa.select(RetrainRound).where(
            RetrainRound.decision == "promoted", RetrainRound.id > since)).scalars().all()
        items = session.execute(sa.select(ReviewItem).where(
            ReviewItem.round_id.in_([r.id for r in rounds]),
            ReviewItem.status == "written")).scalars().all() if rounds else []
        writer.remove_examples(home, [(item.text, item.intent) for item in items])
        for item in items:
            item.status = "refused"
        for row in rounds:
            row.decision = "rolled_back"
            row.reason = f"{row.reason or ''}\nteruggedraaid op {utcnow():%Y-%m-%d %H:%M} UTC".strip()
        session.commit()
        return restored


def round_summary(result: RoundResult) -> str:
    """A short text for the terminal."""
    verdict = "PROMOTED" if result.decision.promote else "NOT PROMOTED"
    lines = [f"round {result.round_id}: {verdict}"]
    lines += [f"  - {reason}" for reason in result.decision.reasons]
    lines.append(f"  report: {result.report_dir / 'report.md'}")
    return "\n".join(lines)
