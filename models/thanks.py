"""The monthly thank-you: each building's group hears who served it last month, and for how long.

Only display names and hours: never what anyone did, or for whom. A volunteer may opt out in
/me. Each building's thank-you for a month is claimed in a row with a unique key before it is
sent, so a double tick, a restart or a second replica posts it once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    delete,
    func,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, insert_ignoring_duplicates
from models.people import Building, ChatPurpose, GroupChat, Person
from models.records import ServiceRecord
from models.service_hours import local_midnight

# Posted from 10:00 local on the 1st; a bot that was down catches up within the first week,
# after which last month's thanks would read as stale.
POST_HOUR = 10
POST_WITHIN_DAYS = 7


class ThanksOptOut(Base):
    """A volunteer who asked not to be named in the monthly thank-you."""

    __tablename__ = "thanks_opt_outs"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    at: Mapped[datetime]


class ThanksPost(Base):
    """One building's thank-you for one month, claimed once (even with nobody to thank)."""

    __tablename__ = "thanks_posts"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id", ondelete="CASCADE"))
    month: Mapped[str] = mapped_column(String(7))  # "2026-11", the month thanked for
    chat_id: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("building_id", "month"),)


@dataclass(frozen=True, slots=True)
class Thanked:
    """A volunteer named in a thank-you: display name and minutes served that month."""

    name: str
    minutes: int


@dataclass(frozen=True, slots=True)
class Thanks:
    """A thank-you to post: the group, the building, the month and who served it."""

    chat_id: int
    building: str
    month: date  # the 1st of the month thanked for
    volunteers: list[Thanked]

    @property
    def total_minutes(self) -> int:
        """Minutes served by everyone named."""
        return sum(v.minutes for v in self.volunteers)


# -- the volunteer's choice --------------------------------------------------------------------


async def is_thanked(session: AsyncSession, person_id: int) -> bool:
    """True unless the person opted out of the monthly thank-you."""
    return await session.get(ThanksOptOut, person_id) is None


async def set_thanked(session: AsyncSession, person: Person, listed: bool, now: datetime) -> bool:
    """Opt in (listed) or out of the monthly thank-you; returns the choice."""
    if listed:
        await session.execute(delete(ThanksOptOut).where(ThanksOptOut.person_id == person.id))
    else:
        await session.execute(
            insert_ignoring_duplicates(session, ThanksOptOut).values(person_id=person.id, at=now)
        )
    return listed


# -- the scheduler's part ---------------------------------------------------------------------


def month_thanked(now: datetime, tz: ZoneInfo) -> date | None:
    """The month whose thank-you is due now (the previous local month), or None if not now."""
    local = now.astimezone(tz)
    if local.day > POST_WITHIN_DAYS or (local.day == 1 and local.hour < POST_HOUR):
        return None
    return (local.date().replace(day=1) - timedelta(days=1)).replace(day=1)


async def due_thanks(session: AsyncSession, now: datetime, tz: ZoneInfo) -> list[Thanks]:
    """Claim every building's thank-you that is due and not yet posted; return those to send."""
    month = month_thanked(now, tz)
    if month is None:
        return []
    key = month.strftime("%Y-%m")
    done = select(ThanksPost.building_id).where(ThanksPost.month == key)
    chats = (
        await session.execute(
            select(GroupChat.building_id, GroupChat.chat_id, Building.name)
            .join(Building, Building.id == GroupChat.building_id)
            .where(GroupChat.building_id.not_in(done))
            # The residents' group is the building's own; its volunteers' group only without one.
            .order_by(
                GroupChat.building_id,
                (GroupChat.purpose == ChatPurpose.RESIDENTS).desc(),
                GroupChat.bound_at,
                GroupChat.chat_id,
            )
        )
    ).all()
    first_chat: dict[int, tuple[int, str]] = {}
    for building_id, chat_id, name in chats:
        first_chat.setdefault(building_id, (chat_id, name))
    start = local_midnight(month, tz)
    end = local_midnight((month + timedelta(days=32)).replace(day=1), tz)
    found: list[Thanks] = []
    for building_id, (chat_id, name) in first_chat.items():
        claimed = await session.execute(
            insert_ignoring_duplicates(session, ThanksPost).values(
                building_id=building_id, month=key, chat_id=chat_id, at=now
            )
        )
        if not claimed.rowcount:
            continue  # another tick or replica took it a moment ago
        volunteers = await _served(session, building_id, start, end)
        if volunteers:
            found.append(Thanks(chat_id, name, month, volunteers))
    return found


async def _served(
    session: AsyncSession, building_id: int, start: datetime, end: datetime
) -> list[Thanked]:
    """Who served the building in [start, end), most minutes first; opted-out people left out."""
    minutes = func.sum(ServiceRecord.minutes)
    rows = await session.execute(
        select(Person.display_name, Person.tg_user_id, minutes)
        .join(ServiceRecord, ServiceRecord.person_id == Person.id)
        .where(
            ServiceRecord.building_id == building_id,
            ServiceRecord.started_at >= start,
            ServiceRecord.started_at < end,
            Person.id.not_in(select(ThanksOptOut.person_id)),
        )
        .group_by(Person.id, Person.display_name, Person.tg_user_id)
        .having(minutes > 0)
        .order_by(minutes.desc(), Person.display_name, Person.id)
    )
    return [Thanked(name or f"#{tg_id}", int(total)) for name, tg_id, total in rows]
