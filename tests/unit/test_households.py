"""Who belongs to a household: founding, pending joins, approvals, moving out.

Runs on the migrated schema, on SQLite and (when configured) PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models.authority import bind_chat
from models.errors import (
    ChatNotBound,
    InvalidRoom,
    MissingRoom,
    NotHouseholdMember,
    NotRegistered,
    RegistrationPending,
    RequestDecided,
)
from models.households import (
    JoinStatus,
    decide_member,
    new_households_today,
    pending_members_for,
    register_in_chat,
)
from models.people import Person, bound_building, ensure_person, require_registered

Sessions = async_sessionmaker[AsyncSession]
NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)  # 17:00 in Shanghai
SHANGHAI = ZoneInfo("Asia/Shanghai")
GROUP = -1001


async def _person(session: AsyncSession, tg_id: int, *, reachable: bool = True) -> Person:
    person = await ensure_person(session, tg_id, f"p{tg_id}", NOW)
    person.started_private = reachable
    await session.flush()
    return person


async def _building(session: AsyncSession) -> Person:
    leader = await _person(session, 1)
    await bind_chat(
        session,
        chat_id=GROUP,
        title="1号楼群",
        building_name="1号楼",
        community_name="阳光花园",
        timezone="Asia/Shanghai",
        binder=leader,
        is_chat_admin=True,
        now=NOW,
    )
    return leader


async def _register(session: AsyncSession, person: Person, room: str, at: datetime = NOW):
    return await register_in_chat(session, chat_id=GROUP, person=person, room_text=room, now=at)


async def test_first_registrant_founds_the_household(sessions: Sessions) -> None:
    """The first person of a room founds it; registering again changes nothing."""
    async with sessions() as s, s.begin():
        await _building(s)
        alice = await _person(s, 3)
        first = await _register(s, alice, "3-502")
        assert (first.status, first.label) == (JoinStatus.FOUNDED, "3-502")
        require_registered(alice)
        again = await _register(s, alice, "3单元502室")
        assert again.status is JoinStatus.UNCHANGED
        with pytest.raises(InvalidRoom):
            await _register(s, alice, "五楼")
        with pytest.raises(MissingRoom):
            await _register(s, alice, " ")


async def test_a_second_registrant_waits_and_sees_nothing(sessions: Sessions) -> None:
    """Someone registering an occupied room is pending until a member approves."""
    async with sessions() as s, s.begin():
        await _building(s)
        alice, mallory = await _person(s, 3), await _person(s, 66)
        await _register(s, alice, "3-502")
        asked = await _register(s, mallory, "3-502")
        assert asked.status is JoinStatus.PENDING and not asked.by_leaders
        assert asked.approvers == [alice]
        assert mallory.household_id is None
        with pytest.raises(RegistrationPending):
            require_registered(mallory)
        # Another pending person cannot let themself (or anyone) in.
        with pytest.raises(NotHouseholdMember):
            await decide_member(
                s,
                applicant_id=mallory.id,
                household_id=asked.household_id,
                approver=mallory,
                approve=True,
                now=NOW,
            )
        assert [p for p, *_ in await pending_members_for(s, alice)] == [mallory]
        decision = await decide_member(
            s,
            applicant_id=mallory.id,
            household_id=asked.household_id,
            approver=alice,
            approve=False,
            now=NOW,
        )
        assert not decision.approved
        assert mallory.household_id is None and mallory.pending_household_id is None
        with pytest.raises(NotRegistered):
            require_registered(mallory)
        with pytest.raises(RequestDecided):
            await decide_member(
                s,
                applicant_id=mallory.id,
                household_id=asked.household_id,
                approver=alice,
                approve=True,
                now=NOW,
            )


async def test_leaders_decide_when_no_member_can_be_reached(sessions: Sessions) -> None:
    """A household whose members never started the bot: the building's leaders are asked."""
    async with sessions() as s, s.begin():
        leader = await _building(s)
        leader.started_private = True
        grandma = await _person(s, 3, reachable=False)
        await _register(s, grandma, "101")
        son = await _person(s, 4)
        asked = await _register(s, son, "101")
        assert asked.by_leaders and asked.approvers == [leader]
        decision = await decide_member(
            s,
            applicant_id=son.id,
            household_id=asked.household_id,
            approver=leader,
            approve=True,
            now=NOW,
        )
        assert decision.approved and son.household_id == grandma.household_id


async def test_moving_out_tells_who_stays(sessions: Sessions) -> None:
    """An approved move leaves the old household; its remaining members are returned."""
    async with sessions() as s, s.begin():
        await _building(s)
        alice, bob = await _person(s, 3), await _person(s, 4)
        await _register(s, alice, "502")
        joined = await _register(s, bob, "502")
        await decide_member(
            s,
            applicant_id=bob.id,
            household_id=joined.household_id,
            approver=alice,
            approve=True,
            now=NOW,
        )
        moved = await _register(s, bob, "601")
        assert moved.status is JoinStatus.FOUNDED
        assert (moved.left_behind, moved.previous_label) == ([alice], "502")


async def test_new_households_today_use_the_community_day(sessions: Sessions) -> None:
    """The daily card lists rooms founded since local midnight, not UTC midnight."""
    async with sessions() as s, s.begin():
        await _building(s)
        early = await _person(s, 3)
        # 15:59 UTC is 23:59 the day before in Shanghai.
        await _register(s, early, "101", at=datetime(2026, 2, 28, 15, 59, tzinfo=UTC))
        late = await _person(s, 4)
        await _register(s, late, "102", at=datetime(2026, 2, 28, 16, 1, tzinfo=UTC))
        building_id = (await bound_building(s, GROUP)).id
        assert await new_households_today(s, building_id, NOW, SHANGHAI) == ["102"]
        tomorrow = NOW + timedelta(days=1)
        assert await new_households_today(s, building_id, tomorrow, SHANGHAI) == []


async def test_register_needs_a_bound_group(sessions: Sessions) -> None:
    """/register in a group bound to nothing explains how to bind it."""
    async with sessions() as s, s.begin():
        person = await _person(s, 3)
        with pytest.raises(ChatNotBound):
            await _register(s, person, "502")
