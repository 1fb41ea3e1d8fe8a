"""The people's side of the sandbox: a JSON API under /sandbox/api/ for the page and tests."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from typing import Any
from urllib.parse import quote

from aiohttp import web

from sandbox.limits import Fault, Faults, Limits
from sandbox.world import Persona, World, WorldError

MAX_EVENT_POLL_SECONDS = 60

Route = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _json_error(status: int, message: str) -> web.Response:
    return web.json_response({"ok": False, "error": message}, status=status)


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise web.HTTPBadRequest(text="body must be JSON") from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="body must be a JSON object")
    return body


@web.middleware
async def people_errors(request: web.Request, handler: Route) -> web.StreamResponse:
    """Turn bad input from people-side callers into JSON 400/404 answers."""
    try:
        return await handler(request)
    except WorldError as error:
        status = 404 if str(error).startswith("no ") else 400
        return _json_error(status, str(error))
    except (KeyError, TypeError, ValueError) as error:
        if not request.path.startswith("/sandbox/api/"):
            raise
        return _json_error(400, f"bad request: {error!r}")


class PeopleApi:
    """Routes that let a person (or a test) act in the sandbox and look at it."""

    def __init__(self, world: World, limits: Limits, faults: Faults) -> None:
        self.world = world
        self.limits = limits
        self.faults = faults

    def routes(self) -> list[web.RouteDef]:
        """The /sandbox/api/ routes."""
        api = "/sandbox/api"
        return [
            web.get(f"{api}/world", self.get_world),
            web.post(f"{api}/users", self.add_user),
            web.post(f"{api}/chats", self.add_group),
            web.post(f"{api}/chats/{{chat_id}}/members", self.set_member),
            web.get(f"{api}/chats/{{chat_id}}/messages", self.get_messages),
            web.post(f"{api}/send", self.send),
            web.post(f"{api}/tap", self.tap),
            web.post(f"{api}/contact", self.contact),
            web.post(f"{api}/photo", self.photo),
            web.get(f"{api}/events", self.events),
            web.get(f"{api}/answers", self.get_answers),
            web.get(f"{api}/calls", self.get_calls),
            web.post(f"{api}/faults", self.add_fault),
            web.get(f"{api}/limits", self.get_limits),
            web.post(f"{api}/limits", self.set_limits),
            web.get(f"{api}/files/{{file_id}}", self.get_file),
        ]

    async def get_world(self, request: web.Request) -> web.Response:
        """GET /world: the bot, people (with persona details) and groups (with members)."""
        return web.json_response(self.world.snapshot())

    async def add_user(self, request: web.Request) -> web.Response:
        """POST /users {first_name, user_id?, language_code?, username?, ...persona fields}."""
        body = await _body(request)
        user_id = body.pop("user_id", None) or self.world.new_user_id()
        persona = self.world.add_user(Persona(id=int(user_id), **body))
        return web.json_response({"user_id": persona.id})

    async def add_group(self, request: web.Request) -> web.Response:
        """POST /chats {title, creator_id, admin_ids?, member_ids?, privacy_mode?, chat_id?}."""
        body = await _body(request)
        group = self.world.add_group(
            str(body["title"]),
            creator_id=int(body["creator_id"]),
            admin_ids=[int(uid) for uid in body.get("admin_ids", ())],
            member_ids=[int(uid) for uid in body.get("member_ids", ())],
            privacy_mode=body.get("privacy_mode"),
            chat_id=body.get("chat_id"),
            building=body.get("building"),
        )
        return web.json_response({"chat_id": group.id})

    async def set_member(self, request: web.Request) -> web.Response:
        """POST /chats/{id}/members {user_id, status, by?}: `by` made the change (the creator)."""
        body = await _body(request)
        chat_id = int(request.match_info["chat_id"])
        by = body.get("by")
        self.world.set_member(
            chat_id, int(body["user_id"]), str(body["status"]), by=int(by) if by else None
        )
        return web.json_response({"ok": True})

    async def get_messages(self, request: web.Request) -> web.Response:
        """GET /chats/{id}/messages: history with edits applied, the reply keyboard, and seq."""
        chat_id = int(request.match_info["chat_id"])
        if not self.world.is_chat(chat_id):
            raise WorldError(f"no chat {chat_id}")
        group = self.world.groups.get(chat_id)
        return web.json_response(
            {
                "chat_id": chat_id,
                "messages": [self.world.message_people(m) for m in self.world.history(chat_id)],
                "keyboard": self.world.reply_keyboards.get(chat_id),
                "pinned": group.pinned if group else None,
                "seq": self.world.seq,
            }
        )

    async def send(self, request: web.Request) -> web.Response:
        """POST /send {user_id, chat_id, text, reply_to?}."""
        body = await _body(request)
        reply_to = body.get("reply_to")
        message = self.world.say(
            int(body["user_id"]),
            int(body["chat_id"]),
            str(body["text"]),
            reply_to=int(reply_to) if reply_to is not None else None,
        )
        return web.json_response({"message_id": message.message_id})

    async def tap(self, request: web.Request) -> web.Response:
        """POST /tap {user_id, chat_id, message_id, data, force?}."""
        body = await _body(request)
        query_id = self.world.tap(
            int(body["user_id"]),
            int(body["chat_id"]),
            int(body["message_id"]),
            str(body["data"]),
            force=bool(body.get("force")),
        )
        return web.json_response({"callback_query_id": query_id})

    async def contact(self, request: web.Request) -> web.Response:
        """POST /contact {user_id, phone_number}."""
        body = await _body(request)
        message = self.world.share_contact(int(body["user_id"]), str(body["phone_number"]))
        return web.json_response({"message_id": message.message_id})

    async def photo(self, request: web.Request) -> web.Response:
        """POST /photo {user_id, chat_id, caption?, reply_to?}: a generated picture, all sizes."""
        body = await _body(request)
        reply_to = body.get("reply_to")
        caption = body.get("caption")
        message = self.world.send_photo(
            int(body["user_id"]),
            int(body["chat_id"]),
            str(caption) if caption is not None else None,
            reply_to=int(reply_to) if reply_to is not None else None,
        )
        sizes = self.world.message_api(message, nested=False)["photo"]
        return web.json_response({"message_id": message.message_id, "photo": sizes})

    async def events(self, request: web.Request) -> web.Response:
        """GET /events?after=N&timeout=S: changes after seq N, waiting up to S seconds for one."""
        after = int(request.query.get("after", 0))
        timeout = min(float(request.query.get("timeout", 25)), MAX_EVENT_POLL_SECONDS)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not (events := self.world.events_after(after)) and not self.world.closed:
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            await self.world.changed(within=remaining)
        return web.json_response({"events": events, "seq": self.world.seq})

    async def get_answers(self, request: web.Request) -> web.Response:
        """GET /answers?callback_query_id=: the bot's answers to button taps."""
        wanted = request.query.get("callback_query_id")
        answers = [a for a in self.world.answers if wanted in (None, a["callback_query_id"])]
        return web.json_response({"answers": answers})

    async def get_calls(self, request: web.Request) -> web.Response:
        """GET /calls?method=: the log of Bot API calls."""
        wanted = request.query.get("method")
        calls = [c for c in self.world.calls if wanted in (None, c["method"])]
        return web.json_response({"calls": calls})

    async def add_fault(self, request: web.Request) -> web.Response:
        """POST /faults {method, error_code?, retry_after?, description?, count?}."""
        self.faults.add(Fault(**await _body(request)))
        return web.json_response({"ok": True})

    async def get_limits(self, request: web.Request) -> web.Response:
        """GET /limits."""
        return web.json_response(asdict(self.limits))

    async def set_limits(self, request: web.Request) -> web.Response:
        """POST /limits {global_per_second?, group_per_minute?, private_per_second?}."""
        self.limits.update(**await _body(request))
        return web.json_response(asdict(self.limits))

    async def get_file(self, request: web.Request) -> web.Response:
        """GET /files/{file_id}: the bytes of a file the bot sent, as a download."""
        stored = self.world.files.get(request.match_info["file_id"])
        if stored is None:
            raise WorldError(f"no file {request.match_info['file_id']}")
        disposition = f"attachment; filename*=UTF-8''{quote(stored.name, safe='')}"
        return web.Response(
            body=stored.data,
            content_type=stored.mime_type,
            headers={"Content-Disposition": disposition},
        )
