"""The bot's side of the sandbox: Bot API methods over HTTP, with Telegram's errors and limits."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import struct
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from aiohttp.web_request import FileField

from sandbox.limits import COUNTED_METHODS, Faults, RateLimiter
from sandbox.markup import (
    MAX_CAPTION,
    MAX_TEXT,
    MarkupError,
    check_reply_markup,
    check_text,
)
from sandbox.world import PRESENT, Message, StoredFile, World

MAX_POLL_SECONDS = 60
_COMMAND_NAME = re.compile(r"^[a-z0-9_]{1,32}$")
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)


class BotApiError(Exception):
    """A Bot API failure, carried to the response as Telegram's error object."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def body(self) -> dict:
        """The JSON error object Telegram would return."""
        body: dict = {"ok": False, "error_code": self.code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(description: str) -> BotApiError:
    """A 400 with Telegram's "Bad Request: " prefix."""
    return BotApiError(400, f"Bad Request: {description}")


def forbidden(description: str) -> BotApiError:
    """A 403 with Telegram's "Forbidden: " prefix."""
    return BotApiError(403, f"Forbidden: {description}")


class Params:
    """Method parameters from a query string, JSON, urlencoded or multipart body, typed on read."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    @classmethod
    async def read(cls, request: web.Request) -> Params:
        """Collect parameters the way Telegram accepts them."""
        values: dict[str, Any] = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                try:
                    body = await request.json()
                except ValueError:
                    raise bad_request("can't parse JSON encoded request parameters") from None
                if not isinstance(body, dict):
                    raise bad_request("JSON request parameters must be an object")
                values.update(body)
            else:
                values.update(await request.post())
        return cls(values)

    def raw(self, name: str) -> Any:
        """The value as received, or None."""
        return self.values.get(name)

    def str(self, name: str, *, required: bool = False) -> str | None:
        """A string parameter."""
        value = self.values.get(name)
        if value is None:
            if required:
                raise bad_request(f'parameter "{name}" is required')
            return None
        if isinstance(value, FileField):
            raise bad_request(f'parameter "{name}" must be a string')
        return value if isinstance(value, str) else json.dumps(value)

    def int(self, name: str, *, required: bool = False) -> int | None:
        """An integer parameter; form fields carry it as text."""
        value = self.values.get(name)
        if value is None or value == "":
            if required:
                raise bad_request(f'parameter "{name}" is required')
            return None
        if isinstance(value, (bool, FileField)):
            raise bad_request(f'parameter "{name}" must be an Integer')
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad_request(f'parameter "{name}" must be an Integer') from None

    def bool(self, name: str) -> bool:
        """A boolean parameter; form fields carry it as "true"/"false"."""
        value = self.values.get(name)
        if isinstance(value, str):
            return value.strip().lower() in ("true", "1")
        return bool(value)

    def json(self, name: str, *, error: str | None = None) -> Any:
        """An object or array parameter, which form fields carry JSON-encoded."""
        value = self.values.get(name)
        if not isinstance(value, str):
            return value
        if value == "":
            return None
        try:
            return json.loads(value)
        except ValueError:
            raise bad_request(error or f"can't parse {name} JSON object") from None

    def upload(self, name: str) -> FileField | str | None:
        """A file parameter: an upload (direct or via attach://), or a file_id/URL string."""
        value = self.values.get(name)
        if isinstance(value, str) and value.startswith("attach://"):
            value = self.values.get(value.removeprefix("attach://"))
            if value is None:
                raise bad_request(f'can\'t find attached file "{name}"')
        return value


Handler = Callable[[Params], Awaitable[Any]]


class BotApi:
    """Answers /bot<token>/<method> like Telegram, recording every call."""

    def __init__(self, world: World, token: str, limiter: RateLimiter, faults: Faults) -> None:
        self.world = world
        self.token = token
        self.limiter = limiter
        self.faults = faults
        self._poll_generation = 0
        self._methods: dict[str, tuple[str, Handler]] = {}
        for name, handler in {
            "getMe": self.get_me,
            "logOut": self.accept,
            "close": self.accept,
            "getUpdates": self.get_updates,
            "setWebhook": self.set_webhook,
            "deleteWebhook": self.delete_webhook,
            "getWebhookInfo": self.get_webhook_info,
            "setMyCommands": self.set_my_commands,
            "getMyCommands": self.get_my_commands,
            "deleteMyCommands": self.delete_my_commands,
            "setMyDescription": self.accept,
            "setMyShortDescription": self.accept,
            "setMyName": self.accept,
            "setChatMenuButton": self.accept,
            "sendChatAction": self.send_chat_action,
            "sendMessage": self.send_message,
            "sendDocument": self.send_document,
            "sendPhoto": self.send_photo,
            "editMessageText": self.edit_message_text,
            "editMessageCaption": self.edit_message_caption,
            "editMessageReplyMarkup": self.edit_message_reply_markup,
            "deleteMessage": self.delete_message,
            "answerCallbackQuery": self.answer_callback_query,
            "pinChatMessage": self.pin_chat_message,
            "unpinChatMessage": self.unpin_chat_message,
            "getChat": self.get_chat,
            "getChatMember": self.get_chat_member,
            "getChatAdministrators": self.get_chat_administrators,
            "getChatMemberCount": self.get_chat_member_count,
            "leaveChat": self.leave_chat,
            "getFile": self.get_file,
        }.items():
            # Telegram matches method names case-insensitively.
            self._methods[name.lower()] = (name, handler)

    async def handle(self, request: web.Request) -> web.Response:
        """Route one Bot API request."""
        if request.match_info["token"] != self.token:
            return _error_response(BotApiError(401, "Unauthorized"))
        found = self._methods.get(request.match_info["method"].lower())
        if found is None:
            return _error_response(BotApiError(404, "Not Found"))
        name, handler = found
        params: Params | None = None
        try:
            params = await Params.read(request)
            fault = self.faults.take(name)
            body = fault.response() if fault else {"ok": True, "result": await handler(params)}
        except BotApiError as error:
            body = error.body()
        self._log(name, params, body)
        return web.json_response(body, status=body.get("error_code", 200))

    async def download(self, request: web.Request) -> web.Response:
        """Serve /file/bot<token>/<file_path> as Telegram's file server does."""
        if request.match_info["token"] != self.token:
            raise web.HTTPUnauthorized()
        stored = self.world.files.get(request.match_info["path"].rsplit("/", 1)[-1])
        if stored is None:
            raise web.HTTPNotFound()
        return web.Response(body=stored.data, content_type=stored.mime_type)

    def _log(self, method: str, params: Params | None, body: dict) -> None:
        chat_id = params.raw("chat_id") if params else None
        # "@channelname" style ids are logged as given.
        with contextlib.suppress(TypeError, ValueError):
            chat_id = int(chat_id) if chat_id is not None else None
        self.world.calls.append(
            {
                "method": method,
                "chat_id": chat_id,
                "ok": body["ok"],
                "error_code": body.get("error_code"),
                "description": body.get("description"),
                "at": time.time(),
            }
        )

    # -- shared checks -----------------------------------------------------------------------

    def _chat_id(self, params: Params, name: str = "chat_id") -> int:
        value = params.raw(name)
        if value is None or value == "":
            raise bad_request("chat_id is empty")
        try:
            chat_id = int(value)
        except (TypeError, ValueError):
            raise bad_request("chat not found") from None
        if not self.world.is_chat(chat_id):
            raise bad_request("chat not found")
        return chat_id

    def _writable_chat(self, params: Params) -> int:
        chat_id = self._chat_id(params)
        if chat_id > 0:
            if chat_id not in self.world.started:
                raise forbidden("bot can't initiate conversation with a user")
            return chat_id
        group = self.world.group(chat_id)
        kind = "supergroup" if group.type == "supergroup" else "group"
        status = group.status(self.world.bot.id)
        if status == "kicked":
            raise forbidden(f"bot was kicked from the {kind} chat")
        if status not in PRESENT:
            raise forbidden(f"bot is not a member of the {kind} chat")
        return chat_id

    def _throttle(self, method: str, chat_id: int) -> None:
        if method in COUNTED_METHODS and (wait := self.limiter.acquire(chat_id)) is not None:
            raise BotApiError(429, f"Too Many Requests: retry after {wait}", retry_after=wait)

    def _reply_to(self, params: Params, chat_id: int) -> int | None:
        reply = params.json("reply_parameters") or {}
        message_id = reply.get("message_id") if isinstance(reply, dict) else None
        if message_id is None:
            message_id = params.int("reply_to_message_id")
            allow_missing = params.bool("allow_sending_without_reply")
        else:
            allow_missing = bool(reply.get("allow_sending_without_reply"))
        if message_id is None:
            return None
        if self.world.find(chat_id, int(message_id)) is None:
            if allow_missing:
                return None
            raise bad_request("message to be replied not found")
        return int(message_id)

    def _markup(self, params: Params, *, inline_only: bool = False) -> dict | None:
        markup = params.json("reply_markup", error="can't parse reply keyboard markup JSON object")
        try:
            markup = check_reply_markup(markup)
        except MarkupError as error:
            raise bad_request(str(error)) from None
        if inline_only and markup is not None and "inline_keyboard" not in markup:
            raise bad_request("inline keyboard expected")
        if (
            markup is not None
            and "inline_keyboard" in markup
            and not any(markup["inline_keyboard"])
        ):
            # Editing to an empty keyboard is how a bot removes a message's buttons; a new
            # message with a keyboard of no buttons is refused, and the whole message is lost.
            if not inline_only:
                raise bad_request("REPLY_MARKUP_INVALID")
            return None
        return markup

    def _text(self, params: Params, name: str, limit: int = MAX_TEXT) -> tuple[str, list]:
        text = params.str(name) or ""
        explicit = params.json("caption_entities" if name == "caption" else "entities")
        parse_mode = None if explicit else params.str("parse_mode")
        try:
            plain, entities = check_text(text, parse_mode=parse_mode, limit=limit)
        except MarkupError as error:
            raise bad_request(str(error)) from None
        return plain, explicit or entities

    def _bot_message(self, params: Params, *, what: str) -> Message:
        chat_id = self._chat_id(params)
        if params.raw("inline_message_id"):
            raise bad_request("inline messages are not supported by the sandbox")
        message_id = params.int("message_id", required=True)
        message = self.world.find(chat_id, message_id or 0)
        if message is None:
            raise bad_request(f"message to {what} not found")
        if message.from_id != self.world.bot.id:
            raise bad_request(f"message can't be {what}ed")
        return message

    # -- bot and updates ---------------------------------------------------------------------

    async def accept(self, params: Params) -> bool:
        """Methods the sandbox accepts without effect."""
        return True

    async def get_me(self, params: Params) -> dict:
        """getMe."""
        return {
            **self.world.bot.api(),
            "can_join_groups": True,
            "can_read_all_group_messages": not self.world.privacy_mode,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def get_updates(self, params: Params) -> list[dict]:
        """getUpdates: confirm by offset, filter, and long-poll until something arrives."""
        self._poll_generation += 1
        generation = self._poll_generation
        self.world.notify()  # an older poll still waiting now ends with 409, as on Telegram
        offset = params.int("offset")
        limit = min(max(params.int("limit") or 100, 1), 100)
        timeout = min(max(params.int("timeout") or 0, 0), MAX_POLL_SECONDS)
        if self.world.webhook_url:
            raise BotApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use "
                "deleteWebhook to delete the webhook first",
            )
        allowed = params.json("allowed_updates")
        if allowed is not None:
            self.world.allowed_updates = list(allowed)
        self._confirm(offset)
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            if generation != self._poll_generation:
                raise BotApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only one "
                    "bot instance is running",
                )
            self.world.drop_unwanted_updates()
            remaining = deadline - asyncio.get_running_loop().time()
            if self.world.updates or remaining <= 0 or self.world.closed:
                return self.world.updates[:limit]
            await self.world.changed(within=remaining)

    def _confirm(self, offset: int | None) -> None:
        updates = self.world.updates
        if offset is None:
            return
        if offset < 0:
            del updates[: max(0, len(updates) + offset)]
        else:
            updates[:] = [u for u in updates if u["update_id"] >= offset]

    async def set_webhook(self, params: Params) -> bool:
        """setWebhook: from now on updates are POSTed there (sandbox/webhook.py), not polled."""
        self.world.webhook_url = params.str("url") or ""
        self.world.webhook_secret = params.str("secret_token") or ""
        allowed = params.json("allowed_updates")
        if allowed is not None:
            self.world.allowed_updates = list(allowed)
        if params.bool("drop_pending_updates"):
            self.world.updates.clear()
        self.world.notify()
        return True

    async def delete_webhook(self, params: Params) -> bool:
        """deleteWebhook."""
        self.world.webhook_url = ""
        if params.bool("drop_pending_updates"):
            self.world.updates.clear()
        return True

    async def get_webhook_info(self, params: Params) -> dict:
        """getWebhookInfo."""
        return {
            "url": self.world.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self.world.updates),
        }

    def _commands_key(self, params: Params) -> tuple[str, str]:
        scope = params.json("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), params.str("language_code") or ""

    async def set_my_commands(self, params: Params) -> bool:
        """setMyCommands, stored per scope and language."""
        commands = params.json("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad_request("can't parse commands JSON object")
        for command in commands:
            name = command.get("command", "") if isinstance(command, dict) else ""
            description = command.get("description", "") if isinstance(command, dict) else ""
            if not _COMMAND_NAME.match(name.removeprefix("/")) or not 1 <= len(description) <= 256:
                raise bad_request("BOT_COMMAND_INVALID")
        self.world.commands[self._commands_key(params)] = [
            {"command": c["command"].removeprefix("/"), "description": c["description"]}
            for c in commands
        ]
        return True

    async def get_my_commands(self, params: Params) -> list[dict]:
        """getMyCommands."""
        return self.world.commands.get(self._commands_key(params), [])

    async def delete_my_commands(self, params: Params) -> bool:
        """deleteMyCommands."""
        self.world.commands.pop(self._commands_key(params), None)
        return True

    # -- sending and editing -----------------------------------------------------------------

    async def send_chat_action(self, params: Params) -> bool:
        """sendChatAction ("typing…"): checked like a send, shown nowhere."""
        self._writable_chat(params)
        return True

    async def send_message(self, params: Params) -> dict:
        """sendMessage."""
        chat_id = self._writable_chat(params)
        plain, entities = self._text(params, "text")
        markup = self._markup(params)
        reply_to = self._reply_to(params, chat_id)
        self._throttle("sendMessage", chat_id)
        message = self.world.add_message(
            chat_id,
            self.world.bot.id,
            text=params.str("text"),
            plain=plain,
            entities=entities,
            reply_markup=markup,
            reply_to=reply_to,
        )
        return self.world.message_api(message)

    async def send_document(self, params: Params) -> dict:
        """sendDocument."""
        return await self._send_file(params, "document", "sendDocument")

    async def send_photo(self, params: Params) -> dict:
        """sendPhoto."""
        return await self._send_file(params, "photo", "sendPhoto")

    async def _send_file(self, params: Params, field: str, method: str) -> dict:
        chat_id = self._writable_chat(params)
        stored: StoredFile | list[StoredFile] = (
            self._photo_sizes(params) if field == "photo" else self._stored_upload(params, field)
        )
        caption, caption_entities = (None, [])
        if params.str("caption"):
            caption, caption_entities = self._text(params, "caption", MAX_CAPTION)
        markup = self._markup(params)
        reply_to = self._reply_to(params, chat_id)
        self._throttle(method, chat_id)
        message = self.world.add_message(
            chat_id,
            self.world.bot.id,
            caption=params.str("caption") if caption is not None else None,
            caption_plain=caption,
            caption_entities=caption_entities,
            reply_markup=markup,
            reply_to=reply_to,
            **{field: stored},
        )
        return self.world.message_api(message)

    def _photo_sizes(self, params: Params) -> list[StoredFile]:
        """A photo's sizes: one for a fresh upload, those Telegram keeps for a known file_id."""
        value = params.upload("photo")
        if isinstance(value, str) and value in self.world.files:
            if value not in self.world.photos:
                raise bad_request("type of file mismatch")
            return self.world.photos[value]
        uploaded = self._stored_upload(params, "photo")
        size = _image_size(uploaded.data)
        if size is None:
            raise bad_request("IMAGE_PROCESS_FAILED")
        uploaded.width, uploaded.height = size
        self.world.photos[uploaded.file_id] = [uploaded]
        return [uploaded]

    def _stored_upload(self, params: Params, field: str) -> StoredFile:
        value = params.upload(field)
        if isinstance(value, FileField):
            data = value.file.read()
            if not data:
                raise bad_request("file must be non-empty")
            default_type = "image/jpeg" if field == "photo" else "application/octet-stream"
            mime = value.content_type or default_type
            if mime == "application/octet-stream" and field == "photo":
                mime = default_type
            return self.world.store_file(data, value.filename or field, mime)
        if not value:
            raise bad_request(f"there is no {field} in the request")
        if value in self.world.files:
            return self.world.files[value]
        if value.startswith(("http://", "https://")):
            raise bad_request("failed to get HTTP URL content")
        raise bad_request("wrong file identifier/HTTP URL specified")

    async def edit_message_text(self, params: Params) -> dict:
        """editMessageText; leaving out reply_markup removes the buttons, as on Telegram."""
        message = self._bot_message(params, what="edit")
        if message.plain is None:
            raise bad_request("there is no text in the message to edit")
        plain, entities = self._text(params, "text")
        markup = self._markup(params, inline_only=True)
        if (plain, entities, markup) == (message.plain, message.entities, message.reply_markup):
            raise bad_request(_NOT_MODIFIED)
        self._throttle("editMessageText", message.chat_id)
        message.text, message.plain, message.entities = params.str("text"), plain, entities
        message.reply_markup = markup
        self.world.edited(message)
        return self.world.message_api(message)

    async def edit_message_caption(self, params: Params) -> dict:
        """editMessageCaption."""
        message = self._bot_message(params, what="edit")
        if message.document is None and message.photo is None:
            raise bad_request("there is no caption in the message to edit")
        caption, caption_entities = (None, [])
        if params.str("caption"):
            caption, caption_entities = self._text(params, "caption", MAX_CAPTION)
        markup = self._markup(params, inline_only=True)
        current = (message.caption_plain, message.caption_entities, message.reply_markup)
        if (caption, caption_entities, markup) == current:
            raise bad_request(_NOT_MODIFIED)
        self._throttle("editMessageCaption", message.chat_id)
        message.caption = params.str("caption") if caption is not None else None
        message.caption_plain, message.caption_entities = caption, caption_entities
        message.reply_markup = markup
        self.world.edited(message)
        return self.world.message_api(message)

    async def edit_message_reply_markup(self, params: Params) -> dict:
        """editMessageReplyMarkup."""
        message = self._bot_message(params, what="edit")
        markup = self._markup(params, inline_only=True)
        if markup == message.reply_markup:
            raise bad_request(_NOT_MODIFIED)
        self._throttle("editMessageReplyMarkup", message.chat_id)
        message.reply_markup = markup
        self.world.edited(message)
        return self.world.message_api(message)

    async def delete_message(self, params: Params) -> bool:
        """deleteMessage: own messages anywhere, others' in private chats or as a group admin."""
        chat_id = self._chat_id(params)
        message = self.world.find(chat_id, params.int("message_id", required=True) or 0)
        if message is None:
            raise bad_request("message to delete not found")
        own = message.from_id == self.world.bot.id
        if not own and chat_id < 0 and not self._bot_is_admin(chat_id):
            raise bad_request("message can't be deleted")
        self.world.delete(message)
        return True

    async def answer_callback_query(self, params: Params) -> bool:
        """answerCallbackQuery: each query can be answered once."""
        query_id = params.str("callback_query_id", required=True) or ""
        query = self.world.callbacks.get(query_id)
        if query is None or query["answered"]:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        url = params.str("url")
        if url and not url.startswith(f"https://t.me/{self.world.bot.username}?start="):
            # Telegram only opens game URLs and links that start the bot itself.
            raise bad_request("URL_INVALID")
        self.world.answer(query_id, params.str("text"), params.bool("show_alert"), url)
        return True

    def _bot_is_admin(self, chat_id: int) -> bool:
        return self.world.group(chat_id).status(self.world.bot.id) in ("creator", "administrator")

    async def pin_chat_message(self, params: Params) -> bool:
        """pinChatMessage: in groups the bot must be an administrator."""
        chat_id = self._writable_chat(params)
        message_id = params.int("message_id", required=True) or 0
        if chat_id < 0 and not self._bot_is_admin(chat_id):
            raise bad_request("not enough rights to manage pinned messages in the chat")
        if self.world.find(chat_id, message_id) is None:
            raise bad_request("message to pin not found")
        self.world.pin(chat_id, message_id)
        return True

    async def unpin_chat_message(self, params: Params) -> bool:
        """unpinChatMessage."""
        chat_id = self._writable_chat(params)
        if chat_id < 0 and not self._bot_is_admin(chat_id):
            raise bad_request("not enough rights to manage pinned messages in the chat")
        self.world.pin(chat_id, None)
        return True

    # -- chats and members -------------------------------------------------------------------

    async def get_chat(self, params: Params) -> dict:
        """getChat, answered with a ChatFullInfo both frameworks accept."""
        chat_id = self._chat_id(params)
        info = {
            **self.world.chat_api(chat_id),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }
        pinned = self.world.groups[chat_id].pinned if chat_id < 0 else None
        if pinned and (message := self.world.find(chat_id, pinned)):
            info["pinned_message"] = self.world.message_api(message)
        return info

    async def get_chat_member(self, params: Params) -> dict:
        """getChatMember."""
        chat_id = self._chat_id(params)
        user_id = params.int("user_id", required=True) or 0
        if user_id != self.world.bot.id and user_id not in self.world.users:
            raise bad_request("user not found")
        if chat_id > 0:
            if user_id not in (chat_id, self.world.bot.id):
                raise bad_request("user not found")
            return self._member(user_id, "member")
        return self._member(user_id, self.world.group(chat_id).status(user_id))

    async def get_chat_administrators(self, params: Params) -> list[dict]:
        """getChatAdministrators, creator first."""
        chat_id = self._chat_id(params)
        if chat_id > 0:
            raise bad_request("there are no administrators in the private chat")
        members = self.world.group(chat_id).members
        ranked = sorted(
            (uid for uid, s in members.items() if s in ("creator", "administrator")),
            key=lambda uid: members[uid] != "creator",
        )
        return [self._member(uid, members[uid]) for uid in ranked]

    async def get_chat_member_count(self, params: Params) -> int:
        """getChatMemberCount, the bot included."""
        chat_id = self._chat_id(params)
        if chat_id > 0:
            return 2
        return sum(s in PRESENT for s in self.world.group(chat_id).members.values())

    async def leave_chat(self, params: Params) -> bool:
        """leaveChat: the bot leaves a group."""
        chat_id = self._chat_id(params)
        if chat_id > 0:
            raise bad_request("chat member status can't be changed in private chats")
        self.world.set_member(chat_id, self.world.bot.id, "left")
        return True

    def _member(self, user_id: int, status: str) -> dict:
        return self.world.member_api(user_id, status)

    async def get_file(self, params: Params) -> dict:
        """getFile: the file_path is served under /file/bot<token>/."""
        stored = self.world.files.get(params.str("file_id", required=True) or "")
        if stored is None:
            raise bad_request("invalid file_id")
        folder = "photos" if stored.file_id in self.world.photos else "documents"
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": f"{folder}/{stored.file_id}",
        }


def _error_response(error: BotApiError) -> web.Response:
    return web.json_response(error.body(), status=error.code)


def _image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of an uploaded PNG, (0, 0) for a JPEG; None if it is no picture at all.

    Telegram refuses a photo it cannot decode; the sandbox reads a PNG's header only, and
    leaves a JPEG's size unknown (0: the API then reports Telegram's usual largest size).
    """
    if data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR":
        width, height = struct.unpack(">II", data[16:24])
        return width, height
    if data.startswith(b"\xff\xd8\xff"):
        return 0, 0
    return None
