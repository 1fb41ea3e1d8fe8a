"""Times as people type them in chat ("18:00", "明天10点", "+2h"), read in the community's zone.

Every result is timezone-aware, in the community zone. A bare clock time means *today*: a
deadline of "9:00" sent at 10:00 is a mistake to point out, not a silent roll to tomorrow.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from models.errors import BadTime, DeadlineInPast

# A month-day without a year means this year, unless that lies more than half a year back:
# "01-03" written on 30 December means next January, "11-24" on 25 November is a past date.
_YEAR_ROLLOVER = timedelta(days=183)

_UNITS = {
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes", "分", "分钟"), timedelta(minutes=1)),
    **dict.fromkeys(
        ("h", "hr", "hrs", "hour", "hours", "小时", "个小时", "钟头", "个钟头"), timedelta(hours=1)
    ),
    **dict.fromkeys(("d", "day", "days", "天"), timedelta(days=1)),
}
_UNIT = "|".join(sorted((re.escape(unit) for unit in _UNITS), key=len, reverse=True))
_RELATIVE = (
    re.compile(rf"\+\s*(?P<n>[0-9]{{1,5}})\s*(?P<unit>{_UNIT})"),
    re.compile(rf"in\s+(?P<n>[0-9]{{1,5}})\s*(?P<unit>{_UNIT})"),
    re.compile(rf"(?P<n>[0-9]{{1,5}})\s*(?P<unit>{_UNIT})\s*(?:后|以后|之后)"),
)

# Day words, and the part of day some of them imply ("今晚8点" is 20:00).
_DAY_WORDS = {
    "today": (0, None),
    "今天": (0, None),
    "今日": (0, None),
    "tonight": (0, "pm"),
    "今晚": (0, "pm"),
    "tomorrow": (1, None),
    "tmr": (1, None),
    "tmrw": (1, None),
    "明天": (1, None),
    "明日": (1, None),
    "明早": (1, "am"),
    "明晚": (1, "pm"),
    "day after tomorrow": (2, None),
    "后天": (2, None),
    "後天": (2, None),
}
_DAY_WORD = "|".join(sorted((re.escape(word) for word in _DAY_WORDS), key=len, reverse=True))
_DAY_PREFIX = re.compile(rf"(?P<word>{_DAY_WORD})(?:\s+|(?=[^a-z])|$)")
_DAY_SUFFIX = re.compile(rf"\s+(?P<word>{_DAY_WORD})$")
_DATE_PREFIX = re.compile(
    r"(?:(?P<y>[0-9]{4})\s*[-/.年]\s*)?(?P<mo>[0-9]{1,2})\s*[-/.月]\s*(?P<d>[0-9]{1,2})"
    r"(?:\s*[日号]|\s+|t(?=[0-9])|(?=[^0-9])|$)"
)

_PERIODS = {
    **dict.fromkeys(("凌晨", "早上", "早晨", "上午", "早"), "am"),
    "中午": "noon",
    **dict.fromkeys(("下午", "傍晚", "晚上", "夜里", "晚"), "pm"),
}
_PERIOD = re.compile("(?P<period>" + "|".join(sorted(_PERIODS, key=len, reverse=True)) + r")\s*")
_CLOCK = re.compile(r"(?P<h>[0-9]{1,2}):(?P<mi>[0-9]{2})(?:\s*(?P<ampm>am|pm|a\.m\.|p\.m\.))?")
_HOUR_AMPM = re.compile(r"(?P<h>[0-9]{1,2})\s*(?P<ampm>am|pm|a\.m\.|p\.m\.)")
_HOUR_ZH = re.compile(
    r"(?P<h>[0-9]{1,2})\s*[点點时時]\s*(?:(?P<mi>[0-9]{1,2})\s*分?|(?P<half>半)|整)?"
)


def _normalise(text: str) -> str:
    # NFKC folds full-width digits, colon and plus (１８：００, ＋2h) into ASCII.
    folded = unicodedata.normalize("NFKC", text).casefold()
    return re.sub(r"\s+", " ", folded).strip()


def parse_when(text: str, *, now: datetime, tz: ZoneInfo) -> datetime:
    """Read a typed time ("18:00", "明天 10:00", "11-26 18:00", "+2h") as an aware datetime."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    typed = _normalise(text)
    relative = _relative(typed)
    if relative is not None:
        try:
            # Add in UTC: adding to a zoned wall clock would be off by an hour across DST.
            return (now.astimezone(UTC) + relative).astimezone(tz)
        except OverflowError:
            raise BadTime(text=text) from None
    today = now.astimezone(tz).date()
    day, period, rest = _day_and_rest(typed, today)
    clock = _clock(rest, period)
    if day is None or clock is None:
        raise BadTime(text=text)
    hour, minute = clock
    try:
        return datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz)
    except ValueError:
        raise BadTime(text=text) from None


def require_future(when: datetime, now: datetime, *, text: str) -> datetime:
    """Return `when` if it is strictly later than `now`, else raise DeadlineInPast."""
    if when <= now:
        raise DeadlineInPast(text=text, when=when)
    return when


def split_when_place(text: str, now: datetime, tz: ZoneInfo) -> tuple[str, datetime | None]:
    """Split "3号门 Gate 3, tomorrow 10:00" into the place and the time after its last comma."""
    typed = text.strip()
    cut = max(typed.rfind(","), typed.rfind("，"))
    candidate = typed[cut + 1 :] if cut >= 0 else typed
    try:
        when = parse_when(candidate, now=now, tz=tz)
    except BadTime:
        return typed.rstrip(",， ").strip(), None
    return (typed[:cut].rstrip(",， ").strip() if cut >= 0 else ""), when


def _relative(typed: str) -> timedelta | None:
    for pattern in _RELATIVE:
        match = pattern.fullmatch(typed)
        if match:
            return int(match["n"]) * _UNITS[match["unit"]]
    return None


def _day_and_rest(typed: str, today: date) -> tuple[date | None, str | None, str]:
    """The day (None if impossible), the part of day a day word implies, and the rest."""
    match = _DAY_PREFIX.match(typed)
    if match is None:
        match = _DAY_SUFFIX.search(typed)  # "10:00 tomorrow", "8pm today"
        rest = typed[: match.start()] if match else typed
    else:
        rest = typed[match.end() :]
    if match:
        offset, period = _DAY_WORDS[match["word"]]
        return today + timedelta(days=offset), period, rest.strip()
    match = _DATE_PREFIX.match(typed)
    if match is None:
        return today, None, typed
    return _month_day(match, today), None, typed[match.end() :].strip()


def _month_day(match: re.Match[str], today: date) -> date | None:
    month, day = int(match["mo"]), int(match["d"])
    years = [int(match["y"])] if match["y"] else [today.year, today.year + 1]
    for year in years:
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if match["y"] or candidate >= today - _YEAR_ROLLOVER:
            return candidate
    return None


def _clock(rest: str, period: str | None) -> tuple[int, int] | None:
    """Hour and minute of "18:00", "6pm", "下午6点半"; None when it is no such thing."""
    said = _PERIOD.match(rest)
    if said:
        if period is not None:
            return None  # "今晚下午8点" contradicts itself
        period, rest = _PERIODS[said["period"]], rest[said.end() :]
    match = _CLOCK.fullmatch(rest) or _HOUR_AMPM.fullmatch(rest) or _HOUR_ZH.fullmatch(rest)
    if match is None:
        return None
    groups = match.groupdict()
    hour = int(groups["h"])
    minute = 30 if groups.get("half") else int(groups.get("mi") or 0)
    ampm = groups.get("ampm")
    if ampm:
        half_of_day = "pm" if ampm.startswith("p") else "am"
        if period not in (None, half_of_day) or not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if ampm.startswith("p") else 0)
    elif period == "pm":
        if hour == 12 or hour == 0:
            return None  # "晚上12点" could be noon or midnight: ask rather than guess
        hour += 12 if hour < 12 else 0
    elif period == "noon" and 1 <= hour <= 2:
        hour += 12
    elif period == "am" and hour > 12:
        return None
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    return hour, minute
