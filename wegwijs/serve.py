"""Start everything of the embedded setup on one machine and print the URLs (``make run``).

Processes: the action server (127.0.0.1 only: it has no authentication), the Rasa server with the REST
and socket.io channels and its HTTP API (JWT required), the staff portal, and a small web server for
the chat widget, its demo school pages and its API (``wegwijs web``). Ctrl-C stops them all. Each process's output goes to
``var/log/<name>.log``.

Secrets: the portal secret and the secret that signs JWTs for Rasa's HTTP API come from ``WEGWIJS_PORTAL_SECRET`` and
``WEGWIJS_RASA_JWT_SECRET``; when unset, random ones are made once and kept in ``var/secrets.env``
(readable by the owner only). The example schools get demo accounts, listed in ``var/demo-logins.txt``.
"""
from __future__ import annotations

import argparse
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

from wegwijs.training import MODEL_NAME, rasa_env


@dataclass
class Service:
    """One process to start, and the URL that answers when it is ready."""

    name: str
    command: List[str]
    ready_url: str
    env: Dict[str, str]


SECRETS_FILE = Path("var") / "secrets.env"
DEMO_LOGINS_FILE = Path("var") / "demo-logins.txt"


def _private_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)


def private_var(home: Path) -> None:
    """Data at rest for the owner only (issue 20, finding 2): ``var/`` (the SQLite database with parents'
    messages and password hashes, its ``-wal``/``-shm`` files, the logs, the secrets) becomes 0700 with
    its files 0600, and this process and every process it starts create files that way (umask 077)."""
    os.umask(0o077)
    var = home / "var"
    var.mkdir(parents=True, exist_ok=True)
    for path in [var, *var.rglob("*")]:
        if path.is_symlink():
            continue
        path.chmod(0o700 if path.is_dir() else 0o600)


#: the secrets of a stack: the portal's cookies, Rasa's HTTP API, the conversations' secrets and IP hashes
SECRET_NAMES = ("WEGWIJS_PORTAL_SECRET", "WEGWIJS_RASA_JWT_SECRET", "WEGWIJS_CHAT_SECRET")


def new_secrets() -> Dict[str, str]:
    """A fresh set of :data:`SECRET_NAMES` (for a stack that keeps nothing, such as a test's)."""
    return {key: secrets.token_urlsafe(48) for key in SECRET_NAMES}


def local_secrets(home: Path, env: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    """:data:`SECRET_NAMES`: from the environment, else made once in var/secrets.env."""
    env = dict(os.environ if env is None else env)
    path = home / SECRETS_FILE
    stored: Dict[str, str] = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            key, _, value = line.partition("=")
            if key and value:
                stored[key.strip()] = value.strip()
    changed = False
    for key in SECRET_NAMES:
        if env.get(key):
            continue
        if key not in stored:
            stored[key] = secrets.token_urlsafe(48)
            changed = True
    if changed:
        _private_write(path, "".join(f"{key}={value}\n" for key, value in stored.items()))
    return {key: env.get(key) or stored[key] for key in SECRET_NAMES}


def seed_schools() -> List[str]:
    """The schools of ``WEGWIJS_SCHOOLS_DIR`` (``schools/*.yml``) into a database without schools; the ids
    imported (none once the database has schools: from then on the database is the truth)."""
    from wegwijs.schools_store import seed_database
    from wegwijs.settings import Settings

    return seed_database(Settings.from_env().db_url)


def demo_logins(home: Path) -> str:
    """Make the example schools' demo accounts when missing; the lines of var/demo-logins.txt."""
    from wegwijs.db.engine import session_factory
    from wegwijs.schools_store import SchoolReader
    from wegwijs.settings import Settings
    from wegwijs.staff import demo_accounts, format_logins

    settings = Settings.from_env()
    path = home / DEMO_LOGINS_FILE
    with session_factory(settings.db_url)() as session, session.begin():
        made = demo_accounts(session, SchoolReader(settings.db_url))  # the schools in the database
    if made:
        old = path.read_text(encoding="utf-8") if path.exists() else ""
        _private_write(path, old + format_logins(made) + "\n")
    return path.read_text(encoding="utf-8").rstrip() if path.exists() else ""


#: TensorFlow's thread pools for a serving Rasa process (DIET classifies one short message at a time).
#: One thread each saves about 15 % CPU per message and lets several processes share the cores without
#: their pools competing (benchmarks/results/serving.md); an operator's own values win.
SERVING_THREADS = {"TF_INTER_OP_PARALLELISM_THREADS": "1", "TF_INTRA_OP_PARALLELISM_THREADS": "1"}


def serving_env(env: Dict[str, str]) -> Dict[str, str]:
    """``env`` for a serving Rasa process: :data:`SERVING_THREADS` unless ``env`` sets them."""
    return {**SERVING_THREADS, **env}


def rasa_command(home: Path, host: str, port: int, jwt_secret: str, endpoints: Optional[Path] = None,
                 origins: Optional[List[str]] = None, model: Optional[Path] = None) -> List[str]:
    """``rasa run`` as Wegwijs runs it: our channels, the HTTP API with JWTs only, CORS for the schools.

    ``origins`` defaults to the schools' websites and ``WEGWIJS_WIDGET_ORIGINS``.
    """
    if not jwt_secret:
        raise SystemExit("WEGWIJS_RASA_JWT_SECRET is needed: Rasa's HTTP API must not run without auth")
    if origins is None:
        from wegwijs.channels import allowed_origins
        from wegwijs.settings import Settings

        origins = allowed_origins(Settings.from_env())
    # the secret goes in the environment (rasa_env), never in the command line: wegwijs/rasa_run.py
    return [sys.executable, "-m", "wegwijs.rasa_run", "run",
            "--model", str(model or home / "models" / f"{MODEL_NAME}.tar.gz"),
            "--port", str(port), "--interface", host,
            "--endpoints", str(endpoints or home / "endpoints.yml"),
            "--credentials", str(home / "credentials.yml"),
            "--cors", *(origins or ["http://localhost"]),
            "--enable-api", "--jwt-method", "HS256"]


def with_jwt_secret(env: Dict[str, str], jwt_secret: str) -> Dict[str, str]:
    """``env`` for the Rasa process started by :func:`rasa_command`: with the JWT secret it reads."""
    from wegwijs.rasa_run import SECRET_ENV

    return {**env, SECRET_ENV: jwt_secret}


def actions_command(host: str, port: int) -> Tuple[List[str], Dict[str, str]]:
    """The action server and its environment; it has no authentication, so ``host`` is loopback or a
    private network address (rasa_sdk reads the address from ``SANIC_HOST``)."""
    return [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "-p", str(port)], {"SANIC_HOST": host}


def portal_service(host: str, port: int, env: Dict[str, str]) -> Service:
    """The staff portal (``wegwijs portal``) with ``env``."""
    return Service("portal", [sys.executable, "-m", "wegwijs.cli", "portal", "--host", host, "--port", str(port)],
                   f"http://127.0.0.1:{port}/healthz", env)


def web_service(host: str, port: int, env: Dict[str, str]) -> Service:
    """The widget server (``wegwijs web``) with ``env``."""
    return Service("web", [sys.executable, "-m", "wegwijs.cli", "web", "--host", host, "--port", str(port)],
                   f"http://127.0.0.1:{port}/privacy.html", env)


def portal_env(env: Dict[str, str], keys: Dict[str, str], rasa_url: str, portal_port: int,
               local: bool) -> Dict[str, str]:
    """``env`` with the portal's secrets, Rasa's API and its own URL (plain http cookies when ``local``)."""
    result = dict(env, WEGWIJS_PORTAL_SECRET=keys["WEGWIJS_PORTAL_SECRET"],
                  WEGWIJS_RASA_JWT_SECRET=keys["WEGWIJS_RASA_JWT_SECRET"], WEGWIJS_RASA_URL=rasa_url)
    result.setdefault("WEGWIJS_PORTAL_URL", f"http://localhost:{portal_port}")
    if local:
        # plain http on this machine only; behind TLS keep the default (Secure cookies)
        result.setdefault("WEGWIJS_PORTAL_SECURE_COOKIES", "false")
    return result


def services(home: Path, host: str, rasa_port: int, actions_port: int, web_port: int,
             endpoints: Optional[Path] = None, portal_port: Optional[int] = None,
             keys: Optional[Dict[str, str]] = None) -> List[Service]:
    """The processes of the embedded setup (the portal when ``portal_port`` is given)."""
    env = rasa_env()
    keys = keys or local_secrets(home)
    portal = []
    if portal_port:
        staff_env = portal_env(env, keys, f"http://127.0.0.1:{rasa_port}", portal_port,
                               local=host in ("127.0.0.1", "localhost"))
        # the widget snippet the portal shows for a school (docs/staff.md)
        staff_env.setdefault("WEGWIJS_PUBLIC_WIDGET_URL", f"http://localhost:{web_port}")
        staff_env.setdefault("WEGWIJS_PUBLIC_RASA_URL", f"http://localhost:{rasa_port}")
        env["WEGWIJS_PORTAL_URL"] = staff_env["WEGWIJS_PORTAL_URL"]
        # the widget snippet the portal shows for a school names the widget server and the chat
        staff_env.setdefault("WEGWIJS_PUBLIC_WIDGET_URL", f"http://localhost:{web_port}")
        staff_env.setdefault("WEGWIJS_PUBLIC_RASA_URL", f"http://localhost:{rasa_port}")
        portal = [portal_service(host, portal_port, staff_env)]
    # the demo school pages are on the web server: they may open the chat
    env.setdefault("WEGWIJS_WIDGET_ORIGINS", f"http://localhost:{web_port},http://127.0.0.1:{web_port}")
    web_env = dict(env, WEGWIJS_CHAT_SECRET=keys["WEGWIJS_CHAT_SECRET"])
    web_env.setdefault("WEGWIJS_PUBLIC_RASA_URL", f"http://localhost:{rasa_port}")
    from wegwijs.channels import allowed_origins
    from wegwijs.settings import Settings

    origins = allowed_origins(Settings.from_env(env))
    actions, actions_env = actions_command("127.0.0.1", actions_port)
    return [
        Service("actions", actions, f"http://127.0.0.1:{actions_port}/health", dict(env, **actions_env)),
        Service("rasa", rasa_command(home, host, rasa_port, keys["WEGWIJS_RASA_JWT_SECRET"], endpoints, origins),
                # answers once the model is loaded and conversations are stored in the database
                f"http://127.0.0.1:{rasa_port}/webhooks/rest/",
                with_jwt_secret(serving_env(dict(env, WEGWIJS_CHAT_SECRET=keys["WEGWIJS_CHAT_SECRET"])),
                                keys["WEGWIJS_RASA_JWT_SECRET"])),
        web_service(host, web_port, web_env),
    ] + portal


def free_port() -> int:
    """A free TCP port on loopback."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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


#: While `make run` runs, retention (and scrubbing idle conversations) runs this often, in seconds.
RETENTION_EVERY = 600


def run_retention(home: Path) -> None:
    """``wegwijs retention`` in its own process (its output goes to var/log/retention.log)."""
    log = home / "var" / "log" / "retention.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("a", encoding="utf-8") as out:
        subprocess.Popen([sys.executable, "-m", "wegwijs.cli", "retention"], cwd=home, stdout=out,
                         stderr=subprocess.STDOUT)


def run_until_stopped(processes: List[subprocess.Popen], logs: str,
                      cleanup: Optional[Callable[[], None]] = None,
                      every: Optional[Tuple[float, Callable[[], None]]] = None) -> int:
    """Wait until a process stops (1) or Ctrl-C (0); then stop them all (and run ``cleanup``).
    ``every``: (seconds, task) to run a task periodically meanwhile."""
    next_run = time.monotonic() + every[0] if every else None
    try:
        while all(process.poll() is None for process in processes):
            time.sleep(1)
            if every and next_run is not None and time.monotonic() >= next_run:
                every[1]()
                next_run = time.monotonic() + every[0]
        print(f"a process stopped; see {logs}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        stop(processes)
        if cleanup is not None:
            cleanup()


def main(argv: Optional[List[str]] = None) -> int:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=os.environ.get("WEGWIJS_HOST", "127.0.0.1"))
    parser.add_argument("--rasa-port", type=int, default=int(os.environ.get("RASA_PORT", 5005)))
    parser.add_argument("--actions-port", type=int, default=int(os.environ.get("ACTIONS_PORT", 5055)))
    parser.add_argument("--web-port", type=int, default=int(os.environ.get("WEB_PORT", 8080)))
    parser.add_argument("--portal-port", type=int, default=int(os.environ.get("PORTAL_PORT", 8090)))
    args = parser.parse_args(argv)
    home = Path.cwd()
    # `kill`, docker stop and systemd send SIGTERM: stop the children too, as Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    private_var(home)
    from wegwijs.db import migrate
    from wegwijs.settings import Settings

    migrate.upgrade(Settings.from_env().db_url)
    seeded = seed_schools()
    if seeded:
        print(f"schools imported from schools/*.yml into the empty database: {', '.join(seeded)}")
    logins = demo_logins(home)
    print("starting the action server, Rasa, the portal and the web server (about a minute) …")
    processes = start(home, services(home, args.host, args.rasa_port, args.actions_port, args.web_port,
                                     portal_port=args.portal_port), home / "var" / "log")
    from wegwijs.schools_store import SchoolReader
    school_ids = SchoolReader(Settings.from_env().db_url).ids()
    school = (school_ids or ["<school id>"])[0]
    demo_pages = "\n".join(f"    http://localhost:{args.web_port}/demo/{school_id}/" for school_id in school_ids)
    print(f"""
Wegwijs is running.
  Chat (REST):       http://localhost:{args.rasa_port}/webhooks/rest/webhook
  Chat (socket.io):  http://localhost:{args.rasa_port}/socket.io
  Demo school pages with the chat widget:
{demo_pages}
  Privacy text:      http://localhost:{args.web_port}/privacy.html
  Staff portal:      http://localhost:{args.portal_port}/login
    demo logins (school, e-mail, password; also in var/demo-logins.txt):
{logins}
  Action server:     http://127.0.0.1:{args.actions_port}/health
  Try (a new conversation, then a message with its secret; README "Try it"):
    curl -s -X POST localhost:{args.rasa_port}/webhooks/rest/conversations
    curl -s localhost:{args.rasa_port}/webhooks/rest/webhook -H "X-Wegwijs-Secret: <secret>" \\
         -d '{{"sender":"<sender>","message":"hoi","metadata":{{"school_id":"{school}"}}}}'
  Logs: var/log/. Stop with Ctrl-C.""", flush=True)
    return run_until_stopped(processes, "var/log/", every=(RETENTION_EVERY, lambda: run_retention(home)))


if __name__ == "__main__":
    sys.exit(main())
