"""Webhook mode: the sandbox POSTs updates as Telegram does; Linli answers 200 once stored."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pytest

from bot.app import Linli
from bot.clock import ManualClock
from bot.settings import Settings
from sandbox.client import People
from sandbox.server import SANDBOX_TOKEN, SandboxServer
from tests.e2e.groupbuy_helpers import handled_updates, says, until_handled


@dataclass
class Hooked:
    """A sandbox delivering to a bot in webhook mode."""

    people: People
    app: Linli
    server: SandboxServer

    @property
    def sessions(self):  # type: ignore[no-untyped-def]
        """The bot's database sessions."""
        return self.app.sessions

    async def settle(self) -> None:
        """Wait until the bot has delivered everything it committed."""
        await self.app.delivery.idle(within=30)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
async def hooked(framework: str, db_url: str) -> AsyncIterator[Hooked]:
    """The sandbox and Linli started with `webhook=True` on a local port."""
    server = SandboxServer()
    root = await server.start()
    port = _free_port()
    settings = Settings(
        TELEGRAM_BOT_TOKEN=SANDBOX_TOKEN,
        LINLI_API_URL=root,
        LINLI_DATABASE_URL=db_url,
        LINLI_FRAMEWORK=framework,
        LINLI_DEFAULT_LANGUAGE="en",
        LINLI_WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram",
        LINLI_WEBHOOK_HOST="127.0.0.1",
        LINLI_WEBHOOK_PORT=port,
        _env_file=None,
    )
    app = Linli(settings, clock=ManualClock(), tick_seconds=3600, webhook=True)
    await app.start()
    people = People(root)
    try:
        yield Hooked(people, app, server)
    finally:
        await people.close()
        await app.stop()
        await server.stop()


async def test_updates_arrive_by_webhook_signed_with_the_secret(hooked: Hooked) -> None:
    world = hooked.server.world
    assert world.webhook_url == hooked.app.settings.webhook_url
    assert world.webhook_secret == hooked.app.settings.webhook_token
    user = await hooked.people.add_user("Li Lei", language_code="en")
    await hooked.people.say(user, user, "/help")
    await hooked.people.wait_for(user, says("What you can use here"))
    assert [status for _id, status in hooked.server.webhook.deliveries] == [200]
    # While the webhook is set, getUpdates is refused, as on Telegram.
    assert await hooked.people.calls("getUpdates") == []


async def test_an_unsigned_call_is_refused_and_a_failed_store_comes_again(
    hooked: Hooked, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = hooked.server.world
    secret = world.webhook_secret
    world.webhook_secret = "forged"
    user = await hooked.people.add_user("Li Lei", language_code="en")
    await hooked.people.say(user, user, "/help")
    await _until(lambda: any(s == 401 for _i, s in hooked.server.webhook.deliveries))
    assert await _handled(hooked) == 0, "an unsigned update is not taken"

    accept = hooked.app.inbox.accept
    failures = 0

    async def store_fails_once(updates: Sequence[dict[str, Any]]) -> None:
        nonlocal failures
        if failures == 0:
            failures += 1
            raise ConnectionError("database away")
        await accept(updates)

    monkeypatch.setattr(hooked.app.inbox, "accept", store_fails_once)
    # The server holds the bound method: swap it there too.
    monkeypatch.setattr(hooked.app.webhook_server, "_accept", store_fails_once)
    world.webhook_secret = secret
    await hooked.people.wait_for(user, says("What you can use here"))
    statuses = [s for _i, s in hooked.server.webhook.deliveries]
    assert 500 in statuses and statuses[-1] == 200, statuses
    await until_handled(hooked, 1)  # type: ignore[arg-type]
    helps = [m for m in await hooked.people.bot_messages(user) if "What you can" in m["text"]]
    assert len(helps) == 1


async def _handled(hooked: Hooked) -> int:
    return await handled_updates(hooked)  # type: ignore[arg-type]


async def _until(check: Callable[[], bool], within: float = 10) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not check():
        assert loop.time() < deadline, "never happened"
        await asyncio.sleep(0.02)
