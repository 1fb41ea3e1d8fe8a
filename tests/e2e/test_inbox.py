"""The inbox under both frameworks: a failing update is retried, then parked, never blocking."""

from __future__ import annotations

import pytest
from sqlalchemy import select

import handlers.households
from bot.context import Chat, Incoming, Sender
from models import inbox
from models.base import reading, unit_of_work
from models.inbox import DONE, PARKED, InboxUpdate
from models.people import Household
from tests.e2e.conftest import BotWorld
from tests.e2e.groupbuy_helpers import says, text_of, until_handled
from tests.e2e.test_dispatch import bound_group

APOLOGY = "抱歉，刚才出了点问题"


async def _rows(bot: BotWorld) -> list[InboxUpdate]:
    async with reading(bot.sessions) as session:
        return list(await session.scalars(select(InboxUpdate).order_by(InboxUpdate.update_id)))


async def test_a_poison_update_is_parked_and_the_chat_carries_on(
    bot: BotWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin, resident, group = await bound_group(bot)
    original = handlers.households.register_in_chat
    tries = 0

    async def fails_for_502(*args, **kwargs):  # type: ignore[no-untyped-def]
        nonlocal tries
        if kwargs["room_text"] == "3-502":
            tries += 1
            raise RuntimeError("room 502 breaks the handler")
        return await original(*args, **kwargs)

    monkeypatch.setattr(handlers.households, "register_in_chat", fails_for_502)
    await bot.people.say(resident, group, "/register 3-502")
    await bot.people.say(admin, group, "/register 3-601")
    await bot.people.wait_for(group, says("今日新登记 1 户", "3-601"))
    await bot.settle()

    assert tries == 3, "tried three times, then given up on"
    shown = [text_of(m) for m in await bot.people.bot_messages(group)]
    assert sum(APOLOGY in t for t in shown) == 1, shown
    parked = [r for r in await _rows(bot) if r.status == PARKED]
    assert len(parked) == 1
    assert parked[0].chat_id == group and "room 502 breaks the handler" in (parked[0].error or "")
    assert parked[0].payload["message"]["text"] == "/register 3-502"


async def test_a_passing_failure_is_retried_without_troubling_anyone(
    bot: BotWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    _admin, resident, group = await bound_group(bot)
    original = handlers.households.register_in_chat
    failures = 0

    async def fails_once(*args, **kwargs):  # type: ignore[no-untyped-def]
        nonlocal failures
        if failures == 0:
            failures += 1
            raise ConnectionResetError("database connection lost")
        return await original(*args, **kwargs)

    monkeypatch.setattr(handlers.households, "register_in_chat", fails_once)
    await bot.people.say(resident, group, "/register 3-502")
    await bot.people.wait_for(group, says("今日新登记 1 户", "3-502"))
    await until_handled(bot, 2)
    shown = [text_of(m) for m in await bot.people.bot_messages(group)]
    assert not any(APOLOGY in t for t in shown), shown
    [row] = [r for r in await _rows(bot) if _text(r) == "/register 3-502"]
    assert (row.status, row.attempts) == (DONE, 1)
    assert "database connection lost" in (row.error or "")


def _text(row: InboxUpdate) -> str | None:
    return row.payload.get("message", {}).get("text")


async def test_a_batch_commits_together_and_a_failing_update_rolls_back_alone(
    bot: BotWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin, resident, group = await bound_group(bot)
    original = handlers.households.register_in_chat

    async def fails_for_502(*args, **kwargs):  # type: ignore[no-untyped-def]
        registered = await original(*args, **kwargs)
        if kwargs["room_text"] == "3-502":
            raise RuntimeError("room 502 breaks the handler")  # after it wrote its rows
        return registered

    monkeypatch.setattr(handlers.households, "register_in_chat", fails_for_502)
    said = [
        (resident, "/register 3-502"),
        (admin, "/register 3-601"),
        (admin, "/leaders"),
    ]
    incomings = [
        Incoming(
            update_id=800_000 + n,
            chat=Chat(group, "supergroup", "3号楼群"),
            sender=Sender(user, "住户"),
            message_id=9_000 + n,
            text=text,
            command=text.split()[0][1:],
            args=text.partition(" ")[2],
        )
        for n, (user, text) in enumerate(said)
    ]
    async with unit_of_work(bot.sessions) as session:
        received = [
            inbox.Received(i.update_id, group, {"update_id": i.update_id}) for i in incomings
        ]
        await inbox.store(session, received, bot.clock.now())

    failed = await bot.app.dispatcher.handle_batch(incomings)

    assert [i.update_id for i in failed] == [800_000]
    rows = {r.update_id: r for r in await _rows(bot)}
    assert (rows[800_000].status, rows[800_000].attempts) == ("new", 1)
    assert rows[800_001].status == rows[800_002].status == DONE
    async with reading(bot.sessions) as session:
        rooms = set(await session.scalars(select(Household.room)))
    assert rooms == {"601"}, "the failed update's rows rolled back, the others' committed"
    await bot.people.wait_for(group, says("楼组长"))
    assert await bot.app.dispatcher.handle_batch(incomings[1:]) == [], "repeats do nothing"
