"""Reading help requests: whom to ask, the leaders' and volunteers' boards, and escalation.

Escalation is due work in rows: each step (leaders, coordinators, a reminder to the volunteer,
the leaders about an overdue one) is recorded on the task once (`task_escalations`), so a
second tick or a second replica never repeats it, and leaders can see what was done.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.care import CareResident
from models.errors import NotALeader, NotAVolunteer
from models.help_requests import HELP, Help, HelpRequest
from models.matching import Candidate, fits
from models.people import (
    Building,
    BuildingLeader,
    Household,
    Person,
    coordinators,
    is_coordinator,
    leaders_of,
)
from models.tasks import ACTIVE, CLAIMED, OPEN, Task, TaskEscalation, take_escalation_step

BOARD_ROWS = 30  # rows shown on a board; the rest are counted (a message holds 4,096 characters)
CLAIMABLE_ROWS = 10


class Step(StrEnum):
    """An escalation step, in the order they come."""

    LEADERS = "unclaimed_leaders"
    COORDINATORS = "unclaimed_coordinators"
    REMIND = "overdue_volunteer"
    OVERDUE = "overdue_leaders"


@dataclass(frozen=True, slots=True)
class EscalationPolicy:
    """How long a request may wait before its escalation steps (a community setting)."""

    # urgency → (unclaimed this long: tell the leaders, unclaimed this long: the coordinators)
    unclaimed: Mapping[str, tuple[timedelta, timedelta]] = field(
        default_factory=lambda: {
            "urgent": (timedelta(minutes=10), timedelta(minutes=30)),
            "today": (timedelta(hours=2), timedelta(hours=6)),
            "week": (timedelta(hours=24), timedelta(hours=72)),
        }
    )
    # A claimed request past its due time: the volunteer is reminded; this much later, leaders.
    overdue_leaders: timedelta = timedelta(hours=1)

    def due_steps(self, task: Task, urgency: str, now: datetime) -> list[Step]:
        """The steps a task has reached by `now` (taken or not)."""
        steps: list[Step] = []
        if task.status == OPEN:
            leaders, coordinators_after = self.unclaimed[urgency]
            waited = now - task.created_at
            if waited >= leaders:
                steps.append(Step.LEADERS)
            if waited >= coordinators_after:
                steps.append(Step.COORDINATORS)
        elif task.status == CLAIMED and task.due_at is not None and now >= task.due_at:
            steps.append(Step.REMIND)
            if now >= task.due_at + self.overdue_leaders:
                steps.append(Step.OVERDUE)
        return steps


@dataclass(frozen=True, slots=True)
class Escalation:
    """A step just taken, with the people it is for."""

    help: Help
    step: Step
    audience: list[Person]
    record: TaskEscalation


async def take_due_escalations(
    session: AsyncSession, now: datetime, policy: EscalationPolicy
) -> list[Escalation]:
    """Take every escalation step that is due and not yet taken, each exactly once."""
    rows = (
        await session.execute(
            select(HelpRequest, Task)
            .join(Task, Task.id == HelpRequest.task_id)
            .where(Task.kind == HELP, Task.status.in_(ACTIVE))
            .order_by(Task.priority.desc(), Task.id)
        )
    ).all()
    taken: list[Escalation] = []
    for request, task in rows:
        for step in policy.due_steps(task, request.urgency, now):
            record = await take_escalation_step(session, task.id, step, now)
            if record is None:
                continue
            if step in (Step.LEADERS, Step.OVERDUE):
                audience = await leaders_of(session, request.building_id)
            elif step == Step.COORDINATORS:
                audience = await coordinators(session)
            else:
                assignee = await session.get(Person, task.assignee_id) if task.assignee_id else None
                audience = [assignee] if assignee else []
            taken.append(Escalation(Help(request, task), step, audience, record))
    return taken


# -- whom to ask -------------------------------------------------------------------------------


async def not_to_ask(session: AsyncSession, request: HelpRequest) -> set[int]:
    """The asking household's members: nobody is invited to their own request."""
    members = set(
        await session.scalars(select(Person.id).where(Person.household_id == request.household_id))
    )
    return members | ({request.requester_id} if request.requester_id else set())


async def guardians_of(session: AsyncSession, request: HelpRequest) -> list[int]:
    """Volunteers named for a vulnerable resident of the room where the help is needed."""
    rows = await session.scalars(
        select(CareResident.volunteer_id).where(
            CareResident.building_id == request.building_id,
            CareResident.unit == request.unit,
            CareResident.room == request.room,
            CareResident.volunteer_id.is_not(None),
        )
    )
    return sorted({pid for pid in rows if pid is not None})


async def volunteer_candidates(session: AsyncSession) -> list[Candidate]:
    """Every volunteer of the community with their building and open-task load."""
    load = (
        select(Task.assignee_id, func.count(Task.id).label("n"))
        .where(Task.status == CLAIMED)
        .group_by(Task.assignee_id)
        .subquery()
    )
    rows = await session.execute(
        select(
            Person.id,
            Household.building_id,
            Person.skills,
            Person.available,
            Person.started_private,
            func.coalesce(load.c.n, 0),
        )
        .outerjoin(Household, Household.id == Person.household_id)
        .outerjoin(load, load.c.assignee_id == Person.id)
        .where(Person.is_volunteer.is_(True))
    )
    return [
        Candidate(pid, building, frozenset(skills or ()), available, reachable, int(n))
        for pid, building, skills, available, reachable, n in rows.all()
    ]


# -- boards ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BoardRow:
    """One request on a board: never its description (boards are lists, details are private)."""

    help: Help
    building: str
    assignee: str | None
    overdue: bool
    escalated: bool


@dataclass(frozen=True, slots=True)
class Board:
    """The rows shown and how many more there are."""

    rows: list[BoardRow]
    more: int


async def requests_board(session: AsyncSession, person: Person | None, now: datetime) -> Board:
    """/requests: active help requests of the buildings the person leads, oldest first."""
    if person is None:
        raise NotALeader()
    query = (
        select(HelpRequest, Task, Building.name)
        .join(Task, Task.id == HelpRequest.task_id)
        .join(Building, Building.id == HelpRequest.building_id)
        .where(Task.status.in_(ACTIVE))
    )
    if not await is_coordinator(session, person):
        led = select(BuildingLeader.building_id).where(BuildingLeader.person_id == person.id)
        if not (await session.scalars(led)).first():
            raise NotALeader()
        query = query.where(HelpRequest.building_id.in_(led))
    rows = (await session.execute(query.order_by(Task.created_at, Task.id))).all()
    escalated = set(
        await session.scalars(
            select(TaskEscalation.task_id).where(
                TaskEscalation.task_id.in_([task.id for _, task, _ in rows])
            )
        )
    )
    shown = []
    for request, task, building in rows[:BOARD_ROWS]:
        assignee = await session.get(Person, task.assignee_id) if task.assignee_id else None
        overdue = task.status == CLAIMED and task.due_at is not None and task.due_at <= now
        shown.append(
            BoardRow(
                Help(request, task),
                building,
                assignee.name if assignee else None,
                overdue,
                task.id in escalated,
            )
        )
    return Board(shown, max(0, len(rows) - BOARD_ROWS))


@dataclass(frozen=True, slots=True)
class VolunteerBoard:
    """/mytasks: the volunteer's own requests and the ones they could take."""

    mine: list[Help]
    claimable: list[Help]
    more: int


async def volunteer_board(session: AsyncSession, volunteer: Person | None) -> VolunteerBoard:
    """The volunteer's requests, then open ones that fit their skills (own building first)."""
    if volunteer is None or not volunteer.is_volunteer:
        raise NotAVolunteer()
    rows = (
        await session.execute(
            select(HelpRequest, Task)
            .join(Task, Task.id == HelpRequest.task_id)
            .where(Task.status.in_(ACTIVE))
            .order_by(Task.priority.desc(), Task.created_at, Task.id)
        )
    ).all()
    home = None
    if volunteer.household_id is not None:
        household = await session.get(Household, volunteer.household_id)
        home = household.building_id if household else None
    mine = [Help(r, t) for r, t in rows if t.status == CLAIMED and t.assignee_id == volunteer.id]
    open_ones = [
        Help(r, t)
        for r, t in rows
        if t.status == OPEN
        and fits(r.category, volunteer.skills or ())
        and r.household_id != volunteer.household_id
    ]
    open_ones.sort(key=lambda h: h.request.building_id != home)
    return VolunteerBoard(
        mine[:BOARD_ROWS],
        open_ones[:CLAIMABLE_ROWS],
        max(0, len(open_ones) - CLAIMABLE_ROWS),
    )
