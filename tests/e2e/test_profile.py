"""After registering: /start offers edits, the private wizard never points at group commands,
leaving the volunteer pool asks first, and /rest answers a non-volunteer where they are.
"""

from __future__ import annotations

from sqlalchemy import select

from models.people import Building, Household, find_person
from tests.e2e.conftest import BotWorld
from tests.e2e.test_onboarding import _bound_group, _person, has_button, says


async def test_registered_start_offers_edits_not_the_wizard(bot: BotWorld) -> None:
    """A registered resident's /start shows their home and edit buttons; language changes alone."""
    people = bot.people
    _admin, resident, group = await _bound_group(bot)
    await people.say(resident, group, "/register 3-502")
    await people.wait_for(group, says("今日新登记"))

    await people.say(resident, resident, "/start")
    menu = await people.wait_for(resident, says("你已经登记过了", "3号楼 3-502", "还没留电话"))
    assert not has_button("ob:lang:zh")(menu)
    for part in ("room", "phone", "vol", "lang"):
        assert has_button(f"ob:edit:{part}")(menu), menu
    await people.tap(resident, resident, menu["message_id"], "ob:edit:lang")
    ask = await people.wait_for(resident, has_button("ob:lang:en"))
    assert "花一分钟登记" not in (ask.get("text") or "")
    await people.tap(resident, resident, ask["message_id"], "ob:lang:en")
    await people.wait_for(resident, says("Your profile is updated"))
    person = await _person(bot, resident)
    assert person is not None and person.language == "en" and person.household_id is not None

    building = await _building_id(bot, "3号楼")
    await people.say(resident, resident, f"/start b{building}")  # the group's link, registered
    await people.wait_for(resident, says("already registered", "3号楼 3-502"))


async def _building_id(bot: BotWorld, name: str) -> int:
    async with bot.sessions() as session:
        found = await session.scalar(select(Building.id).where(Building.name == name))
        assert found is not None
        return found


async def test_changing_room_in_private_never_suggests_register(bot: BotWorld) -> None:
    """An unreadable room in the private wizard is asked again without the group's /register."""
    people = bot.people
    _admin, resident, group = await _bound_group(bot)
    await people.say(resident, group, "/register 3-502")
    await people.wait_for(group, says("今日新登记"))
    await people.say(resident, resident, "/start")
    menu = await people.wait_for(resident, has_button("ob:edit:room"))
    await people.tap(resident, resident, menu["message_id"], "ob:edit:room")
    building = await _building_id(bot, "3号楼")
    choose = await people.wait_for(resident, has_button(f"ob:bld:{building}"))
    await people.tap(resident, resident, choose["message_id"], f"ob:bld:{building}")
    await people.wait_for(resident, says("请输入你在 3号楼 的房号"))
    await people.say(resident, resident, "五楼")
    again = await people.wait_for(resident, says("没看懂房号“五楼”"))
    assert "/register" not in (again.get("text") or "")
    await people.say(resident, resident, "4-601")
    await people.wait_for(resident, says("资料已更新"))
    async with bot.sessions() as session:
        person = await find_person(session, resident)
        assert person is not None and person.household_id is not None
        household = await session.get(Household, person.household_id)
        assert household is not None and household.label == "4-601"


async def test_leaving_the_pool_asks_first_and_rest_answers_in_place(bot: BotWorld) -> None:
    """ "Leave the pool" needs a second tap; /rest by a non-volunteer in private says /volunteer."""
    people = bot.people
    _admin, resident, group = await _bound_group(bot)
    await people.say(resident, group, "/register 3-502")
    await people.wait_for(group, says("今日新登记"))
    await people.say(resident, resident, "/rest")
    refusal = await people.wait_for(resident, says("你还不是志愿者", "/volunteer"))
    assert "私聊" not in (refusal.get("text") or "")

    async with bot.sessions() as session, session.begin():
        person = await find_person(session, resident)
        assert person is not None
        person.is_volunteer, person.skills = True, ["driving"]
    await people.say(resident, resident, "/volunteer")
    menu = await people.wait_for(resident, has_button("ob:pool:leave"))
    await people.tap(resident, resident, menu["message_id"], "ob:pool:leave")
    confirm = await people.wait_for(resident, has_button("ob:pool:quit"))
    still = await _person(bot, resident)
    assert still is not None and still.is_volunteer
    await people.tap(resident, resident, confirm["message_id"], "ob:pool:stay")
    await people.wait_for(resident, says("你还在志愿者队伍里"))
    await people.tap(resident, resident, confirm["message_id"], "ob:pool:quit")
    await people.wait_for(resident, says("你已退出志愿者队伍"))
    gone = await _person(bot, resident)
    assert gone is not None and not gone.is_volunteer
