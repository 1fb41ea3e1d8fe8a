"""Fixtures: a sandbox on a free port, a People client, and both frameworks' bots pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import telegram
from aiogram import Bot as AiogramBot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from sandbox.client import People
from sandbox.personas import demo_world
from sandbox.server import SANDBOX_TOKEN, Limits, SandboxServer

LEADER_1 = 1001  # creator of building 1's group
LEADER_2 = 1002  # administrator of building 2's group
RESIDENT_1 = 1012  # plain member of building 1's group


@pytest.fixture
def limits() -> Limits:
    """Rate limits for the sandbox; tests shrink them to reach a 429 quickly."""
    return Limits()


@pytest.fixture
async def sandbox(limits: Limits) -> AsyncIterator[SandboxServer]:
    """The demo world served on a free port."""
    server = SandboxServer(demo_world(), limits=limits)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def people(sandbox: SandboxServer) -> AsyncIterator[People]:
    """A People client for the sandbox."""
    async with People(sandbox.url) as client:
        yield client


@pytest.fixture
async def ptb(sandbox: SandboxServer) -> AsyncIterator[telegram.Bot]:
    """python-telegram-bot's Bot, initialised against the sandbox."""
    bot = telegram.Bot(
        SANDBOX_TOKEN, base_url=f"{sandbox.url}/bot", base_file_url=f"{sandbox.url}/file/bot"
    )
    async with bot:
        yield bot


@pytest.fixture
async def aio(sandbox: SandboxServer) -> AsyncIterator[AiogramBot]:
    """aiogram's Bot against the sandbox."""
    session = AiohttpSession(api=TelegramAPIServer.from_base(sandbox.url))
    bot = AiogramBot(SANDBOX_TOKEN, session=session)
    try:
        yield bot
    finally:
        await bot.session.close()
