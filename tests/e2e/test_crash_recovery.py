"""A bot process killed mid-burst loses nothing: what Telegram handed over is handled after restart.

The bot runs in its own process (tests/e2e/crash_bot.py) against the sandbox, which confirms
updates exactly as Telegram does (an offset past them deletes them for good). Each update waits
a moment before it is handled, so the kill lands while fetched updates are still unhandled.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.clock import SystemClock
from models.base import create_engine, reading, session_factory
from models.help_requests import HelpRequest
from models.inbox import NEW, InboxUpdate
from models.outbox import PENDING, OutboxMessage
from models.people import Household, Person
from sandbox.client import People
from sandbox.server import SANDBOX_TOKEN, SandboxServer
from tests.e2e.groupbuy_helpers import (
    building_with_residents,
    buttons,
    handled_updates,
    has_button,
    message,
    open_groupbuy,
    says,
    start_privately,
    stored,
    text_of,
    until_handled,
)

ROOT = Path(__file__).resolve().parents[2]
TAPS, STOCK = 40, 30  # the drill: 40 households tap +1 B, of which there are 30


@dataclass
class CrashWorld:
    """The sandbox, a bot process that can be killed, and the database they share."""

    people: People
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    env: dict[str, str]
    log: Path
    clock: SystemClock = field(default_factory=SystemClock)
    process: asyncio.subprocess.Process | None = None

    async def start(self, pause: float = 0.05) -> None:
        """Start the bot process; return once it polls."""
        env = {**self.env, "CRASH_BOT_PAUSE": str(pause)}
        with self.log.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "tests.e2e.crash_bot",
                cwd=ROOT,
                env=env,
                stdout=asyncio.subprocess.PIPE,
                stderr=log,
            )
        assert self.process.stdout is not None
        async with asyncio.timeout(60):
            line = await self.process.stdout.readline()
        assert line.strip() == b"ready", self.log.read_text(errors="replace")[-3000:]

    async def kill(self) -> None:
        """kill -9: no chance to finish anything."""
        assert self.process is not None
        self.process.kill()
        await self.process.wait()

    async def terminate(self) -> float:
        """SIGTERM; returns the seconds the process took to exit."""
        assert self.process is not None
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(30):
            code = await self.process.wait()
        assert code == 0, self.log.read_text(errors="replace")[-3000:]
        return time.monotonic() - started

    async def settle(self) -> None:
        """Wait until the bot process has delivered everything it committed."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 90
        while await self._pending():
            assert loop.time() < deadline, "the outbox never emptied"
            await asyncio.sleep(0.1)

    async def _pending(self) -> int:
        async with reading(self.sessions) as session:
            waiting = select(func.count()).where(OutboxMessage.status == PENDING)
            return int(await session.scalar(waiting) or 0)


@pytest.fixture
async def crash(framework: str, db_url: str, tmp_path: Path) -> AsyncIterator[CrashWorld]:
    """A sandbox and a bot process on the test's database; the process is killed at the end."""
    server = SandboxServer()
    root = await server.start()
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": SANDBOX_TOKEN,
        "LINLI_API_URL": root,
        "LINLI_DATABASE_URL": db_url,
        "LINLI_FRAMEWORK": framework,
        "LINLI_DEFAULT_LANGUAGE": "zh",
    }
    engine = create_engine(db_url)
    world = CrashWorld(People(root), engine, session_factory(engine), env, tmp_path / "bot.log")
    try:
        yield world
    finally:
        if world.process is not None and world.process.returncode is None:
            world.process.kill()
            await world.process.wait()
        await world.people.close()
        await engine.dispose()
        await server.stop()


async def until(check: Callable[[], object], what: str, within: float = 30) -> None:
    """Poll an async check until it is true."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not await check():  # type: ignore[misc]
        assert loop.time() < deadline, f"never happened: {what}"
        await asyncio.sleep(0.02)


async def _unfinished(world: CrashWorld) -> int:
    async with reading(world.sessions) as session:
        return int(await session.scalar(select(func.count()).where(InboxUpdate.status == NEW)) or 0)


@dataclass
class Burst:
    """Where the taps went, and how many updates were finished before them."""

    group: int
    card_id: int
    groupbuy_id: int
    before: int


async def _burst_of_taps(world: CrashWorld) -> Burst:
    """40 households tap +1 B (stock 30) at once."""
    rooms = [(f"1-{101 + i}", 1) for i in range(TAPS)]
    building = await building_with_residents(world, rooms)  # type: ignore[arg-type]
    card, gid = await open_groupbuy(world, building)  # type: ignore[arg-type]
    before = await handled_updates(world)  # type: ignore[arg-type]
    await asyncio.gather(
        *(
            world.people.tap(r.user_id, building.group, card["message_id"], f"gb:+:{gid}:B")
            for r in building.residents
        )
    )
    return Burst(building.group, card["message_id"], gid, before)


async def _all_sold_once(world: CrashWorld, burst: Burst) -> None:
    """30 sold, 10 waiting, one line per household, one card, no group message twice."""
    group, card_id = burst.group, burst.card_id
    state = await stored(world, burst.groupbuy_id)  # type: ignore[arg-type]
    assert state.orders == TAPS, "every household that tapped has its order"
    assert (state.units("B"), state.waiting("B")) == (STOCK, TAPS - STOCK)
    for room in state.codes:
        units = state.confirmed.get(room, {}).get("B", 0) + state.waitlisted.get(room, {}).get(
            "B", 0
        )
        assert units == 1, f"{room} has {units} units: a tap was handled twice or not at all"
    shown = await world.people.bot_messages(group)
    assert [m["message_id"] for m in shown if has_button("gb:+:")(m)] == [card_id]
    texts = [text_of(m) for m in shown]
    assert len(texts) == len(set(texts)), f"a group message was sent twice: {texts}"
    card = await message(world, group, card_id)  # type: ignore[arg-type]
    assert f"B×{STOCK}(+候补{TAPS - STOCK})" in text_of(card), text_of(card)


async def test_taps_fetched_before_a_kill_are_handled_after_the_restart(
    crash: CrashWorld,
) -> None:
    await crash.start()
    burst = await _burst_of_taps(crash)

    async def a_third_answered() -> bool:
        return len(await crash.people.answers()) >= TAPS // 3

    await until(a_third_answered, "a third of the taps answered")
    await crash.kill()
    done_at_kill = await handled_updates(crash) - burst.before  # type: ignore[arg-type]
    stored_unhandled = await _unfinished(crash)
    assert done_at_kill < TAPS, "the kill came after the burst: nothing was at stake"
    assert stored_unhandled > 0, "no fetched update was waiting when the bot died"

    await crash.start()
    await until_handled(crash, burst.before + TAPS, within=60, settle=False)  # type: ignore[arg-type]
    await crash.settle()
    await _all_sold_once(crash, burst)


async def test_a_sigterm_mid_burst_stops_within_ten_seconds_and_loses_nothing(
    crash: CrashWorld,
) -> None:
    await crash.start()
    burst = await _burst_of_taps(crash)

    async def some_answered() -> bool:
        return len(await crash.people.answers()) >= TAPS // 3

    await until(some_answered, "a third of the taps answered")
    assert await crash.terminate() < 10
    assert await handled_updates(crash) - burst.before < TAPS  # type: ignore[arg-type]

    await crash.start()
    await until_handled(crash, burst.before + TAPS, within=60, settle=False)  # type: ignore[arg-type]
    await crash.settle()
    await _all_sold_once(crash, burst)


async def test_a_burst_of_registrations_survives_a_kill(crash: CrashWorld) -> None:
    await crash.start()
    people = crash.people
    leader = await people.add_user("陈团长")
    residents = [await people.add_user(f"住户{i:02d}") for i in range(TAPS)]
    group = await people.add_group("2号楼邻里群", creator_id=leader, member_ids=residents)
    await people.say(leader, group, "/bind 2号楼")
    await people.wait_for(group, says("本群已绑定到", "2号楼"))
    before = await handled_updates(crash)  # type: ignore[arg-type]
    await asyncio.gather(
        *(people.say(r, group, f"/register 2-{101 + i}") for i, r in enumerate(residents))
    )

    async def a_third_registered() -> bool:
        return await handled_updates(crash) - before >= TAPS // 3  # type: ignore[arg-type]

    await until(a_third_registered, "a third registered")
    await crash.kill()
    assert await handled_updates(crash) - before < TAPS  # type: ignore[arg-type]

    await crash.start()
    await until_handled(crash, before + TAPS, within=60, settle=False)  # type: ignore[arg-type]
    await crash.settle()
    async with reading(crash.sessions) as session:
        rows = await session.execute(
            select(Person.tg_user_id, Household.room)
            .join(Household, Person.household_id == Household.id)
            .where(Person.tg_user_id.in_(residents))
        )
        rooms = {user: room for user, room in rows}
    assert rooms == {r: str(101 + i) for i, r in enumerate(residents)}
    texts = [text_of(m) for m in await people.bot_messages(group)]
    assert len(texts) == len(set(texts)), f"a group message was sent twice: {texts}"
    assert any("今日新登记 40 户" in t for t in texts), texts


async def test_a_help_request_wizard_carries_on_across_a_kill(crash: CrashWorld) -> None:
    await crash.start(pause=0.5)
    people = crash.people
    building = await building_with_residents(crash, [("3-502", 1)])  # type: ignore[arg-type]
    wang = building.residents[0].user_id
    await start_privately(crash, [wang])  # type: ignore[arg-type]
    await people.say(wang, wang, "/request")
    ask = await people.wait_for(wang, says("需要哪方面的帮助"))
    await _tap(crash, wang, ask, "hr:cat:medicine")
    ask = await people.wait_for(wang, says("有多急"))
    await _tap(crash, wang, ask, "hr:urg:today")
    await people.wait_for(wang, says("请用文字说说需要什么帮助"))

    async def stored_unhandled() -> bool:
        return await _unfinished(crash) > 0

    await people.say(wang, wang, "降压药吃完了，需要帮忙去药店买一盒")
    await until(stored_unhandled, "the description stored")
    await crash.kill()

    await crash.start()
    ask = await people.wait_for(wang, says("这是为谁求助"), timeout=30)
    await _tap(crash, wang, ask, "hr:who:self")
    confirm = await people.wait_for(wang, says("请确认你的求助"), timeout=30)
    assert "降压药吃完了" in text_of(confirm)
    await _tap(crash, wang, confirm, "hr:ok:1")
    await people.wait_for(wang, says("求助已提交"), timeout=30)
    async with reading(crash.sessions) as session:
        [request] = (await session.scalars(select(HelpRequest))).all()
    assert request.description == "降压药吃完了，需要帮忙去药店买一盒"
    assert request.additions == [], "the description was taken twice"


async def _tap(world: CrashWorld, user: int, shown: dict, prefix: str) -> None:
    data = next(b for b in buttons(shown) if b.startswith(prefix))
    await world.people.tap(user, user, shown["message_id"], data)
