"""Sliding-window rate limits, as Telegram counts them; shared by delivery and the sandbox."""

from __future__ import annotations

from bisect import insort


class SlidingWindow:
    """At most `count` events in any `period` seconds.

    Telegram counts "20 messages per minute in a group" over any minute; a leaky bucket (as in
    aiolimiter) lets 20 through at once and then refills, which can exceed that in a window.
    Times are monotonic seconds passed in by the caller, so each caller brings its own clock.
    """

    __slots__ = ("_times", "count", "period")

    def __init__(self, count: int, period: float) -> None:
        self.count, self.period = count, period
        self._times: list[float] = []  # sorted

    def delay(self, now: float) -> float:
        """Seconds from `now` until one more event is allowed; 0 if it is allowed now."""
        self._forget(now)
        # Of the events still inside the window, this one must have left it first.
        must_leave = len(self._times) - self.count
        if must_leave < 0:
            return 0.0
        return max(0.0, self._times[must_leave] + self.period - now)

    def take(self, now: float) -> float:
        """Count one event at `now`; the returned stamp lets `restamp` move it later."""
        insort(self._times, now)
        return now

    def restamp(self, stamp: float, now: float) -> None:
        """Move an event counted at `stamp` to `now`, once it is known to have happened then."""
        if stamp in self._times:  # a call slower than the period may have outlived its stamp
            self._times.remove(stamp)
        insort(self._times, now)

    def _forget(self, now: float) -> None:
        expired = 0
        while expired < len(self._times) and self._times[expired] + self.period <= now:
            expired += 1
        del self._times[:expired]
