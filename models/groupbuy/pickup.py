"""Arrival and pickup: 6-digit codes for households, handing goods out at the gate."""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import String, cast, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.errors import (
    AlreadyPickedUp,
    NotArrivedYet,
    NotGatekeeper,
    TooManyGuesses,
    WhichGroupBuy,
)
from models.groupbuy.board import Board, OrderLine, board_of, line_of_order, members_of
from models.groupbuy.lifecycle import audit, require_gatekeeper, require_organiser
from models.groupbuy.tables import (
    ARRIVED,
    CODE_HIGH,
    CODE_LOW,
    PICKUP_GRACE,
    PICKUP_TASK,
    PICKUP_TRIES,
    PICKUP_TRY_WINDOW,
    GroupBuy,
    GroupBuyLine,
    GroupBuyOrder,
    PickupTry,
    may,
)
from models.people import (
    Household,
    Person,
    building_of_chat,
    is_leader,
    led_buildings,
    require_registered,
)
from models.tasks import DONE, Task, close_task, open_task


async def mark_arrived(
    session: AsyncSession,
    groupbuy: GroupBuy,
    *,
    actor: Person | None,
    now: datetime,
) -> list[tuple[Person, str]]:
    """Goods are here: give every order a pickup code; returns (member, code) to notify."""
    await require_organiser(session, groupbuy, actor)
    if not may(groupbuy, "arrive"):
        raise NotArrivedYet(title=groupbuy.title)
    # Households that only wait for stock have nothing to collect, so they get no code.
    with_goods = select(GroupBuyLine.order_id).where(GroupBuyLine.quantity > 0)
    orders = list(
        await session.scalars(
            select(GroupBuyOrder)
            .where(GroupBuyOrder.groupbuy_id == groupbuy.id, GroupBuyOrder.id.in_(with_goods))
            .order_by(GroupBuyOrder.id)
        )
    )
    if groupbuy.arrived_at is None:
        groupbuy.status, groupbuy.arrived_at = ARRIVED, now
        # Always six digits: with a guess limit per person, 900,000 codes make guessing hopeless.
        codes = secrets.SystemRandom().sample(range(CODE_LOW, CODE_HIGH), len(orders))
        for order, code in zip(orders, codes, strict=True):
            order.pickup_code = str(code)
        audit(session, actor, "arrived", groupbuy, now)
        await session.flush()
    return await pickup_codes(session, groupbuy)


async def pickup_codes(session: AsyncSession, groupbuy: GroupBuy) -> list[tuple[Person, str]]:
    """Each household member with their household's pickup code (members only, never others)."""
    coded = dict(
        (
            await session.execute(
                select(GroupBuyOrder.household_id, GroupBuyOrder.pickup_code).where(
                    GroupBuyOrder.groupbuy_id == groupbuy.id,
                    GroupBuyOrder.pickup_code.is_not(None),
                )
            )
        ).all()
    )
    return [
        (person, coded[person.household_id])
        for person in await members_of(session, coded)
        if person.household_id is not None
    ]


async def arrival_report(
    session: AsyncSession, groupbuy: GroupBuy, *, actor: Person | None, is_chat_admin: bool = False
) -> tuple[Board, list[tuple[Person, str]]]:
    """For the organiser: the board and who holds which pickup code (to see who was reached)."""
    await require_organiser(session, groupbuy, actor)
    if groupbuy.arrived_at is None:
        raise NotArrivedYet(title=groupbuy.title)
    return await board_of(session, groupbuy), await pickup_codes(session, groupbuy)


@dataclass(frozen=True, slots=True)
class Pickup:
    """What a pickup code found: the buy and the collected line, or nothing (a counted guess)."""

    groupbuy: GroupBuy | None
    line: OrderLine | None


async def pick_up(
    session: AsyncSession,
    *,
    chat_id: int | None,
    code_text: str,
    actor: Person | None,
    now: datetime,
) -> Pickup:
    """Mark the order with this pickup code collected (`482193`, or `12-482193` to name the buy).

    Only gatekeepers may try, and each wrong code counts against the actor's guess limit; a
    wrong code is returned (not raised) so that the count survives the unit of work.
    """
    await _require_some_gatekeeping(session, actor, chat_id)
    await require_guesses_left(session, actor, now)
    ref, _, code = code_text.strip().rpartition("-")
    query = (
        select(GroupBuyOrder, GroupBuy)
        .join(GroupBuy, GroupBuy.id == GroupBuyOrder.groupbuy_id)
        .where(GroupBuyOrder.pickup_code == code, GroupBuy.arrived_at.is_not(None))
    )
    if ref.isdigit():
        query = query.where(GroupBuy.id == int(ref))
    if chat_id is not None:
        query = query.where(GroupBuy.chat_id == chat_id)
    found = (await session.execute(query)).all() if code.isdigit() else []
    if not found:
        _record_wrong_guess(session, actor, now)
        return Pickup(None, None)
    if len(found) > 1:
        raise WhichGroupBuy(choices=[(g.id, g.title) for _, g in found])
    order, groupbuy = found[0]
    await require_gatekeeper(session, groupbuy, actor)
    household = await session.get(Household, order.household_id)
    if order.picked_up_at is not None:
        raise AlreadyPickedUp(code=code, room=household.label if household else "")
    order.picked_up_at = now
    task = await session.scalar(
        select(Task).where(Task.kind == PICKUP_TASK, Task.source_ref == f"gbo:{order.id}")
    )
    if task is not None and task.status != DONE:
        await close_task(session, task.id, now)
    audit(session, actor, "picked_up", groupbuy, now, {"order_id": order.id})
    await session.flush()
    return Pickup(groupbuy, await line_of_order(session, groupbuy, order.id))


async def household_pickup(
    session: AsyncSession, *, person: Person | None, ref: str, now: datetime
) -> tuple[Board, OrderLine | None] | None:
    """A member's own order and pickup code (the arrival notice's link); None: a counted guess."""
    await require_guesses_left(session, person, now)
    groupbuy = await session.get(GroupBuy, int(ref)) if ref.isdigit() and len(ref) < 16 else None
    member = require_registered(person, groupbuy.building_id if groupbuy else None)
    household = await session.get(Household, member.household_id)
    if groupbuy is None or household is None or household.building_id != groupbuy.building_id:
        _record_wrong_guess(session, person, now)
        return None
    if member not in await members_of(session, [household.id]):
        return None
    board = await board_of(session, groupbuy)
    return board, board.line_of(household.id)


async def _require_some_gatekeeping(
    session: AsyncSession, actor: Person | None, chat_id: int | None
) -> None:
    """Before a code is looked up: whoever tries must hand goods out here (in a group) or somewhere.

    Checked first so that a resident cannot tell a valid code (refused) from a wrong one.
    """
    if actor is not None and actor.is_volunteer:
        return
    if actor is None:
        raise NotGatekeeper()
    if chat_id is not None:
        building = await building_of_chat(session, chat_id)
        if building is not None and await is_leader(session, actor.id, building.id):
            return
    elif await led_buildings(session, actor.id):
        return
    raise NotGatekeeper()


async def require_guesses_left(session: AsyncSession, actor: Person | None, now: datetime) -> None:
    """Raise TooManyGuesses if the actor made PICKUP_TRIES wrong guesses within the window."""
    if actor is None or actor.id is None:
        return
    since = now - PICKUP_TRY_WINDOW
    recent = list(
        await session.scalars(
            select(PickupTry.tried_at)
            .where(PickupTry.person_id == actor.id, PickupTry.tried_at > since)
            .order_by(PickupTry.tried_at)
        )
    )
    if len(recent) < PICKUP_TRIES:
        return
    # Guessing may resume once enough of the window's guesses have aged out of it.
    free_at = recent[len(recent) - PICKUP_TRIES] + PICKUP_TRY_WINDOW
    raise TooManyGuesses(minutes=max(1, math.ceil((free_at - now).total_seconds() / 60)))


def _record_wrong_guess(session: AsyncSession, actor: Person | None, now: datetime) -> None:
    if actor is not None and actor.id is not None:
        session.add(PickupTry(person_id=actor.id, tried_at=now))


async def open_uncollected_tasks(session: AsyncSession, now: datetime) -> None:
    """Uncollected pickups past their time become tasks on the shared board (once each).

    Runs on every tick, so the query itself skips orders within their grace time and orders
    that already have their task: the work per tick stays proportional to what is new.
    """
    due = now - PICKUP_GRACE
    has_task = (
        select(Task.id)
        .where(
            Task.kind == PICKUP_TASK,
            Task.source_ref == literal("gbo:") + cast(GroupBuyOrder.id, String),
        )
        .exists()
    )
    rows = await session.execute(
        select(GroupBuyOrder.id, GroupBuyOrder.household_id, GroupBuy.id, GroupBuy.building_id)
        .join(GroupBuy, GroupBuy.id == GroupBuyOrder.groupbuy_id)
        .where(
            GroupBuy.arrived_at <= due,
            or_(GroupBuy.pickup_at.is_(None), GroupBuy.pickup_at <= due),
            GroupBuyOrder.pickup_code.is_not(None),
            GroupBuyOrder.picked_up_at.is_(None),
            ~has_task,
        )
    )
    for order_id, household_id, groupbuy_id, building_id in rows:
        await open_task(
            session,
            kind=PICKUP_TASK,
            source_ref=f"gbo:{order_id}",
            now=now,
            building_id=building_id,
            details={"groupbuy_id": groupbuy_id, "household_id": household_id},
        )
