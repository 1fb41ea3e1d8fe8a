"""SQLite statements in one trip to aiosqlite's thread instead of four.

aiosqlite runs every call on the sqlite3 connection in a thread of its own and hands the result
back through the event loop: SQLAlchemy's adapter makes four such trips per statement (open a
cursor, execute, fetch, close). Each trip costs a thread switch and an event-loop wake-up,
more than the statement itself on a local WAL database, and while a write transaction waits
for them the in-process write lock (models.base) is held. This cursor does the four steps in
one trip. Measured with `python -m bench.tap_cost`: a +1 tap went from 38 trips to 12.
"""

from __future__ import annotations

import collections
import sqlite3
from typing import Any

from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
)
from sqlalchemy.util import EMPTY_DICT


def _run(
    conn: sqlite3.Connection, operation: str, parameters: Any, many: bool
) -> tuple[Any, int, int | None, list[Any] | None]:
    """In aiosqlite's thread: execute, fetch everything, close; return what SQLAlchemy reads."""
    cursor = conn.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        rows = cursor.fetchall() if cursor.description else None
        return cursor.description, cursor.rowcount, cursor.lastrowid, rows
    finally:
        cursor.close()


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    """A client-side cursor whose statement runs, is fetched and closed in one thread trip."""

    __slots__ = ("_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: Any) -> None:
        # No aiosqlite cursor is opened here: the statement opens and closes its own.
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None

    @property
    def description(self) -> Any:
        """The result's columns, as sqlite3 described them."""
        return self._description

    @property
    def rowcount(self) -> int:
        """Rows changed by the statement (sqlite3's count)."""
        return self._rowcount

    @property
    def lastrowid(self) -> Any:
        """The rowid of the last inserted row."""
        return self._lastrowid

    @property
    def arraysize(self) -> int:
        """Rows per fetchmany() by default."""
        return 1

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        pass

    async def _async_soft_close(self) -> None:
        return None

    def close(self) -> None:
        """Drop buffered rows; the sqlite3 cursor was closed in the thread already."""
        self._rows.clear()

    async def _trip(self, operation: Any, parameters: Any, many: bool) -> None:
        async with self._adapt_connection._execute_mutex:
            connection = self._connection
            described, self._rowcount, self._lastrowid, rows = await connection._execute(
                _run, connection._conn, operation, parameters, many
            )
        self._description = described
        if rows is not None:
            self._rows = collections.deque(rows)

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        await self._trip(operation, parameters, False)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> Any:
        await self._trip(operation, seq_of_parameters, True)


def install() -> None:
    """Make SQLAlchemy's aiosqlite connections use OneTripCursor for client-side cursors."""
    AsyncAdapt_aiosqlite_connection._cursor_cls = OneTripCursor
