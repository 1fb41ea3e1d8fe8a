"""The /shift and /call lines: what parses, and the precise error for what doesn't."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.refusals import refusal
from models.errors import (
    BadPeople,
    BadTimeRange,
    DeadlineInPast,
    DomainError,
    ShiftInPast,
    ShiftSyntax,
    TooManyOccurrences,
    UnknownShiftSkill,
)
from models.people import SKILLS
from models.shift_spec import ShiftSpec, parse_call, parse_shift, parse_skill

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=TZ)
H = timedelta(hours=1)


def at(month: int, day: int, hour: int, minute: int = 0, year: int = 2026) -> datetime:
    """A wall-clock time in the community zone."""
    return datetime(year, month, day, hour, minute, tzinfo=TZ)


def shift(text: str, now: datetime = NOW) -> ShiftSpec:
    """parse_shift at the fixed `now`."""
    return parse_shift(text, now=now, tz=TZ)


def call(text: str, now: datetime = NOW) -> ShiftSpec:
    """parse_call at the fixed `now`."""
    return parse_call(text, now=now, tz=TZ)


def test_issue_example_parses_to_the_intended_spec() -> None:
    assert shift("门岗 Gate duty | 2026-11-26 08:00-12:00 | 3") == ShiftSpec(
        post="门岗 Gate duty", starts=(at(11, 26, 8),), duration=4 * H, people=3, skill=None
    )


@pytest.mark.parametrize(
    ("when", "start"),
    [
        ("2026-11-26 08:00-12:00", at(11, 26, 8)),
        ("11-26 08:00-12:00", at(11, 26, 8)),
        ("11/26 08:00-12:00", at(11, 26, 8)),
        ("11月26日 08:00-12:00", at(11, 26, 8)),
        ("tomorrow 08:00-12:00", at(11, 26, 8)),
        ("Tomorrow 8:00-12:00", at(11, 26, 8)),
        ("明天 08:00-12:00", at(11, 26, 8)),
        ("明天08:00-12:00", at(11, 26, 8)),
        ("后天 08:00-12:00", at(11, 27, 8)),
        ("today 14:00-18:00", at(11, 25, 14)),
        ("今天 14:00-18:00", at(11, 25, 14)),
        ("14:00-18:00", at(11, 25, 14)),
        ("２０２６－１１－２６　０８：００～１２：００", at(11, 26, 8)),
        ("11-26 08:00～12:00", at(11, 26, 8)),
        ("11-26 08:00 ~ 12:00", at(11, 26, 8)),
        ("11-26 08:00–12:00", at(11, 26, 8)),
        ("11-26 08:00—12:00", at(11, 26, 8)),
        ("11-26 08:00至12:00", at(11, 26, 8)),
        ("11-26 08：00-12：00", at(11, 26, 8)),
    ],
)
def test_date_and_range_forms(when: str, start: datetime) -> None:
    spec = shift(f"门岗 | {when} | 3")
    assert spec.starts == (start,)
    assert spec.duration == 4 * H


def test_year_less_date_rolls_into_next_year_around_new_year() -> None:
    december = at(12, 30, 9)
    assert shift("门岗 | 01-02 08:00-12:00 | 3", december).starts == (at(1, 2, 8, year=2027),)


def test_a_shift_crossing_midnight_is_one_shift() -> None:
    spec = shift("夜岗 Night watch | 11-26 22:00-06:00 | 2")
    assert spec.starts == (at(11, 26, 22),)
    assert spec.duration == 8 * H
    assert spec.ends == (at(11, 27, 6),)


def test_midnight_as_an_end() -> None:
    assert shift("晚岗 | 11-26 18:00-24:00 | 2").duration == 6 * H
    assert shift("晚岗 | 11-26 18:00-00:00 | 2").duration == 6 * H


def test_post_spaces_are_collapsed_and_case_kept() -> None:
    assert shift("  门岗   Gate\tDuty  |11-26 08:00-12:00|3").post == "门岗 Gate Duty"


@pytest.mark.parametrize(
    "text",
    [
        "核酸点 Testing site | daily 08:00-12:00 for 7 days | 4 | skill: medical",
        "核酸点 Testing site | 每天 08:00-12:00 共7天 | 4 | 技能：医疗",
        "核酸点 Testing site | 每天 08:00-12:00 7天 | 4 | 技能: medical",
        "核酸点 Testing site | Every day 08:00-12:00 for 7 days | 4 人 | Skill: Medical",
    ],
)
def test_daily_recurrence_starts_tomorrow_when_todays_start_has_passed(text: str) -> None:
    spec = shift(text)  # 09:00 now: today's 08:00 is gone
    assert spec.starts == tuple(at(11, 26, 8) + n * timedelta(days=1) for n in range(7))
    assert (spec.duration, spec.people, spec.skill) == (4 * H, 4, "medical")


def test_daily_recurrence_starts_today_when_the_start_is_ahead() -> None:
    spec = shift("晚岗 | daily 22:00-06:00 for 3 days | 2")
    assert spec.starts == (at(11, 25, 22), at(11, 26, 22), at(11, 27, 22))
    assert spec.ends[-1] == at(11, 28, 6)


def test_daily_recurrence_across_a_month_end_stays_at_the_same_clock_time() -> None:
    spec = shift("门岗 | daily 08:00-12:00 for 31 days | 1")
    assert len(spec.starts) == 31
    assert spec.starts[-1] == at(12, 26, 8)
    assert {start.hour for start in spec.starts} == {8}


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("医疗", "medical"),
        ("medical", "medical"),
        ("护理", "nursing"),
        ("心理", "psych"),
        ("开车", "driving"),
        ("司机", "driving"),
        ("跑腿", "delivery"),
        ("配送", "delivery"),
        ("照顾老人", "elderly_care"),
        ("elderly care", "elderly_care"),
        ("Elderly_Care", "elderly_care"),
        ("翻译", "translation"),
        ("电脑", "it"),
        ("IT", "it"),
        ("法律", "legal"),
        ("skill: legal", "legal"),
        ("技能：法律", "legal"),
        ("ＳＫＩＬＬ：ｄｒｉｖｉｎｇ", "driving"),
    ],
)
def test_skill_words_map_to_skill_keys(typed: str, key: str) -> None:
    assert parse_skill(typed) == key
    assert shift(f"门岗 | 11-26 08:00-12:00 | 3 | {typed}").skill == key


def test_every_skill_key_reads_as_itself() -> None:
    for key in SKILLS:
        assert parse_skill(key) == key


@pytest.mark.parametrize(("typed", "people"), [("3", 3), ("3人", 3), ("3 people", 3), ("200", 200)])
def test_people_forms(typed: str, people: int) -> None:
    assert shift(f"门岗 | 11-26 08:00-12:00 | {typed}").people == people


# -- /call -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("until", "duration"),
    [
        ("until 18:00", 9 * H),
        ("Until 18:00", 9 * H),
        ("到18:00", 9 * H),
        ("18:00", 9 * H),
        ("18点", 9 * H),
        ("+2h", 2 * H),
        ("+30m", timedelta(minutes=30)),
        ("2小时后", 2 * H),
    ],
)
def test_call_starts_now_and_ends_at_the_given_time(until: str, duration: timedelta) -> None:
    spec = call(f"搬物资 Unload supplies | {until} | 6")
    assert spec == ShiftSpec(
        post="搬物资 Unload supplies", starts=(NOW,), duration=duration, people=6, skill=None
    )


def test_call_with_a_skill_and_a_utc_now() -> None:
    now = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
    spec = parse_call("送药 | +2h | 2 | skill: 开车", now=now, tz=TZ)
    assert spec.starts == (NOW,) and spec.starts[0].utcoffset() == 8 * H
    assert (spec.duration, spec.skill) == (2 * H, "driving")


def test_call_ending_now_or_earlier_is_in_the_past() -> None:
    with pytest.raises(DeadlineInPast) as caught:
        call("搬物资 | until 8:00 | 6")
    assert caught.value.values == {"text": "until 8:00", "when": at(11, 25, 8)}
    with pytest.raises(DeadlineInPast):
        call("搬物资 | 9:00 | 6")


def test_call_longer_than_a_day_is_refused() -> None:
    with pytest.raises(BadTimeRange) as caught:
        call("搬物资 | +2d | 6")
    assert caught.value.values == {"text": "+2d"}


def test_call_with_an_unreadable_time() -> None:
    with pytest.raises(ShiftSyntax) as caught:
        call("搬物资 | soonish | 6")
    assert caught.value.values == {"expected": "until", "text": "soonish", "command": "call"}


# -- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "error", "values"),
    [
        ("门岗 | 11-26 08:00-12:00", ShiftSyntax, {"expected": "parts"}),
        ("门岗 11-26 08:00-12:00 3", ShiftSyntax, {"expected": "parts"}),
        ("a | 11-26 08:00-12:00 | 3 | medical | x", ShiftSyntax, {"expected": "parts"}),
        (" | 11-26 08:00-12:00 | 3", ShiftSyntax, {"expected": "post", "text": ""}),
        ("岗" * 61 + " | 11-26 08:00-12:00 | 3", ShiftSyntax, {"expected": "post"}),
        ("门岗 |  | 3", ShiftSyntax, {"expected": "time"}),
        ("门岗 | 11-26 | 3", ShiftSyntax, {"expected": "time", "text": "11-26"}),
        ("门岗 | 11-26 8am-noon | 3", ShiftSyntax, {"expected": "time"}),
        ("门岗 | 02-30 08:00-12:00 | 3", ShiftSyntax, {"expected": "time"}),
        ("门岗 | 下周 08:00-12:00 | 3", ShiftSyntax, {"expected": "time"}),
        ("门岗 | daily 08:00-12:00 | 3", ShiftSyntax, {"expected": "time"}),
        ("门岗 | daily 08:00-12:00 for 0 days | 3", ShiftSyntax, {"expected": "time"}),
        ("门岗 | 11-26 08:00-08:00 | 3", BadTimeRange, {"text": "11-26 08:00-08:00"}),
        ("门岗 | 11-26 25:00-26:00 | 3", BadTimeRange, {"text": "11-26 25:00-26:00"}),
        ("门岗 | 11-26 08:61-12:00 | 3", BadTimeRange, {}),
        ("门岗 | 11-26 24:00-02:00 | 3", BadTimeRange, {}),
        (
            "门岗 | daily 08:00-12:00 for 32 days | 3",
            TooManyOccurrences,
            {"count": 32, "limit": 31},
        ),
        ("门岗 | 每天 08:00-12:00 共100天 | 3", TooManyOccurrences, {"count": 100}),
        ("门岗 | 11-26 08:00-12:00 | 0", BadPeople, {"text": "0", "limit": 200}),
        ("门岗 | 11-26 08:00-12:00 | 201", BadPeople, {"text": "201"}),
        ("门岗 | 11-26 08:00-12:00 | 99999999999", BadPeople, {}),
        ("门岗 | 11-26 08:00-12:00 | three", ShiftSyntax, {"expected": "people", "text": "three"}),
        ("门岗 | 11-26 08:00-12:00 | ", ShiftSyntax, {"expected": "people"}),
        ("门岗 | 11-26 08:00-12:00 | 3 | 魔法", UnknownShiftSkill, {"text": "魔法"}),
        ("门岗 | 11-26 08:00-12:00 | 3 | skill: cooking", UnknownShiftSkill, {}),
        ("门岗 | 11-26 08:00-12:00 | 3 | skill:", ShiftSyntax, {"expected": "skill"}),
        ("门岗 | 11-26 08:00-12:00 | 3 | ", ShiftSyntax, {"expected": "skill"}),
    ],
)
def test_bad_input_raises_the_precise_error(
    text: str, error: type[DomainError], values: dict[str, object]
) -> None:
    with pytest.raises(error) as caught:
        shift(text)
    assert caught.value.values.items() >= values.items()
    assert refusal(caught.value).template.startswith("errors/shift_")


@pytest.mark.parametrize(
    ("when", "start"),
    [("today 08:00-12:00", at(11, 25, 8)), ("11-25 09:00-12:00", at(11, 25, 9))],
)
def test_a_shift_starting_now_or_earlier_is_in_the_past(when: str, start: datetime) -> None:
    with pytest.raises(ShiftInPast) as caught:
        shift(f"门岗 | {when} | 3")
    assert caught.value.values == {"when": start, "text": when}


def test_a_shift_that_started_earlier_today_is_in_the_past_even_crossing_midnight() -> None:
    with pytest.raises(ShiftInPast):
        shift("夜岗 | 11-24 22:00-06:00 | 2", at(11, 25, 2))


def test_call_errors_name_the_call_command() -> None:
    with pytest.raises(ShiftSyntax) as caught:
        call("搬物资 | 18:00")
    assert caught.value.values["command"] == "call"
    with pytest.raises(ShiftSyntax) as caught:
        call("搬物资 | 18:00 | lots")
    assert caught.value.values == {"expected": "people", "text": "lots", "command": "call"}


def test_now_must_be_aware() -> None:
    with pytest.raises(ValueError, match="aware"):
        parse_shift("门岗 | 11-26 08:00-12:00 | 3", now=datetime(2026, 11, 25, 9), tz=TZ)


@given(st.text(max_size=80))
def test_any_text_parses_or_raises_a_domain_error(text: str) -> None:
    """Nothing a leader types crashes the parser."""
    for parse in (shift, call):
        try:
            spec = parse(text)
        except DomainError:
            continue
        assert 1 <= spec.people <= 200 and 1 <= len(spec.post) <= 60
        assert timedelta(0) < spec.duration <= 24 * H
        assert all(start >= NOW for start in spec.starts)
        assert list(spec.starts) == sorted(spec.starts)


@given(
    start=st.integers(0, 24 * 60 - 1),
    end=st.integers(0, 24 * 60 - 1),
    days=st.integers(1, 31),
)
def test_daily_ranges_give_consistent_occurrences(start: int, end: int, days: int) -> None:
    """Any daily HH:MM-HH:MM gives `days` starts a day apart, all ahead of now, < 24 h each."""
    clocks = f"{start // 60:02}:{start % 60:02}-{end // 60:02}:{end % 60:02}"
    text = f"岗 | daily {clocks} for {days} days | 1"
    if start == end:
        with pytest.raises(BadTimeRange):
            shift(text)
        return
    spec = shift(text)
    assert len(spec.starts) == days
    assert spec.starts[0] > NOW and spec.starts[0] - NOW <= 24 * H
    assert all(b - a == 24 * H for a, b in zip(spec.starts, spec.starts[1:], strict=False))
    assert spec.duration == timedelta(minutes=(end - start) % (24 * 60))
