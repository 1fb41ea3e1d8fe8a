"""Registration flood: households /register in one group, then the 团长 opens a group-buy.

    python -m bench.registration_flood [--households 1000] [--seconds 600] [--framework ptb]

Each /register goes through the sandbox to the bot (in its own process). Registrations post no
group message of their own (one live card of today's new households, edited at most every
20 s), so the group-buy card posted right after the flood must appear within seconds, and the
group must never get more than 20 messages in a minute. Prints the figures as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select

from bench.common import (
    bot_env,
    bot_process,
    busiest_minute,
    is_groupbuy_card,
    reset_database,
    room,
)
from models.base import create_engine, session_factory
from models.migrate import upgrade_database
from models.people import Person
from sandbox.client import People
from sandbox.server import SandboxServer


async def run(households: int, seconds: float, framework: str, database: str) -> dict:
    """Flood one group with registrations, then time the group-buy card."""
    await reset_database(database)
    server = SandboxServer()
    root = await server.start()
    env = bot_env(root, database, framework)
    engine = create_engine(database)
    await upgrade_database(engine)
    sessions = session_factory(engine)
    people = People(root)
    try:
        async with bot_process("bench.bot_process", env) as running:
            leader = await people.add_user("团长")
            residents = [await people.add_user(f"住户{i}") for i in range(households)]
            group = await people.add_group("9号楼", creator_id=leader, member_ids=residents)
            await people.say(leader, group, "/bind 9号楼")
            await people.wait_for(group, lambda m: "9号楼" in (m["text"] or ""), timeout=20)

            started = time.perf_counter()
            gap = seconds / households

            async def register(index: int, user: int) -> None:
                await asyncio.sleep(index * gap)
                await people.say(user, group, f"/register {room(index)}")

            await asyncio.gather(*(register(i, u) for i, u in enumerate(residents)))
            flood_seconds = time.perf_counter() - started
            for _ in range(3000):
                async with sessions() as session:
                    registered = await session.scalar(
                        select(func.count()).where(Person.household_id.is_not(None))
                    )
                if registered >= households:
                    break
                await asyncio.sleep(0.1)
            handled_seconds = time.perf_counter() - started

            asked = time.perf_counter()
            await people.say(leader, group, "/groupbuy 蔬菜套餐\n截止: +2h\nA 蔬菜包 | 45")
            await people.wait_for(group, is_groupbuy_card, timeout=120)
            card_seconds = time.perf_counter() - asked

            total, busiest, refused = busiest_minute(await people.calls(), group)
            return {
                "framework": framework,
                "database": database.split(":")[0],
                "households": households,
                "flood_seconds": round(flood_seconds, 1),
                "all_registered_seconds": round(handled_seconds, 1),
                "registered": int(registered or 0),
                "card_after_seconds": round(card_seconds, 2),
                "group_messages_total": total,
                "group_messages_max_per_minute": busiest,
                "rejected_by_telegram_limits": refused,
                "rss_mb": running.rss_mb,
            }
    finally:
        await people.close()
        await engine.dispose()
        await server.stop()


def main() -> None:
    """Parse arguments, run the flood, print the figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--households", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=600.0, help="spread /register over this")
    parser.add_argument("--framework", choices=("ptb", "aiogram"), default="ptb")
    parser.add_argument("--database", help="SQLAlchemy URL (default: a fresh SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        database = args.database or f"sqlite+aiosqlite:///{Path(scratch) / 'bench.db'}"
        figures = asyncio.run(run(args.households, args.seconds, args.framework, database))
    print(json.dumps(figures, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
