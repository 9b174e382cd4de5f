"""The ``wegwijs`` command: maintenance tasks around the Rasa assistant."""
from __future__ import annotations

import argparse
import sys
from typing import List, Optional

from wegwijs.settings import Settings, SettingsError


def _check(settings: Settings) -> int:
    from wegwijs.checks import check_project

    problems = check_project(settings.home)
    for problem in problems:
        print(f"- {problem}")
    print(f"content check: {len(problems)} problem(s)")
    return 1 if problems else 0


def _schools(settings: Settings) -> int:
    from wegwijs.schools import SchoolFileError, SchoolRegistry

    try:
        registry = SchoolRegistry.from_directory(settings.schools_dir)
    except SchoolFileError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"{len(registry.ids())} school(s) valid: {', '.join(registry.ids())}")
    return 0


def _train(settings: Settings, force: bool) -> int:
    from wegwijs.training import train

    train(settings.home, force=force)
    return 0


def _retention(settings: Settings, days: Optional[int], handover_days: Optional[int]) -> int:
    from wegwijs.retention import purge_conversations, purge_handovers

    days = days or settings.retention_days
    handover_days = handover_days or settings.handover_retention_days
    purged = purge_handovers(settings.db_url, handover_days)
    removed = purge_conversations(settings.db_url, days)
    print(f"retention: removed the content and transcript of {purged} handover(s) resolved more "
          f"than {handover_days} days ago")
    print(f"retention: removed {removed} conversation(s) silent for more than {days} days "
          "(conversations with an open handover are kept)")
    return 0


def _db(settings: Settings, action: str) -> int:
    from wegwijs.db import migrate

    if action == "upgrade":
        migrate.upgrade(settings.db_url)
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


def main(argv: Optional[List[str]] = None) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(prog="wegwijs", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("check", help="check content, NLU data, domain and schools for consistency")
    sub.add_parser("schools", help="validate the school profiles")
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
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    if args.command == "check":
        return _check(settings)
    if args.command == "schools":
        return _schools(settings)
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
    return _retention(settings, args.days, args.handover_days)


if __name__ == "__main__":
    sys.exit(main())
