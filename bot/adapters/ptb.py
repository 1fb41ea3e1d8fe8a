"""The python-telegram-bot adapter: long polling in, BotClient out."""

from __future__ import annotations

import asyncio
import datetime as dtm
import logging
import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress
from typing import Any

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    LinkPreviewOptions,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    ReplyParameters,
    Update,
)
from telegram import error as tg_error
from telegram.ext import Application, ApplicationBuilder

from bot import transport
from bot.adapters.ptb_request import AiohttpRequest
from bot.adapters.translate import to_incoming
from bot.context import ContactRequest, Incoming, Keyboard, Markup, RemoveKeyboard

log = logging.getLogger(__name__)

# Opt in to PTB 22's timedelta periods: otherwise merely building a RetryAfter (on every 429)
# emits a PTBDeprecationWarning, which tests turn into errors. Only this module imports PTB.
os.environ.setdefault("PTB_TIMEDELTA", "1")

ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]
CONNECTIONS = 256  # delivery and handlers call the Bot API side by side; one long poll among them
READ_MARGIN = 10  # seconds a long poll may take beyond its timeout before it counts as lost
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
# Bot API calls in flight at once (answers, sends, edits; not the long poll, which would hold a
# place for its whole wait).
# httpcore's pool checks every idle connection with a poll() syscall each time a request starts
# or ends, so with 256 taps answered at once a call costs ~3 ms of CPU and PTB alone answered
# ~130 taps/s on the sandbox instead of ~750 one at a time (bench/README.md, "Throughput").
# 32 still allow ~320 calls a second at a 100 ms round trip to Telegram.
IN_FLIGHT = 32
# -- calls out -------------------------------------------------------------------------------


def _retry_seconds(exc: tg_error.RetryAfter) -> float:
    value = exc.retry_after  # a timedelta with PTB_TIMEDELTA, else int seconds
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)


@contextmanager
def _translated() -> Iterator[None]:
    """Re-raise PTB's errors as bot.transport's."""
    try:
        yield
    except tg_error.RetryAfter as exc:
        raise transport.RetryAfter(_retry_seconds(exc)) from exc
    except tg_error.Forbidden as exc:
        raise transport.Forbidden(exc.message) from exc
    except tg_error.BadRequest as exc:  # a subclass of NetworkError in PTB: check it first
        raise transport.BadRequest(exc.message) from exc
    except tg_error.NetworkError as exc:  # includes TimedOut and 5xx answers
        raise transport.NetworkError(exc.message) from exc
    except tg_error.TelegramError as exc:
        raise transport.TransportError(exc.message) from exc


def _markup(
    markup: Markup,
) -> InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | None:
    match markup:
        case Keyboard(rows):
            return InlineKeyboardMarkup(
                [
                    [InlineKeyboardButton(b.text, callback_data=b.data, url=b.url) for b in row]
                    for row in rows
                ]
            )
        case ContactRequest(button_text, skip_text):
            return ReplyKeyboardMarkup(
                [[KeyboardButton(button_text, request_contact=True)], [KeyboardButton(skip_text)]],
                one_time_keyboard=True,
                resize_keyboard=True,
            )
        case RemoveKeyboard():
            return ReplyKeyboardRemove()
    return None


class PtbClient:
    """BotClient over a PTB Bot."""

    def __init__(self, bot: Bot) -> None:
        self._bot = bot
        self._in_flight = asyncio.Semaphore(IN_FLIGHT)

    @asynccontextmanager
    async def _call(self) -> AsyncIterator[None]:
        """One Bot API call: waits for a place among IN_FLIGHT, translates PTB's errors."""
        async with self._in_flight:
            with _translated():
                yield

    @property
    def bot_username(self) -> str:
        """The bot's @username (without @); known after start()."""
        return self._bot.username

    async def send_message(
        self, chat_id: int, text: str, markup: Markup, reply_to: int | None
    ) -> int:
        """Send an HTML message without link previews; return its id."""
        reply = ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to else None
        async with self._call():
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
        async with self._call():
            await self._bot.edit_message_text(
                text,
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
        async with self._call():
            await self._bot.answer_callback_query(callback_id, text=text, show_alert=alert, url=url)

    async def send_document(
        self, chat_id: int, filename: str, data: bytes, caption: str | None
    ) -> int:
        """Upload a file with an optional HTML caption; return the message id."""
        async with self._call():
            sent = await self._bot.send_document(
                chat_id,
                data,
                filename=filename,
                caption=caption,
                parse_mode="HTML" if caption else None,
            )
        return sent.message_id

    async def send_photo(
        self, chat_id: int, file_id: str, caption: str | None, markup: Markup
    ) -> int:
        """Send a photo Telegram already stores, by its file_id; return the message id."""
        async with self._call():
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
        async with self._call():
            sent = await self._bot.send_photo(
                chat_id,
                photo=data,
                filename=filename,
                caption=caption,
                parse_mode="HTML" if caption else None,
            )
        return sent.message_id

    async def set_commands(
        self, scope: str, language: str | None, commands: list[tuple[str, str]]
    ) -> None:
        """Register the command menu for all private or all group chats."""
        scopes = {"private": BotCommandScopeAllPrivateChats, "group": BotCommandScopeAllGroupChats}
        async with self._call():
            await self._bot.set_my_commands(
                [BotCommand(name, description) for name, description in commands],
                scope=scopes[scope](),
                language_code=language,
            )

    async def member_status(self, chat_id: int, user_id: int) -> transport.MemberStatus:
        """The user's status in the chat ("creator", "administrator", "member", ...)."""
        async with self._call():
            member = await self._bot.get_chat_member(chat_id, user_id)
        return str(member.status)  # ChatMemberStatus is a str enum: OWNER is "creator"


# -- lifecycle -------------------------------------------------------------------------------


class PtbAdapter:
    """A PTB bot: fetches raw updates for Linli's own polling loop and parses stored ones."""

    def __init__(self, token: str, api_url: str) -> None:
        # The Application is built for its configured Bot (connection pool, timeouts) only;
        # Linli polls and dispatches itself, so neither its Updater nor its handlers run.
        self._app: Application = (
            ApplicationBuilder()
            .token(token)
            .base_url(f"{api_url}/bot")
            .base_file_url(f"{api_url}/file/bot")
            .request(AiohttpRequest(CONNECTIONS))
            .updater(None)
            .job_queue(None)  # scheduling lives in scheduler/, not in the framework
            .build()
        )
        self.client = PtbClient(self._app.bot)

    async def start(self) -> None:
        """getMe."""
        with _translated():
            await self._app.initialize()

    async def stop(self) -> None:
        """Close the HTTP sessions."""
        with suppress(tg_error.TelegramError):
            await self._app.shutdown()

    async def fetch_updates(self, offset: int | None, wait: int) -> list[dict[str, Any]]:
        """getUpdates, returning the updates as Telegram sent them (JSON), unparsed."""
        # Bot API method names are case-insensitive. Asked as "getupdates", PTB hands back the
        # raw JSON (get_updates would parse it) without warning that get_updates exists.
        params = {"offset": offset, "timeout": wait, "allowed_updates": ALLOWED_UPDATES}
        with _translated():
            result = await self._app.bot.do_api_request(
                "getupdates",
                api_kwargs={k: v for k, v in params.items() if v is not None},
                read_timeout=wait + READ_MARGIN,
            )
        return list(result)

    def parse(self, raw: dict[str, Any]) -> Incoming | None:
        """A stored update as Linli's Incoming (None for kinds Linli does not act on)."""
        bot = self._app.bot
        return to_incoming(Update.de_json(raw, bot), bot.id, bot.username)

    async def use_webhook(self, url: str, secret: str) -> None:
        """Have Telegram POST updates to `url`, signed with `secret`."""
        with _translated():
            await self._app.bot.set_webhook(
                url, secret_token=secret, allowed_updates=ALLOWED_UPDATES
            )

    async def use_polling(self) -> None:
        """Drop any webhook (getUpdates fails while one is set); pending updates stay."""
        with _translated():
            await self._app.bot.delete_webhook()
