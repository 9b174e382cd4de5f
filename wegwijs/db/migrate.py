"""Run our Alembic migrations from Python: ``wegwijs db upgrade`` (and ``make run``) call this."""
from __future__ import annotations

import sys
from typing import List, Optional

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from wegwijs.db.engine import make_engine
from wegwijs.settings import PROJECT_ROOT, Settings

MIGRATIONS = PROJECT_ROOT / "migrations"
VERSION_TABLE = "wegwijs_alembic_version"


def alembic_config(db_url: str) -> Config:
    """An Alembic config for ``db_url`` without an ini file."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", db_url.replace("%", "%%"))
    return config


def upgrade(db_url: str, revision: str = "head") -> None:
    """Bring our tables to ``revision``; on SQLite also switch on write-ahead logging (kept in the file)."""
    engine = make_engine(db_url)
    try:
        if engine.dialect.name == "sqlite":
            with engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA journal_mode=WAL")
    finally:
        engine.dispose()
    command.upgrade(alembic_config(db_url), revision)


def current(db_url: str) -> Optional[str]:
    """The revision the database is at, or None."""
    engine = make_engine(db_url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(
                connection, opts={"version_table": VERSION_TABLE}).get_current_revision()
    finally:
        engine.dispose()


def is_current(db_url: str) -> bool:
    """Whether the database is at the newest revision."""
    head = ScriptDirectory.from_config(alembic_config(db_url)).get_current_head()
    return current(db_url) == head


def main(argv: Optional[List[str]] = None) -> int:
    """``python -m wegwijs.db.migrate upgrade|current|revision -m MESSAGE``."""
    import argparse

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("command", choices=["upgrade", "current", "revision"])
    parser.add_argument("-m", "--message", default="change")
    args = parser.parse_args(argv)
    db_url = Settings.from_env().db_url
    if args.command == "upgrade":
        upgrade(db_url)
        print(f"database at revision {current(db_url)}")
    elif args.command == "current":
        print(current(db_url) or "(empty)")
    else:
        command.revision(alembic_config(db_url), message=args.message, autogenerate=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
