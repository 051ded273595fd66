"""In-process broker: each subscriber has its own queue."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from wakedock.broker.base import Broker, Subscription


class _MemorySubscription:
    def __init__(self, queue: asyncio.Queue[tuple[str, bytes]]) -> None:
        self._queue = queue

    async def __aiter__(self) -> AsyncIterator[tuple[str, bytes]]:
        while True:
            yield await self._queue.get()


class MemoryBroker(Broker):
    def __init__(self) -> None:
        self._subscribers: dict[str, set[asyncio.Queue[tuple[str, bytes]]]] = defaultdict(set)

    async def connect(self) -> None:
        return None

    async def disconnect(self) -> None:
        self._subscribers.clear()

    async def publish(self, channel: str, payload: bytes) -> None:
        for queue in self._subscribers.get(channel, ()):
            queue.put_nowait((channel, payload))

    @asynccontextmanager
    async def subscribe(self, *channels: str) -> AsyncIterator[Subscription]:
        queue: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue()
        for channel in channels:
            self._subscribers[channel].add(queue)
        try:
            yield _MemorySubscription(queue)
        finally:
            for channel in channels:
                subscribers = self._subscribers.get(channel)
                if subscribers is not None:
                    subscribers.discard(queue)
                    if not subscribers:
                        del self._subscribers[channel]
