"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import models.all  # noqa: F401  (registers every table)
from models.base import Base


async def test_migrated_schema_matches_the_models(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session:
        connection = await session.connection()
        differences = await connection.run_sync(
            lambda sync: compare_metadata(
                MigrationContext.configure(sync, opts={"compare_type": True}), Base.metadata
            )
        )
    assert differences == [], "run: alembic revision --autogenerate (see models/migrate.py)"
