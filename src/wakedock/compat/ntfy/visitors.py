"""The rate limit of anonymous publishers (a topic an admin opened to them), by address.

ntfy's visitor request limit as its defaults set it: a bucket of 60 requests per client address,
one more every 5 seconds. Two backends, chosen by ``WAKEDOCK_REDIS_URL`` as the broker is:

- ``Visitors`` (embedded default): kept in the process, bounded: past ``MAX_VISITORS``
  addresses, full buckets are forgotten, then the oldest.
- ``RedisVisitors``: the same bucket kept in Redis by one Lua script (atomic, Redis's own
  clock), so every process and host behind one Redis shares one limit per address. A key
  expires once its bucket would be full again. While Redis cannot be reached, each process
  falls back to its own bucket (a limit still holds) and says so in the log.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

BURST = 60
REFILL_SECONDS = 5.0
MAX_VISITORS = 10_000
KEY_PREFIX = "wakedock:ntfy:visitor:"

log = logging.getLogger(__name__)


class Limiter(Protocol):
    async def take(self, address: str | None) -> int | None:
        """Count one request from ``address``: None when allowed, else the seconds to wait."""

    async def aclose(self) -> None: ...


@dataclass(slots=True)
class _Bucket:
    tokens: float
    at: float


class Visitors:
    """The in-process bucket per address (each ``wakedock serve`` worker counts its own)."""

    def __init__(
        self,
        *,
        burst: int = BURST,
        refill_seconds: float = REFILL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.burst = burst
        self.refill_seconds = refill_seconds
        self.clock = clock
        self._buckets: dict[str, _Bucket] = {}

    async def take(self, address: str | None) -> int | None:
        return self.take_now(address)

    def take_now(self, address: str | None) -> int | None:
        now = self.clock()
        key = address or "unknown"
        bucket = self._buckets.get(key)
        if bucket is None:
            self._prune(now)
            bucket = self._buckets[key] = _Bucket(tokens=float(self.burst), at=now)
        else:
            bucket.tokens = min(
                float(self.burst), bucket.tokens + (now - bucket.at) / self.refill_seconds
            )
            bucket.at = now
        if bucket.tokens < 1:
            return max(1, round((1 - bucket.tokens) * self.refill_seconds))
        bucket.tokens -= 1
        return None

    async def aclose(self) -> None:
        return None

    def _prune(self, now: float) -> None:
        if len(self._buckets) < MAX_VISITORS:
            return
        full = self.burst * self.refill_seconds
        for key in [k for k, b in self._buckets.items() if now - b.at >= full]:
            del self._buckets[key]
        while len(self._buckets) >= MAX_VISITORS:  # dicts keep insertion order: oldest first
            del self._buckets[next(iter(self._buckets))]


# KEYS[1]: the address's bucket; ARGV: burst, refill seconds. Returns 0 (allowed) or the
# seconds to wait. The same arithmetic as ``Visitors.take_now``, on Redis's clock (TIME), so
# hosts whose clocks differ still agree.
_TAKE = """
local burst = tonumber(ARGV[1])
local refill = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local held = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(held[1])
if tokens == nil then
  tokens = burst
else
  tokens = math.min(burst, tokens + math.max(0, now - tonumber(held[2])) / refill)
end
local wait = 0
if tokens < 1 then
  wait = math.max(1, math.floor((1 - tokens) * refill + 0.5))
else
  tokens = tokens - 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(burst * refill))
return wait
"""


class RedisVisitors:
    """The bucket per address shared through Redis (``redis://host:6379/0``)."""

    def __init__(
        self, url: str, *, burst: int = BURST, refill_seconds: float = REFILL_SECONDS
    ) -> None:
        import redis.asyncio as redis  # optional backend: imported only when configured

        self.burst = burst
        self.refill_seconds = refill_seconds
        # Connects lazily, on the first anonymous publish; short timeouts: a publish waits.
        self._client: Any = redis.Redis.from_url(
            url, socket_connect_timeout=2, socket_timeout=2, health_check_interval=15
        )
        self._script: Any = self._client.register_script(_TAKE)
        self._fallback = Visitors(burst=burst, refill_seconds=refill_seconds)
        self._failing = False

    async def take(self, address: str | None) -> int | None:
        from redis.exceptions import RedisError

        key = KEY_PREFIX + (address or "unknown")
        try:
            wait = int(await self._script(keys=[key], args=[self.burst, self.refill_seconds]))
        except (RedisError, OSError) as exc:
            if not self._failing:
                log.warning("ntfy visitor limit: Redis unreachable, counting per process: %s", exc)
                self._failing = True
            return self._fallback.take_now(address)
        self._failing = False
        return wait or None

    async def aclose(self) -> None:
        await self._client.aclose()


def create_visitors(redis_url: str | None) -> Limiter:
    """Redis's shared bucket when a Redis URL is configured, else the process's own."""
    if redis_url and redis_url.startswith(("redis://", "rediss://", "unix://")):
        return RedisVisitors(redis_url)
    return Visitors()
