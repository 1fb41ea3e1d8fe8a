"""Rosters (值班表): who is on which shift, a leader's assignments, and the rows of the exports.

A leader's /assign is an override: the rest rules are checked and the broken one is handed back
as a warning instead of a refusal, but the slots are still taken by the same atomic update as a
volunteer's claim (models/shifts.take_slot), so an assignment never overfills a shift.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.audit import record_action
from models.errors import NotAVolunteer, NotInVolunteerPool, RosterWhichBuilding
from models.people import (
    Building,
    BuildingLeader,
    Household,
    Person,
    bound_building,
    find_person,
    is_coordinator,
    is_leader,
    require_leader,
)
from models.rest_rules import RestRules, Violation
from models.shifts import (
    Shift,
    ShiftAssignment,
    ShiftView,
    load_shift,
    rule_broken,
    take_slot,
    view,
)

Period = Literal["today", "week"]
WEEK = timedelta(days=7)


# -- a leader's assignment --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Assigned:
    """A volunteer a leader put on a shift, and the rest rule that broke (the leader's warning)."""

    shift: Shift
    volunteer: Person
    warning: Violation | None


async def assign_slot(
    session: AsyncSession,
    *,
    shift_id: int,
    leader: Person | None,
    volunteer_tg_id: int,
    volunteer_name: str | None,
    now: datetime,
    rules: RestRules,
    tz: ZoneInfo,
) -> Assigned:
    """A leader puts a pool volunteer on a shift: never past its slots; a broken rule only warns."""
    shift = await load_shift(session, shift_id)
    await require_leader(session, leader, shift.building_id)
    volunteer = await find_person(session, volunteer_tg_id)
    if volunteer is None or not volunteer.is_volunteer:
        raise NotInVolunteerPool(name=volunteer.name if volunteer else (volunteer_name or ""))
    warning = await rule_broken(session, shift, volunteer, now=now, rules=rules, tz=tz)
    await take_slot(session, shift, volunteer, now)
    record_action(
        session,
        actor=leader,
        action="assign_shift",
        now=now,
        chat_id=shift.chat_id,
        building_id=shift.building_id,
        details={
            "shift": shift.id,
            "volunteer": volunteer.id,
            "warning": warning.rule.value if warning else None,
        },
    )
    return Assigned(shift, volunteer, warning)


# -- whose roster -----------------------------------------------------------------------------


async def roster_building(
    session: AsyncSession, person: Person | None, chat_id: int | None
) -> Building:
    """The building a roster is about: the group's; in private, one's home or the one led."""
    if chat_id is not None:
        return await bound_building(session, chat_id)
    if person is not None and person.household_id is not None:
        household = await session.get(Household, person.household_id)
        if household is not None:
            building = await session.get(Building, household.building_id)
            if building is not None:
                return building
    if person is not None and person.id is not None:
        led = list(
            await session.scalars(
                select(Building)
                .join(BuildingLeader, BuildingLeader.building_id == Building.id)
                .where(BuildingLeader.person_id == person.id)
            )
        )
        if len(led) == 1:
            return led[0]
    raise RosterWhichBuilding()


async def require_roster_reader(
    session: AsyncSession, person: Person | None, building_id: int
) -> None:
    """Rosters are for volunteers and the building's leaders (and coordinators)."""
    if person is not None and person.is_volunteer:
        return
    if person is None or person.id is None:
        raise NotAVolunteer()
    if not await is_leader(session, person.id, building_id) and not await is_coordinator(
        session, person
    ):
        raise NotAVolunteer()


# -- reading ----------------------------------------------------------------------------------


def roster_window(period: Period, now: datetime, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """Today's local day, or the coming 7 local days from today's midnight."""
    midnight = datetime.combine(now.astimezone(tz).date(), time(), tzinfo=tz)
    if period == "today":
        # Through date arithmetic, not +24 h: a day the clocks change has 23 or 25 hours.
        tomorrow = midnight.date() + timedelta(days=1)
        return midnight, datetime.combine(tomorrow, time(), tzinfo=tz)
    return midnight, datetime.combine(midnight.date() + WEEK, time(), tzinfo=tz)


async def roster(
    session: AsyncSession, building_id: int, start: datetime, end: datetime
) -> list[ShiftView]:
    """The building's live shifts that touch [start, end), in time order, with who is on each."""
    rows = await session.scalars(
        select(Shift)
        .where(
            Shift.building_id == building_id,
            Shift.cancelled_at.is_(None),
            Shift.starts_at < end,
            Shift.ends_at > start,
        )
        .order_by(Shift.starts_at, Shift.id)
    )
    return [await view(session, shift) for shift in rows]


# -- the leader's export ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RosterLine:
    """One shift as a row of the export: local times, who was on it, what they served."""

    day: date
    post: str
    start: str  # local HH:MM
    end: str
    slots: int
    filled: int
    volunteers: tuple[str, ...]
    checked_in: int
    checked_out: int
    minutes: int


async def roster_export(
    session: AsyncSession,
    *,
    building_id: int,
    leader: Person | None,
    now: datetime,
    tz: ZoneInfo,
) -> list[RosterLine]:
    """Every live shift of the building, oldest first, for its leaders (the export is audited)."""
    await require_leader(session, leader, building_id)
    shifts = await session.scalars(
        select(Shift)
        .where(Shift.building_id == building_id, Shift.cancelled_at.is_(None))
        .order_by(Shift.starts_at, Shift.id)
    )
    lines = [await _line(session, shift, tz) for shift in shifts]
    record_action(
        session,
        actor=leader,
        action="export_roster",
        now=now,
        building_id=building_id,
        details={"shifts": len(lines)},
    )
    return lines


async def _line(session: AsyncSession, shift: Shift, tz: ZoneInfo) -> RosterLine:
    rows = (
        await session.execute(
            select(ShiftAssignment, Person)
            .join(Person, Person.id == ShiftAssignment.person_id)
            .where(ShiftAssignment.shift_id == shift.id)
            .order_by(ShiftAssignment.assigned_at, ShiftAssignment.id)
        )
    ).all()
    served = timedelta(0)
    for assignment, _ in rows:
        if assignment.checked_out_at is not None:
            began = assignment.checked_in_at or shift.starts_at
            served += max(timedelta(0), assignment.checked_out_at - began)
    start, end = shift.starts_at.astimezone(tz), shift.ends_at.astimezone(tz)
    return RosterLine(
        day=start.date(),
        post=shift.post,
        start=start.strftime("%H:%M"),
        end=end.strftime("%H:%M"),
        slots=shift.people,
        filled=shift.filled,
        volunteers=tuple(person.name for _, person in rows),
        checked_in=sum(1 for a, _ in rows if a.checked_in_at is not None),
        checked_out=sum(1 for a, _ in rows if a.checked_out_at is not None),
        minutes=int(served.total_seconds() // 60),
    )


# -- one's own calendar -----------------------------------------------------------------------


async def building_names(session: AsyncSession, building_ids: set[int]) -> dict[int, str]:
    """Building names by id (the calendar's event descriptions)."""
    if not building_ids:
        return {}
    rows = await session.execute(
        select(Building.id, Building.name).where(Building.id.in_(building_ids))
    )
    return {row.id: row.name for row in rows}
