"""How `make run` starts processes, and the wegwijs command."""
from __future__ import annotations

import pytest

from wegwijs import cli, serve


def test_action_server_is_bound_to_loopback_and_rasa_uses_our_files(home):
    keys = {"WEGWIJS_PORTAL_SECRET": "x" * 40, "WEGWIJS_RASA_JWT_SECRET": "t", "WEGWIJS_CHAT_SECRET": "c" * 40}
    specs = {s.name: s for s in serve.services(home, "127.0.0.1", 5005, 5055, 8080, keys=keys)}
    assert specs["actions"].env["SANIC_HOST"] == "127.0.0.1"
    assert specs["actions"].env["RASA_TELEMETRY_ENABLED"] == "false"
    rasa = specs["rasa"].command
    assert rasa[rasa.index("--interface") + 1] == "127.0.0.1"
    assert str(home / "endpoints.yml") in rasa and str(home / "credentials.yml") in rasa
    assert specs["web"].ready_url.endswith("/privacy.html")


def test_retention_command_reports_how_many_it_removed(db_url, capsys):
    assert cli.main(["retention", "--days", "30"]) == 0
    assert "removed 0 conversation(s)" in capsys.readouterr().out


def test_schools_command(capsys):
    assert cli.main(["schools"]) == 0
    assert "3 school(s) valid" in capsys.readouterr().out


def test_bad_setting_is_a_clear_error(monkeypatch, capsys):
    monkeypatch.setenv("WEGWIJS_RETENTION_DAYS", "veel")
    assert cli.main(["retention"]) == 2
    assert "WEGWIJS_RETENTION_DAYS" in capsys.readouterr().err


def test_a_serving_rasa_uses_one_tensorflow_thread_per_pool_unless_told_otherwise(home, monkeypatch):
    keys = {"WEGWIJS_PORTAL_SECRET": "x" * 40, "WEGWIJS_RASA_JWT_SECRET": "t", "WEGWIJS_CHAT_SECRET": "c" * 40}
    monkeypatch.delenv("TF_INTER_OP_PARALLELISM_THREADS", raising=False)
    monkeypatch.setenv("TF_INTRA_OP_PARALLELISM_THREADS", "4")  # an operator's choice
    specs = {s.name: s for s in serve.services(home, "127.0.0.1", 5005, 5055, 8080, keys=keys)}
    assert specs["rasa"].env["TF_INTER_OP_PARALLELISM_THREADS"] == "1"
    assert specs["rasa"].env["TF_INTRA_OP_PARALLELISM_THREADS"] == "4"
    assert "TF_INTER_OP_PARALLELISM_THREADS" not in specs["actions"].env  # no TensorFlow there


def test_rasa_api_needs_a_jwt_and_the_portal_gets_its_secret(home):
    keys = {"WEGWIJS_PORTAL_SECRET": "s" * 10 + "abcdefghijklmnopqrstuvwxyz", "WEGWIJS_RASA_JWT_SECRET": "tok123",
            "WEGWIJS_CHAT_SECRET": "chat" * 10}
    specs = {s.name: s for s in serve.services(home, "127.0.0.1", 5005, 5055, 8080, portal_port=8090,
                                               keys=keys)}
    rasa = specs["rasa"].command
    # the secret in the environment, never on the command line (ps): issue 20, finding 6
    assert "--enable-api" in rasa and "tok123" not in " ".join(rasa) and "--jwt-secret" not in rasa
    assert specs["rasa"].env["WEGWIJS_RASA_JWT_SECRET"] == "tok123" and rasa[1:3] == ["-m", "wegwijs.rasa_run"]
    assert rasa[rasa.index("--jwt-method") + 1] == "HS256" and "--auth-token" not in rasa
    portal = specs["portal"]
    assert portal.env["WEGWIJS_RASA_JWT_SECRET"] == "tok123"
    assert portal.env["WEGWIJS_PORTAL_SECRET"] == keys["WEGWIJS_PORTAL_SECRET"]
    assert portal.env["WEGWIJS_RASA_URL"] == "http://127.0.0.1:5005"
    assert portal.ready_url == "http://127.0.0.1:8090/healthz"
    # the action server links mails to the portal
    assert specs["actions"].env["WEGWIJS_PORTAL_URL"].endswith(":8090")
    # the conversations' secrets: Rasa and the widget server share the key; the action server needs none
    assert specs["rasa"].env["WEGWIJS_CHAT_SECRET"] == specs["web"].env["WEGWIJS_CHAT_SECRET"] == "chat" * 10
    assert "WEGWIJS_CHAT_SECRET" not in specs["actions"].env and "WEGWIJS_CHAT_SECRET" not in portal.env


def test_secrets_are_made_once_and_private(tmp_path):
    first = serve.local_secrets(tmp_path, env={})
    second = serve.local_secrets(tmp_path, env={})
    assert first == second and len(first["WEGWIJS_PORTAL_SECRET"]) >= 32
    assert set(first) == {"WEGWIJS_PORTAL_SECRET", "WEGWIJS_RASA_JWT_SECRET", "WEGWIJS_CHAT_SECRET"}
    assert len({first[key] for key in first}) == 3 and len(first["WEGWIJS_CHAT_SECRET"]) >= 32
    assert (tmp_path / "var" / "secrets.env").stat().st_mode & 0o077 == 0
    assert serve.local_secrets(tmp_path, env={"WEGWIJS_RASA_JWT_SECRET": "given"})["WEGWIJS_RASA_JWT_SECRET"] == "given"


def test_db_command_upgrades_to_the_newest_revision(db_url, capsys):
    from alembic.script import ScriptDirectory

    from wegwijs.db import migrate

    head = ScriptDirectory.from_config(migrate.alembic_config(db_url)).get_current_head()
    assert head == "0009"  # 0009_staff_invitations (issue 16)
    assert cli.main(["db", "upgrade"]) == 0
    assert f"database revision: {head}" in capsys.readouterr().out


def test_migrations_go_down_and_up_again(db_url):
    import sqlalchemy as sa
    from alembic import command

    from wegwijs.db import migrate
    from wegwijs.db.engine import engine_for

    migrate.upgrade(db_url)
    command.downgrade(migrate.alembic_config(db_url), "0001")
    assert not sa.inspect(engine_for(db_url)).has_table("wegwijs_review_items")
    migrate.upgrade(db_url)
    assert sa.inspect(engine_for(db_url)).has_table("wegwijs_review_items")


def test_staff_add_refuses_a_short_password_and_an_unknown_school(db_url, monkeypatch, capsys):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("kort\n"))
    assert cli.main(["staff", "add", "--email", "a@b.example", "--school", "het-baken",
                     "--password-stdin"]) == 2
    assert "12 characters" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("een-lang-wachtwoord\n"))
    assert cli.main(["staff", "add", "--email", "a@b.example", "--school", "nergens",
                     "--password-stdin"]) == 2
    assert "unknown school" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("een-lang-wachtwoord\n"))
    assert cli.main(["staff", "add", "--email", "a@b.example", "--school", "het-baken",
                     "--roles", "zorgcoordinator", "--password-stdin"]) == 0
    assert cli.main(["staff", "list"]) == 0
    assert "a@b.example" in capsys.readouterr().out


def test_portal_refuses_to_start_with_a_default_secret(db_url, monkeypatch, capsys):
    monkeypatch.setenv("WEGWIJS_PORTAL_SECRET", "change-me")
    assert cli.main(["portal", "--port", "1"]) == 2
    assert "WEGWIJS_PORTAL_SECRET" in capsys.readouterr().err


def test_make_run_runs_a_periodic_task_while_it_waits(monkeypatch):
    from wegwijs import serve

    class Process:
        def __init__(self) -> None:
            self.polls = 0

        def poll(self):
            self.polls += 1
            return None if self.polls < 4 else 0  # stops after three seconds

    calls = []
    monkeypatch.setattr(serve.time, "sleep", lambda seconds: None)
    monkeypatch.setattr(serve, "stop", lambda processes: None)
    assert serve.run_until_stopped([Process()], "var/log/", every=(0, lambda: calls.append(1))) == 1
    assert len(calls) == 3  # retention (with scrubbing) runs while `make run` runs


def test_data_at_rest_is_for_the_owner_only(tmp_path):
    """Issue 20, finding 2: the database, its -wal/-shm files and the logs were mode 644 (any local user
    could read a parent's question); `make run` (wegwijs.serve.main) makes var/ private first."""
    import os
    import stat
    import subprocess
    import sys

    var = tmp_path / "var"
    (var / "log").mkdir(parents=True)
    for name in ("wegwijs.db", "wegwijs.db-wal", "wegwijs.db-shm", "log/rasa.log"):
        (var / name).write_text("x")
        (var / name).chmod(0o644)
    previous = os.umask(0o022)
    try:
        serve.private_var(tmp_path)
        # a process started afterwards (Rasa writing its -wal file, a new log) creates private files too
        subprocess.run([sys.executable, "-c", "open('var/log/new.log', 'w').write('x')"], cwd=tmp_path,
                       check=True)
    finally:
        os.umask(previous)
    for path in [var, *var.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode & 0o077 == 0, (path, oct(mode))


@pytest.mark.parametrize("secret", ["-starts-with-a-dash", "--jwt-method", "plain_secret"])
def test_rasa_reads_any_jwt_secret_also_one_that_looks_like_an_option(monkeypatch, secret):
    """secrets.token_urlsafe can begin with "-"; given as a separate argument, Rasa's parser took it for an
    option and Rasa did not start (about one start in 64)."""
    import sys

    import rasa.__main__

    from wegwijs import rasa_run

    seen = {}
    monkeypatch.setenv(rasa_run.SECRET_ENV, secret)
    monkeypatch.setattr(sys, "argv", ["wegwijs.rasa_run", "run", "--enable-api", "--jwt-method", "HS256"])
    monkeypatch.setattr(rasa.__main__, "main", lambda: seen.update(
        args=rasa.__main__.create_argument_parser().parse_args(sys.argv[1:])))
    rasa_run.main()
    assert seen["args"].jwt_secret == secret and seen["args"].jwt_method == "HS256"
