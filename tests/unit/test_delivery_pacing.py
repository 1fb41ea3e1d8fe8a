"""Delivery's pacing under a manual clock: group minutes, private bursts, 429s and card edits.

A fake Telegram records when each call started and was answered on the manual clock; the test
moves the clock from one sleep's end to the next only when every delivery task is asleep, so
the recorded times are exact and no test waits for real time to pass.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import ManualClock
from bot.context import Markup, Outgoing
from bot.delivery import TASK_NAME, Delivery, Limits
from bot.ratelimit import SlidingWindow
from bot.transport import RetryAfter, TransportError
from models.outbox import SENT, SUPERSEDED, OutboxMessage, enqueue

GROUP = -1001
OTHER_GROUP = -1002
RESIDENT = 501
MARGIN = Limits().group_margin_seconds


@dataclass(frozen=True)
class Call:
    """One call Telegram received: what, where, and when it started and was answered."""

    method: str
    chat_id: int
    text: str
    started: float
    answered: float
    refused: bool = False


class FakeTelegram:
    """A BotClient that answers after `latency` seconds of the manual clock and records calls."""

    bot_username = "linli_bot"

    def __init__(self, clock: ManualClock, latency: float = 0.0) -> None:
        self.clock, self.latency = clock, latency
        self.calls: list[Call] = []
        self.refusals: dict[int, list[TransportError]] = {}
        self._message_ids = iter(range(100, 10_000))

    def sent(self, chat_id: int | None = None) -> list[Call]:
        """The calls Telegram accepted, in order (of one chat, if given)."""
        return [c for c in self.calls if not c.refused and chat_id in (None, c.chat_id)]

    async def _answer(self, method: str, chat_id: int, text: str) -> None:
        started = self.clock.monotonic()
        await self.clock.sleep(self.latency)
        refusal = self.refusals.get(chat_id, []).pop(0) if self.refusals.get(chat_id) else None
        self.calls.append(
            Call(method, chat_id, text, started, self.clock.monotonic(), refusal is not None)
        )
        if refusal is not None:
            raise refusal

    async def send_message(
        self, chat_id: int, text: str, markup: Markup, reply_to: int | None
    ) -> int:
        await self._answer("sendMessage", chat_id, text)
        return next(self._message_ids)

    async def edit_message(self, chat_id: int, message_id: int, text: str, markup: Markup) -> None:
        await self._answer("editMessageText", chat_id, text)

    async def send_document(
        self, chat_id: int, filename: str, data: bytes, caption: str | None
    ) -> int:
        await self._answer("sendDocument", chat_id, caption or filename)
        return next(self._message_ids)


@dataclass
class Rig:
    """Delivery on a manual clock, its fake Telegram and the outbox it drains."""

    clock: ManualClock
    telegram: FakeTelegram
    delivery: Delivery
    sessions: async_sessionmaker[AsyncSession]

    async def queue(self, *actions: Outgoing) -> None:
        """Commit outbox rows as a handler would, and tell delivery which chats."""
        async with self.sessions() as session, session.begin():
            await enqueue(session, list(actions), self.clock.now())
        self.delivery.wake({a.chat_id for a in actions if a.chat_id is not None})

    async def settle(self) -> None:
        """Until every delivery task is asleep on the manual clock, none busy with the database.

        Each task that waits, waits on exactly one sleep of the clock (a rate window, a held edit,
        Telegram's latency, or the loop's next scan); the state must hold for a while, because
        a task whose event just fired still has its sleep pending for a few loop turns.
        """
        deadline = time.monotonic() + 10.0  # real time: only a bound on a broken test
        calm = 0
        while calm < 50:
            assert time.monotonic() < deadline, "delivery never settled"
            tasks = [
                t
                for t in asyncio.all_tasks()
                if t.get_name().startswith(TASK_NAME) and not t.done()
            ]
            calm = calm + 1 if len(self.clock.wakes) == len(tasks) else 0
            await asyncio.sleep(0 if calm else 0.001)

    async def run_until(self, done: Callable[[], bool], within: float = 600.0) -> None:
        """Move the clock from one sleep's end to the next until `done()`."""
        limit = self.clock.monotonic() + within
        while True:
            await self.settle()
            if done():
                return
            assert self.clock.wakes[0] <= limit, "not done within the time allowed"
            self.clock.advance_to(self.clock.wakes[0])

    async def statuses(self) -> list[str]:
        """The outbox rows' statuses, oldest first."""
        async with self.sessions() as session:
            rows = await session.scalars(select(OutboxMessage.status).order_by(OutboxMessage.id))
            return list(rows)


def rig_fixture(latency: float = 0.0, live_gaps: dict[str, float] | None = None):  # type: ignore[no-untyped-def]
    """A fixture running delivery against a fake Telegram with this latency."""

    @pytest.fixture
    async def rig(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[Rig]:
        clock = ManualClock()
        telegram = FakeTelegram(clock, latency)
        delivery = Delivery(sessions, telegram, live_gaps=live_gaps, clock=clock)  # type: ignore[arg-type]
        delivery.start()
        try:
            yield Rig(clock, telegram, delivery, sessions)
        finally:
            await delivery.stop()

    return rig


rig = rig_fixture()
slow_rig = rig_fixture(latency=1.0)
patient_rig = rig_fixture(live_gaps={"groupbuy": 10.0})


def message(chat_id: int, text: str) -> Outgoing:
    """A plain new message."""
    return Outgoing("send", chat_id=chat_id, text=text)


def card(text: str, key: str = "groupbuy:1") -> Outgoing:
    """A new version of a live card in the group."""
    return Outgoing("live", chat_id=GROUP, text=text, live_key=key)


def most_in_any_minute(calls: list[Call]) -> int:
    """The most calls that started within any 60 seconds."""
    starts = [c.started for c in calls]
    return max(sum(1 for s in starts if t <= s < t + 60) for t in starts)


async def test_the_twenty_first_group_message_waits_a_minute_after_the_first(rig: Rig) -> None:
    await rig.queue(*(message(GROUP, f"通知 {i}") for i in range(25)))
    await rig.run_until(lambda: len(rig.telegram.sent()) == 25)

    calls = rig.telegram.sent()
    assert [c.text for c in calls] == [f"通知 {i}" for i in range(25)], "in order"
    assert all(c.started == 0 for c in calls[:20])
    for earlier, later in zip(calls, calls[20:], strict=False):
        assert later.started == pytest.approx(earlier.answered + 60 + MARGIN)
    assert most_in_any_minute(calls) == 20
    assert await rig.statuses() == [SENT] * 25


async def test_the_group_minute_counts_from_telegrams_answer(slow_rig: Rig) -> None:
    # Each call takes a second to be answered: Telegram may have counted the first message as
    # late as its answer, so the 21st waits a minute (and the margin) from then.
    await slow_rig.queue(*(message(GROUP, f"通知 {i}") for i in range(21)))
    await slow_rig.run_until(lambda: len(slow_rig.telegram.sent()) == 21)

    first, twenty_first = slow_rig.telegram.sent()[0], slow_rig.telegram.sent()[20]
    assert (first.started, first.answered) == (0, 1)
    assert twenty_first.started == pytest.approx(first.answered + 60 + MARGIN)


async def test_retry_after_holds_that_chat_while_other_chats_go_on(rig: Rig) -> None:
    rig.telegram.refusals[GROUP] = [RetryAfter(7)]
    await rig.queue(
        message(GROUP, "卡片"),
        *(message(RESIDENT, f"取货码 {i}") for i in range(6)),
        message(OTHER_GROUP, "另一栋楼"),
    )
    await rig.run_until(lambda: len(rig.telegram.sent()) == 8)

    refused, retried = [c for c in rig.telegram.calls if c.chat_id == GROUP]
    assert refused.refused and not retried.refused
    assert retried.started == pytest.approx(refused.answered + 7)
    # Meanwhile the resident's private chat went on at its own pace (3 in any 3 seconds) ...
    assert [c.started for c in rig.telegram.sent(RESIDENT)] == [0, 0, 0, 3, 3, 3]
    # ... and another group was not held at all.
    assert [c.started for c in rig.telegram.sent(OTHER_GROUP)] == [0]
    assert await rig.statuses() == [SENT] * 8


async def test_live_edits_of_one_card_coalesce_to_the_newest(rig: Rig) -> None:
    await rig.queue(card("接龙 1 户"))
    await rig.run_until(lambda: len(rig.telegram.sent()) == 1)
    for joined in range(2, 31):
        await rig.queue(card(f"接龙 {joined} 户"))
    await rig.run_until(lambda: len(rig.telegram.sent()) == 2)
    await rig.settle()

    posted, edited = rig.telegram.sent()
    assert (posted.method, edited.method) == ("sendMessage", "editMessageText")
    assert edited.text == "接龙 30 户"
    assert edited.started == pytest.approx(posted.answered + Limits().live_gap_seconds)
    assert await rig.statuses() == [SENT, *[SUPERSEDED] * 28, SENT]


async def test_a_card_prefix_may_be_edited_less_often(patient_rig: Rig) -> None:
    await patient_rig.queue(card("接龙 1 户"))
    await patient_rig.run_until(lambda: len(patient_rig.telegram.sent()) == 1)
    await patient_rig.queue(card("接龙 2 户"), card("值班 1 人", key="shift:1"))
    await patient_rig.run_until(lambda: len(patient_rig.telegram.sent()) == 3)

    posted, other_card, edited = patient_rig.telegram.sent()
    assert other_card.text == "值班 1 人" and other_card.started == 0, "another card is not held"
    assert edited.text == "接龙 2 户"
    assert edited.started == pytest.approx(posted.answered + 10.0)


async def test_a_held_card_edit_does_not_hold_back_a_new_message(rig: Rig) -> None:
    await rig.queue(card("接龙 1 户"))
    await rig.run_until(lambda: len(rig.telegram.sent()) == 1)
    await rig.queue(card("接龙 2 户"))
    await rig.settle()  # the group's worker now waits for the edit's gap, or a nudge
    assert len(rig.telegram.sent()) == 1

    await rig.queue(message(GROUP, "明天停水 no water tomorrow"))
    await rig.settle()
    assert rig.clock.monotonic() == 0, "the clock did not move"
    assert [c.text for c in rig.telegram.sent()][1:] == ["明天停水 no water tomorrow"]

    await rig.run_until(lambda: len(rig.telegram.sent()) == 3)
    assert rig.telegram.sent()[2].text == "接龙 2 户"
    assert rig.telegram.sent()[2].started == pytest.approx(Limits().live_gap_seconds)


async def test_a_message_committed_during_a_scan_goes_out_without_waiting_for_the_next(
    rig: Rig,
) -> None:
    # A handler may commit while delivery's periodic scan is reading the outbox; the wake it
    # sends then must not be lost, or its message waits a second for the next scan.
    scan = rig.delivery._due
    committed_during_scan = False

    async def scan_while_a_handler_commits() -> list[int]:
        nonlocal committed_during_scan
        chats = await scan()
        if not committed_during_scan:
            committed_during_scan = True
            await rig.queue(message(RESIDENT, "您的取货码已发送 your pickup code"))
        return chats

    rig.delivery._due = scan_while_a_handler_commits  # type: ignore[method-assign]
    rig.delivery.wake()  # the next turn of the loop scans
    await rig.run_until(lambda: len(rig.telegram.sent()) == 1)
    assert rig.clock.monotonic() == 0, "the message waited for a later scan"


def test_a_window_counts_events_in_any_period() -> None:
    window = SlidingWindow(2, 10.0)
    assert window.delay(0.0) == 0
    window.take(0.0)
    window.take(4.0)
    assert window.delay(5.0) == 5.0, "the oldest event must leave first"
    assert window.delay(10.0) == 0
    window.take(10.0)
    assert window.delay(10.0) == 4.0


def test_a_call_counts_from_its_answer_and_fills_the_window_until_then() -> None:
    window = SlidingWindow(1, 60.0)
    window.begin()
    window.end(2.5)  # the answer came 2.5 s after the call
    assert window.delay(60.0) == 2.5
    # A call slower than the whole period still holds its place until it is answered: the
    # other side may count it at any moment before its answer.
    window = SlidingWindow(1, 1.0)
    window.begin()
    assert window.delay(1.5) == 1.0
    window.end(3.0)
    assert window.delay(3.5) == 0.5
    # A call never made gives its place back.
    window = SlidingWindow(1, 1.0)
    window.begin()
    window.end(None)
    assert window.delay(0.0) == 0
