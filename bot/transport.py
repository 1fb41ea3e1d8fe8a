"""The boundary the adapters implement: sending to a chat platform and asking it about chats."""

from __future__ import annotations

from typing import Protocol

from bot.context import Markup

MemberStatus = str  # "creator" | "administrator" | "member" | "restricted" | "left" | "kicked"


class TransportError(Exception):
    """A chat platform refused or failed a call."""


class RetryAfter(TransportError):
    """The platform asked us to slow down (HTTP 429)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"retry after {seconds}s")
        self.seconds = seconds


class Forbidden(TransportError):
    """The bot may not write there (blocked, never started, removed from the group)."""


class BadRequest(TransportError):
    """The platform rejected the parameters; retrying the same call will not help."""

    @property
    def not_modified(self) -> bool:
        """True when an edit carried exactly the content already shown."""
        return "not modified" in str(self).lower()

    @property
    def message_gone(self) -> bool:
        """True when the message to edit no longer exists."""
        text = str(self).lower()
        return "message to edit not found" in text or "message can't be edited" in text


class NetworkError(TransportError):
    """A passing failure (timeout, connection reset): try again later."""


class ChatQueries(Protocol):
    """What handlers may ask the platform while handling an update."""

    @property
    def bot_username(self) -> str:
        """The bot's @username (without @), used for deep links."""
        ...

    async def member_status(self, chat_id: int, user_id: int) -> MemberStatus:
        """The user's status in the chat (getChatMember)."""
        ...


class BotClient(ChatQueries, Protocol):
    """Outgoing calls used by delivery; adapters translate their framework's errors to ours."""

    async def send_message(
        self, chat_id: int, text: str, markup: Markup, reply_to: int | None
    ) -> int:
        """Send an HTML message; return its message id."""
        ...

    async def edit_message(self, chat_id: int, message_id: int, text: str, markup: Markup) -> None:
        """Replace the text (and inline keyboard) of a message the bot sent."""
        ...

    async def answer_callback(
        self, callback_id: str, text: str | None, alert: bool, url: str | None = None
    ) -> None:
        """Answer a button tap; `url` may be a t.me deep link to the bot, which the app opens."""
        ...

    async def send_document(
        self, chat_id: int, filename: str, data: bytes, caption: str | None
    ) -> int:
        """Send a file; return its message id."""
        ...

    async def send_photo(
        self, chat_id: int, file_id: str, caption: str | None, markup: Markup
    ) -> int:
        """Send a photo Telegram already stores, by file_id, with an HTML caption; return its id."""
        ...

    async def upload_photo(
        self, chat_id: int, filename: str, data: bytes, caption: str | None
    ) -> int:
        """Upload a picture we drew (PNG, JPEG) as a photo with an HTML caption; return its id."""
        ...

    async def set_commands(
        self, scope: str, language: str | None, commands: list[tuple[str, str]]
    ) -> None:
        """Register the command menu for "private" or "group" chats (setMyCommands)."""
        ...
