"""Volunteer shifts (排班): posted by leaders, claimed slot by slot, checked in and out.

A shift is one stretch at one post (a recurring call makes one shift per day). Claims are
atomic: a conditional update of the shift's `filled` counter takes a slot, so two volunteers
tapping the last slot at once cannot both get it, and the rest rules (models/rest_rules.py)
are checked against the volunteer's other shifts first. Each unfilled slot is an open task
(kind "shift_slot") on the shared board until someone takes it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.audit import record_action
from models.base import Base
from models.errors import (
    AlreadyOnShift,
    NoSuchShift,
    NotAVolunteer,
    NotOnShift,
    ShiftFull,
    ShiftRuleBroken,
    ShiftStarted,
)
from models.people import Household, Person, require_leader, require_registered
from models.records import record_service
from models.rest_rules import RestRules, Stint, Violation, check_claim
from models.shift_spec import ShiftSpec
from models.tasks import CANCELLED, DONE, OPEN, open_task

SHIFT_SLOT = "shift_slot"  # the task kind of an unfilled slot
IntPK = BigInteger().with_variant(Integer, "sqlite")


class Shift(Base):
    """One stretch of duty at a post, with a number of slots."""

    __tablename__ = "shifts"

    id: Mapped[int] = mapped_column(IntPK, primary_key=True)
    building_id: Mapped[int] = mapped_column(
        ForeignKey("buildings.id", ondelete="CASCADE"), index=True
    )
    chat_id: Mapped[int] = mapped_column(BigInteger)  # the group whose card it is on
    post: Mapped[str] = mapped_column(String(60))
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime]
    people: Mapped[int]
    filled: Mapped[int] = mapped_column(default=0)
    skill: Mapped[str | None] = mapped_column(String(16))
    # The first shift of a recurring call: its card shows the whole series.
    series_id: Mapped[int | None] = mapped_column(index=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    cancelled_at: Mapped[datetime | None]

    @property
    def ref(self) -> str:
        """How leaders and volunteers name it: S-12."""
        return f"S-{self.id}"

    @property
    def stint(self) -> Stint:
        """The shift's time, as the rest rules see it."""
        return Stint(self.starts_at, self.ends_at)


class ShiftAssignment(Base):
    """A volunteer on a shift: claimed (or assigned), then checked in and out."""

    __tablename__ = "shift_assignments"

    id: Mapped[int] = mapped_column(IntPK, primary_key=True)
    shift_id: Mapped[int] = mapped_column(ForeignKey("shifts.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    assigned_at: Mapped[datetime]
    checked_in_at: Mapped[datetime | None]
    checked_out_at: Mapped[datetime | None]
    # Nobody checked out: the scheduled hours were recorded, and leaders may want to confirm.
    flagged: Mapped[bool] = mapped_column(default=False)

    # One slot per person per shift, however often they tap.
    __table_args__ = (UniqueConstraint("shift_id", "person_id"),)


# -- posting -----------------------------------------------------------------------------------


async def post_shifts(
    session: AsyncSession,
    *,
    leader: Person | None,
    building_id: int,
    chat_id: int,
    spec: ShiftSpec,
    now: datetime,
) -> list[Shift]:
    """A leader posts a shift (one per occurrence of a recurring call); opens their slot tasks."""
    await require_leader(session, leader, building_id)
    assert leader is not None
    shifts: list[Shift] = []
    for start in spec.starts:
        shift = Shift(
            building_id=building_id,
            chat_id=chat_id,
            post=spec.post,
            starts_at=start,
            ends_at=start + spec.duration,
            people=spec.people,
            filled=0,
            skill=spec.skill,
            series_id=shifts[0].id if shifts else None,
            created_by=leader.id,
            created_at=now,
        )
        session.add(shift)
        await session.flush()
        if not shifts:
            shift.series_id = shift.id
        shifts.append(shift)
        await _sync_slot_tasks(session, shift, now)
    record_action(
        session,
        actor=leader,
        action="post_shift",
        now=now,
        chat_id=chat_id,
        building_id=building_id,
        details={"shifts": [s.id for s in shifts], "people": spec.people},
    )
    return shifts


async def series(session: AsyncSession, series_id: int) -> list[Shift]:
    """The shifts of one call, in time order."""
    rows = await session.scalars(
        select(Shift).where(Shift.series_id == series_id).order_by(Shift.starts_at, Shift.id)
    )
    return list(rows)


def parse_shift_ref(text: str) -> int:
    """Read "S-12", "s12", "#12" or "12"; raise NoSuchShift otherwise."""
    normalised = unicodedata.normalize("NFKC", text or "").strip()
    match = re.fullmatch(r"#?(?:s\s*-?\s*)?(\d{1,9})", normalised, re.IGNORECASE)
    if not match:
        raise NoSuchShift(ref=normalised[:20])
    return int(match.group(1))


async def home_building(session: AsyncSession, person: Person | None) -> int:
    """The building of the person's household (for /shifts in private)."""
    registered = require_registered(person)
    household = await session.get(Household, registered.household_id)
    assert household is not None
    return household.building_id


async def load_shift(session: AsyncSession, shift_id: int) -> Shift:
    """A shift by id; raise NoSuchShift otherwise."""
    shift = await session.get(Shift, shift_id)
    if shift is None:
        raise NoSuchShift(ref=f"S-{shift_id}")
    return shift


# -- claiming and dropping ---------------------------------------------------------------------


async def stints_of(
    session: AsyncSession, person_id: int, *, besides: int | None = None
) -> list[Stint]:
    """The volunteer's other live shifts, as the rest rules see them."""
    rows = await session.scalars(
        select(Shift)
        .join(ShiftAssignment, ShiftAssignment.shift_id == Shift.id)
        .where(ShiftAssignment.person_id == person_id, Shift.cancelled_at.is_(None))
    )
    return [s.stint for s in rows if s.id != besides]


async def claim_slot(
    session: AsyncSession,
    *,
    shift_id: int,
    volunteer: Person | None,
    now: datetime,
    rules: RestRules,
    tz: ZoneInfo,
) -> Shift:
    """Take a slot: a volunteer, before the end, within the rest rules; never past the slots."""
    if volunteer is None or not volunteer.is_volunteer:
        raise NotAVolunteer()
    shift = await load_shift(session, shift_id)
    broken = await rule_broken(session, shift, volunteer, now=now, rules=rules, tz=tz)
    if broken is not None:
        raise ShiftRuleBroken(ref=shift.ref, violation=broken)
    return await take_slot(session, shift, volunteer, now)


async def rule_broken(
    session: AsyncSession,
    shift: Shift,
    volunteer: Person,
    *,
    now: datetime,
    rules: RestRules,
    tz: ZoneInfo,
) -> Violation | None:
    """The rest rule taking the shift would break (None: none); refuses a closed or repeat claim.

    A volunteer's claim is refused on a broken rule; a leader's /assign shows it as a warning.
    """
    if shift.cancelled_at is not None or shift.ends_at <= now:
        raise ShiftStarted(ref=shift.ref)
    if await _assignment(session, shift.id, volunteer.id) is not None:
        raise AlreadyOnShift(ref=shift.ref)
    return check_claim(
        await stints_of(session, volunteer.id),
        shift.stint,
        rules,
        tz,
        required_skill=shift.skill,
        skills=volunteer.skills or (),
    )


async def take_slot(session: AsyncSession, shift: Shift, volunteer: Person, now: datetime) -> Shift:
    """Put the volunteer on the shift if a slot is free (the atomic part of a claim)."""
    # The conditional update is the slot: on PostgreSQL it locks the row, so a second claimer
    # waits, then sees the new count; SQLite writers are serialised anyway.
    taken = await session.execute(
        update(Shift)
        .where(Shift.id == shift.id, Shift.filled < Shift.people)
        .values(filled=Shift.filled + 1)
        .execution_options(synchronize_session=False)
    )
    if not taken.rowcount:
        raise ShiftFull(ref=shift.ref)
    # A double tap that waited on the lock finds its own first claim now.
    if await _assignment(session, shift.id, volunteer.id) is not None:
        raise AlreadyOnShift(ref=shift.ref)
    session.add(ShiftAssignment(shift_id=shift.id, person_id=volunteer.id, assigned_at=now))
    await session.refresh(shift)
    await _sync_slot_tasks(session, shift, now)
    return shift


async def drop_slot(
    session: AsyncSession, *, shift_id: int, volunteer: Person | None, now: datetime
) -> Shift:
    """Give a slot back before the shift starts; the slot is open again."""
    shift = await load_shift(session, shift_id)
    assignment = await _assignment(session, shift.id, volunteer.id) if volunteer else None
    if assignment is None:
        raise NotOnShift(ref=shift.ref)
    if shift.starts_at <= now:
        raise ShiftStarted(ref=shift.ref)
    await session.delete(assignment)
    await session.execute(
        update(Shift)
        .where(Shift.id == shift.id)
        .values(filled=Shift.filled - 1)
        .execution_options(synchronize_session=False)
    )
    await session.flush()
    await session.refresh(shift)
    await _sync_slot_tasks(session, shift, now)
    return shift


async def cancel_shift(
    session: AsyncSession, *, shift_id: int, leader: Person | None, now: datetime
) -> tuple[Shift, list[Person]]:
    """A leader cancels a shift; returns it and the volunteers who were on it (to be told)."""
    shift = await load_shift(session, shift_id)
    await require_leader(session, leader, shift.building_id)
    assert leader is not None
    if shift.cancelled_at is None:
        shift.cancelled_at = now
        record_action(
            session,
            actor=leader,
            action="cancel_shift",
            now=now,
            chat_id=shift.chat_id,
            building_id=shift.building_id,
            details={"shift": shift.id},
        )
    await _sync_slot_tasks(session, shift, now)
    return shift, await volunteers_on(session, shift.id)


async def volunteers_on(session: AsyncSession, shift_id: int) -> list[Person]:
    """Who is on a shift, in the order they took their slots."""
    rows = await session.scalars(
        select(Person)
        .join(ShiftAssignment, ShiftAssignment.person_id == Person.id)
        .where(ShiftAssignment.shift_id == shift_id)
        .order_by(ShiftAssignment.assigned_at, ShiftAssignment.id)
    )
    return list(rows)


# -- on the day --------------------------------------------------------------------------------


async def check_in(
    session: AsyncSession, *, shift_id: int, volunteer: Person | None, now: datetime
) -> Shift:
    """The volunteer is at their post (from the check-in button)."""
    shift = await load_shift(session, shift_id)
    assignment = await _assignment(session, shift.id, volunteer.id) if volunteer else None
    if assignment is None:
        raise NotOnShift(ref=shift.ref)
    assignment.checked_in_at = assignment.checked_in_at or now
    return shift


async def check_out(
    session: AsyncSession, *, shift_id: int, volunteer: Person | None, now: datetime
) -> int:
    """The volunteer leaves their post: the time served becomes a service record (minutes)."""
    shift = await load_shift(session, shift_id)
    assignment = await _assignment(session, shift.id, volunteer.id) if volunteer else None
    if assignment is None or volunteer is None:
        raise NotOnShift(ref=shift.ref)
    if assignment.checked_out_at is not None:
        return _minutes(assignment.checked_in_at or shift.starts_at, assignment.checked_out_at)
    assignment.checked_out_at = now
    started = assignment.checked_in_at or shift.starts_at
    record_service(
        session,
        person_id=volunteer.id,
        building_id=shift.building_id,
        kind="shift",
        source_ref=f"shift:{shift.id}",
        started_at=started,
        ended_at=now,
    )
    return _minutes(started, now)


def _minutes(start: datetime, end: datetime) -> int:
    return max(0, int((end - start).total_seconds() // 60))


async def close_unchecked(session: AsyncSession, shift: Shift, assignment: ShiftAssignment) -> int:
    """No check-out an hour after the end: record the scheduled time, flagged; returns minutes."""
    if assignment.checked_out_at is not None:
        return 0
    started = assignment.checked_in_at or shift.starts_at
    assignment.checked_out_at, assignment.flagged = shift.ends_at, True
    record_service(
        session,
        person_id=assignment.person_id,
        building_id=shift.building_id,
        kind="shift",
        source_ref=f"shift:{shift.id}",
        started_at=started,
        ended_at=shift.ends_at,
    )
    return _minutes(started, shift.ends_at)


# -- reading -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ShiftView:
    """A shift as cards and lists show it: names of who is on it (never phones)."""

    shift: Shift
    names: list[str]

    @property
    def missing(self) -> int:
        """Slots still open."""
        return max(0, self.shift.people - self.shift.filled)


async def view(session: AsyncSession, shift: Shift) -> ShiftView:
    """The shift with its volunteers' display names."""
    return ShiftView(shift, [p.name for p in await volunteers_on(session, shift.id)])


async def upcoming(
    session: AsyncSession, building_id: int, now: datetime, *, limit: int = 20
) -> list[ShiftView]:
    """The building's shifts that have not ended, soonest first."""
    rows = await session.scalars(
        select(Shift)
        .where(
            Shift.building_id == building_id,
            Shift.cancelled_at.is_(None),
            Shift.ends_at > now,
        )
        .order_by(Shift.starts_at, Shift.id)
        .limit(limit)
    )
    return [await view(session, s) for s in rows]


async def shifts_of(session: AsyncSession, person: Person | None, now: datetime) -> list[Shift]:
    """The volunteer's shifts that have not ended, soonest first."""
    if person is None or not person.is_volunteer:
        raise NotAVolunteer()
    rows = await session.scalars(
        select(Shift)
        .join(ShiftAssignment, ShiftAssignment.shift_id == Shift.id)
        .where(
            ShiftAssignment.person_id == person.id,
            Shift.cancelled_at.is_(None),
            Shift.ends_at > now,
        )
        .order_by(Shift.starts_at, Shift.id)
    )
    return list(rows)


# -- the slots on the task board ---------------------------------------------------------------


async def _sync_slot_tasks(session: AsyncSession, shift: Shift, now: datetime) -> None:
    """Slot n is an open task while fewer than n volunteers are on the shift."""
    for slot in range(1, shift.people + 1):
        task = await open_task(
            session,
            kind=SHIFT_SLOT,
            source_ref=f"shift:{shift.id}:{slot}",
            now=now,
            building_id=shift.building_id,
            priority=5,
            due_at=shift.starts_at,
            details={"shift": shift.id, "slot": slot},
        )
        wanted = CANCELLED if shift.cancelled_at else (DONE if slot <= shift.filled else OPEN)
        if task.status != wanted:
            task.status = wanted
            task.closed_at = None if wanted == OPEN else now


async def _assignment(
    session: AsyncSession, shift_id: int, person_id: int
) -> ShiftAssignment | None:
    return await session.scalar(
        select(ShiftAssignment).where(
            ShiftAssignment.shift_id == shift_id, ShiftAssignment.person_id == person_id
        )
    )
