"""Reading a group-buy: the board of items and numbered 接龙 lines, members, names."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.base import memo
from models.errors import (
    GroupBuyNotFound,
    NoOrderForRoom,
)
from models.groupbuy.tables import GroupBuy, GroupBuyItem, GroupBuyLine, GroupBuyOrder
from models.people import (
    Building,
    Household,
    Person,
    Room,
    parse_room,
)

# -- value objects handed to handlers ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ItemTotal:
    """An item with what has been ordered of it so far."""

    code: str
    name: str
    price_cents: int
    max_per_household: int | None
    stock: int | None
    remaining: int | None
    units: int
    waitlisted: int

    @property
    def amount_cents(self) -> int:
        """Confirmed units times price."""
        return self.units * self.price_cents


@dataclass(slots=True)
class OrderLine:
    """One household's 接龙 line."""

    seq: int
    order_id: int
    household_id: int
    room: str
    unit: str
    floor: int
    quantities: dict[str, int]
    waitlisted: dict[str, int]
    amount_cents: int
    paid: bool
    pickup_code: str | None
    picked_up: bool


@dataclass(frozen=True, slots=True)
class Board:
    """Everything the card, the summary and the exports show about one group-buy."""

    groupbuy: GroupBuy
    items: list[ItemTotal]
    lines: list[OrderLine]

    @property
    def households(self) -> int:
        """Households with an order."""
        return len(self.lines)

    @property
    def units(self) -> int:
        """Confirmed units over all items (what 成团 counts)."""
        return sum(i.units for i in self.items)

    @property
    def amount_cents(self) -> int:
        """The supplier total."""
        return sum(i.amount_cents for i in self.items)

    @property
    def min_met(self) -> bool:
        """True unless a minimum is set and not reached."""
        return self.groupbuy.min_units is None or self.units >= self.groupbuy.min_units

    def line_of(self, household_id: int) -> OrderLine | None:
        """A household's line, if it ordered."""
        return next((line for line in self.lines if line.household_id == household_id), None)

    def distribution(self) -> list[OrderLine]:
        """Lines in walking order for the pick list: unit, floor, room."""
        return sorted(self.lines, key=lambda line: (line.unit.zfill(3), line.floor, line.room))

    @property
    def unpaid(self) -> list[OrderLine]:
        """Lines not yet paid, by room."""
        return [line for line in self.distribution() if not line.paid and line.amount_cents]

    @property
    def uncollected(self) -> list[OrderLine]:
        """Lines with a pickup code not yet collected, by room."""
        return [line for line in self.distribution() if line.pickup_code and not line.picked_up]


@dataclass(frozen=True, slots=True)
class Promotion:
    """Waitlisted units that became confirmed when stock was released."""

    household_id: int
    code: str
    units: int


@dataclass(slots=True)
class OrderChange:
    """What a sign-up did: the household's new line, and who moved up the waitlist."""

    groupbuy: GroupBuy
    household_id: int
    quantities: dict[str, int] = field(default_factory=dict)
    waitlisted: dict[str, int] = field(default_factory=dict)
    amount_cents: int = 0
    promotions: list[Promotion] = field(default_factory=list)
    # Whether the household was on the 接龙 before (`A0` from a newcomer changes nothing).
    had_order: bool = True


# -- reading ----------------------------------------------------------------------------------


async def board_of(session: AsyncSession, groupbuy: GroupBuy) -> Board:
    """The group-buy's items with totals and its numbered 接龙 lines."""
    items = list(
        await session.scalars(
            select(GroupBuyItem)
            .where(GroupBuyItem.groupbuy_id == groupbuy.id)
            .order_by(GroupBuyItem.position)
            .execution_options(populate_existing=True)
        )
    )
    lines = await _lines(session, groupbuy.id, items)
    units = dict.fromkeys((item.code for item in items), 0)
    waiting = dict(units)
    for line in lines:
        for code, quantity in line.quantities.items():
            units[code] += quantity
        for code, queued in line.waitlisted.items():
            waiting[code] += queued
    totals = [
        ItemTotal(
            code=item.code,
            name=item.name,
            price_cents=item.price_cents,
            max_per_household=item.max_per_household,
            stock=item.stock,
            remaining=item.remaining,
            units=units[item.code],
            waitlisted=waiting[item.code],
        )
        for item in items
    ]
    return Board(groupbuy, totals, lines)


async def line_of_order(session: AsyncSession, groupbuy: GroupBuy, order_id: int) -> OrderLine:
    """One order's numbered 接龙 line, without reading every other order of the buy."""
    items = list(
        await session.scalars(select(GroupBuyItem).where(GroupBuyItem.groupbuy_id == groupbuy.id))
    )
    (line,) = await _lines(session, groupbuy.id, items, order_id=order_id)
    return line


async def _lines(
    session: AsyncSession,
    groupbuy_id: int,
    items: list[GroupBuyItem],
    *,
    order_id: int | None = None,
) -> list[OrderLine]:
    """The buy's 接龙 lines in sign-up order (or just the line of `order_id`)."""
    code_of = {item.id: item.code for item in items}
    price_of = {item.id: item.price_cents for item in items}
    # Plain rows, not ORM objects: the card of a 1,000-household buy is rendered every few
    # seconds during a sign-up burst, and loading 3,000 objects each time would stall the bot.
    orders, households, order_lines = (
        GroupBuyOrder.__table__,
        Household.__table__,
        GroupBuyLine.__table__,
    )
    order, household, line_table = orders.c, households.c, order_lines.c
    query = (
        select(
            order.id,
            order.paid_at.is_not(None).label("paid"),
            order.pickup_code,
            order.picked_up_at.is_not(None).label("picked_up"),
            household.id.label("household_id"),
            household.unit,
            household.room,
            line_table.item_id,
            line_table.quantity,
            line_table.waitlisted,
        )
        .join(households, household.id == order.household_id)
        .join(order_lines, line_table.order_id == order.id)
        .where(order.groupbuy_id == groupbuy_id)
        .order_by(order.id, line_table.item_id)
    )
    first_seq = 1
    if order_id is not None:
        query = query.where(order.id == order_id)
        # A line's number is its place among the orders that have lines, as on the card.
        with_lines = select(line_table.order_id).where(line_table.order_id == order.id)
        first_seq += int(
            await session.scalar(
                select(func.count())
                .select_from(orders)
                .where(
                    order.groupbuy_id == groupbuy_id,
                    order.id < order_id,
                    with_lines.exists(),
                )
            )
            or 0
        )
    lines: dict[int, OrderLine] = {}
    for line in await session.execute(query):
        entry = lines.get(line.id)
        if entry is None:
            room = Room(int(line.unit) if line.unit else None, line.room)
            entry = lines[line.id] = OrderLine(
                seq=first_seq + len(lines),
                order_id=line.id,
                household_id=line.household_id,
                room=room.label,
                unit=line.unit,
                floor=room.floor,
                quantities={},
                waitlisted={},
                amount_cents=0,
                paid=bool(line.paid),
                pickup_code=line.pickup_code,
                picked_up=bool(line.picked_up),
            )
        code = code_of[line.item_id]
        if line.quantity:
            entry.quantities[code] = line.quantity
            entry.amount_cents += line.quantity * price_of[line.item_id]
        if line.waitlisted:
            entry.waitlisted[code] = line.waitlisted
    return list(lines.values())


async def item_codes(session: AsyncSession, groupbuy_id: int) -> list[str]:
    """The group-buy's item codes, in card order."""
    return list(await items_by_code(session, groupbuy_id))


async def order_line(session: AsyncSession, order_id: int) -> tuple[GroupBuy, OrderLine]:
    """A 接龙 line by order id (from a button)."""
    order = await session.get(GroupBuyOrder, order_id)
    groupbuy = await session.get(GroupBuy, order.groupbuy_id) if order else None
    if order is None or groupbuy is None:
        raise GroupBuyNotFound(ref=str(order_id))
    return groupbuy, await line_of_order(session, groupbuy, order.id)


async def participants(session: AsyncSession, groupbuy_id: int) -> list[Person]:
    """Members of every household with an order."""
    rows = await session.scalars(
        select(Person)
        .join(GroupBuyOrder, GroupBuyOrder.household_id == Person.household_id)
        .where(GroupBuyOrder.groupbuy_id == groupbuy_id)
        .order_by(Person.id)
    )
    return list(rows)


async def members_of(session: AsyncSession, household_ids: Iterable[int]) -> list[Person]:
    """The people registered in these households."""
    ids = list(set(household_ids))
    if not ids:
        return []
    rows = await session.scalars(
        select(Person).where(Person.household_id.in_(ids)).order_by(Person.id)
    )
    return list(rows)


async def household_names(
    session: AsyncSession, household_ids: Iterable[int]
) -> dict[int, list[str]]:
    """Members' names per household, in joining order (for the leader's private exports)."""
    names: dict[int, list[str]] = {}
    for person in await members_of(session, household_ids):
        assert person.household_id is not None
        names.setdefault(person.household_id, []).append(person.name)
    return names


async def building_name(session: AsyncSession, groupbuy: GroupBuy) -> str:
    """The name of the group-buy's building."""
    building = await session.get(Building, groupbuy.building_id)
    return building.name if building else ""


async def order_by_room(session: AsyncSession, groupbuy: GroupBuy, room_text: str) -> GroupBuyOrder:
    room = parse_room(room_text)
    order = await session.scalar(
        select(GroupBuyOrder)
        .join(Household, Household.id == GroupBuyOrder.household_id)
        .where(
            GroupBuyOrder.groupbuy_id == groupbuy.id,
            Household.unit == (str(room.unit) if room.unit else ""),
            Household.room == room.number,
        )
    )
    if order is None:
        raise NoOrderForRoom(room=room.label)
    return order


async def items_by_code(session: AsyncSession, groupbuy_id: int) -> dict[str, GroupBuyItem]:
    """A group-buy's items by code, in the order the leader listed them."""
    return (await groupbuy_with_items(session, groupbuy_id))[1]


async def groupbuy_with_items(
    session: AsyncSession, groupbuy_id: int
) -> tuple[GroupBuy, dict[str, GroupBuyItem]]:
    """A group-buy and its items by code: one query, the first time in a transaction."""
    loaded = memo(session)
    found = loaded.get(("groupbuy", groupbuy_id))
    if found is None:
        rows = (
            await session.execute(
                select(GroupBuy, GroupBuyItem)
                .outerjoin(GroupBuyItem, GroupBuyItem.groupbuy_id == GroupBuy.id)
                .where(GroupBuy.id == groupbuy_id)
                .order_by(GroupBuyItem.position)
            )
        ).all()
        if not rows:
            raise GroupBuyNotFound(ref=str(groupbuy_id))
        items = {item.code: item for _, item in rows if item is not None}
        found = loaded["groupbuy", groupbuy_id] = (rows[0][0], items)
    return found
