"""Registry rules on an in-memory database: binding, leaders, households, forgetting, rooms."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import models.all  # noqa: F401  (every table, for create_all)
from models.audit import AuditEntry
from models.authority import bind_chat, leaders_of_chat
from models.errors import (
    ForeignContact,
    InvalidRoom,
    NoSkillsChosen,
    NotAVolunteer,
    NotRegistered,
    UnknownLanguage,
    UnknownSkill,
)
from models.households import register_in_chat
from models.people import (
    BuildingLeader,
    GroupChat,
    Household,
    Person,
    Room,
    choose_language,
    ensure_person,
    find_person,
    forget_person,
    join_volunteer_pool,
    leave_volunteer_pool,
    parse_room,
    profile_of,
    record_phone,
    set_availability,
)
from models.records import ServiceRecord, minutes_served, record_service
from models.tasks import CLAIMED, claim_task, open_task, open_tasks

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
GROUP = -1001
COMMUNITY = {"community_name": "阳光花园", "timezone": "Asia/Shanghai"}


@pytest.fixture
async def session(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One transaction on a freshly migrated database (SQLite, and PostgreSQL when configured)."""
    async with sessions() as session, session.begin():
        yield session


async def _person(session: AsyncSession, tg_id: int, name: str = "") -> Person:
    return await ensure_person(session, tg_id, name or f"p{tg_id}", NOW)


async def _bound(session: AsyncSession, building: str = "1号楼") -> Person:
    admin = await _person(session, 1, "陈建国")
    await bind_chat(
        session,
        chat_id=GROUP,
        title="1号楼群",
        building_name=building,
        binder=admin,
        is_chat_admin=True,
        now=NOW,
        **COMMUNITY,
    )
    return admin


# -- rooms --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("502", Room(None, "502")),
        ("3-502", Room(3, "502")),
        ("3单元502", Room(3, "502")),
        ("3单元502室", Room(3, "502")),
        ("3-502室", Room(3, "502")),
        (" 12-1201 ", Room(12, "1201")),
        ("３－５０２", Room(3, "502")),  # full-width digits and dash
        ("3—502", Room(3, "502")),  # an em dash from a phone keyboard
        ("3 502", Room(3, "502")),
    ],
)
def test_parse_room_accepts_what_residents_write(text: str, expected: Room) -> None:
    """The common ways of writing a room all read the same."""
    assert parse_room(text) == expected


@pytest.mark.parametrize("text", ["", "abc", "5", "0502", "3-02", "3-502-1", "502室楼", "1234567"])
def test_parse_room_rejects_the_rest(text: str) -> None:
    """Anything else gets the example, not a guess."""
    with pytest.raises(InvalidRoom):
        parse_room(text)


def test_room_label_and_floor() -> None:
    """Labels are canonical; the floor is all but the last two digits."""
    assert parse_room("3单元1201室").label == "3-1201"
    assert parse_room("1201").floor == 12
    assert parse_room("502").floor == 5


@given(
    unit=st.one_of(st.none(), st.integers(1, 99)),
    number=st.integers(100, 9999),
    style=st.sampled_from(["{u}-{r}", "{u}单元{r}", "{u}单元{r}室", "{u}-{r}室", "{u}－{r}"]),
    full_width=st.booleans(),
)
def test_parse_room_round_trips(
    unit: int | None, number: int, style: str, full_width: bool
) -> None:
    """Whatever style a room is written in, it parses to the same room, whose label parses back."""
    text = style.format(u=unit, r=number) if unit else str(number)
    if full_width:
        text = text.translate({ord(d): 0xFF10 + int(d) for d in "0123456789"})
    room = parse_room(text)
    assert room == Room(unit, str(number))
    assert parse_room(room.label) == room


@given(st.text(max_size=12))
def test_parse_room_never_crashes(text: str) -> None:
    """Any input is either a room whose label round-trips, or InvalidRoom."""
    try:
        room = parse_room(text)
    except InvalidRoom:
        return
    assert parse_room(room.label) == room


# -- profile ------------------------------------------------------------------------------------


async def test_profile(session: AsyncSession) -> None:
    """/me gathers household, roles, skills and minutes served."""
    admin = await _bound(session)
    await register_in_chat(session, chat_id=GROUP, person=admin, room_text="201", now=NOW)
    record_phone(admin, "+86 138-0000 0001", admin.tg_user_id)
    join_volunteer_pool(admin, ["it", "medical"])
    record_service(
        session,
        person_id=admin.id,
        building_id=None,
        kind="shift",
        source_ref="shift:1",
        started_at=NOW,
        ended_at=NOW + timedelta(minutes=90),
    )
    profile = await profile_of(session, admin)
    assert profile.household == "201" and profile.building_name == "1号楼"
    assert profile.phone == "+8613800000001"
    assert profile.leads == ["1号楼"]
    assert profile.skills == ["medical", "it"]  # button order, not tap order
    assert profile.minutes_served == 90
    with pytest.raises(NotRegistered):
        await profile_of(session, None)


# -- a person's own settings --------------------------------------------------------------------


async def test_volunteer_pool_and_rest(session: AsyncSession) -> None:
    """Joining needs a skill; only volunteers rest; unknown skills are refused."""
    person = await _person(session, 3)
    with pytest.raises(NotAVolunteer):
        set_availability(person, False)
    with pytest.raises(NoSkillsChosen):
        join_volunteer_pool(person, [])
    with pytest.raises(UnknownSkill) as unknown:
        join_volunteer_pool(person, ["hacking", "driving"])
    assert unknown.value.values == {"skills": ("hacking",)}
    join_volunteer_pool(person, ["driving"])
    set_availability(person, False)
    assert not person.available
    leave_volunteer_pool(person)
    assert not person.is_volunteer
    with pytest.raises(NotAVolunteer):
        leave_volunteer_pool(person)


async def test_language_and_contact(session: AsyncSession) -> None:
    """Only zh/en; only one's own contact."""
    person = await _person(session, 3)
    assert choose_language(person, " EN ") == "en"
    with pytest.raises(UnknownLanguage):
        choose_language(person, "fr")
    with pytest.raises(ForeignContact):
        record_phone(person, "+1 555", contact_user_id=4)


async def test_ensure_person_keeps_name_current(session: AsyncSession) -> None:
    """The display name follows Telegram; the row is not duplicated."""
    first = await _person(session, 3, "Old")
    second = await ensure_person(session, 3, "New", NOW)
    assert first is second and second.display_name == "New"


async def test_forgetme_anonymises(session: AsyncSession) -> None:
    """The person row goes; audit rows, service minutes and tasks remain without them."""
    admin = await _bound(session)
    await register_in_chat(session, chat_id=GROUP, person=admin, room_text="201", now=NOW)
    record_service(
        session,
        person_id=admin.id,
        building_id=None,
        kind="help",
        source_ref="task:1",
        started_at=NOW,
        ended_at=NOW + timedelta(minutes=30),
    )
    task = await open_task(session, kind="help", source_ref="help:1", now=NOW)
    await claim_task(session, task.id, admin.id, NOW)
    await session.flush()
    person_id = admin.id
    await forget_person(session, person_id)
    session.expire_all()
    assert await find_person(session, 1) is None
    assert await session.scalar(select(func.count()).select_from(BuildingLeader)) == 0
    audit = (await session.scalars(select(AuditEntry))).all()
    assert audit and all(a.actor_id is None for a in audit)
    record = await session.scalar(select(ServiceRecord))
    assert record is not None and record.person_id is None and record.minutes == 30
    assert (await session.get(GroupChat, GROUP)).bound_by is None
    refreshed = (await open_tasks(session))[0]
    assert refreshed.assignee_id is None and refreshed.status == CLAIMED
    assert await minutes_served(session, person_id) == 0


# -- the sandbox's demo community -------------------------------------------------------------


async def test_seed_demo_is_idempotent(session: AsyncSession) -> None:
    """Seeding twice adds nothing; the demo groups are bound and their leaders appointed."""
    from bot.settings import Settings
    from sandbox.personas import BUILDING_GROUPS, demo_world
    from sandbox.seed import seed_demo

    world, settings = demo_world(), Settings(_env_file=None)
    counts = []
    for _ in range(2):
        await seed_demo(session, world, NOW, settings)
        counts.append(
            [
                await session.scalar(select(func.count()).select_from(table))
                for table in (Person, Household, BuildingLeader, GroupChat)
            ]
        )
    assert counts[0] == counts[1] == [len(world.users), len(world.users), 2, 2]
    assert (await leaders_of_chat(session, BUILDING_GROUPS[1]))[0] == "1号楼"
    nurse = await find_person(session, 1003)
    assert nurse is not None and nurse.is_volunteer and nurse.skills == ["medical", "nursing"]
    assert (await profile_of(session, nurse)).household == "502"
