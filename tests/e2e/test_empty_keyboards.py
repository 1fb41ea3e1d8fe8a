"""Nothing to tap means no keyboard: Telegram refuses one without buttons, and its message."""

from __future__ import annotations

from sqlalchemy import select

from bot.context import Button, Keyboard, Outgoing, markup_from_dict
from models.base import reading
from models.outbox import FAILED, OutboxMessage
from tests.e2e.conftest import BotWorld
from tests.e2e.groupbuy_helpers import building_with_residents, open_groupbuy, says, text_of


def test_a_message_whose_keyboard_has_no_buttons_carries_no_keyboard() -> None:
    for empty in (Keyboard.of(), Keyboard.of([], []), Keyboard(((),))):
        sent = Outgoing("send", chat_id=1, text="全部已付清", markup=empty)
        assert sent.markup is None and "markup" not in sent.payload()
    kept = Outgoing("send", chat_id=1, text="x", markup=Keyboard.of([Button("1-101", "gb:pay:1")]))
    assert kept.payload()["markup"]["inline"][0][0]["data"] == "gb:pay:1"
    # Rows queued in the outbox by an older version come back without a keyboard too.
    assert markup_from_dict({"inline": []}) is None


async def _nothing_failed(bot: BotWorld) -> None:
    async with reading(bot.sessions) as session:
        failed = (
            await session.scalars(select(OutboxMessage.error).where(OutboxMessage.status == FAILED))
        ).all()
    assert failed == []


async def test_closing_a_groupbuy_nobody_joined_still_reaches_the_leader(bot: BotWorld) -> None:
    world = await building_with_residents(bot, [("502", 1)])
    await open_groupbuy(bot, world)

    await bot.people.say(world.leader, world.group, "/close")
    await bot.people.wait_for(world.group, says("「蔬菜套餐」已截单"))
    unpaid = await bot.people.wait_for(world.leader, says("未付款 0 户", "全部已付清"))
    assert unpaid["reply_markup"] is None
    await bot.settle()
    await _nothing_failed(bot)


async def test_unpaid_when_everyone_has_paid_is_answered(bot: BotWorld) -> None:
    world = await building_with_residents(bot, [("502", 1)])
    await open_groupbuy(bot, world)
    await bot.people.say(world.first_of("502").user_id, world.group, "/join A1")
    await bot.people.wait_for(world.group, says("502  A×1"))
    await bot.people.say(world.leader, world.group, "/paid 502")
    await bot.people.wait_for(world.leader, says("502", "已记为已付款"))

    await bot.people.say(world.leader, world.group, "/unpaid")
    unpaid = await bot.people.wait_for(world.leader, says("未付款 0 户", "全部已付清"))
    assert unpaid["reply_markup"] is None
    assert "502" not in text_of(unpaid)
    await bot.settle()
    await _nothing_failed(bot)
