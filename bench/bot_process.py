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
from collections.abc import Sequence
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from bot.app import Linli, freeze_startup_objects
from bot.context import Incoming
from bot.dispatch import Dispatcher
from bot.settings import Settings


def time_taps(latencies: list[float]) -> None:
    """Record how long the dispatcher takes per button tap.

    The one place that knows the dispatcher's entry points: updates that arrived together are
    handled by `handle_batch` (one transaction; each tap in it counts the batch's time, from
    its start until the taps were answered), a lone or retried update by `handle`.
    """
    handle, handle_batch = Dispatcher.handle, Dispatcher.handle_batch
    in_batch: ContextVar[bool] = ContextVar("in_batch", default=False)

    async def timed(self: Dispatcher, incoming: Incoming, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        result = await handle(self, incoming, *args, **kwargs)
        if incoming.callback_data and not in_batch.get():
            latencies.append(time.perf_counter() - started)
        return result

    async def timed_batch(self: Dispatcher, incomings: Sequence[Incoming]) -> Any:
        started = time.perf_counter()
        token = in_batch.set(True)
        try:
            result = await handle_batch(self, incomings)
        finally:
            in_batch.reset(token)
        took = time.perf_counter() - started
        latencies.extend(took for incoming in incomings if incoming.callback_data)
        return result

    Dispatcher.handle = timed  # type: ignore[method-assign]
    Dispatcher.handle_batch = timed_batch  # type: ignore[method-assign]


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
