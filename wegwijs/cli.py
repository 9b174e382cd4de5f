"""The ``wegwijs`` command: maintenance tasks around the Rasa assistant."""
from __future__ import annotations

import argparse
import sys
from typing import List, Optional

from wegwijs.settings import Settings, SettingsError


def _check(settings: Settings) -> int:
    from wegwijs.checks import check_project

    problems = check_project(settings.home)
    for problem in problems:
        print(f"- {problem}")
    print(f"content check: {len(problems)} problem(s)")
    return 1 if problems else 0


def _schools(settings: Settings) -> int:
    from wegwijs.schools import SchoolFileError, SchoolRegistry

    try:
        registry = SchoolRegistry.from_directory(settings.schools_dir)
    except SchoolFileError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"{len(registry.ids())} school(s) valid: {', '.join(registry.ids())}")
    return 0


def _train(settings: Settings, force: bool) -> int:
    from wegwijs.training import train

    train(settings.home, force=force)
    return 0


def _retention(settings: Settings, days: Optional[int]) -> int:
    from wegwijs.retention import purge_conversations

    days = days or settings.retention_days
    removed = purge_conversations(settings.db_url, days)
    print(f"retention: removed {removed} conversation(s) silent for more than {days} days")
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(prog="wegwijs", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("check", help="check content, NLU data, domain and schools for consistency")
    sub.add_parser("schools", help="validate the school profiles")
    train_parser = sub.add_parser("train", help="train the Rasa model when its inputs changed")
    train_parser.add_argument("--force", action="store_true")
    retention_parser = sub.add_parser("retention", help="delete conversations past the retention period")
    retention_parser.add_argument("--days", type=int, default=None)
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    if args.command == "check":
        return _check(settings)
    if args.command == "schools":
        return _schools(settings)
    if args.command == "train":
        return _train(settings, args.force)
    return _retention(settings, args.days)


if __name__ == "__main__":
    sys.exit(main())
