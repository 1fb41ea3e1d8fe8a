"""Help requests after intake: the anonymised card, matched volunteers, claims, done, ratings.

A filed request becomes a live card in the building's volunteers' group (else its residents'
group) — number, unit, category and urgency only — and a private message to the three best
matched volunteers, both with [I'll take it]. The first tap wins; only the winner gets the
details, privately. The household hears who is coming, then rates the help once it is done.
Unclaimed or overdue requests are escalated by a scheduled job (models/help_board.py).
"""

from __future__ import annotations

import re

from bot.callbacks import button, tapped
from bot.context import Button, Ctx, Emitter, Keyboard
from bot.refusals import StaleButton, Usage
from bot.routing import Router
from handlers.identity import can_reach, sender_person
from models.chat_language import group_language
from models.help_board import (
    Step,
    guardians_of,
    not_to_ask,
    requests_board,
    take_due_escalations,
    volunteer_board,
    volunteer_candidates,
)
from models.help_requests import (
    Help,
    cancel_help,
    claim_help,
    claimed_by,
    finish_help,
    is_emergency,
    load_help,
    parse_help_ref,
    rate_help,
    release_help,
    room_label,
    where_of,
)
from models.matching import match_volunteers
from models.people import Person, building_chats
from models.tasks import OPEN

router = Router("help_requests")

CLAIM_LINK = "hc"  # /start hc<request>: take a request once the private chat is open
MINUTE_CHOICES = (30, 60, 90, 120, 180)


@button("hp", "take")
class TakeHelp:
    """[I'll take it] on a card, a private ping or a board."""

    request: int


@button("hp", "done")
class DoneHelp:
    """The claimer's [Done]: asks how long it took."""

    request: int


@button("hp", "min")
class DoneMinutes:
    """How long the help took, in minutes."""

    request: int
    minutes: int


@button("hp", "rel")
class ReleaseHelp:
    """The claimer cannot do it after all."""

    request: int


@button("hp", "rate")
class RateHelp:
    """The household's rating, 1–5 stars."""

    request: int
    stars: int


def card_key(request_id: int, round_: int) -> str:
    """The live key of a request's card in a group (a new round after a release)."""
    return f"help:{request_id}:{round_}"


def ping_key(request_id: int, person_id: int) -> str:
    """The live key of the private message asking one volunteer."""
    return f"hping:{request_id}:{person_id}"


def _lang_of(ctx: Emitter, person: Person) -> str:
    return person.language or ctx.settings.default_language


# -- live views --------------------------------------------------------------------------------


@router.live_view("help")
async def card_view(ctx: Emitter, key: str) -> None:
    """Render `help:<request>:<round>`: the anonymised card, with [I'll take it] while open."""
    _, request_text, round_text = key.split(":")
    found = await load_help(ctx.session, int(request_text))
    chat_id = found.request.card_chat_id
    if chat_id is None:
        return
    current = int(round_text) == found.request.round
    lang = await group_language(ctx.session, chat_id, default=ctx.settings.default_language)
    values = await _shown(ctx, found, lang, is_open=current and found.task.status == OPEN)
    ctx.live(key, chat_id, "help/card", lang=lang, current=current, **values)


@router.live_view("hping")
async def ping_view(ctx: Emitter, key: str) -> None:
    """Render `hping:<request>:<person>`: a matched volunteer's private invitation."""
    _, request_text, person_text = key.split(":")
    found = await load_help(ctx.session, int(request_text))
    person = await ctx.session.get(Person, int(person_text))
    if person is None:
        return
    lang = _lang_of(ctx, person)
    values = await _shown(ctx, found, lang, is_open=found.task.status == OPEN)
    mine = found.task.assignee_id == person.id
    ctx.live(key, person.tg_user_id, "help/ping", lang=lang, mine=mine, **values)


async def _shown(ctx: Emitter, found: Help, lang: str, *, is_open: bool) -> dict[str, object]:
    """What a card and an invitation both show (nothing private), and [I'll take it] if open."""
    building, unit = await where_of(ctx.session, found.request)
    take = Button(ctx.label("help_take", lang=lang), TakeHelp(found.request.id).pack())
    return {
        "markup": Keyboard.of([take]) if is_open else None,
        "ref": found.ref,
        "building": building,
        "unit": unit,
        "category": found.request.category,
        "urgency": found.request.urgency,
        "status": found.task.status,
    }


def _refresh(ctx: Emitter, found: Help) -> None:
    """Every card and invitation of the request shows its new state."""
    request = found.request
    if request.card_chat_id is not None:
        ctx.refresh(card_key(request.id, request.round), request.card_chat_id)
    for person_id, chat_id in found.task.details.get("asked", {}).items():
        ctx.refresh(ping_key(request.id, int(person_id)), chat_id)


# -- dispatch ----------------------------------------------------------------------------------


async def announce(ctx: Emitter, found: Help, *, exclude: int | None = None) -> int:
    """Post the card and invite the best matched volunteers; returns how many were invited."""
    request, session = found.request, ctx.session
    chats = await building_chats(session, request.building_id)
    if chats:
        if request.round and request.card_chat_id is not None:
            # The old card says it was posted again below, and loses its button.
            ctx.refresh(card_key(request.id, request.round - 1), request.card_chat_id)
        request.card_chat_id = chats[0].chat_id
        ctx.refresh(card_key(request.id, request.round), request.card_chat_id)
    excluded = await not_to_ask(session, request) | ({exclude} if exclude else set())
    chosen = match_volunteers(
        await volunteer_candidates(session),
        category=request.category,
        building_id=request.building_id,
        exclude=excluded,
        guardians=await guardians_of(session, request),
    )
    asked = dict(found.task.details.get("asked", {}))
    for candidate in chosen:
        person = await session.get(Person, candidate.person_id)
        assert person is not None
        asked[str(person.id)] = person.tg_user_id
        ctx.refresh(ping_key(request.id, person.id), person.tg_user_id)
    found.task.details = {**found.task.details, "asked": asked}
    return len(chosen)


def tell_filed(ctx: Ctx, found: Help, asked: int) -> None:
    """The resident's receipt: the number, what happens next, how to cancel."""
    ctx.reply(
        "help/filed",
        ref=found.ref,
        category=found.request.category,
        urgency=found.request.urgency,
        asked=asked,
        carded=found.request.card_chat_id is not None,
        emergency=is_emergency(found.request.category, found.request.urgency),
        number=ctx.settings.emergency_number,
    )


async def send_details(ctx: Emitter, found: Help, *, update: bool = False) -> None:
    """The details, only ever to the volunteer who holds the request, privately."""
    assert found.task.assignee_id is not None
    volunteer = await ctx.session.get(Person, found.task.assignee_id)
    if volunteer is None:
        return
    request = found.request
    requester = (
        await ctx.session.get(Person, request.requester_id) if request.requester_id else None
    )
    building, _unit = await where_of(ctx.session, request)
    lang = _lang_of(ctx, volunteer)
    markup = Keyboard.of(
        [
            Button(ctx.label("help_done", lang=lang), DoneHelp(request.id).pack()),
            Button(ctx.label("help_release", lang=lang), ReleaseHelp(request.id).pack()),
        ]
    )
    ctx.send(
        volunteer.tg_user_id,
        "help/details",
        lang=lang,
        markup=markup,
        update=update,
        ref=found.ref,
        category=request.category,
        urgency=request.urgency,
        building=building,
        room=room_label(request),
        whom=request.for_whom,
        requester=requester.name if requester else None,
        phone=requester.phone if requester else None,
        description=request.description,
        additions=[a["text"] for a in request.additions],
        photos=0 if update else len(request.photos),
        due=found.task.due_at,
    )
    if update:
        return  # the photos went with the first details
    for number, file_id in enumerate(request.photos, 1):
        # By file_id, after the details, and like them only ever to the volunteer's private chat.
        ctx.send_photo(
            volunteer.tg_user_id,
            file_id,
            "help/photo_caption",
            lang=lang,
            ref=found.ref,
            number=number,
            count=len(request.photos),
        )


# -- volunteers take a request ------------------------------------------------------------------


async def _tell_requester(
    ctx: Ctx, found: Help, template: str, *, stars: bool = False, **values: object
) -> None:
    """News for whoever asked, privately (they asked privately, unless they blocked Linli)."""
    requester_id = found.request.requester_id
    requester = await ctx.session.get(Person, requester_id) if requester_id else None
    if requester is None or not can_reach(requester):
        return
    lang = _lang_of(ctx, requester)
    markup = None
    if stars:
        markup = Keyboard.of(
            [
                Button(ctx.label("help_star", n, lang=lang), RateHelp(found.request.id, n).pack())
                for n in range(1, 6)
            ]
        )
    ctx.send(requester.tg_user_id, template, lang=lang, markup=markup, ref=found.ref, **values)


async def take(ctx: Ctx, request_id: int) -> None:
    """Claim for the sender: details to them, news to the household, every card updated."""
    found = await claim_help(
        ctx.session, request_id=request_id, volunteer=await sender_person(ctx), now=ctx.clock.now()
    )
    await send_details(ctx, found)
    await _tell_requester(ctx, found, "help/taken", volunteer=ctx.person.name if ctx.person else "")
    _refresh(ctx, found)
    ctx.answer("help/taken_toast", ref=found.ref)


@router.callback(TakeHelp)
async def on_take(ctx: Ctx) -> None:
    """[I'll take it]: the first tap wins."""
    await take(ctx, tapped(ctx.button, TakeHelp).request)


@router.deep_link(CLAIM_LINK)
async def take_from_link(ctx: Ctx) -> None:
    """/start hc<id>: a volunteer who could not be reached opened the chat; take it now."""
    await take(ctx, int(ctx.incoming.args.strip()[len(CLAIM_LINK) :]))


# -- done, release -----------------------------------------------------------------------------


def _ask_minutes(ctx: Ctx, found: Help) -> None:
    buttons = [
        Button(ctx.label("help_minutes", m), DoneMinutes(found.request.id, m).pack())
        for m in MINUTE_CHOICES
    ]
    ctx.reply("help/ask_minutes", markup=Keyboard.of(buttons[:3], buttons[3:]), ref=found.ref)


async def _finish(ctx: Ctx, request_id: int, minutes: str, note: str) -> None:
    found = await finish_help(
        ctx.session,
        request_id=request_id,
        volunteer=ctx.person,
        minutes_text=minutes,
        note=note,
        now=ctx.clock.now(),
    )
    ctx.reply("help/done", ref=found.ref, minutes=found.request.minutes)
    await _tell_requester(
        ctx,
        found,
        "help/finished",
        stars=True,
        volunteer=ctx.person.name if ctx.person else "",
    )
    _refresh(ctx, found)


@router.callback(DoneHelp)
async def on_done(ctx: Ctx) -> None:
    """[Done]: how long did it take?"""
    found = await claimed_by(ctx.session, tapped(ctx.button, DoneHelp).request, ctx.person)
    _ask_minutes(ctx, found)
    ctx.answer()


@router.callback(DoneMinutes)
async def on_minutes(ctx: Ctx) -> None:
    """The minutes chosen: the request is done and the service recorded."""
    tap = tapped(ctx.button, DoneMinutes)
    if tap.minutes not in MINUTE_CHOICES:
        raise StaleButton()
    await _finish(ctx, tap.request, str(tap.minutes), "")
    ctx.answer()


_DONE_ARGS = re.compile(r"(?P<ref>\S+)(?:\s+(?P<minutes>\S+))?(?:\s+(?P<note>.+))?", re.DOTALL)


@router.command("done", audience="volunteer")
async def done(ctx: Ctx) -> None:
    """/done H-17 [minutes] [note]: without minutes, the choices are offered."""
    match = _DONE_ARGS.fullmatch(ctx.incoming.args.strip())
    if not match:
        raise Usage(command="done")
    request_id = parse_help_ref(match.group("ref"))
    if match.group("minutes") is None:
        _ask_minutes(ctx, await claimed_by(ctx.session, request_id, ctx.person))
        return
    await _finish(ctx, request_id, match.group("minutes"), match.group("note") or "")


async def _release(ctx: Ctx, request_id: int) -> None:
    found = await release_help(ctx.session, request_id=request_id, volunteer=ctx.person)
    ctx.reply("help/released", ref=found.ref)
    await _tell_requester(ctx, found, "help/released_requester")
    await announce(ctx, found, exclude=ctx.person.id if ctx.person else None)


@router.callback(ReleaseHelp)
async def on_release(ctx: Ctx) -> None:
    """[I can't do it]: the request goes back to the volunteers."""
    await _release(ctx, tapped(ctx.button, ReleaseHelp).request)
    ctx.answer()


@router.command("release", audience="volunteer")
async def release(ctx: Ctx) -> None:
    """/release H-17: give a request back."""
    if not ctx.incoming.args.strip():
        raise Usage(command="release")
    await _release(ctx, parse_help_ref(ctx.incoming.args))


# -- the household cancels and rates -------------------------------------------------------------


async def cancel_request(ctx: Ctx, ref_text: str) -> None:
    """/cancel H-17 (from /cancel's handler): the household withdraws its request."""
    found, volunteer = await cancel_help(
        ctx.session, request_id=parse_help_ref(ref_text), person=ctx.person, now=ctx.clock.now()
    )
    ctx.reply("help/cancelled", ref=found.ref)
    if volunteer is not None and can_reach(volunteer):
        ctx.send(
            volunteer.tg_user_id,
            "help/cancelled_volunteer",
            lang=_lang_of(ctx, volunteer),
            ref=found.ref,
        )
    _refresh(ctx, found)


@router.callback(RateHelp)
async def on_rate(ctx: Ctx) -> None:
    """A star button: the household confirms the help and rates it."""
    tap = tapped(ctx.button, RateHelp)
    found = await rate_help(ctx.session, request_id=tap.request, person=ctx.person, stars=tap.stars)
    ctx.reply("help/rated", ref=found.ref, stars=tap.stars)
    ctx.answer()


# -- boards ------------------------------------------------------------------------------------


@router.command("requests", where="private", audience="leader")
async def requests(ctx: Ctx) -> None:
    """/requests: the open, claimed and overdue requests of the leader's buildings."""
    board = await requests_board(ctx.session, ctx.person, ctx.clock.now())
    ctx.reply("help/board", rows=board.rows, more=board.more)


@router.command("mytasks", where="private", audience="volunteer")
async def mytasks(ctx: Ctx) -> None:
    """/mytasks: the volunteer's requests (with [Done]) and those they could take."""
    board = await volunteer_board(ctx.session, ctx.person)
    rows = [
        [Button(ctx.label("help_done_ref", h.ref), DoneHelp(h.request.id).pack())]
        for h in board.mine
    ] + [
        [Button(ctx.label("help_take_ref", h.ref), TakeHelp(h.request.id).pack())]
        for h in board.claimable
    ]
    buildings = {
        h.request.id: (await where_of(ctx.session, h.request))[0]
        for h in (*board.mine, *board.claimable)
    }
    ctx.reply(
        "help/mytasks",
        markup=Keyboard.of(*rows),
        mine=[(h, room_label(h.request)) for h in board.mine],
        claimable=board.claimable,
        buildings=buildings,
        more=board.more,
    )


# -- escalation --------------------------------------------------------------------------------


@router.job
async def escalate(ctx: Emitter) -> None:
    """Scheduler job: unclaimed requests go to leaders, then coordinators; overdue ones too."""
    now = ctx.clock.now()
    for step in await take_due_escalations(ctx.session, now, ctx.settings.help_policy):
        found, sent = step.help, 0
        building, _unit = await where_of(ctx.session, found.request)
        assignee = (
            await ctx.session.get(Person, found.task.assignee_id)
            if found.task.assignee_id
            else None
        )
        for person in step.audience:
            if not can_reach(person):
                continue
            lang = _lang_of(ctx, person)
            unclaimed = step.step in (Step.LEADERS, Step.COORDINATORS)
            markup = (
                Keyboard.of(
                    [Button(ctx.label("help_take", lang=lang), TakeHelp(found.request.id).pack())]
                )
                if unclaimed and person.is_volunteer
                else None
            )
            ctx.send(
                person.tg_user_id,
                "help/escalated",
                lang=lang,
                markup=markup,
                step=str(step.step),
                ref=found.ref,
                category=found.request.category,
                urgency=found.request.urgency,
                building=building,
                room=room_label(found.request),
                waited=int((now - found.task.created_at).total_seconds() // 60),
                volunteer=assignee.name if assignee else None,
            )
            sent += 1
        step.record.notified = sent
