"""The registry: community, buildings, bound group chats, households, persons, leaders."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    delete,
    func,
    select,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from bot.i18n import LANGUAGES
from models.audit import record_action
from models.base import Base
from models.conversations import Conversation
from models.errors import (
    ChatNotBound,
    ForeignContact,
    InvalidRoom,
    LeaderTargetInvalid,
    NoSkillsChosen,
    NotALeader,
    NotALeaderTarget,
    NotAVolunteer,
    NotChatAdmin,
    NotRegistered,
    StaleButton,
    Usage,
)
from models.records import hours_served

# The order is the order of the skill buttons; the keys are stored, labels live in labels.j2.
SKILLS = (
    "medical",
    "nursing",
    "psych",
    "driving",
    "delivery",
    "elderly_care",
    "translation",
    "it",
    "legal",
    "other",
)
MAX_BUILDING_NAME = 40

IntPK = BigInteger().with_variant(Integer, "sqlite")


class Community(Base):
    """A residential compound (社区/小区); Linli runs one per deployment for now."""

    __tablename__ = "communities"

    id: Mapped[int] = mapped_column(IntPK, primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    timezone: Mapped[str] = mapped_column(String(40))


class Building(Base):
    """A building (楼栋) of the community."""

    __tablename__ = "buildings"

    id: Mapped[int] = mapped_column(IntPK, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(MAX_BUILDING_NAME))
    created_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("community_id", "name"),)


class GroupChat(Base):
    """A Telegram group bound to a building (楼栋群) with /bind."""

    __tablename__ = "group_chats"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    building_id: Mapped[int] = mapped_column(
        ForeignKey("buildings.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(128), default="")
    bound_at: Mapped[datetime]
    bound_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"))
    # NULL: the deployment's LINLI_DEFAULT_LANGUAGE, so changing that setting reaches every group.
    language: Mapped[str | None] = mapped_column(String(5))


class Household(Base):
    """A flat (户): building, unit (单元, "" when the building has none) and room."""

    __tablename__ = "households"

    id: Mapped[int] = mapped_column(IntPK, primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id", ondelete="CASCADE"))
    # "" rather than NULL: NULLs never collide in a unique constraint, so "502" could repeat.
    unit: Mapped[str] = mapped_column(String(4), default="")
    room: Mapped[str] = mapped_column(String(6))

    __table_args__ = (UniqueConstraint("building_id", "unit", "room"),)

    @property
    def label(self) -> str:
        """How residents write it: "3-502", or "502" without a unit."""
        return Room(int(self.unit) if self.unit else None, self.room).label

    @property
    def floor(self) -> int:
        """The floor, read from the room number (502 → 5, 1201 → 12)."""
        return Room(None, self.room).floor


class Person(Base):
    """Someone who has talked to Linli: a resident, a volunteer, a leader."""

    __tablename__ = "persons"

    id: Mapped[int] = mapped_column(IntPK, primary_key=True)
    tg_user_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    display_name: Mapped[str] = mapped_column(String(128), default="")
    language: Mapped[str | None] = mapped_column(String(5))
    phone: Mapped[str | None] = mapped_column(String(24))
    household_id: Mapped[int | None] = mapped_column(
        ForeignKey("households.id", ondelete="SET NULL"), index=True
    )
    is_volunteer: Mapped[bool] = mapped_column(default=False)
    available: Mapped[bool] = mapped_column(default=True)
    skills: Mapped[list[str]] = mapped_column(default=list)
    # Telegram lets a bot write privately only to people who started it (else 403).
    started_private: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]

    @property
    def name(self) -> str:
        """The name to show; a leader appointed by id may not have told us theirs yet."""
        return self.display_name or f"#{self.tg_user_id}"


class BuildingLeader(Base):
    """A leader (楼组长) of one building."""

    __tablename__ = "building_leaders"

    id: Mapped[int] = mapped_column(IntPK, primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    appointed_at: Mapped[datetime]
    appointed_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"))

    __table_args__ = (UniqueConstraint("building_id", "person_id"),)


# -- rooms -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Room:
    """A parsed room: optional unit (单元) and room number."""

    unit: int | None
    number: str

    @property
    def label(self) -> str:
        """The canonical form: "3-502" or "502"."""
        return f"{self.unit}-{self.number}" if self.unit else self.number

    @property
    def floor(self) -> int:
        """The floor: all digits but the last two."""
        return int(self.number[:-2])


# Hyphen-like characters people type on phones; NFKC already maps the full-width ones.
_DASHES = "‐‑‒–—―−"
_ROOM = re.compile(
    r"(?:(?P<unit>0*[1-9]\d?)\s*(?:单元\s*-?|-|\s)\s*)?(?P<room>[1-9]\d{2,3})\s*(?:室|号)?"
)


def parse_room(text: str) -> Room:
    """Read "502", "3-502", "3单元502", "3-502室" (also full-width); raise InvalidRoom otherwise."""
    raw = (text or "").strip()
    normalised = unicodedata.normalize("NFKC", raw)
    normalised = normalised.translate({ord(d): "-" for d in _DASHES}).strip()
    match = _ROOM.fullmatch(normalised)
    if not match:
        raise InvalidRoom(text=raw[:20])
    unit = match.group("unit")
    return Room(int(unit) if unit else None, match.group("room"))


# -- lookups ----------------------------------------------------------------------------------


async def find_person(session: AsyncSession, tg_user_id: int) -> Person | None:
    """The person with this Telegram id, if Linli knows them."""
    return await session.scalar(select(Person).where(Person.tg_user_id == tg_user_id))


async def ensure_person(
    session: AsyncSession, tg_user_id: int, display_name: str | None, now: datetime
) -> Person:
    """The person with this Telegram id, created on first contact; keeps their name current."""
    person = await find_person(session, tg_user_id)
    if person is None:
        person = Person(
            tg_user_id=tg_user_id,
            display_name=(display_name or "")[:128],
            is_volunteer=False,
            available=True,
            skills=[],
            started_private=False,
            created_at=now,
        )
        try:
            async with session.begin_nested():
                session.add(person)
        except IntegrityError:
            # Two updates from a new person raced; the other transaction created them.
            person = await find_person(session, tg_user_id)
            assert person is not None
    elif display_name and person.display_name != display_name[:128]:
        person.display_name = display_name[:128]
    return person


async def ensure_community(session: AsyncSession, name: str, timezone: str) -> Community:
    """The community of this deployment, created on first use."""
    community = await session.scalar(select(Community).where(Community.name == name))
    if community is None:
        community = Community(name=name, timezone=timezone)
        try:
            async with session.begin_nested():
                session.add(community)
        except IntegrityError:
            community = await session.scalar(select(Community).where(Community.name == name))
            assert community is not None
    return community


async def ensure_building(
    session: AsyncSession, community_id: int, name: str, now: datetime
) -> Building:
    """The community's building with this name, created if new."""
    query = select(Building).where(Building.community_id == community_id, Building.name == name)
    building = await session.scalar(query)
    if building is None:
        building = Building(community_id=community_id, name=name, created_at=now)
        try:
            async with session.begin_nested():
                session.add(building)
        except IntegrityError:
            building = await session.scalar(query)
            assert building is not None
    return building


async def building_of_chat(session: AsyncSession, chat_id: int) -> Building | None:
    """The building a group is bound to, if any."""
    return await session.scalar(
        select(Building)
        .join(GroupChat, GroupChat.building_id == Building.id)
        .where(GroupChat.chat_id == chat_id)
    )


async def bound_building(session: AsyncSession, chat_id: int) -> Building:
    """The building a group is bound to; raise ChatNotBound if none."""
    building = await building_of_chat(session, chat_id)
    if building is None:
        raise ChatNotBound()
    return building


async def find_building(session: AsyncSession, building_id: int) -> Building | None:
    """A building by id (from a deep link or a button)."""
    return await session.get(Building, building_id)


async def buildings_of(session: AsyncSession, community_name: str) -> list[Building]:
    """The community's buildings, by name (for the /start building buttons)."""
    rows = await session.scalars(
        select(Building)
        .join(Community, Community.id == Building.community_id)
        .where(Community.name == community_name)
        .order_by(Building.name, Building.id)
    )
    return list(rows)


async def is_leader(session: AsyncSession, person_id: int, building_id: int) -> bool:
    """True if the person leads the building."""
    found = await session.scalar(
        select(BuildingLeader.id).where(
            BuildingLeader.person_id == person_id, BuildingLeader.building_id == building_id
        )
    )
    return found is not None


async def require_leader(
    session: AsyncSession, person: Person | None, building_id: int, *, is_chat_admin: bool = False
) -> None:
    """Raise NotALeader unless the person leads the building (a chat admin of its group may too)."""
    if is_chat_admin:
        return
    if person is None or not await is_leader(session, person.id, building_id):
        raise NotALeader()


async def may_lead_here(session: AsyncSession, person: Person | None, chat_id: int | None) -> bool:
    """True if the person leads the group's building (or, in private, any building)."""
    if person is None:
        return False
    if chat_id is None:
        return bool(await led_buildings(session, person.id))
    building = await building_of_chat(session, chat_id)
    return building is not None and await is_leader(session, person.id, building.id)


async def led_buildings(session: AsyncSession, person_id: int) -> list[str]:
    """Names of the buildings a person leads."""
    rows = await session.scalars(
        select(Building.name)
        .join(BuildingLeader, BuildingLeader.building_id == Building.id)
        .where(BuildingLeader.person_id == person_id)
        .order_by(Building.name)
    )
    return list(rows)


# -- binding a group ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Binding:
    """What /bind did: bound, already bound there, or waiting for a rebind confirmation."""

    status: Literal["bound", "unchanged", "confirm"]
    building_id: int
    building_name: str
    previous_name: str | None = None


def clean_building_name(text: str) -> str:
    """A building name as stored: single spaces, full-width letters folded; raise Usage if empty."""
    name = " ".join(unicodedata.normalize("NFKC", text or "").split())
    if not name or len(name) > MAX_BUILDING_NAME:
        raise Usage(command="bind")
    return name


async def bind_chat(
    session: AsyncSession,
    *,
    chat_id: int,
    title: str | None,
    building_name: str,
    community_name: str,
    timezone: str,
    binder: Person,
    is_chat_admin: bool,
    now: datetime,
) -> Binding:
    """Bind a group to a building (created if new); moving it elsewhere needs `confirm_rebind`."""
    if not is_chat_admin:
        raise NotChatAdmin()
    name = clean_building_name(building_name)
    community = await ensure_community(session, community_name, timezone)
    # Created even when a rebind still waits for confirmation: the button carries its id.
    building = await ensure_building(session, community.id, name, now)
    chat = await session.get(GroupChat, chat_id)
    if chat is not None and chat.building_id != building.id:
        previous = await session.get(Building, chat.building_id)
        return Binding("confirm", building.id, building.name, previous.name if previous else None)
    return await _bind(session, chat_id, title, building, binder, now)


async def confirm_rebind(
    session: AsyncSession,
    *,
    chat_id: int,
    title: str | None,
    building_id: int,
    binder: Person,
    is_chat_admin: bool,
    now: datetime,
) -> Binding:
    """Move a bound group to another building after the admin confirmed it."""
    if not is_chat_admin:
        raise NotChatAdmin()
    building = await session.get(Building, building_id)
    if building is None:
        raise StaleButton()
    return await _bind(session, chat_id, title, building, binder, now)


async def _bind(
    session: AsyncSession,
    chat_id: int,
    title: str | None,
    building: Building,
    binder: Person,
    now: datetime,
) -> Binding:
    chat = await session.get(GroupChat, chat_id)
    previous_id = chat.building_id if chat is not None else None
    if chat is None:
        chat = GroupChat(chat_id=chat_id, building_id=building.id, bound_at=now, bound_by=binder.id)
        session.add(chat)
    chat.title = (title or "")[:128]
    if previous_id == building.id:
        if await add_leader(session, building.id, binder, appointed_by=binder, now=now):
            # Another admin re-bound the same building: they become a leader, which is logged.
            record_action(
                session,
                actor=binder,
                action="appoint_leader",
                now=now,
                chat_id=chat_id,
                building_id=building.id,
                details={"person_id": binder.id},
            )
        return Binding("unchanged", building.id, building.name)
    chat.building_id, chat.bound_at, chat.bound_by = building.id, now, binder.id
    await add_leader(session, building.id, binder, appointed_by=binder, now=now)
    record_action(
        session,
        actor=binder,
        action="rebind_chat" if previous_id else "bind_chat",
        now=now,
        chat_id=chat_id,
        building_id=building.id,
        details={"previous_building_id": previous_id} if previous_id else {},
    )
    previous = await session.get(Building, previous_id) if previous_id else None
    return Binding("bound", building.id, building.name, previous.name if previous else None)


async def add_leader(
    session: AsyncSession, building_id: int, person: Person, *, appointed_by: Person, now: datetime
) -> bool:
    """Add a leader row without checking authority (callers do); False if already a leader."""
    if await is_leader(session, person.id, building_id):
        return False
    try:
        async with session.begin_nested():
            session.add(
                BuildingLeader(
                    building_id=building_id,
                    person_id=person.id,
                    appointed_at=now,
                    appointed_by=appointed_by.id,
                )
            )
    except IntegrityError:
        return False
    return True


# -- leaders -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LeaderChange:
    """The outcome of /leader or /unleader."""

    name: str
    building_name: str
    changed: bool


async def appoint_leader(
    session: AsyncSession,
    *,
    chat_id: int,
    actor: Person,
    is_chat_admin: bool,
    target_tg_id: int,
    target_name: str | None,
    target_in_chat: bool,
    now: datetime,
) -> LeaderChange:
    """A chat admin or leader makes a group member a leader of the group's building."""
    building = await bound_building(session, chat_id)
    await require_leader(session, actor, building.id, is_chat_admin=is_chat_admin)
    if not target_in_chat:
        raise LeaderTargetInvalid()
    target = await ensure_person(session, target_tg_id, target_name, now)
    changed = await add_leader(session, building.id, target, appointed_by=actor, now=now)
    if changed:
        record_action(
            session,
            actor=actor,
            action="appoint_leader",
            now=now,
            chat_id=chat_id,
            building_id=building.id,
            details={"person_id": target.id},
        )
    return LeaderChange(target.name, building.name, changed)


async def remove_leader(
    session: AsyncSession,
    *,
    chat_id: int,
    actor: Person,
    is_chat_admin: bool,
    target_tg_id: int,
    now: datetime,
) -> LeaderChange:
    """A chat admin or leader removes a leader of the group's building."""
    building = await bound_building(session, chat_id)
    await require_leader(session, actor, building.id, is_chat_admin=is_chat_admin)
    target = await find_person(session, target_tg_id)
    if target is None:
        raise NotALeaderTarget()
    result = await session.execute(
        delete(BuildingLeader).where(
            BuildingLeader.building_id == building.id, BuildingLeader.person_id == target.id
        )
    )
    if not result.rowcount:
        raise NotALeaderTarget()
    record_action(
        session,
        actor=actor,
        action="remove_leader",
        now=now,
        chat_id=chat_id,
        building_id=building.id,
        details={"person_id": target.id},
    )
    return LeaderChange(target.name, building.name, True)


async def leaders_of_chat(session: AsyncSession, chat_id: int) -> tuple[str, list[str]]:
    """The building of a group and its leaders' names."""
    building = await bound_building(session, chat_id)
    rows = await session.scalars(
        select(Person)
        .join(BuildingLeader, BuildingLeader.person_id == Person.id)
        .where(BuildingLeader.building_id == building.id)
        .order_by(BuildingLeader.appointed_at, BuildingLeader.id)
    )
    return building.name, [p.name for p in rows]


# -- households --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Registration:
    """The household a person is registered in."""

    building_id: int
    building_name: str
    label: str
    members: int


async def register_household(
    session: AsyncSession, *, person: Person, building_id: int, room_text: str
) -> Registration:
    """Put the person in the household at `room_text` of the building; members may share one."""
    room = parse_room(room_text)
    building = await session.get(Building, building_id)
    if building is None:
        raise StaleButton()
    unit = str(room.unit) if room.unit else ""
    query = select(Household).where(
        Household.building_id == building_id, Household.unit == unit, Household.room == room.number
    )
    household = await session.scalar(query)
    if household is None:
        household = Household(building_id=building_id, unit=unit, room=room.number)
        try:
            async with session.begin_nested():
                session.add(household)
        except IntegrityError:
            household = await session.scalar(query)
            assert household is not None
    person.household_id = household.id
    await session.flush()
    members = await session.scalar(
        select(func.count(Person.id)).where(Person.household_id == household.id)
    )
    return Registration(building.id, building.name, household.label, int(members or 0))


async def register_in_chat(
    session: AsyncSession, *, chat_id: int, person: Person, room_text: str
) -> Registration:
    """/register in a bound group: the household is in the group's building."""
    if not room_text.strip():
        raise Usage(command="register")
    building = await bound_building(session, chat_id)
    return await register_household(
        session, person=person, building_id=building.id, room_text=room_text
    )


# -- a person's own settings -------------------------------------------------------------------


def choose_language(person: Person, language: str) -> str:
    """Set the person's language; raise Usage for anything but zh/en."""
    code = (language or "").strip().lower()
    if code not in LANGUAGES:
        raise Usage(command="lang")
    person.language = code
    return code


_PHONE_JUNK = re.compile(r"[\s()\-.]")


def record_phone(person: Person, phone: str, contact_user_id: int | None) -> str:
    """Keep the phone number from the person's own shared contact; others' contacts are refused."""
    if contact_user_id != person.tg_user_id:
        raise ForeignContact()
    person.phone = _PHONE_JUNK.sub("", phone)[:24]
    return person.phone


def valid_skills(skills: list[str] | tuple[str, ...]) -> list[str]:
    """Skills in button order; an unknown key means forged or outdated button data."""
    chosen = set(skills)
    if not chosen <= set(SKILLS):
        raise StaleButton()
    return [s for s in SKILLS if s in chosen]


def join_volunteer_pool(person: Person, skills: list[str]) -> list[str]:
    """Make the person an available volunteer with these skills."""
    chosen = valid_skills(skills)
    if not chosen:
        raise NoSkillsChosen()
    person.is_volunteer, person.available, person.skills = True, True, chosen
    return chosen


def leave_volunteer_pool(person: Person | None) -> None:
    """Take the person out of the volunteer pool (their skills are kept for a later return)."""
    if person is None or not person.is_volunteer:
        raise NotAVolunteer()
    person.is_volunteer = False


def require_registered(person: Person | None, building_id: int | None = None) -> Person:
    """Raise NotRegistered (with a deep link to the building, if known) unless in a household."""
    if person is None or person.household_id is None:
        raise NotRegistered(payload=f"b{building_id}" if building_id else "")
    return person


def note_private_start(person: Person) -> None:
    """Remember that the person started the bot, so Linli may now write to them privately."""
    person.started_private = True


def set_availability(person: Person | None, available: bool) -> None:
    """/rest and /back: a volunteer pauses or resumes; only volunteers can."""
    if person is None or not person.is_volunteer:
        raise NotAVolunteer()
    person.available = available


async def forget_person(session: AsyncSession, person_id: int) -> None:
    """Delete a person's personal data; their audit rows, hours and tasks stay, anonymously."""
    person = await session.get(Person, person_id)
    if person is None:
        return
    await session.execute(delete(Conversation).where(Conversation.user_id == person.tg_user_id))
    # Foreign keys do the anonymising (SET NULL) and drop leader roles (CASCADE).
    await session.execute(delete(Person).where(Person.id == person_id))
    session.expunge(person)


# -- profile -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Profile:
    """What /me shows a person about themself (private chat only)."""

    name: str
    building_name: str | None
    household: str | None
    household_size: int
    phone: str | None
    leads: list[str]
    is_volunteer: bool
    available: bool
    skills: list[str]
    minutes_served: int


async def profile_of(session: AsyncSession, person: Person | None) -> Profile:
    """Everything /me shows; raise NotRegistered for someone Linli does not know."""
    if person is None:
        raise NotRegistered()
    household = await session.get(Household, person.household_id) if person.household_id else None
    building = await session.get(Building, household.building_id) if household else None
    size = 0
    if household is not None:
        size = int(
            await session.scalar(
                select(func.count(Person.id)).where(Person.household_id == household.id)
            )
            or 0
        )
    return Profile(
        name=person.name,
        building_name=building.name if building else None,
        household=household.label if household else None,
        household_size=size,
        phone=person.phone,
        leads=await led_buildings(session, person.id),
        is_volunteer=person.is_volunteer,
        available=person.available,
        skills=list(person.skills or []),
        minutes_served=await hours_served(session, person.id),
    )
