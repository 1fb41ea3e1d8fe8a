"""The recognition rules on their own: stars from hours and ratings, points from minutes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.errors import BadPoints
from models.recognition import MAX_REDEEM_POINTS, earned_half_points, parse_points, stars

MINUTES = st.integers(min_value=0, max_value=200 * 60)
RATINGS = st.lists(st.integers(min_value=1, max_value=5), max_size=40)


@pytest.mark.parametrize(
    ("hours", "expected"),
    [(0, 1), (4.9, 1), (5, 2), (19.9, 2), (20, 3), (50, 4), (99.9, 4), (100, 5), (500, 5)],
)
def test_stars_follow_the_hours_without_ratings(hours: float, expected: int) -> None:
    """Unrated volunteers earn stars by hours alone: 5, 20, 50 and 100 hours."""
    assert stars(round(hours * 60), []) == expected


def test_ratings_add_or_take_a_star() -> None:
    """Consistently excellent help adds a star, poor help takes one; one rating barely counts."""
    twenty_hours = 20 * 60
    assert stars(twenty_hours, [5, 5, 5]) == 4  # (15 + 12) / 6 = 4.5
    assert stars(twenty_hours, [5]) == 3  # (5 + 12) / 4 = 4.25: one rating is not enough
    assert stars(twenty_hours, [1, 1, 1]) == 2  # (3 + 12) / 6 = 2.5
    assert stars(twenty_hours, [2]) == 3  # (2 + 12) / 4 = 3.5
    assert stars(0, [1, 1, 1, 1]) == 1  # never below one star
    assert stars(100 * 60, [5] * 10) == 5  # never above five


@given(MINUTES, MINUTES, RATINGS)
def test_stars_never_fall_as_hours_grow(a: int, b: int, ratings: list[int]) -> None:
    """More hours with the same ratings never cost a star."""
    low, high = sorted((a, b))
    assert stars(low, ratings) <= stars(high, ratings)


@given(MINUTES, RATINGS)
def test_stars_stay_between_one_and_five(minutes: int, ratings: list[int]) -> None:
    """Whatever the hours and ratings."""
    assert 1 <= stars(minutes, ratings) <= 5


@given(MINUTES, RATINGS)
def test_a_five_star_rating_never_costs_a_star(minutes: int, ratings: list[int]) -> None:
    """Good feedback can only help, and bad feedback can only hurt (the prior smooths both)."""
    assert stars(minutes, [*ratings, 5]) >= stars(minutes, ratings)
    assert stars(minutes, [*ratings, 1]) <= stars(minutes, ratings)


@given(MINUTES, RATINGS)
def test_the_order_of_ratings_does_not_matter(minutes: int, ratings: list[int]) -> None:
    """Stars read the ratings as a whole."""
    assert stars(minutes, ratings) == stars(minutes, sorted(ratings))


@pytest.mark.parametrize(
    ("minutes", "half_points"),
    [(0, 0), (14, 0), (15, 1), (30, 1), (44, 1), (45, 2), (60, 2), (90, 3), (100, 3), (105, 4)],
)
def test_points_are_hours_rounded_to_a_half(minutes: int, half_points: int) -> None:
    """Minutes / 60 rounded to the nearest 0.5 (halves round up): 90 minutes are 1.5 points."""
    assert earned_half_points(minutes) == half_points


@given(MINUTES, MINUTES)
def test_points_grow_with_minutes_and_stay_near_the_hours(a: int, b: int) -> None:
    """Never more than a quarter hour away from the exact hours, and monotonic."""
    low, high = sorted((a, b))
    assert earned_half_points(low) <= earned_half_points(high)
    assert abs(earned_half_points(a) / 2 - a / 60) <= 0.25


@pytest.mark.parametrize(
    ("text", "half_points"),
    [("3", 6), ("1.5", 3), ("0.5", 1), ("２", 4), ("2.0", 4), ("1,5", 3), (" 4 ", 8)],
)
def test_redeemed_points_are_read_in_halves(text: str, half_points: int) -> None:
    """Whole and half points, full-width digits and a decimal comma."""
    assert parse_points(text) == half_points


@pytest.mark.parametrize(
    "text", ["0", "0.0", "-1", "1.2", "abc", "", "1.55", "3点", str(MAX_REDEEM_POINTS + 1), "1e3"]
)
def test_malformed_or_non_positive_points_are_refused(text: str) -> None:
    """Refused with what was typed, for the localised answer."""
    with pytest.raises(BadPoints) as refused:
        parse_points(text)
    assert refused.value.values["text"] == text[:20]
