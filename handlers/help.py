"""/help: the commands the asker can really use in this chat, given who they are there.

Routes declare where they work and for whom (bot/routing.py); /help only reads those
declarations and the asker's standing, so a new command appears for the right people by itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.context import Ctx
from bot.routing import CommandRoute, Router
from handlers.identity import is_chat_admin
from handlers.recognition import explain_stars
from models.people import building_of_chat, is_coordinator, may_lead_here

router = Router("help")

STAR_TOPICS = frozenset({"stars", "star", "星级", "星", "积分", "points"})


@dataclass(frozen=True, slots=True)
class Standing:
    """Who the asker is in this chat, as far as commands are concerned."""

    in_group: bool
    bound: bool = False  # the group is bound to a building
    leader: bool = False  # leads the group's building (in private: any building)
    admin: bool = False  # the group's creator or an administrator
    volunteer: bool = False
    coordinator: bool = False  # runs the whole community


def commands_for(routes: Iterable[CommandRoute], standing: Standing) -> list[str]:
    """The commands the asker may use in this kind of chat, in route order."""
    fits = ("any", "group") if standing.in_group else ("any", "private")
    # Being a group's admin grants no leadership: leaders are founded, appointed or approved.
    leads = standing.leader or standing.coordinator
    allowed = {
        "everyone": True,
        "volunteer": standing.volunteer,
        "gatekeeper": standing.volunteer or leads,
        "leader": leads,
        "admin": standing.admin,
        "coordinator": standing.coordinator,
    }
    unbound_group = standing.in_group and not standing.bound
    return [
        r.name
        for r in routes
        if r.where in fits and allowed[r.audience] and not (r.needs_bound and unbound_group)
    ]


async def standing_of(ctx: Ctx) -> Standing:
    """The asker's standing in the chat the update came from."""
    chat, person = ctx.incoming.chat, ctx.person
    group_id = chat.id if chat.is_group else None
    return Standing(
        in_group=chat.is_group,
        bound=group_id is not None and await building_of_chat(ctx.session, group_id) is not None,
        leader=await may_lead_here(ctx.session, person, group_id),
        admin=is_chat_admin(ctx),
        volunteer=person is not None and person.is_volunteer,
        coordinator=await is_coordinator(ctx.session, person),
    )


@router.command("help", member_check=True)
async def help_(ctx: Ctx) -> None:
    """/help: the commands this person may use in this chat; `/help stars`: how stars work."""
    if ctx.incoming.args.strip().lower() in STAR_TOPICS:
        explain_stars(ctx)
        return
    names = commands_for(ctx.commands.values(), await standing_of(ctx))
    ctx.reply("help", commands=names, in_group=ctx.incoming.chat.is_group)
