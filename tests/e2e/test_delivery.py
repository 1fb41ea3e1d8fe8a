"""Outbox delivery against the sandbox: retries, restarts and coalesced live edits."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.adapters import Adapter, make_adapter
from bot.context import Button, Keyboard, Outgoing
from bot.delivery import Delivery, Limits
from bot.settings import Settings
from bot.transport import BotClient
from models.outbox import FAILED, PENDING, OutboxMessage, enqueue
from models.people import ensure_person, find_person
from sandbox.client import People
from sandbox.server import SANDBOX_TOKEN, SandboxServer


@dataclass
class Wire:
    """A sandbox, a person in it, a framework's client and a migrated database."""

    people: People
    client: BotClient
    sessions: async_sessionmaker[AsyncSession]
    user: int
    group: int

    async def queue(self, *actions: Outgoing) -> None:
        """Commit outbox rows as a handler would."""
        async with self.sessions() as session, session.begin():
            await enqueue(session, list(actions), datetime.now(UTC))

    async def texts(self, chat_id: int) -> list[str]:
        """What the bot has shown in a chat, edits applied."""
        return [m["text"] for m in await self.people.bot_messages(chat_id)]


@pytest.fixture
async def wire(framework: str, sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[Wire]:
    """A framework client connected to a fresh sandbox."""
    server = SandboxServer()
    root = await server.start()
    people = People(root)
    settings = Settings(
        TELEGRAM_BOT_TOKEN=SANDBOX_TOKEN, LINLI_API_URL=root, LINLI_FRAMEWORK=framework
    )
    adapter: Adapter = make_adapter(settings)
    await adapter.start()
    user = await people.add_user("Wang Fang")
    await people.say(user, user, "/start")  # a bot may write only to people who started it
    group = await people.add_group("Building 1", creator_id=user)
    try:
        yield Wire(people, adapter.client, sessions, user, group)
    finally:
        await adapter.stop()
        await people.close()
        await server.stop()


def message(chat_id: int, text: str) -> Outgoing:
    """A plain new message."""
    return Outgoing("send", chat_id=chat_id, text=text)


def card(chat_id: int, text: str) -> Outgoing:
    """A new version of the live card `groupbuy:1`."""
    keyboard = Keyboard.of([Button("+1", data="gb:join:1:A")])
    return Outgoing("live", chat_id=chat_id, text=text, markup=keyboard, live_key="groupbuy:1")


async def test_rate_limited_send_is_retried_after_retry_after(wire: Wire) -> None:
    await wire.people.fault("sendMessage", error_code=429, retry_after=1, count=1)
    delivery = Delivery(wire.sessions, wire.client)
    await wire.queue(message(wire.user, "你的取货码是 <b>4821</b>"))
    delivery.start()
    try:
        await delivery.idle()
    finally:
        await delivery.stop()

    assert await wire.texts(wire.user) == ["你的取货码是 <b>4821</b>"]
    calls = await wire.people.calls("sendMessage")
    assert [c["error_code"] for c in calls][:1] == [429] and len(calls) == 2
    # As the server saw it: the retry came no sooner than retry_after said.
    assert calls[1]["at"] - calls[0]["at"] >= 1.0


class StallAfter:
    """A client that passes through `n` sends, then hangs as if the process froze mid-call."""

    def __init__(self, inner: BotClient, n: int) -> None:
        self.inner, self.left = inner, n
        self.bot_username = inner.bot_username

    async def send_message(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self.left == 0:
            await asyncio.Event().wait()
        self.left -= 1
        return await self.inner.send_message(*args, **kwargs)


async def test_restart_sends_what_was_committed_exactly_once(wire: Wire) -> None:
    texts = [f"第 {i} 条通知 notice {i}" for i in range(6)]
    await wire.queue(*(message(wire.group, t) for t in texts))

    crashed = Delivery(wire.sessions, StallAfter(wire.client, 3))  # type: ignore[arg-type]
    crashed.start()
    for _ in range(100):
        if len(await wire.texts(wire.group)) == 3:
            break
        await asyncio.sleep(0.05)
    await crashed.stop()
    assert await wire.texts(wire.group) == texts[:3]

    restarted = Delivery(wire.sessions, wire.client)
    restarted.start()
    try:
        await restarted.idle()
    finally:
        await restarted.stop()
    assert await wire.texts(wire.group) == texts, "each message once, in order"


async def test_fifty_rapid_edits_end_with_the_newest_in_few_calls(wire: Wire) -> None:
    delivery = Delivery(wire.sessions, wire.client, Limits(live_gap_seconds=1.0))
    delivery.start()
    try:
        for joined in range(1, 51):
            await wire.queue(card(wire.group, f"接龙 {joined} 户 households"))
            delivery.wake()
        await delivery.idle()
    finally:
        await delivery.stop()

    shown = await wire.people.bot_messages(wire.group)
    assert [m["text"] for m in shown] == ["接龙 50 户 households"]
    assert shown[0]["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "gb:join:1:A"
    calls = await wire.people.calls("sendMessage") + await wire.people.calls("editMessageText")
    assert len(calls) <= 10, f"{len(calls)} calls for 50 edits"


async def test_edit_identical_to_the_shown_card_counts_as_delivered(wire: Wire) -> None:
    delivery = Delivery(wire.sessions, wire.client, Limits(live_gap_seconds=0))
    delivery.start()
    try:
        await wire.queue(card(wire.group, "接龙 1 户"))
        await delivery.idle()
        await wire.queue(card(wire.group, "接龙 1 户"))
        await delivery.idle()
    finally:
        await delivery.stop()
    async with wire.sessions() as session:
        stuck = await session.scalar(
            select(func.count()).where(OutboxMessage.status.in_((PENDING, FAILED)))
        )
    assert stuck == 0


async def test_private_message_to_someone_who_never_started_the_bot_fails_once(
    wire: Wire,
) -> None:
    stranger = await wire.people.add_user("Li Lei")
    delivery = Delivery(wire.sessions, wire.client)
    await wire.queue(message(stranger, "hello"), message(wire.user, "still delivered"))
    delivery.start()
    try:
        await delivery.idle()
    finally:
        await delivery.stop()
    async with wire.sessions() as session:
        statuses = (
            await session.scalars(select(OutboxMessage.status).order_by(OutboxMessage.id))
        ).all()
    assert statuses == [FAILED, "sent"]
    assert await wire.texts(wire.user) == ["still delivered"]


async def test_a_refused_private_message_is_recorded_logged_and_clears_reachability(
    wire: Wire, caplog: pytest.LogCaptureFixture
) -> None:
    # Linli believes it can reach Li Lei privately, but Telegram says he never started the bot
    # (or blocked it since): the next "sent to you privately" would be a lie.
    stranger = await wire.people.add_user("Li Lei")
    async with wire.sessions() as session, session.begin():
        person = await ensure_person(session, stranger, "Li Lei", datetime.now(UTC))
        person.started_private = True
    delivery = Delivery(wire.sessions, wire.client)
    await wire.queue(message(stranger, "你的取货码是 <b>4821</b>"))
    with caplog.at_level(logging.WARNING, logger="bot.delivery"):
        delivery.start()
        try:
            await delivery.idle()
        finally:
            await delivery.stop()

    async with wire.sessions() as session:
        row = await session.scalar(select(OutboxMessage))
        person = await find_person(session, stranger)
    assert row is not None and row.status == FAILED
    assert row.error and "can't initiate conversation" in row.error
    assert person is not None and not person.started_private
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(str(stranger) in w and "can't initiate conversation" in w for w in warnings)
