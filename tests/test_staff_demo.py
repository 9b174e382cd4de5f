"""Demo accounts (``wegwijs staff demo``, ``make run``): only for the example schools (issue 20, finding 9).

A real school added as a profile must never get an account with a known pattern e-mail
(``admin@<school>.example``) whose password lies in ``var/demo-logins.txt``.
"""
from __future__ import annotations

import shutil

import pytest
import sqlalchemy as sa
import yaml
from argon2 import PasswordHasher

from test_schools import VALID
from wegwijs.db import migrate
from wegwijs.db.engine import session_factory
from wegwijs.db.models import StaffUser
from wegwijs.portal import security
from wegwijs.schools import SchoolRegistry
from wegwijs.staff import demo_accounts


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch):
    monkeypatch.setattr(security, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


def emails(db_url: str) -> set:
    with session_factory(db_url)() as session:
        return set(session.execute(sa.select(StaffUser.email)).scalars())


def test_demo_accounts_only_for_the_example_schools(tmp_path, home, db_url):
    for path in (home / "schools").glob("*.yml"):
        shutil.copy(path, tmp_path / path.name)
    (tmp_path / "echte-school.yml").write_text(yaml.safe_dump(VALID, allow_unicode=True))
    registry = SchoolRegistry.from_directory(tmp_path)
    assert [school_id for school_id in registry.ids() if not registry.get(school_id).example] == ["echte-school"]
    migrate.upgrade(db_url)
    with session_factory(db_url)() as session, session.begin():
        made = demo_accounts(session, registry)
    made_for = {login.school_id for login in made}
    assert made_for == {"de-kompas", "de-regenboog", "het-baken", "-"}
    assert not [email for email in emails(db_url) if "echte-school" in email]
    assert {"admin@het-baken.example", "onderhoud@wegwijs.example"} <= emails(db_url)
    # a second run makes nothing new
    with session_factory(db_url)() as session, session.begin():
        assert demo_accounts(session, registry) == []


def test_no_demo_accounts_at_all_without_example_schools(tmp_path, db_url):
    (tmp_path / "echte-school.yml").write_text(yaml.safe_dump(VALID, allow_unicode=True))
    migrate.upgrade(db_url)
    with session_factory(db_url)() as session, session.begin():
        assert demo_accounts(session, SchoolRegistry.from_directory(tmp_path)) == []
    assert emails(db_url) == set()
