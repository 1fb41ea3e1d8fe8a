"""Vulnerable residents and their named volunteer: /care for leaders, /mycare for volunteers.

A vulnerable resident's name, room, needs and notes are only ever said in the private chats of
their volunteer and the building's leaders. In a group, /care answers with counts ("C-3 now has
a volunteer; 1 still without one") and a start link; each link (`cl<building>`: the list,
`cv<resident>`: one resident, `mc<user>`: a volunteer's own list) delivers the details in
private once opened, after the same authority check as the command.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from bot.context import Ctx
from bot.refusals import ChatRefusal
from bot.routing import Router
from handlers.buildings import group_lang
from handlers.identity import can_reach, sender_person
from models.care import (
    CareBoard,
    CareChange,
    CareView,
    add_care_resident,
    care_board,
    care_for,
    care_of_volunteer,
    pair_volunteer,
    parse_care_ref,
    unpair_volunteer,
)
from models.people import Person

router = Router("care")

LIST_LINK, VIEW_LINK, MINE_LINK = "cl", "cv", "mc"
# One line of the leaders' list can reach ~260 characters (name, needs, volunteer, notes cut
# to 40): twelve stay well inside Telegram's 4,096 per message; longer lists take more messages.
LIST_CHUNK = 12
# A volunteer's list shows full notes (up to 500 characters each).
MINE_CHUNK = 5

_ACTIONS = {
    "add": "add",
    "添加": "add",
    "pair": "pair",
    "配对": "pair",
    "unpair": "unpair",
    "解除": "unpair",
    "list": "list",
    "名单": "list",
    "gaps": "gaps",
    "缺口": "gaps",
}


def _group_id(ctx: Ctx) -> int | None:
    chat = ctx.incoming.chat
    return chat.id if chat.is_group else None


def _lang(ctx: Ctx, person: Person) -> str:
    return person.language or ctx.settings.default_language


def _tell(ctx: Ctx, person: Person | None, template: str, **values: Any) -> bool:
    """Send privately if Linli can reach the person; True only if it was sent."""
    if person is None or not can_reach(person):
        return False
    ctx.send(person.tg_user_id, template, lang=_lang(ctx, person), **values)
    return True


def _link_id(ctx: Ctx, prefix: str) -> int:
    """The number after a start link's prefix (the dispatcher checked it is all digits)."""
    digits = ctx.incoming.args.strip()[len(prefix) :]
    return int(digits) if len(digits) <= 15 else 0  # no row has a longer id


@router.command("care", audience="leader", needs_bound=True)
async def care(ctx: Ctx) -> None:
    """/care add|pair|unpair|list|gaps: a building's vulnerable residents and their volunteers."""
    word, _, rest = ctx.incoming.args.strip().partition(" ")
    action = _ACTIONS.get(word.lower())
    if action is None:
        raise ChatRefusal("errors/care_usage", topic="")
    await _SUBCOMMANDS[action](ctx, rest.strip())


async def _add(ctx: Ctx, text: str) -> None:
    """/care add [building] <room> <name> | <needs> [| notes]."""
    leader = await sender_person(ctx)
    change = await add_care_resident(
        ctx.session, actor=leader, text=text, now=ctx.clock.now(), chat_id=_group_id(ctx)
    )
    values = {"r": change.resident, "total": change.total, "gaps": change.gaps}
    if ctx.incoming.chat.is_private:
        ctx.reply("care/added", **values)
        return
    told = _tell(ctx, leader, "care/added", **values)
    ctx.lang = await group_lang(ctx)
    ctx.reply(
        "care/added_group",
        ref=change.resident.ref,
        total=change.total,
        gaps=change.gaps,
        told=told,
        link=ctx.deep_link(f"{VIEW_LINK}{change.resident.id}"),
    )


def _volunteer_of(ctx: Ctx, text: str) -> int:
    """Whom /care pair names: a Telegram user id after the C-id, or the replied-to sender."""
    if text:
        if re.fullmatch(r"\d{1,15}", text):
            return int(text)
        raise ChatRefusal("errors/care_usage", topic="pair")
    reply = ctx.incoming.reply_to
    if reply is None or reply.from_this_bot or reply.sender_id is None:
        raise ChatRefusal("errors/care_usage", topic="pair")
    return reply.sender_id


async def _pair(ctx: Ctx, text: str) -> None:
    """/care pair C-3 (a reply to the volunteer's message) or /care pair C-3 <user id>."""
    ref_text, _, target = text.partition(" ")
    leader = await sender_person(ctx)
    change = await pair_volunteer(
        ctx.session,
        actor=leader,
        care_id=parse_care_ref(ref_text),
        volunteer_tg_id=_volunteer_of(ctx, target.strip()),
        now=ctx.clock.now(),
        chat_id=_group_id(ctx),
    )
    assert change.volunteer is not None
    link = ctx.deep_link(f"{VIEW_LINK}{change.resident.id}")
    told = _tell(
        ctx, change.volunteer, "care/assigned", r=change.resident, leader=leader.name, yours=True
    )
    _tell(ctx, change.released, "care/released", r=change.resident)
    values = {
        "r": change.resident,
        "volunteer": change.volunteer.name,
        "told": told,
        "link": link,
        "total": change.total,
        "gaps": change.gaps,
        "changed": change.changed,
    }
    if ctx.incoming.chat.is_private:
        ctx.reply("care/paired", **values)
        return
    leader_told = _tell(ctx, leader, "care/paired", **values)
    ctx.lang = await group_lang(ctx)
    ctx.reply(
        "care/paired_group",
        ref=change.resident.ref,
        told=told,
        leader_told=leader_told,
        link=link,
        changed=change.changed,
        **_counts(change),
    )


def _counts(change: CareChange) -> dict[str, int]:
    return {"total": change.total, "gaps": change.gaps}


async def _unpair(ctx: Ctx, text: str) -> None:
    """/care unpair C-3: the resident has no volunteer again (an open gap)."""
    leader = await sender_person(ctx)
    change = await unpair_volunteer(
        ctx.session,
        actor=leader,
        care_id=parse_care_ref(text),
        now=ctx.clock.now(),
        chat_id=_group_id(ctx),
    )
    _tell(ctx, change.released, "care/released", r=change.resident)
    values = {
        "r": change.resident,
        "released": change.released.name if change.released else None,
        **_counts(change),
    }
    if ctx.incoming.chat.is_private:
        ctx.reply("care/unpaired", **values)
        return
    _tell(ctx, leader, "care/unpaired", **values)
    ctx.lang = await group_lang(ctx)
    ctx.reply("care/unpaired_group", ref=change.resident.ref, **_counts(change))


async def _list(ctx: Ctx, text: str, *, gaps_only: bool = False) -> None:
    """/care list [building]: everyone listed, those without a volunteer first."""
    board = await care_board(
        ctx.session, await sender_person(ctx), chat_id=_group_id(ctx), named=text or None
    )
    if ctx.incoming.chat.is_group:
        ctx.lang = await group_lang(ctx)
        ctx.reply(
            "care/counts_group",
            building=board.building,
            total=len(board.residents),
            gaps=board.gaps,
            link=ctx.deep_link(f"{LIST_LINK}{board.building_id}"),
        )
        return
    show_board(ctx, board, gaps_only=gaps_only)


async def _gaps(ctx: Ctx, text: str) -> None:
    """/care gaps [building]: only those still without a volunteer."""
    await _list(ctx, text, gaps_only=True)


_SUBCOMMANDS: dict[str, Callable[[Ctx, str], Awaitable[None]]] = {
    "add": _add,
    "pair": _pair,
    "unpair": _unpair,
    "list": _list,
    "gaps": _gaps,
}


def show_board(ctx: Ctx, board: CareBoard, *, gaps_only: bool = False) -> None:
    """The leaders' list in private chat, in as many messages as it needs."""
    rows = [r for r in board.residents if r.volunteer is None] if gaps_only else board.residents
    chunks = [rows[i : i + LIST_CHUNK] for i in range(0, len(rows), LIST_CHUNK)] or [[]]
    for index, chunk in enumerate(chunks):
        ctx.reply(
            "care/list",
            building=board.building,
            total=len(board.residents),
            gaps=board.gaps,
            rows=chunk,
            first=index == 0,
            gaps_only=gaps_only,
        )


def show_mine(ctx: Ctx, mine: list[CareView]) -> None:
    """A volunteer's own residents, with everything they need to know."""
    chunks = [mine[i : i + MINE_CHUNK] for i in range(0, len(mine), MINE_CHUNK)] or [[]]
    for index, chunk in enumerate(chunks):
        ctx.reply("care/mine", rows=chunk, first=index == 0, count=len(mine))


@router.command("mycare", audience="volunteer")
async def mycare(ctx: Ctx) -> None:
    """/mycare: the vulnerable residents this volunteer looks after (details in private only)."""
    sender = ctx.incoming.sender
    assert sender is not None
    if ctx.incoming.chat.is_group:
        ctx.reply("care/mine_in_group", link=ctx.deep_link(f"{MINE_LINK}{sender.id}"))
        return
    show_mine(ctx, await care_of_volunteer(ctx.session, ctx.person))


@router.deep_link(MINE_LINK)
async def mine_link(ctx: Ctx) -> None:
    """`/start mc<id>` from a group: the opener's own list (whoever the link was made for)."""
    show_mine(ctx, await care_of_volunteer(ctx.session, await sender_person(ctx)))


@router.deep_link(LIST_LINK)
async def list_link(ctx: Ctx) -> None:
    """`/start cl<building>` from a group: the building's list, for its leaders only."""
    board = await care_board(
        ctx.session, await sender_person(ctx), building_id=_link_id(ctx, LIST_LINK)
    )
    show_board(ctx, board)


@router.deep_link(VIEW_LINK)
async def view_link(ctx: Ctx) -> None:
    """`/start cv<resident>`: the details, for the resident's volunteer or a leader."""
    resident, yours = await care_for(
        ctx.session, await sender_person(ctx), _link_id(ctx, VIEW_LINK)
    )
    ctx.reply("care/assigned", r=resident, leader="", yours=yours)
