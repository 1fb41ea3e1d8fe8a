"""The dispatcher's promises: once per update, nothing half-written, no crash on odd updates."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

import handlers.households
import handlers.onboarding
from bot.context import Chat, Incoming, Sender
from models.people import Household, building_of_chat, find_person
from tests.e2e.conftest import BotWorld
from tests.e2e.groupbuy_helpers import says


async def bound_group(bot: BotWorld) -> tuple[int, int, int]:
    """An admin, a resident and a group bound to 3号楼."""
    admin = await bot.people.add_user("陈建国")
    resident = await bot.people.add_user("王芳")
    group = await bot.people.add_group("3号楼群", creator_id=admin, member_ids=[resident])
    await bot.people.say(admin, group, "/bind 3号楼")
    await bot.people.wait_for(group, says("3号楼"))
    return admin, resident, group


async def test_a_redelivered_update_is_handled_once(bot: BotWorld) -> None:
    user = await bot.people.add_user("Li Lei", language_code="en")
    await bot.people.say(user, user, "hello")  # starts the private chat
    await bot.people.wait_for(user, says("/help"))
    help_request = Incoming(
        update_id=900_000_001,
        chat=Chat(user, "private"),
        sender=Sender(user, "Li Lei", language_code="en"),
        message_id=99,
        text="/help",
        command="help",
    )
    await bot.app.dispatcher.handle(help_request)
    await bot.app.dispatcher.handle(help_request)
    await bot.settle()
    replies = await bot.people.bot_messages(user)
    assert sum("What you can use here" in m["text"] for m in replies) == 1


async def test_a_crashing_handler_leaves_no_trace_and_the_bot_carries_on(
    bot: BotWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    _admin, resident, group = await bound_group(bot)
    original = handlers.households.register_in_chat

    async def register_then_fail(*args, **kwargs):  # type: ignore[no-untyped-def]
        await original(*args, **kwargs)
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(handlers.households, "register_in_chat", register_then_fail)
    await bot.people.say(resident, group, "/register 3-502")
    await bot.people.wait_for(group, says("抱歉"))
    async with bot.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Household)) == 0

    monkeypatch.setattr(handlers.households, "register_in_chat", original)
    await bot.people.say(resident, group, "/register 3-502")
    await bot.people.wait_for(group, says("今日新登记 1 户", "3-502"))
    async with bot.sessions() as session:
        person = await find_person(session, resident)
        assert person is not None and person.household_id is not None


async def test_updates_without_a_person_never_crash(bot: BotWorld) -> None:
    _admin, _resident, group = await bound_group(bot)
    anonymous_admin = Incoming(
        update_id=900_000_002,
        chat=Chat(group, "supergroup", "3号楼群"),
        sender=None,
        message_id=500,
        text="/bind 4号楼",
        command="bind",
        args="4号楼",
    )
    channel_post = Incoming(
        update_id=900_000_003, chat=Chat(-100777, "channel", "news"), sender=None, text="hi"
    )
    await bot.app.dispatcher.handle(anonymous_admin)
    await bot.app.dispatcher.handle(channel_post)
    await bot.people.wait_for(group, says("匿名"))
    async with bot.sessions() as session:
        building = await building_of_chat(session, group)
        assert building is not None and building.name == "3号楼", (
            "an anonymous /bind changes nothing"
        )


async def test_unknown_command_and_wrong_place_are_explained(bot: BotWorld) -> None:
    _admin, resident, group = await bound_group(bot)
    await bot.people.say(resident, group, "/fly")
    await bot.people.wait_for(group, says("/fly", "/help"))
    await bot.people.say(resident, resident, "/register 502")
    await bot.people.wait_for(resident, says("/register"))
