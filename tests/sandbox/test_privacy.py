"""Privacy mode: in groups the bot hears commands, replies to itself and taps, not chatter."""

from __future__ import annotations

import telegram

from sandbox.client import People
from sandbox.personas import BUILDING_GROUPS
from sandbox.server import SandboxServer
from sandbox.world import Persona
from tests.sandbox.conftest import LEADER_1, RESIDENT_1

GROUP_1 = BUILDING_GROUPS[1]


async def texts(ptb: telegram.Bot) -> list[str]:
    """The texts of every pending message update, confirming them."""
    updates = await ptb.get_updates()
    if updates:
        await ptb.get_updates(offset=updates[-1].update_id + 1)
    return [u.message.text for u in updates if u.message]


async def test_group_chatter_does_not_reach_the_bot(ptb: telegram.Bot, people: People) -> None:
    card = await ptb.send_message(GROUP_1, "group buy card")
    neighbour_message = await people.say(LEADER_1, GROUP_1, "谁有鸡蛋？")
    await people.say(RESIDENT_1, GROUP_1, "A2")
    await people.say(RESIDENT_1, GROUP_1, "/join@some_other_bot")
    await people.say(RESIDENT_1, GROUP_1, "me too", reply_to=neighbour_message)
    await people.say(RESIDENT_1, GROUP_1, "/tasks")
    await people.say(RESIDENT_1, GROUP_1, "/help@linli_sandbox_bot now")
    await people.say(RESIDENT_1, GROUP_1, "A2 B1", reply_to=card.message_id)
    await people.say(RESIDENT_1, RESIDENT_1, "private text always arrives")

    assert await texts(ptb) == [
        "/tasks",
        "/help@linli_sandbox_bot now",
        "A2 B1",
        "private text always arrives",
    ]
    assert len(await people.messages(GROUP_1)) == 8  # people still see everything


async def test_admin_bot_or_privacy_off_hears_everything(
    sandbox: SandboxServer, ptb: telegram.Bot, people: People
) -> None:
    sandbox.world.set_member(GROUP_1, sandbox.world.bot.id, "administrator")
    await people.say(RESIDENT_1, GROUP_1, "A2")
    assert await texts(ptb) == ["A2"]

    other = await people.add_group(
        "Quiet corner", creator_id=LEADER_1, member_ids=[RESIDENT_1], privacy_mode=False
    )
    await people.say(RESIDENT_1, other, "hello")
    assert await texts(ptb) == ["hello"]


async def test_server_wide_privacy_off() -> None:
    world = SandboxServer(privacy_mode=False).world
    ann = world.add_user(Persona(world.new_user_id(), "Ann"))
    group = world.add_group("Garden", creator_id=ann.id)
    world.say(ann.id, group.id, "plain words")
    # The first update tells the bot it was added (my_chat_member); then comes the message.
    assert [next(k for k in u if k != "update_id") for u in world.updates] == [
        "my_chat_member",
        "message",
    ]
    assert world.updates[1]["message"]["text"] == "plain words"
