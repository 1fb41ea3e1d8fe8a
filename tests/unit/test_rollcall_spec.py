"""The /rollcall parser: schedules, windows, audiences and every mistake it must refuse."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models import errors
from models.rollcall_spec import (
    ALL_DAYS,
    WORKDAYS,
    Audience,
    Repeat,
    parse_audience,
    parse_rollcall,
)

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai, a Monday


def parse(text: str):  # type: ignore[no-untyped-def]
    return parse_rollcall(text, now=NOW, tz=TZ)


def test_daily_defaults_to_households() -> None:
    spec = parse("daily 08:00-10:00 | 每日报平安 Daily check-in")
    assert (spec.repeat, spec.days, spec.start, spec.minutes) == (
        Repeat.DAYS,
        ALL_DAYS,
        time(8),
        120,
    )
    assert spec.title == "每日报平安 Daily check-in"
    assert spec.audience is Audience.HOUSEHOLDS


@pytest.mark.parametrize(
    ("when", "days"),
    [
        ("weekdays 19:00-20:00", WORKDAYS),
        ("工作日 19:00-20:00", WORKDAYS),
        ("mon,wed,fri 19:00-20:00", (0, 2, 4)),
        ("周一,周三 19:00-20:00", (0, 2)),
        ("周五、周一 19:00～20:00", (0, 4)),
        ("每天 19:00-24:00", ALL_DAYS),
    ],
)
def test_lists_of_days(when: str, days: tuple[int, ...]) -> None:
    assert parse(f"{when} | 晚间报平安").days == days


@pytest.mark.parametrize(
    ("word", "audience"),
    [("volunteers", Audience.VOLUNTEERS), ("志愿者", Audience.VOLUNTEERS), ("CARE", Audience.CARE)],
)
def test_audiences(word: str, audience: Audience) -> None:
    assert parse(f"daily 08:00-09:00 | 点名 | {word}").audience is audience
    assert parse_audience(word) is audience


def test_once_and_now() -> None:
    once = parse("once 2026-12-01 08:00-10:00 | 全员排查")
    assert once.repeat is Repeat.ONCE
    assert once.once_at == datetime(2026, 12, 1, 8, 0, tzinfo=TZ)
    assert parse("once 明天 08:00-10:00 | 排查").once_at == datetime(2026, 12, 1, 8, tzinfo=TZ)
    now = parse("now 1m | 紧急点名")
    assert (now.repeat, now.minutes, now.once_at) == (Repeat.ONCE, 1, NOW)
    assert parse("now 2h | 紧急").minutes == 120
    assert parse("现在 30分钟 | 紧急").minutes == 30


@pytest.mark.parametrize(
    ("text", "error", "values"),
    [
        ("daily 10:00-08:00 | x", errors.RollcallWindow, {"reason": "end_before_start"}),
        ("daily 08:00-08:00 | x", errors.RollcallWindow, {"reason": "end_before_start"}),
        ("daily 25:00-26:00 | x", errors.RollcallWindow, {"reason": "clock"}),
        ("now 25h | x", errors.RollcallWindow, {"reason": "too_long"}),
        ("now 0m | x", errors.RollcallWindow, {"reason": "empty"}),
        ("daily 08:00-10:00 | x | cats", errors.UnknownAudience, {"text": "cats"}),
        ("daily 08:00-10:00", errors.RollcallSyntax, {"expected": "parts"}),
        ("daily 08:00-10:00 |  ", errors.RollcallSyntax, {"expected": "title"}),
        ("sometimes 08:00-10:00 | x", errors.RollcallSyntax, {"expected": "when"}),
        ("daily 8-10 | x", errors.RollcallSyntax, {"expected": "window"}),
        ("once 2026-11-29 08:00-10:00 | x", errors.RollcallInPast, {}),
        ("once 08:00-10:00 | x", errors.RollcallSyntax, {"expected": "when"}),
    ],
)
def test_mistakes_are_refused_with_why(text: str, error: type, values: dict) -> None:
    with pytest.raises(error) as raised:
        parse(text)
    assert values.items() <= raised.value.values.items()


@given(
    start=st.integers(0, 24 * 60 - 1),
    length=st.integers(1, 24 * 60),
    minute=st.integers(0, 24 * 60 - 1),
)
def test_any_window_within_a_day_reads_back(start: int, length: int, minute: int) -> None:
    """A window parses exactly when its end is after its start and by 24:00 at the latest."""
    end = start + length
    clock = f"{start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}"
    now = NOW + timedelta(minutes=minute)
    if end > 24 * 60:
        with pytest.raises(errors.DomainError):
            parse_rollcall(f"daily {clock} | t", now=now, tz=TZ)
        return
    spec = parse_rollcall(f"daily {clock} | t", now=now, tz=TZ)
    assert spec.start == time(start // 60, start % 60)
    assert spec.minutes == length


@given(st.text(max_size=60))
def test_arbitrary_text_never_crashes(text: str) -> None:
    """Whatever a leader types, the parser answers with a spec or a domain error."""
    with contextlib.suppress(errors.DomainError):
        parse_rollcall(text, now=NOW, tz=TZ)
