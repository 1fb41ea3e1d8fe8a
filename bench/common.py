"""What the benchmarks share: the sandbox, the bot in its own process, seeding, group counts."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import tempfile
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.settings import Settings
from models.authority import bind_chat
from models.base import create_engine
from models.people import ensure_person, register_household
from sandbox.server import SANDBOX_TOKEN

GROUP_METHODS = {"sendMessage", "editMessageText", "editMessageReplyMarkup", "sendDocument"}


def is_groupbuy_card(message: dict) -> bool:
    """The group-buy card: the message with +1 buttons (the greeting also mentions 接龙)."""
    rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    return any(b.get("callback_data", "").startswith("gb:+:") for row in rows for b in row)


def room(index: int) -> str:
    """Distinct rooms: units of 100 households, four flats a floor."""
    unit, rest = divmod(index, 100)
    return f"{unit + 1}-{rest // 4 + 1}{rest % 4 + 1:02d}"


def bot_env(root: str, database: str, framework: str) -> dict[str, str]:
    """The environment of a bot process pointed at the sandbox at `root`."""
    return {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": SANDBOX_TOKEN,
        "LINLI_API_URL": root,
        "LINLI_DATABASE_URL": database,
        "LINLI_FRAMEWORK": framework,
    }


def settings_of(env: dict[str, str]) -> Settings:
    """Linli's settings as the bot process will read them from `env`."""
    return Settings(**{k: v for k, v in env.items() if k.startswith(("LINLI_", "TELEGRAM_"))})


async def reset_database(url: str) -> None:
    """Empty the database: each run starts from nothing (a SQLite file is deleted)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            if parsed.database:
                await asyncio.to_thread(Path(parsed.database + suffix).unlink, missing_ok=True)
        return
    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


def rss_mb(pid: int) -> float:
    """Resident memory of a process, in MB (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system, all threads) a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class BotProcess:
    """A bot running in its own process, as in production: the bench must not share its loop."""

    process: asyncio.subprocess.Process
    report: Path
    stopped: bool = field(default=False)

    @property
    def rss_mb(self) -> float:
        """The bot's resident memory now."""
        return rss_mb(self.process.pid)

    @property
    def cpu_seconds(self) -> float:
        """CPU time the bot has used so far."""
        return cpu_seconds(self.process.pid)

    async def stop(self, timeout: float = 150) -> Any:  # noqa: ASYNC109
        """SIGTERM, wait, and return what the bot wrote to its report (None if nothing)."""
        if not self.stopped:
            self.stopped = True
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), timeout=timeout)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        return json.loads(self.report.read_text()) if self.report.exists() else None


@asynccontextmanager
async def bot_process(module: str, env: dict[str, str], *args: str) -> AsyncIterator[BotProcess]:
    """Start `python -m module <report> *args`, wait for its "ready" line, stop it at the end."""
    report = Path(tempfile.mkdtemp()) / "report.json"
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", module, str(report), *args, env=env, stdout=asyncio.subprocess.PIPE
    )
    assert process.stdout is not None
    line = await process.stdout.readline()
    if line.strip() != b"ready":
        await process.wait()
        raise RuntimeError(f"{module} did not start (exit {process.returncode})")
    bot = BotProcess(process, report)
    try:
        yield bot
    finally:
        if process.returncode is None:
            if bot.stopped:
                process.kill()
            else:
                await bot.stop()
            await process.wait()


async def seed_households(
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
            await register_household(
                session, person=person, building_id=binding.building_id, room_text=room(number)
            )


def busiest_minute(calls: Iterable[dict], group: int) -> tuple[int, int, int]:
    """(messages the group got, the most in any 60 s, calls refused with 429) from the call log."""
    mine = [c for c in calls if c["chat_id"] == group and c["method"] in GROUP_METHODS]
    times = sorted(c["at"] for c in mine if c["ok"])
    busiest = max((sum(1 for t in times if s <= t < s + 60) for s in times), default=0)
    return len(times), busiest, sum(1 for c in mine if c["error_code"] == 429)


def percentile(values: list[float], share: float) -> float:
    """The value below which `share` of the sorted values lie (nearest rank)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[max(0, min(len(ordered) - 1, int(len(ordered) * share + 0.5) - 1))]
