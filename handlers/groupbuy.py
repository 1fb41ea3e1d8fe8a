"""Group-buys (社区团购 · 接龙) in a building's group.

A leader sends `/groupbuy` with one line per field; Linli posts a live 接龙 card. Households sign
up by tapping +1/−1, by replying to the card (`A2 B1`) or with `/join A2 B1`. At the deadline
(or `/close`) the organiser gets the supplier summary, the pick list and payment tracking in
private; `/arrived` sends each household a pickup code; `/picked <code>` hands the goods out.
"""

from __future__ import annotations

import re
import unicodedata

from bot.callbacks import tapped
from bot.context import Ctx, Emitter
from bot.refusals import StaleButton, Usage, refusal
from bot.routing import Router
from handlers.groupbuy_leader import split_ref
from handlers.groupbuy_views import (
    PACK_LINK,
    Mine,
    Minus,
    Plus,
    Withdraw,
    after_close,
    notify_promotions,
    show_card,
    tapped_groupbuy,
    to_people,
)
from handlers.identity import can_reach, sender_person
from models.chat_language import group_language
from models.errors import GroupBuyNotFound, NotYourRoom, OrderSyntax
from models.groupbuy import (
    OPEN,
    GroupBuy,
    SignUp,
    board_of,
    close_due_groupbuys,
    find_groupbuy,
    groupbuy_by_ref,
    household_pickup,
    open_uncollected_tasks,
    sign_up,
    withdraw,
)
from models.people import require_registered

router = Router("groupbuy")

# A 接龙 line copied from someone's command still starts with it (`/join A2`, `／ｊｏｉｎ A2`).
_JOIN_PREFIX = re.compile(r"/join(?:@\w+)?\s*", re.IGNORECASE)

# A reply to the card longer than this is a paste or a chat message, not a 接龙 line.
ORDER_TEXT_MAX = 200


@router.live_view("groupbuy")
async def card_view(ctx: Emitter, key: str) -> None:
    """Render group-buy card `groupbuy:<id>` as it is now (delivery calls this when sending)."""
    groupbuy = await groupbuy_by_ref(ctx.session, key.partition(":")[2])
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
    if reply and len(text) > ORDER_TEXT_MAX:
        _hint(ctx, "groupbuy/reply_hint", title=groupbuy.title)
        return
    try:
        done = await sign_up(
            ctx.session,
            person=ctx.person,
            groupbuy=groupbuy,
            text=strip_join_command(text),
            now=ctx.clock.now(),
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
    _after_change(ctx, done)
    change = done.change
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


def _after_change(ctx: Ctx, done: SignUp) -> None:
    notify_promotions(ctx, done)
    ctx.refresh(done.change.groupbuy.live_key, done.change.groupbuy.chat_id)


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


@router.callback(Plus)
@router.callback(Minus)
async def on_step(ctx: Ctx) -> None:
    """+1 / −1 on an item."""
    tap = ctx.button
    if not isinstance(tap, Plus | Minus):
        raise StaleButton()
    done = await sign_up(
        ctx.session,
        person=ctx.person,
        groupbuy=await tapped_groupbuy(ctx, tap.groupbuy),
        quantities={tap.code: 1 if isinstance(tap, Plus) else -1},
        mode="add",
        now=ctx.clock.now(),
    )
    _after_change(ctx, done)
    ctx.answer("groupbuy/tapped", change=done.change)


@router.callback(Mine)
async def on_mine(ctx: Ctx) -> None:
    """My order: shown only to the tapper."""
    groupbuy = await tapped_groupbuy(ctx, tapped(ctx.button, Mine).groupbuy)
    household = _household_in(ctx, groupbuy)
    line = (await board_of(ctx.session, groupbuy)).line_of(household)
    ctx.answer("groupbuy/mine", alert=True, groupbuy=groupbuy, line=line)


@router.callback(Withdraw)
async def on_cancel_mine(ctx: Ctx) -> None:
    """Withdraw the household's order."""
    groupbuy = await tapped_groupbuy(ctx, tapped(ctx.button, Withdraw).groupbuy)
    _after_change(
        ctx,
        await withdraw(ctx.session, person=ctx.person, groupbuy=groupbuy, now=ctx.clock.now()),
    )
    ctx.answer("groupbuy/withdrawn", title=groupbuy.title)
