"""Who may lead a building: coordinators, founding leaders, appointed leaders, bind requests.

A chat's creator or administrator may bind a group to a building that has no leaders yet and
becomes its founding leader. A group asking for a building that already has leaders (or, when
coordinators are configured, for a name nobody approved yet) only files a request, which the
building's leaders or a coordinator approve with a button; until then the group is pending and
its admin has no rights over the building. Every decision is audited.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models.audit import record_action
from models.errors import (
    BadBuildingName,
    LeaderTargetInvalid,
    MoveNeedsLeader,
    NoSuchBindRequest,
    NoSuchBuilding,
    NotALeader,
    NotALeaderTarget,
    NotChatAdmin,
    NotCoordinator,
    RequestDecided,
)
from models.people import (
    MAX_BUILDING_NAME,
    REQUEST_APPROVED,
    REQUEST_PENDING,
    REQUEST_REJECTED,
    REQUEST_WITHDRAWN,
    BindRequest,
    Building,
    BuildingLeader,
    ChatPurpose,
    Coordinator,
    GroupChat,
    Person,
    add_leader,
    bound_building,
    coordinators,
    ensure_community,
    ensure_person,
    find_person,
    is_coordinator,
    is_leader,
    leaders_of,
    require_leader,
)


class BindStatus(StrEnum):
    """What /bind did."""

    BOUND = "bound"
    UNCHANGED = "unchanged"
    CONFIRM = "confirm"
    REQUESTED = "requested"


@dataclass(frozen=True, slots=True)
class Binding:
    """The outcome of /bind (or of confirming a move).

    For REQUESTED, `approvers` are the people to ask and `request_id` names the request;
    `new_request` is False when the same request was already waiting (nobody is asked twice).
    """

    status: BindStatus
    building_id: int
    building_name: str
    previous_name: str | None = None
    request_id: int | None = None
    approvers: list[Person] = field(default_factory=list)
    new_request: bool = False
    purpose: ChatPurpose = ChatPurpose.RESIDENTS


# The word after the building's name that makes a group the building's volunteers' group.
_VOLUNTEER_WORDS = frozenset({"volunteers", "volunteer", "志愿者", "志愿者群", "志愿群"})


def split_purpose(text: str) -> tuple[str, ChatPurpose]:
    """`3号楼 volunteers` → ("3号楼", VOLUNTEERS); a plain name binds the residents' group."""
    words = unicodedata.normalize("NFKC", text or "").split()
    if len(words) > 1 and words[-1].lower() in _VOLUNTEER_WORDS:
        return " ".join(words[:-1]), ChatPurpose.VOLUNTEERS
    return text, ChatPurpose.RESIDENTS


def clean_building_name(text: str) -> str:
    """A building name as stored: single spaces, full-width letters folded; 1..max characters."""
    name = " ".join(unicodedata.normalize("NFKC", text or "").split())
    if not name or len(name) > MAX_BUILDING_NAME:
        raise BadBuildingName(text=text or "")
    return name


async def bind_chat(
    session: AsyncSession,
    *,
    chat_id: int,
    title: str | None,
    building_name: str,
    community_name: str,
    timezone: str,
    binder: Person,
    is_chat_admin: bool,
    now: datetime,
) -> Binding:
    """/bind: bind a group, ask for a confirmation to move it, or file a request to approvers."""
    if not is_chat_admin:
        raise NotChatAdmin()
    name_text, purpose = split_purpose(building_name)
    name = clean_building_name(name_text)
    community = await ensure_community(session, community_name, timezone)
    building = await session.scalar(
        select(Building).where(Building.community_id == community.id, Building.name == name)
    )
    chat = await session.get(GroupChat, chat_id)
    if chat is not None:
        current = await session.get(Building, chat.building_id)
        current_name = current.name if current else None
        if building is not None and chat.building_id == building.id:
            if chat.purpose == purpose:
                return Binding(BindStatus.UNCHANGED, building.id, building.name, purpose=purpose)
            await _require_mover(session, binder, chat.building_id, current_name or "")
            return await _bind(session, chat_id, title, building, binder, binder, now, purpose)
        await _require_mover(session, binder, chat.building_id, current_name or "")
        if building is None:
            building = _new_building(session, community.id, name, now, approved=False)
            await session.flush()
        # The button carries the building's id; an unapproved new name stays invisible.
        return Binding(
            BindStatus.CONFIRM, building.id, building.name, current_name, purpose=purpose
        )
    if building is None:
        building = _new_building(
            session,
            community.id,
            name,
            now,
            approved=not await coordinators(session) or await is_coordinator(session, binder),
        )
        await session.flush()
    return await _settle(session, chat_id, title, building, binder, now, purpose)


async def confirm_rebind(
    session: AsyncSession,
    *,
    chat_id: int,
    title: str | None,
    building_id: int,
    binder: Person,
    is_chat_admin: bool,
    now: datetime,
    purpose: ChatPurpose = ChatPurpose.RESIDENTS,
) -> Binding:
    """Move a bound group to another building after its admin confirmed it."""
    if not is_chat_admin:
        raise NotChatAdmin()
    building = await session.get(Building, building_id)
    chat = await session.get(GroupChat, chat_id)
    if building is None or chat is None:
        raise NoSuchBuilding()
    if chat.building_id == building.id:
        return Binding(BindStatus.UNCHANGED, building.id, building.name, purpose=purpose)
    current = await session.get(Building, chat.building_id)
    await _require_mover(session, binder, chat.building_id, current.name if current else "")
    if not building.approved and not await coordinators(session):
        building.approved = True
    return await _settle(session, chat_id, title, building, binder, now, purpose)


def _new_building(
    session: AsyncSession, community_id: int, name: str, now: datetime, *, approved: bool
) -> Building:
    building = Building(community_id=community_id, name=name, created_at=now, approved=approved)
    session.add(building)
    return building


async def _require_mover(
    session: AsyncSession, binder: Person, building_id: int, building_name: str
) -> None:
    """Taking a group away from its building is for that building's leaders (or coordinators)."""
    try:
        await require_leader(session, binder, building_id)
    except NotALeader:
        raise MoveNeedsLeader(building=building_name) from None


async def _settle(
    session: AsyncSession,
    chat_id: int,
    title: str | None,
    building: Building,
    binder: Person,
    now: datetime,
    purpose: ChatPurpose = ChatPurpose.RESIDENTS,
) -> Binding:
    """Bind now if the binder may; otherwise file (or repeat) a request to the approvers."""
    coordinator = await is_coordinator(session, binder)
    leaders = await leaders_of(session, building.id)
    if coordinator or (building.approved and (not leaders or binder in leaders)):
        building.approved = True
        return await _bind(session, chat_id, title, building, binder, binder, now, purpose)
    approvers = await _approvers(session, building)
    waiting = await session.scalar(
        select(BindRequest).where(
            BindRequest.chat_id == chat_id, BindRequest.status == REQUEST_PENDING
        )
    )
    if waiting is not None and waiting.building_id == building.id:
        waiting.purpose = purpose
        return Binding(
            BindStatus.REQUESTED,
            building.id,
            building.name,
            request_id=waiting.id,
            approvers=approvers,
            purpose=purpose,
        )
    if waiting is not None:
        # One open request per group: asking for another building replaces the earlier one.
        waiting.status, waiting.decided_at = REQUEST_WITHDRAWN, now
    request = BindRequest(
        chat_id=chat_id,
        chat_title=(title or "")[:128],
        building_id=building.id,
        requested_by=binder.id,
        status=REQUEST_PENDING,
        created_at=now,
        purpose=purpose,
    )
    session.add(request)
    await session.flush()
    record_action(
        session,
        actor=binder,
        action="request_bind",
        now=now,
        chat_id=chat_id,
        building_id=building.id,
        details={"request_id": request.id, "new_building": not building.approved},
    )
    return Binding(
        BindStatus.REQUESTED,
        building.id,
        building.name,
        request_id=request.id,
        approvers=approvers,
        new_request=True,
        purpose=purpose,
    )


async def _approvers(session: AsyncSession, building: Building) -> list[Person]:
    """Who decides: the building's leaders and the coordinators (a new name: coordinators)."""
    found = await leaders_of(session, building.id) if building.approved else []
    for person in await coordinators(session):
        if person not in found:
            found.append(person)
    return found


async def _bind(
    session: AsyncSession,
    chat_id: int,
    title: str | None,
    building: Building,
    binder: Person,
    actor: Person,
    now: datetime,
    purpose: ChatPurpose = ChatPurpose.RESIDENTS,
) -> Binding:
    """Bind (or move) the group; the binder leads the building from now on."""
    chat = await session.get(GroupChat, chat_id)
    previous_id = chat.building_id if chat is not None else None
    if chat is None:
        chat = GroupChat(chat_id=chat_id, building_id=building.id, bound_at=now, bound_by=binder.id)
        session.add(chat)
    chat.title = (title or chat.title or "")[:128]
    chat.building_id, chat.bound_at, chat.bound_by = building.id, now, binder.id
    chat.purpose = purpose
    if not await is_coordinator(session, binder):
        await add_leader(session, building.id, binder, appointed_by=actor, now=now)
    record_action(
        session,
        actor=actor,
        action="rebind_chat" if previous_id else "bind_chat",
        now=now,
        chat_id=chat_id,
        building_id=building.id,
        details={
            "previous_building_id": previous_id,
            "binder_id": binder.id,
            "purpose": str(purpose),
        },
    )
    previous = await session.get(Building, previous_id) if previous_id else None
    if previous is not None and previous.id == building.id:
        previous = None  # only the group's purpose changed
    return Binding(
        BindStatus.BOUND,
        building.id,
        building.name,
        previous.name if previous else None,
        purpose=purpose,
    )


@dataclass(frozen=True, slots=True)
class BindDecision:
    """An approver's answer to a bind request, with whom to tell."""

    approved: bool
    chat_id: int
    chat_title: str
    building_id: int
    building_name: str
    requester: Person | None
    other_approvers: list[Person]


async def pending_bind_request(session: AsyncSession, request_id: int) -> BindRequest:
    """A request still waiting for a decision; raise RequestDecided otherwise."""
    request = await session.get(BindRequest, request_id)
    if request is None:
        raise NoSuchBindRequest()
    if request.status != REQUEST_PENDING:
        raise RequestDecided()
    return request


async def decide_bind_request(
    session: AsyncSession, *, request_id: int, approver: Person, approve: bool, now: datetime
) -> BindDecision:
    """A leader of the building (or a coordinator) approves or rejects a bind request."""
    request = await pending_bind_request(session, request_id)
    building = await session.get(Building, request.building_id)
    assert building is not None  # requests cascade with their building
    allowed = await is_coordinator(session, approver) or (
        building.approved and await is_leader(session, approver.id, building.id)
    )
    if not allowed:
        raise NotALeader()
    requester = await session.get(Person, request.requested_by) if request.requested_by else None
    request.status = REQUEST_APPROVED if approve else REQUEST_REJECTED
    request.decided_by, request.decided_at = approver.id, now
    record_action(
        session,
        actor=approver,
        action="approve_bind" if approve else "reject_bind",
        now=now,
        chat_id=request.chat_id,
        building_id=building.id,
        details={"request_id": request.id},
    )
    if approve:
        building.approved = True
        if requester is not None:
            await _bind(
                session,
                request.chat_id,
                request.chat_title,
                building,
                requester,
                approver,
                now,
                ChatPurpose(request.purpose),
            )
    others = [p for p in await _approvers(session, building) if p.id != approver.id]
    name, building_id = building.name, building.id
    if not approve and not building.approved:
        await _drop_if_unused(session, building)
    return BindDecision(
        approve, request.chat_id, request.chat_title, building_id, name, requester, others
    )


async def _drop_if_unused(session: AsyncSession, building: Building) -> None:
    """A rejected new name leaves no trace unless another request still waits for it."""
    waiting = await session.scalar(
        select(BindRequest.id).where(
            BindRequest.building_id == building.id, BindRequest.status == REQUEST_PENDING
        )
    )
    if waiting is None:
        await session.execute(delete(Building).where(Building.id == building.id))


async def requests_for(
    session: AsyncSession, approver: Person
) -> list[tuple[BindRequest, str, str]]:
    """The bind requests this person may decide, oldest first, with building and asker names."""
    coordinator = await is_coordinator(session, approver)
    query = (
        select(BindRequest, Building.name)
        .join(Building, Building.id == BindRequest.building_id)
        .where(BindRequest.status == REQUEST_PENDING)
        .order_by(BindRequest.id)
    )
    if not coordinator:
        led = select(BuildingLeader.building_id).where(BuildingLeader.person_id == approver.id)
        query = query.where(Building.id.in_(led), Building.approved.is_(True))
    found = []
    for request, name in (await session.execute(query)).all():
        asker = await session.get(Person, request.requested_by) if request.requested_by else None
        found.append((request, name, asker.name if asker else ""))
    return found


# -- leaders -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LeaderChange:
    """The outcome of /leader or /unleader."""

    name: str
    building_name: str
    changed: bool


async def appoint_leader(
    session: AsyncSession,
    *,
    chat_id: int,
    actor: Person,
    target_tg_id: int,
    target_name: str | None,
    target_in_chat: bool,
    now: datetime,
) -> LeaderChange:
    """A leader of the group's building makes a member of the group a leader too."""
    building = await bound_building(session, chat_id)
    await require_leader(session, actor, building.id)
    if not target_in_chat:
        raise LeaderTargetInvalid()
    target = await ensure_person(session, target_tg_id, target_name, now)
    changed = await add_leader(session, building.id, target, appointed_by=actor, now=now)
    if changed:
        record_action(
            session,
            actor=actor,
            action="appoint_leader",
            now=now,
            chat_id=chat_id,
            building_id=building.id,
            details={"person_id": target.id},
        )
    return LeaderChange(target.name, building.name, changed)


async def remove_leader(
    session: AsyncSession,
    *,
    chat_id: int,
    actor: Person,
    target_tg_id: int,
    now: datetime,
) -> LeaderChange:
    """A leader of the group's building removes a leader of it."""
    building = await bound_building(session, chat_id)
    await require_leader(session, actor, building.id)
    target = await find_person(session, target_tg_id)
    if target is None:
        raise NotALeaderTarget()
    result = await session.execute(
        delete(BuildingLeader).where(
            BuildingLeader.building_id == building.id, BuildingLeader.person_id == target.id
        )
    )
    if not result.rowcount:
        raise NotALeaderTarget()
    record_action(
        session,
        actor=actor,
        action="remove_leader",
        now=now,
        chat_id=chat_id,
        building_id=building.id,
        details={"person_id": target.id},
    )
    return LeaderChange(target.name, building.name, True)


async def leaders_of_chat(session: AsyncSession, chat_id: int) -> tuple[str, list[str]]:
    """The building of a group and its leaders' names."""
    building = await bound_building(session, chat_id)
    return building.name, [p.name for p in await leaders_of(session, building.id)]


# -- coordinators ------------------------------------------------------------------------------


async def sync_coordinators(
    session: AsyncSession, tg_user_ids: Iterable[int], now: datetime
) -> None:
    """Make the configured coordinators (LINLI_COORDINATORS) exactly the configured ones."""
    wanted = set(tg_user_ids)
    persons = [await ensure_person(session, tg_id, None, now) for tg_id in sorted(wanted)]
    await session.flush()
    ids = [p.id for p in persons]
    await session.execute(
        delete(Coordinator).where(
            Coordinator.configured.is_(True), Coordinator.person_id.not_in(ids)
        )
    )
    for person in persons:
        existing = await session.get(Coordinator, person.id)
        if existing is None:
            session.add(Coordinator(person_id=person.id, configured=True, appointed_at=now))
        elif not existing.configured:
            await session.execute(
                update(Coordinator)
                .where(Coordinator.person_id == person.id)
                .values(configured=True)
            )


async def appoint_coordinator(
    session: AsyncSession,
    *,
    actor: Person,
    target_tg_id: int,
    target_name: str | None,
    now: datetime,
) -> tuple[str, bool]:
    """A coordinator appoints another; returns the new one's name and whether it changed."""
    if not await is_coordinator(session, actor):
        raise NotCoordinator()
    target = await ensure_person(session, target_tg_id, target_name, now)
    await session.flush()
    if await session.get(Coordinator, target.id) is not None:
        return target.name, False
    session.add(Coordinator(person_id=target.id, appointed_at=now, appointed_by=actor.id))
    record_action(
        session,
        actor=actor,
        action="appoint_coordinator",
        now=now,
        details={"person_id": target.id},
    )
    return target.name, True
