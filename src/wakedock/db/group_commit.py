"""Group commit: on SQLite, writes that queue at the write gate go through it together.

On SQLite writes take turns (``engine.write_gate``), and every statement of a transaction is a
trip to its connection's thread and back through the event loop, with the gate held all the
while. The busier the loop, the longer each trip waits for it, so the longer each write holds
the gate: one create at a time, a backlog made the gate slower (1.2 ms a create on a quiet loop,
3.2 ms behind a backlog at 300 creates/s), and a backlog, once formed, grew instead of
draining. Here the writes that wait for the gate are written together when it is their turn:
one transaction and one statement per step for all of them, so the busier the server, the
less each write costs.

A batch is written by a background task, one per engine and kind of write, while writes are
waiting; each caller awaits its own result. If a batch fails, its writes are retried one by
one, so a write that cannot be stored fails alone. A write is stored even if its caller gave up
waiting (nothing accepted is lost), and ``after`` still runs for it.

Elsewhere (PostgreSQL), writes do not take turns, except those that lock the same rows: every
create for one user takes that user's ledger row (``notifications.stream``) until it commits, so
a burst of creates to one user commits one at a time, each waiting a round trip and a commit
for the one before it. A kind of write may name each item's ``lane`` (the rows it locks): the
first write of a lane is written at once, on the caller's session; the writes of that lane that
arrive while it is in flight wait, and are then written together by a background task, batch
after batch, exactly as SQLite's queue is (same order, same failure rule). A write without a
lane, or the first of its lane, is written at once, so writes to different users never wait
for each other.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections import deque
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from wakedock.db.engine import create_sessionmaker, serialises_writes, write_gate

T = TypeVar("T")
R = TypeVar("R")

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class _Waiting(Generic[T, R]):
    item: T
    future: asyncio.Future[R]


class _Queue(Generic[T, R]):
    __slots__ = ("drainer", "engine", "lane", "waiting")

    def __init__(self, engine: AsyncEngine, lane: Hashable | None = None) -> None:
        self.engine = engine
        self.lane = lane
        self.waiting: deque[_Waiting[T, R]] = deque()
        self.drainer: asyncio.Task[None] | None = None


class GroupCommit(Generic[T, R]):
    """One kind of write.

    ``write(session, items)`` stores the items and commits, returning one result per item.
    ``after(item, result)`` runs once it is committed, outside the gate (publishing, say).
    ``separate(item)``: items with the same non-None value never share a batch.
    ``lane(item)``: where writes do not take turns (PostgreSQL), the rows the item locks; items
    of one lane that arrive while one of its writes is in flight are written together after it.
    """

    def __init__(
        self,
        write: Callable[[AsyncSession, Sequence[T]], Awaitable[Sequence[R]]],
        *,
        after: Callable[[T, R], Awaitable[None]] | None = None,
        separate: Callable[[T], Hashable | None] = lambda _item: None,
        lane: Callable[[T], Hashable | None] = lambda _item: None,
        max_batch: int = 64,
    ) -> None:
        self._write = write
        self._after = after
        self._separate = separate
        self._lane = lane
        self._max_batch = max_batch
        self._queues: weakref.WeakKeyDictionary[Engine, _Queue[T, R]] = weakref.WeakKeyDictionary()
        # Lanes with a write in flight (PostgreSQL): a lane is here exactly while it is busy.
        self._lanes: weakref.WeakKeyDictionary[Engine, dict[Hashable, _Queue[T, R]]] = (
            weakref.WeakKeyDictionary()
        )

    async def submit(self, session: AsyncSession, item: T) -> R:
        """Store ``item`` (its turn at the gate, with whatever else is waiting then)."""
        bind = session.bind
        if not isinstance(bind, AsyncEngine):
            return await self._write_now(session, item)
        if not serialises_writes(bind):
            return await self._submit_to_lane(session, bind, item)
        if session.in_transaction():
            await session.commit()  # nothing written: this returns the connection while waiting
        queue = self._queues.get(bind.sync_engine)
        if queue is None:
            queue = self._queues[bind.sync_engine] = _Queue(bind)
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        queue.waiting.append(_Waiting(item, future))
        if queue.drainer is None:
            queue.drainer = asyncio.create_task(self._drain(queue))
        return await future

    async def _submit_to_lane(self, session: AsyncSession, bind: AsyncEngine, item: T) -> R:
        """Where writes do not take turns: at once, unless a write of its lane is in flight."""
        lane = self._lane(item)
        if lane is None:
            return await self._write_now(session, item)
        lanes = self._lanes.get(bind.sync_engine)
        if lanes is None:
            lanes = self._lanes[bind.sync_engine] = {}
        if lane in lanes and session.in_transaction():
            await session.commit()  # nothing written: this returns the connection while waiting
        # No await from here to the append or the claim of the lane: the lane cannot be freed
        # between the check and either.
        queue = lanes.get(lane)
        if queue is None:  # the lane is free: this write goes at once, later ones wait for it
            queue = lanes[lane] = _Queue(bind, lane)
            try:
                return await self._write_now(session, item)
            finally:
                self._hand_over(queue, lanes)
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        queue.waiting.append(_Waiting(item, future))
        return await future

    async def _write_now(self, session: AsyncSession, item: T) -> R:
        async with write_gate(session):
            (result,) = await self._write(session, [item])
        if self._after is not None:
            await self._after(item, result)
        return result

    def _hand_over(self, queue: _Queue[T, R], lanes: dict[Hashable, _Queue[T, R]]) -> None:
        """The lane's first write is done (published, or failed): the writes that arrived
        meanwhile go in batches, or the lane is free again."""
        if queue.waiting:
            queue.drainer = asyncio.create_task(self._drain(queue, lanes))
        else:
            del lanes[queue.lane]

    def waiting(self, engine: AsyncEngine) -> int:
        """How many writes wait in ``engine``'s queue for their turn (on PostgreSQL: for their
        lane's write in flight). A write leaves the queue when its batch is taken, not when its
        caller gives up.
        """
        queue = self._queues.get(engine.sync_engine)
        lanes = self._lanes.get(engine.sync_engine, {})
        return (len(queue.waiting) if queue is not None else 0) + sum(
            len(lane.waiting) for lane in lanes.values()
        )

    async def _drain(
        self, queue: _Queue[T, R], lanes: dict[Hashable, _Queue[T, R]] | None = None
    ) -> None:
        sessionmaker = create_sessionmaker(queue.engine)
        batch: list[_Waiting[T, R]] = []
        try:
            while queue.waiting:
                async with sessionmaker() as session, write_gate(session):
                    batch = self._take(queue.waiting)  # all that waited for the gate
                    outcomes = await self._write_batch(session, batch)
                for waiting, outcome in zip(batch, outcomes, strict=True):
                    if not isinstance(outcome, BaseException) and self._after is not None:
                        try:
                            await self._after(waiting.item, outcome)
                        except Exception as exc:
                            outcome = exc
                    _settle(waiting.future, outcome)
                batch = []
        except BaseException as exc:  # cancelled or a bug: no caller may wait forever
            for waiting in [*batch, *queue.waiting]:
                _settle(waiting.future, exc)
            queue.waiting.clear()
            raise
        finally:
            queue.drainer = None
            if lanes is not None:  # no await since the last check: nothing arrived since
                del lanes[queue.lane]

    def _take(self, waiting: deque[_Waiting[T, R]]) -> list[_Waiting[T, R]]:
        batch: list[_Waiting[T, R]] = []
        seen: set[Hashable] = set()
        while waiting and len(batch) < self._max_batch:
            key = self._separate(waiting[0].item)
            if key is not None:
                if key in seen:
                    break
                seen.add(key)
            batch.append(waiting.popleft())
        return batch

    async def _write_batch(
        self, session: AsyncSession, batch: list[_Waiting[T, R]]
    ) -> list[R | BaseException]:
        try:
            return list(await self._write(session, [w.item for w in batch]))
        except Exception as exc:
            await session.rollback()
            if len(batch) == 1:
                return [exc]
            logger.warning("a batch of %d writes failed; writing them one by one", len(batch))
        outcomes: list[R | BaseException] = []
        for waiting in batch:
            try:
                outcomes.extend(await self._write(session, [waiting.item]))
            except Exception as exc:
                await session.rollback()
                outcomes.append(exc)
        return outcomes


def _settle(future: asyncio.Future[R], outcome: R | BaseException) -> None:
    if future.done():  # its caller stopped waiting; the write stands
        return
    if isinstance(outcome, BaseException):
        future.set_exception(outcome)
    else:
        future.set_result(outcome)
