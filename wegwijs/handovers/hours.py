"""When a professional is at school, from the hours in the school profile (Dutch local time)."""
from __future__ import annotations

import datetime as dt
from typing import List, Optional
from zoneinfo import ZoneInfo

from wegwijs.schools import WEEKDAYS, Hours

TIMEZONE = ZoneInfo("Europe/Amsterdam")


def _at(day: dt.date, clock: str) -> dt.datetime:
    hours, minutes = (int(part) for part in clock.split(":"))
    return dt.datetime.combine(day, dt.time(hours, minutes), tzinfo=TIMEZONE)


def local_now(now: Optional[dt.datetime] = None) -> dt.datetime:
    """``now`` (default: the clock) in Dutch time."""
    now = now or dt.datetime.now(dt.timezone.utc)
    if now.tzinfo is None:
        now = now.replace(tzinfo=dt.timezone.utc)
    return now.astimezone(TIMEZONE)


def is_open(hours: List[Hours], now: Optional[dt.datetime] = None) -> bool:
    """Whether ``now`` falls in one of the ``hours``."""
    now = local_now(now)
    day = WEEKDAYS[now.weekday()]
    return any(h.day == day and _at(now.date(), h.start) <= now < _at(now.date(), h.end) for h in hours)


def next_opening(hours: List[Hours], now: Optional[dt.datetime] = None) -> Optional[dt.datetime]:
    """The next start of the hours after ``now`` (within a week), or None without hours."""
    now = local_now(now)
    for offset in range(0, 8):
        day = now.date() + dt.timedelta(days=offset)
        starts = sorted(_at(day, h.start) for h in hours if h.day == WEEKDAYS[day.weekday()])
        for start in starts:
            if start > now:
                return start
    return None


EN_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def describe_opening(moment: dt.datetime, now: Optional[dt.datetime] = None, language: str = "nl") -> str:
    """'vandaag vanaf 8.30 uur', 'morgen vanaf 9.00 uur' or 'maandag vanaf 8.00 uur' (English: 'today
    from 08:30', 'tomorrow from 09:00', 'Monday from 08:00')."""
    now = local_now(now)
    moment = moment.astimezone(TIMEZONE)
    clock = f"{moment.hour}.{moment.minute:02d} uur"
    days = (moment.date() - now.date()).days
    if language == "en":
        clock = f"{moment.hour:02d}:{moment.minute:02d}"
        day = "today" if days == 0 else "tomorrow" if days == 1 else EN_WEEKDAYS[moment.weekday()]
        return f"{day} from {clock}"
    if days == 0:
        return f"vandaag vanaf {clock}"
    if days == 1:
        return f"morgen vanaf {clock}"
    return f"{WEEKDAYS[moment.weekday()]} vanaf {clock}"


def expectation(hours: List[Hours], name: str, now: Optional[dt.datetime] = None,
                absent: str = "is er nu niet", language: str = "nl") -> str:
    """A sentence on when to expect an answer, for the parent (empty while the person is at school).

    ``name`` is the person (or the school, with ``absent="is nu gesloten"``).
    """
    if language == "en":
        return _expectation_en(hours, name, now, closed=absent != "is er nu niet")
    if not hours:
        return ("Ik weet niet op welke dagen deze persoon op school is. Je krijgt antwoord zodra die "
                "je vraag heeft gelezen; in schoolvakanties kan dat langer duren.")
    if is_open(hours, now):
        return ""
    opening = next_opening(hours, now)
    if opening is None:  # pragma: no cover - hours always repeat within a week
        return ""
    return (f"{name[0].upper() + name[1:]} {absent}. Je krijgt op zijn vroegst "
            f"{describe_opening(opening, now)} antwoord. In schoolvakanties kan het langer duren.")


def _expectation_en(hours: List[Hours], name: str, now: Optional[dt.datetime], closed: bool) -> str:
    if not hours:
        return ("I do not know on which days this person is at school. You get an answer as soon as they "
                "have read your question; during school holidays it can take longer.")
    if is_open(hours, now):
        return ""
    opening = next_opening(hours, now)
    if opening is None:  # pragma: no cover - hours always repeat within a week
        return ""
    state = "is closed now" if closed else "is not there now"
    return (f"{name[0].upper() + name[1:]} {state}. You get an answer {describe_opening(opening, now, 'en')} "
            "at the earliest. During school holidays it can take longer.")
