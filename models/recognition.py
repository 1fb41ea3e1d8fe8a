"""Recognition rules: stars from hours and ratings, points from minutes (pure, no database).

Seed 001 asks for "star ratings by hours and quality"; seed 002/003 for points exchanged at
local merchants. Both rules live here and nowhere else: /me, /help stars and the ledger read
these functions and constants, so the explanation cannot drift from the rule.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from models.errors import BadPoints

# Hours served that earn the 1st..5th star (before the ratings' adjustment).
STAR_HOURS = (0, 5, 20, 50, 100)
MIN_STARS, MAX_STARS = 1, 5
# Ratings are smoothed towards a neutral prior, so one early rating moves little and every
# added 5 raises (every added 1 lowers) the smoothed average: the rule stays monotonic.
PRIOR_RATING, PRIOR_WEIGHT = 4, 3
# Smoothed averages (in tenths, to stay in integers) at or above which a star is added, and
# below which one is taken away.
BONUS_AT_TENTHS, PENALTY_BELOW_TENTHS = 45, 30
# Points: minutes / 60, rounded to the nearest half point; kept as whole half-points.
MINUTES_PER_HALF_POINT = 30
MAX_REDEEM_POINTS = 10_000


def stars(minutes: int, ratings: Sequence[int]) -> int:
    """Stars (1–5): a tier from the hours served, ± one for the requesters' smoothed rating."""
    hours_stars = sum(1 for hours in STAR_HOURS if minutes >= hours * 60)
    total, count = sum(ratings), len(ratings)
    # smoothed = (total + prior·weight) / (count + weight), compared in tenths without floats
    numerator, denominator = 10 * (total + PRIOR_RATING * PRIOR_WEIGHT), count + PRIOR_WEIGHT
    if numerator >= BONUS_AT_TENTHS * denominator:
        adjustment = 1
    elif numerator < PENALTY_BELOW_TENTHS * denominator:
        adjustment = -1
    else:
        adjustment = 0
    return max(MIN_STARS, min(MAX_STARS, max(hours_stars, 1) + adjustment))


def earned_half_points(minutes: int) -> int:
    """Points earned for `minutes` of service, in half points (90 min → 3, i.e. 1.5 points)."""
    # Round half up on integers: 15 minutes (0.25 h) earns half a point.
    return max(0, (minutes + MINUTES_PER_HALF_POINT // 2) // MINUTES_PER_HALF_POINT)


_POINTS = re.compile(r"(\d{1,6})(?:[.,](\d))?")


def parse_points(text: str) -> int:
    """Points a leader redeems ("3", "1.5", "２"), in half points; raise BadPoints otherwise."""
    normalised = unicodedata.normalize("NFKC", text or "").strip()
    match = _POINTS.fullmatch(normalised)
    if match:
        whole, tenth = int(match.group(1)), match.group(2) or "0"
        if tenth in ("0", "5"):
            half = whole * 2 + (tenth == "5")
            if 0 < half <= MAX_REDEEM_POINTS * 2:
                return half
    raise BadPoints(text=(text or "")[:20], limit=MAX_REDEEM_POINTS)
