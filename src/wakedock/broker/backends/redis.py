"""Redis pub/sub broker: fan-out across processes and hosts (``redis://host:6379/0``)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import redis.asyncio as redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from wakedock.broker.base import Broker, BrokerDisconnected, Subscription


class _RedisSubscription:
    def __init__(self, pubsub: Any) -> None:
        self._pubsub = pubsub

    async def __aiter__(self) -> AsyncIterator[tuple[str, bytes]]:
        try:
            async for message in self._pubsub.listen():
                kind = message["type"]
                if kind in ("message", "pmessage"):
                    channel = message["channel"]
                    yield (
                        channel.decode() if isinstance(channel, bytes) else channel,
                        message["data"],
                    )
        except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
            raise BrokerDisconnected(str(exc)) from exc


class RedisBroker(Broker):
    def __init__(self, url: str) -> None:
        self.url = url
        self._client: redis.Redis | None = None

    @property
    def client(self) -> redis.Redis:
        if self._client is None:
            raise RuntimeError("RedisBroker is not connected")
        return self._client

    async def connect(self) -> None:
        self._client = redis.Redis.from_url(
            self.url, socket_connect_timeout=5, health_check_interval=15, retry_on_timeout=True
        )

    async def disconnect(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def publish(self, channel: str, payload: bytes) -> None:
        try:
            await self.client.publish(channel, payload)
        except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
            raise BrokerDisconnected(str(exc)) from exc

    async def publish_many(self, messages: Sequence[tuple[str, bytes]]) -> None:
        """One pipeline (one round trip, no transaction) for the lot: a broadcast's batch of
        500 users was 500 sequential round trips."""
        if not messages:
            return
        try:
            async with self.client.pipeline(transaction=False) as pipe:
                for channel, payload in messages:
                    pipe.publish(channel, payload)
                await pipe.execute()
        except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
            raise BrokerDisconnected(str(exc)) from exc

    async def ping(self) -> bool:
        return bool(await self.client.ping())

    @asynccontextmanager
    async def subscribe(self, *channels: str) -> AsyncIterator[Subscription]:
        pubsub = self.client.pubsub()
        try:
            exact = [c for c in channels if not c.endswith("*")]
            patterns = [c for c in channels if c.endswith("*")]
            try:
                if exact:
                    await pubsub.subscribe(*exact)
                if patterns:
                    await pubsub.psubscribe(*patterns)
                # Wait for the confirmations: once this returns, nothing published is missed.
                for _ in range(len(exact) + len(patterns)):
                    await pubsub.get_message(timeout=5)
            except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
                raise BrokerDisconnected(str(exc)) from exc
            yield _RedisSubscription(pubsub)
        finally:
            with contextlib.suppress(RedisConnectionError, RedisTimeoutError, OSError):
                await pubsub.aclose()  # type: ignore[no-untyped-call]
