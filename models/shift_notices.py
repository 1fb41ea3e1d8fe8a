"""What a shift's clock brings, as due work in rows: each notice is taken exactly once.

Reminders 12 h and 1 h before; re-calls of unfilled slots 24 h and 2 h before (at 2 h the
leaders hear too); at the start a check-in button, 15 min later a nudge about anyone not
checked in; at the end a check-out button, an hour later the scheduled time is recorded,
flagged. A notice whose moment has passed its use (a reminder after the start) is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import BigInteger, ForeignKey, Integer, String, UniqueConstraint, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, insert_ignoring_duplicates
from models.people import Person
from models.shifts import Shift, ShiftAssignment, close_unchecked

IntPK = BigInteger().with_variant(Integer, "sqlite")
LOOKAHEAD = timedelta(hours=24)
LATE_AFTER = timedelta(minutes=15)
AUTO_CHECK_OUT_AFTER = timedelta(hours=1)
GROUP = 0  # person id of a notice to the group or the leaders


class ShiftNotice(Base):
    """A notice taken for a shift (and a person, or 0 for the group and its leaders)."""

    __tablename__ = "shift_notices"

    id: Mapped[int] = mapped_column(IntPK, primary_key=True)
    shift_id: Mapped[int] = mapped_column(ForeignKey("shifts.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(BigInteger)
    step: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("shift_id", "person_id", "step"),)


@dataclass(frozen=True, slots=True)
class Notice:
    """One notice to send: its kind (the template's), the shift, and whom it is about."""

    kind: str  # remind, soon, recall, gap_leaders, start, late, late_leaders, end, auto_out
    shift: Shift
    person: Person | None = None
    missing: int = 0
    minutes: int = 0


async def due_notices(session: AsyncSession, now: datetime) -> list[Notice]:
    """Take every notice that is due now and was not taken before."""
    shifts = await session.scalars(
        select(Shift)
        .where(
            Shift.cancelled_at.is_(None),
            Shift.starts_at <= now + LOOKAHEAD,
            Shift.ends_at >= now - 2 * AUTO_CHECK_OUT_AFTER,
        )
        .order_by(Shift.starts_at, Shift.id)
    )
    found: list[Notice] = []
    for shift in list(shifts):
        found += await _for_shift(session, shift, now)
    return found


async def _for_shift(session: AsyncSession, shift: Shift, now: datetime) -> list[Notice]:
    rows = (
        await session.execute(
            select(ShiftAssignment, Person)
            .join(Person, Person.id == ShiftAssignment.person_id)
            .where(ShiftAssignment.shift_id == shift.id)
        )
    ).all()
    start, end = shift.starts_at, shift.ends_at
    missing = max(0, shift.people - shift.filled)
    found: list[Notice] = []

    async def take(step: str, kind: str, person: Person | None = None, **extra: int) -> None:
        if await _take(session, shift.id, person.id if person else GROUP, step, now):
            found.append(Notice(kind, shift, person, missing, **extra))

    if now < start:
        if missing and now >= start - timedelta(hours=24):
            await take("recall_24", "recall")
        if missing and now >= start - timedelta(hours=2):
            await take("recall_2", "recall")
            await take("gap_leaders", "gap_leaders")
        for assignment, person in rows:
            # Someone who took the slot after a reminder's moment needs no reminder of it.
            if now >= start - timedelta(hours=12) and assignment.assigned_at < start - timedelta(
                hours=12
            ):
                await take("remind", "remind", person)
            if now >= start - timedelta(hours=1) and assignment.assigned_at < start - timedelta(
                hours=1
            ):
                await take("soon", "soon", person)
    elif now < end:
        for assignment, person in rows:
            await take("start", "start", person)
            if now >= start + LATE_AFTER and assignment.checked_in_at is None:
                await take("late", "late", person)
                await take(f"late_{person.id}", "late_leaders", person)
    else:
        for assignment, person in rows:
            if assignment.checked_out_at is None:
                await take("end", "end", person)
            if now >= end + AUTO_CHECK_OUT_AFTER and assignment.checked_out_at is None:
                minutes = await close_unchecked(session, shift, assignment)
                await take("auto_out", "auto_out", person, minutes=minutes)
    return found


async def _take(
    session: AsyncSession, shift_id: int, person_id: int, step: str, now: datetime
) -> bool:
    result = await session.execute(
        insert_ignoring_duplicates(session, ShiftNotice).values(
            shift_id=shift_id, person_id=person_id, step=step, at=now
        )
    )
    return bool(result.rowcount)
