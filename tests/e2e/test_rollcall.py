"""Rollcalls end to end, under both frameworks and both databases, with a moved clock."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select

from models.care import CareResident
from models.people import bound_building, ensure_person, register_household
from models.rollcalls import RollcallRun
from models.tasks import Task
from tests.e2e.conftest import BotWorld
from tests.e2e.groupbuy_helpers import buttons, says, start_privately, text_of

ROOMS = ["201", "202", "203", "204"]


@dataclass
class RollcallWorld:
    """3号楼's group, its leader and one resident per room (all started the bot)."""

    leader: int
    group: int
    residents: list[int]
    outsider: int  # in the group, but registered in no household here


async def rollcall_world(bot: BotWorld) -> RollcallWorld:
    """The leader binds the group; four households register (in the database)."""
    # Each test starts at 06:00 local, before any rollcall window, whenever it runs.
    await _to_next(bot, 6)
    people = bot.people
    leader = await people.add_user("陈建国")
    names = ["Sarah", "Tom", "梅梅", "Kai"]
    residents = [await people.add_user(n) for n in names]
    outsider = await people.add_user("路人")
    group = await people.add_group(
        "3号楼邻里群", creator_id=leader, member_ids=[*residents, outsider]
    )
    await start_privately(bot, [leader, *residents])
    await people.say(leader, group, "/bind 3号楼")
    await people.wait_for(group, says("本群已绑定到", "3号楼"))
    async with bot.sessions() as session, session.begin():
        building = await bound_building(session, group)
        for user, name, room in zip(residents, names, ROOMS, strict=True):
            person = await ensure_person(session, user, name, bot.clock.now())
            await register_household(
                session, person=person, building_id=building.id, room_text=room
            )
    return RollcallWorld(leader, group, residents, outsider)


async def _answered(bot: BotWorld, query: str) -> str:
    for _ in range(200):
        answers = await bot.people.answers(query)
        if answers:
            return answers[0].get("text") or ""
        await asyncio.sleep(0.05)
    raise AssertionError(f"tap {query} was never answered")


async def _tap(bot: BotWorld, user: int, chat: int, card: dict, data: str) -> str:
    return await _answered(bot, await bot.people.tap(user, chat, card["message_id"], data))


async def _to_next(bot: BotWorld, hour: int, minute: int = 0) -> None:
    """Move the clock to the next hour:minute in the community's zone, then tick."""
    local = bot.clock.now().astimezone(bot.app.settings.tz)
    target = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if target <= local:
        target += timedelta(days=1)
    bot.clock.advance(target - local)
    await bot.app.tick()


async def _runs(bot: BotWorld) -> int:
    async with bot.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(RollcallRun)) or 0)


async def test_daily_rollcall_open_answers_remind_close_report(bot: BotWorld) -> None:
    """Scheduled open → answers (one needs help) → reminder to the silent → report of the silent."""
    w = await rollcall_world(bot)
    people = bot.people
    sarah, tom, meimei, kai = w.residents
    await people.say(w.leader, w.group, "/rollcall daily 08:00-10:00 | 每日报平安 Daily check-in")
    await people.wait_for(w.group, says("已安排点名 R-1", "每天 08:00"))
    await _to_next(bot, 8)
    card = await people.wait_for(w.group, says("每日报平安", "已回复 0 / 4"))
    assert buttons(card) == ["rc:a:1:well", "rc:a:1:help"]
    # A restart mid-window: the new process ticks on start and opens nothing twice.
    await bot.restart()
    await bot.app.tick()
    await bot.app.tick()
    assert await _runs(bot) == 1
    assert "已报平安" in await _tap(bot, sarah, w.group, card, "rc:a:1:well")
    assert "需要帮助" in await _tap(bot, tom, w.group, card, "rc:a:1:help")
    await people.wait_for(tom, says("H-1", "需要帮助"))
    refused = await _answered(
        bot, await people.tap(w.outsider, w.group, card["message_id"], "rc:a:1:well", force=True)
    )
    assert "不在名单" in refused
    async with bot.sessions() as session:
        help_task = await session.scalar(select(Task).where(Task.kind == "help"))
        assert help_task is not None and help_task.status == "open"
    # 80 % of the window: 09:36. Only the two silent households hear about it.
    await _to_next(bot, 9, 36)
    await people.wait_for(meimei, says("⏰", "每日报平安"))
    await people.wait_for(kai, says("⏰", "每日报平安"))
    await bot.settle()
    for user in (sarah, tom):
        assert not [m for m in await people.bot_messages(user) if "⏰" in text_of(m)]
    await _to_next(bot, 10)
    report = await people.wait_for(w.leader, says("点名报告", "覆盖率 50%"))
    silent = text_of(report).split("未回复（2）：")[1].split("\n")[0]
    assert silent == "203、204"
    assert "202 H-1" in text_of(report)
    # The card's edits wait out its gap (20 s of real time, delivery's own clock).
    final = await people.wait_for(
        w.group, says("已于 10:00 结束", "已回复 2 / 4", "✅ 1", "🆘 1"), timeout=40
    )
    assert buttons(final) == []
    late = await _answered(
        bot, await people.tap(meimei, w.group, card["message_id"], "rc:a:1:well", force=True)
    )
    assert "已于 10:00 结束" in late
    cards = [m for m in await people.bot_messages(w.group) if "已回复" in text_of(m)]
    assert len(cards) == 1, "one card, edited in place across the restart"


async def test_two_silent_runs_open_a_followup_for_volunteers(bot: BotWorld) -> None:
    """Households silent on two days running become follow-up tasks a volunteer can claim."""
    w = await rollcall_world(bot)
    people = bot.people
    sarah, tom, meimei, _kai = w.residents
    async with bot.sessions() as session, session.begin():
        volunteer = await ensure_person(session, sarah, "Sarah", bot.clock.now())
        volunteer.is_volunteer = True
    await people.say(w.leader, w.group, "/rollcall daily 08:00-09:00 | 报平安")
    await people.wait_for(w.group, says("已安排点名 R-1"))
    for day in (1, 2):
        await _to_next(bot, 8)
        # Day 2's card does not wait out the gap of day 1's closing edit.
        card = await people.wait_for(w.group, lambda m, d=day: f"rc:a:{d}:well" in buttons(m))
        assert "已报平安" in await _tap(bot, sarah, w.group, card, f"rc:a:{day}:well")
        if day == 1:
            assert "已报平安" in await _tap(bot, tom, w.group, card, f"rc:a:{day}:well")
        await _to_next(bot, 9)
        await people.wait_for(w.leader, says("点名报告", f"{bot.clock.now():%m-%d}"))
    report = await people.wait_for(w.leader, says("连续两次未回复"))
    assert "203" in text_of(report) and "204" in text_of(report)
    assert "202" not in text_of(report).split("连续两次未回复")[1]
    offer = await people.wait_for(sarah, says("🚪", "203"))
    task_id = int(buttons(offer)[0].split(":")[-1])
    taken = await _answered(
        bot, await people.tap(sarah, sarah, offer["message_id"], buttons(offer)[0])
    )
    assert taken == "" or "跟进" in taken
    await people.wait_for(sarah, says("交给你了", "203"))
    async with bot.sessions() as session:
        task = await session.get(Task, task_id)
        assert task is not None and (task.kind, task.status) == ("rollcall_followup", "claimed")
        kinds = (await session.execute(select(Task.kind, func.count()).group_by(Task.kind))).all()
        assert dict(kinds)["rollcall_followup"] == 2
    del meimei


async def test_care_could_not_reach_is_urgent_and_pings_leaders(bot: BotWorld) -> None:
    """A care rollcall asks the volunteer privately; "could not reach" is urgent and told."""
    w = await rollcall_world(bot)
    people = bot.people
    sarah = w.residents[0]
    async with bot.sessions() as session, session.begin():
        building = await bound_building(session, w.group)
        volunteer = await ensure_person(session, sarah, "Sarah", bot.clock.now())
        volunteer.is_volunteer = True
        session.add(
            CareResident(
                building_id=building.id,
                room="301",
                name="王奶奶",
                needs=["elderly_alone"],
                volunteer_id=volunteer.id,
                created_at=bot.clock.now(),
            )
        )
    await people.say(w.leader, w.group, "/rollcall now 1m | 探访 | care")
    await people.wait_for(w.group, says("已安排点名 R-1", "现在开始"))
    card = await people.wait_for(w.group, says("探访", "已回复 0 / 1"))
    assert buttons(card) == []
    round_ = await people.wait_for(sarah, says("🩺", "王奶奶"))
    unreachable = [b for b in buttons(round_) if b.endswith(":unreachable")]
    assert len(unreachable) == 1
    await _answered(bot, await people.tap(sarah, sarah, round_["message_id"], unreachable[0]))
    await people.wait_for(sarah, says("已记下", "联系不上"))
    await people.wait_for(w.leader, says("🚨", "联系不上", "王奶奶", "301"))
    async with bot.sessions() as session:
        task = await session.scalar(select(Task).where(Task.kind == "care_check"))
        assert task is not None and task.priority >= 30 and task.status == "open"
    bot.clock.advance(timedelta(minutes=1))
    await bot.app.tick()
    await people.wait_for(w.leader, says("点名报告", "联系不上（1）", "301 王奶奶"))


async def test_runs_missed_while_down_are_told_to_the_leaders_once(bot: BotWorld) -> None:
    """Three days without Linli: the leader hears once which runs were missed; nobody else."""
    w = await rollcall_world(bot)
    people = bot.people
    await people.say(w.leader, w.group, "/rollcall daily 08:00-09:00 | 报平安")
    await people.wait_for(w.group, says("已安排点名 R-1"))
    await _to_next(bot, 8)
    await _to_next(bot, 9)
    await people.wait_for(w.leader, says("点名报告"))
    # Down from 09:00 until 10:00 three days later: no tick in between.
    bot.clock.advance(timedelta(days=3, hours=1))
    await bot.app.tick()
    await bot.app.tick()
    note = await people.wait_for(w.leader, says("⚠️", "R-1", "错过了 3 次"))
    await bot.settle()
    notes = [m for m in await people.bot_messages(w.leader) if "错过了" in text_of(m)]
    assert notes == [note], "told once, however often the clock ticks"
    for user in w.residents:
        assert not [m for m in await people.bot_messages(user) if "错过" in text_of(m)]
    assert await _runs(bot) == 4
    # The list is for leaders: a resident asking is refused, the leader sees the missed run.
    await people.say(w.residents[0], w.group, "/rollcalls")
    await people.wait_for(w.group, says("只有本楼的楼组长"))
    await people.say(w.leader, w.group, "/rollcalls")
    await people.wait_for(w.group, says("R-1", "（错过）"))
