"""What one tap costs Linli alone: the dispatcher in-process, no framework, no network.

    python -m bench.tap_cost [--taps 1000] [--database URL] [--profile plus|stale] [--batch N]

Builds the real Dispatcher with every router on a migrated database (a fresh SQLite file, or
--database, emptied first), a bound group with one household per tapper and an open group-buy,
and a BotClient that answers at once. Then it hands the dispatcher, one after the other, stale
taps (a button no router knows: the no-op update) and "+1 A" taps of different households, and
prints for each kind the microseconds per tap (wall and CPU) and the SQL statements per tap.
--profile prints cProfile's top functions for one kind. With --batch N the taps go the way the
inbox sends them: stored 100 at a time (as one getUpdates brings them), handled N at a time by
`handle_batch`. tests/unit/test_tap_cost.py holds the statement counts down.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import itertools
import pstats
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.common import reset_database, seed_households
from bot.clock import SystemClock
from bot.context import Chat, Incoming, Markup, Sender
from bot.dispatch import Dispatcher
from bot.i18n import Texts
from bot.settings import Settings
from handlers import ROUTERS
from handlers.groupbuy_views import Plus
from models import inbox
from models.base import create_engine, session_factory, unit_of_work
from models.groupbuy import open_groupbuy
from models.groupbuy_spec import GroupBuySpec, ItemSpec
from models.migrate import upgrade_database
from models.people import find_person

GROUP = -100_900
LEADER = 7_000_000
FIRST_RESIDENT = 8_000_000
STALE = "old:1"
POLLED = 100  # updates one getUpdates call brings, at most


class InstantTelegram:
    """A BotClient that answers every call at once and counts the taps it answered."""

    bot_username = "linli_bot"

    def __init__(self) -> None:
        self.answered = 0
        self._ids = itertools.count(100)

    async def answer_callback(
        self, callback_id: str, text: str | None, alert: bool, url: str | None = None
    ) -> None:
        """Count the answer."""
        self.answered += 1

    async def member_status(self, chat_id: int, user_id: int) -> str:
        """Everyone is a member."""
        return "member"

    async def send_message(
        self, chat_id: int, text: str, markup: Markup, reply_to: int | None
    ) -> int:
        """A new message id."""
        return next(self._ids)

    async def edit_message(self, chat_id: int, message_id: int, text: str, markup: Markup) -> None:
        """Nothing to do."""


@dataclass
class Statements:
    """Counts the SQL statements an engine runs (BEGIN/COMMIT included, as the driver sees)."""

    engine: AsyncEngine
    count: int = 0
    seen: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        event.listen(self.engine.sync_engine, "before_cursor_execute", self._executed)
        event.listen(self.engine.sync_engine, "commit", self._committed)

    def _executed(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.count += 1
        self.seen.append(statement.split("\n")[0][:100])

    def _committed(self, _conn: Any) -> None:
        self.count += 1
        self.seen.append("COMMIT")

    def reset(self) -> None:
        """Start counting again."""
        self.count = 0
        self.seen.clear()


@dataclass
class World:
    """A dispatcher on a seeded database, and ways to make its taps."""

    dispatcher: Dispatcher
    api: InstantTelegram
    statements: Statements
    groupbuy_id: int
    residents: int
    _update_ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _callbacks: itertools.count = field(default_factory=lambda: itertools.count(1))

    def tap(self, user: int, data: str) -> Incoming:
        """A tap on the card (message 1) in the group."""
        return Incoming(
            update_id=next(self._update_ids),
            chat=Chat(GROUP, "supergroup", "9号楼"),
            sender=Sender(user, f"住户{user}", language_code="zh"),
            message_id=1,
            callback_id=str(next(self._callbacks)),
            callback_data=data,
        )

    def plus(self, resident: int) -> Incoming:
        """Resident number `resident` taps +1 A."""
        return self.tap(FIRST_RESIDENT + resident, Plus(self.groupbuy_id, "A").pack())

    def stale(self, resident: int) -> Incoming:
        """Resident number `resident` taps a button that no longer exists."""
        return self.tap(FIRST_RESIDENT + resident, STALE)


@asynccontextmanager
async def world(database: str, residents: int, stock: int) -> AsyncIterator[World]:
    """The dispatcher with every router on a freshly seeded database."""
    await reset_database(database)
    engine = create_engine(database)
    await upgrade_database(engine)
    sessions = session_factory(engine)
    settings = Settings(
        TELEGRAM_BOT_TOKEN="1:x", LINLI_DATABASE_URL=database, LINLI_DEFAULT_LANGUAGE="zh"
    )
    residents_ids = [FIRST_RESIDENT + number for number in range(residents)]
    await seed_households(sessions, settings, GROUP, LEADER, residents_ids)
    now = datetime.now(UTC)
    async with sessions() as session, session.begin():
        boss = await find_person(session, LEADER)
        assert boss is not None
        spec = GroupBuySpec(
            title="蔬菜套餐",
            deadline=now + timedelta(hours=2),
            items=(ItemSpec("A", "蔬菜包", 4500, stock=stock), ItemSpec("B", "鸡蛋", 3850)),
        )
        groupbuy = await open_groupbuy(session, spec=spec, chat_id=GROUP, actor=boss, now=now)
    api = InstantTelegram()
    dispatcher = Dispatcher(
        ROUTERS,
        sessions=sessions,
        texts=Texts(settings.tz),
        settings=settings,
        clock=SystemClock(),
        api=api,
    )
    try:
        yield World(dispatcher, api, Statements(engine), groupbuy.id, residents)
    finally:
        await engine.dispose()


async def run_batches(w: World, taps: list[Incoming], batch: int) -> None:
    """Store the taps in the inbox 100 at a time and hand them over `batch` at a time."""
    sessions = w.dispatcher.sessions
    for first in range(0, len(taps), POLLED):
        polled = taps[first : first + POLLED]
        async with unit_of_work(sessions) as session:
            received = [
                inbox.Received(t.update_id, GROUP, {"update_id": t.update_id}) for t in polled
            ]
            await inbox.store(session, received, datetime.now(UTC))
        for start in range(0, len(polled), batch):
            await w.dispatcher.handle_batch(polled[start : start + batch])
    await w.dispatcher.answered(within=60)


async def measure(
    database: str, taps: int, profile: str | None, sort: str = "tottime", batch: int = 1
) -> dict:
    """Microseconds and statements per stale tap and per +1 tap."""
    figures: dict = {"database": database.split(":")[0], "taps": taps, "batch": batch}
    async with world(database, taps, stock=taps * 4 // 5) as w:
        for name, make in (("stale", w.stale), ("plus", w.plus)):
            # Warm up caches (compiled statements, templates) on residents outside the run.
            w.statements.reset()
            profiler = cProfile.Profile() if profile == name else None
            started, cpu = time.perf_counter(), time.process_time()
            if profiler:
                profiler.enable()
            if batch == 1:
                for number in range(taps):
                    await w.dispatcher.handle(make(number))
            else:
                await run_batches(w, [make(number) for number in range(taps)], batch)
            if profiler:
                profiler.disable()
            elapsed = time.perf_counter() - started
            figures[f"{name}_us_per_tap"] = round(elapsed / taps * 1e6)
            # CPU time of this process (both threads): steadier than wall time on a busy machine.
            figures[f"{name}_cpu_us_per_tap"] = round((time.process_time() - cpu) / taps * 1e6)
            figures[f"{name}_statements_per_tap"] = round(w.statements.count / taps, 2)
            if profiler:
                pstats.Stats(profiler).sort_stats(sort).print_stats(45)
        figures["answered"] = w.api.answered
    return figures


def main() -> None:
    """Parse arguments, measure, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--taps", type=int, default=1000)
    parser.add_argument("--database", help="SQLAlchemy URL (emptied first; default: SQLite file)")
    parser.add_argument("--profile", choices=("stale", "plus"))
    parser.add_argument("--batch", type=int, default=1, help="updates per handle_batch call")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        database = args.database or f"sqlite+aiosqlite:///{Path(scratch) / 'cost.db'}"
        print(asyncio.run(measure(database, args.taps, args.profile, batch=args.batch)))


if __name__ == "__main__":
    main()
