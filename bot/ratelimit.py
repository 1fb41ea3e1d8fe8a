"""Sliding-window rate limits, as Telegram counts them; shared by delivery and the sandbox."""

from __future__ import annotations

from bisect import insort


class SlidingWindow:
    """At most `count` events in any `period` seconds.

    Telegram counts "20 messages per minute in a group" over any minute; a leaky bucket (as in
    aiolimiter) lets 20 through at once and then refills, which can exceed that in a window.
    Times are monotonic seconds passed in by the caller, so each caller brings its own clock.
    """

    __slots__ = ("_in_flight", "_times", "count", "period")

    def __init__(self, count: int, period: float) -> None:
        self.count, self.period = count, period
        self._times: list[float] = []  # sorted
        # Calls made but not yet answered. Each may be counted by the other side at any moment
        # up to its answer, so it fills the window until then, however long it takes: a slow
        # answer must not let the next calls in as if it had already left the window.
        self._in_flight = 0

    def delay(self, now: float) -> float:
        """Seconds from `now` until one more event is allowed; 0 if it is allowed now."""
        self._forget(now)
        # Of the events inside the window, this one must have left it first; calls in flight
        # are the newest of all, since they will count from their answers.
        must_leave = len(self._times) + self._in_flight - self.count
        if must_leave < 0:
            return 0.0
        if must_leave >= len(self._times):
            # Only calls in flight stand in the way: none leaves before a whole period.
            return self.period
        return max(0.0, self._times[must_leave] + self.period - now)

    def take(self, now: float) -> None:
        """Count one event that happened at `now`."""
        insort(self._times, now)

    def begin(self) -> None:
        """Count a call in flight, until `end` says when it was answered."""
        self._in_flight += 1

    def end(self, now: float | None) -> None:
        """The call begun earlier was answered at `now` (None: it never reached the other side)."""
        self._in_flight -= 1
        if now is not None:
            insort(self._times, now)

    def _forget(self, now: float) -> None:
        expired = 0
        while expired < len(self._times) and self._times[expired] + self.period <= now:
            expired += 1
        del self._times[:expired]
