"""People: drive the sandbox over HTTP as the people in it would."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import aiohttp

_POLL_SLICE_SECONDS = 2.0
_RECENT_SHOWN = 8


class PeopleError(RuntimeError):
    """The sandbox refused a people-side request (unknown chat, not a member, no such button)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status


class People:
    """Drives the sandbox as people would (for tests, benchmarks and scripts)."""

    def __init__(self, root_url: str, session: aiohttp.ClientSession | None = None) -> None:
        self.root = root_url.rstrip("/")
        self._session = session
        self._owns_session = session is None

    async def __aenter__(self) -> People:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the HTTP session if this client opened it."""
        if self._owns_session and self._session is not None:
            await self._session.close()
        self._session = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession()
            self._owns_session = True
        return self._session

    async def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        url = f"{self.root}/sandbox/api/{path}"
        async with self._http().request(method, url, **kwargs) as response:
            if response.status >= 400:
                try:
                    message = (await response.json()).get("error", "")
                except (aiohttp.ContentTypeError, ValueError):
                    message = await response.text()
                raise PeopleError(response.status, message)
            return await response.json()

    async def world(self) -> dict:
        """The bot, every persona and every group with its members."""
        return await self._request("GET", "world")

    async def add_user(
        self,
        first_name: str,
        *,
        user_id: int | None = None,
        language_code: str | None = "zh-hans",
        username: str | None = None,
    ) -> int:
        """Add a person; returns their user id."""
        body = {
            "first_name": first_name,
            "user_id": user_id,
            "language_code": language_code,
            "username": username,
        }
        return (await self._request("POST", "users", json=body))["user_id"]

    async def add_group(
        self,
        title: str,
        *,
        creator_id: int,
        admin_ids: tuple[int, ...] | list[int] = (),
        member_ids: tuple[int, ...] | list[int] = (),
        privacy_mode: bool | None = None,
    ) -> int:
        """Create a supergroup (the bot joins as a member); returns its negative chat id."""
        body = {
            "title": title,
            "creator_id": creator_id,
            "admin_ids": list(admin_ids),
            "member_ids": list(member_ids),
            "privacy_mode": privacy_mode,
        }
        return (await self._request("POST", "chats", json=body))["chat_id"]

    async def set_member(
        self, chat_id: int, user_id: int, status: str, *, by: int | None = None
    ) -> None:
        """Set someone's status in a group (creator/administrator/member/restricted/left/kicked)."""
        body = {"user_id": user_id, "status": status, "by": by}
        await self._request("POST", f"chats/{chat_id}/members", json=body)

    async def say(
        self, user_id: int, chat_id: int, text: str, *, reply_to: int | None = None
    ) -> int:
        """Write a message; chat_id == user_id is the private chat. Returns the message id."""
        body = {"user_id": user_id, "chat_id": chat_id, "text": text, "reply_to": reply_to}
        return (await self._request("POST", "send", json=body))["message_id"]

    async def tap(
        self, user_id: int, chat_id: int, message_id: int, data: str, *, force: bool = False
    ) -> str:
        """Tap an inline button; returns the callback query id (force skips the button check)."""
        body = {
            "user_id": user_id,
            "chat_id": chat_id,
            "message_id": message_id,
            "data": data,
            "force": force,
        }
        return (await self._request("POST", "tap", json=body))["callback_query_id"]

    async def send_photo(
        self,
        user_id: int,
        chat_id: int,
        caption: str | None = None,
        *,
        reply_to: int | None = None,
    ) -> dict:
        """Send a photo (the sandbox draws it); returns {message_id, photo: [PhotoSize...]}.

        The sizes come smallest first, as Telegram lists them; the bot sees them all.
        """
        body = {"user_id": user_id, "chat_id": chat_id, "caption": caption, "reply_to": reply_to}
        return await self._request("POST", "photo", json=body)

    async def share_contact(self, user_id: int, phone_number: str) -> int:
        """Share one's phone number with the bot privately; returns the message id."""
        body = {"user_id": user_id, "phone_number": phone_number}
        return (await self._request("POST", "contact", json=body))["message_id"]

    async def _history(self, chat_id: int) -> dict:
        return await self._request("GET", f"chats/{chat_id}/messages")

    async def messages(self, chat_id: int) -> list[dict]:
        """The chat's whole history, with the bot's edits applied."""
        return (await self._history(chat_id))["messages"]

    async def bot_messages(self, chat_id: int) -> list[dict]:
        """The messages the bot sent to the chat."""
        return [m for m in await self.messages(chat_id) if m["from"]["is_bot"]]

    async def wait_for(
        self,
        chat_id: int,
        predicate: Callable[[dict], bool],
        *,
        timeout: float = 10.0,  # noqa: ASYNC109 - part of the agreed People API
        from_bot: bool = True,
    ) -> dict:
        """Wait for a message satisfying predicate; AssertionError lists recent ones on timeout."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            history = await self._history(chat_id)
            for message in reversed(history["messages"]):
                if (not from_bot or message["from"]["is_bot"]) and predicate(message):
                    return message
            remaining = deadline - loop.time()
            if remaining <= 0:
                recent = "\n".join(_describe(m) for m in history["messages"][-_RECENT_SHOWN:])
                raise AssertionError(
                    f"no matching message in chat {chat_id} within {timeout}s; recent:\n"
                    f"{recent or '(none)'}"
                )
            # Long-poll from the seq the history was read at, so no change slips between.
            await self._request(
                "GET",
                "events",
                params={"after": history["seq"], "timeout": min(remaining, _POLL_SLICE_SECONDS)},
            )

    async def answers(self, callback_query_id: str | None = None) -> list[dict]:
        """The bot's callback answers: {callback_query_id, text, show_alert}."""
        params = {"callback_query_id": callback_query_id} if callback_query_id else {}
        return (await self._request("GET", "answers", params=params))["answers"]

    async def calls(self, method: str | None = None) -> list[dict]:
        """The log of Bot API calls: {method, chat_id, ok, error_code, description, at}."""
        params = {"method": method} if method else {}
        return (await self._request("GET", "calls", params=params))["calls"]

    async def fault(
        self,
        method: str,
        *,
        error_code: int = 429,
        retry_after: int | None = 1,
        description: str | None = None,
        count: int = 1,
    ) -> None:
        """Make the next `count` calls of method ("*" = any) fail with this error."""
        body = {
            "method": method,
            "error_code": error_code,
            "retry_after": retry_after,
            "description": description,
            "count": count,
        }
        await self._request("POST", "faults", json=body)

    async def set_limits(self, **limits: int | None) -> None:
        """Change rate limits: global_per_second, group_per_minute, private_per_second."""
        await self._request("POST", "limits", json=limits)

    async def file(self, file_id: str) -> bytes:
        """The bytes of a file the bot sent."""
        url = f"{self.root}/sandbox/api/files/{file_id}"
        async with self._http().get(url) as response:
            if response.status >= 400:
                raise PeopleError(response.status, await response.text())
            return await response.read()


def _describe(message: dict) -> str:
    who = "bot" if message["from"]["is_bot"] else message["from"]["first_name"]
    body = message["text"] or message["caption"] or ""
    if message["document"]:
        body = f"[file {message['document']['file_name']}] {body}"
    if message["photo"]:
        body = f"[photo {message['photo']['file_id']}] {body}"
    if message["contact"]:
        body = f"[contact {message['contact']['phone_number']}]"
    if message["reply_markup"]:
        body += f" {message['reply_markup']}"
    return f"  #{message['message_id']} {who}: {body[:300]}"
