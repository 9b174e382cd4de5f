"""Alembic environment: the database comes from the config (set by wegwijs.db.migrate)."""
from __future__ import annotations

from alembic import context

from wegwijs.db.engine import make_engine
from wegwijs.db.models import Base

config = context.config
target_metadata = Base.metadata


def include_object(obj, name, type_, reflected, compare_to):
    """Only our tables: Rasa owns ``events``."""
    if type_ == "table":
        return name.startswith("wegwijs_")
    return True


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True, include_object=include_object, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = make_engine(config.get_main_option("sqlalchemy.url"))
    try:
        with engine.connect() as connection:
            context.configure(connection=connection, target_metadata=target_metadata,
                              include_object=include_object, render_as_batch=True,
                              version_table="wegwijs_alembic_version")
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
