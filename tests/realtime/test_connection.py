"""Per-connection buffering: slow clients are cut off, resumes de-duplicate."""

from __future__ import annotations

import asyncio

from wakedock.realtime.connection import Connection
from wakedock.realtime.protocol import TOO_SLOW


def make(max_queue: int = 2) -> tuple[Connection, list[tuple[int, str]], list[str]]:
    closed: list[tuple[int, str]] = []
    sent: list[str] = []

    async def send(text: str, _: int | None) -> None:
        sent.append(text)

    async def close(code: int, reason: str) -> None:
        closed.append((code, reason))

    return Connection(user_id=1, send=send, close=close, max_queue=max_queue), closed, sent


async def test_a_client_that_cannot_keep_up_is_closed_with_4408() -> None:
    conn, closed, _ = make(max_queue=2)
    for i in range(1, 4):
        conn.offer(f"m{i}", i)
    await asyncio.sleep(0)
    assert closed == [(TOO_SLOW, "too slow: resume with since")]
    assert conn.queue.qsize() == 2  # memory stays bounded
    conn.offer("m4", 4)
    assert conn.queue.qsize() == 2


async def test_live_events_during_a_replay_are_buffered_then_deduplicated() -> None:
    conn, _, sent = make(max_queue=10)
    conn.replaying = True
    conn.offer("live 5", 5)
    conn.offer("read", None)
    conn.offer("live 7", 7)
    assert conn.queue.qsize() == 0
    conn.finish_replay(replayed_through=5)  # the replay already sent 5
    writer = asyncio.create_task(conn.write_forever())
    await asyncio.sleep(0)
    writer.cancel()
    assert sent == ["read", "live 7"]
    conn.offer("live 6", 6)  # older than what was sent: a duplicate
    assert conn.queue.qsize() == 0
