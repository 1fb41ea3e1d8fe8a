"""Asking for help (求助), privately: `/request` walks a resident through a button wizard.

Category → (add to the household's open request of that kind?) → urgency → description →
for whom (a neighbour without a phone gives their room) → confirm. An urgent medical need is
told to call the emergency number at once; the request is still filed. In a group, `/request`
only answers with a link to the private chat: details never go in a group.
"""

from __future__ import annotations

from typing import Any

from bot.callbacks import button, tapped
from bot.context import Button, Ctx, Keyboard
from bot.refusals import ChatRefusal, StaleButton
from bot.routing import Router
from bot.wizard import Keep, Run, Step, Wizards, leave, live_key
from handlers.help_requests import announce, send_details, tell_filed
from handlers.identity import sender_person
from models.errors import InvalidRoom
from models.help_requests import (
    Category,
    ForWhom,
    Urgency,
    add_photo,
    add_to_request,
    clean_description,
    file_request,
    is_emergency,
    load_help,
    may_request,
    open_request_of,
)
from models.people import Household, building_of_chat, parse_room

router = Router("help_intake")

START_LINK = "hq"  # /start hq<building>: the group's link into the private wizard


@button("hr", "ask")
class AskHelp:
    """Start the request wizard (the /start menu, the offer after plain text)."""


@button("hr", "cat")
class ChooseCategory:
    """The wizard's category button."""

    category: str


@button("hr", "dup")
class AddOrNew:
    """Add to the household's open request of the same kind (True) or file a new one."""

    add: bool


@button("hr", "urg")
class ChooseUrgency:
    """The wizard's urgency button."""

    urgency: str


@button("hr", "who")
class ChooseWhom:
    """Whom the help is for."""

    whom: str


@button("hr", "ok")
class ConfirmRequest:
    """Send the request (True) or drop it (False)."""

    send: bool


def _rows(buttons: list[Button], width: int = 2) -> list[list[Button]]:
    return [buttons[i : i + width] for i in range(0, len(buttons), width)]


def _ask(ctx: Ctx, data: dict[str, Any], step: str, markup: Keyboard | None, **values: Any) -> None:
    """A button question: it replaces the one above, unless the person typed in between.

    Each tap edits one message instead of answering it and asking anew: half the messages,
    which a private chat receives at about one a second.
    """
    ctx.live(
        live_key(ctx, data, f"q{data.get('typed', 0)}"),
        ctx.incoming.chat.id,
        "help/recap" if step == "recap" else f"help/ask_{step}",
        markup=markup,
        **values,
    )


async def _ask_category(ctx: Ctx, data: dict[str, Any]) -> None:
    buttons = [Button(ctx.label("help_category", c), ChooseCategory(c).pack()) for c in Category]
    _ask(ctx, data, "category", Keyboard.of(*_rows(buttons)))


async def _ask_existing(ctx: Ctx, data: dict[str, Any]) -> None:
    ref = f"H-{data['existing']}"
    markup = Keyboard.of(
        [
            Button(ctx.label("help_add_to", ref), AddOrNew(True).pack()),
            Button(ctx.label("help_new"), AddOrNew(False).pack()),
        ]
    )
    _ask(ctx, data, "existing", markup, ref=ref, category=data["category"])


async def _ask_urgency(ctx: Ctx, data: dict[str, Any]) -> None:
    buttons = [Button(ctx.label("help_urgency", u), ChooseUrgency(u).pack()) for u in Urgency]
    _ask(ctx, data, "urgency", Keyboard.of(buttons), category=data["category"])


def _recap(ctx: Ctx, data: dict[str, Any]) -> None:
    """Before a typed answer, the button question shows what was chosen, without buttons."""
    _ask(ctx, data, "recap", None, summary=data)


async def _ask_description(ctx: Ctx, data: dict[str, Any]) -> None:
    _recap(ctx, data)
    ctx.reply("help/ask_description", adding=data.get("add_to") is not None)


async def _take_description(ctx: Ctx, data: dict[str, Any], text: str) -> dict[str, Any]:
    return {**data, "description": clean_description(text), "typed": data.get("typed", 0) + 1}


async def _take_photo(
    ctx: Ctx, data: dict[str, Any], photo: str, caption: str | None
) -> dict[str, Any] | Keep | None:
    """A photo is welcome with a new request: its caption is the description, or words follow."""
    if _adding(data):
        return None  # an addition is words only: the nudge asks for text
    kept = {**data, "photos": add_photo(data.get("photos", []), photo)}
    if not (caption or "").strip():
        ctx.reply("help/photo_kept")
        return Keep(kept)
    return await _take_description(ctx, kept, caption)


async def _ask_whom(ctx: Ctx, data: dict[str, Any]) -> None:
    buttons = [Button(ctx.label("help_whom", w), ChooseWhom(w).pack()) for w in ForWhom]
    _ask(ctx, data, "whom", Keyboard.of(*_rows(buttons, 1)))


async def _ask_neighbour(ctx: Ctx, data: dict[str, Any]) -> None:
    _recap(ctx, data)
    ctx.reply("help/ask_neighbour")


async def _take_neighbour(ctx: Ctx, data: dict[str, Any], text: str) -> dict[str, Any]:
    try:
        room = parse_room(text)
    except InvalidRoom as unread:
        raise ChatRefusal("help/bad_neighbour_room", text=unread.values["text"]) from unread
    return {**data, "neighbour_room": room.label, "typed": data.get("typed", 0) + 1}


async def _ask_confirm(ctx: Ctx, data: dict[str, Any]) -> None:
    person = may_request(ctx.person)
    household = await ctx.session.get(Household, person.household_id)
    markup = Keyboard.of(
        [
            Button(ctx.label("help_send"), ConfirmRequest(True).pack()),
            Button(ctx.label("help_drop"), ConfirmRequest(False).pack()),
        ]
    )
    _ask(
        ctx,
        data,
        "confirm",
        markup,
        summary=data,
        home=household.label if household else "",
        chosen=None,
    )


def _adding(data: dict[str, Any]) -> bool:
    return data.get("add_to") is not None


CATEGORY = Step("category", _ask_category)
EXISTING = Step("existing", _ask_existing, skip=lambda d: not d.get("existing"))
URGENCY = Step("urgency", _ask_urgency, skip=_adding)
DESCRIPTION = Step("description", _ask_description, on_text=_take_description, on_photo=_take_photo)
WHOM = Step("whom", _ask_whom, skip=_adding)
NEIGHBOUR = Step(
    "neighbour",
    _ask_neighbour,
    on_text=_take_neighbour,
    skip=lambda d: d.get("whom") != ForWhom.NEIGHBOUR,
)
CONFIRM = Step("confirm", _ask_confirm)

wizards = Wizards(router, nudge="help/use_buttons")
wizards.flow("request", [CATEGORY, EXISTING, URGENCY, DESCRIPTION, WHOM, NEIGHBOUR, CONFIRM])


async def begin(ctx: Ctx) -> None:
    """Start the wizard for a registered, approved member of a household."""
    may_request(await sender_person(ctx))
    await wizards.begin(ctx, "request", {})


# -- entry points ------------------------------------------------------------------------------


@router.command("request")
async def request(ctx: Ctx) -> None:
    """/request: the wizard in private; in a group, a link to the private chat (no details)."""
    if ctx.incoming.chat.is_group:
        building = await _group_building(ctx)
        markup = Keyboard.of(
            [Button(ctx.label("help_ask"), url=ctx.deep_link(f"{START_LINK}{building}"))]
        )
        ctx.reply("help/in_group", markup=markup)
        return
    await begin(ctx)


async def _group_building(ctx: Ctx) -> int:
    building = await building_of_chat(ctx.session, ctx.incoming.chat.id)
    return building.id if building else 0


@router.deep_link(START_LINK)
async def from_group_link(ctx: Ctx) -> None:
    """/start hq<building>: the group's link opens the wizard privately."""
    await begin(ctx)


@router.callback(AskHelp)
async def on_ask(ctx: Ctx) -> None:
    """The [Ask for help] button of the /start menu or of the plain-text offer."""
    await begin(ctx)
    ctx.answer()


@router.private_text
async def offer(ctx: Ctx) -> None:
    """Plain text to the bot outside any wizard: a registered resident is offered /request."""
    person = ctx.person
    if person is None or person.household_id is None:
        ctx.reply("hint_help")
        return
    markup = Keyboard.of([Button(ctx.label("help_ask"), AskHelp().pack())])
    ctx.reply("help/offer", markup=markup)


# -- the wizard's buttons ----------------------------------------------------------------------


async def _answered(
    ctx: Ctx, step: str, value: str, allowed: set[str]
) -> tuple[Run, dict[str, Any]]:
    """A tapped choice for `step`: the run waiting there, and its data with the choice."""
    run = await wizards.at_step(ctx, step)
    if value not in allowed:
        raise StaleButton()
    return run, {**run.data, step: value}


@router.callback(ChooseCategory)
async def on_category(ctx: Ctx) -> None:
    """The kind of help; an open request of that kind in the household is offered instead."""
    category = tapped(ctx.button, ChooseCategory).category
    run = await wizards.at_step(ctx, "category")
    if category not in set(Category):
        raise StaleButton()
    person = may_request(ctx.person)
    existing = await open_request_of(ctx.session, person.household_id, category)
    data = {**run.data, "category": category, "existing": existing.id if existing else None}
    await wizards.advance(ctx, run, data)


@router.callback(AddOrNew)
async def on_existing(ctx: Ctx) -> None:
    """Add to the open request, or go on with a new one."""
    add = tapped(ctx.button, AddOrNew).add
    run = await wizards.at_step(ctx, "existing")
    data = {**run.data, "add_to": run.data["existing"] if add else None}
    await wizards.advance(ctx, run, data)


@router.callback(ChooseUrgency)
async def on_urgency(ctx: Ctx) -> None:
    """How soon; an urgent medical need first hears the emergency number."""
    urgency = tapped(ctx.button, ChooseUrgency).urgency
    run, data = await _answered(ctx, "urgency", urgency, set(Urgency))
    if is_emergency(data["category"], urgency):
        ctx.reply("help/emergency", number=ctx.settings.emergency_number)
    await wizards.advance(ctx, run, data)


@router.callback(ChooseWhom)
async def on_whom(ctx: Ctx) -> None:
    """Myself, my household, or a neighbour who cannot use a phone."""
    run, data = await _answered(ctx, "whom", tapped(ctx.button, ChooseWhom).whom, set(ForWhom))
    await wizards.advance(ctx, run, data)


@router.callback(ConfirmRequest)
async def on_confirm(ctx: Ctx) -> None:
    """Send: the request is filed (or added to) and dispatched; drop: nothing is kept."""
    send = tapped(ctx.button, ConfirmRequest).send
    run = await wizards.at_step(ctx, "confirm")
    data = run.data
    person = may_request(ctx.person)
    household = await ctx.session.get(Household, person.household_id)
    home = household.label if household else ""
    _ask(ctx, data, "confirm", None, summary=data, home=home, chosen="send" if send else "drop")
    await leave(ctx)
    if not send:
        ctx.reply("help/dropped")
        return
    now = ctx.clock.now()
    if data.get("add_to") is not None:
        found = await add_to_request(
            ctx.session,
            person=person,
            request_id=data["add_to"],
            text=data["description"],
            now=now,
        )
        await tell_added(ctx, found.request.id)
        return
    filed = await file_request(
        ctx.session,
        person=person,
        category=data["category"],
        urgency=data["urgency"],
        description=data["description"],
        for_whom=data["whom"],
        neighbour_room=data.get("neighbour_room"),
        now=now,
        tz=ctx.settings.tz,
        photos=data.get("photos", []),
    )
    asked = await announce(ctx, filed)
    tell_filed(ctx, filed, asked)


async def tell_added(ctx: Ctx, request_id: int) -> None:
    """The household hears it was added; a volunteer already on it hears the new words."""
    found = await load_help(ctx.session, request_id)
    ctx.reply("help/added", ref=found.ref)
    if found.task.assignee_id is not None:
        await send_details(ctx, found, update=True)
