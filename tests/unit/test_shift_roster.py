"""Rosters in the domain: a leader's /assign override, today's and the week's roster, the exports.

Runs on the migrated schema, on SQLite and (when configured) PostgreSQL.
"""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.shift_exports import roster_csv, roster_xlsx, shifts_ics
from models import errors
from models.audit import AuditEntry
from models.people import (
    BuildingLeader,
    Person,
    ensure_building,
    ensure_community,
    ensure_person,
)
from models.rest_rules import RestRules, Rule
from models.shift_roster import (
    assign_slot,
    building_names,
    require_roster_reader,
    roster,
    roster_export,
    roster_window,
)
from models.shift_spec import ShiftSpec
from models.shifts import (
    Shift,
    ShiftAssignment,
    cancel_shift,
    check_in,
    check_out,
    claim_slot,
    post_shifts,
    shifts_of,
)

Sessions = async_sessionmaker[AsyncSession]
# 08:00 in Shanghai, 1 March 2026.
NOW = datetime(2026, 3, 1, 0, 0, tzinfo=UTC)
TZ = ZoneInfo("Asia/Shanghai")
RULES = RestRules()
HEADERS = [
    "date",
    "post",
    "start",
    "end",
    "slots",
    "filled",
    "volunteers",
    "checked in",
    "checked out",
    "minutes",
]


def _spec(
    hours_from_now: int, *, post: str = "门岗", people: int = 2, length: int = 4
) -> ShiftSpec:
    return ShiftSpec(
        post, (NOW + timedelta(hours=hours_from_now),), timedelta(hours=length), people, None
    )


async def _setup(sessions: Sessions, volunteers: int = 4) -> tuple[int, int, list[int]]:
    """A building with a leader (user 1), volunteers (users 10…) and a resident (user 99)."""
    async with sessions() as s, s.begin():
        community = await ensure_community(s, "阳光花园", "Asia/Shanghai")
        building = await ensure_building(s, community.id, "3号楼", NOW)
        leader = await ensure_person(s, 1, "leader", NOW)
        people = [await ensure_person(s, 10 + i, f"v{i}", NOW) for i in range(volunteers)]
        for person in people:
            person.is_volunteer, person.skills = True, ["delivery"]
        await ensure_person(s, 99, "resident", NOW)
        await s.flush()
        s.add(BuildingLeader(building_id=building.id, person_id=leader.id, appointed_at=NOW))
        return building.id, leader.id, [p.id for p in people]


async def _post(sessions: Sessions, building: int, leader: int, spec: ShiftSpec) -> int:
    async with sessions() as s, s.begin():
        [shift] = await post_shifts(
            s,
            leader=await s.get(Person, leader),
            building_id=building,
            chat_id=-100,
            spec=spec,
            now=NOW,
        )
        return shift.id


async def _assign(sessions: Sessions, shift: int, actor: int, tg_id: int) -> str:
    """Assign, returning the broken rule's name, "ok", or the refusal's name."""
    try:
        async with sessions() as s, s.begin():
            done = await assign_slot(
                s,
                shift_id=shift,
                leader=await s.get(Person, actor),
                volunteer_tg_id=tg_id,
                volunteer_name="Telegram name",
                now=NOW,
                rules=RULES,
                tz=TZ,
            )
            return done.warning.rule.value if done.warning else "ok"
    except errors.DomainError as refused:
        return type(refused).__name__


async def _claim(sessions: Sessions, shift: int, person: int) -> str:
    try:
        async with sessions() as s, s.begin():
            volunteer = await s.get(Person, person)
            await claim_slot(s, shift_id=shift, volunteer=volunteer, now=NOW, rules=RULES, tz=TZ)
    except errors.DomainError as refused:
        return type(refused).__name__
    return "ok"


async def _on(sessions: Sessions, shift: int) -> list[int]:
    async with sessions() as s:
        rows = await s.scalars(
            select(ShiftAssignment.person_id)
            .where(ShiftAssignment.shift_id == shift)
            .order_by(ShiftAssignment.id)
        )
        return list(rows)


async def test_assign_overrides_rest_rules_but_never_the_slots(sessions: Sessions) -> None:
    """A broken rule is a warning; the slots, the pool and the leader's authority still hold."""
    building, leader, volunteers = await _setup(sessions)
    first = await _post(sessions, building, leader, _spec(30))
    overlapping = await _post(sessions, building, leader, _spec(32))
    assert await _claim(sessions, first, volunteers[0]) == "ok"
    # v0 overlaps: a volunteer's own claim is refused, a leader's assignment only warns.
    assert await _claim(sessions, overlapping, volunteers[0]) == "ShiftRuleBroken"
    assert await _assign(sessions, overlapping, leader, 10) == Rule.OVERLAP.value
    assert await _assign(sessions, overlapping, leader, 10) == "AlreadyOnShift"
    assert await _assign(sessions, overlapping, leader, 11) == "ok"
    assert await _assign(sessions, overlapping, leader, 12) == "ShiftFull"
    # Not a leader; not in the pool; never seen by Linli: refused, nothing written.
    assert await _assign(sessions, first, volunteers[1], 12) == "NotALeader"
    assert await _assign(sessions, first, leader, 99) == "NotInVolunteerPool"
    assert await _assign(sessions, first, leader, 12345) == "NotInVolunteerPool"
    assert await _assign(sessions, 999, leader, 12) == "NoSuchShift"
    assert await _on(sessions, overlapping) == volunteers[:2]
    assert await _on(sessions, first) == volunteers[:1]
    async with sessions() as s, s.begin():
        shift = await s.get(Shift, overlapping)
        assert shift is not None and shift.filled == 2
        audited = await s.scalars(
            select(AuditEntry.details).where(AuditEntry.action == "assign_shift")
        )
        assert [d["warning"] for d in audited] == ["overlap", None]
        await cancel_shift(s, shift_id=first, leader=await s.get(Person, leader), now=NOW)
    assert await _assign(sessions, first, leader, 12) == "ShiftStarted"


async def test_assignments_and_claims_racing_for_the_last_slots(sessions: Sessions) -> None:
    """A leader assigning while volunteers tap: the shift never holds more than its slots."""
    building, leader, volunteers = await _setup(sessions, 6)
    shift = await _post(sessions, building, leader, _spec(30, people=3))
    results = await asyncio.gather(
        *(_assign(sessions, shift, leader, 10 + i) for i in range(3)),
        *(_claim(sessions, shift, v) for v in volunteers[3:]),
    )
    assert results.count("ok") == 3, results
    assert set(results) <= {"ok", "ShiftFull"}, results
    assert len(await _on(sessions, shift)) == 3
    async with sessions() as s:
        filled = await s.scalar(select(Shift.filled).where(Shift.id == shift))
        assert filled == 3


def test_roster_windows_follow_the_local_calendar() -> None:
    """Today is the local day; the week is seven local days from today's midnight."""
    late = datetime(2026, 3, 1, 17, 30, tzinfo=UTC)  # 01:30 on 2 March in Shanghai
    start, end = roster_window("today", late, TZ)
    assert (start.astimezone(TZ).date(), end - start) == (date(2026, 3, 2), timedelta(days=1))
    start, end = roster_window("week", late, TZ)
    assert start.astimezone(TZ).hour == 0 and end - start == timedelta(days=7)
    # On a day the clocks change, "today" is 23 hours long.
    paris = ZoneInfo("Europe/Paris")
    start, end = roster_window("today", datetime(2026, 3, 29, 12, 0, tzinfo=UTC), paris)
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=23)


async def test_roster_reads_today_and_the_week(sessions: Sessions) -> None:
    """Today's shifts with names (a night shift into today counts); cancelled ones are gone."""
    building, leader, volunteers = await _setup(sessions)
    night = await _post(sessions, building, leader, _spec(-10, post="夜班", length=11))
    today = await _post(sessions, building, leader, _spec(2, post="门岗"))
    tomorrow = await _post(sessions, building, leader, _spec(26, post="物资"))
    later = await _post(sessions, building, leader, _spec(24 * 8, post="远"))
    cancelled = await _post(sessions, building, leader, _spec(6, post="取消"))
    # 22:00–09:00: nine hours on 1 March, over the limit; the leader is only warned.
    assert await _assign(sessions, night, leader, 10) == Rule.DAY.value
    assert await _claim(sessions, today, volunteers[1]) == "ok"
    assert await _claim(sessions, today, volunteers[2]) == "ok"
    async with sessions() as s, s.begin():
        await cancel_shift(s, shift_id=cancelled, leader=await s.get(Person, leader), now=NOW)
    async with sessions() as s:
        views = await roster(s, building, *roster_window("today", NOW, TZ))
        assert [(v.shift.id, v.names, v.missing) for v in views] == [
            (night, ["v0"], 1),
            (today, ["v1", "v2"], 0),
        ]
        week = await roster(s, building, *roster_window("week", NOW, TZ))
        assert [v.shift.id for v in week] == [night, today, tomorrow]
        assert later not in [v.shift.id for v in week]
        # Volunteers and leaders read rosters; a resident does not.
        await require_roster_reader(s, await s.get(Person, volunteers[3]), building)
        await require_roster_reader(s, await s.get(Person, leader), building)
        resident = await s.scalar(select(Person).where(Person.tg_user_id == 99))
        with pytest.raises(errors.NotAVolunteer):
            await require_roster_reader(s, resident, building)


async def test_the_export_has_every_shift_with_who_served_and_for_how_long(
    sessions: Sessions,
) -> None:
    """The export rows, as CSV and XLSX read back; only the building's leaders may export."""
    building, leader, volunteers = await _setup(sessions)
    gate = await _post(sessions, building, leader, _spec(2, post="门岗 Gate", people=3))
    await _post(sessions, building, leader, _spec(30, post="物资"))
    assert await _assign(sessions, gate, leader, 10) == "ok"
    assert await _assign(sessions, gate, leader, 11) == "ok"
    start = NOW + timedelta(hours=2)
    async with sessions() as s, s.begin():
        v0 = await s.get(Person, volunteers[0])
        await check_in(s, shift_id=gate, volunteer=v0, now=start + timedelta(minutes=10))
        await check_out(s, shift_id=gate, volunteer=v0, now=start + timedelta(hours=3))
    async with sessions() as s, s.begin():
        with pytest.raises(errors.NotALeader):
            await roster_export(
                s, building_id=building, leader=await s.get(Person, volunteers[0]), now=NOW, tz=TZ
            )
    async with sessions() as s, s.begin():
        lines = await roster_export(
            s, building_id=building, leader=await s.get(Person, leader), now=NOW, tz=TZ
        )
        exports = await s.scalar(select(func.count()).where(AuditEntry.action == "export_roster"))
        assert exports == 1
    assert [(line.post, line.filled, line.volunteers) for line in lines] == [
        ("门岗 Gate", 2, ("v0", "v1")),
        ("物资", 0, ()),
    ]
    expected = [
        ["2026-03-01", "门岗 Gate", "10:00", "14:00", "3", "2", "v0、v1", "1", "1", "170"],
        ["2026-03-02", "物资", "14:00", "18:00", "2", "0", "", "0", "0", "0"],
    ]
    data = roster_csv(lines, HEADERS)
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows == [HEADERS, *expected]
    sheet = load_workbook(io.BytesIO(roster_xlsx(lines, HEADERS))).active
    assert sheet is not None
    cells = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert cells[0] == HEADERS
    assert cells[1:] == [
        ["2026-03-01", "门岗 Gate", "10:00", "14:00", 3, 2, "v0、v1", 1, 1, 170],
        ["2026-03-02", "物资", "14:00", "18:00", 2, 0, None, 0, 0, 0],
    ]


async def test_the_calendar_holds_ones_coming_shifts_with_stable_uids(sessions: Sessions) -> None:
    """The .ics, parsed back: one event per coming shift, UTC times, post, building, fixed UID."""
    building, leader, volunteers = await _setup(sessions)
    gate = await _post(sessions, building, leader, _spec(2, post="门岗 Gate"))
    night = await _post(sessions, building, leader, _spec(14, post="夜班", length=10))
    other = await _post(sessions, building, leader, _spec(40, post="不是我的"))
    for shift in (gate, night):  # 8 h apart: exactly the rest the rules ask for
        assert await _assign(sessions, shift, leader, 10) == "ok"
    assert await _claim(sessions, other, volunteers[1]) == "ok"
    async with sessions() as s:
        mine = await shifts_of(s, await s.get(Person, volunteers[0]), NOW)
        names = await building_names(s, {shift.building_id for shift in mine})
    first = Calendar.from_ical(shifts_ics(mine, names, NOW))
    again = Calendar.from_ical(shifts_ics(mine, names, NOW + timedelta(hours=1)))
    events = list(first.walk("VEVENT"))
    assert [str(e["uid"]) for e in events] == [f"shift-{gate}@linli", f"shift-{night}@linli"]
    assert [str(e["uid"]) for e in again.walk("VEVENT")] == [str(e["uid"]) for e in events]
    assert [str(e["summary"]) for e in events] == ["门岗 Gate", "夜班"]
    assert {str(e["description"]) for e in events} == {"3号楼"}
    starts = [e.decoded("dtstart") for e in events]
    assert starts == [NOW + timedelta(hours=2), NOW + timedelta(hours=14)]
    assert all(start.utcoffset() == timedelta(0) for start in starts)
    assert events[1].decoded("dtend") == NOW + timedelta(hours=24)
    assert Calendar.from_ical(shifts_ics([], {}, NOW)).walk("VEVENT") == []
