"""Wizard state in the database, keyed by (chat, user), with expiry."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, String, delete
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base

DEFAULT_TTL = timedelta(minutes=30)


class Conversation(Base):
    """Where one person is in one multi-step wizard."""

    __tablename__ = "conversations"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(32))
    step: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]]
    expires_at: Mapped[datetime]


async def current_conversation(
    session: AsyncSession, chat_id: int, user_id: int, now: datetime
) -> Conversation | None:
    """The person's live wizard in this chat, locked for this transaction; expired ones drop."""
    # Two quick taps arrive as concurrent updates; the row lock makes the second wait for the
    # first instead of both editing the same starting state (PostgreSQL; SQLite's writers queue).
    convo = await session.get(Conversation, (chat_id, user_id), with_for_update=True)
    if convo is None:
        return None
    if convo.expires_at <= now:
        await session.delete(convo)
        return None
    return convo


async def set_conversation(
    session: AsyncSession,
    chat_id: int,
    user_id: int,
    name: str,
    step: str,
    data: dict[str, Any],
    now: datetime,
    ttl: timedelta = DEFAULT_TTL,
) -> Conversation:
    """Start a wizard or move it to `step`, renewing its expiry."""
    convo = await session.get(Conversation, (chat_id, user_id))
    if convo is None:
        convo = Conversation(chat_id=chat_id, user_id=user_id)
        session.add(convo)
    convo.name, convo.step, convo.data, convo.expires_at = name, step, dict(data), now + ttl
    return convo


async def end_conversation(session: AsyncSession, chat_id: int, user_id: int) -> bool:
    """Leave the wizard; False if there was none."""
    result = await session.execute(
        delete(Conversation).where(Conversation.chat_id == chat_id, Conversation.user_id == user_id)
    )
    return bool(result.rowcount)


async def expire_conversations(session: AsyncSession, now: datetime) -> int:
    """Delete wizards past their expiry; returns how many."""
    result = await session.execute(delete(Conversation).where(Conversation.expires_at <= now))
    return result.rowcount or 0
