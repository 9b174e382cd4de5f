"""The current model, its predecessors and rollback.

``models/wegwijs.tar.gz`` is the model Rasa serves. Promoting a candidate moves the current model to
``models/history/<time>/`` (with ``info.json``: when, which round, its scores and fingerprint) and keeps
the last :data:`KEEP` of them. ``rollback`` puts the newest (or a chosen) earlier model back.
"""
from __future__ import annotations

import datetime as dt
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional

from wegwijs.training import MODEL_NAME, model_path

KEEP = 5
INFO = "info.json"


@dataclass(frozen=True)
class Saved:
    """A model in the history folder."""

    path: Path
    info: dict

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def model(self) -> Path:
        return self.path / f"{MODEL_NAME}.tar.gz"


def history_dir(home: Path) -> Path:
    return home / "models" / "history"


def stamp_path(home: Path) -> Path:
    return home / "models" / f"{MODEL_NAME}.fingerprint"


def current_info(home: Path) -> dict:
    """What we know of the current model (``models/wegwijs.json``; empty for a model from ``make``)."""
    path = home / "models" / f"{MODEL_NAME}.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def history(home: Path) -> List[Saved]:
    """Saved models, newest first."""
    folder = history_dir(home)
    saved = []
    for path in sorted(folder.iterdir() if folder.exists() else [], reverse=True):
        if (path / f"{MODEL_NAME}.tar.gz").exists():
            try:
                info = json.loads((path / INFO).read_text())
            except (OSError, ValueError):
                info = {}
            saved.append(Saved(path, info))
    return saved


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")


def _save_current(home: Path, reason: str) -> Optional[Saved]:
    current = model_path(home)
    if not current.exists():
        return None
    target = history_dir(home) / _now()
    target.mkdir(parents=True)
    shutil.move(str(current), target / f"{MODEL_NAME}.tar.gz")
    info = current_info(home)
    stamp = stamp_path(home)
    info.update({"saved_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                 "saved_because": reason,
                 "fingerprint": stamp.read_text().strip() if stamp.exists() else None})
    (target / INFO).write_text(json.dumps(info, indent=2))
    return Saved(target, info)


def _prune(home: Path) -> None:
    for old in history(home)[KEEP:]:
        shutil.rmtree(old.path, ignore_errors=True)


def promote(home: Path, candidate: Path, fingerprint: str, info: dict) -> Optional[Saved]:
    """Make ``candidate`` the current model; the old one goes to the history. Returns the saved one."""
    saved = _save_current(home, "replaced by a promoted candidate")
    target = model_path(home)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(candidate), target)
    stamp_path(home).write_text(fingerprint + "\n")
    (home / "models" / f"{MODEL_NAME}.json").write_text(json.dumps(info, indent=2))
    _prune(home)
    return saved


def rollback(home: Path, name: Optional[str] = None) -> Saved:
    """Put an earlier model back (the newest, or the one called ``name``). The model it replaces goes
    to the history too, so a rollback can be undone the same way."""
    saved = history(home)
    chosen = next((s for s in saved if name is None or s.name == name), None)
    if chosen is None:
        raise FileNotFoundError("no earlier model to go back to" if name is None else
                                f"no saved model called {name!r}")
    replaced = _save_current(home, f"rolled back to {chosen.name}")
    shutil.move(str(chosen.model), model_path(home))
    info = dict(chosen.info)
    if info.get("fingerprint"):
        stamp_path(home).write_text(info["fingerprint"] + "\n")
    info["restored_at"] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    if replaced is not None:
        info["replaced"] = replaced.name
    (home / "models" / f"{MODEL_NAME}.json").write_text(json.dumps(info, indent=2))
    shutil.rmtree(chosen.path, ignore_errors=True)
    _prune(home)
    return Saved(model_path(home), info)
