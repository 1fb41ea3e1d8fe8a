"""Handling from the inbox: stored updates run in update order per chat, chats side by side.

Polling and the webhook both hand raw updates to `Inbox.accept`, which stores them in one
transaction before anything else happens, so an update Telegram considers delivered is never
only in memory. Each stored update is parsed by the framework, handled by the dispatcher (which
marks it done in the handler's own transaction), retried a few times if handling fails, and
finally parked with its error; a parked update never holds up the chat behind it.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.context import Incoming
from models import inbox
from models.base import unit_of_work

log = logging.getLogger(__name__)

# One failure may be a lost connection or a lock timeout; three in a row is the update itself.
ATTEMPTS = 3
RETRY_PAUSE = 0.2  # seconds before the second attempt, doubling after
CONCURRENT_CHATS = 256

# Updates of one chat in one transaction, at most. Each tap waits for its whole batch (answers
# included): 10 kept a 200-a-second burst under 100 ms at p99 on SQLite, 20 and 50 did not.
BATCH = 10
Parse = Callable[[dict[str, Any]], Incoming | None]
Handle = Callable[..., Awaitable[str | None]]
HandleBatch = Callable[[Sequence[Incoming]], Awaitable[list[Incoming]]]


def chat_of(update: dict[str, Any]) -> int | None:
    """The chat a raw Bot API update belongs to, for ordering (None if it names none)."""
    for kind in ("message", "edited_message", "my_chat_member", "chat_member"):
        if kind in update:
            return (update[kind].get("chat") or {}).get("id")
    query = update.get("callback_query")
    if query is not None:
        return ((query.get("message") or {}).get("chat") or {}).get("id")
    return None


class Inbox:
    """Stores updates as they arrive and works them off, one chat at a time per chat."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        parse: Parse,
        handle: Handle,
        handle_batch: HandleBatch,
        *,
        concurrency: int = CONCURRENT_CHATS,
    ) -> None:
        self.sessions, self.clock = sessions, clock
        self._parse, self._handle, self._handle_batch = parse, handle, handle_batch
        self._queues: dict[int | None, deque[inbox.Waiting]] = {}
        self._workers: dict[int | None, asyncio.Task[None]] = {}
        self._slots = asyncio.Semaphore(concurrency)
        self._idle = asyncio.Event()
        self._idle.set()
        self._closed = False

    async def accept(self, updates: Sequence[dict[str, Any]]) -> None:
        """Store raw updates in one transaction, then queue the new ones for handling.

        Raises if they could not be stored: the caller must then not confirm them to Telegram.
        """
        received = [inbox.Received(u["update_id"], chat_of(u), u) for u in updates]
        async with unit_of_work(self.sessions) as session:
            new = set(await inbox.store(session, received, self.clock.now()))
        self._queue(
            inbox.Waiting(r.update_id, r.chat_id, r.payload, 0)
            for r in received
            if r.update_id in new
        )

    async def resume(self) -> int:
        """Queue what an earlier run stored but did not finish; return how many."""
        async with unit_of_work(self.sessions) as session:
            left = await inbox.waiting(session)
        self._queue(left)
        if left:
            log.info("handling %d updates left from before the restart", len(left))
        return len(left)

    async def idle(self, within: float) -> bool:
        """Wait until every queued update is handled; False if time ran out first."""
        try:
            await asyncio.wait_for(self._idle.wait(), within)
        except TimeoutError:
            return False
        return True

    async def close(self, within: float) -> None:
        """Finish what is in hand for up to `within` seconds; the rest stays stored for later."""
        self._closed = True
        for queue in self._queues.values():
            queue.clear()  # still NEW in the inbox: the next start handles them
        workers = list(self._workers.values())
        if workers:
            _done, pending = await asyncio.wait(workers, timeout=within)
            for task in pending:
                task.cancel()  # its transaction rolls back; the update stays NEW
            if pending:
                await asyncio.wait(pending)

    def _queue(self, rows: Any) -> None:
        if self._closed:
            return
        for row in rows:
            self._queues.setdefault(row.chat_id, deque()).append(row)
            if row.chat_id not in self._workers:
                self._idle.clear()
                self._workers[row.chat_id] = asyncio.create_task(
                    self._work(row.chat_id), name=f"inbox-chat-{row.chat_id}"
                )

    async def _work(self, chat_id: int | None) -> None:
        queue = self._queues[chat_id]
        try:
            while queue:
                # What arrived for the chat meanwhile is handled together, in one transaction.
                batch = [queue.popleft() for _ in range(min(len(queue), BATCH))]
                async with self._slots:
                    await self._process(batch)
        finally:
            del self._workers[chat_id]
            if not queue:
                self._queues.pop(chat_id, None)
            if not self._workers:
                self._idle.set()

    async def _process(self, rows: list[inbox.Waiting]) -> None:
        fresh: list[Incoming] = []
        retried: list[tuple[inbox.Waiting, Incoming]] = []
        for row in rows:
            try:
                incoming = self._parse(row.payload)
            except Exception as failure:
                log.exception("update %s could not be parsed; parked", row.update_id)
                await self._finish(row.update_id, inbox.PARKED, f"unreadable: {failure}")
                continue
            if incoming is None:  # a kind of update Linli does not act on
                await self._finish(row.update_id, inbox.DONE, None)
            elif row.attempts:
                retried.append((row, incoming))
            else:
                fresh.append(incoming)
        if fresh:
            failed = {i.update_id for i in await self._handle_batch(fresh)}
            rows_of = {row.update_id: row for row in rows}
            for incoming in fresh:
                if incoming.update_id in failed:
                    row = rows_of[incoming.update_id]
                    once = inbox.Waiting(row.update_id, row.chat_id, row.payload, attempts=1)
                    retried.append((once, incoming))
        # Updates are handled in order, but a failed one is retried after the batch it was in.
        for row, incoming in sorted(retried, key=lambda pair: pair[0].update_id):
            await self._retry(row, incoming)

    async def _retry(self, row: inbox.Waiting, incoming: Incoming) -> None:
        for attempt in range(row.attempts, ATTEMPTS):
            await asyncio.sleep(RETRY_PAUSE * 2 ** (attempt - 1))
            error = await self._handle(incoming, final=attempt == ATTEMPTS - 1)
            if error is None or attempt == ATTEMPTS - 1:
                return  # handled, or parked (if even that failed, it waits for the next start)
            await self._note_failure(row.update_id, error)

    async def _finish(self, update_id: int, status: inbox.Status, error: str | None) -> None:
        try:
            async with unit_of_work(self.sessions) as session:
                await inbox.claim(session, update_id, self.clock.now(), status=status, error=error)
        except Exception:
            log.exception("could not record update %s as %s", update_id, status)

    async def _note_failure(self, update_id: int, error: str) -> None:
        try:
            async with unit_of_work(self.sessions) as session:
                await inbox.note_failure(session, update_id, error)
        except Exception:
            log.exception("could not count a failure of update %s", update_id)
