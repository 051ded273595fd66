"""In-process broker: each subscriber has its own queue."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from wakedock.broker.base import Broker, Subscription, matches


class _MemorySubscription:
    def __init__(self, queue: asyncio.Queue[tuple[str, bytes]]) -> None:
        self._queue = queue

    async def __aiter__(self) -> AsyncIterator[tuple[str, bytes]]:
        while True:
            yield await self._queue.get()


class MemoryBroker(Broker):
    def __init__(self) -> None:
        self._subscribers: list[tuple[tuple[str, ...], asyncio.Queue[tuple[str, bytes]]]] = []

    async def connect(self) -> None:
        return None

    async def disconnect(self) -> None:
        self._subscribers.clear()

    async def publish(self, channel: str, payload: bytes) -> None:
        for patterns, queue in self._subscribers:
            if any(matches(pattern, channel) for pattern in patterns):
                queue.put_nowait((channel, payload))

    @asynccontextmanager
    async def subscribe(self, *channels: str) -> AsyncIterator[Subscription]:
        entry: tuple[tuple[str, ...], asyncio.Queue[tuple[str, bytes]]] = (
            channels,
            asyncio.Queue(),
        )
        self._subscribers.append(entry)
        try:
            yield _MemorySubscription(entry[1])
        finally:
            if entry in self._subscribers:
                self._subscribers.remove(entry)
