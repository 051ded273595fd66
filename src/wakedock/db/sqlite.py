"""aiosqlite connections that make one trip to their thread per statement.

aiosqlite runs each sqlite3 call on the connection's own thread, and SQLAlchemy's adapter makes
four calls per statement (open a cursor, execute, fetch, close): four thread round trips, each
a wake-up of that thread, a GIL hand-over and a wake-up of the event loop. On a busy machine a
wake-up waits for a core and the GIL (a trip waited up to 18 ms while the event loop was busy
with a large fan-out), so a five-statement create spent most of its time in these round trips
(19 per create, measured). Here the cursor is opened, executed, fetched and closed in one call
on the thread; the rows wait on the cursor for SQLAlchemy to fetch them. Everything still runs
on the connection's thread, as with stock aiosqlite: the event loop never blocks on SQLite.
"""

from __future__ import annotations

import sqlite3
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any, TypeVar, cast

import aiosqlite
from aiosqlite.context import contextmanager

from wakedock import fast_paths

_NO_ROWS: tuple[Any, ...] = ()
T = TypeVar("T")


class _Unexecuted:
    """What a cursor reports before its first execute, as a fresh sqlite3 cursor does."""

    description = None
    rowcount = -1
    lastrowid = None
    row_factory = None


_UNUSED_CURSOR = cast(sqlite3.Cursor, _Unexecuted())


async def _on_thread(connection: aiosqlite.Connection, function: Callable[[], T]) -> T:
    """Run ``function`` on the connection's thread (aiosqlite's own queue), await its result."""
    result: T = await connection._execute(function)  # type: ignore[no-untyped-call]
    return result


class OneTripCursor(aiosqlite.Cursor):
    """A cursor whose ``execute`` also fetches every row and closes the sqlite3 cursor; the
    fetch methods then serve the rows kept here without another trip."""

    def __init__(self, conn: OneTripConnection) -> None:
        super().__init__(conn, _UNUSED_CURSOR)
        self._rows: deque[Any] = deque()
        self._arraysize = 1

    @property
    def arraysize(self) -> int:
        return self._arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._arraysize = value  # kept here: the sqlite3 cursor is made anew by each execute

    async def execute(self, sql: str, parameters: Any = None) -> OneTripCursor:
        connection = self._conn

        def run() -> tuple[sqlite3.Cursor, list[Any]]:
            cursor = connection._conn.cursor()
            try:
                cursor.execute(sql, _NO_ROWS if parameters is None else parameters)
                rows = cursor.fetchall() if cursor.description is not None else []
            finally:
                cursor.close()  # description, rowcount and lastrowid stay readable
            return cursor, rows

        self._cursor, rows = await _on_thread(connection, run)
        fast_paths.USES[fast_paths.SQLITE_ONE_TRIP] += 1
        self._rows = deque(rows)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> OneTripCursor:
        connection = self._conn

        def run() -> sqlite3.Cursor:
            cursor = connection._conn.cursor()
            try:
                cursor.executemany(sql, parameters)
            finally:
                cursor.close()
            return cursor

        self._cursor = await _on_thread(connection, run)
        self._rows = deque()
        return self

    async def fetchone(self) -> Any:
        return self._rows.popleft() if self._rows else None

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        count = min(len(self._rows), size if size is not None else self.arraysize)
        return [self._rows.popleft() for _ in range(count)]

    async def fetchall(self) -> list[Any]:
        rows = list(self._rows)
        self._rows.clear()
        return rows

    async def close(self) -> None:
        self._rows.clear()  # the sqlite3 cursor was closed on the thread already


class OneTripConnection(aiosqlite.Connection):
    @contextmanager
    async def cursor(self) -> aiosqlite.Cursor:
        return OneTripCursor(self)  # the sqlite3 cursor is opened by execute, on the thread

    # No trip when there is no transaction: sqlite3 would do nothing on the thread either. The
    # pool rolls back every connection returned to it, and most requests only read.
    async def commit(self) -> None:
        if self._idle():
            return
        await super().commit()

    async def rollback(self) -> None:
        if self._idle():
            return
        await super().rollback()

    def _idle(self) -> bool:
        """No transaction open (SQLite's autocommit state; the calls on one connection come
        one at a time, so nothing can be starting one on the thread meanwhile)."""
        connection = self._connection
        return connection is not None and not connection.in_transaction


def connector(database: str, **kwargs: Any) -> OneTripConnection:
    """An awaitable connection, as ``aiosqlite.connect`` makes (for ``async_creator``)."""

    def connect() -> sqlite3.Connection:
        connection: sqlite3.Connection = sqlite3.connect(database, **kwargs)
        return connection

    connection = OneTripConnection(connect, iter_chunk_size=64)
    connection._thread.daemon = True  # as SQLAlchemy does for stock aiosqlite connections
    return connection
