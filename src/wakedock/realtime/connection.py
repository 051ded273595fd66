"""One live client connection (WebSocket or SSE): a bounded outbox drained by one writer."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from wakedock.realtime.protocol import TOO_SLOW

_ids = itertools.count(1)


@dataclass(eq=False, slots=True)
class Connection:
    """State kept per connection is small: ids, a bounded queue, a replay buffer while resuming."""

    user_id: int
    send: Callable[[str, int | None], Coroutine[Any, Any, None]]
    close: Callable[[int, str], Coroutine[Any, Any, None]]
    session_id: str | None = None
    api_token_id: int | None = None
    expires_at: datetime | None = None
    max_queue: int = 1000
    id: str = field(default_factory=lambda: f"c{next(_ids)}")
    last_id: int = 0
    last_seen: float = field(default_factory=time.monotonic)
    replaying: bool = False
    buffer: list[tuple[str, int | None]] = field(default_factory=list)
    closing: bool = False
    queue: asyncio.Queue[tuple[str, int | None]] = field(init=False)

    def __post_init__(self) -> None:
        self.queue = asyncio.Queue(self.max_queue)

    def offer(self, text: str, notification_id: int | None) -> None:
        """Queue a message without waiting; a client that cannot keep up is closed (4408)."""
        if self.closing:
            return
        if self.replaying:
            if len(self.buffer) >= self.max_queue:
                self.shut(TOO_SLOW, "too slow: resume with since")
            else:
                self.buffer.append((text, notification_id))
            return
        if notification_id is not None:
            if notification_id <= self.last_id:
                return  # already sent (replayed)
            self.last_id = notification_id
        try:
            self.queue.put_nowait((text, notification_id))
        except asyncio.QueueFull:
            self.shut(TOO_SLOW, "too slow: resume with since")

    def finish_replay(self, replayed_through: int) -> None:
        """Replay done: send what arrived meanwhile, minus what the replay already sent."""
        self.last_id = max(self.last_id, replayed_through)
        self.replaying = False
        pending, self.buffer = self.buffer, []
        for text, notification_id in pending:
            self.offer(text, notification_id)

    def shut(self, code: int, reason: str) -> None:
        if self.closing:
            return
        self.closing = True
        asyncio.get_running_loop().create_task(self.close(code, reason))

    async def write_forever(self) -> None:
        while True:
            text, notification_id = await self.queue.get()
            await self.send(text, notification_id)
