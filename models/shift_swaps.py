"""Swaps (换班): a volunteer offers their slot; the first eligible taker gets it.

The offer is one message in the shift's group with a button, not private invitations: whoever
can come is most likely reading the building's group, and the rules are judged at the tap
(rest rules, skill) — the moment that counts, since rosters change between offer and answer.
Taking moves the offerer's assignment to the taker in one conditional update, so two takers
cannot both get it and the shift's count never changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, ForeignKey, Integer, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base
from models.errors import (
    AlreadyOnShift,
    NotAVolunteer,
    NotOnShift,
    OwnSwap,
    ShiftRuleBroken,
    ShiftStarted,
    SwapClosed,
)
from models.people import Person
from models.rest_rules import RestRules, check_claim
from models.shifts import Shift, ShiftAssignment, load_shift, stints_of

IntPK = BigInteger().with_variant(Integer, "sqlite")


class ShiftSwap(Base):
    """A slot offered by its volunteer, and who took it over."""

    __tablename__ = "shift_swaps"

    id: Mapped[int] = mapped_column(IntPK, primary_key=True)
    shift_id: Mapped[int] = mapped_column(ForeignKey("shifts.id", ondelete="CASCADE"), index=True)
    offered_by: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    offered_at: Mapped[datetime]
    taken_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"))
    taken_at: Mapped[datetime | None]


@dataclass(frozen=True, slots=True)
class SwapState:
    """A swap as its group message shows it."""

    swap: ShiftSwap
    shift: Shift
    offerer: Person | None
    taker: Person | None
    is_open: bool


async def offer_swap(
    session: AsyncSession, *, shift_id: int, volunteer: Person | None, now: datetime
) -> ShiftSwap:
    """Offer one's slot on a shift that has not started; asking again repeats the open offer."""
    shift = await load_shift(session, shift_id)
    if volunteer is None or not await _on_shift(session, shift.id, volunteer.id):
        raise NotOnShift(ref=shift.ref)
    if shift.cancelled_at is not None or shift.starts_at <= now:
        raise ShiftStarted(ref=shift.ref)
    open_offer = await session.scalar(
        select(ShiftSwap).where(
            ShiftSwap.shift_id == shift.id,
            ShiftSwap.offered_by == volunteer.id,
            ShiftSwap.taken_by.is_(None),
        )
    )
    if open_offer is not None:
        return open_offer
    swap = ShiftSwap(shift_id=shift.id, offered_by=volunteer.id, offered_at=now)
    session.add(swap)
    await session.flush()
    return swap


async def take_swap(
    session: AsyncSession,
    *,
    swap_id: int,
    taker: Person | None,
    now: datetime,
    rules: RestRules,
    tz: ZoneInfo,
) -> SwapState:
    """Take over an offered slot: a volunteer within the rest rules; the offerer is released."""
    state = await swap_state(session, swap_id, now)
    swap, shift = state.swap, state.shift
    if taker is None or not taker.is_volunteer:
        raise NotAVolunteer()
    if taker.id == swap.offered_by:
        raise OwnSwap(ref=shift.ref)
    if not state.is_open:
        raise SwapClosed(ref=shift.ref)
    if await _on_shift(session, shift.id, taker.id):
        raise AlreadyOnShift(ref=shift.ref)
    broken = check_claim(
        await stints_of(session, taker.id),
        shift.stint,
        rules,
        tz,
        required_skill=shift.skill,
        skills=taker.skills or (),
    )
    if broken is not None:
        raise ShiftRuleBroken(ref=shift.ref, violation=broken)
    # First taker wins: the offer closes only if nobody closed it first.
    closed = await session.execute(
        update(ShiftSwap)
        .where(ShiftSwap.id == swap.id, ShiftSwap.taken_by.is_(None))
        .values(taken_by=taker.id, taken_at=now)
        .execution_options(synchronize_session=False)
    )
    if not closed.rowcount:
        raise SwapClosed(ref=shift.ref)
    moved = await session.execute(
        update(ShiftAssignment)
        .where(ShiftAssignment.shift_id == shift.id, ShiftAssignment.person_id == swap.offered_by)
        .values(person_id=taker.id, assigned_at=now, checked_in_at=None, checked_out_at=None)
        .execution_options(synchronize_session=False)
    )
    if not moved.rowcount:
        raise SwapClosed(ref=shift.ref)  # the offerer dropped meanwhile; the rollback undoes all
    await session.refresh(swap)
    return await swap_state(session, swap.id, now)


async def swap_state(session: AsyncSession, swap_id: int, now: datetime) -> SwapState:
    """The swap, its shift and people; open while untaken, the offerer on it, not started."""
    swap = await session.get(ShiftSwap, swap_id)
    if swap is None:
        raise SwapClosed(ref=f"#{swap_id}")
    shift = await load_shift(session, swap.shift_id)
    offerer = await session.get(Person, swap.offered_by)
    taker = await session.get(Person, swap.taken_by) if swap.taken_by else None
    is_open = (
        swap.taken_by is None
        and shift.cancelled_at is None
        and shift.starts_at > now
        and await _on_shift(session, shift.id, swap.offered_by)
    )
    return SwapState(swap, shift, offerer, taker, is_open)


async def _on_shift(session: AsyncSession, shift_id: int, person_id: int) -> bool:
    found = await session.scalar(
        select(ShiftAssignment.id).where(
            ShiftAssignment.shift_id == shift_id, ShiftAssignment.person_id == person_id
        )
    )
    return found is not None
