"""One retraining round: write, validate, train a candidate, evaluate both models, report, gate.

The gate promotes the candidate only when, on the same held-out NLU set (``tests/nlu_heldout/``):
- its macro-F1 is not lower than the current model's, and
- no intent's F1 drops by more than :data:`MAX_DROP` (5 points);
and it fails no more test stories (``tests/stories/``) than the current model. Otherwise the current
model stays, the examples of this round are taken out of the training data again (so that ``make run``
does not train them in by another way) and their review items are marked ``refused``, with the reason.
"""
from __future__ import annotations

import datetime as dt
import fcntl
import re
import subprocess
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional, Tuple

import sqlalchemy as sa
from sqlalchemy.orm import Session

from wegwijs.db.models import RetrainRound, ReviewItem, utcnow
from wegwijs.evaluation import NluReport, evaluate_model
from wegwijs.retrain import modelstore, report, writer
from wegwijs.training import fingerprint, model_path, rasa_env

MAX_DROP = 0.05
TOLERANCE = 1e-9


class RoundError(RuntimeError):
    """The round could not run (another round busy, no current model, validation failed …)."""


@dataclass
class StoryResult:
    """Test stories of one model: how many, and which failed."""

    total: int
    failed: List[str]


@dataclass
class Decision:
    """The gate's verdict and its reasons (Dutch, for the maintainer and the report)."""

    promote: bool
    reasons: List[str] = field(default_factory=list)


def judge(current: NluReport, candidate: NluReport, current_stories: Optional[StoryResult] = None,
          candidate_stories: Optional[StoryResult] = None, max_drop: float = MAX_DROP) -> Decision:
    """The promotion rule."""
    reasons: List[str] = []
    if candidate.macro_f1 + TOLERANCE < current.macro_f1:
        reasons.append(f"macro-F1 daalt van {current.macro_f1:.3f} naar {candidate.macro_f1:.3f}")
    for intent, before in sorted(current.per_intent.items()):
        after = candidate.per_intent.get(intent, {"f1": 0.0})
        drop = before["f1"] - after["f1"]
        if drop > max_drop + TOLERANCE:
            reasons.append(f"intent {intent}: F1 daalt {drop * 100:.1f} punten "
                           f"({before['f1']:.2f} → {after['f1']:.2f})")
    if current_stories is not None and candidate_stories is not None:
        if len(candidate_stories.failed) > len(current_stories.failed):
            new = sorted(set(candidate_stories.failed) - set(current_stories.failed))
            reasons.append(f"{len(candidate_stories.failed)} teststory's falen (nu "
                           f"{len(current_stories.failed)}): {', '.join(new) or 'andere'}")
    if reasons:
        return Decision(False, reasons)
    gain = candidate.macro_f1 - current.macro_f1
    return Decision(True, [f"macro-F1 {current.macro_f1:.3f} → {candidate.macro_f1:.3f} "
                           f"({gain * 100:+.1f} punten), geen intent meer dan "
                           f"{max_drop * 100:.0f} punten lager"])


def test_stories(model: Path, home: Path, out: Path) -> Optional[StoryResult]:
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
    cur, cand = evaluate_model(current, home), evaluate_model(candidate, home)
    cur_stories = test_stories(current, home, out / "stories-current")
    cand_stories = test_stories(candidate, home, out / "stories-candidate")
    decision = judge(cur, cand, cur_stories, cand_stories)
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
