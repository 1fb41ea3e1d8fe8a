"""Onboarding and the registry: binding groups, leaders, households, the /start wizard, privacy.

A resident's path: the group admin sends `/bind 3号楼`; residents send `/register 3-502` in
the group, or follow the deep link to the private chat, where `/start` walks them through
language, building, room, phone and volunteering with buttons. `/me`, `/volunteer`, `/rest`,
`/back`, `/lang` and `/forgetme` manage the profile afterwards.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

from bot.context import Button, ContactRequest, Ctx, Keyboard, RemoveKeyboard
from bot.i18n import LANGUAGES
from bot.refusals import StaleButton, restated
from bot.routing import Router
from handlers.households import tell_left_behind, tell_registration
from handlers.identity import sender_person
from models.chat_language import set_group_language
from models.conversations import (
    Conversation,
    current_conversation,
    end_conversation,
    set_conversation,
)
from models.errors import InvalidRoom, NotAVolunteer
from models.households import household_after_leaving, register
from models.people import (
    SKILLS,
    Household,
    buildings_of,
    choose_language,
    find_building,
    forget_person,
    join_volunteer_pool,
    leave_volunteer_pool,
    may_lead_here,
    note_private_start,
    profile_of,
    record_phone,
    require_registered,
    set_availability,
    valid_skills,
)

router = Router("onboarding")

ABSENT_STATUSES = ("left", "kicked")


# -- small readers shared by the commands -------------------------------------------------------


def _button_parts(ctx: Ctx, count: int) -> list[str]:
    """The fields after `ob:` of a tapped button; forged or malformed data is a stale button."""
    parts = (ctx.incoming.callback_data or "").split(":")
    if len(parts) != count + 1 or parts[0] != "ob":
        raise StaleButton()
    return parts[1:]


def _int(text: str) -> int:
    if not text.isdigit() or len(text) > 15:
        raise StaleButton()
    return int(text)


@router.callback("ob")
async def on_button(ctx: Ctx) -> None:
    """Every onboarding button: `ob:<kind>:...`, handed to the matching tap handler."""
    kind = (ctx.incoming.callback_data or "").split(":")[1:2]
    handler = TAPS.get(kind[0]) if kind else None
    if handler is None:
        raise StaleButton()
    await handler(ctx)


# -- the wizard engine: one engine, several flows -----------------------------------------------
#
# A flow is a list of steps. The position lives in the conversations table (chat, user), so both
# adapters and several replicas share it and a restart does not lose it. Steps that ask with buttons
# are live messages keyed per run: a tap edits the question to show the answer, and its buttons go.

FLOWS: dict[str, tuple[str, ...]] = {
    "onboard": ("lang", "building", "room", "phone", "volunteer", "skills"),
    "volunteer": ("volunteer", "skills"),
    "skills": ("skills",),
    # a registered person's /start offers these edits instead of the whole wizard
    "room": ("building", "room"),
    "phone": ("phone",),
    "lang": ("lang",),
}

Prompt = Callable[[Ctx, dict[str, Any]], Awaitable[bool]]


def _step_key(ctx: Ctx, data: Mapping[str, Any], step: str) -> str:
    return f"wz:{ctx.incoming.chat.id}:{data['run']}:{step}"


def _skipped(step: str, data: Mapping[str, Any]) -> bool:
    """Steps a flow passes over: a building chosen by deep link; skills of a non-volunteer."""
    if step == "building":
        return "building_id" in data
    if step == "skills":
        return data.get("volunteer") is False
    return False


async def _begin(ctx: Ctx, flow: str, data: dict[str, Any]) -> None:
    """Start a flow from its first step; a run id keeps this run's live messages apart."""
    data = {**data, "run": ctx.incoming.update_id}
    await _advance(ctx, flow, data, after=None)


async def _advance(ctx: Ctx, flow: str, data: dict[str, Any], *, after: str | None) -> None:
    """Move to the step after `after` and ask it; past the last step, finish the flow."""
    steps = FLOWS[flow]
    chat, user = ctx.incoming.chat.id, ctx.incoming.sender.id  # type: ignore[union-attr]
    for step in steps[steps.index(after) + 1 if after else 0 :]:
        if _skipped(step, data):
            continue
        await set_conversation(ctx.session, chat, user, flow, step, data, ctx.clock.now())
        if await PROMPTS[step](ctx, data):
            return
        break  # the step cannot be asked (no buildings yet): the flow ends here
    await end_conversation(ctx.session, chat, user)
    if after is not None:
        joined = data.get("volunteer") is not False and "skills" in data
        skills = _skill_labels(ctx, data["skills"]) if joined else []
        ctx.reply("wizard/done", flow=flow, skills=skills)


async def _at_step(ctx: Ctx, step: str) -> Conversation:
    """The sender's wizard, which must be waiting at `step`; otherwise the button is stale."""
    convo = await current_conversation(
        ctx.session,
        ctx.incoming.chat.id,
        ctx.incoming.sender.id,  # type: ignore[union-attr]
        ctx.clock.now(),
    )
    if convo is None or convo.step != step or convo.name not in FLOWS:
        raise StaleButton()
    return convo


def _skill_labels(ctx: Ctx, skills: Iterable[str]) -> list[str]:
    return [ctx.label("skill", s) for s in skills]


# prompts: return False when the step cannot be asked


async def _ask_lang(ctx: Ctx, data: dict[str, Any]) -> bool:
    markup = Keyboard.of(
        [Button(ctx.label("language", code), f"ob:lang:{code}") for code in LANGUAGES]
    )
    who = ctx.person.name if ctx.person else ""
    ctx.live(
        _step_key(ctx, data, "lang"),
        ctx.incoming.chat.id,
        "wizard/lang",
        markup=markup,
        who=who,
        editing=data.get("editing", False),
    )
    return True


async def _ask_building(ctx: Ctx, data: dict[str, Any]) -> bool:
    buildings = await buildings_of(ctx.session, ctx.settings.community_name)
    if not buildings:
        ctx.reply("wizard/no_buildings")
        return False
    buttons = [Button(b.name, f"ob:bld:{b.id}") for b in buildings[:60]]
    markup = Keyboard.of(*(buttons[i : i + 2] for i in range(0, len(buttons), 2)))
    ctx.live(
        _step_key(ctx, data, "building"),
        ctx.incoming.chat.id,
        "wizard/building",
        markup=markup,
        chosen=None,
    )
    return True


async def _ask_room(ctx: Ctx, data: dict[str, Any]) -> bool:
    ctx.reply("wizard/room", building=data["building_name"])
    return True


async def _ask_phone(ctx: Ctx, data: dict[str, Any]) -> bool:
    markup = ContactRequest(ctx.label("share_phone"), ctx.label("skip"))
    ctx.reply("wizard/phone", markup=markup, building=data["building_name"], room=data["room"])
    return True


async def _ask_volunteer(ctx: Ctx, data: dict[str, Any]) -> bool:
    markup = Keyboard.of(
        [
            Button(ctx.label("yes_volunteer"), "ob:vol:yes"),
            Button(ctx.label("not_now"), "ob:vol:no"),
        ]
    )
    ctx.live(
        _step_key(ctx, data, "volunteer"),
        ctx.incoming.chat.id,
        "wizard/volunteer",
        markup=markup,
        chosen=None,
    )
    return True


async def _ask_skills(ctx: Ctx, data: dict[str, Any]) -> bool:
    chosen = set(data.get("skills", []))
    buttons = [
        Button(("✅ " if s in chosen else "") + ctx.label("skill", s), f"ob:sk:{s}") for s in SKILLS
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    markup = Keyboard.of(*rows, [Button(ctx.label("done"), "ob:sk:done")])
    ctx.live(
        _step_key(ctx, data, "skills"),
        ctx.incoming.chat.id,
        "wizard/skills",
        markup=markup,
        selected=_skill_labels(ctx, valid_skills(list(chosen))),
        finished=False,
    )
    return True


PROMPTS: dict[str, Prompt] = {
    "lang": _ask_lang,
    "building": _ask_building,
    "room": _ask_room,
    "phone": _ask_phone,
    "volunteer": _ask_volunteer,
    "skills": _ask_skills,
}


# taps on wizard buttons


async def on_lang(ctx: Ctx) -> None:
    """`ob:lang:<zh|en>`: the person's language, used from this message on."""
    (code,) = _button_parts(ctx, 2)[1:]
    convo = await _at_step(ctx, "lang")
    if code not in LANGUAGES:
        raise StaleButton()
    ctx.lang = choose_language(await sender_person(ctx), code)
    key = _step_key(ctx, convo.data, "lang")
    ctx.live(
        key,
        ctx.incoming.chat.id,
        "wizard/lang_chosen",
        language=ctx.label("language", code),
        who=ctx.person.name if ctx.person else "",
    )
    await _advance(ctx, convo.name, dict(convo.data), after="lang")


async def on_building(ctx: Ctx) -> None:
    """`ob:bld:<id>`: the building the person lives in."""
    (raw_id,) = _button_parts(ctx, 2)[1:]
    convo = await _at_step(ctx, "building")
    building = await find_building(ctx.session, _int(raw_id))
    if building is None:
        raise StaleButton()
    data = {**convo.data, "building_id": building.id, "building_name": building.name}
    ctx.live(
        _step_key(ctx, data, "building"),
        ctx.incoming.chat.id,
        "wizard/building",
        chosen=building.name,
    )
    await _advance(ctx, convo.name, data, after="building")


async def on_volunteer(ctx: Ctx) -> None:
    """`ob:vol:<yes|no>`: whether to join the volunteer pool."""
    (answer,) = _button_parts(ctx, 2)[1:]
    convo = await _at_step(ctx, "volunteer")
    if answer not in ("yes", "no"):
        raise StaleButton()
    data = {**convo.data, "volunteer": answer == "yes"}
    ctx.live(
        _step_key(ctx, data, "volunteer"),
        ctx.incoming.chat.id,
        "wizard/volunteer",
        chosen=data["volunteer"],
    )
    await _advance(ctx, convo.name, data, after="volunteer")


async def on_skill(ctx: Ctx) -> None:
    """`ob:sk:<skill>` toggles a skill; `ob:sk:done` joins the pool with the chosen ones."""
    (skill,) = _button_parts(ctx, 2)[1:]
    convo = await _at_step(ctx, "skills")
    chosen = list(convo.data.get("skills", []))
    if skill == "done":
        skills = join_volunteer_pool(await sender_person(ctx), chosen)
        data = {**convo.data, "skills": skills}
        ctx.live(
            _step_key(ctx, data, "skills"),
            ctx.incoming.chat.id,
            "wizard/skills",
            selected=_skill_labels(ctx, skills),
            finished=True,
        )
        await _advance(ctx, convo.name, data, after="skills")
        return
    added = skill not in chosen
    chosen = [*chosen, skill] if added else [s for s in chosen if s != skill]
    data = {**convo.data, "skills": valid_skills(chosen)}
    await set_conversation(
        ctx.session, convo.chat_id, convo.user_id, convo.name, "skills", data, ctx.clock.now()
    )
    await _ask_skills(ctx, data)
    # Instant feedback: the edited keyboard may follow a moment later (live edits are paced).
    ctx.answer("wizard/skill_toggled", skill=ctx.label("skill", skill), added=added)


# typed answers and shared contacts


async def on_wizard_input(ctx: Ctx) -> None:
    """Free text or a shared contact while a wizard waits: the room, the phone, or a nudge."""
    convo = await current_conversation(
        ctx.session,
        ctx.incoming.chat.id,
        ctx.incoming.sender.id,  # type: ignore[union-attr]
        ctx.clock.now(),
    )
    if convo is None:
        ctx.reply("hint_help")
        return
    data = dict(convo.data)
    if convo.step == "room" and ctx.incoming.text:
        if not await _take_room(ctx, data, ctx.incoming.text):
            return
    elif convo.step == "phone" and ctx.incoming.contact is not None:
        contact = ctx.incoming.contact
        record_phone(await sender_person(ctx), contact.phone_number, contact.user_id)
        ctx.reply("wizard/phone_saved", saved=True, markup=RemoveKeyboard())
    elif convo.step == "phone" and _is_skip(ctx, ctx.incoming.text):
        ctx.reply("wizard/phone_saved", saved=False, markup=RemoveKeyboard())
    else:
        ctx.reply("wizard/use_buttons", step=convo.step)
        return
    await _advance(ctx, convo.name, data, after=convo.step)


async def _take_room(ctx: Ctx, data: dict[str, Any], text: str) -> bool:
    """Register the typed room; an unreadable one is asked again (here, not with /register)."""
    person = await sender_person(ctx)
    try:
        registration = await register(
            ctx.session,
            person=person,
            building_id=data["building_id"],
            room_text=text,
            now=ctx.clock.now(),
        )
    except InvalidRoom as refusal:
        # The shared refusal shows `/register 502`, a group command: useless in the private wizard.
        ctx.reply("wizard/bad_room", text=refusal.values["text"])
        return False
    # The wizard itself confirms; a pending join still asks the household's members.
    tell_registration(ctx, person, registration, confirm=False)
    data["room"] = registration.label
    return True


def _is_skip(ctx: Ctx, text: str | None) -> bool:
    """The reply keyboard's "skip" arrives as plain text, in whichever language it was shown."""
    return bool(text) and text.strip() in {ctx.label("skip", lang=lang) for lang in LANGUAGES}


for _flow in FLOWS:
    router.conversation(_flow)(on_wizard_input)


@router.command("start", where="private")
async def start(ctx: Ctx) -> None:
    """/start [b<id>|me]: the onboarding wizard; a group's deep link pre-selects the building."""
    if await _welcome_back(ctx):
        return
    person = await sender_person(ctx)
    note_private_start(person)
    if ctx.incoming.args.strip() == "me":  # the link /me gives in a group
        await _show_profile(ctx)
        return
    data: dict[str, Any] = {}
    if match := re.fullmatch(r"b(\d{1,15})", ctx.incoming.args.strip()):
        building = await find_building(ctx.session, int(match.group(1)))
        if building is not None:
            data = {"building_id": building.id, "building_name": building.name}
    await _begin(ctx, "onboard", data)


async def _welcome_back(ctx: Ctx) -> bool:
    """A registered person's /start (or their own building's link): what to change, no wizard."""
    person = ctx.person
    if person is not None and person.household_id is None and person.pending_household_id:
        # Someone waiting to join a household hears where it stands, not the wizard again.
        waiting = await ctx.session.get(Household, person.pending_household_id)
        if waiting is not None:
            building = await find_building(ctx.session, waiting.building_id)
            ctx.reply(
                "register/done",
                status="pending",
                building=building.name if building else "",
                building_id=waiting.building_id,
                room=waiting.label,
                asked=None,
            )
            return True
    if person is None or person.household_id is None:
        return False
    household = await ctx.session.get(Household, person.household_id)
    # The group's "leave a phone number or volunteer?" link is b<building>: no need to re-register.
    if ctx.incoming.args.strip() not in ("", f"b{household.building_id if household else ''}"):
        return False
    profile = await profile_of(ctx.session, person)
    markup = Keyboard.of(
        [
            Button(ctx.label("edit_room"), "ob:edit:room"),
            Button(ctx.label("edit_phone"), "ob:edit:phone"),
        ],
        [
            Button(ctx.label("edit_volunteering"), "ob:edit:vol"),
            Button(ctx.label("edit_language"), "ob:edit:lang"),
        ],
    )
    ctx.reply(
        "wizard/registered",
        markup=markup,
        building=profile.building_name,
        room=profile.household,
        phone=bool(profile.phone),
    )
    return True


async def on_edit(ctx: Ctx) -> None:
    """`ob:edit:<room|phone|vol|lang>`: one part of a registered person's profile, via its flow."""
    (part,) = _button_parts(ctx, 2)[1:]
    person = require_registered(ctx.person)
    if part == "vol":
        await volunteer(ctx)
    elif part == "phone":
        profile = await profile_of(ctx.session, person)
        await _begin(
            ctx, "phone", {"building_name": profile.building_name, "room": profile.household}
        )
    elif part == "room":
        await _begin(ctx, "room", {})
    elif part == "lang":
        await _begin(ctx, "lang", {"editing": True})
    else:
        raise StaleButton()


@router.command("cancel", where="private")
async def cancel(ctx: Ctx) -> None:
    """/cancel leaves the current wizard; what was already saved stays."""
    left = await end_conversation(ctx.session, ctx.incoming.chat.id, ctx.incoming.sender.id)  # type: ignore[union-attr]
    ctx.reply("wizard/cancelled", left=left, markup=RemoveKeyboard())


# -- the volunteer pool -------------------------------------------------------------------------


@router.command("volunteer", where="private")
async def volunteer(ctx: Ctx) -> None:
    """/volunteer: join the pool (skills wizard), or edit skills / leave if already in it."""
    person = await sender_person(ctx)
    if not person.is_volunteer:
        require_registered(person)
        await _begin(ctx, "volunteer", {"skills": list(person.skills or [])})
        return
    markup = Keyboard.of(
        [
            Button(ctx.label("edit_skills"), "ob:pool:edit"),
            Button(ctx.label("leave_pool"), "ob:pool:leave"),
        ]
    )
    ctx.reply(
        "volunteer/menu",
        markup=markup,
        skills=_skill_labels(ctx, person.skills or []),
        available=person.available,
    )


async def on_pool(ctx: Ctx) -> None:
    """`ob:pool:edit` reopens the skills step; `ob:pool:leave` leaves the pool."""
    (choice,) = _button_parts(ctx, 2)[1:]
    person = await sender_person(ctx)
    if choice == "edit":
        await _begin(ctx, "skills", {"skills": list(person.skills or [])})
    elif choice == "leave":
        _confirm_leaving(ctx)
    elif choice == "quit":
        leave_volunteer_pool(person)
        ctx.reply("volunteer/left")
    elif choice == "stay":
        ctx.reply("volunteer/stayed")
    else:
        raise StaleButton()


def _confirm_leaving(ctx: Ctx) -> None:
    """Leaving the pool is one tap away from a misplaced thumb: ask before doing it."""
    markup = Keyboard.of(
        [
            Button(ctx.label("leave_pool_yes"), "ob:pool:quit"),
            Button(ctx.label("leave_pool_no"), "ob:pool:stay"),
        ]
    )
    ctx.reply("volunteer/leave_confirm", markup=markup)


@router.command("rest", audience="volunteer")
async def rest(ctx: Ctx) -> None:
    """/rest: a volunteer pauses (no calls until /back)."""
    _set_availability(ctx, False)
    ctx.reply("volunteer/resting")


@router.command("back", audience="volunteer")
async def back(ctx: Ctx) -> None:
    """/back: a resting volunteer is available again."""
    _set_availability(ctx, True)
    ctx.reply("volunteer/back")


def _set_availability(ctx: Ctx, available: bool) -> None:
    """The refusal to a non-volunteer says "privately" only where that is news (in a group)."""
    try:
        set_availability(ctx.person, available)
    except NotAVolunteer as refusal:
        raise restated(refusal, private=ctx.incoming.chat.is_private) from refusal


# -- profile, language, privacy -----------------------------------------------------------------


@router.command("me")
async def me(ctx: Ctx) -> None:
    """/me: the person's profile, only ever in the private chat (it holds the phone and room)."""
    if ctx.incoming.chat.is_group:
        ctx.reply("me/in_group")
        return
    await _show_profile(ctx)


async def _show_profile(ctx: Ctx) -> None:
    profile = await profile_of(ctx.session, ctx.person)
    ctx.reply("me/profile", p=profile, skills=_skill_labels(ctx, profile.skills))


@router.command("lang")
async def lang(ctx: Ctx) -> None:
    """/lang zh|en: the sender's language (a leader's, in their building's group: the group's)."""
    if await _sets_group_language(ctx):
        return
    ctx.lang = choose_language(await sender_person(ctx), ctx.incoming.args)
    ctx.reply("lang/set", language=ctx.label("language", ctx.lang))


async def _sets_group_language(ctx: Ctx) -> bool:
    """In a bound group, a leader of its building sets the group's language (cards, notices)."""
    chat = ctx.incoming.chat
    if not chat.is_group or not await may_lead_here(ctx.session, ctx.person, chat.id):
        return False
    ctx.lang = await set_group_language(
        ctx.session,
        chat_id=chat.id,
        actor=ctx.person,
        language=ctx.incoming.args,
        now=ctx.clock.now(),
    )
    ctx.reply("lang/group_set", language=ctx.label("language", ctx.lang))
    return True


@router.command("forgetme", where="private")
async def forgetme(ctx: Ctx) -> None:
    """/forgetme asks for confirmation before deleting the person's data."""
    if ctx.person is None:
        ctx.reply("forget/nothing")
        return
    markup = Keyboard.of(
        [
            Button(ctx.label("forget_yes"), "ob:forget:yes"),
            Button(ctx.label("forget_no"), "ob:forget:no"),
        ]
    )
    ctx.reply("forget/confirm", markup=markup)


async def on_forget(ctx: Ctx) -> None:
    """`ob:forget:yes` deletes the person's personal data; `no` keeps everything."""
    (choice,) = _button_parts(ctx, 2)[1:]
    if choice == "yes":
        if ctx.person is not None:
            # The household's other members learn that someone left it, as with a move.
            staying, label = await household_after_leaving(ctx.session, ctx.person)
            tell_left_behind(ctx, ctx.person, staying, label)
            await forget_person(ctx.session, ctx.person.id)
        ctx.reply("forget/done")
    elif choice == "no":
        ctx.reply("forget/kept")
    else:
        raise StaleButton()


TAPS: dict[str, Callable[[Ctx], Awaitable[None]]] = {
    "lang": on_lang,
    "bld": on_building,
    "vol": on_volunteer,
    "sk": on_skill,
    "pool": on_pool,
    "edit": on_edit,
    "forget": on_forget,
}
