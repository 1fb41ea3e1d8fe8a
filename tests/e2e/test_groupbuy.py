"""Group-buys end to end: a leader opens a 接龙, neighbours sign up, it closes, goods arrive.

Residents tap the card's buttons, reply to it (`A2 B1`) or send `/join`, as they would in the
sandbox; the tests then check what residents and the leader see (card, private messages, files)
against what is stored. Group messages are paced at 20 a minute and card edits at one per 3 s,
so the tests assert on the final card after delivery settles rather than on each edit.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from openpyxl import load_workbook
from sqlalchemy import select

import models.people
from bot.context import Chat, Incoming, Sender
from models.groupbuy import GroupBuy, GroupBuyOrder
from models.people import (
    Household,
    ensure_building,
    ensure_person,
    find_person,
    register_household,
)
from models.tasks import Task
from tests.e2e.conftest import BotWorld
from tests.e2e.groupbuy_helpers import (
    PRICES,
    SPEC,
    Building,
    building_with_residents,
    buttons,
    card_lines,
    dump,
    handled_updates,
    has_button,
    message,
    open_groupbuy,
    parse_items,
    phone_of,
    says,
    start_privately,
    stored,
    text_of,
    until_handled,
    yuan,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _local_day(bot: BotWorld, days: int) -> datetime:
    return datetime.combine(
        bot.clock.now().astimezone(SHANGHAI).date() + timedelta(days=days), time(), SHANGHAI
    )


async def _answer(bot: BotWorld, query_id: str) -> dict:
    """The bot's answer to a button tap (a toast or an alert), waiting briefly for it."""
    for _ in range(200):
        answers = await bot.people.answers(query_id)
        if answers:
            return answers[-1]
        await asyncio.sleep(0.05)
    raise AssertionError(f"tap {query_id} was never answered")


async def _join_all(bot: BotWorld, world: Building, orders: dict[str, str]) -> None:
    """One member of each household sends `/join <order>`, all at once."""
    before = await handled_updates(bot)
    await asyncio.gather(
        *(
            bot.people.say(world.first_of(room).user_id, world.group, f"/join {order}")
            for room, order in orders.items()
        )
    )
    await until_handled(bot, before + len(orders))


# -- 1. opening ---------------------------------------------------------------------------------


async def test_leader_opens_a_groupbuy_and_the_live_card_appears(bot: BotWorld) -> None:
    """/groupbuy alone shows the form; the full message posts a card with +1/−1 per item."""
    world = await building_with_residents(bot, [("3-502", 1)])
    await bot.people.say(world.leader, world.group, "/groupbuy")
    await bot.people.wait_for(world.group, says("复制下面这条", "/groupbuy 蔬菜套餐"))

    card, gid = await open_groupbuy(bot, world)
    deadline = _local_day(bot, 1) + timedelta(hours=18)
    pickup = _local_day(bot, 2) + timedelta(hours=10)
    for part in (
        f"🛒 <b>蔬菜套餐</b> #{gid}",
        "A. 蔬菜包 5kg ¥45.00 · 每户限 2",
        "B. 鸡蛋 30枚 ¥38.50 · 剩 30/30",
        f"截止 {deadline:%m-%d %H:%M}",
        f"取货 3号门 {pickup:%m-%d %H:%M}",
        "还没有人报名",
    ):
        assert part in text_of(card), dump(card)
    assert buttons(card) == [
        f"gb:+:{gid}:A",
        f"gb:-:{gid}:A",
        f"gb:+:{gid}:B",
        f"gb:-:{gid}:B",
        f"gb:me:{gid}",
        f"gb:x:{gid}",
    ]
    async with bot.sessions() as session:
        groupbuy = await session.get(GroupBuy, gid)
        leader = await find_person(session, world.leader)
        assert groupbuy is not None and leader is not None
        assert groupbuy.status == "open" and groupbuy.created_by == leader.id
        assert groupbuy.deadline == deadline and groupbuy.pickup_at == pickup

    resident = world.first_of("3-502").user_id
    query = await bot.people.tap(resident, world.group, card["message_id"], f"gb:+:{gid}:A")
    assert "A×1" in (await _answer(bot, query))["text"]
    await bot.settle()
    card = await message(bot, world.group, card["message_id"])
    assert card_lines(card) == {"3-502": "A×1"}, dump(card)
    assert "合计：A×1 B×0 · ¥45.00" in text_of(card)
    assert has_button(f"gb:+:{gid}:")(card)


# -- 2. many at once ----------------------------------------------------------------------------


async def test_fifty_neighbours_join_at_once_and_stock_is_never_oversold(bot: BotWorld) -> None:
    """40 households (10 with two members) sign up together by tap, reply and /join.

    B has 30 in stock and 60 wanted: exactly 30 are confirmed, the rest wait in line; every
    household has one order; the card's lines and totals are the stored ones. A has stock too
    (enough for all), and people list items in either order ("A1 B2", "B1 A2").
    """
    rooms = [f"{unit}-{floor}0{n}" for unit in (1, 2) for floor in range(1, 11) for n in (1, 2)]
    households = [(room, 2 if i < 10 else 1) for i, room in enumerate(rooms)]
    world = await building_with_residents(bot, households)
    card, gid = await open_groupbuy(bot, world, SPEC.replace("限购 2", "限购 2 | 库存 100"))
    card_id = card["message_id"]

    wanted: dict[str, dict[str, int]] = {}
    actions = []
    taps: dict[str, int] = {}  # room → user who taps +1 B (to check what their toast said)
    for i, room in enumerate(rooms):
        members = world.of_room(room)
        if len(members) == 2:  # "B2" by one member while the other taps +1 A: order-independent
            wanted[room] = {"A": 1, "B": 2}
            actions.append(bot.people.say(members[0].user_id, world.group, "B2", reply_to=card_id))
            actions.append(
                bot.people.tap(members[1].user_id, world.group, card_id, f"gb:+:{gid}:A")
            )
        elif i % 3 == 0:
            wanted[room] = {"B": 1}
            taps[room] = members[0].user_id
            actions.append(
                bot.people.tap(members[0].user_id, world.group, card_id, f"gb:+:{gid}:B")
            )
        elif i % 3 == 1:
            wanted[room] = {"A": 2, "B": 1}
            actions.append(
                bot.people.say(members[0].user_id, world.group, "B1 A2", reply_to=card_id)
            )
        else:
            wanted[room] = {"A": 1, "B": 2}
            actions.append(bot.people.say(members[0].user_id, world.group, "/join A1 B2"))
    assert len(actions) == 50 and sum(w["B"] for w in wanted.values()) == 60

    before = await handled_updates(bot)
    results = await asyncio.gather(*actions)
    await until_handled(bot, before + 50)

    state = await stored(bot, gid)
    assert state.orders == 40, "one order per household, however many members signed up"
    assert state.remaining == {"A": 100 - state.units("A"), "B": 0}
    assert state.units("B") == 30, "all the stock is sold, and not one unit more"
    assert state.waiting("B") == 30
    for room, want in wanted.items():
        got = state.confirmed.get(room, {})
        waiting = state.waitlisted.get(room, {})
        assert got.get("A", 0) == want.get("A", 0), room
        assert got.get("B", 0) + waiting.get("B", 0) == want["B"], room
        assert "A" not in waiting, room

    card = await message(bot, world.group, card_id)
    text = text_of(card)
    amount = state.units("A") * PRICES["A"] + 30 * PRICES["B"]
    assert f"合计：A×{state.units('A')} B×30(+候补30) · {yuan(amount)}" in text, dump(card)
    assert f"A. 蔬菜包 5kg ¥45.00 · 每户限 2 · 剩 {100 - state.units('A')}/100" in text
    assert "B. 鸡蛋 30枚 ¥38.50 · 剩 0/30" in text and "接龙</b>（40 户）" in text
    lines = {room: parse_items(items) for room, items in card_lines(card).items()}
    assert lines == {
        room: (state.confirmed.get(room, {}), state.waitlisted.get(room, {})) for room in rooms
    }

    # Each tapper's toast told them whether they got an egg or are waiting for one.
    for room in taps:
        index = _action_index(rooms, world, room)
        toast = (await _answer(bot, results[index]))["text"] or ""
        assert ("候补" in toast) == bool(state.waitlisted.get(room)), (room, toast)

    group_texts = [text_of(m) for m in await bot.people.bot_messages(world.group)]
    assert not [t for t in group_texts if "抱歉" in t or "没看懂" in t], group_texts


def _action_index(rooms: list[str], world: Building, room: str) -> int:
    """Where a single-member household's action sits in the gathered list."""
    index = 0
    for other in rooms:
        if other == room:
            return index
        index += len(world.of_room(other))
    raise KeyError(room)


async def test_orders_naming_items_in_either_order_at_once_all_go_through(bot: BotWorld) -> None:
    """Two stocked items, neighbours writing "A1 B1" and "B1 A1" at the same moment.

    Each sign-up takes units of both items; however the database orders those reservations,
    nobody gets an apology instead of their order.
    """
    rooms = [f"{unit}-{floor}0{n}" for unit in (1, 2) for floor in range(1, 9) for n in (1, 2)]
    world = await building_with_residents(bot, [(room, 1) for room in rooms])
    spec = SPEC.replace("限购 2", "库存 100").replace("库存 30", "库存 100")
    _card, gid = await open_groupbuy(bot, world, spec)
    orders = {room: "A1 B1" if i % 2 else "B1 A1" for i, room in enumerate(rooms)}
    await _join_all(bot, world, orders)

    apologies = [m for m in await bot.people.bot_messages(world.group) if "抱歉" in text_of(m)]
    assert not apologies, [text_of(m) for m in apologies]
    state = await stored(bot, gid)
    assert state.confirmed == {room: {"A": 1, "B": 1} for room in rooms}
    assert state.remaining == {"A": 100 - len(rooms), "B": 100 - len(rooms)}


# -- 3. the waitlist ----------------------------------------------------------------------------


async def test_a_withdrawal_promotes_the_first_waiting_household_and_tells_it(
    bot: BotWorld,
) -> None:
    """Stock 3: two households fill it, two wait; as units come free they go in sign-up order."""
    rooms = ["1-101", "1-102", "1-201", "1-202"]
    world = await building_with_residents(bot, [(room, 1) for room in rooms])
    first, second, third, fourth = (world.first_of(room).user_id for room in rooms)
    await start_privately(bot, [first, third, fourth])
    card, gid = await open_groupbuy(bot, world, SPEC.replace("库存 30", "库存 3"))
    card_id = card["message_id"]

    async def one_by_one(user: int, text: str) -> None:
        before = await handled_updates(bot)
        await bot.people.say(user, world.group, text, reply_to=card_id)
        await until_handled(bot, before + 1, settle=False)

    await one_by_one(first, "B2")
    await one_by_one(second, "/join B1")
    before = await handled_updates(bot)
    toast = await bot.people.tap(third, world.group, card_id, f"gb:+:{gid}:B")
    await until_handled(bot, before + 1, settle=False)
    assert "候补" in (await _answer(bot, toast))["text"]
    await one_by_one(fourth, "A1 B2")
    await bot.people.wait_for(fourth, says("候补 B×2", "有人退出会自动补上"))
    state = await stored(bot, gid)
    assert state.waitlisted == {"1-201": {"B": 1}, "1-202": {"B": 2}}
    assert state.remaining["B"] == 0

    # The first household taps 退出接龙: its two eggs go to 1-201 (1) and then 1-202 (1 of 2).
    before = await handled_updates(bot)
    toast = await bot.people.tap(first, world.group, card_id, f"gb:x:{gid}")
    await until_handled(bot, before + 1, settle=False)
    assert "已退出「蔬菜套餐」" in (await _answer(bot, toast))["text"]
    await bot.people.wait_for(third, says("「蔬菜套餐」有人退出，你候补上了：B×1"))
    await bot.people.wait_for(fourth, says("「蔬菜套餐」有人退出，你候补上了：B×1"))
    state = await stored(bot, gid)
    assert "1-101" not in state.confirmed and "1-101" not in state.codes
    assert state.confirmed == {"1-102": {"B": 1}, "1-201": {"B": 1}, "1-202": {"A": 1, "B": 1}}
    assert state.waitlisted == {"1-202": {"B": 1}}

    # The second household drops to B0 with /join: 1-202's last waiting egg is confirmed.
    await one_by_one(second, "/join B0")
    await bot.settle()
    promoted = [m for m in await bot.people.bot_messages(fourth) if "你候补上了" in text_of(m)]
    assert len(promoted) == 2, [text_of(m) for m in promoted]
    state = await stored(bot, gid)
    assert state.confirmed == {"1-201": {"B": 1}, "1-202": {"A": 1, "B": 2}}
    assert state.waitlisted == {} and state.remaining["B"] == 0

    card = await message(bot, world.group, card_id)
    assert {room: parse_items(items) for room, items in card_lines(card).items()} == {
        "1-201": ({"B": 1}, {}),
        "1-202": ({"A": 1, "B": 2}, {}),
    }, dump(card)
    assert "剩 0/3" in text_of(card) and "合计：A×1 B×3 · ¥160.50" in text_of(card)
    mine = await bot.people.tap(fourth, world.group, card_id, f"gb:me:{gid}")
    answer = await _answer(bot, mine)
    assert answer["show_alert"] and "A×1" in answer["text"] and "B×2" in answer["text"]
    assert "¥122.00" in answer["text"]


# -- 4 and 5. the deadline, the organiser's pack, the exports ------------------------------------

ORDERS = {  # room → /join text; ground truth below is computed from these
    "2-301": "A2 B1",
    "1-502": "B3",
    "1-101": "A1",
    "2-1002": "A1 B2",
    "1-1201": "B1",
    "1-302": "A2",
}


def _ground_truth() -> dict[str, dict[str, int]]:
    return {
        room: {code: int(n) for code, n in re.findall(r"([AB])(\d+)", order)}
        for room, order in ORDERS.items()
    }


def _walking_order(room: str) -> tuple[int, int, int]:
    unit, number = room.split("-")
    return int(unit), int(number[:-2]), int(number)


async def test_the_deadline_closes_it_and_the_organiser_gets_summary_and_exports(
    bot: BotWorld,
) -> None:
    """Past the deadline the card locks; the leader gets totals, pick list, unpaid and files."""
    households = [(room, 2 if room == "2-301" else 1) for room in ORDERS] + [("1-901", 1)]
    world = await building_with_residents(bot, households)
    card, gid = await open_groupbuy(bot, world)
    await _join_all(bot, world, ORDERS)
    truth = _ground_truth()
    assert (await stored(bot, gid)).confirmed == truth

    bot.clock.advance(timedelta(days=2))  # "明天 18:00" is at most 42 hours away
    await bot.app.tick()
    await bot.settle()
    assert (await stored(bot, gid)).status == "closed"
    card = await message(bot, world.group, card["message_id"])
    assert "已截单" in text_of(card) and not buttons(card), dump(card)
    late = await bot.people.tap(
        world.first_of("1-901").user_id,
        world.group,
        card["message_id"],
        f"gb:+:{gid}:A",
        force=True,  # a phone that has not redrawn the card still shows the old buttons
    )
    assert "已经截单" in ((await _answer(bot, late))["text"] or "")
    await bot.people.say(world.first_of("1-901").user_id, world.group, "/join A1")
    await bot.people.wait_for(world.group, says("没有进行中的团购"))
    assert "1-901" not in (await stored(bot, gid)).codes

    # The organiser's private pack: supplier totals, the pick list in walking order, unpaid.
    units = {code: sum(q.get(code, 0) for q in truth.values()) for code in PRICES}
    owed = {room: sum(PRICES[c] * n for c, n in q.items()) for room, q in truth.items()}
    summary = await bot.people.wait_for(world.leader, says("供应商汇总"))
    for code, name in (("A", "蔬菜包 5kg"), ("B", "鸡蛋 30枚")):
        line = f"{code}. {name}：{units[code]} 件 × {yuan(PRICES[code])} = "
        assert line + yuan(units[code] * PRICES[code]) in text_of(summary), dump(summary)
    total = (
        f"共 {len(truth)} 户，{sum(units.values())} 件，总金额 <b>{yuan(sum(owed.values()))}</b>"
    )
    assert total in text_of(summary), dump(summary)

    walk = await bot.people.wait_for(world.leader, says("分货单"))
    listed = [
        (match[1], parse_items(match[2])[0])
        for match in re.finditer(r"^(\d+-\d+)  (.+)$", text_of(walk), re.MULTILINE)
    ]
    assert listed == [(room, truth[room]) for room in sorted(truth, key=_walking_order)], dump(walk)

    unpaid = await bot.people.wait_for(world.leader, says("未付款"))
    assert f"未付款 {len(truth)} 户" in text_of(unpaid)
    for room, cents in owed.items():
        assert f"{room} {yuan(cents)}" in text_of(unpaid)
    pay_buttons = buttons(unpaid)
    assert len(pay_buttons) == len(truth) and all(b.startswith("gb:pay:") for b in pay_buttons)
    async with bot.sessions() as session:
        paid_order = await session.get(GroupBuyOrder, int(pay_buttons[0].split(":")[2]))
        assert paid_order is not None
    toast = await bot.people.tap(world.leader, world.leader, unpaid["message_id"], pay_buttons[0])
    assert "已记为已付款" in ((await _answer(bot, toast))["text"] or "")

    # /export in the group: the files go to the leader's private chat only.
    await bot.people.say(world.leader, world.group, "/export")
    await bot.people.wait_for(world.group, says("已私聊发给你了"))
    csv_file = await bot.people.wait_for(world.leader, lambda m: _file_named(m, f"{gid}.csv"))
    xlsx_file = await bot.people.wait_for(world.leader, lambda m: _file_named(m, f"{gid}.xlsx"))
    assert not [m for m in await bot.people.messages(world.group) if m.get("document")]
    async with bot.sessions() as session:
        paid_household = await session.get(Household, paid_order.household_id)
        assert paid_household is not None
        paid_room = paid_household.label
    expected = sorted(
        (room, code, qty, qty * PRICES[code], room == paid_room)
        for room, quantities in truth.items()
        for code, qty in quantities.items()
    )

    rows = list(
        csv.reader(io.StringIO((await bot.people.file(_file_id(csv_file))).decode("utf-8-sig")))
    )
    assert rows[0] == ["房号", "住户", "商品代号", "商品", "数量", "金额(元)", "已付款", "已取货"]
    assert (
        sorted((r[0], r[2], int(r[4]), round(float(r[5]) * 100), r[6] == "1") for r in rows[1:])
        == expected
    )
    names = {r[0]: r[1] for r in rows[1:]}
    assert set(names["2-301"].split("、")) == {m.name for m in world.of_room("2-301")}

    book = load_workbook(io.BytesIO(await bot.people.file(_file_id(xlsx_file))))
    sheet_rows = list(book.active.iter_rows(values_only=True))  # type: ignore[union-attr]
    assert list(sheet_rows[0]) == rows[0]
    assert (
        sorted((r[0], r[2], r[4], round(float(r[5]) * 100), bool(r[6])) for r in sheet_rows[1:])
        == expected
    )


def _file_named(message: dict, suffix: str) -> bool:
    document = message.get("document") or {}
    return str(document.get("file_name", "")).endswith(suffix)


def _file_id(message: dict) -> str:
    return message["document"]["file_id"]


# -- 6 and 7. arrival, pickup codes, what the group never sees -----------------------------------


async def test_arrival_sends_private_pickup_codes_and_uncollected_goods_become_tasks(
    bot: BotWorld,
) -> None:
    """/arrived codes each household privately; /picked hands out; the rest become tasks.

    The group sees rooms on the card, but never a phone number or a pickup code.
    """
    orders = {"1-101": "A1 B2", "1-102": "B1", "2-201": "A2", "2-202": "A1"}
    world = await building_with_residents(
        bot, [("1-101", 2), ("1-102", 1), ("2-201", 1), ("2-202", 1)], phones=True
    )
    silent = world.first_of("2-201").user_id  # never opened the private chat
    await start_privately(bot, [r.user_id for r in world.residents if r.user_id != silent])
    card, gid = await open_groupbuy(bot, world)
    await _join_all(bot, world, orders)

    await bot.people.say(world.leader, world.group, "/close")
    await bot.people.wait_for(world.group, says("「蔬菜套餐」已截单"))
    await bot.people.say(world.leader, world.group, "/arrived")
    await bot.people.wait_for(world.group, says("「蔬菜套餐」到货了", "3号门"))
    done = await bot.people.wait_for(world.leader, says("已给 3 户私聊发了取货码"))
    assert "2-201" in text_of(done) and "1-101" not in text_of(done), "who cannot be reached"
    await bot.settle()

    state = await stored(bot, gid)
    codes = state.codes
    assert set(codes) == set(orders) and all(
        code and re.fullmatch(r"\d{6}", code) for code in codes.values()
    )
    assert len(set(codes.values())) == len(codes), "pickup codes are unique"
    for resident in world.residents:
        got = [m for m in await bot.people.bot_messages(resident.user_id) if "取货码" in text_of(m)]
        if resident.user_id == silent:
            assert got == []
            continue
        assert len(got) == 1, [text_of(m) for m in got]
        assert f"取货码：<b>{codes[resident.room]}</b>" in text_of(got[0])

    leader = world.leader
    await bot.people.say(leader, leader, f"/picked {codes['1-102']}")
    await bot.people.wait_for(leader, says(f"取货码 {codes['1-102']}：1-102 已取货"))
    await bot.people.say(leader, leader, f"/picked {codes['1-102']}")
    await bot.people.wait_for(leader, says(f"取货码 {codes['1-102']}（1-102）已经取过货了"))
    await bot.people.say(leader, leader, "/picked 0000")
    await bot.people.wait_for(leader, says("取货码 0000 不对"))
    await bot.people.say(leader, leader, "/uncollected")
    waiting = await bot.people.wait_for(leader, says("还有 3 户没取货"))
    assert "1-102" not in text_of(waiting)
    assert sorted(buttons(waiting)) == sorted(
        f"gb:pk:{gid}:{codes[room]}" for room in ("1-101", "2-201", "2-202")
    )

    # Two hours after the pickup time, what is still waiting is on the task board, once each.
    bot.clock.advance(timedelta(days=3))
    await bot.app.tick()
    await bot.app.tick()
    async with bot.sessions() as session:
        order_of = {
            order.id: order.pickup_code
            for order in await session.scalars(
                select(GroupBuyOrder).where(GroupBuyOrder.groupbuy_id == gid)
            )
        }
        tasks = list(await session.scalars(select(Task).where(Task.kind == "pickup")))
    room_of_code = {code: room for room, code in codes.items()}
    assert sorted(room_of_code[order_of[int(t.source_ref.split(":")[1])]] for t in tasks) == [
        "1-101",
        "2-201",
        "2-202",
    ]
    assert all(t.status == "open" and t.building_id == world.building_id for t in tasks)

    # Handing out by the list's button closes that household's task.
    toast = await bot.people.tap(
        leader, leader, waiting["message_id"], f"gb:pk:{gid}:{codes['2-201']}"
    )
    assert "2-201 已取货" in ((await _answer(bot, toast))["text"] or "")
    async with bot.sessions() as session:
        statuses = {
            room_of_code[order_of[int(t.source_ref.split(":")[1])]]: t.status
            for t in await session.scalars(select(Task).where(Task.kind == "pickup"))
        }
    assert statuses == {"1-101": "open", "2-201": "done", "2-202": "open"}

    await bot.settle()
    group = [text_of(m) for m in await bot.people.messages(world.group)]
    card = await message(bot, world.group, card["message_id"])
    assert set(card_lines(card)) == set(orders), dump(card)
    for index, _resident in enumerate(world.residents):
        number = phone_of(index)
        assert not [t for t in group if number[3:] in t], f"{number} shown in the group"
    for room, code in codes.items():
        shown = [t for t in group if re.search(rf"(?<!\d){code}(?!\d)", t)]
        assert not shown, f"pickup code of {room} shown in the group: {shown}"


# -- 8. bad input -------------------------------------------------------------------------------


async def test_bad_input_is_refused_with_an_explanation(bot: BotWorld) -> None:
    """Each mistake gets a reply (to that message) naming it; none of them changes anything."""
    world = await building_with_residents(bot, [("3-502", 1)])
    card, gid = await open_groupbuy(bot, world)
    resident = world.first_of("3-502").user_id
    stranger = await bot.people.add_user("路人")  # in the group, registered nowhere
    await bot.people.set_member(world.group, stranger, "member")
    outsider = await bot.people.add_user("隔壁楼")  # in the group, but lives in 5号楼
    await bot.people.set_member(world.group, outsider, "member")
    async with bot.sessions() as session, session.begin():
        ours = await session.get(models.people.Building, world.building_id)
        assert ours is not None
        other = await ensure_building(session, ours.community_id, "5号楼", bot.clock.now())
        person = await ensure_person(session, outsider, "隔壁楼", bot.clock.now())
        await register_household(session, person=person, building_id=other.id, room_text="5-101")
    cases = [
        (
            world.leader,
            "/groupbuy 水果\n截止: 明天 18:00\nA 苹果 5斤 45",
            False,
            ("这一行没看懂", "<blockquote>A 苹果 5斤 45</blockquote>", "代号 名称 | 价格"),
        ),
        (
            world.leader,
            "/groupbuy 水果\n截止: 明天 18:00\nA 苹果 | 四十五",
            False,
            ("商品 A 的价格不对", "<blockquote>A 苹果 | 四十五</blockquote>"),
        ),
        (
            world.leader,
            "/groupbuy 水果\n截止: 后天吧\nA 苹果 | 45",
            False,
            ("这一行没看懂", "<blockquote>截止: 后天吧</blockquote>"),
        ),
        (resident, SPEC.replace("蔬菜套餐", "我也开个团"), False, ("只有本楼的楼组长",)),
        (resident, "C2", True, ("这次团购里没有 C", "A、B")),
        (resident, "/join A1000", False, ("“A1000”里的数量不对", "0 到 999")),
        (resident, "A3", True, ("A 每户最多 2 件",)),
        (resident, "/join 要两份", False, ("没看懂“要两份”", "A2 B1")),
        (stranger, "/join A1", False, ("你还没有登记住址",)),
        (outsider, "/join A1", False, ("登记",)),
    ]
    for who, text, as_reply, expected in cases:
        sent = await bot.people.say(
            who, world.group, text, reply_to=card["message_id"] if as_reply else None
        )
        answer = await bot.people.wait_for(
            world.group, lambda m, sent=sent: m["reply_to_message_id"] == sent
        )
        assert says(*expected)(answer), (text, text_of(answer))

    async with bot.sessions() as session:
        titles = list(await session.scalars(select(GroupBuy.title)))
    assert titles == ["蔬菜套餐"]
    state = await stored(bot, gid)
    assert state.orders == 0 and state.remaining["B"] == 30, state


# -- 9. duplicates ------------------------------------------------------------------------------


async def test_a_tap_delivered_twice_counts_once(bot: BotWorld) -> None:
    """Telegram may redeliver an update (also at the same moment): +1 is applied once."""
    world = await building_with_residents(bot, [("3-502", 1)])
    card, gid = await open_groupbuy(bot, world)
    resident = world.first_of("3-502")

    def tap(update_id: int, code: str) -> Incoming:
        return Incoming(
            update_id=update_id,
            chat=Chat(world.group, "supergroup", "3号楼邻里群"),
            sender=Sender(resident.user_id, resident.name, language_code="zh-hans"),
            message_id=card["message_id"],
            callback_id=f"dup-{update_id}",
            callback_data=f"gb:+:{gid}:{code}",
        )

    first = tap(920_000_001, "B")
    await bot.app.dispatcher.handle(first)
    await bot.app.dispatcher.handle(first)
    assert (await stored(bot, gid)).confirmed == {"3-502": {"B": 1}}

    second = tap(920_000_002, "B")
    await asyncio.gather(bot.app.dispatcher.handle(second), bot.app.dispatcher.handle(second))
    state = await stored(bot, gid)
    assert state.confirmed == {"3-502": {"B": 2}} and state.remaining["B"] == 28

    await bot.settle()
    card = await message(bot, world.group, card["message_id"])
    assert card_lines(card) == {"3-502": "B×2"} and "剩 28/30" in text_of(card), dump(card)


async def test_an_unregistered_tap_opens_registration_and_records_nothing(bot: BotWorld) -> None:
    """Tapping +1 before registering opens the private chat at the registration wizard."""
    world = await building_with_residents(bot, [("3-502", 1)])
    card, gid = await open_groupbuy(bot, world)
    newcomer = await bot.people.add_user("新邻居")
    await bot.people.set_member(world.group, newcomer, "member")

    query = await bot.people.tap(newcomer, world.group, card["message_id"], f"gb:+:{gid}:A")
    answer = await _answer(bot, query)
    assert answer["url"] == f"https://t.me/linli_sandbox_bot?start=b{world.building_id}"
    assert (await stored(bot, gid)).confirmed == {}
