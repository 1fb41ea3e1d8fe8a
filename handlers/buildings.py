"""Who leads a building: /bind, bind requests and their approval, leaders, coordinators.

A group's admin binds it with `/bind 3号楼`. A building with no leaders gets its founding leader
at once; a building that has leaders (or, when coordinators are configured, a name nobody
approved yet) turns the bind into a request: its leaders and the coordinators get a private
message with [Approve] [Reject], and the group waits with no rights over the building.
"""

from __future__ import annotations

import re
from typing import Any

from bot.callbacks import button, tapped
from bot.context import Button, Ctx, Keyboard
from bot.refusals import Usage
from bot.routing import Router
from handlers.households import ask_about_member
from handlers.identity import can_reach, in_chat, is_chat_admin, sender_person
from models.authority import (
    Binding,
    BindStatus,
    appoint_coordinator,
    appoint_leader,
    bind_chat,
    confirm_rebind,
    decide_bind_request,
    leaders_of_chat,
    remove_leader,
    requests_for,
)
from models.chat_language import group_language
from models.errors import LeaderTargetInvalid, NotChatAdmin
from models.households import pending_members_for
from models.people import ChatPurpose, Person

router = Router("buildings")


def _target_of(ctx: Ctx, command: str) -> int:
    """Whom /leader, /unleader or /coordinator is about: the replied-to person, or a user id."""
    reply = ctx.incoming.reply_to
    if reply is not None and not ctx.incoming.args.strip():
        if reply.from_this_bot or reply.sender_id is None:
            raise LeaderTargetInvalid()
        return reply.sender_id
    arg = ctx.incoming.args.strip()
    if not re.fullmatch(r"\d{1,15}", arg):
        raise Usage(command=command)
    return int(arg)


def _replied_name(ctx: Ctx, user_id: int) -> str | None:
    """The Telegram name of the replied-to person, if they are the target."""
    reply = ctx.incoming.reply_to
    return reply.sender_name if reply is not None and reply.sender_id == user_id else None


@button("bd")
class MoveGroup:
    """Confirm moving the group to `building` (0: keep it); `message` is the /bind message."""

    building: int
    message: int
    volunteers: bool = False


@button("bq")
class BindDecision:
    """A leader's or coordinator's answer to bind request `request`."""

    request: int
    approve: bool


async def group_lang(ctx: Ctx) -> str:
    """Answers that address the whole group speak the group's language."""
    return await group_language(
        ctx.session, ctx.incoming.chat.id, default=ctx.settings.default_language
    )


# -- binding a group to a building --------------------------------------------------------------


@router.command("bind", where="group", audience="admin", member_check=True)
async def bind(ctx: Ctx) -> None:
    """/bind <building>: bind the group, or ask the building's leaders to let it in."""
    binding = await bind_chat(
        ctx.session,
        chat_id=ctx.incoming.chat.id,
        title=ctx.incoming.chat.title,
        building_name=ctx.incoming.args,
        community_name=ctx.settings.community_name,
        timezone=ctx.settings.timezone,
        binder=await sender_person(ctx),
        is_chat_admin=is_chat_admin(ctx),
        now=ctx.clock.now(),
    )
    ctx.lang = await group_lang(ctx)
    _show_binding(ctx, binding, ctx.incoming.message_id or 0)


def _show_binding(ctx: Ctx, binding: Binding, msg_id: int) -> None:
    """Post (or edit, after a confirmation tap) the answer to the /bind message `msg_id`."""
    key = f"bind:{ctx.incoming.chat.id}:{msg_id}"
    values: dict[str, Any] = {
        "building": binding.building_name,
        "building_id": binding.building_id,
        "previous": binding.previous_name,
        "volunteers": binding.purpose == ChatPurpose.VOLUNTEERS,
    }
    chat_id = ctx.incoming.chat.id
    if binding.status is BindStatus.CONFIRM:
        markup = Keyboard.of(
            [
                Button(
                    ctx.label("rebind_yes"),
                    MoveGroup(binding.building_id, msg_id, values["volunteers"]).pack(),
                ),
                Button(ctx.label("rebind_no"), MoveGroup(0, msg_id).pack()),
            ]
        )
        ctx.live(key, chat_id, "bind/confirm", markup=markup, **values)
    elif binding.status is BindStatus.REQUESTED:
        asked = _ask_approvers(ctx, binding) if binding.new_request else None
        ctx.live(key, chat_id, "bind/requested", asked=asked, **values)
    else:
        ctx.live(key, chat_id, f"bind/{binding.status}", **values)


def _ask_approvers(ctx: Ctx, binding: Binding) -> int:
    """Send each reachable approver the request with its buttons; returns how many were sent."""
    assert binding.request_id is not None
    requester = ctx.person.name if ctx.person else ""
    sent = 0
    for approver in binding.approvers:
        if not can_reach(approver):
            continue
        _send_request(
            ctx,
            approver,
            binding.request_id,
            ctx.incoming.chat.title or "",
            binding.building_name,
            requester,
        )
        sent += 1
    return sent


def _send_request(
    ctx: Ctx, approver: Person, request_id: int, group: str, building: str, requester: str
) -> None:
    lang = approver.language or ctx.settings.default_language
    markup = Keyboard.of(
        [
            Button(ctx.label("approve", lang=lang), BindDecision(request_id, True).pack()),
            Button(ctx.label("reject", lang=lang), BindDecision(request_id, False).pack()),
        ]
    )
    ctx.send(
        approver.tg_user_id,
        "bind/request",
        lang=lang,
        markup=markup,
        group=group,
        building=building,
        requester=requester,
    )


@router.callback(MoveGroup, member_check=True)
async def on_rebind(ctx: Ctx) -> None:
    """The admin confirms moving the group to another building, or keeps it."""
    tap = tapped(ctx.button, MoveGroup)
    building, msg_id = tap.building, tap.message
    ctx.lang = await group_lang(ctx)
    if building == 0:
        if not is_chat_admin(ctx):
            raise NotChatAdmin()
        ctx.live(f"bind:{ctx.incoming.chat.id}:{msg_id}", ctx.incoming.chat.id, "bind/kept")
        return
    binding = await confirm_rebind(
        ctx.session,
        chat_id=ctx.incoming.chat.id,
        title=ctx.incoming.chat.title,
        building_id=building,
        binder=await sender_person(ctx),
        is_chat_admin=is_chat_admin(ctx),
        now=ctx.clock.now(),
        purpose=ChatPurpose.VOLUNTEERS if tap.volunteers else ChatPurpose.RESIDENTS,
    )
    _show_binding(ctx, binding, msg_id)


@router.callback(BindDecision)
async def on_bind_decision(ctx: Ctx) -> None:
    """A leader or coordinator approves or rejects a bind request."""
    tap = tapped(ctx.button, BindDecision)
    decision = await decide_bind_request(
        ctx.session,
        request_id=tap.request,
        approver=await sender_person(ctx),
        approve=tap.approve,
        now=ctx.clock.now(),
    )
    values = {
        "approved": decision.approved,
        "group": decision.chat_title,
        "building": decision.building_name,
        "building_id": decision.building_id,
        "approver": ctx.person.name if ctx.person else "",
    }
    ctx.reply("bind/decided", **values)
    ctx.send(
        decision.chat_id,
        "bind/approved" if decision.approved else "bind/rejected",
        lang=await group_language(
            ctx.session, decision.chat_id, default=ctx.settings.default_language
        ),
        **values,
    )
    requester = decision.requester
    if requester is not None and can_reach(requester):
        ctx.send(
            requester.tg_user_id,
            "bind/request_answered",
            lang=requester.language or ctx.settings.default_language,
            **values,
        )
    ctx.answer()


@router.command("pending", where="private", audience="leader")
async def pending(ctx: Ctx) -> None:
    """/pending: the bind requests and household members waiting for this leader's decision."""
    person = await sender_person(ctx)
    requests = await requests_for(ctx.session, person)
    members = await pending_members_for(ctx.session, person)
    if not requests and not members:
        ctx.reply("pending/none")
        return
    for request, building, requester in requests:
        _send_request(ctx, person, request.id, request.chat_title, building, requester)
    for applicant, household_id, label, building in members:
        ask_about_member(ctx, person, applicant, household_id, label, building, as_leader=True)


# -- leaders and coordinators -------------------------------------------------------------------


@router.command("leader", where="group", audience="leader", member_check=True)
async def leader(ctx: Ctx) -> None:
    """/leader (as a reply, or with a user id): a leader appoints another leader."""
    target = _target_of(ctx, "leader")
    change = await appoint_leader(
        ctx.session,
        chat_id=ctx.incoming.chat.id,
        actor=await sender_person(ctx),
        target_tg_id=target,
        target_name=_replied_name(ctx, target),
        target_in_chat=in_chat(ctx, target),
        now=ctx.clock.now(),
    )
    ctx.reply(
        "leader/appointed", who=change.name, building=change.building_name, changed=change.changed
    )


@router.command("unleader", where="group", audience="leader")
async def unleader(ctx: Ctx) -> None:
    """/unleader (as a reply, or with a user id): a leader removes a leader."""
    change = await remove_leader(
        ctx.session,
        chat_id=ctx.incoming.chat.id,
        actor=await sender_person(ctx),
        target_tg_id=_target_of(ctx, "unleader"),
        now=ctx.clock.now(),
    )
    ctx.reply("leader/removed", who=change.name, building=change.building_name)


@router.command("leaders", where="group", needs_bound=True)
async def leaders(ctx: Ctx) -> None:
    """/leaders lists the leaders of the group's building."""
    building, names = await leaders_of_chat(ctx.session, ctx.incoming.chat.id)
    ctx.reply("leader/list", building=building, names=names)


@router.command("coordinator", audience="coordinator")
async def coordinator(ctx: Ctx) -> None:
    """/coordinator (as a reply, or with a user id): a coordinator appoints another."""
    target = _target_of(ctx, "coordinator")
    name, changed = await appoint_coordinator(
        ctx.session,
        actor=await sender_person(ctx),
        target_tg_id=target,
        target_name=_replied_name(ctx, target),
        now=ctx.clock.now(),
    )
    ctx.reply("coordinator/appointed", who=name, changed=changed)
