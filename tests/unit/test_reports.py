"""The leaders' report's figures, the daily-report subscriptions and the exports' rows, on the
migrated database (SQLite and, when configured, PostgreSQL)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.settings import Settings
from models import errors
from models.care import CARE_GAP
from models.groupbuy import DRAFT, OPEN, PICKUP_TASK, GroupBuy
from models.people import (
    BuildingLeader,
    Coordinator,
    Person,
    ensure_building,
    ensure_community,
    ensure_person,
    forget_person,
    register_household,
)
from models.records import ServiceRecord, record_service
from models.reports import (
    ReportPeriod,
    ReportSubscription,
    daily_report_subscribed,
    due_daily_reports,
    hours_export,
    leaders_report,
    mark_daily_sent,
    set_daily_report,
    tasks_export,
)
from models.rollcall_answers import RollcallAnswer
from models.rollcalls import Rollcall, RollcallRun
from models.shifts import SHIFT_SLOT
from models.tasks import CANCELLED, DONE, claim_task, close_task, open_task

Sessions = async_sessionmaker[AsyncSession]
TZ = ZoneInfo("Asia/Shanghai")
# Wednesday 25 November 2026, 18:00 in Shanghai.
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
DAILY_AT = time(21, 0)


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    """A local time in November 2026."""
    return datetime(2026, 11, day, hour, minute, tzinfo=TZ)


@dataclass
class Ids:
    building: int
    other: int
    leader: int
    coordinator: int
    resident: int
    volunteers: list[int]


async def _world(sessions: Sessions) -> Ids:
    """3号楼 led by 陈组长 and 5号楼 (no leader), a coordinator, a resident, two volunteers."""
    async with sessions() as s, s.begin():
        community = await ensure_community(s, "阳光花园", "Asia/Shanghai")
        building = await ensure_building(s, community.id, "3号楼", NOW)
        other = await ensure_building(s, community.id, "5号楼", NOW)
        leader = await ensure_person(s, 1, "陈组长", NOW)
        coordinator = await ensure_person(s, 2, "周协调", NOW)
        resident = await ensure_person(s, 99, "王阿姨", NOW)
        volunteers = [await ensure_person(s, 10 + i, f"志愿者{i}", NOW) for i in range(2)]
        await s.flush()
        await register_household(s, person=resident, building_id=building.id, room_text="3-502")
        s.add(BuildingLeader(building_id=building.id, person_id=leader.id, appointed_at=NOW))
        s.add(Coordinator(person_id=coordinator.id, appointed_at=NOW))
        return Ids(
            building.id,
            other.id,
            leader.id,
            coordinator.id,
            resident.id,
            [v.id for v in volunteers],
        )


async def _help(
    s: AsyncSession,
    ref: str,
    building: int,
    opened: datetime,
    claimed: datetime | None = None,
    done: datetime | None = None,
    volunteer: int | None = None,
) -> None:
    task = await open_task(s, kind="help", source_ref=ref, now=opened, building_id=building)
    if claimed is not None:
        assert volunteer is not None
        await claim_task(s, task.id, volunteer, claimed)
    if done is not None:
        await close_task(s, task.id, done)


async def _activity(sessions: Sessions, ids: Ids) -> None:
    """A week of the building's life (and a request in 5号楼 that 陈组长 must not see)."""
    v0, v1 = ids.volunteers
    b = ids.building
    async with sessions() as s, s.begin():
        # Today: A claimed after 30 min and done, B claimed after 90 min, C still open.
        await _help(s, "help:A", b, _at(25, 9), _at(25, 9, 30), _at(25, 11), volunteer=v0)
        await _help(s, "help:B", b, _at(25, 10), _at(25, 11, 30), volunteer=v1)
        await _help(s, "help:C", b, _at(25, 12))
        # Monday: D claimed after 10 minutes and done; early in the month: E, done.
        await _help(s, "help:D", b, _at(23, 8), _at(23, 8, 10), _at(23, 10), volunteer=v0)
        await _help(s, "help:E", b, _at(2, 8), _at(2, 12), _at(2, 13), volunteer=v1)
        await _help(s, "help:F", ids.other, _at(25, 9), _at(25, 9, 5), volunteer=v0)
        # Today's shift: 3 slots, 2 filled; a cancelled shift's slot counts for nothing.
        for slot, status in enumerate((DONE, DONE, "open", CANCELLED), start=1):
            task = await open_task(
                s,
                kind=SHIFT_SLOT,
                source_ref=f"shift:1:{slot}",
                now=_at(24, 9),
                building_id=b,
                due_at=_at(25, 14),
            )
            task.status = status
        # One resident still without a volunteer, one paired; one pickup left uncollected.
        await open_task(s, kind=CARE_GAP, source_ref="care:1", now=_at(20, 9), building_id=b)
        paired = await open_task(
            s, kind=CARE_GAP, source_ref="care:2", now=_at(20, 9), building_id=b
        )
        await close_task(s, paired.id, _at(21, 9))
        await open_task(s, kind=PICKUP_TASK, source_ref="gbo:1", now=_at(24, 20), building_id=b)
        for title, status, opened in (("菜", OPEN, _at(25, 8)), ("草稿", DRAFT, _at(25, 8))):
            s.add(
                GroupBuy(
                    building_id=b,
                    chat_id=-100,
                    title=title,
                    status=status,
                    deadline=_at(26, 20),
                    created_at=opened,
                )
            )
        # Service: 90 + 30 minutes today, 60 on the 20th; 45 in 5号楼.
        for person, building, start, minutes in (
            (v0, b, _at(25, 9), 90),
            (v1, b, _at(25, 11), 30),
            (v0, b, _at(20, 9), 60),
            (v1, ids.other, _at(25, 9), 45),
        ):
            record_service(
                s,
                person_id=person,
                building_id=building,
                kind="help",
                source_ref=f"task:{building}:{start.isoformat()}",
                started_at=start,
                ended_at=start + timedelta(minutes=minutes),
            )
        # Rollcalls: today's closed at 8 of 10, yesterday's missed, a households' one still open.
        daily = _rollcall(b, "每日平安")
        households = _rollcall(b, "晚点名")
        s.add_all([daily, households])
        await s.flush()
        s.add(_run(daily.id, 25, "closed", 10, 8))
        s.add(_run(daily.id, 24, "missed", 0, 0))
        running = _run(households.id, 25, "open", 0, 0)
        s.add(running)
        await s.flush()
        resident = await s.get(Person, ids.resident)
        assert resident is not None and resident.household_id is not None
        s.add(
            RollcallAnswer(
                run_id=running.id,
                subject=f"h:{resident.household_id}",
                answer="ok",
                person_id=resident.id,
                at=_at(25, 17),
            )
        )


def _rollcall(building: int, title: str) -> Rollcall:
    return Rollcall(
        building_id=building,
        chat_id=-100,
        title=title,
        audience="households",
        repeat="days",
        days=list(range(7)),
        start_minute=8 * 60,
        minutes=120,
        status="active",
        since=_at(1, 0),
        created_at=_at(1, 0),
    )


def _run(rollcall: int, day: int, status: str, expected: int, answered: int) -> RollcallRun:
    return RollcallRun(
        rollcall_id=rollcall,
        day=date(2026, 11, day),
        opens_at=_at(day, 8),
        closes_at=_at(day, 10) if status != "open" else _at(day, 20),
        remind_at=_at(day, 9),
        status=status,
        opened_at=_at(day, 8),
        expected=expected,
        answered=answered,
    )


async def _report(sessions: Sessions, person_id: int, period: ReportPeriod):  # type: ignore[no-untyped-def]
    async with sessions() as s:
        person = await s.get(Person, person_id)
        return await leaders_report(s, leader=person, period=period, now=NOW, tz=TZ)


async def test_todays_figures_match_what_happened(sessions: Sessions) -> None:
    """Requests opened/claimed/done and the median wait, slots, gaps, buys, hours, rollcalls."""
    ids = await _world(sessions)
    await _activity(sessions, ids)
    report = await _report(sessions, ids.leader, ReportPeriod.TODAY)
    assert report.buildings == ["3号楼"]
    assert (report.first_day, report.last_day) == (date(2026, 11, 25), date(2026, 11, 25))
    assert (report.help_opened, report.help_claimed, report.help_done) == (3, 2, 1)
    assert report.median_claim_minutes == 60  # of 30 and 90
    assert (report.slots, report.slots_filled, report.slots_percent) == (3, 2, 67)
    assert (report.care_gaps, report.uncollected, report.groupbuys) == (1, 1, 1)
    assert (report.minutes, report.volunteers) == (120, 2)
    assert [(r.title, r.status, r.answered, r.expected, r.percent) for r in report.runs] == [
        ("每日平安", "closed", 8, 10, 80),
        ("晚点名", "open", 1, 1, 100),
    ]
    # The chart still shows the week up to today, one bar group a day.
    assert [d.day for d in report.days] == [date(2026, 11, 19 + n) for n in range(7)]
    today, monday = report.days[-1], report.days[-3]
    assert (today.opened, today.claimed, today.done, today.rollcall_percent) == (3, 2, 1, 82)
    assert (monday.opened, monday.claimed, monday.done) == (1, 1, 1)
    assert report.days[-2].rollcall_percent is None  # the missed run asked nobody


async def test_the_week_and_the_month_take_in_more(sessions: Sessions) -> None:
    """The week starts on Monday, the month on the 1st; figures only grow with the period."""
    ids = await _world(sessions)
    await _activity(sessions, ids)
    week = await _report(sessions, ids.leader, ReportPeriod.WEEK)
    assert (week.first_day, week.last_day) == (date(2026, 11, 23), date(2026, 11, 29))
    assert (week.help_opened, week.help_claimed, week.help_done) == (4, 3, 2)
    assert week.median_claim_minutes == 30  # of 10, 30 and 90
    assert [r.status for r in week.runs] == ["missed", "closed", "open"]
    assert week.runs[0].percent is None
    month = await _report(sessions, ids.leader, ReportPeriod.MONTH)
    assert (month.first_day, month.last_day) == (date(2026, 11, 1), date(2026, 11, 30))
    assert (month.help_opened, month.help_claimed, month.help_done) == (5, 4, 3)
    assert (month.minutes, month.volunteers) == (180, 2)
    assert month.days[0].day == date(2026, 11, 1)
    assert month.days[-1].day == date(2026, 11, 25)  # no future days on the chart


async def test_a_coordinator_sees_every_building(sessions: Sessions) -> None:
    ids = await _world(sessions)
    await _activity(sessions, ids)
    report = await _report(sessions, ids.coordinator, ReportPeriod.TODAY)
    assert report.buildings == ["3号楼", "5号楼"]
    assert (report.help_opened, report.help_claimed) == (4, 3)
    assert (report.minutes, report.volunteers) == (165, 2)


async def test_an_empty_day_has_no_median_and_no_fill_rate(sessions: Sessions) -> None:
    ids = await _world(sessions)
    report = await _report(sessions, ids.leader, ReportPeriod.TODAY)
    assert report.median_claim_minutes is None and report.slots_percent is None
    assert report.runs == [] and report.minutes == 0


async def test_non_leaders_are_refused_and_nothing_changes(sessions: Sessions) -> None:
    ids = await _world(sessions)
    for person_id in (ids.resident, ids.volunteers[0]):
        with pytest.raises(errors.NotALeader):
            await _report(sessions, person_id, ReportPeriod.TODAY)
        async with sessions() as s:
            person = await s.get(Person, person_id)
            for export in (tasks_export, hours_export):
                with pytest.raises(errors.NotALeader):
                    await export(s, leader=person, period=None, now=NOW, tz=TZ)
        async with sessions() as s, s.begin():
            person = await s.get(Person, person_id)
            with pytest.raises(errors.NotALeader):
                await set_daily_report(s, person, True, NOW)
    async with sessions() as s:
        assert await s.scalar(select(func.count()).select_from(ReportSubscription)) == 0


async def _subscribe(sessions: Sessions, person_id: int, on: bool = True) -> None:
    async with sessions() as s, s.begin():
        await set_daily_report(s, await s.get(Person, person_id), on, NOW)


async def _due(sessions: Sessions, now: datetime) -> list[int]:
    """Who is due at `now`; each one is marked sent, as the job does."""
    async with sessions() as s, s.begin():
        due = await due_daily_reports(s, now, TZ, DAILY_AT)
        return [p.id for p in due if await mark_daily_sent(s, p, now, TZ)]


async def test_the_daily_report_is_due_once_a_day_from_its_time(sessions: Sessions) -> None:
    ids = await _world(sessions)
    await _subscribe(sessions, ids.leader)
    await _subscribe(sessions, ids.leader)  # twice: still one subscription
    async with sessions() as s:
        assert await daily_report_subscribed(s, await s.get(Person, ids.leader))
        assert not await daily_report_subscribed(s, await s.get(Person, ids.coordinator))
    assert await _due(sessions, _at(25, 20, 59)) == []
    assert await _due(sessions, _at(25, 21)) == [ids.leader]
    assert await _due(sessions, _at(25, 21, 5)) == []
    assert await _due(sessions, _at(25, 23, 59)) == []
    assert await _due(sessions, _at(26, 20)) == []
    assert await _due(sessions, _at(26, 21, 30)) == [ids.leader]
    async with sessions() as s:
        leader = await s.get(Person, ids.leader)
        assert leader is not None
        assert not await mark_daily_sent(s, leader, _at(26, 22), TZ)

    await _subscribe(sessions, ids.leader, on=False)
    assert await _due(sessions, _at(27, 21)) == []


async def test_a_leader_who_no_longer_leads_is_unsubscribed(sessions: Sessions) -> None:
    ids = await _world(sessions)
    await _subscribe(sessions, ids.leader)
    async with sessions() as s, s.begin():
        await s.execute(delete(BuildingLeader).where(BuildingLeader.person_id == ids.leader))
    assert await _due(sessions, _at(25, 21)) == []
    async with sessions() as s:
        assert await s.get(ReportSubscription, ids.leader) is None


async def test_the_hours_export_adds_up_to_the_service_records(sessions: Sessions) -> None:
    """Every record of the leader's buildings, a forgotten volunteer's minutes included."""
    ids = await _world(sessions)
    await _activity(sessions, ids)
    async with sessions() as s, s.begin():
        await forget_person(s, ids.volunteers[1])
    async with sessions() as s:
        leader = await s.get(Person, ids.leader)
        lines = await hours_export(s, leader=leader, period=None, now=NOW, tz=TZ)
        total = await s.scalar(
            select(func.sum(ServiceRecord.minutes)).where(ServiceRecord.building_id == ids.building)
        )
        week = await hours_export(s, leader=leader, period=ReportPeriod.WEEK, now=NOW, tz=TZ)
    assert sum(line.minutes for line in lines) == total == 180
    assert [(line.volunteer, line.minutes) for line in lines] == [
        ("志愿者0", 60),
        ("志愿者0", 90),
        (None, 30),
    ]
    assert sum(line.minutes for line in week) == 120


async def test_the_tasks_export_lists_the_buildings_tasks(sessions: Sessions) -> None:
    ids = await _world(sessions)
    await _activity(sessions, ids)
    async with sessions() as s:
        leader = await s.get(Person, ids.leader)
        lines = await tasks_export(s, leader=leader, period=None, now=NOW, tz=TZ)
        today = await tasks_export(s, leader=leader, period=ReportPeriod.TODAY, now=NOW, tz=TZ)
    kinds = [line.kind for line in lines]
    assert kinds.count("help") == 5 and kinds.count(SHIFT_SLOT) == 4  # F is in 5号楼
    assert [line.id for line in today] == sorted(line.id for line in today)
    assert {line.kind for line in today} == {"help"}
    first = next(line for line in today if line.status == DONE)
    assert first.assignee == "志愿者0" and first.claimed_at == _at(25, 9, 30)


def test_the_daily_time_is_read_from_the_setting() -> None:
    assert Settings(_env_file=None).report_time == time(21, 0)
    assert Settings(_env_file=None, LINLI_REPORT_DAILY_AT=" 07:30").report_time == time(7, 30)
    for wrong in ("25:00", "9pm", ""):
        with pytest.raises(ValidationError, match="LINLI_REPORT_DAILY_AT"):
            Settings(_env_file=None, LINLI_REPORT_DAILY_AT=wrong)
