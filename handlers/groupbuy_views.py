"""Group-buy messages shared by the residents' and the leaders' handlers and scheduled jobs.

The organiser's private messages (summary pack, unpaid list, pickup list, arrival report) are
rendered here; whether they go straight to the leader or behind a deep link is decided by
`to_leader`, which never claims a private message that was not sent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from bot.callbacks import button
from bot.context import Button, Ctx, Emitter, Keyboard
from bot.refusals import StaleButton
from handlers.identity import can_reach, sender_person
from models.groupbuy import (
    DECIDING,
    Board,
    GroupBuy,
    SignUp,
    board_of,
    building_name,
    groupbuy_with_items,
)
from models.people import Person

CARD_LINES = 60  # 接龙 lines shown on the card; the rest are counted (a message holds 4096 chars)
LIST_CHUNK = 80  # households per pick-list message
PAY_BUTTONS = 48  # unpaid rooms offered as buttons; /paid covers the rest

# Deep-link payload prefixes (`/start <prefix><id>`): each delivers one private answer.
SUMMARY_LINK, UNPAID_LINK, EXPORT_LINK = "gs", "gu", "ge"
UNCOLLECTED_LINK, PACK_LINK, ARRIVED_LINK = "gc", "gp", "ga"


# -- the card -----------------------------------------------------------------------------------


def show_card(ctx: Emitter, board: Board, lang: str) -> None:
    """Post or refresh the group-buy's live 接龙 card in its group, in the group's language."""
    groupbuy = board.groupbuy
    accepting = groupbuy.accepts_orders(ctx.clock.now())
    ctx.live(
        groupbuy.live_key,
        groupbuy.chat_id,
        "groupbuy/card",
        lang=lang,
        board=board,
        shown=board.lines[-CARD_LINES:] if len(board.lines) > CARD_LINES else board.lines,
        hidden=max(0, len(board.lines) - CARD_LINES),
        accepting=accepting,
        markup=_card_keyboard(ctx, board, lang) if accepting else None,
    )


def _card_keyboard(ctx: Emitter, board: Board, lang: str) -> Keyboard:
    gid = board.groupbuy.id
    rows = [
        [
            Button(ctx.label("gb_plus", item.code, lang=lang), data=Plus(gid, item.code).pack()),
            Button(ctx.label("gb_minus", item.code, lang=lang), data=Minus(gid, item.code).pack()),
        ]
        for item in board.items
    ]
    rows.append(
        [
            Button(ctx.label("gb_mine", lang=lang), data=Mine(gid).pack()),
            Button(ctx.label("gb_cancel_mine", lang=lang), data=Withdraw(gid).pack()),
        ]
    )
    return Keyboard.of(*rows)


# -- private messages ---------------------------------------------------------------------------


def to_people(ctx: Emitter, people: Iterable[Person], template: str, **values: object) -> int:
    """Tell each person Linli can reach privately, in their language; returns how many."""
    told = 0
    for person in people:
        if can_reach(person):
            ctx.send(person.tg_user_id, template, lang=person.language or ctx.lang, **values)
            told += 1
    return told


def notify_promotions(ctx: Emitter, done: SignUp) -> None:
    """Tell the members of households that moved up the waitlist, privately."""
    for person, units in done.promoted:
        to_people(ctx, [person], "groupbuy/promoted", title=done.change.groupbuy.title, units=units)


async def to_leader(ctx: Ctx, payload: str, deliver: Callable[[Person], None]) -> None:
    """Deliver a leader's private answer, or (if Linli cannot write to them) a link that will.

    In a group the reply only says which: "sent privately", or the t.me link; the answer
    itself never goes to the group.
    """
    leader = await sender_person(ctx)
    if can_reach(leader):
        deliver(leader)
        if ctx.incoming.chat.is_group:
            ctx.reply("groupbuy/sent_privately")
    else:
        ctx.reply("groupbuy/open_privately", link=ctx.deep_link(payload))


async def tapped_groupbuy(ctx: Ctx, groupbuy_id: int) -> GroupBuy:
    """The group-buy a button names; a button shown in another group is stale."""
    # With its items: the sign-up that usually follows reads them from this transaction's cache.
    groupbuy, _ = await groupbuy_with_items(ctx.session, groupbuy_id)
    if ctx.incoming.chat.is_group and groupbuy.chat_id != ctx.incoming.chat.id:
        raise StaleButton()
    return groupbuy


def send_summary(ctx: Emitter, board: Board, leader: Person, building: str) -> None:
    """The organiser's private pack: supplier totals, pick list, unpaid rooms."""
    lang = leader.language or ctx.lang
    chat = leader.tg_user_id
    ctx.send(chat, "groupbuy/summary", lang=lang, board=board, building=building)
    walk = board.distribution()
    parts = [walk[i : i + LIST_CHUNK] for i in range(0, len(walk), LIST_CHUNK)] or [[]]
    for number, part in enumerate(parts, start=1):
        ctx.send(
            chat,
            "groupbuy/distribution",
            lang=lang,
            board=board,
            lines=part,
            part=number,
            parts=len(parts),
        )
    send_unpaid(ctx, board, leader)


def send_unpaid(ctx: Emitter, board: Board, leader: Person) -> None:
    """The rooms that have not paid, with a ✓ button each, to the leader privately."""
    lang = leader.language or ctx.lang
    unpaid = board.unpaid
    buttons = [
        Button(
            ctx.label("gb_paid_button", line.room, lang=lang), data=MarkPaid(line.order_id).pack()
        )
        for line in unpaid[:PAY_BUTTONS]
    ]
    ctx.send(
        leader.tg_user_id,
        "groupbuy/unpaid",
        lang=lang,
        board=board,
        unpaid=unpaid,
        markup=Keyboard.of(*(buttons[i : i + 3] for i in range(0, len(buttons), 3))),
    )


def send_uncollected(ctx: Emitter, board: Board, leader: Person) -> None:
    """Who has not collected yet, with a button per pickup code, to the leader privately."""
    lang = leader.language or ctx.lang
    waiting = board.uncollected
    buttons = [
        Button(
            ctx.label("gb_pick_button", line.room, line.pickup_code, lang=lang),
            data=HandOut(board.groupbuy.id, line.pickup_code or "").pack(),
        )
        for line in waiting[:PAY_BUTTONS]
    ]
    ctx.send(
        leader.tg_user_id,
        "groupbuy/uncollected",
        lang=lang,
        board=board,
        waiting=waiting,
        markup=Keyboard.of(*(buttons[i : i + 2] for i in range(0, len(buttons), 2))),
    )


def send_pack(ctx: Emitter, board: Board, leader: Person, building: str) -> None:
    """After closing: the 成团 question if the minimum was missed, else the summary pack."""
    groupbuy = board.groupbuy
    if groupbuy.status != DECIDING:
        send_summary(ctx, board, leader, building)
        return
    lang = leader.language or ctx.lang
    ctx.send(
        leader.tg_user_id,
        "groupbuy/decide",
        lang=lang,
        board=board,
        markup=Keyboard.of(
            [
                Button(ctx.label("gb_go", lang=lang), data=GoAhead(groupbuy.id).pack()),
                Button(ctx.label("gb_stop", lang=lang), data=CallOff(groupbuy.id).pack()),
            ]
        ),
    )


def arrival_reach(board: Board, codes: list[tuple[Person, str]]) -> tuple[int, list[str]]:
    """How many households Linli could send a code to, and the rooms it could not."""
    reached = {person.household_id for person, _ in codes if can_reach(person)}
    coded = [line for line in board.lines if line.pickup_code]
    unreachable = [line.room for line in coded if line.household_id not in reached]
    return len(coded) - len(unreachable), unreachable


async def after_close(ctx: Emitter, groupbuy: GroupBuy) -> bool:
    """Refresh the card and send the organiser their pack; False if they cannot be reached."""
    board = await board_of(ctx.session, groupbuy)
    ctx.refresh(groupbuy.live_key, groupbuy.chat_id)
    organiser = await ctx.session.get(Person, groupbuy.created_by) if groupbuy.created_by else None
    if organiser is None or not can_reach(organiser):
        return False
    send_pack(ctx, board, organiser, await building_name(ctx.session, groupbuy))
    return True


# -- buttons ------------------------------------------------------------------------------------


@button("gb", "+")
class Plus:
    """+1 of an item on the card."""

    groupbuy: int
    code: str


@button("gb", "-")
class Minus:
    """−1 of an item on the card."""

    groupbuy: int
    code: str


@button("gb", "me")
class Mine:
    """My household's order, shown only to the tapper."""

    groupbuy: int


@button("gb", "x")
class Withdraw:
    """Withdraw my household's order."""

    groupbuy: int


@button("gb", "pay")
class MarkPaid:
    """The organiser ticks an order as paid."""

    order: int


@button("gb", "pk")
class HandOut:
    """The gate hands out the goods of a pickup code."""

    groupbuy: int
    code: str


@button("gb", "go")
class GoAhead:
    """成团 not reached: go ahead anyway."""

    groupbuy: int


@button("gb", "stop")
class CallOff:
    """成团 not reached: cancel the buy."""

    groupbuy: int


@button("gb", "dup")
class OpenRepeat:
    """A title repeated within a day: open it after all."""

    groupbuy: int


@button("gb", "nodup")
class DropRepeat:
    """A title repeated within a day: drop it."""

    groupbuy: int
