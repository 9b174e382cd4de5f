"""How `make run` starts processes, and the wegwijs command."""
from __future__ import annotations

from wegwijs import cli, serve


def test_action_server_is_bound_to_loopback_and_rasa_uses_our_files(home):
    specs = {s.name: s for s in serve.services(home, "127.0.0.1", 5005, 5055, 8080)}
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
