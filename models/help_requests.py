"""Resident help requests (求助): intake, claims, completion, ratings; each one is a task.

The request row keeps what only the claimer and the household may see (the description, the
room, who asked); its `Task` row (kind "help") carries what boards and escalation read: status,
assignee, priority and due time. A request's reference is `H-<id>`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String, Text, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base
from models.errors import (
    BadHelpRef,
    BadMinutes,
    ClaimNeedsPrivateChat,
    DescriptionTooLong,
    EmptyDescription,
    NoSuchHelpRequest,
    NotAVolunteer,
    NotDoneYet,
    NotYourRequest,
    NotYourTask,
    OwnRequest,
    RequestFinished,
    TooManyPhotos,
)
from models.people import Building, Household, Person, parse_room, require_registered
from models.records import record_service
from models.tasks import (
    ACTIVE,
    CANCELLED,
    CLAIMED,
    DONE,
    OPEN,
    Task,
    claim_task,
    close_task,
    open_task,
    reopen_task,
)

HELP = "help"  # the task kind
MAX_DESCRIPTION = 1000
MAX_PHOTOS = 10  # a Telegram album holds at most ten
MAX_MINUTES = 24 * 60
MAX_NOTE = 200


class Category(StrEnum):
    """What kind of help; the order is the order of the wizard's buttons."""

    MEDICINE = "medicine"
    FOOD = "food"
    MEDICAL_VISIT = "medical"
    PSYCH = "psych"
    CARE = "care"
    ERRAND = "errand"
    OTHER = "other"


class Urgency(StrEnum):
    """How soon: now (紧急), today, this week."""

    URGENT = "urgent"
    TODAY = "today"
    WEEK = "week"


class ForWhom(StrEnum):
    """Whom the help is for; a neighbour without a phone is a proxy request with their room."""

    SELF = "self"
    HOUSEHOLD = "household"
    NEIGHBOUR = "neighbour"


PRIORITY = {Urgency.URGENT: 20, Urgency.TODAY: 10, Urgency.WEEK: 0}
# Categories where "urgent" may mean an emergency: the resident is told to call 120 first.
MEDICAL = frozenset({Category.MEDICINE, Category.MEDICAL_VISIT, Category.CARE})


class HelpRequest(Base):
    """One resident's request: the private details behind a help task."""

    __tablename__ = "help_requests"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    task_id: Mapped[int | None] = mapped_column(
        ForeignKey("tasks.id", ondelete="SET NULL"), unique=True
    )
    building_id: Mapped[int] = mapped_column(
        ForeignKey("buildings.id", ondelete="CASCADE"), index=True
    )
    # The household that asked (for a neighbour too: the proxy's household answers for it).
    household_id: Mapped[int | None] = mapped_column(
        ForeignKey("households.id", ondelete="SET NULL"), index=True
    )
    requester_id: Mapped[int | None] = mapped_column(
        ForeignKey("persons.id", ondelete="SET NULL"), index=True
    )
    for_whom: Mapped[str] = mapped_column(String(10))
    # Where the help is needed: the household's room, or the neighbour's.
    unit: Mapped[str] = mapped_column(String(4), default="")
    room: Mapped[str] = mapped_column(String(12))
    category: Mapped[str] = mapped_column(String(12))
    urgency: Mapped[str] = mapped_column(String(8))
    description: Mapped[str] = mapped_column(Text)
    # Later words from the household ("also bread"): [{"at": iso, "text": ...}].
    additions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # Telegram file_ids of photos the household sent (the largest size of each); Linli keeps no
    # image bytes, and a file_id only works for this bot, so it is as private as the words.
    photos: Mapped[list[str]] = mapped_column(JSON, default=list)
    source: Mapped[str] = mapped_column(String(16), default="resident")
    created_at: Mapped[datetime]
    # Bumped when a volunteer releases it: the group card is posted afresh under a new key.
    round: Mapped[int] = mapped_column(default=0)
    card_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    minutes: Mapped[int | None]
    note: Mapped[str | None] = mapped_column(String(MAX_NOTE))
    rating: Mapped[int | None]

    @property
    def ref(self) -> str:
        """How everyone involved names it: H-17."""
        return f"H-{self.id}"


@dataclass(frozen=True, slots=True)
class Help:
    """A request with its task (status, assignee, due time)."""

    request: HelpRequest
    task: Task

    @property
    def ref(self) -> str:
        """H-17."""
        return self.request.ref


# -- references --------------------------------------------------------------------------------

_REF = re.compile(r"#?(?:h\s*-?\s*)?(\d{1,9})", re.IGNORECASE)


def parse_help_ref(text: str) -> int:
    """Read "H-17", "h17", "#17" or "17" (also full-width); raise BadHelpRef otherwise."""
    normalised = unicodedata.normalize("NFKC", text or "").strip()
    match = _REF.fullmatch(normalised)
    if not match:
        raise BadHelpRef(text=text or "")
    return int(match.group(1))


async def load_help(session: AsyncSession, request_id: int) -> Help:
    """The request and its task; raise NoSuchHelpRequest if there is none."""
    request = await session.get(HelpRequest, request_id)
    task = await session.get(Task, request.task_id) if request and request.task_id else None
    if request is None or task is None:
        raise NoSuchHelpRequest(ref=f"H-{request_id}")
    return Help(request, task)


# -- intake ------------------------------------------------------------------------------------


def is_emergency(category: str, urgency: str) -> bool:
    """An urgent medical need: Linli is no ambulance, so the resident hears the hotline first."""
    return urgency == Urgency.URGENT and category in MEDICAL


def clean_description(text: str) -> str:
    """The description as stored: trimmed, 1..MAX_DESCRIPTION characters."""
    cleaned = (text or "").strip()
    if not cleaned:
        raise EmptyDescription()
    if len(cleaned) > MAX_DESCRIPTION:
        raise DescriptionTooLong(length=len(cleaned), limit=MAX_DESCRIPTION)
    return cleaned


def add_photo(photos: Sequence[str], file_id: str) -> list[str]:
    """The request's photos with one more (sent twice, kept once); at most MAX_PHOTOS."""
    if file_id in photos:
        return list(photos)
    if len(photos) >= MAX_PHOTOS:
        raise TooManyPhotos(limit=MAX_PHOTOS)
    return [*photos, file_id]


def due_time(urgency: Urgency, now: datetime, tz: ZoneInfo) -> datetime:
    """When a claimed request should be done: urgent 2 h, today by midnight (≥ 4 h), a week."""
    if urgency == Urgency.URGENT:
        return now + timedelta(hours=2)
    if urgency == Urgency.TODAY:
        local = now.astimezone(tz)
        midnight = datetime.combine(local.date() + timedelta(days=1), time(0), tz)
        return max(midnight, now + timedelta(hours=4))
    return now + timedelta(days=7)


async def open_request_of(
    session: AsyncSession, household_id: int | None, category: str
) -> HelpRequest | None:
    """The household's active request of this category, if any (to add to it instead)."""
    if household_id is None:
        return None
    return await session.scalar(
        select(HelpRequest)
        .join(Task, Task.id == HelpRequest.task_id)
        .where(
            HelpRequest.household_id == household_id,
            HelpRequest.category == category,
            Task.status.in_(ACTIVE),
        )
        .order_by(HelpRequest.id.desc())
        .limit(1)
    )


def may_request(person: Person | None) -> Person:
    """Only an approved member of a household may ask on its behalf."""
    return require_registered(person)


async def file_request(
    session: AsyncSession,
    *,
    person: Person | None,
    category: str,
    urgency: str,
    description: str,
    for_whom: str,
    neighbour_room: str | None,
    now: datetime,
    tz: ZoneInfo,
    source: str = "resident",
    photos: Sequence[str] = (),
) -> Help:
    """File a request from the person's household (or for a neighbour's room); opens its task."""
    asker = may_request(person)
    household = await session.get(Household, asker.household_id)
    assert household is not None  # require_registered checked the id
    chosen = Category(category)
    how_soon = Urgency(urgency)
    whom = ForWhom(for_whom)
    unit, room = household.unit, household.room
    if whom == ForWhom.NEIGHBOUR:
        parsed = parse_room(neighbour_room or "")
        unit, room = (str(parsed.unit) if parsed.unit else ""), parsed.number
    request = HelpRequest(
        building_id=household.building_id,
        household_id=household.id,
        requester_id=asker.id,
        for_whom=whom,
        unit=unit,
        room=room,
        category=chosen,
        urgency=how_soon,
        description=clean_description(description),
        additions=[],
        photos=_clean_photos(photos),
        source=source,
        created_at=now,
        round=0,
    )
    session.add(request)
    await session.flush()
    task = await open_task(
        session,
        kind=HELP,
        source_ref=f"help:{request.id}",
        now=now,
        building_id=household.building_id,
        priority=PRIORITY[how_soon],
        due_at=due_time(how_soon, now, tz),
        details={"category": str(chosen), "urgency": str(how_soon), "request": request.id},
    )
    request.task_id = task.id
    return Help(request, task)


def _clean_photos(photos: Sequence[str]) -> list[str]:
    kept: list[str] = []
    for file_id in photos:
        kept = add_photo(kept, file_id)
    return kept


async def add_to_request(
    session: AsyncSession, *, person: Person | None, request_id: int, text: str, now: datetime
) -> Help:
    """Add words to the household's own active request (instead of filing a second one)."""
    asker = may_request(person)
    found = await _households_own(session, asker, request_id)
    _require_active(found)
    found.request.additions = [
        *found.request.additions,
        {"at": now.isoformat(), "text": clean_description(text)},
    ]
    return found


# -- volunteers take, release and finish ---------------------------------------------------------


async def claim_help(
    session: AsyncSession, *, request_id: int, volunteer: Person | None, now: datetime
) -> Help:
    """The first volunteer to tap takes the request; the details then go to them alone."""
    found = await load_help(session, request_id)
    if volunteer is None or not volunteer.is_volunteer:
        raise NotAVolunteer()
    request = found.request
    if volunteer.id == request.requester_id or (
        volunteer.household_id is not None and volunteer.household_id == request.household_id
    ):
        raise OwnRequest(ref=found.ref)
    if not volunteer.started_private:
        # The details can only go privately: no claim without a way to receive them.
        raise ClaimNeedsPrivateChat(ref=found.ref, request_id=request.id)
    if found.task.status not in ACTIVE:
        raise RequestFinished(ref=found.ref, status=found.task.status)
    await claim_task(session, found.task.id, volunteer.id, now)
    return found


async def release_help(session: AsyncSession, *, request_id: int, volunteer: Person | None) -> Help:
    """The claimer gives the request back: it is open again, and its card is posted afresh."""
    found = await claimed_by(session, request_id, volunteer)
    await reopen_task(session, found.task.id)
    found.request.round += 1
    return found


async def finish_help(
    session: AsyncSession,
    *,
    request_id: int,
    volunteer: Person | None,
    minutes_text: str,
    note: str,
    now: datetime,
) -> Help:
    """The claimer marks it done with the minutes served; the minutes become a service record."""
    found = await claimed_by(session, request_id, volunteer)
    assert volunteer is not None
    minutes = parse_minutes(minutes_text)
    await close_task(session, found.task.id, now, status=DONE)
    found.request.minutes = minutes
    found.request.note = (note or "").strip()[:MAX_NOTE] or None
    record_service(
        session,
        person_id=volunteer.id,
        building_id=found.request.building_id,
        kind=HELP,
        source_ref=f"help:{found.request.id}",
        started_at=now - timedelta(minutes=minutes),
        ended_at=now,
    )
    return found


def parse_minutes(text: str) -> int:
    """Minutes served: a whole number from 1 to a day; "90", "90分钟", "1.5h" and "2小时" too."""
    normalised = unicodedata.normalize("NFKC", text or "").strip().lower()
    match = re.fullmatch(r"(\d{1,4}(?:\.\d)?)\s*(h|小时|hours?|min|mins|分钟|分|m)?", normalised)
    if match:
        number, unit = float(match.group(1)), match.group(2) or "min"
        minutes = number * 60 if unit in ("h", "小时", "hour", "hours") else number
        if minutes == int(minutes) and 1 <= minutes <= MAX_MINUTES:
            return int(minutes)
    raise BadMinutes(text=text or "", limit=MAX_MINUTES)


# -- the household cancels and rates -----------------------------------------------------------


async def cancel_help(
    session: AsyncSession, *, request_id: int, person: Person | None, now: datetime
) -> tuple[Help, Person | None]:
    """The household withdraws its request; returns it and the volunteer who had taken it."""
    found = await _households_own(session, person, request_id)
    _require_active(found)
    volunteer = (
        await session.get(Person, found.task.assignee_id) if found.task.assignee_id else None
    )
    await close_task(session, found.task.id, now, status=CANCELLED)
    return found, volunteer


async def rate_help(
    session: AsyncSession, *, request_id: int, person: Person | None, stars: int
) -> Help:
    """The household confirms a done request and rates it 1–5 (a later tap changes it)."""
    found = await _households_own(session, person, request_id)
    if found.task.status != DONE:
        raise NotDoneYet(ref=found.ref)
    if not 1 <= stars <= 5:
        raise NoSuchHelpRequest(ref=found.ref)  # only a forged button carries another number
    found.request.rating = stars
    return found


# -- who sees what -----------------------------------------------------------------------------


async def _households_own(session: AsyncSession, person: Person | None, request_id: int) -> Help:
    """The request, if the person belongs to the household that asked (else: no such request)."""
    found = await load_help(session, request_id)
    owner = found.request.household_id
    if person is None or (
        person.id != found.request.requester_id
        and (person.household_id is None or person.household_id != owner)
    ):
        raise NotYourRequest(ref=found.ref)
    return found


async def claimed_by(session: AsyncSession, request_id: int, volunteer: Person | None) -> Help:
    """The request, if `volunteer` holds it now; NotYourTask or RequestFinished otherwise."""
    found = await load_help(session, request_id)
    if found.task.status != CLAIMED:
        if found.task.status in (DONE, CANCELLED):
            raise RequestFinished(ref=found.ref, status=found.task.status)
        raise NotYourTask(ref=found.ref)
    if volunteer is None or found.task.assignee_id != volunteer.id:
        raise NotYourTask(ref=found.ref)
    return found


def _require_active(found: Help) -> None:
    if found.task.status not in ACTIVE:
        raise RequestFinished(ref=found.ref, status=found.task.status)


async def where_of(session: AsyncSession, request: HelpRequest) -> tuple[str, str]:
    """The building's name and the unit ("" if none) for the anonymised card."""
    building = await session.get(Building, request.building_id)
    return (building.name if building else ""), request.unit


def room_label(request: HelpRequest) -> str:
    """The room where help is needed ("3-502"): only ever shown privately."""
    return f"{request.unit}-{request.room}" if request.unit else request.room


STATUSES = (OPEN, CLAIMED, DONE, CANCELLED)


async def forget_requests(session: AsyncSession, person: Person, now: datetime) -> list[Help]:
    """/forgetme: the person's requests lose their words and end; what they took is reopened.

    Returns the requests given back to the volunteers (to be announced again).
    """
    asked = await session.scalars(select(HelpRequest).where(HelpRequest.requester_id == person.id))
    for request in asked:
        request.description, request.additions, request.photos = "", [], []
        task = await session.get(Task, request.task_id) if request.task_id else None
        if task is not None and task.status in ACTIVE:
            await close_task(session, task.id, now, status=CANCELLED)
    taken = await session.execute(
        select(HelpRequest, Task)
        .join(Task, Task.id == HelpRequest.task_id)
        .where(Task.assignee_id == person.id, Task.status == CLAIMED)
    )
    given_back = []
    for request, task in taken.all():
        await reopen_task(session, task.id)
        request.round += 1
        given_back.append(Help(request, task))
    return given_back
