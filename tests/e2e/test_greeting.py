"""A group that adds the bot is greeted and told the first step: /bind its building."""

from __future__ import annotations

from tests.e2e.conftest import BotWorld


def greeting(message: dict) -> bool:
    """The bot's hello in a group."""
    return "大家好，我是邻里" in (message.get("text") or "")


async def test_a_new_group_is_greeted_with_how_to_bind(bot: BotWorld) -> None:
    admin = await bot.people.add_user("陈建国")
    group = await bot.people.add_group("5号楼邻居群", creator_id=admin)

    hello = await bot.people.wait_for(group, greeting)
    assert "/bind 楼栋名" in hello["text"] and "/register" in hello["text"]
    assert hello["reply_markup"] is None

    await bot.people.say(admin, group, "/bind 5号楼")
    await bot.people.wait_for(group, lambda m: "本群已绑定到" in (m.get("text") or ""))
    await bot.settle()
    assert sum(greeting(m) for m in await bot.people.bot_messages(group)) == 1


async def test_a_bound_group_adding_the_bot_back_hears_its_building(bot: BotWorld) -> None:
    admin = await bot.people.add_user("Sarah Lin", language_code="en")
    group = await bot.people.add_group("Building 2 neighbours", creator_id=admin)
    await bot.people.say(admin, group, "/bind Building 2")
    await bot.people.wait_for(group, lambda m: "本群已绑定到" in (m.get("text") or ""))
    # Group messages speak the group's language, which its leader sets.
    await bot.people.say(admin, group, "/lang en")
    await bot.people.wait_for(group, lambda m: "English" in (m.get("text") or ""))

    await bot.people.set_member(group, bot.server.world.bot.id, "kicked", by=admin)
    await bot.people.set_member(group, bot.server.world.bot.id, "member", by=admin)

    back = await bot.people.wait_for(group, lambda m: "belongs to" in (m.get("text") or ""))
    assert "<b>Building 2</b>" in back["text"] and "/bind" not in back["text"]
