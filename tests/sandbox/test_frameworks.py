"""Both frameworks talk to the sandbox as they would to Telegram, and parse what it returns."""

from __future__ import annotations

import asyncio

import telegram
from aiogram import Bot as AiogramBot
from aiogram.types import BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.types import Update as AiogramUpdate

from sandbox.client import People
from sandbox.personas import BUILDING_GROUPS
from sandbox.server import SANDBOX_TOKEN, SandboxServer
from tests.sandbox.conftest import LEADER_1, LEADER_2, RESIDENT_1

GROUP_1 = BUILDING_GROUPS[1]
GROUP_2 = BUILDING_GROUPS[2]


def ptb_keyboard(*data: str) -> telegram.InlineKeyboardMarkup:
    """One row of PTB inline buttons with the given callback data."""
    return telegram.InlineKeyboardMarkup(
        [[telegram.InlineKeyboardButton(d.upper(), callback_data=d) for d in data]]
    )


async def test_get_me_in_both_frameworks(ptb: telegram.Bot, aio: AiogramBot) -> None:
    assert ptb.username == "linli_sandbox_bot"
    me = await aio.get_me()
    assert (me.id, me.is_bot, me.username) == (7000000001, True, "linli_sandbox_bot")
    assert me.can_read_all_group_messages is False


async def test_ptb_sends_html_with_buttons_and_edits(ptb: telegram.Bot, people: People) -> None:
    sent = await ptb.send_message(
        GROUP_1,
        "<b>团购</b> eggs &amp; milk",
        parse_mode="HTML",
        reply_markup=ptb_keyboard("a", "b"),
    )
    assert sent.text == "团购 eggs & milk"
    assert sent.entities[0].type == "bold" and sent.entities[0].length == 2
    assert sent.reply_markup.inline_keyboard[0][1].callback_data == "b"

    edited = await ptb.edit_message_text(
        "<b>团购</b> closed", chat_id=GROUP_1, message_id=sent.message_id, parse_mode="HTML"
    )
    assert edited.edit_date is not None and edited.reply_markup is None

    [message] = await people.bot_messages(GROUP_1)
    assert message["text"] == "<b>团购</b> closed"
    assert (message["edited"], message["version"], message["reply_markup"]) == (True, 2, None)


async def test_aiogram_sends_html_with_buttons_and_edits(aio: AiogramBot, people: People) -> None:
    markup = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Join 参加", callback_data="gb:join:1")]]
    )
    sent = await aio.send_message(
        GROUP_1, "<i>Hello</i> 邻居", parse_mode="HTML", reply_markup=markup
    )
    assert sent.text == "Hello 邻居" and sent.entities[0].type == "italic"

    await aio.edit_message_text(
        text="<i>Hello</i> again",
        chat_id=GROUP_1,
        message_id=sent.message_id,
        parse_mode="HTML",
        reply_markup=markup,
    )
    [message] = await people.bot_messages(GROUP_1)
    assert message["text"] == "<i>Hello</i> again"
    assert message["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "gb:join:1"


async def test_chat_members_and_chat_info(ptb: telegram.Bot, aio: AiogramBot) -> None:
    assert (await ptb.get_chat_member(GROUP_1, LEADER_1)).status == "creator"
    assert (await ptb.get_chat_member(GROUP_2, LEADER_2)).status == "administrator"
    assert (await ptb.get_chat_member(GROUP_1, RESIDENT_1)).status == "member"
    assert (await ptb.get_chat_member(GROUP_2, RESIDENT_1)).status == "left"

    assert (await aio.get_chat_member(GROUP_1, LEADER_1)).status == "creator"
    admin = await aio.get_chat_member(GROUP_2, LEADER_2)
    assert admin.status == "administrator" and admin.can_send_welcome_messages
    assert (await aio.get_chat_member(GROUP_1, RESIDENT_1)).status == "member"
    admins = await aio.get_chat_administrators(GROUP_2)
    assert [a.status for a in admins] == ["creator", "administrator"]
    assert await aio.get_chat_member_count(GROUP_1) == 16  # 15 neighbours and the bot

    for chat in (await ptb.get_chat(GROUP_1), await aio.get_chat(GROUP_1)):
        assert (chat.id, chat.type, chat.title) == (
            GROUP_1,
            "supergroup",
            "阳光花园 1号楼 Building 1",
        )


async def test_documents_round_trip_in_both_frameworks(
    ptb: telegram.Bot, aio: AiogramBot, people: People
) -> None:
    await people.say(RESIDENT_1, RESIDENT_1, "/start")
    data = "name,room\n张伟,1-301\n".encode()

    by_ptb = await ptb.send_document(
        RESIDENT_1, data, filename="名单.csv", caption="<b>名单</b>", parse_mode="HTML"
    )
    by_aiogram = await aio.send_document(RESIDENT_1, BufferedInputFile(data, "list.csv"))

    assert by_ptb.document.file_name == "名单.csv" and by_ptb.caption == "名单"
    assert await people.file(by_ptb.document.file_id) == data
    assert await people.file(by_aiogram.document.file_id) == data
    downloaded = await (await ptb.get_file(by_ptb.document.file_id)).download_as_bytearray()
    assert bytes(downloaded) == data
    shown = await people.bot_messages(RESIDENT_1)
    assert [m["document"]["file_name"] for m in shown] == ["名单.csv", "list.csv"]


async def test_tap_reaches_ptb_which_answers(ptb: telegram.Bot, people: People) -> None:
    card = await ptb.send_message(GROUP_1, "Shift?", reply_markup=ptb_keyboard("shift:take:7"))
    query_id = await people.tap(RESIDENT_1, GROUP_1, card.message_id, "shift:take:7")

    [update] = await ptb.get_updates(timeout=1)
    query = update.callback_query
    assert (query.id, query.data, query.from_user.id) == (query_id, "shift:take:7", RESIDENT_1)
    assert query.message.message_id == card.message_id

    assert await query.answer("已报名 Signed up", show_alert=True)
    assert await people.answers(query_id) == [
        {
            "callback_query_id": query_id,
            "text": "已报名 Signed up",
            "show_alert": True,
            "url": None,
        }
    ]


async def test_updates_parse_in_both_frameworks(
    sandbox: SandboxServer, ptb: telegram.Bot, aio: AiogramBot, people: People
) -> None:
    card = await aio.send_message(GROUP_1, "card")
    await people.say(RESIDENT_1, RESIDENT_1, "/start gb_42")
    await people.share_contact(RESIDENT_1, "+86 138 0000 0012")
    await people.say(RESIDENT_1, GROUP_1, "A2", reply_to=card.message_id)
    await people.tap(RESIDENT_1, GROUP_1, card.message_id, "x", force=True)

    from_ptb = await ptb.get_updates()
    from_aiogram = await aio.get_updates()
    assert [u.update_id for u in from_ptb] == [u.update_id for u in from_aiogram] == [1, 2, 3, 4]

    start, contact, reply, tap = from_ptb
    assert start.message.text == "/start gb_42" and start.message.chat.type == "private"
    assert start.message.entities[0].type == "bot_command"
    assert contact.message.contact.phone_number == "+86 138 0000 0012"
    assert contact.message.contact.user_id == RESIDENT_1
    assert reply.message.reply_to_message.message_id == card.message_id
    assert tap.callback_query.data == "x"

    start, contact, reply, tap = from_aiogram
    assert start.message.text == "/start gb_42"
    assert contact.message.contact.user_id == RESIDENT_1
    assert reply.message.reply_to_message.from_user.id == sandbox.world.bot.id
    assert tap.callback_query.message.chat.id == GROUP_1

    # offset confirms: later polls no longer see confirmed updates
    assert await aio.get_updates(offset=3) and [u.update_id for u in await ptb.get_updates()] == [
        3,
        4,
    ]
    assert AiogramUpdate.model_validate(sandbox.world.updates[0], context={"bot": aio})


async def test_get_updates_long_poll_returns_when_someone_writes(
    ptb: telegram.Bot, people: People
) -> None:
    poll = asyncio.create_task(ptb.get_updates(timeout=20))
    await asyncio.sleep(0.2)
    assert not poll.done()
    await people.say(RESIDENT_1, RESIDENT_1, "你好")
    [update] = await asyncio.wait_for(poll, 5)
    assert update.message.text == "你好"


async def test_commands_are_stored_per_scope_and_language(ptb: telegram.Bot) -> None:
    private = telegram.BotCommandScopeAllPrivateChats()
    await ptb.set_my_commands([("start", "开始")], scope=private, language_code="zh")
    await ptb.set_my_commands([("tasks", "Tasks")])
    assert [c.command for c in await ptb.get_my_commands(scope=private, language_code="zh")] == [
        "start"
    ]
    assert [c.command for c in await ptb.get_my_commands()] == ["tasks"]
    assert await ptb.delete_my_commands()
    assert await ptb.get_my_commands() == ()


async def test_reply_keyboard_asks_for_contact(ptb: telegram.Bot, people: People) -> None:
    await people.say(RESIDENT_1, RESIDENT_1, "/start")
    keyboard = telegram.ReplyKeyboardMarkup(
        [[telegram.KeyboardButton("分享手机号", request_contact=True)]], one_time_keyboard=True
    )
    await ptb.send_message(RESIDENT_1, "Phone?", reply_markup=keyboard)
    [message] = await people.bot_messages(RESIDENT_1)
    assert message["reply_markup"]["keyboard"][0][0]["request_contact"] is True

    await people.share_contact(RESIDENT_1, "+86 138 0000 0012")
    _, update = await ptb.get_updates()
    assert update.message.contact.phone_number == "+86 138 0000 0012"
    removed = await ptb.send_message(RESIDENT_1, "ok", reply_markup=telegram.ReplyKeyboardRemove())
    assert removed.reply_markup is None


async def test_delete_and_pin(ptb: telegram.Bot, sandbox: SandboxServer, people: People) -> None:
    sent = await ptb.send_message(GROUP_1, "temp")
    assert await ptb.delete_message(GROUP_1, sent.message_id)
    assert await people.messages(GROUP_1) == []

    sandbox.world.set_member(GROUP_1, sandbox.world.bot.id, "administrator")
    card = await ptb.send_message(GROUP_1, "rollcall")
    assert await ptb.pin_chat_message(GROUP_1, card.message_id)
    assert (await ptb.get_chat(GROUP_1)).pinned_message.message_id == card.message_id


def test_token_is_the_documented_one() -> None:
    assert SANDBOX_TOKEN.split(":")[0] == "7000000001"
