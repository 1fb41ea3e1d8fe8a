"""Volunteer shifts end to end, under both frameworks: the card, the race, rest rules, the clock."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta

from icalendar import Calendar
from sqlalchemy import func, select

from models.people import bound_building, ensure_person, register_household
from models.records import ServiceRecord
from models.shifts import Shift, ShiftAssignment
from models.tasks import Task
from tests.e2e.conftest import BotWorld
from tests.e2e.groupbuy_helpers import buttons, says, start_privately, text_of


@dataclass
class ShiftWorld:
    """3号楼's group, its leader and five volunteers who started the bot."""

    leader: int
    group: int
    volunteers: list[int]


async def shift_world(bot: BotWorld) -> ShiftWorld:
    """The leader binds the group; five registered volunteers open their private chats."""
    people = bot.people
    leader = await people.add_user("陈建国")
    names = ["Sarah", "Tom", "梅梅", "Kai", "Bob"]
    volunteers = [await people.add_user(n) for n in names]
    group = await people.add_group("3号楼邻里群", creator_id=leader, member_ids=volunteers)
    await start_privately(bot, [leader, *volunteers])
    await people.say(leader, group, "/bind 3号楼")
    await people.wait_for(group, says("本群已绑定到", "3号楼"))
    async with bot.sessions() as session, session.begin():
        building = await bound_building(session, group)
        for number, (user, name) in enumerate(zip(volunteers, names, strict=True)):
            person = await ensure_person(session, user, name, bot.clock.now())
            await register_household(
                session, person=person, building_id=building.id, room_text=f"{number + 2}01"
            )
            person.is_volunteer, person.skills = True, ["delivery"]
    return ShiftWorld(leader, group, volunteers)


async def _answered(bot: BotWorld, query: str) -> str:
    for _ in range(200):
        answers = await bot.people.answers(query)
        if answers:
            return answers[0].get("text") or ""
        await asyncio.sleep(0.05)
    raise AssertionError(f"tap {query} was never answered")


async def _take(bot: BotWorld, user: int, chat: int, card: dict, shift_id: int) -> str:
    query = await bot.people.tap(user, chat, card["message_id"], f"sh:take:{shift_id}")
    return await _answered(bot, query)


async def _assigned(bot: BotWorld, shift_id: int) -> int:
    async with bot.sessions() as session:
        return int(
            await session.scalar(select(func.count()).where(ShiftAssignment.shift_id == shift_id))
            or 0
        )


async def test_five_volunteers_race_for_three_slots(bot: BotWorld) -> None:
    """Exactly three get a slot; a drop frees one for another; an overlapping claim is refused."""
    w = await shift_world(bot)
    people = bot.people
    await people.say(w.leader, w.group, "/shift 门岗 Gate duty | 明天 08:00-12:00 | 3")
    card = await people.wait_for(w.group, says("门岗 Gate duty", "0/3"))
    assert buttons(card) == ["sh:take:1", "sh:drop:1"]
    answers = await asyncio.gather(*(_take(bot, v, w.group, card, 1) for v in w.volunteers))
    assert sum("已报名" in a for a in answers) == 3, answers
    assert sum("名额已满" in a for a in answers) == 2, answers
    assert await _assigned(bot, 1) == 3
    await people.wait_for(w.group, says("门岗 Gate duty", "3/3"))
    winners = [v for v, a in zip(w.volunteers, answers, strict=True) if "已报名" in a]
    losers = [v for v in w.volunteers if v not in winners]
    for user in winners:
        await people.wait_for(user, says("你报名了 S-1"))
    # A volunteer drops privately; the card shows the gap; another takes it.
    await people.say(winners[0], winners[0], "/drop S-1")
    await people.wait_for(winners[0], says("你退出了 S-1"))
    card = await people.wait_for(w.group, says("门岗 Gate duty", "2/3", "缺 1 人"))
    assert "已报名" in await _take(bot, losers[0], w.group, card, 1)
    await people.wait_for(w.group, says("门岗 Gate duty", "3/3"))
    # Everyone may read the roster: names of volunteers on duty, never phones.
    await people.say(losers[1], w.group, "/roster week")
    roster = await people.wait_for(w.group, says("值班表", "S-1"))
    assert sum(name in text_of(roster) for name in ("Sarah", "Tom", "梅梅", "Kai", "Bob")) == 3
    # A volunteer's own shifts as a calendar file.
    await people.say(losers[0], losers[0], "/myshifts ics")
    ics = await people.wait_for(losers[0], lambda m: bool(m.get("document")))
    calendar = Calendar.from_ical(await people.file(ics["document"]["file_id"]))
    events = [c for c in calendar.walk("VEVENT")]
    assert [str(e["uid"]) for e in events] == ["shift-1@linli"]
    # An overlapping shift is refused with its reason, and nothing is written.
    await people.say(w.leader, w.group, "/shift 物资 Supplies | 明天 10:00-14:00 | 2")
    second = await people.wait_for(w.group, says("物资 Supplies", "0/2"))
    refused = await _take(bot, winners[1], w.group, second, 2)
    assert "时间重叠" in refused, refused
    assert await _assigned(bot, 2) == 0
    async with bot.sessions() as session:
        slots = (
            await session.execute(
                select(Task.source_ref, Task.status)
                .where(Task.kind == "shift_slot")
                .order_by(Task.source_ref)
            )
        ).all()
        assert slots == [
            ("shift:1:1", "done"),
            ("shift:1:2", "done"),
            ("shift:1:3", "done"),
            ("shift:2:1", "open"),
            ("shift:2:2", "open"),
        ]


async def test_the_clock_reminds_recalls_and_records_hours(bot: BotWorld) -> None:
    """Reminder, re-call of the gap, check-in and check-out buttons, hours served."""
    w = await shift_world(bot)
    people = bot.people
    sarah = w.volunteers[0]
    await people.say(w.leader, w.group, "/shift 门岗 Gate duty | 后天 08:00-12:00 | 2")
    card = await people.wait_for(w.group, says("门岗 Gate duty", "0/2"))
    assert "已报名" in await _take(bot, sarah, w.group, card, 1)
    async with bot.sessions() as session:
        shift = await session.get(Shift, 1)
        assert shift is not None
        start, end = shift.starts_at, shift.ends_at
    bot.clock.advance(start - bot.clock.now() - timedelta(hours=12, minutes=1))
    await bot.app.tick()
    await bot.settle()
    assert not [m for m in await people.bot_messages(sarah) if "⏰ 提醒" in text_of(m)]
    bot.clock.advance(timedelta(minutes=2))  # 11 h 59 min before
    await bot.app.tick()
    await people.wait_for(sarah, says("⏰ 提醒", "S-1"))
    bot.clock.advance(start - bot.clock.now() - timedelta(hours=2))
    await bot.app.tick()
    await people.wait_for(w.group, says("还缺 1 人", "门岗 Gate duty"))
    await people.wait_for(w.leader, says("S-1", "还缺 1 人"))
    bot.clock.advance(start - bot.clock.now())
    await bot.app.tick()
    started = await people.wait_for(sarah, says("开始了", "签到"))
    await people.tap(sarah, sarah, started["message_id"], "sh:in:1")
    await people.wait_for(sarah, says("已签到"))
    bot.clock.advance(end - bot.clock.now())
    await bot.app.tick()
    ended = await people.wait_for(sarah, says("到点了", "签退"))
    await people.tap(sarah, sarah, ended["message_id"], "sh:out:1")
    await people.wait_for(sarah, says("已签退 S-1", "4 小时"))
    await bot.app.tick()  # nothing is sent twice
    async with bot.sessions() as session:
        records = (await session.execute(select(ServiceRecord.kind, ServiceRecord.minutes))).all()
        assert records == [("shift", 240)]


async def test_only_leaders_post_and_bad_input_is_explained(bot: BotWorld) -> None:
    """A volunteer's /shift is refused; a leader's malformed ones get the reason; nothing kept."""
    w = await shift_world(bot)
    people = bot.people
    await people.say(w.volunteers[0], w.group, "/shift 门岗 | 明天 08:00-12:00 | 3")
    await people.wait_for(w.group, says("只有本楼的楼组长"))
    await people.say(w.leader, w.group, "/shift 门岗 | 明天 08:00-08:00 | 3")
    await people.wait_for(w.group, says("08:00-08:00"))
    await people.say(w.leader, w.group, "/shift 门岗 | 明天 08:00-12:00 | 0")
    await people.wait_for(w.group, says("200"))
    await people.say(w.volunteers[0], w.volunteers[0], "/drop S-7")
    await people.wait_for(w.volunteers[0], says("没有找到班次 S-7"))
    async with bot.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Shift)) == 0


async def test_a_week_of_night_shifts_meets_the_weekly_limit(bot: BotWorld) -> None:
    """Nights 22:00-06:00 for 7 days: each is one shift; the sixth night breaks 40 h a week."""
    w = await shift_world(bot)
    people = bot.people
    sarah = w.volunteers[0]
    # Monday noon in the community's zone, so the week's limit falls on known nights.
    local = bot.clock.now().astimezone(bot.app.settings.tz)
    monday = (local - timedelta(days=local.weekday())).replace(
        hour=12, minute=0, second=0, microsecond=0
    ) + timedelta(days=7)
    bot.clock.advance(monday - local)
    await people.say(
        w.leader, w.group, "/shift 夜班 Night watch | daily 22:00-06:00 for 7 days | 1"
    )
    card = await people.wait_for(w.group, says("夜班 Night watch", "0/1"))
    takes = [b for b in buttons(card) if b.startswith("sh:take:")]
    assert len(takes) == 7
    async with bot.sessions() as session:
        first = await session.get(Shift, int(takes[0].rsplit(":", 1)[1]))
        assert first is not None and first.ends_at - first.starts_at == timedelta(hours=8)
    answers = []
    for data in takes[:6]:
        query = await people.tap(sarah, w.group, card["message_id"], data)
        answers.append(await _answered(bot, query))
    assert all("已报名" in a for a in answers[:5]), answers
    assert "这周会有 48 小时" in answers[5] and "40" in answers[5], answers[5]
