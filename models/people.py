"""The registry: community, buildings, bound group chats, households, persons, leaders."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    bindparam,
    delete,
    func,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, batch_memo, get_or_create, insert_ignoring_duplicates, memo
from models.conversations import Conversation
from models.errors import (
    BindingPending,
    ChatNotBound,
    ForeignContact,
    InvalidRoom,
    NoSkillsChosen,
    NoSuchBuilding,
    NotALeader,
    NotAVolunteer,
    NotRegistered,
    RegistrationPending,
    UnknownLanguage,
    UnknownSkill,
)
from models.languages import LANGUAGES
from models.records import minutes_served

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


class RequestStatus(StrEnum):
    """A bind request: pending until approved, rejected, or withdrawn by a newer one."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


REQUEST_PENDING, REQUEST_APPROVED, REQUEST_REJECTED, REQUEST_WITHDRAWN = RequestStatus


class ChatPurpose(StrEnum):
    """What a bound group is for: the building's residents, or its volunteers (help cards)."""

    RESIDENTS = "residents"
    VOLUNTEERS = "volunteers"


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
    # A name a coordinator has not yet approved stays out of everyone's building list.
    approved: Mapped[bool] = mapped_column(default=True)

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
    # `/bind 3号楼 volunteers`: help cards go to the volunteers' group rather than the residents'.
    purpose: Mapped[str] = mapped_column(String(10), default=ChatPurpose.RESIDENTS)


class Household(Base):
    """A flat (户): building, unit (单元, "" when the building has none) and room."""

    __tablename__ = "households"

    id: Mapped[int] = mapped_column(IntPK, primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id", ondelete="CASCADE"))
    # "" rather than NULL: NULLs never collide in a unique constraint, so "502" could repeat.
    unit: Mapped[str] = mapped_column(String(4), default="")
    room: Mapped[str] = mapped_column(String(6))
    # When its first member registered (None for rows seeded directly): the group's daily
    # "new registrations" card lists households founded today.
    founded_at: Mapped[datetime | None]

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
    # Only approved membership: everything a household sees (orders, codes) follows this id.
    household_id: Mapped[int | None] = mapped_column(
        ForeignKey("households.id", ondelete="SET NULL"), index=True
    )
    # A room asked for but not yet approved by its members (or the building's leaders).
    pending_household_id: Mapped[int | None] = mapped_column(
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


class Coordinator(Base):
    """Someone who runs the whole community: configured (LINLI_COORDINATORS) or appointed."""

    __tablename__ = "coordinators"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    # Configured ones follow the setting: removed from it, they stop being coordinators.
    configured: Mapped[bool] = mapped_column(default=False)
    appointed_at: Mapped[datetime]
    appointed_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"))


class BindRequest(Base):
    """A group asking to join a building that has leaders (or a new building to be approved)."""

    __tablename__ = "bind_requests"

    id: Mapped[int] = mapped_column(IntPK, primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, index=True)
    chat_title: Mapped[str] = mapped_column(String(128), default="")
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id", ondelete="CASCADE"))
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime]
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]
    purpose: Mapped[str] = mapped_column(String(10), default=ChatPurpose.RESIDENTS)


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


# Built once: every update looks its sender up, and building a select costs more than running it.
_WITH_HOUSEHOLD = select(Person, Household).outerjoin(
    Household, Household.id == Person.household_id
)
_PERSON_WITH_HOUSEHOLD = _WITH_HOUSEHOLD.where(Person.tg_user_id == bindparam("tg_user_id"))
_PEOPLE_WITH_HOUSEHOLDS = _WITH_HOUSEHOLD.where(
    Person.tg_user_id.in_(bindparam("tg_user_ids", expanding=True))
)


async def find_person(session: AsyncSession, tg_user_id: int) -> Person | None:
    """The person with this Telegram id, if Linli knows them (with their household, if any)."""
    # The household comes in the same query, kept for the transaction: most updates from a
    # resident check it next, and `session.get(Household, ...)` then needs no statement.
    preloaded = batch_memo(session)
    if ("person", tg_user_id) in preloaded:
        row = preloaded["person", tg_user_id]
    else:
        row = (await session.execute(_PERSON_WITH_HOUSEHOLD, {"tg_user_id": tg_user_id})).first()
    if row is None:
        return None
    if row[1] is not None:
        memo(session)["household", row[1].id] = row[1]
    return row[0]


async def preload_people(session: AsyncSession, tg_user_ids: Collection[int]) -> None:
    """Read the persons behind these Telegram ids (with households) in one statement, for
    `find_person` to answer from while the transaction lasts without a savepoint ending."""
    if not tg_user_ids:
        return
    rows = await session.execute(_PEOPLE_WITH_HOUSEHOLDS, {"tg_user_ids": list(tg_user_ids)})
    found = {person.tg_user_id: (person, household) for person, household in rows}
    batch_memo(session).update(
        {("person", tg_user_id): found.get(tg_user_id) for tg_user_id in tg_user_ids}
    )


async def ensure_person(
    session: AsyncSession, tg_user_id: int, display_name: str | None, now: datetime
) -> Person:
    """The person with this Telegram id, created on first contact; keeps their name current."""
    person = await get_or_create(
        session,
        select(Person).where(Person.tg_user_id == tg_user_id),
        lambda: Person(
            tg_user_id=tg_user_id,
            display_name=(display_name or "")[:128],
            is_volunteer=False,
            available=True,
            skills=[],
            started_private=False,
            created_at=now,
        ),
    )
    if display_name and person.display_name != display_name[:128]:
        person.display_name = display_name[:128]
    return person


async def ensure_community(session: AsyncSession, name: str, timezone: str) -> Community:
    """The community of this deployment, created on first use."""
    return await get_or_create(
        session,
        select(Community).where(Community.name == name),
        lambda: Community(name=name, timezone=timezone),
    )


async def ensure_building(
    session: AsyncSession, community_id: int, name: str, now: datetime
) -> Building:
    """The community's building with this name, created if new."""
    return await get_or_create(
        session,
        select(Building).where(Building.community_id == community_id, Building.name == name),
        lambda: Building(community_id=community_id, name=name, created_at=now),
    )


async def building_of_chat(session: AsyncSession, chat_id: int) -> Building | None:
    """The building a group is bound to, if any (a binding waiting for approval is none)."""
    return await session.scalar(
        select(Building)
        .join(GroupChat, GroupChat.building_id == Building.id)
        .where(GroupChat.chat_id == chat_id)
    )


async def bound_building(session: AsyncSession, chat_id: int) -> Building:
    """The building a group is bound to; raise BindingPending or ChatNotBound if none."""
    building = await building_of_chat(session, chat_id)
    if building is not None:
        return building
    waiting = await session.scalar(
        select(Building.name)
        .join(BindRequest, BindRequest.building_id == Building.id)
        .where(BindRequest.chat_id == chat_id, BindRequest.status == REQUEST_PENDING)
        .order_by(BindRequest.id.desc())
        .limit(1)
    )
    if waiting is not None:
        raise BindingPending(building=waiting)
    raise ChatNotBound()


async def building_chats(session: AsyncSession, building_id: int) -> list[GroupChat]:
    """The building's bound groups: volunteers' groups first, then the longest-bound."""
    rows = await session.scalars(
        select(GroupChat)
        .where(GroupChat.building_id == building_id)
        .order_by(
            (GroupChat.purpose == ChatPurpose.VOLUNTEERS).desc(),
            GroupChat.bound_at,
            GroupChat.chat_id,
        )
    )
    return list(rows)


async def find_building(session: AsyncSession, building_id: int) -> Building | None:
    """An approved building by id (from a deep link or a button)."""
    building = await session.get(Building, building_id)
    return building if building is not None and building.approved else None


async def buildings_of(session: AsyncSession, community_name: str) -> list[Building]:
    """The community's approved buildings, by name (for the /start building buttons)."""
    rows = await session.scalars(
        select(Building)
        .join(Community, Community.id == Building.community_id)
        .where(Community.name == community_name, Building.approved.is_(True))
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


async def is_coordinator(session: AsyncSession, person: Person | None) -> bool:
    """True if the person runs the whole community."""
    if person is None or person.id is None:
        return False
    return await session.get(Coordinator, person.id) is not None


async def require_leader(session: AsyncSession, person: Person | None, building_id: int) -> None:
    """Raise NotALeader unless the person leads the building or is a coordinator."""
    if person is None or person.id is None:
        raise NotALeader()
    if not await is_leader(session, person.id, building_id) and not await is_coordinator(
        session, person
    ):
        raise NotALeader()


async def may_lead_here(session: AsyncSession, person: Person | None, chat_id: int | None) -> bool:
    """True if the person leads the group's building (or, in private, any building)."""
    if person is None or person.id is None:
        return False
    if await is_coordinator(session, person):
        return True
    if chat_id is None:
        return bool(await led_buildings(session, person.id))
    building = await building_of_chat(session, chat_id)
    return building is not None and await is_leader(session, person.id, building.id)


async def buildings_in_charge(session: AsyncSession, actor: Person | None) -> list[Building]:
    """The buildings the person may act for: all approved ones for a coordinator."""
    if actor is None or actor.id is None:
        return []
    query = select(Building).where(Building.approved.is_(True))
    if not await is_coordinator(session, actor):
        led = select(BuildingLeader.building_id).where(BuildingLeader.person_id == actor.id)
        query = query.where(Building.id.in_(led))
    return list(await session.scalars(query.order_by(Building.name, Building.id)))


async def led_buildings(session: AsyncSession, person_id: int) -> list[str]:
    """Names of the buildings a person leads."""
    rows = await session.scalars(
        select(Building.name)
        .join(BuildingLeader, BuildingLeader.building_id == Building.id)
        .where(BuildingLeader.person_id == person_id)
        .order_by(Building.name)
    )
    return list(rows)


async def leaders_of(session: AsyncSession, building_id: int) -> list[Person]:
    """The building's leaders, longest-serving first."""
    rows = await session.scalars(
        select(Person)
        .join(BuildingLeader, BuildingLeader.person_id == Person.id)
        .where(BuildingLeader.building_id == building_id)
        .order_by(BuildingLeader.appointed_at, BuildingLeader.id)
    )
    return list(rows)


async def coordinators(session: AsyncSession) -> list[Person]:
    """Everyone who runs the community."""
    rows = await session.scalars(
        select(Person)
        .join(Coordinator, Coordinator.person_id == Person.id)
        .order_by(Coordinator.appointed_at, Person.id)
    )
    return list(rows)


async def add_leader(
    session: AsyncSession, building_id: int, person: Person, *, appointed_by: Person, now: datetime
) -> bool:
    """Add a leader row without checking authority (callers do); False if already a leader."""
    result = await session.execute(
        insert_ignoring_duplicates(session, BuildingLeader).values(
            building_id=building_id,
            person_id=person.id,
            appointed_at=now,
            appointed_by=appointed_by.id,
        )
    )
    return bool(result.rowcount)


# -- households --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Registration:
    """The household a person is registered in."""

    building_id: int
    building_name: str
    label: str
    members: int


async def register_household(
    session: AsyncSession,
    *,
    person: Person,
    building_id: int,
    room_text: str,
    now: datetime | None = None,
) -> Registration:
    """Put the person in the household at `room_text`, unchecked (seeding; approved joins)."""
    room = parse_room(room_text)
    building = await session.get(Building, building_id)
    if building is None:
        raise NoSuchBuilding()
    unit = str(room.unit) if room.unit else ""
    household = await get_or_create(
        session,
        select(Household).where(
            Household.building_id == building_id,
            Household.unit == unit,
            Household.room == room.number,
        ),
        lambda: Household(building_id=building_id, unit=unit, room=room.number, founded_at=now),
    )
    person.household_id, person.pending_household_id = household.id, None
    await session.flush()
    members = await session.scalar(
        select(func.count(Person.id)).where(Person.household_id == household.id)
    )
    return Registration(building.id, building.name, household.label, int(members or 0))


# -- a person's own settings -------------------------------------------------------------------


def choose_language(person: Person, language: str) -> str:
    """Set the person's language; raise UnknownLanguage for anything but zh/en."""
    code = (language or "").strip().lower()
    if code not in LANGUAGES:
        raise UnknownLanguage(code=language or "")
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
    """Skills in their canonical order; raise UnknownSkill for a skill Linli does not know."""
    chosen = set(skills)
    if not chosen <= set(SKILLS):
        raise UnknownSkill(skills=sorted(chosen - set(SKILLS)))
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
    if person is not None and person.household_id is None and person.pending_household_id:
        raise RegistrationPending()
    if person is None or person.household_id is None:
        raise NotRegistered(building_id=building_id)
    return person


def note_private_start(person: Person) -> None:
    """Remember that the person started the bot, so Linli may now write to them privately."""
    person.started_private = True


async def mark_unreachable(session: AsyncSession, tg_user_id: int) -> None:
    """Telegram refused a private message (never started, or blocked): stop counting on it."""
    person = await find_person(session, tg_user_id)
    if person is not None:
        person.started_private = False


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
    batch_memo(session).pop(("person", person.tg_user_id), None)


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
        minutes_served=await minutes_served(session, person.id),
    )
