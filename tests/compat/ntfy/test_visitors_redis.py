"""The anonymous publishers' rate limit shared through Redis (``WAKEDOCK_REDIS_URL``): two
app instances on one Redis (two processes or hosts, in effect) count one bucket per address,
and the refusal keeps ntfy's error shape."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import redis.asyncio as redis

from tests.compat.ntfy.test_ntfy_api import assert_ntfy_error
from tests.compat.ntfy.test_topic_access import set_rule
from tests.conftest import make_settings, require_redis
from wakedock.compat.ntfy.visitors import KEY_PREFIX, RedisVisitors, Visitors, create_visitors
from wakedock.main import create_app

pytestmark = pytest.mark.redis


@pytest.fixture
def redis_url() -> str:
    return require_redis()


@pytest.fixture
def address() -> str:
    """A fresh address per test: the Redis db outlives it."""
    return f"198.51.100.{secrets.randbelow(250) + 1}:{secrets.token_hex(4)}"


@pytest.fixture
async def pair(app: Any, redis_url: str, database_url: str) -> AsyncIterator[tuple[Any, Any]]:
    """Two more apps configured with Redis, on the test's database and data directory."""
    data_dir = app.state.settings.data_dir
    first = create_app(make_settings(data_dir, database_url, redis_url=redis_url))
    second = create_app(make_settings(data_dir, database_url, redis_url=redis_url))
    async with first.router.lifespan_context(first), second.router.lifespan_context(second):
        yield first, second


def _client(app: Any, ip: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(ip, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://wakedock.test")


async def test_two_instances_share_one_limit(
    pair: tuple[Any, Any], client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    first, second = pair
    # Chosen by configuration, as the broker is.
    assert isinstance(first.state.ntfy_visitors, RedisVisitors)
    await set_rule(client, admin_headers, "alerts", anonymous_publish=True)
    ip = f"198.51.100.{secrets.randbelow(250) + 1}"
    for one in (first, second):  # a small bucket, under a key no other run has used
        await one.state.ntfy_visitors.aclose()
        one.state.ntfy_visitors = RedisVisitors(
            one.state.settings.redis_url, burst=3, refill_seconds=60
        )
    await _flush(first.state.settings.redis_url, ip)
    async with _client(first, ip) as a, _client(second, ip) as b:
        assert (await a.post("/alerts", content=b"1")).status_code == 200
        assert (await b.post("/alerts", content=b"2")).status_code == 200
        assert (await a.post("/alerts", content=b"3")).status_code == 200
        # The fourth, on either instance, is over the one shared bucket.
        for c in (b, a):
            limited = await c.post("/alerts", content=b"4")
            assert_ntfy_error(limited, 429, 42901)
            assert set(limited.json()) >= {"code", "http", "error"}
            assert 1 <= int(limited.headers["retry-after"]) <= 60
        # Another address has its own bucket.
        async with _client(second, "192.0.2.99") as other:
            await _flush(second.state.settings.redis_url, "192.0.2.99")
            assert (await other.post("/alerts", content=b"x")).status_code == 200
    await _flush(first.state.settings.redis_url, ip)


async def _flush(url: str, address: str) -> None:
    client = redis.Redis.from_url(url)
    try:
        await client.delete(KEY_PREFIX + address)
    finally:
        await client.aclose()


async def test_bucket_refills_and_expires(redis_url: str, address: str) -> None:
    limiter = RedisVisitors(redis_url, burst=2, refill_seconds=0.5)
    try:
        assert await limiter.take(address) is None
        assert await limiter.take(address) is None
        assert await limiter.take(address) == 1  # rounded up to a whole second
        await asyncio.sleep(0.6)
        assert await limiter.take(address) is None
        client = redis.Redis.from_url(redis_url)
        try:
            ttl = await client.ttl(KEY_PREFIX + address)
            assert 0 < ttl <= 1  # gone once the bucket would be full again
        finally:
            await client.aclose()
    finally:
        await limiter.aclose()


async def test_unreachable_redis_falls_back_to_the_process_bucket(address: str) -> None:
    limiter = RedisVisitors("redis://127.0.0.1:1/0", burst=1, refill_seconds=60)
    try:
        assert await limiter.take(address) is None
        assert await limiter.take(address) == 60
    finally:
        await limiter.aclose()


async def test_backend_follows_the_configuration() -> None:
    assert isinstance(create_visitors(None), Visitors)
    assert isinstance(create_visitors("memory://"), Visitors)
    shared = create_visitors("redis://127.0.0.1:6379/0")  # connects only when used
    assert isinstance(shared, RedisVisitors)
    await shared.aclose()
