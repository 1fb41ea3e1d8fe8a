"""Housekeeping run by every tick; capabilities register their own jobs with their router."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete

from bot.context import Emitter
from models.conversations import expire_conversations
from models.inbox import prune as prune_inbox
from models.outbox import SENT, SUPERSEDED, OutboxMessage

OUTBOX_MEMORY = timedelta(days=7)


async def drop_expired_conversations(ctx: Emitter) -> None:
    """Wizards left half-way expire so the next message starts fresh."""
    await expire_conversations(ctx.session, ctx.clock.now())


async def prune_delivery_history(ctx: Emitter) -> None:
    """Forget handled updates and delivered outbox rows; pending and failed rows stay."""
    session, now = ctx.session, ctx.clock.now()
    await prune_inbox(session, now)
    await session.execute(
        delete(OutboxMessage).where(
            OutboxMessage.status.in_((SENT, SUPERSEDED)),
            OutboxMessage.created_at < now - OUTBOX_MEMORY,
        )
    )


HOUSEKEEPING = [drop_expired_conversations, prune_delivery_history]
