"""The aiogram 3 adapter: long polling in, BotClient out."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from aiogram import Bot
from aiogram import exceptions as ag_error
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.methods import (
    AnswerCallbackQuery,
    DeleteWebhook,
    EditMessageText,
    GetChatMember,
    GetMe,
    GetUpdates,
    SendDocument,
    SendMessage,
    SendPhoto,
    SetMyCommands,
    SetWebhook,
)
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    LinkPreviewOptions,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    ReplyParameters,
    Update,
)

from bot import transport
from bot.adapters.translate import api_name, to_incoming
from bot.context import ContactRequest, Incoming, Keyboard, Markup, RemoveKeyboard

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]
READ_MARGIN = 10  # seconds a long poll may take beyond its timeout before it counts as lost
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
_CALLS = (
    AnswerCallbackQuery,
    DeleteWebhook,
    EditMessageText,
    GetChatMember,
    GetMe,
    SendDocument,
    SendMessage,
    SendPhoto,
    SetMyCommands,
    SetWebhook,
)
# -- calls out -------------------------------------------------------------------------------


@contextmanager
def _translated() -> Iterator[None]:
    """Re-raise aiogram's errors as bot.transport's."""
    try:
        yield
    except ag_error.TelegramRetryAfter as exc:
        raise transport.RetryAfter(float(exc.retry_after)) from exc
    except ag_error.TelegramForbiddenError as exc:
        raise transport.Forbidden(exc.message) from exc
    except ag_error.TelegramBadRequest as exc:  # same description as PTB gives
        raise transport.BadRequest(exc.message.removeprefix("Bad Request: ")) from exc
    except (ag_error.TelegramNetworkError, ag_error.TelegramServerError) as exc:
        raise transport.NetworkError(exc.message) from exc
    except ag_error.ClientDecodeError as exc:  # e.g. a proxy's HTML error page: passing
        raise transport.NetworkError(str(exc)) from exc
    except ag_error.TelegramAPIError as exc:
        raise transport.TransportError(exc.message) from exc


def _markup(
    markup: Markup,
) -> InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | None:
    match markup:
        case Keyboard(rows):
            return InlineKeyboardMarkup(
                inline_keyboard=[
                    [
                        InlineKeyboardButton(text=b.text, callback_data=b.data, url=b.url)
                        for b in row
                    ]
                    for row in rows
                ]
            )
        case ContactRequest(button_text, skip_text):
            return ReplyKeyboardMarkup(
                keyboard=[
                    [KeyboardButton(text=button_text, request_contact=True)],
                    [KeyboardButton(text=skip_text)],
                ],
                one_time_keyboard=True,
                resize_keyboard=True,
            )
        case RemoveKeyboard():
            return ReplyKeyboardRemove()
    return None


class AiogramClient:
    """BotClient over an aiogram Bot."""

    def __init__(self, bot: Bot) -> None:
        self._bot = bot
        self.username = ""  # filled in by AiogramAdapter.start() from getMe

    @property
    def bot_username(self) -> str:
        """The bot's @username (without @); known after start()."""
        return self.username

    async def send_message(
        self, chat_id: int, text: str, markup: Markup, reply_to: int | None
    ) -> int:
        """Send an HTML message without link previews; return its id."""
        reply = (
            ReplyParameters(message_id=reply_to, allow_sending_without_reply=True)
            if reply_to
            else None
        )
        with _translated():
            sent = await self._bot.send_message(
                chat_id,
                text,
                parse_mode="HTML",
                link_preview_options=NO_PREVIEW,
                reply_markup=_markup(markup),
                reply_parameters=reply,
            )
        return sent.message_id

    async def edit_message(self, chat_id: int, message_id: int, text: str, markup: Markup) -> None:
        """Replace a message's text; only an inline keyboard can be kept, anything else drops it."""
        keyboard = _markup(markup) if isinstance(markup, Keyboard) else None
        with _translated():
            await self._bot.edit_message_text(
                text=text,
                chat_id=chat_id,
                message_id=message_id,
                parse_mode="HTML",
                link_preview_options=NO_PREVIEW,
                reply_markup=keyboard,
            )

    async def answer_callback(
        self, callback_id: str, text: str | None, alert: bool, url: str | None = None
    ) -> None:
        """Answer a button tap with an optional toast or alert, or open a deep link."""
        with _translated():
            await self._bot.answer_callback_query(callback_id, text=text, show_alert=alert, url=url)

    async def send_document(
        self, chat_id: int, filename: str, data: bytes, caption: str | None
    ) -> int:
        """Upload a file with an optional HTML caption; return the message id."""
        with _translated():
            sent = await self._bot.send_document(
                chat_id,
                BufferedInputFile(data, filename=filename),
                caption=caption,
                parse_mode="HTML" if caption else None,
            )
        return sent.message_id

    async def send_photo(
        self, chat_id: int, file_id: str, caption: str | None, markup: Markup
    ) -> int:
        """Send a photo Telegram already stores, by its file_id; return the message id."""
        with _translated():
            sent = await self._bot.send_photo(
                chat_id,
                photo=file_id,
                caption=caption,
                parse_mode="HTML" if caption else None,
                reply_markup=_markup(markup),
            )
        return sent.message_id

    async def upload_photo(
        self, chat_id: int, filename: str, data: bytes, caption: str | None
    ) -> int:
        """Upload a picture as a photo with an optional HTML caption; return the message id."""
        with _translated():
            sent = await self._bot.send_photo(
                chat_id,
                photo=BufferedInputFile(data, filename=filename),
                caption=caption,
                parse_mode="HTML" if caption else None,
            )
        return sent.message_id

    async def set_commands(
        self, scope: str, language: str | None, commands: list[tuple[str, str]]
    ) -> None:
        """Register the command menu for all private or all group chats."""
        scopes = {"private": BotCommandScopeAllPrivateChats, "group": BotCommandScopeAllGroupChats}
        with _translated():
            await self._bot.set_my_commands(
                [BotCommand(command=name, description=text) for name, text in commands],
                scope=scopes[scope](),
                language_code=language,
            )

    async def member_status(self, chat_id: int, user_id: int) -> transport.MemberStatus:
        """The user's status in the chat ("creator", "administrator", "member", ...)."""
        with _translated():
            member = await self._bot.get_chat_member(chat_id, user_id)
        return api_name(member.status)


# -- lifecycle -------------------------------------------------------------------------------


class _RawGetUpdates(GetUpdates):
    """getUpdates whose result stays the JSON Telegram sent, for the inbox to store."""

    __returning__ = list[dict[str, Any]]


class AiogramAdapter:
    """An aiogram bot: fetches raw updates for Linli's own polling loop and parses stored ones."""

    def __init__(self, token: str, api_url: str) -> None:
        session = AiohttpSession(api=TelegramAPIServer.from_base(api_url))
        self._bot = Bot(token, session=session)
        self.client = AiogramClient(self._bot)
        self._me_id = 0

    async def start(self) -> None:
        """getMe; build the validators every update and call needs (see aiogram_types)."""
        for model in (Update, Message, _RawGetUpdates, *_CALLS):
            model.model_rebuild()  # a no-op where aiogram built it already
        with _translated():
            me = await self._bot.me()  # cached on the Bot
        self._me_id = me.id
        self.client.username = me.username or ""

    async def stop(self) -> None:
        """Close the HTTP session."""
        await self._bot.session.close()

    async def fetch_updates(self, offset: int | None, wait: int) -> list[dict[str, Any]]:
        """getUpdates, returning the updates as Telegram sent them (JSON), unparsed."""
        method = _RawGetUpdates(offset=offset, timeout=wait, allowed_updates=ALLOWED_UPDATES)
        with _translated():
            return await self._bot(method, request_timeout=wait + READ_MARGIN)

    def parse(self, raw: dict[str, Any]) -> Incoming | None:
        """A stored update as Linli's Incoming (None for kinds Linli does not act on)."""
        update = Update.model_validate(raw, context={"bot": self._bot})
        return to_incoming(update, self._me_id, self.client.username)

    async def use_webhook(self, url: str, secret: str) -> None:
        """Have Telegram POST updates to `url`, signed with `secret`."""
        with _translated():
            await self._bot.set_webhook(url, secret_token=secret, allowed_updates=ALLOWED_UPDATES)

    async def use_polling(self) -> None:
        """Drop any webhook (getUpdates fails while one is set); pending updates stay."""
        with _translated():
            await self._bot.delete_webhook()
