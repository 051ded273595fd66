"""Per-connection buffering: slow clients are cut off, resumes de-duplicate."""

from __future__ import annotations

import asyncio
import time

import pytest

from wakedock.realtime.connection import REPLAY_OVERLAP_SECONDS, Connection, Message, text_frame
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
    assert len(conn.outbox) == 2  # memory stays bounded
    conn.offer("m4", 4)
    assert len(conn.outbox) == 2


async def test_live_events_during_a_replay_are_buffered_then_deduplicated() -> None:
    conn, _, sent = make(max_queue=10)
    conn.replaying = True
    conn.offer("live 5", 5)
    conn.offer("read", None)
    conn.offer("live 7", 7)
    assert len(conn.outbox) == 0
    conn.finish_replay(sent=[4, 5])  # the replay already sent 4 and 5
    await asyncio.sleep(0)
    assert sent == ["read", "live 7"]
    conn.offer("live 4", 4)  # published before the replay read it, arriving late: a duplicate
    assert len(conn.outbox) == 0
    assert sent == ["read", "live 7"]


async def test_live_events_out_of_id_order_all_arrive() -> None:
    """Concurrent creates publish in the order their commits return, and quiet hours release
    held notifications later: an older id after a newer one is new to the socket, not a
    duplicate."""
    conn, _, sent = make(max_queue=10)
    conn.offer("live 80", 80)
    conn.offer("live 79", 79)
    conn.offer("released 12", 12)
    await asyncio.sleep(0)
    assert sent == ["live 80", "live 79", "released 12"]


async def test_replayed_ids_are_forgotten_once_their_live_events_cannot_be_on_their_way(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    conn, _, sent = make(max_queue=10)
    conn.replaying = True
    conn.finish_replay(sent=[5])
    now = time.monotonic()
    monkeypatch.setattr(time, "monotonic", lambda: now + REPLAY_OVERLAP_SECONDS + 1)
    conn.offer("live 5", 5)  # no live event of a replayed row is still on its way by now
    await asyncio.sleep(0)
    assert sent == ["live 5"]
    assert conn.replayed is None


async def test_direct_writes_keep_order_behind_a_waiting_outbox() -> None:
    """Written at once while the socket takes it; once a message waits, later ones queue behind
    it (no overtaking), and a full outbox still closes the client with 4408."""
    closed: list[tuple[int, str]] = []
    sent: list[str] = []
    direct: list[str] = []
    writable = True

    async def send(text: str, _: int | None) -> None:
        sent.append(text)

    async def close(code: int, reason: str) -> None:
        closed.append((code, reason))

    def write_now(message: Message) -> bool:
        if writable:
            direct.append(message.text)
        return writable

    conn = Connection(user_id=1, send=send, close=close, max_queue=2, write_now=write_now)
    conn.offer("m1", 1)
    assert direct == ["m1"]
    assert len(conn.outbox) == 0
    writable = False
    conn.offer("m2", 2)
    writable = True
    conn.offer("m3", 3)  # must not overtake m2
    assert direct == ["m1"]
    assert [m.text for m in conn.outbox] == ["m2", "m3"]
    conn.offer("m4", 4)
    await asyncio.sleep(0)
    assert closed == [(TOO_SLOW, "too slow: resume with since")]


async def test_messages_wait_until_started() -> None:
    sent: list[str] = []

    async def send(text: str, _: int | None) -> None:
        sent.append(text)

    async def close(code: int, reason: str) -> None:
        pass

    conn = Connection(user_id=1, send=send, close=close, started=False)
    conn.offer("early", 1)
    await asyncio.sleep(0)
    assert sent == []
    conn.start()
    await asyncio.sleep(0)
    assert sent == ["early"]


def test_text_frame_matches_the_rfc() -> None:
    assert text_frame(b"hi") == b"\x81\x02hi"
    assert text_frame(b"x" * 200)[:4] == b"\x81\x7e\x00\xc8"
    assert text_frame(b"x" * 70000)[:10] == b"\x81\x7f" + (70000).to_bytes(8, "big")
