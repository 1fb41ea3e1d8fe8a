"""Rest rules: overlaps, hours per local day and ISO week, rest between stints, skills."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.rest_rules import RestRules, Rule, Stint, Violation, check_claim, roster_violations

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
RULES = RestRules()
H = timedelta(hours=1)


def stint(day: int, start: int, hours: float, tz: ZoneInfo = SHANGHAI, month: int = 11) -> Stint:
    """A stint from `start` o'clock on `month`/`day` 2026 (local wall clock), lasting `hours`."""
    begins = datetime(2026, month, day, start, tzinfo=tz)
    return Stint(begins, (begins.astimezone(UTC) + hours * H).astimezone(tz))


def check(
    existing: list[Stint],
    new: Stint,
    *,
    tz: ZoneInfo = SHANGHAI,
    required_skill: str | None = None,
    skills: Iterable[str] = (),
) -> Violation | None:
    """check_claim with the default rules (in Shanghai unless told)."""
    return check_claim(existing, new, RULES, tz, required_skill=required_skill, skills=skills)


def rule_of(violation: Violation | None) -> Rule | None:
    """The rule broken, if any."""
    return None if violation is None else violation.rule


def test_a_first_claim_within_the_limits_is_fine() -> None:
    assert check([], stint(25, 8, 8)) is None
    assert roster_violations([stint(25, 8, 8)], RULES, SHANGHAI) == []


def test_overlap_is_refused() -> None:
    assert check([stint(25, 8, 4)], stint(25, 10, 2)) == Violation(Rule.OVERLAP)
    assert Rule.OVERLAP in {
        v.rule for v in roster_violations([stint(25, 8, 4), stint(25, 10, 2)], RULES, SHANGHAI)
    }


def test_more_than_a_days_hours_is_refused_with_the_day_and_total() -> None:
    """8 h a day is allowed; a back-to-back ninth hour is not."""
    assert check([stint(25, 8, 4)], stint(25, 12, 4)) is None
    refused = check([stint(25, 8, 4), stint(25, 12, 4)], stint(25, 16, 1))
    assert refused == Violation(Rule.DAY, date(2026, 11, 25), 9 * H, 8 * H)


def test_a_night_shift_counts_on_both_local_days() -> None:
    """22:00-06:00 is 2 h on the first day and 6 h on the second."""
    night = stint(25, 22, 8)
    assert check([], night) is None
    # 7 h the next morning after the night's 6 h would make 13 h on the 26th (and no rest).
    refused = check([night], stint(26, 14, 7))
    assert refused == Violation(Rule.DAY, date(2026, 11, 26), 13 * H, 8 * H)
    # On the 25th the night adds only 2 h to a 6 h day shift ending well before it.
    assert check([stint(25, 6, 6)], night) is None


def test_week_limit_counts_the_local_iso_week() -> None:
    """Five 8 h days Monday to Friday fill the week; Saturday is refused, next Monday is not."""
    week = [stint(day, 8, 8) for day in range(23, 28)]  # Mon 23 .. Fri 27 November 2026
    assert roster_violations(week, RULES, SHANGHAI) == []
    assert check(week, stint(28, 8, 1)) == Violation(Rule.WEEK, date(2026, 11, 23), 41 * H, 40 * H)
    assert check(week, stint(30, 8, 8)) is None


def test_a_night_from_sunday_to_monday_counts_in_both_weeks() -> None:
    week = [stint(day, 8, 8) for day in range(23, 28)]
    night = stint(29, 22, 8)  # Sunday 22:00 → Monday 06:00: 2 h in this week
    assert check(week, night) == Violation(Rule.WEEK, date(2026, 11, 23), 42 * H, 40 * H)
    assert check(week, stint(30, 0, 6)) is None  # Monday starts a new week


def test_rest_between_stints() -> None:
    """Less than 8 h between stints is refused, either side; 8 h exactly is enough."""
    morning = stint(25, 6, 4)  # 06:00-10:00
    assert check([morning], stint(25, 14, 2)) == Violation(Rule.REST, None, 4 * H, 8 * H)
    assert check([stint(25, 14, 2)], morning) == Violation(Rule.REST, None, 4 * H, 8 * H)
    assert check([morning], stint(25, 18, 2)) is None


def test_back_to_back_stints_are_one_stint_but_still_count_hours() -> None:
    morning = stint(25, 6, 4)
    assert check([morning], stint(25, 10, 4)) is None
    assert rule_of(check([morning], stint(25, 10, 5))) is Rule.DAY
    # Joined to the morning (a clean roster with the evening), but only 6 h before the evening.
    long_days = RestRules(max_per_day=12 * H)
    roster = [morning, stint(25, 20, 1)]
    assert roster_violations(roster, long_days, SHANGHAI) == []
    assert check_claim(roster, stint(25, 10, 4), long_days, SHANGHAI) == Violation(
        Rule.REST, None, 6 * H, 8 * H
    )


def test_skill_is_checked_first() -> None:
    taken = [stint(25, 8, 4)]
    clash = stint(25, 9, 1)
    assert check(taken, clash, required_skill="medical", skills=["driving"]) == Violation(
        Rule.SKILL, skill="medical"
    )
    assert check(taken, clash, required_skill="medical", skills=iter(["medical"])) == Violation(
        Rule.OVERLAP
    )
    assert check([], clash, required_skill=None, skills=()) is None


def test_order_overlap_before_day_before_week_before_rest() -> None:
    week = [stint(day, 8, 8) for day in range(23, 28)]
    # Overlaps Friday's stint and would break every other rule too.
    assert rule_of(check(week, stint(27, 15, 10))) is Rule.OVERLAP
    # Friday evening: too many hours that day, the week, and too little rest.
    assert rule_of(check(week, stint(27, 18, 2))) is Rule.DAY
    # Saturday 02:00 with 12 h rest required: a fine day, the week over, and too little rest.
    saturday = check_claim(week, stint(28, 2, 1), RestRules(min_rest=12 * H), SHANGHAI)
    assert saturday is not None and saturday.rule is Rule.WEEK


def test_local_days_not_utc_days_in_berlin() -> None:
    """00:00-01:00 on 2 July in Berlin is 1 July in UTC: it counts on the local 2 July."""
    summer_day = stint(2, 0, 1, BERLIN, month=7)
    assert summer_day.start.astimezone(UTC).date() == date(2026, 7, 1)
    day_shift = stint(2, 8, 8, BERLIN, month=7)
    # 7 h of rest < 8 h also applies, but the day's 9 h is checked first.
    assert check([day_shift], summer_day, tz=BERLIN) == Violation(
        Rule.DAY, date(2026, 7, 2), 9 * H, 8 * H
    )
    # The day before (local 1 July) holds 8 h already, and is not touched.
    assert check([stint(1, 8, 8, BERLIN, month=7)], summer_day, tz=BERLIN) is None


def test_the_night_clocks_go_forward_counts_real_hours() -> None:
    """Berlin, 28→29 March 2026: 22:00-06:00 on the wall is 7 real hours (2 h + 5 h)."""
    night = Stint(datetime(2026, 3, 28, 22, tzinfo=BERLIN), datetime(2026, 3, 29, 6, tzinfo=BERLIN))
    # Wall-clock subtraction in one zone says 8 h; the rules count what was worked.
    assert night.end - night.start == 8 * H
    rules = RestRules(max_per_day=timedelta(hours=5))
    assert check_claim([], night, rules, BERLIN) is None
    tighter = RestRules(max_per_day=timedelta(hours=4, minutes=59))
    assert check_claim([], night, tighter, BERLIN) == Violation(
        Rule.DAY, date(2026, 3, 29), 5 * H, tighter.max_per_day
    )
    assert roster_violations([night], tighter, BERLIN) == [
        Violation(Rule.DAY, date(2026, 3, 29), 5 * H, tighter.max_per_day)
    ]


def test_the_long_autumn_day_has_25_hours() -> None:
    """Berlin, 25 October 2026: midnight to midnight is 25 real hours."""
    day = Stint(datetime(2026, 10, 25, 0, tzinfo=BERLIN), datetime(2026, 10, 26, 0, tzinfo=BERLIN))
    rules = RestRules(max_per_day=25 * H, max_per_week=100 * H)
    assert check_claim([], day, rules, BERLIN) is None
    assert roster_violations([day], RestRules(max_per_day=24 * H), BERLIN)[0] == Violation(
        Rule.DAY, date(2026, 10, 25), 25 * H, 24 * H
    )


def test_roster_reports_every_problem() -> None:
    roster = [stint(25, 8, 6), stint(25, 12, 6), stint(25, 20, 1)]
    rules = {v.rule for v in roster_violations(roster, RULES, SHANGHAI)}
    assert rules == {Rule.OVERLAP, Rule.DAY, Rule.REST}


def test_stints_must_be_aware_and_positive() -> None:
    with pytest.raises(ValueError, match="aware"):
        Stint(datetime(2026, 11, 25, 8), datetime(2026, 11, 25, 9))
    with pytest.raises(ValueError, match="end after"):
        stint(25, 8, 0)


# -- properties --------------------------------------------------------------------------------

_BASE = datetime(2026, 3, 20, 0, tzinfo=UTC)  # Berlin's clocks change on the 29th
_claims = st.lists(
    st.tuples(st.integers(0, 21 * 24 * 4), st.integers(1, 14 * 4)),  # quarter hours
    min_size=1,
    max_size=40,
)
_rules = st.builds(
    RestRules,
    max_per_day=st.integers(2, 12).map(lambda n: n * H),
    max_per_week=st.integers(8, 50).map(lambda n: n * H),
    min_rest=st.integers(0, 12).map(lambda n: n * H),
)


@given(claims=_claims, rules=_rules, tz=st.sampled_from([SHANGHAI, BERLIN]))
@settings(max_examples=300, deadline=None)
def test_greedy_claims_keep_the_roster_clean_and_refusals_are_real(
    claims: list[tuple[int, int]], rules: RestRules, tz: ZoneInfo
) -> None:
    """Accepting only what check_claim allows never yields a roster roster_violations faults;
    every refusal names a rule the roster checker finds in roster + claim."""
    roster: list[Stint] = []
    for offset, length in claims:
        start = _BASE + offset * timedelta(minutes=15)
        claim = Stint(start.astimezone(tz), start + length * timedelta(minutes=15))
        refused = check_claim(roster, claim, rules, tz)
        if refused is None:
            roster.append(claim)
            assert roster_violations(roster, rules, tz) == []
        else:
            found = roster_violations([*roster, claim], rules, tz)
            assert refused.rule in {v.rule for v in found}
            if refused.rule in (Rule.DAY, Rule.WEEK):
                assert refused in found  # the same day or week, with the same hours


@given(
    required=st.sampled_from(["medical", "driving"]),
    skills=st.sets(st.sampled_from(["medical", "driving", "it"])),
)
def test_skill_refusal_is_exactly_a_missing_skill(required: str, skills: set[str]) -> None:
    refused = check_claim(
        [], stint(25, 8, 1), RULES, SHANGHAI, required_skill=required, skills=skills
    )
    assert (refused is None) == (required in skills)
