"""The ``wegwijs`` command: maintenance tasks around the Rasa assistant."""
from __future__ import annotations

import argparse
import sys
from typing import List, Optional

from wegwijs.settings import Settings, SettingsError


def _check(settings: Settings) -> int:
    from wegwijs.checks import check_project

    warnings: List[str] = []
    problems = check_project(settings.home, settings.source_warn_months, settings.source_max_months, warnings)
    for problem in problems:
        print(f"- {problem}")
    if warnings:
        print(f"warning: {len(warnings)} answer(s) rest on a source read over {settings.source_warn_months} "
              f"months ago; read them again (oldest first: the portal's Bronnen page), e.g.")
        for warning in warnings[:5]:
            print(f"  ~ {warning}")
    print(f"content check: {len(problems)} problem(s), {len(warnings)} warning(s)")
    return 1 if problems else 0


def _schools(settings: Settings, args: Optional[argparse.Namespace] = None) -> int:
    """``wegwijs schools``: validate the YAML files; ``import [files]`` upserts them into the database
    (validated; one bad file imports nothing); ``export <id>`` prints a school from the database as YAML."""
    from pathlib import Path

    from wegwijs.schools import SchoolFileError, SchoolRegistry

    action = getattr(args, "schools_command", None) if args is not None else None
    if action is None:
        try:
            registry = SchoolRegistry.from_directory(settings.schools_dir)
        except SchoolFileError as exc:
            print(exc, file=sys.stderr)
            return 1
        print(f"{len(registry.ids())} school(s) valid: {', '.join(registry.ids())}")
        return 0
    from wegwijs import schools_store
    from wegwijs.db import migrate
    from wegwijs.db.engine import session_factory

    migrate.upgrade(settings.db_url)
    with session_factory(settings.db_url)() as session:
        if action == "export":
            try:
                print(schools_store.export_yaml(session, schools_store.Actor.system(), args.school_id), end="")
            except schools_store.SchoolNotFound as exc:
                print(exc, file=sys.stderr)
                return 1
            return 0
        paths = [Path(path) for path in args.files] or sorted(settings.schools_dir.glob("*.yml"))
        try:
            with session.begin():
                results = schools_store.import_files(session, paths)
        except SchoolFileError as exc:
            print(exc, file=sys.stderr)
            return 1
        except schools_store.SchoolChangeError as exc:
            print(f"{exc.field}: {exc.message}", file=sys.stderr)
            return 1
    for school_id, result in results:
        print(f"{school_id}: {result}")
    return 0


def _train(settings: Settings, force: bool) -> int:
    from wegwijs.training import train

    train(settings.home, force=force)
    return 0


def _retention(settings: Settings, days: Optional[int], handover_days: Optional[int]) -> int:
    from wegwijs.retention import purge_conversations, purge_handovers, scrub_idle_conversations

    days = days or settings.retention_days
    handover_days = handover_days or settings.handover_retention_days
    purged = purge_handovers(settings.db_url, handover_days)
    removed = purge_conversations(settings.db_url, days)
    scrubbed = scrub_idle_conversations(settings.db_url, settings.scrub_idle_minutes)
    print(f"retention: replaced personal data by placeholders in {scrubbed} conversation(s) silent for "
          f"more than {settings.scrub_idle_minutes} minutes (not while a handover keeps its content)")
    print(f"retention: removed the content and transcript of {purged} handover(s) resolved more "
          f"than {handover_days} days ago")
    print(f"retention: removed {removed} conversation(s) silent for more than {days} days "
          "(conversations with an open handover are kept)")
    _send_waiting_mails(settings)
    return 0


def _send_waiting_mails(settings: Settings) -> None:
    """The safety net of the bundled notification mails (the action server's timer sends them when the
    window ends; this catches those whose process stopped first)."""
    from wegwijs.handovers.batching import flush_due

    try:
        mails = flush_due(settings)
    except Exception as error:  # noqa: BLE001 - retention itself has been done
        print(f"retention: could not send the waiting notification mails ({type(error).__name__})")
        return
    if mails:
        print(f"retention: sent {mails} bundled notification mail(s) whose window had ended")


def _db(settings: Settings, action: str) -> int:
    from wegwijs.db import migrate

    if action == "upgrade":
        migrate.upgrade(settings.db_url)
        from wegwijs.schools_store import seed_database

        seeded = seed_database(settings.db_url, settings.schools_dir)
        if seeded:
            print(f"schools imported into the empty database: {', '.join(seeded)}")
    print(f"database revision: {migrate.current(settings.db_url) or '(empty)'}")
    return 0


def _staff(settings: Settings, args: argparse.Namespace) -> int:
    import getpass

    from wegwijs.db import migrate
    from wegwijs.db.engine import session_factory
    from wegwijs.schools import SchoolRegistry
    from wegwijs.staff import StaffError, add_staff, demo_accounts, format_logins

    migrate.upgrade(settings.db_url)
    registry = SchoolRegistry.from_directory(settings.schools_dir)
    with session_factory(settings.db_url)() as session:
        if args.staff_command == "demo":
            with session.begin():
                logins = demo_accounts(session, registry)
            if logins:
                print("new demo accounts (passwords are shown once):")
                print(format_logins(logins))
            elif not any(registry.get(school_id).example for school_id in registry.ids()):
                print("no example schools (example: true in a profile): no demo accounts")
            else:
                print("demo accounts exist already")
            return 0
        if args.staff_command == "list":
            from wegwijs.db.models import StaffUser
            import sqlalchemy as sa
            for user in session.execute(sa.select(StaffUser).order_by(StaffUser.school_id,
                                                                     StaffUser.email)).scalars():
                print(f"{user.school_id or '-':<14} {user.email:<40} {user.kind:<10} "
                      f"{user.roles or '-'}{'' if user.active else ' (inactive)'}")
            return 0
        if args.password_stdin:
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = getpass.getpass("password (at least 12 characters): ")
        try:
            with session.begin():
                add_staff(session, registry, email=args.email, name=args.name or args.email,
                          kind=args.kind, password=password, school_id=args.school,
                          roles=[r for r in (args.roles or "").split(",") if r])
        except StaffError as exc:
            print(f"cannot add: {exc}", file=sys.stderr)
            return 2
    print(f"added {args.kind} {args.email.strip().lower()}")
    return 0


def _portal(settings: Settings, host: str, port: int) -> int:
    import uvicorn

    from wegwijs.db import migrate
    from wegwijs.portal.app import create_app
    from wegwijs.portal.security import InsecureSecret

    try:
        migrate.upgrade(settings.db_url)
        app = create_app(settings)
    except InsecureSecret as exc:
        print(f"the portal does not start: {exc}", file=sys.stderr)
        return 2
    uvicorn.run(app, host=host, port=port, log_level="info", access_log=False,
                proxy_headers=True, server_header=False)
    return 0


def _web(settings: Settings, host: str, port: int) -> int:
    import uvicorn

    from wegwijs.db import migrate
    from wegwijs.web.app import create_app

    migrate.upgrade(settings.db_url)
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info", access_log=False,
                proxy_headers=True, server_header=False)
    return 0


def _rasa(settings: Settings, args: argparse.Namespace) -> int:
    """``rasa run`` with our channels, JWT-only HTTP API and CORS for the schools (replaces this process)."""
    import os
    from pathlib import Path

    from wegwijs.chat_guard import ConversationKeys
    from wegwijs.serve import rasa_command, serving_env, with_jwt_secret
    from wegwijs.training import rasa_env

    try:
        ConversationKeys(settings.chat_secret)  # the chat channels need it: say so before Rasa loads
    except ValueError as error:
        raise SystemExit(str(error)) from None
    command = rasa_command(settings.home, args.host, args.port, settings.rasa_jwt_secret or "",
                           Path(args.endpoints) if args.endpoints else None)
    os.chdir(settings.home)
    os.execvpe(command[0], command, with_jwt_secret(serving_env(rasa_env()), settings.rasa_jwt_secret or ""))
    return 0  # pragma: no cover - exec does not return


def _actions(args: argparse.Namespace) -> int:
    """The action server (replaces this process)."""
    import os

    from wegwijs.serve import actions_command
    from wegwijs.training import rasa_env

    command, env = actions_command(args.host, args.port)
    os.execvpe(command[0], command, dict(rasa_env(), **env))
    return 0  # pragma: no cover - exec does not return


def _insights(settings: Settings) -> int:
    """``wegwijs insights refresh``: bring the insight tables up to date with the tracker store."""
    from wegwijs.db.engine import session_factory
    from wegwijs.insights import store

    with session_factory(settings.db_url)() as session:
        count = store.refresh_all(session, settings.home)
    print(f"insights: {count} conversation(s) summed up")
    return 0


def _retrain(settings: Settings, args: argparse.Namespace) -> int:
    from pathlib import Path

    from wegwijs.db import migrate
    from wegwijs.db.engine import session_factory
    from wegwijs.retrain import gate, modelstore, review

    migrate.upgrade(settings.db_url)
    home = settings.home
    with session_factory(settings.db_url)() as session:
        action = args.retrain_command
        if action == "export":
            from tqdm import tqdm

            from wegwijs.retrain.export import export

            with tqdm(desc="events", unit=" events", disable=not sys.stderr.isatty()) as bar:
                result = export(session, progress=lambda n: bar.update(n - bar.n))
            print(f"exported {result.exported} message(s) for review (tracker events up to "
                  f"{result.last_event_id})")
            for reason, number in sorted(result.skipped.items()):
                print(f"  skipped {number}: {SKIP_REASONS.get(reason, reason)}")
            if result.pii_found:
                print("  personal data replaced: " + ", ".join(
                    f"{kind} {number}" for kind, number in sorted(result.pii_found.items())))
            return 0
        if action == "review":
            intents = review.trainable_intents(home)
            if args.apply:
                try:
                    with session.begin():
                        done = review.apply_review_file(session, Path(args.apply), intents)
                except review.ReviewError as exc:
                    print(exc, file=sys.stderr)
                    return 2
                print(f"applied: accepted {done['accept']}, relabelled {done['relabel']}, "
                      f"discarded {done['discard']}")
                return 0
            target = Path(args.out or home / "var" / "retrain" / "review.yml")
            number = review.write_review_file(session, target)
            print(f"{number} group(s) to review written to {target}")
            return 0
        if action == "stories":
            return _retrain_stories(home, session, args.conversation)
        if action == "routing":
            examples = review.routing_examples(session)
            for example in examples:
                mark = "=" if example.agrees else "≠"
                print(f"{example.count:4d}  {example.topic or '-':<32} routed {example.routed:<24} "
                      f"{mark} handled by {example.handled_by}")
            print(f"{len(examples)} routing example(s) from resolved handovers")
            return 0
        if action == "round":
            try:
                result = gate.run_round(home, session, Path(args.config) if args.config else None)
            except gate.RoundError as exc:
                print(f"no round: {exc}", file=sys.stderr)
                return 2
            print(gate.round_summary(result))
            return 0 if result.decision.promote else 1
        if action == "rollback":
            try:
                restored = gate.rollback_round(home, session, args.to)
            except (FileNotFoundError, gate.RoundError) as exc:
                print(f"no rollback: {exc}", file=sys.stderr)
                return 2
            print(f"restored the model of round {restored.info.get('round') or '(trained by make)'}; "
                  "restart Rasa (make run) to serve it")
            return 0
        counts = review.counts(session)
        print("review items: " + (", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "none"))
        info = modelstore.current_info(home)
        print(f"current model: round {info.get('round') or '(trained by make)'}")
        for saved in modelstore.history(home):
            print(f"  saved {saved.name}: round {saved.info.get('round') or '-'}, "
                  f"{saved.info.get('saved_because', '')}")
    return 0


SKIP_REASONS = {"button": "button payloads (/…)", "to_staff": "written to staff (conversation paused)",
                "handover_form": "answers in the handover form", "empty": "empty"}


def _retrain_stories(home, session, conversations: List[str]) -> int:
    import sqlalchemy as sa

    from wegwijs.db.models import ReviewItem
    from wegwijs.retrain.writer import write_story

    if conversations:
        chosen = {conversation: {} for conversation in conversations}
    else:
        chosen = {}
        for item in session.execute(sa.select(ReviewItem).where(
                ReviewItem.status.in_(("relabelled", "written")),
                ReviewItem.intent != ReviewItem.predicted_intent,
                ReviewItem.conversation_id.is_not(None))).scalars():
            chosen.setdefault(item.conversation_id, {})[item.text] = item.intent
    written = 0
    for conversation, intents in sorted(chosen.items()):
        path = write_story(home, session.get_bind(), conversation,
                           f"gesprek-{hash_name(conversation)}", intents)
        if path:
            written += 1
            print(f"  {path.relative_to(home)}")
    print(f"{written} test story/stories written for review (not used by rasa test until moved "
          "to tests/stories/)")
    return 0


def hash_name(conversation_id: str) -> str:
    """A short stable name for a conversation that does not reveal its id."""
    import hashlib

    return hashlib.sha256(conversation_id.encode()).hexdigest()[:10]


def main(argv: Optional[List[str]] = None) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(prog="wegwijs", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("check", help="check content, NLU data, domain and schools for consistency")
    schools_parser = sub.add_parser("schools", help="validate the school files; import them into the "
                                                    "database or export a school as YAML")
    schools_sub = schools_parser.add_subparsers(dest="schools_command")
    import_parser = schools_sub.add_parser("import", help="upsert YAML files into the database (default: "
                                                          "every file of WEGWIJS_SCHOOLS_DIR)")
    import_parser.add_argument("files", nargs="*")
    export_parser = schools_sub.add_parser("export", help="print a school of the database as YAML")
    export_parser.add_argument("school_id")
    train_parser = sub.add_parser("train", help="train the Rasa model when its inputs changed")
    train_parser.add_argument("--force", action="store_true")
    retention_parser = sub.add_parser("retention", help="delete conversations past the retention period")
    retention_parser.add_argument("--days", type=int, default=None,
                                  help="conversations silent this long (default WEGWIJS_RETENTION_DAYS)")
    retention_parser.add_argument("--handover-days", type=int, default=None,
                                  help="handovers resolved this long ago (default "
                                       "WEGWIJS_HANDOVER_RETENTION_DAYS)")
    db_parser = sub.add_parser("db", help="our tables: upgrade to the newest migration, or show it")
    db_parser.add_argument("action", choices=["upgrade", "current"])
    staff_parser = sub.add_parser("staff", help="portal accounts")
    staff_sub = staff_parser.add_subparsers(dest="staff_command", required=True)
    add_parser = staff_sub.add_parser("add", help="add a staff member, admin or maintainer")
    add_parser.add_argument("--email", required=True)
    add_parser.add_argument("--name", default=None)
    add_parser.add_argument("--kind", choices=["staff", "admin", "maintainer"], default="staff")
    add_parser.add_argument("--school", default=None, help="school id (not for maintainers)")
    add_parser.add_argument("--roles", default="", help="comma separated, e.g. zorgcoordinator")
    add_parser.add_argument("--password-stdin", action="store_true",
                            help="read the password from standard input instead of a prompt")
    staff_sub.add_parser("list", help="list the accounts")
    staff_sub.add_parser("demo", help="make demo accounts for the example schools")
    portal_parser = sub.add_parser("portal", help="run the staff portal (uvicorn)")
    portal_parser.add_argument("--host", default="127.0.0.1")
    portal_parser.add_argument("--port", type=int, default=8090)
    web_parser = sub.add_parser("web", help="run the widget server: widget, demo school pages, widget API")
    web_parser.add_argument("--host", default="127.0.0.1")
    web_parser.add_argument("--port", type=int, default=8080)
    rasa_parser = sub.add_parser("rasa", help="run Rasa: our chat channels, HTTP API with JWT only "
                                              "(WEGWIJS_RASA_JWT_SECRET), CORS for the schools")
    rasa_parser.add_argument("--host", default="127.0.0.1")
    rasa_parser.add_argument("--port", type=int, default=5005)
    rasa_parser.add_argument("--endpoints", default=None, help="default: endpoints.yml")
    actions_parser = sub.add_parser("actions", help="run the action server (no authentication: bind it "
                                                    "to loopback or a private network)")
    actions_parser.add_argument("--host", default="127.0.0.1")
    actions_parser.add_argument("--port", type=int, default=5055)
    retrain_parser = sub.add_parser("retrain", help="retrain from conversation logs (docs/retraining.md)")
    retrain_sub = retrain_parser.add_subparsers(dest="retrain_command", required=True)
    retrain_sub.add_parser("export", help="parents' messages since the last export, PII scrubbed")
    review_parser = retrain_sub.add_parser("review", help="verdicts through a file (or use the portal)")
    review_parser.add_argument("--out", default=None, help="write pending groups to this YAML file")
    review_parser.add_argument("--apply", default=None, help="apply the verdicts in this YAML file")
    stories_parser = retrain_sub.add_parser(
        "stories", help="conversations as test stories in var/retrain/stories/ (default: those with "
                        "relabelled messages)")
    stories_parser.add_argument("--conversation", action="append", default=[])
    retrain_sub.add_parser("routing", help="which role really handled handovers, per topic")
    round_parser = retrain_sub.add_parser(
        "round", help="write approved examples, validate, train, evaluate, report, promote or refuse")
    round_parser.add_argument("--config", default=None, help="Rasa config for the candidate "
                                                               "(default config.yml)")
    rollback_parser = retrain_sub.add_parser("rollback", help="go back to an earlier model")
    rollback_parser.add_argument("--to", default=None, help="a saved model's name (models/history/)")
    retrain_sub.add_parser("status", help="review counts, current model and saved models")
    insights_parser = sub.add_parser("insights", help="the Insights page's figures (docs/insights.md)")
    insights_sub = insights_parser.add_subparsers(dest="insights_command", required=True)
    insights_sub.add_parser("refresh", help="sum up the conversations since the last refresh")
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    if args.command == "check":
        return _check(settings)
    if args.command == "schools":
        return _schools(settings, args)
    if args.command == "train":
        return _train(settings, args.force)
    if args.command == "db":
        return _db(settings, args.action)
    if args.command == "staff":
        return _staff(settings, args)
    if args.command == "portal":
        return _portal(settings, args.host, args.port)
    if args.command == "web":
        return _web(settings, args.host, args.port)
    if args.command == "retrain":
        return _retrain(settings, args)
    if args.command == "rasa":
        return _rasa(settings, args)
    if args.command == "actions":
        return _actions(args)
    if args.command == "insights":
        return _insights(settings)
    return _retention(settings, args.days, args.handover_days)


if __name__ == "__main__":
    sys.exit(main())
