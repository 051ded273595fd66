"""Async engine and session factory, with per-dialect tuning."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import weakref
from collections.abc import AsyncIterator
from typing import Any

import orjson
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from wakedock.db import sqlite

# How long an SQLite connection waits for another's write lock (the connection timeout, and
# the busy timeout every pooled connection is set to).
SQLITE_BUSY_TIMEOUT_SECONDS = 30


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


# Each connection's page cache, at most (SQLite's default is 2 MiB; the pool keeps its
# connections, and LIFO reuse means a few of them do most of the work). Creates written
# together content by content (a group commit of several creates to many users) visit every
# recipient's place in the table's indexes once per create: with 2 MiB the pages they touch
# did not stay cached (5,000 rows: 103 ms of SQLite's CPU; 8 MiB: 76 ms; 16 MiB: 72 ms).
SQLITE_CACHE_KIB = 8192


def _json_loads(text: str) -> Any:
    """SQLite's JSON columns read back: orjson (a tenth of ``json.loads``' cost; a create to a
    topic reads three of them), else ``json.loads`` for what only it reads (``NaN``, integers
    beyond 64 bits, written by ``json.dumps`` before values were bounded)."""
    if _LONG_NUMBER.search(text) is None:  # orjson reads one as a float
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            pass
    return json.loads(text)


_LONG_NUMBER = re.compile(r"\d{20}")


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """Create the engine; SQLite gets WAL, foreign keys and a busy timeout."""
    # A database error's text (logged with a 500's traceback) leaves out the bound values:
    # they are users' data, password hashes, channel secrets.
    kwargs.setdefault("hide_parameters", True)
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            from pathlib import Path

            Path(database).parent.mkdir(parents=True, exist_ok=True)
        if database and database != ":memory:":
            # Each pooled SQLite connection is a thread plus a connection that reads the
            # schema when opened. Connections beyond the pool are closed when returned: with
            # a pool of 5, a burst of 20 concurrent creates opened and closed 15 of them, every
            # burst. The pool keeps as many as a burst checks out; an idle one is a parked
            # thread. Last in, first out: a steady load reuses the few connections it needs,
            # whose threads are awake and whose page caches are current, instead of cycling
            # through all of them (at 200 creates/s the connection threads used 0.24 of a core
            # in first-in-first-out order, 0.14 in this one).
            kwargs.setdefault("pool_size", 24)
            kwargs.setdefault("max_overflow", 16)
            kwargs.setdefault("pool_use_lifo", True)
            path = database
            kwargs.setdefault(
                "async_creator",
                lambda: sqlite.connector(
                    path, timeout=SQLITE_BUSY_TIMEOUT_SECONDS, check_same_thread=False
                ),
            )
        kwargs.setdefault("json_deserializer", _json_loads)
        engine = create_async_engine(
            url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS}, **kwargs
        )

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_SECONDS * 1000}")
            cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
            cursor.close()

        return engine
    # PostgreSQL: the pool keeps as many connections as a burst checks out (20 concurrent
    # creates to one user each hold one, from the token lookup to the group commit's answer).
    # With 5 kept, every burst of 20 opened and closed 15 (an SSL probe, authentication,
    # SQLAlchemy's set-up each): keeping them took 25-40% off the server CPU of a burst
    # (bench/postgres.py). Last in, first out, so a light load reuses a few warm connections.
    # At most 25 per process, as before (PostgreSQL's max_connections is shared by workers).
    kwargs.setdefault("pool_size", 20)
    kwargs.setdefault("max_overflow", 5)
    kwargs.setdefault("pool_use_lifo", True)
    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(url, **kwargs)


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


class _Gate:
    """A lock, and how many hold it or wait for it."""

    __slots__ = ("lock", "users")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.users = 0


_write_gates: weakref.WeakKeyDictionary[Any, _Gate] = weakref.WeakKeyDictionary()


def serialises_writes(bind: AsyncEngine | AsyncConnection) -> bool:
    """Whether this process's writes take turns at ``write_gate`` (SQLite)."""
    return bind.dialect.name == "sqlite"


@contextlib.asynccontextmanager
async def write_gate(session: AsyncSession) -> AsyncIterator[None]:
    """Serialise this process's hot write transactions on SQLite (a no-op elsewhere).

    SQLite has one writer at a time; a second writer waits in SQLite's busy handler, which
    sleeps in growing steps (up to 100 ms) on a pooled connection's thread, so under load
    creates queue behind sleeps rather than behind work. Waiting here instead hands the write
    lock over as soon as the previous transaction commits. Other processes still rely on the
    busy timeout.

    The session must not have written yet. Before waiting, its read-only transaction, if any,
    is ended: a waiter must not hold a pooled connection, or waiters could take every
    connection while the gate's holder waits for one.
    """
    bind = session.bind
    if bind is None or not serialises_writes(bind):
        yield
        return
    engine = bind.sync_engine
    gate = _write_gates.get(engine)
    if gate is None:
        gate = _write_gates[engine] = _Gate()
    if gate.users and session.in_transaction():
        await session.commit()  # nothing written yet: this only returns the connection
    gate.users += 1  # no await since the check: with no users, the lock is taken at once
    try:
        async with gate.lock:
            yield
    finally:
        gate.users -= 1
