"""SQLite connections: one trip to the connection's thread per statement, same results as
stock aiosqlite (rows, row counts, ids, errors, streaming)."""

from __future__ import annotations

import aiosqlite
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from wakedock.db.sqlite import OneTripConnection


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every call queued to a connection's thread."""
    calls: list[str] = []
    original = aiosqlite.Connection._execute

    async def counted(
        self: aiosqlite.Connection, fn: object, *args: object, **kw: object
    ) -> object:
        calls.append(getattr(fn, "__name__", type(fn).__name__))
        return await original(self, fn, *args, **kw)  # type: ignore[no-untyped-call]

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    return calls


async def test_file_databases_use_one_trip_connections(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        raw = await conn.get_raw_connection()
        assert isinstance(raw.driver_connection, OneTripConnection)


async def test_a_statement_is_one_trip(engine: AsyncEngine, trips: list[str]) -> None:
    async with engine.begin() as conn:
        await conn.execute(text("INSERT INTO t (name) VALUES ('a'), ('b')"))
        rows = (await conn.execute(text("SELECT name FROM t ORDER BY id"))).all()
    assert [r.name for r in rows] == ["a", "b"]
    # insert, select, commit (stock aiosqlite: cursor, execute, fetch and close for each
    # statement, and the pool's rollback when the connection is returned: 10 in all)
    assert trips == ["run", "run", "commit"]


async def test_without_a_transaction_commit_and_rollback_make_no_trip(
    engine: AsyncEngine, trips: list[str]
) -> None:
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar_one() == 0
        await conn.commit()
    assert trips == ["run"]  # a read opens no transaction: the pool's rollback is skipped too
    trips.clear()
    async with engine.connect() as conn:
        await conn.execute(text("INSERT INTO t (name) VALUES ('kept only if committed')"))
    assert trips == ["run", "rollback"]  # a write's transaction is rolled back on the thread
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar_one() == 0


async def test_results_match_sqlite(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        inserted = await conn.execute(text("INSERT INTO t (name) VALUES ('a')"))
        assert inserted.lastrowid == 1
        returned = await conn.execute(text("INSERT INTO t (name) VALUES ('b') RETURNING id"))
        assert returned.scalar_one() == 2
        await conn.execute(
            text("INSERT INTO t (name) VALUES (:name)"), [{"name": "c"}, {"name": "d"}]
        )
        updated = await conn.execute(text("UPDATE t SET name = name || '!' WHERE id > 2"))
        assert updated.rowcount == 2
        empty = await conn.execute(text("SELECT id FROM t WHERE id > 100"))
        assert empty.all() == []
        result = await conn.execute(text("SELECT id, name FROM t ORDER BY id"))
        assert result.keys() == ["id", "name"]
        assert result.fetchone() == (1, "a")
        assert result.fetchmany(2) == [(2, "b"), (3, "c!")]
        assert result.fetchall() == [(4, "d!")]
    async with engine.connect() as conn:
        streamed = await conn.stream(text("SELECT id FROM t ORDER BY id"))
        assert [row.id async for row in streamed] == [1, 2, 3, 4]


async def test_errors_surface_and_roll_back(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await conn.execute(text("INSERT INTO t (name) VALUES ('same')"))
        with pytest.raises(IntegrityError):
            await conn.execute(text("INSERT INTO t (name) VALUES ('same')"))
        await conn.rollback()
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar_one() == 0
