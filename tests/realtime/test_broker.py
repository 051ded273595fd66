"""The broker contract, run against every backend: memory and a real Redis."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from tests.conftest import require_redis
from wakedock.broker import Broker, create_broker


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def broker(request: pytest.FixtureRequest) -> AsyncIterator[Broker]:
    url = "memory://" if request.param == "memory" else require_redis()
    instance = create_broker(url)
    async with instance.lifespan():
        yield instance


async def collect(broker: Broker, *channels: str, expect: int) -> list[tuple[str, bytes]]:
    got: list[tuple[str, bytes]] = []
    ready = asyncio.Event()

    async def run() -> None:
        async with broker.subscribe(*channels) as subscription:
            ready.set()
            async for item in subscription:
                got.append(item)
                if len(got) >= expect:
                    return

    task = asyncio.create_task(run())
    await asyncio.wait_for(ready.wait(), 5)
    await broker.publish("user:1", b"one")
    await broker.publish("other:1", b"ignored")
    await broker.publish("user:22", b"two")
    await asyncio.wait_for(task, 5)
    return got


async def test_exact_and_prefix_subscriptions(broker: Broker) -> None:
    assert await collect(broker, "user:*", expect=2) == [("user:1", b"one"), ("user:22", b"two")]
    assert await collect(broker, "user:22", expect=1) == [("user:22", b"two")]


async def test_every_subscriber_gets_its_copy(broker: Broker) -> None:
    first, second = await asyncio.gather(
        collect(broker, "user:*", expect=2), collect(broker, "user:*", expect=2)
    )
    # Each collect publishes its own pair; both subscribers see their pair at least.
    assert ("user:1", b"one") in first
    assert ("user:1", b"one") in second


def test_unknown_scheme_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported broker"):
        create_broker("kafka://x")


async def test_publish_many_delivers_each_message_in_order(broker: Broker) -> None:
    got: list[tuple[str, bytes]] = []
    ready = asyncio.Event()
    messages = [(f"user:{i % 3}", f"m{i}".encode()) for i in range(7)]

    async def run() -> None:
        async with broker.subscribe("user:*") as subscription:
            ready.set()
            async for item in subscription:
                got.append(item)
                if len(got) == len(messages):
                    return

    task = asyncio.create_task(run())
    await asyncio.wait_for(ready.wait(), 5)
    await broker.publish_many([])  # nothing to send is not an error
    await broker.publish_many([*messages[:3], ("other:1", b"ignored"), *messages[3:]])
    await asyncio.wait_for(task, 5)
    assert got == messages
