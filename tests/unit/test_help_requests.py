"""Help requests in the domain: who may ask, take, finish, cancel and rate; escalation steps.

Runs on the migrated schema, on SQLite and (when configured) PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import errors
from models.care import CareResident
from models.help_board import (
    EscalationPolicy,
    Step,
    guardians_of,
    requests_board,
    take_due_escalations,
)
from models.help_requests import (
    HelpRequest,
    Urgency,
    cancel_help,
    claim_help,
    due_time,
    file_request,
    finish_help,
    forget_requests,
    parse_help_ref,
    parse_minutes,
    rate_help,
    release_help,
)
from models.people import (
    BuildingLeader,
    Person,
    ensure_building,
    ensure_community,
    ensure_person,
    register_household,
)
from models.records import ServiceRecord
from models.tasks import Task

Sessions = async_sessionmaker[AsyncSession]
NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
TZ = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize("text", ["H-17", "h17", "#17", "17", "Ｈ－１７", " h - 17 "])
def test_references_are_read_as_people_type_them(text: str) -> None:
    assert parse_help_ref(text) == 17


@pytest.mark.parametrize("text", ["", "H-", "G-17", "H-17x", "seventeen"])
def test_unreadable_references_are_refused(text: str) -> None:
    with pytest.raises(errors.BadHelpRef):
        parse_help_ref(text)


@pytest.mark.parametrize(
    ("text", "minutes"),
    [("90", 90), ("90分钟", 90), ("1.5h", 90), ("2小时", 120), ("45 min", 45), ("１２０", 120)],
)
def test_minutes_served(text: str, minutes: int) -> None:
    assert parse_minutes(text) == minutes


@pytest.mark.parametrize("text", ["0", "-5", "1441", "abc", "1.25h", ""])
def test_minutes_out_of_range_are_refused(text: str) -> None:
    with pytest.raises(errors.BadMinutes):
        parse_minutes(text)


def test_due_times() -> None:
    """Urgent within 2 h; today by local midnight but never under 4 h; otherwise a week."""
    assert due_time(Urgency.URGENT, NOW, TZ) == NOW + timedelta(hours=2)
    morning = datetime(2026, 3, 1, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
    assert due_time(Urgency.TODAY, morning, TZ) == datetime(2026, 3, 2, 0, 0, tzinfo=TZ)
    late = datetime(2026, 3, 1, 14, 30, tzinfo=UTC)  # 22:30 in Shanghai
    assert due_time(Urgency.TODAY, late, TZ) == late + timedelta(hours=4)
    assert due_time(Urgency.WEEK, NOW, TZ) == NOW + timedelta(days=7)


async def _world(s: AsyncSession) -> dict[str, Person]:
    """3号楼: Wang asks (502), her husband, a pending stranger, volunteers, a leader."""
    community = await ensure_community(s, "阳光花园", "Asia/Shanghai")
    building = await ensure_building(s, community.id, "3号楼", NOW)
    other = await ensure_building(s, community.id, "5号楼", NOW)
    people = {}
    for uid, name in enumerate(["wang", "husband", "pending", "sarah", "tom", "leader", "far"], 1):
        people[name] = await ensure_person(s, uid, name, NOW)
        people[name].started_private = True
    await s.flush()
    for name, room in (("wang", "502"), ("husband", "502"), ("sarah", "601"), ("tom", "602")):
        await register_household(s, person=people[name], building_id=building.id, room_text=room)
    people["pending"].pending_household_id = people["wang"].household_id
    await register_household(s, person=people["far"], building_id=other.id, room_text="101")
    for name in ("sarah", "tom", "husband"):
        people[name].is_volunteer, people[name].skills = True, ["medical"]
    people["tom"].started_private = False
    s.add(BuildingLeader(building_id=building.id, person_id=people["leader"].id, appointed_at=NOW))
    s.add(BuildingLeader(building_id=other.id, person_id=people["far"].id, appointed_at=NOW))
    await s.flush()
    return people


async def _file(s: AsyncSession, person: Person, urgency: str = "urgent", **kw: str | None) -> int:
    values = {
        "category": "medicine",
        "urgency": urgency,
        "description": "药",
        "for_whom": "self",
        "neighbour_room": None,
        **kw,
    }
    found = await file_request(s, person=person, now=NOW, tz=TZ, **values)
    return found.request.id


async def _count(s: AsyncSession, table: type) -> int:
    return int(await s.scalar(select(func.count()).select_from(table)) or 0)


async def test_only_approved_household_members_ask(sessions: Sessions) -> None:
    """A pending member and a stranger are refused, and nothing is written."""
    async with sessions() as s, s.begin():
        p = await _world(s)
        stranger = await ensure_person(s, 99, "stranger", NOW)
        with pytest.raises(errors.RegistrationPending):
            await _file(s, p["pending"])
        with pytest.raises(errors.NotRegistered):
            await _file(s, stranger)
        with pytest.raises(errors.DescriptionTooLong):
            await _file(s, p["wang"], description="x" * 1001)
        with pytest.raises(errors.InvalidRoom):
            await _file(s, p["wang"], for_whom="neighbour", neighbour_room="楼上")
        assert await _count(s, HelpRequest) == 0 and await _count(s, Task) == 0
        request_id = await _file(s, p["wang"], for_whom="neighbour", neighbour_room="3-1101")
        request = await s.get(HelpRequest, request_id)
        assert request is not None and (request.unit, request.room) == ("3", "1101")


async def test_who_may_take_finish_cancel_and_rate(sessions: Sessions) -> None:
    """Each refusal leaves the request as it was; the right person's action goes through."""
    async with sessions() as s, s.begin():
        p = await _world(s)
        rid = await _file(s, p["wang"])
        with pytest.raises(errors.OwnRequest):  # her husband volunteers, but not for his home
            await claim_help(s, request_id=rid, volunteer=p["husband"], now=NOW)
        with pytest.raises(errors.NotAVolunteer):
            await claim_help(s, request_id=rid, volunteer=p["leader"], now=NOW)
        with pytest.raises(errors.ClaimNeedsPrivateChat):
            await claim_help(s, request_id=rid, volunteer=p["tom"], now=NOW)
        found = await claim_help(s, request_id=rid, volunteer=p["sarah"], now=NOW)
        assert found.task.assignee_id == p["sarah"].id
        with pytest.raises(errors.NotYourTask):
            await finish_help(
                s, request_id=rid, volunteer=p["husband"], minutes_text="30", note="", now=NOW
            )
        with pytest.raises(errors.NotYourRequest):
            await cancel_help(s, request_id=rid, person=p["sarah"], now=NOW)
        with pytest.raises(errors.NotDoneYet):
            await rate_help(s, request_id=rid, person=p["wang"], stars=5)
        assert (found.task.status, await _count(s, ServiceRecord)) == ("claimed", 0)
        released = await release_help(s, request_id=rid, volunteer=p["sarah"])
        assert (released.task.status, released.task.assignee_id, released.request.round) == (
            "open",
            None,
            1,
        )
        await claim_help(s, request_id=rid, volunteer=p["sarah"], now=NOW)
        later = NOW + timedelta(hours=1)
        await finish_help(
            s, request_id=rid, volunteer=p["sarah"], minutes_text="1.5h", note="ok", now=later
        )
        record = await s.scalar(select(ServiceRecord))
        assert record is not None and (record.person_id, record.minutes) == (p["sarah"].id, 90)
        rated = await rate_help(s, request_id=rid, person=p["husband"], stars=4)
        assert rated.request.rating == 4
        with pytest.raises(errors.RequestFinished):
            await cancel_help(s, request_id=rid, person=p["wang"], now=later)


async def test_escalation_steps_are_taken_once_each(sessions: Sessions) -> None:
    """Leaders at 10 min, coordinators at 30; a claimed one past due: reminder, then leaders."""
    policy = EscalationPolicy()
    async with sessions() as s, s.begin():
        p = await _world(s)
        rid = await _file(s, p["wang"])
        assert await take_due_escalations(s, NOW + timedelta(minutes=9), policy) == []
        first = await take_due_escalations(s, NOW + timedelta(minutes=10), policy)
        assert [(e.step, [x.name for x in e.audience]) for e in first] == [
            (Step.LEADERS, ["leader"])
        ]
        assert await take_due_escalations(s, NOW + timedelta(minutes=11), policy) == []
        later = await take_due_escalations(s, NOW + timedelta(minutes=31), policy)
        assert [e.step for e in later] == [Step.COORDINATORS]
        await claim_help(s, request_id=rid, volunteer=p["sarah"], now=NOW + timedelta(minutes=40))
        due = NOW + timedelta(hours=2)
        remind = await take_due_escalations(s, due, policy)
        assert [(e.step, [x.name for x in e.audience]) for e in remind] == [
            (Step.REMIND, ["sarah"])
        ]
        overdue = await take_due_escalations(s, due + timedelta(hours=1), policy)
        assert [e.step for e in overdue] == [Step.OVERDUE]


async def test_boards_show_leaders_only_their_buildings(sessions: Sessions) -> None:
    async with sessions() as s, s.begin():
        p = await _world(s)
        await _file(s, p["wang"])
        board = await requests_board(s, p["leader"], NOW)
        assert [r.help.ref for r in board.rows] == ["H-1"]
        assert (await requests_board(s, p["far"], NOW)).rows == []
        with pytest.raises(errors.NotALeader):
            await requests_board(s, p["sarah"], NOW)


async def test_forgetting_a_person_scrubs_their_requests(sessions: Sessions) -> None:
    """/forgetme: the asker's words go and the request ends; a volunteer's claims reopen."""
    async with sessions() as s, s.begin():
        p = await _world(s)
        asked = await _file(s, p["wang"], description="降压药 两盒")
        taken = await _file(s, p["tom"], category="other")
        await claim_help(s, request_id=taken, volunteer=p["sarah"], now=NOW)
        assert await forget_requests(s, p["wang"], NOW) == []
        request = await s.get(HelpRequest, asked)
        task = await s.get(Task, request.task_id) if request else None
        assert request is not None and request.description == "" and task is not None
        assert task.status == "cancelled"
        reopened = await forget_requests(s, p["sarah"], NOW)
        assert [(h.request.id, h.task.status, h.task.assignee_id) for h in reopened] == [
            (taken, "open", None)
        ]


async def test_a_vulnerable_residents_volunteer_is_their_guardian(sessions: Sessions) -> None:
    """A request for a room with a paired vulnerable resident names that volunteer first."""
    async with sessions() as s, s.begin():
        p = await _world(s)
        rid = await _file(s, p["wang"])
        request = await s.get(HelpRequest, rid)
        assert request is not None and await guardians_of(s, request) == []
        s.add(
            CareResident(
                building_id=request.building_id,
                unit="",
                room="502",
                name="王奶奶",
                needs=["elderly_alone"],
                notes="",
                volunteer_id=p["tom"].id,
                created_at=NOW,
            )
        )
        await s.flush()
        assert await guardians_of(s, request) == [p["tom"].id]
