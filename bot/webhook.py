"""The webhook endpoint: Telegram POSTs an update, Linli stores it, then answers 200.

Telegram retries a delivery that is not answered with 2xx, so an update is acknowledged only
once the inbox holds it; a database failure answers 500 and the update comes again.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiohttp import web

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
PATH = "/telegram"

Accept = Callable[[Sequence[dict[str, Any]]], Awaitable[None]]


class WebhookServer:
    """An aiohttp server with one route, POST /telegram, feeding the inbox."""

    def __init__(self, accept: Accept, secret: str) -> None:
        self._accept, self._secret = accept, secret
        app = web.Application()
        app.router.add_post(PATH, self._receive)
        self._runner = web.AppRunner(app, access_log=None)
        self.port = 0

    async def start(self, host: str, port: int) -> None:
        """Listen on host:port (port 0: any free one, see `.port`)."""
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        """Stop listening; requests under way are answered first."""
        await self._runner.cleanup()

    async def _receive(self, request: web.Request) -> web.Response:
        if request.headers.get(SECRET_HEADER) != self._secret:
            return web.Response(status=401)
        try:
            update = await request.json()
        except ValueError:
            return web.Response(status=400, text="not JSON")
        if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
            return web.Response(status=400, text="not an update")
        try:
            await self._accept([update])
        except Exception:
            log.exception("could not store webhook update %s", update["update_id"])
            return web.Response(status=500)  # Telegram delivers it again
        return web.json_response({})
