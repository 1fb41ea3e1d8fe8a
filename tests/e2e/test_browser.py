"""The sandbox page in a real browser: a persona sends /start and sees the bot's answer."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator

import pytest

from bot.app import Linli
from bot.settings import Settings
from sandbox.personas import demo_world
from sandbox.seed import seed_demo
from sandbox.server import SANDBOX_TOKEN, SandboxServer

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = pytest.mark.browser

if CHROMIUM is None and not os.environ.get("LINLI_REQUIRE_BROWSER"):
    pytest.skip("Chromium is not installed (apt-get install chromium)", allow_module_level=True)


@pytest.fixture
async def page_url(db_url: str) -> AsyncIterator[str]:
    """The demo sandbox with the seeded community and the bot running."""
    world = demo_world()
    server = SandboxServer(world)
    root = await server.start()
    settings = Settings(
        TELEGRAM_BOT_TOKEN=SANDBOX_TOKEN,
        LINLI_API_URL=root,
        LINLI_DATABASE_URL=db_url,
        _env_file=None,
    )
    app = Linli(settings)
    await app.start()
    async with app.sessions() as session, session.begin():
        await seed_demo(session, world, app.clock.now(), settings)
    try:
        yield root + "/"
    finally:
        await app.stop()
        await server.stop()


async def test_a_persona_sends_start_and_sees_the_wizard(page_url: str) -> None:
    from playwright.async_api import async_playwright

    assert CHROMIUM, "LINLI_REQUIRE_BROWSER is set but Chromium is missing"
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        try:
            page = await browser.new_page()
            await page.goto(page_url)
            resident = next(p.id for p in demo_world().users.values() if p.role == "resident")
            await page.select_option("#persona-select", str(resident))
            await page.click(f'#chat-list [data-chat-id="{resident}"]')
            await page.fill("#composer", "/start")
            await page.click("#send")
            reply = page.locator("#messages .msg.bot").last
            await reply.wait_for(timeout=15_000)
            assert await page.locator("#messages .msg.bot button.inline-btn").count() >= 2
        finally:
            await browser.close()
