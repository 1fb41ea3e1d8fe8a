"""Shifts in the domain: atomic slots, rest rules, who may cancel, hours, notices taken once.

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
from models.people import (
    BuildingLeader,
    Person,
    ensure_building,
    ensure_community,
    ensure_person,
)
from models.records import ServiceRecord
from models.rest_rules import RestRules, Rule
from models.shift_notices import due_notices
from models.shift_spec import ShiftSpec
from models.shifts import (
    ShiftAssignment,
    cancel_shift,
    check_out,
    claim_slot,
    drop_slot,
    post_shifts,
)

Sessions = async_sessionmaker[AsyncSession]
NOW = datetime(2026, 3, 1, 0, 0, tzinfo=UTC)
TZ = ZoneInfo("Asia/Shanghai")
RULES = RestRules()


def _spec(hours_from_now: int, *, people: int = 2, length: int = 4, days: int = 1) -> ShiftSpec:
    first = NOW + timedelta(hours=hours_from_now)
    starts = tuple(first + timedelta(days=d) for d in range(days))
    return ShiftSpec("门岗", starts, timedelta(hours=length), people, None)


async def _setup(sessions: Sessions, volunteers: int = 4) -> tuple[int, int, list[int]]:
    """A building with a leader and volunteers; returns (building, leader, volunteers) ids."""
    async with sessions() as s, s.begin():
        community = await ensure_community(s, "阳光花园", "Asia/Shanghai")
        building = await ensure_building(s, community.id, "3号楼", NOW)
        leader = await ensure_person(s, 1, "leader", NOW)
        people = [await ensure_person(s, 10 + i, f"v{i}", NOW) for i in range(volunteers)]
        for person in people:
            person.is_volunteer, person.skills = True, ["delivery"]
        await s.flush()
        s.add(BuildingLeader(building_id=building.id, person_id=leader.id, appointed_at=NOW))
        return building.id, leader.id, [p.id for p in people]


async def _post(sessions: Sessions, building: int, leader: int, spec: ShiftSpec) -> list[int]:
    async with sessions() as s, s.begin():
        posted = await post_shifts(
            s,
            leader=await s.get(Person, leader),
            building_id=building,
            chat_id=-100,
            spec=spec,
            now=NOW,
        )
        return [shift.id for shift in posted]


async def _claim(sessions: Sessions, shift_id: int, person_id: int) -> str:
    try:
        async with sessions() as s, s.begin():
            await claim_slot(
                s,
                shift_id=shift_id,
                volunteer=await s.get(Person, person_id),
                now=NOW,
                rules=RULES,
                tz=TZ,
            )
    except errors.DomainError as refused:
        return type(refused).__name__
    return "ok"


async def test_concurrent_claims_never_pass_the_slots(sessions: Sessions) -> None:
    """Six volunteers tap a two-slot shift at once, one of them twice: exactly two slots go."""
    building, leader, volunteers = await _setup(sessions, 6)
    [shift] = await _post(sessions, building, leader, _spec(30))
    results = await asyncio.gather(
        *(_claim(sessions, shift, v) for v in [*volunteers, volunteers[0]])
    )
    assert results.count("ok") == 2, results
    async with sessions() as s:
        assert await s.scalar(select(func.count()).select_from(ShiftAssignment)) == 2


async def test_rest_rules_and_timing(sessions: Sessions) -> None:
    """An overlap and a too-short rest are refused; dropping after the start is too late."""
    building, leader, volunteers = await _setup(sessions)
    a, b, c = await _post(sessions, building, leader, _spec(30, days=3))
    [overlapping] = await _post(sessions, building, leader, _spec(32))
    [soon_after] = await _post(sessions, building, leader, _spec(38, length=2))
    v = volunteers[0]
    assert await _claim(sessions, a, v) == "ok"
    assert await _claim(sessions, a, v) == "AlreadyOnShift"
    async with sessions() as s, s.begin():
        person = await s.get(Person, v)
        with pytest.raises(errors.ShiftRuleBroken) as broken:
            await claim_slot(s, shift_id=overlapping, volunteer=person, now=NOW, rules=RULES, tz=TZ)
        assert broken.value.values["violation"].rule == Rule.OVERLAP
    assert await _claim(sessions, soon_after, v) == "ShiftRuleBroken"  # 4 h of rest only
    assert await _claim(sessions, b, v) == "ok"  # the next day: 20 h of rest
    async with sessions() as s, s.begin():
        with pytest.raises(errors.ShiftStarted):
            await drop_slot(
                s, shift_id=a, volunteer=await s.get(Person, v), now=NOW + timedelta(hours=31)
            )
        dropped = await drop_slot(s, shift_id=b, volunteer=await s.get(Person, v), now=NOW)
        assert dropped.filled == 0
        with pytest.raises(errors.NotOnShift):
            await drop_slot(s, shift_id=c, volunteer=await s.get(Person, v), now=NOW)


async def test_only_leaders_post_and_cancel(sessions: Sessions) -> None:
    building, leader, volunteers = await _setup(sessions)
    with pytest.raises(errors.NotALeader):
        await _post(sessions, building, volunteers[0], _spec(30))
    [shift] = await _post(sessions, building, leader, _spec(30))
    assert await _claim(sessions, shift, volunteers[1]) == "ok"
    async with sessions() as s, s.begin():
        with pytest.raises(errors.NotALeader):
            await cancel_shift(
                s, shift_id=shift, leader=await s.get(Person, volunteers[0]), now=NOW
            )
    async with sessions() as s, s.begin():
        cancelled, told = await cancel_shift(
            s, shift_id=shift, leader=await s.get(Person, leader), now=NOW
        )
        assert cancelled.cancelled_at is not None and [p.id for p in told] == [volunteers[1]]


async def test_hours_are_recorded_once_checked_out_or_flagged(sessions: Sessions) -> None:
    """A check-out records the time served; without one, the scheduled time is recorded."""
    building, leader, volunteers = await _setup(sessions)
    [shift] = await _post(sessions, building, leader, _spec(30))
    for v in volunteers[:2]:
        assert await _claim(sessions, shift, v) == "ok"
    start = NOW + timedelta(hours=30)
    async with sessions() as s, s.begin():
        minutes = await check_out(
            s,
            shift_id=shift,
            volunteer=await s.get(Person, volunteers[0]),
            now=start + timedelta(hours=3),
        )
        assert minutes == 180
    async with sessions() as s, s.begin():
        notices = await due_notices(s, start + timedelta(hours=5, minutes=1))
        assert [(n.kind, n.person.id if n.person else None) for n in notices] == [
            ("end", volunteers[1]),
            ("auto_out", volunteers[1]),
        ]
        assert await due_notices(s, start + timedelta(hours=5, minutes=2)) == []
        flagged = await s.scalar(
            select(ShiftAssignment.flagged).where(ShiftAssignment.person_id == volunteers[1])
        )
        assert flagged is True
    async with sessions() as s:
        served = (await s.execute(select(ServiceRecord.person_id, ServiceRecord.minutes))).all()
        assert sorted(served) == [(volunteers[0], 180), (volunteers[1], 240)]
