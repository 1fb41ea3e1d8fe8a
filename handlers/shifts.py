"""Volunteer shifts (排班) in a building's group: shift calls, slot claims, check-in and out.

A leader sends `/shift 门岗 Gate duty | 明天 08:00-12:00 | 3`; Linli posts a live shift card
with [Take a slot] [Drop] per day. Volunteers' claims go through the rest rules; the names of
volunteers on duty show on the card, their confirmations come privately. A scheduled job sends
reminders, the check-in and check-out buttons, and records the hours served.
"""

from __future__ import annotations

from bot.callbacks import button, tapped
from bot.context import Button, Ctx, Emitter, Keyboard
from bot.refusals import Usage
from bot.routing import Router
from handlers.identity import can_reach, sender_person
from handlers.shift_exports import send_calendar
from models.chat_language import group_language
from models.people import Person, bound_building, leaders_of
from models.shift_calls import is_call
from models.shift_notices import due_notices
from models.shift_spec import parse_shift
from models.shifts import (
    Shift,
    cancel_shift,
    check_in,
    check_out,
    claim_slot,
    drop_slot,
    home_building,
    load_shift,
    parse_shift_ref,
    post_shifts,
    series,
    shifts_of,
    upcoming,
    view,
)

router = Router("shifts")

CARD_ROWS = 7  # days of a recurring call shown on its card; later ones appear as days pass


@button("sh", "take")
class TakeSlot:
    """[Take a slot] on a shift card (one per day of a recurring call)."""

    shift: int


@button("sh", "drop")
class DropSlot:
    """[Drop] on a shift card or in /myshifts."""

    shift: int


@button("sh", "in")
class CheckIn:
    """The check-in button sent at the start of a shift."""

    shift: int


@button("sh", "out")
class CheckOut:
    """The check-out button sent at the end of a shift."""

    shift: int


def card_key(series_id: int) -> str:
    """The live key of a shift call's card."""
    return f"shift:{series_id}"


def recall_key(shift_id: int) -> str:
    """The live key of a freed slot's re-call in the group (its view: handlers/shift_calls.py)."""
    return f"recall:{shift_id}"


def _lang(ctx: Emitter, person: Person) -> str:
    return person.language or ctx.settings.default_language


@router.live_view("shift")
async def card_view(ctx: Emitter, key: str) -> None:
    """Render `shift:<series>`: post, times, slots filled with names, the buttons per day."""
    shifts = await series(ctx.session, int(key.partition(":")[2]))
    if not shifts:
        return
    first = shifts[0]
    now = ctx.clock.now()
    live = [s for s in shifts if s.ends_at > now and s.cancelled_at is None]
    shown = [await view(ctx.session, s) for s in live[:CARD_ROWS]]
    lang = await group_language(ctx.session, first.chat_id, default=ctx.settings.default_language)
    rows = []
    for v in shown:
        if v.shift.starts_at <= now:
            continue
        day = v.shift.starts_at.astimezone(ctx.settings.tz).strftime("%m-%d")
        rows.append(
            [
                Button(
                    ctx.label("shift_take", day if len(shifts) > 1 else "", lang=lang),
                    TakeSlot(v.shift.id).pack(),
                ),
                Button(ctx.label("shift_drop", lang=lang), DropSlot(v.shift.id).pack()),
            ]
        )
    ctx.live(
        key,
        first.chat_id,
        "shifts/card",
        lang=lang,
        markup=Keyboard.of(*rows),
        post=first.post,
        skill=first.skill,
        views=shown,
        more=max(0, len(live) - len(shown)),
        cancelled=all(s.cancelled_at is not None for s in shifts),
        urgent=await is_call(ctx.session, first.id),
    )


# -- leaders ------------------------------------------------------------------------------------


@router.command("shift", where="group", audience="leader", needs_bound=True)
async def shift(ctx: Ctx) -> None:
    """/shift <post> | <date> <HH:MM>-<HH:MM> | <people> [| skill: <skill>]: post a shift call."""
    building = await bound_building(ctx.session, ctx.incoming.chat.id)
    if not ctx.incoming.args.strip():
        raise Usage(command="shift")
    now = ctx.clock.now()
    spec = parse_shift(ctx.incoming.args, now=now, tz=ctx.settings.tz)
    posted = await post_shifts(
        ctx.session,
        leader=await sender_person(ctx),
        building_id=building.id,
        chat_id=ctx.incoming.chat.id,
        spec=spec,
        now=now,
    )
    ctx.refresh(card_key(posted[0].series_id or posted[0].id), ctx.incoming.chat.id)


@router.command("cancelshift", audience="leader")
async def cancelshift(ctx: Ctx) -> None:
    """/cancelshift S-12: cancel a shift; its volunteers are told privately."""
    if not ctx.incoming.args.strip():
        raise Usage(command="cancelshift")
    cancelled, volunteers = await cancel_shift(
        ctx.session,
        shift_id=parse_shift_ref(ctx.incoming.args),
        leader=await sender_person(ctx),
        now=ctx.clock.now(),
    )
    told = 0
    for person in volunteers:
        if can_reach(person):
            ctx.send(
                person.tg_user_id,
                "shifts/cancelled_volunteer",
                lang=_lang(ctx, person),
                ref=cancelled.ref,
                post=cancelled.post,
                start=cancelled.starts_at,
            )
            told += 1
    ctx.reply("shifts/cancelled", ref=cancelled.ref, told=told, on=len(volunteers))
    ctx.refresh(card_key(cancelled.series_id or cancelled.id), cancelled.chat_id)


@router.command("shifts", needs_bound=True)
async def shifts(ctx: Ctx) -> None:
    """/shifts: the building's coming shifts, gaps first to the eye."""
    building = await building_here(ctx)
    ctx.reply("shifts/list", views=await upcoming(ctx.session, building, ctx.clock.now()))


async def building_here(ctx: Ctx) -> int:
    """The group's building; in private, the building of the person's household."""
    if ctx.incoming.chat.is_group:
        return (await bound_building(ctx.session, ctx.incoming.chat.id)).id
    return await home_building(ctx.session, ctx.person)


# -- volunteers ---------------------------------------------------------------------------------


def _confirm(ctx: Ctx, template: str, shift: Shift) -> None:
    """A personal confirmation goes privately; the card already shows it to the group."""
    person = ctx.person
    if person is not None and can_reach(person):
        ctx.send(
            person.tg_user_id,
            template,
            lang=_lang(ctx, person),
            ref=shift.ref,
            post=shift.post,
            start=shift.starts_at,
            end=shift.ends_at,
        )


@router.callback(TakeSlot)
async def on_take(ctx: Ctx) -> None:
    """[Take a slot]: atomic, within the rest rules."""
    taken = await claim_slot(
        ctx.session,
        shift_id=tapped(ctx.button, TakeSlot).shift,
        volunteer=await sender_person(ctx),
        now=ctx.clock.now(),
        rules=ctx.settings.rest_rules,
        tz=ctx.settings.tz,
    )
    _confirm(ctx, "shifts/taken", taken)
    ctx.refresh(card_key(taken.series_id or taken.id), taken.chat_id)
    ctx.answer("shifts/taken_toast", ref=taken.ref, start=taken.starts_at)


async def _drop(ctx: Ctx, shift_id: int) -> Shift:
    dropped = await drop_slot(
        ctx.session, shift_id=shift_id, volunteer=ctx.person, now=ctx.clock.now()
    )
    _confirm(ctx, "shifts/dropped", dropped)
    ctx.refresh(card_key(dropped.series_id or dropped.id), dropped.chat_id)
    # One re-call message per shift, edited by later drops: the group hears it once.
    ctx.refresh(recall_key(dropped.id), dropped.chat_id)
    return dropped


@router.callback(DropSlot)
async def on_drop(ctx: Ctx) -> None:
    """[Drop]: the slot is free again before the shift starts."""
    dropped = await _drop(ctx, tapped(ctx.button, DropSlot).shift)
    ctx.answer("shifts/dropped_toast", ref=dropped.ref)


@router.command("drop", where="private", audience="volunteer")
async def drop(ctx: Ctx) -> None:
    """/drop S-12: give a slot back before the shift starts."""
    if not ctx.incoming.args.strip():
        raise Usage(command="drop")
    await _drop(ctx, parse_shift_ref(ctx.incoming.args))


@router.command("myshifts", where="private", audience="volunteer")
async def myshifts(ctx: Ctx) -> None:
    """/myshifts: one's coming shifts, each with [Drop]; `/myshifts ics`: as a calendar file."""
    option = ctx.incoming.args.strip().lower()
    if option:
        if option != "ics":
            raise Usage(command="myshifts")
        await send_calendar(ctx)
        return
    mine = await shifts_of(ctx.session, ctx.person, ctx.clock.now())
    rows = [
        [Button(ctx.label("shift_drop_ref", s.ref), DropSlot(s.id).pack())]
        for s in mine
        if s.starts_at > ctx.clock.now()
    ]
    ctx.reply("shifts/mine", markup=Keyboard.of(*rows), shifts=mine)


@router.callback(CheckIn)
async def on_check_in(ctx: Ctx) -> None:
    """The volunteer is at their post."""
    arrived = await check_in(
        ctx.session,
        shift_id=tapped(ctx.button, CheckIn).shift,
        volunteer=ctx.person,
        now=ctx.clock.now(),
    )
    ctx.reply("shifts/checked_in", ref=arrived.ref, post=arrived.post)
    ctx.answer()


@router.callback(CheckOut)
async def on_check_out(ctx: Ctx) -> None:
    """The volunteer leaves their post: the time served is recorded."""
    shift_id = tapped(ctx.button, CheckOut).shift
    minutes = await check_out(
        ctx.session, shift_id=shift_id, volunteer=ctx.person, now=ctx.clock.now()
    )
    done = await load_shift(ctx.session, shift_id)
    ctx.reply("shifts/checked_out", ref=done.ref, minutes=minutes)
    ctx.answer()


# -- the scheduler's part -----------------------------------------------------------------------


@router.job
async def shift_notices(ctx: Emitter) -> None:
    """Reminders, check-in and check-out buttons, late alerts and re-calls, each sent once."""
    for notice in await due_notices(ctx.session, ctx.clock.now()):
        shift = notice.shift
        values = {
            "ref": shift.ref,
            "post": shift.post,
            "start": shift.starts_at,
            "end": shift.ends_at,
        }
        if notice.kind == "recall":
            lang = await group_language(
                ctx.session, shift.chat_id, default=ctx.settings.default_language
            )
            ctx.send(shift.chat_id, "shifts/recall", lang=lang, missing=notice.missing, **values)
            ctx.refresh(card_key(shift.series_id or shift.id), shift.chat_id)
            continue
        if notice.kind in ("gap_leaders", "late_leaders"):
            people = await leaders_of(ctx.session, shift.building_id)
        else:
            people = [notice.person] if notice.person else []
        for person in people:
            if not can_reach(person):
                continue
            markup = None
            if notice.kind == "start":
                markup = Keyboard.of(
                    [
                        Button(
                            ctx.label("shift_check_in", lang=_lang(ctx, person)),
                            CheckIn(shift.id).pack(),
                        )
                    ]
                )
            elif notice.kind == "end":
                markup = Keyboard.of(
                    [
                        Button(
                            ctx.label("shift_check_out", lang=_lang(ctx, person)),
                            CheckOut(shift.id).pack(),
                        )
                    ]
                )
            ctx.send(
                person.tg_user_id,
                f"shifts/notice_{notice.kind}",
                lang=_lang(ctx, person),
                markup=markup,
                missing=notice.missing,
                minutes=notice.minutes,
                volunteer=notice.person.name if notice.person else None,
                **values,
            )
