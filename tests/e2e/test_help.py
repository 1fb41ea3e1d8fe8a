"""/help lists exactly what the asker can use in the chat they ask in."""

from __future__ import annotations

from collections.abc import Callable

from tests.e2e.conftest import BotWorld
from tests.e2e.groupbuy_helpers import says, text_of


def _new(before: set[int], *parts: str) -> Callable[[dict], bool]:
    """A bot message not seen before that contains every part."""
    return lambda m: m["message_id"] not in before and all(p in text_of(m) for p in parts)


async def _help(bot: BotWorld, user: int, chat: int) -> str:
    """The text of the /help answer `user` gets in `chat`."""
    before = {m["message_id"] for m in await bot.people.bot_messages(chat)}
    await bot.people.say(user, chat, "/help")
    return text_of(await bot.people.wait_for(chat, _new(before, "/help — ")))


async def test_help_lists_only_what_the_asker_can_use_there(bot: BotWorld) -> None:
    """Unbound group: no /register; bound: a resident gets no volunteer or leader commands."""
    people = bot.people
    owner = await people.add_user("陈建国")
    resident = await people.add_user("李娜")
    group = await people.add_group("邻里群", creator_id=owner, member_ids=[resident])

    unbound = await _help(bot, resident, group)
    for hidden in ("/register", "/join", "/leaders", "/bind", "/rest", "/picked"):
        assert hidden not in unbound, unbound
    assert "/bind" in await _help(bot, owner, group)

    await people.say(owner, group, "/bind 3号楼")
    await people.wait_for(group, says("本群已绑定到"))
    bound = await _help(bot, resident, group)
    assert "/register" in bound and "/join" in bound
    for hidden in ("/rest", "/back", "/picked", "/groupbuy", "/leader ", "/bind"):
        assert hidden not in bound, bound
    leader = await _help(bot, owner, group)
    assert "/groupbuy" in leader and "/picked" in leader and "/rest" not in leader

    private = await _help(bot, resident, resident)
    assert "/start" in private and "/volunteer" in private
    assert "/rest" not in private and "/picked" not in private and "/register" not in private
