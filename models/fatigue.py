"""Who is worn out and who never comes (/fatigue): read from records, rosters and call answers.

Seed 004: gate volunteers stood for weeks with nobody relieving them; seed 000: registered
volunteers are not active ones. Leaders see, for their buildings this local ISO week, the hours
per volunteer (service records plus shifts not yet recorded), those at 80 % or more of the
day or week limit, volunteers never on any shift, and those invited to urgent calls who never
answered one. Lists are clipped (a message holds 4,096 characters); counts say how many more.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.errors import NotALeader
from models.people import (
    Building,
    BuildingLeader,
    Household,
    Person,
    is_coordinator,
    require_leader,
)
from models.records import ServiceRecord
from models.rest_rules import RestRules
from models.shift_calls import CallInvite
from models.shifts import Shift, ShiftAssignment

NEAR = 0.8  # "near the limit": this share of the day or week limit
SHOWN = 15  # rows per list; the rest are counted


@dataclass(frozen=True, slots=True)
class Worked:
    """A volunteer's time this week: total minutes and their longest day."""

    name: str
    minutes: int
    peak_day: date | None = None
    peak_minutes: int = 0
    near_day: bool = False
    near_week: bool = False


@dataclass(frozen=True, slots=True)
class Silent:
    """A volunteer invited to urgent calls who answered none."""

    name: str
    invited: int


@dataclass(slots=True)
class FatigueReport:
    """What /fatigue shows; `more` counts rows clipped from each list."""

    buildings: list[str]
    week_start: date
    rules: RestRules
    volunteers: int = 0
    hours: list[Worked] = field(default_factory=list)
    near: list[Worked] = field(default_factory=list)
    never_on_shift: list[str] = field(default_factory=list)
    silent: list[Silent] = field(default_factory=list)
    more: dict[str, int] = field(default_factory=dict)


async def fatigue_report(
    session: AsyncSession,
    *,
    leader: Person | None,
    building_id: int | None,
    now: datetime,
    rules: RestRules,
    tz: ZoneInfo,
) -> FatigueReport:
    """The report for one building (in its group) or every building the leader leads."""
    scope = await _scope(session, leader, building_id)
    names = list(
        await session.scalars(
            select(Building.name).where(Building.id.in_(scope)).order_by(Building.name)
        )
    )
    today = now.astimezone(tz).date()
    monday = today - timedelta(days=today.weekday())
    window = (_midnight(monday, tz), _midnight(monday + timedelta(days=7), tz))
    people = list(
        await session.scalars(
            select(Person)
            .join(Household, Household.id == Person.household_id)
            .where(Person.is_volunteer.is_(True), Household.building_id.in_(scope))
            .order_by(Person.id)
        )
    )
    ids = [p.id for p in people]
    stints = await _stints(session, ids, window)
    on_shift = set(
        await session.scalars(
            select(ShiftAssignment.person_id).where(ShiftAssignment.person_id.in_(ids)).distinct()
        )
    ) | set(
        await session.scalars(
            select(ServiceRecord.person_id)
            .where(ServiceRecord.person_id.in_(ids), ServiceRecord.kind == "shift")
            .distinct()
        )
    )
    calls = (
        await session.execute(
            select(
                CallInvite.person_id,
                func.count(CallInvite.id),
                func.count(CallInvite.answered_at),
            )
            .where(CallInvite.person_id.in_(ids))
            .group_by(CallInvite.person_id)
        )
    ).all()
    unanswered = {pid: invited for pid, invited, answered in calls if answered == 0}

    report = FatigueReport(names, monday, rules, volunteers=len(people))
    worked = [_worked(p.name, stints.get(p.id, []), rules, tz) for p in people]
    hours = sorted((w for w in worked if w.minutes), key=lambda w: (-w.minutes, w.name))
    near = [w for w in hours if w.near_day or w.near_week]
    never = [p.name for p in people if p.id not in on_shift]
    silent = [Silent(p.name, unanswered[p.id]) for p in people if p.id in unanswered]
    report.hours, report.near = hours[:SHOWN], near[:SHOWN]
    report.never_on_shift, report.silent = never[:SHOWN], silent[:SHOWN]
    report.more = {
        "hours": max(0, len(hours) - SHOWN),
        "near": max(0, len(near) - SHOWN),
        "never": max(0, len(never) - SHOWN),
        "silent": max(0, len(silent) - SHOWN),
    }
    return report


async def _scope(
    session: AsyncSession, leader: Person | None, building_id: int | None
) -> list[int]:
    """The buildings the report covers; authority is checked here, not only in the handler."""
    if building_id is not None:
        await require_leader(session, leader, building_id)
        return [building_id]
    if leader is None or leader.id is None:
        raise NotALeader()
    if await is_coordinator(session, leader):
        return list(await session.scalars(select(Building.id)))
    led = list(
        await session.scalars(
            select(BuildingLeader.building_id).where(BuildingLeader.person_id == leader.id)
        )
    )
    if not led:
        raise NotALeader()
    return led


async def _stints(
    session: AsyncSession, ids: list[int], window: tuple[datetime, datetime]
) -> dict[int, list[tuple[datetime, datetime]]]:
    """Each volunteer's service this week: records, and shifts not recorded yet (scheduled)."""
    low, high = window
    found: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    records = await session.execute(
        select(ServiceRecord.person_id, ServiceRecord.started_at, ServiceRecord.ended_at).where(
            ServiceRecord.person_id.in_(ids),
            ServiceRecord.started_at < high,
            ServiceRecord.ended_at > low,
        )
    )
    for pid, start, end in records.all():
        found[pid].append((start, end))
    # A checked-out (or auto-closed) assignment is already a service record: counted above.
    planned = await session.execute(
        select(ShiftAssignment.person_id, Shift.starts_at, Shift.ends_at)
        .join(Shift, Shift.id == ShiftAssignment.shift_id)
        .where(
            ShiftAssignment.person_id.in_(ids),
            ShiftAssignment.checked_out_at.is_(None),
            Shift.cancelled_at.is_(None),
            Shift.starts_at < high,
            Shift.ends_at > low,
        )
    )
    for pid, start, end in planned.all():
        found[pid].append((start, end))
    return {pid: [_clip(s, window) for s in spans] for pid, spans in found.items()}


def _worked(
    name: str, spans: list[tuple[datetime, datetime]], rules: RestRules, tz: ZoneInfo
) -> Worked:
    """Total and per-day time, against the rest rules' limits."""
    per_day: dict[date, timedelta] = defaultdict(timedelta)
    for start, end in spans:
        cursor = start
        while cursor < end:
            day = cursor.astimezone(tz).date()
            cut = min(end, _midnight(day + timedelta(days=1), tz))
            per_day[day] += cut - cursor
            cursor = cut
    total = sum(per_day.values(), timedelta())
    if not per_day:
        return Worked(name, 0)
    peak_day, peak = max(per_day.items(), key=lambda item: (item[1], item[0]))
    return Worked(
        name,
        _minutes(total),
        peak_day,
        _minutes(peak),
        near_day=peak >= rules.max_per_day * NEAR,
        near_week=total >= rules.max_per_week * NEAR,
    )


def _clip(
    span: tuple[datetime, datetime], window: tuple[datetime, datetime]
) -> tuple[datetime, datetime]:
    return max(span[0], window[0]), min(span[1], window[1])


def _midnight(day: date, tz: ZoneInfo) -> datetime:
    # Through UTC: a day the clocks change still starts at a real instant.
    return datetime.combine(day, time(), tzinfo=tz).astimezone(UTC)


def _minutes(span: timedelta) -> int:
    return int(span.total_seconds() // 60)
