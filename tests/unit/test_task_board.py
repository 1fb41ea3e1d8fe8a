"""The shared board: one query over the task table, scoped by who asks, filtered and paged.

Runs on the migrated schema, on SQLite and (when configured) PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import errors
from models.people import (
    BuildingLeader,
    Coordinator,
    Person,
    ensure_building,
    ensure_community,
    ensure_person,
    register_household,
)
from models.task_board import (
    PAGE_SIZE,
    claim_board_task,
    finish_board_task,
    parse_task_filter,
    task_board,
    task_place,
)
from models.tasks import claim_task, open_task

Sessions = async_sessionmaker[AsyncSession]
NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("", "all"),
        ("mine", "mine"),
        ("我的", "mine"),
        ("超时", "overdue"),
        ("排班", "shift"),
        ("HELP", "help"),
        ("跟进", "followup"),
    ],
)
def test_filters_read_both_languages(text: str, found: str) -> None:
    assert parse_task_filter(text) == found


def test_unknown_filters_list_the_choices() -> None:
    with pytest.raises(errors.UnknownTaskFilter) as refused:
        parse_task_filter("urgentest")
    assert "mine" in refused.value.values["choices"]


async def _world(s: AsyncSession) -> dict[str, Person]:
    community = await ensure_community(s, "阳光花园", "Asia/Shanghai")
    three = await ensure_building(s, community.id, "3号楼", NOW)
    five = await ensure_building(s, community.id, "5号楼", NOW)
    people = {
        n: await ensure_person(s, i, n, NOW)
        for i, n in enumerate(["leader", "coordinator", "sarah", "tom", "resident"], 1)
    }
    await s.flush()
    for name, building, room in (
        ("sarah", three, "601"),
        ("tom", five, "101"),
        ("resident", three, "502"),
    ):
        await register_household(s, person=people[name], building_id=building.id, room_text=room)
    for name in ("sarah", "tom"):
        people[name].is_volunteer = True
    s.add(BuildingLeader(building_id=three.id, person_id=people["leader"].id, appointed_at=NOW))
    s.add(Coordinator(person_id=people["coordinator"].id, appointed_at=NOW))
    await s.flush()
    tasks = [
        ("help", "help:1", three, {"request": 1, "urgency": "urgent"}, NOW - timedelta(hours=1)),
        ("shift_slot", "shift:4:1", three, {"shift": 4, "slot": 1}, NOW + timedelta(hours=5)),
        ("care_gap", "care:2", three, {"care_id": 2}, None),
        (
            "rollcall_followup",
            "rc:1:9",
            three,
            {"household_id": people["resident"].household_id},
            None,
        ),
        ("help", "help:2", five, {"request": 2, "urgency": "today"}, None),
    ]
    for kind, ref, building, details, due in tasks:
        await open_task(
            s,
            kind=kind,
            source_ref=ref,
            now=NOW,
            building_id=building.id,
            details=details,
            due_at=due,
        )
    return people


async def test_each_person_sees_their_own_board(sessions: Sessions) -> None:
    """A leader: their building, every kind; a coordinator: all; a volunteer: what they may take."""
    async with sessions() as s, s.begin():
        p = await _world(s)
        leader = await task_board(s, p["leader"], filter="all", page=1, now=NOW)
        assert leader.leader and sorted(r.ref for r in leader.rows) == ["#4", "C-2", "H-1", "S-4"]
        everyone = await task_board(s, p["coordinator"], filter="all", page=1, now=NOW)
        assert everyone.total == 5
        sarah = await task_board(s, p["sarah"], filter="all", page=1, now=NOW)
        assert not sarah.leader and sorted(r.ref for r in sarah.rows) == ["#4", "H-1", "S-4"]
        overdue = await task_board(s, p["leader"], filter="overdue", page=1, now=NOW)
        assert [r.ref for r in overdue.rows] == ["H-1"] and overdue.rows[0].overdue
        shifts = await task_board(s, p["leader"], filter="shift", page=1, now=NOW)
        assert [r.ref for r in shifts.rows] == ["S-4"]
        with pytest.raises(errors.NotAVolunteer):
            await task_board(s, p["resident"], filter="all", page=1, now=NOW)


async def test_volunteers_take_and_finish_follow_ups_of_their_building(sessions: Sessions) -> None:
    async with sessions() as s, s.begin():
        p = await _world(s)
        followup = 4
        with pytest.raises(errors.NotYourTask):  # Tom lives in 5号楼
            await claim_board_task(s, task_id=followup, volunteer=p["tom"], now=NOW)
        with pytest.raises(errors.NotYourTask):  # help requests are taken with their own button
            await claim_board_task(s, task_id=1, volunteer=p["sarah"], now=NOW)
        task = await claim_board_task(s, task_id=followup, volunteer=p["sarah"], now=NOW)
        assert await task_place(s, task) == "502"
        mine = await task_board(s, p["sarah"], filter="mine", page=1, now=NOW)
        assert [(r.ref, r.mine) for r in mine.rows] == [("#4", True)]
        with pytest.raises(errors.NotYourTask):
            await finish_board_task(s, task_id=followup, volunteer=p["tom"], now=NOW)
        await finish_board_task(s, task_id=followup, volunteer=p["sarah"], now=NOW)
        assert (await task_board(s, p["sarah"], filter="mine", page=1, now=NOW)).rows == []


async def test_pages_stay_short(sessions: Sessions) -> None:
    """Thirty tasks: pages of PAGE_SIZE, most urgent first, the last page clamps."""
    async with sessions() as s, s.begin():
        p = await _world(s)
        leader_building = (
            (await task_board(s, p["leader"], filter="all", page=1, now=NOW))
            .rows[0]
            .task.building_id
        )
        for n in range(30):
            task = await open_task(
                s,
                kind="pickup",
                source_ref=f"gbo:{n}",
                now=NOW,
                building_id=leader_building,
                details={},
            )
            if n % 2:
                await claim_task(s, task.id, p["sarah"].id, NOW)
        first = await task_board(s, p["leader"], filter="all", page=1, now=NOW)
        assert (first.total, first.pages, len(first.rows)) == (34, 3, PAGE_SIZE)
        priorities = [r.task.priority for r in first.rows]
        assert priorities == sorted(priorities, reverse=True)
        last = await task_board(s, p["leader"], filter="all", page=9, now=NOW)
        assert (last.page, len(last.rows)) == (3, 34 - 2 * PAGE_SIZE)


async def test_a_rollcall_follow_up_names_its_room(sessions: Sessions) -> None:
    """Follow-ups from rollcalls name their household as `household`: the taker sees the room."""
    async with sessions() as s, s.begin():
        p = await _world(s)
        task = await open_task(
            s,
            kind="rollcall_followup",
            source_ref="rollcall:1:9",
            now=NOW,
            building_id=(await task_board(s, p["leader"], filter="all", page=1, now=NOW))
            .rows[0]
            .task.building_id,
            details={"household": p["resident"].household_id, "rollcall": 1, "run": 1},
        )
        assert await task_place(s, task) == "502"
