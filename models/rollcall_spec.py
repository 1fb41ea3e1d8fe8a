"""The /rollcall line leaders type, read into plain values (no database, no chat text).

    /rollcall daily 08:00-10:00 | 每日报平安 Daily check-in
    /rollcall weekdays 19:00-20:00 | 晚间报平安 | volunteers
    /rollcall mon,wed,fri 08:00-09:00 | 探访 | care        (also 周一,周三)
    /rollcall once 2026-12-01 08:00-10:00 | 全员排查
    /rollcall now 30m | 紧急点名                             (1m to 24h)

A rollcall's window stays within one day: an end at or before its start is a mistake, not a
night window (a rollcall answered across midnight has no single date to be counted on).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from models.errors import BadTime, RollcallInPast, RollcallSyntax, RollcallWindow, UnknownAudience
from models.when import parse_when

TITLE_MAX = 60
MAX_WINDOW = timedelta(hours=24)


class Audience(StrEnum):
    """Who answers: each household, each volunteer, or the volunteers for their cared-for."""

    HOUSEHOLDS = "households"
    VOLUNTEERS = "volunteers"
    CARE = "care"


class Repeat(StrEnum):
    """How often the rollcall runs."""

    DAYS = "days"  # on the listed weekdays (daily: all seven)
    ONCE = "once"  # one date (`now`: from this minute)


_AUDIENCE_WORDS = {
    **{w: Audience.HOUSEHOLDS for w in ("households", "household", "住户", "居民", "每户")},
    **{w: Audience.VOLUNTEERS for w in ("volunteers", "volunteer", "志愿者")},
    **{w: Audience.CARE for w in ("care", "重点人群", "探访", "关怀")},
}
_DAY_WORDS = {
    **dict.fromkeys(("mon", "monday", "周一", "星期一", "礼拜一"), 0),
    **dict.fromkeys(("tue", "tues", "tuesday", "周二", "星期二", "礼拜二"), 1),
    **dict.fromkeys(("wed", "wednesday", "周三", "星期三", "礼拜三"), 2),
    **dict.fromkeys(("thu", "thur", "thurs", "thursday", "周四", "星期四", "礼拜四"), 3),
    **dict.fromkeys(("fri", "friday", "周五", "星期五", "礼拜五"), 4),
    **dict.fromkeys(("sat", "saturday", "周六", "星期六", "礼拜六"), 5),
    **dict.fromkeys(("sun", "sunday", "周日", "周天", "星期日", "星期天", "礼拜天"), 6),
}
ALL_DAYS = (0, 1, 2, 3, 4, 5, 6)
WORKDAYS = (0, 1, 2, 3, 4)

_CLOCK = r"[0-9]{1,2}:[0-9]{2}"
_RANGE = re.compile(rf"(?P<start>{_CLOCK})\s*(?:-|~|–|—|〜|至|到)\s*(?P<end>{_CLOCK})")
_NOW = re.compile(
    r"(?:now|现在|立即|马上)\s*(?P<n>[0-9]{1,4})\s*"
    r"(?P<unit>m|min|mins|minutes?|分钟|分|h|hrs?|hours?|小时)"
)


@dataclass(frozen=True, slots=True)
class RollcallSpec:
    """A rollcall to schedule: title, audience, and its window (days and clock, or one time)."""

    title: str
    audience: Audience
    repeat: Repeat
    days: tuple[int, ...]  # weekdays (Monday 0) for DAYS; () for ONCE
    start: time  # the local clock time it opens (ONCE: of `once_at`)
    minutes: int  # how long it stays open
    once_at: datetime | None = None  # ONCE: the aware moment it opens


def parse_rollcall(text: str, *, now: datetime, tz: ZoneInfo) -> RollcallSpec:
    """Read the text after /rollcall (`<when> | <title> [| <audience>]`); raise on mistakes."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    parts = [_normalise(p) for p in _normalise(text).split("|")]
    if not 2 <= len(parts) <= 3:
        raise RollcallSyntax(expected="parts", text=text.strip()[:80])
    when, title, *rest = parts
    if not title or len(title) > TITLE_MAX:
        raise RollcallSyntax(expected="title", text=title[:80])
    audience = parse_audience(rest[0]) if rest else Audience.HOUSEHOLDS
    typed = when.casefold()
    now_match = _NOW.fullmatch(typed)
    if now_match:
        minutes = int(now_match["n"]) * (60 if now_match["unit"][0] in "h小" else 1)
        if not 1 <= minutes <= MAX_WINDOW.total_seconds() // 60:
            raise RollcallWindow(text=when, reason="too_long" if minutes else "empty")
        local = now.astimezone(tz).replace(second=0, microsecond=0)
        return RollcallSpec(title, audience, Repeat.ONCE, (), local.time(), minutes, now)
    head, _, clock = typed.rpartition(" ")
    head = head.strip()
    start, minutes = window(clock, when)
    if head.startswith(("once", "一次", "单次")):
        day = _date(
            head.removeprefix("once").removeprefix("一次").removeprefix("单次"), when, now, tz
        )
        opens = datetime.combine(day, start, tzinfo=tz)
        if opens + timedelta(minutes=minutes) <= now:
            raise RollcallInPast(text=when)
        return RollcallSpec(title, audience, Repeat.ONCE, (), start, minutes, opens)
    return RollcallSpec(title, audience, Repeat.DAYS, _days(head, when), start, minutes)


def parse_audience(text: str) -> Audience:
    """The audience for a typed word (households, volunteers, care; or 住户, 志愿者, 重点人群)."""
    found = _AUDIENCE_WORDS.get(_normalise(text).casefold())
    if found is None:
        raise UnknownAudience(text=text.strip()[:30])
    return found


def window(clock: str, text: str) -> tuple[time, int]:
    """The start and length in minutes of `HH:MM-HH:MM` within one day (end may be 24:00)."""
    match = _RANGE.fullmatch(clock.strip())
    if match is None:
        raise RollcallSyntax(expected="window", text=text[:80])
    start, end = _minutes(match["start"], text), _minutes(match["end"], text, end=True)
    if end <= start:
        raise RollcallWindow(text=text[:80], reason="end_before_start")
    return time(start // 60, start % 60), end - start


def _minutes(typed: str, text: str, *, end: bool = False) -> int:
    hour, minute = (int(n) for n in typed.split(":"))
    if end and (hour, minute) == (24, 0):
        return 24 * 60
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise RollcallWindow(text=text[:80], reason="clock")
    return hour * 60 + minute


def _days(head: str, text: str) -> tuple[int, ...]:
    if head in ("daily", "every day", "每天", "每日"):
        return ALL_DAYS
    if head in ("weekdays", "workdays", "工作日", "周一至周五"):
        return WORKDAYS
    words = [w for w in re.split(r"[,、，/\s]+", head) if w]
    if not words:
        raise RollcallSyntax(expected="when", text=text[:80])
    days = set()
    for word in words:
        if word not in _DAY_WORDS:
            raise RollcallSyntax(expected="when", text=text[:80])
        days.add(_DAY_WORDS[word])
    return tuple(sorted(days))


def _date(typed: str, text: str, now: datetime, tz: ZoneInfo) -> date:
    typed = typed.strip()
    if not typed:
        raise RollcallSyntax(expected="when", text=text[:80])
    try:
        return parse_when(f"{typed} 00:00", now=now, tz=tz).date()
    except BadTime:
        raise RollcallSyntax(expected="when", text=text[:80]) from None


def _normalise(text: str) -> str:
    # NFKC folds full-width letters, digits, `｜`, `：` and `～` into ASCII.
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip()
