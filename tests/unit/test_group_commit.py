"""Group commit: updates that arrived together run in one transaction, and a refusal or failure
among them undoes only its own writes.

The batch is first tried without a savepoint per update (two statements each saved); a refusal
or failure rolls it all back and it runs again with savepoints. Either way the outcome must be
what handling the updates one by one would give.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import func, select

from bench.tap_cost import GROUP, World, world
from bot.context import Chat, Ctx, Incoming, Sender
from bot.dispatch import Dispatcher
from bot.routing import Router
from handlers import ROUTERS
from handlers.groupbuy_views import Plus
from models import inbox
from models.base import reading, unit_of_work
from models.errors import NotALeader
from models.groupbuy import GroupBuyOrder
from models.inbox import InboxUpdate
from models.people import Person

RENAMED = "改过的名字"


async def _rename_then_refuse(ctx: Ctx) -> None:
    """Writes (the sender's name, flushed to the database), then a rule says no."""
    assert ctx.person is not None
    ctx.person.display_name = RENAMED
    await ctx.session.flush()
    raise NotALeader()


async def _rename_then_fail(ctx: Ctx) -> None:
    """Writes, then breaks."""
    assert ctx.person is not None
    ctx.person.display_name = RENAMED
    await ctx.session.flush()
    raise RuntimeError("a bug")


@asynccontextmanager
async def batching(db_url: str) -> AsyncIterator[tuple[World, Dispatcher, list[str]]]:
    """The tap-cost world with two more buttons, and the answers' texts as sent."""
    async with world(db_url, residents=12, stock=100) as w:
        extra = Router("test", callbacks={"refuse": _rename_then_refuse, "fail": _rename_then_fail})
        d = w.dispatcher
        dispatcher = Dispatcher(
            [*ROUTERS, extra],
            sessions=d.sessions,
            texts=d.texts,
            settings=d.settings,
            clock=d.clock,
            api=d.api,
        )
        answers: list[str] = []

        async def answer(callback_id: str, text: str | None, alert: bool, url: str | None = None):
            answers.append(text or "")

        w.api.answer_callback = answer  # type: ignore[method-assign]
        yield w, dispatcher, answers


async def _store(dispatcher: Dispatcher, taps: list[Incoming]) -> None:
    """Store the taps in the inbox, as polling does."""
    async with unit_of_work(dispatcher.sessions) as session:
        received = [inbox.Received(t.update_id, t.chat.id, {}) for t in taps]
        await inbox.store(session, received, dispatcher.clock.now())


async def _handle(w: World, dispatcher: Dispatcher, taps: list[Incoming]) -> list[Incoming]:
    """Store the taps, then hand them over as one batch."""
    await _store(dispatcher, taps)
    failed = await dispatcher.handle_batch(taps)
    await dispatcher.answered(within=10)
    return failed


async def _state(w: World) -> tuple[int, int, set[str]]:
    """Orders placed, persons renamed, and the statuses of the stored updates."""
    async with reading(w.dispatcher.sessions) as session:
        orders = await session.scalar(select(func.count()).select_from(GroupBuyOrder))
        renamed = await session.scalar(
            select(func.count()).select_from(Person).where(Person.display_name == RENAMED)
        )
        statuses = set(await session.scalars(select(InboxUpdate.status)))
    return orders or 0, renamed or 0, statuses


async def test_a_refusal_in_a_batch_undoes_only_its_own_writes_and_is_explained(
    db_url: str,
) -> None:
    async with batching(db_url) as (w, dispatcher, answers):
        refused = w.tap(w.plus(1).sender.id, "refuse")
        failed = await _handle(w, dispatcher, [w.plus(0), refused, w.plus(2)])

        assert failed == []
        orders, renamed, statuses = await _state(w)
        assert (orders, renamed) == (2, 0), "both +1 kept, the refused rename rolled back"
        assert statuses == {"done"}
        assert len(answers) == 3
        assert sum("楼组长" in a for a in answers) == 1, answers


async def test_a_failure_in_a_batch_is_put_back_and_the_rest_commits(db_url: str) -> None:
    async with batching(db_url) as (w, dispatcher, answers):
        broken = w.tap(w.plus(1).sender.id, "fail")
        failed = await _handle(w, dispatcher, [w.plus(0), broken, w.plus(2)])

        assert [f.update_id for f in failed] == [broken.update_id]
        orders, renamed, statuses = await _state(w)
        assert (orders, renamed) == (2, 0)
        assert statuses == {"done", "new"}, "the broken update waits for its retry"
        assert len(answers) == 2


async def test_a_batch_without_refusals_takes_no_savepoint_and_reads_senders_at_once(
    db_url: str,
) -> None:
    async with batching(db_url) as (w, dispatcher, answers):
        await _handle(w, dispatcher, [w.stale(n) for n in range(2)])  # warm the statements
        taps = [w.stale(n) for n in range(2, 12)]
        await _store(dispatcher, taps)
        w.statements.reset()
        await dispatcher.handle_batch(taps)

        # BEGIN, the claim of all ten, their senders, COMMIT (PostgreSQL's BEGIN is not counted).
        assert w.statements.count <= 4, w.statements.seen
        assert not any("SAVEPOINT" in s for s in w.statements.seen)
        await dispatcher.answered(within=10)
        assert len(answers) == 12


async def test_after_a_refusal_the_chat_takes_savepoints_until_a_batch_goes_through_clean(
    db_url: str,
) -> None:
    async with batching(db_url) as (w, dispatcher, answers):
        refusing = w.tap(w.plus(1).sender.id, "refuse")
        await _handle(w, dispatcher, [w.stale(0), refusing])
        w.statements.reset()
        await _handle(w, dispatcher, [w.stale(2), w.stale(3)])
        assert any("SAVEPOINT" in s for s in w.statements.seen), "careful after a refusal"
        w.statements.reset()
        await _handle(w, dispatcher, [w.stale(4), w.stale(5)])
        assert not any("SAVEPOINT" in s for s in w.statements.seen), "and fast again after"
        assert len(answers) == 6


async def test_a_newcomer_who_registers_and_taps_in_one_batch_gets_their_order(
    db_url: str,
) -> None:
    async with batching(db_url) as (w, dispatcher, answers):
        newcomer = 9_999_001
        register = Incoming(
            update_id=5_000,
            chat=Chat(GROUP, "supergroup", "9号楼"),
            sender=Sender(newcomer, "新住户", language_code="zh"),
            message_id=77,
            text="/register 1808",
            command="register",
            args="1808",
        )
        plus = w.tap(newcomer, Plus(w.groupbuy_id, "A").pack())
        failed = await _handle(w, dispatcher, [w.stale(0), register, plus])

        assert failed == []
        orders, _renamed, statuses = await _state(w)
        assert orders == 1, "the tap saw the household its sender registered just before"
        assert statuses == {"done"}
        assert len(answers) == 2, "both taps answered"
