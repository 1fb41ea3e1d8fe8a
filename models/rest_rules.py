"""Whether a volunteer may take a shift: no overlaps, hours per day and week, rest between stints.

Pure functions over plain values. Hours are real elapsed time, counted on the community's local
calendar: a night shift crossing midnight counts on both days, and a local day the clocks change
has 23 or 25 hours. Weeks are local ISO weeks, Monday to Sunday.

`check_claim` judges one new stint against a clean roster (the hot path when a volunteer taps
"I'll take it"); `roster_violations` audits a whole roster on its own, written separately so
each can check the other.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo


@dataclass(frozen=True, slots=True)
class RestRules:
    """The community's limits; a volunteer may work up to the limits, not beyond."""

    max_per_day: timedelta = timedelta(hours=8)
    max_per_week: timedelta = timedelta(hours=40)
    min_rest: timedelta = timedelta(hours=8)


@dataclass(frozen=True, slots=True)
class Stint:
    """One stretch of work, [start, end), with aware datetimes."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        # A naive time (e.g. read back from SQLite) would be counted on the wrong local day.
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("a stint's start and end must be timezone-aware")
        if self.end <= self.start:
            raise ValueError("a stint must end after it starts")


class Rule(StrEnum):
    """Which rule a claim breaks, in the order they are checked."""

    OVERLAP = "overlap"
    DAY = "day"
    WEEK = "week"
    REST = "rest"
    SKILL = "skill"


@dataclass(frozen=True, slots=True)
class Violation:
    """A broken rule and what explains it.

    `day`: the local day (DAY) or the Monday of the local ISO week (WEEK); `would_have`: the
    hours that day or week (DAY, WEEK) or the rest gap (REST); `limit`: the rule's limit;
    `skill`: the skill the shift needs and the volunteer lacks (SKILL).
    """

    rule: Rule
    day: date | None = None
    would_have: timedelta | None = None
    limit: timedelta | None = None
    skill: str | None = None


def check_claim(
    existing: Sequence[Stint],
    new: Stint,
    rules: RestRules,
    tz: ZoneInfo,
    *,
    required_skill: str | None = None,
    skills: Iterable[str] = (),
) -> Violation | None:
    """The first rule (skill, overlap, day, week, rest) taking `new` would break, or None."""
    if required_skill is not None and required_skill not in set(skills):
        return Violation(Rule.SKILL, skill=required_skill)
    start, end = _utc(new)
    others = [_utc(stint) for stint in existing]
    if any(s < end and start < e for s, e in others):
        return Violation(Rule.OVERLAP)
    for day in _local_days(start, end, tz):
        window = _day_window(day, tz)
        worked = _within(others, window) + _within([(start, end)], window)
        if worked > rules.max_per_day:
            return Violation(Rule.DAY, day, worked, rules.max_per_day)
    for monday in sorted({_monday(day) for day in _local_days(start, end, tz)}):
        window = (_day_window(monday, tz)[0], _day_window(monday + timedelta(days=6), tz)[1])
        worked = _within(others, window) + _within([(start, end)], window)
        if worked > rules.max_per_week:
            return Violation(Rule.WEEK, monday, worked, rules.max_per_week)
    before = [start - e for s, e in others if e <= start]
    after = [s - end for s, e in others if s >= end]
    for gap in sorted(min(gaps) for gaps in (before, after) if gaps):
        # A gap of exactly zero is one continuous stint; the day and week limits cover it.
        if timedelta(0) < gap < rules.min_rest:
            return Violation(Rule.REST, None, gap, rules.min_rest)
    return None


def roster_violations(stints: Sequence[Stint], rules: RestRules, tz: ZoneInfo) -> list[Violation]:
    """Every rule a volunteer's whole roster breaks: overlaps, long days and weeks, short rests."""
    ordered = sorted((_utc(stint) for stint in stints), key=lambda pair: pair[0])
    found: list[Violation] = []
    latest_end: datetime | None = None
    for start, end in ordered:
        if latest_end is not None and start < latest_end:
            found.append(Violation(Rule.OVERLAP))
        elif latest_end is not None and timedelta(0) < start - latest_end < rules.min_rest:
            found.append(Violation(Rule.REST, None, start - latest_end, rules.min_rest))
        latest_end = end if latest_end is None else max(latest_end, end)

    per_day: dict[date, timedelta] = defaultdict(timedelta)
    for start, end in ordered:
        for day, piece in _split_at_midnights(start, end, tz):
            per_day[day] += piece
    per_week: dict[date, timedelta] = defaultdict(timedelta)
    for day, worked in sorted(per_day.items()):
        per_week[day - timedelta(days=day.weekday())] += worked
        if worked > rules.max_per_day:
            found.append(Violation(Rule.DAY, day, worked, rules.max_per_day))
    found.extend(
        Violation(Rule.WEEK, monday, worked, rules.max_per_week)
        for monday, worked in sorted(per_week.items())
        if worked > rules.max_per_week
    )
    return found


def _utc(stint: Stint) -> tuple[datetime, datetime]:
    # In one zone, aware subtraction is wall-clock; through UTC it is real elapsed time.
    return stint.start.astimezone(UTC), stint.end.astimezone(UTC)


def _local_days(start: datetime, end: datetime, tz: ZoneInfo) -> list[date]:
    """The local days [start, end) touches."""
    first = start.astimezone(tz).date()
    last = (end - timedelta(microseconds=1)).astimezone(tz).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _day_window(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The local day as a UTC interval: 23 or 25 hours long when the clocks change."""
    return _midnight(day, tz), _midnight(day + timedelta(days=1), tz)


def _midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=tz).astimezone(UTC)


def _monday(day: date) -> date:
    return date.fromisocalendar(*day.isocalendar()[:2], 1)


def _within(
    stints: Iterable[tuple[datetime, datetime]], window: tuple[datetime, datetime]
) -> timedelta:
    """How much of the stints lies inside the window."""
    low, high = window
    total = timedelta(0)
    for start, end in stints:
        if start < high and low < end:
            total += min(end, high) - max(start, low)
    return total


def _split_at_midnights(
    start: datetime, end: datetime, tz: ZoneInfo
) -> Iterable[tuple[date, timedelta]]:
    """The stint cut at each local midnight: (local day, time worked that day)."""
    cursor = start
    while cursor < end:
        day = cursor.astimezone(tz).date()
        cut = min(end, _midnight(day + timedelta(days=1), tz))
        yield day, cut - cursor
        cursor = cut
