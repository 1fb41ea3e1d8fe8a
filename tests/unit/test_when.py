"""Typed times: today's clock times, dates, day words, relative offsets, places with a time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.refusals import refusal
from models.errors import BadTime, DeadlineInPast
from models.when import parse_when, require_future, split_when_place

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=TZ)


def at(month: int, day: int, hour: int, minute: int = 0, year: int = 2026) -> datetime:
    """A wall-clock time in the community zone."""
    return datetime(year, month, day, hour, minute, tzinfo=TZ)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("18:00", at(11, 25, 18)),
        ("18:30", at(11, 25, 18, 30)),
        ("18点", at(11, 25, 18)),
        ("18点30", at(11, 25, 18, 30)),
        ("18点半", at(11, 25, 18, 30)),
        ("6pm", at(11, 25, 18)),
        ("6:30 PM", at(11, 25, 18, 30)),
        ("下午3点", at(11, 25, 15)),
        ("2026-11-26 18:00", at(11, 26, 18)),
        ("2026-11-26T18:00", at(11, 26, 18)),
        ("2026年11月26日 18:00", at(11, 26, 18)),
        ("11-26 18:00", at(11, 26, 18)),
        ("11/26 18:00", at(11, 26, 18)),
        ("11月26日 18:00", at(11, 26, 18)),
        ("11月26日18点", at(11, 26, 18)),
        ("tomorrow 10:00", at(11, 26, 10)),
        ("Tomorrow 10:00", at(11, 26, 10)),
        ("10:00 tomorrow", at(11, 26, 10)),
        ("明天 10:00", at(11, 26, 10)),
        ("明天10点", at(11, 26, 10)),
        ("后天 9:00", at(11, 27, 9)),
        ("today 20:00", at(11, 25, 20)),
        ("今天 20:00", at(11, 25, 20)),
        ("今晚8点", at(11, 25, 20)),
        ("tonight 8pm", at(11, 25, 20)),
        ("明早7点半", at(11, 26, 7, 30)),
        ("１８：００", at(11, 25, 18)),
        ("明天　１０：００", at(11, 26, 10)),
        ("  18:00  ", at(11, 25, 18)),
    ],
)
def test_absolute_forms(text: str, expected: datetime) -> None:
    """Every accepted form lands on the intended wall-clock time in the community zone."""
    assert parse_when(text, now=NOW, tz=TZ) == expected


@pytest.mark.parametrize(
    ("text", "delta"),
    [
        ("+2h", timedelta(hours=2)),
        ("+30m", timedelta(minutes=30)),
        ("+90min", timedelta(minutes=90)),
        ("+1d", timedelta(days=1)),
        ("+2小时", timedelta(hours=2)),
        ("+30分钟", timedelta(minutes=30)),
        ("＋２ｈ", timedelta(hours=2)),
        ("+ 2 hours", timedelta(hours=2)),
        ("in 2 hours", timedelta(hours=2)),
        ("2小时后", timedelta(hours=2)),
    ],
)
def test_relative_forms(text: str, delta: timedelta) -> None:
    """Offsets count from now."""
    assert parse_when(text, now=NOW, tz=TZ) == NOW + delta


def test_clock_time_already_past_stays_today() -> None:
    """'8:00' at 09:00 is a mistake to report, never silently tomorrow morning."""
    when = parse_when("8:00", now=NOW, tz=TZ)
    assert when == at(11, 25, 8)
    with pytest.raises(DeadlineInPast) as caught:
        require_future(when, NOW, text="8:00")
    assert caught.value.values == {"text": "8:00", "when": when}
    assert refusal(caught.value).template == "errors/when_in_past"


def test_today_is_the_community_day_not_utc() -> None:
    """At 01:00 in Shanghai it is still the previous day in UTC; '18:00' means Shanghai's today."""
    now = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)  # 01:00 on the 26th in Shanghai
    assert parse_when("18:00", now=now, tz=TZ) == at(11, 26, 18)
    assert parse_when("明天 9:00", now=now, tz=TZ) == at(11, 27, 9)


def test_relative_time_is_returned_in_the_community_zone() -> None:
    """A UTC `now` still gives a result in the community zone (for display), same instant."""
    now = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)
    when = parse_when("+2h", now=now, tz=TZ)
    assert when == now + timedelta(hours=2)
    assert when.utcoffset() == timedelta(hours=8)


def test_relative_offsets_are_real_hours_across_dst() -> None:
    """'+2h' the night clocks change is two elapsed hours, not two on the wall clock."""
    berlin = ZoneInfo("Europe/Berlin")
    now = datetime(2026, 3, 29, 1, 30, tzinfo=berlin)  # 02:00 → 03:00 that night
    when = parse_when("+2h", now=now, tz=berlin)
    assert when.astimezone(UTC) - now.astimezone(UTC) == timedelta(hours=2)
    assert (when.hour, when.minute) == (4, 30)


def test_year_less_date_rolls_into_next_year_only_around_new_year() -> None:
    """'01-02' on 30 December means January; '11-24' on 25 November is yesterday."""
    december = datetime(2026, 12, 30, 9, 0, tzinfo=TZ)
    assert parse_when("01-02 10:00", now=december, tz=TZ) == at(1, 2, 10, year=2027)
    assert parse_when("11-24 10:00", now=NOW, tz=TZ) == at(11, 24, 10)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "soon",
        "18",  # an hour without ':' or '点' is too ambiguous
        "明天",  # a day without a time
        "25:00",
        "18:60",
        "2月30日 10:00",
        "13/40 10:00",
        "13pm",
        "晚上12点",  # noon or midnight? ask
        "+",
        "+2",
        "+2 weeks",
        "+999999h",
        "0000-01-01 10:00",
        "9999-12-31 23:59 extra",
    ],
)
def test_unreadable_times(text: str) -> None:
    """Anything else is BadTime carrying what was typed, for the reply to quote."""
    with pytest.raises(BadTime) as caught:
        parse_when(text, now=NOW, tz=TZ)
    assert caught.value.values == {"text": text}
    assert refusal(caught.value).template == "errors/when_bad_time"


def test_huge_offset_is_bad_time_not_overflow() -> None:
    """An offset past year 9999 is refused politely rather than crashing the handler."""
    late = datetime(9999, 12, 1, tzinfo=TZ)
    with pytest.raises(BadTime):
        parse_when("+99999d", now=late, tz=TZ)


def test_naive_now_is_a_programming_error() -> None:
    """Comparing naive and aware datetimes later would crash; refuse at the door."""
    with pytest.raises(ValueError, match="aware"):
        parse_when("18:00", now=datetime(2026, 11, 25, 9, 0), tz=TZ)


def test_require_future_is_strict_and_returns_the_time() -> None:
    """Exactly now is not the future; a later time passes through unchanged."""
    with pytest.raises(DeadlineInPast):
        require_future(NOW, NOW, text="9:00")
    later = NOW + timedelta(minutes=1)
    assert require_future(later, NOW, text="9:01") is later


def test_require_future_compares_across_zones() -> None:
    """An aware UTC deadline and a Shanghai `now` compare as instants."""
    deadline = datetime(2026, 11, 25, 1, 30, tzinfo=UTC)  # 09:30 in Shanghai
    assert require_future(deadline, NOW, text="+30m") == deadline


@pytest.mark.parametrize(
    ("text", "place", "when"),
    [
        ("3号门 Gate 3, tomorrow 10:00", "3号门 Gate 3", at(11, 26, 10)),
        ("3号门，明天10点", "3号门", at(11, 26, 10)),
        ("Gate 3", "Gate 3", None),
        ("Gate 3, east side", "Gate 3, east side", None),
        ("Gate 3, east side, 18:00", "Gate 3, east side", at(11, 25, 18)),
        ("明天10点", "", at(11, 26, 10)),
        ("Gate 3,", "Gate 3", None),
    ],
)
def test_split_when_place(text: str, place: str, when: datetime | None) -> None:
    """The time is the last comma-separated part, when it reads as a time."""
    assert split_when_place(text, NOW, TZ) == (place, when)


@given(text=st.text(max_size=40))
def test_parse_when_returns_aware_or_raises_bad_time(text: str) -> None:
    """On any text: an aware datetime or BadTime, never a naive time or another exception."""
    try:
        when = parse_when(text, now=NOW, tz=TZ)
    except BadTime:
        return
    assert when.tzinfo is not None and when.utcoffset() is not None


@given(
    day=st.dates(min_value=NOW.date(), max_value=NOW.date() + timedelta(days=300)),
    hour=st.integers(0, 23),
    minute=st.integers(0, 59),
)
def test_iso_like_dates_round_trip(day, hour: int, minute: int) -> None:  # type: ignore[no-untyped-def]
    """Any written date and time within the coming months reads back exactly."""
    text = f"{day:%Y-%m-%d} {hour}:{minute:02d}"
    assert parse_when(text, now=NOW, tz=TZ) == datetime(
        day.year, day.month, day.day, hour, minute, tzinfo=TZ
    )


@given(
    now=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ),
    minutes=st.integers(0, 99_999),
)
def test_relative_minutes_are_exact(now: datetime, minutes: int) -> None:
    """'+Nm' is exactly N minutes after now, from any instant."""
    assert parse_when(f"+{minutes}m", now=now, tz=TZ) == now + timedelta(minutes=minutes)
