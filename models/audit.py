"""The audit log: one row for every leader or chat-admin action."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base

if TYPE_CHECKING:
    from models.people import Person


class AuditEntry(Base):
    """Who did what, where and when; the actor becomes NULL when they ask to be forgotten."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime]
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("persons.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[str] = mapped_column(String(40))
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    building_id: Mapped[int | None] = mapped_column(ForeignKey("buildings.id", ondelete="SET NULL"))
    # Ids only: no names, phones or chat text, so the log stays anonymous after /forgetme.
    details: Mapped[dict[str, Any]]

    __table_args__ = (Index("ix_audit_log_building_at", "building_id", "at"),)


def record_action(
    session: AsyncSession,
    *,
    actor: Person | None,
    action: str,
    now: datetime,
    chat_id: int | None = None,
    building_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add an audit row in the caller's transaction."""
    entry = AuditEntry(
        at=now,
        actor_id=actor.id if actor is not None else None,
        action=action,
        chat_id=chat_id,
        building_id=building_id,
        details=dict(details or {}),
    )
    session.add(entry)
    return entry


async def recent_actions(
    session: AsyncSession, building_id: int, limit: int = 50
) -> list[AuditEntry]:
    """The newest audit rows of one building."""
    rows = await session.scalars(
        select(AuditEntry)
        .where(AuditEntry.building_id == building_id)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(limit)
    )
    return list(rows)
