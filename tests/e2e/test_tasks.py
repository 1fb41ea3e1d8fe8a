"""/tasks end to end, under both frameworks: one board over help, shift gaps and follow-ups."""

from __future__ import annotations

from sqlalchemy import select

from models.help_requests import file_request
from models.people import Person, bound_building, find_person
from models.shifts import ShiftAssignment
from models.tasks import Task, open_task
from tests.e2e.conftest import BotWorld
from tests.e2e.groupbuy_helpers import buttons, says, text_of
from tests.e2e.test_shifts import shift_world


async def test_one_board_for_leaders_and_volunteers(bot: BotWorld) -> None:
    """The leader sees every kind; a volunteer takes a shift slot and a follow-up from it."""
    w = await shift_world(bot)
    people = bot.people
    sarah, tom = w.volunteers[:2]
    await people.say(w.leader, w.group, "/shift 门岗 Gate duty | 明天 08:00-12:00 | 1")
    await people.wait_for(w.group, says("门岗 Gate duty", "0/1"))
    async with bot.sessions() as session, session.begin():
        building = await bound_building(session, w.group)
        tom_person = await find_person(session, tom)
        assert tom_person is not None
        await file_request(
            session,
            person=tom_person,
            category="food",
            urgency="today",
            description="买米",
            for_whom="self",
            neighbour_room=None,
            now=bot.clock.now(),
            tz=bot.app.settings.tz,
        )
        sarah_person = await find_person(session, sarah)
        assert sarah_person is not None
        await open_task(
            session,
            kind="rollcall_followup",
            source_ref="test:1",
            now=bot.clock.now(),
            building_id=building.id,
            details={"household_id": sarah_person.household_id},
        )
    await people.say(w.leader, w.leader, "/tasks")
    board = await people.wait_for(w.leader, says("本楼的任务"))
    for shown in ("求助 H-1", "排班缺口 S-1", "点名跟进"):
        assert shown in text_of(board), text_of(board)
    assert not buttons(board)  # leaders act through each capability's own commands
    await people.say(w.leader, w.leader, "/tasks 排班")
    only = await people.wait_for(w.leader, says("本楼的任务", "（排班）"))
    assert "H-1" not in text_of(only)
    # Sarah's board offers what she may take; the slot button is the shift card's own.
    await people.say(sarah, sarah, "/tasks")
    mine = await people.wait_for(sarah, says("可以接的任务", "S-1"))
    assert "sh:take:1" in buttons(mine)
    await people.tap(sarah, sarah, mine["message_id"], "sh:take:1")
    await people.wait_for(sarah, says("你报名了 S-1"))
    followup = next(b for b in buttons(mine) if b.startswith("tk:take:"))
    await people.tap(sarah, sarah, mine["message_id"], followup)
    await people.wait_for(sarah, says("你认领了", "点名跟进"))
    await people.say(sarah, sarah, "/tasks mine")
    taken = await people.wait_for(sarah, says("（我负责的）", "我负责"))
    done = next(b for b in buttons(taken) if b.startswith("tk:done:"))
    await people.tap(sarah, sarah, taken["message_id"], done)
    await people.wait_for(sarah, says("已完成，谢谢"))
    async with bot.sessions() as session:
        statuses = dict((await session.execute(select(Task.source_ref, Task.status))).all())
        assert statuses["test:1"] == "done" and statuses["shift:1:1"] == "done"
        assert await session.scalar(select(ShiftAssignment.person_id)) == (
            await session.scalar(select(Person.id).where(Person.tg_user_id == sarah))
        )
    # An unknown filter is answered with the ones that exist.
    await people.say(w.leader, w.leader, "/tasks urgentest")
    await people.wait_for(w.leader, says("不认识的筛选", "/tasks mine"))
