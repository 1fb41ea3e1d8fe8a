"""The composition root: wires settings, database, dispatcher, delivery, scheduler and adapter."""

from __future__ import annotations

import gc
import logging
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.adapters import Adapter, make_adapter
from bot.clock import Clock, SystemClock
from bot.context import Emitter
from bot.delivery import Delivery, Limits
from bot.dispatch import Dispatcher
from bot.i18n import LANGUAGES, Texts
from bot.inbox import Inbox
from bot.polling import Poller
from bot.settings import Settings
from bot.webhook import WebhookServer
from handlers import ROUTERS
from models.authority import sync_coordinators
from models.base import create_engine, session_factory
from models.migrate import upgrade_database
from scheduler.jobs import HOUSEKEEPING
from scheduler.setup import Ticker

log = logging.getLogger(__name__)

# A stop (SIGTERM) must end within 10 s: handlers get this long, delivery's calls the rest.
HANDLING_GRACE_SECONDS = 3.0
STORING_GRACE_SECONDS = 1.0


def freeze_startup_objects() -> None:
    """Keep everything allocated at start out of the garbage collector's full collections.

    Modules, templates, compiled statements and the frameworks' type models never become
    garbage, yet every full collection walked them all: measured during a +1 burst on the
    aiogram adapter (~300,000 tracked objects), one pause of ~210 ms, ~65 ms after freezing
    (python-telegram-bot: ~120 → ~55 ms). Called once by long-running processes after start.
    """
    gc.collect()
    gc.freeze()


@dataclass
class Linli:
    """One running bot: `await app.start()`, `await app.stop()`."""

    settings: Settings
    clock: Clock = field(default_factory=SystemClock)
    adapter: Adapter | None = None
    delivery_limits: Limits | None = None
    tick_seconds: float = 30.0
    webhook: bool = False  # receive updates at LINLI_WEBHOOK_URL instead of long polling

    engine: AsyncEngine = field(init=False)
    sessions: async_sessionmaker[AsyncSession] = field(init=False)
    texts: Texts = field(init=False)
    dispatcher: Dispatcher = field(init=False)
    delivery: Delivery = field(init=False)
    ticker: Ticker = field(init=False)
    inbox: Inbox = field(init=False)
    poller: Poller | None = field(init=False, default=None)
    webhook_server: WebhookServer | None = field(init=False, default=None)

    async def start(self) -> None:
        """Migrate the database, connect to the Bot API and start handling updates."""
        self.engine = create_engine(self.settings.database_url)
        await upgrade_database(self.engine)
        self.sessions = session_factory(self.engine)
        async with self.sessions() as session, session.begin():
            await sync_coordinators(session, self.settings.coordinator_ids, self.clock.now())
        self.texts = Texts(self.settings.tz)
        self.adapter = self.adapter or make_adapter(self.settings)
        client = self.adapter.client
        self.delivery = Delivery(
            self.sessions,
            client,
            self.delivery_limits,
            views={prefix: view for router in ROUTERS for prefix, view in router.views.items()},
            live_gaps={p: gap for router in ROUTERS for p, gap in router.live_gaps.items()},
            context_for=self.emitter,
        )
        self.dispatcher = Dispatcher(
            ROUTERS,
            sessions=self.sessions,
            texts=self.texts,
            settings=self.settings,
            clock=self.clock,
            api=self.adapter.client,
            on_commit=self.delivery.wake,
        )
        self.ticker = Ticker(
            self.sessions,
            context_for=self.emitter,
            jobs=[*HOUSEKEEPING, *(job for router in ROUTERS for job in router.jobs)],
            on_commit=self.delivery.wake,
        )
        self.inbox = Inbox(
            self.sessions,
            self.clock,
            self.adapter.parse,
            self.dispatcher.handle,
            self.dispatcher.handle_batch,
        )
        self.delivery.start()
        await self.adapter.start()
        await self._register_commands()
        await self.inbox.resume()  # what an earlier run stored goes before anything new
        await self._receive_updates()
        self.ticker.start(self.tick_seconds)
        log.info("Linli is running as @%s", self.adapter.client.bot_username)

    def emitter(self, session: AsyncSession) -> Emitter:
        """A context for work that answers no update: scheduled jobs and live views."""
        assert self.adapter is not None
        return Emitter(
            session=session,
            lang=self.settings.default_language,
            clock=self.clock,
            settings=self.settings,
            texts=self.texts,
            api=self.adapter.client,
        )

    async def _receive_updates(self) -> None:
        assert self.adapter is not None
        if not self.webhook:
            await self.adapter.use_polling()
            self.poller = Poller(self.adapter.fetch_updates, self.inbox.accept)
            self.poller.start()
            return
        if not self.settings.webhook_url:
            raise ValueError("set LINLI_WEBHOOK_URL to the public address of the webhook")
        self.webhook_server = WebhookServer(self.inbox.accept, self.settings.webhook_token)
        await self.webhook_server.start(self.settings.webhook_host, self.settings.webhook_port)
        await self.adapter.use_webhook(self.settings.webhook_url, self.settings.webhook_token)

    async def stop(self) -> None:
        """Stop taking updates, finish those in hand (within seconds), stop delivery."""
        self.ticker.stop()
        if self.poller is not None:
            await self.poller.stop(within=STORING_GRACE_SECONDS)
        if self.webhook_server is not None:
            await self.webhook_server.stop()
        # Whatever is not finished in time stays in the inbox for the next start.
        await self.inbox.close(within=HANDLING_GRACE_SECONDS)
        await self.dispatcher.answered(within=HANDLING_GRACE_SECONDS)
        await self.delivery.stop()
        if self.adapter is not None:
            await self.adapter.stop()
        await self.engine.dispose()

    async def tick(self) -> None:
        """Run the scheduler's due work now (tests move the clock, then tick)."""
        await self.ticker.tick()

    async def _register_commands(self) -> None:
        """Fill Telegram's command menu, per chat type and language."""
        for scope in ("private", "group"):
            names = [
                route.name
                for route in self.dispatcher.commands.values()
                if route.audience == "everyone" and route.where in (scope, "any")
            ]
            for lang in (*LANGUAGES, None):
                text_lang = lang or self.settings.default_language
                commands = [(n, self.texts.label(text_lang, "command", n)) for n in names]
                await self.adapter.client.set_commands(scope, lang, commands)
