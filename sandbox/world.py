"""The sandbox's state: people, chats, messages, pending updates and what changed when."""

from __future__ import annotations

import asyncio
import struct
import time
import zlib
from collections import deque
from dataclasses import asdict, dataclass, field
from typing import Any

from sandbox.markup import MAX_CAPTION, command_entities, inline_callbacks

BOT_ID = 7000000001
BOT_USERNAME = "linli_sandbox_bot"
BOT_NAME = "Linli 邻里 (sandbox)"

STATUSES = ("creator", "administrator", "member", "restricted", "left", "kicked")
PRESENT = frozenset({"creator", "administrator", "member", "restricted"})
_EVENT_BACKLOG = 10_000
# The sizes Telegram makes of a person's photo (its "s", "m", "x" and "y" thumbnails), smallest
# first as Telegram lists them; each size is a file of its own with its own file_id.
PHOTO_SIZES = ((90, 68), (320, 240), (800, 600), (1280, 960))
_ADMIN_RIGHTS = (
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
    "can_send_welcome_messages",
    "can_pin_messages",
    "can_manage_topics",
)
_RESTRICTED_RIGHTS = (
    "can_send_messages",
    "can_send_audios",
    "can_send_documents",
    "can_send_photos",
    "can_send_videos",
    "can_send_video_notes",
    "can_send_voice_notes",
    "can_send_polls",
    "can_send_other_messages",
    "can_add_web_page_previews",
    "can_react_to_messages",
    "can_edit_tag",
    "can_change_info",
    "can_invite_users",
    "can_pin_messages",
    "can_manage_topics",
)


class WorldError(ValueError):
    """A person tried something impossible (unknown chat, not a member, no such button)."""


@dataclass
class Persona:
    """A person in the sandbox, with the community details the DB seeder needs."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = "zh-hans"
    building: int | None = None
    room: str | None = None  # as /register reads it: "701", or "3-502" for unit 3 (not building)
    role: str = "resident"  # resident | volunteer | leader
    skills: list[str] = field(default_factory=list)
    phone: str | None = None
    language: str = "zh"  # zh | en
    vulnerable: bool = False
    note: str | None = None
    is_bot: bool = False

    @property
    def full_name(self) -> str:
        """First and last name as Telegram shows them."""
        return f"{self.first_name} {self.last_name}" if self.last_name else self.first_name

    def api(self) -> dict:
        """The Bot API User object."""
        user: dict[str, Any] = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.last_name:
            user["last_name"] = self.last_name
        if self.username:
            user["username"] = self.username
        if self.language_code and not self.is_bot:
            user["language_code"] = self.language_code
        return user


@dataclass
class GroupSpec:
    """A group chat: its members' statuses (the bot's own included) and privacy override."""

    id: int
    title: str
    members: dict[int, str] = field(default_factory=dict)
    type: str = "supergroup"
    building: int | None = None
    privacy_mode: bool | None = None  # None follows the server-wide default
    pinned: int | None = None

    def status(self, user_id: int) -> str:
        """The user's membership status; people never seen here have 'left'."""
        return self.members.get(user_id, "left")

    def api(self) -> dict:
        """The Bot API Chat object."""
        return {"id": self.id, "type": self.type, "title": self.title}


@dataclass
class StoredFile:
    """An uploaded file, kept in memory."""

    file_id: str
    file_unique_id: str
    data: bytes
    name: str
    mime_type: str
    # A photo size's pixels; 0 when unknown (a JPEG upload: the sandbox reads PNG headers only).
    width: int = 0
    height: int = 0


@dataclass
class Message:
    """One message in one chat, as the sandbox remembers it."""

    message_id: int
    chat_id: int
    from_id: int
    date: int
    text: str | None = None  # bot messages: the HTML as sent (after edits)
    plain: str | None = None  # the visible text the Bot API reports
    entities: list[dict] = field(default_factory=list)
    reply_markup: dict | None = None
    reply_to: int | None = None
    document: StoredFile | None = None
    photo: list[StoredFile] | None = None  # its sizes, smallest first
    caption: str | None = None
    caption_plain: str | None = None
    caption_entities: list[dict] = field(default_factory=list)
    contact: dict | None = None
    version: int = 1
    edit_date: int | None = None
    deleted: bool = False


class World:
    """Everything the sandbox knows; also usable in-process by tests."""

    def __init__(
        self,
        personas: list[Persona] | tuple[Persona, ...] = (),
        groups: list[GroupSpec] | tuple[GroupSpec, ...] = (),
        *,
        privacy_mode: bool = True,
        timezone: str = "Asia/Shanghai",
    ) -> None:
        self.bot = Persona(
            BOT_ID, BOT_NAME, username=BOT_USERNAME, language_code=None, is_bot=True, role="bot"
        )
        self.users: dict[int, Persona] = {}
        self.groups: dict[int, GroupSpec] = {}
        self.privacy_mode = privacy_mode
        self.timezone = timezone  # the community's (LINLI_TIMEZONE): the page shows times in it
        self.started: set[int] = set()
        self.messages: dict[int, list[Message]] = {}
        self.reply_keyboards: dict[int, dict] = {}
        self.updates: list[dict] = []
        self.allowed_updates: list[str] = []
        self.callbacks: dict[str, dict] = {}
        self.answers: list[dict] = []
        self.calls: list[dict] = []
        self.commands: dict[tuple[str, str], list[dict]] = {}
        self.files: dict[str, StoredFile] = {}
        # Each size's file_id → the photo's sizes up to that one (what sending it by id shows).
        self.photos: dict[str, list[StoredFile]] = {}
        self.webhook_url = ""
        self.webhook_secret = ""
        self.events: deque[dict] = deque(maxlen=_EVENT_BACKLOG)
        self.seq = 0
        self.closed = False
        self._next_update_id = 1
        self._next_callback = 1
        self._next_file = 1
        self._waiters: set[asyncio.Future[None]] = set()
        for persona in personas:
            self.add_user(persona)
        for group in groups:
            self.add_group_spec(group)

    # -- people and groups -------------------------------------------------------------------

    def add_user(self, persona: Persona) -> Persona:
        """Add a person; their id must be new and positive."""
        if persona.id <= 0 or persona.id in self.users or persona.id == self.bot.id:
            raise WorldError(f"user id {persona.id} is taken or invalid")
        self.users[persona.id] = persona
        self._event("world")
        return persona

    def new_user_id(self) -> int:
        """A fresh user id above every existing one."""
        return max(self.users, default=1000) + 1

    def add_group(
        self,
        title: str,
        *,
        creator_id: int,
        admin_ids: tuple[int, ...] | list[int] = (),
        member_ids: tuple[int, ...] | list[int] = (),
        privacy_mode: bool | None = None,
        chat_id: int | None = None,
        building: int | None = None,
    ) -> GroupSpec:
        """Create a supergroup with the bot as a plain member."""
        if chat_id is None:
            chat_id = min((*self.groups, -1001000000000)) - 1
        members = {uid: "member" for uid in member_ids}
        members.update({uid: "administrator" for uid in admin_ids})
        members[creator_id] = "creator"
        group = GroupSpec(chat_id, title, members, building=building, privacy_mode=privacy_mode)
        self.add_group_spec(group)
        # The creator added the bot just now, so it hears of it as Telegram would tell it.
        self._bot_status_changed(group, creator_id, "left")
        return group

    def add_group_spec(self, group: GroupSpec) -> GroupSpec:
        """Add a group as specified; the bot is a member already unless the spec says otherwise."""
        if group.id >= 0 or group.id in self.groups:
            raise WorldError(f"chat id {group.id} is taken or not a group id")
        unknown = [uid for uid in group.members if uid not in self.users and uid != self.bot.id]
        if unknown:
            raise WorldError(f"unknown users {unknown}")
        group.members.setdefault(self.bot.id, "member")
        self.groups[group.id] = group
        self._event("world", chat_id=group.id)
        return group

    def set_member(self, chat_id: int, user_id: int, status: str, *, by: int | None = None) -> None:
        """Change someone's (or the bot's) status in a group; `by` did it (default: the creator)."""
        group = self.group(chat_id)
        if status not in STATUSES:
            raise WorldError(f"status must be one of {', '.join(STATUSES)}")
        if user_id != self.bot.id:
            self.user(user_id)
        before = group.status(user_id)
        group.members[user_id] = status
        self._event("world", chat_id=chat_id, user_id=user_id)
        if user_id == self.bot.id and status != before:
            actor = by or next((u for u, s in group.members.items() if s == "creator"), None)
            self._bot_status_changed(group, actor, before)

    def _bot_status_changed(self, group: GroupSpec, actor: int | None, before: str) -> None:
        """Tell the bot its membership changed (Telegram's my_chat_member update)."""
        if actor is None:
            return  # no creator to name as the one who did it: Telegram always names someone
        self._push_update(
            "my_chat_member",
            {
                "chat": group.api(),
                "from": self.user(actor).api(),
                "date": int(time.time()),
                "old_chat_member": self.member_api(self.bot.id, before),
                "new_chat_member": self.member_api(self.bot.id, group.status(self.bot.id)),
            },
        )

    def member_api(self, user_id: int, status: str) -> dict:
        """The Bot API ChatMember object for a user with this status."""
        member: dict[str, Any] = {"status": status, "user": self.user(user_id).api()}
        if status == "creator":
            member["is_anonymous"] = False
        elif status == "administrator":
            member.update(dict.fromkeys(_ADMIN_RIGHTS, True))
            member.update(can_be_edited=False, is_anonymous=False, can_promote_members=False)
        elif status == "restricted":
            member.update(dict.fromkeys(_RESTRICTED_RIGHTS, False))
            member.update(is_member=True, until_date=0)
        elif status == "kicked":
            member["until_date"] = 0
        return member

    def user(self, user_id: int) -> Persona:
        """The person with this id."""
        if user_id == self.bot.id:
            return self.bot
        try:
            return self.users[user_id]
        except KeyError:
            raise WorldError(f"no user {user_id}") from None

    def group(self, chat_id: int) -> GroupSpec:
        """The group with this id."""
        try:
            return self.groups[chat_id]
        except KeyError:
            raise WorldError(f"no group {chat_id}") from None

    def is_chat(self, chat_id: int) -> bool:
        """Whether chat_id names a known private chat or group."""
        return chat_id in self.groups or chat_id in self.users

    def chat_api(self, chat_id: int) -> dict:
        """The Bot API Chat object for a private chat (id = user id) or a group."""
        if chat_id in self.groups:
            return self.groups[chat_id].api()
        user = self.user(chat_id)
        chat: dict[str, Any] = {"id": user.id, "type": "private", "first_name": user.first_name}
        if user.last_name:
            chat["last_name"] = user.last_name
        if user.username:
            chat["username"] = user.username
        return chat

    def bot_sees_everything(self, chat_id: int) -> bool:
        """True when privacy mode does not filter this group's messages for the bot."""
        group = self.group(chat_id)
        privacy = self.privacy_mode if group.privacy_mode is None else group.privacy_mode
        return not privacy or group.status(self.bot.id) in ("creator", "administrator")

    # -- messages --------------------------------------------------------------------------

    def history(self, chat_id: int) -> list[Message]:
        """The chat's messages that still exist, oldest first."""
        return [m for m in self.messages.get(chat_id, []) if not m.deleted]

    def find(self, chat_id: int, message_id: int) -> Message | None:
        """A message that still exists, or None."""
        messages = self.messages.get(chat_id, [])
        # Ids are dense per chat, so the index is the id minus one.
        if 0 < message_id <= len(messages) and not messages[message_id - 1].deleted:
            return messages[message_id - 1]
        return None

    def add_message(self, chat_id: int, from_id: int, **content: Any) -> Message:
        """Append a message to a chat and tell the page."""
        history = self.messages.setdefault(chat_id, [])
        message = Message(len(history) + 1, chat_id, from_id, int(time.time()), **content)
        history.append(message)
        if from_id == self.bot.id:
            self._remember_keyboard(chat_id, message.reply_markup)
        self._event("message", chat_id=chat_id, message_id=message.message_id)
        return message

    def edited(self, message: Message) -> None:
        """Record that the bot changed a message."""
        message.version += 1
        message.edit_date = int(time.time())
        self._event("edit", chat_id=message.chat_id, message_id=message.message_id)

    def delete(self, message: Message) -> None:
        """Remove a message from its chat."""
        message.deleted = True
        self._event("delete", chat_id=message.chat_id, message_id=message.message_id)

    def pin(self, chat_id: int, message_id: int | None) -> None:
        """Pin a message in a group (None unpins)."""
        if chat_id in self.groups:
            self.groups[chat_id].pinned = message_id
            self._event("pin", chat_id=chat_id, message_id=message_id)

    def _remember_keyboard(self, chat_id: int, markup: dict | None) -> None:
        # A reply keyboard stays under the input box until the bot removes or replaces it.
        if markup and "keyboard" in markup:
            self.reply_keyboards[chat_id] = markup
        elif markup and markup.get("remove_keyboard"):
            self.reply_keyboards.pop(chat_id, None)

    def message_api(self, message: Message, *, nested: bool = True) -> dict:
        """The Bot API Message object."""
        data: dict[str, Any] = {
            "message_id": message.message_id,
            "from": self.user(message.from_id).api(),
            "chat": self.chat_api(message.chat_id),
            "date": message.date,
        }
        if message.edit_date:
            data["edit_date"] = message.edit_date
        if message.plain is not None:
            data["text"] = message.plain
            if message.entities:
                data["entities"] = message.entities
        if message.caption_plain is not None:
            data["caption"] = message.caption_plain
            if message.caption_entities:
                data["caption_entities"] = message.caption_entities
        if message.document:
            data["document"] = _document_api(message.document)
        if message.photo:
            data["photo"] = [_photo_api(size) for size in message.photo]
        if message.contact:
            data["contact"] = message.contact
        # Only inline keyboards belong to a message; reply keyboards belong to the chat.
        if message.reply_markup and "inline_keyboard" in message.reply_markup:
            data["reply_markup"] = {"inline_keyboard": message.reply_markup["inline_keyboard"]}
        if nested and message.reply_to:
            replied = self.find(message.chat_id, message.reply_to)
            if replied:
                data["reply_to_message"] = self.message_api(replied, nested=False)
        return data

    def message_people(self, message: Message) -> dict:
        """The message as People and the page see it."""
        sender = self.user(message.from_id)
        document = message.document
        return {
            "message_id": message.message_id,
            "chat_id": message.chat_id,
            "from": {"id": sender.id, "first_name": sender.first_name, "is_bot": sender.is_bot},
            "text": message.text,
            "date": message.date,
            "edited": message.edit_date is not None,
            "reply_markup": message.reply_markup,
            "reply_to_message_id": message.reply_to,
            "document": document
            and {
                "file_id": document.file_id,
                "file_name": document.name,
                "size": len(document.data),
            },
            "photo": message.photo
            and {
                "file_id": message.photo[-1].file_id,  # the largest, as the page links it
                "size": len(message.photo[-1].data),
                "sizes": [_photo_api(size) for size in message.photo],
            },
            "caption": message.caption,
            "contact": message.contact,
            "version": message.version,
        }

    # -- what people do ----------------------------------------------------------------------

    def say(self, user_id: int, chat_id: int, text: str, *, reply_to: int | None = None) -> Message:
        """A person writes in a chat; chat_id == user_id is their private chat with the bot."""
        if not text:
            raise WorldError("text is empty")
        self._check_can_write(user_id, chat_id)
        if reply_to is not None and self.find(chat_id, reply_to) is None:
            raise WorldError(f"no message {reply_to} in chat {chat_id}")
        self._used_keyboard(chat_id)
        message = self.add_message(
            chat_id,
            user_id,
            text=text,
            plain=text,
            entities=command_entities(text),
            reply_to=reply_to,
        )
        if self._reaches_bot(message):
            self._push_update("message", self.message_api(message))
        return message

    def send_photo(
        self, user_id: int, chat_id: int, caption: str | None = None, *, reply_to: int | None = None
    ) -> Message:
        """A person sends a photo (a generated picture, in Telegram's sizes), with a caption."""
        caption = caption or None
        if caption is not None and len(caption.strip()) > MAX_CAPTION:
            # Telegram's apps refuse a longer caption before it is ever sent.
            raise WorldError(f"caption is longer than {MAX_CAPTION} characters")
        self._check_can_write(user_id, chat_id)
        if reply_to is not None and self.find(chat_id, reply_to) is None:
            raise WorldError(f"no message {reply_to} in chat {chat_id}")
        self._used_keyboard(chat_id)
        message = self.add_message(
            chat_id,
            user_id,
            photo=self.store_photo(),
            caption=caption,
            caption_plain=caption,
            caption_entities=command_entities(caption or ""),
            reply_to=reply_to,
        )
        if self._reaches_bot(message):
            self._push_update("message", self.message_api(message))
        return message

    def share_contact(self, user_id: int, phone_number: str) -> Message:
        """A person shares their own phone number in their private chat with the bot."""
        person = self.user(user_id)
        contact = {
            "phone_number": phone_number,
            "first_name": person.first_name,
            "user_id": user_id,
        }
        if person.last_name:
            contact["last_name"] = person.last_name
        self.started.add(user_id)
        self._used_keyboard(user_id)
        message = self.add_message(user_id, user_id, contact=contact)
        self._push_update("message", self.message_api(message))
        return message

    def tap(self, user_id: int, chat_id: int, message_id: int, data: str, *, force: bool) -> str:
        """A person taps an inline button; returns the callback query id."""
        self._check_can_write(user_id, chat_id, tapping=True)
        message = self.find(chat_id, message_id)
        if message is None or message.from_id != self.bot.id:
            raise WorldError(f"no bot message {message_id} in chat {chat_id}")
        if not force and data not in inline_callbacks(message.reply_markup):
            raise WorldError(f"message {message_id} has no button with callback_data {data!r}")
        query_id = str(4_200_000_000_000_000_000 + self._next_callback)
        self._next_callback += 1
        self.callbacks[query_id] = {"user_id": user_id, "chat_id": chat_id, "answered": False}
        self._push_update(
            "callback_query",
            {
                "id": query_id,
                "from": self.user(user_id).api(),
                "message": self.message_api(message),
                "chat_instance": str(abs(chat_id) * 31 + 7),
                "data": data,
            },
        )
        return query_id

    def answer(
        self, query_id: str, text: str | None, show_alert: bool, url: str | None = None
    ) -> None:
        """The bot answered a callback query (a toast or alert, or a link the app opens)."""
        query = self.callbacks[query_id]
        query["answered"] = True
        answer = {"callback_query_id": query_id, "text": text, "show_alert": show_alert, "url": url}
        self.answers.append(answer)
        self._event("answer", chat_id=query["chat_id"], user_id=query["user_id"], **answer)

    def _used_keyboard(self, chat_id: int) -> None:
        keyboard = self.reply_keyboards.get(chat_id)
        if keyboard and keyboard.get("one_time_keyboard"):
            del self.reply_keyboards[chat_id]

    def _check_can_write(self, user_id: int, chat_id: int, *, tapping: bool = False) -> None:
        self.user(user_id)
        if chat_id > 0:
            if chat_id != user_id:
                raise WorldError("people can only write to the bot privately (chat_id == user_id)")
            self.started.add(user_id)
            return
        status = self.group(chat_id).status(user_id)
        if status not in PRESENT:
            raise WorldError(f"user {user_id} is not in chat {chat_id} ({status})")
        if status == "restricted" and not tapping:
            raise WorldError(f"user {user_id} is restricted in chat {chat_id}")

    def _reaches_bot(self, message: Message) -> bool:
        if message.chat_id > 0 or self.bot_sees_everything(message.chat_id):
            return True
        text = message.plain or ""
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            _, _, addressee = command.partition("@")
            return not addressee or addressee.lower() == self.bot.username.lower()
        if message.reply_to is not None:
            replied = self.find(message.chat_id, message.reply_to)
            return replied is not None and replied.from_id == self.bot.id
        return False

    # -- files -------------------------------------------------------------------------------

    def store_file(self, data: bytes, name: str, mime_type: str) -> StoredFile:
        """Keep an uploaded file and give it a file_id."""
        number = self._next_file
        self._next_file += 1
        # Telegram's photo ids start "AgAC", its document ids "BQAC".
        prefix = "AgACAgSandbox" if mime_type.startswith("image/") else "BQACAgSandbox"
        stored = StoredFile(f"{prefix}{number:06d}", f"AgADSbx{number:06d}", data, name, mime_type)
        self.files[stored.file_id] = stored
        return stored

    def store_photo(self) -> list[StoredFile]:
        """Make a small picture in each of Telegram's sizes; each size gets its own file_id."""
        number = self._next_file
        colour = ((number * 67) % 256, (number * 131) % 256, (number * 199) % 256)
        sizes = []
        for width, height in PHOTO_SIZES:
            stored = self.store_file(
                _png(width, height, colour), f"photo_{number}.png", "image/png"
            )
            stored.width, stored.height = width, height
            sizes.append(stored)
            self.photos[stored.file_id] = list(sizes)
        return sizes

    # -- updates and change notification -----------------------------------------------------

    def continue_updates_after(self, update_id: int) -> None:
        """Number the next updates after `update_id`, e.g. the last one a bot on this database saw.

        A bot ignores an update id it handled within the last day, so a sandbox restarted on the
        same database must not count from 1 again.
        """
        self._next_update_id = max(self._next_update_id, update_id + 1)

    def _push_update(self, kind: str, payload: dict) -> None:
        self.updates.append({"update_id": self._next_update_id, kind: payload})
        self._next_update_id += 1
        self.notify()

    def _event(self, kind: str, **data: Any) -> None:
        self.seq += 1
        self.events.append({"seq": self.seq, "type": kind, **data})
        self.notify()

    def events_after(self, seq: int) -> list[dict]:
        """Page events newer than seq."""
        return [event for event in self.events if event["seq"] > seq]

    def drop_unwanted_updates(self) -> None:
        """Telegram never queues updates of types the bot did not ask for."""
        allowed = set(self.allowed_updates)
        if allowed:
            self.updates[:] = [
                u for u in self.updates if allowed.intersection(u.keys() - {"update_id"})
            ]

    def notify(self) -> None:
        """Wake every long poll waiting for a change."""
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._waiters.clear()

    async def changed(self, *, within: float) -> None:
        """Wait until anything changes, the world closes or `within` seconds pass."""
        if self.closed or within <= 0:
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.add(waiter)
        try:
            await asyncio.wait({waiter}, timeout=within)
        finally:
            self._waiters.discard(waiter)

    def close(self) -> None:
        """Release every long poll, e.g. when the server stops."""
        self.closed = True
        self.notify()

    def snapshot(self) -> dict:
        """People, groups and the bot, for the page and People clients."""
        return {
            "bot": {
                "id": self.bot.id,
                "username": self.bot.username,
                "first_name": self.bot.first_name,
            },
            "privacy_mode": self.privacy_mode,
            "timezone": self.timezone,
            "users": [asdict(p) for p in self.users.values()],
            "groups": [
                {**asdict(g), "members": {str(uid): s for uid, s in g.members.items()}}
                for g in self.groups.values()
            ],
            "started": sorted(self.started),
            "seq": self.seq,
        }


def _document_api(stored: StoredFile) -> dict:
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_name": stored.name,
        "mime_type": stored.mime_type,
        "file_size": len(stored.data),
    }


def _photo_api(stored: StoredFile) -> dict:
    # A JPEG upload is not decoded offline: it reports Telegram's largest usual size.
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "width": stored.width or 1280,
        "height": stored.height or 960,
        "file_size": len(stored.data),
    }


def _png(width: int, height: int, colour: tuple[int, int, int]) -> bytes:
    """A valid PNG of one colour (no imaging library needed): small, and opens in a browser."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        checksum = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", checksum)

    row = b"\x00" + bytes(colour) * width  # filter type 0, then RGB pixels
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height, 9))
        + chunk(b"IEND", b"")
    )
