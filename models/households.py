"""Who belongs to a household: the first registrant founds it, later ones wait for approval.

Anyone can type any room, so a second person registering a room that already has members is
*pending*: its members (or, if none of them can be reached, the building's leaders) approve or
reject. A pending person sees nothing of the household: Person.household_id, which every
household read follows, only changes on approval.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.audit import record_action
from models.base import get_or_create
from models.errors import (
    MissingRoom,
    NoSuchApplication,
    NoSuchBuilding,
    NotHouseholdMember,
    RequestDecided,
)
from models.people import (
    Building,
    BuildingLeader,
    Coordinator,
    Household,
    Person,
    bound_building,
    find_building,
    is_coordinator,
    is_leader,
    leaders_of,
    parse_room,
)


class JoinStatus(StrEnum):
    """What a registration did."""

    FOUNDED = "founded"  # the first member of the room
    UNCHANGED = "unchanged"  # already a member there
    PENDING = "pending"  # waits for the members (or leaders) to approve


@dataclass(frozen=True, slots=True)
class Registration:
    """The outcome of registering a room, with whom to tell.

    `approvers` decide a pending registration: the household's members, or the building's
    leaders when `by_leaders` (no member can be reached). `left_behind` are the members of the
    household the person moved out of.
    """

    status: JoinStatus
    building_id: int
    building_name: str
    household_id: int
    label: str
    approvers: list[Person] = field(default_factory=list)
    by_leaders: bool = False
    left_behind: list[Person] = field(default_factory=list)
    previous_label: str | None = None


async def register_in_chat(
    session: AsyncSession, *, chat_id: int, person: Person, room_text: str, now: datetime
) -> Registration:
    """/register in a bound group: the household is in the group's building."""
    if not room_text.strip():
        raise MissingRoom()
    building = await bound_building(session, chat_id)
    return await register(
        session, person=person, building_id=building.id, room_text=room_text, now=now
    )


async def register(
    session: AsyncSession, *, person: Person, building_id: int, room_text: str, now: datetime
) -> Registration:
    """Found the household at `room_text`, or ask its members to let the person in."""
    room = parse_room(room_text)
    building = await find_building(session, building_id)
    if building is None:
        raise NoSuchBuilding()
    unit = str(room.unit) if room.unit else ""
    household = await _household(session, building.id, unit, room.number, now)
    if person.household_id == household.id:
        person.pending_household_id = None
        return _outcome(JoinStatus.UNCHANGED, building, household)
    members = await members_of(session, household.id)
    if not members:
        left, previous = await _move(session, person, household, now)
        household.founded_at = now
        return _outcome(
            JoinStatus.FOUNDED, building, household, left_behind=left, previous_label=previous
        )
    person.pending_household_id = household.id
    await session.flush()
    reachable = [m for m in members if m.started_private]
    if reachable:
        return _outcome(JoinStatus.PENDING, building, household, approvers=reachable)
    leaders = await leaders_of(session, building.id)
    return _outcome(
        JoinStatus.PENDING,
        building,
        household,
        approvers=[p for p in leaders if p.started_private],
        by_leaders=True,
    )


def _outcome(
    status: JoinStatus,
    building: Building,
    household: Household,
    *,
    approvers: list[Person] | None = None,
    by_leaders: bool = False,
    left_behind: list[Person] | None = None,
    previous_label: str | None = None,
) -> Registration:
    return Registration(
        status,
        building.id,
        building.name,
        household.id,
        household.label,
        approvers or [],
        by_leaders,
        left_behind or [],
        previous_label,
    )


async def _household(
    session: AsyncSession, building_id: int, unit: str, room: str, now: datetime
) -> Household:
    return await get_or_create(
        session,
        select(Household).where(
            Household.building_id == building_id, Household.unit == unit, Household.room == room
        ),
        lambda: Household(building_id=building_id, unit=unit, room=room, founded_at=now),
    )


async def _move(
    session: AsyncSession, person: Person, household: Household, now: datetime
) -> tuple[list[Person], str | None]:
    """Put the person in the household; returns who stayed behind in the old one, and its label."""
    old_id = person.household_id
    person.household_id, person.pending_household_id = household.id, None
    await session.flush()
    if old_id is None:
        return [], None
    old = await session.get(Household, old_id)
    return await members_of(session, old_id), old.label if old else None


async def household_after_leaving(
    session: AsyncSession, person: Person
) -> tuple[list[Person], str | None]:
    """Who stays in the person's household once they leave it, and its room label."""
    if person.household_id is None:
        return [], None
    household = await session.get(Household, person.household_id)
    staying = [m for m in await members_of(session, person.household_id) if m.id != person.id]
    return staying, household.label if household else None


async def members_of(session: AsyncSession, household_id: int) -> list[Person]:
    """The approved members of a household."""
    rows = await session.scalars(
        select(Person).where(Person.household_id == household_id).order_by(Person.id)
    )
    return list(rows)


@dataclass(frozen=True, slots=True)
class MembershipDecision:
    """A decision on a pending member, with whom to tell."""

    approved: bool
    applicant: Person
    label: str
    building_name: str
    left_behind: list[Person] = field(default_factory=list)
    previous_label: str | None = None


async def decide_member(
    session: AsyncSession,
    *,
    applicant_id: int,
    household_id: int,
    approver: Person,
    approve: bool,
    now: datetime,
) -> MembershipDecision:
    """A member of the household (or a leader of its building) lets the applicant in, or not."""
    applicant = await session.get(Person, applicant_id)
    household = await session.get(Household, household_id)
    if applicant is None or household is None:
        raise NoSuchApplication()
    if applicant.pending_household_id != household.id:
        raise RequestDecided()
    as_member = approver.household_id == household.id
    if not as_member and not (
        await is_leader(session, approver.id, household.building_id)
        or await is_coordinator(session, approver)
    ):
        raise NotHouseholdMember()
    building = await session.get(Building, household.building_id)
    left: list[Person] = []
    previous: str | None = None
    if approve:
        left, previous = await _move(session, applicant, household, now)
    else:
        applicant.pending_household_id = None
    if not as_member:
        record_action(
            session,
            actor=approver,
            action="approve_member" if approve else "reject_member",
            now=now,
            building_id=household.building_id,
            details={"person_id": applicant.id, "household_id": household.id},
        )
    return MembershipDecision(
        approve, applicant, household.label, building.name if building else "", left, previous
    )


async def new_households_today(
    session: AsyncSession, building_id: int, now: datetime, tz: ZoneInfo
) -> list[str]:
    """Rooms of the building whose first member registered today (community time), in order."""
    local = now.astimezone(tz)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    rows = await session.execute(
        select(Household)
        .where(
            Household.building_id == building_id,
            Household.founded_at >= midnight,
            Household.founded_at < midnight + timedelta(days=1),
        )
        .order_by(Household.founded_at, Household.id)
    )
    return [household.label for household in rows.scalars()]


async def pending_members_for(
    session: AsyncSession, approver: Person
) -> list[tuple[Person, int, str, str]]:
    """Pending registrations this person may decide: (applicant, household id, room, building)."""
    query = (
        select(Person, Household, Building.name)
        .join(Household, Household.id == Person.pending_household_id)
        .join(Building, Building.id == Household.building_id)
        .order_by(Person.id)
    )
    if await session.get(Coordinator, approver.id) is None:
        led = select(BuildingLeader.building_id).where(BuildingLeader.person_id == approver.id)
        query = query.where(
            (Household.id == approver.household_id) | Household.building_id.in_(led)
        )
    rows = (await session.execute(query)).all()
    return [(person, household.id, household.label, name) for person, household, name in rows]
