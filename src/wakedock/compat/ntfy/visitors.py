"""The rate limit of anonymous publishers (a topic an admin opened to them), by address.

ntfy's visitor request limit as its defaults set it: a bucket of 60 requests per client address,
one more every 5 seconds. Kept in the process (each ``wakedock serve`` worker counts its own),
bounded: past ``MAX_VISITORS`` addresses, full buckets are forgotten, then the oldest.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

BURST = 60
REFILL_SECONDS = 5.0
MAX_VISITORS = 10_000


@dataclass(slots=True)
class _Bucket:
    tokens: float
    at: float


class Visitors:
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

    def take(self, address: str | None) -> int | None:
        """Count one request from ``address``: None when allowed, else the seconds to wait."""
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

    def _prune(self, now: float) -> None:
        if len(self._buckets) < MAX_VISITORS:
            return
        full = self.burst * self.refill_seconds
        for key in [k for k, b in self._buckets.items() if now - b.at >= full]:
            del self._buckets[key]
        while len(self._buckets) >= MAX_VISITORS:  # dicts keep insertion order: oldest first
            del self._buckets[next(iter(self._buckets))]
