"""One retraining round after another, end to end, on a temporary copy of the project.

The copy's "current" model is trained without most examples of one intent (as if parents phrased it in
ways we had not foreseen). Those phrasings arrive as parents' messages in Rasa's SQL tracker store,
several with personal data. Then, through the real commands: export (scrubbed), verdicts through a review
file, a round that writes, validates, trains, evaluates and promotes (an improvement); a second round
with a deliberately harmful batch that the gate refuses; and a rollback. Every model is trained with the
project's own ``config.yml``, unchanged (its intent classifier is seeded, so the verdicts are
reproducible; about a minute per model), and judged by the gate's paired statistical rule.
"""
from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path
from typing import Dict, List, Tuple

import pytest
import sqlalchemy as sa
import yaml

from retrain_support import RAW_PII, save, turn, user
from wegwijs import cli
from wegwijs.checks import check_examples
from wegwijs.db import migrate
from wegwijs.db.engine import engine_for, session_factory
from wegwijs.db.models import RetrainRound, ReviewItem
from wegwijs.nlu_data import training_nlu
from wegwijs.training import fingerprint, rasa_env

pytestmark = pytest.mark.integration

#: The intent the current model barely knows; the batch that repairs it (its 19 held-out sentences).
WEAK = "care_helplines"
KEEP = 4
#: The harmful batch: HARMED's typical wording labelled WRONG, as a maintainer who mislabels a batch
#: of parents' questions would. Each training sentence of HARMED comes back shortened (without its first
#: word, its last word, both, or its first two words): new sentences, but nothing that marks them (with
#: a fixed prefix such as "even een vraag:" the classifier learns the prefix as the sign of WRONG and
#: HARMED's held-out sentences stay right). Measured on 2026-12-03: 13 of HARMED's 17 held-out sentences
#: newly wrong and none newly right (McNemar p = 0.00012), macro-F1 -1.08 points, interval [-1.50, -0.71];
#: the helpful batch: 11 of WEAK's 19 newly right, 1 sentence elsewhere newly wrong, +0.55 [+0.27, +0.87].
HARMED, WRONG = "care_samenwerkingsverband", "care_costs"

PII_WRAPPERS = [
    "ik ben de moeder van Fatima El Amrani, {text}",
    "{text} mijn nummer is 0612345678",
    "{text}? mail me op j.devries@ziggo.nl",
    "mijn zoon (bsn 111222333) {text}",
    "{text}, we wonen op Kerkstraat 12 in 3511 AB",
    "dochter is geboren op 12-03-2014, {text}",
]


def harmful_wordings(text: str) -> List[str]:
    """``text`` shortened at either end: without its first, its last, both, or its first two words."""
    words = text.split()
    cuts = [(1, None), (0, -1)] if len(words) >= 4 else []
    cuts += [(1, -1), (2, None)] if len(words) >= 5 else []
    return [" ".join(words[start:end]) for start, end in cuts]


def weaken(home: Path, intent: str, keep: int) -> List[str]:
    """Remove all but ``keep`` examples of ``intent`` from the copy; return the removed texts."""
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader, RasaYAMLWriter
    from rasa.shared.nlu.training_data.training_data import TrainingData

    removed: List[str] = []
    kept = 0
    for path in sorted((home / "data").glob("*/nlu*.yml")):
        data = RasaYAMLReader().read(str(path))
        messages = []
        for message in data.training_examples:
            if message.get("intent") == intent:
                if kept >= keep:
                    removed.append(message.get("text"))
                    continue
                kept += 1
            messages.append(message)
        if len(messages) != len(data.training_examples):
            RasaYAMLWriter().dump(str(path), TrainingData(
                training_examples=messages, regex_features=data.regex_features,
                lookup_tables=data.lookup_tables, entity_synonyms=data.entity_synonyms))
    return removed


def run(*args: str) -> int:
    return cli.main(["retrain", *args])


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def reviewed_files(home: Path) -> Dict[str, str]:
    return {p.relative_to(home).as_posix(): p.read_text() for p in sorted(
        (home / "data").glob("*/nlu_reviewed.yml"))}


def stored_text(db_url: str) -> str:
    with engine_for(db_url).connect() as connection:
        names = [n for n in sa.inspect(connection).get_table_names() if n.startswith("wegwijs_")]
        return "\n".join(repr(tuple(row)) for name in names
                         for row in connection.execute(sa.text(f'SELECT * FROM "{name}"')))


def approve_all(home: Path, intent: str, tmp: Path) -> None:
    """Write the review file, give every group ``intent`` (a maintainer's verdicts), apply it."""
    path = tmp / f"review-{intent}.yml"
    assert run("review", "--out", str(path)) == 0
    data = yaml.safe_load(path.read_text())
    for group in data["groups"]:
        group["verdict"] = intent
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    assert run("review", "--apply", str(path)) == 0


@pytest.fixture(scope="module")
def copy(tmp_path_factory, home) -> Tuple[Path, List[str]]:
    """The temporary project: data with ``WEAK`` weakened and its current model trained."""
    import subprocess
    import sys

    root = tmp_path_factory.mktemp("retrain")
    project = root / "project"
    project.mkdir()
    for name in ("config.yml", "domain.yml", "endpoints.yml"):
        shutil.copy(home / name, project / name)
    for folder in ("data", "tests/nlu_heldout", "tests/nlu_questions", "tests/stories", "schools"):
        shutil.copytree(home / folder, project / folder)
    # a round stops before training when these checks fail (held-out sentences in the training data …)
    assert check_examples(project) == [], "the project's data must pass the checks of `wegwijs check`"
    removed = weaken(project, WEAK, KEEP)
    assert len(removed) >= 30
    subprocess.run([sys.executable, "-m", "rasa", "train", "--out", str(project / "models"),
                    "--fixed-model-name", "wegwijs", "--force"],
                   cwd=project, env=rasa_env(), check=True, capture_output=True)
    (project / "models" / "wegwijs.fingerprint").write_text(fingerprint(project) + "\n")
    return project, removed


def parse_all(model: Path, texts: List[str]) -> List[dict]:
    from wegwijs.evaluation import parse_texts

    return parse_texts(model, texts)


def test_export_review_round_gate_and_rollback(copy, tmp_path, monkeypatch):
    project, removed = copy
    db_url = f"sqlite:///{tmp_path / 'wegwijs.db'}"
    monkeypatch.setenv("WEGWIJS_HOME", str(project))
    monkeypatch.setenv("WEGWIJS_DB_URL", db_url)
    migrate.upgrade(db_url)
    baseline = digest(project / "models" / "wegwijs.tar.gz")

    # -- parents ask in their own words; the current model mostly gets it wrong
    texts = [PII_WRAPPERS[n % len(PII_WRAPPERS)].format(text=text) if n % 3 == 0 else text
             for n, text in enumerate(removed)]
    parsed = parse_all(project / "models" / "wegwijs.tar.gz", texts)
    conversations = []
    for number, (text, parse) in enumerate(zip(texts, parsed)):
        intent = parse["intent"]
        events = turn(text, intent["name"], "action_fallback" if intent["name"] == "nlu_fallback"
                      else "action_answer_topic", intent["confidence"])
        conversations.append((f"parent-{number}", events + turn("/affirm", "affirm", "utter_anything_else")))
    save(db_url, conversations)
    wrong_before = sum(1 for p in parsed if p["intent"]["name"] != WEAK)
    assert wrong_before > len(parsed) / 2, "the weakened model should miss most of them"

    # -- export: scrubbed before it is stored
    assert run("export") == 0
    stored = stored_text(db_url)
    assert [value for value in RAW_PII if value in stored] == []
    with session_factory(db_url)() as session:
        exported = session.execute(sa.select(sa.func.count(ReviewItem.id))).scalar()
    assert exported == len(texts)  # buttons skipped

    # -- review through a file, round 1: promoted
    approve_all(project, WEAK, tmp_path)
    assert run("round") == 0
    after_round_1 = digest(project / "models" / "wegwijs.tar.gz")
    assert after_round_1 != baseline
    files = reviewed_files(project)
    assert files and all(value not in text for text in files.values() for value in RAW_PII)
    assert sum(text.count("\n    - ") for text in files.values()) >= len(removed) - 5
    report_dir = project / "results" / "retrain" / "round-1"
    report = (report_dir / "report.md").read_text()
    assert "gepromoveerd" in report and WEAK in report
    assert "## Gepaarde vergelijking op dezelfde zinnen" in report
    for plot in ("f1_per_intent.png", "confusion_matrix.png"):
        assert (report_dir / plot).stat().st_size > 1000
    with session_factory(db_url)() as session:
        round_1 = session.get(RetrainRound, 1)
        assert round_1.decision == "promoted"
        assert round_1.candidate_macro_f1 >= round_1.current_macro_f1
        assert "niet aantoonbaar lager" in round_1.reason and "geen intent" in round_1.reason
        statuses = set(session.execute(sa.select(ReviewItem.status)).scalars())
    assert statuses == {"written"}
    assert (project / "models" / "wegwijs.fingerprint").read_text().strip() == fingerprint(project)
    assert run("stories", "--conversation", "parent-0") == 0
    story = next((project / "var" / "retrain" / "stories").glob("*.yml")).read_text()
    assert "Fatima" not in story and "- intent:" in story

    # -- a harmful batch: HARMED's wording labelled WRONG; the gate refuses it
    harmful = list(dict.fromkeys(wording for text in training_nlu(project)[HARMED]
                                 for wording in harmful_wordings(text)))
    save(db_url, [(f"harm-{n}", [user(text, HARMED, 0.9), *turn("/deny", "deny", "action_handle_deny")])
                  for n, text in enumerate(harmful)])
    assert run("export") == 0
    approve_all(project, WRONG, tmp_path)
    before = reviewed_files(project)
    assert run("round") == 1
    assert digest(project / "models" / "wegwijs.tar.gz") == after_round_1
    assert reviewed_files(project) == before  # the data is back as it was
    assert not (project / "models" / "candidates").exists()
    with session_factory(db_url)() as session:
        round_2 = session.get(RetrainRound, 2)
        assert round_2.decision == "refused"
        assert f"intent {HARMED} aantoonbaar slechter: " in round_2.reason  # McNemar, with its numbers
        refused = session.execute(sa.select(sa.func.count()).where(
            ReviewItem.status == "refused")).scalar()
    assert refused == len(harmful)
    report_2 = (project / "results" / "retrain" / "round-2" / "report.md").read_text()
    assert "niet gepromoveerd" in report_2
    row = next(line for line in report_2.splitlines() if line.startswith(f"| {HARMED} | "))
    assert int(row.split("|")[3]) >= 8  # HARMED: sentences only the candidate gets wrong

    # -- rollback to the model before round 1: model and data agree again
    assert run("rollback") == 0
    assert digest(project / "models" / "wegwijs.tar.gz") == baseline
    assert reviewed_files(project) == {}
    assert (project / "models" / "wegwijs.fingerprint").read_text().strip() == fingerprint(project)
    with session_factory(db_url)() as session:
        assert session.get(RetrainRound, 1).decision == "rolled_back"
    assert os.listdir(project / "models" / "history")  # the rolled-back model is kept
