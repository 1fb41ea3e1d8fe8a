"""The python-telegram-bot adapter: long polling in, BotClient out."""

from __future__ import annotations

import datetime as dtm
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    ChatMemberUpdated,
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
from telegram import error as tg_error
from telegram.ext import Application, ApplicationBuilder, ContextTypes, TypeHandler

from bot import transport
from bot.adapters import UpdateSink, bot_joined, parse_command
from bot.context import (
    Chat,
    Contact,
    ContactRequest,
    Incoming,
    Keyboard,
    Markup,
    RemoveKeyboard,
    ReplyTo,
    Sender,
)

log = logging.getLogger(__name__)

# Opt in to PTB 22's timedelta periods: otherwise merely building a RetryAfter (on every 429)
# emits a PTBDeprecationWarning, which tests turn into errors. Only this module imports PTB.
os.environ.setdefault("PTB_TIMEDELTA", "1")

ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]
POLL_TIMEOUT = dtm.timedelta(seconds=10)
CONCURRENT_UPDATES = 256
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
# -- updates in ------------------------------------------------------------------------------


def _sender(message: Message) -> Sender | None:
    # Anonymous admins and linked channels post as a chat: there is no person to act for.
    user = message.from_user
    if user is None or message.sender_chat is not None:
        return None
    return Sender(user.id, user.full_name, user.username, user.language_code, user.is_bot)


def _reply_to(message: Message, bot_id: int) -> ReplyTo | None:
    replied = message.reply_to_message
    if replied is None:
        return None
    author = replied.from_user
    sender_id = author.id if author else None
    return ReplyTo(
        replied.message_id,
        sender_id,
        sender_id == bot_id,
        replied.text or replied.caption,
        author.full_name if author else None,
    )


def _joined(update_id: int, change: ChatMemberUpdated, bot_id: int) -> Incoming | None:
    """The bot was added to a group: an Incoming without a message, or None for other changes."""
    chat, user = change.chat, change.from_user
    old, new = str(change.old_chat_member.status), str(change.new_chat_member.status)
    if change.new_chat_member.user.id != bot_id or not bot_joined(old, new):
        return None
    if str(chat.type) not in ("group", "supergroup"):
        return None
    return Incoming(
        update_id=update_id,
        chat=Chat(chat.id, str(chat.type), chat.title),
        sender=Sender(user.id, user.full_name, user.username, user.language_code, user.is_bot),
        joined_group=True,
    )


def to_incoming(update: Update, bot_id: int, bot_username: str) -> Incoming | None:
    """Convert a PTB Update to an Incoming, or None for updates the core does not handle."""
    if (query := update.callback_query) is not None:
        if query.message is None:  # a tap on an inline-mode message: no chat to answer in
            return None
        user = query.from_user
        chat = query.message.chat  # also present on InaccessibleMessage (older than 48 h)
        return Incoming(
            update_id=update.update_id,
            chat=Chat(chat.id, str(chat.type), chat.title),
            sender=Sender(user.id, user.full_name, user.username, user.language_code, user.is_bot),
            message_id=query.message.message_id,
            callback_id=query.id,
            callback_data=query.data,
        )
    if (change := update.my_chat_member) is not None:
        return _joined(update.update_id, change, bot_id)
    message = update.message
    if message is None:
        return None
    text = message.text or message.caption
    contact = message.contact
    if text is None and contact is None:  # service messages, stickers, photos without caption
        return None
    command, args, for_us = parse_command(message.text, bot_username)
    if not for_us:
        return None
    return Incoming(
        update_id=update.update_id,
        chat=Chat(message.chat.id, str(message.chat.type), message.chat.title),
        sender=_sender(message),
        message_id=message.message_id,
        text=text,
        command=command,
        args=args,
        reply_to=_reply_to(message, bot_id),
        contact=Contact(contact.phone_number, contact.user_id) if contact else None,
    )


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

    @property
    def bot_username(self) -> str:
        """The bot's @username (without @); known after start()."""
        return self._bot.username

    async def send_message(
        self, chat_id: int, text: str, markup: Markup, reply_to: int | None
    ) -> int:
        """Send an HTML message without link previews; return its id."""
        reply = ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to else None
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
        with _translated():
            await self._bot.answer_callback_query(callback_id, text=text, show_alert=alert, url=url)

    async def send_document(
        self, chat_id: int, filename: str, data: bytes, caption: str | None
    ) -> int:
        """Upload a file with an optional HTML caption; return the message id."""
        with _translated():
            sent = await self._bot.send_document(
                chat_id,
                data,
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
        with _translated():
            await self._bot.set_my_commands(
                [BotCommand(name, description) for name, description in commands],
                scope=scopes[scope](),
                language_code=language,
            )

    async def member_status(self, chat_id: int, user_id: int) -> transport.MemberStatus:
        """The user's status in the chat ("creator", "administrator", "member", ...)."""
        with _translated():
            member = await self._bot.get_chat_member(chat_id, user_id)
        return str(member.status)  # ChatMemberStatus is a str enum: OWNER is "creator"


# -- lifecycle -------------------------------------------------------------------------------


class PtbAdapter:
    """Runs a PTB Application against a Bot API server and feeds Incoming updates to a sink."""

    def __init__(self, token: str, api_url: str) -> None:
        self._app: Application = (
            ApplicationBuilder()
            .token(token)
            .base_url(f"{api_url}/bot")
            .base_file_url(f"{api_url}/file/bot")
            .concurrent_updates(CONCURRENT_UPDATES)
            .job_queue(None)  # scheduling lives in scheduler/, not in the framework
            .build()
        )
        self.client = PtbClient(self._app.bot)
        self._sink: UpdateSink | None = None

    async def start(self, sink: UpdateSink) -> None:
        """getMe, drop any webhook, then poll in the background."""
        self._sink = sink
        self._app.add_handler(TypeHandler(Update, self._on_update))
        try:
            with _translated():
                await self._app.initialize()  # getMe
                await self._app.start()
                # Updater's bootstrap calls deleteWebhook before the first getUpdates.
                await self._app.updater.start_polling(
                    timeout=POLL_TIMEOUT, allowed_updates=ALLOWED_UPDATES
                )
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        """Stop polling (without waiting out the long poll), finish handlers, close sessions."""
        # Updater.stop races the pending getUpdates against a stop event, so this is prompt;
        # Application.stop then waits for updates already being handled.
        if self._app.updater.running:
            await self._app.updater.stop()
        if self._app.running:
            await self._app.stop()
        with suppress(tg_error.TelegramError):
            await self._app.shutdown()

    async def _on_update(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        bot = self._app.bot
        try:
            incoming = to_incoming(update, bot.id, bot.username)
            if incoming is not None and self._sink is not None:
                await self._sink(incoming)
        except Exception:
            # The sink (dispatch) handles its own errors; this only keeps polling alive regardless.
            log.exception("update %s was not handled", update.update_id)
