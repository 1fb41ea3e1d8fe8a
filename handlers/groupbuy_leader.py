"""The group-buy leader's side: open, close, extend, cancel, payments, arrival, pickup at the gate.

Every service called here checks the sender's authority itself (leaders of the buy's building
and coordinators; being the group's admin grants nothing). What a leader asks for in private
(summary, unpaid list, files, pickup list, arrival report) goes to their private chat when
Linli can write to them, else behind a `t.me/<bot>?start=<prefix><id>` link that delivers it
once opened (authority is checked again then).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from bot.callbacks import tapped
from bot.context import Button, Ctx, Keyboard
from bot.refusals import StaleButton, Usage, refusal
from bot.routing import Router
from handlers.groupbuy_export import export_csv, export_xlsx
from handlers.groupbuy_views import (
    ARRIVED_LINK,
    EXPORT_LINK,
    PACK_LINK,
    SUMMARY_LINK,
    UNCOLLECTED_LINK,
    UNPAID_LINK,
    CallOff,
    DropRepeat,
    GoAhead,
    HandOut,
    MarkPaid,
    OpenRepeat,
    after_close,
    arrival_reach,
    send_pack,
    send_summary,
    send_uncollected,
    send_unpaid,
    tapped_groupbuy,
    to_leader,
    to_people,
)
from handlers.identity import can_reach, sender_person
from handlers.reports import EXPORTS, export_records
from handlers.shift_exports import export_roster
from models.chat_language import group_language
from models.errors import AlreadyPickedUp, UnknownPickupCode
from models.groupbuy import (
    CANCELLED,
    DRAFT,
    ENDED,
    OPEN,
    GroupBuy,
    arrival_report,
    board_of,
    building_name,
    cancel_groupbuy,
    close_groupbuy,
    confirm_groupbuy,
    extend_groupbuy,
    go_ahead,
    groupbuy_by_ref,
    managed_groupbuy,
    mark_arrived,
    open_groupbuy,
    order_line,
    organiser_board,
    organiser_export,
    pick_up,
    reopen_groupbuy,
    set_paid,
)
from models.groupbuy_spec import parse_groupbuy
from models.people import Person, bound_building, require_leader
from models.when import parse_when

router = Router("groupbuy_leader")

# Sends a prepared private answer to one leader.
Deliver = Callable[[Person], None]


# -- finding the group-buy a command is about ----------------------------------------------------


def split_ref(args: str) -> tuple[str | None, str]:
    """`#12 rest` → ("#12", "rest"); `#abc` is a (wrong) reference too, never "the only one"."""
    head, _, rest = args.strip().partition(" ")
    if head.startswith("#") and len(head) > 1:
        return head, rest.strip()
    return None, args.strip()


async def _managed(ctx: Ctx, ref: str | None, statuses: Sequence[str]) -> GroupBuy:
    """The group-buy a leader command is about, checked against the sender's authority."""
    chat = ctx.incoming.chat
    return await managed_groupbuy(
        ctx.session,
        await sender_person(ctx),
        ref,
        statuses,
        chat_id=chat.id if chat.is_group else None,
    )


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
    if groupbuy.status == DRAFT:
        gid = groupbuy.id
        ctx.reply(
            "groupbuy/repeat_title",
            title=groupbuy.title,
            markup=Keyboard.of(
                [
                    Button(ctx.label("gb_repeat_open"), data=OpenRepeat(gid).pack()),
                    Button(ctx.label("gb_repeat_drop"), data=DropRepeat(gid).pack()),
                ]
            ),
        )
        return
    ctx.refresh(groupbuy.live_key, groupbuy.chat_id)


@router.command("close", audience="leader")
async def close(ctx: Ctx) -> None:
    """/close [#id]: stop taking orders now."""
    ref, _ = split_ref(ctx.incoming.args)
    groupbuy = await _managed(ctx, ref, (OPEN,))
    await close_groupbuy(ctx.session, groupbuy, actor=ctx.person, now=ctx.clock.now())
    delivered = await after_close(ctx, groupbuy)
    link = None if delivered else ctx.deep_link(f"{PACK_LINK}{groupbuy.id}")
    ctx.reply("groupbuy/closed", title=groupbuy.title, link=link)


@router.command("reopen", audience="leader")
async def reopen(ctx: Ctx) -> None:
    """/reopen [#id]: take orders again until the deadline."""
    ref, _ = split_ref(ctx.incoming.args)
    groupbuy = await _managed(ctx, ref, ENDED)
    await reopen_groupbuy(ctx.session, groupbuy, actor=ctx.person, now=ctx.clock.now())
    ctx.reply("groupbuy/reopened", title=groupbuy.title, deadline=groupbuy.deadline)
    ctx.refresh(groupbuy.live_key, groupbuy.chat_id)


@router.command("extend", audience="leader")
async def extend(ctx: Ctx) -> None:
    """/extend [#id] <time>: move the deadline (a closed group-buy opens again)."""
    ref, when_text = split_ref(ctx.incoming.args)
    if not when_text:
        raise Usage(command="extend")
    groupbuy = await _managed(ctx, ref, (OPEN, *ENDED))
    now = ctx.clock.now()
    deadline = parse_when(when_text, now=now, tz=ctx.settings.tz)
    await extend_groupbuy(ctx.session, groupbuy, deadline=deadline, actor=ctx.person, now=now)
    ctx.reply("groupbuy/extended", title=groupbuy.title, deadline=deadline)
    ctx.refresh(groupbuy.live_key, groupbuy.chat_id)


@router.command("cancelbuy", audience="leader")
async def cancel_buy(ctx: Ctx) -> None:
    """/cancelbuy [#id] <reason>: call it off; every participant Linli can reach is told."""
    ref, reason = split_ref(ctx.incoming.args)
    if not reason:
        raise Usage(command="cancelbuy")
    groupbuy = await _managed(ctx, ref, (OPEN, *ENDED))
    await _cancel(ctx, groupbuy, reason)


async def _cancel(ctx: Ctx, groupbuy: GroupBuy, reason: str) -> None:
    people = await cancel_groupbuy(
        ctx.session,
        groupbuy,
        reason=reason,
        actor=ctx.person,
        now=ctx.clock.now(),
    )
    told = to_people(ctx, people, "groupbuy/cancelled", title=groupbuy.title, reason=reason)
    # Only the people really messaged are counted: the others learn it from the card.
    ctx.reply("groupbuy/cancelled_done", title=groupbuy.title, told=told)
    ctx.refresh(groupbuy.live_key, groupbuy.chat_id)


@router.command("paid", audience="leader")
async def paid(ctx: Ctx) -> None:
    """/paid [#id] <room>: record a household's payment (/paid … undo to take it back)."""
    ref, rest = split_ref(ctx.incoming.args)
    room, _, flag = rest.partition(" ")
    if not room:
        raise Usage(command="paid")
    groupbuy = await _managed(ctx, ref, (OPEN, *ENDED))
    undo = flag.strip().lower() in ("undo", "撤销", "no", "未付")
    line = await set_paid(
        ctx.session,
        groupbuy,
        room_text=room,
        paid=not undo,
        actor=ctx.person,
        now=ctx.clock.now(),
    )
    leader = await sender_person(ctx)
    if ctx.incoming.chat.is_group and can_reach(leader):
        # A room's payment is the organiser's business: the group hears nothing of it.
        ctx.send(leader.tg_user_id, "groupbuy/paid", title=groupbuy.title, line=line, room=True)
    else:
        ctx.reply(
            "groupbuy/paid", title=groupbuy.title, line=line, room=not ctx.incoming.chat.is_group
        )


# -- the leader's private reads: straight to them, or behind a deep link -------------------------

Prepare = Callable[[Ctx, GroupBuy], Awaitable[Deliver]]


async def _summary(ctx: Ctx, groupbuy: GroupBuy) -> Deliver:
    board = await organiser_board(ctx.session, groupbuy, actor=ctx.person)
    building = await building_name(ctx.session, groupbuy)
    return lambda leader: send_summary(ctx, board, leader, building)


async def _pack(ctx: Ctx, groupbuy: GroupBuy) -> Deliver:
    board = await organiser_board(ctx.session, groupbuy, actor=ctx.person)
    building = await building_name(ctx.session, groupbuy)
    return lambda leader: send_pack(ctx, board, leader, building)


async def _unpaid(ctx: Ctx, groupbuy: GroupBuy) -> Deliver:
    board = await organiser_board(ctx.session, groupbuy, actor=ctx.person)
    return lambda leader: send_unpaid(ctx, board, leader)


async def _uncollected(ctx: Ctx, groupbuy: GroupBuy) -> Deliver:
    board = await organiser_board(ctx.session, groupbuy, actor=ctx.person)
    return lambda leader: send_uncollected(ctx, board, leader)


async def _export(ctx: Ctx, groupbuy: GroupBuy) -> Deliver:
    board, names = await organiser_export(ctx.session, groupbuy, actor=ctx.person)

    def deliver(leader: Person) -> None:
        lang = leader.language or ctx.lang
        headers = ctx.label("gb_export_headers", lang=lang).split("|")
        stem = f"groupbuy-{groupbuy.id}"
        ctx.send_file(leader.tg_user_id, f"{stem}.csv", export_csv(board, names, headers))
        ctx.send_file(
            leader.tg_user_id,
            f"{stem}.xlsx",
            export_xlsx(board, names, headers),
            caption="groupbuy/export_caption",
            lang=lang,
            board=board,
        )

    return deliver


async def _arrival(ctx: Ctx, groupbuy: GroupBuy) -> Deliver:
    board, codes = await arrival_report(ctx.session, groupbuy, actor=ctx.person)
    sent, unreachable = arrival_reach(board, codes)
    return lambda leader: ctx.send(
        leader.tg_user_id,
        "groupbuy/arrived_done",
        lang=leader.language or ctx.lang,
        board=board,
        sent=sent,
        unreachable=unreachable,
    )


async def _ask(ctx: Ctx, prefix: str, prepare: Prepare, statuses: Sequence[str]) -> None:
    """A leader's read command: authority checked now, the answer sent privately or linked."""
    ref, _ = split_ref(ctx.incoming.args)
    groupbuy = await _managed(ctx, ref, statuses)
    await to_leader(ctx, f"{prefix}{groupbuy.id}", await prepare(ctx, groupbuy))


@router.command("summary", audience="leader")
async def summary(ctx: Ctx) -> None:
    """/summary [#id]: supplier totals, pick list and unpaid rooms, in private."""
    await _ask(ctx, SUMMARY_LINK, _summary, (OPEN, *ENDED))


@router.command("unpaid", audience="leader")
async def unpaid(ctx: Ctx) -> None:
    """/unpaid [#id]: the rooms that have not paid, with a button each (sent privately)."""
    await _ask(ctx, UNPAID_LINK, _unpaid, (OPEN, *ENDED))


@router.command("export", audience="leader")
async def export(ctx: Ctx) -> None:
    """/export [#id]: the orders as CSV and XLSX files, in private; `/export roster`: the shifts;
    `/export tasks|hours [period]`: the buildings' tasks or service hours."""
    words = ctx.incoming.args.split()
    if [w.lower() for w in words] == ["roster"]:
        await export_roster(ctx)
        return
    if words and words[0].lower() in EXPORTS:
        await export_records(ctx, words[0].lower(), words[1:])
        return
    await _ask(ctx, EXPORT_LINK, _export, (OPEN, *ENDED, CANCELLED))


@router.command("uncollected", audience="leader")
async def uncollected(ctx: Ctx) -> None:
    """/uncollected [#id]: who has not collected yet, with a button per pickup code."""
    await _ask(ctx, UNCOLLECTED_LINK, _uncollected, ENDED)


READS: dict[str, Prepare] = {
    SUMMARY_LINK: _summary,
    PACK_LINK: _pack,
    UNPAID_LINK: _unpaid,
    UNCOLLECTED_LINK: _uncollected,
    EXPORT_LINK: _export,
    ARRIVED_LINK: _arrival,
}


def _linked(prefix: str, prepare: Prepare) -> Callable[[Ctx], Awaitable[None]]:
    async def open_link(ctx: Ctx) -> None:
        groupbuy = await groupbuy_by_ref(ctx.session, ctx.incoming.args.strip()[len(prefix) :])
        # The link may have been forwarded: whoever opens it needs the authority again.
        leader = await sender_person(ctx)
        deliver = await prepare(ctx, groupbuy)
        deliver(leader)

    open_link.__doc__ = f"/start {prefix}<id>: a leader's private answer, asked for in the group."
    return open_link


for _prefix, _prepare in READS.items():
    router.deep_link(_prefix)(_linked(_prefix, _prepare))


# -- arrival and pickup ---------------------------------------------------------------------------


@router.command("arrived", audience="leader")
async def arrived(ctx: Ctx) -> None:
    """/arrived [#id]: the goods are here; every household Linli can reach gets its code."""
    ref, _ = split_ref(ctx.incoming.args)
    groupbuy = await _managed(ctx, ref, ENDED)
    codes = await mark_arrived(ctx.session, groupbuy, actor=ctx.person, now=ctx.clock.now())
    board = await board_of(ctx.session, groupbuy)
    for person, code in codes:
        line = board.line_of(person.household_id or 0)
        to_people(ctx, [person], "groupbuy/pickup_code", board=board, code=code, line=line)
    sent, unreachable = arrival_reach(board, codes)
    ctx.send(
        groupbuy.chat_id,
        "groupbuy/arrived_notice",
        lang=await group_language(
            ctx.session, groupbuy.chat_id, default=ctx.settings.default_language
        ),
        board=board,
        sent=sent,
        total=sent + len(unreachable),
    )
    # The rooms nobody could be told are the organiser's business, never the group's.
    leader = await sender_person(ctx)
    if can_reach(leader):
        (await _arrival(ctx, groupbuy))(leader)
    else:
        ctx.reply("groupbuy/open_privately", link=ctx.deep_link(f"{ARRIVED_LINK}{groupbuy.id}"))
    ctx.refresh(groupbuy.live_key, groupbuy.chat_id)


def _to_gate(ctx: Ctx, template: str, **values: object) -> None:
    """Answer the gate volunteer; a group never sees a pickup code."""
    if not ctx.incoming.chat.is_group:
        ctx.reply(template, **values)
    elif can_reach(ctx.person):
        assert ctx.person is not None
        ctx.send(ctx.person.tg_user_id, template, lang=ctx.person.language or ctx.lang, **values)
    else:
        ctx.reply(template, **{**values, "code": None})


@router.command("picked", audience="gatekeeper", needs_bound=True)
async def picked(ctx: Ctx) -> None:
    """/picked <code>: a leader or volunteer at the gate hands a household its goods."""
    code = ctx.incoming.args.strip()
    if not code:
        raise Usage(command="picked")
    chat = ctx.incoming.chat
    try:
        pickup = await pick_up(
            ctx.session,
            chat_id=chat.id if chat.is_group else None,
            code_text=code,
            actor=await sender_person(ctx),
            now=ctx.clock.now(),
        )
    except AlreadyPickedUp as done:
        explained = refusal(done)
        _to_gate(ctx, explained.template, **explained.values)
        return
    if pickup.line is None or pickup.groupbuy is None:
        explained = refusal(UnknownPickupCode(code=code[:12]))
        _to_gate(ctx, explained.template, **explained.values)
        return
    line = pickup.line
    _to_gate(ctx, "groupbuy/picked", title=pickup.groupbuy.title, line=line, code=line.pickup_code)


# -- the leader's buttons -------------------------------------------------------------------------


@router.callback(MarkPaid)
async def on_paid(ctx: Ctx) -> None:
    """The organiser ticks a room as paid."""
    groupbuy, line = await order_line(ctx.session, tapped(ctx.button, MarkPaid).order)
    if ctx.incoming.chat.is_group and groupbuy.chat_id != ctx.incoming.chat.id:
        raise StaleButton()
    line = await set_paid(
        ctx.session,
        groupbuy,
        room_text=line.room,
        paid=True,
        actor=await sender_person(ctx),
        now=ctx.clock.now(),
    )
    ctx.answer("groupbuy/paid", title=groupbuy.title, line=line, room=True)


@router.callback(GoAhead)
@router.callback(CallOff)
async def on_decide(ctx: Ctx) -> None:
    """成团 not reached: the organiser goes ahead or cancels."""
    tap = ctx.button
    if not isinstance(tap, GoAhead | CallOff):
        raise StaleButton()
    groupbuy = await tapped_groupbuy(ctx, tap.groupbuy)
    actor = await sender_person(ctx)
    if isinstance(tap, GoAhead):
        await go_ahead(ctx.session, groupbuy, actor=actor, now=ctx.clock.now())
        board = await board_of(ctx.session, groupbuy)
        send_summary(ctx, board, actor, await building_name(ctx.session, groupbuy))
        ctx.answer()
    else:
        await _cancel(ctx, groupbuy, ctx.label("gb_min_not_met"))


@router.callback(OpenRepeat)
@router.callback(DropRepeat)
async def on_repeat(ctx: Ctx) -> None:
    """A title repeated within a day: the leader opens it after all, or drops it."""
    tap = ctx.button
    if not isinstance(tap, OpenRepeat | DropRepeat):
        raise StaleButton()
    groupbuy = await tapped_groupbuy(ctx, tap.groupbuy)
    open_it = isinstance(tap, OpenRepeat)
    await confirm_groupbuy(
        ctx.session,
        groupbuy,
        open_it=open_it,
        actor=await sender_person(ctx),
        now=ctx.clock.now(),
    )
    if open_it:
        ctx.refresh(groupbuy.live_key, groupbuy.chat_id)
        ctx.answer("groupbuy/repeat_opened", title=groupbuy.title)
    else:
        ctx.answer("groupbuy/repeat_dropped", title=groupbuy.title)


@router.callback(HandOut)
async def on_pick(ctx: Ctx) -> None:
    """The volunteer at the gate taps a pickup code."""
    tap = tapped(ctx.button, HandOut)
    code = tap.code
    pickup = await pick_up(
        ctx.session,
        chat_id=None,
        code_text=f"{tap.groupbuy}-{code}",
        actor=await sender_person(ctx),
        now=ctx.clock.now(),
    )
    if pickup.line is None or pickup.groupbuy is None:
        explained = refusal(UnknownPickupCode(code=code[:12]))
        ctx.answer(explained.template, alert=True, **explained.values)
        return
    line = pickup.line
    ctx.answer("groupbuy/picked", title=pickup.groupbuy.title, line=line, code=line.pickup_code)
