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
from pathlib import Path
from typing import Any

from bot.app import Linli, freeze_startup_objects
from bot.context import Incoming, Outgoing
from bot.dispatch import Dispatcher
from bot.settings import Settings


def time_taps(latencies: list[float]) -> None:
    """Record how long each button tap takes, from reaching the dispatcher until answered.

    The one place that knows the dispatcher's entry points: updates that arrived together go
    to `handle_batch` (one transaction), a lone or retried update to `handle`; either way the
    tap's answer is sent by `_answer`, after the commit, possibly once the chat's next batch
    has started. A tap counts from the first entry that carried it.
    """
    handle, handle_batch, answer = Dispatcher.handle, Dispatcher.handle_batch, Dispatcher._answer
    started: dict[str, float] = {}

    def note(incomings: Sequence[Incoming]) -> None:
        now = time.perf_counter()
        for incoming in incomings:
            if incoming.callback_id is not None:
                started.setdefault(incoming.callback_id, now)

    async def timed(self: Dispatcher, incoming: Incoming, *args: Any, **kwargs: Any) -> Any:
        note([incoming])
        return await handle(self, incoming, *args, **kwargs)

    async def timed_batch(self: Dispatcher, incomings: Sequence[Incoming]) -> Any:
        note(incomings)
        return await handle_batch(self, incomings)

    async def timed_answer(self: Dispatcher, action: Outgoing) -> None:
        await answer(self, action)
        began = started.pop(action.callback_id or "", None)
        if began is not None:
            latencies.append(time.perf_counter() - began)

    Dispatcher.handle = timed  # type: ignore[method-assign]
    Dispatcher.handle_batch = timed_batch  # type: ignore[method-assign]
    Dispatcher._answer = timed_answer  # type: ignore[method-assign]


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
