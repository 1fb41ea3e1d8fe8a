"""Reading service records: a volunteer's minutes in a local period, and their ratings."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.help_requests import HelpRequest
from models.records import ServiceRecord
from models.tasks import DONE, Task


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    """The start of a local day, as an aware datetime."""
    return datetime.combine(day, time(), tzinfo=tz)


def week_start(now: datetime, tz: ZoneInfo) -> datetime:
    """Monday 00:00 of the local week containing `now`."""
    today = now.astimezone(tz).date()
    return local_midnight(today - timedelta(days=today.weekday()), tz)


def month_start(now: datetime, tz: ZoneInfo) -> datetime:
    """The 1st, 00:00 of the local month containing `now`."""
    return local_midnight(now.astimezone(tz).date().replace(day=1), tz)


async def minutes_between(
    session: AsyncSession, person_id: int, start: datetime | None, end: datetime | None
) -> int:
    """Minutes of the person's service that began in [start, end) (None: unbounded)."""
    query = select(func.coalesce(func.sum(ServiceRecord.minutes), 0)).where(
        ServiceRecord.person_id == person_id
    )
    if start is not None:
        query = query.where(ServiceRecord.started_at >= start)
    if end is not None:
        query = query.where(ServiceRecord.started_at < end)
    return int(await session.scalar(query) or 0)


async def ratings_of(session: AsyncSession, person_id: int) -> list[int]:
    """The households' ratings (1–5) of the help requests this volunteer finished."""
    rows = await session.scalars(
        select(HelpRequest.rating)
        .join(Task, Task.id == HelpRequest.task_id)
        .where(
            Task.assignee_id == person_id,
            Task.status == DONE,
            HelpRequest.rating.is_not(None),
        )
    )
    return [int(r) for r in rows]
