"""Photos as Telegram handles them: a person's photo in sizes, a bot resending it by file_id."""

from __future__ import annotations

import pytest
import telegram
from aiogram import Bot as AiogramBot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest

from sandbox.client import People, PeopleError
from sandbox.personas import BUILDING_GROUPS
from sandbox.server import SandboxServer
from sandbox.world import PHOTO_SIZES
from tests.sandbox.conftest import RESIDENT_1

GROUP_1 = BUILDING_GROUPS[1]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


async def test_a_persons_photo_arrives_in_every_size_with_its_caption(
    ptb: telegram.Bot, aio: AiogramBot, people: People
) -> None:
    sent = await people.send_photo(RESIDENT_1, RESIDENT_1, "药盒 <照片>")
    sizes = sent["photo"]
    assert [(s["width"], s["height"]) for s in sizes] == list(PHOTO_SIZES)
    assert len({s["file_id"] for s in sizes}) == len({s["file_unique_id"] for s in sizes}) == 4

    [by_ptb] = await ptb.get_updates()
    [by_aiogram] = await aio.get_updates()
    for message in (by_ptb.message, by_aiogram.message):
        assert message.caption == "药盒 <照片>" and message.text is None
        assert [p.file_id for p in message.photo] == [s["file_id"] for s in sizes]
        assert message.photo[-1].width == 1280

    largest = await people.file(sizes[-1]["file_id"])
    assert largest.startswith(PNG_SIGNATURE) and len(largest) == sizes[-1]["file_size"]
    downloaded = await (await ptb.get_file(sizes[0]["file_id"])).download_as_bytearray()
    assert bytes(downloaded).startswith(PNG_SIGNATURE)


async def test_a_photo_without_caption_and_a_caption_too_long_to_send(people: People) -> None:
    sent = await people.send_photo(RESIDENT_1, RESIDENT_1)
    [shown] = [m for m in await people.messages(RESIDENT_1) if m["photo"]]
    assert shown["caption"] is None and shown["photo"]["file_id"] == sent["photo"][-1]["file_id"]
    with pytest.raises(PeopleError, match="1024"):
        await people.send_photo(RESIDENT_1, RESIDENT_1, "字" * 1025)


async def test_group_photos_follow_privacy_mode(
    sandbox: SandboxServer, ptb: telegram.Bot, people: People
) -> None:
    card = await ptb.send_message(GROUP_1, "card")
    await people.send_photo(RESIDENT_1, GROUP_1, "chatter")  # not for the bot
    await people.send_photo(RESIDENT_1, GROUP_1, "A2", reply_to=card.message_id)
    [update] = await ptb.get_updates()
    assert update.message.caption == "A2" and update.message.reply_to_message.text == "card"


@pytest.mark.parametrize("framework", ["ptb", "aiogram"])
async def test_the_bot_resends_a_photo_by_file_id(
    framework: str, ptb: telegram.Bot, aio: AiogramBot, people: People
) -> None:
    sizes = (await people.send_photo(RESIDENT_1, RESIDENT_1, "处方"))["photo"]
    largest = sizes[-1]["file_id"]
    if framework == "ptb":
        sent = await ptb.send_photo(
            RESIDENT_1,
            largest,
            caption="<b>H-1</b> · 1/1",
            parse_mode="HTML",
            reply_markup=telegram.InlineKeyboardMarkup(
                [[telegram.InlineKeyboardButton("Done", callback_data="hp:done:1")]]
            ),
        )
    else:
        sent = await aio.send_photo(
            RESIDENT_1,
            largest,
            caption="<b>H-1</b> · 1/1",
            parse_mode="HTML",
            reply_markup=InlineKeyboardMarkup(
                inline_keyboard=[[InlineKeyboardButton(text="Done", callback_data="hp:done:1")]]
            ),
        )
    assert sent.caption == "H-1 · 1/1" and sent.caption_entities[0].type == "bold"
    assert [p.file_id for p in sent.photo] == [s["file_id"] for s in sizes]
    assert sent.reply_markup.inline_keyboard[0][0].callback_data == "hp:done:1"

    [shown] = [m for m in await people.bot_messages(RESIDENT_1) if m["photo"]]
    assert shown["photo"]["file_id"] == largest and shown["caption"] == "<b>H-1</b> · 1/1"
    # A smaller size's id resends the photo only up to that size.
    smaller = await ptb.send_photo(RESIDENT_1, sizes[1]["file_id"])
    assert [p.width for p in smaller.photo] == [90, 320]


async def test_unknown_file_ids_and_long_captions_are_refused(
    ptb: telegram.Bot, aio: AiogramBot, people: People
) -> None:
    await people.say(RESIDENT_1, RESIDENT_1, "/start")
    with pytest.raises(BadRequest, match=r"(?i)wrong file identifier/http url specified"):
        await ptb.send_photo(RESIDENT_1, "AgACAgNoSuchPhoto")
    with pytest.raises(TelegramBadRequest, match="wrong file identifier/HTTP URL specified"):
        await aio.send_photo(RESIDENT_1, "AgACAgNoSuchPhoto")
    document = await ptb.send_document(RESIDENT_1, b"a,b\n", filename="x.csv")
    with pytest.raises(BadRequest, match=r"(?i)type of file mismatch"):
        await ptb.send_photo(RESIDENT_1, document.document.file_id)

    photo = (await people.send_photo(RESIDENT_1, RESIDENT_1))["photo"][-1]["file_id"]
    # 1,024 characters after entity parsing: the tags do not count, one more character does.
    assert await ptb.send_photo(
        RESIDENT_1, photo, caption="<b>" + "邻" * 1024 + "</b>", parse_mode="HTML"
    )
    with pytest.raises(BadRequest, match=r"(?i)message caption is too long"):
        await ptb.send_photo(RESIDENT_1, photo, caption="邻" * 1025)
    with pytest.raises(TelegramBadRequest, match="message caption is too long"):
        await aio.send_photo(RESIDENT_1, photo, caption="&amp;" * 1025, parse_mode="HTML")


async def test_a_photo_to_a_person_who_never_started_the_bot_is_forbidden(
    ptb: telegram.Bot, people: People
) -> None:
    stranger = await people.add_user("Li Lei")
    photo = (await people.send_photo(RESIDENT_1, RESIDENT_1))["photo"][-1]["file_id"]
    with pytest.raises(telegram.error.Forbidden):
        await ptb.send_photo(stranger, photo)
