"""Urgent calls, swaps, drop re-calls and /fatigue end to end, under both frameworks."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import func, select

from models.people import (
    Building,
    Person,
    bound_building,
    ensure_building,
    ensure_person,
    register_household,
)
from models.records import record_service
from models.shift_calls import CallInvite
from models.shifts import Shift, ShiftAssignment
from tests.e2e.conftest import BotWorld
from tests.e2e.groupbuy_helpers import buttons, says, start_privately, text_of
from tests.e2e.test_shifts import _answered, _take, shift_world


async def _on(bot: BotWorld, shift_id: int) -> set[str]:
    """The names of the volunteers on a shift."""
    async with bot.sessions() as session:
        rows = await session.scalars(
            select(Person.display_name)
            .join(ShiftAssignment, ShiftAssignment.person_id == Person.id)
            .where(ShiftAssignment.shift_id == shift_id)
        )
        return set(rows)


async def test_urgent_call_fills_from_private_answers_and_widens(bot: BotWorld) -> None:
    """First three of four invited are assigned, the fourth told it is full; an unfilled call
    widens to the community after ten minutes and the leader hears it; resting never asked."""
    w = await shift_world(bot)
    people = bot.people
    sarah, tom, meimei, kai, bob = w.volunteers
    driver = await people.add_user("Dan")
    await start_privately(bot, [driver])
    async with bot.sessions() as session, session.begin():
        building = await bound_building(session, w.group)
        other = await ensure_building(session, building.community_id, "5号楼", bot.clock.now())
        person = await ensure_person(session, driver, "Dan", bot.clock.now())
        await register_household(session, person=person, building_id=other.id, room_text="101")
        person.is_volunteer, person.skills = True, ["driving"]
        resting = await session.scalar(select(Person).where(Person.tg_user_id == bob))
        assert resting is not None
        resting.available = False
    await people.say(w.leader, w.group, "/call 卸货 Unloading vegetables | +1h | 3")
    await people.wait_for(w.group, says("急召", "卸货 Unloading vegetables", "0/3"))
    await people.wait_for(w.leader, says("邀请了 4 位"))
    invites = {
        v: await people.wait_for(v, says("急召 S-1", "还缺 3 人"))
        for v in (sarah, tom, meimei, kai)
    }
    assert all(buttons(m) == ["sh:come:1"] for m in invites.values())
    taps = [
        await people.tap(v, v, invites[v]["message_id"], "sh:come:1") for v in (sarah, tom, meimei)
    ]
    answers = await asyncio.gather(*(_answered(bot, q) for q in taps))
    assert all("S-1" in a and "谢谢" in a for a in answers), answers
    assert await _on(bot, 1) == {"Sarah", "Tom", "梅梅"}
    # The fourth invitation now says it is full, without its button; a stale tap changes nothing.
    full = await people.wait_for(kai, says("S-1", "已经满员"))
    assert buttons(full) == []
    late = await people.tap(kai, kai, invites[kai]["message_id"], "sh:come:1", force=True)
    assert "名额已满" in await _answered(bot, late)
    await people.wait_for(w.group, says("卸货 Unloading vegetables", "3/3", "Sarah"))
    await people.wait_for(sarah, says("S-1", "你来了"))
    assert not [m for m in await people.bot_messages(bob) if "急召" in text_of(m)]
    # A call nobody in the building can fill: only the community's driver fits.
    await people.say(w.leader, w.group, "/call 送药 Medicine run | +2h | 1 | skill: driving")
    await people.wait_for(w.group, says("送药 Medicine run", "0/1"))
    await people.wait_for(w.leader, says("S-2", "邀请了 0 位"))
    bot.clock.advance(timedelta(minutes=9))
    await bot.app.tick()
    await bot.settle()
    assert not [m for m in await people.bot_messages(driver) if "急召" in text_of(m)]
    bot.clock.advance(timedelta(minutes=1))
    await bot.app.tick()
    await people.wait_for(w.leader, says("S-2", "已扩大到全社区", "1 位"))
    invite = await people.wait_for(driver, says("急召 S-2", "3号楼"))
    await people.tap(driver, driver, invite["message_id"], "sh:come:2")
    await people.wait_for(driver, says("S-2", "你来了"))
    await bot.app.tick()  # each step once: no second widening, no second leader message
    await bot.settle()
    widened = [m for m in await people.bot_messages(w.leader) if "已扩大到全社区" in text_of(m)]
    assert len(widened) == 1
    async with bot.sessions() as session:
        asked = (
            await session.execute(
                select(CallInvite.shift_id, func.count(), func.count(CallInvite.answered_at))
                .group_by(CallInvite.shift_id)
                .order_by(CallInvite.shift_id)
            )
        ).all()
        assert asked == [(1, 4, 4), (2, 1, 1)]


async def test_swap_and_the_drop_recall(bot: BotWorld) -> None:
    """A swap goes to the first eligible taker, both told; drops re-call once per shift."""
    w = await shift_world(bot)
    people = bot.people
    sarah, tom, meimei, kai, _bob = w.volunteers
    await people.say(w.leader, w.group, "/shift 门岗 Gate duty | 明天 08:00-12:00 | 2")
    card = await people.wait_for(w.group, says("门岗 Gate duty", "0/2"))
    for volunteer in (sarah, tom):
        assert "已报名" in await _take(bot, volunteer, w.group, card, 1)
    await people.say(kai, kai, "/swap S-1")
    await people.wait_for(kai, says("你没有报名 S-1"))
    await people.say(sarah, sarah, "/swap S-1")
    await people.wait_for(sarah, says("已在群里发出换班", "S-1"))
    offer = await people.wait_for(w.group, says("换班", "Sarah", "S-1"))
    assert buttons(offer) == ["sh:swap:1"]

    async def tap_offer(user: int) -> str:
        return await _answered(
            bot, await people.tap(user, w.group, offer["message_id"], "sh:swap:1")
        )

    assert "自己发起" in await tap_offer(sarah)
    assert "已经报名了 S-1" in await tap_offer(tom)
    # Two eligible volunteers tap at once: exactly one takes over.
    results = await asyncio.gather(tap_offer(meimei), tap_offer(kai))
    assert sum("你接了 S-1" in r for r in results) == 1, results
    taker = meimei if "你接了 S-1" in results[0] else kai
    taker_name = "梅梅" if taker == meimei else "Kai"
    await people.wait_for(sarah, says(taker_name, "接了你在 S-1"))
    await people.wait_for(taker, says("你接了 Sarah 的班", "S-1"))
    await people.wait_for(w.group, says("S-1", f"{taker_name} 接了 Sarah 的班"))
    assert await _on(bot, 1) == {"Tom", taker_name}
    await people.wait_for(w.group, says("门岗 Gate duty", "2/2", taker_name))
    # Two drops, one re-call message in the group, edited to the latest gap.
    await people.say(tom, tom, "/drop S-1")
    await people.wait_for(w.group, says("S-1", "有人退出", "还缺 1 人"))
    await people.say(taker, taker, "/drop S-1")
    recall = await people.wait_for(w.group, says("S-1", "有人退出", "还缺 2 人"))
    assert buttons(recall) == ["sh:take:1"]
    recalls = [m for m in await people.bot_messages(w.group) if "有人退出" in text_of(m)]
    assert len(recalls) == 1
    # A shift that has started cannot be swapped.
    assert "已报名" in await _take(bot, sarah, w.group, card, 1)
    async with bot.sessions() as session:
        shift = await session.get(Shift, 1)
        assert shift is not None
        start = shift.starts_at
    bot.clock.advance(start - bot.clock.now() + timedelta(minutes=5))
    await people.say(sarah, sarah, "/swap S-1")
    await people.wait_for(sarah, says("S-1 已经开始"))


async def test_fatigue_shows_hours_near_limits_and_silent_volunteers(bot: BotWorld) -> None:
    """Leaders see this week's hours, who is near the limits, who never comes or answers."""
    w = await shift_world(bot)
    people = bot.people
    sarah, tom, meimei, kai, bob = w.volunteers
    await people.say(w.leader, w.group, "/call 卸货 Unloading | +1h | 1")
    invite = await people.wait_for(tom, says("急召 S-1"))
    await people.tap(tom, tom, invite["message_id"], "sh:come:1")
    await people.wait_for(tom, says("S-1", "你来了"))
    async with bot.sessions() as session, session.begin():
        sarah_person = await session.scalar(select(Person).where(Person.tg_user_id == sarah))
        building = await session.scalar(select(Building).where(Building.name == "3号楼"))
        assert sarah_person is not None and building is not None
        # Seven hours on one local day of this week: 87 % of the 8 h day limit.
        local = bot.clock.now().astimezone(bot.app.settings.tz)
        start = local.replace(hour=1, minute=0, second=0, microsecond=0)
        record_service(
            session,
            person_id=sarah_person.id,
            building_id=building.id,
            kind="help",
            source_ref="task:1",
            started_at=start,
            ended_at=start + timedelta(hours=7),
        )
    # A volunteer is refused and nothing is sent.
    await people.say(kai, w.group, "/fatigue")
    await people.wait_for(w.group, says("只有本楼的楼组长"))
    await people.say(w.leader, w.group, "/fatigue")
    await people.wait_for(w.group, says("已私聊发给你了"))
    report = await people.wait_for(w.leader, says("志愿者负荷"))
    text = text_of(report)
    hours, near, never, silent = (
        text.split("本周时长")[1].split("接近上限")[0],
        text.split("接近上限")[1].split("从没上过班")[0],
        text.split("从没上过班")[1].split("从没回应")[0],
        text.split("从没回应")[1],
    )
    assert "Sarah：7 小时" in hours and "Tom：" in hours, hours
    assert "Sarah" in near and "Tom" not in near, near
    for name in ("Sarah", "梅梅", "Kai", "Bob"):
        assert name in never, never
    assert "Tom" not in never
    for name in ("Sarah", "梅梅", "Kai", "Bob"):
        assert f"{name}：邀请 1 次" in silent, silent
    assert "Tom" not in silent
    assert len(text) < 4096
    assert not [m for m in await people.bot_messages(w.group) if "志愿者负荷" in text_of(m)]
    assert not [m for m in await people.bot_messages(kai) if "志愿者负荷" in text_of(m)]
    del bob, meimei
