"""Vulnerable residents (重点人群) and their named volunteer, a temporary guardian.

A leader lists a resident (`C-<id>`) with their needs. Until a volunteer from the pool is paired
with them, the resident is an open task of kind "care_gap" in the one task table, so gaps show
wherever open tasks are read; pairing closes the task, unpairing opens it again. Only the
resident's volunteer, the building's leaders and the coordinators may read a name, room, needs
or notes: every function here that returns them checks that itself.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    func,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.audit import record_action
from models.base import Base
from models.errors import (
    BadCareRef,
    CareAlreadyListed,
    CareNeedsVolunteer,
    CareNotPaired,
    CareSyntax,
    CareTextTooLong,
    CareWhichBuilding,
    InvalidRoom,
    NoSuchCareResident,
    NotALeader,
    NotAVolunteer,
    UnknownNeed,
)
from models.people import (
    Building,
    Household,
    Person,
    Room,
    bound_building,
    buildings_in_charge,
    find_person,
    parse_room,
    require_leader,
)
from models.tasks import ACTIVE, DONE, Task, close_task, open_task, reopen_closed_task

CARE_GAP = "care_gap"  # the task kind
MAX_NAME = 64
MAX_NOTES = 500
GAP_PRIORITY = 5  # above routine chores, below an urgent help request (10+)

IntPK = BigInteger().with_variant(Integer, "sqlite")


class Need(StrEnum):
    """Why a resident needs a named volunteer; the order is the order they are shown in."""

    ELDERLY_ALONE = "elderly_alone"
    DISABLED = "disabled"
    CHILD_ALONE = "child_alone"
    CHRONIC = "chronic"
    PREGNANT = "pregnant"
    OTHER = "other"


# What leaders type (Chinese or English, lower-cased after NFKC) → the stored code.
NEED_WORDS: dict[str, Need] = {
    **{word: Need.ELDERLY_ALONE for word in ("独居老人", "独居", "空巢老人", "elderly")},
    **{word: Need.ELDERLY_ALONE for word in ("elderly alone", "elderly living alone")},
    **{word: Need.DISABLED for word in ("残障", "残疾", "残疾人", "disabled", "disability")},
    **{word: Need.CHILD_ALONE for word in ("无人照看儿童", "留守儿童", "儿童", "child")},
    **{word: Need.CHILD_ALONE for word in ("child alone", "child without carer")},
    **{word: Need.CHRONIC for word in ("慢病", "慢性病", "chronic", "chronic illness")},
    **{word: Need.PREGNANT for word in ("孕妇", "怀孕", "pregnant", "pregnancy")},
    **{word: Need.OTHER for word in ("其他", "其它", "other")},
    **{need.value: need for need in Need},
}


class CareResident(Base):
    """A vulnerable resident of a building and the volunteer who looks after them, if any."""

    __tablename__ = "care_residents"

    id: Mapped[int] = mapped_column(IntPK, primary_key=True)
    building_id: Mapped[int] = mapped_column(
        ForeignKey("buildings.id", ondelete="CASCADE"), index=True
    )
    # Set when the room is a registered household; many vulnerable residents never register.
    household_id: Mapped[int | None] = mapped_column(
        ForeignKey("households.id", ondelete="SET NULL")
    )
    unit: Mapped[str] = mapped_column(String(4), default="")
    room: Mapped[str] = mapped_column(String(6))
    name: Mapped[str] = mapped_column(String(MAX_NAME))
    needs: Mapped[list[str]]
    notes: Mapped[str] = mapped_column(String(MAX_NOTES), default="")
    volunteer_id: Mapped[int | None] = mapped_column(
        ForeignKey("persons.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"))
    paired_at: Mapped[datetime | None]
    task_id: Mapped[int | None] = mapped_column(
        ForeignKey("tasks.id", ondelete="SET NULL"), unique=True
    )

    # A double-sent /care add cannot list the same person twice.
    __table_args__ = (UniqueConstraint("building_id", "unit", "room", "name"),)

    @property
    def ref(self) -> str:
        """How leaders and volunteers name them: C-3."""
        return f"C-{self.id}"

    @property
    def label(self) -> str:
        """The room as residents write it: "3-502" or "502"."""
        return Room(int(self.unit) if self.unit else None, self.room).label


# -- reading what leaders type -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CareSpec:
    """A parsed `/care add [building] <room> <name> | <needs> [| notes]`."""

    building: str | None
    room: Room
    name: str
    needs: tuple[str, ...]
    notes: str = ""


_NEED_SEPARATORS = re.compile(r"[,，、;；/]")
_REF = re.compile(r"#?(?:c\s*-?\s*)?(\d{1,9})", re.IGNORECASE)


def parse_care_add(text: str) -> CareSpec:
    """Read `3-502 王奶奶 | 独居老人, 慢病 | notes` (a building's name may come first)."""
    normalised = unicodedata.normalize("NFKC", text or "").strip()
    head, _, rest = normalised.partition("|")
    needs_text, _, notes = rest.partition("|")
    tokens = head.split()
    if not tokens:
        raise CareSyntax(part="room")
    index, room = _find_room(tokens)
    if room is None:
        raise CareSyntax(part="room", text=head.strip())
    name = " ".join(tokens[index + 1 :])
    if not name:
        raise CareSyntax(part="name")
    if len(name) > MAX_NAME:
        raise CareTextTooLong(field="name", length=len(name), limit=MAX_NAME)
    notes = notes.strip()
    if len(notes) > MAX_NOTES:
        raise CareTextTooLong(field="notes", length=len(notes), limit=MAX_NOTES)
    building = " ".join(tokens[:index]) or None
    return CareSpec(building, room, name, parse_needs(needs_text), notes)


def _find_room(tokens: list[str]) -> tuple[int, Room | None]:
    """The first word that reads as a room; the words before it name a building."""
    for index, token in enumerate(tokens):
        try:
            return index, parse_room(token)
        except InvalidRoom:
            continue
    return len(tokens), None


def parse_needs(text: str) -> tuple[str, ...]:
    """`独居老人, 慢病` or `elderly chronic` → the need codes in canonical order."""
    found: set[Need] = set()
    for piece in _NEED_SEPARATORS.split(text or ""):
        phrase = " ".join(piece.lower().split())
        if not phrase:
            continue
        if phrase in NEED_WORDS:
            found.add(NEED_WORDS[phrase])
            continue
        # "独居老人 慢病": words separated by spaces only.
        for word in phrase.split():
            if word not in NEED_WORDS:
                raise UnknownNeed(text=word)
            found.add(NEED_WORDS[word])
    if not found:
        raise CareSyntax(part="needs")
    return tuple(need.value for need in Need if need in found)


def parse_care_ref(text: str) -> int:
    """Read "C-3", "c3", "#3" or "3" (also full-width); raise BadCareRef otherwise."""
    normalised = unicodedata.normalize("NFKC", text or "").strip()
    match = _REF.fullmatch(normalised)
    if not match:
        raise BadCareRef(text=text or "")
    return int(match.group(1))


# -- what callers get back ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CareView:
    """One vulnerable resident as their volunteer or a leader sees them."""

    id: int
    ref: str
    building: str
    room: str
    name: str
    needs: tuple[str, ...]
    notes: str
    volunteer: str | None


@dataclass(frozen=True, slots=True)
class CareBoard:
    """A building's vulnerable residents, those without a volunteer first."""

    building: str
    building_id: int
    residents: list[CareView]

    @property
    def gaps(self) -> int:
        """How many have no volunteer."""
        return sum(1 for r in self.residents if r.volunteer is None)


@dataclass(frozen=True, slots=True)
class CareChange:
    """What /care add, pair or unpair did, with whom to tell and the building's counts."""

    resident: CareView
    building_id: int
    total: int
    gaps: int
    volunteer: Person | None = None  # newly responsible (pair)
    released: Person | None = None  # no longer responsible (unpair, or replaced)
    changed: bool = True


# -- which building ----------------------------------------------------------------------------


async def care_building(
    session: AsyncSession,
    actor: Person | None,
    *,
    chat_id: int | None = None,
    named: str | None = None,
    building_id: int | None = None,
) -> Building:
    """The building a leader's /care command is about, checked against their authority.

    In a bound group: the group's. From a link: its building. In private: the one named, else
    the only one the leader may lead; several (a coordinator's) must be named.
    """
    if chat_id is not None:
        building = await bound_building(session, chat_id)
        await require_leader(session, actor, building.id)
        if named and _clean(named) != building.name:
            raise CareWhichBuilding(choices=[building.name], given=named)
        return building
    if building_id is not None:
        found = await session.get(Building, building_id)
        if found is None:
            raise NotALeader()
        await require_leader(session, actor, found.id)
        return found
    candidates = await buildings_in_charge(session, actor)
    if not candidates:
        raise NotALeader()
    if named:
        matches = [b for b in candidates if b.name == _clean(named)]
        if not matches:
            raise CareWhichBuilding(choices=[b.name for b in candidates], given=named)
        candidates = matches
    if len(candidates) > 1:
        raise CareWhichBuilding(choices=[b.name for b in candidates])
    await require_leader(session, actor, candidates[0].id)
    return candidates[0]


def _clean(name: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", name).split())


# -- the leader's side -------------------------------------------------------------------------


async def add_care_resident(
    session: AsyncSession,
    *,
    actor: Person | None,
    text: str,
    now: datetime,
    chat_id: int | None = None,
) -> CareChange:
    """List a vulnerable resident from `/care add` text; an open care_gap task until paired."""
    # Authority before parsing: a resident hears "leaders only", never how the form reads.
    if chat_id is not None:
        await care_building(session, actor, chat_id=chat_id)
    elif not await buildings_in_charge(session, actor):
        raise NotALeader()
    spec = parse_care_add(text)
    building = await care_building(session, actor, chat_id=chat_id, named=spec.building)
    assert actor is not None  # care_building refused anyone else
    unit = str(spec.room.unit) if spec.room.unit else ""
    existing = await session.scalar(
        select(CareResident).where(
            CareResident.building_id == building.id,
            CareResident.unit == unit,
            CareResident.room == spec.room.number,
            CareResident.name == spec.name,
        )
    )
    if existing is not None:
        raise CareAlreadyListed(ref=existing.ref)
    household_id = await session.scalar(
        select(Household.id).where(
            Household.building_id == building.id,
            Household.unit == unit,
            Household.room == spec.room.number,
        )
    )
    resident = CareResident(
        building_id=building.id,
        household_id=household_id,
        unit=unit,
        room=spec.room.number,
        name=spec.name,
        needs=list(spec.needs),
        notes=spec.notes,
        created_at=now,
        created_by=actor.id,
    )
    session.add(resident)
    await session.flush()
    task = await open_task(
        session,
        kind=CARE_GAP,
        source_ref=f"care:{resident.id}",
        now=now,
        building_id=building.id,
        priority=GAP_PRIORITY,
        details={"care_id": resident.id},
    )
    resident.task_id = task.id
    record_action(
        session,
        actor=actor,
        action="care_add",
        now=now,
        chat_id=chat_id,
        building_id=building.id,
        details={"care_id": resident.id},
    )
    return await _change(session, resident, building)


async def pair_volunteer(
    session: AsyncSession,
    *,
    actor: Person | None,
    care_id: int,
    volunteer_tg_id: int,
    now: datetime,
    chat_id: int | None = None,
) -> CareChange:
    """Make a pool volunteer responsible for the resident; closes (or keeps closed) the gap."""
    resident, building = await _led_resident(session, actor, care_id, chat_id)
    volunteer = await find_person(session, volunteer_tg_id)
    if volunteer is None or not volunteer.is_volunteer:
        raise CareNeedsVolunteer()
    # Conditional updates, so two leaders pairing at once cannot both believe they won.
    first = await session.execute(
        update(CareResident)
        .where(CareResident.id == resident.id, CareResident.volunteer_id.is_(None))
        .values(volunteer_id=volunteer.id, paired_at=now)
        .execution_options(synchronize_session="fetch")
    )
    released: Person | None = None
    if first.rowcount:
        await _close_gap(session, resident.task_id, volunteer.id, now)
    else:
        previous_id = resident.volunteer_id
        if previous_id == volunteer.id:
            return await _change(session, resident, building, volunteer=volunteer, changed=False)
        await session.execute(
            update(CareResident)
            .where(CareResident.id == resident.id, CareResident.volunteer_id == previous_id)
            .values(volunteer_id=volunteer.id, paired_at=now)
            .execution_options(synchronize_session="fetch")
        )
        released = await session.get(Person, previous_id) if previous_id else None
        if resident.task_id is not None:
            await session.execute(
                update(Task).where(Task.id == resident.task_id).values(assignee_id=volunteer.id)
            )
    await session.refresh(resident)
    record_action(
        session,
        actor=actor,
        action="care_pair",
        now=now,
        chat_id=chat_id,
        building_id=building.id,
        details={"care_id": resident.id, "volunteer_id": volunteer.id},
    )
    return await _change(session, resident, building, volunteer=volunteer, released=released)


async def unpair_volunteer(
    session: AsyncSession,
    *,
    actor: Person | None,
    care_id: int,
    now: datetime,
    chat_id: int | None = None,
) -> CareChange:
    """Take the resident's volunteer away; the resident is an open gap again."""
    resident, building = await _led_resident(session, actor, care_id, chat_id)
    previous_id = resident.volunteer_id
    result = await session.execute(
        update(CareResident)
        .where(CareResident.id == resident.id, CareResident.volunteer_id.is_not(None))
        .values(volunteer_id=None, paired_at=None)
        .execution_options(synchronize_session="fetch")
    )
    if not result.rowcount:
        raise CareNotPaired(ref=resident.ref)
    await _reopen_gap(session, resident, now)
    await session.refresh(resident)
    record_action(
        session,
        actor=actor,
        action="care_unpair",
        now=now,
        chat_id=chat_id,
        building_id=building.id,
        details={"care_id": resident.id, "volunteer_id": previous_id},
    )
    released = await session.get(Person, previous_id) if previous_id else None
    return await _change(session, resident, building, released=released)


async def care_board(
    session: AsyncSession,
    actor: Person | None,
    *,
    chat_id: int | None = None,
    named: str | None = None,
    building_id: int | None = None,
) -> CareBoard:
    """A building's vulnerable residents for its leaders, those without a volunteer first."""
    building = await care_building(
        session, actor, chat_id=chat_id, named=named, building_id=building_id
    )
    await _reopen_orphans(session, building.id)
    rows = await session.execute(
        select(CareResident, Person.display_name, Person.tg_user_id)
        .outerjoin(Person, Person.id == CareResident.volunteer_id)
        .where(CareResident.building_id == building.id)
        .order_by(CareResident.volunteer_id.is_not(None), CareResident.id)
    )
    residents = [_view(r, building.name, _volunteer_name(name, tg)) for r, name, tg in rows]
    return CareBoard(building.name, building.id, residents)


# -- the volunteer's side ----------------------------------------------------------------------


async def care_of_volunteer(session: AsyncSession, person: Person | None) -> list[CareView]:
    """The residents this person looks after (a volunteer's /mycare), oldest pairing first."""
    if person is None or person.id is None:
        raise NotAVolunteer()
    rows = await session.execute(
        select(CareResident, Building.name)
        .join(Building, Building.id == CareResident.building_id)
        .where(CareResident.volunteer_id == person.id)
        .order_by(CareResident.paired_at, CareResident.id)
    )
    found = [_view(r, building, person.name) for r, building in rows]
    # Someone who left the pool still sees whom they were responsible for until unpaired.
    if not found and not person.is_volunteer:
        raise NotAVolunteer()
    return found


async def care_for(
    session: AsyncSession, person: Person | None, care_id: int
) -> tuple[CareView, bool]:
    """One resident for their volunteer or a leader (a start link); True if the volunteer."""
    resident = await session.get(CareResident, care_id)
    ref = f"C-{care_id}"
    if resident is None or person is None or person.id is None:
        raise NoSuchCareResident(ref=ref)
    if resident.volunteer_id != person.id:
        try:
            await require_leader(session, person, resident.building_id)
        except NotALeader:
            raise NoSuchCareResident(ref=ref) from None
    building = await session.get(Building, resident.building_id)
    volunteer = await session.get(Person, resident.volunteer_id) if resident.volunteer_id else None
    view = _view(resident, building.name if building else "", volunteer.name if volunteer else None)
    return view, resident.volunteer_id == person.id


# -- helpers -----------------------------------------------------------------------------------


async def _led_resident(
    session: AsyncSession, actor: Person | None, care_id: int, chat_id: int | None
) -> tuple[CareResident, Building]:
    """The resident a leader command names, checked before anything about it is revealed."""
    if chat_id is not None:
        # In a group, only the group's own building's residents exist.
        here = await care_building(session, actor, chat_id=chat_id)
        resident = await session.get(CareResident, care_id)
        if resident is None or resident.building_id != here.id:
            raise NoSuchCareResident(ref=f"C-{care_id}")
        return resident, here
    resident = await session.get(CareResident, care_id)
    if resident is None:
        if not await buildings_in_charge(session, actor):
            raise NotALeader()  # a resident learns nothing, not even which numbers exist
        raise NoSuchCareResident(ref=f"C-{care_id}")
    await require_leader(session, actor, resident.building_id)
    building = await session.get(Building, resident.building_id)
    assert building is not None  # residents cascade with their building
    return resident, building


async def _close_gap(
    session: AsyncSession, task_id: int | None, volunteer_id: int, now: datetime
) -> None:
    """The gap is filled: its task is done, with the volunteer as its assignee."""
    if task_id is None:
        return
    # An orphan's task (its volunteer was forgotten) may still be marked done.
    await reopen_closed_task(session, task_id)
    await session.execute(
        update(Task)
        .where(Task.id == task_id, Task.status.in_(ACTIVE))
        .values(assignee_id=volunteer_id, claimed_at=now)
        .execution_options(synchronize_session="fetch")
    )
    await close_task(session, task_id, now)


async def _reopen_gap(session: AsyncSession, resident: CareResident, now: datetime) -> None:
    """The resident's task is open again (a fresh one if the old task row was deleted)."""
    if resident.task_id is not None and await session.get(Task, resident.task_id) is not None:
        await reopen_closed_task(session, resident.task_id)
        return
    task = await open_task(
        session,
        kind=CARE_GAP,
        source_ref=f"care:{resident.id}",
        now=now,
        building_id=resident.building_id,
        priority=GAP_PRIORITY,
        details={"care_id": resident.id},
    )
    resident.task_id = task.id


async def _reopen_orphans(session: AsyncSession, building_id: int) -> None:
    """A volunteer who asked to be forgotten leaves their residents unpaired (ON DELETE SET
    NULL): their gap tasks, still marked done, open again here."""
    orphans = await session.scalars(
        select(CareResident.task_id)
        .join(Task, Task.id == CareResident.task_id)
        .where(
            CareResident.building_id == building_id,
            CareResident.volunteer_id.is_(None),
            Task.status == DONE,
        )
    )
    for task_id in list(orphans):
        await reopen_closed_task(session, task_id)


async def care_counts(session: AsyncSession, building_id: int) -> tuple[int, int]:
    """(listed, without a volunteer) in a building: all a group may hear."""
    total, gaps = (
        await session.execute(
            select(
                func.count(CareResident.id),
                func.count(CareResident.id).filter(CareResident.volunteer_id.is_(None)),
            ).where(CareResident.building_id == building_id)
        )
    ).one()
    return int(total or 0), int(gaps or 0)


async def _change(
    session: AsyncSession,
    resident: CareResident,
    building: Building,
    *,
    volunteer: Person | None = None,
    released: Person | None = None,
    changed: bool = True,
) -> CareChange:
    total, gaps = await care_counts(session, building.id)
    view = _view(resident, building.name, volunteer.name if volunteer else None)
    return CareChange(view, building.id, total, gaps, volunteer, released, changed)


def _view(resident: CareResident, building: str, volunteer: str | None) -> CareView:
    return CareView(
        id=resident.id,
        ref=resident.ref,
        building=building,
        room=resident.label,
        name=resident.name,
        needs=tuple(resident.needs or ()),
        notes=resident.notes or "",
        volunteer=volunteer,
    )


def _volunteer_name(display_name: str | None, tg_user_id: int | None) -> str | None:
    if tg_user_id is None:
        return None
    return display_name or f"#{tg_user_id}"
