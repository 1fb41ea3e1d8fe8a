"""The language Linli speaks in a group: cards and announcements address everyone there."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.audit import record_action
from models.errors import UnknownLanguage
from models.languages import LANGUAGES
from models.people import GroupChat, Person, bound_building, require_leader


async def group_language(session: AsyncSession, chat_id: int, *, default: str) -> str:
    """The language the group's leaders chose for it, else the deployment's default."""
    chosen = await session.scalar(select(GroupChat.language).where(GroupChat.chat_id == chat_id))
    return chosen if chosen in LANGUAGES else default


async def set_group_language(
    session: AsyncSession, *, chat_id: int, actor: Person | None, language: str, now: datetime
) -> str:
    """A leader of the group's building sets the group's language (zh or en)."""
    building = await bound_building(session, chat_id)
    await require_leader(session, actor, building.id)
    code = (language or "").strip().lower()
    if code not in LANGUAGES:
        raise UnknownLanguage(code=language or "")
    chat = await session.get(GroupChat, chat_id)
    assert chat is not None  # bound_building found its row
    chat.language = code
    record_action(
        session,
        actor=actor,
        action="group_language",
        now=now,
        chat_id=chat_id,
        building_id=building.id,
        details={"language": code},
    )
    return code
