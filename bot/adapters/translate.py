"""Updates in: one translation from the frameworks' Update objects to the core's Incoming.

python-telegram-bot and aiogram both mirror the Bot API's field names, so one function reads
either; enum-valued fields (chat type, member status) are read as their Bot API strings.
"""

from __future__ import annotations

from typing import Any

from bot.adapters import bot_joined, parse_command
from bot.context import Chat, Contact, Incoming, ReplyTo, Sender


def api_name(value: Any) -> str:
    """A Bot API string from a framework's enum member (or the string itself)."""
    return str(getattr(value, "value", value))


def _sender(message: Any) -> Sender | None:
    # Anonymous admins and linked channels post as a chat: there is no person to act for.
    user = message.from_user
    if user is None or message.sender_chat is not None:
        return None
    return Sender(user.id, user.full_name, user.username, user.language_code, user.is_bot)


def _reply_to(message: Any, bot_id: int) -> ReplyTo | None:
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


def _largest_photo(sizes: Any) -> str | None:
    """The file_id of a photo's largest size: Telegram sends one PhotoSize per resolution."""
    if not sizes:
        return None
    # Telegram lists sizes smallest first, but the Bot API does not promise an order.
    largest = max(sizes, key=lambda size: (size.width * size.height, size.file_size or 0))
    return largest.file_id


def _joined(update_id: int, change: Any, bot_id: int) -> Incoming | None:
    """The bot was added to a group: an Incoming without a message, or None for other changes."""
    chat, user = change.chat, change.from_user
    old, new = api_name(change.old_chat_member.status), api_name(change.new_chat_member.status)
    if change.new_chat_member.user.id != bot_id or not bot_joined(old, new):
        return None
    if api_name(chat.type) not in ("group", "supergroup"):
        return None
    return Incoming(
        update_id=update_id,
        chat=Chat(chat.id, api_name(chat.type), chat.title),
        sender=Sender(user.id, user.full_name, user.username, user.language_code, user.is_bot),
        joined_group=True,
    )


def to_incoming(update: Any, bot_id: int, bot_username: str) -> Incoming | None:
    """Convert a PTB or aiogram Update to an Incoming; None for updates the core ignores."""
    if (query := update.callback_query) is not None:
        if query.message is None:  # a tap on an inline-mode message: no chat to answer in
            return None
        user = query.from_user
        chat = query.message.chat  # also present on InaccessibleMessage (older than 48 h)
        return Incoming(
            update_id=update.update_id,
            chat=Chat(chat.id, api_name(chat.type), chat.title),
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
    photo = _largest_photo(message.photo)
    if text is None and contact is None and photo is None:  # service messages, stickers
        return None
    command, args, for_us = parse_command(message.text, bot_username)
    if not for_us:
        return None
    return Incoming(
        update_id=update.update_id,
        chat=Chat(message.chat.id, api_name(message.chat.type), message.chat.title),
        sender=_sender(message),
        message_id=message.message_id,
        text=text,
        command=command,
        args=args,
        reply_to=_reply_to(message, bot_id),
        contact=Contact(contact.phone_number, contact.user_id) if contact else None,
        photo=photo,
    )
