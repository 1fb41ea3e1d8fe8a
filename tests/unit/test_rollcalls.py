"""Rollcalls in the domain: runs opened once, missed runs, answers, follow-ups, care checks.

Runs on the migrated schema, on SQLite and (when configured) PostgreSQL.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import errors
from models.care import CareResident
from models.help_requests import HelpRequest
from models.people import (
    BuildingLeader,
    Person,
    ensure_building,
    ensure_community,
    ensure_person,
    register_household,
)
from models.rollcall_answers import (
    answer_care,
    answer_rollcall,
    claim_followup,
    close_report,
    rollcall_steps,
    silent_people,
)
from models.rollcall_spec import parse_rollcall
from models.rollcalls import (
    RollcallRun,
    change_rollcall,
    load_run,
    schedule_rollcall,
)
from models.tasks import Task

Sessions = async_sessionmaker[AsyncSession]
TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)  # 08:00 in Shanghai


async def _world(sessions: Sessions, rooms: int = 3) -> tuple[int, int, list[int]]:
    """A building, its leader, and one resident per room (201, 202, ...)."""
    async with sessions() as s, s.begin():
        community = await ensure_community(s, "阳光花园", "Asia/Shanghai")
        building = await ensure_building(s, community.id, "3号楼", NOW)
        leader = await ensure_person(s, 1, "leader", NOW)
        residents = [await ensure_person(s, 10 + i, f"r{i}", NOW) for i in range(rooms)]
        await s.flush()
        s.add(BuildingLeader(building_id=building.id, person_id=leader.id, appointed_at=NOW))
        for i, person in enumerate(residents):
            await register_household(
                s, person=person, building_id=building.id, room_text=f"{201 + i}"
            )
        return building.id, leader.id, [p.id for p in residents]


async def _schedule(sessions: Sessions, building: int, leader: int, text: str, now=NOW):  # type: ignore[no-untyped-def]
    async with sessions() as s, s.begin():
        made, opened = await schedule_rollcall(
            s,
            leader=await s.get(Person, leader),
            building_id=building,
            chat_id=-100,
            spec=parse_rollcall(text, now=now, tz=TZ),
            now=now,
            tz=TZ,
        )
        return made.id, opened.run.id if opened else None


async def _tick(sessions: Sessions, now: datetime) -> list[tuple[str, int]]:
    async with sessions() as s, s.begin():
        return [(d.step, d.run.id) for d, _ in await rollcall_steps(s, now, TZ)]


async def _runs(sessions: Sessions) -> list[tuple[str, str]]:
    async with sessions() as s:
        rows = await s.execute(
            select(RollcallRun.day, RollcallRun.status).order_by(RollcallRun.day)
        )
        return [(str(day), status) for day, status in rows]


async def _answer(sessions: Sessions, run: int, person: int, answer: str, now=NOW) -> object:  # type: ignore[no-untyped-def]
    async with sessions() as s, s.begin():
        return await answer_rollcall(
            s,
            run_id=run,
            person=await s.get(Person, person),
            answer=answer,
            now=now,
            tz=TZ,
            help_description="rollcall: need help",
        )


async def test_two_concurrent_ticks_open_a_run_once(sessions: Sessions) -> None:
    building, leader, _ = await _world(sessions)
    await _schedule(
        sessions, building, leader, "daily 09:00-10:00 | 报平安", NOW - timedelta(hours=1)
    )
    assert await _tick(sessions, NOW) == []  # 08:00: not yet
    at = NOW + timedelta(hours=1, minutes=1)
    first, second = await asyncio.gather(_tick(sessions, at), _tick(sessions, at))
    assert sorted(step for step, _ in first + second) == ["open"]
    assert await _runs(sessions) == [("2026-11-30", "open")]
    assert await _tick(sessions, at + timedelta(minutes=1)) == []


async def test_downtime_opens_late_or_records_missed(sessions: Sessions) -> None:
    building, leader, _ = await _world(sessions)
    await _schedule(
        sessions, building, leader, "daily 09:00-10:00 | 报平安", NOW - timedelta(days=3)
    )
    # Back up on the 30th at 09:30: the 27th..29th were missed, today's opens late.
    steps = await _tick(sessions, NOW + timedelta(hours=1, minutes=30))
    assert [s for s, _ in steps] == ["missed", "missed", "missed", "open"]
    assert [status for _, status in await _runs(sessions)] == ["missed"] * 3 + ["open"]
    assert await _tick(sessions, NOW + timedelta(hours=1, minutes=31)) == []


async def test_answers_one_per_household_changeable_until_close(sessions: Sessions) -> None:
    building, leader, residents = await _world(sessions)
    async with sessions() as s, s.begin():
        other = await ensure_person(s, 99, "stranger", NOW)
        pending = await ensure_person(s, 98, "pending", NOW)
        await s.flush()
        first = await s.get(Person, residents[0])
        pending.pending_household_id = first.household_id
        other_id, pending_id = other.id, pending.id
    _, run = await _schedule(sessions, building, leader, "now 60m | 紧急点名")
    assert run is not None
    await _answer(sessions, run, residents[0], "well")
    changed = await _answer(sessions, run, residents[0], "help")
    assert changed.previous == "well" and changed.filed is not None
    again = await _answer(sessions, run, residents[0], "help")
    assert again.filed is None  # one help request per household and run
    with pytest.raises(errors.NotInRollcall):
        await _answer(sessions, run, other_id, "well")
    with pytest.raises(errors.RegistrationPending):
        await _answer(sessions, run, pending_id, "well")
    async with sessions() as s:
        requests = list(await s.scalars(select(HelpRequest)))
        assert [(r.source, r.category) for r in requests] == [("rollcall", "other")]
        task = await s.scalar(select(Task).where(Task.kind == "help"))
        assert task is not None and task.status == "open"
    # The reminder goes to the silent households only; after close, answers are refused.
    async with sessions() as s:
        the_run, rollcall = await load_run(s, run)
        silent = await silent_people(s, the_run, rollcall)
        assert sorted(p.id for p in silent) == sorted(residents[1:])
    steps = await _tick(sessions, NOW + timedelta(minutes=61))
    assert steps == [("close", run)]
    with pytest.raises(errors.RollcallClosed):
        await _answer(sessions, run, residents[1], "well", NOW + timedelta(minutes=62))


async def test_reminder_at_80_percent_then_close_once(sessions: Sessions) -> None:
    building, leader, _ = await _world(sessions)
    _, run = await _schedule(sessions, building, leader, "now 10m | 点名")
    assert await _tick(sessions, NOW + timedelta(minutes=7)) == []
    assert await _tick(sessions, NOW + timedelta(minutes=8)) == [("remind", run)]
    assert await _tick(sessions, NOW + timedelta(minutes=9)) == []
    at = NOW + timedelta(minutes=10)
    both = await asyncio.gather(_tick(sessions, at), _tick(sessions, at))
    assert sorted(both[0] + both[1]) == [("close", run)]


async def test_two_silent_runs_make_a_followup(sessions: Sessions) -> None:
    building, leader, residents = await _world(sessions)
    await _schedule(
        sessions, building, leader, "daily 09:00-10:00 | 报平安", NOW - timedelta(hours=1)
    )
    for day in range(2):
        base = NOW + timedelta(days=day)
        [(_, run)] = await _tick(sessions, base + timedelta(hours=1))
        await _answer(sessions, run, residents[0], "well", base + timedelta(hours=1))
        if day == 0:
            await _answer(sessions, run, residents[1], "well", base + timedelta(hours=1))
        assert ("close", run) in await _tick(sessions, base + timedelta(hours=2))
    async with sessions() as s:
        followups = list(await s.scalars(select(Task).where(Task.kind == "rollcall_followup")))
        # 202 answered the first day; only 203 was silent twice.
        assert len(followups) == 1 and followups[0].building_id == building
        task_id = followups[0].id
    async with sessions() as s, s.begin():
        volunteer = await s.get(Person, residents[0])
        volunteer.is_volunteer = True
        with pytest.raises(errors.NotInRollcall):
            await claim_followup(
                s, task_id=task_id, person=await s.get(Person, residents[2]), now=NOW
            )
    async with sessions() as s, s.begin():
        task, room = await claim_followup(
            s, task_id=task_id, person=await s.get(Person, residents[0]), now=NOW
        )
        assert (task.status, room) == ("claimed", "203")


async def test_care_could_not_reach_is_urgent(sessions: Sessions) -> None:
    building, leader, residents = await _world(sessions)
    async with sessions() as s, s.begin():
        volunteer = await s.get(Person, residents[0])
        volunteer.is_volunteer = True
        s.add(
            CareResident(
                building_id=building,
                room="301",
                name="王奶奶",
                needs=["elderly_alone"],
                volunteer_id=volunteer.id,
                created_at=NOW,
            )
        )
    _, run = await _schedule(sessions, building, leader, "now 30m | 探访 | care")
    async with sessions() as s, s.begin():
        care_id = await s.scalar(select(CareResident.id))
        with pytest.raises(errors.NotInRollcall):
            await answer_care(
                s, run_id=run, care_id=care_id, person=await s.get(Person, residents[1]),
                answer="ok", now=NOW,
            )  # fmt: skip
        checked = await answer_care(
            s, run_id=run, care_id=care_id, person=await s.get(Person, residents[0]),
            answer="unreachable", now=NOW,
        )  # fmt: skip
        assert checked.task is not None and checked.task.priority >= 30
        the_run, rollcall = await load_run(s, run)
        report = await close_report(s, the_run, rollcall, NOW)
        assert report.unreachable == ["301 王奶奶"] and report.coverage == 100


async def test_a_care_check_put_right_and_wrong_again_reopens_its_task(sessions: Sessions) -> None:
    building, leader, residents = await _world(sessions)
    async with sessions() as s, s.begin():
        volunteer = await s.get(Person, residents[0])
        volunteer.is_volunteer = True
        s.add(
            CareResident(
                building_id=building, room="301", name="王奶奶", needs=["elderly_alone"],
                volunteer_id=volunteer.id, created_at=NOW,
            )
        )  # fmt: skip
    _, run = await _schedule(sessions, building, leader, "now 30m | 探访 | care")
    for answer in ("unreachable", "ok", "help", "unreachable"):
        async with sessions() as s, s.begin():
            await answer_care(
                s, run_id=run, care_id=await s.scalar(select(CareResident.id)),
                person=await s.get(Person, residents[0]), answer=answer, now=NOW,
            )  # fmt: skip
    async with sessions() as s:
        tasks = list(await s.scalars(select(Task).where(Task.kind == "care_check")))
    assert [(t.status, t.details["answer"]) for t in tasks] == [("open", "unreachable")]
    assert tasks[0].priority >= 30, "could not reach is urgent again"


async def test_only_leaders_of_the_building_change_a_rollcall(sessions: Sessions) -> None:
    building, leader, residents = await _world(sessions)
    rollcall, _ = await _schedule(sessions, building, leader, "daily 09:00-10:00 | 报平安")
    async with sessions() as s, s.begin():
        with pytest.raises(errors.NotALeader):
            await change_rollcall(
                s, leader=await s.get(Person, residents[0]), rollcall_id=rollcall,
                building_id=building, action="stop", now=NOW,
            )  # fmt: skip
        with pytest.raises(errors.NoSuchRollcall):
            await change_rollcall(
                s, leader=await s.get(Person, leader), rollcall_id=rollcall + 1,
                building_id=building, action="stop", now=NOW,
            )  # fmt: skip
    async with sessions() as s, s.begin():
        paused = await change_rollcall(
            s, leader=await s.get(Person, leader), rollcall_id=rollcall,
            building_id=building, action="pause", now=NOW,
        )  # fmt: skip
        assert paused.status == "paused"
    assert await _tick(sessions, NOW + timedelta(hours=1, minutes=5)) == []
    async with sessions() as s:
        assert await s.scalar(select(func.count()).select_from(RollcallRun)) == 0
