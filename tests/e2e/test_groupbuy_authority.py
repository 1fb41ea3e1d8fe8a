"""Every leader command and button of the group-buy refuses people who do not lead the building.

A plain resident and the leader of another building (both members of the group) try each leader
command in the group, each leader button, and each private deep link a leader's answer hides
behind. Each gets the localised refusal, and the group-buy tables are exactly as before. The
buys are set up straight in the database, so the group hears nothing but the refusals (it may
only hear 20 messages a minute).
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from models.audit import AuditEntry
from models.base import reading
from models.groupbuy import (
    GroupBuy,
    GroupBuyItem,
    GroupBuyLine,
    GroupBuyOrder,
    PickupTry,
    change_order,
    close_groupbuy,
    mark_arrived,
    open_groupbuy,
)
from models.groupbuy_spec import parse_groupbuy
from models.people import Building as BuildingRow
from models.people import Person, add_leader, ensure_building, ensure_person, find_person
from tests.e2e.conftest import BotWorld
from tests.e2e.groupbuy_helpers import SPEC, Building, building_with_residents, text_of

NOT_LEADER = "只有本楼的楼组长（或社区协调员）可以这样做"
NOT_GATEKEEPER = "只有楼组长和志愿者可以登记取货"
TABLES = (GroupBuy, GroupBuyItem, GroupBuyOrder, GroupBuyLine, PickupTry, AuditEntry)


async def _snapshot(bot: BotWorld) -> dict[str, list[tuple]]:
    """Every row of the group-buy tables (and the audit log), as plain sorted tuples."""
    async with reading(bot.sessions) as session:
        return {
            model.__tablename__: sorted(
                tuple(row) for row in await session.execute(select(model.__table__))
            )
            for model in TABLES
        }


async def _three_buys(bot: BotWorld, leader_id: int, building_id: int, group: int) -> dict:
    """An open buy with two orders, one closed short of its minimum, one arrived with codes."""
    now = bot.clock.now()
    spec = parse_groupbuy(SPEC.removeprefix("/groupbuy "), now=now, tz=ZoneInfo("Asia/Shanghai"))
    async with bot.sessions() as session, session.begin():
        leader = await find_person(session, leader_id)
        homes = [
            person.household_id
            for person in await session.scalars(
                select(Person).where(Person.household_id.is_not(None))
            )
        ]
        ids = {}
        for name, changes in (
            ("open", {}),
            ("short", {"title": "水果", "min_units": 100}),
            ("arrived", {"title": "鸡蛋"}),
        ):
            groupbuy = await open_groupbuy(
                session,
                spec=dataclasses.replace(spec, **changes),
                chat_id=group,
                actor=leader,
                now=now,
            )
            for home in homes:
                await change_order(
                    session,
                    groupbuy_id=groupbuy.id,
                    household_id=home,
                    quantities={"A": 1},
                    mode="set",
                    now=now,
                )
            if name != "open":
                await close_groupbuy(session, groupbuy, actor=leader, now=now)
            if name == "arrived":
                codes = await mark_arrived(session, groupbuy, actor=leader, now=now)
                ids["code"] = codes[0][1]
            ids[name] = groupbuy.id
        ids["order"] = await session.scalar(
            select(GroupBuyOrder.id).where(GroupBuyOrder.groupbuy_id == ids["open"]).limit(1)
        )
    assert building_id
    return ids


async def _intruder(bot: BotWorld, who: str, world: Building) -> int:
    """A resident of the building, or the leader of 5号楼 who is also in this group."""
    if who == "resident":
        return world.first_of("1-101").user_id
    user = await bot.people.add_user("五号楼团长")
    await bot.people.set_member(world.group, user, "member")
    async with bot.sessions() as session, session.begin():
        ours = await session.get(BuildingRow, world.building_id)
        assert ours is not None
        five = await ensure_building(session, ours.community_id, "5号楼", bot.clock.now())
        person = await ensure_person(session, user, "五号楼团长", bot.clock.now())
        assert await add_leader(session, five.id, person, appointed_by=person, now=bot.clock.now())
    return user


async def _answer(bot: BotWorld, query_id: str) -> dict:
    for _ in range(200):
        answers = await bot.people.answers(query_id)
        if answers:
            return answers[-1]
        await asyncio.sleep(0.05)
    raise AssertionError(f"tap {query_id} was never answered")


async def _until(bot: BotWorld, chat: int, done: Callable[[list[str]], bool]) -> None:
    """Wait until the bot's messages in a chat satisfy `done`."""
    for _ in range(200):
        texts = [text_of(m) for m in await bot.people.bot_messages(chat)]
        if done(texts):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"chat {chat}: {texts}")


@pytest.mark.parametrize("who", ["resident", "other_leader"])
async def test_leader_commands_buttons_and_links_refuse_non_leaders(
    bot: BotWorld, who: str
) -> None:
    """Refused with the localised reason, before any #number is asked for; nothing changes."""
    world = await building_with_residents(bot, [("1-101", 1), ("1-102", 1)])
    ids = await _three_buys(bot, world.leader, world.building_id, world.group)
    intruder = await _intruder(bot, who, world)
    before = await _snapshot(bot)
    gid, short, arrived = ids["open"], ids["short"], ids["arrived"]

    commands = [
        (SPEC.replace("蔬菜套餐", "我的团"), NOT_LEADER),
        ("/close", NOT_LEADER),  # three buys here: "not a leader", never "add the #number"
        ("/close #abc", NOT_LEADER),
        (f"/reopen #{short}", NOT_LEADER),
        (f"/extend #{gid} 后天 10:00", NOT_LEADER),
        (f"/cancelbuy #{gid} 不想要了", NOT_LEADER),
        (f"/paid #{gid} 1-101", NOT_LEADER),
        ("/unpaid", NOT_LEADER),
        (f"/summary #{gid}", NOT_LEADER),
        (f"/export #{gid}", NOT_LEADER),
        (f"/arrived #{arrived}", NOT_LEADER),
        (f"/uncollected #{arrived}", NOT_LEADER),
        (f"/picked {ids['code']}", NOT_GATEKEEPER),
    ]
    for text, refusal in commands:
        sent = await bot.people.say(intruder, world.group, text)
        answer = await bot.people.wait_for(
            world.group, lambda m, sent=sent: m.get("reply_to_message_id") == sent
        )
        assert refusal in text_of(answer), (text, text_of(answer))
        assert ids["code"] not in text_of(answer)

    anchor = (await bot.people.bot_messages(world.group))[0]["message_id"]
    taps = [
        (f"gb:pay:{ids['order']}", NOT_LEADER),
        (f"gb:go:{short}", NOT_LEADER),
        (f"gb:stop:{short}", NOT_LEADER),
        (f"gb:pk:{arrived}:{ids['code']}", NOT_GATEKEEPER),
    ]
    for data, refusal in taps:
        query = await bot.people.tap(intruder, world.group, anchor, data, force=True)
        answer = await _answer(bot, query)
        assert answer["show_alert"] and refusal in (answer["text"] or ""), (data, answer)

    # The links a leader's private answers hide behind check authority again when opened.
    links = (f"gs{gid}", f"gu{gid}", f"ge{gid}", f"gc{arrived}", f"gp{short}", f"ga{arrived}")
    for number, payload in enumerate(links, start=1):
        await bot.people.say(intruder, intruder, f"/start {payload}")
        await _until(
            bot, intruder, lambda texts, n=number: sum(NOT_LEADER in t for t in texts) == n
        )
    await bot.settle()
    private = [text_of(m) for m in await bot.people.bot_messages(intruder)]
    assert sum(NOT_LEADER in t for t in private) == len(links), private
    assert not [t for t in private if "供应商汇总" in t or "未付款" in t or "取货码：" in t]
    assert not [m for m in await bot.people.messages(intruder) if m.get("document")]

    assert await _snapshot(bot) == before
