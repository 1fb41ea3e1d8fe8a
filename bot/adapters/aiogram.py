"""The aiogram 3 adapter: long polling in, BotClient out."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram import exceptions as ag_error
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    LinkPreviewOptions,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    ReplyParameters,
    Update,
)

from bot import transport
from bot.adapters import UpdateSink
from bot.adapters.translate import api_name, to_incoming
from bot.context import (
    ContactRequest,
    Keyboard,
    Markup,
    RemoveKeyboard,
)

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]
POLL_TIMEOUT = 10
CONCURRENT_UPDATES = 256
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
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


class AiogramAdapter:
    """Runs an aiogram Dispatcher against a Bot API server and feeds Incoming updates to a sink."""

    def __init__(self, token: str, api_url: str) -> None:
        session = AiohttpSession(api=TelegramAPIServer.from_base(api_url))
        self._bot = Bot(token, session=session)
        self.client = AiogramClient(self._bot)
        # State lives in the database (DESIGN: Conversations), so aiogram's FSM stays off.
        self._dp = Dispatcher(disable_fsm=True)
        self._dp.message.register(self._on_event)
        self._dp.callback_query.register(self._on_event)
        self._dp.my_chat_member.register(self._on_event)
        self._polling: asyncio.Task[None] | None = None
        self._handling: set[asyncio.Task[Any]] = set()
        self._sink: UpdateSink | None = None
        self._last_update_id: int | None = None

    async def start(self, sink: UpdateSink) -> None:
        """getMe, drop any webhook, then poll in the background."""
        self._sink = sink
        try:
            with _translated():
                me = await self._bot.me()  # getMe, cached on the Bot
                await self._bot.delete_webhook()
            self.client.username = me.username or ""
            started = asyncio.Event()
            self._dp.startup.register(started.set)
            self._polling = asyncio.create_task(
                self._dp.start_polling(
                    self._bot,
                    polling_timeout=POLL_TIMEOUT,
                    allowed_updates=ALLOWED_UPDATES,
                    handle_signals=False,  # the app owns signals
                    close_bot_session=False,  # delivery may still send; stop() closes it
                    tasks_concurrency_limit=CONCURRENT_UPDATES,
                ),
                name="aiogram-polling",
            )
            # Wait until the dispatcher holds its running lock, so an early stop() can stop it.
            waiter = asyncio.create_task(started.wait())
            await asyncio.wait({waiter, self._polling}, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            if self._polling.done():
                self._polling.result()  # polling died on startup: raise why
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        """Stop polling (cancelling the long poll), finish handlers, close the session."""
        task, self._polling = self._polling, None
        if task is not None:
            if not task.done():
                try:
                    await self._dp.stop_polling()  # cancels the pending getUpdates at once
                except RuntimeError:  # not holding its running lock yet: nothing to stop politely
                    task.cancel()
            await asyncio.wait({task})
            if not task.cancelled() and task.exception() is not None:
                log.error("polling ended with an error", exc_info=task.exception())
        # aiogram does not wait for its per-update tasks; give handlers a moment to finish.
        pending = self._handling - {asyncio.current_task()}
        if pending:
            await asyncio.wait(pending, timeout=10)
        await self._confirm_offset()
        await self._bot.session.close()

    async def _confirm_offset(self) -> None:
        # aiogram confirms an offset only with the next getUpdates; do it now (as PTB does) so a
        # restart does not fetch the last batch again. Dispatch dedupes update_id regardless.
        if self._last_update_id is None:
            return
        try:
            await self._bot.get_updates(
                offset=self._last_update_id + 1, timeout=0, allowed_updates=ALLOWED_UPDATES
            )
        except (TimeoutError, ag_error.AiogramError):
            log.warning("could not confirm the last polled update; it may be fetched again")

    async def _on_event(self, _event: object, event_update: Update) -> None:
        self._last_update_id = max(self._last_update_id or 0, event_update.update_id)
        task = asyncio.current_task()
        if task is not None:
            self._handling.add(task)
        try:
            me = await self._bot.me()
            incoming = to_incoming(event_update, me.id, me.username or "")
            if incoming is not None and self._sink is not None:
                await self._sink(incoming)
        except Exception:
            # The sink (dispatch) handles its own errors; this only keeps polling alive regardless.
            log.exception("update %s was not handled", event_update.update_id)
        finally:
            if task is not None:
                self._handling.discard(task)
