"""The bot under test, in its own process: times every button tap the dispatcher handles.

Started by the benchmarks with LINLI_* settings in the environment; prints "ready" once it
polls; on SIGTERM it stops and writes the handler latencies (seconds, in the order the taps
finished) as JSON to the path given as its first argument. A second argument sets the
scheduler's tick in seconds (default: hourly, i.e. no scheduled work).
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import time
from pathlib import Path

from bot.app import Linli, freeze_startup_objects
from bot.dispatch import Dispatcher
from bot.settings import Settings


def time_taps(latencies: list[float]) -> None:
    """Record how long the dispatcher takes per button tap.

    The one place that knows the dispatcher's entry point: when it changes (the inbox hands
    over stored updates), only this wrapper changes.
    """
    handle = Dispatcher.handle

    async def timed(self: Dispatcher, incoming, *args, **kwargs):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        await handle(self, incoming, *args, **kwargs)
        if getattr(incoming, "callback_data", None):
            latencies.append(time.perf_counter() - started)

    Dispatcher.handle = timed  # type: ignore[method-assign]


async def serve(report: str, tick_seconds: float = 3600) -> None:
    """Run the bot until SIGTERM, recording handler latency per button tap."""
    latencies: list[float] = []
    time_taps(latencies)
    app = Linli(Settings(), tick_seconds=tick_seconds)
    await app.start()
    freeze_startup_objects()  # as `linli run` does
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    print("ready", flush=True)
    await stop.wait()
    await app.delivery.idle(within=120)
    await app.stop()
    await asyncio.to_thread(Path(report).write_text, json.dumps(latencies))


if __name__ == "__main__":
    asyncio.run(serve(sys.argv[1], *(float(a) for a in sys.argv[2:3])))
