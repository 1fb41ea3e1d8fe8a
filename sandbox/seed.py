"""Puts the sandbox's demo community (sandbox/personas.py) into Linli's database."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from models.inbox import last_update_id
from models.people import (
    SKILLS,
    GroupChat,
    Person,
    add_leader,
    ensure_building,
    ensure_community,
    find_person,
    register_household,
)

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from bot.settings import Settings
    from sandbox.world import Persona, World


def building_name(number: int) -> str:
    """The demo buildings are numbered; residents call them 1号楼, 2号楼."""
    return f"{number}号楼"


async def seed_demo(session: AsyncSession, world: World, now: datetime, settings: Settings) -> None:
    """Buildings bound to the demo groups, households, people and leaders; safe to run twice.

    Only missing rows are added: a person who changed their language or left the volunteer pool in
    the sandbox keeps that change when the sandbox restarts on the same database.
    """
    community = await ensure_community(session, settings.community_name, settings.timezone)
    groups = [g for g in world.groups.values() if g.building is not None]
    buildings: dict[int, int] = {}  # persona building number → building id
    for group in groups:
        building = await ensure_building(session, community.id, building_name(group.building), now)
        buildings[group.building] = building.id

    for persona in world.users.values():
        if persona.is_bot or await find_person(session, persona.id) is not None:
            continue
        person = _new_person(persona, now, started=persona.id in world.started)
        session.add(person)
        await session.flush()
        building_id = buildings.get(persona.building) if persona.building else None
        if building_id is None:
            continue
        if persona.room:
            await register_household(
                session,
                person=person,
                building_id=building_id,
                room_text=persona.room,
            )
        if persona.role == "leader":
            await add_leader(session, building_id, person, appointed_by=person, now=now)

    for group in groups:
        if await session.get(GroupChat, group.id) is not None:
            continue  # bound already, maybe rebound by hand in the sandbox: leave it
        creator = next((uid for uid, s in group.members.items() if s == "creator"), None)
        binder = await find_person(session, creator) if creator else None
        session.add(
            GroupChat(
                chat_id=group.id,
                building_id=buildings[group.building],
                title=group.title,
                bound_at=now,
                bound_by=binder.id if binder else None,
            )
        )
    await session.flush()


async def resume_update_ids(session: AsyncSession, world: World) -> None:
    """Continue the world's update numbering after the last update the database has seen."""
    # Kept in the database rather than a file beside it: that works for PostgreSQL too, and
    # once the rows age out of the dedupe window the ids no longer matter.
    last = await last_update_id(session)
    if last is not None:
        world.continue_updates_after(last)


def _new_person(persona: Persona, now: datetime, *, started: bool) -> Person:
    skills = [s for s in SKILLS if s in set(persona.skills)]
    volunteer = persona.role in ("volunteer", "leader") and bool(skills)
    return Person(
        tg_user_id=persona.id,
        display_name=persona.full_name[:128],
        language=persona.language if persona.language in ("zh", "en") else None,
        phone="".join(ch for ch in persona.phone if ch == "+" or ch.isdigit())
        if persona.phone
        else None,
        is_volunteer=volunteer,
        available=True,
        skills=skills,
        started_private=started,
        created_at=now,
    )
