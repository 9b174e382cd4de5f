"""The scale-out topology on one machine, with real processes (``make scale``; docs/scale-out.md).

PostgreSQL (tracker store and our tables) and Redis (lock store, socket.io between processes, rate
limits), N action servers and N Rasa processes (Rasa i uses action server i), nginx in front of the Rasa
processes, the staff portal and the widget server. PostgreSQL and Redis are started here from Debian's
packages unless ``WEGWIJS_DB_URL`` (postgresql://…) and ``WEGWIJS_REDIS_URL`` are given.

nginx forwards only the chat: ``/webhooks/rest/`` round robin (the state is in PostgreSQL, and the
Redis lock serialises one conversation), ``/socket.io/`` with ``ip_hash`` (socket.io's long-polling
needs every request of a session at the same process). Rasa's HTTP API stays on loopback, for the
portal. A staff reply sent through any Rasa process reaches the parent's socket through Redis.
"""
from __future__ import annotations

import argparse
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

import yaml

from wegwijs import serve
from wegwijs.training import rasa_env

NGINX_CONF = """# made by wegwijs.scale; local scale-out topology
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
{user}
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {folder}/tmp/body;
    proxy_temp_path {folder}/tmp/proxy;
    fastcgi_temp_path {folder}/tmp/fastcgi;
    uwsgi_temp_path {folder}/tmp/uwsgi;
    scgi_temp_path {folder}/tmp/scgi;
    client_max_body_size 64k;
    server_tokens off;
    upstream rasa_rest {{
{rest_servers}
    }}
    upstream rasa_socketio {{
        ip_hash;
{socket_servers}
    }}
    map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
    server {{
        listen 127.0.0.1:{port};
        proxy_set_header Host $host;
        proxy_set_header X-Forwarded-For $remote_addr;
        proxy_set_header X-Forwarded-Proto $scheme;
        location = /webhooks/rest/webhook {{ proxy_pass http://rasa_rest; }}
        location = /webhooks/rest/conversations {{ proxy_pass http://rasa_rest; }}
        location = /webhooks/rest/ {{ proxy_pass http://rasa_rest; }}
        location /socket.io/ {{
            proxy_pass http://rasa_socketio;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_read_timeout 120s;
        }}
        location / {{ return 404; }}
    }}
}}
"""


@dataclass
class Topology:
    """Where everything of one scale-out run lives and listens."""

    home: Path
    folder: Path
    rasa_ports: List[int]
    actions_ports: List[int]
    proxy_port: int
    portal_port: int
    web_port: int
    db_url: str = ""
    redis_url: str = ""
    processes: Dict[str, subprocess.Popen] = field(default_factory=dict)
    specs: Dict[str, serve.Service] = field(default_factory=dict)


def _binary(name: str) -> str:
    found = (shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
             or next(iter(sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True)), None))
    if not found:
        raise SystemExit(f"{name} is needed (Debian: apt-get install postgresql redis-server nginx-light)")
    return str(found)


def _as_postgres(command: List[str]) -> List[str]:
    """PostgreSQL refuses to run as root: run it as the ``postgres`` user then."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


class Postgres:
    """A throw-away PostgreSQL cluster on loopback (trust authentication: for this machine only)."""

    def __init__(self, data: Path, port: int) -> None:
        self.data, self.port = data, port
        self.url = f"postgresql://postgres@127.0.0.1:{port}/wegwijs"

    def init(self) -> None:
        """Create the cluster and the ``wegwijs`` database when they do not exist yet."""
        if not (self.data / "PG_VERSION").exists():
            self.data.mkdir(parents=True, exist_ok=True)
            if os.geteuid() == 0:
                user = pwd.getpwnam("postgres")
                os.chown(self.data, user.pw_uid, user.pw_gid)
            os.chmod(self.data, 0o700)
            subprocess.run(_as_postgres([_binary("initdb"), "-D", str(self.data), "-U", "postgres",
                                         "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"]),
                           check=True, stdout=subprocess.DEVNULL)
        self.start()
        exists = subprocess.run([_binary("psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                                 "-tAc", "SELECT 1 FROM pg_database WHERE datname = 'wegwijs'"],
                                capture_output=True, text=True, check=True).stdout.strip()
        if exists != "1":
            subprocess.run([_binary("psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                            "-c", "CREATE DATABASE wegwijs"], check=True, stdout=subprocess.DEVNULL)

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''"
        subprocess.run(_as_postgres([_binary("pg_ctl"), "-D", str(self.data), "-o", options, "-w",
                                     "-l", str(self.data / "server.log"), "start"]),
                       check=True, stdout=subprocess.DEVNULL)

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (``immediate`` is a crash)."""
        subprocess.run(_as_postgres([_binary("pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"]),
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def redis_command(folder: Path, port: int) -> List[str]:
    """redis-server on loopback without persistence (locks and counters need none)."""
    folder.mkdir(parents=True, exist_ok=True)
    return [_binary("redis-server"), "--port", str(port), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "no", "--dir", str(folder)]


def nginx_config(topology: Topology) -> Path:
    """Write nginx.conf for ``topology``; its path."""
    folder = topology.folder / "nginx"
    for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (folder / "tmp" / name).mkdir(parents=True, exist_ok=True)
    user = ""
    if os.geteuid() == 0:  # nginx's workers drop to nobody: they need the temporary folders
        nobody = pwd.getpwnam("nobody")
        for path in [folder / "tmp", *(folder / "tmp").iterdir()]:
            os.chown(path, nobody.pw_uid, nobody.pw_gid)
        user = "user nobody nogroup;"
    servers = "\n".join(f"        server 127.0.0.1:{port} max_fails=1 fail_timeout=5s;"
                        for port in topology.rasa_ports)
    path = folder / "nginx.conf"
    path.write_text(NGINX_CONF.format(folder=folder, user=user, rest_servers=servers,
                                      socket_servers=servers, port=topology.proxy_port), encoding="utf-8")
    return path


def endpoints_file(topology: Topology, index: int) -> Path:
    """endpoints.yml for Rasa process ``index``: its own action server, our stores."""
    config = yaml.safe_load((topology.home / "endpoints.yml").read_text(encoding="utf-8"))
    config["action_endpoint"]["url"] = f"http://127.0.0.1:{topology.actions_ports[index]}/webhook"
    path = topology.folder / f"endpoints-{index + 1}.yml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def plan(topology: Topology, keys: Dict[str, str]) -> List[serve.Service]:
    """The processes after PostgreSQL and Redis, in start order."""
    env = rasa_env()
    env.update(WEGWIJS_DB_URL=topology.db_url, WEGWIJS_REDIS_URL=topology.redis_url)
    env.setdefault("WEGWIJS_WIDGET_ORIGINS", f"http://localhost:{topology.web_port},"
                                             f"http://127.0.0.1:{topology.web_port}")
    from wegwijs.channels import allowed_origins
    from wegwijs.settings import Settings

    origins = allowed_origins(Settings.from_env(env))
    specs: List[serve.Service] = []
    for index, port in enumerate(topology.actions_ports):
        command, extra = serve.actions_command("127.0.0.1", port)
        specs.append(serve.Service(f"actions-{index + 1}", command, f"http://127.0.0.1:{port}/health",
                                   dict(env, **extra)))
    # the parent's address from nginx's X-Forwarded-For
    rasa_env_ = serve.serving_env(dict(env, SANIC_PROXIES_COUNT="1",
                                       WEGWIJS_CHAT_SECRET=keys["WEGWIJS_CHAT_SECRET"]))
    for index, port in enumerate(topology.rasa_ports):
        specs.append(serve.Service(
            f"rasa-{index + 1}",
            serve.rasa_command(topology.home, "127.0.0.1", port, keys["WEGWIJS_RASA_JWT_SECRET"],
                               endpoints_file(topology, index), origins),
            f"http://127.0.0.1:{port}/webhooks/rest/",
            serve.with_jwt_secret(rasa_env_, keys["WEGWIJS_RASA_JWT_SECRET"])))
    specs.append(serve.Service("nginx", [_binary("nginx"), "-c", str(nginx_config(topology)),
                                         "-e", str(topology.folder / "nginx" / "error.log"),
                                         "-g", "daemon off;"],
                               f"http://127.0.0.1:{topology.proxy_port}/webhooks/rest/", env))
    specs.append(serve.portal_service("127.0.0.1", topology.portal_port, serve.portal_env(
        env, keys, f"http://127.0.0.1:{topology.rasa_ports[0]}", topology.portal_port, local=True)))
    specs.append(serve.web_service("127.0.0.1", topology.web_port, dict(
        env, WEGWIJS_PUBLIC_RASA_URL=f"http://localhost:{topology.proxy_port}",
        WEGWIJS_CHAT_SECRET=keys["WEGWIJS_CHAT_SECRET"])))
    return specs


def wait_redis(url: str, process: subprocess.Popen, timeout: float = 20) -> None:
    """Wait until Redis answers PING."""
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=1)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if client.ping():
                return
        except redis.RedisError:
            time.sleep(0.1)
    raise RuntimeError("redis-server did not start")


def start_redis(topology: Topology) -> None:
    """Start (or start again) the Redis of ``topology``."""
    port = int(topology.redis_url.rsplit(":", 1)[1].split("/")[0])
    with open(topology.folder / "redis.log", "ab") as log:
        process = subprocess.Popen(redis_command(topology.folder / "redis", port), stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    topology.processes["redis"] = process
    wait_redis(topology.redis_url, process)


def up(topology: Topology, keys: Dict[str, str], postgres: Optional[Postgres]) -> None:
    """Start everything of ``topology`` (PostgreSQL first, when it is ours)."""
    from wegwijs.db import migrate

    topology.folder.mkdir(parents=True, exist_ok=True)
    if postgres is not None:
        postgres.init()
        topology.db_url = postgres.url
    if not topology.redis_url:
        topology.redis_url = f"redis://127.0.0.1:{serve.free_port()}/0"
        start_redis(topology)
    migrate.upgrade(topology.db_url)
    from wegwijs.schools_store import seed_database

    seed_database(topology.db_url, topology.home / "schools")  # the example schools, when none exist yet
    for spec in plan(topology, keys):
        topology.specs[spec.name] = spec
        topology.processes[spec.name] = serve.start(topology.home, [spec], topology.folder / "log",
                                                     timeout=300)[0]


def down(topology: Topology, postgres: Optional[Postgres]) -> None:
    """Stop every process of ``topology``, then PostgreSQL when it is ours."""
    serve.stop(list(topology.processes.values()))
    topology.processes.clear()
    if postgres is not None:
        postgres.stop()


def main(argv: Optional[List[str]] = None) -> int:
    """Command line (``make scale``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=2, help="Rasa processes (and action servers)")
    parser.add_argument("--port", type=int, default=8000, help="nginx: the chat for parents")
    parser.add_argument("--rasa-port", type=int, default=5105, help="first Rasa process (loopback)")
    parser.add_argument("--actions-port", type=int, default=5155, help="first action server (loopback)")
    parser.add_argument("--portal-port", type=int, default=8090)
    parser.add_argument("--web-port", type=int, default=8080)
    parser.add_argument("--postgres-port", type=int, default=5433)
    args = parser.parse_args(argv)
    if args.processes < 1:
        parser.error("--processes must be at least 1")
    home = Path.cwd()
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    folder = home / "var" / "scale"
    db_url = os.environ.get("WEGWIJS_DB_URL", "")
    postgres = None
    if not db_url.startswith("postgresql"):
        # PostgreSQL runs as the postgres user when we are root: its folder must be reachable for it
        data = folder / "pg" if os.geteuid() != 0 else Path(tempfile.gettempdir()) / "wegwijs-scale-pg"
        postgres = Postgres(data, args.postgres_port)
    topology = Topology(home, folder, [args.rasa_port + i for i in range(args.processes)],
                        [args.actions_port + i for i in range(args.processes)], args.port,
                        args.portal_port, args.web_port, db_url=db_url,
                        redis_url=os.environ.get("WEGWIJS_REDIS_URL", ""))
    keys = serve.local_secrets(home)
    print(f"starting PostgreSQL, Redis, {args.processes} action servers, {args.processes} Rasa processes, "
          "nginx, the portal and the web server …", flush=True)
    try:
        up(topology, keys, postgres)
    except BaseException as error:  # Ctrl-C or a failure while starting: stop what runs
        down(topology, postgres)
        if isinstance(error, KeyboardInterrupt):
            return 0
        raise
    rasa_lines = "\n".join(f"    rasa-{i + 1}: http://127.0.0.1:{port}  (loopback: HTTP API for the portal)"
                           for i, port in enumerate(topology.rasa_ports))
    print(f"""
Wegwijs runs scaled out.
  Chat through nginx:  http://localhost:{args.port}/webhooks/rest/webhook and /socket.io/
  Demo school pages:   http://localhost:{args.web_port}/demo/
  Staff portal:        http://localhost:{args.portal_port}/login (logins: var/demo-logins.txt, `make run` makes them)
  Rasa processes:
{rasa_lines}
  PostgreSQL:          {topology.db_url.split('@')[-1]}
  Redis:               {topology.redis_url}
  Logs: var/scale/log/. Stop with Ctrl-C.""", flush=True)
    return serve.run_until_stopped(list(topology.processes.values()), "var/scale/log/",
                                   cleanup=lambda: down(topology, postgres))


if __name__ == "__main__":
    sys.exit(main())
