"""Help requests end to end, under both frameworks: intake, matching, the race, escalation.

Residents and volunteers are put into the database directly (people, households, skills); all
they then do goes through the sandbox as Telegram messages and button taps.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from models.help_requests import HelpRequest
from models.people import Coordinator, bound_building, ensure_person, register_household
from models.records import ServiceRecord
from models.tasks import Task, TaskEscalation
from tests.e2e.conftest import BotWorld
from tests.e2e.groupbuy_helpers import buttons, says, start_privately, text_of

DESCRIPTION = "需要降压药 硝苯地平 两盒，药盒在门口鞋柜上"


@dataclass
class HelpWorld:
    """3号楼 with a residents' group, a volunteers' group, residents and volunteers."""

    leader: int
    group: int
    volunteers_group: int
    wang: int  # 3-502, asks for help
    li: int  # 3-601, another household
    sarah: int  # medical, reachable
    tom: int  # delivery, reachable
    mei: int  # nursing, resting
    kai: int  # psych only: never matched for medicine
    bob: int  # medical, never started the bot


async def help_world(bot: BotWorld) -> HelpWorld:
    """Bind both groups of 3号楼 and register everyone; the reachable ones start the bot."""
    people = bot.people
    leader = await people.add_user("陈建国")
    names = ["王阿姨", "李叔", "Sarah", "Tom", "梅梅", "Kai", "Bob"]
    ids = [await people.add_user(n) for n in names]
    wang, li, sarah, tom, mei, kai, bob = ids
    group = await people.add_group("3号楼邻里群", creator_id=leader, member_ids=ids)
    volunteers = await people.add_group(
        "3号楼志愿者", creator_id=leader, member_ids=[sarah, tom, mei, kai, bob]
    )
    await start_privately(bot, [leader])
    await people.say(leader, group, "/bind 3号楼")
    await people.wait_for(group, says("本群已绑定到", "3号楼"))
    await people.say(leader, volunteers, "/bind 3号楼 志愿者")
    await people.wait_for(volunteers, says("志愿者群"))
    rooms = ["3-502", "3-601", "3-701", "3-702", "3-801", "3-802", "3-901"]
    skills = [[], [], ["medical"], ["delivery"], ["nursing"], ["psych"], ["medical"]]
    async with bot.sessions() as session, session.begin():
        building = await bound_building(session, group)
        for user, name, room, skill in zip(ids, names, rooms, skills, strict=True):
            person = await ensure_person(session, user, name, bot.clock.now())
            await register_household(
                session, person=person, building_id=building.id, room_text=room
            )
            person.phone = "13912345678" if user == wang else None
            if skill:
                person.is_volunteer, person.skills = True, skill
            person.available = user != mei
    await start_privately(bot, [wang, li, sarah, tom, mei, kai])
    return HelpWorld(leader, group, volunteers, wang, li, sarah, tom, mei, kai, bob)


async def _tap_in(bot: BotWorld, user: int, chat: int, message: dict, prefix: str) -> str:
    data = next(b for b in buttons(message) if b.startswith(prefix))
    return await bot.people.tap(user, chat, message["message_id"], data)


async def _answered(bot: BotWorld, query: str) -> str:
    for _ in range(200):
        answers = await bot.people.answers(query)
        if answers:
            return answers[0].get("text") or ""
        await asyncio.sleep(0.05)
    raise AssertionError(f"tap {query} was never answered")


async def _file(
    bot: BotWorld,
    user: int,
    *,
    category: str,
    urgency: str,
    whom: str,
    text: str = DESCRIPTION,
    neighbour: str | None = None,
) -> dict:
    """Walk the /request wizard with taps; returns the receipt."""
    people = bot.people
    await people.say(user, user, "/request")
    ask = await people.wait_for(user, says("需要哪方面的帮助"))
    await _tap_in(bot, user, user, ask, f"hr:cat:{category}")
    ask = await people.wait_for(user, says("有多急"))
    await _tap_in(bot, user, user, ask, f"hr:urg:{urgency}")
    await people.wait_for(user, says("请用文字说说需要什么帮助"))
    await people.say(user, user, text)
    ask = await people.wait_for(user, says("这是为谁求助"))
    await _tap_in(bot, user, user, ask, f"hr:who:{whom}")
    if neighbour is not None:
        await people.wait_for(user, says("邻居的房号"))
        await people.say(user, user, neighbour)
    confirm = await people.wait_for(user, says("请确认你的求助"))
    await _tap_in(bot, user, user, confirm, "hr:ok:1")
    return await people.wait_for(user, says("求助已提交"))


async def test_a_request_reaches_one_volunteer_and_is_rated(bot: BotWorld) -> None:
    """Intake → anonymous card + matched invitations → two taps at once → one winner → done."""
    w = await help_world(bot)
    people = bot.people
    receipt = await _file(bot, w.wang, category="medicine", urgency="urgent", whom="self")
    # An urgent medical need hears the emergency number before anything else is asked.
    await people.wait_for(w.wang, says("马上拨打 120"))
    assert "H-1" in text_of(receipt) and "已私信 2 位" in text_of(receipt)
    card = await people.wait_for(w.volunteers_group, says("H-1", "3号楼", "药品", "紧急"))
    for private in (DESCRIPTION, "王阿姨", "502", "13912345678"):
        assert private not in text_of(card)
    # Sarah (medical) and Tom (delivery) are invited; resting Mei, psych-only Kai and Bob
    # (whom Linli cannot reach) are not.
    invite_s = await people.wait_for(w.sarah, says("有邻居需要帮助", "H-1"))
    await people.wait_for(w.tom, says("有邻居需要帮助", "H-1"))
    for user in (w.mei, w.kai):
        assert not [m for m in await people.bot_messages(user) if "H-1" in text_of(m)]
    assert DESCRIPTION not in text_of(invite_s)

    taps = await asyncio.gather(
        _tap_in(bot, w.sarah, w.sarah, invite_s, "hp:take:"),
        _tap_in(bot, w.tom, w.volunteers_group, card, "hp:take:"),
    )
    # Both taps are handled once both are answered (a tap's answer is sent after its commit).
    for query in taps:
        await _answered(bot, query)
    await bot.settle()
    got = {
        user: [m for m in await people.bot_messages(user) if DESCRIPTION in text_of(m)]
        for user in (w.sarah, w.tom)
    }
    winners = [user for user, messages in got.items() if messages]
    assert len(winners) == 1, got
    winner = winners[0]
    details = got[winner][0]
    assert "3-502" in text_of(details) and "13912345678" in text_of(details)
    loser = w.tom if winner == w.sarah else w.sarah
    answers = [a["text"] or "" for a in await people.answers()]
    assert any("已经有人接了" in a for a in answers), answers
    name = "Sarah" if winner == w.sarah else "Tom"
    await people.wait_for(w.wang, says("志愿者", name, "接了你的求助 H-1"))
    await people.wait_for(w.volunteers_group, says("H-1", "已接单"))
    assert not [m for m in await people.bot_messages(loser) if DESCRIPTION in text_of(m)]

    # Only the winner may finish it; the loser is told so.
    await people.say(loser, loser, "/done H-1 30")
    await people.wait_for(loser, says("H-1 不是你接的单"))
    await people.say(winner, winner, "/done H-1 90 送到了")
    await people.wait_for(winner, says("H-1 已完成", "1 小时 30 分钟"))
    rate = await people.wait_for(w.wang, says("已由", "完成", "评价"))
    await _tap_in(bot, w.wang, w.wang, rate, "hp:rate:1:5")
    await people.wait_for(w.wang, says("谢谢你的评价", "⭐⭐⭐⭐⭐"))
    await people.wait_for(w.volunteers_group, says("H-1", "已完成"))
    async with bot.sessions() as session:
        request = await session.get(HelpRequest, 1)
        assert request is not None and request.rating == 5 and request.minutes == 90
        task = await session.get(Task, request.task_id)
        assert task is not None and task.status == "done"
        records = (await session.scalars(select(ServiceRecord))).all()
        assert [(r.kind, r.minutes, r.source_ref) for r in records] == [("help", 90, "help:1")]


async def test_an_unclaimed_request_escalates_then_runs_late(bot: BotWorld) -> None:
    """A proxy request nobody can take: leaders at 10 min, coordinators at 30; then overdue."""
    w = await help_world(bot)
    people = bot.people
    coordinator = await people.add_user("Coordinator Zhou", language_code="en")
    await start_privately(bot, [coordinator])
    async with bot.sessions() as session, session.begin():
        person = await ensure_person(session, coordinator, "Coordinator Zhou", bot.clock.now())
        await session.flush()
        session.add(Coordinator(person_id=person.id, appointed_at=bot.clock.now()))
    # Food for a neighbour without a phone; only Tom (delivery) fits, and he is resting now.
    await people.say(w.tom, w.tom, "/rest")
    await people.wait_for(w.tom, says("休息"))
    receipt = await _file(
        bot, w.li, category="food", urgency="urgent", whom="neighbour", neighbour="3-1101"
    )
    assert "已在志愿者群发了匿名卡片" in text_of(receipt)
    bot.clock.advance(timedelta(minutes=5))
    await bot.app.tick()
    await bot.settle()
    assert not [m for m in await people.bot_messages(w.leader) if "H-1" in text_of(m)]
    bot.clock.advance(timedelta(minutes=6))
    await bot.app.tick()
    alert = await people.wait_for(w.leader, says("H-1", "还没有人接", "3-1101"))
    assert "11 分钟" in text_of(alert)
    bot.clock.advance(timedelta(minutes=20))
    await bot.app.tick()
    await people.wait_for(coordinator, says("H-1", "nobody taking it"))
    await bot.app.tick()  # a second tick takes no step twice
    # Tom is back and takes it from the card; the details name the neighbour's room.
    await people.say(w.tom, w.tom, "/back")
    await people.wait_for(w.volunteers_group, says("H-1", "等待志愿者"))
    await people.say(w.tom, w.tom, "/mytasks")
    board = await people.wait_for(w.tom, says("可以接的求助", "H-1"))
    assert "3-1101" not in text_of(board)  # the room only reaches whoever takes it
    await _tap_in(bot, w.tom, w.tom, board, "hp:take:1")
    await people.wait_for(w.tom, says("你接了", "H-1", "3-1101", "代邻居求助"))
    # Past the due time (2 h for urgent): Tom is reminded, an hour later the leaders.
    bot.clock.advance(timedelta(hours=2))
    await bot.app.tick()
    await people.wait_for(w.tom, says("H-1", "已到期"))
    bot.clock.advance(timedelta(hours=1))
    await bot.app.tick()
    await people.wait_for(w.leader, says("H-1", "超时未完成", "Tom"))
    await people.say(w.leader, w.leader, "/requests")
    await people.wait_for(w.leader, says("进行中的求助", "H-1", "超时", "已提醒"))
    async with bot.sessions() as session:
        steps = await session.scalars(select(TaskEscalation.step).order_by(TaskEscalation.id))
        assert list(steps) == [
            "unclaimed_leaders",
            "unclaimed_coordinators",
            "overdue_volunteer",
            "overdue_leaders",
        ]
    # The whole time, the residents' group heard nothing about it.
    for message in await people.bot_messages(w.group):
        assert "H-1" not in text_of(message)


async def test_requests_stay_private_and_refuse_the_wrong_people(bot: BotWorld) -> None:
    """In a group only a link; strangers cannot cancel, finish or read; adding to an open one."""
    w = await help_world(bot)
    people = bot.people
    await people.say(w.wang, w.group, "/request")
    link = await people.wait_for(w.group, says("请私聊我"))
    urls = [b.get("url", "") for row in link["reply_markup"]["inline_keyboard"] for b in row]
    assert any("start=hq" in u for u in urls)
    await _file(bot, w.wang, category="errand", urgency="week", whom="household")
    # A second errand from the same household is offered as an addition to H-1.
    await people.say(w.wang, w.wang, "/request")
    ask = await people.wait_for(w.wang, says("需要哪方面的帮助"))
    await _tap_in(bot, w.wang, w.wang, ask, "hr:cat:errand")
    offer = await people.wait_for(w.wang, says("已经有一个进行中的同类求助", "H-1"))
    await _tap_in(bot, w.wang, w.wang, offer, "hr:dup:1")
    await people.wait_for(w.wang, says("要补充的内容"))
    await people.say(w.wang, w.wang, "顺便取一个快递")
    confirm = await people.wait_for(w.wang, says("请确认你的求助", "补充到 H-1"))
    await _tap_in(bot, w.wang, w.wang, confirm, "hr:ok:1")
    await people.wait_for(w.wang, says("已补充到", "H-1"))
    # Li's household did not ask: it can neither cancel nor rate; residents see no board.
    await people.say(w.li, w.li, "/cancel H-1")
    await people.wait_for(w.li, says("H-1 不是你家发出的求助"))
    await people.say(w.li, w.li, "/requests")
    await people.wait_for(w.li, says("楼组长"))
    await people.say(w.li, w.li, "/done H-1 30")
    await people.wait_for(w.li, says("志愿者"))
    # Writing to the bot offers the wizard; a description over 1,000 characters is refused
    # with the limit, and the wizard waits.
    await people.say(w.li, w.li, "楼下有人能帮我吗")
    offer = await people.wait_for(w.li, says("需要帮助吗"))
    await _tap_in(bot, w.li, w.li, offer, "hr:ask")
    ask = await people.wait_for(w.li, says("需要哪方面的帮助"))
    await _tap_in(bot, w.li, w.li, ask, "hr:cat:other")
    ask = await people.wait_for(w.li, says("有多急"))
    await _tap_in(bot, w.li, w.li, ask, "hr:urg:today")
    await people.wait_for(w.li, says("请用文字说说需要什么帮助"))
    await people.say(w.li, w.li, "太" * 1001)
    await people.wait_for(w.li, says("1001", "1000"))
    await people.say(w.li, w.li, "/cancel")
    await people.wait_for(w.li, says("已退出"))
    async with bot.sessions() as session:
        requests = (await session.scalars(select(HelpRequest))).all()
        assert [(r.id, r.category, len(r.additions)) for r in requests] == [(1, "errand", 1)]
    # Wang cancels: the card says so and nobody is left with a button to take it.
    await people.say(w.wang, w.wang, "/cancel H-1")
    await people.wait_for(w.wang, says("已取消求助 H-1"))
    card = await people.wait_for(w.volunteers_group, says("H-1", "已取消"))
    assert not buttons(card)
