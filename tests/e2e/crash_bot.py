"""The bot in its own process, for tests that kill it: `python -m tests.e2e.crash_bot`.

Settings come from LINLI_* variables. CRASH_BOT_PAUSE (seconds) is spent before handling each
update, so that a kill lands while fetched updates are still waiting. Prints "ready" once it
polls; SIGTERM stops it gracefully, SIGKILL is what the tests use for a crash.
"""

from __future__ import annotations

import asyncio
import os
import signal
from typing import Any

from bot.app import Linli
from bot.context import Incoming
from bot.dispatch import Dispatcher
from bot.settings import Settings


async def serve() -> None:
    """Run until SIGTERM or SIGINT."""
    pause = float(os.environ.get("CRASH_BOT_PAUSE", "0"))
    handle = Dispatcher.handle

    async def slowly(self: Dispatcher, incoming: Incoming, **options: Any) -> str | None:
        await asyncio.sleep(pause)
        return await handle(self, incoming, **options)

    Dispatcher.handle = slowly  # type: ignore[method-assign]
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
