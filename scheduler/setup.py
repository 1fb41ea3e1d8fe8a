"""APScheduler only ticks; what is due lives in database rows, claimed by the jobs themselves."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.context import Emitter
from bot.routing import Job
from models.outbox import enqueue

log = logging.getLogger(__name__)


class Ticker:
    """Runs every job in its own transaction on each tick; a failing job doesn't stop the rest."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        context_for: Callable[[AsyncSession], Emitter],
        jobs: list[Job],
        on_commit: Callable[[set[int]], None] = lambda chats: None,
    ) -> None:
        self.sessions, self.context_for, self.on_commit = sessions, context_for, on_commit
        self.jobs = jobs
        self._scheduler: AsyncIOScheduler | None = None
        self._lock = asyncio.Lock()

    def start(self, every_seconds: float) -> None:
        """Tick every `every_seconds` in the running event loop."""
        self._scheduler = AsyncIOScheduler(timezone="UTC")
        self._scheduler.add_job(
            self.tick, "interval", seconds=every_seconds, max_instances=1, coalesce=True
        )
        self._scheduler.start()

    def stop(self) -> None:
        """Stop ticking."""
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=False)

    async def tick(self) -> None:
        """Run all due work once, now."""
        async with self._lock:
            chats: set[int] = set()
            for job in self.jobs:
                try:
                    async with self.sessions() as session, session.begin():
                        ctx = self.context_for(session)
                        await job(ctx)
                        await enqueue(session, ctx.outgoing, ctx.clock.now())
                except Exception:
                    log.exception("scheduled job %s failed", job.__name__)
                else:
                    chats.update(o.chat_id for o in ctx.outgoing if o.chat_id is not None)
            # Naming the chats wakes their workers at once, even one waiting out a card's edit
            # gap: a new card (a rollcall opening, say) must not wait with that card's edits.
            if chats:
                self.on_commit(chats)
