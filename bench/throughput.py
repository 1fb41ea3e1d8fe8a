"""Throughput: Linli's overhead against bare bots, the +1 burst, the registration flood, memory.

    python -m bench.throughput                                  # SQLite, both frameworks
    python -m bench.throughput --pg postgresql+asyncpg://postgres@127.0.0.1:5432/bench
    python -m bench.throughput --only overhead --framework aiogram --database URL

Everything runs against the sandbox Bot API in this process; every bot runs in a process of its
own (bench/bot_process.py for Linli, bench/bare_bot.py for the yardsticks). For each framework
and database it reports, side by side:

- overhead: taps on a stale button, TAPS queued at once; updates answered per second by a bare
  framework bot (one handler: answerCallbackQuery) and by Linli's full stack, and their ratio;
- burst: HOUSEHOLDS tap +1 within 5 s (SQLite) or 10 s (PostgreSQL), BURSTS (3) group-buys one after
  the other in one bot process: handler p50/p99, lost, oversold, card exact, 429s, the bot's RSS
  after each burst;
- flood: HOUSEHOLDS /register in one group within 10 s, then the 团长 opens a group-buy: how
  long the card took, the most group messages in any minute.

The PostgreSQL database given is emptied before each run. Prints a table, then the JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
from pathlib import Path

from bench import groupbuy_burst, registration_flood
from bench.common import bot_env, bot_process, reset_database
from sandbox.client import People
from sandbox.server import SandboxServer

STALE = "old:1"  # callback data of a button no router knows: Linli answers "outdated button"


async def drain_rate(framework: str, database: str | None, taps: int) -> tuple[float, float]:
    """Updates per second a bot answers when `taps` stale taps are queued at once, and its CPU
    milliseconds per update (all its threads: aiosqlite runs in one of its own).

    database None runs the bare framework bot; otherwise Linli on that (emptied) database.
    """
    server = SandboxServer()
    root = await server.start()
    people = People(root)
    try:
        if database is not None:
            await reset_database(database)
        users = [await people.add_user(f"住户{i}") for i in range(taps)]
        group = await people.add_group("9号楼", creator_id=users[0], member_ids=users[1:])
        world = server.world
        # An old bot message whose buttons no longer exist (Linli's greeting comes later).
        old = world.add_message(group, world.bot.id, text="旧卡片")
        env = bot_env(root, database or "sqlite+aiosqlite://", framework)
        module, args = ("bench.bot_process", ()) if database else ("bench.bare_bot", (framework,))
        async with bot_process(module, env, *args) as bot:
            # Let the bot settle: its greeting, command menu and first long poll.
            for _ in range(100):
                if not world.updates:
                    break
                await asyncio.sleep(0.1)
            await asyncio.sleep(1.5)
            before = len(world.answers)
            cpu = bot.cpu_seconds
            started = time.perf_counter()
            # Straight into the sandbox's queue: no HTTP on the bench's side while the bot runs.
            for user in users:
                world.tap(user, group, old.message_id, STALE, force=True)
            while len(world.answers) - before < taps:
                if time.perf_counter() - started > 300:
                    raise TimeoutError(f"only {len(world.answers) - before} of {taps} answered")
                await asyncio.sleep(0.005)
            elapsed = time.perf_counter() - started
            return taps / elapsed, (bot.cpu_seconds - cpu) / taps * 1000
    finally:
        await people.close()
        await server.stop()


async def overhead(framework: str, database: str, taps: int, rounds: int) -> dict:
    """Bare bot and Linli, alternately, `rounds` times; the best rate of each."""
    bare: list[tuple[float, float]] = []
    linli: list[tuple[float, float]] = []
    for _ in range(rounds):
        bare.append(await drain_rate(framework, None, taps))
        linli.append(await drain_rate(framework, database, taps))
    return {
        "taps": taps,
        "bare_per_s": [round(r) for r, _ in bare],
        "linli_per_s": [round(r) for r, _ in linli],
        "ratio": round(max(r for r, _ in linli) / max(r for r, _ in bare), 2),
        "bare_cpu_ms": [round(c, 2) for _, c in bare],
        "linli_cpu_ms": [round(c, 2) for _, c in linli],
        "cpu_ratio": round(min(c for _, c in bare) / min(c for _, c in linli), 2),
        "load_average": os.getloadavg()[0],
    }


def kind(database: str) -> str:
    """ "SQLite" or "PostgreSQL"."""
    return "PostgreSQL" if database.startswith("postgresql") else "SQLite"


async def measure(args: argparse.Namespace, databases: list[str]) -> list[dict]:
    """Every selected scenario for every framework and database."""
    results = []
    for database in databases:
        for framework in args.framework:
            row: dict = {"framework": framework, "database": kind(database)}
            if "overhead" in args.only:
                row["overhead"] = await overhead(framework, database, args.taps, args.rounds)
                print(framework, kind(database), "overhead", row["overhead"], flush=True)
            if "burst" in args.only:
                seconds = args.burst_seconds or (10.0 if kind(database) == "PostgreSQL" else 5.0)
                row["burst"] = await groupbuy_burst.run(
                    args.households, seconds, framework, database, args.stock, bursts=args.bursts
                )
                row["burst"]["load_average"] = os.getloadavg()[0]
                print(framework, kind(database), "burst", _burst_line(row["burst"]), flush=True)
            if "flood" in args.only:
                row["flood"] = await registration_flood.run(
                    args.households, args.flood_seconds, framework, database
                )
                row["flood"]["load_average"] = os.getloadavg()[0]
                print(framework, kind(database), "flood", row["flood"], flush=True)
            results.append(row)
    return results


def _card(bursts: list[dict]) -> str:
    """Whether every burst's card ended exact, and the longest wait for its last edit."""
    latest = max(r["card_exact_after_seconds"] for r in bursts)
    return ("yes" if all(r["card_exact"] for r in bursts) else "no") + f" ({latest} s)"


def _burst_line(burst: dict) -> str:
    return (
        f"p50 {burst['handler_p50_ms']} ms, p99 {burst['handler_p99_ms']} ms, "
        f"lost {burst['joins_lost']}, oversold {burst['oversold']}, "
        f"exact {burst['card_exact']}, 429 {burst['rejected_by_telegram_limits']}, "
        f"rss {burst['rss_mb_after_each']}"
    )


def table(results: list[dict]) -> str:
    """The figures as a Markdown table, one row per framework and database."""
    lines = [
        "| framework | database | bare/s | Linli/s | ratio | burst p50 / p99 ms | lost | "
        "oversold | card exact (after) | 429 | RSS MB after bursts | flood: card after s | "
        "group msgs/min | load |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in results:
        o, b, f = row.get("overhead"), row.get("burst"), row.get("flood")
        cells = [row["framework"], row["database"]]
        cells += (
            [str(max(o["bare_per_s"])), str(max(o["linli_per_s"])), str(o["ratio"])]
            if o
            else ["–"] * 3
        )
        cells += (
            [
                f"{b['handler_p50_ms']} / {b['handler_p99_ms']}",
                str(b["joins_lost"]),
                str(b["oversold"]),
                _card(b["bursts"]),
                str(b["rejected_by_telegram_limits"]),
                ", ".join(str(r) for r in b["rss_mb_after_each"]),
            ]
            if b
            else ["–"] * 6
        )
        msgs = [x["group_messages_max_per_minute"] for x in (b, f) if x]
        cells += [str(f["card_after_seconds"]) if f else "–", str(max(msgs, default="–"))]
        loads = [x["load_average"] for x in (o, b, f) if x]
        cells.append(f"{min(loads):.1f}–{max(loads):.1f}" if loads else "–")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    """Parse arguments, run everything, print the table and the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", action="append", help="SQLAlchemy URL (repeatable)")
    parser.add_argument("--pg", help="a PostgreSQL URL: run on SQLite and on it")
    parser.add_argument(
        "--framework", action="append", choices=("ptb", "aiogram"), help="default: both"
    )
    parser.add_argument(
        "--only", action="append", choices=("overhead", "burst", "flood"), help="default: all"
    )
    parser.add_argument("--taps", type=int, default=1000, help="stale taps queued at once")
    parser.add_argument("--rounds", type=int, default=1, help="bare/Linli pairs; best counts")
    parser.add_argument("--households", type=int, default=1000)
    parser.add_argument("--bursts", type=int, default=3, help="bursts in one bot process")
    parser.add_argument("--stock", type=int, default=800)
    parser.add_argument("--burst-seconds", type=float, help="default: 5 (SQLite), 10 (PostgreSQL)")
    parser.add_argument("--flood-seconds", type=float, default=10.0)
    args = parser.parse_args()
    args.framework = args.framework or ["ptb", "aiogram"]
    args.only = args.only or ["overhead", "burst", "flood"]
    with tempfile.TemporaryDirectory() as scratch:
        databases = list(args.database or [])
        if not databases:
            databases.append(f"sqlite+aiosqlite:///{Path(scratch) / 'bench.db'}")
        if args.pg:
            databases.append(args.pg)
        results = asyncio.run(measure(args, databases))
    print(table(results))
    print(json.dumps(results, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
