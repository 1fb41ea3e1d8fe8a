"""A volunteer's standing as /me shows it: hours by period, stars, points, thank-you listing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from models.people import Person
from models.recognition import stars
from models.redemptions import points_of
from models.service_hours import minutes_between, month_start, ratings_of, week_start
from models.thanks import is_thanked


@dataclass(frozen=True, slots=True)
class Standing:
    """Minutes this local week, this local month and in total; stars; points in half points."""

    week_minutes: int
    month_minutes: int
    total_minutes: int
    stars: int
    ratings: int
    earned_half: int
    redeemed_half: int
    # Named in the monthly thank-you of the groups they served (they may opt out in /me).
    thanked: bool

    @property
    def balance_half(self) -> int:
        """Points left to redeem, in half points."""
        return self.earned_half - self.redeemed_half


async def standing_of(
    session: AsyncSession, person: Person, now: datetime, tz: ZoneInfo
) -> Standing:
    """Everything /me shows about the person's service."""
    total = await minutes_between(session, person.id, None, None)
    ratings = await ratings_of(session, person.id)
    earned, redeemed = await points_of(session, person.id)
    return Standing(
        week_minutes=await minutes_between(session, person.id, week_start(now, tz), None),
        month_minutes=await minutes_between(session, person.id, month_start(now, tz), None),
        total_minutes=total,
        stars=stars(total, ratings),
        ratings=len(ratings),
        earned_half=earned,
        redeemed_half=redeemed,
        thanked=await is_thanked(session, person.id),
    )
