"""Webhook delivery as Telegram does it: POST each update, forget it only after a 2xx answer.

While a webhook is set, updates go to its URL one at a time, in order, with the secret token
in a header; an answer other than 2xx (or no answer) is retried after a pause, so a bot that
fails to store an update gets it again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import aiohttp

from sandbox.world import World

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
RETRY_PAUSE = 0.2  # seconds; Telegram waits longer, a test should not
REQUEST_TIMEOUT = 10


class WebhookPusher:
    """Pushes the world's pending updates to its webhook, while one is set."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.deliveries: list[tuple[int, int]] = []  # (update_id, HTTP status or 0), for tests
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Run in the background until stop()."""
        self._task = asyncio.create_task(self._run(), name="sandbox-webhook")

    async def stop(self) -> None:
        """Stop pushing; undelivered updates stay pending."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)
        async with aiohttp.ClientSession(timeout=timeout) as http:
            while not self.world.closed:
                self.world.drop_unwanted_updates()
                if not (self.world.webhook_url and self.world.updates):
                    await self.world.changed(within=1.0)
                    continue
                update = self.world.updates[0]
                status = await self._post(http, update)
                self.deliveries.append((update["update_id"], status))
                if 200 <= status < 300:
                    if self.world.updates and self.world.updates[0] is update:
                        self.world.updates.pop(0)
                else:
                    await asyncio.sleep(RETRY_PAUSE)

    async def _post(self, http: aiohttp.ClientSession, update: dict) -> int:
        headers = {SECRET_HEADER: self.world.webhook_secret} if self.world.webhook_secret else {}
        try:
            async with http.post(self.world.webhook_url, json=update, headers=headers) as answer:
                return answer.status
        except (aiohttp.ClientError, TimeoutError) as failed:
            log.info("webhook %s unreachable: %s", self.world.webhook_url, failed)
            return 0
