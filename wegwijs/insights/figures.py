"""The Insights page's figures for one school or all schools over a period of whole weeks.

Everything is counted from the insight tables (``wegwijs.insights.store``) and the handovers table, in
the database (``GROUP BY``), so the page costs about the same for 100 or 100,000 conversations
(``benchmarks/insights.py``).

Small numbers: a count from 1 to 4 is shown as "< 5" (:func:`shown`), on the page, in the plots and in the
CSV, so that no single family can be recognised; 0 is shown as 0 (it tells about nobody). A share is
only given when both its parts are at least 5, a median or p90 only over at least 5 handovers.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import math
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import sqlalchemy as sa
from sqlalchemy.orm import Session

from wegwijs.db.models import Handover, InsightConversation, InsightRating, InsightTopic
from wegwijs.feedback import REASONS
from wegwijs.insights.summary import AMSTERDAM

#: counts below this are shown as "< 5"
SMALL = 5
SMALL_LABEL = "< 5"
TOP_TOPICS = 10
DEFAULT_WEEKS = 12
MAX_WEEKS = 104
#: all schools (maintainers only)
ALL = "*"


def shown(count: int) -> str:
    """A count as it may be shown: "< 5" for 1 to 4."""
    return SMALL_LABEL if 0 < count < SMALL else str(count)


def small(count: int) -> bool:
    return 0 < count < SMALL


def monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


@dataclass(frozen=True)
class Period:
    """Whole weeks, from the Monday of ``first`` to the Sunday after ``last`` (both Mondays)."""

    first: dt.date
    last: dt.date

    @classmethod
    def of(cls, start: Optional[dt.date], end: Optional[dt.date], today: dt.date) -> "Period":
        """The weeks from ``start`` to ``end`` (default: the last 12 weeks up to this one); at most two
        years, never in the wrong order."""
        last = monday(end or today)
        first = monday(start) if start else last - dt.timedelta(weeks=DEFAULT_WEEKS - 1)
        if first > last:
            first, last = last, first
        if (last - first).days // 7 >= MAX_WEEKS:
            first = last - dt.timedelta(weeks=MAX_WEEKS - 1)
        return cls(first, last)

    @property
    def weeks(self) -> List[dt.date]:
        return [self.first + dt.timedelta(weeks=n) for n in range((self.last - self.first).days // 7 + 1)]

    def utc_bounds(self) -> Tuple[dt.datetime, dt.datetime]:
        """The period in naive UTC (as handovers store time): Monday 00:00 to the next Monday, Dutch time."""
        def at(day: dt.date) -> dt.datetime:
            local = dt.datetime.combine(day, dt.time(0), tzinfo=AMSTERDAM)
            return local.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return at(self.first), at(self.last + dt.timedelta(weeks=1))


@dataclass
class Durations:
    """Hours from a handover to an event: how many, median and p90 (None under 5 handovers)."""

    count: int
    median: Optional[float]
    p90: Optional[float]


@dataclass
class TopicFeedback:
    topic: str
    up: int
    down: int
    reasons: Dict[str, int]


@dataclass
class WrongAnswer:
    """An answer parents marked "klopt niet": for the content editors (no text of a parent)."""

    answer_id: str
    count: int
    last: dt.datetime


@dataclass
class Figures:
    school_id: str
    period: Period
    weeks: List[Tuple[dt.date, int]]
    conversations: int
    parent_messages: int
    not_understood: int
    choices_offered: int
    choices_taken: int
    safety_replies: int
    topics: List[Tuple[str, int]]
    feedback: List[TopicFeedback]
    handovers: List[Tuple[str, int]]
    first_reply: Durations
    resolution: Durations
    wrong_answers: List[WrongAnswer] = field(default_factory=list)

    @property
    def handover_total(self) -> int:
        return sum(count for _, count in self.handovers)


def _scoped(query, column, school_id: str):
    return query if school_id == ALL else query.where(column == school_id)


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile of sorted ``values``."""
    rank = max(1, math.ceil(share * len(values) - 1e-9))
    return values[min(rank, len(values)) - 1]


def durations(values: Sequence[float]) -> Durations:
    ordered = sorted(values)
    if len(ordered) < SMALL:
        return Durations(len(ordered), None, None)
    middle = len(ordered) // 2
    median = ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    return Durations(len(ordered), median, percentile(ordered, 0.9))


def compute(session: Session, school_id: str, period: Period, editors: bool = False) -> Figures:
    """The figures of ``school_id`` (or :data:`ALL`) over ``period``; ``editors``: also the answers
    marked "klopt niet" (maintainers)."""
    conv = InsightConversation.__table__
    in_period = sa.and_(conv.c.week >= period.first, conv.c.week <= period.last)
    per_week = dict(session.execute(_scoped(
        sa.select(conv.c.week, sa.func.count()).where(in_period).group_by(conv.c.week),
        conv.c.school_id, school_id)).all())
    totals = session.execute(_scoped(
        sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(conv.c.parent_messages), 0),
                  sa.func.coalesce(sa.func.sum(conv.c.not_understood), 0),
                  sa.func.coalesce(sa.func.sum(conv.c.choices_offered), 0),
                  sa.func.coalesce(sa.func.sum(conv.c.choices_taken), 0),
                  sa.func.coalesce(sa.func.sum(conv.c.safety_replies), 0)).where(in_period),
        conv.c.school_id, school_id)).one()

    topics_table = InsightTopic.__table__
    topics = session.execute(_scoped(
        sa.select(topics_table.c.topic, sa.func.count().label("n"))
        .where(topics_table.c.week >= period.first, topics_table.c.week <= period.last)
        .group_by(topics_table.c.topic).order_by(sa.desc("n"), topics_table.c.topic).limit(TOP_TOPICS),
        topics_table.c.school_id, school_id)).all()

    ratings = InsightRating.__table__
    feedback_rows = session.execute(_scoped(
        sa.select(ratings.c.topic, ratings.c.rating, ratings.c.reason, sa.func.count())
        .where(ratings.c.week >= period.first, ratings.c.week <= period.last)
        .group_by(ratings.c.topic, ratings.c.rating, ratings.c.reason),
        ratings.c.school_id, school_id)).all()
    by_topic: Dict[str, TopicFeedback] = {}
    for topic, rating, reason, count in feedback_rows:
        item = by_topic.setdefault(topic, TopicFeedback(topic, 0, 0, {key: 0 for key in REASONS}))
        if rating == "up":
            item.up += count
        else:
            item.down += count
            if reason in item.reasons:
                item.reasons[reason] += count
    feedback = sorted(by_topic.values(), key=lambda item: (-(item.up + item.down), item.topic))

    handovers = Handover.__table__
    start, end = period.utc_bounds()
    in_time = sa.and_(handovers.c.created_at >= start, handovers.c.created_at < end)
    roles = session.execute(_scoped(
        sa.select(handovers.c.role, sa.func.count()).where(in_time).group_by(handovers.c.role)
        .order_by(sa.desc(sa.func.count()), handovers.c.role), handovers.c.school_id, school_id)).all()
    times = session.execute(_scoped(
        sa.select(handovers.c.created_at, handovers.c.first_reply_at, handovers.c.resolved_at).where(in_time),
        handovers.c.school_id, school_id)).all()
    hours: Callable[[dt.datetime, dt.datetime], float] = lambda a, b: (b - a).total_seconds() / 3600
    first_reply = durations([hours(created, replied) for created, replied, _ in times if replied])
    resolution = durations([hours(created, resolved) for created, _, resolved in times if resolved])

    wrong: List[WrongAnswer] = []
    if editors:
        wrong = [WrongAnswer(answer, count, last) for answer, count, last in session.execute(_scoped(
            sa.select(ratings.c.answer_id, sa.func.count(), sa.func.max(ratings.c.rated_at))
            .where(ratings.c.rating == "down", ratings.c.reason == "incorrect",
                   ratings.c.week >= period.first, ratings.c.week <= period.last)
            .group_by(ratings.c.answer_id).order_by(sa.desc(sa.func.count()), ratings.c.answer_id),
            ratings.c.school_id, school_id)).all()]

    return Figures(
        school_id=school_id, period=period, weeks=[(week, per_week.get(week, 0)) for week in period.weeks],
        conversations=totals[0], parent_messages=int(totals[1]), not_understood=int(totals[2]),
        choices_offered=int(totals[3]), choices_taken=int(totals[4]), safety_replies=int(totals[5]),
        topics=[(topic, count) for topic, count in topics], feedback=feedback,
        handovers=[(role, count) for role, count in roles], first_reply=first_reply, resolution=resolution,
        wrong_answers=wrong)


def share(part: int, whole: int) -> Optional[int]:
    """``part`` of ``whole`` in whole percents, only when both are at least 5."""
    if part < SMALL or whole < SMALL:
        return None
    return round(100 * part / whole)


def hours_label(value: Optional[float]) -> str:
    """Hours as staff read them: "45 min", "3,5 uur", "2,1 dagen"; "-" when not shown."""
    if value is None:
        return "-"
    if value < 1:
        return f"{max(1, round(value * 60))} min"
    if value < 48:
        return f"{value:.1f} uur".replace(".", ",")
    return f"{value / 24:.1f} dagen".replace(".", ",")


def csv_text(figures: Figures, topic_label: Callable[[str], str], role_label: Callable[[str], str]) -> str:
    """The page's figures as CSV (semicolons, as Dutch spreadsheets expect): part; item; figure; value."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(["onderdeel", "item", "cijfer", "waarde"])
    writer.writerow(["periode", "van", "week van", figures.period.first.isoformat()])
    writer.writerow(["periode", "tot en met", "week van", figures.period.last.isoformat()])
    for week, count in figures.weeks:
        writer.writerow(["gesprekken per week", week.isoformat(), "gesprekken", shown(count)])
    writer.writerow(["gesprekken", "totaal", "gesprekken", shown(figures.conversations)])
    writer.writerow(["niet begrepen", "berichten van ouders", "aantal", shown(figures.parent_messages)])
    writer.writerow(["niet begrepen", "niet begrepen", "aantal", shown(figures.not_understood)])
    percent = share(figures.not_understood, figures.parent_messages)
    writer.writerow(["niet begrepen", "niet begrepen", "procent", "" if percent is None else percent])
    writer.writerow(["bedoel je", "aangeboden", "aantal", shown(figures.choices_offered)])
    writer.writerow(["bedoel je", "gekozen", "aantal", shown(figures.choices_taken)])
    for topic, count in figures.topics:
        writer.writerow(["onderwerpen", topic_label(topic), "gesprekken", shown(count)])
    for item in figures.feedback:
        writer.writerow(["waardering", topic_label(item.topic), "ja", shown(item.up)])
        writer.writerow(["waardering", topic_label(item.topic), "nee", shown(item.down)])
        for key, label in REASONS.items():
            writer.writerow(["waardering", topic_label(item.topic), f"nee: {label}", shown(item.reasons[key])])
    for role, count in figures.handovers:
        writer.writerow(["overdrachten", role_label(role), "vragen", shown(count)])
    for name, value in (("eerste reactie", figures.first_reply), ("afgerond", figures.resolution)):
        writer.writerow([f"tijd tot {name}", "vragen", "aantal", shown(value.count)])
        writer.writerow([f"tijd tot {name}", "mediaan", "uren", "" if value.median is None
                         else f"{value.median:.2f}"])
        writer.writerow([f"tijd tot {name}", "p90", "uren", "" if value.p90 is None else f"{value.p90:.2f}"])
    writer.writerow(["veiligheid", "hulplijnen gegeven", "aantal", shown(figures.safety_replies)])
    for wrong in figures.wrong_answers:
        writer.writerow(["klopt niet", wrong.answer_id, "aantal", wrong.count])
    return out.getvalue()


@dataclass
class Bar:
    """One bar of a plot: its label, the figure as shown, and its length (0 to 1; 0 for "< 5")."""

    label: str
    text: str
    fraction: float


def bars(items: Sequence[Tuple[str, int]]) -> List[Bar]:
    """Bars for ``(label, count)`` pairs, scaled to the largest count that may be shown."""
    largest = max((count for _, count in items if not small(count)), default=0)
    return [Bar(label, shown(count), 0.0 if small(count) or not largest else count / largest)
            for label, count in items]
