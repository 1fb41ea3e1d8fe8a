"""Rosters (值班表): who is on duty today or this week, and a leader's /assign override.

`/roster [today|week]` lists the building's shifts with the names of the volunteers on each
(names of volunteers on duty are fine in the group; phones never). `/assign S-12`, as a reply
to a volunteer's message (or with their user id), puts them on a shift: a broken rest rule is
a warning to the leader, never a refusal, but the slots are never exceeded.
"""

from __future__ import annotations

import re
from typing import Any

from bot.context import Ctx
from bot.refusals import Usage
from bot.routing import Router
from handlers.identity import can_reach, sender_person
from handlers.shift_exports import EXPORT_LINK, open_roster_link
from handlers.shifts import card_key
from models.shift_roster import (
    Period,
    assign_slot,
    require_roster_reader,
    roster,
    roster_building,
    roster_window,
)
from models.shifts import ShiftView, parse_shift_ref

router = Router("shift_roster")

# Telegram's limit is 4,096 characters after entity parsing; the HTML we measure is never
# shorter than that text, so fitting the HTML fits the message.
MAX_MESSAGE = 4096
ROSTER_ROWS = 60  # shifts listed at most; the rest are counted
PERIODS: dict[str, Period] = {
    "": "today",
    "today": "today",
    "今天": "today",
    "今日": "today",
    "week": "week",
    "本周": "week",
    "一周": "week",
    "7天": "week",
}


@router.command("roster", audience="gatekeeper", needs_bound=True)
async def roster_command(ctx: Ctx) -> None:
    """/roster [today|week]: the building's shifts and who is on each, gaps marked."""
    period = PERIODS.get(ctx.incoming.args.strip().lower())
    if period is None:
        raise Usage(command="roster")
    chat = ctx.incoming.chat
    person = await sender_person(ctx)
    building = await roster_building(ctx.session, person, chat.id if chat.is_group else None)
    await require_roster_reader(ctx.session, person, building.id)
    start, end = roster_window(period, ctx.clock.now(), ctx.settings.tz)
    views = await roster(ctx.session, building.id, start, end)
    values: dict[str, Any] = {"building": building.name, "period": period, "start": start}
    ctx.reply("shifts/roster", **values, **_fitting(ctx, views, values))


def _fitting(ctx: Ctx, views: list[ShiftView], values: dict[str, Any]) -> dict[str, Any]:
    """As many shifts as fit one message, the rest counted (200-slot shifts have long rows)."""
    shown = min(len(views), ROSTER_ROWS)
    while True:
        fit = {"views": views[:shown], "more": len(views) - shown}
        if shown <= 1 or len(ctx.t("shifts/roster", **values, **fit)) <= MAX_MESSAGE:
            return fit
        shown = shown * 3 // 4


def _assign_target(ctx: Ctx) -> tuple[int, int, str | None]:
    """(shift id, volunteer's user id, their Telegram name) from `/assign S-12 [user id]`."""
    parts = ctx.incoming.args.split()
    reply = ctx.incoming.reply_to
    if len(parts) == 1 and reply is not None:
        if reply.from_this_bot or reply.sender_id is None:
            raise Usage(command="assign")
        return parse_shift_ref(parts[0]), reply.sender_id, reply.sender_name
    if len(parts) == 2 and re.fullmatch(r"\d{1,15}", parts[1]):
        return parse_shift_ref(parts[0]), int(parts[1]), None
    raise Usage(command="assign")


@router.command("assign", audience="leader")
async def assign(ctx: Ctx) -> None:
    """/assign S-12 (as a reply to a volunteer, or with their user id): a leader's override."""
    shift_id, user_id, name = _assign_target(ctx)
    done = await assign_slot(
        ctx.session,
        shift_id=shift_id,
        leader=await sender_person(ctx),
        volunteer_tg_id=user_id,
        volunteer_name=name,
        now=ctx.clock.now(),
        rules=ctx.settings.rest_rules,
        tz=ctx.settings.tz,
    )
    shift, volunteer = done.shift, done.volunteer
    told = can_reach(volunteer)
    if told:
        ctx.send(
            volunteer.tg_user_id,
            "shifts/assigned_volunteer",
            lang=volunteer.language or ctx.settings.default_language,
            ref=shift.ref,
            post=shift.post,
            start=shift.starts_at,
            end=shift.ends_at,
        )
    ctx.reply(
        "shifts/assigned",
        ref=shift.ref,
        post=shift.post,
        who=volunteer.name,
        filled=shift.filled,
        people=shift.people,
        warning=done.warning,
        told=told,
    )
    ctx.refresh(card_key(shift.series_id or shift.id), shift.chat_id)


router.deep_link(EXPORT_LINK)(open_roster_link)
