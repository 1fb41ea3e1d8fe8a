"""End-to-end fixtures: the sandbox Bot API plus the real bot under each framework."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import Linli
from bot.clock import ManualClock
from bot.settings import Settings
from sandbox.client import People
from sandbox.server import SANDBOX_TOKEN, SandboxServer
from tests.e2e.privacy import group_leaks, secrets_in


@dataclass
class BotWorld:
    """A running sandbox and bot, and the handles a test needs to act and check."""

    people: People
    app: Linli
    server: SandboxServer
    clock: ManualClock
    framework: str

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]:
        """Sessions on the bot's database, for checking what was stored."""
        return self.app.sessions

    async def restart(self) -> None:
        """Stop the bot and start a new one on the same database and sandbox (a deploy)."""
        await self.app.stop()
        self.app = Linli(self.app.settings, clock=self.clock, tick_seconds=3600)
        await self.app.start()

    async def settle(self) -> None:
        """Wait until the bot has delivered everything it committed."""
        # A leader who sends many commands meets the group's 20-a-minute limit: allow a minute.
        await self.app.delivery.idle(within=90)


@pytest.fixture(params=["ptb", "aiogram"])
def framework(request: pytest.FixtureRequest) -> str:
    """Each end-to-end test runs under both frameworks."""
    return request.param


@pytest.fixture
async def bot(framework: str, db_url: str) -> AsyncIterator[BotWorld]:
    """The sandbox plus Linli connected to it over HTTP."""
    server = SandboxServer()
    root = await server.start()
    settings = Settings(
        TELEGRAM_BOT_TOKEN=SANDBOX_TOKEN,
        LINLI_API_URL=root,
        LINLI_DATABASE_URL=db_url,
        LINLI_FRAMEWORK=framework,
        LINLI_DEFAULT_LANGUAGE="zh",
        _env_file=None,
    )
    clock = ManualClock()
    app = Linli(settings, clock=clock, tick_seconds=3600)
    await app.start()
    people = People(root)
    world = BotWorld(people, app, server, clock, framework)
    try:
        yield world
    finally:
        await people.close()
        await world.app.stop()  # the one running now, after any restart
        await server.stop()


@pytest.fixture(autouse=True)
def privacy_sweep(request: pytest.FixtureRequest) -> None:
    """Every test that runs the bot ends with the privacy sweep of its groups."""
    if "bot" in request.fixturenames:
        request.getfixturevalue("_swept_bot")


@pytest.fixture
async def _swept_bot(bot: BotWorld) -> AsyncIterator[BotWorld]:
    """After the test, while the bot still runs: no group message exposes a neighbour."""
    yield bot
    await bot.settle()
    found = group_leaks(bot.server.world, await secrets_in(bot.sessions))
    assert not found, "a group was shown private details:\n" + "\n".join(found)
