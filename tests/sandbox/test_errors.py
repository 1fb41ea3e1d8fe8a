"""Telegram's refusals: the same descriptions, codes and retry_after the frameworks expect."""

from __future__ import annotations

import aiohttp
import pytest
import telegram
from aiogram import Bot as AiogramBot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError, TelegramRetryAfter
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, RetryAfter

from sandbox.client import People
from sandbox.personas import BUILDING_GROUPS
from sandbox.server import SANDBOX_TOKEN, Limits, SandboxServer
from tests.sandbox.conftest import RESIDENT_1

GROUP_1 = BUILDING_GROUPS[1]


async def raw_call(sandbox: SandboxServer, method: str, token: str = SANDBOX_TOKEN, **params):
    """POST a Bot API method as JSON; return (HTTP status, body)."""
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{sandbox.url}/bot{token}/{method}", json=params) as response,
    ):
        return response.status, await response.json()


async def test_wrong_token_and_unknown_method(sandbox: SandboxServer) -> None:
    assert await raw_call(sandbox, "getMe", token="1:wrong") == (
        401,
        {"ok": False, "error_code": 401, "description": "Unauthorized"},
    )
    assert await raw_call(sandbox, "sendTelepathy") == (
        404,
        {"ok": False, "error_code": 404, "description": "Not Found"},
    )
    status, body = await raw_call(sandbox, "sendMessage", chat_id=424242, text="hi")
    assert (status, body["description"]) == (400, "Bad Request: chat not found")


async def test_unbalanced_or_unknown_html_is_rejected(ptb: telegram.Bot, aio: AiogramBot) -> None:
    with pytest.raises(BadRequest, match=r"[Cc]an't parse entities"):
        await ptb.send_message(GROUP_1, "<b>bold", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="can't parse entities: Unsupported start tag"):
        await aio.send_message(GROUP_1, "<div>x</div>", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"[Mm]essage text is empty"):
        await ptb.send_message(GROUP_1, "<b> </b>", parse_mode="HTML")


async def test_length_limit_counts_visible_text(ptb: telegram.Bot) -> None:
    assert await ptb.send_message(GROUP_1, "<b>" + "邻" * 4096 + "</b>", parse_mode="HTML")
    assert await ptb.send_message(GROUP_1, "&lt;" * 4096, parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"[Mm]essage is too long"):
        await ptb.send_message(GROUP_1, "x" * 4097)


async def test_callback_data_over_64_bytes(aio: AiogramBot) -> None:
    def markup(data: str) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text="b", callback_data=data)]]
        )

    assert await aio.send_message(GROUP_1, "ok", reply_markup=markup("x" * 64))
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await aio.send_message(GROUP_1, "no", reply_markup=markup("邻" * 22))  # 66 bytes


async def test_a_new_message_with_a_keyboard_of_no_buttons_is_refused(
    ptb: telegram.Bot, aio: AiogramBot, people: People
) -> None:
    # PTB drops the empty list and sends "{}", which Telegram refuses as well.
    with pytest.raises(BadRequest, match=r"[Cc]an't parse reply keyboard markup"):
        await ptb.send_message(
            GROUP_1, "nothing to tap", reply_markup=telegram.InlineKeyboardMarkup([])
        )
    with pytest.raises(TelegramBadRequest, match="REPLY_MARKUP_INVALID"):
        await aio.send_message(
            GROUP_1, "nothing to tap", reply_markup=InlineKeyboardMarkup(inline_keyboard=[[]])
        )
    assert await people.bot_messages(GROUP_1) == []
    # Editing to an empty keyboard is how buttons are taken off a message: still allowed.
    sent = await aio.send_message(GROUP_1, "card", reply_markup=_one_button())
    await aio.edit_message_text(
        text="card, closed",
        chat_id=GROUP_1,
        message_id=sent.message_id,
        reply_markup=InlineKeyboardMarkup(inline_keyboard=[]),
    )
    (shown,) = await people.bot_messages(GROUP_1)
    assert shown["text"] == "card, closed" and shown["reply_markup"] is None


def _one_button() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="b", callback_data="x")]]
    )


async def test_identical_edit_is_not_modified(ptb: telegram.Bot, aio: AiogramBot) -> None:
    sent = await ptb.send_message(GROUP_1, "<b>tally</b>: 3", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"[Mm]essage is not modified"):
        await ptb.edit_message_text("<b>tally</b>: 3", GROUP_1, sent.message_id, parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await aio.edit_message_reply_markup(chat_id=GROUP_1, message_id=sent.message_id)
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await aio.edit_message_text(text="x", chat_id=GROUP_1, message_id=999)


async def test_private_chat_needs_a_start_first(
    ptb: telegram.Bot, aio: AiogramBot, people: People
) -> None:
    with pytest.raises(Forbidden, match="bot can't initiate conversation with a user"):
        await ptb.send_message(RESIDENT_1, "hello")
    await people.say(RESIDENT_1, RESIDENT_1, "/start")
    assert await aio.send_message(RESIDENT_1, "hello")


async def test_removed_bot_is_forbidden(sandbox: SandboxServer, aio: AiogramBot) -> None:
    sandbox.world.set_member(GROUP_1, sandbox.world.bot.id, "kicked")
    with pytest.raises(TelegramForbiddenError, match="bot was kicked from the supergroup chat"):
        await aio.send_message(GROUP_1, "hi")


@pytest.mark.parametrize("limits", [Limits(group_per_minute=3)])
async def test_group_limit_answers_429_with_retry_after(
    ptb: telegram.Bot, aio: AiogramBot, people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    # PTB 22 warns about RetryAfter's future type unless this opt-in is set.
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    sent = await ptb.send_message(GROUP_1, "1")
    await ptb.edit_message_text("2", GROUP_1, sent.message_id)  # edits count too
    await ptb.send_message(GROUP_1, "3")
    with pytest.raises(RetryAfter) as ptb_refused:
        await ptb.send_message(GROUP_1, "4")
    assert 55 <= ptb_refused.value.retry_after.total_seconds() <= 60
    with pytest.raises(TelegramRetryAfter) as refused:
        await aio.send_message(GROUP_1, "5")
    assert 55 <= refused.value.retry_after <= 60

    other_group = BUILDING_GROUPS[2]
    assert await aio.send_message(other_group, "another group has its own budget")
    calls = await people.calls("sendMessage")
    assert [c["error_code"] for c in calls] == [None, None, 429, 429, None]
    assert [m["text"] for m in await people.messages(GROUP_1)] == ["2", "3"]


async def test_global_limit_can_be_lowered_at_runtime(aio: AiogramBot, people: People) -> None:
    await people.set_limits(global_per_second=2)
    await aio.send_message(GROUP_1, "a")
    await aio.send_message(BUILDING_GROUPS[2], "b")
    with pytest.raises(TelegramRetryAfter) as refused:
        await aio.send_message(GROUP_1, "c")
    assert refused.value.retry_after == 1


async def test_faults_are_injected_before_anything_else(
    ptb: telegram.Bot, aio: AiogramBot, people: People
) -> None:
    await people.fault("sendMessage", retry_after=7)
    with pytest.raises(TelegramRetryAfter) as refused:
        await aio.send_message(RESIDENT_1, "not even started")
    assert refused.value.retry_after == 7

    await people.fault("editMessageText", error_code=400, description="Bad Request: boom", count=2)
    sent = await ptb.send_message(GROUP_1, "v1")
    for _ in range(2):
        with pytest.raises(BadRequest, match=r"(?i)boom"):
            await ptb.edit_message_text("v2", GROUP_1, sent.message_id)
    assert (await ptb.edit_message_text("v2", GROUP_1, sent.message_id)).text == "v2"
    assert [c["ok"] for c in await people.calls("editMessageText")] == [False, False, True]
