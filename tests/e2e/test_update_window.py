"""Update ids deduplicate within a day only: a reused id after that is a new message."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import timedelta

import pytest

from bot.app import Linli
from bot.clock import ManualClock
from bot.settings import Settings
from models.base import reading, unit_of_work
from models.inbox import UPDATE_WINDOW, InboxUpdate, last_update_id
from sandbox.client import People
from sandbox.seed import resume_update_ids
from sandbox.server import SANDBOX_TOKEN, SandboxServer
from sandbox.world import World

Run = Callable[[World], AbstractAsyncContextManager[tuple[People, Linli]]]


@pytest.fixture
def clock() -> ManualClock:
    """One clock across the bot's restarts."""
    return ManualClock()


@pytest.fixture
def run(framework: str, db_url: str, clock: ManualClock) -> Run:
    """Start a sandbox on `world` with the bot on the test's database, then stop both."""

    @asynccontextmanager
    async def running(world: World) -> AsyncIterator[tuple[People, Linli]]:
        server = SandboxServer(world)
        root = await server.start()
        settings = Settings(
            TELEGRAM_BOT_TOKEN=SANDBOX_TOKEN,
            LINLI_API_URL=root,
            LINLI_DATABASE_URL=db_url,
            LINLI_FRAMEWORK=framework,
            LINLI_DEFAULT_LANGUAGE="en",
            _env_file=None,
        )
        app = Linli(settings, clock=clock, tick_seconds=3600)
        await app.start()
        people = People(root)
        try:
            yield people, app
        finally:
            await people.close()
            await app.stop()
            await server.stop()

    return running


def answered(message: dict) -> bool:
    """A bot message pointing to /help (the answer to plain private text)."""
    return "/help" in (message.get("text") or "")


async def say_and_hear(people: People, user: int, text: str) -> None:
    """A person writes privately and the bot answers that very message."""
    said = await people.say(user, user, text)
    await people.wait_for(user, lambda m: m["message_id"] > said and answered(m))


async def test_a_sandbox_counting_from_1_again_is_heard_once_the_window_passed(
    run: Run, clock: ManualClock
) -> None:
    async with run(World()) as (people, _app):
        user = await people.add_user("Li Lei", language_code="en")
        await say_and_hear(people, user, "hello")
        await say_and_hear(people, user, "anyone there?")

    clock.advance(UPDATE_WINDOW + timedelta(minutes=1))
    fresh = World()  # numbers its updates from 1, as a new `linli sandbox` without resuming
    async with run(fresh) as (people, app):
        user = await people.add_user("Li Lei", language_code="en")
        await say_and_hear(people, user, "hello again")
        async with reading(app.sessions) as session:
            reused = await session.get(InboxUpdate, 1)
    assert reused is not None and reused.received_at == clock.now(), "update 1 came again"


async def test_a_restarted_sandbox_continues_its_update_numbering(run: Run) -> None:
    async with run(World()) as (people, app):
        user = await people.add_user("Li Lei", language_code="en")
        await say_and_hear(people, user, "hello")
        await say_and_hear(people, user, "anyone there?")
        last = await _last_update_id(app)
    assert last == 2

    # The same day: ids 1 and 2 still count as seen, so the sandbox must not reuse them.
    # (`linli sandbox` resumes before the bot starts; no update is pending here either.)
    restarted = World()
    async with run(restarted) as (people, app):
        async with unit_of_work(app.sessions) as session:
            await resume_update_ids(session, restarted)
        user = await people.add_user("Li Lei", language_code="en")
        await say_and_hear(people, user, "hello again")
        assert await _last_update_id(app) == last + 1


async def _last_update_id(app: Linli) -> int | None:
    async with reading(app.sessions) as session:
        return await last_update_id(session)
