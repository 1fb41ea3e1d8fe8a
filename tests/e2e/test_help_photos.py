"""A photo with a help request, end to end under both frameworks: only the taker ever sees it.

The resident sends a real photo message (the sandbox draws it in Telegram's sizes); Linli keeps
only the file_id of the largest size and, once a volunteer takes the request, sends the photo
to them privately by that file_id, after the details. Groups hear of the request, never see it.
"""

from __future__ import annotations

from sqlalchemy import select

from models.help_requests import HelpRequest
from tests.e2e.conftest import BotWorld
from tests.e2e.groupbuy_helpers import says, text_of
from tests.e2e.test_help_requests import DESCRIPTION, HelpWorld, _tap_in, help_world


async def _to_description(bot: BotWorld, user: int) -> None:
    """/request → medicine → today, up to the description, which welcomes a photo."""
    people = bot.people
    await people.say(user, user, "/request")
    ask = await people.wait_for(user, says("需要哪方面的帮助"))
    await _tap_in(bot, user, user, ask, "hr:cat:medicine")
    ask = await people.wait_for(user, says("有多急"))
    await _tap_in(bot, user, user, ask, "hr:urg:today")
    await people.wait_for(user, says("请用文字说说需要什么帮助", "也欢迎发照片"))


async def _confirm_for_self(bot: BotWorld, user: int, photos: int) -> dict:
    """Whom: myself → the recap counts the photos → send; returns the receipt."""
    people = bot.people
    ask = await people.wait_for(user, says("这是为谁求助"))
    await _tap_in(bot, user, user, ask, "hr:who:self")
    confirm = await people.wait_for(user, says("请确认你的求助", f"照片 {photos} 张"))
    await _tap_in(bot, user, user, confirm, "hr:ok:1")
    return await people.wait_for(user, says("求助已提交"))


async def _stored_photos(bot: BotWorld) -> list[tuple[str, list[str]]]:
    async with bot.sessions() as session:
        rows = await session.execute(
            select(HelpRequest.description, HelpRequest.photos).order_by(HelpRequest.id)
        )
        return [(description, list(photos)) for description, photos in rows.all()]


async def _no_photo_in_groups(bot: BotWorld, w: HelpWorld) -> None:
    for group in (w.group, w.volunteers_group):
        assert not [m for m in await bot.people.bot_messages(group) if m["photo"]]


async def test_a_captioned_photo_reaches_only_the_volunteer_who_takes_it(bot: BotWorld) -> None:
    w = await help_world(bot)
    people = bot.people
    await _to_description(bot, w.wang)
    sent = await people.send_photo(w.wang, w.wang, DESCRIPTION)
    largest = sent["photo"][-1]["file_id"]
    receipt = await _confirm_for_self(bot, w.wang, photos=1)
    assert "H-1" in text_of(receipt)
    assert await _stored_photos(bot) == [(DESCRIPTION, [largest])]

    # The group card and the invitations say a request is there; the photo is not in them.
    await people.wait_for(w.volunteers_group, says("H-1", "药品"))
    invite = await people.wait_for(w.sarah, says("有邻居需要帮助", "H-1"))
    assert not [m for m in await people.bot_messages(w.sarah) if m["photo"]]
    await _tap_in(bot, w.sarah, w.sarah, invite, "hp:take:")

    details = await people.wait_for(w.sarah, says(DESCRIPTION, "求助人发来的 1 张照片"))
    photo = await people.wait_for(w.sarah, lambda m: bool(m["photo"]))
    assert photo["photo"]["file_id"] == largest and photo["message_id"] > details["message_id"]
    assert "H-1" in text_of(photo) and "1/1" in text_of(photo)
    await bot.settle()
    calls = await people.calls("sendPhoto")
    assert [(c["chat_id"], c["ok"]) for c in calls] == [(w.sarah, True)]
    for other in (w.tom, w.leader, w.wang):
        assert not [m for m in await people.bot_messages(other) if m["photo"]]
    await _no_photo_in_groups(bot, w)


async def test_a_bare_photo_waits_for_words_and_more_photos(bot: BotWorld) -> None:
    w = await help_world(bot)
    people = bot.people
    await _to_description(bot, w.wang)
    first = (await people.send_photo(w.wang, w.wang))["photo"][-1]["file_id"]
    kept = await people.wait_for(w.wang, says("照片已收到"))
    second = (await people.send_photo(w.wang, w.wang))["photo"][-1]["file_id"]
    await people.wait_for(
        w.wang, lambda m: "照片已收到" in text_of(m) and m["message_id"] > kept["message_id"]
    )
    await people.say(w.wang, w.wang, DESCRIPTION)
    await _confirm_for_self(bot, w.wang, photos=2)
    assert await _stored_photos(bot) == [(DESCRIPTION, [first, second])]

    invite = await people.wait_for(w.sarah, says("有邻居需要帮助", "H-1"))
    await _tap_in(bot, w.sarah, w.sarah, invite, "hp:take:")
    await people.wait_for(w.sarah, says("求助人发来的 2 张照片"))
    await people.wait_for(w.sarah, says("照片 2/2"))
    await bot.settle()
    shown = [m["photo"]["file_id"] for m in await people.bot_messages(w.sarah) if m["photo"]]
    assert shown == [first, second]
    await _no_photo_in_groups(bot, w)
