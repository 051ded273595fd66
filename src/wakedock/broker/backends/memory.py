"""In-process broker: each subscriber has its own queue."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
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

    async def publish_many(self, messages: Sequence[tuple[str, bytes]]) -> None:
        """``publish`` each in order; each subscriber's patterns are read once for the lot (a
        broadcast's page is thousands of events, most for the hub's ``user:*``)."""
        for patterns, queue in self._subscribers:
            exact = {p for p in patterns if not p.endswith("*")}
            prefixes = tuple(p[:-1] for p in patterns if p.endswith("*"))
            for message in messages:
                channel = message[0]
                if channel in exact or channel.startswith(prefixes):
                    queue.put_nowait(message)

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
