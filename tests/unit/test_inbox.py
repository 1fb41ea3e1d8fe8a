"""The inbox rules (on the migrated database) and the polling loop: store first, confirm after."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import inbox as handling
from bot import polling
from bot.clock import ManualClock
from bot.context import Chat, Incoming
from bot.inbox import Inbox, chat_of
from bot.polling import Poller
from bot.transport import NetworkError
from models import inbox
from models.base import reading, unit_of_work

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def _update(update_id: int, chat: int = 7, text: str = "hi") -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {"message_id": update_id, "chat": {"id": chat, "type": "private"}, "text": text},
    }


def _received(*ids: int) -> list[inbox.Received]:
    return [inbox.Received(i, 7, _update(i)) for i in ids]


async def _statuses(sessions: async_sessionmaker[AsyncSession]) -> dict[int, str]:
    async with reading(sessions) as session:
        rows = await session.execute(select(inbox.InboxUpdate.update_id, inbox.InboxUpdate.status))
        return {update_id: status for update_id, status in rows}


async def test_a_redelivered_update_is_stored_once_and_a_reused_id_after_a_day_again(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with unit_of_work(sessions) as session:
        assert await inbox.store(session, _received(1, 2), NOW) == [1, 2]
    async with unit_of_work(sessions) as session:
        assert await inbox.store(session, _received(2, 3), NOW) == [3]
        assert await inbox.claim(session, 1, NOW)
        assert not await inbox.claim(session, 1, NOW), "finished once only"
    later = NOW + inbox.UPDATE_WINDOW + timedelta(minutes=1)
    async with unit_of_work(sessions) as session:
        # Update 1 was handled over a day ago: the id now names a new update.
        # Update 2 was never handled: it is the same one, still waiting.
        assert await inbox.store(session, _received(1, 2), later) == [1]
        assert [w.update_id for w in await inbox.waiting(session)] == [1, 2, 3]


async def test_failures_are_counted_and_parked_updates_can_be_retried(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with unit_of_work(sessions) as session:
        await inbox.store(session, _received(5, 6), NOW)
        await inbox.note_failure(session, 5, "RuntimeError: boom")
        await inbox.note_failure(session, 5, "RuntimeError: boom again")
    async with unit_of_work(sessions) as session:
        [five, six] = await inbox.waiting(session)
        assert (five.attempts, six.attempts) == (2, 0)
        assert await inbox.claim(session, 5, NOW, status=inbox.PARKED, error="boom for good")
        assert [w.update_id for w in await inbox.waiting(session)] == [6]
        [parked] = await inbox.parked(session)
        assert (parked.update_id, parked.error) == (5, "boom for good")
        assert await inbox.retry_parked(session, [99]) == 0
        assert await inbox.retry_parked(session, None) == 1
        assert [w.attempts for w in await inbox.waiting(session)] == [0, 0]


async def test_pruning_keeps_waiting_updates_and_recent_ones(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with unit_of_work(sessions) as session:
        await inbox.store(session, _received(1, 2, 3, 4), NOW)
        await inbox.claim(session, 1, NOW)
        await inbox.claim(session, 2, NOW, status=inbox.PARKED, error="x")
    async with unit_of_work(sessions) as session:
        await inbox.prune(session, NOW + timedelta(days=2))
    assert await _statuses(sessions) == {2: "parked", 3: "new", 4: "new"}
    async with unit_of_work(sessions) as session:
        await inbox.prune(session, NOW + timedelta(days=8))
    assert await _statuses(sessions) == {3: "new", 4: "new"}


async def test_a_direct_update_gets_its_row_when_finished(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with unit_of_work(sessions) as session:
        assert await inbox.claim(session, 42, NOW)
    async with unit_of_work(sessions) as session:
        assert not await inbox.claim(session, 42, NOW)
        assert await inbox.store(session, _received(42), NOW) == []


def test_updates_are_ordered_by_their_chat() -> None:
    assert chat_of(_update(1, chat=-100)) == -100
    tap = {"update_id": 2, "callback_query": {"id": "q", "message": {"chat": {"id": -5}}}}
    assert chat_of(tap) == -5
    joined = {"update_id": 3, "my_chat_member": {"chat": {"id": -6}}}
    assert chat_of(joined) == -6
    assert chat_of({"update_id": 4, "poll": {}}) is None


def _one_by_one(
    sessions: async_sessionmaker[AsyncSession], handle: Any
) -> Callable[[Sequence[Incoming]], Awaitable[list[Incoming]]]:
    """A batch handler that takes each update on its own, as the dispatcher does for one."""

    async def handle_batch(incomings: Sequence[Incoming]) -> list[Incoming]:
        failed = []
        for incoming in incomings:
            error = await handle(incoming, final=False)
            if error is not None:
                async with unit_of_work(sessions) as session:
                    await inbox.note_failure(session, incoming.update_id, error)
                failed.append(incoming)
        return failed

    return handle_batch


def _parse(raw: dict[str, Any]) -> Incoming:
    message = raw["message"]
    chat = Chat(message["chat"]["id"], "private")
    return Incoming(update_id=raw["update_id"], chat=chat, sender=None, text=message["text"])


async def test_each_chat_is_handled_in_order_and_chats_side_by_side(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    seen: list[tuple[int, str]] = []
    first_may_finish = asyncio.Event()

    async def handle(incoming: Incoming, *, final: bool) -> str | None:
        if incoming.text == "slow":
            await first_may_finish.wait()
        seen.append((incoming.chat.id, incoming.text or ""))
        async with unit_of_work(sessions) as session:
            await inbox.claim(session, incoming.update_id, NOW)
        return None

    box = Inbox(sessions, ManualClock(NOW), _parse, handle, _one_by_one(sessions, handle))
    await box.accept([_update(1, 7, "slow"), _update(2, 7, "second"), _update(3, 8, "other")])
    await asyncio.sleep(0.1)
    assert seen == [(8, "other")], "chat 8 does not wait for chat 7"
    first_may_finish.set()
    assert await box.idle(within=5)
    assert seen == [(8, "other"), (7, "slow"), (7, "second")]
    assert set((await _statuses(sessions)).values()) == {"done"}


async def test_a_failing_update_is_tried_three_times_and_left_to_the_last_try_to_park(
    sessions: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(handling, "RETRY_PAUSE", 0.001)
    finals: list[bool] = []

    async def handle(incoming: Incoming, *, final: bool) -> str | None:
        finals.append(final)
        if final:  # the dispatcher parks it (with the apology) on the last try
            async with unit_of_work(sessions) as session:
                await inbox.claim(session, incoming.update_id, NOW, status=inbox.PARKED)
            return None
        return "RuntimeError: boom"

    box = Inbox(sessions, ManualClock(NOW), _parse, handle, _one_by_one(sessions, handle))
    await box.accept([_update(1)])
    assert await box.idle(within=5)
    assert finals == [False, False, True]
    async with reading(sessions) as session:
        [row] = await inbox.parked(session)
    assert (row.attempts, row.error) == (2, "RuntimeError: boom")


async def test_an_unreadable_update_is_parked_and_the_next_handled(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    handled: list[int] = []

    def parse(raw: dict[str, Any]) -> Incoming:
        if raw["update_id"] == 1:
            raise ValueError("no such field")
        return _parse(raw)

    async def handle(incoming: Incoming, *, final: bool) -> str | None:
        handled.append(incoming.update_id)
        async with unit_of_work(sessions) as session:
            await inbox.claim(session, incoming.update_id, NOW)
        return None

    box = Inbox(sessions, ManualClock(NOW), parse, handle, _one_by_one(sessions, handle))
    await box.accept([_update(1), _update(2)])
    assert await box.idle(within=5)
    assert handled == [2]
    assert await _statuses(sessions) == {1: "parked", 2: "done"}


class FakeTelegram:
    """getUpdates as Telegram answers it: an offset confirms (deletes) every earlier update."""

    def __init__(self, updates: list[dict[str, Any]]) -> None:
        self.queue = list(updates)
        self.offsets: list[int | None] = []
        self.failures = 0
        self.arrived = asyncio.Event()

    async def fetch(self, offset: int | None, wait: int) -> list[dict[str, Any]]:
        self.offsets.append(offset)
        if self.failures:
            self.failures -= 1
            raise NetworkError("502 Bad Gateway")
        if offset is not None:
            self.queue = [u for u in self.queue if u["update_id"] >= offset]
        if not self.queue:
            self.arrived.clear()
            await self.arrived.wait()
        return self.queue[:2]


async def test_a_batch_is_confirmed_only_after_it_is_stored(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(polling, "FIRST_PAUSE", 0.001)
    telegram = FakeTelegram([_update(i) for i in (10, 11, 12)])
    telegram.failures = 1
    stored: list[int] = []
    store_fails = 2

    async def accept(batch: Sequence[dict[str, Any]]) -> None:
        nonlocal store_fails
        # Whenever Linli stores, Telegram must still hold the batch: nothing confirmed it yet.
        assert {u["update_id"] for u in batch} <= {u["update_id"] for u in telegram.queue}
        if store_fails:
            store_fails -= 1
            raise ConnectionError("database away")
        stored.extend(u["update_id"] for u in batch)

    poller = Poller(telegram.fetch, accept)
    poller.start()
    try:
        for _ in range(500):
            if telegram.offsets[-1:] == [13]:
                break
            await asyncio.sleep(0.01)
    finally:
        await poller.stop()
    assert stored == [10, 11, 12]
    assert telegram.offsets == [None, None, 12, 13], "no offset moved before its batch was stored"
    assert telegram.queue == [], "the last batch was confirmed by the next poll"


async def test_stopping_does_not_wait_out_the_long_poll() -> None:
    telegram = FakeTelegram([])
    poller = Poller(telegram.fetch, lambda batch: asyncio.sleep(0))
    poller.start()
    await asyncio.sleep(0.05)
    started = asyncio.get_running_loop().time()
    await poller.stop()
    assert asyncio.get_running_loop().time() - started < 0.5
