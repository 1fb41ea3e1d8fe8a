"""Group-buy tables and their states: buys, items, orders, lines, waits, pickup tries."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base

IntPK = BigInteger().with_variant(Integer, "sqlite")


class Status(StrEnum):
    """Where a group-buy is in its life; `TRANSITIONS` says what may happen from each."""

    # Opened with the title of a buy from the last day: nobody sees it until the leader confirms.
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"
    # Closed short of its minimum (成团): the organiser decides to go ahead or cancel.
    DECIDING = "deciding"
    ARRIVED = "arrived"
    CANCELLED = "cancelled"


DRAFT, OPEN, CLOSED, DECIDING, ARRIVED, CANCELLED = Status
# Past taking orders, as residents and leader commands see it.
ENDED = (CLOSED, DECIDING, ARRIVED)

# What each lifecycle action may start from (its refusal names the buy as finished, or for
# "arrive" as not ready); where it leads is set by the service that performs it.
TRANSITIONS: dict[str, frozenset[Status]] = {
    "confirm": frozenset({DRAFT}),  # → OPEN, or the draft is dropped
    "close": frozenset({OPEN}),  # → CLOSED, or DECIDING when short of the minimum
    "reopen": frozenset({CLOSED, DECIDING}),  # → OPEN
    "extend": frozenset({DRAFT, OPEN, CLOSED, DECIDING}),  # → OPEN with a new deadline
    "go_ahead": frozenset({DECIDING}),  # → CLOSED
    "arrive": frozenset({CLOSED, ARRIVED}),  # → ARRIVED (again: the codes are sent again)
    "cancel": frozenset({DRAFT, OPEN, CLOSED, DECIDING}),  # → CANCELLED
}


def may(groupbuy: GroupBuy, action: str) -> bool:
    """True if the lifecycle `action` may start from the group-buy's status."""
    return groupbuy.status in TRANSITIONS[action]


REPEAT_WINDOW = timedelta(days=1)
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
