"""Shared fixtures: every database test runs on SQLite, and on PostgreSQL when configured."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.adapters.aiogram_types import defer_type_building
from models.base import create_engine, session_factory
from models.migrate import upgrade_database

# As `linli run` imports aiogram (whichever test module imports it first): every test under
# aiogram then runs on types built on first use.
defer_type_building()

POSTGRES_URL = os.environ.get("LINLI_TEST_DATABASE_URL")
# pytest-xdist runs tests in several processes; each gets a database of its own (test_gw0, ...)
# because every PostgreSQL test starts by dropping the schema.
WORKER = os.environ.get("PYTEST_XDIST_WORKER")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrise `db_kind` over SQLite and (if LINLI_TEST_DATABASE_URL is set) PostgreSQL."""
    if "db_kind" in metafunc.fixturenames:
        kinds = ["sqlite", "postgres"] if POSTGRES_URL else ["sqlite"]
        metafunc.parametrize("db_kind", kinds)


@pytest.fixture
async def db_url(db_kind: str, tmp_path) -> AsyncIterator[str]:  # type: ignore[no-untyped-def]
    """A URL of an empty database of the parametrised kind."""
    if db_kind == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'linli-test.db'}"
        return
    url = await _worker_database()
    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()
    yield url


async def _worker_database() -> str:
    """LINLI_TEST_DATABASE_URL, or under xdist a sibling database per worker (created once)."""
    assert POSTGRES_URL
    if not WORKER:
        return POSTGRES_URL
    base = make_url(POSTGRES_URL)
    name = f"{base.database}_{WORKER}"
    engine = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        exists = await conn.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
        )
        if not exists:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
    await engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


@pytest.fixture
async def sessions(db_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on a freshly migrated database."""
    engine = create_engine(db_url)
    await upgrade_database(engine)
    yield session_factory(engine)
    await engine.dispose()
