"""When a professional is at school, from the hours in the school profile (Dutch local time), and the
school's holidays and closed days (``School.holidays``): nobody answers during a holiday, and the reply
then names the first school day after it."""
from __future__ import annotations

import datetime as dt
from typing import List, Optional, Sequence
from zoneinfo import ZoneInfo

from wegwijs.schools import WEEKDAYS, Holiday, Hours

TIMEZONE = ZoneInfo("Europe/Amsterdam")
#: how far ahead an opening is looked for (past the longest holidays)
SEARCH_DAYS = 120
MONTHS = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
          "september", "oktober", "november", "december")
EN_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
             "October", "November", "December")


def _at(day: dt.date, clock: str) -> dt.datetime:
    hours, minutes = (int(part) for part in clock.split(":"))
    return dt.datetime.combine(day, dt.time(hours, minutes), tzinfo=TIMEZONE)


def local_now(now: Optional[dt.datetime] = None) -> dt.datetime:
    """``now`` (default: the clock) in Dutch time."""
    now = now or dt.datetime.now(dt.timezone.utc)
    if now.tzinfo is None:
        now = now.replace(tzinfo=dt.timezone.utc)
    return now.astimezone(TIMEZONE)


def holiday_on(closed: Sequence[Holiday], day: dt.date) -> Optional[Holiday]:
    """The holiday of ``closed`` that covers ``day``, or None."""
    return next((holiday for holiday in closed if holiday.covers(day)), None)


def is_open(hours: List[Hours], now: Optional[dt.datetime] = None, closed: Sequence[Holiday] = ()) -> bool:
    """Whether ``now`` falls in one of the ``hours`` (and not in a holiday of ``closed``)."""
    now = local_now(now)
    if holiday_on(closed, now.date()):
        return False
    day = WEEKDAYS[now.weekday()]
    return any(h.day == day and _at(now.date(), h.start) <= now < _at(now.date(), h.end) for h in hours)


def next_opening(hours: List[Hours], now: Optional[dt.datetime] = None,
                 closed: Sequence[Holiday] = ()) -> Optional[dt.datetime]:
    """The next start of the hours after ``now``, skipping the holidays of ``closed``, or None without
    hours."""
    now = local_now(now)
    for offset in range(0, SEARCH_DAYS):
        day = now.date() + dt.timedelta(days=offset)
        if holiday_on(closed, day):
            continue
        starts = sorted(_at(day, h.start) for h in hours if h.day == WEEKDAYS[day.weekday()])
        for start in starts:
            if start > now:
                return start
    return None


def first_school_day(holiday: Holiday, closed: Sequence[Holiday] = ()) -> dt.date:
    """The first weekday (Monday to Friday) after ``holiday`` that no holiday of ``closed`` covers."""
    day = holiday.end + dt.timedelta(days=1)
    while day.weekday() >= 5 or holiday_on(closed, day):
        day += dt.timedelta(days=1)
    return day


EN_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def describe_day(day: dt.date, language: str = "nl") -> str:
    """'maandag 5 januari' (English: 'Monday 5 January')."""
    if language == "en":
        return f"{EN_WEEKDAYS[day.weekday()]} {day.day} {EN_MONTHS[day.month - 1]}"
    return f"{WEEKDAYS[day.weekday()]} {day.day} {MONTHS[day.month - 1]}"


def describe_opening(moment: dt.datetime, now: Optional[dt.datetime] = None, language: str = "nl") -> str:
    """'vandaag vanaf 8.30 uur', 'morgen vanaf 9.00 uur' or 'maandag vanaf 8.00 uur' (English: 'today
    from 08:30', 'tomorrow from 09:00', 'Monday from 08:00'); a week or more ahead (after a holiday) with
    the date: 'maandag 5 januari vanaf 8.15 uur'."""
    now = local_now(now)
    moment = moment.astimezone(TIMEZONE)
    clock = f"{moment.hour}.{moment.minute:02d} uur"
    days = (moment.date() - now.date()).days
    if language == "en":
        clock = f"{moment.hour:02d}:{moment.minute:02d}"
        day = ("today" if days == 0 else "tomorrow" if days == 1 else EN_WEEKDAYS[moment.weekday()]
               if days < 7 else describe_day(moment.date(), "en"))
        return f"{day} from {clock}"
    if days == 0:
        return f"vandaag vanaf {clock}"
    if days == 1:
        return f"morgen vanaf {clock}"
    if days >= 7:
        return f"{describe_day(moment.date())} vanaf {clock}"
    return f"{WEEKDAYS[moment.weekday()]} vanaf {clock}"


def holiday_sentence(holiday: Holiday, closed: Sequence[Holiday], language: str = "nl") -> str:
    """'Het is nu Kerstvakantie, tot en met zondag 3 januari. De eerste schooldag daarna is maandag
    4 januari.' (English: 'The school is closed now (Kerstvakantie) until Sunday 3 January. The first
    school day after it is Monday 4 January.')"""
    after = first_school_day(holiday, closed)
    if language == "en":
        return (f"The school is closed now ({holiday.label}) until {describe_day(holiday.end, 'en')}. "
                f"The first school day after it is {describe_day(after, 'en')}.")
    return (f"Het is nu {holiday.label}, tot en met {describe_day(holiday.end)}. "
            f"De eerste schooldag daarna is {describe_day(after)}.")


def expectation(hours: List[Hours], name: str, now: Optional[dt.datetime] = None,
                absent: str = "is er nu niet", language: str = "nl", closed: Sequence[Holiday] = ()) -> str:
    """A sentence on when to expect an answer, for the parent (empty while the person is at school).

    ``name`` is the person (or the school, with ``absent="is nu gesloten"``); ``closed`` the school's
    holidays: during one, the sentence names the first school day after it.
    """
    if language == "en":
        return _expectation_en(hours, name, now, absent != "is er nu niet", closed)
    holiday = holiday_on(closed, local_now(now).date())
    first = holiday_sentence(holiday, closed) + " " if holiday else ""
    if not hours:
        if holiday:
            return (first + "Je krijgt antwoord zodra deze persoon je vraag heeft gelezen, op zijn vroegst op "
                    "de eerste schooldag.")
        return ("Ik weet niet op welke dagen deze persoon op school is. Je krijgt antwoord zodra die "
                "je vraag heeft gelezen; in schoolvakanties kan dat langer duren.")
    if is_open(hours, now, closed):
        return ""
    opening = next_opening(hours, now, closed)
    if opening is None:  # pragma: no cover - hours always repeat, holidays end
        return first.strip()
    later = "" if holiday else " In schoolvakanties kan het langer duren."
    return (f"{first}{name[0].upper() + name[1:]} {absent}. Je krijgt op zijn vroegst "
            f"{describe_opening(opening, now)} antwoord.{later}")


def _expectation_en(hours: List[Hours], name: str, now: Optional[dt.datetime], closed_now: bool,
                    closed: Sequence[Holiday]) -> str:
    holiday = holiday_on(closed, local_now(now).date())
    first = holiday_sentence(holiday, closed, "en") + " " if holiday else ""
    if not hours:
        if holiday:
            return (first + "You get an answer as soon as this person has read your question, on the first "
                    "school day at the earliest.")
        return ("I do not know on which days this person is at school. You get an answer as soon as they "
                "have read your question; during school holidays it can take longer.")
    if is_open(hours, now, closed):
        return ""
    opening = next_opening(hours, now, closed)
    if opening is None:  # pragma: no cover - hours always repeat, holidays end
        return first.strip()
    state = "is closed now" if closed_now else "is not there now"
    later = "" if holiday else " During school holidays it can take longer."
    return (f"{first}{name[0].upper() + name[1:]} {state}. You get an answer "
            f"{describe_opening(opening, now, 'en')} at the earliest.{later}")
