"""Group-buys (社区团购 · 接龙): one order per household, stock, waitlist, payment and pickup.

Stock is a counter in the database: every reservation is a conditional UPDATE, so concurrent
sign-ups can never oversell; what does not fit goes to a first-come waitlist that is promoted,
in order, whenever units are released.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.audit import record_action
from models.base import Base
from models.errors import (
    AlreadyPickedUp,
    BadQuantity,
    GroupBuyFinished,
    GroupBuyNotFound,
    NoGroupBuyHere,
    NoOrderForRoom,
    NotALeader,
    NotArrivedYet,
    NotGatekeeper,
    NotYourRoom,
    OtherBuilding,
    OverLimit,
    TooManyGuesses,
    UnknownItem,
    WhichGroupBuy,
)
from models.groupbuy_spec import GroupBuySpec
from models.people import (
    Building,
    BuildingLeader,
    Household,
    Person,
    Room,
    bound_building,
    building_of_chat,
    is_leader,
    led_buildings,
    parse_room,
    require_leader,
    require_registered,
)
from models.tasks import DONE, Task, close_task, open_task
from models.when import require_future

IntPK = BigInteger().with_variant(Integer, "sqlite")

OPEN, CLOSED, CANCELLED = "open", "closed", "cancelled"
# Opened with the title of a buy from the last day: nobody sees it until the leader confirms.
DRAFT = "draft"
REPEAT_WINDOW = timedelta(days=1)
MAX_QUANTITY = 999
CODE_LOW, CODE_HIGH = 100_000, 1_000_000  # pickup codes: six digits, no leading zero
# Uncollected goods become a task this long after the pickup time (or after arrival, if none).
PICKUP_GRACE = timedelta(hours=2)
PICKUP_TASK = "pickup"
# Wrong pickup-code guesses a person may make per window before being told to wait.
PICKUP_TRIES = 5
PICKUP_TRY_WINDOW = timedelta(minutes=10)


class GroupBuy(Base):
    """A bulk order run by a leader in a building's group."""

    __tablename__ = "groupbuys"

    id: Mapped[int] = mapped_column(IntPK, primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id", ondelete="CASCADE"))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    title: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(10), default=OPEN)
    deadline: Mapped[datetime]
    pickup_place: Mapped[str | None] = mapped_column(String(120))
    pickup_at: Mapped[datetime | None]
    min_units: Mapped[int | None]
    # Set when the deadline passed short of `min_units`: the leader decides go or cancel.
    awaiting_decision: Mapped[bool] = mapped_column(default=False)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    arrived_at: Mapped[datetime | None]
    cancel_reason: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (Index("ix_groupbuys_status_deadline", "status", "deadline"),)

    @property
    def live_key(self) -> str:
        """The key of its live 接龙 card in the group."""
        return f"groupbuy:{self.id}"

    def accepts_orders(self, now: datetime) -> bool:
        """True while residents may still change orders."""
        return self.status == OPEN and now < self.deadline


class GroupBuyItem(Base):
    """One product of a group-buy, with an optional per-household limit and stock counter."""

    __tablename__ = "groupbuy_items"

    id: Mapped[int] = mapped_column(IntPK, primary_key=True)
    groupbuy_id: Mapped[int] = mapped_column(ForeignKey("groupbuys.id", ondelete="CASCADE"))
    position: Mapped[int]
    code: Mapped[str] = mapped_column(String(3))
    name: Mapped[str] = mapped_column(String(80))
    price_cents: Mapped[int]
    max_per_household: Mapped[int | None]
    stock: Mapped[int | None]
    remaining: Mapped[int | None]

    __table_args__ = (
        UniqueConstraint("groupbuy_id", "code"),
        CheckConstraint("remaining >= 0", name="remaining_not_negative"),
    )


class GroupBuyOrder(Base):
    """A household's order: its 接龙 line. Its members share it."""

    __tablename__ = "groupbuy_orders"

    id: Mapped[int] = mapped_column(IntPK, primary_key=True)
    groupbuy_id: Mapped[int] = mapped_column(ForeignKey("groupbuys.id", ondelete="CASCADE"))
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    paid_at: Mapped[datetime | None]
    pickup_code: Mapped[str | None] = mapped_column(String(8))
    picked_up_at: Mapped[datetime | None]

    __table_args__ = (
        UniqueConstraint("groupbuy_id", "household_id"),
        # Named: the naming convention would give both constraints the first column's name.
        UniqueConstraint("groupbuy_id", "pickup_code", name="uq_groupbuy_orders_pickup_code"),
    )


class GroupBuyLine(Base):
    """Units of one item in one order: confirmed, and waiting for stock."""

    __tablename__ = "groupbuy_lines"

    id: Mapped[int] = mapped_column(IntPK, primary_key=True)
    order_id: Mapped[int] = mapped_column(
        ForeignKey("groupbuy_orders.id", ondelete="CASCADE"), index=True
    )
    item_id: Mapped[int] = mapped_column(ForeignKey("groupbuy_items.id", ondelete="CASCADE"))
    quantity: Mapped[int] = mapped_column(default=0)
    waitlisted: Mapped[int] = mapped_column(default=0)
    waitlisted_at: Mapped[datetime | None]

    __table_args__ = (
        UniqueConstraint("order_id", "item_id"),
        CheckConstraint("quantity >= 0", name="quantity_not_negative"),
        CheckConstraint("waitlisted >= 0", name="waitlisted_not_negative"),
        Index("ix_groupbuy_lines_waitlist", "item_id", "waitlisted", "waitlisted_at"),
    )


class GroupBuyWait(Base):
    """A place on an item's waitlist: units a household asked for at one moment.

    A line can hold several places: what a household adds while it waits queues behind
    everyone who was already waiting, instead of jumping ahead with its first place.
    """

    __tablename__ = "groupbuy_waits"

    id: Mapped[int] = mapped_column(IntPK, primary_key=True)
    line_id: Mapped[int] = mapped_column(
        ForeignKey("groupbuy_lines.id", ondelete="CASCADE"), index=True
    )
    units: Mapped[int]
    since: Mapped[datetime]

    __table_args__ = (CheckConstraint("units > 0", name="units_positive"),)


class PickupTry(Base):
    """A wrong pickup-code guess (a code, a pk button or a `gb` link), kept to limit guessing."""

    __tablename__ = "groupbuy_pickup_tries"

    id: Mapped[int] = mapped_column(IntPK, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    tried_at: Mapped[datetime]

    __table_args__ = (Index("ix_groupbuy_pickup_tries_person", "person_id", "tried_at"),)


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


# -- opening and finding ----------------------------------------------------------------------


async def open_groupbuy(
    session: AsyncSession,
    *,
    spec: GroupBuySpec,
    chat_id: int,
    actor: Person | None,
    now: datetime,
) -> GroupBuy:
    """A leader opens a group-buy in a bound group."""
    building = await bound_building(session, chat_id)
    await require_leader(session, actor, building.id)
    require_future(spec.deadline, now, text=spec.deadline.isoformat())
    title = spec.title[:120]
    # The same message sent twice (a double tap, a retry) would otherwise open the buy twice.
    repeat = await session.scalar(
        select(GroupBuy.id).where(
            GroupBuy.chat_id == chat_id,
            GroupBuy.title == title,
            GroupBuy.status.in_((OPEN, CLOSED)),
            GroupBuy.created_at > now - REPEAT_WINDOW,
        )
    )
    groupbuy = GroupBuy(
        building_id=building.id,
        chat_id=chat_id,
        title=title,
        status=DRAFT if repeat is not None else OPEN,
        deadline=spec.deadline,
        pickup_place=spec.pickup_place,
        pickup_at=spec.pickup_at,
        min_units=spec.min_units,
        awaiting_decision=False,
        created_by=actor.id if actor else None,
        created_at=now,
    )
    session.add(groupbuy)
    await session.flush()
    session.add_all(
        GroupBuyItem(
            groupbuy_id=groupbuy.id,
            position=position,
            code=item.code,
            name=item.name,
            price_cents=item.price_cents,
            max_per_household=item.max_per_household,
            stock=item.stock,
            remaining=item.stock,
        )
        for position, item in enumerate(spec.items)
    )
    _audit(session, actor, "draft_groupbuy" if repeat else "open_groupbuy", groupbuy, now)
    await session.flush()
    return groupbuy


async def confirm_groupbuy(
    session: AsyncSession,
    groupbuy: GroupBuy,
    *,
    open_it: bool,
    actor: Person | None,
    now: datetime,
) -> None:
    """The leader confirms a repeated title (it opens now) or drops the draft."""
    await require_organiser(session, groupbuy, actor)
    if groupbuy.status != DRAFT:
        raise GroupBuyFinished(title=groupbuy.title)
    if not open_it:
        await session.delete(groupbuy)
        await session.flush()
        return
    require_future(groupbuy.deadline, now, text=groupbuy.deadline.isoformat())
    groupbuy.status, groupbuy.created_at = OPEN, now
    _audit(session, actor, "open_groupbuy", groupbuy, now)


async def find_groupbuy(
    session: AsyncSession, chat_id: int | None, ref: str | None, statuses: Iterable[str]
) -> GroupBuy:
    """The group-buy a command is about: `ref` (an id), else the only one in the chat."""
    wanted = tuple(statuses)
    if ref:
        text = ref.strip().lstrip("#")
        groupbuy = await session.get(GroupBuy, int(text)) if text.isdigit() else None
        if groupbuy is None or (chat_id is not None and groupbuy.chat_id != chat_id):
            raise GroupBuyNotFound(ref=ref[:20])
        return groupbuy
    if chat_id is None:
        raise NoGroupBuyHere()
    candidates = list(
        await session.scalars(
            select(GroupBuy)
            .where(GroupBuy.chat_id == chat_id, GroupBuy.status.in_(wanted))
            .order_by(GroupBuy.id)
        )
    )
    if not candidates:
        raise NoGroupBuyHere()
    if len(candidates) > 1:
        raise WhichGroupBuy(choices=[(g.id, g.title) for g in candidates])
    return candidates[0]


async def managed_groupbuy(
    session: AsyncSession,
    actor: Person | None,
    ref: str | None,
    statuses: Iterable[str],
    *,
    chat_id: int | None = None,
) -> GroupBuy:
    """The group-buy a leader command is about, checked against the actor's authority.

    In a group: `ref`, else the only one there. In private: `ref`, else the newest one in the
    leader's buildings. In a group, authority over its building is checked before anything
    else, so a resident learns nothing (not even which #numbers exist) from a leader command.
    """
    if chat_id is not None:
        building = await building_of_chat(session, chat_id)
        if building is not None:
            await require_leader(session, actor, building.id)
        groupbuy = await find_groupbuy(session, chat_id, ref, statuses)
    elif ref:
        groupbuy = await find_groupbuy(session, None, ref, statuses)
    else:
        led = select(BuildingLeader.building_id).where(
            BuildingLeader.person_id == (actor.id if actor else -1)
        )
        groupbuy = await session.scalar(
            select(GroupBuy)
            .where(GroupBuy.building_id.in_(led), GroupBuy.status.in_(tuple(statuses)))
            .order_by(GroupBuy.id.desc())
            .limit(1)
        )
        if groupbuy is None:
            raise NoGroupBuyHere()
    await require_organiser(session, groupbuy, actor)
    return groupbuy


async def require_organiser(
    session: AsyncSession, groupbuy: GroupBuy, actor: Person | None
) -> None:
    """Only a leader of the group-buy's building (or a coordinator) may manage it."""
    await require_leader(session, actor, groupbuy.building_id)


async def require_gatekeeper(
    session: AsyncSession, groupbuy: GroupBuy, actor: Person | None
) -> None:
    """Leaders and volunteers (who stand at the gate) may hand goods out."""
    if actor is not None and actor.is_volunteer:
        return
    try:
        await require_organiser(session, groupbuy, actor)
    except NotALeader:
        raise NotGatekeeper() from None


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
    order_id = await _touch_order(session, groupbuy_id, household_id, now)
    lines = await _lines_of(session, order_id)
    change = OrderChange(groupbuy, household_id)
    change.had_order = any(line.quantity or line.waitlisted for line in lines.values())
    shrank = False
    for code, amount in quantities.items():
        item = items[code]
        line = lines.setdefault(item.id, _Line(None, item.id, 0, 0, None))
        current = line.quantity + line.waitlisted
        wanted = amount if mode == "set" else max(0, current + amount)
        if wanted < 0 or wanted > MAX_QUANTITY:
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
    items = await _items_by_code(session, groupbuy_id)
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
    """The group-buy and its items in one query; refused unless it takes this household now."""
    home = select(Household.building_id).where(Household.id == household_id).scalar_subquery()
    rows = (
        await session.execute(
            select(GroupBuy, GroupBuyItem, home)
            .join(GroupBuyItem, GroupBuyItem.groupbuy_id == GroupBuy.id)
            .where(GroupBuy.id == groupbuy_id)
            .order_by(GroupBuyItem.position)
        )
    ).all()
    if not rows:
        raise GroupBuyNotFound(ref=str(groupbuy_id))
    groupbuy, _, home_building = rows[0]
    if home_building != groupbuy.building_id:
        # A group-buy is for one building's households; a guest in the group may not join it.
        raise OtherBuilding(building=await building_name(session, groupbuy))
    if not groupbuy.accepts_orders(now):
        raise GroupBuyFinished(title=groupbuy.title)
    return groupbuy, {item.code: item for _, item, _ in rows}


async def _items_by_code(session: AsyncSession, groupbuy_id: int) -> dict[str, GroupBuyItem]:
    rows = await session.scalars(
        select(GroupBuyItem)
        .where(GroupBuyItem.groupbuy_id == groupbuy_id)
        .order_by(GroupBuyItem.position)
    )
    return {item.code: item for item in rows}


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
) -> int:
    """The household's order id, created on its first sign-up (one upsert).

    The upsert also locks the order row until commit, so two members of one household tapping
    at the same moment take turns instead of both editing the same starting quantities.
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(GroupBuyOrder).values(
        groupbuy_id=groupbuy_id, household_id=household_id, created_at=now, updated_at=now
    )
    statement = statement.on_conflict_do_update(
        index_elements=["groupbuy_id", "household_id"],
        set_={"updated_at": statement.excluded.updated_at},
    ).returning(GroupBuyOrder.id)
    return int(await session.scalar(statement))


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


# -- the leader's side ------------------------------------------------------------------------


async def close_groupbuy(
    session: AsyncSession,
    groupbuy: GroupBuy,
    *,
    actor: Person | None,
    now: datetime,
) -> Board:
    """Stop taking orders now."""
    await require_organiser(session, groupbuy, actor)
    if groupbuy.status != OPEN:
        raise GroupBuyFinished(title=groupbuy.title)
    groupbuy.status, groupbuy.closed_at = CLOSED, now
    board = await board_of(session, groupbuy)
    groupbuy.awaiting_decision = not board.min_met
    _audit(session, actor, "close_groupbuy", groupbuy, now)
    return board


async def close_due_groupbuys(session: AsyncSession, now: datetime) -> list[GroupBuy]:
    """Close every group-buy whose deadline passed; each is claimed by exactly one caller."""
    due = list(
        await session.scalars(
            select(GroupBuy).where(GroupBuy.status == OPEN, GroupBuy.deadline <= now)
        )
    )
    closed = []
    for groupbuy in due:
        claimed = await session.execute(
            update(GroupBuy)
            .where(GroupBuy.id == groupbuy.id, GroupBuy.status == OPEN)
            .values(status=CLOSED, closed_at=now)
        )
        if not claimed.rowcount:
            continue
        await session.refresh(groupbuy)
        board = await board_of(session, groupbuy)
        groupbuy.awaiting_decision = not board.min_met
        _audit(session, None, "close_groupbuy", groupbuy, now, {"by": "deadline"})
        closed.append(groupbuy)
    return closed


async def extend_groupbuy(
    session: AsyncSession,
    groupbuy: GroupBuy,
    *,
    deadline: datetime,
    actor: Person | None,
    now: datetime,
) -> None:
    """Move the deadline; a closed group-buy whose goods have not arrived opens again."""
    await require_organiser(session, groupbuy, actor)
    if groupbuy.status == CANCELLED or groupbuy.arrived_at is not None:
        raise GroupBuyFinished(title=groupbuy.title)
    require_future(deadline, now, text=deadline.isoformat())
    groupbuy.deadline, groupbuy.status, groupbuy.closed_at = deadline, OPEN, None
    groupbuy.awaiting_decision = False
    _audit(session, actor, "extend_groupbuy", groupbuy, now, {"deadline": deadline.isoformat()})


async def reopen_groupbuy(
    session: AsyncSession,
    groupbuy: GroupBuy,
    *,
    actor: Person | None,
    now: datetime,
) -> None:
    """Take orders again until the existing deadline (use extend when it has passed)."""
    await require_organiser(session, groupbuy, actor)
    if groupbuy.status != CLOSED or groupbuy.arrived_at is not None:
        raise GroupBuyFinished(title=groupbuy.title)
    require_future(groupbuy.deadline, now, text=groupbuy.deadline.isoformat())
    groupbuy.status, groupbuy.closed_at, groupbuy.awaiting_decision = OPEN, None, False
    _audit(session, actor, "reopen_groupbuy", groupbuy, now)


async def cancel_groupbuy(
    session: AsyncSession,
    groupbuy: GroupBuy,
    *,
    reason: str,
    actor: Person | None,
    now: datetime,
) -> list[Person]:
    """Call the group-buy off; returns the participants to tell privately."""
    await require_organiser(session, groupbuy, actor)
    if groupbuy.status == CANCELLED or groupbuy.arrived_at is not None:
        raise GroupBuyFinished(title=groupbuy.title)
    groupbuy.status, groupbuy.cancel_reason = CANCELLED, reason[:200]
    groupbuy.closed_at = groupbuy.closed_at or now
    groupbuy.awaiting_decision = False
    _audit(session, actor, "cancel_groupbuy", groupbuy, now)
    return await participants(session, groupbuy.id)


async def go_ahead(
    session: AsyncSession,
    groupbuy: GroupBuy,
    *,
    actor: Person | None,
    now: datetime,
) -> None:
    """The leader proceeds although the minimum (成团) was not reached."""
    await require_organiser(session, groupbuy, actor)
    if groupbuy.status != CLOSED or not groupbuy.awaiting_decision:
        raise GroupBuyFinished(title=groupbuy.title)
    groupbuy.awaiting_decision = False
    _audit(session, actor, "go_ahead_groupbuy", groupbuy, now)


async def set_paid(
    session: AsyncSession,
    groupbuy: GroupBuy,
    *,
    room_text: str,
    paid: bool,
    actor: Person | None,
    now: datetime,
) -> OrderLine:
    """Record (or undo) a household's payment, found by its room."""
    await require_organiser(session, groupbuy, actor)
    order = await _order_by_room(session, groupbuy, room_text)
    order.paid_at = now if paid else None
    _audit(session, actor, "paid" if paid else "unpaid", groupbuy, now, {"order_id": order.id})
    await session.flush()
    board = await board_of(session, groupbuy)
    line = board.line_of(order.household_id)
    assert line is not None
    return line


async def mark_arrived(
    session: AsyncSession,
    groupbuy: GroupBuy,
    *,
    actor: Person | None,
    now: datetime,
) -> list[tuple[Person, str]]:
    """Goods are here: give every order a pickup code; returns (member, code) to notify."""
    await require_organiser(session, groupbuy, actor)
    if groupbuy.status != CLOSED or groupbuy.awaiting_decision:
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
        groupbuy.arrived_at = now
        # Always six digits: with a guess limit per person, 900,000 codes make guessing hopeless.
        codes = secrets.SystemRandom().sample(range(CODE_LOW, CODE_HIGH), len(orders))
        for order, code in zip(orders, codes, strict=True):
            order.pickup_code = str(code)
        _audit(session, actor, "arrived", groupbuy, now)
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
    _audit(session, actor, "picked_up", groupbuy, now, {"order_id": order.id})
    await session.flush()
    board = await board_of(session, groupbuy)
    line = board.line_of(order.household_id)
    assert line is not None
    return Pickup(groupbuy, line)


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
    """Uncollected pickups past their time become tasks on the shared board (once each)."""
    rows = await session.execute(
        select(GroupBuyOrder, GroupBuy)
        .join(GroupBuy, GroupBuy.id == GroupBuyOrder.groupbuy_id)
        .where(
            GroupBuy.arrived_at.is_not(None),
            GroupBuyOrder.pickup_code.is_not(None),
            GroupBuyOrder.picked_up_at.is_(None),
        )
    )
    for order, groupbuy in rows:
        since = groupbuy.pickup_at or groupbuy.arrived_at
        assert since is not None
        if max(since, groupbuy.arrived_at) + PICKUP_GRACE > now:
            continue
        await open_task(
            session,
            kind=PICKUP_TASK,
            source_ref=f"gbo:{order.id}",
            now=now,
            building_id=groupbuy.building_id,
            details={"groupbuy_id": groupbuy.id, "household_id": order.household_id},
        )


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
    rows = await session.execute(
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
        .where(order.groupbuy_id == groupbuy.id)
        .order_by(order.id, line_table.item_id)
    )
    lines: dict[int, OrderLine] = {}
    units = dict.fromkeys(code_of.values(), 0)
    waiting = dict.fromkeys(code_of.values(), 0)
    for line in rows:
        entry = lines.get(line.id)
        if entry is None:
            room = Room(int(line.unit) if line.unit else None, line.room)
            entry = lines[line.id] = OrderLine(
                seq=len(lines) + 1,
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
            units[code] += line.quantity
        if line.waitlisted:
            entry.waitlisted[code] = line.waitlisted
            waiting[code] += line.waitlisted
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
    return Board(groupbuy, totals, list(lines.values()))


async def organiser_board(
    session: AsyncSession, groupbuy: GroupBuy, *, actor: Person | None, is_chat_admin: bool = False
) -> Board:
    """The board for the organiser's private reads (summary, unpaid, uncollected)."""
    await require_organiser(session, groupbuy, actor)
    return await board_of(session, groupbuy)


async def organiser_export(
    session: AsyncSession, groupbuy: GroupBuy, *, actor: Person | None, is_chat_admin: bool = False
) -> tuple[Board, dict[int, str]]:
    """The board and the members' names per household, for the organiser's spreadsheets."""
    board = await organiser_board(session, groupbuy, actor=actor)
    return board, await household_names(session, (line.household_id for line in board.lines))


async def item_codes(session: AsyncSession, groupbuy_id: int) -> list[str]:
    """The group-buy's item codes, in card order."""
    return list(await _items_by_code(session, groupbuy_id))


async def order_line(session: AsyncSession, order_id: int) -> tuple[GroupBuy, OrderLine]:
    """A 接龙 line by order id (from a button)."""
    order = await session.get(GroupBuyOrder, order_id)
    groupbuy = await session.get(GroupBuy, order.groupbuy_id) if order else None
    if order is None or groupbuy is None:
        raise GroupBuyNotFound(ref=str(order_id))
    line = (await board_of(session, groupbuy)).line_of(order.household_id)
    assert line is not None
    return groupbuy, line


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


async def household_names(session: AsyncSession, household_ids: Iterable[int]) -> dict[int, str]:
    """Members' names per household (for the leader's private exports)."""
    names: dict[int, list[str]] = {}
    for person in await members_of(session, household_ids):
        assert person.household_id is not None
        names.setdefault(person.household_id, []).append(person.name)
    return {household: "、".join(people) for household, people in names.items()}


async def building_name(session: AsyncSession, groupbuy: GroupBuy) -> str:
    """The name of the group-buy's building."""
    building = await session.get(Building, groupbuy.building_id)
    return building.name if building else ""


async def _order_by_room(
    session: AsyncSession, groupbuy: GroupBuy, room_text: str
) -> GroupBuyOrder:
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


def _audit(
    session: AsyncSession,
    actor: Person | None,
    action: str,
    groupbuy: GroupBuy,
    now: datetime,
    details: dict | None = None,
) -> None:
    record_action(
        session,
        actor=actor,
        action=action,
        now=now,
        chat_id=groupbuy.chat_id,
        building_id=groupbuy.building_id,
        details={"groupbuy_id": groupbuy.id, **(details or {})},
    )
