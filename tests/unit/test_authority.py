"""Who may lead a building: founding binds, bind requests, approvals, leaders, coordinators.

Runs on the migrated schema, on SQLite and (when configured) PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models.audit import AuditEntry
from models.authority import (
    BindStatus,
    appoint_coordinator,
    appoint_leader,
    bind_chat,
    confirm_rebind,
    decide_bind_request,
    leaders_of_chat,
    remove_leader,
    requests_for,
    sync_coordinators,
)
from models.errors import (
    BadBuildingName,
    BindingPending,
    ChatNotBound,
    LeaderTargetInvalid,
    MoveNeedsLeader,
    NoSuchBuilding,
    NotALeader,
    NotALeaderTarget,
    NotChatAdmin,
    NotCoordinator,
    RequestDecided,
)
from models.people import (
    BindRequest,
    Building,
    BuildingLeader,
    GroupChat,
    Person,
    bound_building,
    buildings_of,
    ensure_person,
    is_coordinator,
    may_lead_here,
    require_leader,
)

Sessions = async_sessionmaker[AsyncSession]
NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
GROUP, ROGUE_GROUP = -1001, -6666
COMMUNITY = {"community_name": "阳光花园", "timezone": "Asia/Shanghai"}


async def _person(session: AsyncSession, tg_id: int, name: str = "") -> Person:
    person = await ensure_person(session, tg_id, name or f"p{tg_id}", NOW)
    await session.flush()
    return person


async def _bind(
    session: AsyncSession, who: Person, chat: int = GROUP, building: str = "1号楼", admin=True
):
    return await bind_chat(
        session,
        chat_id=chat,
        title=f"group {chat}",
        building_name=building,
        binder=who,
        is_chat_admin=admin,
        now=NOW,
        **COMMUNITY,
    )


async def _snapshot(session: AsyncSession) -> tuple:
    """Everything a takeover would change."""
    chats = (await session.execute(select(GroupChat.chat_id, GroupChat.building_id))).all()
    leaders = (
        await session.execute(select(BuildingLeader.building_id, BuildingLeader.person_id))
    ).all()
    return sorted(chats), sorted(leaders)


async def test_founding_leader_binds_at_once_and_is_audited(sessions: Sessions) -> None:
    """A building with no leaders: the binding admin becomes its founding leader."""
    async with sessions() as s, s.begin():
        founder = await _person(s, 1, "陈建国")
        binding = await _bind(s, founder)
        assert binding.status is BindStatus.BOUND
        assert await leaders_of_chat(s, GROUP) == ("1号楼", ["陈建国"])
        assert (await s.scalars(select(AuditEntry.action))).all() == ["bind_chat"]
        again = await _bind(s, founder, building=" 1号楼 ")
        assert again.status is BindStatus.UNCHANGED


async def test_bind_needs_an_admin_and_a_name(sessions: Sessions) -> None:
    """Only Telegram's creator/administrators bind; an empty name is refused."""
    async with sessions() as s, s.begin():
        person = await _person(s, 2)
        with pytest.raises(NotChatAdmin):
            await _bind(s, person, admin=False)
        with pytest.raises(BadBuildingName):
            await _bind(s, person, building="   ")


async def test_takeover_becomes_a_request_that_leaders_decide(sessions: Sessions) -> None:
    """Another group's owner asking for a led building gets no rights until a leader approves."""
    async with sessions() as s, s.begin():
        founder = await _person(s, 1, "陈建国")
        await _bind(s, founder)
        rogue = await _person(s, 66, "Mallory")
        before = await _snapshot(s)
        binding = await _bind(s, rogue, chat=ROGUE_GROUP)
        assert binding.status is BindStatus.REQUESTED and binding.new_request
        assert [p.name for p in binding.approvers] == ["陈建国"]
        assert await _snapshot(s) == before
        building_id = binding.building_id
        with pytest.raises(NotALeader):
            await require_leader(s, rogue, building_id)
        with pytest.raises(BindingPending):
            await bound_building(s, ROGUE_GROUP)
        repeat = await _bind(s, rogue, chat=ROGUE_GROUP)
        assert repeat.status is BindStatus.REQUESTED and not repeat.new_request
        assert await s.scalar(select(func.count()).select_from(BindRequest)) == 1
        # The requester cannot approve their own request.
        with pytest.raises(NotALeader):
            await decide_bind_request(
                s, request_id=binding.request_id, approver=rogue, approve=True, now=NOW
            )
        assert [r.id for r, _, _ in await requests_for(s, founder)] == [binding.request_id]
        decision = await decide_bind_request(
            s, request_id=binding.request_id, approver=founder, approve=False, now=NOW
        )
        assert not decision.approved and decision.requester is rogue
        assert await _snapshot(s) == before
        with pytest.raises(RequestDecided):
            await decide_bind_request(
                s, request_id=binding.request_id, approver=founder, approve=True, now=NOW
            )
        with pytest.raises(ChatNotBound):
            await bound_building(s, ROGUE_GROUP)
        actions = (await s.scalars(select(AuditEntry.action).order_by(AuditEntry.id))).all()
        assert actions == ["bind_chat", "request_bind", "reject_bind"]


async def test_approved_request_binds_and_makes_a_leader(sessions: Sessions) -> None:
    """Approval binds the second group and makes its admin a leader; both are audited."""
    async with sessions() as s, s.begin():
        founder = await _person(s, 1, "陈建国")
        await _bind(s, founder)
        helper = await _person(s, 7, "Sarah")
        request = await _bind(s, helper, chat=-1002)
        decision = await decide_bind_request(
            s, request_id=request.request_id, approver=founder, approve=True, now=NOW
        )
        assert decision.approved
        assert (await bound_building(s, -1002)).name == "1号楼"
        await require_leader(s, helper, request.building_id)
        actions = (await s.scalars(select(AuditEntry.action).order_by(AuditEntry.id))).all()
        assert actions[-2:] == ["approve_bind", "bind_chat"]


async def test_coordinators_approve_new_building_names(sessions: Sessions) -> None:
    """With coordinators, a new name stays out of the building list until one approves it."""
    async with sessions() as s, s.begin():
        await sync_coordinators(s, [900], NOW)
        coordinator = await _person(s, 900)
        someone = await _person(s, 5, "Trudy")
        request = await _bind(s, someone, chat=-5005, building="9号楼")
        assert request.status is BindStatus.REQUESTED
        assert [p.tg_user_id for p in request.approvers] == [900]
        assert await buildings_of(s, "阳光花园") == []
        with pytest.raises(BindingPending):
            await bound_building(s, -5005)
        await decide_bind_request(
            s, request_id=request.request_id, approver=coordinator, approve=False, now=NOW
        )
        # A rejected throwaway name leaves no building behind.
        assert await s.scalar(select(func.count()).select_from(Building)) == 0
        # A coordinator's own bind of a new name needs nobody's approval.
        bound = await _bind(s, coordinator, chat=-9009, building="9号楼")
        assert bound.status is BindStatus.BOUND
        assert [b.name for b in await buildings_of(s, "阳光花园")] == ["9号楼"]


async def test_configured_coordinators_follow_the_setting(sessions: Sessions) -> None:
    """Removing an id from LINLI_COORDINATORS revokes it; appointed coordinators stay."""
    async with sessions() as s, s.begin():
        await sync_coordinators(s, [900, 901], NOW)
        first = await _person(s, 900)
        name, changed = await appoint_coordinator(
            s, actor=first, target_tg_id=902, target_name="Zoe", now=NOW
        )
        assert (name, changed) == ("Zoe", True)
        await sync_coordinators(s, [900], NOW)
        assert await is_coordinator(s, first)
        assert not await is_coordinator(s, await _person(s, 901))
        assert await is_coordinator(s, await _person(s, 902))
        with pytest.raises(NotCoordinator):
            await appoint_coordinator(
                s, actor=await _person(s, 3), target_tg_id=4, target_name=None, now=NOW
            )


async def test_moving_a_group_needs_a_leader_of_its_building(sessions: Sessions) -> None:
    """An admin who is no leader cannot take a bound group away; a leader moves it after a yes."""
    async with sessions() as s, s.begin():
        founder = await _person(s, 1)
        await _bind(s, founder)
        other_admin = await _person(s, 8)
        with pytest.raises(MoveNeedsLeader):
            await _bind(s, other_admin, building="2号楼")
        asked = await _bind(s, founder, building="2号楼")
        assert (asked.status, asked.previous_name) == (BindStatus.CONFIRM, "1号楼")
        moved = await confirm_rebind(
            s,
            chat_id=GROUP,
            title="t",
            building_id=asked.building_id,
            binder=founder,
            is_chat_admin=True,
            now=NOW,
        )
        assert (moved.status, moved.building_name) == (BindStatus.BOUND, "2号楼")
        with pytest.raises(NoSuchBuilding):
            await confirm_rebind(
                s,
                chat_id=GROUP,
                title="t",
                building_id=999,
                binder=founder,
                is_chat_admin=True,
                now=NOW,
            )


async def test_leaders_appoint_and_remove_within_their_building(sessions: Sessions) -> None:
    """Leaders appoint leaders; residents and chat admins who lead nothing cannot."""
    async with sessions() as s, s.begin():
        founder = await _person(s, 1, "陈建国")
        await _bind(s, founder)
        resident = await _person(s, 3, "Bob")
        with pytest.raises(NotALeader):
            await appoint_leader(
                s,
                chat_id=GROUP,
                actor=resident,
                target_tg_id=3,
                target_name=None,
                target_in_chat=True,
                now=NOW,
            )
        with pytest.raises(LeaderTargetInvalid):
            await appoint_leader(
                s,
                chat_id=GROUP,
                actor=founder,
                target_tg_id=77,
                target_name=None,
                target_in_chat=False,
                now=NOW,
            )
        change = await appoint_leader(
            s,
            chat_id=GROUP,
            actor=founder,
            target_tg_id=3,
            target_name=None,
            target_in_chat=True,
            now=NOW,
        )
        assert change.changed and await may_lead_here(s, resident, GROUP)
        with pytest.raises(NotALeaderTarget):
            await remove_leader(s, chat_id=GROUP, actor=founder, target_tg_id=55, now=NOW)
        removed = await remove_leader(s, chat_id=GROUP, actor=resident, target_tg_id=1, now=NOW)
        assert removed.name == "陈建国"
        assert (await leaders_of_chat(s, GROUP))[1] == ["Bob"]
        with pytest.raises(NotALeader):
            await remove_leader(s, chat_id=GROUP, actor=founder, target_tg_id=3, now=NOW)
