"""Greeting a group the bot was just added to, so its admins know the first step is /bind."""

from __future__ import annotations

from bot.context import Ctx
from bot.routing import Router
from models.chat_language import group_language
from models.people import building_of_chat

router = Router("greeting")


@router.event("joined_group")
async def added_to_group(ctx: Ctx) -> None:
    """Say hello and explain `/bind <building>` (or, if re-added, which building this is)."""
    chat_id = ctx.incoming.chat.id
    building = await building_of_chat(ctx.session, chat_id)
    ctx.lang = await group_language(ctx.session, chat_id, default=ctx.settings.default_language)
    ctx.reply("greet/added", building=building.name if building else None)
