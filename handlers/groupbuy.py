"""Group-buys (社区团购 · 接龙) in a building's group.

A leader sends `/groupbuy` with one line per field; Linli posts a live 接龙 card. Households sign
up by tapping +1/−1, by replying to the card (`A2 B1`) or with `/join A2 B1`. At the deadline
(or `/close`) the organiser gets the supplier summary, the pick list and payment tracking in
private; `/arrived` sends each household a pickup code; `/picked <code>` hands the goods out.
"""

from __future__ import annotations

import re
import unicodedata

from bot.context import Ctx, Emitter
from bot.refusals import StaleButton, Usage, refusal
from bot.routing import Router
from handlers.groupbuy_leader import LEADER_TAPS, split_ref
from handlers.groupbuy_views import (
    PACK_LINK,
    after_close,
    notify_promotions,
    show_card,
    tap_fields,
    tap_id,
    to_people,
)
from handlers.identity import can_reach, sender_person
from models.chat_language import group_language
from models.errors import GroupBuyNotFound, NotYourRoom, OrderSyntax
from models.groupbuy import (
    OPEN,
    GroupBuy,
    OrderChange,
    board_of,
    cancel_order,
    change_order,
    close_due_groupbuys,
    find_groupbuy,
    household_pickup,
    item_codes,
    open_uncollected_tasks,
    require_own_room,
)
from models.groupbuy_spec import parse_order, split_room
from models.people import require_registered

router = Router("groupbuy")

# A 接龙 line copied from someone's command still starts with it (`/join A2`, `／ｊｏｉｎ A2`).
_JOIN_PREFIX = re.compile(r"/join(?:@\w+)?\s*", re.IGNORECASE)

# A reply to the card longer than this is a paste or a chat message, not a 接龙 line.
ORDER_TEXT_MAX = 200


@router.live_view("groupbuy")
async def card_view(ctx: Emitter, key: str) -> None:
    """Render group-buy card `groupbuy:<id>` as it is now (delivery calls this when sending)."""
    groupbuy = await find_groupbuy(ctx.session, None, key.partition(":")[2], ())
    lang = await group_language(
        ctx.session, groupbuy.chat_id, default=ctx.settings.default_language
    )
    show_card(ctx, await board_of(ctx.session, groupbuy), lang)


# -- scheduled work ----------------------------------------------------------------------------


@router.job
async def close_at_deadline(ctx: Emitter) -> None:
    """Scheduler job: close group-buys whose deadline passed; the organiser gets their pack."""
    for groupbuy in await close_due_groupbuys(ctx.session, ctx.clock.now()):
        if not await after_close(ctx, groupbuy):
            # Linli cannot write to the organiser: the group gets the link that delivers it.
            ctx.send(
                groupbuy.chat_id,
                "groupbuy/pack_link",
                lang=await group_language(
                    ctx.session, groupbuy.chat_id, default=ctx.settings.default_language
                ),
                title=groupbuy.title,
                link=ctx.deep_link(f"{PACK_LINK}{groupbuy.id}"),
            )


@router.job
async def uncollected_to_tasks(ctx: Emitter) -> None:
    """Scheduler job: pickups still waiting after their time become tasks on the board."""
    await open_uncollected_tasks(ctx.session, ctx.clock.now())


# -- residents sign up --------------------------------------------------------------------------


def _household_in(ctx: Ctx, groupbuy: GroupBuy) -> int:
    """The sender's household, which must be in the group-buy's building."""
    person = require_registered(ctx.person, groupbuy.building_id)
    assert person.household_id is not None
    return person.household_id


def _to_sender(ctx: Ctx, template: str, **values: object) -> None:
    """A personal answer: privately if Linli can write to the sender, else as a group reply."""
    if can_reach(ctx.person):
        assert ctx.person is not None
        ctx.send(ctx.person.tg_user_id, template, lang=ctx.person.language or ctx.lang, **values)
    else:
        ctx.reply(template, **values)


def _hint(ctx: Ctx, template: str, **values: object) -> None:
    """A hint the group must not hear: privately, or not at all."""
    to_people(ctx, [ctx.person] if ctx.person else [], template, **values)


async def _sign_up(ctx: Ctx, groupbuy: GroupBuy, text: str, *, reply: bool) -> None:
    household = _household_in(ctx, groupbuy)
    if reply and len(text) > ORDER_TEXT_MAX:
        _hint(ctx, "groupbuy/reply_hint", title=groupbuy.title)
        return
    room, order_text = split_room(text)
    try:
        if room is not None:
            await require_own_room(ctx.session, household, room)
        request = parse_order(
            strip_join_command(order_text), item_codes=await item_codes(ctx.session, groupbuy.id)
        )
    except NotYourRoom as other:
        # Someone else's 接龙 line copied back: never argued about in the group.
        explained = refusal(other)
        _hint(ctx, explained.template, **explained.values)
        return
    except OrderSyntax:
        if not reply:
            raise
        # "谢谢团长！" under the card is chat, not an order: the group hears nothing of it.
        _hint(ctx, "groupbuy/reply_hint", title=groupbuy.title)
        return
    change = await change_order(
        ctx.session,
        groupbuy_id=groupbuy.id,
        household_id=household,
        quantities=request.quantities,
        mode=request.mode,
        now=ctx.clock.now(),
    )
    await _after_change(ctx, change)
    if not change.had_order and not (change.quantities or change.waitlisted):
        _to_sender(ctx, "groupbuy/nothing_ordered", title=groupbuy.title)
        return
    # In a busy group a reply per sign-up would flood it (20 messages a minute): the card shows
    # the new line, and the confirmation goes to the private chat where we may write.
    if can_reach(ctx.person):
        assert ctx.person is not None
        ctx.send(ctx.person.tg_user_id, "groupbuy/joined", change=change)


def strip_join_command(text: str) -> str:
    """The order in a line that starts with the /join command, else the line as typed."""
    folded = unicodedata.normalize("NFKC", text).strip()
    match = _JOIN_PREFIX.match(folded)
    return folded[match.end() :] if match else text


async def _after_change(ctx: Ctx, change: OrderChange) -> None:
    await notify_promotions(ctx, change)
    ctx.refresh(change.groupbuy.live_key, change.groupbuy.chat_id)


@router.command("join", where="group", needs_bound=True)
async def join(ctx: Ctx) -> None:
    """/join [#id] A2 B1: sign the household up (or change its order)."""
    ref, text = split_ref(ctx.incoming.args)
    if not text:
        raise Usage(command="join")
    groupbuy = await find_groupbuy(ctx.session, ctx.incoming.chat.id, ref, (OPEN,))
    await _sign_up(ctx, groupbuy, text, reply=False)


@router.reply_to_live("groupbuy")
async def reply_to_card(ctx: Ctx) -> None:
    """A reply to the card (`A2 B1`, `+2`, `1-506 A2`) is a sign-up; other chatter is ignored."""
    assert ctx.live_key is not None
    groupbuy = await find_groupbuy(
        ctx.session, ctx.incoming.chat.id, ctx.live_key.partition(":")[2], (OPEN,)
    )
    await _sign_up(ctx, groupbuy, ctx.incoming.text or "", reply=True)


@router.deep_link("gb")
async def my_pickup(ctx: Ctx) -> None:
    """/start gb<id> (from the arrival notice): the household's order and pickup code."""
    ref = ctx.incoming.args.strip()[2:]
    found = await household_pickup(
        ctx.session, person=await sender_person(ctx), ref=ref, now=ctx.clock.now()
    )
    if found is None:
        explained = refusal(GroupBuyNotFound(ref=ref[:20]))
        ctx.reply(explained.template, **explained.values)
        return
    board, line = found
    if line is None or not line.pickup_code:
        ctx.reply("groupbuy/mine", groupbuy=board.groupbuy, line=line)
        return
    ctx.reply("groupbuy/pickup_code", board=board, code=line.pickup_code, line=line)


# -- buttons ------------------------------------------------------------------------------------


@router.callback("gb")
async def on_tap(ctx: Ctx) -> None:
    """Every group-buy button: +1/−1, my order, cancel mine, and the leader's buttons."""
    action = (ctx.incoming.callback_data or "").split(":")[1:2]
    handler = TAPS.get(action[0] if action else "")
    if handler is None:
        raise StaleButton()
    await handler(ctx)


async def _tapped_groupbuy(ctx: Ctx, ref: str) -> GroupBuy:
    groupbuy = await find_groupbuy(ctx.session, None, str(tap_id(ref)), ())
    if ctx.incoming.chat.is_group and groupbuy.chat_id != ctx.incoming.chat.id:
        raise StaleButton()
    return groupbuy


async def on_step(ctx: Ctx) -> None:
    """+1 / −1 on an item."""
    sign, ref, code = tap_fields(ctx, 3)
    groupbuy = await _tapped_groupbuy(ctx, ref)
    household = _household_in(ctx, groupbuy)
    change = await change_order(
        ctx.session,
        groupbuy_id=groupbuy.id,
        household_id=household,
        quantities={code: 1 if sign == "+" else -1},
        mode="add",
        now=ctx.clock.now(),
    )
    await _after_change(ctx, change)
    ctx.answer("groupbuy/tapped", change=change)


async def on_mine(ctx: Ctx) -> None:
    """My order: shown only to the tapper."""
    _, ref = tap_fields(ctx, 2)
    groupbuy = await _tapped_groupbuy(ctx, ref)
    household = _household_in(ctx, groupbuy)
    line = (await board_of(ctx.session, groupbuy)).line_of(household)
    ctx.answer("groupbuy/mine", alert=True, groupbuy=groupbuy, line=line)


async def on_cancel_mine(ctx: Ctx) -> None:
    """Withdraw the household's order."""
    _, ref = tap_fields(ctx, 2)
    groupbuy = await _tapped_groupbuy(ctx, ref)
    change = await cancel_order(
        ctx.session,
        groupbuy_id=groupbuy.id,
        household_id=_household_in(ctx, groupbuy),
        now=ctx.clock.now(),
    )
    await _after_change(ctx, change)
    ctx.answer("groupbuy/withdrawn", title=groupbuy.title)


TAPS = {
    "+": on_step,
    "-": on_step,
    "me": on_mine,
    "x": on_cancel_mine,
    **LEADER_TAPS,
}
