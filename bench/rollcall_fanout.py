"""Rollcall fan-out: a rollcall opens in the same minute in 1,000 bound groups.

    python -m bench.rollcall_fanout [--groups 1000] [--framework ptb] [--database URL]

The groups are created in the sandbox (which enforces Telegram's 30 messages a second); once the
bot has greeted them all, each is bound in the database with a one-off rollcall opening at the
same instant. The bot runs in its own process (bench/bot_process.py) with a one-second tick: the
bench measures delivery, not the tick. Only calls after the opening are counted. Reports the
rate of card posts, the 429s the sandbox answered and how many of the cards were posted, as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.common import bot_env, bot_process, settings_of
from bot.settings import Settings
from models.authority import bind_chat
from models.base import create_engine, session_factory
from models.migrate import upgrade_database
from models.people import ensure_person
from models.rollcalls import Rollcall
from sandbox.client import People
from sandbox.server import SandboxServer

# After seeding: the bot's tick runs every second, but its first write after the seed may still
# be sleeping in SQLite's busy handler.
OPEN_AFTER = timedelta(seconds=10)
TITLE = "每日报平安 Fan-out"


async def seed(database: str, settings: Settings, groups: list[int], leader: int) -> datetime:
    """Bind every group to its own building with a rollcall opening at one instant."""
    engine = create_engine(database)
    await upgrade_database(engine)
    sessions = session_factory(engine)
    now = datetime.now(UTC)
    buildings: list[int] = []
    async with sessions() as session, session.begin():
        boss = await ensure_person(session, leader, "楼组长", now)
        for number, group in enumerate(groups):
            binding = await bind_chat(
                session,
                chat_id=group,
                title=f"{number}号楼",
                building_name=f"{number}号楼",
                community_name=settings.community_name,
                timezone=settings.timezone,
                binder=boss,
                is_chat_admin=True,
                now=now,
            )
            buildings.append(binding.building_id)
    # The opening instant is set once the long binding transaction is over, so the bot's own
    # writes are not still queued behind it when the rollcalls open.
    opens = datetime.now(UTC) + OPEN_AFTER
    async with sessions() as session, session.begin():
        session.add_all(
            Rollcall(
                building_id=building,
                chat_id=group,
                title=TITLE,
                audience="households",
                repeat="once",
                days=[],
                start_minute=0,
                minutes=60,
                once_at=opens,
                status="active",
                since=now,
                created_at=now,
            )
            for building, group in zip(buildings, groups, strict=True)
        )
    await engine.dispose()
    return opens


async def _greeted(people: People, chats: set[int]) -> None:
    """Wait until every group has had its greeting."""
    started = time.monotonic()
    while time.monotonic() - started < 600:
        calls = await people.calls("sendMessage")
        if len({c["chat_id"] for c in calls if c["ok"] and c["chat_id"] in chats}) >= len(chats):
            return
        await asyncio.sleep(1.0)
    raise TimeoutError("the bot did not greet every group")


async def run(groups: int, framework: str, database: str) -> dict:
    """Open the rollcalls and measure how their cards go out."""
    server = SandboxServer()
    root = await server.start()
    env = bot_env(root, database, framework)
    settings = settings_of(env)
    people = People(root)
    leader = await people.add_user("楼组长")
    chats = [await people.add_group(f"{n}号楼", creator_id=leader) for n in range(groups)]
    # The bot runs in its own process, as in production: the sandbox (Telegram) must not share
    # its event loop, or every call's answer would wait for the bot's own work.
    try:
        async with bot_process("bench.bot_process", env, "1"):
            return await _fan_out(people, database, settings, chats, leader, framework)
    finally:
        await people.close()
        await server.stop()


async def _fan_out(
    people: People,
    database: str,
    settings: Settings,
    chats: list[int],
    leader: int,
    framework: str,
) -> dict:
    groups = len(chats)
    # The bot greets each group it was added to: let those greetings go out first, so that
    # only the rollcall cards are measured.
    await _greeted(people, set(chats))
    opens = await seed(database, settings, chats, leader)
    await asyncio.sleep(max(0.0, (opens - datetime.now(UTC)).total_seconds()))
    started = time.monotonic()
    wanted = set(chats)
    cards: list[dict] = []
    while time.monotonic() - started < 600:
        calls = await people.calls("sendMessage")
        cards = [c for c in calls if c["chat_id"] in wanted and c["at"] >= opens.timestamp()]
        if len({c["chat_id"] for c in cards if c["ok"]}) >= groups:
            break
        await asyncio.sleep(1.0)
    posted = [c for c in cards if c["ok"]]
    times = sorted(c["at"] for c in posted)
    span = times[-1] - times[0] if len(times) > 1 else 0.0
    every = [c for c in await people.calls() if c["at"] >= opens.timestamp()]
    return {
        "framework": framework,
        "database": database.split(":")[0],
        "groups": groups,
        "cards_posted": len({c["chat_id"] for c in posted}),
        "first_card_after_open_seconds": round(times[0] - opens.timestamp(), 1) if times else None,
        "all_cards_seconds": round(times[-1] - opens.timestamp(), 1) if times else None,
        "messages_per_second": round((len(times) - 1) / span, 1) if span else None,
        "rejected_429": sum(1 for c in every if c["error_code"] == 429),
    }


def main() -> None:
    """Parse arguments, run the fan-out, print the figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--groups", type=int, default=1000)
    parser.add_argument("--framework", choices=("ptb", "aiogram"), default="ptb")
    parser.add_argument("--database", help="SQLAlchemy URL (default: a fresh SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        database = args.database or f"sqlite+aiosqlite:///{Path(scratch) / 'bench.db'}"
        figures = asyncio.run(run(args.groups, args.framework, database))
    print(json.dumps(figures, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
