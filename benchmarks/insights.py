"""How fast is the Insights page with 100,000 conversations in PostgreSQL? Against the same page with
1,000 conversations, same process, same database.

What it does:

1. starts a throw-away PostgreSQL cluster (``wegwijs.scale.Postgres``; or ``--db-url`` for one you made),
   brings it to the newest migration and makes Rasa's ``events`` table (through Wegwijs's tracker store);
2. generates conversations as Rasa stores them (``events`` rows: sessions, parents' messages with the
   widget's school id and an intent, answers with their answer id, "not understood", "Bedoel je…?" and the
   choice, safety replies, ratings with reasons, now and then a new session repeating the rating) spread
   over 30 schools and 26 weeks, plus handovers for 5% of them (first reply and resolution times);
3. **baseline**: after the first ``--baseline`` conversations (1,000), sums them up
   (``wegwijs.insights.store.refresh``) and requests the page (the portal app in process, through
   Starlette's TestClient: login cookie, the refresh-before-read, the queries, the template) for one
   school as its staff member and for all schools as a maintainer, ``--requests`` times each;
4. generates the rest up to ``--conversations`` (100,000), sums them up (timed: conversations per second,
   which is what ``wegwijs insights refresh`` and the page's refresh cost), and requests the pages again.

Printed: p50 / p95 / max per page at both sizes with the ratio to the baseline, the refresh rate, and the
target (p95 under 1 second at 100,000 conversations: PASS/FAIL, never failing the program). Writes
benchmarks/results/insights.json and insights.md.

Run: ``python benchmarks/insights.py`` (about 10 minutes on 2 cores; needs PostgreSQL's binaries, as
``make test`` installs them) or ``--conversations 20000`` for a quick look.
"""
from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any, Dict, List, Tuple

HOME = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(HOME))

SCHOOLS = [f"bench-school-{n:02d}" for n in range(30)]
WEEKS = 26
TARGET_P95_SECONDS = 1.0
PASSWORD = "benchmark-wachtwoord-insights-42"


def percentile(values: List[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(share * len(ordered) + 0.5)) - 1))]


class Generator:
    """Conversations as Rasa's ``events`` rows (a fixed seed: the same data every run)."""

    def __init__(self, topics: List[str], seed: int = 17) -> None:
        from wegwijs import replies

        self.topics = topics
        self.random = random.Random(seed)
        self.choose_text = replies.CHOOSE_TOPIC_TEXT
        self.now = time.time()

    def conversation(self) -> Tuple[str, str, List[Dict[str, Any]], float]:
        rnd = self.random
        sender = uuid.UUID(int=rnd.getrandbits(128)).hex
        school = rnd.choice(SCHOOLS)
        t = self.now - rnd.uniform(0, WEEKS * 7 * 86400)
        start = t
        events: List[Dict[str, Any]] = []

        def add(event: Dict[str, Any]) -> None:
            nonlocal t
            t += rnd.uniform(1, 20)
            event["timestamp"] = t
            events.append(event)

        def session() -> None:
            add({"event": "action", "name": "action_session_start"})
            add({"event": "session_started"})
            add({"event": "action", "name": "action_listen"})

        def parent(intent: str, confidence: float) -> None:
            add({"event": "user", "text": "een vraag van een ouder",
                 "parse_data": {"intent": {"name": intent, "confidence": confidence}},
                 "metadata": {"school_id": school}})

        def bot(action: str, **metadata: Any) -> None:
            add({"event": "action", "name": action})
            add({"event": "bot", "text": "Een antwoord.", "data": {}, "metadata": metadata})
            add({"event": "action", "name": "action_listen"})

        session()
        answered: List[str] = []
        for _ in range(rnd.randint(1, 6)):
            roll = rnd.random()
            topic = rnd.choice(self.topics)
            if roll < 0.10:
                parent("nlu_fallback", 0.2)
                add({"event": "action", "name": "action_fallback"})
                add({"event": "bot", "text": self.choose_text, "data": {"buttons": [
                    {"title": topic, "payload": f"/{topic}"}, {"title": "Iets anders", "payload": "/deny"}]},
                     "metadata": {}})
                add({"event": "action", "name": "action_listen"})
                if rnd.random() < 0.6:
                    parent(topic, 1.0)
                    bot("action_answer_topic", answer_id=topic)
                    answered.append(topic)
            elif roll < 0.13:
                parent("safety_domestic_violence", 0.95)
                bot("utter_safety_domestic_violence", utter_action="utter_safety_domestic_violence")
            else:
                parent(topic, rnd.uniform(0.5, 1.0))
                bot("action_answer_topic", answer_id=topic)
                answered.append(topic)
        rating = None
        if answered and rnd.random() < 0.3:
            down = rnd.random() < 0.35
            rating = {"answer_id": rnd.choice(answered), "rating": "down" if down else "up",
                      "reason": rnd.choice([None, "incorrect", "unclear", "other_question"]) if down else None}
            add({"event": "slot", "name": "answer_feedback", "value": rating})
        if rnd.random() < 0.1:
            session()
            if rating:
                add({"event": "slot", "name": "answer_feedback", "value": rating})
            parent(rnd.choice(self.topics), 0.9)
        return sender, school, events, start


def copy_events(engine, rows: List[Tuple[str, str, float, str]]) -> None:
    """COPY into ``events`` (sender_id, type_name, timestamp, data): PostgreSQL's fastest way in."""
    buffer = io.StringIO()
    for sender, type_name, timestamp, data in rows:
        data = data.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
        buffer.write(f"{sender}\t{type_name}\t{timestamp}\t{data}\n")
    buffer.seek(0)
    connection = engine.raw_connection()
    try:
        with connection.cursor() as cursor:
            cursor.copy_expert("COPY events (sender_id, type_name, timestamp, data) FROM STDIN", buffer)
        connection.commit()
    finally:
        connection.close()


def generate(engine, generator: Generator, count: int) -> None:
    import sqlalchemy as sa

    from wegwijs.db.models import Handover

    rows: List[Tuple[str, str, float, str]] = []
    handovers: List[Dict[str, Any]] = []
    roles = ["mentor", "intern_begeleider", "zorgcoordinator", "school_social_worker", "contact_person"]
    for number in range(count):
        sender, school, events, start = generator.conversation()
        rows.extend((sender, event["event"], event["timestamp"], json.dumps(event)) for event in events)
        if generator.random.random() < 0.05:
            created = dt.datetime.utcfromtimestamp(start)
            first = created + dt.timedelta(hours=generator.random.expovariate(1 / 20))
            resolved = first + dt.timedelta(hours=generator.random.expovariate(1 / 48))
            handovers.append(dict(public_id=uuid.uuid4().hex, school_id=school, role=generator.random.choice(roles),
                                  conversation_id=sender, contact_method="chat", consented_at=created,
                                  status="resolved", created_at=created, updated_at=resolved,
                                  first_reply_at=first, resolved_at=resolved, urgency="normal"))
        if len(rows) >= 200_000 or number == count - 1:
            copy_events(engine, rows)
            rows = []
    with engine.begin() as connection:
        for start in range(0, len(handovers), 5000):
            connection.execute(sa.insert(Handover.__table__), handovers[start:start + 5000])


def timed_pages(client_for: Dict[str, Any], requests: int) -> Dict[str, Dict[str, float]]:
    found = {}
    for name, (client, url) in client_for.items():
        assert client.get(url).status_code == 200  # warm-up (templates, query plans)
        times = []
        for _ in range(requests):
            start = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - start)
            assert response.status_code == 200, response.status_code
        found[name] = {"p50": statistics.median(times), "p95": percentile(times, 0.95), "max": max(times)}
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--baseline", type=int, default=1_000)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--db-url", default=None, help="an empty PostgreSQL database (default: a throw-away one)")
    args = parser.parse_args()

    import sqlalchemy as sa
    from argon2 import PasswordHasher
    from rasa.shared.core.domain import Domain
    from starlette.testclient import TestClient

    from wegwijs import scale, schools_store
    from wegwijs.content import ContentLibrary
    from wegwijs.db import migrate
    from wegwijs.db.engine import engine_for, session_factory
    from wegwijs.insights import store
    from wegwijs.portal import security
    from wegwijs.portal.app import create_app
    from wegwijs.schools import SchoolRegistry
    from wegwijs.settings import Settings
    from wegwijs.staff import add_staff
    from wegwijs.tracker_store import WegwijsTrackerStore

    folder = Path(tempfile.mkdtemp(prefix="wegwijs-bench-insights-"))
    os.chmod(folder, 0o755)  # PostgreSQL runs as the postgres user when this runs as root
    postgres = None
    db_url = args.db_url
    try:
        if not db_url:
            import socket

            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                port = probe.getsockname()[1]
            postgres = scale.Postgres(folder / "pg", port)
            postgres.init()
            db_url = postgres.url
        os.environ["WEGWIJS_DB_URL"] = db_url
        migrate.upgrade(db_url)
        WegwijsTrackerStore(domain=Domain.load(str(HOME / "domain.yml"))).engine.dispose()  # Rasa's events table
        engine = engine_for(db_url)

        # school profiles for the generated schools, imported into the database below
        schools_dir = folder / "schools"
        schools_dir.mkdir()
        example = (HOME / "schools" / "het-baken.yml").read_text(encoding="utf-8").replace("example: true", "")
        for school in SCHOOLS:
            (schools_dir / f"{school}.yml").write_text(example, encoding="utf-8")
        library = ContentLibrary.load(HOME / "data")
        topics = sorted(answer.intent for answer in library.answers())
        generator = Generator(topics)
        security._HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)  # logins: not measured
        settings = Settings.from_env({"WEGWIJS_DB_URL": db_url, "WEGWIJS_PORTAL_SECRET": uuid.uuid4().hex * 2,
                                      "WEGWIJS_SCHOOLS_DIR": str(schools_dir), "WEGWIJS_HOME": str(HOME),
                                      "WEGWIJS_DATA_DIR": str(HOME / "data")})
        with session_factory(db_url)() as session, session.begin():
            schools_store.import_files(session, sorted(schools_dir.glob("*.yml")))  # the portal reads the database
            registry = SchoolRegistry.from_directory(schools_dir)
            add_staff(session, registry, email="staff@bench.example", name="Staff", kind="staff",
                      password=PASSWORD, school_id=SCHOOLS[0], roles=["zorgcoordinator"])
            add_staff(session, registry, email="maintainer@bench.example", name="Maintainer", kind="maintainer",
                      password=PASSWORD)
        app = create_app(settings)
        clients = {}
        for name, email, url in (("one school (staff)", "staff@bench.example", "/insights"),
                                 ("all schools (maintainer)", "maintainer@bench.example", "/insights?school=*"),
                                 ("one school, CSV", "staff@bench.example", "/insights.csv")):
            client = TestClient(app, base_url="https://testserver", follow_redirects=False)
            page = client.get("/login")
            token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
            assert client.post("/login", data={"email": email, "password": PASSWORD,
                                               "csrf_token": token}).status_code == 303
            clients[name] = (client, url)
        period = f"&van={(dt.date.today() - dt.timedelta(weeks=WEEKS)).isoformat()}"
        clients = {name: (client, url + ("&" if "?" in url else "?") + period[1:]) for name, (client, url)
                   in clients.items()}

        print(f"generating {args.baseline:,} conversations (baseline) …", flush=True)
        generate(engine, generator, args.baseline)
        with session_factory(db_url)() as session:
            store.refresh_all(session, HOME)
        baseline = timed_pages(clients, args.requests)

        rest = args.conversations - args.baseline
        print(f"generating {rest:,} more conversations …", flush=True)
        start = time.perf_counter()
        generate(engine, generator, rest)
        generated_in = time.perf_counter() - start
        with engine.connect() as connection:
            events = connection.execute(sa.text("select count(*) from events")).scalar()
            handovers = connection.execute(sa.text("select count(*) from wegwijs_handovers")).scalar()
        print(f"summing up {rest:,} conversations ({events:,} events in all) …", flush=True)
        start = time.perf_counter()
        with session_factory(db_url)() as session:
            summed = store.refresh_all(session, HOME)
        refresh_seconds = time.perf_counter() - start
        with engine.begin() as connection:
            connection.execute(sa.text("ANALYZE"))
        with session_factory(db_url)() as session:
            counted = store.row_counts(session)
        full = timed_pages(clients, args.requests)
    finally:
        if postgres is not None:
            postgres.stop()
        shutil.rmtree(folder, ignore_errors=True)

    lines = [f"# Insights page: {args.conversations:,} conversations against {args.baseline:,} (PostgreSQL)", "",
             f"{dt.date.today().isoformat()}, {platform.machine()}, {os.cpu_count()} cores, "
             f"{events:,} events, {handovers:,} handovers, {args.requests} requests per page after a warm-up; "
             f"insight rows: {counted}.", "",
             "| page | p50 at baseline | p95 at baseline | p50 | p95 | max | p95 ratio to baseline | target p95 < 1 s |",
             "|---|---|---|---|---|---|---|---|"]
    result: Dict[str, Any] = {"conversations": args.conversations, "baseline_conversations": args.baseline,
                              "events": events, "handovers": handovers, "pages": {}}
    for name in full:
        b, f = baseline[name], full[name]
        verdict = "PASS" if f["p95"] < TARGET_P95_SECONDS else "FAIL"
        lines.append(f"| {name} | {b['p50'] * 1000:.0f} ms | {b['p95'] * 1000:.0f} ms | {f['p50'] * 1000:.0f} ms | "
                     f"{f['p95'] * 1000:.0f} ms | {f['max'] * 1000:.0f} ms | {f['p95'] / b['p95']:.2f} | {verdict} |")
        result["pages"][name] = {"baseline": b, "full": f, "p95_ratio": f["p95"] / b["p95"], "target": verdict}
    rate = summed / refresh_seconds if refresh_seconds else 0.0
    lines += ["", f"Summing up (`wegwijs insights refresh`): {summed:,} conversations in {refresh_seconds:.0f} s "
                  f"({rate:,.0f} per second); generating them took {generated_in:.0f} s."]
    result.update(refresh_conversations=summed, refresh_seconds=refresh_seconds, refresh_per_second=rate)
    out = HOME / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "insights.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    (out / "insights.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
