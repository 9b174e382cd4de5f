"""Train the Rasa model only when its inputs changed.

The fingerprint covers config.yml, domain.yml, every file under data/ (training data, and the answers
whose titles and texts the question selector learns from) and the terms file, our NLU components' code (wegwijs/nlp/, wegwijs/safety.py), the installed
spaCy pipeline and the Rasa version, as they were when training started. It is written next to
the model as ``models/wegwijs.fingerprint``.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Iterable, List, Optional

from wegwijs.nlp import build

MODEL_NAME = "wegwijs"


def training_files(home: Path) -> List[Path]:
    """The files Rasa trains on, in a stable order."""
    files = [home / "config.yml", home / "domain.yml"]
    # Every YAML file under data/: the answers too, since the question selector learns from their titles
    # and texts (config.yml, content_dir), and the terms they use.
    files += sorted((home / "data").rglob("*.yml")) + [home / "wegwijs" / "content" / "terms.yml"]
    # Our trainable NLU components (and the folding they use) shape the model too.
    files += sorted((home / "wegwijs" / "nlp").glob("*.py")) + [home / "wegwijs" / "safety.py",
                                                                home / "wegwijs" / "text.py"]
    return [p for p in files if p.exists()]


def fingerprint(home: Path, extra: Iterable[str] = ()) -> str:
    """Hash of the training inputs."""
    digest = hashlib.sha256()
    for path in training_files(home):
        digest.update(str(path.relative_to(home)).encode())
        digest.update(path.read_bytes())
    info = build.installed_info() or {}
    for part in [metadata.version("rasa"), info.get("fingerprint", "no-spacy-pipeline"), *extra]:
        digest.update(part.encode())
    return digest.hexdigest()[:20]


def model_path(home: Path) -> Path:
    """Where the current model lives."""
    return home / "models" / f"{MODEL_NAME}.tar.gz"


def is_current(home: Path) -> bool:
    """True when the model exists and was trained on the current inputs."""
    stamp = home / "models" / f"{MODEL_NAME}.fingerprint"
    return model_path(home).exists() and stamp.exists() and stamp.read_text().strip() == fingerprint(home)


def rasa_env() -> dict:
    """Environment for rasa commands: no telemetry (a failing command would try the network)."""
    env = dict(os.environ)
    env["RASA_TELEMETRY_ENABLED"] = "false"
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return env


def train(home: Path, force: bool = False, extra_args: Optional[List[str]] = None) -> bool:
    """Train when needed (or when ``force``). Returns True when a model was trained."""
    if not force and is_current(home):
        print(f"model {model_path(home).relative_to(home)} is current")
        return False
    # The fingerprint of the inputs as they are when training starts: a file edited while the
    # model trains makes the next run train again.
    stamp = fingerprint(home)
    cmd = [sys.executable, "-m", "rasa", "train", "--fixed-model-name", MODEL_NAME,
           "--out", str(home / "models"), "--force", *(extra_args or [])]
    subprocess.run(cmd, cwd=home, env=rasa_env(), check=True)
    (home / "models" / f"{MODEL_NAME}.fingerprint").write_text(stamp + "\n")
    return True
