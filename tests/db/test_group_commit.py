"""Group commit: writes that wait for SQLite's write gate are stored together, each caller gets
its own result, a write that cannot be stored fails alone, and PostgreSQL writes at once."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from tests.conftest import require_pg, until
from wakedock.db.engine import create_engine, create_sessionmaker, write_gate
from wakedock.db.group_commit import GroupCommit

Item = tuple[str, str | None]  # (name, separate key)


def commits(engine: AsyncEngine) -> list[int]:
    """One entry per COMMIT the engine sends (read-only transactions included)."""
    seen: list[int] = []
    event.listen(engine.sync_engine, "commit", lambda _conn: seen.append(1))
    return seen


class Recorder:
    """A write that inserts each item's name and returns its row id; records each batch."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.published: list[tuple[str, int]] = []

    async def write(self, session: AsyncSession, items: Sequence[Item]) -> list[int]:
        self.batches.append([name for name, _ in items])
        ids = []
        for name, _ in items:
            result = await session.execute(
                text("INSERT INTO t (name) VALUES (:name) RETURNING id"), {"name": name}
            )
            ids.append(int(result.scalar_one()))
        await session.commit()
        return ids

    async def after(self, item: Item, row_id: int) -> None:
        self.published.append((item[0], row_id))

    def group(self, **kwargs: Any) -> GroupCommit[Item, int]:
        return GroupCommit(self.write, after=self.after, separate=lambda item: item[1], **kwargs)


async def names(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as conn:
        return list((await conn.execute(text("SELECT name FROM t ORDER BY id"))).scalars())


async def queued(engine: AsyncEngine, group: GroupCommit[Item, int], count: int) -> None:
    """Wait until ``count`` writes wait in the group's queue."""
    await until(lambda: group.waiting(engine) == count, what=f"{count} writes queued")


async def submit_while_gate_held(
    engine: AsyncEngine, group: GroupCommit[Item, int], items: list[Item], *, read: bool = False
) -> list[int | BaseException]:
    """Submit ``items`` while another writer holds the gate, then let it go. Without ``read``
    they are submitted in order; with it, each reads first (as a create does), so they reach
    the queue in the order their reads finish."""
    sessionmaker = create_sessionmaker(engine)

    async def one(item: Item) -> int:
        async with sessionmaker() as session:
            if read:
                await session.execute(text("SELECT 1"))
            return await group.submit(session, item)

    async with sessionmaker() as holder, write_gate(holder):
        tasks = []
        for item in items:
            tasks.append(asyncio.create_task(one(item)))
            if not read:  # queued in this order
                await queued(engine, group, len(tasks))
        await queued(engine, group, len(items))
        assert not any(task.done() for task in tasks)  # all wait for the gate
    return list(await asyncio.gather(*tasks, return_exceptions=True))


async def test_writes_waiting_for_the_gate_are_stored_in_one_transaction(
    engine: AsyncEngine,
) -> None:
    recorder = Recorder()
    seen = commits(engine)
    items: list[Item] = [(f"n{i}", None) for i in range(20)]
    results = await submit_while_gate_held(engine, recorder.group(), items, read=True)
    assert len(recorder.batches) == 1
    stored = await names(engine)
    assert sorted(stored) == sorted(recorder.batches[0]) == sorted(name for name, _ in items)
    # Each caller got its own row's id, and its own row was published.
    assert [stored[row_id - 1] for row_id in results] == [name for name, _ in items]  # type: ignore[operator]
    assert sorted(recorder.published) == sorted(zip([n for n, _ in items], results, strict=True))
    # The one batch commits once; the rest are the 20 callers ending their reads and the
    # holder's empty transaction.
    assert len(seen) <= 1 + 20 + 1


async def test_a_batch_is_at_most_max_batch(engine: AsyncEngine) -> None:
    recorder = Recorder()
    items: list[Item] = [(f"n{i}", None) for i in range(10)]
    await submit_while_gate_held(engine, recorder.group(max_batch=4), items)
    assert [len(batch) for batch in recorder.batches] == [4, 4, 2]
    assert await names(engine) == [name for name, _ in items]


async def test_items_with_the_same_separate_key_never_share_a_batch(engine: AsyncEngine) -> None:
    recorder = Recorder()
    items: list[Item] = [("a", "k"), ("b", "other"), ("c", None), ("d", "k"), ("e", "k")]
    results = await submit_while_gate_held(engine, recorder.group(), items)
    assert recorder.batches == [["a", "b", "c"], ["d"], ["e"]]
    assert results == [1, 2, 3, 4, 5]


async def test_a_write_that_cannot_be_stored_fails_alone(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.execute(text("INSERT INTO t (name) VALUES ('taken')"))
    recorder = Recorder()
    items: list[Item] = [("x", None), ("taken", None), ("y", None)]
    results = await submit_while_gate_held(engine, recorder.group(), items)
    assert recorder.batches == [["x", "taken", "y"], ["x"], ["taken"], ["y"]]
    assert isinstance(results[1], IntegrityError)
    assert results[0] != results[2]
    assert all(isinstance(r, int) for r in (results[0], results[2]))
    assert await names(engine) == ["taken", "x", "y"]
    assert [name for name, _ in recorder.published] == ["x", "y"]  # nothing for the failure


async def test_a_write_stands_when_its_caller_stops_waiting(engine: AsyncEngine) -> None:
    recorder = Recorder()
    group = recorder.group()
    sessionmaker = create_sessionmaker(engine)

    async def one(item: Item) -> int:
        async with sessionmaker() as session:
            return await group.submit(session, item)

    async with sessionmaker() as holder, write_gate(holder):
        gone = asyncio.create_task(one(("abandoned", None)))
        await queued(engine, group, 1)
        gone.cancel()
        stays = asyncio.create_task(one(("kept", None)))
        await queued(engine, group, 2)  # the abandoned write still waits its turn
    assert await stays == 2
    assert gone.cancelled()
    assert await names(engine) == ["abandoned", "kept"]
    assert recorder.published == [("abandoned", 1), ("kept", 2)]


async def test_a_lone_write_on_a_quiet_gate_is_stored_at_once(engine: AsyncEngine) -> None:
    recorder = Recorder()
    group = recorder.group()
    async with create_sessionmaker(engine)() as session:
        assert await group.submit(session, ("alone", None)) == 1
        assert await group.submit(session, ("next", None)) == 2
    assert recorder.batches == [["alone"], ["next"]]


@pytest.mark.postgres
async def test_postgresql_writes_at_once_on_the_callers_session() -> None:
    url = require_pg()
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("DROP TABLE IF EXISTS group_commit_t"))
            await conn.execute(text("CREATE TABLE group_commit_t (id SERIAL PRIMARY KEY)"))
        batches: list[tuple[AsyncSession, list[int]]] = []

        async def write(session: AsyncSession, items: Sequence[int]) -> list[int]:
            batches.append((session, list(items)))
            result = await session.execute(
                text("INSERT INTO group_commit_t DEFAULT VALUES RETURNING id")
            )
            await session.commit()
            return [int(result.scalar_one())]

        group: GroupCommit[int, int] = GroupCommit(write)
        sessionmaker = create_sessionmaker(engine)

        async def one(item: int) -> tuple[AsyncSession, int]:
            async with sessionmaker() as session:
                return session, await group.submit(session, item)

        results = await asyncio.gather(*(one(i) for i in range(5)))
        assert sorted(row_id for _, row_id in results) == [1, 2, 3, 4, 5]
        # Each write went alone, on its caller's own session.
        assert sorted(items for _, items in batches) == [[0], [1], [2], [3], [4]]
        assert {id(s) for s, _ in batches} == {id(s) for s, _ in results}
    finally:
        async with engine.begin() as conn:
            await conn.execute(text("DROP TABLE IF EXISTS group_commit_t"))
        await engine.dispose()


@pytest.mark.postgres
async def test_postgresql_writes_of_one_lane_in_flight_together_are_batched() -> None:
    url = require_pg()
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("DROP TABLE IF EXISTS group_commit_t"))
            await conn.execute(text("CREATE TABLE group_commit_t (id SERIAL PRIMARY KEY)"))
        batches: list[list[str]] = []
        first_in_flight, release = asyncio.Event(), asyncio.Event()

        async def write(session: AsyncSession, items: Sequence[str]) -> list[int]:
            batches.append(list(items))
            if items == ["a0"]:  # the lane's first write stays in flight until released
                first_in_flight.set()
                await release.wait()
            ids = []
            for _ in items:
                result = await session.execute(
                    text("INSERT INTO group_commit_t DEFAULT VALUES RETURNING id")
                )
                ids.append(int(result.scalar_one()))
            await session.commit()
            return ids

        group: GroupCommit[str, int] = GroupCommit(write, lane=lambda item: item[0])
        sessionmaker = create_sessionmaker(engine)

        async def one(item: str) -> int:
            async with sessionmaker() as session:
                return await group.submit(session, item)

        first = asyncio.create_task(one("a0"))
        await first_in_flight.wait()
        lane_a = [asyncio.create_task(one(f"a{i}")) for i in range(1, 6)]
        await until(lambda: group.waiting(engine) == 5, what="5 writes waiting for a0")
        assert await one("b0") == 1  # another lane does not wait
        release.set()
        results = [await first, *[await task for task in lane_a]]
        assert results == [2, 3, 4, 5, 6, 7]
        assert batches == [["a0"], ["b0"], ["a1", "a2", "a3", "a4", "a5"]]
        assert group.waiting(engine) == 0
        assert await one("a6") == 8  # the lane is free again: written at once, alone
        assert batches[-1] == ["a6"]
    finally:
        async with engine.begin() as conn:
            await conn.execute(text("DROP TABLE IF EXISTS group_commit_t"))
        await engine.dispose()
