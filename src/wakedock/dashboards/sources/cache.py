"""In-process TTL cache keyed by (source, query), with single-flight.

A hundred open dashboards showing the same widget make one upstream call per refresh interval:
callers that ask while a fetch is in flight await that same fetch. Failures are cached too, for
a shorter time, so a broken upstream is not hammered either.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from wakedock.dashboards.sources.base import SourceError


@dataclass(frozen=True, slots=True)
class CacheEntry:
    value: Any
    error: SourceError | None
    fetched_at: datetime
    expires_at: float  # time.monotonic() deadline


@dataclass(frozen=True, slots=True)
class CacheResult:
    entry: CacheEntry
    cached: bool  # False when this call's own fetch produced it


class TTLCache:
    def __init__(self, *, max_entries: int = 4096, error_ttl: float = 5.0) -> None:
        self._entries: OrderedDict[Hashable, CacheEntry] = OrderedDict()
        self._inflight: dict[Hashable, asyncio.Task[CacheEntry]] = {}
        self._max_entries = max_entries
        self._error_ttl = error_ttl

    def __len__(self) -> int:
        return len(self._entries)

    def invalidate(self, predicate: Callable[[Hashable], bool]) -> int:
        """Drop the entries whose key matches; returns how many went."""
        doomed = [key for key in self._entries if predicate(key)]
        for key in doomed:
            del self._entries[key]
        return len(doomed)

    def clear(self) -> None:
        self._entries.clear()

    async def get_or_fetch(
        self, key: Hashable, *, ttl: float, fetch: Callable[[], Awaitable[Any]]
    ) -> CacheResult:
        """The fresh cached entry for ``key``, or the result of one shared call to ``fetch``."""
        entry = self._entries.get(key)
        if entry is not None and entry.expires_at > time.monotonic():
            self._entries.move_to_end(key)
            return CacheResult(entry, cached=True)
        task = self._inflight.get(key)
        joined = task is not None
        if task is None:
            task = asyncio.create_task(self._run(key, ttl, fetch))
            self._inflight[key] = task
        # shield: one caller going away (a closed browser tab) must not cancel the others' fetch.
        result = await asyncio.shield(task)
        return CacheResult(result, cached=joined)

    async def _run(
        self, key: Hashable, ttl: float, fetch: Callable[[], Awaitable[Any]]
    ) -> CacheEntry:
        now = datetime.now(UTC)
        try:
            value = await fetch()
        except SourceError as exc:
            entry = CacheEntry(None, exc, now, time.monotonic() + min(ttl, self._error_ttl))
        except Exception as exc:  # any other failure is still the widget's error, not a 500
            error = SourceError("source_failed", f"The data source failed ({type(exc).__name__})")
            entry = CacheEntry(None, error, now, time.monotonic() + min(ttl, self._error_ttl))
        else:
            entry = CacheEntry(value, None, now, time.monotonic() + ttl)
        finally:
            self._inflight.pop(key, None)
        self._store(key, entry)
        return entry

    def _store(self, key: Hashable, entry: CacheEntry) -> None:
        self._entries[key] = entry
        self._entries.move_to_end(key)
        if len(self._entries) > self._max_entries:
            now = time.monotonic()
            for stale in [k for k, e in self._entries.items() if e.expires_at <= now]:
                del self._entries[stale]
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)
