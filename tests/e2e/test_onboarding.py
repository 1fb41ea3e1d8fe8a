"""Onboarding end to end: people bind groups, register, walk the /start wizard, and leave.

Each test acts as residents would in the sandbox (typing commands, tapping buttons, sharing a
contact) against the real bot under each framework, then checks what they saw and what was stored.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

from sqlalchemy import select

from models.people import Building, GroupChat, Household, Person, find_person
from tests.e2e.conftest import BotWorld
from tests.e2e.groupbuy_helpers import says


def _text(message: dict) -> str:
    return message.get("text") or ""


def has_button(data: str) -> Callable[[dict], bool]:
    """A bot message carrying an inline button with this callback data."""
    return lambda m: f'"{data}"' in json.dumps((m.get("reply_markup") or {}).get("inline_keyboard"))


async def _bound_group(bot: BotWorld, building: str = "3号楼") -> tuple[int, int, int]:
    """An admin, a resident and their group, bound to `building` by the admin."""
    people = bot.people
    admin = await people.add_user("陈建国")
    resident = await people.add_user("李娜")
    group = await people.add_group("邻里群", creator_id=admin, member_ids=[resident])
    await people.say(admin, group, f"/bind {building}")
    await people.wait_for(group, says("本群已绑定到", building))
    return admin, resident, group


async def _person(bot: BotWorld, tg_id: int) -> Person | None:
    async with bot.sessions() as session:
        return await find_person(session, tg_id)


async def test_admin_binds_and_resident_registers(bot: BotWorld) -> None:
    """The admin binds the group and becomes its leader; a resident registers in one line."""
    _admin, resident, group = await _bound_group(bot)
    await bot.people.say(resident, group, "/register 3-502")
    await bot.people.wait_for(group, says("3号楼 今日新登记 1 户：3-502"))
    async with bot.sessions() as session:
        chat = await session.get(GroupChat, group)
        person = await find_person(session, resident)
        assert chat is not None and person is not None and person.household_id is not None
        household = await session.get(Household, person.household_id)
        assert household is not None and household.label == "3-502"
        assert household.building_id == chat.building_id
    await bot.people.say(resident, group, "/leaders")
    await bot.people.wait_for(group, says("楼组长", "陈建国"))


async def test_non_admin_cannot_bind(bot: BotWorld) -> None:
    """Someone who is not the group's creator or an admin gets a clear refusal."""
    people = bot.people
    owner = await people.add_user("Owner")
    resident = await people.add_user("Resident", language_code="en")
    group = await people.add_group("Block 7", creator_id=owner, member_ids=[resident])
    await people.say(resident, group, "/bind Block 7")
    await people.wait_for(group, says("Only the group"))
    async with bot.sessions() as session:
        assert await session.get(GroupChat, group) is None


async def test_bad_room_and_missing_argument_get_examples(bot: BotWorld) -> None:
    """A room Linli cannot read, or none at all, is answered with the way to write it."""
    _admin, resident, group = await _bound_group(bot)
    await bot.people.say(resident, group, "/register 五楼")
    await bot.people.wait_for(group, says("没看懂房号", "/register 3-502"))
    await bot.people.say(resident, group, "/register")
    await bot.people.wait_for(group, says("用法", "/register 3-502"))
    person = await _person(bot, resident)  # a refusal rolls back: not even the person row
    assert person is None or person.household_id is None


async def test_rebinding_asks_for_confirmation(bot: BotWorld) -> None:
    """Moving a bound group to another building happens only after the admin taps yes."""
    admin, resident, group = await _bound_group(bot, "1号楼")
    await bot.people.say(admin, group, "/bind 2号楼")
    card = await bot.people.wait_for(group, says("确定要改成"))
    button = card["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    assert button.startswith("bd:")
    await bot.people.tap(resident, group, card["message_id"], button)  # not an admin: refused
    await bot.people.tap(admin, group, card["message_id"], button)
    await bot.people.wait_for(group, says("本群已绑定到", "2号楼", "原来是 1号楼"))
    async with bot.sessions() as session:
        chat = await session.get(GroupChat, group)
        building = await session.get(Building, chat.building_id)  # type: ignore[union-attr]
        assert building is not None and building.name == "2号楼"


async def test_start_wizard_end_to_end(bot: BotWorld) -> None:
    """Language, building, room, own phone, volunteering with skills; /me then shows it all."""
    people = bot.people
    await _bound_group(bot, "Building 1")
    emma = await people.add_user("Emma", language_code="en")

    await people.say(emma, emma, "/start")
    lang = await people.wait_for(emma, has_button("ob:lang:en"))
    await people.tap(emma, emma, lang["message_id"], "ob:lang:en")
    async with bot.sessions() as session:
        building_id = await session.scalar(select(Building.id).where(Building.name == "Building 1"))
    choose = await people.wait_for(emma, has_button(f"ob:bld:{building_id}"))
    await people.tap(emma, emma, choose["message_id"], f"ob:bld:{building_id}")
    await people.wait_for(emma, says("type your room"))
    await people.say(emma, emma, "3单元502室")
    await people.wait_for(emma, says("Registered: Building 1 3-502"))
    await people.share_contact(emma, "+44 7700 900123")
    await people.wait_for(emma, says("Phone number saved"))
    ask = await people.wait_for(emma, has_button("ob:vol:yes"))
    await people.tap(emma, emma, ask["message_id"], "ob:vol:yes")
    skills = await people.wait_for(emma, has_button("ob:sk:medical"))
    toast = await people.tap(emma, emma, skills["message_id"], "ob:sk:medical")
    await people.tap(emma, emma, skills["message_id"], "ob:sk:it")
    await people.wait_for(emma, says("Chosen: Medical, IT"))
    await people.tap(emma, emma, skills["message_id"], "ob:sk:done")
    await people.wait_for(emma, says("All done"))
    assert [a.get("text") for a in await people.answers(toast)] == ["Added: Medical"]

    await people.say(emma, emma, "/me")
    profile = await people.wait_for(emma, says("Building 1 3-502", "+447700900123"))
    assert "Medical, IT" in _text(profile)
    person = await _person(bot, emma)
    assert person is not None and person.language == "en" and person.is_volunteer
    assert person.skills == ["medical", "it"] and person.started_private


async def test_deep_link_preselects_building_and_cancel_keeps_progress(bot: BotWorld) -> None:
    """`/start b<id>` skips the building question; /cancel keeps what was already saved."""
    people = bot.people
    _admin, resident, group = await _bound_group(bot)
    chat_building = (await _group_building(bot, group)).id
    await people.say(resident, resident, f"/start b{chat_building}")
    lang = await people.wait_for(resident, has_button("ob:lang:zh"))
    await people.tap(resident, resident, lang["message_id"], "ob:lang:zh")
    await people.wait_for(resident, says("请输入你在 3号楼 的房号"))
    await people.say(resident, resident, "502")
    await people.wait_for(resident, says("已登记：3号楼 502"))
    await people.say(resident, resident, "/cancel")
    await people.wait_for(resident, says("已退出"))
    person = await _person(bot, resident)
    assert person is not None and person.phone is None and person.household_id is not None


async def _group_building(bot: BotWorld, group: int) -> Building:
    async with bot.sessions() as session:
        chat = await session.get(GroupChat, group)
        building = await session.get(Building, chat.building_id)  # type: ignore[union-attr]
        assert building is not None
        return building


async def test_help_differs_for_leader_and_resident(bot: BotWorld) -> None:
    """In the group, the leader sees leader commands; the resident does not."""
    admin, resident, group = await _bound_group(bot)
    await bot.people.say(admin, group, "/help")
    leader_help = await bot.people.wait_for(group, says("这个群", "/leader "))
    await bot.people.say(resident, group, "/help")
    resident_help = await bot.people.wait_for(
        group, lambda m: "这个群" in _text(m) and m["message_id"] != leader_help["message_id"]
    )
    assert "/register" in _text(resident_help)
    assert "/leader " not in _text(resident_help) and "/bind" not in _text(resident_help)


async def test_leader_appointed_by_reply(bot: BotWorld) -> None:
    """An admin replies /leader to a neighbour's message; a resident cannot do the same."""
    people = bot.people
    admin, resident, group = await _bound_group(bot)
    helper = await people.add_user("王磊")
    await people.set_member(group, helper, "member")
    hello = await people.say(helper, group, "/register 601")
    await people.wait_for(group, says("今日新登记", "601"))
    await people.say(resident, group, "/leader", reply_to=hello)
    await people.wait_for(group, says("只有本楼的楼组长"))
    await people.say(admin, group, "/leader", reply_to=hello)
    await people.wait_for(group, says("王磊 现在是 3号楼 的楼组长"))
    await people.say(resident, group, "/leaders")
    await people.wait_for(group, says("陈建国", "王磊"))


async def test_forgetme_deletes_personal_data(bot: BotWorld) -> None:
    """After the confirmation tap, the person is gone from the database."""
    people = bot.people
    _admin, resident, group = await _bound_group(bot)
    await people.say(resident, group, "/register 3-502")
    await people.wait_for(group, says("今日新登记"))
    await people.say(resident, resident, "/forgetme")
    confirm = await people.wait_for(resident, has_button("ob:forget:yes"))
    await people.tap(resident, resident, confirm["message_id"], "ob:forget:yes")
    await people.wait_for(resident, says("已删除你的个人资料"))
    assert await _person(bot, resident) is None


async def test_group_never_sees_private_details(bot: BotWorld) -> None:
    """/me in a group points to the private chat and shows no phone; unknown commands are named."""
    people = bot.people
    _admin, resident, group = await _bound_group(bot)
    await people.say(resident, group, "/register 3-502")
    await people.wait_for(group, says("今日新登记"))
    async with bot.sessions() as session, session.begin():
        person = await find_person(session, resident)
        assert person is not None
        person.phone = "+8613812345678"
    await people.say(resident, group, "/me")
    pointer = await people.wait_for(group, says("start=me"))
    assert "13812345678" not in _text(pointer)
    assert all("13812345678" not in _text(m) for m in await people.messages(group))
    await people.say(resident, group, "/frobnicate")
    await people.wait_for(group, says("/frobnicate"))


async def test_forged_button_gets_a_polite_answer(bot: BotWorld) -> None:
    """A button from no running wizard is answered as stale, not with an error."""
    people = bot.people
    user = await people.add_user("Tom", language_code="en")
    await people.say(user, user, "/help")
    shown = await people.wait_for(user, says("/start"))
    query = await people.tap(user, user, shown["message_id"], "ob:sk:medical", force=True)
    answers: list[dict] = []
    for _ in range(100):  # the answer carries no message to wait_for
        answers = await people.answers(query)
        if answers:
            break
        await asyncio.sleep(0.05)
    assert answers and "expired" in (answers[0].get("text") or "")
