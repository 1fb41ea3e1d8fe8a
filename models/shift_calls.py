"""Urgent calls (一呼百应): a shift that starts now, sent privately to every available volunteer.

A leader's `/call` posts a shift like `/shift` does and marks it as a call. Invited are the
building's volunteers who are not resting, whom Linli can reach, and whom the rest rules let
take the shift (skill, overlap, hours, rest); the first answers take the slots through
`claim_slot`, so a call never has more people than it asked for. Ten minutes unfilled, the
call widens once to the whole community's volunteers (same filters) and the building's leaders
hear of it. Every invitation and its answer is kept: seed 000's "registered volunteers are not
active ones" is measured from these rows (/fatigue).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
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

from models.base import Base
from models.errors import NotAVolunteer, NotInvited, ShiftFull, ShiftRuleBroken, ShiftStarted
from models.people import Building, Household, Person, leaders_of
from models.rest_rules import RestRules, check_claim
from models.shift_spec import ShiftSpec
from models.shifts import Shift, claim_slot, load_shift, post_shifts, stints_of

IntPK = BigInteger().with_variant(Integer, "sqlite")
WIDEN_AFTER = timedelta(minutes=10)

# What became of an invitation once answered.
ASSIGNED = "assigned"
TOO_LATE = "too_late"  # full (or over) by the time they tapped: they did answer
REFUSED = "refused"  # a rest rule or a skill said no at the moment of the tap

Reachable = Callable[[Person], bool]


class ShiftCall(Base):
    """A shift posted as an urgent call, and when (if ever) it widened to the community."""

    __tablename__ = "shift_calls"

    shift_id: Mapped[int] = mapped_column(
        ForeignKey("shifts.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(index=True)
    widened_at: Mapped[datetime | None]


class CallInvite(Base):
    """One volunteer asked privately to answer a call, and their answer."""

    __tablename__ = "shift_call_invites"

    id: Mapped[int] = mapped_column(IntPK, primary_key=True)
    shift_id: Mapped[int] = mapped_column(ForeignKey("shifts.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    wave: Mapped[int] = mapped_column(default=1)  # 1: the building, 2: the widened community
    invited_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(12))

    __table_args__ = (UniqueConstraint("shift_id", "person_id"),)


@dataclass(frozen=True, slots=True)
class CallOpened:
    """A call just posted: its shift and the volunteers invited privately."""

    shift: Shift
    invited: list[Person]


@dataclass(frozen=True, slots=True)
class CallAnswer:
    """What an [I'm coming] did: a slot, or why not (the answer is kept either way)."""

    shift: Shift
    assigned: bool
    refused: ShiftRuleBroken | NotAVolunteer | None = None

    @property
    def full(self) -> bool:
        """Every slot is taken: the other invitations can say so."""
        return self.shift.filled >= self.shift.people


@dataclass(frozen=True, slots=True)
class Widening:
    """A call still unfilled after ten minutes: the community's volunteers newly invited."""

    shift: Shift
    invited: list[Person]
    leaders: list[Person]


async def open_call(
    session: AsyncSession,
    *,
    leader: Person | None,
    building_id: int,
    chat_id: int,
    spec: ShiftSpec,
    now: datetime,
    rules: RestRules,
    tz: ZoneInfo,
    reachable: Reachable,
) -> CallOpened:
    """A leader's urgent call: the shift now, and an invitation to each available volunteer."""
    (shift,) = await post_shifts(
        session, leader=leader, building_id=building_id, chat_id=chat_id, spec=spec, now=now
    )
    session.add(ShiftCall(shift_id=shift.id, created_at=now))
    assert leader is not None  # post_shifts required a leader
    invited = await _invite(
        session,
        shift,
        await _volunteers(session, building_id=building_id),
        wave=1,
        now=now,
        rules=rules,
        tz=tz,
        reachable=reachable,
        besides={leader.id},
    )
    return CallOpened(shift, invited)


async def is_call(session: AsyncSession, shift_id: int) -> bool:
    """True if the shift was posted as an urgent call (its card carries the marker)."""
    return await session.get(ShiftCall, shift_id) is not None


async def invite_of(session: AsyncSession, shift_id: int, person_id: int) -> CallInvite | None:
    """The person's invitation to a call, if they had one."""
    return await session.scalar(
        select(CallInvite).where(CallInvite.shift_id == shift_id, CallInvite.person_id == person_id)
    )


async def invitees(session: AsyncSession, shift_id: int) -> list[Person]:
    """Everyone invited to a call, in the order they were asked."""
    rows = await session.scalars(
        select(Person)
        .join(CallInvite, CallInvite.person_id == Person.id)
        .where(CallInvite.shift_id == shift_id)
        .order_by(CallInvite.id)
    )
    return list(rows)


async def answer_call(
    session: AsyncSession,
    *,
    shift_id: int,
    volunteer: Person | None,
    now: datetime,
    rules: RestRules,
    tz: ZoneInfo,
) -> CallAnswer:
    """[I'm coming]: take a slot if one is left and the rules allow; the answer is recorded."""
    shift = await load_shift(session, shift_id)
    invite = await invite_of(session, shift.id, volunteer.id) if volunteer else None
    if invite is None:
        raise NotInvited(ref=shift.ref)
    if invite.outcome == ASSIGNED:
        return CallAnswer(shift, assigned=True)
    invite.answered_at = invite.answered_at or now
    # Each refusal caught here is raised by claim_slot before it writes anything, so keeping
    # the answer (the volunteer did respond) cannot keep half a claim with it.
    try:
        shift = await claim_slot(
            session, shift_id=shift.id, volunteer=volunteer, now=now, rules=rules, tz=tz
        )
    except (ShiftFull, ShiftStarted):
        invite.outcome = TOO_LATE
        return CallAnswer(shift, assigned=False)
    except (ShiftRuleBroken, NotAVolunteer) as refused:
        invite.outcome = REFUSED
        return CallAnswer(shift, assigned=False, refused=refused)
    invite.outcome = ASSIGNED
    return CallAnswer(shift, assigned=True)


async def due_widenings(
    session: AsyncSession, now: datetime, *, rules: RestRules, tz: ZoneInfo, reachable: Reachable
) -> list[Widening]:
    """Calls unfilled ten minutes on: each widens once, to the community's other volunteers."""
    due = await session.scalars(
        select(ShiftCall.shift_id).where(
            ShiftCall.widened_at.is_(None), ShiftCall.created_at <= now - WIDEN_AFTER
        )
    )
    found: list[Widening] = []
    for shift_id in list(due):
        # The conditional update is the claim: with several replicas only one widens a call.
        taken = await session.execute(
            update(ShiftCall)
            .where(ShiftCall.shift_id == shift_id, ShiftCall.widened_at.is_(None))
            .values(widened_at=now)
            .execution_options(synchronize_session=False)
        )
        if not taken.rowcount:
            continue
        shift = await load_shift(session, shift_id)
        if shift.cancelled_at is not None or shift.ends_at <= now or shift.filled >= shift.people:
            continue  # the step is taken all the same: a filled call never widens later
        building = await session.get(Building, shift.building_id)
        assert building is not None
        already = {p.id for p in await invitees(session, shift.id)}
        invited = await _invite(
            session,
            shift,
            await _volunteers(session, community_id=building.community_id),
            wave=2,
            now=now,
            rules=rules,
            tz=tz,
            reachable=reachable,
            besides=already | ({shift.created_by} if shift.created_by else set()),
        )
        found.append(Widening(shift, invited, await leaders_of(session, shift.building_id)))
    return found


async def _volunteers(
    session: AsyncSession, *, building_id: int | None = None, community_id: int | None = None
) -> list[Person]:
    """Volunteers living in the building (or anywhere in the community) who are not resting."""
    query = (
        select(Person)
        .join(Household, Household.id == Person.household_id)
        .join(Building, Building.id == Household.building_id)
        .where(Person.is_volunteer.is_(True), Person.available.is_(True))
        .order_by(Person.id)
    )
    if building_id is not None:
        query = query.where(Household.building_id == building_id)
    if community_id is not None:
        query = query.where(Building.community_id == community_id)
    return list(await session.scalars(query))


async def _invite(
    session: AsyncSession,
    shift: Shift,
    volunteers: list[Person],
    *,
    wave: int,
    now: datetime,
    rules: RestRules,
    tz: ZoneInfo,
    reachable: Reachable,
    besides: set[int],
) -> list[Person]:
    """Invite those the rules allow on this shift (not busy then, skilled, rested)."""
    invited: list[Person] = []
    for person in volunteers:
        if person.id in besides or not reachable(person):
            continue
        broken = check_claim(
            await stints_of(session, person.id),
            shift.stint,
            rules,
            tz,
            required_skill=shift.skill,
            skills=person.skills or (),
        )
        if broken is not None:
            continue
        session.add(CallInvite(shift_id=shift.id, person_id=person.id, wave=wave, invited_at=now))
        invited.append(person)
    await session.flush()
    return invited
