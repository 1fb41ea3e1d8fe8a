"""Onboarding and the registry: binding groups, leaders, households, the /start wizard, privacy.

A resident's path: the group admin sends `/bind 3号楼`; residents send `/register 3-502` in
the group, or follow the deep link to the private chat, where `/start` walks them through
language, building, room, phone and volunteering with buttons. `/me`, `/volunteer`, `/rest`,
`/back`, `/lang` and `/forgetme` manage the profile afterwards.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from bot.callbacks import button, tapped
from bot.context import Button, Contact, ContactRequest, Ctx, Keyboard, RemoveKeyboard
from bot.i18n import LANGUAGES
from bot.refusals import ChatRefusal, StaleButton, restated
from bot.routing import Router
from bot.wizard import Step, Wizards, leave, live_key
from handlers.help_intake import AskHelp
from handlers.help_requests import announce, cancel_request
from handlers.households import tell_left_behind, tell_registration
from handlers.identity import sender_person
from handlers.recognition import thanks_button
from models.chat_language import set_group_language
from models.errors import InvalidRoom, NotAVolunteer
from models.help_requests import forget_requests
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
from models.standing import standing_of

router = Router("onboarding")

ABSENT_STATUSES = ("left", "kicked")


# -- small readers shared by the commands -------------------------------------------------------


@button("ob", "lang")
class ChooseLanguage:
    """A language button of the wizard (`code`: zh or en)."""

    code: str


@button("ob", "bld")
class ChooseBuilding:
    """A building button of the wizard."""

    building: int


@button("ob", "vol")
class Volunteering:
    """Whether to join the volunteer pool (`answer`: yes or no)."""

    answer: str


@button("ob", "sk")
class ToggleSkill:
    """A skill to toggle, or `done`."""

    skill: str


@button("ob", "edit")
class EditProfile:
    """One part of a registered person's profile to change (room, phone, vol, lang)."""

    part: str


@button("ob", "pool")
class PoolChoice:
    """The volunteer menu: edit skills, leave (asks first), quit (confirmed) or stay."""

    choice: str


@button("ob", "forget")
class ForgetChoice:
    """/forgetme's confirmation (`choice`: yes or no)."""

    choice: str


# -- the registration wizard: its steps, declared on the shared engine (bot/wizard.py) ---------
#
# Steps that ask with buttons are live messages keyed per run: a tap edits the question to show
# the answer, and its buttons go.


def _skill_labels(ctx: Ctx, skills: Iterable[str]) -> list[str]:
    return [ctx.label("skill", s) for s in skills]


async def _ask_lang(ctx: Ctx, data: dict[str, Any]) -> None:
    markup = Keyboard.of(
        [Button(ctx.label("language", code), ChooseLanguage(code).pack()) for code in LANGUAGES]
    )
    who = ctx.person.name if ctx.person else ""
    ctx.live(
        live_key(ctx, data, "lang"),
        ctx.incoming.chat.id,
        "wizard/lang",
        markup=markup,
        who=who,
        editing=data.get("editing", False),
    )


async def _ask_building(ctx: Ctx, data: dict[str, Any]) -> bool:
    buildings = await buildings_of(ctx.session, ctx.settings.community_name)
    if not buildings:
        ctx.reply("wizard/no_buildings")
        return False
    buttons = [Button(b.name, ChooseBuilding(b.id).pack()) for b in buildings[:60]]
    markup = Keyboard.of(*(buttons[i : i + 2] for i in range(0, len(buttons), 2)))
    ctx.live(
        live_key(ctx, data, "building"),
        ctx.incoming.chat.id,
        "wizard/building",
        markup=markup,
        chosen=None,
    )
    return True


async def _ask_room(ctx: Ctx, data: dict[str, Any]) -> None:
    ctx.reply("wizard/room", building=data["building_name"])


async def _ask_phone(ctx: Ctx, data: dict[str, Any]) -> None:
    markup = ContactRequest(ctx.label("share_phone"), ctx.label("skip"))
    ctx.reply("wizard/phone", markup=markup, building=data["building_name"], room=data["room"])


async def _ask_volunteer(ctx: Ctx, data: dict[str, Any]) -> None:
    markup = Keyboard.of(
        [
            Button(ctx.label("yes_volunteer"), Volunteering("yes").pack()),
            Button(ctx.label("not_now"), Volunteering("no").pack()),
        ]
    )
    ctx.live(
        live_key(ctx, data, "volunteer"),
        ctx.incoming.chat.id,
        "wizard/volunteer",
        markup=markup,
        chosen=None,
    )


async def _ask_skills(ctx: Ctx, data: dict[str, Any]) -> None:
    chosen = set(data.get("skills", []))
    buttons = [
        Button(("✅ " if s in chosen else "") + ctx.label("skill", s), ToggleSkill(s).pack())
        for s in SKILLS
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    markup = Keyboard.of(*rows, [Button(ctx.label("done"), ToggleSkill("done").pack())])
    ctx.live(
        live_key(ctx, data, "skills"),
        ctx.incoming.chat.id,
        "wizard/skills",
        markup=markup,
        selected=_skill_labels(ctx, valid_skills(list(chosen))),
        finished=False,
    )


async def _take_room(ctx: Ctx, data: dict[str, Any], text: str) -> dict[str, Any]:
    """Register the typed room in the building chosen before."""
    person = await sender_person(ctx)
    try:
        registration = await register(
            ctx.session,
            person=person,
            building_id=data["building_id"],
            room_text=text,
            now=ctx.clock.now(),
        )
    except InvalidRoom as unread:
        # The shared refusal shows `/register 502`, a group command: useless in the private
        # wizard, which asks for the room again.
        raise ChatRefusal("wizard/bad_room", text=unread.values["text"]) from unread
    # The wizard itself confirms; a pending join still asks the household's members.
    tell_registration(ctx, person, registration, confirm=False)
    return {**data, "room": registration.label}


async def _take_contact(ctx: Ctx, data: dict[str, Any], contact: Contact) -> dict[str, Any]:
    """The phone number shared with Telegram's contact button."""
    record_phone(await sender_person(ctx), contact.phone_number, contact.user_id)
    ctx.reply("wizard/phone_saved", saved=True, markup=RemoveKeyboard())
    return data


async def _take_skip(ctx: Ctx, data: dict[str, Any], text: str) -> dict[str, Any] | None:
    """The reply keyboard's "skip" arrives as plain text, in whichever language it was shown."""
    if text.strip() not in {ctx.label("skip", lang=lang) for lang in LANGUAGES}:
        return None
    ctx.reply("wizard/phone_saved", saved=False, markup=RemoveKeyboard())
    return data


async def _done(ctx: Ctx, flow: str, data: dict[str, Any]) -> None:
    """The closing line: the profile is updated; a new volunteer hears their skills back."""
    joined = data.get("volunteer") is not False and "skills" in data
    skills = _skill_labels(ctx, data["skills"]) if joined else []
    ctx.reply("wizard/done", flow=flow, skills=skills)


LANG_STEP = Step("lang", _ask_lang)
# A group's deep link (b<id>) has chosen the building already.
BUILDING_STEP = Step("building", _ask_building, skip=lambda data: "building_id" in data)
ROOM_STEP = Step("room", _ask_room, on_text=_take_room)
PHONE_STEP = Step("phone", _ask_phone, on_contact=_take_contact, on_text=_take_skip)
VOLUNTEER_STEP = Step("volunteer", _ask_volunteer)
# Someone who said "not now" to volunteering is not asked for skills.
SKILLS_STEP = Step("skills", _ask_skills, skip=lambda data: data.get("volunteer") is False)

wizards = Wizards(router, nudge="wizard/use_buttons", on_done=_done)
wizards.flow(
    "onboard", [LANG_STEP, BUILDING_STEP, ROOM_STEP, PHONE_STEP, VOLUNTEER_STEP, SKILLS_STEP]
)
wizards.flow("volunteer", [VOLUNTEER_STEP, SKILLS_STEP])
wizards.flow("skills", [SKILLS_STEP])
# A registered person's /start offers these edits instead of the whole wizard.
wizards.flow("room", [BUILDING_STEP, ROOM_STEP])
wizards.flow("phone", [PHONE_STEP])
wizards.flow("lang", [LANG_STEP])


# taps on wizard buttons


@router.callback(ChooseLanguage)
async def on_lang(ctx: Ctx) -> None:
    """The person's language, used from this message on."""
    code = tapped(ctx.button, ChooseLanguage).code
    run = await wizards.at_step(ctx, "lang")
    if code not in LANGUAGES:
        raise StaleButton()
    ctx.lang = choose_language(await sender_person(ctx), code)
    ctx.live(
        live_key(ctx, run.data, "lang"),
        ctx.incoming.chat.id,
        "wizard/lang_chosen",
        language=ctx.label("language", code),
        who=ctx.person.name if ctx.person else "",
    )
    await wizards.advance(ctx, run, run.data)


@router.callback(ChooseBuilding)
async def on_building(ctx: Ctx) -> None:
    """The building the person lives in."""
    chosen = tapped(ctx.button, ChooseBuilding).building
    run = await wizards.at_step(ctx, "building")
    building = await find_building(ctx.session, chosen)
    if building is None:
        raise StaleButton()
    data = {**run.data, "building_id": building.id, "building_name": building.name}
    ctx.live(
        live_key(ctx, data, "building"),
        ctx.incoming.chat.id,
        "wizard/building",
        chosen=building.name,
    )
    await wizards.advance(ctx, run, data)


@router.callback(Volunteering)
async def on_volunteer(ctx: Ctx) -> None:
    """Whether to join the volunteer pool."""
    answer = tapped(ctx.button, Volunteering).answer
    run = await wizards.at_step(ctx, "volunteer")
    if answer not in ("yes", "no"):
        raise StaleButton()
    data = {**run.data, "volunteer": answer == "yes"}
    ctx.live(
        live_key(ctx, data, "volunteer"),
        ctx.incoming.chat.id,
        "wizard/volunteer",
        chosen=data["volunteer"],
    )
    await wizards.advance(ctx, run, data)


@router.callback(ToggleSkill)
async def on_skill(ctx: Ctx) -> None:
    """A skill button toggles it; `done` joins the pool with the chosen ones."""
    skill = tapped(ctx.button, ToggleSkill).skill
    run = await wizards.at_step(ctx, "skills")
    chosen = list(run.data.get("skills", []))
    if skill == "done":
        skills = join_volunteer_pool(await sender_person(ctx), chosen)
        data = {**run.data, "skills": skills}
        ctx.live(
            live_key(ctx, data, "skills"),
            ctx.incoming.chat.id,
            "wizard/skills",
            selected=_skill_labels(ctx, skills),
            finished=True,
        )
        await wizards.advance(ctx, run, data)
        return
    added = skill not in chosen
    chosen = [*chosen, skill] if added else [s for s in chosen if s != skill]
    await wizards.stay(ctx, run, {**run.data, "skills": valid_skills(chosen)})
    # Instant feedback: the edited keyboard may follow a moment later (live edits are paced).
    ctx.answer("wizard/skill_toggled", skill=ctx.label("skill", skill), added=added)


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
    await wizards.begin(ctx, "onboard", data)


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
            Button(ctx.label("edit_room"), EditProfile("room").pack()),
            Button(ctx.label("edit_phone"), EditProfile("phone").pack()),
        ],
        [
            Button(ctx.label("edit_volunteering"), EditProfile("vol").pack()),
            Button(ctx.label("edit_language"), EditProfile("lang").pack()),
        ],
        [Button(ctx.label("help_ask"), AskHelp().pack())],
    )
    ctx.reply(
        "wizard/registered",
        markup=markup,
        building=profile.building_name,
        room=profile.household,
        phone=bool(profile.phone),
    )
    return True


@router.callback(EditProfile)
async def on_edit(ctx: Ctx) -> None:
    """One part of a registered person's profile (room, phone, vol, lang), via its flow."""
    part = tapped(ctx.button, EditProfile).part
    person = require_registered(ctx.person)
    if part == "vol":
        await volunteer(ctx)
    elif part == "phone":
        profile = await profile_of(ctx.session, person)
        await wizards.begin(
            ctx, "phone", {"building_name": profile.building_name, "room": profile.household}
        )
    elif part == "room":
        await wizards.begin(ctx, "room", {})
    elif part == "lang":
        await wizards.begin(ctx, "lang", {"editing": True})
    else:
        raise StaleButton()


@router.command("cancel", where="private")
async def cancel(ctx: Ctx) -> None:
    """/cancel leaves the current wizard (saved answers stay); /cancel H-17 withdraws a request."""
    if ctx.incoming.args.strip():
        await cancel_request(ctx, ctx.incoming.args)
        return
    left = await leave(ctx)
    ctx.reply("wizard/cancelled", left=left, markup=RemoveKeyboard())


# -- the volunteer pool -------------------------------------------------------------------------


@router.command("volunteer", where="private")
async def volunteer(ctx: Ctx) -> None:
    """/volunteer: join the pool (skills wizard), or edit skills / leave if already in it."""
    person = await sender_person(ctx)
    if not person.is_volunteer:
        require_registered(person)
        await wizards.begin(ctx, "volunteer", {"skills": list(person.skills or [])})
        return
    markup = Keyboard.of(
        [
            Button(ctx.label("edit_skills"), PoolChoice("edit").pack()),
            Button(ctx.label("leave_pool"), PoolChoice("leave").pack()),
        ]
    )
    ctx.reply(
        "volunteer/menu",
        markup=markup,
        skills=_skill_labels(ctx, person.skills or []),
        available=person.available,
    )


@router.callback(PoolChoice)
async def on_pool(ctx: Ctx) -> None:
    """`edit` reopens the skills step; `leave` asks, `quit` leaves the pool, `stay` keeps it."""
    choice = tapped(ctx.button, PoolChoice).choice
    person = await sender_person(ctx)
    if choice == "edit":
        await wizards.begin(ctx, "skills", {"skills": list(person.skills or [])})
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
            Button(ctx.label("leave_pool_yes"), PoolChoice("quit").pack()),
            Button(ctx.label("leave_pool_no"), PoolChoice("stay").pack()),
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
    assert ctx.person is not None  # profile_of refused anyone unknown
    served = await standing_of(ctx.session, ctx.person, ctx.clock.now(), ctx.settings.tz)
    # Only someone who serves can be named in the monthly thank-you, so only they choose.
    listed = profile.is_volunteer or served.total_minutes > 0
    ctx.reply(
        "me/profile",
        markup=thanks_button(ctx, served) if listed else None,
        p=profile,
        skills=_skill_labels(ctx, profile.skills),
        served=served,
    )


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
            Button(ctx.label("forget_yes"), ForgetChoice("yes").pack()),
            Button(ctx.label("forget_no"), ForgetChoice("no").pack()),
        ]
    )
    ctx.reply("forget/confirm", markup=markup)


@router.callback(ForgetChoice)
async def on_forget(ctx: Ctx) -> None:
    """`yes` deletes the person's personal data; `no` keeps everything."""
    choice = tapped(ctx.button, ForgetChoice).choice
    if choice == "yes":
        if ctx.person is not None:
            # The household's other members learn that someone left it, as with a move.
            staying, label = await household_after_leaving(ctx.session, ctx.person)
            tell_left_behind(ctx, ctx.person, staying, label)
            for given_back in await forget_requests(ctx.session, ctx.person, ctx.clock.now()):
                await announce(ctx, given_back, exclude=ctx.person.id)
            await forget_person(ctx.session, ctx.person.id)
        ctx.reply("forget/done")
    elif choice == "no":
        ctx.reply("forget/kept")
    else:
        raise StaleButton()
