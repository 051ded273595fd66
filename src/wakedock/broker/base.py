"""The broker interface (after encode/broadcaster): backends are chosen by URL.

``memory://`` fans out inside one process; ``redis://host:port/db`` fans out across processes
and hosts. Messages are bytes, serialized once by the publisher, whatever the fan-out.
"""

from __future__ import annotations

import abc
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol


class BrokerDisconnected(Exception):
    """The connection to the broker was lost; the subscription has ended."""


def matches(pattern: str, channel: str) -> bool:
    return channel.startswith(pattern[:-1]) if pattern.endswith("*") else channel == pattern


class Subscription(Protocol):
    """A live subscription: iterate to receive ``(channel, payload)`` pairs."""

    def __aiter__(self) -> AsyncIterator[tuple[str, bytes]]: ...


class Broker(abc.ABC):
    @abc.abstractmethod
    async def connect(self) -> None: ...

    @abc.abstractmethod
    async def disconnect(self) -> None: ...

    @abc.abstractmethod
    async def publish(self, channel: str, payload: bytes) -> None:
        """Send ``payload`` to every current subscriber of ``channel`` on any process."""

    async def publish_many(self, messages: Sequence[tuple[str, bytes]]) -> None:
        """``publish`` each (channel, payload) in order; a backend may send them in one trip."""
        for channel, payload in messages:
            await self.publish(channel, payload)

    @abc.abstractmethod
    def subscribe(self, *channels: str) -> AbstractAsyncContextManager[Subscription]:
        """``async with broker.subscribe("a", "user:*") as sub: async for channel, payload in sub``.

        A channel ending in ``*`` matches every channel with that prefix. Iterating raises
        ``BrokerDisconnected`` when the backend connection is lost (messages may have been
        missed: subscribers should resynchronise from the database)."""

    @asynccontextmanager
    async def lifespan(self) -> AsyncIterator[Broker]:
        await self.connect()
        try:
            yield self
        finally:
            await self.disconnect()


def create_broker(url: str | None) -> Broker:
    """Pick the backend from the URL scheme; optional backends are imported lazily."""
    if not url or url.startswith("memory://"):
        from wakedock.broker.backends.memory import MemoryBroker

        return MemoryBroker()
    if url.startswith(("redis://", "rediss://", "unix://")):
        from wakedock.broker.backends.redis import RedisBroker

        broker: Broker = RedisBroker(url)
        return broker
    raise ValueError(f"unsupported broker URL scheme: {url.split(':', 1)[0]!r}")
