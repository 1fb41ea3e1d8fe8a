"""Service records: the time volunteers served, kept from day one for hours and certificates."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    func,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class ServiceRecord(Base):
    """One stretch of service (a shift, a help task) by one volunteer."""

    __tablename__ = "service_records"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    # NULL after /forgetme: the minutes still count in the building's anonymous totals.
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("persons.id", ondelete="SET NULL"), index=True
    )
    building_id: Mapped[int | None] = mapped_column(
        ForeignKey("buildings.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))  # "shift", "help", "care", ...
    source_ref: Mapped[str] = mapped_column(String(64))  # e.g. "shift:12:3", "task:40"
    minutes: Mapped[int]
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime]

    __table_args__ = (
        # One person is credited once per source, however often a job or a button retries.
        UniqueConstraint("person_id", "kind", "source_ref"),
        CheckConstraint("minutes >= 0", name="minutes_not_negative"),
    )


def record_service(
    session: AsyncSession,
    *,
    person_id: int,
    building_id: int | None,
    kind: str,
    source_ref: str,
    started_at: datetime,
    ended_at: datetime,
) -> ServiceRecord:
    """Credit a volunteer with the minutes between `started_at` and `ended_at`."""
    minutes = max(0, int((ended_at - started_at).total_seconds() // 60))
    record = ServiceRecord(
        person_id=person_id,
        building_id=building_id,
        kind=kind,
        source_ref=source_ref,
        minutes=minutes,
        started_at=started_at,
        ended_at=ended_at,
    )
    session.add(record)
    return record


async def minutes_served(session: AsyncSession, person_id: int) -> int:
    """Total minutes a person has served (templates format them as hours and minutes)."""
    total = await session.scalar(
        select(func.coalesce(func.sum(ServiceRecord.minutes), 0)).where(
            ServiceRecord.person_id == person_id
        )
    )
    return int(total or 0)
