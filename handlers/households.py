"""Households: `/register 3-502` in a building's group, and approving who joins a household.

The first registrant of a room founds its household. Anyone else registering the same room
waits until a member approves (or, if no member can be reached, a leader of the building).
In the group, registrations make no message of their own: one live card a day lists the new
households by room, and each person's confirmation goes to their private chat.
"""

from __future__ import annotations

from bot.context import Button, Ctx, Emitter, Keyboard
from bot.refusals import StaleButton
from bot.routing import Router
from handlers.identity import can_reach, sender_person
from models.chat_language import group_language
from models.households import (
    JoinStatus,
    Registration,
    decide_member,
    new_households_today,
    register_in_chat,
)
from models.people import Person, building_of_chat

router = Router("households")

# A busy morning of registrations edits this card at most once per gap, leaving the group's
# 20-messages-a-minute budget to group-buy cards and announcements.
TODAY_CARD_GAP_SECONDS = 20.0
TODAY_CARD_ROOMS = 150  # rooms listed on the card; the rest are counted (4,096 characters)


def today_key(ctx: Emitter, chat_id: int) -> str:
    """The live key of a group's card of today's new registrations."""
    day = ctx.clock.now().astimezone(ctx.settings.tz).strftime("%Y%m%d")
    return f"regs:{chat_id}:{day}"


@router.live_view("regs", min_gap=TODAY_CARD_GAP_SECONDS)
async def today_view(ctx: Emitter, key: str) -> None:
    """Render `regs:<chat>:<day>`: today's new households of the group's building, rooms only."""
    _, chat_text, _day = key.split(":")
    chat_id = int(chat_text)
    building = await building_of_chat(ctx.session, chat_id)
    if building is None:
        return
    rooms = await new_households_today(ctx.session, building.id, ctx.clock.now(), ctx.settings.tz)
    lang = await group_language(ctx.session, chat_id, default=ctx.settings.default_language)
    markup = Keyboard.of(
        [Button(ctx.label("confirm_privately", lang=lang), url=ctx.deep_link(f"b{building.id}"))]
    )
    ctx.live(
        key,
        chat_id,
        "register/today",
        lang=lang,
        markup=markup,
        building=building.name,
        rooms=rooms[:TODAY_CARD_ROOMS],
        hidden=max(0, len(rooms) - TODAY_CARD_ROOMS),
        count=len(rooms),
    )


@router.command("register", where="group", needs_bound=True)
async def register(ctx: Ctx) -> None:
    """/register <room> in a bound group: found the household, or ask its members."""
    person = await sender_person(ctx)
    registration = await register_in_chat(
        ctx.session,
        chat_id=ctx.incoming.chat.id,
        person=person,
        room_text=ctx.incoming.args,
        now=ctx.clock.now(),
    )
    tell_registration(ctx, person, registration)
    if registration.status is JoinStatus.FOUNDED:
        ctx.refresh(today_key(ctx, ctx.incoming.chat.id), ctx.incoming.chat.id)
    elif not can_reach(person):
        # No room in the group: whether someone waits to join a household is not its business.
        ctx.reply("register/check_private", building_id=registration.building_id)


def tell_registration(
    ctx: Ctx, person: Person, registration: Registration, *, confirm: bool = True
) -> None:
    """Confirm privately, ask the approvers of a pending join, tell members left behind."""
    values = {
        "building": registration.building_name,
        "building_id": registration.building_id,
        "room": registration.label,
        "status": str(registration.status),
        "asked": len(registration.approvers),
    }
    if confirm and can_reach(person):
        ctx.send(person.tg_user_id, "register/done", lang=ctx.lang, **values)
    if registration.status is JoinStatus.PENDING:
        for approver in registration.approvers:
            ask_about_member(
                ctx,
                approver,
                person,
                registration.household_id,
                registration.label,
                registration.building_name,
                as_leader=registration.by_leaders,
            )
    tell_left_behind(ctx, person, registration.left_behind, registration.previous_label)


def ask_about_member(
    ctx: Emitter,
    approver: Person,
    applicant: Person,
    household_id: int,
    label: str,
    building: str,
    *,
    as_leader: bool,
) -> None:
    """Ask a household member (or a leader) privately whether the applicant belongs there."""
    lang = approver.language or ctx.settings.default_language
    markup = Keyboard.of(
        [
            Button(ctx.label("approve", lang=lang), f"hh:{applicant.id}:{household_id}:1"),
            Button(ctx.label("reject", lang=lang), f"hh:{applicant.id}:{household_id}:0"),
        ]
    )
    ctx.send(
        approver.tg_user_id,
        "household/request",
        lang=lang,
        markup=markup,
        applicant=applicant.name,
        room=label,
        building=building,
        as_leader=as_leader,
    )


def tell_left_behind(
    ctx: Emitter, person: Person, members: list[Person], label: str | None
) -> None:
    """Tell the members who stay in a household, privately, that the person left it."""
    for member in members:
        if can_reach(member):
            ctx.send(
                member.tg_user_id,
                "household/member_left",
                lang=member.language or ctx.settings.default_language,
                who=person.name,
                room=label or "",
            )


@router.callback("hh")
async def on_member_decision(ctx: Ctx) -> None:
    """`hh:<applicant>:<household>:1|0`: a member or leader lets the applicant in, or not."""
    parts = (ctx.incoming.callback_data or "").split(":")[1:]
    if len(parts) != 3 or not all(p.isdigit() and len(p) <= 15 for p in parts):
        raise StaleButton()
    applicant_id, household_id, choice = (int(p) for p in parts)
    decision = await decide_member(
        ctx.session,
        applicant_id=applicant_id,
        household_id=household_id,
        approver=await sender_person(ctx),
        approve=choice == 1,
        now=ctx.clock.now(),
    )
    applicant = decision.applicant
    values = {
        "approved": decision.approved,
        "room": decision.label,
        "building": decision.building_name,
    }
    # Only ever in the decider's private chat: a room next to a name is no group's business.
    if ctx.incoming.chat.is_private:
        ctx.reply("household/decided", applicant=applicant.name, **values)
    else:
        ctx.answer("household/decided", alert=True, applicant=applicant.name, **values)
    if can_reach(applicant):
        ctx.send(
            applicant.tg_user_id,
            "household/answered",
            lang=applicant.language or ctx.settings.default_language,
            **values,
        )
    tell_left_behind(ctx, applicant, decision.left_behind, decision.previous_label)
