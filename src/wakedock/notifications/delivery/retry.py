"""Retry policy: exponential backoff with jitter; 8 attempts span about 30 minutes."""

from __future__ import annotations

import random

BASE_DELAY_SECONDS = 15.0
MAX_DELAY_SECONDS = 3600.0
MAX_RETRY_AFTER_SECONDS = 3600.0


def backoff(attempt: int, *, jitter: float = 0.2, rng: random.Random | None = None) -> float:
    """Delay before the next try after ``attempt`` failed tries: 15 s, 30 s, 1 min … ±20 %.
    With 8 attempts the waits add up to ~32 minutes."""
    delay = min(MAX_DELAY_SECONDS, BASE_DELAY_SECONDS * 2.0 ** max(0, attempt - 1))
    spread: float = (rng or random).uniform(1 - jitter, 1 + jitter)
    return delay * spread


def next_delay(attempt: int, retry_after: float | None) -> float:
    """The receiver's Retry-After wins (bounded), else the backoff."""
    if retry_after is not None:
        return min(MAX_RETRY_AFTER_SECONDS, max(1.0, retry_after))
    return backoff(attempt)
