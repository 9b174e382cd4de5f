"""Helpers shared by the tests that start real processes (not a test module)."""
from __future__ import annotations

import shutil
from pathlib import Path

import sqlalchemy as sa
import yaml

from wegwijs.serve import free_port  # noqa: F401 - the tests import it from here

#: Debian's chromium (installed by .ci/run), with the flags a closed network and root need.
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def endpoints_for(home: Path, folder: Path, actions_port: int) -> Path:
    """A copy of endpoints.yml in ``folder`` that points Rasa at the action server on ``actions_port``."""
    config = yaml.safe_load((home / "endpoints.yml").read_text())
    config["action_endpoint"]["url"] = f"http://127.0.0.1:{actions_port}/webhook"
    path = folder / "endpoints.yml"
    path.write_text(yaml.safe_dump(config))
    return path


def create_events_table(db_url: str) -> None:
    """Rasa's ``events`` table, for tests that write tracker rows by hand."""
    from wegwijs.db.engine import engine_for

    with engine_for(db_url).begin() as connection:
        connection.execute(sa.text(
            "CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255), "
            "type_name VARCHAR(255), timestamp REAL, intent_name VARCHAR(255), "
            "action_name VARCHAR(255), data TEXT)"))


class RedisServer:
    """A real redis-server on a free loopback port, without persistence (Debian's redis-server)."""

    def __init__(self, folder: Path) -> None:
        import subprocess

        from wegwijs import scale

        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = subprocess.Popen(scale.redis_command(folder, self.port), stdout=subprocess.DEVNULL,
                                        stderr=subprocess.STDOUT)
        try:
            scale.wait_redis(self.url, self.process)
        except RuntimeError:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop the server (its data is gone: nothing was persisted)."""
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
