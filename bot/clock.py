"""An injectable clock, so tests can move time to deadlines, escalations and rate windows."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Tells the current time, always timezone-aware (UTC)."""

    def now(self) -> datetime:
        """The current instant."""
        ...


class PacingClock(Clock, Protocol):
    """A clock that also measures intervals and waits: what rate limiting needs."""

    def monotonic(self) -> float:
        """Seconds from an arbitrary start; never goes backwards."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Return after `seconds` of this clock's time."""
        ...


class SystemClock:
    """The real wall clock."""

    def now(self) -> datetime:
        """The current instant in UTC."""
        return datetime.now(UTC)

    def monotonic(self) -> float:
        """The process's monotonic clock."""
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        """Sleep in real time."""
        await asyncio.sleep(max(0.0, seconds))


class ManualClock:
    """A clock tests move by hand; a sleep on it ends only when the test moves it far enough."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime.now(UTC)
        self._elapsed = 0.0
        self._sleepers: list[tuple[float, asyncio.Future[None]]] = []

    def now(self) -> datetime:
        """The clock's current instant."""
        return self._now

    def monotonic(self) -> float:
        """Seconds this clock has been moved forward since it was made."""
        return self._elapsed

    async def sleep(self, seconds: float) -> None:
        """Wait until the clock has been moved `seconds` forward; a sleep of 0 yields once."""
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        entry = (self._elapsed + seconds, asyncio.get_running_loop().create_future())
        self._sleepers.append(entry)
        try:
            await entry[1]
        finally:
            self._sleepers.remove(entry)

    @property
    def wakes(self) -> list[float]:
        """When (in `monotonic()` seconds) the sleeps still waiting end, soonest first."""
        return sorted(at for at, woken in self._sleepers if not woken.done())

    def advance(self, delta: timedelta) -> None:
        """Move the clock forward, ending the sleeps that are due by then."""
        self._move(delta, self._elapsed + delta.total_seconds())

    def advance_to(self, monotonic: float) -> None:
        """Move the clock forward to a `monotonic()` reading (no-op if it is already past)."""
        if monotonic > self._elapsed:
            self._move(timedelta(seconds=monotonic - self._elapsed), monotonic)

    def _move(self, delta: timedelta, elapsed: float) -> None:
        # The monotonic reading is set exactly (a timedelta rounds to microseconds), so a test
        # that moves the clock to a sleep's end always ends that sleep.
        self._now += delta
        self._elapsed = elapsed
        for at, woken in self._sleepers:
            if at <= self._elapsed and not woken.done():
                woken.set_result(None)
