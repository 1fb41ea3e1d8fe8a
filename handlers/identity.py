"""Who is acting: the sender as a Person, and what Telegram says about their role in a group."""

from __future__ import annotations

from bot.context import Ctx
from models.people import Person, ensure_person

ADMIN_STATUSES = ("creator", "administrator")


async def sender_person(ctx: Ctx) -> Person:
    """The sender as a Person, created on first contact (the dispatcher only looks them up)."""
    sender = ctx.incoming.sender
    assert sender is not None  # the dispatcher never routes sender-less updates to handlers
    if ctx.person is None:
        ctx.person = await ensure_person(ctx.session, sender.id, sender.name, ctx.clock.now())
    return ctx.person


def can_reach(person: Person | None) -> bool:
    """True if Linli may write to the person privately (they wrote to it; no 403 since)."""
    return person is not None and person.started_private


def member_status(ctx: Ctx, user_id: int) -> str:
    """A user's role in the group, as Telegram told the dispatcher before the transaction."""
    if ctx.member_statuses is None:
        # Asking here would hold the write transaction open across a network call.
        raise RuntimeError("this route must be declared with member_check=True")
    return ctx.member_statuses.get(user_id, "left")


def is_chat_admin(ctx: Ctx) -> bool:
    """Telegram decides who administers a group (getChatMember), not Linli."""
    chat, sender = ctx.incoming.chat, ctx.incoming.sender
    if not chat.is_group or sender is None:
        return False
    return member_status(ctx, sender.id) in ADMIN_STATUSES


def in_chat(ctx: Ctx, user_id: int) -> bool:
    """True if the user is a current member of the group."""
    return member_status(ctx, user_id) not in ("left", "kicked")
