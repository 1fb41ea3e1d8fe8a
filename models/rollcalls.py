"""Rollcalls (点名 · 报平安): definitions, their runs, and the clock that opens and closes them.

A leader schedules a rollcall in a bound group; each occurrence is a `RollcallRun`, created
exactly once per (rollcall, day) by an INSERT that ignores the unique key, so a double tick, a
restart or several replicas never open it twice. A run whose window is still open when Linli
notices it opens late; one whose window passed while Linli was down is recorded as missed.
The reminder (at 80 % of the window) and the close are conditional UPDATEs: taken once.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    ForeignKey,
    Index,
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
from models.base import Base, insert_ignoring_duplicates
from models.errors import NoSuchRollcall
from models.people import Person, require_leader
from models.rollcall_spec import Repeat, RollcallSpec

IntPK = BigInteger().with_variant(Integer, "sqlite")
REMIND_AT = 0.8  # of the window: the reminder to those who have not answered
LOOKBACK_DAYS = 7  # after a longer downtime, older occurrences are not worth a row
INSERT_CHUNK = 500  # runs per INSERT: well inside SQLite's limit of bound parameters


class RollcallStatus(StrEnum):
    """A rollcall runs, is paused (no new runs), or is stopped for good."""

    ACTIVE = "active"
    PAUSED = "paused"
    STOPPED = "stopped"


class RunStatus(StrEnum):
    """A run is open during its window, then closed; or missed while Linli was down."""

    OPEN = "open"
    CLOSED = "closed"
    MISSED = "missed"


class Rollcall(Base):
    """A scheduled rollcall of a building, posted in one of its groups."""

    __tablename__ = "rollcalls"

    id: Mapped[int] = mapped_column(IntPK, primary_key=True)
    building_id: Mapped[int] = mapped_column(
        ForeignKey("buildings.id", ondelete="CASCADE"), index=True
    )
    chat_id: Mapped[int] = mapped_column(BigInteger)
    title: Mapped[str] = mapped_column(String(60))
    audience: Mapped[str] = mapped_column(String(10))
    repeat: Mapped[str] = mapped_column(String(5))
    days: Mapped[list[int]] = mapped_column(JSON, default=list)  # weekdays, Monday 0
    start_minute: Mapped[int]  # local clock minutes after midnight
    minutes: Mapped[int]
    once_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(8), default=RollcallStatus.ACTIVE)
    # Occurrences that ended before this moment get no run: created or resumed after them.
    since: Mapped[datetime]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]

    @property
    def ref(self) -> str:
        """How leaders name it: R-3."""
        return f"R-{self.id}"


class RollcallRun(Base):
    """One occurrence of a rollcall: its window, whether it is open, and its final tally."""

    __tablename__ = "rollcall_runs"

    id: Mapped[int] = mapped_column(IntPK, primary_key=True)
    rollcall_id: Mapped[int] = mapped_column(ForeignKey("rollcalls.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    opens_at: Mapped[datetime]
    closes_at: Mapped[datetime]
    remind_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(8))
    opened_at: Mapped[datetime]
    reminded_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    # Written at close, so an old run's tally does not drift as households come and go.
    expected: Mapped[int] = mapped_column(default=0)
    answered: Mapped[int] = mapped_column(default=0)

    __table_args__ = (
        # The heart of "exactly once": one run per rollcall and day, whoever ticks.
        UniqueConstraint("rollcall_id", "day"),
        Index("ix_rollcall_runs_due", "status", "closes_at"),
    )


@dataclass(frozen=True, slots=True)
class Due:
    """A step of a run taken by this tick: open, missed, remind or close."""

    step: str
    run: RollcallRun
    rollcall: Rollcall


# -- scheduling --------------------------------------------------------------------------------


async def schedule_rollcall(
    session: AsyncSession,
    *,
    leader: Person | None,
    building_id: int,
    chat_id: int,
    spec: RollcallSpec,
    now: datetime,
    tz: ZoneInfo,
) -> tuple[Rollcall, Due | None]:
    """A leader schedules a rollcall; a window open right now opens at once (else: by the tick)."""
    await require_leader(session, leader, building_id)
    rollcall = Rollcall(
        building_id=building_id,
        chat_id=chat_id,
        title=spec.title,
        audience=str(spec.audience),
        repeat=str(spec.repeat),
        days=list(spec.days),
        start_minute=spec.start.hour * 60 + spec.start.minute,
        minutes=spec.minutes,
        once_at=spec.once_at,
        status=RollcallStatus.ACTIVE,
        since=now,
        created_by=leader.id if leader else None,
        created_at=now,
    )
    session.add(rollcall)
    await session.flush()
    record_action(
        session,
        actor=leader,
        action="schedule_rollcall",
        now=now,
        chat_id=chat_id,
        building_id=building_id,
        details={"rollcall": rollcall.id, "audience": rollcall.audience},
    )
    opened = await _open_runs(session, [rollcall], {}, now, tz)
    return rollcall, next((d for d in opened if d.step == "open"), None)


def parse_rollcall_ref(text: str) -> int:
    """Read "R-3", "r3", "#3" or "3"; raise NoSuchRollcall otherwise."""
    typed = unicodedata.normalize("NFKC", text or "").strip()
    match = re.fullmatch(r"#?(?:r\s*-?\s*)?(\d{1,9})", typed, re.IGNORECASE)
    if match is None:
        raise NoSuchRollcall(ref=typed[:20])
    return int(match[1])


async def change_rollcall(
    session: AsyncSession,
    *,
    leader: Person | None,
    rollcall_id: int,
    building_id: int | None,
    action: str,
    now: datetime,
) -> Rollcall:
    """Pause, resume or stop a rollcall of the leader's building (`building_id`: the group's)."""
    if building_id is not None:
        await require_leader(session, leader, building_id)
    rollcall = await session.get(Rollcall, rollcall_id)
    if rollcall is None or (building_id is not None and rollcall.building_id != building_id):
        raise NoSuchRollcall(ref=f"R-{rollcall_id}")
    await require_leader(session, leader, rollcall.building_id)
    if rollcall.status == RollcallStatus.STOPPED:
        raise NoSuchRollcall(ref=rollcall.ref)
    if action == "resume" and rollcall.status == RollcallStatus.PAUSED:
        rollcall.since = now  # the days it was paused are not missed, they were not asked for
    rollcall.status = {
        "pause": RollcallStatus.PAUSED,
        "resume": RollcallStatus.ACTIVE,
        "stop": RollcallStatus.STOPPED,
    }[action]
    record_action(
        session,
        actor=leader,
        action=f"{action}_rollcall",
        now=now,
        building_id=rollcall.building_id,
        details={"rollcall": rollcall.id},
    )
    return rollcall


async def rollcalls_of(
    session: AsyncSession, leader: Person | None, building_id: int
) -> list[tuple[Rollcall, RollcallRun | None]]:
    """The building's rollcalls that are not stopped, each with its latest run (leaders only)."""
    await require_leader(session, leader, building_id)
    rows = await session.scalars(
        select(Rollcall)
        .where(Rollcall.building_id == building_id, Rollcall.status != RollcallStatus.STOPPED)
        .order_by(Rollcall.id)
    )
    found = []
    for rollcall in list(rows):
        latest = await session.scalar(
            select(RollcallRun)
            .where(RollcallRun.rollcall_id == rollcall.id)
            .order_by(RollcallRun.day.desc())
            .limit(1)
        )
        found.append((rollcall, latest))
    return found


# -- the clock ---------------------------------------------------------------------------------


def occurrence(rollcall: Rollcall, day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """When the rollcall's run of `day` opens and closes."""
    if rollcall.once_at is not None:
        opens = rollcall.once_at
    else:
        clock = time(rollcall.start_minute // 60, rollcall.start_minute % 60)
        # Through UTC and back: a clock time skipped by a DST change lands on a real instant.
        opens = datetime.combine(day, clock, tzinfo=tz).astimezone(UTC)
    return opens, opens + timedelta(minutes=rollcall.minutes)


def _days_to_consider(
    rollcall: Rollcall, last: date | None, now: datetime, tz: ZoneInfo
) -> list[date]:
    if rollcall.repeat == Repeat.ONCE:
        assert rollcall.once_at is not None
        return [] if last is not None else [rollcall.once_at.astimezone(tz).date()]
    today = now.astimezone(tz).date()
    first = today - timedelta(days=LOOKBACK_DAYS)
    if last is not None:
        first = max(first, last + timedelta(days=1))
    span = (today - first).days + 1
    days = (first + timedelta(days=n) for n in range(max(0, span)))
    return [d for d in days if d.weekday() in rollcall.days]


def _runs_due(
    rollcall: Rollcall, last: date | None, now: datetime, tz: ZoneInfo
) -> list[dict[str, object]]:
    """The rollcall's runs that should exist by `now` and may not yet, as rows to insert."""
    rows: list[dict[str, object]] = []
    for day in _days_to_consider(rollcall, last, now, tz):
        opens, closes = occurrence(rollcall, day, tz)
        if opens > now or closes <= rollcall.since:
            continue
        rows.append(
            {
                "rollcall_id": rollcall.id,
                "day": day,
                "opens_at": opens,
                "closes_at": closes,
                "remind_at": opens + (closes - opens) * REMIND_AT,
                "status": RunStatus.OPEN if now < closes else RunStatus.MISSED,
                "opened_at": now,
                "expected": 0,
                "answered": 0,
            }
        )
    return rows


async def _open_runs(
    session: AsyncSession,
    rollcalls: Sequence[Rollcall],
    last: Mapping[int, date],
    now: datetime,
    tz: ZoneInfo,
) -> list[Due]:
    """Insert every due run at once; only the rows this tick inserted are its to open.

    A thousand groups whose rollcall opens at the same minute cost one statement per chunk
    instead of two per group, so the first cards go out within a second or two. `last` is
    each rollcall's latest run day, where it has one.
    """
    by_id = {rollcall.id: rollcall for rollcall in rollcalls}
    rows = [row for r in rollcalls for row in _runs_due(r, last.get(r.id), now, tz)]
    inserted: list[RollcallRun] = []
    for start in range(0, len(rows), INSERT_CHUNK):
        # ON CONFLICT DO NOTHING ... RETURNING: a run another tick (or replica) opened first
        # is simply not returned.
        inserted += await session.scalars(
            insert_ignoring_duplicates(session, RollcallRun)
            .values(rows[start : start + INSERT_CHUNK])
            .returning(RollcallRun)
        )
    inserted.sort(key=lambda run: (run.rollcall_id, run.day))
    return [
        Due("open" if run.status == RunStatus.OPEN else "missed", run, by_id[run.rollcall_id])
        for run in inserted
    ]


async def due_rollcall_steps(session: AsyncSession, now: datetime, tz: ZoneInfo) -> list[Due]:
    """Take every rollcall step due now that nobody took before: open, missed, remind, close."""
    active = await session.scalars(
        select(Rollcall).where(Rollcall.status == RollcallStatus.ACTIVE).order_by(Rollcall.id)
    )
    last = dict(
        (
            await session.execute(
                select(RollcallRun.rollcall_id, func.max(RollcallRun.day)).group_by(
                    RollcallRun.rollcall_id
                )
            )
        ).all()
    )
    taken = await _open_runs(session, list(active), last, now, tz)
    open_runs = (
        await session.execute(
            select(RollcallRun, Rollcall)
            .join(Rollcall, Rollcall.id == RollcallRun.rollcall_id)
            .where(RollcallRun.status == RunStatus.OPEN, RollcallRun.remind_at <= now)
            .order_by(RollcallRun.closes_at, RollcallRun.id)
        )
    ).all()
    for run, rollcall in open_runs:
        if now >= run.closes_at:
            if await _claim(session, run, status=RunStatus.CLOSED, closed_at=now):
                taken.append(Due("close", run, rollcall))
        elif run.reminded_at is None and await _claim(session, run, reminded_at=now):
            taken.append(Due("remind", run, rollcall))
    return taken


async def _claim(session: AsyncSession, run: RollcallRun, **values: object) -> bool:
    """A conditional UPDATE: only the first tick to get here takes the step."""
    condition = [RollcallRun.id == run.id, RollcallRun.status == RunStatus.OPEN]
    if "reminded_at" in values:
        condition.append(RollcallRun.reminded_at.is_(None))
    result = await session.execute(
        update(RollcallRun)
        .where(*condition)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:
        return False
    await session.refresh(run)
    return True


async def load_run(session: AsyncSession, run_id: int) -> tuple[RollcallRun, Rollcall]:
    """A run and its rollcall; NoSuchRollcall if gone."""
    row = (
        await session.execute(
            select(RollcallRun, Rollcall)
            .join(Rollcall, Rollcall.id == RollcallRun.rollcall_id)
            .where(RollcallRun.id == run_id)
        )
    ).first()
    if row is None:
        raise NoSuchRollcall(ref=f"#{run_id}")
    return row[0], row[1]
