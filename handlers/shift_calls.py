"""Urgent calls (一呼百应), swaps (换班), freed-slot re-calls and /fatigue, around the shift card.

`/call 卸货 | +1h | 6` posts a shift that starts now (the usual card, marked urgent) and sends
each available volunteer of the building a private invitation with [I'm coming]; the first
answers take the slots and every other invitation then reads "full, thank you". Unfilled after
ten minutes, the call widens to the community and the leaders hear it. `/swap S-12` offers a
slot in the shift's group; a slot freed by a drop is re-called there in one message per shift.
"""

from __future__ import annotations

from bot.callbacks import button, tapped
from bot.context import Button, Ctx, Emitter, Keyboard
from bot.refusals import Usage, refusal
from bot.routing import Router
from handlers.identity import can_reach, sender_person
from handlers.shifts import TakeSlot, card_key
from models.chat_language import group_language
from models.fatigue import fatigue_report
from models.people import Building, Person, bound_building
from models.shift_calls import (
    ASSIGNED,
    answer_call,
    due_widenings,
    invite_of,
    invitees,
    open_call,
)
from models.shift_spec import parse_call
from models.shift_swaps import offer_swap, swap_state, take_swap
from models.shifts import load_shift, parse_shift_ref

router = Router("shift_calls")

FATIGUE_LINK = "fg"  # /start fg<building, 0 for all the leader's>: /fatigue asked in a group


@button("sh", "come")
class ComeToCall:
    """[I'm coming] on an urgent call's private invitation."""

    shift: int


@button("sh", "swap")
class TakeSwap:
    """[Take over] on a swap offer in the shift's group."""

    swap: int


def invite_key(shift_id: int, person_id: int) -> str:
    """The live key of one volunteer's private invitation to a call."""
    return f"call:{shift_id}:{person_id}"


def swap_key(swap_id: int) -> str:
    """The live key of a swap offer in the shift's group."""
    return f"swap:{swap_id}"


def _lang(ctx: Emitter, person: Person) -> str:
    return person.language or ctx.settings.default_language


# -- urgent calls ----------------------------------------------------------------------------------


@router.command("call", where="group", audience="leader", needs_bound=True)
async def call(ctx: Ctx) -> None:
    """/call <what> | <until HH:MM or +2h> | <people> [| skill: …]: a shift now, all hands."""
    building = await bound_building(ctx.session, ctx.incoming.chat.id)
    if not ctx.incoming.args.strip():
        raise Usage(command="call")
    now = ctx.clock.now()
    leader = await sender_person(ctx)
    opened = await open_call(
        ctx.session,
        leader=leader,
        building_id=building.id,
        chat_id=ctx.incoming.chat.id,
        spec=parse_call(ctx.incoming.args, now=now, tz=ctx.settings.tz),
        now=now,
        rules=ctx.settings.rest_rules,
        tz=ctx.settings.tz,
        reachable=can_reach,
    )
    shift = opened.shift
    ctx.refresh(card_key(shift.series_id or shift.id), shift.chat_id)
    for person in opened.invited:
        ctx.refresh(invite_key(shift.id, person.id), person.tg_user_id)
    # The count goes to the leader alone: the group sees the card, not a tally of who was asked.
    if can_reach(leader):
        ctx.send(
            leader.tg_user_id,
            "calls/opened",
            lang=_lang(ctx, leader),
            ref=shift.ref,
            post=shift.post,
            invited=len(opened.invited),
        )


@router.live_view("call")
async def invite_view(ctx: Emitter, key: str) -> None:
    """Render `call:<shift>:<person>`: the invitation, with [I'm coming] while slots are open."""
    _, shift_text, person_text = key.split(":")
    shift = await load_shift(ctx.session, int(shift_text))
    person = await ctx.session.get(Person, int(person_text))
    invite = await invite_of(ctx.session, shift.id, int(person_text))
    if person is None or invite is None:
        return
    building = await ctx.session.get(Building, shift.building_id)
    lang = _lang(ctx, person)
    if invite.outcome == ASSIGNED:
        state = "mine"
    elif shift.cancelled_at is not None:
        state = "cancelled"
    elif shift.ends_at <= ctx.clock.now():
        state = "over"
    elif shift.filled >= shift.people:
        state = "full"
    else:
        state = "open"
    markup = (
        Keyboard.of([Button(ctx.label("call_coming", lang=lang), ComeToCall(shift.id).pack())])
        if state == "open"
        else None
    )
    ctx.live(
        key,
        person.tg_user_id,
        "calls/invite",
        lang=lang,
        markup=markup,
        state=state,
        ref=shift.ref,
        post=shift.post,
        start=shift.starts_at,
        end=shift.ends_at,
        missing=max(0, shift.people - shift.filled),
        skill=shift.skill,
        building=building.name if building else "",
        widened=invite.wave > 1,
    )


@router.callback(ComeToCall)
async def on_come(ctx: Ctx) -> None:
    """[I'm coming]: the first answers take the slots; when full, every invitation says so."""
    volunteer = await sender_person(ctx)
    answer = await answer_call(
        ctx.session,
        shift_id=tapped(ctx.button, ComeToCall).shift,
        volunteer=volunteer,
        now=ctx.clock.now(),
        rules=ctx.settings.rest_rules,
        tz=ctx.settings.tz,
    )
    shift = answer.shift
    if answer.refused is not None:
        # Not raised: the answer is kept (they did respond), only the slot is refused.
        reading = refusal(answer.refused)
        ctx.answer(reading.template, alert=True, **reading.values)
        return
    if answer.assigned:
        ctx.refresh(card_key(shift.series_id or shift.id), shift.chat_id)
        ctx.answer("calls/coming_toast", ref=shift.ref)
    else:
        ctx.answer("errors/shift_full", ref=shift.ref)
    others = await invitees(ctx.session, shift.id) if answer.full else [volunteer]
    for person in others:
        ctx.refresh(invite_key(shift.id, person.id), person.tg_user_id)


@router.job
async def widen_calls(ctx: Emitter) -> None:
    """Calls unfilled after ten minutes: invite the community; the building's leaders hear."""
    for widening in await due_widenings(
        ctx.session,
        ctx.clock.now(),
        rules=ctx.settings.rest_rules,
        tz=ctx.settings.tz,
        reachable=can_reach,
    ):
        shift = widening.shift
        for person in widening.invited:
            ctx.refresh(invite_key(shift.id, person.id), person.tg_user_id)
        for leader in widening.leaders:
            if can_reach(leader):
                ctx.send(
                    leader.tg_user_id,
                    "calls/widened_leaders",
                    lang=_lang(ctx, leader),
                    ref=shift.ref,
                    post=shift.post,
                    missing=max(0, shift.people - shift.filled),
                    invited=len(widening.invited),
                )


# -- a slot freed before the start -----------------------------------------------------------------


@router.live_view("recall")
async def recall_view(ctx: Emitter, key: str) -> None:
    """Render `recall:<shift>`: one message per shift, edited as slots free up and fill again."""
    shift = await load_shift(ctx.session, int(key.partition(":")[2]))
    if shift.cancelled_at is not None:
        return
    lang = await group_language(ctx.session, shift.chat_id, default=ctx.settings.default_language)
    missing = max(0, shift.people - shift.filled)
    is_open = missing > 0 and shift.starts_at > ctx.clock.now()
    markup = (
        Keyboard.of([Button(ctx.label("shift_take", "", lang=lang), TakeSlot(shift.id).pack())])
        if is_open
        else None
    )
    ctx.live(
        key,
        shift.chat_id,
        "calls/recall_drop",
        lang=lang,
        markup=markup,
        ref=shift.ref,
        post=shift.post,
        start=shift.starts_at,
        end=shift.ends_at,
        missing=missing,
        is_open=is_open,
    )


# -- swaps -----------------------------------------------------------------------------------------


@router.command("swap", where="private", audience="volunteer")
async def swap(ctx: Ctx) -> None:
    """/swap S-12: offer one's slot in the shift's group; the first eligible taker gets it."""
    if not ctx.incoming.args.strip():
        raise Usage(command="swap")
    offer = await offer_swap(
        ctx.session,
        shift_id=parse_shift_ref(ctx.incoming.args),
        volunteer=await sender_person(ctx),
        now=ctx.clock.now(),
    )
    shift = await load_shift(ctx.session, offer.shift_id)
    ctx.refresh(swap_key(offer.id), shift.chat_id)
    ctx.reply("calls/swap_offered", ref=shift.ref, post=shift.post, start=shift.starts_at)


@router.live_view("swap")
async def swap_view(ctx: Emitter, key: str) -> None:
    """Render `swap:<id>`: the offer with [Take over] while open, then who took it."""
    state = await swap_state(ctx.session, int(key.partition(":")[2]), ctx.clock.now())
    shift = state.shift
    lang = await group_language(ctx.session, shift.chat_id, default=ctx.settings.default_language)
    markup = (
        Keyboard.of([Button(ctx.label("swap_take", lang=lang), TakeSwap(state.swap.id).pack())])
        if state.is_open
        else None
    )
    ctx.live(
        key,
        shift.chat_id,
        "calls/swap_card",
        lang=lang,
        markup=markup,
        ref=shift.ref,
        post=shift.post,
        start=shift.starts_at,
        end=shift.ends_at,
        skill=shift.skill,
        offerer=state.offerer.name if state.offerer else "",
        taker=state.taker.name if state.taker else None,
        is_open=state.is_open,
    )


@router.callback(TakeSwap)
async def on_take_swap(ctx: Ctx) -> None:
    """[Take over]: the slot moves to the taker; both are told privately."""
    state = await take_swap(
        ctx.session,
        swap_id=tapped(ctx.button, TakeSwap).swap,
        taker=await sender_person(ctx),
        now=ctx.clock.now(),
        rules=ctx.settings.rest_rules,
        tz=ctx.settings.tz,
    )
    shift = state.shift
    values = {"ref": shift.ref, "post": shift.post, "start": shift.starts_at, "end": shift.ends_at}
    for person, template in (
        (state.offerer, "calls/swap_released"),
        (state.taker, "calls/swap_taken"),
    ):
        if person is not None and can_reach(person):
            ctx.send(
                person.tg_user_id,
                template,
                lang=_lang(ctx, person),
                offerer=state.offerer.name if state.offerer else "",
                taker=state.taker.name if state.taker else "",
                **values,
            )
    ctx.refresh(swap_key(state.swap.id), shift.chat_id)
    ctx.refresh(card_key(shift.series_id or shift.id), shift.chat_id)
    ctx.answer("calls/swap_taken_toast", ref=shift.ref)


# -- /fatigue --------------------------------------------------------------------------------------


async def _fatigue(ctx: Ctx, building_id: int | None) -> None:
    report = await fatigue_report(
        ctx.session,
        leader=await sender_person(ctx),
        building_id=building_id,
        now=ctx.clock.now(),
        rules=ctx.settings.rest_rules,
        tz=ctx.settings.tz,
    )
    leader = ctx.person
    assert leader is not None
    if ctx.incoming.chat.is_private:
        ctx.reply("calls/fatigue", report=report)
    elif can_reach(leader):
        ctx.send(leader.tg_user_id, "calls/fatigue", lang=_lang(ctx, leader), report=report)
        ctx.reply("groupbuy/sent_privately")
    else:
        # Names and hours are for leaders: the group only gets the way to the private chat.
        ctx.reply("groupbuy/open_privately", link=ctx.deep_link(f"{FATIGUE_LINK}{building_id}"))


@router.command("fatigue", audience="leader")
async def fatigue(ctx: Ctx) -> None:
    """/fatigue: hours this week, who is near the rest limits, who never comes (private)."""
    if ctx.incoming.chat.is_group:
        await _fatigue(ctx, (await bound_building(ctx.session, ctx.incoming.chat.id)).id)
    else:
        await _fatigue(ctx, None)


@router.deep_link(FATIGUE_LINK)
async def fatigue_from_link(ctx: Ctx) -> None:
    """/start fg<building>: /fatigue asked in a group by a leader Linli could not reach yet."""
    building = ctx.incoming.args.strip()[len(FATIGUE_LINK) :]
    # The link may have been forwarded: the authority is checked again for whoever opens it.
    await _fatigue(ctx, int(building) if building.isdigit() and building != "0" else None)
