"""Declarative base, engine factory and the unit of work."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar
from weakref import WeakKeyDictionary

from sqlalchemy import JSON, DateTime, MetaData, Select, event
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Session
from sqlalchemy.types import TypeDecorator

from models import sqlite_driver

T = TypeVar("T")

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


READ_ONLY = "linli_read_only"


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware datetimes stored as UTC; SQLite would otherwise hand back naive values."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; Linli stores only aware times")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Base class of every Linli table."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UtcDateTime,
        dict[str, Any]: JSON,
        list[str]: JSON,
    }


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An async engine; SQLite gets WAL, a busy timeout and BEGIN IMMEDIATE transactions.

    The SQLite settings are deliberate:

    - **WAL journal:** readers (`reading()`, delivery, live views) never wait for the writer,
      nor it for them; a commit appends to the log instead of rewriting pages.
    - **synchronous=NORMAL:** in WAL mode a commit is then not fsync'ed, only checkpoints are.
      A committed transaction survives the bot process dying (`kill -9`, out of memory: the
      log is in the OS's cache), and the file is never corrupted; only an OS crash or power
      loss may lose the last commits. FULL would fsync every tap (milliseconds each on
      ordinary disks), and SQLite has one writer, so that would cap the whole bot's rate.
    - **One writer at a time, queued in-process:** write transactions take SQLite's lock up
      front (BEGIN IMMEDIATE) behind an asyncio lock (`LinliSession`); a pool of connections
      still lets readers run beside the writer. The busy timeout only covers other processes
      (the CLI, a migration) writing to the same file.
    - **Foreign keys on:** SQLite leaves them off by default.
    - **One trip per statement** to aiosqlite's thread (`models.sqlite_driver`).

    PostgreSQL gets a pool of 20 (+20 overflow) connections: taps of a burst wait for a
    connection rather than opening one each.
    """
    if make_url(url).get_backend_name() != "sqlite":
        kwargs.setdefault("pool_size", 20)
        kwargs.setdefault("max_overflow", 20)
        return create_async_engine(url, **kwargs)
    sqlite_driver.install()
    engine = create_async_engine(url, **kwargs)
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when a transaction begins (see _on_begin).
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        # Why each: see the docstring above.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A deferred transaction that reads and then writes fails with SQLITE_BUSY at once when
        # another writer got in between; taking the write lock up front makes writers queue.
        # Sessions opened with `reading()` only read, and WAL lets them run beside a writer.
        if conn.get_execution_options().get(READ_ONLY):
            conn.exec_driver_sql("BEGIN")
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


_write_locks: WeakKeyDictionary[AsyncEngine, asyncio.Lock] = WeakKeyDictionary()


class LinliSession(AsyncSession):
    """An AsyncSession whose write transactions on SQLite queue on an in-process lock.

    SQLite allows one writer; a second one waits in SQLite's busy handler, which sleeps and
    retries with growing pauses. Under a burst of sign-ups that polling, not the work, made
    the latency: an asyncio lock hands the database over in order and at once.
    """

    def begin(self) -> Any:
        """Begin a transaction (`async with session.begin():`), serialised on SQLite."""
        engine = self.bind
        if not isinstance(engine, AsyncEngine) or engine.dialect.name != "sqlite":
            return super().begin()
        lock = _write_locks.setdefault(engine, asyncio.Lock())
        return _serialised(self, lock)


@asynccontextmanager
async def _serialised(session: AsyncSession, lock: asyncio.Lock) -> AsyncIterator[Any]:
    async with lock, AsyncSession.begin(session) as transaction:
        yield transaction


_MEMO = "linli_memo"


def memo(session: AsyncSession | Session) -> dict[Any, Any]:
    """This transaction's memo: rows read once and reused until the transaction ends.

    A tap reads its group-buy and items in the handler and again in the sign-up, and its
    sender's household with the sender; kept here, the second read costs no statement (and a
    row kept here stays in the session's identity map, which holds rows only weakly, so
    `session.get` finds it). Emptied whenever a transaction or savepoint ends: what one
    transaction read may have changed before the next.
    """
    return session.info.setdefault(_MEMO, {})


def forget_memo(session: AsyncSession | Session) -> None:
    """Empty the transaction's memo: what follows must read rows afresh."""
    session.info.pop(_MEMO, None)


_BATCH_MEMO = "linli_batch_memo"


def batch_memo(session: AsyncSession | Session) -> dict[Any, Any]:
    """Rows read once for a whole batch of updates handled in one transaction (their senders).

    Unlike `memo` it outlives each update of the batch (`forget_memo` leaves it), so only rows
    the updates change through the ORM belong here; emptied when a transaction or savepoint
    ends, as a savepoint's rollback expires what it changed.
    """
    return session.info.setdefault(_BATCH_MEMO, {})


@event.listens_for(Session, "after_transaction_end")
def _forget_memo(session: Session, _transaction: Any) -> None:
    forget_memo(session)
    session.info.pop(_BATCH_MEMO, None)


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit."""
    return async_sessionmaker(engine, class_=LinliSession, expire_on_commit=False)


@asynccontextmanager
async def unit_of_work(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One transaction: commits if the block succeeds, rolls back if it raises."""
    async with sessions() as session, session.begin():
        yield session


@asynccontextmanager
async def reading(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A session that only reads: on SQLite it does not queue behind (or block) writers."""
    async with sessions() as session:
        await session.connection(execution_options={READ_ONLY: True})
        yield session


def insert_ignoring_duplicates(session: AsyncSession, table: Any) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING for the session's database (SQLite or PostgreSQL).

    One statement instead of a savepoint around an insert that may hit a unique constraint;
    the result's rowcount says whether the row was new.
    """
    if session.get_bind().dialect.name == "postgresql":
        return postgresql_insert(table).on_conflict_do_nothing()
    return sqlite_insert(table).on_conflict_do_nothing()


async def get_or_create(
    session: AsyncSession, query: Select[tuple[T]], create: Callable[[], T]
) -> T:
    """The row `query` finds, else the one `create()` builds, inserted in a savepoint.

    Two transactions may both miss and insert the same row: the loser's unique-constraint error
    is caught and the winner's row returned, so first contacts never fail under a burst.
    """
    found = await session.scalar(query)
    if found is not None:
        return found
    row = create()
    try:
        async with session.begin_nested():
            session.add(row)
    except IntegrityError:
        found = await session.scalar(query)
        if found is None:
            raise
        return found
    return row
