"""The one task table: idempotent opening, exactly one winner among claims, closing once.

Runs on the migrated schema, on SQLite and (when configured) PostgreSQL.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models.errors import TaskClosed, TaskTaken
from models.people import ensure_person
from models.tasks import CLAIMED, DONE, Task, claim_task, close_task, open_task, open_tasks

Sessions = async_sessionmaker[AsyncSession]
NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


async def _people(sessions: Sessions, count: int) -> list[int]:
    async with sessions() as s, s.begin():
        people = [await ensure_person(s, 100 + i, f"v{i}", NOW) for i in range(count)]
        await s.flush()
        return [p.id for p in people]


async def test_task_lifecycle(sessions: Sessions) -> None:
    """Open is idempotent per source; one claim wins; closing twice is refused."""
    a, b = await _people(sessions, 2)
    async with sessions() as s, s.begin():
        task = await open_task(s, kind="help", source_ref="help:9", now=NOW, priority=5)
        same = await open_task(s, kind="help", source_ref="help:9", now=NOW)
        assert same.id == task.id
        await claim_task(s, task.id, a, NOW)
        with pytest.raises(TaskTaken):
            await claim_task(s, task.id, b, NOW)
        await close_task(s, task.id, NOW)
        with pytest.raises(TaskClosed):
            await close_task(s, task.id, NOW)
        assert task.status == DONE
        assert await open_tasks(s) == []


async def test_concurrent_claims_have_exactly_one_winner(sessions: Sessions) -> None:
    """Eight volunteers tap [I'll take it] at once, each in their own transaction: one wins."""
    volunteers = await _people(sessions, 8)
    async with sessions() as s, s.begin():
        task_id = (await open_task(s, kind="help", source_ref="help:1", now=NOW)).id

    async def claim(person_id: int) -> bool:
        try:
            async with sessions() as s, s.begin():
                await claim_task(s, task_id, person_id, NOW)
        except TaskTaken:
            return False
        return True

    won = await asyncio.gather(*(claim(v) for v in volunteers))
    assert sum(won) == 1
    async with sessions() as s:
        task = await s.scalar(select(Task).where(Task.id == task_id))
        assert task is not None and task.status == CLAIMED
        assert task.assignee_id == volunteers[won.index(True)]


async def test_concurrent_opens_make_one_task(sessions: Sessions) -> None:
    """Two jobs opening the same source at once (a rescan, a retry) leave one task."""

    async def open_one() -> int:
        async with sessions() as s, s.begin():
            return (await open_task(s, kind="pickup", source_ref="gbo:7", now=NOW)).id

    ids = await asyncio.gather(*(open_one() for _ in range(5)))
    assert len(set(ids)) == 1
