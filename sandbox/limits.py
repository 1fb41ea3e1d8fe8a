"""Telegram's flood limits as sliding windows, and injected faults."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, fields

from bot.ratelimit import SlidingWindow

# Methods that put or change a message in a chat: the ones Telegram's flood control counts.
COUNTED_METHODS = frozenset(
    {
        "sendMessage",
        "sendDocument",
        "sendPhoto",
        "editMessageText",
        "editMessageReplyMarkup",
        "editMessageCaption",
    }
)


@dataclass
class Limits:
    """How many messages the sandbox lets through before answering 429."""

    global_per_second: int = 30
    group_per_minute: int = 20
    private_per_second: int | None = None  # None = not enforced

    def update(self, **changes: int | None) -> None:
        """Change some limits in place; unknown names raise ValueError."""
        names = {f.name for f in fields(self)}
        for name, value in changes.items():
            if name not in names:
                raise ValueError(f"unknown limit {name!r}")
            setattr(self, name, value)


class RateLimiter:
    """Sliding-window counters: overall per second, per group per minute, per private chat.

    The same windows delivery paces itself by, so the sandbox and the bot count alike.
    """

    def __init__(self, limits: Limits, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self._clock = clock
        self._global = SlidingWindow(limits.global_per_second, 1.0)
        self._per_chat: dict[int, SlidingWindow] = {}

    def acquire(self, chat_id: int) -> int | None:
        """Count one message to chat_id; if over a limit, count nothing and return retry_after."""
        now = self._clock()
        # Tests change the limits at run time, so each window takes its count from them now.
        self._global.count = self.limits.global_per_second
        windows = [self._global]
        if chat_id < 0:
            windows.append(self._chat_window(chat_id, self.limits.group_per_minute, 60.0))
        elif self.limits.private_per_second is not None:
            windows.append(self._chat_window(chat_id, self.limits.private_per_second, 1.0))
        wait = max(window.delay(now) for window in windows)
        if wait > 0:
            return max(1, math.ceil(wait))
        for window in windows:
            window.take(now)
        return None

    def _chat_window(self, chat_id: int, count: int, period: float) -> SlidingWindow:
        window = self._per_chat.setdefault(chat_id, SlidingWindow(count, period))
        window.count = count
        return window


@dataclass
class Fault:
    """A canned failure for the next `count` calls of a method ("*" matches any)."""

    method: str
    error_code: int = 429
    retry_after: int | None = 1
    description: str | None = None
    count: int = 1

    def response(self) -> dict:
        """The Bot API error body this fault answers with."""
        default = {
            400: "Bad Request: injected fault",
            403: "Forbidden: injected fault",
            429: f"Too Many Requests: retry after {self.retry_after}",
        }.get(self.error_code, "Internal Server Error: injected fault")
        body: dict = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description or default,
        }
        if self.error_code == 429 and self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


class Faults:
    """Queued faults, consumed in order by the calls they match."""

    def __init__(self) -> None:
        self._queue: list[Fault] = []

    def add(self, fault: Fault) -> None:
        """Queue a fault."""
        if fault.count > 0:
            self._queue.append(fault)

    def take(self, method: str) -> Fault | None:
        """The fault the next call of method should suffer, if any."""
        for fault in self._queue:
            if fault.method in (method, "*"):
                fault.count -= 1
                if fault.count <= 0:
                    self._queue.remove(fault)
                return fault
        return None
