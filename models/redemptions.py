"""The points ledger: volunteers earn points by serving, leaders record what they redeemed.

Points are never stored as a balance: earned points follow from the service records
(models/recognition.earned_half_points), and each redemption is a row that is only ever
added, never changed or deleted. balance = earned − redeemed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    func,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.audit import record_action
from models.base import Base
from models.errors import NoSuchRedemption, NotEnoughPoints, OwnRedemption
from models.people import Building, Person, bound_building, find_person, require_leader
from models.recognition import earned_half_points, parse_points
from models.service_hours import minutes_between

MAX_NOTE = 200


class Redemption(Base):
    """Points a volunteer exchanged (at a local merchant, for a voucher), recorded by a leader."""

    __tablename__ = "point_redemptions"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    # NULL after /forgetme: the ledger keeps the row, anonymously.
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("persons.id", ondelete="SET NULL"), index=True
    )
    leader_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"))
    building_id: Mapped[int | None] = mapped_column(ForeignKey("buildings.id", ondelete="SET NULL"))
    half_points: Mapped[int]
    note: Mapped[str] = mapped_column(String(MAX_NOTE))
    at: Mapped[datetime]

    __table_args__ = (CheckConstraint("half_points > 0", name="half_points_positive"),)


@dataclass(frozen=True, slots=True)
class Redeemed:
    """A recorded redemption, whose volunteer it was, and their balance after it (halves)."""

    redemption: Redemption
    volunteer: Person
    building: Building
    balance_half: int


async def points_of(session: AsyncSession, person_id: int) -> tuple[int, int]:
    """(earned, redeemed) half points of a person."""
    earned = earned_half_points(await minutes_between(session, person_id, None, None))
    redeemed = await session.scalar(
        select(func.coalesce(func.sum(Redemption.half_points), 0)).where(
            Redemption.person_id == person_id
        )
    )
    return earned, int(redeemed or 0)


async def redeem_points(
    session: AsyncSession,
    *,
    chat_id: int,
    leader: Person | None,
    volunteer_tg_id: int,
    volunteer_name: str | None,
    points_text: str,
    note: str,
    now: datetime,
) -> Redeemed:
    """A leader of the group's building records a redemption; never more than the balance."""
    building = await bound_building(session, chat_id)
    await require_leader(session, leader, building.id)
    assert leader is not None
    half = parse_points(points_text)
    volunteer = await find_person(session, volunteer_tg_id)
    if volunteer is None:
        raise NotEnoughPoints(name=volunteer_name or "", asked=half, balance=0)
    if volunteer.id == leader.id:
        raise OwnRedemption()
    # Two leaders redeeming for one volunteer at once must not both pass the balance check:
    # lock the volunteer's row (PostgreSQL); SQLite already runs one writer at a time.
    await session.execute(select(Person.id).where(Person.id == volunteer.id).with_for_update())
    earned, redeemed = await points_of(session, volunteer.id)
    if half > earned - redeemed:
        raise NotEnoughPoints(name=volunteer.name, asked=half, balance=earned - redeemed)
    redemption = Redemption(
        person_id=volunteer.id,
        leader_id=leader.id,
        building_id=building.id,
        half_points=half,
        note=" ".join(note.split())[:MAX_NOTE],
        at=now,
    )
    session.add(redemption)
    await session.flush()
    record_action(
        session,
        actor=leader,
        action="redeem_points",
        now=now,
        chat_id=chat_id,
        building_id=building.id,
        details={"volunteer": volunteer.id, "half_points": half, "redemption": redemption.id},
    )
    return Redeemed(redemption, volunteer, building, earned - redeemed - half)


async def own_redemption(
    session: AsyncSession, person: Person | None, redemption_id: int
) -> tuple[Redemption, int]:
    """A redemption of the person's own (from its start link) and their balance now (halves)."""
    redemption = await session.get(Redemption, redemption_id)
    if person is None or redemption is None or redemption.person_id != person.id:
        raise NoSuchRedemption()
    earned, redeemed = await points_of(session, person.id)
    return redemption, earned - redeemed
