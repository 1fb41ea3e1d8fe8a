"""The inbox: every update Telegram handed over, stored before it is confirmed, until handled.

Telegram forgets an update once the next getUpdates confirms it (or a webhook call is answered
with 200), so Linli stores the raw update first; handling then reads from here and marks the
row in the same transaction as its effects. A row is NEW until handled (DONE) or given up on
after repeated failures (PARKED, with its error), when the sender has had one apology.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Index, String, delete, func, null, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class Status(StrEnum):
    """Where an update stands."""

    NEW = "new"
    DONE = "done"
    PARKED = "parked"


NEW, DONE, PARKED = Status

# How long an update id counts as seen. A redelivery comes within minutes (a crash between
# storing an update and confirming its offset, a webhook call Telegram retries); ids themselves
# repeat: Telegram starts at a random id after a week without updates, and a restarted sandbox
# may count from 1 again. Handled rows older than this are pruned.
UPDATE_WINDOW = timedelta(days=1)
# Parked updates wait longer for someone to look at them (`linli inbox`).
PARKED_KEPT = timedelta(days=7)
ERROR_LENGTH = 500


class InboxUpdate(Base):
    """One update as Telegram sent it (raw JSON), and how far its handling got."""

    __tablename__ = "inbox"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    payload: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(8), default=NEW)
    attempts: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(String(ERROR_LENGTH))
    received_at: Mapped[datetime] = mapped_column(index=True)
    finished_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_inbox_status", "status", "update_id"),)


@dataclass(frozen=True)
class Received:
    """An update to store: its id, the chat it belongs to (for ordering) and its raw JSON."""

    update_id: int
    chat_id: int | None
    payload: dict[str, Any]


@dataclass(frozen=True)
class Waiting:
    """A stored update that still has to be handled."""

    update_id: int
    chat_id: int | None
    payload: dict[str, Any]
    attempts: int


def _insert(session: AsyncSession) -> Any:
    dialect = session.get_bind().dialect.name
    return postgresql_insert(InboxUpdate) if dialect == "postgresql" else sqlite_insert(InboxUpdate)


async def store(session: AsyncSession, updates: Sequence[Received], now: datetime) -> list[int]:
    """Store a batch of updates; return the ids that were new (a redelivery is not)."""
    if not updates:
        return []
    table = InboxUpdate.__table__
    statement = _insert(session)
    # An id seen longer ago than the window is being reused for a new update: the stored row
    # is replaced. Sent as one executemany (SQLAlchemy's "insertmanyvalues"), whose statement
    # is compiled once; a multi-row .values() would be compiled afresh every time.
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.update_id],
        set_={
            column: statement.excluded[column]
            for column in ("chat_id", "payload", "status", "attempts", "received_at")
        }
        | {"error": null(), "finished_at": null()},
        where=(table.c.received_at < now - UPDATE_WINDOW) & (table.c.status != NEW),
    ).returning(table.c.update_id)
    rows = [
        {
            "update_id": u.update_id,
            "chat_id": u.chat_id,
            "payload": u.payload,
            "status": NEW,
            "attempts": 0,
            "received_at": now,
        }
        for u in updates
    ]
    return sorted((await session.execute(statement, rows)).scalars())


async def claim(
    session: AsyncSession,
    update_id: int,
    now: datetime,
    *,
    status: Status = DONE,
    error: str | None = None,
) -> bool:
    """Mark an update finished in the caller's transaction; False if it already was.

    An update that never passed through the inbox (handed to the dispatcher directly) gets its
    row here, so it is deduplicated all the same.
    """
    values: dict[str, Any] = {"status": status, "finished_at": now}
    if error is not None:  # an earlier failed attempt's error stays on a row finished later
        values["error"] = error[:ERROR_LENGTH]
    table = InboxUpdate.__table__
    statement = (
        _insert(session)
        .values(update_id=update_id, payload={}, attempts=0, received_at=now, **values)
        .on_conflict_do_update(
            index_elements=[table.c.update_id],
            set_=values,
            where=(table.c.status == NEW) | (table.c.received_at < now - UPDATE_WINDOW),
        )
        .returning(table.c.update_id)
    )
    return (await session.scalar(statement)) is not None


async def claim_all(session: AsyncSession, update_ids: Sequence[int], now: datetime) -> set[int]:
    """Mark a batch of stored updates finished in one statement; return those that were not.

    Only updates still waiting in the inbox are claimed; an id that has no row (never stored)
    or was finished already is left out, and its update must not be handled.
    """
    claimed = await session.scalars(
        update(InboxUpdate)
        .where(InboxUpdate.update_id.in_(update_ids), InboxUpdate.status == NEW)
        .values(status=DONE, finished_at=now)
        .returning(InboxUpdate.update_id)
    )
    return set(claimed)


async def release(session: AsyncSession, update_id: int, error: str) -> None:
    """Put back an update claimed in this transaction whose handling failed, counting the try."""
    await session.execute(
        update(InboxUpdate)
        .where(InboxUpdate.update_id == update_id)
        .values(
            status=NEW,
            finished_at=None,
            attempts=InboxUpdate.attempts + 1,
            error=error[:ERROR_LENGTH],
        )
    )


async def note_failure(session: AsyncSession, update_id: int, error: str) -> None:
    """Count a failed attempt at handling an update, and keep the error."""
    await session.execute(
        update(InboxUpdate)
        .where(InboxUpdate.update_id == update_id, InboxUpdate.status == NEW)
        .values(attempts=InboxUpdate.attempts + 1, error=error[:ERROR_LENGTH])
    )


async def waiting(session: AsyncSession) -> list[Waiting]:
    """Every stored update not handled yet, oldest first."""
    rows = await session.execute(
        select(
            InboxUpdate.update_id, InboxUpdate.chat_id, InboxUpdate.payload, InboxUpdate.attempts
        )
        .where(InboxUpdate.status == NEW)
        .order_by(InboxUpdate.update_id)
    )
    return [Waiting(*row) for row in rows]


async def parked(session: AsyncSession) -> list[InboxUpdate]:
    """Updates given up on, newest first."""
    rows = await session.scalars(
        select(InboxUpdate)
        .where(InboxUpdate.status == PARKED)
        .order_by(InboxUpdate.update_id.desc())
    )
    return list(rows)


async def retry_parked(session: AsyncSession, update_ids: Sequence[int] | None) -> int:
    """Put parked updates (all, or those named) back in line; return how many."""
    statement = update(InboxUpdate).where(InboxUpdate.status == PARKED)
    if update_ids is not None:
        statement = statement.where(InboxUpdate.update_id.in_(update_ids))
    result = await session.execute(
        statement.values(status=NEW, attempts=0, error=None, finished_at=None)
    )
    return result.rowcount


async def prune(session: AsyncSession, now: datetime) -> None:
    """Drop handled updates older than the window, and parked ones after a week."""
    await session.execute(
        delete(InboxUpdate).where(
            ((InboxUpdate.status == DONE) & (InboxUpdate.received_at < now - UPDATE_WINDOW))
            | ((InboxUpdate.status == PARKED) & (InboxUpdate.received_at < now - PARKED_KEPT))
        )
    )


async def last_update_id(session: AsyncSession) -> int | None:
    """The highest update id stored within the window, if any."""
    return await session.scalar(select(func.max(InboxUpdate.update_id)))
