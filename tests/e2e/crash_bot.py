"""The bot in its own process, for tests that kill it: `python -m tests.e2e.crash_bot`.

Settings come from LINLI_* variables. CRASH_BOT_PAUSE (seconds) is spent before handling each
update or batch, and batches hold at most CRASH_BOT_BATCH updates (default 4), so that a kill
lands while fetched updates are still waiting. Prints "ready" once it
polls; SIGTERM stops it gracefully, SIGKILL is what the tests use for a crash.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Sequence
from typing import Any

from bot import inbox
from bot.app import Linli
from bot.context import Incoming
from bot.dispatch import Dispatcher
from bot.settings import Settings


async def serve() -> None:
    """Run until SIGTERM or SIGINT."""
    pause = float(os.environ.get("CRASH_BOT_PAUSE", "0"))
    handle, handle_batch = Dispatcher.handle, Dispatcher.handle_batch

    async def slowly(self: Dispatcher, incoming: Incoming, **options: Any) -> str | None:
        await asyncio.sleep(pause)
        return await handle(self, incoming, **options)

    async def batch_slowly(self: Dispatcher, incomings: Sequence[Incoming]) -> list[Incoming]:
        await asyncio.sleep(pause)
        return await handle_batch(self, incomings)

    Dispatcher.handle = slowly  # type: ignore[method-assign]
    Dispatcher.handle_batch = batch_slowly  # type: ignore[method-assign]
    inbox.BATCH = int(os.environ.get("CRASH_BOT_BATCH", "4"))
    app = Linli(Settings(_env_file=None), tick_seconds=3600)
    await app.start()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    print("ready", flush=True)
    await stop.wait()
    await app.stop()
    print("stopped", flush=True)


if __name__ == "__main__":
    asyncio.run(serve())
