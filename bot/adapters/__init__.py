"""Adapters: the only modules that import a Telegram framework."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Protocol

from bot.context import Incoming

if TYPE_CHECKING:
    from bot.settings import Settings
    from bot.transport import BotClient

_COMMAND = re.compile(r"/([A-Za-z0-9_]{1,32})(?:@([A-Za-z0-9_]+))?(?:\s+(.*))?", re.DOTALL)


def parse_command(text: str | None, bot_username: str) -> tuple[str | None, str, bool]:
    """Split "/cmd@bot args" into (command, args, meant_for_us); plain text is (None, "", True)."""
    match = _COMMAND.fullmatch(text or "")
    if match is None:
        return None, "", True
    name, addressee, args = match.groups()
    if addressee and addressee.lower() != bot_username.lower():
        return None, "", False
    return name.lower(), (args or "").strip(), True


def bot_joined(old_status: str, new_status: str) -> bool:
    """True when a my_chat_member change means the bot was just added to the chat."""
    return old_status in ("left", "kicked") and new_status in ("member", "administrator")


class Adapter(Protocol):
    """A framework's bot: Linli's HTTP client and parser of Telegram's updates."""

    client: BotClient

    async def start(self) -> None:
        """Initialise the bot (getMe)."""
        ...

    async def stop(self) -> None:
        """Close network sessions."""
        ...

    async def fetch_updates(self, offset: int | None, wait: int) -> list[dict[str, Any]]:
        """getUpdates: the next batch as raw JSON; `offset` confirms every earlier update."""
        ...

    def parse(self, raw: dict[str, Any]) -> Incoming | None:
        """A raw update as Incoming, parsed by the framework (None for kinds Linli ignores)."""
        ...

    async def use_webhook(self, url: str, secret: str) -> None:
        """setWebhook: Telegram POSTs updates to `url` with the secret in a header."""
        ...

    async def use_polling(self) -> None:
        """deleteWebhook, so getUpdates works."""
        ...


def make_adapter(settings: Settings) -> Adapter:
    """Build the adapter chosen by LINLI_FRAMEWORK."""
    if settings.framework == "aiogram":
        from bot.adapters.aiogram_types import defer_type_building

        defer_type_building()  # before aiogram is first imported
        from bot.adapters.aiogram import AiogramAdapter

        return AiogramAdapter(settings.telegram_bot_token, settings.api_url)
    from bot.adapters.ptb import PtbAdapter

    return PtbAdapter(settings.telegram_bot_token, settings.api_url)
