"""What a tap costs in SQL: the dispatcher's hot paths stay within a fixed number of statements.

Every statement is a round trip (to aiosqlite's thread, or to PostgreSQL) while the tap holds
its transaction, so a statement added to the +1 path costs every tap of a burst. Counted with
SQLAlchemy's cursor events (BEGIN and COMMIT included), on the real dispatcher and routers.
"""

from __future__ import annotations

from sqlalchemy import func, select

from bench.tap_cost import world
from models.groupbuy import GroupBuyLine, GroupBuyOrder

# BEGIN, update-id dedupe, the sender with their household, the group-buy with its items, the
# order insert, the stock update, the line insert, the card's outbox row, COMMIT. (PostgreSQL
# sends BEGIN outside the cursor and locks the stocked items first: also nine.)
FIRST_PLUS = 9
# An existing order is touched (and locked) instead, and its lines are read.
AGAIN_PLUS = 11
# BEGIN, dedupe, the sender, COMMIT.
STALE = 4


async def test_a_first_plus_one_costs_at_most_nine_statements(db_url: str) -> None:
    async with world(db_url, residents=3, stock=10) as w:
        await w.dispatcher.handle(w.plus(0))  # warm: the first tap compiles the statements
        w.statements.reset()
        await w.dispatcher.handle(w.plus(1))
        assert w.statements.count <= FIRST_PLUS, w.statements.seen
        w.statements.reset()
        await w.dispatcher.handle(w.plus(1))
        assert w.statements.count <= AGAIN_PLUS, w.statements.seen
        async with w.dispatcher.sessions() as session:
            units = await session.scalar(
                select(func.sum(GroupBuyLine.quantity + GroupBuyLine.waitlisted))
            )
            orders = await session.scalar(select(func.count()).select_from(GroupBuyOrder))
        # The taps did their work: two households, 1 + 2 units.
        assert (orders, units) == (2, 3)
        assert w.api.answered == 3


async def test_a_tap_on_a_stale_button_costs_at_most_four_statements(db_url: str) -> None:
    async with world(db_url, residents=2, stock=2) as w:
        await w.dispatcher.handle(w.stale(0))
        w.statements.reset()
        await w.dispatcher.handle(w.stale(1))
        assert w.statements.count <= STALE, w.statements.seen
        assert w.api.answered == 2
