"""Benchmark: 1,000 households join one group-buy within ~10 s, through a real framework.

Runs the sandbox Bot API server and the real bot (python-telegram-bot or aiogram) in one
process, on a fresh SQLite file (or --database). Each household taps "+1 A" on the live card
once; item A has less stock than demand, so the rest must land on the waitlist. Reports:
handler latency p50/p99 (dispatcher: dedupe, handler, outbox, commit), joins lost, units
oversold, whether the final card is exact, and the most messages the group received in any
60-second window.

    python -m bench.groupbuy_burst [--households 1000] [--seconds 10] [--framework ptb]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery import Limits
from bot.settings import Settings
from models.authority import bind_chat
from models.base import create_engine, session_factory
from models.groupbuy import GroupBuyItem, GroupBuyLine, GroupBuyOrder
from models.migrate import upgrade_database
from models.people import ensure_person, register_household
from sandbox.client import People
from sandbox.server import SANDBOX_TOKEN, SandboxServer


def is_groupbuy_card(message: dict) -> bool:
    """The group-buy card: the message with +1 buttons (the greeting also mentions 接龙)."""
    rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    return any(b.get("callback_data", "").startswith("gb:+:") for row in rows for b in row)


GROUP_METHODS = {"sendMessage", "editMessageText", "editMessageReplyMarkup", "sendDocument"}


async def seed(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    group: int,
    leader: int,
    residents: list[int],
) -> None:
    """Bind the group and register one household per resident, directly in the database."""
    now = datetime.now(UTC)
    async with sessions() as session, session.begin():
        boss = await ensure_person(session, leader, "团长", now)
        boss.started_private = True
        binding = await bind_chat(
            session,
            chat_id=group,
            title="阳光花园 9号楼",
            building_name="9号楼",
            community_name=settings.community_name,
            timezone=settings.timezone,
            binder=boss,
            is_chat_admin=True,
            now=now,
        )
        for number, user in enumerate(residents):
            person = await ensure_person(session, user, f"住户{number}", now)
            unit, room = divmod(number, 100)
            await register_household(
                session,
                person=person,
                building_id=binding.building_id,
                room_text=f"{unit + 1}-{(room // 4) + 1}{(room % 4) + 1:02d}",
            )


async def run(households: int, seconds: float, framework: str, database: str, stock: int) -> dict:
    """Run one burst and return the figures."""
    server = SandboxServer()
    root = await server.start()
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": SANDBOX_TOKEN,
        "LINLI_API_URL": root,
        "LINLI_DATABASE_URL": database,
        "LINLI_FRAMEWORK": framework,
    }
    settings = Settings(**{k: v for k, v in env.items() if k.startswith(("LINLI_", "TELEGRAM_"))})
    engine = create_engine(database)
    await upgrade_database(engine)
    sessions = session_factory(engine)
    report = Path(tempfile.mkdtemp()) / "latencies.json"
    # The bot runs in its own process, as in production: the sandbox and these simulated
    # residents must not share (and slow down) its event loop.
    bot = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.bot_process",
        str(report),
        env=env,
        stdout=asyncio.subprocess.PIPE,
    )
    assert bot.stdout is not None
    await bot.stdout.readline()
    people = People(root)
    try:
        leader = await people.add_user("团长")
        residents = [await people.add_user(f"住户{i}") for i in range(households)]
        group = await people.add_group("9号楼", creator_id=leader, member_ids=residents)
        await seed(sessions, settings, group, leader, residents)

        await people.say(
            leader,
            group,
            f"/groupbuy 蔬菜套餐\n截止: +2h\nA 蔬菜包 | 45 | 库存 {stock}\nB 鸡蛋 | 38.5",
        )
        # The card is the message with the +1 buttons (the greeting also mentions 接龙).
        card = await people.wait_for(group, is_groupbuy_card, timeout=20)
        plus_a = card["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
        groupbuy_id = int(plus_a.split(":")[2])

        started = time.perf_counter()
        gap = seconds / households

        async def tap(index: int, user: int) -> None:
            await asyncio.sleep(index * gap)
            await people.tap(user, group, card["message_id"], plus_a)

        await asyncio.gather(*(tap(i, u) for i, u in enumerate(residents)))
        sent_in = time.perf_counter() - started
        # Wait until every tap has been answered, then for the last card edit.
        for _ in range(1200):
            if len(await people.answers()) >= households:
                break
            await asyncio.sleep(0.1)
        handled_in = time.perf_counter() - started
        await asyncio.sleep(Limits().live_gap_seconds + 1.0)
        bot.send_signal(signal.SIGTERM)
        await bot.wait()
        latencies = json.loads(report.read_text())

        async with sessions() as session:
            orders = await session.scalar(
                select(func.count()).where(GroupBuyOrder.groupbuy_id == groupbuy_id)
            )
            item = await session.scalar(
                select(GroupBuyItem).where(
                    GroupBuyItem.groupbuy_id == groupbuy_id, GroupBuyItem.code == "A"
                )
            )
            assert item is not None
            confirmed, waiting = (
                await session.execute(
                    select(
                        func.sum(GroupBuyLine.quantity), func.sum(GroupBuyLine.waitlisted)
                    ).where(GroupBuyLine.item_id == item.id)
                )
            ).one()
        shown = await people.bot_messages(group)
        final = next(m for m in shown if m["message_id"] == card["message_id"])
        calls = [
            c
            for c in await people.calls()
            if c["chat_id"] == group and c["method"] in GROUP_METHODS
        ]
        times = sorted(c["at"] for c in calls if c["ok"])
        busiest = max(
            (sum(1 for t in times if start <= t < start + 60) for start in times), default=0
        )
        burst = sorted(latencies)
        return {
            "framework": framework,
            "database": database.split(":")[0],
            "households": households,
            "burst_seconds": round(sent_in, 2),
            "all_handled_seconds": round(handled_in, 2),
            "handler_p50_ms": round(statistics.median(burst) * 1000, 1),
            "handler_p99_ms": round(burst[int(len(burst) * 0.99) - 1] * 1000, 1),
            "handler_max_ms": round(burst[-1] * 1000, 1),
            "joins_lost": households - int(orders or 0),
            "oversold": max(0, int(confirmed or 0) - stock),
            "confirmed": int(confirmed or 0),
            "waitlisted": int(waiting or 0),
            "card_exact": f"（{households} 户）" in final["text"]
            and f"A×{stock}(+候补{households - stock})" in final["text"],
            "group_messages_total": len(times),
            "group_messages_max_per_minute": busiest,
            "rejected_by_telegram_limits": sum(1 for c in calls if c["error_code"] == 429),
        }
    finally:
        if bot.returncode is None:
            bot.kill()
            await bot.wait()
        await people.close()
        await engine.dispose()
        await server.stop()


def main() -> None:
    """Parse arguments, run the burst, print the figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--households", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=10.0, help="spread the taps over this")
    parser.add_argument("--framework", choices=("ptb", "aiogram"), default="ptb")
    parser.add_argument("--stock", type=int, default=800, help="units of A (demand is 1/home)")
    parser.add_argument("--database", help="SQLAlchemy URL (default: a fresh SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        database = args.database or f"sqlite+aiosqlite:///{Path(scratch) / 'bench.db'}"
        figures = asyncio.run(
            run(args.households, args.seconds, args.framework, database, args.stock)
        )
    print(json.dumps(figures, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
