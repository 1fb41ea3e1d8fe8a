"""Trust end to end: an ill-willed neighbour tries to take over a building or a household.

Each attack goes through the sandbox under both frameworks; each is refused, changes nothing,
and the people who decide are asked privately.
"""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from models.people import BindRequest, BuildingLeader, GroupChat, Person, find_person
from tests.e2e.conftest import BotWorld
from tests.e2e.groupbuy_helpers import buttons, says, start_privately


async def _led_building(bot: BotWorld) -> tuple[int, int]:
    """A leader who has started the bot binds the real 3号楼 group; returns (leader, group)."""
    people = bot.people
    leader = await people.add_user("陈建国")
    group = await people.add_group("3号楼邻里群", creator_id=leader)
    await start_privately(bot, [leader])
    await people.say(leader, group, "/bind 3号楼")
    await people.wait_for(group, says("本群已绑定到", "3号楼"))
    return leader, group


async def _authority(bot: BotWorld) -> tuple:
    async with bot.sessions() as session:
        chats = (await session.execute(select(GroupChat.chat_id, GroupChat.building_id))).all()
        leaders = (await session.execute(select(BuildingLeader.person_id))).all()
        return sorted(chats), sorted(leaders)


async def test_binding_a_led_building_is_only_a_request(bot: BotWorld) -> None:
    """Mallory's own group asking for 3号楼 gets no rights; the leader rejects it privately."""
    people = bot.people
    leader, _group = await _led_building(bot)
    mallory = await people.add_user("Mallory")
    rogue = await people.add_group("Fake 3号楼", creator_id=mallory)
    before = await _authority(bot)
    await people.say(mallory, rogue, "/bind 3号楼")
    asked = await people.wait_for(rogue, says("需要他们", "已私信通知 1 位"))
    request = await people.wait_for(leader, says("绑定申请", "Mallory", "3号楼"))
    for command in ("/export", "/uncollected", "/groupbuy", "/leader 12345"):
        await people.say(mallory, rogue, command)
    await people.wait_for(rogue, says("还在等待"))
    assert await _authority(bot) == before
    # A forged tap on the leader's [Approve] button, from Mallory's own group, is refused.
    approve = next(b for b in buttons(request) if b.endswith(":1"))
    await people.tap(mallory, rogue, asked["message_id"], approve, force=True)
    reject = next(b for b in buttons(request) if b.endswith(":0"))
    await people.tap(leader, leader, request["message_id"], reject)
    await people.wait_for(rogue, says("没有通过"))
    await people.wait_for(leader, says("已拒绝"))
    assert await _authority(bot) == before
    async with bot.sessions() as session:
        statuses = (await session.scalars(select(BindRequest.status))).all()
        assert statuses == ["rejected"]


async def test_an_approved_request_binds_the_group(bot: BotWorld) -> None:
    """The leader approves a helper's volunteer group: it is bound, the helper leads too."""
    people = bot.people
    leader, _group = await _led_building(bot)
    helper = await people.add_user("Sarah", language_code="en")
    second = await people.add_group("Building 3 volunteers", creator_id=helper)
    await start_privately(bot, [helper])
    await people.say(helper, second, "/bind 3号楼")
    await people.wait_for(second, says("需要他们", "已私信通知 1 位"))
    request = await people.wait_for(leader, says("绑定申请"))
    approve = next(b for b in buttons(request) if b.endswith(":1"))
    await people.tap(leader, leader, request["message_id"], approve)
    await people.wait_for(second, says("申请通过（陈建国）", "3号楼"))
    await people.wait_for(helper, says("was approved"))
    async with bot.sessions() as session:
        assert await session.get(GroupChat, second) is not None
        person = await find_person(session, helper)
        assert person is not None
        count = await session.scalar(
            select(func.count()).where(BuildingLeader.person_id == person.id)
        )
        assert count == 1


async def test_registering_someone_elses_flat_waits_for_its_members(bot: BotWorld) -> None:
    """Mallory registering 405 sees nothing of it; its member is asked privately and says no."""
    people = bot.people
    _leader, group = await _led_building(bot)
    alice = await people.add_user("Alice")
    mallory = await people.add_user("Mallory")
    for user in (alice, mallory):
        await people.set_member(group, user, "member")
    await start_privately(bot, [alice, mallory])
    await people.say(alice, group, "/register 405")
    await people.wait_for(alice, says("已登记", "405"))
    await people.wait_for(group, says("今日新登记 1 户", "405"))
    await people.say(mallory, group, "/register 405")
    await people.wait_for(mallory, says("已经有家人登记", "405"))
    ask = await people.wait_for(alice, says("Mallory", "405", "你是这户的家人"))
    async with bot.sessions() as session:
        person = await find_person(session, mallory)
        assert person is not None and person.household_id is None
    await people.say(mallory, mallory, "/start")
    await people.wait_for(mallory, says("还在等待确认"))
    # Mallory forging Alice's [Approve] tap in the group is refused.
    card = await people.wait_for(group, says("今日新登记"))
    approve = next(b for b in buttons(ask) if b.endswith(":1"))
    await people.tap(mallory, group, card["message_id"], approve, force=True)
    reject = next(b for b in buttons(ask) if b.endswith(":0"))
    await people.tap(alice, alice, ask["message_id"], reject)
    await people.wait_for(mallory, says("没有确认你的登记"))
    async with bot.sessions() as session:
        person = await find_person(session, mallory)
        assert person is not None and person.household_id is None
        assert person.pending_household_id is None
    # Nothing in the group ever connected Mallory to 405.
    for message in await people.bot_messages(group):
        assert "Mallory" not in (message.get("text") or "")


async def test_two_hundred_registrations_do_not_delay_a_card(bot: BotWorld) -> None:
    """200 households register in the group; the group-buy card posted after arrives at once."""
    people = bot.people
    leader, group = await _led_building(bot)
    residents = [await people.add_user(f"住户{i:03d}") for i in range(200)]
    for user in residents:
        await people.set_member(group, user, "member")
    await asyncio.gather(
        *(
            people.say(user, group, f"/register {100 + i // 8 * 100 + i % 8 + 1}")
            for i, user in enumerate(residents)
        )
    )
    for _ in range(300):
        async with bot.sessions() as session:
            registered = await session.scalar(
                select(func.count()).where(Person.household_id.is_not(None))
            )
        if registered == 200:
            break
        await asyncio.sleep(0.1)
    assert registered == 200
    started = asyncio.get_running_loop().time()
    await people.say(
        leader,
        group,
        "/groupbuy 蔬菜\n截止: 明天 18:00\nA 蔬菜包 | 45",
    )
    await people.wait_for(group, lambda m: any(b.startswith("gb:+:") for b in buttons(m)))
    assert asyncio.get_running_loop().time() - started < 5
    sent = [
        c["at"]
        for c in await people.calls()
        if c["chat_id"] == group and c["method"] in ("sendMessage", "editMessageText")
    ]
    assert max(sum(1 for t in sent if s <= t < s + 60) for s in sent) <= 20


async def test_approved_member_joins_and_leaving_tells_who_stays(bot: BotWorld) -> None:
    """Alice approves Bob into 502; when Bob asks to be forgotten, Alice is told privately."""
    people = bot.people
    _leader, group = await _led_building(bot)
    alice = await people.add_user("Alice")
    bob = await people.add_user("Bob")
    for user in (alice, bob):
        await people.set_member(group, user, "member")
    await start_privately(bot, [alice, bob])
    await people.say(alice, group, "/register 502")
    await people.wait_for(alice, says("已登记", "502"))
    await people.say(bob, group, "/register 502")
    ask = await people.wait_for(alice, says("Bob", "502"))
    approve = next(b for b in buttons(ask) if b.endswith(":1"))
    await people.tap(alice, alice, ask["message_id"], approve)
    await people.wait_for(bob, says("你已加入", "502"))
    async with bot.sessions() as session:
        a, b = await find_person(session, alice), await find_person(session, bob)
        assert a is not None and b is not None and a.household_id == b.household_id
    await people.say(bob, bob, "/forgetme")
    confirm = await people.wait_for(bob, lambda m: "ob:forget:yes" in buttons(m))
    await people.tap(bob, bob, confirm["message_id"], "ob:forget:yes")
    await people.wait_for(alice, says("Bob", "已不再登记在你家 502"))
