"""The transactional outbox: outgoing actions stored with the change that caused them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy import (
    BigInteger,
    Index,
    Integer,
    LargeBinary,
    String,
    insert,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class Delivery(StrEnum):
    """Where an outbox row stands."""

    PENDING = "pending"
    SENT = "sent"
    SUPERSEDED = "superseded"  # a newer edit of the same live message replaced it
    FAILED = "failed"


PENDING, SENT, SUPERSEDED, FAILED = Delivery


class OutboxMessage(Base):
    """One action waiting for (or done by) delivery."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    live_key: Mapped[str | None] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]]
    data: Mapped[bytes | None] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(10), default=PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    not_before: Mapped[datetime | None]
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    error: Mapped[str | None] = mapped_column(String(300))

    __table_args__ = (Index("ix_outbox_pending", "status", "chat_id", "id"),)


class LiveMessage(Base):
    """Where a live message (a card addressed by a domain key) was posted."""

    __tablename__ = "live_messages"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime]


class Queued(Protocol):
    """What the outbox stores of an outgoing action (bot.context.Outgoing is one)."""

    kind: str
    chat_id: int | None
    live_key: str | None
    data: bytes | None

    def payload(self) -> dict[str, Any]:
        """The JSON-serialisable rest: text, markup, reply and tap details."""
        ...


async def enqueue(session: AsyncSession, actions: list[Queued], now: datetime) -> None:
    """Add actions to the outbox inside the caller's transaction (one multi-row INSERT)."""
    if not actions:
        return
    # The table, not the mapped class: the ORM's bulk-insert bookkeeping cost more than the
    # INSERT itself on every update that emits something.
    await session.execute(
        insert(OutboxMessage.__table__),
        [
            {
                "kind": a.kind,
                "chat_id": a.chat_id,
                "live_key": a.live_key,
                "payload": a.payload(),
                "data": a.data,
                "status": PENDING,
                "attempts": 0,
                "created_at": now,
            }
            for a in actions
        ],
    )


async def live_message_ref(session: AsyncSession, key: str) -> LiveMessage | None:
    """The posted message behind a live key, if it has been posted."""
    return await session.get(LiveMessage, key)


async def live_key_of(session: AsyncSession, chat_id: int, message_id: int) -> str | None:
    """The live key of a posted message (to route replies to a card)."""
    return await session.scalar(
        select(LiveMessage.key).where(
            LiveMessage.chat_id == chat_id, LiveMessage.message_id == message_id
        )
    )
