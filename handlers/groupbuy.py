"""Group-buys (社区团购 · 接龙) in a building's group.

A leader sends `/groupbuy` with one line per field; Linli posts a live 接龙 card. Households sign
up by tapping +1/−1, by replying to the card (`A2 B1`) or with `/join A2 B1`. At the deadline
(or `/close`) the organiser gets the supplier summary, the pick list and payment tracking in
private; `/arrived` sends each household a pickup code; `/picked <code>` hands the goods out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from bot.context import Button, Ctx, Emitter, Keyboard
from bot.routing import Router
from handlers.groupbuy_export import export_csv, export_xlsx
from handlers.identity import can_reach, sender_person
from models.chat_language import group_language
from models.errors import StaleButton, Usage
from models.groupbuy import (
    CANCELLED,
    CLOSED,
    OPEN,
    Board,
    GroupBuy,
    OrderChange,
    OrderLine,
    board_of,
    building_name,
    cancel_groupbuy,
    cancel_order,
    change_order,
    close_due_groupbuys,
    close_groupbuy,
    extend_groupbuy,
    find_groupbuy,
    go_ahead,
    household_names,
    item_codes,
    managed_groupbuy,
    mark_arrived,
    members_of,
    open_groupbuy,
    open_uncollected_tasks,
    order_line,
    pick_up,
    reopen_groupbuy,
    require_organiser,
    set_paid,
)
from models.groupbuy_spec import parse_groupbuy, parse_order
from models.people import Person, bound_building, require_leader, require_registered
from models.when import parse_when

router = Router("groupbuy")

CARD_LINES = 60  # 接龙 lines shown on the card; the rest are counted (a message holds 4096 chars)
LIST_CHUNK = 80  # households per pick-list message
PAY_BUTTONS = 48  # unpaid rooms offered as buttons; /paid covers the rest


# -- rendering shared by handlers and scheduled jobs ------------------------------------------


@router.live_view("groupbuy")
async def card_view(ctx: Emitter, key: str) -> None:
    """Render group-buy card `groupbuy:<id>` as it is now (delivery calls this when sending)."""
    groupbuy = await find_groupbuy(ctx.session, None, key.partition(":")[2], ())
    lang = await group_language(
        ctx.session, groupbuy.chat_id, default=ctx.settings.default_language
    )
    show_card(ctx, await board_of(ctx.session, groupbuy), lang)


def show_card(ctx: Emitter, board: Board, lang: str) -> None:
    """Post or refresh the group-buy's live 接龙 card in its group, in the group's language."""
    groupbuy = board.groupbuy
    ctx.live(
        groupbuy.live_key,
        groupbuy.chat_id,
        "groupbuy/card",
        lang=lang,
        board=board,
        shown=board.lines[-CARD_LINES:] if len(board.lines) > CARD_LINES else board.lines,
        hidden=max(0, len(board.lines) - CARD_LINES),
        accepting=groupbuy.accepts_orders(ctx.clock.now()),
        markup=_card_keyboard(ctx, board, lang)
        if groupbuy.accepts_orders(ctx.clock.now())
        else None,
    )


def _card_keyboard(ctx: Emitter, board: Board, lang: str) -> Keyboard:
    gid = board.groupbuy.id
    rows = [
        [
            Button(ctx.label("gb_plus", item.code, lang=lang), data=f"gb:+:{gid}:{item.code}"),
            Button(ctx.label("gb_minus", item.code, lang=lang), data=f"gb:-:{gid}:{item.code}"),
        ]
        for item in board.items
    ]
    rows.append(
        [
            Button(ctx.label("gb_mine", lang=lang), data=f"gb:me:{gid}"),
            Button(ctx.label("gb_cancel_mine", lang=lang), data=f"gb:x:{gid}"),
        ]
    )
    return Keyboard.of(*rows)


def _to_people(ctx: Emitter, people: Iterable[Person], template: str, **values: object) -> None:
    """Tell each person privately, in their language (only those who have started the bot)."""
    for person in people:
        if can_reach(person):
            ctx.send(person.tg_user_id, template, lang=person.language or ctx.lang, **values)


async def _notify_promotions(ctx: Emitter, change: OrderChange) -> None:
    by_household: dict[int, list[tuple[str, int]]] = {}
    for promotion in change.promotions:
        by_household.setdefault(promotion.household_id, []).append(
            (promotion.code, promotion.units)
        )
    for person in await members_of(ctx.session, by_household):
        assert person.household_id is not None
        _to_people(
            ctx,
            [person],
            "groupbuy/promoted",
            title=change.groupbuy.title,
            units=by_household[person.household_id],
        )


async def send_summary(ctx: Emitter, board: Board, leader: Person) -> None:
    """The organiser's private pack after closing: supplier totals, pick list, unpaid rooms."""
    lang = leader.language or ctx.lang
    chat = leader.tg_user_id
    building = await building_name(ctx.session, board.groupbuy)
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
    _send_unpaid(ctx, board, chat, lang)


def _send_unpaid(ctx: Emitter, board: Board, chat: int, lang: str) -> None:
    unpaid = board.unpaid
    buttons = [
        Button(ctx.label("gb_paid_button", line.room, lang=lang), data=f"gb:pay:{line.order_id}")
        for line in unpaid[:PAY_BUTTONS]
    ]
    ctx.send(
        chat,
        "groupbuy/unpaid",
        lang=lang,
        board=board,
        unpaid=unpaid,
        markup=Keyboard.of(*(buttons[i : i + 3] for i in range(0, len(buttons), 3))),
    )


async def _organisers(ctx: Emitter, groupbuy: GroupBuy) -> list[Person]:
    """Who gets the leader's private messages: the organiser (who opened it)."""
    organiser = await ctx.session.get(Person, groupbuy.created_by) if groupbuy.created_by else None
    return [organiser] if can_reach(organiser) else []


async def after_close(ctx: Emitter, groupbuy: GroupBuy) -> None:
    """Refresh the card, and send the organiser the summary or the 成团 question."""
    board = await board_of(ctx.session, groupbuy)
    ctx.refresh(groupbuy.live_key, groupbuy.chat_id)
    for leader in await _organisers(ctx, groupbuy):
        if groupbuy.awaiting_decision:
            lang = leader.language or ctx.lang
            ctx.send(
                leader.tg_user_id,
                "groupbuy/decide",
                lang=lang,
                board=board,
                markup=Keyboard.of(
                    [
                        Button(ctx.label("gb_go", lang=lang), data=f"gb:go:{groupbuy.id}"),
                        Button(ctx.label("gb_stop", lang=lang), data=f"gb:stop:{groupbuy.id}"),
                    ]
                ),
            )
        else:
            await send_summary(ctx, board, leader)


# -- scheduled work ----------------------------------------------------------------------------


async def close_at_deadline(ctx: Emitter) -> None:
    """Scheduler job: close group-buys whose deadline passed."""
    for groupbuy in await close_due_groupbuys(ctx.session, ctx.clock.now()):
        await after_close(ctx, groupbuy)


async def uncollected_to_tasks(ctx: Emitter) -> None:
    """Scheduler job: pickups still waiting after their time become tasks on the board."""
    await open_uncollected_tasks(ctx.session, ctx.clock.now())


JOBS = [close_at_deadline, uncollected_to_tasks]


# -- the leader opens and manages ---------------------------------------------------------------


@router.command("groupbuy", where="group", audience="leader")
async def open_(ctx: Ctx) -> None:
    """/groupbuy <title> + one line per field: open a group-buy (no text: the form to copy)."""
    building = await bound_building(ctx.session, ctx.incoming.chat.id)
    actor = await sender_person(ctx)
    if not ctx.incoming.args:
        await require_leader(ctx.session, actor, building.id)
        ctx.reply("groupbuy/form")
        return
    now = ctx.clock.now()
    spec = parse_groupbuy(ctx.incoming.args, now=now, tz=ctx.settings.tz)
    groupbuy = await open_groupbuy(
        ctx.session,
        spec=spec,
        chat_id=ctx.incoming.chat.id,
        actor=actor,
        now=now,
    )
    ctx.refresh(groupbuy.live_key, groupbuy.chat_id)


async def _managed(ctx: Ctx, ref: str | None, statuses: Sequence[str]) -> GroupBuy:
    """The group-buy a leader command is about, checked against the sender's authority."""
    actor = await sender_person(ctx)
    chat = ctx.incoming.chat
    if chat.is_group:
        groupbuy = await find_groupbuy(ctx.session, chat.id, ref, statuses)
        await require_organiser(ctx.session, groupbuy, actor)
    else:
        groupbuy = await managed_groupbuy(ctx.session, actor, ref, statuses)
    return groupbuy


def _split_ref(args: str) -> tuple[str | None, str]:
    """`#12 rest` → ("12", "rest"); anything else has no explicit group-buy id."""
    head, _, rest = args.strip().partition(" ")
    if head.startswith("#") and head[1:].isdigit():
        return head[1:], rest.strip()
    return None, args.strip()


@router.command("close", audience="leader")
async def close(ctx: Ctx) -> None:
    """/close [#id]: stop taking orders now."""
    ref, _ = _split_ref(ctx.incoming.args)
    groupbuy = await _managed(ctx, ref, (OPEN,))
    await close_groupbuy(ctx.session, groupbuy, actor=ctx.person, now=ctx.clock.now())
    ctx.reply("groupbuy/closed", title=groupbuy.title)
    await after_close(ctx, groupbuy)


@router.command("reopen", audience="leader")
async def reopen(ctx: Ctx) -> None:
    """/reopen [#id]: take orders again until the deadline."""
    ref, _ = _split_ref(ctx.incoming.args)
    groupbuy = await _managed(ctx, ref, (CLOSED,))
    await reopen_groupbuy(ctx.session, groupbuy, actor=ctx.person, now=ctx.clock.now())
    ctx.reply("groupbuy/reopened", title=groupbuy.title, deadline=groupbuy.deadline)
    ctx.refresh(groupbuy.live_key, groupbuy.chat_id)


@router.command("extend", audience="leader")
async def extend(ctx: Ctx) -> None:
    """/extend [#id] <time>: move the deadline (a closed group-buy opens again)."""
    ref, when_text = _split_ref(ctx.incoming.args)
    if not when_text:
        raise Usage(command="extend")
    groupbuy = await _managed(ctx, ref, (OPEN, CLOSED))
    now = ctx.clock.now()
    deadline = parse_when(when_text, now=now, tz=ctx.settings.tz)
    await extend_groupbuy(ctx.session, groupbuy, deadline=deadline, actor=ctx.person, now=now)
    ctx.reply("groupbuy/extended", title=groupbuy.title, deadline=deadline)
    ctx.refresh(groupbuy.live_key, groupbuy.chat_id)


@router.command("cancelbuy", audience="leader")
async def cancel_buy(ctx: Ctx) -> None:
    """/cancelbuy [#id] <reason>: call it off; every participant is told privately."""
    ref, reason = _split_ref(ctx.incoming.args)
    if not reason:
        raise Usage(command="cancelbuy")
    groupbuy = await _managed(ctx, ref, (OPEN, CLOSED))
    await _cancel(ctx, groupbuy, reason)


async def _cancel(ctx: Ctx, groupbuy: GroupBuy, reason: str) -> None:
    people = await cancel_groupbuy(
        ctx.session, groupbuy, reason=reason, actor=ctx.person, now=ctx.clock.now()
    )
    _to_people(ctx, people, "groupbuy/cancelled", title=groupbuy.title, reason=reason)
    ctx.reply("groupbuy/cancelled_done", title=groupbuy.title, told=len(people))
    ctx.refresh(groupbuy.live_key, groupbuy.chat_id)


@router.command("paid", audience="leader")
async def paid(ctx: Ctx) -> None:
    """/paid [#id] <room>: record a household's payment (/paid … undo to take it back)."""
    ref, rest = _split_ref(ctx.incoming.args)
    room, _, flag = rest.partition(" ")
    if not room:
        raise Usage(command="paid")
    groupbuy = await _managed(ctx, ref, (OPEN, CLOSED))
    undo = flag.strip().lower() in ("undo", "撤销", "no", "未付")
    line = await set_paid(
        ctx.session, groupbuy, room_text=room, paid=not undo, actor=ctx.person, now=ctx.clock.now()
    )
    ctx.reply("groupbuy/paid", title=groupbuy.title, line=line)


@router.command("unpaid", audience="leader")
async def unpaid(ctx: Ctx) -> None:
    """/unpaid [#id]: the rooms that have not paid, with a button each (sent privately)."""
    ref, _ = _split_ref(ctx.incoming.args)
    groupbuy = await _managed(ctx, ref, (OPEN, CLOSED))
    leader = await sender_person(ctx)
    _send_unpaid(ctx, await board_of(ctx.session, groupbuy), leader.tg_user_id, ctx.lang)
    if ctx.incoming.chat.is_group:
        ctx.reply("groupbuy/sent_privately")


@router.command("summary", audience="leader")
async def summary(ctx: Ctx) -> None:
    """/summary [#id]: supplier totals, pick list and unpaid rooms, in private."""
    ref, _ = _split_ref(ctx.incoming.args)
    groupbuy = await _managed(ctx, ref, (OPEN, CLOSED))
    await send_summary(ctx, await board_of(ctx.session, groupbuy), await sender_person(ctx))
    if ctx.incoming.chat.is_group:
        ctx.reply("groupbuy/sent_privately")


@router.command("export", audience="leader")
async def export(ctx: Ctx) -> None:
    """/export [#id]: the orders as CSV and XLSX files, in private."""
    ref, _ = _split_ref(ctx.incoming.args)
    groupbuy = await _managed(ctx, ref, (OPEN, CLOSED, CANCELLED))
    board = await board_of(ctx.session, groupbuy)
    names = await household_names(ctx.session, (line.household_id for line in board.lines))
    headers = ctx.label("gb_export_headers").split("|")
    chat = (await sender_person(ctx)).tg_user_id
    stem = f"groupbuy-{groupbuy.id}"
    ctx.send_file(chat, f"{stem}.csv", export_csv(board, names, headers))
    ctx.send_file(
        chat,
        f"{stem}.xlsx",
        export_xlsx(board, names, headers),
        caption="groupbuy/export_caption",
        board=board,
    )
    if ctx.incoming.chat.is_group:
        ctx.reply("groupbuy/sent_privately")


@router.command("arrived", audience="leader")
async def arrived(ctx: Ctx) -> None:
    """/arrived [#id]: the goods are here; every household gets its pickup code privately."""
    ref, _ = _split_ref(ctx.incoming.args)
    groupbuy = await _managed(ctx, ref, (CLOSED,))
    codes = await mark_arrived(ctx.session, groupbuy, actor=ctx.person, now=ctx.clock.now())
    board = await board_of(ctx.session, groupbuy)
    for person, code in codes:
        line = board.line_of(person.household_id or 0)
        _to_people(ctx, [person], "groupbuy/pickup_code", board=board, code=code, line=line)
    ctx.send(
        groupbuy.chat_id,
        "groupbuy/arrived_notice",
        lang=await group_language(
            ctx.session, groupbuy.chat_id, default=ctx.settings.default_language
        ),
        board=board,
    )
    reached = {person.household_id for person, _ in codes if can_reach(person)}
    unreachable = [
        line.room for line in board.lines if line.pickup_code and line.household_id not in reached
    ]
    leader = await sender_person(ctx)
    # Rooms that no one can be messaged for are a private matter for the organiser.
    ctx.send(leader.tg_user_id, "groupbuy/arrived_done", board=board, unreachable=unreachable)
    ctx.refresh(groupbuy.live_key, groupbuy.chat_id)


@router.command("picked", audience="gatekeeper", needs_bound=True)
async def picked(ctx: Ctx) -> None:
    """/picked <code>: a leader or volunteer at the gate hands a household its goods."""
    code = ctx.incoming.args.strip()
    if not code:
        raise Usage(command="picked")
    chat = ctx.incoming.chat
    groupbuy, line = await pick_up(
        ctx.session,
        chat_id=chat.id if chat.is_group else None,
        code_text=code,
        actor=await sender_person(ctx),
        now=ctx.clock.now(),
    )
    ctx.reply("groupbuy/picked", title=groupbuy.title, line=line)


@router.command("uncollected", audience="leader")
async def uncollected(ctx: Ctx) -> None:
    """/uncollected [#id]: who has not collected yet, with a button per pickup code."""
    ref, _ = _split_ref(ctx.incoming.args)
    groupbuy = await _managed(ctx, ref, (CLOSED,))
    board = await board_of(ctx.session, groupbuy)
    waiting = board.uncollected
    buttons = [
        Button(
            ctx.label("gb_pick_button", line.room, line.pickup_code),
            data=f"gb:pk:{groupbuy.id}:{line.pickup_code}",
        )
        for line in waiting[:PAY_BUTTONS]
    ]
    leader = await sender_person(ctx)
    ctx.send(
        leader.tg_user_id,
        "groupbuy/uncollected",
        board=board,
        waiting=waiting,
        markup=Keyboard.of(*(buttons[i : i + 2] for i in range(0, len(buttons), 2))),
    )
    if ctx.incoming.chat.is_group:
        ctx.reply("groupbuy/sent_privately")


# -- residents sign up --------------------------------------------------------------------------


async def _household_in(ctx: Ctx, groupbuy: GroupBuy) -> int:
    """The sender's household, which must be in the group-buy's building."""
    person = require_registered(ctx.person, groupbuy.building_id)
    assert person.household_id is not None
    return person.household_id


async def _sign_up(ctx: Ctx, groupbuy: GroupBuy, text: str) -> None:
    household = await _household_in(ctx, groupbuy)
    request = parse_order(text, item_codes=await item_codes(ctx.session, groupbuy.id))
    change = await change_order(
        ctx.session,
        groupbuy_id=groupbuy.id,
        household_id=household,
        quantities=request.quantities,
        mode=request.mode,
        now=ctx.clock.now(),
    )
    await _after_change(ctx, change)
    # In a busy group a reply per sign-up would flood it (20 messages a minute): the card shows
    # the new line, and the confirmation goes to the private chat where we may write.
    if can_reach(ctx.person):
        ctx.send(ctx.person.tg_user_id, "groupbuy/joined", change=change)


async def _after_change(ctx: Ctx, change: OrderChange) -> None:
    await _notify_promotions(ctx, change)
    ctx.refresh(change.groupbuy.live_key, change.groupbuy.chat_id)


@router.command("join", where="group", needs_bound=True)
async def join(ctx: Ctx) -> None:
    """/join [#id] A2 B1: sign the household up (or change its order)."""
    ref, text = _split_ref(ctx.incoming.args)
    if not text:
        raise Usage(command="join")
    groupbuy = await find_groupbuy(ctx.session, ctx.incoming.chat.id, ref, (OPEN,))
    await _sign_up(ctx, groupbuy, text)


@router.reply_to_live("groupbuy")
async def reply_to_card(ctx: Ctx) -> None:
    """A reply to the card (`A2 B1`, `+2`) is a sign-up."""
    assert ctx.live_key is not None
    groupbuy = await find_groupbuy(
        ctx.session, ctx.incoming.chat.id, ctx.live_key.partition(":")[2], (OPEN,)
    )
    await _sign_up(ctx, groupbuy, ctx.incoming.text or "")


@router.deep_link("gb")
async def my_pickup(ctx: Ctx) -> None:
    """/start gb<id> (from the arrival notice): the household's order and pickup code."""
    groupbuy = await find_groupbuy(ctx.session, None, ctx.incoming.args.strip()[2:], ())
    person = await sender_person(ctx)
    household = await _household_in(ctx, groupbuy)
    board = await board_of(ctx.session, groupbuy)
    line = board.line_of(household)
    if line is None or not line.pickup_code:
        ctx.reply("groupbuy/mine", groupbuy=groupbuy, line=line)
        return
    ctx.send(
        person.tg_user_id, "groupbuy/pickup_code", board=board, code=line.pickup_code, line=line
    )


# -- buttons ------------------------------------------------------------------------------------


def _tap(ctx: Ctx, count: int) -> list[str]:
    """The fields after `gb:`; forged or malformed data is a stale button."""
    parts = (ctx.incoming.callback_data or "").split(":")
    if len(parts) != count + 1 or not all(parts[1:]):
        raise StaleButton()
    return parts[1:]


def _id(text: str) -> int:
    if not text.isdigit() or len(text) > 15:
        raise StaleButton()
    return int(text)


@router.callback("gb")
async def on_tap(ctx: Ctx) -> None:
    """Every group-buy button: +1/−1, my order, cancel mine, paid, 成团 decision, pickup."""
    action = (ctx.incoming.callback_data or "").split(":")[1:2]
    handler = TAPS.get(action[0] if action else "")
    if handler is None:
        raise StaleButton()
    await handler(ctx)


async def _tapped_groupbuy(ctx: Ctx, ref: str) -> GroupBuy:
    groupbuy = await find_groupbuy(ctx.session, None, ref, ())
    if ctx.incoming.chat.is_group and groupbuy.chat_id != ctx.incoming.chat.id:
        raise StaleButton()
    return groupbuy


async def on_step(ctx: Ctx) -> None:
    """+1 / −1 on an item."""
    sign, ref, code = _tap(ctx, 3)
    groupbuy = await _tapped_groupbuy(ctx, ref)
    household = await _household_in(ctx, groupbuy)
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
    _, ref = _tap(ctx, 2)
    groupbuy = await _tapped_groupbuy(ctx, ref)
    household = await _household_in(ctx, groupbuy)
    line = (await board_of(ctx.session, groupbuy)).line_of(household)
    ctx.answer("groupbuy/mine", alert=True, groupbuy=groupbuy, line=line)


async def on_cancel_mine(ctx: Ctx) -> None:
    """Withdraw the household's order."""
    _, ref = _tap(ctx, 2)
    groupbuy = await _tapped_groupbuy(ctx, ref)
    change = await cancel_order(
        ctx.session,
        groupbuy_id=groupbuy.id,
        household_id=await _household_in(ctx, groupbuy),
        now=ctx.clock.now(),
    )
    await _after_change(ctx, change)
    ctx.answer("groupbuy/withdrawn", title=groupbuy.title)


async def on_paid(ctx: Ctx) -> None:
    """The organiser ticks a room as paid."""
    _, order_ref = _tap(ctx, 2)
    groupbuy, line = await _order_of(ctx, _id(order_ref))
    line = await set_paid(
        ctx.session,
        groupbuy,
        room_text=line.room,
        paid=True,
        actor=ctx.person,
        now=ctx.clock.now(),
    )
    ctx.answer("groupbuy/paid", title=groupbuy.title, line=line)


async def _order_of(ctx: Ctx, order_id: int) -> tuple[GroupBuy, OrderLine]:
    groupbuy, line = await order_line(ctx.session, order_id)
    await require_organiser(ctx.session, groupbuy, ctx.person)
    return groupbuy, line


async def on_decide(ctx: Ctx) -> None:
    """成团 not reached: the organiser goes ahead or cancels."""
    choice, ref = _tap(ctx, 2)
    groupbuy = await _tapped_groupbuy(ctx, ref)
    await require_organiser(ctx.session, groupbuy, ctx.person)
    if choice == "go":
        await go_ahead(ctx.session, groupbuy, actor=ctx.person, now=ctx.clock.now())
        await send_summary(ctx, await board_of(ctx.session, groupbuy), await sender_person(ctx))
        ctx.answer()
    else:
        await _cancel(ctx, groupbuy, ctx.label("gb_min_not_met"))


async def on_pick(ctx: Ctx) -> None:
    """The volunteer at the gate taps a pickup code."""
    _, ref, code = _tap(ctx, 3)
    groupbuy, line = await pick_up(
        ctx.session,
        chat_id=None,
        code_text=f"{_id(ref)}-{code}",
        actor=await sender_person(ctx),
        now=ctx.clock.now(),
    )
    ctx.answer("groupbuy/picked", title=groupbuy.title, line=line)


TAPS = {
    "+": on_step,
    "-": on_step,
    "me": on_mine,
    "x": on_cancel_mine,
    "pay": on_paid,
    "go": on_decide,
    "stop": on_decide,
    "pk": on_pick,
}
