"""Vulnerable residents and their named volunteer: the /care add parser, pairing on the one task
table, authority, and who may read what.

The database tests run on the migrated schema, on SQLite and (when configured) PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models.audit import AuditEntry
from models.authority import bind_chat
from models.care import (
    CARE_GAP,
    CareResident,
    add_care_resident,
    care_board,
    care_for,
    care_of_volunteer,
    pair_volunteer,
    parse_care_add,
    parse_care_ref,
    parse_needs,
    unpair_volunteer,
)
from models.errors import (
    BadCareRef,
    CareAlreadyListed,
    CareNeedsVolunteer,
    CareNotPaired,
    CareSyntax,
    CareTextTooLong,
    CareWhichBuilding,
    NoSuchCareResident,
    NotALeader,
    NotAVolunteer,
    UnknownNeed,
)
from models.people import Coordinator, Person, ensure_person, forget_person, register_household
from models.tasks import CLAIMED, DONE, OPEN, Task, claim_task
from tests.e2e.privacy import Secrets, leaks

Sessions = async_sessionmaker[AsyncSession]
NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
GROUP, OTHER_GROUP = -1001, -1005
ADD = "3-502 王奶奶 | 独居老人, 慢病 | 每天下午要量血压"


# -- the parser ---------------------------------------------------------------------------------


def test_parse_the_issue_example() -> None:
    """The issue's line: room, name, two needs and notes."""
    spec = parse_care_add(ADD)
    assert (spec.building, spec.room.label, spec.name) == (None, "3-502", "王奶奶")
    assert spec.needs == ("elderly_alone", "chronic")
    assert spec.notes == "每天下午要量血压"


@pytest.mark.parametrize(
    ("text", "building", "room", "name"),
    [
        ("3号楼 502 王奶奶 | 独居老人", "3号楼", "502", "王奶奶"),
        ("Building 3 1201 Granny Wang | elderly", "Building 3", "1201", "Granny Wang"),
        ("３－５０２　李 爷爷｜残障", None, "3-502", "李 爷爷"),  # full-width, as phones type
        ("3单元502 张三 | 孕妇", None, "3-502", "张三"),
    ],
)
def test_parse_building_room_and_name(
    text: str, building: str | None, room: str, name: str
) -> None:
    """A building's name may come first; the first word that reads as a room is the room."""
    spec = parse_care_add(text)
    assert (spec.building, spec.room.label, spec.name) == (building, room, name)


@pytest.mark.parametrize(
    ("text", "needs"),
    [
        ("独居老人 慢病", ("elderly_alone", "chronic")),
        ("chronic illness, elderly living alone", ("elderly_alone", "chronic")),
        ("孕妇、其他；残障", ("disabled", "pregnant", "other")),
        ("child without carer/child", ("child_alone",)),
    ],
)
def test_parse_needs(text: str, needs: tuple[str, ...]) -> None:
    """Chinese or English, separated by commas, 、, spaces: canonical order, no repeats."""
    assert parse_needs(text) == needs


@pytest.mark.parametrize(
    ("text", "error", "values"),
    [
        ("", CareSyntax, {"part": "room"}),
        ("五楼 王奶奶 | 独居老人", CareSyntax, {"part": "room"}),
        ("3-502 | 独居老人", CareSyntax, {"part": "name"}),
        ("3-502 王奶奶", CareSyntax, {"part": "needs"}),
        ("3-502 王奶奶 | ", CareSyntax, {"part": "needs"}),
        ("3-502 王奶奶 | 独居老人, 馋嘴", UnknownNeed, {"text": "馋嘴"}),
        ("3-502 " + "名" * 65 + " | 独居老人", CareTextTooLong, {"field": "name"}),
        ("3-502 王奶奶 | 独居老人 | " + "备" * 501, CareTextTooLong, {"field": "notes"}),
    ],
)
def test_parse_refuses_with_what_is_missing(text: str, error: type, values: dict) -> None:
    """Each malformed line names what to fix (the template adds an example)."""
    with pytest.raises(error) as caught:
        parse_care_add(text)
    assert values.items() <= caught.value.values.items()


def test_parse_care_ref() -> None:
    """C-3, c3, #3, 3 and full-width all read; anything else is refused."""
    for text in ("C-3", "c3", "#3", "3", "Ｃ－３", "c - 3"):
        assert parse_care_ref(text) == 3
    for text in ("", "H-3", "C-", "3a"):
        with pytest.raises(BadCareRef):
            parse_care_ref(text)


def test_privacy_sweep_catches_a_care_name_anywhere() -> None:
    """A vulnerable resident's name in a group is a leak even with no room beside it."""
    secrets = Secrets(care_names=frozenset({"王奶奶"}))
    assert leaks("C-3 现在有志愿者了", secrets) == []
    assert leaks("志愿者已经去看 王奶奶 了", secrets)


# -- the rules on the database ------------------------------------------------------------------


@dataclass
class Cast:
    leader: Person
    other_leader: Person
    resident: Person
    volunteer: Person
    helper: Person  # a second volunteer
    building_id: int


async def _cast(sessions: Sessions) -> Cast:
    async with sessions() as s, s.begin():
        people = {
            name: await ensure_person(s, tg_id, name, NOW)
            for tg_id, name in enumerate(
                ("陈组长", "林组长", "李娜", "张志愿", "王志愿"), start=101
            )
        }
        await s.flush()
        community = {"community_name": "阳光花园", "timezone": "Asia/Shanghai"}
        bound = await bind_chat(
            s,
            chat_id=GROUP,
            title="3号楼群",
            building_name="3号楼",
            binder=people["陈组长"],
            is_chat_admin=True,
            now=NOW,
            **community,
        )
        await bind_chat(
            s,
            chat_id=OTHER_GROUP,
            title="5号楼群",
            building_name="5号楼",
            binder=people["林组长"],
            is_chat_admin=True,
            now=NOW,
            **community,
        )
        await register_household(
            s, person=people["李娜"], building_id=bound.building_id, room_text="3-502"
        )
        for name in ("张志愿", "王志愿"):
            people[name].is_volunteer, people[name].skills = True, ["elderly_care"]
        return Cast(
            people["陈组长"],
            people["林组长"],
            people["李娜"],
            people["张志愿"],
            people["王志愿"],
            bound.building_id,
        )


async def _snapshot(sessions: Sessions) -> tuple:
    """Every row a /care command could change."""
    async with sessions() as s:
        residents = (
            await s.execute(
                select(CareResident.id, CareResident.name, CareResident.volunteer_id).order_by(
                    CareResident.id
                )
            )
        ).all()
        tasks = (await s.execute(select(Task.id, Task.status, Task.assignee_id))).all()
        audit = (await s.execute(select(AuditEntry.action))).all()
        return residents, sorted(tasks), sorted(audit)


async def _task(sessions: Sessions, care_id: int) -> Task:
    async with sessions() as s:
        task = await s.scalar(select(Task).where(Task.source_ref == f"care:{care_id}"))
        assert task is not None and task.kind == CARE_GAP
        return task


async def test_pairing_closes_the_gap_and_unpairing_reopens_it(sessions: Sessions) -> None:
    """add → open gap task; pair → done, the volunteer its assignee; unpair → open again."""
    cast = await _cast(sessions)
    async with sessions() as s, s.begin():
        added = await add_care_resident(s, actor=cast.leader, text=ADD, now=NOW)
        second = await add_care_resident(s, actor=cast.leader, text="502 李爷爷 | 残障", now=NOW)
    assert (added.total, added.gaps, second.total, second.gaps) == (1, 1, 2, 2)
    care_id = added.resident.id
    task = await _task(sessions, care_id)
    assert (task.status, task.building_id, task.priority) == (OPEN, cast.building_id, 5)
    async with sessions() as s:
        resident = await s.get(CareResident, care_id)
        assert resident is not None and resident.household_id == cast.resident.household_id
        assert resident.task_id == task.id
        assert (await s.get(CareResident, second.resident.id)).household_id is None

    later = NOW + timedelta(hours=1)
    async with sessions() as s, s.begin():
        paired = await pair_volunteer(
            s,
            actor=cast.leader,
            care_id=care_id,
            volunteer_tg_id=cast.volunteer.tg_user_id,
            now=later,
            chat_id=GROUP,
        )
    assert paired.volunteer is not None and paired.volunteer.id == cast.volunteer.id
    assert (paired.gaps, paired.total, paired.changed, paired.released) == (1, 2, True, None)
    task = await _task(sessions, care_id)
    assert (task.status, task.assignee_id, task.closed_at) == (DONE, cast.volunteer.id, later)

    async with sessions() as s, s.begin():
        again = await pair_volunteer(
            s,
            actor=cast.leader,
            care_id=care_id,
            volunteer_tg_id=cast.volunteer.tg_user_id,
            now=later,
        )
    assert not again.changed and again.gaps == 1

    async with sessions() as s, s.begin():
        swapped = await pair_volunteer(
            s,
            actor=cast.leader,
            care_id=care_id,
            volunteer_tg_id=cast.helper.tg_user_id,
            now=later,
        )
    assert swapped.released is not None and swapped.released.id == cast.volunteer.id
    assert (await _task(sessions, care_id)).assignee_id == cast.helper.id

    async with sessions() as s, s.begin():
        unpaired = await unpair_volunteer(s, actor=cast.leader, care_id=care_id, now=later)
    assert unpaired.released is not None and unpaired.released.id == cast.helper.id
    assert unpaired.gaps == 2
    task = await _task(sessions, care_id)
    assert (task.status, task.assignee_id, task.closed_at) == (OPEN, None, None)
    async with sessions() as s, s.begin():
        with pytest.raises(CareNotPaired):
            await unpair_volunteer(s, actor=cast.leader, care_id=care_id, now=later)
        # Pairing again closes the reopened task once more.
        await pair_volunteer(
            s,
            actor=cast.leader,
            care_id=care_id,
            volunteer_tg_id=cast.volunteer.tg_user_id,
            now=later,
        )
    assert (await _task(sessions, care_id)).status == DONE
    async with sessions() as s:
        actions = sorted((await s.scalars(select(AuditEntry.action))).all())
        assert actions.count("care_pair") == 3 and actions.count("care_add") == 2


async def test_a_gap_claimed_on_the_board_still_closes_on_pairing(sessions: Sessions) -> None:
    """A care_gap someone took from a task board is closed by pairing, not refused."""
    cast = await _cast(sessions)
    async with sessions() as s, s.begin():
        added = await add_care_resident(s, actor=cast.leader, text=ADD, now=NOW)
        resident = await s.get(CareResident, added.resident.id)
        assert resident is not None and resident.task_id is not None
        await claim_task(s, resident.task_id, cast.helper.id, NOW)
    assert (await _task(sessions, added.resident.id)).status == CLAIMED
    async with sessions() as s, s.begin():
        await pair_volunteer(
            s,
            actor=cast.leader,
            care_id=added.resident.id,
            volunteer_tg_id=cast.volunteer.tg_user_id,
            now=NOW,
        )
    task = await _task(sessions, added.resident.id)
    assert (task.status, task.assignee_id) == (DONE, cast.volunteer.id)


async def test_refusals_change_nothing(sessions: Sessions) -> None:
    """Residents, volunteers and other buildings' leaders are refused; nothing is written."""
    cast = await _cast(sessions)
    async with sessions() as s, s.begin():
        care_id = (await add_care_resident(s, actor=cast.leader, text=ADD, now=NOW)).resident.id
    before = await _snapshot(sessions)
    attempts = [
        (cast.resident, NotALeader, "add", {}),
        (cast.volunteer, NotALeader, "add", {"chat_id": GROUP}),
        (cast.other_leader, NotALeader, "add", {"chat_id": GROUP}),
        (cast.resident, NotALeader, "pair", {}),
        (cast.volunteer, NotALeader, "pair", {"chat_id": GROUP}),
        (cast.other_leader, NotALeader, "pair", {}),
        (cast.other_leader, NotALeader, "pair", {"chat_id": GROUP}),
        (cast.other_leader, NoSuchCareResident, "pair", {"chat_id": OTHER_GROUP}),
        (cast.resident, NotALeader, "unpair", {}),
        (cast.resident, NotALeader, "list", {}),
        (cast.volunteer, NotALeader, "list", {"chat_id": GROUP}),
        (cast.other_leader, NotALeader, "list", {"building_id": cast.building_id}),
        # A leader's own mistakes are refused just as cleanly.
        (cast.leader, CareAlreadyListed, "add", {}),
        (cast.leader, CareSyntax, "add", {"text": "3-502 | 独居老人"}),
        (cast.leader, UnknownNeed, "add", {"text": "3-502 王奶奶 | 馋嘴"}),
        (cast.leader, CareWhichBuilding, "add", {"text": "5号楼 502 王奶奶 | 独居老人"}),
        (cast.leader, NoSuchCareResident, "pair", {"care_id": 999}),
        (cast.leader, CareNeedsVolunteer, "pair", {"tg": cast.resident.tg_user_id}),
        (cast.leader, CareNeedsVolunteer, "pair", {"tg": 987654321}),
        (cast.leader, CareNotPaired, "unpair", {}),
    ]
    for actor, error, action, extra in attempts:
        chat_id = extra.get("chat_id")
        with pytest.raises(error):
            async with sessions() as s, s.begin():
                if action == "add":
                    await add_care_resident(
                        s, actor=actor, text=extra.get("text", ADD), now=NOW, chat_id=chat_id
                    )
                elif action == "pair":
                    await pair_volunteer(
                        s,
                        actor=actor,
                        care_id=extra.get("care_id", care_id),
                        volunteer_tg_id=extra.get("tg", cast.volunteer.tg_user_id),
                        now=NOW,
                        chat_id=chat_id,
                    )
                elif action == "unpair":
                    await unpair_volunteer(s, actor=actor, care_id=care_id, now=NOW)
                else:
                    await care_board(
                        s, actor, chat_id=chat_id, building_id=extra.get("building_id")
                    )
        assert await _snapshot(sessions) == before, (actor.name, action)


async def test_which_building(sessions: Sessions) -> None:
    """One building: implied. Several (a coordinator): named first, else a clear question."""
    cast = await _cast(sessions)
    async with sessions() as s, s.begin():
        s.add(Coordinator(person_id=cast.volunteer.id, appointed_at=NOW))
    async with sessions() as s, s.begin():
        with pytest.raises(CareWhichBuilding) as caught:
            await add_care_resident(s, actor=cast.volunteer, text=ADD, now=NOW)
        assert caught.value.values["choices"] == ("3号楼", "5号楼")
        added = await add_care_resident(s, actor=cast.volunteer, text="5号楼 " + ADD, now=NOW)
        assert added.resident.building == "5号楼"
        board = await care_board(s, cast.volunteer, named="5号楼")
        assert [r.name for r in board.residents] == ["王奶奶"]
        with pytest.raises(CareWhichBuilding):
            await care_board(s, cast.volunteer)
        # In a group, the group's building; naming another one is refused.
        with pytest.raises(CareWhichBuilding):
            await add_care_resident(
                s, actor=cast.leader, text="5号楼 " + ADD, now=NOW, chat_id=GROUP
            )
        assert (await care_board(s, cast.leader)).building == "3号楼"


async def test_a_volunteer_sees_only_their_own(sessions: Sessions) -> None:
    """/mycare and start links show a volunteer their residents only; residents see none."""
    cast = await _cast(sessions)
    async with sessions() as s, s.begin():
        mine = await add_care_resident(s, actor=cast.leader, text=ADD, now=NOW)
        theirs = await add_care_resident(s, actor=cast.leader, text="502 李爷爷 | 残障", now=NOW)
        for change, volunteer in ((mine, cast.volunteer), (theirs, cast.helper)):
            await pair_volunteer(
                s,
                actor=cast.leader,
                care_id=change.resident.id,
                volunteer_tg_id=volunteer.tg_user_id,
                now=NOW,
            )
    async with sessions() as s:
        volunteer = await s.get(Person, cast.volunteer.id)
        shown = await care_of_volunteer(s, volunteer)
        assert [(r.name, r.room, r.notes) for r in shown] == [
            ("王奶奶", "3-502", "每天下午要量血压")
        ]
        view, yours = await care_for(s, volunteer, mine.resident.id)
        assert yours and view.needs == ("elderly_alone", "chronic")
        with pytest.raises(NoSuchCareResident):
            await care_for(s, volunteer, theirs.resident.id)
        with pytest.raises(NoSuchCareResident):
            await care_for(s, await s.get(Person, cast.other_leader.id), mine.resident.id)
        view, yours = await care_for(s, await s.get(Person, cast.leader.id), theirs.resident.id)
        assert not yours and view.volunteer == "王志愿"
        with pytest.raises(NotAVolunteer):
            await care_of_volunteer(s, await s.get(Person, cast.resident.id))
        with pytest.raises(NotALeader):
            await care_board(s, volunteer)


async def test_a_forgotten_volunteer_leaves_an_open_gap(sessions: Sessions) -> None:
    """/forgetme unpairs by the foreign key; the next look at the list reopens the gap task."""
    cast = await _cast(sessions)
    async with sessions() as s, s.begin():
        care_id = (await add_care_resident(s, actor=cast.leader, text=ADD, now=NOW)).resident.id
        await pair_volunteer(
            s,
            actor=cast.leader,
            care_id=care_id,
            volunteer_tg_id=cast.volunteer.tg_user_id,
            now=NOW,
        )
    async with sessions() as s, s.begin():
        await forget_person(s, cast.volunteer.id)
    async with sessions() as s, s.begin():
        board = await care_board(s, cast.leader)
        assert board.gaps == 1 and board.residents[0].volunteer is None
    assert (await _task(sessions, care_id)).status == OPEN
