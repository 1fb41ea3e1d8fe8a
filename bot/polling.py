"""Long polling that never confirms an update before the inbox holds it.

getUpdates confirms every earlier update through its `offset`; the frameworks' own polling
loops ask for the next batch while the last one is still being handled, so an update could be
confirmed and then lost with the process. Here a batch is stored first, and only then is the
next batch (and with it the confirmation) requested.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from bot.transport import RetryAfter

log = logging.getLogger(__name__)

POLL_TIMEOUT = 10  # seconds Telegram holds a getUpdates open when nothing arrives
FIRST_PAUSE, LONGEST_PAUSE = 0.5, 30.0  # backing off after failures

Fetch = Callable[[int | None, int], Awaitable[list[dict[str, Any]]]]
Accept = Callable[[Sequence[dict[str, Any]]], Awaitable[None]]


class Poller:
    """Fetches batches with getUpdates and hands each to the inbox before asking again."""

    def __init__(self, fetch: Fetch, accept: Accept, *, timeout: int = POLL_TIMEOUT) -> None:
        self._fetch, self._accept, self._timeout = fetch, accept, timeout
        self._task: asyncio.Task[None] | None = None
        self._storing = False
        self._stopping = False

    def start(self) -> None:
        """Poll in the background until stop()."""
        self._task = asyncio.create_task(self._run(), name="linli-polling")

    async def stop(self, within: float = 5.0) -> None:
        """Stop asking for updates; a batch being stored gets `within` seconds to be stored."""
        self._stopping = True
        task = self._task
        if task is None:
            return
        if not self._storing:
            # Nothing of an unanswered getUpdates is confirmed, so Telegram sends it again.
            task.cancel()
        _done, pending = await asyncio.wait({task}, timeout=within)
        if pending:
            task.cancel()  # storing rolls back: unconfirmed, so Telegram still has the batch
            await asyncio.wait({task})

    async def _run(self) -> None:
        offset: int | None = None
        pause = FIRST_PAUSE
        while not self._stopping:
            try:
                batch = await self._fetch(offset, self._timeout)
            except RetryAfter as slow_down:
                await self._pause(slow_down.seconds)
                continue
            except Exception as failed:  # polling must outlive any one failure
                log.warning("getUpdates failed (%s); trying again in %.1f s", failed, pause)
                await self._pause(pause)
                pause = min(pause * 2, LONGEST_PAUSE)
                continue
            pause = FIRST_PAUSE
            if not batch:
                continue
            await self._store(batch)
            offset = max(u["update_id"] for u in batch) + 1

    async def _store(self, batch: list[dict[str, Any]]) -> None:
        """Store the batch, however long the database takes to come back."""
        pause = FIRST_PAUSE
        self._storing = True
        try:
            while True:
                try:
                    await self._accept(batch)
                    return
                except Exception:
                    log.exception("could not store %d updates; trying again", len(batch))
                    await asyncio.sleep(pause)
                    pause = min(pause * 2, LONGEST_PAUSE)
        finally:
            self._storing = False

    async def _pause(self, seconds: float) -> None:
        if not self._stopping:
            await asyncio.sleep(seconds)
