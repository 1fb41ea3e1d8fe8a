"""A group-buy's life: opening, finding, closing, extending, cancelling, payments."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import (
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from models.audit import record_action
from models.errors import (
    GroupBuyFinished,
    GroupBuyNotFound,
    NoGroupBuyHere,
    NotALeader,
    NotGatekeeper,
    WhichGroupBuy,
)
from models.groupbuy.board import (
    Board,
    OrderLine,
    board_of,
    household_names,
    line_of_order,
    order_by_room,
    participants,
)
from models.groupbuy.tables import (
    CANCELLED,
    CLOSED,
    DECIDING,
    DRAFT,
    ENDED,
    OPEN,
    REPEAT_WINDOW,
    GroupBuy,
    GroupBuyItem,
    may,
)
from models.groupbuy_spec import GroupBuySpec
from models.people import (
    BuildingLeader,
    Person,
    bound_building,
    building_of_chat,
    require_leader,
)
from models.when import require_future

# -- opening and finding ----------------------------------------------------------------------


async def open_groupbuy(
    session: AsyncSession,
    *,
    spec: GroupBuySpec,
    chat_id: int,
    actor: Person | None,
    now: datetime,
) -> GroupBuy:
    """A leader opens a group-buy in a bound group."""
    building = await bound_building(session, chat_id)
    await require_leader(session, actor, building.id)
    require_future(spec.deadline, now, text=spec.deadline.isoformat())
    title = spec.title[:120]
    # The same message sent twice (a double tap, a retry) would otherwise open the buy twice.
    repeat = await session.scalar(
        select(GroupBuy.id).where(
            GroupBuy.chat_id == chat_id,
            GroupBuy.title == title,
            GroupBuy.status.in_((OPEN, *ENDED)),
            GroupBuy.created_at > now - REPEAT_WINDOW,
        )
    )
    groupbuy = GroupBuy(
        building_id=building.id,
        chat_id=chat_id,
        title=title,
        status=DRAFT if repeat is not None else OPEN,
        deadline=spec.deadline,
        pickup_place=spec.pickup_place,
        pickup_at=spec.pickup_at,
        min_units=spec.min_units,
        created_by=actor.id if actor else None,
        created_at=now,
    )
    session.add(groupbuy)
    await session.flush()
    session.add_all(
        GroupBuyItem(
            groupbuy_id=groupbuy.id,
            position=position,
            code=item.code,
            name=item.name,
            price_cents=item.price_cents,
            max_per_household=item.max_per_household,
            stock=item.stock,
            remaining=item.stock,
        )
        for position, item in enumerate(spec.items)
    )
    audit(session, actor, "draft_groupbuy" if repeat else "open_groupbuy", groupbuy, now)
    await session.flush()
    return groupbuy


async def confirm_groupbuy(
    session: AsyncSession,
    groupbuy: GroupBuy,
    *,
    open_it: bool,
    actor: Person | None,
    now: datetime,
) -> None:
    """The leader confirms a repeated title (it opens now) or drops the draft."""
    await require_organiser(session, groupbuy, actor)
    if not may(groupbuy, "confirm"):
        raise GroupBuyFinished(title=groupbuy.title)
    if not open_it:
        await session.delete(groupbuy)
        await session.flush()
        return
    require_future(groupbuy.deadline, now, text=groupbuy.deadline.isoformat())
    groupbuy.status, groupbuy.created_at = OPEN, now
    audit(session, actor, "open_groupbuy", groupbuy, now)


async def groupbuy_by_ref(session: AsyncSession, ref: str) -> GroupBuy:
    """A group-buy by the id a button, a link or a card's key carries; GroupBuyNotFound else."""
    return await find_groupbuy(session, None, ref, ())


async def find_groupbuy(
    session: AsyncSession, chat_id: int | None, ref: str | None, statuses: Iterable[str]
) -> GroupBuy:
    """The group-buy a command is about: `ref` (an id), else the only one in the chat."""
    wanted = tuple(statuses)
    if ref:
        text = ref.strip().lstrip("#")
        groupbuy = await session.get(GroupBuy, int(text)) if text.isdigit() else None
        if groupbuy is None or (chat_id is not None and groupbuy.chat_id != chat_id):
            raise GroupBuyNotFound(ref=ref[:20])
        return groupbuy
    if chat_id is None:
        raise NoGroupBuyHere()
    candidates = list(
        await session.scalars(
            select(GroupBuy)
            .where(GroupBuy.chat_id == chat_id, GroupBuy.status.in_(wanted))
            .order_by(GroupBuy.id)
        )
    )
    if not candidates:
        raise NoGroupBuyHere()
    if len(candidates) > 1:
        raise WhichGroupBuy(choices=[(g.id, g.title) for g in candidates])
    return candidates[0]


async def managed_groupbuy(
    session: AsyncSession,
    actor: Person | None,
    ref: str | None,
    statuses: Iterable[str],
    *,
    chat_id: int | None = None,
) -> GroupBuy:
    """The group-buy a leader command is about, checked against the actor's authority.

    In a group: `ref`, else the only one there. In private: `ref`, else the newest one in the
    leader's buildings. In a group, authority over its building is checked before anything
    else, so a resident learns nothing (not even which #numbers exist) from a leader command.
    """
    if chat_id is not None:
        building = await building_of_chat(session, chat_id)
        if building is not None:
            await require_leader(session, actor, building.id)
        groupbuy = await find_groupbuy(session, chat_id, ref, statuses)
    elif ref:
        groupbuy = await find_groupbuy(session, None, ref, statuses)
    else:
        led = select(BuildingLeader.building_id).where(
            BuildingLeader.person_id == (actor.id if actor else -1)
        )
        groupbuy = await session.scalar(
            select(GroupBuy)
            .where(GroupBuy.building_id.in_(led), GroupBuy.status.in_(tuple(statuses)))
            .order_by(GroupBuy.id.desc())
            .limit(1)
        )
        if groupbuy is None:
            raise NoGroupBuyHere()
    await require_organiser(session, groupbuy, actor)
    return groupbuy


async def require_organiser(
    session: AsyncSession, groupbuy: GroupBuy, actor: Person | None
) -> None:
    """Only a leader of the group-buy's building (or a coordinator) may manage it."""
    await require_leader(session, actor, groupbuy.building_id)


async def require_gatekeeper(
    session: AsyncSession, groupbuy: GroupBuy, actor: Person | None
) -> None:
    """Leaders and volunteers (who stand at the gate) may hand goods out."""
    if actor is not None and actor.is_volunteer:
        return
    try:
        await require_organiser(session, groupbuy, actor)
    except NotALeader:
        raise NotGatekeeper() from None


# -- the leader's side ------------------------------------------------------------------------


async def close_groupbuy(
    session: AsyncSession,
    groupbuy: GroupBuy,
    *,
    actor: Person | None,
    now: datetime,
) -> Board:
    """Stop taking orders now."""
    await require_organiser(session, groupbuy, actor)
    if not may(groupbuy, "close"):
        raise GroupBuyFinished(title=groupbuy.title)
    groupbuy.status, groupbuy.closed_at = CLOSED, now
    board = await board_of(session, groupbuy)
    groupbuy.status = CLOSED if board.min_met else DECIDING
    audit(session, actor, "close_groupbuy", groupbuy, now)
    return board


async def close_due_groupbuys(session: AsyncSession, now: datetime) -> list[GroupBuy]:
    """Close every group-buy whose deadline passed; each is claimed by exactly one caller."""
    due = list(
        await session.scalars(
            select(GroupBuy).where(GroupBuy.status == OPEN, GroupBuy.deadline <= now)
        )
    )
    closed = []
    for groupbuy in due:
        claimed = await session.execute(
            update(GroupBuy)
            .where(GroupBuy.id == groupbuy.id, GroupBuy.status == OPEN)
            .values(status=CLOSED, closed_at=now)
        )
        if not claimed.rowcount:
            continue
        await session.refresh(groupbuy)
        board = await board_of(session, groupbuy)
        groupbuy.status = CLOSED if board.min_met else DECIDING
        audit(session, None, "close_groupbuy", groupbuy, now, {"by": "deadline"})
        closed.append(groupbuy)
    return closed


async def extend_groupbuy(
    session: AsyncSession,
    groupbuy: GroupBuy,
    *,
    deadline: datetime,
    actor: Person | None,
    now: datetime,
) -> None:
    """Move the deadline; a closed group-buy whose goods have not arrived opens again."""
    await require_organiser(session, groupbuy, actor)
    if not may(groupbuy, "extend"):
        raise GroupBuyFinished(title=groupbuy.title)
    require_future(deadline, now, text=deadline.isoformat())
    groupbuy.deadline, groupbuy.status, groupbuy.closed_at = deadline, OPEN, None
    audit(session, actor, "extend_groupbuy", groupbuy, now, {"deadline": deadline.isoformat()})


async def reopen_groupbuy(
    session: AsyncSession,
    groupbuy: GroupBuy,
    *,
    actor: Person | None,
    now: datetime,
) -> None:
    """Take orders again until the existing deadline (use extend when it has passed)."""
    await require_organiser(session, groupbuy, actor)
    if not may(groupbuy, "reopen"):
        raise GroupBuyFinished(title=groupbuy.title)
    require_future(groupbuy.deadline, now, text=groupbuy.deadline.isoformat())
    groupbuy.status, groupbuy.closed_at = OPEN, None
    audit(session, actor, "reopen_groupbuy", groupbuy, now)


async def cancel_groupbuy(
    session: AsyncSession,
    groupbuy: GroupBuy,
    *,
    reason: str,
    actor: Person | None,
    now: datetime,
) -> list[Person]:
    """Call the group-buy off; returns the participants to tell privately."""
    await require_organiser(session, groupbuy, actor)
    if not may(groupbuy, "cancel"):
        raise GroupBuyFinished(title=groupbuy.title)
    groupbuy.status, groupbuy.cancel_reason = CANCELLED, reason[:200]
    groupbuy.closed_at = groupbuy.closed_at or now
    audit(session, actor, "cancel_groupbuy", groupbuy, now)
    return await participants(session, groupbuy.id)


async def go_ahead(
    session: AsyncSession,
    groupbuy: GroupBuy,
    *,
    actor: Person | None,
    now: datetime,
) -> None:
    """The leader proceeds although the minimum (成团) was not reached."""
    await require_organiser(session, groupbuy, actor)
    if not may(groupbuy, "go_ahead"):
        raise GroupBuyFinished(title=groupbuy.title)
    groupbuy.status = CLOSED
    audit(session, actor, "go_ahead_groupbuy", groupbuy, now)


async def set_paid(
    session: AsyncSession,
    groupbuy: GroupBuy,
    *,
    room_text: str,
    paid: bool,
    actor: Person | None,
    now: datetime,
) -> OrderLine:
    """Record (or undo) a household's payment, found by its room."""
    await require_organiser(session, groupbuy, actor)
    order = await order_by_room(session, groupbuy, room_text)
    order.paid_at = now if paid else None
    audit(session, actor, "paid" if paid else "unpaid", groupbuy, now, {"order_id": order.id})
    await session.flush()
    return await line_of_order(session, groupbuy, order.id)


def audit(
    session: AsyncSession,
    actor: Person | None,
    action: str,
    groupbuy: GroupBuy,
    now: datetime,
    details: dict | None = None,
) -> None:
    record_action(
        session,
        actor=actor,
        action=action,
        now=now,
        chat_id=groupbuy.chat_id,
        building_id=groupbuy.building_id,
        details={"groupbuy_id": groupbuy.id, **(details or {})},
    )


async def organiser_board(
    session: AsyncSession, groupbuy: GroupBuy, *, actor: Person | None, is_chat_admin: bool = False
) -> Board:
    """The board for the organiser's private reads (summary, unpaid, uncollected)."""
    await require_organiser(session, groupbuy, actor)
    return await board_of(session, groupbuy)


async def organiser_export(
    session: AsyncSession, groupbuy: GroupBuy, *, actor: Person | None, is_chat_admin: bool = False
) -> tuple[Board, dict[int, list[str]]]:
    """The board and the members' names per household, for the organiser's spreadsheets."""
    board = await organiser_board(session, groupbuy, actor=actor)
    return board, await household_names(session, (line.household_id for line in board.lines))
