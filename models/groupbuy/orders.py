"""The sign-up hot path: one order per household, stock by conditional UPDATE, waitlist.

Stock is a counter in the database: every reservation is a conditional UPDATE, so concurrent
sign-ups can never oversell; what does not fit goes to a first-come waitlist that is promoted,
in order, whenever units are released.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from sqlalchemy import (
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from models.base import insert_ignoring_duplicates
from models.errors import (
    BadQuantity,
    GroupBuyFinished,
    NotYourRoom,
    OtherBuilding,
    OverLimit,
    UnknownItem,
)
from models.groupbuy.board import (
    OrderChange,
    Promotion,
    building_name,
    groupbuy_with_items,
    items_by_code,
    members_of,
)
from models.groupbuy.tables import (
    GroupBuy,
    GroupBuyItem,
    GroupBuyLine,
    GroupBuyOrder,
    GroupBuyWait,
)
from models.groupbuy_spec import MAX_ORDER_QUANTITY, parse_order, split_room
from models.people import (
    Household,
    Person,
    parse_room,
    require_registered,
)

# -- orders -----------------------------------------------------------------------------------


async def change_order(
    session: AsyncSession,
    *,
    groupbuy_id: int,
    household_id: int,
    quantities: Mapping[str, int],
    mode: Literal["set", "add"],
    now: datetime,
) -> OrderChange:
    """Set (or add to) a household's quantities; stock first-come, overflow to the waitlist.

    This is the sign-up hot path (a thousand taps in seconds), so it keeps to a handful of
    statements: the buy with its items, an upsert of the order, its lines, the stock updates.
    """
    groupbuy, items = await _groupbuy_for_orders(session, groupbuy_id, household_id, now)
    for code in quantities:
        if code not in items:
            raise UnknownItem(code=code, codes=list(items))
    await _lock_stock(session, [items[code] for code in quantities])
    order_id, new = await _touch_order(session, groupbuy_id, household_id, now)
    lines = {} if new else await _lines_of(session, order_id)
    change = OrderChange(groupbuy, household_id)
    change.had_order = any(line.quantity or line.waitlisted for line in lines.values())
    shrank = False
    for code, amount in quantities.items():
        item = items[code]
        line = lines.setdefault(item.id, _Line(None, item.id, 0, 0, None))
        current = line.quantity + line.waitlisted
        wanted = amount if mode == "set" else max(0, current + amount)
        if wanted < 0 or wanted > MAX_ORDER_QUANTITY:
            raise BadQuantity(text=f"{code}{wanted}")
        if item.max_per_household is not None and wanted > item.max_per_household:
            raise OverLimit(code=code, limit=item.max_per_household)
        if wanted > current:
            granted = await _reserve(session, item, wanted - current)
            line.quantity += granted
            extra = wanted - current - granted
            if extra:
                line.waitlisted_at = line.waitlisted_at or now
                line.waitlisted += extra
            await _save_line(session, order_id, line)
            if extra:
                await _queue(session, line, extra, now)
        elif wanted < current:
            shrank = True
            released = current - wanted
            from_waitlist = min(line.waitlisted, released)
            line.waitlisted -= from_waitlist
            if from_waitlist:
                await _unqueue(session, line, from_waitlist)
            from_stock = released - from_waitlist
            line.quantity -= from_stock
            if not line.waitlisted:
                line.waitlisted_at = None
            await _save_line(session, order_id, line)
            if from_stock and item.stock is not None:
                await _release(session, item, from_stock)
                change.promotions += await _promote(session, item, now)
    if shrank or not any(line.quantity or line.waitlisted for line in lines.values()):
        # Nothing left (or nothing ordered, as in `A0` from a newcomer): leave the 接龙.
        await _drop_if_empty(session, order_id)
    by_id = {item.id: item for item in items.values()}
    for line in lines.values():
        item = by_id[line.item_id]
        if line.quantity:
            change.quantities[item.code] = line.quantity
            change.amount_cents += line.quantity * item.price_cents
        if line.waitlisted:
            change.waitlisted[item.code] = line.waitlisted
    return change


@dataclass(frozen=True, slots=True)
class SignUp:
    """What a sign-up did, with everything a handler needs to answer it.

    `promoted` are the members of households that moved up the waitlist because of it, with
    the (item code, units) they now have.
    """

    change: OrderChange
    promoted: list[tuple[Person, list[tuple[str, int]]]] = field(default_factory=list)


async def sign_up(
    session: AsyncSession,
    *,
    person: Person | None,
    groupbuy: GroupBuy,
    text: str | None = None,
    quantities: Mapping[str, int] | None = None,
    mode: Literal["set", "add"] = "set",
    now: datetime,
) -> SignUp:
    """A resident's order: a 接龙 line (`A2 B1`, `1-506 A2`), or a +1/−1 tap's `quantities`.

    The person must be an approved member of a household of the buy's building; a line that
    names a room must name their own.
    """
    member = require_registered(person, groupbuy.building_id)
    assert member.household_id is not None
    if text is not None:
        room, order_text = split_room(text)
        if room is not None:
            await require_own_room(session, member.household_id, room)
        codes = list(await items_by_code(session, groupbuy.id))
        request = parse_order(order_text, item_codes=codes)
        quantities, mode = request.quantities, request.mode
    change = await change_order(
        session,
        groupbuy_id=groupbuy.id,
        household_id=member.household_id,
        quantities=quantities or {},
        mode=mode,
        now=now,
    )
    return SignUp(change, await promoted_members(session, change))


async def withdraw(
    session: AsyncSession, *, person: Person | None, groupbuy: GroupBuy, now: datetime
) -> SignUp:
    """A resident takes their household's order back (its units go to the waitlist)."""
    member = require_registered(person, groupbuy.building_id)
    assert member.household_id is not None
    change = await cancel_order(
        session, groupbuy_id=groupbuy.id, household_id=member.household_id, now=now
    )
    return SignUp(change, await promoted_members(session, change))


async def promoted_members(
    session: AsyncSession, change: OrderChange
) -> list[tuple[Person, list[tuple[str, int]]]]:
    """Members of the households a change promoted off the waitlist, with what they got."""
    by_household: dict[int, list[tuple[str, int]]] = {}
    for promotion in change.promotions:
        by_household.setdefault(promotion.household_id, []).append(
            (promotion.code, promotion.units)
        )
    return [
        (member, by_household[member.household_id])
        for member in await members_of(session, by_household)
        if member.household_id is not None
    ]


async def require_own_room(session: AsyncSession, household_id: int, room_text: str) -> None:
    """A 接龙 line written room first (`1-506 A2`) must name the sender's own household."""
    room = parse_room(room_text)
    household = await session.get(Household, household_id)
    own = household is not None and room.number == household.room
    if own and room.unit is not None and household is not None:
        own = str(room.unit) == household.unit
    if not own:
        raise NotYourRoom(room=room.label, own=household.label if household else "")


async def cancel_order(
    session: AsyncSession, *, groupbuy_id: int, household_id: int, now: datetime
) -> OrderChange:
    """A household withdraws its whole order; its stock goes to the waitlist."""
    items = await items_by_code(session, groupbuy_id)
    return await change_order(
        session,
        groupbuy_id=groupbuy_id,
        household_id=household_id,
        quantities={code: 0 for code in items},
        mode="set",
        now=now,
    )


async def _groupbuy_for_orders(
    session: AsyncSession, groupbuy_id: int, household_id: int, now: datetime
) -> tuple[GroupBuy, dict[str, GroupBuyItem]]:
    """The group-buy and its items; refused unless it takes this household now."""
    groupbuy, items = await groupbuy_with_items(session, groupbuy_id)
    # Usually no SQL: find_person loaded the sender's household along with them.
    home = await session.get(Household, household_id)
    if home is None or home.building_id != groupbuy.building_id:
        # A group-buy is for one building's households; a guest in the group may not join it.
        raise OtherBuilding(building=await building_name(session, groupbuy))
    if not groupbuy.accepts_orders(now):
        raise GroupBuyFinished(title=groupbuy.title)
    return groupbuy, items


async def _lock_stock(session: AsyncSession, items: list[GroupBuyItem]) -> None:
    """On PostgreSQL, lock the stocked items up front and in id order.

    A sign-up touching A and B while another touches B and A, or a release that promotes
    waiting households while one of them lowers its own order, would otherwise take the same
    locks in opposite orders and deadlock. (SQLite runs one writer at a time anyway.)
    """
    stocked = sorted(item.id for item in items if item.stock is not None)
    if stocked and session.get_bind().dialect.name == "postgresql":
        await session.execute(
            select(GroupBuyItem.id)
            .where(GroupBuyItem.id.in_(stocked))
            .order_by(GroupBuyItem.id)
            .with_for_update()
        )


async def _touch_order(
    session: AsyncSession, groupbuy_id: int, household_id: int, now: datetime
) -> tuple[int, bool]:
    """The household's order id, created on its first sign-up; and whether it is new.

    A first sign-up (most taps of a burst) costs one INSERT, and has no lines to read. An
    existing order is touched with an UPDATE, which also locks it until commit, so two members
    of one household tapping at the same moment take turns instead of both editing the same
    starting quantities.
    """
    new = await session.scalar(
        insert_ignoring_duplicates(session, GroupBuyOrder)
        .values(groupbuy_id=groupbuy_id, household_id=household_id, created_at=now, updated_at=now)
        .returning(GroupBuyOrder.id)
    )
    if new is not None:
        return int(new), True
    order_id = await session.scalar(
        update(GroupBuyOrder)
        .where(GroupBuyOrder.groupbuy_id == groupbuy_id, GroupBuyOrder.household_id == household_id)
        .values(updated_at=now)
        .returning(GroupBuyOrder.id)
        .execution_options(synchronize_session=False)
    )
    if order_id is None:
        # Withdrawn (deleted) between the two statements by another member: start it again.
        return await _touch_order(session, groupbuy_id, household_id, now)
    return int(order_id), False


@dataclass(slots=True)
class _Line:
    """One order line as plain values: the hot path writes it with Core, not the ORM."""

    id: int | None
    item_id: int
    quantity: int
    waitlisted: int
    waitlisted_at: datetime | None


async def _lines_of(session: AsyncSession, order_id: int) -> dict[int, _Line]:
    table = GroupBuyLine.__table__
    rows = await session.execute(
        select(
            table.c.id, table.c.item_id, table.c.quantity, table.c.waitlisted, table.c.waitlisted_at
        ).where(table.c.order_id == order_id)
    )
    return {row.item_id: _Line(*row) for row in rows}


async def _save_line(session: AsyncSession, order_id: int, line: _Line) -> None:
    table = GroupBuyLine.__table__
    values = {
        "quantity": line.quantity,
        "waitlisted": line.waitlisted,
        "waitlisted_at": line.waitlisted_at,
    }
    if line.id is None:
        line.id = await session.scalar(
            insert(table)
            .values(order_id=order_id, item_id=line.item_id, **values)
            .returning(table.c.id)
        )
    else:
        await session.execute(update(table).where(table.c.id == line.id).values(**values))


async def _drop_if_empty(session: AsyncSession, order_id: int) -> None:
    """An order with nothing left leaves the 接龙 (later sign-ups move up a number)."""
    await session.execute(
        delete(GroupBuyLine)
        .where(
            GroupBuyLine.order_id == order_id,
            GroupBuyLine.quantity == 0,
            GroupBuyLine.waitlisted == 0,
        )
        .execution_options(synchronize_session=False)
    )
    left = await session.scalar(
        select(func.count(GroupBuyLine.id)).where(GroupBuyLine.order_id == order_id)
    )
    if not left:
        await session.execute(
            delete(GroupBuyOrder)
            .where(GroupBuyOrder.id == order_id)
            .execution_options(synchronize_session=False)
        )


async def _reserve(session: AsyncSession, item: GroupBuyItem, wanted: int) -> int:
    """Take up to `wanted` units from stock; returns how many were granted.

    Each step is a conditional UPDATE, so concurrent transactions can only ever take what is
    really left (PostgreSQL re-checks the WHERE after waiting for a row lock; SQLite writers
    are serialised).
    """
    if item.stock is None:
        return wanted
    table = GroupBuyItem.__table__
    for _ in range(8):
        taken = await session.execute(
            update(table)
            .where(table.c.id == item.id, table.c.remaining >= wanted)
            .values(remaining=table.c.remaining - wanted)
        )
        if taken.rowcount:
            return wanted
        left = await session.scalar(select(table.c.remaining).where(table.c.id == item.id))
        if not left:
            return 0
        rest = await session.execute(
            update(table)
            .where(table.c.id == item.id, table.c.remaining == left)
            .values(remaining=0)
        )
        if rest.rowcount:
            return int(left)
    return 0


async def _release(session: AsyncSession, item: GroupBuyItem, units: int) -> None:
    table = GroupBuyItem.__table__
    await session.execute(
        update(table).where(table.c.id == item.id).values(remaining=table.c.remaining + units)
    )


async def _queue(session: AsyncSession, line: _Line, units: int, now: datetime) -> None:
    """Units that did not fit join the end of the item's waitlist, whoever asks for them."""
    assert line.id is not None
    await session.execute(insert(GroupBuyWait).values(line_id=line.id, units=units, since=now))


async def _unqueue(session: AsyncSession, line: _Line, units: int) -> None:
    """A household asking for less gives up its latest places first (keeping its earliest)."""
    waits = await session.execute(
        select(GroupBuyWait.id, GroupBuyWait.units)
        .where(GroupBuyWait.line_id == line.id)
        .order_by(GroupBuyWait.since.desc(), GroupBuyWait.id.desc())
    )
    for wait_id, waiting in waits.all():
        if units <= 0:
            break
        taken = min(units, waiting)
        units -= taken
        if taken == waiting:
            await session.execute(delete(GroupBuyWait).where(GroupBuyWait.id == wait_id))
        else:
            await session.execute(
                update(GroupBuyWait)
                .where(GroupBuyWait.id == wait_id)
                .values(units=GroupBuyWait.units - taken)
            )


async def _promote(session: AsyncSession, item: GroupBuyItem, now: datetime) -> list[Promotion]:
    """Give released stock to the waitlist, first come first served (place by place)."""
    granted_to: dict[int, int] = {}
    waiting = await session.execute(
        select(GroupBuyWait, GroupBuyLine, GroupBuyOrder.household_id)
        .join(GroupBuyLine, GroupBuyLine.id == GroupBuyWait.line_id)
        .join(GroupBuyOrder, GroupBuyOrder.id == GroupBuyLine.order_id)
        .where(GroupBuyLine.item_id == item.id)
        .order_by(GroupBuyWait.since, GroupBuyWait.id)
        .with_for_update(of=GroupBuyLine)
    )
    for wait, line, household_id in waiting:
        granted = await _reserve(session, item, wait.units)
        if not granted:
            break
        line.quantity += granted
        line.waitlisted -= granted
        if not line.waitlisted:
            line.waitlisted_at = None
        wait.units -= granted
        if not wait.units:
            await session.delete(wait)
        granted_to[household_id] = granted_to.get(household_id, 0) + granted
    await session.flush()
    return [Promotion(household, item.code, units) for household, units in granted_to.items()]
