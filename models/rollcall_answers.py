"""Answers to a rollcall run, and what they feed into the one task table.

One answer per subject and run: a household (any approved member answers for it), a volunteer,
or a vulnerable resident (answered by their volunteer). An answer may change until the run
closes. "Need help" files a help request (source "rollcall") that enters the help dispatch; a
vulnerable resident who needs help or could not be reached becomes an urgent task; a household
silent two closed runs in a row becomes a follow-up task for the building's volunteers.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    exists,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, insert_ignoring_duplicates
from models.care import CareResident
from models.errors import NotInRollcall, RegistrationPending, RollcallClosed, TaskClosed
from models.help_requests import Help, file_request, load_help, open_request_of
from models.people import Household, Person, is_coordinator, is_leader
from models.rollcall_spec import Audience
from models.rollcalls import Due, Rollcall, RollcallRun, RunStatus, due_rollcall_steps, load_run
from models.tasks import ACTIVE, CANCELLED, OPEN, Task, claim_task, close_task, open_task

IntPK = BigInteger().with_variant(Integer, "sqlite")
FOLLOWUP = "rollcall_followup"  # task kinds
CARE_CHECK = "care_check"
URGENT_PRIORITY = 30  # above an urgent help request (20): nobody has seen this person
CARE_HELP_PRIORITY = 20
FOLLOWUP_PRIORITY = 5
# What each audience may answer; the first is the all-clear.
ANSWERS = {
    Audience.HOUSEHOLDS: ("well", "help"),
    Audience.VOLUNTEERS: ("duty", "off"),
    Audience.CARE: ("ok", "help", "unreachable"),
}


class RollcallAnswer(Base):
    """One subject's answer in a run: `h:<household>`, `p:<person>` or `c:<care resident>`."""

    __tablename__ = "rollcall_answers"

    id: Mapped[int] = mapped_column(IntPK, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("rollcall_runs.id", ondelete="CASCADE"))
    subject: Mapped[str] = mapped_column(String(24))
    answer: Mapped[str] = mapped_column(String(12))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"))
    at: Mapped[datetime]
    # The help request or care task this answer opened, so changing it back and forth opens one.
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id", ondelete="SET NULL"))

    # One answer per household (or volunteer, or resident) and run, however many members tap.
    __table_args__ = (UniqueConstraint("run_id", "subject"),)


@dataclass(frozen=True, slots=True)
class Answered:
    """An answer taken: the run, what it was before, and a help request it filed (if any)."""

    run: RollcallRun
    rollcall: Rollcall
    answer: str
    previous: str | None
    filed: Help | None = None
    label: str = ""  # the household's room, or the resident's


@dataclass(frozen=True, slots=True)
class CareAnswered:
    """A volunteer's answer about a resident, and the urgent task it opened (if any)."""

    run: RollcallRun
    rollcall: Rollcall
    resident: CareResident
    answer: str
    previous: str | None
    task: Task | None
    volunteer: Person


@dataclass(frozen=True, slots=True)
class Tally:
    """How many of whom answered what: all a group card may show."""

    expected: int
    counts: dict[str, int]

    @property
    def answered(self) -> int:
        """How many answered at all."""
        return sum(self.counts.values())


@dataclass(slots=True)
class Report:
    """What the building's leaders hear at close: coverage, who is silent, who needs help."""

    tally: Tally
    silent: list[str] = field(default_factory=list)  # rooms, names or residents
    help: list[str] = field(default_factory=list)  # rooms (with H-refs) or residents
    unreachable: list[str] = field(default_factory=list)  # care: residents nobody reached
    followups: list[tuple[int, str]] = field(default_factory=list)  # (task id, room)
    volunteers_unreached: int = 0  # care: volunteers Linli could not write to

    @property
    def coverage(self) -> int:
        """Answered, as a whole percentage of those asked."""
        t = self.tally
        return round(100 * t.answered / t.expected) if t.expected else 100


# -- who is asked ------------------------------------------------------------------------------


async def households_asked(session: AsyncSession, building_id: int) -> list[Household]:
    """The building's households with at least one approved member, by room."""
    member = exists().where(Person.household_id == Household.id)
    rows = await session.scalars(
        select(Household)
        .where(Household.building_id == building_id, member)
        .order_by(Household.unit, Household.room)
    )
    return list(rows)


async def volunteers_asked(session: AsyncSession, building_id: int) -> list[Person]:
    """The building's volunteers (those whose household is in it)."""
    rows = await session.scalars(
        select(Person)
        .join(Household, Household.id == Person.household_id)
        .where(Household.building_id == building_id, Person.is_volunteer.is_(True))
        .order_by(Person.id)
    )
    return list(rows)


async def residents_asked(session: AsyncSession, building_id: int) -> list[CareResident]:
    """The building's vulnerable residents who have a volunteer."""
    rows = await session.scalars(
        select(CareResident)
        .where(CareResident.building_id == building_id, CareResident.volunteer_id.is_not(None))
        .order_by(CareResident.unit, CareResident.room, CareResident.id)
    )
    return list(rows)


async def _subjects(session: AsyncSession, rollcall: Rollcall) -> dict[str, str]:
    """Subject key → how the leaders' report names it."""
    if rollcall.audience == Audience.VOLUNTEERS:
        return {f"p:{p.id}": p.name for p in await volunteers_asked(session, rollcall.building_id)}
    if rollcall.audience == Audience.CARE:
        residents = await residents_asked(session, rollcall.building_id)
        return {f"c:{r.id}": f"{r.label} {r.name}" for r in residents}
    return {f"h:{h.id}": h.label for h in await households_asked(session, rollcall.building_id)}


async def _answers(session: AsyncSession, run_id: int) -> dict[str, RollcallAnswer]:
    rows = await session.scalars(select(RollcallAnswer).where(RollcallAnswer.run_id == run_id))
    return {a.subject: a for a in rows}


async def tally(session: AsyncSession, run: RollcallRun, rollcall: Rollcall) -> Tally:
    """Answered X of Y, by answer (a closed run: as it stood at close)."""
    answers = await _answers(session, run.id)
    if run.status == RunStatus.CLOSED:
        return Tally(run.expected, dict(Counter(a.answer for a in answers.values())))
    subjects = await _subjects(session, rollcall)
    counted = Counter(a.answer for s, a in answers.items() if s in subjects)
    return Tally(len(subjects), dict(counted))


# -- answering ---------------------------------------------------------------------------------


async def _open_run(
    session: AsyncSession, run_id: int, now: datetime
) -> tuple[RollcallRun, Rollcall]:
    run, rollcall = await load_run(session, run_id)
    if run.status != RunStatus.OPEN or now >= run.closes_at:
        raise RollcallClosed(closed_at=run.closes_at)
    return run, rollcall


async def _record(
    session: AsyncSession, run_id: int, subject: str, answer: str, person: Person, now: datetime
) -> RollcallAnswer | None:
    """Insert or change the subject's answer; returns the row as it was before (None: new)."""
    before = await session.scalar(
        select(RollcallAnswer).where(
            RollcallAnswer.run_id == run_id, RollcallAnswer.subject == subject
        )
    )
    previous = (before.answer, before.task_id) if before is not None else None
    result = await session.execute(
        insert_ignoring_duplicates(session, RollcallAnswer).values(
            run_id=run_id, subject=subject, answer=answer, person_id=person.id, at=now
        )
    )
    if not result.rowcount:
        await session.execute(
            update(RollcallAnswer)
            .where(RollcallAnswer.run_id == run_id, RollcallAnswer.subject == subject)
            .values(answer=answer, person_id=person.id, at=now)
            .execution_options(synchronize_session=False)
        )
    if previous is None:
        return None
    return RollcallAnswer(answer=previous[0], task_id=previous[1])


async def answer_rollcall(
    session: AsyncSession,
    *,
    run_id: int,
    person: Person | None,
    answer: str,
    now: datetime,
    tz: ZoneInfo,
    help_description: str,
) -> Answered:
    """A household member (or a volunteer) answers; "help" files a help request once per run."""
    run, rollcall = await _open_run(session, run_id, now)
    audience = Audience(rollcall.audience)
    if audience == Audience.CARE or answer not in ANSWERS[audience]:
        raise NotInRollcall()
    if person is not None and person.household_id is None and person.pending_household_id:
        raise RegistrationPending()
    household = (
        await session.get(Household, person.household_id)
        if person and person.household_id
        else None
    )
    if person is None or household is None or household.building_id != rollcall.building_id:
        raise NotInRollcall()
    if audience == Audience.VOLUNTEERS and not person.is_volunteer:
        raise NotInRollcall()
    subject = f"p:{person.id}" if audience == Audience.VOLUNTEERS else f"h:{household.id}"
    before = await _record(session, run.id, subject, answer, person, now)
    filed = None
    if answer == "help" and (before is None or before.task_id is None):
        filed = await _file_help(session, person, household.id, help_description, now, tz)
        await session.execute(
            update(RollcallAnswer)
            .where(RollcallAnswer.run_id == run.id, RollcallAnswer.subject == subject)
            .values(task_id=filed.task.id)
            .execution_options(synchronize_session=False)
        )
    return Answered(
        run, rollcall, answer, before.answer if before else None, filed, household.label
    )


async def _file_help(
    session: AsyncSession,
    person: Person,
    household_id: int,
    description: str,
    now: datetime,
    tz: ZoneInfo,
) -> Help:
    # A household that already asked for help has its request taken up, not a second one.
    active = await open_request_of(session, household_id, "other")
    if active is not None:
        return await load_help(session, active.id)
    return await file_request(
        session,
        person=person,
        category="other",
        urgency="today",
        description=description,
        for_whom="household",
        neighbour_room=None,
        now=now,
        tz=tz,
        source="rollcall",
    )


async def answer_care(
    session: AsyncSession,
    *,
    run_id: int,
    care_id: int,
    person: Person | None,
    answer: str,
    now: datetime,
) -> CareAnswered:
    """A volunteer answers for a resident they look after; trouble opens an urgent task."""
    run, rollcall = await _open_run(session, run_id, now)
    resident = await session.get(CareResident, care_id)
    if (
        rollcall.audience != Audience.CARE
        or answer not in ANSWERS[Audience.CARE]
        or person is None
        or resident is None
        or resident.building_id != rollcall.building_id
        or resident.volunteer_id != person.id
    ):
        raise NotInRollcall()
    before = await _record(session, run.id, f"c:{care_id}", answer, person, now)
    task = None
    if answer != "ok":
        task = await open_task(
            session,
            kind=CARE_CHECK,
            source_ref=f"rollcall:{run.id}:c:{care_id}",
            now=now,
            building_id=rollcall.building_id,
            priority=URGENT_PRIORITY if answer == "unreachable" else CARE_HELP_PRIORITY,
            due_at=now + timedelta(hours=1),
            details={"care": care_id, "run": run.id, "answer": answer},
        )
        if task.status not in ACTIVE:
            # Put right as "fine", then wrong again: the same task comes back, not a second one.
            task.status, task.closed_at = OPEN, None
        task.priority = URGENT_PRIORITY if answer == "unreachable" else CARE_HELP_PRIORITY
        task.details = {**task.details, "answer": answer}
        await _set_task(session, run.id, f"c:{care_id}", task.id)
    elif before is not None and before.task_id is not None:
        # A mistaken tap put right: the resident is fine after all.
        with contextlib.suppress(TaskClosed):
            await close_task(session, before.task_id, now, status=CANCELLED)
    return CareAnswered(
        run, rollcall, resident, answer, before.answer if before else None, task, person
    )


async def _set_task(session: AsyncSession, run_id: int, subject: str, task_id: int) -> None:
    await session.execute(
        update(RollcallAnswer)
        .where(RollcallAnswer.run_id == run_id, RollcallAnswer.subject == subject)
        .values(task_id=task_id)
        .execution_options(synchronize_session=False)
    )


# -- the clock's part --------------------------------------------------------------------------


async def care_rounds(
    session: AsyncSession, rollcall: Rollcall
) -> list[tuple[Person, list[CareResident]]]:
    """Each paired volunteer of the building with the residents they look after."""
    rounds: dict[int, list[CareResident]] = {}
    for resident in await residents_asked(session, rollcall.building_id):
        assert resident.volunteer_id is not None
        rounds.setdefault(resident.volunteer_id, []).append(resident)
    found = []
    for person_id, residents in rounds.items():
        volunteer = await session.get(Person, person_id)
        if volunteer is not None:
            found.append((volunteer, residents))
    return found


async def silent_people(
    session: AsyncSession, run: RollcallRun, rollcall: Rollcall
) -> list[Person]:
    """Whom the reminder is for: members of silent households, silent volunteers, or the
    volunteers of residents not yet checked."""
    answers = await _answers(session, run.id)
    if rollcall.audience == Audience.VOLUNTEERS:
        return [
            p
            for p in await volunteers_asked(session, rollcall.building_id)
            if f"p:{p.id}" not in answers
        ]
    if rollcall.audience == Audience.CARE:
        return [
            volunteer
            for volunteer, residents in await care_rounds(session, rollcall)
            if any(f"c:{r.id}" not in answers for r in residents)
        ]
    silent = [
        h.id
        for h in await households_asked(session, rollcall.building_id)
        if f"h:{h.id}" not in answers
    ]
    if not silent:
        return []
    rows = await session.scalars(
        select(Person).where(Person.household_id.in_(silent)).order_by(Person.id)
    )
    return list(rows)


async def close_report(
    session: AsyncSession, run: RollcallRun, rollcall: Rollcall, now: datetime
) -> Report:
    """At close: freeze the tally, open follow-ups for households silent twice, and report."""
    subjects = await _subjects(session, rollcall)
    answers = await _answers(session, run.id)
    counted = Counter(a.answer for s, a in answers.items() if s in subjects)
    run.expected = len(subjects)
    run.answered = sum(counted.values())
    report = Report(Tally(run.expected, dict(counted)))
    report.silent = [name for s, name in subjects.items() if s not in answers]
    for subject, row in answers.items():
        if subject not in subjects:
            continue
        if row.answer == "help":
            ref = await _help_ref(session, row.task_id)
            report.help.append(f"{subjects[subject]}{f' {ref}' if ref else ''}")
        elif row.answer == "off":
            report.help.append(subjects[subject])
        elif row.answer == "unreachable":
            report.unreachable.append(subjects[subject])
    if rollcall.audience == Audience.HOUSEHOLDS:
        report.followups = await _followups(session, run, rollcall, subjects, answers, now)
    if rollcall.audience == Audience.CARE:
        report.volunteers_unreached = sum(
            1 for v, _ in await care_rounds(session, rollcall) if not v.started_private
        )
    return report


async def _help_ref(session: AsyncSession, task_id: int | None) -> str | None:
    task = await session.get(Task, task_id) if task_id else None
    if task is None or task.kind != "help":
        return None
    return f"H-{task.details.get('request')}"


async def _followups(
    session: AsyncSession,
    run: RollcallRun,
    rollcall: Rollcall,
    subjects: dict[str, str],
    answers: dict[str, RollcallAnswer],
    now: datetime,
) -> list[tuple[int, str]]:
    """Households silent in this run and the rollcall's previous closed run."""
    previous = await session.scalar(
        select(RollcallRun)
        .where(
            RollcallRun.rollcall_id == rollcall.id,
            RollcallRun.status == RunStatus.CLOSED,
            RollcallRun.day < run.day,
        )
        .order_by(RollcallRun.day.desc())
        .limit(1)
    )
    if previous is None:
        return []
    before = await _answers(session, previous.id)
    opened = []
    for subject, label in subjects.items():
        if subject in answers or subject in before:
            continue
        household = await session.get(Household, int(subject[2:]))
        if household is None or (household.founded_at and household.founded_at > previous.opens_at):
            continue  # not yet there to be asked last time
        task = await open_task(
            session,
            kind=FOLLOWUP,
            source_ref=f"rollcall:{run.id}:{subject}",
            now=now,
            building_id=rollcall.building_id,
            priority=FOLLOWUP_PRIORITY,
            due_at=now + timedelta(hours=4),
            details={"household": household.id, "rollcall": rollcall.id, "run": run.id},
        )
        opened.append((task.id, label))
    return opened


async def followup_volunteers(session: AsyncSession, building_id: int) -> list[Person]:
    """Who may take a follow-up: the building's volunteers who are not resting."""
    return [p for p in await volunteers_asked(session, building_id) if p.available]


async def claim_followup(
    session: AsyncSession, *, task_id: int, person: Person | None, now: datetime
) -> tuple[Task, str]:
    """A volunteer (or leader) of the building takes a follow-up; the first tap wins."""
    task = await session.get(Task, task_id)
    if task is None or task.kind != FOLLOWUP or task.building_id is None or person is None:
        raise NotInRollcall()
    household = await session.get(Household, person.household_id) if person.household_id else None
    own = (
        person.is_volunteer and household is not None and household.building_id == task.building_id
    )
    leads = await is_leader(session, person.id, task.building_id) or await is_coordinator(
        session, person
    )
    if not (own or leads):
        raise NotInRollcall()
    if task.status not in ACTIVE:
        raise TaskClosed(task_id=task.id)
    await claim_task(session, task.id, person.id, now)
    target = await session.get(Household, task.details.get("household"))
    return task, target.label if target else ""


async def rollcall_steps(
    session: AsyncSession, now: datetime, tz: ZoneInfo
) -> list[tuple[Due, Report | None]]:
    """Take the due steps of every run; a close also freezes its tally and opens follow-ups."""
    taken = []
    for due in await due_rollcall_steps(session, now, tz):
        report = (
            await close_report(session, due.run, due.rollcall, now) if due.step == "close" else None
        )
        taken.append((due, report))
    return taken
