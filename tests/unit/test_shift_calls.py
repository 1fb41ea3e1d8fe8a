"""Urgent calls, swaps and /fatigue in the domain, on SQLite and (when configured) PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import errors
from models.fatigue import fatigue_report
from models.people import (
    BuildingLeader,
    Person,
    ensure_building,
    ensure_community,
    ensure_person,
    register_household,
)
from models.rest_rules import RestRules
from models.shift_calls import (
    ASSIGNED,
    TOO_LATE,
    CallInvite,
    answer_call,
    due_widenings,
    open_call,
)
from models.shift_spec import ShiftSpec
from models.shift_swaps import offer_swap, take_swap
from models.shifts import ShiftAssignment, claim_slot, post_shifts

Sessions = async_sessionmaker[AsyncSession]
NOW = datetime(2026, 3, 4, 2, 0, tzinfo=UTC)  # a Wednesday, 10:00 in Shanghai
TZ = ZoneInfo("Asia/Shanghai")
RULES = RestRules()


def _reachable(person: Person) -> bool:
    return person.started_private


async def _setup(sessions: Sessions) -> tuple[int, int, int, list[int]]:
    """Two buildings; 3号楼 has a leader and five volunteers, 5号楼 one driver.

    Returns (building, leader, driver, volunteers); volunteer 3 rests, volunteer 4 is
    unreachable.
    """
    async with sessions() as s, s.begin():
        community = await ensure_community(s, "阳光花园", "Asia/Shanghai")
        building = await ensure_building(s, community.id, "3号楼", NOW)
        other = await ensure_building(s, community.id, "5号楼", NOW)
        leader = await ensure_person(s, 1, "leader", NOW)
        people = [await ensure_person(s, 10 + i, f"v{i}", NOW) for i in range(5)]
        driver = await ensure_person(s, 99, "driver", NOW)
        for n, person in enumerate(people):
            await register_household(
                s, person=person, building_id=building.id, room_text=f"{n + 1}01"
            )
            person.is_volunteer, person.skills, person.started_private = True, ["delivery"], True
        await register_household(s, person=driver, building_id=other.id, room_text="101")
        driver.is_volunteer, driver.skills, driver.started_private = True, ["driving"], True
        people[3].available = False
        people[4].started_private = False
        await s.flush()
        s.add(BuildingLeader(building_id=building.id, person_id=leader.id, appointed_at=NOW))
        return building.id, leader.id, driver.id, [p.id for p in people]


async def _call(
    sessions: Sessions, building: int, leader: int, people: int, skill: str | None = None
) -> tuple[int, list[int]]:
    async with sessions() as s, s.begin():
        opened = await open_call(
            s,
            leader=await s.get(Person, leader),
            building_id=building,
            chat_id=-100,
            spec=ShiftSpec("卸货", (NOW,), timedelta(hours=1), people, skill),
            now=NOW,
            rules=RULES,
            tz=TZ,
            reachable=_reachable,
        )
        return opened.shift.id, [p.id for p in opened.invited]


async def _answer(sessions: Sessions, shift: int, person: int) -> str:
    try:
        async with sessions() as s, s.begin():
            answer = await answer_call(
                s,
                shift_id=shift,
                volunteer=await s.get(Person, person),
                now=NOW,
                rules=RULES,
                tz=TZ,
            )
    except errors.DomainError as refused:
        return type(refused).__name__
    return "assigned" if answer.assigned else "full"


async def test_a_call_invites_the_available_and_fills_first_come(sessions: Sessions) -> None:
    """Resting, unreachable and busy volunteers are not asked; answers past the slots are kept."""
    building, leader, _driver, v = await _setup(sessions)
    async with sessions() as s, s.begin():
        # v2 is on another shift right now: not asked.
        [busy] = await post_shifts(
            s,
            leader=await s.get(Person, leader),
            building_id=building,
            chat_id=-100,
            spec=ShiftSpec("门岗", (NOW + timedelta(minutes=30),), timedelta(hours=2), 1, None),
            now=NOW - timedelta(days=1),
        )
        await claim_slot(
            s,
            shift_id=busy.id,
            volunteer=await s.get(Person, v[2]),
            now=NOW - timedelta(days=1),
            rules=RULES,
            tz=TZ,
        )
    shift, invited = await _call(sessions, building, leader, 1)
    assert invited == [v[0], v[1]]
    results = await asyncio.gather(*(_answer(sessions, shift, p) for p in invited))
    assert sorted(results) == ["assigned", "full"]
    assert await _answer(sessions, shift, v[3]) == "NotInvited"
    async with sessions() as s:
        outcomes = sorted((await s.execute(select(CallInvite.outcome))).scalars())
        assert outcomes == [ASSIGNED, TOO_LATE]
        assert (
            len(
                (
                    await s.scalars(
                        select(ShiftAssignment).where(ShiftAssignment.shift_id == shift)
                    )
                ).all()
            )
            == 1
        )


async def test_an_unfilled_call_widens_once(sessions: Sessions) -> None:
    """Ten minutes unfilled: the community's fitting volunteers, once; a filled call never."""
    building, leader, driver, _v = await _setup(sessions)
    needs_driver, invited = await _call(sessions, building, leader, 1, "driving")
    assert invited == []
    async with sessions() as s, s.begin():
        assert (
            await due_widenings(
                s, NOW + timedelta(minutes=9), rules=RULES, tz=TZ, reachable=_reachable
            )
            == []
        )
        [widening] = await due_widenings(
            s, NOW + timedelta(minutes=10), rules=RULES, tz=TZ, reachable=_reachable
        )
        assert widening.shift.id == needs_driver
        assert [p.id for p in widening.invited] == [driver]
        assert [p.id for p in widening.leaders] == [leader]
    async with sessions() as s, s.begin():
        assert (
            await due_widenings(
                s, NOW + timedelta(minutes=20), rules=RULES, tz=TZ, reachable=_reachable
            )
            == []
        )


async def test_swap_goes_to_the_first_eligible_taker(sessions: Sessions) -> None:
    """Not on it or started: refused; one's own offer, a skill missing: refused; then moved."""
    building, leader, driver, v = await _setup(sessions)
    async with sessions() as s, s.begin():
        [shift] = await post_shifts(
            s,
            leader=await s.get(Person, leader),
            building_id=building,
            chat_id=-100,
            spec=ShiftSpec("门岗", (NOW + timedelta(days=1),), timedelta(hours=4), 2, "delivery"),
            now=NOW,
        )
        await claim_slot(
            s, shift_id=shift.id, volunteer=await s.get(Person, v[0]), now=NOW, rules=RULES, tz=TZ
        )
        shift_id = shift.id
    async with sessions() as s, s.begin():
        with pytest.raises(errors.NotOnShift):
            await offer_swap(s, shift_id=shift_id, volunteer=await s.get(Person, v[1]), now=NOW)
        with pytest.raises(errors.ShiftStarted):
            await offer_swap(
                s,
                shift_id=shift_id,
                volunteer=await s.get(Person, v[0]),
                now=NOW + timedelta(days=2),
            )
        swap = await offer_swap(s, shift_id=shift_id, volunteer=await s.get(Person, v[0]), now=NOW)
        again = await offer_swap(s, shift_id=shift_id, volunteer=await s.get(Person, v[0]), now=NOW)
        assert again.id == swap.id
        swap_id = swap.id

    async def take(person: int) -> str:
        try:
            async with sessions() as s, s.begin():
                await take_swap(
                    s,
                    swap_id=swap_id,
                    taker=await s.get(Person, person),
                    now=NOW,
                    rules=RULES,
                    tz=TZ,
                )
        except errors.DomainError as refused:
            return type(refused).__name__
        return "ok"

    assert await take(v[0]) == "OwnSwap"
    assert await take(driver) == "ShiftRuleBroken"  # no delivery skill
    results = await asyncio.gather(take(v[1]), take(v[2]))
    assert sorted(results) == ["SwapClosed", "ok"], results
    async with sessions() as s:
        on = set((await s.scalars(select(ShiftAssignment.person_id))).all())
        assert len(on) == 1 and on <= {v[1], v[2]}


async def test_fatigue_reads_hours_and_silence(sessions: Sessions) -> None:
    """Scheduled hours count; near-limit, never-on-shift and never-answered are listed."""
    building, leader, _driver, v = await _setup(sessions)
    shift, _invited = await _call(sessions, building, leader, 1)
    assert await _answer(sessions, shift, v[0]) == "assigned"
    async with sessions() as s, s.begin():
        [long] = await post_shifts(
            s,
            leader=await s.get(Person, leader),
            building_id=building,
            chat_id=-100,
            spec=ShiftSpec("门岗", (NOW + timedelta(hours=2),), timedelta(hours=7), 1, None),
            now=NOW,
        )
        await claim_slot(
            s, shift_id=long.id, volunteer=await s.get(Person, v[1]), now=NOW, rules=RULES, tz=TZ
        )
    async with sessions() as s:
        with pytest.raises(errors.NotALeader):
            await fatigue_report(
                s,
                leader=await s.get(Person, v[0]),
                building_id=building,
                now=NOW,
                rules=RULES,
                tz=TZ,
            )
        report = await fatigue_report(
            s, leader=await s.get(Person, leader), building_id=None, now=NOW, rules=RULES, tz=TZ
        )
    assert report.buildings == ["3号楼"]
    assert [(w.name, w.minutes) for w in report.hours] == [("v1", 420), ("v0", 60)]
    assert [w.name for w in report.near] == ["v1"]
    assert report.never_on_shift == ["v2", "v3", "v4"]
    assert [(x.name, x.invited) for x in report.silent] == [("v1", 1), ("v2", 1)]
