"""The one task table: every actionable thing, whatever capability opened it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, get_or_create, insert_ignoring_duplicates
from models.errors import TaskClosed, TaskTaken


class TaskStatus(StrEnum):
    """A task's life: open → claimed → done or cancelled."""

    OPEN = "open"
    CLAIMED = "claimed"
    DONE = "done"
    CANCELLED = "cancelled"


OPEN, CLAIMED, DONE, CANCELLED = TaskStatus
ACTIVE = (OPEN, CLAIMED)


class Task(Base):
    """A help request, an unfilled slot, a follow-up...: open → claimed → done/cancelled."""

    __tablename__ = "tasks"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(24))  # "help", "shift_slot", "care_gap", ...
    source_ref: Mapped[str] = mapped_column(String(64))  # the row that caused it, e.g. "help:17"
    building_id: Mapped[int | None] = mapped_column(ForeignKey("buildings.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(10), default=OPEN)
    priority: Mapped[int] = mapped_column(default=0)  # higher first; urgent needs use 10+
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("persons.id", ondelete="SET NULL"), index=True
    )
    due_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    claimed_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    # Structured facts only (category, counts, ids): never chat text or personal data.
    details: Mapped[dict[str, Any]]

    __table_args__ = (
        # One task per source: a retried job or a double tap cannot open the same need twice.
        UniqueConstraint("kind", "source_ref"),
        Index("ix_tasks_board", "building_id", "status", "priority"),
    )


class TaskEscalation(Base):
    """One escalation step taken for a task (reminder, leaders, coordinators), taken once."""

    __tablename__ = "task_escalations"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    step: Mapped[str] = mapped_column(String(24))
    at: Mapped[datetime]
    # How many people were really told (a step whose audience Linli cannot reach is still taken).
    notified: Mapped[int] = mapped_column(default=0)

    # A second tick, or a second replica, cannot take the same step again.
    __table_args__ = (UniqueConstraint("task_id", "step"),)


async def open_task(
    session: AsyncSession,
    *,
    kind: str,
    source_ref: str,
    now: datetime,
    building_id: int | None = None,
    priority: int = 0,
    due_at: datetime | None = None,
    details: dict[str, Any] | None = None,
) -> Task:
    """Open a task for a source, or return the one already opened for it."""
    return await get_or_create(
        session,
        select(Task).where(Task.kind == kind, Task.source_ref == source_ref),
        lambda: Task(
            kind=kind,
            source_ref=source_ref,
            building_id=building_id,
            status=OPEN,
            priority=priority,
            due_at=due_at,
            created_at=now,
            details=dict(details or {}),
        ),
    )


async def claim_task(session: AsyncSession, task_id: int, person_id: int, now: datetime) -> None:
    """Assign an open task to a person; exactly one of several simultaneous claims wins."""
    result = await session.execute(
        update(Task)
        .where(Task.id == task_id, Task.status == OPEN)
        .values(status=CLAIMED, assignee_id=person_id, claimed_at=now)
        .execution_options(synchronize_session="fetch")
    )
    if not result.rowcount:
        raise TaskTaken(task_id=task_id)


async def close_task(
    session: AsyncSession, task_id: int, now: datetime, *, status: str = DONE
) -> None:
    """Mark an open or claimed task done or cancelled; closing twice is refused."""
    if status not in (DONE, CANCELLED):
        raise ValueError(f"a task closes as done or cancelled, not {status!r}")
    result = await session.execute(
        update(Task)
        .where(Task.id == task_id, Task.status.in_(ACTIVE))
        .values(status=status, closed_at=now)
        .execution_options(synchronize_session="fetch")
    )
    if not result.rowcount:
        raise TaskClosed(task_id=task_id)


async def open_tasks(session: AsyncSession, building_id: int | None = None) -> list[Task]:
    """Active tasks, most urgent first (for /tasks)."""
    query = select(Task).where(Task.status.in_(ACTIVE))
    if building_id is not None:
        query = query.where(Task.building_id == building_id)
    rows = await session.scalars(
        query.order_by(Task.priority.desc(), Task.due_at.is_(None), Task.due_at, Task.id)
    )
    return list(rows)


async def reopen_task(session: AsyncSession, task_id: int) -> None:
    """Put a claimed task back to open, without an assignee (released, unpaired)."""
    await session.execute(
        update(Task)
        .where(Task.id == task_id, Task.status == CLAIMED)
        .values(status=OPEN, assignee_id=None, claimed_at=None)
        .execution_options(synchronize_session="fetch")
    )


async def take_escalation_step(
    session: AsyncSession, task_id: int, step: str, now: datetime
) -> TaskEscalation | None:
    """Record escalation `step` for a task; None if it was already taken (by anyone)."""
    result = await session.execute(
        insert_ignoring_duplicates(session, TaskEscalation).values(
            task_id=task_id, step=step, at=now, notified=0
        )
    )
    if not result.rowcount:
        return None
    return await session.scalar(
        select(TaskEscalation).where(TaskEscalation.task_id == task_id, TaskEscalation.step == step)
    )


async def escalations_of(session: AsyncSession, task_id: int) -> list[TaskEscalation]:
    """The escalation steps taken for a task, oldest first."""
    rows = await session.scalars(
        select(TaskEscalation)
        .where(TaskEscalation.task_id == task_id)
        .order_by(TaskEscalation.at, TaskEscalation.id)
    )
    return list(rows)


async def reopen_closed_task(session: AsyncSession, task_id: int) -> bool:
    """Put a done task back to open, without an assignee (a need that came back); True if so."""
    result = await session.execute(
        update(Task)
        .where(Task.id == task_id, Task.status == DONE)
        .values(status=OPEN, assignee_id=None, claimed_at=None, closed_at=None)
        .execution_options(synchronize_session="fetch")
    )
    return bool(result.rowcount)
