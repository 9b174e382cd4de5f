"""Build and install the Dutch spaCy pipeline ``nl_wegwijs`` that Rasa's SpacyNLP loads.

The pipeline is built from the project's own code, never downloaded:

* when spaCy's ``nl_core_news_sm`` is installed (``python -m spacy download nl_core_news_sm``, which needs
  internet), ``nl_wegwijs`` is that pipeline (its tokenizer, tagger, lemmatizer and NER) with the lemmas
  folded (no accents);
* otherwise it is a blank Dutch pipeline (spaCy's Dutch tokenizer) with simplemma lemmas.

``config.yml`` always names ``nl_wegwijs``, so switching needs no config change. The setting
``WEGWIJS_SPACY_BASE`` (``auto`` by default, ``blank`` or ``nl_core_news_sm``) forces a choice.
The pipeline is packaged with ``spacy package --code`` (the way SpacyNLP loads pipelines with custom
components) and installed into the running interpreter's environment.

Run ``python -m wegwijs.nlp.build`` to build when needed, ``--check`` to only report.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Optional

PIPELINE_NAME = "wegwijs"
PACKAGE = f"nl_{PIPELINE_NAME}"
FULL_BASE = "nl_core_news_sm"
BLANK_BASE = "blank"
_COMPONENTS = Path(__file__).with_name("spacy_components.py")


class BuildError(RuntimeError):
    """The pipeline could not be built as asked."""


def _is_installed(package: str) -> bool:
    import spacy.util

    return bool(spacy.util.is_package(package))


def choose_base(setting: Optional[str] = None, full_available: Optional[bool] = None) -> str:
    """Decide which base the pipeline is built on.

    Args:
        setting: ``auto``, ``blank`` or ``nl_core_news_sm``; defaults to ``WEGWIJS_SPACY_BASE``.
        full_available: whether ``nl_core_news_sm`` is installed; looked up when not given.
    """
    setting = (setting or os.environ.get("WEGWIJS_SPACY_BASE") or "auto").strip()
    if setting not in {"auto", BLANK_BASE, FULL_BASE}:
        raise BuildError(
            f"WEGWIJS_SPACY_BASE={setting!r}: use 'auto', '{BLANK_BASE}' or '{FULL_BASE}'"
        )
    if setting == BLANK_BASE:
        return BLANK_BASE
    available = _is_installed(FULL_BASE) if full_available is None else full_available
    if setting == FULL_BASE and not available:
        raise BuildError(
            f"{FULL_BASE} is asked for but not installed: run 'python -m spacy download {FULL_BASE}'"
        )
    return FULL_BASE if available else BLANK_BASE


def fingerprint(base: str) -> str:
    """A hash of everything the built pipeline depends on."""
    parts = [
        base,
        _COMPONENTS.read_text(encoding="utf-8"),
        metadata.version("spacy"),
        metadata.version("simplemma"),
    ]
    if base == FULL_BASE:
        parts.append(metadata.version(FULL_BASE))
    return hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()[:16]


def installed_info() -> Optional[dict]:
    """The ``wegwijs`` section of the installed pipeline's meta, or None when not installed."""
    if not _is_installed(PACKAGE):
        return None
    import spacy.util

    meta_path = Path(spacy.util.get_package_path(PACKAGE)) / "meta.json"
    if not meta_path.exists():
        return None
    return json.loads(meta_path.read_text(encoding="utf-8")).get("wegwijs")


def build_nlp(base: str):
    """Return the spaCy ``Language`` for ``base`` with the Wegwijs components added."""
    import spacy

    from wegwijs.nlp import spacy_components  # noqa: F401  (registers the factories)

    if base == FULL_BASE:
        nlp = spacy.load(FULL_BASE)
        nlp.add_pipe("wegwijs_lemma_folder", last=True)
    else:
        nlp = spacy.blank("nl")
        nlp.add_pipe("wegwijs_lemmatizer")
    return nlp


def build_and_install(base: str, version: str = "1.0.0") -> dict:
    """Build the pipeline on ``base``, package it and pip-install it. Returns its ``wegwijs`` meta."""
    info = {"base": base, "fingerprint": fingerprint(base)}
    nlp = build_nlp(base)
    nlp.meta["name"] = PIPELINE_NAME
    nlp.meta["version"] = version
    nlp.meta["description"] = f"Wegwijs Dutch pipeline on {base}"
    nlp.meta["requirements"] = [f"simplemma=={metadata.version('simplemma')}"]
    nlp.meta["wegwijs"] = info
    with tempfile.TemporaryDirectory(prefix="wegwijs-spacy-") as tmp:
        pipeline_dir = Path(tmp) / "pipeline"
        out_dir = Path(tmp) / "package"
        out_dir.mkdir()
        nlp.to_disk(pipeline_dir)
        _run(
            [sys.executable, "-m", "spacy", "package", str(pipeline_dir), str(out_dir),
             "--code", str(_COMPONENTS), "--build", "wheel", "--force"]
        )
        wheels = sorted(out_dir.rglob("*.whl"))
        if not wheels:
            raise BuildError(f"spacy package wrote no wheel under {out_dir}")
        _run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
              "--force-reinstall", str(wheels[0])])
    return info


def _run(cmd: list) -> None:
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        raise BuildError(f"{' '.join(cmd[:4])} … failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")


def needs_build(base: str) -> bool:
    """True when the installed pipeline is missing or was built from other inputs."""
    info = installed_info()
    return info is None or info.get("fingerprint") != fingerprint(base)


def main(argv: Optional[list] = None) -> int:
    """Command line: build when needed; ``--check`` only reports (exit 1 when a build is due)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report; exit 1 if a build is due")
    parser.add_argument("--force", action="store_true", help="build even when up to date")
    parser.add_argument("--base", choices=["auto", BLANK_BASE, FULL_BASE], default=None)
    args = parser.parse_args(argv)
    try:
        base = choose_base(args.base)
        due = args.force or needs_build(base)
        if args.check:
            print(f"{PACKAGE}: base {base}, {'build due' if due else 'up to date'}")
            return 1 if due else 0
        if not due:
            print(f"{PACKAGE}: up to date (base {base})")
            return 0
        info = build_and_install(base)
        print(f"{PACKAGE}: built and installed (base {base}, fingerprint {info['fingerprint']})")
        return 0
    except BuildError as exc:
        print(f"{PACKAGE}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
