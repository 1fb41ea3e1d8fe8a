"""The leaders' report: what happened in their buildings today, this week or this month.

Read from the task table and the records only (rollcall runs, slot and pickup tasks, service
records, group-buys), for the buildings the reader leads (a coordinator: all of them). Also the
leaders' daily-report subscriptions, and the rows of `/export tasks` and `/export hours`.
Nothing here formats chat text.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    BigInteger,
    Date,
    ForeignKey,
    Integer,
    Select,
    delete,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, insert_ignoring_duplicates
from models.care import CARE_GAP
from models.errors import NotALeader
from models.groupbuy import DRAFT, PICKUP_TASK, GroupBuy
from models.people import Building, Person, buildings_in_charge
from models.records import ServiceRecord
from models.rollcall_answers import tally
from models.rollcalls import Rollcall, RollcallRun, RunStatus
from models.service_hours import local_midnight
from models.shifts import SHIFT_SLOT
from models.tasks import ACTIVE, CANCELLED, DONE, Task

IntPK = BigInteger().with_variant(Integer, "sqlite")
HELP = "help"  # the task kind of a help request
CHART_DAYS = 7  # a day's report still charts the week up to it


class ReportPeriod(StrEnum):
    """The stretch of local calendar a report covers."""

    TODAY = "today"
    WEEK = "week"
    MONTH = "month"


def period_bounds(period: ReportPeriod, now: datetime, tz: ZoneInfo) -> tuple[date, date]:
    """The period's first day and the day after its last (local calendar days)."""
    today = now.astimezone(tz).date()
    if period == ReportPeriod.TODAY:
        return today, today + timedelta(days=1)
    if period == ReportPeriod.WEEK:
        monday = today - timedelta(days=today.weekday())
        return monday, monday + timedelta(days=7)
    first = today.replace(day=1)
    return first, (first + timedelta(days=32)).replace(day=1)


# -- the report ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RunCoverage:
    """One rollcall run: who was asked, how many answered (missed runs asked no one)."""

    ref: str
    title: str
    building: str
    day: date
    status: str
    expected: int
    answered: int

    @property
    def percent(self) -> int | None:
        """Answered as a whole percentage of those asked; None when nobody was asked."""
        return round(100 * self.answered / self.expected) if self.expected else None


@dataclass(slots=True)
class DayCounts:
    """One local day: help requests opened, claimed and done; rollcall answers of those asked."""

    day: date
    opened: int = 0
    claimed: int = 0
    done: int = 0
    asked: int = 0
    answered: int = 0

    @property
    def rollcall_percent(self) -> int | None:
        """The day's rollcall coverage; None on a day without a rollcall."""
        return round(100 * self.answered / self.asked) if self.asked else None


@dataclass(frozen=True, slots=True)
class LeadersReport:
    """What a leader's report states, for the buildings they lead."""

    period: str
    first_day: date
    last_day: date
    buildings: list[str]
    runs: list[RunCoverage]
    help_opened: int
    help_claimed: int
    help_done: int
    median_claim_minutes: int | None
    slots: int
    slots_filled: int
    care_gaps: int
    groupbuys: int
    uncollected: int
    minutes: int
    volunteers: int
    days: list[DayCounts]

    @property
    def slots_percent(self) -> int | None:
        """Shift slots filled, as a whole percentage; None without shifts."""
        return round(100 * self.slots_filled / self.slots) if self.slots else None


async def _in_charge(session: AsyncSession, person: Person | None) -> list[Building]:
    """The buildings whose figures the person may read; NotALeader if none."""
    buildings = await buildings_in_charge(session, person)
    if not buildings:
        raise NotALeader()
    return buildings


async def leaders_report(
    session: AsyncSession,
    *,
    leader: Person | None,
    period: ReportPeriod,
    now: datetime,
    tz: ZoneInfo,
) -> LeadersReport:
    """The report for the buildings the leader leads (a coordinator: every building)."""
    buildings = await _in_charge(session, leader)
    ids = [b.id for b in buildings]
    first, after = period_bounds(period, now, tz)
    start, end = local_midnight(first, tz), local_midnight(after, tz)
    today = now.astimezone(tz).date()
    chart_first = min(first, today - timedelta(days=CHART_DAYS - 1))
    chart_last = max(min(today, after - timedelta(days=1)), first)
    days = {
        chart_first + timedelta(days=n): DayCounts(chart_first + timedelta(days=n))
        for n in range((chart_last - chart_first).days + 1)
    }
    since = min(start, local_midnight(chart_first, tz))

    help_ = await _help_figures(session, ids, start, end, since, days, tz)
    runs = await _runs(session, buildings, first, after)
    for run in await _runs(session, buildings, chart_first, chart_last + timedelta(days=1)):
        if run.status != RunStatus.MISSED:
            days[run.day].asked += run.expected
            days[run.day].answered += run.answered
    slots, filled = await _slots(session, ids, start, end)
    minutes, volunteers = await _hours(session, ids, start, end)
    return LeadersReport(
        period=str(period),
        first_day=first,
        last_day=after - timedelta(days=1),
        buildings=[b.name for b in buildings],
        runs=runs,
        help_opened=help_[0],
        help_claimed=help_[1],
        help_done=help_[2],
        median_claim_minutes=help_[3],
        slots=slots,
        slots_filled=filled,
        care_gaps=await _active_tasks(session, ids, CARE_GAP),
        groupbuys=await _groupbuys(session, ids, start, end),
        uncollected=await _active_tasks(session, ids, PICKUP_TASK),
        minutes=minutes,
        volunteers=volunteers,
        days=list(days.values()),
    )


async def _help_figures(
    session: AsyncSession,
    ids: list[int],
    start: datetime,
    end: datetime,
    since: datetime,
    days: dict[date, DayCounts],
    tz: ZoneInfo,
) -> tuple[int, int, int, int | None]:
    """(opened, claimed, done, median minutes to claim) in [start, end); `days` counted too."""
    rows = await session.execute(
        select(Task.created_at, Task.claimed_at, Task.closed_at, Task.status).where(
            Task.kind == HELP,
            Task.building_id.in_(ids),
            Task.created_at < end,
            or_(Task.created_at >= since, Task.claimed_at >= since, Task.closed_at >= since),
        )
    )
    opened = claimed = done = 0
    waits: list[float] = []

    def count(at: datetime | None, name: str) -> bool:
        if at is None:
            return False
        day = days.get(at.astimezone(tz).date())
        if day is not None:
            setattr(day, name, getattr(day, name) + 1)
        return start <= at < end

    for created_at, claimed_at, closed_at, status in rows:
        opened += count(created_at, "opened")
        if count(claimed_at, "claimed"):
            claimed += 1
            waits.append((claimed_at - created_at).total_seconds() / 60)
        if status == DONE:
            done += count(closed_at, "done")
    median = round(statistics.median(waits)) if waits else None
    return opened, claimed, done, median


async def _runs(
    session: AsyncSession, buildings: list[Building], first: date, after: date
) -> list[RunCoverage]:
    """The rollcall runs of the buildings on days [first, after), oldest first."""
    names = {b.id: b.name for b in buildings}
    rows = await session.execute(
        select(RollcallRun, Rollcall)
        .join(Rollcall, Rollcall.id == RollcallRun.rollcall_id)
        .where(
            Rollcall.building_id.in_(names),
            RollcallRun.day >= first,
            RollcallRun.day < after,
        )
        .order_by(RollcallRun.day, RollcallRun.opens_at, RollcallRun.id)
    )
    runs = []
    for run, rollcall in rows:
        expected, answered = run.expected, run.answered
        if run.status == RunStatus.OPEN:  # still running: as it stands now
            now_tally = await tally(session, run, rollcall)
            expected, answered = now_tally.expected, now_tally.answered
        runs.append(
            RunCoverage(
                ref=rollcall.ref,
                title=rollcall.title,
                building=names[rollcall.building_id],
                day=run.day,
                status=run.status,
                expected=expected,
                answered=answered,
            )
        )
    return runs


async def _slots(
    session: AsyncSession, ids: list[int], start: datetime, end: datetime
) -> tuple[int, int]:
    """(slots, filled) of the shifts starting in [start, end); a slot is one task."""
    total, filled = (
        await session.execute(
            select(
                func.count(Task.id),
                func.count(Task.id).filter(Task.status == DONE),
            ).where(
                Task.kind == SHIFT_SLOT,
                Task.building_id.in_(ids),
                Task.status != CANCELLED,
                Task.due_at >= start,
                Task.due_at < end,
            )
        )
    ).one()
    return int(total or 0), int(filled or 0)


async def _active_tasks(session: AsyncSession, ids: list[int], kind: str) -> int:
    """How many tasks of a kind are open or claimed now (gaps, uncollected pickups)."""
    found = await session.scalar(
        select(func.count(Task.id)).where(
            Task.kind == kind, Task.building_id.in_(ids), Task.status.in_(ACTIVE)
        )
    )
    return int(found or 0)


async def _groupbuys(session: AsyncSession, ids: list[int], start: datetime, end: datetime) -> int:
    """Group-buys opened in [start, end) (a draft never shown to anyone does not count)."""
    found = await session.scalar(
        select(func.count(GroupBuy.id)).where(
            GroupBuy.building_id.in_(ids),
            GroupBuy.status != DRAFT,
            GroupBuy.created_at >= start,
            GroupBuy.created_at < end,
        )
    )
    return int(found or 0)


async def _hours(
    session: AsyncSession, ids: list[int], start: datetime | None, end: datetime | None
) -> tuple[int, int]:
    """(minutes, volunteers) of the service that began in [start, end) in the buildings."""
    query = select(
        func.coalesce(func.sum(ServiceRecord.minutes), 0),
        func.count(func.distinct(ServiceRecord.person_id)),
    ).where(ServiceRecord.building_id.in_(ids))
    query = _within(query, ServiceRecord.started_at, start, end)
    minutes, people = (await session.execute(query)).one()
    return int(minutes or 0), int(people or 0)


def _within(
    query: Select[Any], column: Any, start: datetime | None, end: datetime | None
) -> Select[Any]:
    """The query limited to rows whose `column` falls in [start, end) (None: unbounded)."""
    if start is not None:
        query = query.where(column >= start)
    if end is not None:
        query = query.where(column < end)
    return query


# -- the daily report -------------------------------------------------------------------------


class ReportSubscription(Base):
    """A leader who gets the day's report in private at the configured time."""

    __tablename__ = "report_subscriptions"

    person_id: Mapped[int] = mapped_column(
        IntPK, ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    since: Mapped[datetime]
    # The local day whose report was last sent: a restart or a second tick sends it once.
    last_sent_on: Mapped[date | None] = mapped_column(Date)


async def set_daily_report(
    session: AsyncSession, person: Person | None, on: bool, now: datetime
) -> None:
    """Subscribe a leader to the daily report, or unsubscribe them; leaders only."""
    await _in_charge(session, person)
    assert person is not None
    if on:
        await session.execute(
            insert_ignoring_duplicates(session, ReportSubscription).values(
                person_id=person.id, since=now, last_sent_on=None
            )
        )
    else:
        await session.execute(
            delete(ReportSubscription).where(ReportSubscription.person_id == person.id)
        )


async def daily_report_subscribed(session: AsyncSession, person: Person | None) -> bool:
    """True if the person gets the daily report."""
    if person is None or person.id is None:
        return False
    return await session.get(ReportSubscription, person.id) is not None


async def due_daily_reports(
    session: AsyncSession, now: datetime, tz: ZoneInfo, at: time
) -> list[Person]:
    """Subscribers whose report for today is due and not yet sent; lapsed leaders are dropped."""
    local = now.astimezone(tz)
    if local.time() < at:
        return []
    today = local.date()
    rows = await session.scalars(
        select(Person)
        .join(ReportSubscription, ReportSubscription.person_id == Person.id)
        .where(
            or_(ReportSubscription.last_sent_on.is_(None), ReportSubscription.last_sent_on < today)
        )
        .order_by(Person.id)
    )
    due = []
    for person in list(rows):
        if await buildings_in_charge(session, person):
            due.append(person)
        else:  # no longer leads anything: nothing to report, ever
            await session.execute(
                delete(ReportSubscription).where(ReportSubscription.person_id == person.id)
            )
    return due


async def mark_daily_sent(
    session: AsyncSession, person: Person, now: datetime, tz: ZoneInfo
) -> bool:
    """Record today's report as sent to the person; False if it already was (by anyone)."""
    today = now.astimezone(tz).date()
    result = await session.execute(
        update(ReportSubscription)
        .where(
            ReportSubscription.person_id == person.id,
            or_(ReportSubscription.last_sent_on.is_(None), ReportSubscription.last_sent_on < today),
        )
        .values(last_sent_on=today)
    )
    return bool(result.rowcount)


# -- the exports ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TaskLine:
    """One row of `/export tasks`: a task's life, without its details."""

    id: int
    kind: str
    building: str
    status: str
    priority: int
    created_at: datetime
    claimed_at: datetime | None
    closed_at: datetime | None
    due_at: datetime | None
    assignee: str | None


@dataclass(frozen=True, slots=True)
class HoursLine:
    """One row of `/export hours`: a stretch of service (volunteer None: asked to be forgotten)."""

    volunteer: str | None
    building: str
    started_at: datetime
    kind: str
    minutes: int
    source: str


def _export_bounds(
    period: ReportPeriod | None, now: datetime, tz: ZoneInfo
) -> tuple[datetime | None, datetime | None]:
    if period is None:
        return None, None
    first, after = period_bounds(period, now, tz)
    return local_midnight(first, tz), local_midnight(after, tz)


async def _export_rows(
    session: AsyncSession,
    leader: Person | None,
    period: ReportPeriod | None,
    now: datetime,
    tz: ZoneInfo,
    model: Any,
    person_id: Any,
    at: Any,
) -> tuple[dict[int, str], Any]:
    """The leader's buildings by id, and the rows of `model` in them whose `at` falls in the
    period (None: all), oldest first, each with the display name and Telegram id of the
    person `person_id` names."""
    names = {b.id: b.name for b in await _in_charge(session, leader)}
    start, end = _export_bounds(period, now, tz)
    query = (
        select(model, Person.display_name, Person.tg_user_id)
        .outerjoin(Person, Person.id == person_id)
        .where(model.building_id.in_(names))
        .order_by(at, model.id)
    )
    return names, await session.execute(_within(query, at, start, end))


def _shown_name(display: str | None, tg_user_id: int | None) -> str | None:
    """A person's name as exports show it (None when nobody, or a forgotten person)."""
    if tg_user_id is None:
        return None
    return display or f"#{tg_user_id}"


async def tasks_export(
    session: AsyncSession,
    *,
    leader: Person | None,
    period: ReportPeriod | None,
    now: datetime,
    tz: ZoneInfo,
) -> list[TaskLine]:
    """The tasks of the leader's buildings opened in the period (None: all), oldest first."""
    names, rows = await _export_rows(
        session, leader, period, now, tz, Task, Task.assignee_id, Task.created_at
    )
    return [
        TaskLine(
            id=task.id,
            kind=task.kind,
            building=names[task.building_id] if task.building_id else "",
            status=task.status,
            priority=task.priority,
            created_at=task.created_at,
            claimed_at=task.claimed_at,
            closed_at=task.closed_at,
            due_at=task.due_at,
            assignee=_shown_name(display, tg_id),
        )
        for task, display, tg_id in rows
    ]


async def hours_export(
    session: AsyncSession,
    *,
    leader: Person | None,
    period: ReportPeriod | None,
    now: datetime,
    tz: ZoneInfo,
) -> list[HoursLine]:
    """The service records of the leader's buildings begun in the period (None: all)."""
    names, rows = await _export_rows(
        session,
        leader,
        period,
        now,
        tz,
        ServiceRecord,
        ServiceRecord.person_id,
        ServiceRecord.started_at,
    )
    return [
        HoursLine(
            volunteer=_shown_name(display, tg_id),
            building=names[record.building_id] if record.building_id else "",
            started_at=record.started_at,
            kind=record.kind,
            minutes=record.minutes,
            source=record.source_ref,
        )
        for record, display, tg_id in rows
    ]
