"""Start everything of the embedded setup on one machine and print the URLs (``make run``).

Processes: the action server (127.0.0.1 only: it has no authentication), the Rasa server with the REST
and socket.io channels, and a small web server for the privacy text and (later) the widget pages.
Ctrl-C stops them all. Each process's output goes to ``var/log/<name>.log``.
"""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional

from wegwijs.training import MODEL_NAME, rasa_env


@dataclass
class Service:
    """One process to start, and the URL that answers when it is ready."""

    name: str
    command: List[str]
    ready_url: str
    env: Dict[str, str]


def services(home: Path, host: str, rasa_port: int, actions_port: int, web_port: int,
             endpoints: Optional[Path] = None) -> List[Service]:
    """The processes of the embedded setup."""
    env = rasa_env()
    env["SANIC_HOST"] = "127.0.0.1"
    model = home / "models" / f"{MODEL_NAME}.tar.gz"
    return [
        Service("actions",
                [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "-p", str(actions_port)],
                f"http://127.0.0.1:{actions_port}/health", env),
        Service("rasa",
                [sys.executable, "-m", "rasa", "run", "--model", str(model), "--port", str(rasa_port),
                 "--interface", host, "--endpoints", str(endpoints or home / "endpoints.yml"),
                 "--credentials", str(home / "credentials.yml"), "--cors", "*"],
                f"http://127.0.0.1:{rasa_port}/", env),
        Service("web",
                [sys.executable, "-m", "http.server", str(web_port), "--bind", host,
                 "--directory", str(home / "widget")],
                f"http://127.0.0.1:{web_port}/privacy.html", env),
    ]


def wait_ready(url: str, process: subprocess.Popen, timeout: float) -> bool:
    """Poll ``url`` until it answers, the process dies, or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status < 500:
                    return True
        except OSError:
            pass
        time.sleep(0.5)
    return False


def start(home: Path, specs: List[Service], log_dir: Path, timeout: float = 180) -> List[subprocess.Popen]:
    """Start ``specs`` in order, each ready before the next; stop all and raise if one fails."""
    log_dir.mkdir(parents=True, exist_ok=True)
    started: List[subprocess.Popen] = []
    for spec in specs:
        log = open(log_dir / f"{spec.name}.log", "ab")
        process = subprocess.Popen(spec.command, cwd=home, env=spec.env, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        started.append(process)
        if not wait_ready(spec.ready_url, process, timeout):
            stop(started)
            raise RuntimeError(f"{spec.name} did not start; see {log_dir / (spec.name + '.log')}")
    return started


def stop(processes: List[subprocess.Popen]) -> None:
    """Stop processes (and their children), politely first."""
    for process in reversed(processes):
        if process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    for process in processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def main(argv: Optional[List[str]] = None) -> int:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=os.environ.get("WEGWIJS_HOST", "127.0.0.1"))
    parser.add_argument("--rasa-port", type=int, default=int(os.environ.get("RASA_PORT", 5005)))
    parser.add_argument("--actions-port", type=int, default=int(os.environ.get("ACTIONS_PORT", 5055)))
    parser.add_argument("--web-port", type=int, default=int(os.environ.get("WEB_PORT", 8080)))
    args = parser.parse_args(argv)
    home = Path.cwd()
    # `kill`, docker stop and systemd send SIGTERM: stop the children too, as Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    print("starting the action server, Rasa and the web server (this takes about a minute) …")
    processes = start(home, services(home, args.host, args.rasa_port, args.actions_port, args.web_port),
                      home / "var" / "log")
    from wegwijs.schools import SchoolRegistry
    school = (SchoolRegistry.from_directory(home / "schools").ids() or ["<school id>"])[0]
    print(f"""
Wegwijs is running.
  Chat (REST):       http://localhost:{args.rasa_port}/webhooks/rest/webhook
  Chat (socket.io):  http://localhost:{args.rasa_port}/socket.io
  Privacy text:      http://localhost:{args.web_port}/privacy.html
  Action server:     http://127.0.0.1:{args.actions_port}/health
  Try: curl -s localhost:{args.rasa_port}/webhooks/rest/webhook \\
         -d '{{"sender":"t1","message":"hoi","metadata":{{"school_id":"{school}"}}}}'
  Logs: var/log/. Stop with Ctrl-C.""", flush=True)
    try:
        while all(process.poll() is None for process in processes):
            time.sleep(1)
        print("a process stopped; see var/log/", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        stop(processes)


if __name__ == "__main__":
    sys.exit(main())
