"""The shared board (/tasks): one query over the one task table, for leaders and volunteers.

Leaders see their buildings' active tasks of every kind (a coordinator sees them all);
volunteers see their own and the ones they may take in their building. Filters narrow by
assignee, lateness or kind; pages keep each message far below Telegram's 4,096 characters.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.errors import NotAVolunteer, NotYourTask, UnknownTaskFilter
from models.people import (
    BuildingLeader,
    Household,
    Person,
    is_coordinator,
)
from models.tasks import ACTIVE, CLAIMED, DONE, OPEN, Task, claim_task, close_task

PAGE_SIZE = 12
# Kinds as people filter them, and the stored kinds behind each word.
KINDS: dict[str, tuple[str, ...]] = {
    "help": ("help",),
    "shift": ("shift_slot",),
    "care": ("care_gap", "care_check"),
    "followup": ("rollcall_followup",),
    "pickup": ("pickup",),
}
_WORDS = {
    "all": "all",
    "全部": "all",
    "mine": "mine",
    "我的": "mine",
    "overdue": "overdue",
    "late": "overdue",
    "超时": "overdue",
    "逾期": "overdue",
    "求助": "help",
    "排班": "shift",
    "班次": "shift",
    "shifts": "shift",
    "重点": "care",
    "关爱": "care",
    "跟进": "followup",
    "follow-up": "followup",
    "取货": "pickup",
    "pickups": "pickup",
    **{kind: kind for kind in KINDS},
}
# What a volunteer may take from the board (others are taken where they live: help requests
# and shift slots through their own buttons, care gaps by a leader's pairing).
VOLUNTEER_KINDS = ("help", "shift_slot", "rollcall_followup")
GENERIC_CLAIMS = ("rollcall_followup",)
# The detail that names each kind's own row, for a short reference (H-17, S-12, C-3).
_REFS = {
    "help": ("request", "H"),
    "shift_slot": ("shift", "S"),
    "care_gap": ("care_id", "C"),
    "care_check": ("care", "C"),
}


def parse_task_filter(text: str) -> str:
    """ "mine", "overdue", a kind ("help", "排班"...) or "all" (empty); UnknownTaskFilter else."""
    word = unicodedata.normalize("NFKC", text or "").strip().lower()
    if not word:
        return "all"
    found = _WORDS.get(word)
    if found is None:
        raise UnknownTaskFilter(text=word[:20], choices=tuple(["mine", "overdue", *KINDS]))
    return found


@dataclass(frozen=True, slots=True)
class TaskRow:
    """A task as the board lists it: no personal details, only references and standing."""

    task: Task
    ref: str
    assignee: str | None
    overdue: bool
    mine: bool


@dataclass(frozen=True, slots=True)
class TaskPage:
    """One page of the board."""

    rows: list[TaskRow]
    page: int
    pages: int
    total: int
    leader: bool
    filter: str


def task_ref(task: Task) -> str:
    """H-17 for a help request, S-12 for a shift slot, C-3 for a care gap, #id otherwise."""
    key, letter = _REFS.get(task.kind, ("", ""))
    value = task.details.get(key) if key else None
    return f"{letter}-{value}" if value is not None else f"#{task.id}"


async def task_board(
    session: AsyncSession,
    person: Person | None,
    *,
    filter: str,
    page: int,
    now: datetime,
) -> TaskPage:
    """One page of the person's board: a leader's buildings, or a volunteer's own and takeable."""
    if person is None:
        raise NotAVolunteer()
    query = select(Task).where(Task.status.in_(ACTIVE))
    leads = await _led(session, person)
    leader = leads is None or bool(leads)
    if leads:
        query = query.where(Task.building_id.in_(leads))
    elif not leader:
        if not person.is_volunteer:
            raise NotAVolunteer()
        home = await _home(session, person)
        query = query.where(
            or_(
                and_(Task.status == CLAIMED, Task.assignee_id == person.id),
                and_(
                    Task.status == OPEN,
                    Task.kind.in_(VOLUNTEER_KINDS),
                    Task.building_id == home,
                ),
            )
        )
    if filter == "mine":
        query = query.where(Task.assignee_id == person.id)
    elif filter == "overdue":
        query = query.where(Task.due_at < now)
    elif filter in KINDS:
        query = query.where(Task.kind.in_(KINDS[filter]))
    total = int(await session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    tasks = await session.scalars(
        query.order_by(Task.priority.desc(), Task.due_at.is_(None), Task.due_at, Task.id)
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    )
    rows = []
    for task in tasks:
        assignee = await session.get(Person, task.assignee_id) if task.assignee_id else None
        rows.append(
            TaskRow(
                task,
                task_ref(task),
                assignee.name if assignee else None,
                task.due_at is not None and task.due_at < now,
                task.assignee_id == person.id,
            )
        )
    return TaskPage(rows, page, pages, total, leader, filter)


async def claim_board_task(
    session: AsyncSession, *, task_id: int, volunteer: Person | None, now: datetime
) -> Task:
    """A volunteer takes a board task of their building (a rollcall follow-up, say)."""
    task = await session.get(Task, task_id)
    if volunteer is None or not volunteer.is_volunteer:
        raise NotAVolunteer()
    if task is None or task.kind not in GENERIC_CLAIMS:
        raise NotYourTask(ref=f"#{task_id}")
    if task.building_id != await _home(session, volunteer):
        raise NotYourTask(ref=f"#{task_id}")
    await claim_task(session, task.id, volunteer.id, now)
    return task


async def finish_board_task(
    session: AsyncSession, *, task_id: int, volunteer: Person | None, now: datetime
) -> Task:
    """The volunteer who took a board task marks it done."""
    task = await session.get(Task, task_id)
    if task is None or volunteer is None or task.assignee_id != volunteer.id:
        raise NotYourTask(ref=f"#{task_id}")
    await close_task(session, task.id, now, status=DONE)
    return task


async def task_place(session: AsyncSession, task: Task) -> str | None:
    """The room a task is about ("3-502"), for whoever holds it; None if it names none."""
    # Pickups name it `household_id`, rollcall follow-ups `household`.
    household_id = task.details.get("household_id", task.details.get("household"))
    household = await session.get(Household, household_id) if household_id else None
    return household.label if household else None


async def _led(session: AsyncSession, person: Person) -> list[int] | None:
    """The buildings the person leads; None for a coordinator (every building)."""
    if await is_coordinator(session, person):
        return None
    rows = await session.scalars(
        select(BuildingLeader.building_id).where(BuildingLeader.person_id == person.id)
    )
    return list(rows)


async def _home(session: AsyncSession, person: Person) -> int | None:
    household = await session.get(Household, person.household_id) if person.household_id else None
    return household.building_id if household else None
