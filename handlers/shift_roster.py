"""`/roster [today|week]`: the building's shifts and who is on them, for everyone."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from bot.context import Ctx
from bot.refusals import Usage
from bot.routing import Router
from handlers.shifts import building_here
from models.shifts import roster

router = Router("shift_roster")

ROSTER_ROWS = 40  # a week of a busy building; the rest are counted (4,096 characters)
_SPANS = {"": 1, "today": 1, "今天": 1, "week": 7, "本周": 7, "一周": 7, "7": 7}


@router.command("roster", needs_bound=True)
async def roster_(ctx: Ctx) -> None:
    """/roster [today|week]: who is on which shift (names only, never phones), gaps marked."""
    days = _SPANS.get(ctx.incoming.args.strip().lower())
    if days is None:
        raise Usage(command="roster")
    building = await building_here(ctx)
    local = ctx.clock.now().astimezone(ctx.settings.tz)
    start = datetime.combine(local.date(), time(0), ctx.settings.tz)
    views = await roster(ctx.session, building, start, start + timedelta(days=days))
    ctx.reply(
        "shifts/roster",
        views=views[:ROSTER_ROWS],
        more=max(0, len(views) - ROSTER_ROWS),
        week=days > 1,
    )
