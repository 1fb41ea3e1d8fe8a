"""Group-buy trust end to end: honest private delivery, pickup-code guessing, a quiet group.

Linli only says "sent to you privately" when it could write to the person; otherwise the group
gets a t.me link that delivers the same thing once opened. Counts (neighbours told, homes that
got a code) count what was really sent. Pickup codes never reach the group, and guessing them is
limited. Chatter under the card, and other households' 接龙 lines, get no group message.
"""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

from sqlalchemy import select

from models.groupbuy import GroupBuy
from models.people import find_person, join_volunteer_pool
from tests.e2e.conftest import BotWorld
from tests.e2e.groupbuy_helpers import (
    SPEC,
    building_with_residents,
    handled_updates,
    has_button,
    open_groupbuy,
    says,
    start_privately,
    stored,
    text_of,
    until_handled,
)

LINK = "https://t.me/linli_sandbox_bot?start="
PRIVATE_ONLY = ("供应商汇总", "分货单", "未付款", "取货码：")


async def _group_texts(bot: BotWorld, group: int) -> list[str]:
    return [text_of(m) for m in await bot.people.bot_messages(group)]


async def _replies_to(bot: BotWorld, chat: int, message_id: int) -> list[dict]:
    return [
        m for m in await bot.people.bot_messages(chat) if m.get("reply_to_message_id") == message_id
    ]


async def _answer(bot: BotWorld, query_id: str) -> dict:
    """The bot's answer to a button tap, polling briefly for it."""
    for _ in range(200):
        answers = await bot.people.answers(query_id)
        if answers:
            return answers[-1]
        await asyncio.sleep(0.05)
    raise AssertionError(f"tap {query_id} was never answered")


async def _said(bot: BotWorld, user: int, chat: int, text: str, **kwargs: object) -> int:
    """Say something and wait until the bot has handled it and delivered what it sent."""
    before = await handled_updates(bot)
    sent = await bot.people.say(user, chat, text, **kwargs)  # type: ignore[arg-type]
    await until_handled(bot, before + 1)
    return sent


async def test_an_unreachable_leader_gets_links_that_deliver_exactly_what_was_asked(
    bot: BotWorld,
) -> None:
    """/summary, /close, /arrived from a leader Linli cannot reach: links, never a false claim."""
    world = await building_with_residents(bot, [("1-101", 1), ("1-102", 1)], leader_started=False)
    reachable, silent = world.first_of("1-101").user_id, world.first_of("1-102").user_id
    await start_privately(bot, [reachable])
    _card, gid = await open_groupbuy(bot, world)
    await _said(bot, reachable, world.group, "/join A1")
    await _said(bot, silent, world.group, "/join A2 B1")
    leader = world.leader

    sent = await _said(bot, leader, world.group, "/summary")
    (reply,) = await _replies_to(bot, world.group, sent)
    assert f'href="{LINK}gs{gid}"' in text_of(reply) or f"{LINK}gs{gid}" in str(reply)
    assert "已私聊发给你了" not in text_of(reply)
    sent = await _said(bot, leader, world.group, "/close")
    (reply,) = await _replies_to(bot, world.group, sent)
    assert "已截单" in text_of(reply) and "汇总已私聊发给团长" not in text_of(reply)
    assert f"{LINK}gp{gid}" in str(reply)
    sent = await _said(bot, leader, world.group, "/arrived")
    notice = await bot.people.wait_for(world.group, says("到货了"))
    assert "取货码已私聊发给 1 户（共 2 户）" in text_of(notice)
    (reply,) = await _replies_to(bot, world.group, sent)
    assert f"{LINK}ga{gid}" in str(reply)
    assert await bot.people.bot_messages(leader) == [], "nothing was sent where it cannot arrive"

    # Opening each link in private delivers what was asked, there and only there.
    await _said(bot, leader, leader, f"/start ga{gid}")
    report = await bot.people.wait_for(leader, says("已给 1 户私聊发了取货码"))
    assert "1-102" in text_of(report) and "1-101" not in text_of(report)
    await _said(bot, leader, leader, f"/start gs{gid}")
    await bot.people.wait_for(leader, says("供应商汇总", "共 2 户"))
    await bot.people.wait_for(leader, says("分货单"))
    await bot.people.wait_for(leader, says("未付款 2 户"))

    # Now Linli may write to the leader: a group command is answered privately, and says so.
    sent = await _said(bot, leader, world.group, "/uncollected")
    (reply,) = await _replies_to(bot, world.group, sent)
    assert "已私聊发给你了" in text_of(reply)
    await bot.people.wait_for(leader, says("还有 2 户没取货"))
    group = await _group_texts(bot, world.group)
    assert not [t for t in group for part in PRIVATE_ONLY if part in t], group
    codes = (await stored(bot, gid)).codes
    assert all(code and re.fullmatch(r"\d{6}", code) for code in codes.values())
    assert not [t for t in group for code in codes.values() if code and code in t]


async def test_cancelling_counts_only_the_neighbours_really_told(bot: BotWorld) -> None:
    """Three participants, one of whom Linli can write to: "told 1", and only that one is told."""
    world = await building_with_residents(bot, [("1-101", 1), ("1-102", 1), ("1-201", 1)])
    told = world.first_of("1-101").user_id
    await start_privately(bot, [told])
    _card, gid = await open_groupbuy(bot, world)
    for room in ("1-101", "1-102", "1-201"):
        await _said(bot, world.first_of(room).user_id, world.group, "/join A1")
    await _said(bot, world.leader, world.group, "/cancelbuy 供应商缺货")
    await bot.people.wait_for(world.group, says("已取消，已私聊通知 1 位参与的邻居"))
    await bot.people.wait_for(told, says("团购「蔬菜套餐」取消了"))
    assert (await stored(bot, gid)).status == "cancelled"


async def test_pickup_codes_stay_private_and_guessing_is_limited(bot: BotWorld) -> None:
    """Five wrong codes in ten minutes, then "try again in N minutes"; no code in the group."""
    world = await building_with_residents(bot, [("1-101", 1), ("1-102", 1), ("1-201", 1)])
    gate = world.first_of("1-201").user_id  # a volunteer who never wrote to the bot privately
    async with bot.sessions() as session, session.begin():
        volunteer = await find_person(session, gate)
        assert volunteer is not None
        join_volunteer_pool(volunteer, ["delivery"])
    _card, gid = await open_groupbuy(bot, world)
    for room in ("1-101", "1-102"):
        await _said(bot, world.first_of(room).user_id, world.group, "/join A1")
    leader = world.leader
    await _said(bot, leader, world.group, "/close")
    await _said(bot, leader, world.group, "/arrived")
    codes = (await stored(bot, gid)).codes
    wrong = next(str(n) for n in range(100000, 1000000) if str(n) not in codes.values())

    # The leader at the gate, in the group: the confirmation comes privately, not to the group.
    sent = await _said(bot, leader, world.group, f"/picked {codes['1-101']}")
    assert await _replies_to(bot, world.group, sent) == []
    await bot.people.wait_for(leader, says(f"取货码 {codes['1-101']}：1-101 已取货"))
    # A volunteer Linli cannot write to is answered in the group, without the code.
    sent = await _said(bot, gate, world.group, f"/picked {codes['1-102']}")
    (reply,) = await _replies_to(bot, world.group, sent)
    assert "1-102 已取货" in text_of(reply) and codes["1-102"] not in text_of(reply)

    for _ in range(5):
        await _said(bot, leader, leader, f"/picked {wrong}")
    wrongs = [m for m in await bot.people.bot_messages(leader) if "不对" in text_of(m)]
    assert len(wrongs) == 5
    bot.clock.advance(timedelta(minutes=3))
    await _said(bot, leader, leader, f"/picked {codes['1-102']}")
    await bot.people.wait_for(leader, says("试错太多次了，请 7 分钟后再试"))
    bot.clock.advance(timedelta(minutes=7, seconds=1))
    await _said(bot, leader, leader, f"/picked {codes['1-102']}")
    await bot.people.wait_for(leader, says(f"取货码 {codes['1-102']}（1-102）已经取过货了"))

    group = await _group_texts(bot, world.group)
    assert not [t for t in group for code in codes.values() if code and code in t], group


async def test_the_group_hears_orders_not_chatter(bot: BotWorld) -> None:
    """Thanks and pastes under the card, and someone else's 接龙 line, get no group message."""
    world = await building_with_residents(bot, [("1-506", 1), ("1-102", 1)])
    chatty, quiet = world.first_of("1-506").user_id, world.first_of("1-102").user_id
    await start_privately(bot, [chatty])
    card, gid = await open_groupbuy(bot, world)
    card_id = card["message_id"]
    paste = "团购须知" + "很长的说明。" * 600

    ignored = [
        await _said(bot, chatty, world.group, "谢谢团长！", reply_to=card_id),
        await _said(bot, chatty, world.group, paste, reply_to=card_id),
        await _said(bot, quiet, world.group, "谢谢团长！", reply_to=card_id),
        await _said(bot, chatty, world.group, "1-102 A1", reply_to=card_id),
    ]
    await _said(bot, chatty, world.group, "1-506 A2", reply_to=card_id)
    await _said(bot, quiet, world.group, "102 B1", reply_to=card_id)
    for sent in ignored:
        assert await _replies_to(bot, world.group, sent) == []
    state = await stored(bot, gid)
    assert state.confirmed == {"1-506": {"A": 2}, "1-102": {"B": 1}}
    private = [text_of(m) for m in await bot.people.bot_messages(chatty)]
    assert sum("不是订单" in t for t in private) == 2, private
    assert [t for t in private if "1-102 不是你家" in t]
    assert not [t for t in private if "谢谢团长" in t or "很长的说明" in t]

    # A #number that is no number is an error, never "the only buy here".
    sent = await _said(bot, quiet, world.group, "/join #abc A1")
    (reply,) = await _replies_to(bot, world.group, sent)
    assert "找不到编号为 #abc 的团购" in text_of(reply)
    sent = await _said(bot, world.leader, world.group, "/close #abc")
    (reply,) = await _replies_to(bot, world.group, sent)
    assert "找不到编号为 #abc 的团购" in text_of(reply)
    async with bot.sessions() as session:
        groupbuy = await session.get(GroupBuy, gid)
        assert groupbuy is not None and groupbuy.status == "open"


async def test_a_zero_order_from_a_newcomer_gets_a_clear_answer(bot: BotWorld) -> None:
    """`/join A0` from a household not on the list says so (in the group if it must)."""
    world = await building_with_residents(bot, [("1-101", 1)])
    await open_groupbuy(bot, world)
    sent = await _said(bot, world.first_of("1-101").user_id, world.group, "/join A0")
    (reply,) = await _replies_to(bot, world.group, sent)
    assert "你家没有报名「蔬菜套餐」" in text_of(reply)


async def test_the_same_title_twice_in_a_day_asks_the_leader_first(bot: BotWorld) -> None:
    """A second 蔬菜套餐 the same day opens only after the leader taps "open it"."""
    world = await building_with_residents(bot, [("1-101", 1)])
    await open_groupbuy(bot, world)
    sent = await _said(bot, world.leader, world.group, SPEC)
    (question,) = await _replies_to(bot, world.group, sent)
    assert "确定要再开一个同名团购吗" in text_of(question)
    async with bot.sessions() as session:
        statuses = await session.scalars(select(GroupBuy.status).order_by(GroupBuy.id))
        assert list(statuses) == ["open", "draft"]
    (open_it, _drop) = [b for row in question["reply_markup"]["inline_keyboard"] for b in row]
    stranger = world.first_of("1-101").user_id
    data = open_it["callback_data"]
    refused = await bot.people.tap(stranger, world.group, question["message_id"], data)
    assert "只有本楼的楼组长" in ((await _answer(bot, refused))["text"] or "")
    before = await handled_updates(bot)
    await bot.people.tap(world.leader, world.group, question["message_id"], data)
    await until_handled(bot, before + 1)
    cards = [m for m in await bot.people.bot_messages(world.group) if has_button("gb:+:")(m)]
    assert len(cards) == 2


async def test_at_the_deadline_an_unreachable_organiser_gets_a_link_in_the_group(
    bot: BotWorld,
) -> None:
    """The deadline closes the buy; the pack waits behind a link instead of going nowhere."""
    world = await building_with_residents(bot, [("1-101", 1)], leader_started=False)
    _card, gid = await open_groupbuy(bot, world)
    await _said(bot, world.first_of("1-101").user_id, world.group, "/join A1")
    bot.clock.advance(timedelta(days=2))
    await bot.app.tick()
    await bot.settle()
    notice = await bot.people.wait_for(world.group, says("「蔬菜套餐」已到截止时间"))
    assert f"{LINK}gp{gid}" in str(notice)
    assert await bot.people.bot_messages(world.leader) == []
    await _said(bot, world.leader, world.leader, f"/start gp{gid}")
    await bot.people.wait_for(world.leader, says("供应商汇总", "共 1 户"))
