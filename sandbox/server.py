"""SandboxServer: the Bot API, the people's API and the chat page in one aiohttp app."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from sandbox.botapi import BotApi
from sandbox.limits import Faults, Limits, RateLimiter
from sandbox.people import PeopleApi, people_errors
from sandbox.webhook import WebhookPusher
from sandbox.world import BOT_ID, World

__all__ = ["SANDBOX_TOKEN", "Limits", "SandboxServer"]

SANDBOX_TOKEN = f"{BOT_ID}:SANDBOX-linli-local-token"
STATIC_DIR = Path(__file__).with_name("static")
MAX_UPLOAD_BYTES = 50 * 1024 * 1024  # Telegram's limit for bot uploads
_STOP_GRACE_SECONDS = 2.0


class SandboxServer:
    """A local, offline Telegram Bot API server with a browser chat page."""

    def __init__(
        self,
        world: World | None = None,
        *,
        token: str = SANDBOX_TOKEN,
        limits: Limits | None = None,
        privacy_mode: bool = True,
    ) -> None:
        self.world = world if world is not None else World()
        self.world.privacy_mode = privacy_mode
        self.token = token
        self.limits = limits if limits is not None else Limits()
        self.faults = Faults()
        self.url = ""
        self.webhook = WebhookPusher(self.world)
        self._runner: web.AppRunner | None = None

    def app(self) -> web.Application:
        """Build the aiohttp application (also handy for aiohttp's test client)."""
        bot_api = BotApi(self.world, self.token, RateLimiter(self.limits), self.faults)
        people = PeopleApi(self.world, self.limits, self.faults)
        app = web.Application(client_max_size=MAX_UPLOAD_BYTES, middlewares=[people_errors])
        app.add_routes(
            [
                web.get("/", self._index),
                web.static("/static", STATIC_DIR),
                web.route("*", "/bot{token}/{method}", bot_api.handle),
                web.get("/file/bot{token}/{path:.+}", bot_api.download),
                *people.routes(),
            ]
        )
        return app

    async def _index(self, request: web.Request) -> web.FileResponse:
        return web.FileResponse(STATIC_DIR / "index.html")

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Listen on host:port (0 picks a free port); return the root URL."""
        self.world.closed = False
        runner = web.AppRunner(self.app(), shutdown_timeout=_STOP_GRACE_SECONDS, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        self._runner = runner
        bound_host, bound_port = runner.addresses[0][:2]
        self.url = f"http://{bound_host}:{bound_port}"
        self.webhook.start()
        return self.url

    async def stop(self) -> None:
        """Release long polls and close the listener."""
        self.world.close()
        await self.webhook.stop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
