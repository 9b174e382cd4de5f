"""At most one notification mail per school address per window (issue 20, finding 7: mail flooding).

A new handover joins its address's queue (``wegwijs_handovers.notify_to``). Whoever claims the address's
window sends the whole queue: one handover gets the usual mail, several get one mail "N nieuwe vragen"
(:func:`wegwijs.handovers.notify.bundle_mail`). A window is claimed when the address had no mail in the
last ``WEGWIJS_NOTIFY_WINDOW_SECONDS`` (default 300; 0: a mail per handover), with one statement on its
row in ``wegwijs_mail_windows``, so two processes never both claim it. So the first handover mails at
once; the ones after it in the window wait for its end and go out together.

Who sends the waiting ones when the window ends:

- the action server itself: a timer in its event loop (:func:`schedule_flush`), set when a handover has
  to wait; the action server has no other periodic task, and ``wegwijs retention`` runs only every 10
  minutes (``make run``) or daily (the Kubernetes CronJob), too late for a 5-minute window;
- the next handover after the window, in any process (when the timer's process stopped);
- ``wegwijs retention``, as the last safety net.

A mail that fails is tried again after the next window; a handover that waited a day, was resolved or
erased leaves the queue. No mail carries anything the parent wrote: links, roles, schools, urgencies.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import weakref
from typing import Dict, List, Optional, Sequence

import sqlalchemy as sa

from wegwijs.db.engine import engine_for
from wegwijs.db.models import Handover, MailWindow, SchoolRecord, utcnow
from wegwijs.handovers import notify
from wegwijs.handovers.service import OPEN_STATUSES
from wegwijs.schools import ROLE_LABELS
from wegwijs.settings import Settings

logger = logging.getLogger(__name__)

HANDOVERS = Handover.__table__
WINDOWS = MailWindow.__table__
#: A handover whose mail could not go out for this long leaves the queue (staff see it in the portal).
MAX_WAIT = dt.timedelta(days=1)
#: The timer fires this much after the window's end, so that the window has surely ended.
MARGIN_SECONDS = 0.05


def _school_names(db_url: str, school_ids: Sequence[str]) -> Dict[str, str]:
    """The schools' names as they are in the database now (a school created or renamed in the portal
    counts without a restart)."""
    try:
        with engine_for(db_url).connect() as connection:
            rows = connection.execute(sa.select(SchoolRecord.id, SchoolRecord.profile)
                                      .where(SchoolRecord.id.in_(sorted(set(school_ids))))).all()
        return {row.id: json.loads(row.profile).get("name") or row.id for row in rows}
    except Exception:  # noqa: BLE001 - a mail names the school's id rather than not going out
        logger.exception("could not read the schools' names for a notification mail")
        return {}


def _claim(connection: sa.engine.Connection, address: str, now: dt.datetime, window: int) -> bool:
    """Claim the address's window: True when its last mail is at least ``window`` seconds ago (or there
    was none), and then it is now. One statement each, so that parallel claims cannot both succeed
    (SQLite: the statement takes the write lock; PostgreSQL: the second UPDATE waits for the first and
    sees its new time)."""
    dialect = connection.dialect.name
    if dialect in ("sqlite", "postgresql"):
        if dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert
        else:
            from sqlalchemy.dialects.postgresql import insert
        first = insert(WINDOWS).values(address=address, sent_at=now).on_conflict_do_nothing(
            index_elements=[WINDOWS.c.address])
        if connection.execute(first).rowcount == 1:
            return True
    elif connection.execute(sa.select(WINDOWS.c.address).where(WINDOWS.c.address == address)).first() is None:
        connection.execute(sa.insert(WINDOWS).values(address=address, sent_at=now))
        return True
    return connection.execute(
        sa.update(WINDOWS).where(WINDOWS.c.address == address,
                                 WINDOWS.c.sent_at <= now - dt.timedelta(seconds=window))
        .values(sent_at=now)).rowcount == 1


def _take(connection: sa.engine.Connection, address: str, now: dt.datetime) -> List[sa.engine.Row]:
    """The handovers waiting for a mail to ``address``, taken out of the queue (after the ones that no
    longer need one left it)."""
    _drop_stale(connection, now)
    waiting = HANDOVERS.c.notify_to == address
    rows = connection.execute(
        sa.select(HANDOVERS.c.id, HANDOVERS.c.public_id, HANDOVERS.c.role, HANDOVERS.c.school_id,
                  HANDOVERS.c.urgency).where(waiting).order_by(HANDOVERS.c.created_at, HANDOVERS.c.id)).all()
    if rows:
        connection.execute(sa.update(HANDOVERS).where(HANDOVERS.c.id.in_([row.id for row in rows]))
                           .values(notify_to=None))
    return rows


def _drop_stale(connection: sa.engine.Connection, now: dt.datetime) -> None:
    """Handovers that no longer need a mail leave the queue: resolved, erased, or waiting for a day."""
    connection.execute(
        sa.update(HANDOVERS).where(HANDOVERS.c.notify_to.is_not(None), sa.or_(
            HANDOVERS.c.status.not_in(OPEN_STATUSES), HANDOVERS.c.purged_at.is_not(None),
            HANDOVERS.c.created_at < now - MAX_WAIT)).values(notify_to=None))


def _deliver(settings: Settings, address: str, rows: Sequence[sa.engine.Row], now: dt.datetime) -> bool:
    """One mail about ``rows`` to ``address``; they are marked notified, or queued again when it fails."""
    names = _school_names(settings.db_url, [row.school_id for row in rows])
    items = [(row.public_id, ROLE_LABELS.get(row.role, row.role), names.get(row.school_id, row.school_id),
              row.urgency) for row in rows]
    what = ",".join(row.public_id for row in rows)
    if len(items) == 1:
        public_id, role_label, school_name, urgency = items[0]
        message = notify.notification_mail(settings, address, role_label, school_name, public_id, urgency)
    else:
        message = notify.bundle_mail(settings, address, items)
    sent = notify.send(settings, message, what)
    ids = [row.id for row in rows]
    with engine_for(settings.db_url).begin() as connection:
        if sent:
            connection.execute(sa.update(HANDOVERS).where(HANDOVERS.c.id.in_(ids)).values(notified_at=now))
        else:  # try again after the next window
            connection.execute(sa.update(HANDOVERS).where(HANDOVERS.c.id.in_(ids),
                                                          HANDOVERS.c.notified_at.is_(None))
                               .values(notify_to=address))
    return sent


def notify_handover(settings: Settings, handover_id: int, public_id: str, address: Optional[str],
                    now: Optional[dt.datetime] = None) -> Optional[float]:
    """The notification of a handover just stored: its mail goes now when ``address``'s window can be
    claimed (with any handovers that waited for it), else it waits for the window's end. Also sends what
    waits for other addresses whose window has ended. Returns the seconds until the next window with
    waiting handovers ends (for :func:`schedule_flush`), or None when nothing waits."""
    if not notify.can_send(settings, address, public_id):
        return None
    now = now or utcnow()
    with engine_for(settings.db_url).begin() as connection:
        connection.execute(sa.update(HANDOVERS).where(HANDOVERS.c.id == handover_id).values(notify_to=address))
        rows = _take(connection, address, now) \
            if _claim(connection, address, now, settings.notify_window_seconds) else []
    if rows:
        _deliver(settings, address, rows, now)
    flush_due(settings, now)
    return next_due(settings, utcnow())


def flush_due(settings: Settings, now: Optional[dt.datetime] = None) -> int:
    """Send what waits for every address whose window has ended: one mail per address. Returns how many
    mails went out."""
    if not settings.smtp_host:
        return 0
    now = now or utcnow()
    engine = engine_for(settings.db_url)
    if not sa.inspect(engine).has_table(WINDOWS.name):
        return 0
    with engine.begin() as connection:
        _drop_stale(connection, now)
        addresses = [row[0] for row in connection.execute(
            sa.select(HANDOVERS.c.notify_to).where(HANDOVERS.c.notify_to.is_not(None)).distinct())]
    sent = 0
    for address in addresses:
        with engine.begin() as connection:
            rows = _take(connection, address, now) \
                if _claim(connection, address, now, settings.notify_window_seconds) else []
        if rows and _deliver(settings, address, rows, now):
            sent += 1
    return sent


def next_due(settings: Settings, now: Optional[dt.datetime] = None) -> Optional[float]:
    """Seconds until the first window with waiting handovers ends (0 when one has ended); None when
    nothing waits."""
    now = now or utcnow()
    with engine_for(settings.db_url).connect() as connection:
        last_mails = connection.execute(
            sa.select(HANDOVERS.c.notify_to, WINDOWS.c.sent_at).select_from(HANDOVERS.join(
                WINDOWS, WINDOWS.c.address == HANDOVERS.c.notify_to, isouter=True))
            .where(HANDOVERS.c.notify_to.is_not(None)).distinct()).all()
    if not last_mails:
        return None
    window = dt.timedelta(seconds=settings.notify_window_seconds)
    return max(0.0, min((sent_at + window - now).total_seconds() if sent_at else 0.0
                        for _, sent_at in last_mails))


# --- the action server's timer ------------------------------------------------------------------------

_timers: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Dict[str, asyncio.TimerHandle]]" = \
    weakref.WeakKeyDictionary()
_tasks: set = set()


def schedule_flush(settings: Settings, delay: float) -> None:
    """In the running event loop (the action server's), send what waits after ``delay`` seconds; then set
    the timer again for what still waits. One timer per loop and database: an earlier one stays."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return
    timers = _timers.setdefault(loop, {})
    when = loop.time() + max(0.0, delay) + MARGIN_SECONDS
    current = timers.get(settings.db_url)
    if current is not None and not current.cancelled() and current.when() <= when:
        return
    if current is not None:
        current.cancel()
    timers[settings.db_url] = loop.call_at(when, _start_flush, loop, settings)


def _start_flush(loop: asyncio.AbstractEventLoop, settings: Settings) -> None:
    _timers.get(loop, {}).pop(settings.db_url, None)
    task = loop.create_task(_flush(settings))
    _tasks.add(task)
    task.add_done_callback(_tasks.discard)


async def _flush(settings: Settings) -> None:
    def work() -> Optional[float]:
        flush_due(settings)
        return next_due(settings)
    try:
        delay = await asyncio.to_thread(work)
    except Exception:  # noqa: BLE001 - the next handover or `wegwijs retention` sends them
        logger.exception("could not send the waiting notification mails")
        return
    if delay is not None:
        schedule_flush(settings, delay)


async def notify_new_handover(settings: Settings, handover_id: int, public_id: str,
                              address: Optional[str]) -> None:
    """For the handover action: mail now or queue (:func:`notify_handover`), and set the timer for what
    waits. Never raises: the handover is stored either way, and staff see it in the portal."""
    try:
        delay = await asyncio.to_thread(notify_handover, settings, handover_id, public_id, address)
    except Exception:  # noqa: BLE001
        logger.exception("handover %s: could not send or queue the notification", public_id)
        return
    if delay is not None:
        schedule_flush(settings, delay)
