"""How fast does Wegwijs answer? Wegwijs against Rasa's own ``rasa init`` bot, same run, same machine.

Both bots are started as real servers and spoken to through Rasa's REST channel
(``POST /webhooks/rest/webhook``), one after the other so they never share the CPU:

* baseline: ``rasa init --no-prompt`` in a temporary folder (its training time is recorded), then
  ``rasa run --enable-api`` on its model with its default credentials (REST) and the in-memory
  tracker store;
* Wegwijs: the action server and Rasa as ``wegwijs.serve.services()`` / ``start()`` start them
  (SQL tracker store, by default on a fresh temporary SQLite database brought to the newest
  migration first; ``--db-url`` for another database, e.g. PostgreSQL, which the caller creates),
  with the rate limits switched off. The portal and the web server are not started.

Measured for each bot: reply latency (p50/p95/p99) and messages per second at 1, 8 and 32 concurrent
conversations (each conversation sends its messages one after the other, after a warm-up); one
conversation of 200 turns (latency per turn and its least-squares slope in ms per turn, with the
Theil–Sen slope and the slope of the servers' CPU time per turn, which other processes on the
machine disturb less); server start time (process start until ``GET /`` answers); memory (VmRSS of
each process and its children, after the load); CPU milliseconds per message of each server process
and of this client, and how many cores other processes used meanwhile (a shared machine makes the
latencies noisy; CPU per message hardly changes). For Wegwijs only: a second Rasa process on the
same database and action server, with the 8-concurrent load split over both (each conversation
sticks to one process), against one process measured right before. Training time: the baseline's
always; Wegwijs's only with ``--train`` (about 20 minutes; trained into a temporary folder,
models/wegwijs.tar.gz is never touched).

Every figure is printed with its ratio to the baseline, and the targets are checked (PASS/FAIL,
never failing the program). Errors (non-200 answers, timeouts, refused connections) are counted and
shown, and so are "database is locked", ERROR and Traceback lines in the servers' logs; latencies
and messages per second count the successful messages only.

Run: ``python benchmarks/serving.py`` (defaults: about 5 minutes on 2 cores, one of them the
baseline's training), or a quick run with ``--sequential-messages 60 --concurrent-messages 120
--long-turns 100`` (about 3.5 minutes). PostgreSQL: ``--db-url postgresql://user@host:5432/db``.
Writes benchmarks/results/serving.json and benchmarks/results/serving.md.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence

import requests
import yaml

HOME = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(HOME))

from wegwijs import serve  # noqa: E402
from wegwijs.training import MODEL_NAME, rasa_env  # noqa: E402

RESULTS = HOME / "benchmarks" / "results"
SCHOOL_ID = "het-baken"
REST_PATH = "/webhooks/rest/webhook"

#: Dutch parent questions (no crisis texts, nothing that starts the handover form).
DUTCH_QUESTIONS: List[str] = [
    "wie is de mentor van mijn dochter en hoe bereik ik die?",
    "wat doet een intern begeleider eigenlijk?",
    "wie is de intern begeleider op deze school?",
    "mijn kind heeft extra ondersteuning nodig, waar begin ik?",
    "wat is een opp?",
    "moet ik instemmen met het ontwikkelingsperspectief van mijn zoon?",
    "wat is een toelaatbaarheidsverklaring?",
    "hoe vraagt school een tlv aan voor het speciaal onderwijs?",
    "kan ik bezwaar maken tegen een tlv?",
    "vanaf welke leeftijd is mijn kind leerplichtig?",
    "wat doet de leerplichtambtenaar?",
    "mijn zoon verzuimt veel, wat gebeurt er dan?",
    "kan mijn kind vrijstelling van de leerplicht krijgen?",
    "wat is de jgz?",
    "wanneer ziet de jeugdarts mijn kind?",
    "wat doet het wijkteam?",
    "hoe krijg ik hulp van het wijkteam?",
    "wat is het ondersteuningsteam op school?",
    "wie is de zorgcoördinator?",
    "is er een schoolmaatschappelijk werker?",
    "wat houdt de zorgplicht van de school in?",
    "mijn dochter zit al weken thuis zonder school, wat nu?",
    "wat is een samenwerkingsverband?",
    "kost jeugdhulp geld?",
    "mag school informatie over mijn kind delen met het wijkteam?",
    "wat doet een onderwijsconsulent?",
]
DUTCH_GREETINGS: List[str] = ["hoi", "goedemorgen", "hallo, ik heb een vraag over mijn zoon"]
DUTCH_THANKS: List[str] = ["dank je wel", "bedankt voor de uitleg"]

#: Conversations along the ``rasa init`` bot's own stories and rules (greet, mood, "did that help?",
#: bot challenge, goodbye), so that every message gets a reply, as every Wegwijs message does.
BASELINE_SCRIPTS: List[List[str]] = [
    ["hello", "I am sad", "yes", "are you a bot?", "hi", "my day was horrible", "no", "goodbye"],
    ["good morning", "I am feeling very good", "are you a human?", "hey", "I don't feel very well", "of course",
     "are you a bot?", "bye"],
    ["hi", "I am disappointed", "not really", "hello there", "great", "are you a bot?", "good evening",
     "see you around"],
]

CONVERSATION_LENGTH = 8


# ---------------------------------------------------------------------------------------------
# Conversations


def wegwijs_conversation(index: int) -> List[str]:
    """The ``index``-th Wegwijs conversation: a greeting, four questions, "ja", "nee", thanks."""
    questions = [DUTCH_QUESTIONS[(4 * index + k) % len(DUTCH_QUESTIONS)] for k in range(4)]
    return [DUTCH_GREETINGS[index % len(DUTCH_GREETINGS)], questions[0], "ja", questions[1], "nee",
            questions[2], questions[3], DUTCH_THANKS[index % len(DUTCH_THANKS)]]


def baseline_conversation(index: int) -> List[str]:
    """The ``index``-th baseline conversation, of the same length as Wegwijs's."""
    return list(BASELINE_SCRIPTS[index % len(BASELINE_SCRIPTS)])


def long_conversation(conversation: Callable[[int], List[str]], turns: int) -> List[str]:
    """``turns`` messages: conversations 0, 1, 2 … one after the other, as one conversation."""
    messages: List[str] = []
    index = 0
    while len(messages) < turns:
        messages += conversation(index)
        index += 1
    return messages[:turns]


def new_conversation_id() -> str:
    """32 random hex characters (Wegwijs refuses short or guessable ids)."""
    return uuid.uuid4().hex


# ---------------------------------------------------------------------------------------------
# The client


@dataclass
class Bot:
    """How to talk to one bot."""

    name: str
    conversation: Callable[[int], List[str]]
    metadata: Optional[Dict[str, str]] = None

    def body(self, sender: str, text: str) -> Dict:
        """The JSON body of one REST message."""
        body: Dict = {"sender": sender, "message": text}
        if self.metadata is not None:
            body["metadata"] = dict(self.metadata)
        return body


@dataclass
class Outcome:
    """One message sent: its latency, and what went wrong if anything."""

    latency_ms: float
    error: Optional[str] = None
    replies: int = 0


#: the conversation keys of the Wegwijs stack this benchmark started (its senders need their secrets)
CHAT_KEYS: Dict[str, Any] = {}


def send(session: requests.Session, url: str, body: Dict, timeout: float) -> Outcome:
    """POST one message; an error is the HTTP status, ``timeout`` or the exception's class name."""
    from wegwijs.chat_guard import SECRET_HEADER

    keys = CHAT_KEYS.get("keys")
    headers = {SECRET_HEADER: keys.secret(body["sender"])} if keys else {}
    started = time.perf_counter()
    try:
        response = session.post(url, json=body, timeout=timeout, headers=headers)
        latency = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            return Outcome(latency, f"HTTP {response.status_code}")
        try:
            replies = response.json()
        except ValueError:
            return Outcome(latency, "invalid JSON")
        return Outcome(latency, None, len(replies) if isinstance(replies, list) else 0)
    except requests.Timeout:
        return Outcome((time.perf_counter() - started) * 1000, "timeout")
    except requests.RequestException as error:
        return Outcome((time.perf_counter() - started) * 1000, type(error).__name__)


def percentile(values: Sequence[float], share: float) -> float:
    """The ``share`` (0–1) percentile, linear between the closest ranks (numpy's default); NaN when empty."""
    import numpy as np

    return float(np.percentile(values, share * 100)) if len(values) else float("nan")


def _points(values: Sequence[float]):
    import numpy as np

    y = np.asarray(values, dtype=float)
    x = np.arange(len(y), dtype=float)
    keep = ~np.isnan(y)  # failed turns
    return x[keep], y[keep]


def slope(values: Sequence[float]) -> float:
    """Least-squares slope of ``values`` against their index (the turn), skipping NaN (failed turns)."""
    import numpy as np

    x, y = _points(values)
    return float(np.polyfit(x, y, 1)[0]) if len(x) >= 2 else float("nan")


def median_slope(values: Sequence[float]) -> float:
    """Theil–Sen slope: the median of the slopes between all pairs of turns (NaN turns skipped)."""
    from scipy.stats import theilslopes

    x, y = _points(values)
    return float(theilslopes(y, x)[0]) if len(x) >= 2 else float("nan")


@dataclass
class LoadResult:
    """Figures of one load run."""

    concurrency: int
    processes: int
    messages: int
    ok: int
    seconds: float
    messages_per_second: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    mean_ms: float
    errors: Dict[str, int]
    empty_replies: int
    cpu_ms_per_message: Dict[str, float] = field(default_factory=dict)
    other_cpu_cores: float = float("nan")


def summarize(outcomes: List[Outcome], concurrency: int, processes: int, seconds: float) -> LoadResult:
    """Percentiles and rate over the successful messages; errors counted by kind."""
    good = [o.latency_ms for o in outcomes if o.error is None]
    errors: Dict[str, int] = {}
    for outcome in outcomes:
        if outcome.error is not None:
            errors[outcome.error] = errors.get(outcome.error, 0) + 1
    return LoadResult(
        concurrency=concurrency, processes=processes, messages=len(outcomes), ok=len(good),
        seconds=round(seconds, 3), messages_per_second=len(good) / seconds if seconds > 0 else float("nan"),
        p50_ms=percentile(good, 0.50), p95_ms=percentile(good, 0.95), p99_ms=percentile(good, 0.99),
        mean_ms=sum(good) / len(good) if good else float("nan"), errors=errors,
        empty_replies=sum(1 for o in outcomes if o.error is None and o.replies == 0))


class MessageBudget:
    """A thread-safe count of the messages still to send, and conversation numbers to hand out."""

    def __init__(self, messages: int, first_conversation: int) -> None:
        self._left = messages
        self._next_conversation = first_conversation
        self._lock = threading.Lock()
        self.stopped = threading.Event()

    def take(self) -> bool:
        """Claim one message; False when the budget is spent or the run was stopped."""
        with self._lock:
            if self._left <= 0 or self.stopped.is_set():
                return False
            self._left -= 1
            return True

    def conversation(self) -> int:
        """The number of the next new conversation."""
        with self._lock:
            self._next_conversation += 1
            return self._next_conversation - 1


def worker(bot: Bot, url: str, budget: MessageBudget, timeout: float) -> List[Outcome]:
    """Send whole conversations to ``url`` (one message after the other) until the budget is spent."""
    outcomes: List[Outcome] = []
    with requests.Session() as session:
        while True:
            sender = new_conversation_id()
            for text in bot.conversation(budget.conversation()):
                if not budget.take():
                    return outcomes
                outcomes.append(send(session, url, bot.body(sender, text), timeout))


def run_load(bot: Bot, urls: List[str], concurrency: int, messages: int, timeout: float,
             first_conversation: int = 0, pids: Optional[Dict[str, int]] = None) -> LoadResult:
    """``concurrency`` conversations at a time, worker k always on ``urls[k % len(urls)]``.

    With ``pids`` (name to process id), the CPU time each server process and this client spent per
    message is recorded too.
    """
    budget = MessageBudget(messages, first_conversation)
    executor = ThreadPoolExecutor(max_workers=concurrency)
    cpu_before = {name: cpu_seconds(pid) for name, pid in (pids or {}).items()}
    client_before = time.process_time()
    machine_before = machine_busy_seconds()
    started = time.perf_counter()
    try:
        futures = [executor.submit(worker, bot, urls[k % len(urls)], budget, timeout)
                   for k in range(concurrency)]
        outcomes = [outcome for future in futures for outcome in future.result()]
    finally:
        budget.stopped.set()
        executor.shutdown(wait=False, cancel_futures=True)
    result = summarize(outcomes, concurrency, len(urls), time.perf_counter() - started)
    if pids and outcomes:
        spent = {name: cpu_seconds(pid) - cpu_before[name] for name, pid in pids.items()}
        spent["client"] = time.process_time() - client_before
        result.cpu_ms_per_message = {name: 1000 * value / len(outcomes) for name, value in spent.items()}
        others = machine_busy_seconds() - machine_before - sum(spent.values())
        result.other_cpu_cores = max(0.0, others) / result.seconds if result.seconds > 0 else float("nan")
    return result


def warm_up(bot: Bot, urls: List[str], messages: int, timeout: float) -> LoadResult:
    """A few conversations on every URL, sequential then 4 at a time, not counted."""
    for url in urls:
        run_load(bot, [url], 1, messages, timeout, first_conversation=10_000)
    return run_load(bot, urls, 4 * len(urls), messages, timeout, first_conversation=20_000)


@dataclass
class LongResult:
    """One long conversation."""

    turns: int
    errors: Dict[str, int]
    slope_ms_per_turn: float
    median_slope_ms_per_turn: float
    cpu_slope_ms_per_turn: float
    first_20_median_ms: float
    last_20_median_ms: float
    latencies_ms: List[float]
    server_cpu_ms: List[float]


def run_long(bot: Bot, url: str, turns: int, timeout: float, pids: Dict[str, int]) -> LongResult:
    """One conversation of ``turns`` messages; slopes of latency and of the servers' CPU time per turn.

    The least-squares slope of the latencies is the figure; the median of pairwise slopes (Theil–Sen)
    and the slope of the CPU time the server processes spent per turn are less sensitive to other
    processes on the machine.
    """
    sender = new_conversation_id()
    outcomes: List[Outcome] = []
    cpu: List[float] = []
    with requests.Session() as session:
        for text in long_conversation(bot.conversation, turns):
            before = sum(cpu_seconds(pid) for pid in pids.values())
            outcomes.append(send(session, url, bot.body(sender, text), timeout))
            cpu.append(1000 * (sum(cpu_seconds(pid) for pid in pids.values()) - before))
    good = [o.latency_ms if o.error is None else float("nan") for o in outcomes]
    return LongResult(turns=turns, errors=summarize(outcomes, 1, 1, 1.0).errors, slope_ms_per_turn=slope(good),
                      median_slope_ms_per_turn=median_slope(good), cpu_slope_ms_per_turn=slope(cpu),
                      first_20_median_ms=percentile([v for v in good[:20] if v == v], 0.5),
                      last_20_median_ms=percentile([v for v in good[-20:] if v == v], 0.5),
                      latencies_ms=[round(o.latency_ms, 2) for o in outcomes],
                      server_cpu_ms=[round(value, 1) for value in cpu])


# ---------------------------------------------------------------------------------------------
# Processes


class Processes:
    """Every process this benchmark starts, stopped (with its process group) on ``stop_all``."""

    def __init__(self) -> None:
        self.running: Dict[str, subprocess.Popen] = {}

    def start(self, spec: serve.Service, log_dir: Path, timeout: float, cwd: Path = HOME) -> float:
        """Start ``spec`` in ``cwd`` with ``serve.start``; seconds until its ready URL answers."""
        started = time.perf_counter()
        try:
            process = serve.start(cwd, [spec], log_dir, timeout)[0]
        except RuntimeError:
            print(tail(log_dir / f"{spec.name}.log"), file=sys.stderr)
            raise
        self.running[spec.name] = process
        return time.perf_counter() - started

    def stop(self, name: str) -> None:
        """Stop one process (and its group)."""
        process = self.running.pop(name, None)
        if process is not None:
            serve.stop([process])

    def stop_all(self) -> None:
        """Stop every process still running."""
        serve.stop(list(self.running.values()))
        self.running.clear()


def tail(path: Path, lines: int = 30) -> str:
    """The last lines of a log file (for a server that did not start)."""
    if not path.exists():
        return f"(no log at {path})"
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


def children(pid: int) -> List[int]:
    """All descendants of ``pid`` (from /proc/<pid>/stat's parent field)."""
    parents: Dict[int, List[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        parents.setdefault(parent, []).append(int(entry.name))
    found: List[int] = []
    queue = [pid]
    while queue:
        for child in parents.get(queue.pop(), []):
            found.append(child)
            queue.append(child)
    return found


def rss_mb(pid: int) -> float:
    """VmRSS of ``pid`` and its descendants, in MB (NaN when the process is gone)."""
    total_kb = 0
    for each in [pid] + children(pid):
        try:
            status = Path(f"/proc/{each}/status").read_text()
        except OSError:
            if each == pid:
                return float("nan")
            continue
        match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
        total_kb += int(match.group(1)) if match else 0
    return total_kb / 1024


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` and its descendants, in seconds (NaN when the process is gone)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for each in [pid] + children(pid):
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            if each == pid:
                return float("nan")
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime and stime, fields 14 and 15 of stat
    return total


def machine_busy_seconds() -> float:
    """CPU seconds all cores spent busy since boot (/proc/stat: everything but idle and iowait)."""
    try:
        fields = [int(value) for value in Path("/proc/stat").read_text().splitlines()[0].split()[1:8]]
    except (OSError, ValueError, IndexError):
        return float("nan")
    user, nice, system, _idle, _iowait, irq, softirq = fields
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def run_timed(command: List[str], cwd: Path, env: Dict[str, str], log: Path) -> float:
    """Run a command to its end in its own process group (killed on any exit); its wall time."""
    started = time.perf_counter()
    with open(log, "ab") as handle:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=handle, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        try:
            code = process.wait()
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
    if code != 0:
        print(tail(log), file=sys.stderr)
        raise RuntimeError(f"{command[:5]} failed with exit code {code}; see {log}")
    return time.perf_counter() - started


def log_counts(log_dir: Path) -> Dict[str, Dict[str, int]]:
    """Per log file: lines with "database is locked", with " ERROR " and with "Traceback"."""
    counts: Dict[str, Dict[str, int]] = {}
    for log in sorted(log_dir.glob("*.log")):
        text = log.read_text(encoding="utf-8", errors="replace")
        counts[log.stem] = {"database is locked": text.count("database is locked"),
                            "ERROR lines": sum(1 for line in text.splitlines() if " ERROR " in line),
                            "Traceback": text.count("Traceback")}
    return counts


# ---------------------------------------------------------------------------------------------
# The two bots


@dataclass
class Settings:
    """What to run (from the command line)."""

    sequential_messages: int = 200
    concurrent_messages: int = 400
    concurrency: List[int] = field(default_factory=lambda: [1, 8, 32])
    two_process_concurrency: int = 8
    long_turns: int = 200
    warmup_messages: int = 16
    timeout: float = 60.0
    start_timeout: float = 300.0
    db_url: Optional[str] = None
    train: bool = False

    def messages_at(self, concurrency: int) -> int:
        """Messages sent at ``concurrency``."""
        return self.sequential_messages if concurrency == 1 else self.concurrent_messages


def measure_load(bot: Bot, url: str, settings: Settings, pids: Dict[str, int]) -> Dict[str, dict]:
    """Warm up, then one load run per concurrency level."""
    warm_up(bot, [url], settings.warmup_messages, settings.timeout)
    results: Dict[str, dict] = {}
    for concurrency in settings.concurrency:
        result = run_load(bot, [url], concurrency, settings.messages_at(concurrency), settings.timeout,
                          first_conversation=1000 * concurrency, pids=pids)
        cpu = ", ".join(f"{name} {value:.1f}" for name, value in result.cpu_ms_per_message.items())
        print(f"  {bot.name}, {concurrency} concurrent: p50 {result.p50_ms:.0f} ms, "
              f"p95 {result.p95_ms:.0f} ms, {result.messages_per_second:.1f} msg/s, "
              f"errors {sum(result.errors.values())}; CPU ms per message: {cpu}", flush=True)
        results[str(concurrency)] = asdict(result)
    return results


def measure_long(bot: Bot, url: str, settings: Settings, pids: Dict[str, int]) -> dict:
    """The long conversation, printed and returned as a dict."""
    result = run_long(bot, url, settings.long_turns, settings.timeout, pids)
    print(f"  {bot.name}, {settings.long_turns} turns: slope {result.slope_ms_per_turn:.3f} ms/turn "
          f"(Theil–Sen {result.median_slope_ms_per_turn:.3f}, server CPU {result.cpu_slope_ms_per_turn:.3f}) "
          f"(median first 20 {result.first_20_median_ms:.0f} ms, last 20 {result.last_20_median_ms:.0f} ms), "
          f"errors {sum(result.errors.values())}", flush=True)
    return asdict(result)


def run_baseline(settings: Settings, workdir: Path, processes: Processes) -> dict:
    """``rasa init`` (timed), then its server: load, long conversation, memory."""
    project = workdir / "rasa-init"
    project.mkdir()
    logs = workdir / "logs-baseline"
    logs.mkdir()
    env = rasa_env()
    print("baseline: rasa init --no-prompt (trains the default bot) …", flush=True)
    init_seconds = run_timed([sys.executable, "-m", "rasa", "init", "--no-prompt", "--init-dir", str(project)],
                             project, env, logs / "rasa-init.log")
    models = sorted((project / "models").glob("*.tar.gz"))
    if not models:
        raise RuntimeError(f"rasa init made no model; see {logs / 'rasa-init.log'}")
    port = serve.free_port()
    env["SANIC_HOST"] = "127.0.0.1"
    spec = serve.Service("rasa", [sys.executable, "-m", "rasa", "run", "--enable-api", "--port", str(port),
                                  "--interface", "127.0.0.1", "--model", str(models[0]),
                                  "--credentials", str(project / "credentials.yml"),
                                  "--endpoints", str(project / "endpoints.yml")],
                         f"http://127.0.0.1:{port}/", env)
    print(f"baseline: trained in {init_seconds:.0f} s; starting rasa run …", flush=True)
    start_seconds = processes.start(spec, logs, settings.start_timeout, cwd=project)
    bot = Bot("baseline", baseline_conversation)
    url = f"http://127.0.0.1:{port}{REST_PATH}"
    try:
        load = measure_load(bot, url, settings, {"rasa": processes.running["rasa"].pid})
        memory = {"rasa": rss_mb(processes.running["rasa"].pid)}
        long = measure_long(bot, url, settings, {"rasa": processes.running["rasa"].pid})
    finally:
        processes.stop("rasa")
    return {"training_seconds": init_seconds, "start_seconds": {"rasa": start_seconds},
            "memory_mb": memory, "load": load, "long": long, "logs": log_counts(logs)}


def wegwijs_specs(workdir: Path, rasa_ports: List[int], actions_port: int,
                  db_url: str) -> List[serve.Service]:
    """The action server and one Rasa process per port, as ``wegwijs.serve.services()`` makes them."""
    config = yaml.safe_load((HOME / "endpoints.yml").read_text())
    config["action_endpoint"]["url"] = f"http://127.0.0.1:{actions_port}/webhook"
    endpoints = workdir / "endpoints.yml"
    endpoints.write_text(yaml.safe_dump(config))
    keys = serve.new_secrets()
    from wegwijs.chat_guard import ConversationKeys

    CHAT_KEYS["keys"] = ConversationKeys(keys["WEGWIJS_CHAT_SECRET"])
    extra = {"WEGWIJS_DB_URL": db_url, "WEGWIJS_RATE_CONVERSATION_PER_MINUTE": "0",
             "WEGWIJS_RATE_IP_PER_MINUTE": "0"}
    specs: List[serve.Service] = []
    for index, port in enumerate(rasa_ports):
        made = {spec.name: spec for spec in serve.services(HOME, "127.0.0.1", port, actions_port, serve.free_port(),
                                                          endpoints=endpoints, keys=keys)}
        if index == 0:
            specs.append(made["actions"])
        rasa = made["rasa"]
        specs.append(serve.Service("rasa" if index == 0 else f"rasa{index + 1}", rasa.command,
                                   rasa.ready_url, rasa.env))
    for spec in specs:
        spec.env.update(extra)
    return specs


def prepare_database(workdir: Path, db_url: Optional[str]) -> str:
    """The database URL to use (a fresh SQLite file unless given), brought to the newest migration."""
    from wegwijs.db import migrate

    url = db_url or f"sqlite:///{workdir / 'bench.db'}"
    migrate.upgrade(url)
    return url


def run_wegwijs(settings: Settings, workdir: Path, processes: Processes) -> dict:
    """The action server and Rasa: load, long conversation, memory, then one against two processes."""
    logs = workdir / "logs-wegwijs"
    logs.mkdir()
    db_url = prepare_database(workdir, settings.db_url)
    ports = [serve.free_port(), serve.free_port()]
    specs = {spec.name: spec for spec in wegwijs_specs(workdir, ports, serve.free_port(), db_url)}
    print(f"wegwijs: starting the action server and Rasa on {redact(db_url)} …", flush=True)
    start_seconds = {"actions": processes.start(specs["actions"], logs, settings.start_timeout),
                     "rasa": processes.start(specs["rasa"], logs, settings.start_timeout)}
    bot = Bot("wegwijs", wegwijs_conversation, {"school_id": SCHOOL_ID})
    urls = [f"http://127.0.0.1:{port}{REST_PATH}" for port in ports]
    try:
        load = measure_load(bot, urls[0], settings, {name: processes.running[name].pid
                                                     for name in ("rasa", "actions")})
        memory = {"rasa": rss_mb(processes.running["rasa"].pid),
                  "actions": rss_mb(processes.running["actions"].pid)}
        long = measure_long(bot, urls[0], settings, {name: processes.running[name].pid
                                                     for name in ("rasa", "actions")})
        print("wegwijs: starting a second Rasa process on the same database …", flush=True)
        start_seconds["rasa2"] = processes.start(specs["rasa2"], logs, settings.start_timeout)
        two = measure_two_processes(bot, urls, settings, {name: process.pid
                                                          for name, process in processes.running.items()})
        memory["rasa2"] = rss_mb(processes.running["rasa2"].pid)
    finally:
        processes.stop_all()
    return {"training_seconds": None, "start_seconds": start_seconds, "memory_mb": memory, "load": load,
            "long": long, "two_processes": two, "database": redact(db_url), "logs": log_counts(logs)}


def measure_two_processes(bot: Bot, urls: List[str], settings: Settings, pids: Dict[str, int]) -> dict:
    """The same load on one process and then split over two (each conversation on one process)."""
    concurrency = settings.two_process_concurrency
    warm_up(bot, urls[1:], settings.warmup_messages, settings.timeout)
    one = run_load(bot, urls[:1], concurrency, settings.concurrent_messages, settings.timeout, 50_000, pids)
    two = run_load(bot, urls, concurrency, settings.concurrent_messages, settings.timeout, 60_000, pids)
    ratio = two.messages_per_second / one.messages_per_second if one.messages_per_second else float("nan")
    print(f"  wegwijs, {concurrency} concurrent: 1 process {one.messages_per_second:.1f} msg/s "
          f"(errors {sum(one.errors.values())}), 2 processes {two.messages_per_second:.1f} msg/s "
          f"(errors {sum(two.errors.values())}), ratio {ratio:.2f}", flush=True)
    return {"one": asdict(one), "two": asdict(two), "ratio": ratio}


def redact(db_url: str) -> str:
    """The database URL without its password."""
    return re.sub(r"://([^:/@]+):[^@]*@", r"://\1:***@", db_url)


def train_wegwijs(workdir: Path) -> float:
    """Wegwijs's full training, as ``wegwijs.training.train`` runs it, into a temporary folder."""
    out = workdir / "wegwijs-model"
    out.mkdir()
    print("wegwijs: training (about 20 minutes) …", flush=True)
    return run_timed([sys.executable, "-m", "rasa", "train", "--fixed-model-name", MODEL_NAME,
                      "--out", str(out), "--force"], HOME, rasa_env(), workdir / "wegwijs-train.log")


# ---------------------------------------------------------------------------------------------
# Report


def machine_facts() -> Dict[str, object]:
    """Cores, CPU model, Python, Rasa, date, load and the repository's commit."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=HOME, capture_output=True,
                                text=True, check=False).stdout.strip() or None
    except OSError:
        commit = None
    return {"date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
            "cores": os.cpu_count(), "cpu": cpu, "python": platform.python_version(),
            "rasa": metadata.version("rasa"), "rasa_sdk": metadata.version("rasa-sdk"),
            "platform": platform.platform(), "load_average_at_start": list(os.getloadavg()),
            "commit": commit}


def number(value: Optional[float], digits: int = 0) -> str:
    """A figure for the table, or "-"."""
    if value is None or value != value:
        return "-"
    return f"{value:.{digits}f}"


def ratio(ours: Optional[float], base: Optional[float]) -> str:
    """Wegwijs / baseline, or "-"."""
    if ours is None or base is None or ours != ours or base != base or base == 0:
        return "-"
    return f"{ours / base:.2f}×"


def errors_text(errors: Dict[str, int]) -> str:
    """Errors as "0" or "3 (HTTP 500: 2, timeout: 1)"."""
    total = sum(errors.values())
    return str(total) if not total else f"{total} ({', '.join(f'{k}: {v}' for k, v in sorted(errors.items()))})"


def load_errors_text(result: dict) -> str:
    """Errors over messages sent, and empty replies when there were any."""
    text = f"{errors_text(result['errors'])} / {result['messages']}"
    return text + (f" (empty replies: {result['empty_replies']})" if result["empty_replies"] else "")


def cpu_text(result: dict) -> str:
    """CPU milliseconds per message by process, e.g. "Rasa 21.0, actions 4.1, client 2.2"."""
    names = {"rasa": "Rasa", "rasa2": "Rasa 2", "actions": "actions", "client": "client"}
    return ", ".join(f"{names.get(name, name)} {value:.1f}"
                     for name, value in result.get("cpu_ms_per_message", {}).items()) or "-"


def rasa_ratio(ours: dict, base: dict) -> str:
    """Wegwijs's Rasa CPU per message over the baseline's, e.g. "1.80× (Rasa)", or "-"."""
    shown = ratio(ours.get("cpu_ms_per_message", {}).get("rasa"), base.get("cpu_ms_per_message", {}).get("rasa"))
    return "-" if shown == "-" else f"{shown} (Rasa)"


def rows(base: dict, ours: dict, settings: Settings) -> List[List[str]]:
    """Table rows: figure, baseline, Wegwijs, ratio."""
    table: List[List[str]] = []
    for level in settings.concurrency:
        b, w = base["load"][str(level)], ours["load"][str(level)]
        for key, label in [("p50_ms", "p50 (ms)"), ("p95_ms", "p95 (ms)"), ("p99_ms", "p99 (ms)")]:
            table.append([f"{level} concurrent: {label}", number(b[key]), number(w[key]), ratio(w[key], b[key])])
        table.append([f"{level} concurrent: messages/s", number(b["messages_per_second"], 1),
                      number(w["messages_per_second"], 1), ratio(w["messages_per_second"], b["messages_per_second"])])
        table.append([f"{level} concurrent: errors / messages", load_errors_text(b), load_errors_text(w), ""])
        table.append([f"{level} concurrent: CPU ms per message", cpu_text(b), cpu_text(w),
                      rasa_ratio(w, b)])
        table.append([f"{level} concurrent: other processes' CPU during the run (cores)",
                      number(b["other_cpu_cores"], 2), number(w["other_cpu_cores"], 2), ""])
    bl, wl = base["long"], ours["long"]
    table.append([f"{settings.long_turns} turns: slope (ms per turn)", number(bl["slope_ms_per_turn"], 3),
                  number(wl["slope_ms_per_turn"], 3), ratio(wl["slope_ms_per_turn"], bl["slope_ms_per_turn"])])
    table.append([f"{settings.long_turns} turns: Theil–Sen slope (ms per turn)",
                  number(bl["median_slope_ms_per_turn"], 3), number(wl["median_slope_ms_per_turn"], 3),
                  ratio(wl["median_slope_ms_per_turn"], bl["median_slope_ms_per_turn"])])
    table.append([f"{settings.long_turns} turns: slope of server CPU time (ms per turn)",
                  number(bl["cpu_slope_ms_per_turn"], 3), number(wl["cpu_slope_ms_per_turn"], 3),
                  ratio(wl["cpu_slope_ms_per_turn"], bl["cpu_slope_ms_per_turn"])])
    table.append([f"{settings.long_turns} turns: median first 20 → last 20 (ms)",
                  f"{number(bl['first_20_median_ms'])} → {number(bl['last_20_median_ms'])}",
                  f"{number(wl['first_20_median_ms'])} → {number(wl['last_20_median_ms'])}", ""])
    table.append([f"{settings.long_turns} turns: errors", errors_text(bl["errors"]), errors_text(wl["errors"]), ""])
    base_start, our_start = base["start_seconds"]["rasa"], ours["start_seconds"]["rasa"]
    table.append(["start: Rasa (s)", number(base_start, 1), number(our_start, 1), ratio(our_start, base_start)])
    table.append(["start: action server (s)", "none", number(ours["start_seconds"].get("actions"), 1), ""])
    table.append(["start: second Rasa process (s)", "-", number(ours["start_seconds"].get("rasa2"), 1), ""])
    table.append(["memory after load: Rasa (MB RSS)", number(base["memory_mb"]["rasa"]),
                  number(ours["memory_mb"]["rasa"]), ratio(ours["memory_mb"]["rasa"], base["memory_mb"]["rasa"])])
    table.append(["memory after load: action server (MB RSS)", "none", number(ours["memory_mb"].get("actions")), ""])
    two = ours.get("two_processes")
    if two:
        table.append([f"{settings.two_process_concurrency} concurrent, 1 Rasa process: messages/s (errors)", "-",
                      f"{number(two['one']['messages_per_second'], 1)} ({errors_text(two['one']['errors'])})", ""])
        table.append([f"{settings.two_process_concurrency} concurrent, 2 Rasa processes: messages/s (errors)", "-",
                      f"{number(two['two']['messages_per_second'], 1)} ({errors_text(two['two']['errors'])})",
                      f"{number(two['ratio'], 2)}× of 1 process"])
        table.append([f"{settings.two_process_concurrency} concurrent, 2 Rasa processes: p50 / p95 (ms)", "-",
                      f"{number(two['two']['p50_ms'])} / {number(two['two']['p95_ms'])}", ""])
        table.append([f"{settings.two_process_concurrency} concurrent, 2 Rasa processes: CPU ms per message", "-",
                      cpu_text(two["two"]), ""])
        table.append([f"{settings.two_process_concurrency} concurrent, 1 / 2 Rasa processes: other processes' "
                      "CPU (cores)", "-", f"{number(two['one']['other_cpu_cores'], 2)} / "
                      f"{number(two['two']['other_cpu_cores'], 2)}", ""])
    training = ours["training_seconds"]
    table.append(["training (s)", number(base["training_seconds"]),
                  number(training) if training is not None else "not measured (use --train)",
                  ratio(training, base["training_seconds"]) if training is not None else "-"])
    return table


def targets(base: dict, ours: dict, settings: Settings) -> List[Dict[str, object]]:
    """The targets, each with its measured value and PASS/FAIL (or "not measured")."""
    def load(bot: dict, level: int, key: str) -> Optional[float]:
        return bot["load"].get(str(level), {}).get(key)

    checks: List[Dict[str, object]] = []

    def check(name: str, value: Optional[float], limit: Optional[float], at_most: bool, shown: str) -> None:
        if value is None or limit is None or value != value or limit != limit:
            verdict = "not measured"
        else:
            verdict = "PASS" if (value <= limit if at_most else value >= limit) else "FAIL"
        checks.append({"target": name, "measured": shown, "verdict": verdict})

    b50, w50 = load(base, 1, "p50_ms"), load(ours, 1, "p50_ms")
    check("sequential p50 ≤ 1.2× baseline", w50, 1.2 * b50 if b50 is not None else None, True,
          f"{number(w50)} ms vs {number(b50)} ms ({ratio(w50, b50)})")
    b95, w95 = load(base, 8, "p95_ms"), load(ours, 8, "p95_ms")
    check("p95 at 8 concurrent ≤ baseline", w95, b95, True, f"{number(w95)} ms vs {number(b95)} ms ({ratio(w95, b95)})")
    rates = [load(ours, level, "messages_per_second") for level in settings.concurrency]
    best = max((r for r in rates if r is not None and r == r), default=None)
    check("≥ 25 messages/s per process (best of the concurrency levels, 1 Rasa process)", best, 25.0, False,
          f"{number(best, 1)} msg/s")
    growth = ours["long"]["slope_ms_per_turn"]
    check(f"latency growth ≤ 0.2 ms per turn over {settings.long_turns} turns", growth, 0.2, True,
          f"{number(growth, 3)} ms/turn")
    two = ours.get("two_processes") or {}
    check("2 processes ≥ 1.6× one process", two.get("ratio"), 1.6, False, f"{number(two.get('ratio'), 2)}×")
    return checks


def markdown(facts: Dict[str, object], settings: Settings, base: dict, ours: dict,
             checks: List[Dict[str, object]]) -> str:
    """The report: machine, settings, the table, the targets, the log counts."""
    lines = [
        f"Serving benchmark, {facts['date']}: {facts['cores']} cores ({facts['cpu']}), Python {facts['python']}, "
        f"Rasa {facts['rasa']}, rasa-sdk {facts['rasa_sdk']}, commit {facts['commit']}; load average at start "
        f"{', '.join(f'{x:.2f}' for x in facts['load_average_at_start'])}, at end "
        f"{', '.join(f'{x:.2f}' for x in facts['load_average_at_end'])}.",
        "",
        f"REST channel, {settings.sequential_messages} messages at 1 concurrent, {settings.concurrent_messages} at "
        f"higher concurrency, conversations of {CONVERSATION_LENGTH} messages, after a warm-up of "
        f"{settings.warmup_messages}; the client runs on the same machine. Baseline: `rasa init` bot, in-memory "
        f"tracker store. Wegwijs: action server + Rasa, SQL tracker store on {ours['database']}, rate limits off. "
        "Latencies and messages/s count successful messages only. \"Other processes' CPU\": cores used meanwhile "
        "by processes other than these servers and this client (the machine may be shared; with 2 cores, 1.0 "
        "means half the machine was taken); CPU ms per message is the figure they disturb least.",
        "",
        "| figure | baseline (rasa init) | Wegwijs | Wegwijs / baseline |",
        "|---|---|---|---|",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in rows(base, ours, settings)]
    lines += ["", "| target | measured | verdict |", "|---|---|---|"]
    lines += [f"| {c['target']} | {c['measured']} | {c['verdict']} |" for c in checks]
    lines += ["", "Server logs (lines): " + "; ".join(
        f"{bot} {name}: " + ", ".join(f"{k} {v}" for k, v in counts.items())
        for bot, result in (("baseline", base), ("wegwijs", ours)) for name, counts in result["logs"].items())]
    return "\n".join(lines) + "\n"


def parse_args(argv: Optional[List[str]]) -> Settings:
    """Command line to settings."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sequential-messages", type=int, default=200, help="messages at 1 concurrent")
    parser.add_argument("--concurrent-messages", type=int, default=400, help="messages at higher concurrency")
    parser.add_argument("--concurrency", default="1,8,32", help="comma separated levels (default 1,8,32)")
    parser.add_argument("--two-process-concurrency", type=int, default=8)
    parser.add_argument("--long-turns", type=int, default=200)
    parser.add_argument("--warmup-messages", type=int, default=16)
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per message")
    parser.add_argument("--start-timeout", type=float, default=300.0, help="seconds for a server to start")
    parser.add_argument("--db-url", default=None,
                        help="Wegwijs's database (e.g. postgresql://…, created by you); default a fresh SQLite file")
    parser.add_argument("--train", action="store_true", help="also time Wegwijs's full training (~20 minutes)")
    args = parser.parse_args(argv)
    levels = [int(part) for part in args.concurrency.split(",") if part.strip()]
    return Settings(sequential_messages=args.sequential_messages, concurrent_messages=args.concurrent_messages,
                    concurrency=levels, two_process_concurrency=args.two_process_concurrency,
                    long_turns=args.long_turns, warmup_messages=args.warmup_messages, timeout=args.timeout,
                    start_timeout=args.start_timeout, db_url=args.db_url, train=args.train)


def write_results(facts: Dict[str, object], settings: Settings, base: dict, ours: dict,
                  checks: List[Dict[str, object]], report: str) -> None:
    """benchmarks/results/serving.json and serving.md."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "serving.md").write_text(report, encoding="utf-8")
    shown = dict(asdict(settings), db_url=redact(settings.db_url) if settings.db_url else None)
    payload = {"machine": facts, "settings": shown, "baseline": base, "wegwijs": ours, "targets": checks}
    (RESULTS / "serving.json").write_text(
        json.dumps(without_nan(payload), indent=2, ensure_ascii=False, default=str, allow_nan=False) + "\n",
        encoding="utf-8")


def without_nan(value: object) -> object:
    """``value`` with every NaN float replaced by None (JSON has no NaN)."""
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, dict):
        return {key: without_nan(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [without_nan(item) for item in value]
    return value


def main(argv: Optional[List[str]] = None) -> int:
    """Run both bots one after the other, print and write the report."""
    settings = parse_args(argv)
    os.environ["RASA_TELEMETRY_ENABLED"] = "false"
    facts = machine_facts()
    # kill, docker stop and systemd send SIGTERM: leave through the finally blocks, as Ctrl-C does.
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(143))
    processes = Processes()
    workdir = Path(tempfile.mkdtemp(prefix="wegwijs-serving-"))
    try:
        base = run_baseline(settings, workdir, processes)
        ours = run_wegwijs(settings, workdir, processes)
        if settings.train:
            try:
                ours["training_seconds"] = train_wegwijs(workdir)
            except RuntimeError as error:  # the serving figures are still worth writing
                print(f"wegwijs training failed: {error}", file=sys.stderr)
    except KeyboardInterrupt:
        print("interrupted: stopping the servers, nothing written", file=sys.stderr)
        return 130
    finally:
        processes.stop_all()
        signal.signal(signal.SIGTERM, previous)
        shutil.rmtree(workdir, ignore_errors=True)
    facts["load_average_at_end"] = list(os.getloadavg())
    checks = targets(base, ours, settings)
    report = markdown(facts, settings, base, ours, checks)
    print("\n" + report)
    write_results(facts, settings, base, ours, checks, report)
    print(f"written: {(RESULTS / 'serving.md').relative_to(HOME)}, {(RESULTS / 'serving.json').relative_to(HOME)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
