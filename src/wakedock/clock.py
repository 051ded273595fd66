"""The service's clock. Tests replace it (``app.state.clock``) to test time-based rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi import Request


class Clock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FrozenClock(Clock):
    """A clock that only moves when told to."""

    def __init__(self, at: datetime) -> None:
        self._at = at

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        self._at = at

    def advance(self, **delta: float) -> None:
        self._at += timedelta(**delta)


def get_clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


async def clock_dependency(request: Request) -> Clock:
    """``get_clock`` as a dependency (async: a plain function would run in a worker thread)."""
    return get_clock(request)
